//! DataLoaders for the roster's child fields, so a page of N records costs one query per
//! child field rather than N. Built fresh for each request.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{academic_session, class, course, learner_profile, org, user, user_org};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::db_error;

/// A loader of one table's rows by primary key.
macro_rules! id_loader {
    ($name:ident, $m:ident) => {
        pub struct $name(DatabaseConnection);

        impl ::async_graphql::dataloader::Loader<i64> for $name {
            type Value = $m::Model;
            type Error = ::async_graphql::Error;

            async fn load(
                &self,
                keys: &[i64],
            ) -> ::std::result::Result<::std::collections::HashMap<i64, Self::Value>, Self::Error> {
                use ::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let rows = $m::Entity::find()
                    .filter($m::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

pub(crate) use id_loader;

id_loader!(OrgLoader, org);
id_loader!(CourseLoader, course);
id_loader!(SessionLoader, academic_session);
id_loader!(ClassLoader, class);
id_loader!(UserLoader, user);

/// The orgs each user belongs to, by user id.
pub struct UserOrgsLoader(DatabaseConnection);

impl Loader<i64> for UserOrgsLoader {
    type Value = Vec<org::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = user_org::Entity::find()
            .filter(user_org::Column::UserId.is_in(keys.iter().copied()))
            .order_by_asc(user_org::Column::OrgId)
            .find_also_related(org::Entity)
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<i64, Vec<org::Model>> = HashMap::new();
        for (membership, org) in rows {
            if let Some(org) = org {
                out.entry(membership.user_id).or_default().push(org);
            }
        }
        Ok(out)
    }
}

/// A learner's profile, by the learner's user id.
pub struct ProfileLoader(DatabaseConnection);

impl Loader<i64> for ProfileLoader {
    type Value = learner_profile::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = learner_profile::Entity::find()
            .filter(learner_profile::Column::UserId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (r.user_id, r)).collect())
    }
}

/// A loader whose results are kept for the rest of the request, so a page can prime it with
/// one batch and its items' fields read from it.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Loads `keys` with one call of `cache`'s loader and feeds every key to the cache, a key
/// with no rows as having none, so the fields of a page read from the cache instead of
/// batching by timing. Returns what was loaded.
pub async fn prime<T, V>(cache: &Cached<T>, keys: &[i64]) -> async_graphql::Result<HashMap<i64, Vec<V>>>
where
    T: Loader<i64, Value = Vec<V>, Error = async_graphql::Error>,
    V: Clone + Send + Sync + 'static,
{
    let mut found = cache.loader().load(keys).await?;
    for k in keys {
        found.entry(*k).or_default();
    }
    cache.feed_many(found.clone()).await;
    Ok(found)
}

/// Every loader of a request.
#[derive(Clone)]
pub struct Loaders {
    pub orgs: Arc<Cached<OrgLoader>>,
    pub courses: Arc<Cached<CourseLoader>>,
    pub sessions: Arc<Cached<SessionLoader>>,
    pub classes: Arc<Cached<ClassLoader>>,
    pub users: Arc<Cached<UserLoader>>,
    pub user_orgs: Arc<Cached<UserOrgsLoader>>,
    pub profiles: Arc<Cached<ProfileLoader>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        let l = |_: ()| db.clone();
        Loaders {
            orgs: Arc::new(DataLoader::with_cache(OrgLoader(l(())), tokio::spawn, HashMapCache::default())),
            courses: Arc::new(DataLoader::with_cache(CourseLoader(l(())), tokio::spawn, HashMapCache::default())),
            sessions: Arc::new(DataLoader::with_cache(SessionLoader(l(())), tokio::spawn, HashMapCache::default())),
            classes: Arc::new(DataLoader::with_cache(ClassLoader(l(())), tokio::spawn, HashMapCache::default())),
            users: Arc::new(DataLoader::with_cache(UserLoader(l(())), tokio::spawn, HashMapCache::default())),
            user_orgs: Arc::new(DataLoader::with_cache(UserOrgsLoader(l(())), tokio::spawn, HashMapCache::default())),
            profiles: Arc::new(DataLoader::with_cache(ProfileLoader(l(())), tokio::spawn, HashMapCache::default())),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.orgs.clear();
        self.courses.clear();
        self.sessions.clear();
        self.classes.clear();
        self.users.clear();
        self.user_orgs.clear();
        self.profiles.clear();
    }
}
