//! Fees, Gift Aid and share links end to end: a device against the real reference server
//! (issue 25). The declaration queues offline with its donation, survives a restart,
//! reaches the server exactly once and leaves the device; a price the server no longer
//! quotes is refused with nothing charged; a link opens its fundraiser or says why not.

use fundkit::{
    Charity, DonationSource, DonationState, FeeModel, FundkitError, FundraiserDraft,
    FundraiserKind, GiftAidAvailability, GiftAidDeclaration, LinkProblem, Money,
};
use fundkit_e2e::*;

fn charity_draft() -> FundraiserDraft {
    FundraiserDraft {
        kind: FundraiserKind::Nonprofit {
            nonprofit_id: "npo_hospice".into(),
        },
        goal: Money::new(1_000_000, "GBP").unwrap(),
        country: "GB".into(),
        charity: Some(Charity {
            name: "St Hilda's Hospice".into(),
            number: "1234567".into(),
        }),
        ..draft("A new roof for the hospice")
    }
}

fn declaration() -> GiftAidDeclaration {
    GiftAidDeclaration {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        house: "12".into(),
        postcode: "sw1a 1aa".into(),
        lives_in_uk: true,
        uk_taxpayer: true,
        consent: true,
        wording_version: fundkit::rules::GIFT_AID_WORDING_VERSION.into(),
    }
}

