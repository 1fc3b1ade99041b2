//! Stack high-water marks (paint, run, look for the lowest word overwritten) and
//! instruction counts (SysTick under QEMU's `-icount shift=0`, calibrated on a loop of known
//! length).

use core::hint::black_box;
use core::sync::atomic::{AtomicUsize, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::register::msp;

const PAINT: u32 = 0xCCCC_CCCC;

unsafe extern "C" {
    /// Top of the stack (cortex-m-rt's link.x: the end of RAM).
    static _stack_start: u32;
    /// The lowest address the stack may reach (cortex-m-rt: the end of .bss/.uninit).
    static _stack_end: u32;
}

fn top() -> usize {
    (&raw const _stack_start) as usize
}

fn bottom() -> usize {
    (&raw const _stack_end) as usize
}

/// The lowest stack address seen overwritten by any measurement so far.
static LOWEST: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Paints the free stack, 64 bytes below this function's stack pointer (its own frame may
/// be pushed after the register is read).
#[inline(never)]
fn paint() {
    let limit = (msp::read() as usize).saturating_sub(64);
    let mut p = bottom();
    while p + 4 <= limit {
        // SAFETY: between the end of the statics and the stack pointer: memory nothing
        // uses (no interrupt is enabled, so nothing is pushed meanwhile).
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// The lowest stack address whose paint is gone.
fn lowest_touched() -> usize {
    let mut p = bottom();
    // SAFETY: reads of RAM between the statics and the top of the stack.
    while p < top() && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    LOWEST.fetch_min(p, Ordering::Relaxed);
    p
}

/// The stack `f` uses, in bytes, below the caller's stack pointer.
#[inline(never)]
pub fn stack_of(f: &mut dyn FnMut()) -> usize {
    let sp = msp::read() as usize;
    paint();
    f();
    sp.saturating_sub(lowest_touched())
}

/// The stack high-water mark since reset (cortex-m-rt's `paint-stack` painted it all), in
/// bytes: the deepest of the measured calls and of everything after the last of them.
pub fn high_water() -> usize {
    let low = lowest_touched().min(LOWEST.load(Ordering::Relaxed));
    top() - low
}

/// The stack reserved: from the end of the statics to the end of RAM.
pub fn stack_size() -> usize {
    top() - bottom()
}

/// Counts instructions with SysTick, which QEMU drives from virtual time: with
/// `-icount shift=0` that is one nanosecond per executed instruction.
pub struct Counter {
    /// Instructions per SysTick tick, ×1000 (from a calibration loop).
    per_tick_milli: u64,
    /// Ticks of `ROUNDS` iterations of an empty operation.
    empty: u64,
}

/// Iterations of each measured operation (a difference of 2×ROUNDS and ROUNDS cancels
/// the fixed cost; the empty operation's per-iteration cost is subtracted).
const ROUNDS: u32 = 500;

impl Counter {
    pub fn new(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_counter();
        // `spin(n)` executes 2n instructions (+ a constant).
        const SPIN: u32 = 200_000;
        let one = ticks(|| spin(SPIN));
        let two = ticks(|| spin(2 * SPIN));
        let per_tick_milli = (2 * SPIN as u64 * 1000) / two.saturating_sub(one).max(1);
        let mut counter = Counter {
            per_tick_milli,
            empty: 0,
        };
        counter.empty = counter.rounds(&mut || {});
        counter
    }

    /// Instructions per tick (×1000).
    pub fn per_tick_milli(&self) -> u64 {
        self.per_tick_milli
    }

    /// Net ticks of ROUNDS iterations of `op`.
    fn rounds(&self, op: &mut dyn FnMut()) -> u64 {
        let once = ticks(|| repeat(ROUNDS, op));
        let twice = ticks(|| repeat(2 * ROUNDS, op));
        twice.saturating_sub(once)
    }

    /// Instructions per call of `op`, ×10 (loop and call overhead subtracted).
    pub fn instructions_x10(&self, op: &mut dyn FnMut()) -> u64 {
        let net = self.rounds(op).saturating_sub(self.empty);
        net * self.per_tick_milli / (100 * ROUNDS as u64)
    }
}

#[inline(never)]
fn repeat(n: u32, op: &mut dyn FnMut()) {
    for _ in 0..black_box(n) {
        op();
    }
}

/// SysTick ticks elapsed during `f` (it counts down from 2^24 - 1 and must not wrap twice).
fn ticks(f: impl FnOnce()) -> u64 {
    let start = SYST::get_current();
    f();
    let end = SYST::get_current();
    u64::from(start.wrapping_sub(end) & 0x00FF_FFFF)
}

/// Executes `2 * n` instructions (plus a few).
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only loop.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, #1",
            "bne 2b",
            n = inout(reg) n => _,
            options(nomem, nostack),
        );
    }
}
