//! `upsertRoster`: batch roster writes from SIS middleware, checked by the OneRoster import's
//! engine, answered per row, read back after every write and refusal.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{TestApp, data, error_code, spawn_app};

const UPSERT: &str = "mutation($i: UpsertRosterInput!) { upsertRoster(input: $i) { results { type index sourcedId outcome } userErrors { field message code } } }";

async fn scalar(app: &TestApp, sql: &str) -> Option<String> {
    let row =
        app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned())).await.unwrap()?;
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

fn student(sid: &str, given: &str, school: &str) -> Value {
    json!({"sourcedId": sid, "givenName": given, "familyName": "Writer", "email": format!("{sid}@example.org"),
           "grades": ["06"], "roles": [{"roleType": "primary", "role": "student", "orgSourcedId": school}]})
}

#[tokio::test]
async fn upsert_roster_writes_good_rows_answers_each_row_and_refuses_the_rest() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let tool = app.token("roster.read roster.write", &[]).await;

    let mut bad = student("rw-2", "Bad", "sc-school-001");
    bad["email"] = json!("not-an-email");
    let input = json!({
        "users": [student("rw-1", "Rae", "sc-school-001"), bad],
        "enrollments": [
            {"sourcedId": "rw-e1", "classSourcedId": "sc-c-001-06-math-s1", "userSourcedId": "rw-1", "role": "student"},
            {"sourcedId": "rw-e2", "classSourcedId": "sc-c-001-06-math-s1", "userSourcedId": "rw-2", "role": "student"},
        ],
    });
    let d = data(app.gql(&tool, UPSERT, json!({"i": input})).await);
    assert_eq!(
        d["upsertRoster"]["results"],
        json!([
            {"type": "USER", "index": 0, "sourcedId": "rw-1", "outcome": "CREATED"},
            {"type": "ENROLLMENT", "index": 0, "sourcedId": "rw-e1", "outcome": "CREATED"},
        ])
    );
    let errors = d["upsertRoster"]["userErrors"].as_array().unwrap();
    let fields: Vec<&Value> = errors.iter().map(|e| &e["field"]).collect();
    assert_eq!(
        fields,
        [
            &json!(["input", "users", "1", "email"]),
            &json!(["input", "users", "1", "roles", "0", "sourcedId"]),
            &json!(["input", "enrollments", "1", "userSourcedId"]),
        ],
        "{errors:?}"
    );
    assert_eq!(errors[0]["code"], "INVALID");
    assert_eq!(errors[0]["message"], "not an email address (not-an-email)");
    // Read back: the good rows are there, the refused ones are not.
    let q = "{ learner(sourcedId: \"rw-1\") { givenName email schools { sourcedId } } }";
    assert_eq!(
        data(app.gql(&tool, q, json!({})).await)["learner"],
        json!({"givenName": "Rae", "email": "rw-1@example.org", "schools": [{"sourcedId": "sc-school-001"}]})
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE sourced_id = 'rw-2'").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrollments WHERE sourced_id IN ('rw-e1', 'rw-e2')").await, 1);

    // The same rows again: nothing to write, nothing in the feed, no date moved.
    let feed = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let dlm = scalar(&app, "SELECT CAST(date_last_modified AS TEXT) FROM users WHERE sourced_id = 'rw-1'").await;
    let again = json!({"users": [student("rw-1", "Rae", "sc-school-001")],
        "enrollments": [{"sourcedId": "rw-e1", "classSourcedId": "sc-c-001-06-math-s1", "userSourcedId": "rw-1", "role": "student"}]});
    let d = data(app.gql(&tool, UPSERT, json!({"i": again})).await);
    let outcomes: Vec<&Value> =
        d["upsertRoster"]["results"].as_array().unwrap().iter().map(|r| &r["outcome"]).collect();
    assert_eq!(outcomes, [&json!("UNCHANGED"), &json!("UNCHANGED")]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, feed);
    assert_eq!(scalar(&app, "SELECT CAST(date_last_modified AS TEXT) FROM users WHERE sourced_id = 'rw-1'").await, dlm);

    // Older than what is stored: ignored, and the name stays.
    let mut stale = student("rw-1", "Stale", "sc-school-001");
    stale["dateLastModified"] = json!("2001-01-01T00:00:00Z");
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [stale]}})).await);
    assert_eq!(d["upsertRoster"]["results"][0]["outcome"], "IGNORED_STALE");
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'rw-1'").await.as_deref(), Some("Rae"));

    // A changed role list replaces the roles: the student moves to the second school.
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [student("rw-1", "Rae", "sc-school-002")]}})).await);
    assert_eq!(d["upsertRoster"]["results"][0]["outcome"], "UPDATED");
    assert_eq!(data(app.gql(&tool, q, json!({})).await)["learner"]["schools"], json!([{"sourcedId": "sc-school-002"}]));

    // A deletion tombstones the student and ends their enrollment.
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"deletions": [{"type": "USER", "sourcedId": "rw-1"}]}})).await);
    assert_eq!(
        d["upsertRoster"]["results"],
        json!([{"type": "USER", "index": 0, "sourcedId": "rw-1", "outcome": "DELETED"}])
    );
    assert_eq!(
        scalar(&app, "SELECT status FROM users WHERE sourced_id = 'rw-1'").await.as_deref(),
        Some("tobedeleted")
    );
    assert_eq!(
        scalar(&app, "SELECT status FROM enrollments WHERE sourced_id = 'rw-e1'").await.as_deref(),
        Some("tobedeleted")
    );
}

