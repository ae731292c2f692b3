//! The simulated payment step: test tokens from the platform's payment sheet decide the
//! outcome, so every branch can be reached from a test or the demo.

use fundkit::wire::ItemOutcome;

use crate::store::Charge;

/// `tok_ok` (and `tok_ok_*`) charge; `tok_declined`, `tok_expired` are refused;
/// `tok_needs_action` asks the donor to authenticate on the bank's page (the reference
/// server serves it: `POST /v1/bank/{challenge}`); anything else is not a token.
pub fn charge(token: &str) -> Charge {
    let refuse = |code| Charge {
        outcome: ItemOutcome::Rejected,
        code: Some(String::from(code)),
        challenge: None,
    };
    match token {
        t if t == "tok_ok" || t.starts_with("tok_ok_") => Charge {
            outcome: ItemOutcome::Accepted,
            code: None,
            challenge: None,
        },
        "tok_declined" => refuse("declined"),
        "tok_expired" => refuse("payment_expired"),
        "tok_needs_action" => Charge {
            outcome: ItemOutcome::NeedsAction,
            code: Some("authentication_required".into()),
            challenge: Some(format!("{:032x}", rand::random::<u128>())),
        },
        _ => refuse("invalid_payment_token"),
    }
}
