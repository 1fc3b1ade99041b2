//! The one loop that walks every parameter and item map, driven by a [`MapSpec`] table:
//! keys in any order, unknown keys skipped, duplicate known keys and missing required keys
//! refused, each error naming its field. The structs' own code is a `match` from a field's
//! slot to the shared reader of that field's type (see `int_map!`).

use super::reader::Reader;
use crate::error::field::Field;
use crate::error::{DecodeError, DecodeErrorKind as K};

/// A map's layout: for each field slot, its key and name; which slots are required.
#[derive(Debug)]
pub(crate) struct MapSpec {
    /// The map's own name, for errors about the map as a whole.
    pub(crate) label: Field,
    /// The key of each slot.
    pub(crate) keys: &'static [u8],
    /// The name of each slot.
    pub(crate) fields: &'static [Field],
    /// Bit `i` set: slot `i` must be present.
    pub(crate) required: u8,
}

/// Reads the field with key `k` from the reader into the struct being built.
pub(crate) type ReadField<'f, 'b> = dyn FnMut(u8, &mut Reader<'b>) -> Result<(), DecodeError> + 'f;

/// The mask of `slots` that are true (bit `i` for slot `i`): which are required, or present.
pub(crate) const fn required(slots: &[bool]) -> u8 {
    assert!(slots.len() <= 8, "a map struct has at most 8 fields");
    let mut mask = 0;
    let mut i = 0;
    while i < slots.len() {
        if slots[i] {
            mask |= 1 << i;
        }
        i += 1;
    }
    mask
}

impl MapSpec {
    /// Walks a map: calls `read` with each known key, positioned at its value.
    #[inline(never)]
    pub(crate) fn read<'b>(
        &self,
        r: &mut Reader<'b>,
        read: &mut ReadField<'_, 'b>,
    ) -> Result<(), DecodeError> {
        let start = r.position();
        let outer = r.field;
        let mut len = r.map().map_err(|e| e.in_field(self.label))?;
        let mut seen = 0u8;
        while r.has_next(&mut len)? {
            let key_at = r.position();
            // Fast path: a one-byte key in its slot (keys are 0, 1, 2, … in slot order).
            let slot = match r.input().get(key_at) {
                Some(&b) if usize::from(b) < self.keys.len() && self.keys[usize::from(b)] == b => {
                    r.set_position(key_at + 1);
                    usize::from(b)
                }
                _ => match self.key_slow(r)? {
                    Some(slot) => slot,
                    None => continue,
                },
            };
            let (key, field) = match (self.keys.get(slot), self.fields.get(slot)) {
                (Some(&key), Some(&field)) => (key, field),
                _ => continue,
            };
            if seen & (1 << slot) != 0 {
                return Err(
                    DecodeError::new(K::DuplicateKey(u64::from(key)), key_at).in_field(field)
                );
            }
            seen |= 1 << slot;
            r.field = field;
            read(key, r).map_err(|e| e.in_field(field))?;
        }
        r.field = outer;
        let missing = self.required & !seen;
        if missing != 0 {
            let slot = missing.trailing_zeros() as usize;
            let key = self.key(slot);
            let field = self.fields.get(slot).copied().unwrap_or(Field::NONE);
            return Err(DecodeError::new(K::MissingKey(key), start).in_field(field));
        }
        Ok(())
    }

    /// A key in any other form: its slot, or `None` for an unknown key, which is stepped
    /// over with its value.
    #[cold]
    fn key_slow(&self, r: &mut Reader<'_>) -> Result<Option<usize>, DecodeError> {
        let slot = match r.major()? {
            0 => self.slot(r.uint()?),
            _ => {
                r.skip()?;
                None
            }
        };
        if slot.is_none() {
            r.skip()?;
        }
        Ok(slot)
    }

    /// The slot of `key`, if it is one of the map's.
    #[inline(always)]
    fn slot(&self, key: u64) -> Option<usize> {
        // Keys are usually 0, 1, 2, … in slot order.
        match usize::try_from(key) {
            Ok(k) if self.keys.get(k).is_some_and(|&s| u64::from(s) == key) => Some(k),
            _ => self.keys.iter().position(|&k| u64::from(k) == key),
        }
    }

    /// The key of `slot`.
    fn key(&self, slot: usize) -> u64 {
        self.keys.get(slot).map_or(0, |&k| u64::from(k))
    }
}
