//! The server session: one per WebSocket connection.
//!
//! Files by concern: [`app`](self) types the application sees (`app.rs`), the caller's
//! reply storage (`reply.rs`), the protocol rules (`rules.rs`), subscriptions and their
//! timers (`subscriptions.rs`) and the error type (`error.rs`). See [`ServerSession`] for
//! the calling order and the [module docs](super) for the rules.

use core::fmt;

use uuid::Uuid;

use super::Text;
use super::VersionRange;
use super::table::Table;
use crate::batch::{Batch, Packets, Step};
use crate::error::{DecodeError, ErrorCode, MessageId};
use crate::model::{ErrorObject, Text as Message};
use crate::op::Response;
use crate::packet::{ErrorResponse, Packet, Request, SERVER};

mod app;
mod error;
mod reply;
mod rules;
mod subscriptions;

pub use app::{AppRequest, Application, IdKind, Received, Replied, Reply, Slot, SubSession};
pub use error::ServerError;
pub use reply::{RESERVE, ReplyBuffers, ReplySlot, ReplyStorage};
pub use subscriptions::{Due, Events, Rates, Reason};

use reply::Ring;
use subscriptions::{Sub, SubState, Subs};

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

/// The server side of one connection.
///
/// Storage: the reply messages live in the caller's [`ReplyStorage`] (bytes and slots,
/// split among `MESSAGES` reply messages); the session itself holds `SESSIONS`
/// sub-sessions and `SUBSCRIPTIONS` subscriptions with their timers (about 1.4 KiB at the
/// defaults). `I` is the application's [`Application::Identity`].
///
/// Calling order, on a connection:
///
/// 1. [`handle_message`](Self::handle_message) with each received message and the
///    [`Application`] that answers its commands; then
/// 2. [`poll_transmit`](Self::poll_transmit) until it gives `None`, sending each reply
///    message. A request answered later ([`Reply::later`]) is answered with
///    [`answer`](Self::answer), then poll again.
/// 3. When data changes, [`changed`](Self::changed) for each subscription it concerns.
/// 4. [`poll_timeout`](Self::poll_timeout): when it is `Some(at)`, wait for the next
///    message or for `at`, whichever comes first (a time in the past: at once). At `at`,
///    [`handle_timeout(now)`](Self::handle_timeout), then
///    [`poll_events`](Self::poll_events) until it gives `None`, sending each event
///    message. Also after steps 1–3, as answers and changes make events due.
///
/// Time is a plain `u64` of milliseconds on the caller's clock (any epoch, never going
/// back): an `Instant`'s elapsed milliseconds, a tick counter, a virtual clock in tests.
pub struct ServerSession<
    'a,
    I = (),
    const SESSIONS: usize = 4,
    const SUBSCRIPTIONS: usize = 16,
    const MESSAGES: usize = 4,
> {
    config: ServerConfig,
    state: ServerState,
    sub_sessions: Table<Uuid, I, SESSIONS>,
    subscriptions: [Option<Sub>; SUBSCRIPTIONS],
    replies: Ring<'a, MESSAGES>,
    /// The time of the last `handle_timeout`.
    now: u64,
}

impl<I, const S: usize, const N: usize, const M: usize> fmt::Debug
    for ServerSession<'_, I, S, N, M>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("sub_sessions", &self.sub_sessions.len())
            .field("subscriptions", &self.subscription_entries())
            .field("open_messages", &self.replies.open())
            .finish()
    }
}

