//! DataLoaders for playlists and their items, so a page of learners with their playlists and
//! items costs one statement per level, not one per row. The parent was authorized when it
//! was read; children are read by the parent's id.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{Status, competency, playlist, playlist_item, playlist_item_competency, playlist_item_transition};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, QueryFilter};

use crate::{
    error::db_error,
    loader::{ById, ByParent, Cached, cached},
};

/// The competencies of each item, by item id (a join through the item's links, so neither
/// [`ById`] nor [`ByParent`]).
pub struct CompetenciesByItem(DatabaseConnection);

impl Loader<i64> for CompetenciesByItem {
    type Value = Vec<competency::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let links = playlist_item_competency::Entity::find()
            .filter(playlist_item_competency::Column::ItemId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let comps: HashMap<i64, competency::Model> = competency::Entity::find()
            .filter(competency::Column::Id.is_in(links.iter().map(|l| l.competency_id)))
            .all(&self.0)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut out: HashMap<i64, Vec<competency::Model>> = HashMap::new();
        for link in links {
            if let Some(c) = comps.get(&link.competency_id) {
                out.entry(link.item_id).or_default().push(c.clone());
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|c| c.id);
        }
        Ok(out)
    }
}

/// Every playlist loader of a request.
#[derive(Clone)]
pub struct PlaylistLoaders {
    /// Active playlists (not templates) of each learner, by learner id.
    pub by_learner: Arc<Cached<ByParent<playlist::Entity>>>,
    /// Active items of each playlist in order, by playlist id.
    pub items: Arc<Cached<ByParent<playlist_item::Entity>>>,
    pub competencies: Arc<Cached<CompetenciesByItem>>,
    pub playlists: Arc<Cached<ById<playlist::Entity>>>,
    pub item: Arc<Cached<ById<playlist_item::Entity>>>,
    /// The state transitions of each item, oldest first, by item id.
    pub transitions: Arc<Cached<ByParent<playlist_item_transition::Entity>>>,
}

impl PlaylistLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        let by_learner = ByParent::new(db, playlist::Column::LearnerId)
            .only(Condition::all().add(playlist::Column::Status.eq(Status::Active)));
        let items = ByParent::new(db, playlist_item::Column::PlaylistId)
            .only(Condition::all().add(playlist_item::Column::Status.eq(Status::Active)))
            .sorted(&[(playlist_item::Column::Position, Order::Asc), (playlist_item::Column::Id, Order::Asc)]);
        PlaylistLoaders {
            by_learner: Arc::new(cached(by_learner)),
            items: Arc::new(cached(items)),
            competencies: Arc::new(cached(CompetenciesByItem(db.clone()))),
            playlists: Arc::new(cached(ById::new(db))),
            item: Arc::new(cached(ById::new(db))),
            transitions: Arc::new(cached(ByParent::new(db, playlist_item_transition::Column::ItemId))),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.by_learner.clear();
        self.items.clear();
        self.competencies.clear();
        self.playlists.clear();
        self.item.clear();
        self.transitions.clear();
    }
}
