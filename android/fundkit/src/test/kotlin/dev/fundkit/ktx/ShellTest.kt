package dev.fundkit.ktx

import dev.fundkit.Action
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationState
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.IssueCode
import dev.fundkit.Money
import dev.fundkit.OfflineCap
import dev.fundkit.UnavailableReason
import androidx.lifecycle.SavedStateHandle
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.PendingDonationsViewModel
import dev.fundkit.ktx.screens.gate
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.TestInstance

/**
 * The idiomatic layer and the screen logic against the real library and the real reference
 * server: what an Android app does, minus the pixels.
 */
@ExtendWith(MainDispatcher::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShellTest {
    private lateinit var server: ReferenceServer
    private lateinit var usFundraiser: dev.fundkit.FundraiserView
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @BeforeAll
    fun start() {
        server = ReferenceServer.start()
        // One active fundraiser per organiser: the US tests share this one.
        usFundraiser =
            runBlocking {
                (open("dev-organiser").use { it.createFundraiser(draft("Flood relief")) } as CreateOutcome.Created).fundraiser
            }
    }

    @AfterAll
    fun stop() {
        scope.cancel()
        server.close()
    }

    private fun open(token: String, country: String = "US", clock: ManualClock? = null) =
        FundKit.open(testConfig(server.url, country), TokenSource { token }, OkHttpTransport(), clock)

    private fun draft(title: String) =
        FundraiserDraft(
            kind = FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE),
            category = Category.EMERGENCY,
            title = title,
            story = "The river took the ground floor.",
            goal = Money(500_000, "USD"),
            country = "US",
        )

    @Test
    fun `availability gate says why`() {
        open("dev-donor-1", country = "FR").use { fk ->
            assertEquals(GateState.Closed(UnavailableReason.COUNTRY_NOT_LAUNCHED), fk.gate(Action.DONATE))
        }
        open("dev-donor-1").use { fk -> assertEquals(GateState.Open, fk.gate(Action.DONATE)) }
    }

    @Test
    fun `create form shows every issue by field, then creates`() =
        runBlocking {
            open("dev-organiser-gb", country = "GB").use { fk -> withViewModels { vms ->
                val p = vms.add(CreateFundraiserViewModel(fk, "GB", SavedStateHandle()))
                p.edit { copy(title = "", story = "x".repeat(5_001), goalText = "50") }
                p.submit().join()
                val issues = p.state.value.issues
                assertEquals(listOf(IssueCode.REQUIRED), issues["title"])
                assertEquals(listOf(IssueCode.TOO_LONG), issues["story"])
                assertEquals(listOf(IssueCode.BELOW_MINIMUM), issues["goal"])
                p.edit { copy(title = "Save the village hall", story = "Roof repairs.", goalText = "£2,500") }
                p.submit().join()
                val created = p.state.value.created
                assertNotNull(created)
                assertEquals(250_000L, created!!.fundraiser.goal.minorUnits)
                assertEquals("GBP", created.fundraiser.goal.currency)
            } }
        }

    @Test
    fun `offline donor sees pending, then confirmed after sync`() =
        runBlocking {
            val created = usFundraiser
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                fk.refreshFundraiser(created.fundraiser.id)
                val page = vms.add(FundraiserViewModel(fk, created.fundraiser.id))
                val pending = vms.add(PendingDonationsViewModel(fk))
                withTimeout(5_000) { page.state.first { it.loaded } }

                fk.setOnline(false)
                val sheet = vms.add(DonateViewModel(fk, created.fundraiser.id, SavedStateHandle()))
                withTimeout(5_000) { sheet.state.first { it.loaded } }
                sheet.amountChanged("25")
                assertEquals("$25.00", sheet.state.value.amountLabel)
                sheet.amountChanged("25.001")
                assertNotNull(sheet.state.value.amountError)
                sheet.amountChanged("$1,25")
                assertNotNull(sheet.state.value.amountError)
                sheet.amountChanged("25")
                sheet.confirm("tok_ok")!!.join()
                assertTrue(sheet.state.value.donation != null)

                val offline =
                    withTimeout(5_000) { page.state.first { it.pendingLabel != null && !it.online } }
                // Pending is its own amount, never added into "raised": no double counting.
                assertEquals("$25.00", offline.pendingLabel)
                assertEquals(1, offline.pendingCount)
                assertEquals(0f, offline.progressConfirmed)
                assertTrue(offline.progressWithPending > 0f)
                val waiting = withTimeout(5_000) { pending.state.first { it.rows.size == 1 } }
                assertTrue(waiting.waitingForNetwork)
                assertEquals(DonationState.QUEUED, waiting.rows[0].state)

                // A donation over the offline cap is refused, clearly.
                val over = fk.donate(dev.fundkit.DonationRequest(created.fundraiser.id, Money(25_001, "USD"), null, dev.fundkit.Visibility.PUBLIC, false, "tok_ok"))
                assertEquals(DonateOutcome.OverOfflineLimit(OfflineCap.SINGLE_AMOUNT), over)

                fk.setOnline(true)
                val report = fk.syncNow()
                assertEquals(1u, report.confirmed)
                val confirmed = withTimeout(5_000) { page.state.first { it.pendingLabel == null && it.online } }
                assertTrue(confirmed.progressConfirmed > 0f)
                assertEquals("$25.00", confirmed.raisedLabel)
                withTimeout(5_000) { pending.state.first { it.rows.isEmpty() } }
                assertEquals(DonationState.CONFIRMED, fk.pastDonations().first().state)
            } }
        }

    @Test
    fun `listener events reach flows and a sync is a suspend call`() =
        runBlocking {
            val created = (open("dev-organiser-ie", "IE").use { it.createFundraiser(draft("Irish relief").copy(country = "IE", goal = Money(500_000, "EUR"))) } as CreateOutcome.Created).fundraiser
            open("dev-donor-2", "IE").use { fk ->
                fk.refreshFundraiser(created.fundraiser.id)
                val states = collected<DonationState>()
                val collector = scope.launchCollect(fk) { states += it }
                val queued = (fk.donate(dev.fundkit.DonationRequest(created.fundraiser.id, Money(1_000, "EUR"), "Sláinte", dev.fundkit.Visibility.ANONYMOUS, true, "tok_declined")) as DonateOutcome.Queued).donation
                val report = fk.syncNow()
                assertEquals(1u, report.rejected)
                withTimeout(5_000) { while (DonationState.REJECTED !in states.snapshot()) kotlinx.coroutines.delay(10) }
                // Events come in commit order and show the rows as they are when delivered:
                // states only move forward (one in between may be skipped), ending rejected.
                val order = listOf(DonationState.QUEUED, DonationState.SENDING, DonationState.REJECTED)
                val seen = states.snapshot().distinct()
                assertEquals(seen.sortedBy { order.indexOf(it) }, seen)
                assertEquals(DonationState.REJECTED, seen.last())
                assertEquals("declined", fk.raw.donation(queued.id)?.reason)
                assertNull(fk.pendingDonations().firstOrNull())
                collector.cancel()
            }
        }

    @Test
    fun `a double tap on confirm makes one donation`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val view = fk.refreshFundraiser(usFundraiser.fundraiser.id)
                fk.setOnline(false)
                val sheet = vms.add(DonateViewModel(fk, view.fundraiser.id, SavedStateHandle()))
                withTimeout(5_000) { sheet.state.first { it.loaded } }
                sheet.amountChanged("12")
                val first = sheet.confirm("tok_ok")
                assertNull(sheet.confirm("tok_ok"), "a second tap while the first is in flight does nothing")
                first!!.join()
                val queued = sheet.state.value.donation!!
                assertEquals(sheet.donationId, queued.id)
                assertNull(sheet.confirm("tok_ok"), "nor once the donation is queued")
                // Even past the presenter's guard, the sheet's id makes the core answer with
                // the first donation instead of making a second.
                val again =
                    fk.donate(
                        dev.fundkit.DonationRequest(view.fundraiser.id, Money(1_200, "USD"), null, dev.fundkit.Visibility.PUBLIC, false, "tok_ok", sheet.donationId),
                    )
                assertEquals(queued.id, (again as DonateOutcome.Queued).donation.id)
                assertEquals(1, fk.pendingDonations().count { it.id == sheet.donationId })
                fk.cancelDonation(queued.id)
            } }
        }

    @Test
    fun `flows subscribe before their first read and stop when cancelled`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk ->
                val view = fk.refreshFundraiser(usFundraiser.fundraiser.id)
                fk.setOnline(false)
                val lists = kotlinx.coroutines.channels.Channel<List<dev.fundkit.Donation>>(kotlinx.coroutines.channels.Channel.UNLIMITED)
                val job = scope.launch { fk.pendingDonationsFlow().collect { lists.send(it) } }
                val initial = withTimeout(5_000) { lists.receive() }
                val d = (fk.donate(dev.fundkit.DonationRequest(view.fundraiser.id, Money(300, "USD"), null, dev.fundkit.Visibility.PUBLIC, false, "tok_ok")) as DonateOutcome.Queued).donation
                withTimeout(5_000) { while (lists.receive().none { it.id == d.id }) Unit }
                assertTrue(initial.none { it.id == d.id })
                job.cancel()
                job.join()
                assertTrue(job.isCancelled)
                fk.cancelDonation(d.id)
            }
        }

    @Test
    fun `read back, cancel, and expiry with an injected clock`() =
        runBlocking {
            val created = usFundraiser
            val clock = ManualClock()
            open("dev-donor-1", clock = clock).use { fk ->
                fk.refreshFundraiser(created.fundraiser.id)
                fk.setOnline(false)
                val d = (fk.donate(dev.fundkit.DonationRequest(created.fundraiser.id, Money(500, "USD"), null, dev.fundkit.Visibility.PUBLIC, false, "tok_ok")) as DonateOutcome.Queued).donation
                // Read it back, then cancel a second one before it is sent.
                assertEquals(listOf(d.id), fk.pendingDonations().map { it.id })
                val second = (fk.donate(dev.fundkit.DonationRequest(created.fundraiser.id, Money(700, "USD"), null, dev.fundkit.Visibility.PUBLIC, false, "tok_ok")) as DonateOutcome.Queued).donation
                assertEquals(DonationState.CANCELLED, fk.cancelDonation(second.id).state)
                val again = runCatching { fk.cancelDonation(second.id) }.exceptionOrNull()
                assertTrue(again is dev.fundkit.FundkitException.IllegalTransition, "cancelling twice is a typed error")
                clock.advanceHours(25)
                assertTrue(fk.pendingDonations().isEmpty())
                assertEquals(DonationState.EXPIRED, fk.raw.donation(d.id)?.state)
                assertEquals("expired_offline", fk.raw.donation(d.id)?.reason)
            }
        }
}

private fun CoroutineScope.launchCollect(fk: FundKit, onState: (DonationState) -> Unit) =
    launch(Dispatchers.Unconfined) { fk.donationChanges.collect { batch -> batch.forEach { onState(it.state) } } }
