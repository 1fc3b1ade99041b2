//! [`DecodeError`]: what went wrong, where, in which field and packet — in 16 bytes.

use core::fmt;
use core::num::NonZeroU64;

use super::ErrorCode;
use super::field::Field;
use super::text::{TextSink, display};

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

    /// The value with index `n` in declaration order ([`Expected::Tag`] past the end).
    const fn from_index(n: u64) -> Expected {
        if n < Expected::ALL.len() as u64 {
            Expected::ALL[n as usize]
        } else {
            Expected::Tag
        }
    }

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

/// Declares [`DecodeErrorKind`] and everything read from it, one row per kind:
///
/// `Variant(Payload in Packing) => Code, fatal|local, "text";`
///
/// - `Payload` (`u64` or `Expected`) and `Packing`, where [`DecodeError`] keeps it (see
///   [`Packing`]), for kinds that carry a value;
/// - `Code`, the [`ErrorCode`] a server answers with;
/// - `fatal` when no later packet can be found after the error ([`DecodeError::is_fatal`]);
/// - the text `Display` writes, followed by a space and the payload when there is one.
macro_rules! decode_error_kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident $(($payload:ident in $packing:ident))? => $code:ident, $fatal:ident, $text:literal;
    )*) => {
        /// What went wrong while decoding. [`DecodeErrorKind::code`] gives the spec code for it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub enum DecodeErrorKind {
            $( $(#[$doc])* $variant $(($payload))?, )*
        }

        /// [`DecodeErrorKind`] without its payload: what [`DecodeError`] stores.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        enum Kind {
            $( $variant, )*
        }

        /// Every [`Kind`], by its number.
        const KINDS: &[Kind] = &[$( Kind::$variant ),*];

        impl DecodeErrorKind {
            /// The error code a server answers with.
            pub const fn code(self) -> ErrorCode {
                match self {
                    $( DecodeErrorKind::$variant { .. } => ErrorCode::$code, )*
                }
            }

            /// The stored kind and its payload's parts: `(kind, detail, id, field byte)`
            /// (see [`Packing`]).
            const fn pack(self) -> (Kind, u16, i64, u8) {
                match self {
                    $( DecodeErrorKind::$variant $((decode_error_kinds!(@bind $payload value)))? => {
                        let (detail, id, field) =
                            decode_error_kinds!(@pack $($packing decode_error_kinds!(@to_u64 $payload value))?);
                        (Kind::$variant, detail, id, field)
                    } )*
                }
            }

            /// The kind stored as `kind` with the payload `n` (as [`DecodeError::kind`] reads
            /// it back).
            const fn join(kind: Kind, n: u64) -> Self {
                match kind {
                    $( Kind::$variant =>
                        DecodeErrorKind::$variant $((decode_error_kinds!(@from_u64 $payload n)))?, )*
                }
            }

            /// The text `Display` shows: the row's, then the payload after a space.
            const fn text(self) -> (&'static str, Option<Detail>) {
                match self {
                    $( DecodeErrorKind::$variant $((decode_error_kinds!(@bind $payload value)))? =>
                        ($text, decode_error_kinds!(@detail $($payload value)?)), )*
                }
            }
        }

        impl Kind {
            /// Where the payload is kept.
            const fn packing(self) -> Packing {
                match self {
                    $( Kind::$variant => decode_error_kinds!(@packing $($packing)?), )*
                }
            }

            /// The error code a server answers with.
            const fn code(self) -> ErrorCode {
                match self {
                    $( Kind::$variant => ErrorCode::$code, )*
                }
            }
        }

        // Sets of kinds, a bit per kind number: the tests on an error's way up are one bit
        // test each.

        /// The kinds after which no later packet can be found.
        const FATAL_KINDS: u32 =
            0 $( | (decode_error_kinds!(@fatal $fatal) as u32) << Kind::$variant as u32 )*;
        /// The kinds whose payload is in the id.
        const ID_KINDS: u32 = 0 $( | (matches!(
            decode_error_kinds!(@packing $($packing)?),
            Packing::Id
        ) as u32) << Kind::$variant as u32 )*;
        /// The kinds whose payload is over the detail and the field byte.
        const OPCODE_KINDS: u32 = 0 $( | (matches!(
            decode_error_kinds!(@packing $($packing)?),
            Packing::Opcode
        ) as u32) << Kind::$variant as u32 )*;
    };
    (@bind $payload:ident $value:ident) => { $value };
    (@to_u64 u64 $value:ident) => { $value };
    (@to_u64 Expected $value:ident) => { $value as u64 };
    (@from_u64 u64 $n:ident) => { $n };
    (@from_u64 Expected $n:ident) => { Expected::from_index($n) };
    (@detail) => { None };
    (@detail u64 $value:ident) => { Some(Detail::Number($value)) };
    (@detail Expected $value:ident) => { Some(Detail::Words($value.name())) };
    (@pack) => { (0, 0, 0) };
    (@pack Detail $n:expr) => { (small($n), 0, 0) };
    (@pack Id $n:expr) => { (0, $n as i64, 0) };
    (@pack Opcode $n:expr) => {{
        let n = if $n > 0xff_ffff { 0xff_ffff } else { $n };
        (n as u16, 0, (n >> 16) as u8)
    }};
    (@packing) => { Packing::None };
    (@packing $packing:ident) => { Packing::$packing };
    (@fatal fatal) => { true };
    (@fatal local) => { false };
}

