//! The integration tests that open sockets: the demo server and client end to end (plain
//! and TLS, over reconnects, within its limits), the load generator, the throughput tool
//! and the conformance runner against the demo server.

mod conformance;
mod e2e;
mod load;
mod reconnect;
mod server_limits;
mod throughput;
mod tls;
