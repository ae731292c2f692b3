//! The server's storage: what the routes need, behind one boundary with its own error type.
//! Two backends keep the same guarantees: SQLite (one file or memory, one writer; the
//! default and what the demo uses) and PostgreSQL (several server instances on one
//! database). docs/server-storage.md says how each keeps dedup, conflicts, the changes feeds
//! and single charges.
//!
//! Every method takes owned arguments: SQLite runs on a blocking thread, PostgreSQL on the
//! async driver.

mod postgres;
mod sqlite;

use std::sync::Arc;

use fundkit::model::{
    Charity, Fundraiser, FundraiserDraft, FundraiserEdit, FundraiserState, OrganiserStats,
    Visibility,
};
use fundkit::money::Money;
use fundkit::wire::{
    DonationEntry, DonationItem, ItemOutcome, ItemResult, OwnDonation, PendingEdit, ReviewDecision,
    ServerConfig,
};
use fundkit::DonationState;

use crate::users::DevUser;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Why a storage call did not do what was asked. Not an HTTP error: `error.rs` maps it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule the stored state decides (an idempotency key reused for other content, an
    /// organiser's active limit, a bank step already ended, a review that does not apply).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The database is busy or out of reach (contention, a pool timeout, a lost
    /// connection): nothing was changed, and the same request may be sent again.
    #[error("storage busy: {0}")]
    Busy(String),
    #[error("storage failure: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn internal(e: impl std::fmt::Display) -> StoreError {
        StoreError::Internal(e.to_string())
    }

    fn refused(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Refused {
            code,
            message: message.into(),
        }
    }
}

/// What the payment provider answered for one charge (its ledger keeps it per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub outcome: ItemOutcome,
    pub code: Option<String>,
    /// For `needs_action`: the secret that names the bank page.
    pub challenge: Option<String>,
}

/// One charge to ask the payment provider for: the donation id is the idempotency key;
/// the provider's ledger records what it was for (the fundraiser and the amount), so that
/// every fundraiser's total can be checked against what was really charged.
#[derive(Debug, Clone)]
pub struct ChargeRequest {
    pub key: String,
    pub token: String,
    pub fundraiser_id: String,
    /// What the donor's payment method is charged: the donation, plus the fees if the donor
    /// covers them.
    pub amount_minor: i64,
    pub currency: String,
    /// The part of `amount_minor` that is fees the donor covered (not the fundraiser's).
    pub covered_fee_minor: i64,
}

/// Step 1 of a batch, per item: the answer already known, or a recorded attempt to charge.
pub enum Recorded {
    Answered(ItemResult),
    /// Recorded as `pending` (now, or by an earlier request that did not finish): charge
    /// it with its id as the idempotency key, then settle.
    ToCharge,
}

/// A batch's items with their content fingerprints.
pub type Items = Arc<Vec<(DonationItem, String)>>;

/// An item the server will charge, priced by its own fee model (equal to what the donor
/// agreed to pay, or it would have been refused), with the charity a Gift Aid declaration
/// is made to.
#[derive(Debug, Clone)]
pub struct Priced {
    pub donor_pays_minor: i64,
    pub fee_minor: i64,
    pub charity: Option<Charity>,
}

/// Decides, for each new item, its price, or the refusal code if the server refuses it
/// before any payment step (it sees the fundraiser as stored in the same transaction).
pub type Validate =
    Box<dyn FnMut(&DonationItem, Option<&Fundraiser>) -> Result<Priced, String> + Send>;

/// One claimable Gift Aid donation, as the charity's export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftAidClaim {
    pub donation_id: String,
    pub first_name: String,
    pub last_name: String,
    pub house: String,
    pub postcode: String,
    pub received_at_ms: i64,
    pub amount: Money,
    pub wording_version: String,
}

/// A page of a cursor feed: the items, the change number to resume after, more to read.
pub type FeedPage<T> = (Vec<T>, i64, bool);

/// The server's storage. Cheap to clone.
#[derive(Clone)]
pub enum Store {
    Sqlite(Arc<SqliteStore>),
    Postgres(PgStore),
}

/// Runs `f` with the SQLite store on a blocking thread.
async fn blocking<T: Send + 'static, E: From<StoreError> + Send + 'static>(
    db: &Arc<SqliteStore>,
    f: impl FnOnce(&SqliteStore) -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    let db = Arc::clone(db);
    tokio::task::spawn_blocking(move || f(&db))
        .await
        .map_err(|e| E::from(StoreError::internal(e)))?
}

