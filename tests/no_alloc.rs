//! Proves the codec never touches the heap: a counting global allocator watches decode and
//! encode of every packet type (every spec and peer vector, typed items included).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use xentara_ws::wire::Raw;
use xentara_ws::{Batch, Opcode, Packet, encode_batch};

struct Counting;

thread_local! {
    /// Allocations made by this thread while armed (other test threads don't count).
    static COUNT: Cell<Option<usize>> = const { Cell::new(None) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get().map(|n| n + 1)));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns how many heap allocations it made.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(Some(0)));
    f();
    COUNT.with(|c| c.replace(None)).unwrap()
}

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
