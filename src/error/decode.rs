//! [`DecodeError`]: what went wrong, where, in which field and packet — in 16 bytes.

use core::fmt;
use core::num::NonZeroU64;

use super::ErrorCode;
use super::field::Field;

/// A message id (spec section 4): any integer in `i64` range, echoed back as received.
pub type MessageId = i64;

/// What a value of the wrong type should have been ([`DecodeErrorKind::WrongType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Expected {
    /// An unsigned integer (major type 0).
    UnsignedInteger,
    /// An integer (major type 0 or 1).
    Integer,
    /// A float (f16, f32 or f64).
    Float,
    /// `true` or `false`.
    Boolean,
    /// A tag.
    Tag,
    /// An array.
    Array,
    /// A map.
    Map,
    /// A text string.
    Text,
    /// A byte string.
    Bytes,
    /// A time point: `1(n)`, `1001({…})` or a number.
    TimePoint,
    /// A decimal fraction, tag 4.
    DecimalFraction,
    /// A decimal fraction's `[exponent, mantissa]`.
    ExponentMantissa,
    /// An attribute id: an unsigned integer or a UUID.
    AttributeId,
    /// `121(value)` or `122(error)`.
    AttrResult,
    /// `121(…)`, `122(…)` or `123(…)` credentials.
    Credentials,
}

impl Expected {
    const ALL: [Expected; 15] = [
        Expected::UnsignedInteger,
        Expected::Integer,
        Expected::Float,
        Expected::Boolean,
        Expected::Tag,
        Expected::Array,
        Expected::Map,
        Expected::Text,
        Expected::Bytes,
        Expected::TimePoint,
        Expected::DecimalFraction,
        Expected::ExponentMantissa,
        Expected::AttributeId,
        Expected::AttrResult,
        Expected::Credentials,
    ];

    /// What was expected, in words (`"unsigned integer"`).
    pub const fn name(self) -> &'static str {
        match self {
            Expected::UnsignedInteger => "unsigned integer",
            Expected::Integer => "integer",
            Expected::Float => "float",
            Expected::Boolean => "boolean",
            Expected::Tag => "tag",
            Expected::Array => "array",
            Expected::Map => "map",
            Expected::Text => "text string",
            Expected::Bytes => "byte string",
            Expected::TimePoint => "time point",
            Expected::DecimalFraction => "decimal fraction (tag 4)",
            Expected::ExponentMantissa => "[exponent, mantissa]",
            Expected::AttributeId => "attribute id (unsigned integer or UUID)",
            Expected::AttrResult => "tag 121/122 alternative",
            Expected::Credentials => "tag 121/122/123 alternative",
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong while decoding. [`DecodeErrorKind::code`] gives the spec code for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended inside a data item. (-32700)
    Truncated,
    /// The bytes are not well-formed CBOR: a reserved additional-information value, a break
    /// outside an indefinite-length item, a chunk of the wrong major type, … (-32700)
    InvalidCbor,
    /// A text string is not valid UTF-8. (-32700)
    InvalidUtf8,
    /// Arrays, maps or tags nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH). (-32700)
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
    /// The opcode is not one of 0 to 14 (numbers above 16 777 215 are reported as
    /// 16 777 215). (-32601)
    UnknownOpcode(u64),
    /// A value has the wrong CBOR type. (-32602)
    WrongType(Expected),
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
}

/// [`DecodeErrorKind`] without its payload: what [`DecodeError`] stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Truncated,
    InvalidCbor,
    InvalidUtf8,
    TooDeep,
    TrailingBytes,
    NotABatch,
    NotAPacket,
    UnknownPacketType,
    UnknownEventType,
    InvalidHeader,
    PacketLength,
    UnknownOpcode,
    WrongType,
    MissingKey,
    DuplicateKey,
    Missing,
    InvalidUuid,
    OutOfRange,
    InvalidValue,
}

/// Every [`Kind`], by its number.
const KINDS: [Kind; 19] = [
    Kind::Truncated,
    Kind::InvalidCbor,
    Kind::InvalidUtf8,
    Kind::TooDeep,
    Kind::TrailingBytes,
    Kind::NotABatch,
    Kind::NotAPacket,
    Kind::UnknownPacketType,
    Kind::UnknownEventType,
    Kind::InvalidHeader,
    Kind::PacketLength,
    Kind::UnknownOpcode,
    Kind::WrongType,
    Kind::MissingKey,
    Kind::DuplicateKey,
    Kind::Missing,
    Kind::InvalidUuid,
    Kind::OutOfRange,
    Kind::InvalidValue,
];

// KINDS[n] is the kind numbered n.
const _: () = {
    let mut i = 0;
    while i < KINDS.len() {
        assert!(KINDS[i] as usize == i);
        i += 1;
    }
};

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
            | InvalidValue => ErrorCode::InvalidParameter,
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
        }
    }
}

