//! The typed API beside the codec, driven by the input (`arbitrary`) and checked against
//! what its docs promise:
//!
//! - [`Text`] and [`Bytes`] that came in chunks (any split, empty chunks too) equal the same
//!   string in one slice, both ways and against `str`/`[u8]`, and hash, display, debug-print,
//!   measure and re-encode (as one definite string) the same; two strings are equal exactly
//!   when their bytes are, however each is split;
//! - [`TimePoint`]: `from_duration` → `to_duration` round-trips (nanoseconds until 2262,
//!   whole seconds after), `to_duration` is exact to the nanosecond and `None` exactly
//!   before the epoch, for the infinite points and beyond `Duration`'s range;
//!   `as_secs_f64` is the point's value; `SystemTime` both ways; every point re-encodes;
//! - [`Value`]'s `Display` (each variant as documented, never empty, stable), its `From`
//!   conversions (each to its variant, and they encode and decode back);
//! - [`AttributeId`]: `standard`, `same_as` (reflexive, symmetric, by number or by the known
//!   UUIDs), `From`, `Display`; the spec's numbered tables and [`ErrorCode`]: numbers round
//!   trip, names and `Display` as documented; [`Opcode`] from numbers; [`ErrorObject::text`];
//! - builders ([`SubscriptionEntry::new`], [`Subscribe::new`] and its `with_*`,
//!   [`ClientHello::default`], `Seq::from`) give the fields asked for, and the requests they
//!   make encode and decode back equal; [`Command::sub_session`], [`Command::has_params`],
//!   [`Response::uuid`]; packets from their parts, `kind`, `id`, `check`, `encode_message`
//!   (a buffer one byte short reports the exact size), `decode::<Packet>` agreeing with the
//!   batch decoder; a batch's `message`, `position` and `remaining`; sequences'
//!   `size_hint`; standalone `encode`/`decode`;
//! - [`VersionRange`]; the errors' `Display` and `code` ([`EncodeError`], `DecodeError`,
//!   [`ClientError`], [`ServerError`], [`Lost`], [`Unexpected`]);
//! - a server session run through a script the input shapes (hellos, sub-sessions by
//!   password, made, replaced and closed, a write naming one, a read and a subscribe whose
//!   sequences may not decode, events of each reason, unsubscribe, and the limits): its
//!   accessors (`version`, `config`, `sub_session`, …), the `Debug` of its storage,
//!   buffers, replies and subscriptions, `AppCommand::opcode`, each error it returns; a
//!   client session's accessors, batch counts, outcomes' ids and errors.
#![no_main]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::items::ServerHello;
use xentara_ws::params::{
    ClientHello, CloseSubSession, CreateSubSession, Credentials, GetStage, Lookup, Password,
    Subscribe, SubscriptionEntry, Unsubscribe, Write,
};
use xentara_ws::session::{
    AppCommand, AppRequest, Application, ClientConfig, ClientError, ClientSession, ClientState,
    IdKind, Lost, Outcome, Rates, Reason, Replied, Reply, ReplyMessage, ReplySlot, ReplyStorage,
    ServerBuffers, ServerConfig, ServerError, ServerSession, ServerState, ServerStorage, Slot,
    SubSessionSlot, SubscribeReply, SubscribeRequest, SubscriptionSlot, Unexpected, VersionRange,
};
use xentara_ws::{
    Access, Attribute, AttributeId, Batch, Bytes, Command, DataChange, DataType, DecodeErrorKind,
    ElementCategory, EncodeError, ErrorCode, ErrorObject, ErrorResponse, Event, Expected,
    MetaDataId, Opcode, Packet, Quality, Request, Response, Seq, ServerInfo, Stage, Success, Text,
    TimePoint, Uuid, Value, decode, encode, encoded_len,
};

use xentara_ws_support::checks;
mod steps;

/// One thing to try.
#[derive(Arbitrary, Debug)]
enum Step<'a> {
    /// A text string split into chunks at `cuts`, against another split at `other_cuts`.
    Text {
        s: &'a str,
        cuts: Vec<u8>,
        other: &'a str,
        other_cuts: Vec<u8>,
    },
    /// The same for byte strings.
    Bytes {
        b: &'a [u8],
        cuts: Vec<u8>,
        other: &'a [u8],
        other_cuts: Vec<u8>,
        four: [u8; 4],
    },
    /// A time point, and a duration since (or before) the epoch.
    Time {
        t: TimePoint,
        decimal: (i64, i64),
        secs: u64,
        nanos: u32,
    },
    /// A value, and one decoded from bytes.
    Value(Value<'a>, &'a [u8]),
    /// Conversions into `Value`.
    Numbers(Numbers<'a>),
    /// Attribute ids and the numbered tables.
    Attributes {
        a: AttributeId,
        b: AttributeId,
        known: u8,
        n: u64,
    },
    /// Error codes and opcodes from numbers.
    Codes {
        code: i64,
        known: u8,
        message: Option<&'a str>,
        opcode: u64,
    },
    /// The subscribe builders.
    Subscribe {
        id: i64,
        entries: Vec<(Uuid, Vec<AttributeId>)>,
        maximum: Option<u64>,
        minimum: Option<u64>,
        desired: Option<Uuid>,
    },
    /// A request, a response, an error and an event, built from their parts.
    Packets {
        id: i64,
        command: Command<'a>,
        response: Response<'a>,
        error: ErrorObject<'a>,
        event: Event<'a>,
    },
    /// Version ranges.
    Versions {
        a: (u64, u64),
        b: (u64, u64),
        v: u64,
    },
    /// Standalone values encoded and decoded, into buffers of any size.
    Scalars {
        i: i64,
        u: u64,
        f: f64,
        b: bool,
        room: u8,
    },
    /// A message: the batch's accessors, and the errors of what does not decode.
    Message(&'a [u8]),
    /// A client session.
    Client(ClientScript<'a>),
    /// A server session.
    Server(ServerScript<'a>),
}

#[derive(Arbitrary, Debug)]
struct Numbers<'a> {
    b: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    f32: f32,
    f64: f64,
    uuid: Uuid,
    time: TimePoint,
    text: &'a str,
}

/// Splits `whole` at the `cuts` (each moved to the next boundary `ok` allows): the parts,
/// empty ones included, in order.
fn split<'s, T: ?Sized + Part>(whole: &'s T, cuts: &[u8]) -> Vec<&'s T> {
    let len = whole.len();
    let mut at: Vec<usize> = cuts
        .iter()
        .take(8)
        .map(|&c| {
            let mut i = usize::from(c) * (len + 1) / 256;
            while !whole.boundary(i) {
                i += 1;
            }
            i
        })
        .collect();
    at.sort_unstable();
    let mut parts = Vec::new();
    let mut from = 0;
    for i in at {
        parts.push(whole.part(from, i));
        from = i;
    }
    parts.push(whole.part(from, len));
    parts
}

trait Part {
    fn len(&self) -> usize;
    fn boundary(&self, i: usize) -> bool;
    fn part(&self, from: usize, to: usize) -> &Self;
    fn raw(&self) -> &[u8];
}

