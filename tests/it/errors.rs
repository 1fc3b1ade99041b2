//! Malformed input: every error is typed, names where, and maps to the spec code a server
//! answers with. (The fuller table lives in `malformed.rs`.)

use xentara_ws::{Batch, DecodeError, DecodeErrorKind as K, ErrorCode, Expected, Packet, Text};
use xentara_ws_support::vectors::*;

/// All results of decoding a message.
fn decode(bytes: &[u8]) -> Vec<Result<Packet<'_>, DecodeError>> {
    match Batch::new(bytes) {
        Ok(batch) => batch.into_iter().collect(),
        Err(e) => vec![Err(e)],
    }
}

/// The first error decoding `hex` gives, its lazily read parts (sequences) included.
fn first_error(hex_text: &str) -> DecodeError {
    let bytes = hex(hex_text);
    let found = all_errors(&bytes).into_iter().next();
    found.unwrap_or_else(|| panic!("{hex_text} decoded without error"))
}

#[test]
fn every_truncation_of_every_vector_is_a_parse_error() {
    let vectors: Vec<_> = spec_vectors().into_iter().chain(peer_vectors()).collect();
    let mut cuts = 0;
    for v in &vectors {
        for cut in 0..v.bytes.len() {
            let results = decode(&v.bytes[..cut]);
            let last = results.last().unwrap();
            let e = last.as_ref().expect_err("a cut message must fail");
            assert_eq!(e.kind(), K::Truncated, "{} cut at {cut}: {e}", v.name);
            assert_eq!(e.code(), ErrorCode::ParseError);
            assert!(
                e.offset() <= cut,
                "{} cut at {cut}: offset {}",
                v.name,
                e.offset()
            );
            assert!(results[..results.len() - 1].iter().all(Result::is_ok));
            cuts += 1;
        }
    }
    assert!(cuts > 1500);
}

#[test]
fn trailing_bytes_after_every_vector_are_a_parse_error() {
    for v in spec_vectors().into_iter().chain(peer_vectors()) {
        for tail in [&[0x00][..], &[0x80], &[0xff], &[0x81, 0x80]] {
            let mut bytes = v.bytes.clone();
            bytes.extend_from_slice(tail);
            let results = decode(&bytes);
            let e = results.last().unwrap().as_ref().unwrap_err();
            assert_eq!(
                (e.kind(), e.offset()),
                (K::TrailingBytes, v.bytes.len()),
                "{}",
                v.name
            );
            assert_eq!(e.code(), ErrorCode::ParseError);
        }
    }
}

/// `(hex, kind, offset, field, id)`: one malformed message each.
const CASES: &[(&str, K, usize, &str, Option<i64>)] = &[
    // Not a batch, not a packet, unknown packet type.
    ("a0", K::NotABatch, 0, "", None),
    ("00", K::NotABatch, 0, "", None),
    ("8100", K::NotAPacket, 1, "", None),
    ("8183031841 00", K::UnknownPacketType(3), 1, "", None),
    ("818109", K::UnknownPacketType(9), 1, "", None),
    // Header fields missing or of the wrong type (spec 3.1: -32700).
    ("8180", K::InvalidHeader, 2, "packet type", None),
    ("818100", K::InvalidHeader, 3, "message id", None),
    ("81820061 41", K::InvalidHeader, 3, "message id", None),
    ("8182001841", K::InvalidHeader, 5, "opcode", Some(65)),
    ("8183001841 f5", K::InvalidHeader, 5, "opcode", Some(65)),
    (
        "8183001b 8000000000000000 08",
        K::InvalidHeader,
        3,
        "message id",
        None,
    ),
    // Unknown opcode: -32601 with the request's id.
    ("8183001841 0f", K::UnknownOpcode(15), 5, "", Some(65)),
    ("8184001841 1863 a0", K::UnknownOpcode(99), 5, "", Some(65)),
    // Too many elements.
    (
        "8185001841 0da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8 00",
        K::PacketLength,
        27,
        "",
        Some(65),
    ),
    // Parameters: missing, wrong type, duplicate (-32602).
    (
        "8184001841 0d a0",
        K::MissingKey(0),
        6,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8183001841 0d",
        K::MissingKey(0),
        6,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 0d 80",
        K::WrongType(Expected::Map),
        6,
        "close_sub_session",
        Some(65),
    ),
    (
        "8184001841 0e a2 0001 01f5",
        K::WrongType(Expected::UnsignedInteger),
        10,
        "client_hello.max_version",
        Some(65),
    ),
    (
        "8184001841 0e a3 0001 0101 0002",
        K::DuplicateKey(0),
        11,
        "client_hello.min_version",
        Some(65),
    ),
    (
        "8184001841 03 a1 00 01",
        K::WrongType(Expected::Text),
        8,
        "lookup.primary_key",
        Some(65),
    ),
    // Bad UUIDs: wrong length, wrong tag, untagged, text that is not hex.
    (
        "8184001841 0d a100 d8254f e3ee10714d884ba18e5d0f1e4ce25e",
        K::InvalidUuid,
        8,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 0d a100 d82650 e3ee10714d884ba18e5d0f1e4ce25ee8",
        K::InvalidUuid,
        8,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 0d a100 50 e3ee10714d884ba18e5d0f1e4ce25ee8",
        K::InvalidUuid,
        8,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 0d a100 d825 6461626364",
        K::InvalidUuid,
        8,
        "close_sub_session.session_id",
        Some(65),
    ),
    // Malformed CBOR inside a packet ends the batch (-32700).
    (
        "8184001841 0d a100 d825 5f",
        K::Truncated,
        11,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 0d a1 00 1c",
        K::InvalidCbor,
        8,
        "close_sub_session.session_id",
        Some(65),
    ),
    (
        "8184001841 03 a1 00 62 ff fe",
        K::InvalidUtf8,
        8,
        "lookup.primary_key",
        Some(65),
    ),
];

