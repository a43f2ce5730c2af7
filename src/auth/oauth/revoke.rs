//! `POST /oauth/revoke` (RFC 7009) and `POST /oauth/introspect` (RFC 7662).

use super::*;

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
        let mut revoked = false;
        if let Ok(claims) = state.keys.verify(token) {
            if claims.client_id == client.client_id {
                let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
                grants::revoke_access_token(&state.db, &claims.jti, expires).await.map_err(OAuthError::server)?;
                revoked = true;
            }
        } else if let Some(row) = grants::find_refresh(&state.db, token).await.map_err(OAuthError::server)?
            && row.client_id == client.client_id
        {
            grants::revoke_family(&state.db, &row.family_id, state.keys.ttl()).await.map_err(OAuthError::server)?;
            revoked = true;
        }
        // Live subscriptions of this client check their tokens again at once, and cached
        // principals are dropped: only when something was revoked (an unknown or another
        // client's token is acknowledged, RFC 7009 §2.2, and changes nothing).
        if revoked {
            state.bus.revoked(&state.db, &client.client_id).await;
        }
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
                // The scopes the token carries today: narrowed by the client's and role's caps
                // (not those a OneRoster scope stands for, which the token was not granted).
                let carried = principal.scopes.iter().filter(|s| claims.scope.split_whitespace().any(|c| c == s.as_str()));
                json!({
                    "active": true, "token_type": "Bearer", "scope": format_scopes(carried), "client_id": claims.client_id,
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
