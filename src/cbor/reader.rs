//! [`Reader`]: a cursor over one message. The common minimal encodings (one-byte heads,
//! `18 xx`, short strings) are read inline; every other encoding the leniency table allows
//! goes through an out-of-line general path, and every failure is a [`DecodeError`] whose
//! offset is where the offending item starts.

use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind as K, Expected};

/// How deep arrays, maps and tags may nest inside one generic value (an unknown key's
/// value, a [`Raw`](crate::Raw), a sequence element), counted from where it starts.
pub const MAX_DEPTH: usize = 16;

/// The break byte that ends an indefinite-length item.
pub(crate) const BREAK: u8 = 0xff;

/// "No packet": the reader is not inside a packet, so errors carry no id.
pub(crate) const NO_PACKET: u32 = u32::MAX;

/// The length of an array or map: a count, or indefinite (ended by a break).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Len {
    /// A definite number of elements (map: of pairs).
    Definite(u64),
    /// Indefinite: elements run until a break byte.
    Indefinite,
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

/// A cursor over one message's bytes.
///
/// Every method either consumes one whole item and returns it, or returns an error whose
/// offset is where that item starts (and leaves the position unspecified).
#[derive(Debug, Clone)]
pub struct Reader<'b> {
    input: &'b [u8],
    pos: usize,
    /// The offset of the packet being read ([`NO_PACKET`] outside one). A part read
    /// lazily keeps it, so that its errors can name the packet's message id.
    pub(crate) packet: u32,
    /// The field being read, which a lazily read part keeps to name in its errors.
    pub(crate) field: Field,
}

impl<'b> Reader<'b> {
    /// A reader at the start of `input`. Offsets are `u32`: input past 4 GiB − 1 bytes is
    /// not read (it reads as if the input ended there).
    #[inline]
    pub(crate) fn new(input: &'b [u8]) -> Self {
        Self::at(input, 0, NO_PACKET)
    }

