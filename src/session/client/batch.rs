//! [`ClientBatch`]: one message of requests being written.

use heapless::Vec;

use super::{ClientError, ClientSession, ClientState, Pending};
use crate::batch::BatchWriter;
use crate::error::MessageId;
use crate::op::Command;
use crate::packet::Request;

/// One message of requests being written; made by [`ClientSession::start_batch`].
///
/// [`ClientBatch::finish`] gives the message. Dropping the batch without finishing takes
/// its requests back: nothing of it counts as sent.
#[must_use = "finish the batch to get the message"]
#[derive(Debug)]
pub struct ClientBatch<'c, 'a, const PENDING: usize> {
    pub(super) client: &'c mut ClientSession<PENDING>,
    /// `None` once finished.
    pub(super) writer: Option<BatchWriter<'a>>,
    pub(super) added: Vec<MessageId, PENDING>,
    pub(super) restore: (ClientState, MessageId),
    /// The deadline of the requests added from now on.
    pub(super) deadline: Option<u64>,
}

impl<'a, const PENDING: usize> ClientBatch<'_, 'a, PENDING> {
    /// Sets the deadline (ms on the caller's clock) of the requests added from now on,
    /// the hello included; `None` (the default): they wait for their answer however long
    /// it takes. A request whose deadline passes ends with [`Lost::TimedOut`]
    /// ([`ClientSession::handle_timeout`]).
    ///
    /// [`Lost::TimedOut`]: super::Lost::TimedOut
    pub fn set_deadline(&mut self, deadline: Option<u64>) {
        self.deadline = deadline;
    }

    /// Adds a request and returns its message id. The first request of a session is
    /// preceded by the configured hello, unless it is a hello itself.
    pub fn request<'c>(
        &mut self,
        command: impl Into<Command<'c>>,
    ) -> Result<MessageId, ClientError> {
        let command = command.into();
        match (self.client.state, &command) {
            (ClientState::Refused { code }, _) => Err(ClientError::HelloRefused(code)),
            (ClientState::Closed, _) => Err(ClientError::Closed),
            (ClientState::Idle, Command::ClientHello(_)) => self.push_hello(command),
            (_, Command::ClientHello(_)) => Err(ClientError::DuplicateHello),
            (ClientState::Idle, _) => {
                let hello = Command::ClientHello(self.client.config.versions.into());
                if self.client.pending.len() + 2 > PENDING {
                    return Err(ClientError::PendingFull { capacity: PENDING });
                }
                self.push_hello(hello)?;
                self.push(command)
            }
            (_, _) => self.push(command),
        }
    }

    /// The number of requests added (the hello included).
    pub fn len(&self) -> usize {
        self.added.len()
    }

    /// True when no request was added.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
    }

    /// The message: the requests added (the hello alone for a session's first message with
    /// none; `[]` otherwise).
    pub fn finish(mut self) -> Result<&'a [u8], ClientError> {
        if self.client.state == ClientState::Idle {
            let hello = Command::ClientHello(self.client.config.versions.into());
            self.push_hello(hello)?;
        }
        let Some(writer) = self.writer.take() else {
            return Err(ClientError::Encode(
                crate::error::EncodeError::BufferTooSmall { required: 1 },
            ));
        };
        match writer.finish() {
            Ok(message) => Ok(message),
            Err(e) => {
                self.rollback();
                Err(e.into())
            }
        }
    }

    fn push_hello(&mut self, hello: Command<'_>) -> Result<MessageId, ClientError> {
        let id = self.push(hello)?;
        self.client.state = ClientState::HelloSent { id };
        Ok(id)
    }

    /// Encodes one request and records it as pending.
    fn push(&mut self, command: Command<'_>) -> Result<MessageId, ClientError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(ClientError::Encode(
                crate::error::EncodeError::BufferTooSmall { required: 1 },
            ));
        };
        if self.client.pending.is_full() {
            return Err(ClientError::PendingFull { capacity: PENDING });
        }
        let next = self.client.next_id;
        let id = self.client.allocate_id();
        let opcode = command.opcode();
        let desired = match &command {
            Command::Subscribe(p) => p.desired_subscription_id,
            _ => None,
        };
        let request = Request { id, command };
        if let Err(e) = writer.push_with(|w| request.write(w)) {
            self.client.next_id = next;
            return Err(e.into());
        }
        let pending = Pending {
            opcode,
            desired,
            deadline: self.deadline,
        };
        match (self.client.pending.insert(id, pending), self.added.push(id)) {
            (Ok(_), Ok(())) => Ok(id),
            // Both have room for PENDING entries and were checked above.
            _ => Err(ClientError::PendingFull { capacity: PENDING }),
        }
    }

    /// Takes back every request of this batch.
    fn rollback(&mut self) {
        for id in &self.added {
            self.client.pending.remove(*id);
        }
        self.added.clear();
        (self.client.state, self.client.next_id) = self.restore;
    }
}

impl<const PENDING: usize> Drop for ClientBatch<'_, '_, PENDING> {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.rollback();
        }
    }
}
