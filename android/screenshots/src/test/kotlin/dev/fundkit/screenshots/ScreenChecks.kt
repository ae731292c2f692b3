package dev.fundkit.screenshots

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.runDesktopComposeUiTest
import androidx.compose.ui.unit.Density

/**
 * What a screen says and how it can be used, read from its semantics tree (what TalkBack
 * reads), for every picture taken:
 *  - words: no class name, no `@hash`, no raw enum name, no `Type(field=...)`, no unfilled
 *    `%1$s` template and no "null" ever reach the user;
 *  - a heading for screen readers (the top bar's title at least);
 *  - every tappable thing is at least 48 x 48 dp.
 */
object ScreenChecks {
    /** Every enum constant of the core's API: none may be shown as is. */
    private val rawEnumNames: Set<String> =
        listOf(
            dev.fundkit.DonationState::class, dev.fundkit.IssueCode::class, dev.fundkit.UnavailableReason::class,
            dev.fundkit.OfflineCap::class, dev.fundkit.FundraiserState::class, dev.fundkit.Visibility::class,
            dev.fundkit.Category::class, dev.fundkit.Action::class, dev.fundkit.Platform::class,
            dev.fundkit.ktx.screens.DonateStage::class, dev.fundkit.GiftAidAvailability::class, dev.fundkit.LinkProblem::class,
            dev.fundkit.DonationSource::class,
        ).flatMap { k -> k.java.enumConstants.map { (it as Enum<*>).name } }.toSet()

    private val forbidden =
        listOf(
            Regex("""\b(dev\.fundkit|kotlin|java|androidx)\.[A-Za-z_.$]+""") to "a class name",
            Regex("""@[0-9a-f]{5,}""") to "an object hash",
            Regex("""\b[A-Z][A-Za-z]+\([a-z][A-Za-z]*=""") to "a data class's toString",
            Regex("""%\d*\$?[sd]""") to "an unfilled template",
            Regex("""\bnull\b""") to "null",
        )

    /** The problems with [text], or an empty list. */
    fun wordProblems(text: String): List<String> {
        val problems = forbidden.filter { (re, _) -> re.containsMatchIn(text) }.map { (_, what) -> "$what in \"$text\"" }
        val raw = Regex("""\b[A-Z][A-Z_]{2,}\b""").findAll(text).map { it.value }.filter { it in rawEnumNames }.toList()
        return problems + raw.map { "the raw enum name $it in \"$text\"" }
    }

    @OptIn(ExperimentalTestApi::class)
    fun check(name: String, look: Look, content: @Composable () -> Unit) {
        val problems = mutableListOf<String>()
        runDesktopComposeUiTest(width = Snapshots.WIDTH_DP, height = Snapshots.HEIGHT_DP) {
            setContent {
                CompositionLocalProvider(LocalDensity provides Density(1f, look.fontScale)) {
                    Snapshots.Themed(look) { content() }
                }
            }
            val nodes = onAllNodes(SemanticsMatcher("any node") { true }, useUnmergedTree = true).fetchSemanticsNodes()
            for (node in nodes) {
                for (text in node.words()) problems += wordProblems(text)
                if (node.config.getOrNull(SemanticsActions.OnClick) != null && node.config.getOrNull(SemanticsProperties.Disabled) == null) {
                    // Density 1 here: pixels are dp. The layout size: not touchBoundsInRoot (Compose
                    // pads every pointer target to 48 dp there, which would hide a small one),
                    // and not the part inside the viewport (half scrolled out is still whole).
                    val width = node.size.width.toFloat()
                    val height = node.size.height.toFloat()
                    if (width < 47.5f || height < 47.5f) {
                        problems += "a tap target of $width x $height dp (under 48): ${node.words().joinToString(" ")}"
                    }
                }
            }
            if (nodes.none { it.config.getOrNull(SemanticsProperties.Heading) != null }) problems += "no heading for screen readers"
        }
        if (problems.isNotEmpty()) throw AssertionError("$name:\n  " + problems.distinct().joinToString("\n  "))
    }

    /** [read] over the semantics nodes of [content] (unmerged), while the screen is still composed. */
    @OptIn(ExperimentalTestApi::class)
    fun <T> inspect(look: Look, content: @Composable () -> Unit, read: (List<SemanticsNode>) -> T): T {
        var result: Result<T>? = null
        runDesktopComposeUiTest(width = Snapshots.WIDTH_DP, height = Snapshots.HEIGHT_DP) {
            setContent { Snapshots.Themed(look) { content() } }
            result = runCatching { read(onAllNodes(SemanticsMatcher("any node") { true }, useUnmergedTree = true).fetchSemanticsNodes()) }
        }
        return result!!.getOrThrow()
    }

    /** Every word of this node and the nodes under it. */
    fun SemanticsNode.allText(): List<String> = words() + children.flatMap { it.allText() }

    private fun SemanticsNode.words(): List<String> =
        (config.getOrNull(SemanticsProperties.Text)?.map { it.text } ?: emptyList()) +
            listOfNotNull(
                config.getOrNull(SemanticsProperties.EditableText)?.text,
                config.getOrNull(SemanticsProperties.StateDescription),
            ) + (config.getOrNull(SemanticsProperties.ContentDescription) ?: emptyList())
}
