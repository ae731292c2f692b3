package dev.fundkit.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxHeight
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Share
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Checkbox
import androidx.compose.material3.CheckboxDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LocalContentColor
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.ProgressBarRangeInfo
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.progressBarRangeInfo
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import dev.fundkit.Action
import dev.fundkit.DonationState
import dev.fundkit.FundraiserState
import dev.fundkit.FundraiserKind
import dev.fundkit.IssueCode
import dev.fundkit.LinkProblem
import dev.fundkit.MoneyError
import dev.fundkit.OfflineCap
import dev.fundkit.SyncProblem
import dev.fundkit.UnavailableReason
import dev.fundkit.app.R
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.screens.ActionProblem
import dev.fundkit.ktx.screens.CreateFormState
import dev.fundkit.ktx.screens.DonateSheetState
import dev.fundkit.ktx.screens.DonateStage
import dev.fundkit.ktx.screens.FundraiserScreenState
import dev.fundkit.ktx.screens.GiftAidForm
import dev.fundkit.ktx.screens.LinkScreenState
import dev.fundkit.ktx.screens.OrganiserDashboardState
import dev.fundkit.ktx.screens.PendingListState
import dev.fundkit.ktx.screens.Startup

// The app's screens: each `...Content` composable draws one ViewModel state and takes
// callbacks. They are platform-neutral Compose (no android.*): the Android app shows them
// (Navigation.kt wires ViewModels, the back stack and the bottom sheet), and
// android/screenshots compiles this very file for the desktop JVM to render it to PNG.
//
// Every word comes from resources (res/values, res/values-es) through stringResource and
// pluralStringResource; amounts arrive already formatted by the core. No core enum or
// object ever reaches the screen through toString().

/** The app's Material 3 theme: light or dark colours on a painted background. */
@Composable
fun FundkitTheme(
    dark: Boolean = isSystemInDarkTheme(),
    typography: Typography = MaterialTheme.typography,
    content: @Composable () -> Unit,
) {
    MaterialTheme(colorScheme = if (dark) darkColorScheme() else lightColorScheme(), typography = typography) {
        Surface(Modifier.fillMaxSize(), color = MaterialTheme.colorScheme.background) { content() }
    }
}

// ---- codes into words ----

@Composable
fun unavailableText(reason: UnavailableReason): String =
    stringResource(
        when (reason) {
            UnavailableReason.SWITCHED_OFF -> R.string.unavailable_switched_off
            UnavailableReason.COUNTRY_NOT_LAUNCHED -> R.string.unavailable_country
            UnavailableReason.PLATFORM_NOT_LAUNCHED -> R.string.unavailable_platform
            UnavailableReason.TOO_YOUNG -> R.string.unavailable_too_young
            UnavailableReason.AGE_UNKNOWN -> R.string.unavailable_age_unknown
        },
    )

@Composable
fun issueText(code: IssueCode): String =
    stringResource(
        when (code) {
            IssueCode.REQUIRED -> R.string.issue_required
            IssueCode.TOO_LONG -> R.string.issue_too_long
            IssueCode.CONTROL_CHARACTER -> R.string.issue_control_character
            IssueCode.CARD_NUMBER -> R.string.issue_card_number
            IssueCode.BELOW_MINIMUM -> R.string.issue_below_minimum
            IssueCode.ABOVE_MAXIMUM -> R.string.issue_above_maximum
            IssueCode.CURRENCY_MISMATCH -> R.string.issue_currency_mismatch
            IssueCode.UNKNOWN_CURRENCY -> R.string.issue_unknown_currency
            IssueCode.WRONG_CURRENCY_FOR_COUNTRY -> R.string.issue_wrong_currency_for_country
            IssueCode.INVALID_ID -> R.string.issue_invalid_id
            IssueCode.INVALID_DURATION -> R.string.issue_invalid_duration
            IssueCode.NOT_ACTIVE -> R.string.issue_not_active
            IssueCode.BELOW_RAISED -> R.string.issue_below_raised
            IssueCode.ENDED -> R.string.issue_ended
            IssueCode.BIDI_CONTROL -> R.string.issue_bidi_control
            IssueCode.GIFT_AID_NOT_AVAILABLE -> R.string.issue_gift_aid_not_available
            IssueCode.INVALID_POSTCODE -> R.string.issue_invalid_postcode
            IssueCode.INVALID_CHARITY_NUMBER -> R.string.issue_invalid_charity_number
            IssueCode.NOT_DECLARED -> R.string.issue_not_declared
            IssueCode.UNKNOWN_WORDING -> R.string.issue_unknown_wording
            IssueCode.BELOW_FEES -> R.string.issue_below_fees
        },
    )

@Composable
fun amountErrorText(error: MoneyError, currency: String?): String =
    when (error) {
        is MoneyError.Empty -> stringResource(R.string.amount_empty)
        is MoneyError.TooManyDecimals -> stringResource(R.string.amount_too_many_decimals, currency ?: error.currency)
        is MoneyError.Overflow -> stringResource(R.string.amount_too_large)
        else -> stringResource(R.string.amount_invalid)
    }

