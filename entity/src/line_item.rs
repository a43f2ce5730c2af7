use sea_orm::entity::prelude::*;

/// A line item (OneRoster `lineItem`): an assignment or assessment of a class, whose results
/// are scored between `result_value_min` and `result_value_max`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "line_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    pub title: String,
    pub description: Option<String>,
    pub assign_date: ChronoDateTimeUtc,
    pub due_date: ChronoDateTimeUtc,
    pub class_id: i64,
    pub school_id: Option<i64>,
    pub category_id: Option<i64>,
    pub academic_session_id: Option<i64>,
    pub result_value_min: Option<f64>,
    pub result_value_max: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
