//! Arbitrary bytes through the batch decoder and every packet, operation and standalone
//! type decoder: nothing panics, every error maps to a spec code and points inside the
//! input, the batch iterator ends (after a fatal error at once) and yields what
//! `Batch::remaining` said, every lazily read part (sequences, success items under every
//! opcode) reads to its end, and every accepted packet re-encodes stably
//! (`xentara_ws_support::checks`).
#![no_main]

use xentara_ws_support::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_message(data));
