//! UUIDs: CBOR tag 37 over a 16-byte byte string (spec 9.2).
//!
//! Decoding also accepts the text form the spec's own examples write,
//! `37('E3EE10714D884BA18E5D0F1E4CE25EE8')` — 32 hex digits, or 36 characters hyphenated —
//! (discrepancies D1). Anything else under tag 37, an untagged byte string, or another tag
//! is [`DecodeErrorKind::InvalidUuid`]. Encoding always writes `d8 25 50` + 16 bytes.

use minicbor::Encoder;
use minicbor::encode::Write;
pub use uuid::Uuid;

use super::{Cbor, Reader, WriteError};
use crate::error::{DecodeError, DecodeErrorKind};

/// The CBOR tag for a UUID (RFC 9562 / IANA registry).
pub const UUID_TAG: u64 = 37;

/// The head of every canonical UUID: tag 37, then a 16-byte byte string.
const HEAD: [u8; 3] = [0xd8, 0x25, 0x50];

impl<'b> Cbor<'b> for Uuid {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        // Fast path: the canonical form every real peer sends.
        let at = r.position();
        if let Some(item) = r.input().get(at..).and_then(<[u8]>::first_chunk::<19>)
            && item[..3] == HEAD
            && let Some(bytes) = item.last_chunk::<16>()
        {
            r.set_position(at + item.len());
            return Ok(Uuid::from_bytes(*bytes));
        }
        decode_other(r)
    }

    #[inline]
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        let w = e.writer_mut();
        w.write_all(&HEAD).map_err(minicbor::encode::Error::write)?;
        w.write_all(self.as_bytes())
            .map_err(minicbor::encode::Error::write)
    }
}

/// Every form but the canonical one, and the errors.
#[inline(never)]
fn decode_other(r: &mut Reader<'_>) -> Result<Uuid, DecodeError> {
    let at = r.position();
    let invalid = || DecodeError::new(DecodeErrorKind::InvalidUuid, at);
    if r.major()? != 6 {
        // A break or reserved byte is malformed CBOR; any other item is a bad UUID.
        return Err(match r.wrong_type("UUID") {
            e if e.is_fatal() => e,
            _ => invalid(),
        });
    }
    if r.tag()? != UUID_TAG {
        return Err(invalid());
    }
    match r.major()? {
        2 => {
            let bytes = r.bytes()?;
            <[u8; 16]>::try_from(bytes)
                .map(Uuid::from_bytes)
                .map_err(|_| invalid())
        }
        3 => {
            let text = r.str()?;
            if text.len() != 32 && text.len() != 36 {
                return Err(invalid());
            }
            Uuid::try_parse_ascii(text.as_bytes()).map_err(|_| invalid())
        }
        _ => match r.wrong_type("UUID") {
            e if e.is_fatal() => Err(e),
            _ => Err(invalid()),
        },
    }
}
