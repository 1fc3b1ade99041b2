//! The server session: one per WebSocket connection.
//!
//! Files by concern, each importing only those before it: the caller's reply storage and
//! the [`Ticket`] (`reply.rs`), the error type (`error.rs`), the sub-session table
//! (`sub_sessions.rs`), subscriptions with their lifecycle and timers
//! (`subscriptions.rs`), the answer step (`answer.rs`), what the application sees
//! (`app.rs`), a received message as a server reads it (`incoming.rs`), the protocol
//! rules (`rules.rs`) and the session itself (here). See [`ServerSession`] for the
//! calling order and the [module docs](super) for the rules.

use core::fmt;

use uuid::Uuid;

use crate::batch::Batch;
use crate::error::text::TextSink;
use crate::error::{DecodeError, ErrorCode};
use crate::model::{ErrorObject, Text};
use crate::packet::ErrorResponse;

mod answer;
mod app;
mod error;
mod incoming;
mod reply;
mod rules;
mod sub_sessions;
mod subscriptions;

pub use answer::Answer;
pub use app::{AppRequest, Application, IdKind, NewSubscription, Replied, Reply, SubSession};
pub use error::ServerError;
pub use reply::{ReplyMessage, ReplySlot, ReplyStorage, Ticket};
pub use rules::{ServerConfig, ServerState};
pub use sub_sessions::SubSessionSlot;
pub use subscriptions::{
    Due, Events, Rates, Reason, Subscription, SubscriptionMut, SubscriptionSlot,
};

use incoming::Incoming;
use reply::{ReplyMut, Ring};
use rules::Rules;
use sub_sessions::SubSessions;
use subscriptions::{Subs, SubsRef};

/// All the storage a [`ServerSession`] works in, the caller's (smoltcp's
/// `Socket::new(rx_buffer, tx_buffer)`): the reply messages, and the sub-session and
/// subscription tables with what the application keeps in them. Their sizes are the
/// session's limits ([module docs](crate::session#limits)). [`ServerBuffers`] holds all
/// of it in one value.
pub struct ServerStorage<'a, A: Application> {
    replies: ReplyStorage<'a>,
    sub_sessions: &'a mut [SubSessionSlot<A::Identity>],
    subscriptions: &'a mut [SubscriptionSlot<A::Subscription>],
}

impl<'a, A: Application> ServerStorage<'a, A> {
    /// Storage over the caller's buffers.
    pub fn new(
        replies: ReplyStorage<'a>,
        sub_sessions: &'a mut [SubSessionSlot<A::Identity>],
        subscriptions: &'a mut [SubscriptionSlot<A::Subscription>],
    ) -> Self {
        ServerStorage {
            replies,
            sub_sessions,
            subscriptions,
        }
    }
}

impl<A: Application> fmt::Debug for ServerStorage<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerStorage")
            .field("replies", &self.replies)
            .field("sub_sessions", &self.sub_sessions.len())
            .field("subscriptions", &self.subscriptions.len())
            .finish()
    }
}

/// A server session's storage in one value, for a caller that wants it inline (in a
/// `static`, a `Box`, a task's state): `MESSAGES` reply messages sharing `SLOTS` slots
/// and `BYTES` bytes, `SESSIONS` sub-sessions and `SUBSCRIPTIONS` subscriptions. The
/// defaults give each of four reply messages 8 KiB and 32 responses, with 4 sub-sessions
/// and 16 subscriptions.
pub struct ServerBuffers<
    A: Application,
    const BYTES: usize = 32768,
    const SLOTS: usize = 128,
    const MESSAGES: usize = 4,
    const SESSIONS: usize = 4,
    const SUBSCRIPTIONS: usize = 16,
> {
    messages: [ReplyMessage; MESSAGES],
    slots: [ReplySlot; SLOTS],
    bytes: [u8; BYTES],
    sub_sessions: [SubSessionSlot<A::Identity>; SESSIONS],
    subscriptions: [SubscriptionSlot<A::Subscription>; SUBSCRIPTIONS],
}

impl<
    A: Application,
    const BYTES: usize,
    const SLOTS: usize,
    const MESSAGES: usize,
    const SESSIONS: usize,
    const SUBSCRIPTIONS: usize,
