//! Wire types of the sync protocol (docs/design.md §3), shared by the client's `sync` module and
//! the reference server so that both sides serialise exactly the same JSON. Versioned under
//! `/v1`; every field is snake_case; amounts travel as `Money` (integer minor units).

use serde::{Deserialize, Serialize};

// `DonationEntry` lives in the model (the organiser's view holds it) and is re-exported
// here, where it has always been named: the model does not depend on the wire layer.
use crate::fees::FeeModel;
pub use crate::model::DonationEntry;
use crate::model::{DonationSource, DonationState, Fundraiser, GiftAidDeclaration, Visibility};
use crate::money::Money;
use crate::rollout::RolloutConfig;
use crate::rules::{Limits, ValidationIssue};

/// Most donations one `POST /v1/donations/batch` may carry.
pub const MAX_BATCH: usize = 100;
/// Most fundraisers one page of the changes feed may carry.
pub const MAX_CHANGES_PAGE: u32 = 500;

/// `GET /v1/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ServerConfig {
    pub rollout: RolloutConfig,
    pub limits: Limits,
    /// The fee model of each country (docs/fees.md); a country without one charges no fee.
    /// Absent from older servers: none.
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = []))]
    pub fees: Vec<FeeModel>,
    /// Where share links point (docs/links.md). Absent from older servers: links are
    /// made on the API's own host with the `fundkit` scheme.
    #[serde(default)]
    #[cfg_attr(feature = "ffi", uniffi(default = None))]
    pub links: Option<LinkConfig>,
}

/// The hosts a fundraiser's share link may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct LinkConfig {
    /// The https host of share links (`fundraisers.example.com`), served with the
    /// platforms' app-link files (`/.well-known/assetlinks.json`,
    /// `/.well-known/apple-app-site-association`).
    pub host: String,
    /// The app's own URL scheme (`fundkit`), for links made inside the app.
    pub app_scheme: String,
}

/// `GET /v1/fundraisers/changes?since=CURSOR&limit=N`: fundraisers changed after `since`,
/// oldest change first. An empty or absent `since` starts from the beginning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesPage {
    pub fundraisers: Vec<Fundraiser>,
    /// Opaque; pass it back as `since` to continue.
    pub next_cursor: String,
    pub has_more: bool,
}

/// One donation in `POST /v1/donations/batch`. `id` is the client-made UUIDv7 and the
/// idempotency key: the server keeps one outcome per id (another donor's id is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonationItem {
    pub id: String,
    pub fundraiser_id: String,
    pub amount: Money,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub hide_amount: bool,
    pub payment_token: String,
    /// What the donor agreed to pay (the quote they saw: the amount, plus the fees if
    /// they cover them). Absent from older apps: the amount. The server works the quote
    /// out from its own config and refuses the item (`fee_changed`) if the two differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor_pays: Option<Money>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cover_fee: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_aid: Option<GiftAidDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DonationSource>,
}

