//! A school's WIN over a span of dates, for its staff and tools.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{win_assignment, win_block, win_session};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{Attendance, block_ids as visible_blocks, blocks, school};
use crate::{
    auth::{Principal, policy::win as policy},
    error::AppResult,
};

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

/// A school's WIN between two dates, over the placements of the learners the caller may see;
/// the repeatedly absent learners it names are revealed to the caller.
#[tracing::instrument(skip_all, fields(from = ?from, to = ?to))]
pub async fn summary(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_sid: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Summary> {
    policy::require_summary_reader(p)?;
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
    let rows = win_assignment::Entity::find()
        .filter(crate::auth::policy::user_id_visible(p, (win_assignment::Entity, win_assignment::Column::LearnerId)))
        .filter(win_assignment::Column::BlockId.in_subquery(visible_blocks(p)))
        .filter(win_assignment::Column::BlockId.is_in(block_ids.iter().copied()))
        .all(db)
        .await?;
    let mut by_rank = vec![0usize; 3];
    let mut absences: HashMap<i64, usize> = HashMap::new();
    for a in &rows {
        if let Some(r) = a.choice_rank
            && let Some(slot) = by_rank.get_mut(usize::try_from(r - 1).unwrap_or(usize::MAX))
        {
            *slot += 1;
        }
        if a.attendance == Some(Attendance::Absent) {
            *absences.entry(a.learner_id).or_default() += 1;
        }
    }
    let mut repeatedly_absent: Vec<(i64, usize)> = absences.into_iter().filter(|(_, n)| *n >= 2).collect();
    repeatedly_absent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    p.reveal(repeatedly_absent.iter().map(|a| a.0));
    Ok(Summary {
        blocks: block_ids.len(),
        placed: rows.len(),
        by_rank,
        seats: seats.unwrap_or(0),
        seats_used: rows.len(),
        repeatedly_absent,
    })
}
