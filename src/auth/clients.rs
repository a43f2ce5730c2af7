//! OAuth clients: registration (secret shown once, stored as an argon2 hash), lookup and
//! authentication.

use argon2::{
    Argon2, PasswordHash, PasswordVerifier,
    password_hash::{PasswordHasher, SaltString},
};
use entity::oauth_client;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::{principal::format_scopes, tokens::random_token};
use crate::{
    auth::principal::parse_scopes,
    error::{AppError, AppResult},
    ratelimit::HashPool,
};

/// What `client create` prints: the only time the clear secret is ever shown.
#[derive(Debug, Serialize)]
pub struct CreatedClient {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Org sourcedIds; empty means district-wide.
    pub orgs: Vec<String>,
    pub grant_types: Vec<String>,
    /// The district's own client (a school official), needing no agreement.
    pub internal: bool,
    /// The data-sharing agreement a vendor's client is bound to.
    pub agreement: Option<String>,
}

/// A client as listed (no secret, not even its hash).
#[derive(Debug, Serialize)]
pub struct ClientSummary {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub orgs: Vec<String>,
    pub enabled: bool,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub internal: bool,
    /// The public id of the data-sharing agreement it is bound to.
    pub agreement: Option<String>,
}

/// Grant types a client may be registered for.
pub const GRANT_TYPES: [&str; 3] = ["client_credentials", "authorization_code", "refresh_token"];

/// How a client may obtain tokens.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub grant_types: Vec<String>,
    /// Exact redirect URIs, required for `authorization_code`.
    pub redirect_uris: Vec<String>,
    /// The district's own client (its front ends, SIS middleware, admin tools: school
    /// officials), which needs no data-sharing agreement.
    pub internal: bool,
    /// The data-sharing agreement (public id) a vendor's client is bound to. A vendor's client
    /// bound to none sees no student data.
    pub agreement: Option<String>,
}

impl Default for ClientOptions {
    /// A vendor's client for client credentials, bound to no agreement: no student data until
    /// the district binds it to one (deny by default).
    fn default() -> Self {
        ClientOptions {
            grant_types: vec!["client_credentials".to_owned()],
            redirect_uris: vec![],
            internal: false,
            agreement: None,
        }
    }
}

impl ClientOptions {
    /// One of the district's own clients.
    pub fn internal() -> Self {
        ClientOptions { internal: true, ..Default::default() }
    }
}

/// Registers one of the district's own (internal) clients for client credentials. Every named
/// org must exist (by sourcedId).
pub async fn create(db: &DatabaseConnection, name: &str, scopes: &str, orgs: &[String]) -> AppResult<CreatedClient> {
    create_with(db, name, scopes, orgs, ClientOptions::internal()).await
}

/// Registers a client with explicit grant types and redirect URIs, hashing its secret on a
/// pool of its own (the CLI's way; the service uses `create_with_pool`).
pub async fn create_with(
    db: &DatabaseConnection,
    name: &str,
    scopes: &str,
    orgs: &[String],
    options: ClientOptions,
) -> AppResult<CreatedClient> {
    create_with_pool(db, &HashPool::local(), name, scopes, orgs, options).await
}

