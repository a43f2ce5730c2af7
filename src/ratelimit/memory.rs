//! The in-process backend: governor's keyed GCRA limiters (one per limit, since a limiter has
//! one quota) and a map of failed secrets. Each replica counts on its own.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use governor::{
    Quota as GQuota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};

use super::{Limit, Quota, Refusal, SecretBlock};
use crate::config::LimitsConfig;

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// A bucket's limiter and the time one unit takes to come back.
struct Bucket {
    limiter: Keyed,
    period: Duration,
}

impl Bucket {
    fn new(budget: u32, window: Duration) -> Option<Self> {
        let burst = NonZeroU32::new(budget)?;
        let period = window / budget;
        let quota = GQuota::with_period(period)?.allow_burst(burst);
        Some(Bucket { limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(), period })
    }
}

/// Failed secrets of one client id.
struct Failures {
    count: u32,
    forget_at: Instant,
    wait_until: Option<Instant>,
    locked_until: Option<Instant>,
}

/// Beyond this many tracked ids, expired ones are dropped at once rather than at the next tick.
const MAX_TRACKED_IDS: usize = 100_000;

pub(super) struct Memory {
    requests: Option<Bucket>,
    cost: Option<Bucket>,
    ip: Option<Bucket>,
    clock: DefaultClock,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Memory {
    pub(super) fn new(config: &LimitsConfig) -> Self {
        Memory {
            requests: Bucket::new(config.client_requests, config.window),
            cost: Bucket::new(config.client_cost, config.window),
            ip: Bucket::new(config.ip_requests, config.window),
            clock: DefaultClock::default(),
            failures: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn check(
        &self,
        limit: Limit,
        key: &str,
        cost: u32,
        budget: u32,
        window: Duration,
    ) -> Result<Quota, Refusal> {
        let bucket = match limit {
            Limit::ClientRequests => &self.requests,
            Limit::ClientCost => &self.cost,
            Limit::IpRequests => &self.ip,
        };
        let (Some(bucket), Some(n)) = (bucket, NonZeroU32::new(cost)) else {
            return Ok(Quota { limit: budget, remaining: budget, reset: Duration::ZERO });
        };
        let key = key.to_owned();
        let period = bucket.period;
        match bucket.limiter.check_key_n(&key, n) {
            Ok(Ok(snapshot)) => {
                let remaining = snapshot.remaining_burst_capacity().min(budget);
                Ok(Quota { limit: budget, remaining, reset: period * (budget - remaining) })
            }
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                // GCRA: the wait for `cost` units is what is missing of them, one period each.
                let missing = u32::try_from(wait.as_nanos().div_ceil(period.as_nanos().max(1))).unwrap_or(u32::MAX);
                let remaining = cost.saturating_sub(missing);
                Err(Refusal {
                    limit,
                    quota: Quota { limit: budget, remaining, reset: period * (budget - remaining) },
                    retry_after: wait,
                    over_budget: false,
                })
            }
            Err(_) => Err(Refusal {
                limit,
                quota: Quota { limit: budget, remaining: 0, reset: window },
                retry_after: window,
                over_budget: true,
            }),
        }
    }

    pub(super) fn secret_gate(&self, client_id: &str) -> Result<(), SecretBlock> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = failures.get(client_id) else { return Ok(()) };
        if let Some(until) = f.locked_until.filter(|u| *u > now) {
            return Err(SecretBlock::Locked(until - now));
        }
        if let Some(until) = f.wait_until.filter(|u| *u > now) {
            return Err(SecretBlock::Wait(until - now));
        }
        Ok(())
    }

    pub(super) fn secret_failed(&self, client_id: &str, config: &LimitsConfig) -> Option<SecretBlock> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED_IDS {
            failures.retain(|_, f| f.forget_at > now || f.locked_until.is_some_and(|u| u > now));
        }
        let f = failures.entry(client_id.to_owned()).or_insert(Failures {
            count: 0,
            forget_at: now,
            wait_until: None,
            locked_until: None,
        });
        if f.forget_at <= now {
            f.count = 0;
        }
        f.count += 1;
        f.forget_at = now + config.secret_lockout;
        if config.secret_lockout_failures > 0 && f.count >= config.secret_lockout_failures {
            f.count = 0;
            f.wait_until = None;
            f.locked_until = Some(now + config.secret_lockout);
            return Some(SecretBlock::Locked(config.secret_lockout));
        }
        if !config.secret_failure_delay.is_zero() && f.count >= config.secret_free_failures {
            f.wait_until = Some(now + config.secret_failure_delay);
            return Some(SecretBlock::Wait(config.secret_failure_delay));
        }
        None
    }

    pub(super) fn secret_succeeded(&self, client_id: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(client_id);
    }

    /// Drops buckets indistinguishable from fresh ones, and expired failure records.
    pub(super) fn prune(&self) {
        for bucket in [&self.requests, &self.cost, &self.ip].into_iter().flatten() {
            bucket.limiter.retain_recent();
            bucket.limiter.shrink_to_fit();
        }
        let now = Instant::now();
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, f| f.forget_at > now || f.locked_until.is_some_and(|u| u > now));
    }
}
