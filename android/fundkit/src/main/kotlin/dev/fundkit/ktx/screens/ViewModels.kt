package dev.fundkit.ktx.screens

import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import dev.fundkit.Action
import dev.fundkit.Availability
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.Donation
import dev.fundkit.DonationRequest
import dev.fundkit.DonationState
import dev.fundkit.FundkitException
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserState
import dev.fundkit.FundraiserView
import dev.fundkit.IssueCode
import dev.fundkit.Money
import dev.fundkit.MoneyError
import dev.fundkit.OfflineCap
import dev.fundkit.SyncProblem
import dev.fundkit.UnavailableReason
import dev.fundkit.Visibility
import dev.fundkit.ktx.CreateOutcome
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.OrganiserOutcome
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

// Screen logic for the app shell: AndroidX ViewModels (the multiplatform lifecycle
// artifacts, so the JVM tests and the screenshot renderer run this very code) with their
// state in SavedStateHandle where losing it would cost the user: a rotation, a theme or
// language change or process death gives back the same form and the same donation id.
//
// Every rule is asked of the core; every state here holds codes and data, never words:
// the app puts them into words from its resources (values/, values-es/).

/** The gate in front of "Start a fundraiser" and "Donate". */
sealed interface GateState {
    data object Open : GateState

    data class Closed(val reason: UnavailableReason) : GateState
}

fun FundKit.gate(action: Action): GateState =
    when (val a = availability(action)) {
        is Availability.Available -> GateState.Open
        is Availability.Unavailable -> GateState.Closed(a.reason)
    }

/** Why an action that needs the server did not happen: a code for the app to word. */
sealed interface ActionProblem {
    /** No network: nothing changed; try again when online. */
    data object Offline : ActionProblem

    data class Unavailable(val reason: UnavailableReason) : ActionProblem

    /** Anything else; the error is for logs, never for the screen. */
    data class Failed(val error: FundkitException) : ActionProblem
}

// ---- create ----

/** The create form: fields as typed, and the core's issues by field. */
data class CreateFormState(
    val title: String = "",
    val story: String = "",
    val goalText: String = "",
    val category: Category = Category.COMMUNITY,
    val kind: FundraiserKind = FundraiserKind.PersonalCause(Beneficiary.MYSELF),
    /** The organiser's country (ISO 3166) and its currency, from the core. */
    val country: String = "",
    /** Null when FundKit has no currency for the organiser's country: the form cannot be sent. */
    val currency: String? = null,
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    val submitting: Boolean = false,
    val created: FundraiserView? = null,
    val problem: ActionProblem? = null,
)

/**
 * The organiser's create form. The country is the organiser's own (their account's, as
 * the app's session knows it); the currency is the core's `currencyForCountry`, never a
 * constant: US organisers raise in USD, UK in GBP, Irish in EUR.
 */
class CreateFundraiserViewModel(
    private val fundkit: FundKit,
    organiserCountry: String,
    private val saved: SavedStateHandle,
) : ViewModel() {
    private val currency: String? = dev.fundkit.currencyForCountry(organiserCountry)
    private val mutable =
        MutableStateFlow(
            CreateFormState(
                title = saved[TITLE] ?: "",
                story = saved[STORY] ?: "",
                goalText = saved[GOAL] ?: "",
                country = organiserCountry,
                currency = currency,
            ),
        )
    val state: StateFlow<CreateFormState> = mutable.asStateFlow()

    fun edit(change: CreateFormState.() -> CreateFormState) {
        val next = mutable.value.change()
        mutable.value = next
        saved[TITLE] = next.title
        saved[STORY] = next.story
        saved[GOAL] = next.goalText
    }

    /** Validates in the core (every issue at once) and, if clean, creates on the server. */
    fun submit(): Job =
        viewModelScope.launch {
            val form = mutable.value
            if (form.submitting || form.created != null) return@launch
            val currency = form.currency ?: return@launch
            val goal =
                try {
                    fundkit.parseAmount(form.goalText, currency)
                } catch (e: FundkitException.InvalidAmount) {
                    null
                }
            val draft =
                FundraiserDraft(
                    kind = form.kind,
                    category = form.category,
                    title = form.title,
                    story = form.story,
                    goal = goal ?: Money(0, currency),
                    country = form.country,
                )
            val issues = fundkit.validateDraft(draft).groupBy({ it.field }, { it.code }).toMutableMap()
            if (goal == null) issues["goal"] = listOf(IssueCode.REQUIRED)
            if (issues.isNotEmpty()) {
                mutable.value = form.copy(issues = issues)
                return@launch
            }
            mutable.value = form.copy(issues = emptyMap(), submitting = true, problem = null)
            val outcome = fundkit.createFundraiser(draft)
            mutable.update {
                when (outcome) {
                    is CreateOutcome.Created -> it.copy(submitting = false, created = outcome.fundraiser)
                    is CreateOutcome.Invalid -> it.copy(submitting = false, issues = outcome.issues.groupBy({ i -> i.field }, { i -> i.code }))
                    is CreateOutcome.Unavailable -> it.copy(submitting = false, problem = ActionProblem.Unavailable(outcome.reason))
                    is CreateOutcome.Offline -> it.copy(submitting = false, problem = ActionProblem.Offline)
                    is CreateOutcome.Failed -> it.copy(submitting = false, problem = ActionProblem.Failed(outcome.error))
                }
            }
        }

    private companion object {
        const val TITLE = "create.title"
        const val STORY = "create.story"
        const val GOAL = "create.goal"
    }
}

