//! The client: [`Client::builder`] connects, and the [`Client`] handle (cheap to clone,
//! `Send + Sync`) issues requests from any number of tasks.
//!
//! Files by concern: `builder.rs` (how to connect), `target.rs` (the URL and its
//! credentials), `connect.rs` (TCP, TLS, the upgrade and the hello), `command.rs`
//! (requests and answers, owned), `exchange.rs` (requests in, results out: where the
//! handles meet the driver), `driver.rs` (the task that owns the connection),
//! `sub_session.rs` (a sub-session's handle), `subscription.rs` (a subscription's event
//! stream) and the handle here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use xentara_ws::session::ClientSession;
use xentara_ws::{AttributeId, ElementCategory, MetaDataId, ServerInfo, Stage, Uuid};

use crate::Error;
use crate::owned::{AttrValues, BrowseEntry, MetaData, Value};
use crate::time::after;

mod builder;
mod command;
mod connect;
mod driver;
mod exchange;
mod in_flight;
mod reconnect;
mod sub_session;
mod subscription;
mod target;

pub use builder::ClientBuilder;
pub use command::Credentials;
pub use reconnect::Backoff;
pub use sub_session::SubSession;
pub use subscription::{Event, Subscription, UpdateRates};

use command::{Answer, Command};
use driver::Call;
use exchange::Exchange;

/// How many requests the driver's session keeps in flight (more wait in its queue).
pub(crate) const PENDING: usize = 256;

/// The session the driver runs.
pub(crate) type Session = ClientSession<PENDING>;

/// A connection to a Xentara WebSocket API server: one async method per command, each
/// taking and returning owned values. Cheap to clone (an `Arc`), `Send + Sync`: the
/// clones share the connection, and requests issued by any number of tasks in the same
/// scheduler tick leave in one WebSocket message.
///
/// Every request ends with exactly one result: the answer, the server's error
/// ([`Error::Server`], code and text), [`Error::Timeout`] or [`Error::Closed`] (the
/// client closed, or the connection was lost before the answer came: a request is never
/// sent twice). A lost connection is made again ([`ClientBuilder::reconnect`]); requests
/// made meanwhile wait for it. The client closes with [`Client::close`], or when the
/// last clone is dropped (a [`SubSession`] and a [`Subscription`] each hold one).
///
/// ```no_run
/// # async fn demo() -> Result<(), xentara_ws_tokio::Error> {
/// use xentara_ws_tokio::{Attribute, Client, Trust};
///
/// let client = Client::builder("wss://admin:admin@192.168.1.20/api/ws")
///     .trust(Trust::Insecure)
///     .connect()
///     .await?;
/// let element = client.lookup("Group 1.Data Point 1").await?;
/// for (attribute, result) in client.read(element, &[Attribute::Value.into()]).await? {
///     println!("{attribute}: {result:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    exchange: Arc<Exchange>,
    request_timeout: Duration,
    /// What the driver says of the connection.
    status: Arc<Status>,
}

impl Drop for Inner {
    /// The last handle is gone: the client closes.
    fn drop(&mut self) {
        self.exchange.close();
    }
}

/// The connection's state, written by the driver, read by the handles.
#[derive(Debug, Default)]
pub(crate) struct Status {
    /// The version the server chose, again at each reconnect.
    pub(crate) version: AtomicU64,
    /// Whether there is a connection now (false while reconnecting, and once closed).
    pub(crate) connected: AtomicBool,
}

