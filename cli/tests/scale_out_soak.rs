//! The soak, scaled out: three `fundkit serve` processes on one database behind the
//! fault-injecting proxy (requests spread across them), while devices donate and sync
//! concurrently and instances are SIGKILLed and replaced. At the end: every donation a
//! device acknowledged reached the server once or ended in a state that says why (lost 0,
//! duplicated 0), none is left pending (stuck 0), and feed readers that followed the
//! changes feeds throughout saw every change (skipped 0).
//!
//! On SQLite (three processes on one file) by default; on PostgreSQL with
//! `FUNDKIT_TEST_POSTGRES` (scripts/test.sh runs both). Seeded: `FUNDKIT_SEED=N`;
//! `FUNDKIT_SCALE_SECS` sets the budget (20 s).

use std::collections::BTreeMap;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fundkit::DonationState;
use fundkit_e2e::feed::Follower;
use fundkit_e2e::proxy::{self, Proxy};
use fundkit_e2e::{donation, donor, fundraiser};
use fundkit_server::Database;
use rand::{Rng, SeedableRng};

mod support;
use support::serve;

const INSTANCES: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_killed_under_load_lose_double_and_skip_nothing() {
    let seed: u64 = std::env::var("FUNDKIT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    let budget = Duration::from_secs(
        std::env::var("FUNDKIT_SCALE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    println!("scale-out soak: FUNDKIT_SEED={seed}, budget {budget:?}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let db = Database::durable_for_test(dir.path().join("server.db"));
    let mut instances: Vec<(Child, std::net::SocketAddr)> = (0..INSTANCES)
        .map(|_| serve(&db, "127.0.0.1:0", None))
        .collect();
    let proxy = Proxy::start_many(instances.iter().map(|(_, addr)| *addr).collect()).await;
    let f = fundraiser(&proxy.url()).await;
    let tokens = ["dev-donor-1", "dev-donor-1", "dev-donor-2", "dev-donor-2"];
    let mut devices = Vec::new();
    for token in tokens {
        devices.push(donor(&proxy.url(), token, &f).await);
    }
    proxy.randomize(150, proxy::network_faults(), seed);

    let running = Arc::new(AtomicBool::new(true));
    // Feed readers through the same proxy: faults and dead instances are read again.
    let http = reqwest::Client::new();
    let mut readers = Vec::new();
    for mut follower in [
        Follower::new("/v1/fundraisers/changes", "dev-donor-1", "fundraisers"),
        Follower::new("/v1/me/donations/changes", "dev-donor-1", "donations"),
        Follower::new("/v1/me/donations/changes", "dev-donor-2", "donations"),
    ] {
        let (http, url, running) = (http.clone(), proxy.url(), running.clone());
        readers.push(tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                follower.catch_up(&http, &url).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            follower
        }));
    }
    // Devices donate and sync concurrently: id -> (device, amount, token) acknowledged.
    let acknowledged = Arc::new(Mutex::new(BTreeMap::new()));
    let mut workers = Vec::new();
    for (i, device) in devices.into_iter().enumerate() {
        let (running, acknowledged, f) = (running.clone(), acknowledged.clone(), f.clone());
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (i as u64 + 1));
        workers.push(tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                for _ in 0..rng.random_range(0..4) {
                    let token = match rng.random_range(0..20) {
                        0 => "tok_declined",
                        1 => "tok_needs_action",
                        _ => "tok_ok",
                    };
                    let cents = rng.random_range(100..5_000);
                    if let Ok(d) = device.client.donate(donation(&f, cents, token)) {
                        acknowledged.lock().unwrap().insert(d.id, (i, cents, token));
                    }
                }
                let _ = device.client.sync_now().await;
            }
            device
        }));
    }
    // Meanwhile instances die (SIGKILL, mid-request) and are replaced on the same database.
    let (start, mut kills) = (Instant::now(), 0u32);
    while start.elapsed() < budget {
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..1_500))).await;
        let i = rng.random_range(0..INSTANCES);
        instances[i].0.kill().unwrap();
        instances[i].0.wait().unwrap();
        kills += 1;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
        let db = db.clone();
        let replacement = tokio::task::spawn_blocking(move || serve(&db, "127.0.0.1:0", None))
            .await
            .unwrap();
        proxy.replace_upstream(i, replacement.1);
        instances[i] = replacement;
    }
    running.store(false, Ordering::SeqCst);
    let mut devices = Vec::new();
    for w in workers {
        devices.push(w.await.unwrap());
    }

    // Calm network, every instance up: every device drains.
    proxy.calm();
    for device in &devices {
        for _ in 0..10 {
            let drained = device.client.sync_now().await;
            if drained
                .map(|r| r.remaining == 0 && r.error.is_none())
                .unwrap_or(false)
            {
                break;
            }
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let (mut confirmed, mut stuck) = ((0u64, 0i64), 0u32);
    let mut ends: BTreeMap<&str, u32> = BTreeMap::new();
    for (id, (i, cents, token)) in &acknowledged {
        let d = devices[*i]
            .client
            .donation(id.clone())
            .unwrap()
            .expect("acknowledged donation lost");
        if d.state.is_pending() {
            stuck += 1;
            continue;
        }
        *ends.entry(d.state.as_str()).or_default() += 1;
        match d.state {
            DonationState::Confirmed => {
                assert_eq!(*token, "tok_ok", "{id}");
                confirmed.0 += 1;
                confirmed.1 += cents;
            }
            DonationState::NeedsAction => assert_eq!(*token, "tok_needs_action", "{id}"),
            DonationState::Rejected => assert_eq!(*token, "tok_declined", "{id}"),
            DonationState::Expired => {}
            other => panic!("{id}: unexpected {other:?}"),
        }
    }
    assert_eq!(stuck, 0, "no donation left pending");
    let view = devices[0]
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            view.fundraiser.donation_count,
            view.fundraiser.confirmed_total.minor_units
        ),
        confirmed,
        "each confirmed donation counted once on the server, nothing else"
    );

    let mut skipped = 0;
    let (mut pages, mut retries) = (0, 0);
    for r in readers {
        let mut follower = r.await.unwrap();
        follower.catch_up(&http, &proxy.url()).await;
        let missed = follower.skipped(&http, &proxy.url()).await;
        if !missed.is_empty() {
            eprintln!("{} {}: skipped {missed:?}", follower.path, follower.token);
        }
        skipped += missed.len();
        pages += follower.pages;
        retries += follower.retries;
    }
    let backend = match db {
        Database::Postgres { .. } => "PostgreSQL",
        _ => "SQLite",
    };
    println!(
        "scale-out soak: seed {seed}, {backend}, {INSTANCES} instances, {:.0?}, {} devices, {} donations \
         acknowledged ({} confirmed), requests {}, faults {}, instances killed {kills}, feed pages {pages} \
         (re-read {retries}), ends {ends:?}, lost: 0, duplicated: 0, stuck: {stuck}, skipped: {skipped}",
        start.elapsed(),
        devices.len(),
        acknowledged.len(),
        confirmed.0,
        proxy.counters.requests.load(Ordering::SeqCst),
        proxy.counters.faults.load(Ordering::SeqCst),
    );
    assert_eq!(skipped, 0, "a feed reader skipped changes");
    assert!(
        acknowledged.len() > 20 && kills > 3,
        "the soak must exercise something"
    );
    for (mut child, _) in instances {
        let _ = child.kill();
        let _ = child.wait();
    }
}