// ---- a fundraiser's page ----

/**
 * A fundraiser page. Confirmed money and the donor's own pending money are shown apart and
 * never added into one label: "$40.00 raised of $5,000.00" and "+ $65.00 of yours waiting
 * to be sent". The bar draws confirmed, then pending on top of it.
 */
data class FundraiserScreenState(
    val id: String = "",
    val title: String = "",
    val story: String = "",
    val organiserName: String = "",
    val state: FundraiserState? = null,
    /** Confirmed on the server only, formatted by the core. */
    val raisedLabel: String = "",
    val goalLabel: String = "",
    /** The donor's own donations not yet confirmed; null when none. */
    val pendingLabel: String? = null,
    val pendingCount: Int = 0,
    /** Confirmed donations on the server. */
    val donationCount: Long = 0,
    /** Whole days left, from the core; 0 once ended. */
    val daysLeft: Int = 0,
    /** 0..1 display ratios (never money): confirmed, and confirmed plus pending. */
    val progressConfirmed: Float = 0f,
    val progressWithPending: Float = 0f,
    /** Whole percent of the goal confirmed, for the progress bar's spoken description. */
    val percentConfirmed: Int = 0,
    val viewerIsOrganiser: Boolean = false,
    val online: Boolean = true,
    val syncing: Boolean = false,
    val loaded: Boolean = false,
)

class FundraiserViewModel(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    private val now: () -> Long = { System.currentTimeMillis() },
) : ViewModel() {
    private val mutable = MutableStateFlow(FundraiserScreenState(id = fundraiserId))
    val state: StateFlow<FundraiserScreenState> = mutable.asStateFlow()

    init {
        viewModelScope.launch {
            combine(fundkit.fundraiserFlow(fundraiserId), fundkit.syncState) { view, sync -> view to sync }
                .collect { (view, sync) ->
                    mutable.value =
                        (if (view == null) FundraiserScreenState(id = fundraiserId) else render(view))
                            .copy(online = sync.online, syncing = sync.syncing)
                }
        }
    }

    private fun render(view: FundraiserView): FundraiserScreenState {
        val f = view.fundraiser
        val goal = f.goal.minorUnits
        fun ratio(minor: Long) = if (goal > 0) (minor.toDouble() / goal).coerceIn(0.0, 1.0).toFloat() else 0f
        return FundraiserScreenState(
            id = f.id,
            title = f.title,
            story = f.story,
            organiserName = f.organiserName,
            state = f.state,
            raisedLabel = fundkit.formatAmount(f.confirmedTotal),
            goalLabel = fundkit.formatAmount(f.goal),
            pendingLabel = if (view.pendingCount > 0u) fundkit.formatAmount(view.pendingTotal) else null,
            pendingCount = view.pendingCount.toInt(),
            donationCount = f.donationCount.toLong(),
            daysLeft = fundkit.organiserActions(f, now()).daysLeft.toInt(),
            progressConfirmed = ratio(f.confirmedTotal.minorUnits),
            progressWithPending = ratio(view.displayedTotal.minorUnits),
            percentConfirmed = if (goal > 0) ((f.confirmedTotal.minorUnits * 100) / goal).toInt() else 0,
            viewerIsOrganiser = f.viewerIsOrganiser,
            loaded = true,
        )
    }
}

