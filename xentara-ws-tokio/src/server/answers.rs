//! Answers given later: [`Answers`], a connection's handle to answer a request its
//! application deferred with [`Reply::later`](xentara_ws::session::Reply::later), from
//! any task, with an owned [`Deferred`] answer.

use tokio::sync::mpsc;
use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem};
use xentara_ws::session::Ticket;
use xentara_ws::{
    AttrResult, AttributeId, ErrorCode, Response, Seq, ServerInfo, Stage, Text, Uuid,
};

use crate::owned::{self, AttrValue, ErrorObject, MetaData, Value};

/// An owned answer to a deferred request: the response item of its opcode, or an error.
/// (A subscribe is accepted right away, with
/// [`Reply::accept`](xentara_ws::session::Reply::accept).)
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Deferred {
    /// The request failed.
    Error(ErrorObject),
    /// server_information's properties.
    ServerInformation(Vec<(ServerInfo, Value)>),
    /// browse's elements.
    Browse(Vec<owned::BrowseEntry>),
    /// meta_data's item.
    MetaData(MetaData),
    /// lookup's element.
    Lookup(Uuid),
    /// read's results.
    Read(Vec<(AttributeId, AttrValue)>),
    /// write succeeded.
    Write,
    /// get_stage's stage.
    GetStage(Stage),
    /// resume succeeded.
    Resume,
    /// suspend succeeded.
    Suspend,
    /// shutdown succeeded.
    Shutdown,
}

impl From<ErrorObject> for Deferred {
    fn from(e: ErrorObject) -> Self {
        Deferred::Error(e)
    }
}

impl From<ErrorCode> for Deferred {
    /// The code with its standard message.
    fn from(code: ErrorCode) -> Self {
        Deferred::Error(ErrorObject {
            code,
            message: None,
        })
    }
}

/// The error object of an owned one.
fn error(e: &ErrorObject) -> xentara_ws::ErrorObject<'_> {
    match &e.message {
        Some(message) => xentara_ws::ErrorObject {
            code: e.code,
            message: Some(Text::new(message)),
        },
        None => xentara_ws::ErrorObject::new(e.code),
    }
}

/// An attribute result in the core's form; a value that cannot be encoded is -32603.
fn attr_result(result: &AttrValue) -> AttrResult<'_> {
    match result {
        Ok(value) => match value.as_core() {
            Ok(value) => AttrResult::Value(value),
            Err(_) => AttrResult::Error(xentara_ws::ErrorObject::new(ErrorCode::InternalError)),
        },
        Err(e) => AttrResult::Error(error(e)),
    }
}

impl Deferred {
    /// Calls `f` with the core's borrowed form of the answer.
    pub(crate) fn with_core<R>(
        &self,
        f: impl FnOnce(Result<Response<'_>, xentara_ws::ErrorObject<'_>>) -> R,
    ) -> R {
        let internal = || Err(xentara_ws::ErrorObject::new(ErrorCode::InternalError));
        match self {
            Deferred::Error(e) => f(Err(error(e))),
            Deferred::ServerInformation(info) => {
                let core: Option<Vec<_>> = info
                    .iter()
                    .map(|(id, v)| v.as_core().ok().map(|v| (*id, v)))
                    .collect();
                match core {
                    Some(core) => f(Ok(Response::ServerInformation(Seq::from_slice(&core)))),
                    None => f(internal()),
                }
            }
            Deferred::Browse(entries) => {
                let core: Vec<_> = entries
                    .iter()
                    .map(|e| BrowseEntry {
                        primary_key: Text::new(&e.primary_key),
                        element: e.element,
                        category: e.category,
                    })
                    .collect();
                f(Ok(Response::Browse(Seq::from_slice(&core))))
            }
            Deferred::MetaData(meta) => {
                let attributes: Option<Vec<_>> = meta.attributes.as_ref().map(|list| {
                    list.iter()
                        .map(|a| AttributeInfo {
                            name: Text::new(&a.name),
                            id: a.id,
                            access: a.access,
                            data_type: a.data_type,
                        })
                        .collect()
                });
                f(Ok(Response::MetaData(MetaDataItem {
                    primary_key: meta.primary_key.as_deref().map(Text::new),
                    category: meta.category,
                    attributes: attributes.as_deref().map(Seq::from_slice),
                    has_children: meta.has_children,
                })))
            }
            Deferred::Lookup(id) => f(Ok(Response::Lookup(*id))),
            Deferred::Read(results) => {
                let core: Vec<_> = results
                    .iter()
                    .map(|(id, result)| (*id, attr_result(result)))
                    .collect();
                f(Ok(Response::Read(Seq::from_slice(&core))))
            }
            Deferred::Write => f(Ok(Response::Write(()))),
            Deferred::GetStage(stage) => f(Ok(Response::GetStage(*stage))),
            Deferred::Resume => f(Ok(Response::Resume(()))),
            Deferred::Suspend => f(Ok(Response::Suspend(()))),
            Deferred::Shutdown => f(Ok(Response::Shutdown(()))),
        }
    }
}

