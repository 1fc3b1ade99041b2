//! UUIDs: CBOR tag 37 over a 16-byte byte string (spec 9.2).
//!
//! Decoding also accepts the text form the spec's own examples write,
//! `37('E3EE10714D884BA18E5D0F1E4CE25EE8')` — 32 hex digits, or 36 characters hyphenated —
//! (spec notes D1), and either string in chunks. Anything else under tag 37, an untagged
//! string, or another tag is [`InvalidUuid`](crate::DecodeErrorKind::InvalidUuid).
//! Encoding always writes `d8 25 50` + 16 bytes.

pub use uuid::Uuid;

use super::text::{Bytes, Text};
use crate::cbor::{Cbor, Reader, Writer, is_malformed_start};
use crate::error::DecodeErrorKind;

/// The CBOR tag for a UUID (RFC 9562 / IANA registry).
pub const UUID_TAG: u64 = 37;

/// The head of every canonical UUID: tag 37, then a 16-byte byte string.
const HEAD: [u8; 3] = [0xd8, 0x25, 0x50];

impl<'b> Cbor<'b> for Uuid {
    const EMPTY: Self = Uuid::nil();

    inlining! { shared:
        fn read(r: &mut Reader<'b>) -> Self {
            // Fast path: the canonical form every real peer sends.
            let at = r.position();
            if let Some(item) = r.input().get(at..at + 19)
                && item[..3] == HEAD
                && let Some(bytes) = item.last_chunk::<16>()
            {
                r.set_position(at + 19);
                return Uuid::from_bytes(*bytes);
            }
            read_other(r)
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.put_array(&HEAD);
        w.put_array(self.as_bytes());
    }
}

/// Every form but the canonical one, and the errors.
#[inline(never)]
fn read_other(r: &mut Reader<'_>) -> Uuid {
    let at = r.position();
    if r.peek().is_some_and(|b| b >> 5 == 6) {
        let tag = r.tag();
        if tag == UUID_TAG && !r.failed() {
            match r.peek() {
                Some(b) if b >> 5 == 2 => {
                    let bytes = Bytes::read(r);
                    if let Some(bytes) = bytes.copy_exact::<16>() {
                        return Uuid::from_bytes(bytes);
                    }
                }
                Some(b) if b >> 5 == 3 => {
                    if let Some(uuid) = from_text(Text::read(r)) {
                        return uuid;
                    }
                }
                _ => return structural(r, at),
            }
        }
        r.fail(DecodeErrorKind::InvalidUuid, at);
        return Uuid::nil();
    }
    structural(r, at)
}

/// The 32 hex digits or 36 hyphenated characters of `text`, as a UUID.
fn from_text(text: Text<'_>) -> Option<Uuid> {
    let mut digits = [0u8; 36];
    let mut len = 0;
    for chunk in text.chunks() {
        let dst = digits.get_mut(len..len + chunk.len())?;
        dst.copy_from_slice(chunk.as_bytes());
        len += chunk.len();
    }
    if len != 32 && len != 36 {
        return None;
    }
    Uuid::try_parse_ascii(&digits[..len]).ok()
}

/// Fails where the UUID (at `at`) should be: a break or reserved byte at the position is
/// malformed CBOR, no byte truncated input, and any other item not a UUID.
#[cold]
fn structural(r: &mut Reader<'_>, at: usize) -> Uuid {
    let pos = r.position();
    match r.peek() {
        None => r.fail(DecodeErrorKind::Truncated, pos),
        Some(b) if is_malformed_start(b) => r.fail(DecodeErrorKind::InvalidCbor, pos),
        Some(_) => r.fail(DecodeErrorKind::InvalidUuid, at),
    }
    Uuid::nil()
}

/// A UUID in defmt output, hyphenated as `Debug` and `Display` write it, formatted on the
/// host: no `core::fmt` on the target.
#[cfg(feature = "defmt")]
pub(crate) struct DefmtUuid(pub(crate) Uuid);

#[cfg(feature = "defmt")]
impl defmt::Format for DefmtUuid {
    fn format(&self, f: defmt::Formatter<'_>) {
        let (a, b, c, d) = self.0.as_fields();
        let rest = u64::from_be_bytes(*d);
        defmt::write!(
            f,
            "{=u32:08x}-{=u16:04x}-{=u16:04x}-{=u16:04x}-{=u64:012x}",
            a,
            b,
            c,
            (rest >> 48) as u16,
            rest & 0xffff_ffff_ffff
        )
    }
}
