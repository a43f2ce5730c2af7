use sea_orm::entity::prelude::*;

/// A district's competency framework (a CASE CFDocument) and how mastery is calculated in it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "competency_frameworks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub district_id: i64,
    pub source_id: String,
    pub uri: Option<String>,
    pub title: String,
    pub subject: Option<String>,
    pub grade_band: Option<String>,
    pub publisher: Option<String>,
    pub version: Option<String>,
    pub calculation: crate::Calculation,
    pub calculation_param: f64,
    pub levels: Json,
    pub mastered_level: String,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
