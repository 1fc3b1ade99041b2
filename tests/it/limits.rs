//! Bounded resources: nesting is limited without recursion, huge declared lengths fail at
//! once, and decoding work grows linearly with the input (proved by counting decodes, not
//! by timing).

use xentara_ws::items::MetaDataItem;
use xentara_ws::params::ClientHello;
use xentara_ws::{
    Batch, Command, DecodeError, DecodeErrorKind as K, MAX_DEPTH, Opcode, Raw, Response, Seq,
    Value, decode,
};
use xentara_ws_support::vectors::hex;

/// Runs `f` on a thread with a 256 KiB stack: a decoder that recursed per nesting level
/// would overflow it long before 100 000 levels.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// Every decoder a message can reach, on `bytes`; returns each one's error.
fn decode_everything(bytes: &[u8]) -> Vec<DecodeError> {
    let mut errors = Vec::new();
    match Batch::new(bytes) {
        Ok(batch) => errors.extend(batch.iter().filter_map(Result::err)),
        Err(e) => errors.push(e),
    }
    errors.extend(Raw::new(bytes).err());
    errors.extend(decode::<Value>(bytes).err());
    for &op in Opcode::ALL {
        errors.extend(Command::decode_params(op, Some(bytes)).err());
        errors.extend(Response::decode_item(op, Some(bytes)).err());
    }
    errors
}

const DEEP: usize = if cfg!(miri) { 100 } else { 100_000 };

/// 100 000 nested arrays (maps, tags, indefinite arrays): `TooDeep` (-32700) within the
/// first `MAX_DEPTH + 2` levels, on a small stack.
#[test]
fn hundred_thousand_nested_items_fail_fast() {
    on_small_stack(|| {
        for (name, open) in [
            ("arrays", &[0x81][..]),
            ("indefinite arrays", &[0x9f]),
            ("maps", &[0xa1, 0x00]),
            ("tags", &[0xd8, 0x79]),
        ] {
            let mut bytes = vec![0x81, 0x84, 0x00, 0x01, 0x05]; // [[0, 1, write,
            bytes.extend_from_slice(&[0xa3, 0x00, 0xd8, 0x25, 0x50]); // {0: 37(h'
            bytes.extend_from_slice(&[0; 16]); // …'),
            bytes.extend_from_slice(&[0x01, 0x0b, 0x02]); // 1: 11, 2: <deep>
            let value_at = bytes.len();
            for _ in 0..DEEP {
                bytes.extend_from_slice(open);
            }
            bytes.push(0x00);
            let errors = decode_everything(&bytes);
            let batch_error = errors[0];
            assert_eq!(batch_error.kind(), K::TooDeep, "{name}: {batch_error}");
            assert_eq!(batch_error.code(), xentara_ws::ErrorCode::ParseError);
            assert!(
                batch_error.offset() <= value_at + (MAX_DEPTH + 2) * open.len(),
                "{name}: {batch_error}"
            );
            // The value alone, without the packet around it.
            let e = decode::<Value>(&bytes[value_at..]).unwrap_err();
            assert_eq!(e.kind(), K::TooDeep, "{name}");
            assert_eq!(e.offset(), MAX_DEPTH * open.len(), "{name}");
            assert!(errors.iter().all(|e| e.offset() <= bytes.len()));
        }
    });
}

/// The deepest value accepted has `MAX_DEPTH` levels; one more is `TooDeep`. The limit
/// counts from where a generic value starts, so a typed map may hold a generic value of
/// `MAX_DEPTH` levels under an unknown key even though a skip of the whole map would see
/// one level more (the fuzzers' first finding: the map below).
#[test]
fn nesting_limit_counts_from_each_generic_value() {
    let nested = |levels: usize| {
        let mut bytes = vec![0x81; levels];
        bytes.push(0x00);
        bytes
    };
    assert!(Raw::new(&nested(MAX_DEPTH)).is_ok());
    let e = Raw::new(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (K::TooDeep, MAX_DEPTH));

    // {0x3fcf…: 15(15(… 16 tags …(9))), 9: 9} as meta_data's item: key unknown, skipped.
    let mut map = hex("a2 1b3fcfcfcfcfcfcfcf");
    map.extend_from_slice(&[0xcf; MAX_DEPTH]);
    map.extend_from_slice(&[0x09, 0x09, 0x09]);
    let item = decode::<MetaDataItem>(&map).unwrap();
    assert_eq!(item.primary_key, None);
    let e = Raw::new(&map).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (K::TooDeep, 10 + MAX_DEPTH - 1));
}

/// Lengths of 2^64 - 1 anywhere: `Truncated` (-32700) at once — no allocation (the crate
/// has none), no loop over the declared count (it would never end).
#[test]
fn huge_declared_lengths_fail_fast() {
    on_small_stack(|| {
        let ff = "ffffffffffffffff";
        for (text, offset) in [
            (format!("9b {ff}"), 9),                                // the batch
            (format!("bb {ff}"), 0),                                // a map as the batch
            (format!("81 9b {ff}"), 10),                            // a packet
            (format!("81 84 00 01 00 a1 00 9b {ff}"), 16),          // server_information ids
            (format!("81 84 00 01 03 a1 00 7b {ff}"), 7),           // a text string
            (format!("81 84 00 01 05 a3 00 5b {ff}"), 7),           // a byte string as a UUID
            (format!("81 84 00 01 09 bb {ff}"), 14),                // resume's raw map
            (format!("81 83 01 01 9b {ff}"), 13),                   // a success item
            (format!("81 83 08 00 bb {ff}"), 13),                   // an event object
            (format!("81 84 00 01 0e a2 00 01 01 5f 5b {ff}"), 10), // a chunk
        ] {
            let bytes = hex(&text);
            let errors = decode_everything(&bytes);
            let e = errors[0];
            let expected = if text.starts_with("bb") {
                K::NotABatch
            } else {
                K::Truncated
            };
            assert_eq!((e.kind(), e.offset()), (expected, offset), "{text}: {e}");
            assert!(errors.iter().all(|e| e.offset() <= bytes.len()), "{text}");
        }
    });
}

