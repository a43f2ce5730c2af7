use sea_orm::entity::prelude::*;

/// A registered OAuth 2.0 client (a vendor tool, an LMS plugin, a district front end).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: String,
    pub name: String,
    /// argon2 PHC string; the clear secret is never stored.
    pub secret_hash: String,
    /// Space-separated scopes the client may be granted.
    pub scopes: String,
    /// JSON list of org sourcedIds; null means district-wide.
    pub orgs: Option<Json>,
    /// Space-separated grant types.
    pub grant_types: String,
    pub enabled: bool,
    /// Space-separated redirect URIs, matched exactly.
    pub redirect_uris: String,
    pub created_at: ChronoDateTimeUtc,
    /// The district's own (a school official): needs no data-sharing agreement.
    pub internal: bool,
    /// The data-sharing agreement a vendor's client is bound to (`data_agreements.id`).
    pub agreement_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::data_agreement::Entity",
        from = "Column::AgreementId",
        to = "super::data_agreement::Column::Id"
    )]
    Agreement,
}

impl Related<super::data_agreement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agreement.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
