//! The access audit trail: every request that reads or writes student records is recorded
//! (who, through which client, which students, which operation, when), so a district can
//! answer "which vendor saw this child's data". The service layer notes the students it reveals
//! on the caller's [`Trail`] (carried by the principal); the transport hands one event per request to a background writer that batches inserts, so the
//! request path only pays for a channel send.

pub mod graphql;
pub mod store;
mod trail;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

/// Events waiting to be written; when full, requests wait rather than drop events.
const QUEUE: usize = 10_000;
/// Events written per transaction at most.
const BATCH: usize = 500;
/// How long a read's event waits for others to share its transaction: at any load the audit
/// then costs at most one commit per this much time, not one per request. A write's event
/// (its request waits for it) and a flush are written at once, with whatever is queued.
const LINGER: Duration = Duration::from_millis(50);

/// One audited request.
#[derive(Clone, Debug)]
pub struct Event {
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: entity::ActorKind,
    pub actor_id: String,
    pub client_id: Option<String>,
    pub operation_type: String,
    pub operation_name: Option<String>,
    pub fields: String,
    pub request_id: Option<String>,
    /// User ids of the students whose records the request touched.
    pub learners: Vec<i64>,
    /// The data-sharing agreement the caller was served under (its public id).
    pub agreement: Option<String>,
}

pub use trail::Trail;

enum Msg {
    /// An event, and who waits to hear it was stored (a write's request, before it answers).
    Event(Box<Event>, Option<oneshot::Sender<bool>>),
    /// Answered once every event queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The handle requests send events through: reads' events on one queue, writes' (whose
/// requests wait to hear they were stored) on a queue of their own that the writer always
/// serves first, so a write is never acknowledged late because of a backlog of reads.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    writes: mpsc::Sender<Msg>,
}

/// The background writer; `close` flushes what is queued.
pub struct AuditWriter {
    handle: JoinHandle<()>,
}

impl AuditLog {
    pub fn start(db: DatabaseConnection) -> (AuditLog, AuditWriter) {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let (writes, mut writes_rx) = mpsc::channel::<Msg>(QUEUE);
        let handle = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            // What each queue handed over (two buffers: both receives are polled at once).
            let (mut from_writes, mut from_reads) = (Vec::new(), Vec::new());
            let (mut reads_open, mut writes_open) = (true, true);
            let urgent = |msgs: &[Msg]| msgs.iter().any(|m| matches!(m, Msg::Event(_, Some(_)) | Msg::Flush(_)));
            while reads_open || writes_open {
                // Writes' events first; a closed queue is not listened to again.
                tokio::select! {
                    biased;
                    n = writes_rx.recv_many(&mut from_writes, BATCH), if writes_open => writes_open = n > 0,
                    n = rx.recv_many(&mut from_reads, BATCH), if reads_open => reads_open = n > 0,
                }
                batch.append(&mut from_writes);
                batch.append(&mut from_reads);
                // Reads already waiting share the transaction a write's event takes anyway.
                while batch.len() < BATCH
                    && let Ok(msg) = rx.try_recv()
                {
                    batch.push(msg);
                }
                if batch.is_empty() {
                    continue;
                }
                // Reads' events wait a little for company, unless a write's (or a flush) is
                // among them or arrives meanwhile.
                let deadline = tokio::time::Instant::now() + LINGER;
                while !urgent(&batch) && batch.len() < BATCH && reads_open {
                    let room = BATCH - batch.len();
                    tokio::select! {
                        biased;
                        n = writes_rx.recv_many(&mut from_writes, room), if writes_open => writes_open = n > 0,
                        n = rx.recv_many(&mut from_reads, room) => reads_open = n > 0,
                        () = tokio::time::sleep_until(deadline) => break,
                    }
                    batch.append(&mut from_writes);
                    batch.append(&mut from_reads);
                }
                let mut events = Vec::with_capacity(batch.len());
                let mut waiting = Vec::with_capacity(batch.len());
                let mut flushes = Vec::new();
                for msg in batch.drain(..) {
                    match msg {
                        Msg::Event(e, ack) => {
                            events.push(*e);
                            waiting.push(ack);
                        }
                        Msg::Flush(done) => flushes.push(done),
                    }
                }
                // Whether each event was stored. A failed write is retried a few times; the
                // events are not dropped silently.
                let mut stored = vec![false; events.len()];
                let attempts = if events.is_empty() { 0 } else { 5u32 };
                for attempt in 0..attempts {
                    match store::write(&db, &events).await {
                        Ok(()) => {
                            stored.fill(true);
                            break;
                        }
                        Err(e) if attempt < 4 => {
                            tracing::warn!(error = %e, attempt, "audit write failed; retrying");
                            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                        }
                        Err(e) => {
                            // One bad event must not cost the others: write them one by one.
                            tracing::error!(error = %e, "audit batch could not be written; writing events singly");
                            for (i, event) in events.iter().enumerate() {
                                match store::write(&db, std::slice::from_ref(event)).await {
                                    Ok(()) => stored[i] = true,
                                    Err(e) => {
                                        tracing::error!(error = %e, event = ?event, "audit event could not be written")
                                    }
                                }
                            }
                        }
                    }
                }
                for (ack, ok) in waiting.into_iter().zip(stored) {
                    if let Some(ack) = ack {
                        let _ = ack.send(ok);
                    }
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        (AuditLog { tx, writes }, AuditWriter { handle })
    }

    /// Queues an event (waits only if the writer is far behind). Reads use this: their
    /// events are written within moments, in batches, and all of them at shutdown.
    pub async fn record(&self, event: Event) {
        if let Err(mpsc::error::SendError(Msg::Event(e, _))) = self.tx.send(Msg::Event(Box::new(event), None)).await {
            tracing::error!(event = ?e, "audit writer has stopped; event logged here instead");
        }
    }

    /// Queues an event and waits until it is stored: a write is not acknowledged before its
    /// audit event is durable. Concurrent writes still share the writer's batches (one commit
    /// for many requests). `Err` when it could not be stored.
    pub async fn record_durable(&self, event: Event) -> Result<(), ()> {
        let (ack, stored) = oneshot::channel();
        if let Err(mpsc::error::SendError(Msg::Event(e, _))) =
            self.writes.send(Msg::Event(Box::new(event), Some(ack))).await
        {
            tracing::error!(event = ?e, "audit writer has stopped; event logged here instead");
            return Err(());
        }
        match stored.await {
            Ok(true) => Ok(()),
            _ => Err(()),
        }
    }

    /// Waits until every event this process queued so far is written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

impl AuditWriter {
    /// Waits until every queued event is written (the senders must be dropped first).
    pub async fn close(self) {
        let _ = self.handle.await;
    }
}
