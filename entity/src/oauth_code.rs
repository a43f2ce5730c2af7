use sea_orm::entity::prelude::*;

/// An issued authorization code (stored as its SHA-256 hash; single use).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub client_id: String,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    /// The refresh-token family issued for this code, so a replayed code can revoke it.
    pub family_id: Option<String>,
    pub expires_at: ChronoDateTimeUtc,
    pub used_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
