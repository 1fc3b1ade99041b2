//! The typed API beside the codec on what the input makes, each result checked against
//! another path to the same thing (re-encoding, another type, the batch decoder, the requests
//! made): standalone types, packets, time points, the numbered tables, builders, a client
//! session; the server's errors and storage cells. Generated cases: `tests/properties.rs`.

#![no_main]

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::params::{ClientHello, GetStage, Subscribe, SubscriptionEntry};
use xentara_ws::session::{
    ClientError, ClientSession, ClientState, Outcome, Reason, ReplyMessage, ReplySlot,
    ReplyStorage, ServerError, SubSessionSlot, SubscriptionSlot, VersionRange,
};
use xentara_ws::{
    Access, Attribute, AttributeId, Batch, Bytes, Command, DataType, ElementCategory, EncodeError,
    ErrorCode, ErrorObject, ErrorResponse, Event, MetaDataId, Opcode, Packet, Quality, Request,
    Response, Seq, ServerInfo, Stage, Success, Text, TimePoint, Uuid, Value, decode, encode,
    encoded_len,
};

use xentara_ws_support::checks;
mod steps;

type Rate = Option<u64>;

/// One thing to try.
#[derive(Arbitrary, Debug)]
enum Step<'a> {
    /// Bytes read as each standalone type, and as a message.
    Bytes(&'a [u8]),
    /// A time point, and a duration since the epoch.
    Time(TimePoint, u64, u32),
    /// A value.
    Value(Value<'a>),
    /// Packets from their parts: an id, a command, a response, an error and an event.
    Packets(i64, Command<'a>, Response<'a>, ErrorObject<'a>, Event<'a>),
    /// Numbers as each table, code and opcode; attribute ids; version ranges.
    Numbers(u64, i64, AttributeId, AttributeId, [u64; 4]),
    /// The subscribe builders: entries, rates and a desired id.
    Subscribe(Vec<(Uuid, Vec<AttributeId>)>, (Rate, Rate), Option<Uuid>),
    /// A client session: commands into a buffer of some size, an answer, a clock.
    Client(Vec<Command<'a>>, u16, &'a [u8], u64),
    /// The server's errors and storage cells.
    Server(usize, Uuid, [u8; 3]),
}

/// Encodes a value standalone (the crate's `Cbor` trait cannot be named, so a macro):
/// `encoded_len` is what `encode` writes, a buffer one byte short reports that size.
macro_rules! encoded {
    ($value:expr) => {{
        let (value, n) = ($value, encoded_len($value));
        let mut buf = vec![0u8; n];
        assert_eq!(encode(value, &mut buf), Ok(n));
        let short = encode(value, &mut buf[..n.saturating_sub(1)]);
        assert!(n == 0 || short == Err(EncodeError::BufferTooSmall { required: n }));
        buf
    }};
}

/// `bytes` as `T`: what decodes re-encodes and decodes again to a value `$eq` to itself.
macro_rules! reread {
    ($t:ty, $bytes:expr, $eq:expr) => {
        decode::<$t>($bytes).ok().inspect(|v| {
            let again = encoded!(v);
            let back = decode::<$t>(&again).expect("re-encoded, it decodes");
            assert!($eq(&back, v), "{v:?} read back as {back:?}");
        })
    };
}

fn check_bytes(bytes: &[u8]) {
    let h = BuildHasherDefault::<DefaultHasher>::default();
    if let Some(t) = reread!(Text, bytes, |a, b| a == b) {
        let s: String = t.chunks().collect();
        assert!(t == *s && *s == t && s.as_str() == t && Text::from(s.as_str()) == t);
        assert_eq!(Value::from(s.as_str()), Value::Text(Text::new(&s)));
        assert_eq!(h.hash_one(t), h.hash_one(Text::new(&s)));
        let shown = (t.to_string(), format!("{t:?}"), Value::from(t).to_string());
        assert_eq!(shown, (s.clone(), format!("{s:?}"), format!("{s:?}")));
        let empty = t.is_empty() && t == Text::default();
        let sizes = (t.len(), empty, t.as_str().is_none_or(|x| x == s));
        assert_eq!(sizes, (s.len(), s.is_empty(), true));
    }
    if let Some(b) = reread!(Bytes, bytes, |a, b| a == b) {
        let v: Vec<u8> = b.chunks().flatten().copied().collect();
        assert!(b == *v && b == v.as_slice() && Bytes::from(v.as_slice()) == b);
        assert_eq!(h.hash_one(b), h.hash_one(Bytes::new(&v)));
        assert_eq!(format!("{b:?}"), format!("{:?}", Bytes::new(&v)));
        let empty = b.is_empty() && b == Bytes::default();
        let sizes = (b.len(), empty, b.as_slice().is_none_or(|x| x == v));
        assert_eq!(sizes, (v.len(), v.is_empty(), true));
    }
    reread!(TimePoint, bytes, |a, b| a == b).map(check_time_point);
    let same = |a: &Value, b: &Value| a == b || a.to_string() == b.to_string();
    reread!(Value, bytes, same).inspect(|v| assert!(!v.to_string().is_empty()));
    check_standalone_packet(bytes);
    check_message(bytes);
}

/// A time point's conversions agree with one another and with its text.
fn check_time_point(t: TimePoint) {
    let shown = t.to_string();
    assert_eq!(Value::from(t).to_string(), shown);
    assert_eq!(format!("{t:>50}").trim_start(), shown);
    let Some(d) = t.to_duration() else {
        let infinite = t.as_secs_f64().is_infinite() && shown.ends_with("infinity");
        assert!(infinite || !matches!(t, TimePoint::Infinite { .. }));
        return assert_eq!(SystemTime::try_from(t), Err(t));
    };
    let (x, y) = (t.as_secs_f64(), d.as_secs_f64());
    assert!(shown.ends_with('Z') || x >= 9.2e18, "{shown}");
    assert!((x - y).abs() <= 1e-6 + x.abs() * 1e-9, "{x} for {d:?}");
    if let Some(st) = UNIX_EPOCH.checked_add(d) {
        assert_eq!(SystemTime::try_from(t), Ok(st));
        assert_eq!(TimePoint::from(st), TimePoint::from_duration(d));
    }
    // Both cut to the nanosecond towards the past.
    let back = TimePoint::from_duration(d);
    let exact = !matches!(t, TimePoint::FloatSeconds(_)) && d.as_nanos() < i64::MAX as u128;
    assert!(!exact || back.to_duration() == Some(d) && back.to_string() == shown);
}

/// `decode::<Packet>` of one packet given alone: what the batch decoder makes of it in a
/// message of one; it re-encodes to bytes of the size `encoded_len` says.
fn check_standalone_packet(bytes: &[u8]) {
    let Ok(packet) = decode::<Packet>(bytes) else {
        return;
    };
    let message = [&[0x81], bytes].concat();
    let batch = Batch::new(&message).expect("an array of one packet");
    // (Equal when every part reads: an element's error would point one byte further on.)
    if let Some(Ok(p)) = batch.iter().next()
        && packet.check().is_ok()
    {
        assert_eq!(p, packet, "standalone and in a batch");
    }
    if let Packet::Success(s) = &packet {
        for &op in Opcode::ALL {
            let _ = s.response(op).map(|r| r.check());
        }
        assert_eq!(s.item_bytes().is_some(), s.has_item());
    }
    encoded!(&packet);
}

/// The batch's accessors, and a message that does not decode as the client sees it.
fn check_message(bytes: &[u8]) {
    let batch = match Batch::new(bytes) {
        Ok(batch) => batch,
        Err(e) => {
            checks::check_error(&e, bytes.len());
            let client = ClientError::from(e);
            assert_eq!((client, client.code()), (ClientError::Decode(e), e.code()));
            return assert_eq!(client.to_string(), e.to_string());
        }
    };
    assert_eq!(batch.message(), bytes);
    let mut packets = batch.iter();
    let (counted, mut n) = (packets.remaining(), 0);
    while packets.next().is_some() {
        n += 1;
        assert!(packets.position() <= bytes.len(), "past the message");
    }
    // Exact for an indefinite array; a definite one may end in the error of the bytes
    // after its count, or hold fewer.
    match batch.declared_len() {
        None => assert_eq!(n, counted),
        Some(_) => assert!(n <= counted + 1, "{n} results, {counted} counted"),
    }
    assert_eq!((packets.remaining(), packets.next()), (0, None), "fused");
    let mut by_value = batch.into_iter();
    while by_value.next().is_some() {}
    assert_eq!((by_value.remaining(), by_value.next()), (0, None));
}

fn check_packets(id: i64, c: Command<'_>, r: Response<'_>, e: ErrorObject<'_>, v: Event<'_>) {
    let sub_session = c.sub_session().map(|u| *u.as_bytes());
    let success = Success::new(id, r.clone());
    assert_eq!(success.response(r.opcode()), Ok(r.clone()));
    assert_eq!(success.has_item(), r.has_item());
    let has_params = c.has_params();
    let packets = [
        Packet::from(Request { id, command: c }),
        Packet::from(success.clone()),
        Packet::from(ErrorResponse { id, error: e }),
        Packet::from(v),
    ];
    let kinds: std::collections::HashSet<_> = packets.iter().map(Packet::kind).collect();
    assert_eq!(kinds.len(), 4);
    for packet in &packets {
        assert_eq!(packet.id().is_none(), matches!(packet, Packet::Event(_)));
        assert_eq!(packet.check(), Ok(()), "a built {} reads", packet.kind());
        let whole = checks::encode(std::slice::from_ref(packet));
        let mut buf = vec![0u8; whole.len()];
        assert_eq!(packet.encode_message(&mut buf), Ok(whole.len()));
        assert_eq!(buf, whole);
        let (short, required) = (packet.encode_message(&mut buf[1..]), whole.len());
        assert_eq!(short, Err(EncodeError::BufferTooSmall { required }));
        let alone = encoded!(packet);
        check_standalone_packet(&alone);
        match packet {
            // A request is `[0, id, opcode, params]`, without them `[0, id, opcode]`.
            Packet::Request(_) => {
                assert_eq!(alone[..2], [0x83 + u8::from(has_params), 0]);
                assert!(sub_session.is_none_or(|u| alone.windows(16).any(|w| w == u)));
            }
            Packet::Success(_) => {}
            _ => assert_eq!(decode::<Packet>(&alone).as_ref(), Ok(packet)),
        }
    }
    checks::check_roundtrip(&packets);
    check_message(&checks::encode(&packets));
    // A received success equals a built one once typed.
    let bytes = checks::encode(&packets[1..2]);
    let batch = Batch::new(&bytes).expect("decodes");
    if let Some(Ok(Packet::Success(received))) = batch.iter().next() {
        let typed = received.response(r.opcode()).expect("its opcode types it");
        let typed = Success::new(id, typed);
        assert_eq!(format!("{typed:?}"), format!("{success:?}"));
        assert_eq!(typed, success);
        let uuid = r.uuid().map(|u| *u.as_bytes());
        assert!(uuid.is_none_or(|u| bytes.windows(16).any(|w| w == u)));
    }
}

/// Every numbered table from `n`: the number back, a name, a text.
macro_rules! tables {
    ($n:expr; $($t:ident),*) => {$({
        let v = $t::from_u64($n);
        assert_eq!((v.to_u64(), u64::from(v), $t::from($n)), ($n, $n, v));
        assert!(!v.name().is_empty() && !v.to_string().is_empty());
    })*};
}

fn check_numbers(n: u64, code: i64, a: AttributeId, b: AttributeId, [a0, a1, b0, b1]: [u64; 4]) {
    for n in [n, n % 40] {
        tables!(n; ElementCategory, ServerInfo, MetaDataId, Attribute, Quality, Stage, Access, DataType);
        match Opcode::try_from(n) {
            Ok(op) => assert!(Opcode::from_u64(n) == Some(op) && op.to_string() == op.name()),
            Err(kind) => assert_eq!(kind.code(), ErrorCode::CommandNotFound),
        }
    }
    let code = ErrorCode::from_i64(code);
    assert!(ErrorCode::from(code.code()) == code && i64::from(code) == code.code());
    let attribute = Attribute::from_u64(n % 40);
    let uuid = attribute.uuid().map(AttributeId::from);
    assert!(uuid.is_none_or(|u| u.standard() == Some(attribute)));
    assert_eq!(decode::<i64>(&encoded!(&code.code())), Ok(code.code()));
    let x = decode::<f64>(&encoded!(&f64::from_bits(n))).map(f64::to_bits);
    assert!(x == Ok(n) || f64::from_bits(n).is_nan());
    assert_eq!(Value::from(n as u32), Value::Int(i64::from(n as u32)));
    assert_eq!(Value::from(n).to_string(), n.to_string());
    let bare = ErrorObject {
        code,
        message: None,
    };
    let refused = ClientError::HelloRefused(code).to_string();
    assert!(bare.text() == code.message() && refused.contains(&code.to_string()));
    assert!(Seq::from(&[attribute]).len() == 1 && Bytes::from(&[n as u8]) == [n as u8].as_slice());
    assert!(code.to_string().contains(code.name()));
    // `same_as` is reflexive and symmetric, and only a standard attribute has two ids;
    // version ranges meet at the highest version in both.
    for x in [a, b] {
        let standard = x.standard().map(AttributeId::from);
        assert!(x.same_as(&x) && standard.is_none_or(|s| x.same_as(&s)));
        assert!(!x.to_string().is_empty());
    }
    let same = a.same_as(&b);
    assert!(same == b.same_as(&a) && (!same || a == b || a.standard() == b.standard()));
    let (x, y) = (VersionRange::new(a0, a1), VersionRange::new(b0, b1));
    let common = x.highest_common(&y);
    let next = common.and_then(|c| c.checked_add(1));
    assert_eq!(common, y.highest_common(&x));
    assert!(next.is_none_or(|d| !x.contains(d) || !y.contains(d)));
    assert_eq!(common.is_some(), a0.max(b0) <= a1.min(b1));
    assert!(common.is_none_or(|c| x.contains(c) && y.contains(c)));
    assert_eq!(VersionRange::from(ClientHello::from(x)), x);
    assert!(x.to_string().contains(&a1.to_string()));
}

fn check_subscribe(entries: &[(Uuid, Vec<AttributeId>)], rates: (Rate, Rate), d: Option<Uuid>) {
    let mut built = Vec::new();
    for (element, a) in entries {
        let entry = SubscriptionEntry::new(*element, a);
        let seq = &entry.attributes;
        let hint = seq.iter().size_hint();
        assert_eq!((seq.is_empty(), hint), (a.is_empty(), (0, Some(a.len()))));
        assert_eq!(Seq::from(a.as_slice()), entry.attributes);
        built.push(entry);
    }
    let subscribe = Subscribe::new(&built).with_rates(rates.0, rates.1);
    let subscribe = d.map_or(subscribe.clone(), |d| subscribe.with_desired_id(d));
    let command = Command::from(subscribe);
    checks::check_roundtrip(&[Packet::from(Request { id: 1, command })]);
}

/// A client session of the hello and one request in flight: requests fit the buffer or
/// fail with an error that says why; outcomes name requests that were made.
fn check_client(commands: Vec<Command<'_>>, room: u16, message: &[u8], now: u64) {
    let mut client = ClientSession::<2>::default();
    assert_eq!(client.config(), ClientSession::new().config());
    let mut ids = vec![client.config().first_id];
    let mut buf = vec![0; usize::from(room)];
    let mut batch = client.start_batch(&mut buf);
    batch.set_deadline(Some(now / 2).filter(|_| now % 2 == 0));
    for command in commands {
        let before = batch.len();
        match batch.request(command) {
            Ok(id) => ids.push(id),
            // (The hello that goes first may be in when the request is not.)
            Err(e) => assert!(batch.len() <= before + 1 && !e.to_string().is_empty()),
        }
        assert_eq!(batch.is_empty(), batch.len() == 0);
    }
    if let Err(e) = batch.finish() {
        assert!(ErrorCode::from(e.code().code()) == e.code() && !e.to_string().is_empty());
    }
    assert!(client.version().is_none() || client.state() != ClientState::Idle);
    let check = |o: Outcome<'_>| outcome(&o, &ids);
    if let Ok(answer) = Batch::new(message) {
        client.handle_message(&answer).for_each(check);
    }
    client.handle_timeout(now).for_each(check);
    client.close().for_each(check);
    assert_eq!((client.pending_len(), client.poll_timeout()), (0, None));
    let closed = client.start_batch(&mut buf).request(GetStage);
    assert!(closed.is_err_and(|e| !e.to_string().is_empty()));
    assert!(!format!("{:?}", client.clone()).is_empty());
}

/// An answer or a lost request names a request that was made; the reason says why.
fn outcome(o: &Outcome<'_>, ids: &[i64]) {
    let why = match o {
        Outcome::Unexpected { reason, .. } => reason.to_string(),
        Outcome::Lost { cause, .. } => cause.to_string(),
        _ => format!("{o:?}"),
    };
    let made = o.id().is_some_and(|id| ids.contains(&id));
    if let Outcome::Success { .. } | Outcome::Error { .. } | Outcome::Lost { .. } = o {
        assert!(made && !why.is_empty(), "{o:?}");
    }
}

/// The server's errors say what they carry; the reply storage is as large as its buffers.
fn check_server_values(n: usize, id: Uuid, sizes: [u8; 3]) {
    let errors = [
        ServerError::Busy { capacity: n },
        ServerError::MessageTooLarge { packets: n },
        ServerError::Encode(EncodeError::BufferTooSmall { required: n }),
        ServerError::UnknownSubscription(id),
        ServerError::EventsTooLarge {
            subscription: id,
            required: n,
        },
    ];
    let says = |t: String| t.contains(&n.to_string()) || t.contains(&id.to_string());
    for e in errors {
        assert!(says(e.to_string()) && ErrorCode::from(e.code().code()) == e.code());
    }
    let reasons = [Reason::Initial, Reason::Change, Reason::Heartbeat].map(|r| r.to_string());
    assert!(reasons[0] != reasons[1] && reasons[1] != reasons[2] && reasons[0] != reasons[2]);
    let cells = format!("{:?}", SubSessionSlot::<u8>::default());
    assert_ne!(cells, format!("{:?}", SubscriptionSlot::<u8>::default()));
    let [m, s, b] = sizes.map(usize::from);
    let mut messages = vec![ReplyMessage::default(); m];
    let (mut slots, mut bytes) = (vec![ReplySlot::default(); s], vec![0; b]);
    let storage = ReplyStorage::new(&mut messages, &mut slots, &mut bytes);
    let size = (storage.messages(), storage.slots(), storage.bytes());
    assert_eq!(size, (m, s, b));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    for step in steps::steps(&mut u) {
        match step {
            Step::Bytes(bytes) => check_bytes(bytes),
            Step::Time(t, secs, nanos) => {
                let d = Duration::new(secs, nanos % 1_000_000_000);
                let before = UNIX_EPOCH.checked_sub(d).map(TimePoint::from);
                let points = [Some(t), Some(TimePoint::from_duration(d)), before];
                points.into_iter().flatten().for_each(check_time_point);
            }
            Step::Value(v) => {
                let again = encoded!(&v);
                let back = decode::<Value>(&again).expect("a value decodes");
                assert_eq!(v.to_string(), back.to_string(), "{v:?}");
            }
            Step::Packets(id, c, r, e, v) => check_packets(id, c, r, e, v),
            Step::Numbers(n, code, a, b, versions) => check_numbers(n, code, a, b, versions),
            Step::Subscribe(entries, rates, d) => check_subscribe(&entries, rates, d),
            Step::Client(commands, room, answer, now) => check_client(commands, room, answer, now),
            Step::Server(n, id, sizes) => check_server_values(n, id, sizes),
        }
    }
});
