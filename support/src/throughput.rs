//! Throughput of a Xentara WebSocket server and of the `xentara-ws-tokio` client, on tokio
//! and tokio-tungstenite: the library behind `examples/throughput.rs` and
//! `benches/throughput.sh`.
//!
//! ```text
//! cargo run --release --example throughput -- echo --listen ADDR
//! cargo run --release --example throughput -- server URL [--echo URL] [--connections N]
//!     [--in-flight M] [--reads R] [--seconds S] [--element UUID] [--server-pid PID]
//!     [--echo-pid PID]
//! cargo run --release --example throughput -- client URL [--tasks T] [--batch B]
//!     [--read-buffer BYTES] [--seconds S] [--element UUID] [--workers W]
//! ```
//!
//! Three parts:
//!
//! - [`echo`] (`echo --listen ADDR`): a bare tokio-tungstenite server that answers each
//!   binary message with itself, on any path, with the example server's WebSocket
//!   buffers ([`small_buffers`]): what the transport alone can do, the ceiling a server
//!   is measured against.
//! - [`load`] (`server URL`): `connections` WebSocket connections (default 8, with
//!   [`small_buffers`] too), each a
//!   hand-driven [`ClientSession`] keeping `in_flight` messages (default 4) of `reads`
//!   reads (default 16) of the element's `value` attribute in flight for `duration`
//!   (default 5 s): a message goes out whenever a whole message's worth of reads has been
//!   answered. Against a server each read's success must hold one value for the `value`
//!   attribute; against the echo server each read comes back as the request it was (the
//!   session's [`Unexpected::Request`] for an id it has in flight, which is then taken off).
//!   Anything else fails the connection; what was sent and never answered is `lost`. With
//!   `--echo URL` the same load runs against the server, then against the echo server,
//!   and the ratio of their messages/s is printed. With `--server-pid` and `--echo-pid`
//!   (Linux) each row also has the serving process's CPU time per message, and the ratio
//!   of those: on a shared machine, where the load client and everything else compete for
//!   the same cores, a steadier measure of what the server costs than messages/s.
//! - [`adapter`] and [`hand`] (`client URL`): one [`xentara_ws_tokio::Client`] with
//!   `tasks` tasks (default 64) each calling [`Client::read`](xentara_ws_tokio::Client::read)
//!   in a loop for `duration` (default 10 s); and the same workload hand-driven: one
//!   connection, one [`ClientSession`], `tasks` reads in flight, the reads answered by one
//!   message replaced by as many new reads, in messages of at most `batch` reads (default
//!   32: the demo server answers a message of more with an error for each, and the
//!   client's most too), over a WebSocket configured as the client's (8 KiB reads,
//!   [`CLIENT_READ_BUFFER`], unless `--read-buffer BYTES`). Requests/s and the p50/p99
//!   of each read's latency (from its send to its answer), and the ratio adapter / hand;
//!   and (Linux) this process's CPU time per request for each, and the ratio of those,
//!   steadier on a shared machine (the server's CPU is not in it). Both run on the
//!   runtime [`runtime`] builds: tokio's multi-thread one with a worker per core, or
//!   `--workers W` (0: the current-thread runtime).
//!
//! Connections are made (hello answered) before the clock starts. A rate is the answers
//! counted over the time from the start to the last answer (the reads in flight at the
//! end are waited for, at most `patience`, default 30 s). Every program run prints a
//! table and then one JSON object on stdout; the exit status is 0 when nothing was lost,
//! no answer was an error and no connection failed.
//!
//! The element defaults to the demo's "Group 1.Data Point 1",
//! e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8 ([`ELEMENT`]).

use std::collections::HashMap;
use std::error::Error;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use xentara_ws::params::Read;
use xentara_ws::session::{ClientSession, Outcome, Unexpected};
use xentara_ws::{
    AttrResult, Attribute, AttributeId, Batch, Command, MessageId, Opcode, Response, Seq, Uuid,
};

/// The element read: the demo's "Group 1.Data Point 1".
pub const ELEMENT: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);

/// The most reads one connection may have in flight (the session's capacity, less the
/// hello, which stays in flight against the echo server).
pub const MAX_IN_FLIGHT: usize = 255;

/// The hand-driven connections' session: [`MAX_IN_FLIGHT`] reads and the hello, the
/// capacity of the `xentara-ws-tokio` client's (a batch being written holds a list of
/// that many ids, which a larger capacity would copy about for nothing).
type Session = ClientSession<256>;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Fallible<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The command line, for a usage error.
pub const USAGE: &str = "usage: throughput echo --listen ADDR
       throughput server URL [--echo URL] [--connections N] [--in-flight M] [--reads R]
                  [--seconds S] [--element UUID] [--server-pid PID] [--echo-pid PID]
       throughput client URL [--tasks T] [--batch B] [--read-buffer BYTES] [--seconds S]
                  [--element UUID] [--workers W] [--rounds N]";

/// How much [`xentara_ws_tokio::Client`] reads from its socket at a time, 8 KiB (its
/// WebSocket read buffer): [`hand`] reads the same way unless told otherwise, so that the
/// two differ only in what drives the session.
pub const CLIENT_READ_BUFFER: usize = 8 * 1024;

/// The tokio runtime a measurement runs on: multi-thread with `workers` worker threads
/// (`None`: one per core), or the current-thread runtime for `Some(0)`.
pub fn runtime(workers: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = match workers {
        Some(0) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all().build()
}

/// What the program is to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    /// Serve [`echo`] on this address.
    Echo {
        /// `HOST:PORT`.
        listen: String,
    },
    /// [`load`] on the server, then (when given) on the echo server at this URL.
    Server {
        /// The load on the server.
        load: LoadConfig,
        /// The echo server's URL.
        echo: Option<String>,
        /// The echo server's process, for its CPU time.
        echo_pid: Option<u32>,
    },
    /// [`adapter`], then [`hand`].
    Client(ClientConfig),
}

