//! Shared by the session tests: a test application, request builders, and replies read
//! back into comparable values.

use std::fmt;

use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;

use crate::vectors::E3EE;

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An application that answers from a tiny fixed model and records what it saw.
#[derive(Default)]
pub struct TestApp {
    /// (message id, opcode) of every command handed to the app.
    pub seen: Vec<(MessageId, Opcode)>,
    /// The sub-session of every command handed to the app.
    pub identities: Vec<Option<(Uuid, String)>>,
    /// Subscription ids of the subscribes handed to the app.
    pub subscriptions: Vec<Uuid>,
    /// Opcodes to answer later.
    pub defer: Vec<Opcode>,
    /// The tickets of deferred commands.
    pub deferred: Vec<Ticket>,
    /// The subscriptions unsubscribe ended, as the session handed them back.
    pub unsubscribed: Vec<Uuid>,
    pub ids_made: u128,
}

impl TestApp {
    /// The `n`th id [`Application::fresh_id`] makes (from 1).
    pub fn fresh(&self, n: u128) -> Uuid {
        Uuid::from_u128(0xf000 + n)
    }
}

/// What the test application keeps per subscription: how many entries it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched(pub usize);

impl Application for TestApp {
    type Identity = String;
    type Subscription = Watched;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<String, ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == p.password => Ok(p.username.to_string()),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        self.ids_made += 1;
        self.fresh(self.ids_made)
    }

    fn handle(&mut self, request: AppRequest<'_, String>, reply: Reply<'_, Watched>) -> Replied {
        let opcode = request.command.opcode();
        self.seen.push((request.id, opcode));
        match request.subscription {
            Some(subscription) => self.subscriptions.push(subscription.id),
            None => self
                .identities
                .push(request.sub_session.map(|s| (s.id, s.identity.clone()))),
        }
        if self.defer.contains(&opcode) {
            self.deferred.push(request.ticket);
            return reply.later();
        }
        // Sequences are read lazily: an element that does not decode is answered here.
        let command = request.command;
        if let Err(e) = command.check() {
            return reply.decode_error(&e);
        }
        match command {
            Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
            Command::Lookup(p) => match p.primary_key.as_str() {
                Some("Group 1.Data Point 1") => reply.ok(Response::Lookup(E3EE)),
                Some("wrong") => reply.ok(Response::GetStage(Stage::Operational)),
                _ => reply.error(ErrorCode::UnknownElement),
            },
            Command::ServerInformation(_) => {
                let long = "x".repeat(300);
                let info = [(ServerInfo::Version, Value::Text(Text::new(&long)))];
                reply.ok(Response::ServerInformation(Seq::from_slice(&info)))
            }
            Command::Read(_) => {
                let values = [(
                    AttributeId::Standard(Attribute::Value),
                    AttrResult::Value(Value::Time(TimePoint::Seconds(1_700_000_000))),
                )];
                reply.ok(Response::Read(Seq::from_slice(&values)))
            }
            Command::Write(_) => reply.ok(Response::Write(())),
            Command::Suspend(_) => reply.ok(Response::Suspend(())),
            Command::Shutdown(_) => reply.ok(Response::Shutdown(())),
            Command::Resume(_) => reply.ok(Response::Resume(())),
            Command::Subscribe(p) if p.maximum_update_rate == Some(13) => {
                reply.error(ErrorCode::MissingAttribute)
            }
            Command::Subscribe(p) => reply.accept(Watched(p.entries.len())),
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }

    fn unsubscribed(&mut self, id: Uuid, _: Watched) {
        self.unsubscribed.push(id);
    }
}

pub fn req(id: MessageId, command: impl Into<Command<'static>>) -> Packet<'static> {
    Packet::Request(Request {
        id,
        command: command.into(),
    })
}

pub fn hello(id: MessageId) -> Packet<'static> {
    req(id, ClientHello::default())
}

pub fn lookup(key: &'static str) -> Lookup<'static> {
    Lookup {
        primary_key: Text::new(key),
    }
}

pub fn close(id: Uuid) -> CloseSubSession {
    CloseSubSession { session_id: id }
}

pub fn server_information() -> ServerInformation<'static> {
    ServerInformation {
        ids: Seq::from_slice(&[ServerInfo::Version]),
    }
}

pub fn create(
    user: &'static str,
    password: &'static str,
    desired: Option<Uuid>,
) -> CreateSubSession<'static> {
    CreateSubSession {
        credentials: Credentials::Password(Password {
            username: Text::new(user),
            password: Text::new(password),
        }),
        desired_session_id: desired,
    }
}

pub fn subscribe(desired: Option<Uuid>) -> Command<'static> {
    const ATTRS: &[AttributeId] = &[AttributeId::Standard(Attribute::Value)];
    const ENTRIES: &[SubscriptionEntry<'static>] = &[SubscriptionEntry::new(E3EE, ATTRS)];
    let mut subscribe = Subscribe::new(ENTRIES).with_rates(None, Some(100));
    subscribe.desired_subscription_id = desired;
    Command::Subscribe(subscribe)
}

pub fn data_change() -> DataChange<'static> {
    let values: &'static [(AttributeId, AttrResult<'static>)] = Box::leak(Box::new([(
        AttributeId::Standard(Attribute::Value),
        AttrResult::Value(Value::Float(1.5)),
    )]));
    DataChange {
        time: TimePoint::Seconds(1_700_000_000),
        element: E3EE,
        values: Seq::from_slice(values),
    }
}

