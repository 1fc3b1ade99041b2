//! The wasm core of the browser client: one [`ClientSession`] per connection and the codec,
//! behind five calls. Everything else — the vendor's classes, promises, events, the
//! WebSocket, the clock — is `js/xentara-client.js`.
//!
//! The two sides talk in byte tapes, little-endian, so that no JS object crosses the
//! boundary and the glue stays small:
//!
//! - [`Core::send`] takes the requests of one tick and returns one message holding them
//!   (the hello first on a session's first call) and each request's id;
//! - [`Core::receive`] takes a server message (written at [`Core::input`]) and leaves one
//!   record per packet at [`Core::output`] (see [`Out`] for the layout): successes typed
//!   by their request's opcode, errors, events, packets that do not decode (only their
//!   request fails, with the spec code; an event with a value that does not decode fails
//!   whole); both buffers stay, so that a message costs no allocation;
//! - [`Core::watch`] names an attribute that has observers by a number (its slot): an
//!   event carries the values of watched attributes only, each with its slot;
//! - [`Core::timeout`] / [`Core::expire`] are the session's request deadlines on the
//!   caller's clock (`now` in ms), [`Core::close`] ends every request in flight.
//!
//! Tape primitives (both ways): `u8`, `u32`, `f64`, a UUID as its 16 bytes, a string as
//! `u32` length + UTF-8, an attribute as `0, u32 number` or `1, uuid`, a value as a type
//! byte + payload (see [`read_value`] and [`Out::value`]).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;
use xentara_ws::MessageId;
use xentara_ws::items::MetaDataItem;
use xentara_ws::params::{
    Browse, CloseSubSession, CreateSubSession, Credentials, Lookup, MetaData, Password, Read,
    Subscribe, SubscriptionEntry, Unsubscribe, Write,
};
use xentara_ws::session::{ClientError, ClientSession, ClientState, Lost, Outcome};
use xentara_ws::{
    AttrResult, Attribute, AttributeId, Batch, Bytes, Command, DecodeError, DecodeErrorKind,
    ElementCategory, ErrorCode, ErrorObject, MetaDataId, Response, Seq, Text, TimePoint, Uuid,
    Value,
};

// A free-list allocator of a few hundred bytes instead of dlmalloc's 8 KB; no std, so no
// panic machinery or `core::fmt` either (a panic is a trap; the codec has none on any input).
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// Requests in flight per connection. A request that finds the table full is not sent
/// and stays queued on the JS side until answers make room.
const PENDING: usize = 256;

/// Record kinds of [`Core::receive`], [`Core::expire`] and [`Core::close`].
const SUCCESS: u8 = 1;
const ERROR: u8 = 2;
const EVENT: u8 = 3;
const INVALID: u8 = 4;
const UNEXPECTED: u8 = 5;
const LOST: u8 = 6;
/// In an `EVENT` record, the count of values that says the event does not decode.
const BAD_EVENT: u32 = u32::MAX;

/// The session of one connection.
#[wasm_bindgen]
pub struct Core {
    session: ClientSession<PENDING>,
    /// What JS writes a server message into ([`Core::input`]), kept between messages.
    input: Vec<u8>,
    /// The records of the last [`Core::receive`], kept between messages ([`Core::output`]).
    output: Vec<u8>,
    /// The watched attributes, sorted by key, each with its slot: events carry slots, so
    /// that JS finds an attribute's observers by number.
    watched: Vec<(Key, u32)>,
    /// Slots given so far.
    slots: u32,
}

/// An attribute of an element, as events are matched: the element, then a standard
/// attribute's number (any known UUID goes as its number) or the attribute UUID. UUIDs
/// as integers: compared without a call to `memcmp`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128, u32, u128);

impl Key {
    fn new(element: &Uuid, a: &AttributeId) -> Key {
        let e = element.as_u128();
        match (a.standard(), a) {
            (Some(s), _) => Key(e, s.to_u64() as u32, 0),
            (None, AttributeId::Uuid(u)) => Key(e, u32::MAX, u.as_u128()),
            (None, _) => Key(e, u32::MAX, u128::MAX),
        }
    }
}

