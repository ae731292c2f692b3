//! Validation of fundraiser drafts and donation requests: pure functions that return
//! *every* problem at once, so a form can mark all its fields in one pass.
//!
//! Text is trimmed before it is counted; lengths count user-perceived characters (grapheme
//! clusters: an emoji family is one); control characters are refused (line breaks are fine
//! in a story or a message) and so are card numbers (13–19 digits passing Luhn, also written
//! with spaces or dashes) in every text field.

use serde::{Deserialize, Serialize};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ValidationIssue {
    /// The field's name as the app's form knows it: `title`, `story`, `goal`, `amount`…
    pub field: String,
    pub code: IssueCode,
    /// A sentence in English for logs and developer builds; apps localise from `code`.
    pub message: String,
}

/// Machine codes of validation issues: stable, for the app to map to its own strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum IssueCode {
    Required,
    TooLong,
    ControlCharacter,
    CardNumber,
    BelowMinimum,
    AboveMaximum,
    CurrencyMismatch,
    UnknownCurrency,
    WrongCurrencyForCountry,
    InvalidId,
    InvalidDuration,
    NotActive,
}

/// Limits of DESIGN.md §2. Amount limits are in *major* units of the fundraiser's currency
/// and are converted with the currency's exponent. The server's config may change them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Limits {
    pub title_max_chars: u32,
    pub story_max_chars: u32,
    pub message_max_chars: u32,
    pub goal_min_major: i64,
    pub goal_max_major: i64,
    pub donation_min_major: i64,
    pub donation_max_major: i64,
    pub default_duration_days: u32,
    pub extension_step_days: u32,
    pub max_duration_days: u32,
    pub max_active_fundraisers_per_organiser: u32,
    /// Offline queue caps (DESIGN.md §2, after Square's offline payments).
    pub offline_max_single_major: i64,
    pub offline_max_total_major: i64,
    pub offline_max_count: u32,
    pub offline_expiry_hours: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            title_max_chars: 60,
            story_max_chars: 5_000,
            message_max_chars: 280,
            goal_min_major: 100,
            goal_max_major: 1_000_000,
            donation_min_major: 1,
            donation_max_major: 10_000,
            default_duration_days: 30,
            extension_step_days: 30,
            max_duration_days: 90,
            max_active_fundraisers_per_organiser: 1,
            offline_max_single_major: 250,
            offline_max_total_major: 1_000,
            offline_max_count: 50,
            offline_expiry_hours: 24,
        }
    }
}

// ---- API (bodies to be completed by the rules work; signatures are the contract) ----

use crate::model::{DonationRequest, FundraiserDraft};

/// The draft with its texts trimmed, as it will be stored and sent.
pub fn normalize_draft(draft: &FundraiserDraft) -> FundraiserDraft {
    let _ = draft;
    todo!()
}

/// Every issue of a fundraiser draft (after trimming), in field order.
pub fn validate_draft(draft: &FundraiserDraft, limits: &Limits) -> Vec<ValidationIssue> {
    let _ = (draft, limits);
    todo!()
}

/// The request with its message trimmed (and an empty message made `None`).
pub fn normalize_donation(request: &DonationRequest) -> DonationRequest {
    let _ = request;
    todo!()
}

/// Every issue of a donation request towards a fundraiser in `fundraiser_currency`.
pub fn validate_donation(
    request: &DonationRequest,
    fundraiser_currency: &str,
    limits: &Limits,
) -> Vec<ValidationIssue> {
    let _ = (request, fundraiser_currency, limits);
    todo!()
}

/// Extending an active fundraiser by `extra_days`: the new total duration, or the issues.
pub fn validate_extension(
    current_days: u32,
    extra_days: u32,
    limits: &Limits,
) -> Result<u32, Vec<ValidationIssue>> {
    let _ = (current_days, extra_days, limits);
    todo!()
}

/// True if `text` holds a card number: 13–19 digits passing Luhn, possibly written with
/// single spaces or dashes between digits.
pub fn contains_card_number(text: &str) -> bool {
    let _ = text;
    todo!()
}
