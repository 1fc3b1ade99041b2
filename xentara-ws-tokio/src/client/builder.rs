//! [`ClientBuilder`]: how a client connects, and connecting.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::timeout;
use xentara_ws::session::{ClientConfig, VersionRange};

use super::driver::Driver;
use super::target::Target;
use super::{Client, connect};
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
    pub async fn connect(self) -> Result<Client, Error> {
        let credentials = self
            .credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()));
        let target = Target::parse(&self.url, credentials)?;
        let config = ClientConfig {
            versions: self.versions,
            ..ClientConfig::default()
        };
        let open = async {
            let mut ws = connect::open(target, &self.trust, self.max_message).await?;
            let session = connect::hello(&mut ws, config).await?;
            Ok::<_, Error>((ws, session))
        };
        let (ws, session) = timeout(self.connect_timeout, open)
            .await
            .map_err(|_| Error::ConnectTimeout)??;
        let version = session.version().unwrap_or(0);
        let (tx, rx) = mpsc::unbounded_channel();
        let keep_alive = self.keep_alive.filter(|every| !every.is_zero());
        let driver = Driver::new(
            ws,
            session,
            rx,
            self.max_message,
            self.request_timeout,
            keep_alive,
        );
        tokio::spawn(driver.run());
        Ok(Client::new(tx, self.request_timeout, version))
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
        }
    }
}
