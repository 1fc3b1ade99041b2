//! The server session: one per WebSocket connection.
//!
//! Inputs are [`ServerSession::handle_message`] (a received message, with the
//! [`Application`] that answers commands) and [`ServerSession::answer`] (a late answer);
//! outputs are [`ServerSession::poll_transmit`] (the next reply message) and
//! [`ServerSession::encode_events`] (an event message). See the [module docs](super) for
//! the rules and the reply buffers.

use core::fmt;

use heapless::Vec;
use minicbor::Encoder;
use minicbor::encode::write::Cursor;
use uuid::Uuid;

use super::table::Table;
use super::{SessionError, Text, VersionRange};
use crate::batch::{Batch, BatchWriter};
use crate::cbor::{Cbor, Writer};
use crate::error::{DecodeError, ErrorCode, MessageId};
use crate::model::{ErrorObject, Text as Message};
use crate::op::items::ServerHello;
use crate::op::params::{ClientHello, CreateSubSession, Credentials};
use crate::op::{Command, Opcode, Response};
use crate::packet::{DataChange, ErrorResponse, Event, Packet, Request, Success};

/// Bytes of a reply buffer kept free for each unanswered request: the largest error packet
/// without a message, `[2, id, {0: code}]` with a 9-byte id and a 9-byte code.
pub const RESERVE: usize = 22;

/// The longest error message the machine writes itself; longer ones are cut.
const TEXT: usize = 96;

/// Where a server session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// No client_hello has succeeded: requests other than the hello are answered -32000
    /// and never reach the application. Next: the client's hello.
    AwaitingHello,
    /// The hello succeeded: commands reach the application and events may be sent.
    Ready {
        /// The protocol version chosen for the connection.
        version: u64,
    },
}

/// How a server session behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerConfig {
    /// The protocol versions the server supports (default: 1 only).
    pub versions: VersionRange,
}

/// What a fresh id is for (see [`Application::fresh_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A sub-session made by create_sub_session.
    SubSession,
    /// A subscription made by subscribe.
    Subscription,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::SubSession => "sub-session",
            IdKind::Subscription => "subscription",
        })
    }
}

/// The application behind a server session: it checks credentials, makes ids and answers
/// every command the machine does not handle itself.
pub trait Application {
    /// Who a sub-session is, as the application wants to remember it (a user name, a
    /// role, …). The machine keeps one per sub-session and hands it back with each command
    /// that names the sub-session.
    type Identity: Clone;

    /// Checks create_sub_session's credentials. `Err` (usually
    /// [`ErrorCode::AccessDenied`]) is sent to the client as is.
    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<Self::Identity, ErrorCode>;

    /// A new id for a sub-session or subscription whose client desired none. It must be
    /// unique and not nil (the crate has no random numbers of its own).
    fn fresh_id(&mut self, kind: IdKind) -> Uuid;

    /// Answers a command: right away through `reply`, or [`Reply::later`] and afterwards
    /// with [`ServerSession::answer`] and [`AppRequest::slot`].
    fn handle(&mut self, request: AppRequest<'_, Self::Identity>, reply: Reply<'_>) -> Replied;
}

/// A sub-session named by a command, checked to exist.
#[derive(Debug, PartialEq, Eq)]
pub struct SubSession<'a, I> {
    /// The sub-session's id.
    pub id: Uuid,
    /// What [`Application::authenticate`] returned for it.
    pub identity: &'a I,
}

impl<I> Clone for SubSession<'_, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I> Copy for SubSession<'_, I> {}

/// A command for the application, checked against the session's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRequest<'a, I> {
    /// The request's message id.
    pub id: MessageId,
    /// The command (any but client_hello, create_sub_session and close_sub_session).
    pub command: Command<'a>,
    /// The sub-session the command names ([`Command::sub_session`]), known to exist.
    pub sub_session: Option<SubSession<'a, I>>,
    /// subscribe: the subscription's id (the desired one, or a fresh one); unsubscribe: the
    /// active subscription to end. The table changes when the answer is a success.
    pub subscription: Option<Uuid>,
    /// Where the answer goes, for [`ServerSession::answer`].
    pub slot: Slot,
}

