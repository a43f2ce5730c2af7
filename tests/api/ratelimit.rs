//! Fair sharing: per-client request and cost budgets on GraphQL, per-IP budgets on the sign-in
//! endpoints, the failed-secret slow-down and lockout, the hashing pool; each on the in-process
//! limiter and on Redis (a unique key prefix per test), and Redis shared by two replicas.

use std::time::{Duration, Instant};

use entity::oauth_client;
use reqwest::{Response, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app_with};

/// The Redis the suite runs against (the machine starts one on the default port).
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

#[derive(Clone, Copy, Debug)]
enum Store {
    Memory,
    Redis,
}

/// `overrides` plus, for Redis, its URL and a prefix no other test uses.
fn with_store(store: Store, overrides: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = overrides.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    if let Store::Redis = store {
        all.push(("LEARNERGRAPH_REDIS_URL".into(), redis_url()));
        all.push(("LEARNERGRAPH_REDIS_PREFIX".into(), format!("lgtest:{}:", uuid::Uuid::new_v4().simple())));
    }
    all
}

async fn spawn(store: Store, overrides: &[(&'static str, &'static str)]) -> TestApp {
    let all = with_store(store, overrides);
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_app_with(&refs).await
}

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

fn remaining(res: &Response) -> u32 {
    header(res, "ratelimit-remaining").expect("RateLimit-Remaining").parse().unwrap()
}

/// Asserts a 429 with `Retry-After` (whole seconds, at least 1, at most `max`) and the
/// RateLimit headers of a `limit` bucket; returns Retry-After.
fn assert_refused(res: &Response, limit: u32, max: u64) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(res, "retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=max).contains(&retry), "Retry-After {retry} not within 1..={max}");
    assert_eq!(header(res, "ratelimit-limit").as_deref(), Some(limit.to_string().as_str()));
    assert!(header(res, "ratelimit-reset").is_some());
    retry
}

const CHEAP: &str = "{ viewer { kind } }";

