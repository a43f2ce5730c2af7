//! OneRoster CSV import and export through the real binary (`learnergraph import oneroster`,
//! `export oneroster`, `import history`) and the `rosterImports` query, against the fixture sets
//! in tests/fixtures/oneroster (written from the OneRoster 1.2 CSV specification; see
//! generate.py there and invalid/README.md for the expected problems).

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use learnergraph::graphql::relay::{Kind, decode_id};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{TestApp, data, error_code, spawn_app};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oneroster");

/// The rostering types the import counts, in the order it writes them.
const TYPES: [&str; 7] = ["orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments"];

/// How many records of each type v12_bulk holds.
const BULK: [(&str, i64); 7] = [
    ("orgs", 3),
    ("academicSessions", 4),
    ("courses", 3),
    ("classes", 4),
    ("users", 11),
    ("roles", 12),
    ("enrollments", 13),
];

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lg-or-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_learnergraph"))
}

/// What one command printed and how it ended.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// stdout as JSON (Null when it is not JSON).
    pub(crate) json: Value,
}

/// Runs the binary against the app's database, off the test's runtime thread (as cli.rs does:
/// the app under test shares that thread).
async fn cli(app: &TestApp, args: &[&str]) -> Run {
    let child = bin()
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run { code: out.status.code(), stdout, stderr, json }
}

pub(crate) async fn import(app: &TestApp, path: &Path, flags: &[&str]) -> Run {
    let path = path.to_str().unwrap().to_owned();
    let mut args = vec!["import", "oneroster", path.as_str()];
    args.extend_from_slice(flags);
    cli(app, &args).await
}

/// Imports and asserts exit 0 with outcome `applied` and no problems.
pub(crate) async fn import_ok(app: &TestApp, path: &Path) -> Value {
    let run = import(app, path, &[]).await;
    assert_eq!(run.code, Some(0), "import {}: stdout {}\nstderr {}", path.display(), run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "applied", "{}", run.stdout);
    assert_eq!(run.json["problemCount"], 0, "{}", run.stdout);
    assert_eq!(run.json["problems"], json!([]), "{}", run.stdout);
    run.json
}

/// `[created, updated, unchanged, deleted, skipped]` of one type in an import report.
fn counts(report: &Value, ty: &str) -> [i64; 5] {
    let c = &report["counts"][ty];
    assert!(c.is_object(), "no counts for {ty} in {report}");
    ["created", "updated", "unchanged", "deleted", "skipped"]
        .map(|k| c[k].as_i64().unwrap_or_else(|| panic!("counts.{ty}.{k} missing in {report}")))
}

/// The counts of a type of which `n` records were all created.
fn created(n: i64) -> [i64; 5] {
    [n, 0, 0, 0, 0]
}

fn unchanged(n: i64) -> [i64; 5] {
    [0, 0, n, 0, 0]
}

fn assert_counts(report: &Value, expected: &[(&str, [i64; 5])]) {
    let got: Vec<(&str, [i64; 5])> = expected.iter().map(|(t, _)| (*t, counts(report, t))).collect();
    assert_eq!(got, expected.to_vec(), "counts (created, updated, unchanged, deleted, skipped): {report}");
    let present: BTreeSet<String> = report["counts"].as_object().unwrap().keys().cloned().collect();
    let wanted: BTreeSet<String> = expected.iter().map(|(t, _)| (*t).to_owned()).collect();
    assert_eq!(present, wanted, "one counts entry per type present in the manifest: {report}");
}

fn all_created() -> Vec<(&'static str, [i64; 5])> {
    BULK.iter().map(|(t, n)| (*t, created(*n))).collect()
}

fn all_unchanged() -> Vec<(&'static str, [i64; 5])> {
    BULK.iter().map(|(t, n)| (*t, unchanged(*n))).collect()
}

/// Rows of `sql` (every selected expression as text; `<null>` for NULL).
async fn rows(app: &TestApp, sql: &str) -> Vec<Vec<String>> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| {
            (0..r.column_names().len())
                .map(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .unwrap_or_else(|e| panic!("{sql}: column {i} is not text: {e}"))
                        .unwrap_or_else(|| "<null>".to_owned())
                })
                .collect()
        })
        .collect()
}

/// `expr` as text on both backends (NULL stays NULL).
pub(crate) fn t(expr: &str) -> String {
    format!("CAST({expr} AS TEXT)")
}

/// A boolean column as `1`/`0` on both backends.
fn b(expr: &str) -> String {
    format!("CAST(CASE WHEN {expr} THEN 1 ELSE 0 END AS TEXT)")
}

pub(crate) async fn count(app: &TestApp, sql_from: &str) -> i64 {
    let r = rows(app, &format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql_from}")).await;
    r[0][0].parse().unwrap()
}

const TABLES: [&str; 16] = [
    "orgs",
    "academic_sessions",
    "courses",
    "classes",
    "class_terms",
    "users",
    "user_orgs",
    "user_agents",
    "enrollments",
    "sync_changes",
    "gradebook_categories",
    "score_scales",
    "line_items",
    "line_item_objectives",
    "results",
    "masteries",
];

async fn table_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push((table, count(app, table).await));
    }
    out
}

/// Every rostering row the import writes, keyed by sourcedIds rather than database ids, without
/// dates of modification: two databases that imported the same content compare equal.
async fn content(app: &TestApp) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    let queries: [(&str, String); 9] = [
        (
            "orgs",
            format!(
                "SELECT o.sourced_id, {}, {}, o.name, o.identifier, p.sourced_id FROM orgs o \
                 LEFT JOIN orgs p ON p.id = o.parent_id ORDER BY o.sourced_id",
                t("o.status"),
                t("o.org_type")
            ),
        ),
        (
            "academic_sessions",
            format!(
                "SELECT s.sourced_id, {}, s.title, s.session_type, {}, {}, {}, p.sourced_id, o.sourced_id \
                 FROM academic_sessions s LEFT JOIN academic_sessions p ON p.id = s.parent_id \
                 LEFT JOIN orgs o ON o.id = s.org_id ORDER BY s.sourced_id",
                t("s.status"),
                t("s.start_date"),
                t("s.end_date"),
                t("s.school_year")
            ),
        ),
        (
            "courses",
            format!(
                "SELECT c.sourced_id, {}, c.title, c.course_code, c.subject, c.grades, c.subject_codes, \
                 o.sourced_id, y.sourced_id FROM courses c LEFT JOIN orgs o ON o.id = c.org_id \
                 LEFT JOIN academic_sessions y ON y.id = c.school_year_id ORDER BY c.sourced_id",
                t("c.status")
            ),
        ),
        (
            "classes",
            format!(
                "SELECT c.sourced_id, {}, c.title, c.class_code, c.class_type, c.subject, c.location, c.grades, \
                 c.subject_codes, c.periods, o.sourced_id, k.sourced_id, s.sourced_id FROM classes c \
                 LEFT JOIN orgs o ON o.id = c.org_id LEFT JOIN courses k ON k.id = c.course_id \
                 LEFT JOIN academic_sessions s ON s.id = c.term_id ORDER BY c.sourced_id",
                t("c.status")
            ),
        ),
        (
            "class_terms",
            format!(
                "SELECT c.sourced_id, s.sourced_id, {} FROM class_terms ct JOIN classes c ON c.id = ct.class_id \
                 JOIN academic_sessions s ON s.id = ct.term_id ORDER BY c.sourced_id, ct.position",
                t("ct.position")
            ),
        ),
        (
            "users",
            format!(
                "SELECT u.sourced_id, {}, {}, u.given_name, u.family_name, u.middle_name, u.preferred_name, \
                 u.preferred_middle_name, u.preferred_family_name, u.username, u.email, u.identifier, u.grades, \
                 {}, u.user_ids, u.sms, u.phone, u.master_identifier, u.pronouns, o.sourced_id FROM users u \
                 LEFT JOIN orgs o ON o.id = u.primary_org_id ORDER BY u.sourced_id",
                t("u.status"),
                t("u.role"),
                b("u.enabled_user")
            ),
        ),
        (
            "user_orgs",
            format!(
                "SELECT u.sourced_id, o.sourced_id, {}, {}, m.sourced_id, m.oneroster_role, {}, {} FROM user_orgs m \
                 JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id ORDER BY u.sourced_id, o.sourced_id",
                t("m.role"),
                b("m.is_primary"),
                t("m.begin_date"),
                t("m.end_date")
            ),
        ),
        (
            "user_agents",
            format!(
                "SELECT u.sourced_id, a.sourced_id, {} FROM user_agents ua JOIN users u ON u.id = ua.user_id \
                 JOIN users a ON a.id = ua.agent_id ORDER BY u.sourced_id, ua.position",
                t("ua.position")
            ),
        ),
        (
            "enrollments",
            format!(
                "SELECT e.sourced_id, {}, c.sourced_id, u.sourced_id, {}, {}, {}, {} FROM enrollments e \
                 JOIN classes c ON c.id = e.class_id JOIN users u ON u.id = e.user_id ORDER BY e.sourced_id",
                t("e.status"),
                t("e.role"),
                b("e.is_primary"),
                t("e.begin_date"),
                t("e.end_date")
            ),
        ),
    ];
    let mut out = BTreeMap::new();
    for (name, sql) in queries {
        out.insert(name, rows(app, &sql).await);
    }
    out
}

/// Each record's sourcedId with its `date_last_modified` (as text), for users, classes and
/// enrollments: what must not move when nothing changed.
async fn modified(app: &TestApp) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for table in ["orgs", "academic_sessions", "courses", "classes", "users", "enrollments"] {
        let sql = format!("SELECT '{table}', sourced_id, {} FROM {table} ORDER BY sourced_id", t("date_last_modified"));
        out.extend(rows(app, &sql).await);
    }
    out
}

/// The one value of a one-column query.
pub(crate) async fn one(app: &TestApp, sql: &str) -> String {
    let r = rows(app, sql).await;
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0][0].clone()
}

async fn status_of(app: &TestApp, table: &str, sourced_id: &str) -> String {
    one(app, &format!("SELECT {} FROM {table} WHERE sourced_id = '{sourced_id}'", t("status"))).await
}

pub(crate) async fn sync_cursor(app: &TestApp, token: &str) -> String {
    data(app.gql(token, "{ syncCursor }", json!({})).await)["syncCursor"].as_str().unwrap().to_owned()
}

/// Every change after `cursor` as `(entityType, type, sourcedId of the record)`.
pub(crate) async fn changes_after(app: &TestApp, token: &str, cursor: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut after = cursor.to_owned();
    loop {
        let d = data(
            app.gql(
                token,
                "query($after: String) { changes(after: $after, first: 500) { cursor hasMore changes { entityType type id } } }",
                json!({"after": after}),
            )
            .await,
        );
        let page = &d["changes"];
        for c in page["changes"].as_array().unwrap() {
            let (kind, id) = decode_id(c["id"].as_str().unwrap(), "id").unwrap();
            let table = match kind {
                Kind::Learner | Kind::Educator => "users",
                Kind::Class => "classes",
                Kind::Enrollment => "enrollments",
                Kind::Result => "results",
                _ => continue,
            };
            let sid = one(app, &format!("SELECT sourced_id FROM {table} WHERE id = {id}")).await;
            out.push((c["entityType"].as_str().unwrap().to_owned(), c["type"].as_str().unwrap().to_owned(), sid));
        }
        after = page["cursor"].as_str().unwrap().to_owned();
        if !page["hasMore"].as_bool().unwrap() {
            return out;
        }
    }
}

