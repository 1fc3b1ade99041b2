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

use crate::cbor::{Cbor, Len, NONE, Reader, Writer, int_at};
use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError, MessageId};
use crate::frontier::Source;
use crate::model::{AttrResult, AttributeId, ErrorObject, Seq, TimePoint, Uuid};
use crate::op::{Command, Opcode, Response};

/// Packet type numbers (spec 7.1).
pub(crate) mod packet_type {
    /// A request.
    pub(crate) const REQUEST: u64 = 0;
    /// A success response.
    pub(crate) const SUCCESS: u64 = 1;
    /// An error response.
    pub(crate) const ERROR: u64 = 2;
    /// An event.
    pub(crate) const EVENT: u64 = 8;
}

/// Event type numbers (spec 7.1b).
pub(crate) mod event_type {
    /// Data change.
    pub(crate) const DATA_CHANGE: u64 = 0;
}

/// A request: `[0, id, opcode, params?]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
    /// Received: the item is `msg[start..end]` (nothing when `start == end`; `end` is
    /// [`NONE`] while the item is not walked yet), in the packet at offset `packet`.
    Wire {
        /// The message (a batch's, with its frontier, where typing records the end).
        src: Source<'b>,
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
    /// A received item is decoded now (the packet's decoding only found where it is): an
    /// item that is not one of `opcode`'s is an error with its offset in the message, its
    /// field and this packet's id. A success built with [`Success::new`] gives its response
    /// back, or [`InvalidValue`](K::InvalidValue) for another opcode.
    pub fn response(&self, opcode: Opcode) -> Result<Response<'b>, DecodeError> {
        match self.item {
            Item::Wire {
                src,
                start,
                end,
                packet,
            } => {
                let mut r = Reader::within(src, start as usize, packet);
                r.lazy_mut().set_tail(end == NONE);
                let response = Response::read(opcode, &mut r, start != end, start as usize);
                if let Some(e) = r.error() {
                    return Err(e.with_id(self.id));
                }
                if end == NONE && !r.lazy().has_left() {
                    src.record(start, r.position());
                }
                Ok(response)
            }
            Item::Typed(ref response) if response.opcode() == opcode => Ok(response.clone()),
            Item::Typed(_) => Err(DecodeError::new(K::InvalidValue, 0)
                .in_field(Field::ITEM)
                .with_id(self.id)),
        }
    }

    /// The item's bytes as received: `None` when the packet had none (or was built, or its
    /// item is not well-formed CBOR, which ends the batch).
    pub fn item_bytes(&self) -> Option<&'b [u8]> {
        let Item::Wire {
            src, start, end, ..
        } = self.item
        else {
            return None;
        };
        let msg = src.bytes();
        let end = match end {
            NONE => match src.end_of(start) {
                Some(end) => end,
                None => {
                    let mut r = Reader::at(msg, start as usize);
                    r.skip();
                    if r.failed() {
                        return None;
                    }
                    r.position()
                }
            },
            end => end as usize,
        };
        msg.get(start as usize..end).filter(|item| !item.is_empty())
    }

    /// True when the packet carries an item.
    pub fn has_item(&self) -> bool {
        match &self.item {
            Item::Wire { start, end, .. } => start != end,
            Item::Typed(response) => response.has_item(),
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'b> {
    /// Event type 0: attribute values changed.
    DataChange(DataChange<'b>),
}

/// One packet of a batch.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

impl Packet<'_> {
    inlining! { hot:
        /// What a packet is before it is read: built field by field, not copied from a
        /// constant's whole image as `EMPTY` would be.
        pub(crate) fn placeholder() -> Self {
            Packet::Request(Request {
                id: 0,
                command: Command::GetStage(crate::op::params::GetStage),
            })
        }
    }
}

impl<'b> Cbor<'b> for Packet<'b> {
    const EMPTY: Self = Packet::Request(Request {
        id: 0,
        command: Command::GetStage(crate::op::params::GetStage),
    });

    fn read(r: &mut Reader<'b>) -> Self {
        let mut packet = Self::EMPTY;
        packet.read_into(r);
        packet
    }

    /// Reads a packet in place: a request's parameters are built where they are to live.
    fn read_into(&mut self, r: &mut Reader<'b>) {
        let _ = read_packet::<ANY>(r, self);
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self {
            Packet::Request(p) => p.write(w),
            Packet::Success(p) => p.write(w),
            Packet::Error(p) => p.write(w),
            Packet::Event(Event::DataChange(ev)) => write_event(ev, w),
        }
    }
}

