//! The GraphQL types of placements, a learner's WIN history, and the school summary.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::win_assignment;

use super::{Attendance, PlacementSource, WinBlock, WinSession, learner, session, wl};
use crate::{
    graphql::{
        context::{gql, principal},
        relay::{Kind, global_id},
    },
    roster::graphql::Learner,
    win::store,
};

/// Where a student is placed for a block, why, and how it went.
pub struct WinAssignment(pub win_assignment::Model);

#[Object]
impl WinAssignment {
    pub async fn id(&self) -> ID {
        global_id(Kind::WinAssignment, self.0.id)
    }
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.0.learner_id).await
    }
    async fn session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinSession>> {
        session(ctx, self.0.session_id).await
    }
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinBlock>> {
        Ok(wl(ctx)?.block.load_one(self.0.block_id).await?.map(WinBlock))
    }
    async fn source(&self) -> PlacementSource {
        self.0.source.into()
    }
    /// The rank the student gave this session; null when they did not rank it.
    async fn choice_rank(&self) -> Option<i32> {
        self.0.choice_rank
    }
    /// Why the student is here, in words for the student ("placed in your 2nd choice; ...").
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }
    async fn attendance(&self) -> Option<Attendance> {
        self.0.attendance.map(Attendance::from)
    }
    async fn outcome_note(&self) -> Option<&str> {
        self.0.outcome_note.as_deref()
    }
}

/// A learner's WIN history, newest block first, for `Learner.winHistory`.
pub async fn history_of(ctx: &Context<'_>, learner_id: i64) -> async_graphql::Result<Vec<WinAssignment>> {
    let rows = gql(store::attendance::history(wl(ctx)?, principal(ctx)?, learner_id).await)?;
    Ok(rows.into_iter().map(WinAssignment).collect())
}

/// Students placed in their first, second and third choices, as shares of those placed.
#[derive(SimpleObject)]
pub struct ChoiceShares {
    pub first: f64,
    pub second: f64,
    pub third: f64,
}

pub(super) fn shares(by_rank: &[usize], placed: usize) -> ChoiceShares {
    let share = |i: usize| if placed == 0 { 0.0 } else { by_rank.get(i).copied().unwrap_or(0) as f64 / placed as f64 };
    ChoiceShares { first: share(0), second: share(1), third: share(2) }
}

/// A student absent from WIN again and again.
pub struct AbsentLearner {
    pub(super) learner_id: i64,
    pub(super) absences: i32,
}

#[Object]
impl AbsentLearner {
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.learner_id).await
    }
    async fn absences(&self) -> i32 {
        self.absences
    }
}

/// A school's WIN over a span of dates.
#[derive(SimpleObject)]
pub struct WinSummary {
    pub blocks: i32,
    /// Placements of the students the caller may see.
    pub placed: i32,
    pub choice_shares: ChoiceShares,
    /// Seats offered across the blocks.
    pub seats: i32,
    pub seats_used: i32,
    /// Students absent at least twice, most absences first.
    pub repeatedly_absent: Vec<AbsentLearner>,
}
