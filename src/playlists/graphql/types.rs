//! The GraphQL output types of playlists: playlists, items, their transitions and plans, a
//! learner's standing on a class's playlists.

use std::collections::HashMap;

use super::*;
use async_graphql::connection::{Connection, Edge};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{
    competencies::store::Scale,
    error::AppError,
    graphql::relay::ConnectionFields,
    page::{Page, PageRequest},
    progress::graphql::prl,
    roster::store::{Tz, zone::FALLBACK_ZONE},
};

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
    /// Past its target date and not mastered: the target date is before today in the
    /// playlist's school's time zone (`School.timeZone`), not UTC's.
    async fn overdue(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(target) = self.0.target_date.filter(|_| self.0.state != ItemState::Mastered) else {
            return Ok(false);
        };
        Ok(target < crate::roster::store::today_in(zone_of_playlist(ctx, self.0.playlist_id).await?))
    }
    /// Whether the learner has mastered, on the evidence, every competency the item builds
    /// (each competency's calculated mastery at or above its framework's mastered level). Null
    /// when the item builds no competency or belongs to a template. Shown beside `state`, which
    /// is what the teacher or learner marked; neither is rewritten from the other. Needs
    /// `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn competencies_mastered(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<bool>> {
        evidence_of_mastery(ctx, &self.0).await
    }
    /// The item is `MASTERED` but `competenciesMastered` is false: marked mastered ahead of (or
    /// since contradicted by) the evidence. What a teacher should look at. Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn mastery_disagrees(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        if self.0.state != ItemState::Mastered {
            return Ok(false);
        }
        Ok(store::mastery_disagrees(self.0.state, evidence_of_mastery(ctx, &self.0).await?))
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

/// The zone of a playlist's school (its own, else its district's, else UTC), through the
/// request's loaders: a page of items costs one batch per level, not a statement per item.
pub(crate) async fn zone_of_playlist(ctx: &Context<'_>, playlist_id: i64) -> async_graphql::Result<Tz> {
    let Some(playlist) = pl(ctx)?.playlists.load_one(playlist_id).await? else { return Ok(FALLBACK_ZONE) };
    crate::roster::graphql::org_zone(ctx, playlist.org_id).await
}

/// [`store::competencies_mastered`] for an item: its learner's masteries of the item's
/// competencies against their frameworks' mastered thresholds, all through batched loaders.
async fn evidence_of_mastery(ctx: &Context<'_>, item: &playlist_item::Model) -> async_graphql::Result<Option<bool>> {
    let l = pl(ctx)?;
    let comps = l.competencies.load_one(item.id).await?.unwrap_or_default();
    if comps.is_empty() {
        return Ok(None);
    }
    let Some(learner) = l.playlists.load_one(item.playlist_id).await?.and_then(|p| p.learner_id) else {
        return Ok(None);
    };
    let progress = prl(ctx)?;
    let masteries = progress.mastery.load_one(learner).await?.unwrap_or_default();
    let frameworks = progress.frameworks.load_many(comps.iter().map(|c| c.framework_id)).await?;
    let threshold: HashMap<i64, f64> = comps
        .iter()
        .map(|c| (c.id, frameworks.get(&c.framework_id).map_or(1.0, |f| Scale::of(f).mastered_threshold())))
        .collect();
    let ids: Vec<i64> = comps.iter().map(|c| c.id).collect();
    Ok(store::competencies_mastered(
        &ids,
        |c| masteries.iter().find(|m| m.competency_id == c).and_then(|m| m.value),
        |c| threshold.get(&c).copied().unwrap_or(1.0),
    ))
}

const PROGRESS_CURSOR: &str = "lp";

/// The cursor of a learner's place in a class's progress list: their position key (family
/// name, given name, id), so that it stays valid when names tie or the class changes.
fn progress_cursor(k: &store::LearnerKey) -> String {
    let json = serde_json::json!([PROGRESS_CURSOR, k.family, k.given, k.id]).to_string();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_progress_cursor(cursor: &str, field: &str) -> Result<store::LearnerKey, AppError> {
    let parsed = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| serde_json::from_slice::<(String, String, String, i64)>(&b).ok())
        .filter(|(tag, ..)| tag == PROGRESS_CURSOR);
    let (_, family, given, id) =
        parsed.ok_or_else(|| AppError::validation(field, "not a cursor returned by this API"))?;
    Ok(store::LearnerKey { family, given, id })
}

/// `first`/`after`/`last`/`before` of `classPlaylistProgress`, checked as every connection's
/// are, with its own cursors.
pub(super) fn progress_page(args: &PageArgs) -> Result<store::ProgressPage, AppError> {
    let sizes = PageArgs { after: None, before: None, ..args.clone() };
    let PageRequest::Keyset { forward, size, .. } = page_request(&sizes)? else {
        return Err(AppError::validation("first", "not a page of a connection"));
    };
    Ok(store::ProgressPage {
        forward,
        size: usize::try_from(size).unwrap_or(0),
        after: args.after.as_deref().map(|c| decode_progress_cursor(c, "after")).transpose()?,
        before: args.before.as_deref().map(|c| decode_progress_cursor(c, "before")).transpose()?,
    })
}

pub(super) fn progress_connection(page: Page<store::LearnerProgress>) -> Conn<LearnerPlaylistProgress> {
    let total_count = page.total.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX));
    let mut conn =
        Connection::with_additional_fields(page.has_previous, page.has_next, ConnectionFields { total_count });
    conn.edges.extend(
        page.rows
            .into_iter()
            .map(|r| Edge::new(progress_cursor(&store::LearnerKey::of(&r.learner)), LearnerPlaylistProgress(r))),
    );
    conn
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
    /// Items past their target date and not yet mastered as of the query's `asOf` (by default
    /// today in the class's school's time zone).
    async fn overdue_items(&self) -> Vec<PlaylistItem> {
        self.0.overdue.iter().cloned().map(PlaylistItem).collect()
    }
}