#[test]
fn malformed_messages_give_exact_errors() {
    for &(hex_text, kind, offset, field, id) in CASES {
        let e = first_error(hex_text);
        assert_eq!(
            (e.kind(), e.offset(), e.field(), e.id()),
            (kind, offset, field, id),
            "{hex_text}: {e}"
        );
        let expected_code = match kind {
            K::NotABatch | K::NotAPacket | K::UnknownPacketType(_) | K::PacketLength => {
                ErrorCode::InvalidRequest
            }
            K::UnknownOpcode(_) => ErrorCode::CommandNotFound,
            K::InvalidHeader | K::Truncated | K::InvalidCbor | K::InvalidUtf8 => {
                ErrorCode::ParseError
            }
            _ => ErrorCode::InvalidParameter,
        };
        assert_eq!(e.code(), expected_code, "{hex_text}");
    }
}

/// An invalid packet does not hide the valid ones around it: a server can answer each.
#[test]
fn batch_continues_after_an_invalid_packet() {
    // [[0, 1, 8], [0, 2, 99], [0, 3, 13, {}], [7], [0, 4, 8]]
    let bytes = hex("85 830001 08 830002 1863 840003 0d a0 8107 830004 08");
    let results = decode(&bytes);
    let summary: Vec<_> = results
        .iter()
        .map(|r| match r {
            Ok(p) => Ok(p.id()),
            Err(e) => Err((e.kind(), e.id())),
        })
        .collect();
    assert_eq!(
        summary,
        [
            Ok(Some(1)),
            Err((K::UnknownOpcode(99), Some(2))),
            Err((K::MissingKey(0), Some(3))),
            Err((K::UnknownPacketType(7), None)),
            Ok(Some(4)),
        ]
    );
}

/// A bare packet without the outer array is read as a batch of its fields, each rejected,
/// as the real device does (spec notes D17).
#[test]
fn bare_packet_is_a_batch_of_non_packets() {
    let bytes = hex("84001841 0da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8");
    let kinds: Vec<_> = decode(&bytes)
        .into_iter()
        .map(|r| r.unwrap_err().kind())
        .collect();
    assert_eq!(kinds, [K::NotAPacket; 4]);
}

/// Leniency: non-minimal integers, indefinite lengths, keys in any order, unknown keys,
/// and a negative message id all decode to the same request.
#[test]
fn lenient_forms_decode_to_the_canonical_request() {
    let canonical = hex("81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8");
    let expected: Vec<_> = decode(&canonical).into_iter().map(Result::unwrap).collect();
    for lenient in [
        "9f 9f 00 1a00000041 190 00d bf 1b0000000000000000 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 ff ff ff",
        "81 84 00 1841 0d a2 05 6378797a 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8",
        "81 84 00 1841 0d a2 6161 f6 00 d8255f50e3ee10714d884ba18e5d0f1e4ce25ee8ff",
    ] {
        let bytes = hex(&lenient.replace("190 00d", "19000d"));
        let got: Vec<_> = decode(&bytes).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(got, expected, "{lenient}");
    }
    let negative = hex("818400200da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8");
    assert_eq!(decode(&negative)[0].as_ref().unwrap().id(), Some(-1));
}

