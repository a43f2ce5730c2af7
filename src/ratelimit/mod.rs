//! Fair sharing: per-client request and query-cost limits on GraphQL, per-IP limits on the
//! sign-in endpoints, a slow-down and lockout for failed client secrets, and a bounded pool
//! for secret hashing. One API (`Limits`) over two backends: in process (governor's keyed GCRA)
//! by default, or Redis (the same GCRA in a Lua script) when `LEARNERGRAPH_REDIS_URL` is set,
//! so that limits hold across replicas. When Redis can't be reached the limits fail open: a
//! warning, a metric, never a 500.
//!
//! Refusals answer 429 with `Retry-After` and the `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset` headers (IETF httpapi ratelimit-headers draft); successful responses carry
//! the same headers for the caller's request bucket.

pub mod graphql;
pub mod hashing;
pub mod http;
mod memory;
mod shared;

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderMap, HeaderValue};

pub use self::{hashing::HashPool, http::ClientIp};
use crate::{
    config::LimitsConfig,
    metrics::{Metrics, RefusalLabels},
};

/// The limits a caller can run into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// GraphQL requests (and WebSocket connections) per client or signed-in person.
    ClientRequests,
    /// Summed GraphQL query complexity per client or signed-in person.
    ClientCost,
    /// Requests per IP to the token, authorization and sign-in endpoints.
    IpRequests,
}

impl Limit {
    /// The label in metrics and the segment in Redis keys.
    pub fn name(self) -> &'static str {
        match self {
            Limit::ClientRequests => "client_requests",
            Limit::ClientCost => "client_cost",
            Limit::IpRequests => "ip_requests",
        }
    }
}

/// Where a caller stands in a bucket after an admitted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Until the bucket is full again.
    pub reset: Duration,
}

/// A refused request: when it may be tried again, and the bucket that refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub quota: Quota,
    pub retry_after: Duration,
    /// The request alone costs more than the whole budget: it can never pass.
    pub over_budget: bool,
}

impl Refusal {
    /// `Retry-After` in whole seconds, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        ceil_secs(self.retry_after)
    }
}

/// What the failed-secret tracker says about a client id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretBlock {
    /// Too many recent failures: the next attempt must wait this long.
    Wait(Duration),
    /// Locked: every attempt is refused, right secret or not, for this long.
    Locked(Duration),
}

impl SecretBlock {
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            SecretBlock::Wait(d) | SecretBlock::Locked(d) => ceil_secs(*d),
        }
    }
}

/// A duration as whole seconds, rounded up, at least 1 (as `Retry-After` wants).
pub fn ceil_secs(d: Duration) -> u64 {
    (d.as_millis().div_ceil(1000) as u64).max(1)
}

/// The limiter every replica consults. Cheap to clone.
#[derive(Clone)]
pub struct Limits(Arc<Inner>);

struct Inner {
    config: LimitsConfig,
    backend: Backend,
    metrics: Arc<Metrics>,
}

enum Backend {
    // Boxed: the limiters are large, and the enum is built once per app.
    Memory(Box<memory::Memory>),
    Redis(shared::Redis),
}

