//! The reference server over real HTTP on 127.0.0.1:0: protocol, idempotency, privacy,
//! limits and hostile input. Every bad input gets an exact status and JSON code.

mod support;

use fundkit_server::{Database, ServerOptions, ROUTES};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn openapi_documents_exactly_the_served_routes() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let mut documented = Vec::new();
    let mut path = None;
    for line in doc.lines() {
        if line == "components:" {
            break;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let (Some(p), Some(m)) = (
            &path,
            line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')),
        ) {
            if ["get", "post", "put", "delete", "patch"].contains(&m) {
                documented.push((m.to_owned(), p.clone()));
            }
        }
    }
    let mut served: Vec<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // And every listed route is really routed (not the 404 fallback).
    let api = Api::start().await;
    for (method, path) in ROUTES {
        let path = path.replace("{id}", "fr_missing");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        if path.starts_with("/f/") {
            // The one page for browsers (HTML): its own "not available", not the fallback.
            let text = api
                .http
                .get(api.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.contains("not available"), "{method} {path}: {text}");
            continue;
        }
        let (_, body) = api.call(m, &path, "dev-donor-1", Some(json!({}))).await;
        assert_ne!(body["error"]["message"], "no such route", "{method} {path}");
    }
}

#[tokio::test]
async fn auth_is_required_and_errors_are_json() {
    let api = Api::start().await;
    let (status, body) = api.call(Method::GET, "/v1/config", "nope", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let resp = api.http.get(api.url("/v1/config")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .call(Method::GET, "/v2/nothing", "dev-donor-1", None)
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = api
        .call(Method::DELETE, "/v1/config", "dev-donor-1", None)
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let (status, config) = api
        .call(Method::GET, "/v1/config", "dev-donor-1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        config["rollout"]["create"]["countries"],
        json!(["US", "GB", "IE"])
    );
    assert_eq!(config["limits"]["offline_max_single_major"], 250);
}

#[tokio::test]
async fn fundraiser_creation_is_validated_and_idempotent() {
    let api = Api::start().await;
    let (s, missing) = api
        .call(
            Method::POST,
            "/v1/fundraisers",
            "dev-organiser",
            Some(draft("US", "USD")),
        )
        .await;
    assert_eq!(
        (s, code(&missing)),
        (StatusCode::BAD_REQUEST, "missing_idempotency_key")
    );
    let (s1, a) = api
        .create("dev-organiser", "key-1", draft("US", "USD"))
        .await;
    let (s2, b) = api
        .create("dev-organiser", "key-1", draft("US", "USD"))
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(
        a["id"], b["id"],
        "a retried create returns the same fundraiser"
    );
    assert_eq!(a["state"], "active");
    let mut other = draft("US", "USD");
    other["title"] = json!("Another title");
    let (s, body) = api.create("dev-organiser", "key-1", other.clone()).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::CONFLICT, "idempotency_conflict")
    );
    let (s, body) = api.create("dev-organiser", "key-2", other).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::CONFLICT, "active_fundraiser_limit")
    );

    let mut bad = draft("GB", "USD");
    bad["title"] = json!("");
    bad["story"] = json!("card 4111 1111 1111 1111");
    let (s, body) = api.create("dev-organiser-gb", "k", bad).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let issues: Vec<_> = body["error"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].clone())
        .collect();
    assert_eq!(
        issues,
        vec![
            json!("required"),
            json!("card_number"),
            json!("wrong_currency_for_country")
        ]
    );

    let (s, body) = api.create("dev-minor", "k", draft("US", "USD")).await;
    assert_eq!((s, code(&body)), (StatusCode::FORBIDDEN, "unavailable"));
    let (s, body) = api
        .create("dev-organiser-ie", "k", draft("US", "USD"))
        .await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::FORBIDDEN, "country_mismatch")
    );
    let resp = api
        .http
        .post(api.url("/v1/fundraisers"))
        .bearer_auth("dev-organiser-ie")
        .header("Idempotency-Key", "ios")
        .header("X-FundKit-Platform", "ios")
        .json(&draft("IE", "EUR"))
        .send()
        .await
        .unwrap();
    let (s, body) = read(resp).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::FORBIDDEN, "unavailable"),
        "iOS is not launched"
    );
}

