//! The demo's in-memory model, a [`Model`] that `xentara_ws_tokio` serves:
//!
//! ```text
//! (root, nil UUID)
//! └── Group 1                      element group
//!     ├── Group 1.Data Point 1     data point: f64 value, read-write, changes every 100 ms
//!     └── Group 1.Data Point 2     data point: integer value, read-only
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xentara_ws::session::IdKind;
use xentara_ws::{
    Access, Attribute, AttributeId, DataType, ElementCategory, ErrorCode, Opcode, Quality,
    ServerInfo, Stage, TimePoint, Uuid,
};
use xentara_ws_tokio::{AttrValue, AttributeInfo, ErrorObject, Model, Peer, Value};

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
    /// The attributes besides the four every element has (primaryKey, name, UUID,
    /// category: `xentara_ws_tokio::IDENTITY`).
    extra: &'static [Attr],
}

impl Element {
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

fn element(uuid: Uuid) -> Option<&'static Element> {
    ELEMENTS.iter().find(|e| e.uuid == uuid)
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

/// What writes and stage commands change.
#[derive(Debug)]
struct State {
    /// Data Point 1's value at tick `value_tick`; it grows by 0.5 per tick from there.
    value: f64,
    value_tick: u64,
    write_ms: Option<i64>,
    stage: Stage,
}

/// The demo model, shared by every connection.
#[derive(Debug)]
pub struct Demo {
    clock: Clock,
    start_ms: i64,
    state: Mutex<State>,
    /// Ids made so far (deterministic in replay mode).
    ids_made: AtomicU64,
    /// Connections asked to be admitted ([`Model::admit`]).
    asked: AtomicUsize,
}

impl Demo {
    /// A model starting now.
    pub fn running() -> Self {
        let start_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(FROZEN_START_MS, |d| d.as_millis() as i64);
        Demo::new(Clock::Running(Instant::now()), start_ms)
    }

    /// A model whose time stands still and whose ids are deterministic.
    pub fn frozen() -> Self {
        Demo::new(Clock::Frozen, FROZEN_START_MS)
    }

