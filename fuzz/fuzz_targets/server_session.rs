//! A sequence of arbitrary steps — request messages (structured or raw bytes), hellos,
//! polls with buffers of any size, late answers, stale answers, events — fed to a server
//! session with small tables and an application whose every decision comes from the input.
//! After each step the session's invariants hold, and every reply message is checked
//! against a model of what its requests must get:
//!
//! - every request gets exactly one response, with its id, in request order;
//! - no command is accepted before the hello (each is answered -32000, and the application
//!   is never called while the session awaits the hello), a second hello gets -32001;
//! - a refused message (over the limits) is answered -32603 throughout; a decode error is
//!   answered with its code; a packet that is not a request with -32600;
//! - a success item always types as the answer to its request's opcode, and reads to its
//!   end (every sequence element decodes);
//! - an application that answers a sequence element that does not decode with
//!   `Reply::decode_error` sends that error's code;
//! - the sub-session, subscription and reply tables never exceed their capacities;
//! - the update-rate timers, on a clock the input moves: only active subscriptions fall
//!   due, each at most once per message; a change goes out no sooner than its throttle
//!   after the previous event, a heartbeat no sooner than its period (or the throttle); a
//!   subscription's first event is its first; `poll_timeout` is never later than a time at
//!   which something falls due; every event message decodes to the events written;
//! - at the end, once every deferred request is answered, every reply has been sent.
#![no_main]

use std::collections::VecDeque;

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::op::params::{ClientHello, Credentials};
use xentara_ws::session::{
    AppRequest, Application, Due, IdKind, Reason, Replied, Reply, ReplyBuffers, ServerConfig,
    ServerError, ServerSession, ServerState, Slot,
};
use xentara_ws::{
    Batch, DataChange, ErrorCode, ErrorObject, Opcode, Packet, Request, Response, Seq, TimePoint,
    Uuid,
};

#[path = "../../tests/common/checks.rs"]
mod checks;
mod steps;

const SESSIONS: usize = 2;
const SUBSCRIPTIONS: usize = 3;
const BATCHES: usize = 2;
const PACKETS: usize = 4;
const BYTES: usize = 512;

type Server<'a> = ServerSession<'a, u8, SESSIONS, SUBSCRIPTIONS, BATCHES>;
type Buffers = ReplyBuffers<{ BATCHES * BYTES }, { BATCHES * PACKETS }>;

