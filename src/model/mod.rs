//! The protocol's data model: values, attribute ids and results, error objects, time
//! points, UUIDs, the spec's numbered tables, strings that may come in chunks, lazily read
//! sequences and raw items. Everything here is re-exported at the crate root.
//!
//! # Leniency (decode) and canonical form (encode)
//!
//! Every leniency rule of the crate is listed here:
//!
//! | accepted when decoding | written when encoding |
//! |---|---|
//! | integers in any width (`18 41`, `19 0041`, …) | the shortest width |
//! | definite and indefinite arrays and maps | definite lengths |
//! | strings definite or in chunks (indefinite length, RFC 8949 §3.2.3), everywhere | definite strings |
//! | floats as f16, f32 or f64 | the shortest width that loses nothing |
//! | map keys in any order, unknown keys skipped | ascending keys, only known ones |
//! | UUIDs as `37(h'16 bytes')`, `37("32 hex digits")` or `37("hyphenated")` | `37(h'16 bytes')` |
//! | time points as `1(int)`, `1(float)`, `1001({4: 4([e, m])})`, `1001({1: n})`, a bare number | as decoded; `1001(…)` for new ones |
//!
//! Strict everywhere else: wrong types, truncation, trailing bytes, bad UTF-8, reserved
//! encodings, duplicate known keys and nesting deeper than [`MAX_DEPTH`] are errors.
//! Decoding never panics, whatever the input: every malformed input is a
//! [`DecodeError`](crate::DecodeError).
//!
//! # What is read when
//!
//! Decoding a packet reads its header and its parameters or event object field by field;
//! a [`Seq`]'s elements are decoded as it is iterated, and a success packet's item is kept
//! as bytes until [`Success::response`](crate::Success::response) types it by its
//! request's opcode. What nobody reads (unknown keys, [`Raw`] values) is stepped over.
//!
//! A sequence followed by more of its packet (subscribe's entries, before its rates) is
//! stepped over when the packet is read — checked to be well-formed CBOR and counted — so
//! that what follows can be read. A sequence or success item that ends its packet (every
//! container around it definite and ending with it: a read's attributes, an event's
//! values, a read or browse response, an entry's attributes inside its subscribe) is not:
//! when the packet comes from iterating `&batch`, it is handed out at once, and reading
//! that part to its end records in the [`Batch`](crate::Batch) where it ended, so the
//! iteration goes on from there. Those bytes are walked once, by their reader. What was not
//! read to its end is stepped over when the iteration moves on; only then are bytes there
//! that are not well-formed CBOR found, and they end the batch with an error carrying that
//! packet's id (an element that cannot be read is also an element error of its sequence).
//!
//! Nesting is limited ([`MAX_DEPTH`]) from where each generic value starts. A last part
//! read by its typed reader is held to that limit for each generic value in it; stepping
//! over the part counts from the part, one or two levels more (its container, a tag
//! 121/122). So a part nested right at the limit reads when you read it before the batch
//! moves on, and is `TooDeep` when the batch steps over it.
//!
//! Errors inside a lazily read part surface when it is read, carrying the same kind,
//! offset, field, message id and code as if they had been found up front. Stepping over an
//! item checks that it is well-formed CBOR; the UTF-8 of a text string is checked when it
//! is read as text.

pub mod enums;
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
pub use uuid::{UUID_TAG, Uuid};
pub use value::{AttrResult, AttributeId, ErrorObject, Value};

/// Lists a structure's present fields by name, for diagnostics (`inspect`, logs).
pub(crate) trait Fields {
    /// Calls `f` with each present field's name and value, in key order.
    fn for_each_field(&self, f: &mut dyn FnMut(&'static str, &dyn core::fmt::Debug));
}
