package sample

import dev.fundkit.Action
import dev.fundkit.ClientConfig
import dev.fundkit.DonationRequest
import dev.fundkit.IssueCode
import dev.fundkit.Platform
import dev.fundkit.UserContext
import dev.fundkit.Visibility
import dev.fundkit.defaultLimits
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.TokenSource
import dev.fundkit.ktx.screens.GateState
import dev.fundkit.ktx.screens.gate
import dev.fundkit.validateDonation
import java.nio.file.Files

// Opens FundKit, parses and formats money, validates a donation: what an app does first.
// Exits non-zero if the library does not answer as documented.
fun main() {
    val dir = Files.createTempDirectory("fundkit-sample")
    val config =
        ClientConfig(
            databasePath = dir.resolve("fundkit.db").toString(),
            serverUrl = "http://127.0.0.1:8080", // not contacted: the sample stays offline
            user = UserContext(country = "US", platform = Platform.ANDROID, ageYears = 30u),
            locale = "en-US",
            online = false,
            backgroundSync = false,
        )
    FundKit.open(config, TokenSource { null }).use { fk ->
        val amount = fk.parseAmount("1,234.5", "USD")
        val label = fk.formatAmount(amount)
        println("parsed 1,234.5 USD as ${amount.minorUnits} minor units, formatted $label")
        check(amount.minorUnits == 123_450L && label == "$1,234.50") { "money: $amount $label" }

        val gate = fk.gate(Action.DONATE)
        println("donate in the US on Android: $gate")
        check(gate == GateState.Open)

        val request =
            DonationRequest(
                fundraiserId = "fr-1",
                amount = amount,
                message = "my card is 4111 1111 1111 1111",
                visibility = Visibility.PUBLIC,
                hideAmount = false,
                paymentToken = "tok_ok",
            )
        val issues = validateDonation(request = request, fundraiserCurrency = "USD", limits = defaultLimits())
        println("validation: " + issues.joinToString { "${it.field}: ${it.code}" })
        check(issues.any { it.field == "message" && it.code == IssueCode.CARD_NUMBER }) { "expected a card-number issue" }
        check(validateDonation(request = request.copy(message = "Get well soon"), fundraiserCurrency = "USD", limits = defaultLimits()).isEmpty())
    }
    println("sample-consumer OK")
}
