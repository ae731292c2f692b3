//! The simulated payment step: test tokens from the platform's payment sheet decide the
//! outcome, so every branch can be reached from a test or the demo.

use fundkit::wire::ItemOutcome;

pub struct Charge {
    pub outcome: ItemOutcome,
    pub code: Option<&'static str>,
    pub action_url: Option<String>,
}

/// `tok_ok` (and `tok_ok_*`) charge; `tok_declined`, `tok_expired` are refused;
/// `tok_needs_action` asks the donor to authenticate; anything else is not a token.
pub fn charge(token: &str, donation_id: &str) -> Charge {
    let refuse = |code| Charge {
        outcome: ItemOutcome::Rejected,
        code: Some(code),
        action_url: None,
    };
    match token {
        "tok_ok" => Charge {
            outcome: ItemOutcome::Accepted,
            code: None,
            action_url: None,
        },
        t if t.starts_with("tok_ok_") => Charge {
            outcome: ItemOutcome::Accepted,
            code: None,
            action_url: None,
        },
        "tok_declined" => refuse("declined"),
        "tok_expired" => refuse("payment_expired"),
        "tok_needs_action" => Charge {
            outcome: ItemOutcome::NeedsAction,
            code: Some("authentication_required"),
            action_url: Some(format!(
                "https://pay.example.invalid/authenticate/{donation_id}"
            )),
        },
        _ => refuse("invalid_payment_token"),
    }
}
