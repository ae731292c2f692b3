// The session's blocking calls: a dedicated serial queue, continuations, cancellation.
import Dispatch
import Foundation
import XCTest
@testable import FundKit

/// Counts how many bodies run at once, and the most ever seen.
final class Overlap: @unchecked Sendable {
    // @unchecked, proved: `now` and `most` are read and written only while `lock` is held.
    private let lock = NSLock()
    private var now = 0
    private var most = 0
    func enter() { lock.lock(); now += 1; most = max(most, now); lock.unlock() }
    func leave() { lock.lock(); now -= 1; lock.unlock() }
    var maximum: Int { lock.lock(); defer { lock.unlock() }; return most }
}

final class CoreQueueTests: XCTestCase {
    func testBlockingWorkRunsOnTheDedicatedQueueNotTheCooperativePool() async throws {
        let io = CoreQueue()
        XCTAssertFalse(CoreQueue.isCurrent)
        let onQueue = try await io.run { CoreQueue.isCurrent }
        XCTAssertTrue(onQueue)
    }

    func testBlockingCallsRunOneAtATime() async throws {
        let io = CoreQueue()
        let overlap = Overlap()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await io.run {
                        overlap.enter()
                        Thread.sleep(forTimeInterval: 0.002)
                        overlap.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(overlap.maximum, 1)
    }

    func testCancelledBeforeItStartsNeverRuns() async throws {
        let io = CoreQueue()
        let release = DispatchSemaphore(value: 0)
        io.queue.async { release.wait() }  // the queue is busy
        let ran = Overlap()
        let call = Task { try await io.run { ran.enter() } }
        try await Task.sleep(nanoseconds: 20_000_000)
        call.cancel()
        release.signal()
        do {
            try await call.value
            XCTFail("a cancelled call that had not started ran")
        } catch is CancellationError {
        }
        _ = try await io.run { 0 }  // everything queued before has run
        XCTAssertEqual(ran.maximum, 0)
    }

    func testCancelledAfterItStartedFinishesAndReturnsItsResult() async throws {
        let io = CoreQueue()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let call = Task { try await io.run { started.signal(); release.wait(); return 42 } }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { started.wait(); c.resume() }
        }
        call.cancel()
        release.signal()
        let value = try await call.value
        XCTAssertEqual(value, 42)
    }

    func testCancelledDonationBeforeItStartsSavesNothing() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        let release = DispatchSemaphore(value: 0)
        fk.io.queue.async { release.wait() }
        let tap = Task { await fk.donate(donation(f, 2_500)) }
        try await Task.sleep(nanoseconds: 20_000_000)
        tap.cancel()
        release.signal()
        let outcome = await tap.value
        XCTAssertEqual(outcome, .cancelled)
        let pending = try await fk.pending()
        XCTAssertEqual(pending, [])
    }
}
