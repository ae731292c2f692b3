package dev.fundkit.ktx.screens

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
import kotlinx.coroutines.launch

// Screen logic for the app shell: plain Kotlin, no Android imports, so the JVM tests drive
// it against the real core and the real reference server. Every rule is asked of the core;
// these classes only hold what the screen shows.

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

/** The create form: fields as typed, and the core's issues by field. */
data class CreateFormState(
    val title: String = "",
    val story: String = "",
    val goalText: String = "",
    val category: Category = Category.COMMUNITY,
    val kind: FundraiserKind = FundraiserKind.PersonalCause(Beneficiary.MYSELF),
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    val submitting: Boolean = false,
    val created: FundraiserView? = null,
    val error: String? = null,
)

class CreateFundraiserPresenter(
    private val fundkit: FundKit,
    private val country: String,
    private val currency: String,
    private val scope: CoroutineScope,
) {
    private val mutable = MutableStateFlow(CreateFormState())
    val state: StateFlow<CreateFormState> = mutable.asStateFlow()

    fun edit(change: CreateFormState.() -> CreateFormState) {
        mutable.value = mutable.value.change()
    }

    /** Validates in the core (every issue at once) and, if clean, creates on the server. */
    fun submit(): Job =
        scope.launch {
            val form = mutable.value
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
                    country = country,
                )
            val issues = fundkit.validateDraft(draft).groupBy({ it.field }, { it.code }).toMutableMap()
            if (goal == null) issues["goal"] = listOf(IssueCode.REQUIRED)
            if (issues.isNotEmpty()) {
                mutable.value = form.copy(issues = issues)
                return@launch
            }
            mutable.value = form.copy(issues = emptyMap(), submitting = true, error = null)
            mutable.value =
                when (val outcome = fundkit.createFundraiser(draft)) {
                    is CreateOutcome.Created -> mutable.value.copy(submitting = false, created = outcome.fundraiser)
                    is CreateOutcome.Invalid ->
                        mutable.value.copy(submitting = false, issues = outcome.issues.groupBy({ it.field }, { it.code }))
                    is CreateOutcome.Unavailable -> mutable.value.copy(submitting = false, error = "unavailable: ${outcome.reason}")
                    is CreateOutcome.Offline -> mutable.value.copy(submitting = false, error = "You're offline. Try again when connected.")
                    is CreateOutcome.Failed -> mutable.value.copy(submitting = false, error = outcome.error.message)
                }
        }
}

/** A fundraiser page: progress bar, confirmed vs pending totals. */
data class FundraiserScreenState(
    val title: String = "",
    /** Confirmed + the donor's pending, formatted by the core. */
    val raisedLabel: String = "",
    val goalLabel: String = "",
    val pendingLabel: String? = null,
    /** 0..1 for the progress bar: a display ratio, never money. */
    val progress: Float = 0f,
    val online: Boolean = true,
    val syncing: Boolean = false,
    val loaded: Boolean = false,
)

class FundraiserPresenter(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    scope: CoroutineScope,
) {
    private val mutable = MutableStateFlow(FundraiserScreenState())
    val state: StateFlow<FundraiserScreenState> = mutable.asStateFlow()

    init {
        scope.launch {
            combine(fundkit.fundraiserFlow(fundraiserId), fundkit.syncState) { view, sync -> view to sync }
                .collect { (view, sync) ->
                    mutable.value =
                        if (view == null) {
                            FundraiserScreenState(online = sync.online, syncing = sync.syncing)
                        } else {
                            render(view).copy(online = sync.online, syncing = sync.syncing)
                        }
                }
        }
    }

    private fun render(view: FundraiserView): FundraiserScreenState {
        val goal = view.fundraiser.goal.minorUnits
        return FundraiserScreenState(
            title = view.fundraiser.title,
            raisedLabel = fundkit.formatAmount(view.displayedTotal),
            goalLabel = fundkit.formatAmount(view.fundraiser.goal),
            pendingLabel =
                if (view.pendingCount > 0u) "${fundkit.formatAmount(view.pendingTotal)} pending" else null,
            progress = if (goal > 0) (view.displayedTotal.minorUnits.toDouble() / goal).coerceIn(0.0, 1.0).toFloat() else 0f,
            loaded = true,
        )
    }
}

