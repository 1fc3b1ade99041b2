//! What both machines use: the protocol version range and short texts built without
//! allocating. Below `client` and `server`, which import from here and never the reverse.

use core::fmt;

use crate::error::text::{TextSink, display};
use crate::op::params::ClientHello;

/// An inclusive range of protocol versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VersionRange {
    /// The lowest version.
    pub min: u64,
    /// The highest version.
    pub max: u64,
}

impl VersionRange {
    /// Version 1 only: the protocol of API 2.0.x (spec notes D19).
    pub const V1: VersionRange = VersionRange { min: 1, max: 1 };

    /// The range `min..=max`.
    pub const fn new(min: u64, max: u64) -> Self {
        VersionRange { min, max }
    }

    /// True when `version` is in the range.
    pub const fn contains(&self, version: u64) -> bool {
        self.min <= version && version <= self.max
    }

    /// Writes the text `Display` shows (`"1 to 2"`), without `core::fmt`.
    pub(crate) fn write_text<S: TextSink>(&self, out: &mut S) {
        out.u64(self.min).str(" to ").u64(self.max);
    }

    /// The highest version in both ranges, if they overlap.
    pub fn highest_common(&self, other: &VersionRange) -> Option<u64> {
        let low = self.min.max(other.min);
        let high = self.max.min(other.max);
        (low <= high).then_some(high)
    }
}

impl Default for VersionRange {
    fn default() -> Self {
        VersionRange::V1
    }
}

impl From<ClientHello> for VersionRange {
    fn from(h: ClientHello) -> Self {
        VersionRange::new(h.min_version, h.max_version)
    }
}

impl From<VersionRange> for ClientHello {
    fn from(r: VersionRange) -> Self {
        ClientHello {
            min_version: r.min,
            max_version: r.max,
        }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(f, |out| self.write_text(out))
    }
}

/// A short text built without allocating or `core::fmt`, from static pieces and integers;
/// what does not fit in `N` bytes is cut at a char boundary, and nothing is added after a cut.
pub(crate) struct Text<const N: usize> {
    text: heapless::String<N>,
    cut: bool,
}

impl<const N: usize> Text<N> {
    /// An empty text.
    pub(crate) const fn new() -> Self {
        Text {
            text: heapless::String::new(),
            cut: false,
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

impl<const N: usize> TextSink for Text<N> {
    fn str(&mut self, s: &str) -> &mut Self {
        if self.cut {
            return self;
        }
        let room = N - self.text.len();
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.cut = end < s.len();
        let _ = self.text.push_str(&s[..end]);
        self
    }

    fn u64(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            let (rest, digit) = div10(n);
            i -= 1;
            digits[i] = b'0' + digit;
            n = rest;
            if n == 0 {
                break;
            }
        }
        self.str(core::str::from_utf8(&digits[i..]).unwrap_or(""))
    }
}

/// `(n / 10, n % 10)` in 32-bit halves, whose divisions by 10 compile to multiplications:
/// a 64-bit division would link a software routine on 32-bit targets.
fn div10(n: u64) -> (u64, u8) {
    let (high, low) = ((n >> 32) as u32, n as u32);
    // n = high·2³² + low and 2³² = 10·429 496 729 + 6, so the low half of the quotient is
    // (high % 10)·429 496 729 + low / 10 + carry, below 2³² as the quotient's low half is.
    let rest = (high % 10) * 6 + low % 10;
    let quotient = (high % 10) * 429_496_729 + low / 10 + rest / 10;
    (
        u64::from(high / 10) << 32 | u64::from(quotient),
        (rest % 10) as u8,
    )
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::*;
    use crate::error::{DecodeError, DecodeErrorKind, Expected};

    #[test]
    fn a_text_is_cut_at_a_char_boundary_and_takes_nothing_after_the_cut() {
        let mut text = Text::<6>::new();
        text.str("abcd").str("é€").str("x");
        // `é` (2 bytes) fits, `€` (3 bytes) does not, and `x` would fit but comes after.
        assert_eq!(text.as_str(), "abcdé");
        let mut text = Text::<4>::new();
        text.u64(123).u64(45);
        assert_eq!(text.as_str(), "1234");
    }

    #[test]
    fn integers_are_written_in_decimal() {
        // Around every power of two and of ten, and the ends.
        let mut cases = std::vec![0, 7, 10, 65_535, u64::MAX - 5, u64::MAX];
        for k in 1..64 {
            let ten = 10u64.pow(k % 20);
            cases.extend([
                (1 << k) - 1,
                1 << k,
                (1 << k) + 9,
                ten - 1,
                ten,
                ten / 3 * 2,
            ]);
        }
        for n in cases {
            let mut text = Text::<20>::new();
            text.u64(n);
            assert_eq!(text.as_str(), format!("{n}"));
        }
    }

    #[test]
    fn a_decode_error_and_a_version_range_write_what_display_shows() {
        use crate::error::field::Field;
        let cases = [
            (
                DecodeErrorKind::Truncated,
                Field::NONE,
                "truncated input at byte 70000",
            ),
            (
                DecodeErrorKind::UnknownPacketType(u64::MAX),
                Field::MESSAGE_ID,
                "unknown packet type 18446744073709551615 at byte 70000",
            ),
            (
                DecodeErrorKind::UnknownOpcode(99),
                Field::MESSAGE_ID,
                "unknown opcode 99 at byte 70000",
            ),
            (
                DecodeErrorKind::WrongType(Expected::AttributeId),
                Field::MESSAGE_ID,
                "expected attribute id (unsigned integer or UUID) in message id at byte 70000",
            ),
            (
                DecodeErrorKind::MissingKey(3),
                Field::NONE,
                "missing key 3 at byte 70000",
            ),
        ];
        for (kind, field, expected) in cases {
            let error = DecodeError::new(kind, 70_000).in_field(field).with_id(-5);
            let mut text = Text::<200>::new();
            error.write_text(&mut text);
            assert_eq!(text.as_str(), expected);
            assert_eq!(format!("{error}"), expected);
        }
        let range = VersionRange::new(2, u64::MAX);
        let mut text = Text::<64>::new();
        range.write_text(&mut text);
        assert_eq!(text.as_str(), "2 to 18446744073709551615");
        assert_eq!(text.as_str(), format!("{range}"));
    }
}
