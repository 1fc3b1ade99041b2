//! Random message sequences through the session machines, checking their invariants:
//! no command reaches the application before a hello succeeded, one reply message per
//! request message with one response per packet (ids in request order), tables within
//! their capacities, a rejected client message changes nothing, and no panics.

use std::collections::VecDeque;

use proptest::prelude::*;
use xentara_ws::items::ServerHello;
use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;
use xentara_ws_support::session::encode;
use xentara_ws_support::session::*;
use xentara_ws_support::vectors::*;

/// Small capacities, so that every limit is hit: 2 sub-sessions, 2 subscriptions, 2 reply
/// messages of at most 4 responses and 256 bytes.
type Server = ServerSession<'static, PropApp>;
/// A `Server` session: reply messages of 4 responses and 256 bytes.
fn server() -> Server {
    server_with(Sizes::small(4, 256))
}
const PACKETS: usize = 4;

/// One packet of a generated request message.
#[derive(Debug, Clone)]
enum Item {
    Hello(u64, u64),
    Stage,
    Lookup(bool),
    Subscribe(Option<u8>),
    Unsubscribe(u8),
    Create(bool, Option<u8>),
    Close(u8),
    Write(Option<u8>),
    Suspend(Option<u8>),
    Info,
    UnknownOpcode(u64),
    /// `[0, id, 1, {}]`: browse without its element.
    BadParams,
    /// `[1, id]`.
    NotRequest,
    /// `5`.
    NotAPacket,
}

/// The UUID pool commands draw from; 0 is nil.
fn pool(i: u8) -> Uuid {
    if i == 0 {
        Uuid::nil()
    } else {
        Uuid::from_u128(u128::from(i))
    }
}

fn item() -> impl Strategy<Value = Item> {
    let id = || 0u8..4;
    prop_oneof![
        3 => (0u64..3, 0u64..3).prop_map(|(a, b)| Item::Hello(a, b)),
        2 => Just(Item::Stage),
        1 => any::<bool>().prop_map(Item::Lookup),
        2 => proptest::option::of(id()).prop_map(Item::Subscribe),
        2 => id().prop_map(Item::Unsubscribe),
        2 => (any::<bool>(), proptest::option::of(id())).prop_map(|(a, b)| Item::Create(a, b)),
        2 => id().prop_map(Item::Close),
        1 => proptest::option::of(id()).prop_map(Item::Write),
        1 => proptest::option::of(id()).prop_map(Item::Suspend),
        1 => Just(Item::Info),
        1 => (15u64..300).prop_map(Item::UnknownOpcode),
        1 => Just(Item::BadParams),
        1 => Just(Item::NotRequest),
        1 => Just(Item::NotAPacket),
    ]
}

#[derive(Debug, Clone)]
enum Msg {
    Items(Vec<Item>),
    Bytes(Vec<u8>),
}

/// One step: a message, which of the app's commands to defer, and how many deferred
/// commands to answer afterwards.
fn step() -> impl Strategy<Value = (Msg, Vec<bool>, usize)> {
    let msg = prop_oneof![
        6 => proptest::collection::vec(item(), 0..7).prop_map(Msg::Items),
        1 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Msg::Bytes),
    ];
    (
        msg,
        proptest::collection::vec(any::<bool>(), 0..4),
        0usize..3,
    )
}

/// A CBOR unsigned integer.
fn uint(n: u64) -> Vec<u8> {
    let mut out = vec![0u8; 9];
    let len = xentara_ws::encode(&n, &mut out).unwrap();
    out.truncate(len);
    out
}

/// The command of an item; `None` for the items that are not valid requests.
fn command(item: &Item) -> Option<Command<'static>> {
    Some(match item {
        Item::Hello(min, max) => ClientHello {
            min_version: *min,
            max_version: *max,
        }
        .into(),
        Item::Stage => GetStage.into(),
        Item::Lookup(known) => lookup(if *known { "Group 1.Data Point 1" } else { "x" }).into(),
        Item::Subscribe(d) => subscribe(d.map(pool)),
        Item::Unsubscribe(d) => Unsubscribe {
            subscription_id: pool(*d),
        }
        .into(),
        Item::Create(good, d) => {
            create("admin", if *good { "admin" } else { "no" }, d.map(pool)).into()
        }
        Item::Close(d) => close(pool(*d)).into(),
        Item::Write(d) => Write {
            element: E3EE,
            attribute: Attribute::Value.into(),
            value: Value::Float(1.5),
            sub_session_id: d.map(pool),
        }
        .into(),
        Item::Suspend(d) => Suspend {
            session_id: d.map(pool),
        }
        .into(),
        Item::Info => server_information().into(),
        Item::UnknownOpcode(_) | Item::BadParams | Item::NotRequest | Item::NotAPacket => {
            return None;
        }
    })
}

