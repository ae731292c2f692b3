//! The server's SQLite: schema, migrations and every query. One connection behind a mutex,
//! used from blocking threads; each request that changes anything is one transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use axum::http::StatusCode;
use fundkit::model::{Fundraiser, FundraiserDraft, FundraiserEdit, FundraiserState, Visibility};
use fundkit::money::Money;
use fundkit::wire::{
    DonationEntry, DonationItem, ItemOutcome, ItemResult, OwnDonation, ServerConfig,
};
use fundkit::DonationState;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

use crate::auth::DevUser;
use crate::error::Failure;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE fundraisers (
            id              TEXT PRIMARY KEY,
            organiser_id    TEXT NOT NULL,
            organiser_name  TEXT NOT NULL,
            kind            TEXT NOT NULL,
            category        TEXT NOT NULL,
            title           TEXT NOT NULL,
            story           TEXT NOT NULL,
            goal_minor      INTEGER NOT NULL,
            currency        TEXT NOT NULL,
            country         TEXT NOT NULL,
            state           TEXT NOT NULL,
            confirmed_minor INTEGER NOT NULL DEFAULT 0,
            donation_count  INTEGER NOT NULL DEFAULT 0,
            duration_days   INTEGER NOT NULL,
            created_at_ms   INTEGER NOT NULL,
            ends_at_ms      INTEGER NOT NULL,
            updated_at_ms   INTEGER NOT NULL,
            change_seq      INTEGER NOT NULL UNIQUE
        );
        CREATE INDEX fundraisers_by_organiser ON fundraisers(organiser_id, state);
        CREATE TABLE fundraiser_keys (
            organiser_id  TEXT NOT NULL,
            idem_key      TEXT NOT NULL,
            fingerprint   TEXT NOT NULL,
            fundraiser_id TEXT NOT NULL REFERENCES fundraisers(id),
            PRIMARY KEY (organiser_id, idem_key)
        );
        -- One outcome per (donor, donation id): the idempotency key's unique constraint.
        -- Payment tokens are never stored; the fingerprint covers them.
        CREATE TABLE donations (
            donor_id       TEXT NOT NULL,
            id             TEXT NOT NULL,
            fundraiser_id  TEXT NOT NULL,
            amount_minor   INTEGER NOT NULL,
            currency       TEXT NOT NULL,
            message        TEXT,
            visibility     TEXT NOT NULL,
            hide_amount    INTEGER NOT NULL,
            fingerprint    TEXT NOT NULL,
            outcome        TEXT NOT NULL,
            code           TEXT,
            action_url     TEXT,
            received_at_ms INTEGER NOT NULL,
            PRIMARY KEY (donor_id, id)
        );
        CREATE INDEX donations_by_fundraiser ON donations(fundraiser_id, outcome, received_at_ms);",
        ),
        // v2: the donor's own changes feed (a donation's outcome can change after the batch:
        // the bank step), the bank step's secret challenge and deadline, and void records
        // (reconciliation: an id that can never be charged).
        M::up(
            "ALTER TABLE donations ADD COLUMN change_seq INTEGER;
             UPDATE donations SET change_seq = rowid;
             CREATE UNIQUE INDEX donations_by_change ON donations(change_seq);
             CREATE INDEX donations_by_donor_change ON donations(donor_id, change_seq);
             ALTER TABLE donations ADD COLUMN challenge TEXT;
             CREATE UNIQUE INDEX donations_by_challenge ON donations(challenge);
             ALTER TABLE donations ADD COLUMN action_deadline_ms INTEGER;
             CREATE INDEX donations_awaiting_action ON donations(action_deadline_ms)
                 WHERE outcome = 'needs_action';",
        ),
        // v3: the organiser's side (review, removal reason, automatic end, the donors
        // feed) and the payment provider's ledger (simulated: one charge per idempotency
        // key, in its own table and transactions, as a real provider would be).
        M::up(
            "ALTER TABLE fundraisers ADD COLUMN removal_reason TEXT;
             CREATE INDEX fundraisers_running ON fundraisers(ends_at_ms) WHERE state = 'active';
             CREATE INDEX donations_by_fundraiser_change ON donations(fundraiser_id, change_seq);
             CREATE TABLE psp_charges (
                 idem_key      TEXT PRIMARY KEY,
                 outcome       TEXT NOT NULL,
                 code          TEXT,
                 challenge     TEXT,
                 charged_at_ms INTEGER NOT NULL
             );",
        ),
    ])
}

const DAY_MS: i64 = 86_400_000;

