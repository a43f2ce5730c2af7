//! Deletion on request and retention, through HTTP and the CLI: a purged student leaves no
//! trace in any table (walked generically, whatever tables exist), only tombstones in the
//! changes feed and a pseudonymised audit trail.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::{
    progress::{post, row, setup},
    support::{TestApp, data, error_code, spawn_app, spawn_app_with},
};

const SID: &str = "zq-purge-1";
const GIVEN: &str = "Zephyrine";
const FAMILY: &str = "Quillfeather";
const EMAIL: &str = "zephyrine.q@purge.example.org";
const CORE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";

/// Every table of the database the app runs on.
async fn tables(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

/// The columns of a table.
async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
        _ => format!("SELECT name FROM pragma_table_info('{table}')"),
    };
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

/// Every row of a table as text.
async fn rows_as_text(app: &TestApp, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => format!("SELECT CAST(t AS text) AS row FROM \"{table}\" t"),
        _ => {
            let cols = columns(app, table).await;
            let joined: Vec<String> = cols.iter().map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')")).collect();
            format!("SELECT {} AS row FROM \"{table}\"", joined.join(" || '|' || "))
        }
    };
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "row").unwrap()).collect()
}

/// Rows of any table that still hold the student: their sourcedId, name or email anywhere, or
/// their id in any column that names a person (`user_id`, `learner_id`, `agent_id`, `users.id`,
/// a feed entry about them that is not a tombstone).
async fn traces(app: &TestApp, id: i64) -> Vec<String> {
    let mut found = vec![];
    let backend = app.db.get_database_backend();
    for table in tables(app).await {
        for text in rows_as_text(app, &table).await {
            for needle in [SID, GIVEN, FAMILY, EMAIL, "zquill"] {
                if text.contains(needle) {
                    found.push(format!("{table}: `{needle}` in {text}"));
                }
            }
        }
        for column in columns(app, &table).await {
            let person = matches!(column.as_str(), "user_id" | "learner_id" | "agent_id")
                || (table == "users" && column == "id")
                || (table == "sync_changes" && column == "entity_id");
            if !person {
                continue;
            }
            // A feed entry's `entity_id` is a record of its kind: it is the student's only in a
            // learner entry, which must be a tombstone.
            let tombstone = if column == "entity_id" { " AND entity = 'learner' AND deleted = false" } else { "" };
            let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE \"{column}\" = {id}{tombstone}");
            let n: i64 = app
                .db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get("", "n")
                .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column} holds the id in {n} rows"));
            }
        }
    }
    found
}

