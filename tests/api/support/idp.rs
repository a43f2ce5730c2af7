//! A small OpenID Connect identity provider for tests: discovery, an authorization endpoint
//! that signs in whoever the test names, a token endpoint that checks the client secret and
//! PKCE, and userinfo.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Form, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const IDP_CLIENT_ID: &str = "learnergraph-at-idp";
pub const IDP_CLIENT_SECRET: &str = "idp-secret";

#[derive(Default)]
struct Idp {
    base: String,
    /// The email of whoever signs in next.
    login_as: Mutex<String>,
    /// code -> (challenge, email)
    codes: Mutex<HashMap<String, (String, String)>>,
    /// access token -> email
    tokens: Mutex<HashMap<String, String>>,
}

pub struct TestIdp {
    pub issuer: String,
    state: Arc<Idp>,
}

impl TestIdp {
    pub async fn start() -> TestIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Idp { base: base.clone(), ..Default::default() });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestIdp { issuer: base, state }
    }

    /// Who the next sign-in authenticates as.
    pub fn login_as(&self, email: &str) {
        *self.state.login_as.lock().unwrap() = email.to_owned();
    }
}

async fn discovery(State(s): State<Arc<Idp>>) -> Json<serde_json::Value> {
    Json(json!({
        "issuer": s.base,
        "authorization_endpoint": format!("{}/authorize", s.base),
        "token_endpoint": format!("{}/token", s.base),
        "userinfo_endpoint": format!("{}/userinfo", s.base),
    }))
}

async fn authorize(State(s): State<Arc<Idp>>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(IDP_CLIENT_ID)
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let code = uuid::Uuid::new_v4().to_string();
    let who = s.login_as.lock().unwrap().clone();
    s.codes.lock().unwrap().insert(code.clone(), (q["code_challenge"].clone(), who));
    Redirect::to(&format!("{}?code={code}&state={}", q["redirect_uri"], q["state"])).into_response()
}

async fn token(State(s): State<Arc<Idp>>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{IDP_CLIENT_ID}:{IDP_CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let Some((challenge, email)) = f.get("code").and_then(|c| s.codes.lock().unwrap().remove(c)) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    }
    let access = uuid::Uuid::new_v4().to_string();
    s.tokens.lock().unwrap().insert(access.clone(), email);
    Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 300})).into_response()
}

async fn userinfo(State(s): State<Arc<Idp>>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match s.tokens.lock().unwrap().get(token) {
        Some(email) if email.starts_with("unverified:") => {
            Json(json!({"sub": "idp-x", "email": email.trim_start_matches("unverified:"), "email_verified": false}))
                .into_response()
        }
        Some(email) => {
            Json(json!({"sub": format!("idp-{email}"), "email": email, "email_verified": true})).into_response()
        }
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}
