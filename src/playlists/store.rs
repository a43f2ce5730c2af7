//! Playlist data access and rules. Teachers and tools with `playlists.write` create and edit
//! playlists of learners they may see; learners move their own items forward (start, submit)
//! and only staff decide mastery or ask for revision.

use entity::{OrgType, Role};
use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use entity::{
    STATUS_ACTIVE, STATUS_TOBEDELETED, class, enrollment, playlist, playlist_item, playlist_item_competency,
    playlist_item_transition, user,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
    sea_query::{Expr, Query},
};

use crate::{
    auth::{
        People, Principal, Scope,
        policy::{owned_by_granted_org, user_id_visible},
    },
    error::{AppError, AppResult, OnConstraint},
    roster::store::{self as roster, Key, Sync, check_len, lookup_key},
    sync::{Bus, Change, ChangeEntity, Effects, Event, EventKind},
};

pub const MAX_ITEMS: usize = 200;
const MAX_COMPETENCIES_PER_ITEM: usize = 50;

/// Where a playlist item stands.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "PlaylistItemState")]
pub enum ItemState {
    NotStarted,
    InProgress,
    Submitted,
    Mastered,
    NeedsRevision,
}

impl ItemState {
    pub const ALL: [ItemState; 5] = [
        ItemState::NotStarted,
        ItemState::InProgress,
        ItemState::Submitted,
        ItemState::Mastered,
        ItemState::NeedsRevision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::NotStarted => "NOT_STARTED",
            ItemState::InProgress => "IN_PROGRESS",
            ItemState::Submitted => "SUBMITTED",
            ItemState::Mastered => "MASTERED",
            ItemState::NeedsRevision => "NEEDS_REVISION",
        }
    }

    pub fn parse(s: &str) -> ItemState {
        Self::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or(ItemState::NotStarted)
    }

    /// The states an item may move to from this one.
    pub fn next(self) -> &'static [ItemState] {
        use ItemState::*;
        match self {
            NotStarted => &[InProgress, Submitted, Mastered],
            InProgress => &[Submitted, Mastered],
            Submitted => &[Mastered, NeedsRevision],
            NeedsRevision => &[InProgress, Submitted, Mastered],
            Mastered => &[NeedsRevision],
        }
    }

    /// Moves a learner may make on their own items: starting and submitting work.
    fn learner_may(self, to: ItemState) -> bool {
        matches!(to, ItemState::InProgress | ItemState::Submitted) && self != ItemState::Mastered
    }
}

/// How a learner will show mastery of an item (also the evidence type of a result).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MasteryEvidence {
    Test,
    PerformanceTask,
    Project,
    Presentation,
    Other,
}