pub fn encode(packets: &[Packet<'_>]) -> Vec<u8> {
    let mut out = vec![0; 1 << 16];
    let n = encode_batch(packets, &mut out).unwrap();
    out.truncate(n);
    out
}

/// The diagnostic of a UUID item.
pub fn uuid_diag(id: Uuid) -> String {
    format!("37(h'{}')", to_hex(id.as_bytes()))
}

/// One response read back: its id, and its item's diagnostic or its error.
pub struct Got {
    pub id: MessageId,
    pub result: Result<String, (i64, String)>,
}

impl Got {
    pub fn code(&self) -> Option<i64> {
        self.result.as_ref().err().map(|e| e.0)
    }
    pub fn text(&self) -> &str {
        match &self.result {
            Ok(diag) => diag,
            Err((_, text)) => text,
        }
    }
}

/// Compares ids, items, and error codes (not error texts).
impl PartialEq for Got {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && match (&self.result, &other.result) {
                (Ok(a), Ok(b)) => a == b,
                (Err(a), Err(b)) => a.0 == b.0,
                _ => false,
            }
    }
}

impl fmt::Debug for Got {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(diag) => write!(f, "ok({}, {diag:?})", self.id),
            Err((code, text)) => write!(f, "err({}, {code} {text:?})", self.id),
        }
    }
}

pub fn ok(id: MessageId, diag: &str) -> Got {
    Got {
        id,
        result: Ok(diag.to_owned()),
    }
}

pub fn err(id: MessageId, code: i64) -> Got {
    Got {
        id,
        result: Err((code, String::new())),
    }
}

/// The responses of a reply message (panics on anything else: these are tests).
pub fn packets(message: &[u8]) -> Vec<Got> {
    Batch::new(message)
        .unwrap()
        .into_iter()
        .map(|p| match p.unwrap() {
            Packet::Success(s) => {
                let item = s.item_bytes().map(|b| Raw::new(b).unwrap().to_string());
                ok(s.id, &item.unwrap_or_default())
            }
            Packet::Error(e) => Got {
                id: e.id,
                result: Err((
                    e.error.code.code(),
                    e.error.message.unwrap_or_default().to_string(),
                )),
            },
            other => panic!("not a response: {other:?}"),
        })
        .collect()
}

/// The test session.
pub type Server<'a> = ServerSession<'a, TestApp>;

/// Feeds `message` and returns the reply's responses (empty when none is due).
pub fn run<A: Application>(
    server: &mut ServerSession<'_, A>,
    app: &mut A,
    message: &[u8],
) -> Vec<Got> {
    let _ = server.handle_message(message, app).unwrap();
    let mut out = vec![0; 1 << 16];
    match server.poll_transmit(&mut out).unwrap() {
        Some(n) => packets(&out[..n]),
        None => Vec::new(),
    }
}

/// Sends one request and returns its response.
pub fn ask<A: Application>(
    server: &mut ServerSession<'_, A>,
    app: &mut A,
    id: MessageId,
    command: impl Into<Command<'static>>,
) -> Got {
    let mut reply = exchange(server, app, &[req(id, command)]);
    assert_eq!(reply.len(), 1, "{reply:?}");
    reply.remove(0)
}

/// Sends `requests` as one message and returns the reply's responses.
pub fn exchange<A: Application>(
    server: &mut ServerSession<'_, A>,
    app: &mut A,
    requests: &[Packet<'_>],
) -> Vec<Got> {
    run(server, app, &encode(requests))
}

/// A slice of `n` copies of `x`, leaked (tests only).
fn leak<T: Clone>(x: T, n: usize) -> &'static mut [T] {
    Box::leak(vec![x; n].into_boxed_slice())
}

/// The sizes of a test session's storage.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub sub_sessions: usize,
    pub subscriptions: usize,
    /// Reply messages.
    pub messages: usize,
    /// Responses per reply message.
    pub packets: usize,
    /// Bytes per reply message.
    pub bytes: usize,
}

impl Sizes {
    /// The defaults of `ServerBuffers`: 4 sub-sessions, 16 subscriptions, 4 reply messages
    /// of 32 responses and 8 KiB.
    pub const DEFAULT: Sizes = Sizes {
        sub_sessions: 4,
        subscriptions: 16,
        messages: 4,
        packets: 32,
        bytes: 8192,
    };

    /// 2 sub-sessions, 2 subscriptions, 2 reply messages of `packets` responses and
    /// `bytes` bytes.
    pub fn small(packets: usize, bytes: usize) -> Sizes {
        Sizes {
            sub_sessions: 2,
            subscriptions: 2,
            messages: 2,
            packets,
            bytes,
        }
    }
}

/// Storage of `sizes`, leaked (tests only).
pub fn storage<A: Application>(sizes: Sizes) -> ServerStorage<'static, A> {
    let replies = ReplyStorage::new(
        leak(ReplyMessage::EMPTY, sizes.messages),
        leak(ReplySlot::EMPTY, sizes.messages * sizes.packets),
        leak(0u8, sizes.messages * sizes.bytes),
    );
    let sub_sessions = Box::leak(
        (0..sizes.sub_sessions)
            .map(|_| SubSessionSlot::EMPTY)
            .collect::<Box<[_]>>(),
    );
    let subscriptions = Box::leak(
        (0..sizes.subscriptions)
            .map(|_| SubscriptionSlot::EMPTY)
            .collect::<Box<[_]>>(),
    );
    ServerStorage::new(replies, sub_sessions, subscriptions)
}

/// A server session of `sizes`.
pub fn server_with<A: Application>(sizes: Sizes) -> ServerSession<'static, A> {
    ServerSession::new(ServerConfig::default(), storage(sizes))
}

/// A server session at the default sizes.
pub fn server() -> Server<'static> {
    server_with(Sizes::DEFAULT)
}
