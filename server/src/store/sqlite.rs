//! The server's SQLite: schema, migrations and every query. One connection behind a mutex,
//! used from blocking threads; each request that changes anything is one `IMMEDIATE`
//! transaction, so there is one writer and `MAX(change_seq) + 1` numbers the feeds in
//! commit order.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use fundkit::model::Fundraiser;
use fundkit::wire::{DonationEntry, DonationItem, ItemOutcome, ItemResult, OwnDonation};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

use super::{
    answer_for_stored, bank_outcome, charge_from, entry_from, fundraiser_from, key_reused, name,
    new_fundraiser_id, own_from, refused_item, shown_to_donor, stored_from, to_json, void_result,
    BankPage, Charge, Cols, FeedPage, NewFundraiser, Recorded, StoreError, Validate, ENTRY_COLUMNS,
    FUNDRAISER_COLUMNS, OWN_COLUMNS, STORED_COLUMNS,
};
use crate::auth::DevUser;

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

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// The next number of the donations' change feed (one writer: the connection's mutex and
/// `IMMEDIATE` transactions).
const NEXT_DONATION_CHANGE: &str = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM donations)";
/// The next number of the fundraisers' change feed.
const NEXT_FUNDRAISER_CHANGE: &str = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM fundraisers)";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy(e.to_string())
            }
            _ => StoreError::internal(e),
        }
    }
}

impl Cols for Row<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.get(i)?)
    }
}

