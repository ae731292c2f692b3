//! The authorization model of docs/authorization.md as a test: every operation of
//! server/openapi.yaml (the router's `ROUTES`) x every role x every state of the fundraiser
//! it concerns, each cell with its expected status and code, on SQLite and (with
//! `FUNDKIT_TEST_POSTGRES`) on PostgreSQL. An operation without rows fails the test.
//!
//! Each (operation, state) gets a fresh server and fundraiser, so that a cell that changes
//! something (the organiser ends it) cannot move the next cell's state; roles run in the
//! order of `ROLES`.

mod support;

use fundkit_server::{Database, ServerOptions, ROUTES};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    /// Gave to the fundraiser while it ran (`dev-donor-1`).
    Donor,
    AnotherDonor,
    Organiser,
    AnotherOrganiser,
    Reviewer,
    Minor,
}
use Role::*;

const ROLES: [Role; 7] = [
    Anonymous,
    Donor,
    AnotherDonor,
    Organiser,
    AnotherOrganiser,
    Reviewer,
    Minor,
];

impl Role {
    fn token(self) -> Option<&'static str> {
        match self {
            Anonymous => None,
            Donor => Some("dev-donor-1"),
            AnotherDonor => Some("dev-donor-2"),
            Organiser => Some("dev-organiser"),
            AnotherOrganiser => Some("dev-organiser-gb"),
            Reviewer => Some("dev-reviewer"),
            Minor => Some("dev-minor"),
        }
    }

    /// A fundraiser draft in the role's own country.
    fn draft(self) -> Value {
        match self {
            AnotherDonor => draft("IE", "EUR"),
            AnotherOrganiser => draft("GB", "GBP"),
            _ => draft("US", "USD"),
        }
    }

    /// The position of the role's own needs_action donation (`World::challenges`).
    fn slot(self) -> usize {
        ROLES.iter().position(|r| *r == self).unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InReview,
    Active,
    Ended,
    Removed,
}
use State::*;

const STATES: [State; 4] = [InReview, Active, Ended, Removed];

