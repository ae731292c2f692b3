package dev.fundkit.screenshots

import androidx.compose.material3.Typography
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.res.LocalResourceLocale
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.platform.Font
import androidx.compose.ui.unit.Density
import dev.fundkit.app.ui.FundkitTheme
import org.jetbrains.skia.EncodedImageFormat
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import java.util.Locale
import javax.imageio.ImageIO
import kotlin.math.abs
import kotlin.math.max

/**
 * Renders a composable headless (skia, no window, no X) at phone size and compares it with a
 * committed golden PNG.
 *
 * Phone: 360 x 800 dp at density 3 (1080 x 2400 px), the baseline Android phone width.
 * Text is set in DejaVu Sans loaded from a file (not whatever the machine's font
 * configuration picks), so a machine with more fonts installed renders the same glyphs.
 */
/** How a picture is taken: theme, language and region, font scale; [suffix] names the file. */
data class Look(val suffix: String, val dark: Boolean = false, val locale: Locale = Locale.US, val fontScale: Float = 1f) {
    companion object {
        val LIGHT = Look("light")
        val DARK = Look("dark", dark = true)
        val EN_GB = Look("en-GB", locale = Locale.UK)
        val EN_IE = Look("en-IE", locale = Locale.forLanguageTag("en-IE"))
        val ES_US = Look("es-US", locale = Locale.forLanguageTag("es-US"))
        val FONT_200 = Look("font200", fontScale = 2f)
        val LIGHT_DARK = listOf(LIGHT, DARK)
    }
}

object Snapshots {
    const val WIDTH_DP = 360
    const val HEIGHT_DP = 800
    const val DENSITY = 3f

    /** A pixel differs when one channel moves by more than this (0..255): antialiasing noise stays below. */
    private const val CHANNEL_TOLERANCE = 40

    /** At most this fraction of pixels (about 500 of 2.6 M) may differ: a few glyph edges, not one changed letter (~1,300). */
    private const val MAX_DIFF_FRACTION = 0.0002

    private val goldenDir = File(System.getProperty("fundkit.golden.dir") ?: "golden")
    private val actualDir = File(System.getProperty("fundkit.actual.dir") ?: "target/screenshots")
    private val fontDir = File(System.getProperty("fundkit.font.dir") ?: "/usr/share/fonts/truetype/dejavu")

    val update: Boolean =
        System.getenv("FUNDKIT_UPDATE_SCREENSHOTS") == "1" || System.getProperty("FUNDKIT_UPDATE_SCREENSHOTS") == "1"

    private val typography: Typography by lazy {
        val regular = File(fontDir, "DejaVuSans.ttf")
        val bold = File(fontDir, "DejaVuSans-Bold.ttf")
        check(regular.isFile && bold.isFile) {
            "screenshots need DejaVu Sans in $fontDir (Debian: apt-get install -y fonts-dejavu-core; or -Dfundkit.font.dir=...)"
        }
        val family =
            FontFamily(
                Font(regular, FontWeight.Normal),
                Font(regular, FontWeight.Medium),
                Font(bold, FontWeight.SemiBold),
                Font(bold, FontWeight.Bold),
            )
        Typography().withFamily(family)
    }

    /** [content] in the app theme, in [look]'s locale, as the renderer and the semantics checks see it. */
    @Composable
    fun Themed(look: Look, content: @Composable () -> Unit) {
        CompositionLocalProvider(LocalResourceLocale provides look.locale) {
            FundkitTheme(dark = look.dark, typography = typography) { content() }
        }
    }

    /** PNG bytes of [content] in the app theme. */
    fun render(look: Look, content: @Composable () -> Unit): ByteArray {
        val scene =
            ImageComposeScene(
                width = (WIDTH_DP * DENSITY).toInt(),
                height = (HEIGHT_DP * DENSITY).toInt(),
                density = Density(DENSITY, look.fontScale),
            ) {
                Themed(look) { content() }
            }
        try {
            scene.render(0)
            val image = scene.render(0)
            return checkNotNull(image.encodeToData(EncodedImageFormat.PNG)) { "PNG encoding failed" }.bytes
        } finally {
            scene.close()
        }
    }

