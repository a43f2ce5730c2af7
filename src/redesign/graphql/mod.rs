//! GraphQL types, queries and mutations of school redesign, one module per area: the district's
//! pillars and cohorts ([`district`]), plans and stages ([`plans`]), the strategic plan
//! ([`strategy`]), money ([`funding`]) and the dashboard ([`dashboard`]). Reading needs
//! `redesign.read`; writing needs `redesign.write`. Resolvers parse, call one service function
//! in `store` (which asks the policy) and map the result.

mod dashboard;
mod district;
mod funding;
mod plans;
mod strategy;

use async_graphql::{Context, ID, MergedObject};
use chrono::{NaiveDate, Utc};
use sea_orm::DatabaseConnection;

pub use self::{
    dashboard::{CohortStageCount, RedesignDashboard, TransitionProgress},
    district::{RedesignCohort, RedesignPillar},
    funding::{FundingTotals, Grant, GrantDisbursement, GrantKind, PlanFunding},
    plans::{RedesignPlan, RedesignStage, RedesignStageChange},
    strategy::{IndicatorMeasurement, IndicatorStatus, RedesignGoal, RedesignIndicator, RedesignMilestone},
};
use super::{loaders::RedesignLoaders, store};
use crate::{
    auth::{Principal, Scope},
    error::AppResult,
    graphql::{
        context::{db, require},
        node::Node,
        relay::{Kind, decode_kind},
        user_errors::{UserError, into_user_errors},
    },
};

/// Every redesign query, in the order the schema lists them.
#[derive(MergedObject, Default)]
pub struct RedesignQuery(district::DistrictQuery, plans::PlanQuery, funding::FundingQuery, dashboard::DashboardQuery);

/// Every redesign mutation, in the order the schema lists them.
#[derive(MergedObject, Default)]
pub struct RedesignMutation(
    district::DistrictMutation,
    plans::PlanMutation,
    strategy::StrategyMutation,
    funding::FundingMutation,
);

fn rl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RedesignLoaders> {
    ctx.data::<RedesignLoaders>()
}

/// The principal and database of a redesign write, after dropping what this request's loaders
/// cached: a document may run several writes, and each payload must show the data as that
/// write left it.
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<(&'a Principal, &'a DatabaseConnection)> {
    let p = require(ctx, Scope::RedesignWrite)?;
    rl(ctx)?.clear();
    Ok((p, db(ctx)?))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn decode(id: &ID, kind: Kind, field: &str) -> AppResult<i64> {
    decode_kind(id, kind, field)
}

/// A mutation's payload: its result on success, or the caller-fixable errors (through the
/// shared [`into_user_errors`]) with nothing written. Every redesign payload is built this way.
trait Payload: Sized {
    /// What the service returns on success.
    type Value;
    fn ok(v: Self::Value) -> Self;
    fn failed(user_errors: Vec<UserError>) -> Self;

    fn from_result(r: AppResult<Self::Value>) -> async_graphql::Result<Self> {
        Ok(match into_user_errors(r)? {
            Ok(v) => Self::ok(v),
            Err(user_errors) => Self::failed(user_errors),
        })
    }
}

/// A payload carrying one record (or null) and the user errors.
macro_rules! payload {
    ($name:ident, $field:ident, $ty:ident, $model:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            pub $field: Option<$ty>,
            pub user_errors: Vec<crate::graphql::user_errors::UserError>,
        }

        impl super::Payload for $name {
            type Value = $model;
            fn ok(v: $model) -> Self {
                $name { $field: Some($ty(v)), user_errors: vec![] }
            }
            fn failed(user_errors: Vec<crate::graphql::user_errors::UserError>) -> Self {
                $name { $field: None, user_errors }
            }
        }
    };
}
use payload;

/// A redesign record by global id, if the caller may see it.
pub async fn resolve_node(p: &Principal, db: &DatabaseConnection, kind: Kind, id: i64) -> AppResult<Option<Node>> {
    crate::auth::policy::redesign::require_read(p)?;
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