impl SqliteStore {
    pub fn open(path: Option<&Path>) -> Result<SqliteStore, StoreError> {
        let mut conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if path.is_some() {
            let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrations()
            .to_latest(&mut conn)
            .map_err(StoreError::internal)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn create_fundraiser(
        &self,
        new: &NewFundraiser,
    ) -> Result<(Fundraiser, bool), StoreError> {
        let organiser = new.organiser;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT fingerprint, fundraiser_id FROM fundraiser_keys WHERE organiser_id = ?1 AND idem_key = ?2",
                params![organiser.id, new.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((fp, id)) = existing {
            if fp != new.fingerprint {
                return Err(key_reused());
            }
            let f = fundraiser_in(&tx, &id)?
                .ok_or_else(|| StoreError::internal("keyed fundraiser missing"))?;
            return Ok((f, false));
        }
        let active: i64 = tx.query_row(
            "SELECT COUNT(*) FROM fundraisers WHERE organiser_id = ?1 AND state IN ('in_review', 'active')",
            params![organiser.id],
            |r| r.get(0),
        )?;
        new.limit_reached(active)?;
        let id = new_fundraiser_id();
        let draft = &new.draft;
        tx.execute(
            &format!(
                "INSERT INTO fundraisers (id, organiser_id, organiser_name, kind, category, title, story, goal_minor,
                     currency, country, state, duration_days, created_at_ms, ends_at_ms, updated_at_ms, change_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13, {NEXT_FUNDRAISER_CHANGE})"
            ),
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
                name(&new.state())?,
                new.config.limits.default_duration_days,
                new.now_ms,
                new.ends_at_ms(),
            ],
        )?;
        tx.execute(
            "INSERT INTO fundraiser_keys (organiser_id, idem_key, fingerprint, fundraiser_id) VALUES (?1, ?2, ?3, ?4)",
            params![organiser.id, new.key, new.fingerprint, id],
        )?;
        let f = fundraiser_in(&tx, &id)?
            .ok_or_else(|| StoreError::internal("created fundraiser missing"))?;
        tx.commit()?;
        Ok((f, true))
    }

    pub(super) fn fundraiser(&self, id: &str) -> Result<Option<Fundraiser>, StoreError> {
        fundraiser_in(&self.conn(), id)
    }

    pub(super) fn changes(
        &self,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<Fundraiser>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS}, change_seq FROM fundraisers WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2"
        ))?;
        let rows = stmt.query(params![since, i64::from(limit) + 1])?;
        feed_page(rows, since, limit, 18, |row| fundraiser_from(row).map(Some))
    }

    pub(super) fn record_batch(
        &self,
        donor: &DevUser,
        items: &[(DonationItem, String)],
        now_ms: i64,
        mut validate: Validate,
    ) -> Result<Vec<Recorded>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(items.len());
        for (item, fingerprint) in items {
            if let Some((fp, stored)) = stored_result(&tx, donor, &item.id)? {
                out.push(answer_for_stored(item, fingerprint, &fp, stored));
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
                Some(code) => refused_item(item, code, now_ms),
                None => Recorded::ToCharge,
            });
        }
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn psp_charge(
        &self,
        requests: &[(String, String)],
        now_ms: i64,
    ) -> Result<Vec<Charge>, StoreError> {
        // One short transaction for the whole request's charges (the simulated provider's
        // own ledger; a real one is called per payment, with the same keys).
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(requests.len());
        for (idem_key, token) in requests {
            if let Some(c) = ledger_entry(&tx, idem_key)? {
                out.push(c);
                continue;
            }
            let c = crate::payments::charge(token);
            tx.prepare_cached(
                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![idem_key, name(&c.outcome)?, c.code, c.challenge, now_ms])?;
            out.push(c);
        }
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn psp_charges_for(&self, idem_key: &str) -> Result<u32, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM psp_charges WHERE idem_key = ?1 AND outcome <> 'void'",
            params![idem_key],
            |r| r.get(0),
        )?)
    }

    pub(super) fn settle(
        &self,
        donor: &DevUser,
        charged: &[(String, Charge)],
        now_ms: i64,
        bank: &BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(charged.len());
        for (id, c) in charged {
            out.push(settle_in(&tx, donor, id, c, now_ms, bank)?);
        }
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn reconcile(
        &self,
        donor: &DevUser,
        ids: &[String],
        now_ms: i64,
        bank: &BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            match stored_result(&tx, donor, id)? {
                // `pending`: recorded, not settled. The provider's answer settles it; with
                // none, the attempt is cancelled at the provider (a void entry under its
                // key, so that a charge still in flight answers void and takes nothing) and
                // settled as void.
                Some((_, stored)) if stored.outcome == ItemOutcome::Unknown => {
                    let c = match ledger_entry(&tx, id)? {
                        Some(c) => c,
                        None => {
                            tx.prepare_cached(
                                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms)
                                 VALUES (?1, 'void', 'never_received', NULL, ?2)",
                            )?
                            .execute(params![id, now_ms])?;
                            void_charge()
                        }
                    };
                    results.push(settle_in(&tx, donor, id, &c, now_ms, bank)?);
                }
                Some((_, stored)) => results.push(stored),
                None => {
                    tx.prepare_cached(&format!(
                        "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                             hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                         VALUES (?1, ?2, '', 0, '', NULL, 'anonymous', 0, 'void', 'void', 'never_received', ?3,
                             {NEXT_DONATION_CHANGE})"
                    ))?
                    .execute(params![donor.id, id, now_ms])?;
                    results.push(void_result(id, now_ms));
                }
            }
        }
        tx.commit()?;
        Ok(results)
    }

    pub(super) fn bank_step(
        &self,
        challenge: &str,
        complete: bool,
        now_ms: i64,
    ) -> Result<ItemOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, String, String, i64)> = tx
            .query_row(
                "SELECT donor_id, id, outcome, fundraiser_id, amount_minor FROM donations WHERE challenge = ?1",
                params![challenge],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((donor_id, id, outcome, fundraiser_id, amount)) = row else {
            return Err(StoreError::NotFound("bank step"));
        };
        let want = match bank_outcome(&outcome, complete)? {
            Ok(want) => want,
            Err(already) => return Ok(already),
        };
        let code = (!complete).then_some("authentication_failed");
        tx.execute(
            &format!(
                "UPDATE donations SET outcome = ?3, code = ?4, received_at_ms = ?5,
                     change_seq = {NEXT_DONATION_CHANGE} WHERE donor_id = ?1 AND id = ?2"
            ),
            params![donor_id, id, name(&want)?, code, now_ms],
        )?;
        if complete {
            count_towards_fundraiser(&tx, &fundraiser_id, amount, now_ms)?;
        }
        tx.commit()?;
        Ok(want)
    }

    pub(super) fn abandon_overdue_steps(&self, now_ms: i64) -> Result<usize, StoreError> {
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

    pub(super) fn end_overdue(&self, now_ms: i64) -> Result<usize, StoreError> {
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
            self.change_fundraiser(id, now_ms, |f| Ok::<_, StoreError>(super::ended(f, now_ms)))?;
        }
        Ok(due.len())
    }

    pub(super) fn review_queue(&self) -> Result<Vec<Fundraiser>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE state = 'in_review' ORDER BY created_at_ms LIMIT 500"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(fundraiser_from(row)?);
        }
        Ok(out)
    }

    pub(super) fn change_fundraiser<E: From<StoreError>>(
        &self,
        id: &str,
        now_ms: i64,
        change: impl FnOnce(&Fundraiser) -> Result<Fundraiser, E>,
    ) -> Result<Fundraiser, E> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let current = fundraiser_in(&tx, id)?.ok_or(StoreError::NotFound("fundraiser"))?;
        let next = change(&current)?;
        tx.prepare_cached(&format!(
            "UPDATE fundraisers SET title = ?2, story = ?3, category = ?4, goal_minor = ?5, state = ?6,
                 duration_days = ?7, ends_at_ms = ?8, removal_reason = ?9, updated_at_ms = ?10,
                 change_seq = {NEXT_FUNDRAISER_CHANGE}
             WHERE id = ?1"
        ))
        .map_err(StoreError::from)?
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
        ])
        .map_err(StoreError::from)?;
        let stored = fundraiser_in(&tx, id)?
            .ok_or_else(|| StoreError::internal("changed fundraiser missing"))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(stored)
    }

    pub(super) fn donors(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<(FeedPage<DonationEntry>, u64), StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS}, d.change_seq
             FROM donations d INDEXED BY donations_by_fundraiser_change
             WHERE d.fundraiser_id = ?1 AND d.change_seq > ?2 AND d.outcome = 'accepted'
             ORDER BY d.change_seq LIMIT ?3"
        ))?;
        let rows = stmt.query(params![fundraiser.id, since, i64::from(limit) + 1])?;
        let page = feed_page(rows, since, limit, 8, |r| {
            entry_from(r, fundraiser, viewer).map(Some)
        })?;
        let donors: i64 = conn.query_row(
            "SELECT COUNT(DISTINCT donor_id) FROM donations WHERE fundraiser_id = ?1 AND outcome = 'accepted'",
            params![fundraiser.id],
            |r| r.get(0),
        )?;
        Ok((page, donors.max(0) as u64))
    }

    pub(super) fn public_donations(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
    ) -> Result<Vec<DonationEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM donations d WHERE d.fundraiser_id = ?1 AND d.outcome = 'accepted'
             ORDER BY d.received_at_ms DESC, d.id DESC LIMIT 500"
        ))?;
        let mut rows = stmt.query(params![fundraiser.id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(entry_from(r, fundraiser, viewer)?);
        }
        Ok(out)
    }

    pub(super) fn own_donations(&self, donor: &DevUser) -> Result<Vec<OwnDonation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OWN_COLUMNS} FROM donations WHERE donor_id = ?1 AND outcome NOT IN ('void', 'pending')
             ORDER BY received_at_ms DESC, id DESC LIMIT 500"
        ))?;
        let mut rows = stmt.query(params![donor.id])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(own_from(row)?);
        }
        Ok(out)
    }

    pub(super) fn own_changes(
        &self,
        donor: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<OwnDonation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OWN_COLUMNS}, change_seq FROM donations INDEXED BY donations_by_donor_change
             WHERE donor_id = ?1 AND change_seq > ?2 ORDER BY change_seq LIMIT ?3"
        ))?;
        let rows = stmt.query(params![donor.id, since, i64::from(limit) + 1])?;
        feed_page(rows, since, limit, 11, |row| {
            if !shown_to_donor(&row.text(7)?) {
                return Ok(None);
            }
            own_from(row).map(Some)
        })
    }
}

