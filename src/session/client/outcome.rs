//! What a server message means to the client: one [`Outcome`] per packet.

use core::fmt;

use super::{ClientSession, ClientState};
use crate::batch::{Batch, Packets, Step};
use crate::error::{DecodeError, DecodeErrorKind, MessageId};
use crate::model::ErrorObject;
use crate::op::{Opcode, Response};
use crate::packet::{CLIENT, DataChange, Event, Packet, Request, Success};

/// What a server message meant, one per packet.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome<'b> {
    /// A request succeeded; the item is typed by the request's opcode (subscribe's item is
    /// the desired id when the server sent none, spec notes D10).
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
    /// A request ended without an answer: its deadline passed
    /// ([`ClientSession::handle_timeout`]) or the session was closed
    /// ([`ClientSession::close`]). A response that comes for it later is
    /// [`Unexpected::UnknownId`].
    Lost {
        /// The request's message id.
        id: MessageId,
        /// The request's opcode.
        opcode: Opcode,
        /// Why it ended.
        cause: Lost,
    },
}

impl Outcome<'_> {
    /// The message id the outcome answers or names: its request's (an
    /// [`Unexpected`](Outcome::Unexpected) packet's own), the one an
    /// [`Invalid`](Outcome::Invalid) packet's error carries when it could be read, `None`
    /// for an event.
    pub fn id(&self) -> Option<MessageId> {
        match self {
            Outcome::Success { id, .. }
            | Outcome::Error { id, .. }
            | Outcome::Unexpected { id, .. }
            | Outcome::Lost { id, .. } => Some(*id),
            Outcome::Invalid(e) => e.id(),
            Outcome::Event(_) => None,
        }
    }
}

/// Why a request ended without an answer ([`Outcome::Lost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Lost {
    /// Its deadline passed.
    TimedOut,
    /// The session was closed, or its hello timed out.
    Closed,
}

impl fmt::Display for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lost::TimedOut => "timed out",
            Lost::Closed => "session closed",
        })
    }
}

/// Why a response was not taken as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

/// What a response packet brought, before the session types it.
enum Answer<'b> {
    Success(Success<'b>),
    Error(ErrorObject<'b>),
    Invalid(DecodeError),
}

impl<const PENDING: usize> ClientSession<PENDING> {
    /// Takes a message from the server, as a [`Batch`] (`Batch::new(message)?`: only a
    /// message that is not an array of packets at all is refused whole).
    ///
    /// The returned iterator yields one [`Outcome`] per packet, in order, applying each to
    /// the session as it goes; dropping it applies the rest. Each packet is decoded once,
    /// and one that does not decode gives its own outcome without touching its neighbours
    /// (see [`Outcome`] and the [session docs](crate::session#decisions-where-the-spec-is-silent)).
    /// The outcomes borrow the batch: an event's values and a response's sequences are
    /// read from it as they are iterated.
    pub fn handle_message<'s, 'a>(&'s mut self, batch: &'a Batch<'_>) -> Outcomes<'s, 'a, PENDING> {
        Outcomes {
            client: self,
            packets: batch.iter(),
        }
    }

    /// Applies one response to the tables and the state: a success (typed here, once, by
    /// its request's opcode), an error object, or a packet that did not decode.
    fn take_response<'b>(&mut self, id: MessageId, answer: Answer<'b>) -> Outcome<'b> {
        let unexpected = |reason| Outcome::Unexpected { id, reason };
        let Some(pending) = self.pending.remove(id) else {
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

/// The outcomes of one server message, from [`ClientSession::handle_message`]. Each is
/// applied to the session as it is yielded; dropping the iterator applies the rest.
#[must_use = "the outcomes tell what the server answered"]
#[derive(Debug)]
pub struct Outcomes<'s, 'b, const PENDING: usize> {
    client: &'s mut ClientSession<PENDING>,
    packets: Packets<'b>,
}

impl<'b, const PENDING: usize> Iterator for Outcomes<'_, 'b, PENDING> {
    type Item = Outcome<'b>;

    fn next(&mut self) -> Option<Outcome<'b>> {
        let mut packet = Packet::placeholder();
        let step = self.packets.step::<CLIENT>(&mut packet);
        Some(match (step, packet) {
            (Step::Packet, Packet::Success(success)) => {
                let id = success.id;
                self.client.take_response(id, Answer::Success(success))
            }
            (Step::Packet, Packet::Error(error)) => self
                .client
                .take_response(error.id, Answer::Error(error.error)),
            (Step::Packet, Packet::Event(Event::DataChange(change))) => Outcome::Event(change),
            // A request from the server: the client role reads only its header.
            (Step::Packet | Step::Foreign, Packet::Request(Request { id, .. })) => {
                Outcome::Unexpected {
                    id,
                    reason: Unexpected::Request,
                }
            }
            (Step::Foreign, _) => {
                Outcome::Invalid(DecodeError::new(DecodeErrorKind::NotAPacket, 0))
            }
            (Step::Error(e) | Step::Tail(e), _) => match e.id() {
                Some(id) => self.client.take_response(id, Answer::Invalid(e)),
                None => Outcome::Invalid(e),
            },
            (Step::End, _) => return None,
        })
    }
}

impl<const PENDING: usize> Drop for Outcomes<'_, '_, PENDING> {
    fn drop(&mut self) {
        for _ in self.by_ref() {}
    }
}
