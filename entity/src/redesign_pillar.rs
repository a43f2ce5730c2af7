use sea_orm::entity::prelude::*;

/// A district pillar: an outcome its redesign serves.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_pillars")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub district_org_id: i64,
    pub position: i32,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
