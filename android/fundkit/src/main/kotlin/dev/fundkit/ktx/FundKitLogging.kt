package dev.fundkit.ktx

import dev.fundkit.ErrorReporter
import dev.fundkit.LogLevel
import dev.fundkit.LogRecord
import dev.fundkit.LogSink
import java.util.logging.Level
import java.util.logging.Logger

/**
 * The core's log lines and internal errors, where the app already reads them.
 *
 * ```
 * FundKitLogging.install(LogLevel.INFO)                       // android.util.Log / java.util.logging
 * FundKitLogging.reportErrorsTo { kind, detail -> crashReporter.log("fundkit $kind: $detail") }
 * ```
 * Log lines never carry an amount, a message, a name or a token; error reports never carry
 * user input (the core guarantees both; the Kotlin tests check them).
 */
object FundKitLogging {
    /** Forwards the core's log lines at [level] and above to [sink] (by default the platform's log). */
    fun install(level: LogLevel = LogLevel.INFO, sink: LogSink = platformSink()) = dev.fundkit.setLogSink(sink, level)

    /** Changes how much the core logs, at any time. */
    fun setLevel(level: LogLevel) = dev.fundkit.setLogLevel(level)

    /** Stops forwarding. */
    fun uninstall() = dev.fundkit.setLogSink(null, LogLevel.OFF)

    /** Tells [report] about the core's internal errors (storage failures, a listener that threw). */
    fun reportErrorsTo(report: (kind: String, detail: String) -> Unit) =
        dev.fundkit.setErrorReporter(
            object : ErrorReporter {
                override fun reportError(kind: String, detail: String) = report(kind, detail)
            },
        )

    /** `android.util.Log` on Android, `java.util.logging` elsewhere (JVM tests, desktop). */
    fun platformSink(): LogSink = AndroidLogSink.createOrNull() ?: JvmLogSink()
}

/** Forwards to `android.util.Log` through reflection, so this file also compiles for the JVM. */
private class AndroidLogSink(private val println: java.lang.reflect.Method) : LogSink {
    override fun log(record: LogRecord) {
        val priority =
            when (record.level) {
                LogLevel.ERROR -> 6
                LogLevel.WARN -> 5
                LogLevel.INFO -> 4
                LogLevel.DEBUG -> 3
                LogLevel.TRACE, LogLevel.OFF -> 2
            }
        // Android log tags are short: "FundKit" plus the module keeps them readable in logcat.
        println.invoke(null, priority, "FundKit", "${record.target}: ${record.message}")
    }

    companion object {
        fun createOrNull(): AndroidLogSink? =
            runCatching {
                val log = Class.forName("android.util.Log")
                AndroidLogSink(log.getMethod("println", Int::class.javaPrimitiveType, String::class.java, String::class.java))
            }.getOrNull()
    }
}

private class JvmLogSink : LogSink {
    override fun log(record: LogRecord) {
        val level =
            when (record.level) {
                LogLevel.ERROR -> Level.SEVERE
                LogLevel.WARN -> Level.WARNING
                LogLevel.INFO -> Level.INFO
                LogLevel.DEBUG -> Level.FINE
                LogLevel.TRACE, LogLevel.OFF -> Level.FINEST
            }
        Logger.getLogger(record.target).log(level, record.message)
    }
}