impl Store {
    /// Creates a fundraiser, or returns the one this idempotency key already created.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_fundraiser(
        &self,
        organiser: &'static DevUser,
        key: String,
        fingerprint: String,
        draft: FundraiserDraft,
        config: ServerConfig,
        auto_approve: bool,
        now_ms: i64,
    ) -> Result<(Fundraiser, bool), StoreError> {
        let new = NewFundraiser {
            organiser,
            key,
            fingerprint,
            draft,
            config,
            auto_approve,
            now_ms,
        };
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.create_fundraiser(&new)).await,
            Store::Postgres(pg) => pg.create_fundraiser(&new).await,
        }
    }

    pub async fn fundraiser(&self, id: String) -> Result<Option<Fundraiser>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.fundraiser(&id)).await,
            Store::Postgres(pg) => pg.fundraiser(&id).await,
        }
    }

    /// Fundraisers changed after `since`, oldest change first.
    pub async fn changes(
        &self,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<Fundraiser>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.changes(since, limit)).await,
            Store::Postgres(pg) => pg.changes(since, limit).await,
        }
    }

    /// Payment step 1, in one transaction: for each item, the answer already given (a
    /// repeat, a conflict, a void id), a refusal by `validate` (recorded as final), or a
    /// `pending` record of the attempt to charge. Nothing is charged inside a transaction.
    pub async fn record_batch(
        &self,
        donor: &'static DevUser,
        items: Items,
        now_ms: i64,
        validate: Validate,
    ) -> Result<Vec<Recorded>, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| {
                    db.record_batch(donor, &items, now_ms, validate)
                })
                .await
            }
            Store::Postgres(pg) => pg.record_batch(donor, &items, now_ms, validate).await,
        }
    }

    /// The payment provider (simulated): charges each (idempotency key, token) once. A
    /// repeat with the same key answers what the first charge answered, so a retry after a
    /// crash or a timeout never charges twice. No transaction of ours is open meanwhile.
    pub async fn psp_charge(
        &self,
        requests: Vec<ChargeRequest>,
        now_ms: i64,
    ) -> Result<Vec<Charge>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.psp_charge(&requests, now_ms)).await,
            Store::Postgres(pg) => pg.psp_charge(&requests, now_ms).await,
        }
    }

    /// The organiser's figures for fundraiser `f` (its confirmed donations).
    pub async fn organiser_stats(&self, f: &Fundraiser) -> Result<OrganiserStats, StoreError> {
        let (id, currency) = (f.id.clone(), f.goal.currency.clone());
        let sums = match self {
            Store::Sqlite(db) => {
                let id = id.clone();
                blocking(db, move |db| db.organiser_sums(&id)).await?
            }
            Store::Postgres(pg) => pg.organiser_sums(&id).await?,
        };
        let money = |minor: i64| Money {
            minor_units: minor,
            currency: currency.clone(),
        };
        let [total, fees, gift_aid_count, claimable, link, sticker, profile] = sums;
        Ok(OrganiserStats {
            receives: money(total - fees),
            fees: money(fees),
            gift_aid_count: gift_aid_count.max(0) as u64,
            gift_aid_claimable: money(claimable),
            from_link: link.max(0) as u64,
            from_story_sticker: sticker.max(0) as u64,
            from_profile: profile.max(0) as u64,
        })
    }

    /// The confirmed donations of fundraiser `id` that carry a Gift Aid declaration, oldest
    /// first (the charity's claim export).
    pub async fn gift_aid_claims(&self, id: String) -> Result<Vec<GiftAidClaim>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.gift_aid_claims(&id)).await,
            Store::Postgres(pg) => pg.gift_aid_claims(&id).await,
        }
    }

    /// Every fundraiser whose confirmed total differs from what the payment provider's
    /// ledger charged for it: (fundraiser, confirmed total, charged). Empty when no money
    /// was created or lost (the soaks check it at the end).
    pub async fn ledger_mismatches(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, |db| db.ledger_mismatches()).await,
            Store::Postgres(pg) => pg.ledger_mismatches().await,
        }
    }

    /// How many charges the payment provider holds for `idem_key` (tests: at most one).
    pub async fn psp_charges_for(&self, idem_key: String) -> Result<u32, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.psp_charges_for(&idem_key)).await,
            Store::Postgres(pg) => pg.psp_charges_for(&idem_key).await,
        }
    }

    /// Payment step 3, in one transaction: a `pending` donation takes the provider's
    /// answer and, if charged, counts towards its fundraiser. Idempotent: a donation
    /// already settled (by a concurrent retry) is left as it is and its answer returned.
    pub async fn settle(
        &self,
        donor: &'static DevUser,
        charged: Vec<(String, Charge)>,
        now_ms: i64,
        bank: BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.settle(donor, &charged, now_ms, &bank)).await
            }
            Store::Postgres(pg) => pg.settle(donor, &charged, now_ms, &bank).await,
        }
    }

    /// Reconciliation, race-free because it is one transaction on the same unique key as
    /// a batch: for each id, the outcome the server holds, or a void record made now, so
    /// that no later batch can charge the id.
    pub async fn reconcile(
        &self,
        donor: &'static DevUser,
        ids: Vec<String>,
        now_ms: i64,
        bank: BankPage,
    ) -> Result<Vec<ItemResult>, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.reconcile(donor, &ids, now_ms, &bank)).await
            }
            Store::Postgres(pg) => pg.reconcile(donor, &ids, now_ms, &bank).await,
        }
    }

    /// The simulated bank page: completes or fails the step of the donation waiting on
    /// `challenge`. Completing twice (or failing twice) answers the same; anything else
    /// after the step ended is refused. Returns the donation's outcome.
    pub async fn bank_step(
        &self,
        challenge: String,
        complete: bool,
        now_ms: i64,
    ) -> Result<ItemOutcome, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.bank_step(&challenge, complete, now_ms)).await
            }
            Store::Postgres(pg) => pg.bank_step(&challenge, complete, now_ms).await,
        }
    }

    /// Fails the bank steps nobody completed in time and ends fundraisers whose time is
    /// up: (steps failed, fundraisers ended).
    pub async fn sweep(&self, now_ms: i64) -> Result<(usize, usize), StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| {
                    Ok((db.abandon_overdue_steps(now_ms)?, db.end_overdue(now_ms)?))
                })
                .await
            }
            Store::Postgres(pg) => Ok((
                pg.abandon_overdue_steps(now_ms).await?,
                pg.end_overdue(now_ms).await?,
            )),
        }
    }

    /// Fundraisers waiting for review, oldest first: new ones, and running ones with an
    /// edit of their public text waiting (with that edit).
    pub async fn review_queue(&self) -> Result<Vec<(Fundraiser, Option<PendingEdit>)>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, |db| db.review_queue()).await,
            Store::Postgres(pg) => pg.review_queue().await,
        }
    }

    /// A reviewer's decision, in one transaction with the edit waiting (if any): approve
    /// (in review -> active, its days start now; or a waiting edit goes live), remove (in
    /// review or active -> removed, with the reason its organiser will see), or decline a
    /// waiting edit (the approved text stays; the organiser is told why). `charity`, the
    /// registered charity the reviewer checked (approve only; the caller validated it), is
    /// written in the same transaction: a refused decision leaves it as it was.
    pub async fn review(
        &self,
        id: String,
        decision: ReviewDecision,
        reason: Option<String>,
        charity: Option<Charity>,
        now_ms: i64,
    ) -> Result<Fundraiser, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| {
                    db.review(&id, decision, reason, charity.as_ref(), now_ms)
                })
                .await
            }
            Store::Postgres(pg) => {
                pg.review(&id, decision, reason, charity.as_ref(), now_ms)
                    .await
            }
        }
    }

    /// The organiser proposes new public text for a running fundraiser: it waits for
    /// review (replacing any earlier proposal) while the approved text stays shown.
    pub async fn propose_edit(
        &self,
        id: String,
        title: String,
        story: String,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.propose_edit(&id, &title, &story, now_ms)).await
            }
            Store::Postgres(pg) => pg.propose_edit(&id, &title, &story, now_ms).await,
        }
    }

    /// The edit of fundraiser `id` waiting for review (or declined), if any.
    pub async fn pending_edit(&self, id: String) -> Result<Option<PendingEdit>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.pending_edit(&id)).await,
            Store::Postgres(pg) => pg.pending_edit(&id).await,
        }
    }

    /// The organiser edits it; `check` validates the edit against it as stored.
    pub async fn edit<E>(
        &self,
        id: String,
        edit: FundraiserEdit,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser, &FundraiserEdit) -> Result<(), E> + Send + 'static,
    ) -> Result<Fundraiser, E>
    where
        E: From<StoreError> + Send + 'static,
    {
        self.change_fundraiser(id, now_ms, move |f| {
            check(f, &edit)?;
            Ok(edited(f, &edit))
        })
        .await
    }

    /// The organiser extends it by `days`: `check` answers the new duration in days.
    pub async fn extend<E>(
        &self,
        id: String,
        days: u32,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser) -> Result<u32, E> + Send + 'static,
    ) -> Result<Fundraiser, E>
    where
        E: From<StoreError> + Send + 'static,
    {
        self.change_fundraiser(id, now_ms, move |f| {
            let total = check(f)?;
            let mut next = f.clone();
            next.duration_days = total;
            next.ends_at_ms = f.ends_at_ms.saturating_add(i64::from(days) * DAY_MS);
            Ok(next)
        })
        .await
    }

    /// Ends it now (the organiser ends early).
    pub async fn end<E>(
        &self,
        id: String,
        now_ms: i64,
        check: impl FnOnce(&Fundraiser) -> Result<(), E> + Send + 'static,
    ) -> Result<Fundraiser, E>
    where
        E: From<StoreError> + Send + 'static,
    {
        self.change_fundraiser(id, now_ms, move |f| {
            check(f)?;
            Ok(ended(f, now_ms))
        })
        .await
    }

    /// Changes a fundraiser in one transaction: `change` gets it as stored (locked) and
    /// returns the new state of its mutable columns, or a refusal. The feed hears of it.
    async fn change_fundraiser<E>(
        &self,
        id: String,
        now_ms: i64,
        change: impl FnOnce(&Fundraiser) -> Result<Fundraiser, E> + Send + 'static,
    ) -> Result<Fundraiser, E>
    where
        E: From<StoreError> + Send + 'static,
    {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.change_fundraiser(&id, now_ms, change)).await
            }
            Store::Postgres(pg) => pg.change_fundraiser(&id, now_ms, change).await,
        }
    }

    /// The organiser's donors: accepted donations changed after `since`, oldest change
    /// first, masked for `viewer`, with the number of distinct donors.
    pub async fn donors(
        &self,
        fundraiser: Fundraiser,
        viewer: &'static DevUser,
        since: i64,
        limit: u32,
    ) -> Result<(FeedPage<DonationEntry>, u64), StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.donors(&fundraiser, viewer, since, limit)).await
            }
            Store::Postgres(pg) => pg.donors(&fundraiser, viewer, since, limit).await,
        }
    }

    /// Accepted donations of a fundraiser, newest first, masked for `viewer`.
    pub async fn public_donations(
        &self,
        fundraiser: Fundraiser,
        viewer: &'static DevUser,
    ) -> Result<Vec<DonationEntry>, StoreError> {
        match self {
            Store::Sqlite(db) => {
                blocking(db, move |db| db.public_donations(&fundraiser, viewer)).await
            }
            Store::Postgres(pg) => pg.public_donations(&fundraiser, viewer).await,
        }
    }

    /// The donor's own donations, newest first (voids are not donations: left out).
    pub async fn own_donations(
        &self,
        donor: &'static DevUser,
    ) -> Result<Vec<OwnDonation>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.own_donations(donor)).await,
            Store::Postgres(pg) => pg.own_donations(donor).await,
        }
    }

    /// The donor's own donations whose outcome changed after `since`, oldest change first.
    pub async fn own_changes(
        &self,
        donor: &'static DevUser,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage<OwnDonation>, StoreError> {
        match self {
            Store::Sqlite(db) => blocking(db, move |db| db.own_changes(donor, since, limit)).await,
            Store::Postgres(pg) => pg.own_changes(donor, since, limit).await,
        }
    }
}

