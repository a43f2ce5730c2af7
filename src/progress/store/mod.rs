//! Results: posting (idempotent per poster and sourcedId, ordered by when the result
//! happened), teacher overrides, deletion, and reads limited to learners the caller may see.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
pub use entity::Evidence;
use entity::{Role, Status, competency, competency_framework, playlist, playlist_item, result, user};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Select, TransactionSession,
    TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::{
        Actor, Principal,
        policy::{progress as policy, user_id_visible},
    },
    competencies::store::Scale,
    error::{AppError, AppResult},
    page::{Page, PageRequest, fetch_page},
    roster::store::{Sync, check_len, lookup_key},
    sync::{Bus, Change, ChangeEntity, Effects, Event, EventKind},
};

mod correct;
mod post;

pub use self::{correct::*, post::*};

/// Most results one bulk post may carry.
pub const MAX_BATCH: usize = 1000;

/// What a post did with one result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    /// A new result was stored.
    Created,
    /// The stored result was replaced by this one, which happened later.
    Updated,
    /// The same result was already stored: nothing changed (a retry).
    Unchanged,
    /// A result with this sourcedId that happened at the same time or later is stored: this
    /// one was ignored.
    IgnoredStale,
}

/// A result as a tool posts it.
#[derive(Clone, Debug)]
pub struct ResultInput {
    pub sourced_id: String,
    pub learner: String,
    pub item_id: Option<i64>,
    pub competency: Option<String>,
    pub score: Option<f64>,
    pub score_max: Option<f64>,
    pub mastery_level: Option<String>,
    pub evidence: Evidence,
    pub occurred_at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// The outcome of one accepted row.
#[derive(Clone, Debug)]
pub struct Posted {
    pub index: usize,
    pub outcome: PostOutcome,
    pub result: result::Model,
}

/// The poster's namespace for sourcedIds: the tool, or the signed-in person.
pub fn poster(p: &Principal) -> String {
    match &p.actor {
        Actor::User { sourced_id, .. } => format!("user:{sourced_id}"),
        Actor::Client { client_id } => format!("client:{client_id}"),
        Actor::System => "system".to_owned(),
        Actor::Anonymous => "anonymous".to_owned(),
    }
}

/// Filters for listing results.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResultFilter {
    pub learner: Option<i64>,
    pub item: Option<i64>,
    pub sync: Sync,
}

/// Results of learners the principal may see.
fn results(p: &Principal, f: ResultFilter) -> Select<result::Entity> {
    let mut q = result::Entity::find().filter(user_id_visible(p, (result::Entity, result::Column::LearnerId)));
    // A vendor whose agreement does not cover results sees none, whichever API asks (mastery
    // alone keeps `progress.read`).
    if !p.sharing.shares(crate::auth::policy::sharing::Kind::Result) {
        q = q.filter(result::Column::Id.is_null());
    }
    if let Some(since) = f.sync.updated_since {
        q = q.filter(result::Column::DateLastModified.gte(since));
    } else if !f.sync.include_deleted {
        q = q.filter(result::Column::Status.eq(Status::Active));
    }
    if let Some(l) = f.learner {
        q = q.filter(result::Column::LearnerId.eq(l));
    }
    if let Some(i) = f.item {
        q = q.filter(result::Column::ItemId.eq(i));
    }
    q
}

/// A page of the results the caller may see matching `f`, their learners noted on the
/// caller's audit trail.
#[tracing::instrument(skip_all)]
pub async fn result_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: ResultFilter,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<result::Model>> {
    let page = fetch_page(db, results(p, f), result::Column::Id, req, count).await?;
    p.reveal(page.rows.iter().map(|r| r.learner_id));
    Ok(page)
}

/// The OneRoster gradebook's results the caller may see (deleted ones included): those of the
/// gradebook's namespace (written by the CSV import or the gradebook service), on a line item.
pub fn gradebook_results(p: &Principal) -> Select<result::Entity> {
    let sync = Sync { updated_since: None, include_deleted: true };
    results(p, ResultFilter { sync, ..Default::default() })
        .filter(result::Column::Poster.eq(crate::roster::oneroster::records::GRADEBOOK_POSTER))
        .filter(result::Column::LineItemId.is_not_null())
}

