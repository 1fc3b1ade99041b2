//! The example server's data model, without an allocator, and the [`Application`] that
//! serves it:
//!
//! ```text
//! (root, nil UUID)
//! └── Group 1                      element group
//!     ├── Group 1.Data Point 1     data point: f64 value, read-write, changes every 100 ms
//!     └── Group 1.Data Point 2     data point: integer value, read-only
//! ```
//!
//! The same elements, attributes, metadata and answers as the host's example server; the
//! wall-clock time starts at a fixed point (the board has no real-time clock). What a
//! request or a subscription may hold is bounded by the capacities below: beyond them the
//! answer is an error, not a truncated result.

use core::cell::RefCell;

use cortex_m::interrupt::Mutex;
use heapless::Vec;
use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem};
use xentara_ws::params::{
    Browse, Credentials, MetaData, Read, ServerInformation, Subscribe, Write,
};
use xentara_ws::session::{
    AppRequest, Application, Due, Events, IdKind, Reason, Replied, Reply, ServerSession,
};
use xentara_ws::{
    Access, AttrResult, Attribute, AttributeId, Command, DataChange, DataType, DecodeError,
    ElementCategory, ErrorCode, ErrorObject, MetaDataId, Opcode, Quality, Response, Seq,
    ServerInfo, Stage, Text, TimePoint, Uuid, Value,
};

use crate::clock;

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
/// The wall-clock time at boot, in milliseconds since 1970.
const START_MS: i64 = 1_700_000_000_000;

/// Attributes of one element an answer or a subscription holds (every attribute of Data
/// Point 1 is 10).
pub const MAX_ATTRIBUTES: usize = 12;
/// Elements one subscription covers.
pub const MAX_ENTRIES: usize = 3;
/// Items of one server-information request.
const MAX_INFO: usize = 4;

