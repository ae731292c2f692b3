// The core's codes, states and errors in the user's words. Exhaustive switches: a new case in
// the core fails the build here instead of reaching the screen as a raw enum name.
import Foundation

extension Localizer {
    public func issue(_ code: IssueCode) -> String {
        let key: String
        switch code {
        case .required: key = "required"
        case .tooLong: key = "too_long"
        case .controlCharacter: key = "control_character"
        case .cardNumber: key = "card_number"
        case .belowMinimum: key = "below_minimum"
        case .aboveMaximum: key = "above_maximum"
        case .currencyMismatch: key = "currency_mismatch"
        case .unknownCurrency: key = "unknown_currency"
        case .wrongCurrencyForCountry: key = "wrong_currency_for_country"
        case .invalidId: key = "invalid_id"
        case .invalidDuration: key = "invalid_duration"
        case .notActive: key = "not_active"
        case .belowRaised: key = "below_raised"
        case .bidiControl: key = "bidi_control"
        case .ended: key = "ended"
        case .giftAidNotAvailable: key = "gift_aid_not_available"
        case .invalidPostcode: key = "invalid_postcode"
        case .invalidCharityNumber: key = "invalid_charity_number"
        case .notDeclared: key = "not_declared"
        case .unknownWording: key = "unknown_wording"
        case .belowFees: key = "below_fees"
        }
        return string("issue." + key)
    }

    /// One issue in words, with what its facts add (`args`): the fees a donation is below,
    /// why a fundraiser takes no Gift Aid. `money` formats an amount (the core's formatter,
    /// `FundKitSession.formatAmount`). An issue whose facts add nothing reads as its code.
    public func issue(_ issue: ValidationIssue, money: (Money) -> String) -> String {
        for arg in issue.args {
            if let text = detail(issue.code, arg, money: money) { return text }
        }
        return self.issue(issue.code)
    }

    public func issues(_ issues: [ValidationIssue], money: (Money) -> String) -> String {
        issues.map { issue($0, money: money) }.joined(separator: " ")
    }

    /// What a fact says about an issue, when it says more than the code's sentence.
    private func detail(_ code: IssueCode, _ arg: IssueArg, money: (Money) -> String) -> String? {
        switch arg {
        case .fees(let amount):
            return code == .belowFees ? string("issue.below_fees_amount %@", .text(money(amount))) : nil
        case .giftAid(let availability):
            return code == .giftAidNotAvailable && availability != .available ? giftAid(availability) : nil
        // The wording version is a name for machines: the code's sentence says to update the app.
        case .version:
            return nil
        // The limits, currencies and days of the older codes: their sentences say enough.
        case .minimum, .maximum, .maxChars, .currency, .country, .stepDays, .maxDays:
            return nil
        }
    }

    /// Whether a fundraiser takes Gift Aid, and if not why not.
    public func giftAid(_ availability: GiftAidAvailability) -> String {
        switch availability {
        case .available: return string("gift_aid.availability.available")
        case .notANonprofit: return string("gift_aid.availability.not_a_nonprofit")
        case .notInUk: return string("gift_aid.availability.not_in_uk")
        case .charityNotRegistered: return string("gift_aid.availability.charity_not_registered")
        }
    }

    /// Who a fundraiser raises for, as the create form offers it.
    public func kind(_ kind: KindChoice) -> String {
        switch kind {
        case .myself: return string("kind.myself")
        case .someoneElse: return string("kind.someone_else")
        case .business: return string("kind.business")
        case .nonprofit: return string("kind.nonprofit")
        }
    }

    /// Why a link opens no fundraiser.
    public func linkProblem(_ problem: LinkProblem) -> String {
        switch problem {
        case .notALink: return string("link.problem.not_a_link")
        case .unsupportedScheme: return string("link.problem.unsupported_scheme")
        case .unknownHost: return string("link.problem.unknown_host")
        case .unknownPath: return string("link.problem.unknown_path")
        case .malformedId: return string("link.problem.malformed_id")
        case .notVisible: return string("link.problem.not_visible")
        }
    }

    public func issues(_ codes: [IssueCode]) -> String { codes.map(issue).joined(separator: " ") }

    public func unavailable(_ reason: UnavailableReason) -> String {
        switch reason {
        case .switchedOff: return string("unavailable.switched_off")
        case .countryNotLaunched: return string("unavailable.country_not_launched")
        case .platformNotLaunched: return string("unavailable.platform_not_launched")
        case .tooYoung: return string("unavailable.too_young")
        case .ageUnknown: return string("unavailable.age_unknown")
        }
    }

