// The idiomatic Swift layer over the generated bindings, the counterpart of Kotlin's
// dev.fundkit.ktx.FundKit: async functions that never block the caller's actor nor Swift's
// cooperative pool (the core's blocking calls run on the session's serial queue, see
// CoreQueue), AsyncStreams fed by the core's one listener (a stream subscribes before it
// reads, and ending it removes the subscription), and outcomes that read well in `switch`.
// Every rule stays in Rust.
@_exported import FundKitBindings
import Foundation

/// Gives FundKit a bearer token for the signed-in user; `forceRefresh` is true once after
/// the server refused the last one. Return nil when signed out. Called off the main thread.
public typealias TokenSource = @Sendable (_ forceRefresh: Bool) -> String?

/// What became of a donation the donor confirmed.
public enum DonateOutcome: Equatable, Sendable {
    /// On disk: it reaches the server exactly once, or ends in a state that says why.
    case queued(Donation)
    /// Every problem with the form, by field.
    case invalid([ValidationIssue])
    case unavailable(UnavailableReason)
    /// Offline, this donation would break a cap (one amount, the total, or the count).
    case overOfflineLimit(OfflineCap)
    /// The device is out of storage: nothing was saved.
    case outOfSpace
    /// The calling task was cancelled before the donation was written: nothing was saved.
    case cancelled
    /// Anything else (a bug): show a generic error and keep the form.
    case failed(FundkitError)
}

/// What became of an organiser's action (create, edit, extend, end).
public enum OrganiserOutcome: Equatable, Sendable {
    case done(FundraiserView)
    case invalid([ValidationIssue])
    case unavailable(UnavailableReason)
    /// No network: nothing changed; try again when online.
    case offline(String)
    case failed(FundkitError)
}

/// What became of opening a link (a Universal Link, the app's own scheme, a pasted link).
public enum LinkOutcome: Equatable, Sendable {
    /// The fundraiser, as the server just sent it, and where the link was shared: pass
    /// `target.source` in the donation made from it.
    case opened(OpenedLink)
    /// The link opens no fundraiser, and why (another host, not a fundraiser's path, a
    /// fundraiser this user may not see...).
    case refused(LinkProblem)
    /// No network: the link is a fundraiser's, but it could not be fetched; try again.
    case offline(target: LinkTarget)
    case failed(FundkitError)
}

/// The app's handle on FundKit. Open it once per signed-in user; `close()` on sign-out.
///
/// **Threads and cancellation.** The core's blocking calls (SQLite, with fsync on every
/// commit) run one at a time on the session's own serial `DispatchQueue`, never on Swift's
/// cooperative pool. Cancelling the task that awaits one *before it starts* on the queue
/// throws `CancellationError` (`donate` returns `.cancelled`) and nothing is read or written;
/// once started it runs to the end and its result is returned (a write is never half-done).
/// Network calls (`syncNow`, the organiser's actions, `refreshFundraiser`) run on the core's
/// own runtime: cancelling the Swift task does not stop them; their outcome still reaches the
/// streams.
public final class FundKitSession: Sendable {
    public let client: FundkitClient
    /// The language of the session's texts (`ClientConfig.locale`, e.g. `en-US`, `es-US`).
    public let locale: String
    let hub = ListenerHub()
    let io: CoreQueue

    private init(client: FundkitClient, locale: String, io: CoreQueue) {
        self.client = client
        self.locale = locale
        self.io = io
        client.setListener(listener: hub)
    }

    /// Opens the local database (migrations, crash recovery) on the session's queue. On Apple
    /// platforms the database's folder gets the data-protection class
    /// completeUntilFirstUserAuthentication and is excluded from backups (DatabaseFiles).
    ///
    /// `transport` carries the requests (`URLSessionTransport`): the library iOS ships has no
    /// HTTP stack of its own, so an app passes one; without it, only a library built with
    /// the `reqwest-transport` feature (the tests on Linux) can talk to the server.
    public static func open(config: ClientConfig, tokens: @escaping TokenSource, clock: Clock? = nil,
                            transport: HttpTransport? = nil) async throws -> FundKitSession {
        let io = CoreQueue()
        let client = try await io.run {
            try DatabaseFiles.prepare(databasePath: config.databasePath)
            let auth = TokenAuth(tokens)
            let client: FundkitClient
            switch (transport, clock) {
            case let (transport?, clock?):
                client = try FundkitClient.withTransportAndClock(config: config, auth: auth, transport: transport, clock: clock)
            case let (transport?, nil):
                client = try FundkitClient.withTransport(config: config, auth: auth, transport: transport)
            case let (nil, clock?):
                client = try FundkitClient.withClock(config: config, auth: auth, clock: clock)
            case (nil, nil):
                client = try FundkitClient(config: config, auth: auth)
            }
            try DatabaseFiles.protect(databasePath: config.databasePath)
            return client
        }
        return FundKitSession(client: client, locale: config.locale, io: io)
    }

    /// A fresh donation id: make one when the donation sheet opens and send it with every
    /// confirm of that sheet, so a double tap makes one donation.
    public static func newDonationId() -> String { FundKitBindings.newDonationId() }

