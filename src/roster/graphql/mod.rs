//! GraphQL types, queries and mutations of the roster. Every entry point needs `roster.read`
//! (writes `roster.write`); lists go through the principal-filtering store, which reveals the
//! learners it hands back. Split by type: orgs, people, classes (with courses and sessions),
//! enrollments, the query root and the mutation root.

mod classes;
mod enrollments;
mod imports;
mod mutation;
mod orgs;
mod people;
mod query;
mod writes;

use async_graphql::{Enum, ID, InputObject};
use chrono::{DateTime, Utc};
use entity::Status;

pub use classes::{AcademicSession, Class, ClassType, Course, SessionType};
pub use enrollments::{Enrollment, EnrollmentRole};
pub use imports::{RosterImport, RosterImportQuery};
pub use mutation::{DeleteRosterRecordPayload, RosterMutation, UpsertLearnerInput, UpsertLearnerPayload};
pub use orgs::{District, Org, School, org_zone};
pub use people::{Educator, EducatorRole, Learner, RosterUser};
pub use query::RosterQuery;
pub use writes::RosterWriteMutation;

use super::store::Sync;
use crate::{
    error::{AppError, AppResult},
    graphql::relay::{Kind, decode_id, decode_kind},
};

/// Whether a record is live or was deleted at the source (kept so that sync sees deletions).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordStatus {
    Active,
    ToBeDeleted,
}

impl From<Status> for RecordStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => RecordStatus::Active,
            Status::ToBeDeleted => RecordStatus::ToBeDeleted,
        }
    }
}

pub(super) fn list(csv: &Option<String>) -> Vec<String> {
    csv.as_deref().map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default()
}

/// Filters every roster list accepts.
#[derive(InputObject, Default, Clone)]
pub struct SyncFilter {
    /// Only records modified at or after this time, deletions included: what a syncing tool
    /// asks for with the time of its last sync.
    pub updated_since: Option<DateTime<Utc>>,
    /// Also list records whose status is `TO_BE_DELETED` (implied by `updatedSince`).
    #[graphql(default)]
    pub include_deleted: bool,
}

impl From<Option<SyncFilter>> for Sync {
    fn from(f: Option<SyncFilter>) -> Self {
        let f = f.unwrap_or_default();
        Sync { updated_since: f.updated_since, include_deleted: f.include_deleted }
    }
}

/// Filters for learner lists.
#[derive(InputObject, Default, Clone)]
pub struct LearnerFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    /// Only learners of this school.
    pub school_id: Option<ID>,
    /// Only learners enrolled in this class.
    pub class_id: Option<ID>,
    /// Only learners in this grade (a grade code such as `06`).
    pub grade: Option<String>,
}

/// Filters for class lists.
#[derive(InputObject, Default, Clone)]
pub struct ClassFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    pub school_id: Option<ID>,
    pub course_id: Option<ID>,
    pub term_id: Option<ID>,
}

/// Filters for enrollment lists.
#[derive(InputObject, Default, Clone)]
pub struct EnrollmentFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    pub class_id: Option<ID>,
    /// A `Learner` or `Educator` ID.
    pub user_id: Option<ID>,
}

pub(super) fn sync(updated_since: Option<DateTime<Utc>>, include_deleted: bool) -> Sync {
    Sync { updated_since, include_deleted }
}

pub(super) fn opt_id(id: &Option<ID>, kind: Kind, field: &str) -> AppResult<Option<i64>> {
    id.as_deref().map(|id| decode_kind(id, kind, field)).transpose()
}

pub(super) fn user_ref(id: &Option<ID>, field: &str) -> AppResult<Option<i64>> {
    match id.as_deref().map(|id| decode_id(id, field)).transpose()? {
        None => Ok(None),
        Some((Kind::Learner | Kind::Educator, n)) => Ok(Some(n)),
        Some(_) => Err(AppError::validation(field, "expected the ID of a Learner or Educator")),
    }
}
