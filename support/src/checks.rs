//! The codec's invariants as functions that panic when one breaks. The fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and the integration tests run the same checks.

use xentara_ws::items::MetaDataItem;
use xentara_ws::params::{ClientHello, CreateSubSession, Subscribe, Write};
use xentara_ws::{
    AttrResult, Batch, BatchWriter, Command, DecodeError, DecodeErrorKind, EncodeError, ErrorCode,
    ErrorObject, Event, Opcode, Packet, Packets, Raw, Response, Seq, Success, TimePoint, Uuid,
    Value, decode as decode_value, encode_batch,
};

/// The four codes a decode error may answer with.
const DECODE_CODES: [ErrorCode; 4] = [
    ErrorCode::ParseError,
    ErrorCode::InvalidRequest,
    ErrorCode::CommandNotFound,
    ErrorCode::InvalidParameter,
];

/// A decode error of input `len` bytes long: a spec code, an offset inside the input.
pub fn check_error(e: &DecodeError, len: usize) {
    assert!(
        DECODE_CODES.contains(&e.code()),
        "{e:?} has code {}",
        e.code()
    );
    assert!(e.offset() <= len, "{e:?} points past the {len}-byte input");
    // Formatting what was decoded is part of the surface: it must not panic either.
    let _ = format!("{e} {e:?} {} {:?} {:?}", e.code(), e.kind(), e.code());
}

/// Decodes `data` every way the crate can: as a message (batch), as every opcode's
/// parameters and response item, and as each standalone type. Nothing may panic, every
/// error maps to a spec code and points inside the input, every lazily read sequence reads
/// to its end, and every packet accepted re-encodes stably.
pub fn check_message(data: &[u8]) {
    check_batch(data);
    match Raw::new(data) {
        Ok(raw) => {
            assert_eq!(raw.as_bytes(), data);
            let _ = raw.to_string();
        }
        Err(e) => check_error(&e, data.len()),
    }
    for &op in Opcode::ALL {
        for params in [Some(data), None] {
            match Command::decode_params(op, params) {
                Ok(command) => drop(check_lazy_command(&command, data.len())),
                Err(e) => check_error(&e, data.len()),
            }
        }
        match Response::decode_item(op, Some(data)) {
            Ok(response) => drop(check_lazy_response(&response, data.len())),
            Err(e) => check_error(&e, data.len()),
        }
    }
    check_type::<Value>(data);
    check_type::<TimePoint>(data);
    check_type::<Uuid>(data);
    check_type::<AttrResult>(data);
    check_type::<ErrorObject>(data);
    check_type::<Write>(data);
    check_type::<Subscribe>(data);
    check_type::<CreateSubSession>(data);
    check_type::<MetaDataItem>(data);
    check_type::<ClientHello>(data);
}

/// Decodes one `T` filling `data`: an accepted value is one well-formed item (nesting
/// aside: `MAX_DEPTH` counts from where each generic value starts, so a typed value may
/// nest deeper in all than one skip from its start allows).
fn check_type<'b, T: std::fmt::Debug + Decode<'b>>(data: &'b [u8]) {
    match T::decode(data) {
        Ok(value) => {
            if let Err(e) = Raw::new(data) {
                assert_eq!(e.kind(), DecodeErrorKind::TooDeep, "{e:?}");
            }
            // Debug reads every lazily read part.
            let _ = format!("{value:?}");
        }
        Err(e) => check_error(&e, data.len()),
    }
}

/// `xentara_ws::decode` for the types `check_type` checks.
pub trait Decode<'b>: Sized {
    fn decode(data: &'b [u8]) -> Result<Self, DecodeError>;
}

macro_rules! decode_types {
    ($($t:ty),*) => {
        $( impl<'b> Decode<'b> for $t {
            fn decode(data: &'b [u8]) -> Result<Self, DecodeError> {
                decode_value(data)
            }
        } )*
    };
}

decode_types!(
    Value<'b>,
    TimePoint,
    Uuid,
    AttrResult<'b>,
    ErrorObject<'b>,
    Write<'b>,
    Subscribe<'b>,
    CreateSubSession<'b>,
    MetaDataItem<'b>,
    ClientHello
);

