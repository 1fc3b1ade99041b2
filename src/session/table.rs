//! A fixed-capacity table on [`heapless::LinearMap`]: the client's pending requests. (The
//! server's tables are slices of the caller's storage.)
//!
//! A table never grows and never panics: inserting a new key into a full table is refused
//! with [`TableFull`] and changes nothing; inserting a key that is already there replaces its
//! value, full or not. Lookups are linear, which is the fastest choice for the small
//! capacities a session needs (tens of entries).

use core::fmt;

use heapless::LinearMap;

/// A table was full: the new entry was not inserted.
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

/// A map of at most `N` entries.
pub(crate) struct Table<K, V, const N: usize> {
    map: LinearMap<K, V, N>,
}

impl<K: Eq + Clone, V: Clone, const N: usize> Clone for Table<K, V, N> {
    fn clone(&self) -> Self {
        Table {
            map: self.map.clone(),
        }
    }
}

impl<K: Eq + fmt::Debug, V: fmt::Debug, const N: usize> fmt::Debug for Table<K, V, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map.iter()).finish()
    }
}

impl<K: Eq, V, const N: usize> Default for Table<K, V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq, V, const N: usize> Table<K, V, N> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Table {
            map: LinearMap::new(),
        }
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// True when a new key would be refused.
    pub(crate) fn is_full(&self) -> bool {
        self.map.is_full()
    }

    /// True when `key` has an entry.
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// The value for `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// The entries, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    /// Inserts or replaces; returns the value replaced. A new key in a full table is refused.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Result<Option<V>, TableFull> {
        self.map
            .insert(key, value)
            .map_err(|_| TableFull { capacity: N })
    }

    /// Removes `key`'s entry and returns its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key)
    }
}
