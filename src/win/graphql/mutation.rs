//! WIN's mutations, their inputs and payloads. Each parses its input, calls one function of
//! `win::store` and maps the result (errors a caller can fix become `userErrors`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Attendance, ChoiceShares, WinAssignment, WinBlock, WinDecision, WinMode, WinPreference, WinReview, WinSession,
    count, wl,
};
use crate::{
    auth::{Principal, Scope},
    error::AppResult,
    graphql::{
        context::{db, gql, loaders, needs, principal},
        relay::{Kind, decode_kind, global_id},
        user_errors::{UserError, into_user_errors},
    },
    roster::graphql::Learner,
    win::store::{
        self, AttendanceInput, BlockInput, SessionInput,
        blocks::{BlockChanges, SessionChanges},
    },
};

#[derive(InputObject)]
pub struct CreateWinBlockInput {
    pub school_sourced_id: String,
    /// Today or later, at the school.
    pub date: NaiveDate,
    /// Default: 20:00 the day before, in the school's time zone.
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
pub struct UpdateWinBlockInput {
    pub block_id: ID,
    /// A new date (today or later at the school); the deadline moves with it unless given.
    pub date: Option<NaiveDate>,
    pub choices_close_at: Option<DateTime<Utc>>,
    /// Can't go below a rank a student has already given.
    pub max_choices: Option<i32>,
}

#[derive(InputObject)]
pub struct DeleteWinBlockInput {
    pub block_id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteWinBlockPayload {
    /// The deleted block's id.
    pub deleted_block_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateWinSessionInput {
    pub session_id: ID,
    pub title: Option<String>,
    pub subject: Option<String>,
    /// An empty string clears the room.
    pub room: Option<String>,
    /// Not below the students placed in it.
    pub capacity: Option<i32>,
}

#[derive(InputObject)]
pub struct WithdrawWinSessionInput {
    pub session_id: ID,
}

#[derive(SimpleObject)]
pub struct WithdrawWinSessionPayload {
    /// The withdrawn session's id.
    pub withdrawn_session_id: Option<ID>,
    /// Students who had ranked it (their other choices moved up a rank).
    pub choices_removed: i32,
    /// Students who were placed in it: unplaced until placement runs again.
    pub placements_removed: i32,
    /// Teachers' decisions that named it, withdrawn.
    pub decisions_removed: i32,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ClearWinReviewInput {
    pub block_id: ID,
    pub learner_sourced_id: String,
}

#[derive(SimpleObject)]
pub struct ClearWinReviewPayload {
    /// Whether there was a decision to clear.
    pub cleared: bool,
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
    /// The student's choices as they now stand: the new ones, or when the submission is
    /// refused, those that still stand.
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

/// The principal of a WIN write, after dropping what this request's loaders cached (the
/// field's guard has checked `win.write`).
fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    let p = principal(ctx)?;
    wl(ctx)?.clear();
    Ok(p)
}

#[derive(Default)]
pub struct WinMutation;

#[Object]
impl WinMutation {
    /// Creates a school's WIN block on a date. Needs `win.write`; a school administrator or a
    /// tool.
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
                    mode: input.mode.into(),
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
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
        let block = decoded.as_ref().map(|(b, _)| *b).ok();
        let r = match decoded {
            Ok((b, sessions)) => store::submit_choices(db(ctx)?, p, b, &input.learner_sourced_id, sessions).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(c) => WinChoicesPayload { preferences: c.into_iter().map(WinPreference).collect(), user_errors: vec![] },
            Err(user_errors) => {
                let standing = match block {
                    Some(b) => gql(store::choices::standing(db(ctx)?, p, b, &input.learner_sourced_id).await)?,
                    None => vec![],
                };
                WinChoicesPayload { preferences: standing.into_iter().map(WinPreference).collect(), user_errors }
            }
        })
    }

    /// A teacher's decision on a student's choices: approve one, redirect the student to
    /// another session (with a note), or require attendance (which placement honours before
    /// any preference). Needs `win.write`; staff who see the student.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn review_win_choice(
        &self,
        ctx: &Context<'_>,
        input: ReviewWinChoiceInput,
    ) -> async_graphql::Result<WinReviewPayload> {
        let p = writer(ctx)?;
        let decoded = decode_kind(&input.block_id, Kind::WinBlock, "input.blockId")
            .and_then(|b| Ok((b, decode_kind(&input.session_id, Kind::WinSession, "input.sessionId")?)));
        let r = match decoded {
            Ok((b, s)) => {
                store::review(db(ctx)?, p, b, &input.learner_sourced_id, input.decision.into(), s, input.note).await
            }
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(m) => WinReviewPayload { review: Some(WinReview(m)), user_errors: vec![] },
            Err(user_errors) => WinReviewPayload { review: None, user_errors },
        })
    }

