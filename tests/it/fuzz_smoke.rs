//! The fuzz targets' checks (`common/checks.rs`), run deterministically: on every vector,
//! every truncation and mutation of it, and (feature `arbitrary`) on packets generated from
//! pseudo-random bytes. The fuzz campaigns (`fuzz/`) run the same checks on far more input.

use xentara_ws_support::checks::*;
use xentara_ws_support::vectors::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// How many random cases to run (far fewer under miri, which is slow).
const CASES: usize = if cfg!(miri) { 8 } else { 3000 };

fn all_vectors() -> Vec<Vector> {
    spec_vectors().into_iter().chain(peer_vectors()).collect()
}

#[test]
fn every_vector_and_every_truncation_passes_the_checks() {
    let vectors = all_vectors();
    // Under miri (slow), every 10th vector and every 13th cut.
    let (every, step) = if cfg!(miri) { (10, 13) } else { (1, 1) };
    for v in vectors.iter().step_by(every) {
        check_message(&v.bytes);
        for cut in (0..v.bytes.len()).step_by(step) {
            check_message(&v.bytes[..cut]);
        }
    }
}

#[test]
fn mutated_vectors_pass_the_checks() {
    let vectors = all_vectors();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..CASES {
        let mut bytes = vectors[rng.below(vectors.len())].bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => bytes[at] = rng.next() as u8,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, rng.next() as u8),
                _ => {
                    let n = rng.below(9);
                    bytes.splice(at..at, rng.bytes(n)).for_each(drop)
                }
            }
        }
        check_message(&bytes);
    }
}

#[test]
fn random_bytes_pass_the_checks() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..CASES {
        let n = rng.below(64);
        let mut bytes = rng.bytes(n);
        if let Some(first) = bytes.first_mut() {
            *first = 0x80 | (*first & 0x1f); // mostly an outer array
        }
        check_message(&bytes);
    }
}

#[cfg(feature = "arbitrary")]
#[test]
fn arbitrary_packets_round_trip() {
    use arbitrary::{Arbitrary, Unstructured};
    use xentara_ws::Packet;

    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut generated = 0;
    for _ in 0..CASES {
        let n = rng.below(512);
        let data = rng.bytes(n);
        let mut u = Unstructured::new(&data);
        let Ok(packets) = Vec::<Packet<'_>>::arbitrary(&mut u) else {
            continue;
        };
        generated += packets.len();
        check_roundtrip(&packets);
        // Generated values are canonical: their encoding re-decodes to themselves.
        check_message(&encode(&packets));
    }
    assert!(generated > CASES / 2, "only {generated} packets generated");
}
