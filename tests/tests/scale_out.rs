//! Two server instances on one database, with concurrent writers and feed readers: the
//! guarantees that a single process gets from its one writer must hold across instances.
//! - A batch sent to both instances at once is charged once and answered alike.
//! - A feed read page by page while others write never skips a change: what a reader
//!   following the cursor ends with equals a fresh read from the start.
//!
//! Runs on SQLite (two connections to one file) and, with `FUNDKIT_TEST_POSTGRES`, on
//! PostgreSQL (scripts/test.sh runs both).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fundkit_e2e::feed::Follower;
use fundkit_server::{start, Database, RunningServer, ServerOptions};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const WRITERS: usize = 6;
const BATCHES_PER_WRITER: usize = 20;
const DONORS: [&str; 2] = ["dev-donor-1", "dev-donor-2"];

async fn instance(database: &Database) -> RunningServer {
    start(ServerOptions {
        database: database.clone(),
        auto_approve: true,
        rate_limit_per_minute: 1_000_000,
        ..ServerOptions::default()
    })
    .await
    .unwrap()
}

async fn send(http: &Client, url: &str, token: &str, body: Option<&Value>) -> (StatusCode, Value) {
    let req = match body {
        Some(b) => http.post(url).json(b),
        None => http.get(url),
    };
    let resp = req.bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn item(id: &str, fundraiser: &str, cents: i64, token: &str) -> Value {
    json!({
        "id": id, "fundraiser_id": fundraiser,
        "amount": {"minor_units": cents, "currency": "USD"},
        "message": null, "visibility": "public", "hide_amount": false,
        "payment_token": token,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_charge_once_and_their_feeds_skip_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::durable_for_test(dir.path().join("shared.db"));
    let a = instance(&database).await;
    let b = instance(&database).await;
    let urls = [a.url(), b.url()];
    let http = Client::new();
    let resp = http
        .post(format!("{}/v1/fundraisers", urls[0]))
        .bearer_auth("dev-organiser")
        .header("Idempotency-Key", "scale-out")
        .json(&json!({
            "kind": {"type": "personal_cause", "beneficiary": "myself"},
            "category": "medical", "title": "Scale out", "story": "Two instances, one database.",
            "goal": {"minor_units": 1_000_000, "currency": "USD"}, "country": "US"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let f: Value = resp.json().await.unwrap();
    let fundraiser = f["id"].as_str().unwrap().to_owned();

    let writing = Arc::new(AtomicBool::new(true));
    // Readers: the fundraisers feed and each donor's own feed, followed from both
    // instances in turn while the writers run.
    let mut readers = Vec::new();
    for mut follower in [
        Follower::new("/v1/fundraisers/changes", "dev-donor-1", "fundraisers"),
        Follower::new("/v1/me/donations/changes", DONORS[0], "donations"),
        Follower::new("/v1/me/donations/changes", DONORS[1], "donations"),
    ] {
        let (http, urls, writing) = (http.clone(), urls.clone(), writing.clone());
        readers.push(tokio::spawn(async move {
            let mut turn = 0usize;
            while writing.load(Ordering::SeqCst) {
                follower.catch_up(&http, &urls[turn % 2]).await;
                turn += 1;
            }
            follower.catch_up(&http, &urls[turn % 2]).await;
            follower
        }));
    }
    // Writers: new batches to either instance; every third batch goes to both at once.
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (http, urls, fundraiser) = (http.clone(), urls.clone(), fundraiser.clone());
        writers.push(tokio::spawn(async move {
            let mut accepted = BTreeMap::new();
            for n in 0..BATCHES_PER_WRITER {
                let donor = DONORS[(w + n) % 2];
                let items: Vec<Value> = (0..5)
                    .map(|i| {
                        let token = [
                            "tok_ok",
                            "tok_ok",
                            "tok_ok",
                            "tok_declined",
                            "tok_needs_action",
                        ][(n + i) % 5];
                        let id = fundkit::new_donation_id();
                        item(
                            &id,
                            &fundraiser,
                            100 + (w * 1000 + n * 10 + i) as i64,
                            token,
                        )
                    })
                    .collect();
                let body = json!({ "donations": items });
                let first = format!("{}/v1/donations/batch", urls[(w + n) % 2]);
                let answers = if n % 3 == 0 {
                    let other = format!("{}/v1/donations/batch", urls[(w + n + 1) % 2]);
                    let (x, y) = tokio::join!(
                        send(&http, &first, donor, Some(&body)),
                        send(&http, &other, donor, Some(&body))
                    );
                    // Both instances answer every item alike (one of them as a repeat).
                    if x.0 == StatusCode::OK && y.0 == StatusCode::OK {
                        for (p, q) in x.1["results"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .zip(y.1["results"].as_array().unwrap())
                        {
                            assert_eq!((&p["id"], &p["outcome"]), (&q["id"], &q["outcome"]));
                        }
                    }
                    [x, y]
                } else {
                    let x = send(&http, &first, donor, Some(&body)).await;
                    [x.clone(), x]
                };
                // A lost race is a retryable 503; the resend settles it.
                let mut result = answers.into_iter().find(|(s, _)| *s == StatusCode::OK);
                while result.is_none() {
                    let x = send(&http, &first, donor, Some(&body)).await;
                    assert!(
                        x.0 == StatusCode::OK || x.0 == StatusCode::SERVICE_UNAVAILABLE,
                        "{x:?}"
                    );
                    result = (x.0 == StatusCode::OK).then_some(x);
                }
                for r in result.unwrap().1["results"].as_array().unwrap() {
                    if r["outcome"] == "accepted" {
                        accepted.insert(r["id"].as_str().unwrap().to_owned(), ());
                    }
                }
            }
            accepted
        }));
    }
    let mut accepted = BTreeMap::new();
    for w in writers {
        accepted.extend(w.await.unwrap());
    }
    writing.store(false, Ordering::SeqCst);

    // Each charged donation was charged once and counted once.
    let (_, view) = send(
        &http,
        &format!("{}/v1/fundraisers/{fundraiser}", urls[1]),
        "dev-donor-1",
        None,
    )
    .await;
    assert_eq!(
        view["donation_count"].as_u64().unwrap(),
        accepted.len() as u64,
        "counted once"
    );
    for id in accepted.keys().take(20) {
        assert_eq!(a.charges_for(id).await, 1, "{id}");
    }

    // What each reader followed equals a fresh read from the start: nothing skipped.
    let mut skipped = 0;
    for r in readers {
        let follower = r.await.unwrap();
        let missed = follower.skipped(&http, &urls[0]).await;
        if !missed.is_empty() {
            eprintln!("{} {}: skipped {missed:?}", follower.path, follower.token);
        }
        skipped += missed.len();
    }
    println!(
        "scale out: {} accepted across 2 instances, {WRITERS} writers, 3 feed readers, skipped {skipped}",
        accepted.len()
    );
    assert_eq!(skipped, 0, "a reader following a feed skipped changes");
    a.shutdown().await;
    b.shutdown().await;
}
