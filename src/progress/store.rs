//! Results: posting (idempotent per poster and sourcedId, ordered by when the result
//! happened), teacher overrides, deletion, and reads limited to learners the caller may see.

use entity::Role;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{
    STATUS_ACTIVE, STATUS_TOBEDELETED, competency, competency_framework, playlist, playlist_item, result, user,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
    Select,
    sea_query::{Expr, OnConflict, Query},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::{Actor, People, Principal, Scope, policy::user_id_visible},
    competencies::store::Scale,
    error::{AppError, AppResult},
    playlists::store::MasteryEvidence,
    roster::store::{Sync, check_len, lookup_key},
    sync::{Bus, Change, ChangeEntity, Effects, Event, EventKind},
};

/// Most results one bulk post may carry.
pub const MAX_BATCH: usize = 1000;

/// What a post did with one result.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
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
    pub evidence: MasteryEvidence,
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

/// Results of learners the principal may see.
pub fn results(p: &Principal, sync: Sync) -> Select<result::Entity> {
    let mut q = result::Entity::find().filter(user_id_visible(p, (result::Entity, result::Column::LearnerId)));
    if let Some(since) = sync.updated_since {
        q = q.filter(result::Column::DateLastModified.gte(since));
    } else if !sync.include_deleted {
        q = q.filter(result::Column::Status.eq(STATUS_ACTIVE));
    }
    q
}

