//! A `Model` served with `Server::model`, seen from the crate's client: what the
//! service answers by default (identity attributes, errors, stage, server information,
//! sub-sessions denied, random ids), what it asks the model, and the events a change on
//! the feed or a write brings.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use xentara_ws::MetaDataId;
use xentara_ws_tokio::{
    Access, AttrValue, Attribute, AttributeId, AttributeInfo, Client, Credentials, DataChange,
    DataType, Element, ElementCategory, Error, ErrorCode, ErrorObject, Event, Model, Server,
    ServerInfo, Stage, Subscription, UpdateRates, Uuid, Value,
};

const ROOT: Uuid = Uuid::nil();
const GROUP: Uuid = Uuid::from_u128(0x10);
const SETPOINT: Uuid = Uuid::from_u128(0x11);
const COUNTER: Uuid = Uuid::from_u128(0x12);

/// root → "Plant" → "Plant.Setpoint" (f64, read-write), "Plant.Counter" (i64, read-only).
#[derive(Default)]
struct Plant {
    setpoint: Mutex<f64>,
    counter: Mutex<i64>,
    /// Who wrote what, as the service told the model.
    writes: Mutex<Vec<(Value, Option<String>)>>,
    /// Whether sub-sessions may log in (as admin/admin).
    logins: bool,
}

impl Model for Plant {
    fn element(&self, id: Uuid) -> Option<Element> {
        match id {
            GROUP => Some(Element::new("Plant", ElementCategory::ElementGroup)),
            SETPOINT => Some(Element::new("Plant.Setpoint", ElementCategory::DataPoint)),
            COUNTER => Some(Element::new("Plant.Counter", ElementCategory::DataPoint)),
            _ => None,
        }
    }

    fn children(&self, id: Uuid) -> Vec<Uuid> {
        match id {
            ROOT => vec![GROUP],
            GROUP => vec![SETPOINT, COUNTER],
            _ => vec![],
        }
    }

    fn attributes(&self, id: Uuid) -> Vec<AttributeInfo> {
        let (access, data_type) = match id {
            SETPOINT => (Access::ReadWrite, DataType::Float64),
            COUNTER => (Access::ReadOnly, DataType::SignedInteger64),
            _ => return vec![],
        };
        vec![AttributeInfo::new(
            "value",
            Attribute::Value,
            access,
            data_type,
        )]
    }

    fn read(&self, id: Uuid, _: AttributeId) -> AttrValue {
        Ok(match id {
            SETPOINT => Value::Float(*self.setpoint.lock().unwrap()),
            _ => Value::Int(*self.counter.lock().unwrap()),
        })
    }

    fn write(
        &self,
        _: Uuid,
        _: AttributeId,
        value: Value,
        user: Option<&str>,
    ) -> Result<(), ErrorObject> {
        let x = match value {
            Value::Float(x) => x,
            _ => return Err(ErrorCode::TypeMismatch.into()),
        };
        *self.setpoint.lock().unwrap() = x;
        let user = user.map(str::to_owned);
        self.writes.lock().unwrap().push((value, user));
        Ok(())
    }

    fn login(&self, user: &str, password: &str) -> bool {
        self.logins && user == "admin" && password == "admin"
    }
}

/// `model` served on 127.0.0.1, and a client connected to it.
async fn serve(model: Plant) -> (Server, Arc<Plant>, Client) {
    serve_model(model).await
}

/// [`serve`] for any model.
async fn serve_model<M: Model>(model: M) -> (Server, Arc<M>, Client) {
    let model = Arc::new(model);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::model(model.clone()).serve(listener).unwrap();
    let client = connect(&server).await;
    (server, model, client)
}

async fn connect(server: &Server) -> Client {
    let url = format!("ws://{}/api/ws", server.local_addr());
    Client::builder(url).connect().await.unwrap()
}

/// `f`, failing the test after ten seconds.
async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("timed out")
}

/// The subscription's next data change (there are no reconnects here).
async fn next_change(events: &mut Subscription) -> DataChange {
    match events.next_event().await {
        Some(Event::Change(change)) => change,
        other => panic!("{other:?}"),
    }
}

