//! Round trips, both ways:
//! - structured: the input drives `arbitrary` (the library's `arbitrary` feature) to build
//!   a batch of packets; `decode(encode(packets)) == packets`, byte-stable;
//! - unstructured: the same input as a message; whatever decodes, re-encoded, decodes to
//!   the same packets (`decode → encode → decode` is stable).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::Packet;

use xentara_ws_support::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(packets) = Vec::<Packet<'_>>::arbitrary_take_rest(Unstructured::new(data)) {
        checks::check_roundtrip(&packets);
    }
    checks::check_batch(data);
});
