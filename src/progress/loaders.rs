//! DataLoaders for results and mastery below learners and items.

use std::sync::Arc;

use entity::{Status, competency, competency_framework, mastery, result};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, Order};

use crate::loader::{ById, ByParent, Cached, cached};

#[derive(Clone)]
pub struct ProgressLoaders {
    /// Active results of each item, newest first, by item id.
    pub results_by_item: Arc<Cached<ByParent<result::Entity>>>,
    /// The evidence behind a mastery: a learner's active results, newest first, by learner id.
    pub results_by_learner: Arc<Cached<ByParent<result::Entity>>>,
    /// Each learner's masteries, by learner id.
    pub mastery: Arc<Cached<ByParent<mastery::Entity>>>,
    pub competencies: Arc<Cached<ById<competency::Entity>>>,
    pub frameworks: Arc<Cached<ById<competency_framework::Entity>>>,
}

/// Active results grouped by `parent`, newest first.
fn active_results(db: &DatabaseConnection, parent: result::Column) -> ByParent<result::Entity> {
    ByParent::new(db, parent)
        .only(Condition::all().add(result::Column::Status.eq(Status::Active)))
        .sorted(&[(result::Column::OccurredAt, Order::Desc), (result::Column::Id, Order::Desc)])
}

impl ProgressLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        ProgressLoaders {
            results_by_item: Arc::new(cached(active_results(db, result::Column::ItemId))),
            results_by_learner: Arc::new(cached(active_results(db, result::Column::LearnerId))),
            mastery: Arc::new(cached(
                ByParent::new(db, mastery::Column::LearnerId).ordered_by(mastery::Column::CompetencyId),
            )),
            competencies: Arc::new(cached(ById::new(db))),
            frameworks: Arc::new(cached(ById::new(db))),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.results_by_item.clear();
        self.results_by_learner.clear();
        self.mastery.clear();
        self.competencies.clear();
        self.frameworks.clear();
    }
}
