package dev.fundkit.ktx

import dev.fundkit.AuthProvider
import dev.fundkit.ClientConfig
import dev.fundkit.Clock
import dev.fundkit.Donation
import dev.fundkit.DonationQuote
import dev.fundkit.DonationRequest
import dev.fundkit.DonationSource
import dev.fundkit.FundkitClient
import dev.fundkit.FundkitClientInterface
import dev.fundkit.FundkitException
import dev.fundkit.FundkitListener
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserView
import dev.fundkit.GiftAidAvailability
import dev.fundkit.HttpTransport
import dev.fundkit.LinkProblem
import dev.fundkit.LinkTarget
import dev.fundkit.OrganiserDonations
import dev.fundkit.Money
import dev.fundkit.OfflineCap
import dev.fundkit.ShareLinks
import dev.fundkit.SyncReport
import dev.fundkit.SyncState
import dev.fundkit.UnavailableReason
import dev.fundkit.ValidationIssue
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import dev.fundkit.Limits
import dev.fundkit.OrganiserActions
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext

/**
 * Where the host's session gives FundKit a bearer token. Called off the main thread;
 * `forceRefresh` is true once after the server refused the last token. Return null when
 * signed out. FundKit never stores or logs the token.
 */
fun interface TokenSource {
    fun token(forceRefresh: Boolean): String?
}

/** What became of a donation the donor confirmed. Reads well in a `when`. */
sealed interface DonateOutcome {
    /** On disk: it will reach the server exactly once, or end in a state that says why. */
    data class Queued(val donation: Donation) : DonateOutcome

    /** Every problem with the form, by field. */
    data class Invalid(val issues: List<ValidationIssue>) : DonateOutcome

    data class Unavailable(val reason: UnavailableReason) : DonateOutcome

    /** Offline, this donation would break a cap (one amount, the total, or the count). */
    data class OverOfflineLimit(val cap: OfflineCap) : DonateOutcome

    /** The phone is out of storage: nothing was saved; free some space and try again. */
    data object OutOfSpace : DonateOutcome

    /** Anything else (storage, a bug): show a generic error and keep the form. */
    data class Failed(val error: FundkitException) : DonateOutcome
}

/** What a donation would cost, asked before Confirm ([FundKit.quoteDonation]). */
sealed interface QuoteOutcome {
    /** Amount, fees, what the donor pays and the organiser receives; Gift Aid and what it adds. */
    data class Quoted(val quote: DonationQuote) : QuoteOutcome

    /** What `donate` would refuse too (an amount below the minimum or the fees, ...), by field. */
    data class Invalid(val issues: List<ValidationIssue>) : QuoteOutcome

    /** Anything else (the fundraiser is not cached yet, storage): no quote to show. */
    data class Failed(val error: FundkitException) : QuoteOutcome
}

/** What became of a link the app was asked to open ([FundKit.openLink]). */
sealed interface LinkOutcome {
    /** The fundraiser, fresh from the server, and where the link was shared (pass it to the donation). */
    data class Opened(val target: LinkTarget, val fundraiser: FundraiserView) : LinkOutcome

    /** The link opens no fundraiser: [problem] says why (not ours, malformed, not visible). */
    data class Refused(val problem: LinkProblem) : LinkOutcome

    /** No network: the link may be fine; try again when online. */
    data object Offline : LinkOutcome

    data class Failed(val error: FundkitException) : LinkOutcome
}

/** What became of a fundraiser the organiser submitted. */
sealed interface CreateOutcome {
    data class Created(val fundraiser: FundraiserView) : CreateOutcome

    data class Invalid(val issues: List<ValidationIssue>) : CreateOutcome

    data class Unavailable(val reason: UnavailableReason) : CreateOutcome

    /** No network: nothing was created; try again when online. (`message` is for logs.) */
    data class Offline(val message: String) : CreateOutcome

    data class Failed(val error: FundkitException) : CreateOutcome
}

/** What became of an organiser's action (edit, extend, end). */
sealed interface OrganiserOutcome {
    data class Done(val fundraiser: FundraiserView) : OrganiserOutcome

    /** Every problem, by field (`title`, `goal`, `duration_days`, `state`, ...). */
    data class Invalid(val issues: List<ValidationIssue>) : OrganiserOutcome

    /** No network: nothing changed; try again when online. */
    data class Offline(val message: String) : OrganiserOutcome

    data class Failed(val error: FundkitException) : OrganiserOutcome
}

/**
 * The app's handle on FundKit: the generated [FundkitClient] with coroutines and flows.
 * Every rule stays in Rust; this layer only moves blocking calls to [io] and turns the
 * core's listener into flows. Close it (or use `use {}`) when the user signs out.
 *
 * Threading contract (tested in ConcurrencyTest): every call that may touch SQLite or the
 * network runs on [io], whatever dispatcher the caller is on, so a screen may call any
 * suspend function from Main. Only pure calls (parse and format an amount, validate a
 * draft, the rollout gate, the organiser's actions, the share links) run on the caller's thread.
 */
