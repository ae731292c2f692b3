use super::*;
use crate::model::{Beneficiary, Category, Visibility};

fn draft() -> FundraiserDraft {
    FundraiserDraft {
        kind: FundraiserKind::PersonalCause {
            beneficiary: Beneficiary::Myself,
        },
        category: Category::Medical,
        title: "Help Sam walk again".into(),
        story: "Physio after the accident.\nThank you!".into(),
        goal: Money {
            minor_units: 500_000,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    }
}

fn donation(cents: i64) -> DonationRequest {
    DonationRequest {
        fundraiser_id: "fr_123".into(),
        amount: Money {
            minor_units: cents,
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
    }
}

fn codes(issues: &[ValidationIssue]) -> Vec<(&str, IssueCode)> {
    issues.iter().map(|i| (i.field.as_str(), i.code)).collect()
}

const L: fn() -> Limits = Limits::default;

/// The (field, code) pairs a table row expects, in order.
type Expected = &'static [(&'static str, IssueCode)];

#[test]
fn a_good_draft_has_no_issues() {
    assert_eq!(validate_draft(&draft(), &L()), vec![]);
}

#[test]
fn title_counts_graphemes_after_trimming() {
    let family = "👨‍👩‍👧‍👦"; // one user-perceived character, seven code points
    for (title, ok) in [
        ("a".repeat(60), true),
        ("a".repeat(61), false),
        (format!("  {}  ", "a".repeat(60)), true),
        (family.repeat(60), true),
        (family.repeat(61), false),
        ("e\u{301}".repeat(60), true), // e + combining accent is one character
        ("   ".into(), false),
        ("".into(), false),
    ] {
        let mut d = draft();
        d.title = title.clone();
        let issues = validate_draft(&d, &L());
        assert_eq!(issues.is_empty(), ok, "{title:?}: {issues:?}");
    }
    let mut d = draft();
    d.title = " ".into();
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("title", IssueCode::Required)]
    );
    d.title = "a".repeat(61);
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("title", IssueCode::TooLong)]
    );
}

#[test]
fn story_is_1_to_5000_and_may_break_lines() {
    let mut d = draft();
    d.story = "x".repeat(5_000);
    assert!(validate_draft(&d, &L()).is_empty());
    d.story = "x".repeat(5_001);
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("story", IssueCode::TooLong)]
    );
    d.story = "line one\r\nline two\n".into();
    assert!(validate_draft(&d, &L()).is_empty());
    d.story = "bell\u{7}".into();
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("story", IssueCode::ControlCharacter)]
    );
}

#[test]
fn titles_refuse_line_breaks_tabs_and_controls() {
    for bad in ["two\nlines", "tab\there", "nul\0", "esc\u{1b}[31m"] {
        let mut d = draft();
        d.title = bad.into();
        assert_eq!(
            codes(&validate_draft(&d, &L())),
            vec![("title", IssueCode::ControlCharacter)],
            "{bad:?}"
        );
    }
}

#[test]
fn card_numbers_are_found_in_every_form() {
    for text in [
        "4111111111111111",
        "my card 4111 1111 1111 1111 thanks",
        "4111-1111-1111-1111",
        "378282246310005",     // Amex, 15 digits
        "6011111111111117",    // Discover
        "4222222222222",       // 13 digits
        "6304000000000000000", // 19 digits
    ] {
        assert!(contains_card_number(text), "{text}");
    }
    for text in [
        "4111111111111112",     // fails Luhn
        "call 555-123-4567",    // a phone number
        "411111111111",         // 12 digits
        "41111111111111111111", // 20 digits
        "4111  1111 1111 1111", // a double space breaks the number
        "year 2024, 100 people",
        "",
    ] {
        assert!(!contains_card_number(text), "{text}");
    }
}

#[test]
fn card_numbers_are_refused_in_every_text_field() {
    let card = "4111 1111 1111 1111";
    let mut d = draft();
    d.title = format!("pay {card}");
    d.story = format!("send to {card}");
    d.kind = FundraiserKind::Nonprofit {
        nonprofit_id: "4111111111111111".into(),
    };
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![
            ("nonprofit_id", IssueCode::CardNumber),
            ("title", IssueCode::CardNumber),
            ("story", IssueCode::CardNumber)
        ]
    );
    let mut r = donation(1_000);
    r.message = Some(format!("my card is {card}"));
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![("message", IssueCode::CardNumber)]
    );
}

