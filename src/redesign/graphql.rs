//! GraphQL types, queries and mutations of school redesign. Reading needs `redesign.read`;
//! writing needs `redesign.write`, and stages, money, pillars and cohorts are the district's
//! alone (see `store`).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    redesign_cohort, redesign_disbursement, redesign_goal, redesign_grant, redesign_indicator, redesign_measurement,
    redesign_milestone, redesign_pillar, redesign_plan, redesign_stage_change,
};
use sea_orm::{DatabaseConnection, QuerySelect};

use super::{
    loaders::RedesignLoaders,
    money::Money,
    stages::RedesignStage,
    store::{self, IndicatorStatus, Totals},
};
use crate::{
    auth::{Principal, Scope},
    error::{AppError, AppResult},
    graphql::{
        context::{db, gql, loaders, needs, principal, require},
        node::Node,
        relay::{Conn, Kind, PageArgs, decode_kind, global_id, paginate},
        user_errors::{UserError, into_user_errors},
    },
    profiles::graphql::RevisionActor,
    roster::graphql::School,
};

fn rl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RedesignLoaders> {
    ctx.data::<RedesignLoaders>()
}

/// The principal of a redesign write, after dropping what this request's loaders cached: a
/// document may run several writes, and each payload must show the data as that write left it.
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    let p = require(ctx, Scope::RedesignWrite)?;
    rl(ctx)?.clear();
    Ok(p)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn actor(kind: &str, id: &str) -> RevisionActor {
    RevisionActor { kind: kind.to_owned(), id: id.to_owned() }
}

/// An outcome the district's redesign serves.
pub struct RedesignPillar(pub redesign_pillar::Model);

#[Object]
impl RedesignPillar {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignPillar, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Display order within the district.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// An archived pillar stays on the goals that serve it but can't be chosen for new ones.
    async fn archived(&self) -> bool {
        self.0.archived
    }
}

/// A year's cohort of schools entering redesign.
pub struct RedesignCohort(pub redesign_cohort::Model);

#[Object]
impl RedesignCohort {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignCohort, self.0.id)
    }
    /// The year the cohort enters redesign; plans' funding starts in this fiscal year by default.
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How many schools the district aims to take in this cohort.
    async fn target_size(&self) -> i32 {
        self.0.target_size
    }
    /// First day applications are accepted.
    async fn application_opens_on(&self) -> NaiveDate {
        self.0.application_opens_on
    }
    /// Last day applications are accepted.
    async fn application_closes_on(&self) -> NaiveDate {
        self.0.application_closes_on
    }
    /// Whether applications are accepted today (UTC).
    async fn application_open(&self) -> bool {
        let t = today();
        t >= self.0.application_opens_on && t <= self.0.application_closes_on
    }
}

/// One move of a plan between stages.
pub struct RedesignStageChange(redesign_stage_change::Model);

