//! GraphQL types, queries and mutations of "What I Need" (WIN) sessions. Reading needs
//! `win.read`, changing needs `win.write`; students see and choose for themselves, teachers see
//! their students, school administrators and tools their schools.

use std::collections::HashSet;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{win_assignment, win_block, win_choice, win_review, win_session};

use super::{
    loaders::WinLoaders,
    store::{self, Attendance, AttendanceInput, BlockInput, PlacementSource, SessionInput, WinDecision, WinMode},
};
use crate::{
    auth::{People, Principal, Scope},
    competencies::graphql::Competency,
    error::AppResult,
    graphql::{
        context::{db, gql, loaders, needs, principal, require},
        node::Node,
        relay::{Kind, decode_kind, global_id},
        user_errors::{UserError, into_user_errors},
    },
    roster::graphql::{Educator, Learner, School},
};

pub(crate) fn wl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a WinLoaders> {
    ctx.data::<WinLoaders>()
}

/// Which learners of a visible block the caller may see: everyone for staff and tools of the
/// school, themself for a student, their students for a teacher.
async fn learner_filter(ctx: &Context<'_>) -> async_graphql::Result<Box<dyn Fn(i64) -> bool + Send + Sync>> {
    Ok(match principal(ctx)?.people {
        People::All => Box::new(|_| true),
        People::Only(me) => Box::new(move |id| id == me),
        People::Taught(t) => {
            let taught: HashSet<i64> = wl(ctx)?.taught.load_one(t).await?.unwrap_or_default().into_iter().collect();
            Box::new(move |id| taught.contains(&id))
        }
    })
}

async fn learner(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Learner>> {
    Ok(loaders(ctx)?.users.load_one(id).await?.map(Learner))
}

async fn session(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<WinSession>> {
    Ok(wl(ctx)?.session.load_one(id).await?.map(WinSession))
}

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
        let see = learner_filter(ctx).await?;
        let rows = wl(ctx)?.choices.load_one(self.0.id).await?.unwrap_or_default();
        let rows: Vec<_> = rows.into_iter().filter(|c| see(c.learner_id)).collect();
        crate::audit::note(ctx, rows.iter().map(|c| c.learner_id));
        Ok(rows.into_iter().map(WinPreference).collect())
    }
    /// For each student the caller may see who chose or was decided on: their choices with the
    /// mastery gaps bearing on each (focus competencies below the mastered level), and the
    /// teacher's decision. What a teacher reviews before placement. Needs `win.read`; meant for
    /// one block at a time (each block reads its students' mastery).
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn choice_review(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinChoiceReview>> {
        let see = learner_filter(ctx).await?;
        let l = wl(ctx)?;
        let choices: Vec<win_choice::Model> = l
            .choices
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|c| see(c.learner_id))
            .collect();
        let reviews: Vec<win_review::Model> = l
            .reviews
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|r| see(r.learner_id))
            .collect();
        let mut learners: Vec<i64> =
            choices.iter().map(|c| c.learner_id).chain(reviews.iter().map(|r| r.learner_id)).collect();
        learners.sort_unstable();
        learners.dedup();
        crate::audit::note(ctx, learners.iter().copied());
        let facts = gql(store::facts(db(ctx)?, self.0.id, &learners).await)?;
        Ok(learners
            .into_iter()
            .map(|id| WinChoiceReview {
                learner_id: id,
                choices: choices
                    .iter()
                    .filter(|c| c.learner_id == id)
                    .map(|c| ReviewedChoice {
                        session_id: c.session_id,
                        rank: c.rank,
                        gaps: facts
                            .gaps_of(id, c.session_id)
                            .into_iter()
                            .filter(|g| g.size() > 0.0)
                            .map(|g| MasteryGap {
                                competency_id: g.competency_id,
                                value: g.value,
                                threshold: g.threshold,
                            })
                            .collect(),
                    })
                    .collect(),
                decision: reviews.iter().find(|r| r.learner_id == id).cloned().map(WinReview),
            })
            .collect())
    }
    /// Where the students the caller may see are placed. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinAssignment>> {
        let see = learner_filter(ctx).await?;
        let rows = wl(ctx)?.placements.load_one(self.0.id).await?.unwrap_or_default();
        let rows: Vec<_> = rows.into_iter().filter(|a| see(a.learner_id)).collect();
        crate::audit::note(ctx, rows.iter().map(|a| a.learner_id));
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
        WinMode::parse(&self.0.mode)
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
        Ok(wl(ctx)?.focus.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(Competency).collect())
    }
    /// Students placed in it (all of them, whoever asks).
    async fn seats_taken(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = wl(ctx)?.session_placements.load_one(self.0.id).await?.map_or(0, |v| v.len());
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Placements in it of the students the caller may see. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn placements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WinAssignment>> {
        let see = learner_filter(ctx).await?;
        let rows = wl(ctx)?.session_placements.load_one(self.0.id).await?.unwrap_or_default();
        let rows: Vec<_> = rows.into_iter().filter(|a| see(a.learner_id)).collect();
        crate::audit::note(ctx, rows.iter().map(|a| a.learner_id));
        Ok(rows.into_iter().map(WinAssignment).collect())
    }
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WinBlock>> {
        Ok(wl(ctx)?.block.load_one(self.0.block_id).await?.map(WinBlock))
    }
}

