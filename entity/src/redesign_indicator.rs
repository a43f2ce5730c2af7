use sea_orm::entity::prelude::*;

/// A measurable indicator of a goal.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub goal_id: i64,
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub baseline_on: Date,
    pub target: f64,
    pub target_on: Date,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
