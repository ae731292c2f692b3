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
import okhttp3.OkHttpClient
import okhttp3.Request
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.util.concurrent.TimeUnit
import kotlin.random.Random

/**
 * The Rust soak's promise, kept through OkHttp: several devices (each its own database and
 * [OkHttpTransport]) donate, go offline and sync through the fault-injecting proxy
 * (`fundkit-faulty-net`: dropped requests, dropped, cut and reset answers, requests
 * delivered twice, 5xx and 429 with Retry-After, delays, partial and reordered batch
 * answers). Then the network calms, every device drains, and the server is asked: every
 * donation a device acknowledged is on the server exactly once (lost 0, duplicated 0),
 * none is left pending (stuck 0), the fundraiser's count and total are the devices' own,
 * and the payment provider charged exactly that (no money created).
 *
 * Seeded: `-Dfundkit.seed=N` replays a run (the seed is printed).
 */
class FaultyNetworkTest {
    private class FaultyNet(
        private val process: Process,
        private val input: BufferedReader,
        val serverUrl: String,
        val proxyUrl: String,
    ) : AutoCloseable {
        private val output = process.outputStream.bufferedWriter()

        /** One command, one line of JSON back. */
        fun command(line: String): String {
            output.write(line + "\n")
            output.flush()
            return input.readLine() ?: error("fundkit-faulty-net ended")
        }

        override fun close() {
            output.close() // it stops when its standard input closes
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
        }
    }

    private fun faultyNet(seed: Long): FaultyNet {
        val dir = System.getProperty("fundkit.bin.dir") ?: System.getProperty("jna.library.path")
        val bin = File(dir, "fundkit-faulty-net")
        require(bin.canExecute()) { "build it first: cargo build -p fundkit-e2e --bin fundkit-faulty-net (looked for $bin)" }
        val process =
            ProcessBuilder(bin.path, "--seed", seed.toString(), "--per-mille", "250")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start()
        val input = BufferedReader(InputStreamReader(process.inputStream))
        val first = input.readLine()
        // "faulty net: server URL proxy URL seed N"
        val words = first?.split(" ").orEmpty()
        require(words.size >= 7 && words[2] == "server" && words[4] == "proxy") { "fundkit-faulty-net did not start: $first" }
        return FaultyNet(process, input, words[3], words[5])
    }

    private class Device(val token: String, val fk: FundKit)

