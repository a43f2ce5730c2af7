use sea_orm::entity::prelude::*;

/// One change to a learner profile: the version it produced, who made it and what changed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub profile_id: i64,
    pub version: i32,
    /// `client`, `user` or `system`.
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub actor_name: Option<String>,
    /// A list of `{field, before, after}` objects.
    pub changes: Json,
    pub changed_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
