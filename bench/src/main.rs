//! `cargo run -p fundkit-bench --release [-- --quick]`
//!
//! Every FundKit figure is printed next to the floor it is measured against, in the same run
//! on the same machine (docs/design.md §5): durable donate vs a bare SQLite INSERT+COMMIT with the
//! same pragmas; draining 10,000 queued donations vs one request per donation and vs the
//! server's own batch ingest; reading 1,000 fundraisers with pending totals; cold start;
//! peak memory while draining. No figure here is asserted anywhere: machines are noisy.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fundkit::wire::{DonationBatch, DonationItem};
use fundkit::{
    AuthProvider, Beneficiary, Category, ClientConfig, DonationRequest, FundkitClient,
    FundraiserDraft, FundraiserKind, Money, Platform, UserContext, Visibility,
};
use fundkit_server::{Database, RunningServer, ServerOptions};

mod load;

struct Token(&'static str);
impl AuthProvider for Token {
    fn access_token(&self, _: bool) -> Option<String> {
        Some(self.0.into())
    }
}

struct Sizes {
    donations: usize,
    per_request_sample: usize,
    fundraisers: usize,
    reads: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The drain runs in a child process so that its peak RSS is the client's alone.
    if args.get(1).map(String::as_str) == Some("drain-child") {
        return drain_child(&args[2], Path::new(&args[3]));
    }
    if args.get(1).map(String::as_str) == Some("load") {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let postgres = std::env::var("FUNDKIT_BENCH_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty());
        return rt.block_on(load::run(postgres, args.iter().any(|a| a == "--quick")));
    }
    if args.get(1).map(String::as_str) == Some("donate-loop") {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        return rt.block_on(donate_loop());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let sizes = if quick {
        Sizes {
            donations: 1_000,
            per_request_sample: 200,
            fundraisers: 100,
            reads: 50,
        }
    } else {
        Sizes {
            donations: 10_000,
            per_request_sample: 1_000,
            fundraisers: 1_000,
            reads: 300,
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run(sizes, quick));
}

fn config(db: &Path, url: &str) -> ClientConfig {
    ClientConfig {
        database_path: db.to_string_lossy().into_owned(),
        server_url: url.into(),
        user: UserContext {
            country: "US".into(),
            platform: Platform::Android,
            age_years: Some(30),
        },
        locale: "en-US".into(),
        online: true,
        background_sync: false,
    }
}

fn client(db: &Path, url: &str, token: &'static str) -> Arc<FundkitClient> {
    FundkitClient::new(config(db, url), Arc::new(Token(token))).expect("client")
}

fn draft(i: usize) -> FundraiserDraft {
    FundraiserDraft {
        kind: FundraiserKind::PersonalCause {
            beneficiary: Beneficiary::Myself,
        },
        category: Category::Community,
        title: format!("Fundraiser {i}"),
        story: "A story worth telling, a few sentences long, like most of them are.".into(),
        goal: Money {
            minor_units: 1_000_000,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    }
}

fn request(fundraiser: &str) -> DonationRequest {
    DonationRequest {
        fundraiser_id: fundraiser.into(),
        amount: Money {
            minor_units: 500,
            currency: "USD".into(),
        },
        message: Some("Good luck!".into()),
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    }
}

/// A server whose limits let one device queue and one organiser create as much as the bench needs.
async fn server(database: Database) -> RunningServer {
    let mut options = ServerOptions {
        database,
        rate_limit_per_minute: u32::MAX,
        auto_approve: true,
        ..ServerOptions::default()
    };
    options.config.limits.offline_max_count = 1_000_000;
    options.config.limits.max_active_fundraisers_per_organiser = 1_000_000;
    fundkit_server::start(options).await.expect("server")
}

fn row(name: &str, fundkit: String, floor: String, ratio: f64, goal: &str, met: bool) {
    println!(
        "| {name} | {fundkit} | {floor} | {ratio:.2} | {goal} | {} |",
        if met { "yes" } else { "no" }
    );
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(sizes: Sizes, quick: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "FundKit benchmarks{} ({} cores)",
        if quick { " (quick)" } else { "" },
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!();
    println!("| operation | FundKit | floor | ratio | goal | met |");
    println!("| --- | --- | --- | --- | --- | --- |");

    let Setup {
        srv,
        organiser,
        fundraiser,
        donor,
    } = setup(dir.path()).await;
    let url = srv.url();
    let donor_db = dir.path().join("donor.db");

    // 1. Durable donate vs bare INSERT + COMMIT (WAL, synchronous=FULL), N each, one of
    //    each in turn so that both see the same disk. The queue is drained between rounds of 50
    //    (untimed): the launch config caps a device at 50 pending donations, and the cap check
    //    costs O(pending).
    let n = sizes.donations;
    let raw = raw_insert_db(&dir.path().join("raw.db"));
    // The same floor, with the WAL emptied after each round as FundKit does at the end of
    // a pass so that no erased payment token stays readable (docs/queue.md).
    let raw_truncated = raw_insert_db(&dir.path().join("raw-truncated.db"));
    let (mut t_donate, mut t_raw, mut t_truncated) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut c_donate, mut c_raw) = (0u64, 0u64);
    for round in 0..n / 50 {
        // One of each in turn, so that both meet the disk in the same state (a round
        // starts right after the drain's writes).
        for i in 0..50 {
            let (c0, start) = (cpu_ns(), Instant::now());
            donor.donate(request(&fundraiser)).expect("donate");
            t_donate += start.elapsed();
            let (c1, start) = (cpu_ns(), Instant::now());
            raw_insert(&raw, round * 50 + i);
            t_raw += start.elapsed();
            c_donate += c1 - c0;
            c_raw += cpu_ns() - c1;
            let start = Instant::now();
            raw_insert(&raw_truncated, round * 50 + i);
            t_truncated += start.elapsed();
        }
        raw_truncated
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
        donor.sync_now().await.expect("drain between rounds");
    }
    let (d_us, r_us) = (
        t_donate.as_secs_f64() * 1e6 / n as f64,
        t_raw.as_secs_f64() * 1e6 / n as f64,
    );
    row(
        "durable `donate` (validate + enqueue + commit)",
        format!("{d_us:.0} µs/op"),
        format!("{r_us:.0} µs/op (bare INSERT+COMMIT)"),
        d_us / r_us,
        "<= 1.5",
        d_us / r_us <= 1.5,
    );

    let t_us = t_truncated.as_secs_f64() * 1e6 / n as f64;
    row(
        "  the same, floor emptying its WAL as often",
        format!("{d_us:.0} µs/op"),
        format!("{t_us:.0} µs/op (bare INSERT+COMMIT, WAL truncated each round)"),
        d_us / t_us,
        "-",
        true,
    );
    // The same loops' time on the CPU (the rest is waiting for the disk): what FundKit adds
    // in code, apart from what it adds in I/O.
    let (cd_us, cr_us) = (
        c_donate as f64 / 1e3 / n as f64,
        c_raw as f64 / 1e3 / n as f64,
    );
    row(
        "  of which on the CPU",
        format!("{cd_us:.0} µs/op"),
        format!("{cr_us:.0} µs/op"),
        cd_us / cr_us,
        "-",
        true,
    );

    // Then N more queued at once (the server's config raises the cap) for the drain.
    for _ in 0..n {
        donor.donate(request(&fundraiser)).expect("donate");
    }
    // One client owns a database file at a time: the drain child and the cold starts below
    // open donor.db themselves.
    drop(donor);

    // 2. Cold start on a fresh file.
    let cold_fresh = {
        let mut times = Vec::new();
        for i in 0..5 {
            let path = dir.path().join(format!("fresh{i}.db"));
            times.push(cold_start(&path, &url, 1));
        }
        times.sort();
        times[2]
    };

    // 3. Drain N queued donations, in a child process (peak RSS is the client's).
    let (drain_time, rss_kb) = drain_in_child(&url, &donor_db);
    let client_rate = per_sec(n, drain_time);
    // Cold start on the file that now holds 2N donations in its history.
    let cold_full = cold_start(&donor_db, &url, 5);

    // 4. The floors: one request per donation (a sample), and the server's own batch ingest.
    let http = reqwest::Client::new();
    let sample = sizes.per_request_sample;
    let start = Instant::now();
    for chunk in items(&fundraiser, sample).chunks(1) {
        post(&http, &url, chunk).await;
    }
    let single_rate = per_sec(sample, start.elapsed());
    let all = items(&fundraiser, n);
    let start = Instant::now();
    for chunk in all.chunks(fundkit::wire::MAX_BATCH) {
        post(&http, &url, chunk).await;
    }
    let ingest_rate = per_sec(n, start.elapsed());
    row(
        &format!("drain {n} queued donations (batches of 100)"),
        format!("{client_rate:.0} donations/s"),
        format!("{single_rate:.0} donations/s (one request each)"),
        client_rate / single_rate,
        ">= 20",
        client_rate / single_rate >= 20.0,
    );
    row(
        &format!("drain {n} vs the server's own batch ingest"),
        format!("{client_rate:.0} donations/s"),
        format!("{ingest_rate:.0} donations/s (raw HTTP, prebuilt batches)"),
        ingest_rate / client_rate,
        "<= 1.5",
        ingest_rate / client_rate <= 1.5,
    );

    // 4b. The same drain at a phone's latency: the fault proxy holds every request for
    //     100 ms. Floor: one round trip per batch plus the server's own ingest time.
    let rtt = Duration::from_millis(100);
    let proxy = fundkit_e2e::proxy::Proxy::start(srv.addr()).await;
    proxy.randomize(1000, vec![fundkit_e2e::proxy::Fault::Delay(rtt)], 1);
    // A user of its own, so that the pass's own-donations feed carries only these.
    let far = client(&dir.path().join("far.db"), &proxy.url(), "dev-organiser-gb");
    far.sync_now().await.expect("first sync through the proxy");
    far.refresh_fundraiser(fundraiser.clone())
        .await
        .expect("fundraiser");
    for _ in 0..n {
        far.donate(request(&fundraiser)).expect("donate");
    }
    // The drain ends when the queue is empty; the pass then follows the feeds (its own
    // donations among them), also 100 ms a page: reported beside it.
    let start = Instant::now();
    let drained = {
        let far = Arc::clone(&far);
        tokio::spawn(async move {
            while far.sync_state().pending_count > 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            start.elapsed()
        })
    };
    let report = far.sync_now().await.expect("drain at 100 ms");
    let pass_time = start.elapsed();
    assert_eq!(report.remaining, 0, "{report:?}");
    let far_time = drained.await.expect("drain watcher");
    let batches = n.div_ceil(fundkit::wire::MAX_BATCH);
    let far_floor = rtt * batches as u32 + Duration::from_secs_f64(n as f64 / ingest_rate);
    row(
        &format!("drain {n} at 100 ms per request"),
        format!(
            "{:.2} s (the whole pass, feeds too: {:.2} s)",
            far_time.as_secs_f64(),
            pass_time.as_secs_f64()
        ),
        format!(
            "{:.2} s ({batches} batches x 100 ms + server ingest)",
            far_floor.as_secs_f64()
        ),
        far_time.as_secs_f64() / far_floor.as_secs_f64(),
        "<= 1.2",
        far_time.as_secs_f64() / far_floor.as_secs_f64() <= 1.2,
    );
    drop(far);

    // 5. Reading 1,000 fundraisers with pending totals.
    for i in 1..sizes.fundraisers {
        organiser
            .create_fundraiser(draft(i))
            .await
            .expect("fundraiser");
    }
    let reader_db = dir.path().join("reader.db");
    let reader = client(&reader_db, &url, "dev-donor-2");
    reader.sync_now().await.expect("pull");
    reader.set_online(false);
    for view in reader.fundraisers(50, 0).expect("list") {
        let _ = reader.donate(request(&view.fundraiser.id));
    }
    let mut times = Vec::with_capacity(sizes.reads);
    let mut listed = 0;
    for _ in 0..sizes.reads {
        let start = Instant::now();
        listed = reader.fundraisers(1000, 0).expect("list").len();
        times.push(start.elapsed());
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    // Floor: the same rows, every column read into an owned value by a bare SELECT; no
    // aggregation, no domain types.
    let floor = {
        let conn = rusqlite::Connection::open(&reader_db).expect("open");
        let mut t = Vec::new();
        for _ in 0..sizes.reads {
            let start = Instant::now();
            let mut stmt = conn
                .prepare_cached(
                    "SELECT * FROM fundraisers ORDER BY updated_at_ms DESC, id LIMIT 1000",
                )
                .expect("prepare");
            let columns = stmt.column_count();
            let rows: Vec<Vec<rusqlite::types::Value>> = stmt
                .query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
                .expect("query")
                .map(|r| r.expect("row"))
                .collect();
            std::hint::black_box(rows);
            t.push(start.elapsed());
        }
        t.sort();
        percentile(&t, 0.5)
    };
    row(
        &format!("read {listed} fundraisers with pending totals, p50"),
        format!("{:.2} ms", p50.as_secs_f64() * 1e3),
        format!(
            "{:.2} ms (bare SELECT of the rows)",
            floor.as_secs_f64() * 1e3
        ),
        p50.as_secs_f64() / floor.as_secs_f64(),
        "<= 3",
        p50.as_secs_f64() / floor.as_secs_f64() <= 3.0,
    );
    row(
        &format!("read {listed} fundraisers with pending totals, p99"),
        format!("{:.2} ms", p99.as_secs_f64() * 1e3),
        "-".into(),
        0.0,
        "-",
        true,
    );
    row(
        "cold start: open + migrate + first read, fresh file",
        format!("{:.2} ms", cold_fresh.as_secs_f64() * 1e3),
        "-".into(),
        0.0,
        "-",
        true,
    );
    row(
        &format!(
            "cold start: open + first read, file with {} donations",
            2 * n
        ),
        format!("{:.2} ms", cold_full.as_secs_f64() * 1e3),
        format!("{:.2} ms (fresh file)", cold_fresh.as_secs_f64() * 1e3),
        cold_full.as_secs_f64() / cold_fresh.as_secs_f64(),
        "-",
        true,
    );
    row(
        &format!("peak RSS of the client process while draining {n}"),
        format!("{:.1} MiB", rss_kb as f64 / 1024.0),
        "-".into(),
        0.0,
        "-",
        true,
    );
    srv.shutdown().await;
}

/// Nanoseconds this thread has run on a CPU (Linux's schedstat; 0 elsewhere).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn cold_start(db: &Path, url: &str, runs: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let c = client(db, url, "dev-donor-1");
        std::hint::black_box(c.pending_donations().expect("read"));
        std::hint::black_box(c.past_donations(None, 50).expect("read"));
        std::hint::black_box(c.fundraisers(20, 0).expect("read"));
        times.push(start.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn drain_in_child(url: &str, db: &Path) -> (Duration, u64) {
    let exe = std::env::current_exe().expect("exe");
    let out = std::process::Command::new(exe)
        .args(["drain-child", url])
        .arg(db)
        .output()
        .expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "drain child: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let rss: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (Duration::from_secs_f64(secs), rss)
}

/// Child: open the client on `db`, drain everything, print "seconds peak_rss_kb".
fn drain_child(url: &str, db: &Path) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let c = client(db, url, "dev-donor-1");
    let start = Instant::now();
    let report = rt.block_on(c.sync_now()).expect("sync");
    let elapsed = start.elapsed();
    assert_eq!(report.remaining, 0, "{report:?}");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    println!("{} {hwm}", elapsed.as_secs_f64());
}

fn items(fundraiser: &str, n: usize) -> Vec<DonationItem> {
    (0..n)
        .map(|_| DonationItem {
            id: uuid::Uuid::now_v7().to_string(),
            fundraiser_id: fundraiser.into(),
            amount: Money {
                minor_units: 500,
                currency: "USD".into(),
            },
            message: Some("Good luck!".into()),
            visibility: Visibility::Public,
            hide_amount: false,
            payment_token: "tok_ok".into(),
            donor_pays: None,
            cover_fee: false,
            gift_aid: None,
            source: None,
        })
        .collect()
}

async fn post(http: &reqwest::Client, url: &str, chunk: &[DonationItem]) {
    let resp = http
        .post(format!("{url}/v1/donations/batch"))
        .bearer_auth("dev-donor-2")
        .json(&DonationBatch {
            donations: chunk.to_vec(),
        })
        .send()
        .await
        .expect("post");
    assert!(resp.status().is_success(), "{}", resp.status());
    std::hint::black_box(resp.bytes().await.expect("body"));
}

fn raw_insert_db(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE donations (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
             fundraiser_id TEXT NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL,
             message TEXT, visibility TEXT NOT NULL, hide_amount INTEGER NOT NULL, payment_token TEXT,
             state TEXT NOT NULL, created_at_ms INTEGER NOT NULL);",
    )
    .expect("schema");
    conn
}

fn raw_insert(conn: &rusqlite::Connection, i: usize) {
    conn.execute(
        "INSERT INTO donations (id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount,
             payment_token, state, created_at_ms) VALUES (?1, 'fr', 500, 'USD', 'Good luck!', 'public', 0, 'tok_ok', 'queued', ?2)",
        rusqlite::params![format!("id-{i}"), i as i64],
    )
    .expect("insert");
}

/// A server on a file in `dir`, an organiser with one fundraiser, and a donor device
/// (`donor.db`) that has synced once (config, feed).
struct Setup {
    srv: RunningServer,
    organiser: Arc<FundkitClient>,
    fundraiser: String,
    donor: Arc<FundkitClient>,
}

async fn setup(dir: &Path) -> Setup {
    let srv = server(Database::Path(dir.join("server.db"))).await;
    let url = srv.url();
    let organiser = client(&dir.join("organiser.db"), &url, "dev-organiser");
    let fundraiser = organiser
        .create_fundraiser(draft(0))
        .await
        .expect("fundraiser")
        .fundraiser
        .id;
    let donor = client(&dir.join("donor.db"), &url, "dev-donor-1");
    donor.sync_now().await.expect("first sync (config, feed)");
    Setup {
        srv,
        organiser,
        fundraiser,
        donor,
    }
}

/// `fundkit-bench donate-loop`: only donates (5,000, drained every 50), for a profiler:
/// `perf record --call-graph dwarf target/release/fundkit-bench donate-loop`.
async fn donate_loop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Setup {
        fundraiser, donor, ..
    } = setup(dir.path()).await;
    for _ in 0..100 {
        for _ in 0..50 {
            donor.donate(request(&fundraiser)).expect("donate");
        }
        donor.sync_now().await.expect("drain");
    }
}
