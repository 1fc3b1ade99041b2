//! The server session's rules, on the machine alone (no sockets).

use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;
use xentara_ws_support::session::encode;
use xentara_ws_support::session::*;
use xentara_ws_support::vectors::*;

type Small = Server<'static>;
/// A small session (2 sub-sessions, 2 subscriptions, 2 reply messages) of 4 responses and
/// 512 bytes a reply message.
fn small() -> Small {
    server_with(Sizes::small(4, 512))
}

fn ready() -> Server<'static> {
    let mut server = server();
    let mut app = TestApp::default();
    exchange(&mut server, &mut app, &[hello(1)]);
    server
}

#[test]
fn requests_before_hello_get_32000_and_never_reach_the_app() {
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let reply = exchange(
        &mut server,
        &mut app,
        &[req(5, GetStage), req(6, lookup("x"))],
    );
    assert_eq!(reply, vec![err(5, -32000), err(6, -32000)]);
    assert!(app.seen.is_empty());
    assert_eq!(server.state(), ServerState::AwaitingHello);

    // The hello and a command in one message: the hello comes first, so the command passes.
    let reply = exchange(&mut server, &mut app, &[hello(1), req(2, GetStage)]);
    assert_eq!(reply, vec![ok(1, "{0: 1}"), ok(2, "2")]);
    assert_eq!(app.seen, vec![(2, Opcode::GetStage)]);
    assert_eq!(server.state(), ServerState::Ready { version: 1 });
}

#[test]
fn a_command_before_the_hello_in_the_same_message_is_refused() {
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let reply = exchange(&mut server, &mut app, &[req(2, GetStage), hello(1)]);
    assert_eq!(reply, vec![err(2, -32000), ok(1, "{0: 1}")]);
    assert!(app.seen.is_empty());
}

#[test]
fn a_second_hello_gets_32001() {
    let mut server = ready();
    let mut app = TestApp::default();
    let reply = exchange(&mut server, &mut app, &[hello(7)]);
    assert_eq!(reply, vec![err(7, -32001)]);
}

#[test]
fn version_negotiation_picks_the_highest_common_version() {
    let config = ServerConfig {
        versions: VersionRange::new(1, 3),
    };
    for ((min, max), v) in [((0, 1), 1), ((2, 5), 3), ((1, 1), 1), ((3, 3), 3)] {
        let mut server: Server<'static> = ServerSession::new(config, storage(Sizes::DEFAULT));
        let h = ClientHello {
            min_version: min,
            max_version: max,
        };
        let reply = exchange(&mut server, &mut TestApp::default(), &[req(1, h)]);
        assert_eq!(reply, vec![ok(1, &format!("{{0: {v}}}"))]);
        assert_eq!(server.version(), Some(v));
    }
}

#[test]
fn a_hello_without_a_common_version_gets_32602_saying_why() {
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let bad = |min, max| {
        req(
            1,
            ClientHello {
                min_version: min,
                max_version: max,
            },
        )
    };
    let reply = exchange(&mut server, &mut app, &[bad(2, 1)]);
    assert_eq!(reply[0].code(), Some(-32602));
    assert!(
        reply[0].text().contains("greater than maximum"),
        "{reply:?}"
    );
    let reply = exchange(&mut server, &mut app, &[bad(2, 3)]);
    assert_eq!(reply[0].code(), Some(-32602));
    assert!(
        reply[0].text().contains("no common protocol version"),
        "{reply:?}"
    );
    assert_eq!(server.state(), ServerState::AwaitingHello);
    // A failed hello may be retried.
    let reply = exchange(&mut server, &mut app, &[bad(0, 1)]);
    assert_eq!(reply, vec![ok(1, "{0: 1}")]);
}

#[test]
fn one_reply_message_per_request_message_in_request_order() {
    let mut server = ready();
    let mut app = TestApp::default();
    let reply = exchange(
        &mut server,
        &mut app,
        &[
            req(65, lookup("Group 1.Data Point 1")),
            req(66, GetStage),
            req(67, lookup("nope")),
        ],
    );
    assert_eq!(
        reply,
        vec![
            ok(65, "37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')"),
            ok(66, "2"),
            err(67, -32100),
        ]
    );
}

