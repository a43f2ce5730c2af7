//! The changes feed (`syncCursor`, `changes`) and the subscriptions (`resultChanged`,
//! `playlistItemStateChanged`, over graphql-transport-ws at `/graphql/ws`).

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{enrollment, learner_profile, result as result_entity, sync_change};
use futures_util::{Stream, StreamExt, stream};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

use super::{
    events::{Bus, EventKind},
    store::{self, ChangeEntity},
};
use crate::{
    auth::{Principal, Scope},
    error::AppError,
    graphql::{
        context::{db, gql, loaders, needs, principal},
        node::Node,
        relay::{Kind, global_id},
    },
    loader::{ById, Cached, cached},
    playlists::graphql::{Playlist, PlaylistItem, pl},
    profiles::graphql::LearnerProfile,
    progress::graphql::ResultNode,
    roster::graphql::{Class, Educator, Enrollment, Learner},
};

/// Most changes one page returns.
pub const MAX_CHANGES: i32 = 500;

/// Loaders for the feed's records that other domains load only by parent.
#[derive(Clone)]
pub struct FeedLoaders {
    profiles: Arc<Cached<ById<learner_profile::Entity>>>,
    enrollments: Arc<Cached<ById<enrollment::Entity>>>,
    results: Arc<Cached<ById<result_entity::Entity>>>,
}

impl FeedLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        FeedLoaders {
            profiles: Arc::new(cached(ById::new(db))),
            enrollments: Arc::new(cached(ById::new(db))),
            results: Arc::new(cached(ById::new(db))),
        }
    }

    /// Forgets everything loaded, so the next read sees the database as it is now.
    pub fn clear(&self) {
        self.profiles.clear();
        self.enrollments.clear();
        self.results.clear();
    }
}

fn encode(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("s:{seq}"))
}

fn decode(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("s:").and_then(|n| n.parse().ok()))
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| AppError::validation("after", "not a cursor returned by this API"))
}

/// Whether the change is to a live record or a deletion.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Upserted,
    Deleted,
}

/// One changed record.
pub struct Change(sync_change::Model);

fn kind_of(e: ChangeEntity) -> Kind {
    match e {
        ChangeEntity::Learner => Kind::Learner,
        ChangeEntity::Educator => Kind::Educator,
        ChangeEntity::Class => Kind::Class,
        ChangeEntity::Enrollment => Kind::Enrollment,
        ChangeEntity::LearnerProfile => Kind::LearnerProfile,
        ChangeEntity::Playlist => Kind::Playlist,
        ChangeEntity::PlaylistItem => Kind::PlaylistItem,
        ChangeEntity::Result => Kind::Result,
    }
}

#[Object]
impl Change {
    /// Resume from here to get the changes after this one.
    async fn cursor(&self) -> String {
        encode(self.0.seq)
    }
    async fn entity_type(&self) -> Option<ChangeEntity> {
        ChangeEntity::parse(&self.0.entity)
    }
    /// The changed record's global ID (also for deletions).
    async fn id(&self) -> Option<ID> {
        ChangeEntity::parse(&self.0.entity).map(|e| global_id(kind_of(e), self.0.entity_id))
    }
    #[graphql(name = "type")]
    async fn change_type(&self) -> ChangeType {
        if self.0.deleted { ChangeType::Deleted } else { ChangeType::Upserted }
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
    /// The record as it is now (null for a deletion, or when it changed again since and is
    /// gone): read it here rather than by ID to save a round trip.
    async fn node(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        if self.0.deleted {
            return Ok(None);
        }
        let id = self.0.entity_id;
        let l = loaders(ctx)?;
        let f = ctx.data::<FeedLoaders>()?;
        Ok(match ChangeEntity::parse(&self.0.entity) {
            Some(ChangeEntity::Learner) => l.users.load_one(id).await?.map(|u| Node::Learner(Learner(u))),
            Some(ChangeEntity::Educator) => l.users.load_one(id).await?.map(|u| Node::Educator(Educator(u))),
            Some(ChangeEntity::Class) => l.classes.load_one(id).await?.map(|c| Node::Class(Class(c))),
            Some(ChangeEntity::Enrollment) => {
                f.enrollments.load_one(id).await?.map(|e| Node::Enrollment(Enrollment(e)))
            }
            Some(ChangeEntity::LearnerProfile) => {
                f.profiles.load_one(id).await?.map(|p| Node::LearnerProfile(LearnerProfile(p)))
            }
            Some(ChangeEntity::Playlist) => pl(ctx)?.playlists.load_one(id).await?.map(|p| Node::Playlist(Playlist(p))),
            Some(ChangeEntity::PlaylistItem) => {
                pl(ctx)?.item.load_one(id).await?.map(|i| Node::PlaylistItem(PlaylistItem(i)))
            }
            Some(ChangeEntity::Result) => f.results.load_one(id).await?.map(|r| Node::Result(ResultNode(r))),
            None => None,
        })
    }
}

/// A page of the changes feed.
#[derive(SimpleObject)]
pub struct ChangesPage {
    /// Changes in commit order.
    pub changes: Vec<Change>,
    /// Pass as `after` to continue; it moves past changes you may not see too.
    pub cursor: String,
    /// More changes are waiting: ask again at once.
    pub has_more: bool,
}

#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// The feed's current position. To start syncing, take it, read the lists you need in
    /// full, then follow `changes(after:)` from it. Needs no scope.
    async fn sync_cursor(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let (head, _) = gql(store::clock(db(ctx)?).await)?;
        Ok(encode(head))
    }

