//! The access audit trail and client administration.

use serde_json::{Value, json};

use crate::support::{data, error_code, spawn_app};

#[tokio::test]
async fn reads_of_student_records_are_audited_by_client_and_student() {
    let app = spawn_app().await;
    app.seed(1, 9).await;
    let admin = app.admin_token().await;
    let (vendor_id, vendor_secret) = app.client("roster.read profiles.read", &[]).await;
    let vendor = app.token_for(&vendor_id, &vendor_secret).await;
    let seen = data(
        app.gql(
            &vendor,
            "query Pull { learners(first: 2) { edges { node { id sourcedId profile { strengths } } } } }",
            json!({}),
        )
        .await,
    );
    let first = seen["learners"]["edges"][0]["node"].clone();
    // A request that reveals no student leaves no event.
    app.gql(&vendor, "{ viewer { kind } schools { totalCount } }", json!({})).await;

    let q = "query($l: ID, $c: String) { auditEvents(filter: {learnerId: $l, clientId: $c}) { totalCount edges { node { actorKind actorId clientId operationType operationName fields learnerSourcedIds requestId } } } }";
    let events = data(app.gql(&admin, q, json!({"l": first["id"], "c": vendor_id})).await);
    assert_eq!(events["auditEvents"]["totalCount"], 1, "{events}");
    let e = &events["auditEvents"]["edges"][0]["node"];
    assert_eq!(e["clientId"], vendor_id.as_str());
    assert_eq!(e["actorKind"], "client");
    assert_eq!(e["operationType"], "query");
    assert_eq!(e["operationName"], "Pull");
    assert_eq!(e["fields"], json!(["learners"]));
    assert_eq!(e["learnerSourcedIds"].as_array().unwrap().len(), 2);
    assert!(e["learnerSourcedIds"].as_array().unwrap().contains(&first["sourcedId"]));
    assert!(e["requestId"].as_str().is_some_and(|r| r.len() == 36));
    let all = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    assert_eq!(all["auditEvents"]["totalCount"], 1, "only the request that revealed students");

    // Writes are audited too.
    let w = app
        .gql(&admin, "mutation($id: ID!) { deleteRosterRecord(id: $id) { deletedId } }", json!({"id": first["id"]}))
        .await;
    assert!(w.get("errors").is_none(), "{w}");
    let events = data(app.gql(&admin, q, json!({"l": first["id"]})).await);
    assert_eq!(events["auditEvents"]["totalCount"], 2);
    assert_eq!(events["auditEvents"]["edges"][1]["node"]["operationType"], "mutation");
}

#[tokio::test]
async fn the_audit_trail_is_for_district_administrators_only() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let q = "{ auditEvents { totalCount } }";
    let vendor = app.token("roster.read profiles.read", &[]).await;
    assert_eq!(error_code(&app.gql(&vendor, q, json!({})).await), "FORBIDDEN");
    let school_admin = app.token("admin roster.read", &["sc-school-001"]).await;
    assert_eq!(error_code(&app.gql(&school_admin, q, json!({})).await), "FORBIDDEN");
    let body: Value = app.gql_raw(None, q, json!({})).await.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_trail_survives_shutdown_and_exports_as_csv() {
    let mut app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.token("roster.read", &[]).await;
    let d = data(app.gql(&token, "{ learners(first: 1) { edges { node { sourcedId } } } }", json!({})).await);
    let learner = d["learners"]["edges"][0]["node"]["sourcedId"].as_str().unwrap().to_owned();
    // Shutting down writes what is still queued.
    app.stop();
    app.server.take().unwrap().await.unwrap().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_learnergraph"))
        .args(["audit", "export", "--learner", &learner])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "occurred_at,actor_kind,actor_id,client_id,operation_type,operation_name,fields,request_id,learner_sourced_id"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row[4..7], ["query", "", "learners"], "{csv}");
    assert_eq!(row[8], learner);
    assert!(lines[1].contains(",client,"), "{csv}");
}

