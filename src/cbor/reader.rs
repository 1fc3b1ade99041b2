//! [`Reader`]: a cursor over one message. The common minimal encodings (one-byte heads,
//! `18 xx`, short strings) are read inline; every other encoding the leniency table allows
//! goes through an out-of-line general path.
//!
//! **Errors latch.** A read that fails records its [`DecodeError`] (the first one only,
//! with the offset where the offending item starts and the field being read) and moves the
//! reader to the end of its input, so that every later read fails at once without
//! overwriting it; readers return a placeholder value instead of a `Result`. Callers check
//! [`Reader::failed`] where a decision depends on it (loops over declared counts) and take
//! the error once at the end: the hot paths carry no error plumbing at all.

use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind as K, Expected};
use crate::frontier::{Lazy, NO_PACKET, Source};

/// How deep arrays, maps and tags may nest inside one generic value (an unknown key's
/// value, a [`Raw`](crate::Raw), a sequence element), counted from where it starts.
pub const MAX_DEPTH: usize = 16;

/// The break byte that ends an indefinite-length item.
pub(crate) const BREAK: u8 = 0xff;

/// "None" for the `u32` offsets below (no message reaches 4 GiB).
pub(crate) const NONE: u32 = u32::MAX;

/// The length of an array or map: a count of elements (map: of pairs) still to come, or
/// indefinite (ended by a break). One word: a count of 2⁶⁴ − 1, which no input can hold,
/// reads as 2⁶⁴ − 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Len(u64);

impl Len {
    /// Elements run until a break byte.
    pub(crate) const INDEFINITE: Len = Len(u64::MAX);

    inlining! { hot:
        /// `n` elements.
        pub(crate) const fn definite(n: u64) -> Len {
            Len(if n == u64::MAX { n - 1 } else { n })
        }
    }

    inlining! { hot:
        /// The count, `None` when indefinite.
        pub(crate) const fn count(self) -> Option<u64> {
            match self.0 {
                u64::MAX => None,
                n => Some(n),
            }
        }
    }

    inlining! { hot:
        /// True when a definite length has no element left.
        pub(crate) const fn is_done(self) -> bool {
            self.0 == 0
        }
    }
}

/// A string as read: one borrowed slice, or several chunks kept as their encoding.
#[derive(Debug)]
pub(crate) enum Chunks<'b, T: ?Sized> {
    /// A definite string, or an indefinite one of at most one chunk.
    One(&'b T),
    /// An indefinite string of several chunks: its bytes from the head to the break.
    Many(&'b [u8]),
}

impl<T: ?Sized> Clone for Chunks<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Chunks<'_, T> {}

/// A cursor over one message's bytes, with the first error it met, the field being read
/// (errors name it) and the lazy-reading state it carries through the typed readers.
#[derive(Debug, Clone)]
pub struct Reader<'b> {
    input: &'b [u8],
    pos: usize,
    err: Option<DecodeError>,
    /// The field being read (an error names it) and the lazy-reading state.
    pub(super) lazy: Lazy<'b>,
}

impl<'b> Reader<'b> {
    /// A reader at the start of `input`. Offsets are `u32`: input past 4 GiB − 1 bytes is
    /// not read (it reads as if the input ended there).
    #[inline]
    pub(crate) fn new(input: &'b [u8]) -> Self {
        let input = match input.get(..NONE as usize) {
            Some(capped) => capped,
            None => input,
        };
        Self::at(input, 0)
    }

    /// A reader at `pos` of `input` (shorter than 4 GiB: one a reader had), outside any
    /// packet and batch.
    #[inline]
    pub(crate) fn at(input: &'b [u8], pos: usize) -> Self {
        Self::within(Source::Message(input), pos, NO_PACKET)
    }

    /// A reader at `pos` of `source`, inside the packet at offset `packet`.
    #[inline]
    pub(crate) fn within(source: Source<'b>, pos: usize, packet: u32) -> Self {
        Reader {
            input: source.bytes(),
            pos,
            err: None,
            lazy: Lazy::new(source, packet),
        }
    }