> ServerBuffers<A, BYTES, SLOTS, MESSAGES, SESSIONS, SUBSCRIPTIONS>
{
    /// Empty buffers.
    pub const fn new() -> Self {
        ServerBuffers {
            messages: [ReplyMessage::EMPTY; MESSAGES],
            slots: [ReplySlot::EMPTY; SLOTS],
            bytes: [0; BYTES],
            sub_sessions: [const { SubSessionSlot::EMPTY }; SESSIONS],
            subscriptions: [const { SubscriptionSlot::EMPTY }; SUBSCRIPTIONS],
        }
    }

    /// The storage to give [`ServerSession::new`].
    pub fn storage(&mut self) -> ServerStorage<'_, A> {
        ServerStorage::new(
            ReplyStorage::new(&mut self.messages, &mut self.slots, &mut self.bytes),
            &mut self.sub_sessions,
            &mut self.subscriptions,
        )
    }
}

impl<
    A: Application,
    const BYTES: usize,
    const SLOTS: usize,
    const MESSAGES: usize,
    const SESSIONS: usize,
    const SUBSCRIPTIONS: usize,
> Default for ServerBuffers<A, BYTES, SLOTS, MESSAGES, SESSIONS, SUBSCRIPTIONS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<
    A: Application,
    const BYTES: usize,
    const SLOTS: usize,
    const MESSAGES: usize,
    const SESSIONS: usize,
    const SUBSCRIPTIONS: usize,
> fmt::Debug for ServerBuffers<A, BYTES, SLOTS, MESSAGES, SESSIONS, SUBSCRIPTIONS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuffers")
            .field("bytes", &BYTES)
            .field("slots", &SLOTS)
            .field("messages", &MESSAGES)
            .field("sub_sessions", &SESSIONS)
            .field("subscriptions", &SUBSCRIPTIONS)
            .finish()
    }
}

/// What [`ServerSession::handle_message`] did with a message.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Received {
    /// Packets in the message: the reply will hold as many responses (none for `[]`).
    pub packets: usize,
    /// How many of them wait for [`ServerSession::answer`].
    pub waiting: usize,
    /// True when the message was over the limits: every packet was answered -32603 and
    /// none reached the application.
    pub refused: bool,
}

/// The server side of one connection.
///
/// Storage: everything lives in the caller's [`ServerStorage`] — the reply messages, the
/// sub-session table with each one's [`Application::Identity`] and the subscription table
/// with each one's timers and [`Application::Subscription`]. `A` is the application whose
/// types those are; the capacities are the storage's sizes, not type parameters.
///
/// Calling order, on a connection:
///
/// 1. [`handle_message`](Self::handle_message) with each received message and the
///    [`Application`] that answers its commands; then
/// 2. [`poll_transmit`](Self::poll_transmit) until it gives `None`, sending each reply
///    message. A request answered later ([`Reply::later`]) is answered with
///    [`answer`](Self::answer), then poll again.
/// 3. When data changes, [`changed`](Self::changed) for each subscription it concerns
///    (or [`changed_at`](Self::changed_at) for a change the application knows is
///    coming; [`subscriptions_mut`](Self::subscriptions_mut) to go through them with
///    what it keeps for each).
/// 4. [`poll_timeout`](Self::poll_timeout): when it is `Some(at)`, wait for the next
///    message or for `at`, whichever comes first (a time in the past: at once). Then
///    [`poll_events(now, …)`](Self::poll_events) until it gives `None`, sending each
///    event message. Also after steps 1–3, as answers and changes make events due (a
///    subscribe accepted has its first event due at once).
///
/// Time is a plain `u64` of milliseconds on the caller's clock (any epoch, never going
/// back): an `Instant`'s elapsed milliseconds, a tick counter, a virtual clock in tests.
pub struct ServerSession<'a, A: Application> {
    config: ServerConfig,
    state: ServerState,
    sub_sessions: &'a mut [SubSessionSlot<A::Identity>],
    subscriptions: &'a mut [SubscriptionSlot<A::Subscription>],
    replies: Ring<'a>,
    /// The time of the last `handle_timeout`.
    now: u64,
}

impl<A: Application> fmt::Debug for ServerSession<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("sub_sessions", &self.sub_sessions().count())
            .field("subscriptions", &self.subscription_entries())
            .field("open_messages", &self.replies.open())
            .finish()
    }
}