/// The server's error code of `result`.
fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorCode {
    match result {
        Err(Error::Server { code, .. }) => code,
        other => panic!("{other:?}"),
    }
}

fn attr(a: Attribute) -> AttributeId {
    a.into()
}

#[tokio::test]
async fn the_tree_is_browsed_looked_up_and_described_from_the_model() {
    let (_server, _, client) = serve(Plant::default()).await;
    within(async {
        let all = client.browse(ROOT, None, None).await.unwrap();
        let keys: Vec<_> = all
            .iter()
            .map(|e| (e.primary_key.as_str(), e.element))
            .collect();
        assert_eq!(
            keys,
            [
                ("Plant", GROUP),
                ("Plant.Setpoint", SETPOINT),
                ("Plant.Counter", COUNTER)
            ]
        );
        let one_level = client.browse(ROOT, Some(1), None).await.unwrap();
        assert_eq!(one_level.len(), 1);
        let groups = [ElementCategory::ElementGroup];
        let found = client.browse(GROUP, None, Some(&groups)).await.unwrap();
        assert!(found.is_empty(), "{found:?}");
        let unknown = client.browse(Uuid::from_u128(9), None, None).await;
        assert_eq!(code(unknown), ErrorCode::UnknownElement);

        assert_eq!(client.lookup("Plant.Counter").await.unwrap(), COUNTER);
        assert_eq!(
            code(client.lookup("Plant.Nothing").await),
            ErrorCode::UnknownElement
        );
        // The root has no primary key to look it up by.
        assert_eq!(code(client.lookup("").await), ErrorCode::UnknownElement);

        let ids = [
            MetaDataId::PrimaryKey,
            MetaDataId::ElementCategory,
            MetaDataId::AttributeList,
            MetaDataId::HasChildren,
        ];
        let meta = client.meta_data(SETPOINT, &ids).await.unwrap();
        assert_eq!(meta.primary_key.as_deref(), Some("Plant.Setpoint"));
        assert_eq!(meta.category, Some(ElementCategory::DataPoint));
        assert_eq!(meta.has_children, Some(false));
        let list: Vec<_> = meta
            .attributes
            .unwrap()
            .into_iter()
            .map(|a| (a.name, a.id, a.access, a.data_type))
            .collect();
        let ro = Access::ReadOnly;
        assert_eq!(
            list,
            [
                (
                    "primaryKey".into(),
                    attr(Attribute::PrimaryKey),
                    ro,
                    DataType::String
                ),
                ("name".into(), attr(Attribute::Name), ro, DataType::String),
                ("UUID".into(), attr(Attribute::Uuid), ro, DataType::Uuid),
                (
                    "category".into(),
                    attr(Attribute::Category),
                    ro,
                    DataType::ElementCategory
                ),
                (
                    "value".into(),
                    attr(Attribute::Value),
                    Access::ReadWrite,
                    DataType::Float64
                ),
            ]
        );
        // The root is there though the model does not name it.
        let root = client.meta_data(ROOT, &ids).await.unwrap();
        assert_eq!(root.primary_key.as_deref(), Some(""));
        assert_eq!(root.category, Some(ElementCategory::RootElement));
        assert_eq!(root.has_children, Some(true));
        let bad = client.meta_data(SETPOINT, &[MetaDataId::Unknown(83)]).await;
        assert_eq!(code(bad), ErrorCode::InvalidParameter);
    })
    .await;
}

