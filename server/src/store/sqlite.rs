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
    answer_for_stored, bank_outcome, charge_from, entry_from, fundraiser_from, id_in_use,
    key_reused, name, new_fundraiser_id, own_from, refused_item, reviewed, shown_to_donor,
    stored_from, to_json, void_result, BankPage, Charge, ChargeRequest, Cols, FeedPage,
    GiftAidClaim, NewFundraiser, Recorded, StoreError, Stored, Validate, AFTER_ENTRY_COLUMNS,
    AFTER_FUNDRAISER_COLUMNS, ENTRY_COLUMNS, FUNDRAISER_COLUMNS, GIFT_AID_CLAIMS, ORGANISER_SUMS,
    OWN_COLUMNS, REFUSED, STORED_COLUMNS,
};
use crate::users::DevUser;
use fundkit::wire::{PendingEdit, ReviewDecision};

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
        // v4: a donation id names one donation whoever sends it, in its canonical spelling
        // (the key was (donor, id): another donor's reuse of a public id inherited its
        // outcome). Refused items keep no content; the provider's ledger records what each
        // charge was for; edits of a running fundraiser's text wait for review. The rows
        // are copied by `migrate_donations_v4` (docs/server-storage.md says what happens to
        // existing rows).
        M::up_with_hook(
            "DROP INDEX donations_by_fundraiser;
             DROP INDEX donations_by_change;
             DROP INDEX donations_by_donor_change;
             DROP INDEX donations_by_challenge;
             DROP INDEX donations_awaiting_action;
             DROP INDEX donations_by_fundraiser_change;
             ALTER TABLE donations RENAME TO donations_v3;
             CREATE TABLE donations (
                 id                 TEXT PRIMARY KEY,
                 donor_id           TEXT NOT NULL,
                 fundraiser_id      TEXT NOT NULL,
                 amount_minor       INTEGER NOT NULL,
                 currency           TEXT NOT NULL,
                 message            TEXT,
                 visibility         TEXT NOT NULL,
                 hide_amount        INTEGER NOT NULL,
                 fingerprint        TEXT NOT NULL,
                 outcome            TEXT NOT NULL,
                 code               TEXT,
                 action_url         TEXT,
                 received_at_ms     INTEGER NOT NULL,
                 change_seq         INTEGER,
                 challenge          TEXT,
                 action_deadline_ms INTEGER
             );
             CREATE INDEX donations_by_fundraiser ON donations(fundraiser_id, outcome, received_at_ms);
             CREATE UNIQUE INDEX donations_by_change ON donations(change_seq);
             CREATE INDEX donations_by_donor_change ON donations(donor_id, change_seq);
             CREATE UNIQUE INDEX donations_by_challenge ON donations(challenge);
             CREATE INDEX donations_awaiting_action ON donations(action_deadline_ms)
                 WHERE outcome = 'needs_action';
             CREATE INDEX donations_by_fundraiser_change ON donations(fundraiser_id, change_seq);
             -- Rows whose id another donor had used first: kept for audit, never served.
             CREATE TABLE donation_id_conflicts (
                 id             TEXT NOT NULL,
                 original_id    TEXT NOT NULL,
                 donor_id       TEXT NOT NULL,
                 fundraiser_id  TEXT NOT NULL,
                 amount_minor   INTEGER NOT NULL,
                 currency       TEXT NOT NULL,
                 outcome        TEXT NOT NULL,
                 code           TEXT,
                 received_at_ms INTEGER NOT NULL
             );
             ALTER TABLE psp_charges ADD COLUMN fundraiser_id TEXT;
             ALTER TABLE psp_charges ADD COLUMN amount_minor INTEGER;
             ALTER TABLE psp_charges ADD COLUMN currency TEXT;
             CREATE INDEX psp_charges_by_fundraiser ON psp_charges(fundraiser_id, outcome);
             CREATE TABLE fundraiser_edits (
                 fundraiser_id   TEXT PRIMARY KEY REFERENCES fundraisers(id),
                 title           TEXT NOT NULL,
                 story           TEXT NOT NULL,
                 submitted_at_ms INTEGER NOT NULL,
                 declined_reason TEXT
             );",
            migrate_donations_v4,
        ),
        // v5: fees, Gift Aid and where donations came from (docs/fees.md, docs/gift-aid.md,
        // docs/links.md). `donor_pays_minor` is what the donor was charged (NULL in older
        // rows: the amount); declarations live in their own table, apart from public data.
        M::up(
            "ALTER TABLE fundraisers ADD COLUMN charity_name TEXT;
             ALTER TABLE fundraisers ADD COLUMN charity_number TEXT;
             ALTER TABLE donations ADD COLUMN donor_pays_minor INTEGER;
             ALTER TABLE donations ADD COLUMN fee_minor INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE donations ADD COLUMN cover_fee INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE donations ADD COLUMN gift_aid INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE donations ADD COLUMN source TEXT;
             ALTER TABLE psp_charges ADD COLUMN covered_fee_minor INTEGER NOT NULL DEFAULT 0;
             CREATE TABLE gift_aid_declarations (
                 donation_id     TEXT PRIMARY KEY,
                 fundraiser_id   TEXT NOT NULL,
                 charity_name    TEXT NOT NULL,
                 charity_number  TEXT NOT NULL,
                 first_name      TEXT NOT NULL,
                 last_name       TEXT NOT NULL,
                 house           TEXT NOT NULL,
                 postcode        TEXT NOT NULL,
                 wording_version TEXT NOT NULL,
                 declared_at_ms  INTEGER NOT NULL
             );
             CREATE INDEX gift_aid_by_fundraiser ON gift_aid_declarations(fundraiser_id);",
        ),
    ])
}

