use sea_orm::entity::prelude::*;

/// One ranked choice of a student for a WIN block.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_choices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub learner_id: i64,
    pub session_id: i64,
    pub rank: i32,
    pub chosen_by: String,
    pub chosen_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
