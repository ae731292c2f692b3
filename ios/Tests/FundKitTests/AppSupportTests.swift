// The sample app's logic: connectivity feeds setOnline; a background refresh runs syncNow.
import Foundation
import XCTest
@testable import FundKit

final class AppSupportTests: XCTestCase {
    func testPathUpdatesFeedTheCoresOnlineFlag() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        let (updates, path) = AsyncStream<Bool>.makeStream()
        let states = fk.syncStates()
        let feeding = Connectivity.feed(fk, from: updates)
        path.yield(false)
        _ = try await first(states) { !$0.online }
        path.yield(true)
        _ = try await first(states) { $0.online }
        path.finish()
        await feeding.value
        XCTAssertTrue(fk.syncState().online)
    }

    func testABackgroundRefreshSendsWhatIsQueued() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        _ = await fk.donate(donation(f, 2_500))
        fk.setOnline(true)
        let succeeded = await BackgroundRefresh.run(fk)
        XCTAssertTrue(succeeded)
        let left = try await fk.pending()
        XCTAssertEqual(left, [])
    }

    func testABackgroundRefreshWithoutAServerReportsFailure() async throws {
        let fk = try await FundKitSession.open(config: testConfig("http://127.0.0.1:9"), tokens: { _ in "dev-donor-1" })
        defer { fk.close() }
        let succeeded = await BackgroundRefresh.run(fk)
        XCTAssertFalse(succeeded)
    }

    func testTheNextRefreshIsAskedForAQuarterOfAnHourLater() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        XCTAssertEqual(BackgroundRefresh.earliestBeginDate(after: now).timeIntervalSince(now), 900)
    }
}
