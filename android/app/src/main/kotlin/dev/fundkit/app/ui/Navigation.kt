package dev.fundkit.app.ui

import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ModalBottomSheet
import androidx.compose.material3.rememberModalBottomSheetState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.runtime.mutableStateOf
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.compose.LifecycleEventEffect
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.NavType
import androidx.navigation.navArgument
import dev.fundkit.Action
import dev.fundkit.DonationSource
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.LinkScreenState
import dev.fundkit.ktx.screens.LinkViewModel
import dev.fundkit.ktx.screens.OrganiserDashboardViewModel
import dev.fundkit.ktx.screens.PendingDonationsViewModel
import dev.fundkit.ktx.screens.gate

// The app's back stack (Navigation Compose; JetBrains' multiplatform navigation on the
// desktop JVM, so the screenshot module compiles this file too). Every destination gets its
// ViewModel from its back stack entry, with that entry's SavedStateHandle: the back stack and
// every form survive rotation and process death.
//
//   create                                  start a fundraiser (behind the CREATE gate)
//   fundraiser/{id}?source={source}         a fundraiser's page (behind the DONATE gate); source:
//                                           where a link opened it was shared (DonationSource)
//   fundraiser/{id}/donate?source={source}  the page with the donate sheet (modal bottom sheet) over it
//   pending                                 the donor's pending donations
//   dashboard/{id}                          the organiser's dashboard
//   link/{link}                             a link handed to the app, while the core opens it
//                                           (then replaced by its fundraiser), or why it cannot

object Routes {
    const val CREATE = "create"
    const val FUNDRAISER = "fundraiser/{id}?source={source}"
    const val DONATE = "fundraiser/{id}/donate?source={source}"
    const val PENDING = "pending"
    const val DASHBOARD = "dashboard/{id}"
    const val LINK = "link/{link}"

    private fun query(source: DonationSource?) = source?.let { "?source=${it.name}" } ?: ""

    fun fundraiser(id: String, source: DonationSource? = null) = "fundraiser/$id" + query(source)

    fun donate(id: String, source: DonationSource? = null) = "fundraiser/$id/donate" + query(source)

    fun dashboard(id: String) = "dashboard/$id"

    /** The link travels as hex in its route (any link, any characters, restored as it came after process death). */
    fun link(link: String) = "link/" + link.toByteArray(Charsets.UTF_8).joinToString("") { "%02x".format(it) }

    fun linkFrom(hex: String?): String =
        runCatching { hex.orEmpty().chunked(2).map { it.toInt(16).toByte() }.toByteArray().toString(Charsets.UTF_8) }.getOrDefault("")

    /** The `source` argument as the core's enum (null when the page was not opened from a link). */
    fun sourceOf(entry: androidx.navigation.NavBackStackEntry): DonationSource? =
        entry.arguments?.getString("source")?.let { name -> DonationSource.entries.firstOrNull { it.name == name } }

    val sourceArgument = listOf(navArgument("source") { type = NavType.StringType; nullable = true; defaultValue = null })
}

/**
 * The whole app once FundKit is open. [openUrl] opens the bank's page (a Custom Tab on
 * Android); [organiserCountry] is the signed-in organiser's country, from the host's session.
 *
 * [link] is a link the Activity was handed (an App Link or the `fundkit` scheme), once:
 * it goes on the back stack above the start destination, the core opens it, and its
 * fundraiser replaces it (Back then leads into the app, not out of a blank screen); then
 * [onLinkHandled] clears it, so a rotation does not open it twice. [share] shows the
 * platform's share sheet with a fundraiser's link.
 */