    @Test
    fun `through OkHttp and a faulty network, nothing is lost, doubled or stuck`() =
        runBlocking {
            val seed = System.getProperty("fundkit.seed")?.toLong() ?: Random.nextLong(1, Long.MAX_VALUE)
            println("faulty network: seed $seed (replay with -Dfundkit.seed=$seed)")
            val rng = Random(seed)
            faultyNet(seed).use { net ->
                val fundraiserId =
                    FundKit.open(testConfig(net.serverUrl), TokenSource { "dev-organiser" }, OkHttpTransport()).use { fk ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Category.EMERGENCY,
                                "Flood relief", "The river took the bakery's ovens.", Money(10_000_000, "USD"), "US",
                            )
                        (fk.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
                    }
                val devices =
                    listOf("dev-donor-1", "dev-donor-1", "dev-donor-2").map { token ->
                        Device(token, FundKit.open(testConfig(net.proxyUrl), TokenSource { token }, OkHttpTransport()))
                    }
                try {
                    // Each device learns the fundraiser (and the server's limits) through the faults.
                    for (d in devices) {
                        var cached = false
                        for (attempt in 0 until 50) {
                            cached = runCatching { d.fk.refreshFundraiser(fundraiserId) }.isSuccess
                            if (cached) break
                        }
                        assertTrue(cached, "the fundraiser never came through the faulty network")
                    }
                    // id -> (device, amount, payment token) of every donation a device acknowledged.
                    val acknowledged = LinkedHashMap<String, Triple<Int, Long, String>>()
                    var doubleTaps = 0
                    var failedPasses = 0
                    for (round in 0 until 40) {
                        val i = rng.nextInt(devices.size)
                        val fk = devices[i].fk
                        fk.setOnline(rng.nextInt(10) < 8)
                        repeat(rng.nextInt(5)) {
                            val token = if (rng.nextInt(10) == 0) "tok_declined" else "tok_ok"
                            val cents = rng.nextLong(100, 5_000)
                            val request =
                                DonationRequest(fundraiserId, Money(cents, "USD"), null, Visibility.PUBLIC, false, token, FundKit.newDonationId())
                            val outcome = fk.donate(request)
                            // A cap may refuse one offline: a refusal is not an acknowledgement.
                            if (outcome is DonateOutcome.Queued) {
                                acknowledged[outcome.donation.id] = Triple(i, cents, token)
                                if (rng.nextInt(5) == 0) {
                                    // A double tap on Confirm: the same donation, nothing new.
                                    val again = fk.donate(request)
                                    assertEquals(outcome.donation.id, (again as DonateOutcome.Queued).donation.id)
                                    doubleTaps++
                                }
                            }
                        }
                        fk.setOnline(true)
                        if (fk.syncNow().error != null) failedPasses++
                    }

                    // Calm network: every device drains.
                    assertEquals("""{"calm":true}""", net.command("calm"))
                    for (d in devices) {
                        for (attempt in 0 until 5) {
                            val report = d.fk.syncNow()
                            if (report.remaining == 0u && report.error == null) break
                        }
                    }

                    // On the devices: every acknowledged donation ended, and as it should.
                    var stuck = 0
                    val confirmed = HashSet<String>()
                    var confirmedCents = 0L
                    for ((id, ack) in acknowledged) {
                        val (i, cents, token) = ack
                        val donation = devices[i].fk.donation(id) ?: error("acknowledged donation $id lost on the device")
                        assertEquals(cents, donation.amount.minorUnits)
                        when (donation.state) {
                            DonationState.CONFIRMED -> {
                                assertEquals("tok_ok", token, id)
                                confirmed += id
                                confirmedCents += cents
                            }
                            DonationState.REJECTED -> assertEquals("tok_declined" to "declined", token to donation.reason, id)
                            DonationState.QUEUED, DonationState.SENDING -> stuck++
                            else -> error("$id ($token): unexpected ${donation.state} (${donation.reason})")
                        }
                    }
                    for (d in devices) assertEquals(emptyList<Any>(), d.fk.pendingDonations(), "a device's queue is not empty")
                    assertEquals(0, stuck, "stuck")

                    // On the server, asked directly (not through the proxy): each confirmed
                    // donation exactly once, nothing else, and the fundraiser's count and total.
                    val onServer = HashMap<String, Int>()
                    val confirmedOnServer = HashSet<String>()
                    for (token in devices.map { it.token }.distinct()) {
                        for ((id, state) in serverDonations(net.serverUrl, token)) {
                            onServer.merge(id, 1, Int::plus)
                            if (state == "confirmed") confirmedOnServer += id
                        }
                    }
                    val duplicated = onServer.values.sumOf { it - 1 }
                    val lost = confirmed.count { it !in confirmedOnServer }
                    val strangers = onServer.keys.count { it !in acknowledged } + confirmedOnServer.count { it !in confirmed }
                    assertEquals(0, duplicated, "duplicated on the server")
                    assertEquals(0, lost, "confirmed on a device, absent on the server")
                    assertEquals(0, strangers, "on the server, not confirmed on any device")
                    val view =
                        FundKit.open(testConfig(net.serverUrl), TokenSource { "dev-organiser" }, OkHttpTransport()).use {
                            it.refreshFundraiser(fundraiserId)
                        }
                    assertEquals(confirmed.size.toULong(), view.fundraiser.donationCount, "server count vs devices")
                    assertEquals(confirmedCents, view.fundraiser.confirmedTotal.minorUnits, "server total vs devices")

                    val report = net.command("report")
                    assertTrue(report.contains("\"ledger_mismatches\":0"), "money created or lost: $report")
                    val faults = Regex(""""faults":\{([^}]*)\}""").find(report)?.groupValues?.get(1).orEmpty()
                    assertTrue(faults.isNotEmpty(), "no fault was injected: $report")
                    assertTrue(acknowledged.size > 10, "the run must exercise something (${acknowledged.size} donations)")
                    println(
                        "faulty network: seed $seed, ${acknowledged.size} donations acknowledged (${confirmed.size} confirmed), " +
                            "double taps $doubleTaps, passes that met a fault $failedPasses, proxy $report; " +
                            "lost: $lost, duplicated: $duplicated, stuck: $stuck",
                    )
                } finally {
                    devices.forEach { it.fk.close() }
                }
            }
        }

    /** `GET /v1/me/donations` on the server itself: (id, state) of each donation it holds for the donor. */
    private fun serverDonations(serverUrl: String, token: String): List<Pair<String, String>> {
        val request = Request.Builder().url(serverUrl.trimEnd('/') + "/v1/me/donations").header("Authorization", "Bearer $token").build()
        val body = OkHttpClient().newCall(request).execute().use { resp ->
            assertEquals(200, resp.code)
            resp.body.string()
        }
        // One object per donation, its id first; the server caps the list at 500.
        return body.split("{\"id\":\"").drop(1).map { item ->
            val id = item.substringBefore('"')
            val state = Regex(""""state":"(\w+)"""").find(item)?.groupValues?.get(1) ?: error("no state: $item")
            id to state
        }.also { assertTrue(it.size < 500, "more donations than one page holds") }
    }
}