/// A packet's bytes (without the outer array).
fn packet_bytes(item: &Item, id: MessageId) -> Vec<u8> {
    let id_bytes = uint(id as u64);
    match item {
        Item::UnknownOpcode(op) => [&[0x84, 0x00][..], &id_bytes, &uint(*op), &[0xa0]].concat(),
        Item::BadParams => [&[0x84, 0x00][..], &id_bytes, &[0x01, 0xa0]].concat(),
        Item::NotRequest => [&[0x82, 0x01][..], &id_bytes].concat(),
        Item::NotAPacket => vec![0x05],
        other => match command(other) {
            Some(c) => encode(&[req(id, c)])[1..].to_vec(),
            None => vec![0x05],
        },
    }
}

/// What the codec reads from a message: per packet, its id (0 when unreadable) and whether
/// it is a hello that version 1 accepts, a command for the application, or neither.
fn expected(message: &[u8]) -> Vec<(MessageId, Option<bool>)> {
    let Ok(batch) = Batch::new(message) else {
        return vec![(0, None)];
    };
    batch
        .into_iter()
        .map(|p| match p {
            Ok(Packet::Request(r)) => {
                let kind = match &r.command {
                    Command::ClientHello(h) => Some(h.min_version <= 1 && 1 <= h.max_version),
                    Command::CreateSubSession(_) | Command::CloseSubSession(_) => None,
                    _ => Some(false),
                };
                (r.id, kind)
            }
            Ok(other) => (other.id().unwrap_or(0), None),
            Err(e) => (e.id().unwrap_or(0), None),
        })
        .collect()
}

/// Defers the commands its mask says, answers the rest like [`TestApp`].
struct PropApp {
    inner: TestApp,
    mask: Vec<bool>,
    handled: usize,
    deferred: Vec<(Ticket, Opcode)>,
}

impl Application for PropApp {
    type Identity = String;
    type Subscription = Watched;
    fn authenticate(&mut self, c: &Credentials<'_>) -> Result<String, ErrorCode> {
        self.inner.authenticate(c)
    }
    fn fresh_id(&mut self, kind: IdKind) -> Uuid {
        self.inner.fresh_id(kind)
    }
    fn handle(&mut self, request: AppRequest<'_, String>, reply: Reply<'_, Watched>) -> Replied {
        let defer = self
            .mask
            .get(self.handled % self.mask.len().max(1))
            .copied();
        self.handled += 1;
        if defer == Some(true) {
            self.inner.seen.push((request.id, request.command.opcode()));
            self.deferred
                .push((request.ticket, request.command.opcode()));
            return reply.later();
        }
        self.inner.handle(request, reply)
    }
}

/// A success item of the right type for `opcode`.
fn answer_for(opcode: Opcode) -> Response<'static> {
    match opcode {
        Opcode::GetStage => Response::GetStage(Stage::Operational),
        Opcode::Lookup => Response::Lookup(E3EE),
        Opcode::Subscribe => Response::Subscribe(None),
        Opcode::Write => Response::Write(()),
        Opcode::Unsubscribe => Response::Unsubscribe(()),
        Opcode::Suspend => Response::Suspend(()),
        Opcode::Shutdown => Response::Shutdown(()),
        Opcode::Resume => Response::Resume(()),
        Opcode::CloseSubSession => Response::CloseSubSession(()),
        Opcode::CreateSubSession => Response::CreateSubSession(E3EE),
        Opcode::ClientHello => Response::ClientHello(ServerHello { current_version: 1 }),
        Opcode::ServerInformation => Response::ServerInformation(Seq::from_slice(&[])),
        Opcode::Browse => Response::Browse(Seq::from_slice(&[])),
        Opcode::Read => Response::Read(Seq::from_slice(&[])),
        Opcode::MetaData => Response::MetaData(xentara_ws::items::MetaDataItem {
            primary_key: None,
            category: None,
            attributes: None,
            has_children: None,
        }),
    }
}

