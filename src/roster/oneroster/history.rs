//! The record of each import: who ran it, when, on what, and what came of it. Written when the
//! import starts (so a killed import leaves a trace) and completed in the import's own
//! transaction when it applies, so the record and the roster never disagree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::roster_import;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::import::{Options, Outcome, Report};
use crate::error::AppResult;

pub async fn start(db: &impl ConnectionTrait, opts: &Options, source: &str, at: DateTime<Utc>) -> AppResult<i64> {
    let row = roster_import::ActiveModel {
        started_at: Set(at),
        finished_at: Set(None),
        ran_by: Set(opts.ran_by.chars().take(255).collect()),
        source: Set(source.to_owned()),
        version: Set(String::new()),
        outcome: Set(Outcome::Running.as_str().to_owned()),
        dry_run: Set(opts.dry_run),
        skip_invalid: Set(opts.skip_invalid),
        manifest: Set("{}".into()),
        counts: Set("{}".into()),
        problems: Set("[]".into()),
        problem_count: Set(0),
        warning_count: Set(0),
        ..Default::default()
    };
    Ok(roster_import::Entity::insert(row).exec(db).await?.last_insert_id)
}

pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    report: &Report,
    manifest: &BTreeMap<String, String>,
    warnings: u64,
) -> AppResult<()> {
    let json = |v: serde_json::Result<String>| v.unwrap_or_else(|_| "null".into());
    roster_import::Entity::update(roster_import::ActiveModel {
        id: Set(id),
        finished_at: Set(Some(crate::db::now())),
        version: Set(report.version.unwrap_or("").to_owned()),
        outcome: Set(report.outcome.as_str().to_owned()),
        manifest: Set(json(serde_json::to_string(manifest))),
        counts: Set(json(serde_json::to_string(&report.counts))),
        problems: Set(json(serde_json::to_string(&report.problems))),
        problem_count: Set(i64::try_from(report.problem_count).unwrap_or(i64::MAX)),
        warning_count: Set(i64::try_from(warnings).unwrap_or(i64::MAX)),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Imports still marked running that started before `id` can't still be running once `id`
/// holds the import lock: they were killed.
pub async fn interrupted_before(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    roster_import::Entity::update_many()
        .col_expr(roster_import::Column::Outcome, Expr::value(Outcome::Interrupted.as_str()))
        .filter(roster_import::Column::Outcome.eq(Outcome::Running.as_str()))
        .filter(roster_import::Column::Id.lt(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The most recent imports, newest first.
pub async fn list(db: &impl ConnectionTrait, limit: u64, before: Option<i64>) -> AppResult<Vec<roster_import::Model>> {
    let mut q = roster_import::Entity::find().order_by_desc(roster_import::Column::Id).limit(limit);
    if let Some(b) = before {
        q = q.filter(roster_import::Column::Id.lt(b));
    }
    Ok(q.all(db).await?)
}

/// An import as JSON for `learnergraph import history`.
pub fn to_json(m: &roster_import::Model) -> serde_json::Value {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "id": m.id,
        "startedAt": m.started_at,
        "finishedAt": m.finished_at,
        "ranBy": m.ran_by,
        "source": m.source,
        "version": m.version,
        "outcome": m.outcome,
        "dryRun": m.dry_run,
        "skipInvalid": m.skip_invalid,
        "counts": parse(&m.counts),
        "problemCount": m.problem_count,
        "warningCount": m.warning_count,
        "problems": parse(&m.problems),
    })
}
