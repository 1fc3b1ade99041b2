//! [`SubSession`]: an open sub-session's handle.

use xentara_ws::{AttributeId, Uuid};

use super::{Client, StageCommand};
use crate::{Error, Value};

/// An authenticated sub-session (made by [`Client::create_sub_session`]): its requests
/// carry its id, so the server checks its credentials as well. Closed by
/// [`SubSession::close`], or when dropped (close_sub_session is then sent without waiting
/// for its answer).
#[derive(Debug)]
pub struct SubSession {
    client: Client,
    id: Uuid,
    open: bool,
}

impl SubSession {
    pub(crate) fn new(client: Client, id: Uuid) -> Self {
        SubSession {
            client,
            id,
            open: true,
        }
    }

    /// The sub-session's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Sets one attribute with the sub-session's credentials (write with its id).
    pub async fn write(
        &self,
        element: Uuid,
        attribute: impl Into<AttributeId>,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        let (attribute, value) = (attribute.into(), value.into());
        self.client
            .write_as(element, attribute, value, Some(self.id))
            .await
    }

    /// Resumes Xentara with the sub-session's credentials.
    pub async fn resume(&self) -> Result<(), Error> {
        self.client
            .stage_command(StageCommand::Resume, self.id)
            .await
    }

    /// Suspends Xentara with the sub-session's credentials.
    pub async fn suspend(&self) -> Result<(), Error> {
        self.client
            .stage_command(StageCommand::Suspend, self.id)
            .await
    }

    /// Shuts Xentara down with the sub-session's credentials.
    pub async fn shutdown(&self) -> Result<(), Error> {
        self.client
            .stage_command(StageCommand::Shutdown, self.id)
            .await
    }

    /// Closes the sub-session (close_sub_session) and waits for the answer.
    pub async fn close(mut self) -> Result<(), Error> {
        self.open = false;
        self.client.close_sub_session(self.id).await
    }
}

impl Drop for SubSession {
    fn drop(&mut self) {
        if self.open {
            self.client.close_sub_session_now(self.id);
        }
    }
}
