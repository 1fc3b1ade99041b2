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

use std::hint::black_box;
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
    let m = message(name);
    let bytes = m.bytes.as_slice();
    let value = decode_ciborium(bytes).expect("ciborium decodes the message");
    let mut buf = [0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    let mut result = 0usize;
    for _ in 0..n {
        result = match mode {
            "decode-xentara" => decode_xentara(black_box(bytes)),
            "decode-minicbor-skip" => usize::from(skip_minicbor(black_box(bytes))),
            "decode-ciborium" => usize::from(decode_ciborium(black_box(bytes)).is_some()),
            "encode-xentara" => encode_xentara(black_box(&m.packets), &mut buf),
            "decode-minicbor-hand" => usize::from(decode_minicbor_seed(black_box(bytes)).is_some()),
            "decode-bytes" => usize::from(decode_bytes_seed(black_box(bytes)).is_some()),
            "skip-xentara" => usize::from(skip_xentara(black_box(bytes))),
            "encode-minicbor-hand" => {
                encode_minicbor_seed(black_box(SEED_ID), black_box(&SEED_UUID), &mut buf)
            }
            _ => encode_ciborium(black_box(&value), &mut out),
        };
    }
    println!("{name} {mode}: {result}");
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: instructions <message> <mode> <iterations> | --list");
    ExitCode::FAILURE
}
