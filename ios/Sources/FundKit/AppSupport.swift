// What an app wires around a session: connectivity feeding `setOnline`, and a background
// refresh that runs one sync pass. The platform parts (NWPathMonitor, BGTaskScheduler) are
// Apple-only; their logic is here, plain, and tested on Linux.
import Foundation

public enum Connectivity {
    /// Feeds `session.setOnline` from `updates` (true = the network can be reached), telling
    /// the core only of changes. Cancel the task (or end `updates`) to stop.
    @discardableResult
    public static func feed(_ session: FundKitSession, from updates: AsyncStream<Bool>) -> Task<Void, Never> {
        Task {
            var last: Bool?
            for await online in updates where online != last {
                last = online
                session.setOnline(online)
            }
        }
    }
}

#if canImport(Network)
import Network

extension Connectivity {
    /// The device's network path from NWPathMonitor: true while it is satisfied. The monitor
    /// stops when the stream ends.
    public static func pathUpdates() -> AsyncStream<Bool> {
        AsyncStream { continuation in
            let monitor = NWPathMonitor()
            monitor.pathUpdateHandler = { path in continuation.yield(path.status == .satisfied) }
            continuation.onTermination = { _ in monitor.cancel() }
            monitor.start(queue: DispatchQueue(label: "dev.fundkit.network-path"))
        }
    }
}
#endif

public enum BackgroundRefresh {
    /// The BGTaskScheduler identifier (list it under BGTaskSchedulerPermittedIdentifiers in
    /// the app's Info.plist).
    public static let taskIdentifier = "dev.fundkit.refresh"
    /// How soon the system may run the next refresh.
    public static let interval: TimeInterval = 15 * 60

    /// The work of one background refresh: one sync pass. True when the pass completed (the
    /// system is told the task succeeded); false when it failed (nothing is lost: what was not
    /// sent waits for the next pass).
    public static func run(_ session: FundKitSession) async -> Bool {
        guard let report = try? await session.syncNow() else { return false }
        return report.error == nil
    }

    /// When to ask the system for the next refresh.
    public static func earliestBeginDate(after now: Date = Date()) -> Date { now.addingTimeInterval(interval) }
}
