//! `spawn_app()` and the helpers tests share: GraphQL calls, tokens, fixtures.

#![allow(dead_code)]

pub mod idp;
pub mod ws;

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use learnergraph::{
    app::App,
    auth::{
        clients::{self, ClientOptions},
        tokens::generate_pem,
    },
    config::Config,
    seed,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub const ISSUER: &str = "http://learnergraph.test";
pub const AUDIENCE: &str = "learnergraph";
/// The redirect URI of the front end `dev_sign_in` registers.
pub const DEV_REDIRECT: &str = "http://localhost:3000/callback";

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    /// The metrics listener's base URL, when the app runs with `LEARNERGRAPH_METRICS_BIND`.
    pub metrics_address: Option<String>,
    pub http: reqwest::Client,
    /// A separate connection to the app's database, for fixtures and for checking what was
    /// (not) written.
    pub db: DatabaseConnection,
    pub database_url: String,
    /// The PEM of the key the app signs with, so tests can forge edge-case tokens.
    pub signing_pem: String,
    shutdown: Option<oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDb { admin_url: String, name: String },
}

/// Which database the suite runs against.
pub fn backend_is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

async fn fresh_database() -> (String, Cleanup) {
    let name = format!("lg_test_{}", uuid::Uuid::new_v4().simple());
    match std::env::var("TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(admin_url) => {
            let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Cleanup::PostgresDb { admin_url: admin_url.clone(), name })
        }
        None => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite://{}?mode=rwc", path.display()), Cleanup::SqliteFile(path))
        }
    }
}

/// The configuration tests run with, with `overrides` on top.
pub fn test_config(database_url: &str, pem: &str, overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.into()),
        ("LEARNERGRAPH_BIND".into(), "127.0.0.1:0".into()),
        ("LEARNERGRAPH_SIGNING_KEY".into(), pem.into()),
        ("LEARNERGRAPH_ISSUER".into(), ISSUER.into()),
        ("LEARNERGRAPH_DB_MAX_CONNECTIONS".into(), "5".into()),
        ("LEARNERGRAPH_MAX_BODY_BYTES".into(), "65536".into()),
    ]);
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|k| env.get(k).cloned()).expect("test config")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        learnergraph::telemetry::init(false, false);
    }
    let (database_url, cleanup) = fresh_database().await;
    let pem = generate_pem().expect("key");
    start(database_url, pem, overrides, Some(cleanup)).await
}

async fn start(database_url: String, pem: String, overrides: &[(&str, &str)], cleanup: Option<Cleanup>) -> TestApp {
    let app = App::build(test_config(&database_url, &pem, overrides)).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let db = Database::connect(&database_url).await.expect("test db connection");
    TestApp {
        address,
        metrics_address,
        http: reqwest::Client::new(),
        db,
        database_url,
        signing_pem: pem,
        shutdown: Some(tx),
        server: Some(server),
        cleanup,
    }
}

impl TestApp {
    /// A second replica of the service: its own process state, the same database and signing
    /// key (as replicas behind a load balancer share them).
    pub async fn replica(&self) -> TestApp {
        self.replica_with(&[]).await
    }

