// Screen logic in plain Swift, mirroring the Kotlin presenters
// (android/fundkit/src/main/kotlin/dev/fundkit/ktx/screens/Presenters.kt): no UIKit or
// SwiftUI, so the Linux tests drive it against the real core and the real reference server.
// Each view model is @MainActor and @Observable: SwiftUI (Views.swift) reads `state` and
// re-renders when it changes; tests read it on the main actor. Every rule is asked of the
// core; every text the user reads comes from the String Catalog (Localizer).
import Foundation
import Observation

private func byField(_ issues: [ValidationIssue]) -> [String: [IssueCode]] {
    Dictionary(grouping: issues, by: \.field).mapValues { $0.map(\.code) }
}

/// Cancels a view model's feeding tasks when the view model goes away (it is released with
/// the view model; the tasks hold the view model weakly).
final class Lifetime: Sendable {
    private let tasks: [Task<Void, Never>]
    init(_ tasks: [Task<Void, Never>]) { self.tasks = tasks }
    deinit { for task in tasks { task.cancel() } }
}

@usableFromInline func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

// MARK: - Gate

public enum GateState: Equatable, Sendable {
    case open
    case closed(UnavailableReason)
}

public func gate(_ session: FundKitSession, _ action: Action) -> GateState {
    switch session.availability(action) {
    case .available: return .open
    case .unavailable(let reason): return .closed(reason)
    }
}

// MARK: - Create

public struct CreateFormState: Equatable, Sendable {
    public var title = ""
    public var story = ""
    public var goalText = ""
    public var category: Category = .community
    public var kind: FundraiserKind = .personalCause(beneficiary: .myself)
    public var issues: [String: [IssueCode]] = [:]
    public var submitting = false
    public var created: FundraiserView?
    /// Localized, for the user.
    public var error: String?
}

@MainActor @Observable
public final class CreateFundraiserViewModel {
    public private(set) var state = CreateFormState()
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private let country: String
    @ObservationIgnored private let currency: String
    @ObservationIgnored public let text: Localizer

    /// `currency` defaults to the country's, as the core says (`currencyForCountry`).
    public init(session: FundKitSession, country: String, currency: String? = nil) {
        self.session = session
        self.country = country
        self.currency = currency ?? currencyForCountry(country: country) ?? "USD"
        text = Localizer(locale: session.locale)
    }

    public func edit(_ change: (inout CreateFormState) -> Void) { change(&state) }

    /// The issues of a field, in words.
    public func issueText(_ field: String) -> String? { state.issues[field].map(text.issues) }

    /// Validates in the core (every issue at once) and, if clean, creates on the server.
    public func submit() async {
        let form = state
        let goal = try? session.parseAmount(form.goalText, currency: currency)
        let draft = FundraiserDraft(kind: form.kind, category: form.category, title: form.title,
                                    story: form.story, goal: goal ?? Money(minorUnits: 0, currency: currency), country: country)
        var issues = byField(session.validateDraft(draft))
        if goal == nil { issues["goal"] = [.required] }
        guard issues.isEmpty else {
            state.issues = issues
            return
        }
        state.issues = [:]
        state.submitting = true
        state.error = nil
        let outcome = await session.createFundraiser(draft)
        state.submitting = false
        switch outcome {
        case .done(let created): state.created = created
        case .invalid(let issues): state.issues = byField(issues)
        case .unavailable(let reason): state.error = text.unavailable(reason)
        case .offline: state.error = text.string("error.offline")
        case .failed(let error): state.error = text.error(error)
        }
    }
}

// MARK: - Fundraiser page

public struct FundraiserScreenState: Equatable, Sendable {
    public var title = ""
    /// Confirmed + the donor's pending, formatted by the core.
    public var raisedLabel = ""
    public var goalLabel = ""
    /// "€12.00 pending", localized.
    public var pendingLabel: String?
    /// 0...1 for the progress bar: a display ratio, never money.
    public var progress: Double = 0
    public var online = true
    public var syncing = false
    /// Shown while offline: donations are kept and sent later.
    public var offlineBanner: String?
    /// The Donate button: open to this user here and the fundraiser is running (the core
    /// still checks everything when the donation is made).
    public var canDonate = false
    /// Why Donate is not offered to this user here, in words.
    public var donateUnavailable: String?
    public var loaded = false
}