/** The donate sheet: the amount as typed, parsed and formatted by the core. */
data class DonateSheetState(
    val amountText: String = "",
    val amountLabel: String? = null,
    val amountError: String? = null,
    val message: String = "",
    val visibility: Visibility = Visibility.PUBLIC,
    val hideAmount: Boolean = false,
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    val result: DonateOutcome? = null,
    /** A confirm is on its way: the button is disabled. */
    val submitting: Boolean = false,
) {
    /** Confirm can be pressed: not while one is in flight, not after the donation is queued. */
    val canConfirm: Boolean get() = !submitting && result !is DonateOutcome.Queued
}

class DonatePresenter(
    private val fundkit: FundKit,
    private val fundraiser: FundraiserView,
    private val scope: CoroutineScope,
) {
    private val mutable = MutableStateFlow(DonateSheetState())
    val state: StateFlow<DonateSheetState> = mutable.asStateFlow()
    private val currency get() = fundraiser.fundraiser.goal.currency

    /** Made when the sheet opens: every confirm of this sheet is the same donation. */
    val donationId: String = FundKit.newDonationId()

    fun amountChanged(text: String) {
        mutable.value =
            try {
                val money = fundkit.parseAmount(text, currency)
                mutable.value.copy(amountText = text, amountLabel = fundkit.formatAmount(money), amountError = null)
            } catch (e: FundkitException.InvalidAmount) {
                mutable.value.copy(amountText = text, amountLabel = null, amountError = e.reason.toString())
            }
    }

    fun edit(change: DonateSheetState.() -> DonateSheetState) {
        mutable.value = mutable.value.change()
    }

    /**
     * `paymentToken` comes from the platform's payment sheet. A second tap while the first is
     * in flight, or after the donation is queued, does nothing; and even if one got through,
     * the sheet's [donationId] makes the core return the first donation, not a second.
     */
    fun confirm(paymentToken: String): Job? {
        val form = mutable.value
        if (!form.canConfirm) return null
        mutable.value = form.copy(submitting = true)
        return scope.launch {
            val amount =
                try {
                    fundkit.parseAmount(form.amountText, currency)
                } catch (e: FundkitException.InvalidAmount) {
                    mutable.value = mutable.value.copy(amountError = e.reason.toString(), submitting = false)
                    return@launch
                }
            val outcome =
                fundkit.donate(
                    DonationRequest(
                        fundraiserId = fundraiser.fundraiser.id,
                        amount = amount,
                        message = form.message.ifBlank { null },
                        visibility = form.visibility,
                        hideAmount = form.hideAmount,
                        paymentToken = paymentToken,
                        id = donationId,
                    ),
                )
            val issues = (outcome as? DonateOutcome.Invalid)?.issues?.groupBy({ it.field }, { it.code }) ?: emptyMap()
            mutable.value = mutable.value.copy(result = outcome, issues = issues, submitting = false)
        }
    }
}

/** "Pending donations" with the offline state. */
data class PendingListState(
    val rows: List<PendingRow> = emptyList(),
    val online: Boolean = true,
    val waitingForNetwork: Boolean = false,
    /** Why the last sync pass failed, typed (offline, signed out, refused); null offline or once a pass succeeds. */
    val syncError: dev.fundkit.SyncProblem? = null,
) {
    val syncFailed: Boolean get() = syncError != null
}

data class PendingRow(val id: String, val amountLabel: String, val state: DonationState, val reason: String?)

class PendingDonationsPresenter(private val fundkit: FundKit, scope: CoroutineScope) {
    private val mutable = MutableStateFlow(PendingListState())
    val state: StateFlow<PendingListState> = mutable.asStateFlow()

    init {
        scope.launch {
            combine(fundkit.pendingDonationsFlow(), fundkit.syncState) { rows, sync -> rows to sync }
                .collect { (rows, sync) ->
                    mutable.value =
                        PendingListState(
                            rows = rows.map { it.toRow() },
                            online = sync.online,
                            waitingForNetwork = !sync.online && rows.isNotEmpty(),
                            syncError = if (sync.online) sync.lastError else null,
                        )
                }
        }
    }