/// Why a message, packet or value did not decode, and where: [`kind`](Self::kind),
/// [`offset`](Self::offset), [`field`](Self::field), [`id`](Self::id), and the spec
/// [`code`](Self::code) to answer with.
///
/// Sixteen bytes, `Copy`, cheap to return through every level of the decoder.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// The message id (when the field byte has [`HAS_ID`]), or the number of an unknown
    /// packet or event type.
    id: i64,
    /// Packed, so that a `Result` of a word and this error travels in two registers:
    /// bits 0–7 the [`Kind`] + 1 (never zero), 8–15 a [`Field`] index with bit 7
    /// [`HAS_ID`] (for an unknown opcode: its bits 16–23), 16–31 the kind's payload (a
    /// key, an [`Expected`] index, or an opcode's low 16 bits), 32–63 the byte offset
    /// (saturated at `u32::MAX`).
    bits: NonZeroU64,
}

/// The field byte's bit for "the id is known".
const HAS_ID: u8 = 0x80;

impl DecodeError {
    /// An error of `kind` at `offset`, not yet attributed to a field or packet.
    #[cold]
    pub(crate) const fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        use DecodeErrorKind as K;
        let offset = if offset > u32::MAX as usize {
            u32::MAX
        } else {
            offset as u32
        };
        let (kind, detail, id, field) = match kind {
            K::Truncated => (Kind::Truncated, 0, 0, 0),
            K::InvalidCbor => (Kind::InvalidCbor, 0, 0, 0),
            K::InvalidUtf8 => (Kind::InvalidUtf8, 0, 0, 0),
            K::TooDeep => (Kind::TooDeep, 0, 0, 0),
            K::TrailingBytes => (Kind::TrailingBytes, 0, 0, 0),
            K::NotABatch => (Kind::NotABatch, 0, 0, 0),
            K::NotAPacket => (Kind::NotAPacket, 0, 0, 0),
            K::UnknownPacketType(n) => (Kind::UnknownPacketType, 0, n as i64, 0),
            K::UnknownEventType(n) => (Kind::UnknownEventType, 0, n as i64, 0),
            K::InvalidHeader => (Kind::InvalidHeader, 0, 0, 0),
            K::PacketLength => (Kind::PacketLength, 0, 0, 0),
            K::UnknownOpcode(n) => {
                let n = if n > 0xff_ffff { 0xff_ffff } else { n };
                (Kind::UnknownOpcode, n as u16, 0, (n >> 16) as u8)
            }
            K::WrongType(e) => (Kind::WrongType, e as u16, 0, 0),
            K::MissingKey(k) => (Kind::MissingKey, small(k), 0, 0),
            K::DuplicateKey(k) => (Kind::DuplicateKey, small(k), 0, 0),
            K::Missing => (Kind::Missing, 0, 0, 0),
            K::InvalidUuid => (Kind::InvalidUuid, 0, 0, 0),
            K::OutOfRange => (Kind::OutOfRange, 0, 0, 0),
            K::InvalidValue => (Kind::InvalidValue, 0, 0, 0),
        };
        DecodeError::pack(id, kind, field, detail, offset)
    }

    /// Packs the parts (see [`DecodeError::bits`]).
    const fn pack(id: i64, kind: Kind, field: u8, detail: u16, offset: u32) -> Self {
        let bits =
            (kind as u64 + 1) | (field as u64) << 8 | (detail as u64) << 16 | (offset as u64) << 32;
        DecodeError {
            id,
            bits: match NonZeroU64::new(bits) {
                Some(bits) => bits,
                None => NonZeroU64::MIN,
            },
        }
    }

    const fn stored_kind(&self) -> Kind {
        let i = (self.bits.get() & 0xff) as usize;
        if i >= 1 && i <= KINDS.len() {
            KINDS[i - 1]
        } else {
            Kind::InvalidCbor
        }
    }

    const fn field_byte(&self) -> u8 {
        (self.bits.get() >> 8) as u8
    }

    const fn detail(&self) -> u16 {
        (self.bits.get() >> 16) as u16
    }

    const fn with_field_byte(self, field: u8) -> Self {
        let bits = self.bits.get() & !0xff00 | (field as u64) << 8;
        DecodeError {
            id: self.id,
            bits: match NonZeroU64::new(bits) {
                Some(bits) => bits,
                None => self.bits,
            },
        }
    }

    /// What went wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        use DecodeErrorKind as K;
        match self.stored_kind() {
            Kind::Truncated => K::Truncated,
            Kind::InvalidCbor => K::InvalidCbor,
            Kind::InvalidUtf8 => K::InvalidUtf8,
            Kind::TooDeep => K::TooDeep,
            Kind::TrailingBytes => K::TrailingBytes,
            Kind::NotABatch => K::NotABatch,
            Kind::NotAPacket => K::NotAPacket,
            Kind::UnknownPacketType => K::UnknownPacketType(self.id as u64),
            Kind::UnknownEventType => K::UnknownEventType(self.id as u64),
            Kind::InvalidHeader => K::InvalidHeader,
            Kind::PacketLength => K::PacketLength,
            Kind::UnknownOpcode => {
                K::UnknownOpcode(((self.field_byte() as u64) << 16) | self.detail() as u64)
            }
            Kind::WrongType => {
                let i = self.detail() as usize;
                K::WrongType(if i < Expected::ALL.len() {
                    Expected::ALL[i]
                } else {
                    Expected::Tag
                })
            }
            Kind::MissingKey => K::MissingKey(self.detail() as u64),
            Kind::DuplicateKey => K::DuplicateKey(self.detail() as u64),
            Kind::Missing => K::Missing,
            Kind::InvalidUuid => K::InvalidUuid,
            Kind::OutOfRange => K::OutOfRange,
            Kind::InvalidValue => K::InvalidValue,
        }
    }

    /// Byte offset into the message where the offending item starts.
    pub const fn offset(&self) -> usize {
        (self.bits.get() >> 32) as usize
    }

    /// The field being decoded (`"close_sub_session.session_id"`), or `""` at the top.
    pub const fn field(&self) -> &'static str {
        self.field_id().name()
    }

    /// The message id of the packet, when it was read before the error.
    pub const fn id(&self) -> Option<MessageId> {
        match self.stored_kind() {
            Kind::UnknownOpcode => Some(self.id),
            Kind::UnknownPacketType | Kind::UnknownEventType => None,
            _ if self.field_byte() & HAS_ID != 0 => Some(self.id),
            _ => None,
        }
    }

    /// The error code a server answers with.
    pub const fn code(&self) -> ErrorCode {
        self.kind().code()
    }

    /// True for errors after which the CBOR stream cannot be walked any further: the
    /// message is not well-formed (or not a batch), so no later packet can be found.
    pub const fn is_fatal(&self) -> bool {
        matches!(
            self.stored_kind(),
            Kind::Truncated
                | Kind::InvalidCbor
                | Kind::TooDeep
                | Kind::TrailingBytes
                | Kind::NotABatch
        )
    }

    /// The field, as an index.
    const fn field_id(&self) -> Field {
        match self.stored_kind() {
            Kind::UnknownOpcode => Field::NONE,
            _ => Field::from_index(self.field_byte() & !HAS_ID),
        }
    }

    /// True when the kind's storage leaves room for a field and an id.
    const fn has_slots(&self) -> bool {
        !matches!(
            self.stored_kind(),
            Kind::UnknownOpcode | Kind::UnknownPacketType | Kind::UnknownEventType
        )
    }

    /// Names the field, unless a more specific one already did.
    #[inline]
    pub(crate) fn in_field(self, field: Field) -> Self {
        let byte = self.field_byte();
        if self.has_slots() && byte & !HAS_ID == 0 {
            self.with_field_byte(byte | field.index())
        } else {
            self
        }
    }

    /// Attributes the error to the packet with message id `id`, unless it is already.
    #[inline]
    pub(crate) fn with_id(mut self, id: MessageId) -> Self {
        if matches!(self.stored_kind(), Kind::UnknownOpcode) {
            // Its id is always known: the opcode follows it.
            self.id = id;
        } else if self.has_slots() && self.field_byte() & HAS_ID == 0 {
            self = self.with_field_byte(self.field_byte() | HAS_ID);
            self.id = id;
        }
        self
    }

    /// The same error, with the id of `other` if it has one (and this one has none).
    pub(crate) fn with_id_of(self, other: &DecodeError) -> Self {
        match other.id() {
            Some(id) => self.with_id(id),
            None => self,
        }
    }

    /// The same error at `offset` (for errors found in a copy of the input).
    pub(crate) const fn at(self, offset: usize) -> Self {
        let offset = if offset > u32::MAX as usize {
            u32::MAX
        } else {
            offset as u32
        };
        let bits = self.bits.get() & 0xffff_ffff | (offset as u64) << 32;
        DecodeError {
            id: self.id,
            bits: match NonZeroU64::new(bits) {
                Some(bits) => bits,
                None => self.bits,
            },
        }
    }
}

/// A map key in `u16` (known keys are all below 16).
const fn small(k: u64) -> u16 {
    if k > u16::MAX as u64 {
        u16::MAX
    } else {
        k as u16
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("kind", &self.kind())
            .field("offset", &self.offset())
            .field("field", &self.field())
            .field("id", &self.id())
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind())?;
        if !self.field().is_empty() {
            write!(f, " in {}", self.field())?;
        }
        write!(f, " at byte {}", self.offset())
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for DecodeError {}

/// The fields as `Debug` shows them, formatted on the host (no `core::fmt` on the target).
#[cfg(feature = "defmt")]
impl defmt::Format for DecodeError {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "DecodeError {{ kind: {}, offset: {=usize}, field: {=str:?}, id: {} }}",
            self.kind(),
            self.offset(),
            self.field(),
            self.id()
        )
    }
}