#[test]
fn goal_is_100_to_1_000_000_major_units_in_the_countrys_currency() {
    let cases = [
        (9_999, Some(IssueCode::BelowMinimum)),
        (10_000, None),
        (100_000_000, None),
        (100_000_001, Some(IssueCode::AboveMaximum)),
    ];
    for (cents, want) in cases {
        let mut d = draft();
        d.goal.minor_units = cents;
        let got = validate_draft(&d, &L()).first().map(|i| i.code);
        assert_eq!(got, want, "{cents}");
    }
    let mut d = draft();
    d.country = "GB".into();
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("goal", IssueCode::WrongCurrencyForCountry)]
    );
    d.goal.currency = "GBP".into();
    assert!(validate_draft(&d, &L()).is_empty());
    d.country = "IE".into();
    d.goal.currency = "EUR".into();
    assert!(validate_draft(&d, &L()).is_empty());
    d.goal.currency = "ZZZ".into();
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("goal", IssueCode::UnknownCurrency)]
    );
    d.country = "XX".into();
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![
            ("goal", IssueCode::UnknownCurrency),
            ("country", IssueCode::InvalidId)
        ]
    );
    // A zero-decimal currency: 100 JPY is 100 minor units.
    let mut jp = draft();
    jp.country = "JP".into();
    jp.goal = Money {
        minor_units: 100,
        currency: "JPY".into(),
    };
    assert!(validate_draft(&jp, &L()).is_empty());
    jp.goal.minor_units = 99;
    assert_eq!(
        codes(&validate_draft(&jp, &L())),
        vec![("goal", IssueCode::BelowMinimum)]
    );
}

#[test]
fn nonprofits_need_an_id() {
    let mut d = draft();
    d.kind = FundraiserKind::Nonprofit {
        nonprofit_id: "  ".into(),
    };
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("nonprofit_id", IssueCode::Required)]
    );
    d.kind = FundraiserKind::Nonprofit {
        nonprofit_id: "EIN 12/34".into(),
    };
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("nonprofit_id", IssueCode::InvalidId)]
    );
    d.kind = FundraiserKind::Nonprofit {
        nonprofit_id: "npo_ein_12-3456789".into(),
    };
    assert!(validate_draft(&d, &L()).is_empty());
}

#[test]
fn every_issue_is_returned_at_once() {
    let d = FundraiserDraft {
        kind: FundraiserKind::Nonprofit {
            nonprofit_id: "".into(),
        },
        category: Category::Other,
        title: "".into(),
        story: "x".repeat(5_001),
        goal: Money {
            minor_units: 1,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    };
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![
            ("nonprofit_id", IssueCode::Required),
            ("title", IssueCode::Required),
            ("story", IssueCode::TooLong),
            ("goal", IssueCode::BelowMinimum),
        ]
    );
    assert!(validate_draft(&d, &L())
        .iter()
        .all(|i| !i.message.is_empty()));
}

#[test]
fn donation_amount_is_1_to_10_000_in_the_fundraisers_currency() {
    for (cents, want) in [
        (99, Some(IssueCode::BelowMinimum)),
        (100, None),
        (1_000_000, None),
        (1_000_001, Some(IssueCode::AboveMaximum)),
        (-500, Some(IssueCode::BelowMinimum)),
    ] {
        assert_eq!(
            validate_donation(&donation(cents), "USD", &L())
                .first()
                .map(|i| i.code),
            want,
            "{cents}"
        );
    }
    assert_eq!(
        codes(&validate_donation(&donation(500), "EUR", &L())),
        vec![("amount", IssueCode::CurrencyMismatch)]
    );
    let mut r = donation(500);
    r.amount.currency = "NOPE".into();
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![("amount", IssueCode::UnknownCurrency)]
    );
}

#[test]
fn donation_message_token_and_id() {
    let mut r = donation(500);
    r.message = Some("x".repeat(280));
    assert!(validate_donation(&r, "USD", &L()).is_empty());
    r.message = Some("😀".repeat(281));
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![("message", IssueCode::TooLong)]
    );
    r.message = Some("   ".into());
    assert!(
        validate_donation(&r, "USD", &L()).is_empty(),
        "a blank message is no message"
    );
    assert_eq!(normalize_donation(&r).message, None);
    r.message = Some("Get well\nsoon".into());
    assert!(validate_donation(&r, "USD", &L()).is_empty());
    r.payment_token = "".into();
    r.fundraiser_id = "../../etc".into();
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![
            ("fundraiser_id", IssueCode::InvalidId),
            ("payment_token", IssueCode::Required)
        ]
    );
}

#[test]
fn extensions_go_in_30_day_steps_up_to_90() {
    let l = L();
    assert_eq!(validate_extension(30, 30, &l), Ok(60));
    assert_eq!(validate_extension(30, 60, &l), Ok(90));
    assert_eq!(validate_extension(60, 30, &l), Ok(90));
    for (cur, extra) in [(90, 30), (60, 60), (30, 15), (30, 0), (u32::MAX, 30)] {
        let err = validate_extension(cur, extra, &l).unwrap_err();
        assert_eq!(err[0].code, IssueCode::InvalidDuration, "{cur}+{extra}");
    }
}

#[test]
fn limits_come_from_config_not_constants() {
    let l = Limits {
        title_max_chars: 10,
        donation_max_major: 50,
        ..Limits::default()
    };
    let mut d = draft();
    d.title = "a".repeat(11);
    assert_eq!(
        codes(&validate_draft(&d, &l)),
        vec![("title", IssueCode::TooLong)]
    );
    assert_eq!(
        codes(&validate_donation(&donation(5_001), "USD", &l)),
        vec![("amount", IssueCode::AboveMaximum)]
    );
}

fn usd(cents: i64) -> Money {
    Money {
        minor_units: cents,
        currency: "USD".into(),
    }
}

