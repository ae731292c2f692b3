package dev.fundkit.ktx

import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.DonationState
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.Money
import dev.fundkit.Visibility
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The one Kotlin test that opens FundKit WITHOUT a transport: the desktop-JVM path, where a
 * library built with `reqwest-transport` (the tests' debug build) carries its requests
 * through reqwest. Every other Kotlin end-to-end test passes [OkHttpTransport], as an
 * Android app must (the library Android ships has no HTTP stack of its own).
 */
class DesktopTransportTest {
    @Test
    fun `without a transport, the desktop library's reqwest carries a donation end to end`() =
        ReferenceServer.start().use { server ->
            runBlocking {
                val id =
                    FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }).use { organiser ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.PersonalCause(Beneficiary.MYSELF), Category.COMMUNITY,
                                "Desk lamps", "Light for the reading room.", Money(100_000, "USD"), "US",
                            )
                        (organiser.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                    }
                FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }).use { fk ->
                    fk.refreshFundraiser(id)
                    val outcome = fk.donate(DonationRequest(id, Money(1_200, "USD"), null, Visibility.PUBLIC, false, "tok_ok"))
                    assertTrue(outcome is DonateOutcome.Queued, "$outcome")
                    val report = fk.syncNow()
                    assertEquals(null, report.error)
                    assertEquals(1u, report.confirmed)
                    assertEquals(DonationState.CONFIRMED, fk.pastDonations().single().state)
                    assertEquals(1_200L, fk.refreshFundraiser(id).fundraiser.confirmedTotal.minorUnits)
                }
            }
        }
}
