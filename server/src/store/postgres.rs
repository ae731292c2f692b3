//! The server on PostgreSQL: the same guarantees as SQLite when several server instances
//! share one database.
//!
//! - Dedup and conflicts: the (donor, id) primary key. A batch records with
//!   `ON CONFLICT DO NOTHING` and, when another instance recorded the id first, answers as
//!   a repeat of what that one stored.
//! - Charges: the provider's ledger has one entry per key (`ON CONFLICT DO NOTHING`); a
//!   reconciliation cancels an unsettled attempt there, so a charge still in flight on
//!   another instance takes nothing.
//! - Feeds that never skip: a changed row's `change_seq` is NULL (invisible to feeds) until
//!   the transaction's last step, which takes the feed lock (`pg_advisory_xact_lock`, held
//!   to commit) and stamps its rows from a sequence. Stamps are therefore handed out in
//!   commit order, and a reader that sees number n sees every number below n that will ever
//!   commit. The lock's holder waits on nothing else (its rows are already its own), so it
//!   cannot deadlock.
//! - Read-modify-write (an organiser's change, a bank step) locks its row (`FOR UPDATE`);
//!   an organiser's active limit is checked under a per-organiser advisory lock.
//! - Contention the database resolves by aborting (a deadlock, a lost race on a unique key,
//!   a dropped connection) is `StoreError::Busy`: nothing changed, send again.

use std::collections::BTreeMap;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction,
};
use fundkit::model::Fundraiser;
use fundkit::wire::{DonationEntry, DonationItem, ItemOutcome, ItemResult, OwnDonation};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use super::{
    answer_for_stored, bank_outcome, charge_from, entry_from, fundraiser_from, key_reused, name,
    own_from, refused_item, shown_to_donor, stored_from, to_json, void_result, BankPage, Charge,
    Cols, FeedPage, NewFundraiser, Recorded, StoreError, Validate, ENTRY_COLUMNS,
    FUNDRAISER_COLUMNS, OWN_COLUMNS, STORED_COLUMNS,
};
use crate::auth::DevUser;

refinery::embed_migrations!("migrations/postgres");

/// The transaction's last step before COMMIT: the feed lock, then stamps for the rows it
/// changed (see the module's comment). The lock is per schema, so that test schemas on one
/// database do not wait on each other.
const STAMP: &str = "SELECT pg_advisory_xact_lock(hashtext(current_schema()), 0);
     UPDATE donations SET change_seq = nextval('donation_changes') WHERE change_seq IS NULL;
     UPDATE fundraisers SET change_seq = nextval('fundraiser_changes') WHERE change_seq IS NULL;";

/// Connections per server instance.
const POOL_SIZE: usize = 16;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let retry = match e.code() {
            // No answer from the server: the connection broke or the pool's reconnect
            // failed. Whatever was open rolled back.
            None => true,
            Some(code) => [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::UNIQUE_VIOLATION,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code),
        };
        if retry {
            StoreError::Busy(e.to_string())
        } else {
            StoreError::internal(e)
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Busy(e.to_string())
    }
}

impl Cols for Row {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(self.try_get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.try_get(i)?)
    }
}

/// Commits a transaction that changed rows of a feed: stamps them first (`STAMP`).
async fn commit(tx: Transaction<'_>) -> Result<(), StoreError> {
    tx.batch_execute(STAMP).await?;
    tx.commit().await?;
    Ok(())
}

