//! What the example server lets a client spend (`demo::server::limits()`, the server's
//! flags): a text frame closes with 1003, bytes that are not frames with 1002, a message
//! over the limit with 1009, a connection beyond the maximum gets HTTP 503, a client that
//! takes nothing is closed, and a message within the limit is still answered.

use xentara_ws_support::demo;

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use demo::server::Limits;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

/// `[[0, 1, 14, {0: 1, 1: 1}]]`: the hello.
const HELLO: [u8; 10] = [0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01];
/// `[[1, 1, {0: 1}]]`: its answer.
const HELLO_REPLY: [u8; 7] = [0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01];

/// Serves the demo within `limits` on a fresh loopback port, for the rest of the process.
fn start(limits: Limits) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve_with(listener, None, None, limits));
    addr
}

/// 64-byte messages, 1 connection at a time.
fn small() -> Limits {
    Limits {
        max_message: 64,
        max_connections: 1,
        ..demo::server::limits()
    }
}

fn connect(addr: SocketAddr) -> Result<WebSocket<TcpStream>, tungstenite::Error> {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    match tungstenite::client(format!("ws://{addr}/api/ws"), stream) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(e)) => Err(e),
        Err(tungstenite::HandshakeError::Interrupted(_)) => panic!("a blocking handshake"),
    }
}

/// The code of the close frame the server sends next.
fn close_code(ws: &mut WebSocket<TcpStream>) -> Option<CloseCode> {
    match ws.read() {
        Ok(Message::Close(frame)) => frame.map(|f| f.code),
        Ok(other) => panic!("expected a close, got {other:?}"),
        Err(e) => panic!("expected a close, got the error {e}"),
    }
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_text_frame_closes_with_1003() {
    let mut ws = connect(start(small())).unwrap();
    ws.send(Message::text("[[0, 1, 14, {}]]")).unwrap();
    assert_eq!(close_code(&mut ws), Some(CloseCode::Unsupported));
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_message_over_the_limit_closes_with_1009_and_one_within_it_is_answered() {
    let addr = start(small());
    let mut ws = connect(addr).unwrap();
    ws.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
    ws.send(Message::binary(vec![0x80; 65])).unwrap();
    assert_eq!(close_code(&mut ws), Some(CloseCode::Size));
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_connection_beyond_the_maximum_gets_503() {
    let addr = start(small());
    let mut first = connect(addr).unwrap();
    match connect(addr) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        Err(e) => panic!("expected HTTP 503, got the error {e}"),
        Ok(_) => panic!("expected HTTP 503, got a connection"),
    }
    // The first is still served.
    first.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(first.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn bytes_that_are_not_a_frame_close_with_1002() {
    let mut ws = connect(start(small())).unwrap();
    // A final frame with the reserved opcode 3, masked, empty (RFC 6455 5.2).
    ws.get_mut().write_all(&[0x83, 0x80, 1, 2, 3, 4]).unwrap();
    assert_eq!(close_code(&mut ws), Some(CloseCode::Protocol));
}

/// `[[0, id, 3, {0: "Group 1.Data Point 1"}], …]`: `n` lookups, ids from `first`.
fn lookups(first: u16, n: u16) -> Vec<u8> {
    let mut message = vec![0x99, (n >> 8) as u8, n as u8];
    for id in first..first + n {
        message.extend([
            0x84,
            0x00,
            0x19,
            (id >> 8) as u8,
            id as u8,
            0x03,
            0xa1,
            0x00,
            0x74,
        ]);
        message.extend(b"Group 1.Data Point 1");
    }
    message
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_client_that_takes_nothing_is_closed_and_its_place_freed() {
    let addr = start(Limits {
        max_connections: 1,
        send: Duration::from_secs(1),
        ..demo::server::limits()
    });
    let mut ws = connect(addr).unwrap();
    ws.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
    // Requests, answers never read: the answers fill the socket buffers, the server waits
    // a second, and closes. (Were it blocked instead, a write would time out.)
    let stream = ws.get_mut();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let batch = frame(&lookups(2, 32));
    let start = std::time::Instant::now();
    let error = std::iter::from_fn(|| (start.elapsed().as_secs() < 20).then_some(()))
        .find_map(|()| stream.write_all(&batch).err())
        .expect("the server never stopped reading");
    assert!(
        matches!(
            error.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{error}"
    );
    // The one place is free again.
    let mut next = connect(addr).unwrap();
    next.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(next.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
}

/// `payload` as one final, masked binary frame (RFC 6455 5.2; the mask is zero).
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x82, 0xfe];
    frame.extend((payload.len() as u16).to_be_bytes());
    frame.extend([0; 4]);
    frame.extend(payload);
    frame
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn more_packets_than_a_reply_holds_close_with_1009() {
    let mut ws = connect(start(demo::server::limits())).unwrap();
    ws.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
    // `demo::server::limits()` answers 32 requests per message, more each with -32603 as
    // long as those errors fit its 4 KiB: 129 of them do not.
    ws.send(Message::binary(lookups(2, 129))).unwrap();
    assert_eq!(close_code(&mut ws), Some(CloseCode::Size));
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn garbage_in_a_binary_frame_is_answered_and_the_connection_goes_on() {
    use xentara_ws::{Batch, ErrorCode, Packet};
    let mut ws = connect(start(small())).unwrap();
    // Not well-formed CBOR: a break with nothing open.
    ws.send(Message::binary(vec![0xff, 0x00])).unwrap();
    let reply = ws.read().unwrap().into_data();
    let packets: Vec<_> = Batch::new(&reply)
        .unwrap()
        .into_iter()
        .map(|p| match p.unwrap() {
            Packet::Error(e) => (e.id, e.error.code),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(packets, [(0, ErrorCode::ParseError)]);
    ws.send(Message::binary(HELLO.to_vec())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(HELLO_REPLY.to_vec()));
}
