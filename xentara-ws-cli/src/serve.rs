//! `serve`: the demo model's server, with the example server's limits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use xentara_ws_support::demo;
use xentara_ws_support::demo::server::Limits;

/// `serve [--listen ADDR] [--cert FILE --key FILE] [limits]`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; the API is at ws://ADDR/api/ws.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Serve wss:// with this PEM certificate chain (the server's own first).
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The largest WebSocket message or frame taken (a larger one closes with 1009).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_message: usize,
    /// Connections served at once (beyond them the upgrade gets HTTP 503).
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    max_connections: usize,
    /// How long each of the TLS and WebSocket handshakes may take.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    handshake_timeout: u64,
    /// Silence before the server closes a connection.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
    /// How long one message may wait for a client that does not read (then 1008).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    send_timeout: u64,
}

/// Runs `serve` until interrupted.
pub fn run(args: Args) -> Result<ExitCode, String> {
    let limits = Limits {
        max_message: args.max_message,
        max_connections: args.max_connections,
        handshake: Duration::from_secs(args.handshake_timeout),
        idle: Duration::from_secs(args.idle_timeout),
        send: Duration::from_secs(args.send_timeout),
        ..demo::server::limits()
    };
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            Some(xentara_ws_tokio::server_config(cert, key).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    demo::server::listen(&args.listen, tls, limits).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