fn draft_with(f: impl FnOnce(&mut FundraiserDraft)) -> FundraiserDraft {
    let mut d = draft();
    f(&mut d);
    d
}

#[test]
fn title_boundaries_in_user_perceived_characters() {
    use IssueCode::*;
    let family = "👨‍👩‍👧‍👦"; // man ZWJ woman ZWJ girl ZWJ boy: 7 code points, 25 bytes
    let flag = "🇮🇪"; // two regional indicators
    let thumbs = "👍🏽"; // emoji + skin tone modifier
    let cases: Vec<(String, Vec<IssueCode>)> = vec![
        ("a".to_string(), vec![]),
        ("a".repeat(59), vec![]),
        ("a".repeat(60), vec![]),
        ("a".repeat(61), vec![TooLong]),
        (family.repeat(59), vec![]),
        (family.repeat(60), vec![]),
        (family.repeat(61), vec![TooLong]),
        (format!("{}{family}", "a".repeat(59)), vec![]),
        (format!("{}{family}", "a".repeat(60)), vec![TooLong]),
        (flag.repeat(60), vec![]),
        (flag.repeat(61), vec![TooLong]),
        (thumbs.repeat(60), vec![]),
        (thumbs.repeat(61), vec![TooLong]),
        ("é".repeat(61), vec![TooLong]),
        ("e\u{301}".repeat(61), vec![TooLong]),
        // Surrounding whitespace (including line breaks) is trimmed before counting.
        (format!("\n\t {} \r\n", "a".repeat(60)), vec![]),
        (format!("\u{a0}{}\u{3000}", "a".repeat(60)), vec![]),
        ("".into(), vec![Required]),
        (" \t\n ".into(), vec![Required]),
        // Too long and a control character: both reported.
        (
            format!("{}\u{7}", "a".repeat(61)),
            vec![TooLong, ControlCharacter],
        ),
    ];
    for (title, want) in cases {
        let d = draft_with(|d| d.title = title.clone());
        let got: Vec<IssueCode> = validate_draft(&d, &L()).iter().map(|i| i.code).collect();
        assert_eq!(got, want, "title {title:?}");
        assert!(got.is_empty() || validate_draft(&d, &L())[0].field == "title");
    }
}

#[test]
fn story_and_message_boundaries() {
    use IssueCode::*;
    for (story, want) in [
        ("x".repeat(4_999), vec![]),
        ("x".repeat(5_000), vec![]),
        ("x".repeat(5_001), vec![TooLong]),
        ("👨‍👩‍👧".repeat(5_000), vec![]),
        ("👨‍👩‍👧".repeat(5_001), vec![TooLong]),
        ("\r\n".repeat(10), vec![Required]),
        ("x".into(), vec![]),
    ] {
        let d = draft_with(|d| d.story = story.clone());
        let got: Vec<IssueCode> = validate_draft(&d, &L()).iter().map(|i| i.code).collect();
        assert_eq!(got, want, "story of {} chars", story.len());
    }
    for (message, want) in [
        (Some("x".repeat(279)), vec![]),
        (Some("x".repeat(280)), vec![]),
        (Some("x".repeat(281)), vec![TooLong]),
        (Some("🇺🇸".repeat(280)), vec![]),
        (Some("🇺🇸".repeat(281)), vec![TooLong]),
        (Some(format!("  {}  ", "x".repeat(280))), vec![]),
        (Some(" \n ".into()), vec![]),
        (Some("".into()), vec![]),
        (None, vec![]),
    ] {
        let mut r = donation(500);
        r.message = message.clone();
        let got: Vec<IssueCode> = validate_donation(&r, "USD", &L())
            .iter()
            .map(|i| i.code)
            .collect();
        assert_eq!(got, want, "message {message:?}");
    }
}

/// Decision: line breaks (`\n`, `\r`, `\r\n`, U+2028, U+2029) are allowed in the story and
/// the message only; tabs and every other Cc control character are refused everywhere.
#[test]
fn control_characters_per_field() {
    let multiline_ok = ["a\nb", "a\r\nb", "a\rb", "a\u{2028}b", "a\u{2029}b"];
    let refused_everywhere = [
        "a\tb",
        "a\0b",
        "a\u{7}b",
        "a\u{1b}[2Jb",
        "a\u{7f}b",
        "a\u{85}b",
        "a\u{9b}b",
        "a\u{b}b",
        "a\u{c}b",
    ];
    // Not controls: joiners, marks and other format characters used by real text.
    let allowed_everywhere = ["a\u{200d}b", "a\u{301}", "\u{200f}שלום", "a\u{a0}b", "a b"];
    for text in multiline_ok {
        let d = draft_with(|d| {
            d.title = text.into();
            d.story = text.into();
        });
        assert_eq!(
            codes(&validate_draft(&d, &L())),
            vec![("title", IssueCode::ControlCharacter)],
            "{text:?}"
        );
        let mut r = donation(500);
        r.message = Some(text.into());
        assert_eq!(validate_donation(&r, "USD", &L()), vec![], "{text:?}");
    }
    for text in refused_everywhere {
        let d = draft_with(|d| {
            d.title = text.into();
            d.story = text.into();
        });
        assert_eq!(
            codes(&validate_draft(&d, &L())),
            vec![
                ("title", IssueCode::ControlCharacter),
                ("story", IssueCode::ControlCharacter)
            ],
            "{text:?}"
        );
        let mut r = donation(500);
        r.message = Some(text.into());
        assert_eq!(
            codes(&validate_donation(&r, "USD", &L())),
            vec![("message", IssueCode::ControlCharacter)],
            "{text:?}"
        );
    }
    for text in allowed_everywhere {
        let d = draft_with(|d| {
            d.title = text.into();
            d.story = text.into();
        });
        assert_eq!(validate_draft(&d, &L()), vec![], "{text:?}");
    }
}

