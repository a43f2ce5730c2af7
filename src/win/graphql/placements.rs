//! The GraphQL types of placements, a learner's WIN history, and the school summary.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::win_assignment;

use super::{Attendance, PlacementSource, WinBlock, WinSession, WinStudent, learner, session, student, wl};
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
    /// The student's roster record (profile, mastery, playlists, history): null when the
    /// caller sees the student only through WIN (a student of another class placed in or
    /// choosing the caller's session); `student` names them either way.
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.0.learner_id).await
    }
    /// Who the student is, for everyone who sees this row.
    async fn student(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinStudent>> {
        student(ctx, self.0.learner_id).await
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
    /// A placement that no longer stands, or may still change, says so first.
    async fn explanation(&self) -> String {
        if self.0.outdated {
            format!(
                "This placement is outdated: your choices or your teacher's decision changed after it was made, and it will change when placement runs again. It was: {}",
                self.0.explanation
            )
        } else if self.0.provisional {
            format!("Provisional (placement ran before choices closed): {}", self.0.explanation)
        } else {
            self.0.explanation.clone()
        }
    }
    /// The student's choices or their teacher's decision changed after this placement was
    /// made: it will change when placement runs again.
    async fn outdated(&self) -> bool {
        self.0.outdated
    }
    /// Made while choices were still open: students could change them afterwards.
    async fn provisional(&self) -> bool {
        self.0.provisional
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

/// How placements met students' choices, as shares of the students who ranked at least one
/// session (`choosers`; 0 when there are none). Each chooser is counted once: `first`,
/// `second`, `third` and `later` for students the placement run put in the session they
/// ranked so; `byTeacher` for students placed where a teacher decided (a requirement, a
/// redirection, a move), whatever rank that session had; `noneOfTheirChoices` for students the
/// run could place in none of theirs. The shares add up to 1. Students who chose nothing are
/// not counted. A placement run and `winSummary` compute it the same way.
#[derive(SimpleObject)]
pub struct ChoiceShares {
    pub choosers: i32,
    pub first: f64,
    pub second: f64,
    pub third: f64,
    /// Fourth choice or later.
    pub later: f64,
    pub by_teacher: f64,
    pub none_of_their_choices: f64,
}

impl From<&store::summary::ChoiceCounts> for ChoiceShares {
    fn from(c: &store::summary::ChoiceCounts) -> Self {
        let share = |n: usize| if c.choosers == 0 { 0.0 } else { n as f64 / c.choosers as f64 };
        let rank = |i: usize| c.by_rank.get(i).copied().unwrap_or(0);
        ChoiceShares {
            choosers: super::count(c.choosers),
            first: share(rank(0)),
            second: share(rank(1)),
            third: share(rank(2)),
            later: share(c.by_rank.iter().skip(3).sum()),
            by_teacher: share(c.by_teacher),
            none_of_their_choices: share(c.none_of_theirs),
        }
    }
}

/// A student absent from WIN again and again.
pub struct AbsentLearner {
    pub(super) learner_id: i64,
    pub(super) absences: i32,
}

#[Object]
impl AbsentLearner {
    /// The student's roster record (profile, mastery, playlists, history): null when the
    /// caller sees the student only through WIN (a student of another class placed in or
    /// choosing the caller's session); `student` names them either way.
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.learner_id).await
    }
    /// Who the student is, for everyone who sees this row.
    async fn student(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinStudent>> {
        student(ctx, self.learner_id).await
    }
    async fn absences(&self) -> i32 {
        self.absences
    }
}

/// A school's WIN over a span of dates.
#[derive(SimpleObject)]
pub struct WinSummary {
    pub blocks: i32,
    /// Students placed in the sessions summed up (a school's administrators and tools: all
    /// of its sessions; a teacher: the sessions they teach).
    pub placed: i32,
    pub choice_shares: ChoiceShares,
    /// Seats those sessions offer.
    pub seats: i32,
    /// Seats taken in those sessions (the same as `placed`).
    pub seats_used: i32,
    /// Students absent at least twice, most absences first.
    pub repeatedly_absent: Vec<AbsentLearner>,
}
