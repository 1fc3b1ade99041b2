//! Our generic CBOR walk (`Raw::new`, the structural skip) against an independent
//! decoder's on arbitrary bytes: ciborium's low-level decoder (`ciborium-ll`) reads every
//! head, and a small walk here applies the nesting and the few RFC 8949 rules ciborium-ll
//! leaves to its caller. Both must agree on whether the input is one well-formed item, on
//! its length, and on why it is not.
//!
//! The rules added on top of ciborium-ll, each one RFC 8949's:
//! - `f8 xx` with `xx < 32` is not well-formed (§3.3; ciborium-ll returns `Simple(xx)`);
//! - a chunk of an indefinite-length string is a definite-length string of the same major
//!   type (§3.2.3; ciborium-ll's `Segments` also accepts nested indefinite chunks).
//!
//! And the crate's documented limit: nesting deeper than `MAX_DEPTH` is `TooDeep`. A string
//! of several chunks is well-formed: both accept it.
//!
//! UTF-8: valid UTF-8 in text strings is a validity rule, not a well-formedness one
//! (§5.3.1), and the skip checks well-formedness only (a text's UTF-8 is checked when the
//! text is read as text, so no byte is checked twice). So the walk compared with the skip
//! does not look at UTF-8: invalid UTF-8 inside skipped text is not a mismatch. Where the
//! input is a text string, it is also read as one (`decode::<Text>`) and compared with the
//! walk that does check UTF-8, chunk by chunk (§3.2.3).
#![no_main]

use ciborium_ll::{Decoder, Header};
use xentara_ws::DecodeErrorKind as K;
use xentara_ws::{MAX_DEPTH, Raw, Text};

/// What the independent walk found.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// One well-formed item of this many bytes.
    Item(usize),
    /// Not one well-formed item (or a limit was hit), for this reason.
    Error(K),
}

/// Maps a ciborium-ll error: end of input is truncation, anything else malformed.
fn fail<E>(e: ciborium_ll::Error<E>) -> K {
    match e {
        ciborium_ll::Error::Io(_) => K::Truncated,
        ciborium_ll::Error::Syntax(_) => K::InvalidCbor,
    }
}

/// Reads `len` content bytes; with `utf8`, text must be valid UTF-8.
fn content(d: &mut Decoder<&[u8]>, len: usize, text: bool, utf8: bool) -> Result<(), K> {
    use ciborium_io::Read;
    let mut buf = vec![0u8; len.min(1 << 16)];
    if len > buf.len() {
        return Err(K::Truncated); // fuzz inputs are far smaller than 64 KiB
    }
    d.read_exact(&mut buf).map_err(|_| K::Truncated)?;
    if text && utf8 && std::str::from_utf8(&buf).is_err() {
        return Err(K::InvalidUtf8);
    }
    Ok(())
}

/// A string after its head: definite, or chunks of definite strings of the same type.
///
/// A chunk's initial byte is judged before its argument is read (as our reader does), so a
/// chunk of the wrong type whose argument is cut off is malformed, not truncated.
fn string(
    data: &[u8],
    d: &mut Decoder<&[u8]>,
    len: Option<usize>,
    text: bool,
    utf8: bool,
) -> Result<(), K> {
    if let Some(len) = len {
        return content(d, len, text, utf8);
    }
    let major = if text { 3 } else { 2 };
    loop {
        match data.get(d.offset()) {
            Some(&b) if b != 0xff && (b >> 5 != major || b & 0x1f == 31) => {
                return Err(K::InvalidCbor);
            }
            _ => {}
        }
        match d.pull().map_err(fail)? {
            Header::Break => break,
            Header::Bytes(Some(n)) if !text => content(d, n, text, utf8)?,
            Header::Text(Some(n)) if text => content(d, n, text, utf8)?,
            _ => return Err(K::InvalidCbor),
        }
    }
    Ok(())
}

/// Walks one item with an explicit stack: items left per level, `None` = until a break.
/// With `utf8`, text strings must also be valid UTF-8 (validity, not well-formedness).
fn walk(data: &[u8], utf8: bool) -> Verdict {
    let mut d = Decoder::from(data);
    let mut levels: Vec<Option<u64>> = vec![Some(1)];
    let result = (|| -> Result<(), K> {
        loop {
            while levels.last() == Some(&Some(0)) {
                levels.pop();
            }
            let Some(&top) = levels.last() else {
                return Ok(());
            };
            let at = d.offset();
            let header = d.pull().map_err(fail)?;
            match (header, top) {
                (Header::Break, None) => {
                    *levels.last_mut().unwrap() = Some(0);
                    continue;
                }
                (Header::Break, Some(_)) => return Err(K::InvalidCbor),
                (_, Some(n)) => *levels.last_mut().unwrap() = Some(n - 1),
                (_, None) => {}
            }
            let open = match header {
                Header::Simple(x) if x < 32 && data[at] == 0xf8 => return Err(K::InvalidCbor),
                Header::Bytes(len) => {
                    string(data, &mut d, len, false, utf8)?;
                    None
                }
                Header::Text(len) => {
                    string(data, &mut d, len, true, utf8)?;
                    None
                }
                Header::Array(len) => Some(len.map(|n| n as u64)),
                Header::Map(len) => Some(len.map(|n| (n as u64).saturating_mul(2))),
                Header::Tag(_) => Some(Some(1)),
                _ => None,
            };
            match open {
                None | Some(Some(0)) => {}
                Some(items) => {
                    levels.push(items);
                    if levels.len() - 1 > MAX_DEPTH {
                        return Err(K::TooDeep);
                    }
                }
            }
        }
    })();
    match result {
        Ok(()) if d.offset() < data.len() => Verdict::Error(K::TrailingBytes),
        Ok(()) => Verdict::Item(d.offset()),
        Err(kind) => Verdict::Error(kind),
    }
}

/// Our verdict: one item of this many bytes, or why not.
fn verdict(result: Result<usize, xentara_ws::DecodeError>, data: &[u8]) -> Verdict {
    match result {
        Ok(len) => Verdict::Item(len),
        Err(e) => {
            assert!(e.offset() <= data.len(), "{e:?} points past the input");
            Verdict::Error(e.kind())
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Well-formedness: the skip does not look at UTF-8.
    let ours = verdict(Raw::new(data).map(|raw| raw.as_bytes().len()), data);
    assert_eq!(ours, walk(data, false), "skip, input {data:02x?}");
    // A text string read as text: well-formed and valid UTF-8, chunk by chunk.
    if data.first().is_some_and(|b| b >> 5 == 3) {
        let text = xentara_ws::decode::<Text<'_>>(data);
        let ours = verdict(text.map(|_| data.len()), data);
        assert_eq!(ours, walk(data, true), "text, input {data:02x?}");
    }
});
