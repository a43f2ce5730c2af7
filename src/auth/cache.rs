//! The principals of recent tool tokens (client credentials), so that a tool's steady stream
//! of requests does not ask the database who it is each time (the client and its revocations,
//! its orgs: one or two statements a request). A signed-in person's principal is not kept: it
//! follows the roster (a role or a membership ended) at once.
//!
//! Bounded (least recently used entries go first) and short-lived ([`TTL`]), and invalidated
//! at once, on every replica, by what can take a tool's rights away: a revocation, a disabled
//! client or a change of its orgs moves the bus's auth epoch (`crate::sync::Bus::auth_epoch`,
//! the notification path live subscriptions use), and an entry cached under an older epoch is
//! not used. A change to the district's org tree (a school added under a district a tool is
//! limited to) reaches cached principals within the TTL.

use std::{
    num::NonZeroUsize,
    sync::Mutex,
    time::{Duration, Instant},
};

use lru::LruCache;

use super::Principal;

/// How long a principal is reused at most.
pub const TTL: Duration = Duration::from_secs(5);
/// Tokens remembered at most.
const CAPACITY: usize = 4096;

struct Entry {
    principal: Principal,
    at: Instant,
    epoch: u64,
}

/// Principals by token id (`jti`), of tokens whose signature and claims were verified.
pub struct PrincipalCache {
    entries: Mutex<LruCache<String, Entry>>,
}

impl Default for PrincipalCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PrincipalCache {
    pub fn new() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        PrincipalCache { entries: Mutex::new(LruCache::new(capacity)) }
    }

    /// The principal cached for a token, if it was cached under `epoch` within the TTL; with a
    /// fresh audit trail of its own.
    pub fn get(&self, jti: &str, epoch: u64) -> Option<Principal> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get(jti)?;
        // An agreement whose last day passed since ends its principals at once, not at the TTL.
        let ended = entry.principal.sharing.ended(crate::db::now().date_naive());
        if entry.epoch != epoch || entry.at.elapsed() >= TTL || ended {
            entries.pop(jti);
            return None;
        }
        Some(Principal { trail: Default::default(), ..entry.principal.clone() })
    }

    /// Remembers a token's principal, found from the database by a lookup that started under
    /// `epoch`: if the epoch moved since (a revocation raced the lookup), it is not kept.
    pub fn put(&self, jti: &str, principal: &Principal, epoch: u64, now: u64) {
        if epoch != now {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            let principal = Principal { trail: Default::default(), ..principal.clone() };
            entries.put(jti.to_owned(), Entry { principal, at: Instant::now(), epoch });
        }
    }
}