async fn text(url: String, token: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_aid_donation_made_offline_reaches_the_charity_once_and_leaves_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_on_file(dir.path().join("server.db")).await;
    let url = server.url();
    let organiser = Device::new(&url, "dev-organiser-gb", "GB");
    let f = organiser
        .client
        .create_fundraiser(charity_draft())
        .await
        .unwrap();
    let id = f.fundraiser.id.clone();
    let link = organiser
        .client
        .share_links(id.clone(), DonationSource::StorySticker)
        .unwrap()
        .web;

    let mut donor = Device::new(&url, "dev-donor-2", "GB");
    let opened = donor.client.open_link(link).await.unwrap();
    assert_eq!(opened.target.source, DonationSource::StorySticker);
    donor.client.set_online(false);
    let request = fundkit::DonationRequest {
        cover_fee: true,
        gift_aid: Some(declaration()),
        source: Some(opened.target.source),
        id: Some(fundkit::new_donation_id()),
        ..donation(&opened.fundraiser, 2_000, "tok_ok")
    };
    let quote = donor.client.quote_donation(request.clone()).unwrap();
    assert_eq!(quote.gift_aid, GiftAidAvailability::Available);
    assert_eq!(quote.gift_aid_amount.unwrap().minor_units, 500);
    // UK 1.9% + 20p of £20.00: 38p + 20p, covered.
    assert_eq!(quote.fees.donor_pays.minor_units, 2_058);
    let queued = donor.client.donate(request).unwrap();
    assert_eq!(queued.donor_pays.minor_units, 2_058);
    // The app is killed and comes back: the declaration is on disk with the donation.
    donor.restart();
    donor.client.set_online(true);
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.confirmed, 1, "{report:?}");
    let again = donor.client.sync_now().await.unwrap();
    assert_eq!(again.sent, 0);
    let done = donor.client.donation(queued.id.clone()).unwrap().unwrap();
    assert_eq!(done.state, DonationState::Confirmed);
    assert!(done.gift_aid);
    // The declaration left the phone once the server answered (the flag stays).
    let conn = rusqlite::Connection::open(donor.db_path()).unwrap();
    let left: Option<String> = conn
        .query_row(
            "SELECT gift_aid_declaration FROM donations WHERE id = ?1",
            [&queued.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, None);

    // The charity's view and export, once; the ledger agrees.
    let mine = organiser
        .client
        .refresh_fundraiser(id.clone())
        .await
        .unwrap();
    let stats = mine.fundraiser.organiser_stats.unwrap();
    assert_eq!(mine.fundraiser.confirmed_total.minor_units, 2_000);
    assert_eq!(
        (stats.gift_aid_count, stats.gift_aid_claimable.minor_units),
        (1, 500)
    );
    assert_eq!(
        (stats.receives.minor_units, stats.fees.minor_units),
        (2_000, 0)
    );
    assert_eq!(stats.from_story_sticker, 1);
    // The organiser's dashboard, from the local cache (offline too): "Gift Aid: yes".
    organiser.client.sync_now().await.unwrap();
    let donors = organiser
        .client
        .organiser_donations(id.clone(), 50, 0)
        .unwrap();
    assert_eq!(
        donors
            .donations
            .iter()
            .map(|d| d.gift_aid)
            .collect::<Vec<_>>(),
        vec![true]
    );
    let (status, csv) = text(
        format!("{url}/v1/fundraisers/{id}/gift-aid.csv"),
        "dev-organiser-gb",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(",Ada,Lovelace,12,SW1A 1AA,"), "{csv}");
    // The Amount column is the gift (£20.00), never what the donor paid with the fee
    // covered (£20.58): Gift Aid is claimed on the gift alone.
    let amount = csv.lines().nth(1).and_then(|l| l.rsplit(',').next());
    assert_eq!(amount, Some("20.00"), "{csv}");
    assert_eq!(server.charges_for(&queued.id).await, 1);
    assert_eq!(server.ledger_mismatches().await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_the_server_no_longer_quotes_is_refused_and_nothing_is_charged() {
    // The server charges UK donations 2.5% + 20p; the phone has not heard yet and quotes
    // the launch fees (1.9% + 20p) for a donation queued offline that covers them.
    let mut options = ServerOptions {
        database: Database::for_test(),
        auto_approve: true,
        ..ServerOptions::default()
    };
    options.config.fees = vec![FeeModel {
        country: "GB".into(),
        currency: "GBP".into(),
        platform_fee_bps: 0,
        processing_fee_bps: 250,
        processing_fee_fixed_minor: 20,
    }];
    let server = fundkit_server::start(options).await.unwrap();
    let url = server.url();
    let organiser = Device::new(&url, "dev-organiser-gb", "GB");
    let f = organiser
        .client
        .create_fundraiser(charity_draft())
        .await
        .unwrap();
    let donor = Device::new(&url, "dev-donor-2", "GB");
    // The fundraiser alone (a link opened it), not the config: no pass has run yet.
    let stale = donor
        .client
        .refresh_fundraiser(f.fundraiser.id.clone())
        .await
        .unwrap();
    donor.client.set_online(false);
    let d = donor
        .client
        .donate(fundkit::DonationRequest {
            cover_fee: true,
            ..donation(&stale, 1_000, "tok_ok")
        })
        .unwrap();
    assert_eq!(d.donor_pays.minor_units, 1_039);
    donor.client.set_online(true);
    donor.client.sync_now().await.unwrap();
    let refused = donor.client.donation(d.id.clone()).unwrap().unwrap();
    assert_eq!(
        (refused.state, refused.reason.as_deref()),
        (DonationState::Rejected, Some("fee_changed"))
    );
    assert_eq!(server.charges_for(&d.id).await, 0);
    // Asked again, the phone now quotes the server's price, and that one is taken.
    let again = fundkit::DonationRequest {
        cover_fee: true,
        ..donation(&stale, 1_000, "tok_ok")
    };
    let quote = donor.client.quote_donation(again.clone()).unwrap();
    assert_eq!(quote.fees.donor_pays.minor_units, 1_045);
    let ok = donor.client.donate(again).unwrap();
    donor.client.sync_now().await.unwrap();
    assert_eq!(
        donor.client.donation(ok.id).unwrap().unwrap().state,
        DonationState::Confirmed
    );
    assert_eq!(server.ledger_mismatches().await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opens_its_fundraiser_or_says_why_not() {
    let server = fundkit_server::start(ServerOptions {
        database: Database::for_test(),
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let organiser = Device::new(&url, "dev-organiser", "US");
    // In review: not public yet, so a link to it is not visible to a donor.
    let f = organiser
        .client
        .create_fundraiser(draft("Soon"))
        .await
        .unwrap();
    let links = organiser
        .client
        .share_links(f.fundraiser.id.clone(), DonationSource::Link)
        .unwrap();
    let donor = Device::new(&url, "dev-donor-1", "US");
    let not_yet = donor.client.open_link(links.web.clone()).await.unwrap_err();
    assert_eq!(
        not_yet,
        FundkitError::Link {
            problem: LinkProblem::NotVisible
        }
    );
    let approved = reqwest::Client::new()
        .post(format!("{url}/v1/review/fundraisers/{}", f.fundraiser.id))
        .bearer_auth("dev-reviewer")
        .json(&serde_json::json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert!(approved.status().is_success());
    for link in [links.web, links.app] {
        let opened = donor.client.open_link(link).await.unwrap();
        assert_eq!(opened.fundraiser.fundraiser.id, f.fundraiser.id);
        assert_eq!(opened.target.source, DonationSource::Link);
    }
    for (link, problem) in [
        (
            format!("https://evil.example/f/{}", f.fundraiser.id),
            LinkProblem::UnknownHost,
        ),
        (
            "https://127.0.0.1/f/fr_unknown".to_owned(),
            LinkProblem::NotVisible,
        ),
        (
            "http://127.0.0.1/f/fr_1".to_owned(),
            LinkProblem::UnsupportedScheme,
        ),
    ] {
        assert_eq!(
            donor.client.open_link(link.clone()).await.unwrap_err(),
            FundkitError::Link { problem },
            "{link}"
        );
    }
}
