//! Attribute values, attribute ids, and the 121/122 alternatives that carry them (spec 9.1, 9.4).

use core::fmt;

use minicbor::Encoder;
use minicbor::encode::Write;
use uuid::Uuid;

use super::enums::Attribute;
use super::time::{EPOCH_TAG, EXTENDED_TIME_TAG, TimePoint};
use super::uuid::UUID_TAG;
use super::{Cbor, Raw, Reader, WriteError, write_f64};
use crate::error::{DecodeError, ErrorCode};

/// An attribute value of any of the spec's data types (spec 7.9), borrowed from the input.
///
/// Integers become [`Value::Int`] when they fit an `i64`, else [`Value::UInt`]; values the
/// crate has no type for (arrays, maps, other tags, simple values) stay [`Value::Other`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'b> {
    /// `null` (data type None).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer in `i64` range.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A float (written at the shortest lossless width).
    Float(f64),
    /// A text string.
    Text(&'b str),
    /// A byte string.
    Bytes(&'b [u8]),
    /// A UUID (tag 37).
    Uuid(Uuid),
    /// A time point (tag 1 or 1001).
    Time(TimePoint),
    /// Any other well-formed item, kept as bytes.
    Other(Raw<'b>),
}

impl<'b> Cbor<'b> for Value<'b> {
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        let at = r.position();
        Ok(match r.peek()? {
            0x00..=0x1b => match r.u64()? {
                n if n <= i64::MAX as u64 => Value::Int(n as i64),
                n => Value::UInt(n),
            },
            0x20..=0x3b => match r.i64() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Other(<Raw as Cbor>::decode(r)?),
            },
            0x40..=0x5f => Value::Bytes(r.bytes()?),
            0x60..=0x7f => Value::Text(r.str()?),
            0xc0..=0xdb => {
                let tag = r.tag()?;
                r.set_position(at);
                match tag {
                    UUID_TAG => Value::Uuid(Uuid::decode(r)?),
                    EPOCH_TAG | EXTENDED_TIME_TAG => Value::Time(TimePoint::decode(r)?),
                    _ => Value::Other(<Raw as Cbor>::decode(r)?),
                }
            }
            0xf4 => Value::Bool(r.bool()?),
            0xf5 => Value::Bool(r.bool()?),
            0xf6 => {
                r.raw()?;
                Value::Null
            }
            0xf9..=0xfb => Value::Float(r.f64()?),
            _ => Value::Other(<Raw as Cbor>::decode(r)?),
        })
    }

    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        match self {
            Value::Null => e.null()?.ok(),
            Value::Bool(b) => e.bool(*b)?.ok(),
            Value::Int(n) => e.i64(*n)?.ok(),
            Value::UInt(n) => e.u64(*n)?.ok(),
            Value::Float(x) => write_f64(e, *x),
            Value::Text(s) => e.str(s)?.ok(),
            Value::Bytes(b) => e.bytes(b)?.ok(),
            Value::Uuid(u) => u.encode(e),
            Value::Time(t) => t.encode(e),
            Value::Other(raw) => raw.encode(e),
        }
    }

    arbitrary_element!();
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::UInt(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => {
                f.write_str("h'")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))?;
                f.write_str("'")
            }
            Value::Uuid(u) => write!(f, "{u}"),
            Value::Time(t) => write!(f, "{t:?}"),
            Value::Other(raw) => write!(f, "{raw}"),
        }
    }
}

/// An attribute: a standard id (spec 7.5) or an attribute UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AttributeId {
    /// A standard attribute, by number.
    Standard(Attribute),
    /// Any attribute, by UUID.
    Uuid(Uuid),
}

impl From<Attribute> for AttributeId {
    fn from(a: Attribute) -> Self {
        AttributeId::Standard(a)
    }
}

impl From<Uuid> for AttributeId {
    fn from(u: Uuid) -> Self {
        AttributeId::Uuid(u)
    }
}

impl<'b> Cbor<'b> for AttributeId {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        match r.major()? {
            0 => Attribute::decode(r).map(AttributeId::Standard),
            6 => Uuid::decode(r).map(AttributeId::Uuid),
            _ => Err(r.wrong_type("attribute id (unsigned integer or UUID)")),
        }
    }

    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        match self {
            AttributeId::Standard(a) => a.encode(e),
            AttributeId::Uuid(u) => u.encode(e),
        }
    }

    arbitrary_element!();
}

impl fmt::Display for AttributeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeId::Standard(a) => write!(f, "{a}"),
            AttributeId::Uuid(u) => write!(f, "{u}"),
        }
    }
}

impl<'b> Cbor<'b> for ErrorCode {
    #[inline]
    fn decode(r: &mut Reader<'b>) -> Result<Self, DecodeError> {
        r.i64().map(ErrorCode::from_i64)
    }
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.i64(self.code())?.ok()
    }
}

int_map! {
    /// An error object `{0: code, 1: message}`: the body of an error packet and of `122(…)`.
    ///
    /// Key 1 is optional when decoding (the vendor client accepts `{0: code}`); extra keys
    /// are ignored (discrepancies D20).
    pub struct ErrorObject<'b> = "error" {
        /// The error code.
        0 req code: ErrorCode,
        /// A human-readable message.
        1 opt message: &'b str,
    }
}

impl ErrorObject<'_> {
    /// An error object with the code's standard message.
    pub const fn new(code: ErrorCode) -> Self {
        ErrorObject {
            code,
            message: Some(code.message()),
        }
    }
}

alternatives! {
    /// The result for one attribute in a read response or a data-change event:
    /// `121(value)` on success, `122({0: code, 1: message})` on error.
    pub enum AttrResult<'b> = "attribute result" {
        /// `121(value)`: the attribute's value.
        121 => Value(Value<'b>),
        /// `122(error)`: why this attribute has no value.
        122 => Error(ErrorObject<'b>),
    }
}

defmt_via_debug!(Value<'_>, AttributeId, ErrorObject<'_>, AttrResult<'_>);