/// `[[…], …]` of `outer` indefinite arrays of `inner` small integers.
fn nested_sequences(outer: usize, inner: usize) -> Vec<u8> {
    let mut bytes = vec![0x9f];
    for i in 0..outer {
        bytes.push(0x9f);
        bytes.extend((0..inner).map(|j| ((i + j) % 24) as u8));
        bytes.push(0xff);
    }
    bytes.push(0xff);
    bytes
}

/// How much larger the large input is (10x under miri, which is slow).
const SCALE: usize = if cfg!(miri) { 10 } else { 100 };

/// Nested sequences are read lazily, level by level: each element comes out once, in
/// order, with its value, however many sequences and elements there are.
#[test]
fn nested_sequences_read_every_element_once() {
    for (outer, inner) in [(10, 10), (10 * SCALE, 10), (10, 10 * SCALE)] {
        let bytes = nested_sequences(outer, inner);
        let seq = decode::<Seq<Seq<u64>>>(&bytes).unwrap();
        assert_eq!(seq.len(), outer);
        let mut seen = 0;
        for (i, inner_seq) in seq.iter().enumerate() {
            let inner_seq = inner_seq.unwrap();
            assert_eq!(inner_seq.len(), inner);
            for (j, n) in inner_seq.iter().enumerate() {
                assert_eq!(n, Ok(((i + j) % 24) as u64));
                seen += 1;
            }
        }
        assert_eq!(seen, outer * inner);
    }
}

/// An element that does not decode yields its error, with its offset and field, and the
/// iteration goes on with the next element (the sequence was checked to be well-formed).
#[test]
fn a_bad_element_does_not_hide_the_next() {
    // [1, "x", 3, [4], 5] as a sequence of integers.
    let bytes = hex("85 01 6178 03 8104 05");
    let seq = decode::<Seq<u64>>(&bytes).unwrap();
    let got: Vec<_> = seq
        .iter()
        .map(|r| r.map_err(|e| (e.kind(), e.offset())))
        .collect();
    assert_eq!(
        got,
        [
            Ok(1),
            Err((K::WrongType(xentara_ws::Expected::UnsignedInteger), 2)),
            Ok(3),
            Err((K::WrongType(xentara_ws::Expected::UnsignedInteger), 5)),
            Ok(5),
        ]
    );
    assert_eq!(
        seq.check().map_err(|e| e.offset()),
        Err(2),
        "check gives the first"
    );
}

/// A whole message: 100x the packets (each a subscribe with nested sequences, plus an
/// invalid packet that is stepped over) decodes to 100x the packets, elements and errors,
/// and every packet is visited once: the batch never goes back.
#[test]
fn batch_work_is_linear_in_the_packets() {
    // [0, id, subscribe, {0: [{0: uuid, 1: [11, 9, 7]}, {…}], 2: 100}] and [0, id, 99, {}]
    let subscribe = hex(
        "84 00 01 06 a2 00 82 a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 01 83 0b 09 07 \
         a2 00 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 01 83 0b 09 07 02 1864",
    );
    let invalid = hex("84 00 02 1863 a0");
    let count = |copies: usize| {
        let mut bytes = vec![0x9f];
        for _ in 0..copies {
            bytes.extend_from_slice(&subscribe);
            bytes.extend_from_slice(&invalid);
        }
        bytes.push(0xff);
        let mut positions = Vec::new();
        let (mut packets, mut attributes, mut errors) = (0, 0, 0);
        let batch = Batch::new(&bytes).unwrap();
        let mut batch = batch.iter();
        loop {
            positions.push(batch.position());
            match batch.next() {
                None => break,
                Some(Ok(xentara_ws::Packet::Request(r))) => {
                    packets += 1;
                    if let Command::Subscribe(s) = r.command {
                        attributes += s
                            .entries
                            .iter()
                            .map(|e| e.unwrap().attributes.len())
                            .sum::<usize>();
                    }
                }
                Some(Ok(_)) => unreachable!(),
                Some(Err(e)) => {
                    assert_eq!(e.kind(), K::UnknownOpcode(99));
                    errors += 1;
                }
            }
        }
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "the batch went back"
        );
        assert_eq!(positions.last(), Some(&(bytes.len() - 1)));
        (packets, attributes, errors)
    };
    let (p, a, e) = count(1);
    assert_eq!((p, a, e), (1, 6, 1));
    assert_eq!(count(SCALE), (SCALE * p, SCALE * a, SCALE * e));
}

/// A client_hello with 100 000 unknown keys still decodes: unknown keys are skipped one by
/// one, each once.
#[test]
fn many_unknown_keys_are_skipped() {
    let keys = if cfg!(miri) { 200 } else { 100_000 };
    let mut bytes = vec![0xbf, 0x00, 0x01, 0x01, 0x01];
    for _ in 0..keys {
        bytes.extend_from_slice(&[0x18, 0x63, 0x80]); // 99: []
    }
    bytes.push(0xff);
    let hello = decode::<ClientHello>(&bytes).unwrap();
    assert_eq!(hello, ClientHello::default());
}