#[test]
fn deferred_answers_hold_their_slot_and_the_reply_waits() {
    let mut server = ready();
    let mut app = TestApp {
        defer: vec![Opcode::Lookup],
        ..TestApp::default()
    };
    let message = encode(&[
        req(1, GetStage),
        req(2, lookup("Group 1.Data Point 1")),
        req(3, GetStage),
    ]);
    let received = server.handle_message(&message, &mut app).unwrap();
    assert_eq!(
        received,
        Received {
            packets: 3,
            waiting: 1,
            refused: false
        }
    );
    assert_eq!(server.waiting(), 1);
    let mut out = [0u8; 256];
    assert_eq!(server.poll_transmit(&mut out).unwrap(), None);

    // A later message that completes at once still waits for the earlier one.
    let second = encode(&[req(4, GetStage)]);
    let _ = server.handle_message(&second, &mut app).unwrap();
    assert_eq!(server.poll_transmit(&mut out).unwrap(), None);

    let ticket = app.deferred.pop().unwrap();
    server
        .answer(ticket, Ok(Response::Lookup(E3EE).into()))
        .expect("the request waits");
    assert_eq!(
        server.answer(ticket, Ok(Response::Lookup(E3EE).into())),
        Err(ServerError::UnknownTicket(ticket))
    );
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(
        packets(&out[..n]),
        vec![
            ok(1, "2"),
            ok(2, "37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')"),
            ok(3, "2")
        ]
    );
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(packets(&out[..n]), vec![ok(4, "2")]);
    assert_eq!(server.poll_transmit(&mut out).unwrap(), None);
    assert_eq!(server.open_messages(), 0);
}

#[test]
fn too_many_packets_are_all_refused_with_their_ids() {
    let mut server: Small = small();
    let mut app = TestApp::default();
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    let many: Vec<_> = (10..15).map(|id| req(id, GetStage)).collect();
    let message = encode(&many);
    assert!(server.handle_message(&message, &mut app).unwrap().refused);
    let mut out = [0u8; 512];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let reply = packets(&out[..n]);
    assert_eq!(reply.len(), 5);
    for (r, id) in reply.iter().zip(10..) {
        assert_eq!((r.id, r.code()), (id, Some(-32603)));
        assert!(r.text().contains("too many requests"), "{r:?}");
    }
    assert!(app.seen.is_empty());
}

#[test]
fn a_message_too_large_even_for_errors_is_refused_whole() {
    let mut server: Server<'static> = server_with(Sizes::small(4, 64));
    let mut app = TestApp::default();
    let many: Vec<_> = (1..40).map(|id| req(id, GetStage)).collect();
    let message = encode(&many);
    assert_eq!(
        server.handle_message(&message, &mut app),
        Err(ServerError::MessageTooLarge { packets: 39 })
    );
    assert_eq!(server.open_messages(), 0);
    assert_eq!(server.poll_transmit(&mut [0; 64]).unwrap(), None);
}

#[test]
fn all_reply_buffers_taken_is_busy_and_consumes_nothing() {
    let mut server: Small = small();
    let mut app = TestApp {
        defer: vec![Opcode::GetStage],
        ..TestApp::default()
    };
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    for id in [2, 3] {
        let m = encode(&[req(id, GetStage)]);
        assert_eq!(server.handle_message(&m, &mut app).unwrap().waiting, 1);
    }
    let m = encode(&[req(4, GetStage)]);
    assert_eq!(
        server.handle_message(&m, &mut app),
        Err(ServerError::Busy { capacity: 2 })
    );
    assert_eq!(app.seen.len(), 2);
    let first = app.deferred.remove(0);
    server
        .answer(first, Ok(Response::GetStage(Stage::Operational).into()))
        .unwrap();
    let mut out = [0u8; 64];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(packets(&out[..n]), vec![ok(2, "2")]);
    // Room again: the same message goes through.
    assert_eq!(server.handle_message(&m, &mut app).unwrap().waiting, 1);
}

