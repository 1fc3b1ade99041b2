//! Owned forms of what the core crate borrows from a received message: values, error
//! objects, browse entries, metadata, data changes. They live on after the message is
//! gone (`'static`), so an `async fn` can return them. Each converts from its borrowed
//! form; reading a lazily read sequence may fail, so those conversions are `TryFrom`
//! with the core's [`DecodeError`].

mod attr_values;

pub use attr_values::{AttrValues, IntoIter as AttrValuesIntoIter};

use xentara_ws::items;
use xentara_ws::{
    Access, AttrResult, AttributeId, DataType, DecodeError, ElementCategory, ErrorCode, Raw, Text,
    TimePoint, Uuid,
};

/// An attribute's value, owned: [`xentara_ws::Value`] with `String` and `Vec<u8>` where
/// the core borrows.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer in `i64` range.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A text string.
    Text(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A UUID.
    Uuid(Uuid),
    /// A time point.
    Time(TimePoint),
    /// Any other CBOR item, as its encoding (exactly one well-formed item).
    Other(Vec<u8>),
}

/// A text that may have come in chunks, as one `String`.
fn text(t: &Text<'_>) -> String {
    t.chunks().collect()
}

impl From<&xentara_ws::Value<'_>> for Value {
    fn from(v: &xentara_ws::Value<'_>) -> Self {
        use xentara_ws::Value as V;
        match v {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Int(n) => Value::Int(*n),
            V::UInt(n) => Value::UInt(*n),
            V::Float(x) => Value::Float(*x),
            V::Text(t) => Value::Text(text(t)),
            V::Bytes(b) => Value::Bytes(b.chunks().flatten().copied().collect()),
            V::Uuid(u) => Value::Uuid(*u),
            V::Time(t) => Value::Time(*t),
            V::Other(raw) => Value::Other(raw.as_bytes().to_vec()),
        }
    }
}

impl From<xentara_ws::Value<'_>> for Value {
    fn from(v: xentara_ws::Value<'_>) -> Self {
        Value::from(&v)
    }
}

impl std::fmt::Display for Value {
    /// As the core's [`Value`](xentara_ws::Value) shows it (a text in quotes, a time point
    /// in ISO 8601); an [`Other`](Value::Other) that is not one CBOR item as `h'…'`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_core() {
            Ok(value) => value.fmt(f),
            Err(_) => {
                f.write_str("h'")?;
                if let Value::Other(bytes) = self {
                    for b in bytes {
                        write!(f, "{b:02x}")?;
                    }
                }
                f.write_str("'")
            }
        }
    }
}

impl Value {
    /// The borrowed form, for encoding. Fails for an [`Other`](Value::Other) that is not
    /// exactly one well-formed CBOR item.
    pub fn as_core(&self) -> Result<xentara_ws::Value<'_>, DecodeError> {
        use xentara_ws::Value as V;
        Ok(match self {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Int(n) => V::Int(*n),
            Value::UInt(n) => V::UInt(*n),
            Value::Float(x) => V::Float(*x),
            Value::Text(s) => V::Text(Text::new(s)),
            Value::Bytes(b) => V::Bytes(b.as_slice().into()),
            Value::Uuid(u) => V::Uuid(*u),
            Value::Time(t) => V::Time(*t),
            Value::Other(raw) => V::Other(Raw::new(raw)?),
        })
    }
}

macro_rules! value_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::from(xentara_ws::Value::from(x))
            }
        }
    )*};
}

value_from!(
    bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, Uuid, TimePoint
);

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}

/// An error object, owned: the server's code and, when it sent one, its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorObject {
    /// The error code.
    pub code: ErrorCode,
    /// The message, if the server sent one.
    pub message: Option<String>,
}

impl ErrorObject {
    /// The message to show: the one sent, or the code's standard message.
    pub fn text(&self) -> &str {
        self.message.as_deref().unwrap_or(self.code.message())
    }
}

impl From<ErrorCode> for ErrorObject {
    /// The code without a message (its standard message is shown).
    fn from(code: ErrorCode) -> Self {
        ErrorObject {
            code,
            message: None,
        }
    }
}

impl From<&xentara_ws::ErrorObject<'_>> for ErrorObject {
    fn from(e: &xentara_ws::ErrorObject<'_>) -> Self {
        ErrorObject {
            code: e.code,
            message: e.message.as_ref().map(text),
        }
    }
}

