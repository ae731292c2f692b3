package dev.fundkit.ktx

import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationState
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.Money
import dev.fundkit.ktx.screens.DonateStage
import dev.fundkit.ktx.screens.DonateViewModel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/**
 * The donate sheet across the Android lifecycle: rotation, a theme or language change, or
 * process death destroys the ViewModel; what survives is its SavedStateHandle (the Bundle
 * Android keeps). Each test takes that saved state before Confirm, during it, or after it,
 * builds a NEW ViewModel (and, for process death, a new FundKit on the same database) from
 * it, taps Confirm again as a donor would, and asks the real server: exactly one donation.
 */
@ExtendWith(MainDispatcher::class)
class LifecycleTest {
    /** What Android keeps of a SavedStateHandle across process death: its values, copied. */
    private fun SavedStateHandle.saved(): Map<String, Any?> = keys().associateWith { get<Any?>(it) }

    private fun <T> scenario(block: suspend (server: ReferenceServer, fundraiserId: String, dbPath: String) -> T): T =
        ReferenceServer.start().use { server ->
            runBlocking {
                val id =
                    FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }, OkHttpTransport()).use { organiser ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Category.COMMUNITY,
                                "New roof for the hall", "The roof leaks.", Money(500_000, "USD"), "US",
                            )
                        (organiser.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                    }
                val db = java.nio.file.Files.createTempDirectory("fundkit").resolve("fundkit.db").toString()
                block(server, id, db)
            }
        }

    private fun donor(server: ReferenceServer, db: String) =
        FundKit.open(testConfig(server.url, databasePath = db), TokenSource { "dev-donor-1" }, OkHttpTransport())

    /** The organiser's view of the server after every device synced: the donations it holds. */
    private suspend fun serverDonations(server: ReferenceServer, id: String): Pair<Int, Long> =
        FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }, OkHttpTransport()).use { organiser ->
            organiser.syncNow()
            val page = organiser.organiserDonations(id)
            page.donations.size to organiser.refreshFundraiser(id).fundraiser.confirmedTotal.minorUnits
        }

    private suspend fun DonateViewModel.loaded() = withTimeout(5_000) { state.first { it.loaded } }

    @Test
    fun `recreated before Confirm, the form and the donation id come back and one donation is made`() =
        scenario { server, id, db ->
            var saved: Map<String, Any?> = emptyMap()
            var firstId = ""
            donor(server, db).use { fk ->
                withViewModels { vms ->
                    val handle = SavedStateHandle()
                    val sheet = vms.add(DonateViewModel(fk, id, handle))
                    sheet.loaded()
                    sheet.amountChanged("20")
                    sheet.messageChanged("For the roof")
                    firstId = sheet.donationId
                    saved = handle.saved()
                } // the ViewModel is cleared, and the process dies with FundKit
            }
            donor(server, db).use { fk ->
                withViewModels { vms ->
                    val sheet = vms.add(DonateViewModel(fk, id, SavedStateHandle(saved)))
                    val restored = sheet.loaded()
                    assertEquals(firstId, sheet.donationId)
                    assertEquals("20", restored.amountText)
                    assertEquals("For the roof", restored.message)
                    assertEquals("$20.00", restored.amountLabel)
                    sheet.confirm("tok_ok")!!.join()
                    assertEquals(firstId, sheet.state.value.donation?.id)
                }
                fk.syncNow()
            }
            assertEquals(1 to 2_000L, serverDonations(server, id))
        }

    @Test
    fun `recreated while Confirm is in flight, tapping Confirm again is the same donation`() =
        scenario { server, id, db ->
            donor(server, db).use { fk ->
                val handle = SavedStateHandle()
                val first = TestViewModels()
                val sheet = first.add(DonateViewModel(fk, id, handle))
                sheet.loaded()
                sheet.amountChanged("35")
                val inFlight = sheet.confirm("tok_ok")
                assertNotNull(inFlight)
                // The configuration changes now: the state is saved mid-confirm and a new
                // ViewModel starts while the first one's confirm may still be running.
                val saved = handle.saved()
                val second = TestViewModels()
                val again = second.add(DonateViewModel(fk, id, SavedStateHandle(saved)))
                assertEquals(sheet.donationId, again.donationId)
                again.loaded()
                // The donor taps Confirm on the new screen if it still offers it: the same id.
                again.confirm("tok_ok")?.join()
                inFlight!!.join()
                first.close()
                val donation = withTimeout(5_000) { again.state.first { it.donation != null } }.donation!!
                assertEquals(sheet.donationId, donation.id)
                assertFalse(again.state.value.canConfirm)
                second.close()
                fk.syncNow()
                assertEquals(DonationState.CONFIRMED, fk.donation(donation.id)?.state)
            }
            assertEquals(1 to 3_500L, serverDonations(server, id))
        }

    @Test
    fun `recreated after Confirm, the sheet shows the donation and offers no second Confirm`() =
        scenario { server, id, db ->
            var saved: Map<String, Any?> = emptyMap()
            donor(server, db).use { fk ->
                withViewModels { vms ->
                    val handle = SavedStateHandle()
                    val sheet = vms.add(DonateViewModel(fk, id, handle))
                    sheet.loaded()
                    sheet.amountChanged("50")
                    sheet.confirm("tok_ok")!!.join()
                    saved = handle.saved()
                }
            }
            // Process death after Confirm: a new FundKit on the same database, a new ViewModel.
            donor(server, db).use { fk ->
                withViewModels { vms ->
                    val sheet = vms.add(DonateViewModel(fk, id, SavedStateHandle(saved)))
                    val shown = withTimeout(5_000) { sheet.state.first { it.loaded && it.donation != null } }
                    assertEquals(DonateStage.PENDING, shown.stage)
                    assertFalse(shown.canConfirm)
                    assertNull(sheet.confirm("tok_ok"), "Confirm does nothing once the donation exists")
                    fk.syncNow()
                    withTimeout(5_000) { sheet.state.first { it.stage == DonateStage.CONFIRMED } }
                }
            }
            assertEquals(1 to 5_000L, serverDonations(server, id))
        }
}
