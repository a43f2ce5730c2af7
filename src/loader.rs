//! The two DataLoaders every domain needs, written once: rows of a table by primary key
//! ([`ById`]) and rows grouped by a parent column ([`ByParent`]). A page of N records then
//! costs one statement per child field, never N. Loaders are built fresh for each request
//! (see [`cached`]), so nothing outlives the request that loaded it.

use std::{collections::HashMap, marker::PhantomData};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Iterable, ModelTrait, Order, PrimaryKeyToColumn,
    QueryFilter, QueryOrder, Value,
};

use crate::error::db_error;

/// A request's cached loader.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Wraps a loader in a per-request cache.
pub fn cached<T: Loader<i64>>(loader: T) -> Cached<T> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

/// The `i64` an id column holds in `m` (`None` for a null parent).
fn id_of<M: ModelTrait>(m: &M, col: <M::Entity as EntityTrait>::Column) -> Option<i64> {
    match m.get(col) {
        Value::BigInt(v) => v,
        Value::Int(v) => v.map(i64::from),
        _ => None,
    }
}

/// The table's single-column primary key.
fn primary_column<E: EntityTrait>() -> E::Column {
    E::PrimaryKey::iter().next().map(|k| k.into_column()).unwrap_or_else(|| unreachable!("every table has an id"))
}

/// Rows of `E` by primary key.
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E: EntityTrait> ById<E> {
    pub fn new(db: &DatabaseConnection) -> Self {
        ById { db: db.clone(), entity: PhantomData }
    }
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let id = primary_column::<E>();
        let rows = E::find().filter(id.is_in(keys.iter().copied())).all(&self.db).await.map_err(db_error)?;
        Ok(rows.into_iter().filter_map(|r| Some((id_of(&r, id)?, r))).collect())
    }
}

/// Rows of `E` grouped by a parent id column, ordered by `order` (the primary key unless
/// said otherwise), optionally only those meeting a condition (live rows, say). A parent with
/// no rows is absent from the map: callers read it as empty.
pub struct ByParent<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    order: Vec<(E::Column, Order)>,
    only: Condition,
}

impl<E: EntityTrait> ByParent<E> {
    pub fn new(db: &DatabaseConnection, parent: E::Column) -> Self {
        ByParent { db: db.clone(), parent, order: vec![(primary_column::<E>(), Order::Asc)], only: Condition::all() }
    }

    /// Orders each group by `order` instead of the primary key.
    pub fn ordered_by(self, order: E::Column) -> Self {
        self.sorted(&[(order, Order::Asc)])
    }

    /// Orders each group by these columns in turn (`(created_at, Desc), (id, Desc)`: newest first).
    pub fn sorted(mut self, order: &[(E::Column, Order)]) -> Self {
        self.order = order.to_vec();
        self
    }

    /// Loads only the rows meeting `condition` (for instance, not deleted).
    pub fn only(mut self, condition: Condition) -> Self {
        self.only = condition;
        self
    }
}

impl<E> Loader<i64> for ByParent<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<E::Model>>, Self::Error> {
        let mut q = E::find().filter(self.parent.is_in(keys.iter().copied())).filter(self.only.clone());
        for (col, order) in &self.order {
            q = q.order_by(*col, order.clone());
        }
        let rows = q.all(&self.db).await.map_err(db_error)?;
        let mut out: HashMap<i64, Vec<E::Model>> = HashMap::new();
        for r in rows {
            if let Some(parent) = id_of(&r, self.parent) {
                out.entry(parent).or_default().push(r);
            }
        }
        Ok(out)
    }
}