/// The place of one request in a reply message: what [`ServerSession::answer`] takes.
///
/// A slot belongs to the session that made it and is used once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    batch: u64,
    index: usize,
}

/// Proof that a command was answered or deferred: only [`Reply`] makes one.
#[must_use = "return it from Application::handle"]
#[derive(Debug)]
pub struct Replied(());

/// The way to answer one command, handed to [`Application::handle`].
#[must_use = "answer the request, or call `later`"]
pub struct Reply<'s> {
    sink: &'s mut dyn Sink,
    slot: Slot,
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply").field("slot", &self.slot).finish()
    }
}

impl Reply<'_> {
    /// The request's slot.
    pub fn slot(&self) -> Slot {
        self.slot
    }

    /// Answers with a success item or an error object.
    pub fn answer(self, result: Result<Response<'_>, ErrorObject<'_>>) -> Replied {
        // The slot was made for this reply and is waiting: this cannot fail.
        let _ = self.sink.complete(self.slot, result);
        Replied(())
    }

    /// Answers with a success item (of the request's opcode).
    pub fn ok(self, response: Response<'_>) -> Replied {
        self.answer(Ok(response))
    }

    /// Answers with an error and the code's standard message.
    pub fn error(self, code: ErrorCode) -> Replied {
        self.answer(Err(ErrorObject::new(code)))
    }

    /// Answers with an error and a message.
    pub fn error_message(self, code: ErrorCode, message: &str) -> Replied {
        self.answer(Err(ErrorObject {
            code,
            message: Some(Message::new(message)),
        }))
    }

    /// Answers with the code and text of a decode error: for an element of a
    /// [`Seq`](crate::Seq) in the command that did not decode.
    pub fn decode_error(self, error: &DecodeError) -> Replied {
        let text = Text::<TEXT>::format(format_args!("{error}"));
        self.answer(Err(ErrorObject {
            code: error.code(),
            message: Some(Message::new(text.as_str())),
        }))
    }

    /// Answers later with [`ServerSession::answer`]; the reply message waits until then.
    pub fn later(self) -> Replied {
        Replied(())
    }
}

/// The answering side of a session, without its capacities (so [`Reply`] is one type).
trait Sink {
    fn complete(
        &mut self,
        slot: Slot,
        result: Result<Response<'_>, ErrorObject<'_>>,
    ) -> Result<(), SessionError>;
}

/// What [`ServerSession::handle_message`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Packets in the message: the reply will hold as many responses (none for `[]`).
    pub packets: usize,
    /// How many of them wait for [`ServerSession::answer`].
    pub waiting: usize,
    /// True when the message was over the limits: every packet was answered -32603 and
    /// none reached the application.
    pub refused: bool,
}

/// A subscription in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubState {
    /// subscribe was handed to the application, which has not answered yet.
    Pending(Slot),
    /// Events may be sent.
    Active,
}

/// One request's place in a reply buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// Not answered: `RESERVE` bytes are kept for it.
    Waiting {
        id: MessageId,
        opcode: Option<Opcode>,
        subscription: Option<Uuid>,
    },
    /// The encoded response packet is `buf[start..start + len]`.
    Done { start: usize, len: usize },
}

/// The reply to one request message, filled as answers come.
#[derive(Debug, Clone)]
struct ReplyBatch<const PACKETS: usize, const BYTES: usize> {
    seq: u64,
    buf: [u8; BYTES],
    used: usize,
    slots: Vec<SlotState, PACKETS>,
    waiting: usize,
    /// Slots the message being handled has still to add: their `RESERVE` is kept too.
    to_add: usize,
    /// Packets written in request order without slots (a message over the limits).
    inline: usize,
}

impl<const PACKETS: usize, const BYTES: usize> ReplyBatch<PACKETS, BYTES> {
    fn new() -> Self {
        ReplyBatch {
            seq: 0,
            buf: [0; BYTES],
            used: 0,
            slots: Vec::new(),
            waiting: 0,
            to_add: 0,
            inline: 0,
        }
    }

