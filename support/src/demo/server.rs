//! The demo server's two drivers: WebSocket over TCP or TLS (tokio + tokio-tungstenite,
//! tokio-rustls) and `--replay`.
//!
//! One task per connection waits for the next message or for the session's timer
//! ([`ServerSession::poll_timeout`]), whichever comes first: no fixed-interval polling.

use std::error::Error;
use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use xentara_ws::session::{ServerBuffers, ServerConfig, ServerError, ServerSession};

use super::model::{Clock, DemoApp, Model, Shared, USER};
use super::text::{basic_auth, from_hex, to_hex};

/// The session the demo runs per connection.
pub type Session<'a> = ServerSession<'a, DemoApp>;
/// Its storage: 4 reply messages of up to 32 responses and 4 KiB each, 8 sub-sessions, 16
/// subscriptions (about 18 KiB in all).
pub type Buffers = ServerBuffers<DemoApp, 16384, 128, 4, 8, 16>;

/// The WebSocket path.
pub const PATH: &str = "/api/ws";
/// What a client can make the server spend; the example server's flags set them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest WebSocket message (and frame) taken, in bytes: a larger one closes the
    /// connection with 1009 (message too big). `--max-message`.
    pub max_message: usize,
    /// How long the TLS and WebSocket handshakes may take, each. `--handshake-timeout`.
    pub handshake: Duration,
    /// How long a connection may stay silent before the server closes it.
    /// `--idle-timeout`.
    pub idle: Duration,
    /// Connections served at once: beyond them, an upgrade is answered with HTTP 503.
    /// `--max-connections`.
    pub max_connections: usize,
    /// How long sending one message (or flushing) may wait for a client that does not read:
    /// then the connection is closed (1008, when the close frame still gets through) and
    /// its memory freed. `--send-timeout`.
    pub send: Duration,
}

impl Default for Limits {
    /// 1 MiB messages, 10 s handshakes, 300 s of silence, 20,000 connections, 30 s to
    /// send a message.
    fn default() -> Self {
        Limits {
            max_message: 1 << 20,
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(300),
            max_connections: 20_000,
            send: Duration::from_secs(30),
        }
    }
}
/// The first size of a connection's output buffer (it grows when a message needs more).
const OUT: usize = 4096;

type BoxError = Box<dyn Error + Send + Sync>;

