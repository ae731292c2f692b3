//! Payments the safe way, proven with real crashes: the reference server process aborts
//! right after recording a payment attempt, or right after the payment provider charged,
//! is restarted on the same database, and the client's retry completes the donation with
//! exactly one charge (the provider's ledger is keyed by the donation id) that counts once.

use std::path::Path;
use std::sync::Arc;

use fundkit_server::Database;

mod support;
use support::serve;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Token(&'static str);
impl fundkit::AuthProvider for Token {
    fn access_token(&self, _: bool) -> Option<String> {
        Some(self.0.into())
    }
}

fn client(url: &str, token: &'static str, db: &Path) -> Arc<fundkit::FundkitClient> {
    fundkit::FundkitClient::new(
        fundkit::ClientConfig {
            database_path: db.to_string_lossy().into_owned(),
            server_url: url.into(),
            user: fundkit::UserContext {
                country: "US".into(),
                platform: fundkit::Platform::Android,
                age_years: Some(30),
            },
            locale: "en-US".into(),
            online: true,
            background_sync: false,
        },
        Arc::new(Token(token)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_payment_steps_never_charges_twice() {
    for step in ["recorded", "charged"] {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::durable_for_test(dir.path().join("server.db"));
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut crashing = serve(&db, &format!("127.0.0.1:{port}"), Some(step)).0;

        let organiser = client(&url, "dev-organiser", &dir.path().join("organiser.db"));
        let fundraiser = organiser
            .create_fundraiser(fundkit::FundraiserDraft {
                kind: fundkit::FundraiserKind::BusinessProject,
                category: fundkit::Category::Business,
                title: "Crash-proof bakery".into(),
                story: "Ovens that survive power cuts.".into(),
                goal: fundkit::Money {
                    minor_units: 10_000_000,
                    currency: "USD".into(),
                },
                country: "US".into(),
                charity: None,
            })
            .await
            .unwrap();
        let id = fundraiser.fundraiser.id.clone();
        let donor = client(&url, "dev-donor-1", &dir.path().join("donor.db"));
        donor.refresh_fundraiser(id.clone()).await.unwrap();
        let d = donor
            .donate(fundkit::DonationRequest {
                fundraiser_id: id.clone(),
                amount: fundkit::Money {
                    minor_units: 4_200,
                    currency: "USD".into(),
                },
                message: None,
                visibility: fundkit::Visibility::Public,
                hide_amount: false,
                payment_token: "tok_ok".into(),
                id: None,
                cover_fee: false,
                gift_aid: None,
                source: None,
            })
            .unwrap();

        // The server dies between the steps, mid-request: the client hears nothing back.
        let report = donor.sync_now().await.unwrap();
        assert!(report.error.is_some(), "{step}: {report:?}");
        let status = crashing.wait().unwrap();
        assert!(!status.success(), "{step}: the server crashed on purpose");

        // Restarted on the same database: the retry completes it, once.
        let mut server = serve(&db, &format!("127.0.0.1:{port}"), None).0;
        let report = donor.sync_now().await.unwrap();
        assert_eq!((report.confirmed, report.error), (1, None), "{step}");
        let after = donor.donation(d.id.clone()).unwrap().unwrap();
        assert_eq!(after.state, fundkit::DonationState::Confirmed, "{step}");
        let view = organiser.refresh_fundraiser(id.clone()).await.unwrap();
        assert_eq!(
            (
                view.fundraiser.donation_count,
                view.fundraiser.confirmed_total.minor_units
            ),
            (1, 4_200),
            "{step}: counted once"
        );
        server.kill().unwrap();
        server.wait().unwrap();

        let keys = ledger_keys(&db).await;
        let (charges, key) = (keys.len(), keys.concat());
        assert_eq!(
            (charges, key),
            (1, d.id.clone()),
            "{step}: one charge, keyed by the donation id"
        );
        println!("payment crash test: crashed after {step}: 1 charge, counted once");
    }
}

/// The idempotency keys in the payment provider's ledger.
async fn ledger_keys(db: &Database) -> Vec<String> {
    const SQL: &str = "SELECT idem_key FROM psp_charges";
    match db {
        Database::Path(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare(SQL).unwrap();
            let keys = stmt.query_map([], |r| r.get(0)).unwrap();
            keys.collect::<Result<_, _>>().unwrap()
        }
        Database::Postgres { url, schema } => {
            let mut config: tokio_postgres::Config = url.parse().unwrap();
            config.options(format!(
                "-c search_path={}",
                schema.as_deref().unwrap_or("public")
            ));
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            let rows = client.query(SQL, &[]).await.unwrap();
            rows.iter().map(|r| r.get(0)).collect()
        }
        Database::Memory => unreachable!(),
    }
}
