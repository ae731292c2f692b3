//! Gift Aid (UK): who may add it, what the declaration holds, and what it adds
//! (docs/gift-aid.md). Pure, shared by the device and the server.
//!
//! A UK charity reclaims basic-rate income tax on a gift from a UK taxpayer who makes a
//! declaration: 25p on every £1 given (20% basic rate: the gift is the 80% left after tax,
//! and 20/80 = 25%). FundKit offers it only on a nonprofit fundraiser in GB whose charity
//! registration number is on the fundraiser, in pounds, to a donor who says they live in
//! the UK; never on a personal cause or a business project, and never on fees.

use serde::{Deserialize, Serialize};

use super::{check_text, issue, issue_with, IssueArg, IssueCode, ValidationIssue};
use crate::model::{Charity, Fundraiser, FundraiserKind, GiftAidDeclaration};
use crate::money::Money;

/// The version of the declaration's wording this build shows. The wording itself is the
/// app's (its string resources, translated by the app like every other word); this names
/// the text the donor saw and is recorded with the declaration. A new wording gets a new
/// version, and the server accepts only the versions it lists.
pub const GIFT_AID_WORDING_VERSION: &str = "uk-2026-12";

/// Every wording version the server accepts (the current one first).
pub const GIFT_AID_WORDING_VERSIONS: [&str; 1] = [GIFT_AID_WORDING_VERSION];

/// Can a donation to this fundraiser carry Gift Aid, and if not why not: a fact for the
/// app to show (or to hide the Gift Aid box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum GiftAidAvailability {
    Available,
    /// A personal cause or a business project: Gift Aid is for charities only.
    NotANonprofit,
    /// The fundraiser is not in Great Britain / the UK (`GB`).
    NotInUk,
    /// The fundraiser carries no charity registration number.
    CharityNotRegistered,
}

/// Whether a donation to `fundraiser` may carry Gift Aid.
pub fn gift_aid_availability(fundraiser: &Fundraiser) -> GiftAidAvailability {
    if !matches!(fundraiser.kind, FundraiserKind::Nonprofit { .. }) {
        GiftAidAvailability::NotANonprofit
    } else if !fundraiser.country.eq_ignore_ascii_case("GB")
        || !fundraiser.goal.currency.eq_ignore_ascii_case("GBP")
    {
        GiftAidAvailability::NotInUk
    } else if fundraiser.charity.is_none() {
        GiftAidAvailability::CharityNotRegistered
    } else {
        GiftAidAvailability::Available
    }
}

/// What Gift Aid adds to a gift of `amount`: 25% of it, rounded *down* to a penny, so the
/// donor is never shown more than the charity can claim (£10.01 -> £2.50, not £2.5025).
/// `amount` is the donation alone: fees the donor covers are not a gift.
pub fn gift_aid_on(amount: &Money) -> Money {
    Money {
        minor_units: amount.minor_units.max(0) / 4,
        currency: amount.currency.clone(),
    }
}

/// `input` without whitespace, ASCII letters upper-cased: how postcodes and registration
/// numbers are compared, however they were typed.
fn compact_upper(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A UK postcode in its one spelling (upper case, one space before the last three
/// characters: `SW1A 1AA`), or `None` if it does not have a postcode's shape. Shapes:
/// outward code `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`, then inward code `9AA` (the
/// inward letters never C, I, K, M, O or V), and `GIR 0AA`. The shape only: whether the
/// postcode exists is Royal Mail's list, which FundKit does not ship.
pub fn normalize_postcode(input: &str) -> Option<String> {
    let compact = compact_upper(input);
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let spelled = format!("{outward} {inward}");
    if spelled == "GIR 0AA" {
        return Some(spelled);
    }
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit()
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c))
    };
    let shape: String = outward
        .bytes()
        .map(|c| if c.is_ascii_digit() { '9' } else { 'A' })
        .collect();
    let outward_ok = ["A9", "A99", "AA9", "AA99", "A9A", "AA9A"].contains(&shape.as_str())
        && outward.bytes().all(|c| c.is_ascii_alphanumeric());
    (inward_ok && outward_ok).then_some(spelled)
}

/// A UK charity registration number in its one spelling, or `None`: England and Wales
/// (the Charity Commission: 6 or 7 digits, `1234567`), Scotland (OSCR: `SC` and 6 digits)
/// or Northern Ireland (the Charity Commission for NI: `NIC` and 6 digits; written
/// `NIC100000` or `100000`-style with the prefix). Spaces are ignored, letters upper-cased.
pub fn normalize_charity_number(input: &str) -> Option<String> {
    let compact = compact_upper(input);
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = if let Some(rest) = compact.strip_prefix("SC") {
        digits(rest, 6..=6)
    } else if let Some(rest) = compact.strip_prefix("NIC") {
        digits(rest, 6..=6)
    } else {
        digits(&compact, 6..=7)
    };
    ok.then_some(compact)
}