/// A fundraiser to create, with its idempotency key and the request's fingerprint.
pub(crate) struct NewFundraiser {
    pub organiser: &'static DevUser,
    pub key: String,
    pub fingerprint: String,
    pub draft: FundraiserDraft,
    pub config: ServerConfig,
    pub auto_approve: bool,
    pub now_ms: i64,
}

impl NewFundraiser {
    fn state(&self) -> FundraiserState {
        if self.auto_approve {
            FundraiserState::Active
        } else {
            FundraiserState::InReview
        }
    }

    fn limit_reached(&self, active: i64) -> Result<(), StoreError> {
        if active >= i64::from(self.config.limits.max_active_fundraisers_per_organiser) {
            return Err(StoreError::refused(
                "active_fundraiser_limit",
                "you already have an active fundraiser; end it before starting another",
            ));
        }
        Ok(())
    }

    fn ends_at_ms(&self) -> i64 {
        let days = i64::from(self.config.limits.default_duration_days);
        self.now_ms.saturating_add(days * DAY_MS)
    }
}

/// A new fundraiser's id: `fr_` and a time-ordered UUID in hex. About one such id in a few
/// hundred holds 13 to 19 decimal digits in a row that pass the Luhn check, which the rules
/// refuse as a card number in any id (`fundraiser_id looks like a card number`): nobody
/// could ever donate to that fundraiser. Such draws are thrown away.
fn new_fundraiser_id() -> String {
    loop {
        let id = format!("fr_{}", uuid::Uuid::now_v7().simple());
        if !fundkit::rules::contains_card_number(&id) {
            return id;
        }
    }
}