impl PgStore {
    /// Connects a pool to `url` (a `postgres://` URL or key=value string) and brings the
    /// schema up to date. With `schema`, everything lives in that schema (made if missing):
    /// how tests give each server its own database on one cluster.
    pub async fn open(url: &str, schema: Option<&str>) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(StoreError::internal)?;
        if let Some(schema) = schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(StoreError::internal(format!(
                    "a schema name is lowercase letters, digits and _: {schema:?}"
                )));
            }
            config.options(format!("-c search_path={schema}"));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(StoreError::internal)?;
        let mut client = pool.get().await?;
        if let Some(schema) = schema {
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await?;
        }
        // Instances started together migrate one at a time.
        client
            .batch_execute("SELECT pg_advisory_lock(hashtext(current_schema()), 1)")
            .await?;
        let migrated = migrations::runner()
            .run_async(&mut **client)
            .await
            .map_err(StoreError::internal);
        client
            .batch_execute("SELECT pg_advisory_unlock(hashtext(current_schema()), 1)")
            .await?;
        migrated?;
        drop(client);
        Ok(PgStore { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    pub(super) async fn create_fundraiser(
        &self,
        new: &NewFundraiser,
    ) -> Result<(Fundraiser, bool), StoreError> {
        let organiser = new.organiser;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The key check and the active limit hold for this organiser across instances.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/organiser'), hashtext($1))",
            &[&organiser.id],
        )
        .await?;
        let existing = tx
            .query_opt(
                "SELECT fingerprint, fundraiser_id FROM fundraiser_keys WHERE organiser_id = $1 AND idem_key = $2",
                &[&organiser.id, &new.key],
            )
            .await?;
        if let Some(row) = existing {
            if row.text(0)? != new.fingerprint {
                return Err(key_reused());
            }
            let f = fundraiser_in(&tx, &row.text(1)?)
                .await?
                .ok_or_else(|| StoreError::internal("keyed fundraiser missing"))?;
            return Ok((f, false));
        }
        let active = tx
            .query_one(
                "SELECT COUNT(*) FROM fundraisers WHERE organiser_id = $1 AND state IN ('in_review', 'active')",
                &[&organiser.id],
            )
            .await?
            .int(0)?;
        new.limit_reached(active)?;
        let id = format!("fr_{}", uuid::Uuid::now_v7().simple());
        let draft = &new.draft;
        let days = i64::from(new.config.limits.default_duration_days);
        tx.execute(
            "INSERT INTO fundraisers (id, organiser_id, organiser_name, kind, category, title, story, goal_minor,
                 currency, country, state, duration_days, created_at_ms, ends_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)",
            &[
                &id,
                &organiser.id,
                &organiser.name,
                &to_json(&draft.kind)?,
                &name(&draft.category)?,
                &draft.title,
                &draft.story,
                &draft.goal.minor_units,
                &draft.goal.currency,
                &draft.country,
                &name(&new.state())?,
                &days,
                &new.now_ms,
                &new.ends_at_ms(),
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO fundraiser_keys (organiser_id, idem_key, fingerprint, fundraiser_id) VALUES ($1, $2, $3, $4)",
            &[&organiser.id, &new.key, &new.fingerprint, &id],
        )
        .await?;
        let f = fundraiser_in(&tx, &id)
            .await?
            .ok_or_else(|| StoreError::internal("created fundraiser missing"))?;
        commit(tx).await?;
        Ok((f, true))
    }

    pub(super) async fn fundraiser(&self, id: &str) -> Result<Option<Fundraiser>, StoreError> {
        fundraiser_in(&self.client().await?, id).await
    }

    pub(super) async fn changes(
        &self,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<Fundraiser>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {FUNDRAISER_COLUMNS}, change_seq FROM fundraisers
                 WHERE change_seq > $1 ORDER BY change_seq LIMIT $2"
            ))
            .await?;
        let rows = client
            .query(&stmt, &[&since, &(i64::from(limit) + 1)])
            .await?;
        feed_page(&rows, since, limit, 18, |r| fundraiser_from(r).map(Some))
    }

    pub(super) async fn record_batch(
        &self,
        donor: &DevUser,
        items: &[(DonationItem, String)],
        now_ms: i64,
        mut validate: Validate,
    ) -> Result<Vec<Recorded>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, code, received_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (donor_id, id) DO NOTHING",
            )
            .await?;
        let mut out = Vec::with_capacity(items.len());
        'items: for (item, fingerprint) in items {
            // Twice at most: a row another instance inserted first is read on the second.
            for _ in 0..2 {
                if let Some((fp, stored)) = stored_result(&tx, donor, &item.id).await? {
                    out.push(answer_for_stored(item, fingerprint, &fp, stored));
                    continue 'items;
                }
                let fundraiser = fundraiser_in(&tx, &item.fundraiser_id).await?;
                let refusal = validate(item, fundraiser.as_ref());
                let outcome = if refusal.is_some() {
                    "rejected"
                } else {
                    "pending"
                };
                let inserted = tx
                    .execute(
                        &insert,
                        &[
                            &donor.id,
                            &item.id,
                            &item.fundraiser_id,
                            &item.amount.minor_units,
                            &item.amount.currency,
                            &item.message,
                            &name(&item.visibility)?,
                            &item.hide_amount,
                            fingerprint,
                            &outcome,
                            &refusal,
                            &now_ms,
                        ],
                    )
                    .await?;
                if inserted == 1 {
                    out.push(match refusal {
                        Some(code) => refused_item(item, code, now_ms),
                        None => Recorded::ToCharge,
                    });
                    continue 'items;
                }
            }
            return Err(StoreError::Busy(format!(
                "donation {} is being recorded by another request",
                item.id
            )));
        }
        commit(tx).await?;
        Ok(out)
    }

    pub(super) async fn psp_charge(
        &self,
        requests: &[(String, String)],
        now_ms: i64,
    ) -> Result<Vec<Charge>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idem_key) DO NOTHING",
            )
            .await?;
        let mut out = Vec::with_capacity(requests.len());
        for (idem_key, token) in requests {
            let c = crate::payments::charge(token);
            let inserted = tx
                .execute(
                    &insert,
                    &[idem_key, &name(&c.outcome)?, &c.code, &c.challenge, &now_ms],
                )
                .await?;
            if inserted == 1 {
                out.push(c);
            } else {
                // Charged (or cancelled) before, perhaps by another instance: its answer.
                out.push(
                    ledger_entry(&tx, idem_key)
                        .await?
                        .ok_or_else(|| StoreError::Busy("ledger entry in flight".into()))?,
                );
            }
        }
        // The ledger is no feed: no stamp, no feed lock.
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn psp_charges_for(&self, idem_key: &str) -> Result<u32, StoreError> {
        let n = self
            .client()
            .await?
            .query_one(
                "SELECT COUNT(*) FROM psp_charges WHERE idem_key = $1 AND outcome <> 'void'",
                &[&idem_key],
            )
            .await?
            .int(0)?;
        u32::try_from(n).map_err(StoreError::internal)
    }

    pub(super) async fn settle(
        &self,
        donor: &DevUser,
        charged: &[(String, Charge)],
        now_ms: i64,
        bank: &BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut totals = Totals::default();
        let mut out = Vec::with_capacity(charged.len());
        for (id, c) in charged {
            out.push(settle_in(&tx, donor, id, c, now_ms, bank, &mut totals).await?);
        }
        totals.apply(&tx, now_ms).await?;
        commit(tx).await?;
        Ok(out)
    }

    pub(super) async fn reconcile(
        &self,
        donor: &DevUser,
        ids: &[String],
        now_ms: i64,
        bank: &BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut totals = Totals::default();
        let mut results = Vec::with_capacity(ids.len());
        'ids: for id in ids {
            for _ in 0..2 {
                match stored_result(&tx, donor, id).await? {
                    // `pending`: settled with the provider's answer; with none, the attempt
                    // is cancelled at the provider first (see SqliteStore::reconcile).
                    Some((_, stored)) if stored.outcome == ItemOutcome::Unknown => {
                        tx.execute(
                            "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms)
                             VALUES ($1, 'void', 'never_received', NULL, $2) ON CONFLICT (idem_key) DO NOTHING",
                            &[id, &now_ms],
                        )
                        .await?;
                        let c = ledger_entry(&tx, id)
                            .await?
                            .ok_or_else(|| StoreError::internal("ledger entry missing"))?;
                        results
                            .push(settle_in(&tx, donor, id, &c, now_ms, bank, &mut totals).await?);
                        continue 'ids;
                    }
                    Some((_, stored)) => {
                        results.push(stored);
                        continue 'ids;
                    }
                    None => {
                        let inserted = tx
                            .execute(
                                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message,
                                     visibility, hide_amount, fingerprint, outcome, code, received_at_ms)
                                 VALUES ($1, $2, '', 0, '', NULL, 'anonymous', FALSE, 'void', 'void',
                                     'never_received', $3)
                                 ON CONFLICT (donor_id, id) DO NOTHING",
                                &[&donor.id, id, &now_ms],
                            )
                            .await?;
                        if inserted == 1 {
                            results.push(void_result(id, now_ms));
                            continue 'ids;
                        }
                    }
                }
            }
            return Err(StoreError::Busy(format!(
                "donation {id} is being recorded by another request"
            )));
        }
        totals.apply(&tx, now_ms).await?;
        commit(tx).await?;
        Ok(results)
    }

    pub(super) async fn bank_step(
        &self,
        challenge: &str,
        complete: bool,
        now_ms: i64,
    ) -> Result<ItemOutcome, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT donor_id, id, outcome, fundraiser_id, amount_minor FROM donations
                 WHERE challenge = $1 FOR UPDATE",
                &[&challenge],
            )
            .await?
            .ok_or(StoreError::NotFound("bank step"))?;
        let want = match bank_outcome(&row.text(2)?, complete)? {
            Ok(want) => want,
            Err(already) => return Ok(already),
        };
        let code = (!complete).then_some("authentication_failed");
        tx.execute(
            "UPDATE donations SET outcome = $3, code = $4, received_at_ms = $5, change_seq = NULL
             WHERE donor_id = $1 AND id = $2",
            &[&row.text(0)?, &row.text(1)?, &name(&want)?, &code, &now_ms],
        )
        .await?;
        if complete {
            let mut totals = Totals::default();
            totals.add(row.text(3)?, row.int(4)?);
            totals.apply(&tx, now_ms).await?;
        }
        commit(tx).await?;
        Ok(want)
    }

    pub(super) async fn abandon_overdue_steps(&self, now_ms: i64) -> Result<usize, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE donations SET outcome = 'rejected', code = 'action_abandoned', change_seq = NULL
                 WHERE outcome = 'needs_action' AND action_deadline_ms <= $1",
                &[&now_ms],
            )
            .await?;
        commit(tx).await?;
        Ok(n as usize)
    }

    pub(super) async fn end_overdue(&self, now_ms: i64) -> Result<usize, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE fundraisers SET state = 'ended', ends_at_ms = LEAST(ends_at_ms, $1),
                     updated_at_ms = $1, change_seq = NULL
                 WHERE state = 'active' AND ends_at_ms <= $1",
                &[&now_ms],
            )
            .await?;
        commit(tx).await?;
        Ok(n as usize)
    }

    pub(super) async fn review_queue(&self) -> Result<Vec<Fundraiser>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE state = 'in_review'
                     ORDER BY created_at_ms LIMIT 500"
                ),
                &[],
            )
            .await?;
        rows.iter().map(fundraiser_from).collect()
    }

    pub(super) async fn change_fundraiser<E: From<StoreError>>(
        &self,
        id: &str,
        now_ms: i64,
        change: impl FnOnce(&Fundraiser) -> Result<Fundraiser, E>,
    ) -> Result<Fundraiser, E> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        let current = tx
            .query_opt(
                &format!("SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await
            .map_err(StoreError::from)?
            .map(|r| fundraiser_from(&r))
            .transpose()?
            .ok_or(StoreError::NotFound("fundraiser"))?;
        let next = change(&current)?;
        tx.execute(
            "UPDATE fundraisers SET title = $2, story = $3, category = $4, goal_minor = $5, state = $6,
                 duration_days = $7, ends_at_ms = $8, removal_reason = $9, updated_at_ms = $10,
                 change_seq = NULL
             WHERE id = $1",
            &[
                &id,
                &next.title,
                &next.story,
                &name(&next.category)?,
                &next.goal.minor_units,
                &name(&next.state)?,
                &i64::from(next.duration_days),
                &next.ends_at_ms,
                &next.removal_reason,
                &now_ms,
            ],
        )
        .await
        .map_err(StoreError::from)?;
        let stored = fundraiser_in(&tx, id)
            .await?
            .ok_or_else(|| StoreError::internal("changed fundraiser missing"))?;
        commit(tx).await?;
        Ok(stored)
    }

    pub(super) async fn donors(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<(FeedPage<DonationEntry>, u64), StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {ENTRY_COLUMNS}, d.change_seq FROM donations d
                     WHERE d.fundraiser_id = $1 AND d.change_seq > $2 AND d.outcome = 'accepted'
                     ORDER BY d.change_seq LIMIT $3"
                ),
                &[&fundraiser.id, &since, &(i64::from(limit) + 1)],
            )
            .await?;
        let page = feed_page(&rows, since, limit, 8, |r| {
            entry_from(r, fundraiser, viewer).map(Some)
        })?;
        let donors = client
            .query_one(
                "SELECT COUNT(DISTINCT donor_id) FROM donations WHERE fundraiser_id = $1 AND outcome = 'accepted'",
                &[&fundraiser.id],
            )
            .await?
            .int(0)?;
        Ok((page, donors.max(0) as u64))
    }

    pub(super) async fn public_donations(
        &self,
        fundraiser: &Fundraiser,
        viewer: &DevUser,
    ) -> Result<Vec<DonationEntry>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM donations d WHERE d.fundraiser_id = $1 AND d.outcome = 'accepted'
                     ORDER BY d.received_at_ms DESC, d.id DESC LIMIT 500"
                ),
                &[&fundraiser.id],
            )
            .await?;
        rows.iter()
            .map(|r| entry_from(r, fundraiser, viewer))
            .collect()
    }

    pub(super) async fn own_donations(
        &self,
        donor: &DevUser,
    ) -> Result<Vec<OwnDonation>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {OWN_COLUMNS} FROM donations WHERE donor_id = $1 AND outcome NOT IN ('void', 'pending')
                     ORDER BY received_at_ms DESC, id DESC LIMIT 500"
                ),
                &[&donor.id],
            )
            .await?;
        rows.iter().map(own_from).collect()
    }

    pub(super) async fn own_changes(
        &self,
        donor: &DevUser,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<OwnDonation>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {OWN_COLUMNS}, change_seq FROM donations
                     WHERE donor_id = $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3"
                ),
                &[&donor.id, &since, &(i64::from(limit) + 1)],
            )
            .await?;
        feed_page(&rows, since, limit, 11, |r| {
            if !shown_to_donor(&r.text(7)?) {
                return Ok(None);
            }
            own_from(r).map(Some)
        })
    }
}

