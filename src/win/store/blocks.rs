//! Blocks and the sessions offered in them: creating a block, offering a session, repeating a
//! block weekly through a term, and listing a school's blocks.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    Status, academic_session, user, user_org, win_block, win_session, win_session_competency, win_session_invite,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::{MAX_CAPACITY, MAX_CHOICES, WinMode, block, blocks, school, students_by_sid};
use crate::{
    auth::{Principal, policy::win as policy},
    error::{AppError, AppResult, OnConstraint},
    roster::store::{self as roster, Key, Role, check_len},
};

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

/// Creates a school's block on a date: one per school and date.
#[tracing::instrument(skip_all, fields(date = %input.date))]
pub async fn create_block(db: &impl TransactionTrait, p: &Principal, input: BlockInput) -> AppResult<win_block::Model> {
    policy::require_school_wide(p)?;
    crate::validate::Date::parse("input.date", input.date)?;
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
    let m = win_block::ActiveModel {
        org_id: Set(school.id),
        block_date: Set(input.date),
        choices_close_at: Set(chrono::SubsecRound::trunc_subsecs(close, 6)),
        max_choices: Set(max),
        placed_at: Set(None),
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
    policy::may_offer_as(p, teacher.as_ref().map(|t| t.id))?;
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
    let mut created: Vec<win_block::Model> = Vec::new();
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
        let copy = win_block::ActiveModel {
            org_id: Set(t.org_id),
            block_date: Set(date),
            choices_close_at: Set(t.choices_close_at + shift),
            max_choices: Set(t.max_choices),
            placed_at: Set(None),
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
