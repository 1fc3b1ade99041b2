//! The server-session script: each step hands one message to a `ServerSession` and
//! compares the reply message byte for byte, mostly with the spec's own example replies.

use xentara_ws::params::Credentials;
use xentara_ws::session::{
    AppRequest, Application, Due, Events, IdKind, Rates, Reason, Replied, Reply, ServerBuffers,
    ServerConfig, ServerSession, SubSessionSlot, SubscriptionSlot,
};
use xentara_ws::{
    AttrResult, Command, Attribute, AttributeId, DataChange, ErrorCode, Response, Seq, Stage, TimePoint,
    Uuid, Value,
};

use crate::Tally;
use crate::vectors::named;

/// The element UUID of the spec's examples.
const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
/// The subscription UUID of the spec's examples.
const B4E1: Uuid = Uuid::from_u128(0xb4e1c552_e3c7_406b_95a2_aa09c553f277);

/// Answers like the spec's examples.
#[derive(Default)]
struct App {
    /// The subscription the last unsubscribe ended, as the session handed it back.
    unsubscribed: Option<(Uuid, Watched)>,
}

/// What the application keeps per subscription (the session stores it): the element its
/// events are about, its first entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Watched {
    element: Uuid,
}

impl Application for App {
    type Identity = ();
    type Subscription = Watched;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<(), ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == "user" && p.password == "secret" => Ok(()),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(0x1234)
    }

    fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, Watched>) -> Replied {
        match request.command {
            Command::Lookup(p) if p.primary_key == "Group 1.Data Point 1" => {
                reply.ok(Response::Lookup(E3EE))
            }
            Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
            Command::MetaData(_) => {
                reply.error_message(ErrorCode::InvalidParameter, "invalid meta data identifier")
            }
            // The entries are read as they are iterated: the first one decodes here.
            Command::Subscribe(p) => match p.entries.iter().next() {
                Some(Ok(entry)) => reply.accept(Watched {
                    element: entry.element,
                }),
                Some(Err(e)) => reply.decode_error(&e),
                None => reply.error(ErrorCode::InvalidParameter),
            },
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }

    fn unsubscribed(&mut self, id: Uuid, subscription: Watched) {
        self.unsubscribed = Some((id, subscription));
    }
}

type Server<'a> = ServerSession<'a, App>;
/// Its storage: 1 reply message (of 4 packets and 512 bytes), 2 sub-sessions, 2
/// subscriptions.
type Buffers = ServerBuffers<App, 512, 4, 1, 2, 2>;

/// `[[0, 1, 14, {0: 1, 1: 1}]]`
const HELLO: &[u8] = &[0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01];
/// `[[1, 1, {0: 1}]]`
const HELLO_REPLY: &[u8] = &[0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01];
/// `[[0, 66, 14, {0: 1, 1: 1}]]`
const HELLO_AGAIN: &[u8] = &[
    0x81, 0x84, 0x00, 0x18, 0x42, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01,
];

/// The RAM of the script's session with its tables (2 sub-sessions, 2 subscriptions with
/// their timers and the application's data), of its reply storage, and of a session with
/// the default tables (4 sub-sessions, 16 subscriptions) without reply storage. The
/// session now keeps its tables in the caller's storage too ([`Buffers`] holds all of it):
/// they are counted from there, so the numbers compare with a session that held them.
pub const SIZES: (usize, usize, usize) = (
    size_of::<Server<'_>>() + tables(2, 2),
    size_of::<ServerBuffers<App, 512, 4, 1, 0, 0>>(),
    size_of::<Server<'_>>() + tables(4, 16),
);

/// The RAM of a sub-session table and a subscription table of these sizes.
const fn tables(sub_sessions: usize, subscriptions: usize) -> usize {
    sub_sessions * size_of::<SubSessionSlot<()>>()
        + subscriptions * size_of::<SubscriptionSlot<Watched>>()
}

