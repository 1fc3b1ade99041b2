//! # xentara-ws
//!
//! A `no_std`, zero-allocation, sans-I/O codec for the Xentara WebSocket API v2.0.x.
//! It never touches a socket, a clock or the heap: you hand it the bytes of one WebSocket
//! message and get typed packets that borrow from them; you hand it typed packets and a
//! buffer and get the bytes of one message.
//!
//! ## Layers
//!
//! Data flows one way; no module reaches back up:
//!
//! ```text
//! bytes ─► wire ─► op ─► packet ─► batch ─► session ─► your server or client
//! ```
//!
//! - [`wire`]: CBOR primitives the protocol adds to minicbor — tag-37 UUIDs, attribute
//!   values, 121/122/123 alternatives, time points, the spec's numbered tables, and the
//!   leniency rules (all listed in one place).
//! - [`op`]: one table of the fifteen opcodes: each opcode's typed parameters
//!   ([`op::params`]) and typed response item ([`op::items`]).
//! - [`packet`]: the four packets — request, success, error, event.
//! - [`batch`]: the outer array: [`Batch`] iterates a received message, [`encode_batch`]
//!   and [`BatchWriter`] write one.
//! - [`session`]: sans-I/O server and client machines that enforce the protocol's rules —
//!   client_hello first (-32000 / -32001), version negotiation, one reply per request
//!   message in request order, the sub-session and subscription tables, message ids.
//! - [`error`]: the spec's [`ErrorCode`]s, [`DecodeError`] (what, where, which code to answer
//!   with) and [`EncodeError`].
//!
//! ## A server answering the seed command
//!
//! ```
//! use xentara_ws::{Batch, Command, Packet, Response, Success, encode_batch};
//!
//! // [[0, 65, 13, {0: 37(h'E3EE10714D884BA18E5D0F1E4CE25EE8')}]]: close_sub_session
//! let message = [
//!     0x81, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10,
//!     0x71, 0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
//! ];
//! let mut replies: heapless::Vec<Packet, 8> = heapless::Vec::new();
//! for packet in Batch::new(&message)? {
//!     let Packet::Request(request) = packet? else { continue };
//!     if let Command::CloseSubSession(params) = &request.command {
//!         assert_eq!(params.session_id.to_string(), "e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8");
//!         let done = Success { id: request.id, response: Response::CloseSubSession(()) };
//!         replies.push(done.into()).unwrap();
//!     }
//! }
//! let mut out = [0u8; 64];
//! let n = encode_batch(&replies, &mut out)?;
//! assert_eq!(&out[..n], [0x81, 0x82, 0x01, 0x18, 0x41]); // [[1, 65]]
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A client sending client_hello and reading the reply
//!
//! ```
//! use xentara_ws::op::params::ClientHello;
//! use xentara_ws::{Batch, Opcode, Packet, Request, Response};
//!
//! let hello = Packet::Request(Request { id: 1, command: ClientHello::default().into() });
//! let mut out = [0u8; 32];
//! let n = hello.encode_message(&mut out)?;
//! assert_eq!(&out[..n], [0x81, 0x84, 0x00, 0x01, 0x0e, 0xa2, 0x00, 0x01, 0x01, 0x01]);
//!
//! // The server's reply, [[1, 1, {0: 1}]]: the item is typed by the request's opcode.
//! let reply = [0x81, 0x83, 0x01, 0x01, 0xa1, 0x00, 0x01];
//! for packet in Batch::new(&reply)? {
//!     if let Packet::Success(success) = packet? {
//!         let Response::ClientHello(hello) = success.response_to(Opcode::ClientHello)? else {
//!             unreachable!()
//!         };
//!         assert_eq!(hello.current_version, 1);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Guarantees
//!
//! - No `unsafe`, no allocation (a test counts), no panic on any input (fuzzed).
//! - Decoding borrows: text and byte strings are `&'b str` / `&'b [u8]` into the message;
//!   lists are [`wire::Seq`]s read lazily from it.
//! - Encoding is canonical: shortest integers and floats, definite lengths, ascending keys.
//! - Bounded stack: nesting of generic values is limited to [`wire::MAX_DEPTH`] (16) and
//!   skipped iteratively, so decoding uses the same stack whatever the input: about 1.8 KiB
//!   on a Cortex-M4 (thumbv7em, opt-level "s") for any message, including one nested
//!   `MAX_DEPTH` deep. `ServerSession::handle_message` plus `poll_transmit` take about
//!   2.9 KiB besides the session itself. Formatting a decoded value (`Debug`, `Display`,
//!   `defmt`) recurses once per nesting level: about 4.1 KiB at `MAX_DEPTH`. Measured by
//!   `tests/firmware` (`bash tests/firmware/run.sh`).
//!
//! ## Features
//!
//! - `std`: links `std`. (The error types implement `core::error::Error` — the same trait as
//!   `std::error::Error` — with or without it.)
//! - `defmt`: `defmt::Format` for every public type.
//! - `arbitrary`: `arbitrary::Arbitrary` for the packet and operation types (borrowed ones
//!   included), generating only canonical values, for structure-aware fuzzing.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]
#![warn(clippy::std_instead_of_core)]

// `arbitrary` needs `std` (its derive uses `std::thread_local!`).
#[cfg(any(feature = "std", feature = "arbitrary"))]
extern crate std;

#[macro_use]
pub mod wire;
pub mod batch;
pub mod error;
pub mod op;
pub mod packet;
pub mod session;

#[cfg(feature = "arbitrary")]
mod arbitrary;

pub use batch::{Batch, BatchWriter, encode_batch};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, ErrorCode, MessageId};
pub use op::{Command, Opcode, Response};
pub use packet::{DataChange, ErrorResponse, Event, Packet, Request, Success};
pub use uuid::Uuid;
pub use wire::value::{AttrResult, AttributeId, ErrorObject, Value};

defmt_via_debug!(ErrorCode, DecodeErrorKind, DecodeError, EncodeError);

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
