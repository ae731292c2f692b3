// Streams subscribe, then read: the latest state is never lost; ending a stream unsubscribes.
import XCTest
@testable import FundKit

final class StreamTests: XCTestCase {
    func testASubscriberGetsTheCurrentValueFirst() async throws {
        let b = Broadcast<Int>()
        let stream = b.subscribe { 1 }
        let value = try await first(stream) { _ in true }
        XCTAssertEqual(value, 1)
    }

    func testAChangeBetweenSubscribingAndReadingWinsOverTheRead() async throws {
        let b = Broadcast<Int>()
        // The read returns an older value than the one sent after the subscription.
        let stream = b.subscribe { b.send(2); return 1 }
        b.send(3)
        var seen: [Int] = []
        for await value in stream {
            seen.append(value)
            if seen.count == 2 { break }
        }
        XCTAssertEqual(seen, [2, 3])
    }

    func testAReReadStreamStartsWithItsTriggerEvenAfterASend() async {
        let b = Broadcast<Int>()
        let stream = b.subscribe(startingWith: 0)
        b.send(5)
        var seen: [Int] = []
        for await value in stream {
            seen.append(value)
            if seen.count == 2 { break }
        }
        XCTAssertEqual(seen, [0, 5])
    }

    func testFinishEndsEveryStream() async {
        let b = Broadcast<Int>()
        let one = b.subscribe()
        let two = b.subscribe()
        b.finish()
        for await _ in one { XCTFail("finished") }
        for await _ in two { XCTFail("finished") }
        XCTAssertEqual(b.subscriberCount, 0)
    }

    func testEndingAStreamRemovesItsSubscription() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        let stream = fk.donationChanges()
        XCTAssertEqual(fk.hub.donations.subscriberCount, 1)
        let task = Task { for await _ in stream {} }
        task.cancel()
        _ = await task.value
        for _ in 0..<100 where fk.hub.donations.subscriberCount > 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(fk.hub.donations.subscriberCount, 0)
    }

    func testSyncStatesStartWithTheCurrentState() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        fk.setOnline(false)
        let state = try await first(fk.syncStates()) { _ in true }
        XCTAssertFalse(state.online)
    }

    func testSyncStatesDeliverAChangeMadeAfterSubscribing() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        let states = fk.syncStates()
        fk.setOnline(false)
        let offline = try await first(states) { !$0.online }
        XCTAssertFalse(offline.online)
    }
}
