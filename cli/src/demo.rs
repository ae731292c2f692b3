//! `fundkit demo`: the story of one fundraiser, on this machine.
//!
//! An organiser in the US creates a fundraiser; a donor browses it, loses the network,
//! donates five times (one card is declined, one bank asks for authentication), sees the
//! optimistic total, comes back online, syncs with visible progress, and finally syncs
//! again to show that nothing is sent twice. Then a UK charity's fundraiser travels as a
//! story-sticker link: a donor opens it, sees the fees and the Gift Aid before paying, gives
//! with a Gift Aid declaration, gives again covering the fee, and the charity's figures and
//! Gift Aid export are checked against the server. The server is the real reference server
//! on 127.0.0.1 with SQLite; each client has its own SQLite file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fundkit::{
    Beneficiary, Category, ClientConfig, Donation, DonationRequest, DonationState, FundkitClient,
    FundkitListener, FundraiserDraft, FundraiserKind, FundraiserView, Money, Platform, SyncState,
    UserContext, Visibility,
};
use fundkit_server::{Database, ServerOptions};

use crate::commands::{print_report, Result};
use crate::output::{auth, donation_line, fundraiser_line, money};

/// Prints the donor's donation changes as they happen during the sync.
struct Progress(Mutex<Vec<String>>);