#[tokio::test]
async fn roster_writes_are_ordered_by_the_sources_dates_not_by_when_they_arrive() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let tool = app.token("roster.read roster.write", &[]).await;
    let user = |given: &str, sent: &str| {
        let mut u = student("so-1", given, "sc-school-001");
        u["dateLastModified"] = json!(sent);
        u
    };
    let enrollment = |begin: &str, sent: &str| {
        json!({"sourcedId": "so-e1", "classSourcedId": "sc-c-001-06-math-s1", "userSourcedId": "so-1",
               "role": "student", "beginDate": begin, "dateLastModified": sent})
    };
    let outcomes = |d: Value| -> Vec<Value> {
        d["upsertRoster"]["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect()
    };
    // Middleware forwards the SIS's changes days or months after the SIS made them: each is
    // newer than the last version the SIS sent, though older than when learnergraph wrote it.
    let input = json!({"users": [user("March", "2026-03-01T08:00:00Z")],
                       "enrollments": [enrollment("2026-03-02", "2026-03-01T08:00:00Z")]});
    let d = data(app.gql(&tool, UPSERT, json!({"i": input})).await);
    assert_eq!(outcomes(d), [json!("CREATED"), json!("CREATED")]);
    let input = json!({"users": [user("April", "2026-04-01T08:00:00Z")],
                       "enrollments": [enrollment("2026-04-02", "2026-04-01T08:00:00Z")]});
    let d = data(app.gql(&tool, UPSERT, json!({"i": input})).await);
    assert_eq!(outcomes(d), [json!("UPDATED"), json!("UPDATED")]);
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'so-1'").await.as_deref(), Some("April"));

    // A version the SIS made between the two arrives late: older than what is stored, ignored.
    let feed = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let input = json!({"users": [user("Mid-March", "2026-03-15T08:00:00Z")],
                       "enrollments": [enrollment("2026-03-16", "2026-03-15T08:00:00Z")]});
    let d = data(app.gql(&tool, UPSERT, json!({"i": input})).await);
    assert_eq!(outcomes(d), [json!("IGNORED_STALE"), json!("IGNORED_STALE")]);
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'so-1'").await.as_deref(), Some("April"));
    assert_eq!(
        scalar(&app, "SELECT CAST(begin_date AS TEXT) FROM enrollments WHERE sourced_id = 'so-e1'").await.as_deref(),
        Some("2026-04-02")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, feed);

    // The same instant as the stored version is not older: the SIS's correction is written.
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("Avril", "2026-04-01T08:00:00Z")]}})).await);
    assert_eq!(outcomes(d), [json!("UPDATED")]);
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'so-1'").await.as_deref(), Some("Avril"));

    // The SIS touched the record on 1 May without changing what learnergraph keeps: nothing is
    // written, no feed entry, but a version of 15 April arriving after it is older, and ignored.
    let feed = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("Avril", "2026-05-01T08:00:00Z")]}})).await);
    assert_eq!(outcomes(d), [json!("UNCHANGED")]);
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("Late", "2026-04-15T08:00:00Z")]}})).await);
    assert_eq!(outcomes(d), [json!("IGNORED_STALE")]);
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'so-1'").await.as_deref(), Some("Avril"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, feed);
}

