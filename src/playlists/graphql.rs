//! GraphQL types, queries and mutations of playlists. Reading needs `playlists.read`; editing
//! needs `playlists.write` (teachers and tools); learners move their own items forward.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{playlist, playlist_item, playlist_item_transition};

use super::{
    loaders::PlaylistLoaders,
    store::{self, ItemChanges, ItemInput, ItemState, MasteryEvidence, PlaylistChanges, PlaylistFilter, PlaylistInput},
};
use crate::{
    auth::Scope,
    competencies::graphql::Competency,
    graphql::{
        context::{db, gql, loaders, needs, principal, require},
        relay::{Conn, Kind, PageArgs, decode_kind, global_id, list_complexity, paginate},
        user_errors::{UserError, into_user_errors},
    },
    profiles::graphql::RevisionActor,
    progress::graphql::ResultNode,
    roster::{
        graphql::{AcademicSession, Class, Learner, RecordStatus, School, status},
        loaders::prime,
        store::Sync,
    },
    sync::Bus,
};

pub(crate) fn pl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PlaylistLoaders> {
    ctx.data::<PlaylistLoaders>()
}

/// The principal of a playlist write, after dropping what this request's loaders cached (a
/// document may run several writes; each payload shows the data as its write left it).
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a crate::auth::Principal> {
    let p = require(ctx, Scope::PlaylistsWrite)?;
    let l = pl(ctx)?;
    l.by_learner.clear();
    l.items.clear();
    l.competencies.clear();
    l.playlists.clear();
    l.item.clear();
    l.transitions.clear();
    Ok(p)
}

/// An ordered list of learning activities for one learner, subject and term, or a template
/// that teachers assign to a class.
pub struct Playlist(pub playlist::Model);

