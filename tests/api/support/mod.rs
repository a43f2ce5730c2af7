//! `spawn_app()` and the helpers tests share: GraphQL calls, tokens, fixtures.

#![allow(dead_code)]

pub mod idp;

use std::collections::HashMap;

use learnergraph::{
    app::App,
    auth::{clients, tokens::generate_pem},
    config::Config,
    seed,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ISSUER: &str = "http://learnergraph.test";
pub const AUDIENCE: &str = "learnergraph";

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
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
        learnergraph::telemetry::init(false);
    }
    let (database_url, cleanup) = fresh_database().await;
    let pem = generate_pem().expect("key");
    let app = App::build(test_config(&database_url, &pem, overrides)).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let db = Database::connect(&database_url).await.expect("test db connection");
    TestApp {
        address,
        http: reqwest::Client::new(),
        db,
        database_url,
        signing_pem: pem,
        shutdown: Some(tx),
        server: Some(server),
        cleanup: Some(cleanup),
    }
}

impl TestApp {
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
        let res = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        assert_eq!(res.status(), 200, "token endpoint refused a valid client");
        let body: Value = res.json().await.expect("token json");
        body["access_token"].as_str().expect("access_token").to_owned()
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

    /// The value of a counter in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.http.get(self.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse::<f64>().ok())).unwrap_or(0.0)
    }

    /// SQL statements the app sent so far.
    pub async fn statements(&self) -> f64 {
        self.metric("learnergraph_db_statements_total").await
    }
}

/// The `extensions.code` of the first error, or panics with the body.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_owned()
}

/// Asserts the response has no errors and returns `data`.
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
