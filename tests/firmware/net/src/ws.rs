//! The HTTP upgrade to WebSocket and the frame format (RFC 6455), server side: what the
//! firmware needs and no more (no extensions, no subprotocols).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Where the API is.
pub const PATH: &[u8] = b"/api/ws";
/// The `Authorization` header the firmware takes when one is sent: `admin:admin`.
const BASIC_ADMIN: &[u8] = b"Basic YWRtaW46YWRtaW4=";
/// RFC 6455 4.2.2: appended to the client's key before hashing.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A request that is not an upgrade (or not to a WebSocket).
pub const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// A path other than [`PATH`].
pub const NOT_FOUND: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// Credentials other than admin's.
pub const UNAUTHORIZED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic \
realm=\"xentara\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Close codes (RFC 6455 7.4.1).
pub const PROTOCOL_ERROR: u16 = 1002;
/// The server ends a connection (a silent one).
pub const GOING_AWAY: u16 = 1001;
/// A text message: the API is binary.
pub const UNSUPPORTED: u16 = 1003;
/// A message over the firmware's limit.
pub const TOO_BIG: u16 = 1009;

/// Opcodes.
pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xa;

/// The end of an HTTP request's head (after its blank line) in `buf`, if it is all there.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Answers an HTTP request head: the `101 Switching Protocols` response to send (its
/// length in `response`), or the refusal: 404 for another path, 401 for credentials other
/// than admin's (none is fine), 400 for anything that is not a WebSocket upgrade.
pub fn upgrade(head: &[u8], response: &mut [u8; 160]) -> Result<usize, &'static [u8]> {
    let mut lines = head.split(|&b| b == b'\n').map(trim);
    let request = lines.next().unwrap_or_default();
    let mut parts = request.split(|&b| b == b' ');
    let (Some(b"GET"), Some(target)) = (parts.next(), parts.next()) else {
        return Err(BAD_REQUEST);
    };
    if !parts.next().is_some_and(|v| v.starts_with(b"HTTP/1.")) {
        return Err(BAD_REQUEST);
    }
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if path != PATH {
        return Err(NOT_FOUND);
    }
    let mut key = None;
    let mut websocket = false;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.eq_ignore_ascii_case(b"sec-websocket-key") {
            key = Some(value);
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            websocket = value.eq_ignore_ascii_case(b"websocket");
        } else if name.eq_ignore_ascii_case(b"authorization") && value != BASIC_ADMIN {
            return Err(UNAUTHORIZED);
        }
    }
    let Some(key) = key.filter(|_| websocket) else {
        return Err(BAD_REQUEST);
    };
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID);
    let mut accept = [0u8; 28];
    STANDARD
        .encode_slice(sha.digest().bytes(), &mut accept)
        .map_err(|_| BAD_REQUEST)?;
    let parts: [&[u8]; 3] = [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: ",
        &accept,
        b"\r\n\r\n",
    ];
    let mut at = 0;
    for part in parts {
        response[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    Ok(at)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// A frame's head, as a client sends it.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    pub fin: bool,
    pub opcode: u8,
    /// The head's length (with the mask).
    pub len: usize,
    /// The payload's length (saturated: larger than any buffer here anyway).
    pub payload: usize,
    pub mask: [u8; 4],
}

/// A frame head read from the start of `buf`: `Ok(None)` until all of it is there; `Err`
/// for one a client may not send (RSV bits, no mask).
pub fn head(buf: &[u8]) -> Result<Option<Head>, ()> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 || b1 & 0x80 == 0 {
        return Err(());
    }
    let (payload, at) = match b1 & 0x7f {
        126 => match rest {
            [a, b, ..] => (u16::from_be_bytes([*a, *b]) as usize, 2),
            _ => return Ok(None),
        },
        127 => match rest.get(..8) {
            Some(b) => {
                let n = u64::from_be_bytes(b.try_into().map_err(|_| ())?);
                (usize::try_from(n).unwrap_or(usize::MAX), 8)
            }
            None => return Ok(None),
        },
        n => (n as usize, 0),
    };
    let Some(mask) = rest.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Head {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        len: 2 + at + 4,
        payload,
        mask: [mask[0], mask[1], mask[2], mask[3]],
    }))
}

/// Unmasks a payload in place.
pub fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
}

/// The head of a server frame (final, unmasked) of `len` bytes, written to `out`: its
/// length.
pub fn server_head(opcode: u8, len: usize, out: &mut [u8; 10]) -> usize {
    out[0] = 0x80 | opcode;
    if len < 126 {
        out[1] = len as u8;
        2
    } else if len <= 0xffff {
        out[1] = 126;
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        4
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    }
}