#[test]
fn card_numbers_luhn_lengths_and_separators() {
    let cases: &[(&str, bool)] = &[
        // 16 digits: Luhn valid vs one digit off.
        ("4111111111111111", true),
        ("4111111111111112", false),
        ("5555555555554444", true),
        ("5555555555554445", false),
        ("4012888888881881", true),
        ("4012888888881882", false),
        // 12 and 20 digits are not card lengths, even when they pass Luhn.
        ("411111111117", false),         // 12 digits, Luhn valid
        ("41111111111111111115", false), // 20 digits, Luhn valid
        // 13 and 19 digits are.
        ("4222222222222", true),
        ("6304000000000000000", true),
        // Separators: single spaces or dashes, in any grouping, mixed.
        ("4111 1111 1111 1111", true),
        ("4111-1111-1111-1111", true),
        ("4111 1111-1111 1111", true),
        ("41 11 11 11 11 11 11 11", true),
        ("3782 822463 10005", true),       // Amex grouping 4-6-5
        ("4111--1111--1111--1111", false), // a doubled separator breaks the number
        ("4111 1111 1111 1112", false),
        // Other separators, and other scripts' digits.
        ("4111.1111.1111.1111", true),
        ("4111/1111/1111/1111", true),
        ("4111_1111_1111_1111", true),
        ("4111\u{a0}1111\u{202f}1111\u{2009}1111", true),
        ("4111\u{2013}1111\u{2014}1111\u{2212}1111", true),
        ("\u{ff14}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}", true), // fullwidth
        ("\u{0664}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0661}", true), // Arabic-Indic
        ("\u{096a}\u{0967}\u{0967}\u{0967}1111\u{1d7cf}\u{1d7cf}\u{1d7cf}\u{1d7cf}1111", true), // mixed scripts
        ("\u{0664}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0661} \u{0661}\u{0661}\u{0661}\u{0662}", false),
        ("31.12.2024", false),
        ("12/05/2024 at 10.30", false),
        // Inside text, next to letters and punctuation.
        ("card:4111111111111111.", true),
        ("(4111 1111 1111 1111)", true),
        ("ref4111111111111111x", true),
        // Followed or preceded by other numbers in the same run.
        ("4111 1111 1111 1111 03 27", true),
        ("card 4111 1111 1111 1111 123", true),
        ("12 4111 1111 1111 1111", true),
        // Not cards: phone numbers, dates, amounts, long references.
        ("call 555-123-4567", false),
        ("+44 20 7946 0958", false),
        ("+1 (555) 123-4567", false),
        ("on 2024-05-01 we raised 1,000", false),
        // One unbroken 23-digit reference is not searched inside (documented choice).
        ("order 41111111111111110000000", false),
        ("", false),
        ("no digits at all", false),
    ];
    for (text, want) in cases {
        assert_eq!(contains_card_number(text), *want, "{text:?}");
    }
}

#[test]
fn card_numbers_are_refused_in_the_nonprofit_and_fundraiser_ids() {
    let d = draft_with(|d| {
        d.kind = FundraiserKind::Nonprofit {
            nonprofit_id: "4111-1111-1111-1111".into(),
        }
    });
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![("nonprofit_id", IssueCode::CardNumber)]
    );
    let mut r = donation(500);
    r.fundraiser_id = "4111111111111111".into();
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![("fundraiser_id", IssueCode::CardNumber)]
    );
    // A 16-digit id failing Luhn is just an id.
    r.fundraiser_id = "4111111111111112".into();
    assert_eq!(validate_donation(&r, "USD", &L()), vec![]);
}

