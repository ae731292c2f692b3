//! Sync with the fundraising backend: push queued donations, pull what changed.
//!
//! A *pass* (at most one per client at a time, behind `pass_lock`) does, in order:
//! 1. expire never-sent donations past the offline window;
//! 2. fetch `GET /v1/config` (rollout and limits), kept for offline use;
//! 3. reconcile: donations sent but never answered that may not be sent again (tried
//!    `MAX_TRIES` times, or past the offline window) are settled by the server once and
//!    for all (`POST /v1/donations/reconcile`: its outcome, or void);
//! 4. push: take queued donations in `seq` order into `sending` (at most 100 and
//!    `MAX_BATCH_BYTES` a batch, each at most once per pass), post them, and apply the
//!    per-item answers in one transaction. A transient failure (network, timeout, 5xx,
//!    408, 429, an answer that leaves donations out) puts what was not answered back to
//!    `queued` and ends the pass; the next one comes after full-jitter backoff or the
//!    server's `Retry-After`. A batch refused as a whole for its content (400, 413, 422)
//!    is split until the culprit is alone, and only that donation ends (`wedged`);
//! 5. pull: the fundraiser changes feed into the cache, then the donor's own donations
//!    feed (bank steps completed or abandoned, donations made on other devices), then the
//!    donors feed of each fundraiser the user organises. Each feed takes at most
//!    `MAX_FEED_PAGES` pages a pass and stops on a cursor it already gave (a cycle): the
//!    pass then ends with `SyncProblem::FeedUnfinished` and the next goes on. An entry
//!    this build cannot read (a value from a newer server) is skipped (`pages`).
//!
//! Only the configured server is asked or believed: redirects are never followed
//! (`http`). An answer that contradicts itself about a donation is no answer for it: the
//! server settles it with `reconcile`.
//!
//! Store work runs on blocking threads, never on the runtime's one worker thread.
//! Passes are triggered by `sync_now`, the network coming back (`set_online(true)`), a
//! donation made online, client start-up, and the backoff timer.

pub(crate) mod api;
pub(crate) mod backoff;
pub(crate) mod http;
mod pages;
#[cfg(feature = "reqwest-transport")]
mod reqwest_transport;
pub mod transport;

#[cfg(feature = "reqwest-transport")]
pub use reqwest_transport::ReqwestTransport;
pub use transport::{
    HttpBody, HttpHeader, HttpRequest, HttpResponse, HttpTransport, TransportError,
};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use http::Method;

use crate::error::{Error, FundkitError};
use crate::model::Donation;
use crate::queue::state::Event;
use crate::shared::Shared;
use crate::status::{SyncProblem, SyncReport};
use crate::store::{BatchLimits, Outgoing};
use crate::wire::{
    BatchResult, DonationBatch, ItemOutcome, ItemResult, ReconcileRequest, MAX_BATCH,
    MAX_CHANGES_PAGE,
};
use http::Http;

/// Gives the client a bearer token for the signed-in user. Implemented by the host app,
/// which owns the session. Called before each request; `force_refresh` is true once after
/// the server refused the previous token (401). Return `None` when signed out.
/// FundKit never stores or logs the token. Called off the main thread; may block briefly.
#[cfg_attr(feature = "ffi", uniffi::export(with_foreign))]
pub trait AuthProvider: Send + Sync {
    fn access_token(&self, force_refresh: bool) -> Option<String>;
}

/// The HTTP side of sync: one per client, held by the client and passed to each pass.
pub(crate) struct Engine {
    http: Http,
    pass_lock: tokio::sync::Mutex<()>,
}

