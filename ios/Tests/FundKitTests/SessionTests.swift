// The idiomatic layer and the view models against the real library and the real reference
// server, mirroring the Kotlin ShellTest/OrganiserTest: donate offline, caps, expiry with a
// host clock, listener events through streams, cancellation of a subscription, wipe, and
// the screens' logic.
import XCTest
@testable import FundKit

final class SessionTests: XCTestCase {
    static var server: ReferenceServer!

    override class func setUp() {
        super.setUp()
        server = try! ReferenceServer()
    }

    private func session(_ token: String, country: String = "US", clock: ManualClock? = nil, on server: ReferenceServer? = nil) async throws -> FundKitSession {
        try await FundKitSession.open(config: testConfig((server ?? Self.server).url, country: country), tokens: { _ in token }, clock: clock)
    }

    private func fundraiser(by token: String, country: String, currency: String, on server: ReferenceServer? = nil) async throws -> FundraiserView {
        let organiser = try await session(token, country: country, on: server)
        defer { organiser.close() }
        guard case .done(let created) = await organiser.createFundraiser(draft("Flood relief \(country)", country: country, currency: currency)) else {
            throw NSError(domain: "not created", code: 3)
        }
        return created
    }

    func testDonateOfflineCapsStreamsAndSync() async throws {
        let f = try await fundraiser(by: "dev-organiser", country: "US", currency: "USD")
        let fk = try await session("dev-donor-1")
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        let changes = fk.donationChanges()
        let request = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 2_500, currency: "USD"),
                                      message: "Stay strong", visibility: .public, hideAmount: false, paymentToken: "tok_ok")
        guard case .queued(let queued) = await fk.donate(request) else { return XCTFail("not queued") }
        XCTAssertEqual(queued.state, .queued)
        let heard = try await first(changes) { batch in batch.contains { $0.id == queued.id } }
        XCTAssertEqual(heard.first { $0.id == queued.id }?.state, .queued)
        // Over the offline cap: refused, clearly.
        let over = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 25_001, currency: "USD"),
                                   message: nil, visibility: .public, hideAmount: false, paymentToken: "tok_ok")
        let overOutcome = await fk.donate(over)
        XCTAssertEqual(overOutcome, .overOfflineLimit(.singleAmount))
        // Invalid: every issue by field.
        let bad = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 100, currency: "USD"),
                                  message: "\u{202E}reversed", visibility: .public, hideAmount: false, paymentToken: "tok_ok")
        guard case .invalid(let issues) = await fk.donate(bad) else { return XCTFail("not refused") }
        XCTAssertEqual(issues.map(\.code), [.bidiControl])
        // Back online: confirmed, and the stream says so.
        fk.setOnline(true)
        let confirmed = Task { try await first(fk.donationChanges()) { $0.contains { $0.id == queued.id && $0.state == .confirmed } } }
        let report = try await fk.syncNow()
        XCTAssertEqual(report.confirmed, 1)
        XCTAssertNil(report.error)
        _ = try await confirmed.value
        let left = try await fk.pending()
        XCTAssertTrue(left.isEmpty)
    }

    func testExpiryWithAHostClockAndWipe() async throws {
        let f = try await fundraiser(by: "dev-organiser-gb", country: "GB", currency: "GBP")
        let clock = ManualClock()
        let fk = try await session("dev-donor-1", country: "GB", clock: clock)
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        let request = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 500, currency: "GBP"),
                                      message: nil, visibility: .anonymous, hideAmount: true, paymentToken: "tok_ok")
        guard case .queued(let d) = await fk.donate(request) else { return XCTFail("not queued") }
        clock.advance(hours: 25)
        let left = try await fk.pending()
        XCTAssertTrue(left.isEmpty)
        XCTAssertEqual(try fk.client.donation(id: d.id)?.state, .expired)
        XCTAssertEqual(try fk.client.donation(id: d.id)?.reason, "expired_offline")
        try await fk.wipeLocalData()
        XCTAssertNil(try fk.client.donation(id: d.id))
    }

    func testEndingAStreamRemovesItsSubscription() async throws {
        let fk = try await session("dev-donor-1")
        defer { fk.close() }
        let hub = try XCTUnwrap(Mirror(reflecting: fk).children.first { $0.label == "hub" }?.value as? ListenerHub)
        let stream = fk.donationChanges()
        XCTAssertEqual(hub.donations.subscriberCount, 1)
        let task = Task { for await _ in stream {} }
        task.cancel()
        _ = await task.value
        for _ in 0..<100 where hub.donations.subscriberCount > 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(hub.donations.subscriberCount, 0)
    }

    func testErrorsReadWellInSwitch() async throws {
        let fk = try await session("dev-donor-1")
        defer { fk.close() }
        do {
            _ = try await fk.cancelDonation(id: "nope")
            XCTFail("cancelled nothing")
        } catch let error as FundkitError {
            switch error {
            case .NotFound(let what): XCTAssertTrue(what.contains("nope"))
            default: XCTFail("\(error)")
            }
        }
    }

    func testViewModelsGateCreateDonateAndPending() async throws {
        let organiser = try await session("dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        XCTAssertEqual(gate(organiser, .createFundraiser), .open)
        let create = CreateFundraiserViewModel(session: organiser, country: "IE", currency: "EUR")
        create.edit { $0.title = ""; $0.story = "A story."; $0.goalText = "50" }
        await create.submit()
        XCTAssertEqual(create.state.value.issues["title"], [.required])
        XCTAssertEqual(create.state.value.issues["goal"], [.belowMinimum])
        create.edit { $0.title = "Irish relief"; $0.goalText = "5.000,00" }
        await create.submit()
        XCTAssertEqual(create.state.value.issues["goal"], [.required], "an amount that does not parse in en-US")
        create.edit { $0.goalText = "5,000" }
        await create.submit()
        let created = try XCTUnwrap(create.state.value.created)

        let donor = try await session("dev-donor-2", country: "IE")
        defer { donor.close() }
        let view = try await donor.refreshFundraiser(id: created.fundraiser.id)
        donor.setOnline(false)
        let page = FundraiserViewModel(session: donor, fundraiserId: view.fundraiser.id)
        let pending = PendingDonationsViewModel(session: donor)
        let sheet = DonateViewModel(session: donor, fundraiser: view)
        sheet.amountChanged("12")
        XCTAssertEqual(sheet.state.value.amountLabel, "€12.00")
        async let tap1 = sheet.confirm(paymentToken: "tok_ok")
        async let tap2 = sheet.confirm(paymentToken: "tok_ok")
        let taps = await [tap1, tap2]
        XCTAssertEqual(taps.filter { $0 }.count, 1, "one of two taps went through")
        guard case .queued(let queued) = sheet.state.value.result else { return XCTFail("not queued") }
        XCTAssertEqual(queued.id, sheet.donationId)
        let offline = try await first(page.state.states()) { $0.pendingLabel != nil }
        XCTAssertEqual(offline.pendingLabel, "€12.00 pending")
        let waiting = try await first(pending.state.states()) { $0.rows.count == 1 }
        XCTAssertTrue(waiting.waitingForNetwork)
        donor.setOnline(true)
        _ = try await donor.syncNow()
        _ = try await first(pending.state.states()) { $0.rows.isEmpty }
        let after = try await first(page.state.states()) { $0.pendingLabel == nil }
        XCTAssertEqual(after.raisedLabel, "€12.00")
    }

    func testOrganiserDashboard() async throws {
        // Its own server: one running fundraiser per organiser.
        let server = try ReferenceServer()
        let f = try await fundraiser(by: "dev-organiser", country: "US", currency: "USD", on: server)
        let donor = try await session("dev-donor-1", on: server)
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        _ = await donor.donate(DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 1_500, currency: "USD"),
                                               message: nil, visibility: .anonymous, hideAmount: false, paymentToken: "tok_ok"))
        _ = try await donor.syncNow()
        let organiser = try await session("dev-organiser", on: server)
        defer { organiser.close() }
        _ = try await organiser.syncNow()
        let dashboard = OrganiserDashboardViewModel(session: organiser, fundraiserId: f.fundraiser.id)
        let shown = try await first(dashboard.state.states()) { $0.loaded && $0.donations.count == 1 }
        XCTAssertEqual(shown.daysLeft, 30)
        XCTAssertEqual(shown.donations.first?.name, "Anonymous")
        XCTAssertEqual(shown.raisedLabel, "$15.00")
        await dashboard.extend()
        await dashboard.extend()
        XCTAssertFalse(dashboard.state.value.canExtend, "90 days in all")
        await dashboard.edit(FundraiserEdit(title: nil, story: nil, category: nil, goal: Money(minorUnits: 1_000, currency: "USD")))
        XCTAssertEqual(dashboard.state.value.issues["goal"], [.belowMinimum, .belowRaised])
        await dashboard.end()
        XCTAssertEqual(dashboard.state.value.state, .ended)
    }
}
