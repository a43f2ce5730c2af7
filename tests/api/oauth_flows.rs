//! People signing in through front ends: the authorization code flow with PKCE (through the
//! `oauth2` crate as a real client), refresh rotation and reuse detection, revocation,
//! introspection, client management, key rotation, and the relationship rules that decide
//! what a signed-in student, teacher or administrator sees.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use learnergraph::auth::{
    clients::{self, ClientOptions},
    tokens::{Keys, generate_pem},
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl, RefreshToken, TokenResponse,
    TokenUrl, basic::BasicClient,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{
    AUDIENCE, ISSUER, TestApp, data,
    idp::{IDP_CLIENT_ID, IDP_CLIENT_SECRET, TestIdp},
    spawn_app_with,
};

const REDIRECT: &str = "http://localhost:3000/callback";
const TEACHER: &str = "sc-t-001-06-math-0";
const CLASS: &str = "sc-c-001-06-math-s1";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

struct FrontEnd {
    id: String,
    secret: String,
}

async fn front_end(app: &TestApp, scopes: &str) -> FrontEnd {
    let c = clients::create_with(
        &app.db,
        "district front end",
        scopes,
        &[],
        ClientOptions {
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            redirect_uris: vec![REDIRECT.into()],
            ..ClientOptions::internal()
        },
    )
    .await
    .unwrap();
    FrontEnd { id: c.client_id, secret: c.client_secret }
}