impl Part for str {
    fn len(&self) -> usize {
        str::len(self)
    }
    fn boundary(&self, i: usize) -> bool {
        self.is_char_boundary(i)
    }
    fn part(&self, from: usize, to: usize) -> &str {
        &self[from..to]
    }
    fn raw(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Part for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn boundary(&self, _: usize) -> bool {
        true
    }
    fn part(&self, from: usize, to: usize) -> &[u8] {
        &self[from..to]
    }
    fn raw(&self) -> &[u8] {
        self
    }
}

/// A CBOR head of major type `major` and argument `n`, at its shortest.
fn head(out: &mut Vec<u8>, major: u8, n: usize) {
    let m = major << 5;
    match n {
        0..24 => out.push(m | n as u8),
        24..256 => out.extend([m | 24, n as u8]),
        256..65536 => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

/// The string of major type `major` as `parts`: indefinite, one chunk per part.
fn chunked<T: ?Sized + Part>(major: u8, parts: &[&T]) -> Vec<u8> {
    let mut out = vec![major << 5 | 31];
    for part in parts {
        head(&mut out, major, part.len());
        out.extend_from_slice(part.raw());
    }
    out.push(0xff);
    out
}

/// The string of major type `major`, definite.
fn definite(major: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, major, bytes.len());
    out.extend_from_slice(bytes);
    out
}

fn hash<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// Encodes a value standalone (`xentara_ws`'s `Cbor` trait cannot be named, so a macro):
/// `encoded_len` agrees with what `encode` writes, and a buffer one byte short reports the
/// exact size. The bytes.
macro_rules! encoded {
    ($value:expr) => {{
        let value = $value;
        let n = encoded_len(value);
        let mut buf = vec![0u8; n];
        assert_eq!(
            encode(value, &mut buf),
            Ok(n),
            "encode writes encoded_len bytes"
        );
        if n > 0 {
            let mut short = vec![0u8; n - 1];
            assert_eq!(
                encode(value, &mut short),
                Err(EncodeError::BufferTooSmall { required: n })
            );
        }
        buf
    }};
}

// ---- Text and Bytes ----

/// `s` split at `cuts`, decoded: the same text as `s` in one slice, in every respect.
#[allow(clippy::eq_op)] // Both orders of each comparison, on purpose.
fn check_text(s: &str, cuts: &[u8], other: &str, other_cuts: &[u8]) {
    let parts = split(s, cuts);
    let bytes = chunked(3, &parts);
    let t: Text<'_> = decode(&bytes).expect("a chunked text decodes");
    let whole = Text::new(s);
    assert_eq!(Text::from(s), whole);
    // Equal every way round, to the string and to it in one slice.
    assert!(t == whole && whole == t && t == *s && t == s && *s == t && s == t);
    assert_eq!(hash(&t), hash(&whole), "equal texts hash the same");
    assert_eq!(t.to_string(), s);
    assert_eq!(whole.to_string(), s);
    assert_eq!(format!("{t:?}"), format!("{s:?}"), "Debug as str's");
    assert_eq!(format!("{whole:?}"), format!("{s:?}"));
    assert_eq!(t.len(), s.len());
    assert_eq!(t.is_empty(), s.is_empty());
    assert_eq!(t.chunks().collect::<String>(), s);
    // Zero or one chunk is one slice; more are kept as they came.
    match parts.len() {
        0 | 1 => assert_eq!(t.as_str(), Some(s)),
        _ => {
            assert_eq!(t.as_str(), None);
            assert_eq!(t.chunks().collect::<Vec<_>>(), parts);
        }
    }
    assert_eq!(whole.as_str(), Some(s));
    // Re-encoded as one definite string.
    assert_eq!(encoded!(&t), definite(3, s.as_bytes()));
    let value = Value::Text(t);
    assert_eq!(value.to_string(), format!("{s:?}"));
    assert_eq!(Value::from(t), value);
    assert_eq!(Value::from(s), Value::Text(whole));
    // Against another string, split another way: equal exactly when the bytes are.
    let other_bytes = chunked(3, &split(other, other_cuts));
    let o: Text<'_> = decode(&other_bytes).expect("decodes");
    let same = s == other;
    assert_eq!(t == o, same, "{t:?} == {o:?}");
    assert_eq!(o == t, same);
    assert_eq!(t == other, same);
    assert_eq!(other == t, same);
    if same {
        assert_eq!(hash(&t), hash(&o));
    }
    // A proper prefix is not the string.
    if let Some((cut, _)) = s.char_indices().last() {
        let prefix = &s[..cut];
        assert!(t != prefix && prefix != t);
        assert!(t != Text::new(prefix) && Text::new(prefix) != t);
    }
    assert_eq!(Text::default(), Text::EMPTY);
    assert!(Text::default().is_empty() && Text::EMPTY.as_str() == Some(""));
}

/// The same for byte strings.
#[allow(clippy::eq_op)]
fn check_bytes(b: &[u8], cuts: &[u8], other: &[u8], other_cuts: &[u8], four: &[u8; 4]) {
    let parts = split(b, cuts);
    let encoding = chunked(2, &parts);
    let x: Bytes<'_> = decode(&encoding).expect("a chunked byte string decodes");
    let whole = Bytes::new(b);
    assert_eq!(Bytes::from(b), whole);
    assert!(x == whole && whole == x && x == *b && x == b);
    assert_eq!(hash(&x), hash(&whole));
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    assert_eq!(format!("{x:?}"), format!("h'{hex}'"));
    assert_eq!(format!("{whole:?}"), format!("h'{hex}'"));
    assert_eq!(x.len(), b.len());
    assert_eq!(x.is_empty(), b.is_empty());
    assert_eq!(x.chunks().flatten().copied().collect::<Vec<u8>>(), b);
    match parts.len() {
        0 | 1 => assert_eq!(x.as_slice(), Some(b)),
        _ => {
            assert_eq!(x.as_slice(), None);
            assert_eq!(x.chunks().collect::<Vec<_>>(), parts);
        }
    }
    assert_eq!(encoded!(&x), definite(2, b));
    assert_eq!(Value::Bytes(x).to_string(), format!("h'{hex}'"));
    let other_bytes = chunked(2, &split(other, other_cuts));
    let o: Bytes<'_> = decode(&other_bytes).expect("decodes");
    assert_eq!(x == o, b == other);
    assert_eq!(o == x, b == other);
    assert_eq!(x == other, b == other);
    if b == other {
        assert_eq!(hash(&x), hash(&o));
    }
    if let Some((_, prefix)) = b.split_last() {
        assert!(x != prefix && x != Bytes::new(prefix) && Bytes::new(prefix) != x);
    }
    let array = Bytes::from(four);
    assert!(array == four.as_slice() && array.len() == 4);
    assert_eq!(Bytes::default(), Bytes::EMPTY);
    assert!(Bytes::default().is_empty() && Bytes::EMPTY.as_slice() == Some(&[][..]));
}

// ---- TimePoint ----

/// What `to_duration` must give for `mantissa × 10^exponent` seconds: the time, cut to
/// the nanosecond; `None` before the epoch and beyond `Duration`.
fn decimal_duration(exponent: i64, mantissa: i64) -> Option<Duration> {
    let m = u128::try_from(mantissa).ok()?;
    if m == 0 {
        return Some(Duration::ZERO);
    }
    // Nanoseconds: m × 10^(exponent + 9); m < 2^63, and 10^39 > 2^128.
    let shift = i128::from(exponent) + 9;
    let nanos = if shift >= 0 {
        m.checked_mul(10u128.checked_pow(u32::try_from(shift).ok()?)?)?
    } else {
        match u32::try_from(-shift)
            .ok()
            .and_then(|s| 10u128.checked_pow(s))
        {
            Some(scale) => m / scale,
            None => 0,
        }
    };
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

fn check_time(t: TimePoint, (exponent, mantissa): (i64, i64), secs: u64, nanos: u32) {
    // Every point re-encodes and decodes to itself.
    for t in [t, TimePoint::Decimal { exponent, mantissa }] {
        let bytes = encoded!(&t);
        assert_eq!(decode::<TimePoint>(&bytes), Ok(t));
        assert_eq!(Value::from(t), Value::Time(t));
        assert_eq!(Value::Time(t).to_string(), format!("{t:?}"));
        check_time_point(t);
    }
    let d = Duration::new(secs, nanos % 1_000_000_000);
    let from = TimePoint::from_duration(d);
    match i64::try_from(d.as_nanos()) {
        Ok(n) => {
            assert_eq!(from, TimePoint::from_nanos(n));
            assert_eq!(
                from,
                TimePoint::Decimal {
                    exponent: -9,
                    mantissa: n
                }
            );
            assert_eq!(from.to_duration(), Some(d), "nanoseconds round-trip");
        }
        Err(_) => {
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            assert_eq!(from, TimePoint::Seconds(s), "whole seconds after 2262");
            assert_eq!(from.to_duration(), Some(Duration::from_secs(s as u64)));
        }
    }
    // SystemTime, both ways.
    if let Some(st) = UNIX_EPOCH.checked_add(d) {
        assert_eq!(TimePoint::from(st), from);
        if let Some(back) = from.to_duration() {
            assert_eq!(SystemTime::try_from(from), Ok(UNIX_EPOCH + back));
        }
    }
    if let Some(st) = UNIX_EPOCH.checked_sub(d) {
        let before = TimePoint::from(st);
        match i64::try_from(d.as_nanos()) {
            Ok(n) => assert_eq!(before, TimePoint::from_nanos(-n)),
            Err(_) => assert_eq!(before, TimePoint::Infinite { negative: true }),
        }
    }
}

/// `to_duration`, `as_secs_f64` and `SystemTime` of one point, as documented.
fn check_time_point(t: TimePoint) {
    let d = t.to_duration();
    match t {
        TimePoint::Seconds(s) => {
            assert_eq!(d, u64::try_from(s).ok().map(Duration::from_secs));
            assert_eq!(t.as_secs_f64(), s as f64);
        }
        TimePoint::FloatSeconds(x) => {
            assert_eq!(t.as_secs_f64().to_bits(), x.to_bits());
            if x <= -1e-9 || x >= 1.8446744073709552e19 {
                assert_eq!(d, None, "{x} is out of range");
            } else if x >= 0.0 {
                let d = d.expect("a float in range");
                assert!(
                    (d.as_secs_f64() - x).abs() <= 1e-9 + x * 1e-15,
                    "{d:?} for {x}"
                );
            }
        }
        TimePoint::Infinite { negative } => {
            assert_eq!(d, None);
            let inf = if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            assert_eq!(t.as_secs_f64(), inf);
        }
        TimePoint::Decimal { exponent, mantissa } => {
            assert_eq!(d, decimal_duration(exponent, mantissa), "{t:?}");
            let x = t.as_secs_f64();
            let want = mantissa as f64 * 10f64.powi(exponent.clamp(-400, 400) as i32);
            match mantissa {
                0 => assert_eq!(x, 0.0),
                _ if !(-400..=400).contains(&exponent) => {
                    assert!(x.is_infinite() || x == 0.0, "{x} for {t:?}");
                }
                _ if want.abs() > 1e-290 && want.abs() < 1e290 => {
                    assert!((x - want).abs() <= want.abs() * 1e-12, "{x} for {t:?}");
                }
                _ => {}
            }
            assert!(x == 0.0 || (x < 0.0) == (mantissa < 0), "{x} for {t:?}");
        }
    }
    match d.and_then(|d| UNIX_EPOCH.checked_add(d)) {
        Some(st) => {
            assert_eq!(SystemTime::try_from(t), Ok(st));
            assert_eq!(
                TimePoint::from(st),
                TimePoint::from_duration(d.unwrap()),
                "a SystemTime is its duration"
            );
        }
        None => assert_eq!(SystemTime::try_from(t), Err(t), "the point back"),
    }
}

// ---- Value ----

/// `Display` of a value, as documented per variant; never empty and the same twice.
fn check_value_display(v: &Value<'_>) {
    let shown = v.to_string();
    assert!(!shown.is_empty(), "{v:?} displays as nothing");
    assert_eq!(shown, v.to_string(), "Display is stable");
    let want = match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Text(t) => format!("{:?}", t.chunks().collect::<String>()),
        Value::Bytes(b) => {
            let hex: String = b.chunks().flatten().map(|x| format!("{x:02x}")).collect();
            format!("h'{hex}'")
        }
        Value::Uuid(u) => u.hyphenated().to_string(),
        Value::Time(t) => format!("{t:?}"),
        Value::Other(raw) => raw.to_string(),
    };
    assert_eq!(shown, want, "{v:?}");
}

fn check_value(v: Value<'_>, bytes: &[u8]) {
    check_value_display(&v);
    let encoding = encoded!(&v);
    assert_eq!(
        decode::<Value>(&encoding),
        Ok(v),
        "a generated value round-trips"
    );
    // What the bytes decode to displays too, and re-encodes to a value that decodes equal.
    if let Ok(read) = decode::<Value>(bytes) {
        check_value_display(&read);
        let again = encoded!(&read);
        let back = decode::<Value>(&again).expect("a re-encoded value decodes");
        if !matches!(read, Value::Float(x) if x.is_nan()) {
            assert_eq!(back, read);
        }
    }
}

fn check_numbers(n: &Numbers<'_>) {
    let round = |v: Value<'_>| {
        let bytes = encoded!(&v);
        let back = decode::<Value>(&bytes).expect("a converted value decodes");
        if !matches!(v, Value::Float(x) if x.is_nan()) {
            assert_eq!(back, v, "{v:?} round-trips");
        }
        check_value_display(&v);
    };
    let ints: [(Value<'_>, i64); 7] = [
        (n.i8.into(), n.i8.into()),
        (n.i16.into(), n.i16.into()),
        (n.i32.into(), n.i32.into()),
        (n.i64.into(), n.i64),
        (n.u8.into(), n.u8.into()),
        (n.u16.into(), n.u16.into()),
        (n.u32.into(), n.u32.into()),
    ];
    for (v, i) in ints {
        assert_eq!(v, Value::Int(i));
        round(v);
    }
    let u = Value::from(n.u64);
    match i64::try_from(n.u64) {
        Ok(i) => assert_eq!(u, Value::Int(i)),
        Err(_) => assert_eq!(u, Value::UInt(n.u64)),
    }
    round(u);
    assert_eq!(Value::from(n.b), Value::Bool(n.b));
    round(Value::from(n.b));
    for (v, x) in [
        (Value::from(n.f32), f64::from(n.f32)),
        (Value::from(n.f64), n.f64),
    ] {
        assert!(matches!(v, Value::Float(y) if y.to_bits() == x.to_bits()));
        round(v);
    }
    assert_eq!(Value::from(n.uuid), Value::Uuid(n.uuid));
    round(Value::from(n.uuid));
    assert_eq!(Value::from(n.time), Value::Time(n.time));
    assert_eq!(Value::from(n.text), Value::Text(Text::new(n.text)));
    assert_eq!(
        Value::from(Text::new(n.text)),
        Value::Text(Text::new(n.text))
    );
    round(Value::from(n.text));
}

// ---- Attribute ids and the numbered tables ----

/// The four standard attributes whose UUIDs are known (the docs of `Attribute::uuid`).
const KNOWN: [Attribute; 4] = [
    Attribute::PrimaryKey,
    Attribute::ChangeTime,
    Attribute::Quality,
    Attribute::Value,
];

fn check_attribute_id(a: &AttributeId) {
    match a {
        AttributeId::Standard(s) => {
            assert_eq!(a.standard(), Some(*s));
            assert_eq!(AttributeId::from(*s), *a);
            assert_eq!(a.to_string(), s.to_string());
            if let Some(u) = s.uuid() {
                assert!(KNOWN.contains(s));
                assert_eq!(Attribute::from_uuid(&u), Some(*s));
                let by_uuid = AttributeId::from(u);
                assert!(
                    a.same_as(&by_uuid) && by_uuid.same_as(a),
                    "{s} by number and UUID"
                );
            } else {
                assert!(!KNOWN.contains(s));
            }
        }
        AttributeId::Uuid(u) => {
            assert_eq!(a.standard(), Attribute::from_uuid(u));
            assert_eq!(AttributeId::from(*u), *a);
            assert_eq!(a.to_string(), u.hyphenated().to_string());
            if let Some(s) = a.standard() {
                assert_eq!(s.uuid(), Some(*u));
            }
        }
    }
    assert!(a.same_as(a), "same_as is reflexive");
    let bytes = encoded!(a);
    assert_eq!(decode::<AttributeId>(&bytes), Ok(*a));
}

/// Every numbered table: numbers round-trip, names and `Display` as documented.
macro_rules! check_tables {
    ($n:expr; $($t:ident),*) => {$({
        let n: u64 = $n;
        let v = $t::from_u64(n);
        assert_eq!(v.to_u64(), n);
        assert_eq!($t::from(n), v);
        assert_eq!(u64::from(v), n);
        assert!(!v.name().is_empty());
        match v {
            $t::Unknown(m) => {
                assert_eq!(m, n);
                assert_eq!(v.name(), "unknown");
                assert_eq!(v.to_string(), n.to_string());
            }
            known => assert_eq!(known.to_string(), known.name()),
        }
        let bytes = encoded!(&v);
        assert_eq!(decode::<$t>(&bytes), Ok(v));
    })*};
}

fn check_attributes(a: &AttributeId, b: &AttributeId, known: u8, n: u64) {
    check_attribute_id(a);
    check_attribute_id(b);
    assert_eq!(a.same_as(b), b.same_as(a), "same_as is symmetric");
    if a == b {
        assert!(a.same_as(b));
    }
    let standard = |x: &AttributeId| x.standard();
    if a.same_as(b) && a != b {
        assert!(standard(a).is_some() && standard(a) == standard(b));
    }
    let k = KNOWN[usize::from(known) % KNOWN.len()];
    let u = k.uuid().expect("a known attribute has a UUID");
    check_attribute_id(&AttributeId::Uuid(u));
    check_tables!(n; ElementCategory, ServerInfo, MetaDataId, Attribute, Quality, Stage, Access, DataType);
    check_tables!(n % 32; ElementCategory, ServerInfo, MetaDataId, Attribute, Quality, Stage, Access, DataType);
}

// ---- Error codes, opcodes, error objects ----

fn check_code(code: ErrorCode) {
    let n = code.code();
    assert_eq!(ErrorCode::from_i64(n), code);
    assert_eq!(ErrorCode::from(n), code);
    assert_eq!(i64::from(code), n);
    assert!(!code.name().is_empty() && !code.message().is_empty());
    assert_eq!(code.to_string(), format!("{n} ({})", code.name()));
    let listed = ErrorCode::ALL.contains(&code);
    assert_eq!(matches!(code, ErrorCode::Other(_)), !listed);
    if !listed {
        assert_eq!(code.name(), "Unknown Error");
        assert_eq!(code.message(), "unknown xentara websocket error");
    }
    let object = ErrorObject::new(code);
    assert_eq!(object.text(), code.message());
    let bare = ErrorObject {
        code,
        message: None,
    };
    assert_eq!(
        bare.text(),
        code.message(),
        "key 1 absent: the code's message"
    );
    assert_eq!(decode::<ErrorObject>(&encoded!(&bare)), Ok(bare));
}

fn check_codes(code: i64, known: u8, message: Option<&str>, opcode: u64) {
    check_code(ErrorCode::from_i64(code));
    check_code(ErrorCode::ALL[usize::from(known) % ErrorCode::ALL.len()]);
    let object = ErrorObject {
        code: ErrorCode::from(code),
        message: message.map(Text::new),
    };
    match message {
        Some(m) => assert_eq!(object.text(), m),
        None => assert_eq!(object.text(), object.code.message()),
    }
    // Opcodes: 0 to 14.
    match Opcode::try_from(opcode) {
        Ok(op) => {
            assert_eq!(Opcode::from_u64(opcode), Some(op));
            assert_eq!(op as u64, opcode);
            assert_eq!(op.to_string(), op.name());
            assert_eq!(Opcode::ALL[opcode as usize], op);
        }
        Err(kind) => {
            assert!(opcode > 14 && Opcode::from_u64(opcode).is_none());
            assert_eq!(kind, DecodeErrorKind::UnknownOpcode(opcode));
            assert_eq!(kind.code(), ErrorCode::CommandNotFound);
            assert_eq!(kind.to_string(), format!("unknown opcode {opcode}"));
        }
    }
    let expected = [
        Expected::UnsignedInteger,
        Expected::Integer,
        Expected::Float,
        Expected::Boolean,
        Expected::Tag,
        Expected::Array,
        Expected::Map,
        Expected::Text,
        Expected::Bytes,
        Expected::TimePoint,
        Expected::DecimalFraction,
        Expected::ExponentMantissa,
        Expected::AttributeId,
        Expected::AttrResult,
        Expected::Credentials,
    ];
    let e = expected[usize::from(known) % expected.len()];
    assert!(!e.name().is_empty());
    assert_eq!(e.to_string(), e.name());
    let kind = DecodeErrorKind::WrongType(e);
    assert_eq!(kind.to_string(), format!("expected {}", e.name()));
    assert_eq!(kind.code(), ErrorCode::InvalidParameter);
}

// ---- Builders, commands, responses, packets ----

fn check_subscribe(
    id: i64,
    entries: &[(Uuid, Vec<AttributeId>)],
    maximum: Option<u64>,
    minimum: Option<u64>,
    desired: Option<Uuid>,
) {
    let built: Vec<SubscriptionEntry<'_>> = entries
        .iter()
        .map(|(element, attributes)| {
            let entry = SubscriptionEntry::new(*element, attributes);
            assert_eq!(entry.element, *element);
            assert_eq!(entry.attributes.len(), attributes.len());
            assert_eq!(entry.attributes.is_empty(), attributes.is_empty());
            assert_eq!(entry.attributes, Seq::from(attributes.as_slice()));
            let read: Vec<AttributeId> = entry.attributes.iter().map(Result::unwrap).collect();
            assert_eq!(&read, attributes);
            entry
        })
        .collect();
    let plain = Subscribe::new(&built);
    assert_eq!(plain.entries.len(), built.len());
    assert_eq!(
        (
            plain.maximum_update_rate,
            plain.minimum_update_rate,
            plain.desired_subscription_id
        ),
        (None, None, None),
        "new: neither rate, no desired id"
    );
    let rated = plain.clone().with_rates(maximum, minimum);
    assert_eq!(
        (rated.maximum_update_rate, rated.minimum_update_rate),
        (maximum, minimum)
    );
    assert_eq!(rated.desired_subscription_id, None);
    let mut subscribe = rated.clone();
    if let Some(d) = desired {
        subscribe = subscribe.with_desired_id(d);
        assert_eq!(subscribe.desired_subscription_id, Some(d));
        assert_eq!(
            (subscribe.maximum_update_rate, subscribe.minimum_update_rate),
            (maximum, minimum),
            "with_desired_id keeps the rates"
        );
    }
    // Rates as the server keeps them: 0 is absent, above u32::MAX ms is u32::MAX.
    let ms = |r: Option<u64>| {
        r.filter(|&r| r > 0)
            .map(|r| u32::try_from(r).unwrap_or(u32::MAX))
    };
    let rates = Rates::new(maximum, minimum);
    assert_eq!(
        (rates.throttle, rates.heartbeat),
        (ms(maximum), ms(minimum))
    );
    let command = Command::from(subscribe.clone());
    assert_eq!(command.opcode(), Opcode::Subscribe);
    assert!(command.has_params() && command.sub_session().is_none());
    let packet = Packet::from(Request { id, command });
    checks::check_roundtrip(std::slice::from_ref(&packet));
    let bytes = checks::encode(std::slice::from_ref(&packet));
    let batch = Batch::new(&bytes).expect("our own subscribe decodes");
    let Some(Ok(Packet::Request(request))) = batch.iter().next() else {
        panic!("our own subscribe is not a request");
    };
    assert_eq!(request.command, Command::Subscribe(subscribe));
}

/// The command an application is handed for `command`, if it is one (the machine answers
/// the others, `Application::subscribe` takes subscribe).
fn app_command(command: Command<'_>) -> Option<AppCommand<'_>> {
    Some(match command {
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
        _ => return None,
    })
}

fn check_packets(
    id: i64,
    command: Command<'_>,
    response: Response<'_>,
    error: ErrorObject<'_>,
    event: Event<'_>,
) {
    // The command: its sub-session, its parameters, its AppCommand.
    let sub_session = match &command {
        Command::Write(p) => p.sub_session_id,
        Command::Suspend(p) => p.session_id,
        Command::Shutdown(p) => p.session_id,
        Command::Resume(p) => p.session_id(),
        Command::CloseSubSession(p) => Some(p.session_id),
        _ => None,
    };
    assert_eq!(command.sub_session(), sub_session);
    let has_params = match &command {
        Command::GetStage(_) => false,
        Command::Resume(p) => p.params.is_some(),
        _ => true,
    };
    assert_eq!(command.has_params(), has_params);
    if let Some(app) = app_command(command.clone()) {
        assert_eq!(app.opcode(), command.opcode());
        assert_eq!(Command::from(app), command);
    }
    // The response: the UUID it is, for the three that are one.
    let uuid = match &response {
        Response::Lookup(u) | Response::CreateSubSession(u) => Some(*u),
        Response::Subscribe(u) => *u,
        _ => None,
    };
    assert_eq!(response.uuid(), uuid);
    let success = Success::new(id, response.clone());
    assert!(format!("{success:?}").contains("response"));
    assert_eq!(success.response(response.opcode()), Ok(response.clone()));
    assert_eq!(success.has_item(), response.has_item());
    let packets = [
        Packet::from(Request {
            id,
            command: command.clone(),
        }),
        Packet::from(success.clone()),
        Packet::from(ErrorResponse { id, error }),
        Packet::from(event),
    ];
    for (packet, kind) in packets.iter().zip(["request", "success", "error", "event"]) {
        assert_eq!(packet.kind(), kind);
        assert_eq!(packet.id(), (kind != "event").then_some(id));
        assert_eq!(packet.check(), Ok(()), "a built {kind} reads to its end");
        // One packet as a message: what encode_batch writes, the exact size when short.
        let whole = checks::encode(std::slice::from_ref(packet));
        let mut buf = vec![0u8; whole.len()];
        assert_eq!(packet.encode_message(&mut buf), Ok(whole.len()));
        assert_eq!(buf, whole);
        let mut short = vec![0u8; whole.len() - 1];
        assert_eq!(
            packet.encode_message(&mut short),
            Err(EncodeError::BufferTooSmall {
                required: whole.len()
            })
        );
    }
    checks::check_roundtrip(&packets);
    for packet in &packets {
        let alone = encoded!(packet);
        check_standalone_packet(&alone);
        if !matches!(packet, Packet::Success(_)) {
            assert_eq!(decode::<Packet>(&alone).as_ref(), Ok(packet));
        }
    }
    // The batch's position: the next packet, or the last part of the one before it while
    // that is not walked; sequences say how many elements are left, at most.
    let message = checks::encode(&packets);
    let batch = Batch::new(&message).expect("decodes");
    let mut iter = batch.iter();
    while let Some(p) = iter.next() {
        assert!(iter.position() <= message.len());
        match p {
            Ok(Packet::Request(Request {
                command: Command::Read(read),
                ..
            })) => {
                let mut elements = read.attributes.iter();
                assert_eq!(elements.size_hint(), (0, Some(read.attributes.len())));
                if elements.next().is_some() {
                    assert!(elements.size_hint().1 < Some(read.attributes.len()));
                }
            }
            Ok(Packet::Event(Event::DataChange(change))) => {
                let n = change.values.len();
                assert_eq!(change.values.iter().size_hint(), (0, Some(n)));
            }
            _ => {}
        }
    }
    if let Command::Read(read) = &command {
        let n = read.attributes.len();
        assert_eq!(read.attributes.iter().size_hint(), (0, Some(n)));
        assert_eq!(read.attributes.iter().count(), n);
    }
    // A received success is never equal to a built one: type it first.
    let bytes = checks::encode(&packets[1..2]);
    let batch = Batch::new(&bytes).expect("decodes");
    if let Some(Ok(Packet::Success(received))) = batch.iter().next() {
        assert_ne!(received, success, "a received item equals a built one");
        assert_eq!(received, received.clone());
        assert_eq!(
            Success::new(id, received.response(response.opcode()).unwrap()),
            success
        );
    }
}

/// `decode::<Packet>` of one packet given alone: what the batch decoder makes of the same
/// packet in a message of one, and it re-encodes to its bytes (when canonical) or to bytes
/// that decode to it.
fn check_standalone_packet(bytes: &[u8]) {
    let Ok(packet) = decode::<Packet>(bytes) else {
        return;
    };
    let mut message = vec![0x81];
    message.extend_from_slice(bytes);
    let batch = Batch::new(&message).expect("an array of one packet");
    let mut packets = batch.iter();
    let first = packets.next().expect("one packet");
    // (Equal when every part reads: an element's error would point one byte further on.)
    if let Ok(p) = &first
        && packet.check().is_ok()
    {
        assert_eq!(p, &packet, "standalone and in a batch");
    }
    if let Packet::Success(s) = &packet {
        // Typed by every opcode: whatever types re-encodes.
        for &op in Opcode::ALL {
            if let Ok(response) = s.response(op) {
                let _ = response.check();
            }
        }
        assert_eq!(s.item_bytes().is_some(), s.has_item());
    }
    assert_eq!(encoded_len(&packet), encoded!(&packet).len());
}

fn check_versions((a_min, a_max): (u64, u64), (b_min, b_max): (u64, u64), v: u64) {
    let a = VersionRange::new(a_min, a_max);
    let b = VersionRange::new(b_min, b_max);
    assert_eq!((a.min, a.max), (a_min, a_max));
    assert_eq!(a.contains(v), a_min <= v && v <= a_max);
    let common = a.highest_common(&b);
    assert_eq!(common, b.highest_common(&a));
    match common {
        Some(c) => assert!(a.contains(c) && b.contains(c) && (c == a_max || c == b_max)),
        None => assert!(a_min.max(b_min) > a_max.min(b_max)),
    }
    assert_eq!(a.to_string(), format!("{a_min} to {a_max}"));
    let hello = ClientHello::from(a);
    assert_eq!((hello.min_version, hello.max_version), (a_min, a_max));
    assert_eq!(VersionRange::from(hello), a);
    assert_eq!(VersionRange::default(), VersionRange::V1);
    let default = ClientHello::default();
    assert_eq!((default.min_version, default.max_version), (1, 1));
    assert_eq!(VersionRange::from(default), VersionRange::V1);
}

fn check_scalars(i: i64, u: u64, f: f64, b: bool, room: u8) {
    assert_eq!(decode::<i64>(&encoded!(&i)), Ok(i));
    assert_eq!(decode::<u64>(&encoded!(&u)), Ok(u));
    assert_eq!(decode::<bool>(&encoded!(&b)), Ok(b));
    let back = decode::<f64>(&encoded!(&f)).expect("a float decodes");
    assert!(
        back == f || (f.is_nan() && back.is_nan()),
        "{f} read back as {back}"
    );
    for cut in [&[][..], &[0xf9], &[0xfa, 0], &[0xfb, 0, 0]] {
        let e = decode::<f64>(cut).unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::Truncated, "{cut:02x?}");
    }
    // Into a buffer of any size: the whole value, or the exact size needed.
    let v = Value::Int(i);
    let n = encoded_len(&v);
    let mut buf = vec![0u8; usize::from(room)];
    match encode(&v, &mut buf) {
        Ok(written) => assert!(written == n && n <= buf.len()),
        Err(EncodeError::BufferTooSmall { required }) => {
            assert!(required == n && n > buf.len());
        }
        Err(e) => panic!("{e}"),
    }
    let e = EncodeError::BufferTooSmall {
        required: usize::from(room),
    };
    assert_eq!(
        e.to_string(),
        format!("buffer too small: {room} bytes required")
    );
    // A Seq from an array and from a slice.
    let ids = [AttributeId::Standard(Attribute::from_u64(u % 32)); 3];
    let seq = Seq::from(&ids);
    assert_eq!((seq.len(), seq.is_empty()), (3, false));
    let mut iter = seq.iter();
    assert_eq!(iter.size_hint(), (0, Some(3)));
    assert_eq!(iter.next(), Some(Ok(ids[0])));
    assert_eq!(iter.size_hint(), (0, Some(2)));
    assert_eq!(seq.iter().count(), 3);
    let empty: Seq<'_, AttributeId> = Seq::from(&ids[..0]);
    assert!(empty.is_empty() && empty.iter().next().is_none());
    assert_eq!(seq, seq.clone());
}

/// The batch's accessors, and a message that does not decode as the client sees it; the
/// bytes as one standalone packet too.
fn check_message(bytes: &[u8]) {
    check_standalone_packet(bytes);
    match Batch::new(bytes) {
        Ok(batch) => {
            assert_eq!(batch.message(), bytes);
            let mut packets = batch.iter();
            let counted = packets.remaining();
            assert!(packets.position() <= bytes.len());
            let mut n = 0;
            while packets.next().is_some() {
                n += 1;
                let at = packets.position();
                assert!(
                    at <= bytes.len(),
                    "position {at} past the message {bytes:02x?}"
                );
            }
            // Exact for an indefinite array (no last part read here); for a definite one
            // the declared count, plus the error of bytes after it, or fewer.
            match batch.declared_len() {
                None => assert_eq!(n, counted, "remaining() of an indefinite batch"),
                Some(_) => assert!(n <= counted + 1, "{n} results, {counted} counted"),
            }
            assert_eq!(packets.remaining(), 0, "nothing left after the end");
            assert_eq!(packets.next(), None, "fused");
            // By value too: it ends, and stays ended. (Not always with as many results: a
            // last part nested at the limit reads by value and is too deep stepped over.)
            let mut by_value = Batch::new(bytes).expect("decodes again").into_iter();
            while by_value.next().is_some() {}
            assert_eq!((by_value.remaining(), by_value.next()), (0, None));
        }
        Err(e) => {
            checks::check_error(&e, bytes.len());
            assert!(!e.to_string().is_empty());
            let client = ClientError::from(e);
            assert_eq!(client, ClientError::Decode(e));
            assert_eq!(client.code(), e.code());
            assert_eq!(client.to_string(), e.to_string());
        }
    }
}

// ---- A client session ----

#[derive(Arbitrary, Debug)]
struct ClientScript<'a> {
    versions: (u8, u8),
    first_id: u8,
    /// Lookups in the first batch (the table holds 4 requests, the hello included).
    lookups: u8,
    key: &'a str,
    /// A first attempt into a buffer this small.
    room: u8,
    deadline: Option<u16>,
    /// The hello's answer: a version, or an error code.
    hello: Result<u8, ErrorCode>,
    /// Answer the first lookup too; `early`: before the hello's answer.
    answer: bool,
    early: bool,
    advance: u16,
}

type Client = ClientSession<4>;

fn check_client_error(e: ClientError) {
    let shown = e.to_string();
    assert!(!shown.is_empty());
    let (code, text) = match e {
        ClientError::Decode(d) => (d.code(), d.to_string()),
        ClientError::Encode(x) => (ErrorCode::InternalError, x.to_string()),
        ClientError::PendingFull { capacity } => (
            ErrorCode::InternalError,
            format!("all {capacity} pending-request entries are taken"),
        ),
        ClientError::HelloRefused(c) => (c, format!("hello refused: {c}")),
        ClientError::DuplicateHello => (
            ErrorCode::DuplicateClientHello,
            "client_hello was already sent".into(),
        ),
        ClientError::Closed => (ErrorCode::InternalError, "the session is closed".into()),
        _ => return,
    };
    assert_eq!((e.code(), shown), (code, text), "{e:?}");
}

/// An outcome's id, as `Outcome::id` documents it.
fn check_outcome(o: &Outcome<'_>) {
    let id = match o {
        Outcome::Success { id, .. }
        | Outcome::Error { id, .. }
        | Outcome::Unexpected { id, .. }
        | Outcome::Lost { id, .. } => Some(*id),
        Outcome::Invalid(e) => e.id(),
        Outcome::Event(_) => None,
    };
    assert_eq!(o.id(), id);
    match o {
        Outcome::Unexpected { reason, .. } => {
            let want = match reason {
                Unexpected::UnknownId => "unknown id",
                Unexpected::BeforeHello => "before hello",
                Unexpected::Request => "request to a client",
            };
            assert_eq!(reason.to_string(), want);
        }
        Outcome::Lost { cause, .. } => {
            let want = match cause {
                Lost::TimedOut => "timed out",
                Lost::Closed => "session closed",
            };
            assert_eq!(cause.to_string(), want);
        }
        _ => {}
    }
}

fn run_client(script: &ClientScript<'_>) {
    let config = ClientConfig {
        versions: VersionRange::new(script.versions.0.into(), script.versions.1.into()),
        first_id: i64::from(script.first_id).max(1),
    };
    let mut client = Client::new(config);
    assert_eq!(client.config(), &config);
    assert_eq!(
        (client.state(), client.version()),
        (ClientState::Idle, None)
    );
    let lookup = || Lookup {
        primary_key: Text::new(script.key),
    };
    // Into a buffer too small: nothing counts as sent.
    let mut tiny = vec![0u8; usize::from(script.room % 16)];
    let mut batch = client.start_batch(&mut tiny);
    if let Err(e) = batch.request(lookup()) {
        assert!(matches!(e, ClientError::Encode(_)), "{e}");
        check_client_error(e);
    }
    drop(batch);
    assert_eq!(
        (client.state(), client.pending_len()),
        (ClientState::Idle, 0)
    );

    let mut buf = vec![0u8; 4096];
    let mut batch = client.start_batch(&mut buf);
    assert!(batch.is_empty());
    assert_eq!(batch.len(), 0);
    batch.set_deadline(script.deadline.map(u64::from));
    let mut ids = Vec::new();
    for n in 0..usize::from(script.lookups % 6) {
        match batch.request(lookup()) {
            Ok(id) => {
                ids.push(id);
                // The first request brings the hello.
                assert_eq!(batch.len(), n + 2);
                assert!(!batch.is_empty());
            }
            Err(e) => {
                assert_eq!(e, ClientError::PendingFull { capacity: 4 });
                check_client_error(e);
            }
        }
    }
    let hello = batch.request(ClientHello::default());
    if !ids.is_empty() {
        assert_eq!(hello, Err(ClientError::DuplicateHello));
        check_client_error(hello.unwrap_err());
    }
    let message = batch.finish().expect("the batch fits").to_vec();
    let ClientState::HelloSent { id: hello_id } = client.state() else {
        panic!(
            "a sent batch leaves the hello unanswered: {:?}",
            client.state()
        );
    };
    assert!(client.pending(hello_id) == Some(Opcode::ClientHello));
    assert_eq!(client.pending_len(), ids.len() + 1);
    assert!(Batch::new(&message).is_ok());
    assert!(format!("{:?}", client.clone()).contains("pending"));

    // The server's answer: the hello's, maybe a lookup's, a stray one, a request, an
    // event, and a packet that does not decode.
    let mut packets = vec![match script.hello {
        Ok(v) => Packet::Success(Success::new(
            hello_id,
            Response::ClientHello(ServerHello {
                current_version: v.into(),
            }),
        )),
        Err(code) => Packet::Error(ErrorResponse {
            id: hello_id,
            error: ErrorObject::new(code),
        }),
    }];
    if let (true, Some(&id)) = (script.answer, ids.first()) {
        let answer = Packet::Success(Success::new(id, Response::Lookup(Uuid::from_u128(7))));
        match script.early {
            true => packets.insert(0, answer),
            false => packets.push(answer),
        }
    }
    packets.push(Packet::Error(ErrorResponse {
        id: i64::MAX,
        error: ErrorObject::new(ErrorCode::ReadError),
    }));
    packets.push(Packet::Request(Request {
        id: 3,
        command: GetStage.into(),
    }));
    packets.push(Packet::Event(Event::DataChange(DataChange {
        time: TimePoint::Seconds(1),
        element: Uuid::from_u128(1),
        values: Seq::from_slice(&[]),
    })));
    let mut reply = checks::encode(&packets);
    // [1]: a success without its id.
    reply[0] += 1;
    reply.extend([0x81, 0x01]);
    let reply = Batch::new(&reply).expect("an array of packets");
    let outcomes: Vec<Outcome<'_>> = client.handle_message(&reply).collect();
    assert_eq!(outcomes.len(), packets.len() + 1);
    outcomes.iter().for_each(check_outcome);
    if let (true, true, Some(&id)) = (script.answer, script.early, ids.first()) {
        // Answered while the hello was not: unexpected, and no longer pending.
        let before = Outcome::Unexpected {
            id,
            reason: Unexpected::BeforeHello,
        };
        assert_eq!(outcomes[0], before);
        assert_eq!(client.pending(id), None);
    }
    match script.hello {
        Ok(v) => {
            assert_eq!(client.version(), Some(v.into()));
            assert_eq!(client.state(), ClientState::Ready { version: v.into() });
        }
        Err(code) => {
            assert_eq!(client.version(), None);
            assert_eq!(client.state(), ClientState::Refused { code });
            let mut batch = client.start_batch(&mut buf);
            let refused = batch.request(lookup());
            assert_eq!(refused, Err(ClientError::HelloRefused(code)));
            check_client_error(refused.unwrap_err());
        }
    }
    // Deadlines, then the end of the connection.
    let now = u64::from(script.advance);
    let lost: Vec<Outcome<'_>> = client.handle_timeout(now).collect();
    for o in &lost {
        check_outcome(o);
        assert!(matches!(
            o,
            Outcome::Lost {
                cause: Lost::TimedOut,
                ..
            }
        ));
    }
    if script.deadline.is_some_and(|d| u64::from(d) <= now) {
        assert_eq!(client.pending_len(), 0, "every deadline passed");
    }
    let closed: Vec<Outcome<'_>> = client.close().collect();
    for o in &closed {
        check_outcome(o);
        assert!(matches!(
            o,
            Outcome::Lost {
                cause: Lost::Closed,
                ..
            }
        ));
    }
    assert_eq!(client.pending_len(), 0);
    let mut batch = client.start_batch(&mut buf);
    let after = batch.request(lookup());
    if script.hello.is_ok() {
        assert_eq!(after, Err(ClientError::Closed));
    }
    if let Err(e) = after {
        check_client_error(e);
    }
    drop(batch);
    check_client_error(ClientError::from(EncodeError::BufferTooSmall {
        required: 3,
    }));
    // A table of one has no room for the hello and a request.
    let mut one = ClientSession::<1>::default();
    let mut batch = one.start_batch(&mut buf);
    let full = batch.request(lookup());
    assert_eq!(full, Err(ClientError::PendingFull { capacity: 1 }));
    check_client_error(full.unwrap_err());
    assert_eq!(batch.len(), 0);
    let message = batch.finish().expect("the hello alone fits").to_vec();
    assert_eq!(one.pending_len(), 1, "the hello alone");
    assert!(Batch::new(&message).is_ok());
}

// ---- A server session ----

#[derive(Arbitrary, Debug)]
struct ServerScript<'a> {
    /// The first hello's versions (the second asks for 1 to 1).
    hello: (u8, u8),
    /// create_sub_session's desired id (`Uuid::from_u128`; 0 is nil, refused).
    desired: Option<u8>,
    /// The password; equal to the user name, access is denied.
    username: &'a str,
    password: &'a str,
    identity: u8,
    /// The write names an unknown sub-session.
    write_unknown: bool,
    value: Value<'a>,
    /// read's attributes, as CBOR (used when it is one well-formed item).
    attributes: &'a [u8],
    /// subscribe's entries, as CBOR (used when it is one well-formed item), and its rates.
    entries: &'a [u8],
    rates: (Option<u8>, Option<u8>),
    /// The buffer reply and event messages are first written into.
    room: u16,
    /// The application answers later.
    defer: bool,
}