impl Request<'_> {
    /// Writes `[0, id, opcode, params?]`.
    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let params = self.command.has_params();
        w.array(3 + u64::from(params));
        w.uint(packet_type::REQUEST);
        w.int(self.id);
        w.uint(self.command.opcode() as u64);
        if params {
            self.command.write_params(w);
        }
    }
}

impl Success<'_> {
    /// Writes `[1, id, item?]`.
    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let item = self.has_item();
        w.array(2 + u64::from(item));
        w.uint(packet_type::SUCCESS);
        w.int(self.id);
        match (&self.item, self.item_bytes()) {
            (Item::Typed(response), _) => response.write_item(w),
            (Item::Wire { .. }, Some(bytes)) => w.put(bytes),
            // An item that is not well-formed CBOR: written as `undefined`.
            (Item::Wire { .. }, None) if item => w.byte(0xf7),
            (Item::Wire { .. }, None) => {}
        }
    }
}

impl ErrorResponse<'_> {
    /// Writes `[2, id, {0: code, 1: message}]`.
    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.array(3);
        w.uint(packet_type::ERROR);
        w.int(self.id);
        self.error.write(w);
    }
}

/// Writes `[8, 0, change]`.
pub(crate) fn write_event(change: &DataChange<'_>, w: &mut Writer<'_>) {
    w.array(3);
    w.uint(packet_type::EVENT);
    w.uint(event_type::DATA_CHANGE);
    change.write(w);
}

/// Who reads: which packets [`read_packet`] decodes. A server needs only requests, a
/// client only responses and events; each reads the others' headers and steps over their
/// bodies, so that its firmware links no decoder it does not use.
pub(crate) type Role = u8;
/// Every packet (a [`Batch`](crate::Batch)'s iterator).
pub(crate) const ANY: Role = 0;
/// Requests only (the server session).
pub(crate) const SERVER: Role = 1;
/// Responses and events only (the client session).
pub(crate) const CLIENT: Role = 2;