#[wasm_bindgen]
impl Core {
    /// A session that has sent nothing yet.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Core {
        Core {
            session: ClientSession::default(),
            input: Vec::new(),
            output: Vec::new(),
            watched: Vec::new(),
            slots: 0,
        }
    }

    /// Watches an attribute (`tape`: UUID element, attribute): events carry its values
    /// with the slot returned, the number of attributes watched before (or `u32::MAX` for
    /// a tape that does not parse). Slots follow the calls' order; one attribute watched
    /// twice takes two slots, and its values go to the first.
    pub fn watch(&mut self, tape: &[u8]) -> u32 {
        let mut t = Tape { b: tape, at: 0 };
        let (Some(element), Some(attribute)) = (t.uuid(), t.attribute()) else {
            return u32::MAX;
        };
        let key = Key::new(&element, &attribute);
        let slot = self.slots;
        self.slots += 1;
        if let Err(at) = self.watched.binary_search_by_key(&key, |w| w.0) {
            self.watched.insert(at, (key, slot));
        }
        slot
    }

    /// Where to write a server message of `len` bytes before [`Core::receive`].
    pub fn input(&mut self, len: usize) -> *mut u8 {
        if self.input.len() < len {
            self.input.resize(len, 0);
        }
        self.input.as_mut_ptr()
    }

    /// Where the records of the last [`Core::receive`] are.
    pub fn output(&self) -> *const u8 {
        self.output.as_ptr()
    }

    /// Encodes the requests of `tape` (each: `f64` deadline in ms or NaN, `u8` opcode,
    /// its parameters) as one message. Returns `u32` count, then per request an `f64`: its
    /// message id; 0 when every pending entry is taken (send it later); or a negative spec
    /// code followed by a string saying why. The message follows (absent when there is
    /// nothing to send).
    pub fn send(&mut self, tape: &[u8]) -> Vec<u8> {
        let idle = self.session.state() == ClientState::Idle;
        let mut t = Tape { b: tape, at: 0 };
        // Per request: its id (0: no pending entry free), why it was not sent, or `None`
        // for a tape that does not parse (which ends it: the rest cannot be told apart).
        let mut results: Vec<Option<Result<MessageId, ClientError>>> = Vec::new();
        let mut buf = vec![0u8; 64 + 2 * tape.len() + 48 * count_hint(tape)];
        let mut batch = self.session.start_batch(&mut buf);
        while !t.done() {
            let deadline = t.f64();
            batch.set_deadline((deadline >= 0.0).then_some(deadline as u64));
            let result = read_request(&mut t, &mut |command| batch.request(command));
            results.push(result.map(|r| match r {
                Err(ClientError::PendingFull { .. }) => Ok(0),
                r => r,
            }));
            if results.last() == Some(&None) {
                break;
            }
        }
        let mut out = Out::default();
        let message = if batch.is_empty() && !idle {
            Ok(&[][..])
        } else {
            batch.finish()
        };
        out.u32(results.len() as u32);
        for result in results {
            match (result, message) {
                (Some(Ok(0)), _) => out.f64(0.0),
                // Not encoded after all: every request of the batch fails with it.
                (Some(Ok(_)), Err(e)) | (Some(Err(e)), _) => out.client_error(&e),
                (Some(Ok(id)), Ok(_)) => out.f64(id as f64),
                (None, _) => {
                    out.f64(ErrorCode::InvalidParameter.code() as f64);
                    out.str("malformed request tape");
                }
            }
        }
        if let Ok(message) = message {
            out.b.extend_from_slice(message);
        }
        out.b
    }

    /// Takes the message of `len` bytes written at [`Core::input`]: one record per packet
    /// at [`Core::output`]; returns their length in bytes.
    pub fn receive(&mut self, len: usize) -> usize {
        let mut out = Out {
            b: core::mem::take(&mut self.output),
            watched: &self.watched,
        };
        out.b.clear();
        match Batch::new(self.input.get(..len).unwrap_or_default()) {
            Ok(batch) => self
                .session
                .handle_message(&batch)
                .for_each(|o| out.outcome(o)),
            Err(e) => out.invalid(None, &e),
        }
        self.output = out.b;
        self.output.len()
    }

    /// The earliest request deadline (ms), or -1.
    pub fn timeout(&self) -> f64 {
        self.session.poll_timeout().map_or(-1.0, |t| t as f64)
    }

    /// Ends the requests whose deadline is at or before `now`: one `LOST` record each.
    pub fn expire(&mut self, now: f64) -> Vec<u8> {
        let mut out = Out::default();
        self.session
            .handle_timeout(now as u64)
            .for_each(|o| out.outcome(o));
        out.b
    }

    /// The connection is gone: one `LOST` record per request in flight.
    pub fn close(&mut self) -> Vec<u8> {
        let mut out = Out::default();
        self.session.close().for_each(|o| out.outcome(o));
        out.b
    }
}

