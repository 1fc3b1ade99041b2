//! The protocol rules, applied to each packet of a received message: hello first,
//! version negotiation, the sub-session table, subscribe and unsubscribe, and handing the
//! other commands to the application.

use uuid::Uuid;

use super::answer::{error_text, format, write};
use super::app::{AppRequest, Application, IdKind, NewSubscription, Replied, Reply, SubSession};
use super::incoming::In;
use super::reply::{Place, ReplyMut, Waiting};
use super::sub_sessions::SubSessions;
use super::subscriptions::{Rates, Subs};
use crate::error::text::TextSink;
use crate::error::{ErrorCode, MessageId};
use crate::model::ErrorObject;
use crate::op::items::ServerHello;
use crate::op::params::{ClientHello, CreateSubSession};
use crate::op::{Command, Opcode, Response};
use crate::packet::Request;
use crate::session::shared::VersionRange;

/// Where a server session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServerConfig {
    /// The protocol versions the server supports (default: 1 only).
    pub versions: VersionRange,
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

    /// The error's message.
    fn write_text(&self, text: &mut impl TextSink) {
        let (kind, before, after) = match self {
            Refusal::NilDesired(kind) => (kind, "the desired ", " id must not be nil"),
            Refusal::BadFresh(kind) => (kind, "the server made a nil or taken ", " id"),
            Refusal::Full(kind, _) => (kind, "too many ", "s (limit "),
        };
        text.str(before).str(kind.name()).str(after);
        if let Refusal::Full(_, limit) = self {
            text.u64(*limit as u64).str(")");
        }
    }
}

/// The desired id, or a fresh one from `fresh` that is not nil and not `taken`.
fn pick(
    kind: IdKind,
    desired: Option<Uuid>,
    fresh: impl FnOnce() -> Uuid,
    taken: impl FnOnce(&Uuid) -> bool,
) -> Result<Uuid, Refusal> {
    match desired {
        Some(id) if id.is_nil() => Err(Refusal::NilDesired(kind)),
        Some(id) => Ok(id),
        None => {
            let id = fresh();
            if id.is_nil() || taken(&id) {
                return Err(Refusal::BadFresh(kind));
            }
            Ok(id)
        }
    }
}

/// The session's state for one received message, borrowed field by field: the rules
/// read and change it packet by packet, answering into the message's reply.
pub(super) struct Rules<'s, A: Application> {
    pub(super) config: &'s ServerConfig,
    pub(super) state: &'s mut ServerState,
    pub(super) sub_sessions: SubSessions<'s, A::Identity>,
    pub(super) subs: Subs<'s, A::Subscription>,
    pub(super) reply: ReplyMut<'s>,
}

