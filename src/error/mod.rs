//! Errors: the protocol's error codes, decode errors and encode errors.
//!
//! Every [`DecodeError`] maps to the [`ErrorCode`] a server answers with
//! ([`DecodeError::code`]), so a server never has to invent one.

use core::fmt;

mod code;
mod decode;
pub(crate) mod field;
pub(crate) mod text;

pub use code::ErrorCode;
pub use decode::{DecodeError, DecodeErrorKind, Expected, MessageId};

/// Why encoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is too small; `required` bytes would have fitted the whole output.
    /// The buffer's contents past what was committed before the call are unspecified.
    BufferTooSmall {
        /// The number of bytes the output needs.
        required: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let EncodeError::BufferTooSmall { required } = self;
        write!(f, "buffer too small: {required} bytes required")
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for EncodeError {}