/// Reads the command line (without the program name); `Err` is the usage error to print.
pub fn parse_args(args: &[String]) -> Result<Run, String> {
    let mut args = args.iter();
    let mode = args.next().ok_or("no mode: echo, server or client")?;
    let mut url = None;
    let (mut load, mut client) = (LoadConfig::new(""), ClientConfig::new(""));
    let (mut echo, mut listen, mut echo_pid) = (None, None, None);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |value: &str| {
            value
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("{arg}: not a positive number: {value:?}"))
        };
        match (mode.as_str(), arg.as_str()) {
            ("echo", "--listen") => listen = Some(value(arg)?.clone()),
            ("server", "--echo") => echo = Some(value(arg)?.clone()),
            ("server", "--connections") => load.connections = number(value(arg)?)?,
            ("server", "--in-flight") => load.in_flight = number(value(arg)?)?,
            ("server", "--reads") => load.reads = number(value(arg)?)?,
            ("server", "--server-pid") => load.pid = Some(number(value(arg)?)? as u32),
            ("server", "--echo-pid") => echo_pid = Some(number(value(arg)?)? as u32),
            ("client", "--tasks") => client.tasks = number(value(arg)?)?,
            ("client", "--batch") => client.batch = number(value(arg)?)?,
            ("client", "--read-buffer") => client.read_buffer = number(value(arg)?)?,
            ("client", "--rounds") => client.rounds = number(value(arg)?)?,
            ("client", "--workers") => {
                let v = value(arg)?;
                let n = v
                    .parse()
                    .map_err(|_| format!("--workers: not a number: {v:?}"))?;
                client.workers = Some(n);
            }
            ("server" | "client", "--seconds") => {
                let v = value(arg)?;
                let seconds = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e6)
                    .ok_or(format!("--seconds: not a positive number: {v:?}"))?;
                load.duration = Duration::from_secs_f64(seconds);
                client.duration = load.duration;
            }
            ("server" | "client", "--element") => {
                let v = value(arg)?;
                let uuid = Uuid::parse_str(v).map_err(|e| format!("--element {v:?}: {e}"))?;
                (load.element, client.element) = (uuid, uuid);
            }
            (_, a) if a.starts_with("--") => return Err(format!("{mode}: unknown option {a}")),
            ("server" | "client", a) if url.is_none() => url = Some(a.to_owned()),
            (_, a) => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let check_url = |url: &str| match url.starts_with("ws://") {
        true => Ok(()),
        false => Err(format!("bad URL {url:?}: expected ws://HOST:PORT/PATH")),
    };
    match mode.as_str() {
        "echo" => Ok(Run::Echo {
            listen: listen.ok_or("echo needs --listen ADDR")?,
        }),
        "server" => {
            load.url = url.ok_or("no URL")?;
            check_url(&load.url)?;
            if let Some(echo) = &echo {
                check_url(echo)?;
            }
            if load.in_flight * load.reads > MAX_IN_FLIGHT {
                return Err(format!(
                    "--in-flight × --reads is at most {MAX_IN_FLIGHT} reads"
                ));
            }
            Ok(Run::Server {
                load,
                echo,
                echo_pid,
            })
        }
        "client" => {
            client.url = url.ok_or("no URL")?;
            check_url(&client.url)?;
            if client.tasks > MAX_IN_FLIGHT {
                return Err(format!("--tasks is at most {MAX_IN_FLIGHT}"));
            }
            Ok(Run::Client(client))
        }
        other => Err(format!("unknown mode {other:?}: echo, server or client")),
    }
}

/// The nearest-rank percentile `p` (0..=100) of sorted latencies, in ms.
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).map(|d| d.as_secs_f64() * 1e3)
}

/// A rate, 0 over no time.
fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// A JSON string (the URLs and error texts here need only `"` and `\` escaped, and
/// control characters dropped).
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_option(v: Option<f64>) -> String {
    v.map_or("null".to_owned(), |v| format!("{v:.3}"))
}

// ---------------------------------------------------------------------------------------
// The echo server.

/// Answers each binary (or text) message of each WebSocket connection on `listener` with
/// itself, on any path, until the listener fails; a connection's task ends with its
/// WebSocket. The WebSocket buffers are the example server's ([`small_buffers`]), so
/// that the two differ in what they do with a message, not in how they read it.
pub async fn echo(listener: TcpListener) -> io::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let config = Some(small_buffers());
            let accept = tokio_tungstenite::accept_async_with_config(tcp, config);
            let Ok(mut ws) = accept.await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if (message.is_binary() || message.is_text()) && ws.send(message).await.is_err() {
                    return;
                }
                // A close is answered by tungstenite on the next read, which then ends.
            }
        });
    }
}

/// The WebSocket configuration of the example server (`demo::server`), of [`echo`] and
/// of [`load`]'s connections: a 4 KiB read buffer, each message written at once.
/// tungstenite's default read buffer (128 KiB) is zero-filled before each read from the
/// socket, which costs more than a small message's whole handling.
pub fn small_buffers() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// [`echo`] on a std listener, on a multi-thread tokio runtime of its own: blocks until
/// the listener fails. For a thread of a test, and for the program's `echo` mode.
pub fn serve_echo(listener: std::net::TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async { echo(TcpListener::from_std(listener)?).await })
}

// ---------------------------------------------------------------------------------------
// Server throughput: many connections, many reads per message.

