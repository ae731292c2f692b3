// The real reference server (`fundkit serve`, built on the host) on 127.0.0.1 with an
// OS-chosen port, for the tests that talk to a server, like the Kotlin JVM tests.
import Foundation
import XCTest
@testable import FundKit

final class ReferenceServer {
    let url: String
    private let process: Process
    /// Held open while the tests run: the server stops when it closes (--exit-with-stdin),
    /// so it never outlives the test process, whether or not `deinit` runs.
    private let keepAlive = Pipe()

    init() throws {
        let dir = ProcessInfo.processInfo.environment["FUNDKIT_LIB_DIR"] ?? "../target/debug"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "\(dir)/fundkit")
        process.arguments = ["serve", "--addr", "127.0.0.1:0", "--auto-approve", "--exit-with-stdin"]
        process.standardInput = keepAlive
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard let range = first.range(of: "http://127.0.0.1:") else { throw NSError(domain: "server did not start: \(first)", code: 1) }
        url = String(first[range.lowerBound...])
    }

    deinit { process.terminate() }
}

/// A clock the test moves by hand.
final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now = Int64(Date().timeIntervalSince1970 * 1000)
    func nowMs() -> Int64 { lock.lock(); defer { lock.unlock() }; return now }
    func advance(hours: Int64) { lock.lock(); now += hours * 3_600_000; lock.unlock() }
}

func testConfig(_ url: String, country: String = "US", online: Bool = true) -> ClientConfig {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fundkit-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return ClientConfig(databasePath: dir.appendingPathComponent("fundkit.db").path, serverUrl: url,
                        user: UserContext(country: country, platform: .android, ageYears: 30),
                        locale: "en-US", online: online, backgroundSync: false)
}

func draft(_ title: String, country: String = "US", currency: String = "USD") -> FundraiserDraft {
    FundraiserDraft(kind: .personalCause(beneficiary: .someoneElse), category: .emergency, title: title,
                    story: "The river took the ground floor.", goal: Money(minorUnits: 500_000, currency: currency), country: country)
}

/// Waits for the first element of `stream` that satisfies `done` (bounded: a test never hangs).
func first<T: Sendable>(_ stream: AsyncStream<T>, timeout: TimeInterval = 10, where done: @escaping @Sendable (T) -> Bool) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            for await x in stream where done(x) { return x }
            return nil
        }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            return nil
        }
        let result = try await group.next() ?? nil
        group.cancelAll()
        guard let found = result else { throw NSError(domain: "timed out waiting", code: 2) }
        return found
    }
}
