//! Wire primitives: what minicbor does not already do for this protocol.
//!
//! - [`Reader`]: decoding with the protocol's leniency and errors that say where.
//! - [`Cbor`]: the one trait every wire type implements (decode borrowed, encode canonical).
//! - [`Raw`], [`Seq`]: borrowed CBOR — a single item kept as bytes, and a typed array or map
//!   read lazily from the input (zero-copy, zero-allocation).
//! - [`uuid`](mod@uuid), [`value`], [`time`], [`enums`]: tag-37 UUIDs, attribute values and the
//!   121/122/123 alternatives, time points, and the spec's numbered tables.
//!
//! # Leniency (decode) and canonical form (encode)
//!
//! Every leniency rule of the crate lives in this module and is listed here:
//!
//! | accepted when decoding | written when encoding |
//! |---|---|
//! | integers in any width (`18 41`, `19 0041`, …) | the shortest width |
//! | definite and indefinite arrays and maps | definite lengths |
//! | indefinite strings of at most one chunk ([`DecodeErrorKind::ChunkedString`] otherwise) | definite strings |
//! | floats as f16, f32 or f64 | the shortest width that loses nothing |
//! | map keys in any order, unknown keys skipped | ascending keys, only known ones |
//! | UUIDs as `37(h'16 bytes')`, `37("32 hex digits")` or `37("hyphenated")` | `37(h'16 bytes')` |
//! | time points as `1(int)`, `1(float)`, `1001({4: 4([e, m])})`, `1001({1: n})`, a bare number | as decoded; `1001(…)` for new ones |
//!
//! Strict everywhere else: wrong types, truncation, trailing bytes, bad UTF-8, reserved
//! encodings, duplicate keys and nesting deeper than [`MAX_DEPTH`] are errors.
//!
//! # No panics
//! No function here panics, whatever the input: every malformed input is a [`DecodeError`].

use core::fmt;

use minicbor::Encoder;
use minicbor::encode::Write;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

#[macro_use]
mod macros;
pub mod enums;
mod reader;
pub mod time;
pub mod uuid;
pub mod value;

pub use reader::{Len, MAX_DEPTH, Reader};

/// The error minicbor's encoder returns for writer `W`.
pub type WriteError<W> = minicbor::encode::Error<<W as Write>::Error>;

/// A value with a wire form: decoded borrowing from the input, encoded canonically.
pub trait Cbor<'b>: Sized {
    /// True for map entries `(K, V)`: a [`Seq`] of them is a CBOR map, not an array.
    const ENTRY: bool = false;

    /// Decodes one value; on error, the offset is where the offending item starts.
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError>;

    /// Encodes the value in canonical form.
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>>;

    /// Generates one element of an arbitrary [`Seq`] (feature `arbitrary`): the same value
    /// `arbitrary::Arbitrary::arbitrary` gives for the same bytes. A [`Seq`] built by
    /// `arbitrary` keeps its input bytes and calls this to regenerate its elements, so it
    /// borrows, allocates nothing and leaks nothing. Element types override it.
    #[cfg(feature = "arbitrary")]
    #[doc(hidden)]
    fn arbitrary_element(_: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
        Err(arbitrary::Error::IncorrectFormat)
    }
}

impl<'b> Cbor<'b> for u64 {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.u64()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.u64(*self)?.ok()
    }
}

impl<'b> Cbor<'b> for i64 {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.i64()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.i64(*self)?.ok()
    }
}

impl<'b> Cbor<'b> for bool {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.bool()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.bool(*self)?.ok()
    }
}

impl<'b> Cbor<'b> for &'b str {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.str()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.str(self)?.ok()
    }
}

impl<'b> Cbor<'b> for &'b [u8] {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.bytes()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.bytes(self)?.ok()
    }
}

impl<'b> Cbor<'b> for f64 {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.f64()
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        write_f64(e, *self)
    }
}

impl<'b, K: Cbor<'b>, V: Cbor<'b>> Cbor<'b> for (K, V) {
    const ENTRY: bool = true;

    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        Ok((K::decode(r)?, V::decode(r)?))
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        self.0.encode(e)?;
        self.1.encode(e)
    }

    #[cfg(feature = "arbitrary")]
    fn arbitrary_element(u: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
        Ok((K::arbitrary_element(u)?, V::arbitrary_element(u)?))
    }
}