/// The application: answers from its settings, checking what it is handed.
struct App {
    identity: u8,
    fresh: u128,
    defer: bool,
    deferred: Vec<(Slot, bool)>,
    handled: Vec<(Opcode, Option<Uuid>)>,
}

impl Application for App {
    type Identity = u8;
    type Subscription = usize;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<u8, ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == p.password => Err(ErrorCode::AccessDenied),
            _ => Ok(self.identity),
        }
    }

    fn fresh_id(&mut self, kind: IdKind) -> Uuid {
        let name = match kind {
            IdKind::SubSession => "sub-session",
            IdKind::Subscription => "subscription",
        };
        assert_eq!(kind.to_string(), name);
        self.fresh += 1;
        Uuid::from_u128(self.fresh)
    }

    fn handle(&mut self, request: AppRequest<'_, u8>, reply: Reply<'_>) -> Replied {
        assert_eq!(reply.slot(), request.slot);
        assert_eq!(
            format!("{reply:?}"),
            format!("Reply {{ slot: {:?} }}", request.slot)
        );
        let opcode = request.command.opcode();
        let command = Command::from(request.command.clone());
        assert_eq!(
            command.opcode(),
            opcode,
            "AppCommand::opcode is the command's"
        );
        if let Some(s) = request.sub_session {
            let copy = s;
            assert_eq!(copy.clone(), s);
            assert_eq!(*s.identity, self.identity);
            assert_eq!(Some(s.id), command.sub_session());
        }
        self.handled
            .push((opcode, request.sub_session.map(|s| s.id)));
        if self.defer {
            self.deferred.push((request.slot, false));
            return reply.later();
        }
        match (command.check(), opcode) {
            (Err(e), _) => reply.decode_error(&e),
            (Ok(()), Opcode::GetStage) => reply.ok(Response::GetStage(Stage::from_u64(2))),
            (Ok(()), Opcode::Write) => reply.ok(Response::Write(())),
            (Ok(()), _) => reply.error_message(ErrorCode::UnknownElement, "no such element"),
        }
    }

    fn subscribe(
        &mut self,
        request: SubscribeRequest<'_>,
        reply: SubscribeReply<'_, usize>,
    ) -> Replied {
        assert_eq!(reply.slot(), request.slot);
        assert_eq!(
            format!("{reply:?}"),
            format!("SubscribeReply {{ slot: {:?} }}", request.slot)
        );
        let p = &request.params;
        assert_eq!(
            request.rates,
            Rates::new(p.maximum_update_rate, p.minimum_update_rate)
        );
        if self.defer {
            self.deferred.push((request.slot, true));
            return reply.later();
        }
        match Command::Subscribe(request.params.clone()).check() {
            Err(e) => reply.decode_error(&e),
            Ok(()) => reply.accept(request.params.entries.len()),
        }
    }
    // `unsubscribed`: the default, which drops what was kept.
}

