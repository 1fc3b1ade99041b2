//! The request head, read ahead of the WebSocket handshake so that a request that is not
//! an upgrade gets an HTTP answer (tungstenite drops it without one), then given back to
//! the handshake first ([`Prefixed`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// The most bytes read for a request head: tungstenite refuses a larger one.
const MOST: usize = 16 * 1024;

/// Reads until the end of the request head (a blank line), `MOST` bytes or the end of
/// the stream; what was read, the head and anything after it.
pub(super) async fn read<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while head.len() < MOST && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(head)
}

/// The HTTP answer to a request head that is not a WebSocket upgrade; `None` for an
/// upgrade request (the handshake checks the rest) or a head cut short.
pub(super) fn refusal(head: &[u8]) -> Option<&'static str> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) if head.len() < MOST => return None,
        Ok(httparse::Status::Partial) | Err(_) => return Some(BAD_REQUEST),
    }
    let upgrade = request.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("upgrade") && h.value.eq_ignore_ascii_case(b"websocket")
    });
    (!upgrade).then_some(UPGRADE_REQUIRED)
}

/// To what is not HTTP.
const BAD_REQUEST: &str = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\
    Content-Type: text/plain\r\nContent-Length: 27\r\n\r\nnot an HTTP upgrade request";

/// To an HTTP request that does not ask for WebSocket (RFC 6455 4.2.2).
const UPGRADE_REQUIRED: &str = "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n\
    Sec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Type: text/plain\r\n\
    Content-Length: 33\r\n\r\nthe Xentara WebSocket API is here";

/// A stream that yields `head` before what follows it.
#[derive(Debug)]
pub(super) struct Prefixed<S> {
    head: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub(super) fn new(head: Vec<u8>, inner: S) -> Self {
        Prefixed { head, at: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at < this.head.len() {
            let n = (this.head.len() - this.at).min(buf.remaining());
            buf.put_slice(&this.head[this.at..this.at + n]);
            this.at += n;
            if this.at == this.head.len() {
                // Given back: its room too.
                (this.head, this.at) = (Vec::new(), 0);
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_upgrade_is_answered() {
        let upgrade = b"GET /api/ws HTTP/1.1\r\nHost: x\r\nUPGRADE: WebSocket\r\n\r\n";
        assert_eq!(refusal(upgrade), None);
        let plain = b"GET /api/ws HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(refusal(plain), Some(UPGRADE_REQUIRED));
        assert_eq!(
            refusal(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc"),
            Some(BAD_REQUEST)
        );
        // Cut short: the client is gone, or the handshake's time runs out.
        assert_eq!(refusal(b"GET /api/ws HTTP/1.1\r\nHo"), None);
        for answer in [BAD_REQUEST, UPGRADE_REQUIRED] {
            let (head, body) = answer.split_once("\r\n\r\n").unwrap();
            let length = format!("Content-Length: {}", body.len());
            assert!(head.contains(&length), "{answer}");
        }
    }

    #[tokio::test]
    async fn the_head_read_ahead_comes_first() {
        let (mut client, server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"rest")
            .await
            .unwrap();
        let mut prefixed = Prefixed::new(b"head ".to_vec(), server);
        let mut got = [0u8; 9];
        prefixed.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"head rest");
    }
}