impl From<xentara_ws::ErrorObject<'_>> for ErrorObject {
    fn from(e: xentara_ws::ErrorObject<'_>) -> Self {
        ErrorObject::from(&e)
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code.code(), self.text())
    }
}

/// One attribute's result: its value, or why it has none.
pub type AttrValue = Result<Value, ErrorObject>;

/// An attribute's result, owned.
pub fn attr_value(r: &AttrResult<'_>) -> AttrValue {
    match r {
        AttrResult::Value(v) => Ok(v.into()),
        AttrResult::Error(e) => Err(e.into()),
    }
}

/// One element found by browse, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseEntry {
    /// The element's primary key.
    pub primary_key: String,
    /// The element's UUID.
    pub element: Uuid,
    /// Its category.
    pub category: ElementCategory,
}

impl From<&items::BrowseEntry<'_>> for BrowseEntry {
    fn from(e: &items::BrowseEntry<'_>) -> Self {
        BrowseEntry {
            primary_key: text(&e.primary_key),
            element: e.element,
            category: e.category,
        }
    }
}

/// One attribute of an element's metadata, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    /// The attribute's name.
    pub name: String,
    /// Its id or UUID.
    pub id: AttributeId,
    /// Read, write or both.
    pub access: Access,
    /// Its data type.
    pub data_type: DataType,
}

impl From<&items::AttributeInfo<'_>> for AttributeInfo {
    fn from(a: &items::AttributeInfo<'_>) -> Self {
        AttributeInfo {
            name: text(&a.name),
            id: a.id,
            access: a.access,
            data_type: a.data_type,
        }
    }
}

/// An element's metadata, owned: each field present when it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaData {
    /// The primary key.
    pub primary_key: Option<String>,
    /// The category.
    pub category: Option<ElementCategory>,
    /// The attributes.
    pub attributes: Option<Vec<AttributeInfo>>,
    /// Whether the element has children.
    pub has_children: Option<bool>,
}

impl TryFrom<&items::MetaDataItem<'_>> for MetaData {
    type Error = DecodeError;

    fn try_from(m: &items::MetaDataItem<'_>) -> Result<Self, DecodeError> {
        let attributes = match &m.attributes {
            Some(seq) => Some(
                seq.iter()
                    .map(|a| a.map(|a| AttributeInfo::from(&a)))
                    .collect::<Result<_, _>>()?,
            ),
            None => None,
        };
        Ok(MetaData {
            primary_key: m.primary_key.as_ref().map(text),
            category: m.category,
            attributes,
            has_children: m.has_children,
        })
    }
}

/// A data-change event, owned: an element's attributes at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct DataChange {
    /// When the values were taken.
    pub time: TimePoint,
    /// The element.
    pub element: Uuid,
    /// Each attribute's value or error.
    pub values: AttrValues,
}

impl TryFrom<&xentara_ws::DataChange<'_>> for DataChange {
    type Error = DecodeError;

    fn try_from(c: &xentara_ws::DataChange<'_>) -> Result<Self, DecodeError> {
        Ok(DataChange {
            time: c.time,
            element: c.element,
            values: AttrValues::read(&c.values)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_core_form() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Int(-3),
            Value::UInt(u64::MAX),
            Value::Float(1.5),
            Value::Text("héllo".into()),
            Value::Bytes(vec![0, 255]),
            Value::Uuid(Uuid::from_u128(7)),
            Value::Other(vec![0x82, 0x01, 0x02]),
        ];
        for v in values {
            assert_eq!(Value::from(v.as_core().unwrap()), v);
        }
    }

    #[test]
    fn other_must_be_one_cbor_item() {
        assert!(Value::Other(vec![0x82, 0x01]).as_core().is_err());
        assert!(Value::Other(vec![0x01, 0x02]).as_core().is_err());
    }

    #[test]
    fn error_object_text_falls_back_to_the_code() {
        let e = ErrorObject::from(xentara_ws::ErrorObject {
            code: ErrorCode::AccessDenied,
            message: None,
        });
        assert_eq!(e.message, None);
        assert_eq!(e.text(), ErrorCode::AccessDenied.message());
    }
}
