//! The delay before each reconnect of the live socket: exponential backoff with equal jitter.

use crate::config::LiveConfig;
use std::time::Duration;

/// The delay before reconnect attempt `attempt` (0-based): `backoff_min · 2^attempt`, capped
/// at `backoff_max`, of which a random half (`rand01` in `[0, 1]`) is dropped ("equal jitter"),
/// so clients cut off together do not come back together yet never retry in a tight loop.
pub(crate) fn backoff(cfg: &LiveConfig, attempt: u32, rand01: f64) -> Duration {
    let min = cfg.backoff_min.as_millis() as u64;
    let max = (cfg.backoff_max.as_millis() as u64).max(min);
    let ceiling = min.saturating_mul(1u64 << attempt.min(32)).min(max);
    let r = if rand01.is_finite() {
        rand01.clamp(0.0, 1.0)
    } else {
        1.0
    };
    // `as` saturates; the product is within [ceiling/2, ceiling].
    Duration::from_millis((ceiling as f64 * (0.5 + 0.5 * r)) as u64)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn cfg() -> LiveConfig {
        LiveConfig::default()
    }
    #[test]
    fn backoff_doubles_from_half_a_second_to_a_thirty_second_cap() {
        let full: Vec<u64> = (0..10)
            .map(|a| backoff(&cfg(), a, 1.0).as_millis() as u64)
            .collect();
        assert_eq!(
            full,
            [
                500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000
            ]
        );
        assert_eq!(backoff(&cfg(), u32::MAX, 1.0), Duration::from_secs(30));
    }

    #[test]
    fn backoff_jitter_keeps_at_least_half_of_the_delay() {
        assert_eq!(backoff(&cfg(), 0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff(&cfg(), 3, 0.5), Duration::from_millis(3000));
        assert_eq!(backoff(&cfg(), 6, 0.0), Duration::from_secs(15));
        // Out-of-range randomness is clamped, never a panic.
        assert_eq!(backoff(&cfg(), 0, f64::NAN), Duration::from_millis(500));
        assert_eq!(backoff(&cfg(), 0, -3.0), Duration::from_millis(250));
        assert_eq!(backoff(&cfg(), 0, 7.0), Duration::from_millis(500));
    }
}