    /**
     * Renders [content] in each of [looks] (light and dark unless told), writes each to
     * target/screenshots/, and compares each with golden/<name>-<look>.png (or rewrites the
     * golden when updating). Each look's words and semantics are checked too (ScreenChecks).
     */
    fun check(name: String, looks: List<Look> = Look.LIGHT_DARK, content: @Composable () -> Unit) {
        val failures = mutableListOf<String>()
        for (look in looks) {
            val file = "$name-${look.suffix}.png"
            ScreenChecks.check(file, look, content)
            val png = render(look, content)
            actualDir.mkdirs()
            File(actualDir, file).writeBytes(png)
            val golden = File(goldenDir, file)
            if (update) {
                goldenDir.mkdirs()
                golden.writeBytes(png)
                continue
            }
            if (!golden.isFile) {
                failures += "$file: no golden (run with FUNDKIT_UPDATE_SCREENSHOTS=1 to record it)"
                continue
            }
            compare(decode(golden.readBytes()), decode(png), File(actualDir, file.replace(".png", "-diff.png")))
                ?.let { failures += "$file: $it (actual in ${File(actualDir, file)})" }
        }
        if (failures.isNotEmpty()) throw AssertionError(failures.joinToString("\n"))
    }

    private fun decode(png: ByteArray): BufferedImage = ImageIO.read(ByteArrayInputStream(png))

    /** Null when the images match within tolerance; otherwise why, with a diff image written. */
    fun compare(expected: BufferedImage, actual: BufferedImage, diffFile: File? = null): String? {
        if (expected.width != actual.width || expected.height != actual.height) {
            return "size ${actual.width}x${actual.height}, golden ${expected.width}x${expected.height}"
        }
        val diff = BufferedImage(actual.width, actual.height, BufferedImage.TYPE_INT_RGB)
        var differing = 0L
        var worst = 0
        for (y in 0 until actual.height) {
            for (x in 0 until actual.width) {
                val a = expected.getRGB(x, y)
                val b = actual.getRGB(x, y)
                var delta = 0
                for (shift in intArrayOf(0, 8, 16, 24)) {
                    delta = max(delta, abs(((a ushr shift) and 0xff) - ((b ushr shift) and 0xff)))
                }
                worst = max(worst, delta)
                if (delta > CHANNEL_TOLERANCE) {
                    differing++
                    diff.setRGB(x, y, 0xff0000)
                } else {
                    diff.setRGB(x, y, (b and 0xfefefe) shr 1) // the picture, dimmed
                }
            }
        }
        val fraction = differing.toDouble() / (actual.width.toLong() * actual.height)
        if (worst > 0) {
            println("screenshots: ${diffFile?.name}: $differing pixels over $CHANNEL_TOLERANCE (worst channel delta $worst)")
        }
        if (fraction <= MAX_DIFF_FRACTION) return null
        diffFile?.let { ImageIO.write(diff, "png", it) }
        return "%d pixels (%.3f%%, allowed %.3f%%) differ by more than %d (worst %d); diff in %s"
            .format(differing, fraction * 100, MAX_DIFF_FRACTION * 100, CHANNEL_TOLERANCE, worst, diffFile)
    }
}

private fun Typography.withFamily(family: FontFamily): Typography {
    fun TextStyle.f() = copy(fontFamily = family)
    return Typography(
        displayLarge = displayLarge.f(),
        displayMedium = displayMedium.f(),
        displaySmall = displaySmall.f(),
        headlineLarge = headlineLarge.f(),
        headlineMedium = headlineMedium.f(),
        headlineSmall = headlineSmall.f(),
        titleLarge = titleLarge.f(),
        titleMedium = titleMedium.f(),
        titleSmall = titleSmall.f(),
        bodyLarge = bodyLarge.f(),
        bodyMedium = bodyMedium.f(),
        bodySmall = bodySmall.f(),
        labelLarge = labelLarge.f(),
        labelMedium = labelMedium.f(),
        labelSmall = labelSmall.f(),
    )
}
