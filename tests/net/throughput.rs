//! Throughput, smoke only: the throughput tool's measurements (`xentara_ws_support::
//! throughput`, the example `throughput`) for about a second each against the demo server
//! and the tool's echo server, both in this process over loopback. Every read must be
//! answered (none lost, no error); how fast is not asserted (the machine is shared).

use xentara_ws_support::throughput;

use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use super::{runtime, start_demo};

/// Serves the echo server on a fresh loopback port, for the rest of the process; its URL.
fn start_echo() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || throughput::serve_echo(listener));
    format!("ws://{addr}/api/ws")
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_server_and_the_echo_server_answer_every_read() {
    let mut config = throughput::LoadConfig::new(start_demo());
    config.duration = Duration::from_secs(1);
    // Both servers are in this process: each row's CPU time is the whole process's.
    config.pid = Some(std::process::id());
    let echo = start_echo();
    let both = runtime().block_on(throughput::ceiling(config, echo, Some(std::process::id())));
    eprintln!("{}", both.table());
    let json = both.json();

    for (report, kind) in [(&both.server, "server"), (&both.echo, "echo")] {
        assert_eq!(report.connected, 8, "{kind}: {report:?}");
        assert_eq!((report.lost, report.errors), (0, 0), "{kind}: {report:?}");
        assert_eq!(report.failure, None, "{kind}");
        assert!(report.ok(), "{kind}: {report:?}");
        assert!(report.messages_sent > 0, "{kind}: {report:?}");
        assert_eq!(report.reads_sent, 16 * report.messages_sent, "{kind}");
        assert!(report.seconds > 0.0, "{kind}: {report:?}");
        assert!(report.target_cpu_s.unwrap() > 0.0, "{kind}: {report:?}");
        assert!(report.target_cpu_us_per_message().unwrap() > 0.0, "{kind}");
    }
    // The server answers each read with its value; the echo server sends each back.
    assert_eq!(both.server.answered, both.server.reads_sent);
    assert_eq!(both.server.echoed, 0);
    assert_eq!(both.echo.echoed, both.echo.reads_sent);
    assert_eq!(both.echo.answered, 0);
    assert!(both.ratio() > 0.0, "{json}");
    assert!(both.cpu_ratio().unwrap() > 0.0, "{json}");

    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["measurement"], "server");
    assert_eq!(parsed["server"]["lost"], 0);
    assert_eq!(parsed["echo"]["lost"], 0);
    assert_eq!(parsed["server"]["answered"], both.server.answered);
    assert_eq!(parsed["echo"]["echoed"], both.echo.echoed);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_client_and_the_hand_driven_session_get_every_read_answered() {
    let mut config = throughput::ClientConfig::new(start_demo());
    config.duration = Duration::from_secs(1);
    // At most the demo server's 32 requests per message, which the client does not split.
    config.tasks = 32;
    let both = runtime().block_on(throughput::compare_clients(config));
    eprintln!("{}", both.table());

    for report in [&both.adapter, &both.hand] {
        assert_eq!(report.tasks, 32, "{report:?}");
        assert!(report.answered > 0, "{report:?}");
        assert_eq!((report.lost, report.errors), (0, 0), "{report:?}");
        assert_eq!(report.failure, None);
        assert!(report.ok(), "{report:?}");
        let (p50, p99) = (report.p50_ms.unwrap(), report.p99_ms.unwrap());
        assert!(0.0 <= p50 && p50 <= p99, "{report:?}");
        assert!(report.cpu_us_per_request().unwrap() > 0.0, "{report:?}");
    }
    assert!(both.ratio() > 0.0 && both.cpu_ratio().unwrap() > 0.0);
    assert_eq!((both.adapter.driver, both.hand.driver), ("adapter", "hand"));
    let parsed: serde_json::Value = serde_json::from_str(&both.json()).unwrap();
    assert_eq!(parsed["measurement"], "client");
    assert_eq!(parsed["adapter"]["answered"], both.adapter.answered);
    assert_eq!(parsed["hand"]["lost"], 0);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn reads_to_a_closed_port_are_a_failure_not_a_hang() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("ws://{addr}/api/ws");
    let mut config = throughput::LoadConfig::new(url.clone());
    config.connections = 2;
    let report = runtime().block_on(throughput::load(config));
    assert_eq!((report.connected, report.reads_sent), (0, 0), "{report:?}");
    assert!(!report.ok());
    assert!(report.failure.unwrap().starts_with("connect: "));

    let report = runtime().block_on(throughput::hand(throughput::ClientConfig::new(url)));
    assert_eq!(report.answered, 0);
    assert!(!report.ok());
    assert!(report.failure.unwrap().starts_with("connect: "));
}

