//! The queue keeps its promise against poison input, odd answers, the bank's step, a second
//! device and an early end: each test is one failure that was reproduced on main, against
//! the real reference server (and the fault proxy where the server itself behaves).

use std::time::Duration;

use fundkit::{DonationState, FundkitError, SyncReport};
use fundkit_e2e::proxy::{Fault, Proxy, Rewrite};
use fundkit_e2e::*;

async fn server_with(options: impl FnOnce(&mut ServerOptions)) -> RunningServer {
    let mut o = ServerOptions {
        database: Database::for_test(),
        auto_approve: true,
        ..ServerOptions::default()
    };
    options(&mut o);
    fundkit_server::start(o).await.unwrap()
}

fn state(device: &Device, id: &str) -> fundkit::Donation {
    device.client.donation(id.into()).unwrap().unwrap()
}

fn history_causes(device: &Device, id: &str) -> Vec<String> {
    device
        .client
        .donation_history(id)
        .unwrap()
        .into_iter()
        .map(|h| h.2)
        .collect()
}

/// Failure 1: one donation the server refuses as a whole request (here: larger than its
/// body limit) no longer wedges the queue. The batch is split until the culprit is alone;
/// only it ends, with the server's reason; the healthy ones behind it are confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_donation_ends_alone_and_the_rest_goes_through() {
    let server = server_with(|o| o.max_body_bytes = 1_300).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let mut healthy = Vec::new();
    for cents in [100, 200] {
        healthy.push(donor.donate(&f, cents, "tok_ok").id);
    }
    // Valid on the device (270 characters), but 1,080 bytes: with the rest of its item it is
    // more than this server takes in one request.
    let mut poison = donation(&f, 300, "tok_ok");
    poison.message = Some("🎉".repeat(270));
    let poison = donor.client.donate(poison).unwrap().id;
    for cents in [400, 500, 600] {
        healthy.push(donor.donate(&f, cents, "tok_ok").id);
    }
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(
        (report.confirmed, report.rejected, report.remaining),
        (5, 1, 0)
    );
    let p = state(&donor, &poison);
    assert_eq!(p.state, DonationState::Rejected);
    assert_eq!(p.reason.as_deref(), Some("payload_too_large"));
    assert_eq!(
        history_causes(&donor, &poison).last().map(String::as_str),
        Some("wedged")
    );
    for id in &healthy {
        assert_eq!(state(&donor, id).state, DonationState::Confirmed);
    }
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, 1_800);
}

/// Failure 2: an answer that leaves a donation out ends the pass (one POST, no tight loop);
/// the next pass sends the rest once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_answer_ends_the_pass_instead_of_spinning() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    let ids: Vec<_> = (1..=3)
        .map(|i| donor.donate(&f, i * 100, "tok_ok").id)
        .collect();
    proxy.push(Some("donations/batch"), [Fault::Rewrite(Rewrite::Partial)]);
    let before = server.stats().batch_requests;
    let report = tokio::time::timeout(Duration::from_secs(20), donor.client.sync_now())
        .await
        .expect("the pass returns")
        .unwrap();
    assert_eq!(
        server.stats().batch_requests - before,
        1,
        "one POST in that pass"
    );
    assert!(report.error.is_some());
    assert_eq!(
        (report.confirmed, report.requeued, report.remaining),
        (2, 1, 1)
    );
    assert_eq!(state(&donor, &ids[2]).state, DonationState::Queued);
    let again = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (again.sent, again.duplicates, again.remaining, again.error),
        (1, 1, 0, None)
    );
    assert_eq!(state(&donor, &ids[2]).state, DonationState::Confirmed);
}

/// A server that never answers for anything (`{"results":[]}`) gets one POST per pass, and
/// after `MAX_TRIES` passes the donation is settled by reconciliation with what the server
/// really holds: it was charged, so it is confirmed, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_reconciled_after_bounded_tries() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    let id = donor.donate(&f, 700, "tok_ok").id;
    let mut passes = 0;
    proxy.push(
        Some("donations/batch"),
        (0..60).map(|_| Fault::Rewrite(Rewrite::Empty)),
    );
    while state(&donor, &id).state != DonationState::Confirmed {
        passes += 1;
        assert!(passes <= 60, "bounded");
        let _ = donor.client.sync_now().await.unwrap();
    }
    let batches = server.stats().batch_requests;
    assert_eq!(
        batches, 50,
        "sent at most once per pass, MAX_TRIES times in all"
    );
    assert_eq!(
        history_causes(&donor, &id).last().map(String::as_str),
        Some("reconciled")
    );
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.donation_count, 1);
}

