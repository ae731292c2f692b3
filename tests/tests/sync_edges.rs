//! The sync engine against servers that misbehave in ways the reference server never
//! does (issue 24): a redirect, an answer that contradicts itself, a feed without end, a
//! value from a newer server. Each server is a stub (`fundkit_e2e::stub`).

use std::time::Duration;

use fundkit::{DonationState, SyncProblem};
use fundkit_e2e::stub::{accept_all, basics, fundraiser_json, Request, Response, Stub};
use fundkit_e2e::Device;
use serde_json::json;

/// A donor device on `stub` with the stub's fundraiser cached.
async fn donor_on(stub: &Stub) -> (Device, fundkit::FundraiserView) {
    let device = Device::new(&stub.url(), "dev-donor-1", "US");
    let f = device
        .client
        .refresh_fundraiser("fr_stub".into())
        .await
        .expect("the stub's fundraiser");
    (device, f)
}

fn or_not_found(req: &Request) -> Response {
    basics(req).unwrap_or_else(Response::not_found)
}

/// A 3xx from the API sends nothing anywhere else: the batch (tokens and messages) is
/// never re-posted to the redirect's target, that target's `accepted` is never believed,
/// and the pass ends with a typed failure; the donation waits for the next pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_never_carries_the_batch_elsewhere_nor_is_believed() {
    for (status, everything) in [
        (307u16, false),
        (308, false),
        (302, false),
        (301, false),
        (307, true),
    ] {
        // Another origin that would accept anything, and counts what reaches it.
        let elsewhere = Stub::start(|req| match req.path.as_str() {
            "/v1/donations/batch" | "/v1/donations/reconcile" => accept_all(req),
            _ => or_not_found(req),
        })
        .await;
        let target = elsewhere.url();
        let api = Stub::start(move |req| {
            let redirected = everything && req.path != "/v1/fundraisers/fr_stub";
            if redirected || req.path == "/v1/donations/batch" {
                let location = format!("{}{}", target, req.path.trim_start_matches('/'));
                return Response::redirect(status, location);
            }
            or_not_found(req)
        })
        .await;
        let (donor, f) = donor_on(&api).await;
        let d = donor.donate(&f, 1_000, "tok_ok_REDIRECT_ME");
        let report = donor.client.sync_now().await.unwrap();

        let case = format!("{status}, everything redirected: {everything}");
        assert!(
            elsewhere.requests().is_empty(),
            "{case}: the other origin was asked {:?}",
            elsewhere.requests()
        );
        assert!(
            matches!(
                &report.error,
                Some(SyncProblem::ServerRefused { status: s, code, .. })
                    if *s == status && code == "redirect_not_followed"
            ),
            "{case}: {:?}",
            report.error
        );
        assert_eq!(report.confirmed, 0, "{case}");
        let now = donor.client.donation(d.id.clone()).unwrap().unwrap();
        assert_eq!(now.state, DonationState::Queued, "{case}: waits in line");
        assert_eq!(donor.client.sync_state().last_error, report.error, "{case}");
    }
}

/// Two opposite outcomes for one donation in one answer (rejected, then accepted) are no
/// answer: the server is asked to reconcile it, and its outcome is the one kept. Before,
/// the first outcome silently won.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contradictory_answer_is_reconciled_not_taken_at_its_first_word() {
    let api = Stub::start(|req| match req.path.as_str() {
        "/v1/donations/batch" => {
            let ids: Vec<_> = req.json()["donations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].clone())
                .collect();
            let answer = |id: &serde_json::Value, outcome: &str| {
                json!({"id": id, "outcome": outcome, "duplicate": false,
                       "code": if outcome == "rejected" { json!("declined") } else { json!(null) },
                       "action_url": null, "received_at_ms": 1})
            };
            let mut results: Vec<_> = ids.iter().map(|id| answer(id, "rejected")).collect();
            results.extend(ids.iter().map(|id| answer(id, "accepted")));
            Response::json(json!({ "results": results }))
        }
        "/v1/donations/reconcile" => accept_all(req),
        _ => or_not_found(req),
    })
    .await;
    let (donor, f) = donor_on(&api).await;
    let d = donor.donate(&f, 1_000, "tok_ok");
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!((report.confirmed, report.rejected), (1, 0));
    assert_eq!(api.hits("/v1/donations/reconcile"), 1);
    let now = donor.client.donation(d.id.clone()).unwrap().unwrap();
    assert_eq!(now.state, DonationState::Confirmed);
    let causes: Vec<String> = donor
        .client
        .donation_history(&d.id)
        .unwrap()
        .into_iter()
        .map(|(_, _, cause, _)| cause)
        .collect();
    assert_eq!(causes, ["donate", "sync_pass", "reconciled"]);
}

