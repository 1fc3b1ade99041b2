//! Inputs the fuzz targets (`fuzz/`) found, kept as regression tests. (Those about
//! malformed messages live in `malformed.rs` and `limits.rs`.)

use xentara_ws::params::Credentials;
use xentara_ws::params::Lookup;
use xentara_ws::session::{
    AppRequest, Application, ClientSession, ClientState, IdKind, Outcome, Replied, Reply,
    ServerBuffers, ServerConfig, ServerSession,
};
use xentara_ws::{
    Batch, Command, DecodeErrorKind, ErrorCode, Opcode, Packet, Response, Text, Uuid,
};
use xentara_ws_support::checks;
use xentara_ws_support::vectors::hex;

/// How the test application answers every command.
enum App {
    /// A success with this item.
    Answer(Response<'static>),
    /// An error with this message.
    Error(&'static str),
}

impl Application for App {
    type Identity = ();
    type Subscription = ();
    fn authenticate(&mut self, _: &Credentials<'_>) -> Result<(), ErrorCode> {
        Ok(())
    }
    fn fresh_id(&mut self, _: IdKind) -> Uuid {
        Uuid::from_u128(7)
    }
    fn handle(&mut self, request: AppRequest<'_, ()>, reply: Reply<'_, ()>) -> Replied {
        match (self, request.command) {
            (_, Command::Subscribe(_)) => reply.accept(()),
            (App::Answer(response), _) => reply.ok(response.clone()),
            (App::Error(text), _) => reply.error_message(ErrorCode::ReadError, text),
        }
    }
}

/// The reply's second packet (after the hello's), typed as a lookup answer.
fn lookup_answer(response: Response<'static>) -> Result<Uuid, (ErrorCode, String)> {
    let mut buffers: Box<ServerBuffers<App>> = Box::default();
    let mut server = ServerSession::new(ServerConfig::default(), buffers.storage());
    // [[0, 1, 14, {0: 1, 1: 1}], [0, 2, 3, {0: "A"}]]
    let message = hex("82 84 00 01 0e a2 00 01 01 01 84 00 02 03 a1 00 61 41");
    let _ = server
        .handle_message(&message, &mut App::Answer(response))
        .unwrap();
    let mut out = [0u8; 256];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let reply: Vec<_> = Batch::new(&out[..n])
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    match &reply[1] {
        Packet::Success(s) => match s.response(Opcode::Lookup) {
            Ok(Response::Lookup(uuid)) => Ok(uuid),
            other => panic!("{other:?}"),
        },
        Packet::Error(e) => Err((
            e.error.code,
            e.error.message.unwrap_or_default().to_string(),
        )),
        other => panic!("{other:?}"),
    }
}

/// Found by `server_session`: an application's untyped item went out unchecked, so a lookup
/// could be answered with an item that is not a UUID (the client then rejected the whole
/// message). Answers are typed now (`Response` has no untyped variant), and one of another
/// opcode is answered -32603.
#[test]
fn regression_an_answer_must_fit_the_request() {
    let (code, message) = lookup_answer(Response::Write(())).unwrap_err();
    assert_eq!(code, ErrorCode::InternalError);
    assert_eq!(message, "the server answered lookup with a write item");
    let uuid = Uuid::from_bytes([0xab; 16]);
    assert_eq!(lookup_answer(Response::Lookup(uuid)), Ok(uuid));
}

/// Found by `client_session`: cancelling the unanswered hello left the session waiting for
/// it forever (every later answer was `BeforeHello`, and the hello's own `UnknownId`). The
/// hello cannot be cancelled now; other requests still can.
#[test]
fn regression_unanswered_hello_cannot_be_cancelled() {
    let mut client: ClientSession = ClientSession::default();
    let mut out = [0u8; 64];
    let mut batch = client.start_batch(&mut out);
    let lookup = batch
        .request(Lookup {
            primary_key: Text::new("A"),
        })
        .unwrap();
    batch.finish().unwrap();
    assert_eq!(client.state(), ClientState::HelloSent { id: 1 });
    assert_eq!(client.cancel(1), None);
    assert_eq!(client.cancel(lookup), Some(Opcode::Lookup));
    // [[1, 1, {0: 1}]]: the hello's answer still makes the session ready.
    let reply = hex("81 83 01 01 a1 00 01");
    let batch = Batch::new(&reply).unwrap();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    assert!(matches!(outcomes[..], [Outcome::Success { id: 1, .. }]));
    assert_eq!(client.version(), Some(1));
}

/// An error message that fills the reply buffer to its last byte as the second answer.
const TEXT: &str = concat!(
    "a message long enough to fill the reply buffer to its last byte when it is the second ",
    "answer, abcdefghijklmnopq"
);

/// Found by `server_session`: an answer given while a message was still being read kept
/// room only for the requests read so far, so it could take the bytes a later packet's
/// response needed; that request then waited forever and the reply was never sent. Room
/// for the rest of the message is now kept too (the long answer becomes -32603 "response
/// too large"), and every request is answered.
#[test]
fn regression_early_answer_leaves_room_for_the_rest_of_the_message() {
    // [1, 1, {0: 1}] takes 6 bytes; [2, 2, {0: -32108, 1: TEXT}] the 122 that are left.
    assert_eq!(TEXT.len(), 111);
    // One reply message of 4 responses and 128 bytes.
    let mut buffers = ServerBuffers::<App, 128, 4, 1>::new();
    let mut server = ServerSession::new(ServerConfig::default(), buffers.storage());
    // [[0, 1, 14, {0: 1, 1: 1}], [0, 2, 8], [1, 9]]: hello, get_stage, a stray success.
    let message = hex("83 84 00 01 0e a2 00 01 01 01 83 00 02 08 82 01 09");
    let received = server
        .handle_message(&message, &mut App::Error(TEXT))
        .unwrap();
    assert_eq!((received.packets, received.waiting), (3, 0));
    assert_eq!(server.waiting(), 0);
    let mut out = [0u8; 256];
    let n = server
        .poll_transmit(&mut out)
        .unwrap()
        .expect("the reply is due");
    let reply: Vec<_> = Batch::new(&out[..n])
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let errors: Vec<_> = reply
        .iter()
        .map(|p| match p {
            Packet::Success(_) => None,
            Packet::Error(e) => Some((e.error.code, e.error.message)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(errors[0], None);
    assert_eq!(
        errors[1],
        Some((ErrorCode::ReadError, Some(Text::new("response too large"))))
    );
    assert_eq!(errors[2].unwrap().0, ErrorCode::InvalidRequest);
}

/// The results of decoding `message`: `Ok(encoded packet)` or `Err((kind, offset))`.
fn results(message: &[u8]) -> Vec<Result<Vec<u8>, String>> {
    Batch::new(message)
        .unwrap()
        .into_iter()
        .map(|r| match r {
            Ok(p) => {
                let mut buf = [0u8; 64];
                let n = p.encode_message(&mut buf).unwrap();
                Ok(buf[..n].to_vec())
            }
            Err(e) => Err(format!("{:?} at {}", e.kind(), e.offset())),
        })
        .collect()
}

/// Found by `decode_message` and `roundtrip`: in an indefinite-length packet without its
/// optional last element, the break was consumed twice — the end check read past the
/// packet, and a success took its own break as its item.
#[test]
fn regression_an_indefinite_packet_ends_at_its_break() {
    // [_ [_ 1, -16]]: a success without an item.
    let message = hex("9f 9f 01 2f ff ff");
    let batch = Batch::new(&message).unwrap();
    let mut batch = batch.iter();
    assert_eq!(batch.remaining(), 1);
    match batch.next() {
        Some(Ok(Packet::Success(s))) => {
            assert_eq!(s.id, -16);
            assert!(!s.has_item());
            assert_eq!(s.item_bytes(), None);
        }
        other => panic!("{other:?}"),
    }
    assert!(batch.next().is_none());
    assert_eq!(results(&hex("81 9f 01 00 ff")), [Ok(hex("81 82 01 00"))]);
    // [[_ 0, 1, 8], [0, 2, 8]]: two get_stage requests.
    assert_eq!(
        results(&hex("82 9f 00 01 08 ff 83 00 02 08")),
        [Ok(hex("81 83 00 01 08")), Ok(hex("81 83 00 02 08"))]
    );
}

/// Found by `differential`: the skip took a definite count of exactly 2³²−1 for "until
/// the break", so `[2³²−1 items: break]` passed as well-formed.
#[test]
fn regression_a_count_of_u32_max_is_a_count() {
    for bytes in [
        "9a ff ff ff ff ff",
        "9b 00 00 00 00 ff ff ff ff ff",
        "ba ff ff ff ff ff",
    ] {
        // (Not `unwrap_err`: its message would print the 2³²−1 items.)
        let e = match xentara_ws::Raw::new(&hex(bytes)) {
            Ok(raw) => panic!("{bytes}: accepted {} bytes", raw.as_bytes().len()),
            Err(e) => e,
        };
        assert_eq!(e.kind(), DecodeErrorKind::InvalidCbor, "{bytes}");
        assert_eq!(e.offset(), hex(bytes).len() - 1, "{bytes}");
    }
}

/// Found by hand after `decode_message`: for an indefinite outer array `Batch::remaining`
/// skipped each packet whole, so nesting the decoder accepts (counted from the success
/// item) was too deep for it (counted from the packet): it counted fewer packets than came,
/// and a server left the requests after such a packet unanswered.
#[test]
fn regression_remaining_counts_an_indefinite_batch_as_decoded() {
    // [_ [1, 1, [[… 16 levels … 0]]], [0, 2, 8], …, [0, 6, 8]]
    let message = hex(&format!(
        "9f 83 01 01 {} 00 83 00 02 08 83 00 03 08 83 00 04 08 83 00 05 08 83 00 06 08 ff",
        "81 ".repeat(16)
    ));
    let batch = Batch::new(&message).unwrap();
    assert_eq!(batch.iter().remaining(), 6);
    assert_eq!(batch.iter().count(), 6);
    let mut buffers: Box<ServerBuffers<App, 32768, 32>> = Box::default();
    let mut server = ServerSession::new(ServerConfig::default(), buffers.storage());
    let received = server
        .handle_message(&message, &mut App::Error("unused"))
        .unwrap();
    assert_eq!((received.packets, received.waiting), (6, 0));
    let mut out = [0u8; 512];
    let n = server.poll_transmit(&mut out).unwrap().unwrap();
    let codes: Vec<_> = Batch::new(&out[..n])
        .unwrap()
        .into_iter()
        .map(|p| match p.unwrap() {
            Packet::Error(e) => (e.id, e.error.code),
            other => panic!("{other:?}"),
        })
        .collect();
    let mut expected = vec![(1, ErrorCode::InvalidRequest)];
    expected.extend((2..=6).map(|id| (id, ErrorCode::MissingClientHello)));
    assert_eq!(codes, expected);
}

/// Found by `client_session`: a request from a server whose
/// last part is malformed. Iterating the batch by reference hands the request out before
/// its unread subscribe entries are walked, then ends with the error; the client reads only
/// a request's header and steps over the rest, so for it the packet is that error — one
/// outcome, which the fuzz target had counted as two.
#[test]
fn regression_a_malformed_request_from_a_server_is_one_outcome() {
    use xentara_ws::session::{ClientSession, Outcome};
    // [[0, 66, 6, {0: [{0: 37(h'e3ee10a1…' — cut)]}]]
    let message = hex("81 84 00 1842 06 a1 00 81 a2 00 d82550 e3ee10a18ea3f0e19f014ce881f20b");
    let batch = Batch::new(&message).unwrap();
    let by_reference: Vec<_> = batch.iter().map(|p| p.map(|p| p.id())).collect();
    assert_eq!(by_reference.len(), 2);
    assert_eq!(by_reference[0], Ok(Some(66)));
    let e = by_reference[1].unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.id()),
        (DecodeErrorKind::Truncated, 13, Some(66))
    );
    let mut client: ClientSession = ClientSession::default();
    let outcomes: Vec<_> = client.handle_message(&batch).collect();
    let [Outcome::Invalid(e)] = outcomes.as_slice() else {
        panic!("{outcomes:?}")
    };
    assert_eq!(
        (e.kind(), e.offset(), e.id()),
        (DecodeErrorKind::Truncated, 13, Some(66))
    );
}

/// Found by `roundtrip` (a hang): an event's values, left for their iteration, declared
/// 0xbaab01d8 entries with four bytes after them, and re-encoding the event wrote a
/// placeholder for each declared entry. Iterating ends with an error where the bytes end;
/// re-encoding writes the entries that are there.
#[test]
fn regression_an_unread_sequence_holds_no_more_than_its_bytes() {
    // [[8, 0, {0: 1(1), 1: 37(h'e3ee…'), 2: {0xbaba01d8 entries: 11: 121(1), …}}]]
    let message = hex(
        "81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 babaab01d8 0b d879 01",
    );
    let batch = Batch::new(&message).unwrap();
    let mut packets = batch.iter();
    let Some(Ok(Packet::Event(xentara_ws::Event::DataChange(change)))) = packets.next() else {
        panic!()
    };
    assert_eq!(change.values.len(), 0xbaab01d8);
    let values: Vec<_> = change.values.iter().collect();
    assert_eq!(values.len(), 2);
    assert!(values[0].is_ok());
    let e = *values[1].as_ref().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (DecodeErrorKind::Truncated, 38));
    let mut out = [0u8; 64];
    let n = Packet::Event(xentara_ws::Event::DataChange(change))
        .encode_message(&mut out)
        .unwrap();
    assert_eq!(
        out[..n],
        hex("81 83 08 00 a3 00 c101 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a1 0b d879 01")[..]
    );
    let e = packets.next().unwrap().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (DecodeErrorKind::Truncated, 38));
}

/// Found by `roundtrip`: the nesting limit counts from where each generic value starts. A
/// read response whose value nests 15 arrays deep under its tag 121 reads when typed (the
/// value is the generic part: 15 levels), which is how a client reads it by reference; a
/// step over the whole item, as iterating by value does, counts the item's map and the tag
/// too (17 levels) and refuses it.
#[test]
fn regression_a_typed_last_part_counts_nesting_from_its_generic_values() {
    // [[1, 7, {11: 121([[[… 15 …[0]…]]])}]]
    let message = hex(&format!("81 83 01 07 a1 0b d879 {} 00", "81 ".repeat(15)));
    let batch = Batch::new(&message).unwrap();
    let mut packets = batch.iter();
    let Some(Ok(Packet::Success(success))) = packets.next() else {
        panic!()
    };
    let Ok(Response::Read(results)) = success.response(Opcode::Read) else {
        panic!()
    };
    assert!(results.check().is_ok());
    assert!(packets.next().is_none());
    let by_value: Vec<_> = Batch::new(&message).unwrap().into_iter().collect();
    let [Err(e)] = by_value.as_slice() else {
        panic!("{by_value:?}")
    };
    assert_eq!((e.kind(), e.id()), (DecodeErrorKind::TooDeep, Some(7)));
}

/// Found by `decode_message`: an event whose values declare two entries with one byte
/// after them. For a moment the count was cut to what the bytes hold (none), the
/// iteration took that for the end, and the batch saw the byte as trailing. The iteration
/// yields the first entry's error and ends (its bytes cannot be stepped over), and the
/// batch ends with the truncation.
#[test]
fn regression_a_cut_sequence_is_truncated_not_followed_by_trailing_bytes() {
    // [[8, 0, {0: 1(1700000000), 1: 37(h'e3ee…'), 2: {2 entries: "…" cut}}]]
    let message =
        hex("81 83 08 00 a3 00 c11a6553f100 01 d82550e3ee10714d884ba18e5d0f1e4ce25ee8 02 a2 65");
    let batch = Batch::new(&message).unwrap();
    let mut packets = batch.iter();
    let Some(Ok(Packet::Event(xentara_ws::Event::DataChange(change)))) = packets.next() else {
        panic!()
    };
    let values: Vec<_> = change.values.iter().collect();
    // The first entry's key is text, then the bytes end: that error, and no more entries.
    let [Err(e)] = values.as_slice() else {
        panic!("{values:?}")
    };
    assert_eq!(
        (e.kind(), e.offset()),
        (
            DecodeErrorKind::WrongType(xentara_ws::Expected::AttributeId),
            34
        )
    );
    let e = packets.next().unwrap().unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.field()),
        (DecodeErrorKind::Truncated, 34, "data_change.values")
    );
    assert!(packets.next().is_none());
}

