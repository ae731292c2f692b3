//! SQLite storage: the only module that speaks SQL. Every statement is parameterised.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and one connection
//! makes every multi-statement change a plain transaction that no other thread can
//! interleave with, whichever thread the host calls from. The queue runs with
//! `journal_mode=WAL` and `synchronous=FULL`, so a committed donation survives a crash or
//! a power cut (docs/design.md §3, invariant 1). `secure_delete` overwrites deleted content, so
//! an erased payment token or a wiped database leaves nothing readable in the file.

mod eraser;
mod fundraiser_row;
mod owner;
mod schema;

pub(crate) use owner::OwnerLock;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use crate::error::{Error, FundkitError};
use crate::model::{
    Donation, DonationRequest, DonationSource, DonationState, Fundraiser, FundraiserState,
    FundraiserView, GiftAidDeclaration, Visibility,
};
use crate::money::Money;
use crate::queue::state::{transition, Event};
use crate::queue::PendingSummary;
use crate::wire::{DonationEntry, DonationItem, OwnDonation};

type Result<T> = std::result::Result<T, Error>;

/// One recorded transition: (from state, to state, cause, time in ms).
pub type Transition = (Option<String>, String, String, i64);

/// What `enqueue` did.
#[derive(Debug, Clone)]
pub(crate) enum Enqueued {
    New(Donation),
    /// A donation with this id was already queued (a double tap): nothing new was made.
    Existing(Donation),
}

/// A donation taken into a batch, with its payment token (and Gift Aid declaration) for
/// the wire.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub donation: Donation,
    pub payment_token: String,
    pub gift_aid: Option<GiftAidDeclaration>,
}

/// Bytes of JSON a batch item takes besides its message and token (ids, amount, keys),
/// rounded up: the byte budget of a batch counts it for every item.
pub(crate) const ITEM_OVERHEAD_BYTES: usize = 320;

impl Outgoing {
    /// The donation as it travels in a batch.
    pub fn to_item(&self) -> DonationItem {
        let d = &self.donation;
        DonationItem {
            id: d.id.clone(),
            fundraiser_id: d.fundraiser_id.clone(),
            amount: d.amount.clone(),
            message: d.message.clone(),
            visibility: d.visibility,
            hide_amount: d.hide_amount,
            payment_token: self.payment_token.clone(),
            donor_pays: Some(d.donor_pays.clone()),
            cover_fee: d.cover_fee,
            gift_aid: self.gift_aid.clone(),
            source: d.source,
        }
    }
}

/// Which queued donations the next batch may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchLimits {
    pub max_count: usize,
    /// Free text and tokens together; the first donation is taken whatever its size.
    pub max_bytes: usize,
    /// Only donations after this one: a pass sends each donation at most once.
    pub after_seq: i64,
}

pub(crate) struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Empties the WAL in the background when a reader stopped a checkpoint.
    eraser: eraser::Eraser,
}

