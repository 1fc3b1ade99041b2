//! A demo Xentara WebSocket server on an in-memory model.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:8080   # ws://127.0.0.1:8080/api/ws
//! cargo run --example server -- --listen 127.0.0.1:8443 --cert cert.pem --key key.pem
//!                                                          # wss://127.0.0.1:8443/api/ws
//! cargo run --example server -- --replay < messages.hex    # one hex message per line
//! ```
//!
//! `--cert` is a PEM certificate chain (the server's own first), `--key` its PEM private
//! key (PKCS#8, PKCS#1 RSA or SEC1 EC).
//!
//! What a client can make it spend (defaults in brackets): `--max-message BYTES` [1048576],
//! the largest WebSocket message or frame (a larger one closes with 1009);
//! `--max-connections N` [20000], connections served at once (beyond, HTTP 503);
//! `--handshake-timeout SECS` [10], each of the TLS and WebSocket handshakes;
//! `--idle-timeout SECS` [300], silence before the server closes; `--send-timeout SECS`
//! [30], how long one message may wait for a client that does not read (then the
//! connection closes, 1008). A text frame closes the connection with 1003 (the API is
//! binary), bytes that are not WebSocket frames with 1002; a binary message that is not
//! CBOR packets is answered with the spec's error (id 0), and the connection goes on.
//!
//! The model: the root (nil UUID) → "Group 1" → "Group 1.Data Point 1" (UUID
//! e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8, an f64 that changes every 100 ms, writable) and
//! "Group 1.Data Point 2" (a read-only integer). Sub-sessions log in as admin/admin; so may
//! the connection's Basic `Authorization` header (it is optional). The model
//! (`support/src/demo/model.rs`, a `xentara_ws_tokio::Model`) is served by
//! `xentara_ws_tokio::Server::model` (`support/src/demo/server.rs`).

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use xentara_ws_support::demo;
use xentara_ws_tokio::server_config;

const USAGE: &str = "usage: server [--listen ADDR] [--cert FILE --key FILE] [--max-message BYTES]
              [--max-connections N] [--handshake-timeout SECS] [--idle-timeout SECS]
              [--send-timeout SECS]
       server --replay";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--replay"] {
        let result = demo::server::replay(io::stdin().lock(), io::stdout().lock());
        return demo::exit_code("server", result);
    }
    let (mut addr, mut cert, mut key) = ("127.0.0.1:8080", None, None);
    let mut limits = demo::server::limits();
    let mut rest = args.iter().map(String::as_str);
    while let Some(arg) = rest.next() {
        let Some(value) = rest.next() else {
            return usage();
        };
        let number = || match value.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{arg} wants a positive number, not {value:?}")),
        };
        let parsed = match arg {
            "--listen" => {
                addr = value;
                Ok(())
            }
            "--cert" => {
                cert = Some(value);
                Ok(())
            }
            "--key" => {
                key = Some(value);
                Ok(())
            }
            "--max-message" => number().map(|n| limits.max_message = n as usize),
            "--max-connections" => number().map(|n| limits.max_connections = n as usize),
            "--handshake-timeout" => number().map(|n| limits.handshake = Duration::from_secs(n)),
            "--idle-timeout" => number().map(|n| limits.idle = Duration::from_secs(n)),
            "--send-timeout" => number().map(|n| limits.send = Duration::from_secs(n)),
            _ => return usage(),
        };
        if let Err(e) = parsed {
            eprintln!("server: {e}");
            return ExitCode::from(2);
        }
    }
    let result = match (cert, key) {
        (None, None) => demo::server::listen(addr, None, limits),
        (Some(cert), Some(key)) => match server_config(cert.as_ref(), key.as_ref()) {
            Ok(tls) => demo::server::listen(addr, Some(tls), limits),
            Err(e) => Err(io::Error::other(e)),
        },
        _ => return usage(),
    };
    demo::exit_code("server", result)
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
