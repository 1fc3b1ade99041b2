//! [`Model`]: a tree of elements and their attributes, and [`ModelService`], the
//! [`Service`] that serves one: every command, its errors and the subscriptions' events
//! come out of the few questions the trait asks.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use xentara_ws::items::{self, MetaDataItem};
use xentara_ws::params::{
    Browse, Credentials, MetaData, Read, ServerInformation, Subscribe, Write,
};
use xentara_ws::session::{
    AppRequest, Application, Due, Events, IdKind, Reason, Replied, Reply, SubSession,
};
use xentara_ws::{
    Access, AttrResult, Attribute, AttributeId, Command, DataType, DecodeError, ElementCategory,
    ErrorCode, MetaDataId, Opcode, Response, Seq, ServerInfo, Stage, Text, TimePoint, Uuid,
};

use super::{ChangeFeed, Peer, Service};
use crate::owned::{AttrValue, AttributeInfo, ErrorObject, Value};

/// An element of a [`Model`]: what every element has besides its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Its primary key: the names of its ancestors and its own, joined with dots
    /// (`"Group 1.Data Point 1"`); the root's is empty.
    pub primary_key: Cow<'static, str>,
    /// What kind of element it is.
    pub category: ElementCategory,
}

impl Element {
    /// An element with this primary key and category.
    pub fn new(primary_key: impl Into<Cow<'static, str>>, category: ElementCategory) -> Self {
        Element {
            primary_key: primary_key.into(),
            category,
        }
    }

    /// Its name: the last part of its primary key.
    pub fn name(&self) -> &str {
        self.primary_key.rsplit('.').next().unwrap_or("")
    }
}

impl AttributeInfo {
    /// An attribute: its name, id, access and data type.
    pub fn new(
        name: impl Into<String>,
        id: impl Into<AttributeId>,
        access: Access,
        data_type: DataType,
    ) -> Self {
        AttributeInfo {
            name: name.into(),
            id: id.into(),
            access,
            data_type,
        }
    }
}

/// The attributes [`ModelService`] answers for every element, read-only: primaryKey,
/// name, UUID and category.
pub const IDENTITY: [(Attribute, &str, DataType); 4] = [
    (Attribute::PrimaryKey, "primaryKey", DataType::String),
    (Attribute::Name, "name", DataType::String),
    (Attribute::Uuid, "UUID", DataType::Uuid),
    (Attribute::Category, "category", DataType::ElementCategory),
];