#[tokio::test]
async fn a_purged_student_leaves_no_trace_but_tombstones_and_a_pseudonymised_audit() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    let (_, learners) = setup(&app).await;
    let admin = app
        .token("roster.read profiles.read profiles.write profiles.sensitive.read playlists.read playlists.write progress.read progress.write admin", &[])
        .await;
    let writer = app.token("roster.read roster.write admin", &[]).await;
    let wrote = data(
        app.gql(
            &writer,
            "mutation($sid: String!) { upsertRoster(input: {
                users: [
                  {sourcedId: $sid, givenName: \"Zephyrine\", familyName: \"Quillfeather\", email: \"zephyrine.q@purge.example.org\", username: \"zquill\", grades: [\"06\"], roles: [{roleType: \"primary\", role: \"student\", orgSourcedId: \"sc-school-001\"}]},
                  {sourcedId: \"zq-guardian\", givenName: \"Gale\", familyName: \"Guardian\", agentSourcedIds: [$sid], roles: [{roleType: \"primary\", role: \"parent\", orgSourcedId: \"sc-school-001\"}]}
                ],
                enrollments: [{sourcedId: \"zq-enr-1\", classSourcedId: \"sc-c-001-06-math-s1\", userSourcedId: $sid, role: \"student\"}]
              }) { userErrors { message } } }",
            json!({"sid": SID}),
        )
        .await,
    );
    assert_eq!(wrote["upsertRoster"]["userErrors"], json!([]), "{wrote}");
    let me = data(app.gql(&admin, "query($s: String!) { learner(sourcedId: $s) { id } }", json!({"s": SID})).await);
    let gid = me["learner"]["id"].clone();
    let (_, id) = learnergraph::graphql::relay::decode_id(gid.as_str().unwrap(), "learner").unwrap();

    // Records of every kind: profile and a revision, a playlist with items, a result and
    // mastery, a data-use choice, sign-in grants, audit events naming them.
    let created = data(
        app.gql(
            &admin,
            "mutation($l: ID!) { createLearnerProfile(input: {learnerId: $l, strengths: [\"drawing\"], supportNotes: \"Zephyrine works best mornings\"}) { profile { id } userErrors { message } } }",
            json!({"l": gid}),
        )
        .await,
    );
    let profile = created["createLearnerProfile"]["profile"]["id"].clone();
    assert!(profile.is_string(), "{created}");
    let updated = data(
        app.gql(
            &admin,
            "mutation($p: ID!) { updateLearnerProfile(input: {profileId: $p, expectedVersion: 1, interests: [\"kites\"]}) { userErrors { message } } }",
            json!({"p": profile}),
        )
        .await,
    );
    assert_eq!(updated["updateLearnerProfile"]["userErrors"], json!([]));
    let playlist = data(
        app.gql(
            &admin,
            "mutation($s: String!) { createPlaylist(input: {learnerSourcedId: $s, schoolSourcedId: \"sc-school-001\", subject: \"Math\", title: \"Zephyrine's ratios\", items: [{title: \"Ratio tables\", evidence: TEST, competencyIds: [\"c-rp-1\"]}]}) { playlist { id } userErrors { message } } }",
            json!({"s": SID}),
        )
        .await,
    );
    assert_eq!(playlist["createPlaylist"]["userErrors"], json!([]), "{playlist}");
    let posted = post(&app, &admin, json!([row("zq-r-1", SID, 9.0, "2026-11-20T10:00:00Z")])).await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    let set = data(
        app.gql(
            &admin,
            "mutation($s: String!) { setLearnerDataUse(input: {learnerSourcedId: $s, directoryOptOut: true, note: \"Quillfeather family\"}) { userErrors { message } } }",
            json!({"s": SID}),
        )
        .await,
    );
    assert_eq!(set["setLearnerDataUse"]["userErrors"], json!([]));
    let student = app.dev_sign_in(SID, "roster.read profiles.read playlists.read progress.read").await;
    let own = data(app.gql(&student, "{ viewer { learner { sourcedId mastery { level } } } }", json!({})).await);
    assert_eq!(own["viewer"]["learner"]["sourcedId"], SID);
    let rest = app
        .http
        .get(app.url(&format!("/ims/oneroster/rostering/v1p2/users/{SID}")))
        .bearer_auth(app.token(&format!("roster.read {CORE}"), &[]).await)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 200);
    let cursor = data(app.gql(&admin, "{ syncCursor }", json!({})).await)["syncCursor"].clone();
    // Reading the trail writes what the service has queued of it.
    data(app.gql(&admin, "{ auditEvents(first: 1) { totalCount } }", json!({})).await);
    let before = traces(&app, id).await;
    assert!(before.len() > 15, "the fixture must leave traces to remove: {before:#?}");

    // Refused: not the district's administrators, or no reason. Nothing changes.
    let purge = "mutation($s: String!, $r: String!) { purgeLearner(learnerSourcedId: $s, reason: $r) { pseudonym removed { table count } tombstones userErrors { field code } } }";
    let school_tool = app.token("roster.read admin", &["sc-school-001"]).await;
    assert_eq!(error_code(&app.gql(&school_tool, purge, json!({"s": SID, "r": "asked"})).await), "FORBIDDEN");
    assert_eq!(error_code(&app.gql(&student, purge, json!({"s": SID, "r": "asked"})).await), "FORBIDDEN");
    let no_reason = data(app.gql(&admin, purge, json!({"s": SID, "r": "  "})).await);
    assert_eq!(no_reason["purgeLearner"]["userErrors"][0]["field"], json!(["reason"]));
    let unknown = data(app.gql(&admin, purge, json!({"s": "nobody", "r": "asked"})).await);
    assert_eq!(unknown["purgeLearner"]["userErrors"][0]["code"], "NOT_FOUND");
    data(app.gql(&admin, "{ auditEvents(first: 1) { totalCount } }", json!({})).await);
    assert_eq!(traces(&app, id).await, before);

    let done = data(
        app.gql(&admin, purge, json!({"s": SID, "r": "family moved out of state; parent's written request"})).await,
    );
    let p = &done["purgeLearner"];
    assert_eq!(p["userErrors"], json!([]), "{done}");
    let pseudonym = p["pseudonym"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with("purged-"));
    let removed: std::collections::BTreeMap<String, i64> = p["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["table"].as_str().unwrap().to_owned(), r["count"].as_i64().unwrap()))
        .collect();
    for table in [
        "users",
        "user_orgs",
        "user_agents",
        "enrollments",
        "learner_profiles",
        "profile_revisions",
        "playlists",
        "playlist_items",
        "results",
        "masteries",
        "data_use_restrictions",
        "oauth_refresh_tokens",
        "sync_changes",
    ] {
        assert!(removed.get(table).is_some_and(|n| *n > 0), "{table}: {done}");
    }

    // The walk: no table holds them any more.
    assert_eq!(traces(&app, id).await, Vec::<String>::new());

    // Tombstones: the feed tells tools to delete their copies.
    let feed = data(
        app.gql(
            &admin,
            "query($c: String) { changes(after: $c, first: 100) { changes { id type entityType node { id } } } }",
            json!({"c": cursor}),
        )
        .await,
    );
    let nodes = feed["changes"]["changes"].as_array().unwrap();
    assert!(
        nodes.iter().any(|n| n["id"] == gid && n["type"] == "DELETED" && n["node"].is_null()),
        "the learner's tombstone: {feed}"
    );
    assert!(nodes.iter().any(|n| n["entityType"] == "RESULT" && n["type"] == "DELETED"), "{feed}");
    assert_eq!(p["tombstones"].as_i64().unwrap() as usize, nodes.iter().filter(|n| n["type"] == "DELETED").count());

    // The audit trail: kept, under the pseudonym, with the purge recorded.
    let events = data(
        app.gql(
            &admin,
            "{ auditEvents(first: 100) { totalCount nodes { actorId operationName fields learnerSourcedIds } } }",
            json!({}),
        )
        .await,
    );
    let nodes = events["auditEvents"]["nodes"].as_array().unwrap();
    assert!(events["auditEvents"]["totalCount"].as_i64().unwrap() <= 100, "one page holds the whole trail");
    let text = events.to_string();
    assert!(!text.contains(SID), "{text}");
    let purged: Vec<&Value> = nodes.iter().filter(|n| n["operationName"] == "purgeLearner").collect();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0]["learnerSourcedIds"], json!([pseudonym]));
    let pseudonymised =
        nodes.iter().filter(|n| n["learnerSourcedIds"].as_array().unwrap().contains(&json!(pseudonym))).count();
    assert!(pseudonymised >= 4, "the reads and writes before the purge still count them: {events}");
    assert!(nodes.iter().any(|n| n["actorId"] == pseudonym.as_str()), "their own sign-in reads: {events}");
    // Their token is gone with them; they are not found; the other students are untouched.
    assert_eq!(app.gql_raw(Some(&student), "{ viewer { kind } }", json!({})).await.status(), 401);
    let gone = data(app.gql(&admin, "query($s: String!) { learner(sourcedId: $s) { id } }", json!({"s": SID})).await);
    assert!(gone["learner"].is_null());
    let others = data(
        app.gql(&admin, "query($s: String!) { learner(sourcedId: $s) { sourcedId } }", json!({"s": learners[0]})).await,
    );
    assert_eq!(others["learner"]["sourcedId"], learners[0].as_str());
}

