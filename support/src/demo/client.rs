//! The demo client's drivers: a walk through the demo server over WebSocket (`ws://` or
//! `wss://`; tokio, tokio-tungstenite and rustls), `--watch` (one subscription, kept over
//! reconnects) and `--replay`.

use std::error::Error;
use std::io::{self, BufRead, Write};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, Uri};
use tokio_tungstenite::tungstenite::{self, Message};
use xentara_ws::params::{
    Browse, CloseSubSession, CreateSubSession, Credentials, Lookup, MetaData, Password, Read,
    Subscribe, SubscriptionEntry, Unsubscribe, Write as WriteCmd,
};
use xentara_ws::session::{ClientSession, Outcome, VersionRange};
use xentara_ws::{
    Attribute, AttributeId, Batch, Command, DecodeError, MessageId, MetaDataId, Packet, Seq, Text,
    Uuid, Value,
};

use super::model::USER;
use super::text::{basic_auth, diag, from_hex, item_diag, percent_decode, to_hex};
use super::tls::{self, Trust};

/// The session the demo client runs: up to 64 requests in flight.
pub type Session = ClientSession<64>;

/// How long the client waits for the server: to connect, for an answer, for an event.
const PATIENCE: Duration = Duration::from_secs(10);
/// `--watch`: the first wait before a reconnect, and the longest.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(5));

/// How the client connects (the command line's options).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The user of a Basic `Authorization` header (`--user`); a URL's `user:password@`
    /// is the other way to give one.
    pub user: Option<String>,
    /// Its password (`--password`; empty when only a user is given).
    pub password: Option<String>,
    /// What a `wss://` server's certificate must be (`--ca FILE`, `--insecure`).
    pub trust: Trust,
}

impl Options {
    /// Takes `arg` when it is one of the connection options (`--user U`, `--password P`,
    /// `--ca FILE`, `--insecure`), its value from `rest`: `Some(true)` when it was one,
    /// `Some(false)` when it is not, `None` when it cannot be (a value missing, or a second
    /// `--ca`/`--insecure`).
    pub fn take<'a>(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a str>,
    ) -> Option<bool> {
        match arg {
            "--user" => self.user = Some(rest.next()?.to_owned()),
            "--password" => self.password = Some(rest.next()?.to_owned()),
            "--ca" | "--insecure" if self.trust != Trust::PublicRoots => return None,
            "--ca" => self.trust = Trust::Ca(rest.next()?.into()),
            "--insecure" => self.trust = Trust::Insecure,
            _ => return Some(false),
        }
        Some(true)
    }

    /// Whether they go together: a password needs a user.
    pub fn complete(&self) -> bool {
        self.user.is_some() || self.password.is_none()
    }
}

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

/// An answer kept after its message is gone.
struct Answer {
    line: String,
    /// The UUID a lookup, subscribe or create_sub_session returned.
    uuid: Option<Uuid>,
    ok: bool,
}

/// What the transport is: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

/// A URL taken apart: where to connect, and the upgrade request to send there.
pub struct Target {
    /// The host to connect to (an IPv6 address without its brackets).
    pub host: String,
    /// The port (443 or 80 when the URL names none).
    pub port: u16,
    /// Whether it is `wss://`.
    pub tls: bool,
    /// The URL without its `user:password@`, to show.
    pub shown: String,
    /// The upgrade request, with its `Authorization` header when credentials were given.
    pub request: tungstenite::handshake::client::Request,
    /// Whether the request has an `Authorization` header.
    pub authorized: bool,
}

