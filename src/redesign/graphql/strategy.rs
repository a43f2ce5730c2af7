//! A plan's strategic plan as the schema shows it: goals, indicators with their measurements
//! and status, milestones, and the mutations that edit them.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{redesign_goal, redesign_indicator, redesign_measurement, redesign_milestone, redesign_pillar};

use super::{Payload, decode, district::RedesignPillar, payload, plans::RedesignPlan, rl, today, writer};
use crate::{
    error::AppResult,
    graphql::{
        relay::{Kind, global_id},
        user_errors::UserError,
    },
    profiles::graphql::RevisionActor,
    redesign::store,
};

/// A goal of a plan's strategic plan.
pub struct RedesignGoal(pub redesign_goal::Model);

#[Object]
impl RedesignGoal {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignGoal, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Who is responsible for the goal.
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    /// The district pillars the goal serves.
    async fn pillars(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignPillar>> {
        let l = rl(ctx)?;
        let links = l.pillar_links.load_one(self.0.id).await?.unwrap_or_default();
        let pillars = l.pillars.load_many(links.iter().map(|k| k.pillar_id)).await?;
        let mut out: Vec<redesign_pillar::Model> = pillars.into_values().collect();
        out.sort_by_key(|p| (p.position, p.id));
        Ok(out.into_iter().map(RedesignPillar).collect())
    }
    async fn indicators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignIndicator>> {
        let rows = rl(ctx)?.indicators.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(RedesignIndicator).collect())
    }
    async fn milestones(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignMilestone>> {
        let rows = rl(ctx)?.milestones.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(RedesignMilestone).collect())
    }
    /// The plan the goal belongs to.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignPlan>> {
        // This record was reached through a plan the caller may see: its plan is that one.
        Ok(rl(ctx)?.plans.load_one(self.0.plan_id).await?.map(RedesignPlan))
    }
}

/// One measurement of an indicator.
pub struct IndicatorMeasurement(pub redesign_measurement::Model);

