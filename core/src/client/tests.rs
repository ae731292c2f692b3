//! The client on a real SQLite file, without a server: the offline queue end to end.
//! (Sync against the real reference server is tested in `tests/`.)

use super::*;
use crate::model::{
    Beneficiary, Category, DonationState, FundraiserKind, FundraiserState, Visibility,
};
use crate::rollout::Platform;
use std::sync::atomic::AtomicI64;
use std::sync::Mutex;

pub(crate) struct TestClock(pub AtomicI64);
impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
impl TestClock {
    fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

struct NoAuth;
impl AuthProvider for NoAuth {
    fn access_token(&self, _force_refresh: bool) -> Option<String> {
        None
    }
}

#[derive(Default)]
struct Recorder {
    donations: Mutex<Vec<Donation>>,
    fundraisers: Mutex<Vec<FundraiserView>>,
    states: Mutex<Vec<SyncState>>,
}
impl FundkitListener for Recorder {
    fn on_donations_changed(&self, donations: Vec<Donation>) {
        self.donations.lock().unwrap().extend(donations);
    }
    fn on_fundraisers_changed(&self, fundraisers: Vec<FundraiserView>) {
        self.fundraisers.lock().unwrap().extend(fundraisers);
    }
    fn on_sync_state_changed(&self, state: SyncState) {
        self.states.lock().unwrap().push(state);
    }
}

const T0: i64 = 1_800_000_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<TestClock>,
    client: Arc<FundkitClient>,
}

fn config(path: &std::path::Path, country: &str) -> ClientConfig {
    ClientConfig {
        database_path: path.to_string_lossy().into_owned(),
        server_url: "http://127.0.0.1:9".into(),
        user: UserContext {
            country: country.into(),
            platform: Platform::Android,
            age_years: Some(30),
        },
        locale: "en-US".into(),
        online: false,
        background_sync: false,
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fundkit.db");
    let clock = Arc::new(TestClock(AtomicI64::new(T0)));
    let client =
        FundkitClient::with_clock(config(&path, "US"), Arc::new(NoAuth), clock.clone()).unwrap();
    client
        .shared
        .store
        .upsert_fundraisers(&[fundraiser("fr_1", "USD", FundraiserState::Active)], T0)
        .unwrap();
    Fixture {
        _dir: dir,
        path,
        clock,
        client,
    }
}

/// An app restart: the client goes (as a kill would take it), then the file is opened
/// again. One client owns a file at a time, so the first must be gone first.
fn restart(f: Fixture) -> Fixture {
    let Fixture {
        _dir,
        path,
        clock,
        client,
    } = f;
    drop(client);
    let client =
        FundkitClient::with_clock(config(&path, "US"), Arc::new(NoAuth), clock.clone()).unwrap();
    Fixture {
        _dir,
        path,
        clock,
        client,
    }
}

pub(crate) fn fundraiser(id: &str, currency: &str, state: FundraiserState) -> Fundraiser {
    Fundraiser {
        id: id.into(),
        organiser_id: "usr_organiser".into(),
        organiser_name: "Olivia Organiser".into(),
        kind: FundraiserKind::PersonalCause {
            beneficiary: Beneficiary::SomeoneElse,
        },
        category: Category::Medical,
        title: "Help Sam walk again".into(),
        story: "Physio after the accident.".into(),
        goal: Money {
            minor_units: 500_000,
            currency: currency.into(),
        },
        country: "US".into(),
        state,
        confirmed_total: Money {
            minor_units: 10_000,
            currency: currency.into(),
        },
        donation_count: 2,
        duration_days: 30,
        created_at_ms: T0,
        ends_at_ms: T0 + 30 * 86_400_000,
        updated_at_ms: T0,
        removal_reason: None,
        viewer_is_organiser: false,
        charity: None,
        organiser_stats: None,
    }
}

fn request(cents: i64) -> DonationRequest {
    DonationRequest {
        fundraiser_id: "fr_1".into(),
        amount: Money {
            minor_units: cents,
            currency: "USD".into(),
        },
        message: Some("Get well soon".into()),
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    }
}

fn raw_token(path: &std::path::Path, id: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT payment_token FROM donations WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn donate_is_on_disk_before_it_returns() {
    let f = fixture();
    let d = f.client.donate(request(2_500)).unwrap();
    assert_eq!(d.state, DonationState::Queued);
    assert_eq!(uuid::Uuid::parse_str(&d.id).unwrap().get_version_num(), 7);
    // A second, independent connection sees the committed row and its token.
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    let (state, amount): (String, i64) = conn
        .query_row(
            "SELECT state, amount_minor FROM donations WHERE id = ?1",
            [&d.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), amount), ("queued", 2_500));
    assert_eq!(raw_token(&f.path, &d.id).as_deref(), Some("tok_ok"));
    let history = f.client.donation_history(&d.id).unwrap();
    assert_eq!(history, vec![(None, "queued".into(), "donate".into(), T0)]);
}

#[test]
fn invalid_donations_are_refused_with_every_issue() {
    let f = fixture();
    let mut bad = request(0);
    bad.amount.currency = "GBP".into();
    bad.payment_token = " ".into();
    match f.client.donate(bad) {
        Err(FundkitError::Validation { issues }) => {
            let codes: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code)).collect();
            assert!(
                codes.contains(&("amount", rules::IssueCode::CurrencyMismatch)),
                "{codes:?}"
            );
            assert!(
                codes.iter().any(|(f, _)| *f == "payment_token"),
                "{codes:?}"
            );
        }
        other => panic!("expected validation error, got {other:?}"),
    }
    let mut unknown = request(100);
    unknown.fundraiser_id = "fr_nope".into();
    assert!(matches!(
        f.client.donate(unknown),
        Err(FundkitError::NotFound { .. })
    ));
    assert!(f.client.pending_donations().unwrap().is_empty());
}