/// A tree of elements and their attributes, served by [`ModelService`] (or
/// [`Server::model`](super::Server::model)): the model answers a few questions about
/// its elements, the service answers every command from them — browse, lookup, meta_data,
/// read, write, server_information, the stage commands, sub-sessions, subscriptions and
/// their events — with the protocol's errors for unknown elements, attributes and ids.
///
/// One model is usually shared by every connection (an `Arc`) and changes from other
/// tasks: say what changed on the server's [`ChangeFeed`] and the subscriptions that
/// cover it send an event (a successful write through the service says so itself); or,
/// for values sampled on a period, say when each changes next
/// ([`next_change`](Model::next_change)).
///
/// Elements are named by UUID; the root is the nil UUID, there even when
/// [`element`](Model::element) does not name it. Every element has the attributes of
/// [`IDENTITY`], answered by the service; [`attributes`](Model::attributes) lists the
/// others, which [`read`](Model::read) and [`write`](Model::write) serve.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicI64, Ordering};
/// use xentara_ws_tokio::{Access, AttrValue, Attribute, AttributeId, AttributeInfo, DataType};
/// use xentara_ws_tokio::{Element, ElementCategory, Model, Server, Uuid, Value};
///
/// const COUNTER: Uuid = Uuid::from_u128(7);
///
/// /// A counter under the root, read-only.
/// struct Counter(AtomicI64);
///
/// impl Model for Counter {
///     fn element(&self, id: Uuid) -> Option<Element> {
///         (id == COUNTER).then(|| Element::new("Counter", ElementCategory::DataPoint))
///     }
///     fn children(&self, id: Uuid) -> Vec<Uuid> {
///         if id.is_nil() { vec![COUNTER] } else { vec![] }
///     }
///     fn attributes(&self, _: Uuid) -> Vec<AttributeInfo> {
///         let i64 = DataType::SignedInteger64;
///         vec![AttributeInfo::new("value", Attribute::Value, Access::ReadOnly, i64)]
///     }
///     fn read(&self, _: Uuid, _: AttributeId) -> AttrValue {
///         Ok(Value::Int(self.0.load(Ordering::Relaxed)))
///     }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let model = Arc::new(Counter(AtomicI64::new(0)));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let server = Server::model(model.clone()).serve(listener)?;
/// loop {
///     tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///     model.0.fetch_add(1, Ordering::Relaxed);
///     server.changes().changed(COUNTER);
/// }
/// # }
/// ```
pub trait Model: Send + Sync + 'static {
    /// The element `id`, or `None` when there is none.
    fn element(&self, id: Uuid) -> Option<Element>;

    /// The children of element `id`, in browse order.
    fn children(&self, id: Uuid) -> Vec<Uuid>;

    /// The attributes of element `id` besides those of [`IDENTITY`].
    fn attributes(&self, id: Uuid) -> Vec<AttributeInfo> {
        let _ = id;
        Vec::new()
    }

    /// How `attribute` of element `id` may be used; `None` when the element has no such
    /// attribute among its [`attributes`](Model::attributes). Asked for every read, write
    /// and event: the default builds the list, a model can answer without it.
    fn access(&self, id: Uuid, attribute: AttributeId) -> Option<Access> {
        self.attributes(id)
            .into_iter()
            .find(|a| a.id == attribute)
            .map(|a| a.access)
    }

    /// The value of `attribute` of element `id` (an existing element; an attribute of
    /// [`attributes`](Model::attributes)). The default: [`ErrorCode::MissingAttribute`].
    fn read(&self, id: Uuid, attribute: AttributeId) -> AttrValue {
        let _ = (id, attribute);
        Err(ErrorCode::MissingAttribute.into())
    }

    /// Writes `value` to `attribute` of element `id` (an existing element; an attribute
    /// of [`attributes`](Model::attributes) that is not read-only), for the user a
    /// sub-session logged in (`None`: the connection itself). The default:
    /// [`ErrorCode::ReadOnly`].
    fn write(
        &self,
        id: Uuid,
        attribute: AttributeId,
        value: Value,
        user: Option<&str>,
    ) -> Result<(), ErrorObject> {
        let _ = (id, attribute, value, user);
        Err(ErrorCode::ReadOnly.into())
    }

    /// The element with this primary key. The default walks the tree from the root.
    fn lookup(&self, primary_key: &str) -> Option<Uuid> {
        let mut level = self.children(Uuid::nil());
        while !level.is_empty() {
            if let Some(id) = level.iter().copied().find(|id| {
                self.element(*id)
                    .is_some_and(|e| e.primary_key == primary_key)
            }) {
                return Some(id);
            }
            level = level.iter().flat_map(|id| self.children(*id)).collect();
        }
        None
    }

    /// What server_information answers for `info`. The default: the version of this
    /// crate, the user `"xentara-ws-tokio"` and an empty model file path.
    fn server_information(&self, info: ServerInfo) -> Value {
        match info {
            ServerInfo::Version => concat!("xentara-ws-tokio ", env!("CARGO_PKG_VERSION")).into(),
            ServerInfo::UserName => "xentara-ws-tokio".into(),
            _ => "".into(),
        }
    }

    /// The stage get_stage answers. The default: operational.
    fn stage(&self) -> Stage {
        Stage::Operational
    }

    /// Carries out suspend, resume or shutdown (`command`), for the user of the
    /// sub-session that sent it (`None`: the connection itself). The default refuses with
    /// [`ErrorCode::InvalidStageChange`].
    fn change_stage(&self, command: Opcode, user: Option<&str>) -> Result<(), ErrorCode> {
        let _ = (command, user);
        Err(ErrorCode::InvalidStageChange)
    }

    /// Whether `user` logs in with `password`: a create_sub_session with these (and,
    /// when the connection's HTTP request carries Basic credentials, the connection
    /// through [`admit`](Model::admit)). The default refuses everyone.
    fn login(&self, user: &str, password: &str) -> bool {
        let _ = (user, password);
        false
    }

    /// Checks create_sub_session's credentials: the user name the sub-session acts as.
    /// The default: a user name and password that [`login`](Model::login) accepts;
    /// anything else is refused with [`ErrorCode::AccessDenied`].
    fn authenticate(&self, credentials: &Credentials<'_>) -> Result<String, ErrorCode> {
        match credentials {
            Credentials::Password(p) => {
                let user: String = p.username.chunks().collect();
                let password: String = p.password.chunks().collect();
                match self.login(&user, &password) {
                    true => Ok(user),
                    false => Err(ErrorCode::AccessDenied),
                }
            }
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    /// Whether a connection is served ([`Server::model`](super::Server::model)); `false`
    /// answers the upgrade with HTTP 401. The default lets in a request without Basic
    /// credentials, and one with credentials that [`login`](Model::login) accepts.
    fn admit(&self, peer: &Peer) -> bool {
        peer.credentials
            .as_ref()
            .is_none_or(|(user, password)| self.login(user, password))
    }

    /// A new id for a sub-session or subscription whose client desired none. The
    /// default: a random (version 4) UUID.
    fn fresh_id(&self, kind: IdKind) -> Uuid {
        let _ = kind;
        random_id()
    }

    /// When element `id` changes next, if the model knows (a value sampled on a period):
    /// the subscriptions covering it send an event then, with no word on the
    /// [`ChangeFeed`] — and a write to it shows then rather than being announced. The
    /// default knows nothing: say changes on the feed.
    fn next_change(&self, id: Uuid) -> Option<Instant> {
        let _ = id;
        None
    }

    /// The time of an event's values. The default: now, in milliseconds.
    fn time(&self) -> TimePoint {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        TimePoint::Decimal {
            exponent: -3,
            mantissa: ms,
        }
    }
}

/// A random (version 4) UUID: what [`Application::fresh_id`] of an application on
/// this crate can return.
pub fn random_id() -> Uuid {
    uuid::Uuid::new_v4()
}

/// What a subscription covers, and the values of its last event (a change sends only
/// what differs from them).
#[derive(Debug, Default)]
pub struct Watch {
    entries: Vec<(Uuid, Vec<AttributeId>)>,
    last_sent: Vec<(Uuid, Vec<(AttributeId, AttrValue)>)>,
}

/// The [`Service`] of one connection to a [`Model`]: made per connection by
/// [`Server::model`](super::Server::model), or by hand to drive a
/// [`ServerSession`](xentara_ws::session::ServerSession) without a network.
pub struct ModelService<M: ?Sized> {
    model: Arc<M>,
    changes: Option<ChangeFeed>,
}

impl<M: ?Sized> std::fmt::Debug for ModelService<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelService").finish_non_exhaustive()
    }
}

