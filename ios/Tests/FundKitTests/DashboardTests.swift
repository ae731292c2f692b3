// The organiser's dashboard: the core's facts (organiserActions) in words, the actions, the
// title edit.
import Foundation
import XCTest
@testable import FundKit

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class DashboardTests: XCTestCase {
    /// A fundraiser with one anonymous $15 donation, and its organiser's dashboard.
    @MainActor private static func dashboard(_ server: ReferenceServer) async throws -> (OrganiserDashboardViewModel, FundKitSession) {
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        var gift = donation(f, 1_500)
        gift = DonationRequest(fundraiserId: gift.fundraiserId, amount: gift.amount, message: "Hang in there",
                               visibility: .anonymous, hideAmount: false, paymentToken: "tok_ok", id: nil)
        _ = await donor.donate(gift)
        _ = try await donor.syncNow()
        let organiser = try await open(server, "dev-organiser")
        _ = try await organiser.syncNow()
        let model = OrganiserDashboardViewModel(session: organiser, fundraiserId: f.fundraiser.id)
        try await eventually("loaded with the donation") { model.state.loaded && model.state.donations.count == 1 }
        return (model, organiser)
    }

    func testTheDashboardShowsDaysLeftRaisedAndDonors() async throws { try await Self._testTheDashboardShowsDaysLeftRaisedAndDonors() }
    @MainActor private static func _testTheDashboardShowsDaysLeftRaisedAndDonors() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        XCTAssertEqual(model.state.daysLeft, 30)
        XCTAssertEqual(model.state.daysLeftLabel, "30 days left")
        XCTAssertEqual(model.state.raisedLabel, "$15.00")
        XCTAssertEqual(model.state.donorsLabel, "1 donor")
        XCTAssertEqual(model.state.donations.first?.name, "Anonymous")
        XCTAssertEqual(model.state.donations.first?.message, "Hang in there")
        XCTAssertEqual(model.state.progress, 1_500.0 / 500_000.0, accuracy: 1e-9)
        assertScreenReadable(model.state)
    }

    func testTheActionsAreTheCoresFacts() async throws { try await Self._testTheActionsAreTheCoresFacts() }
    @MainActor private static func _testTheActionsAreTheCoresFacts() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        XCTAssertTrue(model.state.canEdit)
        XCTAssertTrue(model.state.canExtend)
        XCTAssertTrue(model.state.canEnd)
        XCTAssertFalse(model.state.busy)
    }

    func testExtendingStopsAtNinetyDaysInAll() async throws { try await Self._testExtendingStopsAtNinetyDaysInAll() }
    @MainActor private static func _testExtendingStopsAtNinetyDaysInAll() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        await model.extend()
        await model.extend()
        XCTAssertEqual(model.state.daysLeft, 90)
        XCTAssertFalse(model.state.canExtend, "90 days in all")
    }

    func testAGoalBelowWhatWasRaisedIsRefusedByField() async throws { try await Self._testAGoalBelowWhatWasRaisedIsRefusedByField() }
    @MainActor private static func _testAGoalBelowWhatWasRaisedIsRefusedByField() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        await model.edit(FundraiserEdit(title: nil, story: nil, category: nil, goal: Money(minorUnits: 1_000, currency: "USD")))
        XCTAssertEqual(model.state.issues["goal"], [.belowMinimum, .belowRaised])
        assertUserVisible(model.issueText("goal"))
    }

    func testTheTitleIsEditedFromTheDashboard() async throws { try await Self._testTheTitleIsEditedFromTheDashboard() }
    @MainActor private static func _testTheTitleIsEditedFromTheDashboard() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        XCTAssertEqual(model.state.titleDraft, "Flood relief US")
        model.titleChanged("Flood relief for the Smiths")
        await model.saveTitle()
        XCTAssertEqual(model.state.title, "Flood relief for the Smiths")
        XCTAssertTrue(model.state.issues.isEmpty)
    }

    func testAnEmptyTitleIsRefusedInWords() async throws { try await Self._testAnEmptyTitleIsRefusedInWords() }
    @MainActor private static func _testAnEmptyTitleIsRefusedInWords() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        model.titleChanged("  ")
        await model.saveTitle()
        XCTAssertEqual(model.state.issues["title"], [.required])
        XCTAssertEqual(model.state.title, "Flood relief US")
        assertUserVisible(model.issueText("title"))
    }

    func testEndingMakesItFinal() async throws { try await Self._testEndingMakesItFinal() }
    @MainActor private static func _testEndingMakesItFinal() async throws {
        let server = try ReferenceServer()
        let (model, organiser) = try await Self.dashboard(server)
        defer { organiser.close() }
        await model.end()
        XCTAssertEqual(model.state.state, .ended)
        XCTAssertFalse(model.state.canEnd)
        XCTAssertFalse(model.state.canEdit)
        XCTAssertNil(model.state.daysLeftLabel)
        XCTAssertEqual(model.state.stateLabel, "Ended")
    }
}
