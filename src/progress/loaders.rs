//! DataLoaders for results and mastery below learners and items.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{STATUS_ACTIVE, competency, competency_framework, mastery, result};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{error::db_error, roster::loaders::Cached};

/// Active results of each item, newest first, by item id.
pub struct ResultsByItem(DatabaseConnection);

impl Loader<i64> for ResultsByItem {
    type Value = Vec<result::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = result::Entity::find()
            .filter(result::Column::ItemId.is_in(keys.iter().copied()))
            .filter(result::Column::Status.eq(STATUS_ACTIVE))
            .order_by_desc(result::Column::OccurredAt)
            .order_by_desc(result::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<result::Model>> = HashMap::new();
        for r in rows {
            if let Some(i) = r.item_id {
                out.entry(i).or_default().push(r);
            }
        }
        Ok(out)
    }
}

/// Each learner's masteries, by learner id.
pub struct MasteryByLearner(DatabaseConnection);

impl Loader<i64> for MasteryByLearner {
    type Value = Vec<mastery::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = mastery::Entity::find()
            .filter(mastery::Column::LearnerId.is_in(keys.iter().copied()))
            .order_by_asc(mastery::Column::CompetencyId)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<mastery::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.learner_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// The evidence behind a mastery: a learner's active results, by learner id.
pub struct ResultsByLearner(DatabaseConnection);

impl Loader<i64> for ResultsByLearner {
    type Value = Vec<result::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = result::Entity::find()
            .filter(result::Column::LearnerId.is_in(keys.iter().copied()))
            .filter(result::Column::Status.eq(STATUS_ACTIVE))
            .order_by_desc(result::Column::OccurredAt)
            .order_by_desc(result::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<result::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.learner_id).or_default().push(r);
        }
        Ok(out)
    }
}

crate::roster::loaders::id_loader!(CompetencyLoader, competency);
crate::roster::loaders::id_loader!(FrameworkLoader, competency_framework);

#[derive(Clone)]
pub struct ProgressLoaders {
    pub results_by_item: Arc<Cached<ResultsByItem>>,
    pub results_by_learner: Arc<Cached<ResultsByLearner>>,
    pub mastery: Arc<Cached<MasteryByLearner>>,
    pub competencies: Arc<Cached<CompetencyLoader>>,
    pub frameworks: Arc<Cached<FrameworkLoader>>,
}

impl ProgressLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        ProgressLoaders {
            results_by_item: Arc::new(DataLoader::with_cache(
                ResultsByItem(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            results_by_learner: Arc::new(DataLoader::with_cache(
                ResultsByLearner(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            mastery: Arc::new(DataLoader::with_cache(
                MasteryByLearner(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            competencies: Arc::new(DataLoader::with_cache(
                CompetencyLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            frameworks: Arc::new(DataLoader::with_cache(
                FrameworkLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
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
