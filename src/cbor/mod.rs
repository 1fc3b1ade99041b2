//! The CBOR toolkit: what minicbor does not already do for this protocol. Internal.
//!
//! - [`Reader`]: decoding with fast paths for minimal encodings and the lenient general
//!   path out of line; `skip.rs`: the structural, depth-bounded skip.
//! - [`MapSpec`]: the one table-driven loop every parameter and item map goes through.
//! - [`Writer`]: canonical encoding into a caller's slice, sizing in the same pass.
//! - [`Cbor`]: the trait every wire type implements, sealed (users cannot name it).
//! - `diag.rs`: diagnostic notation (RFC 8949 §8) for raw items.

use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

mod chunks;
pub(crate) mod diag;
mod lazy;
mod map;
mod reader;
mod skip;
mod write;

pub(crate) use chunks::ChunkIter;
pub(crate) use map::{MapSpec, keys_are_slots, required};
// Reader and Writer are nominally `pub` because the sealed `Cbor` trait names them; the
// module is private, so no user can reach them.
pub(crate) use reader::{BREAK, Chunks, Len, NONE, int_at, is_malformed_start};
#[allow(unreachable_pub)]
pub use reader::{MAX_DEPTH, Reader};
#[allow(unreachable_pub)]
pub use write::Writer;

/// A value with a wire form: read borrowing from the input, written canonically.
///
/// Sealed: the crate's types implement it, users cannot (the trait is not nameable).
pub trait Cbor<'b>: Sized {
    /// A placeholder: what a struct's field holds until its key has been read.
    const EMPTY: Self;

    /// True for map entries `(K, V)`: a sequence of them is a CBOR map, not an array.
    const ENTRY: bool = false;

    /// True for sequences: a success item that is one may be left for its iteration (its
    /// head is where the item starts, under which the iteration records its end).
    const SEQ: bool = false;

    /// Reads one value. When the reader fails (its error latched, with the offset where
    /// the offending item starts) the value is a placeholder.
    fn read(r: &mut Reader<'b>) -> Self;

    /// Reads one value into `self`, which must be [`Cbor::EMPTY`] (a map struct keeps the
    /// placeholder in the fields its map lacks); unspecified when the reader fails. For
    /// large values, which are then built where they are to live rather than copied there.
    #[inline]
    fn read_into(&mut self, r: &mut Reader<'b>) {
        *self = Self::read(r);
    }

    /// Writes the value in canonical form.
    fn write(&self, w: &mut Writer<'_>);

    /// Reads every lazily read part of the value (the elements of its sequences, at every
    /// level) and returns the first error.
    fn check(&self) -> Result<(), DecodeError> {
        Ok(())
    }

    /// Generates one element of an arbitrary sequence (feature `arbitrary`): the same value
    /// `arbitrary::Arbitrary::arbitrary` gives for the same bytes. A sequence built by
    /// `arbitrary` keeps its input bytes and calls this to regenerate its elements, so it
    /// borrows, allocates nothing and leaks nothing. Element types override it.
    #[cfg(feature = "arbitrary")]
    #[doc(hidden)]
    fn arbitrary_element(_: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
        Err(arbitrary::Error::IncorrectFormat)
    }
}

/// Decodes one standalone value — a [`Value`](crate::Value), a
/// [`TimePoint`](crate::TimePoint), a parameter struct, … — that must fill `bytes`.
///
/// Messages are decoded with [`Batch`](crate::Batch); this is for values that travel on
/// their own (tests, stored values). Offsets in errors are relative to `bytes`.
pub fn decode<'b, T: Cbor<'b>>(bytes: &'b [u8]) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes);
    let value = T::read(&mut r);
    if !r.failed() && r.position() < bytes.len() {
        r.fail(DecodeErrorKind::TrailingBytes, r.position());
    }
    r.result(value)
}

/// Encodes one standalone value into `buf`; returns the length written. When `buf` is too
/// small: [`EncodeError::BufferTooSmall`] with the exact size needed.
pub fn encode<'b, T: Cbor<'b>>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut w = Writer::new(buf);
    value.write(&mut w);
    w.finish()
}

/// The number of bytes [`encode`] writes for `value`.
pub fn encoded_len<'b, T: Cbor<'b>>(value: &T) -> usize {
    let mut w = Writer::new(&mut []);
    value.write(&mut w);
    w.len()
}

impl<'b> Cbor<'b> for u64 {
    const EMPTY: Self = 0;
    #[inline]
    fn read(r: &mut Reader<'b>) -> Self {
        r.uint()
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) {
        w.uint(*self);
    }
}

impl<'b> Cbor<'b> for i64 {
    const EMPTY: Self = 0;
    #[inline]
    fn read(r: &mut Reader<'b>) -> Self {
        r.int()
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) {
        w.int(*self);
    }
}

impl<'b> Cbor<'b> for bool {
    const EMPTY: Self = false;
    fn read(r: &mut Reader<'b>) -> Self {
        r.bool()
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.bool(*self);
    }
}

impl<'b> Cbor<'b> for f64 {
    const EMPTY: Self = 0.0;
    fn read(r: &mut Reader<'b>) -> Self {
        r.f64()
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.f64(*self);
    }
}

impl<'b, K: Cbor<'b>, V: Cbor<'b>> Cbor<'b> for (K, V) {
    const EMPTY: Self = (K::EMPTY, V::EMPTY);
    const ENTRY: bool = true;

    #[inline]
    fn read(r: &mut Reader<'b>) -> Self {
        // Only the value can be the last part of what is read around it.
        let key = r.not_tail(K::read);
        (key, V::read(r))
    }
    fn write(&self, w: &mut Writer<'_>) {
        self.0.write(w);
        self.1.write(w);
    }

    fn check(&self) -> Result<(), DecodeError> {
        self.0.check()?;
        self.1.check()
    }

    #[cfg(feature = "arbitrary")]
    fn arbitrary_element(u: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
        Ok((K::arbitrary_element(u)?, V::arbitrary_element(u)?))
    }
}
