use sea_orm::entity::prelude::*;

/// A student, teacher or administrator (OneRoster `user`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    /// The source's `dateLastModified` of the version last written by an import or
    /// `upsertRoster` (`None`: none given): a write older than it is stale.
    pub source_modified: Option<ChronoDateTimeUtc>,
    /// `student`, `teacher` or `administrator`.
    pub role: crate::Role,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub identifier: Option<String>,
    /// Comma-separated grade codes.
    pub grades: Option<String>,
    pub enabled_user: bool,
    pub middle_name: Option<String>,
    pub preferred_middle_name: Option<String>,
    pub preferred_family_name: Option<String>,
    /// OneRoster `userIds` as the SIS sent them (`{type:identifier}` entries, comma-joined).
    pub user_ids: Option<String>,
    pub sms: Option<String>,
    pub phone: Option<String>,
    pub master_identifier: Option<String>,
    pub pronouns: Option<String>,
    pub primary_org_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