#[tokio::test]
async fn administrators_manage_clients_through_graphql() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = data(
        app.gql(
            &admin,
            "mutation { createOAuthClient(input: {name: \"Reading app\", scopes: [\"roster.read\"]}) { client { clientId scopes enabled grantTypes } clientSecret userErrors { field message } } }",
            json!({}),
        )
        .await,
    );
    let id = created["createOAuthClient"]["client"]["clientId"].as_str().unwrap().to_owned();
    let secret = created["createOAuthClient"]["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(created["createOAuthClient"]["client"]["grantTypes"], json!(["client_credentials"]));
    let token = |s: String| {
        let req = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(id.clone(), Some(s))
            .form(&[("grant_type", "client_credentials")]);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(token(secret.clone()).await, 200);
    let bad = data(app.gql(&admin, "mutation { createOAuthClient(input: {name: \"x\", scopes: [\"nope\"]}) { client { clientId } userErrors { field code } } }", json!({})).await);
    assert_eq!(bad["createOAuthClient"]["userErrors"], json!([{"field": ["scopes"], "code": "INVALID"}]), "{bad}");
    assert_eq!(bad["createOAuthClient"]["client"], Value::Null, "{bad}");
    let names = data(app.gql(&admin, "{ oauthClients { name } }", json!({})).await);
    assert_eq!(
        names["oauthClients"],
        json!([{"name": "test client"}, {"name": "Reading app"}]),
        "the refused client was not registered"
    );

    let rotated = data(
        app.gql(
            &admin,
            "mutation($c: String!) { rotateOAuthClientSecret(clientId: $c) { clientSecret } }",
            json!({"c": id}),
        )
        .await,
    );
    let new_secret = rotated["rotateOAuthClientSecret"]["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(token(secret).await, 401);
    assert_eq!(token(new_secret.clone()).await, 200);
    let off = data(
        app.gql(
            &admin,
            "mutation($c: String!) { setOAuthClientEnabled(clientId: $c, enabled: false) { client { enabled } } }",
            json!({"c": id}),
        )
        .await,
    );
    assert_eq!(off["setOAuthClientEnabled"]["client"]["enabled"], false);
    assert_eq!(token(new_secret).await, 401);
    let missing = data(
        app.gql(
            &admin,
            "mutation { setOAuthClientEnabled(clientId: \"lg_nope\", enabled: false) { userErrors { code } } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(missing["setOAuthClientEnabled"]["userErrors"], json!([{"code": "NOT_FOUND"}]), "{missing}");
    let listed = data(app.gql(&admin, "{ oauthClients { clientId enabled } }", json!({})).await);
    assert!(
        listed["oauthClients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["clientId"] == id.as_str() && c["enabled"] == false)
    );

    let vendor = app.token("roster.read", &[]).await;
    assert_eq!(error_code(&app.gql(&vendor, "{ oauthClients { clientId } }", json!({})).await), "FORBIDDEN");
}

#[tokio::test]
async fn a_caller_chosen_request_id_cannot_lose_audit_events() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.admin_token().await;
    let res = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .header("x-request-id", "r".repeat(500))
        .json(&json!({"query": format!("query {} {{ learners(first: 1) {{ totalCount edges {{ node {{ id }} }} }} }}", "Op".repeat(200))}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // An overlong id is replaced by a generated one, which is echoed and audited.
    let echoed = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(echoed.len(), 36, "{echoed}");
    assert!(!echoed.contains('r'), "{echoed}");
    let d = data(app.gql(&admin, "{ auditEvents { edges { node { requestId operationName } } } }", json!({})).await);
    let e = &d["auditEvents"]["edges"][0]["node"];
    assert_eq!(e["requestId"], echoed.as_str());
    assert_eq!(e["operationName"].as_str().unwrap().len(), 255);
}