/// What [`load`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadConfig {
    /// `ws://HOST:PORT/PATH`.
    pub url: String,
    /// Connections (default 8).
    pub connections: usize,
    /// Messages each connection keeps in flight (default 4).
    pub in_flight: usize,
    /// Reads per message (default 16).
    pub reads: usize,
    /// How long messages are sent (default 5 s).
    pub duration: Duration,
    /// How long connecting, or an answer, may take (default 30 s).
    pub patience: Duration,
    /// The element whose `value` is read.
    pub element: Uuid,
    /// The process serving `url`, for its CPU time (Linux).
    pub pid: Option<u32>,
}

impl LoadConfig {
    /// The defaults for `url`: 8 connections × 4 messages × 16 reads, 5 s.
    pub fn new(url: impl Into<String>) -> Self {
        LoadConfig {
            url: url.into(),
            connections: 8,
            in_flight: 4,
            reads: 16,
            duration: Duration::from_secs(5),
            patience: Duration::from_secs(30),
            element: ELEMENT,
            pid: None,
        }
    }
}

/// What [`load`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// The URL loaded.
    pub url: String,
    /// Connections asked for.
    pub connections: u64,
    /// Connections whose hello was answered (or echoed).
    pub connected: u64,
    /// Messages each connection keeps in flight.
    pub in_flight: u64,
    /// Reads per message.
    pub reads_per_message: u64,
    /// From the start to the last answer.
    pub seconds: f64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Reads sent.
    pub reads_sent: u64,
    /// Reads answered with a value for the `value` attribute.
    pub answered: u64,
    /// Reads that came back as the request sent (an echo server).
    pub echoed: u64,
    /// Reads answered with an error, or with a success that holds no value.
    pub errors: u64,
    /// Reads sent and never answered.
    pub lost: u64,
    /// The first connection failure, if any.
    pub failure: Option<String>,
    /// The CPU time the serving process ([`LoadConfig::pid`]) took from the start to the
    /// end, in seconds (user + system, Linux).
    pub target_cpu_s: Option<f64>,
    /// The same for this process (the load client).
    pub client_cpu_s: Option<f64>,
}

impl LoadReport {
    /// Reads answered (with a value, or echoed) per second.
    pub fn reads_per_second(&self) -> f64 {
        per_second(self.answered + self.echoed, self.seconds)
    }

    /// Messages' worth of reads answered per second.
    pub fn messages_per_second(&self) -> f64 {
        self.reads_per_second() / self.reads_per_message.max(1) as f64
    }

    /// The serving process's CPU time per message's worth of reads answered, in µs: what
    /// a server costs, whatever else runs on a shared machine.
    pub fn target_cpu_us_per_message(&self) -> Option<f64> {
        let messages = (self.answered + self.echoed) as f64 / self.reads_per_message.max(1) as f64;
        let cpu = self.target_cpu_s?;
        (messages > 0.0).then(|| cpu * 1e6 / messages)
    }

    /// True when every connection connected, nothing was lost and no answer was an error.
    pub fn ok(&self) -> bool {
        self.connected == self.connections
            && self.lost == 0
            && self.errors == 0
            && self.failure.is_none()
    }

    /// One JSON object (rates with one decimal).
    pub fn json(&self) -> String {
        format!(
            "{{\"url\": {}, \"connections\": {}, \"connected\": {}, \"in_flight\": {}, \
             \"reads_per_message\": {}, \
             \"seconds\": {:.3}, \"messages_sent\": {}, \"reads_sent\": {}, \"answered\": {}, \
             \"echoed\": {}, \"errors\": {}, \"lost\": {}, \"reads_per_s\": {:.1}, \
             \"messages_per_s\": {:.1}, \"target_cpu_s\": {}, \"client_cpu_s\": {}, \
             \"target_cpu_us_per_message\": {}, \"failure\": {}}}",
            json_string(&self.url),
            self.connections,
            self.connected,
            self.in_flight,
            self.reads_per_message,
            self.seconds,
            self.messages_sent,
            self.reads_sent,
            self.answered,
            self.echoed,
            self.errors,
            self.lost,
            self.reads_per_second(),
            self.messages_per_second(),
            json_option(self.target_cpu_s),
            json_option(self.client_cpu_s),
            json_option(self.target_cpu_us_per_message()),
            self.failure
                .as_deref()
                .map_or("null".to_owned(), json_string),
        )
    }
}

/// The server's and the echo server's [`LoadReport`], and the ratio of messages/s.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    /// The load on the server.
    pub server: LoadReport,
    /// The same load on the echo server.
    pub echo: LoadReport,
}

impl Ceiling {
    /// Messages/s of the server over those of the echo server (0 when the echo server
    /// answered nothing).
    pub fn ratio(&self) -> f64 {
        let echo = self.echo.messages_per_second();
        if echo > 0.0 {
            self.server.messages_per_second() / echo
        } else {
            0.0
        }
    }

    /// The echo server's CPU time per message over the server's (how much of the CPU a
    /// message costs the server is the transport's), when both were measured.
    pub fn cpu_ratio(&self) -> Option<f64> {
        let server = self.server.target_cpu_us_per_message()?;
        let echo = self.echo.target_cpu_us_per_message()?;
        (server > 0.0).then(|| echo / server)
    }

    /// A Markdown table: one row per target, then the ratios.
    pub fn table(&self) -> String {
        let mut out = load_table_head();
        out += &load_table_row("server", &self.server);
        out += &load_table_row("echo", &self.echo);
        out += &format!("\nmessages/s, server / echo: {:.2}\n", self.ratio());
        if let Some(cpu) = self.cpu_ratio() {
            out += &format!("CPU per message, echo / server: {cpu:.2}\n");
        }
        out
    }

    /// One JSON object: `server`, `echo` (each [`LoadReport::json`]) and `ratio`.
    pub fn json(&self) -> String {
        format!(
            "{{\"measurement\": \"server\", \"server\": {}, \"echo\": {}, \"ratio\": {:.3}, \
             \"cpu_ratio\": {}}}",
            self.server.json(),
            self.echo.json(),
            self.ratio(),
            json_option(self.cpu_ratio()),
        )
    }
}

