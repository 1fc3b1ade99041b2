//! The server: [`Server::builder`] (or [`serve`]) serves a [`Service`] on a
//! `TcpListener`, one instance per connection, each driven by a task of its own.
//!
//! Files by concern: `limits.rs` ([`Limits`]), `storage.rs` (a session's buffers),
//! `feed.rs` ([`ChangeFeed`]), `answers.rs` ([`Answers`] given later), `upgrade.rs`
//! (the HTTP upgrade: path, credentials, 503), `accept.rs` (the accept loop),
//! `connection.rs` (one connection's task), `model.rs` ([`Model`] and [`ModelService`])
//! and the trait, builder and handle here.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use xentara_ws::Uuid;
use xentara_ws::session::{Application, Due, Events, ServerConfig, VersionRange};

use crate::Error;
use crate::time::after;

mod accept;
mod answers;
mod connection;
mod feed;
mod head;
mod limits;
mod model;
mod storage;
mod upgrade;

pub use answers::{Answers, Deferred};
pub use feed::ChangeFeed;
pub use limits::Limits;
pub use model::{Element, IDENTITY, Model, ModelService, Watch, random_id};
pub use upgrade::Peer;

/// What a server serves: the core's [`Application`] (one instance per connection), plus
/// what the connection's task asks of it for subscriptions. Both methods have defaults,
/// so an application without subscriptions only implements `Application`.
pub trait Service: Application<Identity: Send, Subscription: Send> + Send + 'static {
    /// Writes a due subscription's events: one
    /// [`DataChange`](xentara_ws::DataChange) per element it covers into `events` —
    /// every attribute for [`Reason::Initial`](xentara_ws::session::Reason::Initial) and
    /// [`Reason::Heartbeat`](xentara_ws::session::Reason::Heartbeat), the changed ones
    /// for [`Reason::Change`](xentara_ws::session::Reason::Change). The default writes
    /// none.
    fn events(
        &mut self,
        due: Due,
        subscription: &mut Self::Subscription,
        events: &mut Events<'_, '_>,
    ) {
        let _ = (due, subscription, events);
    }

    /// Whether a change of `element` ([`ChangeFeed::changed`]) concerns a subscription.
    /// The default says yes.
    fn covers(&self, subscription: &Self::Subscription, element: &Uuid) -> bool {
        let _ = (subscription, element);
        true
    }

    /// When the data a subscription covers changes next, if the application knows (a
    /// value sampled on a period): the subscription's timer wakes the connection then,
    /// as its update rates allow, with no word on the [`ChangeFeed`]. Asked after every
    /// round of events. The default knows nothing.
    fn next_change(&self, subscription: &Self::Subscription) -> Option<std::time::Instant> {
        let _ = subscription;
        None
    }
}

/// How a server serves; made by [`Server::builder`].
pub struct ServerBuilder<F> {
    factory: F,
    feed: ChangeFeed,
    path: String,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    versions: VersionRange,
}

impl<F> std::fmt::Debug for ServerBuilder<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("path", &self.path)
            .field("limits", &self.limits)
            .field("tls", &self.tls.is_some())
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

impl<F, A> ServerBuilder<F>
where
    F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
    A: Service,
{
    /// The WebSocket path (default `/api/ws`); any other is answered HTTP 404.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The limits (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves `wss://` with this TLS configuration.
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Serves `wss://` with a certificate chain and a private key from PEM files
    /// ([`server_config`](crate::server_config)).
    pub fn tls_pem(self, cert: &Path, key: &Path) -> Result<Self, Error> {
        Ok(self.tls(crate::tls::server_config(cert, key)?))
    }

    /// The protocol versions served (default 1 only).
    pub fn versions(mut self, versions: VersionRange) -> Self {
        self.versions = versions;
        self
    }

    /// The server's change feed, the same as [`Server::changes`] once it serves.
    pub fn changes(&self) -> ChangeFeed {
        self.feed.clone()
    }

    /// Starts serving on `listener`, in a task of the current tokio runtime.
    pub fn serve(self, listener: TcpListener) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let feed = self.feed;
        let epoch = feed.epoch();
        let (stop, _) = watch::channel(false);
        let stop = Arc::new(stop);
        let live = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            factory: self.factory,
            path: self.path,
            limits: self.limits,
            tls: self.tls.map(TlsAcceptor::from),
            config: ServerConfig {
                versions: self.versions,
            },
            epoch,
            live: live.clone(),
        });
        let (deadline_tx, deadline_rx) = watch::channel(None);
        let task = tokio::spawn(accept::accept(
            listener,
            shared,
            feed.clone(),
            stop.clone(),
            deadline_rx,
        ));
        Ok(Server {
            addr,
            feed,
            stop,
            deadline: deadline_tx,
            live,
            task,
        })
    }
}