/// A connection's handle for answers given later ([`Peer::answers`](super::Peer::answers)):
/// cheap to clone, `Send + Sync`, usable from any task. An answer for a ticket the
/// session does not know (answered already, another connection's) is dropped with a log
/// line; answers to a connection that has ended go nowhere.
#[derive(Debug, Clone)]
pub struct Answers {
    /// Boxed: the channel allocates room for 32 messages up front, per connection.
    tx: mpsc::UnboundedSender<(Ticket, Box<Deferred>)>,
}

/// The connection's end of its [`Answers`].
pub(crate) type AnswersRx = mpsc::UnboundedReceiver<(Ticket, Box<Deferred>)>;

impl Answers {
    pub(crate) fn new() -> (Self, AnswersRx) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Answers { tx }, rx)
    }

    /// Answers the request of `ticket`
    /// ([`AppRequest::ticket`](xentara_ws::session::AppRequest::ticket)).
    /// Returns `false` when the connection has ended.
    pub fn answer(&self, ticket: Ticket, answer: impl Into<Deferred>) -> bool {
        self.tx.send((ticket, Box::new(answer.into()))).is_ok()
    }

    /// True once the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xentara_ws::Attribute;

    #[test]
    fn deferred_answers_take_their_core_form() {
        let read = Deferred::Read(vec![
            (Attribute::Value.into(), Ok(Value::Int(3))),
            (Attribute::Quality.into(), Err(ErrorCode::ReadError.into())),
        ]);
        read.with_core(|r| {
            let Ok(Response::Read(seq)) = r else {
                panic!("{r:?}")
            };
            let items: Vec<_> = seq.iter().map(Result::unwrap).collect();
            assert_eq!(
                items[0],
                (Attribute::Value.into(), AttrResult::Value(3u8.into()))
            );
            let AttrResult::Error(e) = &items[1].1 else {
                panic!()
            };
            assert_eq!(e.code, ErrorCode::ReadError);
        });
        Deferred::from(ErrorCode::AccessDenied).with_core(|r| {
            assert_eq!(
                r,
                Err(xentara_ws::ErrorObject::new(ErrorCode::AccessDenied))
            );
        });
        let meta = MetaData {
            primary_key: Some("Group 1".into()),
            category: Some(xentara_ws::ElementCategory::ElementGroup),
            attributes: Some(vec![owned::AttributeInfo {
                name: "Value".into(),
                id: Attribute::Value.into(),
                access: xentara_ws::Access::ReadOnly,
                data_type: xentara_ws::DataType::Float64,
            }]),
            has_children: None,
        };
        Deferred::MetaData(meta.clone()).with_core(|r| {
            let Ok(Response::MetaData(item)) = r else {
                panic!("{r:?}")
            };
            assert_eq!(MetaData::try_from(&item).unwrap(), meta);
        });
        let entry = owned::BrowseEntry {
            primary_key: "Group 1".into(),
            element: Uuid::from_u128(3),
            category: xentara_ws::ElementCategory::ElementGroup,
        };
        Deferred::Browse(vec![entry.clone()]).with_core(|r| {
            let Ok(Response::Browse(seq)) = r else {
                panic!("{r:?}")
            };
            let entries: Vec<_> = seq
                .iter()
                .map(|e| owned::BrowseEntry::from(&e.unwrap()))
                .collect();
            assert_eq!(entries, [entry]);
        });
        let bad =
            Deferred::ServerInformation(vec![(ServerInfo::Version, Value::Other(vec![0x82]))]);
        bad.with_core(|r| assert_eq!(r.unwrap_err().code, ErrorCode::InternalError));
    }
}
