//! Students' ranked choices for a block: a student (or a tool relaying them) submits them
//! until the block's choices close; staff read those of the learners they may see.

use std::collections::{HashMap, HashSet};

use entity::{user, win_block, win_choice, win_review, win_session, win_session_invite};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionSession,
    TransactionTrait,
};

use super::{WinDecision, block, find_block, loader_error, student};
use crate::{
    auth::{Principal, policy::win as policy},
    error::{AppError, AppResult, OnConstraint},
    page::{Page, PageRequest, fetch_page, page_of},
    win::loaders::WinLoaders,
};

/// Replaces a student's ranked choices for a block (first = rank 1). Refused, changing nothing,
/// once the block's choices have closed. A teacher's approval of a session the student no
/// longer chooses is withdrawn with it (a redirection or requirement stands: it never depended
/// on the choices); when placement has run and the choices changed, the student's placement
/// and the block's are marked outdated until placement runs again.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn submit_choices(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    sessions: Vec<i64>,
) -> AppResult<Vec<win_choice::Model>> {
    policy::require_chooser(p)?;
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
    let learner = student(&txn, p, &b, "input.learnerSourcedId", learner_sid).await?;
    policy::may_choose_for(p, learner.id)?;
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
        let session =
            offered.get(s).ok_or_else(|| AppError::not_found_at(&field, "no session with this id in the block"))?;
        if session.invite_only && !invited.contains(s) {
            return Err(AppError::validation(&field, "this session is by invitation only"));
        }
        if !seen.insert(*s) {
            return Err(AppError::validation(&field, "ranked twice"));
        }
    }
    let before: Vec<i64> = win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.eq(learner.id))
        .order_by_asc(win_choice::Column::Rank)
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.session_id)
        .collect();
    win_choice::Entity::delete_many()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.eq(learner.id))
        .exec(&txn)
        .await?;
    win_review::Entity::delete_many()
        .filter(win_review::Column::BlockId.eq(b.id))
        .filter(win_review::Column::LearnerId.eq(learner.id))
        .filter(win_review::Column::Decision.eq(WinDecision::Approved))
        .filter(win_review::Column::SessionId.is_not_in(sessions.iter().copied()))
        .exec(&txn)
        .await?;
    if before != sessions {
        super::placement_changed(&txn, &b, &[learner.id]).await?;
    }
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
    p.reveal(out.iter().map(|c| c.learner_id));
    Ok(out)
}

/// The choices that stand for a student in a block, for a caller who sees them (a refused
/// submission answers with them); none when the block or the student is not the caller's.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn standing(
    db: &impl ConnectionTrait,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
) -> AppResult<Vec<win_choice::Model>> {
    let Some(b) = find_block(db, p, block_id).await? else { return Ok(vec![]) };
    let Ok(learner) = student(db, p, &b, "input.learnerSourcedId", learner_sid).await else { return Ok(vec![]) };
    let out = win_choice::Entity::find()
        .filter(win_choice::Column::BlockId.eq(b.id))
        .filter(win_choice::Column::LearnerId.eq(learner.id))
        .order_by_asc(win_choice::Column::Rank)
        .all(db)
        .await?;
    p.reveal(out.iter().map(|c| c.learner_id));
    Ok(out)
}

/// The order of a block's choices: by student, then rank (a rank is at most `MAX_CHOICES`),
/// also their cursor key.
pub fn preference_key(c: &win_choice::Model) -> i64 {
    c.learner_id * 16 + i64::from(c.rank)
}

/// A page of the ranked choices for a block of the learners the caller may see (the block
/// being one the caller sees) that `keep` keeps, by learner and rank; batched across the
/// request's blocks by `loaders`. The page's learners are revealed.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn preferences(
    loaders: &WinLoaders,
    p: &Principal,
    block_id: i64,
    keep: impl Fn(&win_choice::Model) -> bool,
    req: PageRequest,
) -> AppResult<Page<win_choice::Model>> {
    let rows = loaders.choices.load_one((policy::learner_view(p), block_id)).await.map_err(loader_error)?;
    let rows = rows.unwrap_or_default().into_iter().filter(|c| keep(c)).collect();
    let page = page_of(rows, preference_key, req);
    p.reveal(page.rows.iter().map(|c| c.learner_id));
    Ok(page)
}

/// Active students of the block's school the caller sees in it who have ranked no session of
/// it yet, paged by id; the page's learners are revealed.
#[tracing::instrument(skip_all, fields(block = b.id))]
pub async fn not_chosen(
    db: &impl ConnectionTrait,
    p: &Principal,
    b: &win_block::Model,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<user::Model>> {
    policy::require_summary_reader(p)?;
    let chose = sea_orm::sea_query::Query::select()
        .column(win_choice::Column::LearnerId)
        .from(win_choice::Entity)
        .and_where(win_choice::Column::BlockId.eq(b.id))
        .to_owned();
    let q = super::block_students_query(p, b).filter(user::Column::Id.not_in_subquery(chose));
    let page = fetch_page(db, q, user::Column::Id, req, count).await?;
    p.reveal(page.rows.iter().map(|u| u.id));
    Ok(page)
}
