package dev.fundkit.app

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

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val startup = (application as FundkitApp).startup
        setContent {
            FundkitTheme {
                // FundKit opens off the main thread; until then, or if it failed, the startup
                // screen (with Retry). The back stack and every ViewModel's saved state survive
                // rotation and process death.
                val state by startup.state.collectAsStateWithLifecycle()
                when (val s = state) {
                    is Startup.Ready -> FundkitNavHost(s.fundkit, organiserCountry = Session.country(), openUrl = ::openBankPage)
                    else -> StartupContent(s, onRetry = startup::retry)
                }
            }
        }
    }

    /** The bank's page (action_url) in a Custom Tab: the donor stays in the app's task. */
    private fun openBankPage(url: String) {
        CustomTabsIntent.Builder().setShowTitle(true).build().launchUrl(this, Uri.parse(url))
    }
}
