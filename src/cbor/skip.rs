//! The structural skip: steps over well-formed items without reading what they hold.
//!
//! It checks what RFC 8949 calls well-formedness (§5.3.1) — heads, lengths, chunk types,
//! breaks, simple values — and nesting up to [`MAX_DEPTH`], in one tight loop that keeps
//! its state in locals, without recursion and without allocating. It does not check
//! validity: a text string's UTF-8 is checked when the text is read as text, so no byte is
//! checked twice.

use super::reader::{BREAK, Head, MAX_DEPTH, Reader, head};
use crate::error::DecodeErrorKind as K;

/// Items left at a level that runs until a break.
const UNTIL_BREAK: u32 = u32::MAX;

impl<'b> Reader<'b> {
    /// Skips one data item of any type.
    #[inline]
    pub(crate) fn skip(&mut self) {
        // One-byte scalars (small integers, simple values) inline, the rest out of line.
        match self.peek() {
            Some(0x00..=0x17 | 0x20..=0x37 | 0xe0..=0xf7) => {
                self.set_position(self.position() + 1);
            }
            _ => self.skip_items(1),
        }
    }

    /// Skips one item and returns its bytes (empty when the reader failed).
    pub(crate) fn raw(&mut self) -> &'b [u8] {
        let start = self.position();
        self.skip();
        match self.failed() {
            true => &[],
            false => &self.input()[start..self.position()],
        }
    }

    /// Skips `count` items. Each may nest up to [`MAX_DEPTH`] levels.
    #[inline(never)]
    pub(crate) fn skip_items(&mut self, count: u64) {
        match self.walk(count) {
            Ok(end) => self.set_position(end),
            Err((kind, at)) => self.fail(kind, at),
        }
    }

    /// Steps over `count` items from the current position; where they end, or what is
    /// wrong where. Does not move the reader.
    fn walk(&self, count: u64) -> Result<usize, (K, usize)> {
        if self.failed() {
            return Ok(self.position());
        }
        let input = self.input();
        let mut pos = self.position();
        // The items left at each enclosing level; `left` is the current level's.
        let mut parents = [0u32; MAX_DEPTH];
        let mut depth = 0usize;
        // A count beyond the input fails as truncated before it runs out.
        let mut left = clamp(count);
        loop {
            if left == 0 {
                if depth == 0 {
                    return Ok(pos);
                }
                depth -= 1;
                left = parents[depth];
                continue;
            }
            let Some(&b) = input.get(pos) else {
                return Err((K::Truncated, pos));
            };
            if left != UNTIL_BREAK {
                left -= 1;
                // Fast path: an item whose size its initial byte gives (integers, short
                // strings, simple values, floats).
                let step = usize::from(STEP[usize::from(b)]);
                if step != 0 {
                    pos += step;
                    if pos > input.len() {
                        return Err((K::Truncated, pos - step));
                    }
                    continue;
                }
                // A short array of one-byte items, as a whole (`83 0b 09 07`).
                if let 0x81..=0x97 = b
                    && depth < MAX_DEPTH
                    && let Some(items) = input.get(pos + 1..pos + 1 + usize::from(b & 0x1f))
                    && items.iter().all(|&x| STEP[usize::from(x)] == 1)
                {
                    pos += 1 + items.len();
                    continue;
                }
            } else if b == BREAK {
                pos += 1;
                left = 0;
                continue;
            }
            // A UUID, `37(h'…')` (the nesting its tag adds ends at once).
            if b == 0xd8
                && depth < MAX_DEPTH
                && input.get(pos + 1..pos + 3) == Some(&[0x25, 0x50][..])
            {
                if pos + 19 > input.len() {
                    return Err((K::Truncated, pos + 2));
                }
                pos += 19;
                continue;
            }
            // A short definite array or map (`83`, `a2`).
            if matches!(b, 0x81..=0x97 | 0xa1..=0xb7) {
                if depth >= MAX_DEPTH {
                    return Err((K::TooDeep, pos));
                }
                let n = u32::from(b & 0x1f);
                parents[depth] = left;
                depth += 1;
                left = if b < 0xa0 { n } else { 2 * n };
                pos += 1;
                continue;
            }
            let head = HEAD[usize::from(b)];
            let at = pos;
            pos += usize::from(head & SIZE);
            // The argument: the low bits, or the bytes after the initial byte.
            let arg = match head & SIZE {
                1 => u64::from(b & 0x1f),
                size => match argument(input, at, size) {
                    Some(arg) => arg,
                    None => return Err((K::Truncated, at)),
                },
            };
            let items = match head & CLASS {
                SCALAR => continue,
                STRING => {
                    pos = match string_end(input, pos, arg) {
                        Some(end) => end,
                        None => return Err((K::Truncated, at)),
                    };
                    continue;
                }
                ARRAY => clamp(arg),
                MAP => clamp(arg.saturating_mul(2)),
                TAG => 1,
                OPEN if b < 0x80 => {
                    pos = chunks_end(input, pos, b >> 5)?;
                    continue;
                }
                OPEN => UNTIL_BREAK,
                // `f8 xx`: values below 32 must use the short form.
                SIMPLE if arg >= 32 => continue,
                _ => return Err((K::InvalidCbor, at)),
            };
            if items == 0 {
                continue;
            }
            if depth >= MAX_DEPTH {
                return Err((K::TooDeep, at));
            }
            parents[depth] = left;
            depth += 1;
            left = items;
        }
    }
}

