//! Subscriptions: the table in the caller's storage, each entry's lifecycle (reserved when
//! subscribe comes, settled when it is answered) and its update-rate timers (spec 6.6,
//! spec notes D9), with no clock inside: the caller passes `now` in,
//! [`ServerSession::poll_timeout`] says when to call back and
//! [`ServerSession::poll_events`] writes what is due then, the application supplying the
//! values.
//!
//! [`ServerSession::poll_timeout`]: super::ServerSession::poll_timeout
//! [`ServerSession::poll_events`]: super::ServerSession::poll_events

use core::fmt;

use uuid::Uuid;

use super::error::ServerError;
use super::reply::Ticket;
use crate::batch::BatchWriter;
use crate::error::EncodeError;
use crate::packet::DataChange;

/// A subscription's update rates, in milliseconds, as subscribe gave them (D9: both are
/// periods). Values above `u32::MAX` ms (49 days) are kept as `u32::MAX`; 0 counts as
/// absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

/// One entry of a session's subscription table: the element type of the subscription
/// storage ([`ServerStorage::new`](super::ServerStorage::new)), holding the machine's
/// timers and what the application keeps for the subscription
/// ([`Application::Subscription`](super::Application::Subscription)). Opaque.
pub struct SubscriptionSlot<W>(Option<Entry<W>>);

impl<W> SubscriptionSlot<W> {
    /// An unused entry, to fill arrays with.
    pub const EMPTY: Self = SubscriptionSlot(None);
}

impl<W> Default for SubscriptionSlot<W> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<W> fmt::Debug for SubscriptionSlot<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(e) => f.debug_tuple("SubscriptionSlot").field(&e.timer).finish(),
            None => f.write_str("SubscriptionSlot(free)"),
        }
    }
}

/// A subscription in the table: its timers, and the application's data once active.
struct Entry<W> {
    timer: Timer,
    /// Set when subscribe succeeds.
    data: Option<W>,
}

/// Where an entry of the subscription table is, and the subscribe that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// subscribe was handed to the application, which has not answered yet.
    Pending(Ticket),
    /// Events may be sent.
    Active(Ticket),
}

/// An entry's id, state and timers: non-generic, so the timer code exists once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timer {
    id: Uuid,
    state: State,
    rates: Rates,
    /// When its last event went out; `None` before the first.
    last_sent: Option<u64>,
    /// The earliest change not sent yet (a time to come, when the application knows it).
    change_at: Option<u64>,
    /// Marked by `handle_timeout`, cleared when its event is written.
    due: Option<Reason>,
}

impl Timer {
    /// When its next event is due, and why; `None` while no event will be due (pending, or
    /// no change and no heartbeat).
    fn next_due(&self) -> Option<(u64, Reason)> {
        if !self.is_active() {
            return None;
        }
        let Some(last) = self.last_sent else {
            return Some((0, Reason::Initial));
        };
        let throttle = u64::from(self.rates.throttle.unwrap_or(0));
        let change = self
            .change_at
            .map(|at| (at.max(last.saturating_add(throttle)), Reason::Change));
        // The throttle wins over a heartbeat shorter than it.
        let beat = self.rates.heartbeat.map(|h| {
            let period = u64::from(h).max(throttle);
            (last.saturating_add(period), Reason::Heartbeat)
        });
        match (change, beat) {
            // A tie is the heartbeat's: it is due whatever changed.
            (Some(c), Some(b)) => Some(if b.0 <= c.0 { b } else { c }),
            (c, b) => c.or(b),
        }
    }

    fn is_active(&self) -> bool {
        matches!(self.state, State::Active(_))
    }

    /// Its change was due at `now` but nothing had changed: the changes up to then are
    /// taken, the throttle and heartbeat run on from the last event.
    fn no_change(&mut self, now: u64) {
        self.due = None;
        self.change_at = self.change_at.filter(|&at| at > now);
    }

    /// Its event went out at `now`: the changes up to then are in it.
    fn sent(&mut self, now: u64) {
        self.no_change(now);
        self.last_sent = Some(now);
    }
}

/// An active subscription, as [`ServerSession::subscriptions`](super::ServerSession::subscriptions)
/// shows it.
#[derive(Debug)]
pub struct Subscription<'s, W> {
    /// Its id.
    pub id: Uuid,
    /// Its update rates.
    pub rates: Rates,
    /// What the application keeps for it.
    pub data: &'s W,
}