/// A feed that answers `has_more` for ever (new cursors every page, or cursors that go
/// round in a circle) no longer keeps the pass, the pass lock and the queue busy for as
/// long as the server answers: the pass ends with a typed problem, the other feeds are
/// still pulled, and the next pass can run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_feed_ends_the_pass_with_a_typed_problem() {
    let api = Stub::start(|req| {
        let since = req.param("since").unwrap_or_default();
        match req.path.as_str() {
            // New cursors every page.
            "/v1/fundraisers/changes" => {
                let n: u64 = since.trim_start_matches('n').parse().unwrap_or(0);
                Response::json(
                    json!({"fundraisers": [], "next_cursor": format!("n{}", n + 1),
                                      "has_more": true}),
                )
            }
            // a -> b -> a -> ...
            "/v1/me/donations/changes" => {
                let next = if since == "a" { "b" } else { "a" };
                Response::json(json!({"donations": [], "next_cursor": next, "has_more": true}))
            }
            "/v1/donations/batch" => accept_all(req),
            _ => or_not_found(req),
        }
    })
    .await;
    let (donor, f) = donor_on(&api).await;
    let d = donor.donate(&f, 1_000, "tok_ok");
    let pass = tokio::time::timeout(Duration::from_secs(30), donor.client.sync_now());
    let report = pass.await.expect("the pass ends").unwrap();
    assert!(
        matches!(&report.error, Some(SyncProblem::FeedUnfinished { feed, .. }) if feed == "fundraisers"),
        "{:?}",
        report.error
    );
    // The push went through before the feeds.
    assert_eq!(report.confirmed, 1);
    assert_eq!(
        donor.client.donation(d.id).unwrap().unwrap().state,
        DonationState::Confirmed
    );
    let pages = api.hits("/v1/fundraisers/changes");
    assert!((2..=100).contains(&pages), "{pages} pages in one pass");
    // The cycling feed was still pulled, and stopped when a cursor came back: "", a, b.
    assert_eq!(api.hits("/v1/me/donations/changes"), 3);
    let state = donor.client.sync_state();
    assert_eq!(state.last_error, report.error);
    assert_eq!(state.consecutive_failures, 1);
    assert!(state.next_attempt_at_ms.is_some(), "retried later");

    // The lock is free: another pass runs, resumes the long feed where it stopped, and
    // ends too.
    let again = tokio::time::timeout(Duration::from_secs(30), donor.client.sync_now());
    let report = again.await.expect("the next pass ends").unwrap();
    assert!(matches!(
        report.error,
        Some(SyncProblem::FeedUnfinished { .. })
    ));
    let resumed = api
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/fundraisers/changes")
        .nth(pages)
        .and_then(|r| r.param("since"));
    assert_eq!(resumed, Some(format!("n{pages}")));
}

/// One entry with a value this build does not know (a donation `refunded`, a new
/// fundraiser category, a donors entry of a new shape) is skipped with a log line; the
/// rest of the page is applied, the feed goes on, and the pass succeeds. Before, each
/// failed every pass with bad_response and blocked its feed for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_from_a_newer_server_in_one_entry_blocks_no_feed() {
    let api = Stub::start(|req| {
        let since = req.param("since").unwrap_or_default();
        let first = since.is_empty();
        let own = |id: &str, state: &str| {
            json!({"id": id, "fundraiser_id": "fr_stub",
                   "amount": {"minor_units": 700, "currency": "USD"}, "message": null,
                   "visibility": "public", "hide_amount": false, "state": state,
                   "code": null, "received_at_ms": 5})
        };
        match req.path.as_str() {
            "/v1/fundraisers/changes" => {
                let mut newer = fundraiser_json("fr_newer", false);
                newer["category"] = json!("climate");
                let list = if first {
                    json!([
                        fundraiser_json("fr_own", true),
                        newer,
                        fundraiser_json("fr_other", false)
                    ])
                } else {
                    json!([])
                };
                Response::json(json!({"fundraisers": list, "next_cursor": "c1", "has_more": false}))
            }
            "/v1/me/donations/changes" => {
                let list = if first {
                    json!([
                        own("0190bbbb-0000-7000-8000-000000000001", "refunded"),
                        own("0190bbbb-0000-7000-8000-000000000002", "confirmed"),
                    ])
                } else {
                    json!([])
                };
                Response::json(json!({"donations": list, "next_cursor": "o1", "has_more": false}))
            }
            "/v1/fundraisers/fr_own/donors" => {
                let list = if first {
                    json!([
                        {"id": "rd_newer", "donor_name": "Ada", "amount": "hidden_by_policy",
                         "message": null, "received_at_ms": 5},
                        {"id": "rd_1", "donor_name": "Grace",
                         "amount": {"minor_units": 900, "currency": "USD"},
                         "message": "hi", "received_at_ms": 6},
                    ])
                } else {
                    json!([])
                };
                Response::json(
                    json!({"donations": list, "next_cursor": "r1", "has_more": false,
                                      "donor_count": 2}),
                )
            }
            _ => or_not_found(req),
        }
    })
    .await;
    let (donor, _) = donor_on(&api).await;
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);

    // Fundraisers feed: the two readable ones are cached, the newer one skipped.
    let c = &donor.client;
    assert!(c.fundraiser("fr_own".into()).unwrap().is_some());
    assert!(c.fundraiser("fr_other".into()).unwrap().is_some());
    assert!(c.fundraiser("fr_newer".into()).unwrap().is_none());
    // Own donations feed: the confirmed one made elsewhere joins the history.
    let other = c
        .donation("0190bbbb-0000-7000-8000-000000000002".into())
        .unwrap()
        .expect("the readable entry was applied");
    assert_eq!(other.state, DonationState::Confirmed);
    assert!(c
        .donation("0190bbbb-0000-7000-8000-000000000001".into())
        .unwrap()
        .is_none());
    assert_eq!(report.own_donations_updated, 1);
    // Donors feed: the readable entry and the count.
    let donors = c.organiser_donations("fr_own".into(), 10, 0).unwrap();
    assert_eq!(
        donors
            .donations
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        ["rd_1"]
    );
    assert_eq!(donors.donor_count, 2);

    // Every feed moved on: the next pass asks from the cursors the pages gave.
    let before = api.requests().len();
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);
    let asked: Vec<(String, Option<String>)> = api.requests()[before..]
        .iter()
        .filter(|r| r.method == "GET" && r.path != "/v1/config")
        .map(|r| (r.path.clone(), r.param("since")))
        .collect();
    assert_eq!(
        asked,
        [
            ("/v1/fundraisers/changes".to_owned(), Some("c1".to_owned())),
            ("/v1/me/donations/changes".to_owned(), Some("o1".to_owned())),
            (
                "/v1/fundraisers/fr_own/donors".to_owned(),
                Some("r1".to_owned())
            ),
        ]
    );
}

