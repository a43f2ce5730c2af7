//! OAuth 2.0 HTTP endpoints: the token endpoint (RFC 6749: `client_credentials`,
//! `authorization_code` with PKCE S256 required (RFC 7636), `refresh_token` with rotation),
//! the authorization endpoint with its sign-in (the district's identity provider, or a
//! development sign-in), revocation (RFC 7009), introspection (RFC 7662), metadata
//! (RFC 8414) and the JWK Set.

use entity::Role;
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
    policy::role_scopes,
    principal::{format_scopes, parse_scopes},
    tokens::Subject,
    upstream::Upstream,
};
use crate::{app::AppState, error::AppError, ratelimit::SecretBlock};

/// Sign-in settings the endpoints need.
pub struct SignIn {
    pub dev_signin: bool,
    pub upstream: Option<crate::config::UpstreamConfig>,
    /// Discovered on first use, so an identity-provider outage doesn't stop the API starting.
    pub discovered: tokio::sync::OnceCell<Upstream>,
}

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
                retry_after: Some(crate::app::RETRY_AFTER_SECONDS),
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

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Response {
    match token_grant(&state, &headers, form).await {
        Ok(body) => json_no_store(body),
        Err(e) => e.into_response(),
    }
}

async fn token_grant(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Result<serde_json::Value, OAuthError> {
    let params = form_params(headers, form)?;
    let grant_type =
        params.get("grant_type").ok_or_else(|| OAuthError::new("invalid_request", "missing `grant_type`"))?;
    let client = authenticate_client(state, headers, &params).await?;
    if !matches!(grant_type.as_str(), "client_credentials" | "authorization_code" | "refresh_token") {
        return Err(OAuthError::new("unsupported_grant_type", format!("grant type `{grant_type}` is not supported")));
    }
    // A client signing people in may refresh their tokens.
    let refreshing = grant_type == "refresh_token" && allows(&client, "authorization_code");
    if !(allows(&client, grant_type) || refreshing) {
        return Err(OAuthError::new("unauthorized_client", "this client may not use this grant type"));
    }
    let client_orgs = clients::client_orgs(&client);
    let ttl = state.keys.ttl();
    let grant = match grant_type.as_str() {
        "client_credentials" => {
            let allowed = parse_scopes(&client.scopes).unwrap_or_default();
            let granted =
                scope_within(params.get("scope"), &allowed).map_err(|m| OAuthError::new("invalid_scope", m))?;
            let scope = format_scopes(&granted);
            let subject =
                Subject { client_id: &client.client_id, user: None, scope: &scope, orgs: client_orgs, family: None };
            let (token, claims) = state.keys.issue(subject).map_err(OAuthError::server)?;
            return Ok(
                json!({"access_token": token, "token_type": "Bearer", "expires_in": claims.exp - claims.iat, "scope": scope}),
            );
        }
        "authorization_code" => {
            let code = params.get("code").ok_or_else(|| OAuthError::new("invalid_request", "missing `code`"))?;
            grants::redeem_code(
                &state.db,
                &client.client_id,
                code,
                params.get("redirect_uri").map(String::as_str),
                params.get("code_verifier").map(String::as_str),
                ttl,
            )
            .await
        }
        _ => {
            let token = params
                .get("refresh_token")
                .ok_or_else(|| OAuthError::new("invalid_request", "missing `refresh_token`"))?;
            grants::rotate_refresh(&state.db, &client.client_id, token, params.get("scope").map(String::as_str), ttl)
                .await
        }
    };
    match grant.map_err(OAuthError::server)? {
        Ok(grant) => user_tokens(state, &client, client_orgs, grant).await,
        Err(e) => {
            // A reused code or refresh token revokes its family: end its subscriptions.
            state.bus.revoked(&state.db, &client.client_id).await;
            Err(OAuthError::new("invalid_grant", e.0))
        }
    }
}

async fn user_tokens(
    state: &AppState,
    client: &oauth_client::Model,
    orgs: Option<Vec<String>>,
    grant: grants::Grant,
) -> Result<serde_json::Value, OAuthError> {
    let person = user::Entity::find_by_id(grant.user_id)
        .filter(user::Column::Status.eq(entity::Status::Active))
        .filter(user::Column::EnabledUser.eq(true))
        .one(&state.db)
        .await
        .map_err(OAuthError::server)?
        .ok_or_else(|| OAuthError::new("invalid_grant", "the signed-in user is no longer active"))?;
    // What the grant holds, narrowed to what the client and the person's role allow today.
    let district_admin = person.role == Role::Administrator && person_is_district_admin(state, person.id).await;
    let client_scopes = parse_scopes(&client.scopes).unwrap_or_default();
    let role_cap = role_scopes(person.role, district_admin);
    let scopes: BTreeSet<Scope> = parse_scopes(&grant.scope)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| client_scopes.contains(s) && role_cap.contains(s))
        .collect();
    let scope = format_scopes(&scopes);
    let subject = Subject {
        client_id: &client.client_id,
        user: Some(&person.sourced_id),
        scope: &scope,
        orgs,
        family: Some(&grant.family_id),
    };
    let (token, claims) = state.keys.issue(subject).map_err(OAuthError::server)?;
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": claims.exp - claims.iat,
        "refresh_token": grant.refresh_token,
        "scope": scope,
    }))
}