#[test]
fn donations_only_while_active() {
    let f = fixture();
    let code_for = |fundraiser: Fundraiser| {
        f.client
            .shared
            .store
            .upsert_fundraisers(&[fundraiser], T0)
            .unwrap();
        match f.client.donate(request(100)) {
            Err(FundkitError::Validation { issues }) => issues[0].code,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        code_for(fundraiser("fr_1", "USD", FundraiserState::Ended)),
        rules::IssueCode::Ended
    );
    let mut past_its_end = fundraiser("fr_1", "USD", FundraiserState::Active);
    past_its_end.ends_at_ms = T0;
    assert_eq!(
        code_for(past_its_end),
        rules::IssueCode::Ended,
        "its time is up"
    );
    let mut mine_in_review = fundraiser("fr_1", "USD", FundraiserState::InReview);
    mine_in_review.viewer_is_organiser = true;
    assert_eq!(code_for(mine_in_review), rules::IssueCode::NotActive);
    assert!(f.client.pending_donations().unwrap().is_empty());
}

#[test]
fn donating_outside_the_rollout_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let client =
        FundkitClient::new(config(&dir.path().join("x.db"), "FR"), Arc::new(NoAuth)).unwrap();
    assert_eq!(
        client.donate(request(100)).unwrap_err(),
        FundkitError::Unavailable {
            reason: crate::rollout::UnavailableReason::CountryNotLaunched
        }
    );
}

#[test]
fn offline_caps_single_total_and_count() {
    let f = fixture();
    assert_eq!(
        f.client.donate(request(25_001)).unwrap_err(),
        FundkitError::OfflineLimit {
            cap: crate::OfflineCap::SingleAmount
        }
    );
    for _ in 0..4 {
        f.client.donate(request(25_000)).unwrap();
    }
    assert_eq!(
        f.client.donate(request(100)).unwrap_err(),
        FundkitError::OfflineLimit {
            cap: crate::OfflineCap::TotalAmount
        }
    );
    // A cancelled donation frees its share of the cap.
    let first = f.client.pending_donations().unwrap()[0].id.clone();
    f.client.cancel_donation(first).unwrap();
    f.client.donate(request(25_000)).unwrap();

    let g = fixture();
    for _ in 0..50 {
        g.client.donate(request(100)).unwrap();
    }
    assert_eq!(
        g.client.donate(request(100)).unwrap_err(),
        FundkitError::OfflineLimit {
            cap: crate::OfflineCap::Count
        }
    );
}

#[test]
fn online_donations_are_not_held_to_offline_amount_caps() {
    let f = fixture();
    f.client.set_online(true);
    let d = f.client.donate(request(500_000)).unwrap();
    assert_eq!(d.state, DonationState::Queued);
}

#[test]
fn caps_hold_under_concurrent_donors() {
    let f = fixture();
    let ok = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                for _ in 0..10 {
                    match f.client.donate(request(100)) {
                        Ok(_) => {
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(FundkitError::OfflineLimit {
                            cap: crate::OfflineCap::Count,
                        }) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
            });
        }
    });
    assert_eq!(ok.load(Ordering::SeqCst), 50);
    assert_eq!(f.client.pending_donations().unwrap().len(), 50);
}

/// A full disk (SQLITE_FULL): `donate` fails with a typed error and saves nothing; what was
/// queued before is intact and still leaves; once space is back, donating works again.
#[test]
fn a_full_disk_refuses_cleanly_and_harms_nothing_queued() {
    let f = fixture();
    let before: Vec<String> = (0..3)
        .map(|_| f.client.donate(request(100)).unwrap().id)
        .collect();
    let pages: i64 = {
        let conn = f.client.shared.store.conn_for_tests();
        // No free pages left over from the migrations: the file is full to its last page.
        conn.execute_batch("VACUUM").unwrap();
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
            .unwrap();
        pages
    };
    let mut refused = None;
    for _ in 0..40 {
        let mut r = request(100);
        r.message = Some("x".repeat(250));
        match f.client.donate(r) {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    assert_eq!(
        refused,
        Some(FundkitError::StorageFull),
        "the disk filled up"
    );
    let pending = f.client.pending_donations().unwrap();
    for id in &before {
        assert!(pending.iter().any(|d| &d.id == id), "{id} intact");
    }
    let n = pending.len();
    // Space comes back: the queue leaves and new donations are taken.
    {
        let conn = f.client.shared.store.conn_for_tests();
        conn.query_row(
            &format!("PRAGMA max_page_count = {}", pages * 100),
            [],
            |_| Ok(()),
        )
        .unwrap();
    }
    f.client.donate(request(100)).unwrap();
    let batch = f
        .client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    assert_eq!(batch.len(), n + 1);
}

#[test]
fn cancel_only_before_sending_and_token_is_erased() {
    let f = fixture();
    let d = f.client.donate(request(1_000)).unwrap();
    let cancelled = f.client.cancel_donation(d.id.clone()).unwrap();
    assert_eq!(cancelled.state, DonationState::Cancelled);
    assert_eq!(cancelled.reason.as_deref(), Some("cancelled_by_donor"));
    assert_eq!(raw_token(&f.path, &d.id), None);
    assert_eq!(
        f.client.cancel_donation(d.id.clone()).unwrap_err(),
        FundkitError::IllegalTransition {
            state: DonationState::Cancelled,
            action: "cancel".into()
        }
    );
    let sending = f.client.donate(request(1_000)).unwrap();
    f.client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    assert_eq!(
        f.client.cancel_donation(sending.id.clone()).unwrap_err(),
        FundkitError::IllegalTransition {
            state: DonationState::Sending,
            action: "cancel".into()
        }
    );
    assert!(matches!(
        f.client.cancel_donation("nope".into()),
        Err(FundkitError::NotFound { .. })
    ));
    // Sent once and back in line: it may be on the server, so it cannot be cancelled.
    f.client
        .shared
        .store
        .requeue_all_sending("send_failed", T0)
        .unwrap();
    assert_eq!(
        f.client.cancel_donation(sending.id.clone()).unwrap_err(),
        FundkitError::IllegalTransition {
            state: DonationState::Queued,
            action: "cancel (it was already sent once)".into()
        }
    );
}

#[test]
fn unsent_donations_expire_after_24_hours_and_the_listener_hears() {
    let f = fixture();
    let recorder = Arc::new(Recorder::default());
    f.client.set_listener(Some(recorder.clone()));
    let d = f.client.donate(request(1_000)).unwrap();
    f.clock.advance_ms(24 * 3_600_000 - 1);
    assert_eq!(f.client.pending_donations().unwrap().len(), 1);
    f.clock.advance_ms(1);
    assert!(f.client.pending_donations().unwrap().is_empty());
    let expired = f.client.donation(d.id.clone()).unwrap().unwrap();
    assert_eq!(expired.state, DonationState::Expired);
    assert_eq!(expired.reason.as_deref(), Some("expired_offline"));
    assert_eq!(raw_token(&f.path, &d.id), None);
    f.client.flush_listener();
    let heard = recorder.donations.lock().unwrap();
    assert!(heard
        .iter()
        .any(|x| x.id == d.id && x.state == DonationState::Expired));
}

#[test]
fn an_attempted_donation_is_reconciled_not_expired_locally() {
    let f = fixture();
    let d = f.client.donate(request(1_000)).unwrap();
    f.client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    f.client
        .shared
        .store
        .requeue_all_sending("send_failed", T0)
        .unwrap();
    f.clock.advance_ms(48 * 3_600_000);
    // It may be on the server: the device does not expire it on its own...
    let pending = f.client.pending_donations().unwrap();
    assert_eq!(
        pending.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![d.id.clone()]
    );
    // ...the next pass asks the server to settle it instead of resending it.
    let now = f.clock.now_ms();
    let cutoff = queue::expiry_cutoff(now, &Limits::default());
    let store = &f.client.shared.store;
    assert!(
        store
            .claim_batch(100, 1 << 20, 0, now)
            .map(|b| b.len())
            .unwrap()
            == 1
    );
    store.requeue_all_sending("send_failed", now).unwrap();
    let due = store
        .claim_for_reconcile(crate::sync::MAX_TRIES, cutoff, 100, now)
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].donation.id, d.id);
}