    public func close() {
        client.setListener(listener: nil)
        hub.finishAll()
    }

    // MARK: - Streams

    /// Batches of donations that changed, from now on.
    public func donationChanges() -> AsyncStream<[Donation]> { hub.donations.subscribe() }

    /// Fundraisers whose data or displayed total changed, from now on.
    public func fundraiserChanges() -> AsyncStream<[FundraiserView]> { hub.fundraisers.subscribe() }

    /// The sync state: subscribes, then reads the current one, so the latest state is never
    /// lost (a change between the two is delivered, and never followed by an older read).
    public func syncStates() -> AsyncStream<SyncState> {
        hub.states.subscribe { [client] in client.syncState() }
    }

    /// The pending list, re-read whenever a donation changes. Subscribes before its first
    /// read, so a change in between is never lost.
    public func pendingDonations() -> AsyncStream<[Donation]> {
        reread(hub.donations.subscribe(startingWith: [])) { [client] _ in try? client.pendingDonations() }
    }

    /// One fundraiser as a screen shows it, re-read when it or a donation changes.
    public func fundraiser(id: String) -> AsyncStream<FundraiserView?> {
        reread(hub.fundraisers.subscribe(startingWith: [])) { [client] changed in
            changed.isEmpty || changed.contains { $0.fundraiser.id == id } ? .some(try? client.fundraiser(id: id)) : nil
        }
    }