/// Query parameters as a map, or `None` when one is repeated (RFC 6749 §3.1).
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

/// A page for errors that must not be redirected (unknown client, unregistered redirect URI).
fn error_page(message: &str) -> Response {
    crate::html::page(
        StatusCode::BAD_REQUEST,
        format!("<!doctype html><title>Sign-in error</title><p>{}</p>", escape(message)),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Sends the browser back to the client with `params` (RFC 6749 §4.1.2).
fn back_to_client(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params.iter().filter(|(_, v)| !v.is_empty()));
            Redirect::to(url.as_str()).into_response()
        }
        Err(_) => error_page("the redirect URI is invalid"),
    }
}

/// The district's identity provider, discovered on first use; `Ok(None)` when none is
/// configured, `Err` when it can't be reached.
async fn upstream(state: &AppState) -> Result<Option<&Upstream>, ()> {
    let Some(config) = &state.sign_in.upstream else { return Ok(None) };
    let callback = format!("{}/oauth/callback", state.keys.issuer().trim_end_matches('/'));
    match state.sign_in.discovered.get_or_try_init(|| Upstream::discover(config, callback)).await {
        Ok(u) => Ok(Some(u)),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "identity provider unavailable");
            Err(())
        }
    }
}

/// `GET /oauth/authorize`: checks the client's request and starts a sign-in.
pub async fn authorize(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let Some(q) = unique_params(pairs) else {
        return error_page("a parameter was given more than once, or holds a control character or is too long");
    };
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let client = match clients::find_enabled(&state.db, get("client_id")).await {
        Ok(Some(c)) if allows(&c, "authorization_code") => c,
        Ok(_) => return error_page("unknown client, or one that may not sign people in"),
        Err(e) => return OAuthError::server(e).into_response(),
    };
    let redirect_uri = get("redirect_uri");
    if !client.redirect_uris.split_whitespace().any(|u| u == redirect_uri) {
        return error_page("the redirect_uri is not registered for this client");
    }
    let client_state = get("state");
    let fail = |error: &str, description: &str| {
        back_to_client(redirect_uri, &[("error", error), ("error_description", description), ("state", client_state)])
    };
    if get("response_type") != "code" {
        return fail("unsupported_response_type", "only response_type=code is supported");
    }
    let challenge = get("code_challenge");
    if get("code_challenge_method") != "S256" || challenge.len() != 43 {
        return fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256");
    }
    let allowed = parse_scopes(&client.scopes).unwrap_or_default();
    let scope = match scope_within(q.get("scope"), &allowed) {
        Ok(s) => format_scopes(&s),
        Err(m) => return fail("invalid_scope", &m),
    };
    let upstream = match upstream(&state).await {
        Ok(Some(u)) => Some(u),
        Ok(None) if state.sign_in.dev_signin => None,
        Ok(None) => return fail("temporarily_unavailable", "no sign-in method is configured"),
        Err(()) => return fail("temporarily_unavailable", "the district's sign-in service is unavailable"),
    };
    let mut pending = grants::NewAuthorization {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state: q.get("state").cloned(),
        code_challenge: challenge.to_owned(),
        upstream_verifier: None,
    };
    match upstream {
        Some(upstream) => {
            let id = match crate::auth::tokens::random_token(24) {
                Ok(id) => id,
                Err(e) => return OAuthError::server(e).into_response(),
            };
            let (url, verifier) = upstream.authorize_url(&id);
            pending.upstream_verifier = Some(verifier);
            match grants::start_with_id(&state.db, id, pending).await {
                Ok(_) => Redirect::to(&url).into_response(),
                Err(e) => OAuthError::server(e).into_response(),
            }
        }
        None => match grants::start(&state.db, pending).await {
            // The form's answer redirects to the client, so its origin joins `form-action`.
            Ok(id) => crate::html::page_posting_to(
                StatusCode::OK,
                format!(
                    "<!doctype html><title>Sign in to learnergraph</title>\
                     <h1>Development sign-in</h1><p>{} asks to act for you.</p>\
                     <form method=post action=/oauth/authorize/dev-signin>\
                     <input type=hidden name=request value=\"{}\">\
                     <label>User sourcedId <input name=username autofocus></label> <button>Sign in</button></form>",
                    escape(&client.name),
                    escape(&id)
                ),
                Some(redirect_uri),
            ),
            Err(e) => OAuthError::server(e).into_response(),
        },
    }
}

