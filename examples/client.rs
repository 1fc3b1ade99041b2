//! A demo Xentara WebSocket client: walks the demo server, watches a value, or replays
//! messages.
//!
//! ```text
//! cargo run --example client -- ws://127.0.0.1:8080/api/ws
//! cargo run --example client -- --ca cert.pem wss://admin:admin@localhost:8443/api/ws
//! cargo run --example client -- --insecure --user admin --password admin wss://xentara:8443/api/ws
//! cargo run --example client -- --watch 30 ws://127.0.0.1:8080/api/ws
//! cargo run --example client -- --replay < exchange.txt
//! ```
//!
//! `ws://` or `wss://`. Credentials (`--user`/`--password`, or `user:password@` in the
//! URL) go in a Basic `Authorization` header. A `wss://` server's certificate must come
//! from a public CA, or be (or be signed by) one in `--ca FILE` (PEM); `--insecure` takes
//! any. Each way of failing is one line on stderr and exit status 1.
//!
//! `--watch SECONDS` subscribes to Data Point 1's value and prints its events; when the
//! connection drops the client reconnects (0.5 s, doubling to 5 s), says hello and
//! subscribes again with the same subscription id.
//!
//! The walk and the watch are `xentara_ws_support::demo::client::{walk, watch}`: a few
//! lines each on `xentara_ws_tokio::Client`.
//!
//! In `--replay` mode each input line is `> HEX` (a client→server message: its requests
//! are submitted through the client session, which picks its own ids, and `sent HEX` shows
//! the message it made) or `< HEX` (a server→client message: one line per outcome,
//! `response <id> ok <diagnostic>`, `response <id> error <code> <message>`,
//! `event <diagnostic>` or `unexpected <id> <reason>`; or a single `reject <code>: <what>`
//! when the message is not valid).

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use xentara_ws_support::demo;
use xentara_ws_support::demo::client::Options;

const USAGE: &str = "usage: client [--user U [--password P]] [--ca FILE | --insecure] \
                     [--watch SECONDS] [URL]\n       client --replay";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--replay"] {
        let result = demo::client::replay(io::stdin().lock(), io::stdout().lock());
        return demo::exit_code("client", result);
    }
    let Some((url, options, watch)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut out = io::stdout();
    let result = match watch {
        None => demo::client::run_walk(&url, &options, &mut out),
        Some(duration) => demo::client::run_watch(&url, &options, duration, &mut out),
    };
    demo::exit_code("client", result)
}

/// The URL, the options and `--watch`'s duration; `None` for a bad command line.
fn parse(args: &[String]) -> Option<(String, Options, Option<Duration>)> {
    let mut options = Options::default();
    let mut url = None;
    let mut watch = None;
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        if options.take(arg, &mut args)? {
            continue;
        }
        match arg {
            "--watch" => {
                let seconds: f64 = args.next()?.parse().ok()?;
                watch = Some(Duration::try_from_secs_f64(seconds).ok()?);
            }
            _ if arg.starts_with("--") || url.is_some() => return None,
            _ => url = Some(arg.to_owned()),
        }
    }
    if !options.complete() {
        return None;
    }
    let url = url.unwrap_or_else(|| "ws://127.0.0.1:8080/api/ws".to_owned());
    Some((url, options, watch))
}
