//! Retention: results and audit events older than the district keeps them are deleted by
//! `learnergraph retention` (run it nightly, e.g. from cron). Deleted results leave tombstones
//! in the changes feed and their students' mastery is worked out again from what remains.

use std::collections::BTreeSet;

use chrono::{DateTime, Months, Utc};
use entity::{audit_event, audit_event_learner, audit_event_pseudonym, result};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};
use serde::Serialize;

use crate::{
    db::begin_write,
    error::AppResult,
    sync::{Change, ChangeEntity, Effects},
};

/// How long the district keeps records (years; from `LEARNERGRAPH_RETENTION_RESULTS_YEARS` and
/// `LEARNERGRAPH_RETENTION_AUDIT_YEARS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionConfig {
    pub results_years: u32,
    pub audit_years: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { results_years: 7, audit_years: 7 }
    }
}

/// What a run deleted (or, dry, would delete).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Results that occurred before this were deleted.
    pub results_before: DateTime<Utc>,
    pub results: u64,
    /// Audit events that occurred before this were deleted.
    pub audit_before: DateTime<Utc>,
    pub audit_events: u64,
}

/// Results deleted in one transaction.
const BATCH: u64 = 1000;

fn years_ago(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(years.saturating_mul(12))).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub async fn run(db: &DatabaseConnection, cfg: &RetentionConfig, dry_run: bool) -> AppResult<Report> {
    run_at(db, cfg, dry_run, crate::db::now()).await
}

/// [`run`] as of `now`.
pub async fn run_at(
    db: &DatabaseConnection,
    cfg: &RetentionConfig,
    dry_run: bool,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    let results_before = years_ago(now, cfg.results_years);
    let audit_before = years_ago(now, cfg.audit_years);
    let old_results = || result::Entity::find().filter(result::Column::OccurredAt.lt(results_before));
    let old_events = || audit_event::Entity::find().filter(audit_event::Column::OccurredAt.lt(audit_before));
    if dry_run {
        return Ok(Report {
            dry_run,
            results_before,
            results: old_results().count(db).await?,
            audit_before,
            audit_events: old_events().count(db).await?,
        });
    }
    let bus = crate::sync::Bus::new();
    let mut results = 0;
    loop {
        let txn = begin_write(db).await?;
        let batch = old_results().order_by_asc(result::Column::Id).limit(BATCH).all(&txn).await?;
        if batch.is_empty() {
            break;
        }
        let pairs: BTreeSet<(i64, i64)> = crate::progress::store::pairs_of_all(&txn, batch.iter()).await?;
        let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
        result::Entity::delete_many().filter(result::Column::Id.is_in(ids.iter().copied())).exec(&txn).await?;
        let mut effects = crate::progress::mastery::recompute(&txn, pairs).await?;
        effects.changes.extend(batch.iter().map(|r| Change {
            entity: ChangeEntity::Result,
            id: r.id,
            org_id: None,
            person_id: Some(r.learner_id),
            deleted: true,
        }));
        let staged = Effects::finish(effects, &txn, &bus).await?;
        txn.commit().await?;
        staged.sent();
        results += ids.len() as u64;
    }
    let txn = begin_write(db).await?;
    let events = Query::select()
        .column(audit_event::Column::Id)
        .from(audit_event::Entity)
        .and_where(audit_event::Column::OccurredAt.lt(audit_before))
        .to_owned();
    // Their students go with them (on PostgreSQL the link has no foreign key to cascade).
    audit_event_learner::Entity::delete_many()
        .filter(audit_event_learner::Column::EventId.in_subquery(events.clone()))
        .exec(&txn)
        .await?;
    audit_event_pseudonym::Entity::delete_many()
        .filter(audit_event_pseudonym::Column::EventId.in_subquery(events))
        .exec(&txn)
        .await?;
    let audit_events = old_events_delete(&txn, audit_before).await?;
    txn.commit().await?;
    Ok(Report { dry_run, results_before, results, audit_before, audit_events })
}

async fn old_events_delete(txn: &impl sea_orm::ConnectionTrait, before: DateTime<Utc>) -> AppResult<u64> {
    Ok(audit_event::Entity::delete_many()
        .filter(audit_event::Column::OccurredAt.lt(before))
        .exec(txn)
        .await?
        .rows_affected)
}
