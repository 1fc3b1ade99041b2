//! The messages the benchmarks measure, and the operations measured on them, shared by
//! `benches/codec.rs` (wall time) and `examples/instructions.rs` (instruction counts).
//!
//! Every message is built as typed packets and encoded by the crate; the two fixed ones
//! (close_sub_session, client_hello) are checked against the bytes of the issue.

use std::hint::black_box;

use xentara_ws::params::*;
use xentara_ws::{
    AttrResult, Attribute, AttributeId, Batch, Bytes, Command, DataChange, ElementCategory,
    ErrorCode, ErrorObject, ErrorResponse, Event, MetaDataId, Opcode, Packet, Raw, Request, Seq,
    ServerInfo, Text, TimePoint, Uuid, Value, encode_batch,
};

/// One measured message: its typed packets (what the encoder gets) and its bytes (what the
/// decoders get).
pub struct Message {
    pub name: &'static str,
    pub packets: Vec<Packet<'static>>,
    pub bytes: Vec<u8>,
}

/// The benchmark messages, in the order results are reported.
pub const NAMES: &[&str] = &[
    "close_sub_session",
    "client_hello",
    "subscribe_4x3",
    "data_change_3",
    "error_response",
    "batch_64",
];

/// Batches of other sizes, to check that decoding cost grows linearly with packet count.
pub const SCALING: &[&str] = &["batch_8", "batch_64", "batch_512"];

const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
const B4E1: Uuid = Uuid::from_u128(0xb4e1c552_e3c7_406b_95a2_aa09c553f277);

const fn attr(a: Attribute) -> AttributeId {
    AttributeId::Standard(a)
}

/// Three attributes per subscribed element: value, quality, source time.
static ATTRS: [AttributeId; 3] = [
    attr(Attribute::Value),
    attr(Attribute::Quality),
    attr(Attribute::SourceTime),
];

const fn entry(n: u128) -> SubscriptionEntry<'static> {
    SubscriptionEntry {
        element: Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25e00 + n),
        attributes: Seq::from_slice(&ATTRS),
    }
}

static ENTRIES: [SubscriptionEntry<'static>; 4] = [entry(1), entry(2), entry(3), entry(4)];

const TIME: TimePoint = TimePoint::from_nanos(1_704_107_471_111_587_983);

/// A data change with a float value, a quality and a time point.
static CHANGES: [(AttributeId, AttrResult<'static>); 3] = [
    (
        attr(Attribute::Value),
        AttrResult::Value(Value::Float(21.7)),
    ),
    (attr(Attribute::Quality), AttrResult::Value(Value::Int(0))),
    (
        attr(Attribute::SourceTime),
        AttrResult::Value(Value::Time(TIME)),
    ),
];

static READ_ATTRS: [AttributeId; 3] = [
    attr(Attribute::Value),
    attr(Attribute::Quality),
    attr(Attribute::ChangeTime),
];
static CATEGORIES: [ElementCategory; 2] =
    [ElementCategory::ElementGroup, ElementCategory::DataPoint];
static META_IDS: [MetaDataId; 4] = [
    MetaDataId::PrimaryKey,
    MetaDataId::ElementCategory,
    MetaDataId::AttributeList,
    MetaDataId::HasChildren,
];
static SMALL_SUB: [SubscriptionEntry<'static>; 1] = [SubscriptionEntry {
    element: E3EE,
    attributes: Seq::from_slice(&READ_ATTRS),
}];

fn request(id: i64, command: Command<'static>) -> Packet<'static> {
    Packet::Request(Request { id, command })
}

/// The eight requests a batch cycles through.
fn mixed(id: i64) -> Packet<'static> {
    let command: Command<'static> = match id % 8 {
        0 => Read {
            element: E3EE,
            attributes: Seq::from_slice(&READ_ATTRS),
        }
        .into(),
        1 => Write {
            element: E3EE,
            attribute: attr(Attribute::Value),
            value: Value::Float(42.5),
            sub_session_id: None,
        }
        .into(),
        2 => Lookup {
            primary_key: Text::new("Group 1.Data Point 1"),
        }
        .into(),
        3 => Browse {
            element: Uuid::nil(),
            depth: Some(1),
            categories: Some(Seq::from_slice(&CATEGORIES)),
        }
        .into(),
        4 => MetaData {
            element: E3EE,
            ids: Seq::from_slice(&META_IDS),
        }
        .into(),
        5 => Subscribe {
            entries: Seq::from_slice(&SMALL_SUB),
            maximum_update_rate: Some(100),
            minimum_update_rate: None,
            desired_subscription_id: None,
        }
        .into(),
        6 => GetStage.into(),
        _ => CloseSubSession { session_id: B4E1 }.into(),
    };
    request(id, command)
}