/// Reads a sequence to its end: each error is a decode error inside the input, and the
/// iterator yields the `len()` items the sequence declares — or fewer, the last an error,
/// when its bytes end or are not well-formed. Returns how many errors it yielded.
fn check_seq<'b, T: Clone + 'b>(seq: &Seq<'b, T>, len: usize, each: impl Fn(&T) -> usize) -> usize
where
    for<'s> &'s Seq<'b, T>: IntoIterator<Item = Result<T, DecodeError>>,
{
    let (mut n, mut errors, mut last_ok) = (0, 0, true);
    for item in seq {
        n += 1;
        assert!(
            n <= seq.len(),
            "a sequence yielded more than its {} elements",
            seq.len()
        );
        last_ok = item.is_ok();
        match item {
            Ok(item) => errors += each(&item),
            Err(e) => {
                check_error(&e, len);
                errors += 1;
            }
        }
    }
    assert!(
        n == seq.len() || !last_ok,
        "a sequence yielded {n} of its {} elements, the last one valid",
        seq.len()
    );
    errors
}

/// Every lazily read part of a command, read; returns how many errors they gave.
pub fn check_lazy_command(command: &Command<'_>, len: usize) -> usize {
    fn none<T>(_: &T) -> usize {
        0
    }
    match command {
        Command::ServerInformation(p) => check_seq(&p.ids, len, none),
        Command::Browse(p) => p.categories.map_or(0, |c| check_seq(&c, len, none)),
        Command::MetaData(p) => check_seq(&p.ids, len, none),
        Command::Read(p) => check_seq(&p.attributes, len, none),
        Command::Subscribe(p) => {
            check_seq(&p.entries, len, |e| check_seq(&e.attributes, len, none))
        }
        _ => 0,
    }
}

/// Every lazily read part of a response, read; returns how many errors they gave.
pub fn check_lazy_response(response: &Response<'_>, len: usize) -> usize {
    fn none<T>(_: &T) -> usize {
        0
    }
    match response {
        Response::ServerInformation(s) => check_seq(s, len, none),
        Response::Browse(s) => check_seq(s, len, none),
        Response::MetaData(m) => m.attributes.map_or(0, |a| check_seq(&a, len, none)),
        Response::Read(s) => check_seq(s, len, none),
        _ => 0,
    }
}

/// Every lazily read part of a packet, read (a success item with every opcode); returns
/// how many errors they gave (a success item's, for items that type).
pub fn check_lazy_packet(packet: &Packet<'_>, len: usize) -> usize {
    match packet {
        Packet::Request(r) => check_lazy_command(&r.command, len),
        Packet::Success(s) => {
            // An item left for its reader that is not well-formed CBOR.
            let mut errors = usize::from(s.has_item() && s.item_bytes().is_none());
            for &op in Opcode::ALL {
                match s.response(op) {
                    Ok(response) => errors += check_lazy_response(&response, len),
                    Err(e) => {
                        check_error(&e, len);
                        assert!(e.id() == Some(s.id), "{e:?} lacks the packet's id");
                    }
                }
            }
            errors
        }
        Packet::Error(_) => 0,
        Packet::Event(Event::DataChange(d)) => check_seq(&d.values, len, |_| 0),
    }
}

/// The batch iterator, both ways (by reference: each byte walked once; by value: each
/// packet walked when read): ends, stops after a fatal error, yields what `remaining`
/// said, and every packet it yields reads to its end and re-encodes stably. Both ways see
/// the same packets and the same errors, except that a packet whose unread last part is
/// not well-formed comes by reference before that error, and by value as that error — and
/// that a last part read by its typed reader is held to the nesting limit of each generic
/// value in it (`MAX_DEPTH` from where each starts), where stepping over the part counts
/// from the part: by value such a packet is `TooDeep`, by reference it reads.
pub fn check_batch(data: &[u8]) {
    let batch = match Batch::new(data) {
        Ok(batch) => batch,
        Err(e) => {
            check_error(&e, data.len());
            assert!(e.is_fatal() || e.offset() == 0, "{e:?}");
            return;
        }
    };
    // `remaining` is the count, both ways, up to a fatal error — by reference as long as
    // each last part is stepped over: reading one with its typed reader can let the
    // iteration go on past a `TooDeep` (see below), which the loop checks packet by packet.
    let (once, counted) = walk(batch.iter(), data.len());
    let (eager, remaining) = walk(Batch::new(data).unwrap().into_iter(), data.len());
    let fatal = |results: &[Result<Option<i64>, DecodeError>]| matches!(results.last(), Some(Err(e)) if e.is_fatal());
    if !fatal(&eager) {
        assert_eq!(eager.len(), remaining, "Batch::remaining was not the count");
    }
    let mut eager = eager.iter().peekable();
    for (i, got) in once.iter().enumerate() {
        match (got, eager.peek()) {
            (a, Some(b)) if a == *b => {
                eager.next();
            }
            // A packet handed out before its malformed last part was walked: by value, the
            // packet is that error (with its id); by reference, it comes next.
            (Ok(id), Some(Err(e))) if e.kind() == DecodeErrorKind::TooDeep && e.id() == *id => {
                // By value the batch ends here; by reference it goes on.
                return;
            }
            (Ok(id), Some(Err(e))) if e.is_fatal() && e.id() == *id => {
                assert!(
                    matches!(once.get(i + 1), Some(Err(f)) if f.is_fatal() && f.id() == *id),
                    "packet {i}: by value {e:?}, by reference {once:?}"
                );
            }
            (a, b) => panic!("{data:02x?} packet {i}: by reference {a:?}, by value {b:?}"),
        }
    }
    if !fatal(&once) {
        assert_eq!(once.len(), counted, "Batch::remaining was not the count");
    }
    assert!(eager.next().is_none(), "by value yielded more: {once:?}");
}

/// Iterates `packets`, checking each; returns each packet's id (`Ok`) or error, and what
/// `remaining` said before.
fn walk(packets: Packets<'_>, len: usize) -> (Vec<Result<Option<i64>, DecodeError>>, usize) {
    let remaining = packets.remaining();
    let mut results = Vec::new();
    let mut fatal = false;
    for (i, item) in packets.enumerate() {
        assert!(i <= len, "the batch iterator does not end");
        assert!(!fatal, "the batch iterator went on after a fatal error");
        match item {
            Ok(packet) => {
                let _ = format!("{packet:?}");
                let lazy_errors = check_lazy_packet(&packet, len);
                check_reencode(&packet, len, lazy_errors == 0);
                results.push(Ok(packet.id()));
            }
            Err(e) => {
                check_error(&e, len);
                fatal = e.is_fatal();
                results.push(Err(e));
            }
        }
    }
    (results, remaining)
}

/// Encodes `packets` as one message with both writers; they must agree, and a buffer one
/// byte short must report the exact size.
pub fn encode(packets: &[Packet<'_>]) -> Vec<u8> {
    let n = match encode_batch(packets, &mut []) {
        Err(EncodeError::BufferTooSmall { required }) => required,
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    let mut buf = vec![0u8; n];
    assert_eq!(encode_batch(packets, &mut buf), Ok(n));
    if n > 0 {
        let mut short = vec![0u8; n - 1];
        assert_eq!(
            encode_batch(packets, &mut short),
            Err(EncodeError::BufferTooSmall { required: n })
        );
    }
    let mut out = vec![0u8; n];
    let mut w = BatchWriter::new(&mut out);
    for p in packets {
        w.push(p).expect("BatchWriter refused a packet that fits");
    }
    assert_eq!(w.finish().expect("BatchWriter::finish"), &buf[..]);
    buf
}

/// Decodes a whole message that must be valid; success items are typed with `opcodes[i]`.
pub fn decode<'b>(bytes: &'b [u8], opcodes: &[Option<Opcode>]) -> Vec<Packet<'b>> {
    let packets: Vec<_> = Batch::new(bytes)
        .and_then(|b| b.into_iter().collect::<Result<Vec<_>, _>>())
        .unwrap_or_else(|e| panic!("our own encoding {bytes:02x?} does not decode: {e}"));
    assert_eq!(packets.len(), opcodes.len());
    packets
        .into_iter()
        .zip(opcodes)
        .map(|(p, op)| match (p, op) {
            (Packet::Success(s), Some(op)) => {
                let response = s
                    .response(*op)
                    .unwrap_or_else(|e| panic!("our own {op} item does not decode: {e}"));
                Packet::Success(Success::new(s.id, response))
            }
            (p, _) => p,
        })
        .collect()
}

/// The opcode of a success built with `Success::new` (its response types under that
/// opcode only); `None` for one without an item of its own. Only for built packets: a
/// received item may type under several.
pub fn built_opcode(s: &Success<'_>) -> Option<Opcode> {
    if s.item_bytes().is_some() {
        return None;
    }
    let mut ops = Opcode::ALL.iter().filter(|&&op| s.response(op).is_ok());
    match (ops.next(), ops.next()) {
        (Some(&op), None) => Some(op),
        _ => None,
    }
}

/// The opcode each success packet's item is typed by (`None`: received, or not a success).
fn opcodes(packets: &[Packet<'_>]) -> Vec<Option<Opcode>> {
    packets
        .iter()
        .map(|p| match p {
            Packet::Success(s) => built_opcode(s),
            _ => None,
        })
        .collect()
}

/// Structured round trip: `decode(encode(packets)) == packets`, and encoding that again
/// gives the same bytes. Holds for every value the `arbitrary` feature generates.
pub fn check_roundtrip(packets: &[Packet<'_>]) {
    let bytes = encode(packets);
    let ops = opcodes(packets);
    let decoded = decode(&bytes, &ops);
    assert_eq!(decoded, packets, "decode(encode(x)) != x for {bytes:02x?}");
    assert_eq!(encode(&decoded), bytes, "re-encoding changed the bytes");
}

/// An accepted packet re-encodes to bytes that decode to the same packet (compared by
/// encoding, as NaN ≠ NaN), and its success item, typed by any opcode that accepts it, too.
/// Compared with `==` only when `comparable`: an element of a sequence that does not decode
/// is re-encoded as it came, so its error moves with the bytes before it.
fn check_reencode(packet: &Packet<'_>, len: usize, comparable: bool) {
    let once = encode(core::slice::from_ref(packet));
    // By reference and read as the packet was (every lazily read part, before the batch
    // moves on): a part read by its typed reader may nest a level deeper than a step over
    // it allows (see `check_batch`).
    let batch = Batch::new(&once).unwrap_or_else(|e| panic!("our own encoding {once:02x?}: {e}"));
    let mut back: Vec<Packet<'_>> = Vec::new();
    for p in &batch {
        let p = p.unwrap_or_else(|e| panic!("our own encoding {once:02x?} does not decode: {e}"));
        check_lazy_packet(&p, once.len());
        back.push(p);
    }
    assert_eq!(back.len(), 1);
    assert_eq!(
        encode(&back),
        once,
        "decode → encode → decode is not stable"
    );
    if comparable && self_equal(packet) {
        assert_eq!(&back[0], packet);
    }
    if let Packet::Success(s) = packet {
        for &op in Opcode::ALL {
            let response = match s.response(op) {
                Ok(r) => r,
                Err(e) => {
                    check_error(&e, len);
                    continue;
                }
            };
            let typed = Packet::Success(Success::new(s.id, response));
            let once = encode(core::slice::from_ref(&typed));
            // Read back as it was read: by reference, typed before the batch moves on.
            let batch = Batch::new(&once).unwrap();
            let mut packets = batch.iter();
            let back = match packets.next() {
                Some(Ok(Packet::Success(b))) => {
                    let response = b
                        .response(op)
                        .unwrap_or_else(|e| panic!("our own {op} item does not decode: {e}"));
                    check_lazy_response(&response, once.len());
                    Packet::Success(Success::new(b.id, response))
                }
                other => panic!("our own {op} item {once:02x?} reads as {other:?}"),
            };
            assert!(packets.next().is_none(), "{once:02x?}");
            assert_eq!(
                encode(core::slice::from_ref(&back)),
                once,
                "typed {op} item is not stable"
            );
            if check_lazy_packet(&typed, usize::MAX) == 0 && self_equal(&typed) {
                assert_eq!(back, typed);
            }
        }
    }
}

/// False when `x` holds a NaN somewhere (NaN ≠ NaN), so `==` cannot compare it.
#[allow(clippy::eq_op)]
fn self_equal<T: PartialEq>(x: &T) -> bool {
    x == x
}
