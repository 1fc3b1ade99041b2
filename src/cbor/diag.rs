//! CBOR diagnostic notation (RFC 8949 §8): `[1, {0: "a"}, 37(h'00ff'), (_ "ch", "unks")]`.

use core::fmt;

use super::ChunkIter;
use super::reader::{Chunks, MAX_DEPTH, Reader};

/// Writes the one item `bytes` holds (checked well-formed by the caller). Should the
/// reader fail anyway, the rest is shown as `<malformed>`.
pub(crate) fn write(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    item(&mut Reader::new(bytes), f, 0)
}

fn item(r: &mut Reader<'_>, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    let malformed = |f: &mut fmt::Formatter<'_>| f.write_str("<malformed>");
    let Some(b) = r.peek().filter(|_| !r.failed()) else {
        return malformed(f);
    };
    match b >> 5 {
        0 | 1 => {
            // Beyond i64 the argument is shown by hand.
            let bytes = r.raw();
            let arg = argument(bytes);
            match (b >> 5, i64::try_from(arg)) {
                (_, _) if r.failed() => malformed(f),
                (0, _) => write!(f, "{arg}"),
                (_, Ok(n)) => write!(f, "{}", -1 - n),
                (_, Err(_)) => write!(f, "-1-{arg}"),
            }
        }
        2 => match r.bytes() {
            _ if r.failed() => malformed(f),
            Chunks::One(bytes) => hex(bytes, f),
            Chunks::Many(all) => chunked(all, f, hex),
        },
        3 => match r.text() {
            _ if r.failed() => malformed(f),
            Chunks::One(s) => write!(f, "{s:?}"),
            Chunks::Many(all) => chunked(all, f, |chunk, f| {
                write!(
                    f,
                    "{:?}",
                    core::str::from_utf8(chunk).unwrap_or("<malformed>")
                )
            }),
        },
        4 | 5 => {
            let map = b >> 5 == 5;
            let mut len = if map { r.map() } else { r.array() };
            if r.failed() {
                return malformed(f);
            }
            f.write_str(if map { "{" } else { "[" })?;
            let mut first = true;
            while r.has_next(&mut len) {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                item(r, f, depth + 1)?;
                if map {
                    f.write_str(": ")?;
                    item(r, f, depth + 1)?;
                }
            }
            f.write_str(if map { "}" } else { "]" })
        }
        6 => {
            let t = r.tag();
            if r.failed() || depth >= MAX_DEPTH {
                return malformed(f);
            }
            write!(f, "{t}(")?;
            item(r, f, depth + 1)?;
            f.write_str(")")
        }
        _ => match b {
            0xf4..=0xf7 => {
                r.raw();
                f.write_str(["false", "true", "null", "undefined"][usize::from(b - 0xf4)])
            }
            0xf9..=0xfb => {
                let x = r.f64();
                match x {
                    _ if r.failed() => malformed(f),
                    x if x.is_nan() => f.write_str("NaN"),
                    x if x.is_infinite() => {
                        f.write_str(if x > 0.0 { "Infinity" } else { "-Infinity" })
                    }
                    x => write!(f, "{x:?}"),
                }
            }
            _ => match r.raw() {
                _ if r.failed() => malformed(f),
                // `f8 xx`: the value is the second byte; else the initial byte's low bits.
                [_, value] => write!(f, "simple({value})"),
                bytes => write!(f, "simple({})", bytes.first().copied().unwrap_or(0) & 0x1f),
            },
        },
    }
}

/// `h'…'`.
fn hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("h'")?;
    bytes.iter().try_for_each(|x| write!(f, "{x:02x}"))?;
    f.write_str("'")
}

/// `(_ chunk, chunk)`.
fn chunked(
    all: &[u8],
    f: &mut fmt::Formatter<'_>,
    chunk: impl Fn(&[u8], &mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    f.write_str("(_ ")?;
    for (i, part) in ChunkIter::new(all).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        chunk(part, f)?;
    }
    f.write_str(")")
}

/// The argument of an integer head.
fn argument(head: &[u8]) -> u64 {
    match head {
        [b] => u64::from(b & 0x1f),
        _ => head
            .iter()
            .skip(1)
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)),
    }
}
