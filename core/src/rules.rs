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
    /// A sentence in English for logs and developer builds; apps localise from `code` and
    /// `args`.
    pub message: String,
    /// The facts an app needs to say what is wrong in its own words: the limit, the
    /// currency, the country, the days (docs/design.md "Validation"). Absent from older
    /// servers' answers (empty), and from issues that have nothing more to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ffi", uniffi(default = []))]
    pub args: Vec<IssueArg>,
}

/// One fact about a validation issue, typed so that an app formats it itself (an amount
/// with `format_money`, a count with its own plural rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum IssueArg {
    /// The least amount allowed (`BelowMinimum`; `BelowRaised`: what has been raised).
    Minimum { amount: Money },
    /// The most allowed (`AboveMaximum`).
    Maximum { amount: Money },
    /// The most user-perceived characters the field takes (`TooLong`).
    MaxChars { count: u32 },
    /// The currency the field must be in (`CurrencyMismatch`, `WrongCurrencyForCountry`).
    Currency { code: String },
    /// The country whose currency that is (`WrongCurrencyForCountry`).
    Country { code: String },
    /// Fundraisers are extended by multiples of this many days (`InvalidDuration`).
    StepDays { days: u32 },
    /// The longest a fundraiser runs, in days (`InvalidDuration`).
    MaxDays { days: u32 },
    /// The declaration wording this service shows now (`UnknownWording`).
    Version { version: String },
    /// Why this fundraiser takes no Gift Aid (`GiftAidNotAvailable`).
    GiftAid { availability: GiftAidAvailability },
    /// The fees a donation pays (`BelowFees`: the donation must be more than its fees,
    /// unless the donor covers them).
    Fees { amount: Money },
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
    /// The goal would drop below what the fundraiser has already raised.
    BelowRaised,
    /// Bidirectional embedding, override or isolate controls: they can make text read in
    /// an order other than the one it is stored in.
    BidiControl,
    /// The fundraiser has ended: nothing more can change and no donation is taken.
    Ended,
    /// Gift Aid on a donation, or a charity on a fundraiser, where it does not apply
    /// (`IssueArg::GiftAid` says why).
    GiftAidNotAvailable,
    /// Not a UK postcode's shape.
    InvalidPostcode,
    /// Not a UK charity registration number's shape.
    InvalidCharityNumber,
    /// A statement the Gift Aid declaration needs was not made (a box left unticked).
    NotDeclared,
    /// A declaration wording this service does not accept (an old app's text).
    UnknownWording,
    /// The fees would take the whole donation: give more, or cover the fees.
    BelowFees,
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

use unicode_segmentation::UnicodeSegmentation;

use crate::fees::{self, FeeModel, FeeQuote};
use crate::model::{DonationRequest, Fundraiser, FundraiserDraft, FundraiserKind};
use crate::money::{self, Money};

/// Longest id (fundraiser, nonprofit) accepted in any request.
const MAX_ID_LEN: usize = 64;

/// Card numbers (PANs) have 13 to 19 digits (ISO/IEC 7812).
/// Most UTF-8 bytes one user-perceived character may take (see `check_text`).
pub const MAX_GRAPHEME_BYTES: usize = 64;
const CARD_MIN_DIGITS: usize = 13;
const CARD_MAX_DIGITS: usize = 19;

/// The draft with its texts trimmed, as it will be stored and sent.
pub fn normalize_draft(draft: &FundraiserDraft) -> FundraiserDraft {
    let mut d = draft.clone();
    d.title = d.title.trim().to_owned();
    d.story = d.story.trim().to_owned();
    d.country = d.country.trim().to_ascii_uppercase();
    d.goal.currency = d.goal.currency.trim().to_ascii_uppercase();
    if let FundraiserKind::Nonprofit { nonprofit_id } = &mut d.kind {
        *nonprofit_id = nonprofit_id.trim().to_owned();
    }
    d.charity = d.charity.as_ref().map(normalize_charity);
    d
}