#[test]
fn goal_boundaries_per_currency() {
    use IssueCode::*;
    // (country, currency, minor units, expected)
    let cases: &[(&str, &str, i64, Option<IssueCode>)] = &[
        ("US", "USD", 9_999, Some(BelowMinimum)),       // 99.99
        ("US", "USD", 10_000, None),                    // 100.00
        ("US", "USD", 100_000_000, None),               // 1,000,000.00
        ("US", "USD", 100_000_001, Some(AboveMaximum)), // 1,000,000.01
        ("US", "USD", 0, Some(BelowMinimum)),
        ("US", "USD", -10_000, Some(BelowMinimum)),
        ("US", "USD", i64::MAX, Some(AboveMaximum)),
        ("US", "USD", i64::MIN, Some(BelowMinimum)),
        ("GB", "GBP", 9_999, Some(BelowMinimum)),
        ("GB", "GBP", 10_000, None),
        ("GB", "GBP", 100_000_000, None),
        ("GB", "GBP", 100_000_001, Some(AboveMaximum)),
        ("IE", "EUR", 9_999, Some(BelowMinimum)),
        ("IE", "EUR", 10_000, None),
        ("IE", "EUR", 100_000_000, None),
        ("IE", "EUR", 100_000_001, Some(AboveMaximum)),
        ("JP", "JPY", 99, Some(BelowMinimum)),
        ("JP", "JPY", 100, None),
        ("JP", "JPY", 1_000_000, None),
        ("JP", "JPY", 1_000_001, Some(AboveMaximum)),
        ("BH", "BHD", 99_999, Some(BelowMinimum)), // 99.999
        ("BH", "BHD", 100_000, None),
        ("BH", "BHD", 1_000_000_000, None),
        ("BH", "BHD", 1_000_000_001, Some(AboveMaximum)),
        // Country and currency compared case-insensitively after trimming.
        (" us ", "usd", 10_000, None),
        ("ie", " eur", 10_000, None),
    ];
    for &(country, currency, minor, want) in cases {
        let d = draft_with(|d| {
            d.country = country.into();
            d.goal = Money {
                minor_units: minor,
                currency: currency.into(),
            };
        });
        let got: Vec<_> = validate_draft(&d, &L());
        assert_eq!(
            codes(&got),
            want.map(|c| ("goal", c)).into_iter().collect::<Vec<_>>(),
            "{country} {currency} {minor}"
        );
    }
}

#[test]
fn goal_currency_and_country_issues() {
    use IssueCode::*;
    let cases: &[(&str, &str, i64, Expected)] = &[
        ("US", "EUR", 10_000, &[("goal", WrongCurrencyForCountry)]),
        ("IE", "GBP", 10_000, &[("goal", WrongCurrencyForCountry)]),
        ("GB", "USD", 1, &[("goal", WrongCurrencyForCountry)]),
        ("US", "XAU", 10_000, &[("goal", UnknownCurrency)]),
        ("US", "", 10_000, &[("goal", UnknownCurrency)]),
        ("US", "US", 10_000, &[("goal", UnknownCurrency)]),
        // Unknown country: said so, and the goal is still checked in its own currency.
        ("", "USD", 10_000, &[("country", Required)]),
        ("  ", "USD", 10_000, &[("country", Required)]),
        ("ZZ", "USD", 10_000, &[("country", InvalidId)]),
        ("USA", "USD", 10_000, &[("country", InvalidId)]),
        (
            "UK",
            "GBP",
            1,
            &[("goal", BelowMinimum), ("country", InvalidId)],
        ),
        (
            "ZZ",
            "ZZZ",
            1,
            &[("goal", UnknownCurrency), ("country", InvalidId)],
        ),
    ];
    for &(country, currency, minor, want) in cases {
        let d = draft_with(|d| {
            d.country = country.into();
            d.goal = Money {
                minor_units: minor,
                currency: currency.into(),
            };
        });
        assert_eq!(
            codes(&validate_draft(&d, &L())),
            want.to_vec(),
            "{country:?} {currency:?} {minor}"
        );
    }
}

#[test]
fn donation_boundaries_per_currency() {
    use IssueCode::*;
    let cases: &[(&str, i64, Option<IssueCode>)] = &[
        ("USD", 99, Some(BelowMinimum)),        // 0.99
        ("USD", 100, None),                     // 1.00
        ("USD", 1_000_000, None),               // 10,000.00
        ("USD", 1_000_001, Some(AboveMaximum)), // 10,000.01
        ("USD", 0, Some(BelowMinimum)),
        ("USD", i64::MIN, Some(BelowMinimum)),
        ("USD", i64::MAX, Some(AboveMaximum)),
        ("GBP", 99, Some(BelowMinimum)),
        ("GBP", 100, None),
        ("EUR", 1_000_000, None),
        ("EUR", 1_000_001, Some(AboveMaximum)),
        ("JPY", 0, Some(BelowMinimum)),
        ("JPY", 1, None),
        ("JPY", 10_000, None),
        ("JPY", 10_001, Some(AboveMaximum)),
        ("BHD", 999, Some(BelowMinimum)), // 0.999
        ("BHD", 1_000, None),
        ("BHD", 10_000_000, None),
        ("BHD", 10_000_001, Some(AboveMaximum)),
    ];
    for &(currency, minor, want) in cases {
        let mut r = donation(minor);
        r.amount.currency = currency.into();
        assert_eq!(
            codes(&validate_donation(&r, currency, &L())),
            want.map(|c| ("amount", c)).into_iter().collect::<Vec<_>>(),
            "{currency} {minor}"
        );
    }
    // Same currency compared case-insensitively; a different one is a mismatch even
    // when the amount itself would be out of range.
    let mut r = donation(100);
    r.amount.currency = "usd".into();
    assert_eq!(validate_donation(&r, " USD ", &L()), vec![]);
    let r = donation(1);
    assert_eq!(
        codes(&validate_donation(&r, "GBP", &L())),
        vec![("amount", IssueCode::CurrencyMismatch)]
    );
}