/// A result the caller may see (deleted ones included), noted on the caller's audit trail.
pub async fn find(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<result::Model>> {
    let found = results(p, Sync { updated_since: None, include_deleted: true })
        .filter(result::Column::Id.eq(id))
        .one(db)
        .await?;
    p.reveal(found.iter().map(|r| r.learner_id));
    Ok(found)
}

struct Resolved {
    index: usize,
    model: result::ActiveModel,
    sourced_id: String,
    hash: String,
    learner_id: i64,
    occurred_at: DateTime<Utc>,
    pairs: Vec<i64>,
}

fn finite(field: String, v: f64) -> AppResult<f64> {
    if v.is_finite() { Ok(v) } else { Err(AppError::validation(field, "must be a finite number")) }
}

/// Everything needed to resolve a batch's references in a few statements.
struct Lookup {
    learners: HashMap<String, user::Model>,
    items: HashMap<i64, (playlist_item::Model, playlist::Model)>,
    competencies: HashMap<String, competency::Model>,
    comp_by_id: HashMap<i64, competency::Model>,
    links: HashMap<i64, Vec<i64>>,
    scales: HashMap<i64, Scale>,
}

async fn lookup(db: &impl ConnectionTrait, p: &Principal, rows: &[ResultInput]) -> AppResult<Lookup> {
    let learner_keys: BTreeSet<&str> = rows.iter().filter_map(|r| lookup_key(&r.learner)).collect();
    let mut learners = HashMap::new();
    let keys: Vec<&str> = learner_keys.into_iter().collect();
    for chunk in keys.chunks(500) {
        for u in crate::roster::store::users(p, &[Role::Student], None, None, None, Sync::default())
            .filter(user::Column::SourcedId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            learners.insert(u.sourced_id.clone(), u);
        }
    }
    let item_ids: BTreeSet<i64> = rows.iter().filter_map(|r| r.item_id).collect();
    let mut items = HashMap::new();
    if !item_ids.is_empty() {
        let found = crate::playlists::store::items(p, None, Sync::default())
            .filter(playlist_item::Column::Id.is_in(item_ids.iter().copied()))
            .all(db)
            .await?;
        let lists: HashMap<i64, playlist::Model> = playlist::Entity::find()
            .filter(playlist::Column::Id.is_in(found.iter().map(|i| i.playlist_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        for i in found {
            if let Some(pl) = lists.get(&i.playlist_id) {
                items.insert(i.id, (i, pl.clone()));
            }
        }
    }
    let links = crate::progress::mastery::item_links(db, &items.keys().copied().collect()).await?;
    let comp_keys: BTreeSet<&str> =
        rows.iter().filter_map(|r| r.competency.as_deref()).filter_map(lookup_key).collect();
    let comp_keys: Vec<&str> = comp_keys.into_iter().collect();
    let competencies = crate::competencies::store::by_source_ids(db, p, &comp_keys).await?;
    let mut comp_ids: BTreeSet<i64> = competencies.values().map(|c| c.id).collect();
    comp_ids.extend(links.values().flatten());
    let comp_by_id: HashMap<i64, competency::Model> = if comp_ids.is_empty() {
        HashMap::new()
    } else {
        competency::Entity::find()
            .filter(competency::Column::Id.is_in(comp_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    let fw: BTreeSet<i64> = comp_by_id.values().map(|c| c.framework_id).collect();
    let scales = if fw.is_empty() {
        HashMap::new()
    } else {
        competency_framework::Entity::find()
            .filter(competency_framework::Column::Id.is_in(fw))
            .all(db)
            .await?
            .iter()
            .map(|f| (f.id, Scale::of(f)))
            .collect()
    };
    Ok(Lookup { learners, items, competencies, comp_by_id, links, scales })
}

fn resolve(index: usize, r: &ResultInput, l: &Lookup, poster: &str, now: DateTime<Utc>) -> AppResult<Resolved> {
    let f = |name: &str| format!("input.results.{index}.{name}");
    check_len(&f("sourcedId"), &r.sourced_id, 255)?;
    let learner = l
        .learners
        .get(r.learner.as_str())
        .ok_or_else(|| AppError::validation(f("learnerSourcedId"), "no such learner among those you may see"))?;
    let item = match r.item_id {
        Some(id) => {
            let (item, pl) = l.items.get(&id).ok_or_else(|| AppError::validation(f("itemId"), "no such item"))?;
            if pl.learner_id != Some(learner.id) || pl.status != STATUS_ACTIVE || item.status != STATUS_ACTIVE {
                return Err(AppError::validation(f("itemId"), "the item is not on this learner's playlists"));
            }
            Some(item)
        }
        None => None,
    };
    let comp = match &r.competency {
        Some(c) => Some(
            l.competencies
                .get(c.as_str())
                .ok_or_else(|| AppError::validation(f("competencyId"), "no such competency"))?,
        ),
        None => None,
    };
    // An item tied to competencies takes evidence for those; one tied to none takes any.
    if let (Some(c), Some(i)) = (comp, item)
        && l.links.get(&i.id).is_some_and(|cs| !cs.is_empty() && !cs.contains(&c.id))
    {
        return Err(AppError::validation(f("competencyId"), "the item does not build this competency"));
    }
    let pairs: Vec<i64> = match (comp, item) {
        (Some(c), _) => vec![c.id],
        (None, Some(i)) => l.links.get(&i.id).cloned().unwrap_or_default(),
        (None, None) => {
            return Err(AppError::validation(
                f("itemId"),
                "name the item or the competency (or both) the result is for",
            ));
        }
    };
    let value = match (r.score, r.score_max, &r.mastery_level) {
        (Some(score), Some(max), None) => {
            let score = finite(f("score"), score)?;
            let max = finite(f("scoreMax"), max)?;
            if max <= 0.0 {
                return Err(AppError::validation(f("scoreMax"), "must be above 0"));
            }
            if !(0.0..=max).contains(&score) {
                return Err(AppError::validation(f("score"), "must be between 0 and scoreMax"));
            }
            score / max
        }
        (None, None, Some(level)) => {
            let comp_id = pairs.first().copied().ok_or_else(|| {
                AppError::validation(f("masteryLevel"), "a mastery level needs a competency to know its scale")
            })?;
            let scale = l
                .comp_by_id
                .get(&comp_id)
                .and_then(|c| l.scales.get(&c.framework_id))
                .ok_or_else(|| AppError::validation(f("competencyId"), "no such competency"))?;
            scale
                .level(level)
                .ok_or_else(|| {
                    AppError::validation(
                        f("masteryLevel"),
                        format!(
                            "the scale's levels are {}",
                            scale.levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?
                .threshold
        }
        (None, None, None) => {
            return Err(AppError::validation(f("score"), "give a score with scoreMax, or a masteryLevel"));
        }
        (_, _, Some(_)) => {
            return Err(AppError::validation(f("masteryLevel"), "give a score or a mastery level, not both"));
        }
        _ => return Err(AppError::validation(f("scoreMax"), "a score needs its scoreMax, and scoreMax its score")),
    };
    if r.occurred_at > now + chrono::Duration::minutes(5) {
        return Err(AppError::validation(f("occurredAt"), "is in the future"));
    }
    if r.occurred_at.timestamp() < 0 {
        return Err(AppError::validation(f("occurredAt"), "is before 1970"));
    }
    let comment = match &r.comment {
        Some(c) if c.trim().is_empty() => None,
        Some(c) => {
            check_len(&f("comment"), c, 2000)?;
            Some(c.trim().to_owned())
        }
        None => None,
    };
    let occurred_at = r.occurred_at.trunc_subsecs_micro();
    let canonical = serde_json::json!([
        learner.id,
        item.map(|i| i.id),
        comp.map(|c| c.id),
        r.score,
        r.score_max,
        r.mastery_level,
        r.evidence.as_str(),
        occurred_at.timestamp_micros(),
        comment,
    ]);
    let hash = format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()));
    let model = result::ActiveModel {
        poster: Set(poster.to_owned()),
        sourced_id: Set(r.sourced_id.clone()),
        learner_id: Set(learner.id),
        item_id: Set(item.map(|i| i.id)),
        competency_id: Set(comp.map(|c| c.id)),
        score: Set(r.score),
        score_max: Set(r.score_max),
        mastery_level: Set(r.mastery_level.clone()),
        value: Set(value),
        evidence: Set(r.evidence.as_str().to_owned()),
        occurred_at: Set(occurred_at),
        comment: Set(comment),
        content_hash: Set(hash.clone()),
        override_value: Set(None),
        override_level: Set(None),
        override_by: Set(None),
        override_note: Set(None),
        overridden_at: Set(None),
        status: Set(STATUS_ACTIVE.to_owned()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    };
    Ok(Resolved { index, model, sourced_id: r.sourced_id.clone(), hash, learner_id: learner.id, occurred_at, pairs })
}

trait Micros {
    fn trunc_subsecs_micro(self) -> Self;
}

impl Micros for DateTime<Utc> {
    fn trunc_subsecs_micro(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 6)
    }
}

/// Whether `p` may post a batch of `sent` results (counted as the caller sent them, before any
/// row is set aside on its own, so a batch over the limit is refused whole whatever its rows
/// hold): the scope, no learner posting their own results, and 1 to `MAX_BATCH` rows.
pub fn check_post(p: &Principal, sent: usize) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    if matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("learners do not post their own results".into()));
    }
    if sent == 0 || sent > MAX_BATCH {
        return Err(AppError::validation("input.results", format!("give 1 to {MAX_BATCH} results")));
    }
    Ok(())
}

/// Posts results. Each row is checked on its own: bad rows come back as errors with their
/// index and change nothing; good rows are stored in one transaction, each with its outcome.
/// `(poster, sourcedId)` is unique in the database, so retried and concurrent posts of one
/// result store it once.
pub async fn post(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    rows: Vec<ResultInput>,
) -> AppResult<(Vec<Posted>, Vec<(usize, AppError)>)> {
    check_post(p, rows.len())?;
    let poster = poster(p);
    let now = crate::db::now();
    let l = lookup(db, p, &rows).await?;
    let mut errors = Vec::new();
    let mut good: Vec<Resolved> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(first) = seen.get(r.sourced_id.as_str()) {
            errors.push((
                i,
                AppError::validation(
                    format!("input.results.{i}.sourcedId"),
                    format!("the same sourcedId as row {first} of this request"),
                ),
            ));
            continue;
        }
        match resolve(i, r, &l, &poster, now) {
            Ok(x) => {
                // Only a row that is kept claims its sourcedId: a bad first row does not cost
                // a good second one with the same id.
                seen.insert(&r.sourced_id, i);
                good.push(x);
            }
            Err(e @ AppError::Validation { .. }) => errors.push((i, e)),
            Err(e) => return Err(e),
        }
    }
    if good.is_empty() {
        return Ok((vec![], errors));
    }

    let txn = crate::db::begin_write(db).await?;
    let mut outcomes: HashMap<usize, (PostOutcome, i64)> = HashMap::new();
    // New results in multi-row inserts; a sourcedId already stored (by an earlier post or one
    // committing concurrently) is skipped here and compared below.
    let by_sid: HashMap<&str, &Resolved> = good.iter().map(|g| (g.sourced_id.as_str(), g)).collect();
    let backend = txn.get_database_backend();
    // In sourcedId order, as are the updates below: concurrent batches sharing results then
    // take their row locks in one order and wait for each other instead of deadlocking.
    let mut ordered: Vec<&Resolved> = good.iter().collect();
    ordered.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    for chunk in ordered.chunks(500) {
        let mut insert = result::Entity::insert_many(chunk.iter().map(|g| g.model.clone()).collect::<Vec<_>>())
            .on_conflict(
                OnConflict::columns([result::Column::Poster, result::Column::SourcedId]).do_nothing().to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().columns([result::Column::Id, result::Column::SourcedId]));
        for row in txn.query_all_raw(backend.build(&insert)).await? {
            let id: i64 = row.try_get("", "id")?;
            let sid: String = row.try_get("", "sourced_id")?;
            if let Some(g) = by_sid.get(sid.as_str()) {
                outcomes.insert(g.index, (PostOutcome::Created, id));
            }
        }
    }
    let mut pairs: BTreeSet<(i64, i64)> = BTreeSet::new();
    let existing_sids: Vec<&str> =
        ordered.iter().filter(|g| !outcomes.contains_key(&g.index)).map(|g| g.sourced_id.as_str()).collect();
    for chunk in existing_sids.chunks(500) {
        let stored = result::Entity::find()
            .filter(result::Column::Poster.eq(poster.as_str()))
            .filter(result::Column::SourcedId.is_in(chunk.iter().copied()))
            .order_by_asc(result::Column::SourcedId)
            .all(&txn)
            .await?;
        for old in stored {
            let Some(g) = by_sid.get(old.sourced_id.as_str()) else { continue };
            let revived = old.status != STATUS_ACTIVE;
            // The same post again changes nothing, even for a result deleted since: a retry
            // must not bring back what a teacher removed.
            let outcome = if old.content_hash == g.hash {
                PostOutcome::Unchanged
            } else if g.occurred_at > old.occurred_at || revived {
                let mut m = g.model.clone();
                m.id = Set(old.id);
                m.created_at = Set(old.created_at);
                // A teacher's override outlives the tool's newer posts: it wins until the
                // teacher lifts it.
                m.override_value = NotSet;
                m.override_level = NotSet;
                m.override_by = NotSet;
                m.override_note = NotSet;
                m.overridden_at = NotSet;
                // The conditional UPDATE settles a race between two newer posts: the later
                // timestamp wins whichever commits first.
                let updated = result::Entity::update_many()
                    .set(m)
                    .filter(result::Column::Id.eq(old.id))
                    .filter(
                        Condition::any()
                            .add(result::Column::OccurredAt.lt(g.occurred_at))
                            .add(result::Column::Status.ne(STATUS_ACTIVE)),
                    )
                    .exec(&txn)
                    .await?;
                if updated.rows_affected == 1 {
                    for c in related_competencies(&old) {
                        pairs.insert((old.learner_id, c));
                    }
                    if old.competency_id.is_none()
                        && let Some(item) = old.item_id
                    {
                        let links = crate::progress::mastery::item_links(&txn, &BTreeSet::from([item])).await?;
                        pairs.extend(links.get(&item).into_iter().flatten().map(|c| (old.learner_id, *c)));
                    }
                    if revived { PostOutcome::Created } else { PostOutcome::Updated }
                } else {
                    PostOutcome::IgnoredStale
                }
            } else {
                PostOutcome::IgnoredStale
            };
            outcomes.insert(g.index, (outcome, old.id));
        }
    }
    let mut effects = Effects::default();
    for g in &good {
        if let Some((PostOutcome::Created | PostOutcome::Updated, id)) = outcomes.get(&g.index) {
            pairs.extend(g.pairs.iter().map(|c| (g.learner_id, *c)));
            effects.changes.push(Change {
                entity: ChangeEntity::Result,
                id: *id,
                org_id: None,
                person_id: Some(g.learner_id),
                deleted: false,
            });
            effects.events.push(Event { kind: EventKind::Result, id: *id, learner_id: g.learner_id });
        }
    }
    effects.extend(crate::progress::mastery::recompute(&txn, pairs).await?);
    let ids: Vec<i64> = outcomes.values().map(|(_, id)| *id).collect();
    let mut stored: HashMap<i64, result::Model> = HashMap::new();
    for chunk in ids.chunks(1000) {
        for r in result::Entity::find().filter(result::Column::Id.is_in(chunk.iter().copied())).all(&txn).await? {
            stored.insert(r.id, r);
        }
    }
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    let mut posted: Vec<Posted> = good
        .iter()
        .filter_map(|g| {
            let (outcome, id) = outcomes.get(&g.index)?;
            Some(Posted { index: g.index, outcome: *outcome, result: stored.get(id)?.clone() })
        })
        .collect();
    posted.sort_by_key(|p| p.index);
    errors.sort_by_key(|e| e.0);
    Ok((posted, errors))
}

fn related_competencies(r: &result::Model) -> Vec<i64> {
    r.competency_id.into_iter().collect()
}

/// The `(learner, competency)` pairs a stored result bears on.
async fn pairs_of(txn: &impl ConnectionTrait, r: &result::Model) -> AppResult<BTreeSet<(i64, i64)>> {
    let mut out: BTreeSet<(i64, i64)> = related_competencies(r).into_iter().map(|c| (r.learner_id, c)).collect();
    if r.competency_id.is_none()
        && let Some(item) = r.item_id
    {
        let links = crate::progress::mastery::item_links(txn, &BTreeSet::from([item])).await?;
        out.extend(links.get(&item).into_iter().flatten().map(|c| (r.learner_id, *c)));
    }
    Ok(out)
}

/// Overriding is a judgement for a signed-in teacher or administrator, or the district's own
/// tools (clients holding `admin`, such as its gradebook) recording one; not for vendor tools.
fn require_teacher(p: &Principal) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    match &p.actor {
        Actor::User { role: Role::Teacher | Role::Administrator, .. } => Ok(()),
        Actor::System => Ok(()),
        Actor::Client { .. } if p.has(Scope::Admin) => Ok(()),
        _ => Err(AppError::Forbidden("only a signed-in teacher or administrator may override a result".into())),
    }
}

/// A teacher's judgement on a result: a score or a level that replaces the tool's value in
/// mastery (the tool's values stay, and the tool can see the override). `None` clears it.
#[derive(Clone, Debug)]
pub enum Override {
    Score { score: f64, max: f64 },
    Level(String),
}

pub async fn set_override(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    id: i64,
    value: Option<Override>,
    note: Option<String>,
) -> AppResult<result::Model> {
    require_teacher(p)?;
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let r = find(&txn, p, id).await?.filter(|r| r.status == STATUS_ACTIVE).ok_or(AppError::NotFound("result"))?;
    let (v, level) = match &value {
        None => (None, None),
        Some(Override::Score { score, max }) => {
            let (score, max) = (finite("input.score".into(), *score)?, finite("input.scoreMax".into(), *max)?);
            if max <= 0.0 || !(0.0..=max).contains(&score) {
                return Err(AppError::validation("input.score", "must be between 0 and scoreMax (above 0)"));
            }
            (Some(score / max), None)
        }
        Some(Override::Level(name)) => {
            let comp = match r.competency_id {
                Some(c) => Some(c),
                None => pairs_of(&txn, &r).await?.first().map(|p| p.1),
            };
            let comp = comp.ok_or_else(|| AppError::validation("input.masteryLevel", "this result has no scale"))?;
            let c = competency::Entity::find_by_id(comp).one(&txn).await?.ok_or(AppError::NotFound("competency"))?;
            let f = competency_framework::Entity::find_by_id(c.framework_id)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("framework"))?;
            let scale = Scale::of(&f);
            let lv = scale
                .level(name)
                .ok_or_else(|| AppError::validation("input.masteryLevel", "not a level of the competency's scale"))?;
            (Some(lv.threshold), Some(lv.name.clone()))
        }
    };
    let now = crate::db::now();
    let (_, who) = p.actor_ref();
    result::Entity::update(result::ActiveModel {
        id: Set(r.id),
        override_value: Set(v),
        override_level: Set(level),
        override_by: Set(v.map(|_| who)),
        override_note: Set(v.and(note.map(|n| n.trim().to_owned()))),
        overridden_at: Set(v.map(|_| now)),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut effects = crate::progress::mastery::recompute(&txn, pairs_of(&txn, &r).await?).await?;
    effects.changes.push(Change {
        entity: ChangeEntity::Result,
        id: r.id,
        org_id: None,
        person_id: Some(r.learner_id),
        deleted: false,
    });
    effects.events.push(Event { kind: EventKind::Result, id: r.id, learner_id: r.learner_id });
    let updated = result::Entity::find_by_id(r.id).one(&txn).await?.ok_or(AppError::NotFound("result"))?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(updated)
}

/// Deletes a result: its poster may, and so may a teacher or administrator who sees the
/// learner. Mastery is recomputed without it; a tombstone stays for sync.
pub async fn delete(db: &DatabaseConnection, bus: &Bus, p: &Principal, id: i64) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    let txn = crate::db::begin_write(db).await?;
    let r = find(&txn, p, id).await?.filter(|r| r.status == STATUS_ACTIVE).ok_or(AppError::NotFound("result"))?;
    if r.poster != poster(p) {
        require_teacher(p)
            .map_err(|_| AppError::Forbidden("only the result's poster or a teacher may delete it".into()))?;
    }
    let now = crate::db::now();
    result::Entity::update_many()
        .col_expr(result::Column::Status, Expr::value(STATUS_TOBEDELETED))
        .col_expr(result::Column::DateLastModified, Expr::value(now))
        .filter(result::Column::Id.eq(r.id))
        .exec(&txn)
        .await?;
    let mut effects = crate::progress::mastery::recompute(&txn, pairs_of(&txn, &r).await?).await?;
    effects.changes.push(Change {
        entity: ChangeEntity::Result,
        id: r.id,
        org_id: None,
        person_id: Some(r.learner_id),
        deleted: true,
    });
    effects.events.push(Event { kind: EventKind::Result, id: r.id, learner_id: r.learner_id });
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(())
}