/// An active subscription to change, from
/// [`ServerSession::subscriptions_mut`](super::ServerSession::subscriptions_mut).
pub struct SubscriptionMut<'s, W> {
    timer: &'s mut Timer,
    data: &'s mut W,
}

impl<W> fmt::Debug for SubscriptionMut<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionMut")
            .field("id", &self.timer.id)
            .finish()
    }
}

impl<W> SubscriptionMut<'_, W> {
    /// Its id.
    pub fn id(&self) -> Uuid {
        self.timer.id
    }

    /// Its update rates.
    pub fn rates(&self) -> Rates {
        self.timer.rates
    }

    /// What the application keeps for it.
    pub fn data(&self) -> &W {
        self.data
    }

    /// What the application keeps for it, to change.
    pub fn data_mut(&mut self) -> &mut W {
        self.data
    }

    /// Notes that the data it covers changed, or will change, at `at` (see
    /// [`ServerSession::changed_at`](super::ServerSession::changed_at)).
    pub fn changed_at(&mut self, at: u64) {
        let earliest = self.timer.change_at.map_or(at, |c| c.min(at));
        self.timer.change_at = Some(earliest);
    }
}

/// The subscription table over the caller's storage, to read.
pub(super) struct SubsRef<'t, W>(pub(super) &'t [SubscriptionSlot<W>]);

impl<'t, W> SubsRef<'t, W> {
    fn entries(&self) -> impl Iterator<Item = &'t Entry<W>> + use<'t, W> {
        self.0.iter().filter_map(|s| s.0.as_ref())
    }

    /// Entries, pending ones included.
    pub(super) fn len(&self) -> usize {
        self.entries().count()
    }

    /// True when `id` has an entry, pending or active.
    pub(super) fn contains(&self, id: &Uuid) -> bool {
        self.entries().any(|e| e.timer.id == *id)
    }

    /// True when `id` is active.
    pub(super) fn is_active(&self, id: &Uuid) -> bool {
        self.entries()
            .any(|e| e.timer.id == *id && e.timer.is_active())
    }

    /// The active subscriptions.
    pub(super) fn active(&self) -> impl Iterator<Item = Subscription<'t, W>> + use<'t, W> {
        self.entries().filter_map(|e| {
            let data = e.data.as_ref().filter(|_| e.timer.is_active())?;
            Some(Subscription {
                id: e.timer.id,
                rates: e.timer.rates,
                data,
            })
        })
    }

    /// The rates of subscription `id`: the active one's, else a pending one's.
    pub(super) fn rates(&self, id: &Uuid) -> Option<Rates> {
        let e = self
            .entries()
            .filter(|e| e.timer.id == *id)
            .max_by_key(|e| e.timer.is_active())?;
        Some(e.timer.rates)
    }

    /// The earliest time an event falls due: `now` when one is marked already.
    pub(super) fn timeout(&self, now: u64) -> Option<u64> {
        if self.entries().any(|e| e.timer.due.is_some()) {
            return Some(now);
        }
        self.entries()
            .filter_map(|e| e.timer.next_due().map(|(at, _)| at))
            .min()
    }
}

/// The subscription table over the caller's storage, to change.
pub(super) struct Subs<'t, W>(pub(super) &'t mut [SubscriptionSlot<W>]);