/// Strings in several chunks (RFC 8949 §3.2.3) are accepted everywhere: kept in raw values
/// (an unknown key's value, a custom attribute value) and read as text wherever text goes.
#[test]
fn chunked_strings_are_accepted_everywhere() {
    // write {0: uuid, 1: 11, 2: [(_ "a", "b")], 9: (_ h'01', h'02')}
    let bytes = hex(
        "8184000105a4 00d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02817f61616162ff 095f41014102ff",
    );
    let packet = decode(&bytes).remove(0).unwrap();
    let Packet::Request(request) = packet else {
        panic!()
    };
    let xentara_ws::Command::Write(write) = request.command else {
        panic!()
    };
    assert_eq!(
        xentara_ws::Raw::new(&hex("817f61616162ff")).unwrap(),
        match write.value {
            xentara_ws::Value::Other(raw) => raw,
            other => panic!("{other:?}"),
        }
    );
    // lookup {0: (_ "a", "b")}: the primary key in two chunks.
    let bytes = hex("8184000103a1007f61616162ff");
    let Ok(Packet::Request(request)) = decode(&bytes).remove(0) else {
        panic!()
    };
    let xentara_ws::Command::Lookup(lookup) = request.command else {
        panic!()
    };
    assert_eq!(lookup.primary_key, "ab");
    assert_eq!(lookup.primary_key.as_str(), None);
    assert_eq!(lookup.primary_key.chunks().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(lookup.primary_key.to_string(), "ab");
    assert_eq!(format!("{:?}", lookup.primary_key), r#""ab""#);
    assert_eq!(lookup.primary_key, Text::new("ab"));
    // Invalid UTF-8 in a chunk of text that is read as text is an error …
    let e = first_error("8184000103a1007f6161 61ff ff");
    assert_eq!(
        (e.kind(), e.offset(), e.field()),
        (K::InvalidUtf8, 10, "lookup.primary_key")
    );
    // … while a raw value is only checked to be well-formed (RFC 8949: valid UTF-8 is
    // validity, not well-formedness), and kept as it came.
    let bytes =
        hex("8184000105a3 00d82550e3ee10714d884ba18e5d0f1e4ce25ee8 010b 02817f6161 61ff ff");
    let Ok(Packet::Request(request)) = decode(&bytes).remove(0) else {
        panic!()
    };
    let xentara_ws::Command::Write(write) = request.command else {
        panic!()
    };
    assert!(
        matches!(write.value, xentara_ws::Value::Other(raw) if raw.as_bytes() == hex("817f616161ffff"))
    );
}

/// Two messages the vendor's client accepts: a lookup reply whose UUID
/// comes in two chunks, and an error whose message does.
#[test]
fn chunked_uuid_and_chunked_error_message() {
    let bytes = hex("81 83 01 02 d825 5f 48e3ee10714d884ba1 488e5d0f1e4ce25ee8 ff");
    let Ok(Packet::Success(success)) = decode(&bytes).remove(0) else {
        panic!()
    };
    assert_eq!(
        success.response(xentara_ws::Opcode::Lookup),
        Ok(xentara_ws::Response::Lookup(E3EE))
    );
    let bytes = hex("81 83 02 02 a2 00 397d81 01 7f 6472656164 65206f6e6c79 ff");
    let Ok(Packet::Error(error)) = decode(&bytes).remove(0) else {
        panic!()
    };
    assert_eq!(error.error.code, ErrorCode::Other(-32130));
    assert_eq!(error.error.message.unwrap(), "read only");
    assert_eq!(error.error.message.unwrap().to_string(), "read only");
    // As the issue writes it: the map of indefinite length too, `{_ 0: …, 1: (_ …)}`.
    let bytes = hex("81 83 02 02 bf 00 397d81 01 7f 6472656164 65206f6e6c79 ff ff");
    let Ok(Packet::Error(error)) = decode(&bytes).remove(0) else {
        panic!()
    };
    assert_eq!(error.error.code, ErrorCode::Other(-32130));
    assert_eq!(error.error.message.unwrap(), "read only");
}

/// The firmware's malformed cases (`vectors/malformed_firmware.json`, checked on the
/// Cortex-M4 by `tests/firmware`) say what the host decoder says, field by field.
#[test]
fn firmware_malformed_cases_match_the_host() {
    let path = format!(
        "{}/tests/vectors/malformed_firmware.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = json.as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let e = first_error(case["hex"].as_str().unwrap());
        assert_eq!(
            (
                format!("{:?}", e.kind()),
                e.code().code(),
                e.offset() as u64,
                e.field(),
                e.id()
            ),
            (
                case["kind"].as_str().unwrap().to_owned(),
                case["code"].as_i64().unwrap(),
                case["offset"].as_u64().unwrap(),
                case["field"].as_str().unwrap(),
                case["id"].as_i64()
            ),
            "{name}"
        );
    }
}
