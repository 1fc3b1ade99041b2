//! The codec as a firmware links it: decode a message of any packet type (every opcode's
//! parameters, success items typed for any opcode, events, errors), then encode the
//! packets again. Only `.text` is measured; the binary is never run.

#![no_std]
#![no_main]

use core::hint::black_box;

use xentara_ws::{Batch, Opcode, Packet, Success, encode_batch};

/// `[[0, 65, 13, {0: 37(h'E3EE10714D884BA18E5D0F1E4CE25EE8')}]]`: close_sub_session.
static MESSAGE: [u8; 27] = [
    0x81, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71, 0x4d,
    0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
];

/// The entry point the linker keeps; everything it reaches is what the codec costs.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // Opaque to the optimizer: every decoding and encoding path stays in.
    let message: &[u8] = black_box(&MESSAGE);
    let opcode = Opcode::from_u64(black_box(13)).unwrap_or(Opcode::GetStage);
    let mut packets: [Option<Packet<'_>>; 4] = [None, None, None, None];
    let mut n = 0;
    if let Ok(batch) = Batch::new(message) {
        for packet in batch {
            let packet = match packet {
                // A success item is typed by the opcode of the request it answers.
                Ok(Packet::Success(s)) => s
                    .response_to(opcode)
                    .map(|response| Packet::Success(Success { id: s.id, response })),
                other => other,
            };
            match packet {
                Ok(p) if n < packets.len() => {
                    packets[n] = Some(p);
                    n += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    black_box(e.code());
                }
            }
        }
    }
    // Encoding a decoded packet iterates its sequences, so that code is in as well.
    let mut out = [0u8; 256];
    let mut written = 0;
    for p in packets.iter().flatten() {
        written += encode_batch(core::slice::from_ref(p), &mut out).unwrap_or(0);
    }
    black_box((&out, written));
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[allow(clippy::empty_loop)]
    loop {}
}
