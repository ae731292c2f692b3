// The core's one listener fanned out to any number of AsyncStreams.
import Foundation

/// Many AsyncStreams fed from one source. Ending a stream (its consumer cancelled, or the
/// loop left) removes its subscription.
final class Broadcast<Element: Sendable>: @unchecked Sendable {
    // @unchecked, proved: the stored state (`next`, `sent`, `continuations`) is read and
    // written only inside `locked { }`, which holds `lock` for the whole body; `Element` is
    // Sendable and AsyncStream.Continuation is Sendable, so what crosses threads is safe.
    // `finish()` calls the continuations outside the lock, because finishing runs
    // `onTermination`, which removes the subscription (NSLock is not recursive).
    //
    // `onTermination` never waits for the lock: it removes the subscription from another
    // thread. It can run inside `Task.cancel()`, while the runtime holds the cancelled task's
    // status lock; `send` holds this lock while it yields, and a yield that resumes that
    // task's `next()` takes the task's status lock. Waiting here would be a lock-order
    // inversion (seen as a rare hang of the tests: the main thread in `unsubscribe`, the
    // core's notifier thread in a yield). Until the removal runs, a yield to the ended stream
    // does nothing.
    private let lock = NSLock()
    private var next = 0
    /// How many elements were sent so far: tells a subscriber whether its first read is stale.
    private var sent = 0
    private var continuations: [Int: AsyncStream<Element>.Continuation] = [:]

    var subscriberCount: Int { locked { continuations.count } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// What is sent from now on.
    func subscribe() -> AsyncStream<Element> { subscribe(current: { nil }) }

    /// Subscribes, **then** reads the current value with `current` and yields it first,
    /// unless something was sent in between: that element is newer than (or as new as) what
    /// the read returned, and it is already in the stream. So the latest value is never lost
    /// and never followed by an older one, without calling `current` under the lock (the core
    /// may hold its own lock while it sends).
    func subscribe(current: () -> Element?) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let (id, seen) = locked {
            next += 1
            continuations[next] = continuation
            return (next, sent)
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribeLater(id) }
        if let value = current() {
            locked {
                if sent == seen { continuation.yield(value) }
            }
        }
        return stream
    }

    /// What is sent from now on, after `trigger`, which is always yielded: for streams that
    /// re-read the database on every element, where an extra read is harmless but a missed
    /// first read is not. The subscription exists before `trigger` is yielded.
    func subscribe(startingWith trigger: Element) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id: Int = locked {
            next += 1
            continuations[next] = continuation
            return next
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribeLater(id) }
        continuation.yield(trigger)
        return stream
    }

    private func unsubscribe(_ id: Int) {
        _ = locked { continuations.removeValue(forKey: id) }
    }

    /// For `onTermination`: see the note on the lock above.
    private func unsubscribeLater(_ id: Int) {
        DispatchQueue.global().async { [weak self] in self?.unsubscribe(id) }
    }

    /// Yields under the lock, so a subscriber's first read is ordered with every send.
    func send(_ element: Element) {
        locked {
            sent += 1
            for c in continuations.values { c.yield(element) }
        }
    }

    func finish() {
        let targets: [AsyncStream<Element>.Continuation] = locked {
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
        for c in targets { c.finish() }
    }
}
