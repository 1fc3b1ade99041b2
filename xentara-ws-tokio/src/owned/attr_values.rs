//! [`AttrValues`]: the attribute results of a read or a data change, owned.

use std::ops::Deref;

use smallvec::SmallVec;
use xentara_ws::{AttrResult, AttributeId, DecodeError};

use super::{AttrValue, attr_value};

/// One attribute and its result.
type Entry = (AttributeId, AttrValue);

/// The results of a read or of a data change, in the server's order: each attribute with
/// its value, or the server's error for it. One result is kept inline, so a read of one
/// attribute allocates nothing for its results; more go to the heap.
///
/// It derefs to a slice (`values[0]`, `values.len()`, `values.iter()`, `&values[..]`),
/// iterates by value or by reference, compares with arrays, slices and `Vec`s, and converts to a
/// `Vec`.
///
/// ```
/// use xentara_ws_tokio::{AttrValues, Attribute, AttributeId, Value};
///
/// let value = AttributeId::from(Attribute::Value);
/// let values: AttrValues = [(value, Ok(Value::Float(2.5)))].into_iter().collect();
/// assert_eq!(values.get(value), Some(&Ok(Value::Float(2.5))));
/// assert_eq!(values, [(value, Ok(Value::Float(2.5)))]);
/// for (attribute, result) in values {
///     assert_eq!((attribute, result), (value, Ok(Value::Float(2.5))));
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrValues(SmallVec<[Entry; 1]>);

impl AttrValues {
    /// The result for `attribute`: the first entry that names it.
    pub fn get(&self, attribute: AttributeId) -> Option<&AttrValue> {
        self.0.iter().find(|(a, _)| *a == attribute).map(|(_, r)| r)
    }

    /// The results as a `Vec` (no copy when they were on the heap already).
    pub fn into_vec(self) -> Vec<(AttributeId, AttrValue)> {
        self.0.into_vec()
    }

    /// Reads a lazily read sequence of attribute results to its end.
    pub(crate) fn read(
        seq: &xentara_ws::Seq<'_, (AttributeId, AttrResult<'_>)>,
    ) -> Result<Self, DecodeError> {
        // The declared count is not checked against the bytes before the iteration:
        // bounded.
        let mut values = SmallVec::with_capacity(seq.len().min(64));
        for item in seq.iter() {
            let (id, result) = item?;
            values.push((id, attr_value(&result)));
        }
        Ok(AttrValues(values))
    }
}

impl Deref for AttrValues {
    type Target = [(AttributeId, AttrValue)];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<Vec<(AttributeId, AttrValue)>> for AttrValues {
    fn from(values: Vec<(AttributeId, AttrValue)>) -> Self {
        AttrValues(SmallVec::from_vec(values))
    }
}

impl From<AttrValues> for Vec<(AttributeId, AttrValue)> {
    fn from(values: AttrValues) -> Self {
        values.into_vec()
    }
}

impl FromIterator<(AttributeId, AttrValue)> for AttrValues {
    fn from_iter<I: IntoIterator<Item = (AttributeId, AttrValue)>>(iter: I) -> Self {
        AttrValues(iter.into_iter().collect())
    }
}

impl<const N: usize> PartialEq<[(AttributeId, AttrValue); N]> for AttrValues {
    fn eq(&self, other: &[(AttributeId, AttrValue); N]) -> bool {
        self[..] == other[..]
    }
}

impl PartialEq<[(AttributeId, AttrValue)]> for AttrValues {
    fn eq(&self, other: &[(AttributeId, AttrValue)]) -> bool {
        self[..] == *other
    }
}

impl PartialEq<Vec<(AttributeId, AttrValue)>> for AttrValues {
    fn eq(&self, other: &Vec<(AttributeId, AttrValue)>) -> bool {
        self[..] == other[..]
    }
}

impl IntoIterator for AttrValues {
    type Item = (AttributeId, AttrValue);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.0.into_iter())
    }
}

impl<'a> IntoIterator for &'a AttrValues {
    type Item = &'a (AttributeId, AttrValue);
    type IntoIter = std::slice::Iter<'a, (AttributeId, AttrValue)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The results of an [`AttrValues`], by value.
#[derive(Debug)]
pub struct IntoIter(smallvec::IntoIter<[Entry; 1]>);

impl Iterator for IntoIter {
    type Item = (AttributeId, AttrValue);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for IntoIter {}

#[cfg(test)]
mod tests {
    use xentara_ws::{Attribute, AttributeId, ErrorCode};

    use super::AttrValues;
    use crate::{ErrorObject, Value};

    #[test]
    fn results_keep_their_order_inline_or_on_the_heap() {
        let (value, quality) = (
            AttributeId::from(Attribute::Value),
            AttributeId::from(Attribute::Quality),
        );
        let unknown = Err(ErrorObject::from(ErrorCode::MissingAttribute));
        let two: AttrValues = vec![(quality, unknown.clone()), (value, Ok(Value::Int(7)))].into();
        assert_eq!(two.get(value), Some(&Ok(Value::Int(7))));
        assert_eq!(two.get(quality), Some(&unknown));
        assert_eq!(two.get(AttributeId::from(Attribute::Name)), None);
        let back: Vec<_> = two.clone().into_iter().rev().map(|(a, _)| a).collect();
        assert_eq!(back, [value, quality]);
        assert_eq!(two.into_vec()[1], (value, Ok(Value::Int(7))));
        let one: AttrValues = [(value, Ok(Value::Null))].into_iter().collect();
        assert_eq!(one.into_iter().len(), 1);
        assert_eq!(
            AttrValues::default(),
            [] as [(AttributeId, crate::AttrValue); 0]
        );
    }
}
