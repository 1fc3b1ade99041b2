//! Properties of the typed API beside the codec, on generated inputs, and the exact texts
//! it displays:
//!
//! - [`Text`] and [`Bytes`] that came in chunks (any split, empty chunks too) equal the same
//!   string in one slice, both ways and against `str`/`[u8]`, and hash, display,
//!   debug-print, measure and re-encode (as one definite string) the same; two strings are
//!   equal exactly when their bytes are, however each is split;
//! - [`TimePoint`]: `from_duration` → `to_duration` round-trips, `to_duration` is exact to
//!   the nanosecond, the same under any scale of a decimal and `None` exactly before the
//!   epoch and for the infinite points; `as_secs_f64`; `SystemTime` both ways (with the
//!   `std` feature); `Display`
//!   reads back to the same nanosecond over all of `i64`;
//! - [`Value`]'s `From` conversions and `Display` of a time;
//! - the numbered tables, [`ErrorCode`] and [`Opcode`] from numbers; [`AttributeId`]'s
//!   `standard` and `same_as`;
//! - [`VersionRange`], the subscribe builders, standalone scalars into buffers of any size;
//! - [`ClientSession::new`] and `default()` without a type annotation.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use xentara_ws::params::{ClientHello, Subscribe, SubscriptionEntry};
use xentara_ws::session::{ClientSession, ClientState, VersionRange};
use xentara_ws::{
    Access, Attribute, AttributeId, Bytes, Command, DataType, ElementCategory, EncodeError,
    ErrorCode, ErrorObject, MetaDataId, Opcode, Quality, Seq, ServerInfo, Stage, Text, TimePoint,
    Uuid, Value, decode, encode, encoded_len,
};

// ---- Chunked strings ----

/// `whole` split at the `cuts` (scaled to its length, each moved on to a char boundary).
fn split<'s>(whole: &'s [u8], cuts: &[u8], boundary: impl Fn(usize) -> bool) -> Vec<&'s [u8]> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|&c| {
            let mut i = usize::from(c) * (whole.len() + 1) / 256;
            while !boundary(i) {
                i += 1;
            }
            i
        })
        .collect();
    at.sort_unstable();
    at.push(whole.len());
    let mut from = 0;
    at.into_iter()
        .map(|to| (&whole[from..to], from = to).0)
        .collect()
}

/// A CBOR head of major type `major`, at its shortest.
fn head(out: &mut Vec<u8>, major: u8, n: usize) {
    let m = major << 5;
    match n {
        0..24 => out.push(m | n as u8),
        24..256 => out.extend([m | 24, n as u8]),
        _ => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
    }
}

/// The string of major type `major` as `parts`: indefinite, one chunk each; or definite
/// when there is one part and `definite`.
fn string(major: u8, parts: &[&[u8]], definite: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if definite && parts.len() == 1 {
        head(&mut out, major, parts[0].len());
        out.extend_from_slice(parts[0]);
        return out;
    }
    out.push(major << 5 | 31);
    for part in parts {
        head(&mut out, major, part.len());
        out.extend_from_slice(part);
    }
    out.push(0xff);
    out
}

fn hash<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// A value encoded standalone: `encoded_len` is what `encode` writes, and a buffer one byte
/// short reports that size. (A macro: the crate's `Cbor` trait cannot be named.)
macro_rules! encoded {
    ($value:expr) => {{
        let value = $value;
        let n = encoded_len(value);
        let mut buf = vec![0; n];
        assert_eq!(encode(value, &mut buf), Ok(n));
        let mut short = vec![0; n - 1];
        assert_eq!(
            encode(value, &mut short),
            Err(EncodeError::BufferTooSmall { required: n })
        );
        buf
    }};
}

