//! The transport seam: the one place bytes cross to the network. The app hands FundKit an
//! `HttpTransport` (OkHttp on Android, URLSession on iOS; reqwest for the CLI, the Rust
//! tests and a plain desktop JVM with the `reqwest-transport` feature), and the sync
//! engine above it (`http`) decides everything else: what to send, retries and
//! `Retry-After`, what a status means, that redirects are never followed and only the
//! configured server is believed. A transport moves one request's bytes and reports what
//! came back, nothing more.

/// One header, as sent or received. Names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request the engine built in full: the transport sends exactly this, adds nothing
/// that changes its meaning, and follows no redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct HttpRequest {
    /// `GET`, `POST` or `PATCH`.
    pub method: String,
    /// The absolute URL, query included, always on the configured server.
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// The body (JSON, `Content-Type` is among the headers), or none.
    pub body: Option<Vec<u8>>,
    /// The whole exchange (connect, send, read the answer) must end within this time;
    /// past it, fail with `TransportError::TimedOut`.
    pub timeout_ms: u64,
    /// The engine refuses an answer larger than this; a transport may stop reading there.
    pub max_response_bytes: u64,
}

/// What came back: any status, redirects included (never followed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

/// Why no answer came. Every kind is transient to the engine (the donation stays queued
/// and the pass is retried with backoff); the kind only tells the user and the logs why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "ffi", derive(uniffi::Error))]
pub enum TransportError {
    /// No connection (no network, DNS failed, refused, reset, broken mid-answer).
    #[error("offline: {detail}")]
    Offline { detail: String },
    /// The request's `timeout_ms` passed.
    #[error("timed out: {detail}")]
    TimedOut { detail: String },
    /// The TLS handshake or the certificate check (pinning included) failed.
    #[error("TLS: {detail}")]
    Tls { detail: String },
    /// The request was cancelled (the app, the OS, or FundKit shutting down).
    #[error("cancelled: {detail}")]
    Cancelled { detail: String },
}

/// A transport that threw something other than a `TransportError` (a bug in it) is
/// treated as the network being away: the engine retries later.
#[cfg(feature = "ffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Offline {
            detail: format!("the transport failed: {}", e.reason),
        }
    }
}

/// Sends one HTTP request. Implemented by the app (or `ReqwestTransport`).
///
/// Contract: send exactly the request given; never follow a redirect (return the 3xx as
/// it is); honour `timeout_ms`; return every status as a response (4xx and 5xx are
/// answers, not errors); fail only when no answer came, with the matching kind. Called
/// from FundKit's sync thread; the app's implementation runs wherever its language runs
/// async code (a Kotlin coroutine, a Swift task) and may take as long as the timeout.
/// Dropping the call (FundKit's own timeout, shut-down) cancels it.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}
