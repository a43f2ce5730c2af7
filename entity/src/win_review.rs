use sea_orm::entity::prelude::*;

/// A teacher's decision on a student's WIN choices.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub learner_id: i64,
    pub decision: String,
    pub session_id: i64,
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
