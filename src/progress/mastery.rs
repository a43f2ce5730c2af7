//! Mastery: each learner's standing on each competency, computed from their results by the
//! framework's calculation and kept in `masteries`. Whatever changes a result (a post, an
//! override, a deletion, a new calculation) recomputes the pairs it touches in the same
//! transaction, and moves playlist items whose competencies are all mastered to `MASTERED`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{
    Calculation, ItemState, Status, competency, competency_framework, line_item_objective, mastery, playlist,
    playlist_item, playlist_item_competency, playlist_item_transition, result,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::{OnConflict, Query},
};

use crate::{
    competencies::store::Scale,
    error::AppResult,
    sync::{Change, ChangeEntity, Effects, Event, EventKind},
};

/// One result as evidence: its effective value (a teacher's override wins) and when.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub value: f64,
    pub at: DateTime<Utc>,
    pub result_id: i64,
}

/// A computed mastery.
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    pub value: Option<f64>,
    pub level: Option<String>,
    pub mastered: bool,
    pub count: usize,
    pub last_at: Option<DateTime<Utc>>,
}

/// Applies a framework's calculation to a learner's evidence on one competency.
pub fn compute(scale: &Scale, mut evidence: Vec<Evidence>) -> Computed {
    evidence.sort_by(|a, b| a.at.cmp(&b.at).then(a.result_id.cmp(&b.result_id)));
    let values: Vec<f64> = evidence.iter().map(|e| e.value).collect();
    let value = match (scale.calculation, values.as_slice()) {
        (_, []) => None,
        (Calculation::MostRecent, v) => v.last().copied(),
        (Calculation::Highest, v) => v.iter().copied().reduce(f64::max),
        (Calculation::Average, v) => Some(v.iter().sum::<f64>() / v.len() as f64),
        (Calculation::DecayingAverage, v) => {
            let w = scale.parameter;
            v.iter().copied().reduce(|running, next| w * next + (1.0 - w) * running)
        }
        (Calculation::NTimesAtMastery, v) => {
            let n = (scale.parameter as usize).max(1);
            let mut sorted = v.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            sorted.get(n - 1).copied()
        }
    };
    let level = value.and_then(|v| scale.level_of(v)).map(|l| l.name.clone());
    Computed {
        mastered: value.is_some_and(|v| v >= scale.mastered_threshold()),
        value,
        level,
        count: evidence.len(),
        last_at: evidence.last().map(|e| e.at),
    }
}

/// The effective value of a result: a teacher's override, else the posted value.
pub fn effective(r: &result::Model) -> f64 {
    r.override_value.unwrap_or(r.value)
}