/// The head of [`Ceiling::table`]'s table, for a single target too.
pub fn load_table_head() -> String {
    "| target | connections × messages × reads | reads/s | messages/s | answered | echoed | errors | lost | target CPU µs/message | target, client CPU s |\n\
     |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
        .to_owned()
}

/// One row of [`Ceiling::table`]'s table.
pub fn load_table_row(name: &str, r: &LoadReport) -> String {
    format!(
        "| {name} | {} × {} × {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {}, {} |\n",
        r.connections,
        r.in_flight,
        r.reads_per_message,
        r.reads_per_second(),
        r.messages_per_second(),
        r.answered,
        r.echoed,
        r.errors,
        r.lost,
        r.target_cpu_us_per_message()
            .map_or("-".to_owned(), |v| format!("{v:.1}")),
        r.target_cpu_s.map_or("-".to_owned(), |v| format!("{v:.2}")),
        r.client_cpu_s.map_or("-".to_owned(), |v| format!("{v:.2}")),
    )
}

/// [`load`] on `config.url`, then on `echo` (the same configuration; the echo server's
/// process is `echo_pid`).
pub async fn ceiling(config: LoadConfig, echo: String, echo_pid: Option<u32>) -> Ceiling {
    let server = load(config.clone()).await;
    let echo = load(LoadConfig {
        url: echo,
        pid: echo_pid,
        ..config
    })
    .await;
    Ceiling { server, echo }
}

/// What one connection of [`load`] counted.
#[derive(Debug, Default)]
struct Counts {
    messages_sent: u64,
    reads_sent: u64,
    answered: u64,
    echoed: u64,
    errors: u64,
    last_answer: Option<Instant>,
}

/// Connects (TCP without Nagle, the WebSocket handshake) within `patience`, with
/// tungstenite's configuration `config` (`None`: its default).
async fn open(url: &str, patience: Duration, config: Option<WebSocketConfig>) -> Fallible<Ws> {
    let connect = tokio_tungstenite::connect_async_with_config(url, config, true);
    let (ws, _) = timeout(patience, connect)
        .await
        .map_err(|_| "connecting timed out")??;
    if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_nodelay(true)?;
    }
    Ok(ws)
}

/// The next binary message within `patience`, as a batch's bytes.
async fn next_binary(ws: &mut Ws, patience: Duration) -> Fallible<Vec<u8>> {
    let deadline = Instant::now() + patience;
    loop {
        match timeout_at(deadline, ws.next()).await {
            Err(_) => return Err(format!("no message within {patience:?}").into()),
            Ok(None) => return Err("the server closed the connection".into()),
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(Some(Ok(Message::Binary(bytes)))) => return Ok(bytes.into()),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Err(format!("the server closed the WebSocket: {frame:?}").into());
            }
            Ok(Some(Ok(Message::Text(_)))) => return Err("a text message".into()),
            Ok(Some(Ok(_))) => {} // ping, pong
        }
    }
}

/// Connects and sends the hello alone; done when it is answered, or comes back.
async fn hello(
    url: &str,
    patience: Duration,
    config: Option<WebSocketConfig>,
) -> Fallible<(Ws, Session)> {
    let mut ws = open(url, patience, config).await?;
    let mut session = Session::default();
    let mut buf = [0u8; 64];
    let message = session.start_batch(&mut buf).finish()?.to_vec();
    ws.send(Message::binary(message)).await?;
    let reply = next_binary(&mut ws, patience).await?;
    let batch = Batch::new(&reply)?;
    for outcome in session.handle_message(&batch) {
        match outcome {
            Outcome::Success {
                response: Response::ClientHello(_),
                ..
            } => {}
            // The echo server: the hello itself (it stays in flight).
            Outcome::Unexpected {
                reason: Unexpected::Request,
                ..
            } => {}
            other => return Err(format!("the hello's answer: {other:?}").into()),
        }
    }
    Ok((ws, session))
}

/// A message of `reads` reads of `element`'s `value`; their ids are the session's.
fn reads_message(
    session: &mut Session,
    buf: &mut [u8],
    element: Uuid,
    reads: usize,
) -> Fallible<(Vec<u8>, Vec<MessageId>)> {
    let attributes = [AttributeId::from(Attribute::Value)];
    let mut batch = session.start_batch(buf);
    let mut ids = Vec::with_capacity(reads);
    for _ in 0..reads {
        let read = Read {
            element,
            attributes: Seq::from(&attributes[..]),
        };
        ids.push(batch.request(Command::Read(read))?);
    }
    Ok((batch.finish()?.to_vec(), ids))
}

/// How one outcome of a message answered a read.
enum Answered {
    /// With one value for the `value` attribute.
    Value(MessageId),
    /// The request came back (an echo server): to be taken off the session.
    Echoed(MessageId),
    /// With an error, or a success without a value.
    Error(MessageId),
}

/// Which read one outcome answered and how; `Err` for anything that is not an answer to
/// a read (the connection then fails). The session has matched the ids of successes and
/// errors to its requests in flight (an id not in flight is [`Unexpected::UnknownId`]);
/// an echoed request's id is matched by [`take_echoes`].
fn classify(outcome: Outcome<'_>) -> Fallible<Answered> {
    let value = AttributeId::from(Attribute::Value);
    match outcome {
        Outcome::Success {
            id,
            response: Response::Read(values),
        } => {
            let mut items = values.iter();
            Ok(match (items.next(), items.next()) {
                (Some(Ok((attribute, AttrResult::Value(_)))), None) if attribute == value => {
                    Answered::Value(id)
                }
                _ => Answered::Error(id),
            })
        }
        Outcome::Error { id, .. } => Ok(Answered::Error(id)),
        Outcome::Unexpected {
            id,
            reason: Unexpected::Request,
        } => Ok(Answered::Echoed(id)),
        other => Err(format!("not an answer to a read: {other:?}").into()),
    }
}

