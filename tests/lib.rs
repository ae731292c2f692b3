//! End-to-end harness: the real reference server on loopback, FundKit clients on real
//! SQLite files, and a fault-injecting HTTP proxy between them. No mocks.

pub mod adversary;
pub mod feed;
pub mod proxy;
pub mod stub;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use fundkit::{
    AuthProvider, Beneficiary, Category, ClientConfig, Clock, DonationRequest, FundkitClient,
    FundraiserDraft, FundraiserKind, FundraiserView, Money, Platform, UserContext, Visibility,
};
pub use fundkit_server::{Database, RunningServer, ServerOptions};

/// A bearer token that the host app would take from its session.
pub struct Token(pub String);

impl AuthProvider for Token {
    fn access_token(&self, _force_refresh: bool) -> Option<String> {
        Some(self.0.clone())
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(pub AtomicI64);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ManualClock {
    pub fn system() -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(fundkit::SystemClock.now_ms())))
    }
    pub fn advance_hours(&self, hours: i64) {
        self.0.fetch_add(hours * 3_600_000, Ordering::SeqCst);
    }
}

pub async fn server() -> RunningServer {
    fundkit_server::start(ServerOptions {
        database: Database::for_test(),
        auto_approve: true,
        ..ServerOptions::default()
    })
    .await
    .expect("server starts")
}

pub async fn server_on_file(path: PathBuf) -> RunningServer {
    fundkit_server::start(ServerOptions {
        database: Database::durable_for_test(path),
        auto_approve: true,
        ..ServerOptions::default()
    })
    .await
    .expect("server starts")
}

/// One phone: its own SQLite file and client.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub client: Arc<FundkitClient>,
    pub token: String,
    pub url: String,
}

impl Device {
    pub fn new(url: &str, token: &str, country: &str) -> Device {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = ManualClock::system();
        let client = open_client(
            &dir.path().join("fundkit.db"),
            url,
            token,
            country,
            clock.clone(),
        );
        Device {
            dir,
            clock,
            client,
            token: token.into(),
            url: url.into(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("fundkit.db")
    }

    /// Drops the client and opens the same file again (an app restart). One client owns
    /// a file at a time, so the old one goes first: a stand-in on a scratch file holds its
    /// place in the meantime.
    pub fn restart(&mut self) {
        let stand_in = open_client(
            &self.dir.path().join("restarting.db"),
            &self.url,
            &self.token,
            "US",
            self.clock.clone(),
        );
        drop(std::mem::replace(&mut self.client, stand_in));
        self.client = open_client(
            &self.db_path(),
            &self.url,
            &self.token,
            "US",
            self.clock.clone(),
        );
    }

    pub fn donate(
        &self,
        fundraiser: &FundraiserView,
        cents: i64,
        token: &str,
    ) -> fundkit::Donation {
        self.client
            .donate(donation(fundraiser, cents, token))
            .expect("donation queued")
    }
}

/// The configuration every test device uses: Android, en-US, online, background sync off
/// (tests drive each pass with `sync_now`).
pub fn client_config(path: &std::path::Path, url: &str, country: &str) -> ClientConfig {
    ClientConfig {
        database_path: path.to_string_lossy().into_owned(),
        server_url: url.into(),
        user: UserContext {
            country: country.into(),
            platform: Platform::Android,
            age_years: Some(30),
        },
        locale: "en-US".into(),
        online: true,
        background_sync: false,
    }
}

pub fn open_client(
    path: &std::path::Path,
    url: &str,
    token: &str,
    country: &str,
    clock: Arc<ManualClock>,
) -> Arc<FundkitClient> {
    FundkitClient::with_clock(
        client_config(path, url, country),
        Arc::new(Token(token.into())),
        clock,
    )
    .expect("client opens")
}

pub fn donation(fundraiser: &FundraiserView, cents: i64, token: &str) -> DonationRequest {
    DonationRequest {
        fundraiser_id: fundraiser.fundraiser.id.clone(),
        amount: Money {
            minor_units: cents,
            currency: fundraiser.fundraiser.goal.currency.clone(),
        },
        message: Some("Good luck!".into()),
        visibility: Visibility::Public,
        hide_amount: false,
        payment_token: token.into(),
        id: None,
        cover_fee: false,
        gift_aid: None,
        source: None,
    }
}

pub fn draft(title: &str) -> FundraiserDraft {
    FundraiserDraft {
        kind: FundraiserKind::PersonalCause {
            beneficiary: Beneficiary::SomeoneElse,
        },
        category: Category::Community,
        title: title.into(),
        story: "A story worth telling.".into(),
        goal: Money {
            minor_units: 1_000_000,
            currency: "USD".into(),
        },
        country: "US".into(),
        charity: None,
    }
}

/// An organiser (dev-organiser, US) creates a fundraiser; returns it as the server has it.
pub async fn fundraiser(url: &str) -> FundraiserView {
    fundraiser_by(url, "dev-organiser", "US").await
}

pub async fn fundraiser_by(url: &str, token: &str, country: &str) -> FundraiserView {
    let organiser = Device::new(url, token, country);
    let mut d = draft("Community garden");
    d.country = country.into();
    d.goal.currency = fundkit::money::currency_for_country(country).expect("currency");
    organiser
        .client
        .create_fundraiser(d)
        .await
        .expect("fundraiser created")
}

/// A donor device that has the fundraiser in its cache.
pub async fn donor(url: &str, token: &str, fundraiser: &FundraiserView) -> Device {
    let device = Device::new(url, token, "US");
    device
        .client
        .refresh_fundraiser(fundraiser.fundraiser.id.clone())
        .await
        .expect("fundraiser fetched");
    device
}
