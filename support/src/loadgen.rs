//! A load generator for a Xentara WebSocket server (the demo server, or any that has
//! "Group 1.Data Point 1"), on tokio and tokio-tungstenite.
//!
//! ```text
//! xentara-ws load URL [--connections N] [--seconds S] [--ramp R]
//!     [--hostile KIND [--hostile-connections M] [--hostile-pause MS] [--oversize BYTES]]
//!     [--server-pid PID] [--insecure]
//! xentara-ws load ws://127.0.0.1:8080/api/ws --connections 1000 --seconds 10
//! ```
//!
//! The URL is `ws://` or `wss://` (rustls; the public CA roots, or any certificate with
//! `--insecure`, as for a Xentara server's self-signed one). Defaults: 100 connections,
//! 10 seconds, ramp 50. Each connection, one tokio task:
//!
//! 1. WebSocket connect (at most `--ramp` TCP + WebSocket handshakes in progress at once,
//!    so that thousands of connections do not overflow the server's accept backlog);
//! 2. one message with the hello and a lookup of "Group 1.Data Point 1";
//! 3. subscribe to that element's `value` attribute, `maximum_update_rate` and
//!    `minimum_update_rate` 1000 ms;
//! 4. hold for S seconds, counting data-change events;
//! 5. write 42.5 (a float) to the `value` attribute;
//! 6. unsubscribe;
//! 7. close the WebSocket, waiting for the server's close frame.
//!
//! Every response is matched to its request by id through the [`ClientSession`]'s
//! outcomes; an error response, an invalid or unexpected packet, a lost connection or a
//! response that takes longer than 30 s fails the connection (it ends there, it does not
//! hang). A request's latency runs from the moment its message was sent to the moment its
//! response was handled (the first message holds two requests, the hello and the lookup).
//!
//! Progress goes to stderr once a second. The last line on stdout is one JSON object:
//!
//! ```text
//! {"connections": 1000, "completed": 1000, "responses_expected": 5000, "responses_received": 5000, "events": 11000, "p50_ms": 0.41, "p99_ms": 3.12}
//! ```
//!
//! `responses_expected` is 5 per connection (hello, lookup, subscribe, write,
//! unsubscribe); `responses_received` counts the answers (success or error) to those
//! requests; `p50_ms`/`p99_ms` are over every request's latency (`null` when no request
//! was answered). Exit status: 0 when every connection completed and every response came,
//! 1 otherwise, 2 for a usage error.
//!
//! Hostile clients beside the walk: `--hostile KIND --hostile-connections M` (default 100)
//! starts M more tasks that each misbehave one way, again and again (pausing
//! `--hostile-pause MS`, default 1000, between attempts; 0 floods) until the normal
//! connections are done, on a tokio runtime of their own (so that their work waits for the
//! cores, not in the normal clients' task queue) — `slowloris` (the upgrade request a byte
//! a second), `oversize` (after the hello, a message of `--oversize BYTES`, default 2 MiB,
//! written until the server refuses it), `garbage` (after the
//! hello, four binary frames of random bytes, then a lookup that must be answered),
//! `stall` (the hello and a subscribe without throttle, then never read), `churn` (connect,
//! hello, drop without a close). The JSON line then gains `hostile`, `hostile_connections`,
//! `hostile_attempts`, `hostile_closed` (slowloris and oversize: closed by the server, as
//! they should be; churn: the hello answered; garbage: closed by the server, which it
//! should not be) and `hostile_answered` (garbage followed by an answered lookup); with `--server-pid PID`
//! also `server_peak_rss_kb` (VmHWM, Linux). The exit status is about the normal
//! connections only.
//!
//! Each connection is a file descriptor on both sides: 10,000 connections need
//! `ulimit -n 65536` in the shells of both the load generator and the server (this program
//! raises no limit itself).

use std::error::Error;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use xentara_ws::params::{Lookup, Subscribe, SubscriptionEntry, Unsubscribe, Write};
use xentara_ws::session::{ClientSession, Outcome, VersionRange};
use xentara_ws::{Attribute, AttributeId, Batch, Command, MessageId, Text, Uuid, Value};

