//! The client session: the hello, message ids, batching, and typed responses.
//!
//! Inputs are [`ClientSession::start_batch`] (requests to send, as one message) and
//! [`ClientSession::handle_message`] (a message from the server, which yields typed
//! [`Outcome`]s). See the [module docs](super) for the rules.

use core::fmt;

use heapless::Vec;
use uuid::Uuid;

use super::VersionRange;
use super::table::Table;
use crate::batch::{Batch, BatchWriter};
use crate::error::{DecodeError, EncodeError, ErrorCode, MessageId};
use crate::model::ErrorObject;
use crate::op::{Command, Opcode, Response};
use crate::packet::{DataChange, Event, Packet, Request, Success};

/// Why a [`ClientSession`] call failed. Nothing changed in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// A received message is not an array of packets: nothing in it was applied.
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
}

impl ClientError {
    /// The protocol error code closest to this error (-32603 for local conditions).
    pub const fn code(&self) -> ErrorCode {
        match self {
            ClientError::Decode(e) => e.code(),
            ClientError::DuplicateHello => ErrorCode::DuplicateClientHello,
            ClientError::HelloRefused(code) => *code,
            ClientError::Encode(_) | ClientError::PendingFull { .. } => ErrorCode::InternalError,
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
        }
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for ClientError {}

/// How a client session behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// The versions the hello asks for (default `{0: 1, 1: 1}`, what the vendor's client
    /// sends).
    pub versions: VersionRange,
    /// The hello's message id (default 1, as the vendor's client); later requests count up
    /// from it, wrap from `i64::MAX` to 1 and skip ids still in flight.
    pub first_id: MessageId,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            versions: VersionRange::V1,
            first_id: 1,
        }
    }
}

/// Where a client session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// Nothing sent yet. Next: a batch, which starts with the hello.
    Idle,
    /// The hello is sent and unanswered; further requests may be sent already.
    HelloSent {
        /// The hello's message id.
        id: MessageId,
    },
    /// The hello succeeded.
    Ready {
        /// The version the server chose.
        version: u64,
    },
    /// The server refused the hello; nothing more can be sent.
    Refused {
        /// The server's error code.
        code: ErrorCode,
    },
}

/// A request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    opcode: Opcode,
    /// subscribe's desired id: the subscription id when the server's item has none (D10).
    desired: Option<Uuid>,
}

/// What a server message meant, one per packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'b> {
    /// A request succeeded; the item is typed by the request's opcode (subscribe's item is
    /// the desired id when the server sent none, discrepancies D10).
    Success {
        /// The request's message id.
        id: MessageId,
        /// The typed item.
        response: Response<'b>,
    },
    /// A request failed.
    Error {
        /// The request's message id.
        id: MessageId,
        /// The request's opcode.
        opcode: Opcode,
        /// The server's code and message.
        error: ErrorObject<'b>,
    },
    /// Attribute values changed.
    Event(DataChange<'b>),
    /// A packet the session could not take as an answer.
    Unexpected {
        /// The packet's message id.
        id: MessageId,
        /// Why.
        reason: Unexpected,
    },
    /// A packet that does not decode: malformed, or a success item that is not one of its
    /// request's opcode. When [`DecodeError::id`] names a request in flight, that request
    /// is answered by it (and no longer pending). Malformed CBOR ends the message: this is
    /// then its last outcome.
    Invalid(DecodeError),
}

/// Why a response was not taken as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unexpected {
    /// No request with this id is in flight.
    UnknownId,
    /// The response came while the hello was unanswered (the server broke the order). Its
    /// request counts as answered and is no longer pending.
    BeforeHello,
    /// The packet is a request: servers send none.
    Request,
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unexpected::UnknownId => "unknown id",
            Unexpected::BeforeHello => "before hello",
            Unexpected::Request => "request to a client",
        })
    }
}

/// The client side of one connection; `PENDING` requests may be in flight.
#[derive(Debug, Clone)]
pub struct ClientSession<const PENDING: usize = 16> {
    config: ClientConfig,
    state: ClientState,
    next_id: MessageId,
    pending: Table<MessageId, Pending, PENDING>,
}

impl<const PENDING: usize> Default for ClientSession<PENDING> {
    fn default() -> Self {
        Self::new(ClientConfig::default())
    }
}

