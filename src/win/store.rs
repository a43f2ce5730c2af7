//! WIN data access and rules: blocks and their sessions, students' ranked choices, teachers'
//! decisions on them, placement runs, adjustments and attendance. Every function takes the
//! principal: blocks are visible in the caller's schools, students by the roster's rules.

use entity::{OrgType, Role};
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    STATUS_ACTIVE, academic_session, competency, competency_framework, mastery, org, user, user_org, win_assignment,
    win_block, win_choice, win_review, win_session, win_session_competency, win_session_invite,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, sea_query::Query,
};

use super::placement::{self, Infeasible, Problem, Student};
use crate::{
    auth::{People, Principal, Scope, policy::owned_by_granted_org},
    competencies::store::Scale,
    error::{AppError, AppResult, OnConstraint},
    roster::store::{self as roster, Key, Sync, check_len},
};

/// Most sessions a student may rank, whatever a block allows.
pub const MAX_CHOICES: i32 = 10;
/// Most seats one session may have.
pub const MAX_CAPACITY: i32 = 500;

/// How a session is run.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinMode {
    /// One teacher, one student (capacity 1).
    OneOnOne,
    SmallGroup,
    /// Independent work on a computer.
    Independent,
}

impl WinMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WinMode::OneOnOne => "one_on_one",
            WinMode::SmallGroup => "small_group",
            WinMode::Independent => "independent",
        }
    }
    pub fn parse(s: &str) -> WinMode {
        match s {
            "one_on_one" => WinMode::OneOnOne,
            "independent" => WinMode::Independent,
            _ => WinMode::SmallGroup,
        }
    }
}

/// A teacher's decision on a student's choices.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinDecision {
    /// The session (one the student chose) counts as their first choice.
    Approved,
    /// The teacher points the student to another session instead (with a note): it becomes
    /// their first choice.
    Redirected,
    /// The student must attend the session: placement honours it before any preference.
    Required,
}

impl WinDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            WinDecision::Approved => "approved",
            WinDecision::Redirected => "redirected",
            WinDecision::Required => "required",
        }
    }
    pub fn parse(s: &str) -> WinDecision {
        match s {
            "approved" => WinDecision::Approved,
            "redirected" => WinDecision::Redirected,
            _ => WinDecision::Required,
        }
    }
}

/// How a student came to be in a session.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementSource {
    /// A teacher required it.
    Required,
    /// The placement run chose it.
    Placed,
    /// A teacher moved the student afterwards.
    Adjusted,
}

impl PlacementSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementSource::Required => "required",
            PlacementSource::Placed => "placed",
            PlacementSource::Adjusted => "adjusted",
        }
    }
    pub fn parse(s: &str) -> PlacementSource {
        match s {
            "required" => PlacementSource::Required,
            "adjusted" => PlacementSource::Adjusted,
            _ => PlacementSource::Placed,
        }
    }
}

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attendance {
    Present,
    Absent,
    Late,
}

impl Attendance {
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
            Attendance::Late => "late",
        }
    }
    pub fn parse(s: &str) -> Option<Attendance> {
        match s {
            "present" => Some(Attendance::Present),
            "absent" => Some(Attendance::Absent),
            "late" => Some(Attendance::Late),
            _ => None,
        }
    }
}

/// Staff and tools run WIN; a signed-in student only chooses.
fn require_staff(p: &Principal) -> AppResult<()> {
    p.require(Scope::WinWrite)?;
    if matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("students choose their sessions; their teachers run WIN".into()));
    }
    Ok(())
}

/// Decisions over a whole school (placement runs, recurring blocks) are for its administrators
/// and tools, not one teacher, whose authority ends at their own students.
fn require_school_wide(p: &Principal) -> AppResult<()> {
    require_staff(p)?;
    if matches!(p.people, People::Taught(_)) {
        return Err(AppError::Forbidden("a school administrator or a tool runs this for the whole school".into()));
    }
    Ok(())
}

/// Blocks of the caller's schools.
pub fn blocks(p: &Principal) -> Select<win_block::Entity> {
    win_block::Entity::find().filter(owned_by_granted_org(p, (win_block::Entity, win_block::Column::OrgId)))
}

