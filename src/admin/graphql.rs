//! GraphQL for managing OAuth clients.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    auth::{
        OrgAccess, Principal, Scope,
        clients::{self, ClientOptions, ClientSummary},
    },
    error::AppError,
    graphql::{
        context::{db, require},
        user_errors::{UserError, into_user_errors},
    },
};

pub(crate) fn district_admin<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    let p = require(ctx, Scope::Admin)?;
    if p.orgs != OrgAccess::All {
        return Err(AppError::Forbidden("managing clients needs district-wide access".into()).into());
    }
    Ok(p)
}

/// A registered OAuth client (its secret is never shown after creation).
#[derive(SimpleObject)]
pub struct OAuthClient {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Org sourcedIds the client is limited to; empty means district-wide.
    pub orgs: Vec<String>,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The district's own client (a school official): needs no data-sharing agreement.
    pub internal: bool,
    /// The data-sharing agreement a vendor's client is bound to; a vendor's client bound to
    /// none sees no student data.
    pub agreement_id: Option<String>,
}

impl From<ClientSummary> for OAuthClient {
    fn from(c: ClientSummary) -> Self {
        OAuthClient {
            client_id: c.client_id,
            name: c.name,
            scopes: c.scopes,
            orgs: c.orgs,
            grant_types: c.grant_types,
            redirect_uris: c.redirect_uris,
            enabled: c.enabled,
            created_at: c.created_at,
            internal: c.internal,
            agreement_id: c.agreement,
        }
    }
}

#[derive(InputObject)]
pub struct CreateOAuthClientInput {
    pub name: String,
    /// Scopes the client may be granted.
    pub scopes: Vec<String>,
    /// Org sourcedIds to limit the client to; empty for district-wide.
    #[graphql(default)]
    pub orgs: Vec<String>,
    /// `client_credentials` (default), `authorization_code`, `refresh_token`.
    #[graphql(default_with = "vec![\"client_credentials\".to_owned()]")]
    pub grant_types: Vec<String>,
    /// Exact redirect URIs (needed for `authorization_code`).
    #[graphql(default)]
    pub redirect_uris: Vec<String>,
    /// The district's own client (its front ends, SIS middleware, admin tools): a school
    /// official that needs no data-sharing agreement. Default: a vendor's client.
    #[graphql(default)]
    pub internal: bool,
    /// The data-sharing agreement a vendor's client is bound to (`dataAgreements`). A vendor's
    /// client bound to none sees no student data.
    pub agreement_id: Option<String>,
}

