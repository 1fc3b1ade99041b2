//! Time points (spec 9.3, spec notes D11).
//!
//! The documented form is `1001({4: 4([exponent, mantissa])})` (RFC 9581 extended time with
//! a decimal fraction); real peers also use `1(seconds)` with an integer or a float. All of
//! them decode, and each re-encodes in the form it came in, so a relay changes nothing.
//! ±Infinity (the smallest and largest time point) is written `1001({1: ±Infinity})`: the
//! spec's encoding was cut off, and this is the RFC 9581 shape for a float base time.

use core::time::Duration;

use crate::cbor::{Cbor, Reader, Writer, int_at, is_malformed_start};
use crate::error::DecodeErrorKind;
use crate::error::Expected;
use crate::error::field::Field;

/// A point in time, in seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimePoint {
    /// `mantissa × 10^exponent` seconds: `1001({4: 4([exponent, mantissa])})`, the documented
    /// form (exponent -9 for nanoseconds, -6 micro, -3 milli).
    Decimal {
        /// The power of ten.
        exponent: i64,
        /// The scaled count.
        mantissa: i64,
    },
    /// Whole seconds: `1(n)` (or a bare integer when decoding).
    Seconds(i64),
    /// Fractional seconds: `1(x)` with a finite float (or a bare float when decoding).
    FloatSeconds(f64),
    /// The largest (`false`) or smallest (`true`) time point: `1001({1: ±Infinity})`.
    Infinite {
        /// True for -Infinity.
        negative: bool,
    },
}

/// Tag 1: epoch-based date/time.
pub const EPOCH_TAG: u64 = 1;
/// Tag 1001: extended time (RFC 9581).
pub const EXTENDED_TIME_TAG: u64 = 1001;
/// Tag 4: decimal fraction.
pub const DECIMAL_FRACTION_TAG: u64 = 4;

impl TimePoint {
    /// Nanoseconds since the epoch, in the documented form.
    pub const fn from_nanos(nanos: i64) -> Self {
        TimePoint::Decimal {
            exponent: -9,
            mantissa: nanos,
        }
    }

    /// The time `since_epoch` after the Unix epoch: nanoseconds in the documented form
    /// (until the year 2262), whole seconds after that.
    pub fn from_duration(since_epoch: Duration) -> Self {
        match i64::try_from(since_epoch.as_nanos()) {
            Ok(nanos) => TimePoint::from_nanos(nanos),
            Err(_) => TimePoint::Seconds(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)),
        }
    }

    /// The time since the Unix epoch, exact to the nanosecond; `None` before the epoch,
    /// for the infinite time points and beyond `Duration`'s range.
    pub fn to_duration(&self) -> Option<Duration> {
        match *self {
            TimePoint::Seconds(s) => u64::try_from(s).ok().map(Duration::from_secs),
            TimePoint::FloatSeconds(x) => Duration::try_from_secs_f64(x).ok(),
            TimePoint::Infinite { .. } => None,
            TimePoint::Decimal { exponent, mantissa } => {
                let mantissa = u128::try_from(mantissa).ok()?;
                // Zero whatever the exponent.
                if mantissa == 0 {
                    return Some(Duration::ZERO);
                }
                // Nanoseconds: mantissa × 10^(exponent + 9).
                let shift = exponent.checked_add(9)?;
                let nanos = if shift >= 0 {
                    let scale = 10u128.checked_pow(u32::try_from(shift).ok()?)?;
                    mantissa.checked_mul(scale)?
                } else {
                    // A divisor past u128 (or u32 digits): less than a nanosecond.
                    match u32::try_from(-shift)
                        .ok()
                        .and_then(|s| 10u128.checked_pow(s))
                    {
                        Some(scale) => mantissa / scale,
                        None => 0,
                    }
                };
                let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
                Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
            }
        }
    }

    /// Seconds since the epoch as a float (lossy for large mantissas); ±∞ for the extremes.
    pub fn as_secs_f64(&self) -> f64 {
        match *self {
            TimePoint::Decimal { exponent, mantissa } => {
                let mut x = mantissa as f64;
                let mut e = exponent.clamp(-400, 400);
                while e < 0 {
                    x /= 10.0;
                    e += 1;
                }
                while e > 0 {
                    x *= 10.0;
                    e -= 1;
                }
                x
            }
            TimePoint::Seconds(s) => s as f64,
            TimePoint::FloatSeconds(x) => x,
            TimePoint::Infinite { negative: true } => f64::NEG_INFINITY,
            TimePoint::Infinite { negative: false } => f64::INFINITY,
        }
    }
}

/// Any time point but the documented form's minimal encoding, with the errors: one path
/// for `1(n)`, `1(x)`, a bare number, `1001({4: 4([e, m])})` and `1001({1: n})`.
#[inline(never)]
fn read_general(r: &mut Reader<'_>) -> TimePoint {
    r.in_field(Field::TIME_POINT, |r| {
        let at = r.position();
        match r.peek() {
            Some(b) if b >> 5 == 6 => match r.tag() {
                EPOCH_TAG => number(r),
                EXTENDED_TIME_TAG => extended(r),
                _ => wrong(r, Expected::TimePoint, at),
            },
            _ => number(r),
        }
    })
}

/// Fails with a wrong type at `at` (unless the reader failed already).
#[cold]
fn wrong(r: &mut Reader<'_>, expected: Expected, at: usize) -> TimePoint {
    r.fail(DecodeErrorKind::WrongType(expected), at);
    TimePoint::EMPTY
}

