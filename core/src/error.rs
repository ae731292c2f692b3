//! Errors. Two enums, after application-services: `FundkitError` is the small, stable,
//! documented error the apps see (a sealed exception class in Kotlin, an `Error` enum in
//! Swift); `Error` is the internal one that wraps library errors with `#[from]` and is never
//! returned across FFI. `From<Error> for FundkitError` is the one place that decides what
//! each internal error becomes, and it is an exhaustive `match`: a new internal error is a
//! compile error until someone decides how the app should see it.

use crate::model::DonationState;
use crate::money::MoneyError;
use crate::rollout::UnavailableReason;
use crate::rules::ValidationIssue;

/// Which offline cap a donation would break (docs/design.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum OfflineCap {
    /// One queued donation is above the single-donation cap (250).
    SingleAmount,
    /// All queued donations in this currency would exceed the total cap (1,000).
    TotalAmount,
    /// There are already as many queued donations as allowed (50).
    Count,
}

/// The error every FundKit call may return.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Error))]
pub enum FundkitError {
    /// The input breaks one or more rules; `issues` lists every one of them.
    #[error("validation failed with {} issue(s)", issues.len())]
    Validation { issues: Vec<ValidationIssue> },
    /// An amount could not be read or written as money.
    #[error("invalid amount: {reason}")]
    InvalidAmount { reason: MoneyError },
    /// The action is not open to this user (country, platform, age, switched off).
    #[error("not available: {reason:?}")]
    Unavailable { reason: UnavailableReason },
    /// Queuing this donation would break an offline cap.
    #[error("offline limit reached ({cap:?})")]
    OfflineLimit { cap: OfflineCap },
    #[error("{what} not found")]
    NotFound { what: String },
    /// A donation with this id already exists with different content: an id made for one
    /// donation sheet was reused for another donation. Nothing new was queued.
    #[error("donation id {id} is already used by a different donation")]
    DuplicateDonationId { id: String },
    /// The donation's state does not allow this action (e.g. cancelling one already sent).
    #[error("cannot {action} a donation that is {state:?}")]
    IllegalTransition {
        state: DonationState,
        action: String,
    },
    // Variants carry `detail`, not `message`: a field named `message` would clash with
    // `Throwable.message` in the generated Kotlin exception classes.
    /// The network failed or timed out; the work stays queued and will be retried.
    #[error("network error: {detail}")]
    Network { detail: String },
    /// The host gave no token, or the server refused the fresh one too.
    #[error("not authorised: {detail}")]
    Unauthorized { detail: String },
    /// The server answered with an error that retrying will not fix.
    #[error("server error {status} ({code}): {detail}")]
    Server {
        status: u16,
        code: String,
        detail: String,
    },
    /// The client was configured wrongly (e.g. plain http to a non-loopback host).
    #[error("configuration error: {detail}")]
    Configuration { detail: String },
    /// The device has no space left: nothing was saved by this call, and everything saved
    /// before is intact. The app can ask the user to free some space and try again.
    #[error("the device is out of storage space")]
    StorageFull,
    /// Another FundKit client (in this process or another) has the database file at
    /// `path` open: one client owns a file for its whole life. Drop the other client, or
    /// use it, instead of opening a second one.
    #[error("the database {path} is in use by another FundKit client")]
    DatabaseInUse { path: String },
    /// A link opens no fundraiser; `problem` says why (docs/links.md).
    #[error("the link opens no fundraiser ({problem:?})")]
    Link { problem: crate::links::LinkProblem },
    /// The local database failed (corruption, permissions, I/O).
    #[error("storage error: {detail}")]
    Storage { detail: String },
    /// A bug in FundKit. Please report it.
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

impl From<MoneyError> for FundkitError {
    fn from(reason: MoneyError) -> Self {
        FundkitError::InvalidAmount { reason }
    }
}

#[cfg(feature = "client")]
pub(crate) use internal::Error;

#[cfg(feature = "client")]
mod internal {
    use std::time::Duration;

    use super::FundkitError;

    /// Internal errors: what the libraries underneath and the server can fail with. Never
    /// crosses FFI.
    #[derive(Debug, thiserror::Error)]
    pub(crate) enum Error {
        /// The network failed or timed out, or the server asked to come back later (5xx,
        /// 408, 429): retry after `retry_after` if it said, else with backoff.
        #[error("{message}")]
        Offline {
            message: String,
            retry_after: Option<Duration>,
        },
        /// No token from the host, or the server refused a freshly asked-for one too.
        #[error("{message}")]
        SignedOut { message: String },
        /// The server refused the request in a way retrying will not fix (a 4xx, or an
        /// answer that could not be read).
        #[error("{status} {code}: {message}")]
        Refused {
            status: u16,
            code: String,
            message: String,
        },
        #[error(transparent)]
        Sqlite(#[from] rusqlite::Error),
        #[error(transparent)]
        Migration(#[from] rusqlite_migration::Error),
        #[error(transparent)]
        Io(#[from] std::io::Error),
        #[error("stored data is not readable: {0}")]
        Corrupt(String),
        #[error(transparent)]
        Public(#[from] FundkitError),
    }

    impl From<Error> for FundkitError {
        fn from(err: Error) -> Self {
            // Exhaustive on purpose (no `_` arm). Storage messages come from SQLite and
            // name tables and constraints, never row values, so they are safe to show.
            match err {
                Error::Offline { message, .. } => FundkitError::Network { detail: message },
                Error::SignedOut { message } => FundkitError::Unauthorized { detail: message },
                Error::Refused {
                    status,
                    code,
                    message,
                } => FundkitError::Server {
                    status,
                    code,
                    detail: message,
                },
                Error::Sqlite(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) =>
                {
                    tracing::warn!("the device is out of space; the transaction was rolled back");
                    FundkitError::StorageFull
                }
                Error::Sqlite(e) => {
                    tracing::error!(error = %e, "sqlite failure");
                    crate::logging::report("storage", &e.to_string());
                    FundkitError::Storage {
                        detail: e.to_string(),
                    }
                }
                Error::Migration(e) => {
                    tracing::error!(error = %e, "migration failure");
                    crate::logging::report("migration", &e.to_string());
                    FundkitError::Storage {
                        detail: e.to_string(),
                    }
                }
                Error::Io(e) => {
                    tracing::error!(error = %e, "io failure");
                    crate::logging::report("storage_io", &e.to_string());
                    FundkitError::Storage {
                        detail: e.to_string(),
                    }
                }
                Error::Corrupt(what) => {
                    tracing::error!(%what, "corrupt row");
                    crate::logging::report("corrupt", &what);
                    FundkitError::Storage {
                        detail: format!("stored data is not readable: {what}"),
                    }
                }
                Error::Public(e) => e,
            }
        }
    }
}

pub type Result<T, E = FundkitError> = std::result::Result<T, E>;