impl Engine {
    pub(crate) fn new(
        server_url: &str,
        auth: Arc<dyn AuthProvider>,
        platform: crate::rollout::Platform,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Engine, FundkitError> {
        let base = http::check_server_url(server_url)?;
        Ok(Engine {
            http: Http::new(base, auth, platform, transport),
            pass_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }
}

/// Runs one pass. Waits for a pass already running to finish first.
pub(crate) async fn run_pass(
    shared: &Arc<Shared>,
    engine: &Engine,
) -> Result<SyncReport, FundkitError> {
    let _pass = engine.pass_lock.lock().await;
    shared.sync_status().syncing = true;
    shared.notify_sync_state();
    let outcome = pass(shared, engine).await;
    if let Err(e) = blocking(shared, |s| Ok(s.store.checkpoint()?)).await {
        tracing::warn!(error = %e, "checkpoint after the pass failed");
    }
    let now = shared.now_ms();
    {
        let mut s = shared.sync_status();
        s.syncing = false;
        match &outcome {
            Ok((_, None)) => s.succeeded(now),
            Ok((report, Some(failure))) => {
                let problem = report.error.clone().unwrap_or(SyncProblem::Internal {
                    detail: "the pass ended early".into(),
                });
                let delay = backoff::delay(s.failures + 1, failure.retry_after);
                s.failed(problem, delay, now)
            }
            Err(e) => {
                let delay = backoff::delay(s.failures + 1, None);
                s.failed(SyncProblem::from(e), delay, now)
            }
        }
    }
    shared.notify_sync_state();
    outcome.map(|(report, _)| report)
}

/// Why a pass ended early and when to try again.
struct Failure {
    retry_after: Option<Duration>,
}

/// Most times a donation is put in a batch before it is settled by reconciliation instead
/// of being sent again: no donation is retried without bound (docs/queue.md).
pub(crate) const MAX_TRIES: u32 = 50;

/// Most bytes of free text and payment tokens one batch carries: with the fixed part of
/// each item, a full batch stays far below the server's 1 MiB body limit.
pub(crate) const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Runs `f` with the store on a blocking thread: SQLite never blocks the runtime's thread.
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> Result<T, FundkitError> + Send + 'static,
) -> Result<T, FundkitError> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || f(&shared))
        .await
        .map_err(|e| FundkitError::Internal {
            detail: format!("store task failed: {e}"),
        })?
}

async fn pass(
    shared: &Arc<Shared>,
    engine: &Engine,
) -> Result<(SyncReport, Option<Failure>), FundkitError> {
    // Only one pass runs per client, so a donation in `sending` now belongs to no live
    // pass: one of a client torn down mid-pass (its last store call may land after the new
    // client's start-up recovery). Back in line, in order; the server deduplicates.
    let orphans = blocking(shared, |s| {
        Ok(s.store
            .requeue_all_sending("orphaned_by_a_pass", s.now_ms())?)
    })
    .await?;
    shared.notify_donations(&orphans);
    let mut report = SyncReport {
        expired: blocking(shared, |s| s.expire_due()).await?.len() as u32,
        ..SyncReport::default()
    };
    let http = engine.http();

    // Read leniently (`pages::server_config`): a value from a newer server never fails
    // the pass; at worst the last config is kept.
    match http
        .send::<(), serde_json::Value>(Method::Get, "v1/config", &[], None, None)
        .await
    {
        Ok(value) => {
            if let Some(config) = pages::server_config(value) {
                blocking(shared, move |s| s.set_server_config(config)).await?
            }
        }
        Err(e) => return end_early(shared, report, e).await,
    }

    if let Some(e) = reconcile(shared, engine, &mut report).await? {
        return end_early(shared, report, e).await;
    }

    if let Some(e) = drain(shared, engine, &mut report).await? {
        return end_early(shared, report, e).await;
    }

    // A feed that does not reach its end in this pass (too many pages, a cycle) does not
    // hold back the others; the pass reports it and the next one goes on.
    let mut unfinished = None;
    match pull_changes(shared, engine).await {
        Ok((n, cut)) => {
            report.fundraisers_updated = n;
            unfinished = unfinished.or(cut);
        }
        Err(e) => return end_early(shared, report, e).await,
    }
    match pull_own_donations(shared, engine).await {
        Ok((n, cut)) => {
            report.own_donations_updated = n;
            unfinished = unfinished.or(cut);
        }
        Err(e) => return end_early(shared, report, e).await,
    }
    match pull_donors(shared, engine).await {
        Ok(cut) => unfinished = unfinished.or(cut),
        Err(e) => return end_early(shared, report, e).await,
    }
    report.remaining = blocking(shared, |s| Ok(s.store.pending_count()?)).await?;
    match unfinished {
        None => Ok((report, None)),
        Some(problem) => {
            report.error = Some(problem);
            Ok((report, Some(Failure { retry_after: None })))
        }
    }
}