/// Amounts to add to fundraisers' totals, applied at the end of the transaction in id
/// order: two transactions adding to the same fundraisers lock them in the same order, so
/// they wait for each other instead of deadlocking.
#[derive(Default)]
struct Totals(BTreeMap<String, (i64, i64)>);

impl Totals {
    fn add(&mut self, fundraiser_id: String, amount_minor: i64) {
        let t = self.0.entry(fundraiser_id).or_default();
        t.0 = t.0.saturating_add(amount_minor);
        t.1 += 1;
    }

    async fn apply(self, tx: &Transaction<'_>, now_ms: i64) -> Result<(), StoreError> {
        for (id, (amount, count)) in self.0 {
            tx.execute(
                "UPDATE fundraisers SET confirmed_minor = confirmed_minor + $2,
                     donation_count = donation_count + $3, updated_at_ms = $4, change_seq = NULL
                 WHERE id = $1",
                &[&id, &amount, &count, &now_ms],
            )
            .await?;
        }
        Ok(())
    }
}

/// Settles one `pending` donation with the provider's answer; see `Store::settle`. A row
/// another transaction settled first is left as it is (the `WHERE outcome = 'pending'`
/// is checked again once its lock is free).
async fn settle_in(
    tx: &Transaction<'_>,
    donor: &DevUser,
    id: &str,
    c: &Charge,
    now_ms: i64,
    bank: &BankPage,
    totals: &mut Totals,
) -> Result<ItemResult, StoreError> {
    let (action_url, deadline) = bank.for_charge(c, now_ms);
    let stmt = tx
        .prepare_cached(
            "UPDATE donations SET outcome = $3, code = $4, action_url = $5, challenge = $6,
                 action_deadline_ms = $7, change_seq = NULL
             WHERE donor_id = $1 AND id = $2 AND outcome = 'pending'
             RETURNING fundraiser_id, amount_minor",
        )
        .await?;
    let changed = tx
        .query_opt(
            &stmt,
            &[
                &donor.id,
                &id,
                &name(&c.outcome)?,
                &c.code,
                &action_url,
                &c.challenge,
                &deadline,
            ],
        )
        .await?;
    if let Some(row) = &changed {
        if c.outcome == ItemOutcome::Accepted {
            totals.add(row.text(0)?, row.int(1)?);
        }
    }
    let (_, mut result) = stored_result(tx, donor, id)
        .await?
        .ok_or_else(|| StoreError::internal("settled donation missing"))?;
    result.duplicate = changed.is_none();
    Ok(result)
}