async fn request_limit(store: Store) {
    let app = spawn(
        store,
        &[("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "3"), ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600")],
    )
    .await;
    let admin = app.admin_token().await;
    let other = app.token("roster.read", &[]).await;
    for left in [2, 1, 0] {
        let res = app.gql_raw(Some(&admin), CHEAP, json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(remaining(&res), left);
    }
    // The fourth request, a write, is refused before it runs.
    let clients_before = oauth_client::Entity::find().count(&app.db).await.unwrap();
    let res = app
        .gql_raw(
            Some(&admin),
            "mutation { createOAuthClient(input: {name: \"x\", scopes: [\"roster.read\"]}) { clientSecret } }",
            json!({}),
        )
        .await;
    let retry = assert_refused(&res, 3, 3600);
    assert_eq!(remaining(&res), 0);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    assert_eq!(oauth_client::Entity::find().count(&app.db).await.unwrap(), clients_before);
    // Another client has its own budget.
    let res = app.gql_raw(Some(&other), CHEAP, json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(remaining(&res), 2);
    assert_eq!(app.metric("learnergraph_ratelimit_refusals_total{limit=\"client_requests\"}").await, 1.0);
}

#[tokio::test]
async fn request_limit_refuses_exactly_the_next_request_in_memory() {
    request_limit(Store::Memory).await;
}

#[tokio::test]
async fn request_limit_refuses_exactly_the_next_request_in_redis() {
    request_limit(Store::Redis).await;
}

/// `schools(first: 5) { nodes { sourcedId } }`: 5 × (nodes + sourcedId) + 1.
const COSTLY: &str = "{ schools(first: 5) { nodes { sourcedId } } }";
const COSTLY_COST: u32 = 11;
/// `viewer { kind }`.
const CHEAP_COST: u32 = 2;

async fn cost_limit(store: Store) {
    let app = spawn(
        store,
        &[("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", "30"), ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600")],
    )
    .await;
    let token = app.token("roster.read", &[]).await;
    // 11 + 11 = 22 of 30: a third costly document (33) no longer fits...
    for _ in 0..2 {
        let res = app.gql_raw(Some(&token), COSTLY, json!({})).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
    }
    let res = app.gql_raw(Some(&token), COSTLY, json!({})).await;
    assert_refused(&res, 30, 3600);
    assert_eq!(remaining(&res), 30 - 2 * COSTLY_COST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() >= 1);
    // ...while the 8 left pay for exactly 4 cheap ones.
    for _ in 0..(30 - 2 * COSTLY_COST) / CHEAP_COST {
        let res = app.gql_raw(Some(&token), CHEAP, json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["data"]["viewer"]["kind"], "client");
    }
    let res = app.gql_raw(Some(&token), CHEAP, json!({})).await;
    assert_refused(&res, 30, 3600);
    // A document costing more than the whole budget is refused as such.
    let res = app.gql_raw(Some(&token), "{ schools(first: 20) { nodes { sourcedId } } }", json!({})).await;
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("exceeds the whole budget"), "{body}");
    assert_eq!(app.metric("learnergraph_ratelimit_refusals_total{limit=\"client_cost\"}").await, 3.0);
}

#[tokio::test]
async fn cost_limit_refuses_a_costly_document_while_cheap_ones_pass_in_memory() {
    cost_limit(Store::Memory).await;
}

#[tokio::test]
async fn cost_limit_refuses_a_costly_document_while_cheap_ones_pass_in_redis() {
    cost_limit(Store::Redis).await;
}

async fn token(app: &TestApp, http: &reqwest::Client, id: &str, secret: &str) -> Response {
    http.post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn ip_limit(store: Store) {
    let app = spawn(
        store,
        &[("LEARNERGRAPH_IP_REQUESTS_PER_WINDOW", "3"), ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600")],
    )
    .await;
    let (id, secret) = app.client("roster.read", &[]).await;
    for left in [2, 1, 0] {
        let res = token(&app, &app.http, &id, &secret).await;
        assert_eq!(res.status(), 200);
        assert_eq!(remaining(&res), left);
    }
    let res = token(&app, &app.http, &id, &secret).await;
    assert_refused(&res, 3, 3600);
    assert_eq!(header(&res, "cache-control").as_deref(), Some("no-store"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    assert!(body["error_description"].as_str().unwrap().contains("retry after"));
    // The authorization endpoint shares the address's budget.
    let res = app.http.get(app.url("/oauth/authorize?client_id=x")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    // Another address is unaffected.
    let elsewhere =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let res = token(&app, &elsewhere, &id, &secret).await;
    assert_eq!(res.status(), 200);
    assert_eq!(remaining(&res), 2);
    assert_eq!(app.metric("learnergraph_ratelimit_refusals_total{limit=\"ip_requests\"}").await, 2.0);
}

#[tokio::test]
async fn token_endpoint_is_limited_per_ip_in_memory() {
    ip_limit(Store::Memory).await;
}

#[tokio::test]
async fn token_endpoint_is_limited_per_ip_in_redis() {
    ip_limit(Store::Redis).await;
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let limited = [("LEARNERGRAPH_IP_REQUESTS_PER_WINDOW", "1"), ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600")];
    let get = |app: &TestApp, from: &str| {
        app.http.get(app.url("/oauth/authorize?client_id=x")).header("x-forwarded-for", from.to_owned()).send()
    };
    // Not trusted: the header is ignored, the peer (127.0.0.1) is the bucket.
    let app = spawn(Store::Memory, &limited).await;
    assert_eq!(get(&app, "203.0.113.5").await.unwrap().status(), 400);
    assert_eq!(get(&app, "203.0.113.6").await.unwrap().status(), 429);
    // Behind a trusted proxy, each forwarded client has its own bucket; a forged left-hand
    // entry doesn't move the bucket.
    let mut trusted = limited.to_vec();
    trusted.push(("LEARNERGRAPH_TRUSTED_PROXIES", "127.0.0.1"));
    let app = spawn(Store::Memory, &trusted).await;
    assert_eq!(get(&app, "203.0.113.5").await.unwrap().status(), 400);
    assert_eq!(get(&app, "198.51.100.9, 203.0.113.5").await.unwrap().status(), 429);
    assert_eq!(get(&app, "203.0.113.6").await.unwrap().status(), 400);
}

/// Polls `attempt` until it answers something other than `while_status`; returns that answer
/// and when it came.
async fn poll_until_not(
    while_status: u16,
    deadline: Duration,
    attempt: impl AsyncFn() -> Response,
) -> (Response, Instant) {
    let started = Instant::now();
    loop {
        let res = attempt().await;
        if res.status().as_u16() != while_status {
            return (res, Instant::now());
        }
        assert!(started.elapsed() < deadline, "still {while_status} after {deadline:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn failed_secrets(store: Store) {
    let app = spawn(
        store,
        &[
            ("LEARNERGRAPH_SECRET_FREE_FAILURES", "2"),
            ("LEARNERGRAPH_SECRET_FAILURE_DELAY_SECONDS", "1"),
            ("LEARNERGRAPH_SECRET_LOCKOUT_FAILURES", "4"),
            ("LEARNERGRAPH_SECRET_LOCKOUT_SECONDS", "2"),
        ],
    )
    .await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let form = |path: &'static str, secret: &str| {
        app.http.post(app.url(path)).basic_auth(&id, Some(secret.to_owned())).form(&[("token", "x")]).send()
    };
    // Failures at the three endpoints that authenticate clients count together.
    let res = form("/oauth/revoke", "wrong").await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "retry-after"), None);
    let res = form("/oauth/introspect", "wrong").await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "retry-after").as_deref(), Some("1"));
    // The next attempt must wait: even the right secret is answered 429, nothing is hashed.
    let res = token(&app, &app.http, &id, &secret).await;
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "retry-after").as_deref(), Some("1"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    // Once the wait is over, a third failure; then, after the next wait, the fourth locks.
    let (res, _) = poll_until_not(429, Duration::from_secs(3), || token(&app, &app.http, &id, "wrong")).await;
    assert_eq!(res.status(), 401);
    let (res, locked_at) = poll_until_not(429, Duration::from_secs(3), || token(&app, &app.http, &id, "wrong")).await;
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "retry-after").as_deref(), Some("2"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().unwrap().contains("locked"), "{body}");
    // Locked: the right secret is refused too, until the lock expires.
    let res = token(&app, &app.http, &id, &secret).await;
    assert_eq!(res.status(), 401);
    assert!(res.json::<Value>().await.unwrap()["error_description"].as_str().unwrap().contains("locked"));
    let (res, accepted_at) = poll_until_not(401, Duration::from_secs(4), || token(&app, &app.http, &id, &secret)).await;
    assert_eq!(res.status(), 200);
    let locked_for = accepted_at - locked_at;
    assert!(locked_for >= Duration::from_millis(1900), "accepted after {locked_for:?} of a 2 s lock");
    // Unknown client ids are counted the same way.
    for _ in 0..2 {
        assert_eq!(token(&app, &app.http, "lg_nobody", "guess").await.status(), 401);
    }
    assert_eq!(token(&app, &app.http, "lg_nobody", "guess").await.status(), 429);
    assert!(app.metric("learnergraph_ratelimit_refusals_total{limit=\"secret_lockout\"}").await >= 2.0);
}

#[tokio::test]
async fn failed_secrets_slow_down_then_lock_in_memory() {
    failed_secrets(Store::Memory).await;
}

#[tokio::test]
async fn failed_secrets_slow_down_then_lock_in_redis() {
    failed_secrets(Store::Redis).await;
}

#[tokio::test]
async fn replicas_sharing_redis_share_the_limit() {
    let overrides = with_store(
        Store::Redis,
        &[("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "4"), ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600")],
    );
    let refs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let one = spawn_app_with(&refs).await;
    let two = one.replica_with(&refs).await;
    let token = one.token("roster.read", &[]).await;
    for (app, left) in [(&one, 3), (&two, 2), (&one, 1), (&two, 0)] {
        let res = app.gql_raw(Some(&token), CHEAP, json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(remaining(&res), left);
    }
    assert_refused(&two.gql_raw(Some(&token), CHEAP, json!({})).await, 4, 3600);
    assert_refused(&one.gql_raw(Some(&token), CHEAP, json!({})).await, 4, 3600);
}

#[tokio::test]
async fn an_unreachable_redis_fails_open() {
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_REDIS_URL", "redis://127.0.0.1:1"),
        ("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "1"),
        ("LEARNERGRAPH_IP_REQUESTS_PER_WINDOW", "1"),
    ])
    .await;
    let token = app.token("roster.read", &[]).await;
    for _ in 0..3 {
        let res = app.gql_raw(Some(&token), CHEAP, json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-remaining"), None);
    }
    assert!(app.metric("learnergraph_ratelimit_backend_errors_total").await >= 1.0);
}

#[tokio::test]
async fn hashing_beyond_the_pool_is_answered_busy() {
    // One slot and no waiting: concurrent sign-ins find it taken.
    let app =
        spawn_app_with(&[("LEARNERGRAPH_HASHING_CONCURRENCY", "1"), ("LEARNERGRAPH_HASHING_MAX_WAIT_MS", "0")]).await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let attempts = (0..12).map(|_| token(&app, &app.http, &id, &secret));
    let answers = futures_util::future::join_all(attempts).await;
    let (mut ok, mut busy) = (0, 0);
    for res in answers {
        match res.status().as_u16() {
            200 => ok += 1,
            503 => {
                busy += 1;
                assert_eq!(header(&res, "retry-after").as_deref(), Some("1"));
                assert_eq!(res.json::<Value>().await.unwrap()["error"], "temporarily_unavailable");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(ok >= 1 && busy >= 1, "{ok} signed in, {busy} busy");
    assert_eq!(app.metric("learnergraph_ratelimit_refusals_total{limit=\"hashing_busy\"}").await, busy as f64);
}
