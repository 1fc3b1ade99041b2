//! Iterating the chunks of an indefinite-length string (RFC 8949 §3.2.3).

use super::reader::{BREAK, Head, head};

/// The chunks of a string read as [`Chunks::Many`](super::Chunks::Many): its bytes from
/// the head to the break, already checked by the reader, so iterating cannot fail.
#[derive(Debug, Clone)]
pub(crate) struct ChunkIter<'b> {
    string: &'b [u8],
    pos: usize,
}

impl<'b> ChunkIter<'b> {
    /// The chunks of `string` (an indefinite string's head, chunks and break).
    pub(crate) fn new(string: &'b [u8]) -> Self {
        ChunkIter { string, pos: 1 }
    }
}

impl<'b> Iterator for ChunkIter<'b> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        let b = self.string.get(self.pos).copied().filter(|&b| b != BREAK)?;
        let Head::Arg(len, size) = head(self.string, self.pos, b) else {
            return None;
        };
        let from = self.pos + size;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        match self.string.get(from..to) {
            Some(chunk) => {
                self.pos = to;
                Some(chunk)
            }
            None => {
                // Not reached for checked strings; ends the iteration otherwise.
                self.pos = self.string.len();
                None
            }
        }
    }
}
