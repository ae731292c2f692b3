package dev.fundkit.ktx

import java.util.concurrent.Executors
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.test.setMain
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext

/**
 * Dispatchers.Main for a JVM test, as Android has one: a single thread, "test-main", for the
 * whole test run (as on a phone, Main never goes away while work started on it finishes).
 * The ViewModels' viewModelScope runs on it, exactly as on a phone.
 */
@OptIn(ExperimentalCoroutinesApi::class)
class MainDispatcher : BeforeEachCallback {
    override fun beforeEach(context: ExtensionContext) = install()

    companion object {
        private val main = Executors.newSingleThreadExecutor { r -> Thread(r, "test-main").apply { isDaemon = true } }.asCoroutineDispatcher()

        /** Makes "test-main" Dispatchers.Main (again, after a test swapped it). */
        fun install() = Dispatchers.setMain(main)
    }
}