/// One thing that happens to the session.
#[derive(Arbitrary, Debug)]
enum Step<'a> {
    /// A message of arbitrary packets (mostly valid requests).
    Message(Vec<Packet<'a>>),
    /// Arbitrary bytes as a message.
    Raw(&'a [u8]),
    /// A client_hello asking for `min..=max`.
    Hello { id: i64, min: u8, max: u8 },
    /// `poll_transmit` into a buffer of `room` bytes.
    Poll { room: u16 },
    /// Answers the `pick`-th deferred request.
    Answer { pick: u8 },
    /// Answers a request that was answered already.
    Stale { pick: u8 },
    /// A change for the `pick`-th subscription in the table, or an unknown one.
    Changed { pick: u8, unknown: Uuid },
    /// The clock moves `advance` ms; the timers fire and events are written into a buffer
    /// of `room` bytes, `events` data changes per due subscription.
    Time { advance: u16, room: u16, events: u8 },
}

/// What the application does with a command.
#[derive(Arbitrary, Debug)]
enum Decision<'a> {
    Ok(Response<'a>),
    Error(ErrorCode),
    Message(ErrorCode, &'a str),
    /// Reads the command's sequences first (`Command::check`): an element that does not
    /// decode is answered with `Reply::decode_error`, else with this code.
    Check(ErrorCode),
    Later,
}

/// The application: every answer, credential check and fresh id comes from the input.
struct App<'a> {
    u: Unstructured<'a>,
    /// Commands handed to `handle`.
    calls: usize,
    /// The slots of the commands it deferred and of those it answered.
    deferred: Vec<Slot>,
    answered: Vec<Slot>,
    /// Requests of the message being handled that it answered with `Reply::decode_error`:
    /// id and the code the reply must carry.
    decode_errors: Vec<(i64, ErrorCode)>,
    /// The length of the message being handled (errors point inside it).
    message_len: usize,
}

impl<'a> Application for App<'a> {
    type Identity = u8;

    fn authenticate(&mut self, _: &Credentials<'_>) -> Result<u8, ErrorCode> {
        match self.u.arbitrary::<Option<u8>>() {
            Ok(Some(identity)) => Ok(identity),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        // Sometimes nil or repeated: the machine must refuse those, not break.
        Uuid::from_u128(u128::from(self.u.arbitrary::<u8>().unwrap_or(0)))
    }

    fn handle(&mut self, request: AppRequest<'_, u8>, reply: Reply<'_>) -> Replied {
        self.calls += 1;
        assert!(
            !matches!(
                request.command.opcode(),
                Opcode::ClientHello | Opcode::CreateSubSession | Opcode::CloseSubSession
            ),
            "the machine handles {} itself",
            request.command.opcode()
        );
        assert_eq!(reply.slot(), request.slot);
        self.answered.push(request.slot);
        match self.u.arbitrary().unwrap_or(Decision::Later) {
            Decision::Ok(response) => reply.ok(response),
            Decision::Error(code) => reply.error(code),
            Decision::Message(code, text) => reply.error_message(code, text),
            Decision::Check(code) => match request.command.check() {
                Err(e) => {
                    checks::check_error(&e, self.message_len);
                    self.decode_errors.push((request.id, e.code()));
                    reply.decode_error(&e)
                }
                Ok(()) => reply.error(code),
            },
            Decision::Later => {
                self.answered.pop();
                self.deferred.push(request.slot);
                reply.later()
            }
        }
    }
}

/// What one request must get back.
#[derive(Debug)]
enum Expect {
    /// A request with this opcode.
    Request(Opcode),
    /// Any other packet: -32600.
    NotRequest,
    /// A packet that did not decode: its code.
    Undecodable(ErrorCode),
}

/// A request message the session took: the responses its reply must hold, in order.
#[derive(Debug)]
struct Pending {
    responses: Vec<(i64, Expect)>,
    refused: bool,
    /// Responses the application gave with `Reply::decode_error`: index and code.
    decode_errors: Vec<(usize, ErrorCode)>,
}

/// What each request of `message` must get, as the server reads it, and how many packets
/// the server counts before reading them (`Batch::remaining`).
fn expectations(message: &[u8]) -> (Vec<(i64, Expect)>, usize) {
    let batch = match Batch::new(message) {
        Ok(batch) => batch,
        Err(e) => return (vec![(0, Expect::Undecodable(e.code()))], 1),
    };
    let counted = batch.iter().remaining();
    // As the server reads it (Batch::fuzz_server_steps: its own reader).
    let responses = batch
        .fuzz_server_steps()
        .map(|(id, read)| match read {
            Ok(Some(opcode)) => (id, Expect::Request(opcode)),
            Ok(None) => (id, Expect::NotRequest),
            Err(code) => (id, Expect::Undecodable(code)),
        })
        .collect();
    (responses, counted)
}

/// The model: replies still due, and whether a hello has succeeded in the replies so far.
#[derive(Default)]
struct Model {
    due: VecDeque<Pending>,
    hello_done: bool,
}

impl Model {
    /// Checks one reply message against the oldest request message without one.
    fn reply(&mut self, reply: &[u8]) {
        let pending = self.due.pop_front().expect("a reply nobody asked for");
        let packets: Vec<Packet<'_>> = Batch::new(reply)
            .and_then(|b| b.into_iter().collect::<Result<_, _>>())
            .unwrap_or_else(|e| panic!("the server's reply does not decode: {e}"));
        assert_eq!(
            packets.len(),
            pending.responses.len(),
            "one response per request"
        );
        for &(at, code) in &pending.decode_errors {
            let Packet::Error(e) = &packets[at] else {
                panic!(
                    "a request answered with Reply::decode_error got {:?}",
                    packets[at]
                );
            };
            assert_eq!(e.error.code, code, "Reply::decode_error sent another code");
        }
        for (packet, (id, expect)) in packets.iter().zip(&pending.responses) {
            assert_eq!(packet.id(), Some(*id), "responses come in request order");
            let outcome: Result<(), ErrorCode> = match packet {
                Packet::Success(_) => Ok(()),
                Packet::Error(e) => Err(e.error.code),
                other => panic!("a server replied with a {} packet", other.kind()),
            };
            if pending.refused {
                assert_eq!(outcome.err(), Some(ErrorCode::InternalError));
                continue;
            }
            match expect {
                Expect::NotRequest => assert_eq!(outcome.err(), Some(ErrorCode::InvalidRequest)),
                Expect::Undecodable(code) => assert_eq!(outcome.err(), Some(*code)),
                Expect::Request(Opcode::ClientHello) => match packet {
                    Packet::Success(s) => {
                        assert!(!self.hello_done, "a second hello succeeded");
                        let Ok(Response::ClientHello(hello)) = s.response(Opcode::ClientHello)
                        else {
                            panic!("the hello's item is not a server hello");
                        };
                        assert_eq!(hello.current_version, 1);
                        self.hello_done = true;
                    }
                    _ if self.hello_done => {
                        assert_eq!(outcome.err(), Some(ErrorCode::DuplicateClientHello));
                    }
                    _ => {}
                },
                Expect::Request(_) if !self.hello_done => {
                    assert_eq!(outcome.err(), Some(ErrorCode::MissingClientHello));
                }
                Expect::Request(op) => {
                    if let Packet::Success(s) = packet {
                        let response = s.response(*op).unwrap_or_else(|e| {
                            panic!("a success item does not type as {op}: {e}")
                        });
                        if let Err(e) = response.check() {
                            panic!("a {op} success item does not read to its end: {e}");
                        }
                    }
                }
            }
        }
    }
}

/// The session's own invariants, at any time.
fn invariants(server: &Server<'_>, app: &App<'_>) {
    assert!(server.sub_sessions().count() <= SESSIONS);
    assert!(server.subscription_entries() <= SUBSCRIPTIONS);
    assert!(server.subscriptions().count() <= server.subscription_entries());
    assert!(server.open_messages() <= BATCHES);
    assert_eq!(
        server.waiting(),
        app.deferred.len(),
        "a request waits iff deferred"
    );
    if server.state() == ServerState::AwaitingHello {
        assert_eq!(
            app.calls, 0,
            "a command reached the application before the hello"
        );
        assert_eq!(server.sub_sessions().count(), 0);
        assert_eq!(server.subscription_entries(), 0);
    }
}

/// Hands `message` to the server and records what its reply must hold.
fn feed(server: &mut Server<'_>, app: &mut App<'_>, model: &mut Model, message: &[u8]) {
    app.decode_errors.clear();
    app.message_len = message.len();
    match server.handle_message(message, app) {
        Ok(received) => {
            let (mut responses, counted) = expectations(message);
            // The error after a definite outer array's last packet (bytes after it, or the
            // end of the input where more packets were declared) is found only once the
            // packets have been read: the server answers it when its reply still has room
            // (`Batch::remaining` does not count it).
            let batch = Batch::new(message).ok();
            if !received.refused
                && received.packets == counted
                && responses.len() == counted + 1
                && batch.is_some_and(|b| b.declared_len().is_some())
            {
                responses.pop();
            }
            assert_eq!(received.packets, responses.len());
            // Located by id where the id is the only one of its message.
            let decode_errors = app
                .decode_errors
                .iter()
                .filter_map(|&(id, code)| {
                    let mut at = responses.iter().enumerate().filter(|(_, r)| r.0 == id);
                    match (at.next(), at.next()) {
                        (Some((i, _)), None) => Some((i, code)),
                        _ => None,
                    }
                })
                .collect();
            if received.packets > 0 {
                model.due.push_back(Pending {
                    responses,
                    refused: received.refused,
                    decode_errors,
                });
            }
        }
        Err(ServerError::Busy { capacity }) => assert_eq!(capacity, BATCHES),
        Err(ServerError::MessageTooLarge { packets }) => assert!(packets > PACKETS),
        Err(e) => panic!("handle_message failed: {e}"),
    }
}

/// Takes every reply that is due (checking it) until none is.
fn poll(server: &mut Server<'_>, model: &mut Model, room: usize) {
    let mut buf = vec![0u8; room];
    loop {
        let due = server.transmit_len();
        match server.poll_transmit(&mut buf) {
            Ok(None) => {
                assert_eq!(due, None);
                return;
            }
            Ok(Some(n)) => {
                assert_eq!(due, Some(n));
                model.reply(&buf[..n]);
            }
            Err(ServerError::Encode(xentara_ws::EncodeError::BufferTooSmall { required })) => {
                assert_eq!(due, Some(required));
                assert!(required > room);
                return;
            }
            Err(e) => panic!("poll_transmit failed: {e}"),
        }
    }
}

/// The input's clock and what the timers have sent.
#[derive(Default)]
struct Clock {
    now: u64,
    /// When each subscription's last event went out.
    last: std::collections::HashMap<Uuid, u64>,
}

impl Clock {
    /// Moves the clock, fires the timers and checks every event message written.
    fn tick(&mut self, server: &mut Server<'_>, advance: u16, room: u16, events: u8) {
        let timeout = server.poll_timeout();
        self.now += u64::from(advance);
        let now = self.now;
        let due = server.handle_timeout(now);
        // Nothing falls due before the time poll_timeout gave.
        if due > 0 {
            assert!(timeout.is_some_and(|t| t <= now), "due before {timeout:?}");
        }
        let time = TimePoint::Seconds(1);
        let change = DataChange {
            time,
            element: Uuid::from_u128(1),
            values: Seq::from_slice(&[]),
        };
        let mut buf = vec![0u8; usize::from(room)];
        for _ in 0..=SUBSCRIPTIONS {
            let mut seen: Vec<Due> = Vec::new();
            let mut pushed = 0;
            let written = server.poll_events(&mut buf, |due, out| {
                seen.push(due);
                for _ in 0..events % 4 {
                    if out.push(change.clone()).is_ok() {
                        pushed += 1;
                    }
                }
            });
            for due in &seen {
                assert!(
                    server.is_subscribed(&due.subscription),
                    "{due:?} not active"
                );
                assert_eq!(
                    seen.iter()
                        .filter(|d| d.subscription == due.subscription)
                        .count(),
                    1
                );
            }
            match written {
                Ok(Some(n)) => {
                    let packets = Batch::new(&buf[..n]).unwrap();
                    assert!(
                        packets
                            .iter()
                            .map(Result::unwrap)
                            .all(|p| matches!(p, Packet::Event(_)))
                    );
                }
                Ok(None) => {}
                Err(ServerError::EventsTooLarge { subscription, .. }) => {
                    assert!(seen.iter().any(|d| d.subscription == subscription));
                }
                Err(e) => panic!("poll_events failed: {e}"),
            }
            let sent = seen.len();
            for due in seen {
                self.check(server, due);
            }
            let _ = pushed;
            if sent == 0 || matches!(written, Ok(None)) {
                break;
            }
        }
    }

    /// A due subscription went out at `now`: no sooner than its rates allow.
    fn check(&mut self, server: &Server<'_>, due: Due) {
        let rates = server
            .rates(&due.subscription)
            .expect("a due subscription exists");
        let throttle = u64::from(rates.throttle.unwrap_or(0));
        let last = self.last.insert(due.subscription, self.now);
        match (due.reason, last) {
            (Reason::Initial, _) => {}
            (Reason::Change, Some(last)) => assert!(self.now >= last + throttle),
            (Reason::Heartbeat, Some(last)) => {
                let period = u64::from(rates.heartbeat.expect("a heartbeat has a period"));
                assert!(self.now >= last + period.max(throttle));
            }
            (reason, None) => panic!("{reason:?} before the first event"),
        }
    }
}

/// A result for a deferred request: an arbitrary item (maybe of the wrong opcode) or error.
fn late_answer<'a>(u: &mut Unstructured<'a>) -> Result<Response<'a>, ErrorObject<'a>> {
    match u.arbitrary::<bool>() {
        Ok(true) => u
            .arbitrary()
            .map_err(|_| ErrorObject::new(ErrorCode::ReadError)),
        _ => Err(ErrorObject::new(ErrorCode::WriteError)),
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(app_data) = u.arbitrary::<&[u8]>() else {
        return;
    };
    let mut app = App {
        u: Unstructured::new(app_data),
        calls: 0,
        deferred: Vec::new(),
        answered: Vec::new(),
        decode_errors: Vec::new(),
        message_len: 0,
    };
    let mut buffers = Box::new(Buffers::new());
    let mut server = Server::new(ServerConfig::default(), buffers.storage());
    let mut clock = Clock::default();
    let mut model = Model::default();
    for step in steps::steps(&mut u) {
        match step {
            Step::Message(packets) => {
                let bytes = checks::encode(&packets);
                feed(&mut server, &mut app, &mut model, &bytes);
            }
            Step::Raw(bytes) => feed(&mut server, &mut app, &mut model, bytes),
            Step::Hello { id, min, max } => {
                let hello = Packet::Request(Request {
                    id,
                    command: ClientHello {
                        min_version: min.into(),
                        max_version: max.into(),
                    }
                    .into(),
                });
                let bytes = checks::encode(&[hello]);
                feed(&mut server, &mut app, &mut model, &bytes);
            }
            Step::Poll { room } => poll(&mut server, &mut model, usize::from(room)),
            Step::Answer { pick } => {
                if !app.deferred.is_empty() {
                    let slot = app.deferred.remove(usize::from(pick) % app.deferred.len());
                    let result = late_answer(&mut app.u);
                    server
                        .answer(slot, result)
                        .expect("a deferred slot is answerable");
                    app.answered.push(slot);
                }
            }
            Step::Stale { pick } => {
                if !app.answered.is_empty() {
                    let slot = app.answered[usize::from(pick) % app.answered.len()];
                    let stale = server.answer(slot, Err(ErrorObject::new(ErrorCode::ReadError)));
                    assert_eq!(stale, Err(ServerError::UnknownSlot(slot)));
                }
            }
            Step::Changed { pick, unknown } => {
                let all: Vec<Uuid> = server.subscriptions().copied().collect();
                let subscription = match all.len() {
                    0 => unknown,
                    n => all[usize::from(pick) % n],
                };
                let result = server.changed(&subscription);
                match server.rates(&subscription) {
                    Some(_) => assert_eq!(result, Ok(())),
                    None => {
                        assert_eq!(result, Err(ServerError::UnknownSubscription(subscription)))
                    }
                }
            }
            Step::Time {
                advance,
                room,
                events,
            } => clock.tick(&mut server, advance, room, events),
        }
        invariants(&server, &app);
    }

    // The end: answer everything deferred; every reply must then be sent, each once.
    for slot in std::mem::take(&mut app.deferred) {
        let result = late_answer(&mut app.u);
        server
            .answer(slot, result)
            .expect("a deferred slot is answerable");
    }
    assert_eq!(server.waiting(), 0);
    poll(&mut server, &mut model, BYTES * 2);
    assert!(
        model.due.is_empty(),
        "{} replies never sent",
        model.due.len()
    );
    assert_eq!(server.open_messages(), 0);
    assert_eq!(
        model.hello_done,
        matches!(server.state(), ServerState::Ready { .. })
    );
    invariants(&server, &app);
});