/// Found by `decode_message`: a meta-data item whose attribute list is walked when the
/// item is typed. Iterating the list afterwards recorded the list's end in the batch's
/// one-word frontier, over the item's end that typing had recorded; the batch then stepped
/// over the item again, from the message's nesting depth, and refused its 16 nested tags
/// as too deep. A sequence records its end only when it was left for its iteration.
#[test]
fn regression_iterating_a_walked_sequence_keeps_the_items_end() {
    // [[1, 65, {0: "Group 2.Data Point t", 1: 2, 2: [{…}, 6(6(…16 tags…(2)))]}]]
    let message = hex(&format!(
        "81 83 01 1841 a3 00 74 {} 01 02 02 82 \
         a4 00 65 76397f590b 02 c6c62b 02 c6c6c6c6c602 c6c62b 02 {} 02",
        "4772 6f75 7020 322e 4461 7461 2050 6f69 6e74 2074",
        "c6 ".repeat(16)
    ));
    let batch = Batch::new(&message).unwrap();
    let mut packets = batch.iter();
    let Some(Ok(Packet::Success(success))) = packets.next() else {
        panic!()
    };
    let Ok(Response::MetaData(item)) = success.response(Opcode::MetaData) else {
        panic!()
    };
    let errors: Vec<_> = item
        .attributes
        .unwrap()
        .iter()
        .map(|a| {
            let e = a.unwrap_err();
            (e.kind(), e.offset(), e.field(), e.id())
        })
        .collect();
    use xentara_ws::Expected;
    assert_eq!(
        errors,
        [
            (
                DecodeErrorKind::WrongType(Expected::UnsignedInteger),
                41,
                "attribute_info.access",
                Some(65)
            ),
            (
                DecodeErrorKind::WrongType(Expected::Map),
                55,
                "attribute_info",
                Some(65)
            ),
        ]
    );
    assert!(packets.next().is_none());
}

