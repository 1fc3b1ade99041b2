//! `inspect` — decodes Xentara WebSocket messages given as hex and prints what they hold.
//!
//! ```text
//! xentara-ws inspect 81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8
//! printf '%s\n' 818300184108 818301184102 | xentara-ws inspect
//! ```
//!
//! Contract (other tools depend on it): one message per argument (spaces allowed; all
//! arguments together form one message) or, with no argument, one message per line of
//! stdin. Each packet is printed with its type, message id, operation and named
//! parameters; UUIDs hyphenated. A success item is typed by the opcode of an earlier
//! request with the same id in this run, else shown as CBOR diagnostic notation.
//!
//! What is printed is what the library typed: every lazily read part (each element of a
//! sequence, at every level) is read before it is shown, one element per line or block —
//! `[k] …` for an array's elements, `key: value` for a map's. An undecodable message,
//! packet, success item or element prints `error <code>: <what> at byte <n>` in its place;
//! the exit status is 1 if any did, else 0. It never panics.
//!
//! Two other forms ([`Format`]): `json`, one JSON object per message (its packets, each
//! with its type, id, opcode, its typed fields as the text form prints them, its
//! diagnostic notation, and errors with kind, offset, field, id and code), and `diag`, the
//! message in RFC 8949 diagnostic notation.

use std::collections::HashMap;
use std::fmt::Debug;
use std::io::{BufRead, Write};

use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem};
use xentara_ws::params::SubscriptionEntry;
use xentara_ws::{
    AttrResult, AttributeId, Batch, Command, DecodeError, Event, Opcode, Packet, Raw, Response,
};

/// How messages are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Each packet typed, a field per line.
    #[default]
    Text,
    /// One JSON object per message.
    Json,
    /// RFC 8949 diagnostic notation.
    Diag,
}

/// What `main` does: prints the message of `args` (all of them together) or, with none,
/// each line of `input` as a message; the exit status: 1 if anything did not decode, else 0.
pub fn run(args: &[String], input: impl BufRead, out: &mut impl Write) -> u8 {
    run_as(Format::Text, args, input, out)
}

/// [`run`] in `format`.
pub fn run_as(format: Format, args: &[String], input: impl BufRead, out: &mut impl Write) -> u8 {
    let mut inspector = Inspector::default();
    let mut ok = true;
    let mut one = |hex: &str, out: &mut dyn Write| match format {
        Format::Text => inspector.message(hex, out),
        Format::Json => inspector.json(hex, out),
        Format::Diag => diag(hex, out),
    };
    if args.is_empty() {
        for line in input.lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            ok &= one(&line, out);
            let _ = out.flush();
        }
    } else {
        ok &= one(&args.join(" "), out);
    }
    u8::from(!ok)
}

/// Prints one hex message in diagnostic notation; false if it, or a packet of it, does
/// not decode (the error line is printed after the notation).
fn diag(hex: &str, out: &mut dyn Write) -> bool {
    let bytes = match parse_hex(hex) {
        Ok(bytes) => bytes,
        Err(what) => {
            let _ = writeln!(out, "error -32700: {what} at byte 0");
            return false;
        }
    };
    match Raw::new(&bytes) {
        Ok(raw) => {
            let _ = writeln!(out, "{raw}");
        }
        Err(e) => {
            let _ = writeln!(out, "{}", error_line(&e));
            return false;
        }
    }
    let errors = crate::vectors::all_errors(&bytes);
    for e in &errors {
        let _ = writeln!(out, "{}", error_line(e));
    }
    errors.is_empty()
}

/// A decode error as JSON: kind, offset, field, id, code, message.
fn error_json(e: &DecodeError) -> serde_json::Value {
    serde_json::json!({
        "kind": format!("{:?}", e.kind()),
        "offset": e.offset(),
        "field": e.field(),
        "id": e.id(),
        "code": e.code().code(),
        "message": e.to_string(),
    })
}

/// Where each item of an array is: the packets of a message (best effort: empty when
/// the bytes are not an array of well-formed items).
pub fn item_spans(array: &[u8]) -> Vec<(usize, usize)> {
    let mut d = minicbor::Decoder::new(array);
    let mut spans = Vec::new();
    let Ok(len) = d.array() else {
        return spans;
    };
    let mut next = || {
        let from = d.position();
        d.skip().ok()?;
        Some((from, d.position()))
    };
    for _ in 0..len.unwrap_or(u64::MAX) {
        let Some(span) = next() else { break };
        spans.push(span);
    }
    spans
}