class FundKit private constructor(
    private val client: FundkitClientInterface,
    private val closer: AutoCloseable,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    // Events are never dropped: an unbounded buffer per subscriber (the core sends one batch
    // per commit, and a slow collector is the app's to fix, not ours to hide).
    private val donationsFlow = MutableSharedFlow<List<Donation>>(extraBufferCapacity = Int.MAX_VALUE)
    private val fundraisersFlow = MutableSharedFlow<List<FundraiserView>>(extraBufferCapacity = Int.MAX_VALUE)

    // Conflated change counters: a screen re-reads once per burst and never misses the last one.
    private val donationVersion = MutableStateFlow(0L)
    private val fundraiserVersion = MutableStateFlow(0L)

    private val syncLock = Any()
    private var syncFromListener: SyncState? = null
    private val syncStateFlow: MutableStateFlow<SyncState>

    /** Batches of donations that changed (queued, sending, confirmed, expired, ...). */
    val donationChanges: SharedFlow<List<Donation>> = donationsFlow.asSharedFlow()

    /** Fundraisers whose data or displayed total changed. */
    val fundraiserChanges: SharedFlow<List<FundraiserView>> = fundraisersFlow.asSharedFlow()

    /** Online, syncing, pending count, last error, next retry. Conflated: always the latest. */
    val syncState: StateFlow<SyncState>

    // The core calls this from its one notifier thread, in commit order: only hand over to flows.
    private val listener =
        object : FundkitListener {
            override fun onDonationsChanged(donations: List<Donation>) {
                donationsFlow.tryEmit(donations)
                donationVersion.update()
            }

            override fun onFundraisersChanged(fundraisers: List<FundraiserView>) {
                fundraisersFlow.tryEmit(fundraisers)
                fundraiserVersion.update()
            }

            override fun onSyncStateChanged(state: SyncState) {
                synchronized(syncLock) {
                    if (!syncReady) syncFromListener = state else syncStateFlow.value = state
                }
            }
        }

    @Volatile private var syncReady = false

    init {
        // Subscribe first, then read: an event that lands between the two is newer than
        // the read, so the read never overwrites it.
        client.setListener(listener)
        val read = client.syncState()
        synchronized(syncLock) {
            syncStateFlow = MutableStateFlow(syncFromListener ?: read)
            syncReady = true
        }
        syncState = syncStateFlow.asStateFlow()
    }

    private fun MutableStateFlow<Long>.update() {
        while (true) {
            val v = value
            if (compareAndSet(v, v + 1)) return
        }
    }

    /** The generated client, for anything this layer does not wrap (blocking: call it off Main). */
    val raw: FundkitClientInterface get() = client

    /** The rollout gate: answered from memory, safe on Main. */
    fun availability(action: dev.fundkit.Action) = client.availability(action)

    /** Tells the core the network changed. Blocking-free, but call it in order: see [followConnectivity]. */
    fun setOnline(online: Boolean) = client.setOnline(online)

    /**
     * Feeds the host's connectivity into the core in the order it happened, on one
     * coroutine, latest value winning: never one `launch` per callback (those can land out
     * of order and leave the core offline while the phone is online). Runs until cancelled.
     */
    suspend fun followConnectivity(online: Flow<Boolean>) =
        withContext(io) { online.distinctUntilChanged().collect { client.setOnline(it) } }

    /** Parses what the donor typed in the client's locale: pure, safe on Main. */
    fun parseAmount(input: String, currency: String): Money = client.parseAmount(input, currency)

    /** Formats money in the client's locale (the core's `formatMoney`): pure, safe on Main. */
    fun formatAmount(money: Money): String = client.formatAmount(money)

    fun validateDraft(draft: FundraiserDraft): List<ValidationIssue> = client.validateDraft(draft)

    /** The limits in force (from the server's config, or the defaults). */
    fun limits(): Limits = client.limits()

    /** Days left, end instant, may edit / extend / end: the core's rule, never worked out here. */
    fun organiserActions(fundraiser: dev.fundkit.Fundraiser, nowMs: Long): OrganiserActions =
        dev.fundkit.organiserActions(fundraiser, nowMs, client.limits())

    /** Queues a donation; returns once it is committed to disk. */
    suspend fun donate(request: DonationRequest): DonateOutcome =
        withContext(io) {
            try {
                DonateOutcome.Queued(client.donate(request))
            } catch (e: FundkitException.Validation) {
                DonateOutcome.Invalid(e.issues)
            } catch (e: FundkitException.Unavailable) {
                DonateOutcome.Unavailable(e.reason)
            } catch (e: FundkitException.OfflineLimit) {
                DonateOutcome.OverOfflineLimit(e.cap)
            } catch (e: FundkitException.StorageFull) {
                DonateOutcome.OutOfSpace
            } catch (e: FundkitException) {
                DonateOutcome.Failed(e)
            }
        }

    /**
     * What [request] would cost and add, before the donor confirms (amount, fees, what the
     * donor pays, what the organiser receives, Gift Aid): the core's quote, with the rules
     * `donate` applies (the payment token aside). Reads the cached fundraiser: runs on [io].
     */
    suspend fun quoteDonation(request: DonationRequest): QuoteOutcome =
        withContext(io) {
            try {
                QuoteOutcome.Quoted(client.quoteDonation(request))
            } catch (e: FundkitException.Validation) {
                QuoteOutcome.Invalid(e.issues)
            } catch (e: FundkitException) {
                QuoteOutcome.Failed(e)
            }
        }

    /** Whether donations to this (cached) fundraiser may carry Gift Aid, and if not why not. */
    suspend fun giftAidAvailability(fundraiserId: String): GiftAidAvailability =
        withContext(io) { client.giftAidAvailability(fundraiserId) }

    /**
     * The links that share a fundraiser from [source]: `web` for the share sheet, `app` inside
     * the app. Made from the server config the core holds in memory: pure, safe on Main.
     */
    fun shareLinks(fundraiserId: String, source: DonationSource = DonationSource.LINK): ShareLinks =
        client.shareLinks(fundraiserId, source)

    /**
     * Opens a link (an App Link, the app's own scheme): its shape is checked by the core,
     * then the fundraiser is fetched from the server. Never throws for a bad link: the
     * outcome says why it opens nothing.
     */
    suspend fun openLink(link: String): LinkOutcome =
        withContext(io) {
            try {
                val opened = client.openLink(link)
                LinkOutcome.Opened(opened.target, opened.fundraiser)
            } catch (e: FundkitException.Link) {
                LinkOutcome.Refused(e.problem)
            } catch (e: FundkitException.Network) {
                LinkOutcome.Offline
            } catch (e: FundkitException) {
                LinkOutcome.Failed(e)
            }
        }

    suspend fun createFundraiser(draft: FundraiserDraft): CreateOutcome =
        withContext(io) {
            try {
                CreateOutcome.Created(client.createFundraiser(draft))
            } catch (e: FundkitException.Validation) {
                CreateOutcome.Invalid(e.issues)
            } catch (e: FundkitException.Unavailable) {
                CreateOutcome.Unavailable(e.reason)
            } catch (e: FundkitException.Network) {
                CreateOutcome.Offline(e.message)
            } catch (e: FundkitException) {
                CreateOutcome.Failed(e)
            }
        }

    /** The organiser edits title, story, category or goal; checked in the core first, by field. */
    suspend fun editFundraiser(id: String, edit: FundraiserEdit): OrganiserOutcome = organiser { client.editFundraiser(id, edit) }

    /** Extends a running fundraiser by [days]; by default one step of the core's limits (`extensionStepDays`). */
    suspend fun extendFundraiser(id: String, days: Int? = null): OrganiserOutcome =
        organiser { client.extendFundraiser(id, (days?.toUInt() ?: client.limits().extensionStepDays)) }

    /** Ends a fundraiser now; donations still queued for it are refused and their donors told. */
    suspend fun endFundraiser(id: String): OrganiserOutcome = organiser { client.endFundraiser(id) }

    // The async FFI call polls its Rust future once on the calling thread, and that first poll
    // reads SQLite: so even a suspend call into the core starts on [io].
    private suspend fun organiser(call: suspend () -> FundraiserView): OrganiserOutcome =
        withContext(io) {
            try {
                OrganiserOutcome.Done(call())
            } catch (e: FundkitException.Validation) {
                OrganiserOutcome.Invalid(e.issues)
            } catch (e: FundkitException.Network) {
                OrganiserOutcome.Offline(e.message)
            } catch (e: FundkitException) {
                OrganiserOutcome.Failed(e)
            }
        }

    /** The fundraisers the signed-in user organises (from the local cache). */
    suspend fun myFundraisers(): List<FundraiserView> = withContext(io) { client.myFundraisers() }

    /** A page of the donations a fundraiser received, with its totals (offline too). */
    suspend fun organiserDonations(fundraiserId: String, limit: Int = 50, offset: Int = 0): OrganiserDonations =
        withContext(io) { client.organiserDonations(fundraiserId, limit.toUInt(), offset.toUInt()) }

    suspend fun cancelDonation(id: String): Donation = withContext(io) { client.cancelDonation(id) }

    /** One donation as it is on this phone (null if this phone never made it). */
    suspend fun donation(id: String): Donation? = withContext(io) { client.donation(id) }

    suspend fun pendingDonations(): List<Donation> = withContext(io) { client.pendingDonations() }

    suspend fun pastDonations(beforeSeq: Long? = null, limit: Int = 50): List<Donation> =
        withContext(io) { client.pastDonations(beforeSeq, limit.toUInt()) }

    suspend fun fundraiser(id: String): FundraiserView? = withContext(io) { client.fundraiser(id) }

    suspend fun fundraisers(limit: Int = 50, offset: Int = 0): List<FundraiserView> =
        withContext(io) { client.fundraisers(limit.toUInt(), offset.toUInt()) }

    /** Fetches a fundraiser the feed has not brought yet (a deep link). */
    suspend fun refreshFundraiser(id: String): FundraiserView = withContext(io) { client.refreshFundraiser(id) }

    /** Runs a sync pass now; safe to call from WorkManager or Main. */
    suspend fun syncNow(): SyncReport = withContext(io) { client.syncNow() }

    /**
     * The pending list: read when collected, then re-read after any donation change. The
     * change counter is a conflated StateFlow, subscribed before the first read: a burst
     * of changes costs one read, and the last change is never lost.
     */
    fun pendingDonationsFlow(): Flow<List<Donation>> =
        donationVersion.map { client.pendingDonations() }.flowOn(io).conflate()

    /** One fundraiser as the screen shows it, re-read whenever a fundraiser or a donation changes. */
    fun fundraiserFlow(id: String): Flow<FundraiserView?> =
        combine(fundraiserVersion, donationVersion) { a, b -> a to b }
            .map { client.fundraiser(id) }
            .flowOn(io)
            .conflate()
            .distinctUntilChanged()

    /** One donation of this phone, re-read after any donation change (for the donate sheet and the bank's step). */
    fun donationFlow(id: String): Flow<Donation?> =
        donationVersion.map { client.donation(id) }.flowOn(io).conflate().distinctUntilChanged()

    /** Sign-out or a privacy request: every local row, erased. */
    suspend fun wipeLocalData() = withContext(io) { client.wipeLocalData() }

    override fun close() {
        client.setListener(null)
        closer.close()
    }

    companion object {
        /**
         * A fresh donation id: make one when the donation sheet opens and send it with every
         * confirm of that sheet, so a double tap makes one donation.
         */
        fun newDonationId(): String = dev.fundkit.newDonationId()

        /**
         * Opens FundKit on [io] (SQLite and migrations): safe to call from the main thread. An
         * app passes its [transport] (e.g. [OkHttpTransport]): the library Android ships has no
         * HTTP stack of its own; without one, only a desktop library built with reqwest opens.
         */
        suspend fun openAsync(
            config: ClientConfig,
            tokens: TokenSource,
            transport: HttpTransport? = null,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FundKit =
            withContext(io) {
                if (transport == null) open(config, tokens, clock, io) else open(config, tokens, transport, clock, io)
            }

        /**
         * Opens FundKit on the app's database; blocking (SQLite), so call it off the main thread.
         * [intercept] wraps the generated client (tests use it to watch which thread calls what).
         */
        fun open(
            config: ClientConfig,
            tokens: TokenSource,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
            intercept: (FundkitClientInterface) -> FundkitClientInterface = { it },
        ): FundKit {
            val auth =
                object : AuthProvider {
                    override fun accessToken(forceRefresh: Boolean): String? = tokens.token(forceRefresh)
                }
            val client = if (clock == null) FundkitClient(config, auth) else FundkitClient.withClock(config, auth, clock)
            return FundKit(intercept(client), client, io)
        }

        /**
         * Opens FundKit with the app's [transport] (e.g. [OkHttpTransport] over the app's
         * OkHttpClient): the library Android ships has no HTTP stack of its own. Blocking
         * (SQLite), so call it off the main thread. [intercept] as in the other [open].
         */
        fun open(
            config: ClientConfig,
            tokens: TokenSource,
            transport: HttpTransport,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
            intercept: (FundkitClientInterface) -> FundkitClientInterface = { it },
        ): FundKit {
            // Before the first request: the core's sync thread then crosses into Kotlin
            // without being attached to the JVM anew each time (OkHttpTransport.kt).
            keepFundKitThreadsAttached()
            val auth =
                object : AuthProvider {
                    override fun accessToken(forceRefresh: Boolean): String? = tokens.token(forceRefresh)
                }
            val client =
                if (clock == null) {
                    FundkitClient.withTransport(config, auth, transport)
                } else {
                    FundkitClient.withTransportAndClock(config, auth, transport, clock)
                }
            return FundKit(intercept(client), client, io)
        }
    }
}
