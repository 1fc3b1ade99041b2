//! The crate's client against the crate's server, on 127.0.0.1.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use common::{LATER, NEVER, PASSWORD, POINT, POINT_KEY, Proxy, server, url, within};
use xentara_ws_tokio::{
    Access, Attribute, AttributeId, AttributeInfo, Backoff, BrowseEntry, Client, Credentials,
    DataType, ElementCategory, Error, ErrorCode, ErrorObject, Event, Limits, MetaData, MetaDataId,
    ServerInfo, Stage, UpdateRates, Uuid, Value, VersionRange,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_errors_with_their_codes() {
    let (server, model) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        assert_eq!(client.version(), 1);
        assert_eq!(client.lookup(POINT_KEY).await.unwrap(), POINT);
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);

        client.write(POINT, Attribute::Value, 21.5).await.unwrap();
        assert_eq!(*model.value.lock().unwrap(), 21.5);
        let read = client
            .read(POINT, &[Attribute::Value.into(), Attribute::Quality.into()])
            .await
            .unwrap();
        let missing = ErrorObject {
            code: ErrorCode::MissingAttribute,
            message: Some("no such attribute".to_owned()),
        };
        let expected: Vec<(AttributeId, _)> = vec![
            (Attribute::Value.into(), Ok(Value::Float(21.5))),
            (Attribute::Quality.into(), Err(missing)),
        ];
        assert_eq!(read, expected);

        // The server's errors, with their codes and texts.
        match client.lookup("nothing").await {
            Err(Error::Server { code, message }) => {
                assert_eq!(
                    (code, message.as_str()),
                    (ErrorCode::UnknownElement, "no such element")
                );
            }
            other => panic!("{other:?}"),
        }
        let e = client
            .write(POINT, Attribute::Quality, 1.0)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::ReadOnly));
        let e = client
            .write(POINT, Attribute::Value, "text")
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::TypeMismatch));
        let e = client
            .read(Uuid::from_u128(99), &[Attribute::Value.into()])
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownElement));
        assert_eq!(e.to_string(), "server error -32100: unknown element");

        client.close().await;
        assert!(client.is_closed());
        assert!(matches!(client.get_stage().await, Err(Error::Closed)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_sessions_with_right_and_wrong_credentials() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let wrong = client
            .create_sub_session(Credentials::password("admin", "wrong"))
            .await
            .unwrap_err();
        assert_eq!(wrong.code(), Some(ErrorCode::AccessDenied));

        let session = client
            .create_sub_session(Credentials::password("admin", PASSWORD))
            .await
            .unwrap();
        assert_eq!(session.id(), Uuid::from_u128(0x1000));
        session.write(POINT, Attribute::Value, 3.0).await.unwrap();
        let id = session.id();
        session.close().await.unwrap();
        // Closed: the server no longer knows it.
        let e = client.close_sub_session(id).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSessionId));

        // A dropped handle closes its sub-session.
        let desired = Uuid::from_u128(0xabc);
        let session = client
            .create_sub_session_with_id(Credentials::password("admin", PASSWORD), desired)
            .await
            .unwrap();
        assert_eq!(session.id(), desired);
        drop(session);
        let e = client.close_sub_session(desired).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSessionId));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_connection_and_its_messages() {
    let (server, model) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr)).connect().await.unwrap();
        let hello = proxy.frames();
        assert_eq!(hello, 1);
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.read(POINT, &[Attribute::Value.into()]).await })
            })
            .collect();
        for task in tasks {
            let read = task.await.unwrap().unwrap();
            assert_eq!(read, vec![(Attribute::Value.into(), Ok(Value::Float(0.0)))]);
        }
        let ids = model.ids.lock().unwrap().clone();
        assert_eq!(ids.len(), 64);
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            64,
            "ids are unique"
        );
        let messages = proxy.frames() - hello;
        assert!(messages < 64, "64 requests in {messages} messages");
        assert!(messages >= 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_answered_times_out() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = Client::builder(url(server.local_addr()))
            .request_timeout(Duration::from_millis(300))
            .connect()
            .await
            .unwrap();
        let start = Instant::now();
        assert!(matches!(client.lookup(NEVER).await, Err(Error::Timeout)));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_millis(1200), "{took:?}");
        // The server sends reply messages in request order, so a later request waits
        // behind the one never answered: it times out too, and the client stays usable.
        assert!(matches!(client.get_stage().await, Err(Error::Timeout)));
        assert!(!client.is_closed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_reconnect_a_cut_connection_closes_the_client() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr))
            .request_timeout(Duration::from_secs(30))
            .reconnect(None)
            .connect()
            .await
            .unwrap();
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { client.lookup(NEVER).await })
        };
        // Until the request is on the wire.
        while proxy.frames() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        proxy.cut();
        assert!(matches!(waiting.await.unwrap(), Err(Error::Closed)));
        assert!(matches!(client.get_stage().await, Err(Error::Closed)));
        assert!(client.is_closed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors_are_typed() {
    let (server, _) = server(Limits {
        max_connections: 1,
        ..Limits::default()
    })
    .await;
    let addr = server.local_addr();
    within(10, async {
        let e = Client::builder(format!("ws://{addr}/other"))
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::NotFound { path } if path == "/other"),
            "{e:?}"
        );
        let e = Client::builder(format!("ws://admin:nope@{addr}/api/ws"))
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unauthorized), "{e:?}");
        let first = Client::builder(url(addr))
            .credentials("admin", "admin")
            .connect()
            .await
            .unwrap();
        let e = Client::builder(url(addr)).connect().await.unwrap_err();
        assert!(matches!(e, Error::Http { status: 503 }), "{e:?}");
        first.close().await;

        // Nothing listening.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let free = listener.local_addr().unwrap();
        drop(listener);
        let e = Client::builder(url(free)).connect().await.unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
        let e = Client::builder("http://h/api/ws")
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Url { .. }), "{e:?}");

        // A peer that takes the connection and says nothing.
        let mute = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mute_addr = mute.local_addr().unwrap();
        let held = tokio::spawn(async move { mute.accept().await });
        let start = Instant::now();
        let e = Client::builder(url(mute_addr))
            .connect_timeout(Duration::from_millis(200))
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::ConnectTimeout), "{e:?}");
        assert!(start.elapsed() >= Duration::from_millis(200));
        drop(held);
    })
    .await;
}

