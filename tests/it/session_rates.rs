//! Subscriptions' update rates in the server machine, on a virtual clock: the
//! first event, the throttle (`maximum_update_rate`), the heartbeat (`minimum_update_rate`),
//! coalescing, several subscriptions due together, unsubscribe while due, neither rate,
//! and events that do not fit.

use xentara_ws::params::*;
use xentara_ws::session::*;
use xentara_ws::*;
use xentara_ws_support::session::encode;
use xentara_ws_support::session::*;

const A: Uuid = Uuid::from_u128(0xa);
const B: Uuid = Uuid::from_u128(0xb);

/// subscribe with the given rates and desired id.
fn subscribe_with(id: Uuid, throttle: Option<u64>, heartbeat: Option<u64>) -> Command<'static> {
    let Command::Subscribe(mut s) = subscribe(Some(id)) else {
        unreachable!()
    };
    s.maximum_update_rate = throttle;
    s.minimum_update_rate = heartbeat;
    Command::Subscribe(s)
}

/// A ready session with the subscriptions `(id, throttle, heartbeat)` active.
fn session_with(subs: &[(Uuid, Option<u64>, Option<u64>)]) -> (Server<'static>, TestApp) {
    let mut server = server();
    let mut app = TestApp::default();
    let mut requests = vec![hello(1)];
    for (n, &(id, throttle, heartbeat)) in subs.iter().enumerate() {
        requests.push(req(2 + n as i64, subscribe_with(id, throttle, heartbeat)));
    }
    let reply = exchange(&mut server, &mut app, &requests);
    assert!(reply.iter().all(|r| r.code().is_none()), "{reply:?}");
    (server, app)
}

/// Writes the events due at `now`, one data change per due subscription; returns what
/// was due (in order) and the number of event packets.
fn fire(server: &mut Server<'_>, now: u64) -> (Vec<Due>, usize) {
    let mut seen = Vec::new();
    let mut out = [0u8; 1024];
    let change = data_change();
    let written = server
        .poll_events(now, &mut out, |due, _, events| {
            seen.push(due);
            events.push(change.clone()).unwrap();
        })
        .unwrap();
    let packets = match written {
        Some(n) => Batch::new(&out[..n]).unwrap().into_iter().count(),
        None => 0,
    };
    assert_eq!(packets, seen.len());
    (seen, packets)
}

fn due(subscription: Uuid, reason: Reason) -> Due {
    Due {
        subscription,
        reason,
    }
}

#[test]
fn the_first_event_is_due_as_soon_as_the_subscription_is_active() {
    let (mut server, _) = session_with(&[(A, Some(1000), Some(1000))]);
    // Due at once, whatever the caller's clock says.
    assert_eq!(server.poll_timeout(), Some(0));
    assert_eq!(fire(&mut server, 5000), (vec![due(A, Reason::Initial)], 1));
    // Then the heartbeat, a period after the event.
    assert_eq!(server.poll_timeout(), Some(6000));
}

#[test]
fn the_event_message_is_exact() {
    let (mut server, _) = session_with(&[(A, None, None)]);
    let mut out = [0u8; 128];
    let n = server
        .poll_events(0, &mut out, |_, _, events| {
            events.push(data_change()).unwrap()
        })
        .unwrap()
        .unwrap();
    // [[8, 0, {0: 1(1700000000), 1: 37(h'e3ee…'), 2: {11: 121(1.5)}}]]
    assert_eq!(
        to_hex(&out[..n]),
        "81830800a300c11a6553f10001d82550e3ee10714d884ba18e5d0f1e4ce25ee802a10bd879f93e00"
    );
    assert_eq!(
        out[..n],
        encode(&[Packet::Event(Event::DataChange(data_change()))])[..]
    );
}

#[test]
fn the_throttle_holds_a_change_until_its_period_has_passed() {
    let (mut server, _) = session_with(&[(A, Some(100), None)]);
    assert_eq!(fire(&mut server, 1000).1, 1);
    // No change, no heartbeat: nothing is due, ever.
    assert_eq!(server.poll_timeout(), None);
    server.changed(&A).unwrap();
    assert_eq!(server.poll_timeout(), Some(1100));
    assert_eq!(fire(&mut server, 1099), (vec![], 0));
    assert_eq!(fire(&mut server, 1100), (vec![due(A, Reason::Change)], 1));
    assert_eq!(server.poll_timeout(), None);
    // A change long after the last event goes out at once.
    server.changed(&A).unwrap();
    assert_eq!(server.poll_timeout(), Some(1200));
    assert_eq!(fire(&mut server, 5000), (vec![due(A, Reason::Change)], 1));
}

