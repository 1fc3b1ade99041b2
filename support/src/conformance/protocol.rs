//! Cases that need nothing of the server's data: the outer array (spec 2), packets (3),
//! message ids (4), client_hello (5.1), unknown opcodes and every opcode's parameters (6).

use xentara_ws::{Opcode, Response, Uuid};

use super::suite::{
    Case, Ctx, PROBE, Verdict, ask_error, errors, fail, probe, probe_answered, refused, then_probe,
};
use super::wire::{self, C, Reply, map, message, request, t, uuid};

/// A UUID no server has: what the cases ask for when they want "unknown".
pub const NOBODY: Uuid = Uuid::from_u128(0x78656e74_6172_4177_b373_6e6f626f6479);

/// -32700 parse error, -32600 invalid request, -32601 unknown opcode, -32602 invalid
/// parameter (spec 8).
const PARSE: i64 = -32700;
const INVALID: i64 = -32600;
const PARAM: i64 = -32602;

/// The cases of this module.
pub const CASES: &[Case] = &[
    Case {
        section: "2",
        id: "framing.not-an-array",
        spec: "2.1: every WebSocket message is a CBOR array of packets; 10.1: otherwise an error (-32600, spec 8) or the message dropped",
        run: |c| {
            let replies = match then_probe(c, &[0xa0])? {
                Ok(r) => r,
                Err(why) => fail!("{why}"),
            };
            if replies.is_empty() {
                return Ok(Verdict::Pass("dropped; the next request answered".into()));
            }
            Ok(errors(&replies, Some(0), &[INVALID, PARSE], 1))
        },
    },
    Case {
        section: "2",
        id: "framing.not-cbor",
        spec: "8: -32700, the payload is not well-formed CBOR",
        run: |c| refused(c, &[0x81, 0xff], Some(0), &[PARSE]),
    },
    Case {
        section: "2",
        id: "framing.truncated",
        spec: "8: -32700, the payload is not well-formed CBOR (a lookup cut off inside its key)",
        run: |c| {
            let whole = message(vec![request(
                2,
                3,
                Some(map([(0, t("Group 1.Data Point 1"))])),
            )]);
            refused(c, &whole[..whole.len() - 5], None, &[PARSE])
        },
    },
    Case {
        section: "2",
        id: "framing.trailing-bytes",
        spec: "1: a message holds exactly one CBOR data item; 8: -32700 for what is not",
        run: |c| {
            let mut bad = message(vec![request(2, 8, None)]);
            bad.push(0x00);
            let mut replies = match then_probe(c, &bad)? {
                Ok(r) => r,
                Err(why) => fail!("{why}"),
            };
            // The packet before the stray byte may be answered too (whatever the server
            // says to get_stage).
            replies.retain(|r| r.id() != Some(2));
            Ok(errors(&replies, None, &[PARSE], 1))
        },
    },
    Case {
        section: "2",
        id: "framing.bare-packet",
        spec: "2.6: a packet without the outer array: each of its fields answered as a packet, with -32600 or -32700",
        run: |c| {
            let replies = match then_probe(c, &request(2, 8, None).bytes())? {
                Ok(r) => r,
                Err(why) => fail!("{why}"),
            };
            if replies.is_empty() {
                fail!("no answer to [0, 2, 8] sent bare");
            }
            let n = replies.len();
            Ok(errors(&replies, None, &[INVALID, PARSE], n))
        },
    },
    Case {
        section: "2",
        id: "framing.empty-batch",
        spec: "2.7: an empty outer array [] is accepted (the answer is unconfirmed: nothing, or [])",
        run: |c| {
            let mut conn = c.ready()?;
            conn.send(&[0x80])?;
            let responses = conn.call(&message(vec![probe(PROBE)]), &[PROBE])?;
            match responses.as_slice() {
                [answer] if probe_answered(answer) => {
                    Ok(Verdict::Pass("no answer; the next request answered".into()))
                }
                [error @ Reply::Error { .. }, answer] if probe_answered(answer) => {
                    Ok(Verdict::NonStrict(format!(
                        "{}; the next request answered (the spec leaves the answer to [] \
                         open: spec-notes D10)",
                        error.brief()
                    )))
                }
                other => {
                    let got: Vec<String> = other.iter().map(Reply::brief).collect();
                    fail!(
                        "[{}] where only the second hello's -32001 was due",
                        got.join(", ")
                    )
                }
            }
        },
    },
    Case {
        section: "2",
        id: "framing.batch",
        spec: "2.4: N requests in a message, N responses in the reply message, matched by id (the docs' batch: -32602 for meta data id 83)",
        run: |c| {
            let meta = map([(0, uuid(Uuid::nil())), (1, wire::uints(&[0, 83]))]);
            let meta = match c.tree().ok().and_then(|t| t.points.first()) {
                Some(point) => on_element(meta, point.element.uuid),
                None => meta,
            };
            let mut conn = c.ready()?;
            let batch = message(vec![
                request(
                    10,
                    3,
                    Some(map([(0, t("xentara-ws conformance: no such element"))])),
                ),
                probe(11),
                request(12, 2, Some(meta)),
            ]);
            conn.send(&batch)?;
            let Some(received) = conn.receive(super::conn::PATIENCE)? else {
                fail!("no answer");
            };
            let replies = received
                .packets
                .map_err(|e| format!("the reply does not decode: {e}"))?;
            let ids: Vec<Option<i64>> = replies.iter().map(Reply::id).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            if sorted != [Some(10), Some(11), Some(12)] {
                fail!("one message with responses {ids:?}, not one each to 10, 11, 12");
            }
            let by_id = |id| {
                replies
                    .iter()
                    .find(|r| r.id() == Some(id))
                    .expect("checked")
            };
            if !probe_answered(by_id(11)) {
                fail!(
                    "a second client_hello (id 11) got {}, not error -32001",
                    by_id(11).brief()
                );
            }
            if !matches!(by_id(12), Reply::Error { code: PARAM, .. }) {
                fail!(
                    "meta_data with id 83 (id 12) got {}, not error -32602",
                    by_id(12).brief()
                );
            }
            let order = if ids == [Some(10), Some(11), Some(12)] {
                "in request order"
            } else {
                "reordered (allowed)"
            };
            Ok(Verdict::Pass(format!(
                "3 responses in one message, {order}"
            )))
        },
    },
    Case {
        section: "2",
        id: "framing.past-a-bad-packet",
        spec: "10.2: a bad packet gets an error (-32600; -32700 for a bare integer is as valid), and the requests beside it are answered",
        run: |c| {
            let mut conn = c.ready()?;
            let batch = message(vec![probe(10), C::U(5), probe(12)]);
            let replies = conn.call(&batch, &[10, 12])?;
            let answered = |id| {
                replies
                    .iter()
                    .any(|r| r.id() == Some(id) && probe_answered(r))
            };
            let others: Vec<&Reply> = replies
                .iter()
                .filter(|r| !matches!(r.id(), Some(10 | 12)))
                .collect();
            match others.as_slice() {
                [
                    Reply::Error {
                        code: INVALID | PARSE,
                        ..
                    },
                ] if answered(10) && answered(12) => Ok(Verdict::Pass(format!(
                    "10 and 12 answered, the packet 5: {}",
                    others[0].brief()
                ))),
                _ => {
                    let got: Vec<String> = replies.iter().map(Reply::brief).collect();
                    fail!(
                        "[{}], not 10 and 12 answered (-32001, second hellos) and one error \
                         -32600",
                        got.join(", ")
                    )
                }
            }
        },
    },
    Case {
        section: "4",
        id: "ids.echoed",
        spec: "4: the server copies the message id into the response; any integer in i64 range, non-minimal encodings too (9.4)",
        run: |c| {
            let mut conn = c.ready()?;
            let long_five = C::Raw(vec![0x19, 0x00, 0x05]);
            let hello = wire::hello(0);
            let C::A(mut long) = hello.clone() else {
                unreachable!("a request is an array")
            };
            long[1] = long_five;
            let batch = message(vec![
                probe(0),
                probe(9_007_199_254_740_993),
                probe(-7),
                C::A(long),
            ]);
            let ids = [0, 9_007_199_254_740_993, -7, 5];
            let replies = conn.call(&batch, &ids)?;
            for id in ids {
                match replies.iter().find(|r| r.id() == Some(id)) {
                    Some(reply) if probe_answered(reply) => {}
                    Some(other) => fail!("id {id}: {}, not error -32001", other.brief()),
                    None => fail!("no response with id {id}"),
                }
            }
            Ok(Verdict::Pass(
                "0, 2^53 + 1, -7 and 5 (as 19 0005) echoed".into(),
            ))
        },
    },
    Case {
        section: "3",
        id: "packet.not-an-array",
        spec: "8: -32600, the packet is not a valid request (a non-array packet)",
        run: |c| refused(c, &message(vec![C::U(5)]), Some(0), &[INVALID]),
    },
    Case {
        section: "3",
        id: "packet.success-from-client",
        spec: "8: -32600, a wrong packet type ([1, id] sent to the server)",
        run: |c| {
            refused(
                c,
                &message(vec![C::A(vec![C::U(1), C::U(2)])]),
                None,
                &[INVALID],
            )
        },
    },
    Case {
        section: "3",
        id: "packet.unknown-type",
        spec: "3: packet types are 0, 1, 2 and 8; 8: -32600 for another",
        run: |c| {
            refused(
                c,
                &message(vec![C::A(vec![C::U(5), C::U(2), C::U(8)])]),
                None,
                &[INVALID],
            )
        },
    },
    Case {
        section: "3.1",
        id: "packet.missing-opcode",
        spec: "3.1: the opcode missing: parse error -32700",
        run: |c| {
            refused(
                c,
                &message(vec![C::A(vec![C::U(0), C::U(2)])]),
                None,
                &[PARSE],
            )
        },
    },
    Case {
        section: "3.1",
        id: "packet.id-wrong-type",
        spec: "3.1: the message id of the wrong type: parse error -32700",
        run: |c| {
            refused(
                c,
                &message(vec![C::A(vec![C::U(0), t("x"), C::U(8)])]),
                None,
                &[PARSE],
            )
        },
    },
    Case {
        section: "3.1",
        id: "packet.opcode-wrong-type",
        spec: "3.1: the opcode of the wrong type: parse error -32700",
        run: |c| {
            refused(
                c,
                &message(vec![C::A(vec![C::U(0), C::U(2), t("x")])]),
                None,
                &[PARSE],
            )
        },
    },
    Case {
        section: "3.1",
        id: "packet.params-not-a-map",
        spec: "3.1: the parameters are a map; 8: -32602, a parameter of the wrong type",
        run: |c| {
            refused(
                c,
                &message(vec![request(2, 3, Some(wire::uints(&[1])))]),
                Some(2),
                &[PARAM],
            )
        },
    },
    Case {
        section: "6",
        id: "opcode.unknown",
        spec: "6: opcodes above 14 are not defined; the error to expect is -32601 (command not found)",
        run: |c| {
            let mut conn = c.ready()?;
            let batch = message(vec![request(15, 15, None), request(99, 99, Some(map([])))]);
            let replies = conn.call(&batch, &[15, 99])?;
            let n = replies.len();
            Ok(errors(&replies, None, &[-32601], n).or_non_strict(
                "-32600: the spec names no code for an unknown opcode (spec-notes D12)",
                || errors(&replies, None, &[INVALID], n),
            ))
        },
    },
    Case {
        section: "5.1",
        id: "hello.missing",
        spec: "5.1: a command before client_hello fails with -32000",
        run: |c| {
            let mut conn = c.open()?;
            let reply = conn.ask(2, 8, None)?;
            Ok(match reply {
                Reply::Error {
                    id: Some(2),
                    code: -32000,
                    ..
                } => Verdict::Pass(reply.brief()),
                other => Verdict::Fail(format!(
                    "get_stage before client_hello got {}, not error -32000",
                    other.brief()
                )),
            })
        },
    },
    Case {
        section: "5.1",
        id: "hello.version",
        spec: "5.1, 6.14: the answer {0: current_protocol_version}, within the range asked for ({0: 1, 1: 1})",
        run: |c| hello_answer(c, 1, 1),
    },
    Case {
        section: "5.1",
        id: "hello.docs-range",
        spec: "6.14: the docs' hello {0: 0, 1: 1}: a version within 0..=1",
        run: |c| hello_answer(c, 0, 1),
    },
    Case {
        section: "5.1",
        id: "hello.duplicate",
        spec: "5.1: a second client_hello fails with -32001",
        run: |c| {
            let mut conn = c.ready()?;
            let reply = conn.ask(2, 14, Some(map([(0, C::U(1)), (1, C::U(1))])))?;
            Ok(super::suite::expect_error(&reply, &[-32001]))
        },
    },
    Case {
        section: "5.1",
        id: "hello.pipelined",
        spec: "5.1: requests sent right after the hello, without waiting for its answer, are handled in order",
        run: |c| {
            let mut conn = c.open()?;
            conn.send(&message(vec![wire::hello(1)]))?;
            let replies = conn.call(&message(vec![probe(2)]), &[1, 2])?;
            match replies.as_slice() {
                [
                    Reply::Success { id: 1, .. },
                    second @ Reply::Error { id: Some(2), .. },
                ] if probe_answered(second) => Ok(Verdict::Pass(
                    "the hello, then the second hello's -32001, in order".into(),
                )),
                other => {
                    let got: Vec<String> = other
                        .iter()
                        .map(|r| format!("{:?} {}", r.id(), r.brief()))
                        .collect();
                    fail!("[{}]", got.join(", "))
                }
            }
        },
    },
    Case {
        section: "5.1",
        id: "hello.range-inverted",
        spec: "6.14: minimum_protocol_version must be <= maximum; {0: 2, 1: 1} is an invalid parameter (-32602, presumed)",
        run: |c| first_hello_refused(c, Some(map([(0, C::U(2)), (1, C::U(1))]))),
    },
    Case {
        section: "5.1",
        id: "hello.no-params",
        spec: "6.14: both versions are required; a hello without its map: -32602",
        run: |c| first_hello_refused(c, None),
    },
    Case {
        section: "5.1",
        id: "hello.wrong-type",
        spec: "6.14: the versions are unsigned integers; {0: \"1\", 1: 1}: -32602",
        run: |c| first_hello_refused(c, Some(map([(0, t("1")), (1, C::U(1))]))),
    },
    Case {
        section: "10",
        id: "params.unknown-key-ignored",
        spec: "10.3: keys may come in any order; unknown keys are skipped, never a reason to refuse (a lookup with key 9 besides 0)",
        run: |c| {
            let mut conn = c.ready()?;
            let key = t("xentara-ws conformance: no such element");
            let plain = conn.ask(2, 3, Some(map([(0, key.clone())])))?;
            let extra = conn.ask(3, 3, Some(C::M(vec![(9, C::U(0)), (0, key)])))?;
            match (&plain, &extra) {
                (Reply::Error { code: a, .. }, Reply::Error { code: b, .. }) if a == b => {
                    Ok(Verdict::Pass(format!("both {}", extra.brief())))
                }
                (Reply::Success { item: a, .. }, Reply::Success { item: b, .. }) if a == b => {
                    Ok(Verdict::Pass(format!("both {}", extra.brief())))
                }
                _ => fail!(
                    "without key 9: {}; with it: {}",
                    plain.brief(),
                    extra.brief()
                ),
            }
        },
    },
];

