//! The server's own data: its browse tree and the metadata of its data points, read once,
//! and the cases that check browse, lookup, meta_data, read, write, server_information
//! and get_stage on what it offers (spec 6.0–6.5, 6.8).

use xentara_ws::items::{AttributeInfo, MetaDataItem};
use xentara_ws::{
    Access, AttrResult, Attribute, AttributeId, DataType, ElementCategory, Opcode, Response, Uuid,
};

use super::protocol::{NOBODY, unknown};
use super::suite::{Case, Ctx, Verdict, fail, take};
use super::wire::{self, C, Reply, map, t, uuid};

/// How many data points' metadata the runner reads.
const POINTS: usize = 16;

/// One element browse gave.
#[derive(Debug, Clone)]
pub struct Element {
    /// Its primary key.
    pub key: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its category.
    pub category: ElementCategory,
}

/// One attribute of a data point, from its metadata.
#[derive(Debug, Clone)]
pub struct Attr {
    /// The attribute's name.
    pub name: String,
    /// Its id.
    pub id: AttributeId,
    /// Read, write or both.
    pub access: Access,
    /// Its data type.
    pub data_type: DataType,
}

/// A data point and its attributes.
#[derive(Debug, Clone)]
pub struct Point {
    /// The element.
    pub element: Element,
    /// Its attributes.
    pub attrs: Vec<Attr>,
}

/// What the server offers: every element below the root, and the first data points.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// browse of the nil UUID, all levels.
    pub elements: Vec<Element>,
    /// meta_data of the first [`POINTS`] data points.
    pub points: Vec<Point>,
}