#[tokio::test]
async fn the_cli_purges_a_student_and_retention_removes_old_results_and_audit_events() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let old = post(&app, &admin, json!([row("old-1", &learners[0], 4.0, "2015-01-10T10:00:00Z")])).await;
    let new = post(&app, &admin, json!([row("new-1", &learners[0], 9.0, "2026-11-20T10:00:00Z")])).await;
    assert_eq!((old["userErrors"].clone(), new["userErrors"].clone()), (json!([]), json!([])));
    app.db
        .execute_unprepared("UPDATE audit_events SET occurred_at = '2016-03-01 00:00:00+00:00' WHERE id = (SELECT MIN(id) FROM audit_events)")
        .await
        .unwrap();
    let events_before = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let url = app.database_url.clone();
        async move {
            let out = cli(args.clone(), url).await;
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        }
    };
    let dry = run(&["retention", "--dry-run"]).await;
    assert_eq!((dry["results"].as_i64(), dry["audit_events"].as_i64()), (Some(1), Some(1)), "{dry}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 2, "a dry run deletes nothing");
    let ran = run(&["retention"]).await;
    assert_eq!((ran["results"].as_i64(), ran["audit_events"].as_i64()), (Some(1), Some(1)), "{ran}");
    let left = data(app.gql(&admin, "{ results(first: 10) { nodes { sourcedId } } }", json!({})).await);
    assert_eq!(left["results"]["nodes"], json!([{"sourcedId": "new-1"}]));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events").await, events_before - 1);
    // The mastery was worked out again from what remains.
    let m = data(
        app.gql(
            &admin,
            "query($s: String!) { learner(sourcedId: $s) { mastery { evidence { sourcedId } } } }",
            json!({"s": learners[0]}),
        )
        .await,
    );
    assert_eq!(m["learner"]["mastery"][0]["evidence"], json!([{"sourcedId": "new-1"}]), "{m}");

    let purged = run(&["learner", "purge", &learners[1], "--reason", "records request from the family"]).await;
    assert!(purged["pseudonym"].as_str().unwrap().starts_with("purged-"), "{purged}");
    assert_eq!(purged["removed"]["users"], 1);
    let gone =
        data(app.gql(&admin, "query($s: String!) { learner(sourcedId: $s) { id } }", json!({"s": learners[1]})).await);
    assert!(gone["learner"].is_null());
    let again = cli(
        ["learner", "purge", &learners[1], "--reason", "again"].iter().map(|a| (*a).to_owned()).collect(),
        app.database_url.clone(),
    )
    .await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no student"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Runs the binary off the test's runtime thread, which the app under test shares: a blocked
/// runtime would stall the app in the middle of a transaction the command then waits on.
async fn cli(args: Vec<String>, database_url: String) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_learnergraph"))
            .args(args)
            .env("DATABASE_URL", database_url)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}
