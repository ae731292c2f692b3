package dev.fundkit.screenshots

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import dev.fundkit.Action
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserView
import dev.fundkit.IssueCode
import dev.fundkit.Money
import dev.fundkit.OfflineCap
import dev.fundkit.UnavailableReason
import dev.fundkit.Visibility
import dev.fundkit.app.ui.CreateFundraiserContent
import dev.fundkit.app.ui.DonateSheetContent
import dev.fundkit.app.ui.FundraiserContent
import dev.fundkit.app.ui.GateClosedContent
import dev.fundkit.app.ui.OrganiserDashboardContent
import dev.fundkit.app.ui.PendingDonationsContent
import dev.fundkit.ktx.CreateOutcome
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.ReferenceServer
import dev.fundkit.ktx.TokenSource
import dev.fundkit.ktx.screens.CreateFundraiserPresenter
import dev.fundkit.ktx.screens.DonatePresenter
import dev.fundkit.ktx.screens.FundraiserPresenter
import dev.fundkit.ktx.screens.FundraiserScreenState
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.OrganiserDashboardPresenter
import dev.fundkit.ktx.screens.PendingDonationsPresenter
import dev.fundkit.ktx.screens.PendingListState
import dev.fundkit.ktx.screens.gate
import dev.fundkit.ktx.testConfig
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * Every state a user meets in the shell, as pictures. Each state comes from the real
 * presenters driven against the real libfundkit and the real reference server (as in
 * ShellTest); the screens' `...Content` composables then draw exactly that state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShellScreenshotTest {
    private lateinit var server: ReferenceServer
    private lateinit var fundraiser: FundraiserView

    @BeforeAll
    fun start() {
        server = ReferenceServer.start()
        fundraiser = createFundraiser(server)
    }

    @AfterAll
    fun stop() {
        server.close()
    }

    private fun open(server: ReferenceServer, token: String, country: String = "US") =
        FundKit.open(testConfig(server.url, country), TokenSource { token })

    /** Opens FundKit for [token]; the presenters' scope ends before FundKit closes. */
    private fun <T> session(on: ReferenceServer, token: String, block: suspend Session.() -> T): T =
        runBlocking {
            open(on, token).use { fk ->
                val job = SupervisorJob()
                try {
                    Session(fk, CoroutineScope(job + Dispatchers.Default)).block()
                } finally {
                    job.cancelAndJoin()
                }
            }
        }

    private class Session(val fk: FundKit, val scope: CoroutineScope)

    private fun createFundraiser(on: ReferenceServer): FundraiserView =
        runBlocking {
            val draft =
                FundraiserDraft(
                    kind = FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE),
                    category = Category.EMERGENCY,
                    title = "Flood relief for the Rivera family",
                    story = "The river took the ground floor of their home.",
                    goal = Money(minorUnits = 500_000, currency = "USD"),
                    country = "US",
                )
            val outcome = open(on, "dev-organiser").use { it.createFundraiser(draft) }
            (outcome as CreateOutcome.Created).fundraiser
        }

    private fun request(view: FundraiserView, minorUnits: Long) =
        DonationRequest(
            fundraiserId = view.fundraiser.id,
            amount = Money(minorUnits = minorUnits, currency = "USD"),
            message = null,
            visibility = Visibility.PUBLIC,
            hideAmount = false,
            paymentToken = "tok_ok",
        )

    /** A donor's page and pending list, offline, with donations of [amounts] queued. */
    private suspend fun Session.offlineDonor(view: FundraiserView, vararg amounts: Long): Pair<FundraiserPresenter, PendingDonationsPresenter> {
        fk.refreshFundraiser(view.fundraiser.id)
        val page = FundraiserPresenter(fk, view.fundraiser.id, scope)
        val pending = PendingDonationsPresenter(fk, scope)
        fk.setOnline(false)
        for (a in amounts) assertTrue(fk.donate(request(view, a)) is DonateOutcome.Queued)
        val label = fk.formatAmount(Money(minorUnits = amounts.sum(), currency = "USD")) + " pending"
        withTimeout(5_000) { page.state.first { it.loaded && !it.online && it.pendingLabel == label } }
        withTimeout(5_000) { pending.state.first { it.rows.size == amounts.size && !it.online } }
        return page to pending
    }

    @Composable
    private fun Page(state: FundraiserScreenState, pending: PendingListState, sheet: (@Composable () -> Unit)? = null) {
        FundraiserContent(state, onDonate = {}, sheet = sheet, pending = { PendingDonationsContent(pending, onRetry = {}) })
    }

    @Test
    fun `rollout gate closed`() {
        val gate = open(server, "dev-donor-1", country = "FR").use { it.gate(Action.DONATE) }
        assertEquals(GateState.Closed(UnavailableReason.COUNTRY_NOT_LAUNCHED), gate)
        Snapshots.check("gate-closed") { GateClosedContent(Action.DONATE, (gate as GateState.Closed).reason) }
    }

    @Test
    fun `create form with issues by field`(): Unit =
        session(server, "dev-organiser") {
            val p = CreateFundraiserPresenter(fk, "US", "USD", scope)
            p.edit {
                copy(title = "", story = "Mum's surgery is on Friday. My card is 4111 1111 1111 1111, thank you!", goalText = "50")
            }
            p.submit().join()
            val state = p.state.value
            assertEquals(listOf(IssueCode.REQUIRED), state.issues["title"])
            assertEquals(listOf(IssueCode.CARD_NUMBER), state.issues["story"])
            assertEquals(listOf(IssueCode.BELOW_MINIMUM), state.issues["goal"])
            Snapshots.check("create-issues") { CreateFundraiserContent(state, onEdit = {}, onSubmit = {}) }
        }

    @Test
    fun `fundraiser page with pending donations while offline`(): Unit =
        session(server, "dev-donor-1") {
            val (page, pending) = offlineDonor(fundraiser, 2_500, 4_000)
            val state = page.state.value
            assertEquals("$65.00 pending", state.pendingLabel)
            Snapshots.check("fundraiser-offline") { Page(state, pending.state.value) }
        }

    @Test
    fun `donate sheet over the offline cap`(): Unit =
        session(server, "dev-donor-1") {
            val (page, pending) = offlineDonor(fundraiser, 2_500)
            val sheet = DonatePresenter(fk, fk.fundraiser(fundraiser.fundraiser.id)!!, scope)
            sheet.amountChanged("300")
            sheet.confirm("tok_ok")!!.join()
            val sheetState = sheet.state.value
            assertEquals(DonateOutcome.OverOfflineLimit(OfflineCap.SINGLE_AMOUNT), sheetState.result)
            Snapshots.check("donate-over-cap") {
                Page(page.state.value, pending.state.value, sheet = {
                    DonateSheetContent(sheetState, onAmountChange = {}, onEdit = {}, onConfirm = {})
                })
            }
        }

    @Test
    fun `pending list waiting for network`(): Unit =
        session(server, "dev-donor-1") {
            val (_, pending) = offlineDonor(fundraiser, 1_000, 2_500, 25_000)
            val state = pending.state.value
            assertTrue(state.waitingForNetwork)
            Snapshots.check("pending-offline") {
                Box(Modifier.padding(16.dp)) { PendingDonationsContent(state, onRetry = {}) }
            }
        }

    @Test
    fun `sync error`() {
        // A server of its own that goes away with donations still queued: the next pass fails.
        val doomed = ReferenceServer.start()
        try {
            val view = createFundraiser(doomed)
            session(doomed, "dev-donor-1") {
                val (page, pending) = offlineDonor(view, 2_500, 1_500)
                doomed.close()
                fk.setOnline(true)
                runCatching { fk.syncNow() }
                val failed = withTimeout(10_000) { pending.state.first { it.syncFailed && it.online } }
                val pageState = withTimeout(5_000) { page.state.first { it.online && !it.syncing } }
                assertEquals(2, failed.rows.size)
                Snapshots.check("sync-error") { Page(pageState, failed) }
            }
        } finally {
            doomed.close()
        }
    }

    @Test
    fun `organiser dashboard with donors under each visibility`(): Unit =
        runBlocking {
            // Its own server: one running fundraiser per organiser.
            val own = ReferenceServer.start()
            try {
                val view = createFundraiser(own)
                session(own, "dev-donor-1") {
                    fk.refreshFundraiser(view.fundraiser.id)
                    for ((amount, visibility, hide) in listOf(Triple(2_500L, Visibility.PUBLIC, false), Triple(10_000L, Visibility.ANONYMOUS, false), Triple(4_000L, Visibility.HIDDEN_FROM_PUBLIC, true))) {
                        fk.donate(request(view, amount).copy(visibility = visibility, hideAmount = hide))
                    }
                    fk.syncNow()
                }
                session(own, "dev-organiser") {
                    fk.syncNow()
                    val dashboard = OrganiserDashboardPresenter(fk, view.fundraiser.id, scope, now = { view.fundraiser.endsAtMs - 12 * 86_400_000L })
                    val state = withTimeout(5_000) { dashboard.state.first { it.loaded && it.donations.size == 3 } }
                    Snapshots.check("organiser-dashboard") { OrganiserDashboardContent(state, onSaveTitle = {}, onExtend = {}, onEnd = {}) }
                }
            } finally {
                own.close()
            }
        }
}