/// The next number of the donations' change feed (one writer: the connection's mutex).
const NEXT_DONATION_CHANGE: &str = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM donations)";
/// The next number of the fundraisers' change feed.
const NEXT_FUNDRAISER_CHANGE: &str = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM fundraisers)";

/// What the payment provider answered for one charge (its ledger keeps it per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub outcome: ItemOutcome,
    pub code: Option<String>,
    /// For `needs_action`: the secret that names the bank page.
    pub challenge: Option<String>,
}

/// Step 1 of a batch, per item: the answer already known, or a recorded attempt to charge.
pub enum Recorded {
    Answered(ItemResult),
    /// Recorded as `pending` (now, or by an earlier request that did not finish): charge
    /// it with its id as the idempotency key, then settle.
    ToCharge,
}

/// (fingerprint, outcome, code, action_url, received_at_ms) of a donation already answered.
type StoredOutcome = (String, String, Option<String>, Option<String>, i64);

pub struct Db {
    conn: Mutex<Connection>,
}

const FUNDRAISER_COLUMNS: &str = "id, organiser_id, organiser_name, kind, category, title, story, goal_minor, currency, \
     country, state, confirmed_minor, donation_count, duration_days, created_at_ms, ends_at_ms, updated_at_ms, \
     removal_reason";

