//! Lazy reading: what a [`Batch`](crate::Batch) leaves unread, and where it continues.
//!
//! A packet whose last part is a sequence (a request's attribute list, an event's values)
//! or a success item is handed out before that part is walked. Whoever reads the part to
//! its end records in the batch's [`Frontier`] where it ended, and the batch (or the
//! sequence whose element it was) continues from there instead of stepping over the same
//! bytes again. What nobody reads is stepped over when the iteration moves on.
//!
//! The state lives here, apart from the CBOR cursor that carries it through the typed
//! readers ([`Lazy`], one field of the [`Reader`](crate::cbor::Reader)). This module reads
//! no CBOR: it depends on nothing but the field names of errors, so that the CBOR layer
//! below the packets can hold it without importing from them.

use crate::error::field::Field;

/// "No packet": the reader is not inside a packet, so errors carry no id.
pub(crate) const NO_PACKET: u32 = u32::MAX;

/// Whether a packet's last part may be left to its reader at all. `false` builds the crate
/// without the frontier (every last part stepped over when its packet is read, and walked
/// again when it is read), to measure what the frontier saves.
const DEFER: bool = true;

/// Where the last lazily read item of a message ended, shared by a [`Batch`](crate::Batch)
/// and every sequence and success item read from it.
///
/// An item is named by the offset where it starts, so a record is a fact about the message,
/// whoever made it; one that does not match the item waited for only means stepping over
/// it. One atomic word, so that packets stay `Send` and `Sync`: where 64-bit atomics are
/// missing (Cortex-M), the word holds 16-bit offsets and items of larger messages are not
/// recorded (they are stepped over instead).
#[derive(Debug)]
pub(crate) struct Frontier(Word);

#[cfg(target_has_atomic = "64")]
type Word = core::sync::atomic::AtomicU64;
#[cfg(not(target_has_atomic = "64"))]
type Word = core::sync::atomic::AtomicU32;

const RELAXED: core::sync::atomic::Ordering = core::sync::atomic::Ordering::Relaxed;

impl Frontier {
    /// Nothing recorded yet.
    pub(crate) const fn new() -> Self {
        Frontier(Word::new(!0))
    }

    /// The item at `start` ends at `end`.
    #[inline]
    pub(crate) fn record(&self, start: u32, end: usize) {
        #[cfg(target_has_atomic = "64")]
        self.0.store(u64::from(start) << 32 | end as u64, RELAXED);
        #[cfg(not(target_has_atomic = "64"))]
        // A start of 0xffff is the empty word's.
        if let (Ok(start), Some(len @ 0..0x1_0000)) =
            (u16::try_from(start), end.checked_sub(start as usize))
            && start != u16::MAX
        {
            self.0.store(u32::from(start) << 16 | len as u32, RELAXED);
        }
    }

    /// Where the item at `start` ends, if that was recorded last.
    #[inline]
    pub(crate) fn end_of(&self, start: u32) -> Option<usize> {
        let word = self.0.load(RELAXED);
        #[cfg(target_has_atomic = "64")]
        return ((word >> 32) as u32 == start).then_some(word as u32 as usize);
        #[cfg(not(target_has_atomic = "64"))]
        return ((word >> 16) == start).then_some(start as usize + (word & 0xffff) as usize);
    }
}

/// A batch's message with its [`Frontier`]: what the packets read from a batch borrow.
#[derive(Debug)]
pub(crate) struct Shared<'b> {
    message: &'b [u8],
    frontier: Frontier,
}

impl<'b> Shared<'b> {
    /// `message`, nothing recorded.
    pub(crate) const fn new(message: &'b [u8]) -> Self {
        Shared {
            message,
            frontier: Frontier::new(),
        }
    }

    /// The message.
    #[inline]
    pub(crate) fn message(&self) -> &'b [u8] {
        self.message
    }
}

/// Where a lazily read part (a sequence, a success item) reads from: a message alone, or
/// a batch's, whose frontier it tells where it ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'b> {
    /// A message read without a batch (or a batch iterated by value).
    Message(&'b [u8]),
    /// A batch's message.
    Batch(&'b Shared<'b>),
}

impl<'b> Source<'b> {
    /// The message.
    #[inline]
    pub(crate) fn bytes(self) -> &'b [u8] {
        match self {
            Source::Message(bytes) => bytes,
            Source::Batch(shared) => shared.message,
        }
    }

    /// The frontier, for a batch's message.
    #[inline]
    pub(crate) fn frontier(self) -> Option<&'b Frontier> {
        match self {
            Source::Message(_) => None,
            Source::Batch(shared) => Some(&shared.frontier),
        }
    }

    /// Where the item at `start` ends, if its reader recorded that.
    #[inline]
    pub(crate) fn end_of(self, start: u32) -> Option<usize> {
        self.frontier()?.end_of(start)
    }

    /// Records that the item at `start` ends at `end` (nothing for a message alone).
    #[inline]
    pub(crate) fn record(self, start: u32, end: usize) {
        if let Some(frontier) = self.frontier() {
            frontier.record(start, end);
        }
    }
}