@Composable
fun syncProblemText(problem: SyncProblem): String =
    stringResource(
        when (problem) {
            is SyncProblem.Offline -> R.string.sync_offline
            is SyncProblem.SignedOut -> R.string.sync_signed_out
            is SyncProblem.FeedUnfinished -> R.string.sync_feed_unfinished
            is SyncProblem.ServerRefused, is SyncProblem.Storage, is SyncProblem.Internal -> R.string.sync_failed
        },
    )

@Composable
fun offlineCapText(cap: OfflineCap): String =
    stringResource(
        when (cap) {
            OfflineCap.SINGLE_AMOUNT -> R.string.offline_cap_single
            OfflineCap.TOTAL_AMOUNT -> R.string.offline_cap_total
            OfflineCap.COUNT -> R.string.offline_cap_count
        },
    )

@Composable
fun donationStateText(state: DonationState): String =
    stringResource(
        when (state) {
            DonationState.QUEUED -> R.string.state_queued
            DonationState.SENDING -> R.string.state_sending
            DonationState.NEEDS_ACTION -> R.string.state_needs_action
            DonationState.CONFIRMED -> R.string.state_confirmed
            DonationState.REJECTED -> R.string.state_rejected
            DonationState.EXPIRED -> R.string.state_expired
            DonationState.CANCELLED -> R.string.state_cancelled
        },
    )

/** A refused donation's reason code (the server's) in words; unknown codes get the general sentence. */
@Composable
fun rejectedText(reason: String?): String =
    stringResource(
        when (reason) {
            "declined", "payment_expired" -> R.string.rejected_declined
            "authentication_failed" -> R.string.rejected_bank_step_failed
            "action_abandoned" -> R.string.rejected_bank_step_abandoned
            "fundraiser_ended", "ended" -> R.string.rejected_ended
            "fundraiser_removed" -> R.string.rejected_removed
            // The fees changed between the quote the donor saw and the charge: nothing charged.
            "fee_changed" -> R.string.rejected_fee_changed
            "gift_aid_not_available" -> R.string.rejected_gift_aid_not_available
            "invalid_postcode" -> R.string.rejected_invalid_postcode
            "not_declared" -> R.string.rejected_not_declared
            "unknown_wording" -> R.string.rejected_unknown_wording
            else -> R.string.rejected_other
        },
    )

/** Why a link opens nothing, in words (the core's typed reason). */
@Composable
fun linkProblemText(problem: LinkProblem): String =
    stringResource(
        when (problem) {
            LinkProblem.NOT_A_LINK -> R.string.link_not_a_link
            LinkProblem.UNSUPPORTED_SCHEME -> R.string.link_unsupported_scheme
            LinkProblem.UNKNOWN_HOST -> R.string.link_unknown_host
            LinkProblem.UNKNOWN_PATH -> R.string.link_unknown_path
            LinkProblem.MALFORMED_ID -> R.string.link_malformed_id
            LinkProblem.NOT_VISIBLE -> R.string.link_not_visible
        },
    )

/**
 * The words of one version of HMRC's Gift Aid declaration: the donor's wish ("I want to Gift
 * Aid my donation of {amount} to {charity}.") and the taxpayer statement, each with its box.
 * The iOS app shows the same words for the same version (ResourcesTest compares them): the
 * version recorded with a declaration names what the donor read, on either phone.
 */
data class GiftAidWording(val consent: Int, val taxpayer: Int)

/**
 * The app's words for the declaration version the core expects (`giftAidWordingVersion()`),
 * or null when this build has none: then the app offers no Gift Aid rather than show words
 * that are not the ones it declares.
 */
fun giftAidWording(version: String): GiftAidWording? =
    when (version) {
        "uk-2026-12" -> GiftAidWording(R.string.gift_aid_consent_uk_2026_12, R.string.gift_aid_taxpayer_uk_2026_12)
        else -> null
    }

@Composable
fun problemText(problem: ActionProblem): String =
    when (problem) {
        is ActionProblem.Offline -> stringResource(R.string.problem_offline)
        is ActionProblem.Unavailable -> unavailableText(problem.reason)
        is ActionProblem.Failed -> stringResource(R.string.problem_failed)
    }

// ---- shared pieces ----

/** A heading for screen readers as well as for the eye. */
@Composable
fun Heading(text: String, modifier: Modifier = Modifier, big: Boolean = false) {
    Text(
        text,
        style = if (big) MaterialTheme.typography.headlineSmall else MaterialTheme.typography.titleMedium,
        modifier = modifier.semantics { heading() },
    )
}

/** The top bar of every screen: its title (a heading) and, below the first screen, Back. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun FundkitTopBar(title: String, onBack: (() -> Unit)?, actions: @Composable () -> Unit = {}) {
    TopAppBar(
        actions = { actions() },
        title = { Text(title, maxLines = 1, overflow = TextOverflow.Ellipsis, modifier = Modifier.semantics { heading() }) },
        navigationIcon = {
            if (onBack != null) {
                IconButton(onClick = onBack, modifier = Modifier.size(48.dp)) {
                    Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                }
            }
        },
    )
}

/** A screen: top bar, then scrolling content with the standard margins. */
@Composable
fun FundkitScreen(
    title: String,
    onBack: (() -> Unit)?,
    actions: @Composable () -> Unit = {},
    scroll: ScrollState = rememberScrollState(),
    content: @Composable () -> Unit,
) {
    Scaffold(topBar = { FundkitTopBar(title, onBack, actions) }) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(scroll).padding(horizontal = 16.dp, vertical = 8.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) { content() }
    }
}