#[tokio::test]
async fn deletions_are_ordered_by_the_sources_dates_too() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let tool = app.token("roster.read roster.write", &[]).await;
    let user = |given: &str, sent: &str| {
        let mut u = student("sd-1", given, "sc-school-001");
        u["dateLastModified"] = json!(sent);
        u
    };
    let delete =
        |sent: &str| json!({"i": {"deletions": [{"type": "USER", "sourcedId": "sd-1", "dateLastModified": sent}]}});
    let outcome = |d: Value| d["upsertRoster"]["results"][0]["outcome"].clone();
    let status = || scalar(&app, "SELECT status FROM users WHERE sourced_id = 'sd-1'");
    let sent = || scalar(&app, "SELECT CAST(source_modified AS TEXT) FROM users WHERE sourced_id = 'sd-1'");
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("April", "2026-04-01T08:00:00Z")]}})).await);
    assert_eq!(outcome(d), "CREATED");

    // The SIS deleted the student in March, before the April version stored: that deletion is
    // older, and ignored.
    let feed = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let d = data(app.gql(&tool, UPSERT, delete("2026-03-01T08:00:00Z")).await);
    assert_eq!(outcome(d), "IGNORED_STALE");
    assert_eq!(status().await.as_deref(), Some("active"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, feed);

    // A May deletion is newer: written, with its date.
    let d = data(app.gql(&tool, UPSERT, delete("2026-05-01T08:00:00Z")).await);
    assert_eq!(outcome(d), "DELETED");
    assert_eq!(status().await.as_deref(), Some("tobedeleted"));
    assert!(count(&app, "SELECT COUNT(*) FROM sync_changes").await > feed);
    let may = scalar(&app, "SELECT CAST(source_modified AS TEXT) FROM users WHERE sourced_id = 'sd-1'").await;
    assert!(may.as_deref().is_some_and(|t| t.starts_with("2026-05-01")), "{may:?}");

    // A mid-April version arrives late, moving the student to the other school: older than the
    // May deletion, it leaves the student deleted with the membership it had, and an enrollment
    // written with it finds no student.
    let memberships = async |school: &str| {
        let sql = format!(
            "SELECT COUNT(*) FROM user_orgs m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id \
             WHERE u.sourced_id = 'sd-1' AND o.sourced_id LIKE '{school}'"
        );
        count(&app, &sql).await
    };
    assert_eq!((memberships("sc-school-001").await, memberships("%").await), (1, 1));
    let moved = |given: &str, sent: &str| {
        let mut u = user(given, sent);
        u["roles"][0]["orgSourcedId"] = json!("sc-school-002");
        u
    };
    let enrollment = json!({"sourcedId": "sd-e1", "classSourcedId": "sc-c-001-06-math-s1", "userSourcedId": "sd-1", "role": "student"});
    let enrolled = || count(&app, "SELECT COUNT(*) FROM enrollments WHERE sourced_id = 'sd-e1' AND status = 'active'");
    let feed = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let late = json!({"i": {"users": [moved("Late", "2026-04-15T08:00:00Z")], "enrollments": [enrollment.clone()]}});
    let d = data(app.gql(&tool, UPSERT, late).await);
    assert_eq!(
        d["upsertRoster"]["results"],
        json!([{"type": "USER", "index": 0, "sourcedId": "sd-1", "outcome": "IGNORED_STALE"}]),
        "{d}"
    );
    let errors: Vec<(Value, Value)> = d["upsertRoster"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(errors, [(json!(["input", "enrollments", "0", "userSourcedId"]), json!("NOT_FOUND"))], "{d}");
    assert!(d["upsertRoster"]["userErrors"][0]["message"].as_str().unwrap().contains("older than the deletion"), "{d}");
    assert_eq!(status().await.as_deref(), Some("tobedeleted"));
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'sd-1'").await.as_deref(), Some("April"));
    assert_eq!(sent().await.as_deref().map(|t| &t[..10]), Some("2026-05-01"));
    assert_eq!((memberships("sc-school-001").await, memberships("%").await), (1, 1));
    assert_eq!(enrolled().await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, feed);

    // A version of June brings the student back.
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("June", "2026-06-01T08:00:00Z")]}})).await);
    assert_eq!(outcome(d), "UPDATED");
    assert_eq!(status().await.as_deref(), Some("active"));
    let june = sent().await;
    assert!(june.as_deref().is_some_and(|t| t.starts_with("2026-06-01")), "{june:?}");

    // A late version from before June (after the deletion) moving the student: ignored, roles
    // and all.
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [moved("Moved", "2026-05-20T08:00:00Z")]}})).await);
    assert_eq!(d["upsertRoster"]["userErrors"], json!([]), "{d}");
    assert_eq!(outcome(d), "IGNORED_STALE");
    assert_eq!((memberships("sc-school-001").await, memberships("%").await), (1, 1));
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'sd-1'").await.as_deref(), Some("June"));

    // A late March deletion is older than June's version: ignored, and an enrollment written
    // with it finds the student.
    let late = json!({"i": {
        "deletions": [{"type": "USER", "sourcedId": "sd-1", "dateLastModified": "2026-03-01T08:00:00Z"}],
        "enrollments": [enrollment]}});
    let d = data(app.gql(&tool, UPSERT, late).await);
    assert_eq!(d["upsertRoster"]["userErrors"], json!([]), "{d}");
    let outcomes: Vec<(Value, Value)> = d["upsertRoster"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].clone(), r["outcome"].clone()))
        .collect();
    assert_eq!(outcomes, [(json!("USER"), json!("IGNORED_STALE")), (json!("ENROLLMENT"), json!("CREATED"))], "{d}");
    assert_eq!(status().await.as_deref(), Some("active"));
    assert_eq!(enrolled().await, 1);

    // A deletion without a date is applied and records no date: a later version the SIS made
    // before it arrived (but after June) still brings the student back.
    let undated = json!({"i": {"deletions": [{"type": "USER", "sourcedId": "sd-1"}]}});
    let d = data(app.gql(&tool, UPSERT, undated).await);
    assert_eq!(outcome(d), "DELETED");
    assert_eq!(status().await.as_deref(), Some("tobedeleted"));
    assert_eq!(sent().await, june);
    let d = data(app.gql(&tool, UPSERT, json!({"i": {"users": [user("July", "2026-07-01T08:00:00Z")]}})).await);
    assert_eq!(outcome(d), "UPDATED");
    assert_eq!(status().await.as_deref(), Some("active"));
    assert_eq!(scalar(&app, "SELECT given_name FROM users WHERE sourced_id = 'sd-1'").await.as_deref(), Some("July"));
}