/// `--replay`: one hex message per input line; prints the hex of the reply message, or
/// `-` when none is due, flushed per line. Time stands still and the ids the server makes
/// are deterministic, so the output is reproducible.
pub fn replay(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let (model, clock) = Model::frozen();
    let mut app = DemoApp::new(model, clock, true);
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

/// Serves WebSocket connections at [`PATH`] (plain `ws://`), one task each, all on one
/// shared model, on a tokio runtime of its own. Returns after `limit` connections have
/// ended (never when `None`).
pub fn serve(listener: TcpListener, limit: Option<usize>) -> io::Result<()> {
    run(listener, limit, None, Limits::default())
}

/// [`serve`] over TLS (`wss://`): each connection's TLS handshake, then the same upgrade
/// and the same session. `tls` is made by [`super::tls::server_config`], say.
pub fn serve_tls(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Arc<rustls::ServerConfig>,
) -> io::Result<()> {
    run(
        listener,
        limit,
        Some(TlsAcceptor::from(tls)),
        Limits::default(),
    )
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

/// [`serve`] or [`serve_tls`] (when `tls` is given) within `limits`.
pub fn serve_with(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
) -> io::Result<()> {
    run(listener, limit, tls.map(TlsAcceptor::from), limits)
}

fn run(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Option<TlsAcceptor>,
    limits: Limits,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(accept(listener, limit, tls, limits))
}

async fn accept(
    listener: TcpListener,
    limit: Option<usize>,
    tls: Option<TlsAcceptor>,
    limits: Limits,
) -> io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let (model, clock) = Model::running();
    let mut tasks = tokio::task::JoinSet::new();
    let mut accepted = 0;
    // Connections being served (their tasks), for `max_connections`.
    let live = Arc::new(AtomicUsize::new(0));
    while limit.is_none_or(|limit| accepted < limit) {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, say: the connection waits in the backlog.
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        accepted += 1;
        let model = model.clone();
        let tls = tls.clone();
        let live = Arc::clone(&live);
        let full = live.fetch_add(1, Ordering::Relaxed) >= limits.max_connections;
        tasks.spawn(async move {
            let open = Open {
                model,
                clock,
                limits,
                full,
            };
            match secure(stream, tls, open).await {
                Ok(()) => {}
                Err(e) => eprintln!("{peer}: {e}"),
            }
            live.fetch_sub(1, Ordering::Relaxed);
        });
        // Reap what has ended, so the set does not grow with every connection.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// What a connection's task gets.
struct Open {
    model: Shared,
    clock: Clock,
    limits: Limits,
    /// `max_connections` were being served when it was accepted: its upgrade gets 503.
    full: bool,
}

/// Accepts the upgrade to WebSocket at [`PATH`]; a Basic `Authorization` header, when sent,
/// must carry `admin:admin`. When the server is `full`, 503.
#[allow(clippy::result_large_err)] // the signature is tungstenite's `Callback`
fn upgrade(full: bool, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    let refuse = |status, text: &str| {
        let mut r = ErrorResponse::new(Some(text.to_owned()));
        *r.status_mut() = status;
        Err(r)
    };
    if full {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many connections");
    }
    if request.uri().path() != PATH {
        return refuse(StatusCode::NOT_FOUND, "the API is at /api/ws");
    }
    match request.headers().get("authorization") {
        Some(value) if value.as_bytes() != basic_auth(USER, USER).as_bytes() => {
            refuse(StatusCode::UNAUTHORIZED, "bad credentials")
        }
        _ => Ok(response),
    }
}

/// Small WebSocket buffers: a server of many connections pays for them per connection.
/// Messages and frames up to `max_message` bytes.
fn ws_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Serves one TCP connection: over TLS first when `tls` is given.
async fn secure(stream: TcpStream, tls: Option<TlsAcceptor>, open: Open) -> Result<(), BoxError> {
    stream.set_nodelay(true)?;
    let Some(tls) = tls else {
        return connection(stream, open).await;
    };
    let stream = tokio::time::timeout(open.limits.handshake, tls.accept(stream))
        .await
        .map_err(|_| "TLS handshake timed out")?
        .map_err(|e| format!("TLS: {e}"))?;
    // Boxed: the TLS connection's future is larger, and a plain one need not carry its size.
    Box::pin(connection(stream, open)).await
}

/// Serves one connection, TCP or TLS, until the client closes it or stays silent for
/// [`Limits::idle`]. A text frame closes it with 1003, a message over
/// [`Limits::max_message`] with 1009.
async fn connection<S>(stream: S, open: Open) -> Result<(), BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let Open {
        model,
        clock,
        limits,
        full,
    } = open;
    #[allow(clippy::result_large_err)] // the signature is tungstenite's `Callback`
    let callback = move |request: &Request, response| upgrade(full, request, response);
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        callback,
        Some(ws_config(limits.max_message)),
    );
    let mut ws = tokio::time::timeout(limits.handshake, handshake)
        .await
        .map_err(|_| "handshake timed out")??;
    let mut app = DemoApp::new(model, clock, false);
    let mut buffers = Box::new(Buffers::new());
    let mut session: Session<'_> = ServerSession::new(ServerConfig::default(), buffers.storage());
    let mut out = vec![0u8; OUT];
    // The session's clock is the model's: milliseconds since it started.
    let start = Instant::now() - Duration::from_millis(app.now_ms());
    let mut last_heard = Instant::now();
    loop {
        // One timer: the session's (the model's changes are noted in it).
        let timer = session
            .poll_timeout()
            .map(|ms| start + Duration::from_millis(ms));
        let idle = last_heard + limits.idle;
        let wake = timer.map_or(idle, |t| t.min(idle));
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Binary(message))) => {
                    last_heard = Instant::now();
                    let taken = take(&mut ws, &mut session, &mut app, &message, &mut out);
                    match tokio::time::timeout(limits.send, taken).await {
                        Ok(taken) => taken?,
                        Err(_) => return stalled(&mut ws).await,
                    }
                }
                // tungstenite has queued the closing handshake's answer: send it.
                Some(Ok(Message::Close(_))) => {
                    let _ = ws.flush().await;
                    return Ok(());
                }
                None => return Ok(()),
                // The API is binary CBOR (spec 2): a text message is refused.
                Some(Ok(Message::Text(_))) => {
                    return refuse(&mut ws, CloseCode::Unsupported, "binary messages only").await;
                }
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(tungstenite::Error::Capacity(
                    CapacityError::MessageTooLong { .. },
                ))) => {
                    return refuse(&mut ws, CloseCode::Size, "message too big").await;
                }
                Some(Err(tungstenite::Error::ConnectionClosed)) => return Ok(()),
                // Gone without a close frame: nothing to answer.
                Some(Err(tungstenite::Error::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                ))) => return Ok(()),
                // Bytes that are not WebSocket frames (RFC 6455 7.4.1).
                Some(Err(tungstenite::Error::Protocol(e))) => {
                    refuse(&mut ws, CloseCode::Protocol, "not a WebSocket frame").await?;
                    return Err(format!("closed with 1002: {e}").into());
                }
                Some(Err(e)) => return Err(e.into()),
            },
            () = tokio::time::sleep_until(wake) => {
                if Instant::now() >= idle {
                    return Ok(());
                }
            }
        }
        let sent = send_events(&mut ws, &mut session, &mut app, &mut out);
        match tokio::time::timeout(limits.send, sent).await {
            Ok(sent) => sent?,
            Err(_) => return stalled(&mut ws).await,
        }
    }
}