use xentara_ws_tokio::Trust;

/// The element every connection works on.
pub const ELEMENT: &str = "Group 1.Data Point 1";
/// Requests per connection: hello, lookup, subscribe, write, unsubscribe.
pub const REQUESTS: u64 = 5;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ws://HOST:PORT/PATH`.
    pub url: String,
    /// Connections, all at once.
    pub connections: usize,
    /// How long each connection holds its subscription.
    pub hold: Duration,
    /// At most this many handshakes in progress at once.
    pub ramp: usize,
    /// How long a response (or the connect, or the close reply) may take.
    pub patience: Duration,
    /// Print a progress line to stderr every second.
    pub progress: bool,
    /// Hostile clients beside the normal ones (`--hostile KIND`).
    pub hostile: Option<hostile::Kind>,
    /// How many (`--hostile-connections`, default 100).
    pub hostile_connections: usize,
    /// How long each hostile client waits between attempts (`--hostile-pause MS`,
    /// default 1000; 0 floods).
    pub hostile_pause: Duration,
    /// The size of an oversize client's message (`--oversize`, default 2 MiB).
    pub oversize: usize,
    /// The server's process, for its peak RSS (`--server-pid`, Linux).
    pub server_pid: Option<u32>,
    /// For `wss://`: what the server's certificate must be (`--ca`, `--pin`,
    /// `--insecure`; default the public CA roots).
    pub trust: Trust,
}

impl Config {
    /// The defaults for `url`: 100 connections, 10 s, ramp 50, 30 s patience, progress on.
    pub fn new(url: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            connections: 100,
            hold: Duration::from_secs(10),
            ramp: 50,
            patience: Duration::from_secs(30),
            progress: true,
            hostile: None,
            hostile_connections: 100,
            hostile_pause: Duration::from_secs(1),
            oversize: 2 << 20,
            server_pid: None,
            trust: Trust::PublicRoots,
        }
    }
}

/// The counters every connection adds to.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections whose WebSocket handshake succeeded.
    pub connected: AtomicU64,
    /// Connections that could not connect.
    pub connect_failed: AtomicU64,
    /// Connections that went through every step.
    pub completed: AtomicU64,
    /// Connections that connected and then failed.
    pub failed: AtomicU64,
    /// Answers (success or error) to the requests sent.
    pub responses: AtomicU64,
    /// Data-change events.
    pub events: AtomicU64,
    /// Every answered request's latency, merged per connection when it ends.
    latencies: Mutex<Vec<Duration>>,
    /// The latencies of the requests sent after the hold (write, unsubscribe).
    steady: Mutex<Vec<Duration>>,
    /// The first connect error and the first failure after connecting.
    first_connect_error: Mutex<Option<String>>,
    first_failure: Mutex<Option<String>>,
}

impl Stats {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn keep_first(slot: &Mutex<Option<String>>, what: String) {
        if let Ok(mut slot) = slot.lock() {
            slot.get_or_insert(what);
        }
    }

    fn progress_line(&self, elapsed: Duration, connections: usize) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "loadgen: {:>4}s connected {}/{connections} completed {} failed {} \
             connect-failed {} responses {} events {}",
            elapsed.as_secs(),
            get(&self.connected),
            get(&self.completed),
            get(&self.failed),
            get(&self.connect_failed),
            get(&self.responses),
            get(&self.events),
        )
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub connections: u64,
    /// Connections that connected at all.
    pub connected: u64,
    pub completed: u64,
    pub responses_expected: u64,
    pub responses_received: u64,
    pub events: u64,
    /// Median and 99th percentile request latency in ms; `None` with no latencies.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The same over the requests sent after the hold (write and unsubscribe, while the
    /// other connections' events flow), apart from the setup's (hello, lookup, subscribe,
    /// while connections are still being made).
    pub steady_p50_ms: Option<f64>,
    pub steady_p99_ms: Option<f64>,
    /// The first connect error, if any connection could not connect.
    pub connect_error: Option<String>,
    /// The first failure of a connection after it connected.
    pub failure: Option<String>,
    /// The hostile clients' kind and counts (see [`hostile::Counts`]), when there were any.
    pub hostile: Option<HostileReport>,
    /// The server's peak RSS (VmHWM) in KiB, with `--server-pid`.
    pub server_peak_rss_kb: Option<u64>,
}