impl Limits {
    /// The in-process limiter, or Redis when configured (connected lazily, so a Redis outage
    /// never stops the service from starting). Must run inside the tokio runtime.
    pub fn new(config: &LimitsConfig, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let backend = match &config.redis_url {
            Some(url) => Backend::Redis(shared::Redis::new(url.expose(), &config.redis_prefix)?),
            None => Backend::Memory(Box::new(memory::Memory::new(config))),
        };
        let limits = Limits(Arc::new(Inner { config: config.clone(), backend, metrics }));
        if let Backend::Memory(_) = limits.0.backend {
            // Forget idle buckets so memory stays bounded by the callers of the last window.
            let weak = Arc::downgrade(&limits.0);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let Some(inner) = weak.upgrade() else { break };
                    if let Backend::Memory(m) = &inner.backend {
                        m.prune();
                    }
                }
            });
        }
        Ok(limits)
    }

    pub fn config(&self) -> &LimitsConfig {
        &self.0.config
    }

    fn budget(&self, limit: Limit) -> u32 {
        let c = &self.0.config;
        match limit {
            Limit::ClientRequests => c.client_requests,
            Limit::ClientCost => c.client_cost,
            Limit::IpRequests => c.ip_requests,
        }
    }

    /// Charges `cost` to `key`'s bucket of `limit`. `Ok(None)` when the limit is off (or its
    /// backend unreachable); a refused request is not charged.
    pub async fn check(&self, limit: Limit, key: &str, cost: u32) -> Result<Option<Quota>, Refusal> {
        let budget = self.budget(limit);
        if budget == 0 {
            return Ok(None);
        }
        let window = self.0.config.window;
        let cost = cost.max(1);
        let result = if cost > budget {
            Err(Refusal {
                limit,
                quota: Quota { limit: budget, remaining: 0, reset: window },
                retry_after: window,
                over_budget: true,
            })
        } else {
            match &self.0.backend {
                Backend::Memory(m) => m.check(limit, key, cost, budget, window).map(Some),
                Backend::Redis(r) => match r.check(limit, key, cost, budget, window).await {
                    Ok(decision) => decision.map(Some),
                    Err(e) => {
                        self.backend_failed(&e);
                        Ok(None)
                    }
                },
            }
        };
        if result.is_err() {
            self.refused(limit.name());
        }
        result
    }

    /// Whether `client_id` may try a secret now. Counted for unknown ids as well, so they can't
    /// be used to burn hashing time.
    pub async fn secret_gate(&self, client_id: &str) -> Result<(), SecretBlock> {
        let result = match &self.0.backend {
            Backend::Memory(m) => m.secret_gate(client_id),
            Backend::Redis(r) => r.secret_gate(client_id).await.unwrap_or_else(|e| {
                self.backend_failed(&e);
                Ok(())
            }),
        };
        if let Err(block) = result {
            self.refused(block_label(block));
        }
        result
    }

    /// Records a failed secret; returns the wait or lockout it brings, if any.
    pub async fn secret_failed(&self, client_id: &str) -> Option<SecretBlock> {
        match &self.0.backend {
            Backend::Memory(m) => m.secret_failed(client_id, &self.0.config),
            Backend::Redis(r) => r.secret_failed(client_id, &self.0.config).await.unwrap_or_else(|e| {
                self.backend_failed(&e);
                None
            }),
        }
    }

    /// A right secret: the client id's failures are forgotten.
    pub async fn secret_succeeded(&self, client_id: &str) {
        match &self.0.backend {
            Backend::Memory(m) => m.secret_succeeded(client_id),
            Backend::Redis(r) => {
                if let Err(e) = r.secret_succeeded(client_id).await {
                    self.backend_failed(&e);
                }
            }
        }
    }

    fn refused(&self, limit: &'static str) {
        self.0.metrics.ratelimit_refusals.get_or_create(&RefusalLabels { limit }).inc();
    }

    fn backend_failed(&self, e: &shared::Unavailable) {
        self.0.metrics.ratelimit_backend_errors.inc();
        if e.first {
            tracing::warn!(error = %e.message, "rate-limit store (Redis) unreachable: limits are not enforced until it is back");
        }
    }
}

fn block_label(block: SecretBlock) -> &'static str {
    match block {
        SecretBlock::Wait(_) => "secret_delay",
        SecretBlock::Locked(_) => "secret_lockout",
    }
}

/// Sets the `RateLimit-*` headers of a bucket.
pub fn set_quota_headers(headers: &mut HeaderMap, quota: &Quota) {
    headers.insert("ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(quota.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(ceil_secs(quota.reset)));
}

/// Sets `Retry-After` and the `RateLimit-*` headers of a refusal.
pub fn set_refusal_headers(headers: &mut HeaderMap, refusal: &Refusal) {
    set_quota_headers(headers, &refusal.quota);
    headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(refusal.retry_after_secs()));
}
