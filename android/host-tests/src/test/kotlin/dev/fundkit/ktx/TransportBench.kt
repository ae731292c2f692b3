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
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.RequestBody.Companion.toRequestBody
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test
import java.util.concurrent.ConcurrentLinkedQueue

/**
 * What crossing the FFI costs a batch request through [OkHttpTransport]: the core logs how
 * long each `send` took as it saw it (`transport answered … micros=`), this wrapper times
 * the same call inside Kotlin; the difference is the crossing both ways (lowering the
 * request, the foreign-future machinery, lifting the answer). And the same drain through
 * OkHttp, through the library's reqwest and as the server's raw ingest, in one run. Run on
 * purpose (docs/performance.md, "The transport seam"):
 *   mvn test -Dgroups=bench -DexcludedGroups=none -Dtest=TransportBench
 */
@Tag("bench")
class TransportBench {
    private class Timed(private val inner: HttpTransport) : HttpTransport {
        /** (entered, left) this `send`, System.nanoTime(), per batch request. */
        val batchNanos = ConcurrentLinkedQueue<Pair<Long, Long>>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            val start = System.nanoTime()
            try {
                val r = inner.send(request)
                if (request.url.endsWith("/v1/donations/batch")) last = request to r
                return r
            } finally {
                if (request.url.endsWith("/v1/donations/batch")) batchNanos.add(start to System.nanoTime())
            }
        }

        @Volatile var last: Pair<HttpRequest, HttpResponse>? = null
        val lowerNanos = ConcurrentLinkedQueue<Long>()
        val liftNanos = ConcurrentLinkedQueue<Long>()
        val bodySizes = ConcurrentLinkedQueue<Int>()

