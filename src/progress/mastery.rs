//! Mastery: each learner's standing on each competency, computed from their results by the
//! framework's calculation and kept in `masteries`. Whatever changes a result (a post, an
//! override, a deletion, a new calculation) recomputes the pairs it touches in the same
//! transaction, and moves playlist items whose competencies are all mastered to `MASTERED`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{
    Calculation, ItemState, Status, competency, competency_framework, line_item_objective, mastery, playlist,
    playlist_item, playlist_item_competency, playlist_item_transition, result,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict, Query},
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

    // Results bearing on these competencies: posted against one of them, or against an item
    // that builds one of them (without naming a competency).
    let items_of_comps = Query::select()
        .column(playlist_item_competency::Column::ItemId)
        .from(playlist_item_competency::Entity)
        .and_where(playlist_item_competency::Column::CompetencyId.is_in(comps.iter().copied()))
        .to_owned();
    let results = result::Entity::find()
        .filter(result::Column::LearnerId.is_in(learners.iter().copied()))
        .filter(result::Column::Status.eq(Status::Active))
        .filter(
            Condition::any()
                .add(result::Column::CompetencyId.is_in(comps.iter().copied()))
                .add(
                    Condition::all()
                        .add(result::Column::CompetencyId.is_null())
                        .add(result::Column::ItemId.in_subquery(items_of_comps)),
                )
                .add(
                    Condition::all()
                        .add(result::Column::CompetencyId.is_null())
                        .add(result::Column::ItemId.is_null())
                        .add(graded())
                        .add(result::Column::LineItemId.in_subquery(line_items_of(&comps))),
                ),
        )
        .all(txn)
        .await?;
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
        let e = Evidence { value: effective(r), at: r.occurred_at, result_id: r.id };
        let targets: Vec<i64> = match (r.competency_id, r.item_id) {
            (Some(c), _) => vec![c],
            (None, Some(item)) => links.get(&item).cloned().unwrap_or_default(),
            (None, None) => match r.line_item_id {
                Some(l) if is_graded(r) => line_links.get(&l).cloned().unwrap_or_default(),
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
    let mut upserts = Vec::new();
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
    for (learner, comp) in emptied {
        mastery::Entity::delete_many()
            .filter(mastery::Column::LearnerId.eq(learner))
            .filter(mastery::Column::CompetencyId.eq(comp))
            .exec(txn)
            .await?;
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
    r.score_status.as_deref() == Some(FULLY_GRADED) && r.score_max.is_some()
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
    let now = crate::db::now();
    for item in candidates {
        let pl = playlists.get(&item.playlist_id);
        let Some(learner) = pl.and_then(|p| p.learner_id) else { continue };
        let needed = links.get(&item.id).cloned().unwrap_or_default();
        if needed.is_empty() || !needed.iter().all(|c| mastered.contains(&(learner, *c))) {
            continue;
        }
        let moved = playlist_item::Entity::update_many()
            .col_expr(playlist_item::Column::State, Expr::value(ItemState::Mastered))
            .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
            .filter(playlist_item::Column::Id.eq(item.id))
            .filter(playlist_item::Column::State.eq(item.state))
            .exec(txn)
            .await?;
        if moved.rows_affected == 0 {
            continue;
        }
        playlist_item_transition::Entity::insert(playlist_item_transition::ActiveModel {
            item_id: Set(item.id),
            from_state: Set(Some(item.state)),
            to_state: Set(ItemState::Mastered),
            actor_kind: Set(entity::ActorKind::System),
            actor_id: Set("mastery".to_owned()),
            note: Set(Some("every competency of this item is mastered".to_owned())),
            changed_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        effects.changes.push(Change {
            entity: ChangeEntity::PlaylistItem,
            id: item.id,
            org_id: pl.map(|p| p.org_id),
            person_id: Some(learner),
            deleted: false,
        });
        effects.events.push(Event { kind: EventKind::ItemState, id: item.id, learner_id: learner });
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
