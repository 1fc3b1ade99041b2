//! # xentara-ws-tokio
//!
//! An async client and server for the Xentara WebSocket API on tokio, tokio-tungstenite
//! and rustls, over the `no_std`, sans-I/O session machines of [`xentara_ws`].
//!
//! In the manner of quinn over quinn-proto: one driver task per connection owns the
//! socket and the session machine; what you hold are cheap, cloneable handles that talk
//! to it through channels.
//!
//! - [`Client`]: connect with [`Client::builder`], then one async method per command,
//!   taking and returning owned values ([`Value`], [`ErrorObject`], …). Requests from many
//!   tasks in the same scheduler tick leave in one WebSocket message;
//!   [`Client::subscribe`] gives a [`Subscription`], a stream of owned events.
//! - [`Server`]: serves a [`Service`] (the core's
//!   [`Application`](xentara_ws::session::Application) plus how to fill events), one
//!   instance per connection, with the limits of [`Limits`], a [`ChangeFeed`] and a
//!   graceful [`Server::shutdown`]; requests the application defers are answered from
//!   any task through [`Answers`].
//! - [`Model`]: a tree of elements and their attributes, which [`Server::model`] serves
//!   with a [`ModelService`] per connection — every command, its errors and the
//!   subscriptions' events come out of the few questions the trait asks.
//!
//! Files by concern: `owned.rs` (owned values), `error.rs` ([`Error`]),
//! `tls.rs` ([`Trust`] and the server's PEM files), `time.rs` (instants after any
//! duration), `client/` and `server/`.

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

mod client;
mod error;
mod owned;
mod server;
mod time;
mod tls;

pub use client::{
    Backoff, Client, ClientBuilder, Credentials, Event, SubSession, Subscription, UpdateRates,
};
pub use error::Error;
pub use owned::{
    AttrValue, AttrValues, AttrValuesIntoIter, AttributeInfo, BrowseEntry, DataChange, ErrorObject,
    MetaData, Value, attr_value,
};
pub use server::{
    Answers, ChangeFeed, Deferred, Element, IDENTITY, Limits, Model, ModelService, Peer, Server,
    ServerBuilder, Service, ShutdownReport, Watch, random_id, serve,
};
pub use tls::{Trust, server_config};

/// The protocol versions a client offers or a server serves.
pub use xentara_ws::session::VersionRange;
/// The core crate's types a user of this one needs most, re-exported.
pub use xentara_ws::{
    Access, Attribute, AttributeId, DataType, ElementCategory, ErrorCode, MetaDataId, ServerInfo,
    Stage, TimePoint, Uuid,
};

/// A byte stream a connection runs over: TCP, or TLS over TCP.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for S {}

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
