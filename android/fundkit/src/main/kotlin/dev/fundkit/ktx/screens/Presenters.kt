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
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserView
import dev.fundkit.IssueCode
import dev.fundkit.Money
import dev.fundkit.UnavailableReason
import dev.fundkit.Visibility
import dev.fundkit.ktx.CreateOutcome
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
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
    /** The last sync pass failed (the core's text, for logs); null offline or once a pass succeeds. */
    val syncError: String? = null,
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
