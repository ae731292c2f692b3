//! `scripts/bench-load.sh` (or `cargo run -p fundkit-bench --release -- load`, with
//! `FUNDKIT_BENCH_POSTGRES=postgres://...` for the PostgreSQL rows)
//!
//! The server under load: simulated devices drain their queues (batches of 50, as the
//! client sends them) through 1, 2 and 4 server instances on one database, on SQLite and on
//! PostgreSQL. Each backend's floor, measured in the same run: the database's own rate for
//! inserting the same rows (same table, same indexes, transactions of 50) with a bare driver
//! loop and as many writers as the devices.

use std::time::{Duration, Instant};

use fundkit_server::Database;

use crate::{items, per_sec, percentile, server};

const BATCH: usize = 50;
const DEVICES: usize = 16;
const INSTANCES: [usize; 3] = [1, 2, 4];

pub async fn run(postgres: Option<String>, quick: bool) {
    let batches_per_device = if quick { 3 } else { 12 };
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "FundKit server under load{}: {DEVICES} devices, {batches_per_device} batches of {BATCH} each ({} cores)",
        if quick { " (quick)" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!();
    println!("| backend | instances | donations/s | p50 batch | p99 batch | floor: bare inserts/s | floor / FundKit |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut backends = vec![("SQLite", None)];
    if let Some(url) = &postgres {
        backends.push(("PostgreSQL", Some(url.clone())));
    }
    for (name, url) in backends {
        let rows = DEVICES * batches_per_device * BATCH;
        let floor = match &url {
            None => sqlite_floor(&dir.path().join("floor.db"), rows),
            Some(url) => postgres_floor(url, rows).await,
        };
        for (k, instances) in INSTANCES.into_iter().enumerate() {
            let database = match &url {
                None => Database::Path(dir.path().join(format!("load-{k}.db"))),
                Some(url) => Database::Postgres {
                    url: url.clone(),
                    schema: Some(format!("load_{:016x}", rand::random::<u64>())),
                },
            };
            let (rate, p50, p99) = drain(&database, instances, batches_per_device).await;
            println!(
                "| {name} | {instances} | {rate:.0} | {:.1} ms | {:.1} ms | {floor:.0} | {:.1} |",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                floor / rate
            );
        }
    }
    if postgres.is_none() {
        println!(
            "\n(no PostgreSQL rows: set FUNDKIT_BENCH_POSTGRES, or run scripts/bench-load.sh)"
        );
    }
}

/// `instances` servers on `database`; `DEVICES` tasks each post `batches` batches to one of
/// them in turn. Returns (donations per second, p50 and p99 batch latency).
async fn drain(database: &Database, instances: usize, batches: usize) -> (f64, Duration, Duration) {
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(server(database.clone()).await);
    }
    let http = reqwest::Client::new();
    let fundraiser = create_fundraiser(&http, &servers[0].url()).await;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for d in 0..DEVICES {
        let url = servers[d % instances].url();
        let (http, fundraiser) = (http.clone(), fundraiser.clone());
        let token = ["dev-donor-1", "dev-donor-2"][d % 2];
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(batches);
            for _ in 0..batches {
                let chunk = items(&fundraiser, BATCH);
                let t = Instant::now();
                let resp = http
                    .post(format!("{url}/v1/donations/batch"))
                    .bearer_auth(token)
                    .json(&fundkit::wire::DonationBatch { donations: chunk })
                    .send()
                    .await
                    .expect("post");
                assert!(resp.status().is_success(), "{}", resp.status());
                std::hint::black_box(resp.bytes().await.expect("body"));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("device"));
    }
    let wall = start.elapsed();
    latencies.sort();
    for s in servers {
        s.shutdown().await;
    }
    (
        per_sec(DEVICES * batches * BATCH, wall),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

async fn create_fundraiser(http: &reqwest::Client, url: &str) -> String {
    let resp = http
        .post(format!("{url}/v1/fundraisers"))
        .bearer_auth("dev-organiser")
        .header("Idempotency-Key", "load")
        .json(&crate::draft(0))
        .send()
        .await
        .expect("create");
    assert!(resp.status().is_success(), "{}", resp.status());
    let f: serde_json::Value = resp.json().await.expect("fundraiser");
    f["id"].as_str().expect("id").to_owned()
}

/// The same donation row the server stores, as a bare INSERT's parameters.
fn floor_row(i: usize) -> (String, String) {
    (
        format!("usr_donor_{}", i % 2 + 1),
        uuid::Uuid::now_v7().to_string(),
    )
}

/// SQLite: one writer (SQLite has one), transactions of `BATCH` rows into the server's
/// donations table (its columns and indexes), WAL, synchronous=FULL as the server opens it.
fn sqlite_floor(path: &std::path::Path, rows: usize) -> f64 {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE donations (donor_id TEXT NOT NULL, id TEXT NOT NULL, fundraiser_id TEXT NOT NULL,
             amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, message TEXT, visibility TEXT NOT NULL,
             hide_amount INTEGER NOT NULL, fingerprint TEXT NOT NULL, outcome TEXT NOT NULL, code TEXT,
             action_url TEXT, received_at_ms INTEGER NOT NULL, change_seq INTEGER UNIQUE, challenge TEXT UNIQUE,
             action_deadline_ms INTEGER, PRIMARY KEY (donor_id, id));
         CREATE INDEX donations_by_fundraiser ON donations(fundraiser_id, outcome, received_at_ms);
         CREATE INDEX donations_by_donor_change ON donations(donor_id, change_seq);
         CREATE INDEX donations_by_fundraiser_change ON donations(fundraiser_id, change_seq);",
    )
    .expect("schema");
    let start = Instant::now();
    for b in 0..rows / BATCH {
        let tx = conn.transaction().expect("begin");
        for i in 0..BATCH {
            let (donor, id) = floor_row(i);
            tx.execute(
                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, received_at_ms, change_seq)
                 VALUES (?1, ?2, 'fr', 500, 'USD', 'Good luck!', 'public', 0, 'fp', 'accepted', 0, ?3)",
                rusqlite::params![donor, id, (b * BATCH + i) as i64],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
    }
    per_sec(rows, start.elapsed())
}

/// PostgreSQL: `DEVICES` connections, each inserting transactions of `BATCH` rows into the
/// server's donations table (its migration, in a fresh schema), with a prepared statement.
async fn postgres_floor(url: &str, rows: usize) -> f64 {
    let schema = format!("floor_{:016x}", rand::random::<u64>());
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    config.options(format!("-c search_path={schema}"));
    let mut clients = Vec::new();
    for _ in 0..DEVICES {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        clients.push(client);
    }
    clients[0]
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; {}",
            include_str!("../../server/migrations/postgres/V1__initial.sql")
        ))
        .await
        .expect("schema");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut client in clients {
        let batches = rows / BATCH / DEVICES;
        tasks.push(tokio::spawn(async move {
            let insert = client
                .prepare(
                    "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                         hide_amount, fingerprint, outcome, received_at_ms, change_seq)
                     VALUES ($1, $2, 'fr', 500, 'USD', 'Good luck!', 'public', FALSE, 'fp', 'accepted', 0,
                         nextval('donation_changes'))",
                )
                .await
                .expect("prepare");
            for _ in 0..batches {
                let tx = client.transaction().await.expect("begin");
                for i in 0..BATCH {
                    let (donor, id) = floor_row(i);
                    tx.execute(&insert, &[&donor, &id]).await.expect("insert");
                }
                tx.commit().await.expect("commit");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    per_sec(rows, start.elapsed())
}
