//! What a user expects to find: the standard attributes' UUIDs, time
//! points from and to `Duration` (and `SystemTime` with `std`), `Value` from Rust values,
//! and the helpers every client writes otherwise (a subscribe's literal, a response's UUID,
//! an error's text, an outcome's id).

use core::time::Duration;

use xentara_ws::params::{Subscribe, SubscriptionEntry};
use xentara_ws::session::{ClientSession, Lost, Outcome, Unexpected};
use xentara_ws::{
    Attribute, AttributeId, Batch, Command, DataChange, DecodeError, DecodeErrorKind, ErrorCode,
    ErrorObject, Opcode, Response, Seq, Text, TimePoint, Uuid, Value, encode,
};

#[test]
fn the_four_known_attribute_uuids_map_both_ways() {
    let value = Uuid::parse_str("4aa0e4e0-521e-4599-a985-e454baa59f89").unwrap();
    for (attribute, uuid) in [
        (
            Attribute::PrimaryKey,
            "ed22790e-261b-4a23-bfcc-6175a5571b33",
        ),
        (
            Attribute::ChangeTime,
            "54f09787-dcbe-4fbf-9a02-524e469eea47",
        ),
        (Attribute::Quality, "d3c4b709-bccf-4665-9621-abfb5c6addce"),
        (Attribute::Value, "4aa0e4e0-521e-4599-a985-e454baa59f89"),
    ] {
        let uuid = Uuid::parse_str(uuid).unwrap();
        assert_eq!(attribute.uuid(), Some(uuid));
        assert_eq!(Attribute::from_uuid(&uuid), Some(attribute));
    }
    assert_eq!(Attribute::Name.uuid(), None);
    assert_eq!(Attribute::from_uuid(&Uuid::nil()), None);
    let by_uuid = AttributeId::Uuid(value);
    assert_eq!(by_uuid.standard(), Some(Attribute::Value));
    assert!(by_uuid.same_as(&AttributeId::Standard(Attribute::Value)));
    assert!(!by_uuid.same_as(&AttributeId::Standard(Attribute::Quality)));
    let other = AttributeId::Uuid(Uuid::from_u128(5));
    assert!(other.same_as(&other) && !other.same_as(&by_uuid));
}

#[test]
fn time_points_convert_to_and_from_durations() {
    let d = Duration::new(1_700_000_000, 123_456_789);
    let t = TimePoint::from_duration(d);
    assert_eq!(t, TimePoint::from_nanos(1_700_000_000_123_456_789));
    assert_eq!(t.to_duration(), Some(d));
    // Other forms.
    assert_eq!(
        TimePoint::Seconds(5).to_duration(),
        Some(Duration::from_secs(5))
    );
    assert_eq!(
        TimePoint::FloatSeconds(1.5).to_duration(),
        Some(Duration::from_millis(1500))
    );
    let millis = TimePoint::Decimal {
        exponent: -3,
        mantissa: 1_700_000_000_123,
    };
    assert_eq!(
        millis.to_duration(),
        Some(Duration::new(1_700_000_000, 123_000_000))
    );
    let tens = TimePoint::Decimal {
        exponent: 1,
        mantissa: 3,
    };
    assert_eq!(tens.to_duration(), Some(Duration::from_secs(30)));
    // Picoseconds are cut to nanoseconds.
    let pico = TimePoint::Decimal {
        exponent: -12,
        mantissa: 1_500,
    };
    assert_eq!(pico.to_duration(), Some(Duration::from_nanos(1)));
    // Before the epoch, infinite, out of range: none.
    for t in [
        TimePoint::Seconds(-1),
        TimePoint::FloatSeconds(-0.5),
        TimePoint::Infinite { negative: false },
        TimePoint::Decimal {
            exponent: 400,
            mantissa: 1,
        },
        TimePoint::Decimal {
            exponent: -3,
            mantissa: -1,
        },
    ] {
        assert_eq!(t.to_duration(), None, "{t:?}");
    }
    // Past 2262 nanoseconds do not fit an i64: whole seconds.
    let far = Duration::from_secs(10_000_000_000);
    assert_eq!(
        TimePoint::from_duration(far),
        TimePoint::Seconds(10_000_000_000)
    );
}

#[cfg(feature = "std")]
#[test]
fn time_points_convert_to_and_from_system_time() {
    use std::time::{SystemTime, UNIX_EPOCH};
    let at = UNIX_EPOCH + Duration::new(1_700_000_000, 5);
    let t = TimePoint::from(at);
    assert_eq!(t, TimePoint::from_nanos(1_700_000_000_000_000_005));
    assert_eq!(SystemTime::try_from(t), Ok(at));
    let before = UNIX_EPOCH - Duration::from_secs(1);
    assert_eq!(
        TimePoint::from(before),
        TimePoint::from_nanos(-1_000_000_000)
    );
    let infinite = TimePoint::Infinite { negative: true };
    assert_eq!(SystemTime::try_from(infinite), Err(infinite));
}

