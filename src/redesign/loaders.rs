//! DataLoaders for the children of plans and goals, so a page of plans costs one statement per
//! child field, not one per plan.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    redesign_cohort, redesign_disbursement, redesign_goal, redesign_goal_pillar, redesign_grant, redesign_indicator,
    redesign_measurement, redesign_milestone, redesign_pillar, redesign_plan, redesign_stage_change,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{error::db_error, roster::loaders::id_loader};

/// A loader of a table's rows grouped by a parent id column, in id order.
macro_rules! children_loader {
    ($name:ident, $m:ident, $col:ident, $field:ident, $order:ident) => {
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = Vec<$m::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $m::Entity::find()
                    .filter($m::Column::$col.is_in(keys.iter().copied()))
                    .order_by_asc($m::Column::$order)
                    .all(&self.0)
                    .await
                    .map_err(db_error)?;
                let mut out: HashMap<i64, Vec<$m::Model>> = HashMap::new();
                for r in rows {
                    out.entry(r.$field).or_default().push(r);
                }
                Ok(out)
            }
        }
    };
}

id_loader!(CohortLoader, redesign_cohort);
id_loader!(PillarLoader, redesign_pillar);
id_loader!(PlanLoader, redesign_plan);
id_loader!(GoalLoader, redesign_goal);
children_loader!(GoalsByPlan, redesign_goal, PlanId, plan_id, Id);
children_loader!(StageChangesByPlan, redesign_stage_change, PlanId, plan_id, Id);
children_loader!(GrantsByPlan, redesign_grant, PlanId, plan_id, Id);
children_loader!(DisbursementsByPlan, redesign_disbursement, PlanId, plan_id, Id);
children_loader!(IndicatorsByGoal, redesign_indicator, GoalId, goal_id, Id);
children_loader!(MilestonesByGoal, redesign_milestone, GoalId, goal_id, Id);
children_loader!(MeasurementsByIndicator, redesign_measurement, IndicatorId, indicator_id, Id);
children_loader!(PillarLinksByGoal, redesign_goal_pillar, GoalId, goal_id, PillarId);

type Cached<T> = DataLoader<T, HashMapCache>;

/// Every redesign loader of a request.
pub struct RedesignLoaders {
    pub cohorts: Cached<CohortLoader>,
    pub pillars: Cached<PillarLoader>,
    /// By id: only for parents of records the caller already reached through a visible plan.
    pub plans: Cached<PlanLoader>,
    pub goals_by_id: Cached<GoalLoader>,
    pub goals: Cached<GoalsByPlan>,
    pub stage_changes: Cached<StageChangesByPlan>,
    pub grants: Cached<GrantsByPlan>,
    pub disbursements: Cached<DisbursementsByPlan>,
    pub indicators: Cached<IndicatorsByGoal>,
    pub milestones: Cached<MilestonesByGoal>,
    pub measurements: Cached<MeasurementsByIndicator>,
    pub pillar_links: Cached<PillarLinksByGoal>,
}

impl RedesignLoaders {
    /// Forgets everything loaded so far (after a write).
    pub fn clear(&self) {
        self.cohorts.clear::<i64>();
        self.pillars.clear::<i64>();
        self.plans.clear::<i64>();
        self.goals_by_id.clear::<i64>();
        self.goals.clear::<i64>();
        self.stage_changes.clear::<i64>();
        self.grants.clear::<i64>();
        self.disbursements.clear::<i64>();
        self.indicators.clear::<i64>();
        self.milestones.clear::<i64>();
        self.measurements.clear::<i64>();
        self.pillar_links.clear::<i64>();
    }

    pub fn new(db: &DatabaseConnection) -> Self {
        fn cached<T: Loader<i64>>(loader: T) -> Cached<T> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        RedesignLoaders {
            cohorts: cached(CohortLoader(db.clone())),
            pillars: cached(PillarLoader(db.clone())),
            plans: cached(PlanLoader(db.clone())),
            goals_by_id: cached(GoalLoader(db.clone())),
            goals: cached(GoalsByPlan(db.clone())),
            stage_changes: cached(StageChangesByPlan(db.clone())),
            grants: cached(GrantsByPlan(db.clone())),
            disbursements: cached(DisbursementsByPlan(db.clone())),
            indicators: cached(IndicatorsByGoal(db.clone())),
            milestones: cached(MilestonesByGoal(db.clone())),
            measurements: cached(MeasurementsByIndicator(db.clone())),
            pillar_links: cached(PillarLinksByGoal(db.clone())),
        }
    }
}