/// Does the server refuse this request for its content (so that a smaller request may
/// pass)? Not for auth, rate limits, timeouts, or a route the server does not have: those
/// say nothing about the donations in it.
fn refuses_content(err: &Error) -> Option<&str> {
    match err {
        Error::Refused {
            status: 400 | 413 | 422,
            code,
            ..
        } => Some(code.as_str()),
        _ => None,
    }
}

/// Pushes the queue, batch after batch, in `seq` order. Each donation goes out at most
/// once per pass: a claim takes only what comes after the last one taken.
///
/// The network and the disk overlap: while batch N is in flight, one transaction applies
/// the answers of batch N-1 and claims batch N+1. Requests stay one at a time and in
/// order; a crash in between leaves both batches `sending`, requeued at start-up and
/// resent (the server deduplicates). A batch claimed but never sent is released with its
/// attempt taken back. Returns the failure that ends the pass, if any.
async fn drain(
    shared: &Arc<Shared>,
    engine: &Engine,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    let limits = |after_seq| BatchLimits {
        max_count: MAX_BATCH,
        max_bytes: MAX_BATCH_BYTES,
        after_seq,
    };
    let mut batch = store_step(shared, Vec::new(), limits(0)).await?;
    let mut answered: Vec<(String, Event)> = Vec::new();
    while let Some(last) = batch.last() {
        let after_seq = last.donation.seq;
        let taken: Vec<Donation> = batch.iter().map(|o| o.donation.clone()).collect();
        shared.notify_donations(&taken);
        report.sent += batch.len() as u32;
        let ids: Vec<String> = taken.into_iter().map(|d| d.id).collect();
        let (answer, next) = tokio::join!(
            post_batch(engine, &batch),
            store_step(shared, std::mem::take(&mut answered), limits(after_seq))
        );
        let next = next?;
        let unsent = |next: &[Outgoing]| next.iter().map(|o| o.donation.id.clone()).collect();
        match answer {
            Ok(result) => {
                let answers = answers_to_events(&ids, result, report);
                if answers.unanswered.is_empty() && answers.contradicted.is_empty() {
                    answered = answers.events;
                    batch = next;
                    continue;
                }
                release(shared, unsent(&next)).await?;
                let failure =
                    apply_answers(shared, Some(engine), answers, "server_answer", report).await?;
                if failure.is_some() {
                    return Ok(failure);
                }
                batch = store_step(shared, Vec::new(), limits(after_seq)).await?;
            }
            Err(e) => {
                release(shared, unsent(&next)).await?;
                if refuses_content(&e).is_none() {
                    report.requeued += requeue(shared, ids).await?;
                    return Ok(Some(e));
                }
                if let Some(e) = push_refused(shared, engine, batch, &e, report).await? {
                    return Ok(Some(e));
                }
                batch = store_step(shared, Vec::new(), limits(after_seq)).await?;
            }
        }
    }
    settle(shared, answered, "server_answer").await?;
    Ok(None)
}

/// One transaction: apply the previous batch's answers, claim the next batch.
async fn store_step(
    shared: &Arc<Shared>,
    answered: Vec<(String, Event)>,
    limits: BatchLimits,
) -> Result<Vec<Outgoing>, FundkitError> {
    let (changed, claimed) = blocking(shared, move |s| {
        Ok(s.store
            .settle_then_claim(&answered, "server_answer", &limits, s.now_ms())?)
    })
    .await?;
    shared.notify_donations(&changed);
    Ok(claimed)
}

