//! The server against hostile clients (issue: "no client can create money, skip review or
//! read what it should not"): each attack that once worked, tried again over real HTTP on
//! SQLite and, with `FUNDKIT_TEST_POSTGRES`, on PostgreSQL. After each money test the
//! payment provider's ledger must agree with every fundraiser's total.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use fundkit_server::{Database, ServerOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

/// A server whose fundraisers wait for review (the default), with an active fundraiser
/// approved by the reviewer.
async fn reviewed_api() -> (Api, String) {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await;
    let (status, f) = api.create("dev-organiser", "k1", draft("US", "USD")).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let id = f["id"].as_str().unwrap().to_owned();
    let (status, body) = review(&api, "dev-reviewer", &id, json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (api, id)
}

async fn review(api: &Api, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &format!("/v1/review/fundraisers/{id}"),
        token,
        Some(body),
    )
    .await
}

async fn no_money_created(api: &Api) {
    assert_eq!(
        api.server.ledger_mismatches().await,
        vec![],
        "a fundraiser's total is not what was charged for it"
    );
}

fn result(body: &Value, k: usize) -> (&str, &str) {
    let r = &body["results"][k];
    (
        r["outcome"].as_str().unwrap_or("?"),
        r["code"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn another_donors_public_id_with_a_declining_token_creates_no_money() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let (_, first) = api
        .batch("dev-donor-1", vec![item(&uuid(1), &f, 1_000, "tok_ok")])
        .await;
    assert_eq!(result(&first, 0), ("accepted", ""));
    // Every donation's id is public.
    let (_, public) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{f}/donations"),
            "dev-donor-2",
            None,
        )
        .await;
    let public_id = public[0]["id"].as_str().unwrap().to_owned();
    let (_, stolen) = api
        .batch(
            "dev-donor-2",
            vec![item(&public_id, &f, 1_000_000, "tok_declined")],
        )
        .await;
    assert_eq!(result(&stolen, 0), ("conflict", "id_in_use"));
    assert!(
        stolen["results"][0]["received_at_ms"].is_null(),
        "nothing of the first is read"
    );
    let (_, theirs) = api
        .call(Method::GET, "/v1/me/donations", "dev-donor-2", None)
        .await;
    assert_eq!(theirs, json!([]));
    assert_eq!(api.total(&f).await, (1_000, 1));
    no_money_created(&api).await;
}

#[tokio::test]
async fn a_declined_id_never_decides_another_donors_card() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let (_, attacker) = api
        .batch(
            "dev-donor-2",
            vec![item(&uuid(7), &f, 1_000, "tok_declined")],
        )
        .await;
    assert_eq!(result(&attacker, 0), ("rejected", "declined"));
    let (_, victim) = api
        .batch("dev-donor-1", vec![item(&uuid(7), &f, 1_000, "tok_ok")])
        .await;
    assert_eq!(
        result(&victim, 0),
        ("conflict", "id_in_use"),
        "refused as taken, not declined"
    );
    assert_eq!(api.total(&f).await, (0, 0));
    no_money_created(&api).await;
}

