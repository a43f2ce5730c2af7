use sea_orm::entity::prelude::*;

/// A sign-in in progress: what the client asked for, kept until the person is identified.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_authorization_requests")]
pub struct Model {
    /// Random; also the `state` sent to the upstream identity provider.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    /// The client's own `state`, returned to it unchanged.
    pub state: Option<String>,
    /// PKCE S256 challenge from the client.
    pub code_challenge: String,
    /// Our PKCE verifier towards the upstream identity provider.
    pub upstream_verifier: Option<String>,
    pub expires_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
