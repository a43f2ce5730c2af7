use sea_orm::entity::prelude::*;

/// A learning objective a line item assesses (OneRoster `lineItemLearningObjectiveIds`). With
/// `source = case`, `objective_id` is a CASE identifier: results of the line item are
/// evidence for the district's competency with that identifier.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "line_item_objectives")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    pub line_item_id: i64,
    pub source: String,
    pub objective_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