/// The hello's answer must be `{0: v}` with `min <= v <= max`.
fn hello_answer(c: &mut Ctx, min: u64, max: u64) -> Result<Verdict, String> {
    let mut conn = c.open()?;
    let reply = conn.ask(1, 14, Some(map([(0, C::U(min)), (1, C::U(max))])))?;
    let Reply::Success { item, .. } = &reply else {
        fail!("{}", reply.brief());
    };
    match Response::decode_item(Opcode::ClientHello, item.as_deref()) {
        Ok(Response::ClientHello(hello)) if (min..=max).contains(&hello.current_version) => {
            Ok(Verdict::Pass(reply.brief()))
        }
        Ok(Response::ClientHello(hello)) => {
            fail!("version {}, outside {min}..={max}", hello.current_version)
        }
        Ok(_) => unreachable!("decoded as client_hello"),
        Err(e) => fail!("{}: {e}", reply.brief()),
    }
}

/// A first hello with `params` is refused with -32602.
fn first_hello_refused(c: &mut Ctx, params: Option<C>) -> Result<Verdict, String> {
    let reply = c.open()?.ask(1, 14, params)?;
    Ok(super::suite::expect_error(&reply, &[PARAM])
        .or_non_strict("-32600: the spec presumes -32602 but does not say", || {
            super::suite::expect_error(&reply, &[INVALID])
        }))
}

