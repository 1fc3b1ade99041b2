//! Batches (spec section 2): one WebSocket message is one CBOR array of packets.
//!
//! [`Batch`] iterates over a received message without allocating; [`encode_batch`] and
//! [`BatchWriter`] write one into a caller's buffer.

use crate::cbor::{Cbor, Len, Reader, Writer};
use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError};
use crate::packet::Packet;

/// The longest message the codec reads: offsets are kept in 32 bits.
pub const MAX_MESSAGE_LEN: usize = u32::MAX as usize;

/// The packets of one received message, decoded one at a time.
///
/// Yields `Ok(packet)` or `Err(error)` per packet. A packet that is well-formed CBOR but not
/// a valid packet (unknown opcode, bad parameters, …) yields its error and the iteration
/// goes on with the next packet, so a server can answer every request of a batch. Malformed
/// CBOR, and bytes after the outer array, end the iteration with a last error
/// ([`DecodeError::is_fatal`]). Each packet is read once, as it is reached (sequences and
/// success items even later, when they are read: see [`crate::model`]).
#[derive(Debug, Clone)]
pub struct Batch<'b> {
    r: Reader<'b>,
    len: Len,
    done: bool,
}

impl<'b> Batch<'b> {
    /// Starts decoding `message`: reads the outer array's head.
    ///
    /// Fails with [`K::NotABatch`] (-32600) when the message is not an array, and with
    /// [`K::TrailingBytes`] at [`MAX_MESSAGE_LEN`] for a longer message.
    pub fn new(message: &'b [u8]) -> Result<Self, DecodeError> {
        if message.len() > MAX_MESSAGE_LEN {
            return Err(DecodeError::new(K::TrailingBytes, MAX_MESSAGE_LEN));
        }
        let mut r = Reader::new(message);
        let len = match r.array() {
            Ok(len) => len,
            Err(e) if e.is_fatal() => return Err(e),
            Err(_) => return Err(DecodeError::new(K::NotABatch, 0)),
        };
        Ok(Batch {
            r,
            len,
            done: false,
        })
    }

    /// The number of packets the outer array declares (`None` when indefinite).
    pub fn declared_len(&self) -> Option<u64> {
        match self.len {
            Len::Definite(n) => Some(n),
            Len::Indefinite => None,
        }
    }

    /// How many results the iteration has left to yield. For a definite outer array that
    /// is the declared count (at most one per byte left), read without decoding — except
    /// that bytes after the array's last packet are found only when the iteration gets
    /// there (one result more), and malformed CBOR in a packet can end it early (fewer).
    /// For an indefinite one it is exact: the rest is decoded, once more, to count it.
    pub fn remaining(&self) -> usize {
        if self.done {
            return 0;
        }
        let left = self.r.input().len().saturating_sub(self.r.position());
        match self.len {
            Len::Definite(n) => match usize::try_from(n).unwrap_or(usize::MAX).min(left) {
                // Bytes after an empty array, or packets declared and none there: one error.
                0 => usize::from(left > 0 || n > 0),
                n => n,
            },
            // Counted as read, so that each packet's nesting limit is counted as when read.
            Len::Indefinite => self.clone().count(),
        }
    }

    /// The byte offset of the next packet.
    pub fn position(&self) -> usize {
        self.r.position()
    }

    /// Steps over an invalid packet; if it is not even well-formed, that is the real error.
    #[cold]
    fn step_over(&mut self, start: usize, e: DecodeError) -> DecodeError {
        self.r.set_position(start);
        match self.r.skip() {
            Ok(()) => e,
            Err(fatal) => self.fail(fatal.with_id_of(&e)),
        }
    }

    /// Ends the iteration with `e`, a fatal error.
    #[cold]
    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.done = true;
        e
    }
}

impl<'b> Iterator for Batch<'b> {
    type Item = Result<Packet<'b>, DecodeError>;

    #[inline(never)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.r.has_next(&mut self.len) {
            Ok(true) => {}
            Ok(false) if self.r.is_empty() => {
                self.done = true;
                return None;
            }
            Ok(false) => return Some(Err(self.fail(self.r.err(K::TrailingBytes)))),
            Err(e) => return Some(Err(self.fail(e))),
        }
        let start = self.r.position();
        let mut packet = Packet::EMPTY;
        match packet.read_into(&mut self.r) {
            Ok(()) => Some(Ok(packet)),
            Err(e) if e.is_fatal() => Some(Err(self.fail(e))),
            Err(e) => Some(Err(self.step_over(start, e))),
        }
    }
}

impl core::iter::FusedIterator for Batch<'_> {}

/// Writes `packets` as one message into `buf`; returns the length written.
pub fn encode_batch(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut w = Writer::new(buf);
    w.array(packets.len() as u64);
    packets.iter().for_each(|p| p.write(&mut w));
    w.finish()
}

/// Builds one message packet by packet in a caller's buffer.
///
/// A packet that does not fit is refused with [`EncodeError::BufferTooSmall`] and leaves the
/// packets already pushed intact, so the caller can [`finish`](BatchWriter::finish) this
/// message and put the packet in the next one.
#[derive(Debug)]
pub struct BatchWriter<'a> {
    buf: &'a mut [u8],
    /// End of the packets written so far (they start at offset 1).
    end: usize,
    count: u64,
}

impl<'a> BatchWriter<'a> {
    /// A writer over `buf`; the first byte is kept for the outer array's head.
    pub fn new(buf: &'a mut [u8]) -> Self {
        BatchWriter {
            buf,
            end: 1,
            count: 0,
        }
    }

    /// The number of packets pushed.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True when no packet has been pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Where the writer is now, to [`reset`](BatchWriter::reset) to.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            end: self.end,
            count: self.count,
        }
    }

    /// Forgets the packets pushed after `mark`.
    pub(crate) fn reset(&mut self, mark: Mark) {
        self.end = mark.end;
        self.count = mark.count;
    }

    /// Appends a packet.
    pub fn push(&mut self, packet: &Packet<'_>) -> Result<(), EncodeError> {
        let end = self.end;
        let rest = self.buf.get_mut(end..).unwrap_or_default();
        let mut w = Writer::new(rest);
        packet.write(&mut w);
        match w.finish() {
            Ok(n) => {
                self.end += n;
                self.count += 1;
                Ok(())
            }
            Err(EncodeError::BufferTooSmall { required }) => Err(EncodeError::BufferTooSmall {
                required: end + required,
            }),
        }
    }

    /// Writes the outer array's head and returns the message.
    pub fn finish(self) -> Result<&'a [u8], EncodeError> {
        let mut head = [0u8; 9];
        let mut w = Writer::new(&mut head);
        w.array(self.count);
        let n = w.len();
        let len = self.end - 1 + n;
        if len > self.buf.len() {
            return Err(EncodeError::BufferTooSmall { required: len });
        }
        if n > 1 {
            self.buf.copy_within(1..self.end, n);
        }
        self.buf[..n].copy_from_slice(&head[..n]);
        Ok(&self.buf[..len])
    }
}

/// A position of a [`BatchWriter`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    end: usize,
    count: u64,
}

impl Mark {
    /// True at the start of the message.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }
}

defmt_via_debug!(Batch<'_>, BatchWriter<'_>);
