//! What the application sees: the [`Application`] trait, the requests it is handed and
//! the replies it answers them with.

use core::fmt;

use uuid::Uuid;

use super::answer::{answer, answer_subscribe, decode_error_text, error_text};
use super::reply::{Place, ReplyMut, Slot};
use super::subscriptions::{Rates, Subs};
use crate::error::{DecodeError, ErrorCode, MessageId};
use crate::model::ErrorObject;
use crate::op::params::{
    Browse, Credentials, GetStage, Lookup, MetaData, Read, Resume, ServerInformation, Shutdown,
    Subscribe, Suspend, Write,
};
use crate::op::{Command, Opcode, Response};

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

/// The application behind a server session: it checks credentials, makes ids, answers
/// every command the machine does not handle itself and says what a subscription covers.
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
    /// sent, …): given when subscribe succeeds ([`SubscribeReply::accept`]), held in the
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

    /// Answers a command: right away through `reply`, or [`Reply::later`] and afterwards
    /// with [`ServerSession::answer`](super::ServerSession::answer) and [`AppRequest::slot`].
    fn handle(&mut self, request: AppRequest<'_, Self::Identity>, reply: Reply<'_>) -> Replied;

    /// Answers a subscribe: [`SubscribeReply::accept`] with what to keep for the
    /// subscription, an error, or [`SubscribeReply::later`] and afterwards
    /// [`ServerSession::answer_subscribe`](super::ServerSession::answer_subscribe).
    fn subscribe(
        &mut self,
        request: SubscribeRequest<'_>,
        reply: SubscribeReply<'_, Self::Subscription>,
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

/// The commands that reach [`Application::handle`]: all but those the machine answers
/// itself (client_hello, create_sub_session, close_sub_session, unsubscribe) and
/// subscribe, which has [`Application::subscribe`].
#[derive(Debug, Clone, PartialEq)]
pub enum AppCommand<'a> {
    /// server_information (0).
    ServerInformation(ServerInformation<'a>),
    /// browse (1).
    Browse(Browse<'a>),
    /// meta_data (2).
    MetaData(MetaData<'a>),
    /// lookup (3).
    Lookup(Lookup<'a>),
    /// read (4).
    Read(Read<'a>),
    /// write (5).
    Write(Write<'a>),
    /// get_stage (8).
    GetStage(GetStage),
    /// Opcode 9, provisionally resume (spec notes D14).
    Resume(Resume<'a>),
    /// suspend (10).
    Suspend(Suspend),
    /// shutdown (11).
    Shutdown(Shutdown),
}

impl<'a> AppCommand<'a> {
    /// The command's opcode.
    pub const fn opcode(&self) -> Opcode {
        match self {
            AppCommand::ServerInformation(_) => Opcode::ServerInformation,
            AppCommand::Browse(_) => Opcode::Browse,
            AppCommand::MetaData(_) => Opcode::MetaData,
            AppCommand::Lookup(_) => Opcode::Lookup,
            AppCommand::Read(_) => Opcode::Read,
            AppCommand::Write(_) => Opcode::Write,
            AppCommand::GetStage(_) => Opcode::GetStage,
            AppCommand::Resume(_) => Opcode::Resume,
            AppCommand::Suspend(_) => Opcode::Suspend,
            AppCommand::Shutdown(_) => Opcode::Shutdown,
        }
    }

    /// The command an application handles, or the command back when the machine or
    /// [`Application::subscribe`] does.
    pub(super) fn from_command(command: Command<'a>) -> Result<Self, Command<'a>> {
        Ok(match command {
            Command::ServerInformation(p) => AppCommand::ServerInformation(p),
            Command::Browse(p) => AppCommand::Browse(p),
            Command::MetaData(p) => AppCommand::MetaData(p),
            Command::Lookup(p) => AppCommand::Lookup(p),
            Command::Read(p) => AppCommand::Read(p),
            Command::Write(p) => AppCommand::Write(p),
            Command::GetStage(p) => AppCommand::GetStage(p),
            Command::Resume(p) => AppCommand::Resume(p),
            Command::Suspend(p) => AppCommand::Suspend(p),
            Command::Shutdown(p) => AppCommand::Shutdown(p),
            other => return Err(other),
        })
    }
}

impl<'a> From<AppCommand<'a>> for Command<'a> {
    fn from(command: AppCommand<'a>) -> Self {
        match command {
            AppCommand::ServerInformation(p) => Command::ServerInformation(p),
            AppCommand::Browse(p) => Command::Browse(p),
            AppCommand::MetaData(p) => Command::MetaData(p),
            AppCommand::Lookup(p) => Command::Lookup(p),
            AppCommand::Read(p) => Command::Read(p),
            AppCommand::Write(p) => Command::Write(p),
            AppCommand::GetStage(p) => Command::GetStage(p),
            AppCommand::Resume(p) => Command::Resume(p),
            AppCommand::Suspend(p) => Command::Suspend(p),
            AppCommand::Shutdown(p) => Command::Shutdown(p),
        }
    }
}

/// A command for the application, checked against the session's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRequest<'a, I> {
    /// The request's message id.
    pub id: MessageId,
    /// The command.
    pub command: AppCommand<'a>,
    /// The sub-session the command names ([`Command::sub_session`]), known to exist.
    pub sub_session: Option<SubSession<'a, I>>,
    /// Where the answer goes, for [`ServerSession::answer`](super::ServerSession::answer).
    pub slot: Slot,
}

/// A subscribe for the application: the subscription's id is picked and its entry
/// reserved; it becomes active when the answer is a success.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribeRequest<'a> {
    /// The request's message id.
    pub id: MessageId,
    /// The parameters: what to watch (its entries are read as they are iterated).
    pub params: Subscribe<'a>,
    /// The subscription's id: the desired one, or a fresh one.
    pub subscription: Uuid,
    /// Its update rates, as the timers keep them.
    pub rates: Rates,
    /// Where the answer goes, for
    /// [`ServerSession::answer_subscribe`](super::ServerSession::answer_subscribe).
    pub slot: Slot,
}

/// Proof that a command was answered or deferred: only [`Reply`] and [`SubscribeReply`]
/// make one.
#[must_use = "return it from Application::handle"]
#[derive(Debug)]
pub struct Replied(());

/// The way to answer one command, handed to [`Application::handle`]. It writes into the
/// reply message directly: an answer never calls back into the session.
#[must_use = "answer the request, or call `later`"]
pub struct Reply<'s> {
    pub(super) reply: ReplyMut<'s>,
    pub(super) place: Place,
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("slot", &self.place.slot)
            .finish()
    }
}

impl Reply<'_> {
    /// The request's slot.
    pub fn slot(&self) -> Slot {
        self.place.slot
    }

    /// Answers with a success item or an error object.
    pub fn answer(mut self, result: Result<Response<'_>, ErrorObject<'_>>) -> Replied {
        answer(&mut self.reply, self.place, result);
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
        self.answer(Err(error_text(code, message)))
    }

    /// Answers with the code and text of a decode error: for an element of a
    /// [`Seq`](crate::Seq) in the command that did not decode.
    pub fn decode_error(self, error: &DecodeError) -> Replied {
        let text = decode_error_text(error);
        self.answer(Err(error_text(error.code(), text.as_str())))
    }

    /// Answers later with [`ServerSession::answer`](super::ServerSession::answer); the
    /// reply message waits until then.
    pub fn later(self) -> Replied {
        Replied(())
    }
}

/// The way to answer one subscribe, handed to [`Application::subscribe`].
#[must_use = "answer the subscribe, or call `later`"]
pub struct SubscribeReply<'s, W> {
    pub(super) reply: ReplyMut<'s>,
    pub(super) subs: Subs<'s, W>,
    pub(super) place: Place,
}

impl<W> fmt::Debug for SubscribeReply<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscribeReply")
            .field("slot", &self.place.slot)
            .finish()
    }
}

