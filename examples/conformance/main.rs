//! A conformance runner: checks any Xentara WebSocket API server against the spec, case by
//! case (`xentara_ws_support::conformance` holds the cases and says what each line means).
//!
//! ```text
//! cargo run --example conformance -- ws://127.0.0.1:8080/api/ws
//! cargo run --example conformance -- --user admin --password admin --ca cert.pem \
//!     --json report.json wss://localhost:8443/api/ws
//! cargo run --example conformance -- --only 5.1 ws://127.0.0.1:8080/api/ws
//! ```

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(xentara_ws_support::conformance::run(
        &args,
        &mut io::stdout(),
    ))
}