/// How long a statement waits for another connection's lock before failing busy.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The columns `donation_row` reads, as a literal so that hot statements are built at
/// compile time (`concat!`), not formatted on every call.
macro_rules! donation_columns {
    () => {
        "id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount, \
     state, reason, seq, created_at_ms, updated_at_ms, received_at_ms, action_url, \
     COALESCE(donor_pays_minor, amount_minor), cover_fee, gift_aid, source"
    };
}
const DONATION_COLUMNS: &str = donation_columns!();

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        Self::configure(&conn)?;
        schema::MIGRATIONS.to_latest(&mut conn)?;
        let eraser = eraser::Eraser::new(path.to_path_buf());
        eraser.checkpoint(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            eraser,
        })
    }

    fn configure(conn: &Connection) -> Result<()> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode answers with a row; the others do not.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA wal_autocheckpoint = 0;",
        )?;
        Ok(())
    }

    /// Moves the WAL into the main file and empties it, so that no payment token erased
    /// since stays readable in old WAL frames. SQLite's automatic checkpoint is off: it
    /// would run inside whichever commit crossed its threshold, a `donate` among them.
    /// FundKit checkpoints where nobody waits on it instead: when a sync pass ends (the
    /// answers it applied erased tokens batch after batch), after a cancellation or an
    /// expiry outside a pass, and at start-up (after a pass that a kill cut short).
    /// Never waits for another connection's reader: if one stops the checkpoint, a
    /// background thread retries until it completes (`eraser`). Returns whether the WAL
    /// is empty now.
    pub fn checkpoint(&self) -> Result<bool> {
        self.eraser.checkpoint(&self.conn())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection. A panic while it was held leaves at worst an open transaction that
    /// rusqlite rolled back on unwind, so a poisoned lock is safe to take over.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ---- donations ----

    /// Queues a validated, normalised donation under `id` if `check` accepts the pending
    /// summary, all in one IMMEDIATE transaction so two threads cannot both slip under a cap.
    /// Returns once committed. A donation already stored under `id` (a double tap, a retried
    /// call) is returned as it is, and nothing new is made; the same id with different
    /// content is refused.
    pub fn enqueue(
        &self,
        id: &str,
        new: &DonationRequest,
        donor_pays: &Money,
        now_ms: i64,
        check: impl FnOnce(PendingSummary) -> std::result::Result<(), FundkitError>,
    ) -> Result<Enqueued> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = donation_in(&tx, id)? {
            if !existing.is_same_gift(new) {
                return Err(FundkitError::DuplicateDonationId { id: id.to_owned() }.into());
            }
            return Ok(Enqueued::Existing(existing));
        }
        // Statements on the donate path are prepared once per connection (`prepare_cached`):
        // parsing this INSERT costs more CPU than executing it.
        let summary = tx.prepare_cached(
            "SELECT COUNT(*),
                 COALESCE(SUM(CASE WHEN currency = ?1 THEN COALESCE(donor_pays_minor, amount_minor) ELSE 0 END), 0)
             FROM donations INDEXED BY donations_pending WHERE state IN ('queued', 'sending')",
        )?
        .query_row(params![new.amount.currency], |r| {
            Ok(PendingSummary {
                count: r.get(0)?,
                total_minor: r.get(1)?,
            })
        })?;
        check(summary)?;
        let declaration = new
            .gift_aid
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::Corrupt(format!("Gift Aid declaration: {e}")))?;
        tx.prepare_cached(
            "INSERT INTO donations (id, fundraiser_id, amount_minor, currency, message, visibility,
                 hide_amount, payment_token, state, created_at_ms, updated_at_ms, log,
                 donor_pays_minor, cover_fee, gift_aid, gift_aid_declaration, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            id,
            new.fundraiser_id,
            new.amount.minor_units,
            new.amount.currency,
            new.message,
            visibility_str(new.visibility),
            new.hide_amount,
            new.payment_token,
            now_ms,
            schema::log_line(None, DonationState::Queued.as_str(), "donate", now_ms),
            donor_pays.minor_units,
            new.cover_fee,
            new.gift_aid.is_some(),
            declaration,
            new.source.map(DonationSource::as_str),
        ])?;
        // The row just written, without reading it back.
        let donation = Donation {
            id: id.to_owned(),
            fundraiser_id: new.fundraiser_id.clone(),
            amount: new.amount.clone(),
            message: new.message.clone(),
            visibility: new.visibility,
            hide_amount: new.hide_amount,
            state: DonationState::Queued,
            reason: None,
            seq: tx.last_insert_rowid(),
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            received_at_ms: None,
            action_url: None,
            donor_pays: donor_pays.clone(),
            cover_fee: new.cover_fee,
            gift_aid: new.gift_aid.is_some(),
            source: new.source,
        };
        tx.commit()?;
        Ok(Enqueued::New(donation))
    }

    /// Applies `event` to one donation in one transaction with its cause.
    pub fn apply(&self, id: &str, event: &Event, cause: &str, now_ms: i64) -> Result<Donation> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if matches!(event, Event::Cancel) {
            // A donation that was ever put in a batch may be on the server already:
            // cancelling it locally could hide a charge. Only never-sent ones can be cancelled.
            let sent_before: Option<bool> = tx
                .query_row(
                    "SELECT state = 'queued' AND attempts > 0 FROM donations WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            if sent_before == Some(true) {
                return Err(FundkitError::IllegalTransition {
                    state: DonationState::Queued,
                    action: "cancel (it was already sent once)".into(),
                }
                .into());
            }
        }
        let (donation, erased) = apply_in(&tx, id, event, cause, now_ms)?;
        tx.commit()?;
        if erased {
            self.eraser.checkpoint(&conn)?;
        }
        Ok(donation)
    }

    /// Applies answers (the server's, or a requeue) to donations in one transaction. An
    /// answer that the donation's state no longer takes (a final donation answered again by
    /// a pass of a client torn down mid-send, an unknown id) is ignored: both answers come
    /// from the same server record, so there is nothing to reconcile. Answers arrive within
    /// a sync pass: the tokens they erase leave the WAL when the pass ends (`checkpoint`).
    pub fn settle(
        &self,
        events: &[(String, Event)],
        cause: &str,
        now_ms: i64,
    ) -> Result<Vec<Donation>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = settle_in(&tx, events, cause, now_ms)?;
        tx.commit()?;
        Ok(changed)
    }

    /// Takes queued donations, oldest `seq` first, into `sending`: at most `max_count` of
    /// them and at most `max_bytes` of free text and tokens together (the first one always,
    /// so that an oversized donation reaches the server and is refused on its own instead
    /// of being skipped for ever). Only donations with `seq > after_seq` are taken, so a
    /// pass sends each donation at most once. With it, in the same transaction,
    /// `settle` the previous batch's answers and claim the next batch in ONE
    /// transaction: a drain pays one durable commit per batch, and runs it while the batch
    /// before is in flight (docs/queue.md, "Drain").
    pub fn settle_then_claim(
        &self,
        events: &[(String, Event)],
        cause: &str,
        batch: &BatchLimits,
        now_ms: i64,
    ) -> Result<(Vec<Donation>, Vec<Outgoing>)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = settle_in(&tx, events, cause, now_ms)?;
        let claimed = claim_in(
            &tx,
            "SELECT id FROM (
                 SELECT id, SUM(length(CAST(COALESCE(message, '') AS BLOB))
                                + length(CAST(COALESCE(payment_token, '') AS BLOB))
                                + length(CAST(COALESCE(gift_aid_declaration, '') AS BLOB)) + ?7)
                            OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS running,
                        ROW_NUMBER() OVER (ORDER BY seq) AS n
                 FROM (SELECT id, seq, message, payment_token, gift_aid_declaration
                       FROM donations INDEXED BY donations_pending
                       WHERE state IN ('queued', 'sending') AND state = 'queued' AND seq > ?5
                       ORDER BY seq LIMIT ?4))
             WHERE n = 1 OR running <= ?6",
            params![
                DonationState::Sending.as_str(),
                now_ms,
                schema::log_line(Some("queued"), "sending", "sync_pass", now_ms),
                batch.max_count as i64,
                batch.after_seq,
                batch.max_bytes as i64,
                ITEM_OVERHEAD_BYTES as i64
            ],
        )?;
        tx.commit()?;
        Ok((changed, claimed))
    }

    /// Puts donations that were claimed into a batch but never sent back in line, and takes
    /// back the attempt their claim counted: they cannot be on the server, so they stay
    /// cancellable and their tries are not used up by a pass that ended before them.
    pub fn release(&self, ids: &[String], now_ms: i64) -> Result<Vec<Donation>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = Vec::with_capacity(ids.len());
        for id in ids {
            let (donation, _) = apply_in(&tx, id, &Event::Interrupt, "not_sent", now_ms)?;
            tx.prepare_cached(
                "UPDATE donations SET attempts = attempts - 1 WHERE id = ?1 AND attempts > 0",
            )?
            .execute(params![id])?;
            changed.push(donation);
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Takes queued donations that must not be sent again as they are (tried `max_tries`
    /// times, or tried and older than `cutoff_ms`: their payment authorisation has lapsed)
    /// into `sending`, for the server to settle with reconciliation.
    pub fn claim_for_reconcile(
        &self,
        max_tries: u32,
        cutoff_ms: i64,
        limit: usize,
        now_ms: i64,
    ) -> Result<Vec<Outgoing>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claimed = claim_in(
            &tx,
            "SELECT id FROM donations INDEXED BY donations_pending
             WHERE state IN ('queued', 'sending') AND state = 'queued' AND attempts > 0
                 AND (attempts >= ?5 OR created_at_ms <= ?6)
             ORDER BY seq LIMIT ?4",
            params![
                DonationState::Sending.as_str(),
                now_ms,
                schema::log_line(Some("queued"), "sending", "reconcile", now_ms),
                limit as i64,
                max_tries,
                cutoff_ms
            ],
        )?;
        tx.commit()?;
        Ok(claimed)
    }

    /// Every donation still `sending` goes back to `queued`: used at start-up after a crash
    /// or kill caught a pass mid-send. They are resent safely (the server deduplicates).
    pub fn requeue_all_sending(&self, cause: &str, now_ms: i64) -> Result<Vec<Donation>> {
        self.apply_where(
            "INDEXED BY donations_pending WHERE state IN ('queued', 'sending') AND state = 'sending'",
            params![],
            &Event::Interrupt,
            cause,
            now_ms,
        )
    }

    /// Expires queued donations created at or before `cutoff_ms` that were never attempted.
    /// One that was attempted may already be on the server, so it is resent instead and
    /// the server's answer (deduplicated) decides its fate.
    pub fn expire_due(&self, cutoff_ms: i64, now_ms: i64) -> Result<Vec<Donation>> {
        self.apply_where(
            "INDEXED BY donations_pending WHERE state IN ('queued', 'sending') AND state = 'queued'
                 AND attempts = 0 AND created_at_ms <= ?1",
            params![cutoff_ms],
            &Event::Expire,
            "offline_window_elapsed",
            now_ms,
        )
    }

    /// Selects and transitions in ONE transaction, so that no other connection (a sync pass
    /// of a client being torn down, another process) can change a row in between.
    fn apply_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params + Copy,
        event: &Event,
        cause: &str,
        now_ms: i64,
    ) -> Result<Vec<Donation>> {
        let mut conn = self.conn();
        let select = format!("SELECT id FROM donations {condition} ORDER BY seq");
        // A cheap read first: most calls (every donate, every read) find nothing to do and
        // must not pay for a write transaction.
        if !conn.prepare_cached(&select)?.exists(args)? {
            return Ok(Vec::new());
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare_cached(&select)?;
            let rows = stmt.query_map(args, |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut changed = Vec::with_capacity(ids.len());
        let mut erased_any = false;
        for id in ids {
            let (donation, erased) = apply_in(&tx, &id, event, cause, now_ms)?;
            erased_any |= erased;
            changed.push(donation);
        }
        tx.commit()?;
        if erased_any {
            self.eraser.checkpoint(&conn)?;
        }
        Ok(changed)
    }

    /// Applies the donor's own donations as the server holds them, in one transaction: a
    /// `needs_action` donation whose bank step ended moves on; a donation this device does
    /// not have (made on another device, or before a wipe) joins the history without a
    /// token. Pending donations are left to the push, which gets the same answers.
    pub fn apply_own_donations(
        &self,
        donations: &[OwnDonation],
        now_ms: i64,
    ) -> Result<Vec<Donation>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = Vec::new();
        for own in donations {
            match donation_in(&tx, &own.id)? {
                Some(local) if local.state == DonationState::NeedsAction => {
                    let event = match own.state {
                        DonationState::Confirmed => Event::Accept {
                            received_at_ms: Some(own.received_at_ms),
                        },
                        DonationState::Rejected => Event::Reject {
                            code: own.code.clone().unwrap_or_else(|| "rejected".into()),
                        },
                        _ => continue,
                    };
                    changed.push(apply_in(&tx, &own.id, &event, "bank_step", now_ms)?.0);
                }
                Some(_) => {}
                None if own.state.is_pending() => {}
                None => {
                    tx.prepare_cached(
                        "INSERT INTO donations (id, fundraiser_id, amount_minor, currency, message, visibility,
                             hide_amount, state, reason, attempts, created_at_ms, updated_at_ms,
                             received_at_ms, action_url, log)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?10, ?12, ?13)",
                    )?
                    .execute(params![
                        own.id,
                        own.fundraiser_id,
                        own.amount.minor_units,
                        own.amount.currency,
                        own.message,
                        visibility_str(own.visibility),
                        own.hide_amount,
                        own.state.as_str(),
                        own.code,
                        own.received_at_ms,
                        now_ms,
                        own.action_url,
                        schema::log_line(None, own.state.as_str(), "other_device", now_ms),
                    ])?;
                    changed.extend(donation_in(&tx, &own.id)?);
                }
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    pub fn donation(&self, id: &str) -> Result<Option<Donation>> {
        donation_in(&self.conn(), id)
    }

    /// Queued and sending donations, newest first.
    pub fn pending(&self) -> Result<Vec<Donation>> {
        self.donations_where(
            "state IN ('queued', 'sending') ORDER BY seq DESC",
            params![],
        )
    }

    /// Donations that left the queue, newest first, `limit` at a time before `before_seq`.
    pub fn past(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<Donation>> {
        self.donations_where(
            "state NOT IN ('queued', 'sending') AND seq < ?1 ORDER BY seq DESC LIMIT ?2",
            params![before_seq.unwrap_or(i64::MAX), limit],
        )
    }

    pub fn pending_count(&self) -> Result<u32> {
        Ok(self
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM donations WHERE state IN ('queued', 'sending')")?
            .query_row([], |r| r.get(0))?)
    }

    /// The transition log of one donation: (from, to, cause, at_ms), oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<Transition>> {
        let log: Option<String> = self
            .conn()
            .prepare_cached("SELECT log FROM donations WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        schema::parse_log(&log.unwrap_or_default())
            .map_err(|e| Error::Corrupt(format!("transition log of {id}: {e}")))
    }

    fn donations_where(&self, tail: &str, args: impl rusqlite::Params) -> Result<Vec<Donation>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DONATION_COLUMNS} FROM donations WHERE {tail}"
        ))?;
        let rows = stmt.query_map(args, |r| Ok(donation_row(r)))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    // ---- fundraisers ----

    /// Stores fundraisers from the server (a page of the changes feed, or one fetch). One
    /// this user may no longer see (removed, or a tombstone of one in review) leaves the
    /// cache, with its donors.
    pub fn upsert_fundraisers(&self, fundraisers: &[Fundraiser], now_ms: i64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (gone, kept): (Vec<&Fundraiser>, Vec<&Fundraiser>) =
            fundraisers.iter().partition(|f| {
                !f.viewer_is_organiser
                    && matches!(
                        f.state,
                        FundraiserState::Removed
                            | FundraiserState::InReview
                            | FundraiserState::Draft
                    )
            });
        for f in gone {
            tx.prepare_cached("DELETE FROM fundraisers WHERE id = ?1")?
                .execute(params![f.id])?;
            tx.prepare_cached("DELETE FROM received_donations WHERE fundraiser_id = ?1")?
                .execute(params![f.id])?;
        }
        let fundraisers = kept;
        {
            let mut stmt = tx.prepare_cached(&fundraiser_row::insert_sql("fundraisers"))?;
            for f in fundraisers {
                let values = fundraiser_row::Values::of(f)?;
                stmt.execute(&values.bind(f, &now_ms)[..])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// One cached fundraiser as the server sent it (no pending totals).
    pub fn fundraiser(&self, id: &str) -> Result<Option<Fundraiser>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM fundraisers WHERE id = ?1",
            fundraiser_row::COLUMNS
        ))?;
        let mut rows = stmt.query(params![id])?;
        rows.next()?.map(fundraiser_row::from_row).transpose()
    }

    /// One fundraiser with the donor's own pending donations added, flagged as pending.
    pub fn fundraiser_view(&self, id: &str) -> Result<Option<FundraiserView>> {
        let mut views = self.views_where("WHERE f.id = ?1", params![id])?;
        Ok(views.pop())
    }

    /// A page of fundraisers, most recently updated first, each with pending totals.
    pub fn fundraiser_views(&self, limit: u32, offset: u32) -> Result<Vec<FundraiserView>> {
        self.views_where(
            "ORDER BY f.updated_at_ms DESC, f.id LIMIT ?1 OFFSET ?2",
            params![limit, offset],
        )
    }

    fn views_where(&self, tail: &str, args: impl rusqlite::Params) -> Result<Vec<FundraiserView>> {
        let conn = self.conn();
        // Pending sums first (at most a few dozen rows, from the partial index), then the
        // page of fundraisers: one pass each, nothing queried per row.
        // fundraiser id -> (currency, sum, count): looked up by `&str`, no key built per row.
        let mut pending: HashMap<String, Vec<(String, i64, u32)>> = HashMap::new();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT fundraiser_id, currency, SUM(amount_minor), COUNT(*)
                 FROM donations INDEXED BY donations_pending WHERE state IN ('queued', 'sending')
                 GROUP BY fundraiser_id, currency",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                pending
                    .entry(r.get(0)?)
                    .or_default()
                    .push((r.get(1)?, r.get(2)?, r.get(3)?));
            }
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, fetched_at_ms FROM fundraisers f {tail}",
            fundraiser_row::COLUMNS
        ))?;
        let mut rows = stmt.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let fundraiser = fundraiser_row::from_row(r)?;
            let fetched_at_ms: i64 = r.get(24)?;
            let (pending_minor, pending_count) = pending
                .get(fundraiser.id.as_str())
                .and_then(|sums| {
                    sums.iter()
                        .find(|(currency, ..)| *currency == fundraiser.confirmed_total.currency)
                })
                .map_or((0, 0), |&(_, minor, count)| (minor, count));
            out.push(
                FundraiserView::new(fundraiser, pending_minor, pending_count, fetched_at_ms)
                    .map_err(FundkitError::from)?,
            );
        }
        Ok(out)
    }

    /// Fundraisers the signed-in user organises, most recently updated first.
    pub fn own_fundraiser_ids(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM fundraisers WHERE viewer_is_organiser = 1
             ORDER BY updated_at_ms DESC, id",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores a page of the organiser's donors feed.
    pub fn upsert_received(&self, fundraiser_id: &str, entries: &[DonationEntry]) -> Result<u32> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO received_donations (id, fundraiser_id, donor_name, amount_minor, currency, message,
                     received_at_ms, gift_aid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET donor_name = excluded.donor_name,
                     amount_minor = excluded.amount_minor, currency = excluded.currency,
                     message = excluded.message, received_at_ms = excluded.received_at_ms,
                     gift_aid = excluded.gift_aid",
            )?;
            for e in entries {
                stmt.execute(params![
                    e.id,
                    fundraiser_id,
                    e.donor_name,
                    e.amount.as_ref().map(|m| m.minor_units),
                    e.amount.as_ref().map(|m| m.currency.as_str()),
                    e.message,
                    e.received_at_ms,
                    e.gift_aid
                ])?;
            }
        }
        tx.commit()?;
        Ok(entries.len() as u32)
    }

    /// A page of a fundraiser's donors from the cache, newest first.
    pub fn received(
        &self,
        fundraiser_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<DonationEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, donor_name, amount_minor, currency, message, received_at_ms, gift_aid
             FROM received_donations WHERE fundraiser_id = ?1
             ORDER BY received_at_ms DESC, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(params![fundraiser_id, limit, offset], |r| {
            let minor: Option<i64> = r.get(2)?;
            let currency: Option<String> = r.get(3)?;
            Ok(DonationEntry {
                id: r.get(0)?,
                donor_name: r.get(1)?,
                amount: minor.zip(currency).map(|(minor_units, currency)| Money {
                    minor_units,
                    currency,
                }),
                message: r.get(4)?,
                received_at_ms: r.get(5)?,
                gift_aid: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- sync bookkeeping ----

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM sync_meta WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sync_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Deletes every row, then rebuilds the file so no deleted content stays readable in it
    /// or in the WAL (sign-out, privacy requests).
    pub fn wipe(&self) -> Result<()> {
        let conn = self.conn();
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             DELETE FROM donations;
             DELETE FROM fundraisers;
             DELETE FROM received_donations;
             DELETE FROM sync_meta;
             COMMIT;
             VACUUM;",
        )?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// See `Store::settle`. Returns the donations changed.
fn settle_in(
    tx: &Transaction<'_>,
    events: &[(String, Event)],
    cause: &str,
    now_ms: i64,
) -> Result<Vec<Donation>> {
    let mut changed = Vec::with_capacity(events.len());
    for (id, event) in events {
        match donation_in(tx, id)? {
            Some(current) if transition(current.state, event).is_err() => {
                tracing::info!(%id, state = current.state.as_str(), action = event.action(), "answer ignored");
            }
            Some(_) => {
                changed.push(apply_in(tx, id, event, cause, now_ms)?.0);
            }
            None => tracing::warn!(%id, "answer for an unknown donation ignored"),
        }
    }
    Ok(changed)
}

/// Moves the queued donations `select` picks (`?1` is `sending`, `?2` the time, `?3` the
/// log line, `?4` the limit) into `sending` in one statement that also logs each move (a
/// batch is the hot path of a drain). Taking a donation into a batch counts an attempt.
fn claim_in(
    tx: &Transaction<'_>,
    select: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Outgoing>> {
    // Every row taken is `queued`, so one call of the pure state machine decides them all.
    let to = transition(DonationState::Queued, &Event::StartSend)?;
    debug_assert_eq!(to, DonationState::Sending);
    let mut stmt = tx.prepare_cached(&format!(
        "UPDATE donations SET state = ?1, updated_at_ms = ?2, attempts = attempts + 1,
             log = log || ?3
         WHERE id IN ({select})
         RETURNING {DONATION_COLUMNS}, payment_token, gift_aid_declaration"
    ))?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let donation = donation_row(r)?;
        let token: Option<String> = r.get(18)?;
        let payment_token =
            token.ok_or_else(|| Error::Corrupt("queued donation without a token".into()))?;
        let declaration: Option<String> = r.get(19)?;
        let gift_aid = match declaration {
            Some(json) => Some(
                serde_json::from_str(&json)
                    .map_err(|e| Error::Corrupt(format!("Gift Aid declaration: {e}")))?,
            ),
            None if donation.gift_aid => {
                return Err(Error::Corrupt(
                    "queued Gift Aid donation without its declaration".into(),
                ))
            }
            None => None,
        };
        out.push(Outgoing {
            donation,
            payment_token,
            gift_aid,
        });
    }
    out.sort_by_key(|o| o.donation.seq);
    Ok(out)
}

/// The one place a donation changes state (but for the bulk `claim`): the pure
/// `transition`, then the row, the log entry and, when it leaves the queue, the token's
/// erasure, all in the caller's transaction. Returns the donation as it now is, and whether
/// a token was erased (the caller then checkpoints after committing).
fn apply_in(
    tx: &Transaction<'_>,
    id: &str,
    event: &Event,
    cause: &str,
    now_ms: i64,
) -> Result<(Donation, bool)> {
    let current = donation_in(tx, id)?.ok_or_else(|| FundkitError::NotFound {
        what: format!("donation {id}"),
    })?;
    let to = transition(current.state, event)?;
    let received_at_ms = match event {
        Event::Accept { received_at_ms } => *received_at_ms,
        _ => current.received_at_ms,
    };
    // A confirmed donation carries no reason (not the bank's request it answered).
    let reason = match event {
        Event::Accept { .. } => None,
        _ => event.reason().map(str::to_owned).or(current.reason.clone()),
    };
    let action_url = match event {
        Event::NeedsAction { action_url, .. } => action_url.clone(),
        _ => current.action_url.clone(),
    };
    // A donation leaving the queue has its payment token erased in the same transaction
    // (secure_delete overwrites it in the page; the caller's checkpoint clears the WAL).
    let erase = to.has_left_queue() && current.state.is_pending();
    tx.prepare_cached(
        "UPDATE donations SET state = ?2, reason = ?3, received_at_ms = ?4, updated_at_ms = ?5,
             payment_token = CASE WHEN ?6 THEN NULL ELSE payment_token END,
             gift_aid_declaration = CASE WHEN ?6 THEN NULL ELSE gift_aid_declaration END,
             action_url = ?7,
             log = log || ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        to.as_str(),
        reason,
        received_at_ms,
        now_ms,
        erase,
        action_url,
        schema::log_line(Some(current.state.as_str()), to.as_str(), cause, now_ms),
    ])?;
    let donation = Donation {
        state: to,
        reason,
        received_at_ms,
        action_url,
        updated_at_ms: now_ms,
        ..current
    };
    Ok((donation, erase))
}

fn donation_in(conn: &Connection, id: &str) -> Result<Option<Donation>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        donation_columns!(),
        " FROM donations WHERE id = ?1"
    ))?;
    match stmt
        .query_row(params![id], |r| Ok(donation_row(r)))
        .optional()?
    {
        Some(row) => Ok(Some(row?)),
        None => Ok(None),
    }
}

/// Maps a row; a value this build cannot read is `Corrupt`, never a panic.
fn donation_row(r: &Row<'_>) -> Result<Donation> {
    let visibility: String = r.get(5)?;
    let state: String = r.get(7)?;
    Ok(Donation {
        id: r.get(0)?,
        fundraiser_id: r.get(1)?,
        amount: Money {
            minor_units: r.get(2)?,
            currency: r.get(3)?,
        },
        message: r.get(4)?,
        visibility: parse_visibility(&visibility)?,
        hide_amount: r.get(6)?,
        state: DonationState::parse(&state)
            .ok_or_else(|| Error::Corrupt(format!("donation state {state:?}")))?,
        reason: r.get(8)?,
        seq: r.get(9)?,
        created_at_ms: r.get(10)?,
        updated_at_ms: r.get(11)?,
        received_at_ms: r.get(12)?,
        action_url: r.get(13)?,
        donor_pays: Money {
            minor_units: r.get(14)?,
            currency: r.get(3)?,
        },
        cover_fee: r.get(15)?,
        gift_aid: r.get(16)?,
        source: r
            .get::<_, Option<String>>(17)?
            .as_deref()
            .map(DonationSource::parse),
    })
}

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::HiddenFromPublic => "hidden_from_public",
        Visibility::Anonymous => "anonymous",
    }
}