#[test]
fn a_response_too_large_for_the_reply_buffer_becomes_32603() {
    let mut server: Server<'static> = server_with(Sizes::small(4, 96));
    let mut app = TestApp::default();
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    let reply = exchange(
        &mut server,
        &mut app,
        &[req(2, server_information()), req(3, GetStage)],
    );
    assert_eq!(reply[0].id, 2);
    assert_eq!(reply[0].code(), Some(-32603));
    assert_eq!(reply[1], ok(3, "2"));
}

#[test]
fn a_small_output_buffer_keeps_the_reply() {
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let m = encode(&[hello(1)]);
    let _ = server.handle_message(&m, &mut app).unwrap();
    let need = server.transmit_len().unwrap();
    assert_eq!(
        server.poll_transmit(&mut [0; 3]),
        Err(ServerError::Encode(EncodeError::BufferTooSmall {
            required: need
        }))
    );
    let mut out = vec![0; need];
    assert_eq!(server.poll_transmit(&mut out).unwrap(), Some(need));
}

#[test]
fn an_item_of_the_wrong_opcode_becomes_32603() {
    let mut server = ready();
    let mut app = TestApp::default();
    let reply = exchange(&mut server, &mut app, &[req(9, lookup("wrong"))]);
    assert_eq!(reply[0].code(), Some(-32603));
    assert!(reply[0].text().contains("lookup"), "{reply:?}");
}

#[test]
fn sub_sessions_are_created_checked_replaced_and_closed() {
    let mut server: Small = small();
    let mut app = TestApp::default();
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    let mut ask = |id, command: Command<'static>| ask(&mut server, &mut app, id, command);

    // The seed command: closing an unknown sub-session.
    assert_eq!(ask(65, close(E3EE).into()), err(65, -32111));
    assert_eq!(ask(2, create("admin", "nope", None).into()), err(2, -32102));
    let fresh = TestApp::default().fresh(1);
    assert_eq!(
        ask(3, create("admin", "admin", None).into()),
        ok(3, &uuid_diag(fresh))
    );
    let nil = ask(4, create("admin", "admin", Some(Uuid::nil())).into());
    assert_eq!(nil.code(), Some(-32602));
    assert!(nil.text().contains("nil"), "{nil:?}");
    // A desired id that exists replaces the session.
    let replaced = ask(5, create("operator", "operator", Some(fresh)).into());
    assert_eq!(replaced, ok(5, &uuid_diag(fresh)));
    // Table of two: the third is refused.
    assert_eq!(
        ask(6, create("admin", "admin", Some(E3EE)).into()),
        ok(6, &uuid_diag(E3EE))
    );
    let full = ask(7, create("admin", "admin", Some(B4E1)).into());
    assert_eq!(full.code(), Some(-32603));
    assert!(full.text().contains("too many sub-sessions"), "{full:?}");
    assert_eq!(ask(8, close(E3EE).into()), ok(8, ""));
    assert_eq!(ask(9, close(E3EE).into()), err(9, -32111));

    assert_eq!(
        server.sub_session(&fresh).map(String::as_str),
        Some("operator")
    );
    assert_eq!(server.sub_sessions().count(), 1);
    assert!(
        app.seen.is_empty(),
        "the machine handles sub-sessions itself"
    );
}

