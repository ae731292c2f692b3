package dev.fundkit.ktx

import dev.fundkit.AuthProvider
import dev.fundkit.ClientConfig
import dev.fundkit.Clock
import dev.fundkit.Donation
import dev.fundkit.DonationRequest
import dev.fundkit.FundkitClient
import dev.fundkit.FundkitException
import dev.fundkit.FundkitListener
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserView
import dev.fundkit.HttpTransport
import dev.fundkit.OrganiserDonations
import dev.fundkit.Money
import dev.fundkit.OfflineCap
import dev.fundkit.SyncReport
import dev.fundkit.SyncState
import dev.fundkit.UnavailableReason
import dev.fundkit.ValidationIssue
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onSubscription
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

/** What became of a fundraiser the organiser submitted. */
sealed interface CreateOutcome {
    data class Created(val fundraiser: FundraiserView) : CreateOutcome

    data class Invalid(val issues: List<ValidationIssue>) : CreateOutcome

    data class Unavailable(val reason: UnavailableReason) : CreateOutcome

    /** No network: nothing was created; try again when online. */
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
 */
class FundKit private constructor(
    private val client: FundkitClient,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    private val donationsFlow =
        MutableSharedFlow<List<Donation>>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)
    private val fundraisersFlow =
        MutableSharedFlow<List<FundraiserView>>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)
    private val syncStateFlow = MutableStateFlow(client.syncState())

    /** Batches of donations that changed (queued, sending, confirmed, expired, ...). */
    val donationChanges: SharedFlow<List<Donation>> = donationsFlow.asSharedFlow()

    /** Fundraisers whose data or displayed total changed. */
    val fundraiserChanges: SharedFlow<List<FundraiserView>> = fundraisersFlow.asSharedFlow()

    /** Online, syncing, pending count, last error, next retry. */
    val syncState: StateFlow<SyncState> = syncStateFlow.asStateFlow()

    // The core calls this from its one notifier thread, in commit order: only hand over to flows.
    private val listener =
        object : FundkitListener {
            override fun onDonationsChanged(donations: List<Donation>) {
                donationsFlow.tryEmit(donations)
            }

            override fun onFundraisersChanged(fundraisers: List<FundraiserView>) {
                fundraisersFlow.tryEmit(fundraisers)
            }

            override fun onSyncStateChanged(state: SyncState) {
                syncStateFlow.value = state
            }
        }

    init {
        client.setListener(listener)
    }

    /** The generated client, for anything this layer does not wrap. */
    val raw: FundkitClient get() = client

    fun availability(action: dev.fundkit.Action) = client.availability(action)

    fun setOnline(online: Boolean) = client.setOnline(online)

    fun parseAmount(input: String, currency: String): Money = client.parseAmount(input, currency)

    fun formatAmount(money: Money): String = client.formatAmount(money)

    fun validateDraft(draft: FundraiserDraft): List<ValidationIssue> = client.validateDraft(draft)

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

    suspend fun createFundraiser(draft: FundraiserDraft): CreateOutcome =
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

    /** The organiser edits title, story, category or goal; checked in the core first, by field. */
    suspend fun editFundraiser(id: String, edit: FundraiserEdit): OrganiserOutcome = organiser { client.editFundraiser(id, edit) }

    /** Extends a running fundraiser by [days] (30-day steps, 90 days in all). */
    suspend fun extendFundraiser(id: String, days: Int = 30): OrganiserOutcome =
        organiser { client.extendFundraiser(id, days.toUInt()) }

    /** Ends a fundraiser now; donations still queued for it are refused and their donors told. */
    suspend fun endFundraiser(id: String): OrganiserOutcome = organiser { client.endFundraiser(id) }

    private suspend fun organiser(call: suspend () -> FundraiserView): OrganiserOutcome =
        try {
            OrganiserOutcome.Done(call())
        } catch (e: FundkitException.Validation) {
            OrganiserOutcome.Invalid(e.issues)
        } catch (e: FundkitException.Network) {
            OrganiserOutcome.Offline(e.message)
        } catch (e: FundkitException) {
            OrganiserOutcome.Failed(e)
        }

    /** The fundraisers the signed-in user organises (from the local cache). */
    suspend fun myFundraisers(): List<FundraiserView> = withContext(io) { client.myFundraisers() }

    /** A page of the donations a fundraiser received, with its totals (offline too). */
    suspend fun organiserDonations(fundraiserId: String, limit: Int = 50, offset: Int = 0): OrganiserDonations =
        withContext(io) { client.organiserDonations(fundraiserId, limit.toUInt(), offset.toUInt()) }

    suspend fun cancelDonation(id: String): Donation = withContext(io) { client.cancelDonation(id) }

    suspend fun pendingDonations(): List<Donation> = withContext(io) { client.pendingDonations() }

    suspend fun pastDonations(beforeSeq: Long? = null, limit: Int = 50): List<Donation> =
        withContext(io) { client.pastDonations(beforeSeq, limit.toUInt()) }

    suspend fun fundraiser(id: String): FundraiserView? = withContext(io) { client.fundraiser(id) }

    suspend fun fundraisers(limit: Int = 50, offset: Int = 0): List<FundraiserView> =
        withContext(io) { client.fundraisers(limit.toUInt(), offset.toUInt()) }

    /** Fetches a fundraiser the feed has not brought yet (a deep link). */
    suspend fun refreshFundraiser(id: String): FundraiserView = client.refreshFundraiser(id)

    /** Runs a sync pass now; safe to call from WorkManager. */
    suspend fun syncNow(): SyncReport = client.syncNow()

    /**
     * The pending list, re-read whenever a donation changes. It subscribes to changes first
     * and reads second, so a change between the two is never lost.
     */
    fun pendingDonationsFlow(): Flow<List<Donation>> =
        donationChanges
            .onSubscription { emit(emptyList()) } // the first read, once subscribed
            .map { client.pendingDonations() }
            .flowOn(io)

    /** One fundraiser as the screen shows it, re-read whenever it or a donation changes. */
    fun fundraiserFlow(id: String): Flow<FundraiserView?> =
        fundraiserChanges
            .onSubscription { emit(emptyList()) } // the first read, once subscribed
            .filter { changed -> changed.isEmpty() || changed.any { it.fundraiser.id == id } }
            .map { client.fundraiser(id) }
            .flowOn(io)

    /** Sign-out or a privacy request: every local row, erased. */
    suspend fun wipeLocalData() = withContext(io) { client.wipeLocalData() }

    override fun close() {
        client.setListener(null)
        client.close()
    }

    companion object {
        /**
         * A fresh donation id: make one when the donation sheet opens and send it with every
         * confirm of that sheet, so a double tap makes one donation.
         */
        fun newDonationId(): String = dev.fundkit.newDonationId()

        /** Opens FundKit on [io] (SQLite and migrations): safe to call from the main thread. */
        suspend fun openAsync(
            config: ClientConfig,
            tokens: TokenSource,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FundKit = withContext(io) { open(config, tokens, clock, io) }

        /** Opens FundKit on the app's database; blocking (SQLite), so call it off the main thread. */
        fun open(
            config: ClientConfig,
            tokens: TokenSource,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FundKit {
            val auth =
                object : AuthProvider {
                    override fun accessToken(forceRefresh: Boolean): String? = tokens.token(forceRefresh)
                }
            val client = if (clock == null) FundkitClient(config, auth) else FundkitClient.withClock(config, auth, clock)
            return FundKit(client, io)
        }

        /**
         * Opens FundKit with the app's [transport] (e.g. [OkHttpTransport] over the app's
         * OkHttpClient): the library Android ships has no HTTP stack of its own. Blocking
         * (SQLite), so call it off the main thread.
         */
        fun open(
            config: ClientConfig,
            tokens: TokenSource,
            transport: HttpTransport,
            clock: Clock? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FundKit {
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
            return FundKit(client, io)
        }
    }
}
