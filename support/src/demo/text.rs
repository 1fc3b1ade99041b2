//! Hex, base64 and CBOR diagnostic notation for the demo's input and output.

use xentara_ws::{
    Batch, DataChange, DecodeError, Event, Packet, Raw, Response, Success, encode, encoded_len,
};

/// `bytes` as lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex digits (whitespace ignored) as bytes; `None` when they are not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| (b as char).to_digit(16).map(|d| d as u8))
        .collect::<Option<_>>()?;
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    Some(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (for HTTP Basic authorization).
pub fn base64(input: &[u8]) -> String {
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `Authorization` header value for a user and password.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

/// A data-change event object in CBOR diagnostic notation, once all of it decodes (its
/// values are read lazily); else the first error. What is shown is then the typed event,
/// re-encoded.
pub fn diag(change: &DataChange<'_>) -> Result<String, DecodeError> {
    Packet::Event(Event::DataChange(change.clone())).check()?;
    let mut buf = vec![0u8; encoded_len(change)];
    let raw = encode(change, &mut buf)
        .ok()
        .and_then(|n| Raw::new(&buf[..n]).ok());
    Ok(raw.map_or_else(|| "<unencodable>".to_owned(), |raw| raw.to_string()))
}

/// A success item in diagnostic notation, once all of it decodes (the elements of its
/// sequences are read lazily); `Ok(None)` when the response has no item; else the first
/// error.
pub fn item_diag(response: &Response<'_>) -> Result<Option<String>, DecodeError> {
    response.check()?;
    Ok(reencoded_item(response))
}

/// The item of a checked response, re-encoded, in diagnostic notation.
fn reencoded_item(response: &Response<'_>) -> Option<String> {
    // Encoded as a success packet and read back: the item is its third element.
    let packet = Packet::Success(Success::new(0, response.clone()));
    let mut buf = vec![0u8; 64 * 1024];
    let n = packet.encode_message(&mut buf).ok()?;
    let batch = Batch::new(&buf[..n]).ok()?;
    let Ok(Packet::Success(success)) = batch.iter().next()? else {
        return None;
    };
    Some(Raw::new(success.item_bytes()?).ok()?.to_string())
}

/// `%XX` escapes decoded (a URL's user and password); invalid UTF-8 replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