@MainActor @Observable
public final class FundraiserViewModel {
    public private(set) var state = FundraiserScreenState()
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private var view: FundraiserView?
    @ObservationIgnored private var lifetime: Lifetime?

    public init(session: FundKitSession, fundraiserId: String) {
        self.session = session
        text = Localizer(locale: session.locale)
        let views = session.fundraiser(id: fundraiserId)
        let states = session.syncStates()
        lifetime = Lifetime([
            Task { [weak self] in
                for await view in views {
                    guard let self else { return }
                    if let view { self.render(view) }
                }
            },
            Task { [weak self] in
                for await sync in states {
                    guard let self else { return }
                    self.state.online = sync.online
                    self.state.syncing = sync.syncing
                    self.state.offlineBanner = sync.online ? nil : self.text.string("offline.banner")
                }
            },
        ])
    }

    private func render(_ view: FundraiserView) {
        self.view = view
        let goal = view.fundraiser.goal.minorUnits
        state.title = view.fundraiser.title
        state.raisedLabel = session.formatAmount(view.displayedTotal)
        state.goalLabel = session.formatAmount(view.fundraiser.goal)
        state.pendingLabel = view.pendingCount > 0 ? text.pending(session.formatAmount(view.pendingTotal)) : nil
        state.progress = goal > 0 ? min(1, max(0, Double(view.displayedTotal.minorUnits) / Double(goal))) : 0
        switch gate(session, .donate) {
        case .open:
            state.canDonate = view.fundraiser.state == .active
            state.donateUnavailable = nil
        case .closed(let reason):
            state.canDonate = false
            state.donateUnavailable = text.unavailable(reason)
        }
        state.loaded = true
    }

    /// The Donate button's sheet, with a fresh donation id; nil while Donate is not offered.
    public func donate() -> DonateViewModel? {
        guard state.canDonate, let view else { return nil }
        return DonateViewModel(session: session, fundraiser: view)
    }
}

// MARK: - Donate sheet

public struct DonateSheetState: Equatable, Sendable {
    public var amountText = ""
    public var amountLabel: String?
    /// Localized.
    public var amountError: String?
    public var message = ""
    public var visibility: Visibility = .public
    public var hideAmount = false
    public var issues: [String: [IssueCode]] = [:]
    public var result: DonateOutcome?
    /// The result in words.
    public var resultText: String?
    /// A confirm is on its way: the button is disabled.
    public var submitting = false

    /// Confirm can be pressed: not while one is in flight, not after the donation is queued.
    public var canConfirm: Bool {
        if submitting { return false }
        if case .queued = result { return false }
        return true
    }
}

@MainActor @Observable
public final class DonateViewModel {
    public private(set) var state = DonateSheetState()
    /// Made when the sheet opens: every confirm of this sheet is the same donation.
    @ObservationIgnored public let donationId = FundKitSession.newDonationId()
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private let fundraiser: FundraiserView
    private var currency: String { fundraiser.fundraiser.goal.currency }

    public init(session: FundKitSession, fundraiser: FundraiserView) {
        self.session = session
        self.fundraiser = fundraiser
        text = Localizer(locale: session.locale)
    }

    public func amountChanged(_ input: String) {
        state.amountText = input
        do {
            let money = try session.parseAmount(input, currency: currency)
            state.amountLabel = session.formatAmount(money)
            state.amountError = nil
        } catch {
            state.amountLabel = nil
            state.amountError = text.error(error)
        }
    }

    public func edit(_ change: (inout DonateSheetState) -> Void) { change(&state) }

    /// The issues of a field, in words.
    public func issueText(_ field: String) -> String? { state.issues[field].map(text.issues) }

