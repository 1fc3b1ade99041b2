//! Hex and CBOR diagnostic notation for the demo's input and output.

use xentara_ws::{
    Batch, DataChange, DecodeError, Event, Packet, Raw, Response, Success, encode, encoded_len,
};

/// `bytes` as lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Hex digits (whitespace ignored) as bytes; `None` when they are not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    hex::decode(digits).ok()
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
