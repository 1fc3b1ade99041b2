//! Packets (spec section 3): the four arrays a batch is made of.
//!
//! | type | packet | layout |
//! |---|---|---|
//! | 0 | [`Request`] | `[0, id, opcode]` or `[0, id, opcode, params]` |
//! | 1 | [`Success`] | `[1, id]` or `[1, id, item]` |
//! | 2 | [`ErrorResponse`] | `[2, id, {0: code, 1: message}]` |
//! | 8 | [`Event`] | `[8, event_type, event_object]` |
//!
//! A success item's type depends on the request it answers, so a decoded [`Success`] holds
//! [`Response::Untyped`]; [`Success::response_to`] types it once the opcode is known.

use minicbor::Encoder;
use minicbor::encode::Write;
use uuid::Uuid;

use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError, MessageId};
use crate::op::{Command, Opcode, Response};
use crate::wire::time::TimePoint;
use crate::wire::value::{AttrResult, AttributeId, ErrorObject};
use crate::wire::{Cbor, Raw, Reader, Seq, WriteError};

/// Packet type numbers (spec 7.1).
pub mod packet_type {
    /// A request.
    pub const REQUEST: u64 = 0;
    /// A success response.
    pub const SUCCESS: u64 = 1;
    /// An error response.
    pub const ERROR: u64 = 2;
    /// An event.
    pub const EVENT: u64 = 8;
}

/// Event type numbers (spec 7.1b).
pub mod event_type {
    /// Data change.
    pub const DATA_CHANGE: u64 = 0;
}

/// A request: `[0, id, opcode, params?]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Request<'b> {
    /// Chosen by the client, echoed in the response.
    pub id: MessageId,
    /// The opcode and its parameters.
    pub command: Command<'b>,
}

/// A success response: `[1, id]` or `[1, id, item]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Success<'b> {
    /// The id of the request this answers.
    pub id: MessageId,
    /// The item; [`Response::Untyped`] when decoded without knowing the request.
    pub response: Response<'b>,
}

impl<'b> Success<'b> {
    /// The item typed as the answer to a request with `opcode`.
    pub fn response_to(&self, opcode: Opcode) -> Result<Response<'b>, DecodeError> {
        self.response
            .clone()
            .typed(opcode)
            .map_err(|e| e.with_id(self.id))
    }
}

/// An error response: `[2, id, {0: code, 1: message}]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ErrorResponse<'b> {
    /// The id of the request this answers.
    pub id: MessageId,
    /// The code and message.
    pub error: ErrorObject<'b>,
}

int_map! {
    /// A data-change event object (layout from real clients; the docs were cut off).
    pub struct DataChange<'b> = "data_change" {
        /// When the values were taken.
        0 req time: TimePoint,
        /// The element whose attributes changed.
        1 req element: Uuid,
        /// Attribute → `121(value)` or `122(error)`.
        2 req values: Seq<'b, (AttributeId, AttrResult<'b>)>,
    }
}

/// An event: `[8, event_type, event_object]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Event<'b> {
    /// Event type 0: attribute values changed.
    DataChange(DataChange<'b>),
}

/// One packet of a batch.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Packet<'b> {
    /// Client → server.
    Request(Request<'b>),
    /// Server → client: the request succeeded.
    Success(Success<'b>),
    /// Server → client: the request failed.
    Error(ErrorResponse<'b>),
    /// Server → client, unsolicited.
    Event(Event<'b>),
}

impl<'b> Packet<'b> {
    /// The message id, for responses and requests (events have none).
    pub fn id(&self) -> Option<MessageId> {
        match self {
            Packet::Request(p) => Some(p.id),
            Packet::Success(p) => Some(p.id),
            Packet::Error(p) => Some(p.id),
            Packet::Event(_) => None,
        }
    }

    /// The packet type name: `"request"`, `"success"`, `"error"` or `"event"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Packet::Request(_) => "request",
            Packet::Success(_) => "success",
            Packet::Error(_) => "error",
            Packet::Event(_) => "event",
        }
    }

    /// Writes this packet as a whole message (a batch of one) into `buf`.
    pub fn encode_message(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        crate::batch::encode_batch(core::slice::from_ref(self), buf)
    }
}

impl<'b> From<Request<'b>> for Packet<'b> {
    fn from(p: Request<'b>) -> Self {
        Packet::Request(p)
    }
}
impl<'b> From<Success<'b>> for Packet<'b> {
    fn from(p: Success<'b>) -> Self {
        Packet::Success(p)
    }
}
impl<'b> From<ErrorResponse<'b>> for Packet<'b> {
    fn from(p: ErrorResponse<'b>) -> Self {
        Packet::Error(p)
    }
}
impl<'b> From<Event<'b>> for Packet<'b> {
    fn from(p: Event<'b>) -> Self {
        Packet::Event(p)
    }
}

