use sea_orm::entity::prelude::*;

/// A school year, semester, term or grading period (OneRoster `academicSession`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "academic_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    /// The source's `dateLastModified` of the version last written by an import or
    /// `upsertRoster` (`None`: none given): a write older than it is stale.
    pub source_modified: Option<ChronoDateTimeUtc>,
    pub org_id: i64,
    pub title: String,
    /// `schoolYear`, `semester`, `term` or `gradingPeriod`.
    pub session_type: String,
    pub start_date: ChronoDate,
    pub end_date: ChronoDate,
    pub school_year: i32,
    pub parent_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
