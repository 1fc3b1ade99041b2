//! [`ServerError`]: why a server session call failed.

use core::fmt;

use uuid::Uuid;

use super::reply::Ticket;
use crate::error::{EncodeError, ErrorCode};
#[cfg(feature = "defmt")]
use crate::model::DefmtUuid;

/// Why a [`ServerSession`](super::ServerSession) call failed. Nothing changed in the
/// session unless the variant says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerError {
    /// Every reply message is in use: the message was not consumed. Send what
    /// [`poll_transmit`](super::ServerSession::poll_transmit) has or answer pending
    /// requests, then hand it in again.
    Busy {
        /// The number of reply messages ([`ReplyStorage::messages`](super::ReplyStorage::messages)).
        capacity: usize,
    },
    /// A message holds more requests than the server can answer even with error packets;
    /// nothing was consumed and nothing will be sent. Closing the connection is advised.
    MessageTooLarge {
        /// The number of packets in the message.
        packets: usize,
    },
    /// The caller's buffer is too small; nothing was taken.
    Encode(EncodeError),
    /// No request waits for an answer with that ticket: it was answered already, or the
    /// ticket belongs to another session.
    UnknownTicket(Ticket),
    /// The subscription is not in the table.
    UnknownSubscription(Uuid),
    /// The events the application wrote for one due subscription do not fit the buffer
    /// even alone: they were dropped (the subscription counts as having had its event).
    EventsTooLarge {
        /// The subscription.
        subscription: Uuid,
        /// The bytes the first event that did not fit needed, at least.
        required: usize,
    },
}

impl ServerError {
    /// The protocol error code closest to this error (-32603 for local conditions,
    /// -32110 for an unknown subscription).
    pub const fn code(&self) -> ErrorCode {
        match self {
            ServerError::UnknownSubscription(_) => ErrorCode::UnknownSubscriptionId,
            _ => ErrorCode::InternalError,
        }
    }
}

impl From<EncodeError> for ServerError {
    fn from(e: EncodeError) -> Self {
        ServerError::Encode(e)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Busy { capacity } => {
                write!(f, "all {capacity} reply messages are in use")
            }
            ServerError::MessageTooLarge { packets } => {
                write!(f, "a message of {packets} packets is too large to answer")
            }
            ServerError::Encode(e) => write!(f, "{e}"),
            ServerError::UnknownTicket(ticket) => write!(f, "no request waits for {ticket:?}"),
            ServerError::UnknownSubscription(id) => write!(f, "unknown subscription {id}"),
            ServerError::EventsTooLarge {
                subscription,
                required,
            } => write!(
                f,
                "the events of subscription {subscription} need {required} bytes and were dropped"
            ),
        }
    }
}

/// `core::error::Error` is `std::error::Error`: works with `?` into `Box<dyn Error>`.
impl core::error::Error for ServerError {}

/// As `Debug` shows it, formatted on the host (no `core::fmt` on the target).
#[cfg(feature = "defmt")]
impl defmt::Format for ServerError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            ServerError::Busy { capacity } => {
                defmt::write!(f, "Busy {{ capacity: {=usize} }}", capacity)
            }
            ServerError::MessageTooLarge { packets } => {
                defmt::write!(f, "MessageTooLarge {{ packets: {=usize} }}", packets)
            }
            ServerError::Encode(e) => defmt::write!(f, "Encode({})", e),
            ServerError::UnknownTicket(ticket) => defmt::write!(f, "UnknownTicket({})", ticket),
            ServerError::UnknownSubscription(id) => {
                defmt::write!(f, "UnknownSubscription({})", DefmtUuid(*id))
            }
            ServerError::EventsTooLarge {
                subscription,
                required,
            } => defmt::write!(
                f,
                "EventsTooLarge {{ subscription: {}, required: {=usize} }}",
                DefmtUuid(*subscription),
                required
            ),
        }
    }
}
