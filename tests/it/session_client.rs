//! The client session's rules, on the machine alone (no sockets).

use xentara_ws::items::ServerHello;
use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;
use xentara_ws_support::session::encode;
use xentara_ws_support::session::*;
use xentara_ws_support::vectors::*;

/// Sends `commands` as one message; returns the message's requests as (id, opcode).
fn send<const N: usize>(
    client: &mut ClientSession<N>,
    commands: Vec<Command<'static>>,
) -> Vec<(MessageId, Opcode)> {
    let mut buf = [0u8; 512];
    let mut batch = client.start_batch(&mut buf);
    for c in commands {
        batch.request(c).unwrap();
    }
    let message = batch.finish().unwrap();
    Batch::new(message)
        .unwrap()
        .into_iter()
        .map(|p| match p.unwrap() {
            Packet::Request(r) => (r.id, r.command.opcode()),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn success(id: MessageId, response: Response<'static>) -> Packet<'static> {
    Packet::Success(Success::new(id, response))
}

fn error(id: MessageId, code: ErrorCode) -> Packet<'static> {
    Packet::Error(ErrorResponse {
        id,
        error: ErrorObject::new(code),
    })
}

fn server_hello() -> Response<'static> {
    Response::ClientHello(ServerHello { current_version: 1 })
}

/// Feeds `packets` as one message and collects the outcomes.
fn receive<const N: usize>(
    client: &mut ClientSession<N>,
    packets: &[Packet<'_>],
) -> Result<Vec<String>, ClientError> {
    let message = encode(packets);
    let batch = Batch::new(&message)?;
    Ok(client
        .handle_message(&batch)
        .map(|o| format!("{o:?}"))
        .collect())
}

#[test]
fn the_first_message_starts_with_the_hello_and_ids_count_from_1() {
    let mut client: ClientSession = ClientSession::default();
    assert_eq!(client.state(), ClientState::Idle);
    let sent = send(&mut client, vec![lookup("A").into(), lookup("B").into()]);
    assert_eq!(
        sent,
        vec![
            (1, Opcode::ClientHello),
            (2, Opcode::Lookup),
            (3, Opcode::Lookup)
        ]
    );
    assert_eq!(client.state(), ClientState::HelloSent { id: 1 });
    // Requests may follow before the hello is answered.
    assert_eq!(
        send(&mut client, vec![GetStage.into()]),
        vec![(4, Opcode::GetStage)]
    );
    assert_eq!(client.pending_len(), 4);
}

#[test]
fn the_hello_bytes_are_the_vendors() {
    let mut client: ClientSession = ClientSession::default();
    let mut buf = [0u8; 32];
    let message = client.start_batch(&mut buf).finish().unwrap();
    assert_eq!(message, hex("818400010ea200010101"));
    // After the hello, an empty batch is `[]`.
    let mut buf = [0u8; 32];
    assert_eq!(client.start_batch(&mut buf).finish().unwrap(), [0x80]);
}

#[test]
fn an_explicit_hello_is_the_hello_and_a_second_is_refused() {
    let mut client: ClientSession = ClientSession::default();
    let custom = ClientHello {
        min_version: 0,
        max_version: 1,
    };
    let mut buf = [0u8; 64];
    let mut batch = client.start_batch(&mut buf);
    assert_eq!(batch.request(custom.clone()), Ok(1));
    assert_eq!(batch.request(custom), Err(ClientError::DuplicateHello));
    assert_eq!(batch.finish().unwrap(), hex("818400010ea200000101"));
}

#[test]
fn the_hello_versions_are_configurable() {
    let config = ClientConfig {
        versions: VersionRange::new(0, 2),
        first_id: 0,
    };
    let mut client: ClientSession = ClientSession::with_config(config);
    let mut buf = [0u8; 32];
    let message = client.start_batch(&mut buf).finish().unwrap();
    assert_eq!(message, hex("818400000ea200000102"));
}

#[test]
fn responses_are_typed_by_the_pending_opcode() {
    let mut client: ClientSession = ClientSession::default();
    send(
        &mut client,
        vec![lookup("A").into(), GetStage.into(), subscribe(Some(B4E1))],
    );
    let outcomes = receive(
        &mut client,
        &[
            success(1, server_hello()),
            success(2, Response::Lookup(E3EE)),
            error(3, ErrorCode::InternalError),
            success(4, Response::Subscribe(None)),
        ],
    )
    .unwrap();
    assert_eq!(
        outcomes,
        vec![
            format!(
                "{:?}",
                Outcome::Success {
                    id: 1,
                    response: server_hello()
                }
            ),
            format!(
                "{:?}",
                Outcome::Success {
                    id: 2,
                    response: Response::Lookup(E3EE)
                }
            ),
            format!(
                "{:?}",
                Outcome::Error {
                    id: 3,
                    opcode: Opcode::GetStage,
                    error: ErrorObject::new(ErrorCode::InternalError)
                }
            ),
            // No item: the desired id is the subscription's (spec notes D10).
            format!(
                "{:?}",
                Outcome::Success {
                    id: 4,
                    response: Response::Subscribe(Some(B4E1))
                }
            ),
        ]
    );
    assert_eq!(client.state(), ClientState::Ready { version: 1 });
    assert_eq!(client.pending_len(), 0);
}

#[test]
fn unknown_ids_and_responses_before_the_hello_are_unexpected() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![GetStage.into()]);
    let outcomes = receive(
        &mut client,
        &[
            success(2, Response::GetStage(Stage::Operational)),
            success(99, Response::GetStage(Stage::Operational)),
            error(0, ErrorCode::ParseError),
        ],
    )
    .unwrap();
    let unexpected = |id, reason| format!("{:?}", Outcome::Unexpected { id, reason });
    assert_eq!(
        outcomes,
        vec![
            unexpected(2, Unexpected::BeforeHello),
            unexpected(99, Unexpected::UnknownId),
            unexpected(0, Unexpected::UnknownId),
        ]
    );
    assert_eq!(client.pending(2), None);
    assert_eq!(client.pending(1), Some(Opcode::ClientHello));
}

#[test]
fn events_are_typed_events() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![]);
    let change = data_change();
    let message = encode(&[Packet::Event(Event::DataChange(change.clone()))]);
    let batch = Batch::new(&message).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(outcomes, vec![Outcome::Event(change)]);
}

