//! The input of a structured target: a sequence of steps, each one `arbitrary` value.

use arbitrary::{Arbitrary, Unstructured};

/// Steps per input at most, so that one input stays fast.
const MAX_STEPS: usize = 64;

/// The steps `u` holds: until it runs out or no longer makes one, at most `MAX_STEPS`.
/// With `FUZZ_DEBUG` set, each step is printed (to see what a crashing input does).
pub fn steps<'u, 'a: 'u, S: Arbitrary<'a> + std::fmt::Debug>(
    u: &'u mut Unstructured<'a>,
) -> impl Iterator<Item = S> + 'u {
    let debug = std::env::var_os("FUZZ_DEBUG").is_some();
    std::iter::from_fn(move || {
        if u.is_empty() {
            None
        } else {
            u.arbitrary().ok()
        }
    })
    .take(MAX_STEPS)
    .inspect(move |step| {
        if debug {
            eprintln!("{step:?}");
        }
    })
}