async fn post_batch(engine: &Engine, batch: &[Outgoing]) -> Result<BatchResult, Error> {
    let body = DonationBatch {
        donations: batch.iter().map(Outgoing::to_item).collect(),
    };
    tracing::info!(count = batch.len(), "posting a donation batch");
    engine
        .http()
        .send::<_, BatchResult>(Method::Post, "v1/donations/batch", &[], Some(&body), None)
        .await
}

/// Resolves a batch the server refused as a whole for its content (`refusal`): it is split
/// in halves and resent until the culprit is alone; that one ends `rejected` with the
/// server's code (cause `wedged`), the others go through. (A refused request changed
/// nothing on the server, so the halves are not resends.) Returns the failure that ends
/// the pass, if any; what was not answered goes back in line.
async fn push_refused(
    shared: &Arc<Shared>,
    engine: &Engine,
    mut batch: Vec<Outgoing>,
    refusal: &Error,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    if batch.len() == 1 {
        return wedged(shared, engine, batch, refusal, report).await;
    }
    let second = batch.split_off(batch.len() / 2);
    let mut stack = vec![second, batch];
    while let Some(mut part) = stack.pop() {
        let ids: Vec<String> = part.iter().map(|o| o.donation.id.clone()).collect();
        let failure = match post_batch(engine, &part).await {
            Ok(result) => {
                let answers = answers_to_events(&ids, result, report);
                apply_answers(shared, Some(engine), answers, "server_answer", report).await?
            }
            Err(e) => match refuses_content(&e) {
                Some(_) if part.len() == 1 => wedged(shared, engine, part, &e, report).await?,
                Some(_) => {
                    let second = part.split_off(part.len() / 2);
                    stack.push(second);
                    stack.push(part);
                    None
                }
                None => {
                    report.requeued += requeue(shared, ids).await?;
                    Some(e)
                }
            },
        };
        if let Some(e) = failure {
            let rest: Vec<String> = stack.into_iter().flatten().map(|o| o.donation.id).collect();
            report.requeued += requeue(shared, rest).await?;
            return Ok(Some(e));
        }
    }
    Ok(None)
}

/// Alone and still refused: the culprit. It may have been charged by an earlier attempt
/// whose answer was lost, so it is not simply rejected: the server settles it (its
/// outcome, or void for good, then it ends `rejected` with the refusal's code).
async fn wedged(
    shared: &Arc<Shared>,
    engine: &Engine,
    culprit: Vec<Outgoing>,
    refusal: &Error,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    tracing::warn!(status = ?refusal, "the server refuses a donation on its own: wedged");
    let refused = refuses_content(refusal).map(str::to_owned);
    let ids = culprit.into_iter().map(|o| o.donation.id).collect();
    ask_server(shared, engine, ids, refused, "wedged", report).await
}

/// Settles donations that were sent but never answered (tried `MAX_TRIES` times, or tried
/// and past the offline window) by asking the server, which answers each with the outcome
/// it holds or voids it for good. Returns the failure that ends the pass, if any.
async fn reconcile(
    shared: &Arc<Shared>,
    engine: &Engine,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    loop {
        let now = shared.now_ms();
        let cutoff = crate::queue::expiry_cutoff(now, &shared.config().limits);
        let due = blocking(shared, move |s| {
            Ok(s.store
                .claim_for_reconcile(MAX_TRIES, cutoff, MAX_BATCH, now)?)
        })
        .await?;
        if due.is_empty() {
            return Ok(None);
        }
        let ids: Vec<String> = due.into_iter().map(|o| o.donation.id).collect();
        tracing::info!(count = ids.len(), "reconciling unanswered donations");
        if let Some(e) = ask_server(shared, engine, ids, None, "reconciled", report).await? {
            return Ok(Some(e));
        }
    }
}

