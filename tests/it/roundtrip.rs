//! Property tests: for every packet type and every opcode's parameters and response item,
//! `decode(encode(x)) == x`, and encoding what was decoded gives the same bytes.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem, ServerHello};
use xentara_ws::params::*;
use xentara_ws::*;

/// Encodes a packet as a message, decodes it (typing a success item by its opcode),
/// checks equality, and checks the re-encoding is byte-identical.
fn roundtrip(packet: Packet<'_>) {
    let mut buf = vec![0u8; 4096];
    let n = packet.encode_message(&mut buf).unwrap();
    let bytes = &buf[..n];
    let batch = Batch::new(bytes).unwrap();
    let mut batch = batch.iter();
    let decoded = batch.next().unwrap().unwrap();
    assert!(batch.next().is_none());
    let decoded = match (&packet, decoded) {
        (Packet::Success(original), Packet::Success(s)) => {
            match xentara_ws_support::checks::built_opcode(original) {
                Some(op) => Packet::Success(Success::new(s.id, s.response(op).unwrap())),
                None => Packet::Success(s),
            }
        }
        (_, other) => other,
    };
    assert_eq!(decoded, packet);
    let mut again = vec![0u8; 4096];
    let m = decoded.encode_message(&mut again).unwrap();
    assert_eq!(&again[..m], bytes);
    // Every smaller buffer is refused with the exact size needed.
    for short in [0, n / 2, n - 1] {
        assert_eq!(
            packet.encode_message(&mut buf[..short]),
            Err(EncodeError::BufferTooSmall { required: n })
        );
    }
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn attr() -> impl Strategy<Value = AttributeId> {
    prop_oneof![
        any::<u64>().prop_map(|n| AttributeId::Standard(n.into())),
        uuid().prop_map(AttributeId::Uuid)
    ]
}

/// Floats that compare equal to themselves (NaN never does).
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("not NaN", |x| !x.is_nan()),
        any::<f32>()
            .prop_filter("not NaN", |x| !x.is_nan())
            .prop_map(f64::from),
        (-2048i32..2048).prop_map(|n| f64::from(n) / 4.0),
    ]
}

fn time() -> impl Strategy<Value = TimePoint> {
    prop_oneof![
        (any::<i64>(), any::<i64>())
            .prop_map(|(exponent, mantissa)| TimePoint::Decimal { exponent, mantissa }),
        any::<i64>().prop_map(TimePoint::Seconds),
        float()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(TimePoint::FloatSeconds),
        any::<bool>().prop_map(|negative| TimePoint::Infinite { negative }),
    ]
}

/// An owned stand-in for [`Value`], which borrows.
#[derive(Debug, Clone)]
enum OwnedValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Uuid(Uuid),
    Time(TimePoint),
    Other(Vec<u8>),
}

impl OwnedValue {
    fn borrow(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Bool(b) => Value::Bool(*b),
            OwnedValue::Int(n) => Value::Int(*n),
            OwnedValue::UInt(n) => Value::UInt(*n),
            OwnedValue::Float(x) => Value::Float(*x),
            OwnedValue::Text(s) => Value::Text(Text::new(s)),
            OwnedValue::Bytes(b) => Value::Bytes(Bytes::new(b)),
            OwnedValue::Uuid(u) => Value::Uuid(*u),
            OwnedValue::Time(t) => Value::Time(*t),
            OwnedValue::Other(raw) => Value::Other(Raw::new(raw).unwrap()),
        }
    }
}

