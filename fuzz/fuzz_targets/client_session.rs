//! Arbitrary server messages fed to a client session with requests in flight. The input
//! interleaves sending batches of arbitrary commands, answers to pending requests (typed
//! items of their own or any opcode, errors, unknown ids), arbitrary packets and raw bytes,
//! and cancellations. A model of the requests in flight checks after each step:
//!
//! - the session's pending table is exactly the model's (ids and opcodes), within capacity,
//!   and no id is in flight twice;
//! - a message that is not an array of packets is refused whole and changes nothing (state
//!   and pending table as before);
//! - any other message yields one outcome per packet, in order: a success or error only for
//!   a request in flight (then no longer pending), its item typed by that request's
//!   opcode; `Invalid` for a packet that does not decode (answering the request its id
//!   names, if in flight), with an error that points inside the message; `Unexpected`
//!   otherwise; the hello's answer moves the state on;
//! - an item generated for its request's own opcode is never `Invalid`, and reads to its
//!   end;
//! - a refused hello stops every further request;
//! - on a clock the input moves, `handle_timeout(now)` ends exactly the requests whose
//!   deadline has passed (`Lost::TimedOut`), and all the others when the hello was among
//!   them (`Lost::Closed`, the session closed); `poll_timeout` is the earliest deadline;
//! - `close()` ends every request in flight with `Lost::Closed`, and nothing can be sent
//!   afterwards.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::session::{ClientError, ClientSession, ClientState, Lost, Outcome, Unexpected};
use xentara_ws::{
    Command, ErrorObject, ErrorResponse, MessageId, Opcode, Packet, Response, Success,
};

/// A success item that encodes as none: `[1, id]`.
const NO_ITEM: Response<'static> = Response::Write(());

use xentara_ws_support::checks;
mod steps;

const PENDING: usize = 4;

type Client = ClientSession<PENDING>;

