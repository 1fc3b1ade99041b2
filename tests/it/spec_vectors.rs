//! Every vector of the spec and every captured peer message: decodes to the expected typed
//! packets, re-encodes to the same bytes when the original is canonical, and reads back as
//! the vector's diagnostic notation.

use xentara_ws::items::{AttributeInfo, BrowseEntry, MetaDataItem, ServerHello};
use xentara_ws::params::*;
use xentara_ws::*;
use xentara_ws_support::vectors::*;

fn req(id: i64, command: impl Into<Command<'static>>) -> Packet<'static> {
    Packet::Request(Request {
        id,
        command: command.into(),
    })
}

fn ok(id: i64, response: Response<'static>) -> Packet<'static> {
    Packet::Success(Success::new(id, response))
}

fn err(id: i64, code: ErrorCode, message: &'static str) -> Packet<'static> {
    Packet::Error(ErrorResponse {
        id,
        error: ErrorObject {
            code,
            message: Some(Text::new(message)),
        },
    })
}

fn std_attr(a: Attribute) -> AttributeId {
    AttributeId::Standard(a)
}

/// The opcode a success packet in vector `name` answers (what a client knows from its
/// pending request).
fn context(name: &str, id: i64) -> Opcode {
    if name.starts_with("batch.response") {
        return match id {
            65 => Opcode::Lookup,
            66 => Opcode::GetStage,
            _ => Opcode::MetaData,
        };
    }
    if name == "server.hello_reply" {
        return Opcode::ClientHello;
    }
    let op = name.split('.').next().unwrap();
    Opcode::ALL
        .iter()
        .copied()
        .find(|o| o.name() == op)
        .unwrap_or(Opcode::Write)
}

/// The typed packets each vector must decode to.
fn expected(name: &str) -> Vec<Packet<'static>> {
    use Attribute::*;
    let e3ee_attrs = |ids: &'static [AttributeId]| Read {
        element: E3EE,
        attributes: Seq::from_slice(ids),
    };
    let write = |id, value| {
        req(
            id,
            Write {
                element: E3EE,
                attribute: std_attr(Value),
                value,
                sub_session_id: None,
            },
        )
    };
    match name {
        "client_hello.request" => vec![req(
            65,
            ClientHello {
                min_version: 0,
                max_version: 1,
            },
        )],
        "client_hello.request.official_client" | "vendor.client_hello" => {
            vec![req(
                1,
                ClientHello {
                    min_version: 1,
                    max_version: 1,
                },
            )]
        }
        "client_hello.response" => vec![ok(
            65,
            Response::ClientHello(ServerHello { current_version: 1 }),
        )],
        "client_hello.error.duplicate" => {
            vec![err(
                66,
                ErrorCode::DuplicateClientHello,
                "duplicate client hello request",
            )]
        }
        "error.missing_client_hello" => {
            vec![err(
                65,
                ErrorCode::MissingClientHello,
                "missing client hello request",
            )]
        }
        "server_information.request" => vec![req(
            65,
            ServerInformation {
                ids: Seq::from_slice(&[
                    ServerInfo::Version,
                    ServerInfo::UserName,
                    ServerInfo::ModelFilePath,
                ]),
            },
        )],
        "server_information.response" => vec![ok(
            65,
            Response::ServerInformation(Seq::from_slice(
                const {
                    &[
                        (
                            ServerInfo::Version,
                            xentara_ws::Value::Text(Text::new("2.0.4")),
                        ),
                        (
                            ServerInfo::UserName,
                            xentara_ws::Value::Text(Text::new("xentara")),
                        ),
                        (
                            ServerInfo::ModelFilePath,
                            xentara_ws::Value::Text(Text::new("/etc/xentara/model.json")),
                        ),
                    ]
                },
            )),
        )],
        "browse.request" => vec![req(
            65,
            Browse {
                element: E3EE,
                depth: Some(2),
                categories: None,
            },
        )],
        "browse.request.root_with_filter" => vec![req(
            65,
            Browse {
                element: xentara_ws::Uuid::nil(),
                depth: Some(1),
                categories: Some(Seq::from_slice(&[
                    ElementCategory::ElementGroup,
                    ElementCategory::DataPoint,
                ])),
            },
        )],
        "browse.response" => {
            let entries: &'static [BrowseEntry<'static>] = Box::leak(Box::new([BrowseEntry {
                primary_key: Text::new("Group 1.Data Point 1"),
                element: B4E1,
                category: ElementCategory::DataPoint,
            }]));
            vec![ok(65, Response::Browse(Seq::from_slice(entries)))]
        }
        "browse.error.unknown_element" => {
            vec![err(65, ErrorCode::UnknownElement, "unknown element")]
        }
        "meta_data.request" | "vendor.meta_data" => {
            let id = if name == "vendor.meta_data" { 4 } else { 65 };
            vec![req(
                id,
                MetaData {
                    element: E3EE,
                    ids: Seq::from_slice(&[
                        MetaDataId::PrimaryKey,
                        MetaDataId::ElementCategory,
                        MetaDataId::AttributeList,
                        MetaDataId::HasChildren,
                    ]),
                },
            )]
        }
        "meta_data.response" => {
            let attrs: &'static [AttributeInfo<'static>] = Box::leak(Box::new([
                AttributeInfo {
                    name: Text::new("value"),
                    id: std_attr(Value),
                    access: Access::ReadWrite,
                    data_type: DataType::Float32,
                },
                AttributeInfo {
                    name: Text::new("quality"),
                    id: std_attr(Quality),
                    access: Access::ReadOnly,
                    data_type: DataType::Quality,
                },
            ]));
            vec![ok(
                65,
                Response::MetaData(MetaDataItem {
                    primary_key: Some(Text::new("Group 1.Data Point 1")),
                    category: Some(ElementCategory::DataPoint),
                    attributes: Some(Seq::from_slice(attrs)),
                    has_children: Some(false),
                }),
            )]
        }
        "lookup.request" => vec![req(
            65,
            Lookup {
                primary_key: Text::new("Group 1.Data Point 1"),
            },
        )],
        "vendor.lookup" => vec![req(
            2,
            Lookup {
                primary_key: Text::new("Group 1.Data Point 1"),
            },
        )],
        "lookup.response" => vec![ok(65, Response::Lookup(E3EE))],
        "read.request" => vec![req(
            65,
            e3ee_attrs(&[
                AttributeId::Standard(Value),
                AttributeId::Standard(Quality),
                AttributeId::Standard(ChangeTime),
            ]),
        )],
        "php.read" => vec![req(
            4,
            e3ee_attrs(&[
                AttributeId::Standard(Name),
                AttributeId::Standard(Type),
                AttributeId::Standard(Category),
            ]),
        )],
        "python.read.value" => vec![req(1, e3ee_attrs(&[AttributeId::Standard(Value)]))],
        "read.response" => vec![ok(
            65,
            Response::Read(Seq::from_slice(
                const {
                    &[
                        (
                            AttributeId::Standard(Value),
                            AttrResult::Value(xentara_ws::Value::Float(42.5)),
                        ),
                        (
                            AttributeId::Standard(Quality),
                            AttrResult::Value(xentara_ws::Value::Int(0)),
                        ),
                        (
                            AttributeId::Standard(ChangeTime),
                            AttrResult::Error(ErrorObject {
                                code: ErrorCode::ReadError,
                                message: Some(Text::new("read error")),
                            }),
                        ),
                    ]
                },
            )),
        )],
        "write.request" => vec![write(65, xentara_ws::Value::Bool(true))],
        "write.request.with_sub_session" => vec![req(
            66,
            Write {
                element: E3EE,
                attribute: std_attr(Value),
                value: xentara_ws::Value::Int(7),
                sub_session_id: Some(B4E1),
            },
        )],
        "vendor.write.f16_42_5" | "php.write.f64_42_5" => {
            vec![write(5, xentara_ws::Value::Float(42.5))]
        }
        "vendor.write.int_7" => vec![write(5, xentara_ws::Value::Int(7))],
        "vendor.write.true" => vec![write(5, xentara_ws::Value::Bool(true))],
        "vendor.write.text_hi" => vec![write(5, xentara_ws::Value::Text(Text::new("hi")))],
        "vendor.write.f64_0_1" => vec![write(5, xentara_ws::Value::Float(0.1))],
        "vendor.write.f32_100000_5" => vec![write(5, xentara_ws::Value::Float(100000.5))],
        "vendor.write.f16_1_5" => vec![write(5, xentara_ws::Value::Float(1.5))],
        "php.write.null" => vec![write(5, xentara_ws::Value::Null)],
        "write.response"
        | "unsubscribe.response"
        | "suspend.response"
        | "shutdown.response"
        | "close_sub_session.response" => {
            let op = context(name, 65);
            vec![ok(65, Response::decode_item(op, None).unwrap())]
        }
        "write.error.read_only" => vec![err(65, ErrorCode::ReadOnly, "value is read only")],
        "subscribe.request"
        | "subscribe.request.minimal"
        | "vendor.subscribe.unsorted_keys"
        | "php.subscribe.no_rates"
        | "python.subscribe.max_rate_100" => {
            let attrs: &'static [AttributeId] = match name {
                "subscribe.request" => {
                    &[AttributeId::Standard(Value), AttributeId::Standard(Quality)]
                }
                "vendor.subscribe.unsorted_keys" => &[
                    AttributeId::Standard(Value),
                    AttributeId::Standard(Quality),
                    AttributeId::Standard(ChangeTime),
                ],
                "php.subscribe.no_rates" => {
                    &[AttributeId::Standard(Quality), AttributeId::Standard(Value)]
                }
                _ => &[AttributeId::Standard(Value)],
            };
            let entries: &'static [SubscriptionEntry<'static>] =
                Box::leak(Box::new([SubscriptionEntry {
                    element: E3EE,
                    attributes: Seq::from_slice(attrs),
                }]));
            let entries = Seq::from_slice(entries);
            let (id, params) = match name {
                "subscribe.request" => (
                    65,
                    Subscribe {
                        entries,
                        maximum_update_rate: Some(10),
                        minimum_update_rate: Some(1000),
                        desired_subscription_id: Some(B4E1),
                    },
                ),
                "vendor.subscribe.unsorted_keys" => (
                    9,
                    Subscribe {
                        entries,
                        maximum_update_rate: None,
                        minimum_update_rate: Some(100),
                        desired_subscription_id: Some(PEER),
                    },
                ),
                "php.subscribe.no_rates" => (
                    5,
                    Subscribe {
                        entries,
                        maximum_update_rate: None,
                        minimum_update_rate: None,
                        desired_subscription_id: None,
                    },
                ),
                "python.subscribe.max_rate_100" => (
                    2,
                    Subscribe {
                        entries,
                        maximum_update_rate: Some(100),
                        minimum_update_rate: None,
                        desired_subscription_id: None,
                    },
                ),
                _ => (
                    66,
                    Subscribe {
                        entries,
                        maximum_update_rate: None,
                        minimum_update_rate: None,
                        desired_subscription_id: None,
                    },
                ),
            };
            vec![req(id, params)]
        }
        "subscribe.response" => vec![ok(65, Response::Subscribe(Some(B4E1)))],
        "unsubscribe.request" => vec![req(
            65,
            Unsubscribe {
                subscription_id: B4E1,
            },
        )],
        "vendor.unsubscribe" => vec![req(
            3,
            Unsubscribe {
                subscription_id: PEER,
            },
        )],
        "unsubscribe.error.unknown_subscription" => {
            vec![err(
                65,
                ErrorCode::UnknownSubscriptionId,
                "unknown subscription Id",
            )]
        }
        "get_stage.request" => vec![req(65, GetStage)],
        "get_stage.response" => vec![ok(65, Response::GetStage(Stage::Operational))],
        "opcode9_resume.request.UNCONFIRMED" => {
            let raw = Raw::new(&[
                0xa1, 0x00, 0xd8, 0x25, 0x50, 0xb4, 0xe1, 0xc5, 0x52, 0xe3, 0xc7, 0x40, 0x6b, 0x95,
                0xa2, 0xaa, 0x09, 0xc5, 0x53, 0xf2, 0x77,
            ])
            .unwrap();
            vec![req(65, Resume { params: Some(raw) })]
        }
        "suspend.request" => vec![req(
            65,
            Suspend {
                session_id: Some(E3EE),
            },
        )],
        "suspend.request.no_session" => vec![req(66, Suspend { session_id: None })],
        "suspend.error.invalid_stage_change" => {
            vec![err(
                65,
                ErrorCode::InvalidStageChange,
                "invalid stage change request",
            )]
        }
        "shutdown.request" => vec![req(
            65,
            Shutdown {
                session_id: Some(E3EE),
            },
        )],
        "create_sub_session.request.password" => vec![req(
            65,
            CreateSubSession {
                credentials: Credentials::Password(Password {
                    username: Text::new("user"),
                    password: Text::new("secret"),
                }),
                desired_session_id: Some(E3EE),
            },
        )],
        "create_sub_session.request.oauth2" => vec![req(
            66,
            CreateSubSession {
                credentials: Credentials::OAuth2(OAuth2 {
                    token: Text::new("eyJhbGciOi..."),
                }),
                desired_session_id: None,
            },
        )],
        "create_sub_session.request.certificate" => vec![req(
            67,
            CreateSubSession {
                credentials: Credentials::Certificate(Certificate {
                    der: Bytes::new(&[0x30, 0x82, 0x01, 0x0a]),
                }),
                desired_session_id: None,
            },
        )],
        "create_sub_session.response" => vec![ok(65, Response::CreateSubSession(E3EE))],
        "create_sub_session.error.access_denied" => {
            vec![err(65, ErrorCode::AccessDenied, "access denied")]
        }
        "close_sub_session.request" => vec![req(65, CloseSubSession { session_id: E3EE })],
        "close_sub_session.error.unknown_session" => {
            vec![err(65, ErrorCode::UnknownSessionId, "unknown session Id")]
        }
        "batch.request.lookup_getstage_metadata" => vec![
            req(
                65,
                Lookup {
                    primary_key: Text::new("Group 1.Data Point 1"),
                },
            ),
            req(66, GetStage),
            req(
                67,
                MetaData {
                    element: E3EE,
                    ids: Seq::from_slice(&[MetaDataId::PrimaryKey, MetaDataId::Unknown(83)]),
                },
            ),
        ],
        "batch.response.lookup_getstage_metadata" => vec![
            ok(65, Response::Lookup(E3EE)),
            ok(66, Response::GetStage(Stage::Operational)),
            err(
                67,
                ErrorCode::InvalidParameter,
                "invalid meta data identifier",
            ),
        ],
        "batch.empty" | "vendor.empty_batch" => vec![],
        "event.data_change" => vec![Packet::Event(Event::DataChange(DataChange {
            time: TimePoint::Seconds(1_700_000_000),
            element: E3EE,
            values: Seq::from_slice(&[
                (
                    AttributeId::Standard(Value),
                    AttrResult::Value(xentara_ws::Value::Int(42)),
                ),
                (
                    AttributeId::Standard(Quality),
                    AttrResult::Value(xentara_ws::Value::Int(0)),
                ),
            ]),
        }))],
        "event.data_change.timestamp_1001" => vec![Packet::Event(Event::DataChange(DataChange {
            time: TimePoint::Decimal {
                exponent: -9,
                mantissa: 1_704_107_471_111_587_983,
            },
            element: E3EE,
            values: Seq::from_slice(
                const {
                    &[(
                        AttributeId::Standard(Value),
                        AttrResult::Error(ErrorObject {
                            code: ErrorCode::ReadError,
                            message: Some(Text::new("read error")),
                        }),
                    )]
                },
            ),
        }))],
        "vendor.browse.depth_categories" => vec![req(
            3,
            Browse {
                element: E3EE,
                depth: Some(2),
                categories: Some(Seq::from_slice(&[
                    ElementCategory::ElementGroup,
                    ElementCategory::DataPoint,
                ])),
            },
        )],
        "vendor.browse.depth_only" => vec![req(
            2,
            Browse {
                element: E3EE,
                depth: Some(1),
                categories: None,
            },
        )],
        "php.browse.root_depth_1" => vec![req(
            2,
            Browse {
                element: xentara_ws::Uuid::nil(),
                depth: Some(1),
                categories: None,
            },
        )],
        "vendor.two_lookups" => vec![
            req(
                2,
                Lookup {
                    primary_key: Text::new("A"),
                },
            ),
            req(
                3,
                Lookup {
                    primary_key: Text::new("B"),
                },
            ),
        ],
        "php.client_hello" => vec![req(
            1,
            ClientHello {
                min_version: 0,
                max_version: 1,
            },
        )],
        "python.client_hello.id_0" => vec![req(
            0,
            ClientHello {
                min_version: 1,
                max_version: 1,
            },
        )],
        "server.hello_reply" => vec![ok(
            1,
            Response::ClientHello(ServerHello { current_version: 1 }),
        )],
        // Not typed: decoded as received, `[1, 4]` without an item.
        "server.success_no_item" => Batch::new(&[0x81, 0x82, 0x01, 0x04])
            .unwrap()
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap(),
        "server.error.read_only" => vec![err(5, ErrorCode::ReadOnly, "read only")],
        "server.event.data_change" => vec![Packet::Event(Event::DataChange(DataChange {
            time: TimePoint::Seconds(1_700_000_000),
            element: E3EE,
            values: Seq::from_slice(
                const {
                    &[
                        (
                            AttributeId::Standard(Quality),
                            AttrResult::Value(xentara_ws::Value::Int(3)),
                        ),
                        (
                            AttributeId::Standard(Value),
                            AttrResult::Error(ErrorObject {
                                code: ErrorCode::IllegalValue,
                                message: Some(Text::new("no value")),
                            }),
                        ),
                    ]
                },
            ),
        }))],
        other => panic!("no expectation for vector {other}"),
    }
}

