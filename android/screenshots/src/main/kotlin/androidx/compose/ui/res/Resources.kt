package androidx.compose.ui.res

// The desktop stand-in for Android's string resources, for the screenshot renderer only:
// the app's Screens.kt calls stringResource / pluralStringResource exactly as on Android,
// and these read the SAME res/values*/strings.xml files the Android build packages.
// Lookup follows Android's: values-<language>/ first, then values/.

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import dev.fundkit.app.R
import java.io.File
import java.util.Locale
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Element

/** The locale the renderer draws in (Android takes it from the configuration). */
val LocalResourceLocale = staticCompositionLocalOf { Locale.US }

object DesktopResources {
    private val resDir = File(System.getProperty("fundkit.res.dir") ?: "../app/src/main/res")

    private class Table(val strings: Map<String, String>, val plurals: Map<String, Map<String, String>>)

    private val tables = mutableMapOf<String, Table?>()

    private fun table(folder: String): Table? =
        synchronized(tables) {
            tables.getOrPut(folder) {
                val file = File(resDir, "$folder/strings.xml")
                if (!file.isFile) return@getOrPut null
                val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
                val strings = mutableMapOf<String, String>()
                val plurals = mutableMapOf<String, Map<String, String>>()
                val nodes = doc.documentElement.childNodes
                for (i in 0 until nodes.length) {
                    val e = nodes.item(i) as? Element ?: continue
                    when (e.tagName) {
                        "string" -> strings[e.getAttribute("name")] = unescape(e.textContent)
                        "plurals" -> {
                            val items = e.getElementsByTagName("item")
                            plurals[e.getAttribute("name")] =
                                (0 until items.length).associate { j ->
                                    val item = items.item(j) as Element
                                    item.getAttribute("quantity") to unescape(item.textContent)
                                }
                        }
                    }
                }
                Table(strings, plurals)
            }
        }

    /** Android's resource string escapes: \' \" \n \t and \\ (XML entities are already decoded). */
    private fun unescape(raw: String): String {
        val s = raw.trim()
        val out = StringBuilder()
        var i = 0
        while (i < s.length) {
            val c = s[i]
            if (c == '\\' && i + 1 < s.length) {
                out.append(
                    when (val n = s[i + 1]) {
                        'n' -> '\n'
                        't' -> '\t'
                        else -> n
                    },
                )
                i += 2
            } else {
                out.append(c)
                i++
            }
        }
        return out.toString()
    }

    private fun folders(locale: Locale) = listOf("values-${locale.language}-r${locale.country}", "values-${locale.language}", "values")

    fun string(locale: Locale, name: String): String =
        folders(locale).firstNotNullOfOrNull { table(it)?.strings?.get(name) } ?: error("no string resource '$name'")

    /** CLDR plural category for English and Spanish (the app's languages): one for 1, else other. */
    private fun quantity(count: Int): String = if (count == 1) "one" else "other"

    fun plural(locale: Locale, name: String, count: Int): String =
        folders(locale).firstNotNullOfOrNull { f -> table(f)?.plurals?.get(name)?.let { it[quantity(count)] ?: it["other"] } }
            ?: error("no plurals resource '$name'")
}

@Composable
@ReadOnlyComposable
fun stringResource(id: Int): String = DesktopResources.string(LocalResourceLocale.current, R.stringNames[id])

@Composable
@ReadOnlyComposable
fun stringResource(id: Int, vararg formatArgs: Any): String {
    val locale = LocalResourceLocale.current
    return String.format(locale, DesktopResources.string(locale, R.stringNames[id]), *formatArgs)
}

@Composable
@ReadOnlyComposable
fun pluralStringResource(id: Int, count: Int): String =
    DesktopResources.plural(LocalResourceLocale.current, R.pluralNames[id], count)

@Composable
@ReadOnlyComposable
fun pluralStringResource(id: Int, count: Int, vararg formatArgs: Any): String {
    val locale = LocalResourceLocale.current
    return String.format(locale, DesktopResources.plural(locale, R.pluralNames[id], count), *formatArgs)
}
