// The bank step: when the server answers a donation with `needs_action` (the donor's bank
// asks them to authenticate), the donation carries `actionUrl`. The app opens that page
// (ASWebAuthenticationSession on Apple platforms, WebAuthenticationBankPresenter below); when
// the page finishes or the donor closes it, the outcome is learnt through a sync pass: the
// server is the only judge of whether the bank confirmed. The donor may try again as long as
// the donation still needs action.
import Foundation
import Observation

/// How the bank's page ended, as far as the app can tell (the outcome itself comes from sync).
public enum BankPageResult: Equatable, Sendable {
    /// The page finished (it sent the donor back to the app).
    case finished
    /// The donor closed the page before it finished.
    case closedByDonor
}

/// Shows the bank's page and returns when it ends.
@MainActor
public protocol BankPagePresenter {
    func present(url: URL) async -> BankPageResult
}

public enum BankStepPhase: Equatable, Sendable {
    /// Needs the donor: the button opens the bank's page.
    case ready
    /// The bank's page is open.
    case inProgress
    /// Back from the page: asking the server how it ended.
    case checking
    /// The bank confirmed: the donation is confirmed.
    case confirmed
    /// The bank refused or the step failed; `reason` is the machine code.
    case rejected(reason: String?)
    /// The donor closed the page before finishing: they may try again.
    case abandoned
    /// The page finished but the server has no answer yet: try again in a moment.
    case stillWaiting
}

@MainActor @Observable
public final class BankStepViewModel {
    public private(set) var phase: BankStepPhase = .ready
    /// The phase in words, for the user.
    public private(set) var message: String
    /// How many times the donor opened the bank's page.
    public private(set) var attempts = 0
    @ObservationIgnored public let donationId: String
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let actionUrl: URL?
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private let presenter: any BankPagePresenter

    /// For a donation in `needs_action` (from the pending list or a sync).
    public init(session: FundKitSession, donation: Donation, presenter: any BankPagePresenter) {
        self.session = session
        self.presenter = presenter
        donationId = donation.id
        actionUrl = donation.actionUrl.flatMap(URL.init(string:))
        text = Localizer(locale: session.locale)
        message = text.string("bank.idle")
    }

    /// The button can be pressed: before the first try, and after one that did not end it.
    public var canStart: Bool {
        switch phase {
        case .ready, .abandoned, .stillWaiting: return actionUrl != nil
        case .inProgress, .checking, .confirmed, .rejected: return false
        }
    }

    /// Opens the bank's page, then learns the outcome through a sync pass. Returns false when
    /// the step cannot start now (in progress, already decided, or no page to open).
    @discardableResult
    public func start() async -> Bool {
        guard canStart, let url = actionUrl else { return false }
        attempts += 1
        set(.inProgress)
        let page = await presenter.present(url: url)
        set(.checking)
        _ = try? await session.syncNow()
        let donation = try? await session.donation(id: donationId)
        switch donation?.state {
        case .confirmed?:
            set(.confirmed)
        case .rejected?, .expired?, .cancelled?:
            set(.rejected(reason: donation?.reason))
        default:
            set(page == .closedByDonor ? .abandoned : .stillWaiting)
        }
        return true
    }

    private func set(_ next: BankStepPhase) {
        phase = next
        switch next {
        case .ready: message = text.string("bank.idle")
        case .inProgress: message = text.string("bank.in_progress")
        case .checking: message = text.string("bank.checking")
        case .confirmed: message = text.string("bank.confirmed")
        case .rejected(let reason): message = text.reason(reason ?? "authentication_failed")
        case .abandoned: message = text.string("bank.abandoned")
        case .stillWaiting: message = text.string("bank.still_waiting")
        }
    }
}

#if canImport(AuthenticationServices)
import AuthenticationServices

/// The bank's page in ASWebAuthenticationSession (an in-app browser sheet the donor trusts:
/// it shows the bank's address). The page returns to `callbackScheme`://…; closing the sheet
/// is `.closedByDonor`. Apple platforms only.
@MainActor
public final class WebAuthenticationBankPresenter: NSObject, BankPagePresenter, ASWebAuthenticationPresentationContextProviding {
    private let callbackScheme: String
    private var current: ASWebAuthenticationSession?

    public init(callbackScheme: String = "fundkit") { self.callbackScheme = callbackScheme }

    public func present(url: URL) async -> BankPageResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<BankPageResult, Never>) in
            let web = ASWebAuthenticationSession(url: url, callbackURLScheme: callbackScheme) { _, error in
                if let error = error as? ASWebAuthenticationSessionError, error.code == .canceledLogin {
                    continuation.resume(returning: .closedByDonor)
                } else {
                    continuation.resume(returning: .finished)
                }
            }
            web.presentationContextProvider = self
            web.prefersEphemeralWebBrowserSession = true
            current = web
            if !web.start() { continuation.resume(returning: .closedByDonor) }
        }
    }

    public nonisolated func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
        MainActor.assumeIsolated { ASPresentationAnchor() }
    }
}
#endif
