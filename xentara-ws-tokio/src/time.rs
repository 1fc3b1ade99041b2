//! Instants a duration after another, for any duration: `Duration::MAX` is how a user
//! says "never", and a peer may ask for rates as long as it likes. Past what an `Instant`
//! can hold, `+` panics; these are taken as 30 years, as tokio's own "far future".

use std::time::Duration;

use tokio::time::Instant;

/// As good as never.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `at + wait`, with `wait` at most 30 years.
pub(crate) fn after(at: Instant, wait: Duration) -> Instant {
    at + wait.min(FAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_too_long_to_add_is_30_years() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + FAR);
        assert_eq!(after(now, Duration::from_millis(u64::MAX)), now + FAR);
        assert_eq!(
            after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}