/// The charity of a draft or a review: only on a nonprofit in GB, with a name and a
/// registration number of a UK regulator's shape.
pub fn validate_charity(
    charity: &Charity,
    kind: &FundraiserKind,
    country: &str,
) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    if !matches!(kind, FundraiserKind::Nonprofit { .. })
        || !country.trim().eq_ignore_ascii_case("GB")
    {
        issues.push(issue(
            "charity",
            IssueCode::GiftAidNotAvailable,
            "a registered charity goes with a nonprofit fundraiser in the UK only",
        ));
    }
    check_text(&mut issues, "charity_name", &charity.name, true, 120, false);
    if normalize_charity_number(&charity.number).is_none() {
        issues.push(issue(
            "charity_number",
            IssueCode::InvalidCharityNumber,
            "not a charity number of England and Wales (6-7 digits), Scotland (SC + 6) or Northern Ireland (NIC + 6)",
        ));
    }
    issues
}

/// The charity with its texts trimmed and its number in its one spelling (when valid).
pub fn normalize_charity(charity: &Charity) -> Charity {
    Charity {
        name: charity.name.trim().to_owned(),
        number: normalize_charity_number(&charity.number)
            .unwrap_or_else(|| charity.number.trim().to_owned()),
    }
}

/// The declaration with its texts trimmed and its postcode in its one spelling (when valid).
pub fn normalize_declaration(d: &GiftAidDeclaration) -> GiftAidDeclaration {
    GiftAidDeclaration {
        first_name: d.first_name.trim().to_owned(),
        last_name: d.last_name.trim().to_owned(),
        house: d.house.trim().to_owned(),
        postcode: normalize_postcode(&d.postcode).unwrap_or_else(|| d.postcode.trim().to_owned()),
        ..d.clone()
    }
}

/// Every issue of a Gift Aid declaration, field by field (`gift_aid.first_name`, ...), so a
/// form can mark them all at once. HMRC's limits: names 35 characters, house 40.
pub fn validate_declaration(d: &GiftAidDeclaration) -> Vec<ValidationIssue> {
    let d = normalize_declaration(d);
    let mut issues = Vec::new();
    check_text(
        &mut issues,
        "gift_aid.first_name",
        &d.first_name,
        true,
        35,
        false,
    );
    check_text(
        &mut issues,
        "gift_aid.last_name",
        &d.last_name,
        true,
        35,
        false,
    );
    check_text(&mut issues, "gift_aid.house", &d.house, true, 40, false);
    if d.postcode.is_empty() {
        issues.push(issue(
            "gift_aid.postcode",
            IssueCode::Required,
            "a UK postcode is required",
        ));
    } else if normalize_postcode(&d.postcode).is_none() {
        issues.push(issue(
            "gift_aid.postcode",
            IssueCode::InvalidPostcode,
            "not a UK postcode",
        ));
    }
    for (field, given, what) in [
        (
            "gift_aid.lives_in_uk",
            d.lives_in_uk,
            "the donor lives in the UK",
        ),
        (
            "gift_aid.uk_taxpayer",
            d.uk_taxpayer,
            "the donor is a UK taxpayer who pays at least the tax the charity reclaims",
        ),
        (
            "gift_aid.consent",
            d.consent,
            "the donor asks the charity to claim Gift Aid",
        ),
    ] {
        if !given {
            issues.push(issue(
                field,
                IssueCode::NotDeclared,
                &format!("the declaration needs: {what}"),
            ));
        }
    }
    if !GIFT_AID_WORDING_VERSIONS.contains(&d.wording_version.as_str()) {
        issues.push(issue_with(
            "gift_aid.wording_version",
            IssueCode::UnknownWording,
            "the declaration's wording is not one this service accepts",
            vec![IssueArg::Version {
                version: GIFT_AID_WORDING_VERSION.to_owned(),
            }],
        ));
    }
    issues
}