#[test]
fn values_come_from_rust_values() {
    let uuid = Uuid::from_u128(7);
    let time = TimePoint::Seconds(1);
    let cases: [(Value<'_>, Value<'_>); 12] = [
        (true.into(), Value::Bool(true)),
        ((-5i8).into(), Value::Int(-5)),
        (7u16.into(), Value::Int(7)),
        ((-7i32).into(), Value::Int(-7)),
        (i64::MIN.into(), Value::Int(i64::MIN)),
        (u64::MAX.into(), Value::UInt(u64::MAX)),
        (42u64.into(), Value::Int(42)),
        (1.5f32.into(), Value::Float(1.5)),
        (42.5f64.into(), Value::Float(42.5)),
        ("read only".into(), Value::Text(Text::new("read only"))),
        (uuid.into(), Value::Uuid(uuid)),
        (time.into(), Value::Time(time)),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn a_subscribe_is_built_in_two_lines_and_encodes_as_the_literal_does() {
    const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
    let attrs = [AttributeId::Standard(Attribute::Value)];
    let entries = [SubscriptionEntry::new(E3EE, &attrs)];
    let built = Subscribe::new(&entries)
        .with_rates(Some(100), Some(1000))
        .with_desired_id(Uuid::from_u128(7));
    let literal_entries = [SubscriptionEntry {
        element: E3EE,
        attributes: Seq::from_slice(&attrs),
    }];
    let literal = Subscribe {
        entries: Seq::from_slice(&literal_entries),
        maximum_update_rate: Some(100),
        minimum_update_rate: Some(1000),
        desired_subscription_id: Some(Uuid::from_u128(7)),
    };
    assert_eq!(built, literal);
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    let n = encode(&built, &mut a).unwrap();
    assert_eq!(encode(&literal, &mut b).unwrap(), n);
    assert_eq!(a[..n], b[..n]);
    // Neither rate and no desired id by default.
    let plain = Subscribe::new(&entries);
    assert_eq!(
        (
            plain.maximum_update_rate,
            plain.minimum_update_rate,
            plain.desired_subscription_id
        ),
        (None, None, None)
    );
}

#[test]
fn a_response_names_its_uuid_and_an_error_its_text() {
    let u = Uuid::from_u128(5);
    assert_eq!(Response::Lookup(u).uuid(), Some(u));
    assert_eq!(Response::CreateSubSession(u).uuid(), Some(u));
    assert_eq!(Response::Subscribe(Some(u)).uuid(), Some(u));
    assert_eq!(Response::Subscribe(None).uuid(), None);
    assert_eq!(Response::Write(()).uuid(), None);

    let bare = ErrorObject {
        code: ErrorCode::UnknownElement,
        message: None,
    };
    assert_eq!(bare.text(), ErrorCode::UnknownElement.message());
    let sent = ErrorObject {
        code: ErrorCode::UnknownElement,
        message: Some(Text::new("no such element")),
    };
    assert_eq!(sent.text(), "no such element");
}

#[test]
fn every_outcome_but_an_event_names_its_id() {
    // [[1, 5, <cut>]]: the packet's id is read; 5: not a message at all.
    let error = |bytes: &[u8]| -> DecodeError {
        match Batch::new(bytes) {
            Ok(batch) => batch.iter().find_map(Result::err).unwrap(),
            Err(e) => e,
        }
    };
    let (with_id, without_id) = (error(&[0x81, 0x83, 0x01, 0x05]), error(&[0x05]));
    assert_eq!(with_id.kind(), DecodeErrorKind::Truncated);
    let change = DataChange {
        time: TimePoint::Seconds(1),
        element: Uuid::nil(),
        values: Seq::from_slice(&[]),
    };
    let outcomes = [
        Outcome::Success {
            id: 1,
            response: Response::Write(()),
        },
        Outcome::Error {
            id: 2,
            opcode: Opcode::Write,
            error: ErrorObject::new(ErrorCode::ReadOnly),
        },
        Outcome::Unexpected {
            id: 3,
            reason: Unexpected::UnknownId,
        },
        Outcome::Lost {
            id: 4,
            opcode: Opcode::Read,
            cause: Lost::TimedOut,
        },
        Outcome::Invalid(with_id),
        Outcome::Invalid(without_id),
        Outcome::Event(change),
    ];
    let ids: Vec<_> = outcomes.iter().map(Outcome::id).collect();
    assert_eq!(
        ids,
        [Some(1), Some(2), Some(3), Some(4), Some(5), None, None]
    );
    // As the client hands them out: the hello's id.
    let mut client: ClientSession = ClientSession::default();
    let mut out = [0u8; 64];
    let mut batch = client.start_batch(&mut out);
    let _ = batch
        .request(Command::from(xentara_ws::params::GetStage))
        .unwrap();
    let _ = batch.finish().unwrap();
    let reply = [0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01];
    let reply = Batch::new(&reply).unwrap();
    let ids: Vec<_> = client.handle_message(&reply).map(|o| o.id()).collect();
    assert_eq!(ids, [Some(1)]);
}

/// A text that came in chunks displays as the joined `str` does, width, precision,
/// alignment and fill included.
#[test]
fn a_chunked_text_pads_and_cuts_as_the_joined_str() {
    // 0x7f "ab" "cdé" "f" 0xff: `abcdéf` in three chunks, one char of two bytes.
    let mut bytes = vec![0x7f, 0x62];
    bytes.extend(b"ab");
    bytes.push(0x64);
    bytes.extend("cdé".as_bytes());
    bytes.push(0x61);
    bytes.extend(b"f");
    bytes.push(0xff);
    let text: Text<'_> = xentara_ws::decode(&bytes).unwrap();
    assert_eq!(text.as_str(), None, "kept in chunks");
    let whole = "abcdéf";
    let pairs = [
        (text.to_string(), whole.to_string()),
        (format!("{text:>10.3}"), format!("{whole:>10.3}")),
        (format!("{text:10}"), format!("{whole:10}")),
        (format!("{text:*^11}"), format!("{whole:*^11}")),
        (format!("{text:.5}"), format!("{whole:.5}")),
        (format!("{text:.0}|"), format!("{whole:.0}|")),
        (format!("{text:3.9}"), format!("{whole:3.9}")),
    ];
    for (chunked, joined) in pairs {
        assert_eq!(chunked, joined);
    }
    assert_eq!(format!("{text:>10.3}"), "       abc");
    assert_eq!(format!("{text:-<8.5}"), "abcdé---");
}
