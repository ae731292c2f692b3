package dev.fundkit.ktx

import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelStore

/**
 * A ViewModelStore as an Activity or a NavBackStackEntry holds one: ViewModels put here are
 * cleared (their scope cancelled, as when the screen goes away or the process dies) by
 * [close]. Close it before the FundKit the ViewModels use.
 */
class TestViewModels : AutoCloseable {
    private val store = ViewModelStore()
    private var next = 0

    fun <T : ViewModel> add(vm: T): T {
        store.put("vm-${next++}", vm)
        return vm
    }

    override fun close() = store.clear()
}

/** Runs [block] with a fresh store, cleared afterwards. */
inline fun <T> withViewModels(block: (TestViewModels) -> T): T = TestViewModels().use(block)