/// The packet reader, one for every caller: reads the packet at the reader's position
/// into `out` (a request's parameters built in place) and returns true — or, when `ROLE`
/// does not decode its type, steps over its body, puts only its type and id in `out` (a
/// get_stage request, a success with its item unread, an error or event with placeholder
/// bodies) and returns false. On failure the reader holds the error, with the packet's id
/// once the id was read. When the packet's last part is left for its reader to walk, the
/// reader's lazy state holds where it starts ([`Lazy::take_left`](crate::frontier::Lazy::take_left)).
#[inline(never)]
pub(crate) fn read_packet<'b, const ROLE: Role>(r: &mut Reader<'b>, out: &mut Packet<'b>) -> bool {
    let start = r.position();
    let (header, mut len) = match Header::minimal(r, start) {
        Some(header) => header,
        None => Header::general(r, start),
    };
    if r.failed() {
        return true;
    }
    r.lazy_mut().enter_packet(start as u32);
    let len = &mut len;
    // Whether the role decodes this packet's body.
    let decoded = match header {
        Header::Request { id, opcode } => {
            *out = Packet::Request(Request {
                id,
                command: Command::GetStage(crate::op::params::GetStage),
            });
            ROLE != CLIENT && {
                let at = r.position();
                let present = r.has_next(len);
                r.lazy_mut().set_tail(len.is_done());
                if let Packet::Request(request) = out {
                    request.command.read_into(opcode, r, present, at);
                }
                true
            }
        }
        Header::Success { id } => {
            let present = r.has_next(len);
            // After `has_next`: the break of an indefinite packet is not the item.
            let start = r.position();
            let end = if !present {
                start
            } else if ROLE != SERVER && r.lazy().may_leave(len.is_done()) {
                // The packet's last part: whoever types the item walks it.
                r.defer(start, false);
                NONE as usize
            } else {
                r.skip();
                r.position()
            };
            *out = Packet::Success(Success {
                id,
                item: Item::Wire {
                    src: r.source(),
                    start: start as u32,
                    end: end as u32,
                    packet: r.lazy().packet(),
                },
            });
            ROLE != SERVER
        }
        Header::Error { id } => {
            *out = Packet::Error(ErrorResponse {
                id,
                error: ErrorObject::EMPTY,
            });
            ROLE != SERVER && {
                if r.has_next(len) {
                    if let Packet::Error(e) = out {
                        e.error.read_into(r);
                    }
                } else if !r.failed() {
                    missing(r, Field::ERROR);
                }
                true
            }
        }
        Header::DataChange => {
            *out = Packet::Event(Event::DataChange(DataChange::EMPTY));
            ROLE != SERVER && {
                if r.has_next(len) {
                    r.lazy_mut().set_tail(len.is_done());
                    if let Packet::Event(Event::DataChange(change)) = out {
                        change.read_into(r);
                    }
                } else if !r.failed() {
                    missing(r, Field::DATA_CHANGE);
                }
                true
            }
        }
    };
    r.lazy_mut().set_tail(false);
    if !decoded {
        // A packet this role does not decode: stepped over.
        while r.has_next(len) {
            r.skip();
        }
    } else if !len.is_done() && !r.lazy().has_left() && r.has_next(len) {
        r.fail(K::PacketLength, r.position());
    }
    if r.failed()
        && let Some(id) = out.id()
    {
        r.map_error(|e| e.with_id(id));
    }
    decoded
}

/// Fails: the packet lacks its body, which would be here.
#[cold]
fn missing(r: &mut Reader<'_>, field: Field) {
    r.in_field(field, |r| r.fail(K::Missing, r.position()));
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
    inlining! { hot:
        /// A header in its minimal form — `83`/`84 00 id opcode`, `82`/`83 01 id`, `83 02 id`,
        /// `83 08 00`, with an id of any width and a one-byte opcode — read from the bytes
        /// alone, with the elements left (the body). `None` (nothing read) for any other
        /// header, or one in error: the general path then reads it and says what is wrong.
        fn minimal(r: &mut Reader<'_>, start: usize) -> Option<(Header, Len)> {
            let input = r.input();
            let (&head, &ty) = (input.get(start)?, input.get(start + 1)?);
            let elements = match head {
                0x82..=0x84 => u64::from(head - 0x80),
                _ => return None,
            };
            let (header, end, body) = match (ty, elements) {
                (0x08, 3) if input.get(start + 2) == Some(&0) => (Header::DataChange, start + 3, 1),
                (0, 3 | 4) => {
                    let (id, n) = int_at(input, start + 2)?;
                    let opcode = Opcode::from_u64(u64::from(*input.get(start + 2 + n)?))?;
                    (Header::Request { id, opcode }, start + 3 + n, elements - 3)
                }
                (1, 2 | 3) => {
                    let (id, n) = int_at(input, start + 2)?;
                    (Header::Success { id }, start + 2 + n, elements - 2)
                }
                (2, 3) => {
                    let (id, n) = int_at(input, start + 2)?;
                    (Header::Error { id }, start + 2 + n, 1)
                }
                _ => return None,
            };
            r.set_position(end);
            Some((header, Len::definite(body)))
        }
    }

    /// A header in any form, checked element by element; on failure the reader holds the
    /// error.
    #[inline(never)]
    fn general(r: &mut Reader<'_>, start: usize) -> (Header, Len) {
        let failed = (Header::DataChange, Len::definite(0));
        let mut len = r.array();
        if let Some(e) = r.error()
            && !e.is_fatal()
        {
            r.take_error();
            r.fail(K::NotAPacket, start);
        }
        let len = &mut len;
        let header = match header(r, len, Field::PACKET_TYPE) {
            packet_type::REQUEST => {
                let id = message_id(r, len);
                if r.failed() {
                    return failed;
                }
                let at = r.position();
                let code = header(r, len, Field::OPCODE);
                if r.failed() {
                    r.map_error(|e| e.with_id(id));
                    return failed;
                }
                let Some(opcode) = Opcode::from_u64(code) else {
                    r.fail_with(DecodeError::new(K::UnknownOpcode(code), at).with_id(id));
                    return failed;
                };
                Header::Request { id, opcode }
            }
            packet_type::SUCCESS => Header::Success {
                id: message_id(r, len),
            },
            packet_type::ERROR => Header::Error {
                id: message_id(r, len),
            },
            packet_type::EVENT => {
                let at = r.position();
                let kind = header(r, len, Field::EVENT_TYPE);
                if !r.failed() && kind != event_type::DATA_CHANGE {
                    r.fail(K::UnknownEventType(kind), at);
                }
                Header::DataChange
            }
            _ if r.failed() => return failed,
            other => {
                r.fail(K::UnknownPacketType(other), start);
                return failed;
            }
        };
        (header, *len)
    }
}