struct Harness {
    server: Server,
    app: PropApp,
    /// Ids of the reply messages still to come, oldest first.
    replies: VecDeque<Vec<MessageId>>,
    hello: bool,
    next_id: MessageId,
}

impl Harness {
    fn drain(&mut self) -> Result<(), TestCaseError> {
        let mut out = vec![0u8; 4096];
        while let Some(n) = self.server.poll_transmit(&mut out).unwrap() {
            let ids: Vec<_> = packets(&out[..n]).iter().map(|g| g.id).collect();
            let want = self.replies.pop_front();
            prop_assert_eq!(Some(ids), want, "reply ids");
        }
        Ok(())
    }

    fn answer(&mut self, count: usize) -> Result<(), TestCaseError> {
        for (ticket, opcode) in self
            .app
            .deferred
            .drain(..count.min(self.app.deferred.len()))
        {
            let answer = match opcode {
                // A subscribe is accepted with what the application keeps for it.
                Opcode::Subscribe => Answer::Subscribed(Watched(1)),
                _ => answer_for(opcode).into(),
            };
            let answered = self.server.answer(ticket, Ok(answer));
            prop_assert_eq!(answered, Ok(()));
        }
        self.drain()
    }

    fn feed(&mut self, message: &[u8]) -> Result<(), TestCaseError> {
        let packets = expected(message);
        let seen_before = self.app.inner.seen.len();
        let mut result = self.server.handle_message(message, &mut self.app);
        if let Err(ServerError::Busy { .. }) = result {
            self.answer(usize::MAX)?;
            result = self.server.handle_message(message, &mut self.app);
        }
        let seen: Vec<MessageId> = self.app.inner.seen[seen_before..]
            .iter()
            .map(|s| s.0)
            .collect();
        let Ok(received) = result else {
            prop_assert!(seen.is_empty());
            return Ok(());
        };
        prop_assert_eq!(
            received.packets,
            if message == [0x80] { 0 } else { packets.len() }
        );
        let over_limit = packets.len() > PACKETS;
        // Which commands may reach the app: those after a good hello, in a message within
        // the limits.
        let mut allowed = Vec::new();
        for (id, kind) in &packets {
            match kind {
                Some(true) if !over_limit => self.hello = true,
                Some(false) if self.hello && !over_limit => allowed.push(*id),
                _ => {}
            }
        }
        for id in &seen {
            let at = allowed.iter().position(|a| a == id);
            prop_assert!(at.is_some(), "command {} reached the app", id);
            allowed.remove(at.unwrap());
        }
        prop_assert_eq!(
            self.server.state() != ServerState::AwaitingHello,
            self.hello
        );
        if received.packets > 0 {
            self.replies
                .push_back(packets.iter().map(|p| p.0).collect());
        }
        self.check_tables()
    }

    fn check_tables(&self) -> Result<(), TestCaseError> {
        prop_assert!(self.server.sub_sessions().count() <= 2);
        prop_assert!(self.server.subscription_entries() <= 2);
        prop_assert!(self.server.open_messages() <= 2);
        prop_assert!(self.server.waiting() <= 2 * PACKETS);
        Ok(())
    }
}

/// Hello items only count as hellos when the message ids are ours; this is used for the
/// `Items` messages (ids from a counter).
fn items_message(items: &[Item], next_id: &mut MessageId) -> Vec<u8> {
    let mut message = vec![0x80 | items.len() as u8];
    for item in items {
        *next_id += 1;
        message.extend(packet_bytes(item, *next_id));
    }
    message
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn server_invariants_hold_for_random_message_sequences(steps in proptest::collection::vec(step(), 1..10)) {
        let mut h = Harness {
            server: server(),
            app: PropApp { inner: TestApp::default(), mask: Vec::new(), handled: 0, deferred: Vec::new() },
            replies: VecDeque::new(),
            hello: false,
            next_id: 0,
        };
        for (msg, mask, answers) in steps {
            h.app.mask = mask;
            let message = match msg {
                Msg::Items(items) => items_message(&items, &mut h.next_id),
                Msg::Bytes(bytes) => bytes,
            };
            h.feed(&message)?;
            h.answer(answers)?;
        }
        h.answer(usize::MAX)?;
        prop_assert!(h.replies.is_empty(), "every request answered");
        prop_assert_eq!(h.server.open_messages(), 0);
    }
}

