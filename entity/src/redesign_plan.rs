use sea_orm::entity::prelude::*;

/// A school's redesign plan, its stage and its funding terms (money in integer cents).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_org_id: i64,
    pub district_org_id: i64,
    pub cohort_id: i64,
    pub stage: String,
    pub application: String,
    pub mission: Option<String>,
    pub vision: Option<String>,
    pub presentation_at: Option<ChronoDateTimeUtc>,
    pub presentation_outcome: Option<String>,
    pub decline_reasons: Option<String>,
    pub funding_ceiling_cents: i64,
    pub first_fiscal_year: i32,
    pub span_years: i32,
    pub funds_version: i32,
    pub stage_changed_at: ChronoDateTimeUtc,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