/// One ranked choice of a student.
pub struct WinPreference(pub win_choice::Model);

#[Object]
impl WinPreference {
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.0.learner_id).await
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
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.0.learner_id).await
    }
    async fn decision(&self) -> WinDecision {
        WinDecision::parse(&self.0.decision)
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
pub struct MasteryGap {
    competency_id: i64,
    value: Option<f64>,
    threshold: f64,
}

#[Object]
impl MasteryGap {
    async fn competency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Competency>> {
        Ok(crate::progress::graphql::prl(ctx)?.competencies.load_one(self.competency_id).await?.map(Competency))
    }
    /// The student's mastery (0 to 1); null when there is no evidence yet.
    async fn value(&self) -> Option<f64> {
        self.value
    }
    /// The value that counts as mastered.
    async fn mastered_at(&self) -> f64 {
        self.threshold
    }
}

/// A student's choice with the gaps bearing on it.
pub struct ReviewedChoice {
    session_id: i64,
    rank: i32,
    gaps: Vec<MasteryGap>,
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

#[Object]
impl WinChoiceReview {
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        learner(ctx, self.learner_id).await
    }
    async fn choices(&self) -> &[ReviewedChoice] {
        &self.choices
    }
    async fn decision(&self) -> Option<&WinReview> {
        self.decision.as_ref()
    }
}

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
        PlacementSource::parse(&self.0.source)
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
        self.0.attendance.as_deref().and_then(Attendance::parse)
    }
    async fn outcome_note(&self) -> Option<&str> {
        self.0.outcome_note.as_deref()
    }
}

/// A learner's WIN history, newest block first, for `Learner.winHistory`.
pub async fn history_of(ctx: &Context<'_>, learner_id: i64) -> async_graphql::Result<Vec<WinAssignment>> {
    let p = principal(ctx)?;
    let l = wl(ctx)?;
    let rows = l.history.load_one(learner_id).await?.unwrap_or_default();
    let blocks = l.block.load_many(rows.iter().map(|a| a.block_id)).await?;
    let mut rows: Vec<(NaiveDate, win_assignment::Model)> = rows
        .into_iter()
        .filter_map(|a| blocks.get(&a.block_id).filter(|b| p.owns_org(b.org_id)).map(|b| (b.block_date, a)))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    Ok(rows.into_iter().map(|(_, a)| WinAssignment(a)).collect())
}

pub async fn resolve_node(
    p: &Principal,
    db: &sea_orm::DatabaseConnection,
    kind: Kind,
    id: i64,
) -> AppResult<Option<Node>> {
    if !p.has(Scope::WinRead) {
        return Ok(None);
    }
    Ok(match kind {
        Kind::WinBlock => store::find_block(db, p, id).await?.map(|b| Node::WinBlock(WinBlock(b))),
        Kind::WinSession => store::find_session(db, p, id).await?.map(|s| Node::WinSession(WinSession(s))),
        Kind::WinAssignment => {
            use sea_orm::{ColumnTrait, QueryFilter};
            store::assignments(p)
                .filter(win_assignment::Column::Id.eq(id))
                .one(db)
                .await?
                .map(|a| Node::WinAssignment(WinAssignment(a)))
        }
        _ => None,
    })
}

/// Students placed in their first, second and third choices, as shares of those placed.
#[derive(SimpleObject)]
pub struct ChoiceShares {
    pub first: f64,
    pub second: f64,
    pub third: f64,
}

fn shares(by_rank: &[usize], placed: usize) -> ChoiceShares {
    let share = |i: usize| if placed == 0 { 0.0 } else { by_rank.get(i).copied().unwrap_or(0) as f64 / placed as f64 };
    ChoiceShares { first: share(0), second: share(1), third: share(2) }
}