#[tokio::test]
async fn a_writer_limited_to_a_school_writes_only_within_it() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let school2 = app.token("roster.read roster.write", &["sc-school-002"]).await;
    let users_before = count(&app, "SELECT COUNT(*) FROM users").await;
    let taken = scalar(
        &app,
        "SELECT u.sourced_id FROM users u JOIN user_orgs m ON m.user_id = u.id JOIN orgs o ON o.id = m.org_id \
         WHERE u.role = 'student' AND o.sourced_id = 'sc-school-001' ORDER BY u.id LIMIT 1",
    )
    .await
    .unwrap();

    // A student of the other school, a role there, a new student with no role of its own.
    let mut orphan = student("rw-9", "Orphan", "sc-school-002");
    orphan["roles"] = json!([]);
    let input = json!({"users": [
        student(&taken, "Taken", "sc-school-002"),
        student("rw-8", "Elsewhere", "sc-school-001"),
        orphan,
        student("rw-7", "Mine", "sc-school-002"),
    ]});
    let d = data(app.gql(&school2, UPSERT, json!({"i": input})).await);
    assert_eq!(
        d["upsertRoster"]["results"],
        json!([{"type": "USER", "index": 3, "sourcedId": "rw-7", "outcome": "CREATED"}])
    );
    let errors: Vec<(Value, Value)> = d["upsertRoster"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert!(errors.contains(&(json!(["input", "users", "0", "sourcedId"]), json!("CONFLICT"))), "{errors:?}");
    assert!(errors.contains(&(json!(["input", "users", "1", "roles"]), json!("INVALID"))), "{errors:?}");
    assert!(
        errors.contains(&(json!(["input", "users", "1", "roles", "0", "orgSourcedId"]), json!("NOT_FOUND"))),
        "{errors:?}"
    );
    assert!(errors.contains(&(json!(["input", "users", "2", "sourcedId"]), json!("INVALID"))), "{errors:?}");
    // Read back: only the school's own new student was written; the other school's is as it was.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, users_before + 1);
    let name = scalar(&app, &format!("SELECT given_name FROM users WHERE sourced_id = '{taken}'")).await;
    assert!(name.as_deref().is_some_and(|n| n != "Taken"), "{name:?}");

    // A teacher of both schools is not the second school's alone to change or delete.
    let district = app.token("roster.read roster.write", &[]).await;
    let shared = json!({"sourcedId": "rw-shared", "givenName": "Sam", "familyName": "Both", "email": "sam@example.org",
        "roles": [{"roleType": "primary", "role": "teacher", "orgSourcedId": "sc-school-001"},
                  {"roleType": "secondary", "role": "teacher", "orgSourcedId": "sc-school-002"}]});
    let d = data(app.gql(&district, UPSERT, json!({"i": {"users": [shared]}})).await);
    assert_eq!(d["upsertRoster"]["results"][0]["outcome"], "CREATED", "{d}");
    let hijack = json!({"sourcedId": "rw-shared", "givenName": "Sam", "familyName": "Both", "email": "me@attacker.example",
        "roles": [{"roleType": "primary", "role": "principal", "orgSourcedId": "sc-school-002"}]});
    let d = data(app.gql(&school2, UPSERT, json!({"i": {"users": [hijack]}})).await);
    assert_eq!(d["upsertRoster"]["results"], json!([]), "{d}");
    assert_eq!(d["upsertRoster"]["userErrors"][0]["code"], "CONFLICT", "{d}");
    let delete = json!({"i": {"deletions": [{"type": "USER", "sourcedId": "rw-shared"}]}});
    let d = data(app.gql(&school2, UPSERT, delete).await);
    assert_eq!(d["upsertRoster"]["results"], json!([]), "{d}");
    assert_eq!(d["upsertRoster"]["userErrors"][0]["code"], "NOT_FOUND", "{d}");
    assert_eq!(
        scalar(&app, "SELECT email || ' ' || role || ' ' || status FROM users WHERE sourced_id = 'rw-shared'")
            .await
            .as_deref(),
        Some("sam@example.org teacher active")
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM user_orgs m JOIN users u ON u.id = m.user_id WHERE u.sourced_id = 'rw-shared'"
        )
        .await,
        2
    );

    // Orgs and academic sessions are the district's.
    let res = app
        .gql(&school2, UPSERT, json!({"i": {"orgs": [{"sourcedId": "rw-school", "name": "New", "type": "school", "parentSourcedId": "sc-district"}]}}))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orgs WHERE sourced_id = 'rw-school'").await, 0);
    // And a caller without roster.write writes nothing at all.
    let reader = app.token("roster.read", &[]).await;
    let res = app.gql(&reader, UPSERT, json!({"i": {"users": [student("rw-6", "No", "sc-school-001")]}})).await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE sourced_id = 'rw-6'").await, 0);
}