#[Object]
impl RedesignStageChange {
    /// Null for the application itself.
    async fn from(&self) -> Option<RedesignStage> {
        self.0.from_stage.as_deref().map(RedesignStage::from_db)
    }
    async fn to(&self) -> RedesignStage {
        RedesignStage::from_db(&self.0.to_stage)
    }
    /// The note given with the move; for a move back, its reason.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// True for a move back to an earlier stage.
    async fn backward(&self) -> bool {
        self.0.backward
    }
    async fn actor(&self) -> RevisionActor {
        actor(&self.0.actor_kind, &self.0.actor_id)
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}

/// A plan's money in one fiscal year.
#[derive(SimpleObject)]
pub struct FiscalYearFunding {
    /// The fiscal year, named by the calendar year it ends in.
    pub fiscal_year: i32,
    /// Grants awarded for this fiscal year.
    pub committed: Money,
    /// Disbursements paid in this fiscal year.
    pub disbursed: Money,
    /// The balance at the end of this fiscal year: committed through it minus paid through it.
    pub remaining: Money,
}

/// Money committed and paid out, overall and by fiscal year.
#[derive(SimpleObject)]
pub struct FundingTotals {
    /// The sum of the funding ceilings of the plans counted that may receive money (accepted
    /// or beyond) or hold some.
    pub ceiling: Money,
    /// Grants awarded.
    pub committed: Money,
    /// Disbursements paid.
    pub disbursed: Money,
    /// Committed but not yet paid out.
    pub remaining: Money,
    /// Ceiling not yet committed.
    pub uncommitted: Money,
    pub by_fiscal_year: Vec<FiscalYearFunding>,
}

impl From<Totals> for FundingTotals {
    fn from(t: Totals) -> Self {
        FundingTotals {
            ceiling: Money(t.ceiling),
            committed: Money(t.committed),
            disbursed: Money(t.disbursed),
            remaining: Money(t.committed - t.disbursed),
            uncommitted: Money(t.ceiling - t.committed),
            by_fiscal_year: t
                .by_year
                .into_iter()
                .scan((0, 0), |running, (fiscal_year, (c, d))| {
                    running.0 += c;
                    running.1 += d;
                    Some(FiscalYearFunding {
                        fiscal_year,
                        committed: Money(c),
                        disbursed: Money(d),
                        remaining: Money(running.0 - running.1),
                    })
                })
                .collect(),
        }
    }
}

/// The district's funding terms for a plan and where its money stands.
#[derive(SimpleObject)]
pub struct PlanFunding {
    /// The most the school can receive over the life of its plan.
    pub ceiling: Money,
    /// The first fiscal year money may be committed or paid in.
    pub first_fiscal_year: i32,
    /// The last fiscal year of the span.
    pub last_fiscal_year: i32,
    /// Length of the span, 3 to 5 fiscal years.
    pub span_years: i32,
    pub totals: FundingTotals,
}

/// A school's redesign plan.
pub struct RedesignPlan(pub redesign_plan::Model);

#[Object]
impl RedesignPlan {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignPlan, self.0.id)
    }
    /// The school's sourcedId.
    async fn school_sourced_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.school_org_id).await?.map(|o| o.sourced_id))
    }
    async fn school_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.school_org_id).await?.map(|o| o.name))
    }
    /// The school as a roster record. Needs `roster.read`.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn school(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<School>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.school_org_id).await?.map(School))
    }
    async fn cohort(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignCohort>> {
        Ok(rl(ctx)?.cohorts.load_one(self.0.cohort_id).await?.map(RedesignCohort))
    }
    async fn stage(&self) -> RedesignStage {
        RedesignStage::from_db(&self.0.stage)
    }
    async fn stage_changed_at(&self) -> DateTime<Utc> {
        self.0.stage_changed_at
    }
    /// The stages the plan may move forward to next.
    async fn next_stages(&self) -> Vec<RedesignStage> {
        RedesignStage::from_db(&self.0.stage).next().to_vec()
    }
    /// Why the school wants to redesign, as it applied.
    async fn application(&self) -> &str {
        &self.0.application
    }
    async fn mission(&self) -> Option<&str> {
        self.0.mission.as_deref()
    }
    async fn vision(&self) -> Option<&str> {
        self.0.vision.as_deref()
    }
    /// When the oral presentation of the mission and vision is (or was).
    async fn presentation_at(&self) -> Option<DateTime<Utc>> {
        self.0.presentation_at
    }
    /// How the presentation went.
    async fn presentation_outcome(&self) -> Option<&str> {
        self.0.presentation_outcome.as_deref()
    }
    /// Why the district declined the plan, while it is declined.
    async fn decline_reasons(&self) -> Option<&str> {
        self.0.decline_reasons.as_deref()
    }
    /// Every stage move, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignStageChange>> {
        let rows = rl(ctx)?.stage_changes.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(RedesignStageChange).collect())
    }
    /// The strategic plan's goals, in the order they were added.
    async fn goals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignGoal>> {
        let rows = rl(ctx)?.goals.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(RedesignGoal).collect())
    }
    /// Money committed (grants) to the school, in the order awarded.
    async fn grants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Grant>> {
        let rows = rl(ctx)?.grants.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Grant).collect())
    }
    async fn funding(&self, ctx: &Context<'_>) -> async_graphql::Result<PlanFunding> {
        let l = rl(ctx)?;
        let grants = l.grants.load_one(self.0.id).await?.unwrap_or_default();
        let paid = l.disbursements.load_one(self.0.id).await?.unwrap_or_default();
        let mut t = Totals { ceiling: self.0.funding_ceiling_cents, ..Default::default() };
        for g in &grants {
            t.add_grant(g.fiscal_year, g.amount_cents);
        }
        for d in &paid {
            t.add_disbursement(d.fiscal_year, d.amount_cents);
        }
        Ok(PlanFunding {
            ceiling: Money(self.0.funding_ceiling_cents),
            first_fiscal_year: self.0.first_fiscal_year,
            last_fiscal_year: self.0.first_fiscal_year + self.0.span_years - 1,
            span_years: self.0.span_years,
            totals: t.into(),
        })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
}

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
pub struct IndicatorMeasurement(redesign_measurement::Model);

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
        actor(&self.0.actor_kind, &self.0.actor_id)
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
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
        Ok(store::indicator_status(&self.0, &rows, as_of.unwrap_or_else(today)))
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

