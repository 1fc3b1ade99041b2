//! Response items: what a success packet `[1, id, item]` carries for each opcode.
//! The item's type depends on the opcode of the request it answers (spec 3.2).

use crate::error::{DecodeError, DecodeErrorKind};
use crate::wire::enums::{Access, DataType, ElementCategory};
use crate::wire::value::AttributeId;
use crate::wire::{Cbor, Raw, Seq, WriteError};
use uuid::Uuid;

int_map! {
    /// One element found by browse.
    pub struct BrowseEntry<'b> = "browse_entry" {
        /// The element's primary key.
        0 req primary_key: &'b str,
        /// The element's UUID.
        1 req element: Uuid,
        /// The element's category.
        2 req category: ElementCategory,
    }
}

int_map! {
    /// One attribute in a metadata attribute list (spec 6.2).
    pub struct AttributeInfo<'b> = "attribute_info" {
        /// The attribute's name.
        0 req name: &'b str,
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
    pub struct MetaDataItem<'b> = "meta_data_item" {
        /// The primary key.
        0 opt primary_key: &'b str,
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
    pub struct ServerHello = "server_hello" {
        /// The protocol version chosen for the connection.
        0 req current_version: u64,
    }
}

/// How an opcode's response item sits in a success packet (its optional 3rd element).
pub trait Item<'b>: Sized {
    /// Decodes the item from the packet's 3rd element (`None` when absent).
    fn decode_item(item: Option<Raw<'b>>, at: usize) -> Result<Self, DecodeError>;
    /// True when the success packet carries a 3rd element.
    fn has_item(&self) -> bool;
    /// Encodes the 3rd element (only called when [`Item::has_item`]).
    fn encode_item<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
    ) -> Result<(), WriteError<W>>;
}

/// A required item.
impl<'b, T: Cbor<'b>> Item<'b> for T {
    fn decode_item(item: Option<Raw<'b>>, at: usize) -> Result<Self, DecodeError> {
        match item {
            Some(raw) => raw.decode_as().map_err(|e| shift(e, at)),
            None => Err(DecodeError::new(DecodeErrorKind::Missing, at).in_field("response item")),
        }
    }
    fn has_item(&self) -> bool {
        true
    }
    fn encode_item<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
    ) -> Result<(), WriteError<W>> {
        self.encode(e)
    }
}

/// An item that may be absent (subscribe's: unconfirmed in the docs, discrepancies D10).
impl<'b, T: Cbor<'b>> Item<'b> for Option<T> {
    fn decode_item(item: Option<Raw<'b>>, at: usize) -> Result<Self, DecodeError> {
        item.map(|raw| raw.decode_as().map_err(|e| shift(e, at)))
            .transpose()
    }
    fn has_item(&self) -> bool {
        self.is_some()
    }
    fn encode_item<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
    ) -> Result<(), WriteError<W>> {
        match self {
            Some(v) => v.encode(e),
            None => Ok(()),
        }
    }
}

/// No item (`[1, id]`): write, unsubscribe, resume, suspend, shutdown, close_sub_session.
/// An item sent anyway is ignored.
impl<'b> Item<'b> for () {
    fn decode_item(_: Option<Raw<'b>>, _: usize) -> Result<Self, DecodeError> {
        Ok(())
    }
    fn has_item(&self) -> bool {
        false
    }
    fn encode_item<W: minicbor::encode::Write>(
        &self,
        _: &mut minicbor::Encoder<W>,
    ) -> Result<(), WriteError<W>> {
        Ok(())
    }
}

/// Moves an error found inside a [`Raw`] to its offset in the message.
fn shift(mut e: DecodeError, at: usize) -> DecodeError {
    e.offset += at;
    e
}

defmt_via_debug!(
    BrowseEntry<'_>,
    AttributeInfo<'_>,
    MetaDataItem<'_>,
    ServerHello
);
