//! Competencies, playlists, results and mastery, and the changes feed, through HTTP.

use serde_json::{Value, json};

use crate::{
    authz_matrix::CASE_PACKAGE,
    support::{TestApp, backend_is_postgres, data, error_code, spawn_app, spawn_app_with},
};

pub const ALL: &str = "roster.read profiles.read playlists.read playlists.write progress.read progress.write admin";

pub async fn setup(app: &TestApp) -> (String, Vec<String>) {
    app.seed(2, 20).await;
    let admin = app.token(ALL, &[]).await;
    let d = data(
        app.gql(
            &admin,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { created userErrors { message } } }",
            json!({"pkg": CASE_PACKAGE}),
        )
        .await,
    );
    assert_eq!(d["importCaseFramework"]["created"], 3, "{d}");
    let d = data(
        app.gql(
            &admin,
            "{ class(sourcedId: \"sc-c-001-06-math-s1\") { learners(first: 100) { edges { node { sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    let learners = d["class"]["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned())
        .collect();
    (admin, learners)
}

pub fn row(sid: &str, learner: &str, score: f64, at: &str) -> Value {
    json!({"sourcedId": sid, "learnerSourcedId": learner, "competencyId": "c-rp-1", "score": score, "scoreMax": 10,
           "evidenceType": "TEST", "occurredAt": at})
}

const POST: &str = "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { results { index outcome result { id score value } } userErrors { field code message } } }";

pub async fn post(app: &TestApp, token: &str, rows: Value) -> Value {
    data(app.gql(token, POST, json!({"rows": rows})).await)["postResults"].clone()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_owned()),
    )
    .await
    .unwrap()
    .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// One school of `students`, the CASE framework, and a playlist template of two items (A
/// building `a`, B building `b`, GraphQL lists of competency ids) assigned to every class.
/// Returns a district-wide token with every scope.
async fn playlists_for_every_class(app: &TestApp, students: usize, a: &str, b: &str) -> String {
    app.seed(1, students).await;
    let admin = app.token(ALL, &[]).await;
    data(
        app.gql(
            &admin,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { created } }",
            json!({"pkg": CASE_PACKAGE}),
        )
        .await,
    );
    let create = format!(
        "mutation {{ createPlaylist(input: {{schoolSourcedId: \"sc-school-001\", subject: \"Math\", title: \"T\", items: [{{title: \"A\", evidence: TEST, competencyIds: {a}}}, {{title: \"B\", evidence: TEST, competencyIds: {b}}}]}}) {{ playlist {{ id }} }} }}"
    );
    let d = data(app.gql(&admin, &create, json!({})).await);
    let template = d["createPlaylist"]["playlist"]["id"].clone();
    let classes = data(app.gql(&admin, "{ classes(first: 100) { edges { node { sourcedId } } } }", json!({})).await);
    for c in classes["classes"]["edges"].as_array().unwrap() {
        app.gql(
            &admin,
            "mutation($t: ID!, $c: String!) { assignPlaylistTemplate(input: {templateId: $t, classSourcedId: $c}) { alreadyAssigned } }",
            json!({"t": template, "c": c["node"]["sourcedId"]}),
        )
        .await;
    }
    admin
}

/// The one userError of a mutation payload: its field path and code (its message not empty).
pub fn the_user_error(payload: &Value) -> (Value, &str) {
    let errors = payload["userErrors"].as_array().unwrap_or_else(|| panic!("no userErrors in {payload}"));
    assert_eq!(errors.len(), 1, "expected exactly one userError: {payload}");
    assert!(errors[0]["message"].as_str().is_none_or(|m| !m.is_empty()), "{payload}");
    (errors[0]["field"].clone(), errors[0]["code"].as_str().unwrap_or_else(|| panic!("no code in {payload}")))
}

/// A playlist item's state and how many transitions it went through, read by `token`.
async fn item_as_admin(app: &TestApp, token: &str, item: &Value) -> Value {
    let d = data(
        app.gql(
            token,
            "query($i: ID!) { node(id: $i) { ... on PlaylistItem { state transitions { to } } } }",
            json!({"i": item}),
        )
        .await,
    );
    json!({"state": d["node"]["state"], "transitions": d["node"]["transitions"].as_array().unwrap().len()})
}

#[tokio::test]
async fn posting_is_idempotent_ordered_by_time_and_keeps_good_rows() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    let first = post(&app, &admin, json!([row("r1", l, 5.0, "2026-01-01T10:00:00Z")])).await;
    assert_eq!(first["results"][0]["outcome"], "CREATED");
    let again = post(&app, &admin, json!([row("r1", l, 5.0, "2026-01-01T10:00:00Z")])).await;
    assert_eq!(again["results"][0]["outcome"], "UNCHANGED");
    let newer = post(&app, &admin, json!([row("r1", l, 7.0, "2026-01-02T10:00:00Z")])).await;
    assert_eq!(newer["results"][0]["outcome"], "UPDATED");
    assert_eq!(newer["results"][0]["result"]["score"], 7.0);
    let older = post(&app, &admin, json!([row("r1", l, 2.0, "2026-01-01T12:00:00Z")])).await;
    assert_eq!(older["results"][0]["outcome"], "IGNORED_STALE");
    assert_eq!(older["results"][0]["result"]["score"], 7.0, "the stored, newer result is kept");

    // One bad row does not lose the good ones; each error names its row.
    let mixed = post(
        &app,
        &admin,
        json!([
            row("r2", l, 4.0, "2026-01-03T10:00:00Z"),
            row("r3", l, 11.0, "2026-01-03T10:00:00Z"),
            row("r4", "nobody", 4.0, "2026-01-03T10:00:00Z"),
            row("r5", &learners[1], 9.0, "2026-01-03T10:00:00Z"),
        ]),
    )
    .await;
    let indexes: Vec<i64> = mixed["results"].as_array().unwrap().iter().map(|r| r["index"].as_i64().unwrap()).collect();
    assert_eq!(indexes, [0, 3], "{mixed}");
    assert_eq!(mixed["userErrors"][0]["field"], json!(["input", "results", "1", "score"]), "{mixed}");
    assert_eq!(mixed["userErrors"][1]["field"], json!(["input", "results", "2", "learnerSourcedId"]), "{mixed}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 3);

    // Another tool's sourcedIds are its own.
    let other = app.token("progress.write progress.read", &[]).await;
    let theirs = post(&app, &other, json!([row("r1", l, 1.0, "2026-01-01T10:00:00Z")])).await;
    assert_eq!(theirs["results"][0]["outcome"], "CREATED");
    // A learner can't be named by a tool limited to another school.
    let elsewhere = app.token("progress.write progress.read", &["sc-school-002"]).await;
    let refused = post(&app, &elsewhere, json!([row("x1", l, 1.0, "2026-01-01T10:00:00Z")])).await;
    assert_eq!(refused["results"], json!([]));
    assert_eq!(
        the_user_error(&refused),
        (json!(["input", "results", "0", "learnerSourcedId"]), "NOT_FOUND"),
        "{refused}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id = 'x1'").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 4, "three of ours and the other tool's one");
}

