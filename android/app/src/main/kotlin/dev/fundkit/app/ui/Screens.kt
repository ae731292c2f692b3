package dev.fundkit.app.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.ElevatedCard
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.LocalContentColor
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import dev.fundkit.Action
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserState
import dev.fundkit.FundraiserView
import dev.fundkit.IssueCode
import dev.fundkit.OfflineCap
import dev.fundkit.SyncProblem
import dev.fundkit.UnavailableReason
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.screens.CreateFormState
import dev.fundkit.ktx.screens.CreateFundraiserPresenter
import dev.fundkit.ktx.screens.DonatePresenter
import dev.fundkit.ktx.screens.DonateSheetState
import dev.fundkit.ktx.screens.FundraiserPresenter
import dev.fundkit.ktx.screens.FundraiserScreenState
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.OrganiserDashboardPresenter
import dev.fundkit.ktx.screens.OrganiserDashboardState
import dev.fundkit.ktx.screens.PendingDonationsPresenter
import dev.fundkit.ktx.screens.PendingListState
import dev.fundkit.ktx.screens.gate
import kotlinx.coroutines.launch

// Thin screens over the plain-Kotlin presenters in the library. Two layers:
//  - stateful entry points (FundkitNavHost, CreateFundraiserScreen, ...) make a presenter,
//    collect its state and forward taps;
//  - `...Content` composables draw one presenter state and take callbacks. They are
//    platform-neutral (Compose only, no android.*), so the same file is compiled by the
//    Android app and, on the JVM, by android/screenshots to render them to PNG.
// Strings would come from resources in a real app.

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

@Composable
fun FundkitNavHost(fundkit: FundKit) {
    var screen by remember { mutableStateOf<FundraiserView?>(null) }
    val current = screen
    if (current == null) {
        AvailabilityGate(fundkit, Action.CREATE_FUNDRAISER) { CreateFundraiserScreen(fundkit) { screen = it } }
    } else {
        AvailabilityGate(fundkit, Action.DONATE) { FundraiserScreen(fundkit, current) }
    }
}

@Composable
fun AvailabilityGate(fundkit: FundKit, action: Action, content: @Composable () -> Unit) {
    when (val gate = fundkit.gate(action)) {
        GateState.Open -> content()
        is GateState.Closed -> GateClosedContent(action, gate.reason)
    }
}

@Composable
fun GateClosedContent(action: Action, reason: UnavailableReason) {
    Column(Modifier.padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(
            if (action == Action.DONATE) "Donations aren't available yet" else "Fundraisers aren't available yet",
            style = MaterialTheme.typography.headlineSmall,
        )
        Text(unavailableText(reason), style = MaterialTheme.typography.bodyLarge)
    }
}

private fun unavailableText(reason: UnavailableReason): String =
    when (reason) {
        UnavailableReason.SWITCHED_OFF -> "This is switched off for now. Please check back later."
        UnavailableReason.COUNTRY_NOT_LAUNCHED -> "FundKit hasn't launched in your country yet. We'll let you know when it does."
        UnavailableReason.PLATFORM_NOT_LAUNCHED -> "This isn't available on this device yet."
        UnavailableReason.TOO_YOUNG -> "You need to be older to do this."
        UnavailableReason.AGE_UNKNOWN -> "Add your date of birth in your profile to continue."
    }

@Composable
fun CreateFundraiserScreen(fundkit: FundKit, onCreated: (FundraiserView) -> Unit) {
    val scope = rememberCoroutineScope()
    val presenter = remember { CreateFundraiserPresenter(fundkit, "US", "USD", scope) }
    val state by presenter.state.collectAsState()
    state.created?.let(onCreated)
    CreateFundraiserContent(state, onEdit = presenter::edit, onSubmit = { presenter.submit() })
}

