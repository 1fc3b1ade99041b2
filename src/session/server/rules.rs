//! The protocol rules: hello first, version negotiation, sub-sessions, subscriptions, and
//! checking what the application answers.

use core::fmt;

use uuid::Uuid;

use super::app::{AppRequest, Application, IdKind, Replied, Reply, Slot, SubSession};
use super::reply::{Answer, ReplyMut, SlotState};
use super::subscriptions::{Rates, Sub, SubState, Subs};
use super::{ServerError, ServerSession, ServerState, TEXT};
use crate::error::{ErrorCode, MessageId};
use crate::model::{ErrorObject, Text as Message};
use crate::op::items::ServerHello;
use crate::op::params::{ClientHello, CreateSubSession};
use crate::op::{Command, Opcode, Response};
use crate::packet::{ErrorResponse, Request, Success};
use crate::session::{Text, VersionRange};

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

impl<I, const S: usize, const N: usize, const M: usize> ServerSession<'_, I, S, N, M> {
    pub(super) fn dispatch<A: Application<Identity = I>>(
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
                let item = ServerHello {
                    current_version: version,
                };
                self.succeed(slot, Response::ClientHello(item));
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
        let id = match pick(IdKind::SubSession, desired, fresh, |id| {
            self.sub_sessions.contains(id)
        }) {
            Ok(id) => id,
            Err(refusal) => return self.refuse(slot, refusal),
        };
        match self.sub_sessions.insert(id, identity) {
            Ok(_) => self.succeed(slot, Response::CreateSubSession(id)),
            Err(full) => self.refuse(slot, Refusal::Full(IdKind::SubSession, full.capacity)),
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
            Some(sid) if self.sub_sessions.contains(&sid) => Some(sid),
            Some(_) => return self.fail(slot, ErrorCode::UnknownSessionId),
        };
        let subscription = match &command {
            Command::Subscribe(params) => {
                let fresh = || app.fresh_id(IdKind::Subscription);
                let subs = Subs(&mut self.subscriptions);
                let kind = IdKind::Subscription;
                let desired = params.desired_subscription_id;
                let sid = match pick(kind, desired, fresh, |id| subs.contains(id)) {
                    Ok(sid) => sid,
                    Err(refusal) => return self.refuse(slot, refusal),
                };
                let rates = Rates::new(params.maximum_update_rate, params.minimum_update_rate);
                if !Subs(&mut self.subscriptions).insert(Sub::pending(sid, slot, rates)) {
                    return self.refuse(slot, Refusal::Full(kind, N));
                }
                Some(sid)
            }
            Command::Unsubscribe(params) => {
                if !self.is_subscribed(&params.subscription_id) {
                    return self.fail(slot, ErrorCode::UnknownSubscriptionId);
                }
                Some(params.subscription_id)
            }
            _ => None,
        };
        let ServerSession {
            sub_sessions,
            subscriptions,
            replies,
            ..
        } = self;
        let Some(mut reply) = replies.get(slot.batch) else {
            return;
        };
        if let Some(SlotState::Waiting {
            subscription: s, ..
        }) = reply.slot(slot.index as usize)
        {
            *s = subscription;
        }
        let request = AppRequest {
            id,
            command,
            sub_session: sub_session.and_then(|id| {
                let identity = sub_sessions.get(&id)?;
                Some(SubSession { id, identity })
            }),
            subscription,
            slot,
        };
        let reply = Reply {
            reply,
            subs: Subs(subscriptions),
            slot,
        };
        let _replied: Replied = app.handle(request, reply);
    }

    // ---- answers ----

    /// Answers the request in `slot`.
    pub(super) fn respond(
        &mut self,
        slot: Slot,
        result: Result<Response<'_>, ErrorObject<'_>>,
    ) -> Result<(), ServerError> {
        let Some(mut reply) = self.replies.get(slot.batch) else {
            return Err(ServerError::UnknownSlot(slot));
        };
        complete(&mut reply, &mut Subs(&mut self.subscriptions), slot, result)
    }

    fn succeed(&mut self, slot: Slot, response: Response<'_>) {
        let _ = self.respond(slot, Ok(response));
    }

    fn fail(&mut self, slot: Slot, code: ErrorCode) {
        let _ = self.respond(slot, Err(ErrorObject::new(code)));
    }

    pub(super) fn fail_with(&mut self, slot: Slot, code: ErrorCode, message: fmt::Arguments<'_>) {
        let text = Text::<TEXT>::format(message);
        let error = ErrorObject {
            code,
            message: Some(Message::new(text.as_str())),
        };
        let _ = self.respond(slot, Err(error));
    }

    fn refuse(&mut self, slot: Slot, refusal: Refusal) {
        self.fail_with(slot, refusal.code(), format_args!("{refusal}"))
    }
}

/// Answers the request in `slot` of `reply`: checks the item's opcode against the
/// request's, settles the subscription table for subscribe and unsubscribe, and encodes
/// the response packet. Non-generic: the one copy serves every session type.
pub(super) fn complete(
    reply: &mut ReplyMut<'_>,
    subs: &mut Subs<'_>,
    slot: Slot,
    result: Result<Response<'_>, ErrorObject<'_>>,
) -> Result<(), ServerError> {
    let index = slot.index as usize;
    let Some(&mut SlotState::Waiting {
        id,
        opcode,
        subscription,
    }) = reply.slot(index)
    else {
        return Err(ServerError::UnknownSlot(slot));
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
            settle_subscription(subs, slot, op, sid, result)
        }
        _ => result,
    };
    match result {
        Ok(response) => reply.write(index, Answer::Success(&Success::new(id, response))),
        Err(error) => reply.write(index, Answer::Error(&ErrorResponse { id, error })),
    }
    Ok(())
}

/// Updates the subscription table for an answered subscribe or unsubscribe; a
/// subscribe's success item becomes the subscription's id (D10).
fn settle_subscription<'r>(
    subs: &mut Subs<'_>,
    slot: Slot,
    opcode: Opcode,
    sid: Uuid,
    result: Result<Response<'r>, ErrorObject<'r>>,
) -> Result<Response<'r>, ErrorObject<'r>> {
    let pending = subs
        .get(&sid)
        .is_some_and(|s| s.state == SubState::Pending(slot));
    match (opcode, result) {
        (Opcode::Subscribe, Ok(_)) => {
            // Normally the entry made when the request came; it may have been replaced by
            // a later subscribe with the same desired id, or removed by its failure.
            let activated = match subs.get_mut(&sid) {
                Some(sub) => {
                    sub.state = SubState::Active;
                    true
                }
                None => {
                    let mut sub = Sub::pending(sid, slot, Rates::default());
                    sub.state = SubState::Active;
                    subs.insert(sub)
                }
            };
            match activated {
                true => Ok(Response::Subscribe(Some(sid))),
                false => Err(ErrorObject {
                    code: ErrorCode::InternalError,
                    message: Some(Message::new("too many subscriptions")),
                }),
            }
        }
        (Opcode::Subscribe, Err(error)) => {
            if pending {
                subs.remove(&sid);
            }
            Err(error)
        }
        (_, Ok(response)) => {
            subs.remove(&sid);
            Ok(response)
        }
        (_, error) => error,
    }
}
