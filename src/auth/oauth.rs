//! OAuth 2.0 HTTP endpoints: the token endpoint (RFC 6749; `client_credentials` with
//! `client_secret_basic` or `client_secret_post`), authorization server metadata (RFC 8414)
//! and the JWK Set that verifies our tokens.

use std::collections::BTreeSet;

use axum::{
    Json,
    extract::{RawForm, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use super::{
    clients::{self, client_orgs},
    principal::{format_scopes, parse_scopes},
};
use crate::app::AppState;

/// An RFC 6749 §5.2 error response.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// `invalid_client` through HTTP Basic must challenge with `WWW-Authenticate`.
    challenge: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            challenge: false,
        }
    }
    fn invalid_client() -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed".into(),
            challenge: true,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        no_store(res.headers_mut());
        if self.challenge {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"learnergraph\""),
            );
        }
        res
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<RawForm, axum::extract::rejection::RawFormRejection>,
) -> Response {
    match issue(&state, &headers, form).await {
        Ok(body) => {
            let mut res = Json(body).into_response();
            no_store(res.headers_mut());
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<RawForm, axum::extract::rejection::RawFormRejection>,
) -> Result<serde_json::Value, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let RawForm(body) = form.ok().filter(|_| is_form).ok_or_else(|| {
        OAuthError::new(
            "invalid_request",
            "send the parameters as application/x-www-form-urlencoded in a POST body",
        )
    })?;
    let mut params = std::collections::HashMap::new();
    for (key, value) in form_urlencoded_pairs(&body) {
        if params.insert(key.clone(), value).is_some() {
            return Err(OAuthError::new(
                "invalid_request",
                format!("parameter `{key}` given more than once"),
            ));
        }
    }
    let (client_id, secret) = client_credentials(headers, &params)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::new("invalid_request", "missing `grant_type`"))?;
    let client = clients::authenticate(&state.db, &client_id, &secret)
        .await
        .map_err(|_| OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..OAuthError::new("server_error", "internal error")
        })?
        .ok_or_else(OAuthError::invalid_client)?;
    if grant_type != "client_credentials" {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            format!("grant type `{grant_type}` is not supported"),
        ));
    }
    if !client
        .grant_types
        .split_whitespace()
        .any(|g| g == grant_type)
    {
        return Err(OAuthError::new(
            "unauthorized_client",
            "this client may not use this grant type",
        ));
    }
    let allowed = parse_scopes(&client.scopes).unwrap_or_default();
    let granted: BTreeSet<_> = match params.get("scope") {
        None => allowed.clone(),
        Some(requested) => {
            let requested =
                parse_scopes(requested).map_err(|m| OAuthError::new("invalid_scope", m))?;
            if let Some(extra) = requested.iter().find(|s| !allowed.contains(s)) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("scope `{extra}` is not granted to this client"),
                ));
            }
            requested
        }
    };
    if granted.is_empty() {
        return Err(OAuthError::new("invalid_scope", "no scope requested"));
    }
    let scope = format_scopes(&granted);
    let (token, claims) = state
        .keys
        .issue(&client.client_id, &scope, client_orgs(&client))
        .map_err(|_| OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..OAuthError::new("server_error", "internal error")
        })?;
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": claims.exp - claims.iat,
        "scope": scope,
    }))
}

/// The client's id and secret from HTTP Basic (preferred) or the body; never both.
fn client_credentials(
    headers: &HeaderMap,
    params: &std::collections::HashMap<String, String>,
) -> Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let body = (params.get("client_id"), params.get("client_secret"));
    match (basic, body) {
        (Some(_), (_, Some(_))) => Err(OAuthError::new(
            "invalid_request",
            "use one client authentication method, not two",
        )),
        (Some(encoded), _) => {
            let decoded = STANDARD
                .decode(encoded.trim())
                .map_err(|_| OAuthError::invalid_client())?;
            let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
            let (id, secret) = text
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
            Ok((percent_decode(id), percent_decode(secret)))
        }
        (None, (Some(id), Some(secret))) => Ok((id.clone(), secret.clone())),
        _ => Err(OAuthError::invalid_client()),
    }
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

fn percent_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map_or_else(|| s.to_owned(), |(_, v)| v)
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut res = Json(state.keys.jwks()).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = state.keys.issuer().trim_end_matches('/').to_owned();
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "scopes_supported": crate::auth::Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    }))
    .into_response()
}