@Composable
fun CreateFundraiserContent(
    state: CreateFormState,
    onEdit: (CreateFormState.() -> CreateFormState) -> Unit,
    onSubmit: () -> Unit,
) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("Start a fundraiser", style = MaterialTheme.typography.headlineSmall)
        Field("Title", state.title, state.issues["title"]) { v -> onEdit { copy(title = v) } }
        Field("Story", state.story, state.issues["story"], singleLine = false) { v -> onEdit { copy(story = v) } }
        Field("Goal", state.goalText, state.issues["goal"]) { v -> onEdit { copy(goalText = v) } }
        state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        Button(onClick = onSubmit, enabled = !state.submitting) { Text("Start fundraiser") }
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
        supportingText = { issues?.let { Text(it.joinToString(" ") { code -> issueText(code) }) } },
        singleLine = singleLine,
        maxLines = if (singleLine) 1 else 4,
        modifier = Modifier.fillMaxWidth(),
    )
}

fun issueText(code: IssueCode): String =
    when (code) {
        IssueCode.REQUIRED -> "Required."
        IssueCode.TOO_LONG -> "Too long."
        IssueCode.CONTROL_CHARACTER -> "Contains a character that can't be shown."
        IssueCode.CARD_NUMBER -> "Looks like a card number: never share one here."
        IssueCode.BELOW_MINIMUM -> "Below the minimum."
        IssueCode.ABOVE_MAXIMUM -> "Above the maximum."
        IssueCode.CURRENCY_MISMATCH -> "Wrong currency for this fundraiser."
        IssueCode.UNKNOWN_CURRENCY -> "Unknown currency."
        IssueCode.WRONG_CURRENCY_FOR_COUNTRY -> "Wrong currency for your country."
        IssueCode.INVALID_ID -> "Not a valid id."
        IssueCode.INVALID_DURATION -> "Not a valid duration."
        IssueCode.NOT_ACTIVE -> "This fundraiser isn't taking donations."
        IssueCode.BELOW_RAISED -> "Can't be lower than what has been raised."
        IssueCode.ENDED -> "This fundraiser has ended."
        IssueCode.BIDI_CONTROL -> "Contains characters that change the reading order."
    }

@Composable
fun FundraiserScreen(fundkit: FundKit, fundraiser: FundraiserView) {
    val scope = rememberCoroutineScope()
    val page = remember { FundraiserPresenter(fundkit, fundraiser.fundraiser.id, scope) }
    val state by page.state.collectAsState()
    var donating by remember { mutableStateOf(false) }
    FundraiserContent(
        state,
        onDonate = { donating = true },
        sheet = if (donating) ({ DonateSheet(fundkit, fundraiser) { donating = false } }) else null,
        pending = { PendingDonationsList(fundkit) },
    )
}

@Composable
fun FundraiserContent(
    state: FundraiserScreenState,
    onDonate: () -> Unit,
    sheet: (@Composable () -> Unit)?,
    pending: @Composable () -> Unit,
) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(state.title, style = MaterialTheme.typography.headlineSmall, maxLines = 2, overflow = TextOverflow.Ellipsis)
        LinearProgressIndicator(progress = { state.progress }, modifier = Modifier.fillMaxWidth())
        Text("${state.raisedLabel} raised of ${state.goalLabel}", style = MaterialTheme.typography.titleMedium)
        state.pendingLabel?.let { Text(it, color = MaterialTheme.colorScheme.secondary) }
        if (!state.online) {
            Notice("Offline: donations are kept on this phone and sent when you're back.")
        }
        if (sheet == null) Button(onClick = onDonate) { Text("Donate") } else sheet()
        pending()
    }
}

@Composable
private fun Notice(text: String, error: Boolean = false, action: (@Composable () -> Unit)? = null) {
    val colors =
        if (error) {
            CardDefaults.cardColors(
                containerColor = MaterialTheme.colorScheme.errorContainer,
                contentColor = MaterialTheme.colorScheme.onErrorContainer,
            )
        } else {
            CardDefaults.cardColors(
                containerColor = MaterialTheme.colorScheme.secondaryContainer,
                contentColor = MaterialTheme.colorScheme.onSecondaryContainer,
            )
        }
    Card(colors = colors, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp)) {
            Text(text, style = MaterialTheme.typography.bodyMedium)
            action?.invoke()
        }
    }
}