async fn school_learners(app: &TestApp, token: &str, school: &str) -> Vec<Value> {
    let d = data(
        app.gql(
            token,
            "query($s: String!) { school(sourcedId: $s) { learners(first: 100) { edges { node { sourcedId givenName familyName preferredName email grades status } } } } }",
            json!({"s": school}),
        )
        .await,
    );
    let mut out: Vec<Value> =
        d["school"]["learners"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    out.sort_by_key(|n| n["sourcedId"].as_str().unwrap().to_owned());
    out
}

fn sids(nodes: &[Value]) -> Vec<&str> {
    nodes.iter().map(|n| n["sourcedId"].as_str().unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bulk_1_2_set_imports_every_record_and_the_api_shows_them() {
    let app = spawn_app().await;
    let run = import(&app, &fixture("v12_bulk"), &[]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let progress: Vec<&str> = run.stderr.lines().filter_map(|l| l.strip_prefix("progress: writing ")).collect();
    assert_eq!(progress, TYPES, "a progress line before each type's rows, in order: {}", run.stderr);
    let report = import_ok(&app, &fixture("v12_bulk")).await;
    assert_counts(&report, &all_unchanged());
    let report = run.json;
    assert_eq!(report["version"], "1.2");
    assert_eq!(report["dryRun"], false);
    assert!(report["import"].as_i64().is_some_and(|n| n > 0), "{report}");
    assert_counts(&report, &all_created());
    assert_eq!(report["notImported"], json!(["resources.csv"]), "resources.csv is bulk in the manifest");
    for (file, mode) in [
        ("orgs", "bulk"),
        ("users", "bulk"),
        ("roles", "bulk"),
        ("resources", "bulk"),
        ("demographics", "absent"),
        ("results", "absent"),
    ] {
        assert_eq!(report["files"][file], mode, "files.{file}: {report}");
    }

    let c = content(&app).await;
    let user = |sid: &str| c["users"].iter().find(|r| r[0] == sid).unwrap_or_else(|| panic!("no user {sid}")).clone();
    // sourced_id, status, role, given, family, middle, preferred(given), preferred middle, preferred
    // family, username, email, identifier, grades, enabled, user_ids, sms, phone, master id, pronouns,
    // primary org
    let s = |v: &str| v.to_owned();
    assert_eq!(
        user("stu-1"),
        [
            "stu-1",
            "active",
            "student",
            "Ava",
            "Lopez",
            "Maria",
            "Avi",
            "<null>",
            "<null>",
            "ava.lopez",
            "ava.lopez@students.lakeside.example",
            "100001",
            "07",
            "1",
            "{SIS:100001}",
            "<null>",
            "<null>",
            "LUSD-S-0001",
            "she/her",
            "sch-north"
        ]
        .map(s)
    );
    let stu3 = user("stu-3");
    assert_eq!((stu3[7].as_str(), stu3[8].as_str()), ("Mai", "Nguyen-Tran"), "preferred middle/family names");
    let stu6 = user("stu-6");
    assert_eq!(
        (stu6[4].as_str(), stu6[5].as_str(), stu6[12].as_str(), stu6[15].as_str()),
        ("O'Brien", "Patrick", "10", "+15555550106")
    );
    let tch1 = user("tch-1");
    assert_eq!(
        (tch1[2].as_str(), tch1[5].as_str(), tch1[16].as_str(), tch1[18].as_str()),
        ("teacher", "Brewster", "+15555550201", "she/her")
    );
    assert_eq!(user("adm-1")[2], "administrator");
    let par = user("par-1");
    assert_eq!((par[2].as_str(), par[13].as_str()), ("guardian", "0"), "the guardian, enabledUser false");
    assert_eq!(c["users"].len(), 11);

    // Memberships: one per role row, the exact OneRoster role kept beside the coarse one.
    let m = |u: &str, o: &str| {
        c["user_orgs"]
            .iter()
            .find(|r| r[0] == u && r[1] == o)
            .unwrap_or_else(|| panic!("no membership {u} in {o}: {:?}", c["user_orgs"]))
            .clone()
    };
    assert_eq!(
        m("tch-1", "sch-north"),
        ["tch-1", "sch-north", "teacher", "1", "role-tch-1", "teacher", "2026-08-17", "<null>"].map(s)
    );
    assert_eq!(
        m("tch-1", "sch-south"),
        ["tch-1", "sch-south", "teacher", "0", "role-tch-1-south", "teacher", "2027-01-19", "2027-06-11"].map(s)
    );
    assert_eq!(
        m("adm-1", "d-lakeside"),
        ["adm-1", "d-lakeside", "administrator", "1", "role-adm-1", "districtAdministrator", "2020-07-01", "<null>"]
            .map(s)
    );
    assert_eq!(m("par-1", "sch-north")[2..6], ["guardian", "1", "role-par-1", "guardian"].map(s));
    assert_eq!(m("stu-5", "sch-south")[2..6], ["student", "1", "role-stu-5", "student"].map(s));
    assert_eq!(c["user_orgs"].len(), 12);

    assert_eq!(c["user_agents"], vec![["stu-1", "par-1", c["user_agents"][0][2].as_str()].map(s).to_vec()]);
    let terms: Vec<(&str, &str)> = c["class_terms"].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(
        terms,
        [
            ("cls-eng9-hr", "t-fall"),
            ("cls-math7-1", "t-fall"),
            ("cls-math7-2", "t-fall"),
            ("cls-math7-2", "t-spring"),
            ("cls-sci7-1", "t-spring")
        ]
    );
    let class = |sid: &str| c["classes"].iter().find(|r| r[0] == sid).unwrap().clone();
    // sourced_id, status, title, code, type, subject, location, grades, subject codes, periods, school, course, term
    assert_eq!(
        class("cls-math7-2"),
        [
            "cls-math7-2",
            "active",
            "Mathematics 7 - Periods 2-3",
            "MATH7-2",
            "scheduled",
            "Mathematics",
            "Room 101",
            "07",
            "02052",
            "2,3",
            "sch-north",
            "crs-math7",
            "t-fall"
        ]
        .map(s)
    );
    assert_eq!(class("cls-sci7-1")[6], "Room 12, \"East\" wing\nFloor 2", "a quoted comma, quote and newline");
    assert_eq!((class("cls-eng9-hr")[4].as_str(), class("cls-eng9-hr")[7].as_str()), ("homeroom", "09,10"));
    let eng9 = c["courses"].iter().find(|r| r[0] == "crs-eng9").unwrap().clone();
    assert_eq!(
        eng9,
        [
            "crs-eng9",
            "active",
            "English 9",
            "ENG9",
            "English,Literature",
            "09,10",
            "01001,01051",
            "sch-south",
            "ay-2027"
        ]
        .map(s)
    );
    let gp = c["academic_sessions"].iter().find(|r| r[0] == "gp-fall-q1").unwrap().clone();
    assert_eq!(
        gp,
        [
            "gp-fall-q1",
            "active",
            "Fall Quarter 1",
            "gradingPeriod",
            "2026-08-17",
            "2026-10-23",
            "2027",
            "t-fall",
            "d-lakeside"
        ]
        .map(s)
    );
    assert!(c["academic_sessions"].iter().all(|r| r[8] == "d-lakeside"), "sessions belong to the district");
    let orgs: Vec<Vec<String>> = c["orgs"].clone();
    assert_eq!(
        orgs,
        vec![
            ["d-lakeside", "active", "district", "Lakeside Unified School District", "LUSD", "<null>"].map(s).to_vec(),
            ["sch-north", "active", "school", "North Middle School", "NMS-0101", "d-lakeside"].map(s).to_vec(),
            ["sch-south", "active", "school", "South High School", "SHS-0202", "d-lakeside"].map(s).to_vec(),
        ]
    );
    let enr1 = c["enrollments"].iter().find(|r| r[0] == "enr-001").unwrap().clone();
    assert_eq!(enr1, ["enr-001", "active", "cls-math7-1", "tch-1", "teacher", "1", "2026-08-17", "2027-01-15"].map(s));
    assert_eq!(c["enrollments"].len(), 13);
    assert!(c["enrollments"].iter().all(|r| r[1] == "active"));

    // The history row.
    let h = rows(
        &app,
        &format!(
            "SELECT outcome, version, {}, {}, {} FROM roster_imports",
            b("dry_run"),
            b("skip_invalid"),
            t("problem_count")
        ),
    )
    .await;
    assert_eq!(h, vec![["applied", "1.2", "0", "0", "0"].map(s).to_vec(); 2]);

    // The API reads the school's learners as imported.
    let token = app.admin_token().await;
    let north = school_learners(&app, &token, "sch-north").await;
    assert_eq!(sids(&north), ["stu-1", "stu-2", "stu-3", "stu-4"]);
    assert_eq!(
        north[0],
        json!({"sourcedId": "stu-1", "givenName": "Ava", "familyName": "Lopez", "preferredName": "Avi",
               "email": "ava.lopez@students.lakeside.example", "grades": ["07"], "status": "ACTIVE"})
    );
    assert_eq!(sids(&school_learners(&app, &token, "sch-south").await), ["stu-5", "stu-6"]);
}

#[tokio::test]
async fn importing_the_same_set_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let latest = async || {
        let mut out = Vec::new();
        for table in ["users", "classes", "enrollments"] {
            out.extend(rows(&app, &format!("SELECT {} FROM {table}", t("MAX(date_last_modified)"))).await);
        }
        out
    };
    let before = (content(&app).await, modified(&app).await, table_counts(&app).await, latest().await);
    let second = import_ok(&app, &fixture("v12_bulk")).await;
    assert_counts(&second, &all_unchanged());
    let after = (content(&app).await, modified(&app).await, table_counts(&app).await, latest().await);
    assert_eq!(after.2, before.2, "no rows added (sync_changes included)");
    assert_eq!(after.3, before.3, "MAX(date_last_modified) of users, classes, enrollments");
    assert_eq!(after.1, before.1, "no date_last_modified moved");
    assert_eq!(after.0, before.0);
    assert_eq!(count(&app, "roster_imports").await, 2);
}

#[tokio::test]
async fn a_bulk_import_reads_every_stored_enrollment_across_pages_and_gaps_in_ids() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    // More enrollments than one page of what an import reads, with ids far apart (as inserts
    // that lost a conflict leave them): absent from the bulk file, each must be found to be
    // tombstoned.
    let extra = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 24999) \
                 INSERT INTO enrollments (id, sourced_id, status, date_last_modified, class_id, user_id, role, is_primary) \
                 SELECT 1000000 + 3 * n.i, 'extra-' || n.i, e.status, e.date_last_modified, e.class_id, e.user_id, e.role, \
                 e.is_primary FROM n, (SELECT * FROM enrollments ORDER BY id LIMIT 1) e";
    app.db.execute_unprepared(extra).await.unwrap();
    let second = import_ok(&app, &fixture("v12_bulk")).await;
    let mut expected = all_unchanged();
    expected.iter_mut().find(|(t, _)| *t == "enrollments").unwrap().1 = [0, 0, 13, 25_000, 0];
    assert_counts(&second, &expected);
    let gone = "enrollments WHERE sourced_id LIKE 'extra-%' AND status = 'tobedeleted'";
    assert_eq!(count(&app, gone).await, 25_000);
    assert_eq!(count(&app, "enrollments WHERE status = 'active'").await, 13);
}

#[tokio::test]
async fn records_absent_from_a_bulk_file_become_tombstones() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let token = app.admin_token().await;
    let cursor = sync_cursor(&app, &token).await;
    let users_before = count(&app, "users").await;

    let report = import_ok(&app, &fixture("v12_bulk_smaller")).await;
    assert_counts(
        &report,
        &[
            ("orgs", unchanged(3)),
            ("academicSessions", unchanged(4)),
            ("courses", unchanged(3)),
            ("classes", [0, 0, 3, 1, 0]),
            ("users", [0, 0, 10, 1, 0]),
            ("roles", [0, 0, 11, 1, 0]),
            ("enrollments", [0, 0, 8, 5, 0]),
        ],
    );
    // Tombstones, not deleted rows.
    assert_eq!(count(&app, "users").await, users_before);
    assert_eq!(status_of(&app, "users", "stu-6").await, "tobedeleted");
    assert_eq!(status_of(&app, "classes", "cls-sci7-1").await, "tobedeleted");
    let enr = rows(&app, &format!("SELECT sourced_id, {} FROM enrollments ORDER BY sourced_id", t("status"))).await;
    let dropped = ["enr-003", "enr-006", "enr-008", "enr-010", "enr-013"];
    for r in &enr {
        let want = if dropped.contains(&r[0].as_str()) { "tobedeleted" } else { "active" };
        assert_eq!(r[1], want, "{}", r[0]);
    }
    assert_eq!(enr.len(), 13);
    let active_users =
        rows(&app, &format!("SELECT sourced_id FROM users WHERE {} = 'active' ORDER BY sourced_id", t("status"))).await;
    assert_eq!(active_users.len(), 10);
    assert_eq!(
        sids(&school_learners(&app, &token, "sch-south").await),
        ["stu-5"],
        "the deleted learner is gone from the school"
    );

    // The changes feed carries the deletions.
    let changes = changes_after(&app, &token, &cursor).await;
    let deleted: BTreeSet<(String, String)> =
        changes.iter().filter(|c| c.1 == "DELETED").map(|c| (c.0.clone(), c.2.clone())).collect();
    let mut expected: BTreeSet<(String, String)> =
        dropped.iter().map(|e| ("ENROLLMENT".to_owned(), (*e).to_owned())).collect();
    expected.insert(("LEARNER".to_owned(), "stu-6".to_owned()));
    expected.insert(("CLASS".to_owned(), "cls-sci7-1".to_owned()));
    assert_eq!(deleted, expected, "tombstones in the feed: {changes:?}");
    assert!(
        changes.iter().all(|c| c.1 == "DELETED"),
        "nothing else changed, so nothing else is in the feed: {changes:?}"
    );

    // Importing the smaller set again: nothing more to delete.
    let again = import_ok(&app, &fixture("v12_bulk_smaller")).await;
    assert_eq!(counts(&again, "users"), unchanged(10));
    assert_eq!(counts(&again, "enrollments"), unchanged(8));
}

