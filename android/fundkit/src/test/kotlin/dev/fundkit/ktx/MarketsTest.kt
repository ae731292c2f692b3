package dev.fundkit.ktx

import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Action
import dev.fundkit.Money
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.gate
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource

/**
 * Every launch market end to end: the organiser's own country picks the currency (the
 * core's `currencyForCountry`, never a constant), the server accepts the fundraiser, and
 * a donor in the same market sees and gives in that currency, formatted by the core in
 * the donor's locale.
 */
@ExtendWith(MainDispatcher::class)
class MarketsTest {
    @ParameterizedTest(name = "{0}: an organiser in {1} raises {2}")
    @CsvSource(
        "en-US, US, USD, dev-organiser, '$2,500', '$2,500.00', '$25.00'",
        "en-GB, GB, GBP, dev-organiser-gb, '£2,500', '£2,500.00', '£25.00'",
        "en-IE, IE, EUR, dev-organiser-ie, '€2,500', '€2,500.00', '€25.00'",
        // es-US: the labels are whatever the core's formatMoney says for es-US (money
        // formatting is the core's alone; the shell must show it unchanged).
        "es-US, US, USD, dev-organiser, '2500', core, core",
    )
    fun `create takes the organiser's country and its currency, and a donor gives in it`(
        locale: String,
        country: String,
        currency: String,
        organiserToken: String,
        typedGoal: String,
        goalLabel: String,
        presetLabel: String,
    ) = ReferenceServer.start().use { server ->
        val goalLabel = if (goalLabel == "core") dev.fundkit.formatMoney(Money(250_000, currency), locale) else goalLabel
        val presetLabel = if (presetLabel == "core") dev.fundkit.formatMoney(Money(2_500, currency), locale) else presetLabel
        runBlocking {
            val id =
                FundKit.open(testConfig(server.url, country, locale = locale), TokenSource { organiserToken }, OkHttpTransport()).use { fk ->
                    withViewModels { vms ->
                        assertEquals(GateState.Open, fk.gate(Action.CREATE_FUNDRAISER))
                        val form = vms.add(CreateFundraiserViewModel(fk, country, SavedStateHandle()))
                        assertEquals(currency, form.state.value.currency)
                        assertEquals(country, form.state.value.country)
                        form.edit { copy(title = "Community garden", story = "Seeds, soil and tools.", goalText = typedGoal) }
                        form.submit().join()
                        val created = form.state.value.created
                        assertNotNull(created, "refused: ${form.state.value.issues} ${form.state.value.problem}")
                        assertEquals(currency, created!!.fundraiser.goal.currency)
                        assertEquals(country, created.fundraiser.country)
                        assertEquals(250_000L, created.fundraiser.goal.minorUnits)
                        created.fundraiser.id
                    }
                }
            val donorToken = if (country == "IE") "dev-donor-2" else "dev-donor-1"
            FundKit.open(testConfig(server.url, country, locale = locale), TokenSource { donorToken }, OkHttpTransport()).use { fk ->
                withViewModels { vms ->
                    fk.refreshFundraiser(id)
                    val page = vms.add(FundraiserViewModel(fk, id))
                    val shown = withTimeout(5_000) { page.state.first { it.loaded } }
                    assertEquals(goalLabel, shown.goalLabel)
                    val sheet = vms.add(DonateViewModel(fk, id, SavedStateHandle()))
                    val form = withTimeout(5_000) { sheet.state.first { it.loaded } }
                    assertEquals(currency, form.currency)
                    assertEquals(presetLabel, form.presets.first { it.text == "25" }.label)
                    sheet.amountChanged("25")
                    sheet.confirm("tok_ok")!!.join()
                    fk.syncNow()
                    val after = withTimeout(5_000) { page.state.first { it.raisedLabel == presetLabel && it.pendingLabel == null } }
                    assertEquals(1L, after.donationCount)
                }
            }
        }
    }

    @Test
    fun `a country FundKit has not launched in is closed at the gate, and the form's currency is still the core's`() =
        ReferenceServer.start().use { server ->
            FundKit.open(testConfig(server.url, "FR"), TokenSource { "dev-organiser" }, OkHttpTransport()).use { fk ->
                withViewModels { vms ->
                    val form = vms.add(CreateFundraiserViewModel(fk, "FR", SavedStateHandle()))
                    // France's currency is the euro, from the core; the rollout gate keeps the form closed.
                    assertEquals(dev.fundkit.currencyForCountry("FR"), form.state.value.currency)
                    assertEquals("EUR", form.state.value.currency)
                    assertNull(dev.fundkit.currencyForCountry("ZZ"))
                    assertEquals(GateState.Closed(dev.fundkit.UnavailableReason.COUNTRY_NOT_LAUNCHED), fk.gate(Action.CREATE_FUNDRAISER))
                }
            }
        }
}
