package dev.fundkit.ktx

import com.sun.net.httpserver.HttpServer
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.DonationState
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.HttpRequest
import dev.fundkit.Money
import dev.fundkit.SyncProblem
import dev.fundkit.TransportException
import dev.fundkit.Visibility
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import okhttp3.Call
import okhttp3.ConnectionSpec
import okhttp3.OkHttpClient
import okhttp3.Request
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.BufferedReader
import java.io.File
import java.io.IOException
import java.io.InputStreamReader
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * FundKit's requests through [OkHttpTransport] (the library Android ships has no HTTP
 * stack of its own) against the real reference server: a donation end to end, the
 * server's rate limit answered with Retry-After and honoured, and a redirect that is
 * not followed although the app's OkHttpClient follows redirects. And the transport's own
 * failures, `send` called directly: past its timeout, cancelled, refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OkHttpTransportTest {
    private lateinit var server: Process
    private lateinit var url: String
    private lateinit var fundraiserId: String

    /** The app's own client: its interceptors apply to FundKit's requests. */
    private val seen = AtomicInteger()
    private val appClient =
        OkHttpClient.Builder()
            .addInterceptor { chain ->
                seen.incrementAndGet()
                chain.proceed(chain.request())
            }
            .build()

    @BeforeAll
    fun start() {
        val dir = System.getProperty("fundkit.bin.dir") ?: System.getProperty("jna.library.path")
        val bin = File(dir, "fundkit")
        require(bin.canExecute()) { "build the CLI first: cargo build -p fundkit-cli (looked for $bin)" }
        // 60 requests a minute per user (one a second, burst 60): low enough to reach.
        server =
            ProcessBuilder(
                bin.path, "serve", "--addr", "127.0.0.1:0", "--auto-approve", "--exit-with-stdin",
                "--rate-limit-per-minute", "60",
            )
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start()
        val first = BufferedReader(InputStreamReader(server.inputStream)).readLine()
        url = first?.substringAfter(" on ", "")?.trim().orEmpty()
        require(url.startsWith("http://127.0.0.1:")) { "server did not start: $first" }
        fundraiserId =
            runBlocking {
                open("dev-organiser").use { fk ->
                    val draft =
                        FundraiserDraft(
                            kind = FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE),
                            category = Category.EMERGENCY,
                            title = "Bridge repairs",
                            story = "The footbridge to the school washed away.",
                            goal = Money(500_000, "USD"),
                            country = "US",
                        )
                    (fk.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                }
            }
    }

    @AfterAll
    fun stop() {
        server.destroy()
        if (!server.waitFor(5, TimeUnit.SECONDS)) server.destroyForcibly()
    }

    private fun open(token: String, serverUrl: String = url) =
        FundKit.open(testConfig(serverUrl), TokenSource { token }, OkHttpTransport(appClient))

    private fun donation(amount: Long) =
        DonationRequest(fundraiserId, Money(amount, "USD"), null, Visibility.PUBLIC, false, "tok_ok")

    @Test
    fun `a donation goes end to end through OkHttp`() =
        runBlocking {
            open("dev-donor-1").use { fk ->
                fk.refreshFundraiser(fundraiserId)
                val before = seen.get()
                val outcome = fk.donate(donation(2_500))
                assertTrue(outcome is DonateOutcome.Queued, "$outcome")
                val report = fk.syncNow()
                assertEquals(null, report.error)
                assertEquals(1u, report.confirmed)
                assertEquals(DonationState.CONFIRMED, fk.pastDonations().first().state)
                // The app's interceptor saw FundKit's requests: its own client carried them.
                assertTrue(seen.get() > before, "the app's interceptor saw no request")
                val view = fk.fundraiser(fundraiserId)!!
                assertTrue(view.fundraiser.confirmedTotal.minorUnits >= 2_500L, "raised ${view.fundraiser.confirmedTotal}")
            }
        }

    @Test
    fun `the core's sync thread is attached to the JVM once, not on every request`() =
        runBlocking {
            fun attached() = Thread.getAllStackTraces().keys.count { it.name == FUNDKIT_NATIVE_THREAD }
            open("dev-donor-1").use { fk ->
                fk.refreshFundraiser(fundraiserId)
                assertTrue(fk.donate(donation(300)) is DonateOutcome.Queued)
                assertEquals(null, fk.syncNow().error)
                // JNA's default would attach the thread for each call into Kotlin (a new
                // java.lang.Thread each time) and detach it on return: none would stay.
                val afterFirst = attached()
                assertTrue(afterFirst >= 1, "the sync thread did not stay attached")
                repeat(3) {
                    assertTrue(fk.donate(donation(300)) is DonateOutcome.Queued)
                    assertEquals(null, fk.syncNow().error)
                }
                assertEquals(afterFirst, attached(), "requests attach threads of their own")
            }
        }

    @Test
    fun `the server's Retry-After is honoured, then the donation goes through`() =
        runBlocking {
            val token = "dev-donor-2"
            // Spend the user's budget with plain requests until the server says 429.
            var retryAfter: String? = null
            val fk = open(token)
            fk.refreshFundraiser(fundraiserId)
            for (i in 0 until 200) {
                val request = Request.Builder().url(url.trimEnd('/') + "/v1/config").header("Authorization", "Bearer $token").build()
                appClient.newCall(request).execute().use { resp ->
                    if (resp.code == 429) retryAfter = resp.header("Retry-After")
                }
                if (retryAfter != null) break
            }
            assertTrue(retryAfter != null && retryAfter!!.toLong() >= 1, "no 429 with Retry-After (got $retryAfter)")
            fk.use {
                fk.setOnline(false)
                val outcome = fk.donate(donation(1_000))
                assertTrue(outcome is DonateOutcome.Queued, "$outcome")
                fk.setOnline(true)
                val started = System.currentTimeMillis()
                val limited = fk.syncNow()
                val problem = limited.error
                assertTrue(problem is SyncProblem.Offline && problem.detail.contains("429"), "expected a 429, got $problem")
                // Without Retry-After the first failure waits at most 500 ms (full jitter);
                // the server's Retry-After (at least 1 s) is what sets the next attempt.
                val next = withTimeout(5_000) { fk.syncState.first { it.nextAttemptAtMs != null } }.nextAttemptAtMs!!
                assertTrue(next - started >= 1_000, "next attempt at $next, started at $started")
                // Once the budget refills the queued donation goes through.
                var confirmed = 0u
                val deadline = System.currentTimeMillis() + 30_000
                while (confirmed == 0u && System.currentTimeMillis() < deadline) {
                    delay(1_500)
                    confirmed += fk.syncNow().confirmed
                }
                assertEquals(1u, confirmed)
                assertEquals(DonationState.CONFIRMED, fk.pastDonations().first().state)
            }
        }

    @Test
    fun `plain HTTP the app's policy forbids is a security refusal, and the donation stays queued`() =
        runBlocking {
            // The app's client speaks TLS only (as Android's Network Security Config makes
            // OkHttp do in a release build): the plain-HTTP server must not be reached.
            val tlsOnly = appClient.newBuilder().connectionSpecs(listOf(ConnectionSpec.MODERN_TLS)).build()
            val config = testConfig(url)
            val tokens = TokenSource { "dev-donor-1" }
            FundKit.open(config, tokens, OkHttpTransport(appClient)).use { it.refreshFundraiser(fundraiserId) }
            FundKit.open(config, tokens, OkHttpTransport(tlsOnly)).use { fk ->
                fk.setOnline(false)
                assertTrue(fk.donate(donation(900)) is DonateOutcome.Queued)
                fk.setOnline(true)
                val report = fk.syncNow()
                val problem = report.error
                // Transient to the engine like every transport failure, but it says why: the
                // policy, not a missing network.
                assertTrue(
                    problem is SyncProblem.Offline && "TLS: UnknownServiceException: CLEARTEXT" in problem.detail,
                    "expected a TLS refusal, got $problem",
                )
                assertEquals(0u, report.confirmed)
                assertEquals(DonationState.QUEUED, fk.pendingDonations().single().state)
            }
        }

    @Test
    fun `a redirect is not followed, even though the app's client follows redirects`() =
        runBlocking {
            // Sends everything to the real server with a 307: following it would succeed.
            val hits = AtomicInteger()
            val redirector = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
            redirector.createContext("/") { exchange ->
                hits.incrementAndGet()
                val target = url.trimEnd('/') + exchange.requestURI.toString()
                exchange.responseHeaders.add("Location", target)
                exchange.sendResponseHeaders(307, -1)
                exchange.close()
            }
            redirector.start()
            try {
                val redirecting = "http://127.0.0.1:${redirector.address.port}/"
                assertTrue(OkHttpClient().followRedirects, "OkHttp's default follows redirects")
                // The fundraiser cached from the real server, then the same database opened
                // on the redirecting one.
                val config = testConfig(url)
                val tokens = TokenSource { "dev-donor-1" }
                FundKit.open(config, tokens, OkHttpTransport(appClient)).use { it.refreshFundraiser(fundraiserId) }
                FundKit.open(config.copy(serverUrl = redirecting), tokens, OkHttpTransport(appClient)).use { fk ->
                    fk.setOnline(false)
                    val outcome = fk.donate(donation(700))
                    assertTrue(outcome is DonateOutcome.Queued, "$outcome")
                    fk.setOnline(true)
                    val report = fk.syncNow()
                    val problem = report.error
                    assertTrue(
                        problem is SyncProblem.ServerRefused && problem.code == "redirect_not_followed" && problem.status == 307.toUShort(),
                        "expected redirect_not_followed, got $problem",
                    )
                    assertEquals(0u, report.confirmed)
                    // One request reached the redirector and none went on to the real server.
                    assertEquals(1, hits.get())
                    assertEquals(1, fk.pendingDonations().size)
                    assertEquals(DonationState.QUEUED, fk.pendingDonations().first().state)
                }
            } finally {
                redirector.stop(0)
            }
        }

    /**
     * A server that takes each request and never answers: the exchange is held until
     * [release]. Released, it writes until the connection refuses the bytes, which tells
     * whether the client closed it ([closedSeen]).
     */
    private class Silent : AutoCloseable {
        val arrived = CountDownLatch(1)
        val release = CountDownLatch(1)
        val closedSeen = CountDownLatch(1)
        private val threads = Executors.newCachedThreadPool { r -> Thread(r, "silent-server").apply { isDaemon = true } }
        private val server =
            HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
                executor = threads
                createContext("/") { exchange ->
                    arrived.countDown()
                    release.await(30, TimeUnit.SECONDS)
                    try {
                        exchange.sendResponseHeaders(200, 0)
                        val out = exchange.responseBody
                        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5)
                        while (System.nanoTime() < deadline) {
                            out.write(ByteArray(8_192))
                            out.flush()
                            Thread.sleep(10)
                        }
                    } catch (e: IOException) {
                        closedSeen.countDown()
                    } finally {
                        exchange.close()
                    }
                }
                start()
            }
        val url = "http://127.0.0.1:${server.address.port}/v1/config"

        override fun close() {
            release.countDown()
            server.stop(0)
            threads.shutdown()
        }
    }

    private fun get(url: String, timeoutMs: Long, maxResponseBytes: Long = 1_000_000) =
        HttpRequest(
            method = "GET", url = url, headers = emptyList(), body = null,
            timeoutMs = timeoutMs.toULong(), maxResponseBytes = maxResponseBytes.toULong(),
        )

    @Test
    fun `a request past its timeout is TimedOut, not Cancelled (OkHttp's call timeout cancels the call)`() =
        runBlocking {
            Silent().use { silent ->
                val started = System.nanoTime()
                val e = runCatching { OkHttpTransport(appClient).send(get(silent.url, 300)) }.exceptionOrNull()
                val tookMs = (System.nanoTime() - started) / 1_000_000
                assertTrue(silent.arrived.await(0, TimeUnit.SECONDS), "the request never reached the server")
                assertTrue(e is TransportException.TimedOut, "expected TimedOut, got $e")
                assertTrue(tookMs in 250..5_000, "gave up after $tookMs ms, the timeout is 300 ms")
            }
        }

    @Test
    fun `cancelling the coroutine cancels the call, and its connection closes`() =
        runBlocking {
            Silent().use { silent ->
                var thrown: Throwable? = null
                val job =
                    launch(Dispatchers.Default) {
                        try {
                            // No size limit in the way: only the cancellation may end the call early.
                            OkHttpTransport(appClient).send(get(silent.url, 30_000, maxResponseBytes = 1_000_000_000))
                        } catch (t: Throwable) {
                            thrown = t
                            throw t
                        }
                    }
                assertTrue(silent.arrived.await(10, TimeUnit.SECONDS), "the request never reached the server")
                job.cancelAndJoin()
                assertTrue(thrown is CancellationException, "expected the coroutine's cancellation, got $thrown")
                // Had the call gone on, the server's answer would be read and the connection
                // kept: its writes would go through.
                silent.release.countDown()
                assertTrue(silent.closedSeen.await(10, TimeUnit.SECONDS), "the call was not cancelled: its connection stayed open")
            }
        }

    @Test
    fun `a call cancelled under the transport is Cancelled`() =
        runBlocking {
            Silent().use { silent ->
                val calls = LinkedBlockingQueue<Call>()
                val watching =
                    appClient.newBuilder()
                        .addInterceptor { chain ->
                            calls.add(chain.call())
                            chain.proceed(chain.request())
                        }
                        .build()
                val result = async(Dispatchers.Default) { runCatching { OkHttpTransport(watching).send(get(silent.url, 30_000)) } }
                assertTrue(silent.arrived.await(10, TimeUnit.SECONDS), "the request never reached the server")
                calls.poll(5, TimeUnit.SECONDS)!!.cancel()
                val e = withTimeout(10_000) { result.await() }.exceptionOrNull()
                assertTrue(e is TransportException.Cancelled, "expected Cancelled, got $e")
            }
        }

    @Test
    fun `a refused connection is Offline`() =
        runBlocking {
            val port = ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")).use { it.localPort }
            val e = runCatching { OkHttpTransport(appClient).send(get("http://127.0.0.1:$port/v1/config", 5_000)) }.exceptionOrNull()
            assertTrue(e is TransportException.Offline, "expected Offline, got $e")
        }

    @Test
    fun `the transport's sockets come from the app's socket factory, with Nagle's delay off`() =
        runBlocking {
            val made = java.util.concurrent.ConcurrentLinkedQueue<java.net.Socket>()
            val plain = javax.net.SocketFactory.getDefault()
            val appFactory =
                object : javax.net.SocketFactory() {
                    private fun java.net.Socket.kept() = also { made.add(it) }

                    override fun createSocket() = plain.createSocket().kept()

                    override fun createSocket(host: String, port: Int) = plain.createSocket(host, port).kept()

                    override fun createSocket(host: String, port: Int, localHost: InetAddress, localPort: Int) =
                        plain.createSocket(host, port, localHost, localPort).kept()

                    override fun createSocket(host: InetAddress, port: Int) = plain.createSocket(host, port).kept()

                    override fun createSocket(address: InetAddress, port: Int, localAddress: InetAddress, localPort: Int) =
                        plain.createSocket(address, port, localAddress, localPort).kept()
                }
            // A pool of its own: OkHttp reuses a pooled connection whatever socket factory made it.
            val client = appClient.newBuilder().socketFactory(appFactory).connectionPool(okhttp3.ConnectionPool()).build()
            val response = OkHttpTransport(client).send(get(url.trimEnd('/') + "/v1/config", 5_000))
            assertTrue(response.status.toInt() in 200..499, "no answer: ${response.status}")
            assertTrue(made.isNotEmpty(), "the app's socket factory made no socket")
            // OkHttp leaves Nagle on: a batch's last piece would wait for the server's delayed ACK.
            assertTrue(made.all { it.tcpNoDelay }, "a socket with Nagle's algorithm on")
        }
}
