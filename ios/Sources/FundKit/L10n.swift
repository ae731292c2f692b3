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
        }
        return string("issue." + key)
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
                     "fundraiser_removed"]
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
        case .Storage: return string("error.storage")
        case .Internal: return string("error.generic")
        }
    }

    public func daysLeft(_ days: Int) -> String { string("days_left %lld", .count(Int64(days))) }
    public func donors(_ count: UInt64) -> String { string("donors %lld", .count(Int64(clamping: count))) }
    public func pending(_ amount: String) -> String { string("amount.pending %@", .text(amount)) }
    public func raised(_ raised: String, of goal: String) -> String { string("amount.raised_of %@ %@", .text(raised), .text(goal)) }
}