fn value() -> impl Strategy<Value = OwnedValue> {
    prop_oneof![
        Just(OwnedValue::Null),
        any::<bool>().prop_map(OwnedValue::Bool),
        any::<i64>().prop_map(OwnedValue::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(OwnedValue::UInt),
        float().prop_map(OwnedValue::Float),
        ".{0,12}".prop_map(OwnedValue::Text),
        vec(any::<u8>(), 0..12).prop_map(OwnedValue::Bytes),
        uuid().prop_map(OwnedValue::Uuid),
        time().prop_map(OwnedValue::Time),
        // Canonical structured values the crate keeps as raw CBOR: [n, "x"], {1: n}, 99(n).
        (0u8..24).prop_map(|n| OwnedValue::Other(vec![0x82, n, 0x61, b'x'])),
        (0u8..24).prop_map(|n| OwnedValue::Other(vec![0xa1, 0x01, n])),
        (0u8..24).prop_map(|n| OwnedValue::Other(vec![0xd8, 0x63, n])),
    ]
}

fn error_object() -> impl Strategy<Value = (i64, Option<String>)> {
    (any::<i64>(), option::of(".{0,20}"))
}

fn as_error(e: &(i64, Option<String>)) -> ErrorObject<'_> {
    ErrorObject {
        code: ErrorCode::from_i64(e.0),
        message: e.1.as_deref().map(Text::new),
    }
}

fn request(id: i64, command: impl for<'a> Into<Command<'a>>) -> Packet<'static> {
    Packet::Request(Request {
        id,
        command: command.into(),
    })
}

