use sea_orm::entity::prelude::*;

/// One state transition of a playlist item, with who made it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "playlist_item_transitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub item_id: i64,
    pub from_state: Option<crate::ItemState>,
    pub to_state: crate::ItemState,
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub note: Option<String>,
    pub changed_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
