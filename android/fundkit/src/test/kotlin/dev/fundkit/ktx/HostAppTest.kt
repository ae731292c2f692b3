package dev.fundkit.ktx

import java.io.File
import java.nio.file.Files
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.w3c.dom.Element

/**
 * The library as a host app gets it: backup exclusions for the database, consumer R8 rules
 * that keep only what JNA and UniFFI need, and a native library linked for 16 KB pages on
 * every Android ABI. (The Android build itself needs the SDK and NDK; these check the files
 * it is made from, and the page-size check script on real ELF files.)
 */
class HostAppTest {
    private val root = generateSequence(File(System.getProperty("user.dir")).absoluteFile) { it.parentFile }
        .first { File(it, "uniffi.toml").isFile }
    private val lib = File(root, "android/fundkit")
    private val dbFiles = listOf("fundkit.db", "fundkit.db-wal", "fundkit.db-shm", "fundkit.db-journal")

    private fun excludes(section: Element): List<Pair<String, String>> {
        val nodes = section.getElementsByTagName("exclude")
        return (0 until nodes.length).map { (nodes.item(it) as Element).let { e -> e.getAttribute("domain") to e.getAttribute("path") } }
    }

    @Test
    fun `the database and its journals stay out of every backup and device transfer`() {
        val parse = { name: String -> DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(File(lib, "src/main/res/xml/$name")).documentElement }
        val full = parse("fundkit_backup_rules.xml")
        assertEquals("full-backup-content", full.tagName)
        assertEquals(dbFiles.map { "database" to it }, excludes(full))
        val extraction = parse("fundkit_data_extraction_rules.xml")
        for (section in listOf("cloud-backup", "device-transfer")) {
            val el = extraction.getElementsByTagName(section).item(0) as Element
            assertEquals(dbFiles.map { "database" to it }, excludes(el), section)
        }
        val manifest = File(lib, "src/main/AndroidManifest.xml").readText()
        assertTrue("android:dataExtractionRules=\"@xml/fundkit_data_extraction_rules\"" in manifest)
        assertTrue("android:fullBackupContent=\"@xml/fundkit_backup_rules\"" in manifest)
        // The app opens the database by that name.
        assertTrue("getDatabasePath(\"fundkit.db\")" in File(root, "android/app/src/main/kotlin/dev/fundkit/app/FundkitApp.kt").readText())
    }

    @Test
    fun `consumer R8 rules keep JNA and the UniFFI glue, not the whole library`() {
        val rules = File(lib, "consumer-rules.pro").readLines().map { it.trim() }.filter { it.startsWith("-keep") }
        assertFalse(rules.any { it.startsWith("-keep class dev.fundkit.** {") }, "no blanket keep of dev.fundkit: $rules")
        assertTrue(rules.any { it.startsWith("-keep class com.sun.jna.**") })
        val bindings = root.resolve("target/bindings/kotlin-android").walk().first { it.extension == "kt" }.readText()
        for (named in Regex("""dev\.fundkit\.(\w+)\b""").findAll(rules.joinToString("\n")).map { it.groupValues[1] }) {
            assertTrue(Regex("""interface $named\b""").containsMatchIn(bindings), "$named is in the generated bindings")
        }
        assertTrue(rules.any { "com.sun.jna.Structure" in it } && rules.any { "com.sun.jna.Callback" in it })
    }