    /// The field being read.
    #[inline]
    pub(crate) fn field(&self) -> Field {
        self.lazy.field()
    }

    /// Now reading `field`; returns the field read before, to restore.
    #[inline]
    pub(crate) fn set_field(&mut self, field: Field) -> Field {
        self.lazy.set_field(field)
    }

    /// `read` in `field`, then back in the field around it.
    #[inline(always)]
    pub(crate) fn in_field<T>(&mut self, field: Field, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer = self.set_field(field);
        let value = read(self);
        self.lazy.set_field(outer);
        value
    }

    /// The byte offset of the next item.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (an offset this reader returned earlier).
    #[inline]
    pub(crate) fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The whole input.
    #[inline]
    pub(crate) fn input(&self) -> &'b [u8] {
        self.input
    }

    /// True when every byte has been consumed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    inlining! { hot:
        /// True once a read failed.
        pub(crate) fn failed(&self) -> bool {
            self.err.is_some()
        }
    }

    /// The first error, if a read failed.
    #[inline]
    pub(crate) fn error(&self) -> Option<DecodeError> {
        self.err
    }

    /// Takes the error, so that reading can go on (from a position the caller sets).
    #[inline]
    pub(crate) fn take_error(&mut self) -> Option<DecodeError> {
        self.err.take()
    }

    /// Replaces the error, if there is one, with `f` of it.
    #[inline]
    pub(crate) fn map_error(&mut self, f: impl FnOnce(DecodeError) -> DecodeError) {
        if let Some(e) = self.err {
            self.err = Some(f(e));
        }
    }

    /// `value`, or the error if a read failed.
    #[inline]
    pub(crate) fn result<T>(&self, value: T) -> Result<T, DecodeError> {
        match self.err {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }

    /// Records an error of `kind` at `at` in the current field (unless one was recorded
    /// already) and stops reading.
    #[cold]
    #[inline(never)]
    pub(crate) fn fail(&mut self, kind: K, at: usize) {
        self.fail_with(DecodeError::new(kind, at));
    }

    /// Records `e` in the current field (unless an error was recorded already) and stops
    /// reading.
    #[cold]
    #[inline(never)]
    pub(crate) fn fail_with(&mut self, e: DecodeError) {
        if self.err.is_none() {
            self.err = Some(e.in_field(self.lazy.field()));
        }
        self.pos = self.input.len();
    }

    /// Fails as truncated at `at`.
    #[cold]
    fn truncated(&mut self, at: usize) {
        self.fail(K::Truncated, at);
    }

    inlining! { hot:
        /// The next byte, not consumed.
        pub(crate) fn peek(&self) -> Option<u8> {
            self.input.get(self.pos).copied()
        }
    }

    /// The major type (0–7) of the next item, not consumed; on truncated input the reader
    /// fails and this is 7 (a simple value, which every caller refuses).
    #[inline]
    pub(crate) fn major(&mut self) -> u8 {
        match self.peek() {
            Some(b) => b >> 5,
            None => {
                self.truncated(self.pos);
                7
            }
        }
    }

    inlining! { hot:
        /// The argument of a head of major type `major` with a one- or two-byte encoding
        /// (`0x00..0x17`, `0x18 xx`), consumed; `None` (consuming nothing) for anything else.
        fn head_fast(&mut self, major: u8) -> Option<u64> {
            let b = *self.input.get(self.pos)?;
            let info = b ^ (major << 5);
            if info < 24 {
                self.pos += 1;
                Some(u64::from(info))
            } else if info == 24 {
                let n = *self.input.get(self.pos + 1)?;
                self.pos += 2;
                Some(u64::from(n))
            } else {
                None
            }
        }
    }

    inlining! { hot:
        /// A definite head of major type `major`, in any width; else `expected` is wrong.
        pub(crate) fn definite(&mut self, major: u8, expected: Expected) -> u64 {
            match self.head_fast(major) {
                Some(n) => n,
                None => self.definite_slow(major, expected),
            }
        }
    }

    #[inline(never)]
    fn definite_slow(&mut self, major: u8, expected: Expected) -> u64 {
        match self.head_of(major, expected) {
            Some(Some(n)) => n,
            Some(None) => {
                // Indefinite: integers and tags cannot be.
                self.pos -= 1;
                self.wrong_type(expected);
                0
            }
            None => 0,
        }
    }

    /// A head of major type `major` in any form: `Some(None)` for an indefinite length,
    /// `None` when the reader failed (truncated, another type, malformed).
    #[inline(never)]
    fn head_of(&mut self, major: u8, expected: Expected) -> Option<Option<u64>> {
        let Some(b) = self.peek() else {
            self.truncated(self.pos);
            return None;
        };
        if b >> 5 != major {
            self.wrong_type(expected);
            return None;
        }
        self.argument(b)
    }

    /// Reads the head whose initial byte is `b` (at the current position): its argument,
    /// or `Some(None)` for an indefinite length (major types 2–5 only); `None` when it is
    /// truncated or malformed (the reader fails at the head).
    pub(crate) fn argument(&mut self, b: u8) -> Option<Option<u64>> {
        let at = self.pos;
        match head(self.input, at, b) {
            Head::Arg(n, size) => {
                self.pos += size;
                Some(Some(n))
            }
            Head::Open => {
                self.pos += 1;
                Some(None)
            }
            Head::Truncated => {
                self.truncated(at);
                None
            }
            Head::Invalid => {
                self.fail(K::InvalidCbor, at);
                None
            }
        }
    }

    inlining! { hot:
        /// An unsigned integer (major type 0), in any encoding width.
        pub(crate) fn uint(&mut self) -> u64 {
            self.definite(0, Expected::UnsignedInteger)
        }
    }

    inlining! { hot:
        /// An integer (major type 0 or 1) that fits an `i64`.
        pub(crate) fn int(&mut self) -> i64 {
            if let Some(n) = self.head_fast(0) {
                return n as i64;
            }
            if let Some(n) = self.head_fast(1) {
                return -1 - n as i64;
            }
            // Two-byte arguments: the spec's error codes (`39 7d6e`: -32111).
            if let Some(&[b @ (0x19 | 0x39), hi, lo]) = self.input.get(self.pos..self.pos + 3) {
                self.pos += 3;
                let n = i64::from(u16::from_be_bytes([hi, lo]));
                return if b == 0x39 { -1 - n } else { n };
            }
            self.int_slow()
        }
    }

    #[inline(never)]
    fn int_slow(&mut self) -> i64 {
        let at = self.pos;
        let negative = matches!(self.peek(), Some(b) if b >> 5 == 1);
        let major = u8::from(negative);
        match self.head_of(major, Expected::Integer) {
            Some(Some(n)) => match i64::try_from(n) {
                Ok(n) if negative => -1 - n,
                Ok(n) => n,
                Err(_) => {
                    self.fail(K::OutOfRange, at);
                    0
                }
            },
            Some(None) => {
                self.pos = at;
                self.wrong_type(Expected::Integer);
                0
            }
            None => 0,
        }
    }

    /// A float of any width (f16, f32, f64).
    #[inline(never)]
    pub(crate) fn f64(&mut self) -> f64 {
        let at = self.pos;
        let rest = self.input.get(at + 1..).unwrap_or_default();
        let (x, size) = match self.peek() {
            Some(0xfb) => match rest.first_chunk() {
                Some(x) => (f64::from_be_bytes(*x), 9),
                None => (0.0, 0),
            },
            Some(0xfa) => match rest.first_chunk() {
                Some(x) => (f32_to_f64(u32::from_be_bytes(*x)), 5),
                None => (0.0, 0),
            },
            Some(0xf9) => match rest.first_chunk() {
                Some(x) => (f16_to_f64(u16::from_be_bytes(*x)), 3),
                None => (0.0, 0),
            },
            Some(_) => {
                self.wrong_type(Expected::Float);
                return 0.0;
            }
            None => (0.0, 0),
        };
        if size == 0 {
            self.truncated(at);
        }
        self.pos += size;
        x
    }

    /// A boolean.
    pub(crate) fn bool(&mut self) -> bool {
        match self.peek() {
            Some(b @ (0xf4 | 0xf5)) => {
                self.pos += 1;
                b == 0xf5
            }
            _ => {
                self.wrong_type(Expected::Boolean);
                false
            }
        }
    }

    inlining! { hot:
        /// A tag number.
        pub(crate) fn tag(&mut self) -> u64 {
            self.definite(6, Expected::Tag)
        }
    }

    inlining! { hot:
        /// The head of an array.
        pub(crate) fn array(&mut self) -> Len {
            self.container(4, Expected::Array)
        }
    }

    inlining! { hot:
        /// The head of a map.
        pub(crate) fn map(&mut self) -> Len {
            self.container(5, Expected::Map)
        }
    }

    inlining! { hot:
        /// The head of an array (major 4) or a map (major 5); on failure an empty length.
        pub(crate) fn container(&mut self, major: u8, expected: Expected) -> Len {
            if let Some(n) = self.head_fast(major) {
                return Len(n);
            }
            self.container_slow(major, expected)
        }
    }

    #[inline(never)]
    fn container_slow(&mut self, major: u8, expected: Expected) -> Len {
        match self.head_of(major, expected) {
            Some(Some(n)) => Len::definite(n),
            Some(None) => Len::INDEFINITE,
            None => Len(0),
        }
    }

    inlining! { hot:
        /// True when `len` has more elements (never after a failure). The break that ends an
        /// indefinite container is consumed once: `len` then reads as ended.
        pub(crate) fn has_next(&mut self, len: &mut Len) -> bool {
            match len.0 {
                0 => false,
                u64::MAX => match self.peek() {
                    Some(BREAK) => {
                        self.pos += 1;
                        *len = Len(0);
                        false
                    }
                    Some(_) => !self.failed(),
                    None => {
                        self.truncated(self.pos);
                        *len = Len(0);
                        false
                    }
                },
                _ => {
                    len.0 -= 1;
                    !self.failed()
                }
            }
        }
    }

    /// The next `len` bytes: the content of a string whose head starts at `head`.
    #[inline]
    fn take(&mut self, len: u64, head: usize) -> &'b [u8] {
        let start = self.pos;
        match usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.input.len())
        {
            Some(end) => {
                self.pos = end;
                &self.input[start..end]
            }
            None => {
                self.truncated(head);
                &[]
            }
        }
    }

    /// A text string, each chunk checked as UTF-8.
    #[inline]
    pub(crate) fn text(&mut self) -> Chunks<'b, str> {
        let at = self.pos;
        if let Some(n) = self.head_fast(3) {
            let bytes = self.take(n, at);
            return match core::str::from_utf8(bytes) {
                Ok(s) => Chunks::One(s),
                Err(_) => {
                    self.fail(K::InvalidUtf8, at);
                    Chunks::One("")
                }
            };
        }
        self.text_slow()
    }

    #[inline(never)]
    fn text_slow(&mut self) -> Chunks<'b, str> {
        let at = self.pos;
        match self.string(3, Expected::Text) {
            Chunks::One(last) => match core::str::from_utf8(last) {
                Ok(s) => Chunks::One(s),
                Err(_) => {
                    self.fail(K::InvalidUtf8, at);
                    Chunks::One("")
                }
            },
            Chunks::Many(bytes) => Chunks::Many(bytes),
        }
    }

    /// A byte string.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Chunks<'b, [u8]> {
        let at = self.pos;
        if let Some(n) = self.head_fast(2) {
            return Chunks::One(self.take(n, at));
        }
        self.string(2, Expected::Bytes)
    }

    /// A whole string of major type `major` in any form: a definite one, or an indefinite
    /// one whose chunks are all definite strings of the same major type (for text, each
    /// valid UTF-8). Zero or one chunk gives that chunk's bytes; more give [`Chunks::Many`].
    #[inline(never)]
    fn string(&mut self, major: u8, expected: Expected) -> Chunks<'b, [u8]> {
        let at = self.pos;
        match self.head_of(major, expected) {
            Some(Some(len)) => return Chunks::One(self.take(len, at)),
            Some(None) => {}
            None => return Chunks::One(&[]),
        }
        let mut last: &'b [u8] = &[];
        let mut chunks = 0usize;
        loop {
            let chunk = self.pos;
            let b = match self.peek() {
                Some(BREAK) => break,
                Some(b) => b,
                None => {
                    self.truncated(chunk);
                    return Chunks::One(&[]);
                }
            };
            if b >> 5 != major || b & 0x1f == 31 {
                self.fail(K::InvalidCbor, chunk);
                return Chunks::One(&[]);
            }
            let Some(len) = self.argument(b) else {
                return Chunks::One(&[]);
            };
            last = self.take(len.unwrap_or(0), chunk);
            if major == 3 && core::str::from_utf8(last).is_err() {
                self.fail(K::InvalidUtf8, chunk);
                return Chunks::One(&[]);
            }
            if self.failed() {
                return Chunks::One(&[]);
            }
            chunks += 1;
        }
        self.pos += 1;
        match chunks {
            0 | 1 => Chunks::One(last),
            _ => Chunks::Many(&self.input[at..self.pos]),
        }
    }

    /// Fails with a type mismatch at the current position — or with the structural error
    /// the next byte really is (a break or reserved value is malformed CBOR, not a wrong
    /// type; no byte is truncated input).
    #[cold]
    #[inline(never)]
    pub(crate) fn wrong_type(&mut self, expected: Expected) {
        let at = self.pos;
        let kind = match self.peek() {
            None => K::Truncated,
            Some(b) if is_malformed_start(b) => K::InvalidCbor,
            Some(_) => K::WrongType(expected),
        };
        self.fail(kind, at);
    }
}

