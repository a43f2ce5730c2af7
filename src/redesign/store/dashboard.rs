//! The district dashboard: schools per stage per cohort, overdue milestones, indicators off
//! track, and how many schools have started their transition. Reads only, over the plans the
//! principal may see.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{
    Status, org, redesign_cohort, redesign_indicator, redesign_measurement, redesign_milestone, redesign_plan,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    live_goal_ids,
    plans::{PlanFilter, plans},
};
use crate::{
    auth::{
        Principal,
        policy::{owned_by_granted_org, redesign as policy},
    },
    error::{AppError, AppResult},
    redesign::stages::{self, Stage},
    roster::store::OrgType,
};

/// (cohort year, stage, schools) for the plans the principal may see, by year then stage.
#[tracing::instrument(skip_all)]
pub async fn stage_counts(db: &impl ConnectionTrait, p: &Principal) -> AppResult<Vec<(i32, Stage, i64)>> {
    policy::require_read(p)?;
    let rows: Vec<(i64, Stage, i64)> = plans(p, &PlanFilter::default())?
        .select_only()
        .column(redesign_plan::Column::CohortId)
        .column(redesign_plan::Column::Stage)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(redesign_plan::Column::CohortId)
        .group_by(redesign_plan::Column::Stage)
        .into_tuple()
        .all(db)
        .await?;
    let years: BTreeMap<i64, i32> = redesign_cohort::Entity::find()
        .select_only()
        .columns([redesign_cohort::Column::Id, redesign_cohort::Column::Year])
        .filter(redesign_cohort::Column::Id.is_in(rows.iter().map(|r| r.0)))
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<(i32, Stage, i64)> =
        rows.into_iter().filter_map(|(c, stage, n)| years.get(&c).map(|y| (*y, stage, n))).collect();
    // Stages sort in the order a plan moves through them (their declaration order).
    out.sort_by_key(|(year, stage, _)| (*year, *stage));
    Ok(out)
}

/// Milestones past due and not completed as of `as_of`, oldest first, at most `first` (0 to 100).
#[tracing::instrument(skip_all, fields(%as_of, first))]
pub async fn overdue_milestones(
    db: &impl ConnectionTrait,
    p: &Principal,
    as_of: NaiveDate,
    first: i32,
) -> AppResult<Vec<redesign_milestone::Model>> {
    if !(0..=100).contains(&first) {
        return Err(AppError::validation("first", "must be between 0 and 100"));
    }
    policy::require_read(p)?;
    Ok(redesign_milestone::Entity::find()
        .filter(redesign_milestone::Column::CompletedOn.is_null())
        .filter(redesign_milestone::Column::DueOn.lt(as_of))
        .filter(redesign_milestone::Column::GoalId.in_subquery(live_goal_ids(p)))
        .order_by_asc(redesign_milestone::Column::DueOn)
        .order_by_asc(redesign_milestone::Column::Id)
        .limit(u64::try_from(first).unwrap_or(0))
        .all(db)
        .await?)
}

/// Where an indicator stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndicatorStatus {
    /// No measurement yet, and the target date has not passed.
    NotMeasured,
    /// At least where a straight line from baseline to target says it should be.
    OnTrack,
    /// Behind that line, or the target date passed without reaching the target.
    OffTrack,
    /// The latest measurement reached the target.
    Met,
}

/// The status of an indicator as of a date, from its measurements (any order).
pub fn indicator_status(
    i: &redesign_indicator::Model,
    measurements: &[redesign_measurement::Model],
    as_of: NaiveDate,
) -> IndicatorStatus {
    // Higher is better when the target is above the baseline (or equal), lower otherwise.
    let dir = if i.target < i.baseline { -1.0 } else { 1.0 };
    let latest = measurements.iter().filter(|m| m.measured_on <= as_of).max_by_key(|m| m.measured_on);
    let Some(latest) = latest else {
        return if as_of > i.target_on { IndicatorStatus::OffTrack } else { IndicatorStatus::NotMeasured };
    };
    if dir * (latest.value - i.target) >= 0.0 {
        return IndicatorStatus::Met;
    }
    if as_of > i.target_on {
        return IndicatorStatus::OffTrack;
    }
    let span = Ord::max((i.target_on - i.baseline_on).num_days(), 1) as f64;
    let elapsed = ((latest.measured_on - i.baseline_on).num_days() as f64 / span).clamp(0.0, 1.0);
    let expected = i.baseline + (i.target - i.baseline) * elapsed;
    if dir * (latest.value - expected) >= -1e-9 { IndicatorStatus::OnTrack } else { IndicatorStatus::OffTrack }
}

/// Indicators of visible plans that are off track as of `as_of`, with the measurements that
/// say so: two statements.
#[tracing::instrument(skip_all, fields(%as_of))]
pub async fn off_track_indicators(
    db: &impl ConnectionTrait,
    p: &Principal,
    as_of: NaiveDate,
) -> AppResult<Vec<redesign_indicator::Model>> {
    policy::require_read(p)?;
    let indicators = redesign_indicator::Entity::find()
        .filter(redesign_indicator::Column::GoalId.in_subquery(live_goal_ids(p)))
        .order_by_asc(redesign_indicator::Column::Id)
        .all(db)
        .await?;
    let measurements = redesign_measurement::Entity::find()
        .filter(
            redesign_measurement::Column::IndicatorId.in_subquery(
                Query::select()
                    .column(redesign_indicator::Column::Id)
                    .from(redesign_indicator::Entity)
                    .and_where(Expr::col(redesign_indicator::Column::GoalId).in_subquery(live_goal_ids(p)))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let mut by: BTreeMap<i64, Vec<redesign_measurement::Model>> = BTreeMap::new();
    for m in measurements {
        by.entry(m.indicator_id).or_default().push(m);
    }
    Ok(indicators
        .into_iter()
        .filter(|i| indicator_status(i, by.get(&i.id).map_or(&[], Vec::as_slice), as_of) == IndicatorStatus::OffTrack)
        .collect())
}

/// (schools whose transition started: accepted or beyond; active schools) among the schools the
/// principal may see.
#[tracing::instrument(skip_all)]
pub async fn transition(db: &impl ConnectionTrait, p: &Principal) -> AppResult<(i64, i64)> {
    policy::require_read(p)?;
    let started = plans(p, &PlanFilter::default())?
        .filter(redesign_plan::Column::Stage.is_in(stages::funded_stages()))
        .select_only()
        .column(redesign_plan::Column::SchoolOrgId)
        .distinct()
        .count(db)
        .await?;
    let schools = org::Entity::find()
        .filter(org::Column::OrgType.eq(OrgType::School))
        .filter(org::Column::Status.eq(Status::Active))
        .filter(owned_by_granted_org(p, (org::Entity, org::Column::Id)))
        .count(db)
        .await?;
    Ok((i64::try_from(started).unwrap_or(i64::MAX), i64::try_from(schools).unwrap_or(i64::MAX)))
}
