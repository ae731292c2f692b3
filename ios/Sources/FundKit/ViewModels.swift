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

/// Who a fundraiser raises for, as the create form offers it.
public enum KindChoice: String, CaseIterable, Identifiable, Sendable {
    case myself, someoneElse, business, nonprofit
    public var id: String { rawValue }
}

public struct CreateFormState: Equatable, Sendable {
    public var title = ""
    public var story = ""
    public var goalText = ""
    public var category: Category = .community
    public var kind: FundraiserKind = .personalCause(beneficiary: .myself)
    /// The registered charity a nonprofit in the UK raises for (Gift Aid for its UK
    /// donors); sent only where the core says a charity goes (`offersCharity`).
    public var charityName = ""
    public var charityNumber = ""
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

    /// The kind picked in the form.
    public var kindChoice: KindChoice {
        switch state.kind {
        case .personalCause(.myself): return .myself
        case .personalCause: return .someoneElse
        case .businessProject: return .business
        case .nonprofit: return .nonprofit
        }
    }

    public func choose(_ kind: KindChoice) {
        switch kind {
        case .myself: state.kind = .personalCause(beneficiary: .myself)
        case .someoneElse: state.kind = .personalCause(beneficiary: .someoneElse)
        case .business: state.kind = .businessProject
        case .nonprofit: if case .nonprofit = state.kind {} else { state.kind = .nonprofit(nonprofitId: "") }
        }
    }

    /// The nonprofit's id (the payments partner's), while the kind is a nonprofit.
    public var nonprofitId: String {
        if case .nonprofit(let id) = state.kind { return id }
        return ""
    }

    public func nonprofitIdChanged(_ id: String) { state.kind = .nonprofit(nonprofitId: id) }

    /// The form offers the charity's name and number: the core says a charity goes with
    /// this kind of fundraiser in this country (a nonprofit in the UK).
    public var offersCharity: Bool {
        !validateCharity(charity: Charity(name: "", number: ""), kind: state.kind, country: country)
            .contains { $0.field == "charity" && $0.code == .giftAidNotAvailable }
    }