/// Recomputes the masteries of `(learner, competency)` pairs and masters the playlist items
/// that this completes. Returns what others must hear of.
#[tracing::instrument(skip_all, fields(pairs = pairs.len()))]
pub async fn recompute(txn: &impl ConnectionTrait, pairs: BTreeSet<(i64, i64)>) -> AppResult<Effects> {
    let mut effects = Effects::default();
    if pairs.is_empty() {
        return Ok(effects);
    }
    let learners: BTreeSet<i64> = pairs.iter().map(|p| p.0).collect();
    let comps: BTreeSet<i64> = pairs.iter().map(|p| p.1).collect();
    let competencies =
        competency::Entity::find().filter(competency::Column::Id.is_in(comps.iter().copied())).all(txn).await?;
    let framework_ids: BTreeSet<i64> = competencies.iter().map(|c| c.framework_id).collect();
    let scales: HashMap<i64, Scale> = competency_framework::Entity::find()
        .filter(competency_framework::Column::Id.is_in(framework_ids))
        .all(txn)
        .await?
        .iter()
        .map(|f| (f.id, Scale::of(f)))
        .collect();
    let scale_of: HashMap<i64, &Scale> =
        competencies.iter().filter_map(|c| scales.get(&c.framework_id).map(|s| (c.id, s))).collect();

    // Results bearing on these pairs: posted against one of them (exactly these pairs, not
    // every result of these learners: their history grows), or, naming no competency, against
    // an item or a graded line item that builds one of them. Two branches of one statement,
    // each planned on its own index (`ix_results_learner_competency`).
    let backend = txn.get_database_backend();
    let columns = [
        result::Column::Id,
        result::Column::LearnerId,
        result::Column::ItemId,
        result::Column::CompetencyId,
        result::Column::LineItemId,
        result::Column::Value,
        result::Column::OverrideValue,
        result::Column::OccurredAt,
        result::Column::ScoreStatus,
        result::Column::ScoreMax,
    ];
    let items_of_comps = Query::select()
        .column(playlist_item_competency::Column::ItemId)
        .from(playlist_item_competency::Entity)
        .and_where(playlist_item_competency::Column::CompetencyId.is_in(comps.iter().copied()))
        .to_owned();
    let mut direct = Query::select()
        .columns(columns)
        .from(result::Entity)
        .and_where(crate::db::pairs_in(backend, ("learner_id", "competency_id"), pairs.iter().copied()))
        .and_where(result::Column::Status.eq(Status::Active))
        .to_owned();
    let through_items = Query::select()
        .columns(columns)
        .from(result::Entity)
        .and_where(result::Column::LearnerId.is_in(learners.iter().copied()))
        .and_where(result::Column::CompetencyId.is_null())
        .and_where(result::Column::Status.eq(Status::Active))
        .cond_where(
            Condition::any().add(result::Column::ItemId.in_subquery(items_of_comps)).add(
                Condition::all()
                    .add(result::Column::ItemId.is_null())
                    .add(graded())
                    .add(result::Column::LineItemId.in_subquery(line_items_of(&comps))),
            ),
        )
        .to_owned();
    direct.union(sea_orm::sea_query::UnionType::All, through_items);
    let results = EvidenceRow::find_by_statement(backend.build(&direct)).all(txn).await?;
    let item_ids: BTreeSet<i64> =
        results.iter().filter(|r| r.competency_id.is_none()).filter_map(|r| r.item_id).collect();
    let links = item_links(txn, &item_ids).await?;
    let line_ids: BTreeSet<i64> = results
        .iter()
        .filter(|r| r.competency_id.is_none() && r.item_id.is_none())
        .filter_map(|r| r.line_item_id)
        .collect();
    let line_links = line_item_links(txn, &line_ids).await?;
    let mut evidence: HashMap<(i64, i64), Vec<Evidence>> = HashMap::new();
    for r in &results {
        let e = Evidence { value: r.override_value.unwrap_or(r.value), at: r.occurred_at, result_id: r.id };
        let targets: Vec<i64> = match (r.competency_id, r.item_id) {
            (Some(c), _) => vec![c],
            (None, Some(item)) => links.get(&item).cloned().unwrap_or_default(),
            (None, None) => match r.line_item_id {
                Some(l) if graded_score(r.score_status.as_deref(), r.score_max) => {
                    line_links.get(&l).cloned().unwrap_or_default()
                }
                _ => vec![],
            },
        };
        for c in targets {
            if pairs.contains(&(r.learner_id, c)) {
                evidence.entry((r.learner_id, c)).or_default().push(e);
            }
        }
    }
    let now = crate::db::now();
    let mut upserts: Vec<mastery::ActiveModel> = Vec::new();
    let mut emptied = Vec::new();
    for &(learner, comp) in &pairs {
        let Some(scale) = scale_of.get(&comp) else { continue };
        let ev = evidence.remove(&(learner, comp)).unwrap_or_default();
        if ev.is_empty() {
            emptied.push((learner, comp));
            continue;
        }
        let c = compute(scale, ev);
        upserts.push(mastery::ActiveModel {
            learner_id: Set(learner),
            competency_id: Set(comp),
            value: Set(c.value),
            level: Set(c.level),
            mastered: Set(c.mastered),
            evidence_count: Set(i32::try_from(c.count).unwrap_or(i32::MAX)),
            last_evidence_at: Set(c.last_at),
            date_last_modified: Set(now),
        });
    }
    if !emptied.is_empty() {
        mastery::Entity::delete_many()
            .filter(crate::db::pairs_in(backend, ("learner_id", "competency_id"), emptied))
            .exec(txn)
            .await?;
    }
    let unnested = crate::db::unnest_insert(
        backend,
        &upserts,
        "ON CONFLICT (learner_id, competency_id) DO UPDATE SET value = EXCLUDED.value, \
         level = EXCLUDED.level, mastered = EXCLUDED.mastered, evidence_count = EXCLUDED.evidence_count, \
         last_evidence_at = EXCLUDED.last_evidence_at, date_last_modified = EXCLUDED.date_last_modified",
    );
    if let Some(statement) = unnested {
        txn.execute_raw(statement).await?;
        upserts.clear();
    }
    for chunk in upserts.chunks(2000) {
        mastery::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([mastery::Column::LearnerId, mastery::Column::CompetencyId])
                    .update_columns([
                        mastery::Column::Value,
                        mastery::Column::Level,
                        mastery::Column::Mastered,
                        mastery::Column::EvidenceCount,
                        mastery::Column::LastEvidenceAt,
                        mastery::Column::DateLastModified,
                    ])
                    .to_owned(),
            )
            .exec(txn)
            .await?;
    }
    effects.extend(master_items(txn, &learners, &comps).await?);
    Ok(effects)
}