impl FundkitListener for Progress {
    fn on_donations_changed(&self, donations: Vec<Donation>) {
        for d in donations {
            let line = format!("    ~ {} -> {}", short(&d.id), d.state.as_str());
            println!("{line}");
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    }
    fn on_fundraisers_changed(&self, _: Vec<FundraiserView>) {}
    fn on_sync_state_changed(&self, _: SyncState) {}
}

fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

fn client(
    dir: &std::path::Path,
    name: &str,
    server: &str,
    token: &str,
) -> Result<Arc<FundkitClient>> {
    client_in(dir, name, server, token, "US", "en-US")
}

fn client_in(
    dir: &std::path::Path,
    name: &str,
    server: &str,
    token: &str,
    country: &str,
    locale: &str,
) -> Result<Arc<FundkitClient>> {
    let config = ClientConfig {
        database_path: dir
            .join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned(),
        server_url: server.into(),
        user: UserContext {
            country: country.into(),
            platform: Platform::Android,
            age_years: Some(34),
        },
        locale: locale.into(),
        online: true,
        background_sync: false,
    };
    Ok(FundkitClient::new(config, auth(token))?)
}

pub async fn run(dir: Option<PathBuf>) -> Result {
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;

    println!("== 1. The reference server starts on loopback (SQLite)");
    let server = fundkit_server::start(ServerOptions {
        database: Database::Path(dir.join("server.db")),
        ..ServerOptions::default()
    })
    .await?;
    let url = server.url();
    println!("  listening on {url}");

    println!("\n== 2. Olivia (US, Android) creates a fundraiser");
    let organiser = client(&dir, "organiser", &url, "dev-organiser")?;
    println!(
        "  availability: {:?}",
        organiser.availability(fundkit::Action::CreateFundraiser)
    );
    let goal = organiser.parse_amount("5,000".into(), "USD".into())?;
    let created = organiser
        .create_fundraiser(FundraiserDraft {
            kind: FundraiserKind::PersonalCause {
                beneficiary: Beneficiary::SomeoneElse,
            },
            category: Category::Emergency,
            title: "Help the Rivera family rebuild after the flood".into(),
            story: "The river took the ground floor of their home.\nEvery dollar goes to repairs."
                .into(),
            goal,
            country: "US".into(),
            charity: None,
        })
        .await?;
    println!("{}", fundraiser_line(&organiser, &created));
    let fundraiser_id = created.fundraiser.id.clone();
    println!("  a reviewer approves it (fundkit review --approve {fundraiser_id}):");
    let reviewed: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/v1/review/fundraisers/{fundraiser_id}"))
        .bearer_auth("dev-reviewer")
        .json(&serde_json::json!({ "decision": "approve" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("    now {}", reviewed["state"].as_str().unwrap_or("?"));
    let live = organiser.refresh_fundraiser(fundraiser_id.clone()).await?;
    if live.fundraiser.state != fundkit::FundraiserState::Active {
        return Err("the approved fundraiser is not live".into());
    }

    println!("\n== 3. Dan, a donor, opens the app online and browses");
    let donor = client(&dir, "donor", &url, "dev-donor-1")?;
    print_report(&donor.sync_now().await?);
    let view = donor
        .fundraiser(fundraiser_id.clone())?
        .ok_or("the fundraiser did not sync down")?;
    println!("{}", fundraiser_line(&donor, &view));

    println!("\n== 4. The train enters a tunnel: offline. Dan donates five times");
    donor.set_online(false);
    let gifts: [(&str, &str, Visibility, Option<&str>); 5] = [
        ("25", "tok_ok", Visibility::Public, Some("Stay strong!")),
        ("$100.00", "tok_ok", Visibility::Anonymous, None),
        ("40", "tok_declined", Visibility::Public, None),
        (
            "60",
            "tok_needs_action",
            Visibility::HiddenFromPublic,
            Some("From all of us at work"),
        ),
        ("15.50", "tok_ok", Visibility::Public, None),
    ];
    let mut queued = Vec::new();
    for (typed, token, visibility, message) in gifts {
        let amount = donor.parse_amount(typed.into(), "USD".into())?;
        let d = donor.donate(DonationRequest {
            fundraiser_id: fundraiser_id.clone(),
            amount,
            message: message.map(str::to_owned),
            visibility,
            hide_amount: false,
            payment_token: token.into(),
            id: None,
            cover_fee: false,
            gift_aid: None,
            source: None,
        })?;
        println!(
            "  typed {typed:>8} -> queued {} ({})",
            money(&donor, &d.amount),
            token
        );
        queued.push(d.id);
    }
    println!("  an offline donation over the cap is refused, clearly:");
    let too_big = donor.parse_amount("300".into(), "USD".into())?;
    match donor.donate(DonationRequest {
        fundraiser_id: fundraiser_id.clone(),
        amount: too_big,
        message: None,
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    }) {
        Err(e) => println!("    {e}"),
        Ok(_) => return Err("the offline cap did not hold".into()),
    }
    println!("  the queue, on disk:");
    for d in donor.pending_donations()? {
        println!("{}", donation_line(&donor, &d));
    }
    let view = donor
        .fundraiser(fundraiser_id.clone())?
        .ok_or("fundraiser missing")?;
    println!(
        "  what Dan sees (optimistic):\n{}",
        fundraiser_line(&donor, &view)
    );

    println!("\n== 5. Back online: sync, with progress");
    donor.set_listener(Some(Arc::new(Progress(Mutex::new(Vec::new())))));
    donor.set_online(true);
    let report = donor.sync_now().await?;
    print_report(&report);
    donor.set_listener(None);

    println!("\n== 6. The bank asks Dan to confirm one gift: he does, on the bank's page");
    let needs_action = donor
        .donation(queued[3].clone())?
        .ok_or("donation missing")?;
    println!("{}", donation_line(&donor, &needs_action));
    let action_url = needs_action
        .action_url
        .ok_or("a needs_action donation carries where to complete it")?;
    // The app would open this in a browser tab; the reference server plays the bank.
    let status = reqwest::Client::new()
        .post(&action_url)
        .json(&serde_json::json!({ "result": "complete" }))
        .send()
        .await?
        .status();
    println!("  bank page answered {status}; the next sync learns it from Dan's own feed");
    print_report(&donor.sync_now().await?);

    println!("\n== 7. A double tap on Confirm makes one donation");
    let sheet_id = fundkit::new_donation_id();
    let tap = DonationRequest {
        fundraiser_id: fundraiser_id.clone(),
        amount: donor.parse_amount("5".into(), "USD".into())?,
        message: None,
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: Some(sheet_id.clone()),
        cover_fee: false,
        gift_aid: None,
        source: None,
    };
    let first_tap = donor.donate(tap.clone())?;
    let second_tap = donor.donate(tap)?;
    println!(
        "  two taps, one donation: {} ({})",
        second_tap.id,
        if first_tap.id == second_tap.id {
            "same"
        } else {
            "DIFFERENT"
        }
    );
    queued.push(first_tap.id);
    print_report(&donor.sync_now().await?);

    println!("\n== 8. Final states");
    let mut confirmed_by_client = 0i64;
    for id in &queued {
        let d = donor.donation(id.clone())?.ok_or("donation missing")?;
        println!("{}", donation_line(&donor, &d));
        if d.state == DonationState::Confirmed {
            confirmed_by_client += d.amount.minor_units;
        }
    }
    let server_view = organiser.refresh_fundraiser(fundraiser_id.clone()).await?;
    let client_view = donor
        .fundraiser(fundraiser_id.clone())?
        .ok_or("fundraiser missing")?;
    let server_total = server_view.fundraiser.confirmed_total.clone();
    println!("  server total: {}", money(&donor, &server_total));
    println!(
        "  client total: {} (pending {})",
        money(&donor, &client_view.displayed_total),
        client_view.pending_count
    );
    println!(
        "  Dan's confirmed donations: {}",
        money(
            &donor,
            &Money {
                minor_units: confirmed_by_client,
                currency: "USD".into()
            }
        )
    );

    println!("\n== 9. Olivia's dashboard: donors, an extension, then the end");
    organiser.sync_now().await?;
    let donors = organiser.organiser_donations(fundraiser_id.clone(), 50, 0)?;
    println!(
        "  {} raised from {} donation(s) by {} donor(s):",
        money(&organiser, &donors.total),
        donors.donation_count,
        donors.donor_count
    );
    for d in &donors.donations {
        println!(
            "    {:<12} {:>10}  {}",
            d.donor_name.as_deref().unwrap_or("Anonymous"),
            d.amount
                .as_ref()
                .map(|a| money(&organiser, a))
                .unwrap_or_else(|| "hidden".into()),
            d.message.as_deref().unwrap_or("")
        );
    }
    let extended = organiser
        .extend_fundraiser(fundraiser_id.clone(), 30)
        .await?;
    println!(
        "  extended by 30 days: {} days in all",
        extended.fundraiser.duration_days
    );
    let ended = organiser.end_fundraiser(fundraiser_id.clone()).await?;
    println!("  ended early: {:?}", ended.fundraiser.state);
    donor.set_online(false);
    let late = donor.donate(DonationRequest {
        fundraiser_id: fundraiser_id.clone(),
        amount: donor.parse_amount("10".into(), "USD".into())?,
        message: None,
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    });
    donor.set_online(true);
    let late_ok = match &late {
        // Dan's phone did not know yet: queued offline, then refused by the server.
        Ok(d) => {
            donor.sync_now().await?;
            let d = donor.donation(d.id.clone())?.ok_or("donation missing")?;
            println!(
                "  a donation queued offline before Dan's phone heard of the end: {} ({})",
                d.state.as_str(),
                d.reason.as_deref().unwrap_or("")
            );
            d.reason.as_deref() == Some("fundraiser_ended")
        }
        Err(e) => {
            println!("  Dan's phone already knows it ended: {e}");
            true
        }
    };
    let ended_ok = ended.fundraiser.state == fundkit::FundraiserState::Ended
        && extended.fundraiser.duration_days == 60
        && donors.donation_count == 5
        && late_ok;

    println!("\n== 10. Sync again: nothing is sent twice");
    let before = server.stats();
    let again = donor.sync_now().await?;
    print_report(&again);
    let after = server.stats();
    println!(
        "  donations received by the server during this pass: {}",
        after.donation_items_received - before.donation_items_received
    );

    let giving_ok = giving(&dir, &url, &server).await?;

    let expected: [DonationState; 6] = [
        DonationState::Confirmed,
        DonationState::Confirmed,
        DonationState::Rejected,
        DonationState::Confirmed,
        DonationState::Confirmed,
        DonationState::Confirmed,
    ];
    let mut ok = true;
    for (id, want) in queued.iter().zip(expected) {
        let got = donor.donation(id.clone())?.map(|d| d.state);
        ok &= got == Some(want);
    }
    ok &= server_total == client_view.displayed_total && client_view.pending_count == 0;
    ok &= server_total.minor_units == confirmed_by_client;
    ok &= again.sent == 0 && after.donation_items_received == before.donation_items_received;
    ok &= ended_ok;
    ok &= giving_ok;
    println!("\n== Summary");
    println!(
        "  donations in the expected states: 5 confirmed (one after the bank's step, one double-tapped), 1 rejected (declined)"
    );
    println!(
        "  server total {} == client total {}: {}",
        money(&donor, &server_total),
        money(&donor, &client_view.displayed_total),
        if server_total == client_view.displayed_total {
            "yes"
        } else {
            "NO"
        }
    );
    println!("  second sync sent {} donation(s)", again.sent);
    println!(
        "  organiser: reviewed, saw 5 donations, extended to 60 days, ended; a late donation refused: {}",
        if ended_ok { "yes" } else { "NO" }
    );
    println!(
        "  UK charity: a Gift Aid donation from a story-sticker link and one covering its fee, checked against the server and the ledger: {}",
        if giving_ok { "yes" } else { "NO" }
    );
    server.shutdown().await;
    if ok {
        println!("  DEMO OK");
        Ok(())
    } else {
        Err("the demo's final state is not what the story expects".into())
    }
}

/// Step 11: a UK charity's fundraiser shared as a story sticker; Gift Aid and fees before
/// paying; everything checked against the server. True when every check holds.
async fn giving(
    dir: &std::path::Path,
    url: &str,
    server: &fundkit_server::RunningServer,
) -> Result<bool> {
    use fundkit::{Charity, DonationSource, GiftAidAvailability, GiftAidDeclaration};
    println!("\n== 11. George (UK) raises for a registered charity; Dana gives from his story");
    let george = client_in(dir, "george", url, "dev-organiser-gb", "GB", "en-GB")?;
    let created = george
        .create_fundraiser(FundraiserDraft {
            kind: FundraiserKind::Nonprofit {
                nonprofit_id: "npo_st_hildas".into(),
            },
            category: Category::Community,
            title: "A new roof for St Hilda's Hospice".into(),
            story: "The hospice cares for 40 families a week. The roof leaks.".into(),
            goal: george.parse_amount("10,000".into(), "GBP".into())?,
            country: "GB".into(),
            charity: Some(Charity {
                name: "St Hilda's Hospice".into(),
                number: "1234567".into(),
            }),
        })
        .await?;
    let id = created.fundraiser.id.clone();
    reqwest::Client::new()
        .post(format!("{url}/v1/review/fundraisers/{id}"))
        .bearer_auth("dev-reviewer")
        .json(&serde_json::json!({ "decision": "approve" }))
        .send()
        .await?
        .error_for_status()?;
    let link = george
        .share_links(id.clone(), DonationSource::StorySticker)?
        .web;
    println!("  George shares a story sticker: {link}");

    let dana = client_in(dir, "dana", url, "dev-donor-2", "GB", "en-GB")?;
    let opened = dana.open_link(link).await?;
    println!(
        "  Dana taps it: {:?}, from {:?}",
        opened.fundraiser.fundraiser.title, opened.target.source
    );
    let declaration = GiftAidDeclaration {
        first_name: "Dana".into(),
        last_name: "Donor".into(),
        house: "12".into(),
        postcode: "sw1a 1aa".into(),
        lives_in_uk: true,
        uk_taxpayer: true,
        consent: true,
        wording_version: fundkit::rules::GIFT_AID_WORDING_VERSION.into(),
    };
    let gift = DonationRequest {
        fundraiser_id: id.clone(),
        amount: dana.parse_amount("20".into(), "GBP".into())?,
        message: Some("For the roof".into()),
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: Some(fundkit::new_donation_id()),
        cover_fee: false,
        gift_aid: Some(declaration),
        source: Some(opened.target.source),
    };
    let quote = dana.quote_donation(gift.clone())?;
    let fmt = |m: &Money| money(&dana, m);
    println!(
        "  before Confirm: gift {}, fees {} (kept from the gift), Dana pays {}, the charity receives {}",
        fmt(&quote.fees.amount),
        fmt(&quote.fees.fees),
        fmt(&quote.fees.donor_pays),
        fmt(&quote.fees.organiser_receives)
    );
    let gift_aid = quote.gift_aid_amount.clone().ok_or("no Gift Aid offered")?;
    println!("  Gift Aid: {:?}, adds {}", quote.gift_aid, fmt(&gift_aid));
    let first = dana.donate(gift)?;
    let covered = DonationRequest {
        fundraiser_id: id.clone(),
        amount: dana.parse_amount("10".into(), "GBP".into())?,
        message: None,
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: "tok_ok".into(),
        id: Some(fundkit::new_donation_id()),
        cover_fee: true,
        gift_aid: None,
        source: Some(opened.target.source),
    };
    let covered_quote = dana.quote_donation(covered.clone())?;
    println!(
        "  a second gift covering the fee: gift {}, Dana pays {}, the charity receives {}",
        fmt(&covered_quote.fees.amount),
        fmt(&covered_quote.fees.donor_pays),
        fmt(&covered_quote.fees.organiser_receives)
    );
    let second = dana.donate(covered)?;
    print_report(&dana.sync_now().await?);
    let states = (
        dana.donation(first.id.clone())?.map(|d| d.state),
        dana.donation(second.id.clone())?.map(|d| d.state),
    );

    // Checked against the server: the charity's figures, its export, the ledger.
    let mine = george.refresh_fundraiser(id.clone()).await?;
    let stats = mine
        .fundraiser
        .organiser_stats
        .clone()
        .ok_or("the organiser's figures are missing")?;
    println!(
        "  George sees: raised {}, receives {}, fees {}, Gift Aid on {} donation(s) ({} to claim), {} from story stickers",
        fmt(&mine.fundraiser.confirmed_total),
        fmt(&stats.receives),
        fmt(&stats.fees),
        stats.gift_aid_count,
        fmt(&stats.gift_aid_claimable),
        stats.from_story_sticker
    );
    let csv = reqwest::Client::new()
        .get(format!("{url}/v1/fundraisers/{id}/gift-aid.csv"))
        .bearer_auth("dev-organiser-gb")
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    println!("  the charity's Gift Aid export (HMRC schedule columns):");
    for line in csv.lines() {
        println!("    {line}");
    }
    let ledger = server.ledger_mismatches().await;
    println!(
        "  ledger: every total is what was charged for it: {}",
        ledger.is_empty()
    );
    Ok(states
        == (
            Some(DonationState::Confirmed),
            Some(DonationState::Confirmed),
        )
        && quote.gift_aid == GiftAidAvailability::Available
        && gift_aid.minor_units == 500
        && mine.fundraiser.confirmed_total.minor_units == 3_000
        && stats.gift_aid_count == 1
        && stats.gift_aid_claimable.minor_units == 500
        && stats.from_story_sticker == 2
        && stats.fees == quote.fees.fees
        && stats.receives.minor_units
            == quote.fees.organiser_receives.minor_units
                + covered_quote.fees.organiser_receives.minor_units
        && csv.lines().count() == 2
        // The claim is on the gift (20.00), never on a fee.
        && csv.lines().nth(1).is_some_and(|row| {
            row.starts_with(",Dana,Donor,12,SW1A 1AA,") && row.ends_with(",20.00")
        })
        && ledger.is_empty())
}