/// A void entry in the provider's ledger: the attempt was cancelled, nothing was charged.
fn void_charge() -> Charge {
    Charge {
        outcome: ItemOutcome::Void,
        code: Some("never_received".into()),
        challenge: None,
    }
}

/// What the provider's ledger holds for `idem_key`, if anything.
fn ledger_entry(conn: &Connection, idem_key: &str) -> Result<Option<Charge>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT outcome, code, challenge FROM psp_charges WHERE idem_key = ?1")?;
    let mut rows = stmt.query(params![idem_key])?;
    rows.next()?.map(charge_from).transpose()
}

/// Settles one `pending` donation with the provider's answer; see `Store::settle`.
fn settle_in(
    tx: &Connection,
    donor: &DevUser,
    id: &str,
    c: &Charge,
    now_ms: i64,
    bank: &BankPage,
) -> Result<ItemResult, StoreError> {
    let (action_url, deadline) = bank.for_charge(c, now_ms);
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
        .ok_or_else(|| StoreError::internal("settled donation missing"))?;
    result.duplicate = changed == 0;
    Ok(result)
}

/// One page of a cursor feed read with `LIMIT limit + 1`: the items `map` keeps, the
/// change number of the last row read (column `seq_column`), and whether more follow.
/// Rows `map` leaves out still move the cursor past them.
fn feed_page<T>(
    mut rows: rusqlite::Rows<'_>,
    since: i64,
    limit: u32,
    seq_column: usize,
    mut map: impl FnMut(&Row<'_>) -> Result<Option<T>, StoreError>,
) -> Result<FeedPage<T>, StoreError> {
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

/// The answer already given for (donor, id), with the fingerprint it was given for.
fn stored_result(
    conn: &Connection,
    donor: &DevUser,
    id: &str,
) -> Result<Option<(String, ItemResult)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STORED_COLUMNS} FROM donations WHERE donor_id = ?1 AND id = ?2"
    ))?;
    let mut rows = stmt.query(params![donor.id, id])?;
    rows.next()?.map(|r| stored_from(r, id)).transpose()
}

/// Adds a charged donation to its fundraiser's total and count, and to the changes feed.
fn count_towards_fundraiser(
    conn: &Connection,
    fundraiser_id: &str,
    amount_minor: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "UPDATE fundraisers SET confirmed_minor = confirmed_minor + ?2, donation_count = donation_count + 1,
             updated_at_ms = ?3, change_seq = {NEXT_FUNDRAISER_CHANGE}
         WHERE id = ?1"
    ))?
    .execute(params![fundraiser_id, amount_minor, now_ms])?;
    Ok(())
}

fn fundraiser_in(conn: &Connection, id: &str) -> Result<Option<Fundraiser>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = ?1"
    ))?;
    let mut rows = stmt.query(params![id])?;
    rows.next()?.map(fundraiser_from).transpose()
}
