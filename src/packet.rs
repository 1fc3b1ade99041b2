//! Packets (spec section 3): the four arrays a batch is made of.
//!
//! | type | packet | layout |
//! |---|---|---|
//! | 0 | [`Request`] | `[0, id, opcode]` or `[0, id, opcode, params]` |
//! | 1 | [`Success`] | `[1, id]` or `[1, id, item]` |
//! | 2 | [`ErrorResponse`] | `[2, id, {0: code, 1: message}]` |
//! | 8 | [`Event`] | `[8, event_type, event_object]` |
//!
//! A success item's type depends on the request it answers, so a decoded [`Success`] keeps
//! its item as bytes; [`Success::response`] types it once the opcode is known.

use core::fmt;

use crate::cbor::{Cbor, Len, NO_PACKET, Reader, Writer};
use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError, MessageId};
use crate::model::{AttrResult, AttributeId, ErrorObject, Seq, TimePoint, Uuid};
use crate::op::{Command, Opcode, Response};

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
///
/// Built with [`Success::new`] from a typed [`Response`] to send; decoded, it keeps the item
/// as the message's bytes until [`Success::response`] types it by the opcode of the request
/// it answers (the packet itself does not say).
#[derive(Clone)]
pub struct Success<'b> {
    /// The id of the request this answers.
    pub id: MessageId,
    item: Item<'b>,
}

/// A success packet's item: as received, or typed to be sent.
#[derive(Clone)]
enum Item<'b> {
    /// Received: the item is `msg[start..end]` (nothing when `start == end`), in the packet
    /// at offset `packet`.
    Wire {
        msg: &'b [u8],
        start: u32,
        end: u32,
        packet: u32,
    },
    /// Built to be sent.
    Typed(Response<'b>),
}

impl<'b> Success<'b> {
    /// A success packet answering request `id` with `response`.
    pub const fn new(id: MessageId, response: Response<'b>) -> Self {
        Success {
            id,
            item: Item::Typed(response),
        }
    }

    /// The item typed as the answer to a request with `opcode`.
    ///
    /// A received item is decoded now (it was only checked to be well-formed CBOR when the
    /// packet was): an item that is not one of `opcode`'s is an error with its offset in
    /// the message, its field and this packet's id. A success built with [`Success::new`]
    /// gives its response back, or [`InvalidValue`](K::InvalidValue) for another opcode.
    pub fn response(&self, opcode: Opcode) -> Result<Response<'b>, DecodeError> {
        match &self.item {
            Item::Wire {
                msg,
                start,
                end,
                packet,
            } => {
                let mut r = Reader::at(msg, *start as usize, *packet);
                let item = (start < end).then_some(&mut r);
                Response::read(opcode, item, *start as usize).map_err(|e| e.with_id(self.id))
            }
            Item::Typed(response) if response.opcode() == opcode => Ok(response.clone()),
            Item::Typed(_) => Err(DecodeError::new(K::InvalidValue, 0)
                .in_field(Field::ITEM)
                .with_id(self.id)),
        }
    }

    /// The item's bytes as received (`None` when the packet had none, or was built).
    pub fn item_bytes(&self) -> Option<&'b [u8]> {
        match self.item {
            Item::Wire {
                msg, start, end, ..
            } if start < end => msg.get(start as usize..end as usize),
            _ => None,
        }
    }

    /// True when the packet carries an item.
    pub fn has_item(&self) -> bool {
        match &self.item {
            Item::Wire { start, end, .. } => start < end,
            Item::Typed(response) => response.has_item(),
        }
    }

    /// The typed response, for a success built with [`Success::new`].
    pub fn built_response(&self) -> Option<&Response<'b>> {
        match &self.item {
            Item::Typed(response) => Some(response),
            Item::Wire { .. } => None,
        }
    }
}

/// Equal when the ids are and the items are: the same bytes as received, or equal typed
/// responses. (A received item and a built one are never equal: type the received one.)
impl PartialEq for Success<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && match (&self.item, &other.item) {
                (Item::Typed(a), Item::Typed(b)) => a == b,
                (Item::Wire { .. }, Item::Wire { .. }) => self.item_bytes() == other.item_bytes(),
                _ => false,
            }
    }
}

