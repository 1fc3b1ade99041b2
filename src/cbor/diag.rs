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
    let Ok(b) = r.peek() else { return malformed(f) };
    match b >> 5 {
        0 | 1 => match r.int() {
            Ok(n) => write!(f, "{n}"),
            // Beyond i64: the argument, shown by hand.
            Err(_) => match r.raw() {
                Ok(bytes) if b >> 5 == 0 => write!(f, "{}", argument(bytes)),
                Ok(bytes) => write!(f, "-1-{}", argument(bytes)),
                Err(_) => malformed(f),
            },
        },
        2 => match r.bytes() {
            Ok(Chunks::One(bytes)) => hex(bytes, f),
            Ok(Chunks::Many(all)) => chunked(all, f, hex),
            Err(_) => malformed(f),
        },
        3 => match r.text() {
            Ok(Chunks::One(s)) => write!(f, "{s:?}"),
            Ok(Chunks::Many(all)) => chunked(all, f, |chunk, f| {
                write!(
                    f,
                    "{:?}",
                    core::str::from_utf8(chunk).unwrap_or("<malformed>")
                )
            }),
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
                item(r, f, depth + 1)?;
                if map {
                    f.write_str(": ")?;
                    item(r, f, depth + 1)?;
                }
            }
            f.write_str(if map { "}" } else { "]" })
        }
        6 => match r.tag() {
            Ok(t) if depth < MAX_DEPTH => {
                write!(f, "{t}(")?;
                item(r, f, depth + 1)?;
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

/// The argument of an integer head (for values outside `i64`).
fn argument(head: &[u8]) -> u64 {
    head.iter()
        .skip(1)
        .fold(0u64, |a, &b| (a << 8) | u64::from(b))
}
