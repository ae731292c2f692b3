//! The HTTP client: JSON over HTTPS with bearer auth, and the classification of every
//! failure into retry / re-auth / permanent (docs/design.md §3, invariant 4).
//!
//! Secrets: the auth token is asked of the host on each request and never stored or
//! logged; request bodies (which carry payment tokens) are never logged.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{header, Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, FundkitError};
use crate::rollout::Platform;
use crate::wire::ApiError;

use super::backoff::parse_retry_after;
use super::AuthProvider;

/// Largest response body the client reads (a hostile or broken server cannot exhaust the
/// phone's memory). A page of 500 fundraisers with 5,000-character stories fits.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

pub(crate) struct Http {
    client: reqwest::Client,
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
    ) -> Result<Http, FundkitError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .https_only(base.scheme() == "https")
            // Never follow a redirect: a batch carries payment tokens and messages, and a
            // 307/308 would re-post it, tokens and all, to wherever `Location` points, whose
            // answer would then be believed. Only the configured server is ever asked or
            // believed; a 3xx is a typed failure (see `classify`), retried with backoff.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fundkit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FundkitError::Configuration {
                detail: format!("HTTP client: {e}"),
            })?;
        let platform = match platform {
            Platform::Android => "android",
            Platform::Ios => "ios",
        };
        Ok(Http {
            client,
            base,
            auth,
            platform,
        })
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
        let url = self.base.join(path).map_err(|e| Error::Refused {
            status: 0,
            code: "bad_url".into(),
            message: e.to_string(),
        })?;
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
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .bearer_auth(&token)
                .header("X-FundKit-Platform", self.platform)
                .query(query);
            if let Some(key) = idempotency_key {
                req = req.header("Idempotency-Key", key);
            }
            if let Some(bytes) = &payload {
                req = req
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            let resp = req.send().await.map_err(|e| Error::Offline {
                message: describe(e),
                retry_after: None,
            })?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                tracing::info!(path, "401: asking the host for a fresh token");
                refreshed = true;
                continue;
            }
            let retry_after = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let bytes = read_limited(resp).await?;
            if status.is_success() {
                return serde_json::from_slice(&bytes).map_err(|e| Error::Refused {
                    status: status.as_u16(),
                    code: "bad_response".into(),
                    message: format!("the server's answer could not be read: {e}"),
                });
            }
            return Err(classify(status, retry_after, &bytes));
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

/// Reads at most MAX_RESPONSE_BYTES of a body.
async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, Error> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| Error::Offline {
        message: describe(e),
        retry_after: None,
    })? {
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn too_large() -> Error {
    Error::Refused {
        status: 0,
        code: "response_too_large".into(),
        message: "the server's answer is too large".into(),
    }
}

/// Decides what a non-success status means.
pub(crate) fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<ApiError>(body) {
        Ok(api) => (api.error.code, api.error.message),
        Err(_) => (
            format!("http_{}", status.as_u16()),
            status.canonical_reason().unwrap_or("error").to_owned(),
        ),
    };
    if status.is_redirection() {
        // Not followed (see `Http::new`): the configured server sent us elsewhere. Nothing
        // in the answer is believed; whatever was sent waits for the next pass.
        return Error::Refused {
            status: status.as_u16(),
            code: "redirect_not_followed".into(),
            message:
                "the server answered with a redirect; FundKit only talks to the configured server"
                    .into(),
        };
    }
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        Error::Offline {
            message: format!("{} {code}: {message}", status.as_u16()),
            retry_after,
        }
    } else if status == StatusCode::UNAUTHORIZED {
        Error::SignedOut { message }
    } else {
        Error::Refused {
            status: status.as_u16(),
            code,
            message,
        }
    }
}

/// A short description of a transport error, without the URL's query or any body.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading the answer"
    } else {
        "request failed"
    };
    format!("{kind}: {}", e.without_url())
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
                StatusCode::TOO_MANY_REQUESTS,
                Some(Duration::from_secs(2)),
                body
            ),
            Error::Offline { message, retry_after: Some(after) }
                if message == "429 rate_limited: slow down" && after == Duration::from_secs(2)
        ));
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, None, b"<html>"),
            Error::Offline { .. }
        ));
        assert!(matches!(
            classify(StatusCode::REQUEST_TIMEOUT, None, b""),
            Error::Offline { .. }
        ));
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, None, b""),
            Error::SignedOut { .. }
        ));
        assert!(matches!(
            classify(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                br#"{"error":{"code":"validation_failed","message":"m"}}"#
            ),
            Error::Refused { status: 422, code, message } if code == "validation_failed" && message == "m"
        ));
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, None, b"garbage"),
            Error::Refused { status: 400, .. }
        ));
        for redirect in [
            StatusCode::MOVED_PERMANENTLY,
            StatusCode::FOUND,
            StatusCode::TEMPORARY_REDIRECT,
            StatusCode::PERMANENT_REDIRECT,
        ] {
            assert!(matches!(
                classify(redirect, None, br#"{"results":[]}"#),
                Error::Refused { code, .. } if code == "redirect_not_followed"
            ));
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
            let Ok(code) = StatusCode::from_u16(status) else { return Ok(()) };
            let class = classify(code, None, &body);
            let transient = code.is_server_error() || status == 429 || status == 408;
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
