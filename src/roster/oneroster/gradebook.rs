//! The OneRoster gradebook files as import writes them: categories, score scales, line items
//! and their learning objectives are stored as the SIS sent them; results go through the
//! results pipeline `postResults` uses (idempotent by sourcedId, a stale version ignored, a
//! teacher's override kept, mastery recomputed), as evidence for the competencies their line
//! item assesses once they are fully graded.

use chrono::{DateTime, NaiveTime, Utc};
use entity::{Evidence, Status, gradebook_category, line_item, line_item_objective, result, score_scale};
use sea_orm::ActiveValue::{NotSet, Set};
use sha2::{Digest, Sha256};

use super::records::{self, CategoryRec, LineItemRec, ObjectiveRec, Rec, ResultRec, ScoreScaleRec};
use crate::progress::store::{Resolved, graded_value};

fn key(id: Option<i64>) -> sea_orm::ActiveValue<i64> {
    id.map_or(NotSet, Set)
}

pub fn category_model(
    id: Option<i64>,
    sid: &str,
    r: &CategoryRec,
    now: DateTime<Utc>,
) -> gradebook_category::ActiveModel {
    gradebook_category::ActiveModel {
        id: key(id),
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        title: Set(r.title.clone()),
        weight: Set(r.weight.map(records::Num::get)),
    }
}

/// `ids` answers the id of the record a reference names (`None`: not stored).
pub fn score_scale_model(
    id: Option<i64>,
    sid: &str,
    r: &ScoreScaleRec,
    now: DateTime<Utc>,
    org: Option<i64>,
    course: Option<i64>,
    class: Option<i64>,
) -> score_scale::ActiveModel {
    score_scale::ActiveModel {
        id: key(id),
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        title: Set(r.title.clone()),
        scale_type: Set(r.scale_type.clone()),
        org_id: Set(org),
        course_id: Set(course),
        class_id: Set(class),
        scale_values: Set(Some(r.values.clone())),
    }
}

/// The ids a line item refers to: class, category, academic session, school.
pub struct LineItemRefs {
    pub class: i64,
    pub category: Option<i64>,
    pub session: Option<i64>,
    pub school: Option<i64>,
}

pub fn line_item_model(
    id: Option<i64>,
    sid: &str,
    r: &LineItemRec,
    now: DateTime<Utc>,
    refs: LineItemRefs,
) -> line_item::ActiveModel {
    line_item::ActiveModel {
        id: key(id),
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        title: Set(r.title.clone()),
        description: Set(r.description.clone()),
        assign_date: Set(r.assign_date),
        due_date: Set(r.due_date),
        class_id: Set(refs.class),
        school_id: Set(refs.school),
        category_id: Set(refs.category),
        academic_session_id: Set(refs.session),
        result_value_min: Set(r.min.map(records::Num::get)),
        result_value_max: Set(r.max.map(records::Num::get)),
    }
}

pub fn objective_model(
    id: Option<i64>,
    sid: &str,
    r: &ObjectiveRec,
    now: DateTime<Utc>,
    line: i64,
) -> line_item_objective::ActiveModel {
    line_item_objective::ActiveModel {
        id: key(id),
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        line_item_id: Set(line),
        source: Set(r.source.clone()),
        objective_id: Set(r.objective.clone()),
    }
}

/// What a result needs of its line item.
#[derive(Clone, Debug)]
pub struct Line {
    pub id: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The competencies it assesses.
    pub competencies: Vec<i64>,
}

/// A result row ready for the results pipeline, which stores it in place of a different stored
/// version (the import has already set aside a row older than the stored version, by the
/// SIS's `dateLastModified`). It happened on its `scoreDate`.
pub fn resolved(
    index: usize,
    sid: &str,
    r: &ResultRec,
    line: &Line,
    learner: i64,
    class: Option<i64>,
    now: DateTime<Utc>,
) -> Resolved {
    let occurred_at = r.score_date.and_time(NaiveTime::MIN).and_utc();
    let graded = graded_value(&r.score_status, r.score.map(records::Num::get), line.min, line.max);
    let mut h = Sha256::new();
    for f in records::fields(&Rec::Result(r.clone())) {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    let hash = format!("{:x}", h.finalize());
    let [in_progress, incomplete, late, missing] = r.flags;
    let model = result::ActiveModel {
        poster: Set(records::GRADEBOOK_POSTER.to_owned()),
        sourced_id: Set(sid.to_owned()),
        learner_id: Set(learner),
        item_id: Set(None),
        competency_id: Set(None),
        score: Set(r.score.map(records::Num::get)),
        score_max: Set(graded.map(|g| g.1)),
        mastery_level: Set(None),
        value: Set(graded.map_or(0.0, |g| g.0)),
        evidence: Set(Evidence::Other),
        occurred_at: Set(occurred_at),
        comment: Set(r.comment.clone()),
        content_hash: Set(hash.clone()),
        override_value: Set(None),
        override_level: Set(None),
        override_by: Set(None),
        override_note: Set(None),
        overridden_at: Set(None),
        status: Set(Status::Active),
        created_at: Set(now),
        date_last_modified: Set(now),
        line_item_id: Set(Some(line.id)),
        class_id: Set(class),
        score_status: Set(Some(r.score_status.clone())),
        text_score: Set(r.text_score.clone()),
        score_date: Set(Some(r.score_date)),
        source_modified: Set(r.sent.0),
        in_progress: Set(in_progress),
        incomplete: Set(incomplete),
        late: Set(late),
        missing: Set(missing),
        ..Default::default()
    };
    Resolved {
        index,
        model,
        sourced_id: sid.to_owned(),
        hash,
        learner_id: learner,
        occurred_at,
        pairs: if graded.is_some() { line.competencies.clone() } else { vec![] },
        force: true,
    }
}
