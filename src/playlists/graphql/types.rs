//! The GraphQL output types of playlists: playlists, items, their transitions and plans, a
//! learner's standing on a class's playlists.

use super::*;

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
        self.0.status.into()
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

/// Where a playlist item stands.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaylistItemState {
    NotStarted,
    InProgress,
    Submitted,
    Mastered,
    NeedsRevision,
}

both_ways!(PlaylistItemState, ItemState, [NotStarted, InProgress, Submitted, Mastered, NeedsRevision]);

/// How a learner will show mastery of an item (also the evidence type of a result).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasteryEvidence {
    Test,
    PerformanceTask,
    Project,
    Presentation,
    Other,
}

both_ways!(MasteryEvidence, Evidence, [Test, PerformanceTask, Project, Presentation, Other]);

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
    pub from: Option<PlaylistItemState>,
    pub to: PlaylistItemState,
    pub by: RevisionActor,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<playlist_item_transition::Model> for ItemTransition {
    fn from(t: playlist_item_transition::Model) -> Self {
        ItemTransition {
            from: t.from_state.map(Into::into),
            to: t.to_state.into(),
            by: RevisionActor::new(t.actor_kind, &t.actor_id),
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
        MasteryPlan { evidence: self.0.evidence.into(), target_date: self.0.target_date }
    }
    async fn state(&self) -> PlaylistItemState {
        self.0.state.into()
    }
    /// Past its target date and not mastered.
    async fn overdue(&self) -> bool {
        self.0.state != ItemState::Mastered && self.0.target_date.is_some_and(|d| d < Utc::now().date_naive())
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
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

/// One learner's standing on a class's playlists.
pub struct LearnerPlaylistProgress(pub store::LearnerProgress);

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
