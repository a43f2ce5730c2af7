//! Sync: the changes feed (every record a caller may see, in commit order, deletions kept as
//! tombstones for a configurable retention) and the live events behind the subscriptions.

pub mod events;
pub mod graphql;
pub mod store;

pub use events::{Bus, Event, EventKind};
pub use store::{Change, ChangeEntity, record};

use sea_orm::ConnectionTrait;

use crate::error::AppResult;

/// What a write did that others must hear of: feed entries and live events.
#[derive(Debug, Default)]
pub struct Effects {
    pub changes: Vec<Change>,
    pub events: Vec<Event>,
}

impl Effects {
    pub fn extend(&mut self, other: Effects) {
        self.changes.extend(other.changes);
        self.events.extend(other.events);
    }

    /// The last statements of a writing transaction: stages the events and appends the
    /// changes to the feed. Commit right after, then call `sent()` on the answer.
    pub async fn finish(self, txn: &impl ConnectionTrait, bus: &Bus) -> AppResult<events::Staged> {
        let staged = bus.stage(txn, self.events).await?;
        record(txn, &self.changes).await?;
        Ok(staged)
    }
}
