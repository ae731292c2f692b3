package dev.fundkit.ktx

import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.Money
import dev.fundkit.ktx.screens.DonateStage
import dev.fundkit.ktx.screens.DonateViewModel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.TestInstance

/**
 * The bank's step (3-D Secure and the like): the payment asks the donor to confirm with
 * their bank. The sheet shows the step with the bank's page (`action_url`, opened in a
 * Custom Tab on Android); the donor completes or fails it there; the outcome reaches the
 * sheet through sync. Here the "browser" is a POST to the reference server's bank page.
 */
@ExtendWith(MainDispatcher::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BankStepTest {
    private lateinit var server: ReferenceServer
    private lateinit var fundraiserId: String

    @BeforeAll
    fun start() {
        server = ReferenceServer.start()
        fundraiserId =
            runBlocking {
                FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }, OkHttpTransport()).use { organiser ->
                    val draft =
                        FundraiserDraft(
                            FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Category.MEDICAL,
                            "Physio for Sam", "Twelve sessions.", Money(200_000, "USD"), "US",
                        )
                    (organiser.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                }
            }
    }

    @AfterAll
    fun stop() = server.close()

    /** Confirms [amount] with a card whose bank asks for a step; returns the sheet at the step. */
    private suspend fun atBankStep(fk: FundKit, vms: TestViewModels, amount: String): DonateViewModel {
        val sheet = vms.add(DonateViewModel(fk, fundraiserId, SavedStateHandle()))
        withTimeout(5_000) { sheet.state.first { it.loaded } }
        sheet.amountChanged(amount)
        sheet.confirm("tok_needs_action")!!.join()
        assertEquals(DonateStage.PENDING, sheet.state.value.stage)
        fk.syncNow()
        val step = withTimeout(5_000) { sheet.state.first { it.stage == DonateStage.BANK_STEP } }
        assertTrue(step.bankUrl!!.contains("/v1/bank/"), step.bankUrl)
        assertFalse(step.canConfirm, "at the bank's step there is no second Confirm")
        return sheet
    }

    @Test
    fun `the donor completes the bank's step and the sheet shows it confirmed`() =
        runBlocking {
            FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { fk ->
                withViewModels { vms ->
                    val before = fk.refreshFundraiser(fundraiserId).fundraiser.confirmedTotal.minorUnits
                    val sheet = atBankStep(fk, vms, "40")
                    assertEquals(200, bankPage(sheet.state.value.bankUrl!!, "complete"))
                    // Back from the Custom Tab: the app asks for the outcome; it arrives by sync.
                    sheet.checkBankOutcome().join()
                    val done = withTimeout(10_000) { sheet.state.first { it.stage == DonateStage.CONFIRMED } }
                    assertEquals(null, done.bankUrl)
                    assertEquals(before + 4_000L, fk.refreshFundraiser(fundraiserId).fundraiser.confirmedTotal.minorUnits)
                }
            }
        }

    @Test
    fun `the donor fails the bank's step and the sheet says it was refused`() =
        runBlocking {
            FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { fk ->
                withViewModels { vms ->
                    val before = fk.refreshFundraiser(fundraiserId).fundraiser.confirmedTotal.minorUnits
                    val sheet = atBankStep(fk, vms, "15")
                    assertEquals(200, bankPage(sheet.state.value.bankUrl!!, "fail"))
                    sheet.checkBankOutcome().join()
                    val refused = withTimeout(10_000) { sheet.state.first { it.stage == DonateStage.REJECTED } }
                    assertEquals("authentication_failed", refused.donation?.reason)
                    assertEquals(before, fk.refreshFundraiser(fundraiserId).fundraiser.confirmedTotal.minorUnits, "a failed step charges nothing")
                }
            }
        }
}
