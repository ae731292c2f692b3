//! The core's logs and internal errors, handed to the host app where it already reads them
//! (after application-services' log forwarder): the app installs a `LogSink` (Kotlin
//! forwards to `android.util.Log` or a JVM logger, Swift to `os.Logger`) and can set the
//! level; an `ErrorReporter` tells the host's crash reporter about internal errors.
//!
//! What crosses: level, target (the module) and the message with its fields. FundKit's log
//! lines name ids, counts, states and causes, never an amount, a message, a name or a
//! token (tested); error reports carry the kind and the library's message (SQLite names
//! tables and constraints, never row values), never user input.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// How much the core logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// One log line of the core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct LogRecord {
    pub level: LogLevel,
    /// The module that logged it, e.g. `fundkit::sync`.
    pub target: String,
    /// The message and its fields, e.g. `donation queued id=… seq=3 offline=true`.
    pub message: String,
}

/// Receives the core's log lines. Called on the thread that logged: keep it quick.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait LogSink: Send + Sync {
    fn log(&self, record: LogRecord);
}

/// Told of internal errors (storage failures, a bug): for the host's crash reporter.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait ErrorReporter: Send + Sync {
    fn report_error(&self, kind: String, detail: String);
}

static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);
static REPORTER: RwLock<Option<Arc<dyn ErrorReporter>>> = RwLock::new(None);
static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Info as u8);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends the core's log lines at `level` and above to `sink` (`None` stops forwarding).
/// Installs FundKit's forwarder as the process's tracing subscriber the first time; if the
/// process already has one (a Rust host), that one keeps the lines.
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, level: LogLevel) {
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
    set_log_level(level);
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Forwarder))
            .is_ok()
    });
}

/// Changes how much the core logs, at any time.
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn set_log_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Tells `reporter` about internal errors from now on (`None` stops).
#[cfg_attr(feature = "ffi", uniffi::export)]
pub fn set_error_reporter(reporter: Option<Arc<dyn ErrorReporter>>) {
    *REPORTER.write().unwrap_or_else(|p| p.into_inner()) = reporter;
}

/// Reports an internal error to the host's reporter, if any. `kind` is a stable word
/// (`storage`, `listener_panicked`, `internal`); `detail` never carries user input.
pub(crate) fn report(kind: &str, detail: &str) {
    let reporter = REPORTER.read().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(r) = reporter {
        // A reporter that throws must not turn a reported error into a crash.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            r.report_error(kind.to_owned(), detail.to_owned())
        }));
    }
}

fn level_of(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        Level::TRACE => LogLevel::Trace,
    }
}

/// The tracing layer that hands FundKit's events to the sink.
pub(crate) struct Forwarder;

impl<S: Subscriber> Layer<S> for Forwarder {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = level_of(meta.level());
        if level as u8 > LEVEL.load(Ordering::Relaxed) || !meta.target().starts_with("fundkit") {
            return;
        }
        let Some(sink) = SINK.read().unwrap_or_else(|p| p.into_inner()).clone() else {
            return;
        };
        let mut message = Message(String::new());
        event.record(&mut message);
        let record = LogRecord {
            level,
            target: meta.target().to_owned(),
            message: message.0,
        };
        // A sink that throws must not take the logging thread down.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.log(record)));
    }
}

/// `message` first, then `key=value` for each field.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}");
            if !rest.is_empty() {
                self.0.push(' ');
                self.0.push_str(&rest);
            }
        } else {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            use std::fmt::Write;
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<LogRecord>>);
    impl LogSink for Collect {
        fn log(&self, record: LogRecord) {
            self.0.lock().unwrap().push(record);
        }
    }

    #[test]
    fn records_reach_the_sink_with_level_target_and_fields_and_respect_the_level() {
        let sink = Arc::new(Collect::default());
        *SINK.write().unwrap() = Some(sink.clone());
        set_log_level(LogLevel::Info);
        let subscriber = tracing_subscriber::registry().with(Forwarder);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "fundkit::queue", id = "d1", count = 3, "donation queued");
            tracing::debug!(target: "fundkit::queue", "too detailed for info");
            tracing::warn!(target: "other_crate", "not ours");
        });
        *SINK.write().unwrap() = None;
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![LogRecord {
                level: LogLevel::Info,
                target: "fundkit::queue".into(),
                message: "donation queued id=d1 count=3".into(),
            }]
        );
    }
}