fn key_reused() -> StoreError {
    StoreError::refused(
        "idempotency_conflict",
        "this Idempotency-Key was used with a different request",
    )
}

/// Where the bank step sends the donor (this server's bank pages) and how long it waits.
#[derive(Debug, Clone)]
pub struct BankPage {
    pub base_url: String,
    pub timeout_ms: i64,
}

impl BankPage {
    /// (action_url, deadline) of a charge that asks for the bank step.
    fn for_charge(&self, c: &Charge, now_ms: i64) -> (Option<String>, Option<i64>) {
        match &c.challenge {
            Some(ch) => (
                Some(format!("{}{ch}", self.base_url)),
                Some(now_ms.saturating_add(self.timeout_ms)),
            ),
            None => (None, None),
        }
    }
}

pub(crate) const DAY_MS: i64 = 86_400_000;

/// The fingerprint of a refusal made before any payment step: its content is not kept,
/// so a repeat answers the refusal whatever it carries (as a void id does).
pub(crate) const REFUSED: &str = "refused";

/// Codes of refusals by the payment provider or the bank (the donation's content was
/// valid and is kept); every other `rejected` was refused before any payment step.
const PAYMENT_CODES: &[&str] = &[
    "declined",
    "payment_expired",
    "invalid_payment_token",
    "authentication_failed",
    "action_abandoned",
];

/// Whether a stored `rejected` row was refused before any payment step (its content is
/// not kept). Used by the migration that scrubbed rows stored before that rule.
pub(crate) fn refused_before_payment(outcome: &str, code: Option<&str>) -> bool {
    outcome == "rejected" && !code.is_some_and(|c| PAYMENT_CODES.contains(&c))
}

/// What is stored under a donation id: whose it is, the content's fingerprint, the answer.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub donor_id: String,
    pub fingerprint: String,
    pub result: ItemResult,
}

/// The answer to `donor`'s item whose id is already stored: another donor's id is
/// refused without reading its outcome; the donor's own is answered as a repeat.
fn answer_for_stored(
    item: &DonationItem,
    fingerprint: &str,
    donor: &DevUser,
    stored: Stored,
) -> Recorded {
    if stored.donor_id != donor.id {
        return Recorded::Answered(id_in_use(&item.id));
    }
    let stored_fp = stored.fingerprint;
    let stored = stored.result;
    if stored.outcome == ItemOutcome::Void || stored_fp == REFUSED {
        // A void id answers `void`, a refused one its refusal, whatever the content.
        Recorded::Answered(stored)
    } else if stored_fp != fingerprint {
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
    }
}

