//! One client (one SQLite file) against any server, and the server itself.

use std::net::SocketAddr;
use std::sync::Arc;

use fundkit::{
    Beneficiary, Category, ClientConfig, DonationRequest, FundkitClient, FundkitError,
    FundraiserDraft, FundraiserKind, Platform, SyncReport, UserContext, Visibility,
};
use fundkit_server::{Database, ServerOptions};

use crate::output::{auth, donation_line, fundraiser_line};
use crate::ClientArgs;

pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

pub fn open(args: &ClientArgs) -> Result<Arc<FundkitClient>> {
    let config = ClientConfig {
        database_path: args.db.to_string_lossy().into_owned(),
        server_url: args.server.clone(),
        user: UserContext {
            country: args.country.clone(),
            platform: Platform::Android,
            age_years: Some(30),
        },
        locale: "en-US".into(),
        online: !args.offline,
        background_sync: false,
    };
    Ok(FundkitClient::new(config, auth(&args.token))?)
}

// One argument per `fundkit serve` flag, as clap parsed them.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    addr: SocketAddr,
    db: Option<String>,
    schema: Option<String>,
    auto_approve: bool,
    public_url: Option<String>,
    crash_after: Option<String>,
    exit_with_stdin: bool,
    rate_limit_per_minute: u32,
    offline_max_count: Option<u32>,
    app_links: fundkit_server::AppLinks,
) -> Result {
    let database = match (db.as_deref().map(Database::parse), schema) {
        (None, _) => Database::Memory,
        (Some(Database::Postgres { url, .. }), schema) => Database::Postgres { url, schema },
        (Some(_), Some(_)) => return Err("--schema applies to a PostgreSQL --db only".into()),
        (Some(sqlite), None) => sqlite,
    };
    let crash_after = match crash_after.as_deref() {
        None => None,
        Some("recorded") => Some(fundkit_server::PaymentStep::Recorded),
        Some("charged") => Some(fundkit_server::PaymentStep::Charged),
        Some(other) => return Err(format!("--crash-after {other:?}: recorded or charged").into()),
    };
    let mut options = ServerOptions {
        addr,
        database,
        auto_approve,
        crash_after,
        public_url,
        rate_limit_per_minute,
        app_links,
        ..ServerOptions::default()
    };
    if let Some(count) = offline_max_count {
        options.config.limits.offline_max_count = count;
    }
    let server = fundkit_server::start(options).await?;
    println!("FundKit reference server on {}", server.url());
    println!("dev users (bearer tokens):");
    for u in fundkit_server::DEV_USERS {
        println!(
            "  {:<18} {} ({}, {})",
            u.token, u.name, u.country, u.age_years
        );
    }
    println!("Ctrl-C to stop.");
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    if exit_with_stdin {
        // A plain thread, not the runtime's blocking pool: nothing waits for it at exit.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            let _ = closed.send(());
        });
    } else {
        std::mem::forget(closed);
    }
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped?,
        _ = stdin_closed => {}
    }
    server.shutdown().await;
    Ok(())
}