/// The values of the spec's data-change event: `{11: 121(42), 9: 121(0)}`.
const VALUES: [(AttributeId, AttrResult<'static>); 2] = [
    (
        AttributeId::Standard(Attribute::Value),
        AttrResult::Value(Value::Int(42)),
    ),
    (
        AttributeId::Standard(Attribute::Quality),
        AttrResult::Value(Value::Int(0)),
    ),
];

/// Writes the spec's data-change event for a due subscription, about the element the
/// application keeps for it.
fn fill(_: Due, watched: &mut Watched, events: &mut Events<'_, '_>) {
    let _ = events.push(DataChange {
        time: TimePoint::Seconds(1_700_000_000),
        element: watched.element,
        values: Seq::from_slice(&VALUES),
    });
}

/// Runs the script; returns the stack it used.
pub fn run(t: &mut Tally) -> usize {
    let v = |name| named(name).bytes;
    let steps: [(&str, &[u8], &[u8]); 7] = [
        (
            "command before hello: -32000",
            v("get_stage.request"),
            v("error.missing_client_hello"),
        ),
        ("hello: {0: 1}", HELLO, HELLO_REPLY),
        (
            "duplicate hello: -32001",
            HELLO_AGAIN,
            v("client_hello.error.duplicate"),
        ),
        (
            "create_sub_session: its id",
            v("create_sub_session.request.password"),
            v("create_sub_session.response"),
        ),
        (
            "close_sub_session: [1, id]",
            v("close_sub_session.request"),
            v("close_sub_session.response"),
        ),
        (
            "close_sub_session again: -32111",
            v("close_sub_session.request"),
            v("close_sub_session.error.unknown_session"),
        ),
        (
            "batch of 3 requests: 3 responses in order",
            v("batch.request.lookup_getstage_metadata"),
            v("batch.response.lookup_getstage_metadata"),
        ),
    ];
    let mut buffers = Buffers::new();
    let mut server = Server::new(ServerConfig::default(), buffers.storage());
    let mut app = App::default();
    crate::measure::stack_of(&mut || {
        for (what, message, want) in steps {
            step(t, &mut server, &mut app, what, message, want);
        }
        timers(t, &mut server, &mut app);
    })
}

/// A subscription with the spec's rates (throttle 10 ms, heartbeat 1000 ms) on a virtual
/// clock: its first event at once, the heartbeat, a throttled change, unsubscribe.
fn timers(t: &mut Tally, server: &mut Server<'_>, app: &mut App) {
    let v = |name| named(name).bytes;
    step(
        t,
        server,
        app,
        "subscribe: its id",
        v("subscribe.request"),
        v("subscribe.response"),
    );
    let kept = server.subscriptions().next();
    let rates = Rates {
        throttle: Some(10),
        heartbeat: Some(1000),
    };
    t.check(
        kept.as_ref()
            .is_some_and(|s| s.id == B4E1 && s.rates == rates && s.data.element == E3EE)
            && server.subscriptions().count() == 1,
        "timers: the session keeps the subscription, its rates and the application's data",
        format_args!("{kept:?}"),
    );
    let steps: [(&str, Option<Reason>, u64, Option<u64>); 5] = [
        (
            "first event at once",
            Some(Reason::Initial),
            5000,
            Some(6000),
        ),
        ("nothing before the heartbeat", None, 5999, Some(6000)),
        ("heartbeat", Some(Reason::Heartbeat), 6000, Some(7000)),
        ("change held by the throttle", None, 6005, Some(6010)),
        ("change", Some(Reason::Change), 6010, Some(7010)),
    ];
    for (what, reason, now, next) in steps {
        if now == 6005 {
            let _ = server.changed(&B4E1);
        }
        fire(t, server, what, now, reason, next);
    }
    step(
        t,
        server,
        app,
        "unsubscribe (the machine's): [1, id]",
        v("unsubscribe.request"),
        v("unsubscribe.response"),
    );
    let timeout = server.poll_timeout();
    t.check(
        timeout.is_none() && server.subscription_entries() == 0,
        "timers: no timer after unsubscribe",
        format_args!("poll_timeout {timeout:?}"),
    );
    let back = app.unsubscribed.take();
    t.check(
        back == Some((B4E1, Watched { element: E3EE })),
        "timers: unsubscribe hands the application's data back",
        format_args!("unsubscribed {back:?}"),
    );
}

/// Fires the timers at `now`: the spec's data-change event when `reason` is due, nothing
/// otherwise; then the next timeout must be `next`.
fn fire(
    t: &mut Tally,
    server: &mut Server<'_>,
    what: &str,
    now: u64,
    reason: Option<Reason>,
    next: Option<u64>,
) {
    let label = crate::Label::new("timers", what);
    let what = label.as_str();
    let mut out = [0u8; 128];
    let mut seen = None;
    let written = server.poll_events(now, &mut out, |due, watched, events| {
        seen = Some(due.reason);
        fill(due, watched, events)
    });
    let bytes_ok = match (reason, written) {
        (Some(_), Ok(Some(n))) => &out[..n] == named("event.data_change").bytes,
        (None, Ok(None)) => true,
        _ => false,
    };
    let timeout = server.poll_timeout();
    t.check(
        bytes_ok && seen == reason && timeout == next,
        what,
        format_args!("due {seen:?}, then poll_timeout {timeout:?}"),
    );
}

fn step(
    t: &mut Tally,
    server: &mut Server<'_>,
    app: &mut App,
    what: &str,
    message: &[u8],
    want: &[u8],
) {
    let label = crate::Label::new("session", what);
    let what = label.as_str();
    // The requests in the message (small arrays: the count is in the head byte).
    let packets = message.first().map_or(0, |b| usize::from(b & 0x1f));
    match server.handle_message(message, app) {
        Ok(r) if r.packets == packets && r.waiting == 0 => {}
        other => return t.fail(what, format_args!("handle_message: {other:?}")),
    }
    let mut out = [0u8; 256];
    match server.poll_transmit(&mut out) {
        Ok(Some(n)) => t.check(
            &out[..n] == want && matches!(server.poll_transmit(&mut [0u8; 64]), Ok(None)),
            what,
            format_args!("got {:02x?}, want {:02x?}", &out[..n], want),
        ),
        other => t.fail(what, format_args!("poll_transmit: {other:?}")),
    }
}