/// An item left unread at the end of a packet or sequence element, for its reader.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deferred {
    /// Where it starts.
    pub(crate) start: u32,
    /// A sequence (else a success item): how to step over it when its end is not recorded.
    pub(crate) seq: bool,
    /// Its field, named in its errors.
    pub(crate) field: Field,
}

/// The lazy-reading state a reader carries through one packet (or one sequence element):
/// the batch it reads from, the packet and field it is in (which a part read lazily keeps,
/// for its errors), whether the next item ends everything around it, and what it left
/// unread.
///
/// Flat, 16 bytes on 32-bit targets: every reader holds one, on the stack of every decode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lazy<'b> {
    /// The batch read from; `None` when nothing may be left unread.
    shared: Option<&'b Shared<'b>>,
    /// The offset of the packet being read ([`NO_PACKET`] outside one): a part read lazily
    /// keeps it, so that its errors can name the packet's message id.
    packet: u32,
    /// Where the item left unread starts ([`NONE`]: none was). The reader's position is
    /// then meaningless, and nothing more may be read.
    left: u32,
    /// The field of the item left unread.
    left_field: Field,
    /// The item left unread is a sequence (else a success item).
    left_seq: bool,
    /// The field being read: an error names it.
    field: Field,
    /// True when the next item is the last one of everything around it up to the packet
    /// (or sequence element) being read, all of definite length: a sequence there may be
    /// left unread, since nothing after it has to be found.
    tail: bool,
}

/// "None" for [`Lazy::left`].
const NONE: u32 = u32::MAX;

impl<'b> Lazy<'b> {
    /// Reading `source` inside the packet at offset `packet`.
    #[inline]
    pub(crate) fn new(source: Source<'b>, packet: u32) -> Self {
        Lazy {
            shared: match source {
                Source::Message(_) => None,
                Source::Batch(shared) => Some(shared),
            },
            packet,
            left: NONE,
            left_field: Field::NONE,
            left_seq: false,
            field: Field::NONE,
            tail: false,
        }
    }

    /// What a part read now reads from when it is read later.
    #[inline]
    pub(crate) fn source(&self, input: &'b [u8]) -> Source<'b> {
        match self.shared {
            Some(shared) => Source::Batch(shared),
            None => Source::Message(input),
        }
    }

    /// True when reading from a batch: a last part may be left to its reader.
    #[inline]
    pub(crate) fn in_batch(&self) -> bool {
        self.shared.is_some()
    }

    /// Where the item at `start` ends, if its reader recorded that.
    #[inline]
    pub(crate) fn end_of(&self, start: u32) -> Option<usize> {
        self.shared?.frontier.end_of(start)
    }

    /// The field being read.
    #[inline]
    pub(crate) fn field(&self) -> Field {
        self.field
    }

    /// Now reading `field`; returns the field read before.
    #[inline]
    pub(crate) fn set_field(&mut self, field: Field) -> Field {
        core::mem::replace(&mut self.field, field)
    }

    /// The offset of the packet being read ([`NO_PACKET`] outside one).
    #[inline]
    pub(crate) fn packet(&self) -> u32 {
        self.packet
    }

    /// Now inside the packet at offset `packet`.
    #[inline]
    pub(crate) fn enter_packet(&mut self, packet: u32) {
        self.packet = packet;
    }

    /// True when the next item ends everything around it up to its packet (or sequence
    /// element).
    #[inline]
    pub(crate) fn is_tail(&self) -> bool {
        self.tail
    }

    /// Says whether the next item ends everything around it up to its packet (or sequence
    /// element).
    #[inline]
    pub(crate) fn set_tail(&mut self, tail: bool) {
        self.tail = tail;
    }

    /// True when the next item may be left unread: it ends its packet (or sequence
    /// element), and the batch read from will wait for its end.
    #[inline]
    pub(crate) fn may_defer(&self) -> bool {
        self.may_leave(self.tail)
    }

    /// True when an item that is `last` in its packet may be left unread.
    #[inline]
    pub(crate) fn may_leave(&self, last: bool) -> bool {
        DEFER && last && self.shared.is_some()
    }

    /// Leaves the item at `start` (`field`) unread, for its reader: a sequence (its
    /// iteration) or else a success item (its typing).
    #[inline]
    pub(crate) fn defer(&mut self, start: usize, seq: bool, field: Field) {
        self.left = start as u32;
        self.left_seq = seq;
        self.left_field = field;
    }

    /// True when an item was left unread.
    #[inline]
    pub(crate) fn has_left(&self) -> bool {
        self.left != NONE
    }

    /// Takes the item left unread, if any.
    #[inline]
    pub(crate) fn take_left(&mut self) -> Option<Deferred> {
        match core::mem::replace(&mut self.left, NONE) {
            NONE => None,
            start => Some(Deferred {
                start,
                seq: self.left_seq,
                field: self.left_field,
            }),
        }
    }
}