fn success(id: i64, response: Response<'_>) -> Packet<'_> {
    Packet::Success(Success::new(id, response))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn server_information(id: i64, ids in vec(any::<u64>(), 0..6), values in vec((any::<u64>(), value()), 0..4)) {
        let ids: Vec<ServerInfo> = ids.into_iter().map(ServerInfo::from).collect();
        roundtrip(Packet::Request(Request { id, command: ServerInformation { ids: Seq::from_slice(&ids) }.into() }));
        let items: Vec<_> = values.iter().map(|(k, v)| (ServerInfo::from(*k), v.borrow())).collect();
        roundtrip(success(id, Response::ServerInformation(Seq::from_slice(&items))));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn browse(id: i64, element in uuid(), depth: Option<u64>, cats in option::of(vec(any::<u64>(), 0..5)),
              entries in vec((".{0,10}", uuid(), any::<u64>()), 0..4)) {
        let cats: Option<Vec<ElementCategory>> = cats.map(|c| c.into_iter().map(Into::into).collect());
        roundtrip(Packet::Request(Request { id, command: Browse { element, depth, categories: cats.as_deref().map(Seq::from_slice) }.into() }));
        let entries: Vec<_> = entries.iter().map(|(k, u, c)| BrowseEntry { primary_key: Text::new(k), element: *u, category: (*c).into() }).collect();
        roundtrip(success(id, Response::Browse(Seq::from_slice(&entries))));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn meta_data(id: i64, element in uuid(), ids in vec(any::<u64>(), 0..5), key in option::of(".{0,10}"),
                 cat: Option<u64>, attrs in option::of(vec((".{0,8}", attr(), any::<u64>(), any::<u64>()), 0..3)),
                 children: Option<bool>) {
        let ids: Vec<MetaDataId> = ids.into_iter().map(Into::into).collect();
        roundtrip(Packet::Request(Request { id, command: MetaData { element, ids: Seq::from_slice(&ids) }.into() }));
        let attrs: Option<Vec<_>> = attrs.as_ref().map(|a| a.iter().map(|(n, i, acc, t)| AttributeInfo {
            name: Text::new(n), id: *i, access: (*acc).into(), data_type: (*t).into() }).collect());
        let item = MetaDataItem {
            primary_key: key.as_deref().map(Text::new),
            category: cat.map(Into::into),
            attributes: attrs.as_deref().map(Seq::from_slice),
            has_children: children,
        };
        roundtrip(success(id, Response::MetaData(item)));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn lookup(id: i64, key in ".{0,30}", element in uuid()) {
        roundtrip(Packet::Request(Request { id, command: Lookup { primary_key: Text::new(&key) }.into() }));
        roundtrip(success(id, Response::Lookup(element)));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn read(id: i64, element in uuid(), attrs in vec(attr(), 0..5),
            results in vec((attr(), prop_oneof![value().prop_map(Ok), error_object().prop_map(Err)]), 0..4)) {
        roundtrip(Packet::Request(Request { id, command: Read { element, attributes: Seq::from_slice(&attrs) }.into() }));
        let results: Vec<_> = results.iter().map(|(a, r)| (*a, match r {
            Ok(v) => AttrResult::Value(v.borrow()),
            Err(e) => AttrResult::Error(as_error(e)),
        })).collect();
        roundtrip(success(id, Response::Read(Seq::from_slice(&results))));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn write(id: i64, element in uuid(), attribute in attr(), v in value(), sub in option::of(uuid())) {
        roundtrip(Packet::Request(Request { id, command: Write { element, attribute, value: v.borrow(), sub_session_id: sub }.into() }));
        roundtrip(success(id, Response::Write(())));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn subscribe(id: i64, entries in vec((uuid(), vec(attr(), 0..4)), 0..4), max: Option<u64>, min: Option<u64>,
                 desired in option::of(uuid()), reply in option::of(uuid())) {
        let entries: Vec<_> = entries.iter().map(|(e, a)| SubscriptionEntry { element: *e, attributes: Seq::from_slice(a) }).collect();
        let params = Subscribe { entries: Seq::from_slice(&entries), maximum_update_rate: max, minimum_update_rate: min, desired_subscription_id: desired };
        roundtrip(Packet::Request(Request { id, command: params.into() }));
        roundtrip(success(id, Response::Subscribe(reply)));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn without_items(id: i64, u in uuid(), session in option::of(uuid())) {
        roundtrip(request(id, Unsubscribe { subscription_id: u }));
        roundtrip(request(id, Suspend { session_id: session }));
        roundtrip(request(id, Shutdown { session_id: session }));
        roundtrip(request(id, CloseSubSession { session_id: u }));
        roundtrip(request(id, GetStage));
        for op in [Opcode::Unsubscribe, Opcode::Resume, Opcode::Suspend, Opcode::Shutdown, Opcode::CloseSubSession] {
            roundtrip(success(id, Response::decode_item(op, None).unwrap()));
        }
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn get_stage_and_resume(id: i64, stage: u64, key: u8) {
        roundtrip(success(id, Response::GetStage(stage.into())));
        let map = [0xa1, key % 24, 0xf5];
        roundtrip(Packet::Request(Request { id, command: Resume { params: None }.into() }));
        roundtrip(Packet::Request(Request { id, command: Resume { params: Some(Raw::new(&map).unwrap()) }.into() }));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn create_sub_session(id: i64, kind in 0u8..3, a in ".{0,12}", b in ".{0,12}", der in vec(any::<u8>(), 0..16),
                          desired in option::of(uuid()), session in uuid()) {
        let credentials = match kind {
            0 => Credentials::OAuth2(OAuth2 { token: Text::new(&a) }),
            1 => Credentials::Certificate(Certificate { der: Bytes::new(&der) }),
            _ => Credentials::Password(Password { username: Text::new(&a), password: Text::new(&b) }),
        };
        roundtrip(Packet::Request(Request { id, command: CreateSubSession { credentials, desired_session_id: desired }.into() }));
        roundtrip(success(id, Response::CreateSubSession(session)));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn client_hello(id: i64, min_version: u64, max_version: u64, current: u64) {
        roundtrip(request(id, ClientHello { min_version, max_version }));
        roundtrip(success(id, Response::ClientHello(ServerHello { current_version: current })));
    }

    /// A success packet decoded without its opcode keeps its item's bytes: re-encoded
    /// verbatim (a relay), and typed on demand.
    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn received_success(id: i64, v in option::of(value())) {
        let item = v.as_ref().map(|v| {
            let mut buf = vec![0u8; 64];
            let n = xentara_ws::encode(&v.borrow(), &mut buf).unwrap();
            buf.truncate(n);
            buf
        });
        let packet = Packet::Success(Success::new(id, Response::Write(())));
        let mut message = vec![0u8; 128];
        let n = packet.encode_message(&mut message).unwrap();
        message.truncate(n);
        if let Some(item) = &item {
            // [[1, id]] → [[1, id, item]]
            message[1] += 1;
            message.extend_from_slice(item);
        }
        let decoded = Batch::new(&message).unwrap().into_iter().next().unwrap().unwrap();
        let Packet::Success(s) = &decoded else { panic!() };
        prop_assert_eq!(s.item_bytes(), item.as_deref());
        let mut again = vec![0u8; 128];
        let m = decoded.encode_message(&mut again).unwrap();
        prop_assert_eq!(&again[..m], &message[..]);
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn error_response(id: i64, e in error_object()) {
        roundtrip(Packet::Error(ErrorResponse { id, error: as_error(&e) }));
    }

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn data_change(t in time(), element in uuid(),
                   values in vec((attr(), prop_oneof![value().prop_map(Ok), error_object().prop_map(Err)]), 0..4)) {
        let values: Vec<_> = values.iter().map(|(a, r)| (*a, match r {
            Ok(v) => AttrResult::Value(v.borrow()),
            Err(e) => AttrResult::Error(as_error(e)),
        })).collect();
        roundtrip(Packet::Event(Event::DataChange(DataChange { time: t, element, values: Seq::from_slice(&values) })));
    }

    /// Floats are written at the shortest width that holds them exactly.
    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn floats_are_shortest(x in float()) {
        let mut buf = [0u8; 16];
        let n = xentara_ws::encode(&x, &mut buf).unwrap();
        let width = if half::f16::from_f64(x).to_f64() == x { 3 } else if f64::from(x as f32) == x { 5 } else { 9 };
        prop_assert_eq!(n, width);
    }
}

/// A batch of many packets round-trips through [`BatchWriter`] and [`Batch`], including
/// the head growing from one byte to two at 24 packets.
#[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
#[test]
fn batch_writer_grows_the_head() {
    for count in [0usize, 1, 23, 24, 255, 256] {
        let mut buf = vec![0u8; 16 * 1024];
        let mut w = BatchWriter::new(&mut buf);
        for id in 0..count {
            w.push(&request(id as i64, GetStage)).unwrap();
        }
        let bytes = w.finish().unwrap().to_vec();
        let packets: Vec<_> = Batch::new(&bytes)
            .unwrap()
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(packets.len(), count);
        let expected: Vec<_> = (0..count).map(|id| request(id as i64, GetStage)).collect();
        let mut again = vec![0u8; 16 * 1024];
        let n = encode_batch(&expected, &mut again).unwrap();
        assert_eq!(&again[..n], &bytes[..]);
    }
}

/// A full writer refuses the packet and keeps what it has.
#[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
#[test]
fn batch_writer_keeps_packets_that_fit() {
    let mut buf = [0u8; 14];
    let mut w = BatchWriter::new(&mut buf);
    w.push(&request(1, GetStage)).unwrap(); // 4 bytes
    w.push(&request(2, GetStage)).unwrap();
    w.push(&request(3, GetStage)).unwrap();
    assert_eq!(
        w.push(&request(4, GetStage)),
        Err(EncodeError::BufferTooSmall { required: 17 })
    );
    assert_eq!(w.len(), 3);
    assert_eq!(
        w.finish().unwrap(),
        [0x83, 0x83, 0, 1, 8, 0x83, 0, 2, 8, 0x83, 0, 3, 8]
    );
}

/// A packet that fits in the buffer but not once the outer array's head grows (at 24
/// packets, from one byte to two) is refused too, so that the message still finishes.
#[test]
fn batch_writer_refuses_the_packet_its_head_would_not_fit() {
    // The head and 24 packets of 4 bytes, with the head at one byte.
    let mut buf = [0u8; 1 + 24 * 4];
    let mut w = BatchWriter::new(&mut buf);
    for id in 0..23 {
        w.push(&request(id, GetStage)).unwrap();
    }
    assert_eq!(
        w.push(&request(23, GetStage)),
        Err(EncodeError::BufferTooSmall { required: 98 })
    );
    assert_eq!(w.len(), 23);
    let message = w.finish().unwrap();
    assert_eq!(message.len(), 1 + 23 * 4);
    assert_eq!(message[..5], [0x97, 0x83, 0, 0, 8]);
}
