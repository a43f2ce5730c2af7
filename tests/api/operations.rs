//! Health, readiness, metrics and graceful shutdown.

use crate::support::spawn_app;

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");

    // A query and a mutation show up per operation type.
    let token = app.admin_token().await;
    app.gql(&token, "{ viewer { scopes } }", serde_json::json!({})).await;
    app.gql(&token, "mutation { deleteRosterRecord(id: \"bm9wZQ\") { deletedId } }", serde_json::json!({})).await;
    let text = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("learnergraph_graphql_requests_total{operation_type=\"query\",outcome=\"ok\"} 1"), "{text}");
    assert!(
        text.contains("learnergraph_graphql_requests_total{operation_type=\"mutation\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(text.contains("learnergraph_graphql_request_duration_seconds_bucket{le=\"0.5\",operation_type=\"query\"}"));
    assert!(text.contains("learnergraph_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = res.headers().get("x-request-id").expect("request id").to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let res = app.http.get(app.url("/healthz")).header("x-request-id", "trace-me-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_returns() {
    let mut app = spawn_app().await;
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    app.stop();
    let server = app.server.take().unwrap();
    let result = server.await.expect("server task");
    assert!(result.is_ok(), "server stopped cleanly: {result:?}");
    let fresh = reqwest::Client::new();
    assert!(fresh.get(app.url("/healthz")).send().await.is_err(), "no longer accepting connections");
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let app = spawn_app().await;
    assert_eq!(app.http.get(app.url("/nope")).send().await.unwrap().status(), 404);
}
