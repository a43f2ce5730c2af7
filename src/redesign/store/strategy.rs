//! A plan's strategic plan: goals serving the district's pillars, each with measurable
//! indicators (and their measurements) and milestones. Edited by whoever may edit the plan.

use chrono::NaiveDate;
use entity::{
    redesign_goal, redesign_goal_pillar, redesign_indicator, redesign_measurement, redesign_milestone, redesign_pillar,
    redesign_plan,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use super::{MAX_NAME, MAX_TEXT, MAX_TITLE, actor, begin, finite, plans::editable_plan, visible_goal_ids};
use crate::validate::{Date, Text};
use crate::{
    auth::{
        Principal,
        policy::redesign::{self as policy, visible_plan_ids},
    },
    error::{AppError, AppResult},
};

pub struct GoalFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub pillar_ids: Option<Vec<i64>>,
}

async fn set_goal_pillars(
    db: &impl ConnectionTrait,
    plan: &redesign_plan::Model,
    goal_id: i64,
    pillar_ids: &[i64],
) -> AppResult<()> {
    if pillar_ids.is_empty() {
        return Err(AppError::validation("input.pillarIds", "a goal serves at least one pillar"));
    }
    let mut ids = pillar_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let found = redesign_pillar::Entity::find()
        .filter(redesign_pillar::Column::Id.is_in(ids.clone()))
        .filter(redesign_pillar::Column::DistrictOrgId.eq(plan.district_org_id))
        .filter(redesign_pillar::Column::Archived.eq(false))
        .count(db)
        .await?;
    if usize::try_from(found).unwrap_or(0) != ids.len() {
        return Err(AppError::validation(
            "input.pillarIds",
            "every pillar must be a current pillar of the plan's district",
        ));
    }
    redesign_goal_pillar::Entity::delete_many()
        .filter(redesign_goal_pillar::Column::GoalId.eq(goal_id))
        .exec(db)
        .await?;
    redesign_goal_pillar::Entity::insert_many(
        ids.into_iter()
            .map(|pillar| redesign_goal_pillar::ActiveModel { goal_id: Set(goal_id), pillar_id: Set(pillar) }),
    )
    .exec(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(plan_id))]
