// Share links and Universal Links: the app's routes, and the link opener the app's
// `.onOpenURL` hands every link to. The core makes and reads links (one rule for both,
// `shareLinks`/`parseLink`) and asks the server for the fundraiser (`openLink`); here a link
// becomes a route to navigate to, or a sentence saying why it opens nothing.
import Foundation
import Observation

/// A screen of the app, for a `NavigationStack` path. Codable, so a scene can save its path
/// and restore it (`@SceneStorage`).
public enum AppRoute: Hashable, Codable, Sendable {
    /// A fundraiser's page. `link` is the link it was opened from (nil from inside the
    /// app): a donation made there records where the link was shared, read from the link by
    /// the core (`source(in:)`), so a restored page keeps it too.
    case fundraiser(id: String, link: String?)
    case pending
    case dashboard(id: String)

    /// Where the donor came from, for a fundraiser opened from a link.
    public func source(in session: FundKitSession) -> DonationSource? {
        guard case .fundraiser(_, let link?) = self, let target = try? session.parseLink(link) else { return nil }
        return target.source
    }
}

public struct LinkOpenerState: Equatable, Sendable {
    /// A link is being opened (the fundraiser is asked of the server).
    public var opening = false
    /// "Opening the fundraiser…", while `opening`.
    public var openingText: String?
    /// Why the last link opened nothing, typed; nil when offline (`problemText` says that).
    public var problem: LinkProblem?
    /// The refusal for people: a title and why, per `LinkProblem` (or offline).
    public var problemTitle: String?
    public var problemText: String?
    /// Offline: the link is a fundraiser's and may be tried again.
    public var canRetry = false

    public var failed: Bool { problemText != nil }
}

/// Opens the links the app is handed (Universal Links, the app's scheme): on success it
/// returns the route to push; otherwise its state says why, in words.
@MainActor @Observable
public final class LinkOpenerViewModel {
    public private(set) var state = LinkOpenerState()
    @ObservationIgnored public let text: Localizer
    @ObservationIgnored private let session: FundKitSession
    @ObservationIgnored private var lastLink: String?

    public init(session: FundKitSession) {
        self.session = session
        text = Localizer(locale: session.locale)
    }

    /// For `.onOpenURL`.
    public func open(_ url: URL) async -> AppRoute? { await open(link: url.absoluteString) }

    /// The route to the fundraiser the link opens (fetched from the server, so the page
    /// shows it at once), or nil with `state` saying why not.
    public func open(link: String) async -> AppRoute? {
        lastLink = link
        state = LinkOpenerState(opening: true, openingText: text.string("link.opening"))
        let outcome = await session.openLink(link)
        state.opening = false
        state.openingText = nil
        switch outcome {
        case .opened(let opened):
            return .fundraiser(id: opened.target.fundraiserId, link: link)
        case .refused(let problem):
            state.problem = problem
            state.problemTitle = text.string("link.title")
            state.problemText = text.linkProblem(problem)
        case .offline:
            state.problemTitle = text.string("link.title")
            state.problemText = text.string("error.offline")
            state.canRetry = true
        case .failed(let error):
            state.problemTitle = text.string("link.title")
            state.problemText = text.error(error)
            state.canRetry = true
        }
        return nil
    }

    /// Tries the last link again (after being offline).
    public func retry() async -> AppRoute? {
        guard let lastLink else { return nil }
        return await open(link: lastLink)
    }

    /// The donor closed the explanation.
    public func dismiss() {
        state = LinkOpenerState()
        lastLink = nil
    }
}