/// The standard attribute number for a known attribute UUID, or -1.
#[wasm_bindgen]
pub fn standard_attribute(uuid: &[u8]) -> i32 {
    uuid_of(uuid)
        .and_then(|u| Attribute::from_uuid(&u))
        .map_or(-1, |a| a.to_u64() as i32)
}

/// The UUID of a standard attribute when it is known (empty otherwise).
#[wasm_bindgen]
pub fn attribute_uuid(number: u32) -> Vec<u8> {
    Attribute::from_u64(number.into())
        .uuid()
        .map_or(Vec::new(), |u| u.as_bytes().to_vec())
}

/// An upper bound of the requests in a tape (each takes at least 9 bytes).
fn count_hint(tape: &[u8]) -> usize {
    tape.len() / 9 + 1
}

fn uuid_of(b: &[u8]) -> Option<Uuid> {
    Some(Uuid::from_bytes(b.try_into().ok()?))
}

/// What [`read_request`] hands a command to (one call site: the batch's `request`).
type Push<'p> = dyn FnMut(Command<'_>) -> Result<MessageId, ClientError> + 'p;

/// Reads one request of the tape and hands its command to `push`; `None` when the tape
/// does not parse.
fn read_request(t: &mut Tape<'_>, push: &mut Push<'_>) -> Option<Result<MessageId, ClientError>> {
    let op = t.u8()?;
    Some(match op {
        1 => {
            let element = t.uuid()?;
            let depth = t.f64();
            let categories: Option<Vec<ElementCategory>> = match t.u8()? {
                0 => None,
                _ => Some(t.numbers()?),
            };
            push(
                Browse {
                    element,
                    depth: (depth >= 0.0).then_some(depth as u64),
                    categories: categories.as_deref().map(Seq::from_slice),
                }
                .into(),
            )
        }
        2 => {
            let element = t.uuid()?;
            let ids: Vec<MetaDataId> =
                t.list(|t| t.u8().map(|n| MetaDataId::from_u64(n.into())))?;
            push(
                MetaData {
                    element,
                    ids: Seq::from_slice(&ids),
                }
                .into(),
            )
        }
        3 => {
            let primary_key = Text::new(t.str()?);
            push(Lookup { primary_key }.into())
        }
        4 => {
            let element = t.uuid()?;
            let attributes: Vec<AttributeId> = t.list(Tape::attribute)?;
            push(
                Read {
                    element,
                    attributes: Seq::from_slice(&attributes),
                }
                .into(),
            )
        }
        5 => {
            let element = t.uuid()?;
            let attribute = t.attribute()?;
            let value = read_value(t)?;
            let sub_session_id = t.optional_uuid()?;
            push(
                Write {
                    element,
                    attribute,
                    value,
                    sub_session_id,
                }
                .into(),
            )
        }
        6 => {
            // All attributes first, then the entries over them.
            let groups: Vec<(Uuid, Vec<AttributeId>)> =
                t.list(|t| Some((t.uuid()?, t.list(Tape::attribute)?)))?;
            let entries: Vec<SubscriptionEntry<'_>> = groups
                .iter()
                .map(|(element, attributes)| SubscriptionEntry::new(*element, attributes))
                .collect();
            let rate = |x: f64| (x >= 0.0).then_some(x as u64);
            let (max, min) = (t.f64(), t.f64());
            let desired = t.uuid()?;
            let subscribe = Subscribe::new(&entries).with_rates(rate(max), rate(min));
            push(subscribe.with_desired_id(desired).into())
        }
        7 => push(
            Unsubscribe {
                subscription_id: t.uuid()?,
            }
            .into(),
        ),
        12 => {
            let username = Text::new(t.str()?);
            let password = Text::new(t.str()?);
            let desired_session_id = t.optional_uuid()?;
            push(
                CreateSubSession {
                    credentials: Credentials::Password(Password { username, password }),
                    desired_session_id,
                }
                .into(),
            )
        }
        13 => push(
            CloseSubSession {
                session_id: t.uuid()?,
            }
            .into(),
        ),
        _ => return None,
    })
}