/// The answer to a donor who names a donation id another donor holds: taken, nothing
/// read, nothing changed, nothing charged.
fn id_in_use(id: &str) -> ItemResult {
    ItemResult {
        id: id.to_owned(),
        outcome: ItemOutcome::Conflict,
        duplicate: false,
        code: Some("id_in_use".into()),
        action_url: None,
        received_at_ms: None,
    }
}

/// A refusal before any payment step: recorded as id, donor, code and time only.
fn refused_item(item: &DonationItem, code: String, now_ms: i64) -> Recorded {
    Recorded::Answered(ItemResult {
        id: item.id.clone(),
        outcome: ItemOutcome::Rejected,
        duplicate: false,
        code: Some(code),
        action_url: None,
        received_at_ms: Some(now_ms),
    })
}

fn void_result(id: &str, now_ms: i64) -> ItemResult {
    ItemResult {
        id: id.to_owned(),
        outcome: ItemOutcome::Void,
        duplicate: false,
        code: Some("never_received".into()),
        action_url: None,
        received_at_ms: Some(now_ms),
    }
}

/// The fundraiser after a reviewer's `decision`, given the edit waiting for review: the
/// new fundraiser, and what becomes of the waiting edit (`None`: dropped, `Some`: kept as
/// given, e.g. declined with its reason).
fn reviewed(
    f: &Fundraiser,
    pending: Option<PendingEdit>,
    decision: ReviewDecision,
    reason: Option<String>,
    now_ms: i64,
) -> Result<(Fundraiser, Option<PendingEdit>), StoreError> {
    let mut next = f.clone();
    let waiting = pending.filter(|p| p.declined_reason.is_none());
    match (decision, f.state, waiting) {
        (ReviewDecision::Approve, FundraiserState::InReview, _) => {
            next.state = FundraiserState::Active;
            next.ends_at_ms = now_ms.saturating_add(i64::from(f.duration_days) * DAY_MS);
            Ok((next, None))
        }
        (ReviewDecision::Approve, FundraiserState::Active, Some(edit)) => {
            next.title = edit.title;
            next.story = edit.story;
            Ok((next, None))
        }
        (ReviewDecision::Remove, FundraiserState::InReview | FundraiserState::Active, _) => {
            next.state = FundraiserState::Removed;
            next.removal_reason = reason;
            Ok((next, None))
        }
        (ReviewDecision::DeclineEdit, FundraiserState::Active, Some(edit)) => Ok((
            next,
            Some(PendingEdit {
                declined_reason: reason,
                ..edit
            }),
        )),
        (decision, state, _) => Err(StoreError::refused(
            "not_reviewable",
            format!(
                "a fundraiser that is {} cannot be reviewed that way ({})",
                name(&state)?,
                name(&decision)?
            ),
        )),
    }
}

fn edited(f: &Fundraiser, edit: &FundraiserEdit) -> Fundraiser {
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
    next
}

fn ended(f: &Fundraiser, now_ms: i64) -> Fundraiser {
    let mut next = f.clone();
    next.state = FundraiserState::Ended;
    next.ends_at_ms = next.ends_at_ms.min(now_ms);
    next
}

/// Reading a column by position, the same for both backends' rows, so that a row maps to
/// the model in one place.
trait Cols {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
}

/// `FUNDRAISER_COLUMNS` in order.
const FUNDRAISER_COLUMNS: &str = "id, organiser_id, organiser_name, kind, category, title, story, goal_minor, currency, \
     country, state, confirmed_minor, donation_count, duration_days, created_at_ms, ends_at_ms, updated_at_ms, \
     removal_reason, charity_name, charity_number";

/// The organiser's sums over a fundraiser's confirmed donations (`Store::organiser_stats`),
/// the same SQL on both backends. Gift Aid claimable is 25% of each gift rounded down
/// (`rules::gift_aid_on`), summed.
const ORGANISER_SUMS: &str = "SELECT
         CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT),
         CAST(COALESCE(SUM(CASE WHEN cover_fee THEN 0 ELSE fee_minor END), 0) AS BIGINT),
         CAST(COUNT(CASE WHEN gift_aid THEN 1 END) AS BIGINT),
         CAST(COALESCE(SUM(CASE WHEN gift_aid THEN amount_minor / 4 ELSE 0 END), 0) AS BIGINT),
         CAST(COUNT(CASE WHEN source = 'link' THEN 1 END) AS BIGINT),
         CAST(COUNT(CASE WHEN source = 'story_sticker' THEN 1 END) AS BIGINT),
         CAST(COUNT(CASE WHEN source = 'profile' THEN 1 END) AS BIGINT)
     FROM donations WHERE fundraiser_id = $1 AND outcome = 'accepted'";

/// A fundraiser's confirmed Gift Aid donations with their declarations, oldest first.
const GIFT_AID_CLAIMS: &str = "SELECT g.first_name, g.last_name, g.house, g.postcode,
         d.received_at_ms, d.amount_minor, d.currency, g.wording_version, d.id
     FROM gift_aid_declarations g JOIN donations d ON d.id = g.donation_id
     WHERE g.fundraiser_id = $1 AND d.outcome = 'accepted'
     ORDER BY d.received_at_ms, d.id";

/// The column after `FUNDRAISER_COLUMNS` (a feed's `change_seq`).
const AFTER_FUNDRAISER_COLUMNS: usize = 20;