/// A one-off answer that is one object (a fundraiser fetched to open its link) with a value
/// this build does not know: that call fails with a typed `bad_response` (the app says
/// "update the app" or "try again", never crashes), nothing of it is cached, and the sync
/// pass, the queue and the other fundraisers go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fundraiser_from_a_newer_server_fails_its_own_fetch_only() {
    let api = Stub::start(|req| match req.path.as_str() {
        "/v1/fundraisers/fr_newer" => {
            let mut newer = fundraiser_json("fr_newer", false);
            newer["state"] = json!("paused");
            Response::json(newer)
        }
        _ => or_not_found(req),
    })
    .await;
    let (donor, _) = donor_on(&api).await;
    let c = &donor.client;
    let err = c
        .refresh_fundraiser("fr_newer".into())
        .await
        .expect_err("an answer this build cannot read");
    assert!(
        matches!(&err, fundkit::FundkitError::Server { status: 200, code, .. } if code == "bad_response"),
        "{err:?}"
    );
    assert!(c.fundraiser("fr_newer".into()).unwrap().is_none());
    assert!(c.fundraiser("fr_stub".into()).unwrap().is_some());
    let report = c.sync_now().await.unwrap();
    assert_eq!(report.error, None);
}

/// The config answer too: a platform this build does not know in a rollout gate is
/// dropped from it, and a config still unreadable (a value of a new shape) keeps the last
/// one. Neither fails the pass; before, each failed every pass with bad_response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_from_a_newer_server_never_fails_the_pass() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let round = Arc::new(AtomicU32::new(0));
    let api = {
        let round = Arc::clone(&round);
        Stub::start(move |req| {
            if req.path != "/v1/config" {
                return or_not_found(req);
            }
            let mut config = serde_json::to_value(fundkit::wire::ServerConfig {
                rollout: Default::default(),
                limits: Default::default(),
                fees: Vec::new(),
                links: None,
            })
            .unwrap();
            match round.load(Ordering::SeqCst) {
                0 => {
                    config["rollout"]["donate"]["platforms"] = json!(["web", "ios", "android"]);
                    config["rollout"]["create"]["platforms"] = json!(["watch"]);
                }
                _ => config["rollout"]["enabled"] = json!("sometimes"),
            }
            Response::json(config)
        })
        .await
    };
    let device = Device::new(&api.url(), "dev-donor-1", "US");
    let report = device.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);
    let config = device.client.server_config();
    assert_eq!(
        config.rollout.donate.platforms,
        [fundkit::Platform::Ios, fundkit::Platform::Android]
    );
    assert!(config.rollout.create.platforms.is_empty());

    round.store(1, Ordering::SeqCst);
    let report = device.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!(
        device.client.server_config(),
        config,
        "the last config is kept"
    );
}