type Server<'s> = ServerSession<'s, App>;

/// One response of a reply: the id, and the item's bytes or the error code.
type Answer = (i64, Result<Option<Vec<u8>>, ErrorCode>);

/// Takes every reply message due, first into a buffer of `room` bytes: too small, the
/// exact size is reported and nothing is taken.
fn poll(server: &mut Server<'_>, room: usize) -> Vec<Answer> {
    let mut out = Vec::new();
    let mut small = vec![0u8; room];
    while let Some(len) = server.transmit_len() {
        let message = match server.poll_transmit(&mut small) {
            Ok(Some(n)) => {
                assert_eq!(n, len);
                small[..n].to_vec()
            }
            Err(e @ ServerError::Encode(EncodeError::BufferTooSmall { required })) => {
                assert!(required == len && required > room);
                check_server_error(e);
                let mut big = vec![0u8; len];
                let n = server.poll_transmit(&mut big).expect("fits").expect("due");
                big[..n].to_vec()
            }
            other => panic!("poll_transmit: {other:?}"),
        };
        for packet in Batch::new(&message).expect("a reply decodes") {
            match packet.expect("a reply's packets decode") {
                Packet::Success(s) => out.push((s.id, Ok(s.item_bytes().map(<[u8]>::to_vec)))),
                Packet::Error(e) => {
                    assert!(!e.error.text().is_empty());
                    out.push((e.id, Err(e.error.code)))
                }
                other => panic!("a server replied with {other:?}"),
            }
        }
    }
    out
}