/// Only a message that is not an array of packets is refused whole (and changes nothing).
#[test]
fn a_message_that_is_no_batch_is_refused_and_changes_nothing() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![lookup("A").into()]);
    let before = format!("{client:?}");
    for (message, code) in [(vec![0xff], -32700), (vec![0x05], -32600), (vec![], -32700)] {
        let e = ClientError::from(Batch::new(&message).expect_err("refused"));
        assert_eq!(e.code().code(), code, "{e}");
        assert_eq!(format!("{client:?}"), before);
    }
}

/// Everything else is taken packet by packet, in order, as the vendor's client does: each
/// response resolves its request, each event is delivered, and a packet that does not
/// decode gives its own outcome without losing its neighbours'.
#[test]
fn every_packet_of_a_message_gives_its_own_outcome() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![lookup("A").into(), GetStage.into()]);
    // [[1, 1, {0: 1}], [1, 2, 37(h'e3ee…')], [8, 0, {…}], [0, 5, 3, {0: "A"}], [1, 3, 37(…)]]:
    // the hello's and the lookup's answers, an event, a request (servers send none; the
    // client reads only its header), and get_stage answered with a UUID, which is no stage.
    let message = encode(&[
        success(1, server_hello()),
        success(2, Response::Lookup(E3EE)),
        Packet::Event(Event::DataChange(data_change())),
        req(5, lookup("A")),
        success(3, Response::Lookup(E3EE)),
    ]);
    let batch = Batch::new(&message).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    assert!(matches!(outcomes[0], Outcome::Success { id: 1, .. }));
    assert_eq!(
        outcomes[1],
        Outcome::Success {
            id: 2,
            response: Response::Lookup(E3EE)
        }
    );
    assert_eq!(outcomes[2], Outcome::Event(data_change()));
    assert_eq!(
        outcomes[3],
        Outcome::Unexpected {
            id: 5,
            reason: Unexpected::Request
        }
    );
    let Outcome::Invalid(e) = &outcomes[4] else {
        panic!("{:?}", outcomes[4]);
    };
    assert_eq!(
        (e.kind(), e.id(), e.code()),
        (
            DecodeErrorKind::WrongType(Expected::UnsignedInteger),
            Some(3),
            ErrorCode::InvalidParameter
        )
    );
    // Every request is answered: none is pending.
    assert_eq!(client.pending_len(), 0);
    assert_eq!(client.version(), Some(1));
}

/// Responses and an event mixed in one message; requests 2 and 3 are resolved and
/// the event delivered, in order.
#[test]
fn responses_and_events_in_one_message() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![lookup("A").into(), GetStage.into()]);
    receive(&mut client, &[success(1, server_hello())]).unwrap();
    let message = hex("83 83 01 02 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 \
         83 08 00 a3 00 c11a6553f100 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d87901 \
         82 01 03");
    let batch = Batch::new(&message).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(outcomes.len(), 3);
    assert!(
        matches!(outcomes[0], Outcome::Success { id: 2, response: Response::Lookup(u) } if u == E3EE)
    );
    assert!(matches!(outcomes[1], Outcome::Event(_)));
    // get_stage answered without an item: the item is required.
    let Outcome::Invalid(e) = &outcomes[2] else {
        panic!("{:?}", outcomes[2]);
    };
    assert_eq!((e.kind(), e.id()), (DecodeErrorKind::Missing, Some(3)));
    assert_eq!(client.pending_len(), 0);
}

