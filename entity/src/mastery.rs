use sea_orm::entity::prelude::*;

/// A learner's computed mastery of a competency.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "masteries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub learner_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub competency_id: i64,
    pub value: Option<f64>,
    pub level: Option<String>,
    pub mastered: bool,
    pub evidence_count: i32,
    pub last_evidence_at: Option<ChronoDateTimeUtc>,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
