use sea_orm::entity::prelude::*;

/// A milestone of a goal.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub goal_id: i64,
    pub title: String,
    pub owner: Option<String>,
    pub due_on: Date,
    pub completed_on: Option<Date>,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
