//! Teachers' decisions on students' choices, and what they review before deciding: each
//! student's choices with the mastery gaps bearing on them.

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::{
    competency, competency_framework, mastery, win_review, win_session, win_session_competency, win_session_invite,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};

use super::{WinDecision, block, block_session, invited, loader_error, own_choice, student};
use crate::{
    auth::{Principal, policy::win as policy},
    competencies::store::Scale,
    error::{AppError, AppResult, OnConstraint},
    page::{Page, PageRequest, page_of},
    roster::store::check_len,
    win::loaders::WinLoaders,
};

/// Records a teacher's decision on a student's choices (replacing an earlier one); once
/// placement has run, a changed decision marks the student's placement outdated.
#[tracing::instrument(skip_all, fields(block = block_id, session = session_id))]
pub async fn review(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
    decision: WinDecision,
    session_id: i64,
    note: Option<String>,
) -> AppResult<win_review::Model> {
    policy::require_staff(p)?;
    let note = note.filter(|n| !n.trim().is_empty());
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    if decision == WinDecision::Redirected && note.is_none() {
        return Err(AppError::validation("input.note", "tell the student why they are redirected"));
    }
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let learner = student(&txn, p, &b, "input.learnerSourcedId", learner_sid).await?;
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
    let before = win_review::Entity::find()
        .filter(win_review::Column::BlockId.eq(b.id))
        .filter(win_review::Column::LearnerId.eq(learner.id))
        .one(&txn)
        .await?;
    win_review::Entity::delete_many()
        .filter(win_review::Column::BlockId.eq(b.id))
        .filter(win_review::Column::LearnerId.eq(learner.id))
        .exec(&txn)
        .await?;
    if before.is_none_or(|r| r.decision != decision || r.session_id != session.id) {
        super::placement_changed(&txn, &b, &[learner.id]).await?;
    }
    let (_, by) = p.actor_ref();
    let m = win_review::ActiveModel {
        block_id: Set(b.id),
        learner_id: Set(learner.id),
        decision: Set(decision),
        session_id: Set(session.id),
        note: Set(note.map(|n| n.trim().to_owned())),
        decided_by: Set(by),
        decided_at: Set(crate::db::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique("uq_win_reviews_learner", || AppError::Conflict("the decision changed meanwhile: reload it".into()))?;
    txn.commit().await?;
    p.reveal([m.learner_id]);
    Ok(m)
}

/// Withdraws the teacher's decision on a student's choices for a block, if there is one;
/// answers whether there was. Once placement has run, the student's placement is marked
/// outdated.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn clear_review(
    db: &impl TransactionTrait,
    p: &Principal,
    block_id: i64,
    learner_sid: &str,
) -> AppResult<bool> {
    policy::require_staff(p)?;
    let txn = crate::db::begin_write(db).await?;
    let b = block(&txn, p, block_id).await?;
    let learner = student(&txn, p, &b, "input.learnerSourcedId", learner_sid).await?;
    let gone = win_review::Entity::delete_many()
        .filter(win_review::Column::BlockId.eq(b.id))
        .filter(win_review::Column::LearnerId.eq(learner.id))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if gone {
        super::placement_changed(&txn, &b, &[learner.id]).await?;
    }
    txn.commit().await?;
    p.reveal([learner.id]);
    Ok(gone)
}

/// A student's choice with the gaps bearing on it.
pub struct ReviewedChoice {
    pub session_id: i64,
    pub rank: i32,
    /// Focus competencies of the session where the student is below the mastered level.
    pub gaps: Vec<Gap>,
}

/// One student's choices as their teacher reviews them, and the decision taken.
pub struct ChoiceReview {
    pub learner_id: i64,
    pub choices: Vec<ReviewedChoice>,
    pub decision: Option<win_review::Model>,
}

/// A page, by learner, of the learners the caller may see who chose or were decided on in
/// the block (those `keep` keeps): their choices with the mastery gaps bearing on each, and the
/// teacher's decision. Mastery is read for the page's learners only, who are revealed.
#[tracing::instrument(skip_all, fields(block = block_id))]
pub async fn choice_review(
    db: &impl ConnectionTrait,
    loaders: &WinLoaders,
    p: &Principal,
    block_id: i64,
    req: PageRequest,
    keep: impl Fn(&ChoiceReview) -> bool,
) -> AppResult<Page<ChoiceReview>> {
    let view = policy::learner_view(p);
    let choices = loaders.choices.load_one((view, block_id)).await.map_err(loader_error)?.unwrap_or_default();
    let reviews = loaders.reviews.load_one((view, block_id)).await.map_err(loader_error)?.unwrap_or_default();
    let mut learners: Vec<i64> =
        choices.iter().map(|c| c.learner_id).chain(reviews.iter().map(|r| r.learner_id)).collect();
    learners.sort_unstable();
    learners.dedup();
    let all: Vec<ChoiceReview> = learners
        .into_iter()
        .map(|id| ChoiceReview {
            learner_id: id,
            choices: choices
                .iter()
                .filter(|c| c.learner_id == id)
                .map(|c| ReviewedChoice { session_id: c.session_id, rank: c.rank, gaps: vec![] })
                .collect(),
            decision: reviews.iter().find(|r| r.learner_id == id).cloned(),
        })
        .filter(|r| keep(r))
        .collect();
    let mut page = page_of(all, |r| r.learner_id, req);
    let ids: Vec<i64> = page.rows.iter().map(|r| r.learner_id).collect();
    p.reveal(ids.iter().copied());
    let facts = facts(db, block_id, &ids).await?;
    for r in &mut page.rows {
        for c in &mut r.choices {
            c.gaps = facts.gaps_of(r.learner_id, c.session_id).into_iter().filter(|g| g.size() > 0.0).collect();
        }
    }
    Ok(page)
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

/// What placement and review need to know about a block (see [`BlockFacts`]), for these
/// learners' gaps.
#[tracing::instrument(skip_all, fields(block = block_id, learners = learners.len()))]
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