impl<W> SubscribeReply<'_, W> {
    /// The request's slot.
    pub fn slot(&self) -> Slot {
        self.place.slot
    }

    /// Answers with a success or an error: `Ok` with what to keep for the subscription.
    pub fn answer(mut self, result: Result<W, ErrorObject<'_>>) -> Replied {
        answer_subscribe(&mut self.reply, &mut self.subs, self.place, result);
        Replied(())
    }

    /// Accepts the subscription: its events start (the first at once), and `data` is kept
    /// for it. The success item is the subscription's id.
    pub fn accept(self, data: W) -> Replied {
        self.answer(Ok(data))
    }

    /// Refuses it with an error and the code's standard message.
    pub fn error(self, code: ErrorCode) -> Replied {
        self.answer(Err(ErrorObject::new(code)))
    }

    /// Refuses it with an error and a message.
    pub fn error_message(self, code: ErrorCode, message: &str) -> Replied {
        self.answer(Err(error_text(code, message)))
    }

    /// Refuses it with the code and text of a decode error: for an entry that did not
    /// decode.
    pub fn decode_error(self, error: &DecodeError) -> Replied {
        let text = decode_error_text(error);
        self.answer(Err(error_text(error.code(), text.as_str())))
    }

    /// Answers later with
    /// [`ServerSession::answer_subscribe`](super::ServerSession::answer_subscribe); the
    /// reply message waits until then, and the subscription has no events.
    pub fn later(self) -> Replied {
        Replied(())
    }
}

defmt_via_debug!(IdKind, Replied, Reply<'_>);

#[cfg(feature = "defmt")]
impl<I: fmt::Debug> defmt::Format for AppRequest<'_, I> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