    /// A replica started with configuration `overrides` (e.g. the same Redis for limits).
    pub async fn replica_with(&self, overrides: &[(&str, &str)]) -> TestApp {
        start(self.database_url.clone(), self.signing_pem.clone(), overrides, None).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Asks the server to stop (as SIGTERM would).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// A small district: `schools` schools of `per_school` students each (sourcedIds
    /// `sc-school-001`..., `sc-s-000001`...).
    pub async fn seed(&self, schools: usize, per_school: usize) {
        seed::synthetic(&self.db, schools, per_school).await.expect("seed");
    }

    /// Registers a client and returns `(client_id, client_secret)`.
    pub async fn client(&self, scopes: &str, orgs: &[&str]) -> (String, String) {
        let orgs: Vec<String> = orgs.iter().map(|s| (*s).to_owned()).collect();
        let c = clients::create(&self.db, "test client", scopes, &orgs).await.expect("client");
        (c.client_id, c.client_secret)
    }

    /// An access token from the real token endpoint for a new client with these scopes.
    pub async fn token(&self, scopes: &str, orgs: &[&str]) -> String {
        let (id, secret) = self.client(scopes, orgs).await;
        self.token_for(&id, &secret).await
    }

    /// An access token from the real token endpoint for an existing client.
    pub async fn token_for(&self, id: &str, secret: &str) -> String {
        let (status, body) = self.token_response(id, secret).await;
        assert_eq!(status, 200, "token endpoint refused a valid client: {body}");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// The token endpoint's answer to a client credentials request: its status and JSON body.
    pub async fn token_response(&self, id: &str, secret: &str) -> (u16, Value) {
        let res = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        (res.status().as_u16(), res.json().await.expect("token json"))
    }

    /// A district-wide token holding every scope.
    pub async fn admin_token(&self) -> String {
        self.token("roster.read roster.write profiles.read profiles.write profiles.sensitive.read admin", &[]).await
    }

    /// POSTs a GraphQL request and returns the JSON response body (asserting HTTP 200).
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let res = self.gql_raw(Some(token), query, variables).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("graphql json")
    }

    pub async fn gql_raw(&self, token: Option<&str>, query: &str, variables: Value) -> reqwest::Response {
        let mut req = self.http.post(self.url("/graphql")).json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("graphql request")
    }

    /// The value of a counter in `/metrics` (`name` with its labels, exactly as exposed).
    /// Panics when the series is absent or unreadable: a renamed or never-registered metric
    /// must fail the test, not read as 0.
    pub async fn metric(&self, name: &str) -> f64 {
        let res = self.http.get(self.url("/metrics")).send().await.expect("metrics");
        assert_eq!(res.status(), 200, "GET /metrics");
        let text = res.text().await.expect("metrics text");
        let series: Vec<(&str, &str)> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.rsplit_once(' '))
            .collect();
        let value = series
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("metric {name} is not exposed; /metrics has:\n{text}"))
            .1;
        value.parse().unwrap_or_else(|e| panic!("metric {name} has the unreadable value {value:?}: {e}"))
    }

    /// An access token for a person signed in through a front end: the authorization code flow
    /// with PKCE and the development sign-in (the app must run with `LEARNERGRAPH_DEV_SIGNIN`).
    /// The front end's client holds `roster.read profiles.read redesign.read redesign.write
    /// playlists.read playlists.write progress.read progress.write win.read win.write`.
    pub async fn dev_sign_in(&self, user: &str, scope: &str) -> String {
        self.dev_sign_in_via(
            "roster.read profiles.read redesign.read redesign.write playlists.read playlists.write progress.read progress.write win.read win.write",
            user,
            scope,
        )
        .await
    }

    /// [`TestApp::dev_sign_in`] through a front end registered with `client_scopes` (an
    /// administrators' console holding `roster.write`, say).
    pub async fn dev_sign_in_via(&self, client_scopes: &str, user: &str, scope: &str) -> String {
        let app = self;
        let fe = clients::create_with(
            &app.db,
            "front end",
            client_scopes,
            &[],
            ClientOptions {
                grant_types: vec!["authorization_code".into(), "refresh_token".into()],
                redirect_uris: vec![DEV_REDIRECT.into()],
                ..ClientOptions::internal()
            },
        )
        .await
        .unwrap();
        let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut url = url::Url::parse(&app.url("/oauth/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &fe.client_id)
            .append_pair("redirect_uri", DEV_REDIRECT)
            .append_pair("scope", scope)
            .append_pair("state", "st")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let page = http.get(url.as_str()).send().await.unwrap();
        assert_eq!(page.status(), 200, "the sign-in page, not {:?}", page.headers().get("location"));
        let html = page.text().await.unwrap();
        let request = html.split("name=request value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let res = http
            .post(app.url("/oauth/authorize/dev-signin"))
            .form(&[("request", request.as_str()), ("username", user)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code for {user}: {location}"));
        let res = http
            .post(app.url("/oauth/token"))
            .basic_auth(&fe.client_id, Some(&fe.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", DEV_REDIRECT),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// SQL statements the app sent so far (at least the ones that authenticated the caller of a
    /// request before: a counter that stays at 0 is a broken counter, not a free request).
    pub async fn statements(&self) -> f64 {
        self.metric("learnergraph_db_statements_total").await
    }

    /// The SQL statements one GraphQL request costs, and its response. Fails when the counter
    /// did not move: every authenticated request reads at least its client.
    pub async fn gql_counted(&self, token: &str, query: &str, variables: Value) -> (f64, Value) {
        let before = self.statements().await;
        let body = self.gql(token, query, variables).await;
        let cost = self.statements().await - before;
        assert!(cost >= 1.0, "the statement counter did not move for a request ({cost}): is it still counting?");
        (cost, body)
    }
}

/// The `extensions.code` of the first error, or panics with the body.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_owned()
}

/// Asserts the response has no errors and returns `data`.
/// Fixture: moves a WIN block (by global id) to a past date, as if it had been held then (the
/// API never dates a block in the past). Its choices close when they were set to.
pub async fn held(app: &TestApp, block: &Value, date: chrono::NaiveDate) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let (_, id) = learnergraph::graphql::relay::decode_id(block.as_str().expect("a block id"), "block").expect("id");
    entity::win_block::Entity::update_many()
        .col_expr(entity::win_block::Column::BlockDate, Expr::value(date))
        .filter(entity::win_block::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("block moved");
}

pub fn data(body: Value) -> Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        match self.cleanup.take() {
            Some(Cleanup::SqliteFile(path)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Some(Cleanup::PostgresDb { admin_url, name }) => {
                // Drop on a separate thread: Drop can't await, and the test's runtime may be
                // shutting down.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok(admin) = Database::connect(&admin_url).await {
                                let _ = admin
                                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
            None => {}
        }
    }
}
