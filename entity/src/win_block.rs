use sea_orm::entity::prelude::*;

/// A school's WIN block on one date.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_blocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub block_date: Date,
    pub choices_close_at: ChronoDateTimeUtc,
    pub max_choices: i32,
    pub placed_at: Option<ChronoDateTimeUtc>,
    /// Choices or decisions changed after the last placement run: it no longer stands.
    pub placement_outdated: bool,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
