//! The main types stay small: they are returned through every level of the decoder, so
//! their size is a cost on every packet. Prints each size and fails when one grows past its
//! bound (the bounds are today's sizes on a 64-bit target; the firmware prints the 32-bit
//! ones).

use std::mem::size_of;

use xentara_ws::params::Credentials;
use xentara_ws::session::{
    AppRequest, Application, ClientSession, IdKind, Replied, Reply, ReplyMessage, ReplySlot,
    ServerSession, SubSessionSlot, SubscriptionSlot, Ticket,
};
use xentara_ws::{
    AttributeId, Command, DecodeError, ErrorCode, Packet, Response, Seq, Success, Text, Uuid, Value,
};

/// An application that keeps nothing per sub-session or subscription.
struct App;

impl Application for App {
    type Identity = ();
    type Subscription = ();
    fn authenticate(&mut self, _: &Credentials<'_>) -> Result<(), ErrorCode> {
        Ok(())
    }
    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(1)
    }
    fn handle(&mut self, _: AppRequest<'_, ()>, reply: Reply<'_, ()>) -> Replied {
        reply.error(ErrorCode::UnknownElement)
    }
}

#[test]
fn main_types_are_small() {
    let sizes = [
        // 16 bytes, and results of a word travel in two registers (was 48).
        ("DecodeError", size_of::<DecodeError>(), 16),
        (
            "Result<(), DecodeError>",
            size_of::<Result<(), DecodeError>>(),
            16,
        ),
        (
            "Result<u64, DecodeError>",
            size_of::<Result<u64, DecodeError>>(),
            16,
        ),
        // A request's largest parameters (write) are 89 bytes of UUIDs, ids and a value.
        ("Packet", size_of::<Packet<'_>>(), 104),
        (
            "Result<Packet, DecodeError>",
            size_of::<Result<Packet<'_>, DecodeError>>(),
            104,
        ),
        (
            "Option<Result<Packet, DecodeError>>",
            size_of::<Option<Result<Packet<'_>, DecodeError>>>(),
            104,
        ),
        ("Command", size_of::<Command<'_>>(), 96),
        ("Response", size_of::<Response<'_>>(), 80),
        ("Success", size_of::<Success<'_>>(), 88),
        ("Value", size_of::<Value<'_>>(), 32),
        ("Text", size_of::<Text<'_>>(), 24),
        ("Seq<AttributeId>", size_of::<Seq<'_, AttributeId>>(), 32),
        // The session machines: bounded here so they do not grow.
        // 16 pending entries of an id, an opcode, a desired id and a deadline.
        ("ClientSession", size_of::<ClientSession>(), 824),
        // The session holds its configuration, state and the caller's storage: every
        // table is the caller's.
        ("ServerSession", size_of::<ServerSession<'_, App>>(), 144),
        // One request's place in the caller's reply storage.
        ("ReplySlot", size_of::<ReplySlot>(), 16),
        // One reply message's bookkeeping.
        ("ReplyMessage", size_of::<ReplyMessage>(), 48),
        // A subscription's entry: its id, state, rates and timers (with `()` kept).
        (
            "SubscriptionSlot<()>",
            size_of::<SubscriptionSlot<()>>(),
            104,
        ),
        ("SubSessionSlot<()>", size_of::<SubSessionSlot<()>>(), 17),
        // A session tag, the request message, the place in it.
        ("Ticket", size_of::<Ticket>(), 16),
    ];
    let mut over = Vec::new();
    for (name, size, bound) in sizes {
        println!("{name:<40} {size:>6} bytes (bound {bound})");
        if size > bound {
            over.push(format!("{name} is {size} bytes, over its bound of {bound}"));
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}
