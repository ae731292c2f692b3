package dev.fundkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The pure domain from Kotlin, as an app developer uses it: through the real libfundkit. */
class DomainTest {
    @Test
    fun `money parses and formats per locale`() {
        assertEquals(Money(123_456, "USD"), parseMoney("$1,234.56", "USD", "en-US"))
        assertEquals(Money(1_250, "USD"), parseMoney("12.5", "USD", "en-US"))
        assertEquals("$1,234.56", formatMoney(Money(123_456, "USD"), "en-US"))
        assertEquals("£1,234.56", formatMoney(Money(123_456, "GBP"), "en-GB"))
        assertEquals("€1,234.56", formatMoney(Money(123_456, "EUR"), "en-IE"))
        assertEquals("¥1,235", formatMoney(Money(1_235, "JPY"), "en-US"))
        assertEquals(3u, currencyExponent("BHD"))
        assertEquals("EUR", currencyForCountry("IE"))
    }

    @Test
    fun `bad amounts are typed exceptions`() {
        val tooPrecise = assertThrows<FundkitException.InvalidAmount> { parseMoney("12.345", "USD", "en-US") }
        assertEquals(MoneyError.TooManyDecimals("USD", 2u), tooPrecise.reason)
        val signed = assertThrows<FundkitException.InvalidAmount> { parseMoney("-5", "USD", "en-US") }
        assertEquals(MoneyError.Signed, signed.reason)
        val exponent = assertThrows<FundkitException.InvalidAmount> { parseMoney("1e3", "USD", "en-US") }
        assertEquals(MoneyError.Exponent, exponent.reason)
        assertThrows<FundkitException.InvalidAmount> { parseMoney("99999999999999999999", "USD", "en-US") }
    }

    @Test
    fun `a draft with several problems lists every issue`() {
        val draft =
            FundraiserDraft(
                kind = FundraiserKind.Nonprofit(nonprofitId = ""),
                category = Category.ANIMALS,
                title = "  ",
                story = "Call 4111 1111 1111 1111 to give",
                goal = Money(5_000, "GBP"),
                country = "US",
            )
        val issues = validateDraft(draft, defaultLimits())
        assertEquals(
            listOf(
                "nonprofit_id" to IssueCode.REQUIRED,
                "title" to IssueCode.REQUIRED,
                "story" to IssueCode.CARD_NUMBER,
                "goal" to IssueCode.WRONG_CURRENCY_FOR_COUNTRY,
            ),
            issues.map { it.field to it.code },
        )
        assertTrue(issues.all { it.message.isNotBlank() })
    }

    @Test
    fun `availability for launch countries and platforms`() {
        val rollout = defaultRollout()
        fun ask(country: String, platform: Platform) =
            availability(rollout, UserContext(country, platform, 30u), Action.CREATE_FUNDRAISER)
        for (country in listOf("US", "GB", "IE")) {
            assertEquals(Availability.Available, ask(country, Platform.ANDROID))
            assertEquals(Availability.Unavailable(UnavailableReason.PLATFORM_NOT_LAUNCHED), ask(country, Platform.IOS))
        }
        assertEquals(Availability.Unavailable(UnavailableReason.COUNTRY_NOT_LAUNCHED), ask("FR", Platform.ANDROID))
        assertEquals(Availability.Unavailable(UnavailableReason.COUNTRY_NOT_LAUNCHED), ask("FR", Platform.IOS))
        val minor = availability(rollout, UserContext("US", Platform.ANDROID, 16u), Action.CREATE_FUNDRAISER)
        assertEquals(Availability.Unavailable(UnavailableReason.TOO_YOUNG), minor)
    }
}
