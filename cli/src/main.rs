//! `fundkit`: the FundKit core from a terminal.
//!
//! * `fundkit demo`: the whole story on this machine (reference server + SQLite).
//! * `fundkit serve`: the reference server on a port, for an app or another client.
//! * `fundkit fundraiser create|show`, `fundkit donate`, `fundkit queue`, `fundkit sync`:
//!   one client (one SQLite file) against any server URL.

mod commands;
mod demo;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fundkit", version, about = "FundKit from a terminal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How a client command reaches its server and its local database.
#[derive(clap::Args, Clone)]
pub struct ClientArgs {
    /// Base URL of the server (https, or http to loopback).
    #[arg(long, env = "FUNDKIT_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Bearer token of the user (the reference server's dev users: dev-organiser, dev-donor-1, ...).
    #[arg(long, env = "FUNDKIT_TOKEN", default_value = "dev-donor-1")]
    pub token: String,
    /// The client's SQLite file.
    #[arg(long, env = "FUNDKIT_DB", default_value = "fundkit-client.db")]
    pub db: PathBuf,
    /// The user's country (ISO 3166-1 alpha-2).
    #[arg(long, default_value = "US")]
    pub country: String,
    /// Start offline: donations stay queued until `fundkit sync`.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the end-to-end demo: server, organiser, offline donor, sync.
    Demo {
        /// Keep the demo's databases in this directory instead of a temporary one.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Runs the reference server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Where the data lives: `postgres://user@host/db` for PostgreSQL (any number of
        /// instances may share it), a file path for SQLite; SQLite in memory when absent.
        #[arg(long)]
        db: Option<String>,
        /// PostgreSQL only: keep every table in this schema (made if missing).
        #[arg(long, requires = "db")]
        schema: Option<String>,
        /// New fundraisers and edits go live at once, without review (demos and app
        /// development).
        #[arg(long)]
        auto_approve: bool,
        /// The server's public base URL (where donors' browsers reach its bank pages);
        /// its listening address when absent.
        #[arg(long)]
        public_url: Option<String>,
        /// Tests only: abort right after a payment step (`recorded` or `charged`).
        #[arg(long, hide = true)]
        crash_after: Option<String>,
        /// Tests only: stop when standard input closes, i.e. when the test process that
        /// started it (holding the pipe) ends, however it ends.
        #[arg(long, hide = true)]
        exit_with_stdin: bool,
        /// Requests a user (or an anonymous peer) may make per minute, in a burst refilled
        /// evenly; past it a 429 with Retry-After. 0 turns the limit off. Tests lower it to
        /// see a client honour Retry-After.
        #[arg(long, default_value_t = 6_000)]
        rate_limit_per_minute: u32,
        /// Benchmarks only: how many donations a device may hold queued (the server's
        /// `limits.offline_max_count`, 50 by default).
        #[arg(long, hide = true)]
        offline_max_count: Option<u32>,
        /// The Android app that opens share links (`/.well-known/assetlinks.json`).
        #[arg(long, default_value = "dev.fundkit.app")]
        android_package: String,
        /// SHA-256 fingerprint of the Android app's signing certificate (`AA:BB:...`);
        /// repeat for each certificate.
        #[arg(long = "android-cert-sha256")]
        android_cert_sha256: Vec<String>,
        /// The iOS app that opens share links (`TEAMID.bundle.id`,
        /// `/.well-known/apple-app-site-association`); repeat for several.
        #[arg(long = "apple-app-id")]
        apple_app_id: Vec<String>,
    },
    /// Reviews fundraisers (as the dev reviewer): lists those waiting, approves or removes one.
    Review {
        /// Base URL of the server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The reviewer's bearer token.
        #[arg(long, default_value = "dev-reviewer")]
        token: String,
        /// Approve this fundraiser (new), or the edit of its text waiting for review.
        #[arg(long, conflicts_with_all = ["remove", "decline_edit"])]
        approve: Option<String>,
        /// With --approve: the registered UK charity you checked on the regulator's
        /// register (its name; with --charity-number). Gift Aid then applies.
        #[arg(
            long,
            requires_all = ["approve", "charity_number"],
            conflicts_with_all = ["remove", "decline_edit"]
        )]
        charity_name: Option<String>,
        /// With --approve: the charity's registration number (England and Wales 6-7
        /// digits, Scotland SC + 6, Northern Ireland NIC + 6; with --charity-name).
        #[arg(
            long,
            requires_all = ["approve", "charity_name"],
            conflicts_with_all = ["remove", "decline_edit"]
        )]
        charity_number: Option<String>,
        /// Remove this fundraiser (with --reason, which its organiser is told).
        #[arg(long, requires = "reason", conflicts_with = "decline_edit")]
        remove: Option<String>,
        /// Decline the edit of this fundraiser's text waiting for review (with --reason).
        #[arg(long, requires = "reason")]
        decline_edit: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Creates a fundraiser (as an organiser).
    Create {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "A story worth telling.")]
        story: String,
        /// Goal as typed by a person, e.g. "5,000".
        #[arg(long)]
        goal: String,
    },
    /// Queues donations to a fundraiser (sent at once when online).
    Donate {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        fundraiser: String,
        /// Amount as typed by a person, e.g. "25" or "$12.50".
        #[arg(long)]
        amount: String,
        /// Payment-sheet token: tok_ok, tok_declined, tok_needs_action, tok_expired.
        #[arg(long, default_value = "tok_ok")]
        payment: String,
        #[arg(long)]
        message: Option<String>,
        /// How many donations to queue (printing each id once it is on disk).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Run a sync pass after every N donations (0: never).
        #[arg(long, default_value_t = 0)]
        sync_every: u32,
    },
    /// Lists the local queue and recent donations.
    Queue {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Runs one sync pass and prints its report.
    Sync {
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FUNDKIT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { dir } => demo::run(dir).await,
        Command::Serve {
            addr,
            db,
            schema,
            auto_approve,
            public_url,
            crash_after,
            exit_with_stdin,
            rate_limit_per_minute,
            offline_max_count,
            android_package,
            android_cert_sha256,
            apple_app_id,
        } => {
            let mut app_links = fundkit_server::AppLinks {
                android_package,
                android_cert_sha256,
                ..Default::default()
            };
            if !apple_app_id.is_empty() {
                app_links.apple_app_ids = apple_app_id;
            }
            commands::serve(
                addr,
                db,
                schema,
                auto_approve,
                public_url,
                crash_after,
                exit_with_stdin,
                rate_limit_per_minute,
                offline_max_count,
                app_links,
            )
            .await
        }
        Command::Review {
            server,
            token,
            approve,
            charity_name,
            charity_number,
            remove,
            decline_edit,
            reason,
        } => {
            let charity = charity_name.zip(charity_number);
            commands::review(
                server,
                token,
                approve,
                charity,
                remove,
                decline_edit,
                reason,
            )
            .await
        }
        Command::Create {
            client,
            title,
            story,
            goal,
        } => commands::create(client, title, story, goal).await,
        Command::Donate {
            client,
            fundraiser,
            amount,
            payment,
            message,
            count,
            sync_every,
        } => {
            commands::donate(
                client, fundraiser, amount, payment, message, count, sync_every,
            )
            .await
        }
        Command::Queue { client } => commands::queue(client),
        Command::Sync { client } => commands::sync(client).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
