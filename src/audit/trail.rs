//! The request's audit trail: the students whose records left the service layer for the
//! caller. It travels with the [`Principal`](crate::auth::Principal), so every service function
//! that is handed a principal can note what it reveals, whatever transport asked; the transport
//! takes the trail when the request ends and records one event.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
};

/// The students a request touched, collected while it runs. Clones share one set.
#[derive(Clone, Default)]
pub struct Trail(Arc<Mutex<BTreeSet<i64>>>);

impl Trail {
    /// Notes that these students' records were revealed or changed.
    pub fn note(&self, learners: impl IntoIterator<Item = i64>) {
        if let Ok(mut set) = self.0.lock() {
            set.extend(learners);
        }
    }

    /// The students noted so far, in order; the trail is left empty.
    pub fn take(&self) -> Vec<i64> {
        self.0.lock().map(|mut set| std::mem::take(&mut *set).into_iter().collect()).unwrap_or_default()
    }
}

impl std::fmt::Debug for Trail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trail")
    }
}