fn request<'c>(id: i64, command: impl Into<Command<'c>>) -> Vec<u8> {
    checks::encode(&[Packet::Request(Request {
        id,
        command: command.into(),
    })])
}

/// Sends `message` and takes the reply: one response per request.
fn exchange(server: &mut Server<'_>, app: &mut App, message: &[u8], room: usize) -> Vec<Answer> {
    let received = server.handle_message(message, app).expect("handled");
    let answers = poll(server, room);
    if received.waiting == 0 {
        assert_eq!(answers.len(), received.packets);
    }
    answers
}

fn check_server_error(e: ServerError) {
    let shown = e.to_string();
    assert!(!shown.is_empty() && shown == e.to_string());
    let want = match e {
        ServerError::Busy { capacity } => format!("all {capacity} reply messages are in use"),
        ServerError::MessageTooLarge { packets } => {
            format!("a message of {packets} packets is too large to answer")
        }
        ServerError::Encode(x) => x.to_string(),
        ServerError::UnknownSlot(slot) => format!("no request waits in {slot:?}"),
        ServerError::SubscribeSlot(slot) => {
            format!("{slot:?} waits for a subscribe: answer it with answer_subscribe")
        }
        ServerError::UnknownSubscription(id) => format!("unknown subscription {id}"),
        ServerError::EventsTooLarge {
            subscription,
            required,
        } => format!(
            "the events of subscription {subscription} need {required} bytes and were dropped"
        ),
        _ => return,
    };
    assert_eq!(shown, want);
    let code = match e {
        ServerError::UnknownSubscription(_) => ErrorCode::UnknownSubscriptionId,
        _ => ErrorCode::InternalError,
    };
    assert_eq!(e.code(), code);
}

