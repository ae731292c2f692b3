//! Sync with the fundraising backend: push queued donations, pull fundraiser changes.
//!
//! A *pass* (at most one per client at a time, behind `pass_lock`) does, in order:
//! 1. expire never-attempted donations past the offline window;
//! 2. fetch `GET /v1/config` (rollout and limits), kept for offline use;
//! 3. push: take up to 100 queued donations in `seq` order into `sending`, post them as one
//!    batch, and apply the per-item results in one transaction. A transient failure
//!    (network, timeout, 5xx, 408, 429) puts that batch back to `queued` and ends the pass;
//!    the next one is scheduled with full-jitter backoff or the server's `Retry-After`;
//! 4. pull: follow the changes feed from the stored cursor into the fundraiser cache.
//!
//! Passes are triggered by `sync_now`, the network coming back (`set_online(true)`), a
//! donation made online, client start-up, and the backoff timer.

pub(crate) mod backoff;
pub(crate) mod http;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;

use crate::client::Shared;
use crate::error::{Error, FundkitError};
use crate::queue::state::Event;
use crate::wire::{
    BatchResult, ChangesPage, DonationBatch, DonationItem, ItemOutcome, ServerConfig, MAX_BATCH,
    MAX_CHANGES_PAGE,
};
use http::{Http, HttpError};

/// Gives the client a bearer token for the signed-in user. Implemented by the host app,
/// which owns the session. Called before each request; `force_refresh` is true once after
/// the server refused the previous token (401). Return `None` when signed out.
/// FundKit never stores or logs the token. Called off the main thread; may block briefly.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait AuthProvider: Send + Sync {
    fn access_token(&self, force_refresh: bool) -> Option<String>;
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SyncReport {
    /// Donations posted to the server in this pass (repeats included).
    pub sent: u32,
    pub confirmed: u32,
    pub rejected: u32,
    pub needs_action: u32,
    /// Answers the server had already given (a resend after a lost response).
    pub duplicates: u32,
    pub expired: u32,
    /// Donations put back in line because the pass ended early.
    pub requeued: u32,
    pub fundraisers_updated: u32,
    /// Donations still queued after the pass.
    pub remaining: u32,
    /// Why the pass ended early, if it did. Nothing is lost: the rest waits.
    pub error: Option<String>,
}

/// The sync engine's state, for the app's status line ("3 donations waiting for network").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SyncState {
    pub online: bool,
    pub syncing: bool,
    pub pending_count: u32,
    pub last_success_at_ms: Option<i64>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// When the next automatic pass is due after a failure.
    pub next_attempt_at_ms: Option<i64>,
}

#[derive(Default)]
struct Status {
    syncing: bool,
    last_success_at_ms: Option<i64>,
    last_error: Option<String>,
    failures: u32,
    next_attempt: Option<(Instant, i64)>,
}

impl Status {
    /// Records a failed pass and schedules the next one.
    fn failed(&mut self, error: Option<String>, retry_after: Option<Duration>, now_ms: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_error = error;
        let delay = backoff::delay(self.failures, retry_after);
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.next_attempt = Some((Instant::now() + delay, now_ms.saturating_add(delay_ms)));
    }
}

pub(crate) struct Engine {
    http: Http,
    pass_lock: tokio::sync::Mutex<()>,
    status: Mutex<Status>,
    wake: tokio::sync::Notify,
}

