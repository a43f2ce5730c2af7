use sea_orm::entity::prelude::*;

/// A course offered by a school or the district (OneRoster `course`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
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
    pub course_code: Option<String>,
    pub subject: Option<String>,
    /// Comma-separated grade codes (`06,07`).
    pub grades: Option<String>,
    pub school_year_id: Option<i64>,
    pub subject_codes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
