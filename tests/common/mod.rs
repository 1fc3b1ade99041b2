//! Shared by the integration tests: the repo's vector files and a few constants.
#![allow(dead_code)]

pub mod checks;

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
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
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
