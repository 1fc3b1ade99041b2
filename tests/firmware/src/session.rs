//! The server-session script: each step hands one message to a `ServerSession` and
//! compares the reply message byte for byte, mostly with the spec's own example replies.

use xentara_ws::op::params::Credentials;
use xentara_ws::session::{AppRequest, Application, IdKind, Replied, Reply, ServerSession};
use xentara_ws::{Command, ErrorCode, Response, Stage, Uuid};

use crate::Tally;
use crate::vectors::named;

/// The element UUID of the spec's examples.
const E3EE: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);

/// Answers like the spec's examples.
struct App;

impl Application for App {
    type Identity = ();

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<(), ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == "user" && p.password == "secret" => Ok(()),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(0x1234)
    }

    fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_>) -> Replied {
        match request.command {
            Command::Lookup(p) if p.primary_key == "Group 1.Data Point 1" => {
                reply.ok(Response::Lookup(E3EE))
            }
            Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
            Command::MetaData(_) => {
                reply.error_message(ErrorCode::InvalidParameter, "invalid meta data identifier")
            }
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }
}

/// 2 sub-sessions, 2 subscriptions, 1 reply buffer of 4 packets and 512 bytes.
type Server = ServerSession<(), 2, 2, 1, 4, 512>;

/// `[[0, 1, 14, {0: 1, 1: 1}]]`
const HELLO: &[u8] = &[0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01];
/// `[[1, 1, {0: 1}]]`
const HELLO_REPLY: &[u8] = &[0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01];
/// `[[0, 66, 14, {0: 1, 1: 1}]]`
const HELLO_AGAIN: &[u8] = &[
    0x81, 0x84, 0x00, 0x18, 0x42, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01,
];

/// The RAM of the script's session, and of one with the default capacities.
pub const SIZES: (usize, usize) = (size_of::<Server>(), size_of::<ServerSession>());

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
    let mut server = Server::default();
    crate::measure::stack_of(&mut || {
        for (what, message, want) in steps {
            step(t, &mut server, what, message, want);
        }
    })
}

fn step(t: &mut Tally, server: &mut Server, what: &str, message: &[u8], want: &[u8]) {
    let label = crate::Label::new("session", what);
    let what = label.as_str();
    // The requests in the message (small arrays: the count is in the head byte).
    let packets = message.first().map_or(0, |b| usize::from(b & 0x1f));
    match server.handle_message(message, &mut App) {
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
