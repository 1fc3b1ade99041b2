//! The integration tests that need no network and no allocator of their own, one module
//! per area, in one binary (one link of the crate instead of one per file).

mod client_timers;
mod conversions;
mod errors;
mod fuzz_regressions;
mod fuzz_smoke;
mod inspect;
mod limits;
mod malformed;
mod properties;
mod roundtrip;
mod session_client;
mod session_props;
mod session_rates;
mod session_server;
mod sizes;
mod spec_vectors;
