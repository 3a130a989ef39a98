//! The chat bot's bounds, in this process's memory like the token-mint limit: a rate per member
//! and per item (token buckets, `member_per_minute` / `item_per_minute`), and a daily quota of
//! requests per member (`member_daily_requests`, the UTC day). A refusal says when to retry.

use crate::{config::ChatBotConfig, ratelimit::RateLimiter};
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Why a request is refused, and how long until it may pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The member's or the item's rate (429 AFERR037).
    Rate(Duration),
    /// The member's requests of the day are used up (429 AFERR038), until UTC midnight.
    Daily(Duration),
}

/// The bounds of one server process.
#[derive(Debug)]
pub struct Bounds {
    member: RateLimiter<Uuid>,
    item: RateLimiter<Uuid>,
    daily_limit: u32,
    /// Requests per member on `day` (days since the epoch); reset when the day changes.
    daily: Mutex<(i64, HashMap<Uuid, u32>)>,
}

const SECS_PER_DAY: i64 = 86_400;

impl Bounds {
    /// Bounds of `[chat_bot]`.
    pub fn new(config: &ChatBotConfig) -> Bounds {
        Bounds {
            member: RateLimiter::new(config.member_per_minute, config.member_per_minute),
            item: RateLimiter::new(config.item_per_minute, config.item_per_minute),
            daily_limit: config.member_daily_requests,
            daily: Mutex::new((0, HashMap::new())),
        }
    }

    /// Takes one request of `member` on `item` at `now` (`wall`: the same instant on the
    /// clock, for the day), or says why not. The daily count moves only for a request the
    /// rates let through.
    pub fn take(
        &self,
        member: Uuid,
        item: Uuid,
        now: Instant,
        wall: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let unix = wall.unix_timestamp();
        let day = unix.div_euclid(SECS_PER_DAY);
        let to_midnight = u64::try_from(SECS_PER_DAY - unix.rem_euclid(SECS_PER_DAY)).unwrap_or(1);
        {
            let daily = self.daily.lock().unwrap_or_else(PoisonError::into_inner);
            if daily.0 == day && daily.1.get(&member).copied().unwrap_or(0) >= self.daily_limit {
                return Err(Refusal::Daily(Duration::from_secs(to_midnight)));
            }
        }
        self.member.check(&member, now).map_err(Refusal::Rate)?;
        if let Err(wait) = self.item.check(&item, now) {
            // The request does not run, so it does not use up the member's own rate.
            self.member.refund(&member, now);
            return Err(Refusal::Rate(wait));
        }
        let mut daily = self.daily.lock().unwrap_or_else(PoisonError::into_inner);
        if daily.0 != day {
            *daily = (day, HashMap::new());
        }
        let used = daily.1.entry(member).or_insert(0);
        if *used >= self.daily_limit {
            return Err(Refusal::Daily(Duration::from_secs(to_midnight)));
        }
        *used += 1;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::ChatBotBackendKind;

    fn config(member: u32, item: u32, daily: u32) -> ChatBotConfig {
        ChatBotConfig {
            backend: ChatBotBackendKind::Dev,
            base_url: None,
            api_key_env: None,
            default_model: "m".into(),
            models: vec![],
            timeout_secs: 1,
            member_per_minute: member,
            item_per_minute: item,
            member_daily_requests: daily,
            max_body_bytes: 1024,
        }
    }

    #[test]
    fn the_member_rate_the_item_rate_and_the_day_each_refuse() {
        let (a, b, i, j) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let t0 = Instant::now();
        let noon = OffsetDateTime::from_unix_timestamp(20_000 * SECS_PER_DAY + 43_200).unwrap();
        let b2 = Bounds::new(&config(2, 3, 100));
        assert!(b2.take(a, i, t0, noon).is_ok());
        assert!(b2.take(a, j, t0, noon).is_ok());
        assert!(
            matches!(b2.take(a, i, t0, noon), Err(Refusal::Rate(_))),
            "member rate"
        );
        // i has had 1 (the refused one never reached the item's bucket): 2 more pass.
        assert!(b2.take(b, i, t0, noon).is_ok());
        assert!(b2.take(Uuid::new_v4(), i, t0, noon).is_ok());
        assert!(
            matches!(b2.take(Uuid::new_v4(), i, t0, noon), Err(Refusal::Rate(_))),
            "item rate: 3 on i"
        );
        let d = Bounds::new(&config(100, 100, 2));
        assert!(d.take(a, i, t0, noon).is_ok());
        assert!(d.take(a, i, t0, noon).is_ok());
        assert_eq!(
            d.take(a, i, t0, noon),
            Err(Refusal::Daily(Duration::from_secs(43_200))),
            "until UTC midnight"
        );
        assert!(
            d.take(b, i, t0, noon).is_ok(),
            "another member has their own day"
        );
        let tomorrow = noon + time::Duration::days(1);
        assert!(d.take(a, i, t0, tomorrow).is_ok(), "a new day starts over");
    }

    #[test]
    fn a_request_the_item_rate_refuses_does_not_use_up_the_members_rate() {
        let (a, i, j) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let t0 = Instant::now();
        let noon = OffsetDateTime::from_unix_timestamp(20_000 * SECS_PER_DAY + 43_200).unwrap();
        // Member rate 2, item rate 1.
        let b = Bounds::new(&config(2, 1, 100));
        assert!(
            b.take(Uuid::new_v4(), i, t0, noon).is_ok(),
            "i's one request"
        );
        for _ in 0..3 {
            assert!(
                matches!(b.take(a, i, t0, noon), Err(Refusal::Rate(_))),
                "item rate"
            );
        }
        // a was refused three times by i's rate: both of a's own requests are still there.
        assert!(b.take(a, j, t0, noon).is_ok());
        assert!(b.take(a, Uuid::new_v4(), t0, noon).is_ok());
        assert!(
            matches!(b.take(a, Uuid::new_v4(), t0, noon), Err(Refusal::Rate(_))),
            "member rate 2"
        );
    }
}
