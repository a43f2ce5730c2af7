use sea_orm::entity::prelude::*;

/// Where a student is placed for a WIN block, and how it went.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub learner_id: i64,
    pub session_id: i64,
    pub source: String,
    pub choice_rank: Option<i32>,
    pub explanation: String,
    pub attendance: Option<String>,
    pub outcome_note: Option<String>,
    pub attendance_by: Option<String>,
    pub attendance_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