#[test]
fn a_refused_hello_ends_the_session() {
    let mut client: ClientSession = ClientSession::default();
    send(&mut client, vec![]);
    let outcomes = receive(&mut client, &[error(1, ErrorCode::InvalidParameter)]).unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        client.state(),
        ClientState::Refused {
            code: ErrorCode::InvalidParameter
        }
    );
    let mut buf = [0u8; 32];
    let mut batch = client.start_batch(&mut buf);
    assert_eq!(
        batch.request(GetStage),
        Err(ClientError::HelloRefused(ErrorCode::InvalidParameter))
    );
}

#[test]
fn a_full_pending_table_is_an_error_and_sends_nothing_more() {
    let mut client: ClientSession<3> = ClientSession::default();
    let mut buf = [0u8; 128];
    let mut batch = client.start_batch(&mut buf);
    assert_eq!(batch.request(GetStage), Ok(2));
    assert_eq!(batch.request(GetStage), Ok(3));
    assert_eq!(
        batch.request(GetStage),
        Err(ClientError::PendingFull { capacity: 3 })
    );
    assert_eq!(batch.len(), 3);
    let message = batch.finish().unwrap();
    assert_eq!(message[0], 0x83);
    // Answers free the entries.
    receive(
        &mut client,
        &[success(2, Response::GetStage(Stage::Operational))],
    )
    .unwrap();
    assert_eq!(client.pending_len(), 2);
    assert_eq!(client.cancel(3), Some(Opcode::GetStage));
    assert_eq!(client.pending_len(), 1);
}

#[test]
fn a_dropped_batch_takes_its_requests_back() {
    let mut client: ClientSession = ClientSession::default();
    let mut buf = [0u8; 128];
    {
        let mut batch = client.start_batch(&mut buf);
        batch.request(GetStage).unwrap();
    }
    assert_eq!(client.state(), ClientState::Idle);
    assert_eq!(client.pending_len(), 0);
    assert_eq!(
        send(&mut client, vec![GetStage.into()]),
        vec![(1, Opcode::ClientHello), (2, Opcode::GetStage)]
    );
}

#[test]
fn a_too_small_buffer_is_an_error_and_records_nothing() {
    let mut client: ClientSession = ClientSession::default();
    let mut buf = [0u8; 14];
    let mut batch = client.start_batch(&mut buf);
    assert_eq!(
        batch
            .request(lookup("a long primary key"))
            .err()
            .map(|e| e.code()),
        Some(ErrorCode::InternalError)
    );
    drop(batch);
    assert_eq!(client.pending_len(), 0);
    assert_eq!(client.state(), ClientState::Idle);
}

#[test]
fn ids_wrap_from_max_to_1() {
    let config = ClientConfig {
        first_id: i64::MAX - 1,
        ..ClientConfig::default()
    };
    let mut client: ClientSession<4> = ClientSession::with_config(config);
    let sent = send(&mut client, vec![GetStage.into(), GetStage.into()]);
    assert_eq!(
        sent.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![i64::MAX - 1, i64::MAX, 1]
    );
    // Still in flight: 2 and 3 name the entries of i64::MAX - 1 and i64::MAX (modulo 4).
    let sent = send(&mut client, vec![GetStage.into()]);
    assert_eq!(sent, vec![(4, Opcode::GetStage)]);
}

#[test]
fn the_client_machine_talks_to_the_server_machine() {
    let mut client: ClientSession = ClientSession::default();
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let mut buf = [0u8; 512];
    let mut batch = client.start_batch(&mut buf);
    batch.request(lookup("Group 1.Data Point 1")).unwrap();
    batch.request(subscribe(Some(B4E1))).unwrap();
    batch.request(create("admin", "admin", None)).unwrap();
    batch.request(close(E3EE)).unwrap();
    let message = batch.finish().unwrap().to_vec();

    let _ = server.handle_message(&message, &mut app).unwrap();
    let mut out = [0u8; 512];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let batch = Batch::new(&out[..n]).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Success {
                id: 1,
                response: server_hello()
            },
            Outcome::Success {
                id: 2,
                response: Response::Lookup(E3EE)
            },
            Outcome::Success {
                id: 3,
                response: Response::Subscribe(Some(B4E1))
            },
            Outcome::Success {
                id: 4,
                response: Response::CreateSubSession(app.fresh(1))
            },
            Outcome::Error {
                id: 5,
                opcode: Opcode::CloseSubSession,
                error: ErrorObject::new(ErrorCode::UnknownSessionId)
            },
        ]
    );

    let change = data_change();
    assert_eq!(server.handle_timeout(0), 1);
    let n = server
        .poll_events(0, &mut out, |_, _, events| {
            events.push(change.clone()).unwrap()
        })
        .unwrap()
        .unwrap();
    let batch = Batch::new(&out[..n]).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert_eq!(outcomes, vec![Outcome::Event(change)]);
    assert_eq!(client.pending_len(), 0);
}
