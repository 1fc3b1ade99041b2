//! The sub-session table, in the caller's storage: each open sub-session's id and what
//! the application keeps for it ([`Application::Identity`](super::Application::Identity)).

use core::fmt;

use uuid::Uuid;

/// One entry of a session's sub-session table: the element type of the sub-session
/// storage ([`ServerStorage::new`](super::ServerStorage::new)). Opaque.
pub struct SubSessionSlot<I>(Option<(Uuid, I)>);

impl<I> SubSessionSlot<I> {
    /// An unused entry, to fill arrays with.
    pub const EMPTY: Self = SubSessionSlot(None);
}

impl<I> Default for SubSessionSlot<I> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<I> fmt::Debug for SubSessionSlot<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some((id, _)) => f.debug_tuple("SubSessionSlot").field(id).finish(),
            None => f.write_str("SubSessionSlot(free)"),
        }
    }
}

/// The sub-session table over the caller's storage. A new id in a full table is refused;
/// an id that is there has its entry replaced.
pub(super) struct SubSessions<'t, I>(pub(super) &'t mut [SubSessionSlot<I>]);

/// The open sub-sessions in `table`.
pub(super) fn entries<I>(table: &[SubSessionSlot<I>]) -> impl Iterator<Item = (&Uuid, &I)> {
    table
        .iter()
        .filter_map(|s| s.0.as_ref().map(|(id, i)| (id, i)))
}

impl<I> SubSessions<'_, I> {
    /// The open sub-sessions.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Uuid, &I)> {
        entries(self.0)
    }

    /// The identity of sub-session `id`.
    pub(super) fn get(&self, id: &Uuid) -> Option<&I> {
        self.iter().find(|(k, _)| *k == id).map(|(_, i)| i)
    }

    /// True when `id` is open.
    pub(super) fn contains(&self, id: &Uuid) -> bool {
        self.get(id).is_some()
    }

    /// Opens (or replaces) sub-session `id`; `false` when the table is full.
    pub(super) fn insert(&mut self, id: Uuid, identity: I) -> bool {
        let taken = |s: &SubSessionSlot<I>| s.0.as_ref().is_some_and(|(k, _)| *k == id);
        let at = match self.0.iter().position(taken) {
            Some(at) => Some(at),
            None => self.0.iter().position(|s| s.0.is_none()),
        };
        match at {
            Some(at) => {
                self.0[at].0 = Some((id, identity));
                true
            }
            None => false,
        }
    }

    /// Closes sub-session `id`; its identity, if it was open.
    pub(super) fn remove(&mut self, id: &Uuid) -> Option<I> {
        let slot = self
            .0
            .iter_mut()
            .find(|s| s.0.as_ref().is_some_and(|(k, _)| k == id))?;
        slot.0.take().map(|(_, identity)| identity)
    }
}
