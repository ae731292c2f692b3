//! The sync engine against servers that misbehave in ways the reference server never
//! does (issue 24): a redirect, an answer that contradicts itself. Each server is a stub
//! (`fundkit_e2e::stub`).

use fundkit::{DonationState, SyncProblem};
use fundkit_e2e::stub::{accept_all, basics, Request, Response, Stub};
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
