//! The requests sent and not answered yet, by message id, laid out as the session's own
//! table: the session hands out only an id whose entry there (the id modulo its capacity)
//! is free, so the same entry is free here. Adding, finding and removing one is a single
//! step, with no hashing.

use xentara_ws::MessageId;

use super::command::{Answer, Command};
use super::exchange::Reply;
use super::subscription::Sink;
use crate::Error;

/// A request sent, waiting for its answer.
#[derive(Debug)]
pub(super) struct Waiting {
    /// Where its result goes; `None`: no one waits for it.
    pub(super) reply: Option<Reply>,
    /// For a subscribe: where its events go once it succeeds.
    pub(super) sink: Option<Box<Sink>>,
    /// A create_sub_session's command: kept to open the sub-session again after a
    /// reconnect.
    pub(super) sub_session: Option<Box<Command>>,
}

impl Waiting {
    /// Ends the request with `outcome`.
    pub(super) fn end(self, outcome: Result<Answer, Error>) {
        Reply::end(self.reply, outcome);
    }
}

/// The requests in flight of one session of `capacity` entries.
#[derive(Debug)]
pub(super) struct InFlight {
    entries: Box<[Option<(MessageId, Waiting)>]>,
}

impl InFlight {
    /// Room for a session that keeps `capacity` requests in flight.
    pub(super) fn new(capacity: usize) -> Self {
        InFlight {
            entries: (0..capacity.max(1)).map(|_| None).collect(),
        }
    }

    fn index(&self, id: MessageId) -> usize {
        // The length is at most the session's capacity, a `usize` from an array length:
        // both conversions are exact for any table that fits in memory.
        let len = self.entries.len() as i64;
        id.rem_euclid(len) as usize
    }

    /// Adds request `id`. Were its entry taken (the session never hands out such an id),
    /// the request there would end [`Error::Closed`], not be lost silently.
    pub(super) fn insert(&mut self, id: MessageId, waiting: Waiting) {
        let index = self.index(id);
        if let Some((_, old)) = self.entries[index].replace((id, waiting)) {
            old.end(Err(Error::Closed));
        }
    }

    /// Request `id`, if it is in flight.
    pub(super) fn get_mut(&mut self, id: MessageId) -> Option<&mut Waiting> {
        let index = self.index(id);
        match &mut self.entries[index] {
            Some((at, waiting)) if *at == id => Some(waiting),
            _ => None,
        }
    }

    /// Takes request `id` out, if it is in flight.
    pub(super) fn remove(&mut self, id: MessageId) -> Option<Waiting> {
        let index = self.index(id);
        match &self.entries[index] {
            Some((at, _)) if *at == id => self.entries[index].take().map(|(_, w)| w),
            _ => None,
        }
    }

    /// Takes every request out.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = Waiting> + '_ {
        self.entries
            .iter_mut()
            .filter_map(|e| e.take().map(|(_, w)| w))
    }
}

#[cfg(test)]
mod tests {
    use super::{InFlight, Waiting};

    fn waiting() -> Waiting {
        Waiting {
            reply: None,
            sink: None,
            sub_session: None,
        }
    }

    #[test]
    fn a_request_is_found_by_its_own_id_only() {
        let mut in_flight = InFlight::new(4);
        in_flight.insert(6, waiting());
        in_flight.insert(-1, waiting());
        // 2 and 10 share 6's entry; 3 shares -1's.
        assert!(in_flight.get_mut(2).is_none());
        assert!(in_flight.remove(10).is_none());
        assert!(in_flight.remove(3).is_none());
        assert!(in_flight.get_mut(6).is_some());
        assert!(in_flight.remove(6).is_some());
        assert!(in_flight.remove(6).is_none());
        assert_eq!(in_flight.drain().count(), 1);
        assert_eq!(in_flight.drain().count(), 0);
    }

    #[test]
    fn extreme_ids_and_a_table_of_no_entries_work() {
        let mut in_flight = InFlight::new(0);
        in_flight.insert(i64::MIN, waiting());
        assert!(in_flight.remove(i64::MIN).is_some());
        let mut in_flight = InFlight::new(256);
        in_flight.insert(i64::MAX, waiting());
        in_flight.insert(i64::MIN, waiting());
        assert!(in_flight.remove(i64::MAX).is_some());
        assert!(in_flight.remove(i64::MIN).is_some());
    }
}