/** A card that screen readers announce when it appears or changes (a live region). */
@Composable
fun Notice(text: String, error: Boolean = false, title: String? = null, action: (@Composable () -> Unit)? = null) {
    val colors =
        if (error) {
            CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer, contentColor = MaterialTheme.colorScheme.onErrorContainer)
        } else {
            CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer, contentColor = MaterialTheme.colorScheme.onSecondaryContainer)
        }
    Card(colors = colors, modifier = Modifier.fillMaxWidth().semantics { liveRegion = LiveRegionMode.Polite }) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            title?.let { Heading(it) }
            Text(text, style = MaterialTheme.typography.bodyMedium)
            action?.invoke()
        }
    }
}

/**
 * Progress towards the goal: confirmed money in the primary colour, the donor's own pending
 * money after it in a lighter tone, never counted twice. Read out as one description.
 */
@Composable
fun GoalProgress(confirmed: Float, withPending: Float, description: String) {
    Box(
        Modifier.fillMaxWidth().height(10.dp).clip(RoundedCornerShape(5.dp)).background(MaterialTheme.colorScheme.surfaceVariant)
            .clearAndSetSemantics {
                contentDescription = description
                progressBarRangeInfo = ProgressBarRangeInfo(confirmed, 0f..1f)
            },
    ) {
        if (withPending > confirmed) {
            Box(Modifier.fillMaxWidth(withPending).fillMaxHeight().background(MaterialTheme.colorScheme.tertiary.copy(alpha = 0.45f)))
        }
        Box(Modifier.fillMaxWidth(confirmed).fillMaxHeight().background(MaterialTheme.colorScheme.primary))
    }
}

/** Buttons are at least 48 dp tall: a finger, not a cursor. */
private val TouchTarget = Modifier.heightIn(min = 48.dp)

/** The core's issues of one field, in words (empty: none). */
@Composable
private fun issuesText(issues: List<IssueCode>?): String? = issues?.takeIf { it.isNotEmpty() }?.map { issueText(it) }?.distinct()?.joinToString(" ")

/**
 * A checkbox with its label: the whole row is the target (48 dp at least) and reads as one
 * checkbox; an issue shows under it and is announced as the row's error.
 */
@Composable
fun CheckRow(text: String, checked: Boolean, onChange: (Boolean) -> Unit, issues: List<IssueCode>? = null) {
    val error = issuesText(issues)
    Column(Modifier.fillMaxWidth()) {
        Row(
            Modifier.fillMaxWidth().heightIn(min = 48.dp)
                .toggleable(value = checked, role = Role.Checkbox, onValueChange = onChange)
                .semantics { if (error != null) error(error) },
            verticalAlignment = Alignment.CenterVertically,
            horizontalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Checkbox(
                checked = checked,
                onCheckedChange = null,
                colors = if (error != null) CheckboxDefaults.colors(uncheckedColor = MaterialTheme.colorScheme.error) else CheckboxDefaults.colors(),
            )
            Text(text, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.weight(1f))
        }
        error?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(start = 4.dp)) }
    }
}

/** A switch with its label and a line of help under it; the whole row toggles it. */
@Composable
fun SwitchRow(text: String, help: String?, checked: Boolean, onChange: (Boolean) -> Unit) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = 48.dp).toggleable(value = checked, role = Role.Switch, onValueChange = onChange),
        verticalAlignment = Alignment.CenterVertically,
        horizontalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Column(Modifier.weight(1f)) {
            Text(text, style = MaterialTheme.typography.bodyLarge)
            help?.let { Text(it, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant) }
        }
        Switch(checked = checked, onCheckedChange = null)
    }
}

/** One line of a sum: its label, then its amount (formatted by the core); read as one. Wraps at large font sizes. */
@Composable
fun AmountLine(label: String, amount: String, strong: Boolean = false) {
    val style = if (strong) MaterialTheme.typography.titleMedium else MaterialTheme.typography.bodyLarge
    Row(
        Modifier.fillMaxWidth().semantics(mergeDescendants = true) {},
        horizontalArrangement = Arrangement.spacedBy(12.dp),
        verticalAlignment = Alignment.Top,
    ) {
        Text(label, style = style, modifier = Modifier.weight(1f))
        Text(amount, style = style)
    }
}

// ---- opening, and the gate ----

@Composable
fun StartupContent(state: Startup, onRetry: () -> Unit) {
    FundkitScreen(stringResource(R.string.app_name), onBack = null) {
        when (state) {
            is Startup.Failed -> {
                Heading(stringResource(R.string.startup_failed_title), big = true)
                Notice(stringResource(R.string.startup_failed_body), error = true)
                Button(onClick = onRetry, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.retry)) }
            }
            else -> {
                Row(horizontalArrangement = Arrangement.spacedBy(12.dp), verticalAlignment = Alignment.CenterVertically) {
                    CircularProgressIndicator(Modifier.size(24.dp))
                    Text(stringResource(R.string.startup_opening))
                }
            }
        }
    }
}

