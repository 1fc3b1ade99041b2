//! Connections lost and made again, through a proxy that cuts them: requests in flight
//! end `Closed`, requests made meanwhile wait for the next connection (or time out),
//! subscriptions come back under their ids with a marker, sub-sessions are opened again.

mod common;

use std::time::Duration;

use common::{NEVER, PASSWORD, POINT, POINT_KEY, Proxy, server, url, within};
use futures_util::StreamExt;
use xentara_ws_tokio::{
    Attribute, AttributeId, Backoff, Client, Credentials, Error, ErrorCode, Event, Limits,
    UpdateRates, Value,
};

const VALUE: &[AttributeId] = &[AttributeId::Standard(Attribute::Value)];

/// Reconnects fast: the tests wait for it.
const FAST: Backoff = Backoff {
    first: Duration::from_millis(20),
    max: Duration::from_millis(100),
};

/// A client that reconnects fast, through `proxy`.
async fn client(proxy: &Proxy) -> Client {
    Client::builder(url(proxy.addr))
        .reconnect(Some(FAST))
        .connect()
        .await
        .unwrap()
}

/// A subscription to the point's value.
async fn subscribe(client: &Client) -> xentara_ws_tokio::Subscription {
    client
        .subscribe(&[(POINT, VALUE)], UpdateRates::default())
        .await
        .unwrap()
}

/// A sub-session of `admin`.
async fn sub_session(client: &Client) -> xentara_ws_tokio::SubSession {
    client
        .create_sub_session(Credentials::password("admin", PASSWORD))
        .await
        .unwrap()
}

async fn until(condition: impl Fn() -> bool) {
    while !condition() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn value(event: Option<Event>) -> Value {
    match event {
        Some(Event::Change(change)) => {
            assert_eq!(change.element, POINT);
            change.values[0].1.clone().unwrap()
        }
        other => panic!("not a data change: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_and_sub_sessions_come_back_after_a_cut() {
    let (server, model) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = client(&proxy).await;
        let mut events = subscribe(&client).await;
        let sub_session = sub_session(&client).await;
        assert_eq!(value(events.next().await), Value::Float(0.0));

        proxy.cut();
        until(|| !client.is_connected()).await;
        // Made while there is no connection: it waits for the next one.
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { client.lookup(POINT_KEY).await })
        };
        *model.value.lock().unwrap() = 7.0;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished());
        assert!(!client.is_closed());
        proxy.heal();

        // The marker, then the current value from the subscription made again.
        assert_eq!(events.next().await, Some(Event::Reconnected));
        assert_eq!(value(events.next().await), Value::Float(7.0));
        assert_eq!(waiting.await.unwrap().unwrap(), POINT);
        // The same subscription id on the new connection, and the sub-session's id is
        // known there: the server checks its credentials again.
        sub_session
            .write(POINT, Attribute::Value, 8.0)
            .await
            .unwrap();
        server.changes().changed(POINT);
        assert_eq!(value(events.next().await), Value::Float(8.0));
        sub_session.close().await.unwrap();
        events.unsubscribe().await.unwrap();
        assert_eq!(client.version(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_the_cut_ends_closed_and_the_next_one_is_answered() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = client(&proxy).await;
        let in_flight = {
            let client = client.clone();
            tokio::spawn(async move { client.lookup(NEVER).await })
        };
        until(|| proxy.frames() >= 2).await;
        proxy.cut();
        // Never sent twice: whether the server did it is unknown.
        assert!(matches!(in_flight.await.unwrap(), Err(Error::Closed)));
        proxy.heal();
        assert_eq!(client.lookup(POINT_KEY).await.unwrap(), POINT);
        assert_eq!(proxy.frames(), 4, "hello, lookup, hello again, lookup");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_gone_longer_than_the_timeout_ends_requests_timed_out() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = Client::builder(url(proxy.addr))
            .reconnect(Some(FAST))
            .request_timeout(Duration::from_millis(300))
            .connect()
            .await
            .unwrap();
        proxy.cut();
        until(|| !client.is_connected()).await;
        let e = client.get_stage().await.unwrap_err();
        assert!(matches!(e, Error::Timeout), "{e}");
        // Still trying: the client is not closed, and answers once the server is back.
        assert!(!client.is_closed());
        proxy.heal();
        let mut answered = false;
        for _ in 0..10 {
            if client.get_stage().await.is_ok() {
                answered = true;
                break;
            }
        }
        assert!(answered);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_ends_during_a_cut_is_not_made_again() {
    let (server, _) = server(Limits::default()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    within(10, async {
        let client = client(&proxy).await;
        let events = subscribe(&client).await;
        let id = events.id();
        let sub_session = sub_session(&client).await;
        let session_id = sub_session.id();
        proxy.cut();
        until(|| !client.is_connected()).await;
        // Ended while no server has them: done at once.
        events.unsubscribe().await.unwrap();
        sub_session.close().await.unwrap();
        proxy.heal();
        let e = client.unsubscribe(id).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSubscriptionId));
        let e = client.close_sub_session(session_id).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSessionId));
    })
    .await;
}