#[tokio::test]
async fn every_payment_outcome_duplicates_and_conflicts() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let items = vec![
        item(&uuid(1), &f, 1_000, "tok_ok"),
        item(&uuid(2), &f, 1_000, "tok_declined"),
        item(&uuid(3), &f, 1_000, "tok_needs_action"),
        item(&uuid(4), &f, 1_000, "tok_expired"),
        item(&uuid(5), &f, 1_000, "tok_forged"),
        item(&uuid(6), "fr_missing", 1_000, "tok_ok"),
        item("not-a-uuid", &f, 1_000, "tok_ok"),
    ];
    let (s, first) = api.batch("dev-donor-1", items.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let outcomes: Vec<_> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["outcome"].clone(), r["code"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (json!("accepted"), Value::Null),
            (json!("rejected"), json!("declined")),
            (json!("needs_action"), json!("authentication_required")),
            (json!("rejected"), json!("payment_expired")),
            (json!("rejected"), json!("invalid_payment_token")),
            (json!("rejected"), json!("fundraiser_not_found")),
            (json!("rejected"), json!("invalid_id")),
        ]
    );
    assert!(first["results"][2]["action_url"].is_string());
    assert_eq!(api.total(&f).await, (1_000, 1));
    // The same batch again: the original outcomes, flagged, nothing charged twice. (An id
    // that is not a UUID names no donation: refused again, stored nowhere.)
    let (_, again) = api.batch("dev-donor-1", items).await;
    for (a, b) in first["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["results"].as_array().unwrap())
        .take(6)
    {
        assert_eq!(
            (a["outcome"].clone(), b["duplicate"].clone()),
            (b["outcome"].clone(), json!(true))
        );
        assert_eq!(a["received_at_ms"], b["received_at_ms"]);
    }
    assert_eq!(
        (
            &again["results"][6]["code"],
            &again["results"][6]["duplicate"]
        ),
        (&json!("invalid_id"), &json!(false))
    );
    assert_eq!(api.total(&f).await, (1_000, 1));
    // Same id, different content: a conflict, the original stands.
    let (_, conflict) = api
        .batch("dev-donor-1", vec![item(&uuid(1), &f, 9_999, "tok_ok")])
        .await;
    assert_eq!(conflict["results"][0]["outcome"], "conflict");
    assert_eq!(conflict["results"][0]["code"], "idempotency_conflict");
    assert_eq!(api.total(&f).await, (1_000, 1));
    // Another donor naming that id is refused: the id is taken, and nothing of the first
    // donation is read, changed or counted again.
    let (_, other) = api
        .batch("dev-donor-2", vec![item(&uuid(1), &f, 2_000, "tok_ok")])
        .await;
    assert_eq!(
        (
            other["results"][0]["outcome"].clone(),
            other["results"][0]["code"].clone(),
            other["results"][0]["duplicate"].clone()
        ),
        (json!("conflict"), json!("id_in_use"), json!(false))
    );
    let (_, mine) = api
        .call(Method::GET, "/v1/me/donations", "dev-donor-1", None)
        .await;
    let original = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(uuid(1)))
        .unwrap();
    assert_eq!(original["amount"]["minor_units"], 1_000);
    let (_, theirs) = api
        .call(Method::GET, "/v1/me/donations", "dev-donor-2", None)
        .await;
    assert_eq!(
        theirs.as_array().unwrap().len(),
        0,
        "donor 2 has no donation"
    );
    assert_eq!(api.total(&f).await, (1_000, 1));
    let stats = api.server.stats();
    assert_eq!((stats.accepted, stats.duplicates), (1, 6));
    assert_eq!(api.server.ledger_mismatches().await, vec![]);
}

