//! The HTTP side of the engine: JSON with bearer auth, built here in full and handed to the
//! app's `HttpTransport` (`transport`) for the byte transfer only; every answer, or its
//! absence, is classified here into retry / re-auth / permanent (docs/design.md §3,
//! invariant 4). Redirects are never followed: a 3xx is a typed failure (`classify`).
//!
//! Secrets: the auth token is asked of the host on each request and never stored or
//! logged; request bodies (which carry payment tokens) are never logged.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{Error, FundkitError};
use crate::rollout::Platform;
use crate::wire::ApiError;

use super::backoff::parse_retry_after;
use super::transport::{HttpBody, HttpHeader, HttpRequest, HttpTransport, TransportError};
use super::AuthProvider;

/// Largest response body the client reads (a hostile or broken server cannot exhaust the
/// phone's memory). A page of 500 fundraisers with 5,000-character stories fits.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The whole exchange of one request, told to the transport.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long past `REQUEST_TIMEOUT` the engine waits for a transport that does not keep
/// its timeout before it drops (cancels) the call itself.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

/// The methods the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

pub(crate) struct Http {
    transport: Arc<dyn HttpTransport>,
    base: Url,
    auth: Arc<dyn AuthProvider>,
    /// Sent as `X-FundKit-Platform` so the server applies the same rollout rules.
    platform: &'static str,
}

/// Checks a server URL: HTTPS, or plain HTTP to a loopback host only (development).
pub(crate) fn check_server_url(url: &str) -> Result<Url, FundkitError> {
    let bad = |detail: String| FundkitError::Configuration { detail };
    let mut parsed =
        Url::parse(url.trim()).map_err(|e| bad(format!("server URL is not valid: {e}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(bad(
                    "plain http is allowed only to a loopback host; use https".into(),
                ));
            }
        }
        other => return Err(bad(format!("unsupported URL scheme {other:?}; use https"))),
    }
    if parsed.cannot_be_a_base() || parsed.query().is_some() || !parsed.username().is_empty() {
        return Err(bad(
            "server URL must be a plain base URL without credentials or query".into(),
        ));
    }
    // Joining relative paths needs a trailing slash.
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

impl Http {
    pub(crate) fn new(
        base: Url,
        auth: Arc<dyn AuthProvider>,
        platform: Platform,
        transport: Arc<dyn HttpTransport>,
    ) -> Http {
        let platform = match platform {
            Platform::Android => "android",
            Platform::Ios => "ios",
        };
        Http {
            transport,
            base,
            auth,
            platform,
        }
    }

    /// Sends a request and decodes a JSON answer. A 401 asks the host for a fresh token
    /// once and retries; a second 401 is `Unauthorized`.
    pub(crate) async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Result<T, Error> {
        let mut url = self.base.join(path).map_err(|e| Error::Refused {
            status: 0,
            code: "bad_url".into(),
            message: e.to_string(),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        // Only the configured server is ever asked.
        if url.origin() != self.base.origin() {
            return Err(Error::Refused {
                status: 0,
                code: "bad_url".into(),
                message: "the request left the configured server".into(),
            });
        }
        let payload = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| Error::Refused {
                status: 0,
                code: "encode_failed".into(),
                message: e.to_string(),
            })?),
            None => None,
        };
        let mut refreshed = false;
        loop {
            let token = self.token(refreshed).await?;
            let header = |name: &str, value: &str| HttpHeader {
                name: name.into(),
                value: value.into(),
            };
            let mut headers = vec![
                header("Authorization", &format!("Bearer {token}")),
                header("X-FundKit-Platform", self.platform),
                header("Accept", "application/json"),
                header("User-Agent", concat!("fundkit/", env!("CARGO_PKG_VERSION"))),
            ];
            if let Some(key) = idempotency_key {
                headers.push(header("Idempotency-Key", key));
            }
            if payload.is_some() {
                headers.push(header("Content-Type", "application/json"));
            }
            let request = HttpRequest {
                method: method.as_str().into(),
                url: url.to_string(),
                headers,
                body: payload.clone().map(HttpBody::from),
                timeout_ms: REQUEST_TIMEOUT.as_millis() as u64,
                max_response_bytes: MAX_RESPONSE_BYTES as u64,
            };
            let started = std::time::Instant::now();
            let sent_at = monotonic_ns();
            let resp = match tokio::time::timeout(
                REQUEST_TIMEOUT + TIMEOUT_GRACE,
                self.transport.send(request),
            )
            .await
            {
                Ok(Ok(resp)) => resp,
                Ok(Err(e)) => return Err(offline(e)),
                Err(_) => {
                    return Err(offline(TransportError::TimedOut {
                        detail: "the transport did not answer in time".into(),
                    }))
                }
            };
            let status = resp.status;
            // The whole exchange as the engine sees it, FFI crossings included (the bench
            // compares it with the time spent inside the app's transport).
            tracing::debug!(
                path,
                status,
                micros = started.elapsed().as_micros() as u64,
                sent_at_ns = sent_at,
                answered_at_ns = monotonic_ns(),
                "transport answered"
            );
            if status == 401 && !refreshed {
                tracing::info!(path, "401: asking the host for a fresh token");
                refreshed = true;
                continue;
            }
            if resp.body.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            let retry_after = resp.header("Retry-After").and_then(parse_retry_after);
            if (200..300).contains(&status) {
                return serde_json::from_slice(&resp.body).map_err(|e| {
                    // A whole answer this build cannot read (a newer server's value where one
                    // object is the answer): this call fails, typed; feeds and the batch answer
                    // skip such an entry instead (`pages`). Where, never what: no content.
                    tracing::warn!(
                        path,
                        status,
                        kind = ?e.classify(),
                        line = e.line(),
                        column = e.column(),
                        "an answer this build cannot read"
                    );
                    Error::Refused {
                        status,
                        code: "bad_response".into(),
                        message: format!("the server's answer could not be read: {e}"),
                    }
                });
            }
            return Err(classify(status, retry_after, &resp.body));
        }
    }

    /// Asks the host for a token without blocking the async runtime's thread (the host's
    /// callback may take a lock or touch its keystore).
    async fn token(&self, force_refresh: bool) -> Result<String, Error> {
        let auth = Arc::clone(&self.auth);
        let token = tokio::task::spawn_blocking(move || auth.access_token(force_refresh))
            .await
            .map_err(|_| Error::SignedOut {
                message: "the auth provider failed".into(),
            })?;
        match token {
            Some(t) if !t.trim().is_empty() => Ok(t),
            _ => Err(Error::SignedOut {
                message: "no access token: is the user signed in?".into(),
            }),
        }
    }
}

