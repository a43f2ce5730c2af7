//! DataLoaders for the children of plans and goals, so a page of plans costs one statement per
//! child field, not one per plan.

use entity::{
    redesign_cohort, redesign_disbursement, redesign_goal, redesign_goal_pillar, redesign_grant, redesign_indicator,
    redesign_measurement, redesign_milestone, redesign_pillar, redesign_plan, redesign_stage_change,
};
use sea_orm::DatabaseConnection;

use crate::loader::{ById, ByParent, Cached, cached};

/// Every redesign loader of a request.
pub struct RedesignLoaders {
    pub cohorts: Cached<ById<redesign_cohort::Entity>>,
    pub pillars: Cached<ById<redesign_pillar::Entity>>,
    /// By id: only for parents of records the caller already reached through a visible plan.
    pub plans: Cached<ById<redesign_plan::Entity>>,
    pub goals_by_id: Cached<ById<redesign_goal::Entity>>,
    pub goals: Cached<ByParent<redesign_goal::Entity>>,
    pub stage_changes: Cached<ByParent<redesign_stage_change::Entity>>,
    pub grants: Cached<ByParent<redesign_grant::Entity>>,
    pub disbursements: Cached<ByParent<redesign_disbursement::Entity>>,
    pub indicators: Cached<ByParent<redesign_indicator::Entity>>,
    pub milestones: Cached<ByParent<redesign_milestone::Entity>>,
    pub measurements: Cached<ByParent<redesign_measurement::Entity>>,
    /// A goal's pillar links, by pillar id.
    pub pillar_links: Cached<ByParent<redesign_goal_pillar::Entity>>,
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
        RedesignLoaders {
            cohorts: cached(ById::new(db)),
            pillars: cached(ById::new(db)),
            plans: cached(ById::new(db)),
            goals_by_id: cached(ById::new(db)),
            goals: cached(ByParent::new(db, redesign_goal::Column::PlanId)),
            stage_changes: cached(ByParent::new(db, redesign_stage_change::Column::PlanId)),
            grants: cached(ByParent::new(db, redesign_grant::Column::PlanId)),
            disbursements: cached(ByParent::new(db, redesign_disbursement::Column::PlanId)),
            indicators: cached(ByParent::new(db, redesign_indicator::Column::GoalId)),
            milestones: cached(ByParent::new(db, redesign_milestone::Column::GoalId)),
            measurements: cached(ByParent::new(db, redesign_measurement::Column::IndicatorId)),
            pillar_links: cached(
                ByParent::new(db, redesign_goal_pillar::Column::GoalId)
                    .ordered_by(redesign_goal_pillar::Column::PillarId),
            ),
        }
    }
}
