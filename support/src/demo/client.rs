//! The demo client: a walk through the demo server and `--watch` (one subscription, kept
//! over reconnects), both on `xentara-ws-tokio`'s [`Client`]; and `--replay`, which drives
//! the core's client session machine from hex messages.

use std::error::Error;
use std::io::{self, BufRead, Write};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, timeout, timeout_at};
use xentara_ws::session::{ClientSession, Outcome};
use xentara_ws::{Batch, DecodeError, MessageId, Packet};
use xentara_ws_tokio::{
    AttrValue, Attribute, AttributeId, Client, Credentials, Event, MetaDataId, UpdateRates, Uuid,
};

use super::model::USER;
pub use super::options::Options;
use super::text::{diag, from_hex, item_diag, to_hex};

/// The session `--replay` drives.
pub type Session = ClientSession<64>;

/// How long the walk waits for an event.
const PATIENCE: Duration = Duration::from_secs(10);

/// What the walk reads, and subscribes to (the first two).
const ATTRIBUTES: [AttributeId; 3] = [
    AttributeId::Standard(Attribute::Value),
    AttributeId::Standard(Attribute::Quality),
    AttributeId::Standard(Attribute::ChangeTime),
];

/// At most one event every 200 ms, at least one every second.
const RATES: UpdateRates = UpdateRates {
    throttle: Some(Duration::from_millis(200)),
    heartbeat: Some(Duration::from_secs(1)),
};

/// One outcome as a line of text: `response <id> ok <diagnostic>`,
/// `response <id> error <code> <message>`, `event <diagnostic>`,
/// `unexpected <id> <reason>`, `invalid [<id>] <code>: <what>` or
/// `lost <id> <opcode>: <cause>`.
///
/// A success or an event is shown typed only when every lazily read part of it decodes
/// (each element of its sequences); else it is `invalid`, as the packets that do not
/// decode at all are: nothing is shown as accepted that a user would be refused.
pub fn outcome_line(outcome: &Outcome<'_>) -> String {
    match outcome {
        Outcome::Success { id, response } => match item_diag(response) {
            Ok(Some(item)) => format!("response {id} ok {item}"),
            Ok(None) => format!("response {id} ok"),
            Err(e) => invalid(Some(*id), &e),
        },
        Outcome::Error { id, error, .. } => {
            format!("response {id} error {} {}", error.code.code(), error.text())
        }
        Outcome::Event(change) => match diag(change) {
            Ok(change) => format!("event {change}"),
            Err(e) => invalid(None, &e),
        },
        Outcome::Unexpected { id, reason } => format!("unexpected {id} {reason}"),
        Outcome::Invalid(e) => invalid(e.id(), e),
        Outcome::Lost { id, opcode, cause } => format!("lost {id} {opcode}: {cause}"),
    }
}

/// `invalid <id> <code>: <what>`, or `invalid <code>: <what>` when no request owns it.
fn invalid(id: Option<MessageId>, e: &DecodeError) -> String {
    match id {
        Some(id) => format!("invalid {id} {}: {e}", e.code().code()),
        None => format!("invalid {}: {e}", e.code().code()),
    }
}

fn reject(code: i64, what: impl std::fmt::Display) -> String {
    format!("reject {code}: {what}")
}

/// `--replay`: drives the client machine from `input`, one line each:
///
/// - `> HEX`: a client→server message; its requests are submitted through the client API
///   in order (the machine picks the ids) and `sent HEX` shows the message it made;
/// - `< HEX`: a server→client message; one line per outcome ([`outcome_line`]).
///
/// A message that is not valid gets a single `reject <code>: <what>` line instead. Output
/// is flushed per line.
pub fn replay(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut client = Session::default();
    for line in input.lines() {
        let line = line?;
        let line = line.trim();
        let lines = match (line.get(..1), line.get(1..).and_then(from_hex)) {
            (_, _) if line.is_empty() => continue,
            (Some(">"), Some(message)) => vec![submit(&mut client, &message)],
            (Some("<"), Some(message)) => receive(&mut client, &message),
            (Some(">" | "<"), None) => vec![reject(-32700, "not hex")],
            _ => vec![reject(-32700, "not a '> HEX' or '< HEX' line")],
        };
        for l in lines {
            writeln!(output, "{l}")?;
            output.flush()?;
        }
    }
    Ok(())
}

