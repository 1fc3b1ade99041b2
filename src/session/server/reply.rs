//! Reply storage: the caller's buffers, cut into reply messages that fill as answers come
//! and leave in request order, and the [`Ticket`] that names one request's place.
//!
//! Each reply message gets an equal share of the bytes and of the slots. A slot is one
//! request's place: waiting (with [`RESERVE`] bytes kept for it) or answered (its encoded
//! response packet is in the message's bytes, in the order answers came).

use crate::batch::{BatchWriter, message_len};
use crate::cbor::Writer;
use crate::error::{EncodeError, ErrorCode, MessageId};
use crate::model::{ErrorObject, Text};
use crate::op::Opcode;
use crate::packet::{ErrorResponse, Success};

/// Bytes of a reply message kept free for each unanswered request: the largest error
/// packet without a message, `[2, id, {0: code}]` with a 9-byte id and a 9-byte code.
pub(super) const RESERVE: usize = 22;

/// The longest error message the machine writes itself; longer ones are cut.
pub(super) const TEXT: usize = 96;

/// A request waiting for its answer: what
/// [`ServerSession::answer`](super::ServerSession::answer) takes after
/// [`Reply::later`](super::Reply::later).
///
/// A ticket belongs to the session that made it and is used once: it carries a tag of the
/// session's reply storage (which no other live session can share) and the count of its
/// request message (which a later session on the same storage goes on from), so another
/// session, or a second answer, refuses it with
/// [`ServerError::UnknownTicket`](super::ServerError).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ticket {
    /// The address of the session's reply-message storage.
    session: usize,
    /// The request message it is in (a count per session).
    batch: u32,
    /// The request's place in it.
    index: u32,
}

impl Ticket {
    /// True when the request of `self` came after that of `other` (same session).
    pub(super) fn is_after(&self, other: &Ticket) -> bool {
        // Message counts wrap: the nearer way round decides.
        match self.batch.wrapping_sub(other.batch) as i32 {
            0 => self.index > other.index,
            d => d > 0,
        }
    }
}

/// One request's place in a reply message: the element type of the slot storage a
/// session is given ([`ReplyStorage::new`]). Opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplySlot(SlotState);

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
enum SlotState {
    /// Not answered: `RESERVE` bytes are kept for it.
    Waiting(Waiting),
    /// The encoded response packet is `bytes[start..start + len]`.
    Done { start: u32, len: u32 },
}

/// A request waiting for its answer, as its slot remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Waiting {
    /// The request's id, for the response.
    pub(super) id: MessageId,
    /// Its opcode (`None` for a packet that is not a request), to check the answer by.
    pub(super) opcode: Option<Opcode>,
}

/// A waiting request's place, found once: its ticket, its index in the reply message and
/// what its slot remembers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub(super) index: usize,
    pub(super) ticket: Ticket,
    pub(super) waiting: Waiting,
}

/// One reply message's bookkeeping: the element type of the message storage a session is
/// given ([`ReplyStorage::new`]); as many as there are, so many reply messages may be open
/// at once. Opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyMessage(Head);

impl ReplyMessage {
    /// An unused message, to fill arrays with.
    pub const EMPTY: ReplyMessage = ReplyMessage(Head {
        seq: 0,
        used: 0,
        slots: 0,
        waiting: 0,
        to_add: 0,
        inline: 0,
    });
}

impl Default for ReplyMessage {
    fn default() -> Self {
        ReplyMessage::EMPTY
    }
}

/// The caller's storage for a server session's reply messages (smoltcp's
/// `PacketBuffer::new(metadata, payload)`): one [`ReplyMessage`] per reply message that
/// may be open at once, and `slots` for the requests' places and `bytes` for the encoded
/// responses, both split evenly among the messages.
///
/// A reply message holds at most `slots.len() / messages.len()` responses and
/// `bytes.len() / messages.len()` bytes (less the array head); a request message with
/// more requests than that is answered -32603 packet by packet
/// ([module docs](crate::session#limits)).
#[derive(Debug)]
pub struct ReplyStorage<'a> {
    messages: &'a mut [ReplyMessage],
    slots: &'a mut [ReplySlot],
    bytes: &'a mut [u8],
}

impl<'a> ReplyStorage<'a> {
    /// Storage over the caller's buffers.
    pub fn new(
        messages: &'a mut [ReplyMessage],
        slots: &'a mut [ReplySlot],
        bytes: &'a mut [u8],
    ) -> Self {
        ReplyStorage {
            messages,
            slots,
            bytes,
        }
    }

    /// Reply messages that may be open at once.
    pub fn messages(&self) -> usize {
        self.messages.len()
    }