/// A value to write: `0` null, `1` false, `2` true, `3` f64, `4` i64, `5` u64, `6` text,
/// `7` bytes, `8` UUID, `9` time point (i64 ns since the epoch).
fn read_value<'t>(t: &mut Tape<'t>) -> Option<Value<'t>> {
    Some(match t.u8()? {
        0 => Value::Null,
        1 => Value::Bool(false),
        2 => Value::Bool(true),
        3 => Value::Float(t.f64()),
        4 => Value::Int(i64::from_le_bytes(t.array()?)),
        5 => u64::from_le_bytes(t.array()?).into(),
        6 => Value::Text(Text::new(t.str()?)),
        7 => {
            let n = t.u32()? as usize;
            Value::Bytes(Bytes::new(t.take(n)?))
        }
        8 => Value::Uuid(t.uuid()?),
        9 => Value::Time(TimePoint::from_nanos(i64::from_le_bytes(t.array()?))),
        _ => return None,
    })
}

/// The request tape being read.
struct Tape<'t> {
    b: &'t [u8],
    at: usize,
}

impl<'t> Tape<'t> {
    fn done(&self) -> bool {
        self.at >= self.b.len()
    }
    fn take(&mut self, n: usize) -> Option<&'t [u8]> {
        let part = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(part)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }
    /// NaN when the tape ends (the caller's next read fails).
    fn f64(&mut self) -> f64 {
        self.array().map_or(f64::NAN, f64::from_le_bytes)
    }
    fn uuid(&mut self) -> Option<Uuid> {
        Some(Uuid::from_bytes(self.array()?))
    }
    fn optional_uuid(&mut self) -> Option<Option<Uuid>> {
        match self.u8()? {
            0 => Some(None),
            _ => Some(Some(self.uuid()?)),
        }
    }
    fn str(&mut self) -> Option<&'t str> {
        let n = self.u32()? as usize;
        core::str::from_utf8(self.take(n)?).ok()
    }
    fn attribute(&mut self) -> Option<AttributeId> {
        Some(match self.u8()? {
            0 => AttributeId::Standard(Attribute::from_u64(self.u32()?.into())),
            _ => AttributeId::Uuid(self.uuid()?),
        })
    }
    /// `u32` count, then that many items.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = self.u32()? as usize;
        // Each item takes at least one byte: a count beyond the tape is malformed.
        if n > self.b.len() - self.at {
            return None;
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(item(self)?);
        }
        Some(items)
    }
    /// `u32` count, then that many numbers of one byte each, as `T`.
    fn numbers<T: From<u64>>(&mut self) -> Option<Vec<T>> {
        let n = self.u32()? as usize;
        Some(self.take(n)?.iter().map(|&b| T::from(b.into())).collect())
    }
}

/// Writes `u32 n` and each element of a [`Seq`] with `$item`; the first element that does
/// not decode returns its error from the enclosing function.
macro_rules! seq {
    ($out:expr, $seq:expr, |$o:ident, $x:pat_param| $item:block) => {{
        let seq = $seq;
        $out.u32(seq.len() as u32);
        for x in seq.iter() {
            let $x = x?;
            let $o = &mut *$out;
            $item
        }
    }};
}