/// Submits the requests of a client→server message; the line to print.
fn submit(client: &mut Session, message: &[u8]) -> String {
    let mut commands = Vec::new();
    let batch = match Batch::new(message) {
        Err(e) => return reject(e.code().code(), e),
        Ok(batch) => batch,
    };
    for packet in &batch {
        match packet {
            Ok(Packet::Request(request)) => commands.push(request.command),
            Ok(other) => {
                return reject(-32600, format!("{} packet from a client", other.kind()));
            }
            Err(e) => return reject(e.code().code(), e),
        }
    }
    let mut buf = vec![0u8; message.len() * 4 + 64];
    let mut batch = client.start_batch(&mut buf);
    for command in commands {
        if let Err(e) = batch.request(command) {
            return reject(e.code().code(), e);
        }
    }
    match batch.finish() {
        Ok(sent) => format!("sent {}", to_hex(sent)),
        Err(e) => reject(e.code().code(), e),
    }
}

/// Feeds a server→client message; the lines to print.
fn receive(client: &mut Session, message: &[u8]) -> Vec<String> {
    match Batch::new(message) {
        Ok(batch) => client
            .handle_message(&batch)
            .map(|o| outcome_line(&o))
            .collect(),
        Err(e) => vec![reject(e.code().code(), e)],
    }
}

/// `name = value, …` of an element's attributes (an attribute's error as `error CODE`).
fn values(values: &[(AttributeId, AttrValue)]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|(attribute, value)| match value {
            Ok(value) => format!("{attribute} = {value}"),
            Err(e) => format!("{attribute}: error {}", e.code.code()),
        })
        .collect();
    shown.join(", ")
}

/// Walks the demo server: lookup → browse → meta_data → read → subscribe (three events)
/// → write → unsubscribe → create_sub_session → close_sub_session, a line each.
pub async fn walk(client: &Client, out: &mut dyn Write) -> Result<(), Box<dyn Error>> {
    let point = client.lookup("Group 1.Data Point 1").await?;
    writeln!(out, "lookup: {point}")?;
    let children = client.browse(Uuid::nil(), None, None).await?;
    let keys: Vec<&str> = children.iter().map(|e| e.primary_key.as_str()).collect();
    writeln!(out, "browse: {}", keys.join(", "))?;
    let ids = [MetaDataId::PrimaryKey, MetaDataId::AttributeList];
    let meta = client.meta_data(point, &ids).await?;
    let names: Vec<&str> = meta
        .attributes
        .iter()
        .flatten()
        .map(|a| a.name.as_str())
        .collect();
    let key = meta.primary_key.unwrap_or_default();
    writeln!(out, "meta_data: {key}: {}", names.join(", "))?;
    writeln!(
        out,
        "read: {}",
        values(&client.read(point, &ATTRIBUTES).await?)
    )?;

    let mut events = client
        .subscribe(&[(point, &ATTRIBUTES[..2])], RATES)
        .await?;
    writeln!(out, "subscribe: {}", events.id())?;
    for _ in 0..3 {
        match timeout(PATIENCE, events.next()).await {
            Ok(Some(Event::Change(change))) => {
                writeln!(out, "  event {}: {}", change.time, values(&change.values))?;
            }
            Ok(Some(Event::Reconnected)) => writeln!(out, "  reconnected")?,
            Ok(None) => return Err("the connection closed".into()),
            Err(_) => return Err(format!("no event in {} s", PATIENCE.as_secs()).into()),
        }
    }
    client.write(point, Attribute::Value, 42.5).await?;
    writeln!(out, "write: Value = 42.5")?;
    events.unsubscribe().await?;
    writeln!(out, "unsubscribe: ok")?;

    let session = client
        .create_sub_session(Credentials::password(USER, USER))
        .await?;
    writeln!(out, "create_sub_session: {}", session.id())?;
    session.close().await?;
    writeln!(out, "close_sub_session: ok")?;
    Ok(())
}