/// Every issue of Gift Aid on a donation to `fundraiser` (none without a declaration).
pub fn validate_gift_aid(
    declaration: Option<&GiftAidDeclaration>,
    fundraiser: &Fundraiser,
) -> Vec<ValidationIssue> {
    let Some(declaration) = declaration else {
        return Vec::new();
    };
    let availability = gift_aid_availability(fundraiser);
    if availability != GiftAidAvailability::Available {
        return vec![issue_with(
            "gift_aid",
            IssueCode::GiftAidNotAvailable,
            "Gift Aid goes with donations to a registered UK charity only",
            vec![IssueArg::GiftAid { availability }],
        )];
    }
    validate_declaration(declaration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_of_every_shape_and_spelling() {
        for (input, want) in [
            ("SW1A 1AA", "SW1A 1AA"),
            ("sw1a1aa", "SW1A 1AA"),
            (" m1  1ae ", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("BT1 5GS", "BT1 5GS"),
            ("gir0aa", "GIR 0AA"),
        ] {
            assert_eq!(normalize_postcode(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "SW1A",
            "1AA",
            "SW1A 1AAA",
            "SW1A 1CA", // C is never an inward letter
            "SW1A 1IA",
            "SW1A AAA",
            "1W1A 1AA",
            "SWW1 1AA",
            "D02 X285", // an Irish Eircode
            "90210",
            "SW1A-1AA",
            "ＳＷ1Ａ 1ＡＡ",
        ] {
            assert_eq!(normalize_postcode(bad), None, "{bad}");
        }
    }

    #[test]
    fn charity_numbers_of_the_three_regulators() {
        for (input, want) in [
            ("1234567", "1234567"),
            ("202918", "202918"),
            ("sc 012345", "SC012345"),
            ("NIC100002", "NIC100002"),
        ] {
            assert_eq!(
                normalize_charity_number(input).as_deref(),
                Some(want),
                "{input}"
            );
        }
        for bad in [
            "",
            "12345",
            "12345678",
            "SC12345",
            "SC1234567",
            "NI100002",
            "CHY 12345",
            "abc1234",
        ] {
            assert_eq!(normalize_charity_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn gift_aid_only_on_a_registered_charity_in_the_uk() {
        use crate::model::{Beneficiary, FundraiserState};
        let base = Fundraiser {
            id: "fr_1".into(),
            organiser_id: "o".into(),
            organiser_name: "O".into(),
            kind: FundraiserKind::Nonprofit {
                nonprofit_id: "npo".into(),
            },
            category: crate::model::Category::Community,
            title: "t".into(),
            story: "s".into(),
            goal: Money::new(100_000, "GBP").unwrap(),
            country: "GB".into(),
            state: FundraiserState::Active,
            confirmed_total: Money::new(0, "GBP").unwrap(),
            donation_count: 0,
            duration_days: 30,
            created_at_ms: 0,
            ends_at_ms: 1,
            updated_at_ms: 0,
            removal_reason: None,
            viewer_is_organiser: false,
            charity: Some(Charity {
                name: "Hospice".into(),
                number: "1234567".into(),
            }),
            organiser_stats: None,
        };
        use GiftAidAvailability::*;
        assert_eq!(gift_aid_availability(&base), Available);
        for (f, want) in [
            (
                Fundraiser {
                    kind: FundraiserKind::PersonalCause {
                        beneficiary: Beneficiary::Myself,
                    },
                    ..base.clone()
                },
                NotANonprofit,
            ),
            (
                Fundraiser {
                    kind: FundraiserKind::BusinessProject,
                    ..base.clone()
                },
                NotANonprofit,
            ),
            (
                Fundraiser {
                    country: "IE".into(),
                    goal: Money::new(100_000, "EUR").unwrap(),
                    ..base.clone()
                },
                NotInUk,
            ),
            (
                Fundraiser {
                    charity: None,
                    ..base.clone()
                },
                CharityNotRegistered,
            ),
        ] {
            assert_eq!(gift_aid_availability(&f), want);
            let issues = validate_gift_aid(
                Some(&GiftAidDeclaration {
                    first_name: "A".into(),
                    last_name: "B".into(),
                    house: "1".into(),
                    postcode: "M1 1AE".into(),
                    lives_in_uk: true,
                    uk_taxpayer: true,
                    consent: true,
                    wording_version: GIFT_AID_WORDING_VERSION.into(),
                }),
                &f,
            );
            assert_eq!(issues.len(), 1);
            assert_eq!(issues[0].code, IssueCode::GiftAidNotAvailable);
            assert_eq!(
                issues[0].args,
                vec![IssueArg::GiftAid { availability: want }]
            );
        }
    }

    #[test]
    fn gift_aid_adds_a_quarter_rounded_down_to_a_penny() {
        for (given, added) in [
            (1_000, 250),
            (1_001, 250),
            (1_003, 250),
            (1_004, 251),
            (1, 0),
            (3, 0),
            (4, 1),
            (0, 0),
        ] {
            let m = gift_aid_on(&Money::new(given, "GBP").unwrap());
            assert_eq!(m.minor_units, added, "{given}");
            assert_eq!(m.currency, "GBP");
        }
    }
}