/// Sends the events that are due, notes the next change to watch, flushes.
async fn send_events<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_>,
    app: &mut DemoApp,
    out: &mut [u8],
) -> Result<(), BoxError> {
    loop {
        let now = app.now_ms();
        match session.poll_events(now, out, |due, watch, events| app.fill(due, watch, events)) {
            Ok(Some(n)) => ws.feed(Message::binary(out[..n].to_vec())).await?,
            Ok(None) => break,
            Err(e) => eprintln!("events not sent: {e}"),
        }
    }
    // The next change of what the subscriptions cover (see `DemoApp::note_changes`).
    app.note_changes(session);
    ws.flush().await?;
    Ok(())
}

/// A client that has taken nothing for [`Limits::send`]: the connection closes. Its
/// events do not queue meanwhile — the session sends a subscription's latest values when
/// it is next due, and at most one message waits in tungstenite — so what it holds is
/// bounded (its session storage, one message, the kernel's socket buffers); the close
/// frees it. The 1008 close frame is tried for a second: a client that reads nothing
/// will not see it.
async fn stalled<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Result<(), BoxError> {
    let frame = CloseFrame {
        code: CloseCode::Policy,
        reason: "not reading".into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(Some(frame))).await;
    Err("the client takes nothing: closed (1008)".into())
}

/// Closes the connection with `code` and `reason`, waiting for the client's close at most
/// a second.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    code: CloseCode,
    reason: &'static str,
) -> Result<(), BoxError> {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = ws.close(Some(frame)).await;
    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    Ok(())
}

/// Hands a message to the session and sends its reply.
async fn take<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_>,
    app: &mut DemoApp,
    message: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), BoxError> {
    let mut taken = session.handle_message(message, app);
    if let Err(ServerError::Busy { .. }) = taken {
        // Everything is answered at once here, so sending frees the reply messages.
        transmit(ws, session, out).await?;
        taken = session.handle_message(message, app);
    }
    match taken {
        // More packets than one reply can answer: refused whole, as too big (1009).
        Err(e @ ServerError::MessageTooLarge { .. }) => {
            refuse(ws, CloseCode::Size, "too many packets in one message").await?;
            return Err(format!("closed with 1009: {e}").into());
        }
        Err(e) => eprintln!("message not taken: {e}"),
        Ok(_) => {}
    }
    transmit(ws, session, out).await
}

/// Queues every reply message that is due (growing `out` when one needs more room).
async fn transmit<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_>,
    out: &mut Vec<u8>,
) -> Result<(), BoxError> {
    loop {
        match session.poll_transmit(out) {
            Ok(Some(n)) => ws.feed(Message::binary(out[..n].to_vec())).await?,
            Ok(None) => return Ok(()),
            Err(ServerError::Encode(xentara_ws::EncodeError::BufferTooSmall { required })) => {
                out.resize(required, 0);
            }
            Err(e) => return Err(e.into()),
        }
    }
}
