//! `fundkit review`, the reviewer's command, against the reference server: the queue shows
//! a UK charity's name and registered number (for the reviewer to check on the register),
//! and an approval records the charity the reviewer checked.

use std::process::{Command, Output};

use fundkit_server::{Database, ServerOptions};
use serde_json::{json, Value};

fn fundkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fundkit"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A UK nonprofit's fundraiser, created by the GB dev organiser; returns its id.
async fn create(url: &str, key: &str, charity: Option<Value>) -> String {
    let mut draft = json!({
        "kind": {"type": "nonprofit", "nonprofit_id": "npo_hospice"},
        "category": "community",
        "title": format!("Hospice appeal {key}"),
        "story": "Care at home.",
        "goal": {"minor_units": 500_000, "currency": "GBP"},
        "country": "GB"
    });
    if let Some(c) = charity {
        draft["charity"] = c;
    }
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/fundraisers"))
        .bearer_auth("dev-organiser-gb")
        .header("Idempotency-Key", key)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let f: Value = resp.json().await.unwrap();
    f["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_shows_the_charity_and_an_approval_records_one() {
    let server = fundkit_server::start(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let named = create(
        &url,
        "k1",
        Some(json!({"name": "St Hilda's Hospice", "number": "1234567"})),
    )
    .await;

    // The queue: the charity's name and number under the fundraiser, to check.
    let listed = stdout(&fundkit(&["review", "--server", &url]));
    assert!(listed.contains("1 fundraiser(s) waiting"), "{listed}");
    let lines: Vec<&str> = listed.lines().collect();
    let at = lines.iter().position(|l| l.contains(&named)).unwrap();
    assert_eq!(
        lines[at + 1].trim(),
        "charity: St Hilda's Hospice (registered number 1234567)",
        "{listed}"
    );

    // A charity goes with --approve only, name and number together: the command refuses
    // anything else itself.
    let out = fundkit(&[
        "review",
        "--server",
        &url,
        "--remove",
        &named,
        "--reason",
        "Not on the register",
        "--charity-name",
        "X",
        "--charity-number",
        "1234567",
    ]);
    assert!(!out.status.success());
    let out = fundkit(&[
        "review",
        "--server",
        &url,
        "--approve",
        &named,
        "--charity-name",
        "X",
    ]);
    assert!(!out.status.success());
    let removed = stdout(&fundkit(&[
        "review",
        "--server",
        &url,
        "--remove",
        &named,
        "--reason",
        "Not on the register",
    ]));
    assert!(removed.contains("is now removed"), "{removed}");

    // One without a charity shows none.
    let unnamed = create(&url, "k2", None).await;
    let listed = stdout(&fundkit(&["review", "--server", &url]));
    assert!(listed.contains(&unnamed), "{listed}");
    assert!(!listed.contains("charity:"), "{listed}");

    // Approving with the charity the reviewer checked records it (in its one spelling).
    let approved = stdout(&fundkit(&[
        "review",
        "--server",
        &url,
        "--approve",
        &unnamed,
        "--charity-name",
        "St Hilda's",
        "--charity-number",
        "sc 012345",
    ]));
    assert!(approved.contains("is now active"), "{approved}");
    assert!(
        approved.contains("charity: St Hilda's (registered number SC012345)"),
        "{approved}"
    );
    let f: Value = reqwest::Client::new()
        .get(format!("{url}/v1/fundraisers/{unnamed}"))
        .bearer_auth("dev-donor-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        f["charity"],
        json!({"name": "St Hilda's", "number": "SC012345"})
    );
    assert_eq!(f["state"], "active");
}
