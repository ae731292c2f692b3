//! The core against the real reference server on loopback. No mocks: faults come from a
//! real TCP proxy, restarts from a real server on a real SQLite file.

use std::time::Duration;

use fundkit::{DonationState, FundkitError};
use fundkit_e2e::proxy::{Fault, Proxy};
use fundkit_e2e::*;

/// A server whose config lets one device hold `cap` pending donations (the launch cap is 50).
async fn server_with_queue_cap(database: Database, cap: u32) -> RunningServer {
    let mut options = ServerOptions {
        database,
        auto_approve: true,
        ..ServerOptions::default()
    };
    options.config.limits.offline_max_count = cap;
    fundkit_server::start(options).await.unwrap()
}

fn raw_token(device: &Device, id: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(device.db_path()).unwrap();
    conn.query_row(
        "SELECT payment_token FROM donations WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_totals_agree() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let ids: Vec<_> = [2_500, 10_000, 1_550]
        .iter()
        .map(|c| donor.donate(&f, *c, "tok_ok").id)
        .collect();
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (
            report.sent,
            report.confirmed,
            report.remaining,
            report.error
        ),
        (3, 3, 0, None)
    );
    for id in &ids {
        let d = donor.client.donation(id.clone()).unwrap().unwrap();
        assert_eq!(d.state, DonationState::Confirmed);
        assert!(
            d.received_at_ms.is_some(),
            "the server's receipt time is recorded"
        );
        assert_eq!(
            raw_token(&donor, id),
            None,
            "token erased once the server answered"
        );
    }
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, 14_050);
    assert_eq!(on_server.fundraiser.donation_count, 3);
    assert_eq!(
        on_server.displayed_total,
        on_server.fundraiser.confirmed_total
    );
    assert_eq!(on_server.pending_count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payment_outcome() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let cases = [
        ("tok_ok", DonationState::Confirmed, None),
        ("tok_declined", DonationState::Rejected, Some("declined")),
        (
            "tok_needs_action",
            DonationState::NeedsAction,
            Some("authentication_required"),
        ),
        (
            "tok_expired",
            DonationState::Rejected,
            Some("payment_expired"),
        ),
        (
            "tok_bogus",
            DonationState::Rejected,
            Some("invalid_payment_token"),
        ),
    ];
    let ids: Vec<_> = cases
        .iter()
        .map(|(tok, _, _)| donor.donate(&f, 1_000, tok).id)
        .collect();
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (report.confirmed, report.rejected, report.needs_action),
        (1, 3, 1)
    );
    for (id, (tok, state, reason)) in ids.iter().zip(cases) {
        let d = donor.client.donation(id.clone()).unwrap().unwrap();
        assert_eq!((d.state, d.reason.as_deref()), (state, reason), "{tok}");
        assert_eq!(raw_token(&donor, id), None, "{tok}: token erased");
        assert_eq!(
            d.action_url.is_some(),
            state == DonationState::NeedsAction,
            "{tok}: action url"
        );
    }
    let view = donor
        .client
        .fundraiser(f.fundraiser.id.clone())
        .unwrap()
        .unwrap();
    assert_eq!(view.fundraiser.confirmed_total.minor_units, 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_resent_and_counted_once() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    let ids: Vec<_> = (0..3)
        .map(|_| donor.donate(&f, 2_000, "tok_ok").id)
        .collect();
    proxy.push(Some("/v1/donations/batch"), [Fault::DropResponse]);
    let first = donor.client.sync_now().await.unwrap();
    assert!(first.error.is_some());
    assert_eq!(first.requeued, 3);
    for id in &ids {
        assert_eq!(
            donor.client.donation(id.clone()).unwrap().unwrap().state,
            DonationState::Queued
        );
    }
    let second = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (second.sent, second.confirmed, second.duplicates),
        (3, 3, 3)
    );
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(
        on_server.fundraiser.confirmed_total.minor_units, 6_000,
        "charged once"
    );
    assert_eq!(on_server.fundraiser.donation_count, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_answer_is_resent_and_counted_once() {
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    donor.donate(&f, 2_000, "tok_ok");
    proxy.push(Some("/v1/donations/batch"), [Fault::CutResponse]);
    assert!(donor.client.sync_now().await.unwrap().error.is_some());
    let again = donor.client.sync_now().await.unwrap();
    assert_eq!((again.confirmed, again.duplicates), (1, 1));
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, 2_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_mid_sync_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_queue_cap(
        Database::durable_for_test(dir.path().join("server.db")),
        1_000,
    )
    .await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let mut donor = donor(&proxy.url(), "dev-donor-1", &f).await;
    donor.client.sync_now().await.unwrap(); // picks up the server's queue cap
                                            // 150 donations: two batches. The second waits in the proxy while the server stops.
    for _ in 0..150 {
        donor.donate(&f, 100, "tok_ok");
    }
    proxy.push(
        Some("/v1/donations/batch"),
        [Fault::Pass, Fault::Delay(Duration::from_millis(600))],
    );
    let client = donor.client.clone();
    let pass = tokio::spawn(async move { client.sync_now().await });
    tokio::time::sleep(Duration::from_millis(250)).await;
    server.shutdown().await;
    let report = pass.await.unwrap().unwrap();
    assert_eq!(report.confirmed, 100);
    assert!(report.error.is_some());
    assert_eq!(report.remaining, 50);
    // The app restarts too, then the server comes back on the same file.
    donor.restart();
    let server = server_with_queue_cap(
        Database::durable_for_test(dir.path().join("server.db")),
        1_000,
    )
    .await;
    proxy.set_upstream(server.addr());
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (report.confirmed, report.remaining, report.error),
        (50, 0, None)
    );
    let on_server = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    assert_eq!(on_server.fundraiser.donation_count, 150);
    assert_eq!(on_server.fundraiser.confirmed_total.minor_units, 15_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_for_429_and_503() {
    for code in [429u16, 503] {
        let server = server().await;
        let proxy = Proxy::start(server.addr()).await;
        let f = fundraiser(&server.url()).await;
        let donor = donor(&proxy.url(), "dev-donor-1", &f).await;
        donor.donate(&f, 1_000, "tok_ok");
        proxy.push(
            Some("/v1/donations/batch"),
            [Fault::Status {
                code,
                retry_after: Some(7),
            }],
        );
        let before = donor.clock.0.load(std::sync::atomic::Ordering::SeqCst);
        let report = donor.client.sync_now().await.unwrap();
        assert!(
            matches!(&report.error, Some(fundkit::SyncProblem::Offline { detail }) if detail.contains(&code.to_string())),
            "{report:?}"
        );
        assert_eq!((report.requeued, report.remaining), (1, 1));
        let state = donor.client.sync_state();
        assert_eq!(state.consecutive_failures, 1);
        assert_eq!(
            state.next_attempt_at_ms.map(|at| at - before),
            Some(7_000),
            "{code}: Retry-After honoured"
        );
        let report = donor.client.sync_now().await.unwrap();
        assert_eq!((report.confirmed, report.error), (1, None), "{code}");
        assert_eq!(donor.client.sync_state().consecutive_failures, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_offline_donations_are_never_sent() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.set_online(false);
    let d = donor.donate(&f, 1_000, "tok_ok");
    donor.clock.advance_hours(25);
    donor.client.set_online(true);
    let before = server.stats();
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!((report.expired, report.sent), (1, 0));
    assert_eq!(
        donor.client.donation(d.id).unwrap().unwrap().state,
        DonationState::Expired
    );
    assert_eq!(
        server.stats().donation_items_received,
        before.donation_items_received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_donation_does_not_hold_back_the_rest() {
    let server = server_with_queue_cap(Database::for_test(), 1_000).await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.sync_now().await.unwrap(); // picks up the server's queue cap
    let declined = donor.donate(&f, 1_000, "tok_declined");
    let mut later = Vec::new();
    for _ in 0..120 {
        later.push(donor.donate(&f, 100, "tok_ok").id);
    }
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        (report.rejected, report.confirmed, report.remaining),
        (1, 120, 0)
    );
    assert_eq!(
        donor.client.donation(declined.id).unwrap().unwrap().state,
        DonationState::Rejected
    );
    for id in later {
        assert_eq!(
            donor.client.donation(id).unwrap().unwrap().state,
            DonationState::Confirmed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_of_one_donor() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let phone = donor(&server.url(), "dev-donor-1", &f).await;
    let tablet = donor(&server.url(), "dev-donor-1", &f).await;
    phone.donate(&f, 1_000, "tok_ok");
    tablet.donate(&f, 2_000, "tok_ok");
    assert_eq!(phone.client.sync_now().await.unwrap().confirmed, 1);
    assert_eq!(tablet.client.sync_now().await.unwrap().confirmed, 1);
    // Each device sees the other's donation in the server's total after the next pull.
    phone.client.sync_now().await.unwrap();
    let view = phone
        .client
        .fundraiser(f.fundraiser.id.clone())
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            view.fundraiser.confirmed_total.minor_units,
            view.fundraiser.donation_count
        ),
        (3_000, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_sync_after_success_sends_nothing() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    for _ in 0..5 {
        donor.donate(&f, 500, "tok_ok");
    }
    assert_eq!(donor.client.sync_now().await.unwrap().confirmed, 5);
    let before = server.stats();
    let again = donor.client.sync_now().await.unwrap();
    let after = server.stats();
    assert_eq!(again.sent, 0);
    assert_eq!(
        after.batch_requests, before.batch_requests,
        "no batch request at all"
    );
    assert_eq!(
        after.donation_items_received,
        before.donation_items_received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsing_cached_fundraisers_with_the_server_down() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.sync_now().await.unwrap();
    server.shutdown().await;
    let report = donor.client.sync_now().await.unwrap();
    assert!(report.error.is_some());
    let list = donor.client.fundraisers(50, 0).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].fundraiser.title, "Community garden");
    assert!(
        list[0].fetched_at_ms > 0,
        "the screen can say how old the copy is"
    );
    // Donating still works: it is queued and shows as pending.
    donor.client.set_online(false);
    donor.donate(&f, 1_000, "tok_ok");
    let view = donor
        .client
        .fundraiser(f.fundraiser.id.clone())
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.pending_count, view.pending_total.minor_units),
        (1, 1_000)
    );
    assert!(matches!(
        donor
            .client
            .refresh_fundraiser(f.fundraiser.id.clone())
            .await,
        Err(FundkitError::Network { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_feed_pages_and_then_brings_only_changes() {
    let mut options = ServerOptions {
        database: Database::for_test(),
        auto_approve: true,
        ..ServerOptions::default()
    };
    options.config.limits.max_active_fundraisers_per_organiser = 10_000;
    let server = fundkit_server::start(options).await.unwrap();
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    let mut first = None;
    for i in 0..520 {
        let v = organiser
            .client
            .create_fundraiser(draft(&format!("Fundraiser {i}")))
            .await
            .unwrap();
        first.get_or_insert(v);
    }
    let first = first.unwrap();
    let donor = Device::new(&server.url(), "dev-donor-1", "US");
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.fundraisers_updated, 520, "two pages of at most 500");
    assert_eq!(donor.client.fundraisers(1000, 0).unwrap().len(), 520);
    donor.donate(&first, 1_000, "tok_ok");
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(
        report.fundraisers_updated, 1,
        "only the fundraiser that changed"
    );
    let view = donor
        .client
        .fundraiser(first.fundraiser.id.clone())
        .unwrap()
        .unwrap();
    assert_eq!(view.fundraiser.confirmed_total.minor_units, 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_refreshed_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    struct Rotating(AtomicU32, bool);
    impl fundkit::AuthProvider for Rotating {
        fn access_token(&self, force_refresh: bool) -> Option<String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Some(if force_refresh && self.1 {
                "dev-donor-1".into()
            } else {
                "expired-token".into()
            })
        }
    }
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    for refresh_works in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let auth = Arc::new(Rotating(AtomicU32::new(0), refresh_works));
        let config = client_config(&dir.path().join("a.db"), &server.url(), "US");
        let client = fundkit::FundkitClient::new(config, auth.clone()).unwrap();
        let result = client.refresh_fundraiser(f.fundraiser.id.clone()).await;
        assert_eq!(
            auth.0.load(Ordering::SeqCst),
            2,
            "asked once, then once more with force_refresh"
        );
        if refresh_works {
            assert!(result.is_ok());
        } else {
            assert!(
                matches!(result, Err(FundkitError::Unauthorized { .. })),
                "{result:?}"
            );
        }
    }
}

/// An app can tell "signed out" from "offline" from "the server refused" without reading
/// strings: the pass reports a typed problem, and the sync state keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_problems_are_typed() {
    use fundkit::SyncProblem;
    let server = server().await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let signed_out = Device::new(&proxy.url(), "not-a-token", "US");
    let report = signed_out.client.sync_now().await.unwrap();
    assert!(
        matches!(report.error, Some(SyncProblem::SignedOut { .. })),
        "{report:?}"
    );
    assert!(matches!(
        signed_out.client.sync_state().last_error,
        Some(SyncProblem::SignedOut { .. })
    ));
    let device = donor(&proxy.url(), "dev-donor-1", &f).await;
    proxy.push(None, [Fault::DropRequest]);
    let report = device.client.sync_now().await.unwrap();
    assert!(
        matches!(report.error, Some(SyncProblem::Offline { .. })),
        "{report:?}"
    );
    proxy.push(
        Some("/v1/config"),
        [Fault::Status {
            code: 404,
            retry_after: None,
        }],
    );
    let report = device.client.sync_now().await.unwrap();
    assert!(
        matches!(
            report.error,
            Some(SyncProblem::ServerRefused { status: 404, .. })
        ),
        "{report:?}"
    );
    let report = device.client.sync_now().await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!(device.client.sync_state().last_error, None);
}
