//! Reply storage: the caller's buffers, cut into `MESSAGES` reply messages that fill as
//! answers come and leave in request order.
//!
//! Each reply message gets an equal share of the bytes and of the slots. A slot is one
//! request's place: waiting (with [`RESERVE`] bytes kept for it) or answered (its encoded
//! response packet is in the message's bytes, in the order answers came).

use uuid::Uuid;

use crate::cbor::Writer;
use crate::error::{EncodeError, ErrorCode, MessageId};
use crate::model::{ErrorObject, Text as Message};
use crate::op::Opcode;
use crate::packet::{ErrorResponse, Success};

/// Bytes of a reply message kept free for each unanswered request: the largest error
/// packet without a message, `[2, id, {0: code}]` with a 9-byte id and a 9-byte code.
pub const RESERVE: usize = 22;

/// One request's place in a reply message: the element type of the slot storage a
/// [`ServerSession`](super::ServerSession) is given ([`ReplyStorage::new`]). Opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplySlot(pub(super) SlotState);

impl ReplySlot {
    /// An unused slot, to fill arrays with.
    pub const EMPTY: ReplySlot = ReplySlot(SlotState::Done { start: 0, len: 0 });
}

impl Default for ReplySlot {
    fn default() -> Self {
        ReplySlot::EMPTY
    }
}

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotState {
    /// Not answered: `RESERVE` bytes are kept for it.
    Waiting {
        id: MessageId,
        opcode: Option<Opcode>,
        subscription: Option<Uuid>,
    },
    /// The encoded response packet is `bytes[start..start + len]`.
    Done { start: u32, len: u32 },
}

/// The caller's storage for a server session's reply messages (smoltcp's
/// `Socket::new(rx_buffer, tx_buffer)`): `bytes` for the encoded responses and `slots` for
/// the requests' places, both split evenly among the session's `MESSAGES` reply messages.
///
/// A reply message holds at most `slots.len() / MESSAGES` responses and
/// `bytes.len() / MESSAGES` bytes (less the array head); a request message with more
/// requests than that is answered -32603 packet by packet
/// ([module docs](crate::session#limits)).
#[derive(Debug)]
pub struct ReplyStorage<'a> {
    bytes: &'a mut [u8],
    slots: &'a mut [ReplySlot],
}

impl<'a> ReplyStorage<'a> {
    /// Storage over the caller's buffers.
    pub fn new(bytes: &'a mut [u8], slots: &'a mut [ReplySlot]) -> Self {
        ReplyStorage { bytes, slots }
    }

    /// Bytes in all.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Slots in all.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}

/// Reply storage in one value, for a caller that wants it inline (in a `static`, a `Box`,
/// a task's state): `BYTES` bytes and `SLOTS` slots. The defaults give each of a session's
/// four reply messages 8 KiB and 32 responses.
#[derive(Debug, Clone)]
pub struct ReplyBuffers<const BYTES: usize = 32768, const SLOTS: usize = 128> {
    bytes: [u8; BYTES],
    slots: [ReplySlot; SLOTS],
}

impl<const BYTES: usize, const SLOTS: usize> ReplyBuffers<BYTES, SLOTS> {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        ReplyBuffers {
            bytes: [0; BYTES],
            slots: [ReplySlot::EMPTY; SLOTS],
        }
    }

    /// The storage to give [`ServerSession::new`](super::ServerSession::new).
    pub fn storage(&mut self) -> ReplyStorage<'_> {
        ReplyStorage::new(&mut self.bytes, &mut self.slots)
    }
}

impl<const BYTES: usize, const SLOTS: usize> Default for ReplyBuffers<BYTES, SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bookkeeping of one reply message.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Head {
    /// Which request message it answers (slots carry it).
    pub(super) seq: u32,
    /// Bytes of encoded responses.
    used: usize,
    /// Slots taken.
    slots: usize,
    /// Slots waiting for an answer.
    pub(super) waiting: usize,
    /// Slots the message being handled has still to add: their `RESERVE` is kept too.
    pub(super) to_add: usize,
    /// Packets written in request order without slots (a message over the limits).
    inline: usize,
}

/// One reply message: its head and its share of the storage. Non-generic, so the code that
/// fills replies exists once whatever the session's capacities.
pub(super) struct ReplyMut<'r> {
    pub(super) head: &'r mut Head,
    bytes: &'r mut [u8],
    slots: &'r mut [ReplySlot],
}

