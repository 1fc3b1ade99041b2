//! Every field a [`DecodeError`](super::DecodeError) can name, in one table.
//!
//! An error keeps a field as a one-byte index into this table, which keeps the error small
//! (16 bytes) and lets every layer name its fields without knowing the others. The table
//! is put together at compile time from the packet's own names and each map's names, which
//! its `int_map!` declares from its rows (the one place this module looks above the error
//! layer); the maps look their fields up here by name.

use crate::model::ErrorObject;
use crate::op::items::{AttributeInfo, BrowseEntry, MetaDataItem, ServerHello};
use crate::op::params::{
    Browse, Certificate, ClientHello, CloseSubSession, CreateSubSession, Lookup, MetaData, OAuth2,
    Password, Read, ResumeGuess, ServerInformation, Shutdown, Subscribe, SubscriptionEntry,
    Suspend, Unsubscribe, Write,
};
use crate::packet::DataChange;

/// A field's index into [`NAMES`]; 0 is "no field".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field(u8);

/// Where the names come from, in order: a packet's header (spec 3.1) and its parts, values
/// (spec 9), then the maps: the model's, the events', one per opcode's parameters and
/// items (spec 6), each its label followed by `label.field` in key order.
const SOURCES: &[&[&str]] = &[
    &[
        "packet type",
        "message id",
        "opcode",
        "event type",
        "response item",
    ],
    &["time point", "attribute result"],
    ErrorObject::FIELD_NAMES,
    DataChange::FIELD_NAMES,
    ServerInformation::FIELD_NAMES,
    Browse::FIELD_NAMES,
    MetaData::FIELD_NAMES,
    Lookup::FIELD_NAMES,
    Read::FIELD_NAMES,
    Write::FIELD_NAMES,
    SubscriptionEntry::FIELD_NAMES,
    Subscribe::FIELD_NAMES,
    Unsubscribe::FIELD_NAMES,
    ResumeGuess::FIELD_NAMES,
    Suspend::FIELD_NAMES,
    Shutdown::FIELD_NAMES,
    OAuth2::FIELD_NAMES,
    Certificate::FIELD_NAMES,
    Password::FIELD_NAMES,
    CreateSubSession::FIELD_NAMES,
    CloseSubSession::FIELD_NAMES,
    ClientHello::FIELD_NAMES,
    BrowseEntry::FIELD_NAMES,
    AttributeInfo::FIELD_NAMES,
    MetaDataItem::FIELD_NAMES,
    ServerHello::FIELD_NAMES,
];

/// The number of names, "no field" included.
const LEN: usize = {
    let mut len = 1;
    let mut i = 0;
    while i < SOURCES.len() {
        len += SOURCES[i].len();
        i += 1;
    }
    len
};

/// The names, indexed by [`Field`]: `""`, then [`SOURCES`] one after the other.
const NAMES: [&str; LEN] = {
    let mut names = [""; LEN];
    let mut at = 1;
    let mut i = 0;
    while i < SOURCES.len() {
        let mut j = 0;
        while j < SOURCES[i].len() {
            names[at] = SOURCES[i][j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    names
};

// The error keeps the index in seven bits.
const _: () = assert!(NAMES.len() <= 128);

impl Field {
    /// No field: the error is about the message or packet as a whole.
    pub(crate) const NONE: Field = Field(0);
    /// The packet type, first element of every packet.
    pub(crate) const PACKET_TYPE: Field = Field::named("packet type");
    /// The message id of a request or response.
    pub(crate) const MESSAGE_ID: Field = Field::named("message id");
    /// A request's opcode.
    pub(crate) const OPCODE: Field = Field::named("opcode");
    /// An event's type.
    pub(crate) const EVENT_TYPE: Field = Field::named("event type");
    /// A success packet's item.
    pub(crate) const ITEM: Field = Field::named("response item");
    /// A time point.
    pub(crate) const TIME_POINT: Field = Field::named("time point");
    /// The 121/122 alternative of an attribute result.
    pub(crate) const ATTR_RESULT: Field = Field::named("attribute result");
    /// The 121/122/123 alternative of create_sub_session's credentials.
    pub(crate) const CREDENTIALS: Field = Field::named("create_sub_session.credentials");
    /// An error packet's error object.
    pub(crate) const ERROR: Field = Field::named("error");
    /// An event's data-change object.
    pub(crate) const DATA_CHANGE: Field = Field::named("data_change");

    /// The field called `name`; a name missing from the table fails to compile.
    pub(crate) const fn named(name: &str) -> Field {
        let mut i = 0;
        while i < NAMES.len() {
            if eq(NAMES[i], name) {
                return Field(i as u8);
            }
            i += 1;
        }
        panic!("a field name missing from the table of src/error/field.rs")
    }

    /// The field's index (below 128).
    pub(crate) const fn index(self) -> u8 {
        self.0
    }

    /// The field with index `index`; unknown indexes are [`Field::NONE`].
    pub(crate) const fn from_index(index: u8) -> Field {
        if (index as usize) < NAMES.len() {
            Field(index)
        } else {
            Field::NONE
        }
    }

    /// The field's name, `""` for [`Field::NONE`].
    pub(crate) const fn name(self) -> &'static str {
        NAMES[self.0 as usize]
    }
}

/// `a == b`, at compile time.
const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
