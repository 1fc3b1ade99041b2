//! The codec alone, as a firmware uses it: decode any message (every packet type, every
//! opcode's parameters, success items typed for any opcode, every sequence's elements — read
//! when the packets are re-encoded) and encode packets. No formatting is linked. Runs the seed request through and exits with success when it
//! re-encodes to the same bytes.

#![no_std]
#![no_main]

use core::hint::black_box;

#[path = "../exit.rs"]
mod exit;

use cortex_m_rt::entry;
use exit::exit;
use heapless::Vec;
use xentara_ws::{Batch, Opcode, Packet, Success, encode_batch};

/// `[[0, 65, 13, {0: 37(h'E3EE10714D884BA18E5D0F1E4CE25EE8')}]]`: close_sub_session.
static SEED: [u8; 27] = [
    0x81, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71, 0x4d,
    0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
];

#[entry]
fn main() -> ! {
    // Opaque to the optimizer: every decoding and encoding path stays in.
    let message: &[u8] = black_box(&SEED);
    let opcode = Opcode::from_u64(black_box(13)).unwrap_or(Opcode::GetStage);
    let mut packets: Vec<Packet<'_>, 8> = Vec::new();
    let mut errors = 0;
    match Batch::new(message) {
        Ok(batch) => {
            for packet in batch {
                let packet = match packet {
                    Ok(Packet::Success(s)) => s
                        .response(opcode)
                        .map(|response| Packet::Success(Success::new(s.id, response))),
                    other => other,
                };
                match packet {
                    Ok(p) => errors += usize::from(packets.push(p).is_err()),
                    Err(e) => {
                        black_box(e.code());
                        errors += 1;
                    }
                }
            }
        }
        Err(e) => {
            black_box(e.code());
            errors += 1;
        }
    }
    let mut out = [0u8; 256];
    let n = encode_batch(&packets, &mut out).unwrap_or(0);
    let ok = errors == 0 && black_box(&out[..n]) == &SEED[..];
    exit(ok)
}
