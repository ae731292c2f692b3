package dev.fundkit.ktx.screens

import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import dev.fundkit.Action
import dev.fundkit.Availability
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.Charity
import dev.fundkit.Donation
import dev.fundkit.DonationRequest
import dev.fundkit.DonationSource
import dev.fundkit.DonationState
import dev.fundkit.FundkitException
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserState
import dev.fundkit.FundraiserView
import dev.fundkit.GiftAidAvailability
import dev.fundkit.GiftAidDeclaration
import dev.fundkit.IssueCode
import dev.fundkit.LinkProblem
import dev.fundkit.Money
import dev.fundkit.MoneyError
import dev.fundkit.OfflineCap
import dev.fundkit.SyncProblem
import dev.fundkit.UnavailableReason
import dev.fundkit.Visibility
import dev.fundkit.ktx.CreateOutcome
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.LinkOutcome
import dev.fundkit.ktx.OrganiserOutcome
import dev.fundkit.ktx.QuoteOutcome
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
    /** The registered charity (name and number), asked only where [charityApplies]. */
    val charityName: String = "",
    val charityNumber: String = "",
    /** The core takes a charity on this kind in this country (a nonprofit in GB). */
    val charityApplies: Boolean = false,
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
                kind = restoreKind(saved[KIND], saved[NONPROFIT_ID] ?: ""),
                country = organiserCountry,
                currency = currency,
                charityName = saved[CHARITY_NAME] ?: "",
                charityNumber = saved[CHARITY_NUMBER] ?: "",
            ).withCharityRule(),
        )
    val state: StateFlow<CreateFormState> = mutable.asStateFlow()

    fun edit(change: CreateFormState.() -> CreateFormState) {
        val next = mutable.value.change().withCharityRule()
        mutable.value = next
        saved[TITLE] = next.title
        saved[STORY] = next.story
        saved[GOAL] = next.goalText
        saved[KIND] = kindTag(next.kind)
        saved[NONPROFIT_ID] = (next.kind as? FundraiserKind.Nonprofit)?.nonprofitId ?: ""
        saved[CHARITY_NAME] = next.charityName
        saved[CHARITY_NUMBER] = next.charityNumber
    }

    /** Whether a charity goes with this kind in this country: asked of the core (`validateCharity`), never decided here. */
    private fun CreateFormState.withCharityRule(): CreateFormState =
        copy(charityApplies = dev.fundkit.validateCharity(Charity(name = "", number = ""), kind, country).none { it.field == "charity" })

    /** The charity to send: only where it applies, and only once the organiser typed one (it is optional). */
    private fun CreateFormState.charity(): Charity? =
        Charity(name = charityName, number = charityNumber).takeIf { charityApplies && (charityName.isNotBlank() || charityNumber.isNotBlank()) }

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
                    charity = form.charity(),
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
        const val KIND = "create.kind"
        const val NONPROFIT_ID = "create.nonprofit_id"
        const val CHARITY_NAME = "create.charity_name"
        const val CHARITY_NUMBER = "create.charity_number"

        fun kindTag(kind: FundraiserKind): String =
            when (kind) {
                is FundraiserKind.PersonalCause -> "personal:" + kind.beneficiary.name
                is FundraiserKind.BusinessProject -> "business"
                is FundraiserKind.Nonprofit -> "nonprofit"
            }

        fun restoreKind(tag: String?, nonprofitId: String): FundraiserKind =
            when {
                tag == "business" -> FundraiserKind.BusinessProject
                tag == "nonprofit" -> FundraiserKind.Nonprofit(nonprofitId)
                tag != null && tag.startsWith("personal:") ->
                    FundraiserKind.PersonalCause(runCatching { Beneficiary.valueOf(tag.removePrefix("personal:")) }.getOrDefault(Beneficiary.MYSELF))
                else -> FundraiserKind.PersonalCause(Beneficiary.MYSELF)
            }
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
    /** The https link to share (the core's `shareLinks(...).web`); null when the core makes none. */
    val shareUrl: String? = null,
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
            shareUrl = runCatching { fundkit.shareLinks(f.id, DonationSource.LINK).web }.getOrNull(),
            loaded = true,
        )
    }
}

