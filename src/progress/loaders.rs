//! DataLoaders for results and mastery below learners and items.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use async_graphql::dataloader::Loader;
use entity::{Status, competency, competency_framework, gradebook_category, line_item, mastery, result};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, QueryFilter};

use crate::{
    error::db_error,
    loader::{ById, ByParent, Cached, cached},
};

/// The competencies a gradebook line item assesses (its learning objectives matched by CASE
/// identifier), by line item id.
pub struct CompetenciesByLineItem(DatabaseConnection);

impl Loader<i64> for CompetenciesByLineItem {
    type Value = Vec<competency::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let keys: BTreeSet<i64> = keys.iter().copied().collect();
        let links = super::mastery::line_item_links(&self.0, &keys).await?;
        let comps: HashMap<i64, competency::Model> = competency::Entity::find()
            .filter(competency::Column::Id.is_in(links.values().flatten().copied()))
            .all(&self.0)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        Ok(links
            .into_iter()
            .map(|(line, ids)| {
                let mut v: Vec<competency::Model> = ids.iter().filter_map(|c| comps.get(c).cloned()).collect();
                v.sort_by_key(|c| c.id);
                (line, v)
            })
            .collect())
    }
}

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
    pub by_line_item: Arc<Cached<CompetenciesByLineItem>>,
    /// Gradebook line items, and their categories, by id.
    pub line_items: Arc<Cached<ById<line_item::Entity>>>,
    pub categories: Arc<Cached<ById<gradebook_category::Entity>>>,
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
            by_line_item: Arc::new(cached(CompetenciesByLineItem(db.clone()))),
            line_items: Arc::new(cached(ById::new(db))),
            categories: Arc::new(cached(ById::new(db))),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.results_by_item.clear();
        self.results_by_learner.clear();
        self.mastery.clear();
        self.competencies.clear();
        self.frameworks.clear();
        self.by_line_item.clear();
        self.line_items.clear();
        self.categories.clear();
    }
}
