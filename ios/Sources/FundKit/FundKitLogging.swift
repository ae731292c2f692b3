// The core's log lines and internal errors where the app already reads them: `os.Logger` on
// Apple platforms (subsystem "dev.fundkit", category = the core's module), any `LogSink`
// elsewhere. Log lines never carry an amount, a message, a name or a token; error reports
// never carry user input (the core guarantees both).
import Foundation
#if canImport(os)
import os
#endif

public enum FundKitLogging {
    /// Forwards the core's log lines at `level` and above to `sink` (by default `os.Logger`
    /// on Apple platforms, standard error elsewhere).
    public static func install(level: LogLevel = .info, sink: LogSink? = nil) {
        setLogSink(sink: sink ?? platformSink(), level: level)
    }

    /// Changes how much the core logs, at any time.
    public static func setLevel(_ level: LogLevel) { setLogLevel(level: level) }

    public static func uninstall() { setLogSink(sink: nil, level: .off) }

    /// Tells `report` about the core's internal errors (storage failures, a listener that threw).
    public static func reportErrors(to report: @escaping @Sendable (_ kind: String, _ detail: String) -> Void) {
        setErrorReporter(reporter: ClosureReporter(report))
    }

    static func platformSink() -> LogSink {
        #if canImport(os)
        if #available(iOS 14.0, macOS 11.0, *) { return OSLogSink() }
        #endif
        return StandardErrorSink()
    }
}

final class ClosureReporter: ErrorReporter, Sendable {
    private let report: @Sendable (String, String) -> Void
    init(_ report: @escaping @Sendable (String, String) -> Void) { self.report = report }
    func reportError(kind: String, detail: String) { report(kind, detail) }
}

final class StandardErrorSink: LogSink, Sendable {
    func log(record: LogRecord) {
        FileHandle.standardError.write(Data("[\(record.level)] \(record.target): \(record.message)\n".utf8))
    }
}

#if canImport(os)
@available(iOS 14.0, macOS 11.0, *)
final class OSLogSink: LogSink, Sendable {
    func log(record: LogRecord) {
        let logger = Logger(subsystem: "dev.fundkit", category: record.target)
        // The core never puts secrets in a line, so it is public in the unified log.
        switch record.level {
        case .error: logger.error("\(record.message, privacy: .public)")
        case .warn: logger.warning("\(record.message, privacy: .public)")
        case .info: logger.info("\(record.message, privacy: .public)")
        case .debug, .trace, .off: logger.debug("\(record.message, privacy: .public)")
        }
    }
}
#endif
