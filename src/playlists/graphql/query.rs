//! Playlist queries and their filters.

use super::*;

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
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let page = store::playlist_page(db(ctx)?, principal(ctx)?, &pf, req, wants_total(ctx)).await?;
        let conn = connection(page, |m| m.id, Playlist);
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

    /// For each learner of a class, ordered by family name, given name, then ID: items done out
    /// of all items of their playlists for the class, and what is overdue as of `asOf` (default
    /// today in the class's school's time zone). Filters narrow to learners with overdue items
    /// or to one learner; `totalCount` counts the learners matching them. Needs
    /// `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)", complexity = "list_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn class_playlist_progress(
        &self,
        ctx: &Context<'_>,
        class_id: ID,
        as_of: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ClassPlaylistProgressFilter>,
    ) -> async_graphql::Result<Conn<LearnerPlaylistProgress>> {
        let p = principal(ctx)?;
        let class = decode_kind(&class_id, Kind::Class, "classId")?;
        let page = progress_page(&PageArgs::new(first, after, last, before))?;
        let f = filter.unwrap_or_default();
        let f = store::ProgressFilter { overdue_only: f.overdue_only, learner: f.learner_sourced_id };
        let rows = gql(store::class_progress(db(ctx)?, p, class, as_of, &f, &page).await)?;
        Ok(progress_connection(rows))
    }
}

/// Filters for `classPlaylistProgress`.
#[derive(InputObject, Default)]
pub struct ClassPlaylistProgressFilter {
    /// Only learners with at least one overdue item.
    #[graphql(default)]
    pub overdue_only: bool,
    /// Only this learner.
    pub learner_sourced_id: Option<String>,
}