    /// Every change to the records the caller may see (learners, educators, classes,
    /// enrollments, profiles, playlists, items, results; each kind with the scope that reads
    /// it) in commit order, deletions included. A change committed while you page is never
    /// skipped: it comes after the cursor you hold. Deletions are kept for the configured
    /// retention (`LEARNERGRAPH_SYNC_RETENTION_DAYS`, default 400 days); an older cursor fails
    /// with `CURSOR_EXPIRED`, telling you to resync fully. Without `after`, the feed starts at
    /// the oldest change it still keeps.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        #[graphql(default = 100)] first: i32,
    ) -> async_graphql::Result<ChangesPage> {
        if !(1..=MAX_CHANGES).contains(&first) {
            return Err(AppError::validation("first", format!("must be between 1 and {MAX_CHANGES}")).into());
        }
        let after = after.as_deref().map(decode).transpose()?;
        let p = principal(ctx)?;
        let page = gql(store::page(db(ctx)?, p, after, u64::try_from(first).unwrap_or(100)).await)?;
        Ok(ChangesPage {
            changes: page.changes.into_iter().map(Change).collect(),
            cursor: encode(page.cursor),
            has_more: page.has_more,
        })
    }
}

/// Ends a subscription when its access token expires.
#[derive(Clone, Copy)]
pub struct TokenExpiry(pub i64);

/// Empties the loaders of a WebSocket connection. A connection lives long, and each event's
/// fields must show the data as it is when the event happens, not as it was first loaded.
#[derive(Clone)]
pub struct FreshLoaders(pub Arc<dyn Fn() + Send + Sync>);

fn events<T: Send + 'static>(
    ctx: &Context<'_>,
    kind: EventKind,
    load: fn(DatabaseConnection, Principal, i64) -> futures_util::future::BoxFuture<'static, Option<T>>,
) -> async_graphql::Result<impl Stream<Item = T> + use<T>> {
    let p = principal(ctx)?.clone();
    let db = db(ctx)?.clone();
    let expiry = ctx.data::<TokenExpiry>().ok().map(|e| e.0);
    let rx = ctx.data::<Bus>()?.subscribe();
    let fresh = ctx.data::<FreshLoaders>().ok().cloned();
    let s = stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => return Some((e, rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a subscriber fell behind; resume from the changes feed");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .take_while(move |_| futures_util::future::ready(expiry.is_none_or(|exp| Utc::now().timestamp() < exp)))
    .filter(move |e| futures_util::future::ready(e.kind == kind))
    .filter_map(move |e| {
        if let Some(f) = &fresh {
            (f.0)();
        }
        load(db.clone(), p.clone(), e.id)
    });
    Ok(s)
}

#[derive(Default)]
pub struct SyncSubscription;

#[Subscription]
impl SyncSubscription {
    /// Results posted, updated, overridden or deleted for learners the caller may see, from
    /// any replica of the service. Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn result_changed(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = ResultNode> + use<>> {
        events(ctx, EventKind::Result, |db, p, id| {
            Box::pin(async move { crate::progress::store::find(&db, &p, id).await.ok().flatten().map(ResultNode) })
        })
    }

    /// Playlist items of learners the caller may see that changed state (including items
    /// mastered by a result). Needs `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)")]
    async fn playlist_item_state_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = PlaylistItem> + use<>> {
        events(ctx, EventKind::ItemState, |db, p, id| {
            Box::pin(
                async move { crate::playlists::store::find_item(&db, &p, id).await.ok().flatten().map(PlaylistItem) },
            )
        })
    }
}
