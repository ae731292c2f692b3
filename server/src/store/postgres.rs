//! The server on PostgreSQL: the same guarantees as SQLite when several server instances
//! share one database.
//!
//! - Dedup and conflicts: the donation id's primary key (whoever's it is). A batch records with
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction,
};
use fundkit::model::Fundraiser;
use fundkit::wire::{DonationEntry, DonationItem, ItemOutcome, ItemResult, OwnDonation};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use super::{
    answer_for_stored, bank_outcome, charge_from, entry_from, fundraiser_from, id_in_use,
    key_reused, name, new_fundraiser_id, own_from, refused_item, reviewed, shown_to_donor,
    stored_from, to_json, void_result, BankPage, Charge, ChargeRequest, Cols, FeedPage,
    GiftAidClaim, NewFundraiser, Priced, Recorded, StoreError, Stored, Validate,
    AFTER_ENTRY_COLUMNS, AFTER_FUNDRAISER_COLUMNS, ENTRY_COLUMNS, FUNDRAISER_COLUMNS,
    GIFT_AID_CLAIMS, ORGANISER_SUMS, OWN_COLUMNS, REFUSED, STORED_COLUMNS,
};
use crate::users::DevUser;
use fundkit::wire::{PendingEdit, ReviewDecision};

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
        let id = new_fundraiser_id();
        let draft = &new.draft;
        let days = i64::from(new.config.limits.default_duration_days);
        tx.execute(
            "INSERT INTO fundraisers (id, organiser_id, organiser_name, kind, category, title, story, goal_minor,
                 currency, country, state, duration_days, created_at_ms, ends_at_ms, updated_at_ms,
                 charity_name, charity_number)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $15, $16)",
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
                &draft.charity.as_ref().map(|c| c.name.clone()),
                &draft.charity.as_ref().map(|c| c.number.clone()),
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
        feed_page(&rows, since, limit, AFTER_FUNDRAISER_COLUMNS, |r| {
            fundraiser_from(r).map(Some)
        })
    }

    /// Three statements whatever the batch's size: what is stored for its ids, the
    /// fundraisers its new items name, then one insert of every new item (`UNNEST`, in id
    /// order so that two transactions inserting overlapping batches lock rows in the same
    /// order), and a read of what another transaction stored first.
    pub(super) async fn record_batch(
        &self,
        donor: &DevUser,
        items: &[(DonationItem, String)],
        now_ms: i64,
        mut validate: Validate,
    ) -> Result<Vec<Recorded>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let ids: Vec<&str> = items.iter().map(|(item, _)| item.id.as_str()).collect();
        let stored = stored_results(&tx, &ids).await?;
        let named: Vec<&str> = items
            .iter()
            .filter(|(item, _)| !stored.contains_key(&item.id))
            .map(|(item, _)| item.fundraiser_id.as_str())
            .collect();
        let fundraisers = fundraisers_in(&tx, &named).await?;
        // The first occurrence of each id not stored yet is new; the rest are answered from
        // what is stored once the new ones are in.
        let mut new: Vec<(usize, Result<Priced, String>)> = Vec::new();
        let mut seen = HashSet::new();
        for (k, (item, _)) in items.iter().enumerate() {
            if stored.contains_key(&item.id) || !seen.insert(item.id.as_str()) {
                continue;
            }
            new.push((k, validate(item, fundraisers.get(&item.fundraiser_id))));
        }
        new.sort_by(|a, b| items[a.0].0.id.cmp(&items[b.0].0.id));
        let inserted = insert_new(&tx, donor, items, &new, now_ms).await?;
        insert_terms(&tx, items, &new, &inserted, now_ms).await?;
        let mut out: Vec<Option<Recorded>> = (0..items.len()).map(|_| None).collect();
        for (k, refusal) in new {
            if inserted.contains(items[k].0.id.as_str()) {
                out[k] = Some(match refusal {
                    Err(code) => refused_item(&items[k].0, code, now_ms),
                    Ok(_) => Recorded::ToCharge,
                });
            }
        }
        let rest: Vec<&str> = out
            .iter()
            .zip(items)
            .filter(|(slot, _)| slot.is_none())
            .map(|(_, (item, _))| item.id.as_str())
            .collect();
        let stored = stored_results(&tx, &rest).await?;
        let mut answers = Vec::with_capacity(items.len());
        for (slot, (item, fingerprint)) in out.into_iter().zip(items) {
            answers.push(match slot {
                Some(answer) => answer,
                None => {
                    let found = stored.get(&item.id).cloned().ok_or_else(|| {
                        StoreError::Busy(format!(
                            "donation {} is being recorded by another request",
                            item.id
                        ))
                    })?;
                    answer_for_stored(item, fingerprint, donor, found)
                }
            });
        }
        commit(tx).await?;
        Ok(answers)
    }

    /// Two statements: one insert of every charge (`ON CONFLICT DO NOTHING`, in key
    /// order), then a read of the entries that were there before (a repeat, perhaps made by
    /// another instance).
    pub(super) async fn psp_charge(
        &self,
        requests: &[ChargeRequest],
        now_ms: i64,
    ) -> Result<Vec<Charge>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let charges: Vec<Charge> = requests
            .iter()
            .map(|r| crate::payments::charge(&r.token))
            .collect();
        let mut order: Vec<usize> = (0..requests.len()).collect();
        order.sort_by(|a, b| requests[*a].key.cmp(&requests[*b].key));
        let mut cols: [Vec<Option<String>>; 6] = Default::default();
        let mut amounts: Vec<i64> = Vec::with_capacity(requests.len());
        let mut covered: Vec<i64> = Vec::with_capacity(requests.len());
        for &k in &order {
            let (c, r) = (&charges[k], &requests[k]);
            cols[0].push(Some(r.key.clone()));
            cols[1].push(Some(name(&c.outcome)?));
            cols[2].push(c.code.clone());
            cols[3].push(c.challenge.clone());
            cols[4].push(Some(r.fundraiser_id.clone()));
            cols[5].push(Some(r.currency.clone()));
            amounts.push(r.amount_minor);
            covered.push(r.covered_fee_minor);
        }
        let inserted: HashSet<String> = tx
            .query(
                "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms, fundraiser_id,
                     currency, amount_minor, covered_fee_minor)
                 SELECT k, o, c, ch, $5, f, cur, a, cf
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $7::text[], $8::int8[],
                     $9::int8[])
                     AS u(k, o, c, ch, f, cur, a, cf)
                 ON CONFLICT (idem_key) DO NOTHING RETURNING idem_key",
                &[&cols[0], &cols[1], &cols[2], &cols[3], &now_ms, &cols[4], &cols[5], &amounts, &covered],
            )
            .await?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        let mut taken = HashSet::new();
        let earlier: Vec<&str> = requests
            .iter()
            .filter(|r| !inserted.contains(&r.key) || !taken.insert(r.key.as_str()))
            .map(|r| r.key.as_str())
            .collect();
        let ledger = ledger_entries(&tx, &earlier).await?;
        let mut first = HashSet::new();
        let mut out = Vec::with_capacity(requests.len());
        for (ChargeRequest { key, .. }, c) in requests.iter().zip(charges) {
            if inserted.contains(key) && first.insert(key.as_str()) {
                out.push(c);
            } else {
                // Charged (or cancelled) before, perhaps by another instance: its answer.
                out.push(
                    ledger
                        .get(key)
                        .cloned()
                        .ok_or_else(|| StoreError::Busy("ledger entry in flight".into()))?,
                );
            }
        }
        // The ledger is no feed: no stamp, no feed lock.
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn ledger_mismatches(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        self.client()
            .await?
            .query(
                "SELECT id, confirmed_minor, charged FROM (
                     SELECT f.id, f.confirmed_minor,
                         (SELECT COALESCE(SUM(p.amount_minor - p.covered_fee_minor), 0)::BIGINT FROM psp_charges p
                          WHERE p.fundraiser_id = f.id AND p.outcome = 'accepted') AS charged
                     FROM fundraisers f) t
                 WHERE confirmed_minor <> charged ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok((r.text(0)?, r.int(1)?, r.int(2)?)))
            .collect()
    }

    /// See `SqliteStore::organiser_sums`.
    pub(super) async fn organiser_sums(&self, id: &str) -> Result<[i64; 7], StoreError> {
        let r = self
            .client()
            .await?
            .query_one(ORGANISER_SUMS, &[&id])
            .await?;
        Ok([
            r.int(0)?,
            r.int(1)?,
            r.int(2)?,
            r.int(3)?,
            r.int(4)?,
            r.int(5)?,
            r.int(6)?,
        ])
    }

    pub(super) async fn gift_aid_claims(&self, id: &str) -> Result<Vec<GiftAidClaim>, StoreError> {
        self.client()
            .await?
            .query(GIFT_AID_CLAIMS, &[&id])
            .await?
            .iter()
            .map(|r| {
                Ok(GiftAidClaim {
                    first_name: r.text(0)?,
                    last_name: r.text(1)?,
                    house: r.text(2)?,
                    postcode: r.text(3)?,
                    received_at_ms: r.int(4)?,
                    amount: fundkit::Money {
                        minor_units: r.int(5)?,
                        currency: r.text(6)?,
                    },
                    wording_version: r.text(7)?,
                    donation_id: r.text(8)?,
                })
            })
            .collect()
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

    /// Two statements: one update of every donation still `pending` (`UNNEST`), then a
    /// read of every answer as stored.
    pub(super) async fn settle(
        &self,
        donor: &DevUser,
        charged: &[(String, Charge)],
        now_ms: i64,
        bank: &BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut cols: [Vec<Option<String>>; 5] = Default::default();
        let mut deadlines: Vec<Option<i64>> = Vec::with_capacity(charged.len());
        for (id, c) in charged {
            let (action_url, deadline) = bank.for_charge(c, now_ms);
            cols[0].push(Some(id.clone()));
            cols[1].push(Some(name(&c.outcome)?));
            cols[2].push(c.code.clone());
            cols[3].push(action_url);
            cols[4].push(c.challenge.clone());
            deadlines.push(deadline);
        }
        let changed = tx
            .query(
                "UPDATE donations AS d SET outcome = u.outcome, code = u.code, action_url = u.action_url,
                     challenge = u.challenge, action_deadline_ms = u.deadline, change_seq = NULL
                 FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[])
                     AS u(id, outcome, code, action_url, challenge, deadline)
                 WHERE d.id = u.id AND d.donor_id = $1 AND d.outcome = 'pending'
                 RETURNING d.id, d.fundraiser_id, d.amount_minor, d.outcome",
                &[&donor.id, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &deadlines],
            )
            .await?;
        let mut totals = Totals::default();
        let mut settled = HashSet::new();
        for row in &changed {
            if row.text(3)? == "accepted" {
                totals.add(row.text(1)?, row.int(2)?);
            }
            settled.insert(row.text(0)?);
        }
        totals.apply(&tx, now_ms).await?;
        let ids: Vec<&str> = charged.iter().map(|(id, _)| id.as_str()).collect();
        let stored = stored_results(&tx, &ids).await?;
        let mut first = HashSet::new();
        let mut out = Vec::with_capacity(charged.len());
        for (id, _) in charged {
            let found = stored
                .get(id)
                .cloned()
                .ok_or_else(|| StoreError::internal("settled donation missing"))?;
            if found.donor_id != donor.id {
                out.push(id_in_use(id));
                continue;
            }
            let mut result = found.result;
            result.duplicate = !(settled.contains(id) && first.insert(id.as_str()));
            out.push(result);
        }
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
                match stored_result(&tx, id).await? {
                    Some(stored) if stored.donor_id != donor.id => {
                        results.push(id_in_use(id));
                        continue 'ids;
                    }
                    // `pending`: settled with the provider's answer; with none, the attempt
                    // is cancelled at the provider first (see SqliteStore::reconcile).
                    Some(stored) if stored.result.outcome == ItemOutcome::Unknown => {
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
                    Some(stored) => {
                        results.push(stored.result);
                        continue 'ids;
                    }
                    None => {
                        let inserted = tx
                            .execute(
                                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message,
                                     visibility, hide_amount, fingerprint, outcome, code, received_at_ms)
                                 VALUES ($1, $2, '', 0, '', NULL, 'anonymous', FALSE, 'void', 'void',
                                     'never_received', $3)
                                 ON CONFLICT (id) DO NOTHING",
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
                "SELECT d.id, d.outcome, d.fundraiser_id, d.amount_minor, f.state FROM donations d
                 JOIN fundraisers f ON f.id = d.fundraiser_id
                 WHERE d.challenge = $1 FOR UPDATE OF d FOR SHARE OF f",
                &[&challenge],
            )
            .await?
            .ok_or(StoreError::NotFound("bank step"))?;
        let state: Option<String> = row.opt_text(4)?;
        let (want, code) =
            match bank_outcome(&row.text(1)?, complete, state.as_deref().unwrap_or(""))? {
                Ok(want) => want,
                Err(already) => return Ok(already),
            };
        let id = row.text(0)?;
        tx.execute(
            "UPDATE donations SET outcome = $2, code = $3, received_at_ms = $4, change_seq = NULL
             WHERE id = $1",
            &[&id, &name(&want)?, &code, &now_ms],
        )
        .await?;
        // The provider captures the authorised charge, or lets it go.
        tx.execute(
            "UPDATE psp_charges SET outcome = $2, code = $3 WHERE idem_key = $1",
            &[&id, &name(&want)?, &code],
        )
        .await?;
        if want == ItemOutcome::Accepted {
            let mut totals = Totals::default();
            totals.add(row.text(2)?, row.int(3)?);
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
                "WITH abandoned AS (
                     UPDATE donations SET outcome = 'rejected', code = 'action_abandoned', change_seq = NULL
                     WHERE outcome = 'needs_action' AND action_deadline_ms <= $1 RETURNING id)
                 UPDATE psp_charges SET outcome = 'rejected', code = 'action_abandoned'
                 WHERE idem_key IN (SELECT id FROM abandoned)",
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

    pub(super) async fn review_queue(
        &self,
    ) -> Result<Vec<(Fundraiser, Option<PendingEdit>)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {FUNDRAISER_COLUMNS} FROM fundraisers f WHERE state = 'in_review'
                         OR (state = 'active' AND EXISTS (SELECT 1 FROM fundraiser_edits e
                             WHERE e.fundraiser_id = f.id AND e.declined_reason IS NULL))
                     ORDER BY created_at_ms LIMIT 500"
                ),
                &[],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let f = fundraiser_from(r)?;
            let edit = pending_edit_in(&client, &f.id).await?;
            out.push((f, edit));
        }
        Ok(out)
    }

    pub(super) async fn review(
        &self,
        id: &str,
        decision: ReviewDecision,
        reason: Option<String>,
        charity: Option<&fundkit::model::Charity>,
        now_ms: i64,
    ) -> Result<Fundraiser, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let current = tx
            .query_opt(
                &format!("SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await?
            .map(|r| fundraiser_from(&r))
            .transpose()?
            .ok_or(StoreError::NotFound("fundraiser"))?;
        let pending = pending_edit_in(&tx, id).await?;
        let (next, edit) = reviewed(&current, pending, decision, reason, now_ms)?;
        update_fundraiser(&tx, id, &next, now_ms).await?;
        if let Some(charity) = charity {
            tx.execute(
                "UPDATE fundraisers SET charity_name = $2, charity_number = $3 WHERE id = $1",
                &[&id, &charity.name, &charity.number],
            )
            .await?;
        }
        match edit {
            None => {
                tx.execute(
                    "DELETE FROM fundraiser_edits WHERE fundraiser_id = $1",
                    &[&id],
                )
                .await?
            }
            Some(e) => {
                tx.execute(
                    "UPDATE fundraiser_edits SET declined_reason = $2 WHERE fundraiser_id = $1",
                    &[&id, &e.declined_reason],
                )
                .await?
            }
        };
        let stored = fundraiser_in(&tx, id)
            .await?
            .ok_or_else(|| StoreError::internal("reviewed fundraiser missing"))?;
        commit(tx).await?;
        Ok(stored)
    }

    pub(super) async fn propose_edit(
        &self,
        id: &str,
        title: &str,
        story: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO fundraiser_edits (fundraiser_id, title, story, submitted_at_ms, declined_reason)
                 VALUES ($1, $2, $3, $4, NULL)
                 ON CONFLICT (fundraiser_id) DO UPDATE SET title = excluded.title, story = excluded.story,
                     submitted_at_ms = excluded.submitted_at_ms, declined_reason = NULL",
                &[&id, &title, &story, &now_ms],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn pending_edit(&self, id: &str) -> Result<Option<PendingEdit>, StoreError> {
        pending_edit_in(&self.client().await?, id).await
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
        update_fundraiser(&tx, id, &next, now_ms).await?;
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
        let page = feed_page(&rows, since, limit, AFTER_ENTRY_COLUMNS, |r| {
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
                    "SELECT {OWN_COLUMNS} FROM donations WHERE donor_id = $1 AND outcome NOT IN ('void', 'pending', 'refused')
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
             WHERE id = $2 AND donor_id = $1 AND outcome = 'pending'
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
    let stored = stored_result(tx, id)
        .await?
        .ok_or_else(|| StoreError::internal("settled donation missing"))?;
    if stored.donor_id != donor.id {
        return Ok(id_in_use(id));
    }
    let mut result = stored.result;
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

/// What is stored under donation id `id` (whoever's it is).
async fn stored_result(c: &impl GenericClient, id: &str) -> Result<Option<Stored>, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {STORED_COLUMNS} FROM donations WHERE id = $1"
        ))
        .await?;
    c.query_opt(&stmt, &[&id])
        .await?
        .map(|r| stored_from(&r, id))
        .transpose()
}

/// What is stored for each of `ids` (one query), by id.
async fn stored_results(
    c: &impl GenericClient,
    ids: &[&str],
) -> Result<HashMap<String, Stored>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {STORED_COLUMNS}, id FROM donations WHERE id = ANY($1)"
        ))
        .await?;
    c.query(&stmt, &[&ids])
        .await?
        .iter()
        .map(|r| {
            let id = r.text(6)?;
            let stored = stored_from(r, &id)?;
            Ok((id, stored))
        })
        .collect()
}