/// A parameter case: `params` for `opcode` is refused with -32602 (the request's id, 2)
/// and the next request is answered.
fn param(c: &mut Ctx, opcode: u64, params: C, also: &[i64]) -> Result<Verdict, String> {
    // One fault per request: a real data point where the params name an element, so that
    // an element the server does not serve cannot race the parameter for the error code.
    let point = c
        .tree()
        .ok()
        .and_then(|tree| tree.points.first())
        .map(|p| p.element.uuid);
    let params = match point {
        Some(point) => on_element(params, point),
        None => params,
    };
    let bad = message(vec![request(2, opcode, Some(params))]);
    let replies = match then_probe(c, &bad)? {
        Ok(replies) => replies,
        Err(why) => fail!("{why}"),
    };
    if let [reply] = replies.as_slice()
        && let Some(skip) = super::suite::refused_setup(opcode, reply)
    {
        return Ok(skip);
    }
    let codes: Vec<i64> = [PARAM].iter().chain(also).copied().collect();
    Ok(errors(&replies, Some(2), &codes, 1))
}

/// `params` with every nil UUID in it (the placeholder [`on_nil`] puts) made `element`.
fn on_element(params: C, element: Uuid) -> C {
    match params {
        C::Tag(37, item) if matches!(&*item, C::B(b) if b == Uuid::nil().as_bytes()) => {
            uuid(element)
        }
        C::Tag(tag, item) => C::Tag(tag, Box::new(on_element(*item, element))),
        C::A(items) => C::A(items.into_iter().map(|i| on_element(i, element)).collect()),
        C::M(entries) => C::M(
            entries
                .into_iter()
                .map(|(k, v)| (k, on_element(v, element)))
                .collect(),
        ),
        other => other,
    }
}