impl Tree {
    /// Reads the tree: browse of the root, then meta_data of the first data points.
    pub fn read(c: &Ctx) -> Result<Self, String> {
        let mut conn = c.ready()?;
        let reply = conn.ask(2, 1, Some(map([(0, uuid(Uuid::nil()))])))?;
        let elements = browse_entries(&reply)?;
        let mut points = Vec::new();
        let data_points = elements
            .iter()
            .filter(|e| e.category == ElementCategory::DataPoint);
        for (n, element) in data_points.take(POINTS).enumerate() {
            let reply = conn.ask(3 + n as i64, 2, Some(meta_request(element.uuid)))?;
            let item =
                meta_item(&reply).map_err(|e| format!("meta_data of {:?}: {e}", element.key))?;
            let attrs = match item.attributes {
                Some(list) => list
                    .iter()
                    .map(|a| a.map(|a: AttributeInfo<'_>| attr(&a)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("meta_data of {:?}: {e}", element.key))?,
                None => {
                    return Err(format!(
                        "meta_data of {:?} has no attribute list",
                        element.key
                    ));
                }
            };
            points.push(Point {
                element: element.clone(),
                attrs,
            });
        }
        Ok(Tree { elements, points })
    }

    /// The first data point with an attribute `usable` accepts, and that attribute;
    /// attributes the spec names first (value, then quality) are preferred.
    pub fn find(&self, usable: impl Fn(&Attr) -> bool) -> Option<(&Point, &Attr)> {
        let rank = |a: &Attr| match a.id.standard() {
            Some(Attribute::Value) => 0,
            Some(Attribute::Quality) => 1,
            _ => 2,
        };
        self.points
            .iter()
            .flat_map(|p| p.attrs.iter().filter(|a| usable(a)).map(move |a| (p, a)))
            .min_by_key(|(_, a)| rank(a))
    }
}

fn attr(a: &AttributeInfo<'_>) -> Attr {
    Attr {
        name: a.name.to_string(),
        id: a.id,
        access: a.access,
        data_type: a.data_type,
    }
}

/// Whether an attribute can be read.
pub fn readable(a: &Attr) -> bool {
    matches!(a.access, Access::ReadOnly | Access::ReadWrite)
}

/// `{0: element, 1: [0, 1, 2, 3]}`: every metadata id.
fn meta_request(element: Uuid) -> C {
    map([(0, uuid(element)), (1, wire::uints(&[0, 1, 2, 3]))])
}

/// The entries of a browse answer.
fn browse_entries(reply: &Reply) -> Result<Vec<Element>, String> {
    let Reply::Success { item, .. } = reply else {
        return Err(format!("browse: {}", reply.brief()));
    };
    let Ok(Response::Browse(entries)) = Response::decode_item(Opcode::Browse, item.as_deref())
    else {
        return Err(format!(
            "browse: {} is not an array of entry maps",
            reply.brief()
        ));
    };
    entries
        .iter()
        .map(|e| {
            e.map(|e| Element {
                key: e.primary_key.to_string(),
                uuid: e.element,
                category: e.category,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("browse: an entry does not decode: {e}"))
}

/// The item of a meta_data answer.
fn meta_item(reply: &Reply) -> Result<MetaDataItem<'_>, String> {
    let Reply::Success { item, .. } = reply else {
        return Err(reply.brief());
    };
    match Response::decode_item(Opcode::MetaData, item.as_deref()) {
        Ok(Response::MetaData(item)) => {
            Response::MetaData(item.clone())
                .check()
                .map_err(|e| e.to_string())?;
            Ok(item)
        }
        Ok(_) => unreachable!("decoded as meta_data"),
        Err(e) => Err(format!("{}: {e}", reply.brief())),
    }
}

/// One attribute of a read answer: its value's bytes, or the code of its `122(error)`.
pub type ReadResult = (AttributeId, Result<Vec<u8>, i64>);

/// The values of a read answer, by attribute, in the order they came.
pub fn read_values(reply: &Reply) -> Result<Vec<ReadResult>, String> {
    let Reply::Success { item, .. } = reply else {
        return Err(reply.brief());
    };
    let Ok(Response::Read(values)) = Response::decode_item(Opcode::Read, item.as_deref()) else {
        return Err(format!(
            "{} is not a map of attribute results",
            reply.brief()
        ));
    };
    values
        .iter()
        .map(|entry| {
            entry.map(|(id, result)| {
                let result = match result {
                    AttrResult::Value(v) => Ok(wire::value_bytes(&v)),
                    AttrResult::Error(e) => Err(e.code.code()),
                };
                (id, result)
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("a read result does not decode: {e}"))
}

/// Reads `attr` of `point` (request id `id`): its value's bytes.
pub fn read_one(
    conn: &mut super::conn::Conn,
    id: i64,
    point: &Point,
    attr: &Attr,
) -> Result<Vec<u8>, String> {
    let params = map([
        (0, uuid(point.element.uuid)),
        (1, C::A(vec![wire::attribute(&attr.id)])),
    ]);
    let reply = conn.ask(id, 4, Some(params))?;
    match read_values(&reply)?
        .into_iter()
        .find(|(a, _)| a.same_as(&attr.id))
    {
        Some((_, Ok(bytes))) => Ok(bytes),
        Some((_, Err(code))) => Err(format!(
            "reading {:?} of {:?} gave error {code}",
            attr.name, point.element.key
        )),
        None => Err(format!(
            "reading {:?} of {:?}: not in the answer",
            attr.name, point.element.key
        )),
    }
}

/// The first data point with an attribute `usable` accepts (see [`Tree::find`]), and
/// that attribute; a skip saying `why` when there is none.
pub fn attribute_where(
    c: &mut Ctx,
    why: &str,
    usable: impl Fn(&Attr) -> bool,
) -> Result<(Point, Attr), Verdict> {
    c.pick(why, |t| t.find(usable).map(|(p, a)| (p.clone(), a.clone())))
}

/// `{0: element, 1: attribute, 2: value}` and `rest`: a write.
pub fn write_params<const N: usize>(
    point: &Point,
    attr: &Attr,
    value: C,
    rest: [(u64, C); N],
) -> C {
    let mut params = vec![
        (0, uuid(point.element.uuid)),
        (1, wire::attribute(&attr.id)),
        (2, value),
    ];
    params.extend(rest);
    C::M(params)
}

/// A writable attribute the runner can write its own value back to: read and write, of a
/// plain type.
fn rewritable(a: &Attr) -> bool {
    a.access == Access::ReadWrite && plain(a.data_type)
}

/// Booleans, integers, floats and strings.
fn plain(t: DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Boolean
            | SignedInteger8
            | SignedInteger16
            | SignedInteger32
            | SignedInteger64
            | UnsignedInteger8
            | UnsignedInteger16
            | UnsignedInteger32
            | UnsignedInteger64
            | Float32
            | Float64
            | String
            | WString
            | U8String
            | U16String
            | U32String
    )
}

/// Numbers: what a text cannot be converted to.
fn numeric(t: DataType) -> bool {
    plain(t)
        && !matches!(
            t,
            DataType::String
                | DataType::WString
                | DataType::U8String
                | DataType::U16String
                | DataType::U32String
        )
}

/// The cases of this module.
pub const CASES: &[Case] = &[
    Case {
        section: "6.1",
        id: "browse.root",
        spec: "6.1: the nil UUID browses the whole model: an array of entry maps {0: primary key, 1: UUID, 2: category}",
        run: |c| {
            let tree = match c.read_tree() {
                Ok(tree) => tree,
                Err(e) => fail!("{e}"),
            };
            Ok(Verdict::Pass(format!(
                "{} elements, {} of them data points (metadata read for {})",
                tree.elements.len(),
                tree.elements
                    .iter()
                    .filter(|e| e.category == ElementCategory::DataPoint)
                    .count(),
                tree.points.len()
            )))
        },
    },
    Case {
        section: "6.1",
        id: "browse.depth",
        spec: "6.1: key 1 (depth) limits the levels: depth 1 gives some of what all levels give",
        run: |c| {
            let all: Vec<Uuid> =
                take!(c.pick("", |t| Some(t.elements.iter().map(|e| e.uuid).collect())));
            let reply = c
                .ready()?
                .ask(2, 1, Some(map([(0, uuid(Uuid::nil())), (1, C::U(1))])))?;
            let top = match browse_entries(&reply) {
                Ok(top) => top,
                Err(e) => fail!("{e}"),
            };
            if let Some(e) = top.iter().find(|e| !all.contains(&e.uuid)) {
                fail!("depth 1 gave {:?}, which the full browse did not", e.key);
            }
            if top.len() > all.len() || (!all.is_empty() && top.is_empty()) {
                fail!("depth 1 gave {} elements of {}", top.len(), all.len());
            }
            Ok(Verdict::Pass(format!(
                "{} of {} elements at depth 1",
                top.len(),
                all.len()
            )))
        },
    },
    Case {
        section: "6.1",
        id: "browse.categories",
        spec: "6.1: key 2 returns only elements of those categories ([2]: data points)",
        run: |c| {
            let want = take!(c.pick("", |t| {
                Some(
                    t.elements
                        .iter()
                        .filter(|e| e.category == ElementCategory::DataPoint)
                        .count(),
                )
            }));
            let params = map([(0, uuid(Uuid::nil())), (2, wire::uints(&[2]))]);
            let reply = c.ready()?.ask(2, 1, Some(params))?;
            let points = match browse_entries(&reply) {
                Ok(points) => points,
                Err(e) => fail!("{e}"),
            };
            if let Some(e) = points
                .iter()
                .find(|e| e.category != ElementCategory::DataPoint)
            {
                fail!("{:?} is a {}, not a data point", e.key, e.category);
            }
            if points.len() != want {
                fail!(
                    "{} data points, where the full browse had {want}",
                    points.len()
                );
            }
            Ok(Verdict::Pass(format!("{want} data points, nothing else")))
        },
    },
    Case {
        section: "6.1",
        id: "browse.unknown-element",
        spec: "6.1: -32100 unknown element",
        run: |c| unknown(c, 1, map([(0, uuid(NOBODY))]), &[-32100]),
    },
    Case {
        section: "6.3",
        id: "lookup.known",
        spec: "6.3: lookup of a primary key gives the element's UUID (the first 8 elements browse gave)",
        run: |c| {
            let elements: Vec<Element> = take!(c.pick("browse gave no element to look up", |t| {
                (!t.elements.is_empty()).then(|| t.elements.iter().take(8).cloned().collect())
            }));
            let first = elements[0].key.clone();
            let mut conn = c.ready()?;
            for (n, e) in elements.iter().enumerate() {
                let reply = conn.ask(2 + n as i64, 3, Some(map([(0, t(&e.key))])))?;
                let Reply::Success { item, .. } = &reply else {
                    fail!("lookup {:?}: {}", e.key, reply.brief());
                };
                match Response::decode_item(Opcode::Lookup, item.as_deref()) {
                    Ok(Response::Lookup(u)) if u == e.uuid => {}
                    _ => fail!("lookup {:?}: {}, not {}", e.key, reply.brief(), e.uuid),
                }
            }
            Ok(Verdict::Pass(format!(
                "{} keys, from {first:?}, each its UUID",
                elements.len()
            )))
        },
    },
    Case {
        section: "6.3",
        id: "lookup.unknown-element",
        spec: "6.3: -32100 unknown element",
        run: |c| {
            unknown(
                c,
                3,
                map([(0, t("xentara-ws conformance: no such element"))]),
                &[-32100],
            )
        },
    },
    Case {
        section: "6.2",
        id: "meta_data.point",
        spec: "6.2: a map keyed by the requested ids: 0 primary key, 1 category, 2 attribute maps, 3 has children",
        run: |c| {
            let point = take!(c.pick("the server has no data point", |t| {
                t.points.first().cloned()
            }));
            let reply = c
                .ready()?
                .ask(2, 2, Some(meta_request(point.element.uuid)))?;
            let item = match meta_item(&reply) {
                Ok(item) => item,
                Err(e) => fail!("{e}"),
            };
            match (&item.primary_key, item.category, item.has_children) {
                (Some(key), Some(category), Some(_))
                    if *key == point.element.key.as_str() && category == point.element.category =>
                {
                    Ok(Verdict::Pass(format!(
                        "{:?}: {} attributes",
                        point.element.key,
                        point.attrs.len()
                    )))
                }
                _ => fail!(
                    "{} for {:?} ({})",
                    reply.brief(),
                    point.element.key,
                    point.element.category
                ),
            }
        },
    },
    Case {
        section: "6.2",
        id: "meta_data.unknown-id",
        spec: "2 (the docs' batch), 6.2: an unknown metadata id (83) is -32602",
        run: |c| {
            let element = take!(c.pick("browse gave no element", |t| {
                t.elements.first().map(|e| e.uuid)
            }));
            super::suite::ask_error(
                c,
                2,
                Some(map([(0, uuid(element)), (1, wire::uints(&[0, 83]))])),
                &[-32602],
            )
        },
    },
    Case {
        section: "6.2",
        id: "meta_data.unknown-element",
        spec: "6.2: -32100 unknown element",
        run: |c| unknown(c, 2, meta_request(NOBODY), &[-32100]),
    },
    Case {
        section: "6.4",
        id: "read.point",
        spec: "6.4: a map keyed by the attribute ids exactly as requested, each 121(value) or 122(error)",
        run: |c| {
            let (point, _) = take!(attribute_where(
                c,
                "no data point has a readable attribute",
                readable
            ));
            let ids: Vec<AttributeId> = point
                .attrs
                .iter()
                .filter(|a| readable(a))
                .take(8)
                .map(|a| a.id)
                .collect();
            let params = map([
                (0, uuid(point.element.uuid)),
                (1, C::A(ids.iter().map(wire::attribute).collect())),
            ]);
            let reply = c.ready()?.ask(2, 4, Some(params))?;
            let values = match read_values(&reply) {
                Ok(values) => values,
                Err(e) => fail!("{e}"),
            };
            let got: Vec<AttributeId> = values.iter().map(|(a, _)| *a).collect();
            if got.len() != ids.len() || ids.iter().any(|id| !got.iter().any(|g| g == id)) {
                fail!("keys {got:?} for {ids:?}");
            }
            let errors = values.iter().filter(|(_, r)| r.is_err()).count();
            Ok(Verdict::Pass(format!(
                "{} attributes of {:?} ({errors} as errors)",
                ids.len(),
                point.element.key
            )))
        },
    },
    Case {
        section: "6.4",
        id: "read.missing-attribute",
        spec: "6.4: an attribute the element lacks: -32101, as the whole answer or inside 122(…)",
        run: |c| {
            let point = take!(c.pick("the server has no data point", |t| {
                t.points.first().map(|p| p.element.clone())
            }));
            let params = map([(0, uuid(point.uuid)), (1, C::A(vec![uuid(NOBODY)]))]);
            let reply = c.ready()?.ask(2, 4, Some(params))?;
            if let Reply::Error { code: -32101, .. } = reply {
                return Ok(Verdict::Pass(reply.brief()));
            }
            match read_values(&reply).as_deref() {
                Ok([(_, Err(-32101))]) => {
                    Ok(Verdict::Pass(format!("{} (122 inside)", reply.brief())))
                }
                _ => fail!("{}, not -32101", reply.brief()),
            }
        },
    },
    Case {
        section: "6.4",
        id: "read.unknown-element",
        spec: "6.4: -32100 unknown element: for the packet, or as 122(code) for each attribute",
        run: |c| {
            let params = map([(0, uuid(NOBODY)), (1, wire::uints(&[11]))]);
            let reply = c.ready()?.ask(2, 4, Some(params.clone()))?;
            if let Reply::Success {
                item: Some(item), ..
            } = &reply
            {
                return Ok(match wire::attribute_errors(item).as_deref() {
                    Some([-32100]) => Verdict::Pass(format!("{} (per attribute)", reply.brief())),
                    _ => Verdict::Fail(format!("{}, not -32100", reply.brief())),
                });
            }
            unknown(c, 4, params, &[-32100])
        },
    },
    Case {
        section: "6.5",
        id: "write.same-value",
        spec: "6.5: a write answers [1, id] with no item (the attribute's own value, read first, written back)",
        run: |c| {
            let (point, attr) = take!(attribute_where(
                c,
                "no attribute is readable and writable with a plain data type",
                rewritable
            ));
            let mut conn = c.ready()?;
            let value = read_one(&mut conn, 2, &point, &attr)?;
            let params = write_params(&point, &attr, C::Raw(value.clone()), []);
            let reply = conn.ask(3, 5, Some(params))?;
            if let Some(skip) = super::suite::refused_setup(5, &reply) {
                return Ok(skip);
            }
            match reply {
                Reply::Success { item: None, .. } => Ok(Verdict::Pass(format!(
                    "{:?} of {:?} = {} written back",
                    attr.name,
                    point.element.key,
                    wire::diag(&value)
                ))),
                other => fail!("{}", other.brief()),
            }
        },
    },
    Case {
        section: "6.5",
        id: "write.read-only",
        spec: "6.5, 8: a write to a read-only attribute: -32103",
        run: |c| {
            let (point, attr) = take!(attribute_where(c, "no read-only attribute", |a| a.access
                == Access::ReadOnly
                && plain(a.data_type)));
            let mut conn = c.ready()?;
            let value = read_one(&mut conn, 2, &point, &attr)?;
            let params = write_params(&point, &attr, C::Raw(value), []);
            let reply = conn.ask(3, 5, Some(params))?;
            Ok(super::suite::expect_error(&reply, &[-32103]))
        },
    },
    Case {
        section: "6.5",
        id: "write.type-mismatch",
        spec: "6.5, 8: a text written to a numeric attribute: -32106 (cannot be converted) or -32107 (not valid)",
        run: |c| {
            let (point, attr) = take!(attribute_where(
                c,
                "no numeric attribute is readable and writable",
                |a| rewritable(a) && numeric(a.data_type)
            ));
            let mut conn = c.ready()?;
            let before = read_one(&mut conn, 2, &point, &attr)?;
            let write = |value| write_params(&point, &attr, value, []);
            let reply = conn.ask(3, 5, Some(write(t("xentara-ws conformance"))))?;
            if let Reply::Success { .. } = reply {
                // Put the value back before failing.
                let _ = conn.ask(4, 5, Some(write(C::Raw(before))));
                fail!(
                    "the text was accepted by {:?} ({})",
                    attr.name,
                    attr.data_type
                );
            }
            Ok(super::suite::expect_error(&reply, &[-32106, -32107]).or_non_strict(
                "-32602 or -32105: the spec also leaves these open for a value of the wrong type",
                || super::suite::expect_error(&reply, &[-32602, -32105]),
            ))
        },
    },
    Case {
        section: "6.5",
        id: "write.unknown-element",
        spec: "6.5: -32100 unknown element",
        run: |c| {
            unknown(
                c,
                5,
                map([(0, uuid(NOBODY)), (1, C::U(11)), (2, C::U(1))]),
                &[-32100],
            )
        },
    },
    Case {
        section: "6.0",
        id: "server_information.all",
        spec: "6.0: a map from the requested ids (0 version, 1 user name, 2 model file) to their values",
        run: |c| {
            let reply = c
                .ready()?
                .ask(2, 0, Some(map([(0, wire::uints(&[0, 1, 2]))])))?;
            let Reply::Success { item, .. } = &reply else {
                fail!("{}", reply.brief());
            };
            match Response::decode_item(Opcode::ServerInformation, item.as_deref()) {
                Ok(response @ Response::ServerInformation(_)) if response.check().is_ok() => {
                    Ok(Verdict::Pass(reply.brief()))
                }
                _ => fail!("{} is not a map of server information", reply.brief()),
            }
        },
    },
    Case {
        section: "6.8",
        id: "get_stage",
        spec: "6.8: no parameter map; the item is a stage (uint)",
        run: |c| {
            let reply = c.ready()?.ask(2, 8, None)?;
            let Reply::Success { item, .. } = &reply else {
                fail!("{}", reply.brief());
            };
            match Response::decode_item(Opcode::GetStage, item.as_deref()) {
                Ok(Response::GetStage(stage)) => {
                    Ok(Verdict::Pass(format!("{} ({stage})", reply.brief())))
                }
                _ => fail!("{} is not a stage", reply.brief()),
            }
        },
    },
];
