package dev.fundkit.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import dev.fundkit.Action
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserState
import dev.fundkit.FundraiserView
import dev.fundkit.IssueCode
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.screens.CreateFundraiserPresenter
import dev.fundkit.ktx.screens.DonatePresenter
import dev.fundkit.ktx.screens.FundraiserPresenter
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.OrganiserDashboardPresenter
import dev.fundkit.ktx.screens.PendingDonationsPresenter
import dev.fundkit.ktx.screens.gate

// Thin screens over the plain-Kotlin presenters in the library: they draw state and forward
// taps. Strings for issue codes would come from resources in a real app.

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
        is GateState.Closed -> Text("Not available yet: ${gate.reason.name.lowercase().replace('_', ' ')}", Modifier.padding(16.dp))
    }
}

@Composable
fun CreateFundraiserScreen(fundkit: FundKit, onCreated: (FundraiserView) -> Unit) {
    val scope = rememberCoroutineScope()
    val presenter = remember { CreateFundraiserPresenter(fundkit, "US", "USD", scope) }
    val state by presenter.state.collectAsState()
    state.created?.let(onCreated)
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Field("Title", state.title, state.issues["title"]) { v -> presenter.edit { copy(title = v) } }
        Field("Story", state.story, state.issues["story"]) { v -> presenter.edit { copy(story = v) } }
        Field("Goal", state.goalText, state.issues["goal"]) { v -> presenter.edit { copy(goalText = v) } }
        state.error?.let { Text(it) }
        Button(onClick = { presenter.submit() }, enabled = !state.submitting) { Text("Start fundraiser") }
    }
}

@Composable
private fun Field(label: String, value: String, issues: List<IssueCode>?, onChange: (String) -> Unit) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        isError = !issues.isNullOrEmpty(),
        supportingText = { issues?.let { Text(it.joinToString { code -> code.name.lowercase().replace('_', ' ') }) } },
        modifier = Modifier.fillMaxWidth(),
    )
}

@Composable
fun FundraiserScreen(fundkit: FundKit, fundraiser: FundraiserView) {
    val scope = rememberCoroutineScope()
    val page = remember { FundraiserPresenter(fundkit, fundraiser.fundraiser.id, scope) }
    val state by page.state.collectAsState()
    var donating by remember { mutableStateOf(false) }
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(state.title)
        LinearProgressIndicator(progress = { state.progress }, modifier = Modifier.fillMaxWidth())
        Text("${state.raisedLabel} of ${state.goalLabel}")
        state.pendingLabel?.let { Text(it) }
        if (!state.online) Text("Offline: donations are kept on this phone and sent when you're back.")
        Button(onClick = { donating = true }) { Text("Donate") }
        if (donating) DonateSheet(fundkit, fundraiser) { donating = false }
        PendingDonationsList(fundkit)
    }
}

@Composable
fun DonateSheet(fundkit: FundKit, fundraiser: FundraiserView, onDone: () -> Unit) {
    val scope = rememberCoroutineScope()
    val sheet = remember { DonatePresenter(fundkit, fundraiser, scope) }
    val state by sheet.state.collectAsState()
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(
            value = state.amountText,
            onValueChange = sheet::amountChanged,
            label = { Text("Amount") },
            isError = state.amountError != null,
            supportingText = { Text(state.amountLabel ?: state.amountError.orEmpty()) },
        )
        OutlinedTextField(value = state.message, onValueChange = { v -> sheet.edit { copy(message = v) } }, label = { Text("Message") })
        // The token comes from Google Pay's payment sheet in a real app.
        // Disabled while a confirm is in flight and once queued: no double donation from a double tap.
        Button(onClick = { sheet.confirm("tok_ok") }, enabled = state.canConfirm) { Text("Confirm") }
        when (val r = state.result) {
            is DonateOutcome.Queued -> onDone()
            is DonateOutcome.OverOfflineLimit -> Text("Offline limit reached (${r.cap}). Try a smaller amount or wait for network.")
            is DonateOutcome.Invalid -> Text(r.issues.joinToString { it.message })
            is DonateOutcome.Unavailable -> Text("Not available: ${r.reason}")
            is DonateOutcome.OutOfSpace -> Text("Your phone is out of storage. Free some space and try again.")
            is DonateOutcome.Failed -> Text("Something went wrong. Your donation was not taken.")
            null -> {}
        }
    }
}

@Composable
fun PendingDonationsList(fundkit: FundKit) {
    val scope = rememberCoroutineScope()
    val presenter = remember { PendingDonationsPresenter(fundkit, scope) }
    val state by presenter.state.collectAsState()
    if (state.waitingForNetwork) Text("Waiting for network")
    LazyColumn {
        items(state.rows, key = { it.id }) { row ->
            Row(horizontalArrangement = Arrangement.SpaceBetween, modifier = Modifier.fillMaxWidth()) {
                Text(row.amountLabel)
                Text(row.state.name.lowercase())
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
    var title by remember(state.title) { mutableStateOf(state.title) }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(16.dp)) {
        Text(state.title)
        Text(
            when (state.state) {
                FundraiserState.IN_REVIEW -> "In review: it goes live once approved"
                FundraiserState.ACTIVE -> "${state.daysLeft} days left"
                FundraiserState.ENDED -> "Ended"
                FundraiserState.REMOVED -> "Removed: ${state.removalReason.orEmpty()}"
                FundraiserState.DRAFT, null -> ""
            },
        )
        LinearProgressIndicator(progress = { state.progress }, modifier = Modifier.fillMaxWidth())
        Text("${state.raisedLabel} raised of ${state.goalLabel} · ${state.donorCount} donors")
        if (state.canEdit) {
            Field("Title", title, state.issues["title"]) { title = it }
            Button(onClick = { presenter.edit(FundraiserEdit(title = title, story = null, category = null, goal = null)) }, enabled = !state.busy) {
                Text("Save")
            }
        }
        state.issues["duration_days"]?.let { Text("You can extend to 90 days in all.") }
        state.issues["state"]?.let { Text("This fundraiser can no longer change.") }
        state.error?.let { Text(it) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { presenter.extend() }, enabled = state.canExtend && !state.busy) { Text("Extend 30 days") }
            Button(onClick = { presenter.end() }, enabled = state.canEnd && !state.busy) { Text("End now") }
        }
        LazyColumn {
            items(state.donations, key = { it.id }) { row ->
                Row(horizontalArrangement = Arrangement.SpaceBetween, modifier = Modifier.fillMaxWidth()) {
                    Text(row.name)
                    Text(row.amountLabel)
                }
            }
        }
    }
}