fn pkce() -> (String, String) {
    let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_url(app: &TestApp, fe: &FrontEnd, challenge: &str, scope: &str) -> String {
    let mut url = url::Url::parse(&app.url("/oauth/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &fe.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "xyz")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    url.to_string()
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Signs `user` in with the development sign-in; returns the code and the PKCE verifier.
async fn dev_code(app: &TestApp, fe: &FrontEnd, user: &str, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let http = no_redirects();
    let page = http.get(authorize_url(app, fe, &challenge, scope)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let request = html.split("name=request value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = http
        .post(app.url("/oauth/authorize/dev-signin"))
        .form(&[("request", request.as_str()), ("username", user)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let q = query_of(res.headers()["location"].to_str().unwrap());
    assert_eq!(q["state"], "xyz");
    (q.get("code").cloned().unwrap_or_else(|| panic!("no code: {q:?}")), verifier)
}

fn oauth_client(
    app: &TestApp,
    fe: &FrontEnd,
) -> BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(fe.id.clone()))
        .set_client_secret(ClientSecret::new(fe.secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

/// Access and refresh token for `user`, through the oauth2 crate.
async fn sign_in(app: &TestApp, fe: &FrontEnd, user: &str, scope: &str) -> (String, String) {
    let (code, verifier) = dev_code(app, fe, user, scope).await;
    let tokens = oauth_client(app, fe)
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&no_redirects())
        .await
        .unwrap();
    (tokens.access_token().secret().clone(), tokens.refresh_token().unwrap().secret().clone())
}

async fn token_form(app: &TestApp, fe: &FrontEnd, form: &[(&str, &str)]) -> (u16, Value) {
    let res =
        app.http.post(app.url("/oauth/token")).basic_auth(&fe.id, Some(&fe.secret)).form(form).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn dev_app() -> TestApp {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(2, 30).await;
    app
}

const ALL: &str = "roster.read roster.write profiles.read profiles.write profiles.sensitive.read admin";

#[tokio::test]
async fn a_teacher_signs_in_and_sees_only_their_students() {
    let app = dev_app().await;
    let fe = front_end(&app, ALL).await;
    let (access, _) = sign_in(&app, &fe, TEACHER, ALL).await;
    let me = data(app.gql(&access, "{ viewer { kind role userSourcedId scopes } }", json!({})).await);
    assert_eq!(me["viewer"]["kind"], "user");
    assert_eq!(me["viewer"]["role"], "teacher");
    assert_eq!(me["viewer"]["userSourcedId"], TEACHER);
    let scopes = me["viewer"]["scopes"].as_array().unwrap();
    assert!(
        !scopes.contains(&json!("admin")) && !scopes.contains(&json!("roster.write")),
        "capped by role: {scopes:?}"
    );

    let admin = app.admin_token().await;
    let class = data(app.gql(&admin, "query($c: String!) { class(sourcedId: $c) { learners(first: 100) { totalCount } } learners { totalCount } }", json!({"c": CLASS})).await);
    let in_class = class["class"]["learners"]["totalCount"].as_i64().unwrap();
    assert!(class["learners"]["totalCount"].as_i64().unwrap() > in_class);

    let seen =
        data(app.gql(&access, "{ learners(first: 100) { totalCount } classes { totalCount } }", json!({})).await);
    assert_eq!(seen["learners"]["totalCount"].as_i64().unwrap(), in_class, "only the students of their class");
    assert_eq!(seen["classes"]["totalCount"], 1);
    // A grade 7 student is not theirs.
    let other = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-001\") { learners(last: 1) { edges { node { id sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    let other = &other["school"]["learners"]["edges"][0]["node"];
    let hidden = data(app.gql(&access, "query($id: ID!) { node(id: $id) { id } }", json!({"id": other["id"]})).await);
    assert_eq!(hidden["node"], Value::Null);
}

#[tokio::test]
async fn a_student_sees_only_themself_and_no_sensitive_data() {
    let app = dev_app().await;
    let admin = app.admin_token().await;
    let student = data(
        app.gql(
            &admin,
            "query($c: String!) { class(sourcedId: $c) { learners(first: 1) { edges { node { sourcedId } } } } }",
            json!({"c": CLASS}),
        )
        .await,
    );
    let student = student["class"]["learners"]["edges"][0]["node"]["sourcedId"].as_str().unwrap().to_owned();
    let fe = front_end(&app, ALL).await;
    let (access, _) = sign_in(&app, &fe, &student, "roster.read profiles.read profiles.sensitive.read").await;
    let seen = data(app.gql(&access, "{ viewer { scopes } learners { totalCount edges { node { sourcedId profile { version } } } } educators { totalCount } }", json!({})).await);
    assert_eq!(seen["learners"]["totalCount"], 1);
    assert_eq!(seen["learners"]["edges"][0]["node"]["sourcedId"], student.as_str());
    assert_eq!(seen["educators"]["totalCount"], 0);
    assert!(!seen["viewer"]["scopes"].as_array().unwrap().contains(&json!("profiles.sensitive.read")));
}

#[tokio::test]
async fn a_school_administrator_sees_their_school_only() {
    let app = dev_app().await;
    let fe = front_end(&app, ALL).await;
    let (access, _) = sign_in(&app, &fe, "sc-admin-001", ALL).await;
    let seen = data(app.gql(&access, "{ schools { totalCount } learners { totalCount } }", json!({})).await);
    assert_eq!(seen["schools"]["totalCount"], 1);
    assert_eq!(seen["learners"]["totalCount"], 30);
    let (district, _) = sign_in(&app, &fe, "sc-admin-district", ALL).await;
    let seen = data(
        app.gql(&district, "{ schools { totalCount } learners { totalCount } viewer { scopes } }", json!({})).await,
    );
    assert_eq!(seen["learners"]["totalCount"], 60);
    assert!(seen["viewer"]["scopes"].as_array().unwrap().contains(&json!("admin")));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let (access, refresh1) = sign_in(&app, &fe, TEACHER, "roster.read").await;
    let client = oauth_client(&app, &fe);
    let rotated = client
        .exchange_refresh_token(&RefreshToken::new(refresh1.clone()))
        .request_async(&no_redirects())
        .await
        .unwrap();
    let refresh2 = rotated.refresh_token().unwrap().secret().clone();
    assert_ne!(refresh2, refresh1);
    let access2 = rotated.access_token().secret().clone();
    assert_eq!(app.gql_raw(Some(&access2), "{ viewer { kind } }", json!({})).await.status(), 200);

    // The old refresh token again: reuse. It fails, and so does everything of its family.
    let (status, body) = token_form(&app, &fe, &[("grant_type", "refresh_token"), ("refresh_token", &refresh1)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (_, body) = token_form(&app, &fe, &[("grant_type", "refresh_token"), ("refresh_token", &refresh2)]).await;
    assert_eq!(body["error"], "invalid_grant");
    for token in [&access, &access2] {
        assert_eq!(app.gql_raw(Some(token), "{ viewer { kind } }", json!({})).await.status(), 401);
    }
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_pkce_and_redirect() {
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let (code, verifier) = dev_code(&app, &fe, TEACHER, "roster.read").await;
    let (_, wrong) = pkce();
    let (_, body) = token_form(
        &app,
        &fe,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", &wrong)],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) = token_form(
        &app,
        &fe,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) =
        token_form(&app, &fe, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
            .await;
    assert_eq!(body["error"], "invalid_grant", "PKCE is required");
    let ok = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, first) = token_form(&app, &fe, &ok).await;
    assert_eq!(status, 200, "{first}");
    let (_, replay) = token_form(&app, &fe, &ok).await;
    assert_eq!(replay["error"], "invalid_grant");
    // The replay revoked what the code had issued.
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(app.gql_raw(Some(access), "{ viewer { kind } }", json!({})).await.status(), 401);
}

#[tokio::test]
async fn the_authorization_endpoint_refuses_bad_requests() {
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let http = no_redirects();
    let (_, challenge) = pkce();
    // Unregistered redirect URI: an error page, never a redirect.
    let bad = authorize_url(&app, &fe, &challenge, "roster.read").replace("localhost%3A3000", "evil.example");
    let res = http.get(bad).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // No PKCE: back to the client with invalid_request.
    let res = http.get(authorize_url(&app, &fe, "", "roster.read")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "invalid_request");
    // A scope the client doesn't hold.
    let res = http.get(authorize_url(&app, &fe, &challenge, "admin")).send().await.unwrap();
    assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "invalid_scope");
    // An unknown user at sign-in: access_denied.
    let page =
        http.get(authorize_url(&app, &fe, &challenge, "roster.read")).send().await.unwrap().text().await.unwrap();
    let request = page.split("name=request value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = http
        .post(app.url("/oauth/authorize/dev-signin"))
        .form(&[("request", request.as_str()), ("username", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "access_denied");
    // A client that may only use client credentials.
    let (plain, _) = app.client("roster.read", &[]).await;
    let res = http
        .get(authorize_url(&app, &FrontEnd { id: plain, secret: String::new() }, &challenge, "roster.read"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn dev_signin_is_off_unless_enabled() {
    let app = crate::support::spawn_app().await;
    app.seed(1, 3).await;
    let fe = front_end(&app, "roster.read").await;
    let (_, challenge) = pkce();
    let res = no_redirects().get(authorize_url(&app, &fe, &challenge, "roster.read")).send().await.unwrap();
    assert_eq!(query_of(res.headers()["location"].to_str().unwrap())["error"], "temporarily_unavailable");
    let res = app
        .http
        .post(app.url("/oauth/authorize/dev-signin"))
        .form(&[("request", "x"), ("username", TEACHER)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn revocation_and_introspection() {
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let (access, refresh) = sign_in(&app, &fe, TEACHER, "roster.read").await;
    let introspect = |token: String| {
        let req =
            app.http.post(app.url("/oauth/introspect")).basic_auth(&fe.id, Some(&fe.secret)).form(&[("token", token)]);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let info = introspect(access.clone()).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["username"], TEACHER);
    assert_eq!(info["scope"], "roster.read");
    assert_eq!(introspect(refresh.clone()).await["active"], true);
    assert_eq!(introspect("nonsense".into()).await["active"], false);
    // Another client may not introspect these tokens.
    let other = front_end(&app, "roster.read").await;
    let res = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(&other.id, Some(&other.secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["active"], false);
    // Unauthenticated introspection is refused.
    let res = app.http.post(app.url("/oauth/introspect")).form(&[("token", access.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&fe.id, Some(&fe.secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(introspect(access.clone()).await["active"], false);
    assert_eq!(app.gql_raw(Some(&access), "{ viewer { kind } }", json!({})).await.status(), 401);
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&fe.id, Some(&fe.secret))
        .form(&[("token", refresh.as_str()), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, body) = token_form(&app, &fe, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(body["error"], "invalid_grant");
    // Unknown tokens are acknowledged (RFC 7009 §2.2).
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&fe.id, Some(&fe.secret))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn disabling_a_client_or_rotating_its_secret_takes_effect_at_once() {
    let app = dev_app().await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let new_secret = clients::rotate_secret(&app.db, &id).await.unwrap();
    let old = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let new = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&new_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    clients::set_enabled(&app.db, &id, false).await.unwrap();
    assert_eq!(app.gql_raw(Some(&token), "{ viewer { kind } }", json!({})).await.status(), 401);
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&new_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn signing_keys_rotate_without_downtime() {
    let old_pem = generate_pem().unwrap();
    let old = Keys::from_pem(&old_pem, ISSUER, AUDIENCE, std::time::Duration::from_secs(300)).unwrap();
    let old_x = old.current_public_key().unwrap();
    let app = spawn_app_with(&[("LEARNERGRAPH_PREVIOUS_PUBLIC_KEYS", old_x.as_str())]).await;
    let (client, _) = app.client("roster.read", &[]).await;
    let subject = learnergraph::auth::tokens::Subject {
        client_id: &client,
        user: None,
        scope: "roster.read",
        orgs: None,
        family: None,
    };
    let (old_token, _) = old.issue(subject).unwrap();
    assert_eq!(
        app.gql_raw(Some(&old_token), "{ viewer { kind } }", json!({})).await.status(),
        200,
        "a token of the retired key still verifies"
    );
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let stranger =
        Keys::from_pem(&generate_pem().unwrap(), ISSUER, AUDIENCE, std::time::Duration::from_secs(300)).unwrap();
    let subject = learnergraph::auth::tokens::Subject {
        client_id: &client,
        user: None,
        scope: "roster.read",
        orgs: None,
        family: None,
    };
    let (foreign, _) = stranger.issue(subject).unwrap();
    assert_eq!(app.gql_raw(Some(&foreign), "{ viewer { kind } }", json!({})).await.status(), 401);
}

#[tokio::test]
async fn people_sign_in_through_the_district_identity_provider() {
    let idp = TestIdp::start().await;
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_OIDC_ISSUER", idp.issuer.as_str()),
        ("LEARNERGRAPH_OIDC_CLIENT_ID", IDP_CLIENT_ID),
        ("LEARNERGRAPH_OIDC_CLIENT_SECRET", IDP_CLIENT_SECRET),
    ])
    .await;
    app.seed(1, 9).await;
    let admin = app.admin_token().await;
    let teacher =
        data(app.gql(&admin, "query($s: String!) { educator(sourcedId: $s) { email } }", json!({"s": TEACHER})).await);
    idp.login_as(teacher["educator"]["email"].as_str().unwrap());

    let fe = front_end(&app, "roster.read").await;
    let (verifier, challenge) = pkce();
    let http = no_redirects();
    // learnergraph -> identity provider -> learnergraph's callback -> the front end.
    let to_idp = http.get(authorize_url(&app, &fe, &challenge, "roster.read")).send().await.unwrap();
    assert_eq!(to_idp.status(), 303);
    let idp_url = to_idp.headers()["location"].to_str().unwrap().to_owned();
    assert!(idp_url.starts_with(&idp.issuer), "{idp_url}");
    let back = http.get(&idp_url).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().replace(ISSUER, &app.address);
    let to_client = http.get(&callback).send().await.unwrap();
    assert_eq!(to_client.status(), 303);
    let q = query_of(to_client.headers()["location"].to_str().unwrap());
    assert_eq!(q["state"], "xyz");
    let tokens = oauth_client(&app, &fe)
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&no_redirects())
        .await
        .unwrap();
    let me = data(app.gql(tokens.access_token().secret(), "{ viewer { kind userSourcedId } }", json!({})).await);
    assert_eq!(me["viewer"]["userSourcedId"], TEACHER);

    // A matching email the provider has not verified identifies nobody.
    idp.login_as(&format!("unverified:{}", teacher["educator"]["email"].as_str().unwrap()));
    let (_, challenge) = pkce();
    let to_idp = http.get(authorize_url(&app, &fe, &challenge, "roster.read")).send().await.unwrap();
    let back = http.get(to_idp.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().replace(ISSUER, &app.address);
    let to_client = http.get(&callback).send().await.unwrap();
    assert_eq!(query_of(to_client.headers()["location"].to_str().unwrap())["error"], "access_denied");

    // Someone the district's provider knows but learnergraph doesn't: access_denied.
    idp.login_as("stranger@elsewhere.example");
    let (_, challenge) = pkce();
    let to_idp = http.get(authorize_url(&app, &fe, &challenge, "roster.read")).send().await.unwrap();
    let back = http.get(to_idp.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().replace(ISSUER, &app.address);
    let to_client = http.get(&callback).send().await.unwrap();
    assert_eq!(query_of(to_client.headers()["location"].to_str().unwrap())["error"], "access_denied");
}

#[tokio::test]
async fn expired_grant_state_is_pruned() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let (_, refresh) = sign_in(&app, &fe, TEACHER, "roster.read").await;
    // Age everything: the code, the refresh token, and a revocation.
    let backend = app.db.get_database_backend();
    for table in ["oauth_codes", "oauth_refresh_tokens"] {
        app.db
            .execute_raw(Statement::from_string(
                backend,
                format!("UPDATE {table} SET expires_at = '2020-01-01T00:00:00+00:00'"),
            ))
            .await
            .unwrap();
    }
    let count = |table: &'static str| {
        let db = &app.db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, format!("SELECT COUNT(*) AS n FROM {table}")))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(count("oauth_refresh_tokens").await, 1);
    // An expired refresh token is refused, and the next sign-in clears expired state away.
    let (_, body) = token_form(&app, &fe, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(body["error"], "invalid_grant");
    let _ = sign_in(&app, &fe, TEACHER, "roster.read").await;
    assert_eq!(count("oauth_codes").await, 1, "only the new sign-in's code is left");
    assert_eq!(count("oauth_refresh_tokens").await, 1, "only the new sign-in's refresh token is left");
}

#[tokio::test]
async fn repeated_authorization_parameters_are_refused() {
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read").await;
    let (_, challenge) = pkce();
    let url = format!("{}&scope=admin", authorize_url(&app, &fe, &challenge, "roster.read"));
    let res = no_redirects().get(url).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn refresh_rotation_does_not_extend_the_family_and_rechecks_caps() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = dev_app().await;
    let fe = front_end(&app, "roster.read profiles.read").await;
    let (_, refresh) = sign_in(&app, &fe, TEACHER, "roster.read profiles.read").await;
    let backend = app.db.get_database_backend();
    let expiry = || {
        let stmt = Statement::from_string(backend, "SELECT MAX(expires_at) AS e FROM oauth_refresh_tokens".to_owned());
        let db = &app.db;
        async move {
            db.query_one_raw(stmt).await.unwrap().unwrap().try_get::<chrono::DateTime<chrono::Utc>>("", "e").unwrap()
        }
    };
    let before = expiry().await;
    // The client loses a scope: the next refresh no longer carries it.
    app.db
        .execute_raw(Statement::from_string(
            backend,
            format!("UPDATE oauth_clients SET scopes = 'roster.read' WHERE client_id = '{}'", fe.id),
        ))
        .await
        .unwrap();
    let (status, body) = token_form(&app, &fe, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "roster.read");
    assert_eq!(expiry().await, before, "rotation keeps the family's expiry");
}

/// Every scope there is.
const EVERY_SCOPE: &str = "roster.read roster.write profiles.read profiles.write profiles.sensitive.read playlists.read \
                           playlists.write progress.read progress.write win.read win.write redesign.read redesign.write admin";

#[tokio::test]
async fn each_role_is_granted_exactly_its_cap_whatever_the_front_end_holds() {
    let app = dev_app().await;
    let fe = front_end(&app, EVERY_SCOPE).await;
    let admin = app.admin_token().await;
    let student = data(
        app.gql(
            &admin,
            "query($c: String!) { class(sourcedId: $c) { learners(first: 1) { edges { node { sourcedId } } } } }",
            json!({"c": CLASS}),
        )
        .await,
    )["class"]["learners"]["edges"][0]["node"]["sourcedId"]
        .as_str()
        .unwrap()
        .to_owned();
    let student_cap = [
        "roster.read",
        "profiles.read",
        "profiles.write",
        "playlists.read",
        "playlists.write",
        "progress.read",
        "win.read",
        "win.write",
    ];
    let teacher_cap: Vec<&str> =
        student_cap.iter().copied().chain(["profiles.sensitive.read", "progress.write", "redesign.read"]).collect();
    let school_admin_cap: Vec<&str> = teacher_cap.iter().copied().chain(["roster.write", "redesign.write"]).collect();
    let district_admin_cap: Vec<&str> = EVERY_SCOPE.split(' ').collect();
    for (user, role, cap) in [
        (student.as_str(), "student", student_cap.to_vec()),
        (TEACHER, "teacher", teacher_cap),
        ("sc-admin-001", "administrator", school_admin_cap),
        ("sc-admin-district", "administrator", district_admin_cap),
    ] {
        let (access, _) = sign_in(&app, &fe, user, EVERY_SCOPE).await;
        let v = data(app.gql(&access, "{ viewer { kind role userSourcedId districtWide scopes } }", json!({})).await);
        let mut granted: Vec<String> =
            v["viewer"]["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        granted.sort();
        let mut expected: Vec<String> = cap.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(granted, expected, "{user}'s scopes");
        assert_eq!(
            (&v["viewer"]["kind"], &v["viewer"]["role"], &v["viewer"]["userSourcedId"], &v["viewer"]["districtWide"]),
            // Only the district's administrator covers the whole district.
            (&json!("user"), &json!(role), &json!(user), &json!(user == "sc-admin-district")),
            "{user}: {v}"
        );
    }
}

#[tokio::test]
async fn a_district_administrator_moved_to_a_school_loses_district_scopes_on_the_token_already_held() {
    let app = dev_app().await;
    let fe = front_end(&app, EVERY_SCOPE).await;
    let (access, _) = sign_in(&app, &fe, "sc-admin-district", EVERY_SCOPE).await;
    let scopes = async || {
        let v = data(app.gql(&access, "{ viewer { scopes } }", json!({})).await);
        let mut s: Vec<String> =
            v["viewer"]["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        s.sort();
        s
    };
    assert!(scopes().await.contains(&"admin".to_owned()));
    // The district reassigns them to one school: the token they hold is capped at once, as a
    // school administrator's, without waiting for it to expire.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE user_orgs SET org_id = (SELECT id FROM orgs WHERE sourced_id = 'sc-school-001') \
         WHERE user_id = (SELECT id FROM users WHERE sourced_id = 'sc-admin-district')",
    )
    .await
    .unwrap();
    // A school administrator's cap: every scope but `admin`.
    let mut school_admin: Vec<String> = EVERY_SCOPE.split(' ').filter(|s| *s != "admin").map(str::to_owned).collect();
    school_admin.sort();
    assert_eq!(scopes().await, school_admin);
    let seen = data(app.gql(&access, "{ schools { totalCount } }", json!({})).await);
    assert_eq!(seen["schools"]["totalCount"], 1, "and sees their school only");
}

#[tokio::test]
async fn a_tools_cached_principal_ends_at_once_when_its_token_is_revoked_or_its_client_disabled() {
    let app = dev_app().await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let status = async |token: &str| app.gql_raw(Some(token), "{ viewer { kind } }", json!({})).await.status().as_u16();
    let token = app.token_for(&id, &secret).await;
    // The second request is answered from the cached principal.
    assert_eq!((status(&token).await, status(&token).await), (200, 200));
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status(&token).await, 401, "a revoked token stops at once");

    let second = app.token_for(&id, &secret).await;
    assert_eq!((status(&second).await, status(&second).await), (200, 200));
    let admin = app.admin_token().await;
    let set_enabled = async |enabled: bool| {
        let m = "mutation($c: String!, $on: Boolean!) { setOAuthClientEnabled(clientId: $c, enabled: $on) { client { enabled } } }";
        data(app.gql(&admin, m, json!({"c": id, "on": enabled})).await)["setOAuthClientEnabled"]["client"]["enabled"]
            .clone()
    };
    assert_eq!(set_enabled(false).await, false);
    assert_eq!(status(&second).await, 401, "a disabled client's tokens stop at once");
    assert_eq!(set_enabled(true).await, true);
    // Nothing refused was cached: enabled again, the token it holds works again.
    assert_eq!(status(&second).await, 200);
}