/// What the hostile clients did.
#[derive(Debug, Clone, PartialEq)]
pub struct HostileReport {
    pub kind: &'static str,
    pub connections: u64,
    pub attempts: u64,
    pub closed: u64,
    pub answered: u64,
}

impl Report {
    /// True when every connection completed and every response came.
    pub fn ok(&self) -> bool {
        self.completed == self.connections && self.responses_received == self.responses_expected
    }

    /// The one-line JSON object (latencies in ms, two decimals, `null` when none).
    pub fn json(&self) -> String {
        let ms = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v:.2}"));
        let mut extra = String::new();
        if let Some(h) = &self.hostile {
            extra += &format!(
                ", \"hostile\": \"{}\", \"hostile_connections\": {}, \"hostile_attempts\": {}, \
                 \"hostile_closed\": {}, \"hostile_answered\": {}",
                h.kind, h.connections, h.attempts, h.closed, h.answered
            );
        }
        if let Some(kb) = self.server_peak_rss_kb {
            extra += &format!(", \"server_peak_rss_kb\": {kb}");
        }
        format!(
            "{{\"connections\": {}, \"completed\": {}, \"responses_expected\": {}, \
             \"responses_received\": {}, \"events\": {}, \"p50_ms\": {}, \"p99_ms\": {}{extra}}}",
            self.connections,
            self.completed,
            self.responses_expected,
            self.responses_received,
            self.events,
            ms(self.p50_ms),
            ms(self.p99_ms),
        )
    }
}

/// The nearest-rank percentile `p` (0..=100) of sorted latencies, in ms.
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).map(|d| d.as_secs_f64() * 1e3)
}

/// Runs the load: one task per connection, on the current tokio runtime (use a
/// multi-thread one); hostile clients on a runtime of their own, in a thread.
pub async fn run(config: Config) -> Report {
    run_with(config, Arc::default()).await
}

