//! Every field a [`DecodeError`](super::DecodeError) can name, in one table.
//!
//! An error keeps a field as a one-byte index into this table, which keeps the error small
//! (16 bytes) and lets every layer name its fields without knowing the others. The
//! `int_map!` rows of each parameter and item struct look their fields up here by name at
//! compile time: a row whose field is missing from this table does not compile.

/// A field's index into [`NAMES`]; 0 is "no field".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field(u8);

/// Declares [`NAMES`]: single names, and maps as their label followed by `label.field` for
/// each field in key order.
macro_rules! field_names {
    ($( $name:literal $({ $($field:ident),* $(,)? })? ;)*) => {
        /// The names, indexed by [`Field`].
        const NAMES: &[&str] = &[
            "",
            $( $name, $($( concat!($name, ".", stringify!($field)), )*)? )*
        ];
    };
}

field_names! {
    // A packet's header (spec 3.1) and its parts.
    "packet type";
    "message id";
    "opcode";
    "event type";
    "response item";
    // Values (spec 9).
    "time point";
    "attribute result";
    "create_sub_session.credentials";
    // Maps: the model's, the events', then one per opcode's parameters and items (spec 6).
    "error" { code, message };
    "data_change" { time, element, values };
    "server_information" { ids };
    "browse" { element, depth, categories };
    "meta_data" { element, ids };
    "lookup" { primary_key };
    "read" { element, attributes };
    "write" { element, attribute, value, sub_session_id };
    "subscription_entry" { element, attributes };
    "subscribe" { entries, maximum_update_rate, minimum_update_rate, desired_subscription_id };
    "unsubscribe" { subscription_id };
    "resume" { session_id };
    "suspend" { session_id };
    "shutdown" { session_id };
    "oauth2" { token };
    "certificate" { der };
    "password" { username, password };
    "create_sub_session" { credentials, desired_session_id };
    "close_sub_session" { session_id };
    "client_hello" { min_version, max_version };
    "browse_entry" { primary_key, element, category };
    "attribute_info" { name, id, access, data_type };
    "meta_data_item" { primary_key, category, attributes, has_children };
    "server_hello" { current_version };
}

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
        panic!("a field name missing from src/error/field.rs")
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