/// A server that sends one reply message at a time (a message's answers wait for every
/// earlier message's), behind a proxy.
async fn one_reply_message_at_a_time() -> (xentara_ws_tokio::Server, Proxy) {
    let limits = Limits {
        reply_messages: 1,
        ..Limits::default()
    };
    let (server, _) = server(limits).await;
    let proxy = Proxy::start(server.local_addr()).await;
    (server, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_given_later_from_another_task_hold_back_what_follows() {
    // The get_stage's message waits for the lookup's answer.
    let (_server, proxy) = one_reply_message_at_a_time().await;
    within(10, async {
        let client = Client::builder(url(proxy.addr)).connect().await.unwrap();
        let start = Instant::now();
        let later = {
            let client = client.clone();
            tokio::spawn(async move { client.lookup(LATER).await })
        };
        while proxy.frames() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // A message of its own, taken by the server only once the lookup is answered.
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(proxy.frames(), 3);
        assert_eq!(later.await.unwrap().unwrap(), POINT);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_meta_data_server_information_and_the_stage_commands() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let info = client
            .server_information(&[ServerInfo::Version])
            .await
            .unwrap();
        assert_eq!(
            info,
            [(ServerInfo::Version, Value::Text("test 1.0".into()))]
        );

        let entries = client.browse(Uuid::nil(), Some(1), None).await.unwrap();
        let point = BrowseEntry {
            primary_key: POINT_KEY.to_owned(),
            element: POINT,
            category: ElementCategory::DataPoint,
        };
        assert_eq!(entries, [point]);
        let e = client
            .browse(POINT, None, Some(&[ElementCategory::DataPoint]))
            .await;
        assert_eq!(e.unwrap_err().code(), Some(ErrorCode::UnknownElement));

        let ids = [MetaDataId::PrimaryKey, MetaDataId::AttributeList];
        let meta = client.meta_data(POINT, &ids).await.unwrap();
        let value = AttributeInfo {
            name: "Value".to_owned(),
            id: Attribute::Value.into(),
            access: Access::ReadWrite,
            data_type: DataType::Float64,
        };
        let expected = MetaData {
            primary_key: Some(POINT_KEY.to_owned()),
            category: Some(ElementCategory::DataPoint),
            attributes: Some(vec![value]),
            has_children: Some(false),
        };
        assert_eq!(meta, expected);

        // Without a sub-session the stage commands are refused; with one they pass.
        for e in [
            client.suspend().await,
            client.resume().await,
            client.shutdown().await,
        ] {
            assert_eq!(e.unwrap_err().code(), Some(ErrorCode::AccessDenied));
        }
        let session = client
            .create_sub_session(Credentials::password("admin", PASSWORD))
            .await
            .unwrap();
        session.suspend().await.unwrap();
        session.resume().await.unwrap();
        session.shutdown().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_pings_hold_an_idle_connection_open() {
    let (server, _) = server(Limits {
        idle: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    within(10, async {
        // Without reconnecting, to see the server's close.
        let connect = |every| {
            Client::builder(url(server.local_addr()))
                .keep_alive(every)
                .reconnect(None)
                .connect()
        };
        let pinging = connect(Some(Duration::from_millis(50))).await.unwrap();
        let silent = connect(None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(pinging.get_stage().await.unwrap(), Stage::Operational);
        // The server closed the silent one when idle.
        assert!(matches!(silent.get_stage().await, Err(Error::Closed)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gone_without_a_word_is_found_dead_by_the_pings() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr))
            .keep_alive(Some(Duration::from_millis(50)))
            .reconnect(None)
            .connect()
            .await
            .unwrap();
        let mut subscribed = client
            .subscribe(
                &[(POINT, &[Attribute::Value.into()])],
                UpdateRates::default(),
            )
            .await
            .unwrap();
        proxy.freeze();
        let start = Instant::now();
        while !client.is_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Two periods without a word, and the ping after them (with room for a busy
        // machine).
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(client.get_stage().await, Err(Error::Closed)));
        // The subscription's stream ends: what came before, then `None`.
        while let Some(event) = subscribed.next().await {
            assert_eq!(event.change().unwrap().element, POINT);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_requests_grow_the_buffer_up_to_the_largest_message() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = Client::builder(url(server.local_addr()))
            .max_message(64 * 1024)
            .connect()
            .await
            .unwrap();
        // Larger than the first buffer: sent, and answered (a text is not the point's type).
        let e = client
            .write(POINT, Attribute::Value, "x".repeat(40_000))
            .await;
        assert_eq!(e.unwrap_err().code(), Some(ErrorCode::TypeMismatch));
        // Larger than the largest message: never sent.
        let e = client
            .write(POINT, Attribute::Value, "x".repeat(70_000))
            .await;
        assert!(
            matches!(&e, Err(Error::Encode(text)) if text.contains("65536")),
            "{e:?}"
        );
        // Not one CBOR item: never sent.
        let e = client
            .write(POINT, Attribute::Value, Value::Other(vec![0x82]))
            .await;
        assert!(matches!(e, Err(Error::Encode(_))), "{e:?}");
        // The connection goes on.
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_versions_are_negotiated_in_the_hello() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = xentara_ws_tokio::Server::builder(|_: &xentara_ws_tokio::Peer| {
        Some(common::TestApp {
            model: Default::default(),
            answers: None,
        })
    })
    .versions(VersionRange::new(1, 2))
    .serve(listener)
    .unwrap();
    within(10, async {
        let connect = |versions| {
            Client::builder(url(server.local_addr()))
                .versions(versions)
                .connect()
        };
        assert_eq!(connect(VersionRange::V1).await.unwrap().version(), 1);
        assert_eq!(connect(VersionRange::new(1, 5)).await.unwrap().version(), 2);
        let e = connect(VersionRange::new(3, 4)).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidParameter), "{e}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn requests_of_one_scheduler_tick_leave_in_messages_of_at_most_max_batch() {
    let (server, model) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr)).connect().await.unwrap();
        let hello = proxy.frames();
        // On one thread the tasks all run before the driver does.
        let read_all = |n| {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let client = client.clone();
                    tokio::spawn(
                        async move { client.read(POINT, &[Attribute::Value.into()]).await },
                    )
                })
                .collect();
            async move {
                for task in tasks {
                    assert!(task.await.unwrap().is_ok());
                }
            }
        };
        read_all(32).await;
        assert_eq!(proxy.frames() - hello, 1);
        // 70: two full messages of 32 (the default most) and one of 6.
        read_all(70).await;
        assert_eq!(proxy.frames() - hello, 4);
        assert_eq!(model.ids.lock().unwrap().len(), 102);
    })
    .await;
}

/// `n` tasks on `client`, each calling `first` and then reading the data point's value,
/// spawned in one scheduler tick.
fn first_then_read<F>(
    client: &Client,
    n: usize,
    first: fn(Client) -> F,
) -> Vec<tokio::task::JoinHandle<()>>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                first(client.clone()).await;
                let read = client.read(POINT, &[Attribute::Value.into()]).await;
                assert_eq!(read.unwrap().len(), 1);
            })
        })
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn the_callers_a_message_answers_send_their_next_requests_before_the_next_is_read() {
    // The second message's answers wait for the first's (50 ms, for its lookup), then
    // both reach the client together.
    let (_server, proxy) = one_reply_message_at_a_time().await;
    within(10, async {
        let client = Client::builder(url(proxy.addr)).connect().await.unwrap();
        let hello = proxy.frames();
        // Half a message's most (32) or more: the driver waits for these callers.
        let mut tasks = first_then_read(&client, 1, |client| async move {
            assert_eq!(client.lookup(LATER).await.unwrap(), POINT);
        });
        tasks.extend(first_then_read(&client, 15, |client| async move {
            client
                .read(POINT, &[Attribute::Value.into()])
                .await
                .unwrap();
        }));
        while proxy.frames() < hello + 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tasks.extend(first_then_read(&client, 16, |client| async move {
            client.get_stage().await.unwrap();
        }));
        for task in tasks {
            task.await.unwrap();
        }
        // Each message's 16 reads left before the other message was read: two messages,
        // not one of 32 (which would leave the server idle while the client works on both).
        assert_eq!(proxy.frames() - hello, 4);
    })
    .await;
}

/// `Duration::MAX` is how a user says "never": as a request timeout, a keep-alive period,
/// a reconnect wait, a server's idle limit and a shutdown's grace, it works as a very long
/// time, as do the rates a peer asks for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_durations_are_taken_as_never() {
    let limits = Limits {
        idle: Duration::MAX,
        ..Limits::default()
    };
    let (server, _) = server(limits).await;
    within(10, async {
        let backoff = Backoff {
            first: Duration::MAX,
            max: Duration::MAX,
        };
        let client = xentara_ws_tokio::Client::builder(url(server.local_addr()))
            .request_timeout(Duration::MAX)
            .keep_alive(Some(Duration::MAX))
            .reconnect(Some(backoff))
            .connect()
            .await
            .unwrap();
        let values = client
            .read(POINT, &[Attribute::Value.into()])
            .await
            .unwrap();
        assert_eq!(values[0].1, Ok(Value::Float(0.0)));
        let rates = UpdateRates {
            throttle: Some(Duration::MAX),
            heartbeat: Some(Duration::MAX),
        };
        let mut events = client
            .subscribe(&[(POINT, &[Attribute::Value.into()])], rates)
            .await
            .unwrap();
        assert!(matches!(events.next().await, Some(Event::Change(_))));
        // The server's connection still answers.
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);
        client.close().await;
        let report = server.shutdown(Duration::MAX).await;
        assert_eq!(report.aborted, 0);
    })
    .await;
}