/// Handles one message: the reads it answered, each with how, in order. Echoed requests
/// are taken off the session; one that is not a read in flight fails.
fn take_message(session: &mut Session, message: &[u8]) -> Fallible<Vec<Answered>> {
    let batch = Batch::new(message)?;
    let answers = session
        .handle_message(&batch)
        .map(classify)
        .collect::<Fallible<Vec<_>>>()?;
    take_echoes(session, &answers)?;
    Ok(answers)
}

/// Takes the echoed reads off the session: each must be a read in flight.
fn take_echoes(session: &mut Session, answers: &[Answered]) -> Fallible<()> {
    for answer in answers {
        if let Answered::Echoed(id) = *answer
            && session.cancel(id) != Some(Opcode::Read)
        {
            return Err(format!("a request with id {id} came back: not a read in flight").into());
        }
    }
    Ok(())
}

/// One connection of [`load`], connected: sends until `end`, then waits for the reads in
/// flight.
async fn load_connection(
    ws: &mut Ws,
    session: &mut Session,
    config: &LoadConfig,
    end: Instant,
    counts: &mut Counts,
) -> Fallible<()> {
    let mut buf = vec![0u8; 64 * config.reads + 64];
    let reads = config.reads as u64;
    let most = reads * config.in_flight as u64;
    let mut in_flight = 0u64;
    loop {
        if Instant::now() < end {
            let mut fed = false;
            while in_flight + reads <= most {
                let (message, _) = reads_message(session, &mut buf, config.element, config.reads)?;
                ws.feed(Message::binary(message)).await?;
                fed = true;
                in_flight += reads;
                counts.messages_sent += 1;
                counts.reads_sent += reads;
            }
            if fed {
                ws.flush().await?;
            }
        } else if in_flight == 0 {
            return Ok(());
        }
        let message = next_binary(ws, config.patience).await?;
        let answers = take_message(session, &message)?;
        for answer in &answers {
            match answer {
                Answered::Value(_) => counts.answered += 1,
                Answered::Echoed(_) => counts.echoed += 1,
                Answered::Error(_) => counts.errors += 1,
            }
        }
        in_flight = in_flight.saturating_sub(answers.len() as u64);
        counts.last_answer = Some(Instant::now());
    }
}

/// Runs the load of `config`: connects every connection (hello answered), then starts the
/// clock; on the current tokio runtime (use a multi-thread one).
pub async fn load(config: LoadConfig) -> LoadReport {
    let config = Arc::new(config);
    let connects: Vec<_> = (0..config.connections)
        .map(|_| {
            let config = config.clone();
            tokio::spawn(
                async move { hello(&config.url, config.patience, Some(small_buffers())).await },
            )
        })
        .collect();
    let mut connected = Vec::new();
    let mut failure = None;
    for connect in connects {
        match connect.await {
            Ok(Ok(conn)) => connected.push(conn),
            Ok(Err(e)) => {
                failure.get_or_insert(format!("connect: {e}"));
            }
            Err(e) => {
                failure.get_or_insert(format!("connect task: {e}"));
            }
        }
    }
    let cpu = (
        cpu_seconds(config.pid),
        cpu_seconds(Some(std::process::id())),
    );
    let start = Instant::now();
    let end = start + config.duration;
    let tasks: Vec<_> = connected
        .into_iter()
        .map(|(mut ws, mut session)| {
            let config = config.clone();
            tokio::spawn(async move {
                let mut counts = Counts::default();
                let result =
                    load_connection(&mut ws, &mut session, &config, end, &mut counts).await;
                let _ = timeout(config.patience, ws.close(None)).await;
                (counts, result.map_err(|e| e.to_string()))
            })
        })
        .collect();
    let mut report = LoadReport {
        url: config.url.clone(),
        connections: config.connections as u64,
        connected: tasks.len() as u64,
        in_flight: config.in_flight as u64,
        reads_per_message: config.reads as u64,
        seconds: 0.0,
        messages_sent: 0,
        reads_sent: 0,
        answered: 0,
        echoed: 0,
        errors: 0,
        lost: 0,
        failure,
        target_cpu_s: None,
        client_cpu_s: None,
    };
    let mut last = start;
    for task in tasks {
        let (counts, result) = match task.await {
            Ok(done) => done,
            Err(e) => (Counts::default(), Err(format!("task: {e}"))),
        };
        if let Err(e) = result {
            report.failure.get_or_insert(e);
        }
        report.messages_sent += counts.messages_sent;
        report.reads_sent += counts.reads_sent;
        report.answered += counts.answered;
        report.echoed += counts.echoed;
        report.errors += counts.errors;
        last = last.max(counts.last_answer.unwrap_or(start));
    }
    report.lost = report.reads_sent - (report.answered + report.echoed + report.errors);
    report.seconds = (last - start).as_secs_f64();
    let used = |before: Option<f64>, pid| Some(cpu_seconds(pid)? - before?);
    report.target_cpu_s = used(cpu.0, config.pid);
    report.client_cpu_s = used(cpu.1, Some(std::process::id()));
    report
}

/// The CPU time this process has taken since it had taken `before`.
fn elapsed_cpu(before: Option<f64>) -> Option<f64> {
    Some(cpu_seconds(Some(std::process::id()))? - before?)
}

/// The CPU time (user + system) process `pid` has taken, in seconds, from
/// `/proc/PID/stat` (Linux; clock ticks taken as 1/100 s, the kernel's `USER_HZ`).
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // After the command's ")": state is field 3, utime field 14, stime field 15.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

