//! Session state machines: the protocol rules on top of the codec (spec sections 2, 4, 5).
//!
//! ```text
//! bytes ─► batch ─► session ─► your application
//! bytes ◄─ batch ◄─ session ◄─ your application
//! ```
//!
//! - [`ServerSession`]: hello first, version negotiation, one reply message per request
//!   message (responses in request order), sub-sessions, subscriptions, events.
//! - [`ClientSession`]: the hello, message ids, batching, and typing each response by the
//!   opcode of the request it answers.
//!
//! Both are sans-I/O in the manner of quinn-proto and rustls: they never touch a socket or a
//! clock and never allocate. You hand in a received message (`&[u8]`) and pull encoded
//! messages out into your own buffer, or get typed, `#[must_use]` outcomes. No input makes
//! them panic; every limit is a const generic and running into one is a [`SessionError`] or
//! an error packet, never a dropped request.
//!
//! # Driving a server
//!
//! ```
//! use xentara_ws::op::params::Credentials;
//! use xentara_ws::session::{AppRequest, Application, IdKind, Replied, Reply, ServerSession};
//! use xentara_ws::{Command, ErrorCode, Response, Uuid};
//!
//! struct App;
//! impl Application for App {
//!     type Identity = ();
//!     fn authenticate(&mut self, _: &Credentials<'_>) -> Result<(), ErrorCode> {
//!         Err(ErrorCode::AccessDenied)
//!     }
//!     fn fresh_id(&mut self, _: IdKind) -> Uuid {
//!         Uuid::from_u128(1)
//!     }
//!     fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_>) -> Replied {
//!         match request.command {
//!             Command::GetStage(_) => reply.ok(Response::GetStage(2u64.into())),
//!             _ => reply.error(ErrorCode::UnknownElement),
//!         }
//!     }
//! }
//!
//! let mut server: ServerSession = ServerSession::default();
//! // [[0, 1, 14, {0: 1, 1: 1}], [0, 2, 8]]: client_hello, then get_stage.
//! let message = [0x82, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01, 0x83, 0x00, 0x02, 0x08];
//! let received = server.handle_message(&message, &mut App)?;
//! assert_eq!(received.packets, 2);
//! let mut out = [0u8; 64];
//! let n = server.poll_transmit(&mut out)?.expect("a reply is due");
//! // [[1, 1, {0: 1}], [1, 2, 2]]
//! assert_eq!(&out[..n], [0x82, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x01, 0x02, 0x02]);
//! # Ok::<(), xentara_ws::session::SessionError>(())
//! ```
//!
//! # Driving a client
//!
//! ```
//! use xentara_ws::op::params::Lookup;
//! use xentara_ws::session::{ClientSession, Outcome};
//! use xentara_ws::{Response, Text};
//!
//! let mut client: ClientSession = ClientSession::default();
//! let mut out = [0u8; 64];
//! let mut batch = client.start_batch(&mut out);
//! let id = batch.request(Lookup { primary_key: Text::new("Group 1") })?; // the hello goes first, id 1
//! assert_eq!(id, 2);
//! let message = batch.finish()?;
//! assert_eq!(message[..2], [0x82, 0x84]); // two requests in one message
//!
//! // [[1, 1, {0: 1}], [1, 2, 37(h'…')]]
//! let mut reply = vec![0x82, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x01, 0x02, 0xd8, 0x25, 0x50];
//! reply.extend_from_slice(&[0xab; 16]);
//! let outcomes: Vec<Outcome<'_>> = client.handle_message(&reply)?.collect();
//! assert!(matches!(outcomes[1], Outcome::Success { id: 2, response: Response::Lookup(_) }));
//! assert_eq!(client.version(), Some(1));
//! # Ok::<(), xentara_ws::session::SessionError>(())
//! ```
//!
//! # Answering later (the server's async path)
//!
//! A reply message is sent only when every request of its batch has been answered. The
//! application answers a request right away through the [`Reply`] it is handed, or calls
//! [`Reply::later`] and answers afterwards with [`ServerSession::answer`] and the request's
//! [`Slot`]. A decoded command borrows from the received message, which the caller may reuse
//! as soon as [`ServerSession::handle_message`] returns, so the machine never keeps it:
//! **every answer is encoded the moment it is given**, into a reply buffer of `BYTES` bytes
//! that the server keeps per open batch (`BATCHES` of them, in a fixed ring). The buffer
//! holds the encoded response packets in the order they were answered plus a table of
//! `PACKETS` slots; [`ServerSession::poll_transmit`] writes them out in request order.
//! Application data therefore only has to live for the call that answers it.
//!
//! Every unanswered slot keeps [`RESERVE`] bytes of its batch's buffer free, enough for an
//! error packet `[2, id, {0: code}]`. A response too large for what is left is replaced by
//! `-32603` ("response too large"), so every request is answered however big the answers
//! are.
//!
//! # Limits
//!
//! | limit | const generic | when exceeded |
//! |---|---|---|
//! | sub-sessions | `SESSIONS` | create_sub_session answers -32603 "too many sub-sessions" |
//! | subscriptions | `SUBSCRIPTIONS` | subscribe answers -32603 "too many subscriptions" |
//! | open reply messages | `BATCHES` | [`SessionError::Busy`]: the message was not consumed; send what [`ServerSession::poll_transmit`] has, or answer what is pending, then hand it in again |
//! | requests per message | `PACKETS` (and `BYTES` / [`RESERVE`]) | every request of the message is answered -32603 "too many requests in one message" and none reaches the application; if even those errors do not fit, [`SessionError::MessageTooLarge`] |
//! | client requests in flight | `PENDING` | [`SessionError::PendingFull`]: the request is not sent |
//!
//! # Decisions where the spec is silent
//!
//! - A packet that does not decode is answered with its [`DecodeError::code`] and the
//!   error's text, carrying the message id when it could be read and **id 0** otherwise
//!   (clients count from 1; the one known client that uses 0 uses it for its hello). A
//!   message that is not an array, or is not well-formed CBOR at the top, gets a reply of
//!   one such error. A decode error is answered the same way before and after the hello:
//!   the machine cannot tell which command it was.
//! - Packets in a request message that are not requests (success, error, event) are
//!   answered -32600 with their id (0 for events).
//! - An empty request message `[]` gets no reply: it has no request to answer.
//! - Unknown opcodes: -32601 "unknown opcode N" with the request's id (discrepancies D13).
//! - client_hello: `min > max` or no common version is -32602 with a message saying why; the
//!   chosen version is the highest both support. A failed hello may be retried.
//! - A desired sub-session or subscription id that exists replaces the old entry; a nil
//!   desired id is -32602. An id the application makes that is nil or already taken is
//!   -32603 (the crate has no RNG, so it cannot pick another).
//! - subscribe and unsubscribe reach the application (it must know what to watch); the
//!   subscription table changes when the application answers with success. The success
//!   item of subscribe is always the subscription UUID (discrepancies D10), whatever item the
//!   application gave. unsubscribe of a subscription that is not active yet is -32110.
//! - A success item whose opcode differs from the request's is replaced by -32603.
//! - A request whose parameters hold a [`Seq`](crate::Seq) reaches the application with
//!   the sequence unread: an element that does not decode shows up as an `Err` while the
//!   application iterates (see [`crate::model`]). Answer it with [`Reply::decode_error`],
//!   which sends the error's code and text, as the machine does for a packet that does not
//!   decode.
//! - create_sub_session's credentials are checked synchronously
//!   ([`Application::authenticate`]); sub-sessions and subscriptions end with the session.
//! - Events go out in messages of their own ([`ServerSession::encode_events`]), whenever
//!   the caller sends them; reply messages never hold events.
//! - Reply messages leave in the order their requests came, each once all of its
//!   requests are answered (a later batch waits for an earlier one).
//! - The client takes a server message packet by packet, in order, as the vendor's client
//!   does: each response resolves its request (its item typed once, by the request's
//!   opcode), each event is delivered, even in a message that mixes responses and events
//!   (which spec section 2.5 says servers do not send). A packet that does not decode, or a
//!   success item that is not one of its request's opcode, is [`Outcome::Invalid`] and, when
//!   its id is known, answers its request. A response whose id is not in flight is
//!   [`Unexpected::UnknownId`], a request packet [`Unexpected::Request`], and a response
//!   for another request while the hello is unanswered [`Unexpected::BeforeHello`] (its
//!   request counts as answered). A hello answered by an error, or by an item that does not
//!   decode, leaves the session [`ClientState::Refused`]. The version in the hello's reply
//!   is taken as it is (the vendor's client ignores it).