/// Requests beyond the 256 in flight wait in a queue; when requests in flight time out,
/// the queue goes out at once, not at the next frame from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_request_goes_out_when_timeouts_make_room() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr))
            .request_timeout(Duration::from_millis(1000))
            .max_batch(128)
            .connect()
            .await
            .unwrap();
        // 256 requests lost on the way: the session's table of requests in flight is full.
        proxy.freeze();
        let lost: Vec<_> = (0..256)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.get_stage().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let queued = tokio::spawn({
            let client = client.clone();
            async move { client.get_stage().await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        proxy.thaw();
        for request in lost {
            assert!(matches!(request.await.unwrap(), Err(Error::Timeout)));
        }
        // Sent when the others timed out (1 s), answered before its own deadline
        // (1.3 s).
        assert_eq!(queued.await.unwrap().unwrap(), Stage::Operational);
    })
    .await;
}

/// Polls `request` once (the request is handed over), then gives it to `then`.
async fn hand_over<F: std::future::Future>(request: F) -> std::pin::Pin<Box<F>> {
    let mut request = Box::pin(request);
    std::future::poll_fn(|cx| {
        assert!(request.as_mut().poll(cx).is_pending());
        std::task::Poll::Ready(())
    })
    .await;
    request
}

/// A sub-session or subscription whose request was given up after it was sent is closed
/// again when the server makes it: no handle is left to close it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_session_or_subscription_given_up_is_closed_when_made() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let credentials = || Credentials::password("admin", PASSWORD);
        let (early, late) = (Uuid::from_u128(21), Uuid::from_u128(22));
        let value: &[AttributeId] = &[Attribute::Value.into()];
        let entries = [(POINT, value)];
        // Given up before the answer came.
        drop(hand_over(client.create_sub_session_with_id(credentials(), early)).await);
        drop(hand_over(client.subscribe_with_id(&entries, UpdateRates::default(), early)).await);
        // Given up after the answer came, before it was taken: the server answers in
        // request order, so a later request's answer means theirs came.
        let sub_session = hand_over(client.create_sub_session_with_id(credentials(), late)).await;
        let subscription =
            hand_over(client.subscribe_with_id(&entries, UpdateRates::default(), late)).await;
        client.get_stage().await.unwrap();
        drop((sub_session, subscription));

        for id in [early, late] {
            let closed = client.close_sub_session(id).await.unwrap_err();
            assert_eq!(closed.code(), Some(ErrorCode::UnknownSessionId), "{id}");
            let unsubscribed = client.unsubscribe(id).await.unwrap_err();
            assert_eq!(
                unsubscribed.code(),
                Some(ErrorCode::UnknownSubscriptionId),
                "{id}"
            );
        }
    })
    .await;
}

/// Requests that fill the largest message to its last byte leave in it, or in the next
/// one: none fails as too large because the message's head grew at 24 requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_message_keeps_every_request() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        // After the hello (id 1), 24 get_stage requests (ids 2 to 25): 22 of 4 bytes and
        // two of 5, after a head of one byte, which 24 requests make two.
        let client = Client::builder(url(server.local_addr()))
            .max_message(1 + 22 * 4 + 2 * 5)
            .connect()
            .await
            .unwrap();
        // All in one scheduler tick: one batch.
        let stages = futures_util::future::join_all((0..24).map(|_| client.get_stage())).await;
        for stage in stages {
            assert_eq!(stage.unwrap(), Stage::Operational);
        }
    })
    .await;
}