impl<'a, A: Application> ServerSession<'a, A> {
    /// A session waiting for the client's hello, working in `storage`. The storage is
    /// emptied first (what a previous session left there, its sub-sessions, subscriptions
    /// and replies, is dropped), so one storage serves one connection after another.
    pub fn new(config: ServerConfig, storage: ServerStorage<'a, A>) -> Self {
        storage.sub_sessions.fill_with(|| SubSessionSlot::EMPTY);
        storage.subscriptions.fill_with(|| SubscriptionSlot::EMPTY);
        ServerSession {
            config,
            state: ServerState::AwaitingHello,
            sub_sessions: storage.sub_sessions,
            subscriptions: storage.subscriptions,
            replies: Ring::new(storage.replies),
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
    pub fn sub_session(&self, id: &Uuid) -> Option<&A::Identity> {
        self.sub_sessions().find(|(k, _)| *k == id).map(|(_, i)| i)
    }

    /// The open sub-sessions.
    pub fn sub_sessions(&self) -> impl Iterator<Item = (&Uuid, &A::Identity)> {
        sub_sessions::entries(self.sub_sessions)
    }

    /// True when `subscription` is active: its events are sent.
    pub fn is_subscribed(&self, subscription: &Uuid) -> bool {
        self.subs().is_active(subscription)
    }

    /// The active subscriptions, with what the application keeps for each.
    pub fn subscriptions(&self) -> impl Iterator<Item = Subscription<'_, A::Subscription>> {
        SubsRef(self.subscriptions).active()
    }

    /// The active subscriptions, to change what the application keeps for each or to note
    /// a change ([`SubscriptionMut::changed_at`]).
    pub fn subscriptions_mut(
        &mut self,
    ) -> impl Iterator<Item = SubscriptionMut<'_, A::Subscription>> {
        Subs(self.subscriptions).active_mut()
    }

    /// The update rates of a subscription in the table (pending or active).
    pub fn rates(&self, subscription: &Uuid) -> Option<Rates> {
        self.subs().rates(subscription)
    }

    /// Entries in the subscription table, pending ones included (at most its size).
    pub fn subscription_entries(&self) -> usize {
        self.subs().len()
    }

    /// Reply messages being filled or waiting to be sent (at most
    /// [`ReplyStorage::messages`]).
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

