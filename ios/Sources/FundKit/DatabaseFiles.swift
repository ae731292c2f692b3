// Where the local database lives, and how the device keeps it.
//
// The database holds queued donations (with their one-time payment tokens until sent) and the
// user's fundraisers. On Apple platforms its folder gets:
// - data protection `completeUntilFirstUserAuthentication`: encrypted at rest until the user
//   first unlocks the phone after a restart, then readable while locked, so a background
//   refresh can still sync queued donations with the screen locked. SQLite's -wal, -shm and
//   -journal files, created later in the same folder, inherit the folder's class.
// - `isExcludedFromBackup`: a device-local queue restored onto another phone (or twice) must
//   not send its donations again from there; the server is the record of what was given.
// On Linux (CI) there is no data protection or backup: only the folder is created.
import Foundation

public enum DatabaseFiles {
    /// The protection class the database folder and files get on Apple platforms.
    public static let protectionClass = "completeUntilFirstUserAuthentication"

    /// Creates the database's folder (before the core opens the file) and protects it.
    static func prepare(databasePath: String) throws {
        let folder = URL(fileURLWithPath: databasePath).deletingLastPathComponent()
        #if os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
        #else
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #endif
        try excludeFromBackup(folder)
    }

    /// After the core created the file: the same class on the file itself and its companions.
    static func protect(databasePath: String) throws {
        #if os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        let folder = URL(fileURLWithPath: databasePath).deletingLastPathComponent()
        try FileManager.default.setAttributes([.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication],
                                              ofItemAtPath: folder.path)
        for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: databasePath + suffix) {
            try FileManager.default.setAttributes([.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication],
                                                  ofItemAtPath: databasePath + suffix)
        }
        #endif
    }

    private static func excludeFromBackup(_ folder: URL) throws {
        #if canImport(Darwin)
        var url = folder
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
        #endif
    }

    /// Is `folder` excluded from backups? Always false where there are no backups (Linux).
    public static func isExcludedFromBackup(_ folder: URL) -> Bool {
        #if canImport(Darwin)
        return (try? folder.resourceValues(forKeys: [.isExcludedFromBackupKey]).isExcludedFromBackup) == true
        #else
        return false
        #endif
    }
}
