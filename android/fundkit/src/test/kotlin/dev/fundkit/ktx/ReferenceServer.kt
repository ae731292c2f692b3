package dev.fundkit.ktx

import dev.fundkit.ClientConfig
import dev.fundkit.Clock
import dev.fundkit.Platform
import dev.fundkit.UserContext
import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong

/**
 * The real reference server (`fundkit serve`) on 127.0.0.1 with an OS-chosen port, for
 * the JVM tests. The binary sits next to the cdylib that JNA loads.
 */
class ReferenceServer private constructor(private val process: Process, val url: String) : AutoCloseable {
    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        fun start(): ReferenceServer {
            val dir = System.getProperty("fundkit.bin.dir") ?: System.getProperty("jna.library.path")
            val bin = File(dir, "fundkit")
            require(bin.canExecute()) { "build the CLI first: cargo build -p fundkit-cli (looked for $bin)" }
            val process =
                // --exit-with-stdin: it stops when this JVM ends, even if close() never runs.
                ProcessBuilder(bin.path, "serve", "--addr", "127.0.0.1:0", "--auto-approve", "--exit-with-stdin")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start()
            val first = BufferedReader(InputStreamReader(process.inputStream)).readLine()
            val url = first?.substringAfter(" on ", "")?.trim().orEmpty()
            require(url.startsWith("http://127.0.0.1:")) { "server did not start: $first" }
            return ReferenceServer(process, url)
        }
    }
}

/** A clock the test moves by hand (for expiry). */
class ManualClock(start: Long = System.currentTimeMillis()) : Clock {
    private val now = AtomicLong(start)

    override fun nowMs(): Long = now.get()

    fun advanceHours(hours: Long) {
        now.addAndGet(hours * 3_600_000)
    }
}

fun testConfig(
    url: String,
    country: String = "US",
    online: Boolean = true,
    locale: String = "en-US",
    databasePath: String = Files.createTempDirectory("fundkit").resolve("fundkit.db").toString(),
): ClientConfig =
    ClientConfig(
        databasePath = databasePath,
        serverUrl = url,
        user = UserContext(country = country, platform = Platform.ANDROID, ageYears = 30u),
        locale = locale,
        online = online,
        backgroundSync = false,
    )

/** What the donor's browser does on the reference server's bank page: `POST {"result": ...}`. */
fun bankPage(actionUrl: String, result: String): Int {
    val request =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(actionUrl))
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""{"result":"$result"}"""))
            .build()
    return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()
}