@Composable
fun DonateSheet(fundkit: FundKit, fundraiser: FundraiserView, onDone: () -> Unit) {
    val scope = rememberCoroutineScope()
    val sheet = remember { DonatePresenter(fundkit, fundraiser, scope) }
    val state by sheet.state.collectAsState()
    if (state.result is DonateOutcome.Queued) onDone()
    // The token comes from Google Pay's payment sheet in a real app.
    DonateSheetContent(
        state,
        onAmountChange = sheet::amountChanged,
        onEdit = sheet::edit,
        onConfirm = { sheet.confirm("tok_ok") },
    )
}

@Composable
fun DonateSheetContent(
    state: DonateSheetState,
    onAmountChange: (String) -> Unit,
    onEdit: (DonateSheetState.() -> DonateSheetState) -> Unit,
    onConfirm: () -> Unit,
) {
    ElevatedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text("Your donation", style = MaterialTheme.typography.titleMedium)
            OutlinedTextField(
                value = state.amountText,
                onValueChange = onAmountChange,
                label = { Text("Amount") },
                isError = state.amountError != null,
                supportingText = { Text(state.amountLabel ?: state.amountError?.let { "Not an amount ($it)." }.orEmpty()) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = state.message,
                onValueChange = { v -> onEdit { copy(message = v) } },
                label = { Text("Message (optional)") },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            when (val r = state.result) {
                is DonateOutcome.OverOfflineLimit -> Notice(offlineCapText(r.cap), error = true)
                is DonateOutcome.Invalid -> Notice(r.issues.joinToString(" ") { issueText(it.code) }, error = true)
                is DonateOutcome.Unavailable -> Notice(unavailableText(r.reason), error = true)
                is DonateOutcome.OutOfSpace -> Notice("Your phone is out of storage. Free some space and try again.", error = true)
                is DonateOutcome.Failed -> Notice("Something went wrong. Your donation was not taken.", error = true)
                is DonateOutcome.Queued, null -> {}
            }
            // Disabled while a confirm is in flight and once queued: no double donation from a double tap.
            Button(onClick = onConfirm, enabled = state.canConfirm, modifier = Modifier.fillMaxWidth()) { Text("Confirm") }
        }
    }
}

private fun syncProblemText(problem: SyncProblem): String =
    when (problem) {
        is SyncProblem.Offline -> "Couldn't reach FundKit. Your donations are safe on this phone and will be sent automatically."
        is SyncProblem.SignedOut -> "You're signed out. Sign in again to send your donations; they are safe on this phone."
        is SyncProblem.ServerRefused, is SyncProblem.Storage, is SyncProblem.Internal ->
            "Something went wrong while sending. Your donations are safe on this phone; we'll try again."
    }

private fun offlineCapText(cap: OfflineCap): String =
    when (cap) {
        OfflineCap.SINGLE_AMOUNT -> "You're offline, and this is more than one donation can be while offline. Try a smaller amount or wait for network."
        OfflineCap.TOTAL_AMOUNT -> "You're offline, and your donations waiting to be sent would go over the offline total. Wait for network to give more."
        OfflineCap.COUNT -> "You're offline, and you already have as many donations waiting as allowed. Wait for network to give more."
    }

@Composable
fun PendingDonationsList(fundkit: FundKit) {
    val scope = rememberCoroutineScope()
    val presenter = remember { PendingDonationsPresenter(fundkit, scope) }
    val state by presenter.state.collectAsState()
    PendingDonationsContent(state, onRetry = { scope.launch { runCatching { fundkit.syncNow() } } })
}