fn fundraiser_from(r: &impl Cols) -> Result<Fundraiser, StoreError> {
    let currency = r.text(8)?;
    Ok(Fundraiser {
        id: r.text(0)?,
        organiser_id: r.text(1)?,
        organiser_name: r.text(2)?,
        kind: from_json(&r.text(3)?)?,
        category: from_name(&r.text(4)?)?,
        title: r.text(5)?,
        story: r.text(6)?,
        goal: Money {
            minor_units: r.int(7)?,
            currency: currency.clone(),
        },
        country: r.text(9)?,
        state: from_name(&r.text(10)?)?,
        confirmed_total: Money {
            minor_units: r.int(11)?,
            currency,
        },
        donation_count: r.int(12)?.max(0) as u64,
        duration_days: u32::try_from(r.int(13)?).map_err(StoreError::internal)?,
        created_at_ms: r.int(14)?,
        ends_at_ms: r.int(15)?,
        updated_at_ms: r.int(16)?,
        removal_reason: r.opt_text(17)?,
        viewer_is_organiser: false,
        charity: match (r.opt_text(18)?, r.opt_text(19)?) {
            (Some(name), Some(number)) => Some(Charity { name, number }),
            _ => None,
        },
        organiser_stats: None,
    })
}

/// Columns of a donor's own donation, in order.
const OWN_COLUMNS: &str =
    "id, fundraiser_id, amount_minor, currency, message, visibility, hide_amount, \
     outcome, code, received_at_ms, action_url";

fn own_from(r: &impl Cols) -> Result<OwnDonation, StoreError> {
    let state = match parse_outcome(&r.text(7)?)? {
        ItemOutcome::Accepted => DonationState::Confirmed,
        ItemOutcome::NeedsAction => DonationState::NeedsAction,
        ItemOutcome::Void => DonationState::Expired,
        ItemOutcome::Rejected | ItemOutcome::Conflict | ItemOutcome::Unknown => {
            DonationState::Rejected
        }
    };
    Ok(OwnDonation {
        id: r.text(0)?,
        fundraiser_id: r.text(1)?,
        amount: Money {
            minor_units: r.int(2)?,
            currency: r.text(3)?,
        },
        message: r.opt_text(4)?,
        visibility: from_name(&r.text(5)?)?,
        hide_amount: r.flag(6)?,
        state,
        code: r.opt_text(8)?,
        received_at_ms: r.int(9)?,
        action_url: r.opt_text(10)?,
    })
}

/// Whether a donor's feed shows this stored outcome: voids are not donations, a refused
/// item kept no content (its answer told the device that sent it), and a pending one is
/// settled and announced again soon.
fn shown_to_donor(outcome: &str) -> bool {
    !matches!(outcome, "void" | "pending" | "refused")
}

/// Columns of an accepted donation as stored, before masking.
const ENTRY_COLUMNS: &str =
    "d.id, d.donor_id, d.amount_minor, d.currency, d.message, d.visibility, d.hide_amount, d.received_at_ms, \
     d.gift_aid";

/// The column after `ENTRY_COLUMNS` (the donors feed's `change_seq`).
const AFTER_ENTRY_COLUMNS: usize = 9;

/// A donation as `viewer` may see it (row in `ENTRY_COLUMNS` order): anonymous names never
/// leave the server, not even to the organiser; hidden-from-public names and hidden amounts
/// are shown to the organiser (and to the donor themself).
fn entry_from(
    r: &impl Cols,
    fundraiser: &Fundraiser,
    viewer: &DevUser,
) -> Result<DonationEntry, StoreError> {
    let donor_id = r.text(1)?;
    let visibility: Visibility = from_name(&r.text(5)?)?;
    let is_organiser = fundraiser.organiser_id == viewer.id;
    let own = donor_id == viewer.id;
    let name_visible = own
        || match visibility {
            Visibility::Public => true,
            Visibility::HiddenFromPublic => is_organiser,
            Visibility::Anonymous => false,
        };
    let donor_name = name_visible
        .then(|| crate::users::by_id(&donor_id).map(|u| u.name.to_owned()))
        .flatten();
    let amount_visible = own || is_organiser || !r.flag(6)?;
    Ok(DonationEntry {
        id: r.text(0)?,
        donor_name,
        amount: if amount_visible {
            Some(Money {
                minor_units: r.int(2)?,
                currency: r.text(3)?,
            })
        } else {
            None
        },
        message: r.opt_text(4)?,
        received_at_ms: r.int(7)?,
        // "Gift Aid: yes" is the organiser's to see (the declaration is nobody's).
        gift_aid: is_organiser && r.flag(8)?,
    })
}

/// What is stored under donation id `id`, read from a row in `STORED_COLUMNS` order,
/// its answer marked as a repeat.
fn stored_from(r: &impl Cols, id: &str) -> Result<Stored, StoreError> {
    Ok(Stored {
        donor_id: r.text(0)?,
        fingerprint: r.text(1)?,
        result: ItemResult {
            id: id.to_owned(),
            outcome: parse_outcome(&r.text(2)?)?,
            duplicate: true,
            code: r.opt_text(3)?,
            action_url: r.opt_text(4)?,
            received_at_ms: Some(r.int(5)?),
        },
    })
}

