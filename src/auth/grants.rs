//! Grant state for people signing in through front ends: pending authorization requests,
//! single-use authorization codes bound to a PKCE challenge, refresh tokens rotated on every
//! use within a family (a reused one revokes the family), and revocations of access tokens.
//! Everything lives in the database so any replica can serve any step. Codes and refresh
//! tokens are stored only as SHA-256 hashes.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{oauth_authorization_request as authz, oauth_code, oauth_refresh_token as refresh, oauth_revocation};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use super::tokens::random_token;
use crate::{
    db::{begin_write, now},
    error::AppResult,
};

/// How long a sign-in may take.
const AUTHORIZATION_TTL_MINUTES: i64 = 10;
/// Authorization codes are short-lived (RFC 6749 §4.1.2 recommends at most 10 minutes).
const CODE_TTL_SECONDS: i64 = 60;
/// A refresh family lives for a school day's worth of sessions from sign-in, then sign-in is
/// needed again; rotation does not extend it.
pub const REFRESH_TTL_HOURS: i64 = 12;

/// Hex SHA-256 of a secret value: what is stored instead of the value.
pub fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) must equal the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid_verifier = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    valid_verifier && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Why a grant was refused; every case is `invalid_grant` to the client (RFC 6749 §5.2),
/// with this description.
#[derive(Debug)]
pub struct InvalidGrant(pub &'static str);

/// What the client asked for when a sign-in started.
pub struct NewAuthorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub upstream_verifier: Option<String>,
}

/// Records a pending sign-in; returns its id.
pub async fn start(db: &DatabaseConnection, a: NewAuthorization) -> AppResult<String> {
    start_with_id(db, random_token(24)?, a).await
}

/// Records a pending sign-in under a given id (the `state` sent upstream). Sign-ins are rare
/// next to API calls, so this is where expired grant state is cleared away.
pub async fn start_with_id(db: &DatabaseConnection, id: String, a: NewAuthorization) -> AppResult<String> {
    prune_expired(db).await?;
    authz::Entity::insert(authz::ActiveModel {
        id: Set(id.clone()),
        client_id: Set(a.client_id),
        redirect_uri: Set(a.redirect_uri),
        scope: Set(a.scope),
        state: Set(a.state),
        code_challenge: Set(a.code_challenge),
        upstream_verifier: Set(a.upstream_verifier),
        expires_at: Set(now() + Duration::minutes(AUTHORIZATION_TTL_MINUTES)),
    })
    .exec(db)
    .await?;
    Ok(id)
}

