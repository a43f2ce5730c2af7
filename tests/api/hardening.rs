//! Hostile and careless traffic: documents refused before they cost anything, bad strings
//! refused at the boundary, timeouts on slow and idle connections, 503 (fast, with
//! `Retry-After`) when the database is busy or gone, durable audit before a write is
//! acknowledged, and in-flight requests finished on shutdown.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{TestApp, backend_is_postgres, data, error_code, spawn_app, spawn_app_with};

/// graphql-js's `getIntrospectionQuery()`: what GraphiQL, code generators and API fuzzers
/// send first.
pub const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

/// `query{...F0} fragment F0 on Query{...F1 ×10} ... fragment F{levels} on Query{leaf}`:
/// 10^levels fields once expanded, in under a kilobyte.
pub fn fan_out(levels: usize, leaf: &str) -> String {
    let mut q = String::from("query{...F0}");
    for i in 0..levels {
        q.push_str(&format!(" fragment F{i} on Query{{{}}}", format!("...F{} ", i + 1).repeat(10)));
    }
    q.push_str(&format!(" fragment F{levels} on Query{{{leaf}}}"));
    q
}

fn limit_of(body: &Value) -> (&str, &str) {
    let ext = &body["errors"][0]["extensions"];
    (ext["code"].as_str().unwrap_or_else(|| panic!("no code: {body}")), ext["limit"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn anonymous_documents_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    for query in ["{ viewer { scopes } }", &fan_out(10, "__typename"), "{ nope"] {
        let res = app.gql_raw(None, query, json!({})).await;
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer realm="));
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let res = app.http.get(app.url("/graphql")).query(&[("query", "{ viewer { scopes } }")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn hostile_documents_are_refused_naming_the_limit() {
    let app = spawn_app().await;
    app.seed(1, 2).await;
    let token = app.admin_token().await;
    let refused = [
        (fan_out(10, "__typename"), "fields"),
        (fan_out(8, "learners(first: 1) { totalCount }"), "fields"),
        (format!("{{{}}}", "a ".repeat(9_000)), "tokens"),
        (format!("{{{}}}", (0..201).map(|i| format!("a{i}: __typename ")).collect::<String>()), "aliases"),
        (format!("{}{}", "{ a ".repeat(13), "}".repeat(13)), "depth"),
        (format!("{{{}}}", "__typename @include(if: true) ".repeat(101)), "directives"),
        ("query{...A} fragment A on Query{...B} fragment B on Query{...A}".to_owned(), "fragmentCycle"),
    ];
    for (doc, limit) in &refused {
        let body = app.gql(&token, doc, json!({})).await;
        assert_eq!(limit_of(&body), ("QUERY_LIMIT_EXCEEDED", *limit), "{body}");
        assert_eq!(body["data"], Value::Null, "{body}");
    }
    // The counts are exact: what was found and what is allowed.
    let body = app.gql(&token, &fan_out(10, "__typename"), json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["actual"], 10_000_000_000u64);
    assert_eq!(body["errors"][0]["extensions"]["max"], 2_500);
    // Just under each limit runs.
    let ok = format!("{{{}}}", (0..200).map(|i| format!("a{i}: __typename ")).collect::<String>());
    assert_eq!(data(app.gql(&token, &ok, json!({})).await)["a199"], "Query");
    let metrics = app.metric("learnergraph_refused_documents_total").await;
    assert_eq!(metrics, (refused.len() + 1) as f64);
    // The limits are configuration.
    let strict = spawn_app_with(&[("LEARNERGRAPH_LIMIT_FIELDS", "3")]).await;
    let token = strict.token("roster.read", &[]).await;
    let body = strict.gql(&token, "{ a: __typename b: __typename c: __typename d: __typename }", json!({})).await;
    assert_eq!(limit_of(&body), ("QUERY_LIMIT_EXCEEDED", "fields"), "{body}");
}

#[tokio::test]
async fn the_standard_introspection_query_runs_for_authenticated_callers_only_when_enabled() {
    let app = spawn_app().await;
    let token = app.token("roster.read", &[]).await;
    let body = app.gql(&token, INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{}", &body.to_string()[..body.to_string().len().min(2000)]);
    let types = data(body)["__schema"]["types"].as_array().unwrap().clone();
    assert!(types.iter().any(|t| t["name"] == "Learner"), "introspection lists the schema's types");
    // Development suggests field names; production does not map the schema for a prober.
    let body = app.gql(&token, "{ learnrs { totalCount } }", json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "{body}");

    let prod = spawn_app_with(&[("LEARNERGRAPH_ENV", "production"), ("LEARNERGRAPH_INTROSPECTION", "false")]).await;
    let token = prod.token("roster.read", &[]).await;
    let body = prod.gql(&token, "{ learnrs { totalCount } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("learnrs") && !message.contains("Did you mean"), "{body}");
    let body = prod.gql(&token, INTROSPECTION, json!({})).await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(error_code(&body), "INTROSPECTION_DISABLED", "{body}");
    let body =
        prod.gql(&token, "query { ...F } fragment F on Query { __type(name: \"Learner\") { name } }", json!({})).await;
    assert_eq!(error_code(&body), "INTROSPECTION_DISABLED", "{body}");
    // Everything else still runs.
    assert_eq!(
        data(prod.gql(&token, "{ viewer { scopes } }", json!({})).await)["viewer"]["scopes"],
        json!(["roster.read"])
    );
}

#[tokio::test]
async fn control_characters_and_overlong_strings_are_bad_user_input_and_change_nothing() {
    let app = spawn_app_with(&[("LEARNERGRAPH_LIMIT_STRING_CHARS", "100")]).await;
    app.seed(1, 2).await;
    let token = app.admin_token().await;
    // In a literal, in a variable, in a nested input object, for any field.
    for (doc, vars, at) in [
        (r#"{ district(sourcedId: "\u0000") { name } }"#, json!({}), "argument `sourcedId` of `district`"),
        ("query($s: String!) { learner(sourcedId: $s) { id } }", json!({"s": "x\u{0}"}), "$s"),
        ("query($s: String!) { school(sourcedId: $s) { id } }", json!({"s": "x\u{1b}[31m"}), "$s"),
        ("query($s: String!) { learner(sourcedId: $s) { id } }", json!({"s": "y".repeat(101)}), "$s"),
    ] {
        let body = app.gql(&token, doc, vars).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], at, "{body}");
    }
    let upsert =
        "mutation($i: UpsertLearnerInput!) { upsertLearner(input: $i) { learner { id } userErrors { message } } }";
    let input =
        json!({"sourcedId": "nul-1", "givenName": "A\u{0}", "familyName": "B", "schoolSourcedIds": ["sc-school-001"]});
    let body = app.gql(&token, upsert, json!({"i": input})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "$i.givenName", "{body}");
    let written = app.db.query_all_raw(sea_orm::Statement::from_string(
        app.db.get_database_backend(),
        "SELECT id FROM users WHERE sourced_id = 'nul-1'",
    ));
    assert!(written.await.unwrap().is_empty(), "nothing was written");
    // async-graphql's own coercion errors get a code too.
    for (doc, vars) in [
        ("{ learners(first: 99999999999) { totalCount } }", json!({})),
        (r#"{ learners(first: "x") { totalCount } }"#, json!({})),
        ("query($n: Int) { learners(first: $n) { totalCount } }", json!({"n": 99999999999u64})),
    ] {
        let body = app.gql(&token, doc, vars).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    }
    let money = "mutation { awardRedesignGrant(input: {planId: \"x\", kind: PLANNING, fiscalYear: 2027, amount: \"1e9\"}) { userErrors { message } } }";
    let body = app.gql(&token, money, json!({})).await;
    assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body}");
    assert_ne!(error_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
}

#[tokio::test]
async fn oauth_parameters_with_control_characters_are_invalid_requests() {
    let app = spawn_app().await;
    let (id, secret) = app.client("roster.read", &[]).await;
    for form in [
        vec![("grant_type", "client_credentials"), ("client_id", "lg_\u{0}"), ("client_secret", "x")],
        vec![("grant_type", "client_credentials\u{7}"), ("client_id", id.as_str()), ("client_secret", secret.as_str())],
    ] {
        let res = app.http.post(app.url("/oauth/token")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");
    }
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth("lg_\u{0}", Some("x"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
    let res = app.http.get(app.url("/oauth/authorize")).query(&[("client_id", "\u{0}")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    // The schemes are case-insensitive: `BASIC` here, `BEARER` below.
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .header("authorization", format!("BASIC {}", base64_pair(&id, &secret)))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(app.url("/graphql"))
        .header("authorization", format!("BEARER {token}"))
        .json(&json!({"query": "{ viewer { scopes } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(data(res.json().await.unwrap())["viewer"]["scopes"], json!(["roster.read"]));
}

fn base64_pair(id: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

#[tokio::test]
async fn request_ids_are_echoed_only_when_short_and_plain() {
    let app = spawn_app().await;
    for (sent, kept) in [("abc-123_x.y:z", true), (&*"r".repeat(65), false), ("a b", false), ("é", false)] {
        let res = app.http.get(app.url("/healthz")).header("x-request-id", sent).send().await.unwrap();
        let echoed = res.headers()["x-request-id"].to_str().expect("an echoed id is plain ASCII").to_owned();
        if kept {
            assert_eq!(echoed, sent);
        } else {
            assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "a generated id replaces {sent:?}: {echoed}");
        }
    }
}

#[tokio::test]
async fn narrowing_a_clients_orgs_limits_the_tokens_it_already_holds() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let (id, secret) = app.client("roster.read", &[]).await;
    let token = app.token_for(&id, &secret).await;
    let count = |token: String| {
        let app = &app;
        async move {
            data(app.gql(&token, "{ learners { totalCount } }", json!({})).await)["learners"]["totalCount"].clone()
        }
    };
    assert_eq!(count(token.clone()).await, 6);
    // Cached now: the next requests of this token don't ask the database who it is.
    assert_eq!(count(token.clone()).await, 6);
    let admin = app.admin_token().await;
    let set = |orgs: Value| {
        let (app, admin, id) = (&app, &admin, &id);
        async move {
            let m = "mutation($id: String!, $orgs: [String!]!) { setOAuthClientOrgs(clientId: $id, orgs: $orgs) { client { orgs } userErrors { field message } } }";
            data(app.gql(admin, m, json!({"id": id, "orgs": orgs})).await)["setOAuthClientOrgs"].clone()
        }
    };
    // An org that does not exist changes nothing.
    let refused = set(json!(["sc-school-404"])).await;
    assert_eq!(refused["client"], Value::Null);
    assert_eq!(refused["userErrors"][0]["field"], json!(["orgs"]), "{refused}");
    assert_eq!(count(token.clone()).await, 6);
    // The tool itself may not narrow or widen what it sees.
    let tools_own = app
        .gql(
            &token,
            "mutation($id: String!) { setOAuthClientOrgs(clientId: $id, orgs: []) { client { orgs } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(tools_own["errors"][0]["extensions"]["code"], "FORBIDDEN", "{tools_own}");
    assert_eq!(set(json!(["sc-school-002"])).await, json!({"client": {"orgs": ["sc-school-002"]}, "userErrors": []}));
    assert_eq!(count(token.clone()).await, 3, "the token issued before now sees only school 002, at once");
    // An empty list is the whole district again.
    assert_eq!(set(json!([])).await, json!({"client": {"orgs": []}, "userErrors": []}));
    assert_eq!(count(token).await, 6);
}

/// Reads from a raw connection until it closes (or a response arrives); `None` when nothing
/// happened within `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok().map(|()| String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn slow_partial_and_idle_connections_are_closed() {
    let app =
        spawn_app_with(&[("LEARNERGRAPH_HEADER_TIMEOUT_SECONDS", "1"), ("LEARNERGRAPH_BODY_TIMEOUT_SECONDS", "1")])
            .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    // Headers that never finish (slowloris).
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let got = read_until_closed(&mut slow, Duration::from_secs(10)).await.expect("closed, not held open");
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    // A body that never finishes.
    let mut partial = TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"qu",
        )
        .await
        .unwrap();
    let got = read_until_closed(&mut partial, Duration::from_secs(10)).await.expect("answered, not held open");
    assert!(got.starts_with("HTTP/1.1 4"), "{got}");
    // An idle keep-alive connection after a complete exchange.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let got = read_until_closed(&mut idle, Duration::from_secs(10)).await.expect("closed once idle");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    // Nothing at all after connecting.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(read_until_closed(&mut silent, Duration::from_secs(10)).await.is_some(), "closed, not held open");
}

/// Holds the database's write lock (SQLite) or an exclusive lock on `users` (PostgreSQL)
/// until the returned transaction is dropped, so that writes to users wait.
/// Holds a write lock on `users` until the returned transaction is rolled back. Roll it back
/// explicitly: a dropped transaction's rollback is only queued, and the lock could outlive it.
async fn lock_users(app: &TestApp) -> sea_orm::DatabaseTransaction {
    let conn = Database::connect(&app.database_url).await.unwrap();
    if backend_is_postgres() {
        let txn = conn.begin().await.unwrap();
        txn.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE").await.unwrap();
        txn
    } else {
        learnergraph::db::begin_write(&conn).await.unwrap()
    }
}

const UPSERT: &str = "mutation($s: String!) { upsertLearner(input: {sourcedId: $s, givenName: \"A\", familyName: \"B\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { sourcedId } userErrors { message } } }";

async fn learner_exists(app: &TestApp, sid: &str) -> bool {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT id FROM users WHERE sourced_id = '{sid}'"),
        ))
        .await
        .unwrap();
    !rows.is_empty()
}

/// Sends `UPSERT` for learner `sid` on a task of its own (it will wait on a lock), with the
/// given request id.
fn spawn_upsert(
    app: &TestApp,
    token: &str,
    sid: &str,
    request_id: &str,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let request = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("x-request-id", request_id)
        .json(&json!({"query": UPSERT, "variables": {"s": sid}}));
    tokio::spawn(request.send())
}

/// Waits until `/readyz` reports the pool busy: the blocked request holds the connection.
async fn until_busy(app: &TestApp) {
    for _ in 0..200 {
        let res = app.http.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(res.status(), 200, "a busy replica stays ready");
        if res.text().await.unwrap().contains("busy") {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the pool never became busy");
}

#[tokio::test]
async fn a_busy_database_answers_503_at_once_and_readyz_stays_ready() {
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_DB_MAX_CONNECTIONS", "1"),
        ("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", "200"),
        ("LEARNERGRAPH_STATEMENT_TIMEOUT_MS", "3000"),
        ("LEARNERGRAPH_REQUEST_TIMEOUT_SECONDS", "3"),
    ])
    .await;
    app.seed(1, 1).await;
    let token = app.admin_token().await;
    let lock = lock_users(&app).await;
    let blocked = spawn_upsert(&app, &token, "blocked-1", "busy-1");
    until_busy(&app).await;
    let res = app.gql_raw(Some(&token), "{ learners { totalCount } }", json!({})).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth("lg_x", Some("y"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "temporarily_unavailable");
    // The blocked write gives up (statement timeout on PostgreSQL, the request timeout on
    // SQLite) with a 503, and wrote nothing.
    let res = blocked.await.unwrap().unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    let code = error_code(&body);
    assert!(code == "SERVICE_UNAVAILABLE" || code == "REQUEST_TIMEOUT", "{body}");
    lock.rollback().await.unwrap();
    assert!(!learner_exists(&app, "blocked-1").await);
    // Once the lock is gone, the same write goes through, as soon as the one connection is
    // back in the pool (on a loaded machine the timed-out request may still be handing it
    // back: until then the answer is the same 503 a client retries; each try waits up to the
    // 200 ms acquire timeout).
    let mut tries = 0;
    let body = loop {
        let res = app.gql_raw(Some(&token), UPSERT, json!({"s": "blocked-1"})).await;
        tries += 1;
        if res.status() == 503 && tries < 50 {
            assert_eq!(error_code(&res.json::<Value>().await.unwrap()), "SERVICE_UNAVAILABLE");
            continue;
        }
        assert_eq!(res.status(), 200, "after {tries} tries");
        break res.json::<Value>().await.unwrap();
    };
    assert_eq!(data(body)["upsertLearner"]["learner"]["sourcedId"], "blocked-1");
}

#[tokio::test]
async fn requests_beyond_the_in_flight_bound_are_refused_at_once() {
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_MAX_IN_FLIGHT", "1"),
        ("LEARNERGRAPH_REQUEST_TIMEOUT_SECONDS", "20"),
        ("LEARNERGRAPH_DB_MAX_CONNECTIONS", "1"),
        ("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", "20000"),
    ])
    .await;
    app.seed(1, 1).await;
    let token = app.admin_token().await;
    let lock = lock_users(&app).await;
    let blocked = spawn_upsert(&app, &token, "held-1", "held-1");
    until_busy(&app).await;
    // A second request in flight is refused.
    let res = app.gql_raw(Some(&token), "{ viewer { scopes } }", json!({})).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(error_code(&res.json().await.unwrap()), "SERVICE_UNAVAILABLE");
    assert_eq!(app.metric("learnergraph_overloaded_total").await, 1.0);
    // Probes are outside the bound.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.http.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    lock.rollback().await.unwrap();
    let res = blocked.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    assert!(learner_exists(&app, "held-1").await);
}

#[tokio::test]
async fn a_database_outage_answers_503_in_the_apis_own_shape() {
    if !backend_is_postgres() {
        // SQLite is a file in the process: it has no outage to simulate.
        return;
    }
    let app = spawn_app_with(&[("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", "500")]).await;
    let token = app.token("roster.read", &[]).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let res = app.gql_raw(Some(&token), "{ learners { totalCount } }", json!({})).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(error_code(&res.json().await.unwrap()), "SERVICE_UNAVAILABLE");
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.text().await.unwrap(), "database unreachable");
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.unwrap();
    let mut back = false;
    for _ in 0..50 {
        if app.gql_raw(Some(&token), "{ learners { totalCount } }", json!({})).await.status() == 200 {
            back = true;
            break;
        }
    }
    assert!(back, "the service recovers when the database does");
}

#[tokio::test]
async fn a_write_is_acknowledged_only_with_its_audit_event_stored() {
    let app = spawn_app().await;
    app.seed(1, 2).await;
    let token = app.admin_token().await;
    for i in 0..5 {
        let rid = format!("audit-durable-{i}");
        let res = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("x-request-id", &rid)
            .json(&json!({"query": UPSERT, "variables": {"s": format!("durable-{i}")}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        data(res.json().await.unwrap());
        // Read at once, with no flush: the event is already stored.
        let rows = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT id FROM audit_events WHERE request_id = '{rid}' AND operation_type = 'mutation'"),
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{rid}");
    }
}

#[tokio::test]
async fn shutdown_finishes_the_requests_in_flight() {
    let mut app = spawn_app_with(&[
        ("LEARNERGRAPH_SHUTDOWN_TIMEOUT_SECONDS", "20"),
        ("LEARNERGRAPH_DB_MAX_CONNECTIONS", "1"),
        ("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", "20000"),
    ])
    .await;
    app.seed(1, 1).await;
    let token = app.admin_token().await;
    let lock = lock_users(&app).await;
    let in_flight = spawn_upsert(&app, &token, "late-1", "in-flight-at-shutdown");
    until_busy(&app).await;
    app.stop();
    // New connections are refused once the listener is closed.
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(app.address.trim_start_matches("http://")).await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused, "the listener closes at shutdown");
    lock.rollback().await.unwrap();
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(data(res.json().await.unwrap())["upsertLearner"]["learner"]["sourcedId"], "late-1");
    app.server.take().unwrap().await.unwrap().unwrap();
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM audit_events WHERE request_id = 'in-flight-at-shutdown'".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "its audit event was written before exit");
}
