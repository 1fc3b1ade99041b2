//! Bytes out and packets in. What a case sends is built item by item here (`C`), not by
//! the crate's encoder: a case can then be any bytes, broken ones included, and the
//! runner does not share its encoder with the servers it checks. What comes back is read
//! by the crate's decoder, and only what it accepts counts as an answer — except an error
//! packet whose id the crate refuses (null, absent, a text): the spec leaves the id of an
//! error for an unreadable request open, so that is read leniently as an error with no id.

use super::demo::text::to_hex;
use xentara_ws::{AttributeId, Batch, Event, Packet, Raw, Uuid, Value};

/// A CBOR item to send.
#[derive(Debug, Clone)]
pub enum C {
    /// An unsigned integer.
    U(u64),
    /// A signed integer.
    I(i64),
    /// A text string.
    T(String),
    /// A byte string.
    B(Vec<u8>),
    /// An array.
    A(Vec<C>),
    /// A map with unsigned keys.
    M(Vec<(u64, C)>),
    /// A tag.
    Tag(u64, Box<C>),
    /// `true` or `false`.
    Bool(bool),
    /// Bytes sent as they are (well-formed or not).
    Raw(Vec<u8>),
}

/// A text string.
pub fn t(text: &str) -> C {
    C::T(text.to_owned())
}

/// `37(h'…')`, a UUID.
pub fn uuid(u: Uuid) -> C {
    C::Tag(37, Box::new(C::B(u.as_bytes().to_vec())))
}

/// A map with unsigned keys.
pub fn map<const N: usize>(entries: [(u64, C); N]) -> C {
    C::M(entries.into())
}

/// An array of unsigned integers.
pub fn uints(values: &[u64]) -> C {
    C::A(values.iter().map(|&v| C::U(v)).collect())
}

/// A request packet `[0, id, opcode]` or `[0, id, opcode, params]`.
pub fn request(id: i64, opcode: u64, params: Option<C>) -> C {
    let mut packet = vec![C::U(0), C::I(id), C::U(opcode)];
    packet.extend(params);
    C::A(packet)
}

/// The hello this runner says: `[0, id, 14, {0: 1, 1: 1}]` (protocol version 1).
pub fn hello(id: i64) -> C {
    request(id, 14, Some(map([(0, C::U(1)), (1, C::U(1))])))
}

/// A message: the outer array around `packets`.
pub fn message(packets: Vec<C>) -> Vec<u8> {
    C::A(packets).bytes()
}

/// What the crate encodes `value` as (a value or id the server gave, sent back).
macro_rules! encoded {
    ($value:expr) => {{
        let value = $value;
        let mut buf = vec![0; xentara_ws::encoded_len(value)];
        let n = xentara_ws::encode(value, &mut buf).expect("sized by encoded_len");
        buf.truncate(n);
        buf
    }};
}

/// A value the server gave, as the crate encodes it (to send back).
pub fn value_bytes(value: &Value<'_>) -> Vec<u8> {
    encoded!(value)
}

/// An attribute id the server gave, to send back.
pub fn attribute(id: &AttributeId) -> C {
    C::Raw(encoded!(id))
}

impl C {
    /// The item's canonical encoding (shortest heads, definite lengths).
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            C::U(n) => head(out, 0, *n),
            C::I(n) if *n >= 0 => head(out, 0, n.unsigned_abs()),
            C::I(n) => head(out, 1, !(*n as u64)),
            C::T(s) => {
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            C::B(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            C::A(items) => {
                head(out, 4, items.len() as u64);
                items.iter().for_each(|i| i.write(out));
            }
            C::M(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    head(out, 0, *k);
                    v.write(out);
                }
            }
            C::Tag(tag, item) => {
                head(out, 6, *tag);
                item.write(out);
            }
            C::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            C::Raw(bytes) => out.extend_from_slice(bytes),
        }
    }
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

/// One packet of a server's message, as the crate decoded it.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `[1, id]` or `[1, id, item]`; the item's bytes.
    Success { id: i64, item: Option<Vec<u8>> },
    /// `[2, id, {0: code, 1: message}]`; `id` is `None` when it is not an integer (null,
    /// absent, another type).
    Error {
        id: Option<i64>,
        code: i64,
        text: String,
    },
    /// A data-change event: its element and the attributes it carries.
    Event { element: Uuid, attributes: usize },
    /// A packet the crate refuses (or a request from the server): why.
    Invalid(String),
}

impl Reply {
    /// The message id of a response.
    pub fn id(&self) -> Option<i64> {
        match self {
            Reply::Success { id, .. } => Some(*id),
            Reply::Error { id, .. } => *id,
            _ => None,
        }
    }

    /// Whether it is an event.
    pub fn is_event(&self) -> bool {
        matches!(self, Reply::Event { .. })
    }

    /// A short text: `ok`, `ok <item>`, `error <code> "<message>"`, `event …`, `invalid …`.
    pub fn brief(&self) -> String {
        match self {
            Reply::Success { item: None, .. } => "ok".to_owned(),
            Reply::Success {
                item: Some(item), ..
            } => format!("ok {}", diag(item)),
            Reply::Error { code, text, .. } => format!("error {code} {text:?}"),
            Reply::Event { element, .. } => format!("event for {element}"),
            Reply::Invalid(why) => format!("invalid packet: {why}"),
        }
    }
}

