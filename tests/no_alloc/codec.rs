//! Proves the codec never touches the heap: a counting global allocator watches decode and
//! encode of every packet type (every spec and peer vector, typed items included).

use xentara_ws::{Batch, Command, Event, Opcode, Packet, Raw, Response, encode_batch};

use xentara_ws_support::counting_alloc::allocations;
use xentara_ws_support::vectors;

/// Reads every lazily read part of a response.
fn walk_response(response: &Response<'_>) {
    let _ = match response {
        Response::ServerInformation(s) => s.check(),
        Response::Browse(s) => s.check(),
        Response::Read(s) => s.check(),
        Response::MetaData(m) => m.attributes.map_or(Ok(()), |a| a.check()),
        _ => Ok(()),
    };
}

/// Reads every lazily read part of a packet, typing a success item under each opcode.
fn walk(packet: &Packet<'_>) {
    let _ = match packet {
        Packet::Request(r) => match &r.command {
            Command::ServerInformation(p) => p.ids.check(),
            Command::Browse(p) => p.categories.map_or(Ok(()), |c| c.check()),
            Command::MetaData(p) => p.ids.check(),
            Command::Read(p) => p.attributes.check(),
            Command::Subscribe(p) => {
                for entry in p.entries.iter().flatten() {
                    let _ = entry.attributes.check();
                }
                Ok(())
            }
            _ => Ok(()),
        },
        Packet::Success(s) => {
            for &op in Opcode::ALL {
                if let Ok(response) = s.response(op) {
                    walk_response(&response);
                }
            }
            Ok(())
        }
        Packet::Event(Event::DataChange(d)) => d.values.check(),
        Packet::Error(_) => Ok(()),
    };
}

/// Decodes a message, reads every lazily read part (success items under each opcode),
/// re-encodes every sequence and encodes the packets back; all on the stack.
fn exercise(message: &[u8]) -> usize {
    let mut packets: heapless::Vec<Packet<'_>, 8> = heapless::Vec::new();
    for packet in Batch::new(message).unwrap() {
        let packet = packet.unwrap();
        walk(&packet);
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
    let vectors: Vec<_> = vectors::spec_vectors()
        .into_iter()
        .chain(vectors::peer_vectors())
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
