//! The integration tests that open sockets: the demo server and client end to end (plain
//! and TLS, over reconnects, within its limits), the load generator and the throughput
//! tool against the demo server. The conformance runner's are the CLI's
//! (`xentara-ws-cli/tests/conformance.rs`).

mod e2e;
mod load;
mod reconnect;
mod server_limits;
mod throughput;
mod tls;

use std::net::TcpListener;

/// Serves the demo on a fresh loopback port, for the rest of the process; its URL. One
/// function, so that a change of `demo::server::serve` touches one place.
fn start_demo() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || xentara_ws_support::demo::server::serve(listener, None));
    format!("ws://{addr}{}", xentara_ws_support::demo::server::PATH)
}

/// The runtime the load and throughput tests run their clients on: two workers.
fn runtime() -> tokio::runtime::Runtime {
    xentara_ws_support::throughput::runtime(Some(2)).unwrap()
}
