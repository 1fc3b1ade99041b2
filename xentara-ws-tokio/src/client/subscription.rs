//! [`Subscription`]: a subscribe's data-change events as a stream, unsubscribed when
//! dropped.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::mpsc;
use xentara_ws::Uuid;

use super::Client;
use super::command::Command;
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

/// What a [`Subscription`] yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A data-change event of one element the subscription covers.
    Change(DataChange),
    /// The connection was lost and made again, and the subscription is back under its
    /// id: changes between the last event before this and the next one may have been
    /// missed. The next event carries the current values.
    Reconnected,
}

impl Event {
    /// The data change, for [`Event::Change`].
    pub fn change(&self) -> Option<&DataChange> {
        match self {
            Event::Change(change) => Some(change),
            Event::Reconnected => None,
        }
    }
}

/// Where the driver puts the events of one subscription, and how to subscribe it again
/// after a reconnect.
#[derive(Debug)]
pub(crate) struct Sink {
    elements: Vec<Uuid>,
    tx: mpsc::UnboundedSender<Event>,
    /// The subscribe that made it; given its id once the server answered.
    subscribe: Box<Command>,
    /// Subscribed again after a reconnect: the next success yields [`Event::Reconnected`].
    restored: bool,
}

impl Sink {
    /// Delivers `change` when the subscription covers its element; `false` once the
    /// [`Subscription`] is gone.
    pub(crate) fn offer(&self, change: &DataChange) -> bool {
        if !self.elements.contains(&change.element) {
            return !self.tx.is_closed();
        }
        self.tx.send(Event::Change(change.clone())).is_ok()
    }

    /// The server gave the subscription `id`: a re-subscribe asks for the same one, and a
    /// subscription made again says so in its stream.
    pub(crate) fn subscribed(&mut self, id: Uuid) {
        if let Command::Subscribe { desired, .. } = self.subscribe.as_mut() {
            *desired = Some(id);
        }
        if std::mem::take(&mut self.restored) {
            let _ = self.tx.send(Event::Reconnected);
        }
    }

    /// The subscribe that makes the subscription again on a new connection; `None` when
    /// its [`Subscription`] is gone.
    pub(crate) fn restore(&mut self) -> Option<Command> {
        self.restored = true;
        (!self.tx.is_closed()).then(|| (*self.subscribe).clone())
    }
}

/// A sink for the events of `subscribe` and the receiver its [`Subscription`] reads.
pub(crate) fn channel(subscribe: &Command) -> (Sink, mpsc::UnboundedReceiver<Event>) {
    let elements = match subscribe {
        Command::Subscribe { entries, .. } => entries.iter().map(|(e, _)| *e).collect(),
        _ => Vec::new(),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let sink = Sink {
        elements,
        tx,
        subscribe: Box::new(subscribe.clone()),
        restored: false,
    };
    (sink, rx)
}

/// The data-change events of a subscription (made by [`Client::subscribe`]), as a
/// [`Stream`] of [`Event`]s: each an owned [`DataChange`] of one element, the first with
/// the current values. When the client reconnects, the subscription is made again with
/// its id and the stream yields [`Event::Reconnected`] before the next event (changes in
/// between may have been missed). The stream ends when the client closes (or gives up
/// the connection, or the server refuses the subscription again). Dropping it
/// unsubscribes (without waiting for the answer); [`Subscription::unsubscribe`] waits.
///
/// Events carry their element, not their subscription: two subscriptions of one client
/// that cover the same element both receive its events. Events wait in the stream until
/// read: read it, or drop it.
#[derive(Debug)]
pub struct Subscription {
    client: Client,
    id: Uuid,
    events: mpsc::UnboundedReceiver<Event>,
    active: bool,
}

impl Subscription {
    pub(crate) fn new(client: Client, id: Uuid, events: mpsc::UnboundedReceiver<Event>) -> Self {
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

    /// The next event; `None` once the stream ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Ends the subscription (unsubscribe) and waits for the answer.
    pub async fn unsubscribe(mut self) -> Result<(), Error> {
        self.active = false;
        self.client.unsubscribe(self.id).await
    }
}

impl Stream for Subscription {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
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
