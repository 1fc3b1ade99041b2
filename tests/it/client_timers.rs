//! The client machine's deadlines and `close()`, on a virtual clock; and a
//! property test: any interleaving of responses, events, garbage packets, timeouts and
//! `close()` keeps the pending table equal to a model's, and every request ends with
//! exactly one outcome.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use xentara_ws::items::ServerHello;
use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;
use xentara_ws_support::session::encode;

fn hello_ok(id: MessageId) -> Packet<'static> {
    Packet::Success(Success::new(
        id,
        Response::ClientHello(ServerHello { current_version: 1 }),
    ))
}

fn stage_ok(id: MessageId) -> Packet<'static> {
    Packet::Success(Success::new(id, Response::GetStage(Stage::Operational)))
}

fn lost(id: MessageId, opcode: Opcode, cause: Lost) -> Outcome<'static> {
    Outcome::Lost { id, opcode, cause }
}

/// Sends get_stage requests with `deadline`; returns their ids (the hello first, if sent).
fn send(client: &mut ClientSession, n: usize, deadline: Option<u64>) -> Vec<MessageId> {
    let mut buf = [0u8; 256];
    let mut batch = client.start_batch(&mut buf);
    batch.set_deadline(deadline);
    let ids = (0..n).map(|_| batch.request(GetStage).unwrap()).collect();
    let _ = batch.finish().unwrap();
    ids
}

fn sorted(mut outcomes: Vec<Outcome<'static>>) -> Vec<Outcome<'static>> {
    outcomes.sort_by_key(|o| match o {
        Outcome::Lost { id, .. } => *id,
        _ => i64::MAX,
    });
    outcomes
}

#[test]
fn a_request_times_out_at_its_deadline_and_its_late_answer_is_unknown() {
    let mut client: ClientSession = ClientSession::default();
    let _ = send(&mut client, 0, None); // the hello, without a deadline
    let _ = client
        .handle_message(&Batch::new(&encode(&[hello_ok(1)])).unwrap())
        .count();
    let ids = send(&mut client, 1, Some(100));
    assert_eq!(ids, vec![2]);
    assert_eq!(client.poll_timeout(), Some(100));
    assert_eq!(client.handle_timeout(99).count(), 0);
    assert_eq!(
        client.handle_timeout(100).collect::<Vec<_>>(),
        vec![lost(2, Opcode::GetStage, Lost::TimedOut)]
    );
    assert_eq!((client.poll_timeout(), client.pending_len()), (None, 0));
    let message = encode(&[stage_ok(2)]);
    let batch = Batch::new(&message).unwrap();
    let late: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(
        late,
        vec![Outcome::Unexpected {
            id: 2,
            reason: Unexpected::UnknownId
        }]
    );
    assert_eq!(client.state(), ClientState::Ready { version: 1 });
}

#[test]
fn the_deadline_applies_to_the_requests_added_after_it() {
    let mut client: ClientSession = ClientSession::default();
    let mut buf = [0u8; 256];
    let mut batch = client.start_batch(&mut buf);
    let first = batch.request(GetStage).unwrap(); // the hello (1) and this (2): none
    batch.set_deadline(Some(50));
    let second = batch.request(GetStage).unwrap();
    batch.set_deadline(Some(30));
    let third = batch.request(GetStage).unwrap();
    let _ = batch.finish().unwrap();
    assert_eq!((first, second, third), (2, 3, 4));
    assert_eq!(client.poll_timeout(), Some(30));
    assert_eq!(
        client.handle_timeout(40).collect::<Vec<_>>(),
        vec![lost(4, Opcode::GetStage, Lost::TimedOut)]
    );
    assert_eq!(client.poll_timeout(), Some(50));
    assert_eq!(
        client.handle_timeout(1000).collect::<Vec<_>>(),
        vec![lost(3, Opcode::GetStage, Lost::TimedOut)]
    );
    // The hello and the first request have no deadline: they wait.
    assert_eq!(client.poll_timeout(), None);
    assert_eq!(client.pending_len(), 2);
}

#[test]
fn a_hello_that_times_out_closes_the_session() {
    let mut client: ClientSession = ClientSession::default();
    let mut buf = [0u8; 256];
    let mut batch = client.start_batch(&mut buf);
    batch.set_deadline(Some(10));
    let _ = batch.request(GetStage).unwrap();
    batch.set_deadline(None);
    let _ = batch.request(GetStage).unwrap();
    let _ = batch.finish().unwrap();
    let outcomes = sorted(client.handle_timeout(10).collect());
    assert_eq!(
        outcomes,
        vec![
            lost(1, Opcode::ClientHello, Lost::TimedOut),
            // Its own deadline is later, but it cannot succeed without the hello; it
            // ends as closed or timed out depending on which the iteration met first.
            outcomes[1].clone(),
            lost(3, Opcode::GetStage, Lost::Closed),
        ]
    );
    assert!(matches!(
        outcomes[1],
        Outcome::Lost {
            id: 2,
            cause: Lost::TimedOut | Lost::Closed,
            ..
        }
    ));
    assert_eq!(client.state(), ClientState::Closed);
    assert_eq!(client.pending_len(), 0);
    let mut batch = client.start_batch(&mut buf);
    assert_eq!(batch.request(GetStage), Err(ClientError::Closed));
}

#[test]
fn close_ends_every_request_in_flight() {
    let mut client: ClientSession = ClientSession::default();
    let ids = send(&mut client, 3, Some(500));
    assert_eq!(ids, vec![2, 3, 4]);
    let outcomes = sorted(client.close().collect());
    assert_eq!(
        outcomes,
        vec![
            lost(1, Opcode::ClientHello, Lost::Closed),
            lost(2, Opcode::GetStage, Lost::Closed),
            lost(3, Opcode::GetStage, Lost::Closed),
            lost(4, Opcode::GetStage, Lost::Closed),
        ]
    );
    assert_eq!(client.state(), ClientState::Closed);
    assert_eq!((client.pending_len(), client.poll_timeout()), (0, None));
    assert_eq!(client.close().count(), 0);
    // Dropping the iterator still ends everything.
    let mut other: ClientSession = ClientSession::default();
    let _ = send(&mut other, 2, None);
    drop(other.close());
    assert_eq!(other.pending_len(), 0);
}

/// One thing that happens to the client.
#[derive(Debug, Clone)]
enum Step {
    /// Send `n` get_stage/lookup requests with a deadline `after` ms from now (or none).
    Send {
        n: usize,
        after: Option<u16>,
        lookup: bool,
    },
    /// The server answers the `pick`-th requests in flight: 0 success, 1 error, 2 a
    /// success item of the wrong type (garbage), interleaved with an event and a response
    /// to an id never sent.
    Answer {
        picks: Vec<(usize, u8)>,
        event: bool,
        stray: bool,
    },
    /// The clock moves.
    Advance(u16),
    /// The connection is gone.
    Close,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..4usize, proptest::option::of(0..200u16), any::<bool>())
            .prop_map(|(n, after, lookup)| Step::Send { n, after, lookup }),
        (
            proptest::collection::vec((0..8usize, 0..3u8), 0..4),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(picks, event, stray)| Step::Answer {
                picks,
                event,
                stray
            }),
        (0..300u16).prop_map(Step::Advance),
        Just(Step::Close),
    ]
}