/// Lists a structure's present fields by name, for diagnostics (`inspect`, logs).
pub trait Fields {
    /// Calls `f` with each present field's name and value, in key order.
    fn for_each_field(&self, f: &mut dyn FnMut(&'static str, &dyn fmt::Debug));
}

/// Writes `x` as the shortest float (f16, f32 or f64) that holds it exactly; NaN as f16.
pub fn write_f64<W: Write>(e: &mut Encoder<W>, x: f64) -> Result<(), WriteError<W>> {
    let single = x as f32;
    if x.is_nan() || f64::from(single) == x {
        if x.is_nan() || fits_f16(single) {
            return e.f16(single)?.ok();
        }
        return e.f32(single)?.ok();
    }
    e.f64(x)?.ok()
}

/// True when the f32 `x` is exactly representable as an IEEE 754 half.
fn fits_f16(x: f32) -> bool {
    if x == 0.0 || x.is_infinite() {
        return true;
    }
    let bits = x.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = bits & 0x7f_ffff;
    match exp {
        // Normal halves: 10 mantissa bits survive, the low 13 must be zero.
        -14..=15 => mantissa & 0x1fff == 0,
        // Subnormal halves: the value is a multiple of 2^-24.
        -24..=-15 => {
            let shift = 13 + (-14 - exp) as u32;
            mantissa & ((1u32 << shift) - 1) == 0
        }
        _ => false,
    }
}

/// One well-formed CBOR data item, kept as its bytes (borrowed from the input).
///
/// Used where the spec leaves a value open (custom attribute values, opcode 9's map, a
/// success item read without knowing its opcode). Encoding copies the bytes unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Raw<'b>(&'b [u8]);

impl<'b> Raw<'b> {
    /// Checks that `bytes` hold exactly one well-formed data item.
    pub fn new(bytes: &'b [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.skip()?;
        if !r.is_empty() {
            return Err(r.err(DecodeErrorKind::TrailingBytes));
        }
        Ok(Raw(bytes))
    }

    /// The item's bytes.
    pub fn as_bytes(&self) -> &'b [u8] {
        self.0
    }

    /// Decodes the item as `T`; the whole item must be consumed.
    pub fn decode_as<T: Cbor<'b>>(&self) -> Result<T, DecodeError> {
        let mut r = Reader::new(self.0);
        let v = T::decode(&mut r)?;
        if !r.is_empty() {
            return Err(r.err(DecodeErrorKind::TrailingBytes));
        }
        Ok(v)
    }
}

impl<'b> Cbor<'b> for Raw<'b> {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.raw().map(Raw)
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.writer_mut()
            .write_all(self.0)
            .map_err(minicbor::encode::Error::write)
    }
}

impl fmt::Debug for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw({self})")
    }
}

/// CBOR diagnostic notation (RFC 8949 §8), e.g. `[1, {0: "a"}, 37(h'00ff')]`.
impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        diag(&mut Reader::new(self.0), f, 0)
    }
}

/// Writes one item in diagnostic notation. `Raw` items are checked, so the reader cannot
/// fail here; if it did, the item is shown as `<malformed>`.
fn diag(r: &mut Reader<'_>, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    let malformed = |f: &mut fmt::Formatter<'_>| f.write_str("<malformed>");
    let Ok(b) = r.peek() else { return malformed(f) };
    match b >> 5 {
        0 | 1 => match r.i64() {
            Ok(n) => write!(f, "{n}"),
            Err(_) => match r.raw() {
                Ok(bytes) if b >> 5 == 0 => write!(f, "{}", value_u64(bytes)),
                Ok(bytes) => write!(f, "-1-{}", value_u64(bytes)),
                Err(_) => malformed(f),
            },
        },
        2 => match r.bytes() {
            Ok(bytes) => {
                f.write_str("h'")?;
                bytes.iter().try_for_each(|x| write!(f, "{x:02x}"))?;
                f.write_str("'")
            }
            Err(_) => malformed(f),
        },
        3 => match r.str() {
            Ok(s) => write!(f, "{s:?}"),
            Err(_) => malformed(f),
        },
        4 | 5 => {
            let map = b >> 5 == 5;
            let Ok(mut len) = (if map { r.map() } else { r.array() }) else {
                return malformed(f);
            };
            f.write_str(if map { "{" } else { "[" })?;
            let mut first = true;
            while let Ok(true) = r.has_next(&mut len) {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                diag(r, f, depth + 1)?;
                if map {
                    f.write_str(": ")?;
                    diag(r, f, depth + 1)?;
                }
            }
            f.write_str(if map { "}" } else { "]" })
        }
        6 => match r.tag() {
            Ok(t) if depth < MAX_DEPTH => {
                write!(f, "{t}(")?;
                diag(r, f, depth + 1)?;
                f.write_str(")")
            }
            _ => malformed(f),
        },
        _ => match b {
            0xf4..=0xf7 => {
                let _ = r.raw();
                f.write_str(["false", "true", "null", "undefined"][usize::from(b - 0xf4)])
            }
            0xf9..=0xfb => match r.f64() {
                Ok(x) if x.is_nan() => f.write_str("NaN"),
                Ok(x) if x.is_infinite() => {
                    f.write_str(if x > 0.0 { "Infinity" } else { "-Infinity" })
                }
                Ok(x) => write!(f, "{x:?}"),
                Err(_) => malformed(f),
            },
            _ => match r.raw() {
                // `f8 xx`: the value is the second byte; else the initial byte's low bits.
                Ok([_, value]) => write!(f, "simple({value})"),
                Ok(bytes) => write!(f, "simple({})", bytes.first().copied().unwrap_or(0) & 0x1f),
                Err(_) => malformed(f),
            },
        },
    }
}

