package dev.fundkit.ktx

import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.test.resetMain
import kotlinx.coroutines.test.setMain
import org.junit.jupiter.api.extension.AfterEachCallback
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext

/**
 * Dispatchers.Main for a JVM test, as Android has one: a single thread, "test-main". The
 * ViewModels' viewModelScope runs on it, exactly as on a phone.
 */
@OptIn(ExperimentalCoroutinesApi::class)
class MainDispatcher : BeforeEachCallback, AfterEachCallback {
    private var executor: ExecutorService? = null

    override fun beforeEach(context: ExtensionContext) {
        val e = Executors.newSingleThreadExecutor { r -> Thread(r, "test-main").apply { isDaemon = true } }
        executor = e
        Dispatchers.setMain(e.asCoroutineDispatcher())
    }

    override fun afterEach(context: ExtensionContext) {
        Dispatchers.resetMain()
        executor?.shutdown()
    }
}