/// The competencies of each item.
pub async fn item_links(txn: &impl ConnectionTrait, items: &BTreeSet<i64>) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if items.is_empty() {
        return Ok(out);
    }
    let rows = playlist_item_competency::Entity::find()
        .filter(playlist_item_competency::Column::ItemId.is_in(items.iter().copied()))
        .all(txn)
        .await?;
    for r in rows {
        out.entry(r.item_id).or_default().push(r.competency_id);
    }
    Ok(out)
}

/// Whether a gradebook result is evidence of mastery: fully graded, with a score on the line
/// item's range (the import sets `score_max` only then).
pub fn is_graded(r: &result::Model) -> bool {
    graded_score(r.score_status.as_deref(), r.score_max)
}

fn graded_score(score_status: Option<&str>, score_max: Option<f64>) -> bool {
    score_status == Some(FULLY_GRADED) && score_max.is_some()
}

/// What the roll-up reads of a result.
#[derive(Debug, FromQueryResult)]
struct EvidenceRow {
    id: i64,
    learner_id: i64,
    item_id: Option<i64>,
    competency_id: Option<i64>,
    line_item_id: Option<i64>,
    value: f64,
    override_value: Option<f64>,
    occurred_at: DateTime<Utc>,
    score_status: Option<String>,
    score_max: Option<f64>,
}

/// OneRoster's `scoreStatus` of a result that is final.
pub const FULLY_GRADED: &str = "fully graded";

/// The learning objective source whose identifiers are CASE identifiers.
pub const CASE: &str = "case";

fn graded() -> Condition {
    Condition::all().add(result::Column::ScoreStatus.eq(FULLY_GRADED)).add(result::Column::ScoreMax.is_not_null())
}

/// The line items with an active CASE objective naming one of `comps`.
fn line_items_of(comps: &BTreeSet<i64>) -> sea_orm::sea_query::SelectStatement {
    let case_ids = Query::select()
        .column(competency::Column::SourceId)
        .from(competency::Entity)
        .and_where(competency::Column::Id.is_in(comps.iter().copied()))
        .to_owned();
    Query::select()
        .column(line_item_objective::Column::LineItemId)
        .from(line_item_objective::Entity)
        .and_where(line_item_objective::Column::Status.eq(Status::Active))
        .and_where(line_item_objective::Column::Source.eq(CASE))
        .and_where(line_item_objective::Column::ObjectiveId.in_subquery(case_ids))
        .to_owned()
}

/// The competencies each line item assesses: its active CASE learning objectives matched to
/// the district's active competencies by identifier.
pub async fn line_item_links(
    txn: &impl ConnectionTrait,
    line_items: &BTreeSet<i64>,
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if line_items.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = line_items.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let objectives: Vec<(i64, String)> = line_item_objective::Entity::find()
            .select_only()
            .columns([line_item_objective::Column::LineItemId, line_item_objective::Column::ObjectiveId])
            .filter(line_item_objective::Column::LineItemId.is_in(chunk.iter().copied()))
            .filter(line_item_objective::Column::Status.eq(Status::Active))
            .filter(line_item_objective::Column::Source.eq(CASE))
            .into_tuple()
            .all(txn)
            .await?;
        let wanted: BTreeSet<&str> = objectives.iter().map(|o| o.1.as_str()).collect();
        let comps: Vec<(i64, String)> = competency::Entity::find()
            .select_only()
            .columns([competency::Column::Id, competency::Column::SourceId])
            .filter(competency::Column::SourceId.is_in(wanted))
            .filter(competency::Column::Status.eq(Status::Active))
            .into_tuple()
            .all(txn)
            .await?;
        let mut by_case: HashMap<&str, Vec<i64>> = HashMap::new();
        for (id, case) in &comps {
            by_case.entry(case.as_str()).or_default().push(*id);
        }
        for (line, objective) in &objectives {
            let found = by_case.get(objective.as_str()).into_iter().flatten().copied();
            let entry = out.entry(*line).or_default();
            for c in found {
                if !entry.contains(&c) {
                    entry.push(c);
                }
            }
        }
    }
    Ok(out)
}

