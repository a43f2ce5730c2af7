use sea_orm::entity::prelude::*;

/// A user in a class with a role (OneRoster `enrollment`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    /// The source's `dateLastModified` of the version last written by an import or
    /// `upsertRoster` (`None`: none given): a write older than it is stale.
    pub source_modified: Option<ChronoDateTimeUtc>,
    pub class_id: i64,
    pub user_id: i64,
    /// `student`, `teacher` or `administrator`.
    pub role: crate::Role,
    pub is_primary: bool,
    pub begin_date: Option<ChronoDate>,
    pub end_date: Option<ChronoDate>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
