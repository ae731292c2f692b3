//! `fundkit-faulty-net`: the reference server behind the fault-injecting proxy
//! (`fundkit_e2e::proxy`), as a process, for end-to-end tests in other languages (the
//! Kotlin tests drive FundKit through OkHttp against it, as the Rust soak does through
//! reqwest).
//!
//! ```text
//! fundkit-faulty-net [--seed N] [--per-mille 250] [--rate-limit-per-minute N]
//!                    [--delay-ms N] [--offline-max-count N]
//! ```
//!
//! `--delay-ms N` replaces the faults by one: every request held N ms (a phone's round trip,
//! for benches; `--per-mille` then defaults to 1000). `--offline-max-count` is the server's
//! `limits.offline_max_count`, as `fundkit serve` takes it.
//!
//! It starts the reference server (SQLite in memory, fundraisers approved at once) and the
//! proxy in front of it, prints one line
//! `faulty net: server http://127.0.0.1:A proxy http://127.0.0.1:B seed N`, and from then on
//! each request through the proxy meets, with probability per-mille/1000, one fault drawn
//! with the seed from: dropped requests, dropped, cut and reset answers, requests delivered
//! twice, 500, 503 and 429 (with `Retry-After`), delays, partial and reordered batch
//! answers. Commands on standard input, one a line, each answered with one line of JSON:
//!
//! - `calm`: no more faults (answers `{"calm":true}`);
//! - `report`: `{"requests":R,"forwarded":F,"faults":{"kind":n,...},"ledger_mismatches":M}`,
//!   where M counts the fundraisers whose total differs from what the payment provider
//!   charged for them (money created or lost: 0 in a healthy run).
//!
//! It stops when standard input closes (the test process ended, however it ended).

use std::io::{BufRead, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

use fundkit_e2e::proxy::{self, Fault, Proxy};
use fundkit_server::{Database, ServerOptions};

fn arg(args: &[String], name: &str) -> Option<u64> {
    let at = args.iter().position(|a| a == name)?;
    let value = args
        .get(at + 1)
        .unwrap_or_else(|| usage(&format!("{name} needs a value")));
    Some(
        value
            .parse()
            .unwrap_or_else(|_| usage(&format!("{name}: not a number: {value}"))),
    )
}

fn usage(problem: &str) -> ! {
    eprintln!("fundkit-faulty-net: {problem}");
    eprintln!(
        "usage: fundkit-faulty-net [--seed N] [--per-mille 0..=1000] [--rate-limit-per-minute N] [--delay-ms N] [--offline-max-count N]"
    );
    std::process::exit(2);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for a in args.iter().filter(|a| a.starts_with("--")) {
        if ![
            "--seed",
            "--per-mille",
            "--rate-limit-per-minute",
            "--delay-ms",
            "--offline-max-count",
        ]
        .contains(&a.as_str())
        {
            usage(&format!("unknown option {a}"));
        }
    }
    let seed = arg(&args, "--seed").unwrap_or_else(rand::random);
    let delay = arg(&args, "--delay-ms").map(Duration::from_millis);
    let per_mille = arg(&args, "--per-mille").unwrap_or(if delay.is_some() { 1000 } else { 250 });
    if per_mille > 1000 {
        usage("--per-mille is at most 1000");
    }
    let mut options = ServerOptions {
        database: Database::Memory,
        auto_approve: true,
        rate_limit_per_minute: arg(&args, "--rate-limit-per-minute").map_or(6_000, |n| n as u32),
        ..ServerOptions::default()
    };
    if let Some(count) = arg(&args, "--offline-max-count") {
        options.config.limits.offline_max_count =
            u32::try_from(count).unwrap_or_else(|_| usage("--offline-max-count is too large"));
    }
    let server = fundkit_server::start(options)
        .await
        .expect("the reference server starts");
    let proxy = Proxy::start(server.addr()).await;
    let faults = match delay {
        Some(delay) => vec![Fault::Delay(delay)],
        None => {
            let mut faults = proxy::network_faults();
            faults.push(Fault::Status {
                code: 429,
                retry_after: Some(1),
            });
            faults.push(Fault::Delay(Duration::from_millis(200)));
            faults
        }
    };
    proxy.randomize(per_mille as u32, faults, seed);
    println!(
        "faulty net: server {} proxy {} seed {seed}",
        server.url(),
        proxy.url()
    );
    std::io::stdout().flush().ok();

    // Commands from standard input, read on a thread of their own.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
        // Closed: the receiver sees the channel end.
    });
    while let Some(line) = rx.recv().await {
        let answer = match line.trim() {
            "calm" => {
                proxy.calm();
                serde_json::json!({ "calm": true })
            }
            "report" => {
                let faults = proxy.counters.by_kind.lock().unwrap().clone();
                serde_json::json!({
                    "requests": proxy.counters.requests.load(Ordering::SeqCst),
                    "forwarded": proxy.counters.forwarded.load(Ordering::SeqCst),
                    "faults": faults,
                    "ledger_mismatches": server.ledger_mismatches().await.len(),
                })
            }
            "" => continue,
            other => serde_json::json!({ "error": format!("unknown command {other:?}") }),
        };
        println!("{answer}");
        std::io::stdout().flush().ok();
    }
    drop(proxy);
    server.shutdown().await;
}
