//! [`Text`] and [`Bytes`]: borrowed strings that may arrive in chunks (RFC 8949 §3.2.3).
//!
//! A definite string (and an indefinite one of at most one chunk) is one slice of the
//! message; an indefinite string of several chunks is kept as its encoding and iterated
//! chunk by chunk. Either way nothing is copied, and both compare and print as the whole
//! string.

use core::fmt;
use core::hash::{Hash, Hasher};

use crate::cbor::{Cbor, ChunkIter, Chunks, Reader, Writer};

/// A text string borrowed from a message: one `&str`, or chunks of one.
///
/// Compares with `str` and displays like one; [`Text::as_str`] gives the single slice when
/// there is one, [`Text::chunks`] every part.
#[derive(Clone, Copy)]
pub struct Text<'b>(Chunks<'b, str>);

/// A byte string borrowed from a message: one `&[u8]`, or chunks of one.
#[derive(Clone, Copy)]
pub struct Bytes<'b>(Chunks<'b, [u8]>);

impl<'b> Text<'b> {
    /// The empty string.
    pub const EMPTY: Text<'static> = Text(Chunks::One(""));

    /// Text of one slice (for encoding).
    pub const fn new(s: &'b str) -> Self {
        Text(Chunks::One(s))
    }

    /// The whole string as one slice, unless it came in several chunks.
    pub const fn as_str(&self) -> Option<&'b str> {
        match self.0 {
            Chunks::One(s) => Some(s),
            Chunks::Many(_) => None,
        }
    }

    /// The string's parts, in order: one for a string that came whole.
    pub fn chunks(&self) -> TextChunks<'b> {
        TextChunks(match self.0 {
            Chunks::One(s) => Parts::One(Some(s.as_bytes())),
            Chunks::Many(all) => Parts::Many(ChunkIter::new(all)),
        })
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.chunks().map(str::len).sum()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.chunks().all(str::is_empty)
    }

    /// True when the string equals `other`.
    fn eq_str(&self, other: &str) -> bool {
        eq_parts(self.chunks().map(str::as_bytes), other.as_bytes())
    }
}

impl<'b> Bytes<'b> {
    /// The empty byte string.
    pub const EMPTY: Bytes<'static> = Bytes(Chunks::One(&[]));

    /// Bytes of one slice (for encoding).
    pub const fn new(b: &'b [u8]) -> Self {
        Bytes(Chunks::One(b))
    }

    /// The whole string as one slice, unless it came in several chunks.
    pub const fn as_slice(&self) -> Option<&'b [u8]> {
        match self.0 {
            Chunks::One(b) => Some(b),
            Chunks::Many(_) => None,
        }
    }

    /// The string's parts, in order: one for a string that came whole.
    pub fn chunks(&self) -> BytesChunks<'b> {
        BytesChunks(match self.0 {
            Chunks::One(b) => Parts::One(Some(b)),
            Chunks::Many(all) => Parts::Many(ChunkIter::new(all)),
        })
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.chunks().map(<[u8]>::len).sum()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.chunks().all(<[u8]>::is_empty)
    }

    /// Copies the bytes into `out` when they fill it exactly (a UUID's 16, …).
    pub(crate) fn copy_exact<const N: usize>(&self) -> Option<[u8; N]> {
        let mut out = [0u8; N];
        let mut at = 0;
        for chunk in self.chunks() {
            out.get_mut(at..at + chunk.len())?.copy_from_slice(chunk);
            at += chunk.len();
        }
        (at == N).then_some(out)
    }
}

/// The parts of a [`Text`] or [`Bytes`].
#[derive(Debug, Clone)]
enum Parts<'b> {
    One(Option<&'b [u8]>),
    Many(ChunkIter<'b>),
}

impl<'b> Iterator for Parts<'b> {
    type Item = &'b [u8];
    fn next(&mut self) -> Option<&'b [u8]> {
        match self {
            Parts::One(part) => part.take(),
            Parts::Many(chunks) => chunks.next(),
        }
    }
}

/// The chunks of a [`Text`], from [`Text::chunks`].
#[derive(Debug, Clone)]
pub struct TextChunks<'b>(Parts<'b>);

impl<'b> Iterator for TextChunks<'b> {
    type Item = &'b str;
    fn next(&mut self) -> Option<&'b str> {
        // Every chunk was checked as UTF-8 when the text was read.
        self.0
            .next()
            .map(|part| core::str::from_utf8(part).unwrap_or_default())
    }
}

/// The chunks of a [`Bytes`], from [`Bytes::chunks`].
#[derive(Debug, Clone)]
pub struct BytesChunks<'b>(Parts<'b>);

impl<'b> Iterator for BytesChunks<'b> {
    type Item = &'b [u8];
    fn next(&mut self) -> Option<&'b [u8]> {
        self.0.next()
    }
}

/// True when the concatenation of `parts` is `whole`.
fn eq_parts<'a>(parts: impl Iterator<Item = &'a [u8]>, mut whole: &[u8]) -> bool {
    for part in parts {
        match whole.split_at_checked(part.len()) {
            Some((head, rest)) if head == part => whole = rest,
            _ => return false,
        }
    }
    whole.is_empty()
}

