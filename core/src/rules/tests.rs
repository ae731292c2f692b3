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
    }
}

fn codes(issues: &[ValidationIssue]) -> Vec<(&str, IssueCode)> {
    issues.iter().map(|i| (i.field.as_str(), i.code)).collect()
}

const L: fn() -> Limits = Limits::default;

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
        vec![("country", IssueCode::Required)]
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
