//! DataLoaders for WIN: a block's sessions, choices, reviews and placements, a session's focus
//! competencies, a learner's history, and the students a teacher teaches (for filtering lists
//! in memory). Parents were authorized when they were read; children load by parent id.

use entity::Role;
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    STATUS_ACTIVE, competency, enrollment, win_assignment, win_block, win_choice, win_review, win_session,
    win_session_competency,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{error::db_error, roster::loaders::Cached};

/// Rows of a table grouped by one of its columns, in id order.
macro_rules! by_parent {
    ($name:ident, $m:ident, $col:ident, $field:ident, $($order:ident),+) => {
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = Vec<$m::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $m::Entity::find()
                    .filter($m::Column::$col.is_in(keys.iter().copied()))
                    $(.order_by_asc($m::Column::$order))+
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

by_parent!(SessionsByBlock, win_session, BlockId, block_id, Id);
by_parent!(ChoicesByBlock, win_choice, BlockId, block_id, LearnerId, Rank);
by_parent!(ReviewsByBlock, win_review, BlockId, block_id, LearnerId);
by_parent!(AssignmentsByBlock, win_assignment, BlockId, block_id, LearnerId);
by_parent!(AssignmentsBySession, win_assignment, SessionId, session_id, LearnerId);
by_parent!(HistoryByLearner, win_assignment, LearnerId, learner_id, BlockId);

crate::roster::loaders::id_loader!(BlockLoader, win_block);
crate::roster::loaders::id_loader!(SessionLoader, win_session);

/// The focus competencies of each session, by session id.
pub struct FocusBySession(DatabaseConnection);

impl Loader<i64> for FocusBySession {
    type Value = Vec<competency::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let links = win_session_competency::Entity::find()
            .filter(win_session_competency::Column::SessionId.is_in(keys.iter().copied()))
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
        for l in links {
            if let Some(c) = comps.get(&l.competency_id) {
                out.entry(l.session_id).or_default().push(c.clone());
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|c| c.id);
        }
        Ok(out)
    }
}

/// The students in each teacher's active classes, by teacher id.
pub struct TaughtStudents(DatabaseConnection);

impl Loader<i64> for TaughtStudents {
    type Value = Vec<i64>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let teaching: Vec<(i64, i64)> = enrollment::Entity::find()
            .select_only()
            .columns([enrollment::Column::UserId, enrollment::Column::ClassId])
            .filter(enrollment::Column::UserId.is_in(keys.iter().copied()))
            .filter(enrollment::Column::Role.eq(Role::Teacher))
            .filter(enrollment::Column::Status.eq(STATUS_ACTIVE))
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let students: Vec<(i64, i64)> = enrollment::Entity::find()
            .select_only()
            .columns([enrollment::Column::ClassId, enrollment::Column::UserId])
            .filter(enrollment::Column::ClassId.is_in(teaching.iter().map(|t| t.1)))
            .filter(enrollment::Column::Role.eq(Role::Student))
            .filter(enrollment::Column::Status.eq(STATUS_ACTIVE))
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(db_error)?;
        let mut by_class: HashMap<i64, Vec<i64>> = HashMap::new();
        for (c, u) in students {
            by_class.entry(c).or_default().push(u);
        }
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for (t, c) in teaching {
            out.entry(t).or_default().extend(by_class.get(&c).into_iter().flatten());
        }
        for v in out.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Ok(out)
    }
}

/// Every WIN loader of a request.
#[derive(Clone)]
pub struct WinLoaders {
    pub sessions: Arc<Cached<SessionsByBlock>>,
    pub choices: Arc<Cached<ChoicesByBlock>>,
    pub reviews: Arc<Cached<ReviewsByBlock>>,
    pub placements: Arc<Cached<AssignmentsByBlock>>,
    pub session_placements: Arc<Cached<AssignmentsBySession>>,
    pub history: Arc<Cached<HistoryByLearner>>,
    pub block: Arc<Cached<BlockLoader>>,
    pub session: Arc<Cached<SessionLoader>>,
    pub focus: Arc<Cached<FocusBySession>>,
    pub taught: Arc<Cached<TaughtStudents>>,
}

impl WinLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        fn cached<T: Loader<i64>>(l: T) -> Arc<Cached<T>> {
            Arc::new(DataLoader::with_cache(l, tokio::spawn, HashMapCache::default()))
        }
        WinLoaders {
            sessions: cached(SessionsByBlock(db.clone())),
            choices: cached(ChoicesByBlock(db.clone())),
            reviews: cached(ReviewsByBlock(db.clone())),
            placements: cached(AssignmentsByBlock(db.clone())),
            session_placements: cached(AssignmentsBySession(db.clone())),
            history: cached(HistoryByLearner(db.clone())),
            block: cached(BlockLoader(db.clone())),
            session: cached(SessionLoader(db.clone())),
            focus: cached(FocusBySession(db.clone())),
            taught: cached(TaughtStudents(db.clone())),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.sessions.clear();
        self.choices.clear();
        self.reviews.clear();
        self.placements.clear();
        self.session_placements.clear();
        self.history.clear();
        self.block.clear();
        self.session.clear();
        self.focus.clear();
        self.taught.clear();
    }
}
