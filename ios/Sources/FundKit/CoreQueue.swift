// The core's blocking calls (SQLite with fsync) run here: one at a time, in order, on a
// dedicated serial DispatchQueue, bridged to async callers with continuations. They never
// occupy a thread of Swift's cooperative pool, which has one thread per core and must not
// block.
import Dispatch
import Foundation

/// A serial queue for blocking work, with cancellation that is honest about what it can do:
///
/// - Cancelling the calling task **before** its work starts on the queue: the work never runs
///   (nothing is read or written) and the call throws `CancellationError`.
/// - Cancelling it **after** the work started: the work runs to its end (a SQLite transaction
///   commits or rolls back as a whole; a write is never half-done) and its result is returned.
///   A blocking call in the core cannot be interrupted.
final class CoreQueue: Sendable {
    let queue: DispatchQueue
    // nonisolated(unsafe), proved: the key is created once, never mutated, and only used as an
    // identity for setSpecific/getSpecific, which Dispatch makes thread-safe.
    private nonisolated(unsafe) static let marker = DispatchSpecificKey<Bool>()

    init(label: String = "dev.fundkit.core") {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: Self.marker, value: true)
    }

    /// Is the caller running on a CoreQueue's thread?
    static var isCurrent: Bool { DispatchQueue.getSpecific(key: marker) == true }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async {
                    if flag.isCancelled {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    continuation.resume(with: Result { try work() })
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }
}

/// Set once, read from the queue.
final class CancellationFlag: @unchecked Sendable {
    // @unchecked, proved: the only stored state is `cancelled`, and every read and write of
    // it happens between `lock.lock()` and `lock.unlock()` (both accessors below); NSLock is
    // itself thread-safe. So concurrent use from the cancelling task and the queue is
    // race-free.
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
