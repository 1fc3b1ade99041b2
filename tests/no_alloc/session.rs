//! Proves the session machines never touch the heap: a counting global allocator watches a
//! whole exchange between a client and a server machine (hello, commands, sub-sessions,
//! subscriptions, a deferred answer, events, errors).

use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;

use xentara_ws_support::counting_alloc::COUNT;

const POINT: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);

/// Answers from the stack; defers get_stage.
struct App {
    deferred: Option<Ticket>,
}

impl Application for App {
    type Identity = u8;
    type Subscription = ();
    fn authenticate(&mut self, c: &Credentials<'_>) -> Result<u8, ErrorCode> {
        match c {
            Credentials::Password(p) if p.password == "admin" => Ok(1),
            _ => Err(ErrorCode::AccessDenied),
        }
    }
    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(7)
    }
    fn handle(&mut self, request: AppRequest<'_, u8>, reply: Reply<'_, ()>) -> Replied {
        match request.command {
            Command::GetStage(_) => {
                self.deferred = Some(request.ticket);
                reply.later()
            }
            Command::Read(p) => {
                let mut values: heapless::Vec<(AttributeId, AttrResult<'_>), 4> =
                    heapless::Vec::new();
                for a in p.attributes.iter().take(4) {
                    let Ok(a) = a else {
                        return reply.error(ErrorCode::InvalidParameter);
                    };
                    let _ = values.push((a, AttrResult::Value(Value::Float(1.5))));
                }
                reply.ok(Response::Read(Seq::from_slice(&values)))
            }
            Command::Write(_) => reply.ok(Response::Write(())),
            Command::Subscribe(_) => reply.accept(()),
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }
}

/// One round: the client's requests through the server and back; returns the outcomes.
fn round<const N: usize>(
    client: &mut ClientSession<N>,
    server: &mut ServerSession<'_, App>,
    app: &mut App,
    commands: &[Command<'_>],
) -> usize {
    let mut buf = [0u8; 512];
    let mut batch = client.start_batch(&mut buf);
    for c in commands {
        batch.request(c.clone()).unwrap();
    }
    let message = batch.finish().unwrap();
    let _ = server.handle_message(message, app).unwrap();
    if let Some(ticket) = app.deferred.take() {
        server
            .answer(ticket, Ok(Response::GetStage(Stage::Operational).into()))
            .unwrap();
    }
    let mut out = [0u8; 1024];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let batch = Batch::new(&out[..n]).unwrap();
    client.handle_message(&batch).count()
}

#[test]
fn a_whole_exchange_allocates_nothing() {
    let mut buffers: Box<ServerBuffers<App>> = Box::default();
    let mut server = ServerSession::new(ServerConfig::default(), buffers.storage());
    let mut client: ClientSession<16> = ClientSession::default();
    let mut app = App { deferred: None };
    let attrs = [
        AttributeId::Standard(Attribute::Value),
        AttributeId::Standard(Attribute::Quality),
    ];
    let entries = [SubscriptionEntry {
        element: POINT,
        attributes: Seq::from_slice(&attrs),
    }];
    let values = [(attrs[0], AttrResult::Value(Value::Float(2.5)))];

    COUNT.with(|c| c.set(Some(0)));
    let credentials = Credentials::Password(Password {
        username: Text::new("admin"),
        password: Text::new("admin"),
    });
    let commands = [
        Command::from(Read {
            element: POINT,
            attributes: Seq::from_slice(&attrs),
        }),
        GetStage.into(),
        Subscribe {
            entries: Seq::from_slice(&entries),
            maximum_update_rate: None,
            minimum_update_rate: Some(100),
            desired_subscription_id: None,
        }
        .into(),
        CreateSubSession {
            credentials,
            desired_session_id: None,
        }
        .into(),
        Write {
            element: POINT,
            attribute: attrs[0],
            value: Value::Float(3.5),
            sub_session_id: Some(Uuid::from_u128(7)),
        }
        .into(),
        CloseSubSession {
            session_id: Uuid::from_u128(99),
        }
        .into(),
        Lookup {
            primary_key: Text::new("x"),
        }
        .into(),
    ];
    let answered = round(&mut client, &mut server, &mut app, &commands);
    let change = DataChange {
        time: TimePoint::from_nanos(1),
        element: POINT,
        values: Seq::from_slice(&values),
    };
    let mut out = [0u8; 256];
    assert_eq!(server.handle_timeout(0), 1);
    let n = server
        .poll_events(0, &mut out, |_, _, events| {
            events.push(change.clone()).unwrap()
        })
        .unwrap()
        .unwrap();
    let batch = Batch::new(&out[..n]).unwrap();
    let events = client.handle_message(&batch).count();
    let allocations = COUNT.with(|c| c.replace(None)).unwrap();

    assert_eq!((answered, events), (commands.len() + 1, 1));
    assert_eq!(allocations, 0);
    assert_eq!(client.pending_len(), 0);
}
