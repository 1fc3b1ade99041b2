//! The crate's server seen from a bare WebSocket client: its limits, its close codes,
//! the change feed and the graceful shutdown.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use xentara_ws::params::{Subscribe, SubscriptionEntry};
use xentara_ws::session::{ClientSession, Outcome};
use xentara_ws::{Attribute, AttributeId, Batch, Response};
use xentara_ws_tokio::{AttrValue, Client, Limits, Stage, Value};

use common::{PANIC, POINT, server, url, within};

type Ws = WebSocketStream<TcpStream>;

/// [[0, 1, 14, {0: 1, 1: 1}]]: client_hello.
const HELLO: [u8; 10] = [0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01];

async fn connect(addr: std::net::SocketAddr) -> Ws {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tokio_tungstenite::client_async(url(addr), tcp)
        .await
        .unwrap()
        .0
}

/// The close code the server sends next (skipping other messages).
async fn close_code(ws: &mut Ws) -> Option<CloseCode> {
    while let Some(message) = ws.next().await {
        if let Message::Close(frame) = message.ok()? {
            return frame.map(|f| f.code);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_closes_with_1009() {
    let (server, _) = server(Limits {
        max_message: 1024,
        ..Limits::default()
    })
    .await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        ws.send(Message::binary(HELLO.to_vec())).await.unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert_eq!(
            reply.into_data().as_ref(),
            [0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01]
        );
        let _ = ws.send(Message::binary(vec![0u8; 2048])).await;
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Size));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_message_closes_with_1003() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        ws.send(Message::text("[[0, 1, 14, {}]]")).await.unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Unsupported));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_message_not_utf8_closes_with_1007() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        // A masked text frame (mask 0) of two bytes that are not UTF-8.
        let frame = [0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe];
        ws.get_mut().write_all(&frame).await.unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Invalid));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_frames_close_with_1002() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        // An unmasked frame with reserved bits set: not a client's WebSocket frame.
        ws.get_mut().write_all(&[0xff, 0x00]).await.unwrap();
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Protocol));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_not_finished_in_time_is_dropped() {
    let (server, _) = server(Limits {
        handshake: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    within(10, async {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        tcp.write_all(b"GET /api/ws HTTP/1.1\r\n").await.unwrap();
        let start = std::time::Instant::now();
        let mut buf = [0u8; 64];
        assert_eq!(tcp.read(&mut buf).await.unwrap_or(0), 0);
        assert!(start.elapsed() >= Duration::from_millis(150));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_nothing_is_dropped_after_the_send_timeout() {
    let (server, _) = server(Limits {
        send: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    within(10, async {
        // A small receive buffer, and a client that sends reads and never reads.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(server.local_addr()).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(url(server.local_addr()), tcp)
            .await
            .unwrap();
        // A read of 200 attributes: each answered with an error of some 30 bytes.
        let attributes = [AttributeId::from(Attribute::Quality); 200];
        let read = xentara_ws::params::Read {
            element: POINT,
            attributes: xentara_ws::Seq::from_slice(&attributes),
        };
        let request = xentara_ws::Packet::Request(xentara_ws::Request {
            id: 2,
            command: read.into(),
        });
        let mut buf = [0u8; 1024];
        let n = request.encode_message(&mut buf).unwrap();
        let read = buf[..n].to_vec();
        let sender = tokio::spawn(async move {
            ws.send(Message::binary(HELLO.to_vec())).await.unwrap();
            for _ in 0..20_000 {
                if ws.send(Message::binary(read.clone())).await.is_err() {
                    break;
                }
            }
            ws
        });
        while server.connections() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Stuck sending replies: closed (1008) after the send timeout and a second for the
        // close frame.
        let start = std::time::Instant::now();
        while server.connections() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        sender.abort();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_that_panics_ends_its_connection_only() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let other = common::client(&server).await;
        assert!(matches!(
            client.lookup(PANIC).await,
            Err(xentara_ws_tokio::Error::Closed)
        ));
        // Its connection is no longer counted; the other goes on.
        while server.connections() > 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(other.get_stage().await.is_ok());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_when_idle() {
    let (server, _) = server(Limits {
        idle: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Normal));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_every_connection_with_1001_and_waits() {
    let (server, _) = server(Limits::default()).await;
    let addr = server.local_addr();
    within(10, async {
        let mut bare = connect(addr).await;
        let client = Client::builder(url(addr))
            .reconnect(None)
            .connect()
            .await
            .unwrap();
        // One more, gone before the shutdown: not in its report.
        let gone = Client::builder(url(addr)).connect().await.unwrap();
        gone.close().await;
        while server.connections() != 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let bare_closed = tokio::spawn(async move { close_code(&mut bare).await });
        let report = server.shutdown(Duration::from_secs(5)).await;
        assert_eq!((report.closed, report.aborted), (2, 0));
        assert_eq!(bare_closed.await.unwrap(), Some(CloseCode::Away));
        assert!(client.get_stage().await.is_err());
        // Not accepting any more.
        assert!(Client::builder(url(addr)).connect().await.is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drops_what_does_not_close_by_the_deadline() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        // A client that never reads: its connection is not gone before the deadline
        // when the server waits for its close; it is dropped.
        let _silent = connect(server.local_addr()).await;
        while server.connections() < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let report = server.shutdown(Duration::from_millis(100)).await;
        assert_eq!((report.closed, report.aborted), (0, 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_reaches_the_subscriptions_that_cover_the_element() {
    let (server, model) = server(Limits::default()).await;
    within(10, async {
        let mut ws = connect(server.local_addr()).await;
        let mut session: ClientSession = ClientSession::default();
        let attributes = [AttributeId::from(Attribute::Value)];
        let entries = [SubscriptionEntry::new(POINT, &attributes)];
        let mut buf = [0u8; 256];
        let mut batch = session.start_batch(&mut buf);
        batch.request(Subscribe::new(&entries)).unwrap();
        let message = batch.finish().unwrap().to_vec();
        ws.send(Message::binary(message)).await.unwrap();

        // The hello's and the subscribe's answers, then the first event.
        assert_eq!(
            next_events(&mut ws, &mut session).await,
            [Ok(Value::Float(0.0))]
        );

        // Another element's change is not this subscription's: nothing comes.
        *model.value.lock().unwrap() = 7.0;
        server.changes().changed(xentara_ws::Uuid::from_u128(0x99));
        let quiet = tokio::time::timeout(Duration::from_millis(150), ws.next()).await;
        assert!(quiet.is_err(), "{quiet:?}");
        // The point's is.
        server.changes().changed(POINT);
        assert_eq!(
            next_events(&mut ws, &mut session).await,
            [Ok(Value::Float(7.0))]
        );
    })
    .await;
}

/// The value of each event in the next message that has events (answers are skipped).
async fn next_events(ws: &mut Ws, session: &mut ClientSession) -> Vec<AttrValue> {
    loop {
        let message = ws.next().await.unwrap().unwrap().into_data();
        let batch = Batch::new(&message).unwrap();
        let mut events = Vec::new();
        for outcome in session.handle_message(&batch) {
            match outcome {
                Outcome::Event(change) => {
                    assert_eq!(change.element, POINT);
                    for value in change.values.iter() {
                        let (attribute, result) = value.unwrap();
                        assert_eq!(attribute, Attribute::Value.into());
                        events.push(xentara_ws_tokio::attr_value(&result));
                    }
                }
                Outcome::Success {
                    response: Response::ClientHello(_) | Response::Subscribe(Some(_)),
                    ..
                } => {}
                other => panic!("{other:?}"),
            }
        }
        if !events.is_empty() {
            return events;
        }
    }
}

/// Connections refused for being over the maximum (HTTP 503) do not count while they
/// wait: silent ones keep no place from a client once a place is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_hold_no_place() {
    let limits = Limits {
        max_connections: 1,
        ..Limits::default()
    };
    let (server, _) = server(limits).await;
    let addr = server.local_addr();
    within(10, async {
        let first = Client::builder(url(addr)).connect().await.unwrap();
        // Over the maximum and silent: refused once they speak, within the handshake time.
        let mut silent = Vec::new();
        for _ in 0..3 {
            silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        // Accepted (and waited for) by the server.
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.close().await;
        while server.connections() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let next = Client::builder(url(addr)).connect().await.unwrap();
        assert_eq!(next.get_stage().await.unwrap(), Stage::Operational);
        drop(silent);
    })
    .await;
}

/// The server's answer to an upgrade request with this `Authorization` header: its
/// status line and headers.
async fn upgrade_with(addr: std::net::SocketAddr, authorization: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: {authorization}\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        if tcp.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap().to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_credentials_are_read_in_any_case_and_refused_with_a_challenge() {
    let (server, _) = server(Limits::default()).await;
    let addr = server.local_addr();
    within(10, async {
        // admin:admin, the scheme in lower case: admitted.
        let admitted = upgrade_with(addr, "basic YWRtaW46YWRtaW4=").await;
        assert!(admitted.starts_with("http/1.1 101"), "{admitted}");
        // Another scheme is not read: as without credentials, admitted.
        let bearer = upgrade_with(addr, "Bearer abc").await;
        assert!(bearer.starts_with("http/1.1 101"), "{bearer}");
        // admin:nope: refused, with the scheme to answer with.
        let refused = upgrade_with(addr, "Basic YWRtaW46bm9wZQ==").await;
        assert!(refused.starts_with("http/1.1 401"), "{refused}");
        assert!(
            refused.contains("www-authenticate: basic realm=\"xentara\""),
            "{refused}"
        );
    })
    .await;
}

/// The server's answer to `request`: its status line and headers.
async fn answer_to(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_is_not_an_upgrade_is_answered() {
    let (server, _) = server(Limits::default()).await;
    let addr = server.local_addr();
    within(10, async {
        // A browser or curl at the API's address.
        let plain = answer_to(addr, b"GET /api/ws HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(
            plain.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{plain}"
        );
        assert!(plain.contains("\r\nUpgrade: websocket\r\n"), "{plain}");
        // TLS to a plain server: not HTTP.
        let tls = answer_to(
            addr,
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        )
        .await;
        assert!(tls.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{tls}");
        // The server serves on.
        let client = Client::builder(url(addr)).connect().await.unwrap();
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);
    })
    .await;
}