/// Asks the server to settle donations in `sending` once and for all (`reconcile`) and
/// applies its answers. A void answer ends a donation `expired`, or `rejected` with
/// `refused` when the server had refused it on its own. Returns the failure that ends the
/// pass, if any; what was not answered goes back in line.
async fn ask_server(
    shared: &Arc<Shared>,
    engine: &Engine,
    ids: Vec<String>,
    refused: Option<String>,
    cause: &'static str,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    let body = ReconcileRequest { ids: ids.clone() };
    match engine
        .http()
        .send::<_, BatchResult>(
            Method::Post,
            "v1/donations/reconcile",
            &[],
            Some(&body),
            None,
        )
        .await
    {
        Ok(mut result) => {
            if let Some(code) = refused {
                for item in result
                    .results
                    .iter_mut()
                    .filter(|r| r.outcome == ItemOutcome::Void)
                {
                    item.outcome = ItemOutcome::Rejected;
                    item.code = Some(code.clone());
                }
            }
            // A contradictory answer to a reconciliation is no answer: back in line, and
            // the next pass asks again (never a loop within the pass).
            let answers = answers_to_events(&ids, result, report);
            apply_answers(shared, None, answers, cause, report).await
        }
        Err(e) => {
            report.requeued += requeue(shared, ids).await?;
            Ok(Some(e))
        }
    }
}

/// Puts donations taken into a batch back in line, in order.
async fn requeue(shared: &Arc<Shared>, ids: Vec<String>) -> Result<u32, FundkitError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let events = ids.into_iter().map(|id| (id, Event::Interrupt)).collect();
    settle(shared, events, "send_failed").await
}

/// Puts donations claimed but never sent back in line (see `Store::release`).
async fn release(shared: &Arc<Shared>, ids: Vec<String>) -> Result<(), FundkitError> {
    if ids.is_empty() {
        return Ok(());
    }
    let changed = blocking(shared, move |s| Ok(s.store.release(&ids, s.now_ms())?)).await?;
    shared.notify_donations(&changed);
    Ok(())
}

/// Applies events in one transaction and tells the listener. Returns how many changed.
async fn settle(
    shared: &Arc<Shared>,
    events: Vec<(String, Event)>,
    cause: &'static str,
) -> Result<u32, FundkitError> {
    let changed = blocking(shared, move |s| {
        Ok(s.store.settle(&events, cause, s.now_ms())?)
    })
    .await?;
    shared.notify_donations(&changed);
    Ok(changed.len() as u32)
}

/// A request's answers, sorted out: events for the donations answered, the ids left
/// unanswered (or answered with an outcome this build does not know), and the ids the
/// answer contradicts itself about.
struct Answers {
    events: Vec<(String, Event)>,
    unanswered: Vec<String>,
    contradicted: Vec<String>,
}

/// Applies the server's per-item answers to the donations of one request. Answers for ids
/// not in the request are ignored, a repeated answer counts once. A donation the answer
/// contradicts itself about (two different outcomes for one id) is no answer: with
/// `reconcile_with`, the server is asked once more for the outcome it holds
/// (`reconcile`), otherwise it goes back in line. If the answer leaves a donation out (a
/// partial or odd answer), the answered ones are settled, the rest go back in line, and
/// the pass ends as a transient failure: never a tight loop.
async fn apply_answers(
    shared: &Arc<Shared>,
    reconcile_with: Option<&Engine>,
    answers: Answers,
    cause: &'static str,
    report: &mut SyncReport,
) -> Result<Option<Error>, FundkitError> {
    let Answers {
        events,
        mut unanswered,
        contradicted,
    } = answers;
    settle(shared, events, cause).await?;
    if !contradicted.is_empty() {
        tracing::warn!(
            count = contradicted.len(),
            "the server's answer contradicts itself; asking it to reconcile"
        );
        match reconcile_with {
            Some(engine) => {
                // Boxed: `ask_server` applies its own answers with this function.
                let failure = Box::pin(ask_server(
                    shared,
                    engine,
                    contradicted,
                    None,
                    "reconciled",
                    report,
                ))
                .await?;
                if let Some(e) = failure {
                    report.requeued += requeue(shared, unanswered).await?;
                    return Ok(Some(e));
                }
            }
            None => unanswered.extend(contradicted),
        }
    }
    if unanswered.is_empty() {
        return Ok(None);
    }
    Ok(Some(left_out(shared, unanswered, report).await?))
}

