//! Batches (spec section 2): one WebSocket message is one CBOR array of packets.
//!
//! [`Batch`] iterates over a received message without allocating; [`encode_batch`] and
//! [`BatchWriter`] write one into a caller's buffer.

use minicbor::Encoder;
use minicbor::encode::Write;

use crate::error::{DecodeError, DecodeErrorKind as K, EncodeError};
use crate::packet::Packet;
use crate::wire::{Cbor, Emit, Len, Reader, WriteError, encode_into, encoded_len};

/// The packets of one received message, decoded one at a time.
///
/// Yields `Ok(packet)` or `Err(error)` per packet. A packet that is well-formed CBOR but not
/// a valid packet (unknown opcode, bad parameters, …) yields its error and the iteration
/// goes on with the next packet, so a server can answer every request of a batch. Malformed
/// CBOR, and bytes after the outer array, end the iteration with a last error
/// ([`DecodeError::is_fatal`]).
#[derive(Debug, Clone)]
pub struct Batch<'b> {
    r: Reader<'b>,
    len: Len,
    done: bool,
}

impl<'b> Batch<'b> {
    /// Starts decoding `message`: reads the outer array's head.
    ///
    /// Fails with [`K::NotABatch`] (-32600) when the message is not an array.
    pub fn new(message: &'b [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(message);
        let len = r.array().map_err(|e| {
            if e.is_fatal() {
                e
            } else {
                DecodeError::new(K::NotABatch, 0)
            }
        })?;
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

    /// The byte offset of the next packet.
    pub fn position(&self) -> usize {
        self.r.position()
    }

    /// The next packet's result; iteration stops after a fatal error.
    fn step(&mut self) -> Option<Result<Packet<'b>, DecodeError>> {
        match self.r.has_next(&mut self.len) {
            Err(e) => Some(Err(e)),
            Ok(false) if self.r.is_empty() => None,
            Ok(false) => Some(Err(self.r.err(K::TrailingBytes))),
            Ok(true) => {
                let start = self.r.position();
                match Packet::decode(&mut self.r) {
                    Err(e) if !e.is_fatal() => {
                        // Step over the invalid packet; if it is not even well-formed,
                        // that is the real error. A skip that fails otherwise (a string
                        // in several chunks) leaves the reader inside the packet: the
                        // packet's own error is the last one.
                        self.r.set_position(start);
                        Some(Err(match self.r.skip() {
                            Ok(()) => e,
                            Err(fatal) if fatal.is_fatal() => DecodeError { id: e.id, ..fatal },
                            Err(_) => {
                                self.done = true;
                                e
                            }
                        }))
                    }
                    result => Some(result),
                }
            }
        }
    }
}

impl<'b> Iterator for Batch<'b> {
    type Item = Result<Packet<'b>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        self.done |= match &item {
            Some(Ok(_)) => false,
            Some(Err(e)) => e.is_fatal(),
            None => true,
        };
        item
    }
}

impl core::iter::FusedIterator for Batch<'_> {}

/// Checks a whole message and returns how many packets it holds, or the first error.
pub fn validate(message: &[u8]) -> Result<usize, DecodeError> {
    let mut n = 0;
    for packet in Batch::new(message)? {
        packet?;
        n += 1;
    }
    Ok(n)
}

impl Emit for [Packet<'_>] {
    fn emit<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.array(self.len() as u64)?;
        self.iter().try_for_each(|p| p.encode(e))
    }
}

/// Writes `packets` as one message into `buf`; returns the length written.
pub fn encode_batch(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_into(packets, buf)
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

    /// Appends a packet.
    pub fn push(&mut self, packet: &Packet<'_>) -> Result<(), EncodeError> {
        let end = self.end;
        let Some(rest) = self.buf.get_mut(end..) else {
            return Err(EncodeError::BufferTooSmall {
                required: end + encoded_len(packet),
            });
        };
        match encode_into(packet, rest) {
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
        let n = encode_into(&ArrayHead(self.count), &mut head)?;
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

/// An array head of `n` elements.
struct ArrayHead(u64);

impl Emit for ArrayHead {
    fn emit<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
        e.array(self.0)?.ok()
    }
}

defmt_via_debug!(Batch<'_>, BatchWriter<'_>);
