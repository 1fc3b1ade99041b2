//! The integration tests that open sockets: the demo server and client end to end (plain
//! and TLS, over reconnects, within its limits) and the load generator against the demo
//! server. The conformance runner's are the CLI's (`xentara-ws-cli/tests/conformance.rs`).

mod e2e;
mod load;
mod reconnect;
mod server_limits;
mod tls;
