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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
