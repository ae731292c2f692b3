package dev.fundkit.ktx

import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.HttpRequest
import dev.fundkit.HttpResponse
import dev.fundkit.HttpTransport
import dev.fundkit.LogLevel
import dev.fundkit.LogRecord
import dev.fundkit.LogSink
import dev.fundkit.Money
import dev.fundkit.Visibility
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test
import java.util.concurrent.ConcurrentLinkedQueue

/**
 * What crossing the FFI costs a batch request through [OkHttpTransport]: the core logs how
 * long each `send` took as it saw it (`transport answered … micros=`), this wrapper times
 * the same call inside Kotlin; the difference is the crossing both ways (lowering the
 * request, the foreign-future machinery, lifting the answer). Run on purpose:
 *   mvn test -Dgroups=bench -DexcludedGroups=none -Dtest=TransportBench
 */
@Tag("bench")
class TransportBench {
    private class Timed(private val inner: HttpTransport) : HttpTransport {
        val batchNanos = ConcurrentLinkedQueue<Long>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            val start = System.nanoTime()
            try {
                return inner.send(request)
            } finally {
                if (request.url.endsWith("/v1/donations/batch")) batchNanos.add(System.nanoTime() - start)
            }
        }
    }

    private class Collect : LogSink {
        val batchMicros = ConcurrentLinkedQueue<Long>()
        private val pattern = Regex("""path="?v1/donations/batch"? status=200 micros=(\d+)""")

        override fun log(record: LogRecord) {
            pattern.find(record.message)?.let { batchMicros.add(it.groupValues[1].toLong()) }
        }
    }

    /** `fundkit serve` that lets one device queue as many as the bench needs. */
    private class BenchServer(private val process: Process, val url: String) : AutoCloseable {
        override fun close() {
            process.destroy()
            process.waitFor()
        }
    }

    private fun benchServer(): BenchServer {
        val dir = System.getProperty("fundkit.bin.dir") ?: System.getProperty("jna.library.path")
        val process =
            ProcessBuilder(
                java.io.File(dir, "fundkit").path, "serve", "--addr", "127.0.0.1:0", "--auto-approve",
                "--exit-with-stdin", "--offline-max-count", "1000000", "--rate-limit-per-minute", "0",
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val first = process.inputStream.bufferedReader().readLine()
        return BenchServer(process, first.substringAfter(" on ").trim())
    }

    @Test
    fun `ffi crossing per batch request`() =
        runBlocking {
            val n = (System.getProperty("fundkit.bench.n") ?: "10000").toInt()
            benchServer().use { server ->
                val tokens = TokenSource { "dev-organiser" }
                val id =
                    FundKit.open(testConfig(server.url), tokens, OkHttpTransport()).use { fk ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Category.EMERGENCY,
                                "Bench", "A story worth telling.", Money(10_000_000, "USD"), "US",
                            )
                        (fk.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                    }
                val sink = Collect()
                val timed = Timed(OkHttpTransport())
                FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, timed).use { fk ->
                    fk.refreshFundraiser(id)
                    fk.syncNow() // the server's limits: this one lets a device queue n
                    // Online (no offline caps) with background sync off: all of them queue.
                    repeat(n) {
                        val outcome = fk.donate(DonationRequest(id, Money(100, "USD"), null, Visibility.PUBLIC, false, "tok_ok"))
                        check(outcome is DonateOutcome.Queued) { "$outcome" }
                    }
                    dev.fundkit.setLogSink(sink, LogLevel.DEBUG)
                    val start = System.nanoTime()
                    val report = fk.syncNow()
                    val total = (System.nanoTime() - start) / 1e6
                    dev.fundkit.setLogSink(null, LogLevel.OFF)
                    assertEquals(n.toUInt(), report.confirmed)
                    val inner = timed.batchNanos.map { it / 1e3 }
                    val outer = sink.batchMicros.map { it.toDouble() }
                    assertEquals(inner.size, outer.size)
                    val crossing = outer.zip(inner).map { (o, i) -> o - i }.sorted()
                    val median = { xs: List<Double> -> xs.sorted()[xs.size / 2] }
                    println(
                        "transport bench: drained $n in %.0f ms, %d batch requests; per batch median: inside OkHttp %.0f us, as the core saw it %.0f us, FFI crossing %.0f us (%.2f%% of the request; mean %.0f us)".format(
                            total, inner.size, median(inner), median(outer), median(crossing),
                            100 * median(crossing) / median(outer), crossing.average(),
                        ),
                    )
                }
            }
        }
}
