//! What the benchmarks share: a seeded database and a configuration for it.

use learnergraph::{auth::tokens::generate_pem, config::Config, seed};
use sea_orm::{Database, DatabaseConnection};

/// The query every read benchmark runs: 50 learners of a school with their profiles.
#[allow(dead_code)] // each bench compiles this module on its own; not all read
pub const QUERY: &str = "{ school(sourcedId: \"sc-school-001\") { learners(first: 50) { edges { node { sourcedId givenName familyName grades profile { version strengths interests goals { description targetDate status } learningPreferences { modalities pace } } } } } } }";

/// A fresh database (SQLite in the temp dir, or a new database on the PostgreSQL server
/// `BENCH_DATABASE_URL` names) with two schools of 1,000 students, and a configuration pointing
/// at it.
#[allow(dead_code)] // not every bench seeds the scale district
pub async fn setup() -> (Config, DatabaseConnection, &'static str) {
    let (url, label) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => (fresh_postgres(&admin_url).await, "postgres"),
        _ => {
            let path = std::env::temp_dir().join(format!("lg_bench_{}.db", uuid::Uuid::new_v4().simple()));
            (format!("sqlite://{}?mode=rwc", path.display()), "sqlite")
        }
    };
    let pem = generate_pem().unwrap();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("LEARNERGRAPH_BIND", "127.0.0.1:0"),
        ("LEARNERGRAPH_SIGNING_KEY", pem.as_str()),
        ("LEARNERGRAPH_ISSUER", "http://bench"),
        // Benchmarks measure the server's work, not a tool's budget: budgets far above any
        // load a bench generates (an attacker's documents are then refused by the document
        // limits, the costlier path, rather than by a cheap 429).
        ("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "100000000"),
        ("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", "4000000000"),
    ];
    let config = Config::from_lookup(|k| env.iter().find(|(key, _)| *key == k).map(|(_, v)| (*v).to_owned())).unwrap();
    let db = Database::connect(&url).await.unwrap();
    learnergraph::db::migrate(&db).await.unwrap();
    let report = seed::synthetic(&db, 2, 1000).await.unwrap();
    println!("seeded: {report}");
    (config, db, label)
}

/// Mean, median and 95th percentile in milliseconds.
#[allow(dead_code)] // not every bench reports this way
pub fn stats(mut samples: Vec<std::time::Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64;
    (mean, ms(samples[samples.len() / 2]), ms(samples[samples.len() * 95 / 100]))
}

/// A new database on the server `admin_url` connects to (any database there will do), after
/// dropping what earlier runs left: every run measures the same freshly seeded district.
#[allow(dead_code)] // each bench compiles this module on its own
pub async fn fresh_postgres(admin_url: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let admin = Database::connect(admin_url).await.unwrap();
    let left = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'lg_bench_%'",
        ))
        .await
        .unwrap();
    for row in left {
        let name: String = row.try_get("", "datname").unwrap();
        // One still in use (another run) stays.
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.ok();
    }
    let name = format!("lg_bench_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    admin.close().await.ok();
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    format!("{base}/{name}")
}

/// A new OAuth client with these scopes in `db`, and a client_credentials token for it from
/// the server at `base`.
#[allow(dead_code)] // not every bench calls the API as a tool
pub async fn client_token(db: &DatabaseConnection, http: &reqwest::Client, base: &str, scopes: &str) -> String {
    let client = learnergraph::auth::clients::create(db, "bench", scopes, &[]).await.unwrap();
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scopes)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_owned()
}