impl<const PENDING: usize> ClientSession<PENDING> {
    /// A session that has sent nothing yet.
    pub fn new(config: ClientConfig) -> Self {
        ClientSession {
            config,
            state: ClientState::Idle,
            next_id: config.first_id,
            pending: Table::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The version the server chose, once the hello succeeded.
    pub fn version(&self) -> Option<u64> {
        match self.state {
            ClientState::Ready { version } => Some(version),
            _ => None,
        }
    }

    /// The opcode of a request in flight.
    pub fn pending(&self, id: MessageId) -> Option<Opcode> {
        self.pending.get(&id).map(|p| p.opcode)
    }

    /// The number of requests in flight (at most `PENDING`).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Forgets a request in flight (a timeout of the caller's): its response, if it comes,
    /// is then [`Unexpected::UnknownId`]. Returns its opcode.
    ///
    /// The hello is not forgotten while it is unanswered (`None`): without its answer the
    /// session could never become ready. Give up on the connection instead.
    pub fn cancel(&mut self, id: MessageId) -> Option<Opcode> {
        if self.state == (ClientState::HelloSent { id }) {
            return None;
        }
        self.pending.remove(&id).map(|p| p.opcode)
    }

    /// Starts a message of requests, written into `buf`. The session's first message starts
    /// with the hello.
    pub fn start_batch<'c, 'a>(&'c mut self, buf: &'a mut [u8]) -> ClientBatch<'c, 'a, PENDING> {
        let restore = (self.state, self.next_id);
        ClientBatch {
            client: self,
            writer: Some(BatchWriter::new(buf)),
            added: Vec::new(),
            restore,
        }
    }

    /// The next id not in flight; ids count up from 1 and wrap from `i64::MAX` to 1.
    fn allocate_id(&mut self) -> MessageId {
        loop {
            let id = self.next_id;
            self.next_id = if id == MessageId::MAX { 1 } else { id + 1 };
            // At most PENDING ids are taken, so this ends within PENDING + 1 turns.
            if !self.pending.contains(&id) {
                return id;
            }
        }
    }

    /// Takes a message from the server.
    ///
    /// The returned iterator yields one [`Outcome`] per packet, in order, applying each to
    /// the session as it goes; dropping it applies the rest. Each packet is decoded once,
    /// and one that does not decode gives its own outcome without touching its neighbours
    /// (see [`Outcome`] and the [module docs](super#decisions-where-the-spec-is-silent)).
    /// Only a message that is not an array of packets at all is an error.
    pub fn handle_message<'s, 'b>(
        &'s mut self,
        message: &'b [u8],
    ) -> Result<Outcomes<'s, 'b, PENDING>, ClientError> {
        Ok(Outcomes {
            client: self,
            batch: Batch::new(message)?,
        })
    }

    /// Applies one response to the tables and the state: a success (typed here, once, by
    /// its request's opcode), an error object, or a packet that did not decode.
    fn take_response<'b>(&mut self, id: MessageId, answer: Answer<'b>) -> Outcome<'b> {
        let unexpected = |reason| Outcome::Unexpected { id, reason };
        let Some(pending) = self.pending.remove(&id) else {
            return match answer {
                Answer::Invalid(e) => Outcome::Invalid(e),
                _ => unexpected(Unexpected::UnknownId),
            };
        };
        let result = match answer {
            Answer::Success(success) => success.response(pending.opcode).map_err(Err),
            Answer::Error(error) => Err(Ok(error)),
            Answer::Invalid(e) => Err(Err(e)),
        };
        match self.state {
            ClientState::HelloSent { id: hello } if hello == id => {
                self.state = match &result {
                    Ok(Response::ClientHello(h)) => ClientState::Ready {
                        version: h.current_version,
                    },
                    Ok(_) => ClientState::Ready { version: 0 },
                    Err(Ok(error)) => ClientState::Refused { code: error.code },
                    Err(Err(e)) => ClientState::Refused { code: e.code() },
                };
            }
            ClientState::HelloSent { .. } => return unexpected(Unexpected::BeforeHello),
            _ => {}
        }
        match result {
            Ok(Response::Subscribe(None)) if pending.desired.is_some() => Outcome::Success {
                id,
                response: Response::Subscribe(pending.desired),
            },
            Ok(response) => Outcome::Success { id, response },
            Err(Ok(error)) => Outcome::Error {
                id,
                opcode: pending.opcode,
                error,
            },
            Err(Err(e)) => Outcome::Invalid(e),
        }
    }
}

