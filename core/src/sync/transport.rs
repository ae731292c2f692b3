//! The transport seam: the one place bytes cross to the network. The app hands FundKit an
//! `HttpTransport` (OkHttp on Android, URLSession on iOS; reqwest for the CLI, the Rust
//! tests and a plain desktop JVM with the `reqwest-transport` feature), and the sync
//! engine above it (`http`) decides everything else: what to send, retries and
//! `Retry-After`, what a status means, that redirects are never followed and only the
//! configured server is believed. A transport moves one request's bytes and reports what
//! came back, nothing more.

/// The bytes of a request's or an answer's body: a `ByteArray` in Kotlin, `Data` in Swift
/// (UniFFI's `bytes`). A `Vec<u8>` would be the same type to the app, but UniFFI moves a
/// `Vec<u8>` across the FFI one byte at a time (a bounds check and a push per byte: about
/// 100 µs of a batch request's crossing in the size-optimized release build,
/// docs/performance.md); a body crosses as one copy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpBody(pub Vec<u8>);

impl From<Vec<u8>> for HttpBody {
    fn from(bytes: Vec<u8>) -> Self {
        HttpBody(bytes)
    }
}

impl From<HttpBody> for Vec<u8> {
    fn from(body: HttpBody) -> Self {
        body.0
    }
}

impl std::ops::Deref for HttpBody {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// The same bytes on the wire as UniFFI's own `Vec<u8>` (a big-endian i32 length, then the
// bytes) and the same type metadata, so the bindings are unchanged; only the copy is one
// `memcpy` instead of a loop. The foreign side writes and reads exactly this layout.
#[cfg(feature = "ffi")]
unsafe impl uniffi::Lower<crate::UniFfiTag> for HttpBody {
    type FfiType = uniffi::RustBuffer;

    fn lower(obj: Self) -> Self::FfiType {
        Self::lower_into_rust_buffer(obj)
    }

    fn write(obj: Self, buf: &mut Vec<u8>) {
        // The foreign side reads an i32 length (JVM arrays): bodies stay far below 2 GiB
        // (the engine refuses answers above MAX_RESPONSE_BYTES).
        // ok: only request bodies are lowered here, made by the core under the batch's
        // byte budget (about 1 MB); UniFFI's own `Vec<u8>` panics alike past i32::MAX.
        let len = i32::try_from(obj.0.len()).expect("a body below 2 GiB");
        buf.reserve(4 + obj.0.len());
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(&obj.0);
    }
}

#[cfg(feature = "ffi")]
unsafe impl uniffi::Lift<crate::UniFfiTag> for HttpBody {
    type FfiType = uniffi::RustBuffer;

    fn try_lift(v: Self::FfiType) -> uniffi::Result<Self> {
        Self::try_lift_from_rust_buffer(v)
    }

    fn try_read(buf: &mut &[u8]) -> uniffi::Result<Self> {
        uniffi::check_remaining(buf, 4)?;
        let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let len = usize::try_from(len)?;
        uniffi::check_remaining(&buf[4..], len)?;
        let bytes = buf[4..4 + len].to_vec();
        *buf = &buf[4 + len..];
        Ok(HttpBody(bytes))
    }
}

#[cfg(feature = "ffi")]
impl uniffi::TypeId<crate::UniFfiTag> for HttpBody {
    const TYPE_ID_META: uniffi::MetadataBuffer =
        <Vec<u8> as uniffi::TypeId<crate::UniFfiTag>>::TYPE_ID_META;
}

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
    pub body: Option<HttpBody>,
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
    pub body: HttpBody,
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
    /// The connection's security failed: the TLS handshake, the certificate check (pinning
    /// included), or the platform's policy refusing plain HTTP (Android's Network Security
    /// Config, Apple's App Transport Security).
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

#[cfg(all(test, feature = "ffi"))]
mod tests {
    use super::*;
    use uniffi::{Lift, Lower};

    type Tag = crate::UniFfiTag;

    /// A body crosses exactly as UniFFI's `bytes` (what Kotlin's `ByteArray` and Swift's
    /// `Data` converters write and read), and comes back whole.
    #[test]
    fn a_body_crosses_as_uniffi_bytes() {
        for len in [0usize, 1, 3, 4096, 25_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let mut ours = Vec::new();
            <HttpBody as Lower<Tag>>::write(HttpBody(bytes.clone()), &mut ours);
            let mut theirs = Vec::new();
            <Vec<u8> as Lower<Tag>>::write(bytes.clone(), &mut theirs);
            assert_eq!(ours, theirs, "len {len}");
            let mut buf = theirs.as_slice();
            let back = <HttpBody as Lift<Tag>>::try_read(&mut buf).unwrap();
            assert_eq!(back.0, bytes);
            assert!(buf.is_empty());
            // Inside a record, followed by other fields: only its own bytes are taken.
            let request = HttpRequest {
                method: "POST".into(),
                url: "https://example.org/v1/donations/batch".into(),
                headers: vec![HttpHeader {
                    name: "Content-Type".into(),
                    value: "application/json".into(),
                }],
                body: Some(HttpBody(bytes.clone())),
                timeout_ms: 30_000,
                max_response_bytes: 1 << 20,
            };
            let lifted = <HttpRequest as Lift<Tag>>::try_lift(<HttpRequest as Lower<Tag>>::lower(
                request.clone(),
            ))
            .unwrap();
            assert_eq!(lifted, request);
        }
        let (ours, theirs) = (
            <HttpBody as uniffi::TypeId<Tag>>::TYPE_ID_META,
            <Vec<u8> as uniffi::TypeId<Tag>>::TYPE_ID_META,
        );
        assert_eq!(ours.as_ref(), theirs.as_ref(), "the bindings see one type");
    }

    #[test]
    fn a_cut_or_lying_body_is_refused_not_read_past() {
        let mut full = Vec::new();
        <HttpBody as Lower<Tag>>::write(HttpBody(vec![1, 2, 3, 4, 5]), &mut full);
        for cut in 0..full.len() {
            let mut buf = &full[..cut];
            assert!(
                <HttpBody as Lift<Tag>>::try_read(&mut buf).is_err(),
                "cut at {cut}"
            );
        }
        let mut negative = (-1i32).to_be_bytes().to_vec();
        negative.push(0);
        assert!(<HttpBody as Lift<Tag>>::try_read(&mut negative.as_slice()).is_err());
    }
}
