package dev.fundkit.ktx

import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserState
import dev.fundkit.IssueCode
import dev.fundkit.Money
import dev.fundkit.Visibility
import dev.fundkit.ktx.screens.OrganiserDashboardViewModel
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.TestInstance

/** The organiser's side through the idiomatic layer and the dashboard ViewModel, against the real server. */
@ExtendWith(MainDispatcher::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrganiserTest {
    private val server = ReferenceServer.start()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @AfterAll
    fun stop() {
        scope.cancel()
        server.close()
    }

    @Test
    fun `the dashboard shows donors, extends to 90 days, refuses past it, edits and ends`(): Unit =
        runBlocking {
            FundKit.open(testConfig(server.url, "GB"), TokenSource { "dev-organiser-gb" }, OkHttpTransport()).use { organiser ->
                val created =
                    (
                        organiser.createFundraiser(
                            FundraiserDraft(
                                kind = FundraiserKind.PersonalCause(Beneficiary.MYSELF),
                                category = Category.EDUCATION,
                                title = "Night classes",
                                story = "Books and fees.",
                                goal = Money(300_000, "GBP"),
                                country = "GB",
                            ),
                        ) as CreateOutcome.Created
                    ).fundraiser
                val id = created.fundraiser.id
                FundKit.open(testConfig(server.url, "GB"), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { donor ->
                    donor.refreshFundraiser(id)
                    for ((amount, visibility) in listOf(1_500L to Visibility.PUBLIC, 2_500L to Visibility.ANONYMOUS)) {
                        donor.donate(DonationRequest(id, Money(amount, "GBP"), null, visibility, false, "tok_ok"))
                    }
                    donor.syncNow()
                }
                organiser.syncNow()
                assertEquals(listOf(id), organiser.myFundraisers().map { it.fundraiser.id })

                val vms = TestViewModels()
                val dashboard = vms.add(OrganiserDashboardViewModel(organiser, id))
                val shown = withTimeout(5_000) { dashboard.state.first { it.loaded && it.donations.size == 2 } }
                assertEquals(FundraiserState.ACTIVE, shown.state)
                assertEquals(30, shown.daysLeft)
                assertEquals("£40.00", shown.raisedLabel)
                // One donor gave twice: two donations from one donor, both counts shown.
                assertEquals(1L, shown.donorCount)
                assertEquals(2L, shown.donationCount)
                // The anonymous donor's name is null: the app words it, the library never does.
                assertEquals(setOf("Dan Donor", null), shown.donations.map { it.name }.toSet())
                assertTrue(shown.canExtend && shown.canEnd)

                dashboard.extend().join()
                assertEquals(60, withTimeout(5_000) { dashboard.state.first { it.daysLeft == 60 } }.daysLeft)
                dashboard.extend().join()
                val ninety = withTimeout(5_000) { dashboard.state.first { it.daysLeft == 90 } }
                assertTrue(!ninety.canExtend, "90 days in all")
                // Past 90 days the core refuses, by field, before anything is sent.
                val refused = organiser.extendFundraiser(id, 30)
                assertEquals(listOf(IssueCode.INVALID_DURATION), (refused as OrganiserOutcome.Invalid).issues.map { it.code })

                dashboard.edit(FundraiserEdit(title = "", story = null, category = null, goal = Money(3_000, "GBP"))).join()
                val issues = dashboard.state.value.issues
                assertEquals(listOf(IssueCode.REQUIRED), issues["title"])
                assertEquals(true, issues["goal"]?.contains(IssueCode.BELOW_RAISED))
                dashboard.edit(FundraiserEdit(title = "Night classes for four", story = null, category = null, goal = null)).join()
                withTimeout(5_000) { dashboard.state.first { it.title == "Night classes for four" } }

                // "End now" only asks; nothing ends until the organiser confirms.
                dashboard.requestEnd()
                assertTrue(dashboard.state.value.confirmingEnd)
                dashboard.dismissEnd()
                assertEquals(null, dashboard.confirmEnd(), "no confirmation pending, nothing ends")
                assertEquals(FundraiserState.ACTIVE, organiser.refreshFundraiser(id).fundraiser.state)
                dashboard.requestEnd()
                dashboard.confirmEnd()!!.join()
                val ended = withTimeout(5_000) { dashboard.state.first { it.state == FundraiserState.ENDED } }
                assertTrue(!ended.canEnd && !ended.canExtend)
                assertTrue(organiser.endFundraiser(id) is OrganiserOutcome.Invalid, "ending twice is refused by field")
                // Offline, the dashboard still reads the cache.
                organiser.setOnline(false)
                assertEquals(2, organiser.organiserDonations(id).donations.size)
                vms.close()
            }
        }
}