    /// Places every active student of the block's school in one session: requirements first,
    /// capacity never exceeded, then as many as possible in a highly ranked session, the
    /// largest mastery gaps first for a contested seat. Replaces an earlier run. Needs
    /// `win.write`; a school administrator or a tool.
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
                    choice_shares: Some(ChoiceShares::from(&s.choices)),
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
    #[graphql(guard = "needs(Scope::WinWrite)")]
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
            Ok(m) => WinAssignmentPayload { placement: Some(WinAssignment(m)), user_errors: vec![] },
            Err(user_errors) => WinAssignmentPayload { placement: None, user_errors },
        })
    }

    /// Records attendance (and a short note) for placed students of a block; all rows are
    /// checked before any is written. Needs `win.write`; staff who see the students.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn record_win_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordWinAttendanceInput,
    ) -> async_graphql::Result<WinAttendancePayload> {
        let p = writer(ctx)?;
        let rows = input
            .records
            .into_iter()
            .map(|r| AttendanceInput { learner: r.learner_sourced_id, attendance: r.attendance.into(), note: r.note })
            .collect();
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::record_attendance(db(ctx)?, p, b, rows).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(m) => {
                WinAttendancePayload { placements: m.into_iter().map(WinAssignment).collect(), user_errors: vec![] }
            }
            Err(user_errors) => WinAttendancePayload { placements: vec![], user_errors },
        })
    }

    /// Changes a block's date, deadline or most choices; refused once attendance has been
    /// recorded. Needs `win.write`; a school administrator or a tool.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn update_win_block(
        &self,
        ctx: &Context<'_>,
        input: UpdateWinBlockInput,
    ) -> async_graphql::Result<WinBlockPayload> {
        let p = writer(ctx)?;
        let changes =
            BlockChanges { date: input.date, choices_close_at: input.choices_close_at, max_choices: input.max_choices };
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::blocks::update_block(db(ctx)?, p, b, changes).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(b) => WinBlockPayload { block: Some(WinBlock(b)), user_errors: vec![] },
            Err(user_errors) => WinBlockPayload { block: None, user_errors },
        })
    }

    /// Deletes a block with its sessions, choices, decisions and placements; refused once
    /// attendance has been recorded for it. Needs `win.write`; a school administrator or a
    /// tool.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn delete_win_block(
        &self,
        ctx: &Context<'_>,
        input: DeleteWinBlockInput,
    ) -> async_graphql::Result<DeleteWinBlockPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::blocks::delete_block(db(ctx)?, p, b).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(b) => {
                DeleteWinBlockPayload { deleted_block_id: Some(global_id(Kind::WinBlock, b.id)), user_errors: vec![] }
            }
            Err(user_errors) => DeleteWinBlockPayload { deleted_block_id: None, user_errors },
        })
    }

    /// Changes a session's title, subject, room or capacity. Needs `win.write`; a teacher
    /// changes the sessions they teach.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn update_win_session(
        &self,
        ctx: &Context<'_>,
        input: UpdateWinSessionInput,
    ) -> async_graphql::Result<WinSessionPayload> {
        let p = writer(ctx)?;
        let changes = SessionChanges {
            title: input.title,
            subject: input.subject,
            room: input.room.map(|r| Some(r).filter(|r| !r.trim().is_empty())),
            capacity: input.capacity,
        };
        let r = match decode_kind(&input.session_id, Kind::WinSession, "input.sessionId") {
            Ok(s) => store::blocks::update_session(db(ctx)?, p, s, changes).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(s) => WinSessionPayload { session: Some(WinSession(s)), user_errors: vec![] },
            Err(user_errors) => WinSessionPayload { session: None, user_errors },
        })
    }

    /// Withdraws a session: students who ranked it keep their other choices (moved up a
    /// rank), decisions naming it are withdrawn, students placed in it are unplaced and the
    /// block's placement is outdated until it runs again. Refused once attendance has been
    /// recorded in it. Needs `win.write`; a teacher withdraws the sessions they teach.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn withdraw_win_session(
        &self,
        ctx: &Context<'_>,
        input: WithdrawWinSessionInput,
    ) -> async_graphql::Result<WithdrawWinSessionPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.session_id, Kind::WinSession, "input.sessionId") {
            Ok(s) => store::blocks::withdraw_session(db(ctx)?, p, s).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(w) => WithdrawWinSessionPayload {
                withdrawn_session_id: Some(global_id(Kind::WinSession, w.session.id)),
                choices_removed: count(w.choices_removed),
                placements_removed: count(w.placements_removed),
                decisions_removed: count(w.decisions_removed),
                user_errors: vec![],
            },
            Err(user_errors) => WithdrawWinSessionPayload {
                withdrawn_session_id: None,
                choices_removed: 0,
                placements_removed: 0,
                decisions_removed: 0,
                user_errors,
            },
        })
    }

    /// Withdraws a teacher's decision on a student's choices (the student's own choices
    /// count again). Needs `win.write`; staff who see the student in the block.
    #[graphql(guard = "needs(Scope::WinWrite)")]
    async fn clear_win_review(
        &self,
        ctx: &Context<'_>,
        input: ClearWinReviewInput,
    ) -> async_graphql::Result<ClearWinReviewPayload> {
        let p = writer(ctx)?;
        let r = match decode_kind(&input.block_id, Kind::WinBlock, "input.blockId") {
            Ok(b) => store::review::clear_review(db(ctx)?, p, b, &input.learner_sourced_id).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(r)? {
            Ok(cleared) => ClearWinReviewPayload { cleared, user_errors: vec![] },
            Err(user_errors) => ClearWinReviewPayload { cleared: false, user_errors },
        })
    }
}
