//! The client's requests in flight, by message id, in a fixed array. (The server's tables
//! are slices of the caller's storage.)
//!
//! An entry lives in the slot its id names (the id modulo the capacity), and the session
//! hands out ids whose slot is free ([`Table::vacant`]), so finding, adding and removing a
//! request are one slot's work however many are in flight; only [`Table::iter`] (deadlines,
//! closing) walks the array. A table never grows and never panics: an id whose slot is held
//! by another id is refused with [`TableFull`] and changes nothing.

use core::fmt;

use crate::error::MessageId;

/// The slot of a new entry was taken: it was not inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TableFull {
    /// The table's capacity.
    pub(crate) capacity: usize,
}

impl fmt::Display for TableFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table full ({} entries)", self.capacity)
    }
}

/// At most `N` values, each under its message id.
#[derive(Clone)]
pub(crate) struct Table<V, const N: usize> {
    slots: [Option<(MessageId, V)>; N],
    len: usize,
}

impl<V: fmt::Debug, const N: usize> fmt::Debug for Table<V, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V, const N: usize> Default for Table<V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, const N: usize> Table<V, N> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Table {
            slots: [const { None }; N],
            len: 0,
        }
    }

    /// The slot `id` names; `None` in a table of no slots.
    fn slot(id: MessageId) -> Option<usize> {
        let n = i64::try_from(N).ok().filter(|&n| n > 0)?;
        usize::try_from(id.rem_euclid(n)).ok()
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when every slot is taken.
    pub(crate) fn is_full(&self) -> bool {
        self.len >= N
    }

    /// True when `id` can be inserted: its slot is free.
    pub(crate) fn vacant(&self, id: MessageId) -> bool {
        Self::slot(id).is_some_and(|i| self.slots[i].is_none())
    }

    /// The value for `id`.
    pub(crate) fn get(&self, id: MessageId) -> Option<&V> {
        match &self.slots[Self::slot(id)?] {
            Some((key, value)) if *key == id => Some(value),
            _ => None,
        }
    }

    /// The entries, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (MessageId, &V)> {
        self.slots.iter().flatten().map(|(id, value)| (*id, value))
    }

    /// Inserts or replaces; returns the value replaced. Refused when `id`'s slot holds
    /// another id.
    pub(crate) fn insert(&mut self, id: MessageId, value: V) -> Result<Option<V>, TableFull> {
        let full = TableFull { capacity: N };
        let slot = &mut self.slots[Self::slot(id).ok_or(full)?];
        match slot {
            Some((key, _)) if *key != id => Err(full),
            Some((_, old)) => Ok(Some(core::mem::replace(old, value))),
            None => {
                *slot = Some((id, value));
                self.len += 1;
                Ok(None)
            }
        }
    }

    /// Removes `id`'s entry and returns its value.
    pub(crate) fn remove(&mut self, id: MessageId) -> Option<V> {
        let slot = &mut self.slots[Self::slot(id)?];
        if slot.as_ref().is_some_and(|(key, _)| *key == id) {
            self.len -= 1;
            slot.take().map(|(_, value)| value)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Table, TableFull};

    #[test]
    fn an_entry_is_found_removed_and_replaced_by_its_id_alone() {
        let mut table = Table::<&str, 4>::new();
        assert_eq!(table.insert(6, "six"), Ok(None));
        assert_eq!(table.insert(3, "three"), Ok(None));
        assert_eq!(table.get(6), Some(&"six"));
        // 2 names the same slot as 6, but is not 6.
        assert_eq!(table.get(2), None);
        assert_eq!(table.remove(2), None);
        assert_eq!(table.insert(6, "SIX"), Ok(Some("six")));
        assert_eq!(table.len(), 2);
        assert_eq!(table.remove(6), Some("SIX"));
        assert_eq!((table.len(), table.get(6)), (1, None));
    }

    #[test]
    fn an_id_whose_slot_is_taken_is_refused_and_changes_nothing() {
        let mut table = Table::<u8, 4>::new();
        assert_eq!(table.insert(5, 5), Ok(None));
        assert!(!table.vacant(9) && table.vacant(6));
        assert_eq!(table.insert(9, 9), Err(TableFull { capacity: 4 }));
        assert_eq!(
            (table.len(), table.get(5), table.get(9)),
            (1, Some(&5), None)
        );
    }

    #[test]
    fn negative_and_extreme_ids_have_a_slot() {
        let mut table = Table::<u8, 3>::new();
        for (id, value) in [(-1, 1), (i64::MAX, 2), (-3, 3)] {
            assert_eq!(table.insert(id, value), Ok(None), "{id}");
        }
        assert!(table.is_full());
        let mut entries: [(i64, u8); 3] = [(0, 0); 3];
        for (entry, (id, value)) in entries.iter_mut().zip(table.iter()) {
            *entry = (id, *value);
        }
        entries.sort_unstable();
        assert_eq!(entries, [(-3, 3), (-1, 1), (i64::MAX, 2)]);
        // i64::MIN names i64::MAX's slot.
        assert_eq!(table.insert(i64::MIN, 4), Err(TableFull { capacity: 3 }));
        assert_eq!(table.get(i64::MIN), None);
        assert_eq!(table.remove(i64::MIN), None);
    }

    #[test]
    fn a_table_of_no_slots_refuses_everything() {
        let mut table = Table::<u8, 0>::new();
        assert!(table.is_full() && !table.vacant(1));
        assert_eq!(table.insert(1, 1), Err(TableFull { capacity: 0 }));
        assert_eq!((table.get(1), table.iter().count()), (None, 0));
        assert_eq!(table.remove(1), None);
    }
}