impl<'a, I, const S: usize, const N: usize, const M: usize> ServerSession<'a, I, S, N, M> {
    /// A session waiting for the client's hello, replying into `storage`.
    pub fn new(config: ServerConfig, storage: ReplyStorage<'a>) -> Self {
        ServerSession {
            config,
            state: ServerState::AwaitingHello,
            sub_sessions: Table::new(),
            subscriptions: [None; N],
            replies: Ring::new(storage),
            now: 0,
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

    /// True when `subscription` is active: its events are sent.
    pub fn is_subscribed(&self, subscription: &Uuid) -> bool {
        self.subscriptions
            .iter()
            .flatten()
            .any(|s| s.id == *subscription && s.state == SubState::Active)
    }

    /// The active subscriptions.
    pub fn subscriptions(&self) -> impl Iterator<Item = &Uuid> {
        self.subscriptions
            .iter()
            .flatten()
            .filter(|s| s.state == SubState::Active)
            .map(|s| &s.id)
    }

    /// The update rates of a subscription in the table (pending or active).
    pub fn rates(&self, subscription: &Uuid) -> Option<Rates> {
        let sub = self
            .subscriptions
            .iter()
            .flatten()
            .find(|s| s.id == *subscription);
        sub.map(|s| s.rates)
    }

    /// Entries in the subscription table, pending ones included (at most `SUBSCRIPTIONS`).
    pub fn subscription_entries(&self) -> usize {
        self.subscriptions.iter().flatten().count()
    }

    /// Reply messages being filled or waiting to be sent (at most `MESSAGES`).
    pub fn open_messages(&self) -> usize {
        self.replies.open()
    }

    /// Requests waiting for [`ServerSession::answer`].
    pub fn waiting(&self) -> usize {
        self.replies.waiting()
    }

    /// The length of the reply message [`ServerSession::poll_transmit`] would write now.
    pub fn transmit_len(&self) -> Option<usize> {
        self.replies.transmit_len()
    }

    // ---- inputs ----

    /// Handles one received message: every request is answered (by the machine, or by
    /// `app`, now or later) and the reply message is queued for
    /// [`ServerSession::poll_transmit`]. The message is read once; its packet count comes
    /// from its array head.
    ///
    /// Errors leave the session as it was: [`ServerError::Busy`] (retry later) and
    /// [`ServerError::MessageTooLarge`].
    pub fn handle_message<A: Application<Identity = I>>(
        &mut self,
        message: &[u8],
        app: &mut A,
    ) -> Result<Received, ServerError> {
        let batch = Batch::new(message);
        let packets = match &batch {
            Ok(batch) => batch.iter().remaining_as::<SERVER>(),
            Err(_) => 1,
        };
        if packets == 0 {
            return Ok(Received {
                packets,
                waiting: 0,
                refused: false,
            });
        }
        let Some(seq) = self.replies.open_back() else {
            return Err(ServerError::Busy { capacity: M });
        };
        let Some(reply) = self.replies.get(seq) else {
            return Err(ServerError::Busy { capacity: M });
        };
        if !reply.fits(packets) {
            let limit = reply.limit();
            return self.refuse_all(seq, batch, packets, limit);
        }
        // An answer given while the message is read must leave room for the rest of it.
        reply.head.to_add = packets;
        for (n, packet) in Incoming::new(&batch).enumerate() {
            let id = packet.reply_id();
            let opcode = match &packet {
                In::Request(r) => Some(r.command.opcode()),
                _ => None,
            };
            // `packets` slots fit: the count was checked above. Beyond it only a last fatal
            // error can come (bytes after a definite outer array), answered if it fits.
            let extra = n >= packets;
            let Some(index) = self
                .replies
                .get(seq)
                .filter(|r| !extra || r.has_room())
                .and_then(|mut r| r.add(id, opcode))
            else {
                continue;
            };
            let slot = Slot {
                batch: seq,
                index: index as u32,
            };
            match packet {
                In::Request(request) => self.dispatch(app, slot, request),
                In::Other(kind, _) => self.fail_with(
                    slot,
                    ErrorCode::InvalidRequest,
                    format_args!("{kind} packet sent to a server"),
                ),
                In::Error(e) => self.fail_with(slot, e.code(), format_args!("{e}")),
            }
        }
        let (packets, waiting) = match self.replies.get(seq) {
            Some(reply) => {
                // A malformed message may end early: nothing more is to come.
                reply.head.to_add = 0;
                (reply.count(), reply.head.waiting)
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
    ) -> Result<(), ServerError> {
        self.respond(slot, result)
    }

    /// Notes that data a subscription covers changed: its next event, with the latest
    /// values, goes out once its throttle (`maximum_update_rate`) allows — see
    /// [`poll_timeout`](Self::poll_timeout). Changes before then are coalesced into that
    /// one event. Fails for a subscription not in the table.
    pub fn changed(&mut self, subscription: &Uuid) -> Result<(), ServerError> {
        match Subs(&mut self.subscriptions).changed(subscription) {
            true => Ok(()),
            false => Err(ServerError::UnknownSubscription(*subscription)),
        }
    }

    /// The time at which [`handle_timeout`](Self::handle_timeout) is next due: the
    /// earliest event of a subscription (its first right after subscribe succeeds, a
    /// change when the throttle ends, a heartbeat). `None` when no event will fall due
    /// without a call to [`changed`](Self::changed). May be in the past: call at once.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        match Subs::any_due_in(&self.subscriptions) {
            true => Some(self.now),
            false => Subs::timeout_of(&self.subscriptions),
        }
    }

    /// Fires what is due at `now`: marks each subscription whose event is due, for
    /// [`poll_events`](Self::poll_events). Returns how many are due.
    pub fn handle_timeout(&mut self, now: u64) -> usize {
        self.now = self.now.max(now);
        Subs(&mut self.subscriptions).handle_timeout(self.now)
    }

    // ---- outputs ----

    /// Writes the next reply message into `buf` and returns its length: `None` when none is
    /// due (no message, or the oldest still waits for answers). Messages leave in the order
    /// their requests came. On [`ServerError::Encode`] nothing is taken; retry with a
    /// buffer of the size it gives (or of [`ServerSession::transmit_len`]).
    #[must_use = "send the reply message it wrote"]
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Result<Option<usize>, ServerError> {
        Ok(self.replies.pop_front(buf)?)
    }

    /// Writes the events of every subscription marked due by
    /// [`handle_timeout`](Self::handle_timeout) into `buf`, as one event message, and
    /// returns its length; `None` when none is due.
    ///
    /// `fill` is called once per due subscription with its [`Due`] (why it is due says
    /// which attributes to send) and pushes one [`DataChange`](crate::DataChange) per
    /// element. A subscription whose events do not fit after others goes in the next
    /// message (call again); one that does not fit alone is dropped with
    /// [`ServerError::EventsTooLarge`]. A due subscription counts as sent when `fill`
    /// returns, even if it pushed nothing: its throttle and heartbeat restart.
    #[must_use = "send the event message it wrote"]
    pub fn poll_events(
        &mut self,
        buf: &mut [u8],
        mut fill: impl FnMut(Due, &mut Events<'_, '_>),
    ) -> Result<Option<usize>, ServerError> {
        Subs(&mut self.subscriptions).poll_events(self.now, buf, &mut fill)
    }

    // ---- a message over the limits ----

    /// Answers every packet of a message over the limits with -32603, in order, without
    /// slots. Gives the reply message back when even that does not fit.
    fn refuse_all(
        &mut self,
        seq: u32,
        batch: Result<Batch<'_>, DecodeError>,
        packets: usize,
        limit: usize,
    ) -> Result<Received, ServerError> {
        let text = Text::<TEXT>::format(format_args!(
            "too many requests in one message (limit {limit})"
        ));
        let Some(mut reply) = self.replies.get(seq) else {
            return Err(ServerError::Busy { capacity: M });
        };
        for item in Incoming::new(&batch) {
            let id = item.reply_id();
            let error = |message| ErrorResponse {
                id,
                error: ErrorObject {
                    code: ErrorCode::InternalError,
                    message,
                },
            };
            let written = reply.write_inline(&error(Some(Message::new(text.as_str()))))
                || reply.write_inline(&error(None));
            if !written {
                self.replies.close_back();
                return Err(ServerError::MessageTooLarge { packets });
            }
        }
        Ok(Received {
            packets: reply.inline(),
            waiting: 0,
            refused: true,
        })
    }
}

/// A packet of a received message, as a server reads it.
enum In<'a> {
    /// A request (its parameters typed, its sequences read as iterated).
    Request(Request<'a>),
    /// A packet of another type (its body stepped over): its type, its id.
    Other(&'static str, Option<MessageId>),
    /// A packet that does not decode, or the message that is not one of packets.
    Error(DecodeError),
}

impl In<'_> {
    /// The id a reply to the packet carries: its own, or 0 when it could not be read.
    fn reply_id(&self) -> MessageId {
        match self {
            In::Request(r) => Some(r.id),
            In::Other(_, id) => *id,
            In::Error(e) => e.id(),
        }
        .unwrap_or(0)
    }
}

/// The packets of a message as a server reads them, then the one error that it is not a
/// message of packets. Malformed bytes in the unread last part of a request already
/// handed to the application end the message without an answer of their own: the
/// application read them, as an element error, and answered that request.
struct Incoming<'a> {
    packets: Option<Packets<'a>>,
    error: Option<DecodeError>,
}

impl<'a> Incoming<'a> {
    fn new(batch: &'a Result<Batch<'_>, DecodeError>) -> Self {
        match batch {
            Ok(batch) => Incoming {
                packets: Some(batch.iter()),
                error: None,
            },
            Err(e) => Incoming {
                packets: None,
                error: Some(*e),
            },
        }
    }
}

impl<'a> Iterator for Incoming<'a> {
    type Item = In<'a>;

    fn next(&mut self) -> Option<In<'a>> {
        let Some(packets) = &mut self.packets else {
            return self.error.take().map(In::Error);
        };
        loop {
            let mut packet = Packet::placeholder();
            return match (packets.step::<SERVER>(&mut packet), packet) {
                (Step::Packet, Packet::Request(request)) => Some(In::Request(request)),
                (Step::Packet | Step::Foreign, other) => Some(In::Other(other.kind(), other.id())),
                (Step::Error(e), _) => Some(In::Error(e)),
                (Step::Tail(_), _) => continue,
                (Step::End, _) => None,
            };
        }
    }
}

defmt_via_debug!(ServerState, ServerConfig);

#[cfg(feature = "defmt")]
impl<I, const S: usize, const N: usize, const M: usize> defmt::Format
    for ServerSession<'_, I, S, N, M>
{
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
