//! `xentara-ws check` (the binary) against the example server, which must pass every case;
//! against deliberately wrong servers — the example server behind a proxy that breaks one
//! rule — which must fail the cases of that rule and no other; and against one that makes
//! the other valid choice wherever the spec leaves one, which must fail none.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use tungstenite::{Message, WebSocket};
use xentara_ws::{Batch, Packet, Response, Success, encode_batch};
use xentara_ws_support::{conformance, demo};

/// The example server on a fresh loopback port, for the rest of the test process.
fn example_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve(listener, None));
    addr
}

/// `xentara-ws-tokio`'s one-point example, the least a server on its `Model` needs.
#[allow(dead_code)] // its `main`
#[path = "../../xentara-ws-tokio/examples/one_point.rs"]
mod one_point;

/// The one-point example on a fresh loopback port, for the rest of the test process.
fn one_point_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            one_point::run(listener).await
        })
    });
    addr
}

/// One suite at a time: its timing cases measure events as they arrive, and suites run
/// side by side would measure each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `xentara-ws check` with `args`: its exit status, and its output by line.
fn run(args: &[&str]) -> (u8, Vec<String>) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xentara-ws"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let status = out
        .status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(255);
    (status, text.lines().map(str::to_owned).collect())
}

/// The ids of the cases with `verdict` (`pass`, `FAIL`, `skip`).
fn with(lines: &[String], verdict: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("{verdict} ")))
        .map(|l| l.split_whitespace().nth(2).unwrap().to_owned())
        .collect()
}

fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/api/ws")
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_example_server_passes_every_case() {
    passes_every_case(example_server());
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_one_point_example_passes_every_case() {
    passes_every_case(one_point_server());
}

/// Runs every case, the stage commands and sub-sessions included, against the server at
/// `addr`: each passes, and the JSON report has them with what was sent and received.
fn passes_every_case(addr: SocketAddr) {
    let url = url(addr);
    let name = format!("conformance-{}-{}.json", std::process::id(), addr.port());
    let json = std::env::temp_dir().join(name);
    let json_arg = json.to_str().unwrap();
    let args = [
        "--user",
        "admin",
        "--password",
        "admin",
        "--stage-commands",
        "--json",
        json_arg,
        &url,
    ];
    let (status, lines) = run(&args);
    let cases = conformance::cases().len();
    assert_eq!(lines[0], format!("checking {url}"));
    assert_eq!(with(&lines, "pass").len(), cases, "{lines:#?}");
    assert!(
        lines.last().unwrap().starts_with(&format!(
            "{cases} cases: {cases} pass, 0 non-strict, 0 info, 0 FAIL, 0 skip ("
        )),
        "{lines:#?}"
    );
    assert_eq!(status, 0);

    // The report has every case with what it sent and received.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(report["summary"]["pass"], cases);
    let all = report["cases"].as_array().unwrap();
    assert_eq!(all.len(), cases);
    for case in all {
        assert_eq!(case["verdict"], "pass", "{case}");
        let exchanges = case["exchanges"].as_array().unwrap();
        assert!(exchanges.iter().any(|e| e["dir"] == "sent"), "{case}");
        assert!(exchanges.iter().any(|e| e["dir"] == "received"), "{case}");
    }
    let missing = all.iter().find(|c| c["id"] == "hello.missing").unwrap();
    // The get_stage before any hello, and the spec's answer to it.
    assert_eq!(missing["exchanges"][0]["hex"], "8183000208");
    assert_eq!(missing["exchanges"][0]["diag"], "[[0, 2, 8]]");
    assert_eq!(
        missing["exchanges"][1]["diag"],
        "[[2, 2, {0: -32000, 1: \"missing client hello request\"}]]"
    );
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn what_the_servers_data_or_flags_cannot_exercise_is_skipped_not_passed() {
    let url = url(example_server());
    let (status, lines) = run(&[&url]);
    let mut skipped = with(&lines, "skip");
    skipped.sort();
    assert_eq!(
        skipped,
        [
            "shutdown.wrong-type",
            "sub_session.bad-credentials",
            "sub_session.create-close",
            "sub_session.desired-id",
            "sub_session.nil-desired-id",
            "sub_session.write",
            "suspend.wrong-type",
        ],
        "{lines:#?}"
    );
    assert!(with(&lines, "FAIL").is_empty(), "{lines:#?}");
    assert_eq!(status, 0);
    let line = lines
        .iter()
        .find(|l| l.contains("sub_session.write"))
        .unwrap();
    assert!(
        line.ends_with("no --user/--password to log a sub-session in with"),
        "{line}"
    );
}

/// How the proxy breaks the example server.
#[derive(Clone, Copy)]
enum Fault {
    /// Answers commands sent before the hello: the server's -32000 errors become successes.
    NoHelloNeeded,
    /// No throttle: every event message is sent twice, back to back.
    NoThrottle,
    /// Correct, but with the other valid choice wherever the spec leaves one open: null
    /// for an id that cannot be read, -32600 for an unknown opcode and for an inverted
    /// hello range, an error answer to an empty batch.
    OtherChoices,
}

/// The example server behind a proxy with `fault`.
fn wrong_server(fault: Fault) -> SocketAddr {
    let upstream = example_server();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for client in listener.incoming() {
            let client = client.unwrap();
            thread::spawn(move || proxy(client, upstream, fault));
        }
    });
    addr
}

