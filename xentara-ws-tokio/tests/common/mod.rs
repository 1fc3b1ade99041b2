//! What the tests share: a small application, a server of it on 127.0.0.1, and a TCP
//! proxy that counts the client's WebSocket messages and can cut the connection.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem};
use xentara_ws::params::Credentials;
use xentara_ws::session::{AppRequest, Application, Due, Events, IdKind, Replied, Reply};
use xentara_ws::{
    Access, AttrResult, Attribute, AttributeId, Command, DataChange, DataType, ElementCategory,
    ErrorCode, ErrorObject, MessageId, Response, Seq, ServerInfo, Stage, Text, TimePoint, Value,
};
use xentara_ws_tokio::{Answers, Deferred, Limits, Peer, Server, Service, Uuid};

/// The data point's element.
pub const POINT: Uuid = Uuid::from_u128(0x11);
/// Its primary key.
pub const POINT_KEY: &str = "Group 1.Data Point 1";
/// A key whose lookup is never answered.
pub const NEVER: &str = "never";
/// A key whose lookup makes the application panic.
pub const PANIC: &str = "panic";
/// A key whose lookup is answered 50 ms later, from another task.
pub const LATER: &str = "later";
/// The sub-session password of user `admin`.
pub const PASSWORD: &str = "secret";

/// What every connection's application shares.
#[derive(Debug, Default)]
pub struct Model {
    /// The data point's value.
    pub value: Mutex<f64>,
    /// The message ids of every request the application saw.
    pub ids: Mutex<Vec<MessageId>>,
    /// Fresh ids made.
    pub fresh: AtomicUsize,
}

/// A test application over the shared model: lookup, read, write (the value; `Quality`
/// is read only), get_stage; a lookup of [`NEVER`] is never answered.
pub struct TestApp {
    pub model: Arc<Model>,
    /// The connection's handle for answers given later.
    pub answers: Option<Answers>,
}

impl Application for TestApp {
    type Identity = String;
    type Subscription = Uuid;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<String, ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == "admin" && p.password == PASSWORD => {
                Ok("admin".to_owned())
            }
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(0x1000 + self.model.fresh.fetch_add(1, Ordering::Relaxed) as u128)
    }

    fn handle(&mut self, request: AppRequest<'_, String>, reply: Reply<'_, Uuid>) -> Replied {
        self.model.ids.lock().unwrap().push(request.id);
        match request.command {
            Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
            Command::Lookup(p) if p.primary_key == NEVER => reply.later(),
            Command::Lookup(p) if p.primary_key == PANIC => panic!("the application failed"),
            Command::Lookup(p) if p.primary_key == LATER => {
                let (ticket, answers) = (reply.ticket(), self.answers.clone().unwrap());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    answers.answer(ticket, Deferred::Lookup(POINT));
                });
                reply.later()
            }
            Command::Lookup(p) if p.primary_key == POINT_KEY => reply.ok(Response::Lookup(POINT)),
            Command::Lookup(_) => reply.error_message(ErrorCode::UnknownElement, "no such element"),
            Command::Read(r) if r.element == POINT => {
                let value = *self.model.value.lock().unwrap();
                let mut out = Vec::new();
                for attribute in &r.attributes {
                    let Ok(attribute) = attribute else {
                        return reply.error(ErrorCode::InvalidParameter);
                    };
                    out.push((attribute, result(attribute, value)));
                }
                reply.ok(Response::Read(Seq::from_slice(&out)))
            }
            Command::Write(w) if w.element == POINT => match (w.attribute.standard(), w.value) {
                (Some(Attribute::Value), Value::Float(x)) => {
                    *self.model.value.lock().unwrap() = x;
                    reply.ok(Response::Write(()))
                }
                (Some(Attribute::Value), _) => reply.error(ErrorCode::TypeMismatch),
                _ => reply.error(ErrorCode::ReadOnly),
            },
            Command::Subscribe(_) => reply.accept(POINT),
            Command::ServerInformation(_) => {
                let info = [(ServerInfo::Version, Value::from("test 1.0"))];
                reply.ok(Response::ServerInformation(Seq::from_slice(&info)))
            }
            Command::Browse(b) if b.element.is_nil() => {
                let entries = [BrowseEntry {
                    primary_key: Text::new(POINT_KEY),
                    element: POINT,
                    category: ElementCategory::DataPoint,
                }];
                reply.ok(Response::Browse(Seq::from_slice(&entries)))
            }
            Command::MetaData(m) if m.element == POINT => {
                let attributes = [AttributeInfo {
                    name: Text::new("Value"),
                    id: Attribute::Value.into(),
                    access: Access::ReadWrite,
                    data_type: DataType::Float64,
                }];
                reply.ok(Response::MetaData(MetaDataItem {
                    primary_key: Some(Text::new(POINT_KEY)),
                    category: Some(ElementCategory::DataPoint),
                    attributes: Some(Seq::from_slice(&attributes)),
                    has_children: Some(false),
                }))
            }
            // The stage commands need a sub-session.
            Command::Resume(_) | Command::Suspend(_) | Command::Shutdown(_)
                if request.sub_session.is_none() =>
            {
                reply.error(ErrorCode::AccessDenied)
            }
            Command::Resume(_) => reply.ok(Response::Resume(())),
            Command::Suspend(_) => reply.ok(Response::Suspend(())),
            Command::Shutdown(_) => reply.ok(Response::Shutdown(())),
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }
}

