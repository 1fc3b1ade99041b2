//! Iterating the chunks of an indefinite-length string (RFC 8949 §3.2.3).

use super::reader::{BREAK, Reader};

/// The chunks of a string read as [`Chunks::Many`](super::Chunks::Many): its bytes from
/// the head to the break, already checked by the reader, so iterating cannot fail.
#[derive(Debug, Clone)]
pub(crate) struct ChunkIter<'b> {
    r: Reader<'b>,
}

impl<'b> ChunkIter<'b> {
    /// The chunks of `string` (an indefinite string's head, chunks and break).
    pub(crate) fn new(string: &'b [u8]) -> Self {
        ChunkIter {
            r: Reader::at(string, 1, super::NO_PACKET),
        }
    }
}

impl<'b> Iterator for ChunkIter<'b> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        let b = self.r.peek().ok().filter(|&b| b != BREAK)?;
        let len = match self.r.argument(b) {
            Ok(Some(len)) => usize::try_from(len).ok()?,
            _ => return None,
        };
        let from = self.r.position();
        let chunk = self.r.input().get(from..from.checked_add(len)?);
        match chunk {
            Some(chunk) => {
                self.r.set_position(from + len);
                Some(chunk)
            }
            None => {
                // Not reached for checked strings; ends the iteration otherwise.
                self.r.set_position(self.r.input().len());
                None
            }
        }
    }
}