/// No answer came: transient whatever the kind (the pass ends and is retried).
fn offline(e: TransportError) -> Error {
    Error::Offline {
        message: e.to_string(),
        retry_after: None,
    }
}

fn too_large() -> Error {
    Error::Refused {
        status: 0,
        code: "response_too_large".into(),
        message: "the server's answer is too large".into(),
    }
}

/// The standard phrase of a status, for an answer without FundKit's error body.
fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "error",
    }
}

/// Decides what a non-success status means.
pub(crate) fn classify(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<ApiError>(body) {
        Ok(api) => (api.error.code, api.error.message),
        Err(_) => (format!("http_{status}"), reason(status).to_owned()),
    };
    if (300..400).contains(&status) {
        // Never followed (the transport's contract): the configured server sent us
        // elsewhere. Nothing in the answer is believed; whatever was sent waits for the
        // next pass.
        return Error::Refused {
            status,
            code: "redirect_not_followed".into(),
            message:
                "the server answered with a redirect; FundKit only talks to the configured server"
                    .into(),
        };
    }
    if (500..600).contains(&status) || status == 429 || status == 408 {
        Error::Offline {
            message: format!("{status} {code}: {message}"),
            retry_after,
        }
    } else if status == 401 {
        Error::SignedOut { message }
    } else {
        Error::Refused {
            status,
            code,
            message,
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock the JVM's `System.nanoTime()` reads on Linux
/// and Android, so the transport bench can place the core's send and answer on the same
/// time line as the Kotlin transport's (where the crossing's time goes). 0 elsewhere.
fn monotonic_ns() -> u64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes the timespec it is given and nothing else.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } == 0 {
            return (ts.tv_sec as u64)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(ts.tv_nsec as u64);
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_loopback() {
        assert!(check_server_url("https://api.example.com").is_ok());
        assert!(check_server_url("http://127.0.0.1:8080").is_ok());
        assert!(check_server_url("http://localhost:8080/").is_ok());
        assert!(check_server_url("http://[::1]:9000").is_ok());
        for bad in [
            "http://api.example.com",
            "http://10.0.0.2:80",
            "ftp://x",
            "not a url",
            "https://u:p@h.com",
        ] {
            assert!(
                matches!(
                    check_server_url(bad),
                    Err(FundkitError::Configuration { .. })
                ),
                "{bad} should be refused"
            );
        }
        assert_eq!(
            check_server_url("https://h.com/api")
                .map(|u| u.path().to_owned())
                .ok(),
            Some("/api/".into())
        );
    }

    #[test]
    fn classification() {
        let body = br#"{"error":{"code":"rate_limited","message":"slow down"}}"#;
        assert!(matches!(
            classify(
                429,
                Some(Duration::from_secs(2)),
                body
            ),
            Error::Offline { message, retry_after: Some(after) }
                if message == "429 rate_limited: slow down" && after == Duration::from_secs(2)
        ));
        assert!(matches!(
            classify(503, None, b"<html>"),
            Error::Offline { .. }
        ));
        assert!(matches!(classify(408, None, b""), Error::Offline { .. }));
        assert!(matches!(classify(401, None, b""), Error::SignedOut { .. }));
        assert!(matches!(
            classify(
                422,
                None,
                br#"{"error":{"code":"validation_failed","message":"m"}}"#
            ),
            Error::Refused { status: 422, code, message } if code == "validation_failed" && message == "m"
        ));
        assert!(matches!(
            classify(400, None, b"garbage"),
            Error::Refused { status: 400, .. }
        ));
        for redirect in [301, 302, 307, 308] {
            assert!(matches!(
                classify(redirect, None, br#"{"results":[]}"#),
                Error::Refused { code, .. } if code == "redirect_not_followed"
            ));
        }
    }
}

#[cfg(test)]
mod seam {
    //! The engine above the transport seam: what it asks a transport to send, and what it
    //! makes of each answer or failure.
    use super::*;
    use crate::sync::transport::HttpResponse;
    use std::sync::Mutex;

    struct Fake {
        answers: Mutex<Vec<Result<HttpResponse, TransportError>>>,
        seen: Mutex<Vec<HttpRequest>>,
    }

    #[async_trait::async_trait]
    impl HttpTransport for Fake {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.seen.lock().unwrap().push(request);
            self.answers.lock().unwrap().remove(0)
        }
    }

    struct Token;
    impl AuthProvider for Token {
        fn access_token(&self, force_refresh: bool) -> Option<String> {
            Some(if force_refresh { "fresh" } else { "stale" }.into())
        }
    }

    fn answer(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| HttpHeader {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
            body: body.to_vec().into(),
        })
    }

    fn run(
        answers: Vec<Result<HttpResponse, TransportError>>,
    ) -> (Result<serde_json::Value, Error>, Vec<HttpRequest>) {
        let fake = Arc::new(Fake {
            answers: Mutex::new(answers),
            seen: Mutex::new(Vec::new()),
        });
        let http = Http::new(
            check_server_url("http://127.0.0.1:9/api").unwrap(),
            Arc::new(Token),
            Platform::Ios,
            fake.clone(),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(http.send::<serde_json::Value, serde_json::Value>(
            Method::Post,
            "v1/donations/batch",
            &[("after", "a b&c".into())],
            Some(&serde_json::json!({"items": []})),
            Some("key-1"),
        ));
        let seen = fake.seen.lock().unwrap().clone();
        (result, seen)
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    #[test]
    fn the_engine_builds_the_whole_request() {
        let (result, seen) = run(vec![answer(200, &[], br#"{"ok":true}"#)]);
        assert_eq!(result.unwrap(), serde_json::json!({"ok": true}));
        let r = &seen[0];
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/api/v1/donations/batch?after=a+b%26c"
        );
        assert_eq!(header(r, "authorization"), Some("Bearer stale"));
        assert_eq!(header(r, "x-fundkit-platform"), Some("ios"));
        assert_eq!(header(r, "idempotency-key"), Some("key-1"));
        assert_eq!(header(r, "content-type"), Some("application/json"));
        assert_eq!(r.body.as_deref(), Some(&br#"{"items":[]}"#[..]));
        assert_eq!(r.timeout_ms, 30_000);
        assert_eq!(r.max_response_bytes, MAX_RESPONSE_BYTES as u64);
    }

    #[test]
    fn retry_after_a_401_with_a_fresh_token_and_the_answers_classified() {
        let (result, seen) = run(vec![
            answer(401, &[], b""),
            answer(429, &[("retry-after", "7")], b""),
        ]);
        assert!(matches!(
            result,
            Err(Error::Offline { retry_after: Some(d), .. }) if d == Duration::from_secs(7)
        ));
        assert_eq!(header(&seen[1], "Authorization"), Some("Bearer fresh"));

        let (result, _) = run(vec![answer(
            307,
            &[("Location", "https://elsewhere.example/")],
            br#"{"results":[]}"#,
        )]);
        assert!(
            matches!(result, Err(Error::Refused { status: 307, code, .. }) if code == "redirect_not_followed")
        );

        let (result, _) = run(vec![answer(200, &[], &vec![b' '; MAX_RESPONSE_BYTES + 1])]);
        assert!(matches!(result, Err(Error::Refused { code, .. }) if code == "response_too_large"));
    }

    #[test]
    fn every_transport_failure_is_transient() {
        for failure in [
            TransportError::Offline {
                detail: "no route".into(),
            },
            TransportError::TimedOut {
                detail: "30 s".into(),
            },
            TransportError::Tls {
                detail: "pin mismatch".into(),
            },
            TransportError::Cancelled {
                detail: "closing".into(),
            },
        ] {
            let (result, _) = run(vec![Err(failure.clone())]);
            assert!(
                matches!(&result, Err(Error::Offline { message, retry_after: None }) if *message == failure.to_string()),
                "{failure:?} gave {result:?}"
            );
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// Any status with any body classifies without panicking, and the class follows
        /// the status alone.
        #[test]
        fn classify_never_panics(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..200)) {
            let class = classify(status, None, &body);
            let transient = (500..600).contains(&status) || status == 429 || status == 408;
            prop_assert_eq!(matches!(class, Error::Offline { .. }), transient);
        }

        #[test]
        fn retry_after_parsing_never_panics(value in ".{0,30}") {
            let _ = parse_retry_after(&value);
        }

        #[test]
        fn server_url_checking_never_panics(url in ".{0,60}") {
            let _ = check_server_url(&url);
        }
    }
}
