//! The protocol's error codes (spec section 8), from one table.

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
    /// Write to a read-only attribute (see spec notes D3).
    ReadOnly = -32103, "Read Only", "value is read only";
    /// Read of a write-only attribute (see spec notes D3).
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

/// The number and the spec's name (`-32111 Unknown Session Id`), formatted on the host.
#[cfg(feature = "defmt")]
impl defmt::Format for ErrorCode {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=i64} {=str}", self.code(), self.name())
    }
}
