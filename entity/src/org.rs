use sea_orm::entity::prelude::*;

/// A district or a school (OneRoster `org`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    /// The source's `dateLastModified` of the version last written by an import or
    /// `upsertRoster` (`None`: none given): a write older than it is stale.
    pub source_modified: Option<ChronoDateTimeUtc>,
    /// `district` or `school`.
    pub org_type: crate::OrgType,
    pub name: String,
    pub identifier: Option<String>,
    pub parent_id: Option<i64>,
    /// IANA time zone (`America/Chicago`); a school without one uses its district's.
    pub time_zone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
