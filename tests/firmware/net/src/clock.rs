//! SysTick as a millisecond clock: the time of smoltcp and of the sessions' timers.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

/// The core clock of mps2-an386 (and of QEMU's model of it).
const CORE_HZ: u32 = 25_000_000;

/// Milliseconds since [`start`].
static MILLIS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick with an interrupt every millisecond.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`] (wraps after 49 days).
pub fn now() -> u64 {
    u64::from(MILLIS.load(Ordering::Relaxed))
}

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}
