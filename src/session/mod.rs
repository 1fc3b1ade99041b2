//! Session state machines: the protocol rules on top of the codec (spec sections 2, 4, 5).
//!
//! ```text
//! bytes ─► batch ─► session ─► your application
//! bytes ◄─ batch ◄─ session ◄─ your application
//! ```
//!
//! - [`ServerSession`]: hello first, version negotiation, one reply message per request
//!   message (responses in request order), sub-sessions, subscriptions and their
//!   update-rate timers, events. Its reply messages and tables live in storage the caller
//!   owns ([`ServerStorage`]).
//! - [`ClientSession`]: the hello, message ids, batching, and typing each response by the
//!   opcode of the request it answers.
//!
//! Both are sans-I/O in the manner of quinn-proto and rustls: they never touch a socket or a
//! clock and never allocate. You hand in a received message (`&[u8]`) and the time
//! (`now`, milliseconds on your clock), and pull encoded messages out into your own buffer,
//! or get typed, `#[must_use]` outcomes. No input makes them panic; every limit is the size of
//! your storage (the client's: a const generic), and running into one is a [`ServerError`] /
//! [`ClientError`] or an error packet, never a dropped request.
//!
//! # Driving a server
//!
//! ```
//! use xentara_ws::params::Credentials;
//! use xentara_ws::session::{
//!     AppRequest, Application, Due, Events, IdKind, Replied, Reply, ServerBuffers, ServerConfig,
//!     ServerSession,
//! };
//! use xentara_ws::{Command, ErrorCode, Response, Uuid};
//!
//! struct App;
//! impl Application for App {
//!     type Identity = (); // kept per sub-session
//!     type Subscription = usize; // kept per subscription: here, how many elements it covers
//!     fn authenticate(&mut self, _: &Credentials<'_>) -> Result<(), ErrorCode> {
//!         Err(ErrorCode::AccessDenied)
//!     }
//!     fn fresh_id(&mut self, _: IdKind) -> Uuid {
//!         Uuid::from_u128(1)
//!     }
//!     fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, usize>) -> Replied {
//!         match request.command {
//!             Command::GetStage(_) => reply.ok(Response::GetStage(2u64.into())),
//!             // The subscription's id and rates are in `request.subscription`.
//!             Command::Subscribe(params) => reply.accept(params.entries.len()),
//!             _ => reply.error(ErrorCode::UnknownElement),
//!         }
//!     }
//! }
//!
//! // All the session's storage, the caller's: reply messages, sub-sessions, subscriptions.
//! let mut buffers = ServerBuffers::<App, 1024, 8>::new();
//! let mut server = ServerSession::new(ServerConfig::default(), buffers.storage());
//! // [[0, 1, 14, {0: 1, 1: 1}], [0, 2, 8]]: client_hello, then get_stage.
//! let message = [0x82, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01, 0x83, 0x00, 0x02, 0x08];
//! let received = server.handle_message(&message, &mut App)?;
//! assert_eq!(received.packets, 2);
//! let mut out = [0u8; 64];
//! let n = server.poll_transmit(&mut out)?.expect("a reply is due");
//! // [[1, 1, {0: 1}], [1, 2, 2]]
//! assert_eq!(&out[..n], [0x82, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x01, 0x02, 0x02]);
//!
//! // No subscription, so no timer: wait for the next message only.
//! assert_eq!(server.poll_timeout(), None);
//! // With subscriptions: at `poll_timeout()`, write the events due then.
//! let now = 1_000; // ms on your clock
//! let events = server.poll_events(now, &mut out, |due: Due, covers: &mut usize, events: &mut Events<'_, '_>| {
//!     // Push one DataChange per element it covers: all attributes for Reason::Initial and
//!     // Reason::Heartbeat, the changed ones for Reason::Change.
//!     let _ = (due, covers, events);
//! })?;
//! assert_eq!(events, None);
//! # Ok::<(), xentara_ws::session::ServerError>(())
//! ```
//!
//! # Driving a client
//!
//! ```
//! use xentara_ws::params::Lookup;
//! use xentara_ws::session::{ClientSession, Lost, Outcome};
//! use xentara_ws::{Batch, Opcode, Response, Text};
//!
//! let mut client = ClientSession::new();
//! let mut out = [0u8; 64];
//! let mut batch = client.start_batch(&mut out);
//! let id = batch.request(Lookup { primary_key: Text::new("Group 1") })?; // the hello goes first, id 1
//! assert_eq!(id, 2);
//! let message = batch.finish()?;
//! assert_eq!(message[..2], [0x82, 0x84]); // two requests in one message
//!
//! // [[1, 1, {0: 1}], [1, 2, 37(h'…')]]
//! let mut reply = vec![0x82, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01, 0x83, 0x01, 0x02, 0xd8, 0x25, 0x50];
//! reply.extend_from_slice(&[0xab; 16]);
//! let reply = Batch::new(&reply)?; // outcomes borrow it: their sequences are read from it
//! let outcomes: Vec<Outcome<'_>> = client.handle_message(&reply).collect();
//! assert!(matches!(outcomes[1], Outcome::Success { id: 2, response: Response::Lookup(_) }));
//! assert_eq!(client.version(), Some(1));
//!
//! // A request with a deadline (ms on your clock): wait for the answer or poll_timeout().
//! let now = 1_000;
//! let mut batch = client.start_batch(&mut out);
//! batch.set_deadline(Some(now + 5_000));
//! let id = batch.request(Lookup { primary_key: Text::new("Group 1") })?;
//! let _message = batch.finish()?; // send it
//! assert_eq!(client.poll_timeout(), Some(6_000));
//! let lost: Vec<Outcome<'_>> = client.handle_timeout(6_000).collect();
//! assert_eq!(lost, [Outcome::Lost { id, opcode: Opcode::Lookup, cause: Lost::TimedOut }]);
//! // The connection is gone: every request still in flight ends with Lost::Closed.
//! assert_eq!(client.close().count(), 0);
//! # Ok::<(), xentara_ws::session::ClientError>(())
//! ```
//!
//! # Answering later (the server's async path)
//!
//! A reply message is sent only when every request of its batch has been answered. The
//! application answers a request right away through the [`Reply`] it is handed, or calls
//! [`Reply::later`] and answers afterwards with [`ServerSession::answer`] and the request's
//! [`Ticket`] (a subscribe with [`Answer::Subscribed`] and what to keep for it). A ticket
//! carries a tag of its session: another session refuses it. A decoded command borrows from the received
//! message, which the caller may reuse as soon as [`ServerSession::handle_message`]
//! returns, so the machine never keeps it: **every answer is encoded the moment it is
//! given**, into the reply message's share of the caller's [`ReplyStorage`] (one
//! [`ReplyMessage`] per reply message that may be open, in a fixed ring, each with an
//! equal share of the bytes and of the [`ReplySlot`]s). The bytes hold the encoded
//! response packets in the order they were answered, the slots each request's place;
//! [`ServerSession::poll_transmit`] frames them in request order. An answer writes into
//! the reply message directly ([`Reply`] holds it, not the session), so it never re-enters
//! the session's own loop. Application data therefore only has to live for the call that
//! answers it.
//!
//! Every unanswered slot keeps 22 bytes of its reply message free, enough for an error
//! packet `[2, id, {0: code}]`. A response too large for what is left is replaced by
//! `-32603` ("response too large"), so every request is answered however big the answers
//! are.
//!
//! # Limits
//!
//! Every limit is the size of a part of the caller's [`ServerStorage`] (or a const
//! parameter of [`ServerBuffers`], which holds it inline), never a type parameter of the
//! session:
//!
//! | limit | storage | when exceeded |
//! |---|---|---|
//! | sub-sessions | [`SubSessionSlot`]s | create_sub_session answers -32603 "too many sub-sessions" |
//! | subscriptions | [`SubscriptionSlot`]s | subscribe answers -32603 "too many subscriptions" |
//! | open reply messages | [`ReplyMessage`]s | [`ServerError::Busy`]: the message was not consumed; send what [`ServerSession::poll_transmit`] has, or answer what is pending, then hand it in again |
//! | requests per message | [`ReplySlot`]s / messages (and bytes / messages / 22) | every request of the message is answered -32603 "too many requests in one message" and none reaches the application; if even those errors do not fit, [`ServerError::MessageTooLarge`] |
//! | client requests in flight | `PENDING` | [`ClientError::PendingFull`]: the request is not sent |
//!
//! # Decisions where the spec is silent
//!
//! - A packet that does not decode is answered with its [`DecodeError::code`](crate::DecodeError::code) and the
//!   error's text, carrying the message id when it could be read and **id 0** otherwise
//!   (clients count from 1; the one known client that uses 0 uses it for its hello). A
//!   message that is not an array, or is not well-formed CBOR at the top, gets a reply of
//!   one such error. A decode error is answered the same way before and after the hello:
//!   the machine cannot tell which command it was.
//! - Packets in a request message that are not requests (success, error, event) are
//!   answered -32600 with their id (0 for events).
//! - An empty request message `[]` gets no reply: it has no request to answer.
//! - Unknown opcodes: -32601 "unknown opcode N" with the request's id (spec notes D13).
//! - client_hello: `min > max` or no common version is -32602 with a message saying why; the
//!   chosen version is the highest both support. A failed hello may be retried.
//! - A desired sub-session id that exists replaces the old sub-session; a nil desired id
//!   is -32602. An id the application makes that is nil or already taken is -32603 (the
//!   crate has no RNG, so it cannot pick another).
//! - subscribe reaches the application ([`Application::handle`], with the subscription's
//!   id and rates in [`AppRequest::subscription`]): it must know what to watch, and accepts
//!   with what to keep for the subscription ([`Reply::accept`]), which the session holds
//!   beside its timers and hands back with each due event. An entry is reserved when the
//!   request comes (so a subscribe needs a free entry even when it replaces one) and
//!   becomes active when the subscribe is accepted, with the rates it asked for; the
//!   success item is always the subscription UUID (spec notes D10). A subscribe whose
//!   desired id is that of a subscription replaces it when accepted (the old one's events
//!   go on until then, and what was kept for it is dropped), unless a later subscribe with
//!   that id was accepted first; refused, it leaves the old one as it was. unsubscribe is the
//!   machine's: an active subscription ends, its data goes back to the application
//!   ([`Application::unsubscribed`]) and the answer is a success; one that is not active
//!   (unknown, or its subscribe unanswered) is -32110.
//! - A success of the wrong kind for its request (an item of another opcode, an accepted
//!   subscription for what is not a subscribe, an item for a subscribe) is replaced by
//!   -32603.
//! - A request whose parameters hold a [`Seq`](crate::Seq) reaches the application with
//!   the sequence unread: an element that does not decode shows up as an `Err` while the
//!   application iterates (see [what is read when](crate#what-is-read-when)). Answer it with [`Reply::decode_error`],
//!   which sends the error's code and text, as the machine does for a packet that does not
//!   decode.
//! - create_sub_session's credentials are checked synchronously
//!   ([`Application::authenticate`]); sub-sessions and subscriptions end with the session.
//! - Events go out in messages of their own ([`ServerSession::poll_events`]); reply
//!   messages never hold events. Subscriptions' update rates (D9, in ms):
//!   - a subscription's **first event** is due as soon as subscribe succeeds (the current
//!     values: [`Reason::Initial`]), so the client sees where it starts;
//!   - a **change** ([`ServerSession::changed`], or [`ServerSession::changed_at`] for a
//!     change at a time the application knows is coming) goes out no sooner than
//!     `maximum_update_rate` after the subscription's previous event; changes before then
//!     are coalesced into one event with the latest values, of the attributes that changed
//!     ([`Reason::Change`]: the application knows which; the machine does not keep values);
//!   - a **heartbeat** goes out `minimum_update_rate` after the previous event when
//!     nothing changed ([`Reason::Heartbeat`]: the current values of every attribute); a
//!     heartbeat shorter than the throttle waits for the throttle;
//!   - a rate of 0 counts as absent (a heartbeat of 0 ms cannot be kept); with neither
//!     rate, each change goes out at once and nothing else does; rates above `u32::MAX` ms
//!     are kept as `u32::MAX`;
//!   - events that fall due together leave in one message, subscriptions in table order;
//!     a subscription unsubscribed while due sends nothing; a subscription whose subscribe
//!     is unanswered has no timer (a change noted meanwhile is in its first event);
//!   - several subscriptions covering one attribute each keep their own rates (spec 5.3
//!     says the server combines them; how is not said, so each client gets what it
//!     asked for).
//! - Reply messages leave in the order their requests came, each once all of its
//!   requests are answered (a later batch waits for an earlier one).
//! - The client takes a server message packet by packet, in order, as the vendor's client
//!   does: each response resolves its request (its item typed once, by the request's
//!   opcode), each event is delivered, even in a message that mixes responses and events
//!   (which spec section 2.5 says servers do not send). A packet that does not decode, or a
//!   success item that is not one of its request's opcode, is [`Outcome::Invalid`] and, when
//!   its id is known, answers its request. A response whose id is not in flight is
//!   [`Unexpected::UnknownId`], a request packet [`Unexpected::Request`], and a response
//!   for another request while the hello is unanswered [`Unexpected::BeforeHello`] (its
//!   request counts as answered). A hello answered by an error, or by an item that does not
//!   decode, leaves the session [`ClientState::Refused`]. The version in the hello's reply
//!   is taken as it is (the vendor's client ignores it).
//! - Client deadlines: a request carries the deadline its batch had when it was added
//!   ([`ClientBatch::set_deadline`]); [`ClientSession::handle_timeout`] ends each request
//!   whose deadline is at or before `now` with [`Outcome::Lost`] ([`Lost::TimedOut`]), and
//!   its late answer is [`Unexpected::UnknownId`]. A hello that times out closes the
//!   session: every other request ends with [`Lost::Closed`]. [`ClientSession::close`]
//!   (the connection is gone) ends every request with [`Lost::Closed`]; a closed session
//!   sends nothing more ([`ClientError::Closed`]). Every request thus ends with exactly one
//!   outcome: `Success`, `Error`, `Invalid` with its id, `Unexpected::BeforeHello`, or
//!   `Lost`.

mod client;
mod server;
mod shared;
mod table;

pub use shared::VersionRange;

pub use client::{
    ClientBatch, ClientConfig, ClientError, ClientSession, ClientState, Lost, LostRequests,
    Outcome, Outcomes, Unexpected,
};
pub use server::{
    Answer, AppRequest, Application, Due, Events, IdKind, NewSubscription, Rates, Reason, Received,
    Replied, Reply, ReplyMessage, ReplySlot, ReplyStorage, ServerBuffers, ServerConfig,
    ServerError, ServerSession, ServerState, ServerStorage, SubSession, SubSessionSlot,
    Subscription, SubscriptionMut, SubscriptionSlot, Ticket,
};
