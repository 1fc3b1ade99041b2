//! `inspect` — decodes Xentara WebSocket messages given as hex and prints what they hold
//! (`xentara_ws_support::inspect` states the output's contract).
//!
//! ```text
//! cargo run --example inspect -- 81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8
//! printf '%s\n' 818300184108 818301184102 | cargo run --example inspect
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    ExitCode::from(xentara_ws_support::inspect::run(
        &args,
        std::io::stdin().lock(),
        &mut stdout.lock(),
    ))
}