impl Engine {
    pub(crate) fn new(
        server_url: &str,
        auth: Arc<dyn AuthProvider>,
        platform: crate::rollout::Platform,
    ) -> Result<Engine, FundkitError> {
        let base = http::check_server_url(server_url)?;
        Ok(Engine {
            http: Http::new(base, auth, platform)?,
            pass_lock: tokio::sync::Mutex::new(()),
            status: Mutex::new(Status::default()),
            wake: tokio::sync::Notify::new(),
        })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// Asks the background worker for a pass soon.
    pub(crate) fn trigger(&self) {
        self.wake.notify_one();
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn state(&self, online: bool, pending_count: u32) -> SyncState {
        let s = self.status();
        SyncState {
            online,
            syncing: s.syncing,
            pending_count,
            last_success_at_ms: s.last_success_at_ms,
            last_error: s.last_error.clone(),
            consecutive_failures: s.failures,
            next_attempt_at_ms: s.next_attempt.map(|(_, ms)| ms),
        }
    }
}

/// Runs one pass. Waits for a pass already running to finish first.
pub(crate) async fn run_pass(shared: &Arc<Shared>) -> Result<SyncReport, FundkitError> {
    let engine = &shared.sync;
    let _pass = engine.pass_lock.lock().await;
    engine.status().syncing = true;
    shared.notify_sync_state();
    let outcome = pass(shared).await;
    let now = shared.now_ms();
    {
        let mut s = engine.status();
        s.syncing = false;
        match &outcome {
            Ok((_, None)) => {
                s.last_success_at_ms = Some(now);
                s.last_error = None;
                s.failures = 0;
                s.next_attempt = None;
            }
            Ok((report, Some(failure))) => s.failed(report.error.clone(), failure.retry_after, now),
            Err(e) => s.failed(Some(e.to_string()), None, now),
        }
    }
    shared.notify_sync_state();
    outcome.map(|(report, _)| report)
}

/// Why a pass ended early and when to try again.
struct Failure {
    retry_after: Option<Duration>,
}

async fn pass(shared: &Arc<Shared>) -> Result<(SyncReport, Option<Failure>), FundkitError> {
    let mut report = SyncReport {
        expired: shared.expire_due()?.len() as u32,
        ..SyncReport::default()
    };
    let http = shared.sync.http();

    match http
        .send::<(), ServerConfig>(Method::GET, "v1/config", &[], None, None)
        .await
    {
        Ok(config) => shared.set_server_config(config)?,
        Err(e) => return end_early(shared, report, e),
    }

    loop {
        let batch = shared
            .store
            .claim_batch(MAX_BATCH, shared.now_ms())
            .map_err(FundkitError::from)?;
        if batch.is_empty() {
            break;
        }
        shared.notify_donations(batch.iter().map(|o| o.donation.clone()).collect());
        report.sent += batch.len() as u32;
        let body = DonationBatch {
            donations: batch
                .iter()
                .map(|o| DonationItem {
                    id: o.donation.id.clone(),
                    fundraiser_id: o.donation.fundraiser_id.clone(),
                    amount: o.donation.amount.clone(),
                    message: o.donation.message.clone(),
                    visibility: o.donation.visibility,
                    hide_amount: o.donation.hide_amount,
                    payment_token: o.payment_token.clone(),
                })
                .collect(),
        };
        let ids: Vec<String> = batch.into_iter().map(|o| o.donation.id).collect();
        tracing::info!(count = ids.len(), "posting a donation batch");
        match http
            .send::<_, BatchResult>(Method::POST, "v1/donations/batch", &[], Some(&body), None)
            .await
        {
            Ok(result) => {
                if let Err(e) = apply_results(shared, &ids, result, &mut report) {
                    // Never leave a batch in `sending` within a running client.
                    let events: Vec<_> = ids
                        .iter()
                        .map(|id| (id.clone(), Event::Interrupt))
                        .collect();
                    let _ = shared
                        .store
                        .settle(&events, "apply_failed", shared.now_ms());
                    return Err(e);
                }
            }
            Err(e) => {
                let events: Vec<_> = ids.into_iter().map(|id| (id, Event::Interrupt)).collect();
                let requeued = shared
                    .store
                    .settle(&events, "send_failed", shared.now_ms())
                    .map_err(FundkitError::from)?;
                report.requeued += requeued.len() as u32;
                shared.notify_donations(requeued);
                return end_early(shared, report, e);
            }
        }
    }

    match pull_changes(shared).await {
        Ok(n) => report.fundraisers_updated = n,
        Err(e) => return end_early(shared, report, e),
    }
    report.remaining = shared.store.pending_count().map_err(FundkitError::from)?;
    // Erased tokens must not linger in old WAL frames.
    shared.store.checkpoint().map_err(FundkitError::from)?;
    Ok((report, None))
}

/// Ends a pass on a failed request: transient and permanent failures are reported and
/// retried later with backoff; nothing queued is lost.
fn end_early(
    shared: &Arc<Shared>,
    mut report: SyncReport,
    err: HttpError,
) -> Result<(SyncReport, Option<Failure>), FundkitError> {
    tracing::warn!(error = ?err, "sync pass ended early");
    let retry_after = match &err {
        HttpError::Transient { retry_after, .. } => *retry_after,
        _ => None,
    };
    report.error = Some(FundkitError::from(err).to_string());
    report.remaining = shared.store.pending_count().map_err(FundkitError::from)?;
    Ok((report, Some(Failure { retry_after })))
}

fn apply_results(
    shared: &Arc<Shared>,
    ids: &[String],
    result: BatchResult,
    report: &mut SyncReport,
) -> Result<(), FundkitError> {
    let mut events = Vec::with_capacity(ids.len());
    for id in ids {
        // An item the server did not answer for goes back in line (and is resent).
        let Some(item) = result.results.iter().find(|r| &r.id == id) else {
            events.push((id.clone(), Event::Interrupt));
            report.requeued += 1;
            continue;
        };
        if item.duplicate {
            report.duplicates += 1;
        }
        let code = |default: &str| item.code.clone().unwrap_or_else(|| default.to_owned());
        let event = match item.outcome {
            ItemOutcome::Accepted => {
                report.confirmed += 1;
                Event::Accept {
                    received_at_ms: item.received_at_ms,
                }
            }
            ItemOutcome::Rejected => {
                report.rejected += 1;
                Event::Reject {
                    code: code("rejected"),
                }
            }
            ItemOutcome::NeedsAction => {
                report.needs_action += 1;
                Event::NeedsAction {
                    code: code("needs_action"),
                    action_url: item.action_url.clone(),
                }
            }
            // The server holds different content under this id: this request charged
            // nothing, and the local copy cannot be sent as it is.
            ItemOutcome::Conflict => {
                report.rejected += 1;
                Event::Reject {
                    code: code("idempotency_conflict"),
                }
            }
        };
        events.push((id.clone(), event));
    }
    let changed = shared
        .store
        .settle(&events, "server_answer", shared.now_ms())
        .map_err(FundkitError::from)?;
    shared.notify_donations(changed);
    Ok(())
}

/// Follows the changes feed to its end. Returns how many fundraisers were updated.
async fn pull_changes(shared: &Arc<Shared>) -> Result<u32, HttpError> {
    let store_err = |e: Error| HttpError::Permanent {
        status: 0,
        code: "storage".into(),
        message: FundkitError::from(e).to_string(),
    };
    let mut cursor = shared
        .store
        .meta(CURSOR_KEY)
        .map_err(store_err)?
        .unwrap_or_default();
    let mut updated = 0u32;
    loop {
        let query = [
            ("since", cursor.clone()),
            ("limit", MAX_CHANGES_PAGE.to_string()),
        ];
        let page: ChangesPage = shared
            .sync
            .http()
            .send::<(), _>(Method::GET, "v1/fundraisers/changes", &query, None, None)
            .await?;
        shared
            .store
            .upsert_fundraisers(&page.fundraisers, shared.now_ms())
            .map_err(store_err)?;
        shared
            .store
            .set_meta(CURSOR_KEY, &page.next_cursor)
            .map_err(store_err)?;
        updated += page.fundraisers.len() as u32;
        shared.notify_fundraisers(page.fundraisers.iter().map(|f| f.id.as_str()));
        if !page.has_more || page.next_cursor == cursor {
            break;
        }
        cursor = page.next_cursor;
    }
    Ok(updated)
}

pub(crate) const CURSOR_KEY: &str = "changes_cursor";

/// The background worker: runs a pass when woken or when the backoff timer is due, while
/// the host says it is online. It lives on the client's own runtime, which the client shuts
/// down when it is dropped.
pub(crate) async fn worker(shared: Arc<Shared>) {
    loop {
        // Offline, only a wake-up (the network coming back, sync_now) starts a pass.
        let next = if shared.is_online() {
            shared.sync.status().next_attempt.map(|(at, _)| at)
        } else {
            None
        };
        let notified = shared.sync.wake.notified();
        match next {
            Some(at) => {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep_until(at) => {}
                }
            }
            None => notified.await,
        }
        if !shared.is_online() {
            continue;
        }
        if let Err(e) = run_pass(&shared).await {
            tracing::warn!(error = %e, "background pass failed");
        }
    }
}