/// [`run`], counting into `stats` (which a caller can watch while it runs, as a progress
/// bar does).
pub async fn run_with(config: Config, stats: Arc<Stats>) -> Report {
    let config = Arc::new(config);
    let tls = config.url.starts_with("wss://").then(|| {
        config
            .trust
            .client_config()
            .map(tokio_rustls::TlsConnector::from)
            .map_err(|e| e.to_string())
    });
    let ramp = Arc::new(Semaphore::new(config.ramp.max(1)));
    let start = Instant::now();

    let progress = config.progress.then(|| {
        let stats = stats.clone();
        let n = config.connections;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                eprintln!("{}", stats.progress_line(start.elapsed(), n));
            }
        })
    });

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counts = Arc::new(hostile::Counts::default());
    // The hostile clients on a runtime of their own: their work (an oversize client's
    // writes, say) then waits for the cores, as the server's does, not in the normal
    // clients' task queue, where it would measure as the server's latency.
    let hostiles = config.hostile.map(|kind| {
        let (config, counts, done) = (config.clone(), counts.clone(), done.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .thread_name("hostile")
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let clients: Vec<_> = (0..config.hostile_connections)
                    .map(|n| {
                        let (config, counts, done) = (config.clone(), counts.clone(), done.clone());
                        tokio::spawn(async move {
                            hostile::client(kind, n, &config, &counts, &done).await
                        })
                    })
                    .collect();
                for client in clients {
                    let _ = client.await;
                }
            });
            Ok::<(), std::io::Error>(())
        })
    });
    let tasks: Vec<_> = (0..config.connections)
        .map(|_| {
            let (config, stats, ramp) = (config.clone(), stats.clone(), ramp.clone());
            let tls = tls.clone();
            tokio::spawn(async move { connection(&config, tls, &stats, &ramp).await })
        })
        .collect();
    for task in tasks {
        if let Err(e) = task.await {
            // A panic in a connection task: count it as a failure.
            Stats::count(&stats.failed);
            Stats::keep_first(&stats.first_failure, format!("task: {e}"));
        }
    }
    done.store(true, Ordering::Relaxed);
    if let Some(hostiles) = hostiles {
        match tokio::task::spawn_blocking(move || hostiles.join()).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("loadgen: no runtime for the hostile clients: {e}"),
            _ => eprintln!("loadgen: the hostile clients' thread failed"),
        }
    }
    if let Some(progress) = progress {
        progress.abort();
        eprintln!(
            "{}",
            stats.progress_line(start.elapsed(), config.connections)
        );
    }

    let mut latencies = stats
        .latencies
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default();
    latencies.sort_unstable();
    let mut steady = stats
        .steady
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default();
    steady.sort_unstable();
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let take = |slot: &Mutex<Option<String>>| slot.lock().ok().and_then(|mut s| s.take());
    Report {
        connections: config.connections as u64,
        connected: get(&stats.connected),
        completed: get(&stats.completed),
        responses_expected: REQUESTS * config.connections as u64,
        responses_received: get(&stats.responses),
        events: get(&stats.events),
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        steady_p50_ms: percentile(&steady, 50.0),
        steady_p99_ms: percentile(&steady, 99.0),
        connect_error: take(&stats.first_connect_error),
        failure: take(&stats.first_failure),
        hostile: config.hostile.map(|kind| HostileReport {
            kind: kind.name(),
            connections: config.hostile_connections as u64,
            attempts: get(&counts.attempts),
            closed: get(&counts.closed),
            answered: get(&counts.answered),
        }),
        server_peak_rss_kb: config.server_pid.and_then(peak_rss_kb),
    }
}

/// VmHWM of process `pid` in KiB, from `/proc/PID/status` (Linux).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A TCP or TLS stream.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Io for S {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// The TLS connector for `wss://` (or why there is none); `None` for `ws://`.
type Tls = Option<Result<tokio_rustls::TlsConnector, String>>;

/// TCP (no Nagle), TLS for `wss://`, the WebSocket handshake.
async fn open(url: &str, tls: Tls) -> Result<Ws, String> {
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let host = request.uri().host().ok_or("no host in the URL")?.to_owned();
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if tls.is_some() { 443 } else { 80 });
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let stream: Box<dyn Io> = match tls {
        None => Box::new(tcp),
        Some(connector) => {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| format!("{host}: {e}"))?;
            let tls = connector?.connect(name, tcp).await;
            Box::new(tls.map_err(|e| format!("TLS: {e}"))?)
        }
    };
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(e) => Err(e.to_string()),
    }
}

/// One connection from connect to close; the outcome goes into `stats`.
async fn connection(config: &Config, tls: Tls, stats: &Stats, ramp: &Semaphore) {
    let ws = {
        let _permit = ramp.acquire().await;
        match timeout(config.patience, open(&config.url, tls)).await {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => return connect_failed(stats, e),
            Err(_) => return connect_failed(stats, "handshake timed out".to_owned()),
        }
    };
    Stats::count(&stats.connected);
    let mut conn = Connection {
        ws,
        session: ClientSession::default(),
        sent: Vec::new(),
        latencies: Vec::new(),
        steady: Vec::new(),
        holding_done: false,
        stats,
        patience: config.patience,
    };
    let result = conn.walk(config.hold).await;
    if let Ok(mut all) = stats.latencies.lock() {
        all.extend_from_slice(&conn.latencies);
    }
    if let Ok(mut all) = stats.steady.lock() {
        all.extend_from_slice(&conn.steady);
    }
    match result {
        Ok(()) => Stats::count(&stats.completed),
        Err(e) => {
            Stats::count(&stats.failed);
            Stats::keep_first(&stats.first_failure, e.to_string());
        }
    }
}

