//! The runtime alone (vector table, reset, semihosting exit): subtracted from the other
//! size binaries to give the codec's and the session's share.

#![no_std]
#![no_main]

#[path = "../exit.rs"]
mod exit;

use cortex_m_rt::entry;
use exit::exit;

#[entry]
fn main() -> ! {
    exit(true)
}
