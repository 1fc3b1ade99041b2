//! The stack's high-water mark: cortex-m-rt paints the stack at reset (`paint-stack`);
//! the lowest word whose paint is gone is as deep as the stack has been.

use cortex_m::register::msp;

/// cortex-m-rt's paint.
const PAINT: u32 = 0xCCCC_CCCC;

unsafe extern "C" {
    /// Top of the stack (cortex-m-rt's link.x: the end of RAM).
    static _stack_start: u32;
    /// The lowest address the stack may reach (the end of the statics).
    static _stack_end: u32;
}

/// The most stack used since reset, in bytes.
pub fn high_water() -> usize {
    let top = (&raw const _stack_start) as usize;
    let sp = msp::read() as usize;
    let mut p = (&raw const _stack_end) as usize;
    // SAFETY: reads of RAM between the end of the statics and the stack pointer, which
    // only the stack uses.
    while p < sp && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}