pub async fn create(args: ClientArgs, title: String, story: String, goal: String) -> Result {
    let client = open(&args)?;
    let currency = fundkit::money::currency_for_country(&args.country)
        .ok_or("no currency for this country")?;
    let goal = client.parse_amount(goal, currency)?;
    let draft = FundraiserDraft {
        kind: FundraiserKind::PersonalCause {
            beneficiary: Beneficiary::Myself,
        },
        category: Category::Community,
        title,
        story,
        goal,
        country: args.country.clone(),
        charity: None,
    };
    let view = client.create_fundraiser(draft).await?;
    println!("created:\n{}", fundraiser_line(&client, &view));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn donate(
    args: ClientArgs,
    fundraiser: String,
    amount: String,
    payment: String,
    message: Option<String>,
    count: u32,
    sync_every: u32,
) -> Result {
    let client = open(&args)?;
    let view = match client.fundraiser(fundraiser.clone())? {
        Some(v) => v,
        None => client.refresh_fundraiser(fundraiser.clone()).await?,
    };
    let amount = client.parse_amount(amount, view.fundraiser.goal.currency.clone())?;
    for i in 1..=count {
        let request = DonationRequest {
            fundraiser_id: fundraiser.clone(),
            amount: amount.clone(),
            message: message.clone(),
            visibility: Visibility::Public,
            hide_amount: false,
            payment_token: payment.clone(),
            id: None,
            cover_fee: false,
            gift_aid: None,
            source: None,
        };
        let d = match client.donate(request.clone()) {
            // A full queue while syncing as we go: send what waits (as an app does when it
            // is back online), then queue this one. Without it, a run killed again and again
            // before its next sync fills the queue and never drains it.
            Err(FundkitError::OfflineLimit { .. }) if sync_every > 0 => {
                client.sync_now().await?;
                client.donate(request)?
            }
            other => other?,
        };
        // Printed only once `donate` returned, i.e. once the donation is on disk: the kill
        // test relies on this line.
        println!(
            "queued {} {} {}",
            d.id, d.amount.minor_units, d.amount.currency
        );
        if sync_every > 0 && i % sync_every == 0 {
            client.sync_now().await?;
        }
    }
    Ok(())
}

pub fn queue(args: ClientArgs) -> Result {
    let client = open(&args)?;
    println!("pending:");
    for d in client.pending_donations()? {
        println!("{}", donation_line(&client, &d));
    }
    println!("past (newest first):");
    for d in client.past_donations(None, 50)? {
        println!("{}", donation_line(&client, &d));
    }
    println!("fundraisers:");
    for v in client.fundraisers(20, 0)? {
        println!("{}", fundraiser_line(&client, &v));
    }
    Ok(())
}

pub async fn sync(args: ClientArgs) -> Result {
    let client = open(&args)?;
    let report = client.sync_now().await?;
    print_report(&report);
    for v in client.fundraisers(5, 0)? {
        println!("{}", fundraiser_line(&client, &v));
    }
    Ok(())
}

pub fn print_report(r: &SyncReport) {
    println!(
        "  sync: sent {}, confirmed {}, rejected {}, needs action {}, duplicates {}, expired {}, requeued {}, \
         fundraisers updated {}, own donations updated {}, still queued {}{}",
        r.sent,
        r.confirmed,
        r.rejected,
        r.needs_action,
        r.duplicates,
        r.expired,
        r.requeued,
        r.fundraisers_updated,
        r.own_donations_updated,
        r.remaining,
        r.error.as_ref().map(|e| format!(", error: {e}")).unwrap_or_default()
    );
}

/// `fundkit review`: the reviewer's queue, or one decision; an approval may record the
/// registered charity (name, number) the reviewer checked.
pub async fn review(
    server: String,
    token: String,
    approve: Option<String>,
    charity: Option<(String, String)>,
    remove: Option<String>,
    decline_edit: Option<String>,
    reason: Option<String>,
) -> Result {
    let http = reqwest::Client::new();
    let base = server.trim_end_matches('/');
    let decision = match (&approve, &remove, &decline_edit) {
        (Some(id), _, _) => {
            let mut body = serde_json::json!({ "decision": "approve" });
            if let Some((name, number)) = charity {
                body["charity"] = serde_json::json!({ "name": name, "number": number });
            }
            Some((id, body))
        }
        (None, Some(id), _) => Some((
            id,
            serde_json::json!({ "decision": "remove", "reason": reason }),
        )),
        (None, None, Some(id)) => Some((
            id,
            serde_json::json!({ "decision": "decline_edit", "reason": reason }),
        )),
        (None, None, None) => None,
    };
    let response = match decision {
        Some((id, body)) => {
            http.post(format!("{base}/v1/review/fundraisers/{id}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
        }
        None => {
            http.get(format!("{base}/v1/review/fundraisers"))
                .bearer_auth(&token)
                .send()
                .await?
        }
    };
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    if !status.is_success() {
        return Err(format!("the server refused ({status}): {body}").into());
    }
    match body.as_array() {
        Some(waiting) => {
            println!("{} fundraiser(s) waiting for review", waiting.len());
            for f in waiting {
                println!(
                    "  {}  {}  by {}",
                    f["id"].as_str().unwrap_or("?"),
                    f["title"].as_str().unwrap_or("?"),
                    f["organiser_name"].as_str().unwrap_or("?")
                );
                // The charity the organiser named, for the reviewer to check on the
                // regulator's register before approving.
                if let Some(charity) = charity_line(&f["charity"]) {
                    println!("      {charity}");
                }
                if let Some(edit) = f["pending_edit"].as_object() {
                    println!(
                        "      edit waiting: title {:?}",
                        edit.get("title").and_then(|t| t.as_str()).unwrap_or("?")
                    );
                }
            }
        }
        None => {
            println!(
                "{} is now {}",
                body["id"].as_str().unwrap_or("?"),
                body["state"].as_str().unwrap_or("?")
            );
            if let Some(charity) = charity_line(&body["charity"]) {
                println!("  {charity}");
            }
        }
    }
    Ok(())
}

/// "charity: NAME (registered number NUM)" for a fundraiser's charity, if it has one.
fn charity_line(charity: &serde_json::Value) -> Option<String> {
    let field = |name: &str| charity.get(name).and_then(|v| v.as_str()).unwrap_or("?");
    charity.as_object().map(|_| {
        format!(
            "charity: {} (registered number {})",
            field("name"),
            field("number")
        )
    })
}
