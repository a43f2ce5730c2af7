//! Posting results: each row resolved against what the caller may see and checked on its
//! own, good rows stored in one transaction with their outcome.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, FromQueryResult, QuerySelect};

use super::*;

/// A result ready to store: checked, its references resolved.
pub(crate) struct Resolved {
    /// Its position in the caller's batch, which outcomes are keyed by.
    pub index: usize,
    pub model: result::ActiveModel,
    pub sourced_id: String,
    /// What tells a retry (the same result again) from a change.
    pub hash: String,
    pub learner_id: i64,
    /// When the result happened: a later one replaces it, an earlier one is stale.
    pub occurred_at: DateTime<Utc>,
    /// The competencies it is evidence for.
    pub pairs: Vec<i64>,
    /// The caller has decided this version replaces the stored one whenever they differ (a
    /// SIS gradebook import, which orders versions by the SIS's own dates): no comparison of
    /// `occurred_at`.
    pub force: bool,
}

/// Everything needed to resolve a batch's references in a few statements.
struct Lookup {
    /// Learners' ids by sourcedId.
    learners: HashMap<String, i64>,
    items: HashMap<i64, (playlist_item::Model, playlist::Model)>,
    competencies: HashMap<String, competency::Model>,
    comp_by_id: HashMap<i64, competency::Model>,
    links: HashMap<i64, Vec<i64>>,
    scales: HashMap<i64, Scale>,
}

async fn lookup(db: &impl ConnectionTrait, p: &Principal, rows: &[ResultInput]) -> AppResult<Lookup> {
    let learner_keys: BTreeSet<&str> = rows.iter().filter_map(|r| lookup_key(&r.learner)).collect();
    // A batch's learners in one statement (`MAX_BATCH` sourcedIds), their ids alone.
    let mut learners = HashMap::new();
    if !learner_keys.is_empty() {
        let found: Vec<(i64, String)> =
            crate::roster::store::users(p, &[Role::Student], None, None, None, Sync::default())
                .select_only()
                .columns([user::Column::Id, user::Column::SourcedId])
                .filter(user::Column::SourcedId.is_in(learner_keys))
                .into_tuple()
                .all(db)
                .await?;
        learners.extend(found.into_iter().map(|(id, sid)| (sid, id)));
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
    let learner_id = *l
        .learners
        .get(r.learner.as_str())
        .ok_or_else(|| AppError::not_found_at(f("learnerSourcedId"), "no such learner among those you may see"))?;
    let item = match r.item_id {
        Some(id) => {
            let (item, pl) = l.items.get(&id).ok_or_else(|| AppError::not_found_at(f("itemId"), "no such item"))?;
            if pl.learner_id != Some(learner_id) || pl.status != Status::Active || item.status != Status::Active {
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
                .ok_or_else(|| AppError::not_found_at(f("competencyId"), "no such competency"))?,
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
                .ok_or_else(|| AppError::not_found_at(f("competencyId"), "no such competency"))?;
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
        learner_id,
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
        learner_id: Set(learner_id),
        item_id: Set(item.map(|i| i.id)),
        competency_id: Set(comp.map(|c| c.id)),
        score: Set(r.score),
        score_max: Set(r.score_max),
        mastery_level: Set(r.mastery_level.clone()),
        value: Set(value),
        evidence: Set(r.evidence),
        occurred_at: Set(occurred_at),
        comment: Set(comment),
        content_hash: Set(hash.clone()),
        override_value: Set(None),
        override_level: Set(None),
        override_by: Set(None),
        override_note: Set(None),
        overridden_at: Set(None),
        status: Set(Status::Active),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    };
    Ok(Resolved { index, model, sourced_id: r.sourced_id.clone(), hash, learner_id, occurred_at, pairs, force: false })
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
    policy::require_poster(p)?;
    if sent == 0 || sent > MAX_BATCH {
        return Err(AppError::validation("input.results", format!("give 1 to {MAX_BATCH} results")));
    }
    Ok(())
}

/// What a post did: the stored rows with their outcomes, and the refused rows' errors, each
/// with the row's index.
pub type Posting = (Vec<Posted>, Vec<(usize, AppError)>);

/// Posts results. Each row is checked on its own: bad rows come back as errors with their
/// index and change nothing; good rows are stored in one transaction, each with its outcome.
/// `(poster, sourcedId)` is unique in the database, so retried and concurrent posts of one
/// result store it once.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn post(
    db: &(impl TransactionTrait + ConnectionTrait),
    bus: &Bus,
    p: &Principal,
    rows: Vec<ResultInput>,
) -> AppResult<Posting> {
    check_post(p, rows.len())?;
    let poster = poster(p);
    let now = crate::db::now();
    // The lookups run before the write transaction opens (on the caller's transaction when
    // there is one): on SQLite the write lock is then held only for the writes, and on
    // PostgreSQL a retried batch measured twice as slow with them inside.
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
            Err(e) if e.is_field_error() => errors.push((i, e)),
            Err(e) => return Err(e),
        }
    }
    if good.is_empty() {
        return Ok((vec![], errors));
    }

    let txn = crate::db::begin_write(db).await?;
    let Stored { outcomes, created: mut stored, effects } = store(&txn, &poster, &good).await?;
    // The rows it did not insert (updated, unchanged, stale) as they now stand.
    let ids: Vec<i64> = outcomes.values().map(|(_, id)| *id).filter(|id| !stored.contains_key(id)).collect();
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
    p.reveal(posted.iter().map(|r| r.result.learner_id));
    Ok((posted, errors))
}