#[Object]
impl IndicatorMeasurement {
    async fn measured_on(&self) -> NaiveDate {
        self.0.measured_on
    }
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn recorded_by(&self) -> RevisionActor {
        RevisionActor::new(self.0.actor_kind, &self.0.actor_id)
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Where an indicator stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum IndicatorStatus {
    /// No measurement yet, and the target date has not passed.
    NotMeasured,
    /// The latest measurement is at least where a straight line from baseline to target says
    /// it should be on its date.
    OnTrack,
    /// Behind that line, or the target date passed without reaching the target.
    OffTrack,
    /// The latest measurement reached the target.
    Met,
}

impl From<store::IndicatorStatus> for IndicatorStatus {
    fn from(s: store::IndicatorStatus) -> Self {
        match s {
            store::IndicatorStatus::NotMeasured => IndicatorStatus::NotMeasured,
            store::IndicatorStatus::OnTrack => IndicatorStatus::OnTrack,
            store::IndicatorStatus::OffTrack => IndicatorStatus::OffTrack,
            store::IndicatorStatus::Met => IndicatorStatus::Met,
        }
    }
}

impl From<IndicatorStatus> for store::IndicatorStatus {
    fn from(s: IndicatorStatus) -> Self {
        match s {
            IndicatorStatus::NotMeasured => store::IndicatorStatus::NotMeasured,
            IndicatorStatus::OnTrack => store::IndicatorStatus::OnTrack,
            IndicatorStatus::OffTrack => store::IndicatorStatus::OffTrack,
            IndicatorStatus::Met => store::IndicatorStatus::Met,
        }
    }
}

/// A measurable indicator of a goal: a baseline and a target, each with its date, and
/// measurements over time.
pub struct RedesignIndicator(pub redesign_indicator::Model);

impl RedesignIndicator {
    async fn rows(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<redesign_measurement::Model>> {
        let mut rows = rl(ctx)?.measurements.load_one(self.0.id).await?.unwrap_or_default();
        rows.sort_by_key(|m| m.measured_on);
        Ok(rows)
    }
}

#[Object]
impl RedesignIndicator {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignIndicator, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the values count (e.g. `%`, `students`).
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    async fn baseline(&self) -> f64 {
        self.0.baseline
    }
    async fn baseline_on(&self) -> NaiveDate {
        self.0.baseline_on
    }
    /// The value to reach; below the baseline means lower is better.
    async fn target(&self) -> f64 {
        self.0.target
    }
    async fn target_on(&self) -> NaiveDate {
        self.0.target_on
    }
    /// Measurements, oldest first.
    async fn measurements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IndicatorMeasurement>> {
        Ok(self.rows(ctx).await?.into_iter().map(IndicatorMeasurement).collect())
    }
    async fn latest(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<IndicatorMeasurement>> {
        Ok(self.rows(ctx).await?.pop().map(IndicatorMeasurement))
    }
    /// Where the indicator stands as of `asOf` (default today, UTC): the latest measurement
    /// compared with a straight line from baseline to target.
    async fn status(&self, ctx: &Context<'_>, as_of: Option<NaiveDate>) -> async_graphql::Result<IndicatorStatus> {
        let rows = self.rows(ctx).await?;
        Ok(store::indicator_status(&self.0, &rows, as_of.unwrap_or_else(today)).into())
    }
    async fn goal(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignGoal>> {
        // This record was reached through a plan the caller may see: its goal is in that plan.
        Ok(rl(ctx)?.goals_by_id.load_one(self.0.goal_id).await?.map(RedesignGoal))
    }
}

/// A milestone of a goal.
pub struct RedesignMilestone(pub redesign_milestone::Model);

#[Object]
impl RedesignMilestone {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignMilestone, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    /// Null until completed.
    async fn completed_on(&self) -> Option<NaiveDate> {
        self.0.completed_on
    }
    /// Past due and not completed as of `asOf` (default today, UTC).
    async fn overdue(&self, as_of: Option<NaiveDate>) -> bool {
        self.0.completed_on.is_none() && self.0.due_on < as_of.unwrap_or_else(today)
    }
    async fn goal(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignGoal>> {
        // This record was reached through a plan the caller may see: its goal is in that plan.
        Ok(rl(ctx)?.goals_by_id.load_one(self.0.goal_id).await?.map(RedesignGoal))
    }
}

payload!(RedesignGoalPayload, goal, RedesignGoal, redesign_goal::Model);
payload!(RedesignIndicatorPayload, indicator, RedesignIndicator, redesign_indicator::Model);
payload!(RedesignMilestonePayload, milestone, RedesignMilestone, redesign_milestone::Model);

#[derive(SimpleObject)]
pub struct DeleteRedesignGoalPayload {
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

impl Payload for DeleteRedesignGoalPayload {
    /// The id of the goal deleted, as the caller gave it.
    type Value = ID;
    fn ok(id: ID) -> Self {
        DeleteRedesignGoalPayload { deleted_id: Some(id), user_errors: vec![] }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        DeleteRedesignGoalPayload { deleted_id: None, user_errors }
    }
}

#[derive(InputObject)]
pub struct CreateRedesignGoalInput {
    pub plan_id: ID,
    pub title: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// At least one current pillar of the plan's district.
    pub pillar_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateRedesignGoalInput {
    pub goal_id: ID,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// Replaces the goal's pillars.
    pub pillar_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct AddRedesignIndicatorInput {
    pub goal_id: ID,
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub baseline_on: NaiveDate,
    pub target: f64,
    pub target_on: NaiveDate,
}

#[derive(InputObject)]
pub struct RecordIndicatorMeasurementInput {
    pub indicator_id: ID,
    /// A second measurement for the same date replaces the first.
    pub measured_on: NaiveDate,
    pub value: f64,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AddRedesignMilestoneInput {
    pub goal_id: ID,
    pub title: String,
    pub owner: Option<String>,
    pub due_on: NaiveDate,
}

#[derive(InputObject)]
pub struct UpdateRedesignMilestoneInput {
    pub milestone_id: ID,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// The date it was completed; null reopens it.
    pub completed_on: MaybeUndefined<NaiveDate>,
}

fn pillar_ids(ids: &[ID]) -> AppResult<Vec<i64>> {
    ids.iter().enumerate().map(|(i, id)| decode(id, Kind::RedesignPillar, &format!("input.pillarIds.{i}"))).collect()
}

#[derive(Default)]
pub struct StrategyMutation;

#[Object]
impl StrategyMutation {
    /// Adds a goal to a plan's strategic plan. Needs `redesign.write` over its school.
    async fn create_redesign_goal(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignGoalInput,
    ) -> async_graphql::Result<RedesignGoalPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let plan = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let pillars = pillar_ids(&input.pillar_ids)?;
            let f = store::GoalFields {
                title: Some(input.title),
                description: input.description,
                owner: input.owner,
                pillar_ids: Some(pillars),
            };
            store::create_goal(db, p, plan, f).await
        };
        RedesignGoalPayload::from_result(r.await)
    }

    /// Edits a goal. Needs `redesign.write` over its school.
    async fn update_redesign_goal(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignGoalInput,
    ) -> async_graphql::Result<RedesignGoalPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.goal_id, Kind::RedesignGoal, "input.goalId")?;
            let pillars = input.pillar_ids.as_deref().map(pillar_ids).transpose()?;
            let f = store::GoalFields {
                title: input.title,
                description: input.description,
                owner: input.owner,
                pillar_ids: pillars,
            };
            store::update_goal(db, p, id, f).await
        };
        RedesignGoalPayload::from_result(r.await)
    }

    /// Deletes a goal with its indicators and milestones. Needs `redesign.write` over its school.
    async fn delete_redesign_goal(
        &self,
        ctx: &Context<'_>,
        goal_id: ID,
    ) -> async_graphql::Result<DeleteRedesignGoalPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&goal_id, Kind::RedesignGoal, "goalId")?;
            store::delete_goal(db, p, id).await
        };
        DeleteRedesignGoalPayload::from_result(r.await.map(|()| goal_id))
    }

    /// Adds a measurable indicator to a goal. Needs `redesign.write` over its school.
    async fn add_redesign_indicator(
        &self,
        ctx: &Context<'_>,
        input: AddRedesignIndicatorInput,
    ) -> async_graphql::Result<RedesignIndicatorPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let goal = decode(&input.goal_id, Kind::RedesignGoal, "input.goalId")?;
            let f = store::IndicatorFields {
                name: input.name,
                unit: input.unit,
                baseline: input.baseline,
                baseline_on: input.baseline_on,
                target: input.target,
                target_on: input.target_on,
            };
            store::add_indicator(db, p, goal, f).await
        };
        RedesignIndicatorPayload::from_result(r.await)
    }

