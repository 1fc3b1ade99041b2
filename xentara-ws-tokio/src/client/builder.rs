//! [`ClientBuilder`]: how a client connects, and connecting.

use std::sync::Arc;
use std::time::Duration;

use xentara_ws::session::{ClientConfig, VersionRange};

use super::Client;
use super::connect::Connector;
use super::driver::{Driver, Options};
use super::exchange::Exchange;
use super::reconnect::Backoff;
use crate::Error;
use crate::tls::Trust;

/// How a [`Client`] connects; made by [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    credentials: Option<(String, String)>,
    trust: Trust,
    request_timeout: Duration,
    connect_timeout: Duration,
    versions: VersionRange,
    max_message: usize,
    keep_alive: Option<Duration>,
    reconnect: Option<Backoff>,
    max_batch: usize,
}

impl ClientBuilder {
    /// Pings the server every `every` (default 30 s; `None` or zero: never). A
    /// connection idle for that long stays open (servers close silent ones: the example
    /// server after 300 s), and one that hears nothing for two periods is taken as dead:
    /// every request ends [`Error::Closed`].
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }

    /// How to connect again when the connection is lost (default: [`Backoff::default`],
    /// 0.5 s doubling to 5 s; `None`: never, the client is then closed).
    ///
    /// Requests in flight when the connection is lost end [`Error::Closed`] (whether the
    /// server did them is unknown; none is sent twice); requests made while there is no
    /// connection wait for the next one, up to their timeout. Sub-sessions are opened
    /// again and subscriptions made again under their ids, and each
    /// [`Subscription`](crate::Subscription) yields
    /// [`Event::Reconnected`](crate::Event::Reconnected).
    pub fn reconnect(mut self, backoff: Option<Backoff>) -> Self {
        self.reconnect = backoff;
        self
    }

    /// The most requests one WebSocket message holds (default 32, what the example server
    /// answers in one message; at least 1). Requests of one scheduler tick beyond it leave
    /// in the next messages at once.
    pub fn max_batch(mut self, requests: usize) -> Self {
        self.max_batch = requests.max(1);
        self
    }

    /// A Basic `Authorization` header with `user` and `password` (instead of the URL's
    /// `user:password@`, percent-encoded, which is the other way to give them).
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// What a `wss://` server's certificate must be (default: [`Trust::PublicRoots`]).
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// How long a request waits for its answer (default 10 s): then it ends
    /// [`Error::Timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long connecting may take, TCP to the hello's answer (default 10 s): then
    /// [`Error::ConnectTimeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The protocol versions the hello offers (default 1 only).
    pub fn versions(mut self, versions: VersionRange) -> Self {
        self.versions = versions;
        self
    }

    /// The largest message sent or taken (default 16 MiB).
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes.max(64);
        self
    }

    /// Connects: TCP, TLS for `wss://`, the WebSocket upgrade and the client_hello. Must
    /// be called within a tokio runtime (the connection's driver task is spawned on it).
    /// A first connection that fails is an error (no reconnect: that is for connections
    /// lost later).
    pub async fn connect(self) -> Result<Client, Error> {
        let connector = Arc::new(Connector {
            url: self.url,
            credentials: self.credentials,
            trust: self.trust,
            config: ClientConfig {
                versions: self.versions,
                ..ClientConfig::default()
            },
            max_message: self.max_message,
            timeout: self.connect_timeout,
        });
        let link = connector.connect().await?;
        let options = Options {
            request_timeout: self.request_timeout,
            keep_alive: self.keep_alive.filter(|every| !every.is_zero()),
            reconnect: self.reconnect,
            max_batch: self.max_batch,
        };
        let exchange = Arc::<Exchange>::default();
        let status = Arc::default();
        let driver = Driver::new(
            link,
            Arc::clone(&exchange),
            connector,
            options,
            Arc::clone(&status),
        );
        tokio::spawn(driver.run());
        Ok(Client::new(exchange, self.request_timeout, status))
    }
}

impl ClientBuilder {
    /// The defaults for `url`.
    pub(super) fn new(url: String) -> Self {
        ClientBuilder {
            url,
            credentials: None,
            trust: Trust::default(),
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            versions: VersionRange::V1,
            max_message: 16 << 20,
            keep_alive: Some(Duration::from_secs(30)),
            reconnect: Some(Backoff::default()),
            max_batch: 32,
        }
    }
}
