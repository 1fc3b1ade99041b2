//! Subscriptions through the crate's client: a stream of owned events, fed by the
//! server's change feed, unsubscribed explicitly or on drop.

mod common;

use std::time::Duration;

use common::{POINT, server, within};
use futures_util::StreamExt;
use xentara_ws_tokio::{
    Attribute, AttributeId, ErrorCode, Event, Limits, UpdateRates, Uuid, Value,
};

const VALUE: &[AttributeId] = &[AttributeId::Standard(Attribute::Value)];

fn value(event: &Event) -> Value {
    let Event::Change(change) = event else {
        panic!("not a data change: {event:?}");
    };
    assert_eq!(change.element, POINT);
    assert_eq!(change.values.len(), 1);
    assert_eq!(change.values[0].0, Attribute::Value.into());
    change.values[0].1.clone().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_until_unsubscribed() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let mut events = client
            .subscribe(&[(POINT, VALUE)], UpdateRates::default())
            .await
            .unwrap();
        // The first event: the current value.
        assert_eq!(value(&events.next().await.unwrap()), Value::Float(0.0));

        client.write(POINT, Attribute::Value, 5.0).await.unwrap();
        server.changes().changed(POINT);
        assert_eq!(value(&events.next().await.unwrap()), Value::Float(5.0));

        let id = events.id();
        events.unsubscribe().await.unwrap();
        let e = client.unsubscribe(id).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSubscriptionId));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_subscription_is_unsubscribed() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let desired = Uuid::from_u128(5);
        let events = client
            .subscribe_with_id(&[(POINT, VALUE)], UpdateRates::default(), desired)
            .await
            .unwrap();
        assert_eq!(events.id(), desired);
        drop(events);
        // The drop's unsubscribe went first.
        let e = client.unsubscribe(desired).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::UnknownSubscriptionId));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_come_without_changes_and_the_stream_ends_with_the_connection() {
    let (server, _) = server(Limits::default()).await;
    within(10, async {
        let client = common::client(&server).await;
        let rates = UpdateRates {
            throttle: None,
            heartbeat: Some(Duration::from_millis(100)),
        };
        let mut events = client.subscribe(&[(POINT, VALUE)], rates).await.unwrap();
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            assert_eq!(value(&events.next().await.unwrap()), Value::Float(0.0));
        }
        // The initial event at once, then two heartbeats 100 ms apart.
        assert!(start.elapsed() >= Duration::from_millis(200));
        client.close().await;
        // What came before the close, then the end.
        while let Some(change) = events.next().await {
            assert_eq!(value(&change), Value::Float(0.0));
        }
    })
    .await;
}