impl ReplyMut<'_> {
    /// The slot at `index`, when it is taken.
    pub(super) fn slot(&mut self, index: usize) -> Option<&mut SlotState> {
        let taken = self.head.slots;
        self.slots[..taken].get_mut(index).map(|s| &mut s.0)
    }

    /// Adds a waiting slot; `None` when the slots are used up (checked before).
    pub(super) fn add(&mut self, id: MessageId, opcode: Option<Opcode>) -> Option<usize> {
        let index = self.head.slots;
        *self.slots.get_mut(index)? = ReplySlot(SlotState::Waiting {
            id,
            opcode,
            subscription: None,
        });
        self.head.slots += 1;
        self.head.waiting += 1;
        self.head.to_add = self.head.to_add.saturating_sub(1);
        Some(index)
    }

    /// True when a message of `packets` requests can be answered within the limits.
    pub(super) fn fits(&self, packets: usize) -> bool {
        packets <= self.slots.len() && packets.saturating_mul(RESERVE) <= self.bytes.len()
    }

    /// The most requests one message may hold.
    pub(super) fn limit(&self) -> usize {
        self.slots.len().min(self.bytes.len() / RESERVE)
    }

    /// Encodes `answer` after the packets already written, within `room` bytes; returns
    /// `(start, len)`, or `None` when it does not fit.
    fn append(&mut self, answer: Answer<'_, '_>, room: usize) -> Option<(usize, usize)> {
        let start = self.head.used;
        let end = start.saturating_add(room).min(self.bytes.len());
        let mut w = Writer::new(self.bytes.get_mut(start..end)?);
        // A server writes successes and errors only: it links no request encoder.
        match answer {
            Answer::Success(s) => s.write(&mut w),
            Answer::Error(e) => e.write(&mut w),
        }
        let n = w.finish().ok()?;
        self.head.used += n;
        Some((start, n))
    }

    /// Writes the answer for slot `index`, keeping `RESERVE` bytes for every other
    /// waiting slot and every slot still to come. What does not fit becomes an error
    /// packet that does.
    pub(super) fn write(&mut self, index: usize, answer: Answer<'_, '_>) {
        let others = self.head.waiting.saturating_sub(1) + self.head.to_add;
        let room = self
            .bytes
            .len()
            .saturating_sub(self.head.used)
            .saturating_sub(RESERVE * others);
        let (id, code) = match answer {
            Answer::Error(e) => (e.id, e.error.code),
            Answer::Success(s) => (s.id, ErrorCode::InternalError),
        };
        let too_large = |message| ErrorResponse {
            id,
            error: ErrorObject { code, message },
        };
        let written = self
            .append(answer, room)
            .or_else(|| {
                let e = too_large(Some(Message::new("response too large")));
                self.append(Answer::Error(&e), room)
            })
            // At most RESERVE bytes, which `room` always has.
            .or_else(|| self.append(Answer::Error(&too_large(None)), room));
        if let (Some((start, len)), Some(slot)) = (written, self.slot(index)) {
            *slot = SlotState::Done {
                start: start as u32,
                len: len as u32,
            };
            self.head.waiting = self.head.waiting.saturating_sub(1);
        }
    }

    /// Writes an error in request order without a slot (a message over the limits).
    pub(super) fn write_inline(&mut self, error: &ErrorResponse<'_>) -> bool {
        let room = self.bytes.len();
        let written = self.append(Answer::Error(error), room).is_some();
        self.head.inline += usize::from(written);
        written
    }

    /// Packets written without slots.
    pub(super) fn inline(&self) -> usize {
        self.head.inline
    }

    /// True when one more slot keeps every waiting one its `RESERVE` bytes.
    pub(super) fn has_room(&self) -> bool {
        let reserved = RESERVE * (self.head.waiting + self.head.to_add + 1);
        self.head.slots < self.slots.len()
            && self.bytes.len().saturating_sub(self.head.used) >= reserved
    }

    /// The packet count of the reply message.
    pub(super) fn count(&self) -> usize {
        self.head.slots + self.head.inline
    }
}

impl Head {
    fn count(&self) -> usize {
        self.slots + self.inline
    }

    /// The reply message's length.
    fn message_len(&self) -> usize {
        array_head(self.count(), &mut [0; 9]) + self.used
    }
}

