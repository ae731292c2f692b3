//! Retry timing: exponential backoff with *full* jitter (a uniformly random delay between
//! zero and the exponential ceiling, after AWS's "Exponential Backoff and Jitter"), and the
//! server's `Retry-After` when it gives one. Hand-written because it is three lines and the
//! crates at hand (e.g. `backon`) add jitter *on top of* the delay instead of drawing the
//! whole delay, which keeps a herd of phones in step after an outage.

use std::time::Duration;

pub(crate) const BASE: Duration = Duration::from_millis(500);
pub(crate) const CAP: Duration = Duration::from_secs(300);

/// The ceiling for the `failures`-th consecutive failure (1-based): BASE * 2^(failures-1),
/// at most CAP.
pub(crate) fn ceiling(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    BASE.saturating_mul(1u32 << exp).min(CAP)
}

/// The delay before the next pass after `failures` consecutive failures. A server's
/// `Retry-After` is honoured as given (bounded by CAP so a hostile value cannot park the
/// queue for days).
pub(crate) fn delay(failures: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(CAP);
    }
    let ceiling_ms = u64::try_from(ceiling(failures).as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::random_range(0..=ceiling_ms))
}

/// Parses a `Retry-After` value in seconds (the form the reference server sends). The
/// HTTP-date form is ignored (the exponential delay applies instead).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        assert_eq!(ceiling(1), Duration::from_millis(500));
        assert_eq!(ceiling(2), Duration::from_secs(1));
        assert_eq!(ceiling(4), Duration::from_secs(4));
        assert_eq!(ceiling(30), CAP);
        assert_eq!(ceiling(u32::MAX), CAP);
    }

    #[test]
    fn full_jitter_stays_within_ceiling_and_spreads() {
        let draws: Vec<_> = (0..200).map(|_| delay(4, None)).collect();
        assert!(draws.iter().all(|d| *d <= ceiling(4)));
        // Full jitter: some draws land in the lower half of the window.
        assert!(draws.iter().any(|d| *d < ceiling(4) / 2));
    }

    #[test]
    fn retry_after_wins_and_is_bounded() {
        assert_eq!(
            delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(delay(1, Some(Duration::from_secs(86_400))), CAP);
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