#[test]
fn donation_ids_and_tokens() {
    use IssueCode::*;
    let cases: &[(&str, &str, Expected)] = &[
        ("fr_123", "tok", &[]),
        ("  fr_123  ", " tok ", &[]),
        ("", "tok", &[("fundraiser_id", Required)]),
        ("   ", "tok", &[("fundraiser_id", Required)]),
        ("fr 123", "tok", &[("fundraiser_id", InvalidId)]),
        ("fr\u{0}123", "tok", &[("fundraiser_id", InvalidId)]),
        ("fr/../x", "tok", &[("fundraiser_id", InvalidId)]),
        ("fr_123", "", &[("payment_token", Required)]),
        ("fr_123", "  ", &[("payment_token", Required)]),
        ("fr_123", "tok\n2", &[("payment_token", InvalidId)]),
        (
            "",
            "",
            &[("fundraiser_id", Required), ("payment_token", Required)],
        ),
    ];
    for &(id, token, want) in cases {
        let mut r = donation(500);
        r.fundraiser_id = id.into();
        r.payment_token = token.into();
        assert_eq!(
            codes(&validate_donation(&r, "USD", &L())),
            want.to_vec(),
            "{id:?} {token:?}"
        );
    }
    for (len, ok) in [(1, true), (63, true), (64, true), (65, false)] {
        let mut r = donation(500);
        r.fundraiser_id = "f".repeat(len);
        assert_eq!(validate_donation(&r, "USD", &L()).is_empty(), ok, "{len}");
        let d = draft_with(|d| {
            d.kind = FundraiserKind::Nonprofit {
                nonprofit_id: "n".repeat(len),
            }
        });
        assert_eq!(validate_draft(&d, &L()).is_empty(), ok, "{len}");
    }
}

#[test]
fn a_donation_with_every_problem_lists_them_all() {
    let r = DonationRequest {
        fundraiser_id: "".into(),
        amount: usd(50),
        message: Some(format!("{}\u{7} 4111 1111 1111 1111", "x".repeat(300))),
        visibility: Visibility::Anonymous,
        hide_amount: true,
        payment_token: " ".into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    };
    let issues = validate_donation(&r, "USD", &L());
    assert_eq!(
        codes(&issues),
        vec![
            ("fundraiser_id", IssueCode::Required),
            ("amount", IssueCode::BelowMinimum),
            ("message", IssueCode::TooLong),
            ("message", IssueCode::ControlCharacter),
            ("message", IssueCode::CardNumber),
            ("payment_token", IssueCode::Required),
        ]
    );
    assert!(issues.iter().all(|i| !i.message.trim().is_empty()));
}