/// Reordered, repeated and stranger answers settle exactly the donations sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_duplicated_and_unknown_answers_settle_what_was_sent() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    let ok = donor.donate(&f, 100, "tok_ok").id;
    let declined = donor.donate(&f, 200, "tok_declined").id;
    proxy.push(
        Some("donations/batch"),
        [Fault::Rewrite(Rewrite::ReorderDuplicateUnknown)],
    );
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (report.confirmed, report.rejected, report.error),
        (1, 1, None)
    );
    assert_eq!(state(&donor, &ok).state, DonationState::Confirmed);
    assert_eq!(state(&donor, &declined).state, DonationState::Rejected);
}

/// A donation sent, never answered, and past its offline window is settled by asking the
/// server. It never reached the server here (every request was dropped before), so the
/// server voids the id for good: it ends `expired`, and a late resend cannot charge it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_donation_past_its_window_is_voided_exactly_once() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    let id = donor.donate(&f, 900, "tok_ok").id;
    proxy.push(Some("donations/batch"), [Fault::DropRequest]);
    let report = donor.client.sync_now().await.unwrap();
    assert!(report.error.is_some());
    donor.clock.advance_hours(25);
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!((report.expired, report.sent, report.error), (1, 0, None));
    let d = state(&donor, &id);
    assert_eq!(d.state, DonationState::Expired);
    assert_eq!(d.reason.as_deref(), Some("expired_unconfirmed"));
    // The id is void on the server: a resend of the same donation (say, from a restored
    // backup of the phone) is answered `void`, never charged.
    let other = Device::new(&proxy.url(), "dev-donor-1", "US");
    other
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    let mut again = donation(&f, 900, "tok_ok");
    again.id = Some(id.clone());
    other.client.donate(again).unwrap();
    other.client.sync_now().await.unwrap();
    assert_eq!(state(&other, &id).state, DonationState::Expired);
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.donation_count, 0);
}

async fn bank(url: &str, result: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({ "result": result }))
        .send()
        .await
        .unwrap()
        .status()
}

/// Failure 4: `needs_action` is no dead end. The donor completes (or fails) the bank's
/// step on the page behind `action_url`; the next pass moves the donation on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bank_step_completes_or_fails_and_the_device_learns_it() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let completed = donor.donate(&f, 1_000, "tok_needs_action").id;
    let failed = donor.donate(&f, 2_000, "tok_needs_action").id;
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.needs_action, 2);
    let a = state(&donor, &completed);
    assert_eq!(a.state, DonationState::NeedsAction);
    let url = a.action_url.clone().unwrap();
    assert!(
        url.starts_with(&format!("{}/v1/bank/", server.url())),
        "{url}"
    );
    assert_eq!(bank(&url, "complete").await, 200);
    assert_eq!(bank(&url, "complete").await, 200, "idempotent");
    assert_eq!(bank(&url, "fail").await, 409, "the step already ended");
    let b_url = state(&donor, &failed).action_url.unwrap();
    assert_eq!(bank(&b_url, "fail").await, 200);
    donor.client.sync_now().await.unwrap();
    assert_eq!(state(&donor, &completed).state, DonationState::Confirmed);
    let b = state(&donor, &failed);
    assert_eq!(
        (b.state, b.reason.as_deref()),
        (DonationState::Rejected, Some("authentication_failed"))
    );
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, 1_000);
    assert_eq!(
        history_causes(&donor, &completed)
            .last()
            .map(String::as_str),
        Some("bank_step")
    );
}

/// An abandoned bank step fails by itself after the server's timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_bank_step_fails_after_the_timeout() {
    let server = server_with(|o| o.action_timeout = Duration::from_millis(200)).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let id = donor.donate(&f, 1_000, "tok_needs_action").id;
    donor.client.sync_now().await.unwrap();
    // The server's sweeper acts on its own clock; poll the device's view, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while state(&donor, &id).state == DonationState::NeedsAction {
        assert!(std::time::Instant::now() < deadline, "never abandoned");
        tokio::time::sleep(Duration::from_millis(100)).await;
        donor.client.sync_now().await.unwrap();
    }
    let d = state(&donor, &id);
    assert_eq!(
        (d.state, d.reason.as_deref()),
        (DonationState::Rejected, Some("action_abandoned"))
    );
}