/// A write reads only the records it names and those they refer to: a deletion by sourcedId
/// alone still knows the record's school (an enrollment's, through its class), so a writer
/// limited to a school deletes its own school's enrollment and not another's.
#[tokio::test]
async fn a_deletion_by_sourced_id_alone_is_judged_by_the_records_school() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let school2 = app.token("roster.read roster.write", &["sc-school-002"]).await;
    let enrollment_of = async |school: &str| {
        scalar(
            &app,
            &format!(
                "SELECT e.sourced_id FROM enrollments e JOIN classes c ON c.id = e.class_id JOIN orgs o ON o.id = c.org_id \
                 WHERE o.sourced_id = '{school}' AND e.status = 'active' ORDER BY e.id LIMIT 1"
            ),
        )
        .await
        .unwrap()
    };
    let (mine, theirs) = (enrollment_of("sc-school-002").await, enrollment_of("sc-school-001").await);
    let status =
        async |sid: &str| scalar(&app, &format!("SELECT status FROM enrollments WHERE sourced_id = '{sid}'")).await;

    let d = data(
        app.gql(
            &school2,
            UPSERT,
            json!({"i": {"deletions": [{"type": "ENROLLMENT", "sourcedId": theirs}, {"type": "ENROLLMENT", "sourcedId": mine}]}}),
        )
        .await,
    );
    assert_eq!(
        d["upsertRoster"]["results"],
        json!([{"type": "ENROLLMENT", "index": 1, "sourcedId": mine, "outcome": "DELETED"}]),
        "{d}"
    );
    assert_eq!(d["upsertRoster"]["userErrors"][0]["code"], "NOT_FOUND", "{d}");
    assert_eq!(d["upsertRoster"]["userErrors"][0]["field"], json!(["input", "deletions", "0", "sourcedId"]), "{d}");
    assert_eq!(status(&mine).await.as_deref(), Some("tobedeleted"));
    assert_eq!(status(&theirs).await.as_deref(), Some("active"), "the other school's enrollment is untouched");
}

