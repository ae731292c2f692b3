package dev.fundkit.screenshots

import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.res.LocalResourceLocale
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasSetTextAction
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runDesktopComposeUiTest
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.LifecycleRegistry
import androidx.lifecycle.ViewModelStore
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.ViewModelStoreOwner
import androidx.lifecycle.viewmodel.compose.LocalViewModelStoreOwner
import androidx.navigation.NavHostController
import dev.fundkit.FundraiserState
import dev.fundkit.app.ui.FundkitNavHost
import dev.fundkit.app.ui.FundkitTheme
import dev.fundkit.app.ui.Routes
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.MainDispatcher
import dev.fundkit.ktx.ReferenceServer
import dev.fundkit.ktx.TokenSource
import dev.fundkit.ktx.testConfig
import java.util.Locale
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.test.setMain
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import androidx.compose.runtime.getValue
import androidx.compose.runtime.setValue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/**
 * The app's back stack, driven as a person would (taps and typing) on the app's own
 * FundkitNavHost against the real core and server: create a fundraiser, land on its page,
 * open the dashboard, tap End (it asks; "Keep it running" keeps it), go back, open the
 * donate sheet, go back, open the pending list, go back. Every destination is reachable.
 */
@OptIn(ExperimentalCoroutinesApi::class)
@ExtendWith(MainDispatcher::class)
class NavigationTest {
    @OptIn(ExperimentalTestApi::class)
    @Test
    fun `every destination is reachable, back returns, and ending asks first`() =
        ReferenceServer.start().use { server ->
            FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }).use { fk ->
                // What an Activity provides: a ViewModelStore and a resumed lifecycle.
                val store = ViewModelStore()
                val owner = object : ViewModelStoreOwner {
                    override val viewModelStore = store
                }
                val lifecycle = object : LifecycleOwner {
                    val registry = LifecycleRegistry.createUnsafe(this)
                    override val lifecycle: Lifecycle get() = registry
                }
                lifecycle.registry.currentState = Lifecycle.State.RESUMED
                lateinit var nav: NavHostController
                // The test drives the UI from its own thread: that thread is "main" for the
                // lifecycle's main-thread checks (Navigation's back stack entries make them).
                Dispatchers.setMain(Dispatchers.Unconfined)
                try {
                    runDesktopComposeUiTest(width = 360, height = 800) {
                        setContent {
                            CompositionLocalProvider(
                                LocalViewModelStoreOwner provides owner,
                                LocalLifecycleOwner provides lifecycle,
                                LocalResourceLocale provides Locale.US,
                            ) {
                                FundkitTheme(dark = false) {
                                    nav = androidx.navigation.compose.rememberNavController()
                                    FundkitNavHost(fk, organiserCountry = "US", openUrl = {}, nav = nav)
                                }
                            }
                        }
                        fun route() = nav.currentBackStackEntry?.destination?.route
                        assertEquals(Routes.CREATE, route())
                        val fields = onAllNodes(hasSetTextAction())
                        fields[0].performTextInput("Books for the school library")
                        fields[1].performTextInput("Forty new books for year six.")
                        fields[2].performTextInput("500")
                        onNodeWithText("Start fundraiser").performClick()
                        waitUntil(timeoutMillis = 10_000) { route() == Routes.FUNDRAISER }
                        waitUntil(timeoutMillis = 10_000) { onAllNodesWithText("Manage fundraiser").fetchSemanticsNodes().isNotEmpty() }
                        onNodeWithText("Books for the school library", useUnmergedTree = true).assertExists()

                        onNodeWithText("Manage fundraiser").performScrollTo().performClick()
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.DASHBOARD }
                        waitUntil(timeoutMillis = 10_000) { onAllNodesWithText("End fundraiser now").fetchSemanticsNodes().isNotEmpty() }
                        onNodeWithText("End fundraiser now").performScrollTo().performClick()
                        waitUntil(timeoutMillis = 5_000) { onAllNodesWithText("End this fundraiser?").fetchSemanticsNodes().isNotEmpty() }
                        onNodeWithText("Keep it running").performClick()
                        waitUntil(timeoutMillis = 5_000) { onAllNodesWithText("End this fundraiser?").fetchSemanticsNodes().isEmpty() }
                        val id = nav.currentBackStackEntry?.arguments?.getString("id")!!
                        assertEquals(FundraiserState.ACTIVE, runBlocking { fk.fundraiser(id)?.fundraiser?.state })

                        runOnIdle { nav.popBackStack() }
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.FUNDRAISER }
                        onNodeWithText("Donate").performScrollTo().performClick()
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.DONATE }
                        waitUntil(timeoutMillis = 10_000) { onAllNodes(hasText("Confirm donation")).fetchSemanticsNodes().isNotEmpty() }
                        runOnIdle { nav.popBackStack() }
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.FUNDRAISER }

                        onNodeWithText("Your pending donations").performScrollTo().performClick()
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.PENDING }
                        waitUntil(timeoutMillis = 5_000) { onAllNodesWithText("Nothing waiting to be sent.").fetchSemanticsNodes().isNotEmpty() }
                        runOnIdle { nav.popBackStack() }
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.FUNDRAISER }
                        // Created, then its page: the create form is not under it (back leaves the app).
                        assertEquals(null, nav.previousBackStackEntry)
                    }
                } finally {
                    store.clear()
                    MainDispatcher.install()
                }
            }
        }

    /**
     * Links handed to the app (what MainActivity passes from its intent): a good one opens its
     * fundraiser above the start destination (Back leads into the app) and the donate sheet
     * keeps the link's source; a link to another host shows why it opens nothing, and "Go to
     * FundKit" leaves that screen.
     */
    @OptIn(ExperimentalTestApi::class)
    @Test
    fun `a link opens its fundraiser with the back stack right, a bad one says why`() =
        ReferenceServer.start().use { server ->
            FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }).use { fk ->
                val draft =
                    dev.fundkit.FundraiserDraft(
                        kind = dev.fundkit.FundraiserKind.PersonalCause(dev.fundkit.Beneficiary.MYSELF),
                        category = dev.fundkit.Category.EDUCATION,
                        title = "Books for the school library",
                        story = "Forty new books for year six.",
                        goal = dev.fundkit.Money(50_000, "USD"),
                        country = "US",
                    )
                val id = (runBlocking { fk.createFundraiser(draft) } as dev.fundkit.ktx.CreateOutcome.Created).fundraiser.fundraiser.id
                val store = ViewModelStore()
                val owner = object : ViewModelStoreOwner {
                    override val viewModelStore = store
                }
                val lifecycle = object : LifecycleOwner {
                    val registry = LifecycleRegistry.createUnsafe(this)
                    override val lifecycle: Lifecycle get() = registry
                }
                lifecycle.registry.currentState = Lifecycle.State.RESUMED
                lateinit var nav: NavHostController
                var link by androidx.compose.runtime.mutableStateOf<String?>(null)
                Dispatchers.setMain(Dispatchers.Unconfined)
                try {
                    runDesktopComposeUiTest(width = 360, height = 800) {
                        setContent {
                            CompositionLocalProvider(
                                LocalViewModelStoreOwner provides owner,
                                LocalLifecycleOwner provides lifecycle,
                                LocalResourceLocale provides Locale.US,
                            ) {
                                FundkitTheme(dark = false) {
                                    nav = androidx.navigation.compose.rememberNavController()
                                    FundkitNavHost(fk, organiserCountry = "US", openUrl = {}, nav = nav, link = link, onLinkHandled = { link = null })
                                }
                            }
                        }
                        fun route() = nav.currentBackStackEntry?.destination?.route
                        assertEquals(Routes.CREATE, route())

                        runOnIdle { link = fk.shareLinks(id, dev.fundkit.DonationSource.STORY_STICKER).web }
                        waitUntil(timeoutMillis = 10_000) { route() == Routes.FUNDRAISER }
                        assertEquals(null, link, "the link is handled once")
                        assertEquals(id, nav.currentBackStackEntry?.arguments?.getString("id"))
                        assertEquals("STORY_STICKER", nav.currentBackStackEntry?.arguments?.getString("source"))
                        // The link's own screen is gone: under the fundraiser is the app's start.
                        assertEquals(Routes.CREATE, nav.previousBackStackEntry?.destination?.route)
                        waitUntil(timeoutMillis = 10_000) { onAllNodesWithText("Books for the school library", useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty() }
                        onNodeWithText("Donate").performScrollTo().performClick()
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.DONATE }
                        assertEquals("STORY_STICKER", nav.currentBackStackEntry?.arguments?.getString("source"))
                        runOnIdle { nav.popBackStack() }
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.FUNDRAISER }
                        runOnIdle { nav.popBackStack() }
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.CREATE }

                        val host = java.net.URI(fk.shareLinks(id, dev.fundkit.DonationSource.LINK).web).host
                        runOnIdle { link = "https://fundkit.evil.example/f/$id" }
                        waitUntil(timeoutMillis = 10_000) { onAllNodesWithText("This link isn't from FundKit, so it wasn't opened.").fetchSemanticsNodes().isNotEmpty() }
                        assertEquals(Routes.LINK, route())
                        assertTrue(host != "fundkit.evil.example")
                        onNodeWithText("Go to FundKit").performClick()
                        waitUntil(timeoutMillis = 5_000) { route() == Routes.CREATE }
                    }
                } finally {
                    store.clear()
                    MainDispatcher.install()
                }
            }
        }
}
