//! One WebSocket connection to the server under test (blocking tungstenite over TCP, or
//! rustls for `wss://`), with every message it sends and receives written to the case's
//! log.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};
use tungstenite::{HandshakeError, Message, WebSocket};

use super::demo::options::Options;
use super::demo::text::to_hex;
use super::target::{Target, refusal};
use super::wire::{self, Reply, diag};

/// How long a case waits for an answer (and to connect).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One message in a case's log.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Milliseconds since the case began.
    pub at_ms: u64,
    /// `sent`, `received` or `closed`.
    pub dir: &'static str,
    /// The message as hex (empty for `closed`).
    pub hex: String,
    /// The message in diagnostic notation (or why the connection ended).
    pub diag: String,
}

/// The log of the case being run, shared by its connections.
#[derive(Debug, Clone)]
pub struct Log {
    start: Instant,
    entries: Rc<RefCell<Vec<Exchange>>>,
}

impl Log {
    /// A log starting now.
    pub fn new() -> Self {
        Log {
            start: Instant::now(),
            entries: Rc::default(),
        }
    }

    fn push(&self, dir: &'static str, bytes: &[u8], text: String) {
        self.entries.borrow_mut().push(Exchange {
            at_ms: self.start.elapsed().as_millis() as u64,
            dir,
            hex: to_hex(bytes),
            diag: text,
        });
    }

    /// What was exchanged so far.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut self.entries.borrow_mut())
    }
}

/// TCP, or TLS over TCP.
enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}

/// A received message: when it came, and its packets as the crate decoded them.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Its packets, or why the message does not decode.
    pub packets: Result<Vec<Reply>, String>,
}

/// A connection to the server under test.
pub struct Conn {
    ws: WebSocket<Transport>,
    /// The socket under `ws`, to set read timeouts on.
    tcp: TcpStream,
    log: Log,
    /// Events received while waiting for responses, with their arrival.
    pub events: Vec<(Instant, Reply)>,
    /// Messages that held both responses and events (spec 2.5 forbids it).
    pub mixed: usize,
}