    /// Slots in all.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Bytes in all.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// The bookkeeping of one reply message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    /// Which request message it answers (slots carry it).
    seq: u32,
    /// Bytes of encoded responses.
    used: usize,
    /// Slots taken.
    slots: usize,
    /// Slots waiting for an answer.
    waiting: usize,
    /// Slots the message being handled has still to add: their `RESERVE` is kept too.
    to_add: usize,
    /// Packets written in request order without slots (a message over the limits).
    inline: usize,
}

impl Head {
    fn count(&self) -> usize {
        self.slots + self.inline
    }
}

/// What goes into a reply message.
#[derive(Clone, Copy)]
pub(super) enum Out<'a, 'b> {
    /// A success.
    Success(&'a Success<'b>),
    /// An error.
    Error(&'a ErrorResponse<'b>),
}

/// One reply message: its head and its share of the storage. Non-generic, so the code that
/// fills replies exists once whatever the session's types.
pub(super) struct ReplyMut<'r> {
    head: &'r mut Head,
    bytes: &'r mut [u8],
    slots: &'r mut [ReplySlot],
    /// The session's tag, for the slots it makes.
    session: usize,
}

impl ReplyMut<'_> {
    /// A shorter borrow of the same message.
    pub(super) fn reborrow(&mut self) -> ReplyMut<'_> {
        ReplyMut {
            head: self.head,
            bytes: self.bytes,
            slots: self.slots,
            session: self.session,
        }
    }

    /// Expects `to_add` more slots from the message being handled: an answer given
    /// meanwhile leaves room for them.
    pub(super) fn expect(&mut self, to_add: usize) {
        self.head.to_add = to_add;
    }

    /// Adds a waiting slot, set up whole; `None` when no slot is left, or (`extra`: one
    /// beyond what the message was checked for) when it would take a waiting one's
    /// reserve.
    pub(super) fn add(&mut self, waiting: Waiting, extra: bool) -> Option<Place> {
        if extra && !self.has_room() {
            return None;
        }
        let index = self.head.slots;
        *self.slots.get_mut(index)? = ReplySlot(SlotState::Waiting(waiting));
        self.head.slots += 1;
        self.head.waiting += 1;
        self.head.to_add = self.head.to_add.saturating_sub(1);
        let ticket = Ticket {
            session: self.session,
            batch: self.head.seq,
            index: index as u32,
        };
        Some(Place {
            index,
            ticket,
            waiting,
        })
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
    fn append(&mut self, answer: Out<'_, '_>, room: usize) -> Option<(usize, usize)> {
        let start = self.head.used;
        let end = start.saturating_add(room).min(self.bytes.len());
        let mut w = Writer::new(self.bytes.get_mut(start..end)?);
        // A server writes successes and errors only: it links no request encoder.
        match answer {
            Out::Success(s) => s.write(&mut w),
            Out::Error(e) => e.write(&mut w),
        }
        let n = w.finish().ok()?;
        self.head.used += n;
        Some((start, n))
    }

    /// Writes the answer for the waiting slot `index`, keeping `RESERVE` bytes for every
    /// other waiting slot and every slot still to come. What does not fit becomes an error
    /// packet that does.
    pub(super) fn write(&mut self, index: usize, answer: Out<'_, '_>) {
        let others = self.head.waiting.saturating_sub(1) + self.head.to_add;
        let room = self
            .bytes
            .len()
            .saturating_sub(self.head.used)
            .saturating_sub(RESERVE * others);
        let (id, code) = match answer {
            Out::Error(e) => (e.id, e.error.code),
            Out::Success(s) => (s.id, ErrorCode::InternalError),
        };
        let too_large = |message| ErrorResponse {
            id,
            error: ErrorObject { code, message },
        };
        let written = self
            .append(answer, room)
            .or_else(|| {
                let e = too_large(Some(Text::new("response too large")));
                self.append(Out::Error(&e), room)
            })
            // At most RESERVE bytes, which `room` always has.
            .or_else(|| self.append(Out::Error(&too_large(None)), room));
        if let Some((start, len)) = written {
            self.slots[index] = ReplySlot(SlotState::Done {
                start: start as u32,
                len: len as u32,
            });
            self.head.waiting = self.head.waiting.saturating_sub(1);
        }
    }

    /// Writes an error in request order without a slot (a message over the limits).
    pub(super) fn write_inline(&mut self, error: &ErrorResponse<'_>) -> bool {
        let room = self.bytes.len();
        let written = self.append(Out::Error(error), room).is_some();
        self.head.inline += usize::from(written);
        written
    }

    /// True when one more slot keeps every waiting one its `RESERVE` bytes.
    fn has_room(&self) -> bool {
        let reserved = RESERVE * (self.head.waiting + self.head.to_add + 1);
        self.head.slots < self.slots.len()
            && self.bytes.len().saturating_sub(self.head.used) >= reserved
    }

    /// The packet count of the reply message, and how many of them wait for an answer.
    pub(super) fn counts(&self) -> (usize, usize) {
        (self.head.count(), self.head.waiting)
    }
}

