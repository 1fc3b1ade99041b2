//! The demo's in-memory model and the [`Application`] that serves it:
//!
//! ```text
//! (root, nil UUID)
//! └── Group 1                      element group
//!     ├── Group 1.Data Point 1     data point: f64 value, read-write, changes every 100 ms
//!     └── Group 1.Data Point 2     data point: integer value, read-only
//! ```

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem};
use xentara_ws::params::{
    Browse, Credentials, MetaData, Read, ServerInformation, Subscribe, Write,
};
use xentara_ws::session::{
    AppRequest, Application, Due, Events, IdKind, Reason, Replied, Reply, ServerSession, SubSession,
};
use xentara_ws::{
    Access, AttrResult, Attribute, AttributeId, Command, DataChange, DataType, DecodeError,
    ElementCategory, ErrorCode, ErrorObject, MetaDataId, Opcode, Quality, Response, Seq,
    ServerInfo, Stage, Text, TimePoint, Uuid, Value,
};

/// The model's root.
pub const ROOT: Uuid = Uuid::nil();
/// "Group 1".
pub const GROUP: Uuid = Uuid::from_u128(0x5c1f0a2e_7d3b_4e69_9a41_2b8c6d0e1f37);
/// "Group 1.Data Point 1" (the spec's example UUID).
pub const POINT_1: Uuid = Uuid::from_u128(0xe3ee1071_4d88_4ba1_8e5d_0f1e4ce25ee8);
/// "Group 1.Data Point 2".
pub const POINT_2: Uuid = Uuid::from_u128(0x9b2d6c4a_1e8f_4a35_b7c0_3d5e7f9a1b2c);
/// The user name and password of sub-sessions (and of the connection's Basic auth).
pub const USER: &str = "admin";

/// How often Data Point 1 changes.
pub const TICK_MS: u64 = 100;
/// The wall-clock time of a frozen (replay) model.
const FROZEN_START_MS: i64 = 1_700_000_000_000;

/// An attribute of an element.
pub struct Attr {
    pub id: Attribute,
    pub name: &'static str,
    pub access: Access,
    pub data_type: DataType,
}

const fn attr(id: Attribute, name: &'static str, access: Access, data_type: DataType) -> Attr {
    Attr {
        id,
        name,
        access,
        data_type,
    }
}

use Access::{ReadOnly as RO, ReadWrite as RW};

/// What every element has.
const IDENTITY: &[Attr] = &[
    attr(Attribute::PrimaryKey, "primaryKey", RO, DataType::String),
    attr(Attribute::Name, "name", RO, DataType::String),
    attr(Attribute::Uuid, "UUID", RO, DataType::Uuid),
    attr(
        Attribute::Category,
        "category",
        RO,
        DataType::ElementCategory,
    ),
];

const POINT_1_ATTRS: &[Attr] = &[
    attr(Attribute::SourceTime, "sourceTime", RO, DataType::TimePoint),
    attr(Attribute::UpdateTime, "updateTime", RO, DataType::TimePoint),
    attr(Attribute::ChangeTime, "changeTime", RO, DataType::TimePoint),
    attr(Attribute::WriteTime, "writeTime", RO, DataType::TimePoint),
    attr(Attribute::Quality, "quality", RO, DataType::Quality),
    attr(Attribute::Value, "value", RW, DataType::Float64),
];

const POINT_2_ATTRS: &[Attr] = &[
    attr(Attribute::UpdateTime, "updateTime", RO, DataType::TimePoint),
    attr(Attribute::Quality, "quality", RO, DataType::Quality),
    attr(Attribute::Value, "value", RO, DataType::SignedInteger64),
];

/// An element of the model.
pub struct Element {
    pub uuid: Uuid,
    pub primary_key: &'static str,
    pub name: &'static str,
    pub category: ElementCategory,
    pub parent: Option<Uuid>,
    /// The attributes besides [`IDENTITY`].
    extra: &'static [Attr],
}

impl Element {
    /// Every attribute of the element.
    pub fn attributes(&self) -> impl Iterator<Item = &'static Attr> + use<> {
        IDENTITY.iter().chain(self.extra)
    }

    fn attribute(&self, id: AttributeId) -> Result<&'static Attr, Fail> {
        let AttributeId::Standard(id) = id else {
            return Err(ErrorCode::MissingAttribute.into());
        };
        self.attributes()
            .find(|a| a.id == id)
            .ok_or(ErrorCode::MissingAttribute.into())
    }

    fn children(&self) -> impl Iterator<Item = &'static Element> + use<> {
        let me = self.uuid;
        ELEMENTS.iter().filter(move |e| e.parent == Some(me))
    }
}