pub async fn create_goal(
    db: &impl TransactionTrait,
    p: &Principal,
    plan_id: i64,
    f: GoalFields,
) -> AppResult<redesign_goal::Model> {
    let title = Text::parse("input.title", f.title.as_deref().unwrap_or_default(), MAX_TITLE)?.into_string();
    let description = Text::optional("input.description", f.description.as_deref(), MAX_TEXT)?.map(Text::into_string);
    let owner = Text::optional("input.owner", f.owner.as_deref(), MAX_NAME)?.map(Text::into_string);
    let txn = begin(db).await?;
    let plan = editable_plan(&txn, p, plan_id).await?;
    let now = crate::db::now();
    let goal = redesign_goal::ActiveModel {
        plan_id: Set(plan.id),
        title: Set(title),
        description: Set(description),
        owner: Set(owner),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_goal_pillars(&txn, &plan, goal.id, f.pillar_ids.as_deref().unwrap_or_default()).await?;
    txn.commit().await?;
    Ok(goal)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_goal(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<redesign_goal::Model>> {
    policy::require_read(p)?;
    Ok(redesign_goal::Entity::find()
        .filter(redesign_goal::Column::Id.eq(id))
        .filter(redesign_goal::Column::PlanId.in_subquery(visible_plan_ids(p)))
        .one(db)
        .await?)
}

/// A goal whose plan the principal may edit.
async fn editable_goal(
    db: &impl ConnectionTrait,
    p: &Principal,
    goal_id: i64,
) -> AppResult<(redesign_plan::Model, redesign_goal::Model)> {
    policy::require_write(p)?;
    let goal = find_goal(db, p, goal_id).await?.ok_or(AppError::NotFound("goal"))?;
    let plan = editable_plan(db, p, goal.plan_id).await?;
    // A concurrent delete may have won the plan's lock first.
    let goal = redesign_goal::Entity::find_by_id(goal.id).one(db).await?.ok_or(AppError::NotFound("goal"))?;
    Ok((plan, goal))
}

#[tracing::instrument(skip_all, fields(goal_id))]
pub async fn update_goal(
    db: &impl TransactionTrait,
    p: &Principal,
    goal_id: i64,
    f: GoalFields,
) -> AppResult<redesign_goal::Model> {
    let txn = begin(db).await?;
    let (plan, goal) = editable_goal(&txn, p, goal_id).await?;
    let mut next = redesign_goal::ActiveModel { id: Set(goal.id), ..Default::default() };
    if let Some(t) = &f.title {
        next.title = Set(Text::parse("input.title", t, MAX_TITLE)?.into_string());
    }
    if let Some(d) = &f.description {
        next.description = Set(Text::optional("input.description", Some(d), MAX_TEXT)?.map(Text::into_string));
    }
    if let Some(o) = &f.owner {
        next.owner = Set(Text::optional("input.owner", Some(o), MAX_NAME)?.map(Text::into_string));
    }
    next.date_last_modified = Set(crate::db::now());
    let m = next.update(&txn).await?;
    if let Some(ids) = &f.pillar_ids {
        set_goal_pillars(&txn, &plan, goal.id, ids).await?;
    }
    txn.commit().await?;
    Ok(m)
}

/// Deletes a goal with its indicators, measurements and milestones.
#[tracing::instrument(skip_all, fields(goal_id))]
pub async fn delete_goal(db: &impl TransactionTrait, p: &Principal, goal_id: i64) -> AppResult<()> {
    let txn = begin(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    redesign_goal::Entity::delete_by_id(goal.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

pub struct IndicatorFields {
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub baseline_on: NaiveDate,
    pub target: f64,
    pub target_on: NaiveDate,
}

#[tracing::instrument(skip_all, fields(goal_id))]
pub async fn add_indicator(
    db: &impl TransactionTrait,
    p: &Principal,
    goal_id: i64,
    f: IndicatorFields,
) -> AppResult<redesign_indicator::Model> {
    let name = Text::parse("input.name", &f.name, MAX_TITLE)?.into_string();
    let unit = Text::optional("input.unit", f.unit.as_deref(), 50)?.map(Text::into_string);
    let baseline = finite("input.baseline", f.baseline)?;
    let target = finite("input.target", f.target)?;
    Date::parse("input.baselineOn", f.baseline_on)?;
    Date::parse("input.targetOn", f.target_on)?;
    if f.target_on <= f.baseline_on {
        return Err(AppError::validation("input.targetOn", "must be after baselineOn"));
    }
    let txn = begin(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    let m = redesign_indicator::ActiveModel {
        goal_id: Set(goal.id),
        name: Set(name),
        unit: Set(unit),
        baseline: Set(baseline),
        baseline_on: Set(f.baseline_on),
        target: Set(target),
        target_on: Set(f.target_on),
        created_at: Set(crate::db::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(m)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_indicator(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_indicator::Model>> {
    policy::require_read(p)?;
    Ok(redesign_indicator::Entity::find()
        .filter(redesign_indicator::Column::Id.eq(id))
        .filter(redesign_indicator::Column::GoalId.in_subquery(visible_goal_ids(p)))
        .one(db)
        .await?)
}

/// Records the indicator's value on a date; a second value for the same date replaces the first.
#[tracing::instrument(skip_all, fields(indicator_id, %measured_on))]
pub async fn record_measurement(
    db: &impl TransactionTrait,
    p: &Principal,
    indicator_id: i64,
    measured_on: NaiveDate,
    value: f64,
    note: Option<String>,
) -> AppResult<redesign_indicator::Model> {
    let value = finite("input.value", value)?;
    Date::parse("input.measuredOn", measured_on)?;
    let note = Text::optional("input.note", note.as_deref(), MAX_TEXT)?.map(Text::into_string);
    let txn = begin(db).await?;
    let indicator = find_indicator(&txn, p, indicator_id).await?.ok_or(AppError::NotFound("indicator"))?;
    editable_goal(&txn, p, indicator.goal_id).await?;
    if measured_on < indicator.baseline_on {
        return Err(AppError::validation("input.measuredOn", "must not be before the indicator's baselineOn"));
    }
    let (kind, actor_id) = actor(p);
    let existing = redesign_measurement::Entity::find()
        .filter(redesign_measurement::Column::IndicatorId.eq(indicator.id))
        .filter(redesign_measurement::Column::MeasuredOn.eq(measured_on))
        .one(&txn)
        .await?;
    let row = redesign_measurement::ActiveModel {
        indicator_id: Set(indicator.id),
        measured_on: Set(measured_on),
        value: Set(value),
        note: Set(note),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        recorded_at: Set(crate::db::now()),
        ..Default::default()
    };
    match existing {
        Some(e) => {
            redesign_measurement::ActiveModel { id: Set(e.id), ..row }.update(&txn).await?;
        }
        None => {
            row.insert(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(indicator)
}

pub struct MilestoneFields {
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// `Some(None)` reopens a completed milestone.
    pub completed_on: Option<Option<NaiveDate>>,
}

#[tracing::instrument(skip_all, fields(goal_id))]
pub async fn add_milestone(
    db: &impl TransactionTrait,
    p: &Principal,
    goal_id: i64,
    f: MilestoneFields,
) -> AppResult<redesign_milestone::Model> {
    let title = Text::parse("input.title", f.title.as_deref().unwrap_or_default(), MAX_TITLE)?.into_string();
    let owner = Text::optional("input.owner", f.owner.as_deref(), MAX_NAME)?.map(Text::into_string);
    let due_on = f.due_on.ok_or_else(|| AppError::validation("input.dueOn", "a milestone needs a due date"))?;
    Date::parse("input.dueOn", due_on)?;
    if let Some(Some(done)) = f.completed_on {
        Date::parse("input.completedOn", done)?;
    }
    let txn = begin(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    let now = crate::db::now();
    let m = redesign_milestone::ActiveModel {
        goal_id: Set(goal.id),
        title: Set(title),
        owner: Set(owner),
        due_on: Set(due_on),
        completed_on: Set(f.completed_on.flatten()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(m)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_milestone(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_milestone::Model>> {
    policy::require_read(p)?;
    Ok(redesign_milestone::Entity::find()
        .filter(redesign_milestone::Column::Id.eq(id))
        .filter(redesign_milestone::Column::GoalId.in_subquery(visible_goal_ids(p)))
        .one(db)
        .await?)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn update_milestone(
    db: &impl TransactionTrait,
    p: &Principal,
    id: i64,
    f: MilestoneFields,
) -> AppResult<redesign_milestone::Model> {
    let txn = begin(db).await?;
    let current = find_milestone(&txn, p, id).await?.ok_or(AppError::NotFound("milestone"))?;
    editable_goal(&txn, p, current.goal_id).await?;
    let mut next = redesign_milestone::ActiveModel { id: Set(current.id), ..Default::default() };
    if let Some(t) = &f.title {
        next.title = Set(Text::parse("input.title", t, MAX_TITLE)?.into_string());
    }
    if let Some(o) = &f.owner {
        next.owner = Set(Text::optional("input.owner", Some(o), MAX_NAME)?.map(Text::into_string));
    }
    if let Some(d) = f.due_on {
        next.due_on = Set(Date::parse("input.dueOn", d)?.get());
    }
    if let Some(c) = f.completed_on {
        next.completed_on = Set(c.map(|d| Date::parse("input.completedOn", d).map(Date::get)).transpose()?);
    }
    next.date_last_modified = Set(crate::db::now());
    let m = next.update(&txn).await?;
    txn.commit().await?;
    Ok(m)
}
