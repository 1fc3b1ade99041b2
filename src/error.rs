//! Errors: the protocol's error codes, decode errors and encode errors.
//!
//! Every [`DecodeError`] maps to the [`ErrorCode`] a server answers with
//! ([`DecodeError::code`]), so a server never has to invent one.

use core::fmt;

/// Declares [`ErrorCode`] from one table: variant, code, spec name, the vendor client's text.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $text:literal; )*) => {
        /// An error code of the protocol (spec section 8).
        ///
        /// Codes the spec does not list are kept as [`ErrorCode::Other`], never rejected.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code the spec does not list, kept as received.
            Other(i64),
        }

        impl ErrorCode {
            /// Every code the spec lists, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code for a number; unlisted numbers become [`ErrorCode::Other`].
            pub const fn from_i64(code: i64) -> Self {
                match code {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other),
                }
            }

            /// The number sent on the wire.
            pub const fn code(self) -> i64 {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Other(code) => code,
                }
            }

            /// The spec's name for the code (`"Unknown Session Id"`), or `"Unknown Error"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $name, )*
                    ErrorCode::Other(_) => "Unknown Error",
                }
            }

            /// The vendor client's built-in message for the code: the text a server sends
            /// when it has nothing more specific to say.
            pub const fn message(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                    ErrorCode::Other(_) => "unknown xentara websocket error",
                }
            }
        }
    };
}

error_codes! {
    /// The payload is not well-formed CBOR, or the packet type, message id or opcode is
    /// missing or of the wrong type.
    ParseError = -32700, "Parse Error", "payload not well formed";
    /// The packet is not a valid request (not an array, wrong packet type, …).
    InvalidRequest = -32600, "Invalid Request", "invalid request";
    /// Unknown opcode (not listed on any command page; the vendor client's text).
    CommandNotFound = -32601, "Command Not Found", "command not found";
    /// A parameter is missing, of the wrong type, or unknown.
    InvalidParameter = -32602, "Invalid Parameter", "invalid parameter";
    /// Server-side failure.
    InternalError = -32603, "Internal Error", "internal server error";
    /// A command was sent before client_hello.
    MissingClientHello = -32000, "Missing Client Hello Request", "missing client hello request";
    /// A second client_hello was sent.
    DuplicateClientHello = -32001, "Duplicate Client Hello Request", "duplicate client hello request";
    /// No element has that UUID or primary key.
    UnknownElement = -32100, "Unknown Element", "unknown element";
    /// The element has no such attribute.
    MissingAttribute = -32101, "Missing Attribute", "missing attribute";
    /// Authorisation failed (connection or sub-session).
    AccessDenied = -32102, "Access Denied", "access denied";
    /// Write to a read-only attribute (see discrepancies D3).
    ReadOnly = -32103, "Read Only", "value is read only";
    /// Read of a write-only attribute (see discrepancies D3).
    WriteOnly = -32104, "Write Only", "value is write only";
    /// The written value is out of range.
    ValueOutOfRange = -32105, "Value Out Of Range", "value is out of range";
    /// The value cannot be converted to the attribute's type.
    TypeMismatch = -32106, "Type Mismatch", "value cannot be converted to requested type";
    /// The value is not allowed.
    IllegalValue = -32107, "Illegal Value", "value supplied is not valid";
    /// The attribute could not be read.
    ReadError = -32108, "Read Error", "read error";
    /// The attribute could not be written.
    WriteError = -32109, "Write Error", "write error";
    /// unsubscribe named an unknown subscription.
    UnknownSubscriptionId = -32110, "Unknown Subscription Id", "unknown subscription Id";
    /// A command named an unknown sub-session.
    UnknownSessionId = -32111, "Unknown Session Id", "unknown session Id";
    /// The stage change is not possible now.
    InvalidStageChange = -32112, "Invalid Stage Change Request", "invalid stage change request";
}

impl From<i64> for ErrorCode {
    fn from(code: i64) -> Self {
        ErrorCode::from_i64(code)
    }
}

