//! Fees before paying, Gift Aid and share links on the server (issue 25), over real HTTP on
//! SQLite and, with `FUNDKIT_TEST_POSTGRES`, on PostgreSQL. Every money test ends with the
//! payment provider's ledger check: each fundraiser's total is what was charged for it,
//! less the fees donors covered.

mod support;

use fundkit_server::{Database, ServerOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

async fn no_money_created(api: &Api) {
    assert_eq!(api.server.ledger_mismatches().await, vec![]);
}

fn outcome(body: &Value, k: usize) -> (String, String) {
    let r = &body["results"][k];
    (
        r["outcome"].as_str().unwrap_or("?").to_owned(),
        r["code"].as_str().unwrap_or("").to_owned(),
    )
}

fn accepted() -> (String, String) {
    ("accepted".into(), String::new())
}

fn rejected(code: &str) -> (String, String) {
    ("rejected".into(), code.into())
}

fn with(mut item: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        item[k] = v.clone();
    }
    item
}

fn gbp(id: &str, fundraiser: &str, pence: i64) -> Value {
    with(
        item(id, fundraiser, pence, "tok_ok"),
        json!({"amount": {"minor_units": pence, "currency": "GBP"}}),
    )
}

fn declaration() -> Value {
    json!({
        "first_name": "Ada", "last_name": "Lovelace", "house": "12", "postcode": "sw1a 1aa",
        "lives_in_uk": true, "uk_taxpayer": true, "consent": true,
        "wording_version": fundkit::rules::GIFT_AID_WORDING_VERSION
    })
}

fn charity_draft(charity: Option<Value>) -> Value {
    let mut d = draft("GB", "GBP");
    d["kind"] = json!({"type": "nonprofit", "nonprofit_id": "npo_hospice"});
    d["category"] = json!("community");
    if let Some(c) = charity {
        d["charity"] = c;
    }
    d
}

fn hospice() -> Value {
    json!({"name": "St Hilda's Hospice", "number": "1234567"})
}

async fn get(api: &Api, path: &str, token: &str) -> (StatusCode, Value) {
    api.call(Method::GET, path, token, None).await
}

#[tokio::test]
async fn the_donor_is_charged_what_they_were_shown_or_nothing() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    // The config carries the launch fee model: the US is 2.9% + 30c, no platform fee.
    let (_, config) = get(&api, "/v1/config", "dev-donor-1").await;
    let us = config["fees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["country"] == "US")
        .unwrap();
    assert_eq!(
        (
            us["processing_fee_bps"].as_u64(),
            us["processing_fee_fixed_minor"].as_i64()
        ),
        (Some(290), Some(30))
    );
    let usd = |minor: i64| json!({"minor_units": minor, "currency": "USD"});
    let (_, body) = api
        .batch(
            "dev-donor-1",
            vec![
                // Covers the fee: $25.00 + 73c + 30c.
                with(
                    item(&uuid(1), &f, 2_500, "tok_ok"),
                    json!({"cover_fee": true, "donor_pays": usd(2_603)}),
                ),
                // Does not: pays the amount, the organiser receives $23.97.
                with(
                    item(&uuid(2), &f, 2_500, "tok_ok"),
                    json!({"donor_pays": usd(2_500)}),
                ),
                // An older app says nothing of fees: it pays the amount.
                item(&uuid(3), &f, 1_000, "tok_ok"),
                // Hostile: the fee covered without paying it, or paying less than the gift.
                with(
                    item(&uuid(4), &f, 2_500, "tok_ok"),
                    json!({"cover_fee": true, "donor_pays": usd(2_500)}),
                ),
                with(
                    item(&uuid(5), &f, 2_500, "tok_ok"),
                    json!({"cover_fee": true}),
                ),
                with(
                    item(&uuid(6), &f, 2_500, "tok_ok"),
                    json!({"donor_pays": usd(1)}),
                ),
                with(
                    item(&uuid(7), &f, 2_500, "tok_ok"),
                    json!({"donor_pays": {"minor_units": 2_500, "currency": "EUR"}}),
                ),
                // A quote made before the fees changed (a cent off): refused, nothing charged.
                with(
                    item(&uuid(8), &f, 2_500, "tok_ok"),
                    json!({"cover_fee": true, "donor_pays": usd(2_602)}),
                ),
            ],
        )
        .await;
    let got: Vec<_> = (0..8).map(|k| outcome(&body, k)).collect();
    assert_eq!(
        got,
        vec![
            accepted(),
            accepted(),
            accepted(),
            rejected("fee_changed"),
            rejected("fee_changed"),
            rejected("fee_changed"),
            rejected("fee_changed"),
            rejected("fee_changed"),
        ]
    );
    // The total counts the gifts, never the fees: 25 + 25 + 10.
    assert_eq!(api.total(&f).await, (6_000, 3));
    for k in 4..=8 {
        assert_eq!(api.server.charges_for(&uuid(k)).await, 0, "{k}");
    }
    // The organiser sees what they receive: the fees of the two donations not covered.
    let (_, mine) = get(&api, &format!("/v1/fundraisers/{f}"), "dev-organiser").await;
    let stats = &mine["organiser_stats"];
    assert_eq!(stats["fees"]["minor_units"], 103 + 59);
    assert_eq!(stats["receives"]["minor_units"], 6_000 - 162);
    // Nobody else sees the organiser's figures.
    let (_, theirs) = get(&api, &format!("/v1/fundraisers/{f}"), "dev-donor-1").await;
    assert!(theirs.get("organiser_stats").is_none(), "{theirs}");
    no_money_created(&api).await;
}