/// A page of the results a query from [`gradebook_results`] finds (filtered and ordered by the
/// caller), their learners noted on the caller's audit trail.
#[tracing::instrument(skip_all)]
pub async fn gradebook_result_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: Select<result::Entity>,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<result::Model>> {
    p.require(crate::auth::Scope::ProgressRead)?;
    let page = fetch_page(db, q, result::Column::Id, req, count).await?;
    p.reveal(page.rows.iter().map(|r| r.learner_id));
    Ok(page)
}

/// A result the caller may see (deleted ones included), noted on the caller's audit trail.
#[tracing::instrument(skip_all, fields(result = id))]
pub async fn find(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<result::Model>> {
    let sync = Sync { updated_since: None, include_deleted: true };
    let found =
        results(p, ResultFilter { sync, ..Default::default() }).filter(result::Column::Id.eq(id)).one(db).await?;
    p.reveal(found.iter().map(|r| r.learner_id));
    Ok(found)
}

fn finite(field: String, v: f64) -> AppResult<f64> {
    if v.is_finite() { Ok(v) } else { Err(AppError::validation(field, "must be a finite number")) }
}

fn related_competencies(r: &result::Model) -> Vec<i64> {
    r.competency_id.into_iter().collect()
}

/// The `(learner, competency)` pairs a stored result bears on.
async fn pairs_of(txn: &impl ConnectionTrait, r: &result::Model) -> AppResult<BTreeSet<(i64, i64)>> {
    pairs_of_all(txn, [r]).await
}

/// The `(learner, competency)` pairs stored results bear on, in two statements at most
/// whatever their number.
pub(crate) async fn pairs_of_all<'a>(
    txn: &impl ConnectionTrait,
    results: impl IntoIterator<Item = &'a result::Model>,
) -> AppResult<BTreeSet<(i64, i64)>> {
    let results: Vec<&result::Model> = results.into_iter().collect();
    let mut out: BTreeSet<(i64, i64)> =
        results.iter().flat_map(|r| related_competencies(r).into_iter().map(|c| (r.learner_id, c))).collect();
    let through_item = |r: &&&result::Model| r.competency_id.is_none() && r.item_id.is_some();
    let through_line = |r: &&&result::Model| {
        r.competency_id.is_none() && r.item_id.is_none() && crate::progress::mastery::is_graded(r)
    };
    let items: BTreeSet<i64> = results.iter().filter(through_item).filter_map(|r| r.item_id).collect();
    let lines: BTreeSet<i64> = results.iter().filter(through_line).filter_map(|r| r.line_item_id).collect();
    let item_links = crate::progress::mastery::item_links(txn, &items).await?;
    let line_links = crate::progress::mastery::line_item_links(txn, &lines).await?;
    for r in &results {
        let linked = match (r.competency_id, r.item_id, r.line_item_id) {
            (Some(_), _, _) => None,
            (None, Some(item), _) => item_links.get(&item),
            (None, None, Some(line)) if through_line(&r) => line_links.get(&line),
            _ => None,
        };
        out.extend(linked.into_iter().flatten().map(|c| (r.learner_id, *c)));
    }
    Ok(out)
}

/// A gradebook result's value on its line item's range (`min` to `max`, 0 to 1) and the `max`,
/// when it is evidence of mastery: fully graded, scored, on a line item with a range.
pub fn graded_value(score_status: &str, score: Option<f64>, min: Option<f64>, max: Option<f64>) -> Option<(f64, f64)> {
    if score_status != crate::progress::mastery::FULLY_GRADED {
        return None;
    }
    let (score, max) = (score?, max?);
    let min = min.unwrap_or(0.0);
    if max <= min {
        return None;
    }
    Some((((score - min) / (max - min)).clamp(0.0, 1.0), max))
}