impl Conn {
    /// Connects to `url`: TCP, TLS for `wss://`, the WebSocket upgrade. Each way of
    /// failing is one line of text, as the example client gives it.
    pub fn open(url: &str, options: &Options, log: &Log) -> Result<Self, String> {
        let target = Target::parse(url, options)?;
        let (host, port) = (target.host.as_str(), target.port);
        let cannot = |e: &dyn std::fmt::Display| format!("cannot connect to {host}:{port}: {e}");
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| cannot(&e))?
            .next()
            .ok_or_else(|| cannot(&"no address"))?;
        let tcp = TcpStream::connect_timeout(&addr, PATIENCE).map_err(|e| cannot(&e))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(PATIENCE))
            .and_then(|()| tcp.set_write_timeout(Some(PATIENCE)))
            .map_err(|e| e.to_string())?;
        let socket = tcp.try_clone().map_err(|e| e.to_string())?;
        let transport = if target.tls {
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|e| format!("{host}: {e}"))?;
            let config: Arc<rustls::ClientConfig> =
                options.trust.client_config().map_err(|e| e.to_string())?;
            let connection = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
            let mut stream = StreamOwned::new(connection, socket);
            while stream.conn.is_handshaking() {
                stream
                    .conn
                    .complete_io(&mut stream.sock)
                    .map_err(|e| tls_error(&e, options))?;
            }
            Transport::Tls(Box::new(stream))
        } else {
            Transport::Plain(socket)
        };
        let path = target.request.uri().path().to_owned();
        let ws = match tungstenite::client(target.request, transport) {
            Ok((ws, _)) => ws,
            Err(HandshakeError::Failure(e)) => return Err(refusal(e, &path, target.authorized)),
            Err(HandshakeError::Interrupted(_)) => {
                return Err(format!("no WebSocket upgrade in {} s", PATIENCE.as_secs()));
            }
        };
        Ok(Conn {
            ws,
            tcp,
            log: log.clone(),
            events: Vec::new(),
            mixed: 0,
        })
    }

    /// Sends one message.
    pub fn send(&mut self, message: &[u8]) -> Result<(), String> {
        self.log.push("sent", message, diag(message));
        self.ws
            .send(Message::binary(message.to_vec()))
            .map_err(|e| format!("sending failed: {e}"))
    }

    /// The next message, waiting `wait` at most (`None` when none came).
    pub fn receive(&mut self, wait: Duration) -> Result<Option<Received>, String> {
        let end = Instant::now() + wait;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.tcp
                .set_read_timeout(Some(left))
                .map_err(|e| e.to_string())?;
            let message = match self.ws.read() {
                Ok(message) => message,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => {
                    let why = format!("the connection ended: {e}");
                    self.log.push("closed", &[], why.clone());
                    return Err(why);
                }
            };
            match message {
                Message::Binary(bytes) => {
                    self.log.push("received", &bytes, diag(&bytes));
                    let packets = wire::packets(&bytes);
                    if let Ok(packets) = &packets {
                        let events = packets.iter().filter(|p| p.is_event()).count();
                        if events > 0 && events < packets.len() {
                            self.mixed += 1;
                        }
                    }
                    return Ok(Some(Received {
                        at: Instant::now(),
                        packets,
                    }));
                }
                Message::Close(frame) => {
                    let why = match frame {
                        Some(f) => format!("the server closed the connection ({})", f.code),
                        None => "the server closed the connection".to_owned(),
                    };
                    self.log.push("closed", &[], why.clone());
                    return Err(why);
                }
                Message::Text(text) => {
                    self.log
                        .push("received", text.as_bytes(), "a text frame".into());
                    return Err("the server sent a text frame (the API is binary)".into());
                }
                _ => {}
            }
        }
    }

    /// Sends `message` and waits until each of `ids` is answered: the responses in the
    /// order they came, those to other ids included. Events go to [`Conn::events`]; a
    /// message that does not decode fails the call.
    pub fn call(&mut self, message: &[u8], ids: &[i64]) -> Result<Vec<Reply>, String> {
        self.send(message)?;
        self.collect(ids)
    }

    /// Waits until each of `ids` is answered; see [`Conn::call`].
    pub fn collect(&mut self, ids: &[i64]) -> Result<Vec<Reply>, String> {
        let end = Instant::now() + PATIENCE;
        let mut responses = Vec::new();
        while ids
            .iter()
            .any(|id| !responses.iter().any(|r: &Reply| r.id() == Some(*id)))
        {
            let wait = end.saturating_duration_since(Instant::now());
            let Some(received) = self.receive(wait)? else {
                return Err(format!("no answer in {} s", PATIENCE.as_secs()));
            };
            let packets = received
                .packets
                .map_err(|e| format!("the server's message does not decode: {e}"))?;
            for packet in packets {
                match packet {
                    Reply::Event { .. } => self.events.push((received.at, packet)),
                    other => responses.push(other),
                }
            }
        }
        Ok(responses)
    }

    /// The answer to request `id` alone in a message: sends it, waits for it.
    pub fn ask(&mut self, id: i64, opcode: u64, params: Option<wire::C>) -> Result<Reply, String> {
        let responses = self.call(
            &wire::message(vec![wire::request(id, opcode, params)]),
            &[id],
        )?;
        Ok(responses
            .into_iter()
            .find(|r| r.id() == Some(id))
            .expect("collect waits for it"))
    }

    /// Says hello (id 1, version 1); fails unless it succeeds.
    pub fn hello(&mut self) -> Result<(), String> {
        match self.call(&wire::message(vec![wire::hello(1)]), &[1])?.pop() {
            Some(Reply::Success { .. }) => Ok(()),
            Some(other) => Err(format!("client_hello: {}", other.brief())),
            None => Err("client_hello: no answer".into()),
        }
    }

    /// Waits `wait`, keeping events; the responses that came meanwhile.
    pub fn linger(&mut self, wait: Duration) -> Result<Vec<Reply>, String> {
        let end = Instant::now() + wait;
        let mut responses = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let Some(received) = self.receive(left)? else {
                return Ok(responses);
            };
            for packet in received.packets? {
                match packet {
                    Reply::Event { .. } => self.events.push((received.at, packet)),
                    other => responses.push(other),
                }
            }
        }
    }
}

/// The one-line text of a failed TLS handshake (rustls' error inside the `io::Error`).
fn tls_error(e: &io::Error, options: &Options) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(tls) => options.tls_error(tls),
        None => format!("TLS: {e}"),
    }
}
