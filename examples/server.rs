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
//! The model: the root (nil UUID) → "Group 1" → "Group 1.Data Point 1" (UUID
//! e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8, an f64 that changes every 100 ms, writable) and
//! "Group 1.Data Point 2" (a read-only integer). Sub-sessions log in as admin/admin; so may
//! the connection's Basic `Authorization` header (it is optional).

mod demo;

use std::io;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str =
    "usage: server [--listen ADDR] [--cert FILE --key FILE]\n       server --replay";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--replay"] {
        let result = demo::server::replay(io::stdin().lock(), io::stdout().lock());
        return demo::exit_code("server", result);
    }
    let (mut addr, mut cert, mut key) = ("127.0.0.1:8080", None, None);
    let mut rest = args.iter().map(String::as_str);
    while let Some(arg) = rest.next() {
        let slot = match arg {
            "--listen" => &mut addr,
            "--cert" => cert.insert(""),
            "--key" => key.insert(""),
            _ => return usage(),
        };
        match rest.next() {
            Some(value) => *slot = value,
            None => return usage(),
        }
    }
    let result = match (cert, key) {
        (None, None) => listen(addr, None),
        (Some(cert), Some(key)) => match demo::tls::server_config(cert.as_ref(), key.as_ref()) {
            Ok(tls) => listen(addr, Some(tls)),
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

fn listen(addr: &str, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let local = listener.local_addr()?;
    eprintln!("serving {scheme}://{local}{}", demo::server::PATH);
    match tls {
        None => demo::server::serve(listener, None),
        Some(tls) => demo::server::serve_tls(listener, None, tls),
    }
}