impl Client {
    /// How to connect to `url` (`ws://` or `wss://`, with `user:password@` for a Basic
    /// `Authorization` header when the server wants one).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url.into())
    }

    fn new(exchange: Arc<Exchange>, request_timeout: Duration, status: Arc<Status>) -> Self {
        Client {
            inner: Arc::new(Inner {
                exchange,
                request_timeout,
                status,
            }),
        }
    }

    /// The protocol version the server chose.
    pub fn version(&self) -> u64 {
        self.inner.status.version.load(Ordering::Relaxed)
    }

    /// True while connected; false while reconnecting after a loss (requests then wait
    /// for the next connection) and once closed.
    pub fn is_connected(&self) -> bool {
        self.inner.status.connected.load(Ordering::Relaxed)
    }

    /// True once the client is closed (by [`Client::close`], or a lost connection with
    /// reconnecting off): every request then ends [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        self.inner.exchange.is_closed()
    }

    /// Closes the connection (the WebSocket closing handshake, a second at most) and
    /// waits until it is closed. Requests still in flight end [`Error::Closed`].
    pub async fn close(&self) {
        self.inner.exchange.close();
        self.inner.exchange.ended().await;
    }

    async fn call(&self, command: Command) -> Result<Answer, Error> {
        self.call_with(command, None).await
    }

    async fn call_with(
        &self,
        command: Command,
        sink: Option<Box<subscription::Sink>>,
    ) -> Result<Answer, Error> {
        let deadline = after(Instant::now(), self.inner.request_timeout);
        let call = Call {
            command,
            deadline,
            reply: None,
            sink,
        };
        // The driver ends every request by its deadline (or drops it: closed).
        self.inner.exchange.request(call).await
    }

    /// Properties of the server (server_information, opcode 0).
    pub async fn server_information(
        &self,
        ids: &[ServerInfo],
    ) -> Result<Vec<(ServerInfo, Value)>, Error> {
        match self.call(Command::ServerInformation(ids.to_vec())).await? {
            Answer::ServerInformation(info) => Ok(info),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// The elements below `element` (browse, opcode 1; [`Uuid::nil`] is the root), `depth`
    /// levels deep (all when `None`), of `categories` (all when `None`).
    pub async fn browse(
        &self,
        element: Uuid,
        depth: Option<u64>,
        categories: Option<&[ElementCategory]>,
    ) -> Result<Vec<BrowseEntry>, Error> {
        let command = Command::Browse {
            element,
            depth,
            categories: categories.map(<[_]>::to_vec),
        };
        match self.call(command).await? {
            Answer::Browse(entries) => Ok(entries),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// An element's metadata (meta_data, opcode 2): the fields of `ids`.
    pub async fn meta_data(&self, element: Uuid, ids: &[MetaDataId]) -> Result<MetaData, Error> {
        let command = Command::MetaData {
            element,
            ids: ids.to_vec(),
        };
        match self.call(command).await? {
            Answer::MetaData(meta) => Ok(meta),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// An element's UUID from its primary key (lookup, opcode 3).
    pub async fn lookup(&self, primary_key: &str) -> Result<Uuid, Error> {
        match self.call(Command::Lookup(primary_key.to_owned())).await? {
            Answer::Uuid(id) => Ok(id),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// Current values of an element's attributes (read, opcode 4): each attribute's value
    /// or the server's error for it.
    pub async fn read(
        &self,
        element: Uuid,
        attributes: &[AttributeId],
    ) -> Result<AttrValues, Error> {
        let command = Command::Read {
            element,
            attributes: attributes.into(),
        };
        match self.call(command).await? {
            Answer::Read(values) => Ok(values),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// Sets one attribute (write, opcode 5).
    pub async fn write(
        &self,
        element: Uuid,
        attribute: impl Into<AttributeId>,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        self.write_as(element, attribute.into(), value.into(), None)
            .await
    }

    pub(crate) async fn write_as(
        &self,
        element: Uuid,
        attribute: AttributeId,
        value: Value,
        sub_session: Option<Uuid>,
    ) -> Result<(), Error> {
        let command = Command::Write {
            element,
            attribute,
            value,
            sub_session,
        };
        self.done(command).await
    }

    /// The operational stage (get_stage, opcode 8).
    pub async fn get_stage(&self) -> Result<Stage, Error> {
        match self.call(Command::GetStage).await? {
            Answer::Stage(stage) => Ok(stage),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// Resumes Xentara (opcode 9, provisionally resume).
    pub async fn resume(&self) -> Result<(), Error> {
        self.done(Command::Resume(None)).await
    }

    /// Suspends Xentara (suspend, opcode 10).
    pub async fn suspend(&self) -> Result<(), Error> {
        self.done(Command::Suspend(None)).await
    }

    /// Shuts Xentara down (shutdown, opcode 11).
    pub async fn shutdown(&self) -> Result<(), Error> {
        self.done(Command::Shutdown(None)).await
    }

    /// Opens an authenticated sub-session (create_sub_session, opcode 12); the server
    /// picks its id. The handle's requests carry the sub-session's id; it closes the
    /// sub-session with [`SubSession::close`], or when dropped.
    pub async fn create_sub_session(&self, credentials: Credentials) -> Result<SubSession, Error> {
        self.open_sub_session(credentials, None).await
    }

    /// [`create_sub_session`](Self::create_sub_session) with the id the client wants (an
    /// open sub-session with that id is replaced).
    pub async fn create_sub_session_with_id(
        &self,
        credentials: Credentials,
        id: Uuid,
    ) -> Result<SubSession, Error> {
        self.open_sub_session(credentials, Some(id)).await
    }

    async fn open_sub_session(
        &self,
        credentials: Credentials,
        desired: Option<Uuid>,
    ) -> Result<SubSession, Error> {
        let command = Command::CreateSubSession {
            credentials,
            desired,
        };
        match self.call(command).await? {
            Answer::Uuid(id) => Ok(SubSession::new(self.clone(), id)),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// Closes a sub-session by id (close_sub_session, opcode 13).
    pub async fn close_sub_session(&self, id: Uuid) -> Result<(), Error> {
        self.done(Command::CloseSubSession(id)).await
    }

    /// Sends close_sub_session without waiting for its answer (a dropped handle's).
    pub(crate) fn close_sub_session_now(&self, id: Uuid) {
        self.send_now(Command::CloseSubSession(id));
    }

    /// Sends unsubscribe without waiting for its answer (a dropped stream's).
    pub(crate) fn unsubscribe_now(&self, id: Uuid) {
        self.send_now(Command::Unsubscribe(id));
    }

    fn send_now(&self, command: Command) {
        self.inner.exchange.send(Call {
            command,
            deadline: after(Instant::now(), self.inner.request_timeout),
            reply: None,
            sink: None,
        });
    }

    /// Subscribes to attributes of elements (subscribe, opcode 6): `entries` are each an
    /// element and the attributes to watch. The [`Subscription`] streams the events, the
    /// first with the current values, then changes as `rates` allow.
    pub async fn subscribe(
        &self,
        entries: &[(Uuid, &[AttributeId])],
        rates: UpdateRates,
    ) -> Result<Subscription, Error> {
        self.subscribe_as(entries, rates, None).await
    }

    /// [`subscribe`](Self::subscribe) with the id the client wants the subscription to
    /// have (a subscription with that id is replaced).
    pub async fn subscribe_with_id(
        &self,
        entries: &[(Uuid, &[AttributeId])],
        rates: UpdateRates,
        id: Uuid,
    ) -> Result<Subscription, Error> {
        self.subscribe_as(entries, rates, Some(id)).await
    }

    async fn subscribe_as(
        &self,
        entries: &[(Uuid, &[AttributeId])],
        rates: UpdateRates,
        desired: Option<Uuid>,
    ) -> Result<Subscription, Error> {
        let ms = |d: Option<Duration>| d.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let command = Command::Subscribe {
            entries: entries.iter().map(|(e, a)| (*e, a.to_vec())).collect(),
            throttle: ms(rates.throttle),
            heartbeat: ms(rates.heartbeat),
            desired,
        };
        let (sink, events) = subscription::channel(&command);
        match self.call_with(command, Some(Box::new(sink))).await? {
            Answer::Subscribe(Some(id)) => Ok(Subscription::new(self.clone(), id, events)),
            _ => Err(Error::UnexpectedAnswer),
        }
    }

    /// Ends a subscription by id (unsubscribe, opcode 7).
    pub async fn unsubscribe(&self, id: Uuid) -> Result<(), Error> {
        self.done(Command::Unsubscribe(id)).await
    }

    pub(crate) async fn stage_command(
        &self,
        opcode: StageCommand,
        session: Uuid,
    ) -> Result<(), Error> {
        let command = match opcode {
            StageCommand::Resume => Command::Resume(Some(session)),
            StageCommand::Suspend => Command::Suspend(Some(session)),
            StageCommand::Shutdown => Command::Shutdown(Some(session)),
        };
        self.done(command).await
    }

    /// A command answered without an item.
    async fn done(&self, command: Command) -> Result<(), Error> {
        match self.call(command).await? {
            Answer::Done => Ok(()),
            _ => Err(Error::UnexpectedAnswer),
        }
    }
}

/// The stage commands a sub-session sends with its id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StageCommand {
    Resume,
    Suspend,
    Shutdown,
}
