//! [`Subscription`]: a subscribe's data-change events as a stream, unsubscribed when
//! dropped.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::mpsc;
use xentara_ws::Uuid;

use super::Client;
use crate::{DataChange, Error};

/// A subscription's update rates (spec: both are periods despite their names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateRates {
    /// The shortest time between two events (`maximum_update_rate`): changes coming
    /// faster are coalesced. `None`: every change at once.
    pub throttle: Option<Duration>,
    /// The longest time without an event (`minimum_update_rate`): an event with the
    /// current values comes then even without a change. `None`: none.
    pub heartbeat: Option<Duration>,
}

/// Where the driver puts the events of one subscription.
#[derive(Debug)]
pub(crate) struct Sink {
    elements: Vec<Uuid>,
    tx: mpsc::UnboundedSender<DataChange>,
}

impl Sink {
    /// Delivers `change` when the subscription covers its element; `false` once the
    /// [`Subscription`] is gone.
    pub(crate) fn offer(&self, change: &DataChange) -> bool {
        if !self.elements.contains(&change.element) {
            return !self.tx.is_closed();
        }
        self.tx.send(change.clone()).is_ok()
    }
}

/// A sink and the receiver its [`Subscription`] reads.
pub(crate) fn channel(elements: Vec<Uuid>) -> (Sink, mpsc::UnboundedReceiver<DataChange>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Sink { elements, tx }, rx)
}

/// The data-change events of a subscription (made by [`Client::subscribe`]), as a
/// [`Stream`]: each an owned [`DataChange`] of one element, the first with the current
/// values. The stream ends when the connection closes. Dropping it unsubscribes
/// (without waiting for the answer); [`Subscription::unsubscribe`] waits.
///
/// Events carry their element, not their subscription: two subscriptions of one client
/// that cover the same element both receive its events. Events wait in the stream until
/// read: read it, or drop it.
#[derive(Debug)]
pub struct Subscription {
    client: Client,
    id: Uuid,
    events: mpsc::UnboundedReceiver<DataChange>,
    active: bool,
}

impl Subscription {
    pub(crate) fn new(
        client: Client,
        id: Uuid,
        events: mpsc::UnboundedReceiver<DataChange>,
    ) -> Self {
        Subscription {
            client,
            id,
            events,
            active: true,
        }
    }

    /// The subscription's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The next event; `None` once the connection is closed.
    pub async fn next_event(&mut self) -> Option<DataChange> {
        self.events.recv().await
    }

    /// Ends the subscription (unsubscribe) and waits for the answer.
    pub async fn unsubscribe(mut self) -> Result<(), Error> {
        self.active = false;
        self.client.unsubscribe(self.id).await
    }
}

impl Stream for Subscription {
    type Item = DataChange;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DataChange>> {
        self.events.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.active {
            self.client.unsubscribe_now(self.id);
        }
    }
}
