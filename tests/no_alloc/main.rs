//! The tests that count heap allocations: this binary's global allocator counts them.

mod codec;
mod session;

#[global_allocator]
static ALLOCATOR: xentara_ws_support::counting_alloc::Counting =
    xentara_ws_support::counting_alloc::Counting;