pub const ELEMENTS: &[Element] = &[
    Element {
        uuid: ROOT,
        primary_key: "",
        name: "",
        category: ElementCategory::RootElement,
        parent: None,
        extra: &[],
    },
    Element {
        uuid: GROUP,
        primary_key: "Group 1",
        name: "Group 1",
        category: ElementCategory::ElementGroup,
        parent: Some(ROOT),
        extra: &[],
    },
    Element {
        uuid: POINT_1,
        primary_key: "Group 1.Data Point 1",
        name: "Data Point 1",
        category: ElementCategory::DataPoint,
        parent: Some(GROUP),
        extra: POINT_1_ATTRS,
    },
    Element {
        uuid: POINT_2,
        primary_key: "Group 1.Data Point 2",
        name: "Data Point 2",
        category: ElementCategory::DataPoint,
        parent: Some(GROUP),
        extra: POINT_2_ATTRS,
    },
];

fn element(uuid: Uuid) -> Result<&'static Element, Fail> {
    ELEMENTS
        .iter()
        .find(|e| e.uuid == uuid)
        .ok_or(ErrorCode::UnknownElement.into())
}

/// A time point in milliseconds, in the documented tag-1001 form.
fn millis(ms: i64) -> TimePoint {
    TimePoint::Decimal {
        exponent: -3,
        mantissa: ms,
    }
}

/// Where the model's time comes from.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// Time stands still at the start (replay mode: every answer is reproducible).
    Frozen,
    /// Time runs from this instant.
    Running(Instant),
}

impl Clock {
    /// Milliseconds since the model started.
    pub fn elapsed_ms(&self) -> u64 {
        match self {
            Clock::Frozen => 0,
            Clock::Running(start) => start.elapsed().as_millis() as u64,
        }
    }
}

/// The model's changing state, shared by every connection.
#[derive(Debug)]
pub struct Model {
    start_ms: i64,
    /// Data Point 1's value at tick `value_tick`; it grows by 0.5 per tick from there.
    value: f64,
    value_tick: u64,
    write_ms: Option<i64>,
    stage: Stage,
}

/// The model as the connections share it.
pub type Shared = Arc<Mutex<Model>>;

impl Model {
    /// A model starting now, shared.
    pub fn running() -> (Shared, Clock) {
        let start_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(FROZEN_START_MS, |d| d.as_millis() as i64);
        (
            Arc::new(Mutex::new(Model::new(start_ms))),
            Clock::Running(Instant::now()),
        )
    }

    /// A model whose time stands still, shared.
    pub fn frozen() -> (Shared, Clock) {
        (
            Arc::new(Mutex::new(Model::new(FROZEN_START_MS))),
            Clock::Frozen,
        )
    }

    fn new(start_ms: i64) -> Self {
        Model {
            start_ms,
            value: 20.0,
            value_tick: 0,
            write_ms: None,
            stage: Stage::Operational,
        }
    }

    fn tick_ms(&self, tick: u64) -> i64 {
        self.start_ms + (tick * TICK_MS) as i64
    }

    /// An attribute's current value.
    fn read(&self, e: &Element, id: AttributeId, tick: u64) -> Result<Value<'static>, Fail> {
        let a = e.attribute(id)?;
        let now = millis(self.tick_ms(tick));
        Ok(match (e.uuid, a.id) {
            (_, Attribute::PrimaryKey) => Value::Text(Text::new(e.primary_key)),
            (_, Attribute::Name) => Value::Text(Text::new(e.name)),
            (_, Attribute::Uuid) => Value::Uuid(e.uuid),
            (_, Attribute::Category) => Value::Int(e.category.to_u64() as i64),
            (_, Attribute::Quality) => Value::Int(Quality::Good.to_u64() as i64),
            (POINT_1, Attribute::Value) => {
                let steps = tick.saturating_sub(self.value_tick) % 200;
                Value::Float(self.value + 0.5 * steps as f64)
            }
            (POINT_1, Attribute::WriteTime) => Value::Time(match self.write_ms {
                Some(ms) => millis(ms),
                None => TimePoint::Infinite { negative: true },
            }),
            (POINT_1, _) => Value::Time(now),
            (POINT_2, Attribute::Value) => Value::Int(42),
            (_, Attribute::UpdateTime) => Value::Time(millis(self.start_ms)),
            _ => return Err(ErrorCode::MissingAttribute.into()),
        })
    }

    /// `read` as a read result or data-change entry.
    fn result(
        &self,
        e: &Element,
        id: AttributeId,
        tick: u64,
    ) -> (AttributeId, AttrResult<'static>) {
        let result = match self.read(e, id, tick) {
            Ok(v) => AttrResult::Value(v),
            Err(fail) => {
                let (code, message) = fail.parts();
                AttrResult::Error(ErrorObject {
                    code,
                    message: Some(Text::new(message.unwrap_or(code.message()))),
                })
            }
        };
        (id, result)
    }
}

