//! Arbitrary server messages fed to a client session with requests in flight. The input
//! interleaves sending batches of arbitrary commands, answers to pending requests (typed
//! items of any opcode, errors, unknown ids), arbitrary packets and raw bytes, and
//! cancellations. A model of the requests in flight checks after each step:
//!
//! - the session's pending table is exactly the model's (ids and opcodes), within capacity,
//!   and no id is in flight twice;
//! - a rejected message changes nothing (state and pending table as before);
//! - an accepted message yields one outcome per packet: a success or error only for a
//!   request in flight (then no longer pending), its item typed by that request's opcode;
//!   anything else is `Unexpected`; the hello's answer moves the state on;
//! - a refused hello stops every further request.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use xentara_ws::session::{ClientSession, ClientState, Outcome, SessionError, Unexpected};
use xentara_ws::{
    Command, ErrorObject, ErrorResponse, MessageId, Opcode, Packet, Response, Success,
};

#[path = "../../tests/common/checks.rs"]
mod checks;
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

/// A typed item for `op`, or none.
fn item_for<'a>(op: Opcode, u: &mut Unstructured<'a>) -> Response<'a> {
    for _ in 0..8 {
        match u.arbitrary::<Response<'a>>() {
            Ok(r) if r.opcode() == Some(op) => return r,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Response::Untyped(None)
}

/// The model's view: the requests in flight and the hello's id.
#[derive(Default)]
struct Model {
    pending: BTreeMap<MessageId, Opcode>,
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
    }
}

/// Hands `message` to the client and checks every outcome against the model.
fn receive(client: &mut Client, model: &mut Model, message: &[u8]) {
    let before = client.state();
    let packets = match xentara_ws::Batch::new(message) {
        Ok(b) => b.count(),
        Err(_) => 0,
    };
    let result = client
        .handle_message(message)
        .map(Iterator::collect::<Vec<Outcome<'_>>>);
    let outcomes = match result {
        Ok(outcomes) => outcomes,
        Err(e) => {
            assert!(
                matches!(e, SessionError::Decode(_) | SessionError::Violation(_)),
                "{e}"
            );
            assert_eq!(
                client.state(),
                before,
                "a rejected message changed the state"
            );
            return check_table(client, model);
        }
    };
    assert_eq!(outcomes.len(), packets, "one outcome per packet");
    let mut state = before;
    for outcome in &outcomes {
        match outcome {
            Outcome::Success { id, response } => {
                let op = model
                    .pending
                    .remove(id)
                    .expect("a success for no pending request");
                if let Some(typed) = response.opcode() {
                    assert_eq!(typed, op, "the item is typed by its request's opcode");
                }
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
                    assert!(matches!(state, ClientState::HelloSent { .. }));
                    assert!(model.pending.remove(id).is_some());
                }
            },
            Outcome::Event(_) => {}
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
            Step::Send { commands, room } => {
                let before = (client.state(), client.pending_len());
                let mut buf = vec![0u8; usize::from(room)];
                let mut batch = client.start_batch(&mut buf);
                let mut sent = Vec::new();
                let mut refused = false;
                for command in commands {
                    let op = command.opcode();
                    match batch.request(command) {
                        Ok(id) => sent.push((id, op)),
                        Err(SessionError::HelloRefused(_)) => refused = true,
                        Err(
                            SessionError::DuplicateHello
                            | SessionError::PendingFull { .. }
                            | SessionError::Encode(_),
                        ) => {}
                        Err(e) => panic!("request failed: {e}"),
                    }
                }
                match batch.finish() {
                    Ok(message) => {
                        // The message holds the requests sent (and the first hello).
                        let decoded = checks::decode(
                            message,
                            &vec![None; xentara_ws::Batch::new(message).unwrap().count()],
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
                for (pick, answer) in answers {
                    let Some(&(id, op)) = ids.get(usize::from(pick) % ids.len().max(1)) else {
                        continue;
                    };
                    packets.push(match answer {
                        Answer::Typed(None) => Packet::Success(Success {
                            id,
                            response: Response::Untyped(None),
                        }),
                        Answer::Typed(Some(bytes)) => Packet::Success(Success {
                            id,
                            response: item_for(op, &mut Unstructured::new(bytes)),
                        }),
                        Answer::Any(response) => Packet::Success(Success { id, response }),
                        Answer::Error(error) => Packet::Error(ErrorResponse { id, error }),
                        Answer::Stray(id) => Packet::Error(ErrorResponse {
                            id,
                            error: ErrorObject::new(xentara_ws::ErrorCode::InternalError),
                        }),
                    });
                }
                let bytes = checks::encode(&packets);
                receive(&mut client, &mut model, &bytes);
            }
            Step::Packets(packets) => {
                let bytes = checks::encode(&packets);
                receive(&mut client, &mut model, &bytes);
            }
            Step::Raw(bytes) => receive(&mut client, &mut model, bytes),
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
        }
    }
});