/// The value of the IEEE 754 half-precision float with bits `h`, exactly.
pub(crate) fn f16_to_f64(h: u16) -> f64 {
    widen(u32::from(h), 10, 5)
}

/// The value of the IEEE 754 single-precision float with bits `s`, exactly.
pub(crate) fn f32_to_f64(s: u32) -> f64 {
    widen(s, 23, 8)
}

/// The value of the IEEE 754 binary float with bits `x` (`m` mantissa and `e` exponent
/// bits below the sign), exactly: its bits moved into a double's (integer operations only,
/// no soft-float on an FPU-less core).
#[inline(always)]
fn widen(x: u32, m: u32, e: u32) -> f64 {
    let sign = u64::from(x >> (m + e)) << 63;
    let e_max = (1u64 << e) - 1;
    let bias = (1u64 << (e - 1)) - 1;
    let exponent = u64::from(x >> m) & e_max;
    let mantissa = u64::from(x) & ((1 << m) - 1);
    let up = 52 - m;
    let bits = match (exponent, mantissa) {
        (0, 0) => 0,
        // Subnormal: normalise, the leading one becomes the implicit bit.
        (0, f) => {
            let shift = f.leading_zeros() - (63 - m); // 1..=m: the bits above the top one
            let e = 1023 - bias + 1 - u64::from(shift);
            e << 52 | (f << shift & ((1 << m) - 1)) << up
        }
        // Infinity and NaN (the payload kept).
        (x, f) if x == e_max => 0x7ff << 52 | f << up,
        (x, f) => (x + 1023 - bias) << 52 | f << up,
    };
    f64::from_bits(sign | bits)
}

