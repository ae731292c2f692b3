// The idiomatic Swift layer over the generated bindings, the counterpart of Kotlin's
// dev.fundkit.ktx.FundKit: async functions that never block the caller's actor (SQLite runs
// on a detached task), AsyncStreams fed by the core's one listener (a stream subscribes
// before it reads, and ending it removes the subscription), and outcomes that read well in
// `switch`. Every rule stays in Rust.
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

/// The app's handle on FundKit. Open it once per signed-in user; `close()` on sign-out.
public final class FundKitSession: @unchecked Sendable {
    // @unchecked: the client is thread-safe (the core serialises its own state) and the
    // hub guards its subscribers with a lock.
    public let client: FundkitClient
    private let hub = ListenerHub()

    private init(client: FundkitClient) {
        self.client = client
        client.setListener(listener: hub)
    }

    /// Opens the local database (migrations, crash recovery) off the caller's actor.
    public static func open(config: ClientConfig, tokens: @escaping TokenSource, clock: Clock? = nil) async throws -> FundKitSession {
        try await Task.detached(priority: .userInitiated) {
            let auth = TokenAuth(tokens)
            let client = try clock.map { try FundkitClient.withClock(config: config, auth: auth, clock: $0) }
                ?? FundkitClient(config: config, auth: auth)
            return FundKitSession(client: client)
        }.value
    }

    /// A fresh donation id: make one when the donation sheet opens and send it with every
    /// confirm of that sheet, so a double tap makes one donation.
    public static func newDonationId() -> String { FundKit.newDonationId() }

    public func close() {
        client.setListener(listener: nil)
        hub.finishAll()
    }

    // MARK: - Streams

    /// Batches of donations that changed, from now on.
    public func donationChanges() -> AsyncStream<[Donation]> { hub.donations.subscribe() }

    /// Fundraisers whose data or displayed total changed, from now on.
    public func fundraiserChanges() -> AsyncStream<[FundraiserView]> { hub.fundraisers.subscribe() }

    /// The sync state, starting with the current one.
    public func syncStates() -> AsyncStream<SyncState> {
        hub.states.subscribe(first: client.syncState())
    }

    /// The pending list, re-read whenever a donation changes. Subscribes before its first
    /// read, so a change in between is never lost.
    public func pendingDonations() -> AsyncStream<[Donation]> {
        reread(hub.donations.subscribe(first: [])) { [client] _ in try? client.pendingDonations() }
    }

    /// One fundraiser as a screen shows it, re-read when it or a donation changes.
    public func fundraiser(id: String) -> AsyncStream<FundraiserView?> {
        reread(hub.fundraisers.subscribe(first: [])) { [client] changed in
            changed.isEmpty || changed.contains { $0.fundraiser.id == id } ? .some(try? client.fundraiser(id: id)) : nil
        }
    }