impl fmt::Debug for Success<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Success");
        s.field("id", &self.id);
        match &self.item {
            Item::Typed(response) => s.field("response", response),
            Item::Wire { .. } => match self.item_bytes() {
                Some(bytes) => s.field("item", &crate::model::Raw::new(bytes).ok()),
                None => s.field("item", &None::<()>),
            },
        };
        s.finish()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Success<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Success::new(u.arbitrary()?, u.arbitrary()?))
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
        /// Attribute → `121(value)` or `122(error)`, read lazily.
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

    /// Reads every lazily read part of a request's parameters or an event's values and
    /// returns the first error. (A success item is read by [`Success::response`].)
    pub fn check(&self) -> Result<(), DecodeError> {
        match self {
            Packet::Request(r) => r.command.check(),
            Packet::Event(Event::DataChange(d)) => d.check(),
            Packet::Success(_) | Packet::Error(_) => Ok(()),
        }
    }

    /// Writes this packet as a whole message (a batch of one) into `buf`; returns the length.
    pub fn encode_message(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf);
        w.array(1);
        self.write(&mut w);
        w.finish()
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

/// Reads the next header element (packet type, opcode, event type: unsigned). A missing or
/// wrongly typed one is a parse error (spec 3.1); malformed CBOR stays what it is.
#[inline(never)]
fn header(r: &mut Reader<'_>, len: &mut Len, field: Field) -> Result<u64, DecodeError> {
    if !r.has_next(len)? {
        return Err(r.err(K::InvalidHeader).in_field(field));
    }
    r.uint().map_err(|e| invalid_header(e, field))
}

/// Reads the message id, as [`header`].
#[inline(never)]
fn message_id(r: &mut Reader<'_>, len: &mut Len) -> Result<MessageId, DecodeError> {
    if !r.has_next(len)? {
        return Err(r.err(K::InvalidHeader).in_field(Field::MESSAGE_ID));
    }
    r.int().map_err(|e| invalid_header(e, Field::MESSAGE_ID))
}

#[cold]
fn invalid_header(e: DecodeError, field: Field) -> DecodeError {
    if e.is_fatal() {
        e
    } else {
        DecodeError::new(K::InvalidHeader, e.offset()).in_field(field)
    }
}

impl<'b> Cbor<'b> for Packet<'b> {
    const EMPTY: Self = Packet::Request(Request {
        id: 0,
        command: Command::GetStage(crate::op::params::GetStage),
    });

    fn read(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        let mut packet = Self::EMPTY;
        packet.read_into(r)?;
        Ok(packet)
    }

    /// Reads a packet in place: a request's parameters are built where they are to live.
    #[inline]
    fn read_into(&mut self, r: &mut Reader<'b>) -> Result<(), DecodeError> {
        let start = r.position();
        // The header by the fast path when it is in its minimal form, else the general one;
        // then the one reader of every packet's body.
        let (header, mut len) = match Header::minimal(r, start) {
            Some(header) => header,
            None => Header::general(r, start)?,
        };
        r.packet = u32::try_from(start).unwrap_or(NO_PACKET);
        let len = &mut len;
        match header {
            Header::Request { id, opcode } => {
                let at = r.position();
                let params = if r.has_next(len)? {
                    Some(&mut *r)
                } else {
                    None
                };
                *self = Packet::Request(Request {
                    id,
                    command: Command::GetStage(crate::op::params::GetStage),
                });
                if let Packet::Request(request) = self {
                    let read = request.command.read_into(opcode, params, at);
                    read.map_err(|e| e.with_id(id))?;
                }
                end(r, len, Some(id))
            }
            Header::Success { id } => {
                let has_item = r.has_next(len)?;
                // After `has_next`: the break of an indefinite packet is not the item.
                let start = r.position();
                if has_item {
                    r.skip().map_err(|e| e.with_id(id))?;
                }
                let end_at = r.position();
                end(r, len, Some(id))?;
                *self = Packet::Success(Success {
                    id,
                    item: Item::Wire {
                        msg: r.input(),
                        start: start as u32,
                        end: end_at as u32,
                        packet: r.packet,
                    },
                });
                Ok(())
            }
            Header::Error { id } => {
                if !r.has_next(len)? {
                    return Err(r.err(K::Missing).in_field(Field::ERROR).with_id(id));
                }
                let error = ErrorObject::read(r).map_err(|e| e.with_id(id))?;
                end(r, len, Some(id))?;
                *self = Packet::Error(ErrorResponse { id, error });
                Ok(())
            }
            Header::DataChange => {
                if !r.has_next(len)? {
                    return Err(r.err(K::Missing).in_field(Field::DATA_CHANGE));
                }
                *self = Packet::Event(Event::DataChange(DataChange::EMPTY));
                if let Packet::Event(Event::DataChange(change)) = self {
                    change.read_into(r)?;
                }
                end(r, len, None)
            }
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self {
            Packet::Request(p) => {
                let params = p.command.has_params();
                w.array(3 + u64::from(params));
                w.uint(packet_type::REQUEST);
                w.int(p.id);
                w.uint(p.command.opcode() as u64);
                if params {
                    p.command.write_params(w);
                }
            }
            Packet::Success(p) => {
                let item = p.has_item();
                w.array(2 + u64::from(item));
                w.uint(packet_type::SUCCESS);
                w.int(p.id);
                match &p.item {
                    Item::Typed(response) => response.write_item(w),
                    Item::Wire { .. } => w.put(p.item_bytes().unwrap_or_default()),
                }
            }
            Packet::Error(p) => {
                w.array(3);
                w.uint(packet_type::ERROR);
                w.int(p.id);
                p.error.write(w);
            }
            Packet::Event(Event::DataChange(ev)) => {
                w.array(3);
                w.uint(packet_type::EVENT);
                w.uint(event_type::DATA_CHANGE);
                ev.write(w);
            }
        }
    }
}

