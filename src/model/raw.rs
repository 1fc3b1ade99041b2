//! [`Raw`]: one well-formed CBOR item kept as its bytes.

use core::fmt;

use crate::cbor::{self, Cbor, Reader, Writer};
use crate::error::{DecodeError, DecodeErrorKind};

/// One well-formed CBOR data item, kept as its bytes (borrowed from the input).
///
/// Used where the spec leaves a value open (custom attribute values, opcode 9's map).
/// Encoding copies the bytes unchanged. Well-formed means RFC 8949's well-formedness: the
/// UTF-8 of text strings inside is not checked (nothing reads them as text).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Raw<'b>(&'b [u8]);

impl<'b> Raw<'b> {
    /// Checks that `bytes` hold exactly one well-formed data item.
    pub fn new(bytes: &'b [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.skip();
        if !r.failed() && r.position() < bytes.len() {
            r.fail(DecodeErrorKind::TrailingBytes, r.position());
        }
        r.result(Raw(bytes))
    }

    /// The item's bytes.
    pub const fn as_bytes(&self) -> &'b [u8] {
        self.0
    }
}

impl<'b> Cbor<'b> for Raw<'b> {
    const EMPTY: Self = Raw(&[0xf6]);

    fn read(r: &mut Reader<'b>) -> Self {
        Raw(r.raw())
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.0);
    }

    arbitrary_element!();
}

impl fmt::Debug for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw({self})")
    }
}

/// CBOR diagnostic notation (RFC 8949 §8), e.g. `[1, {0: "a"}, 37(h'00ff')]`.
impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        cbor::diag::write(self.0, f)
    }
}

/// The item's bytes in hex, `Raw(h'…')` (diagnostic notation needs `core::fmt`).
#[cfg(feature = "defmt")]
impl defmt::Format for Raw<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Raw(h'");
        for byte in self.0 {
            defmt::write!(f, "{=u8:02x}", byte);
        }
        defmt::write!(f, "')");
    }
}