/// Kinds of money a plan receives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// The one grant that funds writing the strategic plan.
    Planning,
    /// Funds for carrying the plan out, awarded per fiscal year.
    Implementation,
}

impl GrantKind {
    fn as_str(self) -> &'static str {
        match self {
            GrantKind::Planning => store::GRANT_PLANNING,
            GrantKind::Implementation => store::GRANT_IMPLEMENTATION,
        }
    }
}

/// Money committed to a school's plan.
pub struct Grant(pub redesign_grant::Model);

impl Grant {
    async fn paid(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<redesign_disbursement::Model>> {
        let rows = rl(ctx)?.disbursements.load_one(self.0.plan_id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|d| d.grant_id == self.0.id).collect())
    }
}

#[Object]
impl Grant {
    pub async fn id(&self) -> ID {
        global_id(Kind::Grant, self.0.id)
    }
    async fn kind(&self) -> GrantKind {
        if self.0.kind == store::GRANT_PLANNING { GrantKind::Planning } else { GrantKind::Implementation }
    }
    /// The fiscal year the money is committed for.
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount_cents)
    }
    async fn disbursed(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        Ok(Money(self.paid(ctx).await?.iter().map(|d| d.amount_cents).sum()))
    }
    /// Not yet paid out.
    async fn remaining(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        let paid: i64 = self.paid(ctx).await?.iter().map(|d| d.amount_cents).sum();
        Ok(Money(self.0.amount_cents - paid))
    }
    async fn awarded_on(&self) -> NaiveDate {
        self.0.awarded_on
    }
    async fn awarded_by(&self) -> RevisionActor {
        actor(&self.0.actor_kind, &self.0.actor_id)
    }
    /// Payments out of this grant, in the order recorded.
    async fn disbursements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GrantDisbursement>> {
        Ok(self.paid(ctx).await?.into_iter().map(GrantDisbursement).collect())
    }
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignPlan>> {
        // This record was reached through a plan the caller may see: its plan is that one.
        Ok(rl(ctx)?.plans.load_one(self.0.plan_id).await?.map(RedesignPlan))
    }
}

/// A payment out of a grant.
pub struct GrantDisbursement(redesign_disbursement::Model);

