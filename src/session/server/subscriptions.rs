//! Subscriptions and their update-rate timers (spec 6.6, discrepancies D9), with no clock
//! inside: the caller passes `now` in, [`ServerSession::poll_timeout`] says when to call
//! back, [`ServerSession::handle_timeout`] marks what is due and
//! [`ServerSession::poll_events`] writes it, the application supplying the values.
//!
//! [`ServerSession::poll_timeout`]: super::ServerSession::poll_timeout
//! [`ServerSession::handle_timeout`]: super::ServerSession::handle_timeout
//! [`ServerSession::poll_events`]: super::ServerSession::poll_events

use core::fmt;

use uuid::Uuid;

use super::app::Slot;
use crate::batch::BatchWriter;
use crate::error::EncodeError;
use crate::packet::DataChange;

/// A subscription's update rates, in milliseconds, as subscribe gave them (D9: both are
/// periods). Values above `u32::MAX` ms (49 days) are kept as `u32::MAX`; 0 counts as
/// absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rates {
    /// `maximum_update_rate`: the shortest time between two events (a throttle).
    pub throttle: Option<u32>,
    /// `minimum_update_rate`: the longest time without an event (a heartbeat).
    pub heartbeat: Option<u32>,
}

impl Rates {
    /// The rates of subscribe's `maximum_update_rate` and `minimum_update_rate`.
    pub fn new(maximum_update_rate: Option<u64>, minimum_update_rate: Option<u64>) -> Self {
        let ms = |rate: Option<u64>| {
            rate.filter(|&ms| ms > 0)
                .map(|ms| u32::try_from(ms).unwrap_or(u32::MAX))
        };
        Rates {
            throttle: ms(maximum_update_rate),
            heartbeat: ms(minimum_update_rate),
        }
    }
}

/// Why a subscription's event is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The subscription has just become active and has had no event yet: send the current
    /// value of every attribute it covers.
    Initial,
    /// The application reported a change ([`ServerSession::changed`](super::ServerSession::changed))
    /// and the throttle allows an event: send the latest value of each attribute that
    /// changed since the subscription's previous event.
    Change,
    /// Nothing changed for `minimum_update_rate`: send the current value of every
    /// attribute the subscription covers (the spec says only that an event must go out).
    Heartbeat,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Initial => "initial",
            Reason::Change => "change",
            Reason::Heartbeat => "heartbeat",
        })
    }
}

/// A subscription whose event is due, handed to the application by
/// [`ServerSession::poll_events`](super::ServerSession::poll_events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The subscription.
    pub subscription: Uuid,
    /// Why its event is due: says which attributes to send.
    pub reason: Reason,
}

/// Where an entry of the subscription table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubState {
    /// subscribe was handed to the application, which has not answered yet.
    Pending(Slot),
    /// Events may be sent.
    Active,
}

/// An entry of the subscription table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sub {
    pub(super) id: Uuid,
    pub(super) state: SubState,
    pub(super) rates: Rates,
    /// When its last event went out; `None` before the first.
    last_sent: Option<u64>,
    /// A change was reported since the last event.
    changed: bool,
    /// Marked by `handle_timeout`, cleared when its event is written.
    due: Option<Reason>,
}

impl Sub {
    /// A new entry, pending until subscribe is answered.
    pub(super) fn pending(id: Uuid, slot: Slot, rates: Rates) -> Self {
        Sub {
            id,
            state: SubState::Pending(slot),
            rates,
            last_sent: None,
            changed: false,
            due: None,
        }
    }

    /// When its next event is due, and why; `None` while no event will be due (pending, or
    /// no change and no heartbeat).
    fn next_due(&self) -> Option<(u64, Reason)> {
        if self.state != SubState::Active {
            return None;
        }
        let Some(last) = self.last_sent else {
            return Some((0, Reason::Initial));
        };
        let throttle = u64::from(self.rates.throttle.unwrap_or(0));
        let change = self
            .changed
            .then(|| (last.saturating_add(throttle), Reason::Change));
        // The throttle wins over a heartbeat shorter than it.
        let beat = self.rates.heartbeat.map(|h| {
            let period = u64::from(h).max(throttle);
            (last.saturating_add(period), Reason::Heartbeat)
        });
        match (change, beat) {
            (Some(c), Some(b)) => Some(if b.0 < c.0 { b } else { c }),
            (c, b) => c.or(b),
        }
    }
}

/// The subscription table: a slice, so that its code exists once whatever the capacity.
pub(super) struct Subs<'t>(pub(super) &'t mut [Option<Sub>]);

