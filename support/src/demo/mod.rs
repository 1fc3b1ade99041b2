//! The demo shared by `examples/server.rs`, `examples/client.rs` and the end-to-end tests:
//! an in-memory model served over WebSocket (tokio-tungstenite; `wss://` with rustls), a
//! client that walks it or watches a value over reconnects, and the `--replay` drivers
//! that feed the session machines hex messages from stdin.

pub mod client;
pub mod model;
pub mod options;
pub mod server;
pub mod text;

/// The exit code for a finished `main`; errors go to stderr, prefixed with `name`.
pub fn exit_code<E: std::fmt::Display>(
    name: &str,
    result: Result<(), E>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