@Composable
fun GateClosedContent(action: Action, reason: UnavailableReason, onBack: (() -> Unit)? = null) {
    FundkitScreen(stringResource(R.string.app_name), onBack) {
        Heading(stringResource(if (action == Action.DONATE) R.string.gate_donate_title else R.string.gate_create_title), big = true)
        Text(unavailableText(reason), style = MaterialTheme.typography.bodyLarge)
    }
}

// ---- create ----

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun CreateFundraiserContent(
    state: CreateFormState,
    onEdit: (CreateFormState.() -> CreateFormState) -> Unit,
    onSubmit: () -> Unit,
    onBack: (() -> Unit)? = null,
) {
    FundkitScreen(stringResource(R.string.create_title), onBack) {
        val currency = state.currency
        if (currency == null) {
            Notice(stringResource(R.string.create_no_currency), error = true)
            return@FundkitScreen
        }
        Field(stringResource(R.string.create_field_title), state.title, state.issues["title"]) { v -> onEdit { copy(title = v) } }
        Field(stringResource(R.string.create_field_story), state.story, state.issues["story"], singleLine = false) { v -> onEdit { copy(story = v) } }
        Field(stringResource(R.string.create_field_goal, currency), state.goalText, state.issues["goal"]) { v -> onEdit { copy(goalText = v) } }
        Text(stringResource(R.string.create_kind), style = MaterialTheme.typography.labelLarge)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            val kind = state.kind
            FilterChip(
                selected = kind is FundraiserKind.PersonalCause,
                onClick = { onEdit { copy(kind = FundraiserKind.PersonalCause(dev.fundkit.Beneficiary.MYSELF)) } },
                label = { Text(stringResource(R.string.create_kind_personal)) },
                modifier = TouchTarget,
            )
            FilterChip(
                selected = kind is FundraiserKind.BusinessProject,
                onClick = { onEdit { copy(kind = FundraiserKind.BusinessProject) } },
                label = { Text(stringResource(R.string.create_kind_business)) },
                modifier = TouchTarget,
            )
            FilterChip(
                selected = kind is FundraiserKind.Nonprofit,
                onClick = { if (kind !is FundraiserKind.Nonprofit) onEdit { copy(kind = FundraiserKind.Nonprofit("")) } },
                label = { Text(stringResource(R.string.create_kind_nonprofit)) },
                modifier = TouchTarget,
            )
        }
        val nonprofit = state.kind as? FundraiserKind.Nonprofit
        if (nonprofit != null) {
            Field(stringResource(R.string.create_field_nonprofit_id), nonprofit.nonprofitId, state.issues["nonprofit_id"]) { v ->
                onEdit { copy(kind = FundraiserKind.Nonprofit(v)) }
            }
        }
        // A nonprofit in the UK: its registered charity, so UK donors may add Gift Aid (the core says where it applies).
        if (state.charityApplies) {
            Heading(stringResource(R.string.create_charity_heading))
            Text(stringResource(R.string.create_charity_help), style = MaterialTheme.typography.bodyMedium)
            Field(stringResource(R.string.create_field_charity_name), state.charityName, state.issues["charity_name"]) { v -> onEdit { copy(charityName = v) } }
            Field(stringResource(R.string.create_field_charity_number), state.charityNumber, state.issues["charity_number"]) { v -> onEdit { copy(charityNumber = v) } }
            state.issues["charity"]?.let { codes -> Notice(codes.map { issueText(it) }.distinct().joinToString(" "), error = true) }
        }
        state.problem?.let { Notice(problemText(it), error = true) }
        Button(onClick = onSubmit, enabled = !state.submitting, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.create_submit)) }
    }
}

@Composable
private fun Field(
    label: String,
    value: String,
    issues: List<IssueCode>?,
    singleLine: Boolean = true,
    onChange: (String) -> Unit,
) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        isError = !issues.isNullOrEmpty(),
        supportingText = issues?.let { codes -> { Text(codes.map { issueText(it) }.joinToString(" ")) } },
        singleLine = singleLine,
        maxLines = if (singleLine) 1 else 4,
        modifier = Modifier.fillMaxWidth(),
    )
}

// ---- a fundraiser's page ----