#[derive(SimpleObject)]
pub struct OAuthClientSecretPayload {
    pub client: Option<OAuthClient>,
    /// The client secret: shown this once, stored only as a hash.
    pub client_secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct OAuthClientPayload {
    pub client: Option<OAuthClient>,
    pub user_errors: Vec<UserError>,
}

async fn summary(ctx: &Context<'_>, client_id: &str) -> async_graphql::Result<Option<OAuthClient>> {
    let all = clients::list(db(ctx)?).await?;
    Ok(all.into_iter().find(|c| c.client_id == client_id).map(OAuthClient::from))
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every registered OAuth client. Needs `admin`, district-wide.
    #[graphql(name = "oauthClients")]
    async fn oauth_clients(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OAuthClient>> {
        district_admin(ctx)?;
        Ok(clients::list(db(ctx)?).await?.into_iter().map(OAuthClient::from).collect())
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Registers a client; the payload carries its secret, shown this once. Needs `admin`.
    #[graphql(name = "createOAuthClient")]
    async fn create_oauth_client(
        &self,
        ctx: &Context<'_>,
        input: CreateOAuthClientInput,
    ) -> async_graphql::Result<OAuthClientSecretPayload> {
        district_admin(ctx)?;
        let options = ClientOptions {
            grant_types: input.grant_types,
            redirect_uris: input.redirect_uris,
            internal: input.internal,
            agreement: input.agreement_id,
        };
        let pool = hash_pool(ctx);
        let created =
            clients::create_with_pool(db(ctx)?, &pool, &input.name, &input.scopes.join(" "), &input.orgs, options)
                .await;
        Ok(match into_user_errors(created)? {
            Ok(c) => OAuthClientSecretPayload {
                client: summary(ctx, &c.client_id).await?,
                client_secret: Some(c.client_secret),
                user_errors: vec![],
            },
            Err(user_errors) => OAuthClientSecretPayload { client: None, client_secret: None, user_errors },
        })
    }

    /// Replaces a client's secret; the old one stops working at once. Needs `admin`.
    #[graphql(name = "rotateOAuthClientSecret")]
    async fn rotate_oauth_client_secret(
        &self,
        ctx: &Context<'_>,
        client_id: String,
    ) -> async_graphql::Result<OAuthClientSecretPayload> {
        district_admin(ctx)?;
        let rotated = clients::rotate_secret_with_pool(db(ctx)?, &hash_pool(ctx), &client_id).await;
        Ok(match into_user_errors(rotated)? {
            Ok(secret) => OAuthClientSecretPayload {
                client: summary(ctx, &client_id).await?,
                client_secret: Some(secret),
                user_errors: vec![],
            },
            Err(user_errors) => OAuthClientSecretPayload { client: None, client_secret: None, user_errors },
        })
    }

    /// Enables or disables a client; a disabled client's tokens stop working at once.
    /// Needs `admin`.
    #[graphql(name = "setOAuthClientEnabled")]
    async fn set_oauth_client_enabled(
        &self,
        ctx: &Context<'_>,
        client_id: String,
        enabled: bool,
    ) -> async_graphql::Result<OAuthClientPayload> {
        district_admin(ctx)?;
        // Disabled: its tokens and live subscriptions end at once, on every replica.
        changed_client(ctx, &client_id, clients::set_enabled(db(ctx)?, &client_id, enabled).await, !enabled).await
    }

    /// Limits a client to these orgs (sourcedIds of schools or districts; an empty list: the
    /// whole district). The tokens it already holds are limited at once, on every replica.
    /// Needs `admin`.
    #[graphql(name = "setOAuthClientOrgs")]
    async fn set_oauth_client_orgs(
        &self,
        ctx: &Context<'_>,
        client_id: String,
        orgs: Vec<String>,
    ) -> async_graphql::Result<OAuthClientPayload> {
        district_admin(ctx)?;
        changed_client(ctx, &client_id, clients::set_orgs(db(ctx)?, &client_id, &orgs).await, true).await
    }

    /// Binds a vendor's client to a data-sharing agreement (`null`: to none, when it sees no
    /// student data); an internal client becomes a vendor's. Its tokens follow at once, on
    /// every replica. Audited. Needs `admin`, district-wide.
    #[graphql(name = "setOAuthClientAgreement")]
    async fn set_oauth_client_agreement(
        &self,
        ctx: &Context<'_>,
        client_id: String,
        agreement_id: Option<String>,
    ) -> async_graphql::Result<OAuthClientPayload> {
        let p = district_admin(ctx)?;
        let bound = crate::privacy::agreements::bind(db(ctx)?, p, &client_id, agreement_id.as_deref()).await;
        changed_client(ctx, &client_id, bound, true).await
    }
}

/// What the admin mutations that change a client's rights share: the change, then the
/// announcement that ends what every replica concluded about its tokens (and re-checks its live
/// subscriptions), then the client as it is now.
async fn changed_client(
    ctx: &Context<'_>,
    client_id: &str,
    changed: crate::error::AppResult<()>,
    announce: bool,
) -> async_graphql::Result<OAuthClientPayload> {
    Ok(match into_user_errors(changed)? {
        Ok(()) => {
            if announce {
                ctx.data::<crate::sync::Bus>()?.revoked(db(ctx)?, client_id).await;
            }
            OAuthClientPayload { client: summary(ctx, client_id).await?, user_errors: vec![] }
        }
        Err(user_errors) => OAuthClientPayload { client: None, user_errors },
    })
}

/// The service's hashing pool (request data), or a one-slot pool where none was given.
fn hash_pool(ctx: &Context<'_>) -> crate::ratelimit::HashPool {
    ctx.data_opt::<crate::ratelimit::HashPool>().cloned().unwrap_or_else(crate::ratelimit::HashPool::local)
}
