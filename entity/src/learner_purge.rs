use sea_orm::entity::prelude::*;

/// A student deleted on request: who purged them (named only by a pseudonym), when and why,
/// and how many records of each kind went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learner_purges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stands for the student in the audit trail from now on (`purged-...`).
    pub pseudonym: String,
    pub purged_at: ChronoDateTimeUtc,
    pub actor_kind: String,
    pub actor_id: String,
    pub client_id: Option<String>,
    pub reason: String,
    /// Records removed, by table.
    pub removed: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
