//! The demo server's two drivers: WebSocket over TCP (tungstenite) and `--replay`.

use std::error::Error;
use std::io::{self, BufRead, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::StatusCode;
use tungstenite::{Message, WebSocket};
use xentara_ws::DataChange;
use xentara_ws::Seq;
use xentara_ws::session::{ServerConfig, ServerSession, SessionError};

use super::model::{Clock, DemoApp, Model, Shared, USER};
use super::text::{basic_auth, from_hex, to_hex};

/// The session the demo runs per connection: 8 sub-sessions, 16 subscriptions, 4 reply
/// messages of up to 64 responses and 16 KiB.
pub type Session = ServerSession<String, 8, 16, 4, 64, 16384>;
/// Stack for a connection's thread (the session is built on the stack before it is boxed).
const STACK: usize = 8 << 20;

/// The WebSocket path.
pub const PATH: &str = "/api/ws";
/// How long a connection may stay silent before the server closes it.
const IDLE: Duration = Duration::from_secs(300);
/// How often the server looks for due events while no message comes.
const POLL: Duration = Duration::from_millis(20);

fn new_session() -> Box<Session> {
    Box::new(ServerSession::new(ServerConfig::default()))
}

/// `--replay`: one hex message per input line; prints the hex of the reply message, or
/// `-` when none is due, flushed per line. Time stands still and the ids the server makes
/// are deterministic, so the output is reproducible.
pub fn replay(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let (model, clock) = Model::frozen();
    let mut app = DemoApp::new(model, clock, true);
    let mut session = new_session();
    let mut buf = vec![0u8; 1 << 17];
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

/// Serves WebSocket connections at [`PATH`] (plain `ws://`), one thread each, all on one
/// shared model. Returns after `limit` connections have ended (never when `None`).
pub fn serve(listener: TcpListener, limit: Option<usize>) -> io::Result<()> {
    let (model, clock) = Model::running();
    let mut threads = Vec::new();
    for (n, stream) in listener.incoming().enumerate() {
        let stream = stream?;
        let model = model.clone();
        let spawned = thread::Builder::new().stack_size(STACK).spawn(move || {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            match connection(stream, model, clock) {
                Ok(()) => eprintln!("{peer}: closed"),
                Err(e) => eprintln!("{peer}: {e}"),
            }
        });
        threads.push(spawned?);
        if limit.is_some_and(|limit| n + 1 >= limit) {
            break;
        }
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// Accepts the upgrade to WebSocket at [`PATH`]; a Basic `Authorization` header, when sent,
/// must carry `admin:admin`.
#[allow(clippy::result_large_err)] // the signature is tungstenite's `Callback`
fn upgrade(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    let refuse = |status, text: &str| {
        let mut r = ErrorResponse::new(Some(text.to_owned()));
        *r.status_mut() = status;
        Err(r)
    };
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

/// Serves one connection until the client closes it or stays silent for [`IDLE`].
fn connection(stream: TcpStream, model: Shared, clock: Clock) -> Result<(), Box<dyn Error>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut ws = tungstenite::accept_hdr(stream, upgrade)?;
    ws.get_ref().set_read_timeout(Some(POLL))?;
    let mut app = DemoApp::new(model, clock, false);
    let mut session = new_session();
    let mut buf = vec![0u8; 1 << 17];
    let mut last_heard = Instant::now();
    while last_heard.elapsed() < IDLE {
        match ws.read() {
            Ok(Message::Binary(message)) => {
                last_heard = Instant::now();
                let mut taken = session.handle_message(&message, &mut app);
                if let Err(SessionError::Busy { .. }) = taken {
                    // Everything is answered at once here, so sending frees the buffers.
                    flush(&mut ws, &mut session, &mut buf)?;
                    taken = session.handle_message(&message, &mut app);
                }
                if let Err(e) = taken {
                    eprintln!("message not taken: {e}");
                }
                flush(&mut ws, &mut session, &mut buf)?;
            }
            Ok(Message::Close(_)) => last_heard = Instant::now(),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        for due in app.due_events() {
            let changes: Vec<DataChange<'_>> = due
                .changes
                .iter()
                .map(|(element, values)| DataChange {
                    time: due.time,
                    element: *element,
                    values: Seq::from_slice(values),
                })
                .collect();
            match session.encode_events(&due.subscription, &changes, &mut buf) {
                Ok(n) => ws.send(Message::binary(buf[..n].to_vec()))?,
                Err(e) => eprintln!("event not sent: {e}"),
            }
        }
    }
    Ok(())
}

/// Sends every reply message that is due.
fn flush(
    ws: &mut WebSocket<TcpStream>,
    session: &mut Session,
    buf: &mut [u8],
) -> Result<(), Box<dyn Error>> {
    while let Some(n) = session.poll_transmit(buf)? {
        ws.send(Message::binary(buf[..n].to_vec()))?;
    }
    Ok(())
}
