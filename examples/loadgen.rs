//! A load generator for a Xentara WebSocket server (the demo server, or any that has
//! "Group 1.Data Point 1"): `xentara_ws_support::loadgen` says what each connection does
//! and what the JSON line on stdout holds.
//!
//! ```text
//! cargo run --release --example loadgen -- URL [--connections N] [--seconds S] [--ramp R]
//!     [--hostile KIND [--hostile-connections M] [--hostile-pause MS] [--oversize BYTES]]
//!     [--server-pid PID] [--insecure]
//! cargo run --release --example loadgen -- ws://127.0.0.1:8080/api/ws --connections 1000 --seconds 10
//! ```

use std::process::ExitCode;

use xentara_ws_support::loadgen::{USAGE, parse_args, run};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("loadgen: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = config.url.clone();
    let report = runtime.block_on(run(config));
    if let Some(e) = &report.connect_error {
        if report.connected == 0 {
            eprintln!("loadgen: cannot connect to {url}: {e}");
        } else {
            let n = report.connections - report.connected;
            eprintln!("loadgen: {n} connections could not connect; the first: {e}");
        }
    }
    if let Some(e) = &report.failure {
        let n = report.connected - report.completed;
        eprintln!("loadgen: {n} connections failed; the first: {e}");
    }
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    eprintln!(
        "loadgen: after the hold (write, unsubscribe): p50 {} ms, p99 {} ms",
        ms(report.steady_p50_ms),
        ms(report.steady_p99_ms)
    );
    println!("{}", report.json());
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