/// The packets of a server's message; `Err` when the message as a whole does not decode.
pub fn packets(message: &[u8]) -> Result<Vec<Reply>, String> {
    let batch = Batch::new(message).map_err(|e| format!("{} ({})", e, e.code().code()))?;
    let spans = crate::inspect::item_spans(message);
    Ok(batch
        .into_iter()
        .enumerate()
        .map(|(i, packet)| {
            let bytes = spans.get(i).and_then(|&(from, to)| message.get(from..to));
            reply(packet, bytes)
        })
        .collect())
}

/// An error packet read leniently: `[2, id?, {0: code, 1: message}]` with an id of any
/// type (or none), the message optional.
fn lenient_error(bytes: &[u8]) -> Option<Reply> {
    use minicbor::data::Type;
    let mut d = minicbor::Decoder::new(bytes);
    let len = d.array().ok()?;
    if d.u8().ok()? != 2 {
        return None;
    }
    let mut id = None;
    let mut code = None;
    let mut text = String::new();
    let mut fields = len.map_or(usize::MAX, |n| n as usize).saturating_sub(1);
    while fields > 0 && d.datatype().ok()? != Type::Break {
        fields -= 1;
        match d.datatype().ok()? {
            Type::Map | Type::MapIndef => {
                let n = d.map().ok()?;
                let mut entries = n.unwrap_or(u64::MAX);
                while entries > 0 && d.datatype().ok()? != Type::Break {
                    entries -= 1;
                    match d.u64().ok()? {
                        0 => code = Some(d.i64().ok()?),
                        1 => text = d.str().ok()?.to_owned(),
                        _ => d.skip().ok()?,
                    }
                }
            }
            Type::U8
            | Type::U16
            | Type::U32
            | Type::U64
            | Type::I8
            | Type::I16
            | Type::I32
            | Type::I64 => id = Some(d.i64().ok()?),
            _ => d.skip().ok()?,
        }
    }
    Some(Reply::Error {
        id,
        code: code?,
        text,
    })
}

fn reply(packet: Result<Packet<'_>, xentara_ws::DecodeError>, bytes: Option<&[u8]>) -> Reply {
    let packet = match packet {
        Ok(packet) => packet,
        Err(e) => {
            return bytes
                .and_then(lenient_error)
                .unwrap_or_else(|| Reply::Invalid(e.to_string()));
        }
    };
    if let Err(e) = packet.check() {
        return Reply::Invalid(e.to_string());
    }
    match packet {
        Packet::Success(s) => Reply::Success {
            id: s.id,
            item: s.item_bytes().map(<[u8]>::to_vec),
        },
        Packet::Error(e) => Reply::Error {
            id: Some(e.id),
            code: e.error.code.code(),
            text: e.error.text().to_string(),
        },
        Packet::Event(Event::DataChange(change)) => Reply::Event {
            element: change.element,
            attributes: change.values.iter().count(),
        },
        Packet::Request(r) => Reply::Invalid(format!("a request (id {}) from the server", r.id)),
    }
}

/// The codes of a read answer's attributes that are errors: `{attribute: 122({0: code,
/// …}), …}`; `None` when the item is not such a map or an attribute holds a value.
pub fn attribute_errors(item: &[u8]) -> Option<Vec<i64>> {
    let mut d = minicbor::Decoder::new(item);
    let n = d.map().ok()??;
    let mut codes = Vec::new();
    for _ in 0..n {
        d.skip().ok()?;
        if d.tag().ok()? != minicbor::data::Tag::new(122) {
            return None;
        }
        let fields = d.map().ok()??;
        let mut code = None;
        for _ in 0..fields {
            match d.u64().ok()? {
                0 => code = Some(d.i64().ok()?),
                _ => d.skip().ok()?,
            }
        }
        codes.push(code?);
    }
    Some(codes)
}

/// `bytes` in CBOR diagnostic notation, or as hex with why when they are not one item.
pub fn diag(bytes: &[u8]) -> String {
    match Raw::new(bytes) {
        Ok(raw) => raw.to_string(),
        Err(e) => format!("h'{}' ({e})", to_hex(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(message: &[u8]) -> (Option<i64>, i64, String) {
        match packets(message).unwrap().as_slice() {
            [Reply::Error { id, code, text }] => (*id, *code, text.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_whose_id_the_crate_refuses_is_read_with_no_id() {
        // [[2, null, {0: -32700, 1: "x"}]]
        let null = [
            0x81, 0x83, 0x02, 0xf6, 0xa2, 0x00, 0x39, 0x7f, 0xbb, 0x01, 0x61, b'x',
        ];
        assert_eq!(error(&null), (None, -32700, "x".to_owned()));
        // [[2, "7", {0: -32600}]]
        let text = [0x81, 0x83, 0x02, 0x61, b'7', 0xa1, 0x00, 0x39, 0x7f, 0x57];
        assert_eq!(error(&text), (None, -32600, String::new()));
        // [[2, {0: -32600}]]: no id at all.
        let absent = [0x81, 0x82, 0x02, 0xa1, 0x00, 0x39, 0x7f, 0x57];
        assert_eq!(error(&absent), (None, -32600, String::new()));
        // [[2, 0, {0: -32600}]] as the crate reads it.
        let zero = [0x81, 0x83, 0x02, 0x00, 0xa1, 0x00, 0x39, 0x7f, 0x57];
        assert_eq!(error(&zero).0, Some(0));
        // Not an error packet: still invalid.
        let bad = [0x81, 0x83, 0x01, 0xf6, 0x00];
        assert!(matches!(packets(&bad).unwrap()[0], Reply::Invalid(_)));
    }
}