fn connect_failed(stats: &Stats, error: String) {
    Stats::count(&stats.connect_failed);
    Stats::keep_first(&stats.first_connect_error, error);
}

/// A connected WebSocket and its client session.
struct Connection<'s> {
    ws: Ws,
    session: ClientSession<8>,
    /// Requests in flight and when their message was sent.
    sent: Vec<(MessageId, Instant)>,
    latencies: Vec<Duration>,
    /// The latencies of the requests sent after the hold.
    steady: Vec<Duration>,
    /// True once the hold is over.
    holding_done: bool,
    stats: &'s Stats,
    patience: Duration,
}

type Fallible<T> = Result<T, Box<dyn Error + Send + Sync>>;

impl Connection<'_> {
    /// The steps after connecting.
    async fn walk(&mut self, hold: Duration) -> Fallible<()> {
        let hello = Command::ClientHello(VersionRange::V1.into());
        let lookup = Lookup {
            primary_key: Text::new(ELEMENT),
        };
        let ids = self.send(&[hello, lookup.into()]).await?;
        let element = self.answers(&ids).await?[1].ok_or("lookup gave no UUID")?;

        let attributes = [AttributeId::from(Attribute::Value)];
        let entries = [SubscriptionEntry::new(element, &attributes)];
        let subscribe = Subscribe::new(&entries).with_rates(Some(1000), Some(1000));
        let ids = self.send(&[subscribe.into()]).await?;
        let subscription = self.answers(&ids).await?[0].ok_or("subscribe gave no UUID")?;

        // Hold: only events may come.
        let end = Instant::now() + hold;
        while let Ok(message) = timeout_at(end, self.ws.next()).await {
            self.take(message)?;
        }
        self.holding_done = true;

        let write = Write {
            element,
            attribute: Attribute::Value.into(),
            value: Value::Float(42.5),
            sub_session_id: None,
        };
        let ids = self.send(&[write.into()]).await?;
        self.answers(&ids).await?;

        let unsubscribe = Unsubscribe {
            subscription_id: subscription,
        };
        let ids = self.send(&[unsubscribe.into()]).await?;
        self.answers(&ids).await?;

        self.close().await
    }

    /// Sends `commands` as one message; their ids.
    async fn send(&mut self, commands: &[Command<'_>]) -> Fallible<Vec<MessageId>> {
        let mut buf = [0u8; 512];
        let mut batch = self.session.start_batch(&mut buf);
        let mut ids = Vec::with_capacity(commands.len());
        for command in commands {
            ids.push(batch.request(command.clone()).map_err(|e| e.to_string())?);
        }
        let message = batch.finish().map_err(|e| e.to_string())?.to_vec();
        self.ws.send(Message::binary(message)).await?;
        let now = Instant::now();
        self.sent.extend(ids.iter().map(|&id| (id, now)));
        Ok(ids)
    }

    /// Waits until each of `ids` is answered (within the patience); the UUID each answer
    /// carried (lookup's and subscribe's), in the order of `ids`.
    async fn answers(&mut self, ids: &[MessageId]) -> Fallible<Vec<Option<Uuid>>> {
        let deadline = Instant::now() + self.patience;
        let mut answers: Vec<Option<Option<Uuid>>> = vec![None; ids.len()];
        while answers.iter().any(Option::is_none) {
            let Ok(message) = timeout_at(deadline, self.ws.next()).await else {
                let missing = ids.iter().zip(&answers).filter(|(_, a)| a.is_none());
                let missing: Vec<_> = missing.map(|(id, _)| id.to_string()).collect();
                return Err(format!(
                    "no response to id {} within {:?}",
                    missing.join(", "),
                    self.patience
                )
                .into());
            };
            for (id, uuid) in self.take(message)? {
                match ids.iter().position(|&i| i == id) {
                    Some(i) => answers[i] = Some(uuid),
                    None => return Err(format!("response to id {id}, not awaited").into()),
                }
            }
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// Handles one read from the WebSocket: counts events and latencies; the successes it
    /// held (id and UUID item). Anything but a success or an event fails the connection.
    fn take(
        &mut self,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Fallible<Vec<(MessageId, Option<Uuid>)>> {
        let message = match message {
            None => return Err("the server closed the connection".into()),
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(Message::Binary(message))) => message,
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("the server closed the WebSocket: {frame:?}").into());
            }
            Some(Ok(Message::Text(_))) => return Err("a text message from the server".into()),
            Some(Ok(_)) => return Ok(Vec::new()), // ping, pong
        };
        let stats = self.stats;
        let mut answered = |id: MessageId| {
            let i = self.sent.iter().position(|(i, _)| *i == id)?;
            let (_, at) = self.sent.swap_remove(i);
            let latency = at.elapsed();
            self.latencies.push(latency);
            if self.holding_done {
                self.steady.push(latency);
            }
            Stats::count(&stats.responses);
            Some(())
        };
        let mut successes = Vec::new();
        let batch =
            Batch::new(&message).map_err(|e| format!("a message that is not a batch: {e}"))?;
        for outcome in self.session.handle_message(&batch) {
            match outcome {
                Outcome::Event(_) => Stats::count(&stats.events),
                Outcome::Success { id, response } => {
                    answered(id).ok_or_else(|| format!("a success for id {id}, not sent"))?;
                    successes.push((id, response.uuid()));
                }
                Outcome::Error { id, opcode, error } => {
                    answered(id);
                    let (code, text) = (error.code.code(), error.text());
                    return Err(format!("{opcode} (id {id}) failed: {code} {text}").into());
                }
                Outcome::Unexpected { id, reason } => {
                    return Err(format!("unexpected packet (id {id}): {reason}").into());
                }
                Outcome::Invalid(e) => {
                    if let Some(id) = e.id() {
                        answered(id);
                    }
                    return Err(format!("invalid packet: {e}").into());
                }
                Outcome::Lost { id, opcode, cause } => {
                    return Err(format!("{opcode} (id {id}) {cause}").into());
                }
            }
        }
        Ok(successes)
    }

    /// Sends a close frame and waits for the server's.
    async fn close(&mut self) -> Fallible<()> {
        self.ws.close(None).await?;
        let deadline = Instant::now() + self.patience;
        loop {
            match timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Err("no close frame from the server in time".into()),
                // The server's close frame, or the end right after it.
                Ok(Some(Ok(Message::Close(_))) | None) => return Ok(()),
                Ok(message @ Some(Ok(Message::Binary(_)))) => {
                    self.take(message)?;
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(format!("while closing: {e}").into()),
            }
        }
    }
}