// ---- the donate sheet ----

/** A preset amount: what the chip reads (formatted by the core) and what it types into the field. */
data class PresetAmount(val label: String, val text: String)

/** Where the sheet's one donation is. */
enum class DonateStage {
    /** The form: nothing queued yet. */
    FORM,

    /** Queued or being sent: on this phone, it will reach the server once. */
    PENDING,

    /** The donor's bank asks them to confirm on its page (action_url). */
    BANK_STEP,
    CONFIRMED,

    /** Refused (declined, the bank's step failed, the fundraiser ended...): `reason` says why. */
    REJECTED,

    /** Not sent in time while offline, or cancelled by the donor. */
    EXPIRED,
    CANCELLED,
}

/** The donate sheet: the amount as typed, parsed and formatted by the core; the sheet's donation. */
data class DonateSheetState(
    val fundraiserTitle: String = "",
    val currency: String? = null,
    val presets: List<PresetAmount> = emptyList(),
    val amountText: String = "",
    val amountLabel: String? = null,
    /** Why the typed amount is not an amount: the core's typed reason. */
    val amountError: MoneyError? = null,
    val message: String = "",
    val visibility: Visibility = Visibility.PUBLIC,
    val hideAmount: Boolean = false,
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    /** The last confirm's outcome when it did not queue (over a cap, invalid, ...). */
    val refusal: DonateOutcome? = null,
    /** A confirm is on its way: the button is disabled. */
    val submitting: Boolean = false,
    /** The sheet's donation as this phone has it now (null until confirmed). */
    val donation: Donation? = null,
    /** Its amount, formatted by the core. */
    val donationLabel: String? = null,
    /** A bank-step check (a sync pass) is running. */
    val checkingBank: Boolean = false,
    val loaded: Boolean = false,
) {
    val stage: DonateStage
        get() =
            when (donation?.state) {
                null -> DonateStage.FORM
                DonationState.QUEUED, DonationState.SENDING -> DonateStage.PENDING
                DonationState.NEEDS_ACTION -> DonateStage.BANK_STEP
                DonationState.CONFIRMED -> DonateStage.CONFIRMED
                DonationState.REJECTED -> DonateStage.REJECTED
                DonationState.EXPIRED -> DonateStage.EXPIRED
                DonationState.CANCELLED -> DonateStage.CANCELLED
            }

    /** Confirm can be pressed: loaded, not while one is in flight, never once the donation exists. */
    val canConfirm: Boolean get() = loaded && !submitting && donation == null

    /** The bank's page to open (in a Custom Tab on Android) while the bank asks for a step. */
    val bankUrl: String? get() = donation?.takeIf { it.state == DonationState.NEEDS_ACTION }?.actionUrl
}

/**
 * The donate sheet. Its donation id is made once and kept in [SavedStateHandle]: a new
 * ViewModel after rotation or process death confirms the SAME donation (the core answers a
 * repeated id with the first donation), and on start it looks the id up in the core, so a
 * sheet whose donation already exists shows it instead of a Confirm button.
 */