    /// A reader at `pos` of `input`, inside the packet at offset `packet`.
    #[inline]
    pub(crate) fn at(input: &'b [u8], pos: usize, packet: u32) -> Self {
        let input = match input.get(..u32::MAX as usize) {
            Some(capped) => capped,
            None => input,
        };
        Reader {
            input,
            pos,
            packet,
            field: Field::NONE,
        }
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

    /// The message id of the packet this reader is in: the second element of the request,
    /// success or error packet (`[type, id, …]`) at offset [`Reader::packet`].
    #[cold]
    pub(crate) fn packet_id(&self) -> Option<i64> {
        let mut r = Reader::at(self.input, self.packet as usize, NO_PACKET);
        r.array().ok()?;
        match r.uint().ok()? {
            0..=2 => r.int().ok(),
            _ => None,
        }
    }

    /// An error of `kind` at the current position.
    #[cold]
    pub(crate) fn err(&self, kind: K) -> DecodeError {
        DecodeError::new(kind, self.pos)
    }

    /// The next byte, not consumed.
    #[inline]
    pub(crate) fn peek(&self) -> Result<u8, DecodeError> {
        match self.input.get(self.pos) {
            Some(&b) => Ok(b),
            None => Err(self.err(K::Truncated)),
        }
    }

    /// The major type (0–7) of the next item, not consumed.
    #[inline]
    pub(crate) fn major(&self) -> Result<u8, DecodeError> {
        Ok(self.peek()? >> 5)
    }

    /// The argument of a head of major type `major` with a one- or two-byte encoding
    /// (`0x00..0x17`, `0x18 xx`), consumed; `None` (consuming nothing) for anything else.
    #[inline(always)]
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

    /// A definite head of major type `major`, in any width; else `expected` is wrong.
    #[inline(always)]
    pub(crate) fn definite(&mut self, major: u8, expected: Expected) -> Result<u64, DecodeError> {
        match self.head_fast(major) {
            Some(n) => Ok(n),
            None => self.definite_slow(major, expected),
        }
    }

    #[inline(never)]
    fn definite_slow(&mut self, major: u8, expected: Expected) -> Result<u64, DecodeError> {
        let b = self.peek()?;
        if b >> 5 != major {
            return Err(self.wrong_type(expected));
        }
        match self.argument(b)? {
            Some(n) => Ok(n),
            None => Err(self.wrong_type(expected)),
        }
    }

    /// Reads the head whose initial byte is `b` (at the current position): its argument,
    /// or `None` for an indefinite length (major types 2–5 only). Consumes nothing on error.
    pub(crate) fn argument(&mut self, b: u8) -> Result<Option<u64>, DecodeError> {
        let at = self.pos;
        let rest = self.input.get(at + 1..).unwrap_or_default();
        let (n, size) = match b & 0x1f {
            info @ 0..=23 => (u64::from(info), 1),
            24 => (
                u64::from(*rest.first().ok_or_else(|| self.err(K::Truncated))?),
                2,
            ),
            25 => match rest.first_chunk() {
                Some(a) => (u64::from(u16::from_be_bytes(*a)), 3),
                None => return Err(self.err(K::Truncated)),
            },
            26 => match rest.first_chunk() {
                Some(a) => (u64::from(u32::from_be_bytes(*a)), 5),
                None => return Err(self.err(K::Truncated)),
            },
            27 => match rest.first_chunk() {
                Some(a) => (u64::from_be_bytes(*a), 9),
                None => return Err(self.err(K::Truncated)),
            },
            31 if (2..=5).contains(&(b >> 5)) => {
                self.pos += 1;
                return Ok(None);
            }
            _ => return Err(self.err(K::InvalidCbor)),
        };
        self.pos += size;
        Ok(Some(n))
    }

    /// An unsigned integer (major type 0), in any encoding width.
    #[inline(always)]
    pub(crate) fn uint(&mut self) -> Result<u64, DecodeError> {
        self.definite(0, Expected::UnsignedInteger)
    }

    /// An integer (major type 0 or 1) that fits an `i64`.
    #[inline(always)]
    pub(crate) fn int(&mut self) -> Result<i64, DecodeError> {
        if let Some(n) = self.head_fast(0) {
            return Ok(n as i64);
        }
        if let Some(n) = self.head_fast(1) {
            return Ok(-1 - n as i64);
        }
        // Two-byte arguments: the spec's error codes (`39 7d6e`: -32111).
        if let Some(&[b @ (0x19 | 0x39), hi, lo]) = self.input.get(self.pos..self.pos + 3) {
            self.pos += 3;
            let n = i64::from(u16::from_be_bytes([hi, lo]));
            return Ok(if b == 0x39 { -1 - n } else { n });
        }
        self.int_slow()
    }

    #[inline(never)]
    fn int_slow(&mut self) -> Result<i64, DecodeError> {
        let at = self.pos;
        let b = self.peek()?;
        let negative = match b >> 5 {
            0 => false,
            1 => true,
            _ => return Err(self.wrong_type(Expected::Integer)),
        };
        let Some(n) = self.argument(b)? else {
            return Err(self.wrong_type(Expected::Integer));
        };
        match i64::try_from(n) {
            Ok(n) if negative => Ok(-1 - n),
            Ok(n) => Ok(n),
            Err(_) => {
                self.pos = at;
                Err(self.err(K::OutOfRange))
            }
        }
    }

    /// A float of any width (f16, f32, f64).
    pub(crate) fn f64(&mut self) -> Result<f64, DecodeError> {
        let at = self.pos;
        let rest = self.input.get(at + 1..).unwrap_or_default();
        match self.peek()? {
            0xfb => {
                if let Some(x) = rest.first_chunk() {
                    self.pos += 9;
                    return Ok(f64::from_be_bytes(*x));
                }
            }
            0xfa => {
                if let Some(x) = rest.first_chunk() {
                    self.pos += 5;
                    return Ok(f64::from(f32::from_be_bytes(*x)));
                }
            }
            0xf9 => {
                // Halves: minicbor converts them (feature `half`).
                if let Ok(x) = minicbor::Decoder::new(&self.input[at..]).f64() {
                    self.pos += 3;
                    return Ok(x);
                }
            }
            _ => return Err(self.wrong_type(Expected::Float)),
        }
        Err(self.err(K::Truncated))
    }

    /// A boolean.
    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.peek()? {
            0xf4 => {
                self.pos += 1;
                Ok(false)
            }
            0xf5 => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.wrong_type(Expected::Boolean)),
        }
    }

    /// A tag number.
    #[inline(always)]
    pub(crate) fn tag(&mut self) -> Result<u64, DecodeError> {
        self.definite(6, Expected::Tag)
    }

    /// The head of an array.
    #[inline(always)]
    pub(crate) fn array(&mut self) -> Result<Len, DecodeError> {
        self.container(4, Expected::Array)
    }

    /// The head of a map.
    #[inline(always)]
    pub(crate) fn map(&mut self) -> Result<Len, DecodeError> {
        self.container(5, Expected::Map)
    }

    #[inline(always)]
    fn container(&mut self, major: u8, expected: Expected) -> Result<Len, DecodeError> {
        if let Some(n) = self.head_fast(major) {
            return Ok(Len::Definite(n));
        }
        self.container_slow(major, expected)
    }

    #[inline(never)]
    fn container_slow(&mut self, major: u8, expected: Expected) -> Result<Len, DecodeError> {
        let b = self.peek()?;
        if b >> 5 != major {
            return Err(self.wrong_type(expected));
        }
        Ok(match self.argument(b)? {
            Some(n) => Len::Definite(n),
            None => Len::Indefinite,
        })
    }

    /// True when `len` has more elements. The break that ends an indefinite container is
    /// consumed once: `len` then reads as ended, so asking again reads nothing more.
    #[inline(always)]
    pub(crate) fn has_next(&mut self, len: &mut Len) -> Result<bool, DecodeError> {
        match len {
            Len::Definite(0) => Ok(false),
            Len::Definite(n) => {
                *n -= 1;
                Ok(true)
            }
            Len::Indefinite => {
                if self.peek()? == BREAK {
                    self.pos += 1;
                    *len = Len::Definite(0);
                    Ok(false)
                } else {
                    Ok(true)
                }
            }
        }
    }

    /// The next `len` bytes: the content of a string whose head starts at `head`.
    #[inline]
    fn take(&mut self, len: u64, head: usize) -> Result<&'b [u8], DecodeError> {
        let start = self.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| DecodeError::new(K::Truncated, head))?;
        self.pos = end;
        Ok(&self.input[start..end])
    }

    /// A text string, each chunk checked as UTF-8.
    #[inline]
    pub(crate) fn text(&mut self) -> Result<Chunks<'b, str>, DecodeError> {
        let at = self.pos;
        if let Some(n) = self.head_fast(3) {
            let bytes = self.take(n, at)?;
            return match core::str::from_utf8(bytes) {
                Ok(s) => Ok(Chunks::One(s)),
                Err(_) => Err(DecodeError::new(K::InvalidUtf8, at)),
            };
        }
        self.text_slow()
    }

    #[inline(never)]
    fn text_slow(&mut self) -> Result<Chunks<'b, str>, DecodeError> {
        let at = self.pos;
        match self.string(3, Expected::Text)? {
            Chunks::One(last) => match core::str::from_utf8(last) {
                Ok(s) => Ok(Chunks::One(s)),
                Err(_) => Err(DecodeError::new(K::InvalidUtf8, at)),
            },
            Chunks::Many(bytes) => Ok(Chunks::Many(bytes)),
        }
    }

    /// A byte string.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Result<Chunks<'b, [u8]>, DecodeError> {
        let at = self.pos;
        if let Some(n) = self.head_fast(2) {
            return Ok(Chunks::One(self.take(n, at)?));
        }
        self.string(2, Expected::Bytes)
    }

    /// A whole string of major type `major` in any form: a definite one, or an indefinite
    /// one whose chunks are all definite strings of the same major type (for text, each
    /// valid UTF-8). Zero or one chunk gives that chunk's bytes; more give [`Chunks::Many`].
    #[inline(never)]
    fn string(&mut self, major: u8, expected: Expected) -> Result<Chunks<'b, [u8]>, DecodeError> {
        let at = self.pos;
        let b = self.peek()?;
        if b >> 5 != major {
            return Err(self.wrong_type(expected));
        }
        if let Some(len) = self.argument(b)? {
            return Ok(Chunks::One(self.take(len, at)?));
        }
        let mut last: &'b [u8] = &[];
        let mut chunks = 0usize;
        while self.peek()? != BREAK {
            let chunk = self.pos;
            let b = self.peek()?;
            if b >> 5 != major || b & 0x1f == 31 {
                return Err(self.err(K::InvalidCbor));
            }
            let len = self.argument(b)?.unwrap_or(0);
            last = self.take(len, chunk)?;
            if major == 3 && core::str::from_utf8(last).is_err() {
                return Err(DecodeError::new(K::InvalidUtf8, chunk));
            }
            chunks += 1;
        }
        self.pos += 1;
        Ok(match chunks {
            0 | 1 => Chunks::One(last),
            _ => Chunks::Many(&self.input[at..self.pos]),
        })
    }

    /// A type-mismatch error at the current position, or the structural error the next
    /// byte really is (a break or reserved value is malformed CBOR, not a wrong type).
    #[cold]
    pub(crate) fn wrong_type(&self, expected: Expected) -> DecodeError {
        match self.peek() {
            Err(e) => e,
            Ok(b) if b == BREAK || (0xfc..=0xfe).contains(&b) || is_reserved_info(b) => {
                self.err(K::InvalidCbor)
            }
            Ok(_) => self.err(K::WrongType(expected)),
        }
    }
}

/// Additional-information values 28–30 are reserved in every major type; 31 (indefinite)
/// is malformed for integers and tags.
pub(crate) const fn is_reserved_info(b: u8) -> bool {
    matches!(b & 0x1f, 28..=30) || (b & 0x1f == 31 && matches!(b >> 5, 0 | 1 | 6))
}