/// The hostile clients (`--hostile KIND`), beside the normal walk: each of
/// `--hostile-connections` tasks misbehaves the one way, again and again, until the normal
/// connections are done.
pub mod hostile {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    use futures_util::{FutureExt, SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::time::timeout;
    use tokio_tungstenite::tungstenite::Message;
    use xentara_ws::{Batch, Packet};

    /// How a hostile client misbehaves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// The WebSocket upgrade request, a byte a second.
        Slowloris,
        /// After the hello, a message above the server's limit (`--oversize` bytes): its
        /// frame's header, then its payload as long as the server reads it.
        Oversize,
        /// After the hello, binary frames of random bytes, then a lookup that must be
        /// answered.
        Garbage,
        /// Subscribes to the data point at the fastest rate, never reads.
        Stall,
        /// Connect, hello, drop without a close; again.
        Churn,
    }

    impl Kind {
        /// Parses the `--hostile` value.
        pub fn parse(name: &str) -> Result<Kind, String> {
            Ok(match name {
                "slowloris" => Kind::Slowloris,
                "oversize" => Kind::Oversize,
                "garbage" => Kind::Garbage,
                "stall" => Kind::Stall,
                "churn" => Kind::Churn,
                other => {
                    return Err(format!(
                        "--hostile: unknown kind {other:?} \
                         (slowloris, oversize, garbage, stall, churn)"
                    ));
                }
            })
        }

