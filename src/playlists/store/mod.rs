//! Playlist data access and rules. Teachers and tools with `playlists.write` create and edit
//! playlists of learners they may see; learners move their own items forward (start, submit)
//! and only staff decide mastery or ask for revision.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
pub use entity::{Evidence, ItemState};
use entity::{
    OrgType, Role, Status, class, enrollment, playlist, playlist_item, playlist_item_competency,
    playlist_item_transition, user,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    TransactionSession, TransactionTrait,
    sea_query::{Expr, Query},
};

use crate::{
    auth::{
        Principal, Scope,
        policy::{owned_by_granted_org, playlists as policy},
    },
    error::{AppError, AppResult, OnConstraint},
    page::{Page, PageRequest, fetch_page},
    roster::store::{self as roster, Key, Sync, check_len, lookup_key},
    sync::{Bus, Change, ChangeEntity, Effects, Event, EventKind},
};

mod assign;
mod items;
mod playlists;
mod progress;
mod state;

pub use self::{assign::*, items::*, playlists::*, progress::*, state::*};

pub const MAX_ITEMS: usize = 200;
const MAX_COMPETENCIES_PER_ITEM: usize = 50;

/// The states an item may move to from `from` (who may make each move is the policy's:
/// [`crate::auth::policy::playlists::may_move_item`]).
pub fn next_states(from: ItemState) -> &'static [ItemState] {
    use ItemState::*;
    match from {
        NotStarted => &[InProgress, Submitted, Mastered],
        InProgress => &[Submitted, Mastered],
        Submitted => &[Mastered, NeedsRevision],
        NeedsRevision => &[InProgress, Submitted, Mastered],
        Mastered => &[NeedsRevision],
    }
}

fn sync_condition(sync: Sync, status: impl ColumnTrait, dlm: impl ColumnTrait) -> Condition {
    let mut c = Condition::all();
    if let Some(since) = sync.updated_since {
        c = c.add(dlm.gte(since));
    } else if !sync.include_deleted {
        c = c.add(status.eq(Status::Active));
    }
    c
}

/// Filters for listing playlists.
#[derive(Clone, Debug, Default)]
pub struct PlaylistFilter {
    pub learner: Option<i64>,
    pub class: Option<i64>,
    pub templates: bool,
    pub subject: Option<String>,
    pub sync: Sync,
}

fn playlists(p: &Principal, f: &PlaylistFilter) -> Select<playlist::Entity> {
    let mut q = playlist::Entity::find()
        .filter(policy::visible(p))
        .filter(sync_condition(f.sync, playlist::Column::Status, playlist::Column::DateLastModified))
        .filter(playlist::Column::IsTemplate.eq(f.templates));
    if let Some(l) = f.learner {
        q = q.filter(playlist::Column::LearnerId.eq(l));
    }
    if let Some(c) = f.class {
        q = q.filter(playlist::Column::ClassId.eq(c));
    }
    if let Some(s) = &f.subject {
        q = q.filter(playlist::Column::Subject.eq(s.as_str()));
    }
    q
}

/// Ids of the playlists the principal may read (for the items below them).
fn visible_playlist_ids(p: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select().column(playlist::Column::Id).from(playlist::Entity).cond_where(policy::visible(p)).to_owned()
}

/// Items of visible playlists.
pub fn items(p: &Principal, playlist_id: Option<i64>, sync: Sync) -> Select<playlist_item::Entity> {
    let mut q = playlist_item::Entity::find()
        .filter(playlist_item::Column::PlaylistId.in_subquery(visible_playlist_ids(p)))
        .filter(sync_condition(sync, playlist_item::Column::Status, playlist_item::Column::DateLastModified));
    if let Some(id) = playlist_id {
        q = q.filter(playlist_item::Column::PlaylistId.eq(id));
    }
    q
}

#[tracing::instrument(skip_all, fields(playlist = id))]
pub async fn find_playlist(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<playlist::Model>> {
    Ok(playlist::Entity::find_by_id(id).filter(policy::visible(p)).one(db).await?)
}

/// An item the caller may see, noted on the caller's audit trail (node lookups, live events,
/// and the writes that start from it).
#[tracing::instrument(skip_all, fields(item = id))]
pub async fn find_item(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<playlist_item::Model>> {
    let found = playlist_item::Entity::find_by_id(id)
        .filter(playlist_item::Column::PlaylistId.in_subquery(visible_playlist_ids(p)))
        .one(db)
        .await?;
    if let Some(item) = &found {
        reveal_items(db, p, [item]).await?;
    }
    Ok(found)
}

/// A page of the playlists the caller may see matching `f`, their learners noted on the
/// caller's audit trail.
#[tracing::instrument(skip_all)]
pub async fn playlist_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &PlaylistFilter,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<playlist::Model>> {
    let page = fetch_page(db, playlists(p, f), playlist::Column::Id, req, count).await?;
    p.reveal(page.rows.iter().filter_map(|pl| pl.learner_id));
    Ok(page)
}

/// Notes on the caller's audit trail the learners whose playlists these items belong to.
pub async fn reveal_items<'a>(
    db: &impl ConnectionTrait,
    p: &Principal,
    items: impl IntoIterator<Item = &'a playlist_item::Model>,
) -> AppResult<()> {
    let playlists: BTreeSet<i64> = items.into_iter().map(|i| i.playlist_id).collect();
    if playlists.is_empty() {
        return Ok(());
    }
    let learners: Vec<Option<i64>> = playlist::Entity::find()
        .select_only()
        .column(playlist::Column::LearnerId)
        .filter(playlist::Column::Id.is_in(playlists))
        .into_tuple()
        .all(db)
        .await?;
    p.reveal(learners.into_iter().flatten());
    Ok(())
}

fn creator(p: &Principal) -> String {
    let (kind, id) = p.actor_ref();
    format!("{kind}:{id}")
}

fn playlist_change(p: &playlist::Model, deleted: bool) -> Change {
    Change { entity: ChangeEntity::Playlist, id: p.id, org_id: Some(p.org_id), person_id: p.learner_id, deleted }
}

fn item_change(p: &playlist::Model, item: i64, deleted: bool) -> Change {
    Change { entity: ChangeEntity::PlaylistItem, id: item, org_id: Some(p.org_id), person_id: p.learner_id, deleted }
}

/// A playlist the principal may edit, read inside the writing transaction.
async fn editable(txn: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<playlist::Model> {
    policy::require_editor(p)?;
    find_playlist(txn, p, id).await?.filter(|pl| pl.status == Status::Active).ok_or(AppError::NotFound("playlist"))
}

async fn touch(txn: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    playlist::Entity::update_many()
        .col_expr(playlist::Column::DateLastModified, Expr::value(crate::db::now()))
        .filter(playlist::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn active_items(txn: &impl ConnectionTrait, playlist_id: i64) -> AppResult<Vec<playlist_item::Model>> {
    Ok(playlist_item::Entity::find()
        .filter(playlist_item::Column::PlaylistId.eq(playlist_id))
        .filter(playlist_item::Column::Status.eq(Status::Active))
        .order_by_asc(playlist_item::Column::Position)
        .order_by_asc(playlist_item::Column::Id)
        .all(txn)
        .await?)
}