// ---------------------------------------------------------------------------------------
// Client throughput: many tasks on one client, against one hand-driven connection.

/// What [`adapter`] and [`hand`] run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// `ws://HOST:PORT/PATH`.
    pub url: String,
    /// Tasks reading in a loop, for [`hand`] reads in flight (default 64).
    pub tasks: usize,
    /// How long reads are started (default 10 s).
    pub duration: Duration,
    /// How long connecting, or an answer, may take (default 30 s).
    pub patience: Duration,
    /// The element whose `value` is read.
    pub element: Uuid,
    /// [`hand`]'s most reads per message (default 32, what the demo server takes in one
    /// message, and the client's own most).
    pub batch: usize,
    /// [`hand`]'s WebSocket read buffer (default [`CLIENT_READ_BUFFER`], the client's).
    pub read_buffer: usize,
    /// The runtime's worker threads (`None`: one per core; 0: the current-thread
    /// runtime); see [`runtime`].
    pub workers: Option<usize>,
    /// How many times [`compare_client_rounds`] measures both, alternating (default 1).
    pub rounds: usize,
}

impl ClientConfig {
    /// The defaults for `url`: 64 tasks, 10 s.
    pub fn new(url: impl Into<String>) -> Self {
        ClientConfig {
            url: url.into(),
            tasks: 64,
            duration: Duration::from_secs(10),
            patience: Duration::from_secs(30),
            element: ELEMENT,
            batch: 32,
            read_buffer: CLIENT_READ_BUFFER,
            workers: None,
            rounds: 1,
        }
    }
}

/// What [`adapter`] or [`hand`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientReport {
    /// `"adapter"` (the `xentara-ws-tokio` client) or `"hand"` (a hand-driven session).
    pub driver: &'static str,
    /// Tasks (reads in flight).
    pub tasks: u64,
    /// From the start to the last answer.
    pub seconds: f64,
    /// Reads answered with a value for the `value` attribute.
    pub answered: u64,
    /// Reads answered with an error, or with a success that holds no value.
    pub errors: u64,
    /// Reads started and never answered (for the client: ended by a timeout or a lost
    /// connection).
    pub lost: u64,
    /// Median and 99th percentile of the answered reads' latency, in ms.
    pub p50_ms: Option<f64>,
    /// See `p50_ms`.
    pub p99_ms: Option<f64>,
    /// The first failure (connecting, a lost connection, an error), if any.
    pub failure: Option<String>,
    /// The CPU time this process took from the start to the end, in seconds (user +
    /// system, Linux): the client's whole cost, whatever else runs on a shared machine.
    pub cpu_s: Option<f64>,
}

impl ClientReport {
    fn new(driver: &'static str, config: &ClientConfig) -> Self {
        ClientReport {
            driver,
            tasks: config.tasks as u64,
            seconds: 0.0,
            answered: 0,
            errors: 0,
            lost: 0,
            p50_ms: None,
            p99_ms: None,
            failure: None,
            cpu_s: None,
        }
    }

    /// This process's CPU time per answered read, in µs.
    pub fn cpu_us_per_request(&self) -> Option<f64> {
        let cpu = self.cpu_s?;
        (self.answered > 0).then(|| cpu * 1e6 / self.answered as f64)
    }

    /// Reads answered with a value per second.
    pub fn requests_per_second(&self) -> f64 {
        per_second(self.answered, self.seconds)
    }

    /// True when something was answered, nothing was lost, no answer was an error and
    /// nothing failed.
    pub fn ok(&self) -> bool {
        self.answered > 0 && self.lost == 0 && self.errors == 0 && self.failure.is_none()
    }

    /// One JSON object.
    pub fn json(&self) -> String {
        format!(
            "{{\"driver\": \"{}\", \"tasks\": {}, \"seconds\": {:.3}, \"answered\": {}, \
             \"errors\": {}, \"lost\": {}, \"requests_per_s\": {:.1}, \"p50_ms\": {}, \
             \"p99_ms\": {}, \"cpu_s\": {}, \"cpu_us_per_request\": {}, \"failure\": {}}}",
            self.driver,
            self.tasks,
            self.seconds,
            self.answered,
            self.errors,
            self.lost,
            self.requests_per_second(),
            json_option(self.p50_ms),
            json_option(self.p99_ms),
            json_option(self.cpu_s),
            json_option(self.cpu_us_per_request()),
            self.failure
                .as_deref()
                .map_or("null".to_owned(), json_string),
        )
    }

    fn latencies(&mut self, mut latencies: Vec<Duration>) {
        latencies.sort_unstable();
        self.p50_ms = percentile(&latencies, 50.0);
        self.p99_ms = percentile(&latencies, 99.0);
    }
}

/// The client's and the hand-driven session's [`ClientReport`], and their ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientComparison {
    /// One [`xentara_ws_tokio::Client`], many tasks.
    pub adapter: ClientReport,
    /// One hand-driven [`ClientSession`].
    pub hand: ClientReport,
}

impl ClientComparison {
    /// The hand-driven session's CPU time per request over the client's (how much of the
    /// client's CPU per request the session and the socket need), when both were measured.
    pub fn cpu_ratio(&self) -> Option<f64> {
        let adapter = self.adapter.cpu_us_per_request()?;
        let hand = self.hand.cpu_us_per_request()?;
        (adapter > 0.0).then(|| hand / adapter)
    }

    /// Requests/s of the client over those of the hand-driven session (0 when that
    /// answered nothing).
    pub fn ratio(&self) -> f64 {
        let hand = self.hand.requests_per_second();
        if hand > 0.0 {
            self.adapter.requests_per_second() / hand
        } else {
            0.0
        }
    }

