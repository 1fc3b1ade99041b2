//! [`Reader`]: minicbor's decoder with the protocol's leniency rules, a fast path for
//! minimal encodings, and errors that say what and where.

use minicbor::Decoder;

use crate::error::{DecodeError, DecodeErrorKind as K};

/// How deep arrays, maps and tags may nest inside a generic value ([`super::Raw`],
/// [`super::Value`]). Typed fields have a fixed depth of their own; this bounds the rest.
pub const MAX_DEPTH: usize = 16;

const BREAK: u8 = 0xff;

/// The length of an array or map: a count, or indefinite (ended by a break).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// A definite number of elements (map: of pairs).
    Definite(u64),
    /// Indefinite: elements run until a break byte.
    Indefinite,
}

/// A cursor over one message's bytes.
///
/// Every method either consumes one whole item and returns it, or returns an error whose
/// offset is where that item starts. The common minimal encodings are read directly;
/// everything else goes through [`minicbor::Decoder`].
#[derive(Debug, Clone)]
pub struct Reader<'b> {
    d: Decoder<'b>,
}

impl<'b> Reader<'b> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'b [u8]) -> Self {
        Reader {
            d: Decoder::new(bytes),
        }
    }

    /// The byte offset of the next item.
    #[inline]
    pub fn position(&self) -> usize {
        self.d.position()
    }

    /// The whole input.
    #[inline]
    pub fn input(&self) -> &'b [u8] {
        self.d.input()
    }

    /// Moves to `pos` (an offset this reader returned earlier).
    #[inline]
    pub(crate) fn set_position(&mut self, pos: usize) {
        self.d.set_position(pos)
    }

    /// True when every byte has been consumed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.position() >= self.input().len()
    }

    /// An error of `kind` at the current position.
    #[inline]
    pub(crate) fn err(&self, kind: K) -> DecodeError {
        DecodeError::new(kind, self.position())
    }

    /// The next byte, not consumed.
    #[inline]
    pub fn peek(&self) -> Result<u8, DecodeError> {
        match self.input().get(self.position()) {
            Some(&b) => Ok(b),
            None => Err(self.err(K::Truncated)),
        }
    }

    #[inline]
    fn advance(&mut self, n: usize) {
        self.d.set_position(self.position() + n)
    }

    /// The major type (0–7) of the next item, not consumed.
    #[inline]
    pub fn major(&self) -> Result<u8, DecodeError> {
        Ok(self.peek()? >> 5)
    }

    /// Consumes a break byte if one is next: the end of an indefinite-length item.
    #[inline]
    pub fn at_break(&mut self) -> Result<bool, DecodeError> {
        if self.peek()? == BREAK {
            self.advance(1);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// True when `len` has more elements (consuming the break that ends an indefinite one).
    #[inline]
    pub fn has_next(&mut self, len: &mut Len) -> Result<bool, DecodeError> {
        match len {
            Len::Definite(0) => Ok(false),
            Len::Definite(n) => {
                *n -= 1;
                Ok(true)
            }
            Len::Indefinite => Ok(!self.at_break()?),
        }
    }

    /// Reads the head of the next item: its major type and argument (`None` for an
    /// indefinite length). Consumes nothing on error.
    #[inline]
    fn head(&mut self) -> Result<(u8, Option<u64>), DecodeError> {
        let pos = self.position();
        let input = self.input();
        let b = self.peek()?;
        let (major, info) = (b >> 5, b & 0x1f);
        let (arg, size) = match info {
            0..=23 => (Some(u64::from(info)), 1),
            24..=27 => {
                let rest = input.get(pos + 1..).unwrap_or_default();
                let arg = match info {
                    24 => rest.first().map(|&a| (u64::from(a), 2)),
                    25 => rest
                        .first_chunk()
                        .map(|a| (u64::from(u16::from_be_bytes(*a)), 3)),
                    26 => rest
                        .first_chunk()
                        .map(|a| (u64::from(u32::from_be_bytes(*a)), 5)),
                    _ => rest.first_chunk().map(|a| (u64::from_be_bytes(*a), 9)),
                };
                let (arg, size) = arg.ok_or_else(|| DecodeError::new(K::Truncated, pos))?;
                (Some(arg), size)
            }
            31 if (2..=5).contains(&major) => (None, 1),
            _ => return Err(DecodeError::new(K::InvalidCbor, pos)),
        };
        self.advance(size);
        Ok((major, arg))
    }

    /// Reads a head of major type `major` with a definite argument, else a type error.
    #[inline]
    fn definite(&mut self, major: u8, what: &'static str) -> Result<u64, DecodeError> {
        let b = self.peek()?;
        if b >> 5 != major || b & 0x1f == 31 {
            return Err(self.wrong_type(what));
        }
        match self.head()? {
            (_, Some(n)) => Ok(n),
            (_, None) => Err(self.wrong_type(what)),
        }
    }

    /// An unsigned integer (major type 0), in any encoding width.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.peek()?;
        if b < 0x18 {
            self.advance(1);
            return Ok(u64::from(b));
        }
        self.definite(0, "unsigned integer")
    }

    /// An unsigned integer that fits a `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let pos = self.position();
        let n = self.u64()?;
        u32::try_from(n).map_err(|_| DecodeError::new(K::OutOfRange, pos))
    }

    /// An integer (major type 0 or 1) that fits an `i64`.
    #[inline]
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        let pos = self.position();
        let b = self.peek()?;
        if b < 0x18 {
            self.advance(1);
            return Ok(i64::from(b));
        }
        let (neg, n) = match b >> 5 {
            0 => (false, self.definite(0, "integer")?),
            1 => (true, self.definite(1, "integer")?),
            _ => return Err(self.wrong_type("integer")),
        };
        match i64::try_from(n) {
            Ok(n) if neg => Ok(-1 - n),
            Ok(n) => Ok(n),
            Err(_) => {
                self.set_position(pos);
                Err(DecodeError::new(K::OutOfRange, pos))
            }
        }
    }

    /// A float of any width (f16, f32, f64).
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        let pos = self.position();
        let rest = self.input().get(pos + 1..).unwrap_or_default();
        match self.peek()? {
            0xfb => {
                if let Some(x) = rest.first_chunk() {
                    self.set_position(pos + 9);
                    return Ok(f64::from_be_bytes(*x));
                }
            }
            0xfa => {
                if let Some(x) = rest.first_chunk() {
                    self.set_position(pos + 5);
                    return Ok(f64::from(f32::from_be_bytes(*x)));
                }
            }
            0xf9 => {}
            _ => return Err(self.wrong_type("float")),
        }
        // Halves (minicbor converts them), and truncated floats.
        self.d
            .f64()
            .map_err(|_| DecodeError::new(K::Truncated, pos))
    }

    /// A boolean.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.peek()? {
            0xf4 => {
                self.advance(1);
                Ok(false)
            }
            0xf5 => {
                self.advance(1);
                Ok(true)
            }
            _ => Err(self.wrong_type("boolean")),
        }
    }

    /// A tag number.
    #[inline]
    pub fn tag(&mut self) -> Result<u64, DecodeError> {
        self.definite(6, "tag")
    }

    /// Consumes tag `tag`, or fails with `what` expected.
    #[inline]
    pub fn expect_tag(&mut self, tag: u64, what: &'static str) -> Result<(), DecodeError> {
        let pos = self.position();
        if self.tag().map_err(|e| {
            if e.is_fatal() {
                e
            } else {
                self.err(K::WrongType(what))
            }
        })? == tag
        {
            Ok(())
        } else {
            self.set_position(pos);
            Err(self.err(K::WrongType(what)))
        }
    }

    /// The header of an array.
    #[inline]
    pub fn array(&mut self) -> Result<Len, DecodeError> {
        self.container(4, "array")
    }

    /// The header of a map.
    #[inline]
    pub fn map(&mut self) -> Result<Len, DecodeError> {
        self.container(5, "map")
    }

    #[inline]
    fn container(&mut self, major: u8, what: &'static str) -> Result<Len, DecodeError> {
        if self.peek()? >> 5 != major {
            return Err(self.wrong_type(what));
        }
        Ok(match self.head()?.1 {
            Some(n) => Len::Definite(n),
            None => Len::Indefinite,
        })
    }

    /// A text string, borrowed. An indefinite-length string is accepted when it has at
    /// most one chunk (a longer one cannot be borrowed as one slice).
    #[inline]
    pub fn str(&mut self) -> Result<&'b str, DecodeError> {
        let pos = self.position();
        let bytes = self.string(3, "text string")?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError::new(K::InvalidUtf8, pos))
    }

    /// A byte string, borrowed; indefinite-length as for [`Reader::str`].
    #[inline]
    pub fn bytes(&mut self) -> Result<&'b [u8], DecodeError> {
        self.string(2, "byte string")
    }

    fn string(&mut self, major: u8, what: &'static str) -> Result<&'b [u8], DecodeError> {
        let pos = self.position();
        match self.chunks(major, what)? {
            (bytes, None | Some(0 | 1)) => Ok(bytes),
            _ => Err(DecodeError::new(K::ChunkedString, pos)),
        }
    }

    /// Reads a whole string of major type `major`, every chunk of an indefinite one
    /// included (each checked as UTF-8 for text); returns its last chunk and, for an
    /// indefinite string, the number of chunks.
    fn chunks(
        &mut self,
        major: u8,
        what: &'static str,
    ) -> Result<(&'b [u8], Option<usize>), DecodeError> {
        let pos = self.position();
        if self.peek()? >> 5 != major {
            return Err(self.wrong_type(what));
        }
        if let Some(len) = self.head()?.1 {
            return Ok((self.slice(len, pos)?, None));
        }
        let mut last: &'b [u8] = &[];
        let mut chunks = 0;
        while !self.at_break()? {
            let chunk = self.position();
            if self.peek()? >> 5 != major || self.peek()? & 0x1f == 31 {
                return Err(self.err(K::InvalidCbor));
            }
            let len = self.head()?.1.unwrap_or(0);
            last = self.slice(len, chunk)?;
            if major == 3 && core::str::from_utf8(last).is_err() {
                return Err(DecodeError::new(K::InvalidUtf8, chunk));
            }
            chunks += 1;
        }
        Ok((last, Some(chunks)))
    }

    /// Skips a string of any length and chunking (well-formed CBOR, even where
    /// [`Reader::str`] cannot borrow it); text must be UTF-8.
    fn skip_string(&mut self, major: u8) -> Result<(), DecodeError> {
        let pos = self.position();
        match self.chunks(major, "string")? {
            (text, None) if major == 3 => core::str::from_utf8(text)
                .map(drop)
                .map_err(|_| DecodeError::new(K::InvalidUtf8, pos)),
            _ => Ok(()),
        }
    }

    /// The next `len` bytes (the content of a string whose head started at `head`).
    #[inline]
    fn slice(&mut self, len: u64, head: usize) -> Result<&'b [u8], DecodeError> {
        let start = self.position();
        let input = self.input();
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= input.len())
            .ok_or_else(|| DecodeError::new(K::Truncated, head))?;
        self.set_position(end);
        Ok(&input[start..end])
    }

    /// Skips one data item of any type, however nested (up to [`MAX_DEPTH`]), without
    /// allocating; indefinite lengths are accepted anywhere.
    #[inline]
    pub fn skip(&mut self) -> Result<(), DecodeError> {
        match self.peek() {
            Ok(b) if b < 0x18 => {
                self.advance(1);
                Ok(())
            }
            _ => self.skip_any(),
        }
    }

    /// [`Reader::skip`] past the first byte.
    #[inline(never)]
    fn skip_any(&mut self) -> Result<(), DecodeError> {
        // Fast path: a scalar, under at most one tag (most skipped items), read by the same
        // steps the loop below takes for it.
        let start = self.position();
        let mut b = self.peek()?;
        if b >> 5 == 6 {
            self.tag()?;
            b = self.peek()?;
        }
        let pos = self.position();
        match b >> 5 {
            0 => self.u64().map(drop),
            1 => self.definite(1, "integer").map(drop),
            2 | 3 => self.skip_string(b >> 5),
            7 => self.simple_or_float(pos),
            _ => {
                self.set_position(start);
                self.skip_nested()
            }
        }
    }

    /// [`Reader::skip`] for any item.
    fn skip_nested(&mut self) -> Result<(), DecodeError> {
        // remaining[i]: items still to skip at nesting level i; u64::MAX = until break.
        const UNTIL_BREAK: u64 = u64::MAX;
        let mut remaining = [0u64; MAX_DEPTH + 1];
        let mut depth = 0usize;
        remaining[0] = 1;
        loop {
            // Pop finished levels.
            while remaining[depth] == 0 {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            let b = self.peek()?;
            if remaining[depth] == UNTIL_BREAK {
                if b == BREAK {
                    self.advance(1);
                    remaining[depth] = 0;
                    continue;
                }
            } else {
                remaining[depth] -= 1;
            }
            let pos = self.position();
            let nested = match b >> 5 {
                0 => self.u64().map(|_| None),
                1 => self.definite(1, "integer").map(|_| None),
                2 | 3 => self.skip_string(b >> 5).map(|_| None),
                4 => self.array().map(|l| Some((l, 1))),
                5 => self.map().map(|l| Some((l, 2))),
                6 => {
                    self.tag()?;
                    // The tagged item is one more item at a new level.
                    Ok(Some((Len::Definite(1), 1)))
                }
                _ => self.simple_or_float(pos).map(|_| None),
            }?;
            if let Some((len, per)) = nested {
                let count = match len {
                    Len::Definite(0) => continue,
                    Len::Definite(n) => n.saturating_mul(per).min(UNTIL_BREAK - 1),
                    Len::Indefinite => UNTIL_BREAK,
                };
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(DecodeError::new(K::TooDeep, pos));
                }
                remaining[depth] = count;
            }
        }
    }

    fn simple_or_float(&mut self, pos: usize) -> Result<(), DecodeError> {
        let b = self.peek()?;
        match b {
            0xf9..=0xfb => self.f64().map(|_| ()),
            0xe0..=0xf7 => {
                self.advance(1);
                Ok(())
            }
            0xf8 => {
                // One-byte simple value: values below 32 must use the short form.
                match self.input().get(pos + 1) {
                    Some(&v) if v >= 32 => {
                        self.advance(2);
                        Ok(())
                    }
                    Some(_) => Err(DecodeError::new(K::InvalidCbor, pos)),
                    None => Err(DecodeError::new(K::Truncated, pos)),
                }
            }
            // 0xfc..=0xfe reserved, 0xff a break where no item may end.
            _ => Err(DecodeError::new(K::InvalidCbor, pos)),
        }
    }

    /// Skips one item and returns its bytes.
    pub fn raw(&mut self) -> Result<&'b [u8], DecodeError> {
        let start = self.position();
        self.skip()?;
        Ok(&self.input()[start..self.position()])
    }

    /// A type-mismatch error at the current position, or the structural error the next
    /// byte really is (a break or reserved value is malformed CBOR, not a wrong type).
    pub(crate) fn wrong_type(&self, expected: &'static str) -> DecodeError {
        match self.peek() {
            Err(e) => e,
            Ok(b) if b == BREAK || (0xfc..=0xfe).contains(&b) || is_reserved_info(b) => {
                self.err(K::InvalidCbor)
            }
            Ok(_) => self.err(K::WrongType(expected)),
        }
    }
}

/// Additional-information values 28–30 are reserved in every major type.
const fn is_reserved_info(b: u8) -> bool {
    matches!(b & 0x1f, 28..=30) || (b & 0x1f == 31 && matches!(b >> 5, 0 | 1 | 6))
}