/// A donation id in its one canonical spelling (lower-case hyphenated UUID), or `None` if
/// it is not a UUID. Every spelling the UUID parser accepts (upper case, `{braced}`,
/// `urn:uuid:`, no hyphens) names the same donation, so ids are compared in this form only.
pub fn canonical_donation_id(id: &str) -> Option<String> {
    uuid::Uuid::try_parse(id.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Every issue of a reason a reviewer gives an organiser (removal, a declined edit): the
/// same text rules as a story (required, at most 500 characters, no control or
/// bidirectional characters, no card number).
pub fn validate_review_reason(reason: &str) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    check_text(&mut issues, "reason", reason.trim(), true, 500, true);
    issues
}

/// Every issue of a fundraiser draft (after trimming), in field order.
pub fn validate_draft(draft: &FundraiserDraft, limits: &Limits) -> Vec<ValidationIssue> {
    let d = normalize_draft(draft);
    let mut issues = Vec::new();
    if let FundraiserKind::Nonprofit { nonprofit_id } = &d.kind {
        check_id(&mut issues, "nonprofit_id", nonprofit_id);
    }
    check_text(
        &mut issues,
        "title",
        &d.title,
        true,
        limits.title_max_chars,
        false,
    );
    check_text(
        &mut issues,
        "story",
        &d.story,
        true,
        limits.story_max_chars,
        true,
    );
    let country_currency = money::currency_for_country(&d.country);
    if money::currency_exponent(&d.goal.currency).is_err() {
        issues.push(issue(
            "goal",
            IssueCode::UnknownCurrency,
            "the goal's currency is not known",
        ));
    } else if let Some(expected) = country_currency
        .as_deref()
        .filter(|expected| *expected != d.goal.currency)
    {
        // The range is not checked in a currency the fundraiser cannot use.
        issues.push(issue_with(
            "goal",
            IssueCode::WrongCurrencyForCountry,
            &format!("a fundraiser in {} raises money in {expected}", d.country),
            vec![
                IssueArg::Currency {
                    code: expected.to_owned(),
                },
                IssueArg::Country {
                    code: d.country.clone(),
                },
            ],
        ));
    } else {
        // With an unknown country the goal is still checked in its own currency, so that
        // every problem shows at once.
        check_range(
            &mut issues,
            "goal",
            &d.goal,
            limits.goal_min_major,
            limits.goal_max_major,
        );
    }
    if let Some(charity) = &d.charity {
        issues.extend(validate_charity(charity, &d.kind, &d.country));
    }
    if country_currency.is_none() {
        if d.country.is_empty() {
            issues.push(issue(
                "country",
                IssueCode::Required,
                "choose the country the fundraiser is in",
            ));
        } else {
            issues.push(issue(
                "country",
                IssueCode::InvalidId,
                &format!(
                    "{:?} is not an ISO 3166 country code with a currency",
                    d.country
                ),
            ));
        }
    }
    issues
}

/// The request with its message trimmed (and an empty message made `None`).
pub fn normalize_donation(request: &DonationRequest) -> DonationRequest {
    let mut r = request.clone();
    r.fundraiser_id = r.fundraiser_id.trim().to_owned();
    r.amount.currency = r.amount.currency.trim().to_ascii_uppercase();
    r.message = r
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    r.payment_token = r.payment_token.trim().to_owned();
    r.gift_aid = r.gift_aid.as_ref().map(normalize_declaration);
    r
}

mod gift_aid;
pub use gift_aid::{
    gift_aid_availability, gift_aid_on, normalize_charity, normalize_charity_number,
    normalize_declaration, normalize_postcode, validate_charity, validate_declaration,
    validate_gift_aid, GiftAidAvailability, GIFT_AID_WORDING_VERSION, GIFT_AID_WORDING_VERSIONS,
};

mod organiser;
pub use organiser::{
    organiser_actions, validate_edit, validate_end, validate_organiser_action, OrganiserActions,
};

/// Donations go only to an active fundraiser that has not reached its end (`now_ms`).
pub fn fundraiser_accepts_donations(
    fundraiser: &crate::model::Fundraiser,
    now_ms: i64,
) -> Option<ValidationIssue> {
    use crate::model::FundraiserState;
    let ended = fundraiser.state == FundraiserState::Ended
        || (fundraiser.state == FundraiserState::Active && fundraiser.ends_at_ms <= now_ms);
    if ended {
        Some(issue(
            "fundraiser_id",
            IssueCode::Ended,
            "this fundraiser has ended and no longer takes donations",
        ))
    } else if fundraiser.state != FundraiserState::Active {
        Some(issue(
            "fundraiser_id",
            IssueCode::NotActive,
            "this fundraiser is not accepting donations",
        ))
    } else {
        None
    }
}

/// Every issue of a donation request towards a fundraiser in `fundraiser_currency`.
pub fn validate_donation(
    request: &DonationRequest,
    fundraiser_currency: &str,
    limits: &Limits,
) -> Vec<ValidationIssue> {
    let r = normalize_donation(request);
    let mut issues = Vec::new();
    check_id(&mut issues, "fundraiser_id", &r.fundraiser_id);
    if money::currency_exponent(&r.amount.currency).is_err() {
        issues.push(issue(
            "amount",
            IssueCode::UnknownCurrency,
            "the amount's currency is not known",
        ));
    } else if !r
        .amount
        .currency
        .eq_ignore_ascii_case(fundraiser_currency.trim())
    {
        issues.push(issue_with(
            "amount",
            IssueCode::CurrencyMismatch,
            &format!(
                "this fundraiser takes donations in {}",
                fundraiser_currency.trim()
            ),
            vec![IssueArg::Currency {
                code: fundraiser_currency.trim().to_ascii_uppercase(),
            }],
        ));
    } else {
        check_range(
            &mut issues,
            "amount",
            &r.amount,
            limits.donation_min_major,
            limits.donation_max_major,
        );
    }
    if let Some(message) = &r.message {
        check_text(
            &mut issues,
            "message",
            message,
            false,
            limits.message_max_chars,
            true,
        );
    }
    if r.payment_token.is_empty() {
        issues.push(issue(
            "payment_token",
            IssueCode::Required,
            "the payment sheet gave no token",
        ));
    } else if r.payment_token.len() > 4096 || r.payment_token.chars().any(char::is_control) {
        issues.push(issue(
            "payment_token",
            IssueCode::InvalidId,
            "the payment token is malformed",
        ));
    }
    issues
}

/// What a donation to `fundraiser` costs under the server's `fee_models`, once its Gift
/// Aid and fees are checked: the one rule the device (before queueing, for the quote the
/// donor sees) and the server (before charging) both apply. Issues: Gift Aid where it does
/// not apply or an incomplete declaration; fees that would take the whole donation.
pub fn quote_donation(
    request: &DonationRequest,
    fundraiser: &Fundraiser,
    fee_models: &[FeeModel],
) -> Result<FeeQuote, Vec<ValidationIssue>> {
    let mut issues = validate_gift_aid(request.gift_aid.as_ref(), fundraiser);
    let model = fees::model_for(fee_models, &fundraiser.country, &fundraiser.goal.currency);
    let quote = match fees::quote(&request.amount, model, request.cover_fee) {
        Ok(quote) => Some(quote),
        Err(e) => {
            issues.push(issue(
                "amount",
                IssueCode::CurrencyMismatch,
                &format!("the fees cannot be worked out: {e}"),
            ));
            None
        }
    };
    if let Some(q) = &quote {
        // (An amount of nothing is `BelowMinimum` already.)
        if q.organiser_receives.minor_units <= 0 && q.amount.minor_units > 0 {
            issues.push(issue_with(
                "amount",
                IssueCode::BelowFees,
                "the fees would take the whole donation",
                vec![IssueArg::Fees {
                    amount: q.fees.clone(),
                }],
            ));
        }
    }
    match quote {
        Some(quote) if issues.is_empty() => Ok(quote),
        _ => Err(issues),
    }
}

/// Extending an active fundraiser by `extra_days`: the new total duration, or the issues.
pub fn validate_extension(
    current_days: u32,
    extra_days: u32,
    limits: &Limits,
) -> Result<u32, Vec<ValidationIssue>> {
    let step = limits.extension_step_days;
    let mut issues = Vec::new();
    if extra_days == 0 || step == 0 || !extra_days.is_multiple_of(step) {
        issues.push(issue_with(
            "duration_days",
            IssueCode::InvalidDuration,
            &format!("fundraisers are extended in steps of {step} days"),
            vec![IssueArg::StepDays { days: step }],
        ));
    }
    let total = current_days
        .checked_add(extra_days)
        .filter(|total| *total <= limits.max_duration_days);
    if total.is_none() {
        issues.push(issue_with(
            "duration_days",
            IssueCode::InvalidDuration,
            &format!(
                "a fundraiser runs at most {} days in all",
                limits.max_duration_days
            ),
            vec![IssueArg::MaxDays {
                days: limits.max_duration_days,
            }],
        ));
    }
    match total {
        Some(total) if issues.is_empty() => Ok(total),
        _ => Err(issues),
    }
}

/// True if `text` holds a card number: 13–19 digits passing Luhn, in any script's digits
/// (`４１１１…`, `٤١١١…`), possibly written in groups separated by one space of any kind, a
/// dash of any kind, a dot, a slash or an underscore.
pub fn contains_card_number(text: &str) -> bool {
    // A "run" is digit groups joined by single separators (`4111 1111-1111 1111`). Every
    // stretch of whole consecutive groups holding 13–19 digits is checked, so a card number
    // followed by more numbers (`4111 1111 1111 1111 03 27`) is still found. A single
    // unbroken run of 20+ digits (an order number) is not searched digit by digit: that
    // would flag one long number in ten.
    let mut run: Vec<u8> = Vec::new();
    let mut group_starts: Vec<usize> = Vec::new();
    let mut last_was_sep = false;
    for c in text.chars() {
        if let Some(d) = decimal_digit(c) {
            if run.is_empty() || last_was_sep {
                group_starts.push(run.len());
            }
            run.push(d);
            last_was_sep = false;
        } else if is_card_separator(c) && !run.is_empty() && !last_was_sep {
            last_was_sep = true;
        } else {
            if run_has_card(&run, &group_starts) {
                return true;
            }
            run.clear();
            group_starts.clear();
            last_was_sep = false;
        }
    }
    run_has_card(&run, &group_starts)
}

fn is_card_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '/' | '_' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2212}'
                    | '\u{fe58}'
                    | '\u{fe63}'
                    | '\u{ff0d}'
                    | '\u{ff0e}'
                    | '\u{ff0f}'
                    | '\u{ff3f}'
                    | '\u{00b7}'
                    | '\u{30fb}'
        )
}

