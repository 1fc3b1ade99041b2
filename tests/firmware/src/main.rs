//! The codec and the server session on an emulated Cortex-M4 (QEMU `mps2-an386`).
//!
//! Checks every spec and peer vector (typed value, re-encoding, diagnostic notation), the
//! malformed cases of `tests/vectors/malformed_firmware.json`, nesting at `MAX_DEPTH`, and
//! a server-session script; then prints stack high-water marks and
//! instructions per decode and encode. One line per failed check, a last line
//! `N passed, M failed`, and a semihosting exit that fails unless M is 0 (a panic or a
//! fault fails too).
//!
//! With the `defmt` feature every line goes out as a defmt frame (`defmt-semihosting`),
//! and a decoded request and a decode error are printed through the crate's
//! `defmt::Format`: decode with `defmt-print -e <elf>`.

#![no_std]
#![no_main]

use core::fmt::{self, Write as _};
use core::hint::black_box;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::debug;
use heapless::String;
use xentara_ws::{Batch, DecodeError, MAX_DEPTH, Packet, Raw, Success, encode_batch};

/// Prints one line on the host: semihosting text, or a defmt frame with `defmt`.
/// Arguments are `&str` and integers only, so both formatters take them.
macro_rules! say {
    ($($arg:tt)*) => {{
        #[cfg(not(feature = "defmt"))]
        cortex_m_semihosting::hprintln!($($arg)*);
        #[cfg(feature = "defmt")]
        defmt::println!($($arg)*);
    }};
}

mod context;
mod measure;
mod session;

#[cfg(feature = "defmt")]
use defmt_semihosting as _;

/// The vectors, embedded by build.rs from `tests/vectors/*.json`.
mod vectors {
    pub struct Vector {
        pub name: &'static str,
        pub bytes: &'static [u8],
        pub canonical: bool,
        /// The number of packets.
        pub packets: usize,
        /// `{:?}` of each typed packet, one a line, as the host build renders it.
        pub typed: &'static str,
        /// The host's re-encoding when the vector is not canonical (else empty).
        pub reencoded: &'static [u8],
        /// The file's diagnostic notation (hex in lower case).
        pub diagnostic: &'static str,
    }

    pub struct Malformed {
        pub name: &'static str,
        pub bytes: &'static [u8],
        /// `{:?}` of the `DecodeErrorKind`.
        pub kind: &'static str,
        pub code: i64,
        pub offset: usize,
        pub field: &'static str,
        pub id: Option<i64>,
    }

    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

    /// The vector called `name`.
    pub fn named(name: &str) -> &'static Vector {
        match VECTORS.iter().find(|v| v.name == name) {
            Some(v) => v,
            None => panic!("no vector {}", name),
        }
    }
}

/// Counts checks and prints one line per failure.
#[derive(Default)]
pub struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    /// Records a check: `what` names it, `detail` says how it failed.
    pub fn check(&mut self, ok: bool, what: &str, detail: fmt::Arguments<'_>) {
        if ok {
            self.passed += 1;
        } else {
            self.fail(what, detail);
        }
    }

    pub fn fail(&mut self, what: &str, detail: fmt::Arguments<'_>) {
        self.failed += 1;
        let mut text: String<400> = String::new();
        let _ = text.write_fmt(detail);
        say!("FAIL {}: {}", what, text.as_str());
    }
}

/// Compares formatted output with an expected text as it is written (no buffer).
struct Matcher<'e> {
    expected: &'e str,
    at: usize,
    diverged: bool,
}

impl<'e> Matcher<'e> {
    fn new(expected: &'e str) -> Self {
        Matcher {
            expected,
            at: 0,
            diverged: false,
        }
    }

    fn matched(&self) -> bool {
        !self.diverged && self.at == self.expected.len()
    }
}

impl fmt::Write for Matcher<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !self.diverged {
            match self.expected.get(self.at..) {
                Some(rest) if rest.starts_with(s) => self.at += s.len(),
                _ => self.diverged = true,
            }
        }
        Ok(())
    }
}

/// Up to 100 bytes of `s` around `at`, cut at char boundaries.
fn around(s: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(30).min(s.len());
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + 100).min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[start..end]
}

