//! Request deadlines and closing, with no clock inside (the server's timer pattern): the
//! caller passes `now` in, [`ClientSession::poll_timeout`] says when to call back and
//! [`ClientSession::handle_timeout`] ends what is due; [`ClientSession::close`] ends
//! everything.

use super::{ClientSession, ClientState, Lost, Outcome};
use crate::error::MessageId;

impl<const PENDING: usize> ClientSession<PENDING> {
    /// The earliest deadline of a request in flight: when to call
    /// [`handle_timeout`](Self::handle_timeout). `None` when no request has one.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.pending.iter().filter_map(|(_, p)| p.deadline).min()
    }

    /// Ends every request whose deadline is at or before `now`: the iterator yields an
    /// [`Outcome::Lost`] with [`Lost::TimedOut`] for each (dropping it ends the rest).
    ///
    /// When the hello is among them the session cannot become ready: it is
    /// [`ClientState::Closed`] and every other request in flight ends too, with
    /// [`Lost::Closed`].
    pub fn handle_timeout(&mut self, now: u64) -> LostRequests<'_, PENDING> {
        LostRequests {
            client: self,
            now: Some(now),
        }
    }

    /// Closes the session (the connection is gone, or the caller gives up on it): every
    /// request in flight ends with [`Lost::Closed`], yielded by the iterator (dropping it
    /// ends the rest), and nothing more can be sent ([`ClientState::Closed`]). A message
    /// handled afterwards only yields [`Outcome::Event`]s and
    /// [`Unexpected::UnknownId`](super::Unexpected::UnknownId)s.
    pub fn close(&mut self) -> LostRequests<'_, PENDING> {
        self.state = ClientState::Closed;
        LostRequests {
            client: self,
            now: None,
        }
    }
}

/// The requests that [`ClientSession::handle_timeout`] or [`ClientSession::close`] end,
/// one [`Outcome::Lost`] each, in no particular order. Each is taken out of the session
/// as it is yielded; dropping the iterator takes the rest.
#[must_use = "the lost requests are the caller's to fail"]
#[derive(Debug)]
pub struct LostRequests<'s, const PENDING: usize> {
    client: &'s mut ClientSession<PENDING>,
    /// Requests due at this time end; `None`: all of them (closed).
    now: Option<u64>,
}

impl<const PENDING: usize> Iterator for LostRequests<'_, PENDING> {
    type Item = Outcome<'static>;

    fn next(&mut self) -> Option<Outcome<'static>> {
        let now = self.now;
        let (id, pending) = self.client.pending.iter().find(|(_, p)| match now {
            Some(now) => p.deadline.is_some_and(|d| d <= now),
            None => true,
        })?;
        let opcode = pending.opcode;
        let id: MessageId = id;
        self.client.pending.remove(id);
        let cause = match now {
            Some(_) => Lost::TimedOut,
            None => Lost::Closed,
        };
        if self.client.state == (ClientState::HelloSent { id }) {
            // Without the hello's answer nothing else can succeed.
            self.client.state = ClientState::Closed;
            self.now = None;
        }
        Some(Outcome::Lost { id, opcode, cause })
    }
}

impl<const PENDING: usize> Drop for LostRequests<'_, PENDING> {
    fn drop(&mut self) {
        for _ in self.by_ref() {}
    }
}