#[tokio::test]
async fn hostile_input_gets_exact_4xx_and_the_server_stays_up() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let path = "/v1/donations/batch";
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode, &str)> = vec![
        ("not json", b"{not json".to_vec(), "application/json", StatusCode::BAD_REQUEST, "bad_request"),
        ("invalid utf-8", b"{\"donations\": [\"\xff\xfe\"]}".to_vec(), "application/json", StatusCode::BAD_REQUEST, "bad_request"),
        // Refused at the first level that has the wrong shape, long before any recursion limit.
        ("deep json", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("deep json in a field", format!(r#"{{"donations":[{{"id":{}{}}}]}}"#, "[".repeat(5_000), "]".repeat(5_000)).into_bytes(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("wrong types", br#"{"donations": "many"}"#.to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("amount overflow", format!(r#"{{"donations":[{{"id":"{}","fundraiser_id":"{f}","amount":{{"minor_units":9223372036854775808,"currency":"USD"}},"visibility":"public","hide_amount":false,"payment_token":"tok_ok"}}]}}"#, uuid(9)).into_bytes(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("not json content type", b"{}".to_vec(), "text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("oversized", vec![b' '; 2 * 1024 * 1024], "application/json", StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ("empty batch", br#"{"donations": []}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "empty_batch"),
        // PostgreSQL's text cannot hold U+0000: both backends refuse it before any SQL.
        ("a NUL in a message", format!(r#"{{"donations":[{{"id":"{}","fundraiser_id":"{f}","amount":{{"minor_units":100,"currency":"USD"}},"message":"hi\u0000","visibility":"public","hide_amount":false,"payment_token":"tok_ok"}}]}}"#, uuid(8)).into_bytes(), "application/json", StatusCode::BAD_REQUEST, "nul_character"),
    ];
    for (name, body, ct, status, want) in cases {
        let (s, resp) = api.raw(path, "dev-donor-1", ct, body).await;
        assert_eq!((s, code(&resp)), (status, want), "{name}: {resp}");
    }
    for path in [
        "/v1/fundraisers/fr_%00",
        "/v1/fundraisers/changes?since=c%000",
    ] {
        let (s, resp) = api.call(Method::GET, path, "dev-donor-1", None).await;
        assert_eq!(
            (s, code(&resp)),
            (StatusCode::BAD_REQUEST, "nul_character"),
            "{path}"
        );
    }
    let huge: Vec<_> = (0..101)
        .map(|i| item(&uuid(100 + i), &f, 100, "tok_ok"))
        .collect();
    let (s, resp) = api.batch("dev-donor-1", huge).await;
    assert_eq!(
        (s, code(&resp)),
        (StatusCode::BAD_REQUEST, "batch_too_large")
    );
    // Nothing above changed anything.
    assert_eq!(api.total(&f).await, (0, 0));
    assert_eq!(api.server.stats().donation_items_received, 0);

    // Item-level abuse is a per-item rejection with the rules' code.
    let mut eur = item(&uuid(20), &f, 1_000, "tok_ok");
    eur["amount"]["currency"] = json!("EUR");
    let mut sql = item(&uuid(23), &f, 1_000, "tok_ok");
    sql["message"] = json!("'); DROP TABLE donations; -- <script>alert(1)</script>");
    let (_, r) = api
        .batch(
            "dev-donor-1",
            vec![
                item(&uuid(21), &f, -500, "tok_ok"),
                item(&uuid(22), &f, i64::MAX, "tok_ok"),
                eur,
                sql,
            ],
        )
        .await;
    let codes: Vec<_> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].clone())
        .collect();
    assert_eq!(
        codes,
        vec![
            json!("below_minimum"),
            json!("above_maximum"),
            json!("currency_mismatch"),
            Value::Null
        ]
    );
    // SQL-looking and script text is stored and returned as data, never run.
    let (_, entries) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/{f}/donations"),
            "dev-donor-2",
            None,
        )
        .await;
    assert_eq!(
        entries[0]["message"],
        "'); DROP TABLE donations; -- <script>alert(1)</script>"
    );
    assert_eq!(api.total(&f).await, (1_000, 1));
    let (s, _) = api
        .call(Method::GET, "/v1/config", "dev-donor-1", None)
        .await;
    assert_eq!(s, StatusCode::OK, "the server is still up");
}

#[tokio::test]
async fn names_and_amounts_are_masked_per_viewer() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let mut anon = item(&uuid(1), &f, 1_000, "tok_ok");
    anon["visibility"] = json!("anonymous");
    let mut hidden = item(&uuid(2), &f, 2_000, "tok_ok");
    hidden["visibility"] = json!("hidden_from_public");
    hidden["hide_amount"] = json!(true);
    api.batch("dev-donor-1", vec![anon, hidden]).await;
    api.batch("dev-donor-2", vec![item(&uuid(3), &f, 3_000, "tok_ok")])
        .await;
    let view = |token: &'static str| {
        let api = &api;
        let f = f.clone();
        async move {
            let (_, e) = api
                .call(
                    Method::GET,
                    &format!("/v1/fundraisers/{f}/donations"),
                    token,
                    None,
                )
                .await;
            let mut rows: Vec<_> = e
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["id"].as_str().unwrap().to_owned(),
                        d["donor_name"].clone(),
                        d["amount"]["minor_units"].clone(),
                    )
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        }
    };
    let public = view("dev-minor").await;
    assert_eq!(
        public,
        vec![
            (uuid(1), Value::Null, json!(1_000)),
            (uuid(2), Value::Null, Value::Null),
            (uuid(3), json!("Dana Donor"), json!(3_000)),
        ]
    );
    let organiser = view("dev-organiser").await;
    assert_eq!(
        organiser,
        vec![
            (uuid(1), Value::Null, json!(1_000)), // anonymous: never, not even to the organiser
            (uuid(2), json!("Dan Donor"), json!(2_000)),
            (uuid(3), json!("Dana Donor"), json!(3_000)),
        ]
    );
    let donor = view("dev-donor-1").await;
    assert_eq!(
        donor[0],
        (uuid(1), json!("Dan Donor"), json!(1_000)),
        "donors see their own"
    );
    // No view anywhere carries an anonymous donor's name.
    for token in ["dev-minor", "dev-organiser", "dev-donor-2"] {
        let (_, e) = api
            .call(
                Method::GET,
                &format!("/v1/fundraisers/{f}/donations"),
                token,
                None,
            )
            .await;
        let (_, changes) = api
            .call(Method::GET, "/v1/fundraisers/changes", token, None)
            .await;
        let (_, me) = api.call(Method::GET, "/v1/me/donations", token, None).await;
        for v in [e, changes, me] {
            assert!(
                !v.to_string()
                    .contains("Dan Donor\",\"amount\":{\"minor_units\":1000"),
                "{token}: {v}"
            );
        }
    }
}