#[test]
fn commands_naming_an_unknown_sub_session_get_32111_before_the_app() {
    let mut server = ready();
    let mut app = TestApp::default();
    let write = |sub| Write {
        element: E3EE,
        attribute: Attribute::Value.into(),
        value: Value::Bool(true),
        sub_session_id: sub,
    };
    static RAW_RESUME: [u8; 21] = [
        0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d,
        0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
    ];
    let resume = Resume {
        params: Some(xentara_ws::Raw::new(&RAW_RESUME).unwrap()),
    };
    let reply = exchange(
        &mut server,
        &mut app,
        &[
            req(1, write(Some(E3EE))),
            req(
                2,
                Suspend {
                    session_id: Some(E3EE),
                },
            ),
            req(
                3,
                Shutdown {
                    session_id: Some(E3EE),
                },
            ),
            req(4, resume),
            req(5, write(None)),
        ],
    );
    assert_eq!(
        reply,
        vec![
            err(1, -32111),
            err(2, -32111),
            err(3, -32111),
            err(4, -32111),
            ok(5, "")
        ]
    );
    assert_eq!(app.seen, vec![(5, Opcode::Write)]);

    // Once the sub-session exists, the command reaches the app with its identity.
    let _ = exchange(
        &mut server,
        &mut app,
        &[req(6, create("admin", "admin", Some(E3EE)))],
    );
    let reply = exchange(&mut server, &mut app, &[req(7, write(Some(E3EE)))]);
    assert_eq!(reply, vec![ok(7, "")]);
    assert_eq!(
        app.identities.last(),
        Some(&Some((E3EE, "admin".to_owned())))
    );
}

#[test]
fn subscriptions_are_tracked_and_events_checked() {
    let mut server: Server<'static> = server();
    let mut app = TestApp::default();
    let mut out = [0u8; 256];
    let change = data_change();
    assert_eq!(
        server.changed(&B4E1),
        Err(ServerError::UnknownSubscription(B4E1))
    );
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    assert_eq!(server.poll_timeout(), None);

    let reply = exchange(
        &mut server,
        &mut app,
        &[req(2, subscribe(Some(B4E1))), req(3, subscribe(None))],
    );
    let fresh = app.fresh(1);
    assert_eq!(
        reply,
        vec![ok(2, &uuid_diag(B4E1)), ok(3, &uuid_diag(fresh))]
    );
    assert!(server.is_subscribed(&B4E1) && server.is_subscribed(&fresh));
    assert_eq!(app.subscriptions, vec![B4E1, fresh]);

    // Both are due at once with their first event, which leaves in one message.
    assert_eq!(server.poll_timeout(), Some(0));
    let mut seen = Vec::new();
    let n = server
        .poll_events(5, &mut out, |due, _, events| {
            seen.push(due);
            let copies = if due.subscription == B4E1 { 2 } else { 1 };
            for _ in 0..copies {
                events.push(change.clone()).unwrap();
            }
        })
        .unwrap()
        .unwrap();
    let events: Vec<_> = Batch::new(&out[..n])
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|p| matches!(p, Packet::Event(_))));
    let initial = |subscription| Due {
        subscription,
        reason: Reason::Initial,
    };
    assert_eq!(seen, vec![initial(B4E1), initial(fresh)]);
    assert_eq!(server.poll_events(5, &mut out, |_, _, _| ()), Ok(None));

    let reply = exchange(
        &mut server,
        &mut app,
        &[
            req(
                4,
                Unsubscribe {
                    subscription_id: B4E1,
                },
            ),
            req(
                5,
                Unsubscribe {
                    subscription_id: B4E1,
                },
            ),
            req(6, subscribe(Some(Uuid::nil()))),
        ],
    );
    assert_eq!(reply[..2], [ok(4, ""), err(5, -32110)]);
    assert_eq!(reply[2].code(), Some(-32602));
    assert!(!server.is_subscribed(&B4E1));
    let left: Vec<_> = server.subscriptions().map(|s| (s.id, *s.data)).collect();
    assert_eq!(left, vec![(fresh, Watched(1))]);
    assert_eq!(app.unsubscribed, vec![B4E1]);
}

#[test]
fn a_failed_subscribe_leaves_no_subscription() {
    let mut server = ready();
    let mut app = TestApp::default();
    let mut bad = subscribe(Some(B4E1));
    if let Command::Subscribe(s) = &mut bad {
        s.maximum_update_rate = Some(13); // TestApp refuses this one
    }
    let reply = exchange(
        &mut server,
        &mut app,
        &[Packet::Request(Request {
            id: 2,
            command: bad,
        })],
    );
    assert_eq!(reply, vec![err(2, -32101)]);
    assert_eq!(server.subscription_entries(), 0);
}

