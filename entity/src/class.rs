use sea_orm::entity::prelude::*;

/// A section of a course in a term at a school (OneRoster `class`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "classes")]
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
    pub course_id: i64,
    pub term_id: i64,
    pub title: String,
    pub class_code: Option<String>,
    /// `scheduled` or `homeroom`.
    pub class_type: String,
    pub subject: Option<String>,
    pub location: Option<String>,
    /// Comma-joined CEDS grade codes.
    pub grades: Option<String>,
    pub subject_codes: Option<String>,
    pub periods: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
