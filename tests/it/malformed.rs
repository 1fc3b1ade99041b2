//! A table of malformed messages, each with the exact error kind, spec code and offset it
//! must give; plus truncation at every byte of valid packets. (`errors.rs` pins fields and
//! message ids for a shorter list.)

use xentara_ws::params::Write;
use xentara_ws::{
    Batch, Command, DecodeError, DecodeErrorKind as K, ErrorCode, Expected as E, Opcode, Packet,
    Raw,
};
use xentara_ws_support::checks;
use xentara_ws_support::vectors::*;

/// One malformed input.
struct Case {
    /// What it shows.
    name: &'static str,
    /// The message, in hex (spaces ignored).
    hex: &'static str,
    /// For a success packet: the opcode its item is typed with.
    typed: Option<Opcode>,
    kind: K,
    offset: usize,
}

const fn case(name: &'static str, hex: &'static str, kind: K, offset: usize) -> Case {
    Case {
        name,
        hex,
        typed: None,
        kind,
        offset,
    }
}

const fn item(name: &'static str, op: Opcode, hex: &'static str, kind: K, offset: usize) -> Case {
    Case {
        name,
        hex,
        typed: Some(op),
        kind,
        offset,
    }
}

/// `[[0, 65, 13, {0: 37(h'e3ee…')}]]`: the seed request, valid.
const SEED: &str = "81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8";

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Truncated: inside heads, strings, UUIDs, floats, indefinite items.
    case("empty message", "", K::Truncated, 0),
    case("outer array head only", "81", K::Truncated, 1),
    case("8-byte length cut", "9b 00000000", K::Truncated, 0),
    case("2-byte id cut", "8184 00 19 00", K::Truncated, 3),
    case("opcode missing", "8184 00 1841", K::Truncated, 5),
    case("uuid cut in its bytes", "8184 00 1841 0d a100 d82550 e3ee10714d88", K::Truncated, 10),
    case("uuid cut after its tag", "8184 00 1841 0d a100 d825", K::Truncated, 10),
    case("text cut", "8184 00 1841 03 a100 74 47726f7570", K::Truncated, 8),
    case("f16 cut", "8184 00 05 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 f951", K::Truncated, 29),
    case("f64 cut", "8184 00 05 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 fb3fb9", K::Truncated, 29),
    case("indefinite batch without break", "9f 830001 08", K::Truncated, 5),
    case("indefinite map without break", "8184 00 01 0e bf 0001 0101", K::Truncated, 10),
    case("indefinite string without break", "8184 00 01 03 a1 00 7f 6141", K::Truncated, 10),
    case("declared 2 packets, 1 present", "82 830001 08", K::Truncated, 5),
    case("success item missing its content", "8183 01 01 a1", K::Truncated, 5),
    case("event object cut", "8183 08 00 a3 00 c1", K::Truncated, 7),

    // Trailing bytes after the outer array.
    case("byte after empty batch", "80 00", K::TrailingBytes, 1),
    case("second array after batch", "80 80", K::TrailingBytes, 1),
    case("break after definite batch", "80 ff", K::TrailingBytes, 1),
    case("byte after indefinite batch", "9f ff 00", K::TrailingBytes, 2),
    case("byte after the seed", concat!("81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8", "f6"), K::TrailingBytes, 27),

    // Wrong outer structure.
    case("map instead of array", "a1 00 80", K::NotABatch, 0),
    case("integer instead of array", "01", K::NotABatch, 0),
    case("text instead of array", "63 616263", K::NotABatch, 0),
    case("tagged batch", "d818 80", K::NotABatch, 0),
    case("bare packet", "84 00 1841 0d a100 d82550e3ee10714d884ba18e5d0f1e4ce25ee8", K::NotAPacket, 1),
    case("packet is a map", "81 a1 00 00", K::NotAPacket, 1),
    case("packet is null", "81 f6", K::NotAPacket, 1),
    case("empty packet", "81 80", K::InvalidHeader, 2),
    case("too many elements in request", "8185 00 1841 08 a0 00", K::PacketLength, 7),
    case("too many elements in success", "8184 01 1841 00 00", K::PacketLength, 6),
    case("too many elements in event", concat!("8184 08 00 a3 00 c11a6553f100 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", " 00"), K::PacketLength, 34),

    // Header fields of the wrong type (spec 3.1: -32700).
    case("packet type is text", "81 83 6130 01 08", K::InvalidHeader, 2),
    case("packet type is negative", "81 83 20 01 08", K::InvalidHeader, 2),
    case("message id is text", "81 83 00 6131 08", K::InvalidHeader, 3),
    case("message id is a float", "81 83 00 f93c00 08", K::InvalidHeader, 3),
    case("message id is null", "81 83 00 f6 08", K::InvalidHeader, 3),
    case("opcode is negative", "81 83 00 01 20", K::InvalidHeader, 4),
    case("opcode is text", "81 83 00 01 6130", K::InvalidHeader, 4),
    case("event type is text", "81 83 08 6130 a0", K::InvalidHeader, 3),
    case("event type missing", "81 81 08", K::InvalidHeader, 3),

    // Message ids: any i64 decodes (negative included, see `negative_and_extreme_ids_decode`);
    // only ids outside i64 are errors.
    case("id = i64::MAX + 1", "81 83 00 1b8000000000000000 08", K::InvalidHeader, 3),
    case("id = u64::MAX", "81 82 01 1bffffffffffffffff", K::InvalidHeader, 3),
    case("id = i64::MIN - 1", "81 83 00 3b8000000000000000 08", K::InvalidHeader, 3),
    case("error packet id overflows", "81 83 02 3bffffffffffffffff a10000", K::InvalidHeader, 3),

    // Unknown packet types, event types and opcodes.
    case("packet type 3", "81 82 03 01", K::UnknownPacketType(3), 1),
    case("packet type 9", "81 83 09 00 a0", K::UnknownPacketType(9), 1),
    case("packet type u64::MAX", "81 82 1bffffffffffffffff 01", K::UnknownPacketType(u64::MAX), 1),
    case("event type 1", "81 83 08 01 a0", K::UnknownEventType(1), 3),
    case("opcode 15 (PHP client's server info)", "81 84 00 01 0f a0", K::UnknownOpcode(15), 4),
    case("opcode 255", "81 83 00 01 18ff", K::UnknownOpcode(255), 4),
    // The error keeps an unknown opcode in 24 bits (it is 16 bytes in all).
    case("opcode u64::MAX", "81 83 00 01 1bffffffffffffffff", K::UnknownOpcode(16_777_215), 4),

    // Parameters of the wrong type, missing, or absent (-32602).
    case("params are an array", "81 84 00 01 0e 80", K::WrongType(E::Map), 5),
    case("params are text", "81 84 00 01 03 6161", K::WrongType(E::Map), 5),
    case("hello min_version is text", "81 84 00 01 0e a2 00 6131 01 01", K::WrongType(E::UnsignedInteger), 7),
    case("hello max_version is negative", "81 84 00 01 0e a2 00 01 01 20", K::WrongType(E::UnsignedInteger), 9),
    case("hello max_version missing", "81 84 00 01 0e a1 00 01", K::MissingKey(1), 5),
    case("lookup without params", "81 83 00 01 03", K::MissingKey(0), 5),
    case("lookup key is bytes", "81 84 00 01 03 a1 00 4161", K::WrongType(E::Text), 7),
    case("browse depth is a float", "81 84 00 01 01 a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 01 f93c00", K::WrongType(E::UnsignedInteger), 27),
    case("browse categories not an array", "81 84 00 01 01 a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 01", K::WrongType(E::Array), 27),
    case("read attribute is text", "81 84 00 01 04 a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 01 81 6161", K::WrongType(E::AttributeId), 28),
    case("subscribe entries are a map", "81 84 00 01 06 a1 00 a0", K::WrongType(E::Array), 7),
    case("server_information ids of text", "81 84 00 01 00 a1 00 81 6130", K::WrongType(E::UnsignedInteger), 8),
    case("meta_data ids missing", "81 84 00 01 02 a1 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8", K::MissingKey(1), 5),
    case("write value missing", "81 84 00 01 05 a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 01 0b", K::MissingKey(2), 5),
    case("credentials untagged", "81 84 00 01 0c a1 00 a1 00 6161", K::WrongType(E::Credentials), 7),
    case("credentials tag 124", "81 84 00 01 0c a1 00 d87c a1 00 6161", K::WrongType(E::Credentials), 7),
    case("password missing", "81 84 00 01 0c a1 00 d87b a1 00 6175", K::MissingKey(1), 9),
    case("certificate is text", "81 84 00 01 0c a1 00 d87a a1 00 6161", K::WrongType(E::Bytes), 11),
    case("error packet without body", "81 82 02 01", K::Missing, 4),
    case("error body is an array", "81 83 02 01 80", K::WrongType(E::Map), 4),
    case("error code is text", "81 83 02 01 a1 00 6161", K::WrongType(E::Integer), 6),
    case("event without object", "81 82 08 00", K::Missing, 4),

    // Bad UUIDs: wrong length, wrong tag, untagged, bad text.
    case("uuid of 15 bytes", "81 84 00 01 0d a1 00 d8254f e3ee10714d884ba18e5d0f1e4ce25e", K::InvalidUuid, 7),
    case("uuid of 17 bytes", "81 84 00 01 0d a1 00 d82551 e3ee10714d884ba18e5d0f1e4ce25ee800", K::InvalidUuid, 7),
    case("uuid under tag 36", "81 84 00 01 0d a1 00 d82450 e3ee10714d884ba18e5d0f1e4ce25ee8", K::InvalidUuid, 7),
    case("uuid untagged", "81 84 00 01 0d a1 00 50 e3ee10714d884ba18e5d0f1e4ce25ee8", K::InvalidUuid, 7),
    case("uuid as an integer", "81 84 00 01 0d a1 00 01", K::InvalidUuid, 7),
    case("tag 37 over an integer", "81 84 00 01 0d a1 00 d825 01", K::InvalidUuid, 7),
    case("tag 37 over 31 hex digits", "81 84 00 01 0d a1 00 d825 781f 45334545313037313444383834424131384535443046314534434532354545", K::InvalidUuid, 7),
    case("tag 37 over 32 non-hex chars", "81 84 00 01 0d a1 00 d825 7820 5a33454531303731344438383442413138453544304631453443453235454538", K::InvalidUuid, 7),
    case("tag 37 over 36 chars, hyphens misplaced", "81 84 00 01 0d a1 00 d825 7824 653365653130373134642d38382d346261312d386535642d306631653463653235656538", K::InvalidUuid, 7),
    case("tag 37 over 32 ASCII-hex bytes", "81 84 00 01 0d a1 00 d825 5820 4533454531303731344438384241313845354430463145344345323545453838", K::InvalidUuid, 7),
    case("tag 37 over bytes in two chunks of 8 and 7", "81 84 00 01 0d a1 00 d825 5f 48e3ee10714d884ba1 478e5d0f1e4ce25e ff", K::InvalidUuid, 7),
    case("tag 37 over a break", "81 84 00 01 0d a1 00 d825 ff", K::InvalidCbor, 9),

    // Bad values inside tags 121/122 (event values; typed read items).
    case("event value untagged", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b 01", K::WrongType(E::AttrResult), 31),
    case("event value under tag 123", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d87b 01", K::WrongType(E::AttrResult), 31),
    case("122 over an integer", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d87a 01", K::WrongType(E::Map), 33),
    case("122 without code", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d87a a1 01 6161", K::MissingKey(0), 33),
    case("122 code is text", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d87a a1 00 6161", K::WrongType(E::Integer), 35),
    case("121 over a bad uuid", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879 d825 01", K::InvalidUuid, 33),
    case("121 over a NaN time point", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879 c1 f97e00", K::InvalidValue, 34),
    case("121 over a time point of text", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879 c1 6161", K::WrongType(E::TimePoint), 34),
    case("121 over a reserved byte", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879 fc", K::InvalidCbor, 33),
    case("121 with nothing after", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879", K::Truncated, 33),
    item("read result untagged", Opcode::Read, "81 83 01 01 a1 0b f5", K::WrongType(E::AttrResult), 6),
    item("read error without code", Opcode::Read, "81 83 01 01 a1 0b d87a a0", K::MissingKey(0), 8),
    item("read key is text", Opcode::Read, "81 83 01 01 a1 6161 d879 01", K::WrongType(E::AttributeId), 5),
    item("lookup item is not a uuid", Opcode::Lookup, "81 83 01 01 6161", K::InvalidUuid, 4),
    item("hello item missing", Opcode::ClientHello, "81 82 01 01", K::Missing, 4),
    item("get_stage item is text", Opcode::GetStage, "81 83 01 01 6161", K::WrongType(E::UnsignedInteger), 4),

    // Time points.
    case("event time under tag 2", "81 83 08 00 a3 00 c2 41 01 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::WrongType(E::TimePoint), 6),
    case("1001 with neither key 1 nor 4", "81 83 08 00 a3 00 d903e9 a1 02 00 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::MissingKey(4), 9),
    case("1001 decimal of 3 parts", "81 83 08 00 a3 00 d903e9 a1 04 c4 83 28 01 02 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::WrongType(E::ExponentMantissa), 12),
    case("1001 decimal of 1 part", "81 83 08 00 a3 00 d903e9 a1 04 c4 81 28 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::WrongType(E::ExponentMantissa), 12),
    case("1001 indefinite decimal of 3 parts", "81 83 08 00 a3 00 d903e9 a1 04 c4 9f 28 01 02 ff 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::WrongType(E::ExponentMantissa), 12),
    case("1001 key 4 without tag 4", "81 83 08 00 a3 00 d903e9 a1 04 82 28 01 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::WrongType(E::DecimalFraction), 11),

    // Duplicate map keys.
    case("duplicate key in params", "81 84 00 01 0e a3 00 01 01 01 01 01", K::DuplicateKey(1), 10),
    case("duplicate key in error object", "81 83 02 01 a2 00 20 00 20", K::DuplicateKey(0), 7),
    case("duplicate key in event", "81 83 08 00 a4 00 c101 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::DuplicateKey(0), 8),
    case("1001 with keys 1 and 4", "81 83 08 00 a3 00 d903e9 a2 01 01 04 c4 82 28 01 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a0", K::DuplicateKey(4), 12),
    case("duplicate key in credentials", "81 84 00 01 0c a1 00 d879 a2 00 6161 00 6162", K::DuplicateKey(0), 13),

    // Invalid UTF-8 in text.
    case("lookup key 0xff", "81 84 00 01 03 a1 00 62 41ff", K::InvalidUtf8, 7),
    case("overlong encoding", "81 84 00 01 03 a1 00 62 c080", K::InvalidUtf8, 7),
    case("encoded surrogate", "81 84 00 01 03 a1 00 63 eda080", K::InvalidUtf8, 7),
    case("cut multi-byte char", "81 84 00 01 03 a1 00 62 41e2", K::InvalidUtf8, 7),
    case("bad UTF-8 in error message", "81 83 02 01 a2 00 20 01 61 80", K::InvalidUtf8, 8),
    case("bad UTF-8 in a chunk", "81 84 00 01 03 a1 00 7f 61 ff ff", K::InvalidUtf8, 8),

    // Reserved additional-information values (28–30) and indefinite lengths where none is
    // allowed.
    case("reserved info in packet type", "81 83 1c 01 08", K::InvalidCbor, 2),
    case("reserved info in message id", "81 83 00 3d 08", K::InvalidCbor, 3),
    case("reserved info as outer head", "9e", K::InvalidCbor, 0),
    case("reserved info in params", "81 84 00 01 0e be", K::InvalidCbor, 5),
    case("reserved info in a string head", "81 84 00 01 03 a1 00 7c", K::InvalidCbor, 7),
    case("reserved simple 0xfd", "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 fd", K::InvalidCbor, 29),
    case("reserved tag head 0xdc", "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 dc", K::InvalidCbor, 29),
    case("indefinite integer", "81 83 00 1f 08", K::InvalidCbor, 3),
    case("indefinite tag", "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 df 01", K::InvalidCbor, 29),
    case("two-byte simple below 32", "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 f8 10", K::InvalidCbor, 29),
    case("chunk of another type", "81 84 00 01 03 a1 00 7f 41 41 ff", K::InvalidCbor, 8),
    case("nested indefinite chunk", "81 84 00 01 03 a1 00 7f 7f ff ff", K::InvalidCbor, 8),

    // Break codes in the wrong place.
    case("break as the message", "ff", K::InvalidCbor, 0),
    case("break as a packet", "81 ff", K::InvalidCbor, 1),
    case("break in a definite packet", "81 83 00 01 ff", K::InvalidCbor, 4),
    case("break as a map key's value", "81 84 00 01 0e bf 00 ff", K::InvalidCbor, 7),
    case("break as params", "81 84 00 01 0e ff", K::InvalidCbor, 5),
    case("break in a definite params map", "81 84 00 01 0e a1 ff", K::InvalidCbor, 6),
    case("break as an event value", "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b ff", K::InvalidCbor, 31),
    case("break in a definite array value", "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 82 01 ff", K::InvalidCbor, 31),
];

/// The first error a message gives, lazily read parts included; success items typed with
/// `op` when given.
fn first_error(bytes: &[u8], op: Option<Opcode>) -> Option<DecodeError> {
    all_errors_typed(bytes, op).into_iter().next()
}

/// The spec code each kind must answer with (section 8, and 3.1 for header fields).
fn spec_code(kind: K) -> ErrorCode {
    match kind {
        K::Truncated
        | K::InvalidCbor
        | K::InvalidUtf8
        | K::TooDeep
        | K::TrailingBytes
        | K::InvalidHeader => ErrorCode::ParseError,
        K::NotABatch
        | K::NotAPacket
        | K::UnknownPacketType(_)
        | K::UnknownEventType(_)
        | K::PacketLength => ErrorCode::InvalidRequest,
        K::UnknownOpcode(_) => ErrorCode::CommandNotFound,
        _ => ErrorCode::InvalidParameter,
    }
}

#[test]
fn malformed_table() {
    assert!(CASES.len() >= 80, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for c in CASES {
        let bytes = hex(c.hex);
        let got = first_error(&bytes, c.typed);
        let ok = got.is_some_and(|e| {
            e.kind() == c.kind && e.offset() == c.offset && e.code() == spec_code(c.kind)
        });
        if !ok {
            failures.push(format!(
                "{}: expected {:?} at {}, got {:?}",
                c.name, c.kind, c.offset, got
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Every malformed input also passes the fuzz targets' invariants.
#[test]
fn malformed_table_passes_the_fuzz_checks() {
    let step = if cfg!(miri) { 10 } else { 1 };
    for c in CASES.iter().step_by(step) {
        checks::check_message(&hex(c.hex));
    }
}

/// Valid packets of every type and with every kind of field, cut at every byte: a
/// `Truncated` error (-32700) at or before the cut, never a panic or another kind.
#[test]
fn truncated_at_every_byte() {
    let packets = [
        SEED,
        // write with an f64, a sub-session and a text value in one batch
        "82 84 00 05 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 fb3fb999999999999a \
         84 00 06 05 a4 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 626869 03 d82550e3ee10714d884ba18e5d0f1e4ce25ee8",
        // event with a 1001 time point and an error value
        "81 83 08 00 a3 00 d903e9 a1 04 c4 82 28 1b17a6d5e3b7a4e38f 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 \
         02 a1 0b d87a a2 00 397d6b 01 6a72656164206572726f72",
        // indefinite everything
        "9f 9f 00 01 0e bf 00 01 01 01 ff ff ff",
        // error packet
        "81830205a200397d66016972656164206f6e6c79",
    ];
    for p in packets {
        let bytes = hex(p);
        assert!(first_error(&bytes, None).is_none(), "{p} must be valid");
        for cut in 0..bytes.len() {
            let e = first_error(&bytes[..cut], None).unwrap();
            assert_eq!(e.kind(), K::Truncated, "{p} cut at {cut}: {e}");
            assert_eq!(e.code(), ErrorCode::ParseError);
            assert!(e.offset() <= cut, "{p} cut at {cut}: {e}");
        }
    }
}

/// The spec: any integer id in i64 range is accepted and echoed, negatives included.
#[test]
fn negative_and_extreme_ids_decode() {
    for (hex_id, id) in [
        ("20", -1),
        ("3903e7", -1000),
        ("3b7fffffffffffffff", i64::MIN),
        ("1b7fffffffffffffff", i64::MAX),
        ("00", 0),
    ] {
        for packet in [
            format!("81 83 00 {hex_id} 08"),
            format!("81 82 01 {hex_id}"),
            format!("81 83 02 {hex_id} a1 00 20"),
        ] {
            let bytes = hex(&packet);
            let decoded: Vec<_> = Batch::new(&bytes).unwrap().into_iter().collect();
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0].as_ref().unwrap().id(), Some(id), "{packet}");
        }
    }
}

/// A decoded value under tag 121 that is not one the crate has a type for is kept whole.
#[test]
fn unknown_values_are_kept_not_rejected() {
    let bytes = hex("81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 82 01 f7");
    let packet = Batch::new(&bytes)
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let Packet::Request(r) = packet else { panic!() };
    let Command::Write(Write { value, .. }) = r.command else {
        panic!()
    };
    assert_eq!(
        value,
        xentara_ws::Value::Other(Raw::new(&[0x82, 0x01, 0xf7]).unwrap())
    );
}

/// Regression (found by the `malformed` table): a packet whose error is not fatal is
/// stepped over with a skip, which once refused a string of several chunks without ending
/// the stream, so the batch went on from inside the packet. Chunked strings are accepted
/// everywhere now; the batch steps over an invalid packet whole.
#[test]
fn regression_chunked_string_does_not_desync_the_batch() {
    // [[0, 1, 3, {0: (_ "a", "b"), 5: []}], [0, 2, 8]]: lookup with an extra key, fine;
    // [[0, 1, 3, {0: (_ "a", 1)}], [0, 2, 8]]: a chunk of another type, malformed.
    let bytes = hex("82 84 00 01 03 a2 00 7f 6161 6162 ff 05 80  83 00 02 08");
    let results: Vec<_> = Batch::new(&bytes).unwrap().into_iter().collect();
    assert!(matches!(&results[..], [Ok(_), Ok(p)] if p.id() == Some(2)));
    // [[0, 1, 3, {0: 1, 1: (_ "a", "b")}], [0, 2, 8]]: the key's type is wrong, the unknown
    // key's chunked value is stepped over with the rest of the packet.
    let bytes = hex("82 84 00 01 03 a2 00 01 01 7f 6161 6162 ff  83 00 02 08");
    let results: Vec<_> = Batch::new(&bytes).unwrap().into_iter().collect();
    let first = results[0].as_ref().unwrap_err();
    assert_eq!(
        (first.kind(), first.offset(), first.id()),
        (K::WrongType(E::Text), 7, Some(1))
    );
    assert!(matches!(&results[1..], [Ok(p)] if p.id() == Some(2)));
}

/// Parts nobody reads are only checked to be well-formed (RFC 8949 §5.3.1): bad UTF-8 in an
/// unknown key's value, or inside a raw value, does not make the packet fail, as it did
/// before each byte was read once.
#[test]
fn unread_parts_are_only_checked_to_be_well_formed() {
    let bytes = hex("81 84 00 01 0e a3 00 01 01 01 05 61 ff");
    let packets: Vec<_> = Batch::new(&bytes).unwrap().into_iter().collect();
    assert!(
        matches!(&packets[..], [Ok(Packet::Request(_))]),
        "{packets:?}"
    );
}

/// Regression (found by the `malformed` table): errors about a decimal fraction's
/// `[exponent, mantissa]` pointed past the array's head (wrong length) or at the
/// enclosing 1001 map (missing or extra parts). They point at the array now.
#[test]
fn regression_decimal_fraction_errors_point_at_the_pair() {
    for (parts, name) in [
        ("83 28 01 02", "3 parts"),
        ("81 28", "1 part"),
        ("9f 28 01 02 ff", "indefinite, 3 parts"),
        ("80", "empty"),
    ] {
        // 1001({4: 4(parts)}) as a write value: the array starts at offset 35.
        let bytes = hex(&format!(
            "81 84 00 01 05 a3 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02 d903e9 a1 04 c4 {parts}"
        ));
        let e = first_error(&bytes, None).unwrap();
        assert_eq!(
            (e.kind(), e.offset()),
            (K::WrongType(E::ExponentMantissa), 35),
            "{name}"
        );
    }
}

/// Regression (found reviewing the diagnostic notation the fuzz targets print): a two-byte
/// simple value `f8 xx` was shown as `simple(xx & 31)`.
#[test]
fn regression_two_byte_simple_values_display_their_number() {
    for (bytes, text) in [
        (&[0xf8, 0x20][..], "simple(32)"),
        (&[0xf8, 0xff], "simple(255)"),
        (&[0xe5], "simple(5)"),
        (&[0x82, 0xf8, 0x64, 0xf7], "[simple(100), undefined]"),
    ] {
        assert_eq!(Raw::new(bytes).unwrap().to_string(), text);
    }
}