/// The records going to JS. Each starts with its kind:
///
/// - `SUCCESS, f64 id, u8 opcode`, then the item: lookup and create_sub_session a UUID;
///   subscribe `u8 has` + UUID; browse `u32 n` × (string, UUID, `u32` category); meta_data
///   `u8` flags (1 primary key, 2 category, 4 attributes, 8 has-children) and those present
///   (attributes: `u32 n` × (string, attribute, `u32` access, `u32` data type)); read and
///   server_information `u32 n` × (attribute or `u32` id, result); get_stage `u32`;
///   the others nothing;
/// - `ERROR, f64 id, u8 opcode, f64 code, string message`;
/// - `EVENT, u32 n` × (`u32` slot, result): the values of watched attributes
///   ([`Core::watch`]) in the event's order; or, when a value does not decode, `u32::MAX`
///   ([`BAD_EVENT`]), `f64 code`, string why, `u32 n` × `u32` slot (the element's watched
///   attributes, by slot): then no value of the event stands;
/// - `INVALID, f64 id (-1: none), f64 code, string why`;
/// - `UNEXPECTED, f64 id, u8 reason` (0 unknown id, 1 before the hello, 2 a request);
/// - `LOST, f64 id, u8 cause` (0 timed out, 1 closed).
///
/// A result is `0` + value or `1, f64 code, string message`.
#[derive(Default)]
struct Out<'w> {
    b: Vec<u8>,
    /// The watched attributes, sorted ([`Core::watch`]).
    watched: &'w [(Key, u32)],
}