const STORED_COLUMNS: &str = "donor_id, fingerprint, outcome, code, action_url, received_at_ms";

/// A provider's ledger row: (outcome, code, challenge).
fn charge_from(r: &impl Cols) -> Result<Charge, StoreError> {
    Ok(Charge {
        outcome: parse_outcome(&r.text(0)?)?,
        code: r.opt_text(1)?,
        challenge: r.opt_text(2)?,
    })
}

/// The outcome (and code) a bank step leads to, or the answer when the step already ended:
/// the same ending twice answers the same; another one is refused. A step completed for a
/// fundraiser removed meanwhile charges nothing: the donation is refused.
fn bank_outcome(
    current: &str,
    complete: bool,
    fundraiser_state: &str,
) -> Result<Result<(ItemOutcome, Option<&'static str>), ItemOutcome>, StoreError> {
    let want = match (complete, fundraiser_state) {
        (true, "removed") => (ItemOutcome::Rejected, Some("fundraiser_removed")),
        (true, _) => (ItemOutcome::Accepted, None),
        (false, _) => (ItemOutcome::Rejected, Some("authentication_failed")),
    };
    let now = parse_outcome(current)?;
    if now == ItemOutcome::NeedsAction {
        return Ok(Ok(want));
    }
    if now == want.0 {
        return Ok(Err(now));
    }
    Err(StoreError::refused(
        "step_already_ended",
        format!("this step already ended: the donation is {current}"),
    ))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(StoreError::internal)
}

/// A unit enum variant's serde name (`active`, `hidden_from_public`): stored as plain text
/// so that SQL can compare it.
fn name<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    match serde_json::to_value(v).map_err(StoreError::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StoreError::internal(format!("not a unit variant: {other}"))),
    }
}

fn from_name<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(StoreError::internal)
}