/// `{0: <the nil UUID>}` and more: the nil UUID a placeholder for one of the server's
/// data points ([`on_element`]), or the root when the tree cannot be read.
fn on_nil<const N: usize>(rest: [(u64, C); N]) -> C {
    let mut entries = vec![(0, uuid(Uuid::nil()))];
    entries.extend(rest);
    C::M(entries)
}

macro_rules! param_cases {
    ($( $section:literal $id:literal $opcode:literal $spec:literal => $params:expr $(, or $also:expr)?; )*) => {
        /// Every opcode's missing, wrong-typed and unknown parameters: -32602 (spec 8).
        pub const PARAM_CASES: &[Case] = &[ $( Case {
            section: $section,
            id: $id,
            spec: $spec,
            run: |c| param(c, $opcode, $params, &[$($also)?]),
        }, )* ];
    };
}

param_cases! {
    "6.0" "server_information.missing" 0 "6.0: key 0 (the ids) is required" => map([]);
    "6.0" "server_information.wrong-type" 0 "6.0: key 0 is an array of uint" => map([(0, C::U(5))]);
    "6.0" "server_information.unknown-id" 0 "7.3: ids 0, 1, 2; 8: -32602 for an unknown one" => map([(0, wire::uints(&[99]))]);
    "6.1" "browse.missing" 1 "6.1: key 0 (element_uuid) is required" => map([]);
    "6.1" "browse.wrong-type" 1 "6.1: key 0 is a UUID" => map([(0, t("root"))]);
    "6.1" "browse.uuid-size" 1 "9.2: a UUID is tag 37 on 16 bytes; -32602, or -32700 for content that does not parse" =>
        map([(0, C::Tag(37, Box::new(C::B(vec![1, 2]))))]), or PARSE;
    "6.1" "browse.depth-wrong-type" 1 "6.1: key 1 (depth) is a uint" => on_nil([(1, t("all"))]);
    "6.2" "meta_data.missing" 2 "6.2: key 1 (identifiers) is required" => on_nil([]);
    "6.2" "meta_data.wrong-type" 2 "6.2: key 1 is an array of uint" => on_nil([(1, C::U(5))]);
    "6.3" "lookup.missing" 3 "6.3: key 0 (primary_key) is required" => map([]);
    "6.3" "lookup.wrong-type" 3 "6.3: key 0 is text" => map([(0, C::U(5))]);
    "6.4" "read.missing" 4 "6.4: key 1 (attribute_ids) is required" => on_nil([]);
    "6.4" "read.wrong-type" 4 "6.4: key 1 is an array of uint or UUID" => on_nil([(1, t("value"))]);
    "6.5" "write.missing" 5 "6.5: key 2 (attribute_value) is required" => on_nil([(1, C::U(11))]);
    "6.5" "write.wrong-type" 5 "6.5: key 1 (attribute_id) is a uint or UUID" => on_nil([(1, t("value")), (2, C::U(1))]);
    "6.6" "subscribe.missing" 6 "6.6: key 0 (subscription_array) is required" => map([]);
    "6.6" "subscribe.wrong-type" 6 "6.6: key 0 is an array of entries" => map([(0, C::U(5))]);
    "6.6" "subscribe.rate-wrong-type" 6 "6.6: key 1 (maximum_update_rate) is a uint" =>
        map([(0, C::A(vec![on_nil([(1, wire::uints(&[11]))])])), (1, t("fast"))]);
    "6.7" "unsubscribe.missing" 7 "6.7: key 0 (subscription_id) is required" => map([]);
    "6.7" "unsubscribe.wrong-type" 7 "6.7: key 0 is a UUID" => map([(0, t("x"))]);
    "6.12" "create_sub_session.missing" 12 "6.12: key 0 (authentication_information) is required" => map([]);
    "6.12" "create_sub_session.untagged" 12 "6.12: key 0 is a map in tag 121, 122 or 123" =>
        map([(0, map([(0, t("user")), (1, t("password"))]))]);
    "6.13" "close_sub_session.missing" 13 "6.13: key 0 (session_id) is required" => map([]);
    "6.13" "close_sub_session.wrong-type" 13 "6.13: key 0 is a UUID" => map([(0, C::U(5))]);
}