fn packets(name: &str) -> Vec<Packet<'static>> {
    match name {
        "close_sub_session" => vec![request(
            SEED_ID,
            CloseSubSession { session_id: E3EE }.into(),
        )],
        "client_hello" => vec![request(1, ClientHello::default().into())],
        "subscribe_4x3" => vec![request(
            7,
            Subscribe {
                entries: Seq::from_slice(&ENTRIES),
                maximum_update_rate: Some(100),
                minimum_update_rate: Some(10_000),
                desired_subscription_id: Some(B4E1),
            }
            .into(),
        )],
        "data_change_3" => vec![Packet::Event(Event::DataChange(DataChange {
            time: TIME,
            element: E3EE,
            values: Seq::from_slice(&CHANGES),
        }))],
        "error_response" => vec![Packet::Error(ErrorResponse {
            id: 65,
            error: ErrorObject::new(ErrorCode::UnknownSessionId),
        })],
        _ => match name.strip_prefix("batch_").map(str::parse::<i64>) {
            Some(Ok(n)) => (1..=n).map(mixed).collect(),
            _ => panic!("unknown message {name:?}"),
        },
    }
}

/// The message called `name` (one of [`NAMES`] or [`SCALING`]).
pub fn message(name: &str) -> Message {
    let packets = packets(name);
    let mut buf = vec![0u8; 64 * 1024];
    let n = encode_batch(&packets, &mut buf).expect("message fits");
    buf.truncate(n);
    let expected: Option<&[u8]> = match name {
        "close_sub_session" => Some(&[
            0x81, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10,
            0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
        ]),
        "client_hello" => Some(&[0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01]),
        _ => None,
    };
    if let Some(expected) = expected {
        assert_eq!(buf, expected, "{name}: not the issue's bytes");
    }
    let name = NAMES
        .iter()
        .chain(SCALING)
        .copied()
        .find(|&n| n == name)
        .expect("a listed message");
    let m = Message {
        name,
        packets,
        bytes: buf,
    };
    assert_eq!(decode_xentara(&m.bytes), m.packets.len(), "{name}: decodes");
    assert!(skip_minicbor(&m.bytes), "{name}: minicbor walks it");
    m
}

// ---------------------------------------------------------------------------------------
// The measured operations.

/// Typed decode with this crate: every packet, every field, every sequence element.
/// Returns the number of packets (0 on any error).
#[inline(never)]
pub fn decode_xentara(bytes: &[u8]) -> usize {
    let Ok(batch) = Batch::new(bytes) else {
        return 0;
    };
    let mut n = 0;
    for packet in &batch {
        match packet {
            Ok(p) => p.touch(),
            Err(_) => return 0,
        }
        n += 1;
    }
    n
}

