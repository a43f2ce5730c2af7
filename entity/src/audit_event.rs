use sea_orm::entity::prelude::*;

/// One request that read or wrote student records.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: ChronoDateTimeUtc,
    /// `client`, `user` or `system`.
    pub actor_kind: crate::ActorKind,
    /// Client id, or user sourcedId.
    pub actor_id: String,
    /// The OAuth client the request came through.
    pub client_id: Option<String>,
    /// `query` or `mutation`.
    pub operation_type: String,
    pub operation_name: Option<String>,
    /// Space-separated root fields of the operation.
    pub fields: String,
    pub request_id: Option<String>,
    /// The data-sharing agreement the request was served under (its public id); null for the
    /// district's own clients and people.
    pub agreement_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
