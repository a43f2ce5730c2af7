//! The token endpoint (client credentials) and access-token verification at the GraphQL edge.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use learnergraph::auth::tokens::generate_pem;
use serde_json::{Value, json};

use crate::support::{AUDIENCE, ISSUER, TestApp, data, spawn_app};

async fn token_request(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> reqwest::Response {
    let mut req = app.http.post(app.url("/oauth/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn client_credentials_issue_a_verifiable_token() {
    let app = spawn_app().await;
    let (id, secret) = app.client("roster.read profiles.read", &[]).await;
    // client_secret_post, with a narrower scope than the client holds.
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "roster.read"),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "roster.read");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");

    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "OKP");

    let viewer = data(app.gql(token, "{ viewer { scopes clientId districtWide } }", json!({})).await);
    assert_eq!(viewer["viewer"]["scopes"], json!(["roster.read"]));
    assert_eq!(viewer["viewer"]["clientId"], id.as_str());

    let meta: Value =
        app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["issuer"], ISSUER);
    assert_eq!(meta["token_endpoint"], format!("{ISSUER}/oauth/token"));
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let app = spawn_app().await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let res = token_request(&app, &[("grant_type", "client_credentials")], Some((&id, "wrong"))).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");

    let res = token_request(&app, &[("grant_type", "client_credentials")], Some(("lg_nobody", "x"))).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");

    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("grant_type", "password")], "unsupported_grant_type"),
        (&[("grant_type", "client_credentials"), ("scope", "admin")], "invalid_scope"),
        (&[("grant_type", "client_credentials"), ("scope", "made.up")], "invalid_scope"),
        (&[("scope", "roster.read")], "invalid_request"),
    ];
    for (form, error) in cases {
        let res = token_request(&app, form, Some((&id, &secret))).await;
        assert_eq!(res.status(), 400, "{form:?}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], error, "{form:?}");
    }
    // Two authentication methods at once.
    let res =
        token_request(&app, &[("grant_type", "client_credentials"), ("client_secret", &secret)], Some((&id, &secret)))
            .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
    // JSON instead of a form.
    let res =
        app.http.post(app.url("/oauth/token")).json(&json!({"grant_type": "client_credentials"})).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(pem: &str, header: Header, claims: &Value) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn at_header(app: &TestApp) -> Header {
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = Some("at+jwt".into());
    h.kid = Some(kid_of(app));
    h
}

fn kid_of(app: &TestApp) -> String {
    // The kid the app publishes for its key.
    let keys = learnergraph::auth::tokens::Keys::from_pem(
        &app.signing_pem,
        ISSUER,
        AUDIENCE,
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    keys.jwks()["keys"][0]["kid"].as_str().unwrap().to_owned()
}

/// Claims of a valid-looking token for `client`.
fn claims_for(client: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": client, "client_id": client, "exp": now() + 300, "iat": now(), "jti": "j1", "scope": "roster.read"})
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    let (client, _) = app.client("roster.read", &[]).await;
    let claims = || claims_for(&client);
    let good = sign(&app.signing_pem, at_header(&app), &claims());
    let ok = app.gql_raw(Some(&good), "{ viewer { kind } }", json!({})).await;
    assert_eq!(ok.status(), 200, "the control token works");

    let other_key = generate_pem().unwrap();
    let with = |field: &str, value: Value| {
        let mut c = claims();
        c[field] = value;
        sign(&app.signing_pem, at_header(&app), &c)
    };
    let without = |field: &str| {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(field);
        sign(&app.signing_pem, at_header(&app), &c)
    };
    let mut bad: Vec<(&str, String)> = vec![
        ("expired", with("exp", json!(now() - 3600))),
        ("other key", sign(&other_key, at_header(&app), &claims())),
        ("no exp", without("exp")),
        ("no iat", without("iat")),
        ("no sub", without("sub")),
        ("no iss", without("iss")),
        ("no aud", without("aud")),
        ("wrong iss", with("iss", json!("https://evil.example"))),
        ("wrong aud", with("aud", json!("someone-else"))),
        ("future nbf", with("nbf", json!(now() + 3600))),
        ("future iat", with("iat", json!(now() + 3600))),
    ];
    let mut jwt_typ = at_header(&app);
    jwt_typ.typ = Some("JWT".into());
    bad.push(("typ JWT", sign(&app.signing_pem, jwt_typ, &claims())));
    // alg none, and HS256 keyed with the public key.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid_of(&app)}).to_string()),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    bad.push(("alg none", unsigned));
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let public = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(kid_of(&app));
    bad.push((
        "HS256 with public key",
        jsonwebtoken::encode(&hs, &claims(), &EncodingKey::from_secret(public.as_bytes())).unwrap(),
    ));
    // Tampered payload: same signature, different scope.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut c = claims();
    c["scope"] = json!("roster.read admin");
    parts[1] = URL_SAFE_NO_PAD.encode(c.to_string());
    bad.push(("tampered", parts.join(".")));
    // Headers that point at keys, and critical extensions: each re-signed with the right key,
    // so only the header itself can be the reason for refusal.
    let key = EncodingKey::from_ed_pem(app.signing_pem.as_bytes()).unwrap();
    let signed_with_header = |extra: (&str, Value)| {
        let mut header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid_of(&app)});
        header[extra.0] = extra.1;
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims().to_string()));
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::EdDSA).unwrap();
        format!("{input}.{signature}")
    };
    bad.push(("crit", signed_with_header(("crit", json!(["exp"])))));
    bad.push(("jwk", signed_with_header(("jwk", json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})))));
    bad.push(("x5u", signed_with_header(("x5u", json!("https://evil.example/cert.pem")))));
    bad.push(("x5c", signed_with_header(("x5c", json!(["MIIB"])))));
    // The same construction with a harmless header verifies, so the refusals above are real.
    let plain = signed_with_header(("cty", json!("JWT")));
    assert_eq!(app.gql_raw(Some(&plain), "{ viewer { kind } }", json!({})).await.status(), 200);
    let mut jku = at_header(&app);
    jku.jku = Some("https://evil.example/jwks".into());
    bad.push(("jku", sign(&app.signing_pem, jku, &claims())));
    bad.push(("garbage", "not.a.token".into()));

    for (what, token) in bad {
        let res = app.gql_raw(Some(&token), "{ viewer { kind } }", json!({})).await;
        assert_eq!(res.status(), 401, "{what} must be refused");
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("invalid_token"), "{what}: {challenge}");
    }
    // Not Bearer.
    let res = app
        .http
        .post(app.url("/graphql"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .json(&json!({"query": "{ viewer { kind } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let (id, secret) = app.client("roster.read", &[]).await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = entity::oauth_client::Entity::find()
        .filter(entity::oauth_client::Column::ClientId.eq(&id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.secret_hash.starts_with("$argon2id$"));
    assert!(!row.secret_hash.contains(&secret));
}