/// A head as [`head`] reads it.
pub(crate) enum Head {
    /// A definite argument and the head's size in bytes.
    Arg(u64, usize),
    /// An indefinite length (major types 2–5).
    Open,
    /// The input ends inside the head.
    Truncated,
    /// Reserved additional information, or an indefinite integer, tag or simple value.
    Invalid,
}

/// The head whose initial byte `b` is at `at` of `input`.
#[inline]
pub(crate) fn head(input: &[u8], at: usize, b: u8) -> Head {
    let rest = input.get(at + 1..).unwrap_or_default();
    let arg = |n: Option<u64>, size| match n {
        Some(n) => Head::Arg(n, size),
        None => Head::Truncated,
    };
    match b & 0x1f {
        info @ 0..=23 => Head::Arg(u64::from(info), 1),
        24 => arg(rest.first().map(|&n| u64::from(n)), 2),
        25 => arg(
            rest.first_chunk()
                .map(|a| u64::from(u16::from_be_bytes(*a))),
            3,
        ),
        26 => arg(
            rest.first_chunk()
                .map(|a| u64::from(u32::from_be_bytes(*a))),
            5,
        ),
        27 => arg(rest.first_chunk().map(|a| u64::from_be_bytes(*a)), 9),
        31 if (2..=5).contains(&(b >> 5)) => Head::Open,
        _ => Head::Invalid,
    }
}