    private fun Donation.toRow() = PendingRow(id, fundkit.formatAmount(amount), state, reason)
}

/** One donation on the organiser's dashboard, as the donor's choices let the organiser see it. */
data class DonorRow(val id: String, val name: String, val amountLabel: String, val message: String?)

/** The organiser's dashboard: state, days left, raised of goal, donors, and the actions. */
data class OrganiserDashboardState(
    val title: String = "",
    val state: FundraiserState? = null,
    val daysLeft: Int = 0,
    val raisedLabel: String = "",
    val goalLabel: String = "",
    /** 0..1 for the progress bar: a display ratio, never money. */
    val progress: Float = 0f,
    val donorCount: Long = 0,
    val donations: List<DonorRow> = emptyList(),
    /** Why the reviewers removed it, shown to its organiser only. */
    val removalReason: String? = null,
    val canEdit: Boolean = false,
    val canExtend: Boolean = false,
    val canEnd: Boolean = false,
    /** The core's issues of the last action, by field. */
    val issues: Map<String, List<IssueCode>> = emptyMap(),
    val busy: Boolean = false,
    val error: String? = null,
    val loaded: Boolean = false,
)

class OrganiserDashboardPresenter(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    private val scope: CoroutineScope,
    private val now: () -> Long = { System.currentTimeMillis() },
) {
    private val mutable = MutableStateFlow(OrganiserDashboardState())
    val state: StateFlow<OrganiserDashboardState> = mutable.asStateFlow()

    init {
        scope.launch {
            fundkit.fundraiserFlow(fundraiserId).collect { view -> if (view != null) render(view) }
        }
    }

    private suspend fun render(view: FundraiserView) {
        val f = view.fundraiser
        val donors = fundkit.organiserDonations(fundraiserId)
        val goal = f.goal.minorUnits
        val running = f.state == FundraiserState.ACTIVE
        mutable.value =
            mutable.value.copy(
                title = f.title,
                state = f.state,
                daysLeft = daysLeft(f),
                raisedLabel = fundkit.formatAmount(f.confirmedTotal),
                goalLabel = fundkit.formatAmount(f.goal),
                progress = if (goal > 0) (f.confirmedTotal.minorUnits.toDouble() / goal).coerceIn(0.0, 1.0).toFloat() else 0f,
                donorCount = donors.donorCount.toLong(),
                donations =
                    donors.donations.map { d ->
                        DonorRow(
                            id = d.id,
                            name = d.donorName ?: "Anonymous",
                            amountLabel = d.amount?.let { fundkit.formatAmount(it) } ?: "Amount hidden",
                            message = d.message,
                        )
                    },
                removalReason = f.removalReason,
                canEdit = running || f.state == FundraiserState.IN_REVIEW,
                canExtend = running && f.durationDays + 30u <= 90u,
                canEnd = running,
                loaded = true,
            )
    }

    private fun daysLeft(f: dev.fundkit.Fundraiser): Int {
        if (f.state != FundraiserState.ACTIVE) return 0
        val left = f.endsAtMs - now()
        return if (left <= 0) 0 else ((left + 86_399_999) / 86_400_000).toInt()
    }

    fun extend(): Job = act { fundkit.extendFundraiser(fundraiserId, 30) }

    fun end(): Job = act { fundkit.endFundraiser(fundraiserId) }

    fun edit(edit: FundraiserEdit): Job = act { fundkit.editFundraiser(fundraiserId, edit) }

    private fun act(call: suspend () -> OrganiserOutcome): Job {
        mutable.value = mutable.value.copy(busy = true, issues = emptyMap(), error = null)
        return scope.launch {
            val outcome = call()
            when (outcome) {
                is OrganiserOutcome.Done -> render(outcome.fundraiser)
                is OrganiserOutcome.Invalid ->
                    mutable.value = mutable.value.copy(issues = outcome.issues.groupBy({ it.field }, { it.code }))
                is OrganiserOutcome.Offline -> mutable.value = mutable.value.copy(error = "You're offline. Try again when connected.")
                is OrganiserOutcome.Failed -> mutable.value = mutable.value.copy(error = outcome.error.message)
            }
            mutable.value = mutable.value.copy(busy = false)
        }
    }
}
