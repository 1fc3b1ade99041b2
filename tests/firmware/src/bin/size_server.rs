//! The codec and the server session, as a firmware server uses them: `handle_message`
//! with an application that answers from the typed command (and accepts subscribes),
//! `poll_transmit`, and the subscription timers (`changed`, `poll_timeout`,
//! `poll_events`). The session and its storage (the default
//! `ServerBuffers`: reply messages, sub-session and subscription tables) live in statics,
//! so `.bss` shows their RAM. Answers a hello and a close_sub_session and exits with
//! success when the reply is the expected bytes.
//!
//! With the `defmt` feature it also logs what a firmware server logs, through the crate's
//! `defmt::Format` impls: the error of a failed call (`ServerError`, here the change for an
//! unknown subscription) and the `DecodeError` of a message that does not decode. `run.sh`
//! prints its size as `size-server+defmt`: the flash those impls cost.

#![no_std]
#![no_main]

use core::hint::black_box;

#[path = "../exit.rs"]
mod exit;

use cortex_m_rt::entry;
#[cfg(feature = "defmt")]
use defmt_semihosting as _;
use exit::*;
use xentara_ws::params::Credentials;
use xentara_ws::session::{
    AppRequest, Application, IdKind, Replied, Reply, ServerBuffers, ServerConfig, ServerSession,
};
use xentara_ws::{Command, ErrorCode, Response, Stage, Uuid};

struct App;

impl Application for App {
    type Identity = ();
    type Subscription = ();

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<(), ErrorCode> {
        match credentials {
            Credentials::Password(p) if black_box(p.password) == "secret" => Ok(()),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(black_box(1))
    }

    fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, ()>) -> Replied {
        match request.command {
            Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
            Command::Lookup(_) => reply.ok(Response::Lookup(Uuid::from_u128(black_box(2)))),
            Command::Subscribe(_) => reply.accept(()),
            _ => reply.error(ErrorCode::UnknownElement),
        }
    }
}

/// `[[0, 1, 14, {0: 1, 1: 1}], [0, 65, 13, {0: 37(h'E3EE…')}]]`: hello, close_sub_session.
static MESSAGE: [u8; 36] = [
    0x82, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1,
    0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e,
    0x4c, 0xe2, 0x5e, 0xe8,
];

/// `[[1, 1, {0: 1}], [2, 65, {0: -32111, 1: "unknown session Id"}]]`.
static REPLY: [u8; 36] = [
    0x82, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x02, 0x18, 0x41, 0xa2, 0x00, 0x39, 0x7d, 0x6e,
    0x01, 0x72, 0x75, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e, 0x20, 0x73, 0x65, 0x73, 0x73, 0x69, 0x6f,
    0x6e, 0x20, 0x49, 0x64,
];

#[entry]
fn main() -> ! {
    let Some(buffers) = cortex_m::singleton!(: ServerBuffers<App> = ServerBuffers::new()) else {
        fail()
    };
    let Some(server) = cortex_m::singleton!(: ServerSession<'static, App> =
        ServerSession::new(ServerConfig::default(), buffers.storage()))
    else {
        fail()
    };
    let mut out = [0u8; 512];
    let received = server.handle_message(black_box(&MESSAGE), &mut App);
    let sent = server.poll_transmit(&mut out);
    let changed = server.changed(&Uuid::from_u128(black_box(3)));
    let events = server.poll_events(black_box(5), &mut out[256..], |_, _, _| ());
    #[cfg(feature = "defmt")]
    {
        if let Err(e) = &changed {
            defmt::error!("changed: {}", e);
        }
        // The message cut inside its first request.
        let error = match xentara_ws::Batch::new(black_box(&MESSAGE[..9])) {
            Ok(batch) => batch.into_iter().find_map(Result::err),
            Err(e) => Some(e),
        };
        if let Some(e) = error {
            defmt::error!("decode: {}", e);
        }
    }
    let ok = matches!(received, Ok(r) if r.packets == 2)
        && matches!(sent, Ok(Some(n)) if black_box(&out[..n]) == &REPLY[..])
        && changed.is_err()
        && server.poll_timeout().is_none()
        && matches!(events, Ok(None));
    if !ok {
        fail()
    }
    exit(true)
}
