use sea_orm::entity::prelude::*;

/// Money paid out of a grant in a fiscal year.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_disbursements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub grant_id: i64,
    pub plan_id: i64,
    pub fiscal_year: i32,
    pub amount_cents: i64,
    pub disbursed_on: Date,
    pub note: Option<String>,
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
