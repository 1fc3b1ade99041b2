//! Shared by `build.rs` (on the host) and the firmware: how a vector's success packets are
//! typed, the same rule as `tests/it/spec_vectors.rs`.

use xentara_ws::Opcode;

/// The opcode a success packet with `id` in vector `name` answers (what a client knows from
/// its pending request); `None` keeps the item untyped.
pub fn context(name: &str, id: i64) -> Option<Opcode> {
    if name == "server.success_no_item" {
        return None;
    }
    if name.starts_with("batch.response") {
        return Some(match id {
            65 => Opcode::Lookup,
            66 => Opcode::GetStage,
            _ => Opcode::MetaData,
        });
    }
    if name == "server.hello_reply" {
        return Some(Opcode::ClientHello);
    }
    let op = name.split('.').next().unwrap_or("");
    let found = Opcode::ALL.iter().copied().find(|o| o.name() == op);
    Some(found.unwrap_or(Opcode::Write))
}
