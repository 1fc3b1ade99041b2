//! UUIDs: CBOR tag 37 over a 16-byte byte string (spec 9.2).
//!
//! Decoding also accepts the text form the spec's own examples write,
//! `37('E3EE10714D884BA18E5D0F1E4CE25EE8')` — 32 hex digits, or 36 characters hyphenated —
//! (discrepancies D1), and either string in chunks. Anything else under tag 37, an untagged
//! string, or another tag is [`InvalidUuid`](crate::DecodeErrorKind::InvalidUuid).
//! Encoding always writes `d8 25 50` + 16 bytes.

pub use uuid::Uuid;

use super::text::{Bytes, Text};
use crate::cbor::{Cbor, Reader, Writer};
use crate::error::{DecodeError, DecodeErrorKind};

/// The CBOR tag for a UUID (RFC 9562 / IANA registry).
pub const UUID_TAG: u64 = 37;

/// The head of every canonical UUID: tag 37, then a 16-byte byte string.
const HEAD: [u8; 3] = [0xd8, 0x25, 0x50];

impl<'b> Cbor<'b> for Uuid {
    const EMPTY: Self = Uuid::nil();

    fn read(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        // Fast path: the canonical form every real peer sends.
        let at = r.position();
        if let Some(item) = r.input().get(at..at + 19)
            && item[..3] == HEAD
            && let Some(bytes) = item.last_chunk::<16>()
        {
            r.set_position(at + 19);
            return Ok(Uuid::from_bytes(*bytes));
        }
        read_other(r)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.put(&HEAD);
        w.put(self.as_bytes());
    }
}

/// Every form but the canonical one, and the errors.
#[inline(never)]
fn read_other(r: &mut Reader<'_>) -> Result<Uuid, DecodeError> {
    let at = r.position();
    let invalid = || DecodeError::new(DecodeErrorKind::InvalidUuid, at);
    // A break or reserved byte is malformed CBOR; any other item is a bad UUID.
    let structural = |r: &Reader<'_>| match r.wrong_type(crate::error::Expected::Tag) {
        e if e.is_fatal() => e,
        _ => invalid(),
    };
    if r.major()? != 6 {
        return Err(structural(r));
    }
    if r.tag()? != UUID_TAG {
        return Err(invalid());
    }
    match r.major()? {
        2 => Bytes::read(r)?
            .copy_exact::<16>()
            .map(Uuid::from_bytes)
            .ok_or_else(invalid),
        3 => {
            let text = Text::read(r)?;
            let mut digits = [0u8; 36];
            let mut len = 0;
            for chunk in text.chunks() {
                let dst = digits.get_mut(len..len + chunk.len()).ok_or_else(invalid)?;
                dst.copy_from_slice(chunk.as_bytes());
                len += chunk.len();
            }
            if len != 32 && len != 36 {
                return Err(invalid());
            }
            Uuid::try_parse_ascii(&digits[..len]).map_err(|_| invalid())
        }
        _ => Err(structural(r)),
    }
}
