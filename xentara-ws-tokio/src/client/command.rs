//! Requests as the driver task holds them (owned: they cross to another task), encoded in the
//! core's borrowed form when their batch is written; and answers, owned, typed by opcode.

use xentara_ws::params::{
    Browse, CloseSubSession, CreateSubSession, Lookup, MetaData as MetaDataParams, Password, Read,
    Resume, ServerInformation, Shutdown, Subscribe, SubscriptionEntry, Suspend, Unsubscribe, Write,
};
use xentara_ws::{
    AttributeId, Bytes, Command as Core, DecodeError, ElementCategory, MetaDataId, Raw, Response,
    Seq, ServerInfo, Stage, Text, Uuid,
};

use smallvec::SmallVec;

use crate::owned::{AttrValues, BrowseEntry, MetaData, Value};

/// How a sub-session authenticates (create_sub_session).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth 2.0 access token.
    OAuth2(String),
    /// A DER-encoded X.509 certificate.
    Certificate(Vec<u8>),
}

impl Credentials {
    /// A user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Password {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    /// Never shows a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .finish_non_exhaustive(),
            Credentials::OAuth2(_) => f.write_str("OAuth2(..)"),
            Credentials::Certificate(der) => write!(f, "Certificate({} bytes)", der.len()),
        }
    }
}

/// A request, owned.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    ServerInformation(Vec<ServerInfo>),
    Browse {
        element: Uuid,
        depth: Option<u64>,
        categories: Option<Vec<ElementCategory>>,
    },
    MetaData {
        element: Uuid,
        ids: Vec<MetaDataId>,
    },
    Lookup(String),
    Read {
        element: Uuid,
        /// Inline: a read of one or two attributes allocates nothing for them.
        attributes: SmallVec<[AttributeId; 2]>,
    },
    Write {
        element: Uuid,
        attribute: AttributeId,
        value: Value,
        sub_session: Option<Uuid>,
    },
    Subscribe {
        entries: Vec<(Uuid, Vec<AttributeId>)>,
        /// maximum_update_rate, ms.
        throttle: Option<u64>,
        /// minimum_update_rate, ms.
        heartbeat: Option<u64>,
        desired: Option<Uuid>,
    },
    Unsubscribe(Uuid),
    GetStage,
    /// opcode 9: `{0: session}` when there is one.
    Resume(Option<Uuid>),
    Suspend(Option<Uuid>),
    Shutdown(Option<Uuid>),
    CreateSubSession {
        credentials: Credentials,
        desired: Option<Uuid>,
    },
    CloseSubSession(Uuid),
}

impl Command {
    /// Calls `f` with the core's borrowed form of the command. Fails for a value that
    /// cannot be encoded.
    pub(crate) fn with_core<R>(&self, f: impl FnOnce(Core<'_>) -> R) -> Result<R, DecodeError> {
        let resume;
        let subscription: Vec<SubscriptionEntry<'_>>;
        let command: Core<'_> = match self {
            Command::ServerInformation(ids) => ServerInformation {
                ids: Seq::from_slice(ids),
            }
            .into(),
            Command::Browse {
                element,
                depth,
                categories,
            } => Browse {
                element: *element,
                depth: *depth,
                categories: categories.as_deref().map(Seq::from_slice),
            }
            .into(),
            Command::MetaData { element, ids } => MetaDataParams {
                element: *element,
                ids: Seq::from_slice(ids),
            }
            .into(),
            Command::Lookup(key) => Lookup {
                primary_key: Text::new(key),
            }
            .into(),
            Command::Read {
                element,
                attributes,
            } => Read {
                element: *element,
                attributes: Seq::from_slice(attributes),
            }
            .into(),
            Command::Write {
                element,
                attribute,
                value,
                sub_session,
            } => Write {
                element: *element,
                attribute: *attribute,
                value: value.as_core()?,
                sub_session_id: *sub_session,
            }
            .into(),
            Command::Subscribe {
                entries,
                throttle,
                heartbeat,
                desired,
            } => {
                subscription = entries
                    .iter()
                    .map(|(element, attributes)| SubscriptionEntry::new(*element, attributes))
                    .collect();
                Subscribe {
                    entries: Seq::from_slice(&subscription),
                    maximum_update_rate: *throttle,
                    minimum_update_rate: *heartbeat,
                    desired_subscription_id: *desired,
                }
                .into()
            }
            Command::Unsubscribe(id) => Unsubscribe {
                subscription_id: *id,
            }
            .into(),
            Command::GetStage => Core::GetStage(xentara_ws::params::GetStage),
            Command::Resume(session) => {
                resume = session.map(|id| {
                    // {0: 37(h'…')}
                    let mut map = vec![0xa1, 0x00, 0xd8, 0x25, 0x50];
                    map.extend_from_slice(id.as_bytes());
                    map
                });
                let params = match &resume {
                    Some(map) => Some(Raw::new(map)?),
                    None => None,
                };
                Core::Resume(Resume { params })
            }
            Command::Suspend(session_id) => Suspend {
                session_id: *session_id,
            }
            .into(),
            Command::Shutdown(session_id) => Shutdown {
                session_id: *session_id,
            }
            .into(),
            Command::CreateSubSession {
                credentials,
                desired,
            } => {
                use xentara_ws::params::{Certificate, Credentials as C, OAuth2};
                let credentials = match credentials {
                    Credentials::Password { username, password } => C::Password(Password {
                        username: Text::new(username),
                        password: Text::new(password),
                    }),
                    Credentials::OAuth2(token) => C::OAuth2(OAuth2 {
                        token: Text::new(token),
                    }),
                    Credentials::Certificate(der) => C::Certificate(Certificate {
                        der: Bytes::from(der.as_slice()),
                    }),
                };
                CreateSubSession {
                    credentials,
                    desired_session_id: *desired,
                }
                .into()
            }
            Command::CloseSubSession(session_id) => CloseSubSession {
                session_id: *session_id,
            }
            .into(),
        };
        Ok(f(command))
    }
}

/// A success item, owned, typed by the request's opcode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    ServerInformation(Vec<(ServerInfo, Value)>),
    Browse(Vec<BrowseEntry>),
    MetaData(MetaData),
    Uuid(Uuid),
    Read(AttrValues),
    Subscribe(Option<Uuid>),
    Stage(Stage),
    /// An opcode without an item (write, resume, suspend, …), or the hello.
    Done,
}

impl TryFrom<&Response<'_>> for Answer {
    type Error = DecodeError;

    fn try_from(response: &Response<'_>) -> Result<Self, DecodeError> {
        Ok(match response {
            Response::ServerInformation(seq) => Answer::ServerInformation(
                seq.iter()
                    .map(|r| r.map(|(info, v)| (info, Value::from(&v))))
                    .collect::<Result<_, _>>()?,
            ),
            Response::Browse(seq) => Answer::Browse(
                seq.iter()
                    .map(|r| r.map(|e| BrowseEntry::from(&e)))
                    .collect::<Result<_, _>>()?,
            ),
            Response::MetaData(item) => Answer::MetaData(MetaData::try_from(item)?),
            Response::Lookup(id) | Response::CreateSubSession(id) => Answer::Uuid(*id),
            Response::Read(seq) => Answer::Read(AttrValues::read(seq)?),
            Response::Subscribe(id) => Answer::Subscribe(*id),
            Response::GetStage(stage) => Answer::Stage(*stage),
            Response::Write(())
            | Response::Unsubscribe(())
            | Response::Resume(())
            | Response::Suspend(())
            | Response::Shutdown(())
            | Response::CloseSubSession(())
            | Response::ClientHello(_) => Answer::Done,
        })
    }
}