class DonateViewModel(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    private val saved: SavedStateHandle,
) : ViewModel() {
    /** Made when the sheet first opens and saved: every confirm of this sheet is the same donation. */
    val donationId: String = saved[DONATION_ID] ?: FundKit.newDonationId().also { saved[DONATION_ID] = it }

    private val mutable =
        MutableStateFlow(
            DonateSheetState(
                amountText = saved[AMOUNT] ?: "",
                message = saved[MESSAGE] ?: "",
                visibility = saved.get<String>(VISIBILITY)?.let { Visibility.valueOf(it) } ?: Visibility.PUBLIC,
                hideAmount = saved[HIDE_AMOUNT] ?: false,
            ),
        )
    val state: StateFlow<DonateSheetState> = mutable.asStateFlow()

    init {
        viewModelScope.launch {
            val view = fundkit.fundraiser(fundraiserId) ?: fundkit.refreshFundraiser(fundraiserId)
            val currency = view.fundraiser.goal.currency
            val presets = presets(currency)
            // Loaded in one step with the restored amount parsed: no state shows one without the other.
            mutable.update {
                val loaded = it.copy(fundraiserTitle = view.fundraiser.title, currency = currency, presets = presets, loaded = true)
                if (it.amountText.isEmpty()) loaded else loaded.withAmount(it.amountText, currency)
            }
        }
        // The sheet's donation, as the core has it: subscribed before read, so its outcome
        // (sent, confirmed, the bank's step, refused) reaches the sheet through sync.
        viewModelScope.launch {
            fundkit.donationFlow(donationId).collect { d ->
                val label = d?.let { fundkit.formatAmount(it.amount) }
                mutable.update { it.copy(donation = d, donationLabel = label) }
            }
        }
    }

    private fun presets(currency: String): List<PresetAmount> {
        val limits = fundkit.limits()
        val scale = Math.pow(10.0, dev.fundkit.currencyExponent(currency).toDouble()).toLong()
        return PRESET_MAJOR.filter { it >= limits.donationMinMajor && it <= limits.donationMaxMajor }
            .map { major -> PresetAmount(fundkit.formatAmount(Money(major * scale, currency)), major.toString()) }
    }

    fun amountChanged(text: String) {
        saved[AMOUNT] = text
        mutable.update { state -> state.currency?.let { state.withAmount(text, it) } ?: state.copy(amountText = text) }
    }

    /** The amount as typed, parsed and formatted by the core (or the core's reason it is not one). */
    private fun DonateSheetState.withAmount(text: String, currency: String): DonateSheetState =
        try {
            val money = fundkit.parseAmount(text, currency)
            copy(amountText = text, amountLabel = fundkit.formatAmount(money), amountError = null, refusal = null)
        } catch (e: FundkitException.InvalidAmount) {
            copy(amountText = text, amountLabel = null, amountError = e.reason, refusal = null)
        }

    fun messageChanged(text: String) {
        saved[MESSAGE] = text
        mutable.update { it.copy(message = text) }
    }

    fun visibilityChanged(visibility: Visibility) {
        saved[VISIBILITY] = visibility.name
        mutable.update { it.copy(visibility = visibility) }
    }

    fun hideAmountChanged(hide: Boolean) {
        saved[HIDE_AMOUNT] = hide
        mutable.update { it.copy(hideAmount = hide) }
    }

    /**
     * `paymentToken` comes from the platform's payment sheet. A second tap while the first is
     * in flight, or once the donation exists, does nothing; and even if one got through (a
     * new ViewModel from saved state), the saved [donationId] makes the core return the first
     * donation, not a second.
     */
    fun confirm(paymentToken: String): Job? {
        val form = mutable.value
        if (!form.canConfirm) return null
        val currency = form.currency ?: return null
        mutable.value = form.copy(submitting = true, refusal = null)
        return viewModelScope.launch {
            val amount =
                try {
                    fundkit.parseAmount(form.amountText, currency)
                } catch (e: FundkitException.InvalidAmount) {
                    mutable.update { it.copy(amountError = e.reason, submitting = false) }
                    return@launch
                }
            val outcome =
                fundkit.donate(
                    DonationRequest(
                        fundraiserId = fundraiserId,
                        amount = amount,
                        message = form.message.ifBlank { null },
                        visibility = form.visibility,
                        hideAmount = form.hideAmount,
                        paymentToken = paymentToken,
                        id = donationId,
                    ),
                )
            mutable.update {
                when (outcome) {
                    is DonateOutcome.Queued ->
                        it.copy(
                            submitting = false,
                            donation = it.donation ?: outcome.donation,
                            donationLabel = it.donationLabel ?: fundkit.formatAmount(outcome.donation.amount),
                            issues = emptyMap(),
                        )
                    is DonateOutcome.Invalid -> it.copy(submitting = false, refusal = outcome, issues = outcome.issues.groupBy({ i -> i.field }, { i -> i.code }))
                    else -> it.copy(submitting = false, refusal = outcome)
                }
            }
        }
    }

    /**
     * After the donor comes back from the bank's page (the Custom Tab closed): a sync pass
     * asks the server for the outcome, which reaches [state] through the donation's flow.
     */
    fun checkBankOutcome(): Job =
        viewModelScope.launch {
            mutable.update { it.copy(checkingBank = true) }
            try {
                fundkit.syncNow()
            } catch (e: FundkitException) {
                // Offline or the server is away: the outcome comes with a later pass.
            } finally {
                mutable.update { it.copy(checkingBank = false) }
            }
        }

    companion object {
        const val DONATION_ID = "donate.id"
        private const val AMOUNT = "donate.amount"
        private const val MESSAGE = "donate.message"
        private const val VISIBILITY = "donate.visibility"
        private const val HIDE_AMOUNT = "donate.hide_amount"

        /** Preset amounts in major units of the fundraiser's currency (kept within the core's limits). */
        private val PRESET_MAJOR = listOf(10L, 25L, 50L, 100L)
    }
}

