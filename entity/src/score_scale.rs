use sea_orm::entity::prelude::*;

/// A score scale (OneRoster `scoreScale`): the values a score may take for an org, a course
/// or a class, kept as the SIS sent them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "score_scales")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sourced_id: String,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    pub title: String,
    pub scale_type: String,
    pub org_id: Option<i64>,
    pub course_id: Option<i64>,
    pub class_id: Option<i64>,
    /// `scoreScaleValue`, as written in the CSV.
    pub scale_values: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
