//! The Redis backend, shared by every replica: the same GCRA as governor's, in a Lua script
//! (one round trip, atomic, on Redis's clock so replicas' clocks don't matter), and the
//! failed-secret counters as keys that expire by themselves.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use redis::{
    Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{Limit, Quota, Refusal, SecretBlock};
use crate::config::LimitsConfig;

/// GCRA in microseconds. KEYS[1]: the bucket's theoretical arrival time. ARGV: cost, budget,
/// window (µs). Returns {allowed, remaining, reset µs, retry-after µs}. Integer arithmetic
/// (the period rounded down) so that exactly `budget` units fit in a fresh bucket.
const GCRA: &str = r"
local cost = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local period = math.max(1, math.floor(window / budget))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + cost * period
local allow_at = new_tat - period * budget
if allow_at > now then
  local remaining = math.min(budget, math.floor((now + period * budget - tat) / period))
  return {0, remaining, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
local remaining = math.min(budget, math.floor((now + period * budget - new_tat) / period))
return {1, remaining, new_tat - now, 0}
";

/// KEYS: lock, wait. Returns their remaining lifetimes in ms (negative when absent).
const SECRET_GATE: &str = r"
return {redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2])}
";

/// KEYS: failures, wait, lock. ARGV: free failures, delay ms, lockout failures, lockout ms.
/// Returns {0} (no consequence), {1, ms} (wait) or {2, ms} (locked).
const SECRET_FAILED: &str = r"
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if tonumber(ARGV[3]) > 0 and n >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[1], KEYS[2])
  return {2, tonumber(ARGV[4])}
end
if tonumber(ARGV[2]) > 0 and n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return {1, tonumber(ARGV[2])}
end
return {0}
";

/// Redis calls that take longer than this count as an outage.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// After a failed call Redis is left alone this long, so an outage costs one timeout per
/// second rather than one per request.
const BACKOFF: Duration = Duration::from_secs(1);
/// Client ids are caller-supplied: keys keep at most this much of one.
const MAX_ID_CHARS: usize = 128;

/// Redis could not answer; `first` when this starts an outage (worth a log line).
pub(super) struct Unavailable {
    pub message: String,
    pub first: bool,
}

pub(super) struct Redis {
    conn: ConnectionManager,
    prefix: String,
    gcra: Script,
    gate: Script,
    failed: Script,
    down_until: Mutex<Option<Instant>>,
}

impl Redis {
    pub(super) fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("LEARNERGRAPH_REDIS_URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("cannot set up the Redis connection: {e}"))?;
        Ok(Redis {
            conn,
            prefix: prefix.to_owned(),
            gcra: Script::new(GCRA),
            gate: Script::new(SECRET_GATE),
            failed: Script::new(SECRET_FAILED),
            down_until: Mutex::new(None),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        let id: String = id.chars().take(MAX_ID_CHARS).collect();
        format!("{}{kind}:{id}", self.prefix)
    }

    /// Runs one script invocation, failing fast while Redis is known to be down.
    async fn run<T: redis::FromRedisValue>(&self, invocation: &redis::ScriptInvocation<'_>) -> Result<T, Unavailable> {
        let now = Instant::now();
        if self.down_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|u| u > now) {
            return Err(Unavailable { message: "in backoff after a failure".into(), first: false });
        }
        let mut conn = self.conn.clone();
        let result = match tokio::time::timeout(CALL_TIMEOUT, invocation.invoke_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        let mut down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        let first = down.is_none();
        *down = Some(Instant::now() + BACKOFF);
        Err(Unavailable { message: result, first })
    }

    pub(super) async fn check(
        &self,
        limit: Limit,
        key: &str,
        cost: u32,
        budget: u32,
        window: Duration,
    ) -> Result<Result<Quota, Refusal>, Unavailable> {
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX);
        let (allowed, remaining, reset, retry): (i64, i64, i64, i64) = self
            .run(self.gcra.prepare_invoke().key(self.key(limit.name(), key)).arg(cost).arg(budget).arg(window_us))
            .await?;
        self.recovered();
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        let quota =
            Quota { limit: budget, remaining: u32::try_from(remaining).unwrap_or(0).min(budget), reset: micros(reset) };
        Ok(if allowed == 1 {
            Ok(quota)
        } else {
            Err(Refusal { limit, quota, retry_after: micros(retry), over_budget: false })
        })
    }

    pub(super) async fn secret_gate(&self, client_id: &str) -> Result<Result<(), SecretBlock>, Unavailable> {
        let (lock, wait): (i64, i64) = self
            .run(
                self.gate
                    .prepare_invoke()
                    .key(self.key("secret-lock", client_id))
                    .key(self.key("secret-wait", client_id)),
            )
            .await?;
        self.recovered();
        let ms = |v: i64| Duration::from_millis(u64::try_from(v).unwrap_or(0));
        Ok(if lock > 0 {
            Err(SecretBlock::Locked(ms(lock)))
        } else if wait > 0 {
            Err(SecretBlock::Wait(ms(wait)))
        } else {
            Ok(())
        })
    }

    pub(super) async fn secret_failed(
        &self,
        client_id: &str,
        config: &LimitsConfig,
    ) -> Result<Option<SecretBlock>, Unavailable> {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let outcome: Vec<i64> = self
            .run(
                self.failed
                    .prepare_invoke()
                    .key(self.key("secret-fail", client_id))
                    .key(self.key("secret-wait", client_id))
                    .key(self.key("secret-lock", client_id))
                    .arg(config.secret_free_failures)
                    .arg(millis(config.secret_failure_delay))
                    .arg(config.secret_lockout_failures)
                    .arg(millis(config.secret_lockout)),
            )
            .await?;
        self.recovered();
        let ms = |i: usize| Duration::from_millis(outcome.get(i).and_then(|v| u64::try_from(*v).ok()).unwrap_or(0));
        Ok(match outcome.first() {
            Some(2) => Some(SecretBlock::Locked(ms(1))),
            Some(1) => Some(SecretBlock::Wait(ms(1))),
            _ => None,
        })
    }

    pub(super) async fn secret_succeeded(&self, client_id: &str) -> Result<(), Unavailable> {
        let mut conn = self.conn.clone();
        let keys = [self.key("secret-fail", client_id), self.key("secret-wait", client_id)];
        match tokio::time::timeout(CALL_TIMEOUT, redis::cmd("DEL").arg(&keys).exec_async(&mut conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Unavailable { message: e.to_string(), first: true }),
            Err(_) => Err(Unavailable { message: "timed out".into(), first: true }),
        }
    }

    fn recovered(&self) {
        let mut down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        if down.take().is_some() {
            tracing::info!("rate-limit store (Redis) reachable again");
        }
    }
}
