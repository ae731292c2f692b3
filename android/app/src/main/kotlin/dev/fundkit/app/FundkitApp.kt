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
import dev.fundkit.ktx.OkHttpTransport
import dev.fundkit.ktx.TokenSource
import dev.fundkit.ktx.screens.FundKitStartup
import dev.fundkit.ktx.screens.Startup
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.first

/**
 * Opens FundKit once per process, feeds it the network state, and schedules background sync.
 * No business logic lives here: every rule is in the Rust core.
 *
 * Opening runs migrations on SQLite: [FundKitStartup] does it on Dispatchers.IO, never on the
 * main thread, and a failed open (storage full or unreadable) is a state the first screen
 * shows with Retry, not a crash at launch. Network callbacks go to the core in the order
 * they happened, latest winning, through one collector (never one launch per callback).
 */
class FundkitApp : Application() {
    private val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    lateinit var startup: FundKitStartup
        private set

    override fun onCreate() {
        super.onCreate()
        val connectivity = getSystemService(ConnectivityManager::class.java)
        val online =
            connectivity.getNetworkCapabilities(connectivity.activeNetwork)
                ?.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED) == true
        startup =
            FundKitStartup(appScope) {
                FundKit.openAsync(
                    ClientConfig(
                        databasePath = getDatabasePath("fundkit.db").path,
                        serverUrl = BuildConfig.SERVER_URL,
                        user = UserContext(country = Session.country(), platform = Platform.ANDROID, ageYears = Session.ageYears()),
                        locale = resources.configuration.locales[0].toLanguageTag(),
                        online = online,
                        backgroundSync = true,
                    ),
                    TokenSource { forceRefresh -> Session.accessToken(forceRefresh) },
                    // The app's own HTTP stack carries FundKit's requests (its interceptors,
                    // pinning and Network Security Config apply).
                    transport = OkHttpTransport(),
                )
            }
        // The network coming back starts a pass in the core.
        connectivity.registerDefaultNetworkCallback(
            object : ConnectivityManager.NetworkCallback() {
                override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
                    startup.reportOnline(caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED))
                }

                override fun onLost(network: Network) {
                    startup.reportOnline(false)
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

    /** FundKit once it is open; suspends while opening, and throws if opening failed. */
    suspend fun fundkit(): FundKit =
        when (val s = startup.state.first { it !is Startup.Opening }) {
            is Startup.Ready -> s.fundkit
            is Startup.Failed -> throw s.error
            Startup.Opening -> error("unreachable")
        }
}

/** Where a real app reads its own session; the dev defaults point at `fundkit serve`. */
object Session {
    /** The signed-in user's country (an organiser raises in its currency, from the core). */
    fun country(): String = "US"

    fun ageYears(): UInt? = 30u

    fun accessToken(forceRefresh: Boolean): String? = "dev-donor-1"
}