#[Object]
impl Playlist {
    pub async fn id(&self) -> ID {
        global_id(Kind::Playlist, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// A template is copied to learners; it has no learner of its own.
    async fn is_template(&self) -> bool {
        self.0.is_template
    }
    async fn status(&self) -> RecordStatus {
        status(&self.0.status)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// Who created it (`client:<id>`, `user:<sourcedId>` or `system:learnergraph`).
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// The learner it belongs to; null for a template.
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        let Some(id) = self.0.learner_id else { return Ok(None) };
        Ok(loaders(ctx)?.users.load_one(id).await?.map(Learner))
    }
    async fn school(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<School>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.org_id).await?.map(School))
    }
    async fn class(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Class>> {
        let Some(id) = self.0.class_id else { return Ok(None) };
        Ok(loaders(ctx)?.classes.load_one(id).await?.map(Class))
    }
    async fn term(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AcademicSession>> {
        let Some(id) = self.0.term_id else { return Ok(None) };
        Ok(loaders(ctx)?.sessions.load_one(id).await?.map(AcademicSession))
    }
    /// The template this playlist was copied from.
    async fn template_id(&self) -> Option<ID> {
        self.0.template_id.map(|t| global_id(Kind::Playlist, t))
    }
    /// Its items in order (removed items are not listed).
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlaylistItem>> {
        Ok(pl(ctx)?.items.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(PlaylistItem).collect())
    }
}

/// How the learner will show mastery of an item.
#[derive(SimpleObject)]
pub struct MasteryPlan {
    pub evidence: MasteryEvidence,
    pub target_date: Option<NaiveDate>,
}

/// A state change of an item.
#[derive(SimpleObject)]
pub struct ItemTransition {
    /// Null for the item's creation.
    pub from: Option<ItemState>,
    pub to: ItemState,
    pub by: RevisionActor,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<playlist_item_transition::Model> for ItemTransition {
    fn from(t: playlist_item_transition::Model) -> Self {
        ItemTransition {
            from: t.from_state.as_deref().map(ItemState::parse),
            to: ItemState::parse(&t.to_state),
            by: RevisionActor { kind: t.actor_kind, id: t.actor_id },
            note: t.note,
            at: t.changed_at,
        }
    }
}

/// A learning activity of a playlist.
pub struct PlaylistItem(pub playlist_item::Model);

#[Object]
impl PlaylistItem {
    pub async fn id(&self) -> ID {
        global_id(Kind::PlaylistItem, self.0.id)
    }
    /// 1-based place in the playlist.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where the activity lives (a lesson in a vendor tool, a reading).
    async fn resource_url(&self) -> Option<&str> {
        self.0.resource_url.as_deref()
    }
    /// The tool that provides it.
    async fn tool(&self) -> Option<&str> {
        self.0.tool.as_deref()
    }
    async fn estimated_minutes(&self) -> Option<i32> {
        self.0.estimated_minutes
    }
    async fn mastery_plan(&self) -> MasteryPlan {
        MasteryPlan { evidence: MasteryEvidence::parse(&self.0.evidence), target_date: self.0.target_date }
    }
    async fn state(&self) -> ItemState {
        ItemState::parse(&self.0.state)
    }
    /// Past its target date and not mastered.
    async fn overdue(&self) -> bool {
        self.0.state != ItemState::Mastered.as_str() && self.0.target_date.is_some_and(|d| d < Utc::now().date_naive())
    }
    async fn status(&self) -> RecordStatus {
        status(&self.0.status)
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// The competencies the item builds.
    async fn competencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Competency>> {
        Ok(pl(ctx)?.competencies.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(Competency).collect())
    }
    async fn playlist(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Playlist>> {
        Ok(pl(ctx)?.playlists.load_one(self.0.playlist_id).await?.map(Playlist))
    }
    /// Every state change, oldest first, with who made it.
    async fn transitions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ItemTransition>> {
        Ok(pl(ctx)?.transitions.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    /// Results posted against this item, newest first. Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn results(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ResultNode>> {
        let rows = ctx.data::<crate::progress::loaders::ProgressLoaders>()?.results_by_item.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(ResultNode).collect())
    }
    /// The latest result posted against this item. Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn latest_result(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ResultNode>> {
        let rows = ctx.data::<crate::progress::loaders::ProgressLoaders>()?.results_by_item.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().next().map(ResultNode))
    }
}

/// Primes the request's caches for a page of learners: their playlists and, as far as the
/// document asks, the playlists' items and the items' competencies, transitions and results,
/// one statement per level whatever the page's size.
pub async fn prime_for_learners(
    ctx: &Context<'_>,
    node: &async_graphql::Lookahead<'_>,
    learners: &[i64],
) -> async_graphql::Result<()> {
    let playlists = node.field("playlists");
    let p = principal(ctx)?;
    if learners.is_empty() || !playlists.exists() || !p.has(Scope::PlaylistsRead) {
        return Ok(());
    }
    let l = pl(ctx)?;
    let found = prime(&l.by_learner, learners).await?;
    let ids: Vec<i64> = found.values().flatten().map(|p| p.id).collect();
    let items = playlists.field("items");
    if ids.is_empty() || !items.exists() {
        return Ok(());
    }
    let found = prime(&l.items, &ids).await?;
    let ids: Vec<i64> = found.values().flatten().map(|i| i.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if items.field("competencies").exists() {
        prime(&l.competencies, &ids).await?;
    }
    if items.field("transitions").exists() {
        prime(&l.transitions, &ids).await?;
    }
    if (items.field("latestResult").exists() || items.field("results").exists()) && p.has(Scope::ProgressRead) {
        prime(&crate::progress::graphql::prl(ctx)?.results_by_item, &ids).await?;
    }
    Ok(())
}

/// A learner's playlists, for `Learner.playlists`.
pub async fn of_learner(
    ctx: &Context<'_>,
    learner_id: i64,
    subject: Option<&str>,
) -> async_graphql::Result<Vec<Playlist>> {
    let rows = pl(ctx)?.by_learner.load_one(learner_id).await?.unwrap_or_default();
    // A learner shared by two schools has playlists at both; a caller sees its own schools'.
    let p = principal(ctx)?;
    Ok(rows
        .into_iter()
        .filter(|pl| p.owns_org(pl.org_id) && subject.is_none_or(|s| pl.subject == s))
        .map(Playlist)
        .collect())
}

/// Filters for `playlists`.
#[derive(InputObject, Default)]
pub struct PlaylistsFilter {
    pub learner_id: Option<ID>,
    pub class_id: Option<ID>,
    /// List templates instead of learners' playlists.
    #[graphql(default)]
    pub templates: bool,
    pub subject: Option<String>,
    /// Only playlists changed at or after this time, deletions included (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

/// Filters for `playlistItems`.
#[derive(InputObject, Default)]
pub struct PlaylistItemsFilter {
    pub playlist_id: Option<ID>,
    /// Only items changed at or after this time, deletions included (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

/// One learner's standing on a class's playlists.
pub struct LearnerPlaylistProgress(store::LearnerProgress);

#[Object]
impl LearnerPlaylistProgress {
    async fn learner(&self) -> Learner {
        Learner(self.0.learner.clone())
    }
    /// Items mastered.
    async fn items_done(&self) -> i32 {
        i32::try_from(self.0.done).unwrap_or(i32::MAX)
    }
    async fn items_total(&self) -> i32 {
        i32::try_from(self.0.total).unwrap_or(i32::MAX)
    }
    /// Items past their target date and not yet mastered.
    async fn overdue_items(&self) -> Vec<PlaylistItem> {
        self.0.overdue.iter().cloned().map(PlaylistItem).collect()
    }
}

#[derive(Default)]
pub struct PlaylistsQuery;

#[Object]
impl PlaylistsQuery {
    /// Playlists the caller may see. Needs `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)", complexity = "list_complexity(first, last, child_complexity)")]
    async fn playlists(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PlaylistsFilter>,
    ) -> async_graphql::Result<Conn<Playlist>> {
        let f = filter.unwrap_or_default();
        let pf = PlaylistFilter {
            learner: f.learner_id.map(|id| decode_kind(&id, Kind::Learner, "filter.learnerId")).transpose()?,
            class: f.class_id.map(|id| decode_kind(&id, Kind::Class, "filter.classId")).transpose()?,
            templates: f.templates,
            subject: f.subject,
            sync: Sync { updated_since: f.updated_since, include_deleted: f.include_deleted },
        };
        let q = store::playlists(principal(ctx)?, &pf);
        let args = PageArgs::new(first, after, last, before);
        let conn = paginate(ctx, db(ctx)?, q, playlist::Column::Id, args, |m| m.id, Playlist).await?;
        crate::audit::note(ctx, conn.edges.iter().filter_map(|e| e.node.0.learner_id));
        Ok(conn)
    }

    /// Items of the playlists the caller may see; with `updatedSince`, what changed (removed
    /// items included). Needs `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)", complexity = "list_complexity(first, last, child_complexity)")]
    async fn playlist_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PlaylistItemsFilter>,
    ) -> async_graphql::Result<Conn<PlaylistItem>> {
        let f = filter.unwrap_or_default();
        let playlist = f.playlist_id.map(|id| decode_kind(&id, Kind::Playlist, "filter.playlistId")).transpose()?;
        let sync = Sync { updated_since: f.updated_since, include_deleted: f.include_deleted };
        let q = store::items(principal(ctx)?, playlist, sync);
        let args = PageArgs::new(first, after, last, before);
        let conn = paginate(ctx, db(ctx)?, q, playlist_item::Column::Id, args, |m| m.id, PlaylistItem).await?;
        gql(store::reveal_items(db(ctx)?, principal(ctx)?, conn.edges.iter().map(|e| &e.node.0)).await)?;
        Ok(conn)
    }

    /// For each learner of a class: items done out of all items of their playlists for the
    /// class, and what is overdue as of `asOf` (default today). Needs `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)")]
    async fn class_playlist_progress(
        &self,
        ctx: &Context<'_>,
        class_id: ID,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<LearnerPlaylistProgress>> {
        let p = principal(ctx)?;
        let class = decode_kind(&class_id, Kind::Class, "classId")?;
        let today = as_of.unwrap_or_else(|| Utc::now().date_naive());
        let rows = gql(store::class_progress(db(ctx)?, p, class, today).await)?;
        crate::audit::note(ctx, rows.iter().map(|r| r.learner.id));
        Ok(rows.into_iter().map(LearnerPlaylistProgress).collect())
    }
}

#[derive(InputObject)]
pub struct PlaylistItemInput {
    pub title: String,
    pub description: Option<String>,
    pub resource_url: Option<String>,
    /// The tool that provides the activity.
    pub tool: Option<String>,
    pub estimated_minutes: Option<i32>,
    /// How the learner will show mastery.
    pub evidence: MasteryEvidence,
    pub target_date: Option<NaiveDate>,
    /// CASE identifiers (`Competency.sourcedId`) of the competencies the item builds.
    #[graphql(default)]
    pub competency_ids: Vec<String>,
}

impl From<PlaylistItemInput> for ItemInput {
    fn from(i: PlaylistItemInput) -> Self {
        ItemInput {
            title: i.title,
            description: i.description,
            resource_url: i.resource_url,
            tool: i.tool,
            estimated_minutes: i.estimated_minutes,
            evidence: i.evidence,
            target_date: i.target_date,
            competencies: i.competency_ids,
        }
    }
}

#[derive(InputObject)]
pub struct CreatePlaylistInput {
    /// The learner; omit to create a template.
    pub learner_sourced_id: Option<String>,
    /// The school; needed for a template without a class, or a learner at several schools.
    pub school_sourced_id: Option<String>,
    pub class_sourced_id: Option<String>,
    /// The term; defaults to the class's.
    pub term_sourced_id: Option<String>,
    pub subject: String,
    pub title: String,
    #[graphql(default)]
    pub items: Vec<PlaylistItemInput>,
}

#[derive(SimpleObject)]
pub struct PlaylistPayload {
    pub playlist: Option<Playlist>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdatePlaylistInput {
    pub playlist_id: ID,
    pub title: Option<String>,
    pub subject: Option<String>,
}

#[derive(InputObject)]
pub struct DeletePlaylistInput {
    pub playlist_id: ID,
}

#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The deleted record's ID, when it was deleted.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddPlaylistItemsInput {
    pub playlist_id: ID,
    pub items: Vec<PlaylistItemInput>,
}

#[derive(SimpleObject)]
pub struct PlaylistItemsPayload {
    pub items: Vec<PlaylistItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdatePlaylistItemInput {
    pub item_id: ID,
    pub title: Option<String>,
    pub description: MaybeUndefined<String>,
    pub resource_url: MaybeUndefined<String>,
    pub tool: MaybeUndefined<String>,
    pub estimated_minutes: MaybeUndefined<i32>,
    pub evidence: Option<MasteryEvidence>,
    pub target_date: MaybeUndefined<NaiveDate>,
    /// Replaces the item's competencies (CASE identifiers).
    pub competency_ids: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub struct PlaylistItemPayload {
    pub item: Option<PlaylistItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemovePlaylistItemInput {
    pub item_id: ID,
}

#[derive(InputObject)]
pub struct ReorderPlaylistItemsInput {
    pub playlist_id: ID,
    /// Every item of the playlist, in the new order.
    pub item_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct SetPlaylistItemStateInput {
    pub item_id: ID,
    pub state: ItemState,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AssignPlaylistTemplateInput {
    pub template_id: ID,
    pub class_sourced_id: String,
}

#[derive(SimpleObject)]
pub struct AssignPlaylistTemplatePayload {
    /// The copies made by this call.
    pub playlists: Vec<Playlist>,
    /// Learners of the class who already had a copy.
    pub already_assigned: i32,
    pub user_errors: Vec<UserError>,
}

fn maybe<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

fn playlist_payload(r: crate::error::AppResult<playlist::Model>) -> async_graphql::Result<PlaylistPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistPayload { playlist: Some(Playlist(m)), user_errors: vec![] },
        Err(user_errors) => PlaylistPayload { playlist: None, user_errors },
    })
}

fn item_payload(r: crate::error::AppResult<playlist_item::Model>) -> async_graphql::Result<PlaylistItemPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistItemPayload { item: Some(PlaylistItem(m)), user_errors: vec![] },
        Err(user_errors) => PlaylistItemPayload { item: None, user_errors },
    })
}

fn items_payload(r: crate::error::AppResult<Vec<playlist_item::Model>>) -> async_graphql::Result<PlaylistItemsPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistItemsPayload { items: m.into_iter().map(PlaylistItem).collect(), user_errors: vec![] },
        Err(user_errors) => PlaylistItemsPayload { items: vec![], user_errors },
    })
}

#[derive(Default)]
pub struct PlaylistsMutation;

#[Object]
impl PlaylistsMutation {
    /// Creates a learner's playlist, or a template (no learner), with its items. Needs
    /// `playlists.write`; learners can't.
    async fn create_playlist(
        &self,
        ctx: &Context<'_>,
        input: CreatePlaylistInput,
    ) -> async_graphql::Result<PlaylistPayload> {
        let p = writer(ctx)?;
        let input = PlaylistInput {
            learner: input.learner_sourced_id,
            school: input.school_sourced_id,
            class: input.class_sourced_id,
            term: input.term_sourced_id,
            subject: input.subject,
            title: input.title,
            items: input.items.into_iter().map(Into::into).collect(),
        };
        let r = store::create(db(ctx)?, ctx.data::<Bus>()?, p, input).await;
        if let Ok(m) = &r {
            crate::audit::note(ctx, m.learner_id);
        }
        playlist_payload(r)
    }

    /// Renames a playlist or changes its subject. Needs `playlists.write`.
    async fn update_playlist(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlaylistInput,
    ) -> async_graphql::Result<PlaylistPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let c = PlaylistChanges { title: input.title, subject: input.subject };
        playlist_payload(store::update(db(ctx)?, ctx.data::<Bus>()?, p, id, c).await)
    }

    /// Deletes a playlist and its items (syncing tools see the deletion). Needs `playlists.write`.
    async fn delete_playlist(
        &self,
        ctx: &Context<'_>,
        input: DeletePlaylistInput,
    ) -> async_graphql::Result<DeletePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        Ok(match into_user_errors(store::delete(db(ctx)?, ctx.data::<Bus>()?, p, id).await)? {
            Ok(()) => DeletePayload { deleted_id: Some(input.playlist_id), user_errors: vec![] },
            Err(user_errors) => DeletePayload { deleted_id: None, user_errors },
        })
    }

