use sea_orm::entity::prelude::*;

/// One run of `learnergraph import oneroster`: who ran it, on what, and what came of it.
/// `manifest`, `counts` and `problems` are JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roster_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub started_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub ran_by: String,
    pub source: String,
    pub version: String,
    pub outcome: String,
    pub dry_run: bool,
    pub skip_invalid: bool,
    pub manifest: String,
    pub counts: String,
    pub problems: String,
    pub problem_count: i64,
    pub warning_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
