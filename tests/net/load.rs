//! Load, small: the load generator (`xentara_ws_support::loadgen`, the example `loadgen`)
//! against the demo server (`xentara_ws_support::demo`), both in this process over
//! loopback: 200 connections, each holding its subscription for 3 s.
//!
//! The load generator's `run` is called directly, rather than run as a program: Cargo
//! gives tests the path of `[[bin]]` targets only (`CARGO_BIN_EXE_<name>`), not of
//! examples, and a direct call gives the typed `Report` and needs no second build. The
//! server is started by the tests' shared `start_demo`.
//!
//! What the demo server guarantees about events: a new subscription has sent nothing, so
//! its first `due_events` after the subscribe — the server looks right after answering each
//! message — sends the current value at once; later ones follow the rates (1000 ms here:
//! about one a second). So each connection gets at least one event, long before its write
//! 3 s later: `events >= 200` is guaranteed, the usual 3 or 4 per connection is not.

use xentara_ws_support::{demo, loadgen};

use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use super::{runtime, start_demo};

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn two_hundred_connections_get_every_response_and_their_events() {
    let mut config = loadgen::Config::new(start_demo());
    config.connections = 200;
    config.hold = Duration::from_secs(3);
    let report = runtime().block_on(loadgen::run(config));
    let json = report.json();
    eprintln!("{json}");

    assert_eq!(report.connected, 200, "{report:?}");
    assert_eq!(report.completed, 200, "{report:?}");
    assert_eq!(report.responses_expected, 1000, "{report:?}");
    assert_eq!(report.responses_received, 1000, "{report:?}");
    assert!(report.events >= 200, "{report:?}");
    assert!(report.ok(), "{report:?}");
    assert_eq!((&report.connect_error, &report.failure), (&None, &None));
    let (p50, p99) = (report.p50_ms.unwrap(), report.p99_ms.unwrap());
    assert!(0.0 <= p50 && p50 <= p99, "{json}");

    // The last stdout line of the program: one JSON object with these fields.
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = parsed.as_object().unwrap().keys().map(|k| &**k).collect();
    let mut expected = [
        "connections",
        "completed",
        "responses_expected",
        "responses_received",
        "events",
        "p50_ms",
        "p99_ms",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected, "{json}");
    assert_eq!(parsed["connections"], 200);
    assert_eq!(parsed["responses_received"], 1000);
    assert_eq!(parsed["events"], report.events);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_refused_connection_fails_with_its_error() {
    // A port that was just free: nothing listens there.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = loadgen::Config::new(format!("ws://{addr}/api/ws"));
    config.connections = 3;
    config.hold = Duration::ZERO;
    config.progress = false;
    let report = runtime().block_on(loadgen::run(config));
    assert_eq!((report.connected, report.completed), (0, 0), "{report:?}");
    assert_eq!(report.responses_received, 0);
    assert!(!report.ok());
    assert!(report.connect_error.is_some(), "{report:?}");
    assert_eq!(
        report.json(),
        "{\"connections\": 3, \"completed\": 0, \"responses_expected\": 15, \
         \"responses_received\": 0, \"events\": 0, \"p50_ms\": null, \"p99_ms\": null}"
    );
}

/// Normal connections beside `kind` hostile ones: every normal response comes, and the
/// hostile counts, in the JSON line.
fn beside(kind: loadgen::hostile::Kind) -> loadgen::Report {
    let mut config = loadgen::Config::new(start_demo());
    config.connections = 20;
    config.hold = Duration::from_secs(1);
    config.progress = false;
    config.hostile = Some(kind);
    config.hostile_connections = 5;
    config.server_pid = Some(std::process::id());
    let report = runtime().block_on(loadgen::run(config));
    assert!(report.ok(), "{report:?}");
    let parsed: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
    assert_eq!(parsed["hostile"], kind.name());
    assert_eq!(parsed["hostile_connections"], 5);
    assert!(parsed["server_peak_rss_kb"].as_u64().unwrap() > 0);
    report
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn garbage_clients_are_answered_beside_normal_ones() {
    let hostile = beside(loadgen::hostile::Kind::Garbage).hostile.unwrap();
    assert!(hostile.answered >= 5, "{hostile:?}");
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn oversize_and_churn_clients_end_as_they_should_beside_normal_ones() {
    for kind in [
        loadgen::hostile::Kind::Oversize,
        loadgen::hostile::Kind::Churn,
    ] {
        let hostile = beside(kind).hostile.unwrap();
        assert!(hostile.attempts >= 5, "{hostile:?}");
        assert_eq!(hostile.closed, hostile.attempts, "{hostile:?}");
    }
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn stalled_clients_do_not_stop_normal_ones() {
    let hostile = beside(loadgen::hostile::Kind::Stall).hostile.unwrap();
    assert_eq!(hostile.attempts, 5, "{hostile:?}");
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn wss_connections_get_every_response_with_insecure_and_none_without() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("xentara-ws-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let tls = demo::server::server_config(&cert, &key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve_tls(listener, None, tls));

    let mut config = loadgen::Config::new(format!("wss://{addr}{}", demo::server::PATH));
    config.connections = 20;
    config.hold = Duration::from_secs(1);
    config.progress = false;
    config.trust = xentara_ws_support::demo::options::Trust::Insecure;
    let report = runtime().block_on(loadgen::run(config.clone()));
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.responses_received, 100);

    // Without --insecure a self-signed certificate is refused: nothing connects.
    config.trust = xentara_ws_support::demo::options::Trust::PublicRoots;
    let report = runtime().block_on(loadgen::run(config));
    assert_eq!(report.connected, 0, "{report:?}");
    let error = report.connect_error.unwrap();
    assert!(
        error.starts_with("TLS: invalid peer certificate"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