// ---- pending donations ----

/** "Pending donations" with the offline state. */
data class PendingListState(
    val rows: List<PendingRow> = emptyList(),
    val online: Boolean = true,
    val waitingForNetwork: Boolean = false,
    /** Why the last sync pass failed, typed (offline, signed out, refused); null offline or once a pass succeeds. */
    val syncError: SyncProblem? = null,
    val loaded: Boolean = false,
) {
    val syncFailed: Boolean get() = syncError != null
}

/** One pending donation: its amount (formatted by the core), its state and the core's reason code. */
data class PendingRow(val id: String, val amountLabel: String, val state: DonationState, val reason: String?)

class PendingDonationsViewModel(private val fundkit: FundKit) : ViewModel() {
    private val mutable = MutableStateFlow(PendingListState())
    val state: StateFlow<PendingListState> = mutable.asStateFlow()

    init {
        viewModelScope.launch {
            combine(fundkit.pendingDonationsFlow(), fundkit.syncState) { rows, sync -> rows to sync }
                .collect { (rows, sync) ->
                    mutable.value =
                        PendingListState(
                            rows = rows.map { PendingRow(it.id, fundkit.formatAmount(it.amount), it.state, it.reason) },
                            online = sync.online,
                            waitingForNetwork = !sync.online && rows.isNotEmpty(),
                            syncError = if (sync.online) sync.lastError else null,
                            loaded = true,
                        )
                }
        }
    }

    /** "Retry now": a sync pass (its failure shows through the sync state). */
    fun retry(): Job = viewModelScope.launch { runCatching { fundkit.syncNow() } }
}

// ---- the organiser's dashboard ----

/** One donation on the organiser's dashboard, as the donor's choices let the organiser see it. */
data class DonorRow(
    val id: String,
    /** Null when the donor gave anonymously: the app says "Anonymous" in its own words. */
    val name: String?,
    /** Null when the donor hid the amount. */
    val amountLabel: String?,
    val message: String?,
)

/** The organiser's dashboard: state, days left, raised of goal, donors, and the actions. */
data class OrganiserDashboardState(
    val title: String = "",
    val state: FundraiserState? = null,
    val daysLeft: Int = 0,
    val raisedLabel: String = "",
    val goalLabel: String = "",
    /** 0..1 for the progress bar: a display ratio, never money. */
    val progress: Float = 0f,
    val percentConfirmed: Int = 0,
    /** Confirmed donations and distinct donors: one donor may give three times. */
    val donationCount: Long = 0,
    val donorCount: Long = 0,
    val donations: List<DonorRow> = emptyList(),
    /** Why the reviewers removed it, shown to its organiser only. */
    val removalReason: String? = null,
    /** From the core's `organiserActions`. */
    val canEdit: Boolean = false,
    val canExtend: Boolean = false,
    val canEnd: Boolean = false,
    /** "End now" was tapped: the app asks "End this fundraiser?" before anything happens. */
    val confirmingEnd: Boolean = false,
    /** The core's issues of the last action, by field. */
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    val busy: Boolean = false,
    val problem: ActionProblem? = null,
    val loaded: Boolean = false,
)

