// Screen logic in plain Swift, mirroring the Kotlin presenters: no UIKit or SwiftUI, so the
// Linux tests drive it against the real core and the real reference server. Each view model
// holds what its screen shows and publishes every change on `states()`; SwiftUI views
// (Views.swift) render it. Every rule is asked of the core.
import Foundation

/// A value that publishes its changes to any number of AsyncStreams.
public final class StateStream<State: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State
    private let broadcast = Broadcast<State>()

    init(_ initial: State) { state = initial }

    public var value: State {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    func update(_ change: (inout State) -> Void) {
        lock.lock()
        change(&state)
        let now = state
        lock.unlock()
        broadcast.send(now)
    }

    /// The current state first, then every change.
    public func states() -> AsyncStream<State> { broadcast.subscribe(first: value) }
}

private func byField(_ issues: [ValidationIssue]) -> [String: [IssueCode]] {
    Dictionary(grouping: issues, by: \.field).mapValues { $0.map(\.code) }
}

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
    public var issues: [String: [IssueCode]] = [:]
    public var submitting = false
    public var created: FundraiserView?
    public var error: String?
}

public final class CreateFundraiserViewModel: @unchecked Sendable {
    public let state = StateStream(CreateFormState())
    private let session: FundKitSession
    private let country: String
    private let currency: String

    public init(session: FundKitSession, country: String, currency: String) {
        self.session = session
        self.country = country
        self.currency = currency
    }

    public func edit(_ change: (inout CreateFormState) -> Void) { state.update(change) }

    /// Validates in the core (every issue at once) and, if clean, creates on the server.
    public func submit() async {
        let form = state.value
        let goal = try? session.parseAmount(form.goalText, currency: currency)
        let draft = FundraiserDraft(kind: .personalCause(beneficiary: .myself), category: form.category, title: form.title,
                                    story: form.story, goal: goal ?? Money(minorUnits: 0, currency: currency), country: country)
        var issues = byField(session.validateDraft(draft))
        if goal == nil { issues["goal"] = [.required] }
        guard issues.isEmpty else { return state.update { $0.issues = issues } }
        state.update { $0.issues = [:]; $0.submitting = true; $0.error = nil }
        let outcome = await session.createFundraiser(draft)
        state.update { s in
            s.submitting = false
            switch outcome {
            case .done(let created): s.created = created
            case .invalid(let issues): s.issues = byField(issues)
            case .unavailable(let reason): s.error = "unavailable: \(reason)"
            case .offline: s.error = "You're offline. Try again when connected."
            case .failed(let error): s.error = "\(error)"
            }
        }
    }
}

// MARK: - Fundraiser page

public struct FundraiserScreenState: Equatable, Sendable {
    public var title = ""
    /// Confirmed + the donor's pending, formatted by the core.
    public var raisedLabel = ""
    public var goalLabel = ""
    public var pendingLabel: String?
    /// 0...1 for the progress bar: a display ratio, never money.
    public var progress: Double = 0
    public var loaded = false
}

public final class FundraiserViewModel: @unchecked Sendable {
    public let state = StateStream(FundraiserScreenState())
    private var task: Task<Void, Never>?

    public init(session: FundKitSession, fundraiserId: String) {
        let state = self.state
        task = Task.detached {
            for await view in session.fundraiser(id: fundraiserId) {
                guard let view else { continue }
                let goal = view.fundraiser.goal.minorUnits
                let next = FundraiserScreenState(
                    title: view.fundraiser.title,
                    raisedLabel: session.formatAmount(view.displayedTotal),
                    goalLabel: session.formatAmount(view.fundraiser.goal),
                    pendingLabel: view.pendingCount > 0 ? "\(session.formatAmount(view.pendingTotal)) pending" : nil,
                    progress: goal > 0 ? min(1, max(0, Double(view.displayedTotal.minorUnits) / Double(goal))) : 0,
                    loaded: true)
                state.update { $0 = next }
            }
        }
    }

    deinit { task?.cancel() }
}

// MARK: - Donate sheet

public struct DonateSheetState: Equatable, Sendable {
    public var amountText = ""
    public var amountLabel: String?
    public var amountError: String?
    public var message = ""
    public var visibility: Visibility = .public
    public var hideAmount = false
    public var issues: [String: [IssueCode]] = [:]
    public var result: DonateOutcome?
    /// A confirm is on its way: the button is disabled.
    public var submitting = false

    /// Confirm can be pressed: not while one is in flight, not after the donation is queued.
    public var canConfirm: Bool {
        if submitting { return false }
        if case .queued = result { return false }
        return true
    }
}

public final class DonateViewModel: @unchecked Sendable {
    public let state = StateStream(DonateSheetState())
    /// Made when the sheet opens: every confirm of this sheet is the same donation.
    public let donationId = FundKitSession.newDonationId()
    private let session: FundKitSession
    private let fundraiser: FundraiserView
    private var currency: String { fundraiser.fundraiser.goal.currency }

    public init(session: FundKitSession, fundraiser: FundraiserView) {
        self.session = session
        self.fundraiser = fundraiser
    }

    public func amountChanged(_ text: String) {
        do {
            let money = try session.parseAmount(text, currency: currency)
            state.update { $0.amountText = text; $0.amountLabel = self.session.formatAmount(money); $0.amountError = nil }
        } catch {
            state.update { $0.amountText = text; $0.amountLabel = nil; $0.amountError = "\(error)" }
        }
    }