use core::fmt;

use uuid::Uuid;

use crate::error::{DecodeError, EncodeError, ErrorCode};
use crate::op::params::ClientHello;

pub mod client;
pub mod server;
mod table;

pub use client::{
    ClientBatch, ClientConfig, ClientSession, ClientState, Outcome, Outcomes, Unexpected,
};
pub use server::{
    AppRequest, Application, IdKind, RESERVE, Received, Replied, Reply, ServerConfig,
    ServerSession, ServerState, Slot, SubSession,
};

/// An inclusive range of protocol versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// The lowest version.
    pub min: u64,
    /// The highest version.
    pub max: u64,
}

impl VersionRange {
    /// Version 1 only: the protocol of API 2.0.x (discrepancies D19).
    pub const V1: VersionRange = VersionRange { min: 1, max: 1 };

    /// The range `min..=max`.
    pub const fn new(min: u64, max: u64) -> Self {
        VersionRange { min, max }
    }

    /// True when `version` is in the range.
    pub const fn contains(&self, version: u64) -> bool {
        self.min <= version && version <= self.max
    }

    /// The highest version in both ranges, if they overlap.
    pub fn highest_common(&self, other: &VersionRange) -> Option<u64> {
        let low = self.min.max(other.min);
        let high = self.max.min(other.max);
        (low <= high).then_some(high)
    }
}