impl DonationItem {
    /// The request as the donor made it, for the server to validate with the same rules.
    pub fn as_request(&self) -> crate::model::DonationRequest {
        crate::model::DonationRequest {
            fundraiser_id: self.fundraiser_id.clone(),
            amount: self.amount.clone(),
            message: self.message.clone(),
            visibility: self.visibility,
            hide_amount: self.hide_amount,
            payment_token: self.payment_token.clone(),
            id: Some(self.id.clone()),
            cover_fee: self.cover_fee,
            gift_aid: self.gift_aid.clone(),
            source: self.source,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonationBatch {
    pub donations: Vec<DonationItem>,
}

/// The per-item outcome of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Charged and counted.
    Accepted,
    /// Permanently refused; `code` says why (`declined`, `fundraiser_not_active`…).
    Rejected,
    /// The bank asks the donor to act (e.g. authenticate); `code` and `action_url` say how.
    NeedsAction,
    /// This id is taken: used before by this donor with different content
    /// (`idempotency_conflict`), or by another donor (`id_in_use`). Nothing was charged
    /// for this request, and the original donation, whoever made it, is untouched.
    Conflict,
    /// Reconciliation found no record of this id, and the server recorded that it can
    /// never be charged: a later batch carrying it gets this same answer.
    Void,
    /// An outcome this build does not know (a newer server): treated as no answer.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: String,
    pub outcome: ItemOutcome,
    /// True when the server had already answered for this id: the outcome is the original.
    pub duplicate: bool,
    pub code: Option<String>,
    pub action_url: Option<String>,
    /// The server's receipt time: the official time of the donation.
    pub received_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResult {
    pub results: Vec<ItemResult>,
}

/// `POST /v1/donations/reconcile`: settle donations that were sent but never answered,
/// once and for all. For each id the server returns the outcome it holds, or, if it holds
/// none, records in the same transaction that the id can never be charged and answers
/// `void`. Either way the answer is final: no batch can charge that id afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileRequest {
    pub ids: Vec<String>,
}

/// `GET /v1/me/donations/changes?since=CURSOR&limit=N`: the signed-in donor's own
/// donations whose outcome changed after `since`, oldest change first (a bank step
/// completed or abandoned, a donation made on another device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnDonationsPage {
    pub donations: Vec<OwnDonation>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// `GET /v1/fundraisers/{id}/donors?since=CURSOR&limit=N` (the organiser only): donations
/// received, oldest first, masked as the organiser may see them, with the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonorsPage {
    pub donations: Vec<DonationEntry>,
    pub next_cursor: String,
    pub has_more: bool,
    /// Distinct donors so far.
    pub donor_count: u64,
}

/// `POST /v1/review/fundraisers/{id}` (reviewers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// In review: it goes live. Running with an edit waiting: the edit goes live.
    Approve,
    /// In review or running: it is taken down, and its organiser is told `reason`.
    Remove,
    /// Running with an edit waiting: the edit is dropped (the approved text stays), and
    /// its organiser is told `reason`.
    DeclineEdit,
}

/// New public text an organiser proposed for a running fundraiser: shown to them and to
/// reviewers only; the approved text stays public until a reviewer approves this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEdit {
    pub title: String,
    pub story: String,
    pub submitted_at_ms: i64,
    /// Set when a reviewer declined it: why (the approved text stays).
    #[serde(default)]
    pub declined_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Required to remove or to decline an edit: what the organiser is told.
    #[serde(default)]
    pub reason: Option<String>,
    /// The registered UK charity the reviewer checked (a nonprofit in GB): Gift Aid then
    /// applies to its donations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charity: Option<crate::model::Charity>,
}

/// `POST /v1/fundraisers/{id}/extend` (the organiser only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendRequest {
    pub days: u32,
}

/// The body of the reference server's simulated bank page (`POST` to a donation's
/// `action_url`): the donor completes or fails the step the bank asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankStep {
    Complete,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankStepRequest {
    pub result: BankStep,
}

/// A donation as its own donor sees it (`GET /v1/me/donations`), with private fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnDonation {
    pub id: String,
    pub fundraiser_id: String,
    pub amount: Money,
    pub message: Option<String>,
    pub visibility: Visibility,
    pub hide_amount: bool,
    pub state: DonationState,
    pub code: Option<String>,
    #[serde(default)]
    pub action_url: Option<String>,
    pub received_at_ms: i64,
}

/// Every non-2xx answer carries this body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable machine code: `unauthorized`, `validation_failed`, `not_found`,
    /// `payload_too_large`, `rate_limited`, `idempotency_conflict`, `bad_request`…
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<ValidationIssue>,
}

