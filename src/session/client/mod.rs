//! The client session: the hello, message ids, batching, typed responses and request
//! deadlines.
//!
//! Inputs are [`ClientSession::start_batch`] (requests to send, as one message),
//! [`ClientSession::handle_message`] (a message from the server, which yields typed
//! [`Outcome`]s), [`ClientSession::handle_timeout`] and [`ClientSession::close`]; see the
//! [module docs](super) for the rules. Files: `batch.rs` (writing requests),
//! `outcome.rs` (reading answers), `timers.rs` (deadlines and close), `error.rs`.

use uuid::Uuid;

use super::shared::VersionRange;
use super::table::Table;
use crate::batch::BatchWriter;
use crate::error::{ErrorCode, MessageId};
use crate::op::Opcode;

mod batch;
mod error;
mod outcome;
mod timers;

pub use batch::ClientBatch;
pub use error::ClientError;
pub use outcome::{Lost, Outcome, Outcomes, Unexpected};
pub use timers::LostRequests;

/// How a client session behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClientConfig {
    /// The versions the hello asks for (default `{0: 1, 1: 1}`, what the vendor's client
    /// sends).
    pub versions: VersionRange,
    /// The hello's message id (default 1, as the vendor's client); later requests count up
    /// from it, wrap from `i64::MAX` to 1 and skip an id whose entry in the table of
    /// requests in flight (the id modulo `PENDING`) is taken.
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
    /// The session was closed ([`ClientSession::close`]) or its hello timed out; nothing
    /// more can be sent.
    Closed,
}

/// A request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    opcode: Opcode,
    /// subscribe's desired id: the subscription id when the server's item has none (D10).
    desired: Option<Uuid>,
    /// When it times out (ms on the caller's clock), if ever.
    deadline: Option<u64>,
}

/// The client side of one connection; `PENDING` requests may be in flight.
///
/// Calling order, on a connection:
///
/// 1. [`start_batch`](Self::start_batch), [`ClientBatch::request`] for each request (with
///    [`ClientBatch::set_deadline`] first if they are to time out), [`ClientBatch::finish`]:
///    send the message it gives. The session's first message starts with the hello.
/// 2. [`handle_message`](Self::handle_message) with each message from the server, as a
///    [`Batch`](crate::Batch) (which refuses a message that is not an array of packets):
///    one [`Outcome`] per packet, borrowing the batch.
/// 3. [`poll_timeout`](Self::poll_timeout): when it is `Some(at)`, wait for the next
///    message or for `at`, whichever comes first; at `at`,
///    [`handle_timeout(now)`](Self::handle_timeout) yields an [`Outcome::Lost`] for each
///    request whose deadline passed.
/// 4. When the connection is gone, [`close`](Self::close): every request still in flight
///    ends with [`Outcome::Lost`]. A new connection needs a new session.
///
/// Time is a plain `u64` of milliseconds on the caller's clock, as for the server.
#[derive(Debug, Clone)]
pub struct ClientSession<const PENDING: usize = 16> {
    config: ClientConfig,
    state: ClientState,
    next_id: MessageId,
    pending: Table<Pending, PENDING>,
}

impl<const PENDING: usize> Default for ClientSession<PENDING> {
    fn default() -> Self {
        Self::with_config(ClientConfig::default())
    }
}

impl ClientSession {
    /// A session of the default capacity (16 requests in flight) and configuration that has
    /// sent nothing yet. Unlike `default()`, it needs no type annotation (as
    /// `HashMap::new`); another capacity is `ClientSession::<N>::default()`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<const PENDING: usize> ClientSession<PENDING> {
    /// A session with `config` that has sent nothing yet.
    pub fn with_config(config: ClientConfig) -> Self {
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
        self.pending.get(id).map(|p| p.opcode)
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
        self.pending.remove(id).map(|p| p.opcode)
    }

    /// Starts a message of requests, written into `buf`. The session's first message starts
    /// with the hello.
    pub fn start_batch<'c, 'a>(&'c mut self, buf: &'a mut [u8]) -> ClientBatch<'c, 'a, PENDING> {
        let restore = (self.state, self.next_id);
        ClientBatch {
            client: self,
            writer: Some(BatchWriter::new(buf)),
            added: heapless::Vec::new(),
            restore,
            deadline: None,
        }
    }

    /// The next id whose table entry is free; ids count up and wrap from `i64::MAX` to 1.
    fn allocate_id(&mut self) -> MessageId {
        loop {
            let id = self.next_id;
            self.next_id = if id == MessageId::MAX { 1 } else { id + 1 };
            // Fewer than PENDING ids are taken (the caller checks), so one of the next
            // PENDING ids names a free slot (2 · PENDING across the wrap).
            if self.pending.vacant(id) {
                return id;
            }
        }
    }
}

/// The configuration, state, next id and the number of requests in flight.
#[cfg(feature = "defmt")]
impl<const PENDING: usize> defmt::Format for ClientSession<PENDING> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "ClientSession {{ config: {}, state: {}, next_id: {=i64}, pending: {=usize} }}",
            self.config,
            self.state,
            self.next_id,
            self.pending.len()
        )
    }
}