#[test]
fn a_draft_with_every_problem_lists_them_all() {
    let d = FundraiserDraft {
        kind: FundraiserKind::Nonprofit {
            nonprofit_id: "bad id!".into(),
        },
        category: Category::Community,
        title: format!("{}\t4111111111111111", "t".repeat(60)),
        story: "".into(),
        goal: Money {
            minor_units: 100_000_001,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    };
    assert_eq!(
        codes(&validate_draft(&d, &L())),
        vec![
            ("nonprofit_id", IssueCode::InvalidId),
            ("title", IssueCode::TooLong),
            ("title", IssueCode::ControlCharacter),
            ("title", IssueCode::CardNumber),
            ("story", IssueCode::Required),
            ("goal", IssueCode::AboveMaximum),
        ]
    );
}

#[test]
fn normalizing_trims_and_uppercases() {
    let d = FundraiserDraft {
        kind: FundraiserKind::Nonprofit {
            nonprofit_id: " npo_1 ".into(),
        },
        category: Category::Faith,
        title: "\n Title \t".into(),
        story: "  Story\nline  ".into(),
        goal: Money {
            minor_units: 10_000,
            currency: " gbp".into(),
        },
        country: "gb ".into(),
        charity: None,
    };
    let n = normalize_draft(&d);
    assert_eq!(n.title, "Title");
    assert_eq!(n.story, "Story\nline");
    assert_eq!(n.goal.currency, "GBP");
    assert_eq!(n.country, "GB");
    assert_eq!(
        n.kind,
        FundraiserKind::Nonprofit {
            nonprofit_id: "npo_1".into()
        }
    );
    assert_eq!(normalize_draft(&n), n, "normalizing twice changes nothing");
    assert_eq!(validate_draft(&d, &L()), vec![]);

    let mut r = donation(500);
    r.fundraiser_id = " fr_1 ".into();
    r.amount.currency = "usd ".into();
    r.message = Some("  hi  ".into());
    r.payment_token = " tok ".into();
    let n = normalize_donation(&r);
    assert_eq!(n.fundraiser_id, "fr_1");
    assert_eq!(n.amount.currency, "USD");
    assert_eq!(n.message.as_deref(), Some("hi"));
    assert_eq!(n.payment_token, "tok");
    assert_eq!(normalize_donation(&n), n);
}

#[test]
fn extension_boundaries() {
    let l = L();
    let cases: &[(u32, u32, Result<u32, usize>)] = &[
        (30, 30, Ok(60)),
        (30, 60, Ok(90)),
        (60, 30, Ok(90)),
        (0, 90, Ok(90)),
        (90, 30, Err(1)),       // over the maximum
        (61, 30, Err(1)),       // 91 days
        (30, 90, Err(1)),       // 120 days
        (30, 0, Err(1)),        // nothing to extend
        (30, 29, Err(1)),       // not a step
        (30, 31, Err(1)),       // not a step
        (60, 45, Err(2)),       // not a step, and over the maximum
        (u32::MAX, 30, Err(1)), // overflow is over the maximum, not a panic
        (u32::MAX, u32::MAX, Err(2)),
    ];
    for &(current, extra, want) in cases {
        let got = validate_extension(current, extra, &l);
        match (want, got) {
            (Ok(total), got) => assert_eq!(got, Ok(total), "{current}+{extra}"),
            (Err(n), Ok(total)) => panic!("{current}+{extra} gave {total}, wanted {n} issues"),
            (Err(n), Err(issues)) => {
                assert_eq!(issues.len(), n, "{current}+{extra}: {issues:?}");
                assert!(issues
                    .iter()
                    .all(|i| i.field == "duration_days" && i.code == IssueCode::InvalidDuration));
            }
        }
    }
    // Steps and maximum come from the limits.
    let weekly = Limits {
        extension_step_days: 7,
        max_duration_days: 44,
        ..Limits::default()
    };
    assert_eq!(validate_extension(30, 14, &weekly), Ok(44));
    assert!(validate_extension(30, 30, &weekly).is_err());
    assert!(validate_extension(30, 21, &weekly).is_err());
    let no_steps = Limits {
        extension_step_days: 0,
        ..Limits::default()
    };
    assert!(validate_extension(30, 30, &no_steps).is_err());
}

proptest::proptest! {
    #[test]
    fn card_search_never_panics_and_finds_planted_cards(
        before in "[0-9a-z -]{0,30}",
        after in "[a-z .]{0,30}",
    ) {
        let _ = contains_card_number(&before);
        // A card number after a letter or a separator break is always found.
        let text = std::format!("{before}x 4111 1111 1111 1111.{after}");
        proptest::prop_assert!(contains_card_number(&text), "{}", text);
    }

    #[test]
    fn title_length_is_judged_in_graphemes(n in 1usize..=120) {
        let d = draft_with(|d| d.title = "👩‍🚀".repeat(n));
        let too_long = validate_draft(&d, &L()).iter().any(|i| i.code == IssueCode::TooLong);
        proptest::prop_assert_eq!(too_long, n > 60);
    }
}

proptest::proptest! {
    #[test]
    fn validation_never_panics(title in ".{0,80}", story in ".{0,200}", cents in proptest::num::i64::ANY, cur in ".{0,5}") {
        let mut d = draft();
        d.title = title.clone();
        d.story = story.clone();
        d.goal = Money { minor_units: cents, currency: cur.clone() };
        let _ = validate_draft(&d, &L());
        let mut r = donation(cents);
        r.message = Some(story);
        r.amount.currency = cur;
        r.fundraiser_id = title;
        let _ = validate_donation(&r, "USD", &L());
    }
}

#[test]
fn luhn_fixtures_are_what_they_claim() {
    let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<u8>>();
    assert!(luhn(&digits("411111111117")));
    assert!(luhn(&digits("41111111111111111115")));
    assert!(luhn(&digits("4111111111111111")));
    assert!(!luhn(&digits("4111111111111112")));
}

/// Text empty to the eye counts as empty; text that reorders itself is refused; emoji
/// sequences that need joiners and selectors still pass.
#[test]
fn invisible_and_reordering_text() {
    let title_codes = |title: &str| {
        let d = draft_with(|d| d.title = title.into());
        validate_draft(&d, &L())
            .into_iter()
            .filter(|i| i.field == "title")
            .map(|i| i.code)
            .collect::<Vec<_>>()
    };
    for empty_to_the_eye in [
        "\u{200b}",
        "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}",
        "\u{00ad}\u{00ad}",
        "\u{3164}\u{115f}\u{1160}\u{ffa0}",
        "\u{2800}\u{2800}",
        " \u{fe0f} \u{034f} ",
        "\u{e0041}\u{e0042}",
        "\u{200e}\u{200f}",
    ] {
        assert_eq!(
            title_codes(empty_to_the_eye),
            vec![IssueCode::Required],
            "{empty_to_the_eye:?}"
        );
    }
    for reordering in [
        "Help \u{202e}dlrow\u{202c} now",
        "\u{2067}Trojan\u{2069}",
        "a\u{202a}b",
        "\u{2066}x",
    ] {
        assert_eq!(
            title_codes(reordering),
            vec![IssueCode::BidiControl],
            "{reordering:?}"
        );
    }
    for fine in [
        "👨\u{200d}👩\u{200d}👧\u{200d}👦 family",
        "🏳\u{fe0f}\u{200d}🌈 pride",
        "🇮🇪 Éire",
        "👍🏽 thanks",
        "\u{05e9}\u{05dc}\u{05d5}\u{05dd} \u{200f}(2024)",
        "ناصر\u{061c}",
        "Zo\u{0308}e",
    ] {
        assert_eq!(title_codes(fine), vec![], "{fine:?}");
    }
}

/// Bytes count as well as characters: one letter with a pile of combining marks is
/// refused, and no text field can grow past its byte cap however it is composed.
#[test]
fn byte_limits_and_stacked_marks() {
    let zalgo = format!("a{}", "\u{0301}".repeat(40));
    assert_eq!(zalgo.graphemes(true).count(), 1);
    let mut r = donation(1_000);
    r.message = Some(zalgo);
    let issues = validate_donation(&r, "USD", &L());
    assert_eq!(codes(&issues), vec![("message", IssueCode::TooLong)]);
    // A few combining marks (Vietnamese, IPA) are fine.
    r.message = Some("Chúc mừng sinh nhật, Nguyễn! ə̃ ṩ".into());
    assert_eq!(validate_donation(&r, "USD", &L()), vec![]);
    // The longest legitimate emoji sequences fit, up to the character limit.
    let family_with_tones = "👩🏽\u{200d}👩🏾\u{200d}👧🏿\u{200d}👦🏻";
    assert!(family_with_tones.len() <= MAX_GRAPHEME_BYTES);
    r.message = Some(family_with_tones.repeat(280));
    assert_eq!(validate_donation(&r, "USD", &L()), vec![]);
    r.message = Some(family_with_tones.repeat(281));
    assert_eq!(
        codes(&validate_donation(&r, "USD", &L())),
        vec![("message", IssueCode::TooLong)]
    );
    // Whatever passes stays within the byte cap of its field.
    assert!(family_with_tones.repeat(280).len() <= 280 * MAX_GRAPHEME_BYTES);
}

proptest::proptest! {
    /// Any Luhn-valid card number of 13–19 digits, written in any script's digits with any
    /// of the separators people use, is found.
    #[test]
    fn card_numbers_in_any_digits_and_separators_are_found(
        body in proptest::collection::vec(0u8..10, 12..19),
        zeros in proptest::collection::vec(proptest::sample::select(vec![0x30u32, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0xff10, 0x1d7ce, 0x1d7f6]), 19),
        seps in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", ".", "/", "_", "\u{a0}", "\u{202f}", "\u{2013}"]), 19),
    ) {
        // Complete the number with its Luhn check digit.
        let mut digits = body.clone();
        let sum: u32 = digits.iter().rev().enumerate().map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 { let x = d * 2; if x > 9 { x - 9 } else { x } } else { d }
        }).sum();
        digits.push(((10 - sum % 10) % 10) as u8);
        let mut text = String::from("my card ");
        for (i, d) in digits.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                text.push_str(seps[i]);
            }
            text.push(char::from_u32(zeros[i] + u32::from(*d)).unwrap());
        }
        text.push_str(" thanks");
        proptest::prop_assert!(contains_card_number(&text), "{text:?}");
    }
}