/// Remembers the opcode of each request id seen, to type later success items.
#[derive(Default)]
struct Inspector {
    opcodes: HashMap<i64, Opcode>,
}

impl Inspector {
    /// Prints one hex message as a JSON object; false if anything in it did not decode.
    fn json(&mut self, hex: &str, out: &mut dyn Write) -> bool {
        let bytes = match parse_hex(hex) {
            Ok(bytes) => bytes,
            Err(what) => {
                let doc = serde_json::json!({"error": {"code": -32700, "message": what}});
                let _ = writeln!(out, "{doc}");
                return false;
            }
        };
        let batch = match Batch::new(&bytes) {
            Ok(batch) => batch,
            Err(e) => {
                let doc = serde_json::json!({"bytes": bytes.len(), "error": error_json(&e)});
                let _ = writeln!(out, "{doc}");
                return false;
            }
        };
        let spans = item_spans(&bytes);
        let mut ok = true;
        let mut packets = Vec::new();
        for (i, packet) in batch.iter().enumerate() {
            let diag = spans
                .get(i)
                .and_then(|&(from, to)| Raw::new(&bytes[from..to]).ok())
                .map(|raw| raw.to_string());
            let mut entry = serde_json::json!({"index": i, "diag": diag});
            match packet {
                Ok(packet) => {
                    // The text form's lines are the typed fields.
                    let mut text = Vec::new();
                    let good = self.packet(i, &packet, &mut text);
                    ok &= good;
                    let text = String::from_utf8_lossy(&text).into_owned();
                    let mut lines = text.lines();
                    let head = lines.next().unwrap_or_default();
                    let fields: Vec<&str> = lines.map(str::trim).collect();
                    entry["type"] = packet.kind().to_string().into();
                    entry["summary"] = head.trim_start_matches(&format!("[{i}] ")).into();
                    entry["fields"] = fields.into();
                    match &packet {
                        Packet::Request(r) => {
                            entry["id"] = r.id.into();
                            entry["opcode"] = (r.command.opcode() as u8).into();
                            entry["operation"] = r.command.opcode().to_string().into();
                        }
                        Packet::Success(s) => entry["id"] = s.id.into(),
                        Packet::Error(e) => {
                            entry["id"] = e.id.into();
                            entry["code"] = e.error.code.code().into();
                        }
                        Packet::Event(_) => {}
                    }
                }
                Err(e) => {
                    ok = false;
                    entry["error"] = error_json(&e);
                }
            }
            packets.push(entry);
        }
        let doc = serde_json::json!({"bytes": bytes.len(), "packets": packets});
        let _ = writeln!(out, "{doc}");
        ok
    }

    /// Prints one hex message; false if anything in it did not decode.
    fn message(&mut self, hex: &str, out: &mut dyn Write) -> bool {
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
                let _ = writeln!(out, "{}", error_line(&e));
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
                    let _ = writeln!(out, "[{i}] {}", error_line(&e));
                    ok = false;
                }
            }
        }
        ok
    }

    /// Prints one packet; false if a part of it did not decode.
    fn packet(&mut self, i: usize, packet: &Packet<'_>, out: &mut dyn Write) -> bool {
        let mut lines = Lines::default();
        match packet {
            Packet::Request(r) => {
                let op = r.command.opcode();
                self.opcodes.insert(r.id, op);
                let _ = writeln!(
                    out,
                    "[{i}] request, message id {}, opcode {} {}",
                    r.id, op as u8, op
                );
                command(&mut lines, &r.command);
                lines.checked(r.command.check());
            }
            Packet::Success(s) => {
                let _ = write!(out, "[{i}] success, message id {}", s.id);
                match (self.opcodes.get(&s.id), s.item_bytes()) {
                    (Some(&op), _) => match s.response(op) {
                        Ok(typed) => {
                            match response(&mut lines, &typed) {
                                Some(brief) => writeln!(out, ", {op} item: {brief}"),
                                None => writeln!(out, ", {op} item:"),
                            }
                            .ok();
                            lines.checked(typed.check());
                        }
                        Err(e) => {
                            let _ = writeln!(out);
                            let _ = writeln!(out, "{}", error_line(&e));
                            return false;
                        }
                    },
                    (None, None) => {
                        let _ = writeln!(out, ", no item");
                    }
                    (None, Some(item)) => {
                        let _ = match Raw::new(item) {
                            Ok(raw) => writeln!(out, ", item: {raw}"),
                            Err(e) => writeln!(out, ", item: {e}"),
                        };
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
                    message(e.error.message)
                );
            }
            Packet::Event(Event::DataChange(ev)) => {
                let _ = writeln!(out, "[{i}] event, data_change");
                lines.field("time", ev.time);
                lines.line(format!("element: {}", ev.element));
                results(&mut lines, ev.values.iter());
                lines.checked(packet.check());
            }
        }
        lines.print("      ", out)
    }
}