/// A header field (packet type, message id, opcode, event type) that is missing or of the
/// wrong type is a parse error (spec 3.1); malformed CBOR stays what it is.
fn header(e: DecodeError, field: &'static str) -> DecodeError {
    if e.is_fatal() {
        e
    } else {
        DecodeError::new(K::InvalidHeader, e.offset).in_field(field)
    }
}

/// Reads the next header element, failing if the packet has ended.
fn next_header<'b, T>(
    r: &mut Reader<'b>,
    len: &mut crate::wire::Len,
    field: &'static str,
    read: impl FnOnce(&mut Reader<'b>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    if !r.has_next(len)? {
        return Err(r.err(K::InvalidHeader).in_field(field));
    }
    read(r).map_err(|e| header(e, field))
}

impl<'b> Cbor<'b> for Packet<'b> {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        let start = r.position();
        let mut len = r.array().map_err(|e| {
            if e.is_fatal() {
                e
            } else {
                DecodeError::new(K::NotAPacket, start)
            }
        })?;
        let ty = next_header(r, &mut len, "packet type", Reader::u64)?;
        let id_of =
            |r: &mut Reader<'b>, len: &mut _| next_header(r, len, "message id", Reader::i64);
        let packet = match ty {
            packet_type::REQUEST => {
                let id = id_of(r, &mut len)?;
                let at = r.position();
                let code =
                    next_header(r, &mut len, "opcode", Reader::u64).map_err(|e| e.with_id(id))?;
                let opcode = Opcode::from_u64(code)
                    .ok_or_else(|| DecodeError::new(K::UnknownOpcode(code), at).with_id(id))?;
                let at = r.position();
                let params = if r.has_next(&mut len)? {
                    Some(&mut *r)
                } else {
                    None
                };
                let command = Command::decode(opcode, params, at).map_err(|e| e.with_id(id))?;
                Packet::Request(Request { id, command })
            }
            packet_type::SUCCESS => {
                let id = id_of(r, &mut len)?;
                let item = if r.has_next(&mut len)? {
                    Some(<Raw as Cbor>::decode(r)?)
                } else {
                    None
                };
                Packet::Success(Success {
                    id,
                    response: Response::Untyped(item),
                })
            }
            packet_type::ERROR => {
                let id = id_of(r, &mut len)?;
                if !r.has_next(&mut len)? {
                    return Err(r.err(K::Missing).in_field("error").with_id(id));
                }
                let error = ErrorObject::decode(r).map_err(|e| e.with_id(id))?;
                Packet::Error(ErrorResponse { id, error })
            }
            packet_type::EVENT => {
                let at = r.position();
                let kind = next_header(r, &mut len, "event type", Reader::u64)?;
                if kind != event_type::DATA_CHANGE {
                    return Err(DecodeError::new(K::UnknownEventType(kind), at));
                }
                if !r.has_next(&mut len)? {
                    return Err(r.err(K::Missing).in_field("data_change"));
                }
                Packet::Event(Event::DataChange(DataChange::decode(r)?))
            }
            other => return Err(DecodeError::new(K::UnknownPacketType(other), start)),
        };
        if r.has_next(&mut len)? {
            let e = r.err(K::PacketLength);
            return Err(match packet.id() {
                Some(id) => e.with_id(id),
                None => e,
            });
        }
        Ok(packet)
    }

    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        match self {
            Packet::Request(p) => {
                let params = p.command.has_params();
                e.array(3 + u64::from(params))?;
                e.u64(packet_type::REQUEST)?
                    .i64(p.id)?
                    .u8(p.command.opcode() as u8)?;
                if params {
                    p.command.encode_params(e)?;
                }
                Ok(())
            }
            Packet::Success(p) => {
                let item = p.response.has_item();
                e.array(2 + u64::from(item))?;
                e.u64(packet_type::SUCCESS)?.i64(p.id)?;
                p.response.encode_item(e)
            }
            Packet::Error(p) => {
                e.array(3)?.u64(packet_type::ERROR)?.i64(p.id)?;
                p.error.encode(e)
            }
            Packet::Event(Event::DataChange(ev)) => {
                e.array(3)?
                    .u64(packet_type::EVENT)?
                    .u64(event_type::DATA_CHANGE)?;
                ev.encode(e)
            }
        }
    }
}

defmt_via_debug!(
    Request<'_>,
    Success<'_>,
    ErrorResponse<'_>,
    DataChange<'_>,
    Event<'_>,
    Packet<'_>
);
