//! A received message as a server reads it: its packets, then the one error that it is
//! not a message of packets.

use crate::batch::{Batch, Packets, Step};
use crate::error::{DecodeError, MessageId};
use crate::packet::{Packet, Request, SERVER};

/// A packet of a received message, as a server reads it.
pub(super) enum In<'a> {
    /// A request (its parameters typed, its sequences read as iterated).
    Request(Request<'a>),
    /// A packet of another type (its body stepped over): its type, its id.
    Other(&'static str, Option<MessageId>),
    /// A packet that does not decode, or the message that is not one of packets.
    Error(DecodeError),
}

impl In<'_> {
    /// The id a reply to the packet carries: its own, or 0 when it could not be read.
    pub(super) fn reply_id(&self) -> MessageId {
        match self {
            In::Request(r) => Some(r.id),
            In::Other(_, id) => *id,
            In::Error(e) => e.id(),
        }
        .unwrap_or(0)
    }
}

/// The number of packets a server will answer in a message: the batch's declared count as
/// the server role reads it, or 1 for a message that is not one of packets.
pub(super) fn count(batch: &Result<Batch<'_>, DecodeError>) -> usize {
    match batch {
        Ok(batch) => batch.iter().remaining_as::<SERVER>(),
        Err(_) => 1,
    }
}

/// The packets of a message as a server reads them, then the one error that it is not a
/// message of packets. Malformed bytes in the unread last part of a request already
/// handed to the application end the message without an answer of their own: the
/// application read them, as an element error, and answered that request.
pub(super) struct Incoming<'a> {
    packets: Option<Packets<'a>>,
    error: Option<DecodeError>,
}

impl<'a> Incoming<'a> {
    pub(super) fn new(batch: &'a Result<Batch<'_>, DecodeError>) -> Self {
        match batch {
            Ok(batch) => Incoming {
                packets: Some(batch.iter()),
                error: None,
            },
            Err(e) => Incoming {
                packets: None,
                error: Some(*e),
            },
        }
    }
}

impl<'a> Iterator for Incoming<'a> {
    type Item = In<'a>;

    fn next(&mut self) -> Option<In<'a>> {
        let Some(packets) = &mut self.packets else {
            return self.error.take().map(In::Error);
        };
        loop {
            let mut packet = Packet::placeholder();
            return match (packets.step::<SERVER>(&mut packet), packet) {
                (Step::Packet, Packet::Request(request)) => Some(In::Request(request)),
                (Step::Packet | Step::Foreign, other) => Some(In::Other(other.kind(), other.id())),
                (Step::Error(e), _) => Some(In::Error(e)),
                (Step::Tail(_), _) => continue,
                (Step::End, _) => None,
            };
        }
    }
}