/// A request's parameters, one per line; each sequence element by element.
fn command(l: &mut Lines, command: &Command<'_>) {
    match command {
        Command::ServerInformation(p) => l.seq("ids", p.ids.iter(), Lines::debug),
        Command::Browse(p) => {
            l.field("element", p.element);
            l.optional("depth", p.depth);
            if let Some(categories) = &p.categories {
                l.seq("categories", categories.iter(), Lines::debug);
            }
        }
        Command::MetaData(p) => {
            l.field("element", p.element);
            l.seq("ids", p.ids.iter(), Lines::debug);
        }
        Command::Read(p) => {
            l.field("element", p.element);
            l.seq("attributes", p.attributes.iter(), Lines::debug);
        }
        Command::Subscribe(p) => {
            l.seq(
                "entries",
                p.entries.iter(),
                |l, e: SubscriptionEntry<'_>| {
                    l.field("element", e.element);
                    l.seq("attributes", e.attributes.iter(), Lines::debug);
                },
            );
            l.optional("maximum_update_rate", p.maximum_update_rate);
            l.optional("minimum_update_rate", p.minimum_update_rate);
            l.optional("desired_subscription_id", p.desired_subscription_id);
        }
        // No sequences in these: every field as it was decoded.
        Command::Lookup(p) => l.field("primary_key", p.primary_key),
        Command::Write(p) => {
            l.field("element", p.element);
            l.field("attribute", p.attribute);
            l.field("value", p.value);
            l.optional("sub_session_id", p.sub_session_id);
        }
        Command::Unsubscribe(p) => l.field("subscription_id", p.subscription_id),
        Command::GetStage(_) => {}
        Command::Resume(p) => l.optional("params", p.params),
        Command::Suspend(p) => l.optional("session_id", p.session_id),
        Command::Shutdown(p) => l.optional("session_id", p.session_id),
        Command::CreateSubSession(p) => {
            l.field("credentials", &p.credentials);
            l.optional("desired_session_id", p.desired_session_id);
        }
        Command::CloseSubSession(p) => l.field("session_id", p.session_id),
        Command::ClientHello(p) => {
            l.field("min_version", p.min_version);
            l.field("max_version", p.max_version);
        }
    }
}

/// A typed success item: `Some` brief text for a single value (UUIDs hyphenated, anything
/// else as `Debug`), else `None` with its parts in `l`, each sequence element by element.
fn response(l: &mut Lines, response: &Response<'_>) -> Option<String> {
    match response {
        Response::Lookup(u) | Response::CreateSubSession(u) | Response::Subscribe(Some(u)) => {
            Some(u.to_string())
        }
        Response::ServerInformation(values) => {
            for value in values {
                match value {
                    Ok((info, v)) => l.line(format!("{info}: {v}")),
                    Err(e) => l.error(&e),
                }
            }
            None
        }
        Response::Browse(entries) => {
            l.elements(entries.iter(), |l, e: BrowseEntry<'_>| {
                l.field("primary_key", e.primary_key);
                l.field("element", e.element);
                l.field("category", e.category);
            });
            None
        }
        Response::MetaData(item) => {
            meta_data(l, item);
            None
        }
        Response::Read(values) => {
            results(l, values.iter());
            None
        }
        other => Some(format!("{other:?}")),
    }
}

