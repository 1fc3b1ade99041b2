//! What the tests, examples, benchmarks and fuzz targets of `xentara-ws` share, as one
//! crate each of them depends on: the codec checks and the test vectors, the
//! session tests' application and builders, a counting allocator, the benchmark messages,
//! the hex inspector and (feature `net`) the demo server and client, the conformance
//! runner, the load generator and the throughput measurements behind the tools and
//! examples of those names.

pub mod bench;
pub mod checks;
pub mod counting_alloc;
pub mod inspect;
pub mod session;
pub mod vectors;

#[cfg(feature = "net")]
pub mod conformance;
#[cfg(feature = "net")]
pub mod demo;
#[cfg(feature = "net")]
pub mod loadgen;
#[cfg(feature = "net")]
pub mod throughput;