#[tokio::test]
async fn concurrent_retries_of_one_batch_store_each_result_once() {
    // Six posts share five connections: the sixth waits its turn however loaded the machine
    // (the default 2 s acquire timeout would answer it 503, which is the overload test's subject,
    // not this one's).
    let app = spawn_app_with(&[("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", "60000")]).await;
    let (admin, learners) = setup(&app).await;
    let rows: Vec<Value> = (0..40)
        .map(|i| row(&format!("c{i}"), &learners[i % learners.len()], (i % 10) as f64, "2026-02-01T10:00:00Z"))
        .collect();
    let rows = Value::Array(rows);
    let posts = (0..6).map(|_| post(&app, &admin, rows.clone()));
    let answers = futures_util::future::join_all(posts).await;
    let created: usize = answers
        .iter()
        .map(|a| a["results"].as_array().unwrap().iter().filter(|r| r["outcome"] == "CREATED").count())
        .sum();
    let unchanged: usize = answers
        .iter()
        .map(|a| a["results"].as_array().unwrap().iter().filter(|r| r["outcome"] == "UNCHANGED").count())
        .sum();
    assert_eq!((created, unchanged), (40, 200), "every row answered once as created, the rest unchanged");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 40);
}

#[tokio::test]
async fn results_roll_up_into_mastery_and_master_items() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    let fw = data(app.gql(&admin, "{ competencyFrameworks { edges { node { id gradeBand } } } }", json!({})).await);
    assert_eq!(fw["competencyFrameworks"]["edges"][0]["node"]["gradeBand"], "06");
    let fw = fw["competencyFrameworks"]["edges"][0]["node"]["id"].clone();
    let d = data(
        app.gql(
            &admin,
            "mutation($fw: ID!) { setMasteryCalculation(input: {frameworkId: $fw, calculation: MOST_RECENT}) { framework { masteryCalculation { calculation masteredLevel } } userErrors { message } } }",
            json!({"fw": fw}),
        )
        .await,
    );
    assert_eq!(d["setMasteryCalculation"]["framework"]["masteryCalculation"]["calculation"], "MOST_RECENT");
    let d = data(
        app.gql(
            &admin,
            "mutation($l: String!) { createPlaylist(input: {learnerSourcedId: $l, subject: \"Math\", title: \"Ratios\", items: [{title: \"Ratios\", evidence: TEST, competencyIds: [\"c-rp-1\"]}]}) { playlist { items { id state } } userErrors { message } } }",
            json!({"l": l}),
        )
        .await,
    );
    let item = d["createPlaylist"]["playlist"]["items"][0]["id"].clone();
    let mastery = "query($l: String!) { learner(sourcedId: $l) { mastery { competency { code } value level mastered evidenceCount evidence { sourcedId } } playlists { items { state transitions { to by { kind id } } } } } }";

    post(&app, &admin, json!([row("m1", l, 5.0, "2026-03-01T10:00:00Z")])).await;
    let d = data(app.gql(&admin, mastery, json!({"l": l})).await);
    let m = &d["learner"]["mastery"][0];
    assert_eq!(
        (m["competency"]["code"].as_str(), m["level"].as_str(), m["mastered"].as_bool()),
        (Some("MATH.6.RP.1"), Some("DEVELOPING"), Some(false))
    );
    assert_eq!(d["learner"]["playlists"][0]["items"][0]["state"], "NOT_STARTED");

    // A result posted against the item counts for its competency.
    let on_item = json!([{"sourcedId": "m2", "learnerSourcedId": l, "itemId": item, "score": 9, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-02T10:00:00Z"}]);
    let r = post(&app, &admin, on_item).await;
    let result_id = r["results"][0]["result"]["id"].clone();
    let d = data(app.gql(&admin, mastery, json!({"l": l})).await);
    let m = &d["learner"]["mastery"][0];
    assert_eq!(
        (m["level"].as_str(), m["mastered"].as_bool(), m["evidenceCount"].as_i64()),
        (Some("ADVANCED"), Some(true), Some(2))
    );
    assert_eq!(m["evidence"].as_array().unwrap().len(), 2);
    let item_now = &d["learner"]["playlists"][0]["items"][0];
    assert_eq!(item_now["state"], "MASTERED", "mastering the item's competencies masters the item: {d}");
    assert_eq!(item_now["transitions"][0]["by"], json!({"kind": "system", "id": "mastery"}));

    // A teacher's override wins, and the poster sees it.
    let d = data(
        app.gql(
            &admin,
            "mutation($r: ID!) { overrideResult(input: {resultId: $r, score: 3, scoreMax: 10, note: \"copied\"}) { result { overridden effectiveValue value override { note } } userErrors { message } } }",
            json!({"r": result_id}),
        )
        .await,
    );
    let r = &d["overrideResult"]["result"];
    assert_eq!(
        (r["overridden"].as_bool(), r["effectiveValue"].as_f64(), r["value"].as_f64()),
        (Some(true), Some(0.3), Some(0.9))
    );
    let d = data(app.gql(&admin, mastery, json!({"l": l})).await);
    assert_eq!(d["learner"]["mastery"][0]["level"], "BEGINNING");
    // A vendor tool may not override.
    let vendor = app.token("progress.write progress.read", &[]).await;
    let body = app
        .gql(&vendor, "mutation($r: ID!) { overrideResult(input: {resultId: $r, score: 9, scoreMax: 10}) { userErrors { message } } }", json!({"r": result_id}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    let d = data(
        app.gql(
            &admin,
            "query($r: ID!) { node(id: $r) { ... on Result { overridden effectiveValue override { note } } } }",
            json!({"r": result_id}),
        )
        .await,
    );
    assert_eq!(
        d["node"],
        json!({"overridden": true, "effectiveValue": 0.3, "override": {"note": "copied"}}),
        "the refused override changed nothing"
    );
}

#[tokio::test]
async fn templates_assign_once_per_learner_and_states_are_validated() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let d = data(
        app.gql(
            &admin,
            "mutation { createPlaylist(input: {classSourcedId: \"sc-c-001-06-math-s1\", subject: \"Math\", title: \"Unit 1\", items: [{title: \"A\", evidence: TEST, targetDate: \"2020-01-01\"}, {title: \"B\", evidence: PROJECT}]}) { playlist { id isTemplate } userErrors { message } } }",
            json!({}),
        )
        .await,
    );
    let template = d["createPlaylist"]["playlist"]["id"].clone();
    assert_eq!(d["createPlaylist"]["playlist"]["isTemplate"], true);
    let assign = "mutation($t: ID!) { assignPlaylistTemplate(input: {templateId: $t, classSourcedId: \"sc-c-001-06-math-s1\"}) { playlists { items { id } } alreadyAssigned userErrors { message } } }";
    let first = data(app.gql(&admin, assign, json!({"t": template})).await);
    assert_eq!(first["assignPlaylistTemplate"]["playlists"].as_array().unwrap().len(), learners.len());
    let again = data(app.gql(&admin, assign, json!({"t": template})).await);
    assert_eq!(again["assignPlaylistTemplate"]["playlists"], json!([]));
    assert_eq!(again["assignPlaylistTemplate"]["alreadyAssigned"], learners.len());

    let item = first["assignPlaylistTemplate"]["playlists"][0]["items"][0]["id"].clone();
    let set = "mutation($i: ID!, $s: PlaylistItemState!) { setPlaylistItemState(input: {itemId: $i, state: $s}) { item { state } userErrors { field message code } } }";
    let bad = data(app.gql(&admin, set, json!({"i": item, "s": "NEEDS_REVISION"})).await);
    assert_eq!(the_user_error(&bad["setPlaylistItemState"]), (json!(["input", "state"]), "INVALID"), "{bad}");
    assert_eq!(bad["setPlaylistItemState"]["item"], Value::Null, "{bad}");
    assert_eq!(item_as_admin(&app, &admin, &item).await, json!({"state": "NOT_STARTED", "transitions": 0}));
    for s in ["IN_PROGRESS", "SUBMITTED", "MASTERED"] {
        let ok = data(app.gql(&admin, set, json!({"i": item, "s": s})).await);
        assert_eq!(ok["setPlaylistItemState"]["item"]["state"], s);
    }
    let class = data(app.gql(&admin, "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id } }", json!({})).await)["class"]
        ["id"]
        .clone();
    let d = data(
        app.gql(
            &admin,
            "query($c: ID!) { classPlaylistProgress(classId: $c, first: 100) { totalCount edges { node { itemsDone itemsTotal overdueItems { title } } } } }",
            json!({"c": class}),
        )
        .await,
    );
    assert_eq!(d["classPlaylistProgress"]["totalCount"], learners.len(), "{d}");
    let rows: Vec<Value> =
        d["classPlaylistProgress"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    assert_eq!(rows.len(), learners.len());
    assert_eq!(rows.iter().map(|r| r["itemsDone"].as_i64().unwrap()).sum::<i64>(), 1);
    assert!(rows.iter().all(|r| r["itemsTotal"] == 2));
    // Item A is past its target date for everyone but the learner who mastered it.
    let overdue: usize = rows.iter().map(|r| r["overdueItems"].as_array().unwrap().len()).sum();
    assert_eq!(overdue, learners.len() - 1);
}

#[tokio::test]
async fn the_changes_feed_follows_commit_order_keeps_deletions_and_expires_old_cursors() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let start = data(app.gql(&admin, "{ syncCursor }", json!({})).await)["syncCursor"].clone();
    let d = data(
        app.gql(
            &admin,
            "mutation($l: String!) { createPlaylist(input: {learnerSourcedId: $l, subject: \"Math\", title: \"P\", items: [{title: \"A\", evidence: TEST}]}) { playlist { id } } }",
            json!({"l": learners[0]}),
        )
        .await,
    );
    let pl = d["createPlaylist"]["playlist"]["id"].clone();
    post(&app, &admin, json!([row("f1", &learners[0], 5.0, "2026-01-01T10:00:00Z")])).await;
    data(
        app.gql(
            &admin,
            "mutation($p: ID!) { deletePlaylist(input: {playlistId: $p}) { deletedId } }",
            json!({"p": pl}),
        )
        .await,
    );

    let feed = "query($after: String, $n: Int!) { changes(after: $after, first: $n) { cursor hasMore changes { entityType type id node { id } } } }";
    let mut after = start.clone();
    let mut seen = Vec::new();
    loop {
        let d = data(app.gql(&admin, feed, json!({"after": after, "n": 2})).await);
        for c in d["changes"]["changes"].as_array().unwrap() {
            seen.push((c["entityType"].as_str().unwrap().to_owned(), c["type"].as_str().unwrap().to_owned()));
        }
        after = d["changes"]["cursor"].clone();
        if d["changes"]["hasMore"] == false {
            break;
        }
    }
    let expected: Vec<(String, String)> = [
        ("PLAYLIST", "UPSERTED"),
        ("PLAYLIST_ITEM", "UPSERTED"),
        ("RESULT", "UPSERTED"),
        ("PLAYLIST", "DELETED"),
        ("PLAYLIST_ITEM", "DELETED"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(seen, expected);
    // Nothing new: the cursor stays.
    let d = data(app.gql(&admin, feed, json!({"after": after, "n": 10})).await);
    assert_eq!(d["changes"]["changes"], json!([]));
    assert_eq!(d["changes"]["cursor"], after);

    // A tool limited to the other school sees none of it; one without progress.read no results.
    let elsewhere = app.token(ALL, &["sc-school-002"]).await;
    let d = data(app.gql(&elsewhere, feed, json!({"after": start, "n": 100})).await);
    assert_eq!(d["changes"]["changes"], json!([]));
    let no_progress = app.token("playlists.read", &[]).await;
    let d = data(app.gql(&no_progress, feed, json!({"after": start, "n": 100})).await);
    assert_eq!(d["changes"]["changes"].as_array().unwrap().len(), 4);

    // Retention pruned what the old cursor had not seen: resync fully.
    learnergraph::sync::store::prune(&app.db, chrono::Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    let body = app.gql(&admin, feed, json!({"after": start, "n": 10})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "CURSOR_EXPIRED", "{body}");
    let d = data(app.gql(&admin, feed, json!({"after": after, "n": 10})).await);
    assert_eq!(d["changes"]["changes"], json!([]), "a cursor at the head is still good");
    // updatedSince on the lists delivers the deletion too.
    let d = data(
        app.gql(
            &admin,
            "{ playlists(filter: {updatedSince: \"2000-01-01T00:00:00Z\"}) { edges { node { status } } } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(d["playlists"]["edges"][0]["node"]["status"], "TO_BE_DELETED");
}

#[tokio::test]
async fn a_page_of_learners_with_playlists_items_and_results_takes_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    let admin = playlists_for_every_class(&app, 60, "[\"c-rp-1\"]", "[]").await;
    let items = data(
        app.gql(
            &admin,
            "{ playlistItems(first: 100) { edges { node { id playlist { learner { sourcedId } } } } } }",
            json!({}),
        )
        .await,
    );
    let rows: Vec<Value> = items["playlistItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["node"]["playlist"]["learner"].is_null())
        .enumerate()
        .map(|(i, e)| json!({"sourcedId": format!("b{i}"), "learnerSourcedId": e["node"]["playlist"]["learner"]["sourcedId"], "itemId": e["node"]["id"], "score": 8, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-01-01T10:00:00Z"}))
        .collect();
    let posted = post(&app, &admin, Value::Array(rows)).await;
    assert_eq!(posted["userErrors"], json!([]));
    let doc = "query($n: Int!) { learners(first: $n) { edges { node { sourcedId playlists { title items { title state competencies { code } latestResult { score } } } mastery { level competency { code } } } } } }";
    let mut counts = Vec::new();
    for n in [5, 50] {
        let (cost, body) = app.gql_counted(&admin, doc, json!({"n": n})).await;
        let d = data(body);
        counts.push(cost);
        let with_results = d["learners"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["node"]["playlists"][0]["items"][0]["latestResult"].is_null())
            .count();
        assert!(with_results > 0, "the page shows results: {d}");
    }
    assert_eq!(counts[0], counts[1], "statements for 5 and 50 learners: {counts:?}");
}

#[tokio::test]
async fn a_teachers_override_outlives_newer_tool_posts_and_a_retry_does_not_revive_a_deleted_result() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    let first = post(&app, &admin, json!([row("o1", l, 9.0, "2026-04-01T10:00:00Z")])).await;
    let id = first["results"][0]["result"]["id"].clone();
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", "progress.read progress.write").await;
    let d = data(
        app.gql(
            &teacher,
            "mutation($r: ID!) { overrideResult(input: {resultId: $r, score: 2, scoreMax: 10, note: \"not their work\"}) { result { overridden } userErrors { message } } }",
            json!({"r": id}),
        )
        .await,
    );
    assert_eq!(d["overrideResult"]["result"]["overridden"], true, "{d}");
    // The tool posts a newer score for the same result: its values change, the override stays.
    let newer = post(&app, &admin, json!([row("o1", l, 10.0, "2026-04-02T10:00:00Z")])).await;
    assert_eq!(newer["results"][0]["outcome"], "UPDATED");
    let q =
        "query($r: ID!) { node(id: $r) { ... on Result { score overridden effectiveValue override { note by } } } }";
    let d = data(app.gql(&admin, q, json!({"r": id})).await);
    assert_eq!(
        d["node"],
        json!({"score": 10.0, "overridden": true, "effectiveValue": 0.2, "override": {"note": "not their work", "by": "sc-t-001-06-math-0"}})
    );
    let m = data(
        app.gql(&admin, "query($l: String!) { learner(sourcedId: $l) { mastery { value } } }", json!({"l": l})).await,
    );
    assert_eq!(m["learner"]["mastery"][0]["value"], 0.2, "mastery follows the override: {m}");

    // Deleted by the teacher, then the tool's retry of its last post: nothing comes back.
    let d = data(
        app.gql(&teacher, "mutation($r: ID!) { deleteResult(input: {resultId: $r}) { deletedId } }", json!({"r": id}))
            .await,
    );
    assert_eq!(d["deleteResult"]["deletedId"], id);
    let retry = post(&app, &admin, json!([row("o1", l, 10.0, "2026-04-02T10:00:00Z")])).await;
    assert_eq!(retry["results"][0]["outcome"], "UNCHANGED", "{retry}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE status = 'active'").await, 0);
    let m = data(
        app.gql(&admin, "query($l: String!) { learner(sourcedId: $l) { mastery { value } } }", json!({"l": l})).await,
    );
    assert_eq!(m["learner"]["mastery"], json!([]), "no evidence left: {m}");
}

#[tokio::test]
async fn signed_in_students_and_teachers_reach_only_their_own_learning_data() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    let (admin, learners) = setup(&app).await;
    let d = data(
        app.gql(
            &admin,
            "mutation { createPlaylist(input: {classSourcedId: \"sc-c-001-06-math-s1\", subject: \"Math\", title: \"Unit\", items: [{title: \"A\", evidence: TEST, competencyIds: [\"c-rp-1\"]}]}) { playlist { id } } }",
            json!({}),
        )
        .await,
    );
    let template = d["createPlaylist"]["playlist"]["id"].clone();
    data(
        app.gql(
            &admin,
            "mutation($t: ID!) { assignPlaylistTemplate(input: {templateId: $t, classSourcedId: \"sc-c-001-06-math-s1\"}) { alreadyAssigned } }",
            json!({"t": template}),
        )
        .await,
    );
    post(
        &app,
        &admin,
        json!([
            row("s1", &learners[0], 4.0, "2026-01-01T10:00:00Z"),
            row("s2", &learners[1], 6.0, "2026-01-01T10:00:00Z")
        ]),
    )
    .await;
    let mine = "query($l: String!) { learner(sourcedId: $l) { playlists { items { id state } } mastery { value } } }";
    let items_of = async |token: &str, l: &str| {
        let d = data(app.gql(&admin, mine, json!({"l": l})).await);
        let _ = token;
        d["learner"]["playlists"][0]["items"][0]["id"].clone()
    };
    let own_item = items_of(&admin, &learners[0]).await;
    let other_item = items_of(&admin, &learners[1]).await;

    let student =
        app.dev_sign_in(&learners[0], "roster.read playlists.read playlists.write progress.read progress.write").await;
    let d = data(app.gql(&student, mine, json!({"l": learners[0]})).await);
    assert_eq!(d["learner"]["playlists"][0]["items"][0]["id"], own_item);
    assert_eq!(d["learner"]["mastery"][0]["value"], 0.4);
    let body = app.gql(&student, mine, json!({"l": learners[1]})).await;
    assert_eq!(data(body)["learner"], Value::Null, "a student sees no classmate, as if there were none");

    let set = "mutation($i: ID!, $s: PlaylistItemState!) { setPlaylistItemState(input: {itemId: $i, state: $s}) { item { state } userErrors { field code message } } }";
    for s in ["IN_PROGRESS", "SUBMITTED"] {
        let d = data(app.gql(&student, set, json!({"i": own_item, "s": s})).await);
        assert_eq!(d["setPlaylistItemState"]["item"]["state"], s, "{d}");
    }
    let body = app.gql(&student, set, json!({"i": own_item, "s": "MASTERED"})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "the teacher decides mastery");
    assert_eq!(item_as_admin(&app, &admin, &own_item).await, json!({"state": "SUBMITTED", "transitions": 2}));
    let other_before = item_as_admin(&app, &admin, &other_item).await;
    assert_eq!(other_before, json!({"state": "NOT_STARTED", "transitions": 0}));
    let d = data(app.gql(&student, set, json!({"i": other_item, "s": "IN_PROGRESS"})).await);
    assert_eq!(d["setPlaylistItemState"]["item"], Value::Null, "{d}");
    assert_eq!(
        the_user_error(&d["setPlaylistItemState"]),
        (json!(["input"]), "NOT_FOUND"),
        "a classmate's item is not there for the student: {d}"
    );
    assert_eq!(item_as_admin(&app, &admin, &other_item).await, other_before, "the classmate's item is unchanged");
    let body = app
        .gql(&student, "mutation { createPlaylist(input: {learnerSourcedId: \"x\", subject: \"Math\", title: \"Mine\", items: []}) { playlist { id } } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM playlists WHERE title = 'Mine'").await, 0);
    let body =
        app.gql(&student, POST, json!({"rows": [row("self", &learners[0], 10.0, "2026-01-02T10:00:00Z")]})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "learners do not post their own results: {body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id = 'self'").await, 0);
    let m = data(app.gql(&admin, mine, json!({"l": learners[0]})).await);
    assert_eq!(m["learner"]["mastery"], json!([{"value": 0.4}]), "mastery unchanged: {m}");

    // The class's teacher sees and moves their students' work; a student of another school is
    // out of reach.
    let teacher = app
        .dev_sign_in("sc-t-001-06-math-0", "roster.read playlists.read playlists.write progress.read progress.write")
        .await;
    let class = data(app.gql(&admin, "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id } }", json!({})).await)["class"]
        ["id"]
        .clone();
    let d = data(
        app.gql(
            &teacher,
            "query($c: ID!) { classPlaylistProgress(classId: $c, first: 100) { edges { node { learner { sourcedId } itemsTotal } } } }",
            json!({"c": class}),
        )
        .await,
    );
    assert_eq!(d["classPlaylistProgress"]["edges"].as_array().unwrap().len(), learners.len(), "{d}");
    let d = data(app.gql(&teacher, set, json!({"i": own_item, "s": "MASTERED"})).await);
    assert_eq!(d["setPlaylistItemState"]["item"]["state"], "MASTERED", "{d}");
    let far = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-002\") { learners(first: 1) { edges { node { sourcedId } } } } }",
            json!({}),
        )
        .await,
    )["school"]["learners"]["edges"][0]["node"]["sourcedId"]
        .clone();
    let body = app.gql(&teacher, mine, json!({"l": far})).await;
    assert_eq!(data(body)["learner"], Value::Null, "another school's student is not there for the teacher");
    let other_class =
        data(app.gql(&admin, "{ class(sourcedId: \"sc-c-002-06-math-s1\") { id } }", json!({})).await)["class"]["id"]
            .clone();
    let body = app
        .gql(
            &teacher,
            "query($c: ID!) { classPlaylistProgress(classId: $c) { edges { node { itemsTotal } } } }",
            json!({"c": other_class}),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
}

#[tokio::test]
async fn every_mastery_calculation_rolls_up_through_the_api() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    // Scores 0.2, 0.9, 0.6, in time order.
    post(
        &app,
        &admin,
        json!([
            row("k1", l, 2.0, "2026-01-01T10:00:00Z"),
            row("k2", l, 9.0, "2026-01-02T10:00:00Z"),
            row("k3", l, 6.0, "2026-01-03T10:00:00Z"),
        ]),
    )
    .await;
    let fw = data(app.gql(&admin, "{ competencyFrameworks { edges { node { id } } } }", json!({})).await)
        ["competencyFrameworks"]["edges"][0]["node"]["id"]
        .clone();
    let set = "mutation($fw: ID!, $c: Calculation!, $p: Float) { setMasteryCalculation(input: {frameworkId: $fw, calculation: $c, parameter: $p}) { userErrors { field code message } } }";
    let value = async |calc: &str, param: Option<f64>| {
        let d = data(app.gql(&admin, set, json!({"fw": fw, "c": calc, "p": param})).await);
        assert_eq!(d["setMasteryCalculation"]["userErrors"], json!([]), "{calc}: {d}");
        let d = data(
            app.gql(
                &admin,
                "query($l: String!) { learner(sourcedId: $l) { mastery { value mastered } } }",
                json!({"l": l}),
            )
            .await,
        );
        let m = &d["learner"]["mastery"][0];
        (m["value"].as_f64().unwrap(), m["mastered"].as_bool().unwrap())
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let (v, _) = value("MOST_RECENT", None).await;
    assert!(close(v, 0.6), "most recent {v}");
    let (v, _) = value("HIGHEST", None).await;
    assert!(close(v, 0.9), "highest {v}");
    let (v, _) = value("AVERAGE", None).await;
    assert!(close(v, (0.2 + 0.9 + 0.6) / 3.0), "average {v}");
    // Decaying average with weight 0.75: each new score weighs 75% against what came before.
    let (v, _) = value("DECAYING_AVERAGE", Some(0.75)).await;
    assert!(close(v, (0.2 * 0.25 + 0.9 * 0.75) * 0.25 + 0.6 * 0.75), "decaying average {v}");
    // The n-th best score: mastered once (0.9), but not twice (0.6 is below proficient).
    let (v, mastered) = value("N_TIMES_AT_MASTERY", Some(1.0)).await;
    assert!(close(v, 0.9) && mastered, "once {v} {mastered}");
    let (v, mastered) = value("N_TIMES_AT_MASTERY", Some(2.0)).await;
    assert!(close(v, 0.6) && !mastered, "twice {v} {mastered}");
    let bad = data(app.gql(&admin, set, json!({"fw": fw, "c": "DECAYING_AVERAGE", "p": 1.5})).await);
    assert_eq!(the_user_error(&bad["setMasteryCalculation"]), (json!(["input", "parameter"]), "INVALID"), "{bad}");
    // Refused, so the last calculation set (twice at mastery) still holds.
    let d = data(
        app.gql(
            &admin,
            "query($l: String!) { learner(sourcedId: $l) { mastery { value mastered } } }",
            json!({"l": l}),
        )
        .await,
    );
    assert_eq!(d["learner"]["mastery"][0]["mastered"], false, "{d}");
    assert!(close(d["learner"]["mastery"][0]["value"].as_f64().unwrap(), 0.6), "unchanged: {d}");
}

#[tokio::test]
async fn a_batch_of_1000_results_is_stored_and_one_of_1001_is_refused_whole() {
    // 1,001 rows are about 200 KB of variables: the default 1 MiB body limit, not the suite's.
    let app = spawn_app_with(&[("LEARNERGRAPH_MAX_BODY_BYTES", "1048576")]).await;
    let (admin, learners) = setup(&app).await;
    let rows = |prefix: &str, n: usize| -> Value {
        (0..n)
            .map(|i| row(&format!("{prefix}{i:04}"), &learners[i % learners.len()], 5.0, "2026-05-01T10:00:00Z"))
            .collect()
    };
    let full = post(&app, &admin, rows("cap-", 1000)).await;
    assert_eq!(full["userErrors"], json!([]), "{}", full["userErrors"]);
    let answered = full["results"].as_array().unwrap();
    let indexes: Vec<i64> = answered.iter().map(|r| r["index"].as_i64().unwrap()).collect();
    assert_eq!(indexes, (0..1000).collect::<Vec<i64>>());
    assert!(answered.iter().all(|r| r["outcome"] == "CREATED"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id LIKE 'cap-%'").await, 1000);

    // One row over: new rows and a newer version of a stored one; none of it is written.
    let changes_before = count(&app, "SELECT COUNT(*) FROM sync_changes").await;
    let mastery_before = count(&app, "SELECT COUNT(*) FROM masteries").await;
    let mut over = rows("over-", 1000);
    over.as_array_mut().unwrap().push(row("cap-0000", &learners[0], 9.0, "2026-05-02T10:00:00Z"));
    let refused = post(&app, &admin, over).await;
    assert_eq!(refused["results"].as_array().map(Vec::len), Some(0), "{}", refused["userErrors"]);
    assert_eq!(the_user_error(&refused), (json!(["input", "results"]), "INVALID"), "{refused}");
    assert_eq!(refused["userErrors"][0]["message"], "give 1 to 1000 results");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id LIKE 'over-%'").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 1000);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id = 'cap-0000' AND score = 5").await,
        1,
        "the stored row keeps its score"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, changes_before, "no change announced");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM masteries").await, mastery_before);

    // The limit counts rows as sent: one row whose itemId does not decode doesn't bring 1,001
    // under it. And an empty batch is refused too.
    let mut over = rows("bad-", 1001);
    over[0]["itemId"] = json!("not-an-id");
    let refused = post(&app, &admin, over).await;
    assert_eq!(refused["results"], json!([]), "{}", refused["userErrors"]);
    assert_eq!(the_user_error(&refused), (json!(["input", "results"]), "INVALID"), "{refused}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE sourced_id LIKE 'bad-%'").await, 0);
    let refused = post(&app, &admin, json!([])).await;
    assert_eq!(the_user_error(&refused), (json!(["input", "results"]), "INVALID"), "{refused}");
    assert_eq!(refused["userErrors"][0]["message"], "give 1 to 1000 results");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 1000);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_changes").await, changes_before);
}

/// `CASE_PACKAGE` with `c-rp-1` reworded and `c-rp-2` gone.
fn reworded_package() -> String {
    let mut pkg: Value = serde_json::from_str(CASE_PACKAGE).unwrap();
    let items = pkg["CFItems"].as_array_mut().unwrap();
    let rp1 = items.iter_mut().find(|i| i["identifier"] == "c-rp-1").unwrap();
    rp1["fullStatement"] = json!("Use ratio language to describe a relationship between two quantities");
    items.retain(|i| i["identifier"] != "c-rp-2");
    pkg["CFAssociations"].as_array_mut().unwrap().retain(|a| a["originNodeURI"]["identifier"] != "c-rp-2");
    pkg.to_string()
}

#[tokio::test]
async fn a_case_reimport_rewords_in_place_and_retires_a_dropped_competency_keeping_its_results_and_mastery() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    let mut on_rp2 = row("re-2", l, 8.0, "2026-02-01T10:00:00Z");
    on_rp2["competencyId"] = json!("c-rp-2");
    let posted = post(&app, &admin, json!([row("re-1", l, 5.0, "2026-02-01T10:00:00Z"), on_rp2])).await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    let rp2_result = posted["results"][1]["result"]["id"].clone();
    let ids = data(
        app.gql(
            &admin,
            "{ a: competency(sourcedId: \"c-rp-1\") { id } b: competency(sourcedId: \"c-rp-2\") { id } }",
            json!({}),
        )
        .await,
    );
    let (rp1, rp2) = (ids["a"]["id"].clone(), ids["b"]["id"].clone());
    let mastery = "query($l: String!) { learner(sourcedId: $l) { mastery { competency { sourcedId status } value level mastered evidenceCount evidence { sourcedId status } } } }";
    let mastery_before = data(app.gql(&admin, mastery, json!({"l": l})).await);
    assert_eq!(
        mastery_before["learner"]["mastery"].as_array().unwrap().len(),
        2,
        "a mastery on each competency: {mastery_before}"
    );

    let import = "mutation($p: String!) { importCaseFramework(input: {package: $p}) { framework { id } created updated unchanged retired userErrors { code } } }";
    let d = data(app.gql(&admin, import, json!({"p": reworded_package()})).await);
    let fw = d["importCaseFramework"]["framework"]["id"].clone();
    assert_eq!(
        d["importCaseFramework"],
        json!({"framework": {"id": fw}, "created": 0, "updated": 1, "unchanged": 1, "retired": 1, "userErrors": []})
    );

    // The reworded statement is updated in place: same ID, new text, still active.
    let q = "query($a: ID!, $b: ID!) { rp1: competency(sourcedId: \"c-rp-1\") { id statement status } rp2: competency(sourcedId: \"c-rp-2\") { id } a: node(id: $a) { ... on Competency { statement status } } b: node(id: $b) { ... on Competency { sourcedId statement status } } }";
    let d = data(app.gql(&admin, q, json!({"a": rp1, "b": rp2})).await);
    assert_eq!(
        d["rp1"],
        json!({"id": rp1, "statement": "Use ratio language to describe a relationship between two quantities", "status": "ACTIVE"})
    );
    assert_eq!(d["a"]["statement"], d["rp1"]["statement"]);
    // The dropped competency is retired, not deleted: gone from lookups by sourcedId and from
    // the framework's list, still there by ID and with includeRetired.
    assert_eq!(d["rp2"], Value::Null, "{d}");
    assert_eq!(
        d["b"],
        json!({"sourcedId": "c-rp-2", "statement": "Understand the concept of a unit rate", "status": "TO_BE_DELETED"})
    );
    let list = "query($f: ID!) { node(id: $f) { ... on CompetencyFramework { active: competencies { edges { node { sourcedId } } } all: competencies(includeRetired: true) { edges { node { sourcedId status } } } } } }";
    let d = data(app.gql(&admin, list, json!({"f": fw})).await);
    let sids = |conn: &Value| -> Vec<String> {
        conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(sids(&d["node"]["active"]), ["c-rp", "c-rp-1"]);
    assert_eq!(sids(&d["node"]["all"]), ["c-rp", "c-rp-1", "c-rp-2"]);
    assert_eq!(d["node"]["all"]["edges"][2]["node"]["status"], "TO_BE_DELETED");

    // Results and mastery are kept as they were (not deleted, not recomputed); the result
    // still names its competency, now retired.
    let mastery_after = data(app.gql(&admin, mastery, json!({"l": l})).await);
    let mut expected = mastery_before.clone();
    for m in expected["learner"]["mastery"].as_array_mut().unwrap() {
        if m["competency"]["sourcedId"] == "c-rp-2" {
            m["competency"]["status"] = json!("TO_BE_DELETED");
        }
    }
    assert_eq!(mastery_after, expected);
    let r = data(
        app.gql(
            &admin,
            "query($r: ID!) { node(id: $r) { ... on Result { status score competency { sourcedId status } } } }",
            json!({"r": rp2_result}),
        )
        .await,
    );
    assert_eq!(
        r["node"],
        json!({"status": "ACTIVE", "score": 8.0, "competency": {"sourcedId": "c-rp-2", "status": "TO_BE_DELETED"}})
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE status = 'active'").await, 2);

    // New evidence on the retired competency is refused, a newer version of its result too.
    let mut newer = row("re-2", l, 2.0, "2026-03-01T10:00:00Z");
    newer["competencyId"] = json!("c-rp-2");
    let mut fresh = row("re-3", l, 2.0, "2026-03-01T10:00:00Z");
    fresh["competencyId"] = json!("c-rp-2");
    let refused = post(&app, &admin, json!([newer, fresh])).await;
    assert_eq!(refused["results"], json!([]), "{refused}");
    let fields: Vec<(&Value, &Value)> =
        refused["userErrors"].as_array().unwrap().iter().map(|e| (&e["field"], &e["code"])).collect();
    assert_eq!(
        fields,
        [
            (&json!(["input", "results", "0", "competencyId"]), &json!("NOT_FOUND")),
            (&json!(["input", "results", "1", "competencyId"]), &json!("NOT_FOUND"))
        ],
        "{refused}"
    );
    assert_eq!(data(app.gql(&admin, mastery, json!({"l": l})).await), expected, "nothing changed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results").await, 2);

    // Importing the original package again brings the competency back, as the same record.
    let d = data(app.gql(&admin, import, json!({"p": CASE_PACKAGE})).await);
    assert_eq!(
        d["importCaseFramework"],
        json!({"framework": {"id": fw}, "created": 0, "updated": 2, "unchanged": 1, "retired": 0, "userErrors": []})
    );
    let d = data(app.gql(&admin, q, json!({"a": rp1, "b": rp2})).await);
    assert_eq!(d["rp2"], json!({"id": rp2}));
    assert_eq!(d["b"]["status"], "ACTIVE");
    assert_eq!(d["rp1"]["statement"], "Understand the concept of a ratio");
    assert_eq!(data(app.gql(&admin, mastery, json!({"l": l})).await), mastery_before);
}

/// Every sequence number left in the changes feed, and how far it was pruned.
async fn feed_state(app: &TestApp) -> (Vec<i64>, i64) {
    let (_, pruned) = learnergraph::sync::store::clock(&app.db).await.unwrap();
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.db,
        sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT seq FROM sync_changes ORDER BY seq".to_owned(),
        ),
    )
    .await
    .unwrap();
    (rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect(), pruned)
}

/// Sets when changes `seqs` happened, as if they were `days` old.
async fn age_changes(app: &TestApp, seqs: &[i64], days: i64) {
    use entity::sync_change;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let at = chrono::Utc::now() - chrono::Duration::days(days);
    let done = sync_change::Entity::update_many()
        .col_expr(sync_change::Column::ChangedAt, Expr::value(at))
        .filter(sync_change::Column::Seq.is_in(seqs.iter().copied()))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(done.rows_affected, seqs.len() as u64);
}

/// Waits (bounded) until the feed has been pruned through `seq` by a replica's scheduled task.
async fn pruned_through(app: &TestApp, seq: i64) -> (Vec<i64>, i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let state = feed_state(app).await;
        if state.1 >= seq || std::time::Instant::now() > deadline {
            return state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_scheduled_pruning_drops_changes_past_the_retention_keeps_newer_ones_and_expires_old_cursors() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    let start = data(app.gql(&admin, "{ syncCursor }", json!({})).await)["syncCursor"].clone();
    let (before, _) = feed_state(&app).await;
    for (i, score) in [1.0, 2.0, 3.0, 4.0].into_iter().enumerate() {
        let r = post(&app, &admin, json!([row(&format!("p{i}"), &learners[0], score, "2026-01-01T10:00:00Z")])).await;
        assert_eq!(r["results"][0]["outcome"], "CREATED", "{r}");
    }
    let (all, pruned) = feed_state(&app).await;
    assert_eq!(pruned, 0, "nothing pruned at the first start");
    let ours: Vec<i64> = all.iter().copied().filter(|s| !before.contains(s)).collect();
    assert_eq!(ours.len(), 4, "one change per posted result: {all:?}");
    let feed = "query($after: String, $n: Int!) { changes(after: $after, first: $n) { cursor hasMore changes { entityType id } } }";
    // Cursors a tool holds: one after the first result, one after the second.
    let one = data(app.gql(&admin, feed, json!({"after": start, "n": 1})).await)["changes"]["cursor"].clone();
    let two = data(app.gql(&admin, feed, json!({"after": one, "n": 1})).await)["changes"]["cursor"].clone();
    let rest = data(app.gql(&admin, feed, json!({"after": two, "n": 10})).await);
    assert_eq!(rest["changes"]["changes"].as_array().unwrap().len(), 2, "{rest}");

    // The first two are past the default retention (400 days), the third just within it.
    age_changes(&app, &ours[..2], 401).await;
    age_changes(&app, &ours[2..3], 399).await;
    // A replica starting up prunes at once (then hourly), with no call from the test.
    let replica = app.replica().await;
    let (left, pruned) = pruned_through(&app, ours[1]).await;
    assert_eq!(pruned, ours[1], "pruned through the newest change past the retention");
    assert_eq!(left, ours[2..].to_vec(), "older changes are gone, newer ones kept");
    // A cursor that has not seen everything pruned must resync; one that has reads on.
    for stale in [&start, &one] {
        let body = replica.gql(&admin, feed, json!({"after": stale, "n": 10})).await;
        assert_eq!(error_code(&body), "CURSOR_EXPIRED", "{body}");
        assert_eq!(body["data"], Value::Null, "{body}");
    }
    let d = data(replica.gql(&admin, feed, json!({"after": two, "n": 10})).await);
    assert_eq!(d["changes"], rest["changes"], "the kept changes, unchanged");
    drop(replica);

    // A shorter retention configured (365 days) takes the 399-day-old change too.
    let replica = app.replica_with(&[("LEARNERGRAPH_SYNC_RETENTION_DAYS", "365")]).await;
    let (left, pruned) = pruned_through(&app, ours[2]).await;
    assert_eq!((left, pruned), (ours[3..].to_vec(), ours[2]));
    let body = replica.gql(&admin, feed, json!({"after": two, "n": 10})).await;
    assert_eq!(error_code(&body), "CURSOR_EXPIRED", "{body}");
    let d = data(replica.gql(&admin, feed, json!({"after": rest["changes"]["cursor"], "n": 10})).await);
    assert_eq!(d["changes"]["changes"], json!([]), "a cursor at the head is still good");
}

/// Issue 17 (W4): a post of results costs the same statements whatever its size: its rows are
/// inserted in one statement, the masteries they touch recomputed in set-based statements, the
/// items they complete moved and recorded together.
#[tokio::test]
async fn posting_results_costs_the_same_statements_whatever_the_batch_size() {
    let app = spawn_app().await;
    let admin = playlists_for_every_class(&app, 120, "[\"c-rp-1\"]", "[\"c-rp-1\", \"c-rp-2\"]").await;
    let d = data(app.gql(&admin, "{ learners(first: 100) { edges { node { sourcedId } } } }", json!({})).await);
    let learners: Vec<String> = d["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned())
        .collect();
    assert!(learners.len() >= 60, "{} learners", learners.len());
    let doc = "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { results { outcome } userErrors { message } } }";
    // Each learner: a mastering score on c-rp-1 (item A is then mastered, B not yet) and an
    // earlier, weaker one on c-rp-2.
    let rows = |from: usize, n: usize| -> Value {
        (from..from + n)
            .flat_map(|i| {
                let l = &learners[i];
                [
                    json!({"sourcedId": format!("w4-{i}-a"), "learnerSourcedId": l, "competencyId": "c-rp-1", "score": 9, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-02T10:00:00Z"}),
                    json!({"sourcedId": format!("w4-{i}-b"), "learnerSourcedId": l, "competencyId": "c-rp-2", "score": 3, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-01T10:00:00Z"}),
                ]
            })
            .collect()
    };
    let mut costs = Vec::new();
    for (from, n) in [(0, 3), (3, 50)] {
        let (cost, body) = app.gql_counted(&admin, doc, json!({"rows": rows(from, n)})).await;
        let d = data(body);
        assert_eq!(d["postResults"]["userErrors"], json!([]), "{d}");
        let outcomes: Vec<&Value> =
            d["postResults"]["results"].as_array().unwrap().iter().map(|r| &r["outcome"]).collect();
        assert_eq!(outcomes, vec![&json!("CREATED"); 2 * n]);
        costs.push(cost);
    }
    // The lookups, the results' INSERT (on PostgreSQL one INSERT of unnested arrays), the
    // roll-up (scales, evidence, masteries), the completed items (found, moved, recorded), the
    // changes feed and the audit, each once; PostgreSQL also sends the live events, in one
    // pg_notify statement.
    let expected = if backend_is_postgres() { 18.0 } else { 17.0 };
    assert_eq!(costs, [expected, expected], "statements for 6 and 100 rows");
    // Newer versions of the same results replace them, for 3 learners or 50, in the same
    // statements: their masteries follow (c-rp-1 drops below mastery, c-rp-2 rises to it).
    let newer = |from: usize, n: usize| -> Value {
        let mut rows = rows(from, n);
        for r in rows.as_array_mut().unwrap() {
            let b = r["sourcedId"].as_str().unwrap().ends_with("-b");
            r["score"] = json!(if b { 10 } else { 2 });
            r["occurredAt"] = json!("2026-03-05T10:00:00Z");
        }
        rows
    };
    let mut update_costs = Vec::new();
    for (from, n) in [(0, 3), (3, 50)] {
        let (cost, body) = app.gql_counted(&admin, doc, json!({"rows": newer(from, n)})).await;
        let d = data(body);
        let outcomes: Vec<&Value> =
            d["postResults"]["results"].as_array().unwrap().iter().map(|r| &r["outcome"]).collect();
        assert_eq!(outcomes, vec![&json!("UPDATED"); 2 * n], "{d}");
        update_costs.push(cost);
    }
    assert_eq!(update_costs[0], update_costs[1], "statements for 6 and 100 newer versions: {update_costs:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE score = 10 AND sourced_id LIKE 'w4-%-b'").await, 53);
    let mastered = "SELECT COUNT(*) FROM masteries m JOIN competencies c ON c.id = m.competency_id \
                    WHERE m.mastered = true AND c.source_id = 'c-rp-2'";
    assert_eq!(count(&app, mastered).await, 53);
    // The first versions again are stale: nothing changes.
    let stale = post(&app, &admin, rows(0, 3)).await;
    let outcomes: Vec<&Value> = stale["results"].as_array().unwrap().iter().map(|r| &r["outcome"]).collect();
    assert_eq!(outcomes, vec![&json!("IGNORED_STALE"); 6], "{stale}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM results WHERE score = 10 AND sourced_id LIKE 'w4-%-b'").await, 53);
    // Back to the first versions' standing for the checks below.
    let first = |from: usize, n: usize| -> Value {
        let mut rows = rows(from, n);
        for r in rows.as_array_mut().unwrap() {
            r["occurredAt"] = json!("2026-03-06T10:00:00Z");
        }
        rows
    };
    for (from, n) in [(0, 3), (3, 50)] {
        assert_eq!(post(&app, &admin, first(from, n)).await["userErrors"], json!([]));
    }

    // What the statements did: every learner posted for holds both masteries, and item A (and
    // only A) of each of them moved to MASTERED, once, by the roll-up.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM masteries").await, 2 * 53);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM masteries WHERE mastered = true").await, 53);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM playlist_items WHERE state = 'MASTERED'").await, 53);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM playlist_item_transitions t JOIN playlist_items i ON i.id = t.item_id \
             WHERE t.to_state = 'MASTERED' AND t.actor_kind = 'system' AND i.title = 'A'",
        )
        .await,
        53
    );
    // A learner posted for in neither batch holds nothing.
    let untouched = data(
        app.gql(
            &admin,
            "query($id: String!) { learner(sourcedId: $id) { mastery { level } playlists { items { state } } } }",
            json!({"id": learners[59]}),
        )
        .await,
    );
    assert_eq!(untouched["learner"]["mastery"], json!([]), "{untouched}");
    // Text survives the way a batch travels (on PostgreSQL, each column one array literal):
    // quotes, backslashes, braces, commas, the word NULL, an empty-looking comment, unicode.
    let tricky = ["he said \"a\\b\", {x}, NULL", "NULL", "\\", "{}", "é ✓ \u{1F600}"];
    let rows: Vec<Value> = tricky
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"sourcedId": format!("t-{i}"), "learnerSourcedId": learners[60], "competencyId": "c-rp-1", "score": 5, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-03T10:00:00.123456Z", "comment": c}))
        .collect();
    let posted = post(&app, &admin, Value::Array(rows)).await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    for (i, c) in tricky.iter().enumerate() {
        let id = &posted["results"][i]["result"]["id"];
        let read = data(
            app.gql(
                &admin,
                "query($r: ID!) { node(id: $r) { ... on Result { comment occurredAt score } } }",
                json!({"r": id}),
            )
            .await,
        );
        assert_eq!(
            read["node"],
            json!({"comment": c, "occurredAt": "2026-03-03T10:00:00.123456+00:00", "score": 5.0}),
            "row {i}"
        );
    }
}