/// Runs the operation `mode` (one of `examples/instructions.rs`'s modes) on `m` `n` times and
/// returns the last result: the loop the instruction counts divide. The mode is matched once,
/// outside the loop, so that an iteration costs the operation's call and the loop's counter
/// only, however the compiler treats the string comparisons.
pub fn repeat(m: &Message, mode: &str, n: u64) -> usize {
    let bytes = m.bytes.as_slice();
    let value = decode_ciborium(bytes).expect("ciborium decodes the message");
    let mut buf = [0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    let mut result = 0usize;
    macro_rules! times {
        ($operation:expr) => {
            for _ in 0..n {
                result = $operation;
            }
        };
    }
    match mode {
        "decode-xentara" => times!(decode_xentara(black_box(bytes))),
        "decode-minicbor-skip" => times!(usize::from(skip_minicbor(black_box(bytes)))),
        "decode-ciborium" => times!(usize::from(decode_ciborium(black_box(bytes)).is_some())),
        "encode-xentara" => times!(encode_xentara(black_box(&m.packets), &mut buf)),
        "decode-minicbor-hand" => {
            times!(usize::from(
                decode_minicbor_seed(black_box(bytes)).is_some()
            ))
        }
        "decode-bytes" => times!(usize::from(decode_bytes_seed(black_box(bytes)).is_some())),
        "skip-xentara" => times!(usize::from(skip_xentara(black_box(bytes)))),
        "encode-minicbor-hand" => times!(encode_minicbor_seed(
            black_box(SEED_ID),
            black_box(&SEED_UUID),
            &mut buf
        )),
        _ => times!(encode_ciborium(black_box(&value), &mut out)),
    }
    result
}

/// The cost of merely walking the CBOR: minicbor's `Decoder::skip` over the whole message.
#[inline(never)]
pub fn skip_minicbor(bytes: &[u8]) -> bool {
    minicbor::Decoder::new(bytes).skip().is_ok()
}

/// ciborium's generic decode into its `Value` tree.
#[inline(never)]
pub fn decode_ciborium(bytes: &[u8]) -> Option<ciborium::Value> {
    ciborium::from_reader(bytes).ok()
}

/// Encode with this crate into a caller's (stack) buffer; returns the length.
#[inline(never)]
pub fn encode_xentara(packets: &[Packet<'_>], buf: &mut [u8]) -> usize {
    encode_batch(packets, buf).unwrap_or(0)
}

/// ciborium's encode of a `Value` into a reused vector; returns the length.
#[inline(never)]
pub fn encode_ciborium(value: &ciborium::Value, out: &mut Vec<u8>) -> usize {
    out.clear();
    match ciborium::into_writer(value, &mut *out) {
        Ok(()) => out.len(),
        Err(_) => 0,
    }
}

// ---------------------------------------------------------------------------------------
// Touching every field: each leaf goes through `black_box`, each sequence is iterated.

/// Reads every field of a decoded value so the optimizer cannot drop any decoding work.
pub trait Touch {
    fn touch(&self);
}

macro_rules! touch_leaf {
    ($($ty:ty),* $(,)?) => {
        $( impl Touch for $ty {
            #[inline]
            fn touch(&self) {
                black_box(self);
            }
        } )*
    };
}

touch_leaf!(
    u64,
    i64,
    bool,
    f64,
    Text<'_>,
    Bytes<'_>,
    Uuid,
    Raw<'_>,
    TimePoint,
    ErrorCode,
    Attribute,
    ElementCategory,
    MetaDataId,
    ServerInfo,
    GetStage,
    Opcode,
);

/// A struct: each named field.
macro_rules! touch_fields {
    ($($ty:ty { $($field:ident),* })*) => {
        $( impl Touch for $ty {
            #[inline]
            fn touch(&self) {
                $( self.$field.touch(); )*
            }
        } )*
    };
}

touch_fields!(
    ServerInformation<'_> { ids }
    Browse<'_> { element, depth, categories }
    MetaData<'_> { element, ids }
    Lookup<'_> { primary_key }
    Read<'_> { element, attributes }
    Write<'_> { element, attribute, value, sub_session_id }
    SubscriptionEntry<'_> { element, attributes }
    Subscribe<'_> { entries, maximum_update_rate, minimum_update_rate, desired_subscription_id }
    Unsubscribe { subscription_id }
    Resume<'_> { params }
    Suspend { session_id }
    Shutdown { session_id }
    OAuth2<'_> { token }
    Certificate<'_> { der }
    Password<'_> { username, password }
    CreateSubSession<'_> { credentials, desired_session_id }
    CloseSubSession { session_id }
    ClientHello { min_version, max_version }
    ErrorObject<'_> { code, message }
    DataChange<'_> { time, element, values }
);

impl<T: Touch> Touch for Option<T> {
    #[inline]
    fn touch(&self) {
        if let Some(v) = self {
            v.touch()
        }
    }
}

impl<A: Touch, B: Touch> Touch for (A, B) {
    #[inline]
    fn touch(&self) {
        self.0.touch();
        self.1.touch();
    }
}

impl<'b, T: Touch + Clone> Touch for Seq<'b, T>
where
    for<'s> &'s Seq<'b, T>: IntoIterator<Item = Result<T, xentara_ws::DecodeError>>,
{
    #[inline]
    fn touch(&self) {
        for item in self {
            match item {
                Ok(item) => item.touch(),
                Err(e) => {
                    black_box(e);
                }
            }
        }
    }
}

impl Touch for Value<'_> {
    #[inline]
    fn touch(&self) {
        match self {
            Value::Null => black_box(()),
            Value::Bool(b) => b.touch(),
            Value::Int(n) => n.touch(),
            Value::UInt(n) => n.touch(),
            Value::Float(x) => x.touch(),
            Value::Text(s) => s.touch(),
            Value::Bytes(b) => b.touch(),
            Value::Uuid(u) => u.touch(),
            Value::Time(t) => t.touch(),
            Value::Other(raw) => raw.touch(),
        }
    }
}

impl Touch for AttributeId {
    #[inline]
    fn touch(&self) {
        match self {
            AttributeId::Standard(a) => a.touch(),
            AttributeId::Uuid(u) => u.touch(),
        }
    }
}

impl Touch for AttrResult<'_> {
    #[inline]
    fn touch(&self) {
        match self {
            AttrResult::Value(v) => v.touch(),
            AttrResult::Error(e) => e.touch(),
        }
    }
}

