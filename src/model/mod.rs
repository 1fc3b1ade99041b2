//! The protocol's data model: values, attribute ids and results, error objects, time
//! points, UUIDs, the spec's numbered tables, strings that may come in chunks, lazily read
//! sequences and raw items. Everything here is re-exported at the crate root, whose docs
//! hold the leniency table and what is read when.

pub(crate) mod enums;
mod raw;
mod seq;
mod text;
mod time;
mod uuid;
mod value;

pub use crate::cbor::MAX_DEPTH;
pub use raw::Raw;
pub use seq::{Seq, SeqIter};
pub use text::{Bytes, BytesChunks, Text, TextChunks};
pub use time::{DECIMAL_FRACTION_TAG, EPOCH_TAG, EXTENDED_TIME_TAG, TimePoint};
#[cfg(feature = "defmt")]
pub(crate) use uuid::DefmtUuid;
pub use uuid::{UUID_TAG, Uuid};
pub use value::{AttrResult, AttributeId, ErrorObject, Value};