/// One thing that happens to the session.
#[derive(Arbitrary, Debug)]
enum Step<'a> {
    /// A batch of requests, written into a buffer of `room` bytes.
    Send {
        commands: Vec<Command<'a>>,
        room: u16,
        /// The requests' deadline, this many ms from now.
        deadline: Option<u16>,
    },
    /// The server answers pending requests: per pick, the `pick`-th pending request gets a
    /// success with an arbitrary item or an error (or an id nobody uses).
    Answer(Vec<(u8, Answer<'a>)>),
    /// A message of arbitrary packets.
    Packets(Vec<Packet<'a>>),
    /// Arbitrary bytes as a message.
    Raw(&'a [u8]),
    /// Forgets the `pick`-th pending request.
    Cancel(u8),
    /// The clock moves this many ms; the timers fire.
    Advance(u16),
    /// The connection is gone.
    Close,
}

/// How the server answers one request.
#[derive(Arbitrary, Debug)]
enum Answer<'a> {
    /// A success whose item is typed by the request's own opcode, generated from these
    /// bytes (`None`: no item).
    Typed(Option<&'a [u8]>),
    /// A success with any item (maybe of another opcode).
    Any(Response<'a>),
    Error(ErrorObject<'a>),
    /// An answer to an id nobody sent.
    Stray(MessageId),
}

/// An item of `op`'s type, generated from `u`.
fn item_for<'a>(op: Opcode, u: &mut Unstructured<'a>) -> arbitrary::Result<Response<'a>> {
    Ok(match op {
        Opcode::ServerInformation => Response::ServerInformation(u.arbitrary()?),
        Opcode::Browse => Response::Browse(u.arbitrary()?),
        Opcode::MetaData => Response::MetaData(u.arbitrary()?),
        Opcode::Lookup => Response::Lookup(u.arbitrary()?),
        Opcode::Read => Response::Read(u.arbitrary()?),
        Opcode::Write => Response::Write(u.arbitrary()?),
        Opcode::Subscribe => Response::Subscribe(u.arbitrary()?),
        Opcode::Unsubscribe => Response::Unsubscribe(u.arbitrary()?),
        Opcode::GetStage => Response::GetStage(u.arbitrary()?),
        Opcode::Resume => Response::Resume(u.arbitrary()?),
        Opcode::Suspend => Response::Suspend(u.arbitrary()?),
        Opcode::Shutdown => Response::Shutdown(u.arbitrary()?),
        Opcode::CreateSubSession => Response::CreateSubSession(u.arbitrary()?),
        Opcode::CloseSubSession => Response::CloseSubSession(u.arbitrary()?),
        Opcode::ClientHello => Response::ClientHello(u.arbitrary()?),
    })
}

/// The model's view: the requests in flight and the hello's id.
#[derive(Default)]
struct Model {
    pending: BTreeMap<MessageId, Opcode>,
    deadlines: BTreeMap<MessageId, u64>,
    now: u64,
}

fn check_table(client: &Client, model: &Model) {
    assert_eq!(
        client.pending_len(),
        model.pending.len(),
        "pending tables differ"
    );
    assert!(client.pending_len() <= PENDING);
    for (id, op) in &model.pending {
        assert_eq!(client.pending(*id), Some(*op), "request {id}");
    }
    match client.state() {
        ClientState::Idle => assert!(model.pending.is_empty()),
        ClientState::HelloSent { id } => {
            assert_eq!(model.pending.get(&id), Some(&Opcode::ClientHello));
        }
        ClientState::Ready { .. } | ClientState::Refused { .. } => {}
        ClientState::Closed => assert!(model.pending.is_empty()),
    }
    let earliest = model
        .deadlines
        .iter()
        .filter(|(id, _)| model.pending.contains_key(id))
        .map(|(_, d)| *d)
        .min();
    assert_eq!(client.poll_timeout(), earliest);
}

/// Hands `message` to the client and checks every outcome against the model.
/// `typed[i]` is true when packet `i` is a success whose item was generated for its
/// request's own opcode.
fn receive(client: &mut Client, model: &mut Model, message: &[u8], typed: &[bool]) {
    let before = client.state();
    let batch = match xentara_ws::Batch::new(message) {
        Ok(batch) => batch,
        Err(e) => {
            // Not an array of packets: refused whole, before the session sees it.
            checks::check_error(&e, message.len());
            assert_eq!(
                client.state(),
                before,
                "a refused message changed the state"
            );
            return check_table(client, model);
        }
    };
    // One outcome per packet as the client reads it (a request's body, which a server never
    // sends, stepped over: see `Batch::fuzz_client_len`).
    let packets = batch.fuzz_client_len();
    let outcomes: Vec<Outcome<'_>> = client.handle_message(&batch).collect();
    assert_eq!(outcomes.len(), packets, "one outcome per packet");
    let mut state = before;
    for (i, outcome) in outcomes.iter().enumerate() {
        if typed.get(i) == Some(&true) {
            match outcome {
                Outcome::Invalid(e) => panic!("an item of its request's opcode is invalid: {e}"),
                Outcome::Success { response, .. } => {
                    if let Err(e) = response.check() {
                        panic!("an item of its request's opcode does not read: {e}");
                    }
                }
                _ => {}
            }
        }
        match outcome {
            Outcome::Success { id, response } => {
                let op = model
                    .pending
                    .remove(id)
                    .expect("a success for no pending request");
                assert_eq!(
                    response.opcode(),
                    op,
                    "the item is typed by its request's opcode"
                );
                if let ClientState::HelloSent { id: hello } = state {
                    assert_eq!(*id, hello, "an answer before the hello's was taken");
                    state = client.state();
                }
            }
            Outcome::Error { id, opcode, .. } => {
                let op = model
                    .pending
                    .remove(id)
                    .expect("an error for no pending request");
                assert_eq!(*opcode, op);
                if let ClientState::HelloSent { id: hello } = state {
                    assert_eq!(*id, hello, "an answer before the hello's was taken");
                    state = client.state();
                }
            }
            Outcome::Unexpected { id, reason } => match reason {
                Unexpected::UnknownId => assert!(!model.pending.contains_key(id)),
                Unexpected::BeforeHello => {
                    let ClientState::HelloSent { id: hello } = state else {
                        panic!("BeforeHello for {id} in state {state:?}");
                    };
                    assert_ne!(
                        *id, hello,
                        "the hello's answer was taken as before the hello"
                    );
                    assert!(model.pending.remove(id).is_some());
                }
                // A request packet answers nothing.
                Unexpected::Request => {}
            },
            Outcome::Invalid(e) => {
                checks::check_error(e, message.len());
                // It answers the request its id names, if that one is in flight.
                if let Some(id) = e.id()
                    && model.pending.remove(&id).is_some()
                    && let ClientState::HelloSent { id: hello } = state
                {
                    assert_eq!(id, hello, "an answer before the hello's was taken");
                    state = client.state();
                    assert!(
                        matches!(state, ClientState::Refused { .. }),
                        "a hello answered by an invalid packet left the session {state:?}"
                    );
                }
            }
            Outcome::Event(_) => {}
            Outcome::Lost { .. } => panic!("a message ended a request as lost: {outcome:?}"),
        }
    }
    check_table(client, model);
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut client = Client::default();
    let mut model = Model::default();
    for step in steps::steps(&mut u) {
        match step {
            Step::Send {
                commands,
                room,
                deadline,
            } => {
                let before = (client.state(), client.pending_len());
                let closed = before.0 == ClientState::Closed;
                let deadline = deadline.map(|d| model.now + u64::from(d));
                let mut buf = vec![0u8; usize::from(room)];
                let mut batch = client.start_batch(&mut buf);
                batch.set_deadline(deadline);
                let mut sent = Vec::new();
                let mut refused = false;
                for command in commands {
                    let op = command.opcode();
                    match batch.request(command) {
                        Ok(id) => sent.push((id, op)),
                        Err(ClientError::HelloRefused(_)) => refused = true,
                        Err(ClientError::Closed) => assert!(closed),
                        Err(
                            ClientError::DuplicateHello
                            | ClientError::PendingFull { .. }
                            | ClientError::Encode(_),
                        ) => {}
                        Err(e) => panic!("request failed: {e}"),
                    }
                }
                match batch.finish() {
                    Ok(message) => {
                        // The message holds the requests sent (and the first hello).
                        let decoded = checks::decode(
                            message,
                            &vec![
                                None;
                                xentara_ws::Batch::new(message).unwrap().into_iter().count()
                            ],
                        );
                        let ids: Vec<_> = decoded.iter().map(|p| p.id().unwrap()).collect();
                        for (id, _) in &sent {
                            assert!(ids.contains(id), "request {id} is not in the message");
                        }
                        for packet in &decoded {
                            let Packet::Request(r) = packet else {
                                panic!("not a request")
                            };
                            assert!(
                                model.pending.insert(r.id, r.command.opcode()).is_none(),
                                "id {} in flight twice",
                                r.id
                            );
                            match deadline {
                                Some(deadline) => model.deadlines.insert(r.id, deadline),
                                None => model.deadlines.remove(&r.id),
                            };
                        }
                    }
                    Err(_) => {
                        // Nothing of the batch counts as sent.
                        assert_eq!((client.state(), client.pending_len()), before);
                    }
                }
                if refused {
                    assert!(matches!(client.state(), ClientState::Refused { .. }));
                }
                check_table(&client, &model);
            }
            Step::Answer(answers) => {
                let ids: Vec<(MessageId, Opcode)> =
                    model.pending.iter().map(|(id, op)| (*id, *op)).collect();
                let mut packets = Vec::new();
                let mut typed = Vec::new();
                for (pick, answer) in answers {
                    let Some(&(id, op)) = ids.get(usize::from(pick) % ids.len().max(1)) else {
                        continue;
                    };
                    let mut own = false;
                    packets.push(match answer {
                        Answer::Typed(None) => Packet::Success(Success::new(id, NO_ITEM)),
                        Answer::Typed(Some(bytes)) => {
                            let response = match item_for(op, &mut Unstructured::new(bytes)) {
                                Ok(response) => {
                                    own = true;
                                    response
                                }
                                Err(_) => NO_ITEM,
                            };
                            Packet::Success(Success::new(id, response))
                        }
                        Answer::Any(response) => Packet::Success(Success::new(id, response)),
                        Answer::Error(error) => Packet::Error(ErrorResponse { id, error }),
                        Answer::Stray(id) => Packet::Error(ErrorResponse {
                            id,
                            error: ErrorObject::new(xentara_ws::ErrorCode::InternalError),
                        }),
                    });
                    typed.push(own);
                }
                let bytes = checks::encode(&packets);
                receive(&mut client, &mut model, &bytes, &typed);
            }
            Step::Packets(packets) => {
                let bytes = checks::encode(&packets);
                receive(&mut client, &mut model, &bytes, &[]);
            }
            Step::Raw(bytes) => receive(&mut client, &mut model, bytes, &[]),
            Step::Cancel(pick) => {
                let ids: Vec<MessageId> = model.pending.keys().copied().collect();
                if let Some(&id) = ids.get(usize::from(pick) % ids.len().max(1)) {
                    if client.state() == (ClientState::HelloSent { id }) {
                        assert_eq!(
                            client.cancel(id),
                            None,
                            "the unanswered hello was cancelled"
                        );
                    } else {
                        assert_eq!(client.cancel(id), model.pending.remove(&id));
                    }
                }
                check_table(&client, &model);
            }
            Step::Advance(ms) => {
                model.now += u64::from(ms);
                let now = model.now;
                let hello = match client.state() {
                    ClientState::HelloSent { id } => {
                        model.deadlines.get(&id).filter(|&&d| d <= now)
                    }
                    _ => None,
                };
                let hello_due = hello.is_some();
                for outcome in client.handle_timeout(now) {
                    let Outcome::Lost { id, opcode, cause } = outcome else {
                        panic!("handle_timeout gave {outcome:?}");
                    };
                    assert_eq!(model.pending.remove(&id), Some(opcode));
                    match cause {
                        Lost::TimedOut => {
                            assert!(model.deadlines.get(&id).is_some_and(|&d| d <= now))
                        }
                        Lost::Closed => assert!(hello_due, "{id} closed without a hello timeout"),
                    }
                }
                assert!(
                    model
                        .pending
                        .keys()
                        .all(|id| model.deadlines.get(id).is_none_or(|&d| d > now)),
                    "a request past its deadline is still in flight"
                );
                if hello_due {
                    assert_eq!(client.state(), ClientState::Closed);
                }
                check_table(&client, &model);
            }
            Step::Close => {
                for outcome in client.close() {
                    let Outcome::Lost {
                        id,
                        opcode,
                        cause: Lost::Closed,
                    } = outcome
                    else {
                        panic!("close gave {outcome:?}");
                    };
                    assert_eq!(model.pending.remove(&id), Some(opcode));
                }
                assert!(model.pending.is_empty());
                assert_eq!(client.state(), ClientState::Closed);
                check_table(&client, &model);
            }
        }
    }
});
