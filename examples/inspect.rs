//! `inspect` — decodes Xentara WebSocket messages given as hex and prints what they hold.
//!
//! ```text
//! cargo run --example inspect -- 81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8
//! printf '%s\n' 818400184108 818301184102 | cargo run --example inspect
//! ```
//!
//! Contract (other tools depend on it): one message per argument (spaces allowed; all
//! arguments together form one message) or, with no argument, one message per line of
//! stdin. Each packet is printed with its type, message id, operation and named
//! parameters; UUIDs hyphenated. A success item is typed by the opcode of an earlier
//! request with the same id in this run, else shown as CBOR diagnostic notation.
//! An undecodable message or packet — or an element of a sequence in one — prints
//! `error <code>: <what> at byte <n>`; the exit status is 1 if any did, else 0. It never
//! panics.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use xentara_ws::{AttrResult, Batch, DecodeError, Event, Opcode, Packet, Raw, Response};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut inspector = Inspector::default();
    let mut ok = true;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            ok &= inspector.message(&line, &mut out);
            let _ = out.flush();
        }
    } else {
        ok &= inspector.message(&args.join(" "), &mut out);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Remembers the opcode of each request id seen, to type later success items.
#[derive(Default)]
struct Inspector {
    opcodes: HashMap<i64, Opcode>,
}

impl Inspector {
    /// Prints one hex message; false if anything in it did not decode.
    fn message(&mut self, hex: &str, out: &mut impl Write) -> bool {
        let bytes = match parse_hex(hex) {
            Ok(bytes) => bytes,
            Err(what) => {
                let _ = writeln!(out, "error -32700: {what} at byte 0");
                return false;
            }
        };
        let batch = match Batch::new(&bytes) {
            Ok(batch) => batch,
            Err(e) => {
                print_error(out, &e);
                return false;
            }
        };
        let count = match batch.declared_len() {
            Some(n) => format!("{n} packet{}", if n == 1 { "" } else { "s" }),
            None => "indefinite-length batch".to_owned(),
        };
        let _ = writeln!(out, "message: {count}, {} bytes", bytes.len());
        let mut ok = true;
        for (i, packet) in batch.iter().enumerate() {
            match packet {
                Ok(packet) => ok &= self.packet(i, &packet, out),
                Err(e) => {
                    let _ = write!(out, "[{i}] ");
                    print_error(out, &e);
                    ok = false;
                }
            }
        }
        ok
    }

    /// Prints one packet; false if a part of it did not decode.
    fn packet(&mut self, i: usize, packet: &Packet<'_>, out: &mut impl Write) -> bool {
        match packet {
            Packet::Request(r) => {
                let op = r.command.opcode();
                self.opcodes.insert(r.id, op);
                let _ = writeln!(
                    out,
                    "[{i}] request, message id {}, opcode {} {}",
                    r.id, op as u8, op
                );
                r.command.for_each_field(&mut |name, value| {
                    let _ = writeln!(out, "      {name}: {value:?}");
                });
                lazy(out, r.command.check())
            }
            Packet::Success(s) => {
                let _ = write!(out, "[{i}] success, message id {}", s.id);
                match (self.opcodes.get(&s.id), s.item_bytes()) {
                    (Some(&op), _) => match s.response(op) {
                        Ok(typed) => {
                            let _ = writeln!(out, ", {op} item: {}", describe(&typed));
                            lazy(out, typed.check())
                        }
                        Err(e) => {
                            let _ = writeln!(out);
                            print_error(out, &e);
                            false
                        }
                    },
                    (None, None) => {
                        let _ = writeln!(out, ", no item");
                        true
                    }
                    (None, Some(item)) => {
                        let _ = match Raw::new(item) {
                            Ok(raw) => writeln!(out, ", item: {raw}"),
                            Err(e) => writeln!(out, ", item: {e}"),
                        };
                        true
                    }
                }
            }
            Packet::Error(e) => {
                let _ = writeln!(
                    out,
                    "[{i}] error, message id {}, code {} ({}){}",
                    e.id,
                    e.error.code.code(),
                    e.error.code.name(),
                    e.error
                        .message
                        .map(|m| format!(": {m:?}"))
                        .unwrap_or_default()
                );
                true
            }
            Packet::Event(Event::DataChange(ev)) => {
                let _ = writeln!(out, "[{i}] event, data_change");
                let _ = writeln!(out, "      time: {:?}", ev.time);
                let _ = writeln!(out, "      element: {}", ev.element);
                let mut ok = true;
                for value in &ev.values {
                    let _ = match value {
                        Ok((attr, AttrResult::Value(v))) => writeln!(out, "      {attr}: {v}"),
                        Ok((attr, AttrResult::Error(e))) => writeln!(
                            out,
                            "      {attr}: error {} ({}){}",
                            e.code.code(),
                            e.code.name(),
                            e.message.map(|m| format!(": {m:?}")).unwrap_or_default()
                        ),
                        Err(e) => {
                            ok = false;
                            write!(out, "      ").and_then(|()| {
                                print_error(out, &e);
                                Ok(())
                            })
                        }
                    };
                }
                ok
            }
        }
    }
}

/// Prints the error of a lazily read part (a sequence's element), if there is one.
fn lazy(out: &mut impl Write, checked: Result<(), DecodeError>) -> bool {
    match checked {
        Ok(()) => true,
        Err(e) => {
            let _ = write!(out, "      ");
            print_error(out, &e);
            false
        }
    }
}

/// A typed response item, briefly: UUIDs hyphenated, everything else as `Debug`.
fn describe(response: &Response<'_>) -> String {
    match response {
        Response::Lookup(u) | Response::CreateSubSession(u) | Response::Subscribe(Some(u)) => {
            u.to_string()
        }
        other => format!("{other:?}"),
    }
}

fn print_error(out: &mut impl Write, e: &DecodeError) {
    let _ = writeln!(out, "error {}: {e}", e.code().code());
}

fn parse_hex(s: &str) -> Result<Vec<u8>, &'static str> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits");
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).map_err(|_| "not hex")?;
            u8::from_str_radix(text, 16).map_err(|_| "not hex")
        })
        .collect()
}
