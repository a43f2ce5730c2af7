use sea_orm::entity::prelude::*;

/// A competency (a CASE CFItem) of a framework.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "competencies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub framework_id: i64,
    pub source_id: String,
    pub code: Option<String>,
    pub statement: String,
    pub item_type: Option<String>,
    pub parent_id: Option<i64>,
    pub position: i32,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