#[test]
fn unknown_opcodes_and_bad_packets_get_errors_with_their_ids() {
    let mut server = ready();
    let mut app = TestApp::default();
    // [[0, 7, 15, {}], [0, 8, 3, {0: 5}], [1, 9], [2, 10, {0: -32000}], [8, 0, {…}], 5]
    let mut m = vec![
        0x86, 0x84, 0x00, 0x07, 0x0f, 0xa0, 0x84, 0x00, 0x08, 0x03, 0xa1, 0x00, 0x05,
    ];
    m.extend_from_slice(&[0x82, 0x01, 0x09]);
    m.extend_from_slice(&[0x83, 0x02, 0x0a, 0xa1, 0x00, 0x39, 0x7c, 0xff]);
    m.extend_from_slice(&encode(&[Packet::Event(Event::DataChange(data_change()))])[1..]);
    m.push(0x05);
    let reply = run(&mut server, &mut app, &m);
    let codes: Vec<_> = reply.iter().map(|r| (r.id, r.code())).collect();
    assert_eq!(
        codes,
        vec![
            (7, Some(-32601)),
            (8, Some(-32602)),
            (9, Some(-32600)),
            (10, Some(-32600)),
            (0, Some(-32600)),
            (0, Some(-32600))
        ]
    );
    assert!(reply[0].text().contains("unknown opcode 15"), "{reply:?}");
    // A server reads only the header of what is not a request.
    let texts: Vec<_> = reply[2..5].iter().map(|r| r.text()).collect();
    assert_eq!(
        texts,
        [
            "success packet sent to a server",
            "error packet sent to a server",
            "event packet sent to a server"
        ]
    );
    assert!(app.seen.is_empty());
}

#[test]
fn messages_that_are_not_batches_get_one_error_with_id_0() {
    let mut server = ready();
    let mut app = TestApp::default();
    for (message, code) in [
        (&[0x05][..], -32600),
        (&[0xff][..], -32700),
        (&[0x82, 0x80][..], -32700),
    ] {
        let reply = run(&mut server, &mut app, message);
        assert_eq!(
            reply.last().map(|r| (r.id, r.code())),
            Some((0, Some(code))),
            "{message:?}"
        );
    }
    // A bare packet: each field is answered, like the real device (spec notes D17).
    let reply = run(&mut server, &mut app, &[0x84, 0x00, 0x01, 0x0e, 0xa0]);
    assert_eq!(reply.len(), 4);
    assert!(reply.iter().all(|r| r.code() == Some(-32600)));
}

#[test]
fn an_empty_message_gets_no_reply() {
    let mut server = ready();
    let received = server
        .handle_message(&[0x80], &mut TestApp::default())
        .unwrap();
    assert_eq!(received.packets, 0);
    assert_eq!(server.poll_transmit(&mut [0; 16]).unwrap(), None);
}

#[test]
fn the_seed_command_reply_matches_the_spec() {
    let mut server = ready();
    let mut app = TestApp::default();
    let _ = exchange(
        &mut server,
        &mut app,
        &[req(1, create("admin", "admin", Some(E3EE)))],
    );
    // [[0, 65, 13, {0: 37(h'E3EE…')}]]
    let message = hex("8184001841 0da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8");
    let _ = server.handle_message(&message, &mut app).unwrap();
    let mut out = [0u8; 16];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(&out[..n], [0x81, 0x82, 0x01, 0x18, 0x41]);
}

#[test]
fn time_points_and_values_pass_through_answers() {
    let mut server = ready();
    let mut app = TestApp::default();
    let reply = exchange(
        &mut server,
        &mut app,
        &[req(
            2,
            Read {
                element: E3EE,
                attributes: (&[AttributeId::Standard(Attribute::Value)][..]).into(),
            },
        )],
    );
    assert_eq!(reply, vec![ok(2, "{11: 121(1(1700000000))}")]);
}