/// A second device of the same donor shows the donor's history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_sees_the_donors_history() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let phone = donor(&server.url(), "dev-donor-1", &f).await;
    let a = phone.donate(&f, 1_100, "tok_ok").id;
    let b = phone.donate(&f, 1_200, "tok_declined").id;
    phone.client.sync_now().await.unwrap();
    let tablet = donor(&server.url(), "dev-donor-1", &f).await;
    tablet.client.sync_now().await.unwrap();
    let past = tablet.client.past_donations(None, 50).unwrap();
    let mut seen: Vec<_> = past
        .iter()
        .map(|d| (d.id.clone(), d.state, d.amount.minor_units))
        .collect();
    seen.sort_by(|x, y| x.0.cmp(&y.0));
    let mut want = vec![
        (a, DonationState::Confirmed, 1_100),
        (b, DonationState::Rejected, 1_200),
    ];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(seen, want);
    // Another donor's device sees none of it.
    let stranger = donor(&server.url(), "dev-donor-2", &f).await;
    stranger.client.sync_now().await.unwrap();
    assert!(stranger.client.past_donations(None, 50).unwrap().is_empty());
}

/// Failure 6: a pass that ends early, or well after many batches, leaves no erased token in
/// the file or its WAL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_tokens_do_not_linger_when_a_pass_ends_early() {
    let server = server_with(|o| o.config.limits.offline_max_count = 1_000).await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    donor.donate(&f, 100, "tok_ok_WALCHECK_7731");
    proxy.push(
        Some("fundraisers/changes"),
        [Fault::Status {
            code: 503,
            retry_after: None,
        }],
    );
    let report: SyncReport = donor.client.sync_now().await.unwrap();
    assert_eq!(report.confirmed, 1);
    assert!(report.error.is_some(), "the pass ended early");
    assert_token_gone(&donor, "tok_ok_WALCHECK_7731");
    // A pass that ends well, after answers over several batches, leaves none either.
    donor.client.sync_now().await.unwrap(); // the server's cap, for 150 donations
    for i in 0..150 {
        donor.donate(&f, 100 + i, &format!("tok_ok_WALCHECK_{i:04}"));
    }
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!((report.confirmed, report.error), (150, None));
    for i in [0, 99, 149] {
        assert_token_gone(&donor, &format!("tok_ok_WALCHECK_{i:04}"));
    }
}

fn assert_token_gone(donor: &Device, token: &str) {
    for suffix in ["", "-wal", "-journal"] {
        let bytes =
            std::fs::read(format!("{}{suffix}", donor.db_path().display())).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{token} left in {suffix:?}"
        );
    }
}

/// Failure 3 end to end: a double tap with the sheet's id reaches the server once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_tap_reaches_the_server_once() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let mut r = donation(&f, 2_500, "tok_ok");
    r.id = Some(fundkit::new_donation_id());
    let first = donor.client.donate(r.clone()).unwrap();
    let second = donor.client.donate(r.clone()).unwrap();
    assert_eq!(first.id, second.id);
    donor.client.sync_now().await.unwrap();
    assert_eq!(
        donor.client.donate(r).unwrap().state,
        DonationState::Confirmed
    );
    donor.client.sync_now().await.unwrap();
    assert_eq!(server.stats().donation_items_received, 1);
    let mut other = donation(&f, 9_999, "tok_ok");
    other.id = Some(first.id.clone());
    assert!(matches!(
        donor.client.donate(other),
        Err(FundkitError::DuplicateDonationId { .. })
    ));
}

/// A device clock that jumps back neither reorders nor expires anything: batches go in the
/// local sequence, and the server's receipt time is the official one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_jumping_back_keeps_the_order_and_expires_nothing() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.set_online(false);
    let first = donor.donate(&f, 100, "tok_ok");
    donor.clock.advance_hours(-48);
    let second = donor.donate(&f, 200, "tok_ok");
    assert!(second.created_at_ms < first.created_at_ms && second.seq > first.seq);
    donor.clock.advance_hours(20);
    donor.client.set_online(true);
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!((report.confirmed, report.expired), (2, 0));
    let a = state(&donor, &first.id).received_at_ms.unwrap();
    let b = state(&donor, &second.id).received_at_ms.unwrap();
    assert!(a <= b, "sent in local order, received in that order");
}

