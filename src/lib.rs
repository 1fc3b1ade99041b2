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
//! bytes ─► cbor ─► model ─► op ─► packet ─► batch ─► session ─► your server or client
//! ```
//!
//! - `cbor` (internal): the reader with its fast path for minimal encodings, the
//!   structural skip, the one table-driven loop every parameter and item map goes through,
//!   the canonical writer.
//! - [`model`]: the protocol's data — [`Value`], [`AttributeId`], [`AttrResult`],
//!   [`ErrorObject`], [`TimePoint`], tag-37 UUIDs, the spec's numbered tables, [`Text`] and
//!   [`Bytes`] that may come in chunks, lazily read [`Seq`]s, [`Raw`] items — and the one
//!   table of every leniency rule. Re-exported here.
//! - [`op`]: one table of the fifteen opcodes: each opcode's typed parameters
//!   ([`op::params`]) and typed response item ([`op::items`]).
//! - [`packet`]: the four packets — request, success, error, event.
//! - [`batch`]: the outer array: [`Batch`] holds a received message and [`Packets`]
//!   iterates it; [`encode_batch`] and [`BatchWriter`] write one.
//! - [`session`]: sans-I/O server and client machines that enforce the protocol's rules —
//!   client_hello first (-32000 / -32001), version negotiation, one reply per request
//!   message in request order, the sub-session and subscription tables, message ids.
//! - [`error`]: the spec's [`ErrorCode`]s, [`DecodeError`] (what, where, in which field and
//!   packet, which code to answer with — 16 bytes) and [`EncodeError`].
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
//! for packet in &Batch::new(&message)? {
//!     let Packet::Request(request) = packet? else { continue };
//!     if let Command::CloseSubSession(params) = &request.command {
//!         assert_eq!(params.session_id.to_string(), "e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8");
//!         let done = Success::new(request.id, Response::CloseSubSession(()));
//!         replies.push(done.into()).unwrap();
//!     }
//! }
//! let mut out = [0u8; 64];
//! let n = encode_batch(&replies, &mut out)?;
//! assert_eq!(&out[..n], [0x81, 0x82, 0x01, 0x18, 0x41]); // [[1, 65]]
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A request's sequences are read as they are iterated; an element that does not decode
//! is an `Err` there, with everything a server needs to answer it:
//!
//! ```
//! use xentara_ws::{Batch, Command, ErrorCode, Packet};
//!
//! // [[0, 7, 4, {0: 37(h'E3EE…'), 1: [11, "quality"]}]]: read, with one bad attribute id
//! let mut message = vec![0x81, 0x84, 0x00, 0x07, 0x04, 0xa2, 0x00, 0xd8, 0x25, 0x50];
//! message.extend_from_slice(&[0xe3; 16]);
//! message.extend_from_slice(&[0x01, 0x82, 0x0b, 0x67]);
//! message.extend_from_slice(b"quality");
//! let batch = Batch::new(&message)?;
//! let Some(Ok(Packet::Request(request))) = batch.iter().next() else { panic!() };
//! let Command::Read(read) = &request.command else { panic!() };
//! let mut attributes = read.attributes.iter();
//! assert!(attributes.next().unwrap().is_ok()); // 11: the value
//! let e = attributes.next().unwrap().unwrap_err();
//! assert_eq!((e.code(), e.offset(), e.field(), e.id()), (ErrorCode::InvalidParameter, 29, "read.attributes", Some(7)));
//! assert_eq!(request.command.check(), Err(e)); // or all at once
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
//!         let Response::ClientHello(hello) = success.response(Opcode::ClientHello)? else {
//!             unreachable!()
//!         };
//!         assert_eq!(hello.current_version, 1);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [`session`] module has the same two walk-throughs on the session machines, which
//! keep the protocol's rules for you.
//!
//! ## Guarantees
//!
//! - No `unsafe`, no allocation (a test counts), no panic on any input (fuzzed).
//! - Each byte is walked once: text and byte strings are borrowed ([`Text`], [`Bytes`]),
//!   sequences are read lazily as they are iterated, success items when typed, and a
//!   packet's last sequence or item is not even stepped over before you read it (the
//!   [`Batch`] learns where it ended from your reading); what no one reads is stepped over
//!   (see [`model`] for what is read when).
//! - Encoding is canonical: shortest integers and floats, definite lengths, ascending keys.
//! - Bounded stack: nesting of generic values is limited to [`MAX_DEPTH`] (16) and skipped
//!   iteratively, so decoding uses the same stack whatever the input. Measured by
//!   `tests/firmware` on a Cortex-M4 (see the README).
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
#[cfg(any(feature = "std", feature = "arbitrary", test))]
extern crate std;

#[macro_use]
mod macros;
pub mod batch;
mod cbor;
pub mod error;
pub mod model;
pub mod op;
pub mod packet;
pub mod session;

#[cfg(feature = "arbitrary")]
mod arbitrary;

pub use batch::{Batch, BatchWriter, Packets, encode_batch};
pub use cbor::{decode, encode, encoded_len};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, ErrorCode, Expected, MessageId};
pub use model::enums::{
    Access, Attribute, DataType, ElementCategory, MetaDataId, Quality, ServerInfo, Stage,
};
pub use model::{
    AttrResult, AttributeId, Bytes, ErrorObject, MAX_DEPTH, Raw, Seq, SeqIter, Text, TimePoint,
    Uuid, Value,
};
pub use op::{Command, Opcode, Response};
pub use packet::{DataChange, ErrorResponse, Event, Packet, Request, Success};

defmt_via_debug!(
    ErrorCode,
    DecodeErrorKind,
    DecodeError,
    EncodeError,
    Expected
);

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
