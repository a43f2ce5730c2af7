//! WIN's service layer: blocks and their sessions ([`blocks`]), students' ranked choices
//! ([`choices`]), teachers' decisions on them ([`review`]), placement runs ([`run`]),
//! adjustments and attendance ([`attendance`]) and the school summary ([`summary`]). Every
//! public function takes the principal: blocks are visible in the caller's schools, students
//! by the roster's rules, learners of a block by `policy::win::learner_view`. Authorization
//! decisions are the policy's (`auth::policy::win`); functions that hand back learner-bearing
//! rows note those learners on the principal's audit trail.

pub mod attendance;
pub mod blocks;
pub mod choices;
pub mod review;
pub mod run;
pub mod summary;

use std::collections::{HashMap, HashSet};

use entity::{Status, org, user, win_assignment, win_block, win_choice, win_session, win_session_invite};
pub use entity::{
    win_assignment::{Attendance, PlacementSource},
    win_review::WinDecision,
    win_session::WinMode,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Expr, Query, SelectStatement},
};

pub use self::{
    attendance::{AttendanceInput, adjust, record_attendance},
    blocks::{BlockInput, SessionInput, create_block, create_session, list_blocks, repeat_block},
    choices::submit_choices,
    review::{BlockFacts, Gap, review},
    run::{RunSummary, run_placement},
    summary::{Summary, summary},
};
use crate::{
    auth::{Principal, policy::owned_by_granted_org},
    error::{AppError, AppResult},
    roster::store::{self as roster, Key, OrgType, Role, Sync},
};

/// Most sessions a student may rank, whatever a block allows.
pub const MAX_CHOICES: i32 = 10;
/// Most seats one session may have.
pub const MAX_CAPACITY: i32 = 500;

/// Blocks of the caller's schools.
fn blocks(p: &Principal) -> Select<win_block::Entity> {
    win_block::Entity::find().filter(owned_by_granted_org(p, (win_block::Entity, win_block::Column::OrgId)))
}

/// Ids of the blocks of the caller's schools, as a subquery.
fn block_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(win_block::Column::Id)
        .from(win_block::Entity)
        .cond_where(owned_by_granted_org(p, (win_block::Entity, win_block::Column::OrgId)))
        .to_owned()
}