/// Found by `roundtrip` and `decode_message` in the first 20-minute campaign: the fuzz
/// check held `Batch::remaining` to the count of an iteration by reference that had read
/// every packet's last part under every opcode. Stepping over a last part counts nesting
/// from the part, its typed reader from each generic value in it, so a part too deep to
/// step over can read as a meta-data item, and the iteration then goes on past the
/// `TooDeep` that `remaining` counted as the end. The library keeps that (documented on
/// `remaining`); the check now compares `remaining` with iterations that step over.
#[test]
fn regression_remaining_counts_last_parts_as_stepped_over() {
    // [_ 22(22(22(22(0)))), 0, 8, 0, [1, 1, 0], [1, 1, {22(…): 0}], 8, 0,
    //    [1, 1, {22(18(22(… 16 tags …(12)))): 12, …}], …]
    let message = hex(concat!(
        "9fd6d6d6d60000080083010100830101a1d6d6d6d600000800830101",
        "a1d6d2d6d6d6d6d6d6d6d6d6d6d6d6d6d60c0cd603e9810129008302",
        "1801000000d6d60c0cd603e98101290083021801000000ff",
    ));
    let kinds = |packets: xentara_ws::Packets<'_>| -> Vec<_> {
        packets
            .map(|p| p.map(|p| p.id()).map_err(|e| (e.kind(), e.offset())))
            .collect()
    };
    let not_a_packet = |at| Err((DecodeErrorKind::NotAPacket, at));
    let mut expected = vec![not_a_packet(1), not_a_packet(6), not_a_packet(7)];
    expected.extend([not_a_packet(8), Ok(Some(1)), Ok(Some(1))]);
    expected.extend([not_a_packet(23), not_a_packet(24)]);
    let too_deep = Err((DecodeErrorKind::TooDeep, 44));

    // By value the packet at 25 is the error: nine results, as `remaining` says.
    let batch = Batch::new(&message).unwrap();
    assert_eq!(Batch::new(&message).unwrap().into_iter().remaining(), 9);
    let mut by_value = expected.clone();
    by_value.push(too_deep);
    assert_eq!(kinds(Batch::new(&message).unwrap().into_iter()), by_value);

    // By reference, stepping over: the packet, then its last part's error; ten.
    assert_eq!(batch.iter().remaining(), 10);
    let mut by_reference = expected.clone();
    by_reference.extend([Ok(Some(1)), too_deep]);
    assert_eq!(kinds(batch.iter()), by_reference);

    // Typed as a meta-data item, the last part reads, and the iteration goes on.
    let mut packets = batch.iter();
    let Some(Ok(Packet::Success(success))) = packets.nth(8) else {
        panic!("the ninth result is a success")
    };
    let item = success.response(Opcode::MetaData);
    assert!(item.is_ok(), "{item:?}");
    let rest = kinds(packets);
    assert_eq!((rest.len(), rest[0]), (18, not_a_packet(47)), "{rest:?}");
    checks::check_batch(&message);
}