/// What every connection's task shares.
struct Shared<F> {
    factory: F,
    path: String,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    config: ServerConfig,
    epoch: Instant,
    live: Arc<AtomicUsize>,
}

/// A running server: its address, its [`ChangeFeed`] and its shutdown. Dropping it leaves
/// the server running (until the runtime ends).
///
/// ```no_run
/// use xentara_ws_tokio::{Server, Service};
/// use xentara_ws::params::Credentials;
/// use xentara_ws::session::{AppRequest, Application, IdKind, Replied, Reply};
/// use xentara_ws::{Command, ErrorCode, Response, Stage, Uuid};
///
/// struct App;
/// impl Application for App {
///     type Identity = ();
///     type Subscription = ();
///     fn authenticate(&mut self, _: &Credentials<'_>) -> Result<(), ErrorCode> {
///         Err(ErrorCode::AccessDenied)
///     }
///     fn fresh_id(&mut self, _: IdKind) -> Uuid {
///         Uuid::from_u128(1)
///     }
///     fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, ()>) -> Replied {
///         match request.command {
///             Command::GetStage(_) => reply.ok(Response::GetStage(Stage::Operational)),
///             _ => reply.error(ErrorCode::UnknownElement),
///         }
///     }
/// }
/// impl Service for App {}
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let server = Server::builder(|_peer: &_| Some(App)).serve(listener)?;
/// // … until it is time to stop:
/// let report = server.shutdown(std::time::Duration::from_secs(5)).await;
/// assert_eq!(report.aborted, 0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    feed: ChangeFeed,
    stop: Arc<watch::Sender<bool>>,
    deadline: watch::Sender<Option<Instant>>,
    live: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<ShutdownReport>,
}

/// How a [`Server::shutdown`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Connections that ended within the deadline (closed with 1001, or by their
    /// clients).
    pub closed: usize,
    /// Connections still open at the deadline, dropped without a closing handshake.
    pub aborted: usize,
}

impl Server {
    /// How to serve applications made by `factory`, one per connection: it sees the
    /// [`Peer`] (address and HTTP Basic credentials) and returns the connection's
    /// application, or `None` to refuse the upgrade with HTTP 401.
    pub fn builder<F, A>(factory: F) -> ServerBuilder<F>
    where
        F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
        A: Service,
    {
        ServerBuilder {
            factory,
            feed: ChangeFeed::new(Instant::now()),
            path: "/api/ws".to_owned(),
            limits: Limits::default(),
            tls: None,
            versions: VersionRange::V1,
        }
    }

    /// How to serve `model`, shared by every connection: one [`ModelService`] per
    /// connection the model [admits](Model::admit); its writes are announced on the
    /// server's [`ChangeFeed`].
    pub fn model<M: Model>(
        model: Arc<M>,
    ) -> ServerBuilder<impl Fn(&Peer) -> Option<ModelService<M>> + Send + Sync + 'static> {
        let feed = ChangeFeed::new(Instant::now());
        let changes = feed.clone();
        let factory = move |peer: &Peer| {
            let admitted = model.admit(peer);
            admitted.then(|| ModelService::new(model.clone(), Some(changes.clone())))
        };
        ServerBuilder {
            feed,
            ..Server::builder(factory)
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The change feed: say there which elements changed.
    pub fn changes(&self) -> ChangeFeed {
        self.feed.clone()
    }

    /// Connections being served now.
    pub fn connections(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Stops accepting, closes every connection with 1001 (going away) and waits for
    /// them, `grace` at most; connections still open then are dropped.
    pub async fn shutdown(self, grace: Duration) -> ShutdownReport {
        let _ = self.deadline.send(Some(after(Instant::now(), grace)));
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

/// Serves applications made by `factory` on `listener` with the defaults: `ws://` at
/// `/api/ws`, [`Limits::default`]. See [`Server::builder`].
pub fn serve<F, A>(listener: TcpListener, factory: F) -> std::io::Result<Server>
where
    F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
    A: Service,
{
    Server::builder(factory).serve(listener)
}