/// A request message whose parameter map is `{0: 37(element), 1: raw}` (read) or
/// `{0: raw, 1?: max, 2?: min}` (subscribe), `raw` as given.
fn raw_request(id: u8, opcode: u8, raw: &[u8], rates: (Option<u8>, Option<u8>)) -> Vec<u8> {
    let mut m = vec![0x81, 0x84, 0x00, id, opcode];
    if opcode == Opcode::Read as u8 {
        m.extend([0xa2, 0x00, 0xd8, 0x25, 0x50]);
        m.extend([0x11; 16]);
        m.push(0x01);
        m.extend(raw);
    } else {
        let n = 1 + u8::from(rates.0.is_some()) + u8::from(rates.1.is_some());
        m.extend([0xa0 | n, 0x00]);
        m.extend(raw);
        for (key, rate) in [(1u8, rates.0), (2, rates.1)] {
            if let Some(r) = rate {
                m.extend([key, 0x18, r]);
            }
        }
    }
    m
}

/// What the server must answer to a one-request message: the packet's decode code, the
/// code of its first sequence element that does not decode (`decode_error`), or `ok`.
fn expected(message: &[u8], ok: Result<(), ErrorCode>) -> Result<(), ErrorCode> {
    let batch = Batch::new(message).expect("one packet");
    match batch.iter().next().expect("one packet") {
        Err(e) => Err(e.code()),
        Ok(Packet::Request(r)) => match r.command.check() {
            Err(e) => Err(e.code()),
            Ok(()) => ok,
        },
        Ok(other) => panic!("{other:?}"),
    }
}