/// An error answer: a code and, if the code's standard text is not enough, a message; or
/// an element of the command's sequences that did not decode.
pub enum Fail {
    Code(ErrorCode, Option<&'static str>),
    Decode(DecodeError),
}

impl Fail {
    /// The code and the message, if any.
    fn parts(&self) -> (ErrorCode, Option<&'static str>) {
        match self {
            Fail::Code(code, message) => (*code, *message),
            Fail::Decode(e) => (e.code(), None),
        }
    }
}

impl From<ErrorCode> for Fail {
    fn from(code: ErrorCode) -> Self {
        Fail::Code(code, None)
    }
}

impl From<DecodeError> for Fail {
    fn from(e: DecodeError) -> Self {
        Fail::Decode(e)
    }
}

/// An answer whose item borrows data owned here (the session encodes it at once).
enum Owned {
    Plain(Response<'static>),
    Info(Vec<(ServerInfo, Value<'static>)>),
    Browse(Vec<BrowseEntry<'static>>),
    Meta(MetaDataItem<'static>, Option<Vec<AttributeInfo<'static>>>),
    Read(Vec<(AttributeId, AttrResult<'static>)>),
}

impl Owned {
    fn response(&self) -> Response<'_> {
        match self {
            Owned::Plain(r) => r.clone(),
            Owned::Info(v) => Response::ServerInformation(Seq::from_slice(v)),
            Owned::Browse(v) => Response::Browse(Seq::from_slice(v)),
            Owned::Meta(item, attrs) => Response::MetaData(MetaDataItem {
                attributes: attrs.as_deref().map(Seq::from_slice),
                ..item.clone()
            }),
            Owned::Read(v) => Response::Read(Seq::from_slice(v)),
        }
    }
}

/// Element → attribute values, as one subscription's event carries them.
type Values = Vec<(Uuid, Vec<(AttributeId, AttrResult<'static>)>)>;

/// What the demo keeps per subscription (the session holds it beside its timers): what
/// it covers and what it last sent.
pub struct Watch {
    entries: Vec<(Uuid, Vec<AttributeId>)>,
    /// The values of its last event (to send only what changed).
    last_sent: Values,
}

impl Watch {
    /// True when it covers Data Point 1, whose value changes every tick.
    fn changes(&self) -> bool {
        self.entries.iter().any(|(e, _)| *e == POINT_1)
    }
}

/// The application of one connection.
pub struct DemoApp {
    model: Shared,
    clock: Clock,
    /// Deterministic ids (replay mode).
    deterministic: bool,
    ids_made: u128,
}

impl DemoApp {
    /// The application of a connection to `model`.
    pub fn new(model: Shared, clock: Clock, deterministic: bool) -> Self {
        DemoApp {
            model,
            clock,
            deterministic,
            ids_made: 0,
        }
    }

    fn tick(&self) -> u64 {
        self.clock.elapsed_ms() / TICK_MS
    }

    /// Milliseconds on the session's clock (since the model started).
    pub fn now_ms(&self) -> u64 {
        self.clock.elapsed_ms()
    }

    /// Tells the session when the data of its subscriptions changes next: Data Point 1
    /// changes every tick, so a subscription covering it has a change at the next tick
    /// (a write shows then too). The session's one timer then covers the model's changes:
    /// the event goes out at that tick, or when the subscription's throttle ends.
    pub fn note_changes(&self, session: &mut ServerSession<'_, DemoApp>) {
        let next = (self.tick() + 1) * TICK_MS;
        for mut subscription in session.subscriptions_mut() {
            if subscription.data().changes() {
                subscription.changed_at(next);
            }
        }
    }

    /// Writes the data changes of a due subscription: every attribute for its first event
    /// and a heartbeat, only those whose value changed for a change.
    pub fn fill(&mut self, due: Due, watch: &mut Watch, events: &mut Events<'_, '_>) {
        let tick = self.tick();
        let Ok(model) = self.model.lock() else {
            return;
        };
        let now: Values = watch
            .entries
            .iter()
            .filter_map(|(uuid, attrs)| {
                let e = element(*uuid).ok()?;
                Some((
                    *uuid,
                    attrs.iter().map(|a| model.result(e, *a, tick)).collect(),
                ))
            })
            .collect();
        let time = millis(model.tick_ms(tick));
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
            let change = DataChange {
                time,
                element: *element,
                values: Seq::from_slice(&changed),
            };
            if events.push(change).is_err() {
                break;
            }
        }
        watch.last_sent = now;
    }

    fn answer(&mut self, request: &AppRequest<'_, String>) -> Result<Owned, Fail> {
        let tick = self.tick();
        let mut model = self
            .model
            .lock()
            .map_err(|_| Fail::from(ErrorCode::InternalError))?;
        let plain = |r| Ok(Owned::Plain(r));
        match &request.command {
            Command::ServerInformation(p) => server_information(p),
            Command::Browse(p) => browse(p),
            Command::MetaData(p) => meta_data(p),
            Command::Lookup(p) => ELEMENTS
                .iter()
                .find(|e| e.uuid != ROOT && e.primary_key == p.primary_key)
                .map(|e| Owned::Plain(Response::Lookup(e.uuid)))
                .ok_or(ErrorCode::UnknownElement.into()),
            Command::Read(p) => read(&model, p, tick),
            Command::Write(p) => {
                write(&mut model, p, tick)?;
                plain(Response::Write(()))
            }
            Command::GetStage(_) => plain(Response::GetStage(model.stage)),
            Command::Suspend(_) | Command::Resume(_) | Command::Shutdown(_) => {
                let opcode = request.command.opcode();
                change_stage(&mut model, opcode, request.sub_session)?;
                plain(match opcode {
                    Opcode::Suspend => Response::Suspend(()),
                    Opcode::Resume => Response::Resume(()),
                    _ => Response::Shutdown(()),
                })
            }
            // subscribe is `handle`'s; the machine answers the rest itself.
            _ => Err(ErrorCode::InternalError.into()),
        }
    }
}

/// A command's success, before it is borrowed into the reply.
enum Answered {
    Item(Owned),
    Subscribed(Watch),
}

/// What a subscribe covers: every entry's element and attributes, checked to exist.
fn watch(p: &Subscribe<'_>) -> Result<Watch, Fail> {
    let mut entries = Vec::new();
    for entry in p.entries.iter() {
        let entry = entry?;
        let e = element(entry.element)?;
        let attrs: Vec<AttributeId> = entry.attributes.iter().collect::<Result<_, _>>()?;
        for a in &attrs {
            e.attribute(*a)?;
        }
        entries.push((entry.element, attrs));
    }
    Ok(Watch {
        entries,
        last_sent: Vec::new(),
    })
}

fn server_information(p: &ServerInformation<'_>) -> Result<Owned, Fail> {
    let info = p.ids.iter().map(|id| {
        let id = id?;
        let text = match id {
            ServerInfo::Version => "2.0.4 (xentara-ws demo)",
            ServerInfo::UserName => "demo",
            ServerInfo::ModelFilePath => "memory:/demo-model.json",
            ServerInfo::Unknown(_) => {
                return Err(Fail::Code(
                    ErrorCode::InvalidParameter,
                    Some("invalid server information identifier"),
                ));
            }
        };
        Ok((id, Value::Text(Text::new(text))))
    });
    Ok(Owned::Info(info.collect::<Result<_, _>>()?))
}

fn browse(p: &Browse<'_>) -> Result<Owned, Fail> {
    let start = element(p.element)?;
    let categories: Option<Vec<ElementCategory>> = p
        .categories
        .as_ref()
        .map(|c| c.iter().collect::<Result<_, _>>())
        .transpose()?;
    let mut found = Vec::new();
    let mut level = vec![start];
    let mut depth = 0;
    while !level.is_empty() && p.depth.is_none_or(|d| depth < d) {
        depth += 1;
        level = level.iter().flat_map(|e| e.children()).collect();
        found.extend(
            level
                .iter()
                .filter(|e| categories.as_ref().is_none_or(|c| c.contains(&e.category)))
                .map(|e| BrowseEntry {
                    primary_key: Text::new(e.primary_key),
                    element: e.uuid,
                    category: e.category,
                }),
        );
    }
    Ok(Owned::Browse(found))
}

fn meta_data(p: &MetaData<'_>) -> Result<Owned, Fail> {
    let e = element(p.element)?;
    let mut item = MetaDataItem {
        primary_key: None,
        category: None,
        attributes: None,
        has_children: None,
    };
    let mut attributes = None;
    for id in p.ids.iter() {
        match id? {
            MetaDataId::PrimaryKey => item.primary_key = Some(Text::new(e.primary_key)),
            MetaDataId::ElementCategory => item.category = Some(e.category),
            MetaDataId::HasChildren => item.has_children = Some(e.children().next().is_some()),
            MetaDataId::AttributeList => {
                let list = e.attributes().map(|a| AttributeInfo {
                    name: Text::new(a.name),
                    id: a.id.into(),
                    access: a.access,
                    data_type: a.data_type,
                });
                attributes = Some(list.collect());
            }
            MetaDataId::Unknown(_) => {
                return Err(Fail::Code(
                    ErrorCode::InvalidParameter,
                    Some("invalid meta data identifier"),
                ));
            }
        }
    }
    Ok(Owned::Meta(item, attributes))
}

fn read(model: &Model, p: &Read<'_>, tick: u64) -> Result<Owned, Fail> {
    let e = element(p.element)?;
    let mut results = Vec::new();
    for a in &p.attributes {
        results.push(model.result(e, a?, tick));
    }
    Ok(Owned::Read(results))
}

fn write(model: &mut Model, p: &Write<'_>, tick: u64) -> Result<(), Fail> {
    let e = element(p.element)?;
    if e.attribute(p.attribute)?.access == Access::ReadOnly {
        return Err(ErrorCode::ReadOnly.into());
    }
    let x = match p.value {
        Value::Float(x) => x,
        Value::Int(n) => n as f64,
        Value::UInt(n) => n as f64,
        _ => return Err(ErrorCode::TypeMismatch.into()),
    };
    if !x.is_finite() {
        return Err(ErrorCode::ValueOutOfRange.into());
    }
    model.value = x;
    model.value_tick = tick;
    model.write_ms = Some(model.tick_ms(tick));
    Ok(())
}

/// suspend (Operational → Suspended), resume (Suspended → Operational), shutdown (→
/// Shutdown). The demo only records the stage.
fn change_stage(
    model: &mut Model,
    opcode: Opcode,
    sub_session: Option<SubSession<'_, String>>,
) -> Result<(), Fail> {
    if sub_session.is_some_and(|s| s.identity != USER) {
        return Err(ErrorCode::AccessDenied.into());
    }
    let next = match (opcode, model.stage) {
        (Opcode::Suspend, Stage::Operational) => Stage::Suspended,
        (Opcode::Resume, Stage::Suspended) => Stage::Operational,
        (Opcode::Shutdown, stage) if stage != Stage::Shutdown => Stage::Shutdown,
        _ => return Err(ErrorCode::InvalidStageChange.into()),
    };
    model.stage = next;
    Ok(())
}

impl Application for DemoApp {
    type Identity = String;
    type Subscription = Watch;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<String, ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == USER && p.password == USER => {
                Ok(p.username.to_string())
            }
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    fn fresh_id(&mut self, kind: IdKind) -> Uuid {
        self.ids_made += 1;
        if self.deterministic {
            // 00000000-0000-4000-8000-0000000000NN (sub-sessions: 5e55… in the first group).
            let base: u128 = match kind {
                IdKind::SubSession => 0x5e550000_0000_4000_8000_000000000000,
                IdKind::Subscription => 0x5ab50000_0000_4000_8000_000000000000,
            };
            return Uuid::from_u128(base + self.ids_made);
        }
        let random =
            |salt: u128| RandomState::new().hash_one((salt, self.ids_made, SystemTime::now()));
        let bits = u128::from(random(0)) << 64 | u128::from(random(1));
        uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid()
    }

    fn handle(&mut self, request: AppRequest<'_, String>, reply: Reply<'_, Watch>) -> Replied {
        let answer = match &request.command {
            Command::Subscribe(p) => watch(p).map(Answered::Subscribed),
            _ => self.answer(&request).map(Answered::Item),
        };
        match answer {
            Ok(Answered::Item(owned)) => reply.ok(owned.response()),
            Ok(Answered::Subscribed(watch)) => reply.accept(watch),
            Err(Fail::Code(code, None)) => reply.error(code),
            Err(Fail::Code(code, Some(message))) => reply.error_message(code, message),
            Err(Fail::Decode(e)) => reply.decode_error(&e),
        }
    }
}
