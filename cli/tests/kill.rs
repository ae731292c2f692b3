//! Crash safety, for real (docs/design.md §3, invariant 1): `fundkit donate` queues donations in
//! a loop (syncing every few) and prints each id once `donate` has returned; the test
//! SIGKILLs it at random moments, then checks that every printed id is on disk, intact,
//! and that the file passes `PRAGMA integrity_check`. At the end, one more client syncs
//! what is left, and the server holds every donation exactly once.
//!
//! `FUNDKIT_KILLS` sets the number of kills (default 50); `FUNDKIT_SEED` replays a run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing() {
    let kills: u32 = std::env::var("FUNDKIT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let seed: u64 = std::env::var("FUNDKIT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    println!("kill test: {kills} kills, FUNDKIT_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let server = fundkit_server::start(fundkit_server::ServerOptions {
        database: fundkit_server::Database::durable_for_test(dir.path().join("server.db")),
        auto_approve: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let fundraiser = create_fundraiser(&url, dir.path()).await;
    let db = dir.path().join("donor.db");

    // id -> amount in minor units, as printed after `donate` returned.
    let mut acknowledged: BTreeMap<String, i64> = BTreeMap::new();
    let stderr_path = dir.path().join("donate.stderr");
    for kill in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fundkit"))
            .args([
                "donate",
                "--server",
                &url,
                "--token",
                "dev-donor-1",
                "--fundraiser",
                &fundraiser,
            ])
            .args([
                "--amount",
                "1.23",
                "--count",
                "1000000",
                "--sync-every",
                "7",
                "--db",
            ])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill after a random number of acknowledged donations (sometimes before any),
        // plus a random extra delay so the kill lands anywhere: mid-donate, mid-sync.
        let target = rng.random_range(0..25u32);
        let extra = Duration::from_micros(rng.random_range(0..20_000));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = 0;
        while seen < target && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    record(&mut acknowledged, &line);
                    seen += 1;
                }
                // Its output closed: it exited (checked below).
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        std::thread::sleep(extra);
        // It must still be running: one that stopped by itself was refused something.
        if let Some(status) = child.try_wait().unwrap() {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!("kill {kill}: fundkit donate exited by itself ({status}): {stderr}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            record(&mut acknowledged, &line);
        }
        check_on_disk(&db, &acknowledged, kill);
    }
    println!(
        "kill test: {} donations acknowledged across {kills} kills",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > kills as usize,
        "the loop must make progress between kills"
    );

    // Reopen (recovery requeues anything caught mid-send) and drain to the server.
    let out = Command::new(env!("CARGO_BIN_EXE_fundkit"))
        .args(["sync", "--server", &url, "--token", "dev-donor-1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let states: BTreeMap<String, String> = conn
        .prepare("SELECT id, state FROM donations")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in acknowledged.keys() {
        assert_eq!(
            states.get(id).map(String::as_str),
            Some("confirmed"),
            "{id}"
        );
    }
    // Exactly once: the server's count and total equal the confirmed donations on the device.
    let confirmed = states.values().filter(|s| *s == "confirmed").count() as u64;
    let view = fetch(&url, dir.path(), &fundraiser).await;
    assert_eq!(
        view.fundraiser.donation_count, confirmed,
        "lost: 0, duplicated: 0"
    );
    assert_eq!(
        view.fundraiser.confirmed_total.minor_units,
        confirmed as i64 * 123
    );
    println!("kill test: lost 0, duplicated 0 ({confirmed} donations on the server)");
    server.shutdown().await;
}

fn record(acknowledged: &mut BTreeMap<String, i64>, line: &str) {
    let parts: Vec<_> = line.split_whitespace().collect();
    if let ["queued", id, minor, _currency] = parts.as_slice() {
        acknowledged.insert((*id).to_owned(), minor.parse().unwrap());
    }
}

fn check_on_disk(db: &std::path::Path, acknowledged: &BTreeMap<String, i64>, kill: u32) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "after kill {kill}");
    for (id, minor) in acknowledged {
        let stored: Option<(i64, String)> = conn
            .query_row(
                "SELECT amount_minor, currency FROM donations WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        assert_eq!(
            stored,
            Some((*minor, "USD".to_owned())),
            "donation {id} lost or altered after kill {kill}"
        );
    }
}

async fn create_fundraiser(url: &str, dir: &std::path::Path) -> String {
    let organiser = client(url, "dev-organiser", &dir.join("organiser.db"));
    let draft = fundkit::FundraiserDraft {
        kind: fundkit::FundraiserKind::BusinessProject,
        category: fundkit::Category::Business,
        title: "Crash-proof bakery".into(),
        story: "Ovens that survive power cuts.".into(),
        goal: fundkit::Money {
            minor_units: 10_000_000,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    };
    organiser
        .create_fundraiser(draft)
        .await
        .unwrap()
        .fundraiser
        .id
}

async fn fetch(url: &str, dir: &std::path::Path, id: &str) -> fundkit::FundraiserView {
    client(url, "dev-organiser", &dir.join("organiser.db"))
        .refresh_fundraiser(id.into())
        .await
        .unwrap()
}

fn client(url: &str, token: &str, db: &std::path::Path) -> std::sync::Arc<fundkit::FundkitClient> {
    struct Token(String);
    impl fundkit::AuthProvider for Token {
        fn access_token(&self, _: bool) -> Option<String> {
            Some(self.0.clone())
        }
    }
    let config = fundkit::ClientConfig {
        database_path: db.to_string_lossy().into_owned(),
        server_url: url.into(),
        user: fundkit::UserContext {
            country: "US".into(),
            platform: fundkit::Platform::Android,
            age_years: Some(40),
        },
        locale: "en-US".into(),
        online: true,
        background_sync: false,
    };
    fundkit::FundkitClient::new(config, std::sync::Arc::new(Token(token.into()))).unwrap()
}