/// Found by `typed_api`: `TimePoint::to_duration` gave `None` for `0 × 10^e` with `e`
/// above 29 (the scale overflowed before the zero mantissa was looked at) and for a
/// positive mantissa with an exponent below -2³² (the exponent did not fit a `u32`),
/// though both are in range: zero, and less than a nanosecond after the epoch. `None` is
/// documented for before the epoch, the infinite points and beyond `Duration` only.
#[test]
fn regression_to_duration_of_zero_and_of_less_than_a_nanosecond() {
    use std::time::Duration;
    use xentara_ws::TimePoint;
    for exponent in [46, 400, i64::MAX, i64::MIN, -5_000_000_000] {
        let zero = TimePoint::Decimal {
            exponent,
            mantissa: 0,
        };
        assert_eq!(zero.to_duration(), Some(Duration::ZERO), "{zero:?}");
    }
    for exponent in [-100, -5_000_000_000, i64::MIN] {
        let tiny = TimePoint::Decimal {
            exponent,
            mantissa: 5,
        };
        assert_eq!(tiny.to_duration(), Some(Duration::ZERO), "{tiny:?}");
    }
    // Still beyond the range, and before the epoch.
    for (exponent, mantissa) in [(i64::MAX, 1), (400, 1), (-3, -1), (i64::MIN, -1)] {
        let t = TimePoint::Decimal { exponent, mantissa };
        assert_eq!(t.to_duration(), None, "{t:?}");
    }
}

