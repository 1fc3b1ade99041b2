//! `xentara-ws`: one tool for the Xentara WebSocket API — decode messages, check a
//! server's conformance, call one command, watch values, serve the demo model, load a
//! server, and replay scripted exchanges through the session machines.
//!
//! Every failure to connect is one line on stderr and exit status 1; a bad command line
//! is exit status 2.

mod call;
mod check;
mod connect;
mod load;
mod names;
mod serve;
mod watch;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xentara_ws_support::{demo, inspect};

/// The Xentara WebSocket API from the command line.
#[derive(Debug, Parser)]
#[command(name = "xentara-ws", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode messages given as hex: every packet typed, or where it fails and why.
    ///
    /// One message from the arguments (all together), or one per line of stdin. Exit 1
    /// when a message does not decode.
    Inspect {
        /// The message's hex digits (spaces allowed); none: read stdin.
        hex: Vec<String>,
        /// One JSON object per message: its packets, typed fields, errors (kind, offset,
        /// field, id, code).
        #[arg(long, conflicts_with = "diag")]
        json: bool,
        /// The message in RFC 8949 diagnostic notation.
        #[arg(long)]
        diag: bool,
    },
    /// Check a server against the spec, case by case; exit 1 when a case fails.
    Check(check::Args),
    /// Send one request and print its typed answer.
    Call(call::Args),
    /// Subscribe to attributes of an element and print the events as they come,
    /// reconnecting when the connection drops.
    Watch(watch::Args),
    /// Serve the demo model: the root → "Group 1" → "Group 1.Data Point 1" (an f64 that
    /// changes every 100 ms, writable) and "Group 1.Data Point 2".
    Serve(serve::Args),
    /// Open many connections to a server, each walking hello, lookup, subscribe, write,
    /// unsubscribe; one JSON line at the end.
    Load(load::Args),
    /// Drive a session machine from hex messages on stdin, one per line.
    Replay {
        #[command(subcommand)]
        side: Side,
    },
}

#[derive(Debug, Subcommand)]
enum Side {
    /// The server machine of the demo model: each line a client message, printed the
    /// reply message.
    Server,
    /// The client machine: `> HEX` a message to send (its requests re-numbered by the
    /// machine), `< HEX` a message received (its typed outcomes printed).
    Client,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { hex, json, diag } => {
            let format = match (json, diag) {
                (true, _) => inspect::Format::Json,
                (_, true) => inspect::Format::Diag,
                _ => inspect::Format::Text,
            };
            let (input, mut out) = (io::stdin().lock(), io::stdout().lock());
            return ExitCode::from(inspect::run_as(format, &hex, input, &mut out));
        }
        Command::Check(args) => check::run(args),
        Command::Call(args) => call::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Load(args) => load::run(args),
        Command::Replay { side: Side::Server } => {
            demo::server::replay(io::stdin().lock(), io::stdout().lock())
                .map_err(|e| e.to_string())
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Replay { side: Side::Client } => {
            demo::client::replay(io::stdin().lock(), io::stdout().lock())
                .map_err(|e| e.to_string())
                .map(|()| ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("xentara-ws: {e}");
        ExitCode::FAILURE
    })
}

/// A runtime for one command.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}
