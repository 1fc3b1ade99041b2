//! A demo Xentara WebSocket server on an in-memory model.
//!
//! ```text
//! cargo run --example server -- --listen 127.0.0.1:8080   # ws://127.0.0.1:8080/api/ws
//! cargo run --example server -- --replay < messages.hex    # one hex message per line
//! ```
//!
//! The model: the root (nil UUID) → "Group 1" → "Group 1.Data Point 1" (UUID
//! e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8, an f64 that changes every 100 ms, writable) and
//! "Group 1.Data Point 2" (a read-only integer). Sub-sessions log in as admin/admin; so may
//! the connection's Basic `Authorization` header (it is optional).

mod demo;

use std::io;
use std::net::TcpListener;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--replay"] => demo::server::replay(io::stdin().lock(), io::stdout().lock()),
        [] => listen("127.0.0.1:8080"),
        ["--listen", addr] => listen(addr),
        _ => {
            eprintln!("usage: server [--listen ADDR | --replay]");
            return ExitCode::from(2);
        }
    };
    demo::exit_code("server", result)
}

fn listen(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    eprintln!(
        "serving ws://{}{}",
        listener.local_addr()?,
        demo::server::PATH
    );
    demo::server::serve(listener, None)
}