fn result(attribute: AttributeId, value: f64) -> AttrResult<'static> {
    match attribute.standard() {
        Some(Attribute::Value) => AttrResult::Value(Value::Float(value)),
        _ => AttrResult::Error(ErrorObject {
            code: ErrorCode::MissingAttribute,
            message: Some(Text::new("no such attribute")),
        }),
    }
}

impl Service for TestApp {
    fn events(&mut self, _: Due, element: &mut Uuid, events: &mut Events<'_, '_>) {
        let value = *self.model.value.lock().unwrap();
        let values = [(
            Attribute::Value.into(),
            AttrResult::Value(Value::Float(value)),
        )];
        let _ = events.push(DataChange {
            time: TimePoint::from_nanos(0),
            element: *element,
            values: Seq::from_slice(&values),
        });
    }

    fn covers(&self, element: &Uuid, changed: &Uuid) -> bool {
        element == changed
    }
}

/// A server of [`TestApp`] on 127.0.0.1; a Basic header, when sent, must be
/// `admin:admin`.
pub async fn server(limits: Limits) -> (Server, Arc<Model>) {
    let model = Arc::new(Model::default());
    let shared = model.clone();
    let factory = move |peer: &Peer| match &peer.credentials {
        Some((user, password)) if (user.as_str(), password.as_str()) != ("admin", "admin") => None,
        _ => Some(TestApp {
            model: shared.clone(),
            answers: Some(peer.answers()),
        }),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::builder(factory)
        .limits(limits)
        .serve(listener)
        .unwrap();
    (server, model)
}

/// A client of `server` with the default settings.
pub async fn client(server: &Server) -> xentara_ws_tokio::Client {
    xentara_ws_tokio::Client::builder(url(server.local_addr()))
        .connect()
        .await
        .unwrap()
}

/// `ws://` URL of a server at `addr`.
pub fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/api/ws")
}

/// A TCP proxy to one target: counts the client's WebSocket data frames and can cut
/// every connection it carries.
pub struct Proxy {
    pub addr: SocketAddr,
    frames: Arc<AtomicUsize>,
    cut: Arc<Notify>,
    is_cut: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let frames = Arc::new(AtomicUsize::new(0));
        let cut = Arc::new(Notify::new());
        let is_cut = Arc::new(AtomicBool::new(false));
        let frozen = Arc::new(AtomicBool::new(false));
        let (f, c, ic, fz) = (frames.clone(), cut.clone(), is_cut.clone(), frozen.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if ic.load(Ordering::SeqCst) {
                    continue;
                }
                let server = TcpStream::connect(target).await.unwrap();
                let (f, c, fz) = (f.clone(), c.clone(), fz.clone());
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        let mut counter = FrameCounter::default();
                        let mut buf = vec![0u8; 65536];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if fz.load(Ordering::SeqCst) {
                                continue;
                            }
                            f.fetch_add(counter.feed(&buf[..n]), Ordering::SeqCst);
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let down = async {
                        let mut buf = vec![0u8; 65536];
                        loop {
                            let n = match sr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if !fz.load(Ordering::SeqCst) && cw.write_all(&buf[..n]).await.is_err()
                            {
                                break;
                            }
                        }
                    };
                    // Cut: both sockets dropped at once, without a close frame.
                    tokio::select! {
                        _ = async { tokio::join!(up, down) } => {}
                        () = c.notified() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            frames,
            cut,
            is_cut,
            frozen,
        }
    }

    /// WebSocket data frames the clients sent (their messages: tungstenite sends each
    /// in one frame).
    pub fn frames(&self) -> usize {
        self.frames.load(Ordering::SeqCst)
    }

    /// Stops carrying bytes either way, the connections left open: a peer gone without
    /// a word (a cable pulled).
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Carries bytes again after [`Proxy::freeze`] (what came meanwhile is lost).
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.is_cut.store(true, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    /// Takes new connections again after [`Proxy::cut`]: the server is back.
    pub fn heal(&self) {
        self.is_cut.store(false, Ordering::SeqCst);
    }
}

/// Counts the WebSocket data frames (binary or text) in a client's byte stream, after
/// the HTTP upgrade request.
#[derive(Default)]
struct FrameCounter {
    pending: Vec<u8>,
    upgraded: bool,
}

impl FrameCounter {
    fn feed(&mut self, bytes: &[u8]) -> usize {
        self.pending.extend_from_slice(bytes);
        if !self.upgraded {
            let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                return 0;
            };
            self.pending.drain(..end + 4);
            self.upgraded = true;
        }
        let mut count = 0;
        loop {
            let p = &self.pending;
            if p.len() < 2 {
                break;
            }
            let opcode = p[0] & 0x0f;
            let masked = p[1] & 0x80 != 0;
            let (len, mut at) = match p[1] & 0x7f {
                126 if p.len() >= 4 => (u16::from_be_bytes([p[2], p[3]]) as usize, 4),
                127 if p.len() >= 10 => (
                    u64::from_be_bytes(p[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if masked {
                at += 4;
            }
            if p.len() < at + len {
                break;
            }
            if opcode == 1 || opcode == 2 {
                count += 1;
            }
            self.pending.drain(..at + len);
        }
        count
    }
}

/// Runs `f` within `secs` seconds, or fails the test: nothing may hang.
pub async fn within<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("took too long")
}
