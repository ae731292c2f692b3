//! One owner per database file, across processes: while one process has a FundKit client
//! on a file, another process opening it gets `DatabaseInUse` (the `fundkit` CLI says so
//! and fails), and the file is free again once the owner is gone, even killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use fundkit::FundkitError;
use fundkit_e2e::{client_config, donor, fundraiser, server, Device, Token};

fn open(
    db: &std::path::Path,
    url: &str,
) -> Result<std::sync::Arc<fundkit::FundkitClient>, FundkitError> {
    fundkit::FundkitClient::new(
        client_config(db, url, "US"),
        std::sync::Arc::new(Token("dev-donor-1".into())),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_one_database_is_refused() {
    let server = server().await;
    let url = server.url();
    let f = fundraiser(&url).await;
    // A donor's file with the fundraiser cached, then let go of.
    let Device { dir, client, .. } = donor(&url, "dev-donor-1", &f).await;
    drop(client);
    let db = dir.path().join("fundkit.db");

    // This process owns the file: the CLI, another process, is refused.
    let owner = open(&db, &url).expect("the first owner opens");
    let out = Command::new(env!("CARGO_BIN_EXE_fundkit"))
        .args(["queue", "--server", &url, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second process opened the file");
    assert!(
        stderr.contains("in use by another FundKit client"),
        "stderr: {stderr}"
    );
    drop(owner);
    let out = Command::new(env!("CARGO_BIN_EXE_fundkit"))
        .args(["queue", "--server", &url, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The CLI owns the file (donating in a loop): this process is refused, with the typed
    // error, until the CLI is killed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_fundkit"))
        .args(["donate", "--server", &url, "--fundraiser", &f.fundraiser.id])
        .args([
            "--amount",
            "1.00",
            "--count",
            "1000000",
            "--sync-every",
            "7",
            "--db",
        ])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read its output for as long as it runs (a closed pipe would end it).
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_default();
    assert!(!first.is_empty(), "the CLI donated");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the CLI is still running"
    );
    match open(&db, &url) {
        Err(FundkitError::DatabaseInUse { path }) => assert_eq!(path, db.to_string_lossy()),
        Err(e) => panic!("expected DatabaseInUse, got {e:?}"),
        Ok(_) => panic!("this process opened a file the CLI owns"),
    }
    assert!(child.try_wait().unwrap().is_none(), "the CLI ran all along");
    child.kill().unwrap(); // SIGKILL: the OS lets go of the lock with the process.
    child.wait().unwrap();
    reader.join().unwrap();
    let again = open(&db, &url).expect("free once the owner is gone");
    let made =
        again.pending_donations().unwrap().len() + again.past_donations(None, 10).unwrap().len();
    assert!(made > 0, "the CLI's donations are in the file");
}
