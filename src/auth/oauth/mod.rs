//! OAuth 2.0 HTTP endpoints: the token endpoint (RFC 6749: `client_credentials`,
//! `authorization_code` with PKCE S256 required (RFC 7636), `refresh_token` with rotation),
//! the authorization endpoint with its sign-in (the district's identity provider, or a
//! development sign-in), revocation (RFC 7009), introspection (RFC 7662), metadata
//! (RFC 8414) and the JWK Set.
//!
//! This module holds what every endpoint shares (the RFC 6749 error response, form parsing,
//! client authentication); each endpoint family has a file: [`token`], [`authorize`] (with the
//! sign-in and callback), [`revoke`] (revocation and introspection), [`metadata`].

mod authorize;
mod metadata;
mod revoke;
mod token;

pub use authorize::{authorize, callback, dev_signin};
pub use metadata::{jwks, metadata};
pub use revoke::{introspect, revoke};
pub use token::token;

use std::collections::{BTreeSet, HashMap};

use axum::{
    Json,
    extract::{Query, RawForm, State, rejection::RawFormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use entity::{oauth_client, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::{
    Scope, clients, grants,
    policy::person_scope_cap,
    principal::{format_scopes, parse_scopes},
    tokens::Subject,
    upstream::Upstream,
};
use crate::{error::AppError, ratelimit::SecretBlock, state::AppState};

/// An RFC 6749 §5.2 error response.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// `invalid_client` through HTTP Basic must challenge with `WWW-Authenticate`.
    challenge: bool,
    /// `Retry-After` seconds, when waiting helps.
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            challenge: false,
            retry_after: None,
        }
    }
    fn invalid_client() -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed".into(),
            challenge: true,
            retry_after: None,
        }
    }
    /// Failed secrets for this client id: wait before the next attempt (429, `slow_down`, the
    /// code OAuth has for "wait": RFC 8628 §3.5), or locked out (`invalid_client`, whatever
    /// the secret).
    fn secret_blocked(block: SecretBlock) -> Self {
        let secs = block.retry_after_secs();
        match block {
            SecretBlock::Wait(_) => OAuthError {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after: Some(secs),
                ..OAuthError::new(
                    "slow_down",
                    format!("too many failed client authentications: wait {secs} seconds before trying again"),
                )
            },
            SecretBlock::Locked(_) => OAuthError {
                description: format!(
                    "client authentication is locked after repeated failures: try again in {secs} seconds"
                ),
                retry_after: Some(secs),
                ..OAuthError::invalid_client()
            },
        }
    }
    fn server<E: std::fmt::Display + 'static>(e: E) -> Self {
        // A busy or unreachable database is the client's to retry, not a server fault.
        let any = &e as &dyn std::any::Any;
        let unavailable = any
            .downcast_ref::<crate::error::AppError>()
            .is_some_and(|e| matches!(e, crate::error::AppError::Unavailable { .. }))
            || any.downcast_ref::<sea_orm::DbErr>().is_some_and(crate::error::is_unavailable);
        if unavailable {
            tracing::warn!(error = %e, "oauth endpoint: database busy or unreachable");
            return OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after: Some(crate::error::RETRY_AFTER_SECONDS),
                ..OAuthError::new("temporarily_unavailable", "the service is busy; retry in a moment")
            };
        }
        tracing::error!(error = %e, "oauth endpoint failed");
        OAuthError { status: StatusCode::INTERNAL_SERVER_ERROR, ..OAuthError::new("server_error", "internal error") }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut res =
            (self.status, Json(json!({"error": self.error, "error_description": self.description}))).into_response();
        no_store(res.headers_mut());
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.challenge {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"learnergraph\""));
        }
        res
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn json_no_store(body: serde_json::Value) -> Response {
    let mut res = Json(body).into_response();
    no_store(res.headers_mut());
    res
}

/// The form parameters of a POST, refusing anything but a form body and duplicate keys.
fn form_params(
    headers: &HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Result<HashMap<String, String>, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let RawForm(body) = form.ok().filter(|_| is_form).ok_or_else(|| {
        OAuthError::new("invalid_request", "send the parameters as application/x-www-form-urlencoded in a POST body")
    })?;
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|_| OAuthError::new("invalid_request", "malformed form body"))?;
    let mut params = HashMap::new();
    for (key, value) in pairs {
        if let Some(why) = bad_param(&key, &value) {
            return Err(OAuthError::new("invalid_request", why));
        }
        if params.insert(key.clone(), value).is_some() {
            return Err(OAuthError::new("invalid_request", format!("parameter `{key}` given more than once")));
        }
    }
    Ok(params)
}

