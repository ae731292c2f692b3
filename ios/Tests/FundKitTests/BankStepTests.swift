// The bank step against the reference server's bank page (POST /v1/bank/{challenge}): the
// outcome is learnt through sync; the donor may try again.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import FundKit

/// Plays the donor on the bank's page: each visit answers "complete", "fail", or closes the
/// page (nil) without answering.
@MainActor
final class ScriptedBank: BankPagePresenter {
    private var visits: [String?]
    private(set) var opened: [URL] = []

    init(_ visits: [String?]) { self.visits = visits }

    func present(url: URL) async -> BankPageResult {
        opened.append(url)
        guard let answer = visits.removeFirst() else { return .closedByDonor }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("{\"result\":\"\(answer)\"}".utf8)
        _ = try? await URLSession.shared.data(for: request)
        return .finished
    }
}

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class BankStepTests: XCTestCase {
    /// A donation the bank wants the donor to confirm, as the donor's device knows it.
    private static func needingAction(_ server: ReferenceServer) async throws -> (Donation, FundKitSession) {
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        guard case .queued(let queued) = await donor.donate(donation(f, 2_000, token: "tok_needs_action")) else {
            throw Failure("not queued")
        }
        let report = try await donor.syncNow()
        XCTAssertEqual(report.needsAction, 1)
        guard let d = try await donor.donation(id: queued.id), d.state == .needsAction, d.actionUrl != nil else {
            throw Failure("no bank step")
        }
        return (d, donor)
    }

    func testCompletingTheBankStepConfirmsTheDonation() async throws { try await Self._testCompletingTheBankStepConfirmsTheDonation() }
    @MainActor private static func _testCompletingTheBankStepConfirmsTheDonation() async throws {
        let server = try ReferenceServer()
        let (d, donor) = try await Self.needingAction(server)
        defer { donor.close() }
        let bank = ScriptedBank(["complete"])
        let step = BankStepViewModel(session: donor, donation: d, presenter: bank)
        XCTAssertTrue(step.canStart)
        await step.start()
        XCTAssertEqual(step.phase, .confirmed)
        XCTAssertEqual(bank.opened.map(\.absoluteString), [d.actionUrl])
        let after = try await donor.donation(id: d.id)
        XCTAssertEqual(after?.state, .confirmed)
        assertUserVisible(step.message)
    }

    func testAFailedBankStepRejectsTheDonationInWords() async throws { try await Self._testAFailedBankStepRejectsTheDonationInWords() }
    @MainActor private static func _testAFailedBankStepRejectsTheDonationInWords() async throws {
        let server = try ReferenceServer()
        let (d, donor) = try await Self.needingAction(server)
        defer { donor.close() }
        let step = BankStepViewModel(session: donor, donation: d, presenter: ScriptedBank(["fail"]))
        await step.start()
        XCTAssertEqual(step.phase, .rejected(reason: "authentication_failed"))
        XCTAssertFalse(step.canStart)
        XCTAssertEqual(step.message, step.text.reason("authentication_failed"))
        assertUserVisible(step.message)
    }

    func testClosingTheBankPageLetsTheDonorTryAgain() async throws { try await Self._testClosingTheBankPageLetsTheDonorTryAgain() }
    @MainActor private static func _testClosingTheBankPageLetsTheDonorTryAgain() async throws {
        let server = try ReferenceServer()
        let (d, donor) = try await Self.needingAction(server)
        defer { donor.close() }
        let step = BankStepViewModel(session: donor, donation: d, presenter: ScriptedBank([nil, "complete"]))
        await step.start()
        XCTAssertEqual(step.phase, .abandoned)
        XCTAssertTrue(step.canStart)
        await step.start()
        XCTAssertEqual(step.phase, .confirmed)
        XCTAssertEqual(step.attempts, 2)
    }

    func testADonationWithoutABankPageCannotStart() async throws { try await Self._testADonationWithoutABankPageCannotStart() }
    @MainActor private static func _testADonationWithoutABankPageCannotStart() async throws {
        let server = try ReferenceServer()
        let (d, donor) = try await Self.needingAction(server)
        defer { donor.close() }
        let bare = Donation(id: d.id, fundraiserId: d.fundraiserId, amount: d.amount, message: nil, visibility: d.visibility,
                            hideAmount: d.hideAmount, state: d.state, reason: d.reason, seq: d.seq, createdAtMs: d.createdAtMs,
                            updatedAtMs: d.updatedAtMs, receivedAtMs: d.receivedAtMs, actionUrl: nil, donorPays: d.donorPays,
                            coverFee: d.coverFee, giftAid: d.giftAid, source: d.source)
        let step = BankStepViewModel(session: donor, donation: bare, presenter: ScriptedBank([]))
        XCTAssertFalse(step.canStart)
        let started = await step.start()
        XCTAssertFalse(started)
        XCTAssertEqual(step.phase, .ready)
    }
}
