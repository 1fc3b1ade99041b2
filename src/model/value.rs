//! Attribute values, attribute ids, error objects, and the 121/122 alternatives that carry
//! them (spec 9.1, 9.4).

use core::fmt;

use super::enums::Attribute;
use super::raw::Raw;
use super::text::{Bytes, Text};
use super::time::{EPOCH_TAG, EXTENDED_TIME_TAG, TimePoint};
#[cfg(feature = "defmt")]
use super::uuid::DefmtUuid;
use super::uuid::{UUID_TAG, Uuid};
use crate::cbor::{Cbor, Reader, Writer};
use crate::error::{DecodeErrorKind, ErrorCode, Expected};

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
    Text(Text<'b>),
    /// A byte string.
    Bytes(Bytes<'b>),
    /// A UUID (tag 37).
    Uuid(Uuid),
    /// A time point (tag 1 or 1001).
    Time(TimePoint),
    /// Any other well-formed item, kept as bytes.
    Other(Raw<'b>),
}

impl<'b> Cbor<'b> for Value<'b> {
    const EMPTY: Self = Value::Null;

    fn read(r: &mut Reader<'b>) -> Self {
        let at = r.position();
        let Some(b) = r.peek() else {
            r.fail(DecodeErrorKind::Truncated, at);
            return Value::Null;
        };
        match b {
            0x00..=0x1b => match r.uint() {
                n if n <= i64::MAX as u64 => Value::Int(n as i64),
                n => Value::UInt(n),
            },
            // Below i64::MIN: kept as it came.
            0x3b if r.input().get(at + 1).is_some_and(|&hi| hi >= 0x80) => {
                Value::Other(Raw::read(r))
            }
            0x20..=0x3b => Value::Int(r.int()),
            0x40..=0x5f => Value::Bytes(Bytes::read(r)),
            0x60..=0x7f => Value::Text(Text::read(r)),
            0xc0..=0xdb => {
                let tag = r.tag();
                if r.failed() {
                    return Value::Null;
                }
                r.set_position(at);
                match tag {
                    UUID_TAG => Value::Uuid(Uuid::read(r)),
                    EPOCH_TAG | EXTENDED_TIME_TAG => Value::Time(TimePoint::read(r)),
                    _ => Value::Other(Raw::read(r)),
                }
            }
            0xf4 | 0xf5 => Value::Bool(r.bool()),
            0xf6 => {
                r.set_position(at + 1);
                Value::Null
            }
            0xf9..=0xfb => Value::Float(r.f64()),
            _ => Value::Other(Raw::read(r)),
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self {
            Value::Null => w.null(),
            Value::Bool(b) => w.bool(*b),
            Value::Int(n) => w.int(*n),
            Value::UInt(n) => w.uint(*n),
            Value::Float(x) => w.f64(*x),
            Value::Text(s) => s.write(w),
            Value::Bytes(b) => b.write(w),
            Value::Uuid(u) => u.write(w),
            Value::Time(t) => t.write(w),
            Value::Other(raw) => raw.write(w),
        }
    }

    arbitrary_element!();
}

/// The value for a reader: numbers and booleans as they are, a float, text and bytes as
/// their `Debug`, a UUID and any other item by their `Display`, a time point in ISO 8601
/// ([`TimePoint`]'s `Display`).
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::UInt(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "{b:?}"),
            Value::Uuid(u) => write!(f, "{u}"),
            Value::Time(t) => write!(f, "{t}"),
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

impl AttributeId {
    /// The standard attribute this names: by number, or by one of the known attribute
    /// UUIDs ([`Attribute::from_uuid`]).
    pub fn standard(&self) -> Option<Attribute> {
        match self {
            AttributeId::Standard(a) => Some(*a),
            AttributeId::Uuid(u) => Attribute::from_uuid(u),
        }
    }

    /// True when both name the same attribute, by number or by UUID (so `Value` and
    /// `4aa0e4e0-…` match).
    pub fn same_as(&self, other: &AttributeId) -> bool {
        self == other || (self.standard().is_some() && self.standard() == other.standard())
    }
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
    const EMPTY: Self = AttributeId::Standard(Attribute::PrimaryKey);

    inlining! { shared:
        fn read(r: &mut Reader<'b>) -> Self {
            // Fast path: a standard attribute's one-byte number.
            let at = r.position();
            if let Some(&b) = r.input().get(at)
                && b < 0x18
            {
                r.set_position(at + 1);
                return AttributeId::Standard(Attribute::from_u64(u64::from(b)));
            }
            read_attribute_id(r)
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self {
            AttributeId::Standard(a) => a.write(w),
            AttributeId::Uuid(u) => u.write(w),
        }
    }

    arbitrary_element!();
}

/// An attribute id in any other form: a longer number, or a UUID.
#[inline(never)]
fn read_attribute_id(r: &mut Reader<'_>) -> AttributeId {
    match r.peek().map(|b| b >> 5) {
        Some(0) => AttributeId::Standard(Attribute::read(r)),
        Some(6) => AttributeId::Uuid(Uuid::read(r)),
        _ => {
            r.wrong_type(Expected::AttributeId);
            AttributeId::EMPTY
        }
    }
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
    const EMPTY: Self = ErrorCode::Other(0);

    fn read(r: &mut Reader<'b>) -> Self {
        ErrorCode::from_i64(r.int())
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.int(self.code());
    }
}

int_map! {
    /// An error object `{0: code, 1: message}`: the body of an error packet and of `122(…)`.
    ///
    /// Key 1 is optional when decoding (the vendor client accepts `{0: code}`); extra keys
    /// are ignored (spec notes D20).
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct ErrorObject<'b> = "error" {
        /// The error code.
        0 req code: ErrorCode,
        /// A human-readable message.
        1 opt message: Text<'b>,
    }
}

impl<'b> ErrorObject<'b> {
    /// An error object with the code's standard message.
    pub const fn new(code: ErrorCode) -> Self {
        ErrorObject {
            code,
            message: Some(Text::new(code.message())),
        }
    }

    /// The message to show: the one sent, or the code's standard message when there is
    /// none (key 1 is optional, D20).
    pub const fn text(&self) -> Text<'b> {
        match self.message {
            Some(message) => message,
            None => Text::new(self.code.message()),
        }
    }
}

alternatives! {
    /// The result for one attribute in a read response or a data-change event:
    /// `121(value)` on success, `122({0: code, 1: message})` on error.
    pub enum AttrResult<'b> = ATTR_RESULT, AttrResult {
        /// `121(value)`: the attribute's value.
        121 => Value(Value<'b>),
        /// `122(error)`: why this attribute has no value.
        122 => Error(ErrorObject<'b>),
    }
}

/// As `Debug`, the UUID hyphenated.
#[cfg(feature = "defmt")]
impl defmt::Format for Value<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Value::Null => defmt::write!(f, "Null"),
            Value::Bool(b) => defmt::write!(f, "Bool({=bool})", b),
            Value::Int(n) => defmt::write!(f, "Int({=i64})", n),
            Value::UInt(n) => defmt::write!(f, "UInt({=u64})", n),
            Value::Float(x) => defmt::write!(f, "Float({=f64})", x),
            Value::Text(t) => defmt::write!(f, "Text({})", t),
            Value::Bytes(b) => defmt::write!(f, "Bytes({})", b),
            Value::Uuid(u) => defmt::write!(f, "Uuid({})", DefmtUuid(*u)),
            Value::Time(t) => defmt::write!(f, "Time({})", t),
            Value::Other(raw) => defmt::write!(f, "Other({})", raw),
        }
    }
}

/// As `Debug`, the UUID hyphenated.
#[cfg(feature = "defmt")]
impl defmt::Format for AttributeId {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            AttributeId::Standard(a) => defmt::write!(f, "Standard({})", a),
            AttributeId::Uuid(u) => defmt::write!(f, "Uuid({})", DefmtUuid(*u)),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value<'_> {
            fn from(x: $t) -> Self {
                Value::$variant(x.into())
            }
        }
    )*};
}

value_from!(
    bool => Bool,
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    u8 => Int, u16 => Int, u32 => Int,
    f32 => Float, f64 => Float,
    Uuid => Uuid,
    TimePoint => Time,
);

/// `Int` up to `i64::MAX`, `UInt` above.
impl From<u64> for Value<'_> {
    fn from(x: u64) -> Self {
        match i64::try_from(x) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(x),
        }
    }
}

impl<'b> From<&'b str> for Value<'b> {
    fn from(s: &'b str) -> Self {
        Value::Text(Text::new(s))
    }
}

impl<'b> From<Text<'b>> for Value<'b> {
    fn from(t: Text<'b>) -> Self {
        Value::Text(t)
    }
}