impl<'t, W> Subs<'t, W> {
    pub(super) fn reborrow(&mut self) -> Subs<'_, W> {
        Subs(self.0)
    }

    /// The table, to read.
    pub(super) fn view(&self) -> SubsRef<'_, W> {
        SubsRef(self.0)
    }

    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry<W>> {
        self.0.iter_mut().filter_map(|s| s.0.as_mut())
    }

    /// The active subscriptions, to change.
    pub(super) fn active_mut(self) -> impl Iterator<Item = SubscriptionMut<'t, W>> {
        self.0.iter_mut().filter_map(|s| {
            let e = s.0.as_mut()?;
            let data = e.data.as_mut().filter(|_| e.timer.is_active())?;
            Some(SubscriptionMut {
                timer: &mut e.timer,
                data,
            })
        })
    }

    /// Reserves an entry for a subscribe handed to the application (`ticket`), pending
    /// until its answer; `false` when the table is full. A subscription with the same id
    /// goes on until the answer replaces it.
    pub(super) fn reserve(&mut self, id: Uuid, ticket: Ticket, rates: Rates) -> bool {
        let Some(free) = self.0.iter_mut().find(|s| s.0.is_none()) else {
            return false;
        };
        let timer = Timer {
            id,
            state: State::Pending(ticket),
            rates,
            last_sent: None,
            change_at: None,
            due: None,
        };
        free.0 = Some(Entry { timer, data: None });
        true
    }

    /// Settles the entry of the subscribe of `ticket` with its answer and returns the
    /// subscription's id: on a success (`Some`) it becomes the active subscription of its
    /// id, replacing one made by an earlier subscribe (whose data is dropped), unless a
    /// later subscribe's is active already; on a failure (`None`) it goes. `None` when no
    /// entry waits for `ticket`.
    pub(super) fn settle(&mut self, ticket: Ticket, answer: Option<W>) -> Option<Uuid> {
        let pending = State::Pending(ticket);
        let at = self
            .0
            .iter()
            .position(|s| s.0.as_ref().is_some_and(|e| e.timer.state == pending))?;
        let id = self.0[at].0.as_ref()?.timer.id;
        let Some(data) = answer else {
            self.0[at].0 = None;
            return Some(id);
        };
        let active = self.0.iter().position(|s| {
            s.0.as_ref()
                .is_some_and(|e| e.timer.id == id && e.timer.is_active())
        });
        if let Some(old) = active {
            let later = match self.0[old].0.as_ref().map(|e| e.timer.state) {
                Some(State::Active(made_by)) => made_by.is_after(&ticket),
                _ => false,
            };
            let dropped = if later { at } else { old };
            self.0[dropped].0 = None;
            if later {
                return Some(id);
            }
        }
        if let Some(e) = self.0[at].0.as_mut() {
            e.timer.state = State::Active(ticket);
            e.data = Some(data);
        }
        Some(id)
    }

    /// Ends an active subscription; its data, or `None` when it is not active.
    pub(super) fn remove_active(&mut self, id: &Uuid) -> Option<W> {
        let slot = self.0.iter_mut().find(|s| {
            s.0.as_ref()
                .is_some_and(|e| e.timer.id == *id && e.timer.is_active())
        })?;
        slot.0.take()?.data
    }

    /// Notes a change at `at` for every entry of subscription `id` (a pending one has it
    /// in its first event); `false` when there is none.
    pub(super) fn changed_at(&mut self, id: &Uuid, at: u64) -> bool {
        let mut found = false;
        for e in self.entries_mut().filter(|e| e.timer.id == *id) {
            e.timer.change_at = Some(e.timer.change_at.map_or(at, |c| c.min(at)));
            found = true;
        }
        found
    }

    /// Marks every subscription due at `now`; returns how many are due.
    pub(super) fn handle_timeout(&mut self, now: u64) -> usize {
        let mut due = 0;
        for e in self.entries_mut() {
            let timer = &mut e.timer;
            if timer.due.is_none()
                && let Some((at, reason)) = timer.next_due()
                && at <= now
            {
                timer.due = Some(reason);
            }
            due += usize::from(timer.due.is_some());
        }
        due
    }

    /// Writes the events of the due subscriptions, as one message, into `buf`; see
    /// [`ServerSession::poll_events`](super::ServerSession::poll_events).
    pub(super) fn poll_events(
        &mut self,
        now: u64,
        buf: &mut [u8],
        fill: &mut dyn FnMut(Due, &mut W, &mut Events<'_, '_>),
    ) -> Result<Option<usize>, ServerError> {
        let mut writer = BatchWriter::new(buf);
        for e in self.entries_mut() {
            let Some(reason) = e.timer.due else { continue };
            let Some(data) = e.data.as_mut() else {
                e.timer.due = None;
                continue;
            };
            let mark = writer.mark();
            let before = writer.len();
            let mut events = Events {
                writer: &mut writer,
                failed: None,
            };
            let due = Due {
                subscription: e.timer.id,
                reason,
            };
            fill(due, data, &mut events);
            let failed = events.failed;
            if failed.is_some() {
                writer.reset(mark);
                if !mark.is_empty() {
                    // The rest stays due, for the next message.
                    break;
                }
            }
            if reason == Reason::Change && failed.is_none() && writer.len() == before {
                // A change that was none: no event went out, so the heartbeat still
                // counts from the last one.
                e.timer.no_change(now);
                continue;
            }
            e.timer.sent(now);
            if let Some(required) = failed {
                return Err(ServerError::EventsTooLarge {
                    subscription: e.timer.id,
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