impl From<ErrorCode> for i64 {
    fn from(code: ErrorCode) -> Self {
        code.code()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

/// What went wrong while decoding. [`DecodeErrorKind::code`] gives the spec code for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a data item. (-32700)
    Truncated,
    /// The bytes are not well-formed CBOR: a reserved additional-information value, a break
    /// outside an indefinite-length item, a chunk of the wrong major type, … (-32700)
    InvalidCbor,
    /// A text string is not valid UTF-8. (-32700)
    InvalidUtf8,
    /// Arrays, maps or tags nested deeper than [`crate::wire::MAX_DEPTH`]. (-32700)
    TooDeep,
    /// Bytes follow the message's single data item. (-32700)
    TrailingBytes,
    /// The message is not an array of packets. (-32600)
    NotABatch,
    /// A packet is not an array. (-32600)
    NotAPacket,
    /// The packet type is not 0, 1, 2 or 8. (-32600)
    UnknownPacketType(u64),
    /// The event type is not 0 (data change). (-32600)
    UnknownEventType(u64),
    /// The packet type, message id, opcode or event type is missing or of the wrong type,
    /// or the message id does not fit in an `i64`. (-32700, spec section 3.1)
    InvalidHeader,
    /// A packet has more elements than its type allows. (-32600)
    PacketLength,
    /// The opcode is not one of 0 to 14. (-32601)
    UnknownOpcode(u64),
    /// A value has the wrong CBOR type; the text names the type expected. (-32602)
    WrongType(&'static str),
    /// A required map key is missing. (-32602)
    MissingKey(u64),
    /// A map key appears twice. (-32602)
    DuplicateKey(u64),
    /// A required item (a parameter map, a response item) is absent. (-32602)
    Missing,
    /// A UUID is not `37(h'16 bytes')` (nor, leniently, 32 hex digits or hyphenated text). (-32602)
    InvalidUuid,
    /// An integer does not fit the field. (-32602)
    OutOfRange,
    /// A value of the right type that the protocol does not allow (NaN time point, …). (-32602)
    InvalidValue,
    /// An indefinite-length string made of several chunks where the crate must borrow one
    /// contiguous slice (zero-copy). (-32602)
    ChunkedString,
}

impl DecodeErrorKind {
    /// The error code a server answers with.
    pub const fn code(self) -> ErrorCode {
        use DecodeErrorKind::*;
        match self {
            Truncated | InvalidCbor | InvalidUtf8 | TooDeep | TrailingBytes | InvalidHeader => {
                ErrorCode::ParseError
            }
            NotABatch | NotAPacket | UnknownPacketType(_) | UnknownEventType(_) | PacketLength => {
                ErrorCode::InvalidRequest
            }
            UnknownOpcode(_) => ErrorCode::CommandNotFound,
            WrongType(_) | MissingKey(_) | DuplicateKey(_) | Missing | InvalidUuid | OutOfRange
            | InvalidValue | ChunkedString => ErrorCode::InvalidParameter,
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        match self {
            Truncated => f.write_str("truncated input"),
            InvalidCbor => f.write_str("malformed CBOR"),
            InvalidUtf8 => f.write_str("invalid UTF-8 in text string"),
            TooDeep => f.write_str("nesting too deep"),
            TrailingBytes => f.write_str("trailing bytes after the message"),
            NotABatch => f.write_str("message is not an array of packets"),
            NotAPacket => f.write_str("packet is not an array"),
            UnknownPacketType(t) => write!(f, "unknown packet type {t}"),
            UnknownEventType(t) => write!(f, "unknown event type {t}"),
            InvalidHeader => f.write_str("missing or malformed packet header field"),
            PacketLength => f.write_str("too many packet elements"),
            UnknownOpcode(op) => write!(f, "unknown opcode {op}"),
            WrongType(expected) => write!(f, "expected {expected}"),
            MissingKey(k) => write!(f, "missing key {k}"),
            DuplicateKey(k) => write!(f, "duplicate key {k}"),
            Missing => f.write_str("missing value"),
            InvalidUuid => f.write_str("invalid UUID"),
            OutOfRange => f.write_str("integer out of range"),
            InvalidValue => f.write_str("invalid value"),
            ChunkedString => f.write_str("chunked indefinite-length string"),
        }
    }
}

/// A message id (spec section 4): any integer in `i64` range, echoed back as received.
pub type MessageId = i64;

/// Why a message, packet or value did not decode, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset into the message where the offending item starts.
    pub offset: usize,
    /// The field being decoded (`"close_sub_session.session_id"`), or `""` at the top.
    pub field: &'static str,
    /// The message id of the packet, when it was read before the error.
    pub id: Option<MessageId>,
}

impl DecodeError {
    /// An error of `kind` at `offset`, not yet attributed to a field or packet.
    pub const fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError {
            kind,
            offset,
            field: "",
            id: None,
        }
    }

    /// The error code a server answers with.
    pub const fn code(&self) -> ErrorCode {
        self.kind.code()
    }

    /// Names the field, unless a more specific one already did.
    pub(crate) fn in_field(mut self, field: &'static str) -> Self {
        if self.field.is_empty() {
            self.field = field;
        }
        self
    }

    /// Attributes the error to the packet with message id `id`.
    pub(crate) fn with_id(mut self, id: MessageId) -> Self {
        self.id.get_or_insert(id);
        self
    }

    /// True for errors after which the CBOR stream cannot be walked any further.
    pub const fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::Truncated
                | DecodeErrorKind::InvalidCbor
                | DecodeErrorKind::InvalidUtf8
                | DecodeErrorKind::TooDeep
                | DecodeErrorKind::TrailingBytes
                | DecodeErrorKind::NotABatch
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.field.is_empty() {
            write!(f, " in {}", self.field)?;
        }
        write!(f, " at byte {}", self.offset)
    }
}

/// Why encoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is too small; `required` bytes would have fitted the whole output.
    /// The buffer's contents past what was committed before the call are unspecified.
    BufferTooSmall {
        /// The number of bytes the output needs.
        required: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let EncodeError::BufferTooSmall { required } = self;
        write!(f, "buffer too small: {required} bytes required")
    }
}

/// `core::error::Error` is `std::error::Error`: the errors work with `?` into
/// `Box<dyn Error>` with or without the `std` feature.
impl core::error::Error for DecodeError {}
impl core::error::Error for EncodeError {}
