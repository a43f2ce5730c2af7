//! DataLoaders for playlists and their items, so a page of learners with their playlists and
//! items costs one statement per level, not one per row. The parent was authorized when it
//! was read; children are read by the parent's id.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{STATUS_ACTIVE, competency, playlist, playlist_item, playlist_item_competency, playlist_item_transition};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{error::db_error, roster::loaders::Cached};

/// Active playlists (not templates) of each learner, by learner id.
pub struct PlaylistsByLearner(DatabaseConnection);

impl Loader<i64> for PlaylistsByLearner {
    type Value = Vec<playlist::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = playlist::Entity::find()
            .filter(playlist::Column::LearnerId.is_in(keys.iter().copied()))
            .filter(playlist::Column::Status.eq(STATUS_ACTIVE))
            .order_by_asc(playlist::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<playlist::Model>> = HashMap::new();
        for r in rows {
            if let Some(l) = r.learner_id {
                out.entry(l).or_default().push(r);
            }
        }
        Ok(out)
    }
}

/// Active items of each playlist in order, by playlist id.
pub struct ItemsByPlaylist(DatabaseConnection);

impl Loader<i64> for ItemsByPlaylist {
    type Value = Vec<playlist_item::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = playlist_item::Entity::find()
            .filter(playlist_item::Column::PlaylistId.is_in(keys.iter().copied()))
            .filter(playlist_item::Column::Status.eq(STATUS_ACTIVE))
            .order_by_asc(playlist_item::Column::Position)
            .order_by_asc(playlist_item::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<playlist_item::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.playlist_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// The competencies of each item, by item id.
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

/// The state transitions of each item, oldest first, by item id.
pub struct TransitionsByItem(DatabaseConnection);

impl Loader<i64> for TransitionsByItem {
    type Value = Vec<playlist_item_transition::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = playlist_item_transition::Entity::find()
            .filter(playlist_item_transition::Column::ItemId.is_in(keys.iter().copied()))
            .order_by_asc(playlist_item_transition::Column::Id)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<playlist_item_transition::Model>> = HashMap::new();
        for r in rows {
            out.entry(r.item_id).or_default().push(r);
        }
        Ok(out)
    }
}

crate::roster::loaders::id_loader!(PlaylistLoader, playlist);
crate::roster::loaders::id_loader!(ItemLoader, playlist_item);

/// Every playlist loader of a request.
#[derive(Clone)]
pub struct PlaylistLoaders {
    pub by_learner: Arc<Cached<PlaylistsByLearner>>,
    pub items: Arc<Cached<ItemsByPlaylist>>,
    pub competencies: Arc<Cached<CompetenciesByItem>>,
    pub playlists: Arc<Cached<PlaylistLoader>>,
    pub item: Arc<Cached<ItemLoader>>,
    pub transitions: Arc<Cached<TransitionsByItem>>,
}

impl PlaylistLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        PlaylistLoaders {
            by_learner: Arc::new(DataLoader::with_cache(
                PlaylistsByLearner(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            items: Arc::new(DataLoader::with_cache(ItemsByPlaylist(db.clone()), tokio::spawn, HashMapCache::default())),
            competencies: Arc::new(DataLoader::with_cache(
                CompetenciesByItem(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            playlists: Arc::new(DataLoader::with_cache(
                PlaylistLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            item: Arc::new(DataLoader::with_cache(ItemLoader(db.clone()), tokio::spawn, HashMapCache::default())),
            transitions: Arc::new(DataLoader::with_cache(
                TransitionsByItem(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
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
