//! What the app is told about sync: a pass's report, the engine's state, and why a pass
//! failed as a typed value (so an app can tell "signed out" from "offline" from "the server
//! refused"). Shared by `sync` (which records it) and `shared` (whose notifier reports it).

use std::time::Duration;

use tokio::time::Instant;

use crate::error::FundkitError;

/// Why a sync pass ended early. Nothing is lost: what was not sent waits for the next pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum SyncProblem {
    /// No network, a timeout, a 5xx or a 429: retried automatically with backoff.
    #[error("{detail}")]
    Offline { detail: String },
    /// No token from the host, or the server refused a fresh one: sign in again.
    #[error("{detail}")]
    SignedOut { detail: String },
    /// The server refused a request in a way retrying will not fix (a 4xx, or an answer
    /// that could not be read).
    #[error("{detail}")]
    ServerRefused {
        status: u16,
        code: String,
        detail: String,
    },
    /// The device's storage failed (full, corrupt, permissions).
    #[error("{detail}")]
    Storage { detail: String },
    /// A feed (`feed`: `fundraisers`, `own donations`, `donors`) did not reach its end in
    /// this pass: it kept answering `has_more` past the most pages a pass takes, or its
    /// cursors went round in a circle. What was read is kept; the other feeds were pulled;
    /// the next pass goes on from the last cursor stored.
    #[error("{detail}")]
    FeedUnfinished { feed: String, detail: String },
    /// Anything else (a bug): reported as such.
    #[error("{detail}")]
    Internal { detail: String },
}

impl From<&FundkitError> for SyncProblem {
    fn from(e: &FundkitError) -> Self {
        let detail = e.to_string();
        match e {
            FundkitError::Network { .. } => SyncProblem::Offline { detail },
            FundkitError::Unauthorized { .. } => SyncProblem::SignedOut { detail },
            FundkitError::Server { status, code, .. } => SyncProblem::ServerRefused {
                status: *status,
                code: code.clone(),
                detail,
            },
            FundkitError::Storage { .. } | FundkitError::StorageFull => {
                SyncProblem::Storage { detail }
            }
            _ => SyncProblem::Internal { detail },
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SyncReport {
    /// Donations posted to the server in this pass (repeats included).
    pub sent: u32,
    pub confirmed: u32,
    pub rejected: u32,
    pub needs_action: u32,
    /// Answers the server had already given (a resend after a lost response).
    pub duplicates: u32,
    pub expired: u32,
    /// Donations put back in line because the pass ended early.
    pub requeued: u32,
    pub fundraisers_updated: u32,
    /// The donor's own donations updated from the server's feed: a bank step completed or
    /// abandoned, a donation made on another device.
    pub own_donations_updated: u32,
    /// Donations still queued after the pass.
    pub remaining: u32,
    /// Why the pass ended early, if it did. Nothing is lost: the rest waits.
    pub error: Option<SyncProblem>,
}

/// The sync engine's state, for the app's status line ("3 donations waiting for network").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SyncState {
    pub online: bool,
    pub syncing: bool,
    pub pending_count: u32,
    pub last_success_at_ms: Option<i64>,
    pub last_error: Option<SyncProblem>,
    pub consecutive_failures: u32,
    /// When the next automatic pass is due after a failure.
    pub next_attempt_at_ms: Option<i64>,
}

/// The engine's bookkeeping between passes.
#[derive(Debug, Default)]
pub(crate) struct SyncStatus {
    pub syncing: bool,
    pub last_success_at_ms: Option<i64>,
    pub last_error: Option<SyncProblem>,
    pub failures: u32,
    /// When the worker runs the next pass: (monotonic, wall-clock ms for the app).
    pub next_attempt: Option<(Instant, i64)>,
}

impl SyncStatus {
    /// Records a successful pass.
    pub fn succeeded(&mut self, now_ms: i64) {
        self.last_success_at_ms = Some(now_ms);
        self.last_error = None;
        self.failures = 0;
        self.next_attempt = None;
    }

    /// Records a failed pass and schedules the next one after `delay`.
    pub fn failed(&mut self, error: SyncProblem, delay: Duration, now_ms: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_error = Some(error);
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.next_attempt = Some((Instant::now() + delay, now_ms.saturating_add(delay_ms)));
    }

    pub fn state(&self, online: bool, pending_count: u32) -> SyncState {
        SyncState {
            online,
            syncing: self.syncing,
            pending_count,
            last_success_at_ms: self.last_success_at_ms,
            last_error: self.last_error.clone(),
            consecutive_failures: self.failures,
            next_attempt_at_ms: self.next_attempt.map(|(_, ms)| ms),
        }
    }
}