/// Reports where `rendered` (formatted again into a buffer) leaves `m.expected`.
fn mismatch(t: &mut Tally, what: &str, m: &Matcher<'_>, render: impl Fn(&mut String<2048>)) {
    let mut actual = String::new();
    render(&mut actual);
    let at = m.at;
    t.fail(
        what,
        format_args!(
            "differs at byte {at}:\n  expected …{}\n  actual   …{}",
            around(m.expected, at),
            around(&actual, at)
        ),
    );
}

/// Decodes a vector's packets, typing success items like the host test does.
fn decode_typed<'b>(
    v: &vectors::Vector,
    bytes: &'b [u8],
) -> Result<heapless::Vec<Packet<'b>, 4>, DecodeError> {
    let mut packets = heapless::Vec::new();
    for p in Batch::new(bytes)? {
        let p = match p? {
            Packet::Success(s) => match context::context(v.name, s.id) {
                Some(op) => {
                    let response = s.response(op)?;
                    response.check()?;
                    Packet::Success(Success::new(s.id, response))
                }
                None => Packet::Success(s),
            },
            other => other,
        };
        // Vectors hold at most 3 packets.
        let _ = packets.push(p);
    }
    Ok(packets)
}

fn render_typed(packets: &[Packet<'_>], out: &mut dyn fmt::Write) {
    for p in packets {
        let _ = writeln!(out, "{p:?}");
    }
}

/// Every vector: the typed value, the re-encoding, the diagnostic notation.
fn check_vectors(t: &mut Tally) {
    for v in vectors::VECTORS {
        let packets = match decode_typed(v, v.bytes) {
            Ok(p) => p,
            Err(e) => {
                t.fail(v.name, format_args!("does not decode: {e}"));
                continue;
            }
        };
        let what = Label::new(v.name, "typed value");
        let mut m = Matcher::new(v.typed);
        render_typed(&packets, &mut m);
        if m.matched() && packets.len() == v.packets {
            t.check(true, "", format_args!(""));
        } else {
            mismatch(t, what.as_str(), &m, |s| render_typed(&packets, s));
        }

        let what = Label::new(v.name, "re-encoding");
        let mut buf = [0u8; 512];
        match encode_batch(&packets, &mut buf) {
            Ok(n) => {
                let want = if v.canonical { v.bytes } else { v.reencoded };
                t.check(
                    &buf[..n] == want && (v.canonical || &buf[..n] != v.bytes),
                    what.as_str(),
                    format_args!("got {:02x?}, want {:02x?}", &buf[..n], want),
                );
            }
            Err(e) => t.fail(what.as_str(), format_args!("{e}")),
        }

        let what = Label::new(v.name, "diagnostic notation");
        match Raw::new(v.bytes) {
            Ok(raw) => {
                let mut m = Matcher::new(v.diagnostic);
                let _ = write!(m, "{raw}");
                if m.matched() {
                    t.check(true, "", format_args!(""));
                } else {
                    mismatch(t, what.as_str(), &m, |s| {
                        let _ = write!(s, "{raw}");
                    });
                }
            }
            Err(e) => t.fail(what.as_str(), format_args!("{e}")),
        }
    }
}

/// `"<vector>: <check>"`.
pub struct Label(String<120>);

impl Label {
    pub fn new(name: &str, check: &str) -> Self {
        let mut s = String::new();
        let _ = write!(s, "{name}: {check}");
        Label(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first error decoding `bytes` gives, lazily read parts (sequences) included.
fn first_error(bytes: &[u8]) -> Option<DecodeError> {
    match Batch::new(bytes) {
        Err(e) => Some(e),
        Ok(batch) => batch.iter().find_map(|p| p.and_then(|p| p.check()).err()),
    }
}

/// Every malformed case: the exact kind, spec code, offset, field and message id.
fn check_malformed(t: &mut Tally) {
    for m in vectors::MALFORMED {
        let what = Label::new("malformed", m.name);
        let Some(e) = first_error(m.bytes) else {
            t.fail(what.as_str(), format_args!("decoded without error"));
            continue;
        };
        let mut kind: String<64> = String::new();
        let _ = write!(kind, "{:?}", e.kind());
        let ok = kind.as_str() == m.kind
            && e.code().code() == m.code
            && e.offset() == m.offset
            && e.field() == m.field
            && e.id() == m.id;
        t.check(
            ok,
            what.as_str(),
            format_args!(
                "got {} ({}) at {} in {:?} id {:?}, want {} ({}) at {} in {:?} id {:?}",
                kind,
                e.code().code(),
                e.offset(),
                e.field(),
                e.id(),
                m.kind,
                m.code,
                m.offset,
                m.field,
                m.id
            ),
        );
    }
}

/// write.request up to its value: `[[0, 65, 5, {0: 37(h'E3EE…'), 1: 11, 2: ` …
const WRITE_PREFIX: usize = 30;

/// write.request whose value is `depth` nested one-element arrays around a 0.
fn nested(depth: usize, buf: &mut [u8; 64]) -> &[u8] {
    let write = vectors::named("write.request").bytes;
    buf[..WRITE_PREFIX].copy_from_slice(&write[..WRITE_PREFIX]);
    buf[WRITE_PREFIX..WRITE_PREFIX + depth].fill(0x81);
    buf[WRITE_PREFIX + depth] = 0x00;
    &buf[..WRITE_PREFIX + depth + 1]
}

/// Decodes every packet of `bytes` and every lazily read part of it (the measured
/// "decode"): the first error, if any.
#[inline(never)]
fn decode(bytes: &[u8]) -> Result<usize, DecodeError> {
    let mut n = 0;
    // By reference: each byte walked once (a last sequence by its check).
    for p in &Batch::new(bytes)? {
        let p = p?;
        p.check()?;
        black_box(p);
        n += 1;
    }
    Ok(n)
}

/// A value nested `MAX_DEPTH` deep decodes (and prints); one level more is -32700.
fn check_depth(t: &mut Tally, stack: &mut Stack) {
    let write = vectors::named("write.request").bytes;
    t.check(
        write.len() == WRITE_PREFIX + 1 && write[WRITE_PREFIX] == 0xf5,
        "nesting: write.request ends with its value, true",
        format_args!("{write:02x?}"),
    );
    let mut buf = [0u8; 64];
    let deepest = nested(MAX_DEPTH, &mut buf);
    let mut result = Ok(0);
    stack.deep = measure::stack_of(&mut || result = decode(black_box(deepest)));
    t.check(
        result == Ok(1),
        "nesting: MAX_DEPTH deep",
        format_args!("{result:?}"),
    );
    let mut buf1 = [0u8; 64];
    let shallow = nested(1, &mut buf1);
    stack.shallow = measure::stack_of(&mut || result = decode(black_box(shallow)));

    // Printing it recurses once per level.
    let mut text: String<256> = String::new();
    stack.deep_debug = measure::stack_of(&mut || {
        if let Ok(Some(Ok(p))) = Batch::new(deepest).map(|b| b.into_iter().next()) {
            let _ = write!(text, "{p:?}");
        }
    });
    let mut inner: String<64> = String::new();
    for _ in 0..MAX_DEPTH {
        let _ = inner.push('[');
    }
    let _ = inner.push('0');
    for _ in 0..MAX_DEPTH {
        let _ = inner.push(']');
    }
    t.check(
        text.contains(inner.as_str()),
        "nesting: MAX_DEPTH deep, printed",
        format_args!("{text}"),
    );

    let mut buf = [0u8; 64];
    let too_deep = nested(MAX_DEPTH + 1, &mut buf);
    let e = first_error(too_deep);
    let got = e.map(|e| (e.kind(), e.offset(), e.field(), e.id(), e.code().code()));
    let want = (
        xentara_ws::DecodeErrorKind::TooDeep,
        WRITE_PREFIX + MAX_DEPTH,
        "write.value",
        Some(65),
        -32700,
    );
    t.check(
        got == Some(want),
        "nesting: MAX_DEPTH + 1 deep",
        format_args!("got {e:?}, want {want:?}"),
    );
}

/// Stack used by each measured part, in bytes below its caller.
#[derive(Default)]
pub struct Stack {
    vectors: usize,
    malformed: usize,
    deep: usize,
    shallow: usize,
    deep_debug: usize,
    session: usize,
}

/// Instructions per decode and per encode of three messages.
fn count_instructions(counter: &measure::Counter) {
    let seed: &[u8] = &[
        0x81, 0x84, 0x00, 0x18, 0x41, 0x0d, 0xa1, 0x00, 0xd8, 0x25, 0x50, 0xe3, 0xee, 0x10, 0x71,
        0x4d, 0x88, 0x4b, 0xa1, 0x8e, 0x5d, 0x0f, 0x1e, 0x4c, 0xe2, 0x5e, 0xe8,
    ];
    let messages = [
        ("seed close_sub_session", seed),
        (
            "subscribe.request",
            vectors::named("subscribe.request").bytes,
        ),
        (
            "event.data_change",
            vectors::named("event.data_change").bytes,
        ),
    ];
    say!(
        "instructions (QEMU -icount shift=0, {}.{:03} per SysTick tick):",
        counter.per_tick_milli() / 1000,
        counter.per_tick_milli() % 1000
    );
    for (name, bytes) in messages {
        let mut packets: heapless::Vec<Packet<'_>, 4> = heapless::Vec::new();
        for p in Batch::new(bytes).into_iter().flatten().flatten() {
            let _ = packets.push(p);
        }
        let decode_x10 = counter.instructions_x10(&mut || {
            let _ = black_box(decode(black_box(bytes)));
        });
        let mut buf = [0u8; 128];
        let encode_x10 = counter.instructions_x10(&mut || {
            let _ = black_box(encode_batch(black_box(&packets), &mut buf));
        });
        say!(
            "  {} ({} bytes): decode {}.{}, encode {}.{}",
            name,
            bytes.len(),
            decode_x10 / 10,
            decode_x10 % 10,
            encode_x10 / 10,
            encode_x10 % 10
        );
    }
}

/// defmt in use: a decoded request and a decode error through `defmt::Format`.
#[cfg(feature = "defmt")]
fn defmt_demo() {
    let seed = vectors::named("close_sub_session.request").bytes;
    if let Ok(Some(Ok(packet))) = Batch::new(seed).map(|b| b.into_iter().next()) {
        defmt::println!("defmt request: {}", packet);
    }
    if let Some(e) = first_error(&[0x81, 0x83, 0x00, 0x18, 0x41, 0x0f]) {
        defmt::println!("defmt error: {}", e);
    }
}

#[entry]
fn main() -> ! {
    let core = cortex_m::Peripherals::take().unwrap();
    let mut t = Tally::default();
    let mut stack = Stack::default();
    say!(
        "xentara-ws firmware checks: {} vectors, {} malformed cases",
        vectors::VECTORS.len(),
        vectors::MALFORMED.len()
    );

    stack.vectors = measure::stack_of(&mut || check_vectors(&mut t));
    stack.malformed = measure::stack_of(&mut || check_malformed(&mut t));
    check_depth(&mut t, &mut stack);
    stack.session = session::run(&mut t);

    #[cfg(feature = "defmt")]
    defmt_demo();

    say!("stack (bytes below the caller):");
    say!(
        "  decode, value nested MAX_DEPTH = {}: {}",
        MAX_DEPTH,
        stack.deep
    );
    say!("  decode, value nested 1: {}", stack.shallow);
    say!(
        "  print the MAX_DEPTH message with Debug: {}",
        stack.deep_debug
    );
    say!(
        "  every vector (decode, type, Debug, encode): {}",
        stack.vectors
    );
    say!("  every malformed case: {}", stack.malformed);
    say!("  server session script: {}", stack.session);
    say!(
        "  (not counted: the session itself, {} bytes for 2 sub-sessions and 2 subscriptions \
         with their timers, and its reply storage, {} bytes for 1 reply of 4 packets/512 \
         bytes; a session with the default capacities is {} bytes without its storage)",
        session::SIZES.0,
        session::SIZES.1,
        session::SIZES.2
    );
    say!(
        "  (a Packet is {} bytes, a DecodeError {}, a Result of both {})",
        size_of::<Packet<'_>>(),
        size_of::<DecodeError>(),
        size_of::<Result<Packet<'_>, DecodeError>>()
    );
    say!(
        "  high-water since reset: {} of {}",
        measure::high_water(),
        measure::stack_size()
    );

    count_instructions(&measure::Counter::new(core.SYST));

    say!("{} passed, {} failed", t.passed, t.failed);
    exit(t.failed == 0)
}

fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(not(feature = "defmt"))]
    cortex_m_semihosting::hprintln!("panic: {}", info);
    #[cfg(feature = "defmt")]
    defmt::println!("panic: {}", defmt::Display2Format(info));
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    say!("hard fault at pc {}", frame.pc());
    exit(false)
}