/// A block of the caller's schools.
#[tracing::instrument(skip_all, fields(block = id))]
pub async fn find_block(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<win_block::Model>> {
    Ok(blocks(p).filter(win_block::Column::Id.eq(id)).one(db).await?)
}

/// A block of the caller's schools, or not found (on `input.blockId`).
async fn block(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<win_block::Model> {
    find_block(db, p, id)
        .await?
        .ok_or_else(|| AppError::not_found_at("input.blockId", "no WIN block with this id among your schools"))
}

/// A session of a block of the caller's schools.
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn find_session(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<win_session::Model>> {
    Ok(win_session::Entity::find_by_id(id)
        .filter(win_session::Column::BlockId.in_subquery(block_ids(p)))
        .one(db)
        .await?)
}

/// A placement the caller may see (a learner they see, in a block of their schools), for a
/// node lookup.
#[tracing::instrument(skip_all, fields(assignment = id))]
pub async fn find_assignment(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<win_assignment::Model>> {
    let a = win_assignment::Entity::find_by_id(id)
        .filter(crate::auth::policy::win::learner_view(p).condition(
            Expr::col((win_assignment::Entity, win_assignment::Column::LearnerId)),
            Expr::col((win_assignment::Entity, win_assignment::Column::BlockId)),
        ))
        .filter(win_assignment::Column::BlockId.in_subquery(block_ids(p)))
        .one(db)
        .await?;
    p.reveal(a.iter().map(|a| a.learner_id));
    Ok(a)
}

/// A school of the caller's by sourcedId.
async fn school(db: &impl ConnectionTrait, p: &Principal, field: &str, sid: &str) -> AppResult<org::Model> {
    roster::find_org(db, p, Key::Sourced(sid))
        .await?
        .filter(|o| o.org_type == OrgType::School && p.owns_org(o.id) && o.status == Status::Active)
        .ok_or_else(|| AppError::not_found_at(field, format!("no school `{sid}` among yours")))
}

/// Active students of a school the principal may see, by sourcedId.
async fn students_by_sid(
    db: &impl ConnectionTrait,
    p: &Principal,
    school: i64,
    sids: &[String],
) -> AppResult<HashMap<String, user::Model>> {
    let mut out = HashMap::new();
    for chunk in sids.chunks(500) {
        for u in roster::users(p, &[Role::Student], Some(school), None, None, Sync::default())
            .filter(user::Column::SourcedId.is_in(chunk.iter().map(String::as_str)))
            .all(db)
            .await?
        {
            out.insert(u.sourced_id.clone(), u);
        }
    }
    Ok(out)
}

/// Active students of the block's school whom the caller sees in this block, by sourcedId:
/// any of the school's for its administrators and tools, themself for a student, and for a
/// teacher the students of their classes and those placed in or choosing their sessions of
/// this block (`policy::win::LearnerView`).
async fn block_students(
    db: &impl ConnectionTrait,
    p: &Principal,
    b: &win_block::Model,
    sids: &[String],
) -> AppResult<HashMap<String, user::Model>> {
    let mut out = HashMap::new();
    for chunk in sids.chunks(500) {
        for u in block_students_query(p, b)
            .filter(user::Column::SourcedId.is_in(chunk.iter().map(String::as_str)))
            .all(db)
            .await?
        {
            out.insert(u.sourced_id.clone(), u);
        }
    }
    Ok(out)
}

/// Active students of the block's school whom the caller sees in this block. The block is of
/// the caller's schools (it was read through `blocks`), so the view alone decides which of the
/// school's students the caller sees.
fn block_students_query(p: &Principal, b: &win_block::Model) -> Select<user::Entity> {
    let view = crate::auth::policy::win::learner_view(p);
    user::Entity::find()
        .filter(user::Column::Role.eq(Role::Student))
        .filter(user::Column::Status.eq(Status::Active))
        .filter(user::Column::Id.in_subquery(school_members(b.org_id)))
        .filter(view.condition(Expr::col((user::Entity, user::Column::Id)), Expr::val(b.id)))
}

/// Ids of the users of a school, as a subquery.
fn school_members(school: i64) -> SelectStatement {
    Query::select()
        .column(entity::user_org::Column::UserId)
        .from(entity::user_org::Entity)
        .and_where(entity::user_org::Column::OrgId.eq(school))
        .to_owned()
}

/// One student the caller sees in the block (see [`block_students`]), or not found on `field`.
async fn student(
    db: &impl ConnectionTrait,
    p: &Principal,
    b: &win_block::Model,
    field: &str,
    sid: &str,
) -> AppResult<user::Model> {
    block_students(db, p, b, &[sid.to_owned()]).await?.remove(sid).ok_or_else(|| unknown_student(field, sid))
}

/// The answer for a student who does not exist or whom the caller may not see (the same).
fn unknown_student(field: &str, sid: &str) -> AppError {
    AppError::not_found_at(field, format!("no student `{sid}` of this school among those you may see"))
}

/// A session of the block, or not found on `input.sessionId`.
async fn block_session(db: &impl ConnectionTrait, block: i64, id: i64) -> AppResult<win_session::Model> {
    win_session::Entity::find_by_id(id)
        .filter(win_session::Column::BlockId.eq(block))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found_at("input.sessionId", "no session with this id in the block"))
}

/// Whether the student is on the session's invitation list.
async fn invited(db: &impl ConnectionTrait, session: i64, learner: i64) -> AppResult<bool> {
    Ok(win_session_invite::Entity::find()
        .filter(win_session_invite::Column::SessionId.eq(session))
        .filter(win_session_invite::Column::LearnerId.eq(learner))
        .count(db)
        .await?
        > 0)
}

/// The student's own choice of the session in the block, if they ranked it.
async fn own_choice(
    db: &impl ConnectionTrait,
    block: i64,
    learner: i64,
    session: i64,
) -> AppResult<Option<win_choice::Model>> {
    Ok(win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(block))
        .filter(win_choice::Column::LearnerId.eq(learner))
        .filter(win_choice::Column::SessionId.eq(session))
        .one(db)
        .await?)
}

/// Students' choices or their teachers' decisions changed: once placement has run, their
/// placements and the block's no longer stand until placement runs again.
async fn placement_changed(db: &impl ConnectionTrait, b: &win_block::Model, learners: &[i64]) -> AppResult<()> {
    if b.placed_at.is_none() || learners.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    win_assignment::Entity::update_many()
        .col_expr(win_assignment::Column::Outdated, Expr::value(true))
        .col_expr(win_assignment::Column::DateLastModified, Expr::value(now))
        .filter(win_assignment::Column::BlockId.eq(b.id))
        .filter(win_assignment::Column::LearnerId.is_in(learners.iter().copied()))
        .exec(db)
        .await?;
    win_block::Entity::update_many()
        .col_expr(win_block::Column::PlacementOutdated, Expr::value(true))
        .col_expr(win_block::Column::DateLastModified, Expr::value(now))
        .filter(win_block::Column::Id.eq(b.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Which of these learners a teacher teaches (in an active class of theirs).
pub(crate) async fn taught_among(db: &impl ConnectionTrait, teacher: i64, learners: &[i64]) -> AppResult<HashSet<i64>> {
    Ok(entity::enrollment::Entity::find()
        .select_only()
        .column(entity::enrollment::Column::UserId)
        .filter(entity::enrollment::Column::UserId.is_in(learners.iter().copied()))
        .filter(entity::enrollment::Column::UserId.in_subquery(crate::auth::policy::win::students_taught_by(teacher)))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Refuses a teacher acting on placements (attendance, moves) of students she neither teaches
/// nor has in one of her sessions: seeing a student who chose her session is not running
/// their placement elsewhere. `placements` are `(learner, session)`.
async fn require_placements_of(db: &impl ConnectionTrait, p: &Principal, placements: &[(i64, i64)]) -> AppResult<()> {
    let crate::auth::policy::win::LearnerView::TaughtBy(t) = crate::auth::policy::win::learner_view(p) else {
        return Ok(());
    };
    let sessions: HashSet<i64> = win_session::Entity::find()
        .filter(win_session::Column::Id.is_in(placements.iter().map(|(_, s)| *s)))
        .filter(win_session::Column::TeacherId.eq(t))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let learners: Vec<i64> = placements.iter().map(|(l, _)| *l).collect();
    let taught = taught_among(db, t, &learners).await?;
    crate::auth::policy::win::may_run_placements(
        placements.iter().map(|(l, s)| sessions.contains(s) || taught.contains(l)),
    )
}

/// How text shown to students names the caller: a person by name, a tool as the school.
async fn actor_name(db: &impl ConnectionTrait, p: &Principal) -> AppResult<String> {
    Ok(match &p.actor {
        crate::auth::Actor::User { user_id, sourced_id, .. } => user::Entity::find_by_id(*user_id)
            .one(db)
            .await?
            .map_or_else(|| sourced_id.clone(), |u| format!("{} {}", u.given_name, u.family_name)),
        _ => "your school".to_owned(),
    })
}

/// A batched read's failure (a loader shares one error among its callers, so its cause is
/// carried as text).
pub(crate) fn loader_error(e: async_graphql::Error) -> AppError {
    AppError::Server(anyhow::anyhow!(e.message))
}