#[test]
fn the_command_line_is_checked() {
    use throughput::{Run, parse_args};
    let args = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    assert_eq!(
        parse_args(&args("echo --listen 127.0.0.1:9")),
        Ok(Run::Echo {
            listen: "127.0.0.1:9".to_owned()
        })
    );
    let Ok(Run::Server {
        load,
        echo,
        echo_pid,
    }) = parse_args(&args(
        "server ws://h:1/api/ws --echo ws://h:2/api/ws --connections 3 --in-flight 2 --reads 5 \
         --seconds 0.5 --server-pid 7 --echo-pid 8",
    ))
    else {
        panic!("not a server run");
    };
    assert_eq!(load.url, "ws://h:1/api/ws");
    assert_eq!(echo.as_deref(), Some("ws://h:2/api/ws"));
    assert_eq!((load.connections, load.in_flight, load.reads), (3, 2, 5));
    assert_eq!(load.duration, Duration::from_millis(500));
    assert_eq!(load.element, throughput::ELEMENT);
    assert_eq!((load.pid, echo_pid), (Some(7), Some(8)));
    let Ok(Run::Server {
        load,
        echo: None,
        echo_pid: None,
    }) = parse_args(&args("server ws://h:1/"))
    else {
        panic!("not a server run without echo");
    };
    assert_eq!(load, throughput::LoadConfig::new("ws://h:1/"));
    let Ok(Run::Client(client)) = parse_args(&args(
        "client ws://h:1/ --tasks 7 --batch 3 --element 00000000-0000-0000-0000-000000000001",
    )) else {
        panic!("not a client run");
    };
    assert_eq!((client.tasks, client.batch), (7, 3));
    assert_eq!(client.duration, Duration::from_secs(10));
    assert_eq!(client.element, xentara_ws::Uuid::from_u128(1));
    assert_eq!((client.workers, client.rounds), (None, 1));
    let Ok(Run::Client(client)) = parse_args(&args("client ws://h:1/ --rounds 5")) else {
        panic!("not a client run");
    };
    assert_eq!(client.rounds, 5);
    for (option, workers) in [("0", Some(0)), ("3", Some(3))] {
        let Ok(Run::Client(client)) =
            parse_args(&args(&format!("client ws://h:1/ --workers {option}")))
        else {
            panic!("not a client run");
        };
        assert_eq!(client.workers, workers);
    }
    for bad in [
        "",
        "serve ws://h:1/",
        "echo",
        "echo --listen",
        "server",
        "server http://h:1/",
        "server ws://h:1/ --echo wss://h:2/",
        "server ws://h:1/ --connections 0",
        "server ws://h:1/ --reads many",
        "server ws://h:1/ --in-flight 16 --reads 16",
        "server ws://h:1/ --seconds -1",
        "server ws://h:1/ --tasks 3",
        "client ws://h:1/ --reads 3",
        "client ws://h:1/ --element nope",
        "client ws://h:1/ --workers -1",
        "client ws://h:1/ --rounds 0",
        "server ws://h:1/ --rounds 2",
        "server ws://h:1/ --workers 1",
        "client ws://h:1/ ws://h:2/",
        "echo --listen a:1 ws://h:1/",
    ] {
        assert!(parse_args(&args(bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn rounds_report_each_ratio_and_their_medians() {
    use throughput::{ClientComparison, ClientReport, ClientRounds};
    let report = |driver, answered: u64, cpu_s| ClientReport {
        driver,
        tasks: 64,
        seconds: 1.0,
        answered,
        errors: 0,
        lost: 0,
        p50_ms: Some(0.1),
        p99_ms: Some(0.2),
        failure: None,
        cpu_s: Some(cpu_s),
    };
    // Ratios 0.5, 0.9, 0.7 (requests/s); CPU per request hand / client 0.25, 0.81, 0.49.
    let round = |client, hand| ClientComparison {
        adapter: report("adapter", client, 1.0),
        hand: report(
            "hand",
            hand,
            f64::from(client as u32) / f64::from(hand as u32),
        ),
    };
    let rounds = ClientRounds(vec![round(500, 1000), round(900, 1000), round(700, 1000)]);
    assert!(rounds.ok());
    assert!((rounds.ratio() - 0.7).abs() < 1e-9, "{}", rounds.ratio());
    let cpu = rounds.cpu_ratio().unwrap();
    assert!((cpu - 0.49).abs() < 1e-9, "{cpu}");
    let table = rounds.table();
    assert!(
        table.contains("3 rounds: requests/s, client / hand-driven: 0.50 0.90 0.70 (median 0.70)"),
        "{table}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&rounds.json()).unwrap();
    assert_eq!(parsed["rounds"].as_array().unwrap().len(), 3);
    assert_eq!(parsed["rounds"][1]["adapter"]["answered"], 900);
    assert_eq!(parsed["ratio"], 0.7);
    // One round prints as before: that round's own object.
    let one = ClientRounds(vec![round(800, 1000)]);
    assert_eq!(one.json(), one.0[0].json());
    assert_eq!(one.table(), one.0[0].table());
    // Two rounds: the mean of the middle two; a failure makes the whole not ok.
    let mut two = ClientRounds(vec![round(600, 1000), round(800, 1000)]);
    assert!((two.ratio() - 0.7).abs() < 1e-9);
    two.0[1].hand.failure = Some("connect: refused".to_owned());
    assert!(!two.ok());
    assert_eq!(two.failures(), ["connect: refused"]);
}