/// The model: requests in flight with their opcode and deadline, and who ended.
#[derive(Default)]
struct Model {
    now: u64,
    pending: BTreeMap<MessageId, (Opcode, Option<u64>)>,
    ended: BTreeSet<MessageId>,
    closed: bool,
}

impl Model {
    /// Takes the outcomes that end requests: each ends one in flight, exactly once.
    fn end(&mut self, id: MessageId) {
        assert!(
            self.pending.remove(&id).is_some(),
            "{id} ended but was not in flight"
        );
        assert!(self.ended.insert(id), "{id} ended twice");
    }
}

fn run(steps: Vec<Step>) {
    let mut client: ClientSession<8> = ClientSession::default();
    let mut model = Model::default();
    let mut hello_answered = false;
    for step in steps {
        match step {
            Step::Send { n, after, lookup } => {
                let mut buf = [0u8; 512];
                let mut batch = client.start_batch(&mut buf);
                let deadline = after.map(|a| model.now + u64::from(a));
                batch.set_deadline(deadline);
                for _ in 0..n {
                    let command = match lookup {
                        true => Command::from(Lookup {
                            primary_key: Text::new("x"),
                        }),
                        false => Command::from(GetStage),
                    };
                    match batch.request(command) {
                        Ok(_) => {}
                        Err(ClientError::Closed) => assert!(model.closed),
                        Err(ClientError::PendingFull { .. }) => break,
                        Err(e) => panic!("{e}"),
                    }
                }
                let Ok(message) = batch.finish() else {
                    continue;
                };
                for packet in Batch::new(message).unwrap() {
                    let Packet::Request(r) = packet.unwrap() else {
                        unreachable!()
                    };
                    assert!(!model.pending.contains_key(&r.id) && !model.ended.contains(&r.id));
                    model.pending.insert(r.id, (r.command.opcode(), deadline));
                }
            }
            Step::Answer {
                picks,
                event,
                stray,
            } => {
                let ids: Vec<MessageId> = model.pending.keys().copied().collect();
                let mut packets = Vec::new();
                // The server answers the hello first (it answers in order).
                if !hello_answered && ids.first() == Some(&1) {
                    packets.push(hello_ok(1));
                    hello_answered = true;
                } else if !hello_answered {
                    continue;
                }
                for (pick, kind) in picks {
                    let Some(&id) = ids.get(pick % ids.len().max(1)).filter(|&&id| id != 1) else {
                        continue;
                    };
                    if packets.iter().any(|p: &Packet<'_>| p.id() == Some(id)) {
                        continue;
                    }
                    let (opcode, _) = model.pending[&id];
                    packets.push(match (kind, opcode) {
                        (0, Opcode::Lookup) => {
                            Packet::Success(Success::new(id, Response::Lookup(Uuid::from_u128(9))))
                        }
                        (0, _) => stage_ok(id),
                        (1, _) => Packet::Error(ErrorResponse {
                            id,
                            error: ErrorObject::new(ErrorCode::ReadError),
                        }),
                        // A lookup answered with a stage, a stage with a UUID: garbage.
                        (_, Opcode::Lookup) => stage_ok(id),
                        (_, _) => {
                            Packet::Success(Success::new(id, Response::Lookup(Uuid::from_u128(9))))
                        }
                    });
                }
                if event {
                    packets.push(Packet::Event(Event::DataChange(
                        xentara_ws_support::session::data_change(),
                    )));
                }
                if stray {
                    packets.push(stage_ok(10_000));
                }
                let message = encode(&packets);
                for outcome in client.handle_message(&Batch::new(&message).unwrap()) {
                    match outcome {
                        Outcome::Success { id, .. } | Outcome::Error { id, .. } => model.end(id),
                        Outcome::Invalid(e) => model.end(e.id().expect("garbage has its id")),
                        Outcome::Event(_) => assert!(event),
                        Outcome::Unexpected { id, reason } => {
                            assert_eq!(reason, Unexpected::UnknownId);
                            assert!(!model.pending.contains_key(&id));
                        }
                        Outcome::Lost { .. } => panic!("a message ends nothing as lost"),
                    }
                }
            }
            Step::Advance(ms) => {
                model.now += u64::from(ms);
                let now = model.now;
                let hello_due = model
                    .pending
                    .get(&1)
                    .is_some_and(|(_, d)| d.is_some_and(|d| d <= now));
                for outcome in client.handle_timeout(now) {
                    let Outcome::Lost { id, cause, .. } = outcome else {
                        panic!("{outcome:?}")
                    };
                    let (_, deadline) = model.pending[&id];
                    match cause {
                        Lost::TimedOut => assert!(deadline.is_some_and(|d| d <= now)),
                        Lost::Closed => assert!(hello_due),
                    }
                    model.end(id);
                }
                // Everything due has ended.
                assert!(
                    model
                        .pending
                        .values()
                        .all(|(_, d)| d.is_none_or(|d| d > now))
                );
                if hello_due {
                    model.closed = true;
                    assert!(model.pending.is_empty());
                }
            }
            Step::Close => {
                for outcome in client.close() {
                    let Outcome::Lost {
                        id,
                        cause: Lost::Closed,
                        ..
                    } = outcome
                    else {
                        panic!("{outcome:?}")
                    };
                    model.end(id);
                }
                model.closed = true;
            }
        }
        // The pending table is the model's.
        assert_eq!(client.pending_len(), model.pending.len());
        for (&id, &(opcode, _)) in &model.pending {
            assert_eq!(client.pending(id), Some(opcode));
        }
        let earliest = model.pending.values().filter_map(|(_, d)| *d).min();
        assert_eq!(client.poll_timeout(), earliest);
        if model.closed {
            assert_eq!(client.state(), ClientState::Closed);
        }
    }
    // Every request ends: close the rest.
    for outcome in client.close() {
        let Outcome::Lost { id, .. } = outcome else {
            panic!()
        };
        model.end(id);
    }
    assert!(model.pending.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    #[cfg_attr(miri, ignore = "proptest is too slow under miri")]
    fn every_request_ends_with_exactly_one_outcome(steps in proptest::collection::vec(step(), 1..40)) {
        run(steps);
    }
}