#[tokio::test]
async fn the_same_id_with_another_fee_choice_is_another_donation() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let usd = |minor: i64| json!({"minor_units": minor, "currency": "USD"});
    let first = with(
        item(&uuid(1), &f, 2_500, "tok_ok"),
        json!({"cover_fee": true, "donor_pays": usd(2_603)}),
    );
    let (_, body) = api.batch("dev-donor-1", vec![first.clone()]).await;
    assert_eq!(outcome(&body, 0), accepted());
    let (_, again) = api.batch("dev-donor-1", vec![first]).await;
    assert_eq!(outcome(&again, 0), accepted());
    assert_eq!(again["results"][0]["duplicate"], true);
    let (_, other) = api
        .batch("dev-donor-1", vec![item(&uuid(1), &f, 2_500, "tok_ok")])
        .await;
    assert_eq!(
        outcome(&other, 0),
        ("conflict".into(), "idempotency_conflict".into())
    );
    assert_eq!(api.server.charges_for(&uuid(1)).await, 1);
    no_money_created(&api).await;
}

#[tokio::test]
async fn gift_aid_goes_only_with_a_registered_uk_charity_and_a_whole_declaration() {
    let api = Api::start().await;
    let us = api.fundraiser().await;
    let (status, uk) = api
        .create("dev-organiser-gb", "k1", charity_draft(Some(hospice())))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{uk}");
    assert_eq!(uk["charity"]["number"], "1234567");
    let uk = uk["id"].as_str().unwrap().to_owned();
    let mut missing = declaration();
    missing["consent"] = json!(false);
    let mut far = declaration();
    far["postcode"] = json!("D02 X285");
    let mut old = declaration();
    old["wording_version"] = json!("uk-2019");
    let ga = |item: Value, d: Value| with(item, json!({"gift_aid": d}));
    let (_, body) = api
        .batch(
            "dev-donor-1",
            vec![
                ga(gbp(&uuid(1), &uk, 1_000), declaration()),
                ga(item(&uuid(2), &us, 1_000, "tok_ok"), declaration()),
                ga(gbp(&uuid(3), &uk, 1_000), missing),
                ga(gbp(&uuid(4), &uk, 1_000), far),
                ga(gbp(&uuid(5), &uk, 1_000), old),
                gbp(&uuid(6), &uk, 2_000),
            ],
        )
        .await;
    let got: Vec<_> = (0..6).map(|k| outcome(&body, k)).collect();
    assert_eq!(
        got,
        vec![
            accepted(),
            rejected("gift_aid_not_available"),
            rejected("not_declared"),
            rejected("invalid_postcode"),
            rejected("unknown_wording"),
            accepted(),
        ]
    );
    // Nothing of the declaration reaches the public, the donor's feeds or the fundraiser.
    for (path, token) in [
        (format!("/v1/fundraisers/{uk}/donations"), "dev-donor-2"),
        (format!("/v1/fundraisers/{uk}"), "dev-donor-2"),
        ("/v1/me/donations".to_owned(), "dev-donor-1"),
        ("/v1/me/donations/changes".to_owned(), "dev-donor-1"),
        ("/v1/fundraisers/changes".to_owned(), "dev-donor-2"),
    ] {
        let (_, v) = get(&api, &path, token).await;
        let text = v.to_string();
        for private in ["Lovelace", "SW1A", "gift_aid"] {
            assert!(!text.contains(private), "{path} shows {private}: {text}");
        }
    }
    // The organiser sees "Gift Aid: yes" and the claimable total, nothing more.
    let (_, donors) = get(
        &api,
        &format!("/v1/fundraisers/{uk}/donors"),
        "dev-organiser-gb",
    )
    .await;
    let flags: Vec<bool> = donors["donations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["gift_aid"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(flags, vec![true, false]);
    assert!(!donors.to_string().contains("Lovelace"));
    // Page by page, each donation once, in order, and the feed ends.
    let (mut cursor, mut paged) = (String::new(), Vec::new());
    for _ in 0..5 {
        let (_, page) = get(
            &api,
            &format!("/v1/fundraisers/{uk}/donors?limit=1&since={cursor}"),
            "dev-organiser-gb",
        )
        .await;
        for d in page["donations"].as_array().unwrap() {
            paged.push((
                d["id"].as_str().unwrap().to_owned(),
                d["gift_aid"].as_bool().unwrap_or(false),
            ));
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(paged, vec![(uuid(1), true), (uuid(6), false)]);
    let (_, mine) = get(&api, &format!("/v1/fundraisers/{uk}"), "dev-organiser-gb").await;
    assert_eq!(mine["organiser_stats"]["gift_aid_count"], 1);
    assert_eq!(
        mine["organiser_stats"]["gift_aid_claimable"]["minor_units"],
        250
    );

    // The charity's export: HMRC's columns, the claimable donation only.
    let export = format!("/v1/fundraisers/{uk}/gift-aid.csv");
    let (status, ct, csv) = get_text(&api, &export, Some("dev-organiser-gb")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(ct, "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("Title,First name or initial,Last name"));
    assert!(
        lines[1].starts_with(",Ada,Lovelace,12,SW1A 1AA,,,"),
        "{csv}"
    );
    assert!(lines[1].ends_with(",10.00"), "{csv}");
    // The claim period (UK dates, both ends included): the gift's own day has it, the days
    // around it do not, so no gift is claimed twice across periods.
    let day: Vec<&str> = lines[1].split(',').nth(7).unwrap().split('/').collect();
    let (d, m, y) = (day[0], day[1], day[2]);
    let on = chrono::NaiveDate::parse_from_str(&format!("20{y}-{m}-{d}"), "%Y-%m-%d").unwrap();
    let (before, after) = (on.pred_opt().unwrap(), on.succ_opt().unwrap());
    for (query, rows) in [
        (format!("from={on}&to={on}"), 2),
        (format!("from={on}"), 2),
        (format!("to={before}"), 1),
        (format!("from={after}"), 1),
        (format!("from={before}&to={after}"), 2),
    ] {
        let (status, _, period) =
            get_text(&api, &format!("{export}?{query}"), Some("dev-organiser-gb")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {period}");
        assert_eq!(period.lines().count(), rows, "{query}: {period}");
    }
    for query in [
        "from=2026-13-01".to_owned(),
        "to=yesterday".to_owned(),
        format!("from={after}&to={before}"),
    ] {
        let (status, _, body) =
            get_text(&api, &format!("{export}?{query}"), Some("dev-organiser-gb")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.contains("bad_date"), "{query}: {body}");
    }
    // Nobody else gets it: not a donor, not a reviewer, not without a token; and a
    // fundraiser without Gift Aid has none.
    for token in ["dev-donor-1", "dev-reviewer", "dev-organiser"] {
        let (status, _, _) = get_text(&api, &export, Some(token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{token}");
    }
    let (status, _, _) = get_text(&api, &export, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = get_text(
        &api,
        &format!("/v1/fundraisers/{us}/gift-aid.csv"),
        Some("dev-organiser"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    no_money_created(&api).await;
}

#[tokio::test]
async fn a_charity_is_set_at_creation_or_by_a_reviewer_and_validated_both_times() {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await;
    // On a personal cause, or with a number of no UK regulator's shape: refused.
    let mut personal = draft("GB", "GBP");
    personal["charity"] = hospice();
    let (status, body) = api.create("dev-organiser-gb", "k1", personal).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(body["error"]["issues"][0]["code"], "gift_aid_not_available");
    let (status, body) = api
        .create(
            "dev-organiser-gb",
            "k2",
            charity_draft(Some(json!({"name": "X", "number": "12"}))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["issues"][0]["code"], "invalid_charity_number");
    // Created without one; the reviewer checks the register and records it.
    let (status, f) = api
        .create("dev-organiser-gb", "k3", charity_draft(None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let id = f["id"].as_str().unwrap().to_owned();
    let review = |body: Value| {
        let (api, id) = (&api, id.clone());
        async move {
            api.call(
                Method::POST,
                &format!("/v1/review/fundraisers/{id}"),
                "dev-reviewer",
                Some(body),
            )
            .await
        }
    };
    let (status, body) =
        review(json!({"decision": "approve", "charity": {"name": "X", "number": "SC12"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = review(
        json!({"decision": "approve", "charity": {"name": " St Hilda's ", "number": "sc 012345"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["charity"],
        json!({"name": "St Hilda's", "number": "SC012345"})
    );
    let (_, public) = get(&api, &format!("/v1/fundraisers/{id}"), "dev-donor-1").await;
    assert_eq!(public["charity"]["number"], "SC012345");
}

#[tokio::test]
async fn a_charity_goes_only_with_an_approval_and_in_its_transaction() {
    let api = Api::with(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await;
    let (status, f) = api
        .create("dev-organiser-gb", "k1", charity_draft(None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let id = f["id"].as_str().unwrap().to_owned();
    let review = |body: Value| {
        let (api, id) = (&api, id.clone());
        async move {
            api.call(
                Method::POST,
                &format!("/v1/review/fundraisers/{id}"),
                "dev-reviewer",
                Some(body),
            )
            .await
        }
    };
    let seen = || async {
        let (status, f) = get(&api, &format!("/v1/fundraisers/{id}"), "dev-reviewer").await;
        assert_eq!(status, StatusCode::OK, "{f}");
        (f["state"].clone(), f["charity"].clone())
    };
    // A charity with a removal or a declined edit is refused, and nothing changes.
    for decision in ["remove", "decline_edit"] {
        let (status, body) = review(json!({
            "decision": decision, "reason": "Not a real hospice", "charity": hospice()
        }))
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "charity_needs_approve"),
            "{decision}: {body}"
        );
        assert_eq!(
            seen().await,
            (json!("in_review"), Value::Null),
            "{decision}"
        );
    }
    // Approved without one; a second approval (nothing waits) is refused and does not
    // leave its charity behind.
    let (status, body) = review(json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = review(json!({"decision": "approve", "charity": hospice()})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "not_reviewable"),
        "{body}"
    );
    assert_eq!(seen().await, (json!("active"), Value::Null));
}

#[tokio::test]
async fn the_claimable_gift_aid_is_each_donations_quarter_rounded_down() {
    let api = Api::start().await;
    let (status, uk) = api
        .create("dev-organiser-gb", "k1", charity_draft(Some(hospice())))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{uk}");
    let uk = uk["id"].as_str().unwrap().to_owned();
    let ga = |item: Value| with(item, json!({"gift_aid": declaration()}));
    let pence = [1_001, 1_003, 999];
    let items = pence
        .iter()
        .enumerate()
        .map(|(k, p)| ga(gbp(&uuid(k as u32 + 1), &uk, *p)))
        .collect();
    let (_, body) = api.batch("dev-donor-1", items).await;
    for k in 0..pence.len() {
        assert_eq!(outcome(&body, k), accepted(), "{body}");
    }
    // 250 + 250 + 249: each donation's 25% rounded down (the core's rule), never the
    // total's 25% (3003 / 4 = 750).
    let each: i64 = pence
        .iter()
        .map(|p| fundkit::rules::gift_aid_on(&fundkit::Money::new(*p, "GBP").unwrap()).minor_units)
        .sum();
    assert_eq!(each, 749);
    let (_, mine) = get(&api, &format!("/v1/fundraisers/{uk}"), "dev-organiser-gb").await;
    assert_eq!(mine["organiser_stats"]["gift_aid_count"], 3);
    assert_eq!(
        mine["organiser_stats"]["gift_aid_claimable"],
        json!({"minor_units": each, "currency": "GBP"})
    );
    // The export lists each gift in pounds, as given.
    let (status, _, csv) = get_text(
        &api,
        &format!("/v1/fundraisers/{uk}/gift-aid.csv"),
        Some("dev-organiser-gb"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let mut amounts: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts, ["10.01", "10.03", "9.99"]);
    no_money_created(&api).await;
}

#[tokio::test]
async fn where_donations_came_from_is_counted_for_the_organiser() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let src = |n: u32, s: &str| with(item(&uuid(n), &f, 1_000, "tok_ok"), json!({"source": s}));
    let (_, body) = api
        .batch(
            "dev-donor-1",
            vec![
                src(1, "link"),
                src(2, "story_sticker"),
                src(3, "story_sticker"),
                src(4, "profile"),
                // A source a newer app names: taken, counted nowhere.
                src(5, "reel"),
                item(&uuid(6), &f, 1_000, "tok_ok"),
                // A declined one is no donation to count.
                with(
                    item(&uuid(7), &f, 1_000, "tok_declined"),
                    json!({"source": "link"}),
                ),
            ],
        )
        .await;
    assert_eq!(outcome(&body, 4), accepted());
    let (_, mine) = get(&api, &format!("/v1/fundraisers/{f}"), "dev-organiser").await;
    let s = &mine["organiser_stats"];
    assert_eq!(
        (
            &s["from_link"],
            &s["from_story_sticker"],
            &s["from_profile"]
        ),
        (&json!(1), &json!(2), &json!(1))
    );
    // The changes feed brings the organiser's figures too (the app's cache reads them).
    let (_, feed) = get(&api, "/v1/fundraisers/changes", "dev-organiser").await;
    assert_eq!(feed["fundraisers"][0]["organiser_stats"]["from_link"], 1);
    no_money_created(&api).await;
}

#[tokio::test]
async fn share_links_open_the_apps_and_the_web_page_tells_what_it_can() {
    let api = Api::start().await;
    let f = api.fundraiser().await;
    let (_, config) = get(&api, "/v1/config", "dev-donor-1").await;
    assert_eq!(config["links"]["host"], "127.0.0.1");
    assert_eq!(config["links"]["app_scheme"], "fundkit");
    let (status, ct, body) = get_text(&api, "/.well-known/assetlinks.json", None).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["target"]["package_name"], "dev.fundkit.app");
    assert_eq!(
        v[0]["relation"][0],
        "delegate_permission/common.handle_all_urls"
    );
    let (status, _, body) = get_text(&api, "/.well-known/apple-app-site-association", None).await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["applinks"]["details"][0]["components"][0]["/"], "/f/*");
    // A browser without the app: the title, escaped; the same "not available" for an
    // unknown id and one in review.
    let (status, ct, page) = get_text(&api, &format!("/f/{f}?src=link"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(page.contains("Help Sam walk again"), "{page}");
    let (status, _, page) = get_text(&api, "/f/fr_nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("not available"));
}
