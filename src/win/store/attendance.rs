//! After placement: teachers move students between sessions and record attendance; staff
//! read the placements of the learners they may see.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use entity::{win_assignment, win_session};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use super::{
    Attendance, PlacementSource, block, block_session, block_students, invited, loader_error, own_choice, student,
    unknown_student,
};
use crate::{
    auth::{Principal, policy::win as policy},
    error::{AppError, AppResult},
    page::{Page, PageRequest, page_of},
    roster::store::check_len,
    win::loaders::WinLoaders,
};

/// Moves a placed student to another session of the block, within its capacity.
#[tracing::instrument(skip_all, fields(block = block_id, session = session_id))]
pub async fn adjust(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    session_id: i64,
    note: Option<String>,
) -> AppResult<win_assignment::Model> {
    policy::require_staff(p)?;
    let note = note.filter(|n| !n.trim().is_empty());
    if let Some(n) = &note {
        check_len("input.note", n, 300)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let learner = student(&txn, p, &b, "input.learnerSourcedId", learner_sid).await?;
    let session = block_session(&txn, b.id, session_id).await?;
    let current = win_assignment::Entity::find()
        .filter(win_assignment::Column::BlockId.eq(b.id))
        .filter(win_assignment::Column::LearnerId.eq(learner.id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::validation("input.learnerSourcedId", "the student is not placed yet: run placement first")
        })?;
    super::require_placements_of(&txn, p, &[(learner.id, current.session_id)]).await?;
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
    let by = super::actor_name(&txn, p).await?;
    let why = match note {
        Some(n) => format!("moved to {} by {by}: {}", session.title, n.trim()),
        None => format!("moved to {} by {by}", session.title),
    };
    let keep_attendance = current.session_id == session.id;
    let m = win_assignment::Entity::update(win_assignment::ActiveModel {
        id: Set(current.id),
        session_id: Set(session.id),
        source: Set(PlacementSource::Adjusted),
        choice_rank: Set(rank),
        explanation: Set(why.chars().take(500).collect()),
        attendance: Set(if keep_attendance { current.attendance } else { None }),
        outcome_note: Set(if keep_attendance { current.outcome_note.clone() } else { None }),
        attendance_by: Set(if keep_attendance { current.attendance_by.clone() } else { None }),
        attendance_at: Set(if keep_attendance { current.attendance_at } else { None }),
        outdated: Set(false),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    p.reveal([m.learner_id]);
    Ok(m)
}

/// One student's attendance as a teacher records it.
pub struct AttendanceInput {
    pub learner: String,
    pub attendance: Attendance,
    pub note: Option<String>,
}

/// Records attendance for placed students of a block, from the block's day on (in the
/// school's time zone); every row is checked before anything is written.
#[tracing::instrument(skip_all, fields(block = block_id, records = rows.len()))]
pub async fn record_attendance(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    rows: Vec<AttendanceInput>,
) -> AppResult<Vec<win_assignment::Model>> {
    policy::require_staff(p)?;
    if rows.is_empty() || rows.len() > 2000 {
        return Err(AppError::validation("input.records", "give 1 to 2000 records"));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let today = crate::roster::store::today_in(crate::roster::store::zone_of(&txn, b.org_id).await?);
    if today < b.block_date {
        return Err(AppError::Conflict(format!(
            "the block is on {}: attendance can be recorded from that day (it is {today} at the school)",
            b.block_date
        )));
    }
    let sids: Vec<String> = rows.iter().map(|r| r.learner.clone()).collect();
    let found = block_students(&txn, p, &b, &sids).await?;
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
        let u = found.get(&r.learner).ok_or_else(|| unknown_student(&field("learnerSourcedId"), &r.learner))?;
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
    let mine: Vec<(i64, i64)> = placed.values().map(|a| (a.learner_id, a.session_id)).collect();
    super::require_placements_of(&txn, p, &mine).await?;
    let (_, by) = p.actor_ref();
    let now = crate::db::now();
    // One UPDATE per distinct (attendance, note): most rows share one, so a class's record
    // costs a few statements, not one per student.
    let mut groups: HashMap<(Attendance, Option<String>), Vec<i64>> = HashMap::new();
    for (id, att, note) in &updates {
        groups.entry((*att, note.clone())).or_default().push(*id);
    }
    let mut out = Vec::with_capacity(updates.len());
    for ((att, note), ids) in groups {
        for chunk in ids.chunks(500) {
            let written = win_assignment::Entity::update_many()
                .col_expr(win_assignment::Column::Attendance, sea_orm::sea_query::Expr::value(att.as_str()))
                .col_expr(win_assignment::Column::OutcomeNote, sea_orm::sea_query::Expr::value(note.clone()))
                .col_expr(win_assignment::Column::AttendanceBy, sea_orm::sea_query::Expr::value(by.clone()))
                .col_expr(win_assignment::Column::AttendanceAt, sea_orm::sea_query::Expr::value(now))
                .col_expr(win_assignment::Column::DateLastModified, sea_orm::sea_query::Expr::value(now))
                .filter(win_assignment::Column::Id.is_in(chunk.iter().copied()))
                .exec_with_returning(&txn)
                .await?;
            out.extend(written);
        }
    }
    out.sort_by_key(|a| a.id);
    txn.commit().await?;
    p.reveal(out.iter().map(|a| a.learner_id));
    Ok(out)
}

/// A page of where the learners the caller may see are placed in a block (those `keep`
/// keeps), by learner; the page's learners are revealed.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn block_placements(
    loaders: &WinLoaders,
    p: &Principal,
    block_id: i64,
    keep: impl Fn(&win_assignment::Model) -> bool,
    req: PageRequest,
) -> AppResult<Page<win_assignment::Model>> {
    let rows = loaders.placements.load_one((policy::learner_view(p), block_id)).await.map_err(loader_error)?;
    Ok(placement_page(p, rows.unwrap_or_default(), keep, req))
}

/// A page of the placements in a session of the learners the caller may see (its teacher
/// sees every student placed in it), by learner; the page's learners are revealed.
#[tracing::instrument(skip_all, fields(session = session_id))]
pub async fn session_placements(
    loaders: &WinLoaders,
    p: &Principal,
    session_id: i64,
    keep: impl Fn(&win_assignment::Model) -> bool,
    req: PageRequest,
) -> AppResult<Page<win_assignment::Model>> {
    let rows =
        loaders.session_placements.load_one((policy::learner_view(p), session_id)).await.map_err(loader_error)?;
    Ok(placement_page(p, rows.unwrap_or_default(), keep, req))
}

fn placement_page(
    p: &Principal,
    rows: Vec<win_assignment::Model>,
    keep: impl Fn(&win_assignment::Model) -> bool,
    req: PageRequest,
) -> Page<win_assignment::Model> {
    let page = page_of(rows.into_iter().filter(|a| keep(a)).collect(), |a| a.learner_id, req);
    p.reveal(page.rows.iter().map(|a| a.learner_id));
    page
}

/// Seats taken in a session: every placement, whoever asks (a count reveals no learner).
#[tracing::instrument(skip_all, fields(session = session_id))]
pub async fn seats_taken(loaders: &WinLoaders, session_id: i64) -> AppResult<usize> {
    Ok(loaders.seats.load_one(session_id).await.map_err(loader_error)?.map_or(0, |v| v.len()))
}

/// A learner's placements in blocks of the caller's schools, newest block first. The learner
/// is one the caller already sees (the roster decided when it read them).
#[tracing::instrument(skip_all, fields(learner = learner_id))]
pub async fn history(loaders: &WinLoaders, p: &Principal, learner_id: i64) -> AppResult<Vec<win_assignment::Model>> {
    let rows = loaders.history.load_one(learner_id).await.map_err(loader_error)?.unwrap_or_default();
    let blocks = loaders.block.load_many(rows.iter().map(|a| a.block_id)).await.map_err(loader_error)?;
    let mut rows: Vec<(NaiveDate, win_assignment::Model)> = rows
        .into_iter()
        .filter_map(|a| blocks.get(&a.block_id).filter(|b| p.owns_org(b.org_id)).map(|b| (b.block_date, a)))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    p.reveal(rows.iter().map(|r| r.1.learner_id));
    Ok(rows.into_iter().map(|(_, a)| a).collect())
}