    fn reset(&mut self, seq: u64) {
        self.seq = seq;
        self.used = 0;
        self.slots.clear();
        self.waiting = 0;
        self.to_add = 0;
        self.inline = 0;
    }

    /// Adds a waiting slot; `None` only when the table is full (checked before).
    fn add(&mut self, id: MessageId, opcode: Option<Opcode>) -> Option<usize> {
        let index = self.slots.len();
        self.slots
            .push(SlotState::Waiting {
                id,
                opcode,
                subscription: None,
            })
            .ok()?;
        self.waiting += 1;
        self.to_add = self.to_add.saturating_sub(1);
        Some(index)
    }

    /// Encodes `packet` after the packets already written, within `room` bytes; returns
    /// `(start, len)`, or `None` when it does not fit.
    fn append(&mut self, packet: &Packet<'_>, room: usize) -> Option<(usize, usize)> {
        let start = self.used;
        let end = start.saturating_add(room).min(BYTES);
        let mut w = Writer::new(self.buf.get_mut(start..end)?);
        packet.write(&mut w);
        let n = w.finish().ok()?;
        self.used += n;
        Some((start, n))
    }

    /// Writes the answer for slot `index`, keeping `RESERVE` bytes for every other
    /// waiting slot and every slot still to come. What does not fit becomes an error
    /// packet that does.
    fn write(&mut self, index: usize, packet: &Packet<'_>) {
        let others = self.waiting.saturating_sub(1) + self.to_add;
        let room = BYTES
            .saturating_sub(self.used)
            .saturating_sub(RESERVE * others);
        let (id, code) = match packet {
            Packet::Error(e) => (e.id, e.error.code),
            other => (other.id().unwrap_or(0), ErrorCode::InternalError),
        };
        let too_large = |message| {
            Packet::Error(ErrorResponse {
                id,
                error: ErrorObject { code, message },
            })
        };
        let written = self
            .append(packet, room)
            .or_else(|| self.append(&too_large(Some(Message::new("response too large"))), room))
            // At most RESERVE bytes, which `room` always has.
            .or_else(|| self.append(&too_large(None), room));
        if let (Some((start, len)), Some(slot)) = (written, self.slots.get_mut(index)) {
            *slot = SlotState::Done { start, len };
            self.waiting = self.waiting.saturating_sub(1);
        }
    }

    /// True when one more slot keeps every waiting one its `RESERVE` bytes.
    fn has_room(&self) -> bool {
        let reserved = RESERVE * (self.waiting + self.to_add + 1);
        self.slots.len() < PACKETS && BYTES.saturating_sub(self.used) >= reserved
    }

    /// The packet count of the reply message.
    fn count(&self) -> usize {
        self.slots.len() + self.inline
    }

    /// The reply message's length.
    fn message_len(&self) -> usize {
        array_head(self.count(), &mut [0; 9]) + self.used
    }

    /// Writes the reply message (request order) into `out`.
    fn write_message(&self, out: &mut [u8]) -> Result<usize, SessionError> {
        let required = self.message_len();
        let Some(out) = out.get_mut(..required) else {
            return Err(SessionError::Encode(
                crate::error::EncodeError::BufferTooSmall { required },
            ));
        };
        let mut head = [0u8; 9];
        let mut at = array_head(self.count(), &mut head);
        out[..at].copy_from_slice(&head[..at]);
        if self.inline > 0 {
            out[at..].copy_from_slice(&self.buf[..self.used]);
            return Ok(required);
        }
        for slot in &self.slots {
            if let SlotState::Done { start, len } = *slot {
                out[at..at + len].copy_from_slice(&self.buf[start..start + len]);
                at += len;
            }
        }
        Ok(required)
    }
}

/// Writes the head of an array of `n` items into `head`; returns its length.
fn array_head(n: usize, head: &mut [u8; 9]) -> usize {
    let mut e = Encoder::new(Cursor::new(&mut head[..]));
    // Nine bytes hold any array head.
    let _ = e.array(n as u64);
    e.writer().position()
}

