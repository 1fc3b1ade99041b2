//! Connecting again after a loss: [`Backoff`] between attempts, and the requests that
//! come meanwhile, which wait (up to their timeout) for the next connection.

use std::future::{Future, poll_fn};
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use super::Session;
use super::command::{Answer, Command};
use super::connect::Ws;
use super::driver::{Call, Driver};
use super::exchange::Inbox;
use crate::time::after;

/// How a [`Client`](super::Client) connects again after losing its connection: the
/// first attempt after `first`, each next one after twice as long as the last, at most
/// `max` (default 0.5 s doubling to 5 s). Connecting again, it says hello, opens its
/// sub-sessions again and subscribes again with the same ids; it tries until it is
/// connected or the client is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first attempt.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(500),
            max: Duration::from_secs(5),
        }
    }
}

impl Driver {
    /// Connects again, waiting `backoff` between attempts, while requests queue (and time
    /// out); `None` when the client is closed first.
    pub(super) async fn reconnect(&mut self, backoff: Backoff) -> Option<(Ws, Session)> {
        let mut wait = backoff.first;
        loop {
            self.offline(sleep_until(after(Instant::now(), wait)))
                .await?;
            let connector = self.connector.clone();
            match self
                .offline(async move { connector.connect().await })
                .await?
            {
                Ok(link) => {
                    tracing::info!("connected again");
                    return Some(link);
                }
                Err(e) => tracing::warn!("connecting again failed: {e}"),
            }
            wait = wait.saturating_mul(2).min(backoff.max);
        }
    }

    /// Runs `task` while there is no connection: requests queue, those whose deadline
    /// passes end [`Error::Timeout`](crate::Error::Timeout). `None` when the client is
    /// closed (or every handle is gone) first.
    async fn offline<T>(&mut self, task: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(task);
        loop {
            let deadline = self.queue.iter().map(|c| c.deadline).min();
            tokio::select! {
                done = &mut task => return Some(done),
                inbox = poll_fn(|cx| self.exchange.poll_take(cx, &mut self.inbox)) => match inbox {
                    Inbox::Calls => {
                        let mut calls = std::mem::take(&mut self.inbox);
                        for call in calls.drain(..) {
                            self.take_offline(call);
                        }
                        self.inbox = calls;
                    }
                    Inbox::Close => return None,
                },
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.expire_queue(Instant::now());
                }
            }
        }
    }

    /// A request while there is no connection. Ending a subscription or a sub-session
    /// that is not on any server now is done at once (it is not made again); anything
    /// else waits for the connection.
    fn take_offline(&mut self, call: Call) {
        let gone = match &call.command {
            Command::Unsubscribe(id) => self.subscriptions.remove(id).is_some(),
            Command::CloseSubSession(id) => self.sub_sessions.remove(id).is_some(),
            _ => false,
        };
        if gone {
            call.end(Ok(Answer::Done));
        } else {
            self.queue.push_back(call);
        }
    }
}
