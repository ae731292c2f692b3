//! `fundkit-server`: the reference backend speaking FundKit's sync protocol (docs/design.md §3)
//! over JSON under `/v1`, with SQLite (a file or in memory). The demo and every end-to-end
//! test run against it; its OpenAPI document is `server/openapi.yaml`.
//!
//! It is the final authority: it validates again with the same rules as the core
//! (`fundkit` without its client or FFI features), deduplicates donations by their id
//! (canonical, whoever sends it; another donor's id is refused), and simulates the payment
//! step with test tokens. Who may do what: docs/authorization.md.

mod auth;
mod error;
mod extract;
mod gift_aid;
mod links;
mod payments;
mod routes;
mod store;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fundkit::wire::ServerConfig;

pub use routes::ROUTES;
pub use users::{DevUser, DEV_USERS};

/// Where the server keeps its data. Its `Debug` leaves a PostgreSQL URL's password out.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite in memory (tests, a throwaway demo).
    Memory,
    /// SQLite in a file: the embedded default.
    Path(PathBuf),
    /// PostgreSQL, shared by any number of server instances. `url` is a `postgres://` URL
    /// (or a key=value string); with `schema`, everything lives in that schema, made if
    /// missing.
    Postgres { url: String, schema: Option<String> },
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Memory => f.write_str("Memory"),
            Database::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Database::Postgres { url, schema } => {
                // postgres://user:secret@host/db -> postgres://user:***@host/db
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        let userinfo = &url[scheme + 3..at];
                        match userinfo.find(':') {
                            Some(colon) => {
                                format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..])
                            }
                            None => url.clone(),
                        }
                    }
                    _ => url.clone(),
                };
                f.debug_struct("Postgres")
                    .field("url", &shown)
                    .field("schema", schema)
                    .finish()
            }
        }
    }
}

impl Database {
    /// `postgres://` or `postgresql://` picks PostgreSQL, anything else is a SQLite file.
    pub fn parse(s: &str) -> Database {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Database::Postgres {
                url: s.to_owned(),
                schema: None,
            }
        } else {
            Database::Path(PathBuf::from(s))
        }
    }

    /// A database of its own for one test server: a fresh schema on the PostgreSQL named by
    /// `FUNDKIT_TEST_POSTGRES` when it is set (how `scripts/test.sh` runs the server suites
    /// on PostgreSQL), else SQLite in memory.
    pub fn for_test() -> Database {
        match std::env::var("FUNDKIT_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Database::Postgres {
                url,
                schema: Some(format!("t_{:016x}", rand::random::<u64>())),
            },
            _ => Database::Memory,
        }
    }

    /// Like `for_test`, but one that outlives a server (restart tests): the SQLite file at
    /// `path`, or a PostgreSQL schema named after `path` (the same one for every server of
    /// that test).
    pub fn durable_for_test(path: PathBuf) -> Database {
        use std::hash::{Hash, Hasher};
        match Database::for_test() {
            Database::Memory => Database::Path(path),
            Database::Postgres { url, .. } => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                path.hash(&mut h);
                Database::Postgres {
                    url,
                    schema: Some(format!("t_{:016x}", h.finish())),
                }
            }
            file => file,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub database: Database,
    /// `127.0.0.1:0` lets the OS choose a free port.
    pub addr: SocketAddr,
    /// Rollout and limits, served by `GET /v1/config` and enforced.
    pub config: ServerConfig,
    pub rate_limit_per_minute: u32,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Skip review: new fundraisers are active at once.
    pub auto_approve: bool,
    /// How long a donor has to complete the bank's step before it fails as abandoned.
    pub action_timeout: Duration,
    /// Tests only: abort the process right after this payment step.
    pub crash_after: Option<PaymentStep>,
    /// The server's public base URL (`https://api.example.org`): where the donor's browser
    /// finds the bank pages. `None`: the address it listens on. Never taken from a request.
    pub public_url: Option<String>,
    /// How long a connection may take to send a request's headers, and how long a kept-alive
    /// connection may sit idle before its next request: then it is closed.
    pub header_read_timeout: Duration,
    /// The apps that open share links (`/.well-known/assetlinks.json`,
    /// `/.well-known/apple-app-site-association`; docs/links.md).
    pub app_links: AppLinks,
}

/// The apps a share link opens, as the platforms' app-link files name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLinks {
    /// The Android app's package name.
    pub android_package: String,
    /// SHA-256 fingerprints of the Android app's signing certificates (`AA:BB:...`).
    pub android_cert_sha256: Vec<String>,
    /// The iOS app's ids (`TEAMID.bundle.id`).
    pub apple_app_ids: Vec<String>,
}

impl Default for AppLinks {
    fn default() -> Self {
        AppLinks {
            android_package: "dev.fundkit.app".into(),
            android_cert_sha256: Vec::new(),
            apple_app_ids: vec!["FUNDKIT000.dev.fundkit.sample".into()],
        }
    }
}

/// The steps of taking a payment: the attempt recorded, the provider charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStep {
    Recorded,
    Charged,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            database: Database::Memory,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            config: ServerConfig {
                rollout: Default::default(),
                limits: Default::default(),
                fees: fundkit::FeeModel::launch(),
                links: None,
            },
            rate_limit_per_minute: 6_000,
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            auto_approve: false,
            action_timeout: Duration::from_secs(15 * 60),
            crash_after: None,
            public_url: None,
            header_read_timeout: Duration::from_secs(10),
            app_links: AppLinks::default(),
        }
    }
}

