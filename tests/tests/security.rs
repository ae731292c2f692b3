//! Secrets stay secret (docs/design.md §3, invariant 7), end to end: neither the auth token nor
//! payment tokens appear in any log line (at TRACE, including the HTTP stack's) or in the
//! database once the server has answered; plain http to a non-loopback host is refused.
//! One test per binary: it installs the process-wide log subscriber.

use std::sync::{Arc, Mutex};

use fundkit::FundkitError;
use fundkit_e2e::*;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_or_on_disk_and_no_plain_http() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let server = server().await;
    let f = fundraiser(&server.url()).await;
    let donor = donor(&server.url(), "dev-donor-1", &f).await;
    let secret_payment = "tok_ok_PAYMENTSECRET42";
    for token in [secret_payment, "tok_declined", "tok_needs_action"] {
        donor.donate(&f, 1_234, token);
    }
    let report = donor.client.sync_now().await.unwrap();
    assert_eq!(report.sent, 3);

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("posting a donation batch"),
        "the test must see real log lines"
    );
    for secret in [
        "dev-donor-1",
        "dev-organiser",
        "Bearer",
        "PAYMENTSECRET42",
        "tok_declined",
        "tok_needs_action",
    ] {
        assert!(!logs.contains(secret), "{secret:?} appears in the logs");
    }

    // On disk: no payment token in any row, nor in the file's bytes, once answered.
    for suffix in ["", "-wal"] {
        let bytes =
            std::fs::read(format!("{}{suffix}", donor.db_path().display())).unwrap_or_default();
        for secret in [
            "PAYMENTSECRET42",
            "tok_declined",
            "tok_needs_action",
            "dev-donor-1",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in db{suffix}"
            );
        }
    }

    // Plain http is for loopback development only.
    let dir = tempfile::tempdir().unwrap();
    let config = client_config(
        &dir.path().join("x.db"),
        "http://fundraising.example.com",
        "US",
    );
    assert!(matches!(
        fundkit::FundkitClient::new(config, Arc::new(Token("t".into()))),
        Err(FundkitError::Configuration { .. })
    ));
}