#[test]
fn a_donation_tried_too_often_is_reconciled() {
    let f = fixture();
    let d = f.client.donate(request(1_000)).unwrap();
    let store = &f.client.shared.store;
    let cutoff = queue::expiry_cutoff(T0, &Limits::default());
    for _ in 0..crate::sync::MAX_TRIES - 1 {
        assert_eq!(store.claim_batch(100, 1 << 20, 0, T0).unwrap().len(), 1);
        store.requeue_all_sending("send_failed", T0).unwrap();
        assert!(store
            .claim_for_reconcile(crate::sync::MAX_TRIES, cutoff, 100, T0)
            .unwrap()
            .is_empty());
    }
    assert_eq!(store.claim_batch(100, 1 << 20, 0, T0).unwrap().len(), 1);
    store.requeue_all_sending("send_failed", T0).unwrap();
    let due = store
        .claim_for_reconcile(crate::sync::MAX_TRIES, cutoff, 100, T0)
        .unwrap();
    assert_eq!(
        due.iter()
            .map(|o| o.donation.id.clone())
            .collect::<Vec<_>>(),
        vec![d.id]
    );
}

#[test]
fn a_batch_never_exceeds_its_byte_budget_but_always_takes_one() {
    let f = fixture();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let mut r = request(100);
        r.message = Some("m".repeat(250));
        ids.push(f.client.donate(r).unwrap().id);
    }
    let store = &f.client.shared.store;
    let per_item = 250 + "tok_ok".len() + crate::store::ITEM_OVERHEAD_BYTES;
    let two = store.claim_batch(100, 2 * per_item + 10, 0, T0).unwrap();
    assert_eq!(
        two.iter()
            .map(|o| o.donation.id.clone())
            .collect::<Vec<_>>(),
        ids[..2]
    );
    // Even a budget smaller than one item takes the next one, so it is refused alone.
    let one = store.claim_batch(100, 1, 0, T0).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].donation.id, ids[2]);
    // A pass takes each donation at most once: nothing at or before `after_seq`.
    store.requeue_all_sending("send_failed", T0).unwrap();
    let after = store
        .claim_batch(100, 1 << 20, one[0].donation.seq, T0)
        .unwrap();
    assert_eq!(
        after
            .iter()
            .map(|o| o.donation.id.clone())
            .collect::<Vec<_>>(),
        ids[3..]
    );
}

#[test]
fn a_double_tap_with_the_sheet_id_makes_one_donation() {
    let f = fixture();
    let recorder = Arc::new(Recorder::default());
    f.client.set_listener(Some(recorder.clone()));
    let id = uuid::Uuid::now_v7().to_string();
    let mut r = request(1_000);
    r.id = Some(id.clone());
    let first = f.client.donate(r.clone()).unwrap();
    let second = f.client.donate(r.clone()).unwrap();
    assert_eq!(first, second);
    assert_eq!(first.id, id);
    assert_eq!(f.client.pending_donations().unwrap().len(), 1);
    // Two taps from two threads at once: still one donation.
    let id2 = uuid::Uuid::now_v7().to_string();
    let mut r2 = request(2_000);
    r2.id = Some(id2.clone());
    let taps: Vec<_> = (0..4)
        .map(|_| {
            let (c, r) = (f.client.clone(), r2.clone());
            std::thread::spawn(move || c.donate(r).unwrap())
        })
        .collect();
    for t in taps {
        assert_eq!(t.join().unwrap().id, id2);
    }
    assert_eq!(f.client.pending_donations().unwrap().len(), 2);
    // The same id for a different donation is refused; nothing new is queued.
    let mut other = request(3_000);
    other.id = Some(id.clone());
    assert_eq!(
        f.client.donate(other).unwrap_err(),
        FundkitError::DuplicateDonationId { id: id.clone() }
    );
    // The listener reads rows as they are when it is called: let it see them queued.
    f.client.flush_listener();
    // A tap after the first donation was answered still answers with it.
    f.client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    f.client
        .shared
        .store
        .settle(
            &[(
                id.clone(),
                Event::Accept {
                    received_at_ms: Some(T0),
                },
            )],
            "server_answer",
            T0,
        )
        .unwrap();
    assert_eq!(f.client.donate(r).unwrap().state, DonationState::Confirmed);
    assert_eq!(f.client.pending_donations().unwrap().len(), 1);
    // Not an id at all: a typed validation error.
    let mut bad = request(1_000);
    bad.id = Some("not-a-uuid".into());
    assert!(matches!(
        f.client.donate(bad),
        Err(FundkitError::Validation { .. })
    ));
    f.client.flush_listener();
    let queued_events = recorder
        .donations
        .lock()
        .unwrap()
        .iter()
        .filter(|d| d.state == DonationState::Queued)
        .count();
    assert_eq!(queued_events, 2, "one listener event per donation made");
}