/// Writes a fundraiser's mutable columns; the feed hears of it at commit.
async fn update_fundraiser(
    tx: &Transaction<'_>,
    id: &str,
    next: &Fundraiser,
    now_ms: i64,
) -> Result<(), StoreError> {
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
    .await?;
    Ok(())
}

/// The edit of fundraiser `id` waiting for review (or declined), if any.
async fn pending_edit_in(
    c: &impl GenericClient,
    id: &str,
) -> Result<Option<PendingEdit>, StoreError> {
    c.query_opt(
        "SELECT title, story, submitted_at_ms, declined_reason FROM fundraiser_edits WHERE fundraiser_id = $1",
        &[&id],
    )
    .await?
    .map(|r| {
        Ok(PendingEdit {
            title: r.text(0)?,
            story: r.text(1)?,
            submitted_at_ms: r.int(2)?,
            declined_reason: r.opt_text(3)?,
        })
    })
    .transpose()
}

/// Inserts the new items `new` (indexes into `items`, with their refusals), in that order,
/// skipping ids stored meanwhile. Returns the ids it inserted.
async fn insert_new(
    tx: &Transaction<'_>,
    donor: &DevUser,
    items: &[(DonationItem, String)],
    new: &[(usize, Result<Priced, String>)],
    now_ms: i64,
) -> Result<HashSet<String>, StoreError> {
    if new.is_empty() {
        return Ok(HashSet::new());
    }
    let mut text: [Vec<Option<String>>; 8] = Default::default();
    let (mut amounts, mut hidden) = (Vec::new(), Vec::new());
    for (k, refusal) in new {
        let (item, fingerprint) = &items[*k];
        text[0].push(Some(item.id.clone()));
        if let Err(code) = refusal {
            // Refused before any payment step: id, donor, code and time, nothing else.
            text[1].push(Some(String::new()));
            text[2].push(Some(String::new()));
            text[3].push(None);
            text[4].push(Some("anonymous".to_owned()));
            text[5].push(Some(REFUSED.to_owned()));
            text[6].push(Some("refused".to_owned()));
            text[7].push(Some(code.clone()));
            amounts.push(0);
            hidden.push(false);
            continue;
        }
        text[1].push(Some(item.fundraiser_id.clone()));
        text[2].push(Some(item.amount.currency.clone()));
        text[3].push(item.message.clone());
        text[4].push(Some(name(&item.visibility)?));
        text[5].push(Some(fingerprint.clone()));
        text[6].push(Some("pending".to_owned()));
        text[7].push(None);
        amounts.push(item.amount.minor_units);
        hidden.push(item.hide_amount);
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                 hide_amount, fingerprint, outcome, code, received_at_ms)
             SELECT $1, id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount,
                 fingerprint, outcome, code, $12
             FROM UNNEST($2::text[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[],
                 $8::bool[], $9::text[], $10::text[], $11::text[])
                 AS u(id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount,
                     fingerprint, outcome, code)
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .await?;
    tx.query(
        &stmt,
        &[
            &donor.id, &text[0], &text[1], &amounts, &text[2], &text[3], &text[4], &hidden,
            &text[5], &text[6], &text[7], &now_ms,
        ],
    )
    .await?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The price, fee choice, Gift Aid flag and source of each new item just inserted for
/// charging (one statement), and its Gift Aid declaration, kept in its own table.
async fn insert_terms(
    tx: &Transaction<'_>,
    items: &[(DonationItem, String)],
    new: &[(usize, Result<Priced, String>)],
    inserted: &HashSet<String>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let mut ids = Vec::new();
    let (mut pays, mut fees, mut cover, mut gift_aid) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sources: Vec<Option<String>> = Vec::new();
    for (k, priced) in new {
        let (item, _) = &items[*k];
        let Ok(priced) = priced else { continue };
        if !inserted.contains(&item.id) {
            continue;
        }
        ids.push(item.id.clone());
        pays.push(priced.donor_pays_minor);
        fees.push(priced.fee_minor);
        cover.push(item.cover_fee);
        gift_aid.push(item.gift_aid.is_some());
        sources.push(item.source.map(|s| s.as_str().to_owned()));
        if let (Some(d), Some(charity)) = (&item.gift_aid, &priced.charity) {
            tx.execute(
                "INSERT INTO gift_aid_declarations (donation_id, fundraiser_id, charity_name,
                     charity_number, first_name, last_name, house, postcode, wording_version,
                     declared_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &item.id,
                    &item.fundraiser_id,
                    &charity.name,
                    &charity.number,
                    &d.first_name,
                    &d.last_name,
                    &d.house,
                    &d.postcode,
                    &d.wording_version,
                    &now_ms,
                ],
            )
            .await?;
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute(
        "UPDATE donations d SET donor_pays_minor = u.pays, fee_minor = u.fee, cover_fee = u.cover,
             gift_aid = u.gift_aid, source = u.source
         FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::bool[], $5::bool[], $6::text[])
             AS u(id, pays, fee, cover, gift_aid, source)
         WHERE d.id = u.id",
        &[&ids, &pays, &fees, &cover, &gift_aid, &sources],
    )
    .await?;
    Ok(())
}

/// The provider's ledger entries for `keys` (one query).
async fn ledger_entries(
    c: &impl GenericClient,
    keys: &[&str],
) -> Result<HashMap<String, Charge>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    c.query(
        "SELECT outcome, code, challenge, idem_key FROM psp_charges WHERE idem_key = ANY($1)",
        &[&keys],
    )
    .await?
    .iter()
    .map(|r| Ok((r.text(3)?, charge_from(r)?)))
    .collect()
}

/// The fundraisers named by `ids` (one query), by id.
async fn fundraisers_in(
    c: &impl GenericClient,
    ids: &[&str],
) -> Result<HashMap<String, Fundraiser>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    c.query(
        &format!("SELECT {FUNDRAISER_COLUMNS} FROM fundraisers WHERE id = ANY($1)"),
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| {
        let f = fundraiser_from(r)?;
        Ok((f.id.clone(), f))
    })
    .collect()
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

#[cfg(test)]
mod tests {
    use super::super::upgrade_fixture;
    use super::*;

    /// V2 upgrades a database of the released schema (V1) as docs/server-storage.md says
    /// (runs with `FUNDKIT_TEST_POSTGRES`, as scripts/test.sh's postgres stage does).
    #[tokio::test]
    async fn v2_upgrades_a_database_of_the_released_schema() {
        let Ok(url) = std::env::var("FUNDKIT_TEST_POSTGRES") else {
            println!("no FUNDKIT_TEST_POSTGRES: the PostgreSQL upgrade runs in the postgres stage");
            return;
        };
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let mut config: tokio_postgres::Config = url.parse().unwrap();
        config.options(format!("-c search_path={schema}"));
        let (mut client, conn) = config.connect(NoTls).await.unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        migrations::runner()
            .set_target(refinery::Target::Version(1))
            .run_async(&mut client)
            .await
            .unwrap();
        let seed = upgrade_fixture::seed_sql(true, |b| if b { "TRUE" } else { "FALSE" });
        client.batch_execute(&seed).await.unwrap();
        client
            .batch_execute(upgrade_fixture::LEDGER_SQL)
            .await
            .unwrap();
        let store = PgStore::open(&url, Some(&schema)).await.unwrap();
        let c = store.client().await.unwrap();
        let rows = c
            .query(
                "SELECT id, donor_id, outcome, amount_minor, message FROM donations ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        let conflicts = c
            .query("SELECT id, donor_id FROM donation_id_conflicts", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let total = c
            .query_one(
                "SELECT confirmed_minor, donation_count FROM fundraisers WHERE id = 'fr_1'",
                &[],
            )
            .await
            .unwrap();
        upgrade_fixture::check(rows, conflicts, (total.get(0), total.get(1)));
        assert_eq!(store.ledger_mismatches().await.unwrap(), vec![]);
    }
}
