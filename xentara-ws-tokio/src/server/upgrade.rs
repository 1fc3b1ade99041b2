//! The HTTP upgrade to WebSocket: a request that is not one (400, 426), the path (404
//! otherwise), the connection limit (503), and the application made for the peer (401
//! when the factory refuses it).

use std::net::SocketAddr;

use base64::Engine;
use tokio::io::AsyncWriteExt;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::header::WWW_AUTHENTICATE;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::answers::{Answers, AnswersRx};
use super::head::{self, Prefixed};
use super::{Service, Shared};
use crate::Io;
use crate::time::after;

/// Who is connecting: what the application factory sees.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    /// The user and password of the request's Basic `Authorization` header, if any (a
    /// header of another scheme is not read: `None`).
    pub credentials: Option<(String, String)>,
    answers: Answers,
}

impl Peer {
    /// The connection's handle for answers given later: keep a clone in the application
    /// to answer requests it defers ([`Reply::later`](xentara_ws::session::Reply::later))
    /// from other tasks.
    pub fn answers(&self) -> Answers {
        self.answers.clone()
    }
}

/// The user and password of a Basic `Authorization` header (the scheme in any case, RFC
/// 7235); `Ok(None)` for another scheme, which this server does not read; `Err` for a
/// Basic header that does not decode.
fn basic(value: &[u8]) -> Result<Option<(String, String)>, ()> {
    let (scheme, token) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], value[space + 1..].trim_ascii()),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (user, password) = text.split_once(':').ok_or(())?;
    Ok(Some((user.to_owned(), password.to_owned())))
}

/// Small WebSocket buffers (a server of many connections pays for them per connection),
/// messages and frames up to `max_message` bytes.
fn ws_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Accepts the upgrade and makes the connection's application. A request that is not an
/// upgrade is answered (400, 426) and ends it.
pub(super) async fn accept<F, A, S>(
    mut stream: S,
    addr: SocketAddr,
    shared: &Shared<F>,
    full: bool,
) -> Result<(WebSocketStream<Prefixed<S>>, A, AnswersRx), String>
where
    F: Fn(&Peer) -> Option<A>,
    A: Service,
    S: Io,
{
    let timed_out = |_| "WebSocket handshake timed out".to_owned();
    let deadline = after(Instant::now(), shared.limits.handshake);
    let head = timeout_at(deadline, head::read(&mut stream))
        .await
        .map_err(timed_out)?
        .map_err(|e| format!("reading the request: {e}"))?;
    if let Some(answer) = head::refusal(&head) {
        let _ = timeout_at(deadline, async {
            stream.write_all(answer.as_bytes()).await?;
            stream.shutdown().await
        })
        .await;
        return Err("not a WebSocket upgrade request".to_owned());
    }
    let stream = Prefixed::new(head, stream);
    let mut app = None;
    let (answers, answers_rx) = Answers::new();
    #[allow(clippy::result_large_err)] // the signature is tungstenite's `Callback`
    let callback = |request: &Request, response: Response| {
        let refuse = |status, text: &str| {
            let mut r = ErrorResponse::new(Some(text.to_owned()));
            *r.status_mut() = status;
            if status == StatusCode::UNAUTHORIZED {
                // What a client is to answer with (RFC 7235 3.1).
                let challenge = HeaderValue::from_static("Basic realm=\"Xentara\"");
                r.headers_mut().insert(WWW_AUTHENTICATE, challenge);
            }
            Err(r)
        };
        if full {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many connections");
        }
        if request.uri().path() != shared.path {
            return refuse(StatusCode::NOT_FOUND, "no WebSocket API at this path");
        }
        let credentials = match request.headers().get("authorization") {
            None => None,
            Some(value) => match basic(value.as_bytes()) {
                Ok(credentials) => credentials,
                Err(()) => return refuse(StatusCode::UNAUTHORIZED, "bad credentials"),
            },
        };
        let peer = Peer {
            addr,
            credentials,
            answers,
        };
        match (shared.factory)(&peer) {
            Some(made) => {
                app = Some(made);
                Ok(response)
            }
            None => refuse(StatusCode::UNAUTHORIZED, "bad credentials"),
        }
    };
    let config = Some(ws_config(shared.limits.max_message));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, config);
    let ws = timeout_at(deadline, handshake)
        .await
        .map_err(timed_out)?
        .map_err(|e| format!("WebSocket handshake: {e}"))?;
    match app {
        Some(app) => Ok((ws, app, answers_rx)),
        None => Err("no application".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::basic;

    #[test]
    fn basic_credentials_are_decoded() {
        let admin = Ok(Some(("admin".to_owned(), "a:b".to_owned())));
        assert_eq!(basic(b"Basic YWRtaW46YTpi"), admin);
        assert_eq!(basic(b"basic  YWRtaW46YTpi "), admin);
        assert_eq!(basic(b"BASIC YWRtaW46YTpi"), admin);
        // Another scheme is not this server's to read.
        assert_eq!(basic(b"Bearer x"), Ok(None));
        assert_eq!(basic(b"Basic !!"), Err(()));
        assert_eq!(basic(b"Basic"), Err(()));
        assert_eq!(basic(b"Basic YWRtaW4="), Err(())); // no colon
    }
}