#[test]
fn changes_within_a_window_are_coalesced_into_one_event() {
    let (mut server, _) = session_with(&[(A, Some(100), None)]);
    assert_eq!(fire(&mut server, 0).1, 1);
    for now in [10, 20, 30, 99] {
        server.changed(&A).unwrap();
        assert_eq!(fire(&mut server, now), (vec![], 0));
    }
    assert_eq!(fire(&mut server, 100), (vec![due(A, Reason::Change)], 1));
    assert_eq!(fire(&mut server, 150), (vec![], 0));
}

#[test]
fn the_heartbeat_sends_an_event_without_a_change() {
    let (mut server, _) = session_with(&[(A, None, Some(1000))]);
    assert_eq!(fire(&mut server, 0).1, 1);
    assert_eq!(server.poll_timeout(), Some(1000));
    assert_eq!(fire(&mut server, 999), (vec![], 0));
    assert_eq!(
        fire(&mut server, 1000),
        (vec![due(A, Reason::Heartbeat)], 1)
    );
    // A change restarts the heartbeat's period.
    server.changed(&A).unwrap();
    assert_eq!(fire(&mut server, 1500), (vec![due(A, Reason::Change)], 1));
    assert_eq!(server.poll_timeout(), Some(2500));
}

/// Found by the conformance runner: the demo reported a change every 100 ms for a
/// subscription to an attribute that never changed, and each empty change restarted the
/// heartbeat, so none ever came.
#[test]
fn a_change_that_pushes_nothing_does_not_restart_the_heartbeat() {
    let (mut server, _) = session_with(&[(A, None, Some(500))]);
    assert_eq!(fire(&mut server, 0).1, 1);
    let mut out = [0u8; 256];
    let mut heartbeats = Vec::new();
    for now in (100..=1000).step_by(100) {
        server.changed_at(&A, now).unwrap();
        let written = server
            .poll_events(now, &mut out, |due, _, events| {
                // Only a heartbeat has something to say: the change was none.
                if due.reason == Reason::Heartbeat {
                    heartbeats.push(now);
                    events.push(data_change()).unwrap();
                }
            })
            .unwrap();
        assert_eq!(
            written.is_some(),
            heartbeats.last() == Some(&now),
            "at {now}"
        );
    }
    assert_eq!(heartbeats, [500, 1000]);
    // An empty change keeps the throttle's window, too: the next change is not held back.
    assert_eq!(server.poll_timeout(), Some(1500));
}

#[test]
fn a_heartbeat_shorter_than_the_throttle_waits_for_the_throttle() {
    let (mut server, _) = session_with(&[(A, Some(500), Some(100))]);
    assert_eq!(fire(&mut server, 0).1, 1);
    assert_eq!(server.poll_timeout(), Some(500));
    assert_eq!(fire(&mut server, 500), (vec![due(A, Reason::Heartbeat)], 1));
}

#[test]
fn subscriptions_due_together_leave_in_one_message() {
    let (mut server, _) = session_with(&[(A, Some(100), Some(1000)), (B, None, Some(1000))]);
    assert_eq!(
        fire(&mut server, 0),
        (vec![due(A, Reason::Initial), due(B, Reason::Initial)], 2)
    );
    server.changed(&A).unwrap();
    assert_eq!(server.poll_timeout(), Some(100));
    assert_eq!(fire(&mut server, 100), (vec![due(A, Reason::Change)], 1));
    // B's heartbeat at 1000, A's at 1100: a caller that wakes at 1100 sends both at once.
    assert_eq!(server.poll_timeout(), Some(1000));
    assert_eq!(
        fire(&mut server, 1100),
        (
            vec![due(A, Reason::Heartbeat), due(B, Reason::Heartbeat)],
            2
        )
    );
}

#[test]
fn unsubscribing_while_due_sends_nothing_for_it() {
    let (mut server, mut app) = session_with(&[(A, None, Some(100)), (B, None, Some(100))]);
    assert_eq!(fire(&mut server, 0).1, 2);
    assert_eq!(server.handle_timeout(100), 2);
    let reply = exchange(
        &mut server,
        &mut app,
        &[req(9, Unsubscribe { subscription_id: A })],
    );
    assert_eq!(reply, vec![ok(9, "")]);
    let mut seen = Vec::new();
    let mut out = [0u8; 256];
    let written = server
        .poll_events(100, &mut out, |due, _, events| {
            seen.push(due);
            events.push(data_change()).unwrap();
        })
        .unwrap();
    assert!(written.is_some());
    assert_eq!(seen, vec![due(B, Reason::Heartbeat)]);
    assert_eq!(server.changed(&A), Err(ServerError::UnknownSubscription(A)));
}

#[test]
fn a_subscription_with_neither_rate_sends_each_change_at_once_and_nothing_else() {
    let (mut server, _) = session_with(&[(A, None, None)]);
    assert_eq!(server.rates(&A), Some(Rates::default()));
    assert_eq!(fire(&mut server, 10).1, 1);
    assert_eq!(server.poll_timeout(), None);
    assert_eq!(fire(&mut server, 100_000), (vec![], 0));
    server.changed(&A).unwrap();
    // Due since the last event: a time in the past means at once.
    assert_eq!(server.poll_timeout(), Some(10));
    assert_eq!(
        fire(&mut server, 100_001),
        (vec![due(A, Reason::Change)], 1)
    );
}

