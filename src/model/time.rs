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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

/// ISO 8601 in UTC, to the nanosecond: `2024-05-01T12:34:56.123456789Z`, as the browser
/// module's `Instant` prints. Years outside 0000–9999 take a sign and at least six digits
/// (`+275760-09-13T00:00:00.000000000Z`, `-000001-12-31T23:59:59.999999999Z`), a fraction
/// finer than a nanosecond is cut towards the past, and the infinite points print as
/// `infinity` / `-infinity`. A finite point more than 2⁶³ seconds from the epoch (or a
/// NaN float) has no calendar date and prints as its number of seconds: `5e40s`. Width and
/// alignment apply to the whole text.
impl core::fmt::Display for TimePoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        let mut out = Line {
            bytes: [0; 48],
            len: 0,
        };
        match (*self, self.epoch_parts()) {
            (TimePoint::Infinite { negative }, _) => {
                return f.pad(if negative { "-infinity" } else { "infinity" });
            }
            (_, Some((secs, nanos))) => {
                let days = secs.div_euclid(86_400);
                let second = secs.rem_euclid(86_400);
                let (year, month, day) = civil(days);
                if (0..=9999).contains(&year) {
                    write!(out, "{year:04}")?;
                } else {
                    let sign = if year < 0 { '-' } else { '+' };
                    write!(out, "{sign}{:06}", year.unsigned_abs())?;
                }
                write!(
                    out,
                    "-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
                    second / 3600,
                    second / 60 % 60,
                    second % 60
                )?;
            }
            (TimePoint::Decimal { exponent, mantissa }, None) => {
                write!(out, "{mantissa}e{exponent}s")?
            }
            // A float too large or a NaN (whole seconds always have a date).
            (t, None) => write!(out, "{:e}s", t.as_secs_f64())?,
        }
        f.pad(out.as_str())
    }
}

impl TimePoint {
    /// Whole seconds since the epoch (rounded towards the past) and the nanoseconds after
    /// them; `None` for the infinite points, a NaN and beyond `i64` seconds.
    fn epoch_parts(&self) -> Option<(i64, u32)> {
        const NANOS: i128 = 1_000_000_000;
        let nanos: i128 = match *self {
            TimePoint::Seconds(s) => return Some((s, 0)),
            TimePoint::Infinite { .. } => return None,
            TimePoint::FloatSeconds(x) => {
                // No `floor` in core: truncate, then step down for a negative fraction.
                if !(-9.2e18..9.2e18).contains(&x) {
                    return None;
                }
                let mut secs = x as i64;
                if (secs as f64) > x {
                    secs -= 1;
                }
                let fraction = ((x - secs as f64) * 1e9) as u32;
                return Some((secs, fraction.min(999_999_999)));
            }
            TimePoint::Decimal { exponent, mantissa } => {
                let mantissa = i128::from(mantissa);
                let shift = exponent.saturating_add(9);
                if mantissa == 0 {
                    0
                } else if shift >= 0 {
                    let scale = 10i128.checked_pow(u32::try_from(shift).ok()?)?;
                    mantissa.checked_mul(scale)?
                } else {
                    match u32::try_from(shift.unsigned_abs())
                        .ok()
                        .and_then(|s| 10i128.checked_pow(s))
                    {
                        Some(scale) => mantissa.div_euclid(scale),
                        // Less than a nanosecond either side of the epoch.
                        None => mantissa.signum().min(0),
                    }
                }
            }
        };
        let secs = i64::try_from(nanos.div_euclid(NANOS)).ok()?;
        Some((secs, nanos.rem_euclid(NANOS) as u32))
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`): year, month, day.
fn civil(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A time point's text, built on the stack so that `Formatter::pad` can align it whole.
struct Line {
    bytes: [u8; 48],
    len: usize,
}

impl Line {
    fn as_str(&self) -> &str {
        // Only whole `str`s are written in.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
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