/// The server side of one connection.
///
/// Capacities (see the [module docs](super#limits)): `SESSIONS` sub-sessions,
/// `SUBSCRIPTIONS` subscriptions, `BATCHES` reply messages being filled or waiting to be
/// sent, each of at most `PACKETS` responses and `BYTES` bytes. `I` is the application's
/// [`Application::Identity`]. The defaults make a session of about 37 KiB: build it where
/// it is to live (a `Box`, a `static`), as each move copies it.
pub struct ServerSession<
    I = (),
    const SESSIONS: usize = 4,
    const SUBSCRIPTIONS: usize = 16,
    const BATCHES: usize = 4,
    const PACKETS: usize = 32,
    const BYTES: usize = 8192,
> {
    config: ServerConfig,
    state: ServerState,
    sub_sessions: Table<Uuid, I, SESSIONS>,
    subscriptions: Table<Uuid, SubState, SUBSCRIPTIONS>,
    batches: [ReplyBatch<PACKETS, BYTES>; BATCHES],
    /// The oldest open batch.
    head: usize,
    /// Open batches, from `head` on (ring order is arrival order).
    open: usize,
    next_seq: u64,
}

impl<I, const S: usize, const N: usize, const B: usize, const P: usize, const Y: usize> fmt::Debug
    for ServerSession<I, S, N, B, P, Y>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("sub_sessions", &self.sub_sessions.len())
            .field("subscriptions", &self.subscriptions.len())
            .field("open_batches", &self.open)
            .finish()
    }
}

impl<I: Clone, const S: usize, const N: usize, const B: usize, const P: usize, const Y: usize>
    Default for ServerSession<I, S, N, B, P, Y>
{
    fn default() -> Self {
        Self::new(ServerConfig::default())
    }
}

/// Why the machine refused an id.
enum Refusal {
    NilDesired(IdKind),
    BadFresh(IdKind),
    Full(IdKind, usize),
}

impl Refusal {
    fn code(&self) -> ErrorCode {
        match self {
            Refusal::NilDesired(_) => ErrorCode::InvalidParameter,
            Refusal::BadFresh(_) | Refusal::Full(..) => ErrorCode::InternalError,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NilDesired(kind) => write!(f, "the desired {kind} id must not be nil"),
            Refusal::BadFresh(kind) => write!(f, "the server made a nil or taken {kind} id"),
            Refusal::Full(kind, n) => write!(f, "too many {kind}s (limit {n})"),
        }
    }
}

/// Takes the desired id (replacing its entry) or a fresh one from `fresh`, and inserts
/// `value` under it.
fn claim<V, const N: usize>(
    table: &mut Table<Uuid, V, N>,
    kind: IdKind,
    desired: Option<Uuid>,
    fresh: impl FnOnce() -> Uuid,
    value: V,
) -> Result<Uuid, Refusal> {
    let id = match desired {
        Some(id) if id.is_nil() => return Err(Refusal::NilDesired(kind)),
        Some(id) => id,
        None => {
            let id = fresh();
            if id.is_nil() || table.contains(&id) {
                return Err(Refusal::BadFresh(kind));
            }
            id
        }
    };
    table
        .insert(id, value)
        .map_err(|full| Refusal::Full(kind, full.capacity))?;
    Ok(id)
}