/// Writes the head of an array of `n` items into `head`; returns its length.
fn array_head(n: usize, head: &mut [u8; 9]) -> usize {
    let mut w = Writer::new(head);
    w.array(n as u64);
    w.len()
}

/// What goes into a reply message.
#[derive(Clone, Copy)]
pub(super) enum Answer<'a, 'b> {
    /// A success.
    Success(&'a Success<'b>),
    /// An error.
    Error(&'a ErrorResponse<'b>),
}

/// The ring of `M` reply messages over the caller's storage.
pub(super) struct Ring<'a, const M: usize> {
    storage: ReplyStorage<'a>,
    heads: [Head; M],
    /// The oldest open message.
    front: usize,
    /// Open messages, from `front` on (ring order is arrival order).
    open: usize,
    next_seq: u32,
}

impl<'a, const M: usize> Ring<'a, M> {
    pub(super) fn new(storage: ReplyStorage<'a>) -> Self {
        const { assert!(M > 0, "a server session needs at least one reply message") };
        Ring {
            storage,
            heads: [Head::default(); M],
            front: 0,
            open: 0,
            next_seq: 0,
        }
    }

    /// Reply messages being filled or waiting to be sent.
    pub(super) fn open(&self) -> usize {
        self.open
    }

    fn open_indices(&self) -> impl Iterator<Item = usize> + use<M> {
        let front = self.front;
        (0..self.open).map(move |k| (front + k) % M)
    }

    /// Requests waiting for an answer, in every open message.
    pub(super) fn waiting(&self) -> usize {
        self.open_indices().map(|i| self.heads[i].waiting).sum()
    }

    /// Opens a reply message at the back; `None` when all are in use.
    pub(super) fn open_back(&mut self) -> Option<u32> {
        if self.open >= M {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.heads[(self.front + self.open) % M] = Head {
            seq,
            ..Head::default()
        };
        self.open += 1;
        Some(seq)
    }

    /// Closes the message opened last, unsent (its request message was refused).
    pub(super) fn close_back(&mut self) {
        self.open -= 1;
    }

    /// The open reply message answering request message `seq`.
    pub(super) fn get(&mut self, seq: u32) -> Option<ReplyMut<'_>> {
        let index = self.open_indices().find(|&i| self.heads[i].seq == seq)?;
        let bytes_each = self.storage.bytes.len() / M;
        let slots_each = self.storage.slots.len() / M;
        let bytes = &mut self.storage.bytes[index * bytes_each..][..bytes_each];
        let slots = &mut self.storage.slots[index * slots_each..][..slots_each];
        Some(ReplyMut {
            head: &mut self.heads[index],
            bytes,
            slots,
        })
    }

    /// The length of the front message when it is complete.
    pub(super) fn transmit_len(&self) -> Option<usize> {
        let front = self.heads.get(self.front).filter(|_| self.open > 0)?;
        (front.waiting == 0).then(|| front.message_len())
    }

    /// Writes the front message (request order) into `out` when it is complete, and
    /// takes it out of the ring.
    pub(super) fn pop_front(&mut self, out: &mut [u8]) -> Result<Option<usize>, EncodeError> {
        let Some(required) = self.transmit_len() else {
            return Ok(None);
        };
        let Some(out) = out.get_mut(..required) else {
            return Err(EncodeError::BufferTooSmall { required });
        };
        let index = self.front;
        let head = self.heads[index];
        let bytes_each = self.storage.bytes.len() / M;
        let slots_each = self.storage.slots.len() / M;
        let bytes = &self.storage.bytes[index * bytes_each..][..head.used];
        let slots = &self.storage.slots[index * slots_each..][..head.slots];
        let mut array = [0u8; 9];
        let mut at = array_head(head.count(), &mut array);
        out[..at].copy_from_slice(&array[..at]);
        if head.inline > 0 {
            out[at..].copy_from_slice(bytes);
        } else {
            for slot in slots {
                if let SlotState::Done { start, len } = slot.0 {
                    let (start, len) = (start as usize, len as usize);
                    out[at..at + len].copy_from_slice(&bytes[start..start + len]);
                    at += len;
                }
            }
        }
        self.front = (self.front + 1) % M;
        self.open -= 1;
        Ok(Some(required))
    }
}