/// True when two sequences of parts concatenate to the same bytes.
fn eq_chunked<'a>(
    mut a: impl Iterator<Item = &'a [u8]>,
    mut b: impl Iterator<Item = &'a [u8]>,
) -> bool {
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty() {
            match a.next() {
                Some(part) => x = part,
                None => return y.is_empty() && b.all(<[u8]>::is_empty),
            }
        }
        while y.is_empty() {
            match b.next() {
                Some(part) => y = part,
                None => return false,
            }
        }
        let n = x.len().min(y.len());
        if x[..n] != y[..n] {
            return false;
        }
        (x, y) = (&x[n..], &y[n..]);
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::EMPTY
    }
}

impl Default for Bytes<'_> {
    fn default() -> Self {
        Bytes::EMPTY
    }
}

impl<'b> From<&'b str> for Text<'b> {
    fn from(s: &'b str) -> Self {
        Text::new(s)
    }
}

impl<'b> From<&'b [u8]> for Bytes<'b> {
    fn from(b: &'b [u8]) -> Self {
        Bytes::new(b)
    }
}

impl<'b, const N: usize> From<&'b [u8; N]> for Bytes<'b> {
    fn from(b: &'b [u8; N]) -> Self {
        Bytes::new(b)
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => eq_chunked(
                self.chunks().map(str::as_bytes),
                other.chunks().map(str::as_bytes),
            ),
        }
    }
}

impl Eq for Text<'_> {}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<Text<'_>> for str {
    fn eq(&self, other: &Text<'_>) -> bool {
        other.eq_str(self)
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        other.eq_str(self)
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.chunks().for_each(|part| state.write(part.as_bytes()));
        state.write_u8(0xff);
    }
}

impl PartialEq for Bytes<'_> {
    fn eq(&self, other: &Self) -> bool {
        eq_chunked(self.chunks(), other.chunks())
    }
}

impl Eq for Bytes<'_> {}

impl PartialEq<[u8]> for Bytes<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        eq_parts(self.chunks(), other)
    }
}

impl PartialEq<&[u8]> for Bytes<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        eq_parts(self.chunks(), other)
    }
}

impl Hash for Bytes<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.chunks().for_each(|part| state.write(part));
        state.write_u8(0xff);
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.pad(s),
            None if f.width().is_none() && f.precision().is_none() => {
                self.chunks().try_for_each(|part| f.write_str(part))
            }
            None => self.pad_chunks(f),
        }
    }
}

impl Text<'_> {
    /// `Formatter::pad` over the chunks: precision cuts to that many chars, width pads
    /// with the fill (left-aligned by default), as for the joined `str`.
    fn pad_chunks(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        let chars: usize = self.chunks().map(|part| part.chars().count()).sum();
        let shown = f.precision().map_or(chars, |p| chars.min(p));
        let pad = f.width().map_or(0, |w| w.saturating_sub(shown));
        let (before, after) = match f.align() {
            Some(fmt::Alignment::Right) => (pad, 0),
            Some(fmt::Alignment::Center) => (pad / 2, pad - pad / 2),
            _ => (0, pad),
        };
        let fill = f.fill();
        for _ in 0..before {
            f.write_char(fill)?;
        }
        let mut left = shown;
        for part in self.chunks() {
            let end = part.char_indices().nth(left).map_or(part.len(), |(i, _)| i);
            f.write_str(&part[..end])?;
            left -= part[..end].chars().count();
        }
        for _ in 0..after {
            f.write_char(fill)?;
        }
        Ok(())
    }
}

/// Quoted and escaped, as `str`'s `Debug`.
impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => {
                f.write_str("\"")?;
                for part in self.chunks() {
                    for c in part.chars() {
                        // As in a `str`: a single quote is not escaped.
                        match c {
                            '\'' => f.write_str("'")?,
                            c => write!(f, "{}", c.escape_debug())?,
                        }
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// As `h'…'` (diagnostic notation).
impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("h'")?;
        for part in self.chunks() {
            part.iter().try_for_each(|x| write!(f, "{x:02x}"))?;
        }
        f.write_str("'")
    }
}

impl<'b> Cbor<'b> for Text<'b> {
    const EMPTY: Self = Text::EMPTY;

    inlining! { shared:
        fn read(r: &mut Reader<'b>) -> Self {
            Text(r.text())
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self.as_str() {
            Some(s) => w.text(s),
            None => {
                w.head(3, self.len() as u64);
                self.chunks().for_each(|part| w.put(part.as_bytes()));
            }
        }
    }

    arbitrary_element!();
}

impl<'b> Cbor<'b> for Bytes<'b> {
    const EMPTY: Self = Bytes::EMPTY;

    inlining! { shared:
        fn read(r: &mut Reader<'b>) -> Self {
            Bytes(r.bytes())
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self.as_slice() {
            Some(b) => w.bytes(b),
            None => {
                w.head(2, self.len() as u64);
                self.chunks().for_each(|part| w.put(part));
            }
        }
    }

    arbitrary_element!();
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Text<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <&str>::arbitrary(u).map(Text::new)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Bytes<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <&[u8]>::arbitrary(u).map(Bytes::new)
    }
}

/// Quoted, as `Debug` (chunks joined, not escaped).
#[cfg(feature = "defmt")]
impl defmt::Format for Text<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "\"");
        for part in self.chunks() {
            defmt::write!(f, "{=str}", part);
        }
        defmt::write!(f, "\"");
    }
}

/// `h'…'` in hex, as `Debug`.
#[cfg(feature = "defmt")]
impl defmt::Format for Bytes<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "h'");
        for part in self.chunks() {
            for byte in part {
                defmt::write!(f, "{=u8:02x}", byte);
            }
        }
        defmt::write!(f, "'");
    }
}