inlining! { hot:
    /// The integer (major type 0 or 1) at `at` of `input`, in any width, and the size of its
    /// head; `None` when there is none there or it does not fit an `i64`. Reads nothing, fails
    /// nothing: for fast paths that fall back to the general one.
    pub(crate) fn int_at(input: &[u8], at: usize) -> Option<(i64, usize)> {
        let b = *input.get(at)?;
        match b {
            0x00..=0x17 => return Some((i64::from(b), 1)),
            0x18 => return Some((i64::from(*input.get(at + 1)?), 2)),
            0x20..=0x37 => return Some((-1 - i64::from(b - 0x20), 1)),
            0x40.. => return None,
            _ => {}
        }
        let Head::Arg(arg, size) = head(input, at, b) else {
            return None;
        };
        let n = i64::try_from(arg).ok()?;
        Some((if b >= 0x20 { -1 - n } else { n }, size))
    }
}

/// True for bytes that cannot start an item: a break, reserved additional information
/// (28–30), an indefinite integer or tag, and the reserved simple values `fc`–`fe`.
pub(crate) const fn is_malformed_start(b: u8) -> bool {
    b == BREAK || matches!(b, 0xfc..=0xfe) || is_reserved_info(b)
}

/// Additional-information values 28–30 are reserved in every major type; 31 (indefinite)
/// is malformed for integers and tags.
pub(crate) const fn is_reserved_info(b: u8) -> bool {
    matches!(b & 0x1f, 28..=30) || (b & 0x1f == 31 && matches!(b >> 5, 0 | 1 | 6))
}

