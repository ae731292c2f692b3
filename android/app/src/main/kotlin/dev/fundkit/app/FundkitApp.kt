package dev.fundkit.app

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import dev.fundkit.ClientConfig
import dev.fundkit.Platform
import dev.fundkit.UserContext
import dev.fundkit.ktx.FundKit
import dev.fundkit.ktx.TokenSource
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.launch

/**
 * Opens FundKit once per process, feeds it the network state, and schedules background sync.
 * No business logic lives here: every rule is in the Rust core.
 *
 * Opening runs migrations on SQLite: it happens on Dispatchers.IO, never on the main thread
 * (a slow disk or a big upgrade must not freeze or ANR the app at launch). Screens and the
 * worker await [fundkit].
 */
class FundkitApp : Application() {
    private val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    lateinit var fundkit: Deferred<FundKit>
        private set

    override fun onCreate() {
        super.onCreate()
        val connectivity = getSystemService(ConnectivityManager::class.java)
        val online =
            connectivity.getNetworkCapabilities(connectivity.activeNetwork)
                ?.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED) == true
        fundkit = appScope.async {
            FundKit.openAsync(
                ClientConfig(
                    databasePath = getDatabasePath("fundkit.db").path,
                    serverUrl = BuildConfigValues.SERVER_URL,
                    user = UserContext(country = Session.country(), platform = Platform.ANDROID, ageYears = Session.ageYears()),
                    locale = resources.configuration.locales[0].toLanguageTag(),
                    online = online,
                    backgroundSync = true,
                ),
                TokenSource { forceRefresh -> Session.accessToken(forceRefresh) },
            )
        }
        // The network coming back starts a pass in the core.
        connectivity.registerDefaultNetworkCallback(
            object : ConnectivityManager.NetworkCallback() {
                override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
                    val validated = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)
                    appScope.launch { fundkit.await().setOnline(validated) }
                }

                override fun onLost(network: Network) {
                    appScope.launch { fundkit.await().setOnline(false) }
                }
            },
        )
        // While the app is in the background, WorkManager runs sync_now when there is network.
        WorkManager.getInstance(this).enqueueUniquePeriodicWork(
            "fundkit-sync",
            ExistingPeriodicWorkPolicy.KEEP,
            PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build(),
        )
    }
}

/** Where a real app reads its own session; the dev defaults point at `fundkit serve`. */
object Session {
    fun country(): String = "US"

    fun ageYears(): UInt? = 30u

    fun accessToken(forceRefresh: Boolean): String? = "dev-donor-1"
}

object BuildConfigValues {
    /** `adb reverse tcp:8080 tcp:8080` makes the emulator's loopback reach `fundkit serve`. */
    const val SERVER_URL = "http://127.0.0.1:8080"
}