/// One cell's expectation: the status, and the error code (for a refusal) or what the
/// answer shows (for a success: see `shown`).
type Expect = (u16, &'static str);

/// The model, operation by operation: docs/authorization.md in code.
fn expect(op: (&str, &str), role: Role, state: State) -> Expect {
    const UNAUTHORIZED: Expect = (401, "unauthorized");
    const NOT_FOUND: Expect = (404, "not_found");
    // Who may see the fundraiser as a page: everyone while public (active, ended); its
    // organiser and reviewers always.
    let public = matches!(state, Active | Ended);
    // The public web: the platforms' app-link files, and a share link's page for a browser
    // without the app (no token: the same answer for everyone).
    match op.1 {
        "/.well-known/assetlinks.json" | "/.well-known/apple-app-site-association" => {
            return (200, "")
        }
        "/f/{id}" if public => return (200, "page"),
        "/f/{id}" => return (404, "not_available"),
        _ => {}
    }
    if role == Anonymous && op.1 != "/v1/bank/{challenge}" {
        return UNAUTHORIZED;
    }
    let privileged = matches!(role, Organiser | Reviewer);
    let sees = public || privileged;
    match op {
        ("get", "/v1/config") => (200, ""),
        ("post", "/v1/fundraisers") => match (role, state) {
            (Minor, _) => (403, "unavailable"),
            // One running (or waiting) fundraiser per organiser.
            (Organiser, InReview | Active) => (409, "active_fundraiser_limit"),
            _ => (201, ""),
        },
        ("get", "/v1/fundraisers/changes") => match (state, privileged) {
            (InReview, false) => (200, "unlisted"),
            (Removed, false) => (200, "tombstone"),
            _ => (200, "listed"),
        },
        ("get", "/v1/fundraisers/{id}") if sees => (200, ""),
        ("get", "/v1/fundraisers/{id}") => NOT_FOUND,
        ("get", "/v1/fundraisers/{id}/donations") if sees => (200, ""),
        ("get", "/v1/fundraisers/{id}/donations") => NOT_FOUND,
        // The organiser's own actions; to anyone else the fundraiser is not theirs to
        // find (404, as an unknown id).
        ("patch", "/v1/fundraisers/{id}") => match (role, state) {
            (Organiser, InReview) => (200, "changed"),
            (Organiser, Active) => (200, "pending"),
            (Organiser, Ended) => (422, "ended"),
            (Organiser, Removed) => (422, "not_active"),
            _ => NOT_FOUND,
        },
        ("post", "/v1/fundraisers/{id}/extend") | ("post", "/v1/fundraisers/{id}/end") => {
            match (role, state) {
                (Organiser, Active) => (200, ""),
                (Organiser, Ended) => (422, "ended"),
                (Organiser, InReview | Removed) => (422, "not_active"),
                _ => NOT_FOUND,
            }
        }
        ("get", "/v1/fundraisers/{id}/donors") => match role {
            Organiser => (200, ""),
            _ => NOT_FOUND,
        },
        // The charity's Gift Aid export: its organiser only (this one is a US personal
        // cause, which takes no Gift Aid; tests/giving.rs has the export itself).
        ("get", "/v1/fundraisers/{id}/gift-aid.csv") => match role {
            Organiser => (409, "gift_aid_not_available"),
            _ => NOT_FOUND,
        },
        ("get", "/v1/review/fundraisers") => match (role, state) {
            (Reviewer, InReview) => (200, "listed"),
            (Reviewer, _) => (200, "unlisted"),
            _ => (403, "not_a_reviewer"),
        },
        ("post", "/v1/review/fundraisers/{id}") => match (role, state) {
            (Reviewer, InReview) => (200, ""),
            (Reviewer, _) => (409, "not_reviewable"),
            _ => (403, "not_a_reviewer"),
        },
        ("get", "/v1/me/donations") | ("get", "/v1/me/donations/changes") => match (role, state) {
            (Donor, Active | Ended | Removed) => (200, "mine"),
            _ => (200, "none"),
        },
        // A new donation from each role to the fundraiser (an age limit is for
        // organisers only: docs/design.md §2).
        ("post", "/v1/donations/batch") => match (role, state) {
            (_, Active) => (200, "accepted"),
            (_, InReview) => (200, "fundraiser_not_found"),
            (_, Ended) => (200, "fundraiser_ended"),
            (_, Removed) => (200, "fundraiser_not_active"),
        },
        // Each role reconciles the donor's donation id: only its donor learns its outcome.
        ("post", "/v1/donations/reconcile") => match (role, state) {
            (Donor, InReview) => (200, "never_received"),
            (Donor, _) => (200, "accepted"),
            _ => (200, "id_in_use"),
        },
        // The bank page needs no bearer token: the challenge in the address is the secret.
        ("post", "/v1/bank/{challenge}") => match state {
            InReview => NOT_FOUND,
            Active | Ended => (200, "accepted"),
            Removed => (200, "rejected"),
        },
        other => panic!("no rows for {other:?}: add the operation to the model"),
    }
}

/// A server with one fundraiser brought to `state`. While it ran, the donor gave once
/// (`paid`) and started one bank step per role (`challenges`, by `Role::slot`).
struct World {
    api: Api,
    f: String,
    paid: String,
    challenges: Vec<String>,
}

async fn world(state: State) -> World {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await;
    let (status, f) = api.create("dev-organiser", "k0", draft("US", "USD")).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let f = f["id"].as_str().unwrap().to_owned();
    let paid = uuid(900);
    let mut challenges = vec!["0".repeat(32); ROLES.len()];
    if state != InReview {
        let (s, body) = review(&api, &f, json!({"decision": "approve"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let mut items = vec![item(&paid, &f, 1_000, "tok_ok")];
        for k in 0..ROLES.len() {
            items.push(item(&uuid(901 + k as u32), &f, 500, "tok_needs_action"));
        }
        let (_, body) = api.batch("dev-donor-1", items).await;
        for (k, challenge) in challenges.iter_mut().enumerate() {
            let url = body["results"][k + 1]["action_url"].as_str().unwrap();
            *challenge = url.rsplit('/').next().unwrap().to_owned();
        }
    }
    match state {
        Ended => {
            let (s, body) = api
                .call(
                    Method::POST,
                    &format!("/v1/fundraisers/{f}/end"),
                    "dev-organiser",
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        Removed => {
            let (s, body) = review(
                &api,
                &f,
                json!({"decision": "remove", "reason": "Misleading"}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        _ => {}
    }
    World {
        api,
        f,
        paid,
        challenges,
    }
}

async fn review(api: &Api, f: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &format!("/v1/review/fundraisers/{f}"),
        "dev-reviewer",
        Some(body),
    )
    .await
}

/// Sends `op` as `role` would, in `w`.
async fn send(w: &World, op: (&str, &str), role: Role) -> (StatusCode, Value) {
    let f = &w.f;
    let n = 100 + role.slot() as u32;
    let (method, path, body): (Method, String, Option<Value>) = match op {
        ("get", p) => (Method::GET, p.replace("{id}", f), None),
        ("post", "/v1/fundraisers") => (Method::POST, "/v1/fundraisers".into(), Some(role.draft())),
        ("patch", p) => (
            Method::PATCH,
            p.replace("{id}", f),
            Some(json!({"title": "A new title"})),
        ),
        ("post", "/v1/fundraisers/{id}/extend") => (
            Method::POST,
            format!("/v1/fundraisers/{f}/extend"),
            Some(json!({"days": 30})),
        ),
        ("post", "/v1/review/fundraisers/{id}") => (
            Method::POST,
            format!("/v1/review/fundraisers/{f}"),
            Some(json!({"decision": "approve"})),
        ),
        ("post", "/v1/donations/batch") => (
            Method::POST,
            "/v1/donations/batch".into(),
            Some(json!({"donations": [item(&uuid(n), f, 700, "tok_ok")]})),
        ),
        ("post", "/v1/donations/reconcile") => (
            Method::POST,
            "/v1/donations/reconcile".into(),
            Some(json!({"ids": [w.paid]})),
        ),
        ("post", "/v1/bank/{challenge}") => (
            Method::POST,
            format!("/v1/bank/{}", w.challenges[role.slot()]),
            Some(json!({"result": "complete"})),
        ),
        ("post", p) => (Method::POST, p.replace("{id}", f), None),
        other => panic!("no request for {other:?}"),
    };
    let mut req = w.api.http.request(method, w.api.url(&path));
    if let Some(token) = role.token() {
        req = req.bearer_auth(token);
    }
    if path == "/v1/fundraisers" {
        req = req.header("Idempotency-Key", format!("key-{n}"));
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    if path.starts_with("/f/") {
        // The one answer for browsers, in HTML: what it says, in the model's words.
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let said = if text.contains("not available") {
            json!({"error": {"code": "not_available"}})
        } else {
            json!({"page": text})
        };
        return (status, said);
    }
    read(resp).await
}

/// What a successful answer shows, in the model's words.
fn shown(op: (&str, &str), w: &World, body: &Value) -> String {
    let listed = |list: &Value| match list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(w.f))
    {
        None => "unlisted",
        Some(x) if x["title"] == "" => "tombstone",
        Some(_) => "listed",
    };
    let item = |body: &Value| {
        let r = &body["results"][0];
        match r["outcome"].as_str().unwrap() {
            "accepted" => "accepted".to_owned(),
            _ => r["code"].as_str().unwrap_or("").to_owned(),
        }
    };
    match op {
        ("get", "/v1/fundraisers/changes") => listed(&body["fundraisers"]).into(),
        ("get", "/v1/review/fundraisers") => listed(body).into(),
        ("patch", _) if body["pending_edit"].is_object() => "pending".into(),
        ("patch", _) if body["title"] == "A new title" => "changed".into(),
        ("get", "/v1/me/donations") | ("get", "/v1/me/donations/changes") => {
            let list = body.get("donations").unwrap_or(body);
            let mine = list
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == json!(w.paid));
            if mine { "mine" } else { "none" }.into()
        }
        ("post", "/v1/donations/batch") | ("post", "/v1/donations/reconcile") => item(body),
        ("post", "/v1/bank/{challenge}") => body["outcome"].as_str().unwrap().into(),
        ("get", "/f/{id}") if body["page"].as_str().is_some_and(|p| p.contains("<h1>")) => {
            "page".into()
        }
        _ => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_by_every_role_in_every_state() {
    let mut cells = 0;
    let mut wrong = Vec::new();
    for &(method, path) in ROUTES {
        for state in STATES {
            let w = world(state).await;
            for role in ROLES {
                let (want_status, want) = expect((method, path), role, state);
                let (status, body) = send(&w, (method, path), role).await;
                let got = if status.is_success() {
                    shown((method, path), &w, &body)
                } else {
                    let issue = &body["error"]["issues"][0]["code"];
                    issue
                        .as_str()
                        .or(body["error"]["code"].as_str())
                        .unwrap_or("?")
                        .to_owned()
                };
                cells += 1;
                if (status.as_u16(), got.as_str()) != (want_status, want) {
                    wrong.push(format!(
                        "{method} {path} as {role:?} when {state:?}: got {} {got:?}, want {want_status} {want:?}: {body}",
                        status.as_u16()
                    ));
                }
            }
            // No cell may create money: every total is what the ledger charged.
            assert_eq!(
                w.api.server.ledger_mismatches().await,
                vec![],
                "{method} {path} {state:?}"
            );
        }
    }
    println!(
        "authorization: {cells} cells ({} operations x {} roles x {} states)",
        ROUTES.len(),
        ROLES.len(),
        STATES.len()
    );
    assert!(
        wrong.is_empty(),
        "{} cells differ from the model:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
