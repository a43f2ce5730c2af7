use sea_orm::entity::prelude::*;

/// A year's cohort of schools entering redesign.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_cohorts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub district_org_id: i64,
    pub year: i32,
    pub name: String,
    pub target_size: i32,
    pub application_opens_on: Date,
    pub application_closes_on: Date,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
