package dev.fundkit.ktx

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.w3c.dom.Element

/**
 * The app's words: every string and plural in English has its Spanish, with the same
 * placeholders (an amount slot lost in translation would drop the amount), and every plural
 * has the quantities Android asks for in both languages.
 */
class ResourcesTest {
    private val res = generateSequence(File(System.getProperty("user.dir")).absoluteFile) { it.parentFile }
        .first { File(it, "uniffi.toml").isFile }.resolve("android/app/src/main/res")

    private class Words(val strings: Map<String, String>, val plurals: Map<String, Map<String, String>>)

    private fun read(folder: String): Words {
        val root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(File(res, "$folder/strings.xml")).documentElement
        val elements = (0 until root.childNodes.length).mapNotNull { root.childNodes.item(it) as? Element }
        return Words(
            elements.filter { it.tagName == "string" }.associate { it.getAttribute("name") to it.textContent },
            elements.filter { it.tagName == "plurals" }.associate { p ->
                val items = p.getElementsByTagName("item")
                p.getAttribute("name") to (0 until items.length).associate { i -> (items.item(i) as Element).let { it.getAttribute("quantity") to it.textContent } }
            },
        )
    }

    private fun slots(text: String) = Regex("""%(\d+\$)?[sd]""").findAll(text).map { it.value }.toSortedSet()

    @Test
    fun `every English word has its Spanish, with the same placeholders`() {
        val en = read("values")
        val es = read("values-es")
        assertEquals(en.strings.keys, es.strings.keys)
        assertEquals(en.plurals.keys, es.plurals.keys)
        for ((name, text) in en.strings) assertEquals(slots(text), slots(es.strings.getValue(name)), name)
        for ((name, items) in en.plurals) {
            assertTrue(items.keys.containsAll(setOf("one", "other")), "$name: one and other in English")
            val spanish = es.plurals.getValue(name)
            assertTrue(spanish.keys.containsAll(setOf("one", "many", "other")), "$name: one, many and other in Spanish")
            // Each Spanish quantity has the placeholders of the same English quantity ("many": "other").
            for ((quantity, text) in spanish) assertEquals(slots(items[quantity] ?: items.getValue("other")), slots(text), "$name/$quantity")
        }
    }

    /**
     * The Gift Aid declaration the app shows is the wording the core declares
     * (`giftAidWordingVersion()`): strings named for that version, in every language, so a
     * new wording in the core cannot go out with the old text (Screens.kt's giftAidWording
     * maps the version to them, and offers no Gift Aid without them). The iOS app's words for
     * the version are the same (its LocalizationTests compare them with these).
     */
    @Test
    fun `the Gift Aid declaration is there for the core's wording version, in every language`() {
        val version = dev.fundkit.giftAidWordingVersion()
        val suffix = version.replace('-', '_')
        val consent = "gift_aid_consent_$suffix"
        val taxpayer = "gift_aid_taxpayer_$suffix"
        for (folder in res.listFiles { f -> f.isDirectory && f.name.startsWith("values") }!!.map { it.name }) {
            val words = read(folder).strings
            val wish = words[consent]
            val statement = words[taxpayer]
            assertTrue(!wish.isNullOrBlank() && !statement.isNullOrBlank(), "$folder has no $consent / $taxpayer for wording $version")
            assertEquals(sortedSetOf("%1\$s", "%2\$s"), slots(wish!!), "$folder/$consent names the gift and the charity")
            assertEquals(sortedSetOf<String>(), slots(statement!!), "$folder/$taxpayer")
        }
        val screens = res.resolve("../kotlin/dev/fundkit/app/ui/Screens.kt").readText()
        assertTrue(
            screens.contains("\"$version\" -> GiftAidWording(R.string.$consent, R.string.$taxpayer)"),
            "Screens.kt maps wording $version to $consent and $taxpayer",
        )
    }
}