#[cfg(test)]
mod tests {
    //! Decoder robustness: whatever a broken or hostile server sends, decoding returns an
    //! error or a value, never a panic. Random JSON trees and raw bytes, plus mutations
    //! of valid bodies.
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            prop_oneof![
                Just("accepted".to_owned()),
                Just("rejected".to_owned()),
                Just("needs_action".to_owned()),
                Just("USD".to_owned()),
                ".{0,12}"
            ]
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("results".to_owned()),
                        Just("id".to_owned()),
                        Just("outcome".to_owned()),
                        Just("duplicate".to_owned()),
                        Just("fundraisers".to_owned()),
                        Just("next_cursor".to_owned()),
                        Just("has_more".to_owned()),
                        Just("error".to_owned()),
                        Just("code".to_owned()),
                        "[a-z_]{1,10}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Decodes `bytes` as `T`; a value must survive a round trip unchanged (nothing is
    /// half-read or silently dropped), and an error is an error, never a panic.
    fn round_trip<T: serde::de::DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
        bytes: &[u8],
    ) -> Option<T> {
        let value = serde_json::from_slice::<T>(bytes).ok()?;
        let again = serde_json::to_vec(&value).expect("a decoded value encodes");
        assert_eq!(
            serde_json::from_slice::<T>(&again).ok().as_ref(),
            Some(&value)
        );
        Some(value)
    }

    fn decode_all(bytes: &[u8]) {
        round_trip::<BatchResult>(bytes);
        round_trip::<ChangesPage>(bytes);
        round_trip::<OwnDonationsPage>(bytes);
        round_trip::<ServerConfig>(bytes);
        round_trip::<ApiError>(bytes);
        round_trip::<crate::model::Fundraiser>(bytes);
        round_trip::<DonationBatch>(bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn random_json_never_panics_the_decoders(value in json()) {
            decode_all(value.to_string().as_bytes());
        }

        #[test]
        fn random_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            decode_all(&bytes);
        }

        /// A valid answer with one byte changed and then cut: it either fails to decode or
        /// decodes to something that round-trips; and cut anywhere before its end, it never
        /// decodes to a different, shorter answer (no item silently lost to a cut).
        #[test]
        fn mutated_or_cut_answers_fail_or_decode_faithfully(cut in 0usize..200, flip in 0usize..200, byte in any::<u8>()) {
            let valid: &[u8] = br#"{"results":[{"id":"0190","outcome":"accepted","duplicate":false,"code":null,"action_url":null,"received_at_ms":1},{"id":"0191","outcome":"rejected","duplicate":true,"code":"declined","action_url":null,"received_at_ms":2}]}"#;
            let full: BatchResult = serde_json::from_slice(valid).unwrap();
            let cut_at = cut % valid.len();
            prop_assert!(serde_json::from_slice::<BatchResult>(&valid[..cut_at]).is_err(), "a cut answer never decodes");
            let mut bytes = valid.to_vec();
            if let Some(b) = bytes.get_mut(flip % valid.len()) {
                *b = byte;
            }
            if let Some(mutated) = round_trip::<BatchResult>(&bytes) {
                prop_assert!(mutated.results.len() <= full.results.len());
            }
        }

        /// Every generated valid answer round-trips exactly.
        #[test]
        fn generated_answers_round_trip(
            ids in prop::collection::vec("[0-9a-f-]{1,36}", 0..8),
            outcome in 0usize..6,
            dup in any::<bool>(),
            code in prop::option::of(".{0,12}"),
            at in prop::option::of(any::<i64>()),
        ) {
            let outcomes = [ItemOutcome::Accepted, ItemOutcome::Rejected, ItemOutcome::NeedsAction,
                ItemOutcome::Conflict, ItemOutcome::Void, ItemOutcome::Unknown];
            let result = BatchResult { results: ids.into_iter().map(|id| ItemResult {
                id, outcome: outcomes[outcome], duplicate: dup, code: code.clone(), action_url: None, received_at_ms: at,
            }).collect() };
            let bytes = serde_json::to_vec(&result).unwrap();
            prop_assert_eq!(round_trip::<BatchResult>(&bytes), Some(result));
        }
    }

    #[test]
    fn a_valid_batch_result_decodes() {
        let body = br#"{"results":[{"id":"a","outcome":"needs_action","duplicate":true,"code":"authentication_required","action_url":"https://x","received_at_ms":5}]}"#;
        let r: BatchResult = serde_json::from_slice(body).unwrap();
        assert_eq!(r.results[0].outcome, ItemOutcome::NeedsAction);
        assert!(r.results[0].duplicate);
    }
}