// ---- a link opened ----

/** A link the app was asked to open: resolving it, where it leads, or why it leads nowhere. */
sealed interface LinkScreenState {
    data object Opening : LinkScreenState

    /** Open this fundraiser; a donation made there records [source]. */
    data class Opened(val fundraiserId: String, val source: DonationSource) : LinkScreenState

    /** The core's reason the link opens nothing (another host, malformed, not visible, ...). */
    data class Refused(val problem: LinkProblem) : LinkScreenState

    /** No network: the link may be fine; Retry. */
    data object Offline : LinkScreenState

    /** Anything else (the error is for logs): Retry. */
    data class Failed(val error: FundkitException) : LinkScreenState
}

/**
 * Opens a link handed to the app (an App Link or the `fundkit` scheme) with the core's
 * `openLink`: its shape, then the fundraiser from the server. The link itself comes from
 * the navigation arguments, so a rotation or process death resolves the same link again.
 */
class LinkViewModel(
    private val fundkit: FundKit,
    private val link: String,
) : ViewModel() {
    private val mutable = MutableStateFlow<LinkScreenState>(LinkScreenState.Opening)
    val state: StateFlow<LinkScreenState> = mutable.asStateFlow()

    init {
        open()
    }

    private fun open(): Job =
        viewModelScope.launch {
            mutable.value = LinkScreenState.Opening
            mutable.value =
                when (val outcome = fundkit.openLink(link)) {
                    is LinkOutcome.Opened -> LinkScreenState.Opened(outcome.fundraiser.fundraiser.id, outcome.target.source)
                    is LinkOutcome.Refused -> LinkScreenState.Refused(outcome.problem)
                    is LinkOutcome.Offline -> LinkScreenState.Offline
                    is LinkOutcome.Failed -> LinkScreenState.Failed(outcome.error)
                }
        }

    /** "Try again", offline or after a failure. */
    fun retry(): Job? = if (mutable.value is LinkScreenState.Offline || mutable.value is LinkScreenState.Failed) open() else null
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

/**
 * The core's quote for the amount typed, as the sheet shows it before Confirm: every sum
 * worked out and formatted by the core (`quoteDonation`), never here.
 */
data class FeeLines(
    /** The donation: what the cause gets counted. */
    val amountLabel: String,
    /** Platform and processing fees together. */
    val feeLabel: String,
    /** What the donor's payment method is charged. */
    val donorPaysLabel: String,
    /** What the organiser receives. */
    val organiserReceivesLabel: String,
    /** The donor covers the fees (the quote's own flag: what these sums assume). */
    val coverFee: Boolean,
    /** What Gift Aid would add (the core's 25%, rounded down), when the fundraiser takes it. */
    val giftAidLabel: String?,
)

/**
 * A UK donor's Gift Aid declaration as typed. Saved in SavedStateHandle like the rest of the
 * form (the donor's name and address stay in the saved instance state, never on disk in
 * the app's own files; the core erases the queued declaration once the server answered).
 */
data class GiftAidForm(
    /** "I live in the UK". */
    val livesInUk: Boolean = false,
    val firstName: String = "",
    val lastName: String = "",
    /** House name or number. */
    val house: String = "",
    val postcode: String = "",
    /** The taxpayer statement's box: a UK taxpayer who pays at least the tax reclaimed. */
    val ukTaxpayer: Boolean = false,
    /** The declaration's own box: "I want to Gift Aid my donation of ... to ...". */
    val consent: Boolean = false,
) {
    /** The donor started a declaration: it goes with the donation, and must then be complete. */
    val started: Boolean
        get() = livesInUk || ukTaxpayer || consent || listOf(firstName, lastName, house, postcode).any { it.isNotBlank() }

    /** The declaration for the core, made with the wording [version] the donor was shown. */
    fun declaration(version: String): GiftAidDeclaration =
        GiftAidDeclaration(
            firstName = firstName,
            lastName = lastName,
            house = house,
            postcode = postcode,
            livesInUk = livesInUk,
            ukTaxpayer = ukTaxpayer,
            consent = consent,
            wordingVersion = version,
        )
}

/** The donate sheet: the amount as typed, parsed and formatted by the core; the sheet's donation. */
data class DonateSheetState(
    val fundraiserTitle: String = "",
    /** The registered charity the fundraiser raises for (named in the Gift Aid declaration). */
    val charityName: String? = null,
    val currency: String? = null,
    val presets: List<PresetAmount> = emptyList(),
    val amountText: String = "",
    val amountLabel: String? = null,
    /** Why the typed amount is not an amount: the core's typed reason. */
    val amountError: MoneyError? = null,
    val message: String = "",
    val visibility: Visibility = Visibility.PUBLIC,
    val hideAmount: Boolean = false,
    /** "Cover the fee": off unless the donor turns it on (no tip, ever). */
    val coverFee: Boolean = false,
    /** The core's quote for the amount typed; null until there is an amount it accepts. */
    val quote: FeeLines? = null,
    /** Why the core gives no quote for this amount (below the minimum, below the fees, ...). */
    val quoteIssues: List<IssueCode> = emptyList(),
    /** Whether this fundraiser takes Gift Aid (from the core); null until loaded. */
    val giftAid: GiftAidAvailability? = null,
    val giftAidForm: GiftAidForm = GiftAidForm(),
    /** The declaration wording the core expects (`giftAidWordingVersion()`): the app shows its text for it. */
    val giftAidWording: String = "",
    /** Where the donor came from (a link's `src`), recorded with the donation. */
    val source: DonationSource? = null,
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

    /** The Gift Aid section is shown: the core says this fundraiser takes it. */
    val offersGiftAid: Boolean get() = giftAid == GiftAidAvailability.AVAILABLE

    /** The bank's page to open (in a Custom Tab on Android) while the bank asks for a step. */
    val bankUrl: String? get() = donation?.takeIf { it.state == DonationState.NEEDS_ACTION }?.actionUrl
}

/**
 * The donate sheet. Its donation id is made once and kept in [SavedStateHandle]: a new
 * ViewModel after rotation or process death confirms the SAME donation (the core answers a
 * repeated id with the first donation), and on start it looks the id up in the core, so a
 * sheet whose donation already exists shows it instead of a Confirm button.
 *
 * Before Confirm the sheet shows the core's quote for the amount typed (the fee, what the
 * donor pays, what the organiser receives), asked again whenever the amount or "cover the
 * fee" changes; and, when the core says the fundraiser takes Gift Aid, the declaration.
 * [source] is where the donor came from (a link's `src`), recorded with the donation.
 */
class DonateViewModel(
    private val fundkit: FundKit,
    private val fundraiserId: String,
    private val saved: SavedStateHandle,
    private val source: DonationSource? = null,
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
                coverFee = saved[COVER_FEE] ?: false,
                giftAidForm =
                    GiftAidForm(
                        livesInUk = saved[GA_LIVES_IN_UK] ?: false,
                        firstName = saved[GA_FIRST_NAME] ?: "",
                        lastName = saved[GA_LAST_NAME] ?: "",
                        house = saved[GA_HOUSE] ?: "",
                        postcode = saved[GA_POSTCODE] ?: "",
                        ukTaxpayer = saved[GA_UK_TAXPAYER] ?: false,
                        consent = saved[GA_CONSENT] ?: false,
                    ),
                giftAidWording = dev.fundkit.giftAidWordingVersion(),
                source = source,
            ),
        )
    val state: StateFlow<DonateSheetState> = mutable.asStateFlow()

    private var quoteJob: Job? = null

    init {
        viewModelScope.launch {
            val view = fundkit.fundraiser(fundraiserId) ?: fundkit.refreshFundraiser(fundraiserId)
            val currency = view.fundraiser.goal.currency
            val presets = presets(currency)
            val giftAid = fundkit.giftAidAvailability(fundraiserId)
            // Loaded in one step with the restored amount parsed: no state shows one without the other.
            mutable.update {
                val loaded =
                    it.copy(
                        fundraiserTitle = view.fundraiser.title,
                        charityName = view.fundraiser.charity?.name,
                        currency = currency,
                        presets = presets,
                        giftAid = giftAid,
                        loaded = true,
                    )
                if (it.amountText.isEmpty()) loaded else loaded.withAmount(it.amountText, currency)
            }
            requote()
        }
        // The sheet's donation, as the core has it: subscribed before read, so its outcome
        // (sent, confirmed, the bank's step, refused) reaches the sheet through sync.
        viewModelScope.launch {
            fundkit.donationFlow(donationId).collect { d ->
                // A read made before Confirm queued the donation can arrive after Confirm's own
                // answer: a donation this phone made never goes back to none, so null never
                // replaces one.
                if (d == null) return@collect
                val label = fundkit.formatAmount(d.amount)
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
        requote()
    }

    /** "Cover the fee": the donor pays the fees on top, and the quote is asked again. */
    fun coverFeeChanged(cover: Boolean) {
        saved[COVER_FEE] = cover
        mutable.update { it.copy(coverFee = cover, refusal = null, quote = null, quoteIssues = emptyList()) }
        requote()
    }

    /** The amount as typed, parsed and formatted by the core (or the core's reason it is not one). */
    private fun DonateSheetState.withAmount(text: String, currency: String): DonateSheetState =
        try {
            val money = fundkit.parseAmount(text, currency)
            // The last quote was for another amount: none is shown until the core answers for this one.
            copy(amountText = text, amountLabel = fundkit.formatAmount(money), amountError = null, refusal = null, quote = null, quoteIssues = emptyList())
        } catch (e: FundkitException.InvalidAmount) {
            copy(amountText = text, amountLabel = null, amountError = e.reason, refusal = null, quote = null, quoteIssues = emptyList())
        }

    /**
     * Asks the core for the quote of the amount typed and the cover-fee choice; a newer
     * question cancels an older one, and an answer to an older question is never shown.
     * The quote is of the donation alone (no message, no declaration): the message's and the
     * declaration's issues are their fields', shown on Confirm.
     */
    private fun requote() {
        val asked = mutable.value
        val currency = asked.currency ?: return
        quoteJob?.cancel()
        val amount =
            try {
                fundkit.parseAmount(asked.amountText, currency)
            } catch (e: FundkitException.InvalidAmount) {
                return
            }
        quoteJob =
            viewModelScope.launch {
                val request =
                    DonationRequest(
                        fundraiserId = fundraiserId,
                        amount = amount,
                        message = null,
                        visibility = Visibility.PUBLIC,
                        hideAmount = false,
                        paymentToken = "",
                        coverFee = asked.coverFee,
                        source = source,
                    )
                val outcome = fundkit.quoteDonation(request)
                mutable.update { now ->
                    if (now.amountText != asked.amountText || now.coverFee != asked.coverFee) return@update now
                    when (outcome) {
                        is QuoteOutcome.Quoted -> {
                            val q = outcome.quote
                            now.copy(
                                quote =
                                    FeeLines(
                                        amountLabel = fundkit.formatAmount(q.fees.amount),
                                        feeLabel = fundkit.formatAmount(q.fees.fees),
                                        donorPaysLabel = fundkit.formatAmount(q.fees.donorPays),
                                        organiserReceivesLabel = fundkit.formatAmount(q.fees.organiserReceives),
                                        coverFee = q.fees.coverFee,
                                        giftAidLabel = q.giftAidAmount?.let { fundkit.formatAmount(it) },
                                    ),
                                quoteIssues = emptyList(),
                                giftAid = q.giftAid,
                            )
                        }
                        is QuoteOutcome.Invalid -> now.copy(quote = null, quoteIssues = outcome.issues.map { it.code }.distinct())
                        is QuoteOutcome.Failed -> now.copy(quote = null, quoteIssues = emptyList())
                    }
                }
            }
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
     * The Gift Aid declaration changed. Once Confirm has shown its issues, they follow the
     * donor's typing (the core's `validateGiftAidDeclaration`, every field at once).
     */
    fun giftAidChanged(change: GiftAidForm.() -> GiftAidForm) {
        mutable.update { state ->
            val form = state.giftAidForm.change()
            saved[GA_LIVES_IN_UK] = form.livesInUk
            saved[GA_FIRST_NAME] = form.firstName
            saved[GA_LAST_NAME] = form.lastName
            saved[GA_HOUSE] = form.house
            saved[GA_POSTCODE] = form.postcode
            saved[GA_UK_TAXPAYER] = form.ukTaxpayer
            saved[GA_CONSENT] = form.consent
            val shown = state.issues.keys.any { it.startsWith(GIFT_AID_FIELD) }
            val issues =
                if (!shown) {
                    state.issues
                } else {
                    val others = state.issues.filterKeys { !it.startsWith(GIFT_AID_FIELD) }
                    val fresh =
                        if (form.started) {
                            dev.fundkit.validateGiftAidDeclaration(form.declaration(state.giftAidWording)).groupBy({ it.field }, { it.code })
                        } else {
                            emptyMap()
                        }
                    others + fresh
                }
            state.copy(giftAidForm = form, issues = issues)
        }
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
            // A declaration the donor started goes with the donation (the core checks it is
            // complete); one never started, or on a fundraiser without Gift Aid, does not.
            val declaration = form.giftAidForm.takeIf { form.offersGiftAid && it.started }?.declaration(form.giftAidWording)
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
                        coverFee = form.coverFee,
                        giftAid = declaration,
                        source = source,
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
        private const val COVER_FEE = "donate.cover_fee"
        private const val GA_LIVES_IN_UK = "donate.gift_aid.lives_in_uk"
        private const val GA_FIRST_NAME = "donate.gift_aid.first_name"
        private const val GA_LAST_NAME = "donate.gift_aid.last_name"
        private const val GA_HOUSE = "donate.gift_aid.house"
        private const val GA_POSTCODE = "donate.gift_aid.postcode"
        private const val GA_UK_TAXPAYER = "donate.gift_aid.uk_taxpayer"
        private const val GA_CONSENT = "donate.gift_aid.consent"

        /** The core's issue fields of a declaration all start with this (`gift_aid.postcode`, ...). */
        const val GIFT_AID_FIELD = "gift_aid"

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
    /** The donor made a Gift Aid declaration (the organiser sees "Gift Aid: yes", nothing more). */
    val giftAid: Boolean = false,
)

/** The organiser's figures (the server's `organiserStats`, organiser only): every sum formatted by the core. */
data class OrganiserFigures(
    /** What the organiser receives: the donations less the fees donors did not cover. */
    val receivesLabel: String,
    val feesLabel: String,
    val giftAidCount: Long,
    /** The tax the charity can reclaim on the Gift Aid donations. */
    val giftAidClaimableLabel: String,
    val fromLink: Long,
    val fromStorySticker: Long,
    val fromProfile: Long,
    /** Show the Gift Aid line: the core says the fundraiser takes Gift Aid, or some was given. */
    val showGiftAid: Boolean = giftAidCount > 0,
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
    /** Receives, fees, Gift Aid and donations by source; null until the server sends them. */
    val figures: OrganiserFigures? = null,
    /** The registered charity it raises for, if any (its name). */
    val charityName: String? = null,
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
                        DonorRow(id = d.id, name = d.donorName, amountLabel = d.amount?.let { a -> fundkit.formatAmount(a) }, message = d.message, giftAid = d.giftAid)
                    },
                figures =
                    f.organiserStats?.let { st ->
                        OrganiserFigures(
                            receivesLabel = fundkit.formatAmount(st.receives),
                            feesLabel = fundkit.formatAmount(st.fees),
                            giftAidCount = st.giftAidCount.toLong(),
                            giftAidClaimableLabel = fundkit.formatAmount(st.giftAidClaimable),
                            fromLink = st.fromLink.toLong(),
                            fromStorySticker = st.fromStorySticker.toLong(),
                            fromProfile = st.fromProfile.toLong(),
                            showGiftAid =
                                dev.fundkit.giftAidAvailability(f) == GiftAidAvailability.AVAILABLE || st.giftAidCount > 0uL,
                        )
                    },
                charityName = f.charity?.name,
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