#[tokio::test]
async fn reads_answer_the_identity_attributes_the_models_and_errors() {
    let (_server, model, client) = serve(Plant::default()).await;
    *model.counter.lock().unwrap() = 7;
    within(async {
        let attributes = [
            attr(Attribute::PrimaryKey),
            attr(Attribute::Name),
            attr(Attribute::Uuid),
            attr(Attribute::Category),
            attr(Attribute::Value),
            attr(Attribute::Quality),
        ];
        let values = client.read(COUNTER, &attributes).await.unwrap();
        let missing = ErrorObject {
            code: ErrorCode::MissingAttribute,
            message: Some(ErrorCode::MissingAttribute.message().to_owned()),
        };
        assert_eq!(
            values,
            [
                (attributes[0], Ok(Value::Text("Plant.Counter".into()))),
                (attributes[1], Ok(Value::Text("Counter".into()))),
                (attributes[2], Ok(Value::Uuid(COUNTER))),
                (
                    attributes[3],
                    Ok(Value::Int(ElementCategory::DataPoint.to_u64() as i64))
                ),
                (attributes[4], Ok(Value::Int(7))),
                (attributes[5], Err(missing)),
            ]
        );
        let unknown = client.read(Uuid::from_u128(9), &attributes).await;
        assert_eq!(code(unknown), ErrorCode::UnknownElement);
        let info = [ServerInfo::Version, ServerInfo::UserName];
        let info = client.server_information(&info).await.unwrap();
        let version = concat!("xentara-ws-tokio ", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            info,
            [
                (ServerInfo::Version, Value::Text(version.into())),
                (ServerInfo::UserName, Value::Text("xentara-ws-tokio".into())),
            ]
        );
        assert_eq!(client.get_stage().await.unwrap(), Stage::Operational);
        assert_eq!(code(client.suspend().await), ErrorCode::InvalidStageChange);
    })
    .await;
}

#[tokio::test]
async fn writes_are_checked_then_handed_to_the_model_and_announced() {
    let (server, model, client) = serve(Plant {
        logins: true,
        ..Plant::default()
    })
    .await;
    let watcher = connect(&server).await;
    within(async {
        let value = [attr(Attribute::Value)];
        let rates = UpdateRates::default();
        let mut events = watcher
            .subscribe(&[(SETPOINT, &value)], rates)
            .await
            .unwrap();
        let first = next_change(&mut events).await;
        assert_eq!(first.values, [(value[0], Ok(Value::Float(0.0)))]);

        let read_only = client.write(COUNTER, Attribute::Value, 1.0).await;
        assert_eq!(code(read_only), ErrorCode::ReadOnly);
        let identity = client.write(SETPOINT, Attribute::Name, "x").await;
        assert_eq!(code(identity), ErrorCode::ReadOnly);
        let missing = client.write(SETPOINT, Attribute::Quality, 1.0).await;
        assert_eq!(code(missing), ErrorCode::MissingAttribute);
        let unknown = client
            .write(Uuid::from_u128(9), Attribute::Value, 1.0)
            .await;
        assert_eq!(code(unknown), ErrorCode::UnknownElement);
        let mismatch = client.write(SETPOINT, Attribute::Value, "x").await;
        assert_eq!(code(mismatch), ErrorCode::TypeMismatch);
        assert!(model.writes.lock().unwrap().is_empty());

        client.write(SETPOINT, Attribute::Value, 2.5).await.unwrap();
        // The other connection's subscription hears of it.
        let change = next_change(&mut events).await;
        assert_eq!(change.element, SETPOINT);
        assert_eq!(change.values, [(value[0], Ok(Value::Float(2.5)))]);

        let sub = client
            .create_sub_session(Credentials::password("admin", "admin"))
            .await
            .unwrap();
        sub.write(SETPOINT, Attribute::Value, 3.5).await.unwrap();
        assert_eq!(
            *model.writes.lock().unwrap(),
            [
                (Value::Float(2.5), None),
                (Value::Float(3.5), Some("admin".to_owned()))
            ]
        );
        let wrong = client
            .create_sub_session(Credentials::password("admin", "wrong"))
            .await;
        assert_eq!(code(wrong), ErrorCode::AccessDenied);
    })
    .await;
}

#[tokio::test]
async fn a_change_on_the_feed_sends_what_changed_only() {
    let (server, model, client) = serve(Plant::default()).await;
    within(async {
        let both = [attr(Attribute::Value), attr(Attribute::Name)];
        let rates = UpdateRates::default();
        let entries = [(SETPOINT, &both[..]), (COUNTER, &both[..])];
        let mut events = client.subscribe(&entries, rates).await.unwrap();
        let first = [
            next_change(&mut events).await,
            next_change(&mut events).await,
        ];
        let initial: Vec<_> = first.iter().map(|e| (e.element, e.values.len())).collect();
        assert_eq!(initial, [(SETPOINT, 2), (COUNTER, 2)]);

        *model.counter.lock().unwrap() = 9;
        server.changes().changed(COUNTER);
        let change = next_change(&mut events).await;
        assert_eq!(change.element, COUNTER);
        assert_eq!(change.values, [(both[0], Ok(Value::Int(9)))]);
    })
    .await;
}