impl Subs<'_> {
    pub(super) fn get(&self, id: &Uuid) -> Option<&Sub> {
        self.0.iter().flatten().find(|s| s.id == *id)
    }

    pub(super) fn get_mut(&mut self, id: &Uuid) -> Option<&mut Sub> {
        self.0.iter_mut().flatten().find(|s| s.id == *id)
    }

    /// Inserts `sub`, replacing the entry with its id; `false` when the table is full.
    pub(super) fn insert(&mut self, sub: Sub) -> bool {
        if let Some(old) = self.get_mut(&sub.id) {
            *old = sub;
            return true;
        }
        match self.0.iter_mut().find(|s| s.is_none()) {
            Some(free) => {
                *free = Some(sub);
                true
            }
            None => false,
        }
    }

    pub(super) fn remove(&mut self, id: &Uuid) -> Option<Sub> {
        let entry = self.0.iter_mut().find(|s| s.is_some_and(|s| s.id == *id))?;
        entry.take()
    }

    pub(super) fn contains(&self, id: &Uuid) -> bool {
        self.get(id).is_some()
    }

    /// The earliest time an event falls due.
    pub(super) fn timeout_of(subs: &[Option<Sub>]) -> Option<u64> {
        subs.iter()
            .flatten()
            .filter(|s| s.due.is_none())
            .filter_map(|s| s.next_due().map(|(at, _)| at))
            .min()
    }

    /// Marks every subscription due at `now`; returns how many are due.
    pub(super) fn handle_timeout(&mut self, now: u64) -> usize {
        let mut due = 0;
        for sub in self.0.iter_mut().flatten() {
            if sub.due.is_none()
                && let Some((at, reason)) = sub.next_due()
                && at <= now
            {
                sub.due = Some(reason);
            }
            due += usize::from(sub.due.is_some());
        }
        due
    }

    /// True when some subscription is marked due.
    pub(super) fn any_due_in(subs: &[Option<Sub>]) -> bool {
        subs.iter().flatten().any(|s| s.due.is_some())
    }

    /// Writes the events of the due subscriptions, as one message, into `buf`; see
    /// [`ServerSession::poll_events`](super::ServerSession::poll_events).
    pub(super) fn poll_events(
        &mut self,
        now: u64,
        buf: &mut [u8],
        fill: &mut dyn FnMut(Due, &mut Events<'_, '_>),
    ) -> Result<Option<usize>, super::ServerError> {
        let mut writer = BatchWriter::new(buf);
        for sub in self.0.iter_mut().flatten() {
            let Some(reason) = sub.due else { continue };
            let mark = writer.mark();
            let mut events = Events {
                writer: &mut writer,
                failed: None,
            };
            fill(
                Due {
                    subscription: sub.id,
                    reason,
                },
                &mut events,
            );
            let failed = events.failed;
            if failed.is_some() {
                writer.reset(mark);
                if !mark.is_empty() {
                    // The rest stays due, for the next message.
                    break;
                }
            }
            sub.due = None;
            sub.changed = false;
            sub.last_sent = Some(now);
            if let Some(required) = failed {
                return Err(super::ServerError::EventsTooLarge {
                    subscription: sub.id,
                    required,
                });
            }
        }
        if writer.is_empty() {
            return Ok(None);
        }
        match writer.finish() {
            Ok(message) => Ok(Some(message.len())),
            Err(e) => Err(e.into()),
        }
    }

    /// Notes a change; `false` when there is no such subscription.
    pub(super) fn changed(&mut self, id: &Uuid) -> bool {
        match self.get_mut(id) {
            Some(sub) => {
                sub.changed = true;
                true
            }
            None => false,
        }
    }
}

/// Where the application writes a due subscription's data changes: one
/// [`DataChange`] packet per element.
pub struct Events<'w, 'b> {
    writer: &'w mut BatchWriter<'b>,
    /// The bytes the first packet that did not fit needed.
    failed: Option<usize>,
}

impl fmt::Debug for Events<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("packets", &self.writer.len())
            .field("failed", &self.failed)
            .finish()
    }
}

impl Events<'_, '_> {
    /// Adds one element's changes. When it does not fit, nothing more is written for this
    /// subscription: it goes in the next message (or, alone in a message and still too
    /// large, is dropped and reported by `poll_events`).
    pub fn push(&mut self, change: DataChange<'_>) -> Result<(), EncodeError> {
        if let Some(required) = self.failed {
            return Err(EncodeError::BufferTooSmall { required });
        }
        let write = |w: &mut crate::cbor::Writer<'_>| crate::packet::write_event(&change, w);
        self.writer.push_with(write).inspect_err(|e| {
            let EncodeError::BufferTooSmall { required } = *e;
            self.failed = Some(required);
        })
    }
}
