//! A placement run: every active student of the block's school in exactly one session (the
//! solver is `win::placement`), with an explanation in words for each student.

use std::collections::HashMap;

use entity::{Status, user, win_assignment, win_block, win_choice, win_review};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};

use super::{
    PlacementSource, WinDecision, block,
    review::facts,
    summary::{ChoiceCounts, Counted, count_choices},
};
use crate::{
    auth::{Principal, policy::win as policy},
    error::{AppError, AppResult},
    roster::store::Role,
    win::placement::{self, Infeasible, Problem, Student},
};

/// Active students of a school, by id.
async fn school_students(db: &impl ConnectionTrait, school: i64) -> AppResult<Vec<i64>> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Student))
        .filter(user::Column::Status.eq(Status::Active))
        .filter(user::Column::Id.in_subquery(super::school_members(school)))
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
    /// How the placements met the students' choices.
    pub choices: ChoiceCounts,
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
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn run_placement(db: &impl TransactionTrait, p: &Principal, block_id: i64) -> AppResult<RunSummary> {
    policy::require_school_wide(p)?;
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
                if let Some(r) = review.filter(|r| r.decision != WinDecision::Required)
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
                    .filter(|a| a.source == PlacementSource::Adjusted)
                    .and_then(|a| index.get(&a.session_id).copied());
                Student {
                    ranks,
                    need: f.sessions.iter().map(|s| f.need(*l, s.id)).collect(),
                    required: review
                        .filter(|r| r.decision == WinDecision::Required)
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
    let mut unplaced = Vec::new();
    // Placed before choices close: students may still change them.
    let provisional = now < b.choices_close_at;
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
        let was_adjusted =
            previous.get(l).is_some_and(|a| a.source == PlacementSource::Adjusted && a.session_id == session.id);
        let (source, explanation) = if was_adjusted && review.is_none_or(|r| r.decision != WinDecision::Required) {
            let before = previous.get(l).map(|a| a.explanation.clone()).unwrap_or_default();
            (PlacementSource::Adjusted, before)
        } else if st.required == Some(k) {
            (PlacementSource::Required, format!("required by your teacher: {}", session.title))
        } else if let Some(r) = review.filter(|r| r.decision == WinDecision::Redirected) {
            let note = r.note.as_deref().unwrap_or_default();
            (PlacementSource::Redirected, format!("your teacher directed you to {}: {note}", session.title))
        } else if let Some(r) = rank {
            let shown = own_rank.and_then(|x| u32::try_from(x).ok()).unwrap_or(r);
            let mut why = format!("placed in your {} choice ({})", ordinal(shown), session.title);
            if review.is_some_and(|x| x.decision == WinDecision::Approved) {
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
            source: Set(source),
            choice_rank: Set(own_rank),
            explanation: Set(explanation.chars().take(500).collect()),
            attendance: Set(kept.and_then(|a| a.attendance)),
            outcome_note: Set(kept.and_then(|a| a.outcome_note.clone())),
            attendance_by: Set(kept.and_then(|a| a.attendance_by.clone())),
            attendance_at: Set(kept.and_then(|a| a.attendance_at)),
            outdated: Set(false),
            provisional: Set(provisional),
            choices_made: Set(choices.get(l).map_or(0, |c| i32::try_from(c.len()).unwrap_or(i32::MAX))),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        });
    }
    let placed_count = rows.len();
    let counts = count_choices(rows.iter().map(|r| Counted {
        source: *r.source.as_ref(),
        choice_rank: *r.choice_rank.as_ref(),
        choices_made: *r.choices_made.as_ref(),
    }));
    for chunk in rows.chunks(1000) {
        win_assignment::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let block = win_block::Entity::update(win_block::ActiveModel {
        id: Set(b.id),
        placed_at: Set(Some(now)),
        placement_outdated: Set(false),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    // The run rewrote every student's placement (and reports those it could not place).
    p.reveal(learners.iter().copied());
    Ok(RunSummary {
        block,
        students: learners.len(),
        placed: placed_count,
        unplaced,
        choices: counts,
        objective: placed.cost,
    })
}
