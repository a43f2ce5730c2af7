use sea_orm::entity::prelude::*;

/// A session offered in a WIN block.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub teacher_id: Option<i64>,
    pub title: String,
    pub subject: String,
    pub mode: String,
    pub room: Option<String>,
    pub capacity: i32,
    pub invite_only: bool,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
