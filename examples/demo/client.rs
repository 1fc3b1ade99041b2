//! The demo client's two drivers: a walk through the demo server over WebSocket, and
//! `--replay`.

use std::error::Error;
use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::{Message, WebSocket};
use xentara_ws::op::params::{
    Browse, CloseSubSession, CreateSubSession, Credentials, Lookup, MetaData, Password, Read,
    Subscribe, SubscriptionEntry, Unsubscribe, Write as WriteCmd,
};
use xentara_ws::session::{ClientSession, Outcome, VersionRange};
use xentara_ws::{
    Attribute, AttributeId, Batch, Command, MessageId, MetaDataId, Packet, Response, Seq, Text,
    Uuid, Value,
};

use super::model::USER;
use super::text::{basic_auth, diag, from_hex, item_diag, to_hex};

/// The session the demo client runs: up to 64 requests in flight.
pub type Session = ClientSession<64>;

/// How long the client waits for the server.
const PATIENCE: Duration = Duration::from_secs(10);

/// One outcome as a line of text: `response <id> ok <diagnostic>`,
/// `response <id> error <code> <message>`, `event <diagnostic>` or
/// `unexpected <id> <reason>`.
pub fn outcome_line(outcome: &Outcome<'_>) -> String {
    match outcome {
        Outcome::Success { id, response } => match item_diag(response) {
            Some(item) => format!("response {id} ok {item}"),
            None => format!("response {id} ok"),
        },
        Outcome::Error { id, error, .. } => format!(
            "response {id} error {} {}",
            error.code.code(),
            error.message.unwrap_or(Text::new(error.code.message()))
        ),
        Outcome::Event(change) => format!("event {}", diag(change)),
        Outcome::Unexpected { id, reason } => format!("unexpected {id} {reason}"),
        Outcome::Invalid(e) => match e.id() {
            Some(id) => format!("invalid {id} {}: {e}", e.code().code()),
            None => format!("invalid {}: {e}", e.code().code()),
        },
        Outcome::Lost { id, opcode, cause } => format!("lost {id} {opcode}: {cause}"),
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
    match Batch::new(message) {
        Err(e) => return reject(e.code().code(), e),
        Ok(batch) => {
            for packet in batch {
                match packet {
                    Ok(Packet::Request(request)) => commands.push(request.command),
                    Ok(other) => {
                        return reject(-32600, format!("{} packet from a client", other.kind()));
                    }
                    Err(e) => return reject(e.code().code(), e),
                }
            }
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
    match client.handle_message(message) {
        Ok(outcomes) => outcomes.map(|o| outcome_line(&o)).collect(),
        Err(e) => vec![reject(e.code().code(), e)],
    }
}

/// An answer kept after its message is gone.
struct Answer {
    line: String,
    /// The UUID a lookup, subscribe or create_sub_session returned.
    uuid: Option<Uuid>,
    ok: bool,
}

/// A connection to the demo server.
struct Connection {
    ws: WebSocket<TcpStream>,
    client: Session,
    events: Vec<String>,
}

impl Connection {
    fn open(url: &str) -> Result<Self, Box<dyn Error>> {
        let mut request = url.into_client_request()?;
        let auth = HeaderValue::from_str(&basic_auth(USER, USER))?;
        request.headers_mut().insert("authorization", auth);
        let host = request.uri().host().unwrap_or("127.0.0.1").to_owned();
        let port = request.uri().port_u16().unwrap_or(80);
        let stream = TcpStream::connect((host.as_str(), port))?;
        stream.set_read_timeout(Some(PATIENCE))?;
        let (ws, _) = tungstenite::client(request, stream)?;
        Ok(Connection {
            ws,
            client: Session::default(),
            events: Vec::new(),
        })
    }

    /// Reads one message and hands it to the machine; the answers it held.
    fn receive(&mut self) -> Result<Vec<(MessageId, Answer)>, Box<dyn Error>> {
        let Message::Binary(message) = self.ws.read()? else {
            return Ok(Vec::new());
        };
        let mut answers = Vec::new();
        for outcome in self.client.handle_message(&message)? {
            let line = outcome_line(&outcome);
            match outcome {
                Outcome::Event(_) => self.events.push(line),
                Outcome::Success { id, response } => {
                    let uuid = match response {
                        Response::Lookup(u) | Response::CreateSubSession(u) => Some(u),
                        Response::Subscribe(u) => u,
                        _ => None,
                    };
                    answers.push((
                        id,
                        Answer {
                            line,
                            uuid,
                            ok: true,
                        },
                    ));
                }
                Outcome::Error { id, .. }
                | Outcome::Unexpected { id, .. }
                | Outcome::Lost { id, .. } => {
                    answers.push((
                        id,
                        Answer {
                            line,
                            uuid: None,
                            ok: false,
                        },
                    ));
                }
                Outcome::Invalid(e) => {
                    if let Some(id) = e.id() {
                        let answer = Answer {
                            line,
                            uuid: None,
                            ok: false,
                        };
                        answers.push((id, answer));
                    }
                }
            }
        }
        Ok(answers)
    }

    /// Sends `command` (in one message) and waits for its answer.
    fn call(&mut self, command: Option<Command<'_>>) -> Result<Answer, Box<dyn Error>> {
        let mut buf = vec![0u8; 4096];
        let mut batch = self.client.start_batch(&mut buf);
        let command = command.unwrap_or(Command::ClientHello(VersionRange::V1.into()));
        let id = batch.request(command)?;
        let message = batch.finish()?.to_vec();
        self.ws.send(Message::binary(message))?;
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some((_, answer)) = self.receive()?.into_iter().find(|(i, _)| *i == id) {
                return Ok(answer);
            }
        }
        Err("no answer in time".into())
    }

    fn wait_events(&mut self, n: usize) -> Result<(), Box<dyn Error>> {
        let deadline = Instant::now() + PATIENCE;
        while self.events.len() < n && Instant::now() < deadline {
            self.receive()?;
        }
        Ok(())
    }
}

/// Prints one step; fails on an error answer.
fn step(out: &mut impl Write, name: &str, answer: &Answer) -> Result<(), Box<dyn Error>> {
    writeln!(out, "{name}: {}", answer.line)?;
    out.flush()?;
    if answer.ok {
        Ok(())
    } else {
        Err(format!("{name} failed: {}", answer.line).into())
    }
}

/// Walks the demo server at `url`: hello → lookup → browse → meta_data → read → subscribe
/// (a few events) → write → unsubscribe → create_sub_session → close_sub_session.
pub fn run(url: &str, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let mut c = Connection::open(url)?;
    writeln!(out, "connected to {url}")?;

    let answer = c.call(None)?;
    step(out, "client_hello", &answer)?;

    let answer = c.call(Some(
        Lookup {
            primary_key: Text::new("Group 1.Data Point 1"),
        }
        .into(),
    ))?;
    step(out, "lookup", &answer)?;
    let point = answer.uuid.ok_or("lookup gave no UUID")?;

    let root = Browse {
        element: Uuid::nil(),
        depth: None,
        categories: None,
    };
    step(out, "browse", &c.call(Some(root.into()))?)?;

    let ids = [
        MetaDataId::PrimaryKey,
        MetaDataId::ElementCategory,
        MetaDataId::AttributeList,
        MetaDataId::HasChildren,
    ];
    let meta = MetaData {
        element: point,
        ids: Seq::from_slice(&ids),
    };
    step(out, "meta_data", &c.call(Some(meta.into()))?)?;

    let attrs =
        [Attribute::Value, Attribute::Quality, Attribute::ChangeTime].map(AttributeId::from);
    let read = Read {
        element: point,
        attributes: Seq::from_slice(&attrs),
    };
    step(out, "read", &c.call(Some(read.into()))?)?;

    let entries = [SubscriptionEntry {
        element: point,
        attributes: Seq::from_slice(&attrs[..2]),
    }];
    let subscribe = Subscribe {
        entries: Seq::from_slice(&entries),
        maximum_update_rate: Some(200),
        minimum_update_rate: Some(1000),
        desired_subscription_id: None,
    };
    let answer = c.call(Some(subscribe.into()))?;
    step(out, "subscribe", &answer)?;
    let subscription = answer.uuid.ok_or("subscribe gave no UUID")?;
    c.wait_events(3)?;
    for event in c.events.iter().take(3) {
        writeln!(out, "  {event}")?;
    }

    let write = WriteCmd {
        element: point,
        attribute: Attribute::Value.into(),
        value: Value::Float(42.5),
        sub_session_id: None,
    };
    step(out, "write", &c.call(Some(write.into()))?)?;

    let unsubscribe = Unsubscribe {
        subscription_id: subscription,
    };
    step(out, "unsubscribe", &c.call(Some(unsubscribe.into()))?)?;

    let credentials = Credentials::Password(Password {
        username: Text::new(USER),
        password: Text::new(USER),
    });
    let create = CreateSubSession {
        credentials,
        desired_session_id: None,
    };
    let answer = c.call(Some(create.into()))?;
    step(out, "create_sub_session", &answer)?;
    let session = answer.uuid.ok_or("create_sub_session gave no UUID")?;

    let close = CloseSubSession {
        session_id: session,
    };
    step(out, "close_sub_session", &c.call(Some(close.into()))?)?;

    c.ws.close(None)?;
    // Read until the server's close arrives (bounded by the read timeout).
    while c.ws.read().is_ok() {}
    writeln!(out, "done")?;
    Ok(())
}