#[tokio::test]
async fn sub_sessions_are_denied_and_ids_are_random_by_default() {
    let (server, _, client) = serve(Plant::default()).await;
    within(async {
        let denied = client
            .create_sub_session(Credentials::password("admin", "admin"))
            .await;
        assert_eq!(code(denied), ErrorCode::AccessDenied);
        let value = [attr(Attribute::Value)];
        let rates = UpdateRates::default();
        let a = client
            .subscribe(&[(SETPOINT, &value)], rates)
            .await
            .unwrap();
        let b = client
            .subscribe(&[(SETPOINT, &value)], rates)
            .await
            .unwrap();
        assert_ne!(a.id(), b.id());
        for id in [a.id(), b.id()] {
            assert_eq!(id.get_version_num(), 4, "{id}");
        }
        let unknown = [(Uuid::from_u128(9), &value[..])];
        let refused = client.subscribe(&unknown, rates).await;
        assert_eq!(code(refused), ErrorCode::UnknownElement);
        // Basic credentials the model's `login` refuses: HTTP 401.
        let url = format!("ws://{}/api/ws", server.local_addr());
        let refused = Client::builder(url)
            .credentials("admin", "admin")
            .connect()
            .await;
        assert!(matches!(refused, Err(Error::Unauthorized)), "{refused:?}");
    })
    .await;
}

/// A counter under the root that counts 50 ms periods: its next change is known.
struct Ticking(std::time::Instant);

const PERIOD_MS: u64 = 50;

impl Ticking {
    fn periods(&self) -> u64 {
        self.0.elapsed().as_millis() as u64 / PERIOD_MS
    }
}

impl Model for Ticking {
    fn element(&self, id: Uuid) -> Option<Element> {
        (id == COUNTER).then(|| Element::new("Counter", ElementCategory::DataPoint))
    }
    fn children(&self, id: Uuid) -> Vec<Uuid> {
        if id.is_nil() { vec![COUNTER] } else { vec![] }
    }
    fn attributes(&self, _: Uuid) -> Vec<AttributeInfo> {
        let rw = Access::ReadWrite;
        vec![AttributeInfo::new(
            "value",
            Attribute::Value,
            rw,
            DataType::UnsignedInteger64,
        )]
    }
    fn read(&self, _: Uuid, _: AttributeId) -> AttrValue {
        Ok(Value::Int(self.periods() as i64))
    }
    fn next_change(&self, _: Uuid) -> Option<std::time::Instant> {
        Some(self.0 + Duration::from_millis((self.periods() + 1) * PERIOD_MS))
    }
}