impl Db {
    pub fn open(path: Option<&Path>) -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if path.is_some() {
            let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrations().to_latest(&mut conn)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a fundraiser, or returns the one this idempotency key already created.
    #[allow(clippy::too_many_arguments)]
    pub fn create_fundraiser(
        &self,
        organiser: &DevUser,
        key: &str,
        fingerprint: &str,
        draft: &FundraiserDraft,
        config: &ServerConfig,
        auto_approve: bool,
        now_ms: i64,
    ) -> Result<(Fundraiser, bool), Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT fingerprint, fundraiser_id FROM fundraiser_keys WHERE organiser_id = ?1 AND idem_key = ?2",
                params![organiser.id, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((fp, id)) = existing {
            if fp != fingerprint {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with a different request",
                ));
            }
            let f = fundraiser_in(&tx, &id)?
                .ok_or_else(|| Failure::internal("keyed fundraiser missing"))?;
            return Ok((f, false));
        }
        let active: u32 = tx.query_row(
            "SELECT COUNT(*) FROM fundraisers WHERE organiser_id = ?1 AND state IN ('in_review', 'active')",
            params![organiser.id],
            |r| r.get(0),
        )?;
        if active >= config.limits.max_active_fundraisers_per_organiser {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "active_fundraiser_limit",
                "you already have an active fundraiser; end it before starting another",
            ));
        }
        let id = format!("fr_{}", uuid::Uuid::now_v7().simple());
        let days = config.limits.default_duration_days;
        let state = if auto_approve {
            FundraiserState::Active
        } else {
            FundraiserState::InReview
        };
        tx.execute(
            "INSERT INTO fundraisers (id, organiser_id, organiser_name, kind, category, title, story, goal_minor,
                 currency, country, state, duration_days, created_at_ms, ends_at_ms, updated_at_ms, change_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13,
                 (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM fundraisers))",
            params![
                id,
                organiser.id,
                organiser.name,
                to_json(&draft.kind)?,
                name(&draft.category)?,
                draft.title,
                draft.story,
                draft.goal.minor_units,
                draft.goal.currency,
                draft.country,
                name(&state)?,
                days,
                now_ms,
                now_ms.saturating_add(i64::from(days) * 86_400_000),
            ],
        )?;
        tx.execute(
            "INSERT INTO fundraiser_keys (organiser_id, idem_key, fingerprint, fundraiser_id) VALUES (?1, ?2, ?3, ?4)",
            params![organiser.id, key, fingerprint, id],
        )?;
        let f = fundraiser_in(&tx, &id)?
            .ok_or_else(|| Failure::internal("created fundraiser missing"))?;
        tx.commit()?;
        Ok((f, true))
    }

    pub fn fundraiser(&self, id: &str) -> Result<Option<Fundraiser>, Failure> {
        fundraiser_in(&self.conn(), id)
    }

    /// Fundraisers changed after `since`, oldest change first: (page, last seq, has_more).
    pub fn changes(&self, since: i64, limit: u32) -> Result<(Vec<Fundraiser>, i64, bool), Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS}, change_seq FROM fundraisers WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2"
        ))?;
        let rows = stmt.query(params![since, i64::from(limit) + 1])?;
        feed_page(rows, since, limit, 18, |row| fundraiser_row(row).map(Some))
    }

    /// Payment step 1, in one transaction: for each item, the answer already given (a
    /// repeat, a conflict, a void id), a refusal by `validate` (recorded as final), or a
    /// `pending` record of the attempt to charge. Nothing is charged inside a transaction.
    pub fn record_batch(
        &self,
        donor: &DevUser,
        items: &[(DonationItem, String)],
        now_ms: i64,
        mut validate: impl FnMut(&DonationItem, Option<&Fundraiser>) -> Option<String>,
    ) -> Result<Vec<Recorded>, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(items.len());
        for (item, fingerprint) in items {
            if let Some((fp, stored)) = stored_result(&tx, donor, &item.id)? {
                out.push(if stored.outcome == ItemOutcome::Void {
                    // A void id answers `void` whatever the content: it can never be charged.
                    Recorded::Answered(stored)
                } else if &fp != fingerprint {
                    Recorded::Answered(ItemResult {
                        id: item.id.clone(),
                        outcome: ItemOutcome::Conflict,
                        duplicate: false,
                        code: Some("idempotency_conflict".into()),
                        action_url: None,
                        received_at_ms: None,
                    })
                } else if stored.outcome == ItemOutcome::Unknown {
                    // `pending`: an earlier request recorded it and did not finish.
                    Recorded::ToCharge
                } else {
                    Recorded::Answered(stored)
                });
                continue;
            }
            let fundraiser = fundraiser_in(&tx, &item.fundraiser_id)?;
            let refusal = validate(item, fundraiser.as_ref());
            let outcome = if refusal.is_some() {
                "rejected"
            } else {
                "pending"
            };
            tx.prepare_cached(&format!(
                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, {NEXT_DONATION_CHANGE})"
            ))?
            .execute(params![
                donor.id,
                item.id,
                item.fundraiser_id,
                item.amount.minor_units,
                item.amount.currency,
                item.message,
                name(&item.visibility)?,
                item.hide_amount,
                fingerprint,
                outcome,
                refusal,
                now_ms,
            ])?;
            out.push(match refusal {
                Some(code) => Recorded::Answered(ItemResult {
                    id: item.id.clone(),
                    outcome: ItemOutcome::Rejected,
                    duplicate: false,
                    code: Some(code),
                    action_url: None,
                    received_at_ms: Some(now_ms),
                }),
                None => Recorded::ToCharge,
            });
        }
        tx.commit()?;
        Ok(out)
    }

    /// The payment provider (simulated): charges each (idempotency key, token) once. A
    /// repeat with the same key answers what the first charge answered, so a retry after a
    /// crash or a timeout never charges twice. No transaction of ours is open meanwhile.
    pub fn psp_charge(
        &self,
        requests: &[(String, String)],
        now_ms: i64,
        charge: impl Fn(&str) -> Charge,
    ) -> Result<Vec<Charge>, Failure> {
        // One short transaction for the whole request's charges (the simulated provider's
        // own ledger; a real one is called per payment, with the same keys).
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(requests.len());
        for (idem_key, token) in requests {
            let existing: Option<(String, Option<String>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT outcome, code, challenge FROM psp_charges WHERE idem_key = ?1",
                )?
                .query_row(params![idem_key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((outcome, code, challenge)) = existing {
                out.push(Charge {
                    outcome: parse_outcome(&outcome)?,
                    code,
                    challenge,
                });
                continue;
            }
            let c = charge(token);
            tx.prepare_cached(
                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![idem_key, name(&c.outcome)?, c.code, c.challenge, now_ms])?;
            out.push(c);
        }
        tx.commit()?;
        Ok(out)
    }

    /// How many charges the payment provider holds for `idem_key` (tests: exactly one).
    pub fn psp_charges_for(&self, idem_key: &str) -> Result<u32, Failure> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM psp_charges WHERE idem_key = ?1",
            params![idem_key],
            |r| r.get(0),
        )?)
    }

    /// Payment step 3, in one transaction: a `pending` donation takes the provider's
    /// answer and, if charged, counts towards its fundraiser. Idempotent: a donation
    /// already settled (by a concurrent retry) is left as it is and its answer returned.
    pub fn settle(
        &self,
        donor: &DevUser,
        charged: &[(String, Charge)],
        now_ms: i64,
        bank_base: &str,
        action_timeout_ms: i64,
    ) -> Result<Vec<ItemResult>, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(charged.len());
        for (id, c) in charged {
            out.push(settle_in(
                &tx,
                donor,
                id,
                c,
                now_ms,
                bank_base,
                action_timeout_ms,
            )?);
        }
        tx.commit()?;
        Ok(out)
    }

    /// Reconciliation, race-free because it is one transaction on the same unique key as
    /// a batch: for each id, the outcome the server holds, or a void record made now, so
    /// that no later batch can charge the id.
    pub fn reconcile(
        &self,
        donor: &DevUser,
        ids: &[String],
        now_ms: i64,
        bank_base: &str,
        action_timeout_ms: i64,
    ) -> Result<Vec<ItemResult>, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            match stored_result(&tx, donor, id)? {
                // `pending`: recorded, not settled. If the provider charged it, the answer is
                // the charge's; if not, nothing was charged and the attempt is voided below.
                Some((_, stored)) if stored.outcome == ItemOutcome::Unknown => {
                    let charged: Option<(String, Option<String>, Option<String>)> = tx
                        .query_row(
                            "SELECT outcome, code, challenge FROM psp_charges WHERE idem_key = ?1",
                            params![id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    if let Some((outcome, code, challenge)) = charged {
                        let c = Charge {
                            outcome: parse_outcome(&outcome)?,
                            code,
                            challenge,
                        };
                        results.push(settle_in(
                            &tx,
                            donor,
                            id,
                            &c,
                            now_ms,
                            bank_base,
                            action_timeout_ms,
                        )?);
                        continue;
                    }
                    tx.execute(
                        &format!(
                            "UPDATE donations SET outcome = 'void', code = 'never_received',
                                 change_seq = {NEXT_DONATION_CHANGE} WHERE donor_id = ?1 AND id = ?2"
                        ),
                        params![donor.id, id],
                    )?;
                    results.push(ItemResult {
                        id: id.clone(),
                        outcome: ItemOutcome::Void,
                        duplicate: false,
                        code: Some("never_received".into()),
                        action_url: None,
                        received_at_ms: Some(now_ms),
                    });
                    continue;
                }
                Some((_, stored)) => {
                    results.push(stored);
                    continue;
                }
                None => {}
            }
            tx.prepare_cached(&format!(
                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                 VALUES (?1, ?2, '', 0, '', NULL, 'anonymous', 0, 'void', 'void', 'never_received', ?3,
                     {NEXT_DONATION_CHANGE})"
            ))?
            .execute(params![donor.id, id, now_ms])?;
            results.push(ItemResult {
                id: id.clone(),
                outcome: ItemOutcome::Void,
                duplicate: false,
                code: Some("never_received".into()),
                action_url: None,
                received_at_ms: Some(now_ms),
            });
        }
        tx.commit()?;
        Ok(results)
    }

    /// The simulated bank page: completes or fails the step of the donation waiting on
    /// `challenge`. Completing twice (or failing twice) answers the same; anything else
    /// after the step ended is a conflict. Returns the donation's outcome.
    pub fn bank_step(
        &self,
        challenge: &str,
        complete: bool,
        now_ms: i64,
    ) -> Result<ItemOutcome, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, String, i64)> = tx
            .query_row(
                "SELECT donor_id, id, outcome, amount_minor FROM donations WHERE challenge = ?1",
                params![challenge],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((donor_id, id, outcome, amount)) = row else {
            return Err(Failure::not_found("bank step"));
        };
        let want = if complete {
            ItemOutcome::Accepted
        } else {
            ItemOutcome::Rejected
        };
        let current = parse_outcome(&outcome)?;
        if current != ItemOutcome::NeedsAction {
            if current == want {
                return Ok(current);
            }
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "step_already_ended",
                format!("this step already ended: the donation is {outcome}"),
            ));
        }
        let code = (!complete).then_some("authentication_failed");
        tx.execute(
            &format!(
                "UPDATE donations SET outcome = ?3, code = ?4, received_at_ms = ?5,
                     change_seq = {NEXT_DONATION_CHANGE} WHERE donor_id = ?1 AND id = ?2"
            ),
            params![donor_id, id, name(&want)?, code, now_ms],
        )?;
        if complete {
            let fundraiser_id: String = tx.query_row(
                "SELECT fundraiser_id FROM donations WHERE donor_id = ?1 AND id = ?2",
                params![donor_id, id],
                |r| r.get(0),
            )?;
            count_towards_fundraiser(&tx, &fundraiser_id, amount, now_ms)?;
        }
        tx.commit()?;
        Ok(want)
    }

    /// Fails the bank steps nobody completed in time (the donor abandoned them): nothing
    /// is charged, and the donor's feed says so. Returns how many ended.
    pub fn abandon_overdue_steps(&self, now_ms: i64) -> Result<usize, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let overdue: Vec<(String, String)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT donor_id, id FROM donations INDEXED BY donations_awaiting_action
                 WHERE outcome = 'needs_action' AND action_deadline_ms <= ?1",
            )?;
            let rows = stmt.query_map(params![now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (donor_id, id) in &overdue {
            tx.execute(
                &format!(
                    "UPDATE donations SET outcome = 'rejected', code = 'action_abandoned',
                         change_seq = {NEXT_DONATION_CHANGE} WHERE donor_id = ?1 AND id = ?2"
                ),
                params![donor_id, id],
            )?;
        }
        tx.commit()?;
        Ok(overdue.len())
    }

    /// Fundraisers waiting for review, oldest first.
    pub fn review_queue(&self) -> Result<Vec<Fundraiser>, Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE state = 'in_review' ORDER BY created_at_ms LIMIT 500"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(fundraiser_row(row)?);
        }
        Ok(out)
    }

    /// Changes a fundraiser in one transaction: `change` gets it as stored and returns the
    /// new state of its mutable columns, or a refusal. The change feed hears of it.
    fn change_fundraiser(
        &self,
        id: &str,
        now_ms: i64,
        change: impl FnOnce(&Fundraiser) -> Result<Fundraiser, Failure>,
    ) -> Result<Fundraiser, Failure> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = fundraiser_in(&tx, id)?.ok_or_else(|| Failure::not_found("fundraiser"))?;
        let next = change(&current)?;
        tx.prepare_cached(&format!(
            "UPDATE fundraisers SET title = ?2, story = ?3, category = ?4, goal_minor = ?5, state = ?6,
                 duration_days = ?7, ends_at_ms = ?8, removal_reason = ?9, updated_at_ms = ?10,
                 change_seq = {NEXT_FUNDRAISER_CHANGE}
             WHERE id = ?1"
        ))?
        .execute(params![
            id,
            next.title,
            next.story,
            name(&next.category)?,
            next.goal.minor_units,
            name(&next.state)?,
            next.duration_days,
            next.ends_at_ms,
            next.removal_reason,
            now_ms,
        ])?;
        let stored = fundraiser_in(&tx, id)?
            .ok_or_else(|| Failure::internal("changed fundraiser missing"))?;
        tx.commit()?;
        Ok(stored)
    }

    /// A reviewer approves (in review -> active; its days start now) or removes it (in
    /// review or active -> removed, with the reason its organiser will see).
    pub fn review(
        &self,
        id: &str,
        approve: bool,
        reason: Option<String>,
        now_ms: i64,
    ) -> Result<Fundraiser, Failure> {
        self.change_fundraiser(id, now_ms, |f| {
            let mut next = f.clone();
            match (approve, f.state) {
                (true, FundraiserState::InReview) => {
                    next.state = FundraiserState::Active;
                    next.ends_at_ms = now_ms.saturating_add(i64::from(f.duration_days) * DAY_MS);
                }
                (false, FundraiserState::InReview | FundraiserState::Active) => {
                    next.state = FundraiserState::Removed;
                    next.removal_reason = reason;
                }
                (_, state) => {
                    return Err(Failure::new(
                        StatusCode::CONFLICT,
                        "not_reviewable",
                        format!(
                            "a fundraiser that is {} cannot be reviewed that way",
                            name(&state)?
                        ),
                    ))
                }
            }
            Ok(next)
        })
    }

    /// The organiser edits it; `check` validates the edit against it as stored.
    pub fn edit(
        &self,
        id: &str,
        edit: &FundraiserEdit,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser) -> Result<(), Failure>,
    ) -> Result<Fundraiser, Failure> {
        self.change_fundraiser(id, now_ms, |f| {
            check(f)?;
            let mut next = f.clone();
            if let Some(title) = &edit.title {
                next.title = title.trim().to_owned();
            }
            if let Some(story) = &edit.story {
                next.story = story.trim().to_owned();
            }
            if let Some(category) = edit.category {
                next.category = category;
            }
            if let Some(goal) = &edit.goal {
                next.goal.minor_units = goal.minor_units;
            }
            Ok(next)
        })
    }

    /// The organiser extends it by `days` (checked against its duration by `check`).
    pub fn extend(
        &self,
        id: &str,
        days: u32,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser) -> Result<u32, Failure>,
    ) -> Result<Fundraiser, Failure> {
        self.change_fundraiser(id, now_ms, |f| {
            let total = check(f)?;
            let mut next = f.clone();
            next.duration_days = total;
            next.ends_at_ms = f.ends_at_ms.saturating_add(i64::from(days) * DAY_MS);
            Ok(next)
        })
    }

    /// Ends it now (the organiser ends early, or its time is up).
    pub fn end(
        &self,
        id: &str,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser) -> Result<(), Failure>,
    ) -> Result<Fundraiser, Failure> {
        self.change_fundraiser(id, now_ms, |f| {
            check(f)?;
            let mut next = f.clone();
            next.state = FundraiserState::Ended;
            next.ends_at_ms = next.ends_at_ms.min(now_ms);
            Ok(next)
        })
    }

    /// Ends every active fundraiser whose time is up. Returns how many ended.
    pub fn end_overdue(&self, now_ms: i64) -> Result<usize, Failure> {
        let due: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM fundraisers INDEXED BY fundraisers_running
                 WHERE state = 'active' AND ends_at_ms <= ?1",
            )?;
            let rows = stmt.query_map(params![now_ms], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for id in &due {
            self.end(id, now_ms, |_| Ok(()))?;
        }
        Ok(due.len())
    }

    /// The organiser's donors: accepted donations changed after `since`, oldest change
    /// first, masked for `viewer` (hidden-from-public names shown to the organiser,
    /// anonymous ones to nobody), with the number of distinct donors.
    pub fn donors(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<(Vec<DonationEntry>, i64, bool, u64), Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.donor_id, d.amount_minor, d.currency, d.message, d.visibility, d.hide_amount,
                 d.received_at_ms, d.change_seq
             FROM donations d INDEXED BY donations_by_fundraiser_change
             WHERE d.fundraiser_id = ?1 AND d.change_seq > ?2 AND d.outcome = 'accepted'
             ORDER BY d.change_seq LIMIT ?3",
        )?;
        let rows = stmt.query(params![fundraiser.id, since, i64::from(limit) + 1])?;
        let (out, last, has_more) = feed_page(rows, since, limit, 8, |r| {
            Ok(Some(masked_entry(fundraiser, viewer, donation_row(r)?)))
        })?;
        let donors: i64 = conn.query_row(
            "SELECT COUNT(DISTINCT donor_id) FROM donations WHERE fundraiser_id = ?1 AND outcome = 'accepted'",
            params![fundraiser.id],
            |r| r.get(0),
        )?;
        Ok((out, last, has_more, donors.max(0) as u64))
    }

    /// Accepted donations of a fundraiser, newest first, masked for `viewer`.
    pub fn public_donations(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
    ) -> Result<Vec<DonationEntry>, Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.donor_id, d.amount_minor, d.currency, d.message, d.visibility, d.hide_amount, d.received_at_ms
             FROM donations d WHERE d.fundraiser_id = ?1 AND d.outcome = 'accepted'
             ORDER BY d.received_at_ms DESC, d.id DESC LIMIT 500",
        )?;
        let mut rows = stmt.query(params![fundraiser.id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(masked_entry(fundraiser, viewer, donation_row(r)?));
        }
        Ok(out)
    }

    /// The donor's own donations, newest first (voids are not donations: left out).
    pub fn own_donations(&self, donor: &DevUser) -> Result<Vec<OwnDonation>, Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OWN_COLUMNS} FROM donations WHERE donor_id = ?1 AND outcome NOT IN ('void', 'pending')
             ORDER BY received_at_ms DESC, id DESC LIMIT 500"
        ))?;
        let mut rows = stmt.query(params![donor.id])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(own_row(row)?);
        }
        Ok(out)
    }

    /// The donor's own donations whose outcome changed after `since`, oldest change first:
    /// (page, last change number, has_more).
    pub fn own_changes(
        &self,
        donor: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<(Vec<OwnDonation>, i64, bool), Failure> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OWN_COLUMNS}, change_seq FROM donations INDEXED BY donations_by_donor_change
             WHERE donor_id = ?1 AND change_seq > ?2 ORDER BY change_seq LIMIT ?3"
        ))?;
        let rows = stmt.query(params![donor.id, since, i64::from(limit) + 1])?;
        feed_page(rows, since, limit, 11, |row| {
            let outcome: String = row.get(7)?;
            // Voids are not donations; a pending one is settled and re-announced soon.
            if outcome == "void" || outcome == "pending" {
                return Ok(None);
            }
            own_row(row).map(Some)
        })
    }
}