    /// The charity as typed, if the form offers one and something was typed.
    private func charity(_ form: CreateFormState) -> Charity? {
        guard offersCharity else { return nil }
        let blank = { (s: String) in s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if blank(form.charityName) && blank(form.charityNumber) { return nil }
        return Charity(name: form.charityName, number: form.charityNumber)
    }

    /// The issues of a field, in words.
    public func issueText(_ field: String) -> String? { state.issues[field].map(text.issues) }

    /// Validates in the core (every issue at once) and, if clean, creates on the server.
    public func submit() async {
        let form = state
        let goal = try? session.parseAmount(form.goalText, currency: currency)
        let draft = FundraiserDraft(kind: form.kind, category: form.category, title: form.title,
                                    story: form.story, goal: goal ?? Money(minorUnits: 0, currency: currency), country: country,
                                    charity: charity(form))
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
    /// "Raising for Save the Rivers, registered charity 1234567", when it has one.
    public var charityLabel: String?
    /// The https link the Share button shares (the core's `shareLinks(...).web`).
    public var shareURL: String?
    /// The Share button's spoken label ("Share the fundraiser Flood relief").
    public var shareAccessibilityLabel: String?
    public var loaded = false
}

@MainActor @Observable
public final class FundraiserViewModel {
    public private(set) var state = FundraiserScreenState()
    /// The open donate sheet: held here, not by the view, so that re-creating the view keeps
    /// the same sheet, and so the same donation id, until the donor closes it.
    public private(set) var sheet: DonateViewModel?
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored public let fundraiserId: String
    /// Where the donor came from (the link this page was opened from), passed to the donation.
    @ObservationIgnored public let source: DonationSource?
    @ObservationIgnored private var view: FundraiserView?
    @ObservationIgnored private var lifetime: Lifetime?

    /// `source`: the link's (`LinkTarget.source`) when the page was opened from a link.
    public init(session: FundKitSession, fundraiserId: String, source: DonationSource? = nil) {
        self.session = session
        self.fundraiserId = fundraiserId
        self.source = source
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
        state.charityLabel = view.fundraiser.charity.map { text.string("fundraiser.charity %@ %@", .text($0.name), .text($0.number)) }
        state.shareURL = session.shareLinks(fundraiserId: view.fundraiser.id, source: .link)?.web
        state.shareAccessibilityLabel = text.string("button.share.accessibility %@", .text(view.fundraiser.title))
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

    /// The Donate button's sheet: the open one, or a new one with a fresh donation id (or
    /// `restoring` the id a scene saved, so a sheet restored after the app was stopped
    /// confirms the same donation); nil while Donate is not offered.
    @discardableResult
    public func donate(restoring donationId: String? = nil) -> DonateViewModel? {
        if let sheet { return sheet }
        guard state.canDonate, let view else { return nil }
        let sheet = DonateViewModel(session: session, fundraiser: view, source: source, donationId: donationId)
        self.sheet = sheet
        return sheet
    }

    /// The donor closed the sheet: the next Donate is a new donation.
    public func closeDonate() { sheet = nil }
}

// MARK: - Donate sheet

/// A UK donor's Gift Aid declaration as the form holds it (every box unticked until the
/// donor ticks it).
public struct GiftAidForm: Equatable, Sendable {
    /// The donor chose to add Gift Aid.
    public var add = false
    public var livesInUk = false
    public var firstName = ""
    public var lastName = ""
    public var house = ""
    public var postcode = ""
    /// The donor confirms the taxpayer statement (`giftAidTaxpayerText`).
    public var ukTaxpayer = false
    /// The donor asks the charity to claim Gift Aid (`giftAidConsentText`).
    public var consent = false

    public init() {}
}

/// The quote before Confirm, line by line, in words (amounts formatted by the core).
public struct QuoteLines: Equatable, Sendable {
    /// "Donation: $25.00"
    public let amount: String
    /// "Fee: $1.03"
    public let fee: String
    /// "You pay: $25.00" (plus the fee when the donor covers it)
    public let total: String
    /// "The fundraiser receives: $23.97"
    public let receives: String
}

public struct DonateSheetState: Equatable, Sendable {
    public var amountText = ""
    public var amountLabel: String?
    /// Localized: why the amount cannot be given (it does not parse, or the core refuses it:
    /// below the minimum, below its fees...).
    public var amountError: String?
    public var message = ""
    public var visibility: Visibility = .public
    public var hideAmount = false
    /// The donor chose to pay the fee on top. Off unless the donor turns it on.
    public var coverFee = false
    /// The core's quote for the amount and the toggle as they are now; nil while there is
    /// none (the amount does not parse, or the core refuses it: `amountError` says why).
    public var quote: DonationQuote?
    /// The quote in words, shown before Confirm.
    public var quoteLines: QuoteLines?
    /// The cover-the-fee toggle's label, with the fee ("Cover the $1.03 fee, ...").
    public var coverFeeLabel: String?
    /// The Gift Aid section is shown: the core says this fundraiser takes Gift Aid, and the
    /// app has the declaration's wording for the version the core expects.
    public var giftAidOffered = false
    /// "Add Gift Aid: £6.25 more for the charity, ..." (the amount is the core's).
    public var giftAidLabel: String?
    public var giftAid = GiftAidForm()
    /// HMRC's statements, in the donor's language, for the core's wording version.
    public var giftAidConsentText: String?
    public var giftAidTaxpayerText: String?
    public var giftAidNotice: String?
    public var issues: [String: [IssueCode]] = [:]
    /// The issues by field, in words (with their facts: the fees, why no Gift Aid).
    public var issueTexts: [String: String] = [:]
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
    /// Made when the sheet opens (or restored from the scene): every confirm of this sheet
    /// is the same donation.
    @ObservationIgnored public let donationId: String
    /// Where the donor came from (a link's source), recorded with the donation.
    @ObservationIgnored public let source: DonationSource?
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private let fundraiser: FundraiserView
    /// The Gift Aid wording this build of the core expects; the app's words for it are
    /// looked up by it, and it goes in the declaration.
    @ObservationIgnored private let wording = giftAidWordingVersion()
    @ObservationIgnored private var quoteTask: Task<Void, Never>?
    @ObservationIgnored private var quoteGeneration = 0
    private var currency: String { fundraiser.fundraiser.goal.currency }

    public init(session: FundKitSession, fundraiser: FundraiserView, source: DonationSource? = nil, donationId: String? = nil) {
        self.session = session
        self.fundraiser = fundraiser
        self.source = source
        self.donationId = donationId ?? FundKitSession.newDonationId()
        text = Localizer(locale: session.locale)
    }

    public func amountChanged(_ input: String) {
        state.amountText = input
        do {
            let money = try session.parseAmount(input, currency: currency)
            state.amountLabel = session.formatAmount(money)
            state.amountError = nil
            requote()
        } catch {
            state.amountLabel = nil
            state.amountError = text.error(error)
            dropQuote()
        }
    }

    /// The cover-the-fee toggle.
    public func coverFeeChanged(_ on: Bool) {
        state.coverFee = on
        requote()
    }

    public func edit(_ change: (inout DonateSheetState) -> Void) { change(&state) }

    /// The Gift Aid form as the donor fills it in. Once a confirm has marked its fields,
    /// they are checked again by the core as the donor corrects them.
    public func editGiftAid(_ change: (inout GiftAidForm) -> Void) {
        change(&state.giftAid)
        let marked = state.issues.keys.filter { $0.hasPrefix("gift_aid.") }
        guard !marked.isEmpty else { return }
        let now = state.giftAid.add ? validateGiftAidDeclaration(declaration: declaration(state.giftAid)) : []
        for field in marked { state.issues[field] = nil; state.issueTexts[field] = nil }
        let fresh = now.filter { marked.contains($0.field) }
        state.issues.merge(byField(fresh)) { $1 }
        state.issueTexts.merge(texts(fresh)) { $1 }
    }

    /// The issues of a field, in words.
    public func issueText(_ field: String) -> String? { state.issueTexts[field] }

    /// Waits for the quote of the form as it is now.
    public func quoteSettled() async { await quoteTask?.value }

    /// `paymentToken` comes from Apple Pay's sheet. A second tap while the first is in
    /// flight, or after the donation is queued, returns false and does nothing; even past
    /// this guard, the sheet's `donationId` makes the core return the first donation.
    @discardableResult
    public func confirm(paymentToken: String) async -> Bool {
        guard state.canConfirm else { return false }
        state.submitting = true
        // What the donor is charged is what the quote on screen says: wait for it.
        await quoteSettled()
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
                                      hideAmount: form.hideAmount, paymentToken: paymentToken, id: donationId,
                                      coverFee: form.coverFee,
                                      giftAid: form.giftAidOffered && form.giftAid.add ? declaration(form.giftAid) : nil,
                                      source: source)
        let outcome = await session.donate(request)
        state.result = outcome
        state.submitting = false
        if case .invalid(let issues) = outcome {
            state.issues = byField(issues)
            state.issueTexts = texts(issues)
        } else {
            state.issues = [:]
            state.issueTexts = [:]
        }
        state.resultText = describe(outcome)
        return true
    }

    private func declaration(_ form: GiftAidForm) -> GiftAidDeclaration {
        GiftAidDeclaration(firstName: form.firstName, lastName: form.lastName, house: form.house, postcode: form.postcode,
                           livesInUk: form.livesInUk, ukTaxpayer: form.ukTaxpayer, consent: form.consent,
                           wordingVersion: wording)
    }

    private func texts(_ issues: [ValidationIssue]) -> [String: String] {
        Dictionary(grouping: issues, by: \.field).mapValues { text.issues($0, money: session.formatAmount) }
    }

    // The quote: asked of the core on the session's queue whenever the amount or the toggle
    // changes; only the answer to the latest question is shown.

    private func quoteRequest() -> DonationRequest? {
        guard let amount = try? session.parseAmount(state.amountText, currency: currency) else { return nil }
        return DonationRequest(fundraiserId: fundraiser.fundraiser.id, amount: amount, message: nil, visibility: state.visibility,
                               hideAmount: false, paymentToken: "", id: nil, coverFee: state.coverFee, giftAid: nil,
                               source: source)
    }

    private func requote() {
        guard let request = quoteRequest() else { return dropQuote() }
        quoteGeneration += 1
        let generation = quoteGeneration
        let previous = quoteTask
        previous?.cancel()
        quoteTask = Task { [weak self, session] in
            let answer: Result<DonationQuote, any Error>
            do { answer = .success(try await session.quoteDonation(request)) } catch { answer = .failure(error) }
            guard let self, generation == self.quoteGeneration else { return }
            self.show(answer)
        }
    }

    private func dropQuote() {
        quoteGeneration += 1
        quoteTask?.cancel()
        quoteTask = nil
        show(nil)
    }

    private func show(_ answer: Result<DonationQuote, any Error>?) {
        guard case .success(let quote) = answer else {
            state.quote = nil
            state.quoteLines = nil
            state.coverFeeLabel = nil
            state.giftAidLabel = nil
            state.giftAidConsentText = nil
            if case .failure(let error) = answer, !(error is CancellationError) {
                if case .Validation(let issues)? = error as? FundkitError {
                    state.amountError = text.issues(issues, money: session.formatAmount)
                } else {
                    state.amountError = text.error(error)
                }
            }
            return
        }
        let fees = quote.fees
        state.quote = quote
        state.amountError = nil
        state.quoteLines = QuoteLines(amount: text.string("donate.quote.amount %@", .text(session.formatAmount(fees.amount))),
                                      fee: text.string("donate.quote.fee %@", .text(session.formatAmount(fees.fees))),
                                      total: text.string("donate.quote.total %@", .text(session.formatAmount(fees.donorPays))),
                                      receives: text.string("donate.quote.receives %@", .text(session.formatAmount(fees.organiserReceives))))
        state.coverFeeLabel = text.string("field.cover_fee %@", .text(session.formatAmount(fees.fees)))
        let consentKey = "gift_aid.consent.\(wording) %@ %@"
        let taxpayerKey = "gift_aid.taxpayer.\(wording)"
        let charity = fundraiser.fundraiser.charity
        // Gift Aid is offered only where the core says so, and only with the words of the
        // declaration the core expects (a build without them offers no Gift Aid).
        state.giftAidOffered = quote.giftAid == .available && charity != nil
            && text.has(consentKey) && text.has(taxpayerKey)
        if state.giftAidOffered, let charity, let boost = quote.giftAidAmount {
            state.giftAidLabel = text.string("field.gift_aid %@", .text(session.formatAmount(boost)))
            state.giftAidConsentText = text.string(consentKey, .text(session.formatAmount(fees.amount)), .text(charity.name))
            state.giftAidTaxpayerText = text.string(taxpayerKey)
            state.giftAidNotice = text.string("gift_aid.notice")
        } else {
            state.giftAidLabel = nil
            state.giftAidConsentText = nil
            state.giftAidTaxpayerText = nil
            state.giftAidNotice = nil
        }
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
    /// The donor made a Gift Aid declaration (the organiser sees only that).
    public let giftAid: Bool
    /// "Gift Aid: yes", when `giftAid`.
    public let giftAidLabel: String?
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
    /// What the organiser receives: the donations less the fees donors did not cover
    /// ("You receive $97.00"), and those fees; from the server's figures for the organiser.
    public var receivesLabel: String?
    public var feesLabel: String?
    /// Gift Aid, on a fundraiser for a registered charity (or with Gift Aid donations):
    /// "Gift Aid on 3 donations", "Gift Aid to claim: £12.50".
    public var giftAidCountLabel: String?
    public var giftAidClaimableLabel: String?
    /// Where donors came from: shared links, story stickers, the profile.
    public var sourceLabels: [String] = []
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
                     amountLabel: d.amount.map(session.formatAmount) ?? text.string("amount.hidden"), message: d.message,
                     giftAid: d.giftAid, giftAidLabel: d.giftAid ? text.string("donor.gift_aid") : nil)
        }
        if let stats = f.organiserStats {
            state.receivesLabel = text.string("dashboard.receives %@", .text(session.formatAmount(stats.receives)))
            state.feesLabel = text.string("dashboard.fees %@", .text(session.formatAmount(stats.fees)))
            // The core's rule (a registered UK charity), or Gift Aid already given.
            let giftAid = giftAidAvailability(fundraiser: f) == .available || stats.giftAidCount > 0
            state.giftAidCountLabel = giftAid ? text.string("dashboard.gift_aid_count %lld", .count(Int64(clamping: stats.giftAidCount))) : nil
            state.giftAidClaimableLabel = giftAid
                ? text.string("dashboard.gift_aid_claimable %@", .text(session.formatAmount(stats.giftAidClaimable))) : nil
            state.sourceLabels = [("dashboard.from_link %lld", stats.fromLink), ("dashboard.from_story_sticker %lld", stats.fromStorySticker),
                                  ("dashboard.from_profile %lld", stats.fromProfile)]
                .map { text.string($0.0, .count(Int64(clamping: $0.1))) }
        } else {
            state.receivesLabel = nil
            state.feesLabel = nil
            state.giftAidCountLabel = nil
            state.giftAidClaimableLabel = nil
            state.sourceLabels = []
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