#[test]
fn a_crash_mid_send_requeues_on_restart() {
    let f = fixture();
    let d = f.client.donate(request(1_000)).unwrap();
    let claimed = f
        .client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    assert_eq!(claimed[0].payment_token, "tok_ok");
    let f = restart(f);
    let again = &f.client;
    let back = again.donation(d.id.clone()).unwrap().unwrap();
    assert_eq!(back.state, DonationState::Queued);
    let causes: Vec<_> = again
        .donation_history(&d.id)
        .unwrap()
        .into_iter()
        .map(|h| h.2)
        .collect();
    assert_eq!(
        causes,
        vec!["donate", "sync_pass", "recovered_after_restart"]
    );
}

#[test]
fn reads_are_paged_newest_first_and_totals_flag_pending() {
    let f = fixture();
    let a = f.client.donate(request(1_000)).unwrap();
    let b = f.client.donate(request(2_000)).unwrap();
    let c = f.client.donate(request(4_000)).unwrap();
    f.client.cancel_donation(a.id.clone()).unwrap();
    let pending: Vec<_> = f
        .client
        .pending_donations()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(pending, vec![c.id.clone(), b.id.clone()]);

    let view = f.client.fundraiser("fr_1".into()).unwrap().unwrap();
    assert_eq!(view.pending_count, 2);
    assert_eq!(view.pending_total.minor_units, 6_000);
    assert_eq!(view.fundraiser.confirmed_total.minor_units, 10_000);
    assert_eq!(view.displayed_total.minor_units, 16_000);
    assert_eq!(view.fetched_at_ms, T0);

    // Past donations page with before_seq.
    let claimed = f
        .client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    let events: Vec<_> = claimed
        .iter()
        .map(|o| {
            (
                o.donation.id.clone(),
                Event::Accept {
                    received_at_ms: Some(T0 + 5),
                },
            )
        })
        .collect();
    f.client
        .shared
        .store
        .settle(&events, "server_answer", T0)
        .unwrap();
    let page1 = f.client.past_donations(None, 2).unwrap();
    assert_eq!(
        page1.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        vec![c.id.clone(), b.id.clone()]
    );
    let page2 = f.client.past_donations(Some(page1[1].seq), 2).unwrap();
    assert_eq!(
        page2.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        vec![a.id]
    );
    assert_eq!(page1[0].received_at_ms, Some(T0 + 5));
    // Confirmed donations no longer count as pending.
    let view = f.client.fundraiser("fr_1".into()).unwrap().unwrap();
    assert_eq!(
        (view.pending_count, view.displayed_total.minor_units),
        (0, 10_000)
    );
}

#[test]
fn listener_hears_every_donation_change_and_the_fundraiser_total() {
    let f = fixture();
    let recorder = Arc::new(Recorder::default());
    f.client.set_listener(Some(recorder.clone()));
    let last_state = |id: &str| {
        recorder
            .donations
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|x| x.id == id)
            .map(|x| x.state)
    };
    let last_total = || {
        recorder
            .fundraisers
            .lock()
            .unwrap()
            .last()
            .map(|v| v.displayed_total.minor_units)
    };
    let d = f.client.donate(request(1_500)).unwrap();
    f.client.flush_listener();
    assert_eq!(last_state(&d.id), Some(DonationState::Queued));
    assert_eq!(last_total(), Some(11_500));
    f.client.cancel_donation(d.id.clone()).unwrap();
    f.client.flush_listener();
    assert_eq!(last_state(&d.id), Some(DonationState::Cancelled));
    assert_eq!(last_total(), Some(10_000));
    let states = recorder.states.lock().unwrap();
    assert_eq!(states.last().map(|s| s.pending_count), Some(0));
}

/// Events arrive in commit order and never show an older state after a newer one, even
/// when passes, network changes and donations race from many threads and the app's
/// listener is slow: the last sync state heard is the one in force.
#[test]
fn listener_events_never_go_back_in_time() {
    #[derive(Default)]
    struct Slow(Recorder);
    impl FundkitListener for Slow {
        fn on_donations_changed(&self, d: Vec<Donation>) {
            self.0.on_donations_changed(d)
        }
        fn on_fundraisers_changed(&self, f: Vec<FundraiserView>) {
            self.0.on_fundraisers_changed(f)
        }
        fn on_sync_state_changed(&self, state: SyncState) {
            // A slow app: a thread that called the listener directly would now be
            // overtaken by the one that ended the pass.
            std::thread::yield_now();
            self.0.on_sync_state_changed(state)
        }
    }
    let f = fixture();
    let slow = Arc::new(Slow::default());
    f.client.set_listener(Some(slow.clone()));
    std::thread::scope(|s| {
        for t in 0..3 {
            let client = f.client.clone();
            s.spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                for i in 0..15 {
                    client.set_online(i % 2 == 0);
                    let _ = rt.block_on(client.sync_now());
                    if t == 0 {
                        let d = client.donate(request(100)).unwrap();
                        if i % 3 == 0 {
                            client.cancel_donation(d.id).unwrap();
                        }
                    }
                }
            });
        }
    });
    f.client.flush_listener();
    let states = slow.0.states.lock().unwrap();
    let last = states.last().unwrap();
    assert_eq!(
        *last,
        f.client.sync_state(),
        "the last event heard is the state in force"
    );
    assert!(!last.syncing);
    // Per donation, the states heard only move forward through the state machine.
    let rank = |s: DonationState| match s {
        DonationState::Queued => 0,
        DonationState::Sending => 1,
        _ => 2,
    };
    let heard = slow.0.donations.lock().unwrap();
    let mut by_id: std::collections::HashMap<&str, i32> = Default::default();
    for d in heard.iter() {
        let r = by_id.entry(&d.id).or_insert(0);
        assert!(rank(d.state) >= *r, "{} went back to {:?}", d.id, d.state);
        *r = rank(d.state);
    }
}

