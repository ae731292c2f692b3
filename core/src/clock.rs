//! Time, injectable: the queue's expiry and the sync backoff read the clock through this
//! trait so tests (and the Kotlin tests) can move time forward without waiting a day.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch (UTC). Hosts may
/// implement it (tests do); production uses the system clock. Device clocks only decide
/// local expiry: the order of donations is a local sequence, and their official time is
/// the server's receipt time.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}