/// v4's copy of the donations (see `migrations`), oldest first:
/// - ids in their canonical spelling; a row whose id is not a UUID (only ever a refusal)
///   is dropped;
/// - the first row of each canonical id stays; later ones (another donor's reuse, or a
///   respelling) move to `donation_id_conflicts`;
/// - refusals made before any payment step keep only id, donor, code and time;
/// - fundraisers' totals are counted again from the rows that stay (a reuse could have
///   been counted without a charge), announced on the feed where they change;
/// - ledger entries learn the fundraiser and amount of the donation they charged.
fn migrate_donations_v4(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    /// A v3 row: its values by column, in `donations_v3` order.
    struct V3Row(Vec<rusqlite::types::Value>);
    let text = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(t) => Some(t.clone()),
        _ => None,
    };
    let rows: Vec<V3Row> = {
        let mut stmt = tx.prepare(
            "SELECT id, donor_id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount,
                 fingerprint, outcome, code, action_url, received_at_ms, change_seq, challenge, action_deadline_ms
             FROM donations_v3 ORDER BY received_at_ms, change_seq, rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            (0..16)
                .map(|i| r.get(i))
                .collect::<rusqlite::Result<_>>()
                .map(V3Row)
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut kept = std::collections::HashSet::new();
    for V3Row(v) in rows {
        let id = text(&v[0]).unwrap_or_default();
        let Some(canon) = fundkit::rules::canonical_donation_id(&id) else {
            continue;
        };
        // (donor_id, fundraiser_id, amount_minor, currency, outcome, code, received_at_ms)
        let (donor, outcome, code, at) = (&v[1], &v[9], &v[10], &v[12]);
        if !kept.insert(canon.clone()) {
            tx.execute(
                "INSERT INTO donation_id_conflicts (id, original_id, donor_id, fundraiser_id, amount_minor,
                     currency, outcome, code, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![canon, id, donor, v[2], v[3], v[4], outcome, code, at],
            )?;
            continue;
        }
        let outcome_text = text(outcome).unwrap_or_default();
        if super::refused_before_payment(&outcome_text, text(code).as_deref()) {
            tx.execute(
                &format!(
                    "INSERT INTO donations (id, donor_id, fundraiser_id, amount_minor, currency, message, visibility,
                         hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                     VALUES (?1, ?2, '', 0, '', NULL, 'anonymous', 0, '{REFUSED}', 'refused', ?3, ?4, ?5)"
                ),
                params![canon, donor, code, at, v[13]],
            )?;
        } else {
            let mut values = v;
            values[0] = rusqlite::types::Value::Text(canon);
            tx.execute(
                "INSERT INTO donations (id, donor_id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, code, action_url, received_at_ms, change_seq, challenge,
                     action_deadline_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                rusqlite::params_from_iter(values),
            )?;
        }
    }
    tx.execute_batch(
        "DROP TABLE donations_v3;
         UPDATE psp_charges SET
             fundraiser_id = (SELECT d.fundraiser_id FROM donations d WHERE d.id = psp_charges.idem_key),
             amount_minor = (SELECT d.amount_minor FROM donations d WHERE d.id = psp_charges.idem_key),
             currency = (SELECT d.currency FROM donations d WHERE d.id = psp_charges.idem_key);",
    )?;
    let changed: Vec<(String, i64, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT f.id, COALESCE(SUM(d.amount_minor), 0), COUNT(d.id) FROM fundraisers f
             LEFT JOIN donations d ON d.fundraiser_id = f.id AND d.outcome = 'accepted'
             GROUP BY f.id HAVING COALESCE(SUM(d.amount_minor), 0) <> f.confirmed_minor
                 OR COUNT(d.id) <> f.donation_count
             ORDER BY f.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, total, count) in changed {
        tx.execute(
            &format!(
                "UPDATE fundraisers SET confirmed_minor = ?2, donation_count = ?3,
                     change_seq = {NEXT_FUNDRAISER_CHANGE} WHERE id = ?1"
            ),
            params![id, total, count],
        )?;
    }
    Ok(())
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
                     currency, country, state, duration_days, created_at_ms, ends_at_ms, updated_at_ms, change_seq,
                     charity_name, charity_number)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13, {NEXT_FUNDRAISER_CHANGE},
                     ?15, ?16)"
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
                draft.charity.as_ref().map(|c| &c.name),
                draft.charity.as_ref().map(|c| &c.number),
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
        feed_page(rows, since, limit, AFTER_FUNDRAISER_COLUMNS, |row| {
            fundraiser_from(row).map(Some)
        })
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
            if let Some(stored) = stored_result(&tx, &item.id)? {
                out.push(answer_for_stored(item, fingerprint, donor, stored));
                continue;
            }
            let fundraiser = fundraiser_in(&tx, &item.fundraiser_id)?;
            match validate(item, fundraiser.as_ref()) {
                // Refused before any payment step: id, donor, code and time, nothing else.
                Err(code) => {
                    tx.prepare_cached(&format!(
                        "INSERT INTO donations (id, donor_id, fundraiser_id, amount_minor, currency, message,
                             visibility, hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                         VALUES (?1, ?2, '', 0, '', NULL, 'anonymous', 0, '{REFUSED}', 'refused', ?3, ?4,
                             {NEXT_DONATION_CHANGE})"
                    ))?
                    .execute(params![item.id, donor.id, code, now_ms])?;
                    out.push(refused_item(item, code, now_ms));
                }
                Ok(priced) => {
                    tx.prepare_cached(&format!(
                        "INSERT INTO donations (id, donor_id, fundraiser_id, amount_minor, currency, message,
                             visibility, hide_amount, fingerprint, outcome, received_at_ms, change_seq,
                             donor_pays_minor, fee_minor, cover_fee, gift_aid, source)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, {NEXT_DONATION_CHANGE},
                             ?11, ?12, ?13, ?14, ?15)"
                    ))?
                    .execute(params![
                        item.id,
                        donor.id,
                        item.fundraiser_id,
                        item.amount.minor_units,
                        item.amount.currency,
                        item.message,
                        name(&item.visibility)?,
                        item.hide_amount,
                        fingerprint,
                        now_ms,
                        priced.donor_pays_minor,
                        priced.fee_minor,
                        item.cover_fee,
                        item.gift_aid.is_some(),
                        item.source.map(|s| s.as_str()),
                    ])?;
                    if let (Some(d), Some(charity)) = (&item.gift_aid, &priced.charity) {
                        tx.prepare_cached(
                            "INSERT INTO gift_aid_declarations (donation_id, fundraiser_id, charity_name,
                                 charity_number, first_name, last_name, house, postcode, wording_version,
                                 declared_at_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        )?
                        .execute(params![
                            item.id,
                            item.fundraiser_id,
                            charity.name,
                            charity.number,
                            d.first_name,
                            d.last_name,
                            d.house,
                            d.postcode,
                            d.wording_version,
                            now_ms,
                        ])?;
                    }
                    out.push(Recorded::ToCharge);
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn psp_charge(
        &self,
        requests: &[ChargeRequest],
        now_ms: i64,
    ) -> Result<Vec<Charge>, StoreError> {
        // One short transaction for the whole request's charges (the simulated provider's
        // own ledger; a real one is called per payment, with the same keys).
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            if let Some(c) = ledger_entry(&tx, &r.key)? {
                out.push(c);
                continue;
            }
            let c = crate::payments::charge(&r.token);
            tx.prepare_cached(
                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms, fundraiser_id,
                     amount_minor, currency, covered_fee_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                r.key,
                name(&c.outcome)?,
                c.code,
                c.challenge,
                now_ms,
                r.fundraiser_id,
                r.amount_minor,
                r.currency,
                r.covered_fee_minor
            ])?;
            out.push(c);
        }
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn ledger_mismatches(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT f.id, f.confirmed_minor,
                 (SELECT COALESCE(SUM(p.amount_minor - p.covered_fee_minor), 0) FROM psp_charges p
                  WHERE p.fundraiser_id = f.id AND p.outcome = 'accepted') AS charged
             FROM fundraisers f WHERE f.confirmed_minor <> charged ORDER BY f.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// [confirmed total, fees taken (not covered), Gift Aid count, Gift Aid claimable,
    /// from a link, from a story sticker, from a profile] over `id`'s confirmed donations.
    pub(super) fn organiser_sums(&self, id: &str) -> Result<[i64; 7], StoreError> {
        Ok(self
            .conn()
            .prepare_cached(ORGANISER_SUMS)?
            .query_row(params![id], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ])
            })?)
    }

    pub(super) fn gift_aid_claims(&self, id: &str) -> Result<Vec<GiftAidClaim>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(GIFT_AID_CLAIMS)?;
        let rows = stmt.query_map(params![id], |r| {
            Ok(GiftAidClaim {
                first_name: r.get(0)?,
                last_name: r.get(1)?,
                house: r.get(2)?,
                postcode: r.get(3)?,
                received_at_ms: r.get(4)?,
                amount: fundkit::Money {
                    minor_units: r.get(5)?,
                    currency: r.get(6)?,
                },
                wording_version: r.get(7)?,
                donation_id: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
            match stored_result(&tx, id)? {
                Some(stored) if stored.donor_id != donor.id => results.push(id_in_use(id)),
                // `pending`: recorded, not settled. The provider's answer settles it; with
                // none, the attempt is cancelled at the provider (a void entry under its
                // key, so that a charge still in flight answers void and takes nothing) and
                // settled as void.
                Some(stored) if stored.result.outcome == ItemOutcome::Unknown => {
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
                Some(stored) => results.push(stored.result),
                None => {
                    tx.prepare_cached(&format!(
                        "INSERT INTO donations (id, donor_id, fundraiser_id, amount_minor, currency, message, visibility,
                             hide_amount, fingerprint, outcome, code, received_at_ms, change_seq)
                         VALUES (?1, ?2, '', 0, '', NULL, 'anonymous', 0, 'void', 'void', 'never_received', ?3,
                             {NEXT_DONATION_CHANGE})"
                    ))?
                    .execute(params![id, donor.id, now_ms])?;
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
        let row: Option<(String, String, String, i64, Option<String>)> = tx
            .query_row(
                "SELECT d.id, d.outcome, d.fundraiser_id, d.amount_minor, f.state FROM donations d
                 LEFT JOIN fundraisers f ON f.id = d.fundraiser_id WHERE d.challenge = ?1",
                params![challenge],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((id, outcome, fundraiser_id, amount, state)) = row else {
            return Err(StoreError::NotFound("bank step"));
        };
        let (want, code) = match bank_outcome(&outcome, complete, state.as_deref().unwrap_or(""))? {
            Ok(want) => want,
            Err(already) => return Ok(already),
        };
        tx.execute(
            &format!(
                "UPDATE donations SET outcome = ?2, code = ?3, received_at_ms = ?4,
                     change_seq = {NEXT_DONATION_CHANGE} WHERE id = ?1"
            ),
            params![id, name(&want)?, code, now_ms],
        )?;
        // The provider captures the authorised charge, or lets it go.
        tx.execute(
            "UPDATE psp_charges SET outcome = ?2, code = ?3 WHERE idem_key = ?1",
            params![id, name(&want)?, code],
        )?;
        if want == ItemOutcome::Accepted {
            count_towards_fundraiser(&tx, &fundraiser_id, amount, now_ms)?;
        }
        tx.commit()?;
        Ok(want)
    }

    pub(super) fn abandon_overdue_steps(&self, now_ms: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let overdue: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM donations INDEXED BY donations_awaiting_action
                 WHERE outcome = 'needs_action' AND action_deadline_ms <= ?1",
            )?;
            let rows = stmt.query_map(params![now_ms], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for id in &overdue {
            tx.execute(
                &format!(
                    "UPDATE donations SET outcome = 'rejected', code = 'action_abandoned',
                         change_seq = {NEXT_DONATION_CHANGE} WHERE id = ?1"
                ),
                params![id],
            )?;
            tx.execute(
                "UPDATE psp_charges SET outcome = 'rejected', code = 'action_abandoned' WHERE idem_key = ?1",
                params![id],
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

    pub(super) fn review_queue(
        &self,
    ) -> Result<Vec<(Fundraiser, Option<PendingEdit>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers f WHERE state = 'in_review'
                 OR (state = 'active' AND EXISTS (SELECT 1 FROM fundraiser_edits e
                     WHERE e.fundraiser_id = f.id AND e.declined_reason IS NULL))
             ORDER BY created_at_ms LIMIT 500"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let f = fundraiser_from(row)?;
            let edit = pending_edit_in(&conn, &f.id)?;
            out.push((f, edit));
        }
        Ok(out)
    }

    pub(super) fn review(
        &self,
        id: &str,
        decision: ReviewDecision,
        reason: Option<String>,
        charity: Option<&fundkit::model::Charity>,
        now_ms: i64,
    ) -> Result<Fundraiser, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = fundraiser_in(&tx, id)?.ok_or(StoreError::NotFound("fundraiser"))?;
        let pending = pending_edit_in(&tx, id)?;
        let (next, edit) = reviewed(&current, pending, decision, reason, now_ms)?;
        update_fundraiser(&tx, id, &next, now_ms)?;
        if let Some(charity) = charity {
            tx.execute(
                "UPDATE fundraisers SET charity_name = ?2, charity_number = ?3 WHERE id = ?1",
                params![id, charity.name, charity.number],
            )?;
        }
        match edit {
            None => tx.execute(
                "DELETE FROM fundraiser_edits WHERE fundraiser_id = ?1",
                params![id],
            )?,
            Some(e) => tx.execute(
                "UPDATE fundraiser_edits SET declined_reason = ?2 WHERE fundraiser_id = ?1",
                params![id, e.declined_reason],
            )?,
        };
        let stored = fundraiser_in(&tx, id)?
            .ok_or_else(|| StoreError::internal("reviewed fundraiser missing"))?;
        tx.commit()?;
        Ok(stored)
    }

    pub(super) fn propose_edit(
        &self,
        id: &str,
        title: &str,
        story: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO fundraiser_edits (fundraiser_id, title, story, submitted_at_ms, declined_reason)
             VALUES (?1, ?2, ?3, ?4, NULL)
             ON CONFLICT (fundraiser_id) DO UPDATE SET title = excluded.title, story = excluded.story,
                 submitted_at_ms = excluded.submitted_at_ms, declined_reason = NULL",
            params![id, title, story, now_ms],
        )?;
        Ok(())
    }

    pub(super) fn pending_edit(&self, id: &str) -> Result<Option<PendingEdit>, StoreError> {
        pending_edit_in(&self.conn(), id)
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
        update_fundraiser(&tx, id, &next, now_ms)?;
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
        let page = feed_page(rows, since, limit, AFTER_ENTRY_COLUMNS, |r| {
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
            "SELECT {OWN_COLUMNS} FROM donations WHERE donor_id = ?1 AND outcome NOT IN ('void', 'pending', 'refused')
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
             WHERE id = ?2 AND donor_id = ?1 AND outcome = 'pending'"
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
            "SELECT fundraiser_id, amount_minor FROM donations WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        count_towards_fundraiser(tx, &fundraiser_id, amount, now_ms)?;
    }
    let stored =
        stored_result(tx, id)?.ok_or_else(|| StoreError::internal("settled donation missing"))?;
    if stored.donor_id != donor.id {
        return Ok(id_in_use(id));
    }
    let mut result = stored.result;
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

/// What is stored under donation id `id` (whoever's it is).
fn stored_result(conn: &Connection, id: &str) -> Result<Option<Stored>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STORED_COLUMNS} FROM donations WHERE id = ?1"
    ))?;
    let mut rows = stmt.query(params![id])?;
    rows.next()?.map(|r| stored_from(r, id)).transpose()
}

/// Writes a fundraiser's mutable columns and announces it on the feed.
fn update_fundraiser(
    tx: &Connection,
    id: &str,
    next: &Fundraiser,
    now_ms: i64,
) -> Result<(), StoreError> {
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
    Ok(())
}

/// The edit of fundraiser `id` waiting for review (or declined), if any.
fn pending_edit_in(conn: &Connection, id: &str) -> Result<Option<PendingEdit>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT title, story, submitted_at_ms, declined_reason FROM fundraiser_edits WHERE fundraiser_id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(PendingEdit {
                title: r.get(0)?,
                story: r.get(1)?,
                submitted_at_ms: r.get(2)?,
                declined_reason: r.get(3)?,
            })
        })
        .optional()?)
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

#[cfg(test)]
mod tests {
    use super::super::upgrade_fixture;
    use super::*;

    /// v4 upgrades a database of every released schema (v1, v2, v3) as
    /// docs/server-storage.md says.
    #[test]
    fn v4_upgrades_a_database_of_every_released_schema() {
        for version in 1..=3 {
            let mut conn = Connection::open_in_memory().unwrap();
            migrations().to_version(&mut conn, version).unwrap();
            let seed = upgrade_fixture::seed_sql(version >= 2, |b| if b { "1" } else { "0" });
            conn.execute_batch(&seed).unwrap();
            if version >= 3 {
                conn.execute_batch(upgrade_fixture::LEDGER_SQL).unwrap();
            }
            migrations().to_latest(&mut conn).unwrap();
            let rows = conn
                .prepare("SELECT id, donor_id, outcome, amount_minor, message FROM donations ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let conflicts = conn
                .prepare("SELECT id, donor_id FROM donation_id_conflicts")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let total = conn
                .query_row(
                    "SELECT confirmed_minor, donation_count FROM fundraisers WHERE id = 'fr_1'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            upgrade_fixture::check(rows, conflicts, total);
            let store = SqliteStore {
                conn: Mutex::new(conn),
            };
            if version >= 3 {
                assert_eq!(store.ledger_mismatches().unwrap(), vec![], "v{version}");
            }
        }
    }
}