@Composable
fun FundraiserContent(
    state: FundraiserScreenState,
    onDonate: () -> Unit,
    onPending: () -> Unit,
    onDashboard: () -> Unit,
    onBack: (() -> Unit)? = null,
    onShare: (String) -> Unit = {},
) {
    val share = state.shareUrl
    FundkitScreen(
        stringResource(R.string.fundraiser_top_bar),
        onBack,
        actions = {
            // The Android share sheet with the core's https link (Navigation.kt hands it to the Activity).
            if (share != null && state.loaded) {
                IconButton(onClick = { onShare(share) }, modifier = Modifier.size(48.dp)) {
                    Icon(Icons.Filled.Share, contentDescription = stringResource(R.string.share_description))
                }
            }
        },
    ) {
        Heading(state.title, big = true)
        Text(stringResource(R.string.fundraiser_organised_by, state.organiserName), style = MaterialTheme.typography.bodyMedium)
        GoalProgress(
            confirmed = state.progressConfirmed,
            withPending = state.progressWithPending,
            description = stringResource(R.string.fundraiser_progress_description, state.percentConfirmed),
        )
        Text(stringResource(R.string.fundraiser_raised_of_goal, state.raisedLabel, state.goalLabel), style = MaterialTheme.typography.titleMedium)
        Row(horizontalArrangement = Arrangement.spacedBy(16.dp)) {
            Text(pluralStringResource(R.plurals.donation_count, state.donationCount.toInt(), state.donationCount.toInt()), style = MaterialTheme.typography.bodyMedium)
            when (state.state) {
                FundraiserState.ACTIVE ->
                    Text(pluralStringResource(R.plurals.days_left, state.daysLeft, state.daysLeft), style = MaterialTheme.typography.bodyMedium)
                else -> {}
            }
        }
        state.pendingLabel?.let { pending ->
            Text(
                pluralStringResource(R.plurals.pending_mine, state.pendingCount, pending, state.pendingCount),
                color = MaterialTheme.colorScheme.tertiary,
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        when (state.state) {
            FundraiserState.ENDED -> Notice(stringResource(R.string.fundraiser_ended))
            FundraiserState.IN_REVIEW -> Notice(stringResource(R.string.fundraiser_in_review))
            else -> {}
        }
        if (!state.online) Notice(stringResource(R.string.offline_notice))
        if (state.state == FundraiserState.ACTIVE) {
            Button(onClick = onDonate, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.donate)) }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            TextButton(onClick = onPending, modifier = TouchTarget) { Text(stringResource(R.string.see_pending)) }
            if (state.viewerIsOrganiser) TextButton(onClick = onDashboard, modifier = TouchTarget) { Text(stringResource(R.string.open_dashboard)) }
        }
        HorizontalDivider()
        Heading(stringResource(R.string.fundraiser_story))
        Text(state.story, style = MaterialTheme.typography.bodyLarge)
    }
}

// ---- the donate sheet ----

/**
 * The donate sheet's content (Android shows it in a ModalBottomSheet; it scrolls in
 * [scroll]). Before Confirm: the core's quote (the donation, the fee, what the donor pays,
 * what the organiser receives), "Cover the fee" (off unless the donor turns it on) and,
 * where the core says the fundraiser takes it, the Gift Aid declaration.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DonateSheetContent(
    state: DonateSheetState,
    onAmountChange: (String) -> Unit,
    onMessageChange: (String) -> Unit,
    onConfirm: () -> Unit,
    onOpenBank: (String) -> Unit,
    onCheckBank: () -> Unit,
    onCoverFeeChange: (Boolean) -> Unit = {},
    onGiftAidChange: ((GiftAidForm.() -> GiftAidForm) -> Unit) = {},
    scroll: ScrollState = rememberScrollState(),
) {
    Column(Modifier.fillMaxWidth().verticalScroll(scroll).padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Heading(stringResource(R.string.donate_title, state.fundraiserTitle))
        val donation = state.donation
        val amount = state.donationLabel.orEmpty()
        when (state.stage) {
            DonateStage.FORM -> {
                Text(stringResource(R.string.donate_presets), style = MaterialTheme.typography.labelLarge)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    for (preset in state.presets) {
                        FilterChip(
                            selected = state.amountText == preset.text,
                            onClick = { onAmountChange(preset.text) },
                            label = { Text(preset.label) },
                            modifier = TouchTarget,
                        )
                    }
                }
                val amountIssues = issuesText(state.quoteIssues)
                OutlinedTextField(
                    value = state.amountText,
                    onValueChange = onAmountChange,
                    label = { Text(stringResource(R.string.donate_amount)) },
                    isError = state.amountError != null || amountIssues != null,
                    supportingText = {
                        val error = state.amountError
                        val preview = state.amountLabel
                        when {
                            error != null -> Text(amountErrorText(error, state.currency))
                            amountIssues != null -> Text(amountIssues)
                            preview != null -> Text(stringResource(R.string.donate_amount_preview, preview))
                        }
                    },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                state.quote?.let { quote ->
                    Card(
                        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceContainerHighest),
                        modifier = Modifier.fillMaxWidth().semantics { liveRegion = LiveRegionMode.Polite },
                    ) {
                        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                            Heading(stringResource(R.string.fees_heading))
                            AmountLine(stringResource(R.string.fee_line_donation), quote.amountLabel)
                            AmountLine(stringResource(R.string.fee_line_fee), quote.feeLabel)
                            HorizontalDivider()
                            AmountLine(stringResource(R.string.fee_line_you_pay), quote.donorPaysLabel, strong = true)
                            AmountLine(stringResource(R.string.fee_line_organiser_receives), quote.organiserReceivesLabel)
                        }
                    }
                }
                SwitchRow(stringResource(R.string.cover_fee), stringResource(R.string.cover_fee_help), state.coverFee, onCoverFeeChange)
                OutlinedTextField(
                    value = state.message,
                    onValueChange = onMessageChange,
                    label = { Text(stringResource(R.string.donate_message)) },
                    isError = state.issues["message"] != null,
                    supportingText = state.issues["message"]?.let { codes -> { Text(codes.map { issueText(it) }.joinToString(" ")) } },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                val wording = giftAidWording(state.giftAidWording)
                if (state.offersGiftAid && wording != null) {
                    GiftAidSection(state, wording, onGiftAidChange)
                }
                when (val r = state.refusal) {
                    is DonateOutcome.OverOfflineLimit -> Notice(offlineCapText(r.cap), error = true)
                    is DonateOutcome.Invalid -> {
                        // Issues of fields drawn above are shown at their field; the rest here.
                        val shown = setOf("message") + if (state.offersGiftAid && wording != null) GIFT_AID_FIELDS else emptySet()
                        val rest = r.issues.filter { it.field !in shown }.map { issueText(it.code) }.distinct()
                        if (rest.isNotEmpty()) Notice(rest.joinToString(" "), error = true)
                    }
                    is DonateOutcome.Unavailable -> Notice(unavailableText(r.reason), error = true)
                    is DonateOutcome.OutOfSpace -> Notice(stringResource(R.string.out_of_space), error = true)
                    is DonateOutcome.Failed -> Notice(stringResource(R.string.donate_failed), error = true)
                    is DonateOutcome.Queued, null -> {}
                }
                // Disabled until the core's quote for this amount is on screen, while a confirm is
                // in flight and once the donation exists: one donation, at the price shown.
                Button(onClick = onConfirm, enabled = state.canConfirm && state.amountLabel != null && state.quote != null, modifier = TouchTarget.fillMaxWidth()) {
                    Text(stringResource(if (state.submitting) R.string.donate_sending else R.string.donate_confirm))
                }
            }
            DonateStage.PENDING -> Notice(stringResource(R.string.donate_pending, amount))
            DonateStage.BANK_STEP -> {
                Notice(stringResource(R.string.bank_step_body, amount), title = stringResource(R.string.bank_step_title))
                val url = state.bankUrl
                Button(onClick = { url?.let(onOpenBank) }, enabled = url != null && !state.checkingBank, modifier = TouchTarget.fillMaxWidth()) {
                    Text(stringResource(R.string.bank_step_open))
                }
                OutlinedButton(onClick = onCheckBank, enabled = !state.checkingBank, modifier = TouchTarget.fillMaxWidth()) {
                    Text(stringResource(if (state.checkingBank) R.string.bank_step_checking else R.string.bank_step_check))
                }
            }
            DonateStage.CONFIRMED -> Notice(stringResource(R.string.donate_confirmed, amount))
            DonateStage.REJECTED -> Notice(rejectedText(donation?.reason), error = true)
            DonateStage.EXPIRED -> Notice(stringResource(R.string.donate_expired, amount), error = true)
            DonateStage.CANCELLED -> Notice(stringResource(R.string.donate_cancelled))
        }
    }
}

/** The core's issue fields of a declaration, each drawn at its own field. */
private val GIFT_AID_FIELDS =
    setOf(
        "gift_aid", "gift_aid.first_name", "gift_aid.last_name", "gift_aid.house", "gift_aid.postcode",
        "gift_aid.lives_in_uk", "gift_aid.uk_taxpayer", "gift_aid.consent", "gift_aid.wording_version",
    )

