//! The demo server: the demo [`Demo`] model served by `xentara_ws_tokio`'s [`Server`]
//! (`ws://`, or `wss://` with rustls), and `--replay`, which drives the same
//! [`ModelService`] without a network.

use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use xentara_ws::session::{ServerBuffers, ServerConfig, ServerSession};
use xentara_ws_tokio::{ModelService, Server};

use super::model::Demo;
use super::text::{from_hex, to_hex};

/// What a client can make the server spend; the example server's flags set them.
pub use xentara_ws_tokio::Limits;

/// The example server's limits: [`Limits::default`], with reply messages of 4 KiB and 32
/// requests (16 KiB and 128 requests in all): a connection's reply storage is 18 KiB
/// rather than 72, which 10,000 connections feel.
pub fn limits() -> Limits {
    Limits {
        reply_bytes: 4096,
        requests_per_message: 32,
        ..Limits::default()
    }
}

/// The session `--replay` drives.
pub type Session<'a> = ServerSession<'a, ModelService<Demo>>;
/// Its storage: 4 reply messages of up to 128 responses and 16 KiB each, 8 sub-sessions,
/// 16 subscriptions.
pub type Buffers = ServerBuffers<ModelService<Demo>, 16384, 128, 4, 8, 16>;

/// The WebSocket path.
pub const PATH: &str = "/api/ws";

/// `--replay`: one hex message per input line; prints the hex of the reply message, or
/// `-` when none is due, flushed per line. Time stands still and the ids the server makes
/// are deterministic, so the output is reproducible.
pub fn replay(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut app = ModelService::new(Arc::new(Demo::frozen()), None);
    let mut buffers = Box::new(Buffers::new());
    let mut session: Session<'_> = ServerSession::new(ServerConfig::default(), buffers.storage());
    let mut buf = vec![0u8; 1 << 16];
    for line in input.lines() {
        let line = line?;
        let reply = match from_hex(line.trim()) {
            Some(message) => match session.handle_message(&message, &mut app) {
                Ok(_) => session.poll_transmit(&mut buf).ok().flatten(),
                Err(e) => {
                    eprintln!("message not taken: {e}");
                    None
                }
            },
            None => {
                eprintln!("not a hex line: {line:?}");
                None
            }
        };
        match reply {
            Some(n) => writeln!(output, "{}", to_hex(&buf[..n]))?,
            None => writeln!(output, "-")?,
        }
        output.flush()?;
    }
    Ok(())
}

/// Serves WebSocket connections at [`PATH`] (plain `ws://`), all on one shared model, on
/// a tokio runtime of its own. Returns once `limit` connections have asked to be admitted
/// (their upgrade reached the credentials check) and every connection has ended; never
/// when `None`.
pub fn serve(listener: TcpListener, limit: Option<usize>) -> io::Result<()> {
    serve_with(listener, limit, None, limits())
}

/// [`serve`] over TLS (`wss://`): each connection's TLS handshake, then the same upgrade
/// and the same session. `tls` is made by `xentara_ws_tokio::server_config`, say.
pub fn serve_tls(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Arc<rustls::ServerConfig>,
) -> io::Result<()> {
    serve_with(listener, limit, Some(tls), limits())
}

/// Binds `addr`, says on stderr where it serves, and serves there within `limits`
/// ([`serve_with`]): the example server's `main`.
pub fn listen(
    addr: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let local = listener.local_addr()?;
    eprintln!("serving {scheme}://{local}{PATH}");
    serve_with(listener, None, tls, limits)
}

/// [`serve`] or [`serve_tls`] (when `tls` is given) within `limits` (the example
/// server's: [`limits`] and its flags).
pub fn serve_with(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let model = Arc::new(Demo::running());
        let mut builder = Server::model(model.clone()).path(PATH).limits(limits);
        if let Some(tls) = tls {
            builder = builder.tls(tls);
        }
        let server = builder.serve(listener)?;
        let Some(limit) = limit else {
            return std::future::pending().await;
        };
        while model.asked() < limit || server.connections() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.shutdown(Duration::from_secs(1)).await;
        Ok(())
    })
}
