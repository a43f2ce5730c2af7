//! GraphQL over HTTP: methods, media types, status codes, limits and error codes.

use serde_json::{Value, json};

use crate::support::{data, error_code, spawn_app};

#[tokio::test]
async fn post_and_get_queries_work() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let body = app.gql(&token, "{ viewer { scopes kind } }", json!({})).await;
    let scopes = data(body)["viewer"]["scopes"].as_array().unwrap().len();
    assert_eq!(scopes, 6);

    let res = app
        .http
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query Q($n: Int) { viewer { kind } learners(first: $n) { totalCount } }"),
            ("variables", "{\"n\": 1}"),
        ])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["kind"], "client");
}

#[tokio::test]
async fn mutations_over_get_are_refused_with_405() {
    let app = spawn_app().await;
    let token = app.token("roster.read", &[]).await;
    let res = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&token)
        .query(&[("query", "mutation { deleteRosterRecord(id: \"x\") { deletedId } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    // Also when the mutation is named.
    let res = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&token)
        .query(&[("query", "mutation Del { deleteRosterRecord(id: \"x\") { deletedId } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn graphql_response_media_type_gets_400_for_request_errors() {
    let app = spawn_app().await;
    let token = app.token("roster.read", &[]).await;
    for (query, code) in [("{ viewer { ", "GRAPHQL_PARSE_FAILED"), ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED")] {
        let res = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("accept", "application/graphql-response+json")
            .json(&json!({"query": query}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        assert_eq!(res.headers()["content-type"], "application/graphql-response+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), code);

        // The legacy media type answers 200 with the same errors.
        let res = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("accept", "application/json")
            .json(&json!({"query": query}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), code);
    }
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let app = spawn_app().await;
    let token = app.token("roster.read", &[]).await;
    // Not JSON.
    let res = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Wrong content type.
    let res = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{ viewer { kind } }")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // No query.
    let res =
        app.http.post(app.url("/graphql")).bearer_auth(&token).json(&json!({"variables": {}})).send().await.unwrap();
    assert_eq!(res.status(), 400);
    // Variables not an object.
    let res = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ viewer { kind } }", "variables": [1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Nothing acceptable.
    let res = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .json(&json!({"query": "{ viewer { kind } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 406);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await; // limit is 64 KiB in tests
    let padding = "#".repeat(70 * 1024);
    let res = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({"query": format!("{{ viewer {{ kind }} }} {padding}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn tokens_in_the_url_are_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let res = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "{ viewer { kind } }"), ("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn browsers_get_graphiql() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn invalid_global_ids_are_bad_user_input() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    for id in ["garbage!", "", "TGVhcm5lcjphYmM", "Tm9wZTox"] {
        // garbage, empty, "Learner:abc", "Nope:1"
        let body = app.gql(&token, "query($id: ID!) { node(id: $id) { id } }", json!({"id": id})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{id}: {body}");
    }
    // A well-formed ID of a record that doesn't exist is null, not an error.
    let body = app.gql(&token, "query($id: ID!) { node(id: $id) { id } }", json!({"id": "TGVhcm5lcjo5OTk5OTk"})).await;
    assert_eq!(data(body)["node"], Value::Null);
}

#[tokio::test]
async fn deep_and_expensive_documents_are_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let expensive = "{ schools(first: 100) { edges { node { learners(first: 100) { edges { node { enrollments(first: 100) { edges { node { sourcedId } } } } } } } } } }";
    let body = app.gql(&token, expensive, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_LIMIT_EXCEEDED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "complexity", "{body}");
    let too_big = app.gql(&token, "{ learners(first: 101) { edges { node { id } } } }", json!({})).await;
    assert_eq!(error_code(&too_big), "BAD_USER_INPUT");
}