/// Issues carry the facts an app words itself: limits as money, counts, currencies, days.
#[test]
fn issues_carry_their_facts() {
    let l = L();
    let low = validate_donation(&donation(50), "USD", &l);
    assert_eq!(low[0].code, IssueCode::BelowMinimum);
    assert_eq!(low[0].args, vec![IssueArg::Minimum { amount: usd(100) }]);
    let high = validate_donation(&donation(1_000_001), "USD", &l);
    assert_eq!(
        high[0].args,
        vec![IssueArg::Maximum {
            amount: usd(1_000_000)
        }]
    );
    let other = validate_donation(&donation(500), "eur", &l);
    assert_eq!(
        other[0].args,
        vec![IssueArg::Currency { code: "EUR".into() }]
    );
    let wrong = validate_draft(&draft_with(|d| d.country = "GB".into()), &l);
    assert_eq!(
        wrong[0].args,
        vec![
            IssueArg::Currency { code: "GBP".into() },
            IssueArg::Country { code: "GB".into() }
        ]
    );
    let long = validate_draft(&draft_with(|d| d.title = "x".repeat(61)), &l);
    assert_eq!(long[0].args, vec![IssueArg::MaxChars { count: 60 }]);
    let ext = validate_extension(30, 15, &l).unwrap_err();
    assert_eq!(ext[0].args, vec![IssueArg::StepDays { days: 30 }]);
    let ext = validate_extension(90, 30, &l).unwrap_err();
    assert_eq!(ext[0].args, vec![IssueArg::MaxDays { days: 90 }]);
    // Older servers send no `args`; issues without facts serialise without them.
    let old: ValidationIssue =
        serde_json::from_str(r#"{"field":"title","code":"required","message":"m"}"#).unwrap();
    assert!(old.args.is_empty());
    assert!(!serde_json::to_string(&old).unwrap().contains("args"));
    let json = serde_json::to_value(&low[0]).unwrap();
    assert_eq!(
        json["args"],
        serde_json::json!([{"kind": "minimum", "amount": {"minor_units": 100, "currency": "USD"}}])
    );
}
