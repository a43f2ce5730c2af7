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
        "occurred_at,actor_kind,actor_id,client_id,operation_type,operation_name,fields,request_id,learner_sourced_id,agreement_id"
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

/// The rows `learnergraph audit export <args>` writes, each as (request id, client id,
/// occurred at, learner), after checking the header and the row count it reports.
fn export(database_url: &str, args: &[&str]) -> Vec<(String, String, String, String)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_learnergraph"))
        .args(["audit", "export"])
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "occurred_at,actor_kind,actor_id,client_id,operation_type,operation_name,fields,request_id,learner_sourced_id,agreement_id"
        )
    );
    let rows: Vec<(String, String, String, String)> = lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 10, "{l}");
            (c[7].to_owned(), c[3].to_owned(), c[0].to_owned(), c[8].to_owned())
        })
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), format!("{} rows", rows.len()), "{args:?}");
    rows
}

#[tokio::test]
async fn the_export_selects_exactly_one_clients_events_and_those_since_an_instant() {
    use entity::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let mut app = spawn_app().await;
    app.seed(1, 3).await;
    let (a_id, a_secret) = app.client("roster.read", &[]).await;
    let (b_id, b_secret) = app.client("roster.read", &[]).await;
    let a = app.token_for(&a_id, &a_secret).await;
    let b = app.token_for(&b_id, &b_secret).await;
    // Three students, read from the database (an API read would be audited too).
    let students: Vec<String> = sea_orm::ConnectionTrait::query_all_raw(
        &app.db,
        sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT sourced_id FROM users WHERE sourced_id LIKE 'sc-s-%' ORDER BY sourced_id".to_owned(),
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect();
    assert_eq!(students.len(), 3, "{students:?}");
    let (s1, s2, s3) = (students[0].as_str(), students[1].as_str(), students[2].as_str());
    // One request per event, each revealing one student, under a request id of our choosing.
    let requests = [
        (&a, "a-1", s1, "2026-01-01T08:00:00Z"),
        (&b, "b-1", s1, "2026-01-01T08:00:00Z"),
        (&a, "a-2", s2, "2026-01-02T08:00:00Z"),
        (&b, "b-2", s2, "2026-01-02T08:00:00Z"),
        (&a, "a-3", s3, "2026-01-03T08:00:00Z"),
    ];
    for (token, request_id, learner, _) in &requests {
        let res = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(token)
            .header("x-request-id", *request_id)
            .json(&json!({"query": "query($s: String!) { learner(sourcedId: $s) { sourcedId } }", "variables": {"s": learner}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-request-id"], *request_id);
        let body: Value = res.json().await.unwrap();
        assert_eq!(data(body)["learner"]["sourcedId"], *learner);
    }
    // Shutting down writes the queued events; then each gets the time it stands for.
    app.stop();
    app.server.take().unwrap().await.unwrap().unwrap();
    for (_, request_id, _, at) in &requests {
        let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
        let done = audit_event::Entity::update_many()
            .col_expr(audit_event::Column::OccurredAt, Expr::value(at))
            .filter(audit_event::Column::RequestId.eq(*request_id))
            .exec(&app.db)
            .await
            .unwrap();
        assert_eq!(done.rows_affected, 1, "one event for {request_id}");
    }
    assert_eq!(audit_event::Entity::find().all(&app.db).await.unwrap().len(), 5, "no other event");

    let row = |i: usize| {
        let (_, request_id, learner, at) = requests[i];
        let client = if request_id.starts_with('a') { &a_id } else { &b_id };
        let at = at.replace('Z', "+00:00");
        (request_id.to_owned(), client.clone(), at, learner.to_owned())
    };
    let all = export(&app.database_url, &[]);
    assert_eq!(all, (0..5).map(row).collect::<Vec<_>>());
    // --client: that client's events only.
    assert_eq!(export(&app.database_url, &["--client", &a_id]), [row(0), row(2), row(4)]);
    assert_eq!(export(&app.database_url, &["--client", &b_id]), [row(1), row(3)]);
    assert_eq!(export(&app.database_url, &["--client", "lg_nobody"]), []);
    // --since: at or after the instant; a microsecond later excludes what happened at it.
    assert_eq!(export(&app.database_url, &["--since", "2026-01-02T08:00:00Z"]), [row(2), row(3), row(4)]);
    assert_eq!(export(&app.database_url, &["--since", "2026-01-02T08:00:00.000001Z"]), [row(4)]);
    assert_eq!(export(&app.database_url, &["--since", "2026-01-04T00:00:00Z"]), []);
    // Both: one client's events since the instant.
    assert_eq!(export(&app.database_url, &["--client", &b_id, "--since", "2026-01-01T12:00:00Z"]), [row(3)]);
    assert_eq!(
        export(&app.database_url, &["--client", &a_id, "--since", "2026-01-02T00:00:00Z", "--learner", s3]),
        [row(4)]
    );
}
