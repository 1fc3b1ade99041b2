//! The `xentara-ws` binary run as a user runs it, against the demo server on loopback:
//! what each subcommand prints and its exit status.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread;

use xentara_ws_support::demo;

/// Serves the demo model on a fresh loopback port for the rest of the process; its URL.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve(listener, None));
    format!("ws://{addr}/api/ws")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xentara-ws"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the binary with `args` and `input` on its stdin.
fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_xentara-ws"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const POINT: &str = "Group 1.Data Point 1";
const POINT_ID: &str = "e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8";

#[test]
fn call_prints_typed_answers_and_json() {
    let url = server();
    let out = run(&["call", &url, "lookup", POINT]);
    assert_eq!(stdout(&out), format!("{POINT_ID}\n"));
    assert!(out.status.success());

    let out = run(&["call", &url, "write", POINT, "25.5"]);
    assert_eq!(stdout(&out), "Value = 25.5\n", "{}", stderr(&out));
    let out = run(&["call", "--json", &url, "read", POINT_ID, "quality"]);
    assert_eq!(stdout(&out), "{\"Quality\":0}\n");
    let out = run(&["call", &url, "get-stage"]);
    assert_eq!(stdout(&out), "Operational\n");

    let out = run(&["call", &url, "browse"]);
    assert_eq!(
        stdout(&out).lines().map(str::trim_end).collect::<Vec<_>>()[1],
        format!("  Data Point 1  (Data Point, {POINT_ID})")
    );
    let out = run(&["call", "--json", &url, "browse"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["elements"][1]["element"], POINT_ID);
}

#[test]
fn failures_are_one_line_with_exit_1_and_a_bad_command_line_is_2() {
    let url = server();
    let out = run(&["call", &url, "lookup", "nothing"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "xentara-ws: server error -32100: unknown element\n"
    );

    let out = run(&["call", "ws://127.0.0.1:1/api/ws", "get-stage"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("xentara-ws: cannot connect to 127.0.0.1:1: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1);

    let out = run(&["call", &url, "read", POINT, "colour"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("xentara-ws: \"colour\" is not an attribute"));

    let out = run(&["load", "http://h:1/api/ws"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "xentara-ws: http://h:1/api/ws: not a ws:// or wss:// URL\n"
    );
    for bad in [
        &["load", "ws://h:1/", "--connections", "0"][..],
        &["load", "ws://h:1/", "--connections", "many"],
        &["load", "ws://h:1/", "--hostile", "polite"],
        &["load", "ws://h:1/", "--threads", "4"],
        &["load"],
    ] {
        assert_eq!(run(bad).status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(run(&["bogus"]).status.code(), Some(2));
    assert_eq!(run(&["call", &url]).status.code(), Some(2));
    assert_eq!(
        run(&["check", &url, "--ca", "a", "--insecure"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn watch_prints_events_until_its_time_is_up() {
    let url = server();
    let out = run(&["watch", &url, POINT, "--throttle", "100", "--seconds", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("subscribed "), "{text}");
    assert!(lines[0].ends_with(&format!(" ({POINT_ID})")), "{text}");
    // The first event at once, then every 100 ms as the value changes.
    assert!(lines.len() >= 4, "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains("Z Value = ")),
        "{text}"
    );
}

#[test]
fn check_lists_selects_and_passes_the_demo_server() {
    let out = run(&["check", "--list", "--only", "5.1", "--skip", "hello.docs"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.starts_with("5.1   hello.")),
        "{text}"
    );
    assert!(!text.contains("hello.docs-range"), "{text}");
    assert_eq!(text.lines().count(), 7, "{text}");

    let url = server();
    let out = run(&["check", &url, "--only", "6.3", "--only", "5.1"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().next(),
        Some(format!("checking {url}").as_str())
    );
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("12 cases: 12 pass, 0 non-strict, 0 info, 0 FAIL, 0 skip ("),
        "{text}"
    );
}

#[test]
fn inspect_and_replay_read_hex_lines() {
    let out = run(&["inspect", "818400010ea200010101"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("request, message id 1, opcode 14 client_hello"));
    assert_eq!(run(&["inspect", "ff"]).status.code(), Some(1));

    let out = run_with_input(&["replay", "server"], b"818400010ea200010101\n");
    assert_eq!(stdout(&out), "81830101a10001\n");
}

#[test]
fn load_reports_every_response() {
    let url = server();
    let out = run(&["load", &url, "--connections", "20", "--seconds", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(json["completed"], 20);
    assert_eq!(json["responses_received"], 100);
}

/// A directory of its own under the system's temporary one.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xentara-ws-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_writes_a_report_and_junit_and_compares_with_expected_verdicts() {
    let url = server();
    let dir = temp_dir("report");
    let (report, junit) = (dir.join("report"), dir.join("junit.xml"));
    let out = run(&[
        "check",
        &url,
        "--only",
        "6.3",
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stdout(&out));

    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["summary"]["pass"], 4);
    assert_eq!(index["cases"]["lookup.known"]["verdict"], "pass");
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("lookup.missing.json")).unwrap())
            .unwrap();
    assert_eq!(case["spec"], "6.3: key 0 (primary_key) is required");
    assert!(case["exchanges"].as_array().unwrap().len() >= 4);

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 4);
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    assert!(
        cases
            .iter()
            .any(|c| c.attribute("name") == Some("lookup.known"))
    );

    // The run's own index pins its results: the same verdicts, exit 0.
    let expect = report.join("index.json");
    let args = [
        "check",
        &url,
        "--only",
        "6.3",
        "--expect",
        expect.to_str().unwrap(),
    ];
    let out = run(&args);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).ends_with(&format!("as expected by {}\n", expect.display())));

    // An expected failure that now passes is a difference: exit 1, the case named.
    let text = std::fs::read_to_string(&expect).unwrap();
    let pinned = text.replacen("\"pass\"", "\"fail\"", 1);
    let wrong = dir.join("pinned.json");
    std::fs::write(&wrong, &pinned).unwrap();
    let out = run(&[
        "check",
        &url,
        "--only",
        "6.3",
        "--expect",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let differs: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("differs from "))
        .collect();
    assert_eq!(differs.len(), 1, "{}", stdout(&out));
    assert!(
        differs[0].contains(": newly passes (fail → pass): "),
        "{}",
        differs[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_json_of_every_vector_parses_and_keeps_its_ids_and_codes() {
    use xentara_ws::Packet;
    let vectors = [
        xentara_ws_support::vectors::spec_vectors(),
        xentara_ws_support::vectors::peer_vectors(),
    ]
    .concat();
    let input: String = vectors
        .iter()
        .map(|v| hex::encode(&v.bytes) + "\n")
        .collect();
    let out = run_with_input(&["inspect", "--json"], input.as_bytes());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), vectors.len());
    for (vector, line) in vectors.iter().zip(lines) {
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        let batch = xentara_ws::Batch::new(&vector.bytes).unwrap();
        let packets = json["packets"].as_array().unwrap();
        assert_eq!(packets.len(), batch.iter().count(), "{}", vector.name);
        for (packet, entry) in batch.iter().zip(packets) {
            match packet.unwrap() {
                Packet::Request(r) => {
                    assert_eq!(entry["id"], r.id, "{}", vector.name);
                    assert_eq!(entry["opcode"], r.command.opcode() as u8);
                }
                Packet::Success(s) => assert_eq!(entry["id"], s.id, "{}", vector.name),
                Packet::Error(e) => {
                    assert_eq!(entry["id"], e.id);
                    assert_eq!(entry["code"], e.error.code.code(), "{}", vector.name);
                }
                Packet::Event(_) => assert_eq!(entry["type"], "event"),
            }
        }
    }
}

#[test]
fn inspect_diag_and_json_errors() {
    let out = run(&["inspect", "--diag", "818400010ea200010101"]);
    assert_eq!(stdout(&out), "[[0, 1, 14, {0: 1, 1: 1}]]\n");
    // A packet whose id is a text: the error with its kind, offset and code.
    let out = run(&["inspect", "--json", "818300616108"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let error = &json["packets"][0]["error"];
    assert_eq!(error["code"], -32700, "{json}");
    assert_eq!(error["offset"], 3, "{json}");
    assert_eq!(error["kind"], "InvalidHeader");
    assert_eq!(error["field"], "message id");
    assert_eq!(json["packets"][0]["diag"], "[0, \"a\", 8]");
}
