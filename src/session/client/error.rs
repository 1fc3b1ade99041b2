//! [`ClientError`]: why a client session call failed.

use core::fmt;

use crate::error::{DecodeError, EncodeError, ErrorCode};

/// Why a [`ClientSession`](super::ClientSession) call failed. Nothing changed in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ClientError {
    /// A received message is not an array of packets ([`Batch::new`](crate::Batch::new)
    /// refused it; `?` on it in a function returning `ClientError` gives this).
    Decode(DecodeError),
    /// The caller's buffer is too small; nothing was sent.
    Encode(EncodeError),
    /// Every pending-request entry is taken: the request was not added.
    PendingFull {
        /// The table's capacity (`PENDING`).
        capacity: usize,
    },
    /// The server refused the hello; open a new session.
    HelloRefused(ErrorCode),
    /// A second client_hello was submitted.
    DuplicateHello,
    /// The session was closed ([`ClientSession::close`](super::ClientSession::close), or
    /// its hello timed out): open a new one.
    Closed,
}

impl ClientError {
    /// The protocol error code closest to this error (-32603 for local conditions).
    pub const fn code(&self) -> ErrorCode {
        match self {
            ClientError::Decode(e) => e.code(),
            ClientError::DuplicateHello => ErrorCode::DuplicateClientHello,
            ClientError::HelloRefused(code) => *code,
            ClientError::Encode(_) | ClientError::PendingFull { .. } | ClientError::Closed => {
                ErrorCode::InternalError
            }
        }
    }
}

impl From<DecodeError> for ClientError {
    fn from(e: DecodeError) -> Self {
        ClientError::Decode(e)
    }
}

impl From<EncodeError> for ClientError {
    fn from(e: EncodeError) -> Self {
        ClientError::Encode(e)
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Decode(e) => write!(f, "{e}"),
            ClientError::Encode(e) => write!(f, "{e}"),
            ClientError::PendingFull { capacity } => {
                write!(f, "all {capacity} pending-request entries are taken")
            }
            ClientError::HelloRefused(code) => write!(f, "hello refused: {code}"),
            ClientError::DuplicateHello => f.write_str("client_hello was already sent"),
            ClientError::Closed => f.write_str("the session is closed"),
        }
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for ClientError {}