    /// Appends items to a playlist. Needs `playlists.write`.
    async fn add_playlist_items(
        &self,
        ctx: &Context<'_>,
        input: AddPlaylistItemsInput,
    ) -> async_graphql::Result<PlaylistItemsPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let items = input.items.into_iter().map(Into::into).collect();
        items_payload(store::add_items(db(ctx)?, ctx.data::<Bus>()?, p, id, items).await)
    }

    /// Edits an item's content, mastery plan or competencies. Needs `playlists.write`.
    async fn update_playlist_item(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlaylistItemInput,
    ) -> async_graphql::Result<PlaylistItemPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        let c = ItemChanges {
            title: input.title,
            description: maybe(input.description),
            resource_url: maybe(input.resource_url),
            tool: maybe(input.tool),
            estimated_minutes: maybe(input.estimated_minutes),
            evidence: input.evidence,
            target_date: maybe(input.target_date),
            competencies: input.competency_ids,
        };
        item_payload(store::update_item(db(ctx)?, ctx.data::<Bus>()?, p, id, c).await)
    }

    /// Removes an item from its playlist. Needs `playlists.write`.
    async fn remove_playlist_item(
        &self,
        ctx: &Context<'_>,
        input: RemovePlaylistItemInput,
    ) -> async_graphql::Result<DeletePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        Ok(match into_user_errors(store::remove_item(db(ctx)?, ctx.data::<Bus>()?, p, id).await)? {
            Ok(()) => DeletePayload { deleted_id: Some(input.item_id), user_errors: vec![] },
            Err(user_errors) => DeletePayload { deleted_id: None, user_errors },
        })
    }

    /// Puts a playlist's items in a new order. Needs `playlists.write`.
    async fn reorder_playlist_items(
        &self,
        ctx: &Context<'_>,
        input: ReorderPlaylistItemsInput,
    ) -> async_graphql::Result<PlaylistItemsPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let order = input
            .item_ids
            .iter()
            .map(|i| decode_kind(i, Kind::PlaylistItem, "input.itemIds"))
            .collect::<Result<Vec<_>, _>>()?;
        items_payload(store::reorder(db(ctx)?, ctx.data::<Bus>()?, p, id, order).await)
    }

    /// Moves an item to another state (validated), recording who and when. Learners (with
    /// `playlists.write`) start and submit their own items; staff decide mastery and revision.
    async fn set_playlist_item_state(
        &self,
        ctx: &Context<'_>,
        input: SetPlaylistItemStateInput,
    ) -> async_graphql::Result<PlaylistItemPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        item_payload(store::set_item_state(db(ctx)?, ctx.data::<Bus>()?, p, id, input.state, input.note).await)
    }

    /// Gives every learner of a class their own copy of a template (learners who have one
    /// keep it). Needs `playlists.write`.
    async fn assign_playlist_template(
        &self,
        ctx: &Context<'_>,
        input: AssignPlaylistTemplateInput,
    ) -> async_graphql::Result<AssignPlaylistTemplatePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.template_id, Kind::Playlist, "input.templateId")?;
        let r = store::assign_template(db(ctx)?, ctx.data::<Bus>()?, p, id, &input.class_sourced_id).await;
        Ok(match into_user_errors(r)? {
            Ok(a) => {
                crate::audit::note(ctx, a.created.iter().filter_map(|p| p.learner_id));
                AssignPlaylistTemplatePayload {
                    playlists: a.created.into_iter().map(Playlist).collect(),
                    already_assigned: i32::try_from(a.already_assigned).unwrap_or(i32::MAX),
                    user_errors: vec![],
                }
            }
            Err(user_errors) => AssignPlaylistTemplatePayload { playlists: vec![], already_assigned: 0, user_errors },
        })
    }
}