#[test]
fn a_panicking_listener_does_not_break_the_client() {
    struct Bad;
    impl FundkitListener for Bad {
        fn on_donations_changed(&self, _: Vec<Donation>) {
            panic!("listener bug");
        }
        fn on_fundraisers_changed(&self, _: Vec<FundraiserView>) {}
        fn on_sync_state_changed(&self, _: SyncState) {}
    }
    let f = fixture();
    f.client.set_listener(Some(Arc::new(Bad)));
    let d = f.client.donate(request(100)).unwrap();
    assert_eq!(
        f.client.donation(d.id).unwrap().unwrap().state,
        DonationState::Queued
    );
}

#[test]
fn listeners_may_be_called_from_many_threads() {
    let f = fixture();
    let recorder = Arc::new(Recorder::default());
    f.client.set_listener(Some(recorder.clone()));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10 {
                    f.client.donate(request(100)).unwrap();
                }
            });
        }
    });
    f.client.flush_listener();
    let heard: std::collections::HashSet<String> = recorder
        .donations
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(heard.len(), 40);
}

#[test]
fn wipe_leaves_nothing_readable() {
    let f = fixture();
    let mut r = request(1_234);
    r.message = Some("SECRET-MESSAGE-7f3a".into());
    r.payment_token = "tok_ok_SECRETTOKEN91".into();
    f.client.donate(r).unwrap();
    f.client.wipe_local_data().unwrap();
    assert!(f.client.pending_donations().unwrap().is_empty());
    assert!(f.client.fundraiser("fr_1".into()).unwrap().is_none());
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", f.path.display()));
        if let Ok(bytes) = std::fs::read(&file) {
            for needle in [
                "SECRET-MESSAGE-7f3a",
                "tok_ok_SECRETTOKEN91",
                "Help Sam walk again",
            ] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} still readable in {}",
                    file.display()
                );
            }
        }
    }
    // The client keeps working after a wipe.
    f.client
        .shared
        .store
        .upsert_fundraisers(&[fundraiser("fr_1", "USD", FundraiserState::Active)], T0)
        .unwrap();
    f.client.donate(request(100)).unwrap();
}

/// The token must be gone from the database file, its WAL and any journal right after the
/// call that erased it: through the public API only, no explicit checkpoint.
fn assert_token_gone(path: &std::path::Path, token: &str) {
    for suffix in ["", "-wal", "-journal"] {
        let bytes = std::fs::read(format!("{}{suffix}", path.display())).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{token} left in {suffix:?}"
        );
    }
}

/// Answers applied in a pass erase tokens batch after batch; the WAL is emptied when the
/// pass ends. A pass killed before its end leaves them in the WAL: the next start-up
/// empties it before anything else.
#[test]
fn erased_tokens_do_not_outlive_a_pass_killed_before_its_end() {
    let f = fixture();
    let mut r = request(1_000);
    r.payment_token = "tok_ok_KILLEDPASS_42".into();
    let d = f.client.donate(r).unwrap();
    let store = &f.client.shared.store;
    store.claim_batch(100, 1 << 20, 0, T0).unwrap();
    let accept = Event::Accept {
        received_at_ms: Some(T0),
    };
    store
        .settle(&[(d.id.clone(), accept)], "server_answer", T0)
        .unwrap();
    // Killed here: the pass never reached its end.
    let f = restart(f);
    assert_eq!(
        f.client.donation(d.id).unwrap().unwrap().state,
        DonationState::Confirmed
    );
    assert_token_gone(&f.path, "tok_ok_KILLEDPASS_42");
}

#[test]
fn erased_tokens_do_not_linger_after_cancel_or_expiry() {
    let f = fixture();
    let mut r = request(1_000);
    r.payment_token = "tok_ok_LINGERCANCEL1".into();
    let d = f.client.donate(r).unwrap();
    f.client.cancel_donation(d.id).unwrap();
    assert_token_gone(&f.path, "tok_ok_LINGERCANCEL1");

    let mut r = request(1_000);
    r.payment_token = "tok_ok_LINGEREXPIRE2".into();
    f.client.donate(r).unwrap();
    f.clock.advance_ms(25 * 3_600_000);
    assert!(f.client.pending_donations().unwrap().is_empty());
    assert_token_gone(&f.path, "tok_ok_LINGEREXPIRE2");
}

/// Another connection reading the file (a backup, a debugging tool, a second process)
/// stops the checkpoint that empties the WAL. Cancelling must not wait for that reader
/// (it used to wait the whole 5 s busy timeout, then leave the token in the WAL until the
/// next pass): the caller goes on at once, and the token leaves the file and the WAL as
/// soon as the reader is gone, in the background, with no further call.
#[test]
fn erasure_under_a_concurrent_reader_does_not_block_and_completes_once_it_is_gone() {
    let f = fixture();
    let mut r = request(1_000);
    r.payment_token = "tok_ok_READERHELD_77".into();
    let d = f.client.donate(r).unwrap();
    let reader = rusqlite::Connection::open(&f.path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM donations", [], |r| r.get(0))
        .unwrap();

    let started = std::time::Instant::now();
    let cancelled = f.client.cancel_donation(d.id.clone()).unwrap();
    let took = started.elapsed();
    assert_eq!(cancelled.state, DonationState::Cancelled);
    assert!(
        took < std::time::Duration::from_millis(500),
        "cancel_donation waited {took:?} for another connection's reader"
    );
    assert!(f.client.shared.store.erasing(), "a retry is owed");

    // The reader goes; nothing else is called.
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while f.client.shared.store.erasing() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !f.client.shared.store.erasing(),
        "the background retry ended"
    );
    assert_token_gone(&f.path, "tok_ok_READERHELD_77");
}

