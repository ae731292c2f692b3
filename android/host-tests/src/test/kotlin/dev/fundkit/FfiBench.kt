package dev.fundkit

import com.sun.jna.Library
import com.sun.jna.Native
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/**
 * The cost of crossing FFI from Kotlin, measured against a bare JNA call in the same run.
 * Not part of the test suite (tag `bench`; prints figures, asserts nothing):
 *
 *   cd android/host-tests && mvn -q test -Dgroups=bench -DexcludedGroups=none -Dfundkit.lib.dir=../../target/release
 */
@Tag("bench")
class FfiBench {
    /** The floor: JNA calling libc's getpid(), a native function that does nothing. */
    private interface LibC : Library {
        fun getpid(): Int
    }

    private fun nsPerOp(iterations: Int, block: () -> Unit): Double {
        repeat(iterations / 5) { block() } // warm up the JIT and JNA's method cache
        val runs =
            (1..5).map {
                val start = System.nanoTime()
                repeat(iterations) { block() }
                (System.nanoTime() - start).toDouble() / iterations
            }
        return runs.sorted()[2] // median of 5
    }

    @Test
    fun `ffi call cost vs a bare JNA call`() {
        val libc = Native.load("c", LibC::class.java)
        val limits = defaultLimits()
        val request =
            DonationRequest(
                fundraiserId = "fr_0190aaaa",
                amount = Money(2_500, "USD"),
                message = "Get well soon",
                visibility = Visibility.PUBLIC,
                hideAmount = false,
                paymentToken = "tok_ok",
            )
        val n = 20_000
        val bare = nsPerOp(n) { libc.getpid() }
        val trivial = nsPerOp(n) { currencyExponent("USD") }
        val validate = nsPerOp(n) { validateDonation(request, "USD", limits) }
        val format = nsPerOp(n) { formatMoney(Money(123_456, "USD"), "en-US") }
        // Where a call's time goes: the JNA structures UniFFI's Kotlin creates for every call
        // (a call status holding a RustBuffer; a RustBuffer per string or record argument,
        // allocated by Rust through a call of its own), and the cheapest call there is.
        val status = nsPerOp(n) { UniffiRustCallStatus.ByValue() }
        val buffer = nsPerOp(n) { RustBuffer.ByValue() }
        val emptyCall = nsPerOp(n) { UniffiLib.INSTANCE.ffi_fundkit_rustbuffer_free(RustBuffer.ByValue(), UniffiRustCallStatus.ByValue()) }
        val allocFree = nsPerOp(n) { RustBuffer.free(RustBuffer.alloc(3UL)) }
        println("FFI bench (JVM ${System.getProperty("java.version")}, median of 5 x $n calls):")
        println("  bare JNA call (getpid)          %8.0f ns".format(bare))
        println("  currencyExponent(\"USD\")         %8.0f ns  ratio %.1fx".format(trivial, trivial / bare))
        println("  validateDonation(request)       %8.0f ns  ratio %.1fx".format(validate, validate / bare))
        println("  where it goes: a call status structure %8.0f ns, a RustBuffer structure %8.0f ns,".format(status, buffer))
        println("    the cheapest call (free an empty buffer) %8.0f ns, a string's buffer alloc + free %8.0f ns".format(emptyCall, allocFree))
        println("  formatMoney(\$1,234.56)          %8.0f ns  ratio %.1fx".format(format, format / bare))
    }
}