/// Authenticates the calling client from HTTP Basic or the body (never both).
async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<oauth_client::Model, OAuthError> {
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials);
    let (id, secret) = match (basic, params.get("client_id"), params.get("client_secret")) {
        (Some(_), _, Some(_)) => {
            return Err(OAuthError::new("invalid_request", "use one client authentication method, not two"));
        }
        (Some(encoded), _, None) => {
            let decoded = STANDARD.decode(encoded.trim()).map_err(|_| OAuthError::invalid_client())?;
            let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
            let (id, secret) = text.split_once(':').ok_or_else(OAuthError::invalid_client)?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
            let (id, secret) = (percent_decode(id), percent_decode(secret));
            if let Some(why) = bad_param("client_id", &id).or_else(|| bad_param("client_secret", &secret)) {
                return Err(OAuthError::new("invalid_request", why));
            }
            (id, secret)
        }
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => return Err(OAuthError::invalid_client()),
    };
    // A locked or slowed-down id is refused before any hashing: guessing costs us nothing.
    state.limits.secret_gate(&id).await.map_err(OAuthError::secret_blocked)?;
    let found = match clients::authenticate(&state.db, &state.hashing, &id, &secret).await {
        Ok(found) => found,
        Err(AppError::Unavailable { retry_after }) => {
            return Err(OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after: Some(retry_after),
                ..OAuthError::new("temporarily_unavailable", "the server is busy: retry shortly")
            });
        }
        Err(e) => return Err(OAuthError::server(e)),
    };
    match found {
        Some(client) => {
            state.limits.secret_succeeded(&id).await;
            Ok(client)
        }
        None => Err(match state.limits.secret_failed(&id).await {
            // The failure that locks says so at once.
            Some(block @ SecretBlock::Locked(_)) => OAuthError::secret_blocked(block),
            Some(SecretBlock::Wait(d)) => {
                OAuthError { retry_after: Some(crate::ratelimit::ceil_secs(d)), ..OAuthError::invalid_client() }
            }
            None => OAuthError::invalid_client(),
        }),
    }
}

fn percent_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map_or_else(|| s.to_owned(), |(_, v)| v)
}

/// Longest parameter value accepted (codes, tokens, URIs and verifiers are far shorter).
const MAX_PARAM_CHARS: usize = 4096;

/// Why a parameter is refused: a control character (PostgreSQL refuses NUL in text, and none
/// belongs in any OAuth parameter) or an unreasonable length.
fn bad_param(key: &str, value: &str) -> Option<String> {
    let key_shown: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
    [key, value]
        .iter()
        .find_map(|s| crate::graphql::limits::bad_string(s, MAX_PARAM_CHARS))
        .map(|why| format!("parameter `{key_shown}` {why}"))
}

/// The query parameters, or `None` when one is repeated or holds a control character or an
/// unreasonable length.
fn unique_params(pairs: Vec<(String, String)>) -> Option<HashMap<String, String>> {
    let mut map = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if bad_param(&k, &v).is_some() || map.insert(k, v).is_some() {
            return None;
        }
    }
    Some(map)
}

fn allows(client: &oauth_client::Model, grant: &str) -> bool {
    client.grant_types.split_whitespace().any(|g| g == grant)
}

/// The requested scope checked against what the client holds; omitted means all of it.
fn scope_within(requested: Option<&String>, allowed: &BTreeSet<Scope>) -> Result<BTreeSet<Scope>, String> {
    let granted = match requested {
        None => allowed.clone(),
        Some(requested) => {
            let requested = parse_scopes(requested)?;
            if let Some(extra) = requested.iter().find(|s| !allowed.contains(s)) {
                return Err(format!("scope `{extra}` is not granted to this client"));
            }
            requested
        }
    };
    if granted.is_empty() { Err("no scope requested".to_owned()) } else { Ok(granted) }
}