/// A stored outcome. `pending` (an attempt recorded, not settled yet) reads as `Unknown`:
/// never sent to a client as such (settled first, or left out of feeds). `refused` (before
/// any payment step, content not kept) reads as `Rejected`.
fn parse_outcome(s: &str) -> Result<ItemOutcome, StoreError> {
    match s {
        "pending" => Ok(ItemOutcome::Unknown),
        "refused" => Ok(ItemOutcome::Rejected),
        _ => from_name(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    async fn stores() -> Vec<Store> {
        let mut out = vec![Store::Sqlite(Arc::new(SqliteStore::open(None).unwrap()))];
        if let Database::Postgres { url, schema } = Database::for_test() {
            out.push(Store::Postgres(
                PgStore::open(&url, schema.as_deref()).await.unwrap(),
            ));
        }
        out
    }

    /// A reconciliation that voids an attempt recorded by a request still in flight (it
    /// recorded, then stalled before the provider) cancels it at the provider too: the
    /// stalled request's charge then takes nothing, and its settle answers void.
    /// Every id the server makes is one a donation may name.
    #[test]
    fn fundraiser_ids_never_look_like_card_numbers() {
        let limits = fundkit::rules::Limits::default();
        let mut raw_refused = 0;
        for _ in 0..20_000 {
            let raw = format!("fr_{}", uuid::Uuid::now_v7().simple());
            raw_refused += usize::from(fundkit::rules::contains_card_number(&raw));
            let id = new_fundraiser_id();
            let request = fundkit::model::DonationRequest {
                fundraiser_id: id.clone(),
                amount: Money {
                    minor_units: 500,
                    currency: "USD".into(),
                },
                message: None,
                visibility: Visibility::Public,
                hide_amount: false,
                payment_token: "tok_ok".into(),
                id: None,
                cover_fee: false,
                gift_aid: None,
                source: None,
            };
            let issues = fundkit::rules::validate_donation(&request, "USD", &limits);
            assert!(issues.is_empty(), "{id}: {issues:?}");
        }
        println!("fundraiser ids: {raw_refused} of 20,000 raw draws would have been refused");
    }

    #[tokio::test]
    async fn a_reconciled_attempt_is_never_charged_by_the_request_still_in_flight() {
        for store in stores().await {
            let donor = &crate::users::DEV_USERS[3];
            let id = "0190aaaa-0000-7000-8000-000000000042".to_owned();
            let item = DonationItem {
                id: id.clone(),
                fundraiser_id: "fr_x".into(),
                amount: Money {
                    minor_units: 500,
                    currency: "USD".into(),
                },
                message: None,
                visibility: Visibility::Public,
                hide_amount: false,
                payment_token: "tok_ok".into(),
                donor_pays: None,
                cover_fee: false,
                gift_aid: None,
                source: None,
            };
            let recorded = store
                .record_batch(
                    donor,
                    Arc::new(vec![(item, "fp".into())]),
                    1,
                    Box::new(|_, _| {
                        Ok(Priced {
                            donor_pays_minor: 500,
                            fee_minor: 0,
                            charity: None,
                        })
                    }),
                )
                .await
                .unwrap();
            assert!(matches!(recorded[..], [Recorded::ToCharge]));
            let bank = BankPage {
                base_url: "http://localhost/v1/bank/".into(),
                timeout_ms: 60_000,
            };
            let reconciled = store
                .reconcile(donor, vec![id.clone()], 2, bank.clone())
                .await
                .unwrap();
            assert_eq!(reconciled[0].outcome, ItemOutcome::Void);
            // The stalled request goes on: charge, then settle.
            let charges = store
                .psp_charge(
                    vec![ChargeRequest {
                        key: id.clone(),
                        token: "tok_ok".into(),
                        fundraiser_id: "fr_x".into(),
                        amount_minor: 500,
                        currency: "USD".into(),
                        covered_fee_minor: 0,
                    }],
                    3,
                )
                .await
                .unwrap();
            assert_eq!(
                charges[0].outcome,
                ItemOutcome::Void,
                "the provider refuses a cancelled key"
            );
            let settled = store
                .settle(donor, vec![(id.clone(), charges[0].clone())], 3, bank)
                .await
                .unwrap();
            assert_eq!(settled[0].outcome, ItemOutcome::Void);
            assert_eq!(
                store.psp_charges_for(id).await.unwrap(),
                0,
                "nothing charged"
            );
        }
    }
}

/// A database of a released schema, seeded with what the v4 migration (PostgreSQL V2)
/// must repair, and the checks that it did. Shared by both backends' upgrade tests.
#[cfg(test)]
pub(crate) mod upgrade_fixture {
    /// Rows in the oldest shape (`with_seq`: the schema has `change_seq`), as SQL. A
    /// fundraiser whose total counts a reused id another donor sent (2,000 never charged),
    /// a respelled id, an id that is no UUID, a refusal holding a card number, a decline.
    pub fn seed_sql(with_seq: bool, boolean: fn(bool) -> &'static str) -> String {
        let f = boolean(false);
        let seq = |n: u32| {
            if with_seq {
                format!(", {n}")
            } else {
                String::new()
            }
        };
        let seq_col = if with_seq { ", change_seq" } else { "" };
        let rows = [
            (
                "usr_donor_1",
                "0190aaaa-0000-7000-8000-000000000001",
                "accepted",
                "NULL",
                1_000,
                "'Get well'",
                1,
            ),
            (
                "usr_donor_2",
                "0190aaaa-0000-7000-8000-000000000001",
                "accepted",
                "NULL",
                2_000,
                "NULL",
                2,
            ),
            (
                "usr_donor_1",
                "0190AAAA-0000-7000-8000-000000000002",
                "rejected",
                "'declined'",
                500,
                "'hi'",
                3,
            ),
            (
                "usr_donor_1",
                "not-a-uuid",
                "rejected",
                "'invalid_id'",
                500,
                "NULL",
                4,
            ),
            (
                "usr_donor_1",
                "{0190aaaa-0000-7000-8000-000000000003}",
                "rejected",
                "'card_number'",
                500,
                "'card 4111 1111 1111 1111'",
                5,
            ),
        ];
        let mut sql = String::from(
            "INSERT INTO fundraisers (id, organiser_id, organiser_name, kind, category, title, story, goal_minor,
                 currency, country, state, confirmed_minor, donation_count, duration_days, created_at_ms, ends_at_ms,
                 updated_at_ms, change_seq)
             VALUES ('fr_1', 'usr_organiser', 'Olivia', '{\"type\":\"business_project\"}', 'medical', 't', 's',
                 500000, 'USD', 'US', 'active', 3000, 2, 30, 0, 9999999999999, 0, 1);\n"
        );
        for (donor, id, outcome, code, amount, message, n) in rows {
            sql += &format!(
                "INSERT INTO donations (donor_id, id, fundraiser_id, amount_minor, currency, message, visibility,
                     hide_amount, fingerprint, outcome, code, received_at_ms{seq_col})
                 VALUES ('{donor}', '{id}', 'fr_1', {amount}, 'USD', {message}, 'public', {f}, 'fp{n}',
                     '{outcome}', {code}, {n}{});\n",
                seq(n)
            );
        }
        sql
    }

    /// The ledger's entry for the one real charge (schemas that have a ledger).
    pub const LEDGER_SQL: &str =
        "INSERT INTO psp_charges (idem_key, outcome, code, challenge, charged_at_ms)
         VALUES ('0190aaaa-0000-7000-8000-000000000001', 'accepted', NULL, NULL, 1);";

    /// Every row as (id, donor, outcome, amount, message), by id.
    pub type Rows = Vec<(String, String, String, i64, Option<String>)>;

    pub fn check(rows: Rows, conflicts: Vec<(String, String)>, total: (i64, i64)) {
        assert_eq!(
            rows,
            vec![
                (
                    "0190aaaa-0000-7000-8000-000000000001".into(),
                    "usr_donor_1".into(),
                    "accepted".into(),
                    1_000,
                    Some("Get well".into())
                ),
                (
                    "0190aaaa-0000-7000-8000-000000000002".into(),
                    "usr_donor_1".into(),
                    "rejected".into(),
                    500,
                    Some("hi".into())
                ),
                (
                    "0190aaaa-0000-7000-8000-000000000003".into(),
                    "usr_donor_1".into(),
                    "refused".into(),
                    0,
                    None
                ),
            ],
            "canonical ids, the first of each kept, refusals without content, no junk id"
        );
        assert_eq!(
            conflicts,
            vec![(
                "0190aaaa-0000-7000-8000-000000000001".into(),
                "usr_donor_2".into()
            )],
            "the reuse kept for audit"
        );
        assert_eq!(total, (1_000, 1), "the total counts what stays");
    }
}
