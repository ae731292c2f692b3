//! Randomized soak: several devices (separate SQLite files) donate and sync through the
//! fault-injecting proxy while the server restarts, clients are torn down mid-pass, answers
//! come back partial, reordered, duplicated or for strangers, whole batches are refused
//! (413/400), one poison donation hides among healthy ones, donors double-tap, and device
//! clocks jump forward and back. At the end every donation any client acknowledged is on
//! the server exactly once, or in a final client state that explains why (lost 0,
//! duplicated 0), none is left pending (stuck 0), and client and server totals agree. A
//! hostile device (`adversary`) plays alongside: it replays, respells and reconciles other
//! donors' ids and floods refused items; at the end every fundraiser's total is what the
//! payment provider's ledger charged for it (money created 0).
//!
//! Seeded: `FUNDKIT_SEED=N` replays a run. CI runs a bounded version; a long run:
//! `FUNDKIT_SOAK_SECS=600 cargo test -p fundkit-e2e --release --test soak -- --nocapture`.
//! (Real SIGKILLs of a client process are in `cli/tests/kill.rs`.)

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fundkit::{Donation, DonationState};
use fundkit_e2e::proxy::{self, Fault, Proxy, Rewrite};
use fundkit_e2e::*;
use rand::{Rng, SeedableRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_loses_nothing_and_doubles_nothing() {
    let seed: u64 = std::env::var("FUNDKIT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    let budget = Duration::from_secs(
        std::env::var("FUNDKIT_SOAK_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(25),
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    println!("soak: FUNDKIT_SEED={seed}, budget {budget:?}");

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut server = server_on_file(db.clone()).await;
    let proxy = Proxy::start(server.addr()).await;
    let f = fundraiser(&server.url()).await;
    let tokens = ["dev-donor-1", "dev-donor-1", "dev-donor-2"];
    let mut devices = Vec::new();
    for token in tokens {
        devices.push(donor(&proxy.url(), token, &f).await);
    }
    let mut faults = proxy::network_faults();
    faults.extend([
        Fault::Status {
            code: 429,
            retry_after: Some(1),
        },
        Fault::Rewrite(Rewrite::Empty),
        // Whole batches refused for their size or content: the culprit must be found.
        Fault::Status {
            code: 413,
            retry_after: None,
        },
        Fault::Status {
            code: 400,
            retry_after: None,
        },
    ]);
    proxy.randomize(200, faults, seed);
    // A server rule the devices do not know: any request carrying this token is refused
    // as a whole. Its donation must end alone ("wedged") and never hold up the others.
    const POISON: &str = "tok_ok_POISON";
    proxy.refuse_containing(POISON, 400);

    // Every donation a client acknowledged: id -> (device, amount, token).
    let mut acknowledged: BTreeMap<String, (usize, i64, &str)> = BTreeMap::new();
    let (mut rounds, mut restarts, mut teardowns, mut passes) = (0u32, 0u32, 0u32, 0u32);
    let mut double_taps = 0u32;
    let mut adversary = fundkit_e2e::adversary::Adversary::new();
    // (id, device) of honest donations that asked for the bank's step.
    let mut waiting_on_bank: Vec<(String, usize)> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget {
        rounds += 1;
        let i = rng.random_range(0..devices.len());
        let device = &mut devices[i];
        device.client.set_online(rng.random_bool(0.8));
        for _ in 0..rng.random_range(0..6) {
            let token = match rng.random_range(0..40) {
                0 | 1 => "tok_declined",
                2 | 3 => "tok_needs_action",
                4 => POISON,
                _ => "tok_ok",
            };
            let cents = rng.random_range(100..5_000);
            let mut request = donation(&f, cents, token);
            request.id = Some(fundkit::new_donation_id());
            // Caps may refuse (offline or full queue): a refusal is not an acknowledgement.
            if let Ok(d) = device.client.donate(request.clone()) {
                // A double tap on Confirm: the same donation comes back, nothing new.
                if rng.random_bool(0.2) {
                    let again = device.client.donate(request).expect("double tap");
                    assert_eq!(again.id, d.id);
                    double_taps += 1;
                }
                if token == "tok_needs_action" {
                    waiting_on_bank.push((d.id.clone(), i));
                }
                acknowledged.insert(d.id, (i, cents, token));
            }
        }
        // The device's clock jumps (a user fixing the time, a time zone bug): forward a
        // little, back a little, and rarely past the whole offline window.
        match rng.random_range(0..20) {
            0 => device.clock.advance_hours(3),
            1 => device.clock.advance_hours(-3),
            2 if rng.random_bool(0.2) => device.clock.advance_hours(25),
            _ => {}
        }
        device.client.set_online(true);
        if rng.random_bool(0.3) {
            // Ids of honest donations the server holds and waits on (leaked, say, by a
            // shared link to the bank's page).
            let leaked: Vec<String> = waiting_on_bank
                .iter()
                .rev()
                .take(20)
                .filter(|(id, k)| {
                    devices[*k]
                        .client
                        .donation(id.clone())
                        .ok()
                        .flatten()
                        .is_some_and(|d| d.state == DonationState::NeedsAction)
                })
                .map(|(id, _)| id.clone())
                .collect();
            adversary
                .round(&server.url(), &f.fundraiser.id, &leaked, &mut rng)
                .await;
        }
        let device = &mut devices[i];
        match rng.random_range(0..10) {
            // Tear the client down mid-pass, as a crash would, then restart the app.
            0 => {
                let client = device.client.clone();
                let pass = tokio::spawn(async move { client.sync_now().await });
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..20))).await;
                pass.abort();
                device.restart();
                teardowns += 1;
            }
            // Restart the server on the same file.
            1 => {
                server.shutdown().await;
                server = server_on_file(db.clone()).await;
                proxy.set_upstream(server.addr());
                restarts += 1;
            }
            _ => {
                let _ = device.client.sync_now().await;
                passes += 1;
            }
        }
    }

    // Calm network: every device drains.
    proxy.calm();
    for device in &devices {
        for _ in 0..5 {
            if device
                .client
                .sync_now()
                .await
                .map(|r| r.remaining == 0 && r.error.is_none())
                .unwrap_or(false)
            {
                break;
            }
        }
    }

    let mut confirmed = (0u64, 0i64);
    let mut stuck = 0u32;
    let mut ended: BTreeMap<String, u32> = BTreeMap::new();
    for (id, (i, cents, token)) in &acknowledged {
        let d: Donation = devices[*i]
            .client
            .donation(id.clone())
            .unwrap()
            .expect("acknowledged donation lost");
        assert_eq!(d.amount.minor_units, *cents);
        if d.state.is_pending() {
            stuck += 1;
            continue;
        }
        let reason = d.reason.clone().unwrap_or_default();
        *ended
            .entry(format!("{}:{reason}", d.state.as_str()))
            .or_default() += 1;
        // Every end says why, and the why fits the donation.
        match d.state {
            DonationState::Confirmed => assert!(
                token.starts_with("tok_ok") && *token != POISON,
                "{id} {token}"
            ),
            DonationState::NeedsAction => assert_eq!(*token, "tok_needs_action", "{id}"),
            // The poison, or the culprit of a random whole-batch 413/400, ends "wedged".
            DonationState::Rejected => assert!(
                (*token == "tok_declined" && reason == "declined") || reason == "injected",
                "{id} {token} {reason}"
            ),
            DonationState::Expired => assert!(
                reason == "expired_offline" || reason == "expired_unconfirmed",
                "{id} {reason}"
            ),
            other => panic!("{id}: unexpected {other:?}"),
        }
        if *token == POISON {
            assert!(
                matches!(d.state, DonationState::Rejected | DonationState::Expired),
                "{id}: the poison is never charged"
            );
        }
        if d.state == DonationState::Confirmed {
            confirmed.0 += 1;
            confirmed.1 += cents;
        }
    }
    assert_eq!(stuck, 0, "no healthy donation left pending");
    let view = devices[0]
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    let lost_or_doubled = view.fundraiser.donation_count as i64 - confirmed.0 as i64;
    assert_eq!(
        view.fundraiser.donation_count, confirmed.0,
        "server count vs confirmed on devices"
    );
    assert_eq!(
        view.fundraiser.confirmed_total.minor_units, confirmed.1,
        "server total vs devices"
    );
    assert_eq!(
        view.displayed_total, view.fundraiser.confirmed_total,
        "client and server totals agree"
    );

    let mismatches = server.ledger_mismatches().await;
    assert_eq!(
        mismatches,
        vec![],
        "money created: a total differs from what was charged"
    );
    let faults = proxy.counters.by_kind.lock().unwrap().clone();
    println!(
        "soak: seed {seed}, {:.0?}, {} devices, {rounds} rounds, {passes} passes, {} donations acknowledged \
         ({} confirmed), requests {}, faults {:?}, server restarts {restarts}, client teardowns {teardowns}, \
         double taps {double_taps}, ends {ended:?}, lost: 0, duplicated: {lost_or_doubled}, stuck: {stuck}, \
         hostile requests: {} ({} hijack items, {} refused items), money created: 0",
        start.elapsed(),
        devices.len(),
        acknowledged.len(),
        confirmed.0,
        proxy.counters.requests.load(std::sync::atomic::Ordering::SeqCst),
        faults,
        adversary.requests,
        adversary.hijacks,
        adversary.refused,
    );
    assert!(
        adversary.hijacks > 0,
        "the adversary must have tried something"
    );
    assert!(acknowledged.len() > 10, "the soak must exercise something");
}
