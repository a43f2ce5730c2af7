//! DataLoaders for WIN: blocks and sessions by id, a block's sessions, a session's focus
//! competencies and seats, a learner's history, and the learner-bearing children of a block or
//! session (choices, reviews, placements) limited in SQL to the learners a caller may see.
//! Parents were authorized when they were read; children load by parent id.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    win_assignment, win_block, win_choice, win_review, win_session, win_session_competency, win_session_invite,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Value, sea_query::Expr,
};

use crate::{
    auth::policy::win::LearnerView,
    error::db_error,
    loader::{ById, ByParent, Cached, cached},
};

/// A learner-bearing child's key: the caller's view of the learners, and the parent's id.
pub type Visible = (LearnerView, i64);

/// Rows of `E` grouped by a parent column, limited to the learners of the key's view (the
/// policy's SQL condition on `learner`), in `order`.
pub struct VisibleByParent<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    learner: E::Column,
    block: E::Column,
    order: Vec<E::Column>,
}

impl<E: EntityTrait> VisibleByParent<E> {
    fn new(
        db: &DatabaseConnection,
        parent: E::Column,
        [learner, block]: [E::Column; 2],
        order: Vec<E::Column>,
    ) -> Arc<Cached<Self>> {
        Arc::new(DataLoader::with_cache(
            VisibleByParent { db: db.clone(), parent, learner, block, order },
            tokio::spawn,
            HashMapCache::default(),
        ))
    }
}

impl<E> Loader<Visible> for VisibleByParent<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Visible]) -> Result<HashMap<Visible, Vec<E::Model>>, Self::Error> {
        // One request has one principal, so one view: one statement in practice.
        let mut by_view: HashMap<LearnerView, Vec<i64>> = HashMap::new();
        for (view, parent) in keys {
            by_view.entry(*view).or_default().push(*parent);
        }
        let mut out: HashMap<Visible, Vec<E::Model>> = HashMap::new();
        for (view, parents) in by_view {
            let mut q = E::find()
                .filter(self.parent.is_in(parents))
                .filter(view.condition(Expr::col((E::default(), self.learner)), Expr::col((E::default(), self.block))));
            for o in &self.order {
                q = q.order_by_asc(*o);
            }
            for r in q.all(&self.db).await.map_err(db_error)? {
                if let Value::BigInt(Some(parent)) = r.get(self.parent) {
                    out.entry((view, parent)).or_default().push(r);
                }
            }
        }
        Ok(out)
    }
}

/// Whether a teacher teaches a learner (`(teacher, learner)`): one statement for a request's
/// keys.
pub struct Taught {
    db: DatabaseConnection,
}

impl Loader<(i64, i64)> for Taught {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i64, i64)]) -> Result<HashMap<(i64, i64), bool>, Self::Error> {
        let mut by_teacher: HashMap<i64, Vec<i64>> = HashMap::new();
        for (t, l) in keys {
            by_teacher.entry(*t).or_default().push(*l);
        }
        let mut out: HashMap<(i64, i64), bool> = keys.iter().map(|k| (*k, false)).collect();
        for (t, learners) in by_teacher {
            let taught =
                crate::win::store::taught_among(&self.db, t, &learners).await.map_err(async_graphql::Error::from)?;
            for l in taught {
                out.insert((t, l), true);
            }
        }
        Ok(out)
    }
}

/// Every WIN loader of a request.
#[derive(Clone)]
pub struct WinLoaders {
    pub block: Arc<Cached<ById<win_block::Entity>>>,
    pub session: Arc<Cached<ById<win_session::Entity>>>,
    /// Whether a teacher teaches a learner.
    pub taught: Arc<Cached<Taught>>,
    /// A block's sessions.
    pub sessions: Arc<Cached<ByParent<win_session::Entity>>>,
    /// A session's focus competency links, by competency id.
    pub focus: Arc<Cached<ByParent<win_session_competency::Entity>>>,
    /// A session's invitations.
    pub invites: Arc<Cached<ByParent<win_session_invite::Entity>>>,
    /// Every placement in a session (for its seat count).
    pub seats: Arc<Cached<ByParent<win_assignment::Entity>>>,
    /// A learner's placements.
    pub history: Arc<Cached<ByParent<win_assignment::Entity>>>,
    /// A block's choices, by learner and rank.
    pub choices: Arc<Cached<VisibleByParent<win_choice::Entity>>>,
    /// A block's reviews, by learner.
    pub reviews: Arc<Cached<VisibleByParent<win_review::Entity>>>,
    /// A block's placements, by learner.
    pub placements: Arc<Cached<VisibleByParent<win_assignment::Entity>>>,
    /// A session's placements, by learner.
    pub session_placements: Arc<Cached<VisibleByParent<win_assignment::Entity>>>,
}

impl WinLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        use entity::{win_assignment::Column as A, win_choice::Column as C, win_review::Column as R};
        WinLoaders {
            block: Arc::new(cached(ById::new(db))),
            session: Arc::new(cached(ById::new(db))),
            taught: Arc::new(DataLoader::with_cache(Taught { db: db.clone() }, tokio::spawn, HashMapCache::default())),
            sessions: Arc::new(cached(ByParent::new(db, win_session::Column::BlockId))),
            focus: Arc::new(cached(
                ByParent::new(db, win_session_competency::Column::SessionId)
                    .ordered_by(win_session_competency::Column::CompetencyId),
            )),
            invites: Arc::new(cached(ByParent::new(db, win_session_invite::Column::SessionId))),
            seats: Arc::new(cached(ByParent::new(db, A::SessionId))),
            history: Arc::new(cached(ByParent::new(db, A::LearnerId).ordered_by(A::BlockId))),
            choices: VisibleByParent::new(db, C::BlockId, [C::LearnerId, C::BlockId], vec![C::LearnerId, C::Rank]),
            reviews: VisibleByParent::new(db, R::BlockId, [R::LearnerId, R::BlockId], vec![R::LearnerId]),
            placements: VisibleByParent::new(db, A::BlockId, [A::LearnerId, A::BlockId], vec![A::LearnerId]),
            session_placements: VisibleByParent::new(db, A::SessionId, [A::LearnerId, A::BlockId], vec![A::LearnerId]),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.block.clear();
        self.session.clear();
        self.taught.clear();
        self.sessions.clear();
        self.focus.clear();
        self.invites.clear();
        self.seats.clear();
        self.history.clear();
        self.choices.clear();
        self.reviews.clear();
        self.placements.clear();
        self.session_placements.clear();
    }
}