/// Decodes every packet of a vector, typing success items by their request's opcode.
fn decode_typed<'b>(v: &'b Vector) -> Vec<Packet<'b>> {
    Batch::new(&v.bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name))
        .into_iter()
        .map(|p| match p.unwrap_or_else(|e| panic!("{}: {e}", v.name)) {
            Packet::Success(s) if v.name != "server.success_no_item" => {
                let response = s
                    .response(context(&v.name, s.id))
                    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
                Packet::Success(Success::new(s.id, response))
            }
            other => other,
        })
        .collect()
}

fn check(vectors: Vec<Vector>) {
    assert!(!vectors.is_empty());
    for v in &vectors {
        let packets = decode_typed(v);
        assert_eq!(packets, expected(&v.name), "{}: typed value", v.name);

        let mut buf = [0u8; 512];
        let n = encode_batch(&packets, &mut buf).unwrap();
        if v.canonical {
            assert_eq!(&buf[..n], &v.bytes[..], "{}: re-encoding", v.name);
        } else {
            assert_ne!(
                &buf[..n],
                &v.bytes[..],
                "{}: marked non-canonical but re-encodes the same",
                v.name
            );
            assert_eq!(
                decode_typed(&Vector {
                    bytes: buf[..n].to_vec(),
                    ..v.clone()
                }),
                packets,
                "{}",
                v.name
            );
        }

        let diag = Raw::new(&v.bytes).unwrap().to_string();
        assert_eq!(
            normalize_diagnostic(&diag),
            normalize_diagnostic(&v.diagnostic),
            "{}: diagnostic",
            v.name
        );
    }
}