/// Sorts out the answers of one request (see `Answers`). Answers for ids not in the
/// request are ignored, a repeated answer counts once; two different outcomes for one id
/// make it contradicted, whichever came first.
fn answers_to_events(ids: &[String], result: BatchResult, report: &mut SyncReport) -> Answers {
    // id -> its one answer, or None once the answer contradicts itself about it.
    let mut answers: HashMap<&str, Option<&ItemResult>> =
        HashMap::with_capacity(result.results.len());
    for item in &result.results {
        match answers.entry(item.id.as_str()) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Some(item));
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if e.get().is_some_and(|first| first.outcome != item.outcome) {
                    e.insert(None);
                }
            }
        }
    }
    let mut out = Answers {
        events: Vec::with_capacity(ids.len()),
        unanswered: Vec::new(),
        contradicted: Vec::new(),
    };
    for id in ids {
        match answers.get(id.as_str()) {
            Some(Some(item)) => match event_for(item, report) {
                Some(event) => out.events.push((id.clone(), event)),
                None => out.unanswered.push(id.clone()),
            },
            Some(None) => out.contradicted.push(id.clone()),
            None => out.unanswered.push(id.clone()),
        }
    }
    let sent: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let stray = answers.keys().filter(|id| !sent.contains(*id)).count();
    if stray > 0 {
        tracing::warn!(stray, "answers for donations not in the request ignored");
    }
    out
}

/// Donations an answer left out go back in line, and the pass ends as a transient failure.
async fn left_out(
    shared: &Arc<Shared>,
    unanswered: Vec<String>,
    report: &mut SyncReport,
) -> Result<Error, FundkitError> {
    tracing::warn!(
        count = unanswered.len(),
        "the server's answer left donations out"
    );
    let count = unanswered.len();
    report.requeued += requeue(shared, unanswered).await?;
    Ok(Error::Offline {
        message: format!(
            "the server's answer left out {count} donation(s); they wait for the next pass"
        ),
        retry_after: None,
    })
}

/// The state-machine event for one answer, counted in the report; `None` for an outcome
/// this build does not know (treated as no answer).
fn event_for(item: &ItemResult, report: &mut SyncReport) -> Option<Event> {
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
        ItemOutcome::Void => {
            report.expired += 1;
            Event::Void
        }
        ItemOutcome::Unknown => return None,
    };
    if item.duplicate {
        report.duplicates += 1;
    }
    Some(event)
}

/// Ends a pass on a failed request: transient and permanent failures are reported and
/// retried later with backoff; nothing queued is lost.
async fn end_early(
    shared: &Arc<Shared>,
    mut report: SyncReport,
    err: impl Into<Error>,
) -> Result<(SyncReport, Option<Failure>), FundkitError> {
    let err = err.into();
    tracing::warn!(error = %err, "sync pass ended early");
    let retry_after = match &err {
        Error::Offline { retry_after, .. } => *retry_after,
        _ => None,
    };
    report.error = Some(SyncProblem::from(&FundkitError::from(err)));
    report.remaining = blocking(shared, |s| Ok(s.store.pending_count()?)).await?;
    Ok((report, Some(Failure { retry_after })))
}

/// Most pages one feed may take in one pass. A feed that still answers `has_more` after
/// that (a broken or hostile server, or a backlog larger than this) is left for the next
/// pass, which resumes from the last cursor stored: a pass always ends, and the pass lock
/// and the queue are never held for as long as a server keeps answering.
pub(crate) const MAX_FEED_PAGES: u32 = 100;