/// suspend, shutdown and resume with a wrong-typed session id: refused with -32602, but
/// sent only with `--stage-commands` (a server that ignored the parameter would act).
pub const STAGE_CASES: &[Case] = &[
    Case {
        section: "6.10",
        id: "suspend.wrong-type",
        spec: "6.10: key 0 (session_id) is a UUID",
        run: |c| stage(c, 10),
    },
    Case {
        section: "6.11",
        id: "shutdown.wrong-type",
        spec: "6.11: key 0 (session_id) is a UUID",
        run: |c| stage(c, 11),
    },
];

fn stage(c: &mut Ctx, opcode: u64) -> Result<Verdict, String> {
    if !c.settings.stage_commands {
        return Ok(Verdict::Skip(
            "not sent without --stage-commands: a server that ignored the parameter would change its stage".into(),
        ));
    }
    param(c, opcode, map([(0, t("x"))]), &[])
}

/// Used by the data cases: an error with one of `codes`.
pub fn unknown(c: &mut Ctx, opcode: u64, params: C, codes: &[i64]) -> Result<Verdict, String> {
    ask_error(c, opcode, Some(params), codes).map(|v| match v {
        Verdict::Fail(why) => Verdict::Fail(format!("{why} (for {}, which no server has)", NOBODY)),
        other => other,
    })
}
