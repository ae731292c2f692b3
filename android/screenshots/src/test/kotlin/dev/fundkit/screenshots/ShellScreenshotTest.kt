package dev.fundkit.screenshots

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Action
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.Charity
import dev.fundkit.DonationSource
import dev.fundkit.HttpTransport
import dev.fundkit.LinkProblem
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
import dev.fundkit.app.ui.LinkContent
import dev.fundkit.app.ui.OrganiserDashboardContent
import dev.fundkit.app.ui.PendingDonationsContent
import dev.fundkit.app.ui.StartupContent
import dev.fundkit.ktx.CreateOutcome
import dev.fundkit.ktx.DonateOutcome
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.MainDispatcher
import dev.fundkit.ktx.ReferenceServer
import dev.fundkit.ktx.TestViewModels
import dev.fundkit.ktx.TokenSource
import dev.fundkit.ktx.bankPage
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateSheetState
import dev.fundkit.ktx.screens.DonateStage
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FundKitStartup
import dev.fundkit.ktx.screens.FundraiserScreenState
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.LinkScreenState
import dev.fundkit.ktx.screens.LinkViewModel
import dev.fundkit.ktx.screens.OrganiserDashboardViewModel
import dev.fundkit.ktx.screens.PendingDonationsViewModel
import dev.fundkit.ktx.screens.PendingListState
import dev.fundkit.ktx.screens.Startup
import dev.fundkit.ktx.screens.gate
import dev.fundkit.ktx.testConfig
import dev.fundkit.screenshots.ScreenChecks.allText
import java.nio.file.Files
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.extension.ExtendWith

/**
 * Every screen a user meets in the shell, as pictures: light and dark, in every launch
 * market (en-GB/GBP, en-IE/EUR, es-US), at 200% font scale, and the bank's step. Each
 * state comes from the real ViewModels driven against the real libfundkit and the real
 * reference server; the screens' `...Content` composables then draw exactly that state.
 * Every picture's words and semantics are checked too (ScreenChecks).
 */
