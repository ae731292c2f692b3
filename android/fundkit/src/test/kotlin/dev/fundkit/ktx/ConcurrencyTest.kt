package dev.fundkit.ktx

import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.DonationRequest
import dev.fundkit.DonationState
import dev.fundkit.FundkitClientInterface
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserEdit
import dev.fundkit.FundraiserKind
import dev.fundkit.Money
import dev.fundkit.Visibility
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FundKitStartup
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.OrganiserDashboardViewModel
import dev.fundkit.ktx.screens.PendingDonationsViewModel
import dev.fundkit.ktx.screens.Startup
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.nio.file.Files
import java.util.concurrent.Executors
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.onSubscription
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.test.setMain
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.extension.ExtendWith

/**
 * Calls into the core that only compute (no SQLite, no network): allowed on Main. The share
 * links are made from the server config the core holds in memory.
 */
private val PURE_CALLS =
    setOf(
        "parseAmount", "formatAmount", "validateDraft", "validateDonation", "availability", "limits", "serverConfig", "setListener", "syncState",
        "shareLinks", "parseLink",
    )

/**
 * Wraps the generated client so every call is seen: [onCall] gets the method's name and
 * the calling thread before the real client runs it.
 */
private fun watching(onCall: (String, Thread) -> Unit): (FundkitClientInterface) -> FundkitClientInterface = { real ->
    Proxy.newProxyInstance(FundkitClientInterface::class.java.classLoader, arrayOf(FundkitClientInterface::class.java)) { _, method, args ->
        onCall(method.name, Thread.currentThread())
        try {
            method.invoke(real, *(args ?: emptyArray()))
        } catch (e: InvocationTargetException) {
            throw e.targetException
        }
    } as FundkitClientInterface
}

/** Like [watching], with the call's arguments. */
private fun watchingArgs(onCall: (String, Array<Any?>) -> Unit): (FundkitClientInterface) -> FundkitClientInterface = { real ->
    Proxy.newProxyInstance(FundkitClientInterface::class.java.classLoader, arrayOf(FundkitClientInterface::class.java)) { _, method, args ->
        onCall(method.name, args ?: emptyArray())
        try {
            method.invoke(real, *(args ?: emptyArray()))
        } catch (e: InvocationTargetException) {
            throw e.targetException
        }
    } as FundkitClientInterface
}

