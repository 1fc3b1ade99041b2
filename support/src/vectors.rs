//! The repo's vector files (`tests/vectors/`), a few constants and the errors a message
//! decodes to.

use xentara_ws::Uuid;

/// The element UUID every spec example uses.
pub const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
/// The subscription UUID of the spec's subscribe example.
pub const B4E1: Uuid = Uuid::from_u128(0xb4e1c552_e3c7_406b_95a2_aa09c553f277);
/// Stands in for the random UUIDs in the captured peer requests.
pub const PEER: Uuid = Uuid::from_u128(0xc0ffee00_1122_3344_5566_778899aabbcc);

/// One test vector: a whole WebSocket message.
#[derive(Debug, Clone)]
pub struct Vector {
    pub name: String,
    pub bytes: Vec<u8>,
    pub diagnostic: String,
    pub canonical: bool,
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(file: &str) -> Vec<Vector> {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            bytes: hex(v["hex"].as_str().unwrap()),
            diagnostic: v["diagnostic"].as_str().unwrap().to_owned(),
            canonical: v["canonical"].as_bool().unwrap(),
        })
        .collect()
}

/// The spec's examples (`examples.json` of the protocol reference).
pub fn spec_vectors() -> Vec<Vector> {
    load("spec_examples.json")
}

/// The requests real clients send, and the replies they expect (`peers.md`).
pub fn peer_vectors() -> Vec<Vector> {
    load("peers.json")
}

/// Lower-cases the hex inside `h'…'` so diagnostics compare regardless of case.
pub fn normalize_diagnostic(s: &str) -> String {
    let mut out = String::new();
    let mut in_hex = false;
    let mut prev = ' ';
    for c in s.chars() {
        if prev == 'h' && c == '\'' {
            in_hex = true;
        } else if in_hex && c == '\'' {
            in_hex = false;
        }
        out.push(if in_hex { c.to_ascii_lowercase() } else { c });
        prev = c;
    }
    out
}

/// Every error decoding `bytes` gives, in order: the batch's, and those of each packet's
/// lazily read parts (the sequences of requests and events; success items are not typed).
pub fn all_errors(bytes: &[u8]) -> Vec<xentara_ws::DecodeError> {
    all_errors_typed(bytes, None)
}

/// [`all_errors`], with success items typed as the answers to `op`.
pub fn all_errors_typed(
    bytes: &[u8],
    op: Option<xentara_ws::Opcode>,
) -> Vec<xentara_ws::DecodeError> {
    use xentara_ws::{Batch, Command, Event, Packet, Response};
    let batch = match Batch::new(bytes) {
        Ok(batch) => batch,
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    for result in &batch {
        let packet = match result {
            Ok(packet) => packet,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut each = |e: xentara_ws::DecodeError| errors.push(e);
        match &packet {
            Packet::Request(r) => match &r.command {
                Command::ServerInformation(p) => {
                    p.ids.iter().filter_map(Result::err).for_each(&mut each)
                }
                Command::Browse(p) => p
                    .categories
                    .iter()
                    .flat_map(|c| c.iter())
                    .filter_map(Result::err)
                    .for_each(&mut each),
                Command::MetaData(p) => p.ids.iter().filter_map(Result::err).for_each(&mut each),
                Command::Read(p) => p
                    .attributes
                    .iter()
                    .filter_map(Result::err)
                    .for_each(&mut each),
                Command::Subscribe(p) => {
                    for entry in &p.entries {
                        match entry {
                            Ok(entry) => entry
                                .attributes
                                .iter()
                                .filter_map(Result::err)
                                .for_each(&mut each),
                            Err(e) => each(e),
                        }
                    }
                }
                _ => {}
            },
            Packet::Event(Event::DataChange(d)) => {
                d.values.iter().filter_map(Result::err).for_each(&mut each)
            }
            Packet::Success(s) => match op.map(|op| s.response(op)) {
                Some(Err(e)) => each(e),
                Some(Ok(Response::ServerInformation(seq))) => {
                    seq.iter().filter_map(Result::err).for_each(&mut each)
                }
                Some(Ok(Response::Browse(seq))) => {
                    seq.iter().filter_map(Result::err).for_each(&mut each)
                }
                Some(Ok(Response::Read(seq))) => {
                    seq.iter().filter_map(Result::err).for_each(&mut each)
                }
                Some(Ok(Response::MetaData(m))) => m
                    .attributes
                    .iter()
                    .flat_map(|a| a.iter())
                    .filter_map(Result::err)
                    .for_each(&mut each),
                _ => {}
            },
            Packet::Error(_) => {}
        }
    }
    errors
}
