//! A fault-injecting HTTP proxy for loopback tests: it sits between a FundKit client and
//! the reference server and, request by request, passes, delays, refuses, answers with an
//! error status, drops the answer after the server committed, or cuts the answer midway.
//!
//! It is HTTP-aware just enough for that: it reads one whole request (headers and a
//! Content-Length body), forwards it on a fresh upstream connection with
//! `Connection: close`, and reads the answer to EOF.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Wait, then pass.
    Delay(Duration),
    /// Close the connection before anything reaches the server.
    DropRequest,
    /// Forward it (the server commits), then close without answering.
    DropResponse,
    /// Forward it, then send only the first half of the answer.
    CutResponse,
    /// Forward it (the server commits), then reset the connection (TCP RST) unanswered.
    ResetResponse,
    /// Forward it twice (as a middlebox that retried it would: the server sees it twice)
    /// and answer with the second answer.
    Duplicate,
    /// Answer with this status (and `Retry-After` seconds) without forwarding.
    Status {
        code: u16,
        retry_after: Option<u64>,
    },
    /// Forward it (the server commits), then rewrite a batch answer's `results`.
    Rewrite(Rewrite),
}

/// Odd answers a server (or a broken middlebox) gives to a batch that was processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// The last result is left out.
    Partial,
    /// `{"results":[]}`.
    Empty,
    /// Results reversed, the first repeated, and one for an id nobody sent.
    ReorderDuplicateUnknown,
}

#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub forwarded: AtomicU64,
    pub faults: AtomicU64,
    /// Faults injected, by kind ("drop_request", "status_503", ...).
    pub by_kind: Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Fault {
    pub fn kind(&self) -> String {
        match self {
            Fault::Pass => "pass".into(),
            Fault::Delay(_) => "delay".into(),
            Fault::DropRequest => "drop_request".into(),
            Fault::DropResponse => "drop_response".into(),
            Fault::CutResponse => "cut_response".into(),
            Fault::ResetResponse => "reset_response".into(),
            Fault::Duplicate => "duplicate".into(),
            Fault::Status { code, .. } => format!("status_{code}"),
            Fault::Rewrite(r) => format!("rewrite_{r:?}").to_lowercase(),
        }
    }
}

/// The faults any network produces, for soaks: lost requests and answers, cut and reset
/// answers, requests delivered twice, 5xx with and without `Retry-After`, delays, and odd
/// batch answers (partial, reordered with a duplicate and a stranger).
pub fn network_faults() -> Vec<Fault> {
    vec![
        Fault::DropRequest,
        Fault::DropResponse,
        Fault::CutResponse,
        Fault::ResetResponse,
        Fault::Duplicate,
        Fault::Status {
            code: 503,
            retry_after: Some(1),
        },
        Fault::Status {
            code: 500,
            retry_after: None,
        },
        Fault::Delay(Duration::from_millis(30)),
        Fault::Rewrite(Rewrite::Partial),
        Fault::Rewrite(Rewrite::ReorderDuplicateUnknown),
    ]
}

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Upstreams>,
    plan: Arc<Mutex<Plan>>,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Plan {
    /// Faults for the next requests, in order; then `random` if set, else Pass.
    queue: VecDeque<Fault>,
    /// (probability in 0..=1000 per request, the faults to draw from, rng state)
    random: Option<(u32, Vec<Fault>, u64)>,
    /// Only requests whose path contains this are subject to queued faults.
    only_path: Option<String>,
    /// Requests whose body contains this marker are refused with this status: a server
    /// rule the device does not know, for one donation among healthy ones.
    poison: Option<(String, u16)>,
}

/// The server instances behind the proxy: requests go to each in turn.
#[derive(Default)]
struct Upstreams {
    addrs: Mutex<Vec<SocketAddr>>,
    next: AtomicU64,
}