#[test]
fn spec_examples() {
    let vectors = spec_vectors();
    assert_eq!(vectors.len(), 49);
    check(vectors);
}

#[test]
fn captured_peer_messages() {
    let vectors = peer_vectors();
    assert_eq!(vectors.len(), 29);
    check(vectors);
}

/// The seed: close_sub_session as the spec's page writes it, with the UUID as text
/// (`37('E3EE…')`, spec notes D1), decodes to the same command and re-encodes as bytes.
#[test]
fn seed_close_sub_session_in_both_uuid_forms() {
    let canonical = hex("81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8");
    let mut text = hex("81840018410da100d825 7820");
    text.extend_from_slice(b"E3EE10714D884BA18E5D0F1E4CE25EE8");
    let mut hyphenated = hex("81840018410da100d825 7824");
    hyphenated.extend_from_slice(b"e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8");
    for message in [&canonical, &text, &hyphenated] {
        let packets: Vec<_> = Batch::new(message)
            .unwrap()
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(packets, vec![req(65, CloseSubSession { session_id: E3EE })]);
        let mut buf = [0u8; 64];
        let n = encode_batch(&packets, &mut buf).unwrap();
        assert_eq!(&buf[..n], &canonical[..]);
    }
    let reply = [ok(65, Response::CloseSubSession(()))];
    let mut buf = [0u8; 8];
    let n = encode_batch(&reply, &mut buf).unwrap();
    assert_eq!(&buf[..n], &hex("8182011841")[..]);
}