inlining! { hot:
    /// The argument of a head of `size` bytes (2, 3, 5 or 9) at `at`, if the input holds it.
    fn argument(input: &[u8], at: usize, size: u8) -> Option<u64> {
        let rest = input.get(at + 1..)?;
        Some(match size {
            2 => u64::from(*rest.first()?),
            3 => u64::from(u16::from_be_bytes(*rest.first_chunk()?)),
            5 => u64::from(u32::from_be_bytes(*rest.first_chunk()?)),
            _ => u64::from_be_bytes(*rest.first_chunk()?),
        })
    }
}

/// The whole size of the item each initial byte starts, when the byte alone gives it (0:
/// it does not — containers, tags, longer strings, breaks, reserved values, `f8`).
const STEP: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let (major, info) = (b >> 5, b & 0x1f);
        table[b] = match (major, info) {
            (0 | 1, 0..=23) => 1,
            (0 | 1, 24) => 2,
            (0 | 1, 25) => 3,
            (0 | 1, 26) => 5,
            (0 | 1, 27) => 9,
            (2 | 3, 0..=23) => 1 + info as u8,
            (7, 0..=23) => 1,
            (7, 25) => 3,
            (7, 26) => 5,
            (7, 27) => 9,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// [`HEAD`]'s bits: the head's size in bytes (1, 2, 3, 5 or 9) …
const SIZE: u8 = 0x0f;
/// … and what the item is.
const CLASS: u8 = 0xf0;
/// Complete after its head: an integer, a simple value, a float.
const SCALAR: u8 = 0x00;
/// A definite string: its head, then `argument` bytes.
const STRING: u8 = 0x10;
/// A definite array of `argument` items.
const ARRAY: u8 = 0x20;
/// A definite map of `argument` pairs.
const MAP: u8 = 0x30;
/// A tag: one item follows.
const TAG: u8 = 0x40;
/// An indefinite string, array or map.
const OPEN: u8 = 0x50;
/// `f8 xx`: a one-byte simple value, well-formed from 32 up.
const SIMPLE: u8 = 0x60;
/// Not well-formed where an item must start: reserved values, a break, indefinite integers
/// and tags.
const INVALID: u8 = 0x70;

/// What each initial byte starts (RFC 8949 §3 and appendix B).
const HEAD: [u8; 256] = {
    let mut table = [INVALID | 1; 256];
    let mut b = 0;
    while b < 256 {
        let (major, info) = (b >> 5, b & 0x1f);
        let size: u8 = match info {
            0..=23 => 1,
            24 => 2,
            25 => 3,
            26 => 5,
            27 => 9,
            _ => 1,
        };
        table[b] = match (major, info) {
            (_, 28..=30) => INVALID | 1,
            (0 | 1 | 6, 31) => INVALID | 1,
            (7, 31) => INVALID | 1,
            (2..=5, 31) => OPEN | 1,
            (0 | 1, _) => SCALAR | size,
            (2 | 3, _) => STRING | size,
            (4, _) => ARRAY | size,
            (5, _) => MAP | size,
            (6, _) => TAG | size,
            (7, 24) => SIMPLE | 2,
            (7, _) => SCALAR | size,
            _ => INVALID | 1,
        };
        b += 1;
    }
    table
};

inlining! { hot:
    /// An item count as a level's `left`: below [`UNTIL_BREAK`], which a count of 2³²−1 must
    /// not become (counts beyond the input fail as truncated anyway).
    fn clamp(n: u64) -> u32 {
        n.min(u64::from(UNTIL_BREAK - 1)) as u32
    }
}

inlining! { hot:
    /// Where a string of `len` bytes from `pos` ends, if the input holds it.
    fn string_end(input: &[u8], pos: usize, len: u64) -> Option<usize> {
        usize::try_from(len)
            .ok()
            .and_then(|n| pos.checked_add(n))
            .filter(|&end| end <= input.len())
    }
}

/// Where the chunks of an indefinite string of major type `major` from `pos` end (after
/// the break): each chunk a definite string of the same major type.
fn chunks_end(input: &[u8], mut pos: usize, major: u8) -> Result<usize, (K, usize)> {
    loop {
        let Some(&b) = input.get(pos) else {
            return Err((K::Truncated, pos));
        };
        if b == BREAK {
            return Ok(pos + 1);
        }
        if b >> 5 != major {
            return Err((K::InvalidCbor, pos));
        }
        let (len, size) = match head(input, pos, b) {
            Head::Arg(len, size) => (len, size),
            Head::Truncated => return Err((K::Truncated, pos)),
            Head::Open | Head::Invalid => return Err((K::InvalidCbor, pos)),
        };
        pos = string_end(input, pos + size, len).ok_or((K::Truncated, pos))?;
    }
}
