// The @MainActor @Observable view models against the real core and reference server,
// mirroring the Kotlin presenters (Presenters.kt) and their tests.
import Foundation
import Observation
import XCTest
@testable import FundKit

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class CreateFundraiserViewModelTests: XCTestCase {
    func testTheGateIsOpenWhereFundKitLaunched() async throws { try await Self._testTheGateIsOpenWhereFundKitLaunched() }
    @MainActor private static func _testTheGateIsOpenWhereFundKitLaunched() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        XCTAssertEqual(gate(organiser, .createFundraiser), .open)
    }

    func testStateChangesAreObservableForSwiftUI() async throws { try await Self._testStateChangesAreObservableForSwiftUI() }
    @MainActor private static func _testStateChangesAreObservableForSwiftUI() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "IE")
        let changed = Overlap()
        withObservationTracking { _ = create.state } onChange: { changed.enter() }
        create.edit { $0.title = "Irish relief" }
        XCTAssertEqual(changed.maximum, 1, "a view reading `state` is told it changed")
    }

    func testEveryIssueIsShownByFieldInWords() async throws { try await Self._testEveryIssueIsShownByFieldInWords() }
    @MainActor private static func _testEveryIssueIsShownByFieldInWords() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "IE")
        create.edit { $0.title = ""; $0.story = "A story."; $0.goalText = "50" }
        await create.submit()
        XCTAssertEqual(create.state.issues["title"], [.required])
        XCTAssertEqual(create.state.issues["goal"], [.belowMinimum])
        assertUserVisible(create.issueText("title"))
        assertUserVisible(create.issueText("goal"))
    }

    func testAGoalThatDoesNotParseIsRequired() async throws { try await Self._testAGoalThatDoesNotParseIsRequired() }
    @MainActor private static func _testAGoalThatDoesNotParseIsRequired() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "IE")
        create.edit { $0.title = "Irish relief"; $0.story = "A story."; $0.goalText = "5.000,00" }
        await create.submit()
        XCTAssertEqual(create.state.issues["goal"], [.required], "an amount that does not parse in en-US")
    }

    func testACleanFormCreatesInTheCountrysCurrency() async throws { try await Self._testACleanFormCreatesInTheCountrysCurrency() }
    @MainActor private static func _testACleanFormCreatesInTheCountrysCurrency() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-ie", country: "IE")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "IE")
        create.edit { $0.title = "Irish relief"; $0.story = "A story."; $0.goalText = "5,000" }
        await create.submit()
        let created = try XCTUnwrap(create.state.created)
        XCTAssertEqual(created.fundraiser.goal, Money(minorUnits: 500_000, currency: "EUR"))
        XCTAssertFalse(create.state.submitting)
    }
}

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class FundraiserViewModelTests: XCTestCase {
    func testTheScreenShowsTitleAndTotals() async throws { try await Self._testTheScreenShowsTitleAndTotals() }
    @MainActor private static func _testTheScreenShowsTitleAndTotals() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        XCTAssertEqual(page.state.title, "Flood relief US")
        XCTAssertEqual(page.state.goalLabel, "$5,000.00")
        XCTAssertEqual(page.state.raisedLabel, "$0.00")
        XCTAssertNil(page.state.pendingLabel)
    }

    func testOfflineShowsTheBannerAndOnlineHidesIt() async throws { try await Self._testOfflineShowsTheBannerAndOnlineHidesIt() }
    @MainActor private static func _testOfflineShowsTheBannerAndOnlineHidesIt() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        donor.setOnline(false)
        try await eventually("offline banner") { page.state.offlineBanner != nil }
        assertUserVisible(page.state.offlineBanner)
        donor.setOnline(true)
        try await eventually("banner gone") { page.state.offlineBanner == nil && page.state.online }
    }

    func testAPendingDonationShowsAsPendingInWords() async throws { try await Self._testAPendingDonationShowsAsPendingInWords() }
    @MainActor private static func _testAPendingDonationShowsAsPendingInWords() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server, by: "dev-organiser-ie", country: "IE", currency: "EUR")
        let donor = try await open(server, "dev-donor-2", country: "IE")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        _ = await donor.donate(donation(f, 1_200))
        try await eventually("pending label") { page.state.pendingLabel != nil }
        XCTAssertEqual(page.state.pendingLabel, "€12.00 pending")
        assertScreenReadable(page.state)
    }

    func testDonateOpensASheetForThisFundraiser() async throws { try await Self._testDonateOpensASheetForThisFundraiser() }
    @MainActor private static func _testDonateOpensASheetForThisFundraiser() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        XCTAssertTrue(page.state.canDonate)
        let sheet = try XCTUnwrap(page.donate())
        sheet.amountChanged("25")
        XCTAssertEqual(sheet.state.amountLabel, "$25.00")
    }

    func testDonateIsNotOfferedWhereDonatingIsClosed() async throws { try await Self._testDonateIsNotOfferedWhereDonatingIsClosed() }
    @MainActor private static func _testDonateIsNotOfferedWhereDonatingIsClosed() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let minor = try await open(server, "dev-donor-1", platform: .ios)
        defer { minor.close() }
        _ = try await minor.refreshFundraiser(id: f.fundraiser.id)
        let page = FundraiserViewModel(session: minor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        guard case .closed = gate(minor, .donate) else { return XCTFail("donating is open to this user") }
        XCTAssertFalse(page.state.canDonate)
        XCTAssertNil(page.donate())
        assertUserVisible(page.state.donateUnavailable)
    }
}

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class DonateViewModelTests: XCTestCase {
    func testAnAmountThatDoesNotParseIsExplainedInWords() async throws { try await Self._testAnAmountThatDoesNotParseIsExplainedInWords() }
    @MainActor private static func _testAnAmountThatDoesNotParseIsExplainedInWords() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("12.345")
        XCTAssertNil(sheet.state.amountLabel)
        assertUserVisible(sheet.state.amountError)
    }

    func testTwoTapsMakeOneDonation() async throws { try await Self._testTwoTapsMakeOneDonation() }
    @MainActor private static func _testTwoTapsMakeOneDonation() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("12")
        async let tap1 = sheet.confirm(paymentToken: "tok_ok")
        async let tap2 = sheet.confirm(paymentToken: "tok_ok")
        let taps = await [tap1, tap2]
        XCTAssertEqual(taps.filter { $0 }.count, 1, "one of two taps went through")
        guard case .queued(let queued) = sheet.state.result else { return XCTFail("not queued") }
        XCTAssertEqual(queued.id, sheet.donationId)
        XCTAssertFalse(sheet.state.canConfirm)
    }

    func testAQueuedDonationOfflineSaysItWillBeSentLater() async throws { try await Self._testAQueuedDonationOfflineSaysItWillBeSentLater() }
    @MainActor private static func _testAQueuedDonationOfflineSaysItWillBeSentLater() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("12")
        await sheet.confirm(paymentToken: "tok_ok")
        XCTAssertEqual(sheet.state.resultText, sheet.text.string("donate.queued.offline"))
        assertUserVisible(sheet.state.resultText)
        assertScreenReadable(sheet.state)
    }

    func testOverTheOfflineCapIsExplainedInWords() async throws { try await Self._testOverTheOfflineCapIsExplainedInWords() }
    @MainActor private static func _testOverTheOfflineCapIsExplainedInWords() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("250.01")
        await sheet.confirm(paymentToken: "tok_ok")
        XCTAssertEqual(sheet.state.result, .overOfflineLimit(.singleAmount))
        XCTAssertEqual(sheet.state.resultText, sheet.text.offlineCap(.singleAmount))
        XCTAssertTrue(sheet.state.canConfirm, "the donor may change the amount and try again")
    }
}

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class PendingDonationsViewModelTests: XCTestCase {
    func testOfflineRowsAreWaitingForNetwork() async throws { try await Self._testOfflineRowsAreWaitingForNetwork() }
    @MainActor private static func _testOfflineRowsAreWaitingForNetwork() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let pending = PendingDonationsViewModel(session: donor)
        _ = await donor.donate(donation(f, 2_500))
        try await eventually("one row") { pending.state.rows.count == 1 }
        try await eventually("waiting") { pending.state.waitingForNetwork }
        XCTAssertEqual(pending.state.rows.first?.amountLabel, "$25.00")
        XCTAssertEqual(pending.state.summary, "1 donation waiting to be sent")
        assertUserVisible(pending.state.rows.first?.stateLabel)
        assertScreenReadable(pending.state)
    }

    func testASyncEmptiesTheList() async throws { try await Self._testASyncEmptiesTheList() }
    @MainActor private static func _testASyncEmptiesTheList() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let pending = PendingDonationsViewModel(session: donor)
        _ = await donor.donate(donation(f, 2_500))
        try await eventually("one row") { pending.state.rows.count == 1 }
        donor.setOnline(true)
        _ = try await donor.syncNow()
        try await eventually("empty") { pending.state.rows.isEmpty }
        XCTAssertFalse(pending.state.waitingForNetwork)
        XCTAssertNil(pending.state.summary)
    }

    func testASignedOutSyncShowsTheSyncError() async throws { try await Self._testASignedOutSyncShowsTheSyncError() }
    @MainActor private static func _testASignedOutSyncShowsTheSyncError() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let first = try await open(server, "dev-donor-1")
        _ = try await first.refreshFundraiser(id: f.fundraiser.id)
        first.close()
        let signedOut = try await open(server, nil)
        defer { signedOut.close() }
        let pending = PendingDonationsViewModel(session: signedOut)
        _ = try? await signedOut.syncNow()
        try await eventually("sync error") { pending.state.syncFailed }
        guard case .signedOut? = pending.state.syncError else { return XCTFail("not signed out") }
        assertScreenReadable(pending.state)
        assertUserVisible(pending.state.syncErrorText)
    }

    func testOfflineThereIsNoSyncErrorOnlyTheOfflineState() async throws { try await Self._testOfflineThereIsNoSyncErrorOnlyTheOfflineState() }
    @MainActor private static func _testOfflineThereIsNoSyncErrorOnlyTheOfflineState() async throws {
        let server = try ReferenceServer()
        let signedOut = try await open(server, nil)
        defer { signedOut.close() }
        let pending = PendingDonationsViewModel(session: signedOut)
        _ = try? await signedOut.syncNow()
        try await eventually("sync error") { pending.state.syncFailed }
        signedOut.setOnline(false)
        try await eventually("offline") { !pending.state.online }
        XCTAssertNil(pending.state.syncError)
    }

    func testAListThatGoesAwayUnsubscribes() async throws { try await Self._testAListThatGoesAwayUnsubscribes() }
    @MainActor private static func _testAListThatGoesAwayUnsubscribes() async throws {
        let server = try ReferenceServer()
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        var pending: PendingDonationsViewModel? = PendingDonationsViewModel(session: donor)
        XCTAssertNotNil(pending)
        try await eventually("subscribed") { donor.hub.donations.subscriberCount == 1 && donor.hub.states.subscriberCount == 1 }
        pending = nil
        XCTAssertNil(pending)
        try await eventually("unsubscribed") { donor.hub.donations.subscriberCount == 0 && donor.hub.states.subscriberCount == 0 }
    }

    func testSpanishSessionsShowSpanishTexts() async throws { try await Self._testSpanishSessionsShowSpanishTexts() }
    @MainActor private static func _testSpanishSessionsShowSpanishTexts() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1", locale: "es-US")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let pending = PendingDonationsViewModel(session: donor)
        _ = await donor.donate(donation(f, 2_500))
        _ = await donor.donate(donation(f, 1_000))
        try await eventually("two rows") { pending.state.rows.count == 2 }
        XCTAssertEqual(pending.state.summary, "2 donaciones por enviar")
        XCTAssertEqual(pending.state.rows.first?.stateLabel, "Guardada, por enviar")
    }
}