    fn subs(&self) -> SubsRef<'_, A::Subscription> {
        SubsRef(self.subscriptions)
    }

    // ---- inputs ----

    /// Handles one received message: every request is answered (by the machine, or by
    /// `app`, now or later) and the reply message is queued for
    /// [`ServerSession::poll_transmit`]. The message is read once; its packet count comes
    /// from its array head.
    ///
    /// Errors leave the session as it was: [`ServerError::Busy`] (retry later) and
    /// [`ServerError::MessageTooLarge`].
    pub fn handle_message(&mut self, message: &[u8], app: &mut A) -> Result<Received, ServerError> {
        let batch = Batch::new(message);
        let packets = incoming::count(&batch);
        if packets == 0 {
            return Ok(Received {
                packets,
                waiting: 0,
                refused: false,
            });
        }
        let capacity = self.replies.capacity();
        let ServerSession {
            config,
            state,
            sub_sessions,
            subscriptions,
            replies,
            ..
        } = self;
        let Some(mut reply) = replies.open_back() else {
            return Err(ServerError::Busy { capacity });
        };
        if !reply.fits(packets) {
            let refused = refuse_all(reply, &batch, packets);
            if refused.is_err() {
                replies.close_back();
            }
            return refused;
        }
        // An answer given while the message is read must leave room for the rest of it.
        reply.expect(packets);
        let mut rules = Rules::<A> {
            config,
            state,
            sub_sessions: SubSessions(sub_sessions),
            subs: Subs(subscriptions),
            reply,
        };
        for (n, packet) in Incoming::new(&batch).enumerate() {
            // `packets` slots fit: the count was checked above. Beyond it only a last fatal
            // error can come (bytes after a definite outer array), answered if it fits.
            rules.packet(app, packet, n >= packets);
        }
        // A malformed message may end early: nothing more is to come.
        rules.reply.expect(0);
        let (packets, waiting) = rules.reply.counts();
        Ok(Received {
            packets,
            waiting,
            refused: false,
        })
    }

    /// Answers a request the application deferred with [`Reply::later`]: as
    /// [`Reply::answer`] does (a subscribe is accepted with [`Answer::Subscribed`]).
    pub fn answer(
        &mut self,
        ticket: Ticket,
        result: Result<Answer<'_, A::Subscription>, ErrorObject<'_>>,
    ) -> Result<(), ServerError> {
        let Some((mut reply, place)) = self.replies.find(ticket) else {
            return Err(ServerError::UnknownTicket(ticket));
        };
        answer::answer(&mut reply, &mut Subs(self.subscriptions), place, result);
        Ok(())
    }

    /// Notes that data a subscription covers changed: its next event, with the latest
    /// values, goes out once its throttle (`maximum_update_rate`) allows — see
    /// [`poll_timeout`](Self::poll_timeout). Changes before then are coalesced into that
    /// one event. Fails for a subscription not in the table.
    pub fn changed(&mut self, subscription: &Uuid) -> Result<(), ServerError> {
        self.changed_at(subscription, 0)
    }

    /// Notes that data a subscription covers changes at `at`: now or before (as
    /// [`changed`](Self::changed)), or at a time to come that the application knows (a
    /// value sampled on a period, say), so that the session's one timer covers it too.
    /// Of several changes not sent yet, the earliest counts. Fails for a subscription not
    /// in the table.
    pub fn changed_at(&mut self, subscription: &Uuid, at: u64) -> Result<(), ServerError> {
        match Subs(self.subscriptions).changed_at(subscription, at) {
            true => Ok(()),
            false => Err(ServerError::UnknownSubscription(*subscription)),
        }
    }

    /// The time at which [`poll_events`](Self::poll_events) has events to write next: the
    /// earliest event of a subscription (its first right after subscribe succeeds, a
    /// change when the throttle ends, a heartbeat). `None` when no event will fall due
    /// without a call to [`changed`](Self::changed). May be in the past: poll at once.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.subs().timeout(self.now)
    }

    /// Marks each subscription whose event is due at `now`, for
    /// [`poll_events`](Self::poll_events), and returns how many are due. `poll_events`
    /// does this itself; call it to learn the count or to fix the time events are sent
    /// at.
    pub fn handle_timeout(&mut self, now: u64) -> usize {
        self.now = self.now.max(now);
        Subs(self.subscriptions).handle_timeout(self.now)
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

    /// Writes the events of every subscription due at `now` (or marked due by
    /// [`handle_timeout`](Self::handle_timeout)) into `buf`, as one event message, and
    /// returns its length; `None` when none is due.
    ///
    /// `fill` is called once per due subscription with its [`Due`] (why it is due says
    /// which attributes to send) and what the application keeps for it, and pushes one
    /// [`DataChange`](crate::DataChange) per element. A subscription whose events do not
    /// fit after others goes in the next message (call again); one that does not fit
    /// alone is dropped with [`ServerError::EventsTooLarge`]. A due subscription counts as
    /// sent when `fill` returns, even if it pushed nothing — its throttle and heartbeat
    /// restart — except for a change ([`Reason::Change`]) that turned out to be none: with
    /// nothing pushed, the heartbeat still counts from the last event, so it comes on time
    /// however often the application reports changes that are not.
    #[must_use = "send the event message it wrote"]
    pub fn poll_events(
        &mut self,
        now: u64,
        buf: &mut [u8],
        mut fill: impl FnMut(Due, &mut A::Subscription, &mut Events<'_, '_>),
    ) -> Result<Option<usize>, ServerError> {
        self.handle_timeout(now);
        Subs(self.subscriptions).poll_events(self.now, buf, &mut fill)
    }
}

/// Answers every packet of a message over the limits with -32603, in order, without
/// slots. Gives the reply message back when even that does not fit.
fn refuse_all(
    mut reply: ReplyMut<'_>,
    batch: &Result<Batch<'_>, DecodeError>,
    packets: usize,
) -> Result<Received, ServerError> {
    let limit = reply.limit();
    let text = answer::format(|text| {
        text.str("too many requests in one message (limit ")
            .u64(limit as u64)
            .str(")");
    });
    for item in Incoming::new(batch) {
        let id = item.reply_id();
        let error = |message| ErrorResponse {
            id,
            error: ErrorObject {
                code: ErrorCode::InternalError,
                message,
            },
        };
        let written = reply.write_inline(&error(Some(Text::new(text.as_str()))))
            || reply.write_inline(&error(None));
        if !written {
            return Err(ServerError::MessageTooLarge { packets });
        }
    }
    Ok(Received {
        packets: reply.counts().0,
        waiting: 0,
        refused: true,
    })
}

/// What `Debug` shows: configuration, state and how much of the storage is in use.
#[cfg(feature = "defmt")]
impl<A: Application> defmt::Format for ServerSession<'_, A> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "ServerSession {{ config: {}, state: {}, sub_sessions: {=usize}, subscriptions: {=usize}, open_messages: {=usize} }}",
            self.config,
            self.state,
            self.sub_sessions().count(),
            self.subscription_entries(),
            self.replies.open()
        )
    }
}