/// The host of an `http(s)://host[:port]/...` URL.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Counters for tests and benchmarks ("a repeated sync sends zero donations").
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    batch_requests: AtomicU64,
    donation_items_received: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    pub requests: u64,
    pub batch_requests: u64,
    pub donation_items_received: u64,
    pub accepted: u64,
    pub duplicates: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("could not open the database: {0}")]
    Database(String),
    #[error("could not listen: {0}")]
    Bind(#[from] std::io::Error),
}

pub struct RunningServer {
    addr: SocketAddr,
    state: Arc<routes::AppState>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> ServerStats {
        let c = &self.state.counters;
        ServerStats {
            requests: c.requests.load(Ordering::SeqCst),
            batch_requests: c.batch_requests.load(Ordering::SeqCst),
            donation_items_received: c.donation_items_received.load(Ordering::SeqCst),
            accepted: c.accepted.load(Ordering::SeqCst),
            duplicates: c.duplicates.load(Ordering::SeqCst),
        }
    }

    /// Moves the server's clock forward (tests: a fundraiser's end, an abandoned step).
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.state.clock_offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// How many charges the payment provider's ledger holds for a donation id (tests:
    /// never more than one).
    pub async fn charges_for(&self, donation_id: &str) -> u32 {
        self.state
            .store
            .psp_charges_for(donation_id.to_owned())
            .await
            .unwrap_or(u32::MAX)
    }

    /// Every fundraiser whose confirmed total is not what the payment provider's ledger
    /// charged for it: (fundraiser, confirmed, charged). Empty when no money was created
    /// or lost: the soaks' last check.
    pub async fn ledger_mismatches(&self) -> Vec<(String, i64, i64)> {
        self.state
            .store
            .ledger_mismatches()
            .await
            .expect("the ledger could not be read")
    }

    /// Stops accepting, lets in-flight requests finish, and closes the database.
    pub async fn shutdown(self) {
        self.sweeper.abort();
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

/// Starts the server on `options.addr` and returns once it is listening.
pub async fn start(options: ServerOptions) -> Result<RunningServer, ServerError> {
    let db_error = |e: store::StoreError| ServerError::Database(e.to_string());
    let db = match &options.database {
        Database::Memory | Database::Path(_) => {
            let path = match &options.database {
                Database::Path(p) => Some(p.clone()),
                _ => None,
            };
            let sqlite =
                tokio::task::spawn_blocking(move || store::SqliteStore::open(path.as_deref()))
                    .await
                    .map_err(|e| ServerError::Database(e.to_string()))?
                    .map_err(db_error)?;
            store::Store::Sqlite(Arc::new(sqlite))
        }
        Database::Postgres { url, schema } => store::Store::Postgres(
            store::PgStore::open(url, schema.as_deref())
                .await
                .map_err(db_error)?,
        ),
    };
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let public_url = options
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let header_read_timeout = options.header_read_timeout;
    let mut options = options;
    // Share links point at the public host unless the config names another.
    if options.config.links.is_none() {
        let host = url_host(&public_url).unwrap_or_else(|| addr.ip().to_string());
        options.config.links = Some(fundkit::wire::LinkConfig {
            host,
            app_scheme: "fundkit".into(),
        });
    }
    let state = Arc::new(routes::AppState::new(db, options, public_url));
    let router = routes::router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, header_read_timeout, rx));
    let sweeper = tokio::spawn(sweep_abandoned_steps(state.clone()));
    tracing::info!(%addr, "fundkit reference server listening");
    Ok(RunningServer {
        addr,
        state,
        shutdown: tx,
        task,
        sweeper,
    })
}

/// Serves HTTP/1.1 on `listener` until `shutdown`, then lets in-flight requests finish
/// (at most 10 s). hyper's header-read timeout closes a connection that has not sent a
/// whole request head in time, whether it just opened (a slow-headers attack) or sits idle
/// between kept-alive requests; the router's timeout bounds each request after its head.
async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    header_read_timeout: Duration,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;

    // hyper's own HTTP/1 server: hyper-util's auto builder would first wait for bytes to
    // tell HTTP/1 from HTTP/2, with no timeout, so a silent connection stayed open.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then accept again.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().call(req)
            });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 10 s; closing");
    }
}

/// Fails the bank steps donors abandoned and ends fundraisers whose time is up, a few times
/// per action timeout (at least every second).
async fn sweep_abandoned_steps(state: Arc<routes::AppState>) {
    let every =
        (state.options.action_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = state.now_ms();
        match state.store.sweep(now).await {
            Ok((0, 0)) => {}
            Ok((steps, ended)) => {
                tracing::info!(
                    steps,
                    ended,
                    "abandoned bank steps failed, fundraisers ended"
                )
            }
            Err(e) => tracing::warn!(error = %e, "could not sweep"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn a_database_url_prints_without_its_password() {
        let db = Database::parse("postgres://app:s3cret@db.internal:5432/fundkit");
        let shown = format!("{db:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db.internal:5432/fundkit"),
            "{shown}"
        );
        assert_eq!(
            Database::parse("server.db"),
            Database::Path("server.db".into())
        );
    }
}
