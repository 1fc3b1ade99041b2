//! The demo client's `--watch` over a dropped connection: the demo server behind a TCP
//! relay made here; the relay is cut (its live link and its listener go), so the client's
//! connection drops and its first tries are refused; then it listens again on the same
//! port, and the watch must have reconnected with a new session — the hello again, the
//! subscription again with the same id — and its events must go on.

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
        let result = demo::client::watch(&url, &options, Duration::from_secs(7), &mut out);
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
            .filter(|l| l.starts_with("  event {0: 1001("))
            .count()
    };

    assert_eq!(
        lines[0],
        format!("connected to ws://{addr}/api/ws"),
        "{text}"
    );
    assert_eq!(lines[1], "client_hello: response 1 ok {0: 1}", "{text}");
    let subscribed = at("subscribe: response 3 ok 37(h'");
    let id = &lines[subscribed]["subscribe: response 3 ok ".len()..];
    let lost = at("connection lost: ");
    assert!(events(subscribed, lost) >= 2, "{text}");
    let reconnected = at("reconnected to ");
    assert!(
        lines[lost..reconnected]
            .iter()
            .any(|l| l.starts_with("reconnect failed: cannot connect to 127.0.0.1:")),
        "{text}"
    );
    assert_eq!(lines[lost + 1], "reconnecting in 500 ms", "{text}");
    assert!(
        lines[lost..reconnected].contains(&"reconnecting in 1000 ms"),
        "{text}"
    );
    assert_eq!(
        lines[reconnected],
        format!("reconnected to ws://{addr}/api/ws")
    );
    // A new session: its hello, and the same subscription (its request ids start anew).
    assert_eq!(
        lines[reconnected + 1],
        "client_hello: response 1 ok {0: 1}",
        "{text}"
    );
    assert_eq!(
        lines[reconnected + 2],
        format!("subscribe: response 2 ok {id}"),
        "{text}"
    );
    assert!(events(reconnected, lines.len()) >= 2, "{text}");
    assert_eq!(lines.last(), Some(&"done"), "{text}");
}