// ---- the client ----

#[derive(Debug, Clone)]
enum ClientStep {
    /// Send these commands (as items) in one message.
    Send(Vec<Item>),
    /// The server answers: for each pending request (oldest first) whether to answer it
    /// with success, with an error, or not at all; plus an unknown id and an event.
    Answer(Vec<Option<bool>>, bool, bool),
    /// Random bytes from the server.
    Bytes(Vec<u8>),
}

fn client_step() -> impl Strategy<Value = ClientStep> {
    prop_oneof![
        3 => proptest::collection::vec(item(), 0..5).prop_map(ClientStep::Send),
        3 => (proptest::collection::vec(proptest::option::of(any::<bool>()), 0..6), any::<bool>(), any::<bool>())
            .prop_map(|(a, u, e)| ClientStep::Answer(a, u, e)),
        1 => proptest::collection::vec(any::<u8>(), 0..16).prop_map(ClientStep::Bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[cfg_attr(miri, ignore = "proptest: far too slow under miri")]
    #[test]
    fn client_invariants_hold_for_random_exchanges(steps in proptest::collection::vec(client_step(), 1..12)) {
        let mut client: ClientSession<4> = ClientSession::default();
        let mut in_flight: Vec<(MessageId, Opcode)> = Vec::new();
        for step in steps {
            let message = match step {
                ClientStep::Send(items) => {
                    let mut buf = [0u8; 1024];
                    let mut batch = client.start_batch(&mut buf);
                    for command in items.iter().filter_map(command) {
                        let _ = batch.request(command);
                    }
                    if let Ok(sent) = batch.finish() {
                        for packet in Batch::new(sent).unwrap() {
                            let Ok(Packet::Request(r)) = packet else { panic!("{packet:?}") };
                            prop_assert!(!in_flight.iter().any(|f| f.0 == r.id), "id {} reused", r.id);
                            in_flight.push((r.id, r.command.opcode()));
                        }
                    }
                    prop_assert!(client.pending_len() <= 4);
                    prop_assert_eq!(client.pending_len(), in_flight.len());
                    continue;
                }
                ClientStep::Answer(plan, unknown, event) => {
                    let mut packets: Vec<Packet<'static>> = Vec::new();
                    for ((id, opcode), answer) in in_flight.iter().zip(plan) {
                        match answer {
                            Some(true) => packets.push(Packet::Success(Success::new(*id, answer_for(*opcode)))),
                            Some(false) => packets.push(Packet::Error(ErrorResponse {
                                id: *id,
                                error: ErrorObject::new(ErrorCode::AccessDenied),
                            })),
                            None => {}
                        }
                    }
                    if unknown {
                        packets.push(Packet::Success(Success::new(-7, Response::Write(()))));
                    }
                    if event {
                        packets.push(Packet::Event(Event::DataChange(data_change())));
                    }
                    encode(&packets)
                }
                ClientStep::Bytes(bytes) => bytes,
            };
            let before = format!("{client:?}");
            let count = Batch::new(&message).map(|b| b.into_iter().count()).unwrap_or(0);
            let result = Batch::new(&message).map(|batch| {
                client
                    .handle_message(&batch)
                    .map(|o| match o {
                        Outcome::Success { id, .. } | Outcome::Error { id, .. } | Outcome::Unexpected { id, .. } => Some(id),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            });
            match result {
                Ok(outcomes) => {
                    prop_assert_eq!(outcomes.len(), count);
                    for id in outcomes.iter().flatten() {
                        in_flight.retain(|f| f.0 != *id);
                    }
                }
                Err(_) => prop_assert_eq!(format!("{client:?}"), before, "a rejected message changed the session"),
            }
            prop_assert!(client.pending_len() <= 4);
            prop_assert_eq!(client.pending_len(), in_flight.len());
        }
    }
}
