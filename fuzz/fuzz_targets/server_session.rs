//! A sequence of arbitrary steps — request messages (structured or raw bytes), hellos,
//! subscribes and unsubscribes with ids that collide, polls with buffers of any size, late
//! answers (of the wrong kind too), stale answers, answers with another session's
//! tickets, changes now and at other times, events — fed to a server session with small
//! tables and an application whose every decision comes from the input. After each step the session's invariants hold, and every reply message
//! is checked against a model of what its requests must get:
//!
//! - every request gets exactly one response, with its id, in request order;
//! - no command is accepted before the hello (each is answered -32000, and the application
//!   is never called while the session awaits the hello), a second hello gets -32001;
//! - a refused message (over the limits) is answered -32603 throughout; a decode error is
//!   answered with its code; a packet that is not a request with -32600;
//! - a success item always types as the answer to its request's opcode, and reads to its
//!   end (every sequence element decodes); a subscribe's is the id the application was
//!   handed;
//! - unsubscribe never reaches the application: the machine answers it, a success exactly
//!   when it ended an active subscription (and `Application::unsubscribed` got that
//!   subscription's data back), -32110 otherwise;
//! - an application that answers a sequence element that does not decode with
//!   `Reply::decode_error` sends that error's code;
//! - a deferred request waits until answered; an answer of the wrong kind (an item for a
//!   subscribe, a subscription for a command) is -32603; a ticket answered already is
//!   `UnknownTicket`, and so is a ticket of another session, both ways; a refused answer
//!   changes nothing;
//! - a subscribe replaces the subscription with its id when accepted, unless a later
//!   subscribe with that id was accepted first, and starts with new timers;
//! - the sub-session, subscription and reply tables never exceed their capacities; what
//!   the application keeps per subscription is handed back with its own subscription
//!   (events, `subscriptions`, `subscriptions_mut`, `unsubscribed`), with the changes made
//!   through `subscriptions_mut`;
//! - the update-rate timers, on a clock the input moves, against a model of each
//!   subscription's last event and earliest pending change (`changed`, `changed_at` in the
//!   past or the future, `SubscriptionMut::changed_at`): `poll_timeout` is exactly the
//!   model's next due time; `handle_timeout` marks exactly the active subscriptions due,
//!   each for the model's reason; only active subscriptions fall due, each at most once
//!   per message; a change goes out no sooner than its throttle after the previous event
//!   (and never before the time it was noted for), a heartbeat no sooner than its period
//!   (or the throttle), winning a tie with a change; a change that pushes nothing sends
//!   nothing and leaves the timers running from the last event; a subscription's first
//!   event is its first; a subscription whose events do not fit after others' stays due
//!   for the next message; every event message decodes to the events written, in order;
//! - at the end, once every deferred request is answered, every reply has been sent.
#![no_main]

use std::collections::{HashMap, VecDeque};

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::params::{ClientHello, Credentials, GetStage, Subscribe, Unsubscribe};
use xentara_ws::session::{
    Answer, AppRequest, Application, Due, IdKind, Rates, Reason, Replied, Reply, ServerBuffers,
    ServerConfig, ServerError, ServerSession, ServerState, Ticket,
};
use xentara_ws::{
    Batch, Command, DataChange, ErrorCode, ErrorObject, Event, Opcode, Packet, Request, Response,
    Seq, TimePoint, Uuid,
};

use xentara_ws_support::checks;
mod steps;

const SESSIONS: usize = 2;
const SUBSCRIPTIONS: usize = 3;
const BATCHES: usize = 2;
const PACKETS: usize = 4;
const BYTES: usize = 512;

type Server<'s, 'u> = ServerSession<'s, App<'u>>;
type Buffers<'u> = ServerBuffers<
    App<'u>,
    { BATCHES * BYTES },
    { BATCHES * PACKETS },
    BATCHES,
    SESSIONS,
    SUBSCRIPTIONS,
>;
/// The storage of the other session, whose tickets the main one must refuse (and the other
/// way round): one reply message of 4 requests, 1 sub-session, 1 subscription.
type OtherBuffers = ServerBuffers<App<'static>, 128, 4, 1, 1, 1>;