/// The argument of an integer head (for values outside `i64`).
fn value_u64(head: &[u8]) -> u64 {
    head.iter()
        .skip(1)
        .fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

/// A sequence of `T`: a CBOR array, or a CBOR map when `T` is a pair `(K, V)`.
///
/// Decoding checks every element and keeps the input bytes; iterating decodes them again,
/// lazily, so nothing is copied or allocated. To encode, build one from a slice.
#[derive(Clone, Copy)]
pub struct Seq<'b, T> {
    repr: SeqRepr<'b, T>,
}

#[derive(Clone, Copy)]
enum SeqRepr<'b, T> {
    /// Checked elements as they came off the wire (without the head; with a trailing break
    /// if the sequence was indefinite).
    Wire { bytes: &'b [u8], len: usize },
    /// Caller-provided elements.
    Slice(&'b [T]),
    /// Elements generated by `arbitrary` from `data` (regenerated on each iteration).
    #[cfg(feature = "arbitrary")]
    Arbitrary { data: &'b [u8], len: usize },
}

impl<'b, T> Seq<'b, T> {
    /// A sequence over `items`, for encoding.
    pub const fn from_slice(items: &'b [T]) -> Self {
        Seq {
            repr: SeqRepr::Slice(items),
        }
    }

    /// The number of elements (map: of entries).
    pub fn len(&self) -> usize {
        match self.repr {
            SeqRepr::Wire { len, .. } => len,
            SeqRepr::Slice(items) => items.len(),
            #[cfg(feature = "arbitrary")]
            SeqRepr::Arbitrary { len, .. } => len,
        }
    }

    /// A sequence of `len` elements that [`Cbor::arbitrary_element`] generates from `data`.
    #[cfg(feature = "arbitrary")]
    pub(crate) const fn from_arbitrary(data: &'b [u8], len: usize) -> Self {
        Seq {
            repr: SeqRepr::Arbitrary { data, len },
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'b, T: Cbor<'b> + Clone> Seq<'b, T> {
    /// The elements, in order.
    pub fn iter(&self) -> SeqIter<'b, T> {
        match self.repr {
            SeqRepr::Wire { bytes, len } => SeqIter::Wire {
                r: Reader::new(bytes),
                left: len,
            },
            SeqRepr::Slice(items) => SeqIter::Slice(items.iter()),
            #[cfg(feature = "arbitrary")]
            SeqRepr::Arbitrary { data, len } => SeqIter::Arbitrary { data, left: len },
        }
    }
}

impl<'b, T> From<&'b [T]> for Seq<'b, T> {
    fn from(items: &'b [T]) -> Self {
        Seq::from_slice(items)
    }
}

impl<'b, T, const N: usize> From<&'b [T; N]> for Seq<'b, T> {
    fn from(items: &'b [T; N]) -> Self {
        Seq::from_slice(items)
    }
}

/// Iterator over a [`Seq`].
#[derive(Debug, Clone)]
pub enum SeqIter<'b, T> {
    #[doc(hidden)]
    Wire { r: Reader<'b>, left: usize },
    #[doc(hidden)]
    Slice(core::slice::Iter<'b, T>),
    #[cfg(feature = "arbitrary")]
    #[doc(hidden)]
    Arbitrary { data: &'b [u8], left: usize },
}

impl<'b, T: Cbor<'b> + Clone> Iterator for SeqIter<'b, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match self {
            SeqIter::Wire { r, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                // The elements were checked when the sequence was decoded.
                T::decode(r).ok()
            }
            SeqIter::Slice(items) => items.next().cloned(),
            #[cfg(feature = "arbitrary")]
            SeqIter::Arbitrary { data, left } => {
                *left = left.checked_sub(1)?;
                let mut u = arbitrary::Unstructured::new(data);
                let item = T::arbitrary_element(&mut u).ok();
                *data = u.take_rest();
                item
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            SeqIter::Wire { left, .. } => *left,
            SeqIter::Slice(items) => items.len(),
            #[cfg(feature = "arbitrary")]
            SeqIter::Arbitrary { left, .. } => *left,
        };
        (n, Some(n))
    }
}

impl<'b, T: Cbor<'b> + Clone> IntoIterator for &Seq<'b, T> {
    type Item = T;
    type IntoIter = SeqIter<'b, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'b, T: Cbor<'b> + Clone> Cbor<'b> for Seq<'b, T> {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        let mut head = if T::ENTRY { r.map()? } else { r.array()? };
        let start = r.position();
        let mut len = 0usize;
        while r.has_next(&mut head)? {
            T::decode(r)?;
            len += 1;
        }
        let bytes = &r.input()[start..r.position()];
        Ok(Seq {
            repr: SeqRepr::Wire { bytes, len },
        })
    }

    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        let n = self.len() as u64;
        if T::ENTRY {
            e.map(n)?;
        } else {
            e.array(n)?;
        }
        for item in self.iter() {
            item.encode(e)?;
        }
        Ok(())
    }
}

