use sea_orm::entity::prelude::*;

/// A result posted for a learner, with its provenance and an optional teacher override.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub poster: String,
    pub sourced_id: String,
    pub learner_id: i64,
    pub item_id: Option<i64>,
    pub competency_id: Option<i64>,
    pub score: Option<f64>,
    pub score_max: Option<f64>,
    pub mastery_level: Option<String>,
    pub value: f64,
    pub evidence: crate::Evidence,
    pub occurred_at: ChronoDateTimeUtc,
    pub comment: Option<String>,
    pub content_hash: String,
    pub override_value: Option<f64>,
    pub override_level: Option<String>,
    pub override_by: Option<String>,
    pub override_note: Option<String>,
    pub overridden_at: Option<ChronoDateTimeUtc>,
    pub status: crate::Status,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
    /// A OneRoster result's line item (results imported from the SIS's gradebook).
    pub line_item_id: Option<i64>,
    pub class_id: Option<i64>,
    /// OneRoster `scoreStatus`: only `fully graded` results are evidence of mastery.
    pub score_status: Option<String>,
    pub text_score: Option<String>,
    pub score_date: Option<ChronoDate>,
    /// The SIS's `dateLastModified` of the stored version (gradebook results).
    pub source_modified: Option<ChronoDateTimeUtc>,
    pub in_progress: Option<bool>,
    pub incomplete: Option<bool>,
    pub late: Option<bool>,
    pub missing: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
