//! [`ChangeFeed`]: how the application tells every connection that data changed.

use tokio::sync::broadcast;
use tokio::time::Instant;
use xentara_ws::Uuid;

/// A change, on the server's clock (ms since the server started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// An element's attributes changed at this time.
    Element(Uuid, u64),
    /// Anything may have changed.
    All(u64),
}

/// Changes a connection may miss before it takes everything as changed.
const BACKLOG: usize = 1024;

/// A cloneable handle on which the application says which elements changed: every
/// connection's session learns it, and the subscriptions that cover the element
/// ([`Service::covers`](super::Service::covers)) send an event once their update rates
/// allow. Cheap to clone and `Send + Sync`; from any task or thread.
///
/// A connection that falls behind by more than 1,024 changes takes every subscription as
/// changed: it never misses one, at worst it sends an event too many.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Change>,
    epoch: Instant,
}

impl ChangeFeed {
    pub(crate) fn new(epoch: Instant) -> Self {
        ChangeFeed {
            tx: broadcast::channel(BACKLOG).0,
            epoch,
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// The clock the sessions count milliseconds from.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    fn ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    /// The attributes of `element` changed now.
    pub fn changed(&self, element: Uuid) {
        self.changed_at(element, Instant::now());
    }

    /// The attributes of `element` change at `at`: now, or a time to come that the
    /// application knows (a value sampled on a period), so that the sessions' timers
    /// cover it.
    pub fn changed_at(&self, element: Uuid, at: Instant) {
        let _ = self.tx.send(Change::Element(element, self.ms(at)));
    }

    /// Anything may have changed: every subscription sends an event.
    pub fn changed_all(&self) {
        let _ = self.tx.send(Change::All(self.ms(Instant::now())));
    }
}