    /// Records an indicator's value on a date. Needs `redesign.write` over its school.
    async fn record_indicator_measurement(
        &self,
        ctx: &Context<'_>,
        input: RecordIndicatorMeasurementInput,
    ) -> async_graphql::Result<RedesignIndicatorPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.indicator_id, Kind::RedesignIndicator, "input.indicatorId")?;
            store::record_measurement(db, p, id, input.measured_on, input.value, input.note).await
        };
        RedesignIndicatorPayload::from_result(r.await)
    }

    /// Adds a milestone to a goal. Needs `redesign.write` over its school.
    async fn add_redesign_milestone(
        &self,
        ctx: &Context<'_>,
        input: AddRedesignMilestoneInput,
    ) -> async_graphql::Result<RedesignMilestonePayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let goal = decode(&input.goal_id, Kind::RedesignGoal, "input.goalId")?;
            let f = store::MilestoneFields {
                title: Some(input.title),
                owner: input.owner,
                due_on: Some(input.due_on),
                completed_on: None,
            };
            store::add_milestone(db, p, goal, f).await
        };
        RedesignMilestonePayload::from_result(r.await)
    }

    /// Edits a milestone, or marks it completed (or reopens it). Needs `redesign.write` over
    /// its school.
    async fn update_redesign_milestone(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignMilestoneInput,
    ) -> async_graphql::Result<RedesignMilestonePayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.milestone_id, Kind::RedesignMilestone, "input.milestoneId")?;
            let completed_on = match input.completed_on {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(d) => Some(Some(d)),
            };
            let f =
                store::MilestoneFields { title: input.title, owner: input.owner, due_on: input.due_on, completed_on };
            store::update_milestone(db, p, id, f).await
        };
        RedesignMilestonePayload::from_result(r.await)
    }
}
