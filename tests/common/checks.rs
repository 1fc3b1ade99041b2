//! The codec's invariants as functions that panic when one breaks. The fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, which include this file by path) and the integration tests
//! run the same checks.
#![allow(dead_code)]

use xentara_ws::op::items::MetaDataItem;
use xentara_ws::op::params::{ClientHello, CreateSubSession, Subscribe, Write};
use xentara_ws::wire::time::TimePoint;
use xentara_ws::wire::{Cbor, Raw, Reader, encoded_len};
use xentara_ws::{
    AttrResult, Batch, BatchWriter, Command, DecodeError, DecodeErrorKind, EncodeError, ErrorCode,
    ErrorObject, Opcode, Packet, Response, Success, Uuid, Value, encode_batch,
};

/// The four codes a decode error may answer with.
const DECODE_CODES: [ErrorCode; 4] = [
    ErrorCode::ParseError,
    ErrorCode::InvalidRequest,
    ErrorCode::CommandNotFound,
    ErrorCode::InvalidParameter,
];

/// A decode error of input `len` bytes long: a spec code, an offset inside the input.
pub fn check_error(e: &DecodeError, len: usize) {
    assert!(
        DECODE_CODES.contains(&e.code()),
        "{e:?} has code {}",
        e.code()
    );
    assert!(e.offset <= len, "{e:?} points past the {len}-byte input");
    let _ = e.to_string();
}

/// Decodes `data` every way the crate can: as a message (batch), as every opcode's
/// parameters and response item, and as each wire type. Nothing may panic, every error maps
/// to a spec code, and every packet accepted re-encodes stably.
pub fn check_message(data: &[u8]) {
    check_batch(data);
    let raw = Raw::new(data);
    match raw {
        Ok(raw) => {
            assert_eq!(raw.as_bytes(), data);
            let _ = raw.to_string();
        }
        Err(e) => check_error(&e, data.len()),
    }
    for &op in Opcode::ALL {
        let mut r = Reader::new(data);
        if let Err(e) = Command::decode(op, Some(&mut r), 0) {
            check_error(&e, data.len());
        }
        if let Err(e) = Command::decode(op, None, data.len()) {
            check_error(&e, data.len());
        }
        if let Err(e) = Response::decode(op, raw.ok(), 0) {
            check_error(&e, data.len());
        }
    }
    check_type::<Value>(data);
    check_type::<TimePoint>(data);
    check_type::<Uuid>(data);
    check_type::<AttrResult>(data);
    check_type::<ErrorObject>(data);
    check_type::<Write>(data);
    check_type::<Subscribe>(data);
    check_type::<CreateSubSession>(data);
    check_type::<MetaDataItem>(data);
    check_type::<ClientHello>(data);
}

/// Decodes one `T` from the front of `data`; a success consumed a whole item.
fn check_type<'b, T: Cbor<'b>>(data: &'b [u8]) {
    let mut r = Reader::new(data);
    match T::decode(&mut r) {
        Ok(_) => {
            let end = r.position();
            assert!(end <= data.len());
            // `MAX_DEPTH` bounds generic values from where each starts, so a typed value
            // may hold more levels in all than one skip from its start allows.
            let mut skip = Reader::new(data);
            match skip.skip() {
                Ok(()) => assert_eq!(skip.position(), end, "decode and skip disagree"),
                Err(e) => assert_eq!(e.kind, DecodeErrorKind::TooDeep, "{e:?}"),
            }
        }
        Err(e) => check_error(&e, data.len()),
    }
}

/// The batch iterator: ends, stops after a fatal error, agrees with `validate`, and every
/// packet it yields re-encodes stably.
pub fn check_batch(data: &[u8]) {
    let batch = match Batch::new(data) {
        Ok(batch) => batch,
        Err(e) => {
            check_error(&e, data.len());
            assert!(e.is_fatal() || e.offset == 0, "{e:?}");
            assert_eq!(xentara_ws::batch::validate(data), Err(e));
            return;
        }
    };
    let mut first_error = None;
    let mut count = 0;
    for (i, item) in batch.enumerate() {
        assert!(i <= data.len(), "the batch iterator does not end");
        match item {
            Ok(packet) => {
                count += 1;
                check_reencode(&packet);
            }
            Err(e) => {
                check_error(&e, data.len());
                first_error.get_or_insert(e);
            }
        }
    }
    let expected = match first_error {
        Some(e) => Err(e),
        None => Ok(count),
    };
    assert_eq!(xentara_ws::batch::validate(data), expected);
}