/// One thing that happens to the session.
#[derive(Arbitrary, Debug)]
enum Step<'a> {
    /// A message of arbitrary packets (mostly valid requests).
    Message(Vec<Packet<'a>>),
    /// Arbitrary bytes as a message.
    Raw(&'a [u8]),
    /// A client_hello asking for `min..=max`.
    Hello { id: i64, min: u8, max: u8 },
    /// A subscribe with small rates and ids (`desired` as `Uuid::from_u128`, as fresh ids
    /// are): subscriptions that fall due, collide and replace each other.
    Subscribe {
        id: i64,
        desired: Option<u8>,
        throttle: Option<u16>,
        heartbeat: Option<u16>,
    },
    /// An unsubscribe of the `pick`-th active subscription, or of an unknown one.
    Unsubscribe {
        id: i64,
        pick: u8,
        unknown: Option<u8>,
    },
    /// `poll_transmit` into a buffer of `room` bytes.
    Poll { room: u16 },
    /// Answers the `pick`-th deferred request; `wrong`: with the wrong kind of success (a
    /// subscription for a command, an item for a subscribe), which is -32603.
    Answer { pick: u8, wrong: bool },
    /// Answers a request that was answered already (with a subscription, or an error).
    Stale { pick: u8, subscribe: bool },
    /// Answers with the other session's tickets, and the other session with the `pick`-th
    /// deferred ticket of this one: each must refuse.
    Foreign { pick: u8 },
    /// A change for the `pick`-th active subscription, or an unknown one: now (`at`
    /// `None`) or `at` ms from now (past or future); `via_mut`: through
    /// `subscriptions_mut`, which also changes what the application keeps for it.
    Changed {
        pick: u8,
        unknown: Uuid,
        at: Option<i16>,
        via_mut: bool,
    },
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

/// What the application does with a subscribe.
#[derive(Arbitrary, Debug)]
enum SubscribeDecision<'a> {
    Accept,
    Error(ErrorCode),
    Message(ErrorCode, &'a str),
    /// Reads the entries first: an entry that does not decode is answered with
    /// `Reply::decode_error`, else the subscription is accepted.
    Check,
    Later,
}

/// What the application keeps per subscription: whose it is, and how many times it was
/// changed through `subscriptions_mut`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Watch {
    id: Uuid,
    touched: u32,
}

impl Watch {
    fn new(id: Uuid) -> Self {
        Watch { id, touched: 0 }
    }
}

/// A request the application deferred: its ticket, and for a subscribe the subscription
/// and the subscribe's place in request order.
#[derive(Debug, Clone, Copy)]
struct Deferred {
    ticket: Ticket,
    subscription: Option<(Uuid, u64)>,
}

/// The application: every answer, credential check and fresh id comes from the input.
struct App<'a> {
    u: Unstructured<'a>,
    /// Defers every command and subscribe (the other session's application).
    defer_all: bool,
    /// Calls of `handle` and `unsubscribed`.
    calls: usize,
    /// Subscribes handed to it so far: each one's place in request order.
    subscribes_seen: u64,
    /// The requests it deferred, and the tickets of those it answered.
    deferred: Vec<Deferred>,
    answered: Vec<Ticket>,
    /// Requests of the message being handled that it answered with `decode_error`: id and
    /// the code the reply must carry.
    decode_errors: Vec<(i64, ErrorCode)>,
    /// The subscribes of the message being handled: id and the subscription's id.
    subscribes: Vec<(i64, Uuid)>,
    /// `unsubscribed` calls while the message was handled.
    unsubscribed: usize,
    /// Subscribes accepted at once (id, place in request order), and subscriptions
    /// unsubscribe ended, for the clock's model.
    accepted: Vec<(Uuid, u64)>,
    resets: Vec<Uuid>,
    /// The length of the message being handled (errors point inside it).
    message_len: usize,
}

impl<'a> App<'a> {
    fn new(u: Unstructured<'a>, defer_all: bool) -> Self {
        App {
            u,
            defer_all,
            calls: 0,
            subscribes_seen: 0,
            deferred: Vec::new(),
            answered: Vec::new(),
            decode_errors: Vec::new(),
            subscribes: Vec::new(),
            unsubscribed: 0,
            accepted: Vec::new(),
            resets: Vec::new(),
            message_len: 0,
        }
    }
}

impl<'a> Application for App<'a> {
    type Identity = u8;
    type Subscription = Watch;

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

    fn handle(&mut self, request: AppRequest<'_, u8>, reply: Reply<'_, Watch>) -> Replied {
        // The commands the machine answers itself never reach this.
        self.calls += 1;
        assert_eq!(reply.ticket(), request.ticket);
        assert!(!matches!(
            request.command.opcode(),
            Opcode::ClientHello
                | Opcode::CreateSubSession
                | Opcode::CloseSubSession
                | Opcode::Unsubscribe
        ));
        assert_eq!(
            request.sub_session.map(|s| s.id),
            request.command.sub_session(),
            "the sub-session handed over is the one the command names"
        );
        match request.command {
            Command::Subscribe(params) => {
                let new = request
                    .subscription
                    .expect("a subscribe makes a subscription");
                self.subscribe(request.id, request.ticket, new.id, new.rates, params, reply)
            }
            command => {
                assert_eq!(request.subscription, None);
                self.command(request.id, request.ticket, command, reply)
            }
        }
    }