class OrganiserDashboardViewModel(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    private val saved: SavedStateHandle = SavedStateHandle(),
    private val now: () -> Long = { System.currentTimeMillis() },
) : ViewModel() {
    private val mutable = MutableStateFlow(OrganiserDashboardState(confirmingEnd = saved[CONFIRMING_END] ?: false))
    val state: StateFlow<OrganiserDashboardState> = mutable.asStateFlow()

    init {
        viewModelScope.launch {
            fundkit.fundraiserFlow(fundraiserId).collect { view -> if (view != null) render(view) }
        }
    }

    private suspend fun render(view: FundraiserView) {
        val f = view.fundraiser
        val donors = fundkit.organiserDonations(fundraiserId)
        val actions = fundkit.organiserActions(f, now())
        val goal = f.goal.minorUnits
        mutable.update {
            it.copy(
                title = f.title,
                state = f.state,
                daysLeft = actions.daysLeft.toInt(),
                raisedLabel = fundkit.formatAmount(f.confirmedTotal),
                goalLabel = fundkit.formatAmount(f.goal),
                progress = if (goal > 0) (f.confirmedTotal.minorUnits.toDouble() / goal).coerceIn(0.0, 1.0).toFloat() else 0f,
                percentConfirmed = if (goal > 0) ((f.confirmedTotal.minorUnits * 100) / goal).toInt() else 0,
                donationCount = maxOf(donors.donationCount.toLong(), donors.donations.size.toLong()),
                donorCount = donors.donorCount.toLong(),
                donations =
                    donors.donations.map { d ->
                        DonorRow(id = d.id, name = d.donorName, amountLabel = d.amount?.let { a -> fundkit.formatAmount(a) }, message = d.message)
                    },
                removalReason = f.removalReason,
                canEdit = actions.canEdit,
                canExtend = actions.canExtend,
                canEnd = actions.canEnd,
                loaded = true,
            )
        }
    }

    /** One extension step, as long as the core's limits say. */
    fun extend(): Job = act { fundkit.extendFundraiser(fundraiserId) }

    /** "End now": only asks. Nothing ends until [confirmEnd]. */
    fun requestEnd() {
        if (!mutable.value.canEnd) return
        saved[CONFIRMING_END] = true
        mutable.update { it.copy(confirmingEnd = true) }
    }

    fun dismissEnd() {
        saved[CONFIRMING_END] = false
        mutable.update { it.copy(confirmingEnd = false) }
    }

    /** The organiser said yes to "End this fundraiser?". */
    fun confirmEnd(): Job? {
        if (!mutable.value.confirmingEnd) return null
        dismissEnd()
        return act { fundkit.endFundraiser(fundraiserId) }
    }

    fun edit(edit: FundraiserEdit): Job = act { fundkit.editFundraiser(fundraiserId, edit) }

    private fun act(call: suspend () -> OrganiserOutcome): Job {
        mutable.update { it.copy(busy = true, issues = emptyMap(), problem = null) }
        return viewModelScope.launch {
            when (val outcome = call()) {
                is OrganiserOutcome.Done -> render(outcome.fundraiser)
                is OrganiserOutcome.Invalid -> mutable.update { it.copy(issues = outcome.issues.groupBy({ i -> i.field }, { i -> i.code })) }
                is OrganiserOutcome.Offline -> mutable.update { it.copy(problem = ActionProblem.Offline) }
                is OrganiserOutcome.Failed -> mutable.update { it.copy(problem = ActionProblem.Failed(outcome.error)) }
            }
            mutable.update { it.copy(busy = false) }
        }
    }

    private companion object {
        const val CONFIRMING_END = "organiser.confirming_end"
    }
}

// ---- opening FundKit at launch ----

/** FundKit at app start: opening, ready, or failed with a Retry. */
sealed interface Startup {
    data object Opening : Startup

    data class Ready(val fundkit: FundKit) : Startup

    /** Opening failed (storage full or unreadable, a bug): the app shows an error and Retry. */
    data class Failed(val error: Throwable) : Startup
}

/**
 * Opens FundKit once, off the caller's thread, and never crashes the app when that fails:
 * [state] says Failed and [retry] tries again. Connectivity reported before FundKit is open
 * is kept (latest value) and fed to the core in order once it is.
 */
class FundKitStartup(
    private val scope: CoroutineScope,
    private val open: suspend () -> FundKit,
) {
    private val mutable = MutableStateFlow<Startup>(Startup.Opening)
    val state: StateFlow<Startup> = mutable.asStateFlow()
    private val online = MutableStateFlow<Boolean?>(null)
    private var job: Job? = null

    init {
        start()
    }

    private fun start() {
        mutable.value = Startup.Opening
        job =
            scope.launch {
                val fk =
                    try {
                        open()
                    } catch (e: Exception) {
                        if (e is kotlinx.coroutines.CancellationException) throw e
                        mutable.value = Startup.Failed(e)
                        return@launch
                    }
                mutable.value = Startup.Ready(fk)
                fk.followConnectivity(kotlinx.coroutines.flow.flow { online.collect { if (it != null) emit(it) } })
            }
    }

    /** The host's network callback: call it from any thread, as often as it fires. */
    fun reportOnline(isOnline: Boolean) {
        online.value = isOnline
    }

    /** "Retry" on the error screen. */
    fun retry() {
        if (mutable.value is Startup.Failed) start()
    }
}
