//! [`Limits`]: what one client can make the server spend.

use std::time::Duration;

/// What a client can make the server spend, and the sizes of each connection's session
/// storage. The defaults are the example server's, but for the reply storage: messages of
/// 16 KiB and 128 requests here, of 4 KiB and 32 requests there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest WebSocket message (and frame) taken, in bytes: a larger one closes the
    /// connection with 1009 (message too big). Default 1 MiB.
    pub max_message: usize,
    /// How long the TLS and the WebSocket handshakes may take, each. Default 10 s.
    pub handshake: Duration,
    /// How long a connection may stay silent before the server closes it. Default 300 s.
    pub idle: Duration,
    /// How long sending a message may wait for a client that does not read: then the
    /// connection closes with 1008. Default 30 s.
    pub send: Duration,
    /// Connections served at once: beyond them an upgrade is answered with HTTP 503.
    /// Default 20,000.
    pub max_connections: usize,
    /// Reply messages that may be open at once per connection (their requests being
    /// answered or waiting to be sent). Default 4.
    pub reply_messages: usize,
    /// Bytes of each reply message. Default 16 KiB.
    pub reply_bytes: usize,
    /// Requests answered in one reply message: a request message with more is answered
    /// -32603 request by request. Default 128.
    pub requests_per_message: usize,
    /// Sub-sessions open at once per connection. Default 8.
    pub sub_sessions: usize,
    /// Subscriptions per connection. Default 16.
    pub subscriptions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 1 << 20,
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(300),
            send: Duration::from_secs(30),
            max_connections: 20_000,
            reply_messages: 4,
            reply_bytes: 16 * 1024,
            requests_per_message: 128,
            sub_sessions: 8,
            subscriptions: 16,
        }
    }
}