@ExtendWith(MainDispatcher::class)
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

    private fun open(on: ReferenceServer, token: String, country: String = "US", locale: String = "en-US", transport: HttpTransport? = null) =
        if (transport == null) {
            FundKit.open(testConfig(on.url, country, locale = locale), TokenSource { token })
        } else {
            FundKit.open(testConfig(on.url, country, locale = locale), TokenSource { token }, transport)
        }

    /** Opens FundKit for [token]; the ViewModels are cleared before FundKit closes. */
    private fun <T> session(
        on: ReferenceServer,
        token: String,
        country: String = "US",
        locale: String = "en-US",
        transport: HttpTransport? = null,
        block: suspend Session.() -> T,
    ): T =
        runBlocking {
            open(on, token, country, locale, transport).use { fk -> TestViewModels().use { vms -> Session(fk, vms).block() } }
        }

    private class Session(val fk: FundKit, val vms: TestViewModels)

    private fun createFundraiser(
        on: ReferenceServer,
        token: String = "dev-organiser",
        country: String = "US",
        currency: String = "USD",
        title: String = "Flood relief for the Rivera family",
    ): FundraiserView =
        runBlocking {
            val draft =
                FundraiserDraft(
                    kind = FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE),
                    category = Category.EMERGENCY,
                    title = title,
                    story = "The river took the ground floor of their home. Everything downstairs is gone: " +
                        "the kitchen, the children's books, the tools Ana uses for work. This pays for a dry, safe floor.",
                    goal = Money(minorUnits = 500_000, currency = currency),
                    country = country,
                )
            val outcome = open(on, token, country).use { it.createFundraiser(draft) }
            (outcome as CreateOutcome.Created).fundraiser
        }

    private fun request(view: FundraiserView, minorUnits: Long, token: String = "tok_ok") =
        DonationRequest(
            fundraiserId = view.fundraiser.id,
            amount = Money(minorUnits = minorUnits, currency = view.fundraiser.goal.currency),
            message = null,
            visibility = Visibility.PUBLIC,
            hideAmount = false,
            paymentToken = token,
        )

    /** A donor's page and pending list, offline, with donations of [amounts] queued. */
    private suspend fun Session.offlineDonor(view: FundraiserView, vararg amounts: Long): Pair<FundraiserViewModel, PendingDonationsViewModel> {
        fk.refreshFundraiser(view.fundraiser.id)
        val page = vms.add(FundraiserViewModel(fk, view.fundraiser.id))
        val pending = vms.add(PendingDonationsViewModel(fk))
        fk.setOnline(false)
        for (a in amounts) assertTrue(fk.donate(request(view, a)) is DonateOutcome.Queued)
        val label = fk.formatAmount(Money(minorUnits = amounts.sum(), currency = "USD"))
        withTimeout(5_000) { page.state.first { it.loaded && !it.online && it.pendingLabel == label } }
        withTimeout(5_000) { pending.state.first { it.rows.size == amounts.size && !it.online } }
        return page to pending
    }

    @Composable
    private fun Page(state: FundraiserScreenState) {
        FundraiserContent(state, onDonate = {}, onPending = {}, onDashboard = {}, onBack = {})
    }

    /** The page with the donate sheet over it, drawn as the modal bottom sheet shows it. */
    @Composable
    private fun PageWithSheet(page: FundraiserScreenState, sheet: DonateSheetState, scrolledTo: Int = 0) {
        Box(Modifier.fillMaxSize()) {
            Page(page)
            Box(Modifier.fillMaxSize().background(Color.Black.copy(alpha = 0.32f)))
            Surface(
                shape = RoundedCornerShape(topStart = 28.dp, topEnd = 28.dp),
                color = MaterialTheme.colorScheme.surfaceContainerLow,
                modifier = Modifier.align(Alignment.BottomCenter).fillMaxWidth(),
            ) {
                DonateSheetContent(
                    sheet, onAmountChange = {}, onMessageChange = {}, onConfirm = {}, onOpenBank = {}, onCheckBank = {},
                    scroll = androidx.compose.foundation.rememberScrollState(scrolledTo),
                )
            }
        }
    }

    private suspend fun Session.sheet(view: FundraiserView): DonateViewModel {
        val sheet = vms.add(DonateViewModel(fk, view.fundraiser.id, SavedStateHandle()))
        withTimeout(5_000) { sheet.state.first { it.loaded } }
        return sheet
    }

    @Test
    fun `the word checks catch a class name, an object hash and a raw enum name`() {
        class Secret
        for (bad in listOf(dev.fundkit.DonationState.NEEDS_ACTION.toString(), Secret().toString(), GateState.Closed(UnavailableReason.TOO_YOUNG).toString())) {
            assertThrows(AssertionError::class.java) {
                ScreenChecks.check("bad", Look.LIGHT) { androidx.compose.material3.Text(bad, modifier = Modifier) }
            }
        }
        assertTrue(ScreenChecks.wordProblems("$25.00 raised of $5,000.00").isEmpty())
        // And a tap target under 48 dp.
        assertThrows(AssertionError::class.java) {
            ScreenChecks.check("small", Look.LIGHT) {
                androidx.compose.foundation.layout.Column {
                    androidx.compose.material3.Text("A heading", modifier = Modifier.semantics { heading() })
                    Box(Modifier.size(24.dp).clickable {})
                }
            }
        }
    }

    @Test
    fun `the fundraiser page has headings, a described progress bar and a live offline notice`(): Unit =
        session(server, "dev-donor-1") {
            val (page, _) = offlineDonor(fundraiser, 1_000)
            val state = page.state.value
            ScreenChecks.inspect(Look.LIGHT, { Page(state) }) { nodes ->
                val headings = nodes.filter { it.config.getOrNull(SemanticsProperties.Heading) != null }.flatMap { it.config.getOrNull(SemanticsProperties.Text).orEmpty().map { t -> t.text } }
                assertEquals(setOf("Fundraiser", fundraiser.fundraiser.title, "Story"), headings.toSet())
                val progress = nodes.single { it.config.getOrNull(SemanticsProperties.ProgressBarRangeInfo) != null }
                assertEquals(listOf("0 percent of the goal raised"), progress.config.getOrNull(SemanticsProperties.ContentDescription))
                val live = nodes.filter { it.config.getOrNull(SemanticsProperties.LiveRegion) != null }
                assertTrue(live.any { n -> n.allText().any { "offline" in it } }, "the offline notice is a live region")
            }
        }

    @Test
    fun `opening failed, with Retry`() {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        try {
            val blocker = Files.createTempDirectory("fundkit").resolve("data").toFile().apply { writeText("x") }
            val startup = FundKitStartup(scope) { FundKit.openAsync(testConfig(server.url, databasePath = blocker.resolve("fundkit.db").path), TokenSource { null }) }
            val failed = runBlocking { withTimeout(5_000) { startup.state.first { it is Startup.Failed } } }
            Snapshots.check("startup-failed") { StartupContent(failed, onRetry = {}) }
        } finally {
            scope.cancel()
        }
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
            val p = vms.add(CreateFundraiserViewModel(fk, "US", SavedStateHandle()))
            p.edit {
                copy(title = "", story = "Mum's surgery is on Friday. My card is 4111 1111 1111 1111, thank you!", goalText = "50")
            }
            p.submit().join()
            val state = p.state.value
            assertEquals(listOf(IssueCode.REQUIRED), state.issues["title"])
            assertEquals(listOf(IssueCode.CARD_NUMBER), state.issues["story"])
            assertEquals(listOf(IssueCode.BELOW_MINIMUM), state.issues["goal"])
            Snapshots.check("create-issues") { CreateFundraiserContent(state, onEdit = {}, onSubmit = {}, onBack = {}) }
        }

    @Test
    fun `create form for an organiser in the UK raises in pounds`(): Unit =
        session(server, "dev-organiser-gb", country = "GB", locale = "en-GB") {
            val p = vms.add(CreateFundraiserViewModel(fk, "GB", SavedStateHandle()))
            p.edit { copy(title = "Save the village hall", story = "The roof needs mending before winter.", goalText = "£2,500") }
            assertEquals("GBP", p.state.value.currency)
            Snapshots.check("create-form", listOf(Look.EN_GB)) { CreateFundraiserContent(p.state.value, onEdit = {}, onSubmit = {}, onBack = {}) }
        }

    @Test
    fun `fundraiser page with pending donations while offline`(): Unit =
        session(server, "dev-donor-1") {
            val (page, _) = offlineDonor(fundraiser, 2_500, 4_000)
            val state = page.state.value
            assertEquals("$65.00", state.pendingLabel)
            Snapshots.check("fundraiser-offline", Look.LIGHT_DARK + Look.FONT_200) { Page(state) }
        }

    /** A market's own fundraiser with one confirmed donation, seen by a donor there in their language. */
    private fun marketPage(look: Look, organiser: String, country: String, currency: String, donor: String) {
        val own = ReferenceServer.start()
        try {
            val view = createFundraiser(own, organiser, country, currency, title = "Community garden for Riverside")
            val locale = look.locale.toLanguageTag()
            session(own, donor, country, locale) {
                fk.refreshFundraiser(view.fundraiser.id)
                assertTrue(fk.donate(request(view, 2_500)) is DonateOutcome.Queued)
                fk.syncNow()
                val page = vms.add(FundraiserViewModel(fk, view.fundraiser.id))
                val state = withTimeout(5_000) { page.state.first { it.loaded && it.donationCount == 1L } }
                assertEquals(fk.formatAmount(Money(2_500, currency)), state.raisedLabel)
                Snapshots.check("fundraiser", listOf(look)) { Page(state) }
                // The sheet as a donor opens it on this phone before its first sync: the fee
                // model is the core's launch default for the market (the reference server's
                // config names none yet), so the picture shows that market's fee.
                session(own, donor, country, locale) {
                    val sheet = sheet(view)
                    sheet.amountChanged("25")
                    val form = withTimeout(5_000) { sheet.state.first { it.quote != null } }
                    Snapshots.check("donate-form", listOf(look)) { PageWithSheet(state, form) }
                }
            }
        } finally {
            own.close()
        }
    }

    @Test
    fun `en-GB in pounds`() = marketPage(Look.EN_GB, "dev-organiser-gb", "GB", "GBP", "dev-donor-1")

    @Test
    fun `en-IE in euros`() = marketPage(Look.EN_IE, "dev-organiser-ie", "IE", "EUR", "dev-donor-2")

    @Test
    fun `es-US in dollars`() = marketPage(Look.ES_US, "dev-organiser", "US", "USD", "dev-donor-1")

    @Test
    fun `donate sheet with preset amounts`(): Unit =
        session(server, "dev-donor-1") {
            fk.refreshFundraiser(fundraiser.fundraiser.id)
            val page = vms.add(FundraiserViewModel(fk, fundraiser.fundraiser.id))
            val pageState = withTimeout(5_000) { page.state.first { it.loaded } }
            val sheet = sheet(fundraiser)
            sheet.amountChanged("25")
            // The core's quote under the amount, as the donor sees it before Confirm.
            val form = withTimeout(5_000) { sheet.state.first { it.quote != null } }
            assertEquals(4, form.presets.size)
            assertEquals(false, form.coverFee)
            Snapshots.check("donate-form", Look.LIGHT_DARK + Look.FONT_200) { PageWithSheet(pageState, form) }
        }

    @Test
    fun `donate sheet over the offline cap`(): Unit =
        session(server, "dev-donor-1") {
            val (page, _) = offlineDonor(fundraiser, 2_500)
            val sheet = sheet(fundraiser)
            sheet.amountChanged("300")
            withTimeout(5_000) { sheet.state.first { it.quote != null } }
            sheet.confirm("tok_ok")!!.join()
            val sheetState = sheet.state.value
            assertEquals(DonateOutcome.OverOfflineLimit(OfflineCap.SINGLE_AMOUNT), sheetState.refusal)
            Snapshots.check("donate-over-cap") { PageWithSheet(page.state.value, sheetState) }
        }

    /** The bank's step in [looks], with FundKit in [locale] (money in the donor's format); then, if [fail], its failure. */
    private fun bankStep(looks: List<Look>, locale: String, fail: Boolean, on: ReferenceServer = server, view: FundraiserView = fundraiser): Unit =
        session(on, "dev-donor-2", country = "US", locale = locale) {
            fk.refreshFundraiser(view.fundraiser.id)
            val page = vms.add(FundraiserViewModel(fk, view.fundraiser.id))
            val sheet = sheet(view)
            sheet.amountChanged("40")
            sheet.confirm("tok_needs_action")!!.join()
            fk.syncNow()
            val step = withTimeout(5_000) { sheet.state.first { it.stage == DonateStage.BANK_STEP } }
            val pageState = withTimeout(5_000) { page.state.first { it.loaded } }
            Snapshots.check("donate-bank-step", looks) { PageWithSheet(pageState, step) }
            assertEquals(200, bankPage(step.bankUrl!!, if (fail) "fail" else "complete"))
            sheet.checkBankOutcome().join()
            if (fail) {
                val refused = withTimeout(10_000) { sheet.state.first { it.stage == DonateStage.REJECTED } }
                Snapshots.check("donate-bank-failed", listOf(Look.LIGHT)) { PageWithSheet(pageState, refused) }
            } else {
                withTimeout(10_000) { sheet.state.first { it.stage == DonateStage.CONFIRMED } }
            }
            Unit
        }

    @Test
    fun `the bank's step, then its failure`(): Unit = bankStep(Look.LIGHT_DARK, "en-US", fail = true)

    @Test
    fun `the bank's step in Spanish`() {
        // Its own server: the completed donation must not show up in the other pictures.
        val own = ReferenceServer.start()
        try {
            bankStep(listOf(Look.ES_US), "es-US", fail = false, on = own, view = createFundraiser(own))
        } finally {
            own.close()
        }
    }

    @Test
    fun `pending list waiting for network`(): Unit =
        session(server, "dev-donor-1") {
            val (_, pending) = offlineDonor(fundraiser, 1_000, 2_500, 25_000)
            val state = pending.state.value
            assertTrue(state.waitingForNetwork)
            Snapshots.check("pending-offline") { PendingDonationsContent(state, onRetry = {}, onBack = {}) }
        }

    @Test
    fun `sync error`() {
        // A server of its own that goes away with donations still queued: the next pass fails.
        val doomed = ReferenceServer.start()
        try {
            val view = createFundraiser(doomed)
            session(doomed, "dev-donor-1") {
                val (_, pending) = offlineDonor(view, 2_500, 1_500)
                doomed.close()
                fk.setOnline(true)
                runCatching { fk.syncNow() }
                val failed: PendingListState = withTimeout(10_000) { pending.state.first { it.syncFailed && it.online } }
                assertEquals(2, failed.rows.size)
                Snapshots.check("sync-error") { PendingDonationsContent(failed, onRetry = {}, onBack = {}) }
            }
        } finally {
            doomed.close()
        }
    }

    @Test
    fun `organiser dashboard with donors under each visibility, and ending asks first`() {
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
                val dashboard = vms.add(OrganiserDashboardViewModel(fk, view.fundraiser.id, now = { view.fundraiser.endsAtMs - 12 * 86_400_000L }))
                val state = withTimeout(5_000) { dashboard.state.first { it.loaded && it.donations.size == 3 } }
                assertEquals(3L, state.donationCount)
                assertEquals(1L, state.donorCount)
                val step = fk.limits().extensionStepDays.toInt()
                Snapshots.check("organiser-dashboard", Look.LIGHT_DARK + Look.FONT_200) {
                    OrganiserDashboardContent(state, step, onSaveTitle = {}, onExtend = {}, onRequestEnd = {}, onConfirmEnd = {}, onDismissEnd = {}, onBack = {})
                }
                dashboard.requestEnd()
                val asking = dashboard.state.value
                assertTrue(asking.confirmingEnd)
                Snapshots.check("organiser-end-confirm") {
                    OrganiserDashboardContent(asking, step, onSaveTitle = {}, onExtend = {}, onRequestEnd = {}, onConfirmEnd = {}, onDismissEnd = {}, onBack = {})
                }
                dashboard.dismissEnd()
            }
        } finally {
            own.close()
        }
    }

    // ---- issue 25: fees before paying, Gift Aid, charities, links ----

    /** A UK charity's fundraiser on [on]. */
    private fun charityFundraiser(on: ReferenceServer): FundraiserView {
        val charity = Charity(name = "Riverside Food Bank", number = "1234567")
        val draft =
            FundraiserDraft(
                kind = FundraiserKind.Nonprofit(nonprofitId = "np_riverside_food_bank"),
                category = Category.COMMUNITY,
                title = "Winter food parcels for Riverside",
                story = "Every family on the estate gets a parcel of food and warm things each week this winter.",
                goal = Money(minorUnits = 300_000, currency = "GBP"),
                country = "GB",
                charity = charity,
            )
        val view = runBlocking { (open(on, "dev-organiser-gb", "GB", "en-GB").use { it.createFundraiser(draft) } as CreateOutcome.Created).fundraiser }
        assertEquals(charity, view.fundraiser.charity)
        return view
    }

    @Test
    fun `donate to a UK charity - the fees with the fee covered, then Gift Aid with the core's issues`() {
        val own = ReferenceServer.start()
        try {
            val view = charityFundraiser(own)
            session(own, "dev-donor-1", country = "GB", locale = "en-GB") {
                fk.refreshFundraiser(view.fundraiser.id)
                val page = vms.add(FundraiserViewModel(fk, view.fundraiser.id))
                val pageState = withTimeout(5_000) { page.state.first { it.loaded } }
                val sheet = sheet(view)
                sheet.amountChanged("25")
                sheet.coverFeeChanged(true)
                val fees = withTimeout(5_000) { sheet.state.first { it.quote?.coverFee == true } }
                assertTrue(fees.offersGiftAid)
                assertEquals("£6.25", fees.quote!!.giftAidLabel)
                println("screenshots: the fee quote shown: ${fees.quote}")
                Snapshots.check("donate-fees", listOf(Look.EN_GB)) { PageWithSheet(pageState, fees) }

                // A declaration started and left incomplete: Confirm marks each field with the core's issue.
                sheet.giftAidChanged { copy(firstName = "Ada", lastName = "Lovelace", postcode = "SW1A 1CA") }
                sheet.confirm("tok_ok")!!.join()
                val issues = sheet.state.value
                assertEquals(null, issues.donation)
                assertEquals(listOf(IssueCode.INVALID_POSTCODE), issues.issues["gift_aid.postcode"])
                Snapshots.check("donate-gift-aid", listOf(Look.EN_GB, Look.FONT_200)) { PageWithSheet(pageState, issues, scrolledTo = Int.MAX_VALUE) }

                // Completed and sent; and a second donor's gift from a story sticker's link.
                sheet.giftAidChanged { copy(livesInUk = true, house = "12", postcode = "SW1A 1AA", ukTaxpayer = true, consent = true) }
                sheet.confirm("tok_ok")!!.join()
                val link = fk.shareLinks(view.fundraiser.id, DonationSource.STORY_STICKER).web
                val target = (fk.openLink(link) as dev.fundkit.ktx.LinkOutcome.Opened).target
                val second = vms.add(DonateViewModel(fk, view.fundraiser.id, SavedStateHandle(), target.source))
                withTimeout(5_000) { second.state.first { it.loaded } }
                second.amountChanged("10")
                withTimeout(5_000) { second.state.first { it.quote != null } }
                second.confirm("tok_ok")!!.join()
                fk.syncNow()
                withTimeout(10_000) { second.state.first { it.donation?.state == dev.fundkit.DonationState.CONFIRMED } }
            }
            // The organiser's dashboard: what they receive, the fees, Gift Aid, sources, "Gift Aid: yes".
            session(own, "dev-organiser-gb", country = "GB", locale = "en-GB") {
                fk.syncNow()
                fk.refreshFundraiser(view.fundraiser.id)
                val dashboard = vms.add(OrganiserDashboardViewModel(fk, view.fundraiser.id, now = { view.fundraiser.endsAtMs - 20 * 86_400_000L }))
                val state = withTimeout(10_000) { dashboard.state.first { it.loaded && it.donations.size == 2 && it.figures != null } }
                assertEquals(1L, state.figures!!.giftAidCount)
                assertTrue(state.donations.any { it.giftAid })
                val step = fk.limits().extensionStepDays.toInt()
                Snapshots.check("organiser-dashboard-charity", listOf(Look.EN_GB)) {
                    OrganiserDashboardContent(state, step, onSaveTitle = {}, onExtend = {}, onRequestEnd = {}, onConfirmEnd = {}, onDismissEnd = {}, onBack = {})
                }
                // Scrolled to its end: the donors, one with "Gift Aid: yes".
                Snapshots.check("organiser-donors-charity", listOf(Look.EN_GB)) {
                    OrganiserDashboardContent(
                        state, step, onSaveTitle = {}, onExtend = {}, onRequestEnd = {}, onConfirmEnd = {}, onDismissEnd = {}, onBack = {},
                        scroll = androidx.compose.foundation.rememberScrollState(Int.MAX_VALUE),
                    )
                }
            }
        } finally {
            own.close()
        }
    }

    @Test
    fun `create form for a UK nonprofit asks for its charity`(): Unit =
        session(server, "dev-organiser-gb", country = "GB", locale = "en-GB") {
            val p = vms.add(CreateFundraiserViewModel(fk, "GB", SavedStateHandle()))
            p.edit {
                copy(
                    kind = FundraiserKind.Nonprofit("np_village_hall"),
                    title = "Save the village hall",
                    story = "The roof needs mending before winter.",
                    goalText = "£2,500",
                    charityName = "Village Hall Trust",
                    charityNumber = "12345",
                )
            }
            p.submit().join()
            val state = p.state.value
            assertTrue(state.charityApplies)
            assertEquals(listOf(IssueCode.INVALID_CHARITY_NUMBER), state.issues["charity_number"])
            Snapshots.check("create-charity", listOf(Look.EN_GB)) { CreateFundraiserContent(state, onEdit = {}, onSubmit = {}, onBack = {}) }
        }

    @Test
    fun `a link to a fundraiser nobody may see says so`(): Unit =
        session(server, "dev-donor-1") {
            val good = fk.shareLinks(fundraiser.fundraiser.id, DonationSource.LINK).web
            val hidden = good.replace(fundraiser.fundraiser.id, "00000000-0000-7000-8000-000000000000")
            val vm = vms.add(LinkViewModel(fk, hidden))
            val state = withTimeout(10_000) { vm.state.first { it !is LinkScreenState.Opening } }
            assertEquals(LinkScreenState.Refused(LinkProblem.NOT_VISIBLE), state)
            Snapshots.check("link-not-visible") { LinkContent(state, onRetry = {}, onHome = {}, onBack = {}) }
        }
}