/// A number of seconds (tag 1's content, 1001's key 1, or a bare number).
fn number(r: &mut Reader<'_>) -> TimePoint {
    let at = r.position();
    match r.peek().map(|b| b >> 5) {
        Some(0 | 1) => TimePoint::Seconds(r.int()),
        Some(7) => {
            // On the bits: no soft-float comparisons on a single-precision FPU.
            let x = r.f64();
            let bits = x.to_bits();
            match (bits >> 52 & 0x7ff, bits << 12) {
                (0x7ff, 0) => TimePoint::Infinite {
                    negative: bits >> 63 == 1,
                },
                (0x7ff, _) => {
                    r.fail(DecodeErrorKind::InvalidValue, at);
                    TimePoint::EMPTY
                }
                _ => TimePoint::FloatSeconds(x),
            }
        }
        _ => {
            r.wrong_type(Expected::TimePoint);
            TimePoint::EMPTY
        }
    }
}

/// The map of tag 1001: key 4 (decimal fraction) or key 1 (base time), not both; other
/// keys skipped.
fn extended(r: &mut Reader<'_>) -> TimePoint {
    let at = r.position();
    let mut len = r.map();
    let mut found: Option<TimePoint> = None;
    while r.has_next(&mut len) {
        let key_at = r.position();
        let key = match r.peek().map(|b| b >> 5) {
            Some(0 | 1) => r.int(),
            _ => {
                r.skip();
                -1
            }
        };
        let value = match key {
            4 => decimal_fraction(r),
            1 => number(r),
            _ => {
                r.skip();
                continue;
            }
        };
        if found.is_some() {
            r.fail(DecodeErrorKind::DuplicateKey(key as u64), key_at);
        }
        found = Some(value);
    }
    match found {
        Some(t) => t,
        None => {
            r.fail(DecodeErrorKind::MissingKey(4), at);
            TimePoint::EMPTY
        }
    }
}

/// `4([exponent, mantissa])`, RFC 8949 §3.4.4.
fn decimal_fraction(r: &mut Reader<'_>) -> TimePoint {
    let at = r.position();
    match r.peek() {
        Some(b) if b >> 5 == 6 => {
            if r.tag() != DECIMAL_FRACTION_TAG {
                return wrong(r, Expected::DecimalFraction, at);
            }
        }
        Some(b) if !is_malformed_start(b) => return wrong(r, Expected::DecimalFraction, at),
        _ => {
            r.wrong_type(Expected::DecimalFraction);
            return TimePoint::EMPTY;
        }
    }
    // Errors about the pair point at its array.
    let pair_at = r.position();
    let mut parts = r.array();
    let mut ints = [0i64; 2];
    let mut n = 0;
    if matches!(parts.count(), Some(2) | None) {
        while n < 2 && r.has_next(&mut parts) {
            ints[n] = r.int();
            n += 1;
        }
    }
    if n < 2 || r.has_next(&mut parts) {
        return wrong(r, Expected::ExponentMantissa, pair_at);
    }
    TimePoint::Decimal {
        exponent: ints[0],
        mantissa: ints[1],
    }
}

impl<'b> Cbor<'b> for TimePoint {
    const EMPTY: Self = TimePoint::Seconds(0);

    #[inline]
    fn read(r: &mut Reader<'b>) -> Self {
        let at = r.position();
        // Fast path: the documented form, `1001({4: 4([exponent, mantissa])})`.
        const DECIMAL: [u8; 7] = [0xd9, 0x03, 0xe9, 0xa1, 0x04, 0xc4, 0x82];
        let input = r.input();
        if input.get(at..at + 7) == Some(&DECIMAL[..])
            && let Some((exponent, e)) = int_at(input, at + 7)
            && let Some((mantissa, m)) = int_at(input, at + 7 + e)
        {
            r.set_position(at + 7 + e + m);
            return TimePoint::Decimal { exponent, mantissa };
        }
        read_general(r)
    }

    fn write(&self, w: &mut Writer<'_>) {
        match *self {
            TimePoint::Decimal { exponent, mantissa } => {
                w.tag(EXTENDED_TIME_TAG);
                w.map(1);
                w.uint(4);
                w.tag(DECIMAL_FRACTION_TAG);
                w.array(2);
                w.int(exponent);
                w.int(mantissa);
            }
            TimePoint::Seconds(s) => {
                w.tag(EPOCH_TAG);
                w.int(s);
            }
            TimePoint::FloatSeconds(x) => {
                w.tag(EPOCH_TAG);
                w.f64(x);
            }
            TimePoint::Infinite { negative } => {
                w.tag(EXTENDED_TIME_TAG);
                w.map(1);
                w.uint(1);
                w.f64(if negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                });
            }
        }
    }

    arbitrary_element!();
}

defmt_via_debug!(TimePoint);

#[cfg(feature = "std")]
impl From<std::time::SystemTime> for TimePoint {
    /// Nanoseconds since the epoch (negative before it).
    fn from(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => TimePoint::from_duration(d),
            Err(before) => match i64::try_from(before.duration().as_nanos()) {
                Ok(nanos) => TimePoint::from_nanos(-nanos),
                Err(_) => TimePoint::Infinite { negative: true },
            },
        }
    }
}

#[cfg(feature = "std")]
impl TryFrom<TimePoint> for std::time::SystemTime {
    type Error = TimePoint;

    /// The time point as a `SystemTime`; the time point back when it is before the epoch,
    /// infinite or out of range.
    fn try_from(t: TimePoint) -> Result<Self, TimePoint> {
        t.to_duration()
            .and_then(|d| std::time::UNIX_EPOCH.checked_add(d))
            .ok_or(t)
    }
}
