//! Plans and their stages: the stage enum as the schema shows it, a plan with its history,
//! the plan lists, and applying, moving and editing a plan.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{redesign_plan, redesign_stage_change};

use super::{
    Payload, decode,
    district::RedesignCohort,
    funding::{Grant, PlanFunding},
    payload, rl,
    strategy::RedesignGoal,
    today, writer,
};
use crate::{
    auth::Scope,
    graphql::context::{db, gql, loaders, needs, principal},
    graphql::relay::{Conn, Kind, PageArgs, global_id, paginate},
    profiles::graphql::RevisionActor,
    redesign::{
        stages::{self, Stage},
        store,
    },
    roster::graphql::School,
};

/// Where a school's redesign plan stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RedesignStage {
    /// The school applied to a cohort.
    Applied,
    /// The oral presentation of its mission and vision has a date.
    PresentationScheduled,
    /// The school presented.
    Presented,
    /// The district accepted the school into redesign.
    Accepted,
    /// The district declined the application, with reasons.
    Declined,
    /// The school writes its strategic plan (planning grant).
    Planning,
    /// The school carries out its plan (implementation funds).
    Implementing,
    /// The redesign is in place and sustained.
    Sustaining,
}

impl From<Stage> for RedesignStage {
    fn from(s: Stage) -> Self {
        match s {
            Stage::Applied => RedesignStage::Applied,
            Stage::PresentationScheduled => RedesignStage::PresentationScheduled,
            Stage::Presented => RedesignStage::Presented,
            Stage::Accepted => RedesignStage::Accepted,
            Stage::Declined => RedesignStage::Declined,
            Stage::Planning => RedesignStage::Planning,
            Stage::Implementing => RedesignStage::Implementing,
            Stage::Sustaining => RedesignStage::Sustaining,
        }
    }
}

impl From<RedesignStage> for Stage {
    fn from(s: RedesignStage) -> Self {
        match s {
            RedesignStage::Applied => Stage::Applied,
            RedesignStage::PresentationScheduled => Stage::PresentationScheduled,
            RedesignStage::Presented => Stage::Presented,
            RedesignStage::Accepted => Stage::Accepted,
            RedesignStage::Declined => Stage::Declined,
            RedesignStage::Planning => Stage::Planning,
            RedesignStage::Implementing => Stage::Implementing,
            RedesignStage::Sustaining => Stage::Sustaining,
        }
    }
}

/// One move of a plan between stages.
pub struct RedesignStageChange(pub redesign_stage_change::Model);

#[Object]
impl RedesignStageChange {
    /// Null for the application itself.
    async fn from(&self) -> Option<RedesignStage> {
        self.0.from_stage.map(Into::into)
    }
    async fn to(&self) -> RedesignStage {
        self.0.to_stage.into()
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
        RevisionActor::new(self.0.actor_kind, &self.0.actor_id)
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
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
        self.0.stage.into()
    }
    async fn stage_changed_at(&self) -> DateTime<Utc> {
        self.0.stage_changed_at
    }
    /// The stages the plan may move forward to next.
    async fn next_stages(&self) -> Vec<RedesignStage> {
        stages::next(self.0.stage).iter().map(|s| (*s).into()).collect()
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
        Ok(PlanFunding {
            ceiling: crate::redesign::money::Money(self.0.funding_ceiling_cents),
            first_fiscal_year: self.0.first_fiscal_year,
            last_fiscal_year: self.0.first_fiscal_year + self.0.span_years - 1,
            span_years: self.0.span_years,
            totals: store::Totals::of_plan(&self.0, &grants, &paid).into(),
        })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
}

#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
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
        let db = db(ctx)?;
        let stage = stage.map(Stage::from);
        let q = gql(store::plan_list(db, principal(ctx)?, cohort_year, stage, school_sourced_id.as_deref()).await)?;
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
}

payload!(RedesignPlanPayload, plan, RedesignPlan, redesign_plan::Model);

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

#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// A school applies to a cohort while its window is open; the plan starts at `APPLIED`.
    /// Needs `redesign.write` over the school (its administrators, or the district).
    async fn apply_for_redesign(
        &self,
        ctx: &Context<'_>,
        input: ApplyForRedesignInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let (p, db) = writer(ctx)?;
        let r = store::apply(db, p, &input.school_sourced_id, input.cohort_year, &input.application, today()).await;
        RedesignPlanPayload::from_result(r)
    }

    /// Moves a plan one stage forward, or back to an earlier stage (a signed-in district
    /// administrator, with the reason in `note`). Every move is recorded in `history`.
    /// Needs `redesign.write` and the district.
    async fn move_redesign_plan(
        &self,
        ctx: &Context<'_>,
        input: MoveRedesignPlanInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let m = store::StageMove {
                to: input.to.into(),
                note: input.note,
                presentation_at: input.presentation_at,
                presentation_outcome: input.presentation_outcome,
                decline_reasons: input.decline_reasons,
            };
            store::move_plan(db, p, id, m).await
        };
        RedesignPlanPayload::from_result(r.await)
    }

    /// Edits a plan's application, mission and vision. Needs `redesign.write` over its school.
    async fn update_redesign_plan(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignPlanInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let c = store::PlanContent { application: input.application, mission: input.mission, vision: input.vision };
            store::update_content(db, p, id, c).await
        };
        RedesignPlanPayload::from_result(r.await)
    }
}
