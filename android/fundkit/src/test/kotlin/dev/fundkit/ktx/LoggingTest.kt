package dev.fundkit.ktx

import dev.fundkit.LogLevel
import dev.fundkit.LogRecord
import dev.fundkit.LogSink
import dev.fundkit.Money
import dev.fundkit.Visibility
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/** The core's log records and error reports reach the host, and none carries a secret. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoggingTest {
    private val server = ReferenceServer.start()

    @AfterAll
    fun stop() {
        FundKitLogging.uninstall()
        server.close()
    }

    @Test
    fun `log records and error reports reach the host without secrets`(): Unit =
        runBlocking {
            val records = CopyOnWriteArrayList<LogRecord>()
            val reports = CopyOnWriteArrayList<Pair<String, String>>()
            FundKitLogging.install(
                LogLevel.TRACE,
                object : LogSink {
                    override fun log(record: LogRecord) {
                        records += record
                    }
                },
            )
            FundKitLogging.reportErrorsTo { kind, detail -> reports += kind to detail }

            val organiser = FundKit.open(testConfig(server.url, "GB"), TokenSource { "dev-organiser-gb" }, OkHttpTransport())
            val created =
                organiser.use {
                    (
                        it.createFundraiser(
                            dev.fundkit.FundraiserDraft(
                                kind = dev.fundkit.FundraiserKind.PersonalCause(dev.fundkit.Beneficiary.MYSELF),
                                category = dev.fundkit.Category.COMMUNITY,
                                title = "Logging check",
                                story = "A story.",
                                goal = Money(500_000, "GBP"),
                                country = "GB",
                            ),
                        ) as CreateOutcome.Created
                    ).fundraiser
                }
            FundKit.open(testConfig(server.url, "GB"), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { fk ->
                fk.refreshFundraiser(created.fundraiser.id)
                fk.donate(
                    dev.fundkit.DonationRequest(
                        fundraiserId = created.fundraiser.id,
                        amount = Money(12_345, "GBP"),
                        message = "SECRET-MESSAGE-LOG",
                        visibility = Visibility.PUBLIC,
                        hideAmount = false,
                        paymentToken = "tok_ok_SECRETLOG",
                    ),
                )
                fk.syncNow()
            }
            assertTrue(records.any { it.message.contains("donation queued") }, "real records arrive: $records")
            assertTrue(records.any { it.level == LogLevel.INFO && it.target.startsWith("fundkit") })
            for (secret in listOf("12345", "123.45", "tok_ok", "SECRET-MESSAGE-LOG", "dev-donor-1", "dev-organiser-gb")) {
                assertTrue(records.none { it.message.contains(secret) }, "$secret leaked into a log record")
            }

            // An internal error (a database file that is not one) reaches the crash reporter.
            val garbage = Files.createTempFile("fundkit-garbage", ".db")
            Files.write(garbage, ByteArray(8192) { 0x5A })
            val failed =
                runCatching {
                    FundKit.open(testConfig(server.url, "GB").copy(databasePath = garbage.toString()), TokenSource { "dev-donor-1" }, OkHttpTransport())
                }.exceptionOrNull()
            assertTrue(failed is dev.fundkit.FundkitException.Storage, "typed storage error: $failed")
            assertTrue(reports.any { it.first == "storage" }, "reported: $reports")
            assertTrue(reports.none { (_, detail) -> detail.contains("dev-donor-1") || detail.contains("tok_") })

            // The level can be lowered at any time.
            FundKitLogging.setLevel(LogLevel.ERROR)
            val before = records.size
            FundKit.open(testConfig(server.url, "GB"), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { it.pendingDonations() }
            assertTrue(records.drop(before).all { it.level == LogLevel.ERROR })
        }
}
