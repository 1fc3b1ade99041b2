//! The demo client's `--watch` over a dropped connection: the demo server behind a TCP
//! relay made here; the relay is cut (its live link and its listener go), so the client's
//! connection drops and its first tries are refused; then it listens again on the same
//! port, and the watch must have reconnected with a new session — the subscription again
//! with the same id, said in its output — and its events must go on.

use xentara_ws_support::demo;

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Serves the demo on a fresh loopback port, for the rest of the process; its address.
fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve(listener, None));
    addr
}

/// Relays each connection to `listener` to `upstream`, until dropped (then every link
/// goes with it).
async fn relay(listener: TcpListener, upstream: SocketAddr) {
    let mut links = tokio::task::JoinSet::new();
    while let Ok((mut client, _)) = listener.accept().await {
        links.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_watch_reconnects_resubscribes_with_the_same_id_and_its_events_go_on() {
    let upstream = start_server();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let first = runtime.spawn(relay(listener, upstream));

    let url = format!("ws://{addr}/api/ws");
    let watcher = thread::spawn(move || {
        let mut out = Vec::new();
        let options = demo::client::Options::default();
        let result = demo::client::run_watch(&url, &options, Duration::from_secs(7), &mut out);
        (
            result.map_err(|e| e.to_string()),
            String::from_utf8(out).unwrap(),
        )
    });

    thread::sleep(Duration::from_millis(1500));
    // Cut: the link and the listener go. The next tries (0.5 s, then 1 s later) meet a
    // closed port, until it listens again 1 s after the cut.
    runtime.block_on(async {
        first.abort();
        let _ = first.await;
    });
    thread::sleep(Duration::from_millis(1000));
    let listener = runtime.block_on(TcpListener::bind(addr)).unwrap();
    runtime.spawn(relay(listener, upstream));

    let (result, text) = watcher.join().unwrap();
    assert!(result.is_ok(), "{result:?}\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"))
    };
    let events = |from: usize, to: usize| {
        lines[from..to]
            .iter()
            .filter(|l| l.starts_with("  event "))
            .count()
    };

    assert_eq!(
        lines[0],
        format!("connected to ws://{addr}/api/ws (protocol version 1)"),
        "{text}"
    );
    let subscribed = at("subscribe: ");
    let reconnected = at("reconnected: subscribed again");
    assert!(events(subscribed, reconnected) >= 2, "{text}");
    assert!(events(reconnected, lines.len()) >= 2, "{text}");
    assert_eq!(lines.last(), Some(&"done"), "{text}");
}
