//! Real `fundkit serve` processes for tests that kill them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use fundkit_server::Database;

/// Starts `fundkit serve` (auto-approve) on `addr` (`127.0.0.1:0` for any free port) over
/// `db`, and returns the process and the address it listens on once it does.
pub fn serve(db: &Database, addr: &str, crash_after: Option<&str>) -> (Child, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fundkit"));
    // It stops when its stdin closes: when the `Child` is dropped, even by a failing test.
    cmd.args([
        "serve",
        "--auto-approve",
        "--exit-with-stdin",
        "--addr",
        addr,
        "--db",
    ]);
    match db {
        Database::Path(path) => cmd.arg(path),
        Database::Postgres { url, schema } => cmd.arg(url).arg("--schema").args(schema),
        Database::Memory => unreachable!("a killed server needs a database that outlives it"),
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(step) = crash_after {
        cmd.args(["--crash-after", step]);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("FundKit reference server on http://")
        .unwrap_or_else(|| panic!("{first}"));
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (child, url.parse().unwrap())
}