impl<M: Model + ?Sized> ModelService<M> {
    /// A service of `model`. A write it carries out is announced on `changes` (the
    /// server's feed: every connection's subscriptions), when given.
    pub fn new(model: Arc<M>, changes: Option<ChangeFeed>) -> Self {
        ModelService { model, changes }
    }

    /// The model served.
    pub fn model(&self) -> &Arc<M> {
        &self.model
    }

    /// The element `id` (the root even when the model does not name it).
    fn element(&self, id: Uuid) -> Result<Element, Fail> {
        match self.model.element(id) {
            Some(e) => Ok(e),
            None if id.is_nil() => Ok(Element::new("", ElementCategory::RootElement)),
            None => Err(ErrorCode::UnknownElement.into()),
        }
    }

    /// The attribute `attribute` of element `id`: its access.
    fn access(&self, id: Uuid, attribute: AttributeId) -> Result<Access, Fail> {
        if let AttributeId::Standard(a) = attribute
            && IDENTITY.iter().any(|(i, ..)| *i == a)
        {
            return Ok(Access::ReadOnly);
        }
        self.model
            .access(id, attribute)
            .ok_or(ErrorCode::MissingAttribute.into())
    }

    /// `attribute` of `element` (an existing element).
    fn read_one(&self, id: Uuid, element: &Element, attribute: AttributeId) -> AttrValue {
        match attribute {
            AttributeId::Standard(Attribute::PrimaryKey) => {
                Ok(Value::Text(element.primary_key.to_string()))
            }
            AttributeId::Standard(Attribute::Name) => Ok(Value::Text(element.name().to_owned())),
            AttributeId::Standard(Attribute::Uuid) => Ok(Value::Uuid(id)),
            AttributeId::Standard(Attribute::Category) => {
                Ok(Value::Int(element.category.to_u64() as i64))
            }
            _ if self.model.access(id, attribute).is_some() => self.model.read(id, attribute),
            _ => Err(ErrorCode::MissingAttribute.into()),
        }
    }

