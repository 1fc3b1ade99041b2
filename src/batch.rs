//! Batches (spec section 2): one WebSocket message is one CBOR array of packets.
//!
//! [`Batch`] holds a received message; iterating it (`for packet in &batch`) decodes its
//! packets without allocating. [`encode_batch`] and [`BatchWriter`] write one into a
//! caller's buffer.

use crate::cbor::{Cbor, Len, Reader, Writer};
use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError};
use crate::frontier::{Deferred, NO_PACKET, Shared, Source};
use crate::packet::{ANY, Packet, Role, read_packet};

/// The longest message the codec reads: offsets are kept in 32 bits.
pub(crate) const MAX_MESSAGE_LEN: usize = u32::MAX as usize;

/// One received message: an array of packets, decoded as they are iterated.
///
/// Iterate it — `for packet in &batch` (or [`Batch::iter`]) — for `Ok(packet)` or
/// `Err(error)` per packet. A packet that is well-formed CBOR but not a
/// valid packet (unknown opcode, bad parameters, …) yields its error and the iteration
/// goes on with the next packet, so a server can answer every request of a batch.
/// Malformed CBOR, and bytes after the outer array, end the iteration with a last error
/// ([`DecodeError::is_fatal`]).
///
/// **A packet's last part is walked once.** Each packet is read as it is reached; its last
/// part, when it is a sequence (an event's values, a read response, a subscribe's
/// elements) or a success item, is not even stepped over: the packet is yielded at once,
/// and reading that part to its end tells the batch where the packet ended. (A list of
/// one-byte integers, such as standard attribute ids, is stepped over at once, which costs
/// less than waiting for its end; so is a sequence inside a sequence's element.) What nobody
/// reads is stepped over when the iteration moves on — which is also when bytes there that
/// are not well-formed CBOR are found: the iteration then ends with that error, carrying
/// the id of the packet they belong to. That is why those packets borrow the batch (it
/// keeps where the last part read ended): keep the batch while you use its packets.
///
/// Packets that borrow only the message come from iterating the batch by value
/// (`for packet in batch`): each packet is then walked to its end when it is read (a last
/// sequence stepped over, malformed bytes in it found there), and its sequences are
/// decoded again when iterated.
#[derive(Debug)]
pub struct Batch<'b> {
    shared: Shared<'b>,
    /// Where the first packet starts.
    body: u32,
    len: Len,
}

impl<'b> Batch<'b> {
    /// Starts decoding `message`: reads the outer array's head.
    ///
    /// Fails with [`K::NotABatch`] (-32600) when the message is not an array, and with
    /// [`K::TrailingBytes`] at 4 GiB for a longer message (offsets are 32-bit).
    #[inline]
    pub fn new(message: &'b [u8]) -> Result<Self, DecodeError> {
        if message.len() > MAX_MESSAGE_LEN {
            return Err(DecodeError::new(K::TrailingBytes, MAX_MESSAGE_LEN));
        }
        // Fast path: a short array's one-byte head.
        if let Some(&b @ 0x80..=0x97) = message.first() {
            return Ok(Batch {
                shared: Shared::new(message),
                body: 1,
                len: Len::definite(u64::from(b & 0x1f)),
            });
        }
        Self::general(message)
    }

    /// [`Batch::new`] for every head but a short array's.
    #[inline(never)]
    fn general(message: &'b [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(message);
        let len = r.array();
        match r.error() {
            None => Ok(Batch {
                shared: Shared::new(message),
                body: r.position() as u32,
                len,
            }),
            Some(e) if e.is_fatal() => Err(e),
            Some(_) => Err(DecodeError::new(K::NotABatch, 0)),
        }
    }

    /// The number of packets the outer array declares (`None` when indefinite).
    pub fn declared_len(&self) -> Option<u64> {
        self.len.count()
    }