impl<I: Clone, const S: usize, const N: usize, const B: usize, const P: usize, const Y: usize>
    ServerSession<I, S, N, B, P, Y>
{
    /// A session waiting for the client's hello.
    pub fn new(config: ServerConfig) -> Self {
        const { assert!(B > 0, "a server session needs at least one reply buffer") };
        ServerSession {
            config,
            state: ServerState::AwaitingHello,
            sub_sessions: Table::new(),
            subscriptions: Table::new(),
            batches: core::array::from_fn(|_| ReplyBatch::new()),
            head: 0,
            open: 0,
            next_seq: 0,
        }
    }

    // ---- getters ----

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The negotiated protocol version, once the hello succeeded.
    pub fn version(&self) -> Option<u64> {
        match self.state {
            ServerState::AwaitingHello => None,
            ServerState::Ready { version } => Some(version),
        }
    }

    /// The identity of an open sub-session.
    pub fn sub_session(&self, id: &Uuid) -> Option<&I> {
        self.sub_sessions.get(id)
    }

    /// The open sub-sessions.
    pub fn sub_sessions(&self) -> impl Iterator<Item = (&Uuid, &I)> {
        self.sub_sessions.iter()
    }

    /// True when events may be sent for `subscription`.
    pub fn is_subscribed(&self, subscription: &Uuid) -> bool {
        self.subscriptions.get(subscription) == Some(&SubState::Active)
    }

    /// The active subscriptions.
    pub fn subscriptions(&self) -> impl Iterator<Item = &Uuid> {
        self.subscriptions
            .iter()
            .filter(|(_, s)| **s == SubState::Active)
            .map(|(id, _)| id)
    }

    /// Entries in the subscription table, pending ones included (at most `SUBSCRIPTIONS`).
    pub fn subscription_entries(&self) -> usize {
        self.subscriptions.len()
    }

    /// Reply messages being filled or waiting to be sent (at most `BATCHES`).
    pub fn open_batches(&self) -> usize {
        self.open
    }

    /// Requests waiting for [`ServerSession::answer`].
    pub fn waiting(&self) -> usize {
        self.open_indices().map(|i| self.batches[i].waiting).sum()
    }

    /// The length of the reply message [`ServerSession::poll_transmit`] would write now.
    pub fn transmit_len(&self) -> Option<usize> {
        let front = self.batches.get(self.head).filter(|_| self.open > 0)?;
        (front.waiting == 0).then(|| front.message_len())
    }

    // ---- inputs ----

    /// Handles one received message: every request is answered (by the machine, or by
    /// `app`, now or later) and the reply message is queued for
    /// [`ServerSession::poll_transmit`].
    ///
    /// Errors leave the session as it was: [`SessionError::Busy`] (retry later) and
    /// [`SessionError::MessageTooLarge`].
    pub fn handle_message<A: Application<Identity = I>>(
        &mut self,
        message: &[u8],
        app: &mut A,
    ) -> Result<Received, SessionError> {
        let batch = Batch::new(message);
        let packets = match &batch {
            Ok(batch) => batch.remaining(),
            Err(_) => 1,
        };
        if packets == 0 {
            return Ok(Received {
                packets,
                waiting: 0,
                refused: false,
            });
        }
        let seq = self.open_batch()?;
        if packets > P || packets.saturating_mul(RESERVE) > Y {
            return self.refuse_all(batch, packets);
        }
        // An answer given while the message is read must leave room for the rest of it.
        if let Some(reply) = self.current(seq) {
            reply.to_add = packets;
        }
        for (n, packet) in items(batch).enumerate() {
            let id = reply_id(&packet);
            let opcode = match &packet {
                Ok(Packet::Request(r)) => Some(r.command.opcode()),
                _ => None,
            };
            // `packets` slots fit: the count was checked above. Beyond it only a last fatal
            // error can come (bytes after a definite outer array), answered if it fits.
            let extra = n >= packets;
            let Some(index) = self
                .current(seq)
                .filter(|b| !extra || b.has_room())
                .and_then(|b| b.add(id, opcode))
            else {
                continue;
            };
            let slot = Slot { batch: seq, index };
            match packet {
                Ok(Packet::Request(request)) => self.dispatch(app, slot, request),
                Ok(other) => self.fail_with(
                    slot,
                    ErrorCode::InvalidRequest,
                    format_args!("{} packet sent to a server", other.kind()),
                ),
                Err(e) => self.fail_with(slot, e.code(), format_args!("{e}")),
            }
        }
        let (packets, waiting) = match self.current(seq) {
            Some(reply) => {
                // A malformed message may end early: nothing more is to come.
                reply.to_add = 0;
                (reply.count(), reply.waiting)
            }
            None => (0, 0),
        };
        Ok(Received {
            packets,
            waiting,
            refused: false,
        })
    }

    /// Answers a request the application deferred with [`Reply::later`].
    pub fn answer(
        &mut self,
        slot: Slot,
        result: Result<Response<'_>, ErrorObject<'_>>,
    ) -> Result<(), SessionError> {
        self.complete(slot, result)
    }

    // ---- outputs ----

    /// Writes the next reply message into `buf` and returns its length: `None` when none is
    /// due (no message, or the oldest still waits for answers). Messages leave in the order
    /// their requests came. On [`SessionError::Encode`] nothing is taken; retry with a
    /// buffer of the size it gives (or of [`ServerSession::transmit_len`]).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Result<Option<usize>, SessionError> {
        if self.transmit_len().is_none() {
            return Ok(None);
        }
        let n = self.batches[self.head].write_message(buf)?;
        self.head = (self.head + 1) % B;
        self.open -= 1;
        Ok(Some(n))
    }

    /// Writes `events` for an active subscription as one event message into `buf`.
    /// Refused before the hello and for subscriptions that are not active.
    pub fn encode_events(
        &self,
        subscription: &Uuid,
        events: &[DataChange<'_>],
        buf: &mut [u8],
    ) -> Result<usize, SessionError> {
        if self.state == ServerState::AwaitingHello {
            return Err(SessionError::NoHello);
        }
        if !self.is_subscribed(subscription) {
            return Err(SessionError::UnknownSubscription(*subscription));
        }
        let mut writer = BatchWriter::new(buf);
        for event in events {
            writer.push(&Packet::Event(Event::DataChange(event.clone())))?;
        }
        Ok(writer.finish()?.len())
    }

    // ---- the rules ----

    fn dispatch<A: Application<Identity = I>>(
        &mut self,
        app: &mut A,
        slot: Slot,
        request: Request<'_>,
    ) {
        match (self.state, request.command) {
            (_, Command::ClientHello(hello)) => self.hello(slot, hello),
            (ServerState::AwaitingHello, _) => self.fail(slot, ErrorCode::MissingClientHello),
            (_, Command::CreateSubSession(params)) => self.create_sub_session(app, slot, params),
            (_, Command::CloseSubSession(params)) => {
                match self.sub_sessions.remove(&params.session_id) {
                    Some(_) => self.succeed(slot, Response::CloseSubSession(())),
                    None => self.fail(slot, ErrorCode::UnknownSessionId),
                }
            }
            (_, command) => self.forward(app, slot, request.id, command),
        }
    }

    fn hello(&mut self, slot: Slot, hello: ClientHello) {
        if self.state != ServerState::AwaitingHello {
            return self.fail(slot, ErrorCode::DuplicateClientHello);
        }
        let client = VersionRange::from(hello);
        let server = self.config.versions;
        if client.min > client.max {
            return self.fail_with(
                slot,
                ErrorCode::InvalidParameter,
                format_args!(
                    "minimum protocol version {} is greater than maximum {}",
                    client.min, client.max
                ),
            );
        }
        match server.highest_common(&client) {
            Some(version) => {
                self.state = ServerState::Ready { version };
                self.succeed(
                    slot,
                    Response::ClientHello(ServerHello {
                        current_version: version,
                    }),
                );
            }
            None => self.fail_with(
                slot,
                ErrorCode::InvalidParameter,
                format_args!(
                    "no common protocol version: the client supports {client}, the server {server}"
                ),
            ),
        }
    }

    fn create_sub_session<A: Application<Identity = I>>(
        &mut self,
        app: &mut A,
        slot: Slot,
        params: CreateSubSession<'_>,
    ) {
        let desired = params.desired_session_id;
        if desired.is_some_and(|id| id.is_nil()) {
            return self.refuse(slot, Refusal::NilDesired(IdKind::SubSession));
        }
        let identity = match app.authenticate(&params.credentials) {
            Ok(identity) => identity,
            Err(code) => return self.fail(slot, code),
        };
        let fresh = || app.fresh_id(IdKind::SubSession);
        match claim(
            &mut self.sub_sessions,
            IdKind::SubSession,
            desired,
            fresh,
            identity,
        ) {
            Ok(id) => self.succeed(slot, Response::CreateSubSession(id)),
            Err(refusal) => self.refuse(slot, refusal),
        }
    }

    fn forward<A: Application<Identity = I>>(
        &mut self,
        app: &mut A,
        slot: Slot,
        id: MessageId,
        command: Command<'_>,
    ) {
        let sub_session = match command.sub_session() {
            None => None,
            Some(sid) => match self.sub_sessions.get(&sid) {
                Some(identity) => Some((sid, identity.clone())),
                None => return self.fail(slot, ErrorCode::UnknownSessionId),
            },
        };
        let subscription = match &command {
            Command::Subscribe(params) => {
                let fresh = || app.fresh_id(IdKind::Subscription);
                match claim(
                    &mut self.subscriptions,
                    IdKind::Subscription,
                    params.desired_subscription_id,
                    fresh,
                    SubState::Pending(slot),
                ) {
                    Ok(sid) => Some(sid),
                    Err(refusal) => return self.refuse(slot, refusal),
                }
            }
            Command::Unsubscribe(params) => {
                if !self.is_subscribed(&params.subscription_id) {
                    return self.fail(slot, ErrorCode::UnknownSubscriptionId);
                }
                Some(params.subscription_id)
            }
            _ => None,
        };
        if let Some(SlotState::Waiting {
            subscription: s, ..
        }) = self.slot_state_mut(slot)
        {
            *s = subscription;
        }
        let request = AppRequest {
            id,
            command,
            sub_session: sub_session
                .as_ref()
                .map(|(id, identity)| SubSession { id: *id, identity }),
            subscription,
            slot,
        };
        let _replied: Replied = app.handle(request, Reply { sink: self, slot });
    }

    // ---- answers ----

    fn succeed(&mut self, slot: Slot, response: Response<'_>) {
        let _ = self.complete(slot, Ok(response));
    }

    fn fail(&mut self, slot: Slot, code: ErrorCode) {
        let _ = self.complete(slot, Err(ErrorObject::new(code)));
    }

    fn fail_with(&mut self, slot: Slot, code: ErrorCode, message: fmt::Arguments<'_>) {
        let text = Text::<TEXT>::format(message);
        let error = ErrorObject {
            code,
            message: Some(Message::new(text.as_str())),
        };
        let _ = self.complete(slot, Err(error));
    }

    fn refuse(&mut self, slot: Slot, refusal: Refusal) {
        self.fail_with(slot, refusal.code(), format_args!("{refusal}"))
    }

    /// Answers every packet of a message over the limits with -32603, in order, without
    /// slots. Gives the batch back when even that does not fit.
    fn refuse_all(
        &mut self,
        batch: Result<Batch<'_>, DecodeError>,
        packets: usize,
    ) -> Result<Received, SessionError> {
        let limit = P.min(Y / RESERVE);
        let text = Text::<TEXT>::format(format_args!(
            "too many requests in one message (limit {limit})"
        ));
        let ids = items(batch).map(|item| reply_id(&item));
        let back = (self.head + self.open - 1) % B;
        let reply = &mut self.batches[back];
        for id in ids {
            let error = |message| {
                Packet::Error(ErrorResponse {
                    id,
                    error: ErrorObject {
                        code: ErrorCode::InternalError,
                        message,
                    },
                })
            };
            let written = reply
                .append(&error(Some(Message::new(text.as_str()))), Y)
                .or_else(|| reply.append(&error(None), Y));
            if written.is_none() {
                self.open -= 1;
                return Err(SessionError::MessageTooLarge { packets });
            }
            reply.inline += 1;
        }
        Ok(Received {
            packets: reply.inline,
            waiting: 0,
            refused: true,
        })
    }

    // ---- the ring of reply batches ----

    fn open_indices(&self) -> impl Iterator<Item = usize> + use<I, S, N, B, P, Y> {
        let head = self.head;
        (0..self.open).map(move |k| (head + k) % B)
    }

    /// Opens a reply batch at the back of the ring.
    fn open_batch(&mut self) -> Result<u64, SessionError> {
        if self.open >= B {
            return Err(SessionError::Busy { capacity: B });
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.batches[(self.head + self.open) % B].reset(seq);
        self.open += 1;
        Ok(seq)
    }

    /// The open batch with sequence number `seq`.
    fn current(&mut self, seq: u64) -> Option<&mut ReplyBatch<P, Y>> {
        let index = self.open_indices().find(|&i| self.batches[i].seq == seq)?;
        self.batches.get_mut(index)
    }

    fn slot_state_mut(&mut self, slot: Slot) -> Option<&mut SlotState> {
        self.current(slot.batch)?.slots.get_mut(slot.index)
    }

    /// Updates the subscription table for an answered subscribe or unsubscribe; a
    /// subscribe's success item becomes the subscription's id.
    fn settle_subscription<'r>(
        &mut self,
        slot: Slot,
        opcode: Opcode,
        sid: Uuid,
        result: Result<Response<'r>, ErrorObject<'r>>,
    ) -> Result<Response<'r>, ErrorObject<'r>> {
        let pending = self.subscriptions.get(&sid) == Some(&SubState::Pending(slot));
        match (opcode, result) {
            (Opcode::Subscribe, Ok(_)) => match self.subscriptions.insert(sid, SubState::Active) {
                Ok(_) => Ok(Response::Subscribe(Some(sid))),
                Err(_) => Err(ErrorObject {
                    code: ErrorCode::InternalError,
                    message: Some(Message::new("too many subscriptions")),
                }),
            },
            (Opcode::Subscribe, Err(error)) => {
                if pending {
                    self.subscriptions.remove(&sid);
                }
                Err(error)
            }
            (_, Ok(response)) => {
                self.subscriptions.remove(&sid);
                Ok(response)
            }
            (_, error) => error,
        }
    }
}