/// After a gradebook import changed line items (their range or the objectives they assess):
/// their results' values on the new range, and the masteries of their learners on `also` (the
/// competencies the line items assessed before) and on what they assess now, recomputed.
/// `lines` holds each line item's id and range.
pub(crate) async fn regrade_line_items(
    txn: &impl ConnectionTrait,
    lines: &[(i64, Option<f64>, Option<f64>)],
    also: BTreeSet<i64>,
) -> AppResult<Effects> {
    let mut effects = Effects::default();
    let now = crate::db::now();
    let range: HashMap<i64, (Option<f64>, Option<f64>)> = lines.iter().map(|(id, lo, hi)| (*id, (*lo, *hi))).collect();
    let ids: BTreeSet<i64> = range.keys().copied().collect();
    let mut comps = also;
    comps.extend(crate::progress::mastery::line_item_links(txn, &ids).await?.into_values().flatten());
    let mut learners = BTreeSet::new();
    let id_list: Vec<i64> = ids.iter().copied().collect();
    for chunk in id_list.chunks(500) {
        let rows = result::Entity::find()
            .filter(result::Column::LineItemId.is_in(chunk.iter().copied()))
            .filter(result::Column::Status.eq(Status::Active))
            .all(txn)
            .await?;
        for r in rows {
            learners.insert(r.learner_id);
            let Some((lo, hi)) = r.line_item_id.and_then(|l| range.get(&l)) else { continue };
            let graded = graded_value(r.score_status.as_deref().unwrap_or(""), r.score, *lo, *hi);
            let (value, max) = (graded.map_or(0.0, |g| g.0), graded.map(|g| g.1));
            if value == r.value && max == r.score_max {
                continue;
            }
            result::Entity::update_many()
                .col_expr(result::Column::Value, Expr::value(value))
                .col_expr(result::Column::ScoreMax, Expr::value(max))
                .col_expr(result::Column::DateLastModified, Expr::value(now))
                .filter(result::Column::Id.eq(r.id))
                .exec(txn)
                .await?;
            effects.changes.push(Change {
                entity: ChangeEntity::Result,
                id: r.id,
                org_id: None,
                person_id: Some(r.learner_id),
                deleted: false,
            });
            effects.events.push(Event { kind: EventKind::Result, id: r.id, learner_id: r.learner_id });
        }
    }
    let pairs: BTreeSet<(i64, i64)> = learners.iter().flat_map(|l| comps.iter().map(move |c| (*l, *c))).collect();
    effects.extend(crate::progress::mastery::recompute(txn, pairs).await?);
    Ok(effects)
}

/// Marks results `tobedeleted` (a gradebook import's deletions) and recomputes the masteries
/// they bore on. Returns what others must hear of. Their content hash is cleared: the same
/// result in a later file brings it back (the SIS's files are the truth), where a result a
/// person deleted stays deleted until the SIS sends a different version of it.
pub(crate) async fn retire(txn: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Effects> {
    let mut effects = Effects::default();
    let mut pairs = BTreeSet::new();
    let now = crate::db::now();
    for chunk in ids.chunks(500) {
        let rows = result::Entity::find()
            .filter(result::Column::Id.is_in(chunk.iter().copied()))
            .filter(result::Column::Status.eq(Status::Active))
            .all(txn)
            .await?;
        result::Entity::update_many()
            .col_expr(result::Column::Status, Expr::value(Status::ToBeDeleted))
            .col_expr(result::Column::DateLastModified, Expr::value(now))
            .col_expr(result::Column::ContentHash, Expr::value(""))
            .filter(result::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(txn)
            .await?;
        let items: BTreeSet<i64> =
            rows.iter().filter(|r| r.competency_id.is_none()).filter_map(|r| r.item_id).collect();
        let lines: BTreeSet<i64> = rows
            .iter()
            .filter(|r| r.competency_id.is_none() && r.item_id.is_none() && crate::progress::mastery::is_graded(r))
            .filter_map(|r| r.line_item_id)
            .collect();
        let item_links = crate::progress::mastery::item_links(txn, &items).await?;
        let line_links = crate::progress::mastery::line_item_links(txn, &lines).await?;
        for r in &rows {
            let comps = match (r.competency_id, r.item_id, r.line_item_id) {
                (Some(c), _, _) => vec![c],
                (None, Some(i), _) => item_links.get(&i).cloned().unwrap_or_default(),
                (None, None, Some(l)) => line_links.get(&l).cloned().unwrap_or_default(),
                (None, None, None) => vec![],
            };
            pairs.extend(comps.into_iter().map(|c| (r.learner_id, c)));
            effects.changes.push(Change {
                entity: ChangeEntity::Result,
                id: r.id,
                org_id: None,
                person_id: Some(r.learner_id),
                deleted: true,
            });
            effects.events.push(Event { kind: EventKind::Result, id: r.id, learner_id: r.learner_id });
        }
    }
    effects.extend(crate::progress::mastery::recompute(txn, pairs).await?);
    Ok(effects)
}