#[tokio::test]
async fn changes_feed_pages_with_a_cursor() {
    let mut options = ServerOptions {
        database: Database::for_test(),
        auto_approve: true,
        ..ServerOptions::default()
    };
    options.config.limits.max_active_fundraisers_per_organiser = 10;
    let api = Api::with(options).await;
    for i in 0..3 {
        api.create("dev-organiser", &format!("k{i}"), draft("US", "USD"))
            .await;
    }
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let (s, page) = api
            .call(
                Method::GET,
                &format!("/v1/fundraisers/changes?since={cursor}&limit=2"),
                "dev-donor-1",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        for f in page["fundraisers"].as_array().unwrap() {
            seen.push(f["id"].as_str().unwrap().to_owned());
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen.len(), 3);
    let (_, empty) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/changes?since={cursor}"),
            "dev-donor-1",
            None,
        )
        .await;
    assert_eq!(empty["fundraisers"], json!([]));
    // A donation bumps its fundraiser into the feed again.
    api.batch("dev-donor-1", vec![item(&uuid(1), &seen[0], 500, "tok_ok")])
        .await;
    let (_, after) = api
        .call(
            Method::GET,
            &format!("/v1/fundraisers/changes?since={cursor}"),
            "dev-donor-1",
            None,
        )
        .await;
    assert_eq!(after["fundraisers"][0]["id"], json!(seen[0]));
    for (q, want) in [
        ("since=garbage", "bad_cursor"),
        ("since=c-1", "bad_cursor"),
        ("limit=0", "bad_limit"),
        ("limit=501", "bad_limit"),
        ("limit=x", "bad_limit"),
    ] {
        let (s, body) = api
            .call(
                Method::GET,
                &format!("/v1/fundraisers/changes?{q}"),
                "dev-donor-1",
                None,
            )
            .await;
        assert_eq!((s, code(&body)), (StatusCode::BAD_REQUEST, want), "{q}");
    }
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        rate_limit_per_minute: 3,
        auto_approve: true,
        ..ServerOptions::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            api.call(Method::GET, "/v1/config", "dev-donor-1", None)
                .await
                .0,
            StatusCode::OK
        );
    }
    let resp = api
        .http
        .get(api.url("/v1/config"))
        .bearer_auth("dev-donor-1")
        .send()
        .await
        .unwrap();
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let (s, body) = read(resp).await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Per user: another user is not limited.
    assert_eq!(
        api.call(Method::GET, "/v1/config", "dev-donor-2", None)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_restart_on_the_same_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::durable_for_test(dir.path().join("s.db"));
    let options = || ServerOptions {
        database: database.clone(),
        auto_approve: true,
        ..ServerOptions::default()
    };
    let api = Api::with(options()).await;
    let f = api.fundraiser().await;
    api.batch("dev-donor-1", vec![item(&uuid(1), &f, 700, "tok_ok")])
        .await;
    api.server.shutdown().await;
    let api = Api::with(options()).await;
    assert_eq!(api.total(&f).await, (700, 1));
    let (_, again) = api
        .batch("dev-donor-1", vec![item(&uuid(1), &f, 700, "tok_ok")])
        .await;
    assert_eq!(
        again["results"][0]["duplicate"], true,
        "dedup survives a restart"
    );
}

