//! DataLoaders for the roster's child fields, so a page of N records costs one query per
//! child field rather than N. Built fresh for each request.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{academic_session, class, course, demographic, learner_profile, org, user, user_org};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    error::db_error,
    loader::{ById, ByParent, cached},
};

pub use crate::loader::Cached;

/// The orgs each user belongs to, by user id (a join through memberships, so neither
/// [`ById`] nor [`ByParent`]).
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
    pub orgs: Arc<Cached<ById<org::Entity>>>,
    pub courses: Arc<Cached<ById<course::Entity>>>,
    pub sessions: Arc<Cached<ById<academic_session::Entity>>>,
    pub classes: Arc<Cached<ById<class::Entity>>>,
    pub users: Arc<Cached<ById<user::Entity>>>,
    pub user_orgs: Arc<Cached<UserOrgsLoader>>,
    /// A learner's profile by the learner's user id: a group of at most one (the user id is
    /// unique in the table); read it through [`Loaders::profile_of`].
    pub profiles: Arc<Cached<ByParent<learner_profile::Entity>>>,
    /// A learner's demographics by user id (a group of at most one).
    pub demographics: Arc<Cached<ByParent<demographic::Entity>>>,
    /// A student's data-use restrictions by user id.
    pub data_use: Arc<Cached<ById<entity::data_use_restriction::Entity>>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            orgs: Arc::new(cached(ById::new(db))),
            courses: Arc::new(cached(ById::new(db))),
            sessions: Arc::new(cached(ById::new(db))),
            classes: Arc::new(cached(ById::new(db))),
            users: Arc::new(cached(ById::new(db))),
            user_orgs: Arc::new(cached(UserOrgsLoader(db.clone()))),
            profiles: Arc::new(cached(ByParent::new(db, learner_profile::Column::UserId))),
            demographics: Arc::new(cached(ByParent::new(db, demographic::Column::UserId))),
            data_use: Arc::new(cached(ById::new(db))),
        }
    }

    /// The profile of a learner, if they have one.
    pub async fn profile_of(&self, learner: i64) -> async_graphql::Result<Option<learner_profile::Model>> {
        Ok(self.profiles.load_one(learner).await?.and_then(|v| v.into_iter().next()))
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
        self.demographics.clear();
        self.data_use.clear();
    }
}