fn strings() -> impl Strategy<Value = (String, Vec<u8>, String, Vec<u8>)> {
    (
        ".{0,12}",
        vec(any::<u8>(), 0..6),
        ".{0,12}",
        vec(any::<u8>(), 0..6),
        any::<bool>(),
    )
        .prop_map(|(s, cuts, other, other_cuts, same)| {
            let other = if same { s.clone() } else { other };
            (s, cuts, other, other_cuts)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    #[allow(clippy::nonminimal_bool)] // Both orders of each comparison, on purpose.
    fn chunked_text_is_the_text((s, cuts, other, other_cuts) in strings(), definite in any::<bool>()) {
        let parts = split(s.as_bytes(), &cuts, |i| s.is_char_boundary(i));
        let bytes = string(3, &parts, definite);
        let t: Text<'_> = decode(&bytes).unwrap();
        let whole = Text::new(&s);
        prop_assert!(t == whole && whole == t && t == *s && t == s.as_str() && *s == t && s.as_str() == t);
        prop_assert_eq!(hash(&t), hash(&whole));
        prop_assert_eq!(t.to_string(), s.as_str());
        prop_assert_eq!(format!("{t:?}"), format!("{s:?}"));
        prop_assert_eq!(format!("{whole:?}"), format!("{s:?}"));
        prop_assert_eq!((t.len(), t.is_empty()), (s.len(), s.is_empty()));
        prop_assert_eq!(t.chunks().collect::<String>(), s.as_str());
        let one = parts.len() == 1;
        prop_assert_eq!(t.as_str(), one.then_some(s.as_str()));
        if !one {
            let chunks: Vec<&[u8]> = t.chunks().map(str::as_bytes).collect();
            prop_assert_eq!(chunks, parts.clone());
        }
        prop_assert_eq!(encoded!(&t), string(3, &[s.as_bytes()], true));
        prop_assert_eq!(Value::Text(t).to_string(), format!("{s:?}"));
        prop_assert_eq!(Value::from(s.as_str()), Value::Text(whole));
        // Equal to another split string exactly when the bytes are.
        let other_parts = split(other.as_bytes(), &other_cuts, |i| other.is_char_boundary(i));
        let other_bytes = string(3, &other_parts, false);
        let o: Text<'_> = decode(&other_bytes).unwrap();
        let same = s == other;
        prop_assert_eq!((t == o, o == t, t == other.as_str(), other.as_str() == t), (same, same, same, same));
        if same {
            prop_assert_eq!(hash(&t), hash(&o));
        }
        if let Some((cut, _)) = s.char_indices().last() {
            prop_assert!(t != s[..cut] && Text::new(&s[..cut]) != t);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    #[allow(clippy::nonminimal_bool)]
    fn chunked_bytes_are_the_bytes(
        b in vec(any::<u8>(), 0..12), cuts in vec(any::<u8>(), 0..6),
        other in vec(any::<u8>(), 0..12), other_cuts in vec(any::<u8>(), 0..6),
        same in any::<bool>(), definite in any::<bool>(),
    ) {
        let other = if same { b.clone() } else { other };
        let parts = split(&b, &cuts, |_| true);
        let bytes = string(2, &parts, definite);
        let x: Bytes<'_> = decode(&bytes).unwrap();
        let whole = Bytes::new(&b);
        prop_assert!(x == whole && whole == x && x == *b && x == b.as_slice());
        prop_assert_eq!(hash(&x), hash(&whole));
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        prop_assert_eq!(format!("{x:?}"), format!("h'{hex}'"));
        prop_assert_eq!(Value::Bytes(x).to_string(), format!("h'{hex}'"));
        prop_assert_eq!((x.len(), x.is_empty()), (b.len(), b.is_empty()));
        prop_assert_eq!(x.chunks().flatten().copied().collect::<Vec<u8>>(), b.clone());
        let one = parts.len() == 1;
        prop_assert_eq!(x.as_slice(), one.then_some(b.as_slice()));
        prop_assert_eq!(encoded!(&x), string(2, &[&b], true));
        let other_bytes = string(2, &split(&other, &other_cuts, |_| true), false);
        let o: Bytes<'_> = decode(&other_bytes).unwrap();
        prop_assert_eq!((x == o, o == x, x == other.as_slice()), (b == other, b == other, b == other));
        if b == other {
            prop_assert_eq!(hash(&x), hash(&o));
        }
    }
}

// ---- Time points ----

/// Any time point: decimals of any scale (mostly near nanoseconds), whole and fractional
/// seconds, the infinite ones.
fn time_points() -> impl Strategy<Value = TimePoint> {
    prop_oneof![
        (-30i64..30, any::<i64>())
            .prop_map(|(exponent, mantissa)| TimePoint::Decimal { exponent, mantissa }),
        (any::<i64>(), any::<i64>())
            .prop_map(|(exponent, mantissa)| TimePoint::Decimal { exponent, mantissa }),
        any::<i64>().prop_map(TimePoint::Seconds),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(TimePoint::FloatSeconds),
        (-1e12f64..1e12).prop_map(TimePoint::FloatSeconds),
        any::<bool>().prop_map(|negative| TimePoint::Infinite { negative }),
    ]
}

/// `SystemTime` both ways: a point with a duration since the epoch is that time, any
/// other comes back as the error; a time before the epoch is its negative nanoseconds.
#[cfg(feature = "std")]
fn system_time(t: TimePoint) {
    use std::time::{SystemTime, UNIX_EPOCH};
    match t
        .to_duration()
        .and_then(|d| UNIX_EPOCH.checked_add(d).map(|st| (d, st)))
    {
        Some((d, st)) => {
            assert_eq!(SystemTime::try_from(t), Ok(st));
            assert_eq!(TimePoint::from(st), TimePoint::from_duration(d));
        }
        None => assert_eq!(SystemTime::try_from(t), Err(t)),
    }
    if let TimePoint::Decimal {
        exponent: -9,
        mantissa: n @ ..0,
    } = t
    {
        let before = UNIX_EPOCH - Duration::from_nanos(n.unsigned_abs());
        assert_eq!(TimePoint::from(before), t);
    }
}

#[cfg(not(feature = "std"))]
fn system_time(_: TimePoint) {}

/// The day count of a proleptic Gregorian date from 1970-01-01 (Howard Hinnant's
/// `days_from_civil`): the inverse of what `Display` prints.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads a displayed time back: whole seconds and nanoseconds since the epoch, checking
/// the shape (a four-digit year in 0000–9999, else a sign and at least six digits).
fn parse_iso(s: &str) -> (i128, u32) {
    let (date, time) = s.split_once('T').expect("a T");
    let (year, rest) = date.split_at(date.len() - 6);
    let y: i64 = match year.as_bytes()[0] {
        b'+' | b'-' => {
            assert!(year.len() >= 7, "{s}: a signed year has six digits");
            let y: i64 = year.parse().unwrap();
            assert!(!(0..=9999).contains(&y), "{s}: signed year in 0000-9999");
            y
        }
        _ => {
            assert_eq!(year.len(), 4, "{s}");
            year.parse().unwrap()
        }
    };
    let m: i64 = rest[1..3].parse().unwrap();
    let d: i64 = rest[4..6].parse().unwrap();
    assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{s}");
    assert_eq!((&rest[..1], &rest[3..4], time.len()), ("-", "-", 19), "{s}");
    let field = |r: std::ops::Range<usize>| time[r].parse::<i64>().unwrap();
    let (h, min, sec) = (field(0..2), field(3..5), field(6..8));
    assert!(h < 24 && min < 60 && sec < 60, "{s}");
    assert_eq!(
        (&time[2..3], &time[5..6], &time[8..9], &time[18..]),
        (":", ":", ".", "Z")
    );
    let days = i128::from(days_from_civil(y, m, d));
    (
        days * 86_400 + i128::from(h * 3600 + min * 60 + sec),
        time[9..18].parse().unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn nanoseconds_round_trip(nanos in any::<u64>()) {
        let d = Duration::from_nanos(nanos);
        let t = TimePoint::from_duration(d);
        match i64::try_from(nanos) {
            Ok(n) => prop_assert_eq!(t, TimePoint::from_nanos(n)),
            Err(_) => prop_assert_eq!(t, TimePoint::Seconds((nanos / 1_000_000_000) as i64)),
        }
        if let Ok(n) = i64::try_from(nanos) {
            prop_assert_eq!(t.to_duration(), Some(d));
            system_time(t);
            system_time(TimePoint::from_nanos(-n));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn whole_seconds_after_2262(secs in (i64::MAX as u64 / 1_000_000_000 + 1)..u64::MAX, nanos in 0u32..1_000_000_000) {
        let t = TimePoint::from_duration(Duration::new(secs, nanos));
        let s = i64::try_from(secs).unwrap_or(i64::MAX);
        prop_assert_eq!(t, TimePoint::Seconds(s));
        prop_assert_eq!(t.to_duration(), Some(Duration::from_secs(s as u64)));
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn to_duration_is_scale_free(exponent in -60i64..60, mantissa in prop_oneof![-1i64..=1, any::<i64>()]) {
        let t = TimePoint::Decimal { exponent, mantissa };
        let d = t.to_duration();
        // `None` exactly before the epoch and beyond `Duration` (2^64 seconds).
        let x = t.as_secs_f64();
        if mantissa < 0 || x > 1.9e19 {
            prop_assert_eq!(d, None, "{:?}", t);
        } else if x < 1.8e19 {
            prop_assert!(d.is_some(), "{:?}", t);
        }
        // Ten times the mantissa at one power less is the same time.
        if let Some(m) = mantissa.checked_mul(10) {
            let finer = TimePoint::Decimal { exponent: exponent - 1, mantissa: m };
            prop_assert_eq!(finer.to_duration(), d);
            if t.to_string().ends_with('Z') {
                prop_assert_eq!(finer.to_string(), t.to_string());
            }
        }
        // Exact to the nanosecond.
        if exponent == -9 && mantissa >= 0 {
            prop_assert_eq!(d, Some(Duration::from_nanos(mantissa as u64)));
        }
        if exponent == 0 {
            prop_assert_eq!(d, TimePoint::Seconds(mantissa).to_duration());
            prop_assert_eq!(t.to_string(), TimePoint::Seconds(mantissa).to_string());
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn time_points_convert_as_documented(t in time_points()) {
        let d = t.to_duration();
        let x = t.as_secs_f64();
        match t {
            TimePoint::Seconds(s) => {
                prop_assert_eq!(d, u64::try_from(s).ok().map(Duration::from_secs));
                prop_assert_eq!(x, s as f64);
            }
            TimePoint::FloatSeconds(f) => {
                prop_assert_eq!(x.to_bits(), f.to_bits());
                if f <= -1e-9 || f >= 1.8446744073709552e19 {
                    prop_assert_eq!(d, None);
                } else if f >= 0.0 {
                    let d = d.unwrap();
                    prop_assert!((d.as_secs_f64() - f).abs() <= 1e-9 + f * 1e-15, "{:?} for {}", d, f);
                }
            }
            TimePoint::Infinite { negative } => {
                prop_assert_eq!(d, None);
                prop_assert_eq!(x, if negative { f64::NEG_INFINITY } else { f64::INFINITY });
            }
            TimePoint::Decimal { exponent, mantissa } => {
                let want = mantissa as f64 * 10f64.powi(exponent.clamp(-400, 400) as i32);
                if mantissa != 0 && want.abs() > 1e-290 && want.abs() < 1e290 && exponent.abs() < 400 {
                    prop_assert!((x - want).abs() <= want.abs() * 1e-12, "{} for {:?}", x, t);
                }
                prop_assert!(x == 0.0 || (x < 0.0) == (mantissa < 0));
            }
        }
        system_time(t);
        let bytes = encoded!(&t);
        prop_assert_eq!(decode::<TimePoint>(&bytes), Ok(t));
        prop_assert_eq!(Value::from(t).to_string(), t.to_string());
    }

    /// `Display` names the same nanosecond, rounded towards the past, over all of `i64`
    /// seconds; too far out, the number of seconds.
    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn time_points_display_their_time(t in time_points()) {
        let shown = t.to_string();
        let exact: Option<(i128, u32)> = match t {
            TimePoint::Seconds(s) => Some((i128::from(s), 0)),
            TimePoint::Decimal { exponent, mantissa } if (-9..=0).contains(&exponent) => {
                let scale = 10i128.pow((exponent + 9) as u32);
                let nanos = i128::from(mantissa) * scale;
                Some((nanos.div_euclid(1_000_000_000), nanos.rem_euclid(1_000_000_000) as u32))
            }
            TimePoint::Decimal { exponent, mantissa } if exponent < -9 => {
                let nanos = i128::from(mantissa).div_euclid(10i128.checked_pow((-9 - exponent) as u32).unwrap_or(i128::MAX));
                Some((nanos.div_euclid(1_000_000_000), nanos.rem_euclid(1_000_000_000) as u32))
            }
            _ => None,
        };
        match t {
            TimePoint::Infinite { negative } => prop_assert_eq!(shown, if negative { "-infinity" } else { "infinity" }),
            _ if shown.ends_with('Z') => {
                let (secs, nanos) = parse_iso(&shown);
                prop_assert!(i64::try_from(secs).is_ok());
                if let Some(exact) = exact {
                    prop_assert_eq!((secs, nanos), exact, "{}", shown);
                }
                let back = secs as f64 + f64::from(nanos) * 1e-9;
                let x = t.as_secs_f64();
                prop_assert!((back - x).abs() <= 1e-9 + x.abs() * 1e-12 || (back - x).abs() < 2.0 && x.abs() > 1e6, "{} for {:?}", shown, t);
            }
            TimePoint::Decimal { exponent, mantissa } => {
                prop_assert!(t.as_secs_f64().abs() >= 9.2e18, "{} for {:?}", shown, t);
                prop_assert_eq!(shown, format!("{mantissa}e{exponent}s"));
            }
            TimePoint::FloatSeconds(x) => {
                prop_assert!(x.abs() >= 9.2e18);
                prop_assert_eq!(shown, format!("{x:e}s"));
            }
            TimePoint::Seconds(_) => prop_assert!(false, "{} has no date", shown),
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn later_times_display_later(a in -62_167_219_200_000_000i64..253_402_300_799_000_000, b in -62_167_219_200_000_000i64..253_402_300_799_000_000) {
        // Years 0000 to 9999 (in microseconds here): the texts sort as the times do.
        let (ta, tb) = (TimePoint::Decimal { exponent: -6, mantissa: a }, TimePoint::Decimal { exponent: -6, mantissa: b });
        prop_assert_eq!(ta.to_string().cmp(&tb.to_string()), a.cmp(&b));
    }
}

#[test]
fn time_points_display_in_iso_8601_utc() {
    let cases: [(TimePoint, &str); 16] = [
        (TimePoint::from_nanos(0), "1970-01-01T00:00:00.000000000Z"),
        (
            TimePoint::from_nanos(1_714_566_896_123_456_789),
            "2024-05-01T12:34:56.123456789Z",
        ),
        (TimePoint::from_nanos(-1), "1969-12-31T23:59:59.999999999Z"),
        (
            TimePoint::Decimal {
                exponent: -3,
                mantissa: 951_782_400_000,
            },
            "2000-02-29T00:00:00.000000000Z",
        ),
        (
            TimePoint::Seconds(-62_167_219_200),
            "0000-01-01T00:00:00.000000000Z",
        ),
        (
            TimePoint::Seconds(-62_167_219_201),
            "-000001-12-31T23:59:59.000000000Z",
        ),
        (
            TimePoint::Seconds(253_402_300_800),
            "+010000-01-01T00:00:00.000000000Z",
        ),
        // The end of JavaScript's Date, which the browser module's Instant prints.
        (
            TimePoint::Seconds(8_640_000_000_000),
            "+275760-09-13T00:00:00.000000000Z",
        ),
        (
            TimePoint::Seconds(i64::MAX),
            "+292277026596-12-04T15:30:07.000000000Z",
        ),
        (
            TimePoint::Seconds(i64::MIN),
            "-292277022657-01-27T08:29:52.000000000Z",
        ),
        (
            TimePoint::FloatSeconds(-0.5),
            "1969-12-31T23:59:59.500000000Z",
        ),
        (
            TimePoint::Decimal {
                exponent: -30,
                mantissa: -1,
            },
            "1969-12-31T23:59:59.999999999Z",
        ),
        (
            TimePoint::Decimal {
                exponent: 40,
                mantissa: 5,
            },
            "5e40s",
        ),
        (TimePoint::FloatSeconds(f64::NAN), "NaNs"),
        (TimePoint::Infinite { negative: false }, "infinity"),
        (TimePoint::Infinite { negative: true }, "-infinity"),
    ];
    for (t, want) in cases {
        assert_eq!(t.to_string(), want, "{t:?}");
    }
    let t = TimePoint::from_nanos(0);
    assert_eq!(format!("[{t:>32}]"), "[  1970-01-01T00:00:00.000000000Z]");
    assert_eq!(format!("[{t:.10}]"), "[1970-01-01]");
}

#[test]
fn a_time_value_displays_as_its_time_point() {
    let v = Value::Time(TimePoint::Decimal {
        exponent: -3,
        mantissa: 1_714_566_896_123,
    });
    assert_eq!(v.to_string(), "2024-05-01T12:34:56.123000000Z");
}

// ---- Values, tables, codes ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn values_convert_to_their_variant(i in any::<i64>(), u in any::<u64>(), f in any::<f64>(), b in any::<bool>(), id in any::<u128>(), s in ".{0,8}") {
        let round = |v: Value<'_>| {
            let bytes = encoded!(&v);
            let back = decode::<Value>(&bytes).unwrap();
            assert!(back == v || matches!(v, Value::Float(x) if x.is_nan()), "{v:?}");
            assert!(!v.to_string().is_empty());
        };
        for (v, want) in [
            (Value::from(i as i8), i64::from(i as i8)),
            (Value::from(i as i16), i64::from(i as i16)),
            (Value::from(i as i32), i64::from(i as i32)),
            (Value::from(i), i),
            (Value::from(u as u8), i64::from(u as u8)),
            (Value::from(u as u16), i64::from(u as u16)),
            (Value::from(u as u32), i64::from(u as u32)),
        ] {
            prop_assert_eq!(v, Value::Int(want));
            prop_assert_eq!(v.to_string(), want.to_string());
            round(v);
        }
        let v = Value::from(u);
        prop_assert_eq!(v, i64::try_from(u).map_or(Value::UInt(u), Value::Int));
        prop_assert_eq!(v.to_string(), u.to_string());
        round(v);
        prop_assert_eq!(Value::from(b), Value::Bool(b));
        round(Value::from(b));
        prop_assert!(matches!(Value::from(f), Value::Float(x) if x.to_bits() == f.to_bits()));
        prop_assert!(matches!(Value::from(f as f32), Value::Float(x) if x.to_bits() == f64::from(f as f32).to_bits()));
        round(Value::from(f));
        let uuid = Uuid::from_u128(id);
        prop_assert_eq!(Value::from(uuid), Value::Uuid(uuid));
        prop_assert_eq!(Value::from(uuid).to_string(), uuid.hyphenated().to_string());
        prop_assert_eq!(Value::from(Text::new(&s)), Value::Text(Text::new(&s)));
        round(Value::from(s.as_str()));
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn tables_keep_their_numbers(n in prop_oneof![0u64..40, any::<u64>()]) {
        macro_rules! table {
            ($($t:ident),*) => {$({
                let v = $t::from_u64(n);
                prop_assert_eq!((v.to_u64(), u64::from(v), $t::from(n)), (n, n, v));
                match v {
                    $t::Unknown(m) => {
                        prop_assert_eq!(m, n);
                        prop_assert_eq!(v.to_string(), n.to_string());
                    }
                    known => {
                        prop_assert!(!known.name().is_empty() && known.name() != "unknown");
                        prop_assert_eq!(known.to_string(), known.name());
                    }
                }
            })*};
        }
        table!(ElementCategory, ServerInfo, MetaDataId, Attribute, Quality, Stage, Access, DataType);
        match Opcode::try_from(n) {
            Ok(op) => {
                prop_assert_eq!((Opcode::from_u64(n), op as u64), (Some(op), n));
                prop_assert_eq!(Opcode::ALL[n as usize], op);
                prop_assert_eq!(op.to_string(), op.name());
            }
            Err(_) => prop_assert_eq!((Opcode::from_u64(n), n as usize >= Opcode::ALL.len()), (None, true)),
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn error_codes_keep_their_numbers(n in prop_oneof![-32_010i64..-31_990, any::<i64>()], message in proptest::option::of(".{0,8}")) {
        let code = ErrorCode::from_i64(n);
        prop_assert_eq!((code.code(), i64::from(code), ErrorCode::from(n)), (n, n, code));
        prop_assert_eq!(matches!(code, ErrorCode::Other(_)), !ErrorCode::ALL.contains(&code));
        prop_assert!(!code.name().is_empty() && !code.message().is_empty());
        prop_assert_eq!(code.to_string(), format!("{n} ({})", code.name()));
        prop_assert_eq!(ErrorObject::new(code).text(), code.message());
        let object = ErrorObject { code, message: message.as_deref().map(Text::new) };
        prop_assert_eq!(object.text(), message.as_deref().unwrap_or(code.message()));
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn attribute_ids_name_the_same_attribute(a in 0u64..40, by_uuid in any::<bool>(), id in any::<u128>()) {
        let s = Attribute::from_u64(a);
        let number = AttributeId::from(s);
        prop_assert_eq!(number.standard(), Some(s));
        prop_assert!(number.same_as(&number));
        let other = AttributeId::from(Uuid::from_u128(id));
        prop_assert_eq!(other.standard(), None);
        prop_assert!(!number.same_as(&other) && !other.same_as(&number));
        prop_assert_eq!(decode::<AttributeId>(&encoded!(&number)), Ok(number));
        if let Some(u) = s.uuid().filter(|_| by_uuid) {
            let named = AttributeId::from(u);
            prop_assert_eq!((Attribute::from_uuid(&u), named.standard()), (Some(s), Some(s)));
            prop_assert!(named.same_as(&number) && number.same_as(&named));
            prop_assert_eq!(named.to_string(), u.hyphenated().to_string());
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn version_ranges_meet_at_the_highest_common(a in (0u64..8, 0u64..8), b in (0u64..8, 0u64..8), v in 0u64..9) {
        let (x, y) = (VersionRange::new(a.0, a.1), VersionRange::new(b.0, b.1));
        prop_assert_eq!((x.min, x.max), a);
        prop_assert_eq!(x.contains(v), a.0 <= v && v <= a.1);
        let common = x.highest_common(&y);
        prop_assert_eq!(common, y.highest_common(&x));
        let want = (a.0.max(b.0)..=a.1.min(b.1)).next_back();
        prop_assert_eq!(common, want);
        prop_assert_eq!(x.to_string(), format!("{} to {}", a.0, a.1));
        let hello = ClientHello::from(x);
        prop_assert_eq!((hello.min_version, hello.max_version), a);
        prop_assert_eq!(VersionRange::from(hello), x);
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn subscribe_builders_give_what_is_asked(
        entries in vec((any::<u128>(), vec(0u64..40, 0..4)), 0..4),
        maximum in proptest::option::of(any::<u64>()),
        minimum in proptest::option::of(any::<u64>()),
        desired in proptest::option::of(any::<u128>()),
    ) {
        let attributes: Vec<Vec<AttributeId>> = entries.iter()
            .map(|(_, a)| a.iter().map(|&n| AttributeId::from(Attribute::from_u64(n))).collect())
            .collect();
        let built: Vec<SubscriptionEntry<'_>> = entries.iter().zip(&attributes)
            .map(|((element, _), a)| SubscriptionEntry::new(Uuid::from_u128(*element), a))
            .collect();
        for (entry, ((element, _), a)) in built.iter().zip(entries.iter().zip(&attributes)) {
            prop_assert_eq!(entry.element, Uuid::from_u128(*element));
            prop_assert_eq!((entry.attributes.len(), entry.attributes.is_empty()), (a.len(), a.is_empty()));
            prop_assert_eq!(entry.attributes.iter().map(Result::unwrap).collect::<Vec<_>>(), a.clone());
            prop_assert_eq!(entry.attributes.iter().size_hint(), (0, Some(a.len())));
        }
        let plain = Subscribe::new(&built);
        prop_assert_eq!(plain.entries.len(), built.len());
        prop_assert_eq!((plain.maximum_update_rate, plain.minimum_update_rate, plain.desired_subscription_id), (None, None, None));
        let mut subscribe = plain.with_rates(maximum, minimum);
        prop_assert_eq!((subscribe.maximum_update_rate, subscribe.minimum_update_rate), (maximum, minimum));
        if let Some(d) = desired {
            subscribe = subscribe.with_desired_id(Uuid::from_u128(d));
        }
        prop_assert_eq!(subscribe.desired_subscription_id, desired.map(Uuid::from_u128));
        prop_assert_eq!((subscribe.maximum_update_rate, subscribe.minimum_update_rate), (maximum, minimum));
        let command = Command::from(subscribe.clone());
        prop_assert_eq!(command.opcode(), Opcode::Subscribe);
        prop_assert!(command.has_params() && command.sub_session().is_none());
    }

    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn scalars_round_trip_into_any_buffer(i in any::<i64>(), u in any::<u64>(), f in any::<f64>(), room in 0usize..12) {
        prop_assert_eq!(decode::<i64>(&encoded!(&i)), Ok(i));
        prop_assert_eq!(decode::<u64>(&encoded!(&u)), Ok(u));
        let back = decode::<f64>(&encoded!(&f)).unwrap();
        prop_assert!(back.to_bits() == f.to_bits() || f.is_nan() && back.is_nan());
        let v = Value::Int(i);
        let n = encoded_len(&v);
        let mut buf = vec![0; room];
        match encode(&v, &mut buf) {
            Ok(written) => prop_assert!(written == n && n <= room),
            Err(e) => {
                prop_assert_eq!(e, EncodeError::BufferTooSmall { required: n });
                prop_assert!(n > room);
                prop_assert_eq!(e.to_string(), format!("buffer too small: {n} bytes required"));
            }
        }
        let ids = [AttributeId::from(Attribute::from_u64(u % 40)); 3];
        let seq = Seq::from(&ids);
        prop_assert_eq!((seq.len(), seq.iter().count()), (3, 3));
        prop_assert_eq!(seq.iter().next(), Some(Ok(ids[0])));
    }
}

// ---- Sessions ----

#[test]
fn a_client_session_needs_no_type_annotation() {
    let client = ClientSession::new();
    assert_eq!(
        (client.state(), client.pending_len()),
        (ClientState::Idle, 0)
    );
    let other: ClientSession<2> = ClientSession::default();
    assert_eq!(other.config(), client.config());
    let with: ClientSession<2> = ClientSession::with_config(*client.config());
    assert_eq!(with.config(), client.config());
    assert_eq!(VersionRange::default(), VersionRange::V1);
    let hello = ClientHello::default();
    assert_eq!((hello.min_version, hello.max_version), (1, 1));
}

#[test]
fn empty_strings_are_empty() {
    assert_eq!(Text::default(), Text::EMPTY);
    assert_eq!(Text::EMPTY.as_str(), Some(""));
    assert_eq!(Bytes::default(), Bytes::EMPTY);
    assert_eq!(Bytes::EMPTY.as_slice(), Some(&[][..]));
    let four = [1, 2, 3, 4];
    assert!(Bytes::from(&four) == four.as_slice());
}