fn parse_visibility(s: &str) -> Result<Visibility> {
    match s {
        "public" => Ok(Visibility::Public),
        "hidden_from_public" => Ok(Visibility::HiddenFromPublic),
        "anonymous" => Ok(Visibility::Anonymous),
        other => Err(Error::Corrupt(format!("visibility {other:?}"))),
    }
}

#[cfg(test)]
impl Store {
    /// Takes queued donations, oldest `seq` first, into `sending`: at most `limit` of them
    /// and at most `max_bytes` of free text and tokens together (the first one always, so
    /// that an oversized donation reaches the server and is refused on its own instead of
    /// being skipped for ever). Only donations with `seq > after_seq` are taken, so a pass
    /// sends each donation at most once.
    pub fn claim_batch(
        &self,
        max_count: usize,
        max_bytes: usize,
        after_seq: i64,
        now_ms: i64,
    ) -> Result<Vec<Outgoing>> {
        let batch = BatchLimits {
            max_count,
            max_bytes,
            after_seq,
        };
        self.settle_then_claim(&[], "", &batch, now_ms)
            .map(|(_, claimed)| claimed)
    }

    /// Whether the background eraser still owes a checkpoint (tests).
    pub(crate) fn erasing(&self) -> bool {
        self.eraser.busy()
    }

    /// The raw connection, for tests that set up faults (a full disk).
    pub(crate) fn conn_for_tests(&self) -> MutexGuard<'_, Connection> {
        self.conn()
    }
}

#[cfg(test)]
pub(crate) mod schema_for_tests {
    pub(crate) use super::schema::MIGRATIONS;
}