    @Test
    fun `every Android ABI the build makes is linked for 16 KB pages`() {
        val gradle = File(lib, "build.gradle.kts").readText()
        val abis = Regex(""""-t", "([\w-]+)"""").findAll(gradle).map { it.groupValues[1] }.toList()
        assertEquals(listOf("arm64-v8a", "armeabi-v7a", "x86_64", "x86"), abis)
        val triples = mapOf("arm64-v8a" to "aarch64-linux-android", "armeabi-v7a" to "armv7-linux-androideabi", "x86_64" to "x86_64-linux-android", "x86" to "i686-linux-android")
        val cargo = File(root, ".cargo/config.toml").readText()
        for (abi in abis) {
            val section = cargo.substringAfter("[target.${triples[abi]}]", "").substringBefore("\n[")
            assertTrue("max-page-size=16384" in section, "${triples[abi]} links with -z max-page-size=16384")
        }
        assertTrue("check-page-size.sh" in gradle)
    }

    @Test
    fun `the page-size check accepts a 16 KB-aligned library and refuses a 4 KB one`() {
        val dir = Files.createTempDirectory("pages").toFile()
        val src = File(dir, "f.c").apply { writeText("int f(void) { return 1; }\n") }
        fun build(sub: String, pageSize: Int): File {
            val out = File(dir, sub).apply { mkdirs() }
            val p = ProcessBuilder("cc", "-shared", "-fPIC", "-Wl,-z,max-page-size=$pageSize", "-o", File(out, "libf.so").path, src.path).inheritIO().start()
            assertEquals(0, p.waitFor())
            return out
        }
        fun check(d: File) = ProcessBuilder("bash", File(root, "android/check-page-size.sh").path, d.path).inheritIO().start().waitFor()
        assertEquals(0, check(build("p16", 16384)))
        assertNotEquals(0, check(build("p4", 4096)))
    }

    /** The host names a network security config lets speak plain HTTP, and whether its base allows it. */
    private fun cleartext(file: File): Pair<Boolean, List<String>> {
        val config = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file).documentElement
        assertEquals("network-security-config", config.tagName)
        val base = config.getElementsByTagName("base-config").item(0) as Element
        val domains = config.getElementsByTagName("domain-config")
        val plain =
            (0 until domains.length).map { domains.item(it) as Element }
                .filter { it.getAttribute("cleartextTrafficPermitted") == "true" }
                .flatMap { dc ->
                    val names = dc.getElementsByTagName("domain")
                    (0 until names.length).map { (names.item(it) as Element).let { d -> assertEquals("false", d.getAttribute("includeSubdomains")); d.textContent.trim() } }
                }
        return (base.getAttribute("cleartextTrafficPermitted") != "false") to plain
    }

    @Test
    fun `the app speaks HTTPS only in release, and plain HTTP only to the loopback host in debug`() {
        val app = File(root, "android/app")
        val manifest = File(app, "src/main/AndroidManifest.xml").readText()
        assertTrue("android:networkSecurityConfig=\"@xml/network_security_config\"" in manifest)
        // With a config, usesCleartextTraffic is ignored: one place says what is allowed.
        assertFalse("usesCleartextTraffic" in manifest.replace(Regex("<!--.*?-->", RegexOption.DOT_MATCHES_ALL), ""))
        assertEquals(false to emptyList<String>(), cleartext(File(app, "src/main/res/xml/network_security_config.xml")), "release")
        val (debugBase, debugPlain) = cleartext(File(app, "src/debug/res/xml/network_security_config.xml"))
        assertFalse(debugBase, "debug's base config forbids plain HTTP")
        assertEquals(setOf("127.0.0.1", "localhost"), debugPlain.toSet(), "debug: the loopback host only, as the core allows")
        // The server each build type talks to fits its policy.
        val gradle = File(app, "build.gradle.kts").readText()
        val debugUrl = Regex("""debug \{[^}]*"SERVER_URL", "\\"([^"\\]+)\\""""").find(gradle)?.groupValues?.get(1)
        assertEquals("http://127.0.0.1:8080", debugUrl)
        assertTrue(java.net.URI(debugUrl!!).host in debugPlain)
        assertTrue(Regex("""release \{[^}]*"SERVER_URL", "\\"\${'$'}releaseServerUrl\\""""").containsMatchIn(gradle), "release reads fundkit.serverUrl")
        assertTrue("""require(releaseServerUrl.startsWith("https://"))""" in gradle, "a release build refuses a plain-HTTP server")
        assertTrue("serverUrl = BuildConfig.SERVER_URL" in File(app, "src/main/kotlin/dev/fundkit/app/FundkitApp.kt").readText())
    }
}