    fn unsubscribed(&mut self, id: Uuid, data: Watch) {
        self.calls += 1;
        assert_eq!(data.id, id, "unsubscribed got another subscription's data");
        self.unsubscribed += 1;
        self.resets.push(id);
    }
}

impl App<'_> {
    fn command(
        &mut self,
        id: i64,
        ticket: Ticket,
        command: Command<'_>,
        reply: Reply<'_, Watch>,
    ) -> Replied {
        let decision = match self.defer_all {
            true => Decision::Later,
            false => self.u.arbitrary().unwrap_or(Decision::Later),
        };
        if !matches!(decision, Decision::Later) {
            self.answered.push(ticket);
        }
        match decision {
            Decision::Ok(response) => reply.ok(response),
            Decision::Error(code) => reply.error(code),
            Decision::Message(code, text) => reply.error_message(code, text),
            Decision::Check(code) => match command.check() {
                Err(e) => {
                    checks::check_error(&e, self.message_len);
                    self.decode_errors.push((id, e.code()));
                    reply.decode_error(&e)
                }
                Ok(()) => reply.error(code),
            },
            Decision::Later => {
                self.deferred.push(Deferred {
                    ticket,
                    subscription: None,
                });
                reply.later()
            }
        }
    }

    fn subscribe(
        &mut self,
        id: i64,
        ticket: Ticket,
        sid: Uuid,
        rates: Rates,
        params: Subscribe<'_>,
        reply: Reply<'_, Watch>,
    ) -> Replied {
        assert!(
            !sid.is_nil(),
            "a nil subscription id reached the application"
        );
        if let Some(desired) = params.desired_subscription_id {
            assert_eq!(sid, desired, "the desired subscription id is the one used");
        }
        assert_eq!(
            rates,
            Rates::new(params.maximum_update_rate, params.minimum_update_rate)
        );
        let seq = self.subscribes_seen;
        self.subscribes_seen += 1;
        self.subscribes.push((id, sid));
        let decision = match self.defer_all {
            true => SubscribeDecision::Later,
            false => self.u.arbitrary().unwrap_or(SubscribeDecision::Later),
        };
        if !matches!(decision, SubscribeDecision::Later) {
            self.answered.push(ticket);
        }
        let accept = match decision {
            SubscribeDecision::Accept => true,
            SubscribeDecision::Error(code) => return reply.error(code),
            SubscribeDecision::Message(code, text) => return reply.error_message(code, text),
            SubscribeDecision::Check => match Command::Subscribe(params).check() {
                Err(e) => {
                    checks::check_error(&e, self.message_len);
                    self.decode_errors.push((id, e.code()));
                    return reply.decode_error(&e);
                }
                Ok(()) => true,
            },
            SubscribeDecision::Later => false,
        };
        if accept {
            self.accepted.push((sid, seq));
            return reply.accept(Watch::new(sid));
        }
        self.deferred.push(Deferred {
            ticket,
            subscription: Some((sid, seq)),
        });
        reply.later()
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
    /// Responses the application gave with `decode_error`: index and code.
    decode_errors: Vec<(usize, ErrorCode)>,
    /// Subscribes handed to the application: index and the subscription's id.
    subscribes: Vec<(usize, Uuid)>,
    /// Subscriptions its unsubscribes ended (`Application::unsubscribed` calls).
    unsubscribed: usize,
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

/// The index of the response with id `id`, where it is the only one of its message.
fn locate(responses: &[(i64, Expect)], id: i64) -> Option<usize> {
    let mut at = responses.iter().enumerate().filter(|(_, r)| r.0 == id);
    match (at.next(), at.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
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
                panic!("a request answered with decode_error got {:?}", packets[at]);
            };
            assert_eq!(e.error.code, code, "decode_error sent another code");
        }
        let mut unsubscribed = 0;
        for (at, (packet, (id, expect))) in packets.iter().zip(&pending.responses).enumerate() {
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
                Expect::Request(Opcode::Unsubscribe) => match outcome {
                    Ok(()) => unsubscribed += 1,
                    Err(code) => assert_eq!(code, ErrorCode::UnknownSubscriptionId),
                },
                Expect::Request(op) => {
                    if let Packet::Success(s) = packet {
                        let response = s.response(*op).unwrap_or_else(|e| {
                            panic!("a success item does not type as {op}: {e}")
                        });
                        if let Err(e) = response.check() {
                            panic!("a {op} success item does not read to its end: {e}");
                        }
                        if let Response::Subscribe(item) = response {
                            let item = item.expect("a subscribe's success item is its id");
                            if let Some(&(_, sid)) =
                                pending.subscribes.iter().find(|(i, _)| *i == at)
                            {
                                assert_eq!(item, sid, "subscribe answered with another id");
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(
            unsubscribed, pending.unsubscribed,
            "unsubscribe succeeded iff it ended an active subscription"
        );
    }
}

/// The session's own invariants, at any time.
fn invariants(server: &Server<'_, '_>, app: &App<'_>, clock: &Clock) {
    assert!(server.sub_sessions().count() <= SESSIONS);
    assert!(server.subscription_entries() <= SUBSCRIPTIONS);
    assert!(server.subscriptions().count() <= server.subscription_entries());
    for s in server.subscriptions() {
        assert_eq!(s.data.id, s.id, "a subscription holds another's data");
        assert_eq!(
            s.data.touched,
            clock.touched(&s.id),
            "subscriptions_mut's changes"
        );
        assert!(server.is_subscribed(&s.id));
        assert_eq!(server.rates(&s.id), Some(s.rates));
    }
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
    assert_eq!(
        server.poll_timeout(),
        clock.timeout(server),
        "poll_timeout is the earliest time an event falls due"
    );
}

/// Hands `message` to the server and records what its reply must hold.
fn feed<'u>(
    server: &mut Server<'_, 'u>,
    app: &mut App<'u>,
    clock: &mut Clock,
    model: &mut Model,
    message: &[u8],
) {
    app.decode_errors.clear();
    app.subscribes.clear();
    app.unsubscribed = 0;
    app.message_len = message.len();
    let (calls, deferred) = (app.calls, app.deferred.len());
    let result = server.handle_message(message, app);
    for (id, seq) in app.accepted.drain(..) {
        clock.activate(id, seq);
    }
    for id in app.resets.drain(..) {
        clock.reset(&id);
    }
    for d in &app.deferred[deferred..] {
        if let Some((id, seq)) = d.subscription {
            clock.pending.insert(seq, (id, None));
        }
    }
    match result {
        Ok(received) => {
            assert_eq!(
                received.waiting,
                app.deferred.len() - deferred,
                "waiting: the requests deferred"
            );
            if received.refused || received.packets == 0 {
                assert_eq!(
                    app.calls, calls,
                    "a refused message reached the application"
                );
            }
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
                .filter_map(|&(id, code)| Some((locate(&responses, id)?, code)))
                .collect();
            let subscribes = app
                .subscribes
                .iter()
                .filter_map(|&(id, sid)| Some((locate(&responses, id)?, sid)))
                .collect();
            if received.packets > 0 {
                model.due.push_back(Pending {
                    responses,
                    refused: received.refused,
                    decode_errors,
                    subscribes,
                    unsubscribed: app.unsubscribed,
                });
            }
        }
        Err(e) => {
            // Nothing was consumed: the application saw nothing.
            assert_eq!(app.calls, calls, "{e}: the message reached the application");
            match e {
                ServerError::Busy { capacity } => assert_eq!(capacity, BATCHES),
                ServerError::MessageTooLarge { packets } => assert!(packets > PACKETS),
                e => panic!("handle_message failed: {e}"),
            }
        }
    }
}

/// Takes every reply that is due (checking it) until none is.
fn poll(server: &mut Server<'_, '_>, model: &mut Model, room: usize) {
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

/// The input's clock, and a model of each subscription's timers: when its last event
/// went out and its earliest change not sent yet (as the session documents: of several,
/// the earliest counts), what `subscriptions_mut` changed in the application's data, and
/// which subscribe made it; and the earliest change noted for each unanswered subscribe.
#[derive(Default)]
struct Clock {
    now: u64,
    last: HashMap<Uuid, u64>,
    change: HashMap<Uuid, u64>,
    touched: HashMap<Uuid, u32>,
    made_by: HashMap<Uuid, u64>,
    pending: HashMap<u64, (Uuid, Option<u64>)>,
}

impl Clock {
    /// The subscription `id` ended: its timers and data are gone.
    fn reset(&mut self, id: &Uuid) {
        self.last.remove(id);
        self.change.remove(id);
        self.touched.remove(id);
        self.made_by.remove(id);
    }

    /// The subscribe `seq` (for `id`) was accepted: it replaces the subscription with
    /// its id, new timers and data, unless a later subscribe's is active.
    fn activate(&mut self, id: Uuid, seq: u64) {
        let change = self.pending.remove(&seq).and_then(|(_, change)| change);
        if self.made_by.get(&id).is_some_and(|&by| by > seq) {
            return;
        }
        self.reset(&id);
        self.made_by.insert(id, seq);
        if let Some(at) = change {
            self.change.insert(id, at);
        }
    }

    /// A change for the active subscription `id` at `at`.
    fn changed(&mut self, id: Uuid, at: u64) {
        let earliest = self.change.entry(id).or_insert(at);
        *earliest = (*earliest).min(at);
    }

    /// A change for every entry of `id` (`ServerSession::changed_at`): the active one and
    /// the unanswered subscribes'.
    fn changed_all(&mut self, id: Uuid, at: u64, active: bool) {
        if active {
            self.changed(id, at);
        }
        for (sid, change) in self.pending.values_mut() {
            if *sid == id {
                *change = Some(change.map_or(at, |c| c.min(at)));
            }
        }
    }

    fn touched(&self, id: &Uuid) -> u32 {
        self.touched.get(id).copied().unwrap_or(0)
    }

    /// When an active subscription's next event is due, and why (spec notes D9): its first
    /// at once; a change once its throttle has passed since the last event; a heartbeat a
    /// period (at least the throttle) after it, the heartbeat winning a tie.
    fn next_due(&self, id: &Uuid, rates: Rates) -> Option<(u64, Reason)> {
        let Some(&last) = self.last.get(id) else {
            return Some((0, Reason::Initial));
        };
        let throttle = u64::from(rates.throttle.unwrap_or(0));
        let change = self
            .change
            .get(id)
            .map(|&at| (at.max(last.saturating_add(throttle)), Reason::Change));
        let beat = rates.heartbeat.map(|h| {
            let period = u64::from(h).max(throttle);
            (last.saturating_add(period), Reason::Heartbeat)
        });
        match (change, beat) {
            (Some(c), Some(b)) => Some(if b.0 <= c.0 { b } else { c }),
            (c, b) => c.or(b),
        }
    }

    /// The earliest time an active subscription falls due.
    fn timeout(&self, server: &Server<'_, '_>) -> Option<u64> {
        server
            .subscriptions()
            .filter_map(|s| self.next_due(&s.id, s.rates).map(|(at, _)| at))
            .min()
    }

    /// Moves the clock, fires the timers and checks every event message written.
    fn tick(&mut self, server: &mut Server<'_, '_>, advance: u16, room: u16, events: u8) {
        let timeout = server.poll_timeout();
        self.now += u64::from(advance);
        let now = self.now;
        let expected = server
            .subscriptions()
            .filter(|s| {
                self.next_due(&s.id, s.rates)
                    .is_some_and(|(at, _)| at <= now)
            })
            .count();
        let due = server.handle_timeout(now);
        assert_eq!(
            due, expected,
            "handle_timeout marks what the rates make due"
        );
        // Nothing falls due before the time poll_timeout gave.
        if due > 0 {
            assert!(timeout.is_some_and(|t| t <= now), "due before {timeout:?}");
        }
        let mut buf = vec![0u8; usize::from(room)];
        let mut done = false;
        for _ in 0..=SUBSCRIPTIONS {
            // Each due subscription seen: its data, the events it pushed, whether it is done
            // with (not when its events did not fit after others'), and whether one failed.
            let mut seen: Vec<(Due, Watch, usize, bool, bool)> = Vec::new();
            let mut in_message = 0;
            let written = server.poll_events(now, &mut buf, |due, data, out| {
                let change = DataChange {
                    time: TimePoint::Seconds(1),
                    // The subscription, to check the message's order by.
                    element: due.subscription,
                    values: Seq::from_slice(&[]),
                };
                let mut pushed = 0;
                let mut failed = false;
                for _ in 0..events % 4 {
                    match out.push(change.clone()) {
                        Ok(()) => pushed += 1,
                        Err(_) => failed = true,
                    }
                }
                let sent = !(failed && in_message > 0);
                if sent {
                    in_message += pushed;
                }
                seen.push((due, *data, pushed, sent, failed));
            });
            for (k, (due, data, _, sent, _)) in seen.iter().enumerate() {
                let id = due.subscription;
                assert!(server.is_subscribed(&id), "{due:?} not active");
                assert_eq!(data.id, id, "{due:?} handed another subscription's data");
                assert_eq!(
                    data.touched,
                    self.touched(&id),
                    "subscriptions_mut's changes"
                );
                assert_eq!(seen.iter().filter(|d| d.0.subscription == id).count(), 1);
                if !sent {
                    assert_eq!(k, seen.len() - 1, "the message ends where one did not fit");
                    assert!(matches!(written, Ok(Some(_))), "{written:?}");
                }
            }
            match written {
                Ok(Some(n)) => {
                    let elements: Vec<Uuid> = Batch::new(&buf[..n])
                        .unwrap()
                        .iter()
                        .map(|p| match p.unwrap() {
                            Packet::Event(Event::DataChange(c)) => c.element,
                            other => panic!("an event message holds {other:?}"),
                        })
                        .collect();
                    let want: Vec<Uuid> = seen
                        .iter()
                        .filter(|s| s.3)
                        .flat_map(|s| std::iter::repeat_n(s.0.subscription, s.2))
                        .collect();
                    assert_eq!(elements, want, "the event message holds the events written");
                }
                Ok(None) => {
                    assert!(seen.iter().all(|s| s.2 == 0), "events written, no message");
                }
                Err(ServerError::EventsTooLarge { subscription, .. }) => {
                    let last = seen.last().expect("a subscription was too large");
                    assert_eq!(last.0.subscription, subscription);
                    assert!(last.3, "a subscription too large alone counts as sent");
                }
                Err(e) => panic!("poll_events failed: {e}"),
            }
            let sent = seen.iter().filter(|s| s.3).count();
            for (due, _, pushed, done_with, failed) in seen {
                match (done_with, due.reason, pushed, failed) {
                    (false, ..) => {}
                    // A change that turned out to be none: no event, the timers run on.
                    (true, Reason::Change, 0, false) => self.no_change(server, due),
                    (true, ..) => self.sent(server, due),
                }
            }
            if sent == 0 {
                done = true;
                break;
            }
        }
        assert!(done, "subscriptions still due after every one was written");
    }

    /// `due` came when and why the model says; the subscription's rates.
    fn check_due(&self, server: &Server<'_, '_>, due: Due) -> Rates {
        let rates = server
            .rates(&due.subscription)
            .expect("a due subscription exists");
        let next = self.next_due(&due.subscription, rates);
        assert!(
            next.is_some_and(|(at, reason)| at <= self.now && reason == due.reason),
            "{due:?} at {}, the model says {next:?}",
            self.now
        );
        rates
    }

    /// A due change pushed nothing (poll_events' docs): it was due when the model says,
    /// the changes up to now are taken, and the last event stays the last.
    fn no_change(&mut self, server: &Server<'_, '_>, due: Due) {
        let id = due.subscription;
        self.check_due(server, due);
        if self.change.get(&id).is_some_and(|&at| at <= self.now) {
            self.change.remove(&id);
        }
    }

    /// A due subscription went out at `now`: when and why the model says, no sooner than
    /// its rates allow.
    fn sent(&mut self, server: &Server<'_, '_>, due: Due) {
        let id = due.subscription;
        let rates = self.check_due(server, due);
        let throttle = u64::from(rates.throttle.unwrap_or(0));
        let last = self.last.insert(id, self.now);
        match (due.reason, last) {
            (Reason::Initial, None) => {}
            (Reason::Initial, Some(_)) => panic!("a second initial event"),
            (Reason::Change, Some(last)) => {
                assert!(self.now >= last + throttle);
                let at = self
                    .change
                    .get(&id)
                    .expect("a change event without a change");
                assert!(self.now >= *at, "a change sent before its time");
            }
            (Reason::Heartbeat, Some(last)) => {
                let period = u64::from(rates.heartbeat.expect("a heartbeat has a period"));
                assert!(self.now >= last + period.max(throttle));
            }
            (reason, None) => panic!("{reason:?} before the first event"),
        }
        // The changes up to now are in the event.
        if self.change.get(&id).is_some_and(|&at| at <= self.now) {
            self.change.remove(&id);
        }
    }
}

/// A result for a deferred request: an arbitrary item (maybe of the wrong opcode) or error.
fn late_answer<'a>(u: &mut Unstructured<'a>) -> Result<Answer<'a, Watch>, ErrorObject<'a>> {
    match u.arbitrary::<bool>() {
        Ok(true) => u
            .arbitrary::<Response<'a>>()
            .map(Answer::from)
            .map_err(|_| ErrorObject::new(ErrorCode::ReadError)),
        _ => Err(ErrorObject::new(ErrorCode::WriteError)),
    }
}

/// A result for a deferred subscribe: accepted, or an arbitrary error.
fn late_subscribe(
    u: &mut Unstructured<'_>,
    id: Uuid,
) -> Result<Answer<'static, Watch>, ErrorObject<'static>> {
    match u.arbitrary::<bool>() {
        Ok(true) => Ok(Answer::Subscribed(Watch::new(id))),
        _ => Err(ErrorObject::new(
            u.arbitrary().unwrap_or(ErrorCode::WriteError),
        )),
    }
}

/// Answers a deferred subscribe with `result`, keeping the clock's model.
fn answer_subscribe(
    server: &mut Server<'_, '_>,
    clock: &mut Clock,
    ticket: Ticket,
    (id, seq): (Uuid, u64),
    result: Result<Answer<'_, Watch>, ErrorObject<'_>>,
) {
    let accepted = matches!(result, Ok(Answer::Subscribed(_)));
    server
        .answer(ticket, result)
        .expect("a deferred subscribe is answerable");
    match accepted {
        true => clock.activate(id, seq),
        false => {
            clock.pending.remove(&seq);
        }
    }
}

/// A session whose application defers everything, holding two deferred tickets (a
/// get_stage and a subscribe) that no other session may accept.
fn other_session<'s>(buffers: &'s mut OtherBuffers, app: &mut App<'static>) -> Server<'s, 'static> {
    let mut other = Server::new(ServerConfig::default(), buffers.storage());
    let subscribe = Subscribe {
        entries: Seq::from_slice(&[]),
        maximum_update_rate: None,
        minimum_update_rate: None,
        desired_subscription_id: Some(Uuid::from_u128(1)),
    };
    let message = checks::encode(&[
        Packet::Request(Request {
            id: 1,
            command: ClientHello::default().into(),
        }),
        Packet::Request(Request {
            id: 2,
            command: GetStage {}.into(),
        }),
        Packet::Request(Request {
            id: 3,
            command: subscribe.into(),
        }),
    ]);
    let received = other.handle_message(&message, app).unwrap();
    assert_eq!((received.packets, received.waiting), (3, 2));
    other
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(app_data) = u.arbitrary::<&[u8]>() else {
        return;
    };
    let mut app = App::new(Unstructured::new(app_data), false);
    let mut buffers = Box::new(Buffers::new());
    let mut server = Server::new(ServerConfig::default(), buffers.storage());
    let mut other_buffers = Box::new(OtherBuffers::new());
    let mut other_app = App::new(Unstructured::new(&[]), true);
    let mut other = other_session(&mut other_buffers, &mut other_app);
    let foreign: Vec<Ticket> = other_app.deferred.iter().map(|d| d.ticket).collect();
    let mut clock = Clock::default();
    let mut model = Model::default();
    for step in steps::steps(&mut u) {
        match step {
            Step::Message(packets) => {
                let bytes = checks::encode(&packets);
                feed(&mut server, &mut app, &mut clock, &mut model, &bytes);
            }
            Step::Raw(bytes) => feed(&mut server, &mut app, &mut clock, &mut model, bytes),
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
                feed(&mut server, &mut app, &mut clock, &mut model, &bytes);
            }
            Step::Subscribe {
                id,
                desired,
                throttle,
                heartbeat,
            } => {
                let subscribe = Subscribe {
                    entries: Seq::from_slice(&[]),
                    maximum_update_rate: throttle.map(u64::from),
                    minimum_update_rate: heartbeat.map(u64::from),
                    desired_subscription_id: desired.map(|d| Uuid::from_u128(d.into())),
                };
                let bytes = checks::encode(&[Packet::Request(Request {
                    id,
                    command: subscribe.into(),
                })]);
                feed(&mut server, &mut app, &mut clock, &mut model, &bytes);
            }
            Step::Unsubscribe { id, pick, unknown } => {
                let active: Vec<Uuid> = server.subscriptions().map(|s| s.id).collect();
                let subscription_id = match (unknown, active.len()) {
                    (Some(n), _) => Uuid::from_u128(n.into()),
                    (None, 0) => Uuid::nil(),
                    (None, n) => active[usize::from(pick) % n],
                };
                let bytes = checks::encode(&[Packet::Request(Request {
                    id,
                    command: Unsubscribe { subscription_id }.into(),
                })]);
                feed(&mut server, &mut app, &mut clock, &mut model, &bytes);
            }
            Step::Poll { room } => poll(&mut server, &mut model, usize::from(room)),
            Step::Answer { pick, wrong } => {
                if !app.deferred.is_empty() {
                    let d = app.deferred.remove(usize::from(pick) % app.deferred.len());
                    let waiting = server.waiting();
                    match (d.subscription, wrong) {
                        (None, false) => {
                            let result = late_answer(&mut app.u);
                            server
                                .answer(d.ticket, result)
                                .expect("a deferred ticket is answerable");
                        }
                        (None, true) => {
                            let wrong = Ok(Answer::Subscribed(Watch::new(Uuid::nil())));
                            server
                                .answer(d.ticket, wrong)
                                .expect("a deferred ticket is answerable");
                        }
                        (Some(sub), false) => {
                            let result = late_subscribe(&mut app.u, sub.0);
                            answer_subscribe(&mut server, &mut clock, d.ticket, sub, result);
                        }
                        (Some(sub), true) => {
                            let wrong = Ok(Response::Subscribe(Some(sub.0)).into());
                            answer_subscribe(&mut server, &mut clock, d.ticket, sub, wrong);
                        }
                    }
                    assert_eq!(server.waiting(), waiting - 1);
                    app.answered.push(d.ticket);
                }
            }
            Step::Stale { pick, subscribe } => {
                if !app.answered.is_empty() {
                    let ticket = app.answered[usize::from(pick) % app.answered.len()];
                    let stale = match subscribe {
                        true => Ok(Answer::Subscribed(Watch::new(Uuid::nil()))),
                        false => Err(ErrorObject::new(ErrorCode::ReadError)),
                    };
                    let stale = server.answer(ticket, stale);
                    assert_eq!(stale, Err(ServerError::UnknownTicket(ticket)));
                }
            }
            Step::Foreign { pick } => {
                let (waiting, other_waiting) = (server.waiting(), other.waiting());
                let watch = || Ok(Answer::Subscribed(Watch::new(Uuid::from_u128(1))));
                let error = || Err(ErrorObject::new(ErrorCode::ReadError));
                for &ticket in &foreign {
                    let unknown = Err(ServerError::UnknownTicket(ticket));
                    assert_eq!(server.answer(ticket, error()), unknown, "another session's");
                    assert_eq!(server.answer(ticket, watch()), unknown);
                }
                if !app.deferred.is_empty() {
                    let ticket = app.deferred[usize::from(pick) % app.deferred.len()].ticket;
                    let unknown = Err(ServerError::UnknownTicket(ticket));
                    assert_eq!(other.answer(ticket, error()), unknown, "another session's");
                    assert_eq!(other.answer(ticket, watch()), unknown);
                }
                assert_eq!(server.waiting(), waiting);
                assert_eq!(other.waiting(), other_waiting);
            }
            Step::Changed {
                pick,
                unknown,
                at,
                via_mut,
            } => {
                let now = clock.now;
                let at = at.map(|d| now.saturating_add_signed(i64::from(d)));
                let active: Vec<(Uuid, Rates)> =
                    server.subscriptions().map(|s| (s.id, s.rates)).collect();
                if via_mut && !active.is_empty() {
                    let n = usize::from(pick) % active.len();
                    let (id, rates) = active[n];
                    let mut all = server.subscriptions_mut();
                    let mut sub = all.nth(n).expect("subscriptions_mut: the active ones");
                    assert_eq!((sub.id(), sub.rates()), (id, rates));
                    assert_eq!(sub.data().id, id);
                    sub.data_mut().touched += 1;
                    sub.changed_at(at.unwrap_or(0));
                    drop(all);
                    assert_eq!(server.subscriptions_mut().count(), active.len());
                    *clock.touched.entry(id).or_insert(0) += 1;
                    clock.changed(id, at.unwrap_or(0));
                } else {
                    let subscription = match active.len() {
                        0 => unknown,
                        n => active[usize::from(pick) % n].0,
                    };
                    let result = match at {
                        None => server.changed(&subscription),
                        Some(at) => server.changed_at(&subscription, at),
                    };
                    match server.rates(&subscription) {
                        Some(_) => {
                            assert_eq!(result, Ok(()));
                            let active = server.is_subscribed(&subscription);
                            clock.changed_all(subscription, at.unwrap_or(0), active);
                        }
                        None => {
                            assert_eq!(result, Err(ServerError::UnknownSubscription(subscription)))
                        }
                    }
                }
            }
            Step::Time {
                advance,
                room,
                events,
            } => clock.tick(&mut server, advance, room, events),
        }
        invariants(&server, &app, &clock);
    }

    // The end: answer everything deferred; every reply must then be sent, each once.
    for d in std::mem::take(&mut app.deferred) {
        match d.subscription {
            None => {
                let result = late_answer(&mut app.u);
                server
                    .answer(d.ticket, result)
                    .expect("a deferred ticket is answerable");
            }
            Some(sub) => {
                let result = late_subscribe(&mut app.u, sub.0);
                answer_subscribe(&mut server, &mut clock, d.ticket, sub, result);
            }
        }
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
    invariants(&server, &app, &clock);
    assert_eq!(other.waiting(), 2, "the other session's tickets still wait");
});