    /// A Markdown table: one row per driver, then the ratio.
    pub fn table(&self) -> String {
        let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
        let mut out = "| driver | reads in flight | requests/s | p50 ms | p99 ms | answered | errors | lost | CPU µs/request |\n\
                       |---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
            .to_owned();
        for r in [&self.adapter, &self.hand] {
            out += &format!(
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |\n",
                match r.driver {
                    "adapter" => "xentara-ws-tokio Client",
                    _ => "hand-driven ClientSession",
                },
                r.tasks,
                r.requests_per_second(),
                ms(r.p50_ms),
                ms(r.p99_ms),
                r.answered,
                r.errors,
                r.lost,
                r.cpu_us_per_request()
                    .map_or("-".to_owned(), |v| format!("{v:.2}")),
            );
        }
        out += &format!("\nrequests/s, client / hand-driven: {:.2}\n", self.ratio());
        if let Some(cpu) = self.cpu_ratio() {
            out += &format!("CPU per request, hand-driven / client: {cpu:.2}\n");
        }
        out
    }

    /// One JSON object: `adapter`, `hand` (each [`ClientReport::json`]) and `ratio`.
    pub fn json(&self) -> String {
        format!(
            "{{\"measurement\": \"client\", \"adapter\": {}, \"hand\": {}, \"ratio\": {:.3}, \
             \"cpu_ratio\": {}}}",
            self.adapter.json(),
            self.hand.json(),
            self.ratio(),
            json_option(self.cpu_ratio()),
        )
    }
}

/// [`adapter`], then [`hand`]. The hand-driven loop runs as a task of the runtime, as the
/// client's tasks and driver do (on a multi-thread runtime the caller of `block_on` is not
/// one of its workers).
pub async fn compare_clients(config: ClientConfig) -> ClientComparison {
    let adapter = adapter(config.clone()).await;
    let hand = match tokio::spawn(hand(config.clone())).await {
        Ok(hand) => hand,
        Err(e) => {
            let mut report = ClientReport::new("hand", &config);
            report.failure = Some(format!("task: {e}"));
            report
        }
    };
    ClientComparison { adapter, hand }
}

/// [`compare_clients`] `config.rounds` times: the client and the hand-driven session
/// alternate, so that a machine that gets slower or faster during the run moves both.
pub async fn compare_client_rounds(config: ClientConfig) -> ClientRounds {
    let mut rounds = Vec::with_capacity(config.rounds);
    for _ in 0..config.rounds.max(1) {
        rounds.push(compare_clients(config.clone()).await);
    }
    ClientRounds(rounds)
}

/// The rounds of [`compare_client_rounds`], in order (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRounds(pub Vec<ClientComparison>);

impl ClientRounds {
    /// True when every round of both is [`ClientReport::ok`].
    pub fn ok(&self) -> bool {
        self.0.iter().all(|r| r.adapter.ok() && r.hand.ok())
    }

    /// The first failure of each round and driver, in order.
    pub fn failures(&self) -> Vec<String> {
        let reports = self.0.iter().flat_map(|r| [&r.adapter, &r.hand]);
        reports.filter_map(|r| r.failure.clone()).collect()
    }

    /// The median of the rounds' [`ClientComparison::ratio`].
    pub fn ratio(&self) -> f64 {
        median(self.0.iter().map(ClientComparison::ratio)).unwrap_or(0.0)
    }

    /// The median of the rounds' [`ClientComparison::cpu_ratio`], over those that have one.
    pub fn cpu_ratio(&self) -> Option<f64> {
        median(self.0.iter().filter_map(ClientComparison::cpu_ratio))
    }

    /// Each round's table; after more than one round, the ratios and their medians.
    pub fn table(&self) -> String {
        let mut out = self
            .0
            .iter()
            .map(ClientComparison::table)
            .collect::<Vec<_>>();
        if self.0.len() > 1 {
            let list = |v: Vec<Option<f64>>| {
                let text = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
                v.into_iter().map(text).collect::<Vec<_>>().join(" ")
            };
            let ratios = list(self.0.iter().map(|r| Some(r.ratio())).collect());
            let cpu = list(self.0.iter().map(ClientComparison::cpu_ratio).collect());
            out.push(format!(
                "{} rounds: requests/s, client / hand-driven: {ratios} (median {:.2}); \
                 CPU per request, hand-driven / client: {cpu} (median {})\n",
                self.0.len(),
                self.ratio(),
                self.cpu_ratio()
                    .map_or("-".to_owned(), |v| format!("{v:.2}")),
            ));
        }
        out.join("\n")
    }

    /// One JSON object: after one round, that round's ([`ClientComparison::json`]);
    /// after more, `rounds` (each round's) and the medians `ratio` and `cpu_ratio`.
    pub fn json(&self) -> String {
        match &self.0[..] {
            [one] => one.json(),
            rounds => format!(
                "{{\"measurement\": \"client\", \"rounds\": [{}], \"ratio\": {:.3}, \
                 \"cpu_ratio\": {}}}",
                rounds
                    .iter()
                    .map(ClientComparison::json)
                    .collect::<Vec<_>>()
                    .join(", "),
                self.ratio(),
                json_option(self.cpu_ratio()),
            ),
        }
    }
}

/// The median (the mean of the middle two for an even count); `None` for none.
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// What one task of [`adapter`] counted.
#[derive(Debug, Default)]
struct TaskCounts {
    answered: u64,
    errors: u64,
    lost: u64,
    latencies: Vec<Duration>,
    last_answer: Option<Instant>,
    failure: Option<String>,
}