/// One page of a cursor feed read with `LIMIT limit + 1`; see the SQLite store's.
fn feed_page<T>(
    rows: &[Row],
    since: i64,
    limit: u32,
    seq_column: usize,
    mut map: impl FnMut(&Row) -> Result<Option<T>, StoreError>,
) -> Result<FeedPage<T>, StoreError> {
    let keep = rows.len().min(limit as usize);
    let mut out = Vec::with_capacity(keep);
    let mut last = since;
    for row in &rows[..keep] {
        last = row.int(seq_column)?;
        out.extend(map(row)?);
    }
    Ok((out, last, rows.len() > keep))
}

async fn stored_result(
    c: &impl GenericClient,
    donor: &DevUser,
    id: &str,
) -> Result<Option<(String, ItemResult)>, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {STORED_COLUMNS} FROM donations WHERE donor_id = $1 AND id = $2"
        ))
        .await?;
    c.query_opt(&stmt, &[&donor.id, &id])
        .await?
        .map(|r| stored_from(&r, id))
        .transpose()
}

async fn ledger_entry(
    c: &impl GenericClient,
    idem_key: &str,
) -> Result<Option<Charge>, StoreError> {
    c.query_opt(
        "SELECT outcome, code, challenge FROM psp_charges WHERE idem_key = $1",
        &[&idem_key],
    )
    .await?
    .map(|r| charge_from(&r))
    .transpose()
}

async fn fundraiser_in(c: &impl GenericClient, id: &str) -> Result<Option<Fundraiser>, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = $1"
        ))
        .await?;
    c.query_opt(&stmt, &[&id])
        .await?
        .map(|r| fundraiser_from(&r))
        .transpose()
}
