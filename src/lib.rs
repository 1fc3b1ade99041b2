//! # xentara-ws
//!
//! A `no_std`, zero-allocation, sans-I/O codec for the Xentara WebSocket API v2.0.x.
//! It never touches a socket, a clock or the heap: you hand it the bytes of one WebSocket
//! message and get typed packets that borrow from them; you hand it typed packets and a
//! buffer and get the bytes of one message.
//!
//! ## Layers
//!
//! Data flows one way; no module reaches back up (the modules are internal; what they
//! make is re-exported here, once):
//!
//! ```text
//! bytes ─► cbor ─► model ─► op ─► packet ─► batch ─► session ─► your server or client
//! ```
//!
//! - `cbor`: the reader with its fast path for minimal encodings, the structural skip, the
//!   one table-driven loop every parameter and item map goes through, the canonical
//!   writer.
//! - `model`: the protocol's data — [`Value`], [`AttributeId`], [`AttrResult`],
//!   [`ErrorObject`], [`TimePoint`], tag-37 UUIDs, the spec's numbered tables, [`Text`] and
//!   [`Bytes`] that may come in chunks, lazily read [`Seq`]s, [`Raw`] items — and the one
//!   table of every leniency rule ([below](#leniency-decode-and-canonical-form-encode)).
//! - `op`: one table of the fifteen opcodes ([`Opcode`], [`Command`], [`Response`]): each
//!   opcode's typed parameters ([`params`]) and typed response item ([`items`]).
//! - `packet`: the four packets — [`Request`], [`Success`], [`ErrorResponse`], [`Event`].
//! - `batch`: the outer array: [`Batch`] holds a received message and [`Packets`]
//!   iterates it; [`encode_batch`] and [`BatchWriter`] write one.
//! - [`session`]: sans-I/O server and client machines that enforce the protocol's rules —
//!   client_hello first (-32000 / -32001), version negotiation, one reply per request
//!   message in request order, the sub-session and subscription tables, message ids.
//! - `error`: the spec's [`ErrorCode`]s, [`DecodeError`] (what, where, in which field and
//!   packet, which code to answer with — 16 bytes) and [`EncodeError`].
//!
//! Where the spec's documents and the clients that speak it disagree, the crate's choice
//! and why are in `docs/spec-notes.md` (cited in these docs as D1–D20).
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
//! use xentara_ws::params::ClientHello;
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
//!   (see [what is read when](#what-is-read-when)).
//! - Encoding is canonical: shortest integers and floats, definite lengths, ascending keys.
//! - Bounded stack: nesting of generic values is limited to [`MAX_DEPTH`] (16) and skipped
//!   iteratively, so decoding uses the same stack whatever the input. Measured by
//!   `tests/firmware` on a Cortex-M4 (see the README).
//!
//! ## Leniency (decode) and canonical form (encode)
//!
//! Every leniency rule of the crate is listed here:
//!
//! | accepted when decoding | written when encoding |
//! |---|---|
//! | integers in any width (`18 41`, `19 0041`, …) | the shortest width |
//! | definite and indefinite arrays and maps | definite lengths |
//! | strings definite or in chunks (indefinite length, RFC 8949 §3.2.3), everywhere | definite strings |
//! | floats as f16, f32 or f64 | the shortest width that loses nothing |
//! | map keys in any order, unknown keys skipped | ascending keys, only known ones |
//! | UUIDs as `37(h'16 bytes')`, `37("32 hex digits")` or `37("hyphenated")` | `37(h'16 bytes')` |
//! | time points as `1(int)`, `1(float)`, `1001({4: 4([e, m])})`, `1001({1: n})`, a bare number | as decoded; `1001(…)` for new ones |
//!
//! Strict everywhere else: wrong types, truncation, trailing bytes, bad UTF-8, reserved
//! encodings, duplicate known keys and nesting deeper than [`MAX_DEPTH`] are errors.
//! Decoding never panics, whatever the input: every malformed input is a
//! [`DecodeError`].
//!
//! ## What is read when
//!
//! Decoding a packet reads its header and its parameters or event object field by field;
//! a [`Seq`]'s elements are decoded as it is iterated, and a success packet's item is kept
//! as bytes until [`Success::response`] types it by its
//! request's opcode. What nobody reads (unknown keys, [`Raw`] values) is stepped over.
//!
//! A sequence followed by more of its packet (subscribe's entries, before its rates) is
//! stepped over when the packet is read — checked to be well-formed CBOR and counted — so
//! that what follows can be read. A sequence or success item that ends its packet (every
//! container around it definite and ending with it: a read's attributes, an event's
//! values, a read or browse response, an entry's attributes inside its subscribe) is not:
//! when the packet comes from iterating `&batch`, it is handed out at once, and reading
//! that part to its end records in the [`Batch`] where it ended, so the
//! iteration goes on from there. Those bytes are walked once, by their reader. What was not
//! read to its end is stepped over when the iteration moves on; only then are bytes there
//! that are not well-formed CBOR found, and they end the batch with an error carrying that
//! packet's id (an element that cannot be read is also an element error of its sequence).
//!
//! Nesting is limited ([`MAX_DEPTH`]) from where each generic value starts. A last part
//! read by its typed reader is held to that limit for each generic value in it; stepping
//! over the part counts from the part, one or two levels more (its container, a tag
//! 121/122). So a part nested right at the limit reads when you read it before the batch
//! moves on, and is `TooDeep` when the batch steps over it.
//!
//! Errors inside a lazily read part surface when it is read, carrying the same kind,
//! offset, field, message id and code as if they had been found up front. Stepping over an
//! item checks that it is well-formed CBOR; the UTF-8 of a text string is checked when it
//! is read as text.
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
mod batch;
mod cbor;
mod error;
mod frontier;
mod model;
mod op;
mod packet;
pub mod session;

#[cfg(feature = "arbitrary")]
mod arbitrary;

// One path per type: the modules above are private and this is the public surface (the
// operations' parameter and item structs in their own namespaces, the machines in
// `session`).
pub use batch::{Batch, BatchWriter, Packets, encode_batch};
pub use cbor::{decode, encode, encoded_len};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, ErrorCode, Expected, MessageId};
pub use model::enums::{
    Access, Attribute, DataType, ElementCategory, MetaDataId, Quality, ServerInfo, Stage,
};
pub use model::{
    AttrResult, AttributeId, Bytes, BytesChunks, DECIMAL_FRACTION_TAG, EPOCH_TAG,
    EXTENDED_TIME_TAG, ErrorObject, MAX_DEPTH, Raw, Seq, SeqIter, Text, TextChunks, TimePoint,
    UUID_TAG, Uuid, Value,
};
pub use op::{Command, Opcode, Response, items, params};
pub use packet::{DataChange, ErrorResponse, Event, Packet, Request, Success};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