#[tokio::test]
async fn a_known_next_change_sends_events_without_the_feed() {
    let model = Arc::new(Ticking(std::time::Instant::now()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::model(model).serve(listener).unwrap();
    let client = connect(&server).await;
    within(async {
        let value = [attr(Attribute::Value)];
        let rates = UpdateRates::default();
        let mut events = client.subscribe(&[(COUNTER, &value)], rates).await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let event = next_change(&mut events).await;
            match &event.values[..] {
                [(_, Ok(Value::Int(n)))] => seen.push(*n),
                other => panic!("{other:?}"),
            }
        }
        // The first has the value then; each next one a later period.
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    })
    .await;
}

/// Two text data points whose values the test sets.
struct Notes {
    texts: Mutex<[String; 2]>,
}

const NOTES: [Uuid; 2] = [Uuid::from_u128(0x20), Uuid::from_u128(0x21)];

impl Notes {
    /// The two notes, `first` and `second` 3,000 times over.
    fn new(first: &str, second: &str) -> Self {
        Notes {
            texts: Mutex::new([first.repeat(3000), second.repeat(3000)]),
        }
    }

    fn index(id: Uuid) -> Option<usize> {
        NOTES.iter().position(|note| *note == id)
    }
}

impl Model for Notes {
    fn element(&self, id: Uuid) -> Option<Element> {
        Notes::index(id).map(|_| Element::new("Note", ElementCategory::DataPoint))
    }

    fn children(&self, id: Uuid) -> Vec<Uuid> {
        if id == ROOT { NOTES.to_vec() } else { vec![] }
    }

    fn attributes(&self, _: Uuid) -> Vec<AttributeInfo> {
        let value = AttributeInfo::new(
            "value",
            Attribute::Value,
            Access::ReadOnly,
            DataType::String,
        );
        vec![value]
    }

    fn read(&self, id: Uuid, _: AttributeId) -> AttrValue {
        let texts = self.texts.lock().unwrap();
        Ok(Value::Text(texts[Notes::index(id).unwrap_or(0)].clone()))
    }
}

#[tokio::test]
async fn events_that_do_not_fit_one_message_come_in_the_next() {
    let (server, notes, client) = serve_model(Notes::new("a", "a")).await;
    within(async {
        let value = [attr(Attribute::Value)];
        let mut subscriptions = Vec::new();
        for note in NOTES {
            let mut events = client
                .subscribe(&[(note, &value)], UpdateRates::default())
                .await
                .unwrap();
            next_change(&mut events).await;
            subscriptions.push(events);
        }
        // Both change at once, an event of 3 KB each: more than the server's first event
        // message holds (4 KiB), so the second goes in the next message.
        let text = "b".repeat(3000);
        *notes.texts.lock().unwrap() = [text.clone(), text.clone()];
        server.changes().changed_all();
        for events in &mut subscriptions {
            let change = next_change(events).await;
            assert_eq!(change.values[0].1, Ok(Value::Text(text.clone())));
        }
    })
    .await;
}

#[tokio::test]
async fn events_too_large_for_the_first_event_message_come_when_it_grows() {
    let (_server, _, client) = serve_model(Notes::new("a", "b")).await;
    within(async {
        let value = [attr(Attribute::Value)];
        let entries = [(NOTES[0], &value[..]), (NOTES[1], &value[..])];
        // Its first events, 6 KB together, do not fit the server's first message (4 KiB).
        let mut events = client
            .subscribe(&entries, UpdateRates::default())
            .await
            .unwrap();
        let mut first = [
            next_change(&mut events).await,
            next_change(&mut events).await,
        ];
        first.sort_by_key(|change| change.element);
        for (change, text) in first.iter().zip(["a", "b"]) {
            assert_eq!(change.values[0].1, Ok(Value::Text(text.repeat(3000))));
        }
    })
    .await;
}

/// A data point whose model says it changes at a time that has passed (its sampling
/// late), and counts its reads.
struct Late {
    since: std::time::Instant,
    reads: std::sync::atomic::AtomicUsize,
}

impl Model for Late {
    fn element(&self, id: Uuid) -> Option<Element> {
        (id == SETPOINT).then(|| Element::new("Late", ElementCategory::DataPoint))
    }

    fn children(&self, id: Uuid) -> Vec<Uuid> {
        if id == ROOT { vec![SETPOINT] } else { vec![] }
    }

    fn attributes(&self, _: Uuid) -> Vec<AttributeInfo> {
        let value = AttributeInfo::new(
            "value",
            Attribute::Value,
            Access::ReadOnly,
            DataType::Float64,
        );
        vec![value]
    }

    fn read(&self, _: Uuid, _: AttributeId) -> AttrValue {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Value::Float(1.0))
    }

    fn next_change(&self, _: Uuid) -> Option<std::time::Instant> {
        Some(self.since)
    }
}

#[tokio::test]
async fn a_next_change_that_has_passed_is_looked_at_once() {
    let late = Late {
        since: std::time::Instant::now(),
        reads: Default::default(),
    };
    let (_server, late, client) = serve_model(late).await;
    within(async {
        let value = [attr(Attribute::Value)];
        let mut events = client
            .subscribe(&[(SETPOINT, &value)], UpdateRates::default())
            .await
            .unwrap();
        next_change(&mut events).await;
        let reads = || late.reads.load(std::sync::atomic::Ordering::Relaxed);
        let before = reads();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Not read again on every turn of the connection's loop.
        assert!(reads() - before <= 2, "{} reads", reads() - before);
    })
    .await;
}