        fun probe(request: HttpRequest, response: HttpResponse) {
            val t0 = System.nanoTime()
            val rb = dev.fundkit.FfiConverterTypeHttpResponse.lower(response)
            val t1 = System.nanoTime()
            dev.fundkit.RustBuffer.free(rb)
            lowerNanos.add(t1 - t0)
            val rq = dev.fundkit.FfiConverterTypeHttpRequest.lower(request)
            val t2 = System.nanoTime()
            dev.fundkit.FfiConverterTypeHttpRequest.lift(rq)
            liftNanos.add(System.nanoTime() - t2)
            bodySizes.add(response.body.size)
        }
    }

    /** The core's own view of each batch request: how long, and when (CLOCK_MONOTONIC, the clock of System.nanoTime()) it sent and had the answer. */
    private class Collect : LogSink {
        val batchMicros = ConcurrentLinkedQueue<Long>()
        val batchSentAnswered = ConcurrentLinkedQueue<Pair<Long, Long>>()
        private val pattern =
            Regex("""path="?v1/donations/batch"? status=200 micros=(\d+) sent_at_ns=(\d+) answered_at_ns=(\d+)""")

        override fun log(record: LogRecord) {
            pattern.find(record.message)?.let {
                batchMicros.add(it.groupValues[1].toLong())
                batchSentAnswered.add(it.groupValues[2].toLong() to it.groupValues[3].toLong())
            }
        }
    }

    /** `fundkit serve` that lets one device queue as many as the bench needs. */
    private class BenchServer(private val process: Process, val url: String) : AutoCloseable {
        override fun close() {
            process.outputStream.close() // both servers stop when their standard input closes
            process.destroy()
            process.waitFor()
        }
    }

    /**
     * The server the crossing is measured against: `fundkit serve` on loopback, or, with
     * `-Dfundkit.bench.rttMs=N`, the same server behind `fundkit-faulty-net`'s proxy holding
     * every request N ms, as a phone's round trip does.
     */
    private fun crossingServer(): BenchServer {
        val rtt = System.getProperty("fundkit.bench.rttMs") ?: return benchServer()
        val dir = System.getProperty("fundkit.bin.dir") ?: System.getProperty("jna.library.path")
        val process =
            ProcessBuilder(
                java.io.File(dir, "fundkit-faulty-net").path, "--delay-ms", rtt, "--offline-max-count", "1000000",
                "--rate-limit-per-minute", "0",
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val first = process.inputStream.bufferedReader().readLine()
        check(first != null && " proxy " in first) { "fundkit-faulty-net did not start: $first" }
        return BenchServer(process, first.substringAfter(" proxy ").substringBefore(" seed ").trim())
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

    /** Median time, in microseconds, from a thread unparking a parked one to that one running. */
    private fun handoffMicros(): Double {
        val woken = java.util.concurrent.atomic.AtomicLong()
        val sent = java.util.concurrent.atomic.AtomicLong()
        val samples = ArrayList<Long>()
        val sleeper =
            Thread {
                while (!Thread.currentThread().isInterrupted) {
                    java.util.concurrent.locks.LockSupport.park()
                    if (sent.get() != 0L && woken.get() == 0L) woken.set(System.nanoTime())
                }
            }.apply { isDaemon = true; start() }
        repeat(300) {
            Thread.sleep(2) // the sleeper parks, as the core's and the dispatcher's threads do between requests
            woken.set(0)
            sent.set(System.nanoTime())
            java.util.concurrent.locks.LockSupport.unpark(sleeper)
            while (woken.get() == 0L) Thread.onSpinWait()
            samples.add(woken.get() - sent.get())
            sent.set(0)
        }
        sleeper.interrupt()
        return samples.sorted()[samples.size / 2] / 1e3
    }

    @Test
    fun `ffi crossing per batch request`() =
        runBlocking {
            val n = (System.getProperty("fundkit.bench.n") ?: "10000").toInt()
            crossingServer().use { server ->
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
                // Round 1 runs on a cold JVM: the JNA and UniFFI code of the crossing runs 100
                // times, mostly interpreted. Later rounds drain again in the same JVM, as an
                // app that has been running a while does (fundkit.bench.rounds, default 2).
                val rounds = (System.getProperty("fundkit.bench.rounds") ?: "2").toInt()
                FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, timed).use { fk ->
                    fk.refreshFundraiser(id)
                    fk.syncNow() // the server's limits: this one lets a device queue n
                    for (round in 1..rounds) {
                        // Online (no offline caps) with background sync off: all of them queue.
                        repeat(n) {
                            val outcome = fk.donate(DonationRequest(id, Money(100, "USD"), null, Visibility.PUBLIC, false, "tok_ok"))
                            check(outcome is DonateOutcome.Queued) { "$outcome" }
                        }
                        timed.batchNanos.clear()
                        sink.batchMicros.clear()
                        sink.batchSentAnswered.clear()
                        dev.fundkit.setLogSink(sink, LogLevel.DEBUG)
                        val start = System.nanoTime()
                        val report = fk.syncNow()
                        val total = (System.nanoTime() - start) / 1e6
                        dev.fundkit.setLogSink(null, LogLevel.OFF)
                        assertEquals(n.toUInt(), report.confirmed)
                        val kotlin = timed.batchNanos.toList()
                        val core = sink.batchSentAnswered.toList()
                        val inner = kotlin.map { (entered, left) -> (left - entered) / 1e3 }
                        val outer = sink.batchMicros.map { it.toDouble() }
                        assertEquals(inner.size, outer.size)
                        assertEquals(kotlin.size, core.size)
                        val crossing = outer.zip(inner).map { (o, i) -> o - i }.sorted()
                        // The crossing, split: from the core's send to Kotlin's `send` running
                        // (lowering the request, the upcall, the coroutine UniFFI launches,
                        // lifting), and from Kotlin's answer to the core holding it (lowering
                        // the answer, completing the foreign future, the core's thread waking,
                        // lifting, releasing the future).
                        val there = core.zip(kotlin).map { (c, k) -> (k.first - c.first) / 1e3 }
                        val back = core.zip(kotlin).map { (c, k) -> (c.second - k.second) / 1e3 }
                        val median = { xs: List<Double> -> xs.sorted()[xs.size / 2] }
                        println(
                            ("transport bench: round $round (${if (round == 1) "cold" else "warm"} JVM): drained $n in %.0f ms, %d batch requests; " +
                                "per batch median: inside OkHttp %.0f us, as the core saw it %.0f us, FFI crossing %.0f us " +
                                "(%.2f%% of the request; mean %.0f us): core to Kotlin %.0f us, Kotlin to core %.0f us").format(
                                total, inner.size, median(inner), median(outer), median(crossing),
                                100 * median(crossing) / median(outer), crossing.average(), median(there), median(back),
                            ),
                        )
                    }
                    // Parts of the crossing, measured apart on the last batch: the Kotlin side
                    // of lifting the request and lowering the answer (UniFFI's converters).
                    val (lq, lr) = timed.last!!
                    repeat(200) { timed.probe(lq, lr) }
                    val med = { xs: Collection<Long> -> xs.sorted()[xs.size / 2] / 1e3 }
                    // A floor for the hand-offs: the crossing hands the request from the core's
                    // thread to a coroutine UniFFI launches, and the answer back to the core's
                    // thread. One hand-off on this machine: a thread wakes a parked one.
                    println(
                        ("transport bench: request body %d bytes, answer body %d bytes; Kotlin lifts the request in %.0f us, " +
                            "lowers the answer in %.0f us; one thread hand-off %.0f us").format(
                            lq.body?.size ?: 0, lr.body.size, med(timed.liftNanos), med(timed.lowerNanos), handoffMicros(),
                        ),
                    )
                }
            }
        }

    /** Keeps the batch requests the core sent, to post the same bodies again without it. */
    private class Recording(private val inner: HttpTransport) : HttpTransport {
        val batches = ConcurrentLinkedQueue<HttpRequest>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            if (request.url.endsWith("/v1/donations/batch")) batches.add(request)
            return inner.send(request)
        }
    }

    /** Queues [n] donations on a fresh database, then times the drain (syncNow): donations/s. */
    private suspend fun drain(server: BenchServer, fundraiserId: String, token: String, n: Int, transport: HttpTransport?): Double {
        val config = testConfig(server.url)
        val tokens = TokenSource { token }
        val fk = if (transport == null) FundKit.open(config, tokens) else FundKit.open(config, tokens, transport)
        return fk.use {
            fk.refreshFundraiser(fundraiserId)
            fk.syncNow() // the server's limits: this one lets a device queue n
            repeat(n) {
                val outcome = fk.donate(DonationRequest(fundraiserId, Money(100, "USD"), null, Visibility.PUBLIC, false, "tok_ok"))
                check(outcome is DonateOutcome.Queued) { "$outcome" }
            }
            val start = System.nanoTime()
            val report = fk.syncNow()
            val seconds = (System.nanoTime() - start) / 1e9
            assertEquals(null, report.error)
            assertEquals(n.toUInt(), report.confirmed)
            n / seconds
        }
    }

    /**
     * The server's raw ingest: the core's batch bodies posted again, one after another as the
     * core sends them, with plain OkHttp (no core, no FFI; its sockets set up as
     * OkHttpTransport's, Nagle off), each donation id replaced by a fresh one so the server
     * stores them anew: donations/s.
     */
    private fun rawIngest(batches: List<HttpRequest>, n: Int): Double {
        val http = okhttp3.OkHttpClient.Builder().socketFactory(NoDelaySocketFactory(javax.net.SocketFactory.getDefault())).build()
        val idPattern = Regex("\"id\":\"[^\"]+\"")
        val requests =
            batches.map { batch ->
                val body = idPattern.replace(batch.body!!.decodeToString()) { "\"id\":\"${FundKit.newDonationId()}\"" }
                val headers = okhttp3.Headers.Builder()
                for (h in batch.headers) {
                    if (h.name.equals("Idempotency-Key", ignoreCase = true)) headers.add(h.name, FundKit.newDonationId()) else headers.add(h.name, h.value)
                }
                okhttp3.Request.Builder()
                    .url(batch.url)
                    .headers(headers.build())
                    .post(body.encodeToByteArray().toRequestBody("application/json".toMediaType()))
                    .build()
            }
        // The connection open and the client warm before the clock starts, as the core's is
        // (its drain follows a first sync).
        val warmUp = requests.first().newBuilder().url(requests.first().url.resolve("/v1/config")!!).get().build()
        repeat(3) { http.newCall(warmUp).execute().use { check(it.code == 200) { "raw ingest warm-up: ${it.code}" } } }
        val answers = ArrayList<String>(requests.size)
        val start = System.nanoTime()
        for (request in requests) {
            http.newCall(request).execute().use { response ->
                check(response.code == 200) { "raw ingest: ${response.code}" }
                answers += response.body.string()
            }
        }
        val seconds = (System.nanoTime() - start) / 1e9
        // Every donation taken anew (not a replay of the core's answer).
        val accepted = Regex("\"outcome\":\"accepted\",\"duplicate\":false")
        val stored = answers.sumOf { accepted.findAll(it).count() }
        check(stored == n) { "raw ingest: $stored of $n accepted anew; first answer: ${answers.firstOrNull()?.take(300)}" }
        return n / seconds
    }

    @Test
    fun `drain through OkHttp, through reqwest, and the server's raw ingest`() =
        runBlocking {
            val n = (System.getProperty("fundkit.bench.n") ?: "10000").toInt()
            val rounds = (System.getProperty("fundkit.bench.rounds") ?: "2").toInt()
            benchServer().use { server ->
                val id =
                    FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }, OkHttpTransport()).use { fk ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Category.EMERGENCY,
                                "Bench", "A story worth telling.", Money(10_000_000, "USD"), "US",
                            )
                        (fk.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                    }
                for (round in 1..rounds) {
                    // Each on a fresh database, the three one after another on the same server.
                    val recording = Recording(OkHttpTransport())
                    val okhttp = drain(server, id, "dev-donor-1", n, recording)
                    val reqwest = drain(server, id, "dev-donor-2", n, null)
                    val raw = rawIngest(recording.batches.toList(), n)
                    println(
                        ("transport bench: round $round (${if (round == 1) "cold" else "warm"} JVM): drained $n in %d batch requests: " +
                            "OkHttp %.0f donations/s, reqwest %.0f donations/s, the server's raw ingest %.0f donations/s; " +
                            "ratios of donations/s: OkHttp/raw %.2f, reqwest/raw %.2f, OkHttp/reqwest %.2f").format(
                            recording.batches.size, okhttp, reqwest, raw, okhttp / raw, reqwest / raw, okhttp / reqwest,
                        ),
                    )
                }
            }
        }
}