    public func edit(_ change: (inout DonateSheetState) -> Void) { state.update(change) }

    /// `paymentToken` comes from Apple Pay's sheet. A second tap while the first is in
    /// flight, or after the donation is queued, returns false and does nothing; even past
    /// this guard, the sheet's `donationId` makes the core return the first donation.
    @discardableResult
    public func confirm(paymentToken: String) async -> Bool {
        var accepted = false
        state.update { s in
            guard s.canConfirm else { return }
            s.submitting = true
            accepted = true
        }
        guard accepted else { return false }
        let form = state.value
        guard let amount = try? session.parseAmount(form.amountText, currency: currency) else {
            state.update { $0.amountError = "not an amount"; $0.submitting = false }
            return true
        }
        let request = DonationRequest(fundraiserId: fundraiser.fundraiser.id, amount: amount,
                                      message: form.message.isEmpty ? nil : form.message, visibility: form.visibility,
                                      hideAmount: form.hideAmount, paymentToken: paymentToken, id: donationId)
        let outcome = await session.donate(request)
        state.update { s in
            s.result = outcome
            s.submitting = false
            if case .invalid(let issues) = outcome { s.issues = byField(issues) } else { s.issues = [:] }
        }
        return true
    }
}

// MARK: - Pending list

public struct PendingRow: Equatable, Sendable {
    public let id: String
    public let amountLabel: String
    public let state: DonationState
    public let reason: String?
}

public struct PendingListState: Equatable, Sendable {
    public var rows: [PendingRow] = []
    public var online = true
    public var waitingForNetwork = false
}

public final class PendingDonationsViewModel: @unchecked Sendable {
    public let state = StateStream(PendingListState())
    private var tasks: [Task<Void, Never>] = []

    public init(session: FundKitSession) {
        let state = self.state
        tasks.append(Task.detached {
            for await rows in session.pendingDonations() {
                let mapped = rows.map { PendingRow(id: $0.id, amountLabel: session.formatAmount($0.amount), state: $0.state, reason: $0.reason) }
                state.update { $0.rows = mapped; $0.waitingForNetwork = !$0.online && !mapped.isEmpty }
            }
        })
        tasks.append(Task.detached {
            for await sync in session.syncStates() {
                state.update { $0.online = sync.online; $0.waitingForNetwork = !sync.online && !$0.rows.isEmpty }
            }
        })
    }

    deinit { tasks.forEach { $0.cancel() } }
}

// MARK: - Organiser dashboard

public struct DonorRow: Equatable, Sendable {
    public let id: String
    public let name: String
    public let amountLabel: String
}

public struct OrganiserDashboardState: Equatable, Sendable {
    public var title = ""
    public var state: FundraiserState?
    public var daysLeft = 0
    public var raisedLabel = ""
    public var goalLabel = ""
    public var donorCount: UInt64 = 0
    public var donations: [DonorRow] = []
    public var removalReason: String?
    public var canExtend = false
    public var canEnd = false
    public var issues: [String: [IssueCode]] = [:]
    public var error: String?
    public var loaded = false
}

public final class OrganiserDashboardViewModel: @unchecked Sendable {
    public let state = StateStream(OrganiserDashboardState())
    private let session: FundKitSession
    private let fundraiserId: String
    private let now: @Sendable () -> Int64
    private var task: Task<Void, Never>?

    public init(session: FundKitSession, fundraiserId: String,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.session = session
        self.fundraiserId = fundraiserId
        self.now = now
        task = Task.detached { [weak self] in
            for await view in session.fundraiser(id: fundraiserId) {
                guard let view else { continue }
                await self?.render(view)
            }
        }
    }

    deinit { task?.cancel() }

    private func render(_ view: FundraiserView) async {
        let f = view.fundraiser
        let donors = try? await session.organiserDonations(fundraiserId: fundraiserId)
        let running = f.state == .active
        let left = f.endsAtMs - now()
        let rows = (donors?.donations ?? []).map { d in
            DonorRow(id: d.id, name: d.donorName ?? "Anonymous", amountLabel: d.amount.map(session.formatAmount) ?? "Amount hidden")
        }
        state.update { s in
            s.title = f.title
            s.state = f.state
            s.daysLeft = running && left > 0 ? Int((left + 86_399_999) / 86_400_000) : 0
            s.raisedLabel = session.formatAmount(f.confirmedTotal)
            s.goalLabel = session.formatAmount(f.goal)
            s.donorCount = donors?.donorCount ?? 0
            s.donations = rows
            s.removalReason = f.removalReason
            s.canExtend = running && f.durationDays + 30 <= 90
            s.canEnd = running
            s.loaded = true
        }
    }

    public func extend() async { await act { await $0.extendFundraiser(id: self.fundraiserId) } }
    public func end() async { await act { await $0.endFundraiser(id: self.fundraiserId) } }
    public func edit(_ edit: FundraiserEdit) async { await act { await $0.editFundraiser(id: self.fundraiserId, edit: edit) } }

    private func act(_ call: (FundKitSession) async -> OrganiserOutcome) async {
        state.update { $0.issues = [:]; $0.error = nil }
        switch await call(session) {
        case .done(let view): await render(view)
        case .invalid(let issues): state.update { $0.issues = byField(issues) }
        case .unavailable(let reason): state.update { $0.error = "unavailable: \(reason)" }
        case .offline: state.update { $0.error = "You're offline. Try again when connected." }
        case .failed(let error): state.update { $0.error = "\(error)" }
        }
    }
}