fn run_server(script: &ServerScript<'_>) {
    let buffers = ServerBuffers::<App, 256, 4, 1, 1, 1>::default();
    assert_eq!(
        format!("{buffers:?}"),
        "ServerBuffers { bytes: 256, slots: 4, messages: 1, sub_sessions: 1, subscriptions: 1 }"
    );
    let mut messages = [ReplyMessage::default(); 2];
    let mut slots = [ReplySlot::default(); 8];
    let mut bytes = vec![0u8; 1024];
    let mut sessions: [SubSessionSlot<u8>; 2] = Default::default();
    let mut subscriptions: [SubscriptionSlot<usize>; 2] = Default::default();
    assert!(
        sessions
            .iter()
            .all(|s| format!("{s:?}") == "SubSessionSlot(free)")
    );
    assert!(
        subscriptions
            .iter()
            .all(|s| format!("{s:?}") == "SubscriptionSlot(free)")
    );
    let replies = ReplyStorage::new(&mut messages, &mut slots, &mut bytes);
    assert_eq!(
        (replies.messages(), replies.slots(), replies.bytes()),
        (2, 8, 1024)
    );
    let storage = ServerStorage::new(replies, &mut sessions, &mut subscriptions);
    let shown = format!("{storage:?}");
    assert!(
        shown.contains("sub_sessions: 2") && shown.contains("subscriptions: 2"),
        "{shown}"
    );
    let mut server = Server::new(ServerConfig::default(), storage);
    let mut app = App {
        identity: script.identity,
        fresh: 1000,
        defer: false,
        deferred: Vec::new(),
        handled: Vec::new(),
    };
    let room = usize::from(script.room % 512);
    assert_eq!(server.config(), &ServerConfig::default());
    assert_eq!(server.config().versions, VersionRange::V1);
    assert_eq!(
        (server.state(), server.version()),
        (ServerState::AwaitingHello, None)
    );
    assert!(format!("{server:?}").contains("AwaitingHello"));

    // The hello: the one asked for, then 1 to 1.
    let (min, max) = script.hello;
    let first = ClientHello {
        min_version: min.into(),
        max_version: max.into(),
    };
    let answers = exchange(&mut server, &mut app, &request(1, first), room);
    let accepted = min <= 1 && 1 <= max;
    assert_eq!(answers.len(), 1);
    match &answers[0] {
        (1, Ok(Some(item))) => {
            assert!(accepted);
            let Ok(Response::ClientHello(hello)) =
                Response::decode_item(Opcode::ClientHello, Some(item))
            else {
                panic!("the hello's item");
            };
            assert_eq!(hello.current_version, 1);
        }
        (1, Err(code)) => assert!(!accepted && *code == ErrorCode::InvalidParameter),
        other => panic!("{other:?}"),
    }
    if !accepted {
        assert_eq!(server.version(), None);
        exchange(
            &mut server,
            &mut app,
            &request(1, ClientHello::default()),
            room,
        );
    }
    assert_eq!(server.version(), Some(1));
    assert_eq!(server.state(), ServerState::Ready { version: 1 });
    assert!(format!("{server:?}").contains("Ready"));

    // A sub-session, by password.
    let desired = script.desired.map(|d| Uuid::from_u128(d.into()));
    let create = CreateSubSession {
        credentials: Credentials::Password(Password {
            username: Text::new(script.username),
            password: Text::new(script.password),
        }),
        desired_session_id: desired,
    };
    let answers = exchange(&mut server, &mut app, &request(2, create), room);
    let session = match (&answers[..], desired) {
        ([(2, Err(code))], Some(d)) if d.is_nil() => {
            assert_eq!(*code, ErrorCode::InvalidParameter, "a nil desired id");
            None
        }
        ([(2, Err(code))], _) => {
            assert_eq!(script.username, script.password);
            assert_eq!(*code, ErrorCode::AccessDenied);
            None
        }
        ([(2, Ok(Some(item)))], _) => {
            assert_ne!(script.username, script.password);
            let Ok(Response::CreateSubSession(id)) =
                Response::decode_item(Opcode::CreateSubSession, Some(item))
            else {
                panic!("create_sub_session's item");
            };
            assert_eq!(id, desired.unwrap_or(Uuid::from_u128(app.fresh)));
            assert_eq!(server.sub_session(&id), Some(&script.identity));
            assert_eq!(server.sub_sessions().count(), 1);
            Some(id)
        }
        other => panic!("{other:?}"),
    };

    // A write naming it (or an unknown one).
    let named = match (session, script.write_unknown) {
        (Some(id), false) => id,
        _ => Uuid::from_u128(999),
    };
    let write = Write {
        element: Uuid::from_u128(5),
        attribute: AttributeId::Standard(Attribute::Value),
        value: script.value,
        sub_session_id: Some(named),
    };
    app.handled.clear();
    let answers = exchange(&mut server, &mut app, &request(3, write), room);
    match session {
        Some(id) if id == named => {
            assert_eq!(answers, [(3, Ok(None))]);
            assert_eq!(app.handled, [(Opcode::Write, Some(id))]);
        }
        _ => {
            assert_eq!(answers, [(3, Err(ErrorCode::UnknownSessionId))]);
            assert!(
                app.handled.is_empty(),
                "an unknown sub-session reached the application"
            );
        }
    }

    // A read whose attributes may not decode: answered with decode_error's code.
    let attributes = match xentara_ws::Raw::new(script.attributes) {
        Ok(_) => script.attributes,
        Err(_) => &[0x81, 0x0b],
    };
    let read = raw_request(4, Opcode::Read as u8, attributes, (None, None));
    let want = expected(&read, Err(ErrorCode::UnknownElement));
    let answers = exchange(&mut server, &mut app, &read, room);
    assert_eq!(answers.len(), 1);
    assert_eq!(
        answers[0].1.clone().map(|_| ()),
        want,
        "read {attributes:02x?}"
    );

    // A subscribe whose entries may not decode.
    let entries = match xentara_ws::Raw::new(script.entries) {
        Ok(_) => script.entries,
        Err(_) => &[0x80],
    };
    let subscribe = raw_request(5, Opcode::Subscribe as u8, entries, script.rates);
    let want = expected(&subscribe, Ok(()));
    let answers = exchange(&mut server, &mut app, &subscribe, room);
    assert_eq!(answers.len(), 1);
    let subscription = match (&answers[0], want) {
        ((5, Ok(Some(item))), Ok(())) => {
            let Ok(Response::Subscribe(Some(id))) =
                Response::decode_item(Opcode::Subscribe, Some(item))
            else {
                panic!("subscribe's item is its id");
            };
            assert_eq!(id, Uuid::from_u128(app.fresh));
            Some(id)
        }
        ((5, Err(code)), Err(want)) => {
            assert_eq!(*code, want);
            None
        }
        (got, want) => panic!("subscribe: {got:?}, want {want:?}"),
    };
    if let Some(sid) = subscription {
        check_subscription(&mut server, sid, script.rates, room);
    }

    // The sub-session closes, once.
    if let Some(id) = session {
        let close = CloseSubSession { session_id: id };
        assert_eq!(
            exchange(&mut server, &mut app, &request(6, close.clone()), room),
            [(6, Ok(None))]
        );
        assert_eq!(server.sub_session(&id), None);
        assert_eq!(
            exchange(&mut server, &mut app, &request(7, close), room),
            [(7, Err(ErrorCode::UnknownSessionId))]
        );
        // Made again with its id, twice: the second replaces the first; it stays open.
        for n in 0..2 {
            let again = CreateSubSession {
                credentials: Credentials::Password(Password {
                    username: Text::new(script.username),
                    password: Text::new(script.password),
                }),
                desired_session_id: Some(id),
            };
            let answers = exchange(&mut server, &mut app, &request(20 + n, again), room);
            assert!(matches!(answers[..], [(_, Ok(Some(_)))]), "{answers:?}");
            assert_eq!(server.sub_sessions().count(), 1, "replaced");
            assert_eq!(server.sub_session(&id), Some(&script.identity));
        }
    }

    check_limits(&mut server, &mut app, script.defer, room);
    let open = sessions
        .iter()
        .filter(|s| format!("{s:?}") != "SubSessionSlot(free)")
        .count();
    assert_eq!(open, usize::from(session.is_some()));
    for slot in &sessions {
        assert!(format!("{slot:?}").starts_with("SubSessionSlot("));
    }
    for slot in &subscriptions {
        assert!(format!("{slot:?}").starts_with("SubscriptionSlot("));
    }
}

