//! `POST /oauth/token` (RFC 6749 §4.1.3, §4.4, §6): codes, client credentials and refresh
//! tokens exchanged for access tokens.

use super::*;

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
    // A vendor's client whose agreement has ended or was revoked gets no more tokens.
    if let Some(agreement) = client.agreement_id.filter(|_| !client.internal) {
        let m =
            entity::data_agreement::Entity::find_by_id(agreement).one(&state.db).await.map_err(OAuthError::server)?;
        let why = match m {
            Some(m) => crate::privacy::agreements::standing(
                &m.agreement_id,
                Some(m.starts_on),
                Some(m.ends_on),
                m.revoked_at,
                crate::db::now().date_naive(),
            )
            .err(),
            None => Some("the data-sharing agreement this client was bound to no longer exists".to_owned()),
        };
        if let Some(why) = why {
            return Err(OAuthError { description: why, ..OAuthError::invalid_client() });
        }
    }
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
    let client_scopes = parse_scopes(&client.scopes).unwrap_or_default();
    let role_cap = person_scope_cap(&state.db, &person).await.map_err(OAuthError::server)?;
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