    /// `paymentToken` comes from Apple Pay's sheet. A second tap while the first is in
    /// flight, or after the donation is queued, returns false and does nothing; even past
    /// this guard, the sheet's `donationId` makes the core return the first donation.
    @discardableResult
    public func confirm(paymentToken: String) async -> Bool {
        guard state.canConfirm else { return false }
        state.submitting = true
        let form = state
        let amount: Money
        do {
            amount = try session.parseAmount(form.amountText, currency: currency)
        } catch {
            state.amountError = text.error(error)
            state.submitting = false
            return true
        }
        let request = DonationRequest(fundraiserId: fundraiser.fundraiser.id, amount: amount,
                                      message: form.message.isEmpty ? nil : form.message, visibility: form.visibility,
                                      hideAmount: form.hideAmount, paymentToken: paymentToken, id: donationId)
        let outcome = await session.donate(request)
        state.result = outcome
        state.submitting = false
        if case .invalid(let issues) = outcome { state.issues = byField(issues) } else { state.issues = [:] }
        state.resultText = describe(outcome)
        return true
    }

    private func describe(_ outcome: DonateOutcome) -> String {
        switch outcome {
        case .queued: return text.string(session.syncState().online ? "donate.queued.online" : "donate.queued.offline")
        case .invalid: return text.string("error.validation")
        case .unavailable(let reason): return text.unavailable(reason)
        case .overOfflineLimit(let cap): return text.offlineCap(cap)
        case .outOfSpace: return text.string("error.out_of_space")
        case .cancelled: return text.string("donate.cancelled")
        case .failed(let error): return text.error(error)
        }
    }
}

// MARK: - Pending list

public struct PendingRow: Equatable, Sendable {
    public let id: String
    public let amountLabel: String
    public let state: DonationState
    /// The state in words.
    public let stateLabel: String
    /// The machine reason (`declined`…), for logic; `reasonText` is for people.
    public let reason: String?
    public let reasonText: String?
}

public struct PendingListState: Equatable, Sendable {
    public var rows: [PendingRow] = []
    public var online = true
    public var waitingForNetwork = false
    /// Why the last sync pass failed, typed (signed out, refused…); nil offline (the offline
    /// state says it) or once a pass succeeds.
    public var syncError: SyncProblem?
    public var syncErrorText: String?
    /// "2 donations waiting to be sent", localized; nil when none.
    public var summary: String?

    public var syncFailed: Bool { syncError != nil }
}

@MainActor @Observable
public final class PendingDonationsViewModel {
    public private(set) var state = PendingListState()
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private var lifetime: Lifetime?

    public init(session: FundKitSession) {
        self.session = session
        text = Localizer(locale: session.locale)
        let rows = session.pendingDonations()
        let states = session.syncStates()
        lifetime = Lifetime([
            Task { [weak self] in
                for await donations in rows {
                    guard let self else { return }
                    self.state.rows = donations.map(self.row)
                    self.state.summary = donations.isEmpty ? nil : self.text.string("pending.count %lld", .count(Int64(donations.count)))
                    self.state.waitingForNetwork = !self.state.online && !donations.isEmpty
                }
            },
            Task { [weak self] in
                for await sync in states {
                    guard let self else { return }
                    self.state.online = sync.online
                    self.state.waitingForNetwork = !sync.online && !self.state.rows.isEmpty
                    self.state.syncError = sync.online ? sync.lastError : nil
                    self.state.syncErrorText = self.state.syncError.map(self.text.syncProblem)
                }
            },
        ])
    }

    private func row(_ d: Donation) -> PendingRow {
        PendingRow(id: d.id, amountLabel: session.formatAmount(d.amount), state: d.state, stateLabel: text.donationState(d.state),
                   reason: d.reason, reasonText: d.reason.map(text.reason))
    }
}

// MARK: - Organiser dashboard

public struct DonorRow: Equatable, Sendable {
    public let id: String
    public let name: String
    public let amountLabel: String
    public let message: String?
}