decode_error_kinds! {
    /// The input ended inside a data item. (-32700)
    Truncated => ParseError, fatal, "truncated input";
    /// The bytes are not well-formed CBOR: a reserved additional-information value, a break
    /// outside an indefinite-length item, a chunk of the wrong major type, … (-32700)
    InvalidCbor => ParseError, fatal, "malformed CBOR";
    /// A text string is not valid UTF-8. (-32700)
    InvalidUtf8 => ParseError, local, "invalid UTF-8 in text string";
    /// Arrays, maps or tags nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH). (-32700)
    TooDeep => ParseError, fatal, "nesting too deep";
    /// Bytes follow the message's single data item. (-32700)
    TrailingBytes => ParseError, fatal, "trailing bytes after the message";
    /// The message is not an array of packets. (-32600)
    NotABatch => InvalidRequest, fatal, "message is not an array of packets";
    /// A packet is not an array. (-32600)
    NotAPacket => InvalidRequest, local, "packet is not an array";
    /// The packet type is not 0, 1, 2 or 8. (-32600)
    UnknownPacketType(u64 in Id) => InvalidRequest, local, "unknown packet type";
    /// The event type is not 0 (data change). (-32600)
    UnknownEventType(u64 in Id) => InvalidRequest, local, "unknown event type";
    /// The packet type, message id, opcode or event type is missing or of the wrong type,
    /// or the message id does not fit in an `i64`. (-32700, spec section 3.1)
    InvalidHeader => ParseError, local, "missing or malformed packet header field";
    /// A packet has more elements than its type allows. (-32600)
    PacketLength => InvalidRequest, local, "too many packet elements";
    /// The opcode is not one of 0 to 14 (numbers above 16 777 215 are reported as
    /// 16 777 215). (-32601)
    UnknownOpcode(u64 in Opcode) => CommandNotFound, local, "unknown opcode";
    /// A value has the wrong CBOR type. (-32602)
    WrongType(Expected in Detail) => InvalidParameter, local, "expected";
    /// A required map key is missing. (-32602)
    MissingKey(u64 in Detail) => InvalidParameter, local, "missing key";
    /// A map key appears twice. (-32602)
    DuplicateKey(u64 in Detail) => InvalidParameter, local, "duplicate key";
    /// A required item (a parameter map, a response item) is absent. (-32602)
    Missing => InvalidParameter, local, "missing value";
    /// A UUID is not `37(h'16 bytes')` (nor, leniently, 32 hex digits or hyphenated text). (-32602)
    InvalidUuid => InvalidParameter, local, "invalid UUID";
    /// An integer does not fit the field. (-32602)
    OutOfRange => InvalidParameter, local, "integer out of range";
    /// A value of the right type that the protocol does not allow (NaN time point, …). (-32602)
    InvalidValue => InvalidParameter, local, "invalid value";
}

// KINDS[n] is the kind numbered n, and every kind has a bit in a u32 set.
const _: () = {
    assert!(KINDS.len() <= 32);
    let mut i = 0;
    while i < KINDS.len() {
        assert!(KINDS[i] as usize == i);
        i += 1;
    }
};

/// Where a [`DecodeError`] keeps its kind's payload, and so which of its other parts it
/// has room for.
#[derive(Clone, Copy)]
enum Packing {
    /// No payload: the field and the id both fit.
    None,
    /// In the 16-bit detail, saturated (a map key, an [`Expected`] index); field and id fit.
    Detail,
    /// In the id (an unknown packet or event type): no id, no field.
    Id,
    /// 24 bits over the detail and the field byte, saturated (an unknown opcode): the id
    /// is always known (the opcode follows it), no field.
    Opcode,
}