/// One owner per database file: a second client on the same file (in this process; the
/// CLI test covers another process) is refused with a typed error while the first lives,
/// and may open it once the first is gone. Before, both opened, and each requeued the
/// other's batch in flight at the start of its own pass.
#[test]
fn a_second_client_on_one_file_is_refused_while_the_first_lives() {
    let f = fixture();
    let d = f.client.donate(request(1_000)).unwrap();
    let second =
        FundkitClient::with_clock(config(&f.path, "US"), Arc::new(NoAuth), f.clock.clone());
    match second {
        Err(FundkitError::DatabaseInUse { path }) => {
            assert_eq!(path, f.path.to_string_lossy())
        }
        Err(e) => panic!("expected DatabaseInUse, got {e:?}"),
        Ok(_) => panic!("a second client opened a file the first one owns"),
    }
    // The first client was not disturbed.
    assert_eq!(
        f.client.donation(d.id.clone()).unwrap().unwrap().state,
        DonationState::Queued
    );
    let f = restart(f);
    assert_eq!(f.client.pending_donations().unwrap().len(), 1);
}

/// An app upgrade over a database made by every schema version ever released (real files
/// from `core/tests/fixtures`, made from the exact SQL of each release, with data in them):
/// it opens, keeps every donation, recovers the one caught mid-send, and the queue drains.
#[test]
fn an_app_upgrade_over_every_released_database_keeps_and_drains_the_queue() {
    use crate::store::schema_for_tests::MIGRATIONS;
    let latest = MIGRATIONS
        .pending_migrations(&rusqlite::Connection::open_in_memory().unwrap())
        .unwrap() as usize;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    let released = [
        "v1.db",
        "v2.db",
        "v3-before-action-url.db",
        "v3.db",
        "v4.db",
        "v5.db",
        "v6-index-seq.db",
        "v6-index-5.db",
        "v6.db",
        "v7.db",
        "v8.db",
    ];
    // Every fixture is opened.
    let mut on_disk: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".db"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = released.iter().map(|n| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "a fixture not opened by this test");
    let versions: std::collections::BTreeSet<usize> = released
        .iter()
        .map(|name| {
            let conn = rusqlite::Connection::open(fixtures.join(name)).unwrap();
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap() as usize
        })
        .collect();
    // Every version before the latest (the one this build makes) has a fixture.
    assert_eq!(
        versions,
        (1..latest).collect(),
        "every released schema version has a fixture"
    );
    for name in released {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fundkit.db");
        std::fs::copy(fixtures.join(name), &path).unwrap();
        let clock = Arc::new(TestClock(AtomicI64::new(T0 + 1_000)));
        let client =
            FundkitClient::with_clock(config(&path, "US"), Arc::new(NoAuth), clock).unwrap();
        let d = client
            .donation("0190aaaa-0000-7000-8000-000000000001".into())
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.amount.minor_units, d.visibility, d.hide_amount, d.state),
            (700, Visibility::Anonymous, true, DonationState::Queued),
            "{name}"
        );
        // The fundraiser cache came along into columns (v7); the unreadable body was
        // dropped and the changes feed starts over to bring it back.
        if name != "v1.db" {
            let cached = client.shared.store.fundraiser("fr_1").unwrap().unwrap();
            assert_eq!(
                (
                    &cached.kind,
                    cached.category,
                    cached.title.as_str(),
                    cached.confirmed_total.minor_units,
                    cached.donation_count,
                    cached.viewer_is_organiser,
                ),
                (
                    &FundraiserKind::Nonprofit {
                        nonprofit_id: "np_42".into()
                    },
                    Category::Animals,
                    "Shelter roof",
                    12_345,
                    7,
                    false,
                ),
                "{name}"
            );
            assert!(client.shared.store.fundraiser("fr_2").unwrap().is_none());
            let cursor = client.shared.store.meta(crate::sync::CURSOR_KEY).unwrap();
            if name == "v7.db" || name == "v8.db" {
                // Already in columns: nothing was dropped, the feed goes on.
                assert_eq!(cursor.as_deref(), Some("c7"), "{name}");
            } else {
                assert_eq!(cursor, None, "{name}");
            }
        }
        // The transition log came along (v6 moved it into the row), then the recovery.
        let log = client
            .shared
            .store
            .history("0190aaaa-0000-7000-8000-000000000003")
            .unwrap();
        assert_eq!(
            log.iter()
                .map(|(from, to, cause, _)| (from.as_deref(), to.as_str(), cause.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (None, "queued", "donate"),
                (Some("sending"), "queued", "recovered_after_restart")
            ],
            "{name}"
        );
        let pending = client.pending_donations().unwrap();
        assert_eq!(
            pending.len(),
            3,
            "{name}: queued, tried, and recovered from sending"
        );
        assert!(
            pending.iter().all(|d| d.state == DonationState::Queued),
            "{name}"
        );
        let past = client.past_donations(None, 10).unwrap();
        assert_eq!(past.len(), 1, "{name}");
        // The queue can be taken for sending and answered: every column it needs exists.
        let batch = client
            .shared
            .store
            .claim_batch(100, 1 << 20, 0, T0 + 2_000)
            .unwrap();
        assert_eq!(batch.len(), 3, "{name}");
        let events: Vec<_> = batch
            .iter()
            .map(|o| {
                (
                    o.donation.id.clone(),
                    Event::NeedsAction {
                        code: "authentication_required".into(),
                        action_url: Some("https://bank.example/x".into()),
                    },
                )
            })
            .collect();
        let settled = client
            .shared
            .store
            .settle(&events, "server_answer", T0 + 3_000)
            .unwrap();
        assert_eq!(settled.len(), 3, "{name}");
        assert_eq!(
            settled[0].action_url.as_deref(),
            Some("https://bank.example/x")
        );
        drop(client);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, latest, "{name} migrated to the latest version");
        // Whatever shape of v6 made it, the pending index is the one the queries expect.
        let indexed: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_info('donations_pending') ORDER BY seqno")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            indexed,
            [
                "seq",
                "state",
                "fundraiser_id",
                "currency",
                "amount_minor",
                "attempts",
                "created_at_ms"
            ],
            "{name}"
        );
        seen += 1;
    }
    assert_eq!(seen, released.len());
}

