//! Live events for subscriptions: a result changed, a playlist item changed state. Writers
//! stage events inside their transaction. On PostgreSQL they become a `NOTIFY`, which
//! PostgreSQL delivers at commit (and never for a rolled-back transaction) to the listener of
//! every replica, so a subscriber sees writes made through any replica. On SQLite, which has
//! one process by nature, they are handed to local subscribers once the commit succeeded.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use tokio::sync::broadcast;

use crate::error::AppResult;

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "learnergraph_events";
/// PostgreSQL caps a notification payload at 8000 bytes: events go in batches well under it.
const EVENTS_PER_NOTIFY: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Result,
    ItemState,
}

/// Something a subscriber may want to hear about: which record, and whose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub id: i64,
    pub learner_id: i64,
}

impl Event {
    fn encode(&self) -> String {
        let k = match self.kind {
            EventKind::Result => 'r',
            EventKind::ItemState => 'i',
        };
        format!("{k}:{}:{}", self.id, self.learner_id)
    }

    fn decode(s: &str) -> Option<Event> {
        let mut parts = s.split(':');
        let kind = match parts.next()? {
            "r" => EventKind::Result,
            "i" => EventKind::ItemState,
            _ => return None,
        };
        let id = parts.next()?.parse().ok()?;
        let learner_id = parts.next()?.parse().ok()?;
        Some(Event { kind, id, learner_id })
    }
}

/// The process's end of the event stream. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Event>,
    /// Client ids whose tokens were revoked or which were disabled: live subscriptions of
    /// that client check their token again. Carried on the same channel as events.
    revoked: broadcast::Sender<String>,
    /// Moves on whenever a token or client may have lost its rights (a revocation, a disabled
    /// client, here or on another replica, or a listener that missed notifications): what was
    /// concluded about a token before (the principal cache, `crate::auth::cache`) no longer
    /// holds. Bumped before the notice goes out, so the replica that revoked never answers
    /// from a principal it cached earlier.
    auth_epoch: Arc<AtomicU64>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("subscribers", &self.tx.receiver_count()).finish()
    }
}

/// The notification prefix of a revocation (events use single letters and ids).
const REVOKED: &str = "v:";

/// Events of a transaction, to hand to local subscribers once it committed (SQLite only;
/// PostgreSQL delivers through the listener).
#[must_use = "call `sent()` after the commit"]
pub struct Staged {
    tx: broadcast::Sender<Event>,
    events: Vec<Event>,
}

impl Staged {
    pub fn sent(self) {
        for e in self.events {
            // No subscriber is not an error.
            let _ = self.tx.send(e);
        }
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        let (revoked, _) = broadcast::channel(256);
        Bus { tx, revoked, auth_epoch: Arc::new(AtomicU64::new(0)) }
    }

    /// See `auth_epoch`: a principal cached under an older epoch is not used.
    pub fn auth_epoch(&self) -> u64 {
        self.auth_epoch.load(Ordering::Acquire)
    }

    fn auth_changed(epoch: &AtomicU64) {
        epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub fn subscribe_revocations(&self) -> broadcast::Receiver<String> {
        self.revoked.subscribe()
    }

    /// Tells every replica's live subscriptions of `client_id` that a token of that client
    /// was revoked or the client disabled, so they check their token again at once. Sent
    /// after the revocation committed; a lost notice is caught by the subscriptions' periodic
    /// re-check.
    #[tracing::instrument(skip_all, fields(client_id))]
    pub async fn revoked(&self, db: &impl ConnectionTrait, client_id: &str) {
        // Client ids never hold commas (they separate items of a notification); be safe.
        let client_id: String = client_id.chars().filter(|c| *c != ',').collect();
        Self::auth_changed(&self.auth_epoch);
        if db.get_database_backend() != DatabaseBackend::Postgres {
            let _ = self.revoked.send(client_id);
            return;
        }
        let sent = db
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), format!("{REVOKED}{client_id}").into()],
            ))
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot announce a revocation; subscriptions will notice at their next check");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Stages `events` in the transaction `txn`.
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    pub async fn stage(&self, txn: &impl ConnectionTrait, events: Vec<Event>) -> AppResult<Staged> {
        if txn.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(Staged { tx: self.tx.clone(), events });
        }
        if events.is_empty() {
            return Ok(Staged { tx: self.tx.clone(), events: vec![] });
        }
        // A notification's payload is limited (8,000 bytes): one per `EVENTS_PER_NOTIFY`
        // events, all sent by one statement (the payloads joined by `|`, which no encoded
        // event holds).
        let payloads = events
            .chunks(EVENTS_PER_NOTIFY)
            .map(|chunk| chunk.iter().map(Event::encode).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("|");
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, t.payload) FROM unnest(string_to_array($2, '|')) WITH ORDINALITY AS t (payload, n) \
             ORDER BY t.n",
            [CHANNEL.into(), payloads.into()],
        ))
        .await?;
        Ok(Staged { tx: self.tx.clone(), events: vec![] })
    }

    /// On PostgreSQL, listens on [`CHANNEL`] for as long as the process runs, forwarding what
    /// every replica commits to this process's subscribers. Reconnects after a lost
    /// connection (notifications sent while it was down are lost; subscribers that must not
    /// miss anything resume from the changes feed).
    pub fn listen(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        // The listener holds its connection for as long as it listens: give it a pool of its
        // own, so that it never takes one of the requests' connections.
        let options = (*db.get_postgres_connection_pool().connect_options()).clone();
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
        let (tx, revoked, epoch) = (self.tx.clone(), self.revoked.clone(), self.auth_epoch.clone());
        tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(CHANNEL).await {
                            tracing::error!(error = %e, "cannot LISTEN for events");
                        } else {
                            // Revocations sent while no listener listened are lost: whatever
                            // was cached about tokens before may be stale.
                            Self::auth_changed(&epoch);
                            loop {
                                // `try_recv`, not `recv`: `recv` reconnects by itself and would
                                // hide that notifications were lost meanwhile.
                                match listener.try_recv().await {
                                    Ok(None) => {
                                        tracing::warn!("event listener lost its connection; reconnecting");
                                        Self::auth_changed(&epoch);
                                    }
                                    Ok(Some(n)) => {
                                        for item in n.payload().split(',') {
                                            if let Some(client_id) = item.strip_prefix(REVOKED) {
                                                Self::auth_changed(&epoch);
                                                let _ = revoked.send(client_id.to_owned());
                                            } else if let Some(e) = Event::decode(item) {
                                                let _ = tx.send(e);
                                            }
                                        }
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "event listener lost its connection");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot connect the event listener"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_their_encoding() {
        let e = Event { kind: EventKind::ItemState, id: 42, learner_id: 7 };
        assert_eq!(Event::decode(&e.encode()), Some(e));
        assert_eq!(Event::decode("x:1:2"), None);
        assert_eq!(Event::decode("r:1"), None);
    }
}
