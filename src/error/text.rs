//! Error texts written piece by piece (static strings and integers), so that the same
//! text goes to a `fmt::Formatter` for `Display` or into a bounded buffer for a reply
//! without linking `core::fmt`.

use core::fmt;

/// Where a text is written: the pieces in order.
pub(crate) trait TextSink {
    /// Appends `s`.
    fn str(&mut self, s: &str) -> &mut Self;
    /// Appends `n` in decimal.
    fn u64(&mut self, n: u64) -> &mut Self;
}

/// A formatter as a [`TextSink`]; keeps the first error.
pub(crate) struct Formatter<'a, 'f> {
    f: &'a mut fmt::Formatter<'f>,
    result: fmt::Result,
}

impl TextSink for Formatter<'_, '_> {
    fn str(&mut self, s: &str) -> &mut Self {
        if self.result.is_ok() {
            self.result = self.f.write_str(s);
        }
        self
    }

    fn u64(&mut self, n: u64) -> &mut Self {
        if self.result.is_ok() {
            self.result = write!(self.f, "{n}");
        }
        self
    }
}

/// `Display` through a text writer: `write` puts the pieces into `f`.
pub(crate) fn display<'f>(
    f: &mut fmt::Formatter<'f>,
    write: impl FnOnce(&mut Formatter<'_, 'f>),
) -> fmt::Result {
    let mut out = Formatter { f, result: Ok(()) };
    write(&mut out);
    out.result
}