    /// The message.
    pub fn message(&self) -> &'b [u8] {
        self.shared.message()
    }

    /// The packets, in order.
    #[inline]
    pub fn iter(&self) -> Packets<'_> {
        Packets {
            r: Reader::within(Source::Batch(&self.shared), self.body as usize, NO_PACKET),
            len: self.len,
            done: false,
            pending: None,
            last: NO_PACKET,
        }
    }
}

/// Fuzz-only: how a session machine counts the packets.
#[cfg(fuzzing)]
impl Batch<'_> {
    /// The results a client session reads from the message: one per packet, as its role
    /// reads them (a request's body stepped over).
    #[doc(hidden)]
    pub fn fuzz_client_len(&self) -> usize {
        let mut packets = self.iter();
        let mut n = 0;
        while !matches!(
            packets.step::<{ crate::packet::CLIENT }>(&mut Packet::placeholder()),
            Step::End
        ) {
            n += 1;
        }
        n
    }

    /// The packets a server session reads from the message, as its role reads them (a
    /// response's or event's body stepped over; an unreadable last part of a request the
    /// application already has, skipped): each with its reply id, and its opcode (`Ok(Some)`
    /// for a request, `Ok(None)` for another packet) or the code it fails with.
    #[doc(hidden)]
    pub fn fuzz_server_steps(
        &self,
    ) -> impl Iterator<
        Item = (
            crate::MessageId,
            Result<Option<crate::Opcode>, crate::ErrorCode>,
        ),
    > + '_ {
        let mut packets = self.iter();
        core::iter::from_fn(move || {
            loop {
                let mut packet = Packet::placeholder();
                let step = packets.step::<{ crate::packet::SERVER }>(&mut packet);
                return Some(match (step, packet) {
                    (Step::Packet, Packet::Request(r)) => (r.id, Ok(Some(r.command.opcode()))),
                    (Step::Packet | Step::Foreign, other) => (other.id().unwrap_or(0), Ok(None)),
                    (Step::Error(e), _) => (e.id().unwrap_or(0), Err(e.code())),
                    (Step::Tail(_), _) => continue,
                    (Step::End, _) => return None,
                });
            }
        })
    }
}

/// Packets that borrow only the message: each walked to its end as it is read.
impl<'b> IntoIterator for Batch<'b> {
    type Item = Result<Packet<'b>, DecodeError>;
    type IntoIter = Packets<'b>;

    fn into_iter(self) -> Packets<'b> {
        Packets {
            r: Reader::at(self.shared.message(), self.body as usize),
            len: self.len,
            done: false,
            pending: None,
            last: NO_PACKET,
        }
    }
}

impl<'a> IntoIterator for &'a Batch<'_> {
    type Item = Result<Packet<'a>, DecodeError>;
    type IntoIter = Packets<'a>;

    #[inline]
    fn into_iter(self) -> Packets<'a> {
        self.iter()
    }
}

/// The packets of a [`Batch`], decoded one at a time (see there): from `&batch`, each
/// byte walked once; from the batch by value, each packet walked to its end when read.
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    r: Reader<'a>,
    len: Len,
    done: bool,
    /// The last part of the packet yielded last, not walked yet.
    pending: Option<Deferred>,
    /// Where that packet starts.
    last: u32,
}

/// What one step of [`Packets`] found; a packet the role decodes went into the caller's.
pub(crate) enum Step {
    /// A packet the role decodes.
    Packet,
    /// A packet the role does not decode: only its type and id are in the caller's.
    Foreign,
    /// A packet that does not decode (the last one when fatal).
    Error(DecodeError),
    /// The unread last part of the packet before is not well-formed CBOR: the message
    /// ends here. The error carries that packet's id.
    Tail(DecodeError),
    /// The end of the message.
    End,
}

