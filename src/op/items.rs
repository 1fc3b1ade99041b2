//! Response items: what a success packet `[1, id, item]` carries for each opcode.
//! The item's type depends on the opcode of the request it answers (spec 3.2).

use crate::cbor::{Cbor, Reader, Writer};
use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind};
#[cfg(feature = "defmt")]
use crate::model::DefmtUuid;
use crate::model::enums::{Access, DataType, ElementCategory};
use crate::model::{AttributeId, Seq, Text, Uuid};

int_map! {
    /// One element found by browse.
    pub struct BrowseEntry<'b> = "browse_entry" {
        /// The element's primary key.
        0 req primary_key: Text<'b>,
        /// The element's UUID.
        1 req element: Uuid,
        /// The element's category.
        2 req category: ElementCategory,
    }
}

int_map! {
    /// One attribute in a metadata attribute list (spec 6.2).
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct AttributeInfo<'b> = "attribute_info" {
        /// The attribute's name.
        0 req name: Text<'b>,
        /// The attribute's id or UUID.
        1 req id: AttributeId,
        /// Read, write or both.
        2 req access: Access,
        /// The attribute's data type.
        3 req data_type: DataType,
    }
}

int_map! {
    /// The meta_data response: each key present when it was asked for.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct MetaDataItem<'b> = "meta_data_item" {
        /// The primary key.
        0 opt primary_key: Text<'b>,
        /// The element's category.
        1 opt category: ElementCategory,
        /// The element's attributes.
        2 opt attributes: Seq<'b, AttributeInfo<'b>>,
        /// Whether the element has children.
        3 opt has_children: bool,
    }
}

int_map! {
    /// The client_hello response: the server parameters.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct ServerHello = "server_hello" {
        /// The protocol version chosen for the connection.
        0 req current_version: u64,
    }
}

/// How an opcode's response item sits in a success packet (its optional 3rd element).
pub(crate) trait Item<'b>: Sized {
    /// A placeholder, overwritten by [`Item::read_item`].
    const EMPTY_ITEM: Self;
    /// Reads the item into `self` from `r`; `present` is false when the packet has none,
    /// which would be at `at`.
    fn read_item(&mut self, r: &mut Reader<'b>, present: bool, at: usize);
    /// True when the success packet carries a 3rd element.
    fn has_item(&self) -> bool;
    /// Writes the 3rd element (only called when [`Item::has_item`]).
    fn write_item(&self, w: &mut Writer<'_>);
    /// Reads every lazily read part; the first error.
    fn check_item(&self) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// A required item.
impl<'b, T: Cbor<'b>> Item<'b> for T {
    const EMPTY_ITEM: Self = T::EMPTY;
    fn read_item(&mut self, r: &mut Reader<'b>, present: bool, at: usize) {
        // Only an item that is a sequence is left for its iteration: the batch waits for
        // the end of the item, which a sequence inside it would record under its own start.
        let tail = r.lazy().is_tail() && T::SEQ;
        r.lazy_mut().set_tail(tail);
        if present {
            self.read_into(r);
        } else {
            missing(r, at);
        }
    }
    fn has_item(&self) -> bool {
        true
    }
    fn write_item(&self, w: &mut Writer<'_>) {
        self.write(w)
    }
    fn check_item(&self) -> Result<(), DecodeError> {
        self.check()
    }
}

/// Fails: the required item at `at` is absent.
#[cold]
fn missing(r: &mut Reader<'_>, at: usize) {
    r.in_field(Field::ITEM, |r| r.fail(DecodeErrorKind::Missing, at));
}

/// An item that may be absent (subscribe's: unconfirmed in the docs, spec notes D10).
impl<'b, T: Cbor<'b>> Item<'b> for Option<T> {
    const EMPTY_ITEM: Self = None;
    fn read_item(&mut self, r: &mut Reader<'b>, present: bool, _: usize) {
        let tail = r.lazy().is_tail() && T::SEQ;
        r.lazy_mut().set_tail(tail);
        *self = present.then(|| T::read(r));
    }
    fn has_item(&self) -> bool {
        self.is_some()
    }
    fn write_item(&self, w: &mut Writer<'_>) {
        if let Some(v) = self {
            v.write(w);
        }
    }
    fn check_item(&self) -> Result<(), DecodeError> {
        self.as_ref().map_or(Ok(()), Cbor::check)
    }
}

/// No item (`[1, id]`): write, unsubscribe, resume, suspend, shutdown, close_sub_session.
/// An item sent anyway is stepped over and ignored.
impl<'b> Item<'b> for () {
    const EMPTY_ITEM: Self = ();
    fn read_item(&mut self, r: &mut Reader<'b>, present: bool, _: usize) {
        if present {
            r.skip();
        }
    }
    fn has_item(&self) -> bool {
        false
    }
    fn write_item(&self, _: &mut Writer<'_>) {}
}

#[cfg(feature = "defmt")]
impl defmt::Format for BrowseEntry<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "BrowseEntry {{ primary_key: {}, element: {}, category: {} }}",
            self.primary_key,
            DefmtUuid(self.element),
            self.category,
        )
    }
}