/// What a packet's header said: its type and what comes with it. The reader is then at
/// the packet's body (parameters, item, error or event object), if it has one.
enum Header {
    Request { id: MessageId, opcode: Opcode },
    Success { id: MessageId },
    Error { id: MessageId },
    DataChange,
}

impl Header {
    /// A header in its minimal form — `83`/`84 00 id opcode`, `82`/`83 01 id`, `83 02 id`,
    /// `83 08 00`, with a one- or two-byte id and a one-byte opcode — read without the
    /// general path's checks, which the head's form makes needless; with the elements left
    /// (the body). `None` (the reader back at `start`) for any other header, or one in
    /// error: the general path then reads it and says what is wrong.
    #[inline(always)]
    fn minimal(r: &mut Reader<'_>, start: usize) -> Option<(Header, Len)> {
        let input = r.input();
        let (&head, &ty) = (input.get(start)?, input.get(start + 1)?);
        let elements = match head {
            0x82..=0x84 => u64::from(head - 0x80),
            _ => return None,
        };
        r.set_position(start + 2);
        let header = match (ty, elements) {
            (0x08, 3) if input.get(start + 2) == Some(&0) => {
                r.set_position(start + 3);
                Header::DataChange
            }
            (0, 3 | 4) | (1, 2 | 3) | (2, 3) => {
                let Ok(id) = r.int() else {
                    r.set_position(start);
                    return None;
                };
                match ty {
                    0 => {
                        let at = r.position();
                        let code = input.get(at).and_then(|&b| Opcode::from_u64(u64::from(b)));
                        let Some(opcode) = code else {
                            r.set_position(start);
                            return None;
                        };
                        r.set_position(at + 1);
                        Header::Request { id, opcode }
                    }
                    1 => Header::Success { id },
                    _ => Header::Error { id },
                }
            }
            _ => {
                r.set_position(start);
                return None;
            }
        };
        // The body, if the head counts one.
        let body = match header {
            Header::Request { .. } => elements - 3,
            Header::Success { .. } => elements - 2,
            _ => 1,
        };
        Some((header, Len::Definite(body)))
    }

    /// A header in any form, checked element by element.
    #[inline(never)]
    fn general(r: &mut Reader<'_>, start: usize) -> Result<(Header, Len), DecodeError> {
        let mut len = match r.array() {
            Ok(len) => len,
            Err(e) if e.is_fatal() => return Err(e),
            Err(_) => return Err(DecodeError::new(K::NotAPacket, start)),
        };
        let header = match header(r, &mut len, Field::PACKET_TYPE)? {
            packet_type::REQUEST => {
                let id = message_id(r, &mut len)?;
                let at = r.position();
                let code = header(r, &mut len, Field::OPCODE).map_err(|e| e.with_id(id))?;
                let Some(opcode) = Opcode::from_u64(code) else {
                    return Err(DecodeError::new(K::UnknownOpcode(code), at).with_id(id));
                };
                Header::Request { id, opcode }
            }
            packet_type::SUCCESS => Header::Success {
                id: message_id(r, &mut len)?,
            },
            packet_type::ERROR => Header::Error {
                id: message_id(r, &mut len)?,
            },
            packet_type::EVENT => {
                let at = r.position();
                let kind = header(r, &mut len, Field::EVENT_TYPE)?;
                if kind != event_type::DATA_CHANGE {
                    return Err(DecodeError::new(K::UnknownEventType(kind), at));
                }
                Header::DataChange
            }
            other => return Err(DecodeError::new(K::UnknownPacketType(other), start)),
        };
        Ok((header, len))
    }
}

/// Checks that the packet has no more elements than its type allows.
#[inline(always)]
fn end(r: &mut Reader<'_>, len: &mut Len, id: Option<MessageId>) -> Result<(), DecodeError> {
    if r.has_next(len)? {
        let e = r.err(K::PacketLength);
        return Err(match id {
            Some(id) => e.with_id(id),
            None => e,
        });
    }
    Ok(())
}

defmt_via_debug!(
    Request<'_>,
    Success<'_>,
    ErrorResponse<'_>,
    DataChange<'_>,
    Event<'_>,
    Packet<'_>
);
