//! `ReqwestTransport`: the transport of the CLI, the Rust tests, the bench and a plain
//! desktop JVM (feature `reqwest-transport`). The builds Android and iOS ship leave it
//! out, and with it reqwest, hyper and rustls: the app's own HTTP stack carries the bytes.

use std::time::Duration;

use super::transport::{HttpHeader, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// reqwest with rustls, following no redirect.
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new() -> Result<ReqwestTransport, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Never follow a redirect: the engine answers a 3xx itself (`http::classify`).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Tls {
                detail: format!("HTTP client: {e}"),
            })?;
        Ok(ReqwestTransport { client })
    }
}

#[async_trait::async_trait]
impl HttpTransport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            TransportError::Offline {
                detail: format!("unsupported method {}", request.method),
            }
        })?;
        let mut req = self
            .client
            .request(method, &request.url)
            .timeout(Duration::from_millis(request.timeout_ms));
        for h in &request.headers {
            req = req.header(&h.name, &h.value);
        }
        if let Some(body) = request.body {
            req = req.body(body.0);
        }
        let mut resp = req.send().await.map_err(describe)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some(HttpHeader {
                    name: name.as_str().to_owned(),
                    value: value.to_str().ok()?.to_owned(),
                })
            })
            .collect();
        // Reads one byte past the limit at most: enough for the engine to refuse it.
        let limit = request.max_response_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(describe)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > limit {
                break;
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body: body.into(),
        })
    }
}

/// The kind of a reqwest failure, described without the URL's query or any body.
fn describe(e: reqwest::Error) -> TransportError {
    let timed_out = e.is_timeout();
    let e = e.without_url();
    let message = e.to_string();
    if timed_out {
        return TransportError::TimedOut { detail: message };
    }
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return TransportError::Tls {
                detail: format!("{message}: {s}"),
            };
        }
        source = s.source();
    }
    TransportError::Offline { detail: message }
}