#[tokio::test]
async fn a_delta_changes_only_the_rows_it_lists() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let before = content(&app).await;
    let dates_before = modified(&app).await;
    let token = app.admin_token().await;
    let cursor = sync_cursor(&app, &token).await;

    let report = import_ok(&app, &fixture("v12_delta")).await;
    // enr-011 is stu-4's: deleting a user ends their enrollments, in a delta as in a bulk
    // file, and the ended ones are counted.
    assert_counts(&report, &[("users", [0, 1, 0, 1, 0]), ("enrollments", [1, 0, 0, 2, 0])]);
    assert_eq!(report["files"]["users"], "delta");
    assert_eq!(report["files"]["orgs"], "absent");
    assert_eq!(report["notImported"], json!([]));

    let after = content(&app).await;
    assert_eq!(
        one(&app, "SELECT email FROM users WHERE sourced_id = 'stu-2'").await,
        "ben.okafor2@students.lakeside.example"
    );
    assert_eq!(status_of(&app, "users", "stu-2").await, "active");
    assert_eq!(status_of(&app, "users", "stu-4").await, "tobedeleted");
    assert_eq!(status_of(&app, "enrollments", "enr-009").await, "tobedeleted");
    assert_eq!(status_of(&app, "enrollments", "enr-011").await, "tobedeleted", "ended with its user");
    let new = after["enrollments"].iter().find(|r| r[0] == "enr-014").expect("enr-014 created").clone();
    assert_eq!(
        new,
        ["enr-014", "active", "cls-math7-2", "stu-1", "student", "0", "2026-12-01", "<null>"].map(str::to_owned)
    );
    // Everything not listed is untouched, down to its date_last_modified.
    for table in ["orgs", "academic_sessions", "courses", "classes", "class_terms", "user_agents"] {
        assert_eq!(after[table], before[table], "{table}");
    }
    let untouched = |rows: &[Vec<String>], skip: &[&str]| -> Vec<Vec<String>> {
        rows.iter().filter(|r| !skip.iter().any(|s| r.contains(&(*s).to_owned()))).cloned().collect()
    };
    assert_eq!(untouched(&after["users"], &["stu-2", "stu-4"]), untouched(&before["users"], &["stu-2", "stu-4"]));
    assert_eq!(
        untouched(&after["enrollments"], &["enr-009", "enr-014", "stu-4"]),
        untouched(&before["enrollments"], &["enr-009", "enr-014", "stu-4"])
    );
    assert_eq!(
        untouched(&modified(&app).await, &["stu-2", "stu-4", "enr-009", "enr-014", "enr-011"]),
        untouched(&dates_before, &["stu-2", "stu-4", "enr-009", "enr-014", "enr-011"])
    );
    let changes = changes_after(&app, &token, &cursor).await;
    for expected in [
        ("LEARNER", "UPSERTED", "stu-2"),
        ("LEARNER", "DELETED", "stu-4"),
        ("ENROLLMENT", "UPSERTED", "enr-014"),
        ("ENROLLMENT", "DELETED", "enr-009"),
        ("ENROLLMENT", "DELETED", "enr-011"),
    ] {
        let e = (expected.0.to_owned(), expected.1.to_owned(), expected.2.to_owned());
        assert!(changes.contains(&e), "{expected:?} in {changes:?}");
    }
    // A second application of the same delta changes nothing more.
    let again = import_ok(&app, &fixture("v12_delta")).await;
    let c = |ty| counts(&again, ty);
    assert_eq!((c("users")[0], c("users")[1], c("enrollments")[0], c("enrollments")[1]), (0, 0, 0, 0), "{again}");
}

#[tokio::test]
async fn a_1_1_set_gives_the_same_people_and_memberships_as_1_2() {
    let v12 = spawn_app().await;
    import_ok(&v12, &fixture("v12_bulk")).await;
    let v11 = spawn_app().await;
    let report = import_ok(&v11, &fixture("v11_bulk")).await;
    assert_eq!(report["version"], "1.1");
    // 1.1 has no roles.csv: the memberships come from users.csv (orgSourcedIds and role), and
    // are counted as roles all the same (one per user and org: 12, as in 1.2). The contract's
    // "one entry per type present" reads as one per type imported here.
    assert_counts(&report, &all_created());

    let (a, b12) = (content(&v11).await, content(&v12).await);
    for table in ["orgs", "academic_sessions", "courses", "classes", "class_terms", "user_agents", "enrollments"] {
        assert_eq!(a[table], b12[table], "{table}");
    }
    // Users: the columns 1.1 has (sourcedId .. grades, enabledUser, userIds, sms, phone).
    let cols = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16].iter().map(|i| r[*i].clone()).collect())
            .collect()
    };
    assert_eq!(cols(&a["users"]), cols(&b12["users"]));
    // Memberships: user, org, coarse role.
    let mem = |rows: &[Vec<String>]| -> Vec<Vec<String>> { rows.iter().map(|r| r[..3].to_vec()).collect() };
    assert_eq!(mem(&a["user_orgs"]), mem(&b12["user_orgs"]));
    // A 1.1 set is as idempotent as a 1.2 one.
    let dates = modified(&v11).await;
    assert_counts(&import_ok(&v11, &fixture("v11_bulk")).await, &all_unchanged());
    assert_eq!(content(&v11).await, a);
    assert_eq!(modified(&v11).await, dates);
}

#[tokio::test]
async fn a_messy_export_imports_to_exactly_the_clean_sets_rows() {
    let clean = spawn_app().await;
    let clean_report = import_ok(&clean, &fixture("v12_bulk")).await;
    let messy = spawn_app().await;
    let report = import_ok(&messy, &fixture("messy")).await;
    assert_eq!(report["counts"], clean_report["counts"]);
    let run = import(&messy, &fixture("messy"), &[]).await;
    assert!(
        run.stderr.lines().any(|l| l.starts_with("warning: ") && l.contains("favouriteColour")),
        "the warning on stderr: {}",
        run.stderr
    );
    assert_counts(&run.json, &all_unchanged());
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["file"] == "users.csv" && w["line"] == 1 && w["column"] == "favouriteColour"),
        "the unknown column is a warning: {report}"
    );
    let (a, b) = (content(&messy).await, content(&clean).await);
    for (table, rows) in &b {
        assert_eq!(&a[table], rows, "{table}");
    }
}

