//! How every size binary ends: a semihosting exit, success or failure (a panic fails). One
//! copy, so that the runtime the baseline measures is the one the others carry.

use cortex_m_semihosting::debug;

/// Ends the program: exit status 0 when `ok`.
#[inline(always)]
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Ends the program with a failure (one copy, however many places fail).
#[inline(never)]
pub fn fail() -> ! {
    exit(false)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    fail()
}