impl Upstreams {
    fn pick(&self) -> Option<SocketAddr> {
        let addrs = self.addrs.lock().unwrap();
        let n = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        (!addrs.is_empty()).then(|| addrs[n % addrs.len()])
    }
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        Proxy::start_many(vec![upstream]).await
    }

    /// A proxy in front of several server instances (on one database), spreading
    /// requests across them in turn.
    pub async fn start_many(upstreams: Vec<SocketAddr>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let upstream = Arc::new(Upstreams {
            addrs: Mutex::new(upstreams),
            next: AtomicU64::new(0),
        });
        let plan = Arc::new(Mutex::new(Plan::default()));
        let counters = Arc::new(Counters::default());
        let task = {
            let (upstream, plan, counters) = (upstream.clone(), plan.clone(), counters.clone());
            tokio::spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    let (upstream, plan, counters) =
                        (upstream.clone(), plan.clone(), counters.clone());
                    tokio::spawn(async move {
                        let _ = serve(conn, upstream, plan, counters).await;
                    });
                }
            })
        };
        Proxy {
            addr,
            upstream,
            plan,
            counters,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points the proxy at a restarted server.
    pub fn set_upstream(&self, addr: SocketAddr) {
        *self.upstream.addrs.lock().unwrap() = vec![addr];
    }

    /// Replaces instance `i` (a restarted one) behind the proxy.
    pub fn replace_upstream(&self, i: usize, addr: SocketAddr) {
        self.upstream.addrs.lock().unwrap()[i] = addr;
    }

    /// Applies `faults`, in order, to the next requests (to those whose path contains
    /// `path`, if given).
    pub fn push(&self, path: Option<&str>, faults: impl IntoIterator<Item = Fault>) {
        let mut plan = self.plan.lock().unwrap();
        plan.queue.extend(faults);
        plan.only_path = path.map(str::to_owned);
    }

    /// From now on, each request meets one of `faults` with probability `per_mille`/1000.
    pub fn randomize(&self, per_mille: u32, faults: Vec<Fault>, seed: u64) {
        self.plan.lock().unwrap().random = Some((per_mille, faults, seed.max(1)));
    }

    /// From now on, any request whose body contains `marker` is refused with `status`.
    pub fn refuse_containing(&self, marker: &str, status: u16) {
        self.plan.lock().unwrap().poison = Some((marker.to_owned(), status));
    }

    pub fn calm(&self) {
        let mut plan = self.plan.lock().unwrap();
        plan.queue.clear();
        plan.random = None;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn next_fault(plan: &Mutex<Plan>, path: &str, body: &[u8]) -> Fault {
    let mut plan = plan.lock().unwrap();
    if let Some((marker, code)) = &plan.poison {
        if body.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            return Fault::Status {
                code: *code,
                retry_after: None,
            };
        }
    }
    let applies = plan.only_path.as_deref().is_none_or(|p| path.contains(p));
    if applies {
        if let Some(f) = plan.queue.pop_front() {
            return f;
        }
    }
    if let Some((per_mille, faults, state)) = plan.random.as_mut() {
        // xorshift64: seeded and replayable, no shared global RNG.
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        if (*state % 1000) < u64::from(*per_mille) && !faults.is_empty() {
            let pick = (*state / 1000) as usize % faults.len();
            return faults[pick].clone();
        }
    }
    Fault::Pass
}

/// One request per connection: every answer says `connection: close`.
async fn serve(
    mut conn: TcpStream,
    upstream: Arc<Upstreams>,
    plan: Arc<Mutex<Plan>>,
    counters: Arc<Counters>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let Some((head, body)) = read_request(&mut conn, &mut buf).await? else {
        return Ok(());
    };
    counters.requests.fetch_add(1, Ordering::SeqCst);
    let path = head.lines().next().unwrap_or("").to_owned();
    let fault = next_fault(&plan, &path, &body);
    if fault != Fault::Pass {
        counters.faults.fetch_add(1, Ordering::SeqCst);
        *counters
            .by_kind
            .lock()
            .unwrap()
            .entry(fault.kind())
            .or_default() += 1;
    }
    match fault {
        Fault::DropRequest => return Ok(()),
        Fault::Status { code, retry_after } => {
            let body =
                r#"{"error":{"code":"injected","message":"fault injected by the test proxy"}}"#;
            let retry = retry_after
                .map(|s| format!("retry-after: {s}\r\n"))
                .unwrap_or_default();
            let resp = format!(
                "HTTP/1.1 {code} Injected\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n{body}",
                body.len()
            );
            return conn.write_all(resp.as_bytes()).await;
        }
        Fault::Delay(d) => tokio::time::sleep(d).await,
        _ => {}
    }
    // Server down (or none): the client sees a broken connection.
    let Some(upstream_addr) = upstream.pick() else {
        return Ok(());
    };
    let Ok(mut response) = forward(upstream_addr, &head, &body).await else {
        return Ok(());
    };
    counters.forwarded.fetch_add(1, Ordering::SeqCst);
    if fault == Fault::Duplicate {
        let Ok(again) = forward(upstream_addr, &head, &body).await else {
            return Ok(());
        };
        counters.forwarded.fetch_add(1, Ordering::SeqCst);
        response = again;
    }
    match fault {
        Fault::DropResponse => Ok(()),
        Fault::ResetResponse => conn.set_zero_linger(),
        Fault::CutResponse => conn.write_all(&response[..response.len() / 2]).await,
        Fault::Rewrite(how) => conn.write_all(&rewrite(&response, how)).await,
        _ => conn.write_all(&response).await,
    }
}

/// Rewrites the `results` of a JSON answer; anything else passes unchanged.
fn rewrite(response: &[u8], how: Rewrite) -> Vec<u8> {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response.to_vec();
    };
    let (head, body) = (&response[..split], &response[split + 4..]);
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return response.to_vec();
    };
    let Some(results) = json.get_mut("results").and_then(|r| r.as_array_mut()) else {
        return response.to_vec();
    };
    match how {
        Rewrite::Partial => {
            results.pop();
        }
        Rewrite::Empty => results.clear(),
        Rewrite::ReorderDuplicateUnknown => {
            results.reverse();
            if let Some(first) = results.first().cloned() {
                let mut stranger = first.clone();
                stranger["id"] = "0190ffff-0000-7000-8000-00000000beef".into();
                results.push(first);
                results.push(stranger);
            }
        }
    }
    let body = json.to_string();
    let head: String = String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    format!("{head}\r\ncontent-length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Reads one request: (head with `Connection: close` forced, body).
async fn read_request(
    conn: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    let head: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let head = head.trim_end_matches("\r\n").to_owned() + "\r\nconnection: close\r\n\r\n";
    Ok(Some((head, body)))
}

async fn forward(upstream: SocketAddr, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(head.as_bytes()).await?;
    up.write_all(body).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    if response.is_empty() {
        return Err(std::io::Error::other("empty answer"));
    }
    Ok(response)
}