/// Relays one connection, both ways, with the fault applied to the server's messages.
fn proxy(client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let tick = Some(Duration::from_millis(2));
    let Ok(mut near) = tungstenite::accept(client.try_clone().unwrap()) else {
        return;
    };
    let server = TcpStream::connect(upstream).unwrap();
    let (mut far, _) = tungstenite::client(url(upstream), server.try_clone().unwrap()).unwrap();
    client.set_read_timeout(tick).unwrap();
    server.set_read_timeout(tick).unwrap();
    loop {
        match poll(&mut near) {
            Err(()) => return,
            Ok(Some(message)) if matches!(fault, Fault::OtherChoices) && message == [0x80] => {
                // [[2, null, {0: -32600, 1: "empty batch"}]]
                let mut answer = vec![0x81, 0x83, 0x02, 0xf6, 0xa2, 0x00, 0x39, 0x7f, 0x57, 0x01];
                answer.push(0x60 + 11);
                answer.extend_from_slice(b"empty batch");
                if near.send(Message::binary(answer)).is_err() {
                    return;
                }
            }
            Ok(Some(message)) => {
                if far.send(Message::binary(message)).is_err() {
                    return;
                }
            }
            Ok(None) => {}
        }
        match poll(&mut far) {
            Err(()) => return,
            Ok(Some(message)) => {
                for message in broken(&message, fault) {
                    if near.send(Message::binary(message)).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => {}
        }
    }
}

/// The next binary message, `None` when none came within the read timeout; `Err` when the
/// connection ended.
fn poll(ws: &mut WebSocket<TcpStream>) -> Result<Option<Vec<u8>>, ()> {
    match ws.read() {
        Ok(Message::Binary(bytes)) => Ok(Some(bytes.to_vec())),
        Ok(Message::Close(_)) => Err(()),
        Ok(_) => Ok(None),
        Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
        Err(_) => Err(()),
    }
}

/// What the broken server sends instead of `message`.
fn broken(message: &[u8], fault: Fault) -> Vec<Vec<u8>> {
    let packets: Vec<Packet<'_>> = Batch::new(message)
        .unwrap()
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    match fault {
        Fault::NoThrottle if packets.iter().all(|p| matches!(p, Packet::Event(_))) => {
            vec![message.to_vec(), message.to_vec()]
        }
        Fault::NoThrottle => vec![message.to_vec()],
        Fault::OtherChoices => {
            let mut out = vec![0x80 | packets.len() as u8];
            assert!(packets.len() < 24, "a short test message");
            for packet in &packets {
                match packet {
                    Packet::Error(e) => {
                        let text = e.error.text().to_string();
                        let code = match e.error.code.code() {
                            -32601 => -32600,
                            -32602 if text.contains("greater than maximum") => -32600,
                            code => code,
                        };
                        // Id 0 of an error for a packet whose id could not be read.
                        let unreadable = e.id == 0 && matches!(code, -32600 | -32700);
                        error_packet(&mut out, (!unreadable).then_some(e.id), code, &text);
                    }
                    other => {
                        let mut one = vec![0; message.len() + 64];
                        let n = encode_batch(std::slice::from_ref(other), &mut one).unwrap();
                        // Without the outer array's head (one packet: 0x81).
                        out.extend_from_slice(&one[1..n]);
                    }
                }
            }
            vec![out]
        }
        Fault::NoHelloNeeded => {
            let packets: Vec<Packet<'_>> = packets
                .into_iter()
                .map(|p| match p {
                    Packet::Error(e) if e.error.code.code() == -32000 => {
                        Success::new(e.id, Response::Write(())).into()
                    }
                    other => other,
                })
                .collect();
            let mut out = vec![0; message.len() + 64];
            let n = encode_batch(&packets, &mut out).unwrap();
            out.truncate(n);
            vec![out]
        }
    }
}

/// `[2, id, {0: code, 1: text}]`, a null id for `None` (small ids and texts only).
fn error_packet(out: &mut Vec<u8>, id: Option<i64>, code: i64, text: &str) {
    out.push(0x83);
    out.push(0x02);
    match id {
        Some(id) => {
            let mut buf = vec![0; 16];
            let n = xentara_ws::encode(&id, &mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        None => out.push(0xf6),
    }
    out.extend([0xa2, 0x00, 0x39]);
    out.extend(u16::try_from(-1 - code).unwrap().to_be_bytes());
    out.push(0x01);
    assert!(text.len() < 256);
    out.extend([0x78, text.len() as u8]);
    out.extend_from_slice(text.as_bytes());
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_server_making_the_other_valid_choices_fails_no_case() {
    let url = url(wrong_server(Fault::OtherChoices));
    let (status, lines) = run(&["--user", "admin", "--password", "admin", &url]);
    assert!(with(&lines, "FAIL").is_empty(), "{lines:#?}");
    let mut graded = with(&lines, "non-strict");
    graded.sort();
    assert_eq!(
        graded,
        [
            "framing.empty-batch",
            "hello.range-inverted",
            "opcode.unknown"
        ],
        "{lines:#?}"
    );
    assert_eq!(status, 0);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_server_that_answers_before_the_hello_fails_that_case_only() {
    let url = url(wrong_server(Fault::NoHelloNeeded));
    let (status, lines) = run(&["--user", "admin", "--password", "admin", &url]);
    assert_eq!(with(&lines, "FAIL"), ["hello.missing"], "{lines:#?}");
    let line = lines.iter().find(|l| l.starts_with("FAIL")).unwrap();
    assert!(
        line.ends_with("get_stage before client_hello got ok, not error -32000"),
        "{line}"
    );
    assert_eq!(status, 1);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_server_that_drops_the_throttle_is_graded_non_strict_not_failed() {
    let url = url(wrong_server(Fault::NoThrottle));
    let (status, lines) = run(&["--user", "admin", "--password", "admin", &url]);
    assert!(with(&lines, "FAIL").is_empty(), "{lines:#?}");
    assert_eq!(
        with(&lines, "non-strict"),
        ["subscribe.throttle"],
        "{lines:#?}"
    );
    let line = lines.iter().find(|l| l.starts_with("non-strict")).unwrap();
    assert!(line.contains("ms apart (throttle 400 ms)"), "{line}");
    assert_eq!(status, 0);
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_server_that_cannot_be_reached_is_one_error_not_every_case() {
    // A port nobody listens on (bound, then closed).
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert_eq!(run(&[&url(addr)]), (1, vec![]));
    // No WebSocket API at that path.
    let server = example_server();
    assert_eq!(run(&[&format!("ws://{server}/other")]), (1, vec![]));
    // A bad command line.
    assert_eq!(run(&["--password", "p", &url(server)]).0, 2);
    assert_eq!(run(&[]).0, 2);
}

#[test]
fn every_case_has_its_own_id_a_section_and_a_spec_line() {
    let cases = conformance::cases();
    // README.md's "Checking a server" gives the count.
    assert_eq!(cases.len(), 83);
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), cases.len(), "duplicate case ids");
    for case in &cases {
        let section = case.section;
        assert!(
            section.split('.').all(|n| n.parse::<u32>().is_ok()),
            "{}: section {section:?}",
            case.id
        );
        assert!(!case.spec.is_empty(), "{}", case.id);
    }
}
