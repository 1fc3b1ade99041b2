//! Proves the codec never touches the heap: a counting global allocator watches decode and
//! encode of every packet type (every spec and peer vector, typed items included).

mod common;

mod counting_alloc;

use xentara_ws::wire::Raw;
use xentara_ws::{Batch, Opcode, Packet, encode_batch};

use counting_alloc::allocations;

/// Decodes a message, types every success item under each opcode, walks every sequence
/// (by re-encoding it) and encodes the packets back; all on the stack.
fn exercise(message: &[u8]) -> usize {
    let mut packets: heapless::Vec<Packet<'_>, 8> = heapless::Vec::new();
    for packet in Batch::new(message).unwrap() {
        let packet = packet.unwrap();
        if let Packet::Success(s) = &packet {
            for &op in Opcode::ALL {
                let _ = s.response_to(op);
            }
        }
        packets.push(packet).unwrap();
    }
    let mut buf = [0u8; 512];
    let n = encode_batch(&packets, &mut buf).unwrap();
    let _ = Raw::new(&buf[..n]).unwrap();
    // A buffer too small is an error, not an allocation.
    let mut tiny = [0u8; 2];
    if n > 2 {
        assert!(encode_batch(&packets, &mut tiny).is_err());
    }
    n
}

#[test]
fn decode_and_encode_of_every_vector_allocate_nothing() {
    let vectors: Vec<_> = common::spec_vectors()
        .into_iter()
        .chain(common::peer_vectors())
        .collect();
    let mut kinds = std::collections::BTreeSet::new();
    for v in &vectors {
        for p in Batch::new(&v.bytes).unwrap() {
            kinds.insert(p.unwrap().kind());
        }
    }
    assert_eq!(kinds.len(), 4, "vectors cover every packet type: {kinds:?}");

    let mut written = 0;
    let count = allocations(|| {
        for v in &vectors {
            written += exercise(&v.bytes);
        }
    });
    assert!(written > 1000, "the work really ran");
    assert_eq!(count, 0, "heap allocations during decode/encode");
}

#[test]
fn the_counter_counts() {
    let count = allocations(|| {
        let v = std::hint::black_box(vec![1u8, 2, 3]);
        drop(v);
    });
    assert_eq!(count, 1);
}
