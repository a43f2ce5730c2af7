//! Blocks and the sessions offered in them: creating a block, offering a session, repeating a
//! block weekly through a term, and listing a school's blocks.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use entity::{
    Status, academic_session, user, user_org, win_assignment, win_block, win_choice, win_review, win_session,
    win_session_competency, win_session_invite,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::{MAX_CAPACITY, MAX_CHOICES, WinMode, block, blocks, school, students_by_sid};
use crate::{
    auth::{Principal, policy::win as policy},
    error::{AppError, AppResult, OnConstraint},
    roster::store::{self as roster, Key, Role, Tz, check_len, today_in, zone::local_instant, zone_of},
};

/// A block as a caller describes it.
pub struct BlockInput {
    pub school: String,
    pub date: NaiveDate,
    /// Default: the day before, at 20:00 in the school's time zone.
    pub choices_close_at: Option<DateTime<Utc>>,
    /// Default 3.
    pub max_choices: Option<i32>,
}

const BLOCK_TAKEN: &str = "the school already has a WIN block on that date";

/// Creates a school's block on a date: one per school and date, today or later in the
/// school's time zone.
#[tracing::instrument(skip_all, fields(date = %input.date))]
pub async fn create_block(db: &impl TransactionTrait, p: &Principal, input: BlockInput) -> AppResult<win_block::Model> {
    policy::require_school_wide(p)?;
    crate::validate::Date::parse("input.date", input.date)?;
    let max = input.max_choices.unwrap_or(3);
    check_max_choices(max)?;
    let txn = crate::db::begin_write(db).await?;
    let school = school(&txn, p, "input.schoolSourcedId", &input.school).await?;
    let tz = zone_of(&txn, school.id).await?;
    check_not_past(tz, input.date)?;
    let close = closing(tz, input.date, input.choices_close_at)?;
    let now = crate::db::now();
    let m = win_block::ActiveModel {
        org_id: Set(school.id),
        block_date: Set(input.date),
        choices_close_at: Set(close),
        max_choices: Set(max),
        placed_at: Set(None),
        placement_outdated: Set(false),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique("uq_win_blocks_school_date", || AppError::Conflict(BLOCK_TAKEN.into()))?;
    txn.commit().await?;
    Ok(m)
}

fn check_max_choices(max: i32) -> AppResult<()> {
    if (1..=MAX_CHOICES).contains(&max) {
        Ok(())
    } else {
        Err(AppError::validation("input.maxChoices", format!("must be 1 to {MAX_CHOICES}")))
    }
}

/// A block is for today or later, in the school's time zone.
fn check_not_past(tz: Tz, date: NaiveDate) -> AppResult<()> {
    let today = today_in(tz);
    if date < today {
        return Err(AppError::validation(
            "input.date",
            format!("{date} is in the past (it is {today} at the school, time zone {tz})"),
        ));
    }
    Ok(())
}

/// When choices for a block on `date` close: as given (no later than the block's day ends at
/// the school), else the day before at 20:00 at the school.
fn closing(tz: Tz, date: NaiveDate, given: Option<DateTime<Utc>>) -> AppResult<DateTime<Utc>> {
    let close = match given {
        Some(c) => c,
        None => date
            .pred_opt()
            .zip(NaiveTime::from_hms_opt(20, 0, 0))
            .and_then(|(d, t)| local_instant(tz, d, t))
            .ok_or_else(|| AppError::validation("input.date", "out of range"))?,
    };
    // Bounded first, so the school's-zone comparison below can't overflow the calendar.
    let latest = (date + Duration::days(2)).and_time(NaiveTime::MIN).and_utc();
    if close.timestamp() < 0 {
        return Err(AppError::validation("input.choicesCloseAt", "is before 1970"));
    }
    if close > latest || close.with_timezone(&tz).date_naive() > date {
        return Err(AppError::validation(
            "input.choicesCloseAt",
            format!("must be no later than the block's day ({date}) at the school"),
        ));
    }
    Ok(chrono::SubsecRound::trunc_subsecs(close, 6))
}

/// A deadline moved by whole days, keeping its time of day at the school across
/// daylight-saving changes.
fn shift_close(tz: Tz, close: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    let there = close.with_timezone(&tz).naive_local();
    local_instant(tz, there.date() + by, there.time()).unwrap_or(close + by)
}

/// Changes to a block; what is absent stays.
#[derive(Default)]
pub struct BlockChanges {
    pub date: Option<NaiveDate>,
    pub choices_close_at: Option<DateTime<Utc>>,
    pub max_choices: Option<i32>,
}

/// Changes a block's date, deadline or most choices. Refused once attendance has been
/// recorded; a new date must be today or later; lowering `maxChoices` below what a student
/// has ranked is refused (they would lose choices silently). A new date without a new
/// deadline moves the deadline with it. Placements made before stay, marked outdated when
/// the deadline moves later (students may change their choices again).
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn update_block(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    changes: BlockChanges,
) -> AppResult<win_block::Model> {
    policy::require_school_wide(p)?;
    if let Some(d) = changes.date {
        crate::validate::Date::parse("input.date", d)?;
    }
    if let Some(m) = changes.max_choices {
        check_max_choices(m)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    refuse_after_attendance(&txn, b.id, None).await?;
    let tz = zone_of(&txn, b.org_id).await?;
    let date = changes.date.unwrap_or(b.block_date);
    if changes.date.is_some_and(|d| d != b.block_date) {
        check_not_past(tz, date)?;
    }
    let close = match (changes.choices_close_at, changes.date) {
        (Some(c), _) => closing(tz, date, Some(c))?,
        (None, Some(d)) if d != b.block_date => shift_close(tz, b.choices_close_at, d - b.block_date),
        (None, _) => b.choices_close_at,
    };
    closing(tz, date, Some(close))?;
    let max = changes.max_choices.unwrap_or(b.max_choices);
    if max < b.max_choices {
        let over = win_choice::Entity::find()
            .filter(win_choice::Column::BlockId.eq(b.id))
            .filter(win_choice::Column::Rank.gt(max))
            .count(&txn)
            .await?;
        if over > 0 {
            return Err(AppError::Conflict(format!(
                "{over} choices are ranked below {max}: students must change their choices first"
            )));
        }
    }
    // A deadline moved later reopens choices: the placement no longer stands. Whether each
    // placement was made before the deadline follows the deadline.
    let reopened = b.placed_at.is_some() && close > b.choices_close_at;
    let outdated = b.placement_outdated || reopened;
    if let Some(placed) = b.placed_at
        && close != b.choices_close_at
    {
        let mut rows = win_assignment::Entity::update_many()
            .col_expr(win_assignment::Column::Provisional, sea_orm::sea_query::Expr::value(placed < close));
        if reopened {
            rows = rows.col_expr(win_assignment::Column::Outdated, sea_orm::sea_query::Expr::value(true));
        }
        rows.filter(win_assignment::Column::BlockId.eq(b.id)).exec(&txn).await?;
    }
    let m = win_block::Entity::update(win_block::ActiveModel {
        id: Set(b.id),
        block_date: Set(date),
        choices_close_at: Set(close),
        max_choices: Set(max),
        placement_outdated: Set(outdated),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .on_unique("uq_win_blocks_school_date", || AppError::Conflict(BLOCK_TAKEN.into()))?;
    txn.commit().await?;
    Ok(m)
}

/// Deletes a block with everything in it: its sessions, students' choices, teachers'
/// decisions and placements. Refused once attendance has been recorded for it (that is the
/// students' WIN history).
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn delete_block(db: &impl TransactionTrait, p: &Principal, block_id: i64) -> AppResult<win_block::Model> {
    policy::require_school_wide(p)?;
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    refuse_after_attendance(&txn, b.id, None).await?;
    let touched = learners_in(&txn, b.id, None).await?;
    remove_children(&txn, b.id, None).await?;
    win_block::Entity::delete_by_id(b.id).exec(&txn).await?;
    txn.commit().await?;
    // The students whose choices, decisions or placements went with it.
    p.reveal(touched);
    Ok(b)
}

/// Refuses a change to a block (or one session of it) once attendance has been recorded.
async fn refuse_after_attendance(db: &impl ConnectionTrait, block: i64, session: Option<i64>) -> AppResult<()> {
    let mut q = win_assignment::Entity::find()
        .filter(win_assignment::Column::BlockId.eq(block))
        .filter(win_assignment::Column::Attendance.is_not_null());
    if let Some(s) = session {
        q = q.filter(win_assignment::Column::SessionId.eq(s));
    }
    let n = q.count(db).await?;
    if n > 0 {
        let what = if session.is_some() { "session" } else { "block" };
        return Err(AppError::Conflict(format!(
            "attendance has been recorded for {n} students in this {what}: it is their WIN history and can't be changed or removed"
        )));
    }
    Ok(())
}

/// Students with a choice, a decision or a placement in a block (or one session of it).
async fn learners_in(
    db: &impl ConnectionTrait,
    block: i64,
    session: Option<i64>,
) -> AppResult<std::collections::BTreeSet<i64>> {
    let mut choices = win_choice::Entity::find().filter(win_choice::Column::BlockId.eq(block));
    let mut reviews = win_review::Entity::find().filter(win_review::Column::BlockId.eq(block));
    let mut placed = win_assignment::Entity::find().filter(win_assignment::Column::BlockId.eq(block));
    if let Some(s) = session {
        choices = choices.filter(win_choice::Column::SessionId.eq(s));
        reviews = reviews.filter(win_review::Column::SessionId.eq(s));
        placed = placed.filter(win_assignment::Column::SessionId.eq(s));
    }
    let mut out: std::collections::BTreeSet<i64> = choices.all(db).await?.into_iter().map(|c| c.learner_id).collect();
    out.extend(reviews.all(db).await?.into_iter().map(|r| r.learner_id));
    out.extend(placed.all(db).await?.into_iter().map(|a| a.learner_id));
    Ok(out)
}

/// Deletes what hangs off a block's sessions (all of them, or one): placements, decisions,
/// choices, focus links, invitations, then the sessions. Explicit rather than left to
/// foreign-key cascades, which SQLite applies only when its pragma is on.
async fn remove_children(db: &impl ConnectionTrait, block: i64, session: Option<i64>) -> AppResult<()> {
    let ids: Vec<i64> = match session {
        Some(s) => vec![s],
        None => win_session::Entity::find()
            .filter(win_session::Column::BlockId.eq(block))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect(),
    };
    win_assignment::Entity::delete_many().filter(win_assignment::Column::SessionId.is_in(ids.clone())).exec(db).await?;
    win_review::Entity::delete_many().filter(win_review::Column::SessionId.is_in(ids.clone())).exec(db).await?;
    win_choice::Entity::delete_many().filter(win_choice::Column::SessionId.is_in(ids.clone())).exec(db).await?;
    win_session_competency::Entity::delete_many()
        .filter(win_session_competency::Column::SessionId.is_in(ids.clone()))
        .exec(db)
        .await?;
    win_session_invite::Entity::delete_many()
        .filter(win_session_invite::Column::SessionId.is_in(ids.clone()))
        .exec(db)
        .await?;
    win_session::Entity::delete_many().filter(win_session::Column::Id.is_in(ids)).exec(db).await?;
    Ok(())
}

/// A session as a caller describes it.
pub struct SessionInput {
    pub block: i64,
    pub title: String,
    pub subject: String,
    pub mode: WinMode,
    pub room: Option<String>,
    /// Default 1 for one-on-one, else required.
    pub capacity: Option<i32>,
    /// Default: the signed-in teacher.
    pub teacher: Option<String>,
    /// CASE identifiers.
    pub competencies: Vec<String>,
    /// Students (sourcedIds); when given, only they may choose or be placed in the session.
    pub invited: Option<Vec<String>>,
}

/// Offers a session in a block, with its focus competencies and, when given, its invitation
/// list.
#[tracing::instrument(skip_all, fields(block = input.block))]
pub async fn create_session(
    db: &impl TransactionTrait,
    p: &Principal,
    input: SessionInput,
) -> AppResult<win_session::Model> {
    policy::require_staff(p)?;
    if let Some(sid) = &input.teacher {
        // Before any lookup: another teacher's name is refused whether or not they are seen.
        policy::may_name_teacher(p, sid)?;
    }
    check_len("input.title", &input.title, 200)?;
    check_len("input.subject", &input.subject, 100)?;
    if let Some(r) = &input.room {
        check_len("input.room", r, 100)?;
    }
    let capacity = match (input.mode, input.capacity) {
        (WinMode::OneOnOne, None | Some(1)) => 1,
        (WinMode::OneOnOne, Some(_)) => {
            return Err(AppError::validation("input.capacity", "a one-on-one session has capacity 1"));
        }
        (_, Some(c)) if (1..=MAX_CAPACITY).contains(&c) => c,
        (_, Some(_)) => return Err(AppError::validation("input.capacity", format!("must be 1 to {MAX_CAPACITY}"))),
        (_, None) => return Err(AppError::validation("input.capacity", "give the session's capacity")),
    };
    if input.competencies.len() > 20 {
        return Err(AppError::validation("input.focusCompetencyIds", "at most 20"));
    }
    if input.invited.as_ref().is_some_and(|v| v.len() > MAX_CAPACITY as usize * 4) {
        return Err(AppError::validation("input.invitedLearnerSourcedIds", "too many"));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, input.block).await?;
    let teacher = match (&input.teacher, &p.actor) {
        (Some(sid), _) => Some(
            roster::find_user(&txn, p, Key::Sourced(sid))
                .await?
                .filter(|u| u.role == Role::Teacher && u.status == Status::Active)
                .ok_or_else(|| {
                    AppError::not_found_at("input.teacherSourcedId", format!("no teacher `{sid}` among yours"))
                })?,
        ),
        (None, crate::auth::Actor::User { user_id, role, .. }) if *role == Role::Teacher => {
            user::Entity::find_by_id(*user_id).one(&txn).await?
        }
        (None, _) => None,
    };
    if let Some(t) = &teacher {
        let at_school = user_org::Entity::find()
            .filter(user_org::Column::UserId.eq(t.id))
            .filter(user_org::Column::OrgId.eq(b.org_id))
            .count(&txn)
            .await?;
        if at_school == 0 {
            return Err(AppError::validation(
                "input.teacherSourcedId",
                "the teacher does not work at the block's school",
            ));
        }
    }
    policy::may_offer_as(p, teacher.as_ref().map(|t| t.id))?;
    let wanted: Vec<&str> = input.competencies.iter().map(String::as_str).collect();
    let known = crate::competencies::store::by_source_ids(&txn, p, &wanted).await?;
    let mut comp_ids = BTreeSet::new();
    for (i, c) in input.competencies.iter().enumerate() {
        let m = known.get(c).ok_or_else(|| {
            AppError::not_found_at(format!("input.focusCompetencyIds.{i}"), format!("no competency `{c}`"))
        })?;
        comp_ids.insert(m.id);
    }
    let invited = match &input.invited {
        None => None,
        Some(sids) => {
            let found = students_by_sid(&txn, p, b.org_id, sids).await?;
            if let Some((i, sid)) = sids.iter().enumerate().find(|(_, s)| !found.contains_key(*s)) {
                return Err(AppError::not_found_at(
                    format!("input.invitedLearnerSourcedIds.{i}"),
                    format!("no student `{sid}` of this school among those you may see"),
                ));
            }
            Some(found.values().map(|u| u.id).collect::<BTreeSet<i64>>())
        }
    };
    let now = crate::db::now();
    let m = win_session::ActiveModel {
        block_id: Set(b.id),
        teacher_id: Set(teacher.map(|t| t.id)),
        title: Set(input.title.trim().to_owned()),
        subject: Set(input.subject.trim().to_owned()),
        mode: Set(input.mode),
        room: Set(input.room.map(|r| r.trim().to_owned())),
        capacity: Set(capacity),
        invite_only: Set(invited.is_some()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = m.id;
    if !comp_ids.is_empty() {
        win_session_competency::Entity::insert_many(
            comp_ids
                .iter()
                .map(|c| win_session_competency::ActiveModel { session_id: Set(id), competency_id: Set(*c) }),
        )
        .exec(&txn)
        .await?;
    }
    if let Some(inv) = invited.filter(|i| !i.is_empty()) {
        for chunk in inv.into_iter().collect::<Vec<_>>().chunks(1000) {
            win_session_invite::Entity::insert_many(
                chunk.iter().map(|l| win_session_invite::ActiveModel { session_id: Set(id), learner_id: Set(*l) }),
            )
            .exec(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(m)
}

/// Changes to a session; what is absent stays.
#[derive(Default)]
pub struct SessionChanges {
    pub title: Option<String>,
    pub subject: Option<String>,
    /// `Some(None)` clears the room.
    pub room: Option<Option<String>>,
    pub capacity: Option<i32>,
}

/// Changes a session's title, subject, room or capacity. A teacher changes the sessions they
/// teach; administrators and tools any. Capacity can't go below the students placed in it
/// (move some first) and a one-on-one session keeps 1 seat.
#[tracing::instrument(skip_all, fields(session = session_id))]
pub async fn update_session(
    db: &impl TransactionTrait,
    p: &Principal,
    session_id: i64,
    changes: SessionChanges,
) -> AppResult<win_session::Model> {
    policy::require_staff(p)?;
    if let Some(t) = &changes.title {
        check_len("input.title", t, 200)?;
    }
    if let Some(t) = &changes.subject {
        check_len("input.subject", t, 100)?;
    }
    if let Some(Some(r)) = &changes.room {
        check_len("input.room", r, 100)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let s = session_of_caller(&txn, p, session_id).await?;
    policy::may_change_session(p, s.teacher_id)?;
    if let Some(c) = changes.capacity {
        if s.mode == WinMode::OneOnOne && c != 1 {
            return Err(AppError::validation("input.capacity", "a one-on-one session has capacity 1"));
        }
        if !(1..=MAX_CAPACITY).contains(&c) {
            return Err(AppError::validation("input.capacity", format!("must be 1 to {MAX_CAPACITY}")));
        }
        let placed =
            win_assignment::Entity::find().filter(win_assignment::Column::SessionId.eq(s.id)).count(&txn).await?;
        if u64::try_from(c).unwrap_or(0) < placed {
            return Err(AppError::Conflict(format!(
                "{placed} students are placed in `{}`: move some first, or keep at least {placed} seats",
                s.title
            )));
        }
    }
    let m = win_session::Entity::update(win_session::ActiveModel {
        id: Set(s.id),
        title: Set(changes.title.map_or(s.title, |t| t.trim().to_owned())),
        subject: Set(changes.subject.map_or(s.subject, |t| t.trim().to_owned())),
        room: Set(match changes.room {
            Some(r) => r.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
            None => s.room,
        }),
        capacity: Set(changes.capacity.unwrap_or(s.capacity)),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// What withdrawing a session took with it.
pub struct Withdrawn {
    pub session: win_session::Model,
    /// Students who had ranked it: their other choices moved up a rank.
    pub choices_removed: usize,
    /// Students placed in it: they are unplaced until placement runs again.
    pub placements_removed: usize,
    /// Teachers' decisions naming it (approvals, redirections, requirements).
    pub decisions_removed: usize,
}

/// Withdraws a session from its block: students who ranked it keep their other choices,
/// moved up a rank; teachers' decisions naming it are withdrawn; students placed in it are
/// unplaced and the block's placement is marked outdated until placement runs again. Refused
/// once attendance has been recorded in it. A teacher withdraws the sessions they teach.
#[tracing::instrument(skip_all, fields(session = session_id))]
pub async fn withdraw_session(db: &impl TransactionTrait, p: &Principal, session_id: i64) -> AppResult<Withdrawn> {
    policy::require_staff(p)?;
    let txn = crate::db::begin_write(db).await?;
    let s = session_of_caller(&txn, p, session_id).await?;
    policy::may_change_session(p, s.teacher_id)?;
    refuse_after_attendance(&txn, s.block_id, Some(s.id)).await?;
    let b = block(&txn, p, s.block_id).await?;
    let choosers: Vec<i64> = win_choice::Entity::find()
        .filter(win_choice::Column::SessionId.eq(s.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.learner_id)
        .collect();
    let touched = learners_in(&txn, b.id, Some(s.id)).await?;
    let placements_removed =
        win_assignment::Entity::find().filter(win_assignment::Column::SessionId.eq(s.id)).count(&txn).await?;
    let decisions_removed =
        win_review::Entity::find().filter(win_review::Column::SessionId.eq(s.id)).count(&txn).await?;
    remove_children(&txn, b.id, Some(s.id)).await?;
    // The choosers' remaining choices move up into the freed rank, in order.
    let rest = win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.is_in(choosers.iter().copied()))
        .order_by_asc(win_choice::Column::LearnerId)
        .order_by_asc(win_choice::Column::Rank)
        .all(&txn)
        .await?;
    let mut next: std::collections::HashMap<i64, i32> = std::collections::HashMap::new();
    for c in rest {
        let rank = next.entry(c.learner_id).or_insert(0);
        *rank += 1;
        if c.rank != *rank {
            win_choice::Entity::update_many()
                .col_expr(win_choice::Column::Rank, sea_orm::sea_query::Expr::value(*rank))
                .filter(win_choice::Column::Id.eq(c.id))
                .exec(&txn)
                .await?;
        }
    }
    // Those who ranked it or were decided on have changed input; those placed in it have no
    // placement left.
    super::placement_changed(&txn, &b, &touched.iter().copied().collect::<Vec<_>>()).await?;
    txn.commit().await?;
    // The students whose choices, decisions or placements it changed.
    p.reveal(touched);
    Ok(Withdrawn {
        session: s,
        choices_removed: choosers.len(),
        placements_removed: usize::try_from(placements_removed).unwrap_or(usize::MAX),
        decisions_removed: usize::try_from(decisions_removed).unwrap_or(usize::MAX),
    })
}

/// A session of a block of the caller's schools, or not found on `input.sessionId`.
async fn session_of_caller(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<win_session::Model> {
    super::find_session(db, p, id)
        .await?
        .ok_or_else(|| AppError::not_found_at("input.sessionId", "no WIN session with this id among your schools"))
}

/// Copies a block, with its sessions, to the same weekday of every later week of a term that
/// has no block yet. Running it again creates nothing twice.
#[tracing::instrument(skip_all, fields(template = template))]
pub async fn repeat_block(
    db: &impl TransactionTrait,
    p: &Principal,
    template: i64,
    term_sid: &str,
) -> AppResult<Vec<win_block::Model>> {
    policy::require_school_wide(p)?;
    let txn = crate::db::begin_write(db).await?;
    let t = block(&txn, p, template).await?;
    let term = roster::find_session(&txn, p, Key::Sourced(term_sid))
        .await?
        .ok_or_else(|| AppError::not_found_at("input.termSourcedId", format!("no term `{term_sid}`")))?;
    let term: academic_session::Model = term;
    let school = entity::org::Entity::find_by_id(t.org_id).one(&txn).await?.ok_or(AppError::NotFound("school"))?;
    let tz = zone_of(&txn, school.id).await?;
    let today = today_in(tz);
    if term.org_id != school.id && Some(term.org_id) != school.parent_id {
        return Err(AppError::validation("input.termSourcedId", "not a term of the block's school or its district"));
    }
    let taken: HashSet<NaiveDate> = win_block::Entity::find()
        .filter(win_block::Column::OrgId.eq(t.org_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|b| b.block_date)
        .collect();
    let sessions = win_session::Entity::find().filter(win_session::Column::BlockId.eq(t.id)).all(&txn).await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let comps = win_session_competency::Entity::find()
        .filter(win_session_competency::Column::SessionId.is_in(ids.iter().copied()))
        .all(&txn)
        .await?;
    let invites = win_session_invite::Entity::find()
        .filter(win_session_invite::Column::SessionId.is_in(ids.iter().copied()))
        .all(&txn)
        .await?;
    let now = crate::db::now();
    let mut created: Vec<win_block::Model> = Vec::new();
    let mut week = 1;
    loop {
        let date = t.block_date + Duration::weeks(week);
        week += 1;
        if date > term.end_date || week > 60 {
            break;
        }
        if date < term.start_date || date < today || taken.contains(&date) {
            continue;
        }
        let close = shift_close(tz, t.choices_close_at, date - t.block_date);
        let copy = win_block::ActiveModel {
            org_id: Set(t.org_id),
            block_date: Set(date),
            choices_close_at: Set(close),
            max_choices: Set(t.max_choices),
            placed_at: Set(None),
            placement_outdated: Set(false),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique("uq_win_blocks_school_date", || AppError::Conflict(BLOCK_TAKEN.into()))?;
        let id = copy.id;
        for s in &sessions {
            let sid = win_session::ActiveModel {
                block_id: Set(id),
                teacher_id: Set(s.teacher_id),
                title: Set(s.title.clone()),
                subject: Set(s.subject.clone()),
                mode: Set(s.mode),
                room: Set(s.room.clone()),
                capacity: Set(s.capacity),
                invite_only: Set(s.invite_only),
                created_at: Set(now),
                date_last_modified: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id;
            let c: Vec<_> = comps
                .iter()
                .filter(|c| c.session_id == s.id)
                .map(|c| win_session_competency::ActiveModel {
                    session_id: Set(sid),
                    competency_id: Set(c.competency_id),
                })
                .collect();
            if !c.is_empty() {
                win_session_competency::Entity::insert_many(c).exec(&txn).await?;
            }
            let inv: Vec<_> = invites
                .iter()
                .filter(|i| i.session_id == s.id)
                .map(|i| win_session_invite::ActiveModel { session_id: Set(sid), learner_id: Set(i.learner_id) })
                .collect();
            for chunk in inv.chunks(1000) {
                win_session_invite::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
            }
        }
        created.push(copy);
    }
    txn.commit().await?;
    // Weeks are visited in date order, so the copies already are.
    Ok(created)
}

/// For a signed-in student: the blocks of their schools whose choices are open, by date (at
/// most 50); none for anyone else.
#[tracing::instrument(skip_all)]
pub async fn open_for_student(db: &impl ConnectionTrait, p: &Principal) -> AppResult<Vec<win_block::Model>> {
    let crate::auth::People::Only(me) = p.people else { return Ok(vec![]) };
    let schools = sea_orm::sea_query::Query::select()
        .column(user_org::Column::OrgId)
        .from(user_org::Entity)
        .and_where(user_org::Column::UserId.eq(me))
        .to_owned();
    Ok(blocks(p)
        .filter(win_block::Column::OrgId.in_subquery(schools))
        .filter(win_block::Column::ChoicesCloseAt.gt(crate::db::now()))
        .order_by_asc(win_block::Column::BlockDate)
        .order_by_asc(win_block::Column::Id)
        .limit(50)
        .all(db)
        .await?)
}

/// A school's blocks between two dates (inclusive), by date; at most 200. A school that is not
/// the caller's has none.
#[tracing::instrument(skip_all)]
pub async fn list_blocks(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_sid: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Vec<win_block::Model>> {
    let Some(school) = roster::find_org(db, p, Key::Sourced(school_sid)).await?.filter(|o| p.owns_org(o.id)) else {
        return Ok(vec![]);
    };
    let mut q = blocks(p).filter(win_block::Column::OrgId.eq(school.id));
    if let Some(f) = from {
        q = q.filter(win_block::Column::BlockDate.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(win_block::Column::BlockDate.lte(t));
    }
    Ok(q.order_by_asc(win_block::Column::BlockDate).limit(200).all(db).await?)
}