/// What follows a kind's text.
enum Detail {
    /// A number, in decimal.
    Number(u64),
    /// Words.
    Words(&'static str),
}

impl DecodeErrorKind {
    inlining! { one_copy:
        /// Writes the text `Display` shows, without `core::fmt`.
        pub(crate) fn write_text<S: TextSink>(self, out: &mut S) {
            let (text, detail) = self.text();
            out.str(text);
            match detail {
                Some(Detail::Number(n)) => {
                    out.str(" ").u64(n);
                }
                Some(Detail::Words(words)) => {
                    out.str(" ").str(words);
                }
                None => {}
            }
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(f, |out| self.write_text(out))
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
        let offset = if offset > u32::MAX as usize {
            u32::MAX
        } else {
            offset as u32
        };
        let (kind, detail, id, field) = kind.pack();
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

    /// True when the kind is in the set `kinds` (a bit per kind number), read from the
    /// kind byte without [`KINDS`].
    const fn kind_in(&self, kinds: u32) -> bool {
        let n = (self.bits.get() as u32 & 0xff).wrapping_sub(1);
        n < 32 && (kinds >> n) & 1 != 0
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
        let kind = self.stored_kind();
        let n = match kind.packing() {
            Packing::None => 0,
            Packing::Detail => self.detail() as u64,
            Packing::Id => self.id as u64,
            Packing::Opcode => ((self.field_byte() as u64) << 16) | self.detail() as u64,
        };
        DecodeErrorKind::join(kind, n)
    }

    inlining! { one_copy:
        /// Writes the text `Display` shows, without `core::fmt`.
        pub(crate) fn write_text<S: TextSink>(&self, out: &mut S) {
            self.kind().write_text(out);
            if !self.field().is_empty() {
                out.str(" in ").str(self.field());
            }
            out.str(" at byte ").u64(self.offset() as u64);
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
        match () {
            _ if self.kind_in(OPCODE_KINDS) => Some(self.id),
            _ if self.kind_in(ID_KINDS) => None,
            _ if self.field_byte() & HAS_ID != 0 => Some(self.id),
            _ => None,
        }
    }

    /// The error code a server answers with.
    pub const fn code(&self) -> ErrorCode {
        self.stored_kind().code()
    }

    /// True for errors after which the CBOR stream cannot be walked any further: the
    /// message is not well-formed (or not a batch), so no later packet can be found.
    pub const fn is_fatal(&self) -> bool {
        self.kind_in(FATAL_KINDS)
    }

    /// The field, as an index.
    const fn field_id(&self) -> Field {
        if self.kind_in(OPCODE_KINDS) {
            Field::NONE
        } else {
            Field::from_index(self.field_byte() & !HAS_ID)
        }
    }

    /// True when the kind's storage leaves room for a field and an id.
    const fn has_slots(&self) -> bool {
        !self.kind_in(OPCODE_KINDS | ID_KINDS)
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
        if self.kind_in(OPCODE_KINDS) {
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
        display(f, |out| self.write_text(out))
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

#[cfg(test)]
mod tests {
    use super::*;
    use DecodeErrorKind as K;

    /// Each kind comes back from the 16 bytes as it went in (payloads saturated where
    /// documented), with the field, id, code and fatality its row gives it.
    #[test]
    fn every_kind_survives_its_packing() {
        let fatal = [
            K::Truncated,
            K::InvalidCbor,
            K::TooDeep,
            K::TrailingBytes,
            K::NotABatch,
        ];
        let plain = [
            K::InvalidUtf8,
            K::NotAPacket,
            K::InvalidHeader,
            K::PacketLength,
            K::Missing,
            K::InvalidUuid,
            K::OutOfRange,
            K::InvalidValue,
            K::WrongType(Expected::Credentials),
            K::MissingKey(65_535),
            K::DuplicateKey(0),
        ];
        for kind in fatal.into_iter().chain(plain) {
            let e = DecodeError::new(kind, 12)
                .in_field(Field::OPCODE)
                .with_id(-7);
            assert_eq!(
                (e.kind(), e.offset(), e.field(), e.id()),
                (kind, 12, "opcode", Some(-7))
            );
            assert_eq!(e.is_fatal(), fatal.contains(&kind), "{kind:?}");
            assert_eq!(e.code(), kind.code());
        }
        for kind in [K::UnknownPacketType(u64::MAX), K::UnknownEventType(3)] {
            let e = DecodeError::new(kind, 1).in_field(Field::OPCODE).with_id(5);
            assert_eq!((e.kind(), e.field(), e.id()), (kind, "", None));
            assert_eq!(e.code(), ErrorCode::InvalidRequest);
        }
        let e = DecodeError::new(K::UnknownOpcode(1 << 40), 3)
            .with_id(9)
            .in_field(Field::OPCODE);
        assert_eq!(
            (e.kind(), e.field(), e.id()),
            (K::UnknownOpcode(0xff_ffff), "", Some(9))
        );
        assert_eq!(e.code(), ErrorCode::CommandNotFound);
        let e = DecodeError::new(K::MissingKey(1 << 20), usize::MAX);
        assert_eq!(
            (e.kind(), e.offset(), e.id()),
            (K::MissingKey(65_535), u32::MAX as usize, None)
        );
        assert_eq!(core::mem::size_of::<DecodeError>(), 16);
    }
}
