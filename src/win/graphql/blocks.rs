//! The GraphQL types of blocks and the sessions offered in them.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{win_block, win_session};

use super::{WinAssignment, WinChoiceReview, WinMode, WinPreference, count, wl};
use crate::{
    auth::Scope,
    competencies::graphql::Competency,
    graphql::{
        context::{db, gql, loaders, needs, principal},
        relay::{Kind, global_id},
    },
    roster::graphql::{Educator, School},
    win::store,
};

/// A school's WIN block on one date.
pub struct WinBlock(pub win_block::Model);

#[Object]
impl WinBlock {
    pub async fn id(&self) -> ID {
        global_id(Kind::WinBlock, self.0.id)
    }
    async fn date(&self) -> NaiveDate {
        self.0.block_date
    }
    /// Students choose until then; afterwards choices are locked.
    async fn choices_close_at(&self) -> DateTime<Utc> {
        self.0.choices_close_at
    }
    async fn choices_open(&self) -> bool {
        Utc::now() < self.0.choices_close_at
    }
    /// How many sessions a student may rank.
    async fn max_choices(&self) -> i32 {
        self.0.max_choices
    }
    /// When placement last ran; null before.
    async fn placed_at(&self) -> Option<DateTime<Utc>> {
        self.0.placed_at
    }
    async fn school(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<School>> {
        Ok(loaders(ctx)?.orgs.load_one(self.0.org_id).await?.map(School))
    }
    /// The sessions offered.
    async fn sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinSession>> {
        Ok(wl(ctx)?.sessions.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(WinSession).collect())
    }
    /// Ranked choices of the students the caller may see. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn preferences(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinPreference>> {
        let rows = gql(store::choices::preferences(wl(ctx)?, principal(ctx)?, self.0.id).await)?;
        Ok(rows.into_iter().map(WinPreference).collect())
    }
    /// For each student the caller may see who chose or was decided on: their choices with the
    /// mastery gaps bearing on each (focus competencies below the mastered level), and the
    /// teacher's decision. What a teacher reviews before placement. Needs `win.read`; meant for
    /// one block at a time (each block reads its students' mastery).
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn choice_review(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinChoiceReview>> {
        let rows = gql(store::review::choice_review(db(ctx)?, wl(ctx)?, principal(ctx)?, self.0.id).await)?;
        Ok(rows.into_iter().map(WinChoiceReview::from).collect())
    }
    /// Where the students the caller may see are placed. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinAssignment>> {
        let rows = gql(store::attendance::block_placements(wl(ctx)?, principal(ctx)?, self.0.id).await)?;
        Ok(rows.into_iter().map(WinAssignment).collect())
    }
}

/// A session a teacher offers in a WIN block.
pub struct WinSession(pub win_session::Model);

#[Object]
impl WinSession {
    pub async fn id(&self) -> ID {
        global_id(Kind::WinSession, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn mode(&self) -> WinMode {
        self.0.mode.into()
    }
    async fn room(&self) -> Option<&str> {
        self.0.room.as_deref()
    }
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Only invited students may choose it or be placed in it.
    async fn invite_only(&self) -> bool {
        self.0.invite_only
    }
    async fn teacher(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Educator>> {
        let Some(t) = self.0.teacher_id else { return Ok(None) };
        Ok(loaders(ctx)?.users.load_one(t).await?.map(Educator))
    }
    /// The competencies the session works on.
    async fn focus_competencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Competency>> {
        let links = wl(ctx)?.focus.load_one(self.0.id).await?.unwrap_or_default();
        let comps =
            crate::progress::graphql::prl(ctx)?.competencies.load_many(links.iter().map(|l| l.competency_id)).await?;
        Ok(links.iter().filter_map(|l| comps.get(&l.competency_id).cloned()).map(Competency).collect())
    }
    /// Students placed in it (all of them, whoever asks).
    async fn seats_taken(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(count(gql(store::attendance::seats_taken(wl(ctx)?, self.0.id).await)?))
    }
    /// Placements in it of the students the caller may see. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinAssignment>> {
        let rows = gql(store::attendance::session_placements(wl(ctx)?, principal(ctx)?, self.0.id).await)?;
        Ok(rows.into_iter().map(WinAssignment).collect())
    }
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinBlock>> {
        Ok(wl(ctx)?.block.load_one(self.0.block_id).await?.map(WinBlock))
    }
}
