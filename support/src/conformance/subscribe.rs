//! Subscriptions (spec 5.3, 6.6, 6.7): the answer, the events, the update rates as the
//! runner sees them arrive, and silence after unsubscribe.
//!
//! Timing is measured at arrival, so the network and the runner's own scheduling are in
//! it: two events may arrive closer than they were sent. The tolerances: an event may
//! come [`THROTTLE_SLACK_MS`] before the throttle allows, and a heartbeat up to
//! [`HEARTBEAT_SLACK_MS`] after the minimum rate.

use std::time::{Duration, Instant};

use xentara_ws::{Attribute, Opcode, Response, Uuid};

use super::conn::Conn;
use super::model::{Attr, Point, attribute_where, readable};
use super::protocol::{NOBODY, unknown};
use super::suite::{Case, Ctx, Verdict, fail};
use super::wire::{self, C, Reply, map, uuid};

/// How much earlier than the throttle an event may arrive.
pub const THROTTLE_SLACK_MS: u64 = 100;
/// How much later than the minimum rate a heartbeat may arrive.
pub const HEARTBEAT_SLACK_MS: u64 = 250;

/// The subscription ids the cases ask for, one per case.
const fn desired(n: u128) -> Uuid {
    Uuid::from_u128(0x78656e74_6172_4177_b373_756273000000 | n)
}

/// The data point and attribute to subscribe to: the value when there is one (it is the
/// likeliest to change), or with `quiet`, another attribute (quality, say: a heartbeat is
/// then seen without changes in between).
fn target(c: &mut Ctx, quiet: bool) -> Result<(Point, Attr), Verdict> {
    let why = "no data point has a readable attribute";
    if quiet
        && let Ok(found) = attribute_where(c, why, |a| {
            readable(a) && a.id.standard() != Some(Attribute::Value)
        })
    {
        return Ok(found);
    }
    attribute_where(c, why, readable)
}

/// Subscribes to `attr` of `point` with `rates` (keys 1 and 2) as `id`; the time the
/// answer came.
fn subscribe(
    conn: &mut Conn,
    point: &Point,
    attr: &Attr,
    rates: (Option<u64>, Option<u64>),
    id: Uuid,
) -> Result<Result<Instant, String>, String> {
    let entry = map([
        (0, uuid(point.element.uuid)),
        (1, C::A(vec![wire::attribute(&attr.id)])),
    ]);
    let mut params = vec![(0, C::A(vec![entry])), (3, uuid(id))];
    params.extend(rates.0.map(|r| (1, C::U(r))));
    params.extend(rates.1.map(|r| (2, C::U(r))));
    let reply = conn.ask(2, 6, Some(C::M(params)))?;
    let at = Instant::now();
    let Reply::Success { item, .. } = &reply else {
        return Ok(Err(format!("subscribe: {}", reply.brief())));
    };
    Ok(
        match Response::decode_item(Opcode::Subscribe, item.as_deref()) {
            Ok(Response::Subscribe(None)) => Ok(at),
            Ok(Response::Subscribe(Some(got))) if got == id => Ok(at),
            _ => Err(format!(
                "subscribe: {}, not [1, id] or the desired id {id}",
                reply.brief()
            )),
        },
    )
}

/// Arrival times of the events for `element` (in ms after `from`); fails on events for
/// anything else.
fn arrivals(conn: &Conn, element: Uuid, from: Instant) -> Result<Vec<u64>, String> {
    conn.events
        .iter()
        .map(|(at, event)| match event {
            Reply::Event {
                element: e,
                attributes,
            } if *e == element && *attributes >= 1 => {
                Ok(at.saturating_duration_since(from).as_millis() as u64)
            }
            Reply::Event {
                element: e,
                attributes,
            } => Err(format!(
                "an event for {e} with {attributes} values, after subscribing to {element}"
            )),
            other => Err(format!("{} among the events", other.brief())),
        })
        .collect()
}

fn gaps(times: &[u64]) -> impl Iterator<Item = u64> + '_ {
    times.windows(2).map(|w| w[1] - w[0])
}

/// Runs `body` with a subscription of `point`'s `attr` on a fresh connection.
macro_rules! subscribed {
    ($c:expr, $quiet:expr, $rates:expr, $n:expr, |$conn:ident, $point:ident, $attr:ident, $at:ident| $body:block) => {{
        let ($point, $attr) = match target($c, $quiet) {
            Ok(found) => found,
            Err(skip) => return Ok(skip),
        };
        let mut $conn = $c.ready()?;
        let $at = match subscribe(&mut $conn, &$point, &$attr, $rates, desired($n))? {
            Ok(at) => at,
            Err(why) => fail!("{why}"),
        };
        $body
    }};
}

