//! `GET /oauth/authorize` and the sign-in it starts: the district's identity provider
//! (`/oauth/callback`) or the development sign-in, ending with a code sent back to the client.

use super::*;

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
    let role_cap = match person_scope_cap(&state.db, &person).await {
        Ok(cap) => cap,
        Err(e) => return OAuthError::server(e).into_response(),
    };
    let capped: BTreeSet<Scope> =
        parse_scopes(&pending.scope).unwrap_or_default().intersection(&role_cap).copied().collect();
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