    /// Maps every element of `source` with a blocking read done on the session's queue;
    /// `read` returns nil to skip an element. Ending the result ends the subscription.
    private func reread<In: Sendable, Out: Sendable>(_ source: AsyncStream<In>, _ read: @escaping @Sendable (In) -> Out?) -> AsyncStream<Out> {
        let (stream, continuation) = AsyncStream<Out>.makeStream()
        let io = self.io
        let task = Task {
            for await element in source {
                let out: Out?
                do { out = try await io.run { read(element) } } catch { break }  // cancelled
                if let out { continuation.yield(out) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: - Pure or in-memory (fast: called directly)

    public func availability(_ action: Action) -> Availability { client.availability(action: action) }
    public func setOnline(_ online: Bool) { client.setOnline(online: online) }
    public func syncState() -> SyncState { client.syncState() }
    public func parseAmount(_ input: String, currency: String) throws -> Money { try client.parseAmount(input: input, currency: currency) }
    public func validateDraft(_ draft: FundraiserDraft) -> [ValidationIssue] { client.validateDraft(draft: draft) }
    /// The core's facts for the organiser's buttons (days left, may edit/extend/end).
    public func organiserActions(_ fundraiser: Fundraiser, nowMs: Int64) -> OrganiserActions {
        FundKitBindings.organiserActions(fundraiser: fundraiser, nowMs: nowMs, limits: defaultLimits())
    }

    /// Money as the user reads it (`$25.00`), formatted by the core. Never shows minor units
    /// as major: if the core cannot format it, the amount is scaled by its currency's exponent
    /// (`25.00 USD`); if even the currency is unknown, "Amount unavailable" is shown, not a number.
    public func formatAmount(_ money: Money) -> String {
        Self.formatAmount(money, unknown: Localizer(locale: locale).string("amount.unknown")) { [client] in
            try client.formatAmount(money: $0)
        }
    }

    static func formatAmount(_ money: Money, unknown: String, format: (Money) throws -> String) -> String {
        if let text = try? format(money) { return text }
        guard let exponent = try? currencyExponent(currency: money.currency) else { return unknown }
        let major = Decimal(money.minorUnits) / pow(Decimal(10), Int(exponent))
        var rounded = Decimal()
        var value = major
        NSDecimalRound(&rounded, &value, Int(exponent), .plain)
        let number = NSDecimalNumber(decimal: rounded)
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.minimumFractionDigits = Int(exponent)
        formatter.maximumFractionDigits = Int(exponent)
        formatter.minimumIntegerDigits = 1
        return "\(formatter.string(from: number) ?? number.stringValue) \(money.currency)"
    }

    /// The links that share a fundraiser (`web` for the share sheet, `app` inside the app),
    /// made by the core from the server's link host; nil if the id cannot be in a link.
    public func shareLinks(fundraiserId: String, source: DonationSource = .link) -> ShareLinks? {
        try? client.shareLinks(fundraiserId: fundraiserId, source: source)
    }

    /// What a link opens, from its shape alone (no network); throws `FundkitError.Link`
    /// with why it opens nothing.
    public func parseLink(_ link: String) throws -> LinkTarget { try client.parseLink(link: link) }

    // MARK: - Reads and writes (blocking in the core: on the session's serial queue)

    /// What a donation would cost (amount, fees, what the donor pays and the fundraiser
    /// receives) and the Gift Aid it may add, by the rules `donate` applies; throws
    /// `FundkitError.Validation` for a request `donate` would refuse.
    public func quoteDonation(_ request: DonationRequest) async throws -> DonationQuote {
        try await io.run { [client] in try client.quoteDonation(request: request) }
    }

    /// Queues a donation; returns once it is committed to disk.
    public func donate(_ request: DonationRequest) async -> DonateOutcome {
        do {
            return .queued(try await io.run { [client] in try client.donate(request: request) })
        } catch is CancellationError {
            return .cancelled
        } catch let error as FundkitError {
            switch error {
            case .Validation(let issues): return .invalid(issues)
            case .Unavailable(let reason): return .unavailable(reason)
            case .OfflineLimit(let cap): return .overOfflineLimit(cap)
            case .StorageFull: return .outOfSpace
            default: return .failed(error)
            }
        } catch {
            return .failed(.Internal(detail: String(describing: type(of: error))))
        }
    }

    public func donation(id: String) async throws -> Donation? { try await io.run { [client] in try client.donation(id: id) } }
    public func cancelDonation(id: String) async throws -> Donation { try await io.run { [client] in try client.cancelDonation(id: id) } }
    public func pending() async throws -> [Donation] { try await io.run { [client] in try client.pendingDonations() } }
    public func past(beforeSeq: Int64? = nil, limit: UInt32 = 50) async throws -> [Donation] {
        try await io.run { [client] in try client.pastDonations(beforeSeq: beforeSeq, limit: limit) }
    }
    public func fundraisers(limit: UInt32 = 50, offset: UInt32 = 0) async throws -> [FundraiserView] {
        try await io.run { [client] in try client.fundraisers(limit: limit, offset: offset) }
    }
    public func myFundraisers() async throws -> [FundraiserView] { try await io.run { [client] in try client.myFundraisers() } }
    public func organiserDonations(fundraiserId: String, limit: UInt32 = 50, offset: UInt32 = 0) async throws -> OrganiserDonations {
        try await io.run { [client] in try client.organiserDonations(fundraiserId: fundraiserId, limit: limit, offset: offset) }
    }
    public func wipeLocalData() async throws { try await io.run { [client] in try client.wipeLocalData() } }

    // MARK: - Network (async in the core, on its own runtime)

    public func syncNow() async throws -> SyncReport { try await client.syncNow() }
    public func refreshFundraiser(id: String) async throws -> FundraiserView { try await client.refreshFundraiser(id: id) }

    /// Opens a link: its shape, then the fundraiser from the server. Why a link opens
    /// nothing is the core's answer (`FundkitError.Link`), including a fundraiser this user
    /// may not see (`.notVisible`: the server's one 404 for in review, removed and unknown).
    public func openLink(_ link: String) async -> LinkOutcome {
        do {
            return .opened(try await client.openLink(link: link))
        } catch FundkitError.Link(let problem) {
            return .refused(problem)
        } catch FundkitError.Network {
            if let target = try? parseLink(link) { return .offline(target: target) }
            return .failed(.Network(detail: "offline"))
        } catch let error as FundkitError {
            return .failed(error)
        } catch {
            return .failed(.Internal(detail: String(describing: type(of: error))))
        }
    }
    public func createFundraiser(_ draft: FundraiserDraft) async -> OrganiserOutcome { await organiser { try await $0.createFundraiser(draft: draft) } }
    public func editFundraiser(id: String, edit: FundraiserEdit) async -> OrganiserOutcome { await organiser { try await $0.editFundraiser(id: id, edit: edit) } }
    public func extendFundraiser(id: String, days: UInt32 = 30) async -> OrganiserOutcome { await organiser { try await $0.extendFundraiser(id: id, days: days) } }
    public func endFundraiser(id: String) async -> OrganiserOutcome { await organiser { try await $0.endFundraiser(id: id) } }

    private func organiser(_ call: (FundkitClient) async throws -> FundraiserView) async -> OrganiserOutcome {
        do {
            return .done(try await call(client))
        } catch let error as FundkitError {
            switch error {
            case .Validation(let issues): return .invalid(issues)
            case .Unavailable(let reason): return .unavailable(reason)
            case .Network(let detail): return .offline(detail)
            default: return .failed(error)
            }
        } catch {
            return .failed(.Internal(detail: String(describing: type(of: error))))
        }
    }
}

/// The core's auth callback, from a Swift closure.
final class TokenAuth: AuthProvider, Sendable {
    private let tokens: TokenSource
    init(_ tokens: @escaping TokenSource) { self.tokens = tokens }
    func accessToken(forceRefresh: Bool) -> String? { tokens(forceRefresh) }
}

/// The one listener the core holds (called on the core's notifier thread, in order), fanned
/// out to every open stream.
final class ListenerHub: FundkitListener, Sendable {
    let donations = Broadcast<[Donation]>()
    let fundraisers = Broadcast<[FundraiserView]>()
    let states = Broadcast<SyncState>()

    func onDonationsChanged(donations: [Donation]) { self.donations.send(donations) }
    func onFundraisersChanged(fundraisers: [FundraiserView]) { self.fundraisers.send(fundraisers) }
    func onSyncStateChanged(state: SyncState) { states.send(state) }

    func finishAll() {
        donations.finish()
        fundraisers.finish()
        states.finish()
    }
}
