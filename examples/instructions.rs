//! Runs one measured operation of `benches/codec.rs` N times, for instruction counting
//! under callgrind (`benches/instructions.sh` runs it with two values of N and divides the
//! difference, so set-up and process start cancel out).
//!
//! `instructions <message> <mode> <iterations>`, mode one of
//! `decode-xentara`, `decode-minicbor-skip`, `decode-ciborium`, `encode-xentara`,
//! `encode-ciborium`, `skip-xentara` (this crate's structural skip of the whole message,
//! beside minicbor's), and for the seed message `decode-minicbor-hand`, `decode-bytes` and
//! `encode-minicbor-hand` (the hand-written references). Prints the operation's result of
//! the last iteration.

use std::process::ExitCode;

use xentara_ws_support::bench::*;

/// The modes, in the order the script reports them.
const MODES: &[&str] = &[
    "decode-xentara",
    "decode-minicbor-skip",
    "decode-ciborium",
    "encode-xentara",
    "encode-ciborium",
    "decode-minicbor-hand",
    "decode-bytes",
    "encode-minicbor-hand",
    "skip-xentara",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, mode, n) = match args.as_slice() {
        [name, mode, n] if NAMES.iter().chain(SCALING).any(|m| m == name) => {
            match (MODES.contains(&mode.as_str()), n.parse::<u64>()) {
                (true, Ok(n)) => (name, mode.as_str(), n),
                _ => return usage(),
            }
        }
        [list] if list == "--list" => {
            println!("messages: {}", NAMES.join(" "));
            println!("scaling: {}", SCALING.join(" "));
            println!("modes: {}", MODES.join(" "));
            return ExitCode::SUCCESS;
        }
        _ => return usage(),
    };
    let result = repeat(&message(name), mode, n);
    println!("{name} {mode}: {result}");
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: instructions <message> <mode> <iterations> | --list");
    ExitCode::FAILURE
}