/// Stores checked results in the caller's transaction: new ones inserted, stored ones
/// replaced by later ones (a teacher's override kept), retries left alone; the masteries they
/// bear on recomputed. The outcome and id of each, by its index; and what others must hear of
/// (not yet staged). `postResults` and the OneRoster gradebook import both write through here.
pub(crate) async fn store(txn: &impl ConnectionTrait, poster: &str, good: &[Resolved]) -> AppResult<Stored> {
    let mut outcomes: HashMap<usize, (PostOutcome, i64)> = HashMap::new();
    // New results in multi-row inserts; a sourcedId already stored (by an earlier post or one
    // committing concurrently) is skipped here and compared below.
    let by_sid: HashMap<&str, &Resolved> = good.iter().map(|g| (g.sourced_id.as_str(), g)).collect();
    let backend = txn.get_database_backend();
    // In sourcedId order, as are the updates below: concurrent batches sharing results then
    // take their row locks in one order and wait for each other instead of deadlocking.
    let mut ordered: Vec<&Resolved> = good.iter().collect();
    ordered.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    // As many rows a statement as the backend's parameters allow: a batch of `MAX_BATCH` is
    // one INSERT. The inserted rows come back whole, so they need not be read again.
    let columns = good
        .iter()
        .map(|g| <result::Column as sea_orm::Iterable>::iter().filter(|c| g.model.get(*c).is_set()).count())
        .max()
        .unwrap_or(1)
        .max(1);
    let max_params = if backend == sea_orm::DatabaseBackend::Postgres { 65_535 } else { 32_766 };
    let mut created: HashMap<i64, result::Model> = HashMap::new();
    let models: Vec<result::ActiveModel> = ordered.iter().map(|g| g.model.clone()).collect();
    let unnested =
        crate::db::unnest_insert(backend, &models, "ON CONFLICT (poster, sourced_id) DO NOTHING RETURNING results.*");
    let statements: Vec<sea_orm::Statement> = match unnested {
        Some(statement) => vec![statement],
        None => models
            .chunks(max_params / columns)
            .map(|chunk| {
                let mut insert = result::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([result::Column::Poster, result::Column::SourcedId])
                            .do_nothing()
                            .to_owned(),
                    )
                    .into_query();
                insert.returning_all();
                backend.build(&insert)
            })
            .collect(),
    };
    for statement in statements {
        for row in txn.query_all_raw(statement).await? {
            let r = result::Model::from_query_result(&row, "")?;
            if let Some(g) = by_sid.get(r.sourced_id.as_str()) {
                outcomes.insert(g.index, (PostOutcome::Created, r.id));
                created.insert(r.id, r);
            }
        }
    }
    // The rest are stored already: read (and on PostgreSQL locked, in sourcedId order, so
    // that concurrent batches sharing results wait for each other instead of deadlocking) in
    // one statement, compared here, and the newer versions written in one UPDATE.
    let existing_sids: Vec<&str> =
        ordered.iter().filter(|g| !outcomes.contains_key(&g.index)).map(|g| g.sourced_id.as_str()).collect();
    let mut olds: Vec<result::Model> = Vec::new();
    for chunk in existing_sids.chunks(max_params - 1) {
        olds.extend(
            result::Entity::find()
                .filter(result::Column::Poster.eq(poster))
                .filter(result::Column::SourcedId.is_in(chunk.iter().copied()))
                .order_by_asc(result::Column::SourcedId)
                .lock_exclusive()
                .all(txn)
                .await?,
        );
    }
    let mut updates: Vec<(&Resolved, &result::Model)> = Vec::new();
    for old in &olds {
        let Some(g) = by_sid.get(old.sourced_id.as_str()) else { continue };
        let revived = old.status != Status::Active;
        // The same post again changes nothing, even for a result deleted since: a retry
        // must not bring back what a teacher removed. A later version replaces the stored
        // one; an earlier one (or one of the same time) is stale.
        let outcome = if old.content_hash == g.hash {
            PostOutcome::Unchanged
        } else if g.force || g.occurred_at > old.occurred_at || revived {
            updates.push((g, old));
            if revived { PostOutcome::Created } else { PostOutcome::Updated }
        } else {
            PostOutcome::IgnoredStale
        };
        outcomes.insert(g.index, (outcome, old.id));
    }
    replace(txn, &updates, max_params).await?;
    // The masteries the replaced versions bore on are recomputed too.
    let mut pairs = pairs_of_all(txn, updates.iter().map(|(_, old)| *old)).await?;
    let mut effects = Effects::default();
    for g in good {
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
    effects.extend(crate::progress::mastery::recompute(txn, pairs).await?);
    Ok(Stored { outcomes, created, effects })
}