pub async fn find_block(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<win_block::Model>> {
    Ok(blocks(p).filter(win_block::Column::Id.eq(id)).one(db).await?)
}

async fn block(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<win_block::Model> {
    find_block(db, p, id).await?.ok_or(AppError::NotFound("WIN block"))
}

pub async fn find_session(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<win_session::Model>> {
    Ok(win_session::Entity::find_by_id(id)
        .filter(
            win_session::Column::BlockId.in_subquery(
                Query::select()
                    .column(win_block::Column::Id)
                    .from(win_block::Entity)
                    .cond_where(owned_by_granted_org(p, (win_block::Entity, win_block::Column::OrgId)))
                    .to_owned(),
            ),
        )
        .one(db)
        .await?)
}

/// A school of the caller's by sourcedId.
async fn school(db: &impl ConnectionTrait, p: &Principal, field: &str, sid: &str) -> AppResult<org::Model> {
    roster::find_org(db, p, Key::Sourced(sid))
        .await?
        .filter(|o| o.org_type == OrgType::School && p.owns_org(o.id) && o.status == STATUS_ACTIVE)
        .ok_or_else(|| AppError::validation(field, format!("no school `{sid}` among yours")))
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

async fn student(
    db: &impl ConnectionTrait,
    p: &Principal,
    school: i64,
    field: &str,
    sid: &str,
) -> AppResult<user::Model> {
    students_by_sid(db, p, school, &[sid.to_owned()]).await?.remove(sid).ok_or_else(|| {
        AppError::validation(field, format!("no student `{sid}` of this school among those you may see"))
    })
}

fn check_date(field: &str, d: NaiveDate) -> AppResult<()> {
    let ok = NaiveDate::from_ymd_opt(1900, 1, 1)
        .zip(NaiveDate::from_ymd_opt(2200, 12, 31))
        .is_some_and(|(lo, hi)| (lo..=hi).contains(&d));
    if ok { Ok(()) } else { Err(AppError::validation(field, "must lie between 1900 and 2200")) }
}

/// A block as a caller describes it.
pub struct BlockInput {
    pub school: String,
    pub date: NaiveDate,
    /// Default: the day before, at 20:00 UTC.
    pub choices_close_at: Option<DateTime<Utc>>,
    /// Default 3.
    pub max_choices: Option<i32>,
}

const BLOCK_TAKEN: &str = "the school already has a WIN block on that date";

pub async fn create_block(db: &DatabaseConnection, p: &Principal, input: BlockInput) -> AppResult<win_block::Model> {
    require_school_wide(p)?;
    check_date("input.date", input.date)?;
    let max = input.max_choices.unwrap_or(3);
    if !(1..=MAX_CHOICES).contains(&max) {
        return Err(AppError::validation("input.maxChoices", format!("must be 1 to {MAX_CHOICES}")));
    }
    let close = match input.choices_close_at {
        Some(c) => c,
        None => input
            .date
            .pred_opt()
            .and_then(|d| d.and_hms_opt(20, 0, 0))
            .map(|d| d.and_utc())
            .ok_or_else(|| AppError::validation("input.date", "out of range"))?,
    };
    if close.date_naive() > input.date {
        return Err(AppError::validation("input.choicesCloseAt", "must be no later than the block's date"));
    }
    let txn = crate::db::begin_write(db).await?;
    let school = school(&txn, p, "input.schoolSourcedId", &input.school).await?;
    let now = crate::db::now();
    let id = win_block::Entity::insert(win_block::ActiveModel {
        org_id: Set(school.id),
        block_date: Set(input.date),
        choices_close_at: Set(chrono::SubsecRound::trunc_subsecs(close, 6)),
        max_choices: Set(max),
        placed_at: Set(None),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .on_unique("uq_win_blocks_school_date", || AppError::Conflict(BLOCK_TAKEN.into()))?
    .last_insert_id;
    let m = win_block::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("WIN block"))?;
    txn.commit().await?;
    Ok(m)
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

pub async fn create_session(
    db: &DatabaseConnection,
    p: &Principal,
    input: SessionInput,
) -> AppResult<win_session::Model> {
    require_staff(p)?;
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
                .filter(|u| u.role == Role::Teacher && u.status == STATUS_ACTIVE)
                .ok_or_else(|| AppError::validation("input.teacherSourcedId", format!("no teacher `{sid}`")))?,
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
    if let People::Taught(me) = p.people
        && teacher.as_ref().is_some_and(|t| t.id != me)
    {
        return Err(AppError::Forbidden("a teacher offers sessions of their own".into()));
    }
    let wanted: Vec<&str> = input.competencies.iter().map(String::as_str).collect();
    let known = crate::competencies::store::by_source_ids(&txn, p, &wanted).await?;
    let mut comp_ids = BTreeSet::new();
    for (i, c) in input.competencies.iter().enumerate() {
        let m = known.get(c).ok_or_else(|| {
            AppError::validation(format!("input.focusCompetencyIds.{i}"), format!("no competency `{c}`"))
        })?;
        comp_ids.insert(m.id);
    }
    let invited = match &input.invited {
        None => None,
        Some(sids) => {
            let found = students_by_sid(&txn, p, b.org_id, sids).await?;
            if let Some((i, sid)) = sids.iter().enumerate().find(|(_, s)| !found.contains_key(*s)) {
                return Err(AppError::validation(
                    format!("input.invitedLearnerSourcedIds.{i}"),
                    format!("no student `{sid}` of this school among those you may see"),
                ));
            }
            Some(found.values().map(|u| u.id).collect::<BTreeSet<i64>>())
        }
    };
    let now = crate::db::now();
    let id = win_session::Entity::insert(win_session::ActiveModel {
        block_id: Set(b.id),
        teacher_id: Set(teacher.map(|t| t.id)),
        title: Set(input.title.trim().to_owned()),
        subject: Set(input.subject.trim().to_owned()),
        mode: Set(input.mode.as_str().to_owned()),
        room: Set(input.room.map(|r| r.trim().to_owned())),
        capacity: Set(capacity),
        invite_only: Set(invited.is_some()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
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
    let m = win_session::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("WIN session"))?;
    txn.commit().await?;
    Ok(m)
}

/// Copies a block, with its sessions, to the same weekday of every later week of a term that
/// has no block yet. Running it again creates nothing twice.
pub async fn repeat_block(
    db: &DatabaseConnection,
    p: &Principal,
    template: i64,
    term_sid: &str,
) -> AppResult<Vec<win_block::Model>> {
    require_school_wide(p)?;
    let txn = crate::db::begin_write(db).await?;
    let t = block(&txn, p, template).await?;
    let term = roster::find_session(&txn, p, Key::Sourced(term_sid))
        .await?
        .ok_or_else(|| AppError::validation("input.termSourcedId", format!("no term `{term_sid}`")))?;
    let term: academic_session::Model = term;
    let school = entity::org::Entity::find_by_id(t.org_id).one(&txn).await?.ok_or(AppError::NotFound("school"))?;
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
    let mut created = Vec::new();
    let mut week = 1;
    loop {
        let date = t.block_date + Duration::weeks(week);
        week += 1;
        if date > term.end_date || week > 60 {
            break;
        }
        if date < term.start_date || taken.contains(&date) {
            continue;
        }
        let shift = date - t.block_date;
        let id = win_block::Entity::insert(win_block::ActiveModel {
            org_id: Set(t.org_id),
            block_date: Set(date),
            choices_close_at: Set(t.choices_close_at + shift),
            max_choices: Set(t.max_choices),
            placed_at: Set(None),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .on_unique("uq_win_blocks_school_date", || AppError::Conflict(BLOCK_TAKEN.into()))?
        .last_insert_id;
        for s in &sessions {
            let sid = win_session::Entity::insert(win_session::ActiveModel {
                block_id: Set(id),
                teacher_id: Set(s.teacher_id),
                title: Set(s.title.clone()),
                subject: Set(s.subject.clone()),
                mode: Set(s.mode.clone()),
                room: Set(s.room.clone()),
                capacity: Set(s.capacity),
                invite_only: Set(s.invite_only),
                created_at: Set(now),
                date_last_modified: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id;
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
        created.push(id);
    }
    let out = win_block::Entity::find()
        .filter(win_block::Column::Id.is_in(created))
        .order_by_asc(win_block::Column::BlockDate)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// A session of the block, or a validation error naming `sessionId`.
async fn block_session(db: &impl ConnectionTrait, block: i64, id: i64) -> AppResult<win_session::Model> {
    win_session::Entity::find_by_id(id)
        .filter(win_session::Column::BlockId.eq(block))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("input.sessionId", "not a session of this block"))
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

/// Replaces a student's ranked choices for a block (first = rank 1). Refused, changing nothing,
/// once the block's choices have closed.
pub async fn submit_choices(
    db: &DatabaseConnection,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    sessions: Vec<i64>,
) -> AppResult<Vec<win_choice::Model>> {
    p.require(Scope::WinWrite)?;
    // The student themself, or a tool relaying their choices; staff review instead.
    if matches!(p.actor, crate::auth::Actor::User { .. }) && !matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("students make their own choices; review them with reviewWinChoice".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let now = crate::db::now();
    if now >= b.choices_close_at {
        return Err(AppError::Conflict(format!(
            "choices for this block closed at {}; nothing was changed",
            b.choices_close_at.to_rfc3339()
        )));
    }
    if sessions.len() > usize::try_from(b.max_choices).unwrap_or(0) {
        return Err(AppError::validation("input.sessionIds", format!("rank at most {} sessions", b.max_choices)));
    }
    let learner = student(&txn, p, b.org_id, "input.learnerSourcedId", learner_sid).await?;
    if let People::Only(me) = p.people
        && me != learner.id
    {
        return Err(AppError::NotFound("learner"));
    }
    let offered: HashMap<i64, win_session::Model> = win_session::Entity::find()
        .filter(win_session::Column::BlockId.eq(b.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let invited: HashSet<i64> = win_session_invite::Entity::find()
        .filter(win_session_invite::Column::LearnerId.eq(learner.id))
        .filter(win_session_invite::Column::SessionId.is_in(offered.keys().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.session_id)
        .collect();
    let mut seen = HashSet::new();
    for (i, s) in sessions.iter().enumerate() {
        let field = format!("input.sessionIds.{i}");
        let session = offered.get(s).ok_or_else(|| AppError::validation(&field, "not a session of this block"))?;
        if session.invite_only && !invited.contains(s) {
            return Err(AppError::validation(&field, "this session is by invitation only"));
        }
        if !seen.insert(*s) {
            return Err(AppError::validation(&field, "ranked twice"));
        }
    }
    win_choice::Entity::delete_many()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.eq(learner.id))
        .exec(&txn)
        .await?;
    let (_, by) = p.actor_ref();
    if !sessions.is_empty() {
        win_choice::Entity::insert_many(sessions.iter().enumerate().map(|(i, s)| win_choice::ActiveModel {
            block_id: Set(b.id),
            learner_id: Set(learner.id),
            session_id: Set(*s),
            rank: Set(i32::try_from(i).unwrap_or(0) + 1),
            chosen_by: Set(by.clone()),
            chosen_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await
        .on_unique("uq_win_choices", || AppError::Conflict("the choices changed meanwhile: submit again".into()))?;
    }
    let out = win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.eq(learner.id))
        .order_by_asc(win_choice::Column::Rank)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// Records a teacher's decision on a student's choices (replacing an earlier one).
pub async fn review(
    db: &DatabaseConnection,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    decision: WinDecision,
    session_id: i64,
    note: Option<String>,
) -> AppResult<win_review::Model> {
    require_staff(p)?;
    let note = note.filter(|n| !n.trim().is_empty());
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    if decision == WinDecision::Redirected && note.is_none() {
        return Err(AppError::validation("input.note", "tell the student why they are redirected"));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let learner = student(&txn, p, b.org_id, "input.learnerSourcedId", learner_sid).await?;
    let session = block_session(&txn, b.id, session_id).await?;
    if session.invite_only && decision != WinDecision::Required && !invited(&txn, session.id, learner.id).await? {
        return Err(AppError::validation(
            "input.sessionId",
            "this session is by invitation only: require the student there instead",
        ));
    }
    if decision == WinDecision::Approved && own_choice(&txn, b.id, learner.id, session.id).await?.is_none() {
        return Err(AppError::validation("input.sessionId", "approve one of the student's choices"));
    }
    win_review::Entity::delete_many()
        .filter(win_review::Column::BlockId.eq(b.id))
        .filter(win_review::Column::LearnerId.eq(learner.id))
        .exec(&txn)
        .await?;
    let (_, by) = p.actor_ref();
    let id = win_review::Entity::insert(win_review::ActiveModel {
        block_id: Set(b.id),
        learner_id: Set(learner.id),
        decision: Set(decision.as_str().to_owned()),
        session_id: Set(session.id),
        note: Set(note.map(|n| n.trim().to_owned())),
        decided_by: Set(by),
        decided_at: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .on_unique("uq_win_reviews_learner", || AppError::Conflict("the decision changed meanwhile: reload it".into()))?
    .last_insert_id;
    let m = win_review::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("review"))?;
    txn.commit().await?;
    Ok(m)
}

/// A student's gap in one competency: how far below the mastered threshold their mastery is.
#[derive(Clone, Debug)]
pub struct Gap {
    pub competency_id: i64,
    /// Null: no evidence yet (counted as the whole gap).
    pub value: Option<f64>,
    pub threshold: f64,
}

impl Gap {
    /// 0 (mastered) to 1 (nothing shown).
    pub fn size(&self) -> f64 {
        if self.threshold <= 0.0 {
            return 0.0;
        }
        match self.value {
            Some(v) => ((self.threshold - v) / self.threshold).clamp(0.0, 1.0),
            None => 1.0,
        }
    }
}

/// What placement and review need to know about a block: its sessions with their focus
/// competencies, who is invited, and each student's gaps in those competencies.
pub struct BlockFacts {
    pub sessions: Vec<win_session::Model>,
    pub focus: HashMap<i64, Vec<i64>>,
    pub invited: HashMap<i64, HashSet<i64>>,
    /// `(learner, competency)` → gap, for every competency some session focuses on.
    pub gaps: HashMap<(i64, i64), Gap>,
    pub thresholds: HashMap<i64, f64>,
}

impl BlockFacts {
    pub fn gaps_of(&self, learner: i64, session: i64) -> Vec<Gap> {
        self.focus
            .get(&session)
            .into_iter()
            .flatten()
            .map(|c| {
                self.gaps.get(&(learner, *c)).cloned().unwrap_or(Gap {
                    competency_id: *c,
                    value: None,
                    threshold: self.thresholds.get(c).copied().unwrap_or(1.0),
                })
            })
            .collect()
    }

    /// Mean gap in a session's focus competencies (0 when it has none).
    pub fn need(&self, learner: i64, session: i64) -> f64 {
        let gaps = self.gaps_of(learner, session);
        if gaps.is_empty() { 0.0 } else { gaps.iter().map(Gap::size).sum::<f64>() / gaps.len() as f64 }
    }
}

pub async fn facts(db: &impl ConnectionTrait, block_id: i64, learners: &[i64]) -> AppResult<BlockFacts> {
    let sessions = win_session::Entity::find()
        .filter(win_session::Column::BlockId.eq(block_id))
        .order_by_asc(win_session::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let mut focus: HashMap<i64, Vec<i64>> = HashMap::new();
    for c in win_session_competency::Entity::find()
        .filter(win_session_competency::Column::SessionId.is_in(ids.iter().copied()))
        .order_by_asc(win_session_competency::Column::CompetencyId)
        .all(db)
        .await?
    {
        focus.entry(c.session_id).or_default().push(c.competency_id);
    }
    let mut invited: HashMap<i64, HashSet<i64>> = HashMap::new();
    for i in win_session_invite::Entity::find()
        .filter(win_session_invite::Column::SessionId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        invited.entry(i.session_id).or_default().insert(i.learner_id);
    }
    let comps: BTreeSet<i64> = focus.values().flatten().copied().collect();
    let mut thresholds = HashMap::new();
    let mut gaps = HashMap::new();
    if !comps.is_empty() {
        let cs = competency::Entity::find().filter(competency::Column::Id.is_in(comps.iter().copied())).all(db).await?;
        let fws: HashMap<i64, f64> = competency_framework::Entity::find()
            .filter(competency_framework::Column::Id.is_in(cs.iter().map(|c| c.framework_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|f| (f.id, Scale::of(&f).mastered_threshold()))
            .collect();
        for c in &cs {
            thresholds.insert(c.id, fws.get(&c.framework_id).copied().unwrap_or(1.0));
        }
        for chunk in learners.chunks(500) {
            for m in mastery::Entity::find()
                .filter(mastery::Column::LearnerId.is_in(chunk.iter().copied()))
                .filter(mastery::Column::CompetencyId.is_in(comps.iter().copied()))
                .all(db)
                .await?
            {
                let threshold = thresholds.get(&m.competency_id).copied().unwrap_or(1.0);
                gaps.insert(
                    (m.learner_id, m.competency_id),
                    Gap { competency_id: m.competency_id, value: m.value, threshold },
                );
            }
        }
    }
    Ok(BlockFacts { sessions, focus, invited, gaps, thresholds })
}

/// Active students of a school, by id.
async fn school_students(db: &impl ConnectionTrait, school: i64) -> AppResult<Vec<i64>> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Student))
        .filter(user::Column::Status.eq(STATUS_ACTIVE))
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_org::Column::UserId)
                    .from(user_org::Entity)
                    .and_where(user_org::Column::OrgId.eq(school))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// What a placement run did.
pub struct RunSummary {
    pub block: win_block::Model,
    pub students: usize,
    pub placed: usize,
    pub unplaced: Vec<i64>,
    /// Students placed in their n-th choice, by n (index 0: first choice).
    pub by_rank: Vec<usize>,
    pub objective: i64,
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Places every active student of the block's school in exactly one session (see
/// `placement`), replacing an earlier run's placements; attendance already recorded is kept
/// for students who stay in the same session.
pub async fn run_placement(db: &DatabaseConnection, p: &Principal, block_id: i64) -> AppResult<RunSummary> {
    require_school_wide(p)?;
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    // Concurrent runs of one block take turns: the first statement locks its row.
    win_block::Entity::update_many()
        .col_expr(win_block::Column::DateLastModified, sea_orm::sea_query::Expr::value(crate::db::now()))
        .filter(win_block::Column::Id.eq(b.id))
        .exec(&txn)
        .await?;
    let learners = school_students(&txn, b.org_id).await?;
    let f = facts(&txn, b.id, &learners).await?;
    if f.sessions.is_empty() {
        return Err(AppError::validation("input.blockId", "the block has no sessions to place students in"));
    }
    let index: HashMap<i64, usize> = f.sessions.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    // Teachers' adjustments from an earlier run stand: they are fixed like requirements.
    let previous: HashMap<i64, win_assignment::Model> = win_assignment::Entity::find()
        .filter(win_assignment::Column::BlockId.eq(b.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.learner_id, a))
        .collect();
    let mut choices: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
    for c in win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .order_by_asc(win_choice::Column::Rank)
        .all(&txn)
        .await?
    {
        choices.entry(c.learner_id).or_default().push((c.session_id, c.rank));
    }
    let reviews: HashMap<i64, win_review::Model> = win_review::Entity::find()
        .filter(win_review::Column::BlockId.eq(b.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.learner_id, r))
        .collect();
    let problem = Problem {
        capacity: f.sessions.iter().map(|s| u32::try_from(s.capacity).unwrap_or(0)).collect(),
        students: learners
            .iter()
            .map(|l| {
                let mut ranks: Vec<(usize, u32)> = choices
                    .get(l)
                    .into_iter()
                    .flatten()
                    .filter_map(|(s, r)| index.get(s).map(|i| (*i, u32::try_from(*r).unwrap_or(1))))
                    .collect();
                let review = reviews.get(l);
                if let Some(r) = review.filter(|r| r.decision != WinDecision::Required.as_str())
                    && let Some(i) = index.get(&r.session_id)
                {
                    // Approved or redirected: that session comes first, the rest keep their order.
                    ranks.retain(|(k, _)| k != i);
                    ranks = std::iter::once((*i, 1))
                        .chain(ranks.into_iter().enumerate().map(|(n, (k, _))| (k, n as u32 + 2)))
                        .collect();
                }
                let adjusted = previous
                    .get(l)
                    .filter(|a| a.source == PlacementSource::Adjusted.as_str())
                    .and_then(|a| index.get(&a.session_id).copied());
                Student {
                    ranks,
                    need: f.sessions.iter().map(|s| f.need(*l, s.id)).collect(),
                    required: review
                        .filter(|r| r.decision == WinDecision::Required.as_str())
                        .and_then(|r| index.get(&r.session_id).copied())
                        .or(adjusted),
                    barred: f
                        .sessions
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.invite_only && !f.invited.get(&s.id).is_some_and(|i| i.contains(l)))
                        .map(|(i, _)| i)
                        .collect(),
                }
            })
            .collect(),
    };
    let placed = placement::place(&problem).map_err(|e| match e {
        Infeasible::OverRequired { session, required, capacity } => AppError::validation(
            "input.blockId",
            format!(
                "{required} students are required in (or were moved to) `{}`, which has {capacity} seats: raise its capacity or move a requirement",
                f.sessions[session].title
            ),
        ),
        Infeasible::TooMany(n) => {
            AppError::validation("input.blockId", format!("{n} students is more than one run places"))
        }
    })?;
    let full: Vec<bool> = (0..f.sessions.len())
        .map(|k| placed.session.iter().filter(|s| **s == Some(k)).count() >= problem.capacity[k] as usize)
        .collect();
    win_assignment::Entity::delete_many().filter(win_assignment::Column::BlockId.eq(b.id)).exec(&txn).await?;
    let now = crate::db::now();
    let mut rows = Vec::new();
    let mut by_rank = vec![0usize; MAX_CHOICES as usize];
    let mut unplaced = Vec::new();
    for (n, l) in learners.iter().enumerate() {
        let st = &problem.students[n];
        let Some(k) = placed.session[n] else {
            unplaced.push(*l);
            continue;
        };
        let session = &f.sessions[k];
        // The rank the student gave (a teacher's approval or redirect moved a session first
        // for placement, but the student's own ranking is what is reported).
        let own_rank: Option<i32> =
            choices.get(l).and_then(|c| c.iter().find(|(s, _)| *s == session.id).map(|(_, r)| *r));
        let rank = st.rank_of(k);
        let review = reviews.get(l).filter(|r| r.session_id == session.id);
        let was_adjusted = previous
            .get(l)
            .is_some_and(|a| a.source == PlacementSource::Adjusted.as_str() && a.session_id == session.id);
        let (source, explanation) =
            if was_adjusted && review.is_none_or(|r| r.decision != WinDecision::Required.as_str()) {
                let before = previous.get(l).map(|a| a.explanation.clone()).unwrap_or_default();
                (PlacementSource::Adjusted, before)
            } else if st.required == Some(k) {
                (PlacementSource::Required, format!("required by your teacher: {}", session.title))
            } else if let Some(r) = review.filter(|r| r.decision == WinDecision::Redirected.as_str()) {
                let note = r.note.as_deref().unwrap_or_default();
                (PlacementSource::Placed, format!("your teacher directed you to {}: {note}", session.title))
            } else if let Some(r) = rank {
                if let Some(slot) = own_rank.and_then(|x| by_rank.get_mut(usize::try_from(x - 1).ok()?)) {
                    *slot += 1;
                }
                let shown = own_rank.and_then(|x| u32::try_from(x).ok()).unwrap_or(r);
                let mut why = format!("placed in your {} choice ({})", ordinal(shown), session.title);
                if review.is_some_and(|x| x.decision == WinDecision::Approved.as_str()) {
                    why.push_str(", approved by your teacher");
                }
                let higher: Vec<String> = st
                    .ranks
                    .iter()
                    .filter(|(_, hr)| *hr < r)
                    .map(|(hk, hr)| {
                        let reason = if st.barred.contains(hk) {
                            "is by invitation"
                        } else if full[*hk] {
                            "was full"
                        } else {
                            "could not take you without moving a student further from their choices"
                        };
                        format!("your {} ({}) {reason}", ordinal(*hr), f.sessions[*hk].title)
                    })
                    .collect();
                if !higher.is_empty() {
                    why.push_str("; ");
                    why.push_str(&higher.join("; "));
                }
                (PlacementSource::Placed, why)
            } else if st.ranks.is_empty() {
                (PlacementSource::Placed, format!("you chose no session; placed by need in {}", session.title))
            } else {
                (PlacementSource::Placed, format!("your choices were full; placed by need in {}", session.title))
            };
        let kept = previous.get(l).filter(|a| a.session_id == session.id);
        rows.push(win_assignment::ActiveModel {
            block_id: Set(b.id),
            learner_id: Set(*l),
            session_id: Set(session.id),
            source: Set(source.as_str().to_owned()),
            choice_rank: Set(own_rank),
            explanation: Set(explanation.chars().take(500).collect()),
            attendance: Set(kept.and_then(|a| a.attendance.clone())),
            outcome_note: Set(kept.and_then(|a| a.outcome_note.clone())),
            attendance_by: Set(kept.and_then(|a| a.attendance_by.clone())),
            attendance_at: Set(kept.and_then(|a| a.attendance_at)),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        });
    }
    let placed_count = rows.len();
    for chunk in rows.chunks(1000) {
        win_assignment::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    win_block::Entity::update(win_block::ActiveModel {
        id: Set(b.id),
        placed_at: Set(Some(now)),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let block = win_block::Entity::find_by_id(b.id).one(&txn).await?.ok_or(AppError::NotFound("WIN block"))?;
    txn.commit().await?;
    Ok(RunSummary { block, students: learners.len(), placed: placed_count, unplaced, by_rank, objective: placed.cost })
}

/// Moves a placed student to another session of the block, within its capacity.
pub async fn adjust(
    db: &DatabaseConnection,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    session_id: i64,
    note: Option<String>,
) -> AppResult<win_assignment::Model> {
    require_staff(p)?;
    let note = note.filter(|n| !n.trim().is_empty());
    if let Some(n) = &note {
        check_len("input.note", n, 300)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let learner = student(&txn, p, b.org_id, "input.learnerSourcedId", learner_sid).await?;
    let session = block_session(&txn, b.id, session_id).await?;
    let current = win_assignment::Entity::find()
        .filter(win_assignment::Column::BlockId.eq(b.id))
        .filter(win_assignment::Column::LearnerId.eq(learner.id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::validation("input.learnerSourcedId", "the student is not placed yet: run placement first")
        })?;
    if current.session_id != session.id {
        // Take the session's row lock before counting, so two adjustments can't both take
        // its last seat (PostgreSQL; SQLite's write transaction already serialises them).
        win_session::Entity::update_many()
            .col_expr(win_session::Column::DateLastModified, sea_orm::sea_query::Expr::value(crate::db::now()))
            .filter(win_session::Column::Id.eq(session.id))
            .exec(&txn)
            .await?;
        let taken =
            win_assignment::Entity::find().filter(win_assignment::Column::SessionId.eq(session.id)).count(&txn).await?;
        if taken >= u64::try_from(session.capacity).unwrap_or(0) {
            return Err(AppError::Conflict(format!("`{}` is full ({} seats)", session.title, session.capacity)));
        }
        if session.invite_only && !invited(&txn, session.id, learner.id).await? {
            return Err(AppError::validation("input.sessionId", "this session is by invitation only"));
        }
    }
    let rank = own_choice(&txn, b.id, learner.id, session.id).await?.map(|c| c.rank);
    let (_, by) = p.actor_ref();
    let why = match note {
        Some(n) => format!("moved to {} by {by}: {}", session.title, n.trim()),
        None => format!("moved to {} by {by}", session.title),
    };
    let keep_attendance = current.session_id == session.id;
    win_assignment::Entity::update(win_assignment::ActiveModel {
        id: Set(current.id),
        session_id: Set(session.id),
        source: Set(PlacementSource::Adjusted.as_str().to_owned()),
        choice_rank: Set(rank),
        explanation: Set(why.chars().take(500).collect()),
        attendance: Set(if keep_attendance { current.attendance.clone() } else { None }),
        outcome_note: Set(if keep_attendance { current.outcome_note.clone() } else { None }),
        attendance_by: Set(if keep_attendance { current.attendance_by.clone() } else { None }),
        attendance_at: Set(if keep_attendance { current.attendance_at } else { None }),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let m = win_assignment::Entity::find_by_id(current.id).one(&txn).await?.ok_or(AppError::NotFound("placement"))?;
    txn.commit().await?;
    Ok(m)
}

/// One student's attendance as a teacher records it.
pub struct AttendanceInput {
    pub learner: String,
    pub attendance: Attendance,
    pub note: Option<String>,
}

/// Records attendance for placed students of a block; every row is checked before anything
/// is written.
pub async fn record_attendance(
    db: &DatabaseConnection,
    p: &Principal,
    block_id: i64,
    rows: Vec<AttendanceInput>,
) -> AppResult<Vec<win_assignment::Model>> {
    require_staff(p)?;
    if rows.is_empty() || rows.len() > 2000 {
        return Err(AppError::validation("input.records", "give 1 to 2000 records"));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let sids: Vec<String> = rows.iter().map(|r| r.learner.clone()).collect();
    let found = students_by_sid(&txn, p, b.org_id, &sids).await?;
    let ids: Vec<i64> = found.values().map(|u| u.id).collect();
    let placed: HashMap<i64, win_assignment::Model> = win_assignment::Entity::find()
        .filter(win_assignment::Column::BlockId.eq(b.id))
        .filter(win_assignment::Column::LearnerId.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.learner_id, a))
        .collect();
    let mut seen = HashSet::new();
    let mut updates = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let field = |n: &str| format!("input.records.{i}.{n}");
        let u = found.get(&r.learner).ok_or_else(|| {
            AppError::validation(
                field("learnerSourcedId"),
                format!("no student `{}` among those you may see", r.learner),
            )
        })?;
        let a = placed.get(&u.id).ok_or_else(|| {
            AppError::validation(field("learnerSourcedId"), "the student is not placed in this block")
        })?;
        if !seen.insert(u.id) {
            return Err(AppError::validation(field("learnerSourcedId"), "recorded twice"));
        }
        let note = r.note.as_ref().filter(|n| !n.trim().is_empty());
        if let Some(n) = note {
            check_len(&field("note"), n, 1000)?;
        }
        updates.push((a.id, r.attendance, note.map(|n| n.trim().to_owned())));
    }
    let (_, by) = p.actor_ref();
    let now = crate::db::now();
    // One UPDATE per distinct (attendance, note): most rows share one, so a class's record
    // costs a few statements, not one per student.
    let mut groups: HashMap<(&'static str, Option<String>), Vec<i64>> = HashMap::new();
    for (id, att, note) in &updates {
        groups.entry((att.as_str(), note.clone())).or_default().push(*id);
    }
    for ((att, note), ids) in groups {
        for chunk in ids.chunks(500) {
            win_assignment::Entity::update_many()
                .col_expr(win_assignment::Column::Attendance, sea_orm::sea_query::Expr::value(att))
                .col_expr(win_assignment::Column::OutcomeNote, sea_orm::sea_query::Expr::value(note.clone()))
                .col_expr(win_assignment::Column::AttendanceBy, sea_orm::sea_query::Expr::value(by.clone()))
                .col_expr(win_assignment::Column::AttendanceAt, sea_orm::sea_query::Expr::value(now))
                .col_expr(win_assignment::Column::DateLastModified, sea_orm::sea_query::Expr::value(now))
                .filter(win_assignment::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    let out = win_assignment::Entity::find()
        .filter(win_assignment::Column::Id.is_in(updates.iter().map(|u| u.0)))
        .order_by_asc(win_assignment::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// Assignments of students the principal may see.
pub fn assignments(p: &Principal) -> Select<win_assignment::Entity> {
    win_assignment::Entity::find()
        .filter(crate::auth::policy::user_id_visible(p, (win_assignment::Entity, win_assignment::Column::LearnerId)))
        .filter(
            win_assignment::Column::BlockId.in_subquery(
                Query::select()
                    .column(win_block::Column::Id)
                    .from(win_block::Entity)
                    .cond_where(owned_by_granted_org(p, (win_block::Entity, win_block::Column::OrgId)))
                    .to_owned(),
            ),
        )
}

/// Choices of students the principal may see, for a block.
pub fn choices(p: &Principal, block: i64) -> Select<win_choice::Entity> {
    win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(block))
        .filter(crate::auth::policy::user_id_visible(p, (win_choice::Entity, win_choice::Column::LearnerId)))
        .order_by_asc(win_choice::Column::LearnerId)
        .order_by_asc(win_choice::Column::Rank)
}

/// Reviews of students the principal may see, for a block.
pub fn reviews(p: &Principal, block: i64) -> Select<win_review::Entity> {
    win_review::Entity::find()
        .filter(win_review::Column::BlockId.eq(block))
        .filter(crate::auth::policy::user_id_visible(p, (win_review::Entity, win_review::Column::LearnerId)))
}

/// A school's WIN over a span of dates.
pub struct Summary {
    pub blocks: usize,
    pub placed: usize,
    /// Students placed in their n-th choice, by n (index 0: first choice).
    pub by_rank: Vec<usize>,
    pub seats: i64,
    pub seats_used: usize,
    /// `(learner, absences)` for students absent at least twice.
    pub repeatedly_absent: Vec<(i64, usize)>,
}

pub async fn summary(
    db: &DatabaseConnection,
    p: &Principal,
    school_sid: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Summary> {
    p.require(Scope::WinRead)?;
    if matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("the school's WIN summary is for its staff".into()));
    }
    let school = school(db, p, "schoolSourcedId", school_sid).await?;
    let mut q = blocks(p).filter(win_block::Column::OrgId.eq(school.id));
    if let Some(f) = from {
        q = q.filter(win_block::Column::BlockDate.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(win_block::Column::BlockDate.lte(t));
    }
    let block_ids: Vec<i64> = q.all(db).await?.into_iter().map(|b| b.id).collect();
    let seats: Option<i64> = win_session::Entity::find()
        .select_only()
        .column_as(win_session::Column::Capacity.sum(), "s")
        .filter(win_session::Column::BlockId.is_in(block_ids.iter().copied()))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    let rows = assignments(p).filter(win_assignment::Column::BlockId.is_in(block_ids.iter().copied())).all(db).await?;
    let mut by_rank = vec![0usize; 3];
    let mut absences: HashMap<i64, usize> = HashMap::new();
    for a in &rows {
        if let Some(r) = a.choice_rank
            && let Some(slot) = by_rank.get_mut(usize::try_from(r - 1).unwrap_or(usize::MAX))
        {
            *slot += 1;
        }
        if a.attendance.as_deref() == Some(Attendance::Absent.as_str()) {
            *absences.entry(a.learner_id).or_default() += 1;
        }
    }
    let mut repeatedly_absent: Vec<(i64, usize)> = absences.into_iter().filter(|(_, n)| *n >= 2).collect();
    repeatedly_absent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Summary {
        blocks: block_ids.len(),
        placed: rows.len(),
        by_rank,
        seats: seats.unwrap_or(0),
        seats_used: rows.len(),
        repeatedly_absent,
    })
}