/// The value of a decimal digit in any script (Unicode category Nd), whose digits come in
/// runs of ten from zero (a stability guarantee of the standard). The table holds each
/// run's zero.
fn decimal_digit(c: char) -> Option<u8> {
    const ZEROS: [u32; 70] = [
        0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66,
        0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946,
        0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0,
        0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0,
        0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50,
        0x11DA0, 0x11F50, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
        0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950, 0x1FBF0, 0x10D40, 0x116D0,
    ];
    if c.is_ascii() {
        return c.to_digit(10).and_then(|d| u8::try_from(d).ok());
    }
    let cp = u32::from(c);
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&cp))
        .and_then(|zero| u8::try_from(cp - zero).ok())
}

/// Whether whole consecutive groups of `run` (starting at `group_starts`) make a card number.
fn run_has_card(run: &[u8], group_starts: &[usize]) -> bool {
    // Called at every character that ends a run, most often with no digits at all.
    if run.len() < CARD_MIN_DIGITS {
        return false;
    }
    // Group boundaries: where each group starts, and where the run ends.
    let bounds: Vec<usize> = group_starts.iter().copied().chain([run.len()]).collect();
    for (i, &start) in group_starts.iter().enumerate() {
        for &end in bounds.iter().skip(i + 1) {
            let len = end.saturating_sub(start);
            if len > CARD_MAX_DIGITS {
                break;
            }
            if len >= CARD_MIN_DIGITS && run.get(start..end).is_some_and(luhn) {
                return true;
            }
        }
    }
    false
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn issue(field: &str, code: IssueCode, message: &str) -> ValidationIssue {
    issue_with(field, code, message, Vec::new())
}

fn issue_with(field: &str, code: IssueCode, message: &str, args: Vec<IssueArg>) -> ValidationIssue {
    ValidationIssue {
        field: field.to_owned(),
        code,
        message: message.to_owned(),
        args,
    }
}

/// Length in user-perceived characters and in bytes, text empty to the eye, control and
/// bidirectional characters, and card numbers.
///
/// Line breaks (`\n`, `\r`, `\r\n`, U+2028, U+2029) are allowed only where `multiline`
/// (story, message). Every other control character (Unicode category Cc) is refused in
/// every field, tabs included: the rules allow line breaks only, and a tab in a title or a
/// story renders differently on every platform. Format characters such as the zero-width
/// joiner are not controls: emoji families need them. But text made only of invisible
/// characters is empty to the eye (Required), and the bidirectional embeddings, overrides
/// and isolates (U+202A–U+202E, U+2066–U+2069) are refused: they reorder what a reader sees
/// (a "Trojan Source" title). The directional marks LRM, RLM and ALM only nudge neutral
/// characters and are needed in right-to-left text, so they stay allowed.
///
/// Bytes count too: one user-perceived character may take at most `MAX_GRAPHEME_BYTES`
/// (the longest emoji sequences, a family with skin tones, take about 41), so one letter
/// with thousands of combining marks is refused, and no text field can exceed
/// `MAX_GRAPHEME_BYTES` times its character limit (a message: 280 x 64 = 17,920 bytes).
fn check_text(
    issues: &mut Vec<ValidationIssue>,
    field: &str,
    text: &str,
    required: bool,
    max_chars: u32,
    multiline: bool,
) {
    let text = text.trim();
    if !text.chars().any(is_visible) {
        if required {
            issues.push(issue(
                field,
                IssueCode::Required,
                &format!("{field} is required"),
            ));
        }
        return;
    }
    let mut count = 0usize;
    let mut overloaded = false;
    for g in text.graphemes(true) {
        count += 1;
        overloaded |= g.len() > MAX_GRAPHEME_BYTES;
    }
    let max_bytes = (max_chars as usize).saturating_mul(MAX_GRAPHEME_BYTES);
    if count > max_chars as usize || text.len() > max_bytes {
        issues.push(issue_with(
            field,
            IssueCode::TooLong,
            &format!("{field} is limited to {max_chars} characters"),
            vec![IssueArg::MaxChars { count: max_chars }],
        ));
    } else if overloaded {
        issues.push(issue_with(
            field,
            IssueCode::TooLong,
            &format!("{field} has a character with too many marks stacked on it"),
            vec![IssueArg::MaxChars { count: max_chars }],
        ));
    }
    let bad_control = text.chars().any(|c| {
        let line_break = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
        if line_break {
            !multiline
        } else {
            c.is_control()
        }
    });
    if bad_control {
        issues.push(issue(
            field,
            IssueCode::ControlCharacter,
            &format!("{field} contains a control character"),
        ));
    }
    if text.chars().any(is_bidi_control) {
        issues.push(issue(
            field,
            IssueCode::BidiControl,
            &format!("{field} contains characters that change the reading order"),
        ));
    }
    if contains_card_number(text) {
        issues.push(issue(
            field,
            IssueCode::CardNumber,
            &format!("{field} looks like it contains a card number; never share one"),
        ));
    }
}

/// Embeddings, overrides and isolates: they change the order text is displayed in.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Does `c` show anything? Whitespace, format characters (category Cf: zero-width space and
/// joiners, the BOM, soft hyphen, bidi controls, tags, ...), variation selectors, the
/// combining grapheme joiner, and the characters that render as blanks (Hangul fillers,
/// the braille blank) do not.
fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{0600}'..='\u{0605}'
                | '\u{06dd}'
                | '\u{070f}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08e2}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
                | '\u{e0100}'..='\u{e01ef}'
        ))
}

