//! The one walker every parameter and item map goes through, driven by a [`MapSpec`]
//! table: keys in any order, unknown keys skipped, duplicate known keys and missing
//! required keys refused, each error naming its field.
//!
//! The walker hands each known key's slot back to the struct's own loop (`int_map!`),
//! which reads the value with the shared reader of the field's type: no closure, no call
//! per key on the common path (a one-byte key is its own slot).

use super::reader::{Len, Reader};
use crate::error::DecodeErrorKind as K;
use crate::error::field::Field;

/// A map's layout: the name of each field slot (slot `i` has key `i`), which are required.
#[derive(Debug)]
pub(crate) struct MapSpec {
    /// The map's own name, for errors about the map as a whole.
    pub(crate) label: Field,
    /// The name of each slot; slot `i` is key `i`.
    pub(crate) fields: &'static [Field],
    /// Bit `i` set: slot `i` must be present.
    pub(crate) required: u8,
}

/// The mask of `slots` that are true (bit `i` for slot `i`): which are required.
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

/// Checks that `keys` are 0, 1, 2, … (each key is its slot).
pub(crate) const fn keys_are_slots(keys: &[usize]) -> bool {
    let mut i = 0;
    while i < keys.len() {
        if keys[i] != i {
            return false;
        }
        i += 1;
    }
    true
}

/// A walk through one map, from [`MapSpec::walk`].
#[derive(Debug)]
pub(crate) struct MapWalk {
    len: Len,
    /// Bit `i`: slot `i` was read.
    seen: u8,
    /// The field around the map, restored at its end.
    outer: Field,
    /// The map is the tail of what is read around it, and definite.
    tail: bool,
    /// Where the map starts (missing keys are reported there).
    start: u32,
}

impl MapSpec {
    /// Reads the map's head and starts a walk.
    #[inline]
    pub(crate) fn walk(&self, r: &mut Reader<'_>) -> MapWalk {
        let start = r.position() as u32;
        let outer = r.field();
        let tail = r.lazy().is_tail();
        let len = r.in_field(self.label, Reader::map);
        MapWalk {
            len,
            seen: 0,
            outer,
            tail: tail && len.count().is_some(),
            start,
        }
    }
}

impl MapWalk {
    inlining! { hot:
        /// The slot of the next known key, with the reader at its value and the value's
        /// field set; `None` at the end of the map, or once reading failed.
        pub(crate) fn next(&mut self, spec: &MapSpec, r: &mut Reader<'_>) -> Option<usize> {
            // Fast path: a definite map's next key, one byte, a slot not seen yet. (A reader
            // that failed is at the end of its input: no byte.)
            if let Some(n) = self.len.count() {
                if n == 0 {
                    return None;
                }
                if let Some(b) = r.peek()
                    && usize::from(b) < spec.fields.len()
                    && self.seen & (1 << b) == 0
                {
                    self.len = Len::definite(n - 1);
                    self.seen |= 1 << b;
                    r.set_position(r.position() + 1);
                    r.set_field(spec.fields[usize::from(b)]);
                    r.lazy_mut().set_tail(self.tail && n == 1);
                    return Some(usize::from(b));
                }
            }
            // By value, so that the walk stays in registers on the fast path.
            let (len, seen, slot) = next_slow(spec, r, self.len, self.seen, self.outer, self.tail);
            (self.len, self.seen) = (len, seen);
            slot.map(usize::from)
        }
    }

    /// Ends the walk: a required key the map lacks is an error.
    #[inline]
    pub(crate) fn end(self, spec: &MapSpec, r: &mut Reader<'_>) {
        r.set_field(self.outer);
        let missing = spec.required & !self.seen;
        if missing != 0 && !r.failed() {
            self.missing(spec, r, missing);
        }
    }

    #[cold]
    #[inline(never)]
    fn missing(&self, spec: &MapSpec, r: &mut Reader<'_>, missing: u8) {
        let slot = missing.trailing_zeros() as usize;
        r.in_field(spec.fields[slot], |r| {
            r.fail(K::MissingKey(slot as u64), self.start as usize);
        });
    }
}

/// Every key but a new one-byte key of a definite map: longer keys, unknown keys (stepped
/// over), duplicates, the end of an indefinite map, a failed reader. The walk's length and
/// seen slots after it, and the slot found.
#[inline(never)]
fn next_slow(
    spec: &MapSpec,
    r: &mut Reader<'_>,
    mut len: Len,
    mut seen: u8,
    outer: Field,
    tail: bool,
) -> (Len, u8, Option<u8>) {
    loop {
        r.set_field(outer);
        if !r.has_next(&mut len) {
            return (len, seen, None);
        }
        let at = r.position();
        let slot = match r.peek() {
            Some(b) if usize::from(b) < spec.fields.len() => {
                r.set_position(at + 1);
                usize::from(b)
            }
            _ => match key_slow(spec, r) {
                Some(slot) => slot,
                None => continue,
            },
        };
        let bit = 1u8 << slot;
        r.set_field(spec.fields[slot]);
        if seen & bit != 0 {
            r.fail(K::DuplicateKey(slot as u64), at);
            return (len, seen, None);
        }
        seen |= bit;
        r.lazy_mut().set_tail(tail && len.is_done());
        return (len, seen, Some(slot as u8));
    }
}

/// A key in any other form: its slot, or `None` for an unknown key, which is stepped over
/// with its value (or when reading failed).
#[cold]
#[inline(never)]
fn key_slow(spec: &MapSpec, r: &mut Reader<'_>) -> Option<usize> {
    let slot = match r.major() {
        0 => usize::try_from(r.uint())
            .ok()
            .filter(|&k| k < spec.fields.len()),
        _ => {
            r.skip();
            None
        }
    };
    if slot.is_none() {
        r.skip();
    }
    slot.filter(|_| !r.failed())
}