#[test]
fn a_ticket_belongs_to_its_session() {
    // Two live sessions whose first request waits in the same place of their first reply
    // message: each ticket answers only its own session.
    let defer = || TestApp {
        defer: vec![Opcode::GetStage],
        ..TestApp::default()
    };
    let (mut a, mut b) = (ready(), ready());
    let (mut app_a, mut app_b) = (defer(), defer());
    let message = encode(&[req(2, GetStage)]);
    let _ = a.handle_message(&message, &mut app_a).unwrap();
    let _ = b.handle_message(&message, &mut app_b).unwrap();
    let (ticket_a, ticket_b) = (app_a.deferred[0], app_b.deferred[0]);
    assert_ne!(ticket_a, ticket_b);
    let stage = || Ok(Response::GetStage(Stage::Operational).into());
    assert_eq!(
        b.answer(ticket_a, stage()),
        Err(ServerError::UnknownTicket(ticket_a))
    );
    assert_eq!(
        a.answer(ticket_b, stage()),
        Err(ServerError::UnknownTicket(ticket_b))
    );
    assert_eq!(b.waiting(), 1);
    a.answer(ticket_a, stage()).unwrap();
    b.answer(ticket_b, stage()).unwrap();
    let mut out = [0u8; 64];
    for server in [&mut a, &mut b] {
        let n = server.poll_transmit(&mut out).unwrap().unwrap();
        assert_eq!(packets(&out[..n]), vec![ok(2, "2")]);
    }
}

#[test]
fn a_deferred_subscribe_is_answered_with_what_the_application_keeps() {
    let mut server = ready();
    let mut app = TestApp {
        defer: vec![Opcode::Subscribe, Opcode::GetStage],
        ..TestApp::default()
    };
    let message = encode(&[
        req(2, subscribe(Some(B4E1))),
        req(3, subscribe(None)),
        req(4, subscribe(None)),
        req(5, GetStage),
    ]);
    let received = server.handle_message(&message, &mut app).unwrap();
    assert_eq!(received.waiting, 4);
    let (fresh, fresh2) = (app.fresh(1), app.fresh(2));
    assert_eq!(app.subscriptions, vec![B4E1, fresh, fresh2]);
    // Reserved, not active: no events, but in the table.
    assert_eq!(server.subscription_entries(), 3);
    assert!(!server.is_subscribed(&B4E1));
    let [first, second, third, stage] = app.deferred[..] else {
        panic!("four deferred: {:?}", app.deferred)
    };
    server
        .answer(first, Ok(Answer::Subscribed(Watched(7))))
        .unwrap();
    let refused = ErrorObject::new(ErrorCode::MissingAttribute);
    server.answer(second, Err(refused)).unwrap();
    assert_eq!(
        server.answer(second, Ok(Answer::Subscribed(Watched(8)))),
        Err(ServerError::UnknownTicket(second))
    );
    // The wrong kind of success: an item for a subscribe, a subscription for a get_stage.
    let item = Response::Subscribe(Some(fresh2));
    server.answer(third, Ok(item.into())).unwrap();
    server
        .answer(stage, Ok(Answer::Subscribed(Watched(9))))
        .unwrap();
    let mut out = [0u8; 512];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let got = packets(&out[..n]);
    assert_eq!(
        got,
        vec![
            ok(2, &uuid_diag(B4E1)),
            err(3, -32101),
            err(4, -32603),
            err(5, -32603)
        ]
    );
    assert_eq!(
        got[2].text(),
        "the server answered subscribe without accepting it"
    );
    assert_eq!(
        got[3].text(),
        "the server accepted a subscription for what is not a subscribe"
    );
    let active: Vec<_> = server.subscriptions().map(|s| (s.id, *s.data)).collect();
    assert_eq!(active, vec![(B4E1, Watched(7))]);
    assert_eq!(server.subscription_entries(), 1);
}

/// Rates of `throttle` ms and a desired id.
fn subscribe_at(desired: Uuid, throttle: u64) -> Command<'static> {
    let mut command = subscribe(Some(desired));
    if let Command::Subscribe(params) = &mut command {
        params.maximum_update_rate = Some(throttle);
    }
    command
}