/// `POST /oauth/authorize/dev-signin`: the development sign-in, by user sourcedId. Off unless
/// `LEARNERGRAPH_DEV_SIGNIN=true` (refused in production mode).
pub async fn dev_signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Response {
    if !state.sign_in.dev_signin {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let params = match form_params(&headers, form) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let (Some(request), Some(username)) = (params.get("request"), params.get("username")) else {
        return error_page("missing request or username");
    };
    let person = user::Entity::find().filter(user::Column::SourcedId.eq(username.as_str())).one(&state.db).await;
    finish_sign_in(&state, request, person.ok().flatten()).await
}

/// `GET /oauth/callback`: the identity provider sends the person back here.
pub async fn callback(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let Some(q) = unique_params(pairs) else {
        return error_page("a parameter was given more than once, or holds a control character or is too long");
    };
    let Some(request_id) = q.get("state") else { return error_page("missing state") };
    let pending = match grants::pending(&state.db, request_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return error_page("this sign-in expired or was already used; start again"),
        Err(e) => return OAuthError::server(e).into_response(),
    };
    let deny = |why: &str| {
        back_to_client(
            &pending.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", why),
                ("state", pending.state.as_deref().unwrap_or("")),
            ],
        )
    };
    // Any replica may receive the callback, whichever one started the sign-in.
    let discovered = upstream(&state).await.ok().flatten();
    let (Some(code), Some(verifier), Some(upstream)) =
        (q.get("code"), pending.upstream_verifier.as_deref(), discovered)
    else {
        return deny("the identity provider did not sign you in");
    };
    let (claim, value) = match upstream.identify(code, verifier).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "upstream sign-in failed");
            return deny("the identity provider did not confirm who you are");
        }
    };
    // The configured claim names exactly one user, or nobody signs in.
    let column = if claim == "email" { user::Column::Email } else { user::Column::Username };
    let matches =
        user::Entity::find().filter(column.eq(value.as_str())).limit(2).all(&state.db).await.unwrap_or_default();
    let person = if matches.len() == 1 { matches.into_iter().next() } else { None };
    finish_sign_in(&state, request_id, person).await
}

/// Issues the code for an identified person and sends them back to the client.
async fn finish_sign_in(state: &AppState, request_id: &str, person: Option<user::Model>) -> Response {
    let pending = match grants::pending(&state.db, request_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return error_page("this sign-in expired or was already used; start again"),
        Err(e) => return OAuthError::server(e).into_response(),
    };
    let client_state = pending.state.clone().unwrap_or_default();
    let Some(person) = person.filter(|p| p.status == entity::Status::Active && p.enabled_user) else {
        return back_to_client(
            &pending.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "no active learnergraph user matches this sign-in"),
                ("state", &client_state),
            ],
        );
    };
    // The person can be granted at most what their role allows.
    let district_admin = person.role == Role::Administrator && person_is_district_admin(state, person.id).await;
    let capped: BTreeSet<Scope> = parse_scopes(&pending.scope)
        .unwrap_or_default()
        .intersection(&role_scopes(person.role, district_admin))
        .copied()
        .collect();
    if capped.is_empty() {
        return back_to_client(
            &pending.redirect_uri,
            &[
                ("error", "invalid_scope"),
                ("error_description", "none of the requested scopes fit your role"),
                ("state", &client_state),
            ],
        );
    }
    match grants::complete(&state.db, request_id, person.id, &format_scopes(&capped)).await {
        Ok(Some((request, code))) => {
            back_to_client(&request.redirect_uri, &[("code", &code), ("state", &client_state)])
        }
        Ok(None) => error_page("this sign-in expired or was already used; start again"),
        Err(e) => OAuthError::server(e).into_response(),
    }
}

