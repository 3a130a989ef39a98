//! Token buckets per key, in this process's memory, with a hard cap on the number of keys.
//!
//! Used for token minting (`[server] token_mint_burst`, `token_mint_per_minute`) per
//! (host session, item) and per (API key, item). Each server instance counts on its own.
//!
//! Hand-written rather than `governor`'s keyed limiter: that one's map grows until it is swept
//! (`retain_recent`) and has no size cap, while here the map may never pass [`MAX_KEYS`]:
//! a full bucket is the same as no bucket, so those go first, and past that the bucket idle
//! the longest.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Most keys remembered at once.
pub const MAX_KEYS: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens left at `at`.
    tokens: f64,
    at: Instant,
}

/// A token bucket per key: `burst` at most, refilled by `per_minute`.
#[derive(Debug)]
pub struct RateLimiter<K> {
    burst: f64,
    per_sec: f64,
    cap: usize,
    map: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Buckets of `burst` tokens refilled with `per_minute` tokens a minute, at most
    /// [`MAX_KEYS`] of them. Both must be positive (the config validates them).
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self::with_cap(burst, per_minute, MAX_KEYS)
    }

    fn with_cap(burst: u32, per_minute: u32, cap: usize) -> Self {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            cap: cap.max(1),
            map: Mutex::default(),
        }
    }

    fn refilled(&self, b: Bucket, now: Instant) -> f64 {
        let secs = now.saturating_duration_since(b.at).as_secs_f64();
        (b.tokens + secs * self.per_sec).min(self.burst)
    }

    /// Takes one token of `key`'s bucket at `now`; `Err` says how long until one is back.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let tokens = match map.get(key) {
            Some(b) => self.refilled(*b, now),
            None => {
                if map.len() >= self.cap {
                    self.evict(&mut map, now);
                }
                self.burst
            }
        };
        if tokens >= 1.0 {
            map.insert(
                key.clone(),
                Bucket {
                    tokens: tokens - 1.0,
                    at: now,
                },
            );
            Ok(())
        } else {
            map.insert(key.clone(), Bucket { tokens, at: now });
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_sec))
        }
    }

    /// Gives back the token a [`check`](Self::check) of `key` took, when a later limit refused
    /// the same request (a request that did not run should not count). Never above `burst`.
    pub fn refund(&self, key: &K, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = map.get_mut(key) {
            b.tokens = (self.refilled(*b, now) + 1.0).min(self.burst);
            b.at = now;
        }
    }

    /// Makes room for one key: drops every full bucket, else the one untouched the longest.
    fn evict(&self, map: &mut HashMap<K, Bucket>, now: Instant) {
        map.retain(|_, b| self.refilled(*b, now) < self.burst);
        if map.len() >= self.cap
            && let Some(oldest) = map.iter().min_by_key(|(_, b)| b.at).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whole seconds to put in `Retry-After` for a wait: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_one_token_per_refill_period() {
        let l = RateLimiter::new(10, 10);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(l.check(&"a", t0).is_ok());
        }
        let wait = l.check(&"a", t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 6);
        // Another key has its own bucket.
        assert!(l.check(&"b", t0).is_ok());
        // 6 s later one token is back, and only one.
        let t1 = t0 + Duration::from_secs(6);
        assert!(l.check(&"a", t1).is_ok());
        assert!(l.check(&"a", t1).is_err());
    }

    #[test]
    fn refused_attempts_do_not_push_the_refill_back() {
        let l = RateLimiter::new(1, 60);
        let t0 = Instant::now();
        assert!(l.check(&1, t0).is_ok());
        assert!(l.check(&1, t0 + Duration::from_millis(500)).is_err());
        assert!(l.check(&1, t0 + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn a_refund_gives_one_token_back_and_never_passes_the_burst() {
        let l = RateLimiter::new(2, 1);
        let t0 = Instant::now();
        assert!(l.check(&"a", t0).is_ok());
        assert!(l.check(&"a", t0).is_ok());
        assert!(l.check(&"a", t0).is_err());
        l.refund(&"a", t0);
        assert!(l.check(&"a", t0).is_ok(), "the refunded token");
        assert!(l.check(&"a", t0).is_err());
        l.refund(&"a", t0);
        l.refund(&"a", t0);
        l.refund(&"a", t0);
        assert!(l.check(&"a", t0).is_ok());
        assert!(l.check(&"a", t0).is_ok());
        assert!(l.check(&"a", t0).is_err(), "at most the burst of 2");
        // A key never seen is not created by a refund.
        l.refund(&"b", t0);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn the_map_never_passes_its_cap_and_drops_full_buckets_first() {
        let l = RateLimiter::with_cap(2, 60, 3);
        let t0 = Instant::now();
        // Key 0 is emptied (kept), keys 1 and 2 take one token each.
        assert!(l.check(&0, t0).is_ok());
        assert!(l.check(&0, t0).is_ok());
        assert!(l.check(&1, t0).is_ok());
        assert!(l.check(&2, t0).is_ok());
        // One second later 1 and 2 are full again (same as unknown) and go; 0 stays limited.
        let t1 = t0 + Duration::from_millis(1000);
        assert!(l.check(&3, t1).is_ok());
        assert_eq!(l.len(), 2);
        assert!(l.check(&0, t1).is_ok());
        assert!(l.check(&0, t1).is_err(), "key 0 kept its empty bucket");
        // All busy: the bucket untouched the longest goes.
        for k in 10..20 {
            assert!(l.check(&k, t1).is_ok());
            assert!(l.len() <= 3);
        }
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(5001)), 6);
        assert_eq!(retry_after_secs(Duration::from_secs(6)), 6);
    }
}