    fn answer(&self, request: &AppRequest<'_, String>) -> Result<Owned, Fail> {
        let user = request
            .sub_session
            .map(|s: SubSession<'_, String>| s.identity.as_str());
        match &request.command {
            Command::ServerInformation(p) => self.server_information(p),
            Command::Browse(p) => self.browse(p),
            Command::MetaData(p) => self.meta_data(p),
            Command::Lookup(p) => {
                let key: String = p.primary_key.chunks().collect();
                match self.model.lookup(&key) {
                    Some(id) if !id.is_nil() => Ok(Owned::Plain(Response::Lookup(id))),
                    _ => Err(ErrorCode::UnknownElement.into()),
                }
            }
            Command::Read(p) => self.read(p),
            Command::Write(p) => {
                self.write(p, user)?;
                Ok(Owned::Plain(Response::Write(())))
            }
            Command::GetStage(_) => Ok(Owned::Plain(Response::GetStage(self.model.stage()))),
            Command::Suspend(_) | Command::Resume(_) | Command::Shutdown(_) => {
                let opcode = request.command.opcode();
                self.model.change_stage(opcode, user)?;
                Ok(Owned::Plain(match opcode {
                    Opcode::Suspend => Response::Suspend(()),
                    Opcode::Resume => Response::Resume(()),
                    _ => Response::Shutdown(()),
                }))
            }
            // The session answers the others itself; subscribe is `handle`'s.
            _ => Err(ErrorCode::InternalError.into()),
        }
    }

    fn server_information(&self, p: &ServerInformation<'_>) -> Result<Owned, Fail> {
        let mut info = Vec::new();
        for id in p.ids.iter() {
            let id = id?;
            if let ServerInfo::Unknown(_) = id {
                let why = "invalid server information identifier";
                return Err(Fail::Message(ErrorCode::InvalidParameter, why));
            }
            info.push((id, self.model.server_information(id)));
        }
        Ok(Owned::Info(info))
    }

    fn browse(&self, p: &Browse<'_>) -> Result<Owned, Fail> {
        self.element(p.element)?;
        let categories: Option<Vec<ElementCategory>> = p
            .categories
            .as_ref()
            .map(|c| c.iter().collect::<Result<_, _>>())
            .transpose()?;
        let mut found = Vec::new();
        let mut level = vec![p.element];
        let mut depth = 0;
        while !level.is_empty() && p.depth.is_none_or(|d| depth < d) {
            depth += 1;
            level = level.iter().flat_map(|e| self.model.children(*e)).collect();
            for id in &level {
                let Some(e) = self.model.element(*id) else {
                    continue;
                };
                if categories.as_ref().is_none_or(|c| c.contains(&e.category)) {
                    found.push((e.primary_key, *id, e.category));
                }
            }
        }
        Ok(Owned::Browse(found))
    }

    fn meta_data(&self, p: &MetaData<'_>) -> Result<Owned, Fail> {
        let e = self.element(p.element)?;
        let mut meta = Meta::default();
        for id in p.ids.iter() {
            match id? {
                MetaDataId::PrimaryKey => meta.primary_key = Some(e.primary_key.clone()),
                MetaDataId::ElementCategory => meta.category = Some(e.category),
                MetaDataId::HasChildren => {
                    meta.has_children = Some(!self.model.children(p.element).is_empty());
                }
                MetaDataId::AttributeList => {
                    let identity = IDENTITY.iter().map(|(id, name, data_type)| AttributeInfo {
                        name: (*name).to_owned(),
                        id: (*id).into(),
                        access: Access::ReadOnly,
                        data_type: *data_type,
                    });
                    let list = identity.chain(self.model.attributes(p.element));
                    meta.attributes = Some(list.collect());
                }
                MetaDataId::Unknown(_) => {
                    let why = "invalid meta data identifier";
                    return Err(Fail::Message(ErrorCode::InvalidParameter, why));
                }
            }
        }
        Ok(Owned::Meta(meta))
    }

    fn read(&self, p: &Read<'_>) -> Result<Owned, Fail> {
        let e = self.element(p.element)?;
        let mut results = Vec::new();
        for a in &p.attributes {
            let a = a?;
            results.push((a, self.read_one(p.element, &e, a)));
        }
        Ok(Owned::Read(results))
    }

    fn write(&self, p: &Write<'_>, user: Option<&str>) -> Result<(), Fail> {
        self.element(p.element)?;
        if self.access(p.element, p.attribute)? == Access::ReadOnly {
            return Err(ErrorCode::ReadOnly.into());
        }
        self.model
            .write(p.element, p.attribute, (&p.value).into(), user)
            .map_err(Fail::Object)?;
        if let Some(changes) = &self.changes
            && self.model.next_change(p.element).is_none()
        {
            changes.changed(p.element);
        }
        Ok(())
    }

    /// What a subscribe covers: every entry's element and attributes, checked to exist.
    fn watch(&self, p: &Subscribe<'_>) -> Result<Watch, Fail> {
        let mut entries = Vec::new();
        for entry in p.entries.iter() {
            let entry = entry?;
            self.element(entry.element)?;
            let attributes: Vec<AttributeId> = entry.attributes.iter().collect::<Result<_, _>>()?;
            for a in &attributes {
                self.access(entry.element, *a)?;
            }
            entries.push((entry.element, attributes));
        }
        Ok(Watch {
            entries,
            last_sent: Vec::new(),
        })
    }
}

/// An error answer.
enum Fail {
    Code(ErrorCode),
    Message(ErrorCode, &'static str),
    Object(ErrorObject),
    Decode(DecodeError),
}

impl From<ErrorCode> for Fail {
    fn from(code: ErrorCode) -> Self {
        Fail::Code(code)
    }
}

impl From<DecodeError> for Fail {
    fn from(e: DecodeError) -> Self {
        Fail::Decode(e)
    }
}

/// meta_data's answer, owned.
#[derive(Default)]
struct Meta {
    primary_key: Option<Cow<'static, str>>,
    category: Option<ElementCategory>,
    attributes: Option<Vec<AttributeInfo>>,
    has_children: Option<bool>,
}

/// An answer whose item borrows what is owned here (the session encodes it at once).
enum Owned {
    Plain(Response<'static>),
    Info(Vec<(ServerInfo, Value)>),
    Browse(Vec<(Cow<'static, str>, Uuid, ElementCategory)>),
    Meta(Meta),
    Read(Vec<(AttributeId, AttrValue)>),
}

/// An error object in the core's form.
fn core_error(e: &ErrorObject) -> xentara_ws::ErrorObject<'_> {
    xentara_ws::ErrorObject {
        code: e.code,
        message: Some(Text::new(e.text())),
    }
}

/// An attribute result in the core's form; a value that cannot be encoded is -32603.
fn attr_result(result: &AttrValue) -> AttrResult<'_> {
    match result {
        Ok(value) => match value.as_core() {
            Ok(value) => AttrResult::Value(value),
            Err(_) => AttrResult::Error(xentara_ws::ErrorObject::new(ErrorCode::InternalError)),
        },
        Err(e) => AttrResult::Error(core_error(e)),
    }
}

/// Encodes `values` into `f`'s borrowed form.
fn with_results<R>(
    values: &[(AttributeId, AttrValue)],
    f: impl FnOnce(Seq<'_, (AttributeId, AttrResult<'_>)>) -> R,
) -> R {
    let core: Vec<_> = values.iter().map(|(id, v)| (*id, attr_result(v))).collect();
    f(Seq::from_slice(&core))
}

impl Owned {
    fn reply(&self, reply: Reply<'_, Watch>) -> Replied {
        match self {
            Owned::Plain(r) => reply.ok(r.clone()),
            Owned::Info(info) => {
                let core: Option<Vec<_>> = info
                    .iter()
                    .map(|(id, v)| v.as_core().ok().map(|v| (*id, v)))
                    .collect();
                match core {
                    Some(core) => reply.ok(Response::ServerInformation(Seq::from_slice(&core))),
                    None => reply.error(ErrorCode::InternalError),
                }
            }
            Owned::Browse(found) => {
                let core: Vec<_> = found
                    .iter()
                    .map(|(key, element, category)| items::BrowseEntry {
                        primary_key: Text::new(key),
                        element: *element,
                        category: *category,
                    })
                    .collect();
                reply.ok(Response::Browse(Seq::from_slice(&core)))
            }
            Owned::Meta(meta) => {
                let attributes: Option<Vec<_>> = meta.attributes.as_ref().map(|list| {
                    list.iter()
                        .map(|a| items::AttributeInfo {
                            name: Text::new(&a.name),
                            id: a.id,
                            access: a.access,
                            data_type: a.data_type,
                        })
                        .collect()
                });
                reply.ok(Response::MetaData(MetaDataItem {
                    primary_key: meta.primary_key.as_deref().map(Text::new),
                    category: meta.category,
                    attributes: attributes.as_deref().map(Seq::from_slice),
                    has_children: meta.has_children,
                }))
            }
            Owned::Read(results) => with_results(results, |seq| reply.ok(Response::Read(seq))),
        }
    }
}

impl<M: Model + ?Sized> Application for ModelService<M> {
    type Identity = String;
    type Subscription = Watch;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<String, ErrorCode> {
        self.model.authenticate(credentials)
    }

