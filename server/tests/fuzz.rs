//! The server's request decoders under random input, over real HTTP: whatever the body,
//! the answer is JSON with a 2xx or 4xx status, never a 5xx, and the server stays up.
//! Seeded by proptest (failures are saved and replayed); `PROPTEST_CASES=20000` runs longer.

use proptest::prelude::*;
use serde_json::{json, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("tok_ok".to_owned()),
            Just("USD".to_owned()),
            Just("public".to_owned()),
            ".{0,16}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("donations".to_owned()),
                    Just("id".to_owned()),
                    Just("amount".to_owned()),
                    Just("minor_units".to_owned()),
                    Just("currency".to_owned()),
                    Just("fundraiser_id".to_owned()),
                    Just("payment_token".to_owned()),
                    Just("visibility".to_owned()),
                    Just("hide_amount".to_owned()),
                    Just("kind".to_owned()),
                    Just("title".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Mostly well-formed donation items with hostile field values, so decoding succeeds and
/// the rules, the payment step and the SQL see the garbage.
fn donation_item() -> impl Strategy<Value = Value> {
    (
        "[0-9a-f-]{0,40}",
        ".{0,20}",
        any::<i64>(),
        "[A-Z]{0,4}",
        proptest::option::of(".{0,300}"),
        prop_oneof![
            Just("public"),
            Just("anonymous"),
            Just("hidden_from_public")
        ],
        any::<bool>(),
        ".{0,20}",
    )
        .prop_map(|(id, fr, minor, cur, msg, vis, hide, tok)| {
            json!({"id": id, "fundraiser_id": fr, "amount": {"minor_units": minor, "currency": cur},
                   "message": msg, "visibility": vis, "hide_amount": hide, "payment_token": tok})
        })
}

fn check(
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    url: &str,
    path: &str,
    body: Vec<u8>,
) {
    let resp = rt.block_on(async {
        let r = client
            .post(format!("{url}{path}"))
            .bearer_auth("dev-organiser")
            .header("content-type", "application/json")
            .header("Idempotency-Key", "fuzz")
            .body(body)
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        let text = r.text().await.expect("a body");
        (status, text)
    });
    assert!(!resp.0.is_server_error(), "{path}: {} {}", resp.0, resp.1);
    assert!(
        serde_json::from_str::<Value>(&resp.1).is_ok(),
        "{path}: not JSON: {}",
        resp.1
    );
}

#[test]
fn random_bodies_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(fundkit_server::start(fundkit_server::ServerOptions {
            auto_approve: true,
            database: fundkit_server::Database::for_test(),
            ..Default::default()
        }))
        .unwrap();
    let url = server.url();
    let client = reqwest::Client::new();
    let config = ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    };
    proptest!(config, |(value in json_value())| {
        let bytes = value.to_string().into_bytes();
        check(&rt, &client, &url, "/v1/donations/batch", bytes.clone());
        check(&rt, &client, &url, "/v1/fundraisers", bytes);
    });
    proptest!(config, |(items in prop::collection::vec(donation_item(), 1..8))| {
        check(&rt, &client, &url, "/v1/donations/batch", json!({"donations": items}).to_string().into_bytes());
    });
    proptest!(config, |(bytes in prop::collection::vec(any::<u8>(), 0..300))| {
        check(&rt, &client, &url, "/v1/donations/batch", bytes);
    });
    rt.block_on(server.shutdown());
}