impl MasteryEvidence {
    pub const ALL: [MasteryEvidence; 5] = [
        MasteryEvidence::Test,
        MasteryEvidence::PerformanceTask,
        MasteryEvidence::Project,
        MasteryEvidence::Presentation,
        MasteryEvidence::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MasteryEvidence::Test => "TEST",
            MasteryEvidence::PerformanceTask => "PERFORMANCE_TASK",
            MasteryEvidence::Project => "PROJECT",
            MasteryEvidence::Presentation => "PRESENTATION",
            MasteryEvidence::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> MasteryEvidence {
        Self::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or(MasteryEvidence::Other)
    }
}

fn sync_condition(sync: Sync, status: impl ColumnTrait, dlm: impl ColumnTrait) -> Condition {
    let mut c = Condition::all();
    if let Some(since) = sync.updated_since {
        c = c.add(dlm.gte(since));
    } else if !sync.include_deleted {
        c = c.add(status.eq(STATUS_ACTIVE));
    }
    c
}

/// Playlists the principal may read: of its granted orgs; a learner's only if the learner is
/// visible to it; templates only for staff and tools.
fn visible(p: &Principal) -> Condition {
    let templates = match p.people {
        // Never true: learners see no templates.
        People::Only(_) => Condition::all().add(playlist::Column::Id.is_null()),
        _ => Condition::all().add(playlist::Column::LearnerId.is_null()),
    };
    Condition::all().add(owned_by_granted_org(p, (playlist::Entity, playlist::Column::OrgId))).add(
        Condition::any().add(templates).add(
            Condition::all()
                .add(playlist::Column::LearnerId.is_not_null())
                .add(user_id_visible(p, (playlist::Entity, playlist::Column::LearnerId))),
        ),
    )
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

pub fn playlists(p: &Principal, f: &PlaylistFilter) -> Select<playlist::Entity> {
    let mut q = playlist::Entity::find()
        .filter(visible(p))
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
    Query::select().column(playlist::Column::Id).from(playlist::Entity).cond_where(visible(p)).to_owned()
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

pub async fn find_playlist(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<playlist::Model>> {
    Ok(playlist::Entity::find_by_id(id).filter(visible(p)).one(db).await?)
}

/// An item the caller may see, noted on the caller's audit trail (node lookups, live events,
/// and the writes that start from it).
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

/// Editing playlists is for staff and tools: a learner holds `playlists.write` only to move
/// their own items forward.
fn require_editor(p: &Principal) -> AppResult<()> {
    p.require(Scope::PlaylistsWrite)?;
    if matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("learners progress their items; their teachers edit playlists".into()));
    }
    Ok(())
}

/// An item as a caller describes it.
#[derive(Clone, Debug)]
pub struct ItemInput {
    pub title: String,
    pub description: Option<String>,
    pub resource_url: Option<String>,
    pub tool: Option<String>,
    pub estimated_minutes: Option<i32>,
    pub evidence: MasteryEvidence,
    pub target_date: Option<NaiveDate>,
    /// CASE identifiers of the competencies the item builds.
    pub competencies: Vec<String>,
}

/// A playlist as a caller describes it.
#[derive(Clone, Debug)]
pub struct PlaylistInput {
    /// A learner's playlist; `None` makes a template.
    pub learner: Option<String>,
    pub school: Option<String>,
    pub class: Option<String>,
    pub term: Option<String>,
    pub subject: String,
    pub title: String,
    pub items: Vec<ItemInput>,
}

struct CheckedItem {
    input: ItemInput,
    competency_ids: Vec<i64>,
}

async fn check_items(
    db: &impl ConnectionTrait,
    p: &Principal,
    field: &str,
    items: Vec<ItemInput>,
) -> AppResult<Vec<CheckedItem>> {
    if items.len() > MAX_ITEMS {
        return Err(AppError::validation(field, format!("at most {MAX_ITEMS} items")));
    }
    let wanted: BTreeSet<&str> = items.iter().flat_map(|i| i.competencies.iter().map(String::as_str)).collect();
    let wanted: Vec<&str> = wanted.into_iter().filter_map(lookup_key).collect();
    let known = crate::competencies::store::by_source_ids(db, p, &wanted).await?;
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let f = |name: &str| format!("{field}.{i}.{name}");
        check_len(&f("title"), &item.title, 300)?;
        item.title = item.title.trim().to_owned();
        item.description = item.description.filter(|d| !d.trim().is_empty());
        if let Some(d) = &item.description {
            check_len(&f("description"), d, 10_000)?;
        }
        if let Some(u) = &item.resource_url {
            let ok = url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) && u.len() <= 2000;
            if !ok {
                return Err(AppError::validation(
                    f("resourceUrl"),
                    "must be an http(s) URL of at most 2000 characters",
                ));
            }
        }
        if let Some(t) = &item.tool {
            check_len(&f("tool"), t, 200)?;
        }
        if let Some(m) = item.estimated_minutes
            && !(1..=10_000).contains(&m)
        {
            return Err(AppError::validation(f("estimatedMinutes"), "must be between 1 and 10000"));
        }
        if let Some(d) = item.target_date {
            crate::redesign::store::check_date(&f("targetDate"), d)?;
        }
        if item.competencies.len() > MAX_COMPETENCIES_PER_ITEM {
            return Err(AppError::validation(f("competencyIds"), format!("at most {MAX_COMPETENCIES_PER_ITEM}")));
        }
        let mut ids = Vec::new();
        for c in &item.competencies {
            let comp = known
                .get(c.as_str())
                .ok_or_else(|| AppError::validation(f("competencyIds"), format!("no competency `{c}`")))?;
            if !ids.contains(&comp.id) {
                ids.push(comp.id);
            }
        }
        out.push(CheckedItem { input: item, competency_ids: ids });
    }
    Ok(out)
}