impl Out<'_> {
    fn u8(&mut self, x: u8) {
        self.b.push(x);
    }
    fn u32(&mut self, x: u32) {
        self.b.extend_from_slice(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.b.extend_from_slice(&x.to_le_bytes());
    }
    fn uuid(&mut self, u: &Uuid) {
        self.b.extend_from_slice(u.as_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.b.extend_from_slice(s.as_bytes());
    }
    /// A string from its parts (text that came in chunks).
    fn parts<'a>(&mut self, parts: impl Iterator<Item = &'a [u8]>) {
        let at = self.b.len();
        self.u32(0);
        parts.for_each(|p| self.b.extend_from_slice(p));
        let n = (self.b.len() - at - 4) as u32;
        self.b[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    fn text(&mut self, t: &Text<'_>) {
        self.parts(t.chunks().map(str::as_bytes));
    }
    /// A decimal number, as text.
    fn decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.b.extend_from_slice(&digits[i..]);
    }
    /// Why a request was not sent: its code and a string.
    fn client_error(&mut self, e: &ClientError) {
        self.f64(e.code().code() as f64);
        self.str(match e {
            ClientError::HelloRefused(code) => code.message(),
            ClientError::Closed => "the session is closed",
            ClientError::Encode(_) => "the request does not fit in a message",
            _ => "the request was not sent",
        });
    }
    /// A [`DecodeError`]: `f64` spec code, then as text, as its `Display` has it (without
    /// `core::fmt`): what, in which field, at which byte.
    fn decode_error(&mut self, e: &DecodeError) {
        use DecodeErrorKind::*;
        self.f64(e.code().code() as f64);
        let at = self.b.len();
        self.u32(0);
        let (what, n) = match e.kind() {
            Truncated => ("truncated input", None),
            InvalidCbor => ("malformed CBOR", None),
            InvalidUtf8 => ("invalid UTF-8 in text string", None),
            TooDeep => ("nesting too deep", None),
            TrailingBytes => ("trailing bytes after the message", None),
            NotABatch => ("message is not an array of packets", None),
            NotAPacket => ("packet is not an array", None),
            UnknownPacketType(t) => ("unknown packet type ", Some(t)),
            UnknownEventType(t) => ("unknown event type ", Some(t)),
            InvalidHeader => ("missing or malformed packet header field", None),
            PacketLength => ("too many packet elements", None),
            UnknownOpcode(op) => ("unknown opcode ", Some(op)),
            WrongType(expected) => {
                self.b.extend_from_slice(b"expected ");
                (expected.name(), None)
            }
            MissingKey(k) => ("missing key ", Some(k)),
            DuplicateKey(k) => ("duplicate key ", Some(k)),
            Missing => ("missing value", None),
            InvalidUuid => ("invalid UUID", None),
            OutOfRange => ("integer out of range", None),
            InvalidValue => ("invalid value", None),
            _ => ("invalid", None),
        };
        self.b.extend_from_slice(what.as_bytes());
        if let Some(n) = n {
            self.decimal(n);
        }
        if !e.field().is_empty() {
            self.b.extend_from_slice(b" in ");
            self.b.extend_from_slice(e.field().as_bytes());
        }
        self.b.extend_from_slice(b" at byte ");
        self.decimal(e.offset() as u64);
        let n = (self.b.len() - at - 4) as u32;
        self.b[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    /// A known attribute UUID goes as its number, so JS matches either form.
    fn attribute(&mut self, a: &AttributeId) {
        match a.standard() {
            Some(s) => {
                self.u8(0);
                self.u32(s.to_u64() as u32);
            }
            None => {
                self.u8(1);
                if let AttributeId::Uuid(u) = a {
                    self.uuid(u);
                }
            }
        }
    }
    /// `0` null, `1`/`2` false/true, `3` f64, `4` i64, `5` u64, `6` text, `7` bytes,
    /// `8` UUID, `9` time point (i64 ns), `10` anything else (its CBOR bytes).
    fn value(&mut self, v: &Value<'_>) {
        match v {
            Value::Null => self.u8(0),
            Value::Bool(b) => self.u8(1 + u8::from(*b)),
            Value::Float(x) => {
                self.u8(3);
                self.f64(*x);
            }
            Value::Int(n) => {
                self.u8(4);
                self.b.extend_from_slice(&n.to_le_bytes());
            }
            Value::UInt(n) => {
                self.u8(5);
                self.b.extend_from_slice(&n.to_le_bytes());
            }
            Value::Text(t) => {
                self.u8(6);
                self.text(t);
            }
            Value::Bytes(b) => {
                self.u8(7);
                self.parts(b.chunks());
            }
            Value::Uuid(u) => {
                self.u8(8);
                self.uuid(u);
            }
            Value::Time(t) => {
                self.u8(9);
                self.b.extend_from_slice(&nanos(t).to_le_bytes());
            }
            Value::Other(raw) => {
                self.u8(10);
                self.parts(core::iter::once(raw.as_bytes()));
            }
        }
    }
    fn result(&mut self, r: &AttrResult<'_>) {
        match r {
            AttrResult::Value(v) => {
                self.u8(0);
                self.value(v);
            }
            AttrResult::Error(e) => {
                self.u8(1);
                self.error_object(e);
            }
        }
    }
    /// `f64` code, then the message (the code's standard one when there is none).
    fn error_object(&mut self, e: &ErrorObject<'_>) {
        self.f64(e.code.code() as f64);
        self.text(&e.text());
    }
    fn invalid(&mut self, id: Option<i64>, e: &DecodeError) {
        self.u8(INVALID);
        self.f64(id.map_or(-1.0, |id| id as f64));
        self.decode_error(e);
    }
    fn outcome(&mut self, o: Outcome<'_>) {
        match o {
            Outcome::Success { id, response } => {
                let start = self.b.len();
                self.u8(SUCCESS);
                self.f64(id as f64);
                self.u8(response.opcode() as u8);
                if let Err(e) = self.response(&response) {
                    // An item that does not decode fails its request, and only it.
                    self.b.truncate(start);
                    self.invalid(Some(id), &e);
                }
            }
            Outcome::Error { id, opcode, error } => {
                self.u8(ERROR);
                self.f64(id as f64);
                self.u8(opcode as u8);
                self.error_object(&error);
            }
            Outcome::Event(change) => {
                self.u8(EVENT);
                let count = self.b.len();
                self.u32(0);
                let mut n = 0u32;
                let element = change.element;
                let values = change.values.iter().try_for_each(|x| {
                    let (a, r) = x?;
                    let key = Key::new(&element, &a);
                    let watched = self.watched;
                    if let Ok(at) = watched.binary_search_by_key(&key, |w| w.0) {
                        self.u32(watched[at].1);
                        self.result(&r);
                        n += 1;
                    }
                    Ok(())
                });
                match values {
                    Ok(()) => self.b[count..count + 4].copy_from_slice(&n.to_le_bytes()),
                    Err(e) => {
                        // A value that does not decode fails the whole event: none of its
                        // values stand, not even those before the bad one; every observer
                        // of the element gets the error, in the order they were made.
                        self.b.truncate(count);
                        self.u32(BAD_EVENT);
                        self.decode_error(&e);
                        let watched = self.watched;
                        let of_element = |after: Option<u32>| {
                            watched
                                .iter()
                                .filter(|w| w.0.0 == element.as_u128() && after < Some(w.1))
                                .map(|w| w.1)
                                .min()
                        };
                        let mut slot = of_element(None);
                        self.u32(
                            core::iter::successors(slot, |&s| of_element(Some(s))).count() as u32,
                        );
                        while let Some(s) = slot {
                            self.u32(s);
                            slot = of_element(slot);
                        }
                    }
                }
            }
            Outcome::Invalid(e) => self.invalid(e.id(), &e),
            Outcome::Unexpected { id, reason } => {
                self.u8(UNEXPECTED);
                self.f64(id as f64);
                self.u8(reason as u8);
            }
            Outcome::Lost { id, cause, .. } => {
                self.u8(LOST);
                self.f64(id as f64);
                self.u8(u8::from(cause == Lost::Closed));
            }
        }
    }
    fn response(&mut self, response: &Response<'_>) -> Result<(), DecodeError> {
        match response {
            Response::Lookup(u) | Response::CreateSubSession(u) => self.uuid(u),
            Response::Subscribe(u) => {
                self.u8(u8::from(u.is_some()));
                if let Some(u) = u {
                    self.uuid(u);
                }
            }
            Response::Browse(entries) => seq!(self, entries, |o, e| {
                o.text(&e.primary_key);
                o.uuid(&e.element);
                o.u32(e.category.to_u64() as u32);
            }),
            Response::MetaData(item) => self.meta_data(item)?,
            Response::Read(results) => self.values(results)?,
            Response::ServerInformation(values) => seq!(self, values, |o, (info, v)| {
                o.u32(info.to_u64() as u32);
                o.result(&AttrResult::Value(v));
            }),
            Response::GetStage(stage) => self.u32(stage.to_u64() as u32),
            _ => {}
        }
        Ok(())
    }
    /// Attribute results (read).
    fn values(
        &mut self,
        values: &Seq<'_, (AttributeId, AttrResult<'_>)>,
    ) -> Result<(), DecodeError> {
        seq!(self, values, |o, (a, r)| {
            o.attribute(&a);
            o.result(&r);
        });
        Ok(())
    }
    fn meta_data(&mut self, item: &MetaDataItem<'_>) -> Result<(), DecodeError> {
        let flags = u8::from(item.primary_key.is_some())
            | u8::from(item.category.is_some()) << 1
            | u8::from(item.attributes.is_some()) << 2
            | u8::from(item.has_children.is_some()) << 3;
        self.u8(flags);
        if let Some(pk) = &item.primary_key {
            self.text(pk);
        }
        if let Some(c) = item.category {
            self.u32(c.to_u64() as u32);
        }
        if let Some(attributes) = &item.attributes {
            seq!(self, attributes, |o, a| {
                o.text(&a.name);
                o.attribute(&a.id);
                o.u32(a.access.to_u64() as u32);
                o.u32(a.data_type.to_u64() as u32);
            });
        }
        if let Some(h) = item.has_children {
            self.u8(u8::from(h));
        }
        Ok(())
    }
}

/// A time point in nanoseconds since the epoch, saturated; the infinite ones at the ends.
fn nanos(t: &TimePoint) -> i64 {
    match *t {
        TimePoint::Infinite { negative } => {
            if negative {
                i64::MIN
            } else {
                i64::MAX
            }
        }
        TimePoint::Seconds(s) => s.saturating_mul(1_000_000_000),
        TimePoint::FloatSeconds(x) => (x * 1e9) as i64,
        TimePoint::Decimal { exponent, mantissa } => {
            let shift = exponent.saturating_add(9);
            if shift >= 0 {
                match 10i64.checked_pow(shift.min(40) as u32) {
                    Some(scale) => mantissa.saturating_mul(scale),
                    None if mantissa == 0 => 0,
                    None if mantissa < 0 => i64::MIN,
                    None => i64::MAX,
                }
            } else {
                match 10i64.checked_pow((-shift).min(40) as u32) {
                    Some(scale) => mantissa / scale,
                    None => 0,
                }
            }
        }
    }
}