/// Follows a cursor feed towards its end: `fetch` gets a page from a cursor, `apply`
/// stores it (on a blocking thread) and returns how many rows it changed. The cursor is
/// stored after each page, so an interrupted pull resumes where it stopped.
///
/// Bounded: at most `MAX_FEED_PAGES` pages, and a cursor seen before in this pass (a
/// cycle, or `has_more` with the same cursor) stops it. Either way the pages read are
/// kept and the feed's problem is returned (`SyncProblem::FeedUnfinished`), for the pass
/// to report once the other feeds are pulled.
async fn follow_feed<P, F, Fut, A>(
    shared: &Arc<Shared>,
    feed: &str,
    cursor_key: String,
    fetch: F,
    apply: A,
    next: fn(&P) -> (&str, bool),
) -> Result<(u32, Option<SyncProblem>), Error>
where
    P: Send + Sync + 'static,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<P, Error>>,
    A: Fn(&Shared, &P) -> Result<u32, FundkitError> + Send + Sync + 'static,
{
    let apply = Arc::new(apply);
    let mut cursor = {
        let key = cursor_key.clone();
        blocking(shared, move |s| Ok(s.store.meta(&key)?))
            .await?
            .unwrap_or_default()
    };
    let mut seen = HashSet::from([cursor.clone()]);
    let mut updated = 0u32;
    for _ in 0..MAX_FEED_PAGES {
        let page = Arc::new(fetch(cursor.clone()).await?);
        let (next_cursor, has_more) = {
            let (c, more) = next(&page);
            (c.to_owned(), more)
        };
        let (p, c, key, apply) = (
            Arc::clone(&page),
            next_cursor.clone(),
            cursor_key.clone(),
            Arc::clone(&apply),
        );
        updated += blocking(shared, move |s| {
            let n = apply(s, &p)?;
            s.store.set_meta(&key, &c)?;
            Ok(n)
        })
        .await?;
        if !has_more {
            return Ok((updated, None));
        }
        if !seen.insert(next_cursor.clone()) {
            tracing::warn!(
                feed,
                "a feed's cursors went round in a circle; left for the next pass"
            );
            return Ok((
                updated,
                Some(SyncProblem::FeedUnfinished {
                    feed: feed.to_owned(),
                    detail: format!(
                        "the {feed} feed answered a cursor it had already given in this pass \
                         (a cycle); what was read is kept and the next pass tries again"
                    ),
                }),
            ));
        }
        cursor = next_cursor;
    }
    tracing::warn!(
        feed,
        pages = MAX_FEED_PAGES,
        "a feed still has more after the most pages one pass takes; left for the next pass"
    );
    Ok((
        updated,
        Some(SyncProblem::FeedUnfinished {
            feed: feed.to_owned(),
            detail: format!(
                "the {feed} feed still had more after {MAX_FEED_PAGES} pages; what was read \
                 is kept and the next pass goes on from there"
            ),
        }),
    ))
}

/// Follows the fundraiser changes feed. Returns how many fundraisers changed, and the
/// feed's problem if it did not reach its end.
async fn pull_changes(
    shared: &Arc<Shared>,
    engine: &Engine,
) -> Result<(u32, Option<SyncProblem>), Error> {
    let http = engine.http();
    follow_feed(
        shared,
        "fundraisers",
        CURSOR_KEY.to_owned(),
        |since| {
            let query = [("since", since), ("limit", MAX_CHANGES_PAGE.to_string())];
            async move {
                http.send::<(), pages::ChangesPage>(
                    Method::Get,
                    "v1/fundraisers/changes",
                    &query,
                    None,
                    None,
                )
                .await
            }
        },
        |s: &Shared, page: &pages::ChangesPage| {
            s.store.upsert_fundraisers(&page.fundraisers, s.now_ms())?;
            s.notify_fundraisers(page.fundraisers.iter().map(|f| f.id.as_str()));
            Ok(page.fundraisers.len() as u32)
        },
        |page| (&page.next_cursor, page.has_more),
    )
    .await
}

/// Follows the donor's own donations feed: moves `needs_action` donations to `confirmed`
/// or `rejected` once the donor completed or abandoned the bank's step, and brings the
/// donor's donations made on other devices into the history.
async fn pull_own_donations(
    shared: &Arc<Shared>,
    engine: &Engine,
) -> Result<(u32, Option<SyncProblem>), Error> {
    let http = engine.http();
    follow_feed(
        shared,
        "own donations",
        OWN_CURSOR_KEY.to_owned(),
        |since| {
            let query = [("since", since), ("limit", MAX_CHANGES_PAGE.to_string())];
            async move {
                http.send::<(), pages::OwnDonationsPage>(
                    Method::Get,
                    "v1/me/donations/changes",
                    &query,
                    None,
                    None,
                )
                .await
            }
        },
        |s: &Shared, page: &pages::OwnDonationsPage| {
            let changed = s.store.apply_own_donations(&page.donations, s.now_ms())?;
            s.notify_donations(&changed);
            Ok(changed.len() as u32)
        },
        |page| (&page.next_cursor, page.has_more),
    )
    .await
}