/// The cases of this module.
pub const CASES: &[Case] = &[
    Case {
        section: "6.6",
        id: "subscribe.answer",
        spec: "6.6: the item is the subscription UUID (unconfirmed: [1, id] accepted too), the desired one when given; 6.7: unsubscribe answers [1, id]",
        run: |c| {
            subscribed!(c, false, (None, None), 1, |conn, point, attr, _at| {
                let reply = conn.ask(3, 7, Some(map([(0, uuid(desired(1)))])))?;
                match reply {
                    Reply::Success { item: None, .. } => Ok(Verdict::Pass(format!(
                        "{:?} of {:?} as {}; unsubscribed",
                        attr.name,
                        point.element.key,
                        desired(1)
                    ))),
                    other => fail!("unsubscribe: {}", other.brief()),
                }
            })
        },
    },
    Case {
        section: "5.3",
        id: "subscribe.events",
        spec: "5.3, 3.4: events [8, 0, {0: time, 1: element, 2: values}] for what was subscribed, never in a message with responses (2.5)",
        run: |c| {
            subscribed!(c, false, (None, Some(1000)), 2, |conn, point, _attr, at| {
                let end = at + Duration::from_millis(1000 + HEARTBEAT_SLACK_MS);
                while conn.events.is_empty() && Instant::now() < end {
                    conn.linger(
                        end.saturating_duration_since(Instant::now())
                            .min(Duration::from_millis(100)),
                    )?;
                }
                let times = match arrivals(&conn, point.element.uuid, at) {
                    Ok(times) => times,
                    Err(why) => fail!("{why}"),
                };
                let Some(first) = times.first() else {
                    fail!(
                        "no event within 1,000 + {HEARTBEAT_SLACK_MS} ms (minimum rate 1,000 ms)"
                    );
                };
                if conn.mixed > 0 {
                    fail!("{} messages held both responses and events", conn.mixed);
                }
                Ok(Verdict::Pass(format!(
                    "the first event {first} ms after the answer"
                )))
            })
        },
    },
    Case {
        section: "6.6",
        id: "subscribe.throttle",
        spec: "6.6: maximum_update_rate 400: at most one event per 400 ms (events arriving 100 ms early tolerated)",
        run: |c| {
            subscribed!(
                c,
                false,
                (Some(400), Some(1000)),
                3,
                |conn, point, _attr, at| {
                    conn.linger(Duration::from_secs(3))?;
                    let times = match arrivals(&conn, point.element.uuid, at) {
                        Ok(times) => times,
                        Err(why) => fail!("{why}"),
                    };
                    if times.is_empty() {
                        fail!("no event in 3 s with a minimum rate of 1,000 ms");
                    }
                    if times.len() < 2 {
                        return Ok(Verdict::NonStrict(format!(
                            "{} event in 3 s with a minimum rate of 1,000 ms (timing slips are \
                             not failures)",
                            times.len()
                        )));
                    }
                    let shortest = gaps(&times).min().expect("two events");
                    if shortest + THROTTLE_SLACK_MS < 400 {
                        return Ok(Verdict::NonStrict(format!(
                            "two events {shortest} ms apart (throttle 400 ms); arrivals \
                             {times:?} ms (timing slips are not failures)"
                        )));
                    }
                    Ok(Verdict::Pass(format!(
                        "{} events in 3 s, {shortest} ms apart at the closest",
                        times.len()
                    )))
                }
            )
        },
    },
    Case {
        section: "6.6",
        id: "subscribe.heartbeat",
        spec: "6.6: minimum_update_rate 500: an event at least every 500 ms, changed or not (250 ms late tolerated)",
        run: |c| {
            subscribed!(c, true, (None, Some(500)), 4, |conn, point, attr, at| {
                let watch = Duration::from_millis(2600);
                conn.linger(watch)?;
                let mut times = match arrivals(&conn, point.element.uuid, at) {
                    Ok(times) => times,
                    Err(why) => fail!("{why}"),
                };
                if times.is_empty() {
                    fail!(
                        "no event for {:?} in 2.6 s (minimum rate 500 ms)",
                        attr.name
                    );
                }
                // The answer and the end of the watch bound the first and last gaps.
                times.insert(0, 0);
                times.push(watch.as_millis() as u64);
                let longest = gaps(&times).max().expect("two bounds");
                if longest > 500 + HEARTBEAT_SLACK_MS {
                    return Ok(Verdict::NonStrict(format!(
                        "{longest} ms without an event for {:?} (minimum rate 500 ms); arrivals \
                         {:?} ms (timing slips are not failures)",
                        attr.name,
                        &times[1..times.len() - 1]
                    )));
                }
                Ok(Verdict::Pass(format!(
                    "{} events for {:?} in 2.6 s, {longest} ms apart at the longest",
                    times.len() - 2,
                    attr.name
                )))
            })
        },
    },
    Case {
        section: "6.7",
        id: "unsubscribe.silence",
        spec: "5.3, 6.7: unsubscribe ends the subscription: no event after its answer (watched for 1.5 s)",
        run: |c| {
            subscribed!(c, false, (None, Some(200)), 5, |conn, point, _attr, _at| {
                conn.linger(Duration::from_millis(500))?;
                let before = conn.events.len();
                let reply = conn.ask(3, 7, Some(map([(0, uuid(desired(5)))])))?;
                if !matches!(reply, Reply::Success { .. }) {
                    fail!("unsubscribe: {}", reply.brief());
                }
                let until_answer = conn.events.len();
                conn.events.clear();
                conn.linger(Duration::from_millis(1500))?;
                if !conn.events.is_empty() {
                    fail!(
                        "{} events for {:?} after unsubscribe was answered",
                        conn.events.len(),
                        point.element.key
                    );
                }
                Ok(Verdict::Pass(format!(
                    "{before} events before, {} in flight, none after",
                    until_answer - before
                )))
            })
        },
    },
    Case {
        section: "6.7",
        id: "unsubscribe.unknown",
        spec: "6.7: -32110 unknown subscription id",
        run: |c| unknown(c, 7, map([(0, uuid(NOBODY))]), &[-32110]),
    },
    Case {
        section: "6.6",
        id: "subscribe.unknown-element",
        spec: "6.6: an element no server has: -32100 (unconfirmed: the page's error rows were cut off)",
        run: |c| {
            let entry = map([(0, uuid(NOBODY)), (1, wire::uints(&[11]))]);
            unknown(c, 6, map([(0, C::A(vec![entry]))]), &[-32100])
        },
    },
];
