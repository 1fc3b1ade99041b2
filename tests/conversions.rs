//! What a user expects to find (issue 13): the standard attributes' UUIDs, time points
//! from and to `Duration` (and `SystemTime` with `std`), and `Value` from Rust values.

use core::time::Duration;

use xentara_ws::{Attribute, AttributeId, Text, TimePoint, Uuid, Value};

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
