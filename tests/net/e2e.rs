//! End to end: the example server and the example client (their shared demo code) talk
//! over loopback WebSocket; and both `--replay` drivers on fixed input.

use xentara_ws_support::demo;

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use xentara_ws::params::{ClientHello, GetStage, Lookup, MetaData};
use xentara_ws::*;
use xentara_ws::{MetaDataId, Seq};

/// Serves on a fresh loopback port until `connections` upgrades have reached the
/// credentials check and every connection has ended; the receiver says when it ended.
fn start_server(connections: usize) -> (String, mpsc::Receiver<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done, ended) = mpsc::channel();
    thread::spawn(move || {
        let result = demo::server::serve(listener, Some(connections));
        let _ = done.send(result.is_ok());
    });
    (format!("ws://{addr}/api/ws"), ended)
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_example_client_walks_the_example_server_over_loopback() {
    let (url, ended) = start_server(1);
    let mut out = Vec::new();
    let options = demo::client::Options::default();
    let result = demo::client::run_walk(&url, &options, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(result.is_ok(), "{result:?}\n{text}");
    if let Err(e) = demo::client::check_walk(&text) {
        panic!("{e}");
    }
    assert_eq!(ended.recv_timeout(Duration::from_secs(30)), Ok(true));
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn the_example_server_checks_the_path_and_basic_credentials() {
    // The wrong path is refused before the credentials check: two count.
    let (url, ended) = start_server(2);
    let addr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/api/ws")
        .to_owned();
    let connect = |url: &str, auth: Option<&str>| {
        let mut request = url.into_client_request().unwrap();
        if let Some(auth) = auth {
            request
                .headers_mut()
                .insert("authorization", auth.parse().unwrap());
        }
        let stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        tungstenite::client(request, stream)
            .map(|(mut ws, _)| ws.close(None))
            .map_err(|e| e.to_string())
    };
    assert!(connect(&format!("ws://{addr}/other"), None).is_err());
    assert!(connect(&url, Some("Basic d3Jvbmc6d3Jvbmc=")).is_err());
    // admin:admin
    assert!(connect(&url, Some("Basic YWRtaW46YWRtaW4=")).is_ok());
    assert_eq!(ended.recv_timeout(Duration::from_secs(30)), Ok(true));
}

fn hex_of(packets: &[Packet<'_>]) -> String {
    let mut buf = vec![0u8; 4096];
    let n = encode_batch(packets, &mut buf).unwrap();
    demo::text::to_hex(&buf[..n])
}

fn request(id: i64, command: impl Into<Command<'static>>) -> Packet<'static> {
    Packet::Request(Request {
        id,
        command: command.into(),
    })
}

fn server_replay(lines: &[String]) -> Vec<String> {
    let input = lines.join("\n");
    let mut out = Vec::new();
    demo::server::replay(input.as_bytes(), &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn server_replay_answers_line_by_line() {
    let batch = hex_of(&[
        request(
            65,
            Lookup {
                primary_key: "Group 1.Data Point 1".into(),
            },
        ),
        request(66, GetStage),
        request(
            67,
            MetaData {
                element: demo::model::POINT_1,
                ids: Seq::from_slice(&[MetaDataId::PrimaryKey, MetaDataId::Unknown(83)]),
            },
        ),
    ]);
    let lines = [
        hex_of(&[request(2, GetStage)]),
        hex_of(&[request(1, ClientHello::default())]),
        batch,
        // The seed command: close_sub_session of an unknown sub-session.
        "8184001841 0da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8".to_owned(),
        "80".to_owned(),
        "not hex".to_owned(),
        // create_sub_session admin/admin without a desired id: a deterministic id.
        "8184000c0ca100d87ba2006561646d696e0165 61646d696e".to_owned(),
    ];
    let out = server_replay(&lines);
    let error = |id, code: ErrorCode, message: &'static str| {
        Packet::Error(ErrorResponse {
            id,
            error: ErrorObject {
                code,
                message: Some(message.into()),
            },
        })
    };
    let ok = |id, response| Packet::Success(Success::new(id, response));
    let expected = [
        hex_of(&[error(
            2,
            ErrorCode::MissingClientHello,
            "missing client hello request",
        )]),
        "81830101a10001".to_owned(),
        hex_of(&[
            ok(65, Response::Lookup(demo::model::POINT_1)),
            ok(66, Response::GetStage(xentara_ws::Stage::Operational)),
            error(
                67,
                ErrorCode::InvalidParameter,
                "invalid meta data identifier",
            ),
        ]),
        hex_of(&[error(65, ErrorCode::UnknownSessionId, "unknown session Id")]),
        "-".to_owned(),
        "-".to_owned(),
        "8183010cd825505e550000000040008000000000000001".to_owned(),
    ];
    assert_eq!(out, expected);
    // Reproducible.
    assert_eq!(server_replay(&lines), expected);
}

#[test]
fn client_replay_prints_what_it_sent_and_what_came_back() {
    let input = "\
> 8184000203a1007447726f757020312e4461746120506f696e742031
< 82830101a10001830102d82550e3ee10714d884ba18e5d0f1e4ce25ee8
> 80
< 81830800a300c11a6553f10001d82550e3ee10714d884ba18e5d0f1e4ce25ee802a209d879030bd87aa200397d6a01686e6f2076616c7565
> 8184000506a10081a200d82550e3ee10714d884ba18e5d0f1e4ce25ee80182090b
< 81830103d8255000000000000000000000000000000000
< 81830205a200397d66016972656164206f6e6c79
< 818403
< 82820109830800a300c11a6553f10001d82550e3ee10714d884ba18e5d0f1e4ce25ee802a209d879030bd87aa200397d6a01686e6f2076616c7565
> 818400010ea200010101
nonsense
";
    let mut out = Vec::new();
    demo::client::replay(input.as_bytes(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let expected = "\
sent 828400010ea20001010184000203a1007447726f757020312e4461746120506f696e742031
response 1 ok {0: 1}
response 2 ok 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')
sent 80
event {0: 1(1700000000), 1: 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8'), 2: {9: 121(3), 11: 122({0: -32107, 1: \"no value\"})}}
sent 8184000306a10081a200d82550e3ee10714d884ba18e5d0f1e4ce25ee80182090b
response 3 ok 37(h'00000000000000000000000000000000')
unexpected 5 unknown id
invalid -32700: truncated input at byte 3
unexpected 9 unknown id
event {0: 1(1700000000), 1: 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8'), 2: {9: 121(3), 11: 122({0: -32107, 1: \"no value\"})}}
reject -32001: client_hello was already sent
reject -32700: not a '> HEX' or '< HEX' line
";
    assert_eq!(out, expected);
}

/// `[8, 0, {0: 1(1700000000), 1: 37(h'E3EE…'), 2: VALUES}]`: a data-change event packet.
fn event_packet(values: &str) -> String {
    format!("830800a300c11a6553f10001d82550e3ee10714d884ba18e5d0f1e4ce25ee802{values}")
}

#[test]
fn client_replay_shows_a_response_or_event_with_a_bad_element_as_invalid() {
    let nil = "00".repeat(16);
    let group_1 = "6747726f75702031"; // "Group 1"
    let uuid = "d82550e3ee10714d884ba18e5d0f1e4ce25ee8";
    let input = [
        // [[0, 1, 1, {0: 37(nil)}]]: browse from the root (after the hello).
        format!("> 8184000101a100d82550{nil}"),
        // [[1, 1, {0: 1}], [1, 2, [["Group 1", 37(h'E3EE…'), 1]]]]: a child as an array.
        format!("< 82830101a1000183010281 83{group_1}{uuid}01"),
        // [[0, 1, 1, {0: 37(nil)}]] again, answered well:
        // [[1, 3, [{0: "Group 1", 1: 37(h'E3EE…'), 2: 1}]]].
        format!("> 8184000101a100d82550{nil}"),
        format!("< 8183010381a300{group_1}01{uuid}0201"),
        // {11: 42}: a value not tagged 121 or 122.
        format!("< 81{}", event_packet("a10b182a")),
        // {11: 122(5)}: an error result that holds no map.
        format!("< 81{}", event_packet("a10bd87a05")),
        // The same bad event, then a good one ({9: 121(3)}) in one message.
        format!(
            "< 82{}{}",
            event_packet("a10b182a"),
            event_packet("a109d87903")
        ),
    ]
    .join("\n");
    let mut out = Vec::new();
    demo::client::replay(input.as_bytes(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let expected = format!(
        "\
sent 828400010ea20001010184000201a100d82550{nil}
response 1 ok {{0: 1}}
invalid 2 -32602: expected map in browse_entry at byte 11
sent 8184000301a100d82550{nil}
response 3 ok [{{0: \"Group 1\", 1: 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8'), 2: 1}}]
invalid -32602: expected tag 121/122 alternative in attribute result at byte 35
invalid -32602: expected map in error at byte 37
invalid -32602: expected tag 121/122 alternative in attribute result at byte 35
event {{0: 1(1700000000), 1: 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8'), 2: {{9: 121(3)}}}}
"
    );
    assert_eq!(out, expected);
}