    /// Maps every element of `source` with a blocking read done off the caller's actor;
    /// `read` returns nil to skip an element.
    private func reread<In: Sendable, Out: Sendable>(_ source: AsyncStream<In>, _ read: @escaping @Sendable (In) -> Out?) -> AsyncStream<Out> {
        AsyncStream { continuation in
            let task = Task.detached {
                for await element in source {
                    if let out = read(element) { continuation.yield(out) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - Reads and writes (blocking in the core: run detached)

    public func availability(_ action: Action) -> Availability { client.availability(action: action) }
    public func setOnline(_ online: Bool) { client.setOnline(online: online) }
    public func parseAmount(_ input: String, currency: String) throws -> Money { try client.parseAmount(input: input, currency: currency) }
    public func formatAmount(_ money: Money) -> String { (try? client.formatAmount(money: money)) ?? "\(money.minorUnits) \(money.currency)" }
    public func validateDraft(_ draft: FundraiserDraft) -> [ValidationIssue] { client.validateDraft(draft: draft) }

    /// Queues a donation; returns once it is committed to disk.
    public func donate(_ request: DonationRequest) async -> DonateOutcome {
        await detached { [client] in
            do {
                return .queued(try client.donate(request: request))
            } catch let error as FundkitError {
                switch error {
                case .Validation(let issues): return .invalid(issues)
                case .Unavailable(let reason): return .unavailable(reason)
                case .OfflineLimit(let cap): return .overOfflineLimit(cap)
                case .StorageFull: return .outOfSpace
                default: return .failed(error)
                }
            } catch {
                return .failed(.Internal(detail: "\(error)"))
            }
        }
    }

    public func cancelDonation(id: String) async throws -> Donation { try await detached { [client] in try client.cancelDonation(id: id) } }
    public func pending() async throws -> [Donation] { try await detached { [client] in try client.pendingDonations() } }
    public func past(beforeSeq: Int64? = nil, limit: UInt32 = 50) async throws -> [Donation] {
        try await detached { [client] in try client.pastDonations(beforeSeq: beforeSeq, limit: limit) }
    }
    public func fundraisers(limit: UInt32 = 50, offset: UInt32 = 0) async throws -> [FundraiserView] {
        try await detached { [client] in try client.fundraisers(limit: limit, offset: offset) }
    }
    public func myFundraisers() async throws -> [FundraiserView] { try await detached { [client] in try client.myFundraisers() } }
    public func organiserDonations(fundraiserId: String, limit: UInt32 = 50, offset: UInt32 = 0) async throws -> OrganiserDonations {
        try await detached { [client] in try client.organiserDonations(fundraiserId: fundraiserId, limit: limit, offset: offset) }
    }
    public func wipeLocalData() async throws { try await detached { [client] in try client.wipeLocalData() } }

    // MARK: - Network (async in the core, on its own runtime)

    public func syncNow() async throws -> SyncReport { try await client.syncNow() }
    public func refreshFundraiser(id: String) async throws -> FundraiserView { try await client.refreshFundraiser(id: id) }
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
            return .failed(.Internal(detail: "\(error)"))
        }
    }

    private func detached<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Task.detached(priority: .userInitiated, operation: work).value
    }

    private func detached<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await Task.detached(priority: .userInitiated, operation: work).value
    }
}

// FundkitError's cases carry only Sendable values (strings, numbers, Sendable records and
// enums); the generator does not say so yet.
extension FundkitError: @unchecked Sendable {}

/// The core's auth callback, from a Swift closure.
final class TokenAuth: AuthProvider, @unchecked Sendable {
    private let tokens: TokenSource
    init(_ tokens: @escaping TokenSource) { self.tokens = tokens }
    func accessToken(forceRefresh: Bool) -> String? { tokens(forceRefresh) }
}

/// The one listener the core holds, fanned out to every open stream.
final class ListenerHub: FundkitListener, @unchecked Sendable {
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

/// Many AsyncStreams fed from one source. Ending a stream (its consumer cancelled, or the
/// loop left) removes its subscription.
final class Broadcast<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var continuations: [Int: AsyncStream<Element>.Continuation] = [:]

    var subscriberCount: Int { locked { continuations.count } }

    // NSLock.withLock needs iOS 16; the package supports iOS 15.
    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// A stream of what is sent from now on; `first` is yielded first when given. The
    /// subscription exists before `first` is yielded: nothing sent in between is lost.
    func subscribe(first: Element? = nil) -> AsyncStream<Element> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id: Int = locked {
                next += 1
                continuations[next] = continuation
                return next
            }
            continuation.onTermination = { [weak self] _ in
                self?.unsubscribe(id)
            }
            if let first { continuation.yield(first) }
        }
    }

    private func unsubscribe(_ id: Int) {
        _ = locked { continuations.removeValue(forKey: id) }
    }

    func send(_ element: Element) {
        let targets = locked { Array(continuations.values) }
        for c in targets { c.yield(element) }
    }

    func finish() {
        let targets: [AsyncStream<Element>.Continuation] = locked {
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
        for c in targets { c.finish() }
    }
}