#[test]
fn any_locale_opens_the_client_with_its_conventions() {
    for (locale, typed, want) in [
        ("fr-FR", "12,50", 1_250),
        ("de_DE", "1.234,50", 123_450),
        ("ja-JP", "12.50", 1_250),
        ("", "12.50", 1_250),
        ("not a locale at all", "12.50", 1_250),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(&dir.path().join("l.db"), "IE");
        c.locale = locale.into();
        let client = FundkitClient::new(c, Arc::new(NoAuth)).expect(locale);
        let parsed = client.parse_amount(typed.into(), "EUR".into()).unwrap();
        assert_eq!(parsed.minor_units, want, "{locale:?}");
        assert!(client.format_amount(parsed).is_ok());
    }
}

#[test]
fn bad_configuration_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir.path().join("x.db"), "US");
    c.server_url = "http://fundraising.example.com".into();
    assert!(matches!(
        FundkitClient::new(c, Arc::new(NoAuth)),
        Err(FundkitError::Configuration { .. })
    ));
    let mut c = config(&dir.path().join("x.db"), "US");
    c.database_path = "  ".into();
    assert!(matches!(
        FundkitClient::new(c, Arc::new(NoAuth)),
        Err(FundkitError::Configuration { .. })
    ));
}

#[test]
fn logs_carry_no_amounts_messages_or_tokens() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    // The global subscriber, so that no per-thread interest cache hides a line; every
    // test's logs land in the buffer from here on, which only widens the check.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let f = fixture();
    let mut r = request(12_345);
    r.payment_token = "tok_ok_LOGCHECK".into();
    r.message = Some("LOG-MESSAGE-CHECK".into());
    let d = f.client.donate(r).unwrap();
    f.client.cancel_donation(d.id).unwrap();
    f.clock.advance_ms(48 * 3_600_000);
    f.client.donate(request(100)).unwrap();
    f.clock.advance_ms(48 * 3_600_000);
    f.client.pending_donations().unwrap();
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("donation queued"),
        "the test must see real log lines: {logs}"
    );
    for secret in ["12345", "123.45", "tok_ok", "LOG-MESSAGE-CHECK"] {
        assert!(!logs.contains(secret), "{secret} appears in logs:\n{logs}");
    }
}

// ---- fees, Gift Aid and links (docs/fees.md, docs/gift-aid.md, docs/links.md) ----

/// A nonprofit in GB raising for a registered charity: Gift Aid applies.
fn uk_charity(id: &str) -> Fundraiser {
    Fundraiser {
        kind: FundraiserKind::Nonprofit {
            nonprofit_id: "npo_hospice".into(),
        },
        country: "GB".into(),
        charity: Some(crate::model::Charity {
            name: "St Hilda's Hospice".into(),
            number: "1234567".into(),
        }),
        ..fundraiser(id, "GBP", FundraiserState::Active)
    }
}

fn declaration() -> crate::model::GiftAidDeclaration {
    crate::model::GiftAidDeclaration {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        house: "12".into(),
        postcode: "sw1a1aa".into(),
        lives_in_uk: true,
        uk_taxpayer: true,
        consent: true,
        wording_version: rules::GIFT_AID_WORDING_VERSION.into(),
    }
}

fn gbp(id: &str, pence: i64) -> DonationRequest {
    DonationRequest {
        fundraiser_id: id.into(),
        amount: Money::new(pence, "GBP").unwrap(),
        ..request(0)
    }
}