impl<'a> Packets<'a> {
    /// How many results the iteration has left to yield. For a definite outer array that
    /// is the declared count (at most one per byte left), read without decoding — except
    /// that bytes after the array's last packet are found only when the iteration gets
    /// there (one result more), and malformed CBOR in a packet can end it early (fewer).
    /// For an indefinite one it is exact: the rest is decoded, once more, to count it, each
    /// packet's last part stepped over — if the caller reads a last part with its typed
    /// reader, which counts nesting from each generic value in it rather than from the
    /// part, a part too deep to step over can read, and the iteration goes on past it.
    pub fn remaining(&self) -> usize {
        self.remaining_as::<ANY>()
    }

    /// [`Packets::remaining`] as a reader in `ROLE` counts them.
    pub(crate) fn remaining_as<const ROLE: Role>(&self) -> usize {
        if self.done {
            return 0;
        }
        let left = self.r.input().len().saturating_sub(self.r.position());
        match self.len.count() {
            // Each packet takes a byte at least; packets declared past the bytes there end
            // with one error for the truncation.
            Some(n) => match usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(left.saturating_add(1))
            {
                // Bytes after an empty array: one error.
                0 => usize::from(left > 0),
                n => n,
            },
            // Counted as read, so that each packet's nesting limit is counted as when read.
            None => {
                let mut packets = self.clone();
                let mut n = 0;
                while !matches!(packets.step::<ROLE>(&mut Packet::placeholder()), Step::End) {
                    n += 1;
                }
                n
            }
        }
    }

    /// The byte offset of the next packet (or of the last part of the packet before it,
    /// while that is not walked).
    pub fn position(&self) -> usize {
        match self.pending {
            None => self.r.position(),
            Some(pending) => pending.start as usize,
        }
    }

    inlining! { hot:
        /// The next step, for a reader in `ROLE`: a packet it decodes is read into `out`.
        pub(crate) fn step<const ROLE: Role>(&mut self, out: &mut Packet<'a>) -> Step {
            if self.done {
                return Step::End;
            }
            if let Some(item) = self.pending
                && let Some(e) = self.resolve(item)
            {
                return Step::Tail(self.fail(e));
            }
            if !self.r.has_next(&mut self.len) {
                return self.end();
            }
            let start = self.r.position();
            let decoded = read_packet::<ROLE>(&mut self.r, out);
            if let Some(e) = self.r.error() {
                return self.failed(start, e);
            }
            self.pending = self.r.lazy_mut().take_left();
            self.last = start as u32;
            match decoded {
                true => Step::Packet,
                false => Step::Foreign,
            }
        }
    }

    /// The end of the packets: the message's, or bytes after it.
    #[cold]
    fn end(&mut self) -> Step {
        self.done = true;
        match self.r.take_error() {
            Some(e) => Step::Error(e),
            None if self.r.is_empty() => Step::End,
            None => Step::Error(DecodeError::new(K::TrailingBytes, self.r.position())),
        }
    }

    /// The packet at `start` did not decode.
    #[cold]
    #[inline(never)]
    fn failed(&mut self, start: usize, e: DecodeError) -> Step {
        self.r.take_error();
        Step::Error(match e.is_fatal() {
            true => self.fail(e),
            false => self.step_over(start, e),
        })
    }

    /// Moves past the last part of the packet yielded last: to where its reading recorded
    /// that it ended, else by stepping over it. Its error, if it is not well-formed.
    #[inline(never)]
    fn resolve(&mut self, item: Deferred) -> Option<DecodeError> {
        self.pending = None;
        self.r.skip_deferred(item);
        let e = self.r.take_error()?;
        Some(match self.r.id_of(self.last) {
            Some(id) => e.with_id(id),
            None => e,
        })
    }

    /// Steps over an invalid packet; if it is not even well-formed, that is the real error
    /// (and one in a last part it left unread came before `e`).
    #[cold]
    fn step_over(&mut self, start: usize, e: DecodeError) -> DecodeError {
        if let Some(tail) = self.r.lazy_mut().take_left() {
            self.r.skip_deferred(tail);
            if let Some(fatal) = self.r.take_error() {
                return self.fail(fatal.with_id_of(&e));
            }
        }
        self.r.set_position(start);
        self.r.skip();
        match self.r.take_error() {
            None => e,
            Some(fatal) => self.fail(fatal.with_id_of(&e)),
        }
    }

