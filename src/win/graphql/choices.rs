//! The GraphQL types of students' choices and teachers' review of them.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use entity::{win_choice, win_review};

use super::{WinDecision, WinSession, WinStudent, learner, session, student};
use crate::{
    competencies::graphql::Competency,
    roster::graphql::Learner,
    win::store::{self, Gap},
};

/// One ranked choice of a student.
pub struct WinPreference(pub win_choice::Model);

#[Object]
impl WinPreference {
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
    /// 1 is the first choice.
    async fn rank(&self) -> i32 {
        self.0.rank
    }
    async fn chosen_at(&self) -> DateTime<Utc> {
        self.0.chosen_at
    }
}

/// A teacher's decision on a student's choices.
pub struct WinReview(pub win_review::Model);

#[Object]
impl WinReview {
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
    async fn decision(&self) -> WinDecision {
        self.0.decision.into()
    }
    /// The session approved, redirected to, or required.
    async fn session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinSession>> {
        session(ctx, self.0.session_id).await
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who decided (a user's sourcedId or a client id).
    async fn decided_by(&self) -> &str {
        &self.0.decided_by
    }
    async fn decided_at(&self) -> DateTime<Utc> {
        self.0.decided_at
    }
}

/// A competency of a session in which the student is below the mastered level.
pub struct MasteryGap(pub Gap);

#[Object]
impl MasteryGap {
    async fn competency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Competency>> {
        Ok(crate::progress::graphql::prl(ctx)?.competencies.load_one(self.0.competency_id).await?.map(Competency))
    }
    /// The student's mastery (0 to 1); null when there is no evidence yet.
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// The value that counts as mastered.
    async fn mastered_at(&self) -> f64 {
        self.0.threshold
    }
}

/// A student's choice with the gaps bearing on it.
pub struct ReviewedChoice {
    session_id: i64,
    rank: i32,
    gaps: Vec<MasteryGap>,
}

impl From<store::review::ReviewedChoice> for ReviewedChoice {
    fn from(c: store::review::ReviewedChoice) -> Self {
        ReviewedChoice { session_id: c.session_id, rank: c.rank, gaps: c.gaps.into_iter().map(MasteryGap).collect() }
    }
}

#[Object]
impl ReviewedChoice {
    async fn session(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinSession>> {
        session(ctx, self.session_id).await
    }
    async fn rank(&self) -> i32 {
        self.rank
    }
    /// Focus competencies of the session where the student is below the mastered level.
    async fn gaps(&self) -> &[MasteryGap] {
        &self.gaps
    }
}

/// One student's choices, as their teacher reviews them.
pub struct WinChoiceReview {
    learner_id: i64,
    choices: Vec<ReviewedChoice>,
    decision: Option<WinReview>,
}

impl From<store::review::ChoiceReview> for WinChoiceReview {
    fn from(r: store::review::ChoiceReview) -> Self {
        WinChoiceReview {
            learner_id: r.learner_id,
            choices: r.choices.into_iter().map(ReviewedChoice::from).collect(),
            decision: r.decision.map(WinReview),
        }
    }
}

#[Object]
impl WinChoiceReview {
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
    async fn choices(&self) -> &[ReviewedChoice] {
        &self.choices
    }
    async fn decision(&self) -> Option<&WinReview> {
        self.decision.as_ref()
    }
}