fn codes_of(e: FundkitError) -> Vec<(String, IssueCode)> {
    match e {
        FundkitError::Validation { issues } => {
            issues.into_iter().map(|i| (i.field, i.code)).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

use crate::rules::IssueCode;

#[test]
fn the_quote_shows_fees_what_the_donor_pays_and_what_the_organiser_receives() {
    let f = fixture();
    // The launch fees (the compiled-in default until the server answers): US 2.9% + 30c.
    let q = f.client.quote_donation(request(2_500)).unwrap();
    assert_eq!(
        (
            q.fees.fees.minor_units,
            q.fees.donor_pays.minor_units,
            q.fees.organiser_receives.minor_units
        ),
        (103, 2_500, 2_397)
    );
    assert_eq!(q.gift_aid, GiftAidAvailability::NotANonprofit);
    assert_eq!(q.gift_aid_amount, None);
    let covered = f
        .client
        .quote_donation(DonationRequest {
            cover_fee: true,
            ..request(2_500)
        })
        .unwrap();
    assert_eq!(
        (
            covered.fees.donor_pays.minor_units,
            covered.fees.organiser_receives.minor_units
        ),
        (2_603, 2_500)
    );
    // The quote refuses what `donate` refuses (no token is needed yet to ask).
    assert_eq!(
        codes_of(
            f.client
                .quote_donation(DonationRequest {
                    payment_token: String::new(),
                    ..request(0)
                })
                .unwrap_err()
        ),
        vec![("amount".into(), IssueCode::BelowMinimum)]
    );
}

#[test]
fn a_covered_fee_is_charged_kept_sent_and_counted_by_the_offline_caps() {
    let f = fixture();
    // $245.00 alone is under the $250 offline cap; with its fees covered ($7.41) it is not.
    let over = DonationRequest {
        cover_fee: true,
        ..request(24_500)
    };
    assert_eq!(
        f.client.donate(over).unwrap_err(),
        FundkitError::OfflineLimit {
            cap: crate::error::OfflineCap::SingleAmount
        }
    );
    let plain = f.client.donate(request(24_500)).unwrap();
    assert_eq!(plain.donor_pays.minor_units, 24_500);
    let covered = f
        .client
        .donate(DonationRequest {
            cover_fee: true,
            ..request(10_000)
        })
        .unwrap();
    // 2.9% of $100 = $2.90, + 30c.
    assert_eq!(covered.donor_pays.minor_units, 10_320);
    assert!(covered.cover_fee);
    // $245 + $103.20 = $348.20 pending; the total cap ($1,000) counts what is charged.
    let pending = f.client.pending_donations().unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|d| d.donor_pays.minor_units)
            .sum::<i64>(),
        34_820
    );
    // A restart reads it back, and the batch item carries what the donor agreed to pay.
    let f = restart(f);
    let again = f.client.donation(covered.id.clone()).unwrap().unwrap();
    assert_eq!(again, covered);
    let batch = f
        .client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    let item = batch
        .iter()
        .find(|o| o.donation.id == covered.id)
        .unwrap()
        .to_item();
    assert!(item.cover_fee);
    assert_eq!(item.donor_pays.unwrap().minor_units, 10_320);
}

#[test]
fn gift_aid_only_to_a_uk_charity_with_a_whole_declaration() {
    let f = fixture();
    f.client
        .shared
        .store
        .upsert_fundraisers(&[uk_charity("fr_uk")], T0)
        .unwrap();
    // To a personal cause: refused, however complete the declaration.
    let personal = DonationRequest {
        gift_aid: Some(declaration()),
        ..request(1_000)
    };
    assert_eq!(
        codes_of(f.client.donate(personal).unwrap_err()),
        vec![("gift_aid".into(), IssueCode::GiftAidNotAvailable)]
    );
    // Every gap of a declaration at once.
    let mut gaps = declaration();
    gaps.first_name = " ".into();
    gaps.postcode = "D02 X285".into();
    gaps.lives_in_uk = false;
    gaps.consent = false;
    gaps.wording_version = "uk-2019".into();
    assert_eq!(
        codes_of(
            f.client
                .donate(DonationRequest {
                    gift_aid: Some(gaps),
                    ..gbp("fr_uk", 1_000)
                })
                .unwrap_err()
        ),
        vec![
            ("gift_aid.first_name".into(), IssueCode::Required),
            ("gift_aid.postcode".into(), IssueCode::InvalidPostcode),
            ("gift_aid.lives_in_uk".into(), IssueCode::NotDeclared),
            ("gift_aid.consent".into(), IssueCode::NotDeclared),
            ("gift_aid.wording_version".into(), IssueCode::UnknownWording),
        ]
    );
    // The quote shows the 25% on the gift alone, never on the fees the donor covers.
    let with = DonationRequest {
        gift_aid: Some(declaration()),
        cover_fee: true,
        ..gbp("fr_uk", 1_001)
    };
    let q = f.client.quote_donation(with.clone()).unwrap();
    assert_eq!(q.gift_aid, GiftAidAvailability::Available);
    assert_eq!(q.gift_aid_amount.unwrap().minor_units, 250);
    let d = f.client.donate(with).unwrap();
    assert!(d.gift_aid);
    // Queued with its declaration (postcode in its one spelling), on disk and in the batch.
    let batch = f
        .client
        .shared
        .store
        .claim_batch(100, 1 << 20, 0, T0)
        .unwrap();
    let item = batch[0].to_item();
    let sent = item.gift_aid.unwrap();
    assert_eq!(sent.postcode, "SW1A 1AA");
    assert_eq!(sent.last_name, "Lovelace");
    // Once the server has answered, the declaration leaves the device with the token.
    f.client
        .shared
        .store
        .settle(
            &[(
                d.id.clone(),
                Event::Accept {
                    received_at_ms: Some(T0),
                },
            )],
            "batch_answer",
            T0,
        )
        .unwrap();
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    let (declaration, flag): (Option<String>, bool) = conn
        .query_row(
            "SELECT gift_aid_declaration, gift_aid FROM donations WHERE id = ?1",
            [&d.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((declaration, flag), (None, true));
    assert!(f.client.donation(d.id).unwrap().unwrap().gift_aid);
}

#[test]
fn a_repeated_donate_must_repeat_the_fee_choice_gift_aid_and_source() {
    let f = fixture();
    let id = new_donation_id();
    let first = DonationRequest {
        id: Some(id.clone()),
        source: Some(DonationSource::StorySticker),
        ..request(1_000)
    };
    let d = f.client.donate(first.clone()).unwrap();
    assert_eq!(d.source, Some(DonationSource::StorySticker));
    assert_eq!(f.client.donate(first.clone()).unwrap(), d);
    for changed in [
        DonationRequest {
            cover_fee: true,
            ..first.clone()
        },
        DonationRequest {
            source: None,
            ..first.clone()
        },
    ] {
        assert_eq!(
            f.client.donate(changed).unwrap_err(),
            FundkitError::DuplicateDonationId { id: id.clone() }
        );
    }
}

#[test]
fn share_links_point_at_the_configured_host_and_read_back() {
    let f = fixture();
    // No link config from a server yet: the API's host and the app's scheme.
    let links = f
        .client
        .share_links("fr_1".into(), DonationSource::Profile)
        .unwrap();
    assert_eq!(links.web, "https://127.0.0.1/f/fr_1?src=profile");
    assert_eq!(links.app, "fundkit://fundraiser/fr_1?src=profile");
    let target = f.client.parse_link(links.web).unwrap();
    assert_eq!(
        (target.fundraiser_id.as_str(), target.source),
        ("fr_1", DonationSource::Profile)
    );
    assert_eq!(
        f.client
            .parse_link("https://evil.example/f/fr_1".into())
            .unwrap_err(),
        FundkitError::Link {
            problem: LinkProblem::UnknownHost
        }
    );
}
