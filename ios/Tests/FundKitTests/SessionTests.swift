// The idiomatic layer against the real library and the real reference server, mirroring the
// Kotlin ShellTest: donate offline, caps, validation, sync, expiry with a host clock, wipe,
// errors in `switch`, the database's folder.
import Foundation
import XCTest
@testable import FundKit

final class SessionTests: XCTestCase {
    func testADonationOfflineIsQueuedAndAnnounced() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        let changes = fk.donationChanges()
        guard case .queued(let queued) = await fk.donate(donation(f, 2_500)) else { return XCTFail("not queued") }
        XCTAssertEqual(queued.state, .queued)
        let heard = try await first(changes) { batch in batch.contains { $0.id == queued.id } }
        XCTAssertEqual(heard.first { $0.id == queued.id }?.state, .queued)
    }

    func testOverTheOfflineCapIsRefused() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        let outcome = await fk.donate(donation(f, 25_001))
        XCTAssertEqual(outcome, .overOfflineLimit(.singleAmount))
    }

    func testAnInvalidDonationListsItsIssues() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        let bad = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 100, currency: "USD"),
                                  message: "\u{202E}reversed", visibility: .public, hideAmount: false, paymentToken: "tok_ok")
        guard case .invalid(let issues) = await fk.donate(bad) else { return XCTFail("not refused") }
        XCTAssertEqual(issues.map(\.code), [.bidiControl])
    }

    func testSyncConfirmsAQueuedDonation() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        guard case .queued(let queued) = await fk.donate(donation(f, 2_500)) else { return XCTFail("not queued") }
        fk.setOnline(true)
        let report = try await fk.syncNow()
        XCTAssertEqual(report.confirmed, 1)
        XCTAssertNil(report.error)
        let after = try await fk.donation(id: queued.id)
        XCTAssertEqual(after?.state, .confirmed)
    }

    func testAQueuedDonationExpiresOnTheHostClock() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server, by: "dev-organiser-gb", country: "GB", currency: "GBP")
        let clock = ManualClock()
        let fk = try await open(server, "dev-donor-1", country: "GB", clock: clock)
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        guard case .queued(let d) = await fk.donate(donation(f, 500)) else { return XCTFail("not queued") }
        clock.advance(hours: 25)
        let left = try await fk.pending()
        XCTAssertTrue(left.isEmpty)
        let expired = try await fk.donation(id: d.id)
        XCTAssertEqual(expired?.state, .expired)
        XCTAssertEqual(expired?.reason, "expired_offline")
    }

    func testWipeRemovesLocalData() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        guard case .queued(let d) = await fk.donate(donation(f, 500)) else { return XCTFail("not queued") }
        try await fk.wipeLocalData()
        let gone = try await fk.donation(id: d.id)
        XCTAssertNil(gone)
    }

    func testErrorsReadWellInSwitch() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        do {
            _ = try await fk.cancelDonation(id: "nope")
            XCTFail("cancelled nothing")
        } catch let error as FundkitError {
            guard case .NotFound(let what) = error else { return XCTFail("another error") }
            XCTAssertTrue(what.contains("nope"))
        }
    }

    func testOpeningCreatesTheDatabaseFolder() async throws {
        let server = try ReferenceServer()
        let config = testConfig(server.url)
        let folder = URL(fileURLWithPath: config.databasePath).deletingLastPathComponent()
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
        let fk = try await FundKitSession.open(config: config, tokens: { _ in "dev-donor-1" })
        defer { fk.close() }
        XCTAssertTrue(FileManager.default.fileExists(atPath: config.databasePath))
        XCTAssertEqual(DatabaseFiles.protectionClass, "completeUntilFirstUserAuthentication")
    }

    func testThePrivacyManifestDeclaresTheRequiredReasons() throws {
        let url = try XCTUnwrap(FundKitResources.bundle.url(forResource: "PrivacyInfo", withExtension: "xcprivacy"))
        let plist = try XCTUnwrap(PropertyListSerialization.propertyList(from: Data(contentsOf: url), format: nil) as? [String: Any])
        XCTAssertEqual(plist["NSPrivacyTracking"] as? Bool, false)
        let apis = try XCTUnwrap(plist["NSPrivacyAccessedAPITypes"] as? [[String: Any]])
        let reasons = Dictionary(uniqueKeysWithValues: apis.map { ($0["NSPrivacyAccessedAPIType"] as? String ?? "", $0["NSPrivacyAccessedAPITypeReasons"] as? [String] ?? []) })
        XCTAssertEqual(reasons["NSPrivacyAccessedAPICategoryFileTimestamp"], ["C617.1"])
        XCTAssertEqual(reasons["NSPrivacyAccessedAPICategorySystemBootTime"], ["35F9.1"])
        XCTAssertEqual(reasons["NSPrivacyAccessedAPICategoryDiskSpace"], ["E174.1"])
    }
}
