//! A bounded pool for secret hashing. argon2 is deliberately slow; unbounded, a burst of
//! sign-ins would take every core from every other request. Hashes run on blocking threads,
//! at most `concurrency` at once; a caller that would wait longer than `max_wait` (or find the
//! queue full) is answered "busy, retry after" instead of queueing forever.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::Semaphore;

use crate::{
    error::{AppError, AppResult},
    metrics::{Metrics, RefusalLabels},
};

/// Waiting callers allowed per hashing slot before new ones are turned away at once.
const QUEUE_PER_SLOT: usize = 64;

/// The hashing pool. Cheap to clone; clones share the slots.
#[derive(Clone)]
pub struct HashPool {
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    max_wait: Duration,
    metrics: Option<Arc<Metrics>>,
}

impl HashPool {
    /// A pool of `concurrency` slots (at least 1).
    pub fn new(concurrency: u32, max_wait: Duration, metrics: Option<Arc<Metrics>>) -> Self {
        let concurrency = concurrency.max(1) as usize;
        HashPool {
            slots: Arc::new(Semaphore::new(concurrency)),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue: concurrency * QUEUE_PER_SLOT,
            max_wait,
            metrics,
        }
    }

    /// A one-slot pool for a process that hashes one secret at a time (the CLI).
    pub fn local() -> Self {
        HashPool::new(1, Duration::from_secs(60), None)
    }

    /// Runs `work` on a blocking thread once a slot is free; `AppError::Unavailable` when none
    /// frees up in time.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let busy = || {
            if let Some(m) = &self.metrics {
                m.ratelimit_refusals.get_or_create(&RefusalLabels { limit: "hashing_busy" }).inc();
            }
            AppError::Unavailable { retry_after: super::ceil_secs(self.max_wait) }
        };
        // A free slot is taken at once, even with no wait allowed.
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(busy());
                }
                let acquired = tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match acquired {
                    Ok(Ok(slot)) => slot,
                    Ok(Err(e)) => return Err(AppError::Server(e.into())),
                    Err(_) => return Err(busy()),
                }
            }
        };
        tokio::task::spawn_blocking(move || {
            // Held until the hash is done, even if the request that asked for it has gone.
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| AppError::Server(e.into()))
    }
}