/// The ring of reply messages over the caller's storage.
pub(super) struct Ring<'a> {
    storage: ReplyStorage<'a>,
    /// The oldest open message.
    front: usize,
    /// Open messages, from `front` on (ring order is arrival order).
    open: usize,
    next_seq: u32,
}

impl<'a> Ring<'a> {
    /// A ring over `storage`, emptied: nothing a previous session left in it is kept.
    /// Its message count goes on from the highest left there, so that a ticket of the
    /// previous session is not taken for one of this session's.
    pub(super) fn new(storage: ReplyStorage<'a>) -> Self {
        let last = storage.messages.iter().map(|m| m.0.seq).max();
        let next_seq = last.unwrap_or(0).wrapping_add(1);
        storage.messages.fill(ReplyMessage::EMPTY);
        storage.slots.fill(ReplySlot::EMPTY);
        Ring {
            storage,
            front: 0,
            open: 0,
            next_seq,
        }
    }

    /// Reply messages that may be open at once.
    pub(super) fn capacity(&self) -> usize {
        self.storage.messages.len()
    }

    /// Reply messages being filled or waiting to be sent.
    pub(super) fn open(&self) -> usize {
        self.open
    }

    /// The session's tag: where its message storage is.
    fn tag(&self) -> usize {
        self.storage.messages.as_ptr().addr()
    }

    fn open_indices(&self) -> impl Iterator<Item = usize> + use<> {
        let (front, m) = (self.front, self.capacity());
        (0..self.open).map(move |k| (front + k) % m)
    }

    /// Requests waiting for an answer, in every open message.
    pub(super) fn waiting(&self) -> usize {
        let heads = &self.storage.messages;
        self.open_indices().map(|i| heads[i].0.waiting).sum()
    }

    /// Opens a reply message at the back; `None` when all are in use.
    pub(super) fn open_back(&mut self) -> Option<ReplyMut<'_>> {
        let m = self.capacity();
        if self.open >= m {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let index = (self.front + self.open) % m;
        self.storage.messages[index] = ReplyMessage(Head {
            seq,
            ..ReplyMessage::EMPTY.0
        });
        self.open += 1;
        Some(self.at(index))
    }

    /// Closes the message opened last, unsent (its request message was refused).
    pub(super) fn close_back(&mut self) {
        self.open -= 1;
    }

    /// The open reply message at ring index `index`.
    fn at(&mut self, index: usize) -> ReplyMut<'_> {
        let session = self.tag();
        let m = self.capacity();
        let bytes_each = self.storage.bytes.len() / m;
        let slots_each = self.storage.slots.len() / m;
        ReplyMut {
            head: &mut self.storage.messages[index].0,
            bytes: &mut self.storage.bytes[index * bytes_each..][..bytes_each],
            slots: &mut self.storage.slots[index * slots_each..][..slots_each],
            session,
        }
    }

    /// The open reply message of `ticket`, and the request waiting there: looked up
    /// once, for one answer. `None` for a ticket of another session, of a message sent
    /// already, or answered already.
    pub(super) fn find(&mut self, ticket: Ticket) -> Option<(ReplyMut<'_>, Place)> {
        if ticket.session != self.tag() {
            return None;
        }
        let heads = &self.storage.messages;
        let at = self
            .open_indices()
            .find(|&i| heads[i].0.seq == ticket.batch)?;
        let reply = self.at(at);
        let index = ticket.index as usize;
        let waiting = match reply.slots[..reply.head.slots].get(index)?.0 {
            SlotState::Waiting(w) => w,
            SlotState::Done { .. } => return None,
        };
        Some((
            reply,
            Place {
                index,
                ticket,
                waiting,
            },
        ))
    }

    /// The length of the front message when it is complete.
    pub(super) fn transmit_len(&self) -> Option<usize> {
        let front = &self
            .storage
            .messages
            .get(self.front)
            .filter(|_| self.open > 0)?
            .0;
        (front.waiting == 0).then(|| message_len(front.count() as u64, front.used))
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
        let reply = self.at(index);
        let bytes = &reply.bytes[..reply.head.used];
        let mut message = BatchWriter::new(out);
        if reply.head.inline > 0 {
            message.push_encoded(bytes, reply.head.inline as u64)?;
        } else {
            for slot in &reply.slots[..reply.head.slots] {
                if let SlotState::Done { start, len } = slot.0 {
                    let (start, len) = (start as usize, len as usize);
                    message.push_encoded(&bytes[start..start + len], 1)?;
                }
            }
        }
        let n = message.finish()?.len();
        self.front = (self.front + 1) % self.capacity();
        self.open -= 1;
        Ok(Some(n))
    }
}