#[tokio::test]
async fn a_dry_run_counts_what_an_import_would_do_and_writes_only_its_history_row() {
    let app = spawn_app().await;
    let empty = table_counts(&app).await;
    let run = import(&app, &fixture("v12_bulk"), &["--dry-run"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "dry_run");
    assert_eq!(run.json["dryRun"], true);
    assert_counts(&run.json, &all_created());
    assert_eq!(table_counts(&app).await, empty, "nothing written");

    // After a real import, a dry run of the smaller set counts its deletions and deletes nothing.
    import_ok(&app, &fixture("v12_bulk")).await;
    let before = (content(&app).await, modified(&app).await, table_counts(&app).await);
    let run = import(&app, &fixture("v12_bulk_smaller"), &["--dry-run"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(counts(&run.json, "users"), [0, 0, 10, 1, 0]);
    assert_eq!(counts(&run.json, "enrollments"), [0, 0, 8, 5, 0]);
    assert_eq!(counts(&run.json, "classes"), [0, 0, 3, 1, 0]);
    assert_eq!((content(&app).await, modified(&app).await, table_counts(&app).await), before);

    // A dry run that finds problems exits 1.
    let bad = import(&app, &fixture("invalid"), &["--dry-run"]).await;
    assert_eq!(bad.code, Some(1), "{}", bad.stdout);
    assert_eq!(bad.json["outcome"], "dry_run");
    assert!(bad.json["problemCount"].as_i64().unwrap() >= 22, "{}", bad.stdout);
    assert_eq!((content(&app).await, modified(&app).await, table_counts(&app).await), before);

    let h = rows(&app, &format!("SELECT outcome, {} FROM roster_imports ORDER BY id", b("dry_run"))).await;
    let h: Vec<(&str, &str)> = h.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(h, [("dry_run", "1"), ("applied", "0"), ("dry_run", "1"), ("dry_run", "1")]);
}

/// `(file, line, column)` of a problem.
type Problem = (String, i64, String);

/// `(file, line, column)` of the problems invalid/README.md lists, and of the rows that depend
/// on them (which an importer may report too, and must with --skip-invalid).
fn expected_problems() -> (BTreeSet<Problem>, BTreeSet<Problem>) {
    let readme = std::fs::read_to_string(fixture("invalid/README.md")).unwrap();
    let parse = |section: &str| -> BTreeSet<Problem> {
        readme
            .split(section)
            .nth(1)
            .unwrap()
            .lines()
            .skip_while(|l| !l.starts_with("    "))
            .take_while(|l| l.starts_with("    "))
            .map(|l| {
                let mut p = l.trim().splitn(4, ':');
                let file = p.next().unwrap().to_owned();
                let line = p.next().unwrap().parse().unwrap();
                let column = p.next().unwrap().trim().to_owned();
                (file, line, column)
            })
            .collect()
    };
    let direct = parse("Expected problems");
    let dependent = parse("Rows that depend");
    assert_eq!((direct.len(), dependent.len()), (22, 5), "README parsed");
    (direct, dependent)
}

fn problems_of(report: &Value) -> BTreeSet<Problem> {
    report["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems array: {report}"))
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_owned(),
                p["line"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The bad records of invalid/ (none may be written, with or without --skip-invalid).
const BAD: [(&str, &[&str]); 5] = [
    ("orgs", &["org-bad-type", "org-no-name"]),
    ("academic_sessions", &["ses-bad-type", "ses-bad-date", "ses-end-before"]),
    ("courses", &["crs-bad-grade", "crs-no-org"]),
    ("classes", &["cls-bad-type", "cls-no-course", "cls-no-school", "cls-no-term"]),
    ("users", &["usr-maybe", "usr-bad-email", "usr-no-agent"]),
];
const BAD_ROLES: [&str; 7] = [
    "role-bad-role",
    "role-bad-roletype",
    "role-no-user",
    "role-no-org",
    "role-usr-maybe",
    "role-usr-bad-email",
    "role-usr-no-agent",
];
const BAD_ENROLLMENTS: [&str; 4] = ["enr-no-class", "enr-no-user", "enr-deleted", "enr-usr-maybe"];

#[tokio::test]
async fn an_invalid_set_is_rejected_whole_and_every_problem_is_named() {
    let app = spawn_app().await;
    let empty = table_counts(&app).await;
    let (direct, dependent) = expected_problems();
    let run = import(&app, &fixture("invalid"), &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "rejected", "{}", run.stdout);
    let got = problems_of(&run.json);
    let missing: Vec<_> = direct.difference(&got).collect();
    assert!(missing.is_empty(), "problems not reported: {missing:?}\nreported: {got:?}");
    let first_dup = ("users.csv".to_owned(), 16, "sourcedId".to_owned());
    let unexpected: Vec<_> =
        got.iter().filter(|p| !direct.contains(p) && !dependent.contains(p) && **p != first_dup).collect();
    assert!(unexpected.is_empty(), "problems on valid rows: {unexpected:?}\n{}", run.stdout);
    assert_eq!(run.json["problemCount"].as_i64(), Some(run.json["problems"].as_array().unwrap().len() as i64));
    for (file, line, column) in &direct {
        let prefix = format!("{file}:{line}: {column}: ");
        assert!(run.stderr.lines().any(|l| l.starts_with(&prefix)), "stderr names {prefix}\n{}", run.stderr);
    }
    assert_eq!(table_counts(&app).await, empty, "nothing written");
    let h = rows(&app, &format!("SELECT outcome, {} FROM roster_imports", t("problem_count"))).await;
    assert_eq!(h, vec![vec!["rejected".to_owned(), got.len().to_string()]]);

    // A missing required column is one problem on the header line, and nothing is written.
    let run = import(&app, &fixture("invalid_missing_column"), &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "rejected");
    assert!(
        problems_of(&run.json).contains(&("enrollments.csv".to_owned(), 1, "userSourcedId".to_owned())),
        "{}",
        run.stdout
    );
    assert!(run.stderr.lines().any(|l| l.starts_with("enrollments.csv:1: userSourcedId: ")), "{}", run.stderr);
    assert_eq!(table_counts(&app).await, empty, "nothing written");
}

#[tokio::test]
async fn skip_invalid_writes_the_valid_rows_and_none_of_the_invalid_or_dependent_ones() {
    let app = spawn_app().await;
    let (direct, dependent) = expected_problems();
    let run = import(&app, &fixture("invalid"), &["--skip-invalid"]).await;
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "applied_with_skips");
    let got = problems_of(&run.json);
    // role-usr-dup depends on usr-dup, which is a dependency only when no usr-dup row was kept.
    let dup_kept = count(&app, "users WHERE sourced_id = 'usr-dup'").await == 1;
    let role_dup = ("roles.csv".to_owned(), 17, "userSourcedId".to_owned());
    let exempt = |p: &Problem| dup_kept && *p == role_dup;
    let missing: Vec<_> = direct.union(&dependent).filter(|p| !got.contains(*p) && !exempt(p)).collect();
    assert!(missing.is_empty(), "skipped rows not reported: {missing:?}\nreported: {got:?}");
    assert_eq!(counts(&run.json, "orgs"), [3, 0, 0, 0, 2]);
    assert_eq!(counts(&run.json, "academicSessions"), [4, 0, 0, 0, 3]);
    assert_eq!(counts(&run.json, "courses"), [3, 0, 0, 0, 2]);
    assert_eq!(counts(&run.json, "classes"), [4, 0, 0, 0, 4]);
    assert_eq!(counts(&run.json, "enrollments"), [13, 0, 0, 0, 4]);

    // Every valid v12_bulk record is there...
    let clean = spawn_app().await;
    import_ok(&clean, &fixture("v12_bulk")).await;
    let (want, have) = (content(&clean).await, content(&app).await);
    for table in ["orgs", "academic_sessions", "courses", "classes", "class_terms", "user_agents", "enrollments"] {
        assert_eq!(have[table], want[table], "{table}");
    }
    let without_dup =
        |rows: &[Vec<String>]| -> Vec<Vec<String>> { rows.iter().filter(|r| r[0] != "usr-dup").cloned().collect() };
    assert_eq!(without_dup(&have["users"]), want["users"]);
    let m = |rows: &[Vec<String>]| -> Vec<Vec<String>> { rows.iter().filter(|r| r[0] != "usr-dup").cloned().collect() };
    assert_eq!(m(&have["user_orgs"]), want["user_orgs"]);
    // ...and none of the invalid ones or those depending on them.
    for (table, bad) in BAD {
        for sid in bad {
            assert_eq!(count(&app, &format!("{table} WHERE sourced_id = '{sid}'")).await, 0, "{table} {sid}");
        }
    }
    for sid in BAD_ROLES {
        assert_eq!(count(&app, &format!("user_orgs WHERE sourced_id = '{sid}'")).await, 0, "{sid}");
    }
    for sid in BAD_ENROLLMENTS {
        assert_eq!(count(&app, &format!("enrollments WHERE sourced_id = '{sid}'")).await, 0, "{sid}");
    }
    let h =
        rows(&app, &format!("SELECT outcome, {}, {} FROM roster_imports", b("skip_invalid"), t("problem_count"))).await;
    assert_eq!(h, vec![vec!["applied_with_skips".to_owned(), "1".to_owned(), got.len().to_string()]]);
}

/// Zips the files of `dir` (at the archive's root) into `zip_path`.
fn zip_dir(dir: &Path, zip_path: &Path) {
    let file = std::fs::File::create(zip_path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for path in names.iter().filter(|p| p.extension().is_some_and(|e| e == "csv")) {
        zip.start_file(path.file_name().unwrap().to_str().unwrap(), options).unwrap();
        zip.write_all(&std::fs::read(path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[tokio::test]
async fn a_zipped_set_imports_like_its_directory() {
    let dir = temp_dir("zip");
    let zip_path = dir.join("roster.zip");
    zip_dir(&fixture("v12_bulk"), &zip_path);
    let zipped = spawn_app().await;
    let report = import_ok(&zipped, &zip_path).await;
    assert_counts(&report, &all_created());
    assert_eq!(report["notImported"], json!(["resources.csv"]));
    let plain = spawn_app().await;
    import_ok(&plain, &fixture("v12_bulk")).await;
    assert_eq!(content(&zipped).await, content(&plain).await);
    // And again: unchanged.
    assert_counts(&import_ok(&zipped, &zip_path).await, &all_unchanged());
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes a big 1.2 bulk set: one school, `students` students each in 5 of 20 classes.
fn big_set(dir: &Path, students: usize) -> usize {
    let w = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    let mut manifest = String::from("propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\n");
    for f in TYPES {
        manifest.push_str(&format!("file.{f},bulk\n"));
    }
    manifest.push_str("source.systemName,Big SIS\n");
    w("manifest.csv", manifest);
    w(
        "orgs.csv",
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nbig-d,,,Big District,district,BD,\nbig-s,,,Big School,school,BS,big-d\n".into(),
    );
    w(
        "academicSessions.csv",
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\nbig-y,,,2026-2027,schoolYear,2026-08-17,2027-06-11,,2027\nbig-t,,,Fall,term,2026-08-17,2027-01-15,big-y,2027\n".into(),
    );
    w(
        "courses.csv",
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\nbig-c,,,big-y,Big Course,BIG,07,big-s,Mathematics,\n".into(),
    );
    let classes = 20;
    let mut s = String::from(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n",
    );
    for c in 0..classes {
        s.push_str(&format!("big-cls-{c},,,Class {c},07,big-c,C{c},scheduled,,big-s,big-t,Mathematics,,\n"));
    }
    w("classes.csv", s);
    let mut users = String::from(
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n",
    );
    let mut roles = String::from(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n",
    );
    let mut enr = String::from(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n",
    );
    let mut n_enr = 0;
    for c in 0..classes {
        users.push_str(&format!("big-t-{c},,,true,bt{c},,Teacher,Number{c},,,bt{c}@big.example,,,,,,,,,,,big-s,\n"));
        roles.push_str(&format!("big-rt-{c},,,big-t-{c},primary,teacher,,,big-s,\n"));
        enr.push_str(&format!("big-et-{c},,,big-cls-{c},big-s,big-t-{c},teacher,true,,\n"));
        n_enr += 1;
    }
    for i in 0..students {
        users.push_str(&format!(
            "big-s-{i},,,true,bs{i},,Student,Number{i},,{i},bs{i}@big.example,,,,07,,,,,,,big-s,\n"
        ));
        roles.push_str(&format!("big-rs-{i},,,big-s-{i},primary,student,,,big-s,\n"));
        for k in 0..5 {
            let c = (i + k * 4) % classes;
            enr.push_str(&format!("big-e-{i}-{k},,,big-cls-{c},big-s,big-s-{i},student,false,,\n"));
            n_enr += 1;
        }
    }
    w("users.csv", users);
    w("roles.csv", roles);
    w("enrollments.csv", enr);
    n_enr
}

#[tokio::test]
async fn a_killed_import_leaves_nothing_and_the_next_one_succeeds() {
    let app = spawn_app().await;
    let dir = temp_dir("big");
    let students = 4000;
    let enrollments = big_set(&dir, students) as i64;
    let mut child = bin()
        .args(["import", "oneroster", dir.to_str().unwrap()])
        .env("DATABASE_URL", &app.database_url)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (status, seen) = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let reached = line == "progress: writing enrollments";
            seen.push(line);
            if reached {
                child.kill().unwrap();
                break;
            }
        }
        (child.wait().unwrap(), seen)
    })
    .await
    .unwrap();
    assert!(seen.iter().any(|l| l == "progress: writing enrollments"), "never reached enrollments: {seen:?}");
    assert!(!status.success(), "the import finished before it was killed (make the set bigger): {seen:?}");
    for (table, pattern) in [("orgs", "big-%"), ("users", "big-%"), ("enrollments", "big-%"), ("classes", "big-%")] {
        assert_eq!(
            count(&app, &format!("{table} WHERE sourced_id LIKE '{pattern}'")).await,
            0,
            "{table} after the kill"
        );
    }
    assert_eq!(count(&app, "user_orgs").await, 0);
    assert_eq!(count(&app, "sync_changes").await, 0);

    let report = import_ok(&app, &dir).await;
    assert_counts(
        &report,
        &[
            ("orgs", created(2)),
            ("academicSessions", created(2)),
            ("courses", created(1)),
            ("classes", created(20)),
            ("users", created(students as i64 + 20)),
            ("roles", created(students as i64 + 20)),
            ("enrollments", created(enrollments)),
        ],
    );
    assert_eq!(count(&app, "enrollments").await, enrollments);
    // The killed import is not left "running" in the history: it is gone with its transaction,
    // or marked interrupted.
    let history = cli(&app, &["import", "history"]).await;
    assert_eq!(history.code, Some(0), "{}", history.stderr);
    let outcomes: Vec<&str> = history.json.as_array().unwrap().iter().map(|h| h["outcome"].as_str().unwrap()).collect();
    assert!(outcomes == ["applied"] || outcomes == ["applied", "interrupted"], "{outcomes:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn an_export_imports_back_unchanged_as_a_directory_and_as_a_zip() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let before = (content(&app).await, modified(&app).await, table_counts(&app).await);
    let dir = temp_dir("export");
    let run = cli(&app, &["export", "oneroster", dir.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    // The gradebook is exported too (the district has none: empty bulk files).
    let expected_counts: serde_json::Map<String, Value> = BULK
        .iter()
        .map(|(t, n)| ((*t).to_owned(), json!(n)))
        .chain(GRADEBOOK.iter().map(|t| ((*t).to_owned(), json!(0))))
        .collect();
    let with_gradebook = |mut v: Vec<(&'static str, [i64; 5])>| {
        v.extend(GRADEBOOK.map(|t| (t, [0; 5])));
        v
    };
    assert_eq!(run.json["counts"], Value::Object(expected_counts.clone()), "{}", run.stdout);
    for f in [
        "manifest.csv",
        "orgs.csv",
        "academicSessions.csv",
        "courses.csv",
        "classes.csv",
        "users.csv",
        "roles.csv",
        "enrollments.csv",
    ] {
        assert!(dir.join(f).is_file(), "{f} exported");
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    let manifest: BTreeMap<&str, &str> =
        manifest.lines().skip(1).filter_map(|l| l.trim_end_matches('\r').split_once(',')).collect();
    assert_eq!(manifest.get("oneroster.version"), Some(&"1.2"), "{manifest:?}");
    for ty in TYPES {
        assert_eq!(manifest.get(format!("file.{ty}").as_str()), Some(&"bulk"), "{manifest:?}");
    }
    assert_eq!(manifest.get("file.resources"), Some(&"absent"), "{manifest:?}");

    let again = import_ok(&app, &dir).await;
    assert_counts(&again, &with_gradebook(all_unchanged()));
    assert_eq!(again["notImported"], json!([]));
    assert_eq!((content(&app).await, modified(&app).await, table_counts(&app).await), before);

    // --zip: DIR/oneroster.zip, which a fresh database imports to the same rows.
    let zdir = temp_dir("export-zip");
    let run = cli(&app, &["export", "oneroster", zdir.to_str().unwrap(), "--zip"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["counts"], Value::Object(expected_counts));
    let zip_path = zdir.join("oneroster.zip");
    assert!(zip_path.is_file(), "{}", run.stdout);
    let fresh = spawn_app().await;
    assert_counts(&import_ok(&fresh, &zip_path).await, &with_gradebook(all_created()));
    assert_eq!(content(&fresh).await, before.0);
    assert_counts(&import_ok(&app, &zip_path).await, &with_gradebook(all_unchanged()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&zdir).ok();
}

const ROSTER_IMPORTS: &str = "{ rosterImports(first: 10) { edges { node { id startedAt finishedAt ranBy source version outcome dryRun skipInvalid problemCount counts { type created updated unchanged deleted skipped } problems { file line column message value } } } } }";

#[tokio::test]
async fn import_history_lists_imports_newest_first_and_rosterimports_is_for_admins() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let dry = import(&app, &fixture("v12_bulk_smaller"), &["--dry-run"]).await;
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    let bad = import(&app, &fixture("invalid"), &[]).await;
    assert_eq!(bad.code, Some(1));
    let ids: Vec<i64> = [&bad.json, &dry.json].iter().map(|r| r["import"].as_i64().unwrap()).collect();

    let run = cli(&app, &["import", "history"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let list = run.json.as_array().unwrap_or_else(|| panic!("not an array: {}", run.stdout));
    let outcomes: Vec<&str> = list.iter().map(|h| h["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["rejected", "dry_run", "applied"]);
    let listed: Vec<i64> = list.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert_eq!(listed[..2], ids[..], "ids match the import reports");
    assert!(listed[0] > listed[1] && listed[1] > listed[2], "newest first: {listed:?}");
    assert_eq!(list[0]["problemCount"].as_i64(), bad.json["problemCount"].as_i64());
    assert_eq!(list[0]["problems"].as_array().map(Vec::len), bad.json["problems"].as_array().map(Vec::len));
    assert_eq!((list[1]["dryRun"].as_bool(), list[2]["dryRun"].as_bool()), (Some(true), Some(false)));
    assert_eq!(list[2]["version"], "1.2");
    assert_eq!(list[2]["counts"]["users"]["created"], 11, "{}", list[2]);
    for h in list {
        for field in ["startedAt", "finishedAt", "source", "skipInvalid", "version", "counts"] {
            assert!(h.get(field).is_some_and(|v| !v.is_null()), "{field} in {h}");
        }
        assert!(h.get("ranBy").is_some(), "ranBy in {h}");
    }
    let run = cli(&app, &["import", "history", "--limit", "2"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let limited: Vec<&str> = run.json.as_array().unwrap().iter().map(|h| h["outcome"].as_str().unwrap()).collect();
    assert_eq!(limited, ["rejected", "dry_run"]);

    // GraphQL, for the admin scope.
    let admin = app.admin_token().await;
    let d = data(app.gql(&admin, ROSTER_IMPORTS, json!({})).await);
    let nodes: Vec<&Value> = d["rosterImports"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
    // A connection pages in id order, as the API's other connections do (oldest first).
    let outcomes: Vec<&str> = nodes.iter().map(|n| n["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["APPLIED", "DRY_RUN", "REJECTED"]);
    let applied = nodes[0];
    assert_eq!(
        (applied["dryRun"].as_bool(), applied["version"].as_str(), applied["problemCount"].as_i64()),
        (Some(false), Some("1.2"), Some(0))
    );
    let users = applied["counts"].as_array().unwrap().iter().find(|c| c["type"] == "users").unwrap();
    assert_eq!(
        users,
        &json!({"type": "users", "created": 11, "updated": 0, "unchanged": 0, "deleted": 0, "skipped": 0})
    );
    let rejected = nodes[2];
    assert_eq!(rejected["problemCount"].as_i64(), bad.json["problemCount"].as_i64());
    assert!(
        rejected["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["file"] == "users.csv" && p["line"] == 14 && p["column"] == "email"),
        "{rejected}"
    );

    // Paged one at a time, the same three.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = data(
            app.gql(
                &admin,
                "query($after: String) { rosterImports(first: 1, after: $after) { pageInfo { hasNextPage endCursor } edges { node { outcome } } } }",
                json!({"after": after}),
            )
            .await,
        );
        let conn = &d["rosterImports"];
        paged.extend(
            conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["outcome"].as_str().unwrap().to_owned()),
        );
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, outcomes);

    // Without the admin scope: FORBIDDEN, and no data.
    let reader = app.token("roster.read roster.write profiles.read", &[]).await;
    let body = app.gql(&reader, ROSTER_IMPORTS, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert!(body["data"].is_null() || body["data"]["rosterImports"].is_null(), "{body}");
}

/// A copy of fixture set `name` in a temporary directory, to edit.
fn copy_set(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Replaces `from` (which must occur exactly once) with `to` in `dir/file`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn file_lines(report: &Value) -> BTreeSet<(String, i64)> {
    problems_of(report).into_iter().map(|(f, l, _)| (f, l)).collect()
}

#[tokio::test]
async fn problem_lines_count_physical_lines_through_a_bom_crlf_and_quoted_newlines() {
    let app = spawn_app().await;
    let dir = copy_set("messy");
    // users.csv (BOM, CRLF, reordered columns): stu-2 is on line 3.
    edit(&dir, "users.csv", "ben.okafor@students.lakeside.example", "ben.okafor.students.lakeside.example");
    // classes.csv: cls-sci7-1 spans lines 4-5, so cls-eng9-hr starts on line 6.
    edit(&dir, "classes.csv", ",homeroom,", ",lab,");
    let run = import(&app, &dir, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let got = problems_of(&run.json);
    for p in [("users.csv", 3, "email"), ("classes.csv", 6, "classType")] {
        assert!(got.contains(&(p.0.to_owned(), p.1, p.2.to_owned())), "{p:?} in {got:?}");
        assert!(run.stderr.lines().any(|l| l.starts_with(&format!("{}:{}: {}: ", p.0, p.1, p.2))), "{}", run.stderr);
    }
    // Besides those, at most the rows depending on them: stu-2's role and enrollments (enr-007,
    // -008) and the enrollments in the bad class (enr-004, -012, -013).
    let allowed: BTreeSet<(String, i64)> = [
        ("users.csv", 3),
        ("classes.csv", 6),
        ("roles.csv", 3),
        ("enrollments.csv", 8),
        ("enrollments.csv", 9),
        ("enrollments.csv", 5),
        ("enrollments.csv", 13),
        ("enrollments.csv", 14),
    ]
    .iter()
    .map(|(f, l)| ((*f).to_owned(), *l))
    .collect();
    assert!(file_lines(&run.json).is_subset(&allowed), "{got:?}");
    assert_eq!(count(&app, "users").await, 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_broken_manifest_or_a_missing_file_rejects_the_set_on_the_line_at_fault() {
    let app = spawn_app().await;
    let empty = table_counts(&app).await;
    let manifest_line = |dir: &Path, key: &str| -> i64 {
        let text = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
        text.lines().position(|l| l.starts_with(&format!("{key},"))).unwrap() as i64 + 1
    };
    let rejected = async |dir: &Path, what: &str| -> Value {
        let run = import(&app, dir, &[]).await;
        assert_eq!(run.code, Some(1), "{what}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(run.json["outcome"], "rejected", "{what}: {}", run.stdout);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run.json
    };

    // No manifest at all: not a OneRoster set. Either a rejected import naming manifest.csv, or
    // (as for a path that is not there) one `error:` line naming it; exit 1 both ways.
    let dir = copy_set("v12_bulk");
    std::fs::remove_file(dir.join("manifest.csv")).unwrap();
    let run = import(&app, &dir, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    if run.json.is_null() {
        let lines: Vec<&str> = run.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error: ") && lines[0].contains("manifest.csv"),
            "{}",
            run.stderr
        );
    } else {
        assert_eq!(run.json["outcome"], "rejected", "{}", run.stdout);
        assert!(problems_of(&run.json).iter().any(|p| p.0 == "manifest.csv"), "{}", run.stdout);
    }

    // The manifest says users.csv is there; it is not.
    let dir = copy_set("v12_bulk");
    std::fs::remove_file(dir.join("users.csv")).unwrap();
    let listed = manifest_line(&dir, "file.users");
    let r = rejected(&dir, "users.csv missing").await;
    let at = file_lines(&r);
    assert!(
        at.contains(&("users.csv".to_owned(), 1)) || at.contains(&("manifest.csv".to_owned(), listed)),
        "the missing file, or the manifest line that lists it: {r}"
    );

    // An unknown processing mode.
    let dir = copy_set("v12_bulk");
    let line = manifest_line(&dir, "file.users");
    edit(&dir, "manifest.csv", "file.users,bulk", "file.users,full");
    let r = rejected(&dir, "mode full").await;
    assert!(file_lines(&r).contains(&("manifest.csv".to_owned(), line)), "{r}");

    // A OneRoster version the importer does not read.
    let dir = copy_set("v12_bulk");
    let line = manifest_line(&dir, "oneroster.version");
    edit(&dir, "manifest.csv", "oneroster.version,1.2", "oneroster.version,1.0");
    let r = rejected(&dir, "version 1.0").await;
    assert_eq!(file_lines(&r), BTreeSet::from([("manifest.csv".to_owned(), line)]), "{r}");

    assert_eq!(table_counts(&app).await, empty, "nothing written");
    assert!((3..=4).contains(&count(&app, "roster_imports WHERE outcome = 'rejected'").await));
}

#[tokio::test]
async fn a_delta_row_without_a_status_is_a_problem() {
    // In a delta file every row says whether it is active or to be deleted (1.2 CSV, 2.1).
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let before = (content(&app).await, modified(&app).await);
    let dir = copy_set("v12_delta");
    edit(&dir, "users.csv", "stu-2,active,", "stu-2,,");
    let run = import(&app, &dir, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(problems_of(&run.json).contains(&("users.csv".to_owned(), 2, "status".to_owned())), "{}", run.stdout);
    assert_eq!((content(&app).await, modified(&app).await), before);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_record_back_in_a_later_bulk_file_is_active_again() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    import_ok(&app, &fixture("v12_bulk_smaller")).await;
    let token = app.admin_token().await;
    let cursor = sync_cursor(&app, &token).await;
    let report = import_ok(&app, &fixture("v12_bulk")).await;
    assert_eq!(counts(&report, "users"), [0, 1, 10, 0, 0], "{report}");
    assert_eq!(counts(&report, "classes"), [0, 1, 3, 0, 0], "{report}");
    assert_eq!(counts(&report, "enrollments"), [0, 5, 8, 0, 0], "{report}");
    let fresh = spawn_app().await;
    import_ok(&fresh, &fixture("v12_bulk")).await;
    assert_eq!(content(&app).await, content(&fresh).await, "exactly as if it had never gone");
    let changes = changes_after(&app, &token, &cursor).await;
    for sid in ["stu-6", "cls-sci7-1", "enr-013"] {
        assert!(changes.iter().any(|c| c.1 == "UPSERTED" && c.2 == sid), "{sid} in {changes:?}");
    }
    assert_eq!(sids(&school_learners(&app, &token, "sch-south").await), ["stu-5", "stu-6"]);
}

#[tokio::test]
async fn an_export_holds_only_active_records_under_the_spec_headers() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    import_ok(&app, &fixture("v12_bulk_smaller")).await;
    let dir = temp_dir("export-active");
    let run = cli(&app, &["export", "oneroster", dir.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json["counts"],
        json!({"orgs": 3, "academicSessions": 4, "courses": 3, "classes": 3, "users": 10, "roles": 11, "enrollments": 8,
            "categories": 0, "scoreScales": 0, "lineItems": 0, "lineItemLearningObjectiveIds": 0, "results": 0})
    );
    for ty in TYPES {
        let file = format!("{ty}.csv");
        let exported = std::fs::read_to_string(dir.join(&file)).unwrap();
        let spec = std::fs::read_to_string(fixture("v12_bulk").join(&file)).unwrap();
        let header =
            |text: &str| text.trim_start_matches('\u{feff}').lines().next().unwrap().trim_end_matches('\r').to_owned();
        assert_eq!(header(&exported), header(&spec), "{file}: the 1.2 columns in the spec's order");
        for gone in ["stu-6", "cls-sci7-1", "enr-013", "enr-003"] {
            assert!(!exported.lines().any(|l| l.starts_with(&format!("{gone},"))), "{gone} exported in {file}");
        }
    }
    // Imported into a fresh database it is the smaller set.
    let fresh = spawn_app().await;
    import_ok(&fresh, &dir).await;
    let other = spawn_app().await;
    import_ok(&other, &fixture("v12_bulk_smaller")).await;
    assert_eq!(content(&fresh).await, content(&other).await);
    std::fs::remove_dir_all(&dir).ok();
}

const DEMOGRAPHICS: &str = "{ learner(sourcedId: \"stu-1\") { sourcedId demographics { birthDate sex americanIndianOrAlaskaNative asian blackOrAfricanAmerican nativeHawaiianOrOtherPacificIslander white demographicRaceTwoOrMoreRaces hispanicOrLatinoEthnicity countryOfBirthCode stateOfBirthAbbreviation cityOfBirth publicSchoolResidenceStatus } } }";

/// v12_bulk with a demographics.csv (bulk) for stu-1.
fn set_with_demographics() -> PathBuf {
    let dir = copy_set("v12_bulk");
    edit(&dir, "manifest.csv", "file.demographics,absent", "file.demographics,bulk");
    std::fs::write(
        dir.join("demographics.csv"),
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus\nstu-1,,,2014-03-02,female,false,false,false,false,true,false,true,US,CA,Fresno,\n",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn demographics_are_imported_exported_and_read_only_when_asked_for() {
    let dir = set_with_demographics();
    let sensitive = "roster.read roster.demographics.read";

    // Without --with-demographics: reported as not imported, nothing to read.
    let app = spawn_app().await;
    let report = import_ok(&app, &dir).await;
    assert_eq!(report["notImported"], json!(["demographics.csv", "resources.csv"]), "{report}");
    assert_counts(&report, &all_created());
    let reader = app.token(sensitive, &[]).await;
    let d = data(app.gql(&reader, DEMOGRAPHICS, json!({})).await);
    assert_eq!(d["learner"]["demographics"], Value::Null, "{d}");

    // With it: stored, and read with the scope only.
    let with = spawn_app().await;
    let run = import(&with, &dir, &["--with-demographics"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["notImported"], json!(["resources.csv"]), "{}", run.stdout);
    for (ty, n) in BULK {
        assert_eq!(counts(&run.json, ty), created(n), "{ty}: {}", run.stdout);
    }
    let reader = with.token(sensitive, &[]).await;
    let d = data(with.gql(&reader, DEMOGRAPHICS, json!({})).await);
    assert_eq!(
        d["learner"]["demographics"],
        json!({"birthDate": "2014-03-02", "sex": "female", "americanIndianOrAlaskaNative": false, "asian": false,
               "blackOrAfricanAmerican": false, "nativeHawaiianOrOtherPacificIslander": false, "white": true,
               "demographicRaceTwoOrMoreRaces": false, "hispanicOrLatinoEthnicity": true, "countryOfBirthCode": "US",
               "stateOfBirthAbbreviation": "CA", "cityOfBirth": "Fresno", "publicSchoolResidenceStatus": null})
    );
    let admin = with.admin_token().await;
    let body = with.gql(&admin, DEMOGRAPHICS, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "every other scope but this one: {body}");
    assert!(body["data"].is_null() || body["data"]["learner"]["demographics"].is_null(), "{body}");
    // Again: unchanged.
    let again = import(&with, &dir, &["--with-demographics"]).await;
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    for (ty, n) in BULK {
        assert_eq!(counts(&again.json, ty), unchanged(n), "{ty}");
    }
    let d2 = data(with.gql(&reader, DEMOGRAPHICS, json!({})).await);
    assert_eq!(d2, d);

    // Export leaves them out unless asked for.
    let out = temp_dir("export-demo");
    let run = cli(&with, &["export", "oneroster", out.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!out.join("demographics.csv").exists());
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert!(manifest.lines().any(|l| l.trim_end() == "file.demographics,absent"), "{manifest}");
    let out2 = temp_dir("export-demo2");
    let run = cli(&with, &["export", "oneroster", out2.to_str().unwrap(), "--with-demographics"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let exported = std::fs::read_to_string(out2.join("demographics.csv")).unwrap();
    assert!(exported.lines().any(|l| l.starts_with("stu-1,") && l.contains("2014-03-02")), "{exported}");
    // ...and that export round-trips into a fresh database.
    let fresh = spawn_app().await;
    let run = import(&fresh, &out2, &["--with-demographics"]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let reader = fresh.token(sensitive, &[]).await;
    assert_eq!(data(fresh.gql(&reader, DEMOGRAPHICS, json!({})).await), d);
    for p in [&dir, &out, &out2] {
        std::fs::remove_dir_all(p).ok();
    }
}

#[tokio::test]
async fn bytes_that_are_not_utf8_and_a_broken_zip_are_clear_rejections() {
    let app = spawn_app().await;
    let empty = table_counts(&app).await;
    // A Windows-1252 export: "Chloé" as the single byte 0xE9, on users.csv line 4 (stu-3).
    let dir = copy_set("v12_bulk");
    let path = dir.join("users.csv");
    let text = std::fs::read(&path).unwrap();
    let at = text.windows(5).position(|w| w == b"Chloe").unwrap() + 4;
    let mut bytes = text.clone();
    bytes[at] = 0xE9;
    std::fs::write(&path, bytes).unwrap();
    let run = import(&app, &dir, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.json["outcome"], "rejected", "{}", run.stdout);
    assert!(file_lines(&run.json).contains(&("users.csv".to_owned(), 4)), "{}", run.stdout);
    assert_eq!(table_counts(&app).await, empty);

    // A .zip that is not a zip.
    let zip_path = dir.join("roster.zip");
    std::fs::write(&zip_path, b"PK\x03\x04 this is not really a zip").unwrap();
    let run = import(&app, &zip_path, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stderr.contains("error") || run.json["outcome"] == "rejected", "{}\n{}", run.stdout, run.stderr);
    assert_eq!(table_counts(&app).await, empty);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_class_deleted_in_a_delta_ends_its_enrollments() {
    let app = spawn_app().await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let dir = temp_dir("delta-class");
    let mut manifest = std::fs::read_to_string(fixture("v12_delta").join("manifest.csv")).unwrap();
    manifest = manifest
        .replace("file.users,delta", "file.users,absent")
        .replace("file.enrollments,delta", "file.enrollments,absent");
    manifest = manifest.replace("file.classes,absent", "file.classes,delta");
    std::fs::write(dir.join("manifest.csv"), manifest).unwrap();
    let bulk = std::fs::read_to_string(fixture("v12_bulk").join("classes.csv")).unwrap();
    let header = bulk.lines().next().unwrap();
    let row = bulk.lines().find(|l| l.starts_with("cls-math7-1,")).unwrap();
    let row = row.replacen("cls-math7-1,,,", "cls-math7-1,tobedeleted,2026-11-30T10:00:00.000Z,", 1);
    std::fs::write(dir.join("classes.csv"), format!("{header}\n{row}\n")).unwrap();
    let token = app.admin_token().await;
    let cursor = sync_cursor(&app, &token).await;

    let report = import_ok(&app, &dir).await;
    assert_counts(&report, &[("classes", [0, 0, 0, 1, 0]), ("enrollments", [0, 0, 0, 3, 0])]);
    assert_eq!(status_of(&app, "classes", "cls-math7-1").await, "tobedeleted");
    for (e, want) in
        [("enr-001", "tobedeleted"), ("enr-005", "tobedeleted"), ("enr-007", "tobedeleted"), ("enr-002", "active")]
    {
        assert_eq!(status_of(&app, "enrollments", e).await, want, "{e}");
    }
    let deleted: BTreeSet<String> =
        changes_after(&app, &token, &cursor).await.into_iter().filter(|c| c.1 == "DELETED").map(|c| c.2).collect();
    assert_eq!(deleted, ["cls-math7-1", "enr-001", "enr-005", "enr-007"].map(str::to_owned).into());
    std::fs::remove_dir_all(&dir).ok();
}

/// The gradebook files, in the order the import writes them.
const GRADEBOOK: [&str; 5] = ["categories", "scoreScales", "lineItems", "lineItemLearningObjectiveIds", "results"];

/// v12_bulk imported, then the CASE framework whose competencies (c-rp-1, c-rp-2) the
/// gradebook's line items assess.
pub(crate) async fn gradebook_district() -> (TestApp, String) {
    let app = crate::support::spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    import_ok(&app, &fixture("v12_bulk")).await;
    let admin = app.token("roster.read progress.read progress.write admin", &[]).await;
    let d = data(
        app.gql(
            &admin,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { created userErrors { message } } }",
            json!({"pkg": crate::authz_matrix::CASE_PACKAGE}),
        )
        .await,
    );
    assert_eq!(d["importCaseFramework"]["created"], 3, "{d}");
    (app, admin)
}

/// The imported results: sourcedId, learner, line item, score, scoreMax, value, scoreStatus,
/// textScore, late, status, override.
pub(crate) async fn gradebook_results(app: &TestApp) -> Vec<Vec<String>> {
    rows(
        app,
        &format!(
            "SELECT r.sourced_id, u.sourced_id, l.sourced_id, {}, {}, {}, r.score_status, r.text_score, \
             CASE WHEN r.late IS NULL THEN NULL WHEN r.late THEN '1' ELSE '0' END, {}, {} \
             FROM results r JOIN users u ON u.id = r.learner_id LEFT JOIN line_items l ON l.id = r.line_item_id \
             WHERE r.poster = 'oneroster' ORDER BY r.sourced_id",
            t("r.score"),
            t("r.score_max"),
            t("r.value"),
            t("r.status"),
            t("r.override_value"),
        ),
    )
    .await
}

/// Masteries: learner, competency, evidence count, value.
pub(crate) async fn masteries(app: &TestApp) -> Vec<Vec<String>> {
    rows(
        app,
        &format!(
            "SELECT u.sourced_id, c.source_id, {}, {} FROM masteries m JOIN users u ON u.id = m.learner_id \
             JOIN competencies c ON c.id = m.competency_id ORDER BY u.sourced_id, c.source_id",
            t("m.evidence_count"),
            t("m.value"),
        ),
    )
    .await
}

pub(crate) fn num(v: &str) -> f64 {
    v.parse().unwrap_or_else(|_| panic!("not a number: {v}"))
}

#[tokio::test]
async fn a_gradebook_imports_its_results_through_the_results_pipeline_into_mastery() {
    let (app, admin) = gradebook_district().await;
    let cursor = sync_cursor(&app, &admin).await;
    let report = import_ok(&app, &fixture("v12_gradebook")).await;
    assert_counts(
        &report,
        &[
            ("categories", created(2)),
            ("scoreScales", created(1)),
            ("lineItems", created(3)),
            ("lineItemLearningObjectiveIds", created(5)),
            ("results", created(6)),
        ],
    );
    assert_eq!(report["notImported"], json!(["lineItemScoreScales.csv"]), "{report}");

    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    let got = gradebook_results(&app).await;
    let expected = [
        s(&[
            "res-1",
            "stu-1",
            "li-ratio-quiz",
            "18",
            "20",
            "0.9",
            "fully graded",
            "<null>",
            "<null>",
            "active",
            "<null>",
        ]),
        s(&["res-2", "stu-2", "li-ratio-quiz", "9", "20", "0.45", "fully graded", "<null>", "1", "active", "<null>"]),
        s(&["res-3", "stu-1", "li-rate-hw", "5", "10", "0.5", "fully graded", "<null>", "<null>", "active", "<null>"]),
        // Not submitted, not scored, or not final: stored, but evidence of nothing.
        s(&[
            "res-4",
            "stu-2",
            "li-rate-hw",
            "<null>",
            "<null>",
            "0",
            "not submitted",
            "<null>",
            "<null>",
            "active",
            "<null>",
        ]),
        s(&[
            "res-5",
            "stu-1",
            "li-sci-lab",
            "<null>",
            "<null>",
            "0",
            "fully graded",
            "B+",
            "<null>",
            "active",
            "<null>",
        ]),
        s(&[
            "res-6",
            "stu-3",
            "li-ratio-quiz",
            "12",
            "<null>",
            "0",
            "partially graded",
            "<null>",
            "<null>",
            "active",
            "<null>",
        ]),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g[..3], e[..3]);
        for i in 3..6 {
            assert!(
                (g[i] == "<null>" && e[i] == "<null>") || (num(&g[i]) - num(&e[i])).abs() < 1e-9,
                "{} column {i}: {g:?} vs {e:?}",
                g[0]
            );
        }
        assert_eq!(g[6..], e[6..], "{g:?}");
    }
    assert_eq!(
        one(&app, &format!("SELECT {} FROM results WHERE sourced_id = 'res-1'", t("occurred_at"))).await[..19]
            .replace('T', " "),
        "2026-09-06 00:00:00",
        "a result happened on its scoreDate"
    );
    assert_eq!(
        one(&app, &format!("SELECT {} FROM results WHERE sourced_id = 'res-1'", t("source_modified"))).await[..19]
            .replace('T', " "),
        "2026-09-06 15:00:00",
        "its version is the SIS's dateLastModified"
    );

    // Mastery from the fully graded, scored results, on the competencies each line item
    // assesses (li-rate-hw assesses both): a decaying average for stu-1's two on c-rp-1.
    let w = num(&one(&app, &format!("SELECT {} FROM competency_frameworks", t("calculation_param"))).await);
    let m = masteries(&app).await;
    assert_eq!(
        m.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect::<Vec<_>>(),
        [("stu-1", "c-rp-1", "2"), ("stu-1", "c-rp-2", "1"), ("stu-2", "c-rp-1", "1")],
        "{m:?}"
    );
    for (row, value) in m.iter().zip([w * 0.5 + (1.0 - w) * 0.9, 0.5, 0.45]) {
        assert!((num(&row[3]) - value).abs() < 1e-9, "{row:?} should be {value}");
    }

    // The API: a teacher sees her students' results (not another class's), each with what it
    // counts toward.
    let teacher = app.dev_sign_in("tch-1", "progress.read").await;
    let d = data(
        app.gql(
            &teacher,
            "{ results(first: 20) { edges { node { sourcedId scoreStatus textScore competencies { sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    let seen: Vec<(String, Vec<String>)> = d["results"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let comps =
                n["competencies"].as_array().unwrap().iter().map(|c| c["sourcedId"].as_str().unwrap().to_owned());
            (n["sourcedId"].as_str().unwrap().to_owned(), comps.collect())
        })
        .collect();
    let want = |sid: &str, comps: &[&str]| (sid.to_owned(), s(comps));
    assert_eq!(
        seen,
        [
            want("res-1", &["c-rp-1"]),
            want("res-2", &["c-rp-1"]),
            want("res-3", &["c-rp-1", "c-rp-2"]),
            want("res-4", &[]),
            want("res-5", &[]),
        ],
        "tch-1 teaches stu-1 and stu-2, not stu-3: {d}"
    );
    let node = |sid: &str| {
        d["results"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["sourcedId"] == sid).unwrap()["node"]
            .clone()
    };
    assert_eq!(
        (node("res-4")["scoreStatus"].clone(), node("res-4")["textScore"].clone()),
        (json!("not submitted"), json!(null))
    );
    assert_eq!(
        (node("res-5")["scoreStatus"].clone(), node("res-5")["textScore"].clone()),
        (json!("fully graded"), json!("B+"))
    );

    // The feed names each result once.
    let fed: Vec<(String, String, String)> = changes_after(&app, &admin, &cursor).await;
    let mut results_fed: Vec<&str> = fed.iter().filter(|c| c.0 == "RESULT").map(|c| c.2.as_str()).collect::<Vec<_>>();
    results_fed.sort_unstable();
    assert_eq!(results_fed, ["res-1", "res-2", "res-3", "res-4", "res-5", "res-6"], "{fed:?}");

    // The same files again: nothing moves.
    let before = (gradebook_results(&app).await, masteries(&app).await, table_counts(&app).await);
    let changes = count(&app, "sync_changes").await;
    let again = import_ok(&app, &fixture("v12_gradebook")).await;
    assert_counts(
        &again,
        &GRADEBOOK.map(|t| (t, unchanged([2, 1, 3, 5, 6][GRADEBOOK.iter().position(|g| *g == t).unwrap()]))),
    );
    assert_eq!((gradebook_results(&app).await, masteries(&app).await, table_counts(&app).await), before);
    assert_eq!(count(&app, "sync_changes").await, changes, "no feed entry");
}

#[tokio::test]
async fn a_gradebook_delta_updates_keeps_a_teachers_override_ignores_a_stale_row_and_deletes() {
    let (app, _admin) = gradebook_district().await;
    import_ok(&app, &fixture("v12_gradebook")).await;
    // tch-1 overrides res-1 (18/20 → 15/20).
    let teacher = app.dev_sign_in("tch-1", "progress.read progress.write").await;
    let d = data(app.gql(&teacher, "{ results(first: 20) { edges { node { id sourcedId } } } }", json!({})).await);
    let id = d["results"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["sourcedId"] == "res-1").unwrap()["node"]
        ["id"]
        .clone();
    let d = data(
        app.gql(
            &teacher,
            "mutation($id: ID!) { overrideResult(input: {resultId: $id, score: 15, scoreMax: 20, note: \"retake\"}) { result { effectiveValue } userErrors { message } } }",
            json!({"id": id}),
        )
        .await,
    );
    assert_eq!(d["overrideResult"]["result"]["effectiveValue"], 0.75, "{d}");

    let report = import_ok(&app, &fixture("v12_gradebook_delta")).await;
    let c = |ty: &str| report["counts"][ty].clone();
    assert_eq!(c("lineItems"), json!({"created": 0, "updated": 1, "unchanged": 0, "deleted": 0, "skipped": 0}));
    assert_eq!(
        c("lineItemLearningObjectiveIds"),
        json!({"created": 0, "updated": 1, "unchanged": 0, "deleted": 0, "skipped": 0})
    );
    assert_eq!(
        c("results"),
        json!({"created": 0, "updated": 2, "unchanged": 0, "deleted": 1, "skipped": 0, "stale": 1}),
        "res-1 and res-5 updated, res-2 older than what is stored, res-3 deleted: {report}"
    );
    let got = gradebook_results(&app).await;
    let by = |sid: &str| got.iter().find(|r| r[0] == sid).unwrap_or_else(|| panic!("{sid}: {got:?}")).clone();
    // res-1: the SIS's regrade is stored, on the quiz's new range (5 to 25: (16 - 5) / 20); the
    // teacher's override still counts.
    assert_eq!((num(&by("res-1")[3]), num(&by("res-1")[4]), num(&by("res-1")[5])), (16.0, 25.0, 0.55));
    assert_eq!(num(&by("res-1")[10]), 0.75, "the override outlives the SIS's newer version");
    // res-2: the row is older than the stored version: ignored; but the quiz's new range
    // reaches it.
    assert_eq!((num(&by("res-2")[3]), num(&by("res-2")[4]), num(&by("res-2")[5])), (9.0, 25.0, 0.2));
    // res-3: a tombstone. res-5: still not scored, its comment changed.
    assert_eq!(by("res-3")[9], "tobedeleted");
    assert_eq!(one(&app, "SELECT comment FROM results WHERE sourced_id = 'res-5'").await, "Resubmitted");

    // The quiz now assesses c-rp-2, not c-rp-1; res-3 is gone: every mastery moved with them.
    let m = masteries(&app).await;
    assert_eq!(
        m.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect::<Vec<_>>(),
        [("stu-1", "c-rp-2", "1"), ("stu-2", "c-rp-2", "1")],
        "{m:?}"
    );
    assert!((num(&m[0][3]) - 0.75).abs() < 1e-9 && (num(&m[1][3]) - 0.2).abs() < 1e-9, "{m:?}");

    // tch-1 deletes res-2. The bulk files again: what the import deleted comes back (the SIS
    // is the truth for its results), what a teacher deleted stays deleted while the SIS sends
    // the same version, and the quiz is back on c-rp-1 and 0 to 20. res-1's bulk row is older
    // than the version stored: stale.
    let res2 = d_id(&app, &teacher, "res-2").await;
    let d = data(
        app.gql(
            &teacher,
            "mutation($id: ID!) { deleteResult(input: {resultId: $id}) { deletedId userErrors { message } } }",
            json!({"id": res2}),
        )
        .await,
    );
    assert_eq!(d["deleteResult"]["userErrors"], json!([]), "{d}");
    let report = import_ok(&app, &fixture("v12_gradebook")).await;
    assert_eq!(
        report["counts"]["results"],
        json!({"created": 0, "updated": 2, "unchanged": 3, "deleted": 0, "skipped": 0, "stale": 1}),
        "res-3 back, res-5's comment as the bulk file has it, res-2 kept deleted, res-1 stale: {report}"
    );
    let got = gradebook_results(&app).await;
    let status: Vec<(&str, &str)> = got.iter().map(|r| (r[0].as_str(), r[9].as_str())).collect();
    assert_eq!(
        status,
        [
            ("res-1", "active"),
            ("res-2", "tobedeleted"),
            ("res-3", "active"),
            ("res-4", "active"),
            ("res-5", "active"),
            ("res-6", "active")
        ]
    );
    assert_eq!((num(&got[0][4]), num(&got[0][5])), (20.0, 0.8), "res-1 on the quiz's range again");
    let m = masteries(&app).await;
    assert_eq!(
        m.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect::<Vec<_>>(),
        [("stu-1", "c-rp-1", "2"), ("stu-1", "c-rp-2", "1")],
        "{m:?}"
    );
}

/// A result's global id, as `sid`'s teacher reads it.
pub(crate) async fn d_id(app: &TestApp, token: &str, sid: &str) -> Value {
    let d = data(app.gql(token, "{ results(first: 50) { edges { node { id sourcedId } } } }", json!({})).await);
    d["results"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["sourcedId"] == sid).unwrap()["node"]["id"]
        .clone()
}

#[tokio::test]
async fn gradebook_rows_are_checked_like_the_roster_and_a_bad_one_writes_nothing() {
    let (app, _admin) = gradebook_district().await;
    let dir = copy_set("v12_gradebook");
    // results.csv line 3: res-2 for a teacher; line 4: an unknown line item; line 7: a bad status.
    edit(
        &dir,
        "results.csv",
        "res-2,,2026-09-06T15:00:00.000Z,li-ratio-quiz,stu-2,",
        "res-2,,2026-09-06T15:00:00.000Z,li-ratio-quiz,tch-2,",
    );
    edit(&dir, "results.csv", "res-3,,,li-rate-hw,", "res-3,,,li-nope,");
    edit(&dir, "results.csv", "partially graded", "half graded");
    // lineItems.csv line 3: due before it is assigned; line 4: an unknown category.
    edit(&dir, "lineItems.csv", "2026-09-08,2026-09-10", "2026-09-08,2026-09-01");
    edit(&dir, "lineItems.csv", "cls-sci7-1,cat-test", "cls-sci7-1,cat-nope");
    // lineItemLearningObjectiveIds.csv line 5: an unknown source.
    edit(&dir, "lineItemLearningObjectiveIds.csv", "unknown,SCI-LAB-7", "ccss,SCI-LAB-7");
    let run = import(&app, &dir, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["outcome"], "rejected");
    let got: BTreeSet<(String, i64, String, String)> = run.json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_owned(),
                p["line"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let p = |f: &str, l: i64, c: &str, m: &str| (f.to_owned(), l, c.to_owned(), m.to_owned());
    let expected: BTreeSet<_> = [
        p("lineItems.csv", 3, "dueDate", "is due before it is assigned"),
        p("lineItems.csv", 4, "categorySourcedId", "no categories with this sourcedId"),
        p("lineItemLearningObjectiveIds.csv", 5, "source", "must be one of case, unknown"),
        p("lineItemLearningObjectiveIds.csv", 3, "lineItemSourcedId", "refers to a lineItems row that is invalid"),
        p("lineItemLearningObjectiveIds.csv", 4, "lineItemSourcedId", "refers to a lineItems row that is invalid"),
        p("lineItemLearningObjectiveIds.csv", 6, "lineItemSourcedId", "refers to a lineItems row that is invalid"),
        p("results.csv", 3, "studentSourcedId", "results are a student's: this user is not a student"),
        p("results.csv", 4, "lineItemSourcedId", "no lineItems with this sourcedId"),
        p("results.csv", 5, "lineItemSourcedId", "refers to a lineItems row that is invalid"),
        p("results.csv", 6, "lineItemSourcedId", "refers to a lineItems row that is invalid"),
        p(
            "results.csv",
            7,
            "scoreStatus",
            "must be one of exempt, fully graded, not submitted, partially graded, submitted",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected, "{}", run.stdout);
    for table in ["gradebook_categories", "score_scales", "line_items", "line_item_objectives"] {
        assert_eq!(count(&app, table).await, 0, "{table}: all or nothing");
    }
    assert_eq!(count(&app, "results").await, 0);

    // --skip-invalid writes the rest: the valid line item and what refers only to valid rows.
    let run = import(&app, &dir, &["--skip-invalid"]).await;
    assert_eq!(run.code, Some(2), "applied with skips: {}\n{}", run.stdout, run.stderr);
    let lines = rows(&app, "SELECT sourced_id FROM line_items ORDER BY sourced_id").await;
    assert_eq!(lines, [vec!["li-ratio-quiz".to_owned()]]);
    let results = rows(&app, "SELECT sourced_id FROM results ORDER BY sourced_id").await;
    assert_eq!(results, [vec!["res-1".to_owned()]]);
}

#[tokio::test]
async fn a_gradebook_exports_and_imports_back_unchanged() {
    let (app, _admin) = gradebook_district().await;
    import_ok(&app, &fixture("v12_gradebook")).await;
    let before = (gradebook_results(&app).await, masteries(&app).await, table_counts(&app).await, content(&app).await);
    let dir = temp_dir("export-gradebook");
    let run = cli(&app, &["export", "oneroster", dir.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for (ty, n) in GRADEBOOK.iter().zip([2, 1, 3, 5, 6]) {
        assert_eq!(run.json["counts"][ty], n, "{}", run.stdout);
    }
    let results = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert!(
        results.contains("res-2,,,li-ratio-quiz,stu-2,fully graded,9,2026-09-06,,,cls-math7-1,false,false,true,false"),
        "{results}"
    );
    let again = import_ok(&app, &dir).await;
    for ty in GRADEBOOK {
        assert_eq!(counts(&again, ty)[2], [2, 1, 3, 5, 6][GRADEBOOK.iter().position(|g| *g == ty).unwrap()], "{again}");
        assert_eq!(counts(&again, ty)[..2], [0, 0], "{ty}: {again}");
        assert_eq!(counts(&again, ty)[3], 0, "{ty}: {again}");
    }
    assert_eq!(
        (gradebook_results(&app).await, masteries(&app).await, table_counts(&app).await, content(&app).await),
        before
    );
    std::fs::remove_dir_all(&dir).ok();
}