/// Moves to `MASTERED` the learners' open items that build one of `comps` and whose
/// competencies are now all mastered.
async fn master_items(
    txn: &impl ConnectionTrait,
    learners: &BTreeSet<i64>,
    comps: &BTreeSet<i64>,
) -> AppResult<Effects> {
    let mut effects = Effects::default();
    let candidates: Vec<playlist_item::Model> = playlist_item::Entity::find()
        .filter(playlist_item::Column::Status.eq(Status::Active))
        .filter(playlist_item::Column::State.ne(ItemState::Mastered))
        .filter(
            playlist_item::Column::Id.in_subquery(
                Query::select()
                    .column(playlist_item_competency::Column::ItemId)
                    .from(playlist_item_competency::Entity)
                    .and_where(playlist_item_competency::Column::CompetencyId.is_in(comps.iter().copied()))
                    .to_owned(),
            ),
        )
        .filter(
            playlist_item::Column::PlaylistId.in_subquery(
                Query::select()
                    .column(playlist::Column::Id)
                    .from(playlist::Entity)
                    .and_where(playlist::Column::LearnerId.is_in(learners.iter().copied()))
                    .and_where(playlist::Column::Status.eq(Status::Active))
                    .to_owned(),
            ),
        )
        .all(txn)
        .await?;
    if candidates.is_empty() {
        return Ok(effects);
    }
    let playlists: HashMap<i64, playlist::Model> = playlist::Entity::find()
        .filter(playlist::Column::Id.is_in(candidates.iter().map(|i| i.playlist_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let ids: BTreeSet<i64> = candidates.iter().map(|i| i.id).collect();
    let links = item_links(txn, &ids).await?;
    let all_comps: BTreeSet<i64> = links.values().flatten().copied().collect();
    let mastered: BTreeSet<(i64, i64)> = mastery::Entity::find()
        .select_only()
        .columns([mastery::Column::LearnerId, mastery::Column::CompetencyId])
        .filter(mastery::Column::LearnerId.is_in(learners.iter().copied()))
        .filter(mastery::Column::CompetencyId.is_in(all_comps.iter().copied()))
        .filter(mastery::Column::Mastered.eq(true))
        .into_tuple::<(i64, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    // The items now complete, by the state they were read in: each state's items move in one
    // conditional UPDATE (an item another transaction moved meanwhile is left to it), so the
    // statements are as many as the states, whatever the number of items.
    let mut ready: BTreeMap<ItemState, Vec<(i64, i64, Option<i64>)>> = BTreeMap::new();
    for item in &candidates {
        let pl = playlists.get(&item.playlist_id);
        let Some(learner) = pl.and_then(|p| p.learner_id) else { continue };
        let needed = links.get(&item.id).map(Vec::as_slice).unwrap_or_default();
        if needed.is_empty() || !needed.iter().all(|c| mastered.contains(&(learner, *c))) {
            continue;
        }
        ready.entry(item.state).or_default().push((item.id, learner, pl.map(|p| p.org_id)));
    }
    let now = crate::db::now();
    let backend = txn.get_database_backend();
    let mut transitions = Vec::new();
    for (state, items) in ready {
        let mut moved: BTreeSet<i64> = BTreeSet::new();
        // Under either backend's parameter limit: a district-wide recompute may complete more.
        for chunk in items.chunks(30_000) {
            let mut update = Query::update()
                .table(playlist_item::Entity)
                .value(playlist_item::Column::State, ItemState::Mastered)
                .value(playlist_item::Column::DateLastModified, now)
                .and_where(playlist_item::Column::Id.is_in(chunk.iter().map(|i| i.0)))
                .and_where(playlist_item::Column::State.eq(state))
                .to_owned();
            update.returning_col(playlist_item::Column::Id);
            for row in txn.query_all_raw(backend.build(&update)).await? {
                moved.insert(row.try_get::<i64>("", "id")?);
            }
        }
        for (id, learner, org_id) in items.into_iter().filter(|i| moved.contains(&i.0)) {
            transitions.push(playlist_item_transition::ActiveModel {
                item_id: Set(id),
                from_state: Set(Some(state)),
                to_state: Set(ItemState::Mastered),
                actor_kind: Set(entity::ActorKind::System),
                actor_id: Set("mastery".to_owned()),
                note: Set(Some("every competency of this item is mastered".to_owned())),
                changed_at: Set(now),
                ..Default::default()
            });
            effects.changes.push(Change {
                entity: ChangeEntity::PlaylistItem,
                id,
                org_id,
                person_id: Some(learner),
                deleted: false,
            });
            effects.events.push(Event { kind: EventKind::ItemState, id, learner_id: learner });
        }
    }
    // 7 values a row: far under SQLite's 32,766 parameters.
    for chunk in transitions.chunks(4000) {
        playlist_item_transition::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(effects)
}

/// Recomputes every mastery held on a framework's competencies (after its calculation changed).
#[tracing::instrument(skip_all, fields(framework = framework_id))]
pub async fn recompute_framework(txn: &impl ConnectionTrait, framework_id: i64) -> AppResult<Effects> {
    let pairs: BTreeSet<(i64, i64)> = mastery::Entity::find()
        .select_only()
        .columns([mastery::Column::LearnerId, mastery::Column::CompetencyId])
        .filter(
            mastery::Column::CompetencyId.in_subquery(
                Query::select()
                    .column(competency::Column::Id)
                    .from(competency::Entity)
                    .and_where(competency::Column::FrameworkId.eq(framework_id))
                    .to_owned(),
            ),
        )
        .into_tuple::<(i64, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut effects = Effects::default();
    let pairs: Vec<(i64, i64)> = pairs.into_iter().collect();
    for chunk in pairs.chunks(500) {
        effects.extend(recompute(txn, chunk.iter().copied().collect()).await?);
    }
    Ok(effects)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::competencies::store::default_levels;

    fn scale(calculation: Calculation, parameter: f64) -> Scale {
        Scale { calculation, parameter, levels: default_levels(), mastered_level: "PROFICIENT".into() }
    }

    fn ev(values: &[f64]) -> Vec<Evidence> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Evidence {
                value: *v,
                at: Utc.timestamp_opt(1_700_000_000 + i as i64 * 60, 0).single().unwrap_or_default(),
                result_id: i as i64,
            })
            .collect()
    }

    #[test]
    fn each_calculation_rolls_up_as_documented() {
        let v = [0.4, 1.0, 0.6];
        let value = |c, p| compute(&scale(c, p), ev(&v)).value.unwrap_or(-1.0);
        assert!((value(Calculation::MostRecent, 0.0) - 0.6).abs() < 1e-9);
        assert!((value(Calculation::Highest, 0.0) - 1.0).abs() < 1e-9);
        assert!((value(Calculation::Average, 0.0) - 2.0 / 3.0).abs() < 1e-9);
        // 0.4 -> 0.5*1.0 + 0.5*0.4 = 0.7 -> 0.5*0.6 + 0.5*0.7 = 0.65
        assert!((value(Calculation::DecayingAverage, 0.5) - 0.65).abs() < 1e-9);
        // second best of three
        assert!((value(Calculation::NTimesAtMastery, 2.0) - 0.6).abs() < 1e-9);
        assert_eq!(compute(&scale(Calculation::NTimesAtMastery, 4.0), ev(&v)).value, None);
    }

    #[test]
    fn levels_and_mastery_follow_thresholds() {
        let c = compute(&scale(Calculation::MostRecent, 0.0), ev(&[0.2, 0.8]));
        assert_eq!(c.level.as_deref(), Some("PROFICIENT"));
        assert!(c.mastered);
        let c = compute(&scale(Calculation::MostRecent, 0.0), ev(&[0.9, 0.7]));
        assert_eq!(c.level.as_deref(), Some("DEVELOPING"));
        assert!(!c.mastered);
        assert_eq!(c.count, 2);
    }
}
