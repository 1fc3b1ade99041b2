//! [`Error`]: how a client call ends when it does not succeed.

use std::io;

use xentara_ws::{DecodeError, EncodeError, ErrorCode};

use crate::owned::ErrorObject;

/// Why a [`Client`](crate::Client) call failed: connecting (`Url` to `ConnectTimeout`),
/// or one request (`Server` to `Encode`). Every request ends with exactly one result:
/// its answer or one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot be used: not `ws://` or `wss://`, no host, bad credentials.
    #[error("{url}: {reason}")]
    Url {
        /// The URL, without its credentials.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TCP connection failed (refused, unreachable, reset during the handshakes).
    #[error("cannot connect to {address}: {source}")]
    Io {
        /// `host:port`.
        address: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The TLS handshake failed: an untrusted certificate, say.
    #[error("TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// The TLS configuration cannot be built (a CA file that cannot be read, say).
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// The server refused the credentials, or wants some (HTTP 401).
    #[error("the server refused the credentials (HTTP 401)")]
    Unauthorized,
    /// No WebSocket API at the URL's path (HTTP 404).
    #[error("no WebSocket API at {path} (HTTP 404)")]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The server refused the WebSocket upgrade with another HTTP status (503 when it
    /// serves too many connections, say).
    #[error("the server refused the WebSocket upgrade (HTTP {status})")]
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// The WebSocket handshake failed otherwise.
    #[error("WebSocket handshake: {0}")]
    WebSocket(#[source] Box<tokio_tungstenite::tungstenite::Error>),
    /// No connection within the connect timeout (TCP, TLS, WebSocket and hello).
    #[error("no connection within the connect timeout")]
    ConnectTimeout,
    /// The server answered the request with an error (client_hello's too).
    #[error("server error {}: {}", code.code(), message)]
    Server {
        /// The error code.
        code: ErrorCode,
        /// The server's message, or the code's standard one when it sent none.
        message: String,
    },
    /// No answer within the request timeout.
    #[error("the request timed out")]
    Timeout,
    /// The connection is closed (or was cut) before the answer came.
    #[error("the connection is closed")]
    Closed,
    /// The server's answer does not decode, or is not of the request's kind.
    #[error("the answer does not decode: {0}")]
    Decode(#[source] DecodeError),
    /// The server's answer is not of the request's kind.
    #[error("the answer is not of the request's kind")]
    UnexpectedAnswer,
    /// The request cannot be encoded: larger than the largest message, or a
    /// [`Value::Other`](crate::Value::Other) that is not one CBOR item.
    #[error("the request cannot be encoded: {0}")]
    Encode(String),
}

impl Error {
    /// The server's error code, for [`Error::Server`].
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<ErrorObject> for Error {
    fn from(e: ErrorObject) -> Self {
        let message = e.text().to_owned();
        Error::Server {
            code: e.code,
            message,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Error::Encode(e.to_string())
    }
}