fn meta_data(l: &mut Lines, item: &MetaDataItem<'_>) {
    l.optional("primary_key", item.primary_key);
    l.optional("category", item.category);
    if let Some(attributes) = &item.attributes {
        l.seq(
            "attributes",
            attributes.iter(),
            |l, a: AttributeInfo<'_>| {
                l.field("name", a.name);
                l.field("id", a.id);
                l.field("access", a.access);
                l.field("data_type", a.data_type);
            },
        );
    }
    l.optional("has_children", item.has_children);
}

/// Attribute results (a read item, an event's values), one `attribute: result` line each.
fn results<'b>(
    l: &mut Lines,
    values: impl Iterator<Item = Result<(AttributeId, AttrResult<'b>), DecodeError>>,
) {
    for value in values {
        match value {
            Ok((attr, AttrResult::Value(v))) => l.line(format!("{attr}: {v}")),
            Ok((attr, AttrResult::Error(e))) => l.line(format!(
                "{attr}: error {} ({}){}",
                e.code.code(),
                e.code.name(),
                message(e.message)
            )),
            Err(e) => l.error(&e),
        }
    }
}

/// Lines printed below a packet's line, and whether everything in them decoded.
struct Lines {
    text: Vec<String>,
    ok: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            text: Vec::new(),
            ok: true,
        }
    }
}

impl Lines {
    fn line(&mut self, line: String) {
        self.text.push(line);
    }

    /// A part that did not decode, as every error is printed.
    fn error(&mut self, e: &DecodeError) {
        self.line(error_line(e));
        self.ok = false;
    }

    /// The first error of reading every lazily read part, unless one was printed already:
    /// nothing is shown as accepted that the library refuses.
    fn checked(&mut self, checked: Result<(), DecodeError>) {
        if let (true, Err(e)) = (self.ok, checked) {
            self.error(&e);
        }
    }

    fn field(&mut self, name: &str, value: impl Debug) {
        self.line(format!("{name}: {value:?}"));
    }

    fn optional(&mut self, name: &str, value: Option<impl Debug>) {
        if let Some(value) = value {
            self.field(name, value);
        }
    }

    /// A single value as the element of a sequence.
    fn debug(&mut self, value: impl Debug) {
        self.line(format!("{value:?}"));
    }

    /// A sequence field: `name:`, then its elements below it ([`Lines::elements`]); `name: []`
    /// when it has none.
    fn seq<T>(
        &mut self,
        name: &str,
        items: impl Iterator<Item = Result<T, DecodeError>>,
        each: impl FnMut(&mut Lines, T),
    ) {
        let mut inner = Lines::default();
        inner.elements(items, each);
        if inner.text.is_empty() {
            self.line(format!("{name}: []"));
        } else {
            self.line(format!("{name}:"));
            self.nest("  ", "  ", inner);
        }
    }

    /// The elements of a sequence, each typed by `each` (or its error) after `[k] `.
    fn elements<T>(
        &mut self,
        items: impl Iterator<Item = Result<T, DecodeError>>,
        mut each: impl FnMut(&mut Lines, T),
    ) {
        for (k, item) in items.enumerate() {
            let mut element = Lines::default();
            match item {
                Ok(item) => each(&mut element, item),
                Err(e) => element.error(&e),
            }
            let head = format!("[{k}] ");
            let pad = " ".repeat(head.len());
            self.nest(&head, &pad, element);
        }
    }

    /// `inner`'s lines after `head` (the first) and `pad` (the others).
    fn nest(&mut self, head: &str, pad: &str, inner: Lines) {
        self.ok &= inner.ok;
        for (n, line) in inner.text.into_iter().enumerate() {
            let before = if n == 0 { head } else { pad };
            self.line(format!("{before}{line}"));
        }
    }

    /// Prints the lines after `indent`; false if a part did not decode.
    fn print(self, indent: &str, out: &mut dyn Write) -> bool {
        for line in &self.text {
            let _ = writeln!(out, "{indent}{line}");
        }
        self.ok
    }
}

/// `error <code>: <what> at byte <n>`.
fn error_line(e: &DecodeError) -> String {
    format!("error {}: {e}", e.code().code())
}

/// `: "message"` when there is one.
fn message(message: Option<xentara_ws::Text<'_>>) -> String {
    message.map(|m| format!(": {m:?}")).unwrap_or_default()
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