/// Deleting a class ends its enrollments; the writer's access audit names the class's students,
/// not its teacher (whom the write did not otherwise read).
#[tokio::test]
async fn deleting_a_class_audits_its_students_and_not_its_teacher() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let district = app.token("roster.read roster.write", &[]).await;
    let class = scalar(
        &app,
        "SELECT c.sourced_id FROM classes c JOIN enrollments e ON e.class_id = c.id \
         WHERE e.role = 'teacher' AND e.status = 'active' ORDER BY c.id LIMIT 1",
    )
    .await
    .unwrap();
    let members = async |role: &str| {
        let sql = format!(
            "SELECT COUNT(*) FROM enrollments e JOIN classes c ON c.id = e.class_id \
             WHERE c.sourced_id = '{class}' AND e.role = '{role}' AND e.status = 'active'"
        );
        count(&app, &sql).await
    };
    let (students, teachers) = (members("student").await, members("teacher").await);
    assert!(students > 0 && teachers > 0, "the class has both: {students} students, {teachers} teachers");
    let last_event = count(&app, "SELECT COALESCE(MAX(id), 0) FROM audit_events").await;

    let d =
        data(app.gql(&district, UPSERT, json!({"i": {"deletions": [{"type": "CLASS", "sourcedId": class}]}})).await);
    assert_eq!(d["upsertRoster"]["results"][0]["outcome"], "DELETED", "{d}");
    assert_eq!(members("student").await + members("teacher").await, 0, "every enrollment ended");
    let audited = |role: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_event_learners a JOIN users u ON u.id = a.user_id \
             WHERE a.event_id > {last_event} AND u.role = '{role}'"
        )
    };
    assert_eq!(count(&app, &audited("student")).await, students, "the class's students are named");
    assert_eq!(count(&app, &audited("teacher")).await, 0, "its teacher is not a learner");
}
