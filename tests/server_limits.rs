//! What the example server lets a client spend (`demo::server::Limits`, the server's
//! flags): a text frame closes with 1003, a message over the limit with 1009, a connection
//! beyond the maximum gets HTTP 503, and a message within the limit is still answered.

#[path = "../examples/demo/mod.rs"]
mod demo;

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
        ..Limits::default()
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
