//! Free functions exported to the apps: the pure domain, usable before any client exists
//! (a form can validate and format without a database).

use crate::error::FundkitError;
use crate::model::Fundraiser;
use crate::model::{DonationRequest, FundraiserDraft};
use crate::money::{self, Money};
use crate::rollout::{self, Action, Availability, RolloutConfig, UserContext};
use crate::rules::{self, Limits, OrganiserActions, ValidationIssue};

/// Parses what a person typed (`12`, `12.5`, `$1,234.56`) into money of `currency`,
/// in the conventions of `locale` (`en-US`, `en-GB`, `en-IE`).
#[uniffi::export]
pub fn parse_money(input: String, currency: String, locale: String) -> Result<Money, FundkitError> {
    Ok(money::parse(&input, &currency, &locale)?)
}

/// Formats money for display: `$1,234.56`, `£1,234.56`, `€1,234.56`.
#[uniffi::export]
pub fn format_money(money: Money, locale: String) -> Result<String, FundkitError> {
    Ok(money::format(&money, &locale)?)
}

/// Number of decimal places of an ISO 4217 currency (USD 2, JPY 0, BHD 3).
#[uniffi::export]
pub fn currency_exponent(currency: String) -> Result<u32, FundkitError> {
    Ok(money::currency_exponent(&currency)?)
}

/// The currency a fundraiser created in `country` raises money in.
#[uniffi::export]
pub fn currency_for_country(country: String) -> Option<String> {
    money::currency_for_country(&country)
}

/// The launch limits of docs/design.md §2 (the server's config may change them).
#[uniffi::export]
pub fn default_limits() -> Limits {
    Limits::default()
}

/// The launch rollout: US, GB, IE on Android.
#[uniffi::export]
pub fn default_rollout() -> RolloutConfig {
    RolloutConfig::default()
}

/// Every issue of a fundraiser draft.
#[uniffi::export]
pub fn validate_draft(draft: FundraiserDraft, limits: Limits) -> Vec<ValidationIssue> {
    rules::validate_draft(&draft, &limits)
}

/// Every issue of a donation towards a fundraiser in `fundraiser_currency`.
#[uniffi::export]
pub fn validate_donation(
    request: DonationRequest,
    fundraiser_currency: String,
    limits: Limits,
) -> Vec<ValidationIssue> {
    rules::validate_donation(&request, &fundraiser_currency, &limits)
}

/// Is `action` open to `user` under `config`?
#[uniffi::export]
pub fn availability(config: RolloutConfig, user: UserContext, action: Action) -> Availability {
    rollout::availability(&config, &user, action)
}

/// What the organiser may do with `fundraiser` at `now_ms` (edit, extend, end) and how many
/// days it has left: the shells show these facts and never work them out themselves.
#[uniffi::export]
pub fn organiser_actions(fundraiser: Fundraiser, now_ms: i64, limits: Limits) -> OrganiserActions {
    rules::organiser_actions(&fundraiser, now_ms, &limits)
}

/// The version of the Gift Aid declaration wording this build of FundKit expects: the app
/// shows its own translation of that wording and passes this version in the declaration.
#[uniffi::export]
pub fn gift_aid_wording_version() -> String {
    rules::GIFT_AID_WORDING_VERSION.to_owned()
}

/// Every issue of a Gift Aid declaration, to mark the form's fields as the donor types.
#[uniffi::export]
pub fn validate_gift_aid_declaration(
    declaration: crate::model::GiftAidDeclaration,
) -> Vec<ValidationIssue> {
    rules::validate_declaration(&declaration)
}

/// Every issue of a charity on a draft (or a review): its name and registration number,
/// and whether the fundraiser's kind and country take one.
#[uniffi::export]
pub fn validate_charity(
    charity: crate::model::Charity,
    kind: crate::model::FundraiserKind,
    country: String,
) -> Vec<ValidationIssue> {
    rules::validate_charity(&charity, &kind, &country)
}

/// Whether donations to `fundraiser` may carry Gift Aid, and if not why not (the shells
/// show the Gift Aid parts of a screen by this, never by their own reading of the fields).
#[uniffi::export]
pub fn gift_aid_availability(fundraiser: Fundraiser) -> crate::GiftAidAvailability {
    rules::gift_aid_availability(&fundraiser)
}