impl<I: Clone, const S: usize, const N: usize, const B: usize, const P: usize, const Y: usize> Sink
    for ServerSession<I, S, N, B, P, Y>
{
    fn complete(
        &mut self,
        slot: Slot,
        result: Result<Response<'_>, ErrorObject<'_>>,
    ) -> Result<(), SessionError> {
        let Some(&mut SlotState::Waiting {
            id,
            opcode,
            subscription,
        }) = self.slot_state_mut(slot)
        else {
            return Err(SessionError::UnknownSlot(slot));
        };
        let text = match (&result, opcode) {
            (Ok(response), Some(expected)) if response.opcode() != expected => {
                Some(Text::<TEXT>::format(format_args!(
                    "the server answered {expected} with a {} item",
                    response.opcode()
                )))
            }
            _ => None,
        };
        let result = match &text {
            Some(text) => Err(ErrorObject {
                code: ErrorCode::InternalError,
                message: Some(Message::new(text.as_str())),
            }),
            None => result,
        };
        let result = match (opcode, subscription) {
            (Some(op @ (Opcode::Subscribe | Opcode::Unsubscribe)), Some(sid)) => {
                self.settle_subscription(slot, op, sid, result)
            }
            _ => result,
        };
        let packet = match result {
            Ok(response) => Packet::Success(Success::new(id, response)),
            Err(error) => Packet::Error(ErrorResponse { id, error }),
        };
        if let Some(batch) = self.current(slot.batch) {
            batch.write(slot.index, &packet);
        }
        Ok(())
    }
}

/// The id a reply to a packet carries: its own, or 0 when it could not be read.
fn reply_id(packet: &Result<Packet<'_>, DecodeError>) -> MessageId {
    match packet {
        Ok(packet) => packet.id(),
        Err(e) => e.id(),
    }
    .unwrap_or(0)
}

/// The packets of a message, or the one error that it is not a message of packets.
fn items(
    batch: Result<Batch<'_>, DecodeError>,
) -> impl Iterator<Item = Result<Packet<'_>, DecodeError>> {
    let (batch, error) = match batch {
        Ok(batch) => (Some(batch), None),
        Err(e) => (None, Some(Err(e))),
    };
    batch.into_iter().flatten().chain(error)
}

defmt_via_debug!(
    ServerState,
    ServerConfig,
    IdKind,
    Slot,
    Received,
    Replied,
    Reply<'_>
);

#[cfg(feature = "defmt")]
impl<I, const S: usize, const N: usize, const B: usize, const P: usize, const Y: usize>
    defmt::Format for ServerSession<I, S, N, B, P, Y>
{
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}

#[cfg(feature = "defmt")]
impl<I: fmt::Debug> defmt::Format for AppRequest<'_, I> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