    fn fresh_id(&mut self, kind: IdKind) -> Uuid {
        self.model.fresh_id(kind)
    }

    fn handle(&mut self, request: AppRequest<'_, String>, reply: Reply<'_, Watch>) -> Replied {
        let answer = match &request.command {
            Command::Subscribe(p) => match self.watch(p) {
                Ok(watch) => return reply.accept(watch),
                Err(fail) => Err(fail),
            },
            _ => self.answer(&request),
        };
        match answer {
            Ok(owned) => owned.reply(reply),
            Err(Fail::Code(code)) => reply.error(code),
            Err(Fail::Message(code, message)) => reply.error_message(code, message),
            Err(Fail::Object(e)) => reply.answer(Err(core_error(&e))),
            Err(Fail::Decode(e)) => reply.decode_error(&e),
        }
    }
}

impl<M: Model + ?Sized> Service for ModelService<M> {
    /// Every attribute the subscription covers for its first event and a heartbeat;
    /// those whose value differs from its previous event for a change.
    fn events(&mut self, due: Due, watch: &mut Watch, events: &mut Events<'_, '_>) {
        let now: Vec<(Uuid, Vec<(AttributeId, AttrValue)>)> = watch
            .entries
            .iter()
            .filter_map(|(id, attributes)| {
                let e = self.element(*id).ok()?;
                let values = attributes
                    .iter()
                    .map(|a| (*a, self.read_one(*id, &e, *a)))
                    .collect();
                Some((*id, values))
            })
            .collect();
        let time = self.model.time();
        for (element, values) in &now {
            let before = watch.last_sent.iter().find(|(e, _)| e == element);
            let changed: Vec<_> = match (due.reason, before) {
                (Reason::Change, Some((_, old))) => values
                    .iter()
                    .filter(|v| !old.contains(v))
                    .cloned()
                    .collect(),
                _ => values.clone(),
            };
            if changed.is_empty() {
                continue;
            }
            let pushed = with_results(&changed, |values| {
                events.push(xentara_ws::DataChange {
                    time,
                    element: *element,
                    values,
                })
            });
            if pushed.is_err() {
                // The machine drops this subscription's events and asks again with the
                // next message: what was sent is still what it was.
                return;
            }
        }
        watch.last_sent = now;
    }

    fn covers(&self, watch: &Watch, element: &Uuid) -> bool {
        watch.entries.iter().any(|(e, _)| e == element)
    }

    fn next_change(&self, watch: &Watch) -> Option<Instant> {
        let next = watch.entries.iter();
        next.filter_map(|(e, _)| self.model.next_change(*e)).min()
    }
}