/// `--watch`: subscribes to Data Point 1's value and prints its events for `duration`.
/// The client reconnects by itself when the connection drops (0.5 s, doubling to 5 s),
/// and subscribes again with the same id; the stream then says `reconnected`. Ends with an
/// error when the connection is down at the end.
pub async fn watch(
    client: &Client,
    duration: Duration,
    out: &mut dyn Write,
) -> Result<(), Box<dyn Error>> {
    let end = Instant::now() + duration;
    let point = client.lookup("Group 1.Data Point 1").await?;
    let mut events = client
        .subscribe(&[(point, &ATTRIBUTES[..1])], RATES)
        .await?;
    writeln!(out, "subscribe: {}", events.id())?;
    loop {
        out.flush()?;
        match timeout_at(end, events.next()).await {
            Ok(Some(Event::Change(change))) => {
                writeln!(out, "  event {}: {}", change.time, values(&change.values))?;
            }
            Ok(Some(Event::Reconnected)) => {
                writeln!(
                    out,
                    "reconnected: subscribed again, changes in between missed"
                )?;
            }
            Ok(None) => return Err("the connection closed".into()),
            Err(_) if client.is_connected() => return Ok(()),
            Err(_) => return Err("the connection was lost and not regained".into()),
        }
    }
}

/// Connects to `url` with `options` and runs `job` on a runtime of its own (one thread),
/// then closes: `connected to URL (protocol version N)` first, `done` last. A failure to
/// connect is one line of text, as [`Options::explain`] words it.
pub fn run<F>(
    url: &str,
    options: &Options,
    out: &mut impl Write,
    job: F,
) -> Result<(), Box<dyn Error>>
where
    F: AsyncFnOnce(&Client, &mut dyn Write) -> Result<(), Box<dyn Error>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = options
            .client(url)
            .connect()
            .await
            .map_err(|e| options.explain(url, &e))?;
        writeln!(
            out,
            "connected to {} (protocol version {})",
            shown(url),
            client.version()
        )?;
        job(&client, out).await?;
        client.close().await;
        writeln!(out, "done")?;
        Ok(())
    })
}

/// `client URL`: [`walk`] through [`run`].
pub fn run_walk(url: &str, options: &Options, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    run(url, options, out, async |client, out| {
        walk(client, out).await
    })
}

/// `client --watch SECONDS URL`: [`watch`] through [`run`].
pub fn run_watch(
    url: &str,
    options: &Options,
    duration: Duration,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    run(url, options, out, async |client, out| {
        watch(client, duration, out).await
    })
}

/// `url` without its `user:password@`.
pub fn shown(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// What a successful walk prints, step by step (checked by the end-to-end tests).
pub const WALK_STEPS: &[&str] = &[
    "connected to ",
    "lookup: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8",
    "browse: Group 1, Group 1.Data Point 1, Group 1.Data Point 2",
    "meta_data: Group 1.Data Point 1: ",
    "read: Value = ",
    "subscribe: ",
    "write: Value = 42.5",
    "unsubscribe: ok",
    "create_sub_session: ",
    "close_sub_session: ok",
    "done",
];

/// Checks a walk's output against [`WALK_STEPS`] and its three events.
pub fn check_walk(text: &str) -> Result<(), String> {
    if let Some(step) = WALK_STEPS.iter().find(|step| !text.contains(*step)) {
        return Err(format!("missing {step:?} in\n{text}"));
    }
    let events = text.lines().filter(|l| l.starts_with("  event ")).count();
    match events {
        3 => Ok(()),
        n => Err(format!("{n} events, not 3, in\n{text}")),
    }
}
