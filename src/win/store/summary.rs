//! A school's WIN over a span of dates, for its staff and tools, and the one definition of
//! how placements met students' choices (a placement run reports it too).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{win_assignment, win_block, win_session};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Attendance, MAX_CHOICES, PlacementSource, blocks, school};
use crate::{
    auth::{People, Principal, policy::win as policy},
    error::AppResult,
};

/// What counting a placement against the student's choices needs.
pub struct Counted {
    pub source: PlacementSource,
    /// The rank the student gave the session they are placed in.
    pub choice_rank: Option<i32>,
    /// How many sessions the student had ranked when placed.
    pub choices_made: i32,
}

/// How placements met students' choices. Only students who ranked at least one session
/// count (`choosers`): a student who chose nothing has no choice to meet. Each chooser is in
/// exactly one bucket: placed by the run in their n-th choice; placed where a teacher decided
/// (a requirement, a redirection, a move after placement), whatever rank the session had;
/// or placed by the run in none of their choices (each was full or closed to them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChoiceCounts {
    pub choosers: usize,
    /// By rank (index 0: first choice).
    pub by_rank: Vec<usize>,
    pub by_teacher: usize,
    pub none_of_theirs: usize,
}

/// Counts placements against choices (see [`ChoiceCounts`]).
pub fn count_choices(rows: impl IntoIterator<Item = Counted>) -> ChoiceCounts {
    let mut c = ChoiceCounts { by_rank: vec![0; MAX_CHOICES as usize], ..Default::default() };
    for r in rows.into_iter().filter(|r| r.choices_made > 0) {
        c.choosers += 1;
        match (r.source, r.choice_rank) {
            (PlacementSource::Placed, Some(n)) => {
                match usize::try_from(n - 1).ok().and_then(|i| c.by_rank.get_mut(i)) {
                    Some(slot) => *slot += 1,
                    None => c.none_of_theirs += 1,
                }
            }
            (PlacementSource::Placed, None) => c.none_of_theirs += 1,
            (PlacementSource::Required | PlacementSource::Redirected | PlacementSource::Adjusted, _) => {
                c.by_teacher += 1;
            }
        }
    }
    c
}

impl From<&win_assignment::Model> for Counted {
    fn from(a: &win_assignment::Model) -> Self {
        Counted { source: a.source, choice_rank: a.choice_rank, choices_made: a.choices_made }
    }
}

/// A school's WIN over a span of dates.
pub struct Summary {
    pub blocks: usize,
    /// Placements in the sessions summed up.
    pub placed: usize,
    pub choices: ChoiceCounts,
    /// Seats of the sessions summed up.
    pub seats: i64,
    /// `(learner, absences)` for students absent at least twice.
    pub repeatedly_absent: Vec<(i64, usize)>,
}

/// A school's WIN between two dates. Every figure is over the same sessions: all of the
/// school's for its administrators and tools, the ones they teach for a teacher (seats they
/// offer, students placed with them, their absences). The repeatedly absent learners it names
/// are revealed to the caller.
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
    let mut sessions =
        win_session::Entity::find().filter(win_session::Column::BlockId.is_in(block_ids.iter().copied()));
    if let People::Taught(me) = p.people {
        sessions = sessions.filter(win_session::Column::TeacherId.eq(me));
    }
    let sessions = sessions.all(db).await?;
    let rows = win_assignment::Entity::find()
        .filter(win_assignment::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .all(db)
        .await?;
    let mut absences: HashMap<i64, usize> = HashMap::new();
    for a in rows.iter().filter(|a| a.attendance == Some(Attendance::Absent)) {
        *absences.entry(a.learner_id).or_default() += 1;
    }
    let mut repeatedly_absent: Vec<(i64, usize)> = absences.into_iter().filter(|(_, n)| *n >= 2).collect();
    repeatedly_absent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    p.reveal(repeatedly_absent.iter().map(|a| a.0));
    Ok(Summary {
        blocks: block_ids.len(),
        placed: rows.len(),
        choices: count_choices(rows.iter().map(Counted::from)),
        seats: sessions.iter().map(|s| i64::from(s.capacity)).sum(),
        repeatedly_absent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source: PlacementSource, choice_rank: Option<i32>, choices_made: i32) -> Counted {
        Counted { source, choice_rank, choices_made }
    }

    #[test]
    fn each_chooser_counts_once_and_only_choosers_count() {
        use PlacementSource::*;
        let c = count_choices([
            row(Placed, Some(1), 3),
            row(Placed, Some(1), 1),
            row(Placed, Some(3), 3),
            // A redirected student placed in a session they ranked third is the teacher's doing.
            row(Redirected, Some(3), 3),
            row(Required, None, 2),
            row(Adjusted, Some(2), 2),
            row(Placed, None, 2),
            // Chose nothing: not counted anywhere.
            row(Placed, None, 0),
            row(Required, None, 0),
        ]);
        assert_eq!(c.choosers, 7);
        assert_eq!(&c.by_rank[..4], &[2, 0, 1, 0]);
        assert_eq!(c.by_teacher, 3);
        assert_eq!(c.none_of_theirs, 1);
        assert_eq!(c.by_rank.iter().sum::<usize>() + c.by_teacher + c.none_of_theirs, c.choosers);
        // A rank outside 1..=MAX_CHOICES is none a student could have given: counted once, as none.
        let odd = count_choices([row(Placed, Some(MAX_CHOICES + 1), 3), row(Placed, Some(0), 3)]);
        assert_eq!((odd.choosers, odd.none_of_theirs, odd.by_rank.iter().sum::<usize>()), (2, 2, 0));
    }
}
