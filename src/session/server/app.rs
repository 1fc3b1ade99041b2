//! What the application sees: the [`Application`] trait, the commands it is handed and
//! the [`Reply`] it answers them with.

use core::fmt;

use uuid::Uuid;

use super::TEXT;
use super::reply::ReplyMut;
use super::rules::complete;
use super::subscriptions::Subs;
use crate::error::{DecodeError, ErrorCode, MessageId};
use crate::model::{ErrorObject, Text as Message};
use crate::op::params::Credentials;
use crate::op::{Command, Response};
use crate::session::Text;

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
    type Identity;

    /// Checks create_sub_session's credentials. `Err` (usually
    /// [`ErrorCode::AccessDenied`]) is sent to the client as is.
    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<Self::Identity, ErrorCode>;

    /// A new id for a sub-session or subscription whose client desired none. It must be
    /// unique and not nil (the crate has no random numbers of its own).
    fn fresh_id(&mut self, kind: IdKind) -> Uuid;

    /// Answers a command: right away through `reply`, or [`Reply::later`] and afterwards
    /// with [`ServerSession::answer`](super::ServerSession::answer) and [`AppRequest::slot`].
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
    /// Where the answer goes, for [`ServerSession::answer`](super::ServerSession::answer).
    pub slot: Slot,
}

/// The place of one request in a reply message: what
/// [`ServerSession::answer`](super::ServerSession::answer) takes.
///
/// A slot belongs to the session that made it and is used once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub(super) batch: u32,
    pub(super) index: u32,
}

/// Proof that a command was answered or deferred: only [`Reply`] makes one.
#[must_use = "return it from Application::handle"]
#[derive(Debug)]
pub struct Replied(());

/// The way to answer one command, handed to [`Application::handle`]. It writes into the
/// reply message directly: an answer never calls back into the session.
#[must_use = "answer the request, or call `later`"]
pub struct Reply<'s> {
    pub(super) reply: ReplyMut<'s>,
    pub(super) subs: Subs<'s>,
    pub(super) slot: Slot,
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
    pub fn answer(mut self, result: Result<Response<'_>, ErrorObject<'_>>) -> Replied {
        // The slot was made for this reply and is waiting: this cannot fail.
        let _ = complete(&mut self.reply, &mut self.subs, self.slot, result);
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

    /// Answers later with [`ServerSession::answer`](super::ServerSession::answer); the
    /// reply message waits until then.
    pub fn later(self) -> Replied {
        Replied(())
    }
}

/// What [`ServerSession::handle_message`](super::ServerSession::handle_message) did with
/// a message.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Packets in the message: the reply will hold as many responses (none for `[]`).
    pub packets: usize,
    /// How many of them wait for [`ServerSession::answer`](super::ServerSession::answer).
    pub waiting: usize,
    /// True when the message was over the limits: every packet was answered -32603 and
    /// none reached the application.
    pub refused: bool,
}

defmt_via_debug!(IdKind, Slot, Received, Replied, Reply<'_>);

#[cfg(feature = "defmt")]
impl<I: fmt::Debug> defmt::Format for AppRequest<'_, I> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