impl Default for VersionRange {
    fn default() -> Self {
        VersionRange::V1
    }
}

impl From<ClientHello> for VersionRange {
    fn from(h: ClientHello) -> Self {
        VersionRange::new(h.min_version, h.max_version)
    }
}

impl From<VersionRange> for ClientHello {
    fn from(r: VersionRange) -> Self {
        ClientHello {
            min_version: r.min,
            max_version: r.max,
        }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.min, self.max)
    }
}

/// Why a session call failed. Nothing changed in the session unless the variant says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// A received message is not an array of packets (client): nothing in it was applied.
    Decode(DecodeError),
    /// Every reply buffer is in use (server): the message was not consumed. Send what
    /// [`ServerSession::poll_transmit`] has or answer pending requests, then retry.
    Busy {
        /// The number of reply buffers (`BATCHES`).
        capacity: usize,
    },
    /// A message holds more requests than the server can answer even with error packets;
    /// nothing was consumed and nothing will be sent. Closing the connection is advised.
    MessageTooLarge {
        /// The number of packets in the message.
        packets: usize,
    },
    /// The caller's buffer is too small; nothing was consumed.
    Encode(EncodeError),
    /// No request waits for an answer in that slot: it was answered already, or the slot
    /// belongs to another session.
    UnknownSlot(Slot),
    /// No client_hello has succeeded yet, so no event may be sent (server).
    NoHello,
    /// The subscription is not active (server).
    UnknownSubscription(Uuid),
    /// Every pending-request entry is taken (client): the request was not added.
    PendingFull {
        /// The table's capacity (`PENDING`).
        capacity: usize,
    },
    /// The server refused the hello (client); open a new session.
    HelloRefused(ErrorCode),
    /// A second client_hello was submitted (client).
    DuplicateHello,
}

impl SessionError {
    /// The protocol error code closest to this error (-32603 for local conditions).
    pub const fn code(&self) -> ErrorCode {
        match self {
            SessionError::Decode(e) => e.code(),
            SessionError::NoHello => ErrorCode::MissingClientHello,
            SessionError::DuplicateHello => ErrorCode::DuplicateClientHello,
            SessionError::UnknownSubscription(_) => ErrorCode::UnknownSubscriptionId,
            SessionError::HelloRefused(code) => *code,
            SessionError::Busy { .. }
            | SessionError::MessageTooLarge { .. }
            | SessionError::Encode(_)
            | SessionError::UnknownSlot(_)
            | SessionError::PendingFull { .. } => ErrorCode::InternalError,
        }
    }
}

impl From<SessionError> for ErrorCode {
    fn from(e: SessionError) -> Self {
        e.code()
    }
}

impl From<DecodeError> for SessionError {
    fn from(e: DecodeError) -> Self {
        SessionError::Decode(e)
    }
}

impl From<EncodeError> for SessionError {
    fn from(e: EncodeError) -> Self {
        SessionError::Encode(e)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Decode(e) => write!(f, "{e}"),
            SessionError::Busy { capacity } => {
                write!(f, "all {capacity} reply buffers are in use")
            }
            SessionError::MessageTooLarge { packets } => {
                write!(f, "a message of {packets} packets is too large to answer")
            }
            SessionError::Encode(e) => write!(f, "{e}"),
            SessionError::UnknownSlot(slot) => write!(f, "no request waits in {slot:?}"),
            SessionError::NoHello => f.write_str("no client_hello yet"),
            SessionError::UnknownSubscription(id) => write!(f, "unknown subscription {id}"),
            SessionError::PendingFull { capacity } => {
                write!(f, "all {capacity} pending-request entries are taken")
            }
            SessionError::HelloRefused(code) => write!(f, "hello refused: {code}"),
            SessionError::DuplicateHello => f.write_str("client_hello was already sent"),
        }
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for SessionError {}

/// A short text built without allocating; what does not fit is cut at a char boundary.
pub(crate) struct Text<const N: usize>(pub(crate) heapless::String<N>);

impl<const N: usize> Text<N> {
    /// Formats `args`, cut to `N` bytes.
    pub(crate) fn format(args: fmt::Arguments<'_>) -> Self {
        let mut text = Text(heapless::String::new());
        let _ = fmt::write(&mut text, args);
        text
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Write for Text<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            self.0.push(c).map_err(|_| fmt::Error)?;
        }
        Ok(())
    }
}

defmt_via_debug!(VersionRange, SessionError);