    /// Ends the iteration with `e`, a fatal error.
    #[cold]
    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.done = true;
        e
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, DecodeError>;

    inlining! { hot:
        // Into the caller's loop on hosts: out of line, each packet is returned through
        // memory (seen as +70 instructions on the seed message).
        fn next(&mut self) -> Option<Self::Item> {
            // Read where it is returned from: every path returns `next`.
            let mut next = Some(Ok(Packet::placeholder()));
            let Some(Ok(packet)) = &mut next else {
                return next;
            };
            match self.step::<ANY>(packet) {
                Step::Packet => {}
                Step::Error(e) | Step::Tail(e) => next = Some(Err(e)),
                Step::End => next = None,
                // ANY decodes every packet.
                Step::Foreign => {
                    next = Some(Err(DecodeError::new(
                        K::NotAPacket,
                        Packets::position(self),
                    )))
                }
            }
            next
        }
    }
}

impl core::iter::FusedIterator for Packets<'_> {}

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
        self.push_with(|w| packet.write(w))
    }

    /// Appends the packet `write` writes: the session machines pass the writer of the one
    /// packet type they send, so that a firmware links no other.
    #[inline]
    pub(crate) fn push_with(
        &mut self,
        write: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), EncodeError> {
        self.append(write, 1)
    }

    /// Appends `count` packets already encoded, back to back, in `packets` (a server's
    /// reply storage holds its answers so).
    pub(crate) fn push_encoded(&mut self, packets: &[u8], count: u64) -> Result<(), EncodeError> {
        self.append(|w| w.put(packets), count)
    }

    /// Appends what `write` writes as `count` packets, if the message still fits with the
    /// outer array's head they make it need (one byte is kept for it; 24 packets need
    /// two).
    #[inline]
    fn append(
        &mut self,
        write: impl FnOnce(&mut Writer<'_>),
        count: u64,
    ) -> Result<(), EncodeError> {
        let end = self.end;
        let rest = self.buf.get_mut(end..).unwrap_or_default();
        let mut w = Writer::new(rest);
        write(&mut w);
        let n = match w.finish() {
            Ok(n) => n,
            Err(EncodeError::BufferTooSmall { required }) => {
                return Err(EncodeError::BufferTooSmall {
                    required: end + required,
                });
            }
        };
        let count = self.count + count;
        let len = message_len(count, end - 1 + n);
        if len > self.buf.len() {
            return Err(EncodeError::BufferTooSmall { required: len });
        }
        self.end += n;
        self.count = count;
        Ok(())
    }

    /// Writes the outer array's head and returns the message. Every packet pushed fits
    /// with the head, so this fails only for a buffer without a byte for it.
    pub fn finish(self) -> Result<&'a [u8], EncodeError> {
        let mut head = [0u8; 9];
        let mut w = Writer::new(&mut head);
        w.array(self.count);
        let n = w.len();
        let len = message_len(self.count, self.end - 1);
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

/// The length of a message of `count` packets taking `packets` bytes: the outer array's
/// head and the packets.
pub(crate) fn message_len(count: u64, packets: usize) -> usize {
    let mut w = Writer::new(&mut []);
    w.array(count);
    w.len() + packets
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

/// The message's size and declared packet count.
#[cfg(feature = "defmt")]
impl defmt::Format for Batch<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Batch {{ bytes: {=usize}, declared_len: {} }}",
            self.message().len(),
            self.declared_len()
        )
    }
}

/// Where the iteration is.
#[cfg(feature = "defmt")]
impl defmt::Format for Packets<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Packets {{ position: {=usize}, remaining: {=usize} }}",
            self.position(),
            self.remaining()
        )
    }
}

/// The packets written so far.
#[cfg(feature = "defmt")]
impl defmt::Format for BatchWriter<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "BatchWriter {{ len: {=u64} }}", self.len())
    }
}