fn check_id(issues: &mut Vec<ValidationIssue>, field: &str, id: &str) {
    let id = id.trim();
    if id.is_empty() {
        issues.push(issue(
            field,
            IssueCode::Required,
            &format!("{field} is required"),
        ));
    } else if id.len() > MAX_ID_LEN
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        issues.push(issue(
            field,
            IssueCode::InvalidId,
            &format!("{field} is not a valid id"),
        ));
    } else if contains_card_number(id) {
        issues.push(issue(
            field,
            IssueCode::CardNumber,
            &format!("{field} looks like a card number"),
        ));
    }
}

/// `amount` between `min_major` and `max_major` whole units of its currency, inclusive.
fn check_range(
    issues: &mut Vec<ValidationIssue>,
    field: &str,
    amount: &Money,
    min_major: i64,
    max_major: i64,
) {
    let (Ok(min), Ok(max)) = (
        Money::from_major(min_major, &amount.currency),
        Money::from_major(max_major, &amount.currency),
    ) else {
        issues.push(issue(
            field,
            IssueCode::UnknownCurrency,
            "the currency is not known",
        ));
        return;
    };
    if amount.minor_units < min.minor_units {
        issues.push(issue_with(
            field,
            IssueCode::BelowMinimum,
            &format!("the minimum is {min_major} {}", amount.currency),
            vec![IssueArg::Minimum { amount: min }],
        ));
    } else if amount.minor_units > max.minor_units {
        issues.push(issue_with(
            field,
            IssueCode::AboveMaximum,
            &format!("the maximum is {max_major} {}", amount.currency),
            vec![IssueArg::Maximum { amount: max }],
        ));
    }
}

#[cfg(test)]
mod tests;
