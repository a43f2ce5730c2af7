//! The `learnergraph` binary: schema export, seeding idempotency, client registration and
//! failure modes an operator sees.

use std::process::Command;

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::support::spawn_app;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_learnergraph"))
}

/// Runs a command off the test's runtime thread: the app under test shares that thread, and a
/// blocked runtime would stall the app in the middle of a transaction the command then waits on.
async fn run(cmd: &mut Command) -> std::process::Output {
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap()
}

#[test]
fn schema_graphql_is_in_sync() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        printed == checked_in,
        "schema.graphql is out of date: run `cargo run -q -- schema > schema.graphql` and commit it"
    );
    for name in ["District", "School", "Learner", "LearnerProfile", "interface Node", "viewer"] {
        assert!(printed.contains(name), "schema names {name}");
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_a_failure_exit() {
    for url in ["postgres://nobody@127.0.0.1:1/nothing", "mysql://nope", "sqlite:///nonexistent-dir/x/y.db"] {
        let out = bin().arg("migrate").env("DATABASE_URL", url).env_remove("RUST_LOG").output().unwrap();
        assert!(!out.status.success(), "{url}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{url}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

async fn counts(url: &str) -> Vec<(String, i64)> {
    let db = Database::connect(url).await.unwrap();
    let mut out = Vec::new();
    for table in [
        "orgs",
        "academic_sessions",
        "courses",
        "classes",
        "users",
        "user_orgs",
        "enrollments",
        "learner_profiles",
        "profile_revisions",
        "competency_frameworks",
        "competencies",
        "playlists",
        "playlist_items",
        "playlist_item_transitions",
        "results",
        "masteries",
        "sync_changes",
        "win_blocks",
        "win_sessions",
        "win_choices",
        "win_assignments",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        out.push((table.to_owned(), row.try_get::<i64>("", "n").unwrap()));
    }
    // As text on both backends: a decoding failure must fail the test, not compare None with None.
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(MAX(date_last_modified) AS TEXT) AS m FROM users".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let latest: String = row.try_get::<Option<String>>("", "m").unwrap().expect("users were seeded");
    out.push((format!("latest {latest}"), 0));
    out
}

/// Every row of `table` (ordered by id), each column as text (`<null>` for NULL), for
/// comparing a table before and after something that must not change it.
async fn rows_of(url: &str, table: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let db = Database::connect(url).await.unwrap();
    let select: Vec<String> = columns.iter().map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')")).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY id", select.join(", "));
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| (0..columns.len()).map(|i| r.try_get_by_index::<String>(i).unwrap()).collect())
        .collect()
}

const FRAMEWORK_COLUMNS: &[&str] = &[
    "id",
    "district_id",
    "source_id",
    "title",
    "version",
    "calculation",
    "calculation_param",
    "mastered_level",
    "date_last_modified",
];
const COMPETENCY_COLUMNS: &[&str] =
    &["id", "framework_id", "source_id", "code", "statement", "parent_id", "position", "status", "date_last_modified"];

#[tokio::test]
async fn seeding_the_demo_twice_changes_nothing() {
    let app = spawn_app().await;
    let seed = async || {
        let out = run(bin().args(["seed", "--demo"]).env("DATABASE_URL", &app.database_url)).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let report = seed().await;
    assert!(report.contains("Riverbend"), "{report}");
    let first = counts(&app.database_url).await;
    assert!(first.iter().find(|(t, _)| t == "users").unwrap().1 > 3000, "{first:?}");
    seed().await;
    assert_eq!(counts(&app.database_url).await, first);
}

#[tokio::test]
async fn import_case_creates_then_updates_in_place() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let dir = std::env::temp_dir().join(format!("lg-case-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("package.json");
    let package = learnergraph::seed::DEMO_CASE_PACKAGE;
    std::fs::write(&file, package).unwrap();
    let import = async |file: &std::path::Path| {
        let out = run(bin().args(["import", "case"]).arg(file).env("DATABASE_URL", &app.database_url)).await;
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = import(&file).await;
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["created"].as_i64(), v["updated"].as_i64()), (Some(12), Some(0)), "{v}");
    assert_eq!(v["framework"]["identifier"], "rb-fw-math-6");

    // An updated package: one statement reworded, one standard dropped.
    let mut pkg: serde_json::Value = serde_json::from_str(package).unwrap();
    let items = pkg["CFItems"].as_array_mut().unwrap();
    items[1]["fullStatement"] =
        serde_json::json!("Use ratio language to describe a relationship between two quantities.");
    items.retain(|i| i["identifier"] != "rb-m6-ee-3");
    pkg["CFAssociations"].as_array_mut().unwrap().retain(|a| a["originNodeURI"]["identifier"] != "rb-m6-ee-3");
    std::fs::write(&file, pkg.to_string()).unwrap();
    let (ok, out, err) = import(&file).await;
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["created"].as_i64(), v["updated"].as_i64(), v["unchanged"].as_i64(), v["retired"].as_i64()),
        (Some(0), Some(1), Some(10), Some(1)),
        "{v}"
    );
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM competency_frameworks".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1, "re-importing never duplicates the framework");

    // A file that is not a CASE package is one clear error and changes nothing.
    let frameworks = rows_of(&app.database_url, "competency_frameworks", FRAMEWORK_COLUMNS).await;
    let competencies = rows_of(&app.database_url, "competencies", COMPETENCY_COLUMNS).await;
    assert_eq!((frameworks.len(), competencies.len()), (1, 12), "the retired one is kept");
    std::fs::write(&file, "{\"CFItems\": []}").unwrap();
    let (ok, _, err) = import(&file).await;
    assert!(!ok);
    assert!(err.starts_with("error: ") && err.contains("CASE"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let (ok, _, err) = import(&dir.join("missing.json")).await;
    assert!(!ok && err.starts_with("error: ") && err.contains("missing.json"), "{err}");
    assert_eq!(rows_of(&app.database_url, "competency_frameworks", FRAMEWORK_COLUMNS).await, frameworks);
    assert_eq!(rows_of(&app.database_url, "competencies", COMPETENCY_COLUMNS).await, competencies);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn client_create_prints_the_contract_fields() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let out = run(bin()
        .args([
            "client",
            "create",
            "--name",
            "Vendor",
            "--scopes",
            "roster.read profiles.read",
            "--org",
            "sc-school-001",
        ])
        .env("DATABASE_URL", &app.database_url))
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["client_id"].as_str().unwrap().starts_with("lg_"));
    assert!(v["client_secret"].as_str().unwrap().len() >= 40);
    assert_eq!(v["scopes"], serde_json::json!(["roster.read", "profiles.read"]));
    assert_eq!(v["orgs"], serde_json::json!(["sc-school-001"]));

    let bad = run(bin()
        .args(["client", "create", "--name", "Vendor", "--scopes", "roster.read", "--org", "no-such-org"])
        .env("DATABASE_URL", &app.database_url))
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-org"));

    let listed = run(bin().args(["client", "list"]).env("DATABASE_URL", &app.database_url)).await;
    let text = String::from_utf8(listed.stdout).unwrap();
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [v["client_id"].as_str().unwrap()], "the refused client was not registered: {text}");
    assert!(!text.contains(v["client_secret"].as_str().unwrap()), "secrets are never listed");

    let id = v["client_id"].as_str().unwrap();
    let rotated = run(bin().args(["client", "rotate-secret", id]).env("DATABASE_URL", &app.database_url)).await;
    assert!(rotated.status.success());
    let r: serde_json::Value = serde_json::from_slice(&rotated.stdout).unwrap();
    let new_secret = r["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, v["client_secret"].as_str().unwrap());
    let status = |secret: String| {
        let req = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(v["client_secret"].as_str().unwrap().to_owned()).await, 401);
    assert_eq!(status(new_secret.to_owned()).await, 200);
    let disabled = run(bin().args(["client", "disable", id]).env("DATABASE_URL", &app.database_url)).await;
    assert!(disabled.status.success());
    assert_eq!(status(new_secret.to_owned()).await, 401);
    let missing = run(bin().args(["client", "disable", "lg_nobody"]).env("DATABASE_URL", &app.database_url)).await;
    assert!(!missing.status.success());
}

#[tokio::test]
async fn client_secrets_never_reach_the_logs() {
    use std::io::{BufRead, BufReader};
    let app = spawn_app().await;
    let created = run(bin()
        .args(["client", "create", "--name", "Logged", "--scopes", "roster.read"])
        .env("DATABASE_URL", &app.database_url))
    .await;
    let v: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let (id, secret) = (v["client_id"].as_str().unwrap().to_owned(), v["client_secret"].as_str().unwrap().to_owned());

    let mut child = bin()
        .arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("LEARNERGRAPH_BIND", "127.0.0.1:0")
        .env("LEARNERGRAPH_SIGNING_KEY", &app.signing_pem)
        .env("RUST_LOG", "trace")
        .env("LEARNERGRAPH_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Logs go to stdout; read them on a thread and learn the port from the startup line.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut logs = Vec::new();
    let port = loop {
        let line = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the server starts and logs");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let port = parsed["fields"]["port"].as_u64();
        logs.push(line);
        if let Some(port) = port {
            break port;
        }
    };
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for (user, pass) in [(id.as_str(), secret.as_str()), (id.as_str(), "wrong-secret-value")] {
        http.post(format!("{base}/oauth/token"))
            .basic_auth(user, Some(pass))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
    }
    http.post(format!("{base}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    let served = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(served.contains("route=\"/oauth/token\",status=\"200\"} 2"), "both good requests were served: {served}");
    child.kill().unwrap();
    child.wait().unwrap();
    logs.extend(rx.iter());
    let all = logs.join("\n");
    assert!(all.contains("/oauth/token"), "requests were logged at trace level");
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{id}:{secret}"));
    for leak in [secret.as_str(), basic.as_str(), "wrong-secret-value"] {
        assert!(!all.contains(leak), "a secret reached the logs");
    }
}

#[tokio::test]
async fn agreements_from_the_command_line_bind_and_revoke_clients() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let url = &app.database_url;
    let cli = |args: &[&str]| {
        let mut cmd = bin();
        cmd.args(args).env("DATABASE_URL", url);
        async move { run(&mut cmd).await }
    };
    let created = cli(&[
        "agreement",
        "create",
        "--vendor",
        "Mastery Tracker Inc.",
        "--purpose",
        "mastery dashboards",
        "--elements",
        "Learner { givenName familyName } Mastery",
        "--starts",
        "2026-01-01",
        "--ends",
        "2099-06-30",
        "--signed-by",
        "Dana Privacy",
        "--school",
        "sc-school-001",
    ])
    .await;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let a: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let id = a["agreement_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("dsa_"));
    assert_eq!(a["elements"], "Learner { sourcedId givenName familyName } Mastery");
    assert_eq!(a["status"], "active");
    assert_eq!(a["schools"], serde_json::json!(["sc-school-001"]));

    let bad = cli(&[
        "agreement",
        "create",
        "--vendor",
        "V",
        "--purpose",
        "p",
        "--elements",
        "School",
        "--starts",
        "2026-01-01",
        "--ends",
        "2026-12-31",
        "--signed-by",
        "D",
    ])
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a student data type"));

    let both =
        cli(&["client", "create", "--name", "V", "--scopes", "roster.read", "--internal", "--agreement", &id]).await;
    assert!(!both.status.success(), "a client is internal or bound, not both");
    let client = cli(&["client", "create", "--name", "Tracker", "--scopes", "roster.read", "--agreement", &id]).await;
    assert!(client.status.success(), "{}", String::from_utf8_lossy(&client.stderr));
    let c: serde_json::Value = serde_json::from_slice(&client.stdout).unwrap();
    assert_eq!((c["internal"].clone(), c["agreement"].clone()), (serde_json::json!(false), serde_json::json!(id)));
    let (cid, secret) = (c["client_id"].as_str().unwrap(), c["client_secret"].as_str().unwrap());
    let vendor = app.token_for(cid, secret).await;
    let q = "{ learners(first: 10) { totalCount nodes { givenName email } } }";
    let body = app.gql(&vendor, q, serde_json::json!({})).await;
    assert_eq!(body["data"]["learners"]["totalCount"], 3, "{body}");
    assert!(body["data"]["learners"]["nodes"][0]["email"].is_null());

    let listed = cli(&["agreement", "list"]).await;
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list[0]["clients"], serde_json::json!([cid]));

    let revoked = cli(&["agreement", "revoke", &id, "--reason", "parent complaint under review"]).await;
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let r: serde_json::Value = serde_json::from_slice(&revoked.stdout).unwrap();
    assert_eq!((r["status"].as_str(), r["revoked_by"].as_str()), (Some("revoked"), Some("learnergraph")));
    // No new token (the server's cached principals follow within seconds; the GraphQL revoke
    // test checks the token held is refused at once where the change is announced in process).
    let (status, why) = app.token_response(cid, secret).await;
    assert_eq!(status, 401);
    assert!(why["error_description"].as_str().unwrap().contains("revoked"), "{why}");
    drop(vendor);
    let again = cli(&["agreement", "revoke", &id, "--reason", "again"]).await;
    assert!(!again.status.success());

    // A vendor's client registered with neither flag sees no student.
    let plain = cli(&["client", "create", "--name", "Plain", "--scopes", "roster.read"]).await;
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    let t = app.token_for(p["client_id"].as_str().unwrap(), p["client_secret"].as_str().unwrap()).await;
    let none = app.gql(&t, "{ learners(first: 10) { totalCount } }", serde_json::json!({})).await;
    assert_eq!(none["data"]["learners"]["totalCount"], 0, "{none}");
    // Made one of the district's own, its new tokens see the students.
    let plain_id = p["client_id"].as_str().unwrap();
    let made = cli(&["client", "set-agreement", plain_id, "--internal"]).await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let both = cli(&["client", "set-agreement", plain_id, "--internal", "--none"]).await;
    assert!(!both.status.success());
    let t = app.token_for(plain_id, p["client_secret"].as_str().unwrap()).await;
    let own = app.gql(&t, "{ learners(first: 10) { totalCount } }", serde_json::json!({})).await;
    assert_eq!(own["data"]["learners"]["totalCount"], 3, "{own}");
    let internal = cli(&["client", "create", "--name", "SIS", "--scopes", "roster.read", "--internal"]).await;
    let i: serde_json::Value = serde_json::from_slice(&internal.stdout).unwrap();
    let t = app.token_for(i["client_id"].as_str().unwrap(), i["client_secret"].as_str().unwrap()).await;
    let all = app.gql(&t, "{ learners(first: 10) { totalCount } }", serde_json::json!({})).await;
    assert_eq!(all["data"]["learners"]["totalCount"], 3, "{all}");
}