/// Reads the next header element (packet type, opcode, event type: unsigned). A missing or
/// wrongly typed one is a parse error (spec 3.1); malformed CBOR stays what it is.
#[inline(never)]
fn header(r: &mut Reader<'_>, len: &mut Len, field: Field) -> u64 {
    if !r.has_next(len) {
        if !r.failed() {
            invalid_header(r, r.position(), field);
        }
        return u64::MAX;
    }
    let at = r.position();
    let n = r.uint();
    header_error(r, at, field);
    n
}

/// Reads the message id, as [`header`].
#[inline(never)]
fn message_id(r: &mut Reader<'_>, len: &mut Len) -> MessageId {
    if !r.has_next(len) {
        if !r.failed() {
            invalid_header(r, r.position(), Field::MESSAGE_ID);
        }
        return 0;
    }
    let at = r.position();
    let id = r.int();
    header_error(r, at, Field::MESSAGE_ID);
    id
}

/// Turns a non-fatal error in the header element at `at` into [`K::InvalidHeader`].
#[inline]
fn header_error(r: &mut Reader<'_>, at: usize, field: Field) {
    if let Some(e) = r.error()
        && !e.is_fatal()
        && e.offset() == at
    {
        r.take_error();
        invalid_header(r, at, field);
    }
}

#[cold]
fn invalid_header(r: &mut Reader<'_>, at: usize, field: Field) {
    r.fail_with(DecodeError::new(K::InvalidHeader, at).in_field(field));
}

/// As `Debug`: the typed response, or the received item's bytes.
#[cfg(feature = "defmt")]
impl defmt::Format for Success<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match &self.item {
            Item::Typed(response) => defmt::write!(
                f,
                "Success {{ id: {=i64}, response: {} }}",
                self.id,
                response
            ),
            Item::Wire { .. } => defmt::write!(
                f,
                "Success {{ id: {=i64}, item: {} }}",
                self.id,
                self.item_bytes()
                    .and_then(|bytes| crate::model::Raw::new(bytes).ok())
            ),
        }
    }
}

/// As `Debug`, the element's UUID hyphenated.
#[cfg(feature = "defmt")]
impl defmt::Format for DataChange<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "DataChange {{ time: {}, element: {}, values: {} }}",
            self.time,
            crate::model::DefmtUuid(self.element),
            self.values
        )
    }
}