/// Registers a client, hashing its secret on the service's bounded hashing pool.
pub async fn create_with_pool(
    db: &DatabaseConnection,
    pool: &HashPool,
    name: &str,
    scopes: &str,
    orgs: &[String],
    options: ClientOptions,
) -> AppResult<CreatedClient> {
    if let Some(bad) = options.grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(AppError::validation("grantTypes", format!("unknown grant type `{bad}`")));
    }
    if options.grant_types.is_empty() {
        return Err(AppError::validation("grantTypes", "name at least one grant type"));
    }
    let wants_code = options.grant_types.iter().any(|g| g == "authorization_code");
    if wants_code && options.redirect_uris.is_empty() {
        return Err(AppError::validation("redirectUris", "authorization_code needs at least one redirect URI"));
    }
    for uri in &options.redirect_uris {
        let ok = url::Url::parse(uri).is_ok_and(|u| {
            // RFC 6749 §3.1.2: absolute, no fragment; https except for local development.
            u.fragment().is_none()
                && (u.scheme() == "https"
                    || (u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1"))))
        });
        if !ok {
            return Err(AppError::validation(
                "redirectUris",
                format!("`{uri}` is not an https URL without a fragment"),
            ));
        }
    }
    if name.trim().is_empty() {
        return Err(AppError::validation("name", "must not be empty"));
    }
    let scope_set = parse_scopes(scopes).map_err(|m| AppError::validation("scopes", m))?;
    if scope_set.is_empty() {
        return Err(AppError::validation("scopes", "name at least one scope"));
    }
    if options.internal && options.agreement.is_some() {
        return Err(AppError::validation(
            "agreement",
            "an internal client is the district's own and needs no data-sharing agreement: choose one",
        ));
    }
    orgs_exist(db, orgs).await?;
    let agreement_id = match &options.agreement {
        Some(a) => Some(crate::privacy::agreements::id_for_binding(db, a, "agreement").await?),
        None => None,
    };
    let client_id = format!("lg_{}", random_token(12)?);
    let secret = random_token(32)?;
    let secret_hash = hash_secret(pool, &secret).await?;
    let scopes = format_scopes(&scope_set);
    oauth_client::Entity::insert(oauth_client::ActiveModel {
        client_id: Set(client_id.clone()),
        name: Set(name.trim().to_owned()),
        secret_hash: Set(secret_hash),
        scopes: Set(scopes.clone()),
        orgs: Set((!orgs.is_empty()).then(|| serde_json::json!(orgs))),
        grant_types: Set(options.grant_types.join(" ")),
        redirect_uris: Set(options.redirect_uris.join(" ")),
        enabled: Set(true),
        created_at: Set(crate::db::now()),
        internal: Set(options.internal),
        agreement_id: Set(agreement_id),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(CreatedClient {
        client_id,
        client_secret: secret,
        name: name.trim().to_owned(),
        scopes: scopes.split(' ').map(str::to_owned).collect(),
        orgs: orgs.to_vec(),
        grant_types: options.grant_types,
        internal: options.internal,
        agreement: options.agreement,
    })
}

/// Refuses org sourcedIds that name no org.
pub(crate) async fn orgs_exist(db: &DatabaseConnection, orgs: &[String]) -> AppResult<()> {
    if orgs.is_empty() {
        return Ok(());
    }
    let found: Vec<String> = entity::org::Entity::find()
        .select_only()
        .column(entity::org::Column::SourcedId)
        .filter(entity::org::Column::SourcedId.is_in(orgs.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    match orgs.iter().find(|o| !found.contains(o)) {
        Some(missing) => Err(AppError::validation("orgs", format!("no org with sourcedId `{missing}`"))),
        None => Ok(()),
    }
}

/// Limits a client to these orgs (by sourcedId; none: the whole district). The tokens it
/// already holds are limited as well: the caller announces the change on the bus, so that
/// every replica stops using what it cached about them.
pub async fn set_orgs(db: &DatabaseConnection, client_id: &str, orgs: &[String]) -> AppResult<()> {
    orgs_exist(db, orgs).await?;
    let value = (!orgs.is_empty()).then(|| serde_json::json!(orgs));
    set_column(db, client_id, oauth_client::Column::Orgs, value.into()).await
}

/// Sets one column of a client's registration; not found when no client has that id.
async fn set_column(
    db: &DatabaseConnection,
    client_id: &str,
    column: oauth_client::Column,
    value: sea_orm::Value,
) -> AppResult<()> {
    let result = oauth_client::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(value))
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("client"));
    }
    Ok(())
}

/// Replaces a client's secret; the old one stops working at once. Returns the new secret.
pub async fn rotate_secret(db: &DatabaseConnection, client_id: &str) -> AppResult<String> {
    rotate_secret_with_pool(db, &HashPool::local(), client_id).await
}

/// `rotate_secret` on the service's bounded hashing pool.
pub async fn rotate_secret_with_pool(db: &DatabaseConnection, pool: &HashPool, client_id: &str) -> AppResult<String> {
    let secret = random_token(32)?;
    let hash = hash_secret(pool, &secret).await?;
    set_column(db, client_id, oauth_client::Column::SecretHash, hash.into()).await?;
    Ok(secret)
}

/// Enables or disables a client. A disabled client gets no tokens, and the tokens it holds
/// stop working at once.
pub async fn set_enabled(db: &DatabaseConnection, client_id: &str, enabled: bool) -> AppResult<()> {
    set_column(db, client_id, oauth_client::Column::Enabled, enabled.into()).await
}

/// An enabled client by id.
pub async fn find_enabled(
    db: &impl sea_orm::ConnectionTrait,
    client_id: &str,
) -> AppResult<Option<oauth_client::Model>> {
    Ok(oauth_client::Entity::find()
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .filter(oauth_client::Column::Enabled.eq(true))
        .one(db)
        .await?)
}

pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<ClientSummary>> {
    let rows = oauth_client::Entity::find()
        .find_also_related(entity::data_agreement::Entity)
        .order_by_asc(oauth_client::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, a)| ClientSummary {
            internal: c.internal,
            agreement: a.map(|a| a.agreement_id),
            orgs: client_orgs(&c).unwrap_or_default(),
            scopes: c.scopes.split_whitespace().map(str::to_owned).collect(),
            grant_types: c.grant_types.split_whitespace().map(str::to_owned).collect(),
            redirect_uris: c.redirect_uris.split_whitespace().map(str::to_owned).collect(),
            client_id: c.client_id,
            name: c.name,
            enabled: c.enabled,
            created_at: c.created_at,
        })
        .collect())
}

/// The org sourcedIds a client is limited to; `None` for district-wide.
pub fn client_orgs(client: &oauth_client::Model) -> Option<Vec<String>> {
    client.orgs.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Returns the enabled client whose id and secret match, or `None`. Takes the same time
/// whether or not the client exists, so ids can't be probed by timing. The hash is verified on
/// `pool`; `AppError::Unavailable` when it is too busy.
pub async fn authenticate(
    db: &DatabaseConnection,
    pool: &HashPool,
    client_id: &str,
    secret: &str,
) -> AppResult<Option<oauth_client::Model>> {
    let client = oauth_client::Entity::find().filter(oauth_client::Column::ClientId.eq(client_id)).one(db).await?;
    let hash = client.as_ref().map_or(DUMMY_HASH, |c| c.secret_hash.as_str());
    let secret = secret.to_owned();
    let hash = hash.to_owned();
    // argon2 is deliberately slow: off the async workers, a bounded few at a time.
    let ok = pool.run(move || verify_secret(&secret, &hash)).await?;
    Ok(client.filter(|c| ok && c.enabled))
}

async fn hash_secret(pool: &HashPool, secret: &str) -> AppResult<String> {
    let secret = secret.to_owned();
    pool.run(move || hash_secret_now(&secret)).await?
}

fn hash_secret_now(secret: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::Server(anyhow::anyhow!("no system randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Server(anyhow::anyhow!("salt: {e}")))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Server(anyhow::anyhow!("hashing failed: {e}")))
}

fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
}

/// A valid argon2 hash of a random string, verified against when the client id is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Dc0PBnIlx5Ey9O6F6vAuqb2pcGZuFJr7EGO41kd1X8";
