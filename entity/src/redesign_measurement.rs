use sea_orm::entity::prelude::*;

/// One measurement of an indicator on a date.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_measurements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub indicator_id: i64,
    pub measured_on: Date,
    pub value: f64,
    pub note: Option<String>,
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub recorded_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