/// What a response packet brought, before the session types it.
enum Answer<'b> {
    Success(Success<'b>),
    Error(ErrorObject<'b>),
    Invalid(DecodeError),
}

/// One message of requests being written; made by [`ClientSession::start_batch`].
///
/// [`ClientBatch::finish`] gives the message. Dropping the batch without finishing takes
/// its requests back: nothing of it counts as sent.
#[must_use = "finish the batch to get the message"]
#[derive(Debug)]
pub struct ClientBatch<'c, 'a, const PENDING: usize> {
    client: &'c mut ClientSession<PENDING>,
    /// `None` once finished.
    writer: Option<BatchWriter<'a>>,
    added: Vec<MessageId, PENDING>,
    restore: (ClientState, MessageId),
}

impl<'a, const PENDING: usize> ClientBatch<'_, 'a, PENDING> {
    /// Adds a request and returns its message id. The first request of a session is
    /// preceded by the configured hello, unless it is a hello itself.
    pub fn request<'c>(
        &mut self,
        command: impl Into<Command<'c>>,
    ) -> Result<MessageId, ClientError> {
        let command = command.into();
        match (self.client.state, &command) {
            (ClientState::Refused { code }, _) => Err(ClientError::HelloRefused(code)),
            (ClientState::Idle, Command::ClientHello(_)) => self.push_hello(command),
            (_, Command::ClientHello(_)) => Err(ClientError::DuplicateHello),
            (ClientState::Idle, _) => {
                let hello = Command::ClientHello(self.client.config.versions.into());
                if self.client.pending.len() + 2 > PENDING {
                    return Err(ClientError::PendingFull { capacity: PENDING });
                }
                self.push_hello(hello)?;
                self.push(command)
            }
            (_, _) => self.push(command),
        }
    }

    /// The number of requests added (the hello included).
    pub fn len(&self) -> usize {
        self.added.len()
    }

    /// True when no request was added.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
    }

    /// The message: the requests added (the hello alone for a session's first message with
    /// none; `[]` otherwise).
    pub fn finish(mut self) -> Result<&'a [u8], ClientError> {
        if self.client.state == ClientState::Idle {
            let hello = Command::ClientHello(self.client.config.versions.into());
            self.push_hello(hello)?;
        }
        let Some(writer) = self.writer.take() else {
            return Err(ClientError::Encode(
                crate::error::EncodeError::BufferTooSmall { required: 1 },
            ));
        };
        match writer.finish() {
            Ok(message) => Ok(message),
            Err(e) => {
                self.rollback();
                Err(e.into())
            }
        }
    }

    fn push_hello(&mut self, hello: Command<'_>) -> Result<MessageId, ClientError> {
        let id = self.push(hello)?;
        self.client.state = ClientState::HelloSent { id };
        Ok(id)
    }

    /// Encodes one request and records it as pending.
    fn push(&mut self, command: Command<'_>) -> Result<MessageId, ClientError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(ClientError::Encode(
                crate::error::EncodeError::BufferTooSmall { required: 1 },
            ));
        };
        if self.client.pending.is_full() {
            return Err(ClientError::PendingFull { capacity: PENDING });
        }
        let next = self.client.next_id;
        let id = self.client.allocate_id();
        let opcode = command.opcode();
        let desired = match &command {
            Command::Subscribe(p) => p.desired_subscription_id,
            _ => None,
        };
        if let Err(e) = writer.push(&Packet::Request(Request { id, command })) {
            self.client.next_id = next;
            return Err(e.into());
        }
        let pending = Pending { opcode, desired };
        match (self.client.pending.insert(id, pending), self.added.push(id)) {
            (Ok(_), Ok(())) => Ok(id),
            // Both have room for PENDING entries and were checked above.
            _ => Err(ClientError::PendingFull { capacity: PENDING }),
        }
    }

    /// Takes back every request of this batch.
    fn rollback(&mut self) {
        for id in &self.added {
            self.client.pending.remove(id);
        }
        self.added.clear();
        (self.client.state, self.client.next_id) = self.restore;
    }
}

impl<const PENDING: usize> Drop for ClientBatch<'_, '_, PENDING> {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.rollback();
        }
    }
}

/// The outcomes of one server message, from [`ClientSession::handle_message`]. Each is
/// applied to the session as it is yielded; dropping the iterator applies the rest.
#[must_use = "the outcomes tell what the server answered"]
#[derive(Debug)]
pub struct Outcomes<'s, 'b, const PENDING: usize> {
    client: &'s mut ClientSession<PENDING>,
    batch: Batch<'b>,
}

impl<'b, const PENDING: usize> Iterator for Outcomes<'_, 'b, PENDING> {
    type Item = Outcome<'b>;

    fn next(&mut self) -> Option<Outcome<'b>> {
        Some(match self.batch.next()? {
            Ok(Packet::Success(success)) => {
                let id = success.id;
                self.client.take_response(id, Answer::Success(success))
            }
            Ok(Packet::Error(error)) => self
                .client
                .take_response(error.id, Answer::Error(error.error)),
            Ok(Packet::Event(Event::DataChange(change))) => Outcome::Event(change),
            Ok(Packet::Request(request)) => Outcome::Unexpected {
                id: request.id,
                reason: Unexpected::Request,
            },
            Err(e) => match e.id() {
                Some(id) => self.client.take_response(id, Answer::Invalid(e)),
                None => Outcome::Invalid(e),
            },
        })
    }
}

impl<const PENDING: usize> Drop for Outcomes<'_, '_, PENDING> {
    fn drop(&mut self) {
        for _ in self.by_ref() {}
    }
}

defmt_via_debug!(ClientConfig, ClientState, Outcome<'_>, Unexpected);

#[cfg(feature = "defmt")]
impl<const PENDING: usize> defmt::Format for ClientSession<PENDING> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
