use sea_orm::entity::prelude::*;

/// One move of a plan between stages.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_stage_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub from_stage: Option<super::redesign_plan::Stage>,
    pub to_stage: super::redesign_plan::Stage,
    pub note: Option<String>,
    pub backward: bool,
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub changed_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
