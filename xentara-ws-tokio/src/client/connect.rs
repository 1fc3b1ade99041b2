//! Opening a connection: TCP, TLS for `wss://`, the WebSocket upgrade, then the
//! client_hello and its answer; [`Connector`] keeps what that needs, to do it again.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use xentara_ws::Batch;
use xentara_ws::session::{ClientConfig, ClientSession, Outcome};

use super::Session;
use super::target::Target;
use crate::tls::Trust;
use crate::{Error, Io};

/// How much of the socket one read takes.
const READ_BUFFER: usize = 8 * 1024;

/// The client's WebSocket stream, over TCP or TLS.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// What opening a connection needs: the first time and at each reconnect.
#[derive(Debug)]
pub(crate) struct Connector {
    pub(crate) url: String,
    /// Explicit credentials, over the URL's.
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) trust: Trust,
    pub(crate) config: ClientConfig,
    pub(crate) max_message: usize,
    /// TCP to the hello's answer.
    pub(crate) timeout: Duration,
}

impl Connector {
    /// The URL taken apart, with its credentials.
    pub(crate) fn target(&self) -> Result<Target, Error> {
        let credentials = self
            .credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()));
        Target::parse(&self.url, credentials)
    }

    /// A connection whose hello was answered, within the connect timeout.
    pub(crate) async fn connect(&self) -> Result<(Ws, Session), Error> {
        let target = self.target()?;
        let open = async {
            let mut ws = open(target, &self.trust, self.max_message).await?;
            let session = hello(&mut ws, self.config).await?;
            Ok((ws, session))
        };
        timeout(self.timeout, open)
            .await
            .map_err(|_| Error::ConnectTimeout)?
    }
}

/// TCP, TLS when the target says so, and the WebSocket upgrade.
async fn open(target: Target, trust: &Trust, max_message: usize) -> Result<Ws, Error> {
    let address = format!("{}:{}", target.host, target.port);
    let io = |source| Error::Io {
        address: address.clone(),
        source,
    };
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(io)?;
    tcp.set_nodelay(true).map_err(io)?;
    let stream: Box<dyn Io> = if target.tls {
        let name = ServerName::try_from(target.host.clone()).map_err(|e| Error::Url {
            url: address.clone(),
            reason: e.to_string(),
        })?;
        let connector = TlsConnector::from(trust.client_config()?);
        match connector.connect(name, tcp).await {
            Ok(tls) => Box::new(tls),
            Err(e) => return Err(tls_error(e, &address)),
        }
    } else {
        Box::new(tcp)
    };
    // A small read buffer: tungstenite prepares all of it for each read of the socket
    // (measured: more than a whole answer's handling at the default 128 KiB), and answers
    // are small; a large message takes more reads.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    match tokio_tungstenite::client_async_with_config(target.request, stream, Some(config)).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(response)) => Err(match response.status() {
            StatusCode::UNAUTHORIZED => Error::Unauthorized,
            StatusCode::NOT_FOUND => Error::NotFound { path: target.path },
            status => Error::Http {
                status: status.as_u16(),
            },
        }),
        Err(tungstenite::Error::Io(source)) => Err(Error::Io { address, source }),
        Err(e) => Err(Error::WebSocket(Box::new(e))),
    }
}

/// rustls' error when the handshake itself failed, else the I/O error.
fn tls_error(e: std::io::Error, address: &str) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => Error::Tls(tls.clone()),
        None => Error::Io {
            address: address.to_owned(),
            source: e,
        },
    }
}

/// Sends the client_hello and waits for its answer: the session is then ready.
async fn hello(ws: &mut Ws, config: ClientConfig) -> Result<Session, Error> {
    let mut session = ClientSession::with_config(config);
    let mut buf = [0u8; 64];
    let message = session
        .start_batch(&mut buf)
        .finish()
        .map_err(|e| Error::Encode(e.to_string()))?
        .to_vec();
    ws.send(Message::binary(message))
        .await
        .map_err(|_| Error::Closed)?;
    loop {
        let message = match ws.next().await {
            Some(Ok(Message::Binary(message))) => message,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(Error::Closed),
            Some(Ok(_)) => continue,
        };
        let batch = Batch::new(&message)?;
        let mut result = None;
        for outcome in session.handle_message(&batch) {
            match outcome {
                Outcome::Success { .. } => result = Some(Ok(())),
                Outcome::Error { error, .. } => {
                    result = Some(Err(crate::ErrorObject::from(error).into()))
                }
                Outcome::Invalid(e) => result = Some(Err(Error::Decode(e))),
                _ => {}
            }
        }
        match result {
            Some(Ok(())) => return Ok(session),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
}