#[cfg(test)]
mod tests {
    /// Singles convert as the hardware converts them.
    #[test]
    #[cfg_attr(miri, ignore = "65,000 samples: natively only")]
    fn f32_to_f64_is_exact() {
        for i in (0..=u32::MAX)
            .step_by(65_537)
            .chain([0, 1, 0x7f_ffff, 0x8000_0001, 0x7f80_0000])
        {
            let expected = f64::from(f32::from_bits(i));
            let got = super::f32_to_f64(i);
            assert!(
                got.to_bits() == expected.to_bits() || (got.is_nan() && expected.is_nan()),
                "{i:08x}: {got} != {expected}"
            );
        }
    }

    /// Every half converts as minicbor (and the `half` crate) converts it.
    #[test]
    #[cfg_attr(miri, ignore = "exhaustive: natively only")]
    fn f16_to_f64_is_exact_for_every_half() {
        for h in 0..=u16::MAX {
            let bytes = [0xf9, (h >> 8) as u8, h as u8];
            let expected = minicbor::Decoder::new(&bytes).f64().unwrap();
            let got = super::f16_to_f64(h);
            assert!(
                got.to_bits() == expected.to_bits() || (got.is_nan() && expected.is_nan()),
                "{h:04x}: {got} != {expected}"
            );
        }
    }
}