impl<'b, T: Cbor<'b> + Clone + PartialEq> PartialEq for Seq<'b, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<'b, T: Cbor<'b> + Clone + fmt::Debug> fmt::Debug for Seq<'b, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A writer into a slice that writes what fits and counts everything.
///
/// One pass both encodes and sizes: when [`SliceWriter::len`] exceeds the slice, the output
/// did not fit and `len` is the size it needs. It never fails, so encoders compiled for it
/// carry no error paths, and every encoder exists once in a binary that only uses it.
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer at the start of `buf` (an empty one only counts).
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter { buf, len: 0 }
    }

    /// The bytes written so far, whether they fitted or not.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when everything written fitted in the slice.
    pub fn fits(&self) -> bool {
        self.len <= self.buf.len()
    }
}

impl Write for SliceWriter<'_> {
    type Error = core::convert::Infallible;

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
        Ok(())
    }
}

/// Something that writes itself as CBOR: the unit [`encode_into`] sizes and writes.
pub trait Emit {
    /// Writes the value.
    fn emit<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>>;
}

impl<'b, T: Cbor<'b>> Emit for T {
    #[inline]
    fn emit<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        self.encode(e)
    }
}

/// Writes `value` into `buf` and returns the number of bytes written; when `buf` is too
/// small, returns the exact size needed (the bytes that fitted are left in `buf`).
pub fn encode_into<T: Emit + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut e = Encoder::new(SliceWriter::new(buf));
    let _ = value.emit(&mut e);
    let w = e.writer();
    if w.fits() {
        Ok(w.len())
    } else {
        Err(EncodeError::BufferTooSmall { required: w.len() })
    }
}

/// The number of bytes `value` encodes to.
pub fn encoded_len<T: Emit + ?Sized>(value: &T) -> usize {
    let mut e = Encoder::new(SliceWriter::new(&mut []));
    let _ = value.emit(&mut e);
    e.writer().len()
}

defmt_via_debug!(Raw<'_>, SliceWriter<'_>, Len, Reader<'_>);

#[cfg(feature = "defmt")]
impl<'b, T: Cbor<'b> + Clone + fmt::Debug> defmt::Format for Seq<'b, T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}

#[cfg(feature = "defmt")]
impl<T: fmt::Debug> defmt::Format for SeqIter<'_, T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", defmt::Debug2Format(self))
    }
}