        /// The name on the command line and in the JSON line.
        pub fn name(self) -> &'static str {
            match self {
                Kind::Slowloris => "slowloris",
                Kind::Oversize => "oversize",
                Kind::Garbage => "garbage",
                Kind::Stall => "stall",
                Kind::Churn => "churn",
            }
        }
    }

    /// What the hostile clients saw.
    #[derive(Debug, Default)]
    pub struct Counts {
        /// Connections tried.
        pub attempts: AtomicU64,
        /// Slowloris and oversize: closed by the server (as they should be); churn: the
        /// hello answered; garbage: closed by the server (which it should not be).
        pub closed: AtomicU64,
        /// Garbage followed by a lookup that was answered.
        pub answered: AtomicU64,
    }

    /// `[[0, 1, 14, {0: 1, 1: 1}]]`: the hello.
    const HELLO: [u8; 10] = [0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01];
    /// `[[0, 23130, 3, {0: "Group 1.Data Point 1"}]]`: a lookup, id 0x5a5a.
    const LOOKUP_ID: i64 = 0x5a5a;

    fn lookup() -> Vec<u8> {
        let mut m = vec![0x81, 0x84, 0x00, 0x19, 0x5a, 0x5a, 0x03, 0xa1, 0x00, 0x74];
        m.extend(super::ELEMENT.as_bytes());
        m
    }

    /// The hello and a subscribe to the value of "Group 1.Data Point 1" (the demo's UUID),
    /// no throttle: every change, as it comes.
    fn subscribe() -> Vec<u8> {
        use xentara_ws::params::{Subscribe, SubscriptionEntry};
        use xentara_ws::session::{ClientSession, VersionRange};
        use xentara_ws::{Attribute, AttributeId, Command, Uuid};
        let element = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
        let attributes = [AttributeId::from(Attribute::Value)];
        let entries = [SubscriptionEntry::new(element, &attributes)];
        let mut session = ClientSession::<2>::default();
        let mut buf = [0u8; 256];
        let mut batch = session.start_batch(&mut buf);
        let hello = Command::ClientHello(VersionRange::V1.into());
        let subscribe = Subscribe::new(&entries).with_rates(Some(0), None);
        let sent = batch
            .request(hello)
            .and_then(|_| batch.request(Command::from(subscribe)));
        sent.expect("two requests fit 256 bytes");
        batch.finish().expect("two requests fit 256 bytes").to_vec()
    }

    /// Runs hostile client `n` (its garbage seeded by `n`) until `done`.
    pub async fn client(
        kind: Kind,
        n: usize,
        config: &super::Config,
        counts: &Counts,
        done: &AtomicBool,
    ) {
        let (url, oversize) = (config.url.as_str(), config.oversize);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ (n as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
        while !done.load(Ordering::Relaxed) {
            counts.attempts.fetch_add(1, Ordering::Relaxed);
            let closed = match kind {
                Kind::Slowloris => slowloris(url, done).await,
                Kind::Oversize => oversized(url, oversize).await,
                Kind::Garbage => garbage(url, &mut seed, counts).await,
                Kind::Stall => stall(url, done).await,
                Kind::Churn => churn(url).await,
            };
            if closed {
                counts.closed.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(config.hostile_pause).await;
        }
    }

    type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

    /// Connects and says hello (answer read).
    async fn hello(url: &str) -> Option<Ws> {
        let connect = tokio_tungstenite::connect_async(url);
        let (mut ws, _) = timeout(Duration::from_secs(30), connect).await.ok()?.ok()?;
        ws.send(Message::binary(HELLO.to_vec())).await.ok()?;
        timeout(Duration::from_secs(30), ws.next())
            .await
            .ok()??
            .ok()?;
        Some(ws)
    }

    /// True when the server ends the WebSocket (a close frame or the end) within 30 s.
    async fn ends(ws: &mut Ws) -> bool {
        loop {
            match timeout(Duration::from_secs(30), ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    async fn slowloris(url: &str, done: &AtomicBool) -> bool {
        let Some(rest) = url.strip_prefix("ws://") else {
            return false;
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(mut tcp) = TcpStream::connect(host).await else {
            return false;
        };
        let request = format!(
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut byte = [0u8; 1];
        for b in request.bytes() {
            if done.load(Ordering::Relaxed) || tcp.write_all(&[b]).await.is_err() {
                return false;
            }
            // The server's end (0 bytes, an error, an answer) within the second.
            if let Ok(read) = timeout(Duration::from_secs(1), tcp.read(&mut byte)).await {
                return matches!(read, Ok(0) | Err(_));
            }
        }
        false
    }

    /// One binary frame announcing `size` bytes, its payload written in pieces of a shared
    /// buffer (masked with key 0, so the bytes go as they are) until the server's refusal
    /// comes: on the wire, what a client sending a `size`-byte message sends until it is
    /// told no, without a `size`-byte buffer to fill and mask per attempt (which cost the
    /// load generator's own clients more than the server). Past the refusal the bytes
    /// would only fill the kernel's socket buffers on the shared cores, which no server
    /// limit can prevent.
    async fn oversized(url: &str, size: usize) -> bool {
        static PIECE: [u8; 16 << 10] = [0x80; 16 << 10];
        let Some(mut ws) = hello(url).await else {
            return false;
        };
        let mut header = vec![0x82, 0x80 | 127];
        header.extend((size as u64).to_be_bytes());
        header.extend([0; 4]);
        if ws.get_mut().write_all(&header).await.is_err() {
            return true;
        }
        let mut left = size;
        while left > 0 {
            let n = left.min(PIECE.len());
            match timeout(Duration::from_secs(30), ws.get_mut().write_all(&PIECE[..n])).await {
                Ok(Ok(())) => left -= n,
                Ok(Err(_)) => return true,
                Err(_) => return false,
            }
            // The server's close (or the end) already here: refused.
            if let Some(said) = ws.next().now_or_never() {
                return matches!(said, None | Some(Err(_)) | Some(Ok(Message::Close(_))))
                    || ends(&mut ws).await;
            }
        }
        let _ = ws.get_mut().flush().await;
        ends(&mut ws).await
    }

    async fn garbage(url: &str, seed: &mut u64, counts: &Counts) -> bool {
        let Some(mut ws) = hello(url).await else {
            return false;
        };
        let mut random = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        for _ in 0..4 {
            let len = 1 + (random() % 256) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| random() as u8).collect();
            if ws.send(Message::binary(bytes)).await.is_err() {
                return true;
            }
        }
        if ws.send(Message::binary(lookup())).await.is_err() {
            return true;
        }
        loop {
            match timeout(Duration::from_secs(30), ws.next()).await {
                Ok(Some(Ok(Message::Binary(reply)))) => {
                    let answered = Batch::new(&reply).is_ok_and(|b| {
                        b.iter()
                            .any(|p| matches!(p, Ok(Packet::Success(s)) if s.id == LOOKUP_ID))
                    });
                    if answered {
                        counts.answered.fetch_add(1, Ordering::Relaxed);
                        let _ = ws.close(None).await;
                        return false;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Err(_) => return false,
                Ok(None | Some(Err(_))) => return true,
            }
        }
    }

    async fn stall(url: &str, done: &AtomicBool) -> bool {
        let connect = tokio_tungstenite::connect_async(url);
        let Ok(Ok((mut ws, _))) = timeout(Duration::from_secs(30), connect).await else {
            return false;
        };
        if ws.send(Message::binary(subscribe())).await.is_err() {
            return true;
        }
        // Never read: the server's events pile up in its socket until done.
        while !done.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }

    async fn churn(url: &str) -> bool {
        // Dropped without a close frame.
        hello(url).await.is_some()
    }
}
