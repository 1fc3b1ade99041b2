//! The codec and the client session, as a firmware client uses them: a batch of requests
//! (the hello first, a lookup and a subscribe, with a deadline), the server's reply message
//! read through `handle_message` (each response typed by its request, an event's values
//! iterated), and the timers (`poll_timeout`, `handle_timeout`, `close`). The session lives
//! in a static, so `.bss` shows its RAM. Exits with success when the requests are the
//! expected bytes and the reply gives the expected outcomes.

#![no_std]
#![no_main]

use core::hint::black_box;

#[path = "../exit.rs"]
mod exit;

use cortex_m_rt::entry;
use exit::*;
use xentara_ws::params::{Lookup, Subscribe, SubscriptionEntry};
use xentara_ws::session::{ClientSession, Outcome};
use xentara_ws::{AttrResult, Attribute, AttributeId, Batch, Response, Seq, Text, Uuid, Value};

/// The element of the spec's examples.
const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);

static ATTRIBUTES: [AttributeId; 1] = [AttributeId::Standard(Attribute::Value)];
static ENTRIES: [SubscriptionEntry<'static>; 1] = [SubscriptionEntry {
    element: E3EE,
    attributes: Seq::from_slice(&ATTRIBUTES),
}];

/// `[[0, 1, 14, {0: 1, 1: 1}], [0, 2, 3, {0: "Group 1"}], [0, 3, 6, {0: [{0: 37(h'E3EE…'),
/// 1: [11]}], 1: 100}]]`.
static REQUESTS: [u8; 58] = [
    0x83, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01, 0x84, 0x00, 0x02, 0x03, 0xa1, 0x00,
    0x67, 0x47, 0x72, 0x6f, 0x75, 0x70, 0x20, 0x31, 0x84, 0x00, 0x03, 0x06, 0xa2, 0x00, 0x81, 0xa2,
    0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e,
    0x4c, 0xe2, 0x5e, 0xe8, 0x01, 0x81, 0x0b, 0x01, 0x18, 0x64,
];

/// `[[1, 1, {0: 1}], [1, 2, 37(h'E3EE…')], [1, 3], [8, 0, {0: 1(1710292993), 1: 37(h'E3EE…'),
/// 2: {11: 121(42.5)}}]]`: the hello's answer, the lookup's, the subscribe's, an event.
static REPLY: [u8; 71] = [
    0x84, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x01, 0x02, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10,
    0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8, 0x82, 0x01, 0x03,
    0x83, 0x08, 0x00, 0xa3, 0x00, 0xc1, 0x1a, 0x65, 0xf1, 0x00, 0x01, 0x01, 0xd8, 0x25, 0x50, 0xe3,
    0xee, 0x10, 0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8, 0x02,
    0xa1, 0x0b, 0xd8, 0x79, 0xf9, 0x51, 0x50,
];

#[entry]
fn main() -> ! {
    let Some(client) = cortex_m::singleton!(: ClientSession = ClientSession::default()) else {
        fail()
    };
    let mut out = [0u8; 128];
    let sent_ok = {
        let mut batch = client.start_batch(&mut out);
        batch.set_deadline(Some(black_box(5_000)));
        let lookup = batch.request(Lookup {
            primary_key: Text::new(black_box("Group 1")),
        });
        let subscribe = batch.request(Subscribe {
            entries: Seq::from_slice(black_box(&ENTRIES)),
            maximum_update_rate: Some(black_box(100)),
            minimum_update_rate: None,
            desired_subscription_id: None,
        });
        let sent = batch.finish();
        matches!((lookup, subscribe), (Ok(2), Ok(3)))
            && matches!(sent, Ok(sent) if black_box(sent) == &REQUESTS[..])
    };
    // The reply: four outcomes, the event's value 42.5.
    let mut outcomes = 0;
    let mut value = None;
    if let Ok(reply) = Batch::new(black_box(&REPLY)) {
        for outcome in client.handle_message(&reply) {
            outcomes += 1;
            match outcome {
                Outcome::Event(change) => {
                    for v in &change.values {
                        if let Ok((_, AttrResult::Value(Value::Float(x)))) = v {
                            value = Some(x.to_bits());
                        }
                    }
                }
                Outcome::Success {
                    response: Response::Lookup(u),
                    ..
                } => {
                    black_box(u);
                }
                other => {
                    black_box(other);
                }
            }
        }
    }
    let timeout = client.poll_timeout();
    let lost = client.handle_timeout(black_box(10_000)).count();
    let closed = client.close().count();
    let ok = sent_ok
        && outcomes == 4
        && value == Some(42.5f64.to_bits())
        && timeout.is_none()
        && lost == 0
        && closed == 0;
    if !ok {
        fail()
    }
    exit(true)
}