#[tokio::test]
async fn a_needs_action_id_reused_by_another_donor_answers_and_changes_nothing() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let (_, first) = api
        .batch(
            "dev-donor-1",
            vec![item(&uuid(3), &f, 1_500, "tok_needs_action")],
        )
        .await;
    assert_eq!(result(&first, 0).0, "needs_action");
    let action_url = first["results"][0]["action_url"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let (status, reused) = api
            .batch(
                "dev-donor-2",
                vec![item(&uuid(3), &f, 1_500, "tok_needs_action")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{reused}");
        assert_eq!(result(&reused, 0), ("conflict", "id_in_use"));
    }
    let (status, reconciled) = api
        .call(
            Method::POST,
            "/v1/donations/reconcile",
            "dev-donor-2",
            Some(json!({"ids": [uuid(3)]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reconciled}");
    assert_eq!(result(&reconciled, 0), ("conflict", "id_in_use"));
    // The first donor's step is untouched and still completes.
    let resp = api
        .http
        .post(&action_url)
        .json(&json!({"result": "complete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(api.total(&f).await, (1_500, 1));
    no_money_created(&api).await;
}

#[tokio::test]
async fn one_uuid_in_four_spellings_is_one_donation_and_one_charge() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let id = "0190aaaa-bbbb-7ccc-8ddd-0000000000ee";
    let spellings = [
        id.to_owned(),
        id.to_uppercase(),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
        id.replace('-', ""),
    ];
    let items = spellings
        .iter()
        .map(|s| item(s, &f, 2_500, "tok_ok"))
        .collect();
    let (_, body) = api.batch("dev-donor-1", items).await;
    for k in 0..spellings.len() {
        assert_eq!(result(&body, k), ("accepted", ""), "{body}");
        assert_eq!(
            body["results"][k]["id"], id,
            "answered in the canonical spelling"
        );
        assert_eq!(body["results"][k]["duplicate"], k > 0);
    }
    assert_eq!(api.server.charges_for(id).await, 1);
    assert_eq!(api.total(&f).await, (2_500, 1));
    no_money_created(&api).await;
}

#[tokio::test]
async fn a_currency_is_stored_as_its_iso_code() {
    let api = Api::start().await;
    let (status, f) = api
        .create("dev-organiser-ie", "k1", draft("IE", "EUR"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let f = f["id"].as_str().unwrap();
    let mut odd = item(&uuid(5), f, 1_000, "tok_ok");
    odd["amount"]["currency"] = json!(" eur ");
    let (_, body) = api.batch("dev-donor-2", vec![odd]).await;
    assert_eq!(result(&body, 0), ("accepted", ""));
    let (_, public) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{f}/donations"),
            "dev-donor-1",
            None,
        )
        .await;
    assert_eq!(public[0]["amount"]["currency"], "EUR");
    let (_, mine) = api
        .call(Method::GET, "/v1/me/donations", "dev-donor-2", None)
        .await;
    assert_eq!(mine[0]["amount"]["currency"], "EUR");
}

#[tokio::test]
async fn a_reviewer_never_reviews_their_own_fundraiser() {
    let (api, _) = reviewed_api().await;
    let (status, own) = api.create("dev-reviewer", "k1", draft("US", "USD")).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let own = own["id"].as_str().unwrap();
    for decision in [
        json!({"decision": "approve"}),
        json!({"decision": "remove", "reason": "spam"}),
    ] {
        let (status, body) = review(&api, "dev-reviewer", own, decision).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "own_fundraiser")
        );
    }
    let (_, f) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{own}"),
            "dev-reviewer",
            None,
        )
        .await;
    assert_eq!(f["state"], "in_review");
}

#[tokio::test]
async fn ending_a_fundraiser_in_review_is_refused_and_publishes_nothing() {
    let (api, _) = reviewed_api().await;
    let (_, f) = api
        .create("dev-organiser-gb", "k1", draft("GB", "GBP"))
        .await;
    let id = f["id"].as_str().unwrap();
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/v1/fundraisers/{id}/end"),
            "dev-organiser-gb",
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["issues"][0]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("not_active")),
        "{body}"
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{id}"),
            "dev-donor-1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, queue) = api
        .call(Method::GET, "/v1/review/fundraisers", "dev-reviewer", None)
        .await;
    assert!(queue.as_array().unwrap().iter().any(|q| q["id"] == id));
    let (_, feed) = api
        .call(Method::GET, "/v1/fundraisers/changes", "dev-donor-1", None)
        .await;
    assert!(!feed["fundraisers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["id"] == id));
}

#[tokio::test]
async fn a_removed_fundraisers_donations_are_served_to_nobody_but_its_organiser() {
    let (api, f) = reviewed_api().await;
    let (_, body) = api
        .batch("dev-donor-1", vec![item(&uuid(1), &f, 1_000, "tok_ok")])
        .await;
    assert_eq!(result(&body, 0).0, "accepted");
    let (status, _) = review(
        &api,
        "dev-reviewer",
        &f,
        json!({"decision": "remove", "reason": "Misleading"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let path = format!("/v1/fundraisers/{f}/donations");
    for stranger in [
        "dev-donor-1",
        "dev-donor-2",
        "dev-organiser-gb",
        "dev-minor",
    ] {
        let (status, body) = api.call(Method::GET, &path, stranger, None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{stranger}"
        );
    }
    let (status, body) = api.call(Method::GET, &path, "dev-organiser", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn new_text_on_a_live_fundraiser_waits_for_review() {
    let (api, f) = reviewed_api().await;
    let path = format!("/v1/fundraisers/{f}");
    let (status, edited) = api
        .call(
            Method::PATCH,
            &path,
            "dev-organiser",
            Some(json!({"title": "Send money to my other account", "goal": {"minor_units": 600_000, "currency": "USD"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["title"], "Help Sam walk again",
        "the approved text stays"
    );
    assert_eq!(
        edited["goal"]["minor_units"], 600_000,
        "a goal is no text: at once"
    );
    assert_eq!(
        edited["pending_edit"]["title"],
        "Send money to my other account"
    );
    // The public sees the approved text, and nothing of the proposal.
    let (_, public) = api.call(Method::GET, &path, "dev-donor-1", None).await;
    assert_eq!(public["title"], "Help Sam walk again");
    assert!(public.get("pending_edit").is_none(), "{public}");
    let (_, feed) = api
        .call(Method::GET, "/v1/fundraisers/changes", "dev-donor-1", None)
        .await;
    assert!(!feed.to_string().contains("other account"));
    // Reviewers see it in their queue; declining keeps the approved text.
    let (_, queue) = api
        .call(Method::GET, "/v1/review/fundraisers", "dev-reviewer", None)
        .await;
    let waiting = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == f)
        .unwrap();
    assert_eq!(
        waiting["pending_edit"]["title"],
        "Send money to my other account"
    );
    let (status, body) = review(
        &api,
        "dev-reviewer",
        &f,
        json!({"decision": "decline_edit"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required: {body}"
    );
    let (status, declined) = review(
        &api,
        "dev-reviewer",
        &f,
        json!({"decision": "decline_edit", "reason": "Looks like a scam"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{declined}");
    let (_, own) = api.call(Method::GET, &path, "dev-organiser", None).await;
    assert_eq!(own["title"], "Help Sam walk again");
    assert_eq!(own["pending_edit"]["declined_reason"], "Looks like a scam");
    // A new proposal, approved, goes live.
    let (_, _) = api
        .call(
            Method::PATCH,
            &path,
            "dev-organiser",
            Some(json!({"title": "Help Sam walk"})),
        )
        .await;
    let (status, approved) = review(&api, "dev-reviewer", &f, json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let (_, public) = api.call(Method::GET, &path, "dev-donor-1", None).await;
    assert_eq!(public["title"], "Help Sam walk");
    assert_eq!(public["story"], "Physio after the accident.");
    // Nothing left to approve.
    let (status, body) = review(&api, "dev-reviewer", &f, json!({"decision": "approve"})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "not_reviewable")
    );
}

#[tokio::test]
async fn a_fundraiser_in_review_is_not_found_by_strangers_like_one_that_does_not_exist() {
    let (api, _) = reviewed_api().await;
    let (_, f) = api
        .create("dev-organiser-ie", "k1", draft("IE", "EUR"))
        .await;
    let id = f["id"].as_str().unwrap();
    for path in [
        format!("/v1/fundraisers/{id}"),
        format!("/v1/fundraisers/{id}/donations"),
    ] {
        let (status, body) = api.call(Method::GET, &path, "dev-donor-1", None).await;
        let (unknown_status, unknown) = api
            .call(
                Method::GET,
                &path.replace(id, "fr_0000000000000000000000000000dead"),
                "dev-donor-1",
                None,
            )
            .await;
        assert_eq!((status, &body), (unknown_status, &unknown), "{path}");
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn refused_content_is_not_kept_nor_served_back() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let mut carded = item(&uuid(11), &f, 1_000, "tok_ok");
    carded["message"] = json!("my card 4111 1111 1111 1111 exp 03/29");
    let (_, body) = api.batch("dev-donor-1", vec![carded.clone()]).await;
    assert_eq!(result(&body, 0), ("rejected", "card_number"));
    let (_, again) = api.batch("dev-donor-1", vec![carded]).await;
    assert_eq!(
        result(&again, 0),
        ("rejected", "card_number"),
        "a repeat gets the same answer"
    );
    assert_eq!(again["results"][0]["duplicate"], true);
    let (_, mine) = api
        .call(Method::GET, "/v1/me/donations", "dev-donor-1", None)
        .await;
    let (_, feed) = api
        .call(Method::GET, "/v1/me/donations/changes", "dev-donor-1", None)
        .await;
    for served in [mine.to_string(), feed.to_string()] {
        assert!(!served.contains("4111"), "{served}");
        assert!(!served.contains(&uuid(11)), "{served}");
    }
}

#[tokio::test]
async fn answers_echo_a_bounded_prefix_and_never_a_card_number() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let huge = "x".repeat(100_000);
    let (_, body) = api
        .batch("dev-donor-1", vec![item(&huge, &f, 1_000, "tok_ok")])
        .await;
    assert_eq!(result(&body, 0), ("rejected", "invalid_id"));
    assert!(body["results"][0]["id"].as_str().unwrap().chars().count() <= 41);
    let (_, body) = api
        .batch(
            "dev-donor-1",
            vec![item("4111111111111111", &f, 1_000, "tok_ok")],
        )
        .await;
    assert!(!body.to_string().contains("4111111111111111"), "{body}");
    // Decoding errors quote the caller's values: bounded, card numbers hidden.
    let mut wrong = item(&uuid(1), &f, 1_000, "tok_ok");
    wrong["amount"]["minor_units"] = json!(format!("4111 1111 1111 1111{}", "9".repeat(5_000)));
    let (status, body) = api.batch("dev-donor-1", vec![wrong]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = body.to_string();
    assert!(text.len() < 1_000, "{text}");
    assert!(!fundkit::rules::contains_card_number(&text), "{text}");
    let (status, body) = api
        .call(
            Method::POST,
            "/v1/donations/reconcile",
            "dev-donor-1",
            Some(json!({"ids": ["4111-1111-1111-1111"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        !fundkit::rules::contains_card_number(&body.to_string()),
        "{body}"
    );
}

#[tokio::test]
async fn a_removal_reason_follows_the_text_rules() {
    let (api, f) = reviewed_api().await;
    for (reason, want) in [
        ("Call 4111 1111 1111 1111 for a refund", "card_number"),
        ("Removed \u{202e}dnuofer rof", "bidi_control"),
        ("   ", "required"),
    ] {
        let (status, body) = review(
            &api,
            "dev-reviewer",
            &f,
            json!({"decision": "remove", "reason": reason}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["issues"][0]["code"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(want)),
            "{reason:?}: {body}"
        );
    }
    let (_, still) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{f}"),
            "dev-donor-1",
            None,
        )
        .await;
    assert_eq!(still["state"], "active");
}

#[tokio::test]
async fn the_bank_page_address_comes_from_the_configuration_not_the_host_header() {
    let api = Api::with(ServerOptions {
        auto_approve: true,
        database: Database::for_test(),
        public_url: Some("https://pay.fundkit.test".into()),
        ..ServerOptions::default()
    })
    .await;
    let f = api.fundraiser().await;
    let resp = api
        .http
        .post(api.url("/v1/donations/batch"))
        .bearer_auth("dev-donor-1")
        .header("host", "evil.example")
        .json(&json!({"donations": [item(&uuid(2), &f, 1_000, "tok_needs_action")]}))
        .send()
        .await
        .unwrap();
    let (_, body) = read(resp).await;
    let url = body["results"][0]["action_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://pay.fundkit.test/v1/bank/"),
        "{url}"
    );
}

/// A raw connection to the server, for what an HTTP client would not do.
fn connect(api: &Api) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(api.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the server closes the connection; how long that took.
fn until_closed(mut s: std::net::TcpStream, what: &str) -> Duration {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return start.elapsed(),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return start.elapsed(),
            Err(e) => panic!("{what}: the server kept the connection open: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_idle_connections_are_closed() {
    let api = Api::with(ServerOptions {
        auto_approve: true,
        database: Database::for_test(),
        header_read_timeout: Duration::from_millis(500),
        ..ServerOptions::default()
    })
    .await;
    let api = std::sync::Arc::new(api);
    let probe = std::sync::Arc::clone(&api);
    tokio::task::spawn_blocking(move || {
        // Half the headers, then nothing.
        let mut s = connect(&probe);
        s.write_all(b"GET /v1/config HTTP/1.1\r\nHost: x\r\nAuthor")
            .unwrap();
        assert!(until_closed(s, "half headers") < Duration::from_secs(5));
        // A connection that never sends a byte.
        assert!(until_closed(connect(&probe), "silent") < Duration::from_secs(5));
        // A kept-alive connection idle after its first request.
        let mut s = connect(&probe);
        s.write_all(
            b"GET /v1/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-donor-1\r\n\r\n",
        )
        .unwrap();
        let mut first = [0u8; 12];
        s.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        assert!(until_closed(s, "idle") < Duration::from_secs(5));
    })
    .await
    .unwrap();
}
