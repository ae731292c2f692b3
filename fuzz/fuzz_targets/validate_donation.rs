//! Donation requests from anywhere: validation never panics, is deterministic, judges the
//! normalised request, and names only real fields.
#![no_main]

use arbitrary::Arbitrary;
use fundkit::model::{DonationRequest, Visibility};
use fundkit::rules::{normalize_donation, validate_donation, Limits};
use fundkit::Money;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    fundraiser_id: String,
    amount: i64,
    currency: String,
    fundraiser_currency: u8,
    message: Option<String>,
    visibility: u8,
    hide_amount: bool,
    payment_token: String,
}

const FIELDS: [&str; 4] = ["fundraiser_id", "amount", "message", "payment_token"];

fuzz_target!(|i: Input| {
    let request = DonationRequest {
        fundraiser_id: i.fundraiser_id,
        amount: Money { minor_units: i.amount, currency: i.currency },
        message: i.message,
        visibility: [Visibility::Public, Visibility::HiddenFromPublic, Visibility::Anonymous]
            [usize::from(i.visibility) % 3],
        hide_amount: i.hide_amount,
        payment_token: i.payment_token,
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    };
    let currency = ["USD", "GBP", "EUR", "JPY", "BHD"][usize::from(i.fundraiser_currency) % 5];
    let limits = Limits::default();
    let issues = validate_donation(&request, currency, &limits);
    assert_eq!(issues, validate_donation(&request, currency, &limits), "deterministic");
    let normal = normalize_donation(&request);
    assert_eq!(normalize_donation(&normal), normal, "normalising twice is normalising once");
    assert_eq!(validate_donation(&normal, currency, &limits), issues);
    for issue in &issues {
        assert!(FIELDS.contains(&issue.field.as_str()), "unknown field {}", issue.field);
    }
});