/// Encodes `packets` as one message with both writers; they must agree, and a buffer one
/// byte short must report the exact size.
pub fn encode(packets: &[Packet<'_>]) -> Vec<u8> {
    let n = encoded_len(packets);
    let mut buf = vec![0u8; n];
    assert_eq!(encode_batch(packets, &mut buf), Ok(n));
    if n > 0 {
        let mut short = vec![0u8; n - 1];
        assert_eq!(
            encode_batch(packets, &mut short),
            Err(EncodeError::BufferTooSmall { required: n })
        );
    }
    let mut out = vec![0u8; n];
    let mut w = BatchWriter::new(&mut out);
    for p in packets {
        w.push(p).expect("BatchWriter refused a packet that fits");
    }
    assert_eq!(w.finish().expect("BatchWriter::finish"), &buf[..]);
    buf
}

/// Decodes a whole message that must be valid; success items are typed with `opcodes[i]`.
pub fn decode<'b>(bytes: &'b [u8], opcodes: &[Option<Opcode>]) -> Vec<Packet<'b>> {
    let packets: Vec<_> = Batch::new(bytes)
        .and_then(|b| b.collect::<Result<Vec<_>, _>>())
        .unwrap_or_else(|e| panic!("our own encoding {bytes:02x?} does not decode: {e}"));
    assert_eq!(packets.len(), opcodes.len());
    packets
        .into_iter()
        .zip(opcodes)
        .map(|(p, op)| match (p, op) {
            (Packet::Success(s), Some(op)) => Packet::Success(Success {
                id: s.id,
                response: s
                    .response_to(*op)
                    .unwrap_or_else(|e| panic!("our own {op} item does not decode: {e}")),
            }),
            (p, _) => p,
        })
        .collect()
}

/// The opcode each success packet's item is typed by (`None`: untyped, or not a success).
fn opcodes(packets: &[Packet<'_>]) -> Vec<Option<Opcode>> {
    packets
        .iter()
        .map(|p| match p {
            Packet::Success(s) => s.response.opcode(),
            _ => None,
        })
        .collect()
}

/// Structured round trip: `decode(encode(packets)) == packets`, and encoding that again
/// gives the same bytes. Holds for every value the `arbitrary` feature generates.
pub fn check_roundtrip(packets: &[Packet<'_>]) {
    let bytes = encode(packets);
    let ops = opcodes(packets);
    let decoded = decode(&bytes, &ops);
    assert_eq!(decoded, packets, "decode(encode(x)) != x for {bytes:02x?}");
    assert_eq!(encode(&decoded), bytes, "re-encoding changed the bytes");
}

/// An accepted packet re-encodes to bytes that decode to the same packet (compared by
/// encoding, as NaN ≠ NaN), and its success item, typed by any opcode that accepts it, too.
fn check_reencode(packet: &Packet<'_>) {
    let once = encode(core::slice::from_ref(packet));
    let back = decode(&once, &[None]);
    assert_eq!(
        encode(&back),
        once,
        "decode → encode → decode is not stable"
    );
    if self_equal(packet) {
        assert_eq!(&back[0], packet);
    }
    if let Packet::Success(s) = packet {
        for &op in Opcode::ALL {
            let response = match s.response_to(op) {
                Ok(r) => r,
                Err(e) => {
                    let item = match s.response {
                        Response::Untyped(Some(raw)) => raw.as_bytes().len(),
                        _ => 0,
                    };
                    check_error(&e, item);
                    continue;
                }
            };
            let typed = Packet::Success(Success { id: s.id, response });
            let once = encode(core::slice::from_ref(&typed));
            let back = decode(&once, &[Some(op)]);
            assert_eq!(encode(&back), once, "typed {op} item is not stable");
            if self_equal(&typed) {
                assert_eq!(back[0], typed);
            }
        }
    }
}

/// False when `x` holds a NaN somewhere (NaN ≠ NaN), so `==` cannot compare it.
#[allow(clippy::eq_op)]
fn self_equal<T: PartialEq>(x: &T) -> bool {
    x == x
}