#[test]
fn a_subscribe_with_a_subscriptions_id_replaces_it_when_accepted() {
    let mut server = ready();
    let mut app = TestApp::default();
    let _ = exchange(&mut server, &mut app, &[req(2, subscribe_at(B4E1, 100))]);
    app.defer = vec![Opcode::Subscribe];
    let _ = server
        .handle_message(&encode(&[req(3, subscribe_at(B4E1, 200))]), &mut app)
        .unwrap();
    // The old one goes on while its replacement waits.
    assert!(server.is_subscribed(&B4E1));
    assert_eq!(server.rates(&B4E1).unwrap().throttle, Some(100));
    assert_eq!(server.subscription_entries(), 2);
    let replacement = app.deferred.pop().unwrap();
    server
        .answer(replacement, Ok(Answer::Subscribed(Watched(2))))
        .unwrap();
    assert_eq!(server.rates(&B4E1).unwrap().throttle, Some(200));
    let active: Vec<_> = server.subscriptions().map(|s| (s.id, *s.data)).collect();
    assert_eq!(active, vec![(B4E1, Watched(2))]);
    // Refused, a replacement leaves the subscription as it was.
    let _ = server
        .handle_message(&encode(&[req(4, subscribe_at(B4E1, 300))]), &mut app)
        .unwrap();
    let refused = app.deferred.pop().unwrap();
    let error = ErrorObject::new(ErrorCode::MissingAttribute);
    server.answer(refused, Err(error)).unwrap();
    assert_eq!(server.rates(&B4E1).unwrap().throttle, Some(200));
    assert_eq!(server.subscription_entries(), 1);
}

/// A session with two subscribes for B4E1 waiting, throttles 100 and 200 ms: the session
/// and their tickets, earlier first.
fn two_subscribes_waiting() -> (Server<'static>, Ticket, Ticket) {
    let mut server = ready();
    let mut app = TestApp {
        defer: vec![Opcode::Subscribe],
        ..TestApp::default()
    };
    let message = encode(&[
        req(2, subscribe_at(B4E1, 100)),
        req(3, subscribe_at(B4E1, 200)),
    ]);
    let _ = server.handle_message(&message, &mut app).unwrap();
    let [earlier, later] = app.deferred[..] else {
        panic!("two deferred")
    };
    (server, earlier, later)
}

#[test]
fn a_subscribe_accepted_after_a_later_one_failed_keeps_its_own_rates() {
    let (mut server, earlier, later) = two_subscribes_waiting();
    let error = ErrorObject::new(ErrorCode::MissingAttribute);
    server.answer(later, Err(error)).unwrap();
    server
        .answer(earlier, Ok(Answer::Subscribed(Watched(1))))
        .unwrap();
    assert!(server.is_subscribed(&B4E1));
    assert_eq!(server.rates(&B4E1).unwrap().throttle, Some(100));
}

#[test]
fn of_two_subscribes_with_one_id_the_later_wins_whatever_the_answer_order() {
    let (mut server, earlier, later) = two_subscribes_waiting();
    server
        .answer(later, Ok(Answer::Subscribed(Watched(2))))
        .unwrap();
    server
        .answer(earlier, Ok(Answer::Subscribed(Watched(1))))
        .unwrap();
    let active: Vec<_> = server.subscriptions().map(|s| (s.id, *s.data)).collect();
    assert_eq!(active, vec![(B4E1, Watched(2))]);
    assert_eq!(server.rates(&B4E1).unwrap().throttle, Some(200));
    let mut out = [0u8; 128];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let b4e1 = uuid_diag(B4E1);
    assert_eq!(packets(&out[..n]), vec![ok(2, &b4e1), ok(3, &b4e1)]);
}