/// Looks up a pending sign-in that has not expired.
pub async fn pending(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<authz::Model>> {
    Ok(authz::Entity::find_by_id(id.to_owned()).one(db).await?.filter(|a| a.expires_at > now()))
}

/// Ends a sign-in for `user_id`: consumes the pending request and issues a code for it.
/// Returns the request (for its redirect URI and state) and the code. A request can be
/// completed once.
pub async fn complete(
    db: &DatabaseConnection,
    id: &str,
    user_id: i64,
    scope: &str,
) -> AppResult<Option<(authz::Model, String)>> {
    let txn = begin_write(db).await?;
    let Some(request) = pending(&txn, id).await? else { return Ok(None) };
    let deleted = authz::Entity::delete_by_id(id.to_owned()).exec(&txn).await?;
    if deleted.rows_affected != 1 {
        return Ok(None);
    }
    let code = random_token(32)?;
    oauth_code::Entity::insert(oauth_code::ActiveModel {
        code_hash: Set(hash(&code)),
        client_id: Set(request.client_id.clone()),
        user_id: Set(user_id),
        redirect_uri: Set(request.redirect_uri.clone()),
        scope: Set(scope.to_owned()),
        code_challenge: Set(request.code_challenge.clone()),
        family_id: Set(None),
        expires_at: Set(now() + Duration::seconds(CODE_TTL_SECONDS)),
        used_at: Set(None),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some((request, code)))
}

/// A granted sign-in: who, through which client, with which scope, in which refresh family.
pub struct Grant {
    pub user_id: i64,
    pub scope: String,
    pub family_id: String,
    pub refresh_token: String,
}

/// Redeems a code (RFC 6749 §4.1.3 with RFC 7636): single use, same client, same redirect
/// URI, matching PKCE verifier. A second use revokes what the first one issued.
pub async fn redeem_code(
    db: &DatabaseConnection,
    client_id: &str,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    access_ttl: std::time::Duration,
) -> AppResult<Result<Grant, InvalidGrant>> {
    let txn = begin_write(db).await?;
    let Some(row) = oauth_code::Entity::find_by_id(hash(code)).one(&txn).await? else {
        return Ok(Err(InvalidGrant("unknown authorization code")));
    };
    if row.client_id != client_id {
        return Ok(Err(InvalidGrant("the code was issued to another client")));
    }
    if row.used_at.is_some() {
        if let Some(family) = &row.family_id {
            revoke_family(&txn, family, access_ttl).await?;
        }
        txn.commit().await?;
        return Ok(Err(InvalidGrant("authorization code already used; the tokens it issued are revoked")));
    }
    if row.expires_at <= now() {
        return Ok(Err(InvalidGrant("authorization code expired")));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Ok(Err(InvalidGrant("redirect_uri does not match the authorization request")));
    }
    let Some(verifier) = verifier else { return Ok(Err(InvalidGrant("code_verifier is required (PKCE)"))) };
    if !pkce_matches(verifier, &row.code_challenge) {
        return Ok(Err(InvalidGrant("code_verifier does not match the code_challenge")));
    }
    if !active_user(&txn, row.user_id).await? {
        return Ok(Err(InvalidGrant("the signed-in user is no longer active")));
    }
    let family_id = random_token(18)?;
    let used = oauth_code::Entity::update_many()
        .col_expr(oauth_code::Column::UsedAt, Expr::value(now()))
        .col_expr(oauth_code::Column::FamilyId, Expr::value(family_id.clone()))
        .filter(oauth_code::Column::CodeHash.eq(row.code_hash.clone()))
        .filter(oauth_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Ok(Err(InvalidGrant("authorization code already used")));
    }
    // The family's lifetime starts now and is not extended by rotation.
    let family_expiry = now() + Duration::hours(REFRESH_TTL_HOURS);
    let refresh_token = insert_refresh(&txn, &family_id, client_id, row.user_id, &row.scope, family_expiry).await?;
    txn.commit().await?;
    Ok(Ok(Grant { user_id: row.user_id, scope: row.scope, family_id, refresh_token }))
}

async fn insert_refresh(
    db: &impl ConnectionTrait,
    family: &str,
    client_id: &str,
    user_id: i64,
    scope: &str,
    expires_at: DateTime<Utc>,
) -> AppResult<String> {
    let token = random_token(32)?;
    let at = now();
    refresh::Entity::insert(refresh::ActiveModel {
        token_hash: Set(hash(&token)),
        family_id: Set(family.to_owned()),
        client_id: Set(client_id.to_owned()),
        user_id: Set(user_id),
        scope: Set(scope.to_owned()),
        created_at: Set(at),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// Whether the user may still sign in: active at the source and enabled. Checked inside the
/// grant's transaction, before anything is spent.
async fn active_user(db: &impl ConnectionTrait, user_id: i64) -> AppResult<bool> {
    let found = entity::user::Entity::find_by_id(user_id)
        .filter(entity::user::Column::Status.eq(entity::Status::Active))
        .filter(entity::user::Column::EnabledUser.eq(true))
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Exchanges a refresh token for a new one in the same family (RFC 6749 §6, rotation per
/// OAuth 2.0 Security BCP). Presenting a token that was already exchanged means it leaked:
/// the whole family, and the access tokens issued from it, are revoked.
pub async fn rotate_refresh(
    db: &DatabaseConnection,
    client_id: &str,
    token: &str,
    requested_scope: Option<&str>,
    access_ttl: std::time::Duration,
) -> AppResult<Result<Grant, InvalidGrant>> {
    let txn = begin_write(db).await?;
    let Some(row) = refresh::Entity::find().filter(refresh::Column::TokenHash.eq(hash(token))).one(&txn).await? else {
        return Ok(Err(InvalidGrant("unknown refresh token")));
    };
    if row.client_id != client_id {
        return Ok(Err(InvalidGrant("the refresh token was issued to another client")));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(InvalidGrant("refresh token revoked")));
    }
    if row.used_at.is_some() {
        revoke_family(&txn, &row.family_id, access_ttl).await?;
        txn.commit().await?;
        return Ok(Err(InvalidGrant("refresh token reused; its family is revoked")));
    }
    if row.expires_at <= now() {
        return Ok(Err(InvalidGrant("refresh token expired")));
    }
    // A narrower scope may be asked for; never a wider one (RFC 6749 §6).
    let scope = match requested_scope {
        None => row.scope.clone(),
        Some(req) => {
            let granted: Vec<&str> = row.scope.split_whitespace().collect();
            if req.split_whitespace().any(|s| !granted.contains(&s)) || req.trim().is_empty() {
                return Ok(Err(InvalidGrant("scope exceeds the original grant")));
            }
            req.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };
    if !active_user(&txn, row.user_id).await? {
        return Ok(Err(InvalidGrant("the signed-in user is no longer active")));
    }
    let used = refresh::Entity::update_many()
        .col_expr(refresh::Column::UsedAt, Expr::value(now()))
        .filter(refresh::Column::Id.eq(row.id))
        .filter(refresh::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        revoke_family(&txn, &row.family_id, access_ttl).await?;
        txn.commit().await?;
        return Ok(Err(InvalidGrant("refresh token reused; its family is revoked")));
    }
    let refresh_token = insert_refresh(&txn, &row.family_id, client_id, row.user_id, &scope, row.expires_at).await?;
    txn.commit().await?;
    Ok(Ok(Grant { user_id: row.user_id, scope, family_id: row.family_id, refresh_token }))
}

/// Revokes every refresh token of a family and every access token issued from it.
pub async fn revoke_family(db: &impl ConnectionTrait, family: &str, access_ttl: std::time::Duration) -> AppResult<()> {
    refresh::Entity::update_many()
        .col_expr(refresh::Column::RevokedAt, Expr::value(now()))
        .filter(refresh::Column::FamilyId.eq(family))
        .filter(refresh::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let until = now() + Duration::from_std(access_ttl).unwrap_or(Duration::hours(1));
    remember_revocation(db, format!("family:{family}"), until).await
}

/// Revokes one access token until it would have expired anyway.
pub async fn revoke_access_token(db: &impl ConnectionTrait, jti: &str, expires_at: DateTime<Utc>) -> AppResult<()> {
    remember_revocation(db, format!("jti:{jti}"), expires_at).await
}

async fn remember_revocation(db: &impl ConnectionTrait, key: String, expires_at: DateTime<Utc>) -> AppResult<()> {
    oauth_revocation::Entity::insert(oauth_revocation::ActiveModel { key: Set(key), expires_at: Set(expires_at) })
        .on_conflict_do_nothing_on([oauth_revocation::Column::Key])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A condition that holds while an access token (by its jti, and its refresh family if any)
/// is not revoked, to be combined with the client lookup every request makes.
pub fn not_revoked(jti: &str, family: Option<&str>) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{ExprTrait, Query};
    let mut keys = vec![format!("jti:{jti}")];
    keys.extend(family.map(|f| format!("family:{f}")));
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(oauth_revocation::Entity)
            .and_where(oauth_revocation::Column::Key.is_in(keys))
            .to_owned(),
    )
    .not()
}

/// A refresh token as the introspection endpoint describes it.
pub async fn find_refresh(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<refresh::Model>> {
    Ok(refresh::Entity::find().filter(refresh::Column::TokenHash.eq(hash(token))).one(db).await?)
}

/// Deletes grant state past its expiry: pending sign-ins, codes, refresh tokens (a reused one
/// can no longer be presented once expired) and revocations of tokens that have expired.
pub async fn prune_expired(db: &DatabaseConnection) -> AppResult<()> {
    let at = now();
    authz::Entity::delete_many().filter(authz::Column::ExpiresAt.lt(at)).exec(db).await?;
    oauth_code::Entity::delete_many().filter(oauth_code::Column::ExpiresAt.lt(at)).exec(db).await?;
    refresh::Entity::delete_many().filter(refresh::Column::ExpiresAt.lt(at)).exec(db).await?;
    oauth_revocation::Entity::delete_many().filter(oauth_revocation::Column::ExpiresAt.lt(at)).exec(db).await?;
    Ok(())
}