@Composable
fun PendingDonationsContent(state: PendingListState, onRetry: () -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("Pending donations", style = MaterialTheme.typography.titleMedium)
        if (state.waitingForNetwork) Text("Waiting for network", color = MaterialTheme.colorScheme.secondary)
        state.syncError?.let { problem ->
            // The core's error text is for logs; the donor gets what it means for them.
            Notice(syncProblemText(problem), error = true) {
                // The notice's own text colour: the theme's primary is unreadable on the error container.
                TextButton(onClick = onRetry, colors = ButtonDefaults.textButtonColors(contentColor = LocalContentColor.current)) {
                    Text("Retry now")
                }
            }
        }
        if (state.rows.isEmpty()) Text("Nothing waiting to be sent.", style = MaterialTheme.typography.bodyMedium)
        LazyColumn {
            items(state.rows, key = { it.id }) { row ->
                Row(
                    horizontalArrangement = Arrangement.SpaceBetween,
                    modifier = Modifier.fillMaxWidth().padding(vertical = 12.dp),
                ) {
                    Text(row.amountLabel, style = MaterialTheme.typography.bodyLarge)
                    Text(row.state.name.lowercase().replace('_', ' ').replaceFirstChar { it.uppercase() }, style = MaterialTheme.typography.bodyLarge)
                }
                HorizontalDivider()
            }
        }
    }
}

/** The organiser's dashboard: state, days left, raised of goal, donors; edit, extend, end. */
@Composable
fun OrganiserDashboard(fundkit: FundKit, fundraiserId: String) {
    val scope = rememberCoroutineScope()
    val presenter = remember { OrganiserDashboardPresenter(fundkit, fundraiserId, scope) }
    val state by presenter.state.collectAsState()
    OrganiserDashboardContent(
        state,
        onSaveTitle = { title -> presenter.edit(FundraiserEdit(title = title, story = null, category = null, goal = null)) },
        onExtend = { presenter.extend() },
        onEnd = { presenter.end() },
    )
}

@Composable
fun OrganiserDashboardContent(
    state: OrganiserDashboardState,
    onSaveTitle: (String) -> Unit,
    onExtend: () -> Unit,
    onEnd: () -> Unit,
) {
    var title by remember(state.title) { mutableStateOf(state.title) }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(16.dp)) {
        Text(state.title, style = MaterialTheme.typography.headlineSmall)
        Text(
            when (state.state) {
                FundraiserState.IN_REVIEW -> "In review: it goes live once approved"
                FundraiserState.ACTIVE -> "${state.daysLeft} days left"
                FundraiserState.ENDED -> "Ended"
                FundraiserState.REMOVED -> "Removed: ${state.removalReason.orEmpty()}"
                FundraiserState.DRAFT, null -> ""
            },
            style = MaterialTheme.typography.bodyMedium,
        )
        LinearProgressIndicator(progress = { state.progress }, modifier = Modifier.fillMaxWidth())
        val donors = if (state.donorCount == 1L) "1 donor" else "${state.donorCount} donors"
        Text("${state.raisedLabel} raised of ${state.goalLabel} · $donors", style = MaterialTheme.typography.bodyLarge)
        if (state.canEdit) {
            Field("Title", title, state.issues["title"]) { title = it }
            Button(onClick = { onSaveTitle(title) }, enabled = !state.busy) { Text("Save title") }
        }
        state.issues["duration_days"]?.let { Notice("A fundraiser runs 90 days at most, in 30-day steps.", error = true) }
        state.issues["state"]?.let { Notice("This fundraiser has ended and can no longer change.", error = true) }
        state.error?.let { Notice(it, error = true) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = onExtend, enabled = state.canExtend && !state.busy) { Text("Extend 30 days") }
            Button(onClick = onEnd, enabled = state.canEnd && !state.busy) { Text("End now") }
        }
        Text("Donors", style = MaterialTheme.typography.titleMedium)
        LazyColumn {
            items(state.donations, key = { it.id }) { row ->
                Row(horizontalArrangement = Arrangement.SpaceBetween, modifier = Modifier.fillMaxWidth().padding(vertical = 6.dp)) {
                    Text(row.name, style = MaterialTheme.typography.bodyLarge)
                    Text(row.amountLabel, style = MaterialTheme.typography.bodyLarge)
                }
                HorizontalDivider()
            }
        }
    }
}
