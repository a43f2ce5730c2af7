use sea_orm::entity::prelude::*;

/// An item of a playlist: a learning activity with its mastery plan and state.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "playlist_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub playlist_id: i64,
    pub template_item_id: Option<i64>,
    pub position: i32,
    pub title: String,
    pub description: Option<String>,
    pub resource_url: Option<String>,
    pub tool: Option<String>,
    pub estimated_minutes: Option<i32>,
    pub evidence: crate::Evidence,
    pub target_date: Option<Date>,
    pub state: crate::ItemState,
    pub status: crate::Status,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