#[test]
fn rates_of_zero_count_as_absent_and_large_ones_saturate() {
    let (server, _) = session_with(&[(A, Some(0), Some(0)), (B, Some(u64::MAX), Some(7))]);
    assert_eq!(server.rates(&A), Some(Rates::default()));
    assert_eq!(
        server.rates(&B),
        Some(Rates {
            throttle: Some(u32::MAX),
            heartbeat: Some(7),
        })
    );
}

#[test]
fn a_subscription_has_no_timer_until_its_subscribe_is_answered() {
    let mut server = server();
    let mut app = TestApp {
        defer: vec![Opcode::Subscribe],
        ..TestApp::default()
    };
    let _ = exchange(&mut server, &mut app, &[hello(1)]);
    let _ = server
        .handle_message(
            &encode(&[req(2, subscribe_with(A, None, Some(10)))]),
            &mut app,
        )
        .unwrap();
    assert_eq!(server.poll_timeout(), None);
    assert_eq!(server.handle_timeout(1000), 0);
    // A change before the answer is folded into the first event.
    server.changed(&A).unwrap();
    let ticket = app.deferred.pop().unwrap();
    assert_eq!(server.poll_timeout(), None);
    server
        .answer(ticket, Ok(Answer::Subscribed(Watched(1))))
        .unwrap();
    assert_eq!(server.poll_timeout(), Some(0));
    assert_eq!(fire(&mut server, 1001), (vec![due(A, Reason::Initial)], 1));
    assert_eq!(server.poll_timeout(), Some(1011));
}

#[test]
fn events_that_do_not_fit_wait_for_the_next_message_or_are_dropped_when_alone() {
    let (mut server, _) = session_with(&[(A, None, Some(100)), (B, None, Some(100))]);
    let one = encode(&[Packet::Event(Event::DataChange(data_change()))]).len();
    // Room for one subscription's event: A goes now, B in the next message.
    let mut out = vec![0u8; one + 1];
    let mut seen = Vec::new();
    let mut fill = |due: Due, _: &mut Watched, events: &mut Events<'_, '_>| {
        seen.push(due.subscription);
        let _ = events.push(data_change());
    };
    let n = server.poll_events(0, &mut out, &mut fill).unwrap().unwrap();
    assert_eq!(n, one);
    let n = server.poll_events(0, &mut out, &mut fill).unwrap().unwrap();
    assert_eq!(n, one);
    assert_eq!(server.poll_events(0, &mut out, &mut fill), Ok(None));
    assert_eq!(seen, vec![A, B, B]);

    // Too large even alone: dropped and reported, its timers restart.
    let mut small = [0u8; 8];
    let first = server.poll_events(100, &mut small, |_, _, events| {
        let _ = events.push(data_change());
    });
    assert!(
        matches!(first, Err(ServerError::EventsTooLarge { subscription, required })
            if subscription == A && required > 8),
        "{first:?}"
    );
    assert_eq!(server.poll_timeout(), Some(100));
}

#[test]
fn a_change_the_application_knows_is_coming_is_on_the_sessions_timer() {
    let (mut server, _) = session_with(&[(A, None, None), (B, Some(100), None)]);
    assert_eq!(fire(&mut server, 0).1, 2);
    assert_eq!(server.poll_timeout(), None);
    // A value sampled every 50 ms changes at 50: one timer covers it.
    server.changed_at(&A, 50).unwrap();
    assert_eq!(server.poll_timeout(), Some(50));
    // Of two changes to come, the earliest counts.
    server.changed_at(&A, 70).unwrap();
    assert_eq!(server.poll_timeout(), Some(50));
    assert_eq!(fire(&mut server, 49), (vec![], 0));
    assert_eq!(fire(&mut server, 50), (vec![due(A, Reason::Change)], 1));
    // A change past its event's time stays for the next one.
    server.changed_at(&A, 90).unwrap();
    assert_eq!(fire(&mut server, 60), (vec![], 0));
    assert_eq!(fire(&mut server, 90), (vec![due(A, Reason::Change)], 1));
    // Through the subscriptions and what the application keeps: B's throttle holds it.
    for mut s in server.subscriptions_mut() {
        assert_eq!(*s.data(), Watched(1));
        s.changed_at(10);
    }
    assert_eq!(server.poll_timeout(), Some(90));
    assert_eq!(
        fire(&mut server, 100),
        (vec![due(A, Reason::Change), due(B, Reason::Change)], 2)
    );
    assert_eq!(server.poll_timeout(), None);
    assert_eq!(
        server.changed_at(&Uuid::from_u128(9), 0),
        Err(ServerError::UnknownSubscription(Uuid::from_u128(9)))
    );
}