/**
 * Gift Aid, on a fundraiser the core says takes it: what it adds (the core's figure), the
 * donor's name and address, HMRC's declaration (the wording the core's version names) and
 * the box that makes it. Each field shows the core's issues for it.
 */
@Composable
private fun GiftAidSection(state: DonateSheetState, wording: GiftAidWording, onChange: ((GiftAidForm.() -> GiftAidForm) -> Unit)) {
    val form = state.giftAidForm
    val issues = state.issues
    HorizontalDivider()
    Heading(stringResource(R.string.gift_aid_heading))
    val adds = state.quote?.giftAidLabel
    Text(
        if (adds != null) stringResource(R.string.gift_aid_explain_amount, adds) else stringResource(R.string.gift_aid_explain),
        style = MaterialTheme.typography.bodyMedium,
    )
    Text(stringResource(R.string.gift_aid_optional), style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
    CheckRow(stringResource(R.string.gift_aid_lives_in_uk), form.livesInUk, { v -> onChange { copy(livesInUk = v) } }, issues["gift_aid.lives_in_uk"])
    Field(stringResource(R.string.gift_aid_first_name), form.firstName, issues["gift_aid.first_name"]) { v -> onChange { copy(firstName = v) } }
    Field(stringResource(R.string.gift_aid_last_name), form.lastName, issues["gift_aid.last_name"]) { v -> onChange { copy(lastName = v) } }
    Field(stringResource(R.string.gift_aid_house), form.house, issues["gift_aid.house"]) { v -> onChange { copy(house = v) } }
    Field(stringResource(R.string.gift_aid_postcode), form.postcode, issues["gift_aid.postcode"]) { v -> onChange { copy(postcode = v) } }
    // HMRC's declaration: the taxpayer statement and the donor's wish, each its own box, in
    // the words of the version the core records; Gift Aid is on the gift, never on fees.
    CheckRow(stringResource(wording.taxpayer), form.ukTaxpayer, { v -> onChange { copy(ukTaxpayer = v) } }, issues["gift_aid.uk_taxpayer"])
    val gift = state.quote?.amountLabel ?: state.amountLabel.orEmpty()
    val consentIssues = listOfNotNull(issues["gift_aid.consent"], issues["gift_aid.wording_version"], issues["gift_aid"]).flatten().distinct()
    CheckRow(stringResource(wording.consent, gift, state.charityName.orEmpty()), form.consent, { v -> onChange { copy(consent = v) } }, consentIssues.ifEmpty { null })
    Text(stringResource(R.string.gift_aid_notice), style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
}

// ---- pending donations ----

@Composable
fun PendingDonationsContent(state: PendingListState, onRetry: () -> Unit, onBack: (() -> Unit)? = null) {
    FundkitScreen(stringResource(R.string.pending_title), onBack) {
        if (state.waitingForNetwork) {
            Text(
                stringResource(R.string.pending_waiting),
                color = MaterialTheme.colorScheme.secondary,
                modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
            )
        }
        state.syncError?.let { problem ->
            Notice(syncProblemText(problem), error = true) {
                // The notice's own text colour: the theme's primary is unreadable on the error container.
                TextButton(
                    onClick = onRetry,
                    colors = ButtonDefaults.textButtonColors(contentColor = LocalContentColor.current),
                    modifier = TouchTarget,
                ) { Text(stringResource(R.string.retry_now)) }
            }
        }
        if (state.rows.isEmpty()) Text(stringResource(R.string.pending_empty), style = MaterialTheme.typography.bodyMedium)
        Column {
            for (row in state.rows) {
                Row(
                    horizontalArrangement = Arrangement.SpaceBetween,
                    verticalAlignment = Alignment.CenterVertically,
                    modifier = TouchTarget.fillMaxWidth().padding(vertical = 8.dp).semantics(mergeDescendants = true) {},
                ) {
                    Text(row.amountLabel, style = MaterialTheme.typography.bodyLarge)
                    Text(donationStateText(row.state), style = MaterialTheme.typography.bodyLarge)
                }
                HorizontalDivider()
            }
        }
    }
}

// ---- the organiser's dashboard ----

@Composable
fun OrganiserDashboardContent(
    state: OrganiserDashboardState,
    extendDays: Int,
    onSaveTitle: (String) -> Unit,
    onExtend: () -> Unit,
    onRequestEnd: () -> Unit,
    onConfirmEnd: () -> Unit,
    onDismissEnd: () -> Unit,
    onBack: (() -> Unit)? = null,
    scroll: ScrollState = rememberScrollState(),
) {
    var title by rememberSaveable(state.title) { mutableStateOf(state.title) }
    FundkitScreen(stringResource(R.string.dashboard_title), onBack, scroll = scroll) {
        Heading(state.title, big = true)
        Text(
            when (state.state) {
                FundraiserState.IN_REVIEW -> stringResource(R.string.fundraiser_in_review)
                FundraiserState.ACTIVE -> pluralStringResource(R.plurals.days_left, state.daysLeft, state.daysLeft)
                FundraiserState.ENDED -> stringResource(R.string.dashboard_ended)
                FundraiserState.REMOVED -> stringResource(R.string.dashboard_removed, state.removalReason.orEmpty())
                FundraiserState.DRAFT, null -> ""
            },
            style = MaterialTheme.typography.bodyMedium,
        )
        GoalProgress(state.progress, state.progress, stringResource(R.string.fundraiser_progress_description, state.percentConfirmed))
        Text(stringResource(R.string.fundraiser_raised_of_goal, state.raisedLabel, state.goalLabel), style = MaterialTheme.typography.titleMedium)
        // Donations and distinct donors both said: "3 donations from 1 donor", never "1 donor" above three rows.
        val donations = pluralStringResource(R.plurals.donation_count, state.donationCount.toInt(), state.donationCount.toInt())
        Text(pluralStringResource(R.plurals.donations_from_donors, state.donorCount.toInt(), donations, state.donorCount.toInt()), style = MaterialTheme.typography.bodyLarge)
        state.charityName?.let { Text(stringResource(R.string.dashboard_charity, it), style = MaterialTheme.typography.bodyMedium) }
        // What the organiser receives, the fees, Gift Aid and where donations came from: the server's figures, formatted by the core.
        state.figures?.let { figures ->
            Heading(stringResource(R.string.dashboard_money_heading))
            Column(Modifier.fillMaxWidth().semantics(mergeDescendants = true) {}, verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(stringResource(R.string.dashboard_receives, figures.receivesLabel), style = MaterialTheme.typography.titleMedium)
                Text(stringResource(R.string.dashboard_fees, figures.feesLabel), style = MaterialTheme.typography.bodyLarge)
                if (figures.showGiftAid) {
                    Text(
                        pluralStringResource(R.plurals.dashboard_gift_aid, figures.giftAidCount.toInt(), figures.giftAidCount.toInt(), figures.giftAidClaimableLabel),
                        style = MaterialTheme.typography.bodyLarge,
                    )
                }
            }
            Heading(stringResource(R.string.dashboard_sources_heading))
            Column(Modifier.fillMaxWidth().semantics(mergeDescendants = true) {}, verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(stringResource(R.string.dashboard_from_link, figures.fromLink.toInt()), style = MaterialTheme.typography.bodyLarge)
                Text(stringResource(R.string.dashboard_from_story_sticker, figures.fromStorySticker.toInt()), style = MaterialTheme.typography.bodyLarge)
                Text(stringResource(R.string.dashboard_from_profile, figures.fromProfile.toInt()), style = MaterialTheme.typography.bodyLarge)
            }
        }
        if (state.canEdit) {
            Field(stringResource(R.string.create_field_title), title, state.issues["title"]) { title = it }
            FilledTonalButton(onClick = { onSaveTitle(title) }, enabled = !state.busy, modifier = TouchTarget) { Text(stringResource(R.string.dashboard_save_title)) }
        }
        for (field in listOf("duration_days", "state", "goal")) {
            state.issues[field]?.let { codes -> Notice(codes.map { issueText(it) }.distinct().joinToString(" "), error = true) }
        }
        state.problem?.let { Notice(problemText(it), error = true) }
        if (state.canExtend) {
            FilledTonalButton(onClick = onExtend, enabled = !state.busy, modifier = TouchTarget.fillMaxWidth()) {
                Text(pluralStringResource(R.plurals.dashboard_extend, extendDays, extendDays))
            }
        }
        if (state.canEnd) {
            // Destructive: outlined in the error colour, apart from the other actions, and it asks first.
            OutlinedButton(
                onClick = onRequestEnd,
                enabled = !state.busy,
                colors = ButtonDefaults.outlinedButtonColors(contentColor = MaterialTheme.colorScheme.error),
                border = androidx.compose.foundation.BorderStroke(1.dp, MaterialTheme.colorScheme.error),
                modifier = TouchTarget.fillMaxWidth(),
            ) { Text(stringResource(R.string.dashboard_end)) }
        }
        HorizontalDivider()
        Heading(stringResource(R.string.dashboard_donors))
        Column {
            for (row in state.donations) {
                Column(TouchTarget.fillMaxWidth().padding(vertical = 6.dp).semantics(mergeDescendants = true) {}) {
                    Row(horizontalArrangement = Arrangement.SpaceBetween, modifier = Modifier.fillMaxWidth()) {
                        Text(row.name ?: stringResource(R.string.donor_anonymous), style = MaterialTheme.typography.bodyLarge)
                        Text(row.amountLabel ?: stringResource(R.string.amount_hidden), style = MaterialTheme.typography.bodyLarge)
                    }
                    row.message?.let { Text(it, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant) }
                    if (row.giftAid) Text(stringResource(R.string.donor_gift_aid), style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.tertiary)
                }
                HorizontalDivider()
            }
        }
    }
    if (state.confirmingEnd) EndConfirmDialog(onConfirm = onConfirmEnd, onDismiss = onDismissEnd)
}

/** "End this fundraiser?": the destructive choice in the error colour, keeping it the safe default. */
@Composable
fun EndConfirmDialog(onConfirm: () -> Unit, onDismiss: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.end_confirm_title), modifier = Modifier.semantics { heading() }) },
        text = { Text(stringResource(R.string.end_confirm_body)) },
        confirmButton = {
            TextButton(
                onClick = onConfirm,
                colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
                modifier = TouchTarget,
            ) { Text(stringResource(R.string.end_confirm_yes)) }
        },
        dismissButton = { TextButton(onClick = onDismiss, modifier = TouchTarget) { Text(stringResource(R.string.end_confirm_no)) } },
    )
}