/// An active subscription: its accessors, its events (initial, change, heartbeat) into
/// buffers of any size, changes to unknown subscriptions, and unsubscribe.
fn check_subscription(
    server: &mut Server<'_>,
    sid: Uuid,
    (maximum, minimum): (Option<u8>, Option<u8>),
    room: usize,
) {
    let rates = Rates::new(maximum.map(u64::from), minimum.map(u64::from));
    assert!(server.is_subscribed(&sid));
    assert_eq!(server.rates(&sid), Some(rates));
    assert_eq!(server.subscription_entries(), 1);
    let active: Vec<_> = server.subscriptions().map(|s| (s.id, s.rates)).collect();
    assert_eq!(active, [(sid, rates)]);
    for s in server.subscriptions_mut() {
        assert_eq!(
            format!("{s:?}"),
            format!("SubscriptionMut {{ id: {sid:?} }}")
        );
        assert_eq!((s.id(), s.rates()), (sid, rates));
    }
    let unknown = Uuid::from_u128(4242);
    let e = server.changed(&unknown).unwrap_err();
    assert_eq!(e, ServerError::UnknownSubscription(unknown));
    check_server_error(e);
    let mut now = 0;
    for want in [Reason::Initial, Reason::Change, Reason::Heartbeat] {
        if want == Reason::Change {
            server.changed(&sid).expect("a subscription in the table");
        }
        if want == Reason::Heartbeat && rates.heartbeat.is_none() {
            break;
        }
        let at = server.poll_timeout().expect("an event is due");
        now = now.max(at);
        assert_eq!(server.handle_timeout(now), 1);
        assert_eq!(server.poll_timeout(), Some(now), "due: at once");
        let mut buf = vec![0u8; room];
        let mut seen = Vec::new();
        let written = server.poll_events(&mut buf, |due, covers, events| {
            assert!(format!("{events:?}").starts_with("Events {"));
            assert_eq!(due.subscription, sid);
            seen.push((due.reason, due.reason.to_string(), *covers));
            let change = DataChange {
                time: TimePoint::Seconds(1),
                element: sid,
                values: Seq::from_slice(&[]),
            };
            let _ = events.push(change);
        });
        assert_eq!(seen.len(), 1);
        let (reason, name, _) = &seen[0];
        // A heartbeat due with the change wins the tie.
        let tie = rates
            .heartbeat
            .is_some_and(|h| h <= rates.throttle.unwrap_or(0));
        if !(want == Reason::Change && tie && *reason == Reason::Heartbeat) {
            assert_eq!(*reason, want);
        }
        let names = ["initial", "change", "heartbeat"];
        assert_eq!(name, names[*reason as usize]);
        match written {
            Ok(Some(n)) => assert!(Batch::new(&buf[..n]).is_ok()),
            Err(e @ ServerError::EventsTooLarge { subscription, .. }) => {
                assert_eq!(subscription, sid);
                check_server_error(e);
            }
            other => panic!("poll_events: {other:?}"),
        }
    }
    let unsubscribe = request(
        8,
        Unsubscribe {
            subscription_id: sid,
        },
    );
    let received = server.handle_message(
        &unsubscribe,
        &mut App {
            identity: 0,
            fresh: 0,
            defer: false,
            deferred: Vec::new(),
            handled: Vec::new(),
        },
    );
    assert!(received.is_ok());
    assert_eq!(poll(server, room), [(8, Ok(None))]);
    assert!(!server.is_subscribed(&sid) && server.rates(&sid).is_none());
}

/// The limits: a message over a reply's slots is refused, one too large for even that is
/// `MessageTooLarge`, every reply message open is `Busy`; deferred answers through the
/// wrong call or twice are refused.
fn check_limits(server: &mut Server<'_>, app: &mut App, defer: bool, room: usize) {
    // Five requests: a reply holds four.
    let stages: Vec<Packet<'_>> = (0..5)
        .map(|id| {
            Packet::Request(Request {
                id,
                command: GetStage.into(),
            })
        })
        .collect();
    let five = checks::encode(&stages);
    let received = server
        .handle_message(&five, app)
        .expect("refused, not an error");
    assert!(received.refused && received.packets == 5 && received.waiting == 0);
    let answers = poll(server, room);
    assert_eq!(answers.len(), 5);
    assert!(answers.iter().all(|a| a.1 == Err(ErrorCode::InternalError)));
    // Too many even for error packets (a reply has 512 bytes).
    let flood: Vec<Packet<'_>> = (0..200)
        .map(|_| {
            Packet::Request(Request {
                id: i64::MAX,
                command: GetStage.into(),
            })
        })
        .collect();
    let e = server
        .handle_message(&checks::encode(&flood), app)
        .unwrap_err();
    assert_eq!(e, ServerError::MessageTooLarge { packets: 200 });
    check_server_error(e);
    // Both reply messages open: busy.
    let one = request(9, GetStage);
    app.defer = defer;
    for _ in 0..2 {
        let _ = server
            .handle_message(&one, app)
            .expect("a reply message is free");
    }
    let e = server.handle_message(&one, app).unwrap_err();
    assert_eq!(e, ServerError::Busy { capacity: 2 });
    check_server_error(e);
    if defer {
        assert_eq!(server.waiting(), 2);
        let slots: Vec<Slot> = app.deferred.drain(..).map(|(slot, _)| slot).collect();
        for &slot in &slots {
            let e = server.answer_subscribe(slot, Ok(1)).unwrap_err();
            assert_eq!(e, ServerError::UnknownSlot(slot), "a command's slot");
            check_server_error(e);
            server
                .answer(slot, Ok(Response::GetStage(Stage::from_u64(1))))
                .expect("a deferred slot");
            let e = server
                .answer(slot, Err(ErrorObject::new(ErrorCode::ReadError)))
                .unwrap_err();
            assert_eq!(e, ServerError::UnknownSlot(slot), "answered already");
            check_server_error(e);
        }
    }
    assert_eq!(server.waiting(), 0);
    assert_eq!(poll(server, room).len(), 2);
    // A deferred subscribe: `answer` refuses its slot.
    if defer {
        let subscribe = request(10, Subscribe::new(&[]).with_rates(Some(5), None));
        let _ = server.handle_message(&subscribe, app).expect("handled");
        let (slot, is_subscribe) = app.deferred.pop().expect("deferred");
        assert!(is_subscribe);
        let e = server.answer(slot, Ok(Response::Write(()))).unwrap_err();
        assert_eq!(e, ServerError::SubscribeSlot(slot));
        check_server_error(e);
        server
            .answer_subscribe(slot, Ok(0))
            .expect("a deferred subscribe");
        let answers = poll(server, room);
        assert!(matches!(answers[..], [(10, Ok(Some(_)))]), "{answers:?}");
        // A subscribe taken over by a later one with its id, which then failed, is made
        // again when it succeeds: here into a table filled meanwhile, so it fails.
        let x = Subscribe::new(&[]).with_desired_id(Uuid::from_u128(77));
        let both = checks::encode(&[
            Packet::Request(Request {
                id: 11,
                command: x.clone().into(),
            }),
            Packet::Request(Request {
                id: 12,
                command: x.into(),
            }),
        ]);
        let _ = server.handle_message(&both, app).expect("handled");
        let (second, _) = app.deferred.pop().expect("deferred");
        let (first, _) = app.deferred.pop().expect("deferred");
        let failed = Err(ErrorObject::new(ErrorCode::ReadError));
        server.answer_subscribe(second, failed).expect("deferred");
        let y = Subscribe::new(&[]).with_desired_id(Uuid::from_u128(78));
        let _ = server
            .handle_message(&request(13, y), app)
            .expect("handled");
        let (third, _) = app.deferred.pop().expect("deferred");
        assert_eq!(server.subscription_entries(), 2, "the table is full");
        server.answer_subscribe(first, Ok(1)).expect("deferred");
        let failed = Err(ErrorObject::new(ErrorCode::ReadError));
        server.answer_subscribe(third, failed).expect("deferred");
        let answers = poll(server, room);
        let want = [
            (11, Err(ErrorCode::InternalError)),
            (12, Err(ErrorCode::ReadError)),
            (13, Err(ErrorCode::ReadError)),
        ];
        assert_eq!(answers, want, "too many subscriptions");
    }
    app.defer = false;
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    for step in steps::steps(&mut u) {
        match step {
            Step::Text {
                s,
                cuts,
                other,
                other_cuts,
            } => check_text(s, &cuts, other, &other_cuts),
            Step::Bytes {
                b,
                cuts,
                other,
                other_cuts,
                four,
            } => check_bytes(b, &cuts, other, &other_cuts, &four),
            Step::Time {
                t,
                decimal,
                secs,
                nanos,
            } => check_time(t, decimal, secs, nanos),
            Step::Value(v, bytes) => check_value(v, bytes),
            Step::Numbers(n) => check_numbers(&n),
            Step::Attributes { a, b, known, n } => check_attributes(&a, &b, known, n),
            Step::Codes {
                code,
                known,
                message,
                opcode,
            } => check_codes(code, known, message, opcode),
            Step::Subscribe {
                id,
                entries,
                maximum,
                minimum,
                desired,
            } => check_subscribe(id, &entries, maximum, minimum, desired),
            Step::Packets {
                id,
                command,
                response,
                error,
                event,
            } => check_packets(id, command, response, error, event),
            Step::Versions { a, b, v } => check_versions(a, b, v),
            Step::Scalars { i, u, f, b, room } => check_scalars(i, u, f, b, room),
            Step::Message(bytes) => check_message(bytes),
            Step::Client(script) => run_client(&script),
            Step::Server(script) => run_server(&script),
        }
    }
});