    fn new(clock: Clock, start_ms: i64) -> Self {
        Demo {
            clock,
            start_ms,
            state: Mutex::new(State {
                value: 20.0,
                value_tick: 0,
                write_ms: None,
                stage: Stage::Operational,
            }),
            ids_made: AtomicU64::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// How many connections have asked to be admitted so far.
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }

    fn tick(&self) -> u64 {
        self.clock.elapsed_ms() / TICK_MS
    }

    fn tick_ms(&self, tick: u64) -> i64 {
        self.start_ms + (tick * TICK_MS) as i64
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, State>, ErrorCode> {
        self.state.lock().map_err(|_| ErrorCode::InternalError)
    }
}

impl Model for Demo {
    fn element(&self, id: Uuid) -> Option<xentara_ws_tokio::Element> {
        let e = element(id)?;
        Some(xentara_ws_tokio::Element::new(e.primary_key, e.category))
    }

    fn children(&self, id: Uuid) -> Vec<Uuid> {
        element(id).map_or(Vec::new(), |e| e.children().map(|c| c.uuid).collect())
    }

    fn attributes(&self, id: Uuid) -> Vec<AttributeInfo> {
        let extra = element(id).map_or(&[][..], |e| e.extra);
        extra
            .iter()
            .map(|a| AttributeInfo::new(a.name, a.id, a.access, a.data_type))
            .collect()
    }

    fn access(&self, id: Uuid, attribute: AttributeId) -> Option<Access> {
        let extra = element(id).map_or(&[][..], |e| e.extra);
        let AttributeId::Standard(attribute) = attribute else {
            return None;
        };
        extra.iter().find(|a| a.id == attribute).map(|a| a.access)
    }

    fn read(&self, id: Uuid, attribute: AttributeId) -> AttrValue {
        let tick = self.tick();
        let state = self.state()?;
        let AttributeId::Standard(attribute) = attribute else {
            return Err(ErrorCode::MissingAttribute.into());
        };
        Ok(match (id, attribute) {
            (_, Attribute::Quality) => Value::Int(Quality::Good.to_u64() as i64),
            (POINT_1, Attribute::Value) => {
                let steps = tick.saturating_sub(state.value_tick) % 200;
                Value::Float(state.value + 0.5 * steps as f64)
            }
            (POINT_1, Attribute::WriteTime) => Value::Time(match state.write_ms {
                Some(ms) => millis(ms),
                None => TimePoint::Infinite { negative: true },
            }),
            (POINT_1, _) => Value::Time(millis(self.tick_ms(tick))),
            (POINT_2, Attribute::Value) => Value::Int(42),
            (_, Attribute::UpdateTime) => Value::Time(millis(self.start_ms)),
            _ => return Err(ErrorCode::MissingAttribute.into()),
        })
    }

    fn write(
        &self,
        _: Uuid,
        _: AttributeId,
        value: Value,
        _: Option<&str>,
    ) -> Result<(), ErrorObject> {
        let x = match value {
            Value::Float(x) => x,
            Value::Int(n) => n as f64,
            Value::UInt(n) => n as f64,
            _ => return Err(ErrorCode::TypeMismatch.into()),
        };
        if !x.is_finite() {
            return Err(ErrorCode::ValueOutOfRange.into());
        }
        let tick = self.tick();
        let mut state = self.state()?;
        state.value = x;
        state.value_tick = tick;
        state.write_ms = Some(self.tick_ms(tick));
        Ok(())
    }

    fn server_information(&self, info: ServerInfo) -> Value {
        match info {
            ServerInfo::Version => "2.0.4 (xentara-ws demo)",
            ServerInfo::UserName => "demo",
            _ => "memory:/demo-model.json",
        }
        .into()
    }

    fn stage(&self) -> Stage {
        self.state().map_or(Stage::Operational, |s| s.stage)
    }

    /// suspend (Operational → Suspended), resume (Suspended → Operational), shutdown (→
    /// Shutdown). The demo only records the stage.
    fn change_stage(&self, command: Opcode, user: Option<&str>) -> Result<(), ErrorCode> {
        if user.is_some_and(|u| u != USER) {
            return Err(ErrorCode::AccessDenied);
        }
        let mut state = self.state()?;
        state.stage = match (command, state.stage) {
            (Opcode::Suspend, Stage::Operational) => Stage::Suspended,
            (Opcode::Resume, Stage::Suspended) => Stage::Operational,
            (Opcode::Shutdown, stage) if stage != Stage::Shutdown => Stage::Shutdown,
            _ => return Err(ErrorCode::InvalidStageChange),
        };
        Ok(())
    }

    fn login(&self, user: &str, password: &str) -> bool {
        user == USER && password == USER
    }

    /// A Basic `Authorization` header, when sent, must carry admin:admin.
    fn admit(&self, peer: &Peer) -> bool {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let credentials = peer.credentials.as_ref();
        credentials.is_none_or(|(user, password)| self.login(user, password))
    }

    fn fresh_id(&self, kind: IdKind) -> Uuid {
        let made = u128::from(self.ids_made.fetch_add(1, Ordering::Relaxed) + 1);
        if let Clock::Running(_) = self.clock {
            return xentara_ws_tokio::random_id();
        }
        // 5e550000-0000-4000-8000-0000000000NN (subscriptions: 5ab5…).
        let base: u128 = match kind {
            IdKind::SubSession => 0x5e550000_0000_4000_8000_000000000000,
            IdKind::Subscription => 0x5ab50000_0000_4000_8000_000000000000,
        };
        Uuid::from_u128(base + made)
    }

    /// Data Point 1 changes at every tick (a write shows then too).
    fn next_change(&self, id: Uuid) -> Option<Instant> {
        let Clock::Running(start) = self.clock else {
            return None;
        };
        let next = Duration::from_millis((self.tick() + 1) * TICK_MS);
        (id == POINT_1).then_some(start + next)
    }

    fn time(&self) -> TimePoint {
        millis(self.tick_ms(self.tick()))
    }
}