#[test]
fn a_subscriptions_first_event_needs_no_timer_call() {
    let mut server = ready();
    let mut app = TestApp::default();
    let _ = exchange(&mut server, &mut app, &[req(2, subscribe(Some(B4E1)))]);
    assert_eq!(server.poll_timeout(), Some(0));
    let mut out = [0u8; 128];
    let mut seen = Vec::new();
    let n = server
        .poll_events(7, &mut out, |due, _, events| {
            seen.push(due);
            events.push(data_change()).unwrap();
        })
        .unwrap();
    assert!(n.is_some());
    assert_eq!(
        seen,
        vec![Due {
            subscription: B4E1,
            reason: Reason::Initial
        }]
    );
    // Next: the heartbeat, 100 ms after the event.
    assert_eq!(server.poll_timeout(), Some(107));
}

#[test]
fn unsubscribe_is_the_machines_and_hands_the_subscription_back() {
    let mut server = ready();
    let mut app = TestApp::default();
    let reply = exchange(&mut server, &mut app, &[req(2, subscribe(Some(B4E1)))]);
    assert_eq!(reply, vec![ok(2, &uuid_diag(B4E1))]);
    let seen = app.seen.len();
    let unsubscribe = Unsubscribe {
        subscription_id: B4E1,
    };
    let reply = exchange(
        &mut server,
        &mut app,
        &[req(3, unsubscribe.clone()), req(4, unsubscribe)],
    );
    assert_eq!(reply, vec![ok(3, ""), err(4, -32110)]);
    assert_eq!(app.seen.len(), seen, "unsubscribe never reaches handle");
    assert_eq!(app.unsubscribed, vec![B4E1]);
    assert_eq!(server.subscription_entries(), 0);
}

#[test]
fn a_session_on_storage_another_left_starts_empty() {
    // Each connection's session on one set of buffers, as firmware with a static slot
    // per connection does.
    let mut buffers: ServerBuffers<TestApp, 1024, 8, 2, 2, 2> = ServerBuffers::new();
    let mut app = TestApp {
        defer: vec![Opcode::Lookup],
        ..TestApp::default()
    };
    let waiting = encode(&[req(4, lookup("x")), req(5, GetStage)]);
    {
        let mut first = ServerSession::new(ServerConfig::default(), buffers.storage());
        let _ = exchange(&mut first, &mut app, &[hello(1)]);
        let reply = exchange(
            &mut first,
            &mut app,
            &[
                req(2, create("admin", "admin", Some(E3EE))),
                req(3, subscribe(Some(B4E1))),
            ],
        );
        assert_eq!(
            reply,
            vec![ok(2, &uuid_diag(E3EE)), ok(3, &uuid_diag(B4E1))]
        );
        // A request left waiting for its answer when the connection ends.
        let _ = first.handle_message(&waiting, &mut app).unwrap();
        assert_eq!(first.waiting(), 1);
    }
    let stale = app.deferred.pop().unwrap();
    let mut next = ServerSession::new(ServerConfig::default(), buffers.storage());
    assert_eq!(next.sub_sessions().count(), 0);
    assert_eq!(next.subscription_entries(), 0);
    assert!(!next.is_subscribed(&B4E1));
    assert_eq!(next.waiting(), 0);
    let reply = exchange(&mut next, &mut app, &[hello(1)]);
    assert_eq!(reply, vec![ok(1, "{0: 1}")]);
    let reply = exchange(&mut next, &mut app, &[req(2, close(E3EE))]);
    assert_eq!(reply, vec![err(2, -32111)]);
    // The same requests at the same places as the first session's: its ticket is not
    // taken for the new one's.
    let _ = next.handle_message(&waiting, &mut app).unwrap();
    let fresh = app.deferred.pop().unwrap();
    assert_eq!(
        next.answer(stale, Ok(Response::Lookup(E3EE).into())),
        Err(ServerError::UnknownTicket(stale))
    );
    next.answer(fresh, Ok(Response::Lookup(E3EE).into()))
        .expect("the request waits");
    let mut out = [0u8; 256];
    let n = next.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(
        packets(&out[..n]),
        vec![ok(4, "37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')"), ok(5, "2")]
    );
}
