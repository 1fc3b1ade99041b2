//! The lazy-reading side of the [`Reader`]: the state of [`crate::frontier`] it carries
//! through the typed readers, and the reads that state needs (stepping over what was left
//! unread, naming the packet an error is in).

use super::reader::Reader;
use crate::error::Expected;
use crate::frontier::{Deferred, Lazy, Source};

impl<'b> Reader<'b> {
    /// The lazy-reading state.
    #[inline]
    pub(crate) fn lazy(&self) -> &Lazy<'b> {
        &self.lazy
    }

    /// The lazy-reading state, to change.
    #[inline]
    pub(crate) fn lazy_mut(&mut self) -> &mut Lazy<'b> {
        &mut self.lazy
    }

    /// `read` as an item that is not the last one around it (nothing in it may be left
    /// unread), then back.
    #[inline(always)]
    pub(crate) fn not_tail<T>(&mut self, read: impl FnOnce(&mut Self) -> T) -> T {
        let tail = self.lazy.is_tail();
        self.lazy.set_tail(false);
        let value = read(self);
        self.lazy.set_tail(tail);
        value
    }

    /// Leaves the item at `start` unread, in the current field, for its reader (a
    /// sequence: its iteration; else a success item: its typing).
    #[inline]
    pub(crate) fn defer(&mut self, start: usize, seq: bool) {
        let field = self.field();
        self.lazy.defer(start, seq, field);
    }

    /// Moves past the item left unread at `start`: to where its reader recorded that it
    /// ended, else by stepping over it as it would have been when read (a sequence's
    /// elements each from where it starts, as `Seq` steps over them).
    #[inline(never)]
    pub(crate) fn skip_deferred(&mut self, item: Deferred) {
        if let Some(end) = self.lazy.end_of(item.start) {
            self.set_position(end);
            return;
        }
        self.set_position(item.start as usize);
        self.in_field(item.field, |r| {
            if !item.seq {
                r.skip();
            } else {
                let map = r.peek().is_some_and(|b| b >> 5 == 5);
                let len = r.container(if map { 5 } else { 4 }, Expected::Array);
                if let Some(n) = len.count() {
                    r.skip_items(n.saturating_mul(1 + u64::from(map)));
                }
            }
        });
    }

    /// What a part read now reads from when it is read later.
    #[inline]
    pub(crate) fn source(&self) -> Source<'b> {
        self.lazy.source(self.input())
    }

    /// The message id of the packet this reader is in: the second element of the request,
    /// success or error packet (`[type, id, …]`) at offset [`Lazy::packet`].
    #[cold]
    pub(crate) fn packet_id(&self) -> Option<i64> {
        self.id_of(self.lazy.packet())
    }

    /// The message id of the packet at offset `packet`, as [`Reader::packet_id`].
    #[cold]
    pub(crate) fn id_of(&self, packet: u32) -> Option<i64> {
        let mut r = Reader::at(self.input(), packet as usize);
        if !matches!(r.peek(), Some(b) if b >> 5 == 4) {
            return None;
        }
        r.array();
        let id = match r.uint() {
            0..=2 => r.int(),
            _ => return None,
        };
        (!r.failed()).then_some(id)
    }
}