/// A student absent from WIN again and again.
pub struct AbsentLearner {
    learner_id: i64,
    absences: i32,
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

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct WinQuery;

#[Object]
impl WinQuery {
    /// A school's WIN blocks between two dates (inclusive), by date; at most 200. Needs
    /// `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_blocks(
        &self,
        ctx: &Context<'_>,
        school_sourced_id: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<WinBlock>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let Some(school) =
            gql(crate::roster::store::find_org(db, p, crate::roster::store::Key::Sourced(&school_sourced_id)).await)?
                .filter(|o| p.owns_org(o.id))
        else {
            return Ok(vec![]);
        };
        let mut q = store::blocks(p).filter(win_block::Column::OrgId.eq(school.id));
        if let Some(f) = from {
            q = q.filter(win_block::Column::BlockDate.gte(f));
        }
        if let Some(t) = to {
            q = q.filter(win_block::Column::BlockDate.lte(t));
        }
        let rows =
            q.order_by_asc(win_block::Column::BlockDate).limit(200).all(db).await.map_err(crate::error::db_error)?;
        let _ = win_block::Entity::find;
        Ok(rows.into_iter().map(WinBlock).collect())
    }

    /// A school's WIN between two dates: the share of students placed in their first,
    /// second and third choices, seats offered and used, and students repeatedly absent.
    /// Needs `win.read`; for staff and tools.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_summary(
        &self,
        ctx: &Context<'_>,
        school_sourced_id: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<WinSummary> {
        let s = gql(store::summary(db(ctx)?, principal(ctx)?, &school_sourced_id, from, to).await)?;
        crate::audit::note(ctx, s.repeatedly_absent.iter().map(|a| a.0));
        Ok(WinSummary {
            blocks: count(s.blocks),
            placed: count(s.placed),
            choice_shares: shares(&s.by_rank, s.placed),
            seats: i32::try_from(s.seats).unwrap_or(i32::MAX),
            seats_used: count(s.seats_used),
            repeatedly_absent: s
                .repeatedly_absent
                .into_iter()
                .map(|(l, n)| AbsentLearner { learner_id: l, absences: count(n) })
                .collect(),
        })
    }
}

#[derive(InputObject)]
pub struct CreateWinBlockInput {
    pub school_sourced_id: String,
    pub date: NaiveDate,
    /// Default: 20:00 UTC the day before.
    pub choices_close_at: Option<DateTime<Utc>>,
    /// How many sessions a student may rank (1 to 10, default 3).
    pub max_choices: Option<i32>,
}