/** The threading and flow contracts of the Kotlin layer, against the real core and server. */
@OptIn(ExperimentalCoroutinesApi::class)
@ExtendWith(MainDispatcher::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {
    private lateinit var server: ReferenceServer
    private lateinit var fundraiserId: String

    @BeforeAll
    fun start() {
        server = ReferenceServer.start()
        fundraiserId = newFundraiser(server)
    }

    @AfterAll
    fun stop() = server.close()

    private fun newFundraiser(on: ReferenceServer): String =
        runBlocking {
            FundKit.open(testConfig(on.url), TokenSource { "dev-organiser" }, OkHttpTransport()).use { organiser ->
                val draft =
                    FundraiserDraft(
                        FundraiserKind.PersonalCause(Beneficiary.MYSELF), Category.COMMUNITY,
                        "Choir trip", "Coach and beds.", Money(300_000, "USD"), "US",
                    )
                (organiser.createFundraiser(draft) as CreateOutcome.Created).fundraiser.fundraiser.id
            }
        }

    @Test
    fun `nothing touches disk or network on Main`() = ReferenceServer.start().use { server ->
        // Its own server: this test ends its fundraiser.
        val fundraiserId = newFundraiser(server)
        // Main is one named thread, as on Android; every ViewModel runs on it.
        val mainExecutor = Executors.newSingleThreadExecutor { r -> Thread(r, "test-main") }
        val main = mainExecutor.asCoroutineDispatcher()
        val mainThread = runBlocking(main) { Thread.currentThread() }
        val onMain = collected<String>()
        val calls = collected<String>()
        val watch = watching { name, thread ->
            calls += name
            if (thread == mainThread && name !in PURE_CALLS) onMain += name
        }
        Dispatchers.setMain(main)
        try {
            runBlocking {
                FundKit.open(testConfig(server.url), TokenSource { "dev-organiser" }, OkHttpTransport(), intercept = watch).use { organiser ->
                    val vms = TestViewModels()
                    val (dashboard, create) =
                        withContext(main) {
                            vms.add(OrganiserDashboardViewModel(organiser, fundraiserId)) to
                                vms.add(CreateFundraiserViewModel(organiser, "US", SavedStateHandle()))
                        }
                    organiser.syncNow()
                    withTimeout(5_000) { dashboard.state.first { it.loaded } }
                    withContext(main) { dashboard.edit(FundraiserEdit("Choir trip to Cork", null, null, null)) }.join()
                    withContext(main) { dashboard.extend() }.join()
                    withContext(main) {
                        dashboard.requestEnd()
                        dashboard.confirmEnd()!!
                    }.join()
                    withContext(main) {
                        create.edit { copy(title = "Second", story = "s", goalText = "500") }
                        create.submit()
                    }.join()
                    vms.close()
                }
                FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, OkHttpTransport(), intercept = watch).use { donor ->
                    val vms = TestViewModels()
                    val (page, sheet, pending) =
                        withContext(main) {
                            Triple(
                                vms.add(FundraiserViewModel(donor, fundraiserId)),
                                vms.add(DonateViewModel(donor, fundraiserId, SavedStateHandle())),
                                vms.add(PendingDonationsViewModel(donor)),
                            )
                        }
                    withTimeout(5_000) { sheet.state.first { it.loaded } }
                    withContext(main) {
                        sheet.amountChanged("10")
                        sheet.confirm("tok_ok")
                    }
                    withContext(main) { pending.retry() }.join()
                    withContext(main) { sheet.checkBankOutcome() }.join()
                    withTimeout(5_000) { page.state.first { it.loaded } }
                    vms.close()
                }
            }
        } finally {
            MainDispatcher.install()
            mainExecutor.shutdown()
        }
        assertTrue("donate" in calls && "endFundraiser" in calls && "syncNow" in calls, "the watch saw the calls: ${calls.snapshot()}")
        assertEquals(emptyList<String>(), onMain.snapshot().distinct(), "calls into SQLite or the network made on Main")
    }

    @Test
    fun `connectivity reaches the core in the order it happened, the latest winning`() {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val seen = collected<Boolean>()
        try {
            runBlocking {
                val gate = kotlinx.coroutines.CompletableDeferred<Unit>()
                val startup =
                    FundKitStartup(scope) {
                        gate.await() // still opening while the network callbacks fire
                        FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, OkHttpTransport(), intercept = watchingArgs { name, args ->
                            if (name == "setOnline") seen += args[0] as Boolean
                        })
                    }
                // Callbacks before FundKit is open: only the latest matters, and it is kept.
                startup.reportOnline(true)
                startup.reportOnline(false)
                gate.complete(Unit)
                val fk = (withTimeout(5_000) { startup.state.first { it is Startup.Ready } } as Startup.Ready).fundkit
                withTimeout(5_000) { fk.syncState.first { !it.online } }
                // A storm of callbacks from many threads, then a last one: the core ends at the last.
                val pool = Executors.newFixedThreadPool(4)
                repeat(200) { i -> pool.execute { startup.reportOnline(i % 2 == 0) } }
                pool.shutdown()
                pool.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)
                startup.reportOnline(false)
                startup.reportOnline(true)
                withTimeout(5_000) { while (seen.lastOrNull() != true) delay(10) }
                withTimeout(5_000) { fk.syncState.first { it.online } }
                // One caller, in order: each call differs from the one before (no reordering pairs).
                val calls = seen.snapshot()
                assertEquals(false, calls.first())
                assertTrue(calls.zipWithNext().all { (a, b) -> a != b }, "calls in order, each a change: $calls")
                scope.cancel()
                fk.close()
            }
        } finally {
            scope.cancel()
        }
    }

    @Test
    fun `the sync state is subscribed before it is read, so a change in between is kept`() {
        // The core changes its sync state while FundKit reads it: the listener hears the newer
        // state before the read returns the older one. The newer one must win.
        var listener: dev.fundkit.FundkitListener? = null
        var delivered: dev.fundkit.SyncState? = null
        val racing: (FundkitClientInterface) -> FundkitClientInterface = { real ->
            Proxy.newProxyInstance(FundkitClientInterface::class.java.classLoader, arrayOf(FundkitClientInterface::class.java)) { _, method, args ->
                if (method.name == "setListener" && args?.get(0) != null) listener = args[0] as dev.fundkit.FundkitListener
                if (method.name == "syncState" && delivered == null) {
                    val stale = real.syncState()
                    val newer = stale.copy(online = !stale.online, pendingCount = stale.pendingCount + 1u)
                    delivered = newer
                    listener?.onSyncStateChanged(newer) // (no listener yet = it was read first: the event is lost)
                    return@newProxyInstance stale
                }
                try {
                    method.invoke(real, *(args ?: emptyArray()))
                } catch (e: InvocationTargetException) {
                    throw e.targetException
                }
            } as FundkitClientInterface
        }
        FundKit.open(testConfig(server.url), TokenSource { "dev-donor-1" }, OkHttpTransport(), intercept = racing).use { fk ->
            assertEquals(delivered, fk.syncState.value)
        }
    }

    @Test
    fun `a failed open shows the error, and Retry opens`() {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val dir = Files.createTempDirectory("fundkit")
        val blocker = dir.resolve("data").toFile().apply { writeText("not a folder") }
        var path = blocker.resolve("fundkit.db").path
        try {
            runBlocking {
                val startup = FundKitStartup(scope) { FundKit.openAsync(testConfig(server.url, databasePath = path), TokenSource { "dev-donor-1" }, OkHttpTransport()) }
                val failed = withTimeout(5_000) { startup.state.first { it is Startup.Failed } }
                assertTrue((failed as Startup.Failed).error is dev.fundkit.FundkitException, "a typed error, not a crash: ${failed.error}")
                path = dir.resolve("fundkit.db").toString()
                startup.retry()
                val ready = withTimeout(5_000) { startup.state.first { it is Startup.Ready } } as Startup.Ready
                ready.fundkit.close()
            }
        } finally {
            scope.cancel()
        }
    }

    @Test
    fun `change events are never dropped and the screen's flow ends at the latest state`(): Unit =
        runBlocking {
            // The listener FundKit gives the core: the test plays the core's notifier with it.
            var listener: dev.fundkit.FundkitListener? = null
            val capture = watchingArgs { name, args -> if (name == "setListener" && args[0] != null) listener = args[0] as dev.fundkit.FundkitListener }
            FundKit.open(testConfig(server.url), TokenSource { "dev-donor-2" }, OkHttpTransport(), intercept = capture).use { fk ->
                fk.refreshFundraiser(fundraiserId)
                val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
                val seqs = collected<Long>()
                val released = kotlinx.coroutines.CompletableDeferred<Unit>()
                val started = kotlinx.coroutines.CompletableDeferred<Unit>()
                val stuck = scope.launch {
                    fk.donationChanges.onSubscription { started.complete(Unit) }.collect { batch ->
                        released.await() // a collector stuck behind a slow screen: events pile up
                        batch.forEach { seqs += it.seq }
                    }
                }
                var lastList: List<String>? = null
                val screen = scope.launch { fk.pendingDonationsFlow().collect { list -> delay(20); lastList = list.map { it.id } } }
                started.await()
                val d = (fk.donate(DonationRequest(fundraiserId, Money(101, "USD"), null, Visibility.PUBLIC, false, "tok_ok")) as DonateOutcome.Queued).donation
                // 300 batches from the notifier thread while the collector is stuck: more than
                // any fixed buffer keeps; every one must arrive, in order.
                val notifier = Thread {
                    for (i in 1..300) listener!!.onDonationsChanged(listOf(d.copy(seq = 10_000L + i)))
                }
                notifier.start()
                notifier.join()
                released.complete(Unit)
                withTimeout(10_000) { while (seqs.snapshot().count { it > 10_000L } < 300) delay(20) }
                assertEquals((1..300).map { 10_000L + it }, seqs.snapshot().filter { it > 10_000L })
                // The screen re-read after the last change: it ends at the latest state.
                fk.cancelDonation(d.id)
                withTimeout(10_000) { while (lastList != emptyList<String>()) delay(20) }
                stuck.cancel()
                screen.cancel()
                scope.cancel()
            }
        }
}