const OWN_COLUMNS: &str =
    "id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount, \
     outcome, code, received_at_ms, action_url";

fn own_row(r: &Row<'_>) -> Result<OwnDonation, Failure> {
    let state = match parse_outcome(&r.get::<_, String>(7)?)? {
        ItemOutcome::Accepted => DonationState::Confirmed,
        ItemOutcome::NeedsAction => DonationState::NeedsAction,
        ItemOutcome::Void => DonationState::Expired,
        ItemOutcome::Rejected | ItemOutcome::Conflict | ItemOutcome::Unknown => {
            DonationState::Rejected
        }
    };
    Ok(OwnDonation {
        id: r.get(0)?,
        fundraiser_id: r.get(1)?,
        amount: Money {
            minor_units: r.get(2)?,
            currency: r.get(3)?,
        },
        message: r.get(4)?,
        visibility: from_name(&r.get::<_, String>(5)?)?,
        hide_amount: r.get(6)?,
        state,
        code: r.get(8)?,
        received_at_ms: r.get(9)?,
        action_url: r.get(10)?,
    })
}

/// Settles one `pending` donation with the provider's answer; see `Db::settle`.
fn settle_in(
    tx: &Connection,
    donor: &DevUser,
    id: &str,
    c: &Charge,
    now_ms: i64,
    bank_base: &str,
    action_timeout_ms: i64,
) -> Result<ItemResult, Failure> {
    let action_url = c.challenge.as_ref().map(|ch| format!("{bank_base}{ch}"));
    let deadline = c
        .challenge
        .as_ref()
        .map(|_| now_ms.saturating_add(action_timeout_ms));
    let changed = tx
        .prepare_cached(&format!(
            "UPDATE donations SET outcome = ?3, code = ?4, action_url = ?5, challenge = ?6,
                 action_deadline_ms = ?7, change_seq = {NEXT_DONATION_CHANGE}
             WHERE donor_id = ?1 AND id = ?2 AND outcome = 'pending'"
        ))?
        .execute(params![
            donor.id,
            id,
            name(&c.outcome)?,
            c.code,
            action_url,
            c.challenge,
            deadline
        ])?;
    if changed == 1 && c.outcome == ItemOutcome::Accepted {
        let (fundraiser_id, amount): (String, i64) = tx.query_row(
            "SELECT fundraiser_id, amount_minor FROM donations WHERE donor_id = ?1 AND id = ?2",
            params![donor.id, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        count_towards_fundraiser(tx, &fundraiser_id, amount, now_ms)?;
    }
    let (_, mut result) = stored_result(tx, donor, id)?
        .ok_or_else(|| Failure::internal("settled donation missing"))?;
    result.duplicate = changed == 0;
    Ok(result)
}

/// An accepted donation as stored, before masking.
struct DonationRow {
    id: String,
    donor_id: String,
    minor: i64,
    currency: String,
    message: Option<String>,
    visibility: Visibility,
    hide_amount: bool,
    received_at_ms: i64,
}

/// Columns 0..=7 of the donation queries: id, donor, amount, currency, message,
/// visibility, hide_amount, received_at_ms.
fn donation_row(r: &Row<'_>) -> Result<DonationRow, Failure> {
    Ok(DonationRow {
        id: r.get(0)?,
        donor_id: r.get(1)?,
        minor: r.get(2)?,
        currency: r.get(3)?,
        message: r.get(4)?,
        visibility: from_name(&r.get::<_, String>(5)?)?,
        hide_amount: r.get(6)?,
        received_at_ms: r.get(7)?,
    })
}

/// One page of a cursor feed read with `LIMIT limit + 1`: the items `map` keeps, the
/// change number of the last row read (column `seq_column`), and whether more follow.
/// Rows `map` leaves out still move the cursor past them.
fn feed_page<T>(
    mut rows: rusqlite::Rows<'_>,
    since: i64,
    limit: u32,
    seq_column: usize,
    mut map: impl FnMut(&Row<'_>) -> Result<Option<T>, Failure>,
) -> Result<(Vec<T>, i64, bool), Failure> {
    let (mut out, mut last, mut read) = (Vec::new(), since, 0u32);
    while let Some(row) = rows.next()? {
        if read == limit {
            return Ok((out, last, true));
        }
        read += 1;
        last = row.get(seq_column)?;
        out.extend(map(row)?);
    }
    Ok((out, last, false))
}

/// A donation as `viewer` may see it: anonymous names never leave the server, not even to
/// the organiser; hidden-from-public names and hidden amounts are shown to the organiser
/// (and to the donor themself).
fn masked_entry(fundraiser: &Fundraiser, viewer: &DevUser, d: DonationRow) -> DonationEntry {
    let is_organiser = fundraiser.organiser_id == viewer.id;
    let own = d.donor_id == viewer.id;
    let name_visible = own
        || match d.visibility {
            Visibility::Public => true,
            Visibility::HiddenFromPublic => is_organiser,
            Visibility::Anonymous => false,
        };
    let donor_name = name_visible
        .then(|| {
            crate::auth::DEV_USERS
                .iter()
                .find(|u| u.id == d.donor_id)
                .map(|u| u.name.to_owned())
        })
        .flatten();
    let amount_visible = own || is_organiser || !d.hide_amount;
    DonationEntry {
        id: d.id,
        donor_name,
        amount: amount_visible.then_some(Money {
            minor_units: d.minor,
            currency: d.currency,
        }),
        message: d.message,
        received_at_ms: d.received_at_ms,
    }
}

/// The answer already given for (donor, id), with the fingerprint it was given for.
fn stored_result(
    conn: &Connection,
    donor: &DevUser,
    id: &str,
) -> Result<Option<(String, ItemResult)>, Failure> {
    let row: Option<StoredOutcome> = conn
        .prepare_cached(
            "SELECT fingerprint, outcome, code, action_url, received_at_ms FROM donations
             WHERE donor_id = ?1 AND id = ?2",
        )?
        .query_row(params![donor.id, id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    row.map(|(fp, outcome, code, action_url, received_at_ms)| {
        Ok((
            fp,
            ItemResult {
                id: id.to_owned(),
                outcome: parse_outcome(&outcome)?,
                duplicate: true,
                code,
                action_url,
                received_at_ms: Some(received_at_ms),
            },
        ))
    })
    .transpose()
}

/// Adds a charged donation to its fundraiser's total and count, and to the changes feed.
fn count_towards_fundraiser(
    conn: &Connection,
    fundraiser_id: &str,
    amount_minor: i64,
    now_ms: i64,
) -> Result<(), Failure> {
    conn.prepare_cached(&format!(
        "UPDATE fundraisers SET confirmed_minor = confirmed_minor + ?2, donation_count = donation_count + 1,
             updated_at_ms = ?3, change_seq = {NEXT_FUNDRAISER_CHANGE}
         WHERE id = ?1"
    ))?
    .execute(params![fundraiser_id, amount_minor, now_ms])?;
    Ok(())
}

fn fundraiser_in(conn: &Connection, id: &str) -> Result<Option<Fundraiser>, Failure> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = ?1"
    ))?;
    let mut rows = stmt.query(params![id])?;
    match rows.next()? {
        Some(row) => Ok(Some(fundraiser_row(row)?)),
        None => Ok(None),
    }
}

fn fundraiser_row(r: &Row<'_>) -> Result<Fundraiser, Failure> {
    let currency: String = r.get(8)?;
    Ok(Fundraiser {
        id: r.get(0)?,
        organiser_id: r.get(1)?,
        organiser_name: r.get(2)?,
        kind: from_json(&r.get::<_, String>(3)?)?,
        category: from_name(&r.get::<_, String>(4)?)?,
        title: r.get(5)?,
        story: r.get(6)?,
        goal: Money {
            minor_units: r.get(7)?,
            currency: currency.clone(),
        },
        country: r.get(9)?,
        state: from_name(&r.get::<_, String>(10)?)?,
        confirmed_total: Money {
            minor_units: r.get(11)?,
            currency,
        },
        donation_count: r.get::<_, i64>(12)?.max(0) as u64,
        duration_days: r.get(13)?,
        created_at_ms: r.get(14)?,
        ends_at_ms: r.get(15)?,
        updated_at_ms: r.get(16)?,
        removal_reason: r.get(17)?,
        viewer_is_organiser: false,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string(v).map_err(Failure::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Failure> {
    serde_json::from_str(s).map_err(Failure::internal)
}

/// A unit enum variant's serde name (`active`, `hidden_from_public`): stored as plain text
/// so that SQL can compare it.
fn name<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    match serde_json::to_value(v).map_err(Failure::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(Failure::internal(format!("not a unit variant: {other}"))),
    }
}

fn from_name<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Failure> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(Failure::internal)
}

/// A stored outcome. `pending` (an attempt recorded, not settled yet) reads as `Unknown`:
/// never sent to a client as such (settled first, or left out of feeds).
fn parse_outcome(s: &str) -> Result<ItemOutcome, Failure> {
    if s == "pending" {
        return Ok(ItemOutcome::Unknown);
    }
    from_name(s)
}