#[derive(SimpleObject)]
pub struct WinBlockPayload {
    pub block: Option<WinBlock>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RepeatWinBlockInput {
    /// The block to copy, with its sessions.
    pub template_block_id: ID,
    /// Copies go to the same weekday of every later week of this term.
    pub term_sourced_id: String,
}

#[derive(SimpleObject)]
pub struct RepeatWinBlockPayload {
    /// The blocks created (weeks that had a block already are skipped).
    pub blocks: Vec<WinBlock>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateWinSessionInput {
    pub block_id: ID,
    pub title: String,
    pub subject: String,
    pub mode: WinMode,
    pub room: Option<String>,
    /// Seats (1 to 500); a one-on-one session has 1.
    pub capacity: Option<i32>,
    /// The teacher offering it; default: the signed-in teacher.
    pub teacher_sourced_id: Option<String>,
    /// CASE identifiers of the competencies it works on.
    #[graphql(default)]
    pub focus_competency_ids: Vec<String>,
    /// When given, only these students may choose it or be placed in it.
    pub invited_learner_sourced_ids: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub struct WinSessionPayload {
    pub session: Option<WinSession>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SubmitWinChoicesInput {
    pub block_id: ID,
    pub learner_sourced_id: String,
    /// Sessions in order of preference, first choice first; empty withdraws every choice.
    pub session_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct WinChoicesPayload {
    pub preferences: Vec<WinPreference>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ReviewWinChoiceInput {
    pub block_id: ID,
    pub learner_sourced_id: String,
    pub decision: WinDecision,
    /// The session approved (one of the student's choices), redirected to, or required.
    pub session_id: ID,
    /// Required when redirecting: the student sees it.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct WinReviewPayload {
    pub review: Option<WinReview>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RunWinPlacementInput {
    pub block_id: ID,
}

#[derive(SimpleObject)]
pub struct WinPlacementPayload {
    pub block: Option<WinBlock>,
    /// Active students of the school.
    pub students: i32,
    pub placed: i32,
    /// Students for whom no seat they may take was left.
    pub unplaced: Vec<Learner>,
    pub choice_shares: Option<ChoiceShares>,
    /// The placement's objective value (lower is better; see the README).
    pub objective: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AdjustWinPlacementInput {
    pub block_id: ID,
    pub learner_sourced_id: String,
    pub session_id: ID,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct WinAssignmentPayload {
    pub placement: Option<WinAssignment>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct WinAttendanceRecordInput {
    pub learner_sourced_id: String,
    pub attendance: Attendance,
    /// A short note on how it went.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RecordWinAttendanceInput {
    pub block_id: ID,
    pub records: Vec<WinAttendanceRecordInput>,
}

#[derive(SimpleObject)]
pub struct WinAttendancePayload {
    pub placements: Vec<WinAssignment>,
    pub user_errors: Vec<UserError>,
}

/// The principal of a WIN write, after dropping what this request's loaders cached.
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    let p = require(ctx, Scope::WinWrite)?;
    wl(ctx)?.clear();
    Ok(p)
}

#[derive(Default)]
pub struct WinMutation;

#[Object]
impl WinMutation {
    /// Creates a school's WIN block on a date. Needs `win.write`; a school administrator or a
    /// tool.
    async fn create_win_block(
        &self,
        ctx: &Context<'_>,
        input: CreateWinBlockInput,
    ) -> async_graphql::Result<WinBlockPayload> {
        let p = writer(ctx)?;
        let r = store::create_block(
            db(ctx)?,
            p,
            BlockInput {
                school: input.school_sourced_id,
                date: input.date,
                choices_close_at: input.choices_close_at,
                max_choices: input.max_choices,
            },
        )
        .await;
        Ok(match into_user_errors(r)? {
            Ok(b) => WinBlockPayload { block: Some(WinBlock(b)), user_errors: vec![] },
            Err(user_errors) => WinBlockPayload { block: None, user_errors },
        })
    }

    /// Copies a block and its sessions to the same weekday of every later week of a term.
    /// Needs `win.write`; a school administrator or a tool.
    async fn repeat_win_block(
        &self,
        ctx: &Context<'_>,
        input: RepeatWinBlockInput,
    ) -> async_graphql::Result<RepeatWinBlockPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.template_block_id, Kind::WinBlock, "input.templateBlockId") {
            Ok(id) => store::repeat_block(db(ctx)?, p, id, &input.term_sourced_id).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(b) => RepeatWinBlockPayload { blocks: b.into_iter().map(WinBlock).collect(), user_errors: vec![] },
            Err(user_errors) => RepeatWinBlockPayload { blocks: vec![], user_errors },
        })
    }

    /// Offers a session in a block. Needs `win.write`; a teacher offers their own.
    async fn create_win_session(
        &self,
        ctx: &Context<'_>,
        input: CreateWinSessionInput,
    ) -> async_graphql::Result<WinSessionPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(block) => {
                let s = SessionInput {
                    block,
                    title: input.title,
                    subject: input.subject,
                    mode: input.mode,
                    room: input.room.filter(|r| !r.trim().is_empty()),
                    capacity: input.capacity,
                    teacher: input.teacher_sourced_id,
                    competencies: input.focus_competency_ids,
                    invited: input.invited_learner_sourced_ids,
                };
                store::create_session(db(ctx)?, p, s).await
            }
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(s) => WinSessionPayload { session: Some(WinSession(s)), user_errors: vec![] },
            Err(user_errors) => WinSessionPayload { session: None, user_errors },
        })
    }

    /// Replaces a student's ranked choices for a block; refused (nothing changed) once choices
    /// have closed. Needs `win.write`: the student themself, or a tool.
    async fn submit_win_choices(
        &self,
        ctx: &Context<'_>,
        input: SubmitWinChoicesInput,
    ) -> async_graphql::Result<WinChoicesPayload> {
        let p = writer(ctx)?;
        let decoded = decode_kind(&input.block_id, Kind::WinBlock, "input.blockId").and_then(|b| {
            let sessions = input
                .session_ids
                .iter()
                .enumerate()
                .map(|(i, s)| decode_kind(s, Kind::WinSession, &format!("input.sessionIds.{i}")))
                .collect::<AppResult<Vec<i64>>>()?;
            Ok((b, sessions))
        });
        let r = match decoded {
            Ok((b, sessions)) => store::submit_choices(db(ctx)?, p, b, &input.learner_sourced_id, sessions).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(c) => {
                crate::audit::note(ctx, c.iter().map(|c| c.learner_id));
                WinChoicesPayload { preferences: c.into_iter().map(WinPreference).collect(), user_errors: vec![] }
            }
            Err(user_errors) => WinChoicesPayload { preferences: vec![], user_errors },
        })
    }

    /// A teacher's decision on a student's choices: approve one, redirect the student to
    /// another session (with a note), or require attendance (which placement honours before
    /// any preference). Needs `win.write`; staff who see the student.
    async fn review_win_choice(
        &self,
        ctx: &Context<'_>,
        input: ReviewWinChoiceInput,
    ) -> async_graphql::Result<WinReviewPayload> {
        let p = writer(ctx)?;
        let decoded = decode_kind(&input.block_id, Kind::WinBlock, "input.blockId")
            .and_then(|b| Ok((b, decode_kind(&input.session_id, Kind::WinSession, "input.sessionId")?)));
        let r = match decoded {
            Ok((b, s)) => store::review(db(ctx)?, p, b, &input.learner_sourced_id, input.decision, s, input.note).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(m) => {
                crate::audit::note(ctx, [m.learner_id]);
                WinReviewPayload { review: Some(WinReview(m)), user_errors: vec![] }
            }
            Err(user_errors) => WinReviewPayload { review: None, user_errors },
        })
    }