impl Target {
    /// Takes `url` apart; credentials from `options` win over the URL's `user:password@`.
    pub fn parse(url: &str, options: &Options) -> Result<Self, Box<dyn Error>> {
        let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(format!("{url}: not a ws:// or wss:// URL").into()),
        };
        let authority = uri.authority().ok_or(format!("{url}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let (userinfo, host_port) = match authority.as_str().rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority.as_str()),
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let shown = format!("{}://{host_port}{path}", uri.scheme_str().unwrap_or("ws"));
        // --user and --password take precedence over the URL's.
        let credentials = match (&options.user, userinfo) {
            (Some(user), _) => Some((user.clone(), options.password.clone().unwrap_or_default())),
            (None, Some(userinfo)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                Some((percent_decode(user), percent_decode(password)))
            }
            (None, None) => None,
        };
        let host = host.to_owned();
        let mut request = uri.into_client_request()?;
        if let Some((user, password)) = &credentials {
            let value = HeaderValue::from_str(&basic_auth(user, password))?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(Target {
            host,
            port,
            tls,
            shown,
            request,
            authorized: credentials.is_some(),
        })
    }
}

/// The one-line text of a failed upgrade to WebSocket at `path`.
pub fn refusal(e: tungstenite::Error, path: &str, authorized: bool) -> String {
    let tungstenite::Error::Http(response) = e else {
        return format!("the WebSocket upgrade failed: {e}");
    };
    let status = response.status();
    let code = status.as_u16();
    match status {
        StatusCode::UNAUTHORIZED if authorized => {
            format!("the server refused the credentials (HTTP {code})")
        }
        StatusCode::UNAUTHORIZED => {
            format!("the server wants credentials: pass --user and --password (HTTP {code})")
        }
        StatusCode::NOT_FOUND => format!("no WebSocket API at {path} (HTTP {code})"),
        _ => format!("the server refused the WebSocket upgrade (HTTP {code})"),
    }
}

/// A connection to the demo server.
struct Connection {
    ws: WebSocketStream<Box<dyn Stream>>,
    client: Session,
    /// The session's clock: its milliseconds count from here.
    start: Instant,
    events: Vec<String>,
    /// The URL without its `user:password@`.
    shown: String,
}

impl Connection {
    /// Connects to `url` (TCP, then TLS for `wss://`, then the WebSocket upgrade) within
    /// [`PATIENCE`]; each way it can fail is one line of text.
    async fn open(url: &str, options: &Options) -> Result<Self, Box<dyn Error>> {
        let mut target = Target::parse(url, options)?;
        let shown = std::mem::take(&mut target.shown);
        let ws = timeout(PATIENCE, Self::connect(target, &options.trust))
            .await
            .map_err(|_| format!("{shown}: no connection in {} s", PATIENCE.as_secs()))??;
        Ok(Connection {
            ws,
            client: Session::default(),
            start: Instant::now(),
            events: Vec::new(),
            shown,
        })
    }

    async fn connect(
        target: Target,
        trust: &Trust,
    ) -> Result<WebSocketStream<Box<dyn Stream>>, Box<dyn Error>> {
        let (host, port) = (target.host.as_str(), target.port);
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        tcp.set_nodelay(true)?;
        let stream: Box<dyn Stream> = if target.tls {
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|e| format!("{host}: {e}"))?;
            let tls = TlsConnector::from(tls::client_config(trust)?)
                .connect(name, tcp)
                .await
                .map_err(|e| tls::handshake_error(&e, trust))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let path = target.request.uri().path().to_owned();
        match tokio_tungstenite::client_async(target.request, stream).await {
            Ok((ws, _)) => Ok(ws),
            Err(e) => Err(refusal(e, &path, target.authorized).into()),
        }
    }

    /// Waits for the next message (until `deadline`) and hands it to the machine; the
    /// answers it held (events are kept in `events`), or `None` when the deadline came
    /// first.
    async fn receive(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<Vec<(MessageId, Answer)>>, Box<dyn Error>> {
        let message = match timeout_at(deadline, self.ws.next()).await {
            Err(_) => return Ok(None),
            Ok(None | Some(Ok(Message::Close(_)))) => {
                return Err("the server closed the connection".into());
            }
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(Some(Ok(Message::Binary(message)))) => message,
            Ok(Some(Ok(_))) => return Ok(Some(Vec::new())),
        };
        let mut answers = Vec::new();
        let batch = Batch::new(&message)?;
        for outcome in self.client.handle_message(&batch) {
            let line = outcome_line(&outcome);
            match outcome {
                Outcome::Event(_) => self.events.push(line),
                Outcome::Success { id, response } => {
                    // An item with a part that does not decode fails its request.
                    let ok = response.check().is_ok();
                    let uuid = response.uuid();
                    answers.push((
                        id,
                        Answer {
                            line,
                            uuid: uuid.filter(|_| ok),
                            ok,
                        },
                    ));
                }
                // Errors, unexpected and lost requests, invalid packets naming one.
                other => {
                    if let Some(id) = other.id() {
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
        Ok(Some(answers))
    }

    /// Milliseconds on the session's clock.
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Sends `command` (in one message; the hello when `None`) and waits for its answer:
    /// the request carries a deadline [`PATIENCE`] away, and the session's timer
    /// (`poll_timeout` / `handle_timeout`) says when it is lost.
    async fn call(&mut self, command: Option<Command<'_>>) -> Result<Answer, Box<dyn Error>> {
        let mut buf = vec![0u8; 4096];
        let patience = PATIENCE.as_millis() as u64;
        let deadline = self.now_ms() + patience;
        let mut batch = self.client.start_batch(&mut buf);
        batch.set_deadline(Some(deadline));
        let command = command.unwrap_or(Command::ClientHello(VersionRange::V1.into()));
        let id = batch.request(command)?;
        let message = batch.finish()?.to_vec();
        self.ws.send(Message::binary(message)).await?;
        loop {
            let wake = self.client.poll_timeout().unwrap_or(deadline);
            let at = self.start + Duration::from_millis(wake);
            let answers = match self.receive(at).await? {
                Some(answers) => answers,
                None => {
                    let now = self.now_ms();
                    let lost: Vec<_> = self.client.handle_timeout(now).collect();
                    if lost
                        .iter()
                        .any(|o| matches!(o, Outcome::Lost { id: i, .. } if *i == id))
                    {
                        return Err(format!("no answer in {} s", PATIENCE.as_secs()).into());
                    }
                    continue;
                }
            };
            if let Some((_, answer)) = answers.into_iter().find(|(i, _)| *i == id) {
                return Ok(answer);
            }
        }
    }

    /// Waits until `n` events have come (for [`PATIENCE`] at most).
    async fn wait_events(&mut self, n: usize) -> Result<(), Box<dyn Error>> {
        let deadline = Instant::now() + PATIENCE;
        while self.events.len() < n && self.receive(deadline).await?.is_some() {}
        Ok(())
    }

    /// Closes the connection and waits for the server's close (for [`PATIENCE`] at most).
    async fn close(mut self) -> Result<(), Box<dyn Error>> {
        self.ws.close(None).await?;
        let _ = timeout(PATIENCE, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
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

/// A runtime for one client: one thread is plenty.
fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// [`walk`] with the default options (`ws://`, or `wss://` to a server with a public CA's
/// certificate; no `Authorization` header unless the URL has `user:password@`), on a
/// runtime of its own.
pub fn run(url: &str, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    run_with(url, &Options::default(), out)
}

/// [`walk`] on a runtime of its own (what `client URL` runs).
pub fn run_with(url: &str, options: &Options, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    runtime()?.block_on(walk(url, options, out))
}

/// What a successful walk prints, step by step (checked by the end-to-end tests), and how
/// many events it shows.
pub const WALK_STEPS: &[&str] = &[
    "client_hello: response 1 ok {0: 1}",
    "lookup: response 2 ok 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')",
    "browse: response 3 ok [{0: \"Group 1\"",
    "meta_data: response 4 ok {0: \"Group 1.Data Point 1\", 1: 2, 2: [",
    "read: response 5 ok {11: 121(",
    "subscribe: response 6 ok 37(h'",
    "write: response 7 ok",
    "unsubscribe: response 8 ok",
    "create_sub_session: response 9 ok 37(h'",
    "close_sub_session: response 10 ok",
    "done",
];

/// Checks a walk's output against [`WALK_STEPS`] and its three events.
pub fn check_walk(text: &str) -> Result<(), String> {
    if let Some(step) = WALK_STEPS.iter().find(|step| !text.contains(*step)) {
        return Err(format!("missing {step:?} in\n{text}"));
    }
    let events = text
        .lines()
        .filter(|l| l.starts_with("  event {0: 1001("))
        .count();
    match events {
        3 => Ok(()),
        n => Err(format!("{n} events, not 3, in\n{text}")),
    }
}

/// Walks the demo server at `url`: hello → lookup → browse → meta_data → read → subscribe
/// (a few events) → write → unsubscribe → create_sub_session → close_sub_session.
pub async fn walk(
    url: &str,
    options: &Options,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    let mut c = Connection::open(url, options).await?;
    writeln!(out, "connected to {}", c.shown)?;

    let answer = c.call(None).await?;
    step(out, "client_hello", &answer)?;

    let answer = c.call(Some(lookup_point_1())).await?;
    step(out, "lookup", &answer)?;
    let point = answer.uuid.ok_or("lookup gave no UUID")?;

    let root = Browse {
        element: Uuid::nil(),
        depth: None,
        categories: None,
    };
    step(out, "browse", &c.call(Some(root.into())).await?)?;

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
    step(out, "meta_data", &c.call(Some(meta.into())).await?)?;

    let attrs =
        [Attribute::Value, Attribute::Quality, Attribute::ChangeTime].map(AttributeId::from);
    let read = Read {
        element: point,
        attributes: Seq::from_slice(&attrs),
    };
    step(out, "read", &c.call(Some(read.into())).await?)?;

    let entries = [SubscriptionEntry::new(point, &attrs[..2])];
    let subscribe = Subscribe::new(&entries).with_rates(Some(200), Some(1000));
    let answer = c.call(Some(subscribe.into())).await?;
    step(out, "subscribe", &answer)?;
    let subscription = answer.uuid.ok_or("subscribe gave no UUID")?;
    c.wait_events(3).await?;
    for event in c.events.iter().take(3) {
        writeln!(out, "  {event}")?;
    }

    let write = WriteCmd {
        element: point,
        attribute: Attribute::Value.into(),
        value: Value::Float(42.5),
        sub_session_id: None,
    };
    step(out, "write", &c.call(Some(write.into())).await?)?;

    let unsubscribe = Unsubscribe {
        subscription_id: subscription,
    };
    step(out, "unsubscribe", &c.call(Some(unsubscribe.into())).await?)?;

    let credentials = Credentials::Password(Password {
        username: Text::new(USER),
        password: Text::new(USER),
    });
    let create = CreateSubSession {
        credentials,
        desired_session_id: None,
    };
    let answer = c.call(Some(create.into())).await?;
    step(out, "create_sub_session", &answer)?;
    let session = answer.uuid.ok_or("create_sub_session gave no UUID")?;

    let close = CloseSubSession {
        session_id: session,
    };
    step(out, "close_sub_session", &c.call(Some(close.into())).await?)?;

    c.close().await?;
    writeln!(out, "done")?;
    Ok(())
}

fn lookup_point_1() -> Command<'static> {
    Lookup {
        primary_key: Text::new("Group 1.Data Point 1"),
    }
    .into()
}

/// `--watch`: subscribes to Data Point 1's value and prints its events for `duration`.
/// When the connection drops (or the server is silent for `PATIENCE`), it reconnects —
/// after 0.5 s, doubling to 5 s while that fails — with a new session: the hello again,
/// and the subscription again with the same id (`desired_subscription_id`).
///
/// The first connection must succeed: its error (credentials, TLS, path) is the answer.
/// Ends with an error when the connection is down at the end.
pub fn watch(
    url: &str,
    options: &Options,
    duration: Duration,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    runtime()?.block_on(watch_for(url, options, duration, out))
}

async fn watch_for(
    url: &str,
    options: &Options,
    duration: Duration,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    let end = Instant::now() + duration;
    let mut c = Connection::open(url, options).await?;
    writeln!(out, "connected to {}", c.shown)?;
    step(out, "client_hello", &c.call(None).await?)?;
    let answer = c.call(Some(lookup_point_1())).await?;
    step(out, "lookup", &answer)?;
    let point = answer.uuid.ok_or("lookup gave no UUID")?;
    let subscription = c.subscribe_value(point, None, out).await?;
    loop {
        let Some(mut lost) = c.print_events(end, out).await? else {
            c.close().await?;
            writeln!(out, "done")?;
            return Ok(());
        };
        writeln!(out, "connection lost: {lost}")?;
        out.flush()?;
        let mut wait = BACKOFF.0;
        c = loop {
            if Instant::now() + wait >= end {
                return Err(format!("the connection was lost and not regained: {lost}").into());
            }
            writeln!(out, "reconnecting in {} ms", wait.as_millis())?;
            out.flush()?;
            sleep(wait).await;
            wait = (wait * 2).min(BACKOFF.1);
            match Connection::resume(url, options, point, subscription, out).await {
                Ok(c) => break c,
                Err(e) => {
                    writeln!(out, "reconnect failed: {e}")?;
                    lost = e.to_string();
                }
            }
        };
    }
}

impl Connection {
    /// A new connection and session for `--watch`: the hello, and the subscription with
    /// the id it had.
    async fn resume(
        url: &str,
        options: &Options,
        point: Uuid,
        subscription: Uuid,
        out: &mut impl Write,
    ) -> Result<Self, Box<dyn Error>> {
        let mut c = Connection::open(url, options).await?;
        writeln!(out, "reconnected to {}", c.shown)?;
        step(out, "client_hello", &c.call(None).await?)?;
        let again = c.subscribe_value(point, Some(subscription), out).await?;
        if again != subscription {
            return Err(
                format!("the subscription came back as {again}, not {subscription}").into(),
            );
        }
        Ok(c)
    }

    /// Subscribes to `point`'s value (at most every 200 ms, at least every second); the
    /// subscription's id.
    async fn subscribe_value(
        &mut self,
        point: Uuid,
        desired: Option<Uuid>,
        out: &mut impl Write,
    ) -> Result<Uuid, Box<dyn Error>> {
        let attrs = [AttributeId::from(Attribute::Value)];
        let entries = [SubscriptionEntry::new(point, &attrs)];
        let mut subscribe = Subscribe::new(&entries).with_rates(Some(200), Some(1000));
        subscribe.desired_subscription_id = desired;
        let answer = self.call(Some(subscribe.into())).await?;
        step(out, "subscribe", &answer)?;
        Ok(answer.uuid.ok_or("subscribe gave no UUID")?)
    }

    /// Prints events as they come until `end` (`None`), or until the connection drops or
    /// the server is silent for [`PATIENCE`] (`Some(why)`).
    async fn print_events(
        &mut self,
        end: Instant,
        out: &mut impl Write,
    ) -> io::Result<Option<String>> {
        loop {
            for event in self.events.drain(..) {
                writeln!(out, "  {event}")?;
            }
            out.flush()?;
            let deadline = end.min(Instant::now() + PATIENCE);
            match self.receive(deadline).await {
                Ok(Some(_)) => {}
                Ok(None) if Instant::now() >= end => return Ok(None),
                Ok(None) => return Ok(Some(format!("no event in {} s", PATIENCE.as_secs()))),
                Err(e) => return Ok(Some(e.to_string())),
            }
        }
    }
}
