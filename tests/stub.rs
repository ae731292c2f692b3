//! A tiny HTTP/1.1 stub server for the cases the reference server never produces (a
//! redirect, a contradictory answer, an endless feed, a value from a newer server): each
//! request is answered by a closure, every request is recorded, one request per
//! connection.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Without the query.
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A query parameter's value (not percent-decoded: the tests' cursors need none).
    pub fn param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(value: Value) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    /// A redirect to `location` with the given status (301, 302, 303, 307, 308).
    pub fn redirect(status: u16, location: String) -> Response {
        Response {
            status,
            headers: vec![("Location".into(), location)],
            body: Vec::new(),
        }
    }

    pub fn not_found() -> Response {
        Response {
            status: 404,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: br#"{"error":{"code":"not_found","message":"no such route"}}"#.to_vec(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

pub struct Stub {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stub {
    pub async fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let task = {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    let (seen, handler) = (Arc::clone(&seen), Arc::clone(&handler));
                    tokio::spawn(async move {
                        let _ = serve(conn, &seen, &*handler).await;
                    });
                }
            })
        };
        Stub { addr, seen, task }
    }

    /// The base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests went to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut conn: TcpStream,
    seen: &Mutex<Vec<Request>>,
    handler: &Handler,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target.clone(), String::new()),
    };
    let request = Request {
        method,
        path,
        query,
        body: buf[head_end..].to_vec(),
    };
    seen.lock().unwrap().push(request.clone());
    let response = handler(&request);
    let mut out = format!(
        "HTTP/1.1 {} Stub\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    conn.write_all(&bytes).await?;
    conn.shutdown().await
}

/// A fundraiser as the server sends it (running, in USD), organised by the viewer when
/// `own` is true.
pub fn fundraiser_json(id: &str, own: bool) -> Value {
    let now = fundkit::Clock::now_ms(&fundkit::SystemClock);
    json!({
        "id": id, "organiser_id": "usr_organiser", "organiser_name": "Olivia Organiser",
        "kind": {"type": "business_project"}, "category": "community",
        "title": "Community garden", "story": "A story worth telling.",
        "goal": {"minor_units": 1_000_000, "currency": "USD"}, "country": "US",
        "state": "active", "confirmed_total": {"minor_units": 0, "currency": "USD"},
        "donation_count": 0, "duration_days": 30, "created_at_ms": now - 1_000,
        "ends_at_ms": now + 30 * 86_400_000_i64, "updated_at_ms": now - 1_000,
        "removal_reason": null, "viewer_is_organiser": own,
    })
}

/// What a server answers to everything a pass asks besides the batch: the config, one
/// fundraiser `fr_stub`, and feeds with nothing in them. `None` for anything else.
pub fn basics(req: &Request) -> Option<Response> {
    let empty = |list: &str| {
        let mut page = json!({"next_cursor": "c0", "has_more": false});
        page[list] = json!([]);
        page
    };
    Some(Response::json(
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v1/config") => serde_json::to_value(fundkit::wire::ServerConfig {
                rollout: Default::default(),
                limits: Default::default(),
                fees: Vec::new(),
                links: None,
            })
            .expect("config"),
            ("GET", "/v1/fundraisers/fr_stub") => fundraiser_json("fr_stub", false),
            ("GET", "/v1/fundraisers/changes") => empty("fundraisers"),
            ("GET", "/v1/me/donations/changes") => empty("donations"),
            ("GET", p) if p.ends_with("/donors") => {
                let mut page = empty("donations");
                page["donor_count"] = json!(0);
                page
            }
            _ => return None,
        },
    ))
}

/// An accepted answer for every donation of a batch (or ids of a reconcile request).
pub fn accept_all(req: &Request) -> Response {
    let body = req.json();
    let ids: Vec<Value> = match body.get("donations") {
        Some(items) => items
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["id"].clone())
            .collect(),
        None => body["ids"].as_array().cloned().unwrap_or_default(),
    };
    let now = fundkit::Clock::now_ms(&fundkit::SystemClock);
    Response::json(json!({"results": ids.into_iter().map(|id| json!({
        "id": id, "outcome": "accepted", "duplicate": false, "code": null,
        "action_url": null, "received_at_ms": now,
    })).collect::<Vec<_>>()}))
}