    /// Places every active student of the block's school in one session: requirements first,
    /// capacity never exceeded, then as many as possible in a highly ranked session, the
    /// largest mastery gaps first for a contested seat. Replaces an earlier run. Needs
    /// `win.write`; a school administrator or a tool.
    async fn run_win_placement(
        &self,
        ctx: &Context<'_>,
        input: RunWinPlacementInput,
    ) -> async_graphql::Result<WinPlacementPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::run_placement(db(ctx)?, p, b).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(s) => {
                let users = loaders(ctx)?.users.load_many(s.unplaced.iter().copied()).await?;
                WinPlacementPayload {
                    block: Some(WinBlock(s.block)),
                    students: count(s.students),
                    placed: count(s.placed),
                    unplaced: s.unplaced.iter().filter_map(|u| users.get(u).cloned()).map(Learner).collect(),
                    choice_shares: Some(shares(&s.by_rank, s.placed)),
                    objective: Some(s.objective.to_string()),
                    user_errors: vec![],
                }
            }
            Err(user_errors) => WinPlacementPayload {
                block: None,
                students: 0,
                placed: 0,
                unplaced: vec![],
                choice_shares: None,
                objective: None,
                user_errors,
            },
        })
    }

    /// Moves a placed student to another session of the block, within its capacity. Needs
    /// `win.write`; staff who see the student.
    async fn adjust_win_placement(
        &self,
        ctx: &Context<'_>,
        input: AdjustWinPlacementInput,
    ) -> async_graphql::Result<WinAssignmentPayload> {
        let p = writer(ctx)?;
        let decoded = decode_kind(&input.block_id, Kind::WinBlock, "input.blockId")
            .and_then(|b| Ok((b, decode_kind(&input.session_id, Kind::WinSession, "input.sessionId")?)));
        let r = match decoded {
            Ok((b, s)) => store::adjust(db(ctx)?, p, b, &input.learner_sourced_id, s, input.note).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(m) => {
                crate::audit::note(ctx, [m.learner_id]);
                WinAssignmentPayload { placement: Some(WinAssignment(m)), user_errors: vec![] }
            }
            Err(user_errors) => WinAssignmentPayload { placement: None, user_errors },
        })
    }

    /// Records attendance (and a short note) for placed students of a block; all rows are
    /// checked before any is written. Needs `win.write`; staff who see the students.
    async fn record_win_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordWinAttendanceInput,
    ) -> async_graphql::Result<WinAttendancePayload> {
        let p = writer(ctx)?;
        let rows = input
            .records
            .into_iter()
            .map(|r| AttendanceInput { learner: r.learner_sourced_id, attendance: r.attendance, note: r.note })
            .collect();
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::record_attendance(db(ctx)?, p, b, rows).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(m) => {
                crate::audit::note(ctx, m.iter().map(|a| a.learner_id));
                WinAttendancePayload { placements: m.into_iter().map(WinAssignment).collect(), user_errors: vec![] }
            }
            Err(user_errors) => WinAttendancePayload { placements: vec![], user_errors },
        })
    }
}