/// Inserts items at positions after `start`, with their competencies.
async fn insert_items(
    txn: &impl ConnectionTrait,
    playlist_id: i64,
    start: i32,
    items: &[CheckedItem],
    template_items: Option<&[i64]>,
) -> AppResult<Vec<i64>> {
    let now = crate::db::now();
    let mut ids = Vec::with_capacity(items.len());
    for (n, item) in (1..).zip(items) {
        let i = &item.input;
        let id = playlist_item::Entity::insert(playlist_item::ActiveModel {
            playlist_id: Set(playlist_id),
            template_item_id: Set(template_items.and_then(|t| t.get(usize::try_from(n - 1).unwrap_or(0)).copied())),
            position: Set(start + n),
            title: Set(i.title.clone()),
            description: Set(i.description.clone()),
            resource_url: Set(i.resource_url.clone()),
            tool: Set(i.tool.clone()),
            estimated_minutes: Set(i.estimated_minutes),
            evidence: Set(i.evidence.as_str().to_owned()),
            target_date: Set(i.target_date),
            state: Set(ItemState::NotStarted.as_str().to_owned()),
            status: Set(STATUS_ACTIVE.to_owned()),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?
        .last_insert_id;
        ids.push(id);
    }
    let links: Vec<_> = ids
        .iter()
        .zip(items)
        .flat_map(|(id, item)| {
            item.competency_ids
                .iter()
                .map(|c| playlist_item_competency::ActiveModel { item_id: Set(*id), competency_id: Set(*c) })
        })
        .collect();
    for chunk in links.chunks(5000) {
        playlist_item_competency::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(ids)
}

fn creator(p: &Principal) -> String {
    let (kind, id) = p.actor_ref();
    format!("{kind}:{id}")
}

/// The school a new playlist belongs to: the class's, the named school, or the learner's
/// only school within the caller's orgs.
async fn resolve_org(
    db: &impl ConnectionTrait,
    p: &Principal,
    learner: Option<&user::Model>,
    school: Option<&str>,
    class: Option<&class::Model>,
) -> AppResult<i64> {
    if let Some(c) = class {
        return Ok(c.org_id);
    }
    if let Some(s) = school {
        let org = roster::orgs(p, OrgType::School, None, Sync::default())
            .filter(entity::org::Column::SourcedId.eq(lookup_key(s).unwrap_or_default()))
            .filter(owned_by_granted_org(p, (entity::org::Entity, entity::org::Column::Id)))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("input.schoolSourcedId", format!("no school `{s}` in your orgs")))?;
        return Ok(org.id);
    }
    let Some(learner) = learner else {
        return Err(AppError::validation("input.schoolSourcedId", "a template needs its school (or class)"));
    };
    let schools: Vec<i64> = entity::user_org::Entity::find()
        .filter(entity::user_org::Column::UserId.eq(learner.id))
        .filter(owned_by_granted_org(p, (entity::user_org::Entity, entity::user_org::Column::OrgId)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.org_id)
        .collect();
    match schools.as_slice() {
        [one] => Ok(*one),
        [] => Err(AppError::NotFound("learner")),
        _ => Err(AppError::validation("input.schoolSourcedId", "the learner is at several schools: name one")),
    }
}

async fn visible_student(db: &impl ConnectionTrait, p: &Principal, key: Key<'_>) -> AppResult<user::Model> {
    roster::find_user(db, p, key)
        .await?
        .filter(|u| u.role == Role::Student && u.status == STATUS_ACTIVE)
        .ok_or(AppError::NotFound("learner"))
}

/// Creates a playlist (a learner's, or a template) with its items.
pub async fn create(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    input: PlaylistInput,
) -> AppResult<playlist::Model> {
    require_editor(p)?;
    check_len("input.title", &input.title, 300)?;
    check_len("input.subject", &input.subject, 100)?;
    let items = check_items(db, p, "input.items", input.items).await?;
    let txn = crate::db::begin_write(db).await?;
    let learner = match &input.learner {
        Some(s) => Some(visible_student(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default())).await?),
        None => None,
    };
    let class = match &input.class {
        Some(s) => Some(
            roster::find_class(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default()))
                .await?
                .filter(|c| c.status == STATUS_ACTIVE)
                .ok_or_else(|| AppError::validation("input.classSourcedId", format!("no class `{s}` in your orgs")))?,
        ),
        None => None,
    };
    let term = match &input.term {
        Some(s) => Some(
            roster::find_session(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default()))
                .await?
                .ok_or_else(|| AppError::validation("input.termSourcedId", format!("no term `{s}`")))?
                .id,
        ),
        None => class.as_ref().map(|c| c.term_id),
    };
    let org_id = resolve_org(&txn, p, learner.as_ref(), input.school.as_deref(), class.as_ref()).await?;
    let now = crate::db::now();
    let id = playlist::Entity::insert(playlist::ActiveModel {
        org_id: Set(org_id),
        learner_id: Set(learner.as_ref().map(|l| l.id)),
        class_id: Set(class.as_ref().map(|c| c.id)),
        term_id: Set(term),
        template_id: Set(None),
        is_template: Set(learner.is_none()),
        title: Set(input.title.trim().to_owned()),
        subject: Set(input.subject.trim().to_owned()),
        created_by: Set(creator(p)),
        status: Set(STATUS_ACTIVE.to_owned()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let item_ids = insert_items(&txn, id, 0, &items, None).await?;
    let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&model, false));
    effects.changes.extend(item_ids.iter().map(|i| item_change(&model, *i, false)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(model)
}

fn playlist_change(p: &playlist::Model, deleted: bool) -> Change {
    Change { entity: ChangeEntity::Playlist, id: p.id, org_id: Some(p.org_id), person_id: p.learner_id, deleted }
}

fn item_change(p: &playlist::Model, item: i64, deleted: bool) -> Change {
    Change { entity: ChangeEntity::PlaylistItem, id: item, org_id: Some(p.org_id), person_id: p.learner_id, deleted }
}

/// A playlist the principal may edit, read inside the writing transaction.
async fn editable(txn: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<playlist::Model> {
    require_editor(p)?;
    find_playlist(txn, p, id).await?.filter(|pl| pl.status == STATUS_ACTIVE).ok_or(AppError::NotFound("playlist"))
}

async fn touch(txn: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    playlist::Entity::update_many()
        .col_expr(playlist::Column::DateLastModified, Expr::value(crate::db::now()))
        .filter(playlist::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Changes to a playlist's own fields; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PlaylistChanges {
    pub title: Option<String>,
    pub subject: Option<String>,
}

pub async fn update(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    id: i64,
    c: PlaylistChanges,
) -> AppResult<playlist::Model> {
    if let Some(t) = &c.title {
        check_len("input.title", t, 300)?;
    }
    if let Some(s) = &c.subject {
        check_len("input.subject", s, 100)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    playlist::Entity::update(playlist::ActiveModel {
        id: Set(pl.id),
        title: Set(c.title.map_or(pl.title.clone(), |t| t.trim().to_owned())),
        subject: Set(c.subject.map_or(pl.subject.clone(), |s| s.trim().to_owned())),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
    let staged = Effects { changes: vec![playlist_change(&model, false)], events: vec![] }.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(model.learner_id);
    Ok(model)
}

/// Deletes a playlist and its items (kept as tombstones so syncing tools see the deletion).
pub async fn delete(db: &DatabaseConnection, bus: &Bus, p: &Principal, id: i64) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    let now = crate::db::now();
    let item_ids: Vec<i64> = playlist_item::Entity::find()
        .filter(playlist_item::Column::PlaylistId.eq(id))
        .filter(playlist_item::Column::Status.eq(STATUS_ACTIVE))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::Status, Expr::value(STATUS_TOBEDELETED))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
        .filter(playlist_item::Column::Id.is_in(item_ids.iter().copied()))
        .exec(&txn)
        .await?;
    playlist::Entity::update_many()
        .col_expr(playlist::Column::Status, Expr::value(STATUS_TOBEDELETED))
        .col_expr(playlist::Column::DateLastModified, Expr::value(now))
        .filter(playlist::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&pl, true));
    effects.changes.extend(item_ids.iter().map(|i| item_change(&pl, *i, true)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(())
}

async fn active_items(txn: &impl ConnectionTrait, playlist_id: i64) -> AppResult<Vec<playlist_item::Model>> {
    Ok(playlist_item::Entity::find()
        .filter(playlist_item::Column::PlaylistId.eq(playlist_id))
        .filter(playlist_item::Column::Status.eq(STATUS_ACTIVE))
        .order_by_asc(playlist_item::Column::Position)
        .order_by_asc(playlist_item::Column::Id)
        .all(txn)
        .await?)
}

/// Appends items to a playlist.
pub async fn add_items(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    id: i64,
    items: Vec<ItemInput>,
) -> AppResult<Vec<playlist_item::Model>> {
    if items.is_empty() {
        return Err(AppError::validation("input.items", "give at least one item"));
    }
    let checked = check_items(db, p, "input.items", items).await?;
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    let current = active_items(&txn, id).await?;
    if current.len() + checked.len() > MAX_ITEMS {
        return Err(AppError::validation("input.items", format!("a playlist holds at most {MAX_ITEMS} items")));
    }
    let start = current.iter().map(|i| i.position).max().unwrap_or(0);
    let ids = insert_items(&txn, id, start, &checked, None).await?;
    touch(&txn, id).await?;
    let rows = playlist_item::Entity::find()
        .filter(playlist_item::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(playlist_item::Column::Position)
        .all(&txn)
        .await?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&pl, false));
    effects.changes.extend(ids.iter().map(|i| item_change(&pl, *i, false)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(rows)
}

/// Changes to an item; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ItemChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub resource_url: Option<Option<String>>,
    pub tool: Option<Option<String>>,
    pub estimated_minutes: Option<Option<i32>>,
    pub evidence: Option<MasteryEvidence>,
    pub target_date: Option<Option<NaiveDate>>,
    pub competencies: Option<Vec<String>>,
}

/// Edits an item (its content and competencies; its state moves through `set_item_state`).
pub async fn update_item(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    item_id: i64,
    c: ItemChanges,
) -> AppResult<playlist_item::Model> {
    require_editor(p)?;
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == STATUS_ACTIVE).ok_or(AppError::NotFound("item"))?;
    let pl = editable(&txn, p, item.playlist_id).await?;
    let links = crate::progress::mastery::item_links(&txn, &BTreeSet::from([item.id])).await?;
    let merged = ItemInput {
        title: c.title.unwrap_or(item.title.clone()),
        description: c.description.unwrap_or(item.description.clone()),
        resource_url: c.resource_url.unwrap_or(item.resource_url.clone()),
        tool: c.tool.unwrap_or(item.tool.clone()),
        estimated_minutes: c.estimated_minutes.unwrap_or(item.estimated_minutes),
        evidence: c.evidence.unwrap_or(MasteryEvidence::parse(&item.evidence)),
        target_date: c.target_date.unwrap_or(item.target_date),
        competencies: vec![],
    };
    let new_competencies = c.competencies.clone();
    let mut checked = check_items(
        &txn,
        p,
        "input",
        vec![ItemInput { competencies: new_competencies.clone().unwrap_or_default(), ..merged }],
    )
    .await
    .map_err(|e| match e {
        AppError::Validation { field, message } => {
            AppError::Validation { field: field.replace("input.0.", "input."), message }
        }
        other => other,
    })?;
    let Some(checked) = checked.pop() else { return Err(AppError::NotFound("item")) };
    let i = &checked.input;
    playlist_item::Entity::update(playlist_item::ActiveModel {
        id: Set(item.id),
        title: Set(i.title.clone()),
        description: Set(i.description.clone()),
        resource_url: Set(i.resource_url.clone()),
        tool: Set(i.tool.clone()),
        estimated_minutes: Set(i.estimated_minutes),
        evidence: Set(i.evidence.as_str().to_owned()),
        target_date: Set(i.target_date),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut effects = Effects::default();
    if new_competencies.is_some() {
        let before: BTreeSet<i64> = links.get(&item.id).cloned().unwrap_or_default().into_iter().collect();
        let after: BTreeSet<i64> = checked.competency_ids.iter().copied().collect();
        if before != after {
            playlist_item_competency::Entity::delete_many()
                .filter(playlist_item_competency::Column::ItemId.eq(item.id))
                .exec(&txn)
                .await?;
            let rows: Vec<_> = after
                .iter()
                .map(|c| playlist_item_competency::ActiveModel { item_id: Set(item.id), competency_id: Set(*c) })
                .collect();
            if !rows.is_empty() {
                playlist_item_competency::Entity::insert_many(rows).exec(&txn).await?;
            }
            // Results posted against the item count toward its competencies: recompute both sets.
            if let Some(learner) = pl.learner_id {
                let pairs = before.union(&after).map(|c| (learner, *c)).collect();
                effects.extend(crate::progress::mastery::recompute(&txn, pairs).await?);
            }
        }
    }
    let model = playlist_item::Entity::find_by_id(item.id).one(&txn).await?.ok_or(AppError::NotFound("item"))?;
    effects.changes.push(item_change(&pl, item.id, false));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(model)
}

/// Removes an item (a tombstone stays for sync).
pub async fn remove_item(db: &DatabaseConnection, bus: &Bus, p: &Principal, item_id: i64) -> AppResult<()> {
    require_editor(p)?;
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == STATUS_ACTIVE).ok_or(AppError::NotFound("item"))?;
    let pl = editable(&txn, p, item.playlist_id).await?;
    playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::Status, Expr::value(STATUS_TOBEDELETED))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(crate::db::now()))
        .filter(playlist_item::Column::Id.eq(item.id))
        .exec(&txn)
        .await?;
    touch(&txn, pl.id).await?;
    let changes = vec![playlist_change(&pl, false), item_change(&pl, item.id, true)];
    let staged = Effects { changes, events: vec![] }.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(())
}

/// Puts a playlist's items in the given order; the list must name every item exactly once.
pub async fn reorder(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    id: i64,
    order: Vec<i64>,
) -> AppResult<Vec<playlist_item::Model>> {
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    let current = active_items(&txn, id).await?;
    let have: BTreeSet<i64> = current.iter().map(|i| i.id).collect();
    let given: BTreeSet<i64> = order.iter().copied().collect();
    if given.len() != order.len() || have != given {
        return Err(AppError::validation("input.itemIds", "list every item of the playlist exactly once"));
    }
    let now = crate::db::now();
    let mut effects = Effects::default();
    for (pos, item_id) in (1..).zip(&order) {
        let old = current.iter().find(|i| i.id == *item_id).map(|i| i.position);
        if old == Some(pos) {
            continue;
        }
        playlist_item::Entity::update_many()
            .col_expr(playlist_item::Column::Position, Expr::value(pos))
            .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
            .filter(playlist_item::Column::Id.eq(*item_id))
            .exec(&txn)
            .await?;
        effects.changes.push(item_change(&pl, *item_id, false));
    }
    touch(&txn, id).await?;
    effects.changes.push(playlist_change(&pl, false));
    let rows = active_items(&txn, id).await?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(rows)
}

/// Moves an item to another state, recording who did it. Learners move their own items
/// forward (start, submit); staff and tools decide mastery and revision. Asking for the state
/// the item is already in changes nothing (a retried request succeeds).
pub async fn set_item_state(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    item_id: i64,
    to: ItemState,
    note: Option<String>,
) -> AppResult<playlist_item::Model> {
    p.require(Scope::PlaylistsWrite)?;
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == STATUS_ACTIVE).ok_or(AppError::NotFound("item"))?;
    let pl = find_playlist(&txn, p, item.playlist_id)
        .await?
        .filter(|pl| pl.status == STATUS_ACTIVE && !pl.is_template)
        .ok_or(AppError::NotFound("item"))?;
    let from = ItemState::parse(&item.state);
    if from == to {
        txn.commit().await?;
        return Ok(item);
    }
    if !from.next().contains(&to) {
        return Err(AppError::validation(
            "input.state",
            format!(
                "an item that is {} can move to {}",
                from.as_str(),
                from.next().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
            ),
        ));
    }
    if matches!(p.people, People::Only(_)) && !from.learner_may(to) {
        return Err(AppError::Forbidden("a learner may start and submit work; their teacher decides mastery".into()));
    }
    let now = crate::db::now();
    let moved = playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::State, Expr::value(to.as_str()))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
        .filter(playlist_item::Column::Id.eq(item.id))
        .filter(playlist_item::Column::State.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::Conflict("the item changed state meanwhile: reload it and retry".into()));
    }
    let (kind, actor) = p.actor_ref();
    playlist_item_transition::Entity::insert(playlist_item_transition::ActiveModel {
        item_id: Set(item.id),
        from_state: Set(Some(from.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        actor_kind: Set(kind.to_owned()),
        actor_id: Set(actor),
        note: Set(note.map(|n| n.trim().to_owned())),
        changed_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let model = playlist_item::Entity::find_by_id(item.id).one(&txn).await?.ok_or(AppError::NotFound("item"))?;
    let learner = pl.learner_id.unwrap_or_default();
    let effects = Effects {
        changes: vec![item_change(&pl, item.id, false)],
        events: vec![Event { kind: EventKind::ItemState, id: item.id, learner_id: learner }],
    };
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(model)
}

/// What assigning a template to a class did.
pub struct Assignment {
    pub created: Vec<playlist::Model>,
    pub already_assigned: usize,
}

/// Gives every active learner of a class who does not have one yet their own copy of a
/// template. Running it again (or concurrently) creates no second copy.
pub async fn assign_template(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    template_id: i64,
    class_key: &str,
) -> AppResult<Assignment> {
    let txn = crate::db::begin_write(db).await?;
    let template = editable(&txn, p, template_id).await?;
    if !template.is_template {
        return Err(AppError::validation("input.templateId", "not a template playlist"));
    }
    let class = roster::find_class(&txn, p, Key::Sourced(lookup_key(class_key).unwrap_or_default()))
        .await?
        .filter(|c| c.status == STATUS_ACTIVE)
        .ok_or_else(|| AppError::validation("input.classSourcedId", format!("no class `{class_key}` in your orgs")))?;
    if class.org_id != template.org_id {
        return Err(AppError::validation("input.classSourcedId", "the class is at another school than the template"));
    }
    let students: Vec<user::Model> = roster::users(p, &[Role::Student], None, Some(class.id), None, Sync::default())
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(enrollment::Column::UserId)
                    .from(enrollment::Entity)
                    .and_where(enrollment::Column::ClassId.eq(class.id))
                    .and_where(enrollment::Column::Role.eq(Role::Student))
                    .and_where(enrollment::Column::Status.eq(STATUS_ACTIVE))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Id)
        .all(&txn)
        .await?;
    let have: BTreeSet<i64> = playlist::Entity::find()
        .filter(playlist::Column::TemplateId.eq(template.id))
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|p| p.learner_id)
        .collect();
    let t_items = active_items(&txn, template.id).await?;
    let t_ids: Vec<i64> = t_items.iter().map(|i| i.id).collect();
    let t_links = crate::progress::mastery::item_links(&txn, &t_ids.iter().copied().collect()).await?;
    let copies: Vec<CheckedItem> = t_items
        .iter()
        .map(|i| CheckedItem {
            input: ItemInput {
                title: i.title.clone(),
                description: i.description.clone(),
                resource_url: i.resource_url.clone(),
                tool: i.tool.clone(),
                estimated_minutes: i.estimated_minutes,
                evidence: MasteryEvidence::parse(&i.evidence),
                target_date: i.target_date,
                competencies: vec![],
            },
            competency_ids: t_links.get(&i.id).cloned().unwrap_or_default(),
        })
        .collect();
    let now = crate::db::now();
    let mut created = Vec::new();
    let mut effects = Effects::default();
    let mut already = 0;
    for s in &students {
        if have.contains(&s.id) {
            already += 1;
            continue;
        }
        let id = playlist::Entity::insert(playlist::ActiveModel {
            org_id: Set(template.org_id),
            learner_id: Set(Some(s.id)),
            class_id: Set(Some(class.id)),
            term_id: Set(template.term_id.or(Some(class.term_id))),
            template_id: Set(Some(template.id)),
            is_template: Set(false),
            title: Set(template.title.clone()),
            subject: Set(template.subject.clone()),
            created_by: Set(creator(p)),
            status: Set(STATUS_ACTIVE.to_owned()),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .on_unique("uq_playlists_template_learner", || {
            AppError::Conflict("this template was assigned meanwhile: retry".into())
        })?
        .last_insert_id;
        let item_ids = insert_items(&txn, id, 0, &copies, Some(&t_ids)).await?;
        let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
        effects.changes.push(playlist_change(&model, false));
        effects.changes.extend(item_ids.iter().map(|i| item_change(&model, *i, false)));
        created.push(model);
    }
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(Assignment { created, already_assigned: already })
}

/// One learner's progress on a class's playlists.
pub struct LearnerProgress {
    pub learner: user::Model,
    pub total: usize,
    pub done: usize,
    pub overdue: Vec<playlist_item::Model>,
}

/// For each active learner of a class the principal may see: items mastered out of all
/// items of their playlists for the class, and the items past their target date not yet
/// mastered. Three statements whatever the class size.
pub async fn class_progress(
    db: &DatabaseConnection,
    p: &Principal,
    class_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<LearnerProgress>> {
    // A class the caller may not see is not found, rather than an empty class.
    roster::find_class(db, p, Key::Id(class_id)).await?.ok_or(AppError::NotFound("class"))?;
    let students: Vec<user::Model> = roster::users(p, &[Role::Student], None, Some(class_id), None, Sync::default())
        .order_by_asc(user::Column::FamilyName)
        .order_by_asc(user::Column::GivenName)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = students.iter().map(|s| s.id).collect();
    let lists: HashMap<i64, i64> = playlists(p, &PlaylistFilter { class: Some(class_id), ..Default::default() })
        .filter(playlist::Column::LearnerId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|pl| pl.learner_id.map(|l| (pl.id, l)))
        .collect();
    let mut items: HashMap<i64, Vec<playlist_item::Model>> = HashMap::new();
    if !lists.is_empty() {
        for i in playlist_item::Entity::find()
            .filter(playlist_item::Column::PlaylistId.is_in(lists.keys().copied()))
            .filter(playlist_item::Column::Status.eq(STATUS_ACTIVE))
            .order_by_asc(playlist_item::Column::PlaylistId)
            .order_by_asc(playlist_item::Column::Position)
            .all(db)
            .await?
        {
            if let Some(l) = lists.get(&i.playlist_id) {
                items.entry(*l).or_default().push(i);
            }
        }
    }
    Ok(students
        .into_iter()
        .map(|s| {
            let mine = items.remove(&s.id).unwrap_or_default();
            let done = mine.iter().filter(|i| i.state == ItemState::Mastered.as_str()).count();
            let total = mine.len();
            let overdue = mine
                .into_iter()
                .filter(|i| i.state != ItemState::Mastered.as_str() && i.target_date.is_some_and(|d| d < today))
                .collect();
            LearnerProgress { learner: s, total, done, overdue }
        })
        .collect())
}

/// The transitions of an item, oldest first.
pub async fn transitions(db: &DatabaseConnection, item_id: i64) -> AppResult<Vec<playlist_item_transition::Model>> {
    Ok(playlist_item_transition::Entity::find()
        .filter(playlist_item_transition::Column::ItemId.eq(item_id))
        .order_by_asc(playlist_item_transition::Column::Id)
        .all(db)
        .await?)
}
