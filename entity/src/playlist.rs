use sea_orm::entity::prelude::*;

/// A learner's playlist, or a template playlist that is copied to learners.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "playlists")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub learner_id: Option<i64>,
    pub class_id: Option<i64>,
    pub term_id: Option<i64>,
    pub template_id: Option<i64>,
    pub is_template: bool,
    pub title: String,
    pub subject: String,
    pub created_by: String,
    pub status: crate::Status,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
