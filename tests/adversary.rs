//! A hostile device for the soaks: signed in as a real user, it talks to the server
//! directly (no FundKit client) and tries every way a client once had to create money,
//! hijack or spoil another donor's donation, or make the server keep what it refused:
//! - replays other donors' public ids (from `GET /v1/fundraisers/{id}/donations`) with a
//!   declining token and any amount, and reconciles them;
//! - respells those ids (upper case, `{braced}`, `urn:uuid:`, no hyphens);
//! - reuses ids of other donors' donations waiting for the bank's step (leaked ids);
//! - floods refused items: card numbers in messages, ids that are no UUID at any length,
//!   odd currencies.
//!
//! Every answer must refuse it, item by item, and never with a 5xx. The soak then checks
//! that no money was created (`RunningServer::ledger_mismatches`) and that every honest
//! donation ended as its token implies.

use rand::Rng;
use serde_json::{json, Value};

/// The attacker (`dev-organiser-gb`: signed in, of age, in a launch country).
pub const TOKEN: &str = "dev-organiser-gb";

#[derive(Debug, Default)]
pub struct Adversary {
    http: reqwest::Client,
    /// Requests sent.
    pub requests: u64,
    /// Items sent that named another donor's id (each answered `id_in_use`).
    pub hijacks: u64,
    /// Items sent that had to be refused for their content.
    pub refused: u64,
}

impl Adversary {
    pub fn new() -> Adversary {
        Adversary::default()
    }

    /// One round against fundraiser `f` on the server at `url`: `leaked` are ids of other
    /// donors' donations the server already holds (e.g. waiting for the bank's step).
    pub async fn round(&mut self, url: &str, f: &str, leaked: &[String], rng: &mut impl Rng) {
        let public: Vec<String> = match self
            .get(url, &format!("/v1/fundraisers/{f}/donations"))
            .await
        {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|d| d["id"].as_str().map(str::to_owned))
                .take(20)
                .collect(),
            _ => Vec::new(),
        };
        let mut targets: Vec<String> = public.into_iter().chain(leaked.iter().cloned()).collect();
        targets.truncate(30);
        if !targets.is_empty() {
            let items: Vec<Value> = targets
                .iter()
                .map(|id| {
                    let id = respell(id, rng.random_range(0..5));
                    let token =
                        ["tok_declined", "tok_ok", "tok_needs_action"][rng.random_range(0..3)];
                    item(&id, f, rng.random_range(1..1_000_000), token, None)
                })
                .collect();
            let n = items.len();
            if let Some(body) = self
                .post(url, "/v1/donations/batch", json!({"donations": items}))
                .await
            {
                for r in body["results"].as_array().expect("a batch answer") {
                    assert_eq!(
                        (r["outcome"].as_str(), r["code"].as_str()),
                        (Some("conflict"), Some("id_in_use")),
                        "another donor's id was not refused: {r}"
                    );
                }
                self.hijacks += n as u64;
            }
            let ids: Vec<String> = targets
                .iter()
                .map(|id| respell(id, rng.random_range(0..5)))
                .collect();
            if let Some(body) = self
                .post(url, "/v1/donations/reconcile", json!({"ids": ids}))
                .await
            {
                for r in body["results"].as_array().expect("a reconcile answer") {
                    assert_eq!(
                        r["code"].as_str(),
                        Some("id_in_use"),
                        "another donor's id was reconciled: {r}"
                    );
                }
            }
        }
        // A flood of items the server must refuse, and keep nothing of.
        // Never a UUID whatever its length (`x` is no hex digit; 32 nines would be one).
        let junk_id = format!("x{}", "9".repeat(rng.random_range(1..20_000)));
        let fresh = || fundkit::new_donation_id();
        let flood = vec![
            item(
                &fresh(),
                f,
                500,
                "tok_ok",
                Some("card 4111 1111 1111 1111 exp 03/29"),
            ),
            item(&junk_id, f, 500, "tok_ok", None),
            item("4111111111111111", f, 500, "tok_ok", None),
            item(&fresh(), f, 500, "tok_ok", Some("\u{202e}reversed")),
            item(&fresh(), f, -5, "tok_ok", None),
            item(&fresh(), "fr_does_not_exist", 500, "tok_ok", None),
        ];
        let n = flood.len();
        if let Some(body) = self
            .post(url, "/v1/donations/batch", json!({"donations": flood}))
            .await
        {
            for r in body["results"].as_array().expect("a batch answer") {
                assert_eq!(r["outcome"], "rejected", "{r}");
                let echoed = r["id"].as_str().unwrap_or("");
                assert!(echoed.chars().count() <= 41, "an unbounded echo");
                // A donation id is answered as it is (its digit groups may look like a
                // card number to the detector); anything else is never echoed as one.
                if fundkit::rules::canonical_donation_id(echoed).is_none() {
                    assert!(
                        !fundkit::rules::contains_card_number(echoed),
                        "a card number echoed: {echoed}"
                    );
                }
            }
            self.refused += n as u64;
        }
    }

    async fn get(&mut self, url: &str, path: &str) -> Option<Value> {
        self.requests += 1;
        let resp = self
            .http
            .get(format!("{url}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        answer(resp).await
    }

    async fn post(&mut self, url: &str, path: &str, body: Value) -> Option<Value> {
        self.requests += 1;
        let resp = self
            .http
            .post(format!("{url}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .ok()?;
        answer(resp).await
    }
}

/// The answer's body if it is a success; `None` when the server was busy or restarting (the
/// soak restarts it), never a 5xx for what the adversary sent.
async fn answer(resp: reqwest::Response) -> Option<Value> {
    let status = resp.status();
    let body: Value = resp.json().await.ok()?;
    assert!(
        status != 500,
        "the server failed on a hostile request: {body}"
    );
    status.is_success().then_some(body)
}

/// One of the spellings the UUID parser accepts for `id`.
fn respell(id: &str, how: u32) -> String {
    match how {
        0 => id.to_owned(),
        1 => id.to_uppercase(),
        2 => format!("{{{id}}}"),
        3 => format!("urn:uuid:{id}"),
        _ => id.replace('-', ""),
    }
}

fn item(id: &str, f: &str, cents: i64, token: &str, message: Option<&str>) -> Value {
    json!({
        "id": id, "fundraiser_id": f, "amount": {"minor_units": cents, "currency": " usd "},
        "message": message, "visibility": "public", "hide_amount": false, "payment_token": token
    })
}
