//! What both machines use: the protocol version range and short texts built without
//! allocating. Below `client` and `server`, which import from here and never the reverse.

use core::fmt;

use crate::op::params::ClientHello;

/// An inclusive range of protocol versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// The lowest version.
    pub min: u64,
    /// The highest version.
    pub max: u64,
}

impl VersionRange {
    /// Version 1 only: the protocol of API 2.0.x (spec notes D19).
    pub const V1: VersionRange = VersionRange { min: 1, max: 1 };

    /// The range `min..=max`.
    pub const fn new(min: u64, max: u64) -> Self {
        VersionRange { min, max }
    }

    /// True when `version` is in the range.
    pub const fn contains(&self, version: u64) -> bool {
        self.min <= version && version <= self.max
    }

    /// The highest version in both ranges, if they overlap.
    pub fn highest_common(&self, other: &VersionRange) -> Option<u64> {
        let low = self.min.max(other.min);
        let high = self.max.min(other.max);
        (low <= high).then_some(high)
    }
}

impl Default for VersionRange {
    fn default() -> Self {
        VersionRange::V1
    }
}

impl From<ClientHello> for VersionRange {
    fn from(h: ClientHello) -> Self {
        VersionRange::new(h.min_version, h.max_version)
    }
}

impl From<VersionRange> for ClientHello {
    fn from(r: VersionRange) -> Self {
        ClientHello {
            min_version: r.min,
            max_version: r.max,
        }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.min, self.max)
    }
}

/// A short text built without allocating; what does not fit is cut at a char boundary.
pub(crate) struct Text<const N: usize>(pub(crate) heapless::String<N>);

impl<const N: usize> Text<N> {
    /// Formats `args`, cut to `N` bytes.
    pub(crate) fn format(args: fmt::Arguments<'_>) -> Self {
        let mut text = Text(heapless::String::new());
        let _ = fmt::write(&mut text, args);
        text
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Write for Text<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            self.0.push(c).map_err(|_| fmt::Error)?;
        }
        Ok(())
    }
}

defmt_via_debug!(VersionRange);