impl<A: Application> Rules<'_, A> {
    /// Answers one packet (`extra`: beyond the count the message was checked for, a last
    /// fatal error, answered only if it fits).
    pub(super) fn packet(&mut self, app: &mut A, packet: In<'_>, extra: bool) {
        let id = packet.reply_id();
        match packet {
            In::Request(request) => self.request(app, request, extra),
            In::Other(kind, _) => {
                if let Some(place) = self.add(id, None, extra) {
                    let text = format(|text| {
                        text.str(kind).str(" packet sent to a server");
                    });
                    self.respond(
                        place,
                        Err(error_text(ErrorCode::InvalidRequest, text.as_str())),
                    );
                }
            }
            In::Error(e) => {
                if let Some(place) = self.add(id, None, extra) {
                    let text = format(|text| e.write_text(text));
                    self.respond(place, Err(error_text(e.code(), text.as_str())));
                }
            }
        }
    }

    /// Adds the request's slot, set up whole.
    fn add(&mut self, id: MessageId, opcode: Option<Opcode>, extra: bool) -> Option<Place> {
        self.reply.add(Waiting { id, opcode }, extra)
    }

    fn request(&mut self, app: &mut A, request: Request<'_>, extra: bool) {
        let (id, opcode) = (request.id, request.command.opcode());
        let Some(place) = self.add(id, Some(opcode), extra) else {
            return;
        };
        match (*self.state, request.command) {
            (_, Command::ClientHello(hello)) => self.hello(place, hello),
            (ServerState::AwaitingHello, _) => self.fail(place, ErrorCode::MissingClientHello),
            (_, Command::CreateSubSession(params)) => self.create_sub_session(app, place, params),
            (_, Command::CloseSubSession(params)) => {
                match self.sub_sessions.remove(&params.session_id) {
                    Some(_) => self.respond(place, Ok(Response::CloseSubSession(()))),
                    None => self.fail(place, ErrorCode::UnknownSessionId),
                }
            }
            (_, Command::Unsubscribe(params)) => {
                let sid = params.subscription_id;
                match self.subs.remove_active(&sid) {
                    Some(data) => {
                        self.respond(place, Ok(Response::Unsubscribe(())));
                        app.unsubscribed(sid, data);
                    }
                    None => self.fail(place, ErrorCode::UnknownSubscriptionId),
                }
            }
            (_, Command::Subscribe(params)) => {
                let desired = params.desired_subscription_id;
                let rates = Rates::new(params.maximum_update_rate, params.minimum_update_rate);
                self.subscribe(app, place, desired, rates, Command::Subscribe(params))
            }
            (_, command) => self.forward(app, place, command, None),
        }
    }

    fn hello(&mut self, place: Place, hello: ClientHello) {
        if *self.state != ServerState::AwaitingHello {
            return self.fail(place, ErrorCode::DuplicateClientHello);
        }
        let client = VersionRange::from(hello);
        let server = self.config.versions;
        if client.min > client.max {
            let text = format(|text| {
                text.str("minimum protocol version ")
                    .u64(client.min)
                    .str(" is greater than maximum ")
                    .u64(client.max);
            });
            return self.respond(
                place,
                Err(error_text(ErrorCode::InvalidParameter, text.as_str())),
            );
        }
        match server.highest_common(&client) {
            Some(version) => {
                *self.state = ServerState::Ready { version };
                let item = ServerHello {
                    current_version: version,
                };
                self.respond(place, Ok(Response::ClientHello(item)));
            }
            None => {
                let text = format(|text| {
                    text.str("no common protocol version: the client supports ");
                    client.write_text(text);
                    text.str(", the server ");
                    server.write_text(text);
                });
                self.respond(
                    place,
                    Err(error_text(ErrorCode::InvalidParameter, text.as_str())),
                );
            }
        }
    }

    fn create_sub_session(&mut self, app: &mut A, place: Place, params: CreateSubSession<'_>) {
        let desired = params.desired_session_id;
        if desired.is_some_and(|id| id.is_nil()) {
            return self.refuse(place, Refusal::NilDesired(IdKind::SubSession));
        }
        let identity = match app.authenticate(&params.credentials) {
            Ok(identity) => identity,
            Err(code) => return self.fail(place, code),
        };
        let fresh = || app.fresh_id(IdKind::SubSession);
        let taken = |id: &Uuid| self.sub_sessions.contains(id);
        let id = match pick(IdKind::SubSession, desired, fresh, taken) {
            Ok(id) => id,
            Err(refusal) => return self.refuse(place, refusal),
        };
        match self.sub_sessions.insert(id, identity) {
            true => self.respond(place, Ok(Response::CreateSubSession(id))),
            false => {
                let full = Refusal::Full(IdKind::SubSession, self.sub_sessions.0.len());
                self.refuse(place, full)
            }
        }
    }

    /// Picks the subscription's id and reserves its entry, then hands the subscribe on.
    fn subscribe(
        &mut self,
        app: &mut A,
        place: Place,
        desired: Option<Uuid>,
        rates: Rates,
        command: Command<'_>,
    ) {
        let kind = IdKind::Subscription;
        let fresh = || app.fresh_id(kind);
        let subs = self.subs.view();
        let id = match pick(kind, desired, fresh, |id| subs.contains(id)) {
            Ok(id) => id,
            Err(refusal) => return self.refuse(place, refusal),
        };
        if !self.subs.reserve(id, place.ticket, rates) {
            return self.refuse(place, Refusal::Full(kind, self.subs.0.len()));
        }
        self.forward(app, place, command, Some(NewSubscription { id, rates }));
    }

    /// Hands a command to the application, with the sub-session it names checked.
    fn forward(
        &mut self,
        app: &mut A,
        place: Place,
        command: Command<'_>,
        subscription: Option<NewSubscription>,
    ) {
        let sub_session = match command.sub_session() {
            None => None,
            Some(sid) => match self.sub_sessions.get(&sid) {
                Some(identity) => Some(SubSession { id: sid, identity }),
                None => return self.fail(place, ErrorCode::UnknownSessionId),
            },
        };
        let request = AppRequest {
            id: place.waiting.id,
            command,
            sub_session,
            subscription,
            ticket: place.ticket,
        };
        let reply = Reply {
            reply: self.reply.reborrow(),
            subs: self.subs.reborrow(),
            place,
        };
        let _replied: Replied = app.handle(request, reply);
    }

    // ---- the machine's own answers ----

    fn respond(&mut self, place: Place, result: Result<Response<'_>, ErrorObject<'_>>) {
        write(&mut self.reply, place, result);
    }

    fn fail(&mut self, place: Place, code: ErrorCode) {
        self.respond(place, Err(ErrorObject::new(code)));
    }

    fn refuse(&mut self, place: Place, refusal: Refusal) {
        let text = format(|text| refusal.write_text(text));
        self.respond(place, Err(error_text(refusal.code(), text.as_str())));
    }
}
