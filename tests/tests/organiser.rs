//! The organiser's side against the real reference server: review (approve, remove), edit,
//! extend to 90 days and the refusal past it, early and automatic end (with a donation
//! queued offline meanwhile), and the organiser's donors under each visibility.

use std::time::Duration;

use fundkit::{
    Category, Clock, DonationState, FundkitError, FundraiserEdit, FundraiserState, IssueCode,
    Money, Visibility,
};
use fundkit_e2e::*;

async fn reviewed_server() -> RunningServer {
    fundkit_server::start(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await
    .unwrap()
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

async fn review(server: &RunningServer, id: &str, decision: &str, reason: Option<&str>) -> u16 {
    call(
        reqwest::Method::POST,
        format!("{}/v1/review/fundraisers/{id}", server.url()),
        "dev-reviewer",
        Some(serde_json::json!({ "decision": decision, "reason": reason })),
    )
    .await
    .0
}

fn issue_codes(e: FundkitError) -> Vec<IssueCode> {
    match e {
        FundkitError::Validation { issues } => issues.into_iter().map(|i| i.code).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_then_live_and_nobody_else_sees_it_before() {
    let server = reviewed_server().await;
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    let created = organiser
        .client
        .create_fundraiser(draft("Garden"))
        .await
        .unwrap();
    let id = created.fundraiser.id.clone();
    assert_eq!(created.fundraiser.state, FundraiserState::InReview);
    assert!(created.fundraiser.viewer_is_organiser);
    // The organiser sees it; nobody else does, by id or in the feed.
    organiser.client.sync_now().await.unwrap();
    assert_eq!(organiser.client.my_fundraisers().unwrap().len(), 1);
    let donor = Device::new(&server.url(), "dev-donor-1", "US");
    assert!(matches!(
        donor.client.refresh_fundraiser(id.clone()).await,
        Err(FundkitError::Server { status: 404, .. })
    ));
    donor.client.sync_now().await.unwrap();
    assert!(donor.client.fundraiser(id.clone()).unwrap().is_none());
    // Only a reviewer reviews.
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{}/v1/review/fundraisers/{id}", server.url()),
        "dev-organiser",
        Some(serde_json::json!({ "decision": "approve" })),
    )
    .await;
    assert_eq!(status, 403);
    let (status, queue) = call(
        reqwest::Method::GET,
        format!("{}/v1/review/fundraisers", server.url()),
        "dev-reviewer",
        None,
    )
    .await;
    assert_eq!((status, queue.as_array().map(|a| a.len())), (200, Some(1)));
    assert_eq!(review(&server, &id, "approve", None).await, 200);
    assert_eq!(
        review(&server, &id, "approve", None).await,
        409,
        "already live"
    );
    donor.client.sync_now().await.unwrap();
    let seen = donor
        .client
        .fundraiser(id.clone())
        .unwrap()
        .expect("live: in the feed");
    assert_eq!(seen.fundraiser.state, FundraiserState::Active);
    assert!(!seen.fundraiser.viewer_is_organiser);
    assert_eq!(seen.fundraiser.days_left(fundkit::SystemClock.now_ms()), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_fundraiser_says_why_to_its_organiser_and_leaves_other_caches() {
    let server = reviewed_server().await;
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    let id = organiser
        .client
        .create_fundraiser(draft("Scheme"))
        .await
        .unwrap()
        .fundraiser
        .id;
    assert_eq!(
        review(&server, &id, "remove", None).await,
        422,
        "a reason is required"
    );
    assert_eq!(review(&server, &id, "approve", None).await, 200);
    let donor = Device::new(&server.url(), "dev-donor-1", "US");
    donor.client.sync_now().await.unwrap();
    assert!(donor.client.fundraiser(id.clone()).unwrap().is_some());
    assert_eq!(
        review(&server, &id, "remove", Some("Misleading story")).await,
        200
    );
    organiser.client.sync_now().await.unwrap();
    let mine = organiser.client.fundraiser(id.clone()).unwrap().unwrap();
    assert_eq!(mine.fundraiser.state, FundraiserState::Removed);
    assert_eq!(
        mine.fundraiser.removal_reason.as_deref(),
        Some("Misleading story")
    );
    donor.client.sync_now().await.unwrap();
    assert!(
        donor.client.fundraiser(id.clone()).unwrap().is_none(),
        "dropped from the cache"
    );
    assert!(matches!(
        donor.client.refresh_fundraiser(id).await,
        Err(FundkitError::Server { status: 404, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_by_the_same_rules_on_the_device_and_the_server() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let id = f.fundraiser.id.clone();
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    organiser.client.sync_now().await.unwrap();
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.donate(&f, 50_000, "tok_ok");
    donor.client.sync_now().await.unwrap();
    organiser.client.sync_now().await.unwrap();
    let edited = organiser
        .client
        .edit_fundraiser(
            id.clone(),
            FundraiserEdit {
                title: Some("  Community garden, phase two ".into()),
                story: Some("We raised the beds.\nNow the shed.".into()),
                category: Some(Category::Animals),
                goal: Some(Money {
                    minor_units: 2_000_000,
                    currency: "USD".into(),
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.fundraiser.title, "Community garden, phase two");
    assert_eq!(edited.fundraiser.category, Category::Animals);
    assert_eq!(edited.fundraiser.goal.minor_units, 2_000_000);
    // Below what is raised, or in another currency: refused on the device, every issue.
    let bad = FundraiserEdit {
        title: Some("".into()),
        goal: Some(Money {
            minor_units: 49_999,
            currency: "USD".into(),
        }),
        ..Default::default()
    };
    let err = organiser
        .client
        .edit_fundraiser(id.clone(), bad)
        .await
        .unwrap_err();
    assert_eq!(
        issue_codes(err),
        vec![IssueCode::Required, IssueCode::BelowRaised]
    );
    // The server refuses the same even if a client skips the check.
    let (status, body) = call(
        reqwest::Method::PATCH,
        format!("{}/v1/fundraisers/{id}", server.url()),
        "dev-organiser",
        Some(serde_json::json!({ "goal": { "minor_units": 49_999, "currency": "USD" } })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["issues"][0]["code"], "below_raised");
    // Nobody but the organiser edits.
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{}/v1/fundraisers/{id}", server.url()),
        "dev-donor-1",
        Some(serde_json::json!({ "title": "Mine now" })),
    )
    .await;
    assert_eq!(status, 404);
    donor.client.sync_now().await.unwrap();
    assert_eq!(
        donor
            .client
            .fundraiser(id)
            .unwrap()
            .unwrap()
            .fundraiser
            .title,
        "Community garden, phase two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extend_to_ninety_days_and_no_further() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let id = f.fundraiser.id.clone();
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    organiser.client.sync_now().await.unwrap();
    let first_end = f.fundraiser.ends_at_ms;
    let sixty = organiser
        .client
        .extend_fundraiser(id.clone(), 30)
        .await
        .unwrap();
    assert_eq!(sixty.fundraiser.duration_days, 60);
    assert_eq!(sixty.fundraiser.ends_at_ms, first_end + 30 * 86_400_000);
    assert_eq!(
        issue_codes(
            organiser
                .client
                .extend_fundraiser(id.clone(), 15)
                .await
                .unwrap_err()
        ),
        vec![IssueCode::InvalidDuration],
        "30-day steps"
    );
    let ninety = organiser
        .client
        .extend_fundraiser(id.clone(), 30)
        .await
        .unwrap();
    assert_eq!(ninety.fundraiser.duration_days, 90);
    assert_eq!(
        issue_codes(
            organiser
                .client
                .extend_fundraiser(id.clone(), 30)
                .await
                .unwrap_err()
        ),
        vec![IssueCode::InvalidDuration],
        "90 days in all"
    );
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{}/v1/fundraisers/{id}/extend", server.url()),
        "dev-organiser",
        Some(serde_json::json!({ "days": 30 })),
    )
    .await;
    assert_eq!(status, 422, "the server refuses it too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_end_refuses_a_donation_queued_offline_before_it() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let id = f.fundraiser.id.clone();
    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    organiser.client.sync_now().await.unwrap();
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.set_online(false);
    let queued = donor.donate(&f, 2_000, "tok_ok");
    let ended = organiser.client.end_fundraiser(id.clone()).await.unwrap();
    assert_eq!(ended.fundraiser.state, FundraiserState::Ended);
    assert!(matches!(
        organiser.client.extend_fundraiser(id.clone(), 30).await,
        Err(FundkitError::Validation { .. })
    ));
    donor.client.set_online(true);
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.rejected, 1);
    let d = donor.client.donation(queued.id).unwrap().unwrap();
    assert_eq!(
        (d.state, d.reason.as_deref()),
        (DonationState::Rejected, Some("fundraiser_ended"))
    );
    let after = donor.client.fundraiser(id.clone()).unwrap().unwrap();
    assert_eq!(after.fundraiser.state, FundraiserState::Ended);
    assert_eq!(
        after.fundraiser.confirmed_total.minor_units, 0,
        "nothing charged"
    );
    // The device now refuses a new one before queueing it, with its own code.
    let err = donor
        .client
        .donate(donation(&f, 100, "tok_ok"))
        .unwrap_err();
    assert_eq!(issue_codes(err), vec![IssueCode::Ended]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_ends_a_fundraiser_by_itself_at_its_end() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    donor.client.set_online(false);
    let queued = donor.donate(&f, 700, "tok_ok");
    server.advance_clock(Duration::from_secs(30 * 86_400 + 1));
    // The sweeper runs on its own; poll the feed, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    donor.client.set_online(true);
    loop {
        donor.client.sync_now().await.unwrap();
        let state = donor
            .client
            .fundraiser(f.fundraiser.id.clone())
            .unwrap()
            .unwrap()
            .fundraiser
            .state;
        if state == FundraiserState::Ended {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = donor.client.donation(queued.id).unwrap().unwrap();
    assert_eq!(
        (d.state, d.reason.as_deref()),
        (DonationState::Rejected, Some("fundraiser_ended"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisers_donors_as_each_visibility_allows_and_offline() {
    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let id = f.fundraiser.id.clone();
    let dan = donor(&server.url(), "dev-donor-1", &f).await;
    let mut public = donation(&f, 1_000, "tok_ok");
    public.message = Some("Go!".into());
    let mut hidden = donation(&f, 2_000, "tok_ok");
    hidden.visibility = Visibility::HiddenFromPublic;
    hidden.hide_amount = true;
    let mut anonymous = donation(&f, 3_000, "tok_ok");
    anonymous.visibility = Visibility::Anonymous;
    for r in [public, hidden, anonymous] {
        dan.client.donate(r).unwrap();
    }
    dan.client.sync_now().await.unwrap();
    // A second donor, to count distinct donors.
    let mut ie = donation(&f, 400, "tok_ok");
    ie.visibility = Visibility::Public;
    let eva = donor(&server.url(), "dev-donor-2", &f).await;
    eva.client.donate(ie).unwrap();
    eva.client.sync_now().await.unwrap();

    let organiser = Device::new(&server.url(), "dev-organiser", "US");
    organiser.client.sync_now().await.unwrap();
    organiser.client.set_online(false);
    let page = organiser
        .client
        .organiser_donations(id.clone(), 50, 0)
        .unwrap();
    assert_eq!((page.donation_count, page.donor_count), (4, 2));
    assert_eq!(page.total.minor_units, 6_400);
    let by_amount = |minor: i64| {
        page.donations
            .iter()
            .find(|d| d.amount.as_ref().map(|a| a.minor_units) == Some(minor))
            .unwrap_or_else(|| panic!("{minor} missing: {:?}", page.donations))
            .clone()
    };
    let dan_name = Some("Dan Donor".to_owned());
    assert_eq!(by_amount(1_000).donor_name, dan_name, "public name");
    assert_eq!(by_amount(1_000).message.as_deref(), Some("Go!"));
    assert_eq!(
        by_amount(2_000).donor_name,
        dan_name,
        "hidden from the public, shown to the organiser"
    );
    assert_eq!(by_amount(3_000).donor_name, None, "anonymous to everyone");
    assert!(by_amount(400).donor_name.is_some());
    // Paging, newest first.
    let first = organiser
        .client
        .organiser_donations(id.clone(), 2, 0)
        .unwrap()
        .donations;
    let second = organiser
        .client
        .organiser_donations(id.clone(), 2, 2)
        .unwrap()
        .donations;
    assert_eq!(first.len() + second.len(), 4);
    assert!(first[0].received_at_ms >= second[0].received_at_ms);
    // The public sees less than the organiser does.
    let (_, public_view) = call(
        reqwest::Method::GET,
        format!("{}/v1/fundraisers/{id}/donations", server.url()),
        "dev-donor-2",
        None,
    )
    .await;
    let hidden_row = public_view
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["amount"].is_null())
        .expect("the hidden amount is hidden from the public");
    assert!(hidden_row["donor_name"].is_null());
    // Only the organiser reads the donors feed.
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{}/v1/fundraisers/{id}/donors", server.url()),
        "dev-donor-1",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(matches!(
        dan.client.organiser_donations(id, 10, 0),
        Err(FundkitError::NotFound { .. })
    ));
}