impl Touch for Credentials<'_> {
    #[inline]
    fn touch(&self) {
        match self {
            Credentials::OAuth2(c) => c.touch(),
            Credentials::Certificate(c) => c.touch(),
            Credentials::Password(c) => c.touch(),
        }
    }
}

impl Touch for Command<'_> {
    #[inline]
    fn touch(&self) {
        match self {
            Command::ServerInformation(p) => p.touch(),
            Command::Browse(p) => p.touch(),
            Command::MetaData(p) => p.touch(),
            Command::Lookup(p) => p.touch(),
            Command::Read(p) => p.touch(),
            Command::Write(p) => p.touch(),
            Command::Subscribe(p) => p.touch(),
            Command::Unsubscribe(p) => p.touch(),
            Command::GetStage(p) => p.touch(),
            Command::Resume(p) => p.touch(),
            Command::Suspend(p) => p.touch(),
            Command::Shutdown(p) => p.touch(),
            Command::CreateSubSession(p) => p.touch(),
            Command::CloseSubSession(p) => p.touch(),
            Command::ClientHello(p) => p.touch(),
        }
    }
}

impl Touch for Packet<'_> {
    #[inline]
    fn touch(&self) {
        match self {
            Packet::Request(r) => {
                r.id.touch();
                r.command.touch();
            }
            Packet::Success(s) => {
                s.id.touch();
                black_box(s.item_bytes());
            }
            Packet::Error(e) => {
                e.id.touch();
                e.error.touch();
            }
            Packet::Event(Event::DataChange(d)) => d.touch(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// References for the seed request: a hand-written minicbor codec of the same message, and a
// plain byte reader of its minimal encoding (the floor for any decoder).

/// The seed request's id and UUID.
pub const SEED_ID: i64 = 65;
pub const SEED_UUID: [u8; 16] = E3EE.into_bytes();

/// `[[0, id, 13, {0: 37(h'…')}]]` decoded by hand with minicbor's `Decoder`, with the checks
/// a decoder of it must make (lengths, packet type, opcode, key, tag, UUID length, end).
#[inline(never)]
pub fn decode_minicbor_seed(bytes: &[u8]) -> Option<(i64, [u8; 16])> {
    let mut d = minicbor::Decoder::new(bytes);
    if d.array().ok()? != Some(1) || d.array().ok()? != Some(4) || d.u8().ok()? != 0 {
        return None;
    }
    let id = d.i64().ok()?;
    if d.u8().ok()? != 13 {
        return None;
    }
    let mut uuid = None;
    for _ in 0..d.map().ok()?? {
        match d.u8().ok()? {
            0 if d.tag().ok()? == minicbor::data::Tag::new(37) => {
                uuid = Some(<[u8; 16]>::try_from(d.bytes().ok()?).ok()?);
            }
            0 => return None,
            _ => d.skip().ok()?,
        }
    }
    (d.position() == bytes.len()).then_some((id, uuid?))
}

/// The same message written by hand with minicbor's `Encoder` into a slice.
#[inline(never)]
pub fn encode_minicbor_seed(id: i64, uuid: &[u8; 16], buf: &mut [u8]) -> usize {
    let mut e = minicbor::Encoder::new(minicbor::encode::write::Cursor::new(buf));
    let ok = e
        .array(1)
        .and_then(|e| e.array(4))
        .and_then(|e| e.u8(0))
        .and_then(|e| e.i64(id))
        .and_then(|e| e.u8(13))
        .and_then(|e| e.map(1))
        .and_then(|e| e.u8(0))
        .and_then(|e| e.tag(minicbor::data::Tag::new(37)))
        .and_then(|e| e.bytes(uuid))
        .is_ok();
    if ok { e.writer().position() } else { 0 }
}

/// A plain byte reader of the seed's minimal encoding: fixed bytes compared, id and UUID
/// copied out. No decoder can do less.
#[inline(never)]
pub fn decode_bytes_seed(bytes: &[u8]) -> Option<(i64, [u8; 16])> {
    let [
        0x81,
        0x84,
        0x00,
        0x18,
        id,
        0x0d,
        0xa1,
        0x00,
        0xd8,
        0x25,
        0x50,
        rest @ ..,
    ] = bytes
    else {
        return None;
    };
    Some((i64::from(*id), <[u8; 16]>::try_from(rest).ok()?))
}

/// This crate's structural skip over the whole message (`Raw::new`).
#[inline(never)]
pub fn skip_xentara(bytes: &[u8]) -> bool {
    Raw::new(bytes).is_ok()
}
