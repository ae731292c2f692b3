package dev.fundkit.app

import android.content.Intent
import android.net.Uri
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.browser.customtabs.CustomTabsIntent
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import dev.fundkit.app.ui.FundkitNavHost
import dev.fundkit.app.ui.FundkitTheme
import dev.fundkit.app.ui.StartupContent
import dev.fundkit.ktx.screens.Startup
import kotlinx.coroutines.flow.MutableStateFlow

class MainActivity : ComponentActivity() {
    /**
     * A link the app was opened with (an App Link `https://<link host>/f/{id}` or
     * `fundkit://fundraiser/{id}`), until the navigation has put it on the back stack.
     * Taken from the launching intent only on a fresh start: after a rotation or process
     * death the back stack already holds it (or its fundraiser), so it is not opened twice;
     * one not handed over yet (FundKit was still opening) is kept in the saved state.
     */
    private val pendingLink = MutableStateFlow<String?>(null)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        pendingLink.value = if (savedInstanceState == null) linkOf(intent) else savedInstanceState.getString(PENDING_LINK)
        val startup = (application as FundkitApp).startup
        setContent {
            FundkitTheme {
                // FundKit opens off the main thread; until then, or if it failed, the startup
                // screen (with Retry). The back stack and every ViewModel's saved state survive
                // rotation and process death. A pending link waits until FundKit is open.
                val state by startup.state.collectAsStateWithLifecycle()
                val link by pendingLink.collectAsStateWithLifecycle()
                when (val s = state) {
                    is Startup.Ready ->
                        FundkitNavHost(
                            s.fundkit,
                            organiserCountry = Session.country(),
                            openUrl = ::openBankPage,
                            link = link,
                            onLinkHandled = { pendingLink.value = null },
                            share = ::shareLink,
                        )
                    else -> StartupContent(s, onRetry = startup::retry)
                }
            }
        }
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        pendingLink.value?.let { outState.putString(PENDING_LINK, it) }
    }

    /** launchMode="singleTop": a link opened while the app is on screen arrives here. */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        linkOf(intent)?.let { pendingLink.value = it }
    }

    /** The link of a VIEW intent (the manifest's filters let only FundKit's links in); the core decides what it opens. */
    private fun linkOf(intent: Intent?): String? = intent?.takeIf { it.action == Intent.ACTION_VIEW }?.dataString

    /** The bank's page (action_url) in a Custom Tab: the donor stays in the app's task. */
    private fun openBankPage(url: String) {
        CustomTabsIntent.Builder().setShowTitle(true).build().launchUrl(this, Uri.parse(url))
    }

    /** The Android share sheet with a fundraiser's https link (the core's `shareLinks(...).web`). */
    private fun shareLink(url: String) {
        val send =
            Intent(Intent.ACTION_SEND)
                .setType("text/plain")
                .putExtra(Intent.EXTRA_TEXT, url)
                .putExtra(Intent.EXTRA_TITLE, getString(R.string.share_sheet_title))
        startActivity(Intent.createChooser(send, getString(R.string.share_sheet_title)))
    }

    private companion object {
        const val PENDING_LINK = "fundkit.pending_link"
    }
}