/// An attribute of an element.
struct Attr {
    id: Attribute,
    name: &'static str,
    access: Access,
    data_type: DataType,
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
struct Element {
    uuid: Uuid,
    primary_key: &'static str,
    name: &'static str,
    category: ElementCategory,
    parent: Option<Uuid>,
    /// The attributes besides [`IDENTITY`].
    extra: &'static [Attr],
}

impl Element {
    fn attributes(&self) -> impl Iterator<Item = &'static Attr> + use<> {
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

const ELEMENTS: &[Element] = &[
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

/// The model's changing state, shared by every connection.
struct Model {
    /// Data Point 1's value at tick `value_tick`; it grows by 0.5 per tick from there.
    value: f64,
    value_tick: u64,
    write_ms: Option<i64>,
    stage: Stage,
}

/// The one model (the main loop and nothing else touches it; the mutex makes that
/// checkable).
static MODEL: Mutex<RefCell<Model>> = Mutex::new(RefCell::new(Model {
    value: 20.0,
    value_tick: 0,
    write_ms: None,
    stage: Stage::Operational,
}));

fn with_model<R>(f: impl FnOnce(&mut Model) -> R) -> R {
    cortex_m::interrupt::free(|cs| f(&mut MODEL.borrow(cs).borrow_mut()))
}

/// The current tick of Data Point 1.
fn tick() -> u64 {
    clock::now() / TICK_MS
}

fn tick_ms(tick: u64) -> i64 {
    START_MS + (tick * TICK_MS) as i64
}

impl Model {
    /// An attribute's current value.
    fn read(&self, e: &Element, id: AttributeId, tick: u64) -> Result<Value<'static>, Fail> {
        let a = e.attribute(id)?;
        let now = millis(tick_ms(tick));
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
            (_, Attribute::UpdateTime) => Value::Time(millis(START_MS)),
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

/// What tells one value of the model from another, without keeping it: only Data Point
/// 1's value and times change, and they are numbers.
fn fingerprint(result: &AttrResult<'_>) -> u64 {
    match result {
        AttrResult::Value(Value::Float(x)) => x.to_bits(),
        AttrResult::Value(Value::Int(n)) => *n as u64,
        AttrResult::Value(Value::UInt(n)) => *n,
        AttrResult::Value(Value::Time(TimePoint::Decimal { mantissa, .. })) => *mantissa as u64,
        AttrResult::Value(Value::Time(_)) => 1,
        AttrResult::Value(_) => 0,
        AttrResult::Error(e) => e.code.code() as u64,
    }
}

/// An error answer: a code and, if the code's standard text is not enough, a message; or
/// an element of the command's sequences that did not decode.
enum Fail {
    Code(ErrorCode, Option<&'static str>),
    Decode(DecodeError),
}

impl Fail {
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

/// More items than this firmware holds for one answer.
const TOO_MANY: Fail = Fail::Code(ErrorCode::InvalidParameter, Some("too many items"));

/// Attribute values of one element.
type Results = Vec<(AttributeId, AttrResult<'static>), MAX_ATTRIBUTES>;

/// An answer whose item borrows data owned here (the session encodes it at once).
// On the stack for one request: its size is the largest answer's either way.
#[allow(clippy::large_enum_variant)]
enum Owned {
    Plain(Response<'static>),
    Info(Vec<(ServerInfo, Value<'static>), MAX_INFO>),
    Browse(Vec<BrowseEntry<'static>, 4>),
    Meta(
        MetaDataItem<'static>,
        Option<Vec<AttributeInfo<'static>, MAX_ATTRIBUTES>>,
    ),
    Read(Results),
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

/// What a subscription covers and what it last sent, per element: the attributes and the
/// fingerprints of the values of its last event.
pub struct Watch {
    entries: Vec<(Uuid, Vec<(AttributeId, u64), MAX_ATTRIBUTES>), MAX_ENTRIES>,
    /// Whether an event went out (a change compares with it).
    sent: bool,
}

impl Watch {
    /// True when it covers Data Point 1, whose value changes every tick.
    fn changes(&self) -> bool {
        self.entries.iter().any(|(e, _)| *e == POINT_1)
    }
}

/// The application of one connection: the model is shared, the ids it makes are its own.
pub struct App {
    ids_made: u64,
    /// Mixed into the ids: the connection's slot.
    salt: u64,
}

impl App {
    /// The application of the connection in slot `slot`.
    pub const fn new(slot: usize) -> Self {
        App {
            ids_made: 0,
            salt: slot as u64,
        }
    }
}

/// Tells the session when the data of its subscriptions changes next: Data Point 1
/// changes every tick, so a subscription covering it has a change at the next tick.
pub fn note_changes(session: &mut ServerSession<'_, App>) {
    let next = (tick() + 1) * TICK_MS;
    for mut subscription in session.subscriptions_mut() {
        if subscription.data().changes() {
            subscription.changed_at(next);
        }
    }
}

/// Writes the data changes of a due subscription: every attribute for its first event
/// and a heartbeat, only those whose value changed for a change.
pub fn fill(due: Due, watch: &mut Watch, events: &mut Events<'_, '_>) {
    let tick = tick();
    let time = millis(tick_ms(tick));
    let all = !matches!(due.reason, Reason::Change) || !watch.sent;
    with_model(|model| {
        for (uuid, attrs) in watch.entries.iter_mut() {
            let Ok(e) = element(*uuid) else { continue };
            let mut changed = Results::new();
            for (id, last) in attrs.iter_mut() {
                let (id, result) = model.result(e, *id, tick);
                let print = fingerprint(&result);
                if all || print != *last {
                    let _ = changed.push((id, result));
                }
                *last = print;
            }
            if changed.is_empty() {
                continue;
            }
            let change = DataChange {
                time,
                element: *uuid,
                values: Seq::from_slice(&changed),
            };
            if events.push(change).is_err() {
                break;
            }
        }
    });
    watch.sent = true;
}

/// What a subscribe covers: every entry's element and attributes, checked to exist.
fn watch(p: &Subscribe<'_>) -> Result<Watch, Fail> {
    let mut entries = Vec::new();
    for entry in p.entries.iter() {
        let entry = entry?;
        let e = element(entry.element)?;
        let mut attrs = Vec::new();
        for a in entry.attributes.iter() {
            let a = a?;
            e.attribute(a)?;
            attrs.push((a, 0)).map_err(|_| TOO_MANY)?;
        }
        entries.push((entry.element, attrs)).map_err(|_| TOO_MANY)?;
    }
    Ok(Watch {
        entries,
        sent: false,
    })
}

fn server_information(p: &ServerInformation<'_>) -> Result<Owned, Fail> {
    let mut info = Vec::new();
    for id in p.ids.iter() {
        let id = id?;
        let text = match id {
            ServerInfo::Version => "2.0.4 (xentara-ws firmware)",
            ServerInfo::UserName => "demo",
            ServerInfo::ModelFilePath => "memory:/demo-model.json",
            ServerInfo::Unknown(_) => {
                return Err(Fail::Code(
                    ErrorCode::InvalidParameter,
                    Some("invalid server information identifier"),
                ));
            }
        };
        info.push((id, Value::Text(Text::new(text))))
            .map_err(|_| TOO_MANY)?;
    }
    Ok(Owned::Info(info))
}

fn browse(p: &Browse<'_>) -> Result<Owned, Fail> {
    let start = element(p.element)?;
    let mut categories: Vec<ElementCategory, 8> = Vec::new();
    let filter = p.categories.is_some();
    if let Some(c) = &p.categories {
        for c in c.iter() {
            categories.push(c?).map_err(|_| TOO_MANY)?;
        }
    }
    let mut found = Vec::new();
    // Breadth first, a level at a time: the model has 4 elements.
    let mut level: Vec<&'static Element, 4> = Vec::new();
    let _ = level.push(start);
    let mut depth = 0;
    while !level.is_empty() && p.depth.is_none_or(|d| depth < d) {
        depth += 1;
        let mut next: Vec<&'static Element, 4> = Vec::new();
        for e in level.iter().flat_map(|e| e.children()) {
            next.push(e).map_err(|_| TOO_MANY)?;
            if !filter || categories.contains(&e.category) {
                found
                    .push(BrowseEntry {
                        primary_key: Text::new(e.primary_key),
                        element: e.uuid,
                        category: e.category,
                    })
                    .map_err(|_| TOO_MANY)?;
            }
        }
        level = next;
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
                let mut list = Vec::new();
                for a in e.attributes() {
                    list.push(AttributeInfo {
                        name: Text::new(a.name),
                        id: a.id.into(),
                        access: a.access,
                        data_type: a.data_type,
                    })
                    .map_err(|_| TOO_MANY)?;
                }
                attributes = Some(list);
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
        results
            .push(model.result(e, a?, tick))
            .map_err(|_| TOO_MANY)?;
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
    model.write_ms = Some(tick_ms(tick));
    Ok(())
}

/// suspend (Operational → Suspended), resume (Suspended → Operational), shutdown (→
/// Shutdown). Only the stage is recorded. Every sub-session is admin's (the only
/// credentials taken), so none is refused.
fn change_stage(model: &mut Model, opcode: Opcode) -> Result<(), Fail> {
    let next = match (opcode, model.stage) {
        (Opcode::Suspend, Stage::Operational) => Stage::Suspended,
        (Opcode::Resume, Stage::Suspended) => Stage::Operational,
        (Opcode::Shutdown, stage) if stage != Stage::Shutdown => Stage::Shutdown,
        _ => return Err(ErrorCode::InvalidStageChange.into()),
    };
    model.stage = next;
    Ok(())
}

fn answer(request: &AppRequest<'_, ()>) -> Result<Owned, Fail> {
    let tick = tick();
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
        Command::Read(p) => with_model(|model| read(model, p, tick)),
        Command::Write(p) => {
            with_model(|model| write(model, p, tick))?;
            plain(Response::Write(()))
        }
        Command::GetStage(_) => plain(Response::GetStage(with_model(|model| model.stage))),
        Command::Suspend(_) | Command::Resume(_) | Command::Shutdown(_) => {
            let opcode = request.command.opcode();
            with_model(|model| change_stage(model, opcode))?;
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

/// A command's success, before it is borrowed into the reply.
#[allow(clippy::large_enum_variant)]
enum Answered {
    Item(Owned),
    Subscribed(Watch),
}

impl Application for App {
    type Identity = ();
    type Subscription = Watch;

    fn authenticate(&mut self, credentials: &Credentials<'_>) -> Result<(), ErrorCode> {
        match credentials {
            Credentials::Password(p) if p.username == USER && p.password == USER => Ok(()),
            _ => Err(ErrorCode::AccessDenied),
        }
    }

    /// Version-4-shaped ids from the clock, the connection's slot and a count (unique
    /// while the firmware runs; not random: the board has no entropy source).
    fn fresh_id(&mut self, kind: IdKind) -> Uuid {
        self.ids_made += 1;
        let kind = match kind {
            IdKind::SubSession => 0x5e55_u128,
            IdKind::Subscription => 0x5ab5_u128,
        };
        let now = u128::from(clock::now() as u32);
        let salt = u128::from(self.salt as u16);
        let count = u128::from(self.ids_made as u32);
        Uuid::from_u128(kind << 112 | now << 80 | 0x4000 << 64 | 0x8000 << 48 | salt << 32 | count)
    }

    fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, Watch>) -> Replied {
        let answer = match &request.command {
            Command::Subscribe(p) => watch(p).map(Answered::Subscribed),
            _ => answer(&request).map(Answered::Item),
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