pub(crate) const OWN_CURSOR_KEY: &str = "own_donations_cursor";

/// For each fundraiser the user organises, follows its donors feed into the cache (so the
/// organiser's dashboard works offline) and keeps the donor count. Returns the first
/// feed's problem if one did not reach its end (the others are still pulled).
async fn pull_donors(shared: &Arc<Shared>, engine: &Engine) -> Result<Option<SyncProblem>, Error> {
    let own = blocking(shared, |s| Ok(s.store.own_fundraiser_ids()?)).await?;
    let mut problem = None;
    for id in own {
        let path = format!("v1/fundraisers/{id}/donors");
        let fundraiser_id = id.clone();
        let (_, cut) = follow_feed(
            shared,
            "donors",
            format!("donors_cursor:{id}"),
            |since| {
                let query = [("since", since), ("limit", MAX_CHANGES_PAGE.to_string())];
                let path = path.clone();
                async move {
                    engine
                        .http()
                        .send::<(), pages::DonorsPage>(Method::Get, &path, &query, None, None)
                        .await
                }
            },
            move |s: &Shared, page: &pages::DonorsPage| {
                s.store.upsert_received(&fundraiser_id, &page.donations)?;
                s.store.set_meta(
                    &format!("donor_count:{fundraiser_id}"),
                    &page.donor_count.to_string(),
                )?;
                s.notify_fundraisers(std::iter::once(fundraiser_id.as_str()));
                Ok(page.donations.len() as u32)
            },
            |page| (&page.next_cursor, page.has_more),
        )
        .await?;
        problem = problem.or(cut);
    }
    Ok(problem)
}
pub(crate) const CURSOR_KEY: &str = "changes_cursor";

/// The background worker: runs a pass when woken or when the backoff timer is due, while
/// the host says it is online. It lives on the client's own runtime, which the client shuts
/// down when it is dropped.
pub(crate) async fn worker(shared: Arc<Shared>, engine: Arc<Engine>) {
    loop {
        // Offline, only a wake-up (the network coming back, sync_now) starts a pass.
        let next = if shared.is_online() {
            shared.sync_status().next_attempt.map(|(at, _)| at)
        } else {
            None
        };
        let notified = shared.wake.notified();
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
        if let Err(e) = run_pass(&shared, &engine).await {
            tracing::warn!(error = %e, "background pass failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, outcome: ItemOutcome) -> ItemResult {
        ItemResult {
            id: id.into(),
            outcome,
            duplicate: false,
            code: None,
            action_url: None,
            received_at_ms: Some(1),
        }
    }

    /// Two different outcomes for one id in one answer (rejected, then accepted) are no
    /// answer, whichever comes first: before, the first silently won.
    #[test]
    fn a_contradictory_answer_is_no_answer() {
        let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).into();
        let result = BatchResult {
            results: vec![
                item("a", ItemOutcome::Rejected),
                item("b", ItemOutcome::Accepted),
                item("a", ItemOutcome::Accepted),
                item("b", ItemOutcome::Accepted),
                item("c", ItemOutcome::Accepted),
                item("c", ItemOutcome::NeedsAction),
                item("c", ItemOutcome::Accepted),
                item("zz", ItemOutcome::Accepted),
            ],
        };
        let mut report = SyncReport::default();
        let answers = answers_to_events(&ids, result, &mut report);
        assert_eq!(
            answers
                .events
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>(),
            ["b"],
            "a repeated identical answer counts once"
        );
        assert_eq!(answers.contradicted, ["a", "c"]);
        assert_eq!(answers.unanswered, ["d"]);
        assert_eq!((report.confirmed, report.rejected), (1, 0));
    }
}
