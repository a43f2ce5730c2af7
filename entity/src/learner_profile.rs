use sea_orm::entity::prelude::*;

/// A student's learner profile. JSON columns hold lists edited as a whole.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "learner_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Incremented on every change; an update names the version it was based on.
    pub version: i32,
    pub strengths: Json,
    pub interests: Json,
    /// A list of `{id, description, targetDate, status}` objects.
    pub goals: Json,
    pub modalities: Json,
    pub pace: Option<String>,
    /// Sensitive: a list of accommodation strings.
    pub accommodations: Json,
    /// Sensitive.
    pub support_notes: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