#[tokio::test]
async fn unauthenticated_floods_are_rate_limited_too() {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        rate_limit_per_minute: 3,
        auto_approve: true,
        ..ServerOptions::default()
    })
    .await;
    // No token, a wrong token: both count against the source address.
    for token in ["", "nope", ""] {
        let (s, body) = api.call(Method::GET, "/v1/config", token, None).await;
        assert_eq!((s, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    }
    let (s, body) = api
        .call(Method::GET, "/v1/config", "still-nope", None)
        .await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // The simulated bank page has no token at all: limited per source as well.
    let (s, _) = api
        .call(
            Method::POST,
            "/v1/bank/00000000000000000000000000000000",
            "",
            Some(json!({"result": "complete"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A signed-in user has a budget of their own.
    let (s, _) = api
        .call(Method::GET, "/v1/config", "dev-donor-1", None)
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// A request that times out leaves nothing a retry would answer differently: the attempt
/// it recorded is completed by the retry, with one charge, counted once.
#[tokio::test]
async fn a_timed_out_batch_answers_a_retry_the_same_with_one_charge() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::durable_for_test(dir.path().join("s.db"));
    let options = |timeout: std::time::Duration| ServerOptions {
        database: database.clone(),
        auto_approve: true,
        request_timeout: timeout,
        ..ServerOptions::default()
    };
    let api = Api::with(options(std::time::Duration::from_secs(10))).await;
    let f = api.fundraiser().await;
    api.server.shutdown().await;
    let hurried = Api::with(options(std::time::Duration::ZERO)).await;
    let (s, body) = hurried
        .batch("dev-donor-1", vec![item(&uuid(77), &f, 1_500, "tok_ok")])
        .await;
    assert_eq!(
        (s, code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "timeout")
    );
    // Let the blocking work the timed-out request started finish before the restart.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    hurried.server.shutdown().await;
    // On SQLite the blocking work outlives the cut request: the attempt is recorded and
    // left pending. On PostgreSQL the cut drops the transaction: nothing is recorded.
    // Either way the retry below must answer the same, with one charge.
    if let Database::Path(path) = &database {
        let recorded: String = rusqlite::Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT outcome FROM donations WHERE id = ?1",
                [uuid(77)],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            recorded, "pending",
            "the timeout cut the request after it recorded the attempt"
        );
    }
    let api = Api::with(options(std::time::Duration::from_secs(10))).await;
    let (s, body) = api
        .batch("dev-donor-1", vec![item(&uuid(77), &f, 1_500, "tok_ok")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["outcome"], "accepted");
    let (s, again) = api
        .batch("dev-donor-1", vec![item(&uuid(77), &f, 1_500, "tok_ok")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["results"][0]["outcome"], "accepted");
    assert_eq!(again["results"][0]["duplicate"], true);
    assert_eq!(api.total(&f).await, (1_500, 1));
    assert_eq!(api.server.charges_for(&uuid(77)).await, 1);
}