async fn person_is_district_admin(state: &AppState, user_id: i64) -> bool {
    use entity::{org, user_org};
    let found = user_org::Entity::find()
        .filter(user_org::Column::UserId.eq(user_id))
        .find_also_related(org::Entity)
        .all(&state.db)
        .await
        .unwrap_or_default();
    found.iter().any(|(_, o)| o.as_ref().is_some_and(|o| o.org_type == crate::roster::store::OrgType::District))
}

/// `POST /oauth/revoke` (RFC 7009). Answers 200 for tokens it does not know, as the RFC says.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Response {
    let result: Result<(), OAuthError> = async {
        let params = form_params(&headers, form)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        let token = params.get("token").ok_or_else(|| OAuthError::new("invalid_request", "missing `token`"))?;
        // Any `token_type_hint` is only a hint: every kind of token we issue is searched
        // (RFC 7009 §2.1).
        if let Ok(claims) = state.keys.verify(token) {
            if claims.client_id == client.client_id {
                let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
                grants::revoke_access_token(&state.db, &claims.jti, expires).await.map_err(OAuthError::server)?;
            }
        } else if let Some(row) = grants::find_refresh(&state.db, token).await.map_err(OAuthError::server)?
            && row.client_id == client.client_id
        {
            grants::revoke_family(&state.db, &row.family_id, state.keys.ttl()).await.map_err(OAuthError::server)?;
        }
        // Live subscriptions of this client check their tokens again at once.
        state.bus.revoked(&state.db, &client.client_id).await;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => json_no_store(json!({})),
        Err(e) => e.into_response(),
    }
}

/// `POST /oauth/introspect` (RFC 7662), for authenticated clients, about their own tokens.
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<RawForm, RawFormRejection>,
) -> Response {
    let result: Result<serde_json::Value, OAuthError> = async {
        let params = form_params(&headers, form)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        let token = params.get("token").ok_or_else(|| OAuthError::new("invalid_request", "missing `token`"))?;
        let inactive = json!({"active": false});
        if let Ok(claims) = state.keys.verify(token) {
            let principal = if claims.client_id == client.client_id {
                crate::auth::policy::principal_from_claims(&state.db, &claims).await.map_err(OAuthError::server)?
            } else {
                None
            };
            return Ok(if let Some(principal) = principal {
                // The scopes the token carries today: narrowed by the client's and role's caps.
                json!({
                    "active": true, "token_type": "Bearer", "scope": format_scopes(&principal.scopes), "client_id": claims.client_id,
                    "sub": claims.sub, "exp": claims.exp, "iat": claims.iat, "iss": claims.iss, "aud": claims.aud,
                    "jti": claims.jti, "username": claims.user,
                })
            } else {
                inactive
            });
        }
        let row = grants::find_refresh(&state.db, token).await.map_err(OAuthError::server)?;
        Ok(match row {
            Some(r)
                if r.client_id == client.client_id
                    && r.used_at.is_none()
                    && r.revoked_at.is_none()
                    && r.expires_at > chrono::Utc::now() =>
            {
                json!({"active": true, "token_type": "refresh_token", "scope": r.scope, "client_id": r.client_id, "exp": r.expires_at.timestamp()})
            }
            _ => inactive,
        })
    }
    .await;
    match result {
        Ok(body) => json_no_store(body),
        Err(e) => e.into_response(),
    }
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut res = Json(state.keys.jwks()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = state.keys.issuer().trim_end_matches('/').to_owned();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    }))
    .into_response()
}