#[Object]
impl GrantDisbursement {
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount_cents)
    }
    async fn disbursed_on(&self) -> NaiveDate {
        self.0.disbursed_on
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn recorded_by(&self) -> RevisionActor {
        actor(&self.0.actor_kind, &self.0.actor_id)
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Schools of a cohort at a stage.
#[derive(SimpleObject)]
pub struct CohortStageCount {
    pub cohort_year: i32,
    pub stage: RedesignStage,
    pub schools: i64,
}

/// How far the district's move to personalized learning has come.
#[derive(SimpleObject)]
pub struct TransitionProgress {
    /// Schools whose plan was accepted or has gone further.
    pub started_schools: i64,
    /// Active schools (that the caller may see).
    pub schools: i64,
}

/// The district's redesign at a glance, as of a date.
pub struct RedesignDashboard {
    as_of: NaiveDate,
}

#[Object]
impl RedesignDashboard {
    /// The date the dashboard is computed for.
    async fn as_of(&self) -> NaiveDate {
        self.as_of
    }
    /// Schools per stage per cohort.
    async fn stage_counts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CohortStageCount>> {
        let rows = gql(store::stage_counts(db(ctx)?, principal(ctx)?).await)?;
        Ok(rows
            .into_iter()
            .map(|(cohort_year, stage, schools)| CohortStageCount {
                cohort_year,
                stage: RedesignStage::from_db(&stage),
                schools,
            })
            .collect())
    }
    /// Milestones past due and not completed, oldest first (at most `first`, up to 100).
    async fn overdue_milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<RedesignMilestone>> {
        if !(0..=100).contains(&first) {
            return Err(AppError::validation("first", "must be between 0 and 100").into());
        }
        let q = gql(store::overdue_milestones(principal(ctx)?, self.as_of))?;
        let rows = q.limit(u64::try_from(first).unwrap_or(0)).all(db(ctx)?).await.map_err(AppError::from)?;
        Ok(rows.into_iter().map(RedesignMilestone).collect())
    }
    /// Indicators of plans not declined whose status is `OFF_TRACK`.
    async fn off_track_indicators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignIndicator>> {
        let rows = gql(store::off_track_indicators(db(ctx)?, principal(ctx)?, self.as_of).await)?;
        Ok(rows.into_iter().map(RedesignIndicator).collect())
    }
    async fn transition(&self, ctx: &Context<'_>) -> async_graphql::Result<TransitionProgress> {
        let (started_schools, schools) = gql(store::transition(db(ctx)?, principal(ctx)?).await)?;
        Ok(TransitionProgress { started_schools, schools })
    }
}

pub async fn resolve_node(p: &Principal, db: &DatabaseConnection, kind: Kind, id: i64) -> AppResult<Option<Node>> {
    p.require(Scope::RedesignRead)?;
    Ok(match kind {
        Kind::RedesignPillar => store::find_pillar(db, p, id).await?.map(|m| Node::RedesignPillar(RedesignPillar(m))),
        Kind::RedesignCohort => store::find_cohort(db, p, id).await?.map(|m| Node::RedesignCohort(RedesignCohort(m))),
        Kind::RedesignPlan => store::find_plan(db, p, id).await?.map(|m| Node::RedesignPlan(RedesignPlan(m))),
        Kind::RedesignGoal => store::find_goal(db, p, id).await?.map(|m| Node::RedesignGoal(RedesignGoal(m))),
        Kind::RedesignIndicator => {
            store::find_indicator(db, p, id).await?.map(|m| Node::RedesignIndicator(RedesignIndicator(m)))
        }
        Kind::RedesignMilestone => {
            store::find_milestone(db, p, id).await?.map(|m| Node::RedesignMilestone(RedesignMilestone(m)))
        }
        Kind::Grant => store::find_grant(db, p, id).await?.map(|m| Node::Grant(Grant(m))),
        _ => None,
    })
}

#[derive(Default)]
pub struct RedesignQuery;

#[Object]
impl RedesignQuery {
    /// The district's pillars, in order.
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_pillars(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_archived: bool,
    ) -> async_graphql::Result<Vec<RedesignPillar>> {
        let q = gql(store::pillars(principal(ctx)?, include_archived))?;
        Ok(q.all(db(ctx)?).await.map_err(AppError::from)?.into_iter().map(RedesignPillar).collect())
    }

    /// The district's cohorts, oldest first.
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_cohorts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignCohort>> {
        let q = gql(store::cohorts(principal(ctx)?))?;
        Ok(q.all(db(ctx)?).await.map_err(AppError::from)?.into_iter().map(RedesignCohort).collect())
    }

    /// Redesign plans of the schools the caller may see, optionally of one cohort, stage or school.
    #[graphql(
        guard = "needs(Scope::RedesignRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn redesign_plans(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        cohort_year: Option<i32>,
        stage: Option<RedesignStage>,
        school_sourced_id: Option<String>,
    ) -> async_graphql::Result<Conn<RedesignPlan>> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let mut filter = store::PlanFilter { cohort_year, stage, school: None };
        if let Some(sid) = school_sourced_id {
            // An unknown or hidden school matches no plan.
            filter.school = Some(gql(store::school_id(db, p, &sid).await)?.unwrap_or(0));
        }
        let q = gql(store::plans(p, &filter))?;
        let args = PageArgs::new(first, after, last, before);
        gql(paginate(ctx, db, q, redesign_plan::Column::Id, args, |m| m.id, RedesignPlan).await)
    }

    /// A school's current plan: the one not declined, else its latest.
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_plan(
        &self,
        ctx: &Context<'_>,
        school_sourced_id: String,
    ) -> async_graphql::Result<Option<RedesignPlan>> {
        Ok(gql(store::plan_of_school(db(ctx)?, principal(ctx)?, &school_sourced_id).await)?.map(RedesignPlan))
    }

    /// Money committed, paid out and remaining, by fiscal year: of one school, of one cohort, or
    /// of every plan the caller may see (district-wide for the district).
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_funding(
        &self,
        ctx: &Context<'_>,
        cohort_year: Option<i32>,
        school_sourced_id: Option<String>,
    ) -> async_graphql::Result<FundingTotals> {
        let t = store::totals(db(ctx)?, principal(ctx)?, cohort_year, school_sourced_id.as_deref()).await;
        Ok(gql(t)?.into())
    }

    /// The district dashboard as of `asOf` (default today, UTC).
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_dashboard(&self, as_of: Option<NaiveDate>) -> async_graphql::Result<RedesignDashboard> {
        let as_of = gql(store::check_date("asOf", as_of.unwrap_or_else(today)))?;
        Ok(RedesignDashboard { as_of })
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations.

fn decode(id: &ID, kind: Kind, field: &str) -> AppResult<i64> {
    decode_kind(id, kind, field)
}

macro_rules! payload {
    ($name:ident, $field:ident, $ty:ty) => {
        #[derive(SimpleObject)]
        pub struct $name {
            pub $field: Option<$ty>,
            pub user_errors: Vec<UserError>,
        }

        impl $name {
            fn from_result<M>(r: AppResult<M>, wrap: impl FnOnce(M) -> $ty) -> async_graphql::Result<Self> {
                Ok(match into_user_errors(r)? {
                    Ok(m) => $name { $field: Some(wrap(m)), user_errors: vec![] },
                    Err(user_errors) => $name { $field: None, user_errors },
                })
            }
        }
    };
}

payload!(RedesignPillarPayload, pillar, RedesignPillar);
payload!(RedesignCohortPayload, cohort, RedesignCohort);
payload!(RedesignPlanPayload, plan, RedesignPlan);
payload!(RedesignGoalPayload, goal, RedesignGoal);
payload!(RedesignIndicatorPayload, indicator, RedesignIndicator);
payload!(RedesignMilestonePayload, milestone, RedesignMilestone);
payload!(GrantPayload, grant, Grant);

#[derive(SimpleObject)]
pub struct DeleteRedesignGoalPayload {
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct GrantDisbursementPayload {
    pub disbursement: Option<GrantDisbursement>,
    /// The grant paid from, with its new totals.
    pub grant: Option<Grant>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateRedesignPillarInput {
    /// Needed only when the caller sees more than one district.
    pub district_sourced_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// Display order; after the last pillar when omitted.
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateRedesignPillarInput {
    pub pillar_id: ID,
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateRedesignCohortInput {
    pub district_sourced_id: Option<String>,
    pub year: i32,
    /// `Cohort <year>` when omitted.
    pub name: Option<String>,
    pub target_size: i32,
    pub application_opens_on: NaiveDate,
    pub application_closes_on: NaiveDate,
}

#[derive(InputObject)]
pub struct UpdateRedesignCohortInput {
    pub cohort_id: ID,
    pub name: Option<String>,
    pub target_size: Option<i32>,
    pub application_opens_on: Option<NaiveDate>,
    pub application_closes_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ApplyForRedesignInput {
    pub school_sourced_id: String,
    pub cohort_year: i32,
    /// Why the school wants to redesign.
    pub application: String,
}

#[derive(InputObject)]
pub struct MoveRedesignPlanInput {
    pub plan_id: ID,
    pub to: RedesignStage,
    /// A note on the move; required (the reason) for a move back.
    pub note: Option<String>,
    /// Required when moving to `PRESENTATION_SCHEDULED`.
    pub presentation_at: Option<DateTime<Utc>>,
    /// Required when moving to `PRESENTED`.
    pub presentation_outcome: Option<String>,
    /// Required when moving to `DECLINED`.
    pub decline_reasons: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateRedesignPlanInput {
    pub plan_id: ID,
    pub application: Option<String>,
    /// A blank string clears it.
    pub mission: Option<String>,
    /// A blank string clears it.
    pub vision: Option<String>,
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

#[derive(InputObject)]
pub struct SetRedesignFundingInput {
    pub plan_id: ID,
    /// The most the school may receive over the life of its plan ($175,000 by default).
    pub ceiling: Option<Money>,
    pub first_fiscal_year: Option<i32>,
    /// 3 to 5 fiscal years.
    pub span_years: Option<i32>,
}

#[derive(InputObject)]
pub struct AwardRedesignGrantInput {
    pub plan_id: ID,
    pub kind: GrantKind,
    pub fiscal_year: i32,
    pub amount: Money,
    /// Today (UTC) when omitted.
    pub awarded_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RecordGrantDisbursementInput {
    pub grant_id: ID,
    pub fiscal_year: i32,
    pub amount: Money,
    pub disbursed_on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Default)]
pub struct RedesignMutation;

#[Object]
impl RedesignMutation {
    /// Adds a pillar to the district. Needs `redesign.write` and the district.
    async fn create_redesign_pillar(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignPillarInput,
    ) -> async_graphql::Result<RedesignPillarPayload> {
        let p = writer(ctx)?;
        let f = store::PillarFields {
            name: Some(input.name),
            description: input.description,
            position: input.position,
            archived: None,
        };
        let r = store::create_pillar(db(ctx)?, p, input.district_sourced_id.as_deref(), f).await;
        RedesignPillarPayload::from_result(r, RedesignPillar)
    }

    /// Renames, reorders, describes or archives a pillar. Needs `redesign.write` and the district.
    async fn update_redesign_pillar(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignPillarInput,
    ) -> async_graphql::Result<RedesignPillarPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.pillar_id, Kind::RedesignPillar, "input.pillarId")?;
            let f = store::PillarFields {
                name: input.name,
                description: input.description,
                position: input.position,
                archived: input.archived,
            };
            store::update_pillar(db, p, id, f).await
        };
        RedesignPillarPayload::from_result(r.await, RedesignPillar)
    }

    /// Opens a cohort year. Needs `redesign.write` and the district.
    async fn create_redesign_cohort(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignCohortInput,
    ) -> async_graphql::Result<RedesignCohortPayload> {
        let p = writer(ctx)?;
        let f = store::CohortFields {
            year: Some(input.year),
            name: input.name,
            target_size: Some(input.target_size),
            application_opens_on: Some(input.application_opens_on),
            application_closes_on: Some(input.application_closes_on),
        };
        let r = store::create_cohort(db(ctx)?, p, input.district_sourced_id.as_deref(), f).await;
        RedesignCohortPayload::from_result(r, RedesignCohort)
    }

    /// Changes a cohort's name, target size or application window. Needs `redesign.write` and
    /// the district.
    async fn update_redesign_cohort(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignCohortInput,
    ) -> async_graphql::Result<RedesignCohortPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.cohort_id, Kind::RedesignCohort, "input.cohortId")?;
            let f = store::CohortFields {
                year: None,
                name: input.name,
                target_size: input.target_size,
                application_opens_on: input.application_opens_on,
                application_closes_on: input.application_closes_on,
            };
            store::update_cohort(db, p, id, f).await
        };
        RedesignCohortPayload::from_result(r.await, RedesignCohort)
    }

    /// A school applies to a cohort while its window is open; the plan starts at `APPLIED`.
    /// Needs `redesign.write` over the school (its administrators, or the district).
    async fn apply_for_redesign(
        &self,
        ctx: &Context<'_>,
        input: ApplyForRedesignInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let p = writer(ctx)?;
        let r =
            store::apply(db(ctx)?, p, &input.school_sourced_id, input.cohort_year, &input.application, today()).await;
        RedesignPlanPayload::from_result(r, RedesignPlan)
    }

    /// Moves a plan one stage forward, or back to an earlier stage (a signed-in district
    /// administrator, with the reason in `note`). Every move is recorded in `history`.
    /// Needs `redesign.write` and the district.
    async fn move_redesign_plan(
        &self,
        ctx: &Context<'_>,
        input: MoveRedesignPlanInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let m = store::StageMove {
                to: input.to,
                note: input.note,
                presentation_at: input.presentation_at,
                presentation_outcome: input.presentation_outcome,
                decline_reasons: input.decline_reasons,
            };
            store::move_plan(db, p, id, m).await
        };
        RedesignPlanPayload::from_result(r.await, RedesignPlan)
    }

    /// Edits a plan's application, mission and vision. Needs `redesign.write` over its school.
    async fn update_redesign_plan(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignPlanInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let c = store::PlanContent { application: input.application, mission: input.mission, vision: input.vision };
            store::update_content(db, p, id, c).await
        };
        RedesignPlanPayload::from_result(r.await, RedesignPlan)
    }

    /// Adds a goal to a plan's strategic plan. Needs `redesign.write` over its school.
    async fn create_redesign_goal(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignGoalInput,
    ) -> async_graphql::Result<RedesignGoalPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
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
        RedesignGoalPayload::from_result(r.await, RedesignGoal)
    }

    /// Edits a goal. Needs `redesign.write` over its school.
    async fn update_redesign_goal(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignGoalInput,
    ) -> async_graphql::Result<RedesignGoalPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
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
        RedesignGoalPayload::from_result(r.await, RedesignGoal)
    }

    /// Deletes a goal with its indicators and milestones. Needs `redesign.write` over its school.
    async fn delete_redesign_goal(
        &self,
        ctx: &Context<'_>,
        goal_id: ID,
    ) -> async_graphql::Result<DeleteRedesignGoalPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&goal_id, Kind::RedesignGoal, "goalId")?;
            store::delete_goal(db, p, id).await
        };
        Ok(match into_user_errors(r.await)? {
            Ok(()) => DeleteRedesignGoalPayload { deleted_id: Some(goal_id), user_errors: vec![] },
            Err(user_errors) => DeleteRedesignGoalPayload { deleted_id: None, user_errors },
        })
    }

    /// Adds a measurable indicator to a goal. Needs `redesign.write` over its school.
    async fn add_redesign_indicator(
        &self,
        ctx: &Context<'_>,
        input: AddRedesignIndicatorInput,
    ) -> async_graphql::Result<RedesignIndicatorPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
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
        RedesignIndicatorPayload::from_result(r.await, RedesignIndicator)
    }

    /// Records an indicator's value on a date. Needs `redesign.write` over its school.
    async fn record_indicator_measurement(
        &self,
        ctx: &Context<'_>,
        input: RecordIndicatorMeasurementInput,
    ) -> async_graphql::Result<RedesignIndicatorPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.indicator_id, Kind::RedesignIndicator, "input.indicatorId")?;
            store::record_measurement(db, p, id, input.measured_on, input.value, input.note).await
        };
        RedesignIndicatorPayload::from_result(r.await, RedesignIndicator)
    }

    /// Adds a milestone to a goal. Needs `redesign.write` over its school.
    async fn add_redesign_milestone(
        &self,
        ctx: &Context<'_>,
        input: AddRedesignMilestoneInput,
    ) -> async_graphql::Result<RedesignMilestonePayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
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
        RedesignMilestonePayload::from_result(r.await, RedesignMilestone)
    }

    /// Edits a milestone, or marks it completed (or reopens it). Needs `redesign.write` over
    /// its school.
    async fn update_redesign_milestone(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignMilestoneInput,
    ) -> async_graphql::Result<RedesignMilestonePayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
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
        RedesignMilestonePayload::from_result(r.await, RedesignMilestone)
    }

    /// Sets a school's funding ceiling and span. Needs `redesign.write` and the district.
    async fn set_redesign_funding(
        &self,
        ctx: &Context<'_>,
        input: SetRedesignFundingInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let t = store::FundingTerms {
                ceiling: input.ceiling,
                first_fiscal_year: input.first_fiscal_year,
                span_years: input.span_years,
            };
            store::set_funding(db, p, id, t).await
        };
        RedesignPlanPayload::from_result(r.await, RedesignPlan)
    }

    /// Commits money to an accepted plan: its planning grant or implementation funds for a
    /// fiscal year, within its ceiling and span. Needs `redesign.write` and the district.
    async fn award_redesign_grant(
        &self,
        ctx: &Context<'_>,
        input: AwardRedesignGrantInput,
    ) -> async_graphql::Result<GrantPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let f = store::GrantFields {
                kind: input.kind.as_str(),
                fiscal_year: input.fiscal_year,
                amount: input.amount,
                awarded_on: input.awarded_on.unwrap_or_else(today),
            };
            store::award_grant(db, p, id, f).await
        };
        GrantPayload::from_result(r.await, Grant)
    }

    /// Pays money out of a grant. Refused with nothing written when it would pass the grant's
    /// amount or the school's ceiling, or fall outside the plan's span. Needs `redesign.write`
    /// and the district.
    async fn record_grant_disbursement(
        &self,
        ctx: &Context<'_>,
        input: RecordGrantDisbursementInput,
    ) -> async_graphql::Result<GrantDisbursementPayload> {
        let p = writer(ctx)?;
        let db = db(ctx)?;
        let r = async {
            let id = decode(&input.grant_id, Kind::Grant, "input.grantId")?;
            let f = store::DisbursementFields {
                fiscal_year: input.fiscal_year,
                amount: input.amount,
                disbursed_on: input.disbursed_on,
                note: input.note,
            };
            let d = store::disburse(db, p, id, f).await?;
            let g = store::find_grant(db, p, d.grant_id).await?.ok_or(AppError::NotFound("grant"))?;
            Ok((d, g))
        };
        Ok(match into_user_errors(r.await)? {
            Ok((d, g)) => GrantDisbursementPayload {
                disbursement: Some(GrantDisbursement(d)),
                grant: Some(Grant(g)),
                user_errors: vec![],
            },
            Err(user_errors) => GrantDisbursementPayload { disbursement: None, grant: None, user_errors },
        })
    }
}

fn pillar_ids(ids: &[ID]) -> AppResult<Vec<i64>> {
    ids.iter().enumerate().map(|(i, id)| decode(id, Kind::RedesignPillar, &format!("input.pillarIds.{i}"))).collect()
}