    public func offlineCap(_ cap: OfflineCap) -> String {
        switch cap {
        case .singleAmount: return string("offline_cap.single_amount")
        case .totalAmount: return string("offline_cap.total_amount")
        case .count: return string("offline_cap.count")
        }
    }

    public func donationState(_ state: DonationState) -> String {
        switch state {
        case .queued: return string("donation_state.queued")
        case .sending: return string("donation_state.sending")
        case .confirmed: return string("donation_state.confirmed")
        case .rejected: return string("donation_state.rejected")
        case .needsAction: return string("donation_state.needs_action")
        case .expired: return string("donation_state.expired")
        case .cancelled: return string("donation_state.cancelled")
        }
    }

    public func fundraiserState(_ state: FundraiserState) -> String {
        switch state {
        case .draft: return string("fundraiser_state.draft")
        case .inReview: return string("fundraiser_state.in_review")
        case .active: return string("fundraiser_state.active")
        case .ended: return string("fundraiser_state.ended")
        case .removed: return string("fundraiser_state.removed")
        }
    }

    /// The server's or the queue's machine code for why a donation ended as it did
    /// (`declined`, `expired_offline`…); an unknown code gets a generic sentence, never the code.
    public func reason(_ code: String) -> String {
        let known = ["declined", "payment_expired", "invalid_payment_token", "authentication_required",
                     "authentication_failed", "expired_offline", "expired_unconfirmed", "never_received",
                     "cancelled_by_donor", "fundraiser_ended", "fundraiser_not_active", "fundraiser_not_found",
                     "unavailable", "invalid_id", "invalid_donation", "idempotency_conflict", "id_in_use",
                     "fundraiser_removed", "fee_changed", "gift_aid_not_available", "invalid_postcode",
                     "not_declared", "unknown_wording"]
        return string("reason." + (known.contains(code) ? code : "other"))
    }

    public func syncProblem(_ problem: SyncProblem) -> String {
        switch problem {
        case .offline: return string("sync_problem.offline")
        case .signedOut: return string("sync_problem.signed_out")
        case .serverRefused: return string("sync_problem.server_refused")
        case .storage: return string("sync_problem.storage")
        case .feedUnfinished: return string("sync_problem.feed_unfinished")
        case .internal: return string("sync_problem.internal")
        }
    }

    public func amountError(_ error: MoneyError) -> String {
        switch error {
        case .empty: return string("amount.empty")
        case .unknownCurrency: return string("amount.unknown_currency")
        case .tooManyDecimals(_, let max): return string("amount.too_many_decimals %lld", .count(Int64(max)))
        case .signed: return string("amount.signed")
        case .exponent: return string("amount.exponent")
        case .invalidCharacter: return string("amount.invalid_character")
        case .invalidGrouping: return string("amount.invalid_grouping")
        case .overflow: return string("amount.overflow")
        case .currencyMismatch: return string("amount.currency_mismatch")
        }
    }

    /// Any error FundKit throws, as a sentence for the user (never its type or case name; the
    /// detail strings are for logs, not for people).
    public func error(_ error: any Error) -> String {
        guard let error = error as? FundkitError else { return string("error.generic") }
        switch error {
        case .Validation: return string("error.validation")
        case .InvalidAmount(let reason): return amountError(reason)
        case .Unavailable(let reason): return unavailable(reason)
        case .OfflineLimit(let cap): return offlineCap(cap)
        case .NotFound: return string("error.not_found")
        case .DuplicateDonationId: return string("error.duplicate_donation")
        case .IllegalTransition: return string("error.illegal_transition")
        case .Network: return string("error.offline")
        case .Unauthorized: return string("error.unauthorized")
        case .Server: return string("error.server")
        case .Configuration: return string("error.configuration")
        case .StorageFull: return string("error.out_of_space")
        case .DatabaseInUse: return string("error.database_in_use")
        case .Link(let problem): return linkProblem(problem)
        case .Storage: return string("error.storage")
        case .Internal: return string("error.generic")
        }
    }

    public func daysLeft(_ days: Int) -> String { string("days_left %lld", .count(Int64(days))) }
    public func donors(_ count: UInt64) -> String { string("donors %lld", .count(Int64(clamping: count))) }
    public func pending(_ amount: String) -> String { string("amount.pending %@", .text(amount)) }
    public func raised(_ raised: String, of goal: String) -> String { string("amount.raised_of %@ %@", .text(raised), .text(goal)) }
}