// ---- a link opened ----

/**
 * A link handed to the app while the core resolves it, or why it opens nothing (the core's
 * reason in words), with Retry when the network may have been the reason and a way into
 * the app. An opened link never shows here: Navigation.kt replaces this with the fundraiser.
 */
@Composable
fun LinkContent(state: LinkScreenState, onRetry: () -> Unit, onHome: () -> Unit, onBack: (() -> Unit)? = null) {
    FundkitScreen(stringResource(R.string.link_top_bar), onBack) {
        when (state) {
            is LinkScreenState.Opening, is LinkScreenState.Opened -> {
                Row(
                    horizontalArrangement = Arrangement.spacedBy(12.dp),
                    verticalAlignment = Alignment.CenterVertically,
                    modifier = Modifier.semantics(mergeDescendants = true) { liveRegion = LiveRegionMode.Polite },
                ) {
                    CircularProgressIndicator(Modifier.size(24.dp))
                    Text(stringResource(R.string.link_opening))
                }
            }
            is LinkScreenState.Refused -> {
                Heading(stringResource(R.string.link_title), big = true)
                Notice(linkProblemText(state.problem), error = true)
                Button(onClick = onHome, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.link_home)) }
            }
            is LinkScreenState.Offline, is LinkScreenState.Failed -> {
                Heading(stringResource(R.string.link_title), big = true)
                Notice(stringResource(if (state is LinkScreenState.Offline) R.string.link_offline else R.string.link_failed), error = true)
                Button(onClick = onRetry, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.retry)) }
                OutlinedButton(onClick = onHome, modifier = TouchTarget.fillMaxWidth()) { Text(stringResource(R.string.link_home)) }
            }
        }
    }
}