public struct OrganiserDashboardState: Equatable, Sendable {
    public var title = ""
    /// The title as the organiser is typing it (the title edit).
    public var titleDraft = ""
    public var state: FundraiserState?
    public var stateLabel = ""
    public var daysLeft = 0
    public var daysLeftLabel: String?
    public var raisedLabel = ""
    public var goalLabel = ""
    /// 0...1 for the progress bar: a display ratio, never money.
    public var progress: Double = 0
    public var donorCount: UInt64 = 0
    public var donorsLabel = ""
    public var donations: [DonorRow] = []
    /// Why the reviewers removed it, shown to its organiser only.
    public var removalReason: String?
    public var canEdit = false
    public var canExtend = false
    public var canEnd = false
    /// The core's issues of the last action, by field.
    public var issues: [String: [IssueCode]] = [:]
    public var busy = false
    /// Localized.
    public var error: String?
    public var loaded = false
}

@MainActor @Observable
public final class OrganiserDashboardViewModel {
    public private(set) var state = OrganiserDashboardState()
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private let fundraiserId: String
    @ObservationIgnored private let now: @Sendable () -> Int64
    @ObservationIgnored private var lifetime: Lifetime?

    public init(session: FundKitSession, fundraiserId: String, now: @escaping @Sendable () -> Int64 = { nowMs() }) {
        self.session = session
        self.fundraiserId = fundraiserId
        self.now = now
        text = Localizer(locale: session.locale)
        let views = session.fundraiser(id: fundraiserId)
        lifetime = Lifetime([
            Task { [weak self] in
                for await view in views {
                    guard let self else { return }
                    if let view { await self.render(view) }
                }
            },
        ])
    }

    private func render(_ view: FundraiserView) async {
        let f = view.fundraiser
        let donors = try? await session.organiserDonations(fundraiserId: fundraiserId)
        let actions = session.organiserActions(f, nowMs: now())
        let goal = f.goal.minorUnits
        if state.titleDraft.isEmpty || state.titleDraft == state.title { state.titleDraft = f.title }
        state.title = f.title
        state.state = f.state
        state.stateLabel = text.fundraiserState(f.state)
        state.daysLeft = Int(actions.daysLeft)
        state.daysLeftLabel = f.state == .active ? text.daysLeft(Int(actions.daysLeft)) : nil
        state.raisedLabel = session.formatAmount(f.confirmedTotal)
        state.goalLabel = session.formatAmount(f.goal)
        state.progress = goal > 0 ? min(1, max(0, Double(f.confirmedTotal.minorUnits) / Double(goal))) : 0
        state.donorCount = donors?.donorCount ?? 0
        state.donorsLabel = text.donors(state.donorCount)
        state.donations = (donors?.donations ?? []).map { d in
            DonorRow(id: d.id, name: d.donorName ?? text.string("donor.anonymous"),
                     amountLabel: d.amount.map(session.formatAmount) ?? text.string("amount.hidden"), message: d.message)
        }
        state.removalReason = f.removalReason
        state.canEdit = actions.canEdit
        state.canExtend = actions.canExtend
        state.canEnd = actions.canEnd
        state.loaded = true
    }

    /// The title as typed in the dashboard's title field.
    public func titleChanged(_ title: String) { state.titleDraft = title }

    /// Sends the typed title (the core validates it first on the server's rules).
    public func saveTitle() async {
        await edit(FundraiserEdit(title: state.titleDraft, story: nil, category: nil, goal: nil))
    }

    public func extend() async { await act { await $0.extendFundraiser(id: $1) } }
    public func end() async { await act { await $0.endFundraiser(id: $1) } }
    public func edit(_ edit: FundraiserEdit) async { await act { await $0.editFundraiser(id: $1, edit: edit) } }

    /// The issues of a field of the last action, in words.
    public func issueText(_ field: String) -> String? { state.issues[field].map(text.issues) }

    private func act(_ call: (FundKitSession, String) async -> OrganiserOutcome) async {
        state.busy = true
        state.issues = [:]
        state.error = nil
        switch await call(session, fundraiserId) {
        case .done(let view): await render(view)
        case .invalid(let issues): state.issues = byField(issues)
        case .unavailable(let reason): state.error = text.unavailable(reason)
        case .offline: state.error = text.string("error.offline")
        case .failed(let error): state.error = text.error(error)
        }
        state.busy = false
    }
}