@Composable
fun FundkitNavHost(
    fundkit: FundKit,
    organiserCountry: String,
    openUrl: (String) -> Unit,
    nav: NavHostController = rememberNavController(),
    startDestination: String = Routes.CREATE,
    link: String? = null,
    onLinkHandled: () -> Unit = {},
    share: (String) -> Unit = {},
) {
    val back: () -> Unit = { nav.popBackStack() }
    LaunchedEffect(link) {
        if (link != null) {
            nav.navigate(Routes.link(link))
            onLinkHandled()
        }
    }
    NavHost(nav, startDestination = startDestination) {
        composable(Routes.CREATE) {
            Gate(fundkit, Action.CREATE_FUNDRAISER, onBack = null) {
                val vm = viewModel { CreateFundraiserViewModel(fundkit, organiserCountry, createSavedStateHandle()) }
                val state by vm.state.collectAsState()
                val created = state.created
                LaunchedEffect(created) {
                    if (created != null) nav.navigate(Routes.fundraiser(created.fundraiser.id)) { popUpTo(Routes.CREATE) { inclusive = true } }
                }
                CreateFundraiserContent(state, onEdit = vm::edit, onSubmit = { vm.submit() })
            }
        }
        composable(Routes.FUNDRAISER, arguments = Routes.sourceArgument) { entry ->
            val id = checkNotNull(entry.arguments?.getString("id"))
            Gate(fundkit, Action.DONATE, onBack = back.takeIf { nav.previousBackStackEntry != null }) {
                FundraiserPage(fundkit, id, Routes.sourceOf(entry), nav, share, onBack = back.takeIf { nav.previousBackStackEntry != null })
            }
        }
        composable(Routes.DONATE, arguments = Routes.sourceArgument) { entry ->
            val id = checkNotNull(entry.arguments?.getString("id"))
            val source = Routes.sourceOf(entry)
            FundraiserPage(fundkit, id, source, nav, share, onBack = back)
            DonateSheet(fundkit, id, source, openUrl, onDismiss = back)
        }
        composable(Routes.LINK) { entry ->
            val target = Routes.linkFrom(entry.arguments?.getString("link"))
            val vm = viewModel { LinkViewModel(fundkit, target) }
            val state by vm.state.collectAsState()
            val opened = state as? LinkScreenState.Opened
            LaunchedEffect(opened) {
                // The fundraiser takes the link's place: Back from it returns to what was under the link.
                if (opened != null) {
                    nav.navigate(Routes.fundraiser(opened.fundraiserId, opened.source)) { popUpTo(Routes.LINK) { inclusive = true } }
                }
            }
            LinkContent(state, onRetry = { vm.retry() }, onHome = back, onBack = back.takeIf { nav.previousBackStackEntry != null })
        }
        composable(Routes.PENDING) {
            val vm = viewModel { PendingDonationsViewModel(fundkit) }
            val state by vm.state.collectAsState()
            PendingDonationsContent(state, onRetry = { vm.retry() }, onBack = back)
        }
        composable(Routes.DASHBOARD) { entry ->
            val id = checkNotNull(entry.arguments?.getString("id"))
            val vm = viewModel { OrganiserDashboardViewModel(fundkit, id, createSavedStateHandle()) }
            val state by vm.state.collectAsState()
            OrganiserDashboardContent(
                state,
                extendDays = fundkit.limits().extensionStepDays.toInt(),
                onSaveTitle = { title -> vm.edit(dev.fundkit.FundraiserEdit(title = title, story = null, category = null, goal = null)) },
                onExtend = { vm.extend() },
                onRequestEnd = vm::requestEnd,
                onConfirmEnd = { vm.confirmEnd() },
                onDismissEnd = vm::dismissEnd,
                onBack = back,
            )
        }
    }
}

/** The rollout gate in front of a destination: the core says whether the action is open here. */
@Composable
fun Gate(fundkit: FundKit, action: Action, onBack: (() -> Unit)?, content: @Composable () -> Unit) {
    when (val gate = fundkit.gate(action)) {
        GateState.Open -> content()
        is GateState.Closed -> GateClosedContent(action, gate.reason, onBack)
    }
}

@Composable
private fun FundraiserPage(
    fundkit: FundKit,
    id: String,
    source: DonationSource?,
    nav: NavHostController,
    share: (String) -> Unit,
    onBack: (() -> Unit)?,
) {
    val vm = viewModel(key = "fundraiser-$id") { FundraiserViewModel(fundkit, id) }
    val state by vm.state.collectAsState()
    FundraiserContent(
        state,
        // A page opened from a link keeps its source: the donation made from it records it.
        onDonate = { nav.navigate(Routes.donate(id, source)) { launchSingleTop = true } },
        onPending = { nav.navigate(Routes.PENDING) { launchSingleTop = true } },
        onDashboard = { nav.navigate(Routes.dashboard(id)) { launchSingleTop = true } },
        onBack = onBack,
        onShare = share,
    )
}

/**
 * The donate sheet as a modal bottom sheet. Its ViewModel belongs to the sheet's back stack
 * entry and keeps the donation id in that entry's SavedStateHandle. After the donor opened
 * the bank's page, coming back to the app (ON_RESUME) asks for the outcome.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun DonateSheet(fundkit: FundKit, id: String, source: DonationSource?, openUrl: (String) -> Unit, onDismiss: () -> Unit) {
    val vm = viewModel { DonateViewModel(fundkit, id, createSavedStateHandle(), source) }
    val state by vm.state.collectAsState()
    var openedBank by rememberSaveable { mutableStateOf(false) }
    LifecycleEventEffect(Lifecycle.Event.ON_RESUME) {
        if (openedBank) {
            openedBank = false
            vm.checkBankOutcome()
        }
    }
    ModalBottomSheet(onDismissRequest = onDismiss, sheetState = rememberModalBottomSheetState(skipPartiallyExpanded = true)) {
        // The payment token comes from Google Pay's payment sheet in a real app.
        DonateSheetContent(
            state,
            onAmountChange = vm::amountChanged,
            onMessageChange = vm::messageChanged,
            onConfirm = { vm.confirm("tok_ok") },
            onOpenBank = { url ->
                openedBank = true
                openUrl(url)
            },
            onCheckBank = { vm.checkBankOutcome() },
            onCoverFeeChange = vm::coverFeeChanged,
            onGiftAidChange = vm::giftAidChanged,
        )
    }
}
