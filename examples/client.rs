//! A demo Xentara WebSocket client: walks the demo server, or replays messages.
//!
//! ```text
//! cargo run --example client -- ws://127.0.0.1:8080/api/ws
//! cargo run --example client -- --replay < exchange.txt
//! ```
//!
//! In `--replay` mode each input line is `> HEX` (a client→server message: its requests
//! are submitted through the client session, which picks its own ids, and `sent HEX` shows
//! the message it made) or `< HEX` (a server→client message: one line per outcome,
//! `response <id> ok <diagnostic>`, `response <id> error <code> <message>`,
//! `event <diagnostic>` or `unexpected <id> <reason>`; or a single `reject <code>: <what>`
//! when the message is not valid).

mod demo;

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--replay"] => {
            demo::client::replay(io::stdin().lock(), io::stdout().lock()).map_err(|e| e.into())
        }
        [] => demo::client::run("ws://127.0.0.1:8080/api/ws", &mut io::stdout()),
        [url] => demo::client::run(url, &mut io::stdout()),
        _ => {
            eprintln!("usage: client [URL | --replay]");
            return ExitCode::from(2);
        }
    };
    demo::exit_code("client", result)
}
