//! The district dashboard as the schema shows it.

use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;

use super::{
    plans::RedesignStage,
    strategy::{RedesignIndicator, RedesignMilestone},
    today,
};
use crate::{
    auth::Scope,
    graphql::context::{db, gql, needs, principal},
    redesign::store,
};

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
            .map(|(cohort_year, stage, schools)| CohortStageCount { cohort_year, stage: stage.into(), schools })
            .collect())
    }
    /// Milestones past due and not completed, oldest first (at most `first`, up to 100).
    async fn overdue_milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<RedesignMilestone>> {
        let rows = gql(store::overdue_milestones(db(ctx)?, principal(ctx)?, self.as_of, first).await)?;
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

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The district dashboard as of `asOf` (default today, UTC).
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_dashboard(&self, as_of: Option<NaiveDate>) -> async_graphql::Result<RedesignDashboard> {
        let as_of = gql(crate::validate::Date::parse("asOf", as_of.unwrap_or_else(today)))?.get();
        Ok(RedesignDashboard { as_of })
    }
}