/// Found by `typed_api`: a text that came in several chunks printed a single quote as
/// `\'` (`char::escape_debug`), where `str`'s `Debug`, which `Text`'s documents it follows,
/// leaves it as it is; so did a `Value::Text`'s `Display`.
#[test]
fn regression_chunked_text_debug_prints_quotes_as_str_does() {
    use xentara_ws::Value;
    // 0x7f "it'" "s \"x\"\n" 0xff: the text `it's "x"` and a newline, in two chunks.
    let mut bytes = vec![0x7f, 0x63];
    bytes.extend(b"it'");
    bytes.push(0x66);
    bytes.extend(b"s \"x\"\n");
    bytes.push(0xff);
    let text: Text<'_> = xentara_ws::decode(&bytes).unwrap();
    assert_eq!(text.as_str(), None, "kept in chunks");
    let whole = "it's \"x\"\n";
    assert_eq!(format!("{text:?}"), format!("{whole:?}"));
    assert_eq!(Value::Text(text).to_string(), format!("{whole:?}"));
}

/// Found by `typed_api`'s campaign: an indefinite sequence whose element was not
/// well-formed moved the reader one byte past the end of the message (it stepped over the
/// break it had not seen), so `Packets::position` after that packet's error was past the
/// message too.
#[test]
fn regression_a_failed_indefinite_sequence_leaves_the_position_in_the_message() {
    // [[…], [0, 2, 0, {0: [_ 0, -14, {…}]…: the second packet's ids: an indefinite array
    // whose third element, a map of 2, is cut by a break.
    let message: &[u8] = &[
        0x88, 0x39, 0x7f, 0x59, 0x88, 0x00, 0x18, 0x02, 0x00, 0xb8, 0x14, 0x00, 0x9f, 0x00, 0x2d,
        0xa2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x50, 0x79, 0x02,
    ];
    let batch = Batch::new(message).unwrap();
    let mut packets = batch.iter();
    let mut seen = Vec::new();
    while let Some(packet) = packets.next() {
        let e = packet.unwrap_err();
        let field = e.to_string();
        seen.push((e.kind(), e.offset(), e.id(), packets.position(), field));
    }
    assert_eq!(
        seen,
        [
            (DecodeErrorKind::NotAPacket, 1, None, 4, seen[0].4.clone()),
            (
                DecodeErrorKind::InvalidCbor,
                16,
                Some(2),
                27,
                "malformed CBOR in server_information.ids at byte 16".to_owned()
            ),
        ]
    );
    checks::check_batch(message);
}