/// Writes each `(new, stored)` pair's new version over the stored row, in as few UPDATEs as
/// the backend's parameters allow (one for a batch of `MAX_BATCH`). The row keeps its id, its
/// creation time and a teacher's override, which outlives the tool's newer posts until the
/// teacher lifts it.
async fn replace(
    txn: &impl ConnectionTrait,
    updates: &[(&Resolved, &result::Model)],
    max_params: usize,
) -> AppResult<()> {
    use sea_orm::{IdenStatic, Iterable};
    let kept = [
        result::Column::Id,
        result::Column::CreatedAt,
        result::Column::OverrideValue,
        result::Column::OverrideLevel,
        result::Column::OverrideBy,
        result::Column::OverrideNote,
        result::Column::OverriddenAt,
    ];
    // Rows setting the same columns go together (a batch's rows all do).
    let mut groups: BTreeMap<Vec<usize>, Vec<(i64, Vec<sea_orm::Value>)>> = BTreeMap::new();
    let columns: Vec<result::Column> =
        result::Column::iter().filter(|c| !kept.iter().any(|k| k.as_str() == c.as_str())).collect();
    for (g, old) in updates {
        let set: Vec<(usize, sea_orm::Value)> = columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let v = g.model.get(*c);
                if v.is_set() { v.into_value().map(|v| (i, v)) } else { None }
            })
            .collect();
        let (key, values): (Vec<usize>, Vec<sea_orm::Value>) = set.into_iter().unzip();
        groups.entry(key).or_default().push((old.id, values));
    }
    let backend = txn.get_database_backend();
    for (key, rows) in groups {
        let names: Vec<&str> = key.iter().map(|i| columns[*i].as_str()).collect();
        for chunk in rows.chunks((max_params / (names.len() + 1)).max(1)) {
            let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * (names.len() + 1));
            let mut tuples = Vec::with_capacity(chunk.len());
            for (id, row) in chunk {
                let mut marks = Vec::with_capacity(row.len() + 1);
                for v in std::iter::once(sea_orm::Value::from(*id)).chain(row.iter().cloned()) {
                    values.push(v);
                    marks.push(match backend {
                        sea_orm::DatabaseBackend::Postgres => format!("${}", values.len()),
                        _ => "?".to_owned(),
                    });
                }
                tuples.push(format!("({})", marks.join(", ")));
            }
            let sql = format!(
                "WITH v (id, {cols}) AS (VALUES {tuples}) UPDATE results SET {sets} FROM v WHERE results.id = v.id",
                cols = names.join(", "),
                tuples = tuples.join(", "),
                sets = names.iter().map(|n| format!("{n} = v.{n}")).collect::<Vec<_>>().join(", "),
            );
            txn.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
        }
    }
    Ok(())
}

/// What [`store`] did.
pub(crate) struct Stored {
    /// The outcome and id of each stored row, by its index.
    pub outcomes: HashMap<usize, (PostOutcome, i64)>,
    /// The rows it inserted, as stored, by id.
    pub created: HashMap<i64, result::Model>,
    /// What others must hear of (not yet staged).
    pub effects: Effects,
}