/// One [`xentara_ws_tokio::Client`] (no reconnect), `config.tasks` tasks each reading the
/// element's `value` in a loop until `config.duration` has passed; on the current tokio
/// runtime (use a multi-thread one).
pub async fn adapter(config: ClientConfig) -> ClientReport {
    use xentara_ws_tokio::{Client, Error as ClientError};
    let mut report = ClientReport::new("adapter", &config);
    let connect = Client::builder(config.url.clone())
        .reconnect(None)
        .request_timeout(config.patience)
        .connect_timeout(config.patience)
        .connect()
        .await;
    let client = match connect {
        Ok(client) => client,
        Err(e) => {
            report.failure = Some(format!("connect: {e}"));
            return report;
        }
    };
    let cpu = cpu_seconds(Some(std::process::id()));
    let start = Instant::now();
    let end = start + config.duration;
    let element = config.element;
    let tasks: Vec<_> = (0..config.tasks)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let value = AttributeId::from(Attribute::Value);
                let mut counts = TaskCounts::default();
                // One clock reading a read: the end of one is the start of the next.
                let mut at = Instant::now();
                while at < end {
                    let result = client.read(element, &[value]).await;
                    let now = Instant::now();
                    let latency = now - at;
                    at = now;
                    match result {
                        Ok(values) if matches!(&values[..], [(a, Ok(_))] if *a == value) => {
                            counts.latencies.push(latency);
                            counts.last_answer = Some(now);
                            counts.answered += 1;
                        }
                        Ok(values) => {
                            counts.errors += 1;
                            counts.failure.get_or_insert(format!("read: {values:?}"));
                        }
                        Err(e @ (ClientError::Timeout | ClientError::Closed)) => {
                            counts.lost += 1;
                            counts.failure.get_or_insert(format!("read: {e}"));
                            break;
                        }
                        Err(e) => {
                            counts.errors += 1;
                            counts.failure.get_or_insert(format!("read: {e}"));
                        }
                    }
                }
                counts
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut last = start;
    for task in tasks {
        let counts = match task.await {
            Ok(counts) => counts,
            Err(e) => TaskCounts {
                failure: Some(format!("task: {e}")),
                ..TaskCounts::default()
            },
        };
        report.answered += counts.answered;
        report.errors += counts.errors;
        report.lost += counts.lost;
        if let Some(e) = counts.failure {
            report.failure.get_or_insert(e);
        }
        latencies.extend(counts.latencies);
        last = last.max(counts.last_answer.unwrap_or(start));
    }
    client.close().await;
    report.cpu_s = elapsed_cpu(cpu);
    report.seconds = (last - start).as_secs_f64();
    report.latencies(latencies);
    report
}

/// The same workload as [`adapter`] by hand: one connection, one [`ClientSession`],
/// `config.tasks` reads in flight; the reads one message answers are replaced by one
/// message of as many new reads, until `config.duration` has passed.
pub async fn hand(config: ClientConfig) -> ClientReport {
    let mut report = ClientReport::new("hand", &config);
    let ws_config = Some(WebSocketConfig::default().read_buffer_size(config.read_buffer));
    let (mut ws, mut session) = match hello(&config.url, config.patience, ws_config).await {
        Ok(conn) => conn,
        Err(e) => {
            report.failure = Some(format!("connect: {e}"));
            return report;
        }
    };
    let mut latencies = Vec::new();
    let mut sent = HashMap::new();
    let cpu = cpu_seconds(Some(std::process::id()));
    let start = Instant::now();
    let end = start + config.duration;
    let mut last = start;
    let result = hand_loop(
        &mut ws,
        &mut session,
        &config,
        end,
        &mut sent,
        &mut |answer, at| match answer {
            Answered::Value(_) => {
                latencies.push(at);
                report.answered += 1;
            }
            _ => report.errors += 1,
        },
        &mut last,
    )
    .await;
    if let Err(e) = result {
        report.failure = Some(e.to_string());
    }
    let _ = timeout(config.patience, ws.close(None)).await;
    report.cpu_s = elapsed_cpu(cpu);
    report.lost = sent.len() as u64;
    report.seconds = (last - start).as_secs_f64();
    report.latencies(latencies);
    report
}

/// [`hand`]'s loop: `count` gets each answer with its latency.
async fn hand_loop(
    ws: &mut Ws,
    session: &mut Session,
    config: &ClientConfig,
    end: Instant,
    sent: &mut HashMap<MessageId, Instant>,
    count: &mut (dyn FnMut(&Answered, Duration) + Send),
    last: &mut Instant,
) -> Fallible<()> {
    let mut buf = vec![0u8; 64 * config.batch.min(config.tasks) + 64];
    send_reads(ws, session, &mut buf, config, config.tasks, sent).await?;
    loop {
        let message = next_binary(ws, config.patience).await?;
        let answers = take_message(session, &message)?;
        let now = Instant::now();
        for answer in &answers {
            let id = match *answer {
                Answered::Value(id) | Answered::Echoed(id) | Answered::Error(id) => id,
            };
            let at = sent
                .remove(&id)
                .ok_or_else(|| format!("an answer to id {id}, not sent"))?;
            count(answer, now - at);
        }
        *last = now;
        if now < end {
            if !answers.is_empty() {
                send_reads(ws, session, &mut buf, config, answers.len(), sent).await?;
            }
        } else if sent.is_empty() {
            return Ok(());
        }
    }
}

/// Sends `n` reads in messages of at most `config.batch`, each read recorded in `sent`
/// with the time it was made.
async fn send_reads(
    ws: &mut Ws,
    session: &mut Session,
    buf: &mut [u8],
    config: &ClientConfig,
    mut n: usize,
    sent: &mut HashMap<MessageId, Instant>,
) -> Fallible<()> {
    let at = Instant::now();
    while n > 0 {
        let reads = n.min(config.batch.max(1));
        let (message, ids) = reads_message(session, buf, config.element, reads)?;
        sent.extend(ids.into_iter().map(|id| (id, at)));
        ws.feed(Message::binary(message)).await?;
        n -= reads;
    }
    ws.flush().await?;
    Ok(())
}