/// The background worker (what production runs) sends a donation made online by itself,
/// retries after the server's Retry-After on its own timer, and holds still while offline
/// until the network comes back. Waits on listener events, never on sleeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_worker_sends_retries_and_resumes_by_itself() {
    use std::sync::mpsc;
    struct Events(std::sync::Mutex<mpsc::Sender<fundkit::Donation>>);
    impl fundkit::FundkitListener for Events {
        fn on_donations_changed(&self, donations: Vec<fundkit::Donation>) {
            let tx = self.0.lock().unwrap();
            for d in donations {
                let _ = tx.send(d);
            }
        }
        fn on_fundraisers_changed(&self, _: Vec<fundkit::FundraiserView>) {}
        fn on_sync_state_changed(&self, _: fundkit::SyncState) {}
    }
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = client_config(&dir.path().join("fundkit.db"), &proxy.url(), "US");
    config.background_sync = true;
    let client = fundkit::FundkitClient::with_clock(
        config,
        std::sync::Arc::new(Token("dev-donor-1".into())),
        ManualClock::system(),
    )
    .unwrap();
    client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    let (tx, rx) = mpsc::channel();
    client.set_listener(Some(std::sync::Arc::new(Events(std::sync::Mutex::new(tx)))));
    let wait_for = |id: &str, want: DonationState| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let d = rx.recv_timeout(left).expect("the worker acted in time");
            if d.id == id && d.state == want {
                return;
            }
        }
    };
    // Online: the worker sends it, though nobody calls sync_now.
    let a = client.donate(donation(&f, 100, "tok_ok")).unwrap();
    tokio::task::block_in_place(|| wait_for(&a.id, DonationState::Confirmed));
    // The server says 503, retry after 1 s: the worker's own timer brings it back.
    proxy.push(
        Some("donations/batch"),
        [Fault::Status {
            code: 503,
            retry_after: Some(1),
        }],
    );
    let b = client.donate(donation(&f, 200, "tok_ok")).unwrap();
    tokio::task::block_in_place(|| wait_for(&b.id, DonationState::Confirmed));
    // Offline it waits; the network coming back starts a pass. (First let the worker's
    // pass in flight end: `sync_now` waits for it, with nothing left to send.)
    client.sync_now().await.unwrap();
    client.set_online(false);
    let c = client.donate(donation(&f, 300, "tok_ok")).unwrap();
    assert_eq!(
        client.donation(c.id.clone()).unwrap().unwrap().state,
        DonationState::Queued
    );
    client.set_online(true);
    tokio::task::block_in_place(|| wait_for(&c.id, DonationState::Confirmed));
    assert_eq!(server.stats().accepted, 3);
}

/// The drain overlaps the network with the disk: while one batch is in flight the next is
/// already claimed. When the pass ends on that batch, the one claimed behind it was never
/// sent: it goes back in line with its attempt taken back (still cancellable, its tries
/// untouched), and the next pass sends everything left exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_claimed_behind_a_failed_one_is_released_unsent() {
    let server = server_with(|o| {
        o.config.limits.offline_max_count = 1_000;
        o.config.limits.offline_max_total_major = 1_000_000;
    })
    .await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    donor.client.sync_now().await.unwrap(); // the server's raised cap
    let ids: Vec<String> = (0..250)
        .map(|i| donor.donate(&f, 100 + i, "tok_ok").id)
        .collect();
    // The first batch goes through; the second never reaches the server.
    proxy.push(Some("donations/batch"), [Fault::Pass, Fault::DropRequest]);
    let report = donor.client.sync_now().await.unwrap();
    assert!(report.error.is_some(), "{report:?}");
    assert_eq!(
        (
            report.sent,
            report.confirmed,
            report.requeued,
            report.remaining
        ),
        (200, 100, 100, 150),
        "two batches sent, the third claimed behind them and released"
    );
    for id in &ids[..100] {
        assert_eq!(state(&donor, id).state, DonationState::Confirmed);
    }
    // Sent once and unanswered: it may be on the server, so it is no longer cancellable.
    assert_eq!(state(&donor, &ids[150]).state, DonationState::Queued);
    assert!(donor.client.cancel_donation(ids[150].clone()).is_err());
    // Claimed but never sent: back in line as if never taken, and still cancellable.
    assert_eq!(
        history_causes(&donor, &ids[249]),
        ["donate", "sync_pass", "not_sent"]
    );
    let cancelled = donor.client.cancel_donation(ids[249].clone()).unwrap();
    assert_eq!(cancelled.state, DonationState::Cancelled);

    let again = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (
            again.sent,
            again.confirmed,
            again.duplicates,
            again.remaining,
            again.error
        ),
        (149, 149, 0, 0, None)
    );
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    let expected: i64 = (0..249).map(|i| 100 + i).sum();
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, expected);
    assert_eq!(
        server.stats().batch_requests,
        3,
        "the first batch, then two in the second pass (the dropped one never arrived)"
    );
}
