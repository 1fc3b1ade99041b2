//! What the application sees: the [`Application`] trait, the requests it is handed and
//! the [`Reply`] it answers them with.

use core::fmt;

use uuid::Uuid;

use super::answer::{Answer, answer, decode_error_text, error_text};
use super::reply::{Place, ReplyMut, Ticket};
use super::subscriptions::{Rates, Subs};
use crate::error::{DecodeError, ErrorCode, MessageId};
use crate::model::ErrorObject;
use crate::op::params::Credentials;
use crate::op::{Command, Response};

/// What a fresh id is for (see [`Application::fresh_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IdKind {
    /// A sub-session made by create_sub_session.
    SubSession,
    /// A subscription made by subscribe.
    Subscription,
}

impl IdKind {
    /// What the id is for, in words (`"sub-session"`).
    pub const fn name(self) -> &'static str {
        match self {
            IdKind::SubSession => "sub-session",
            IdKind::Subscription => "subscription",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The application behind a server session: it checks credentials, makes ids, answers
/// every command the machine does not answer itself and says what a subscription covers.
///
/// The machine answers client_hello, create_sub_session (after
/// [`authenticate`](Self::authenticate)), close_sub_session and unsubscribe itself, and
/// keeps what the application names per sub-session ([`Identity`](Self::Identity)) and
/// per subscription ([`Subscription`](Self::Subscription)) in its tables: an application
/// never mirrors them.
pub trait Application {
    /// Who a sub-session is, as the application wants to remember it (a user name, a
    /// role, …). The machine keeps one per sub-session and hands it back with each command
    /// that names the sub-session.
    type Identity;

    /// What the application keeps per subscription (what it covers, the values it last
    /// sent, …): given when a subscribe is accepted ([`Reply::accept`]), held in the
    /// session's table beside the subscription's timers, handed back with each due event
    /// ([`ServerSession::poll_events`](super::ServerSession::poll_events)) and dropped when
    /// the subscription ends.
    type Subscription;

    /// Checks create_sub_session's credentials. `Err` (usually
    /// [`ErrorCode::AccessDenied`]) is sent to the client as is.
    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<Self::Identity, ErrorCode>;

    /// A new id for a sub-session or subscription whose client desired none. It must be
    /// unique and not nil (the crate has no random numbers of its own).
    fn fresh_id(&mut self, kind: IdKind) -> Uuid;

    /// Answers a command: every one but those the machine answers itself (client_hello,
    /// create_sub_session, close_sub_session, unsubscribe), which never come here. Answer
    /// right away through `reply` — a subscribe with [`Reply::accept`] and what to keep
    /// for the subscription — or with [`Reply::later`] and afterwards
    /// [`ServerSession::answer`](super::ServerSession::answer) with [`AppRequest::ticket`].
    fn handle(
        &mut self,
        request: AppRequest<'_, Self::Identity>,
        reply: Reply<'_, Self::Subscription>,
    ) -> Replied;

    /// An unsubscribe ended subscription `id` (the machine has answered it): what was kept
    /// for it, handed back. The default drops it.
    fn unsubscribed(&mut self, id: Uuid, subscription: Self::Subscription) {
        let _ = (id, subscription);
    }
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

/// The subscription a subscribe makes: its id is picked and its entry reserved; it
/// becomes active when the answer is [`Reply::accept`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSubscription {
    /// The subscription's id: the desired one, or a fresh one.
    pub id: Uuid,
    /// Its update rates, as the timers keep them.
    pub rates: Rates,
}

/// A command for the application, checked against the session's rules.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AppRequest<'a, I> {
    /// The request's message id.
    pub id: MessageId,
    /// The command (never one the machine answers itself).
    pub command: Command<'a>,
    /// The sub-session the command names ([`Command::sub_session`]), known to exist.
    pub sub_session: Option<SubSession<'a, I>>,
    /// For a subscribe, the subscription it makes.
    pub subscription: Option<NewSubscription>,
    /// The request's place, for [`ServerSession::answer`](super::ServerSession::answer).
    pub ticket: Ticket,
}

/// Proof that a command was answered or deferred: only [`Reply`] makes one.
#[must_use = "return it from Application::handle"]
#[derive(Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Replied(pub(super) ());

/// The way to answer one command, handed to [`Application::handle`]. It writes into the
/// reply message directly: an answer never calls back into the session. `W` is what a
/// subscribe's success keeps ([`Application::Subscription`]).
#[must_use = "answer the request, or call `later`"]
pub struct Reply<'s, W> {
    pub(super) reply: ReplyMut<'s>,
    pub(super) subs: Subs<'s, W>,
    pub(super) place: Place,
}

impl<W> fmt::Debug for Reply<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("ticket", &self.place.ticket)
            .finish()
    }
}

impl<W> Reply<'_, W> {
    /// The request's ticket.
    pub fn ticket(&self) -> Ticket {
        self.place.ticket
    }

    /// Answers with a success or an error object. A success of the wrong kind for the
    /// request (an item of another opcode, [`Answer::Subscribed`] for what is not a
    /// subscribe, a [`Response`] for a subscribe) is sent as -32603.
    pub fn answer(mut self, result: Result<Answer<'_, W>, ErrorObject<'_>>) -> Replied {
        answer(&mut self.reply, &mut self.subs, self.place, result);
        Replied(())
    }

    /// Answers with a success item (of the request's opcode).
    pub fn ok(self, response: Response<'_>) -> Replied {
        self.answer(Ok(Answer::Response(response)))
    }

    /// Accepts a subscribe: its events start (the first is due at once), `data` is kept
    /// for it, and the success item is the subscription's id.
    pub fn accept(self, data: W) -> Replied {
        self.answer(Ok(Answer::Subscribed(data)))
    }

    /// Answers with an error and the code's standard message.
    pub fn error(self, code: ErrorCode) -> Replied {
        self.answer(Err(ErrorObject::new(code)))
    }

    /// Answers with an error and a message.
    pub fn error_message(self, code: ErrorCode, message: &str) -> Replied {
        self.answer(Err(error_text(code, message)))
    }

    /// Answers with the code and text of a decode error: for an element of a
    /// [`Seq`](crate::Seq) in the command that did not decode.
    pub fn decode_error(self, error: &DecodeError) -> Replied {
        let text = decode_error_text(error);
        self.answer(Err(error_text(error.code(), text.as_str())))
    }

    /// Answers later with [`ServerSession::answer`](super::ServerSession::answer) and
    /// [`Reply::ticket`]; the reply message waits until then (and a subscribe's
    /// subscription has no events).
    pub fn later(self) -> Replied {
        Replied(())
    }
}

#[cfg(feature = "defmt")]
impl<W> defmt::Format for Reply<'_, W> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Reply {{ ticket: {} }}", self.place.ticket)
    }
}

/// As `Debug`, the UUID hyphenated.
#[cfg(feature = "defmt")]
impl<I: defmt::Format> defmt::Format for SubSession<'_, I> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "SubSession {{ id: {}, identity: {} }}",
            crate::model::DefmtUuid(self.id),
            self.identity
        )
    }
}

/// As `Debug`, the UUID hyphenated.
#[cfg(feature = "defmt")]
impl defmt::Format for NewSubscription {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "NewSubscription {{ id: {}, rates: {} }}",
            crate::model::DefmtUuid(self.id),
            self.rates
        )
    }
}
