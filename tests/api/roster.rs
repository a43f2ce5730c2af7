//! Rostering: pagination, sync with `updatedSince` (deletions included), lookups, tenant
//! filtering and the SQL cost of list queries.

use std::collections::HashSet;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use serde_json::{Value, json};

use crate::{
    progress::the_user_error,
    support::{TestApp, data, error_code, spawn_app},
};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
  learners(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { sourcedId } }
  }
}";

fn ids(conn: &Value) -> Vec<String> {
    conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned()).collect()
}

async fn walk_forward(app: &TestApp, token: &str, size: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = data(app.gql(token, PAGE, json!({"first": size, "after": after})).await);
        let conn = &d["learners"];
        seen.extend(ids(conn));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return seen;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn pages_cover_every_learner_once_in_both_directions() {
    let app = spawn_app().await;
    app.seed(1, 30).await;
    let token = app.admin_token().await;
    let first = data(app.gql(&token, PAGE, json!({"first": 7})).await);
    assert_eq!(first["learners"]["totalCount"], 30);
    assert_eq!(first["learners"]["pageInfo"]["hasPreviousPage"], false);

    let forward = walk_forward(&app, &token, 7).await;
    assert_eq!(forward.len(), 30);
    assert_eq!(forward.iter().collect::<HashSet<_>>().len(), 30, "no duplicates");

    // Backwards from the end with last/before gives the same sequence.
    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let d = data(app.gql(&token, PAGE, json!({"last": 8, "before": before})).await);
        let conn = &d["learners"];
        let mut page = ids(conn);
        page.extend(backward);
        backward = page;
        if !conn["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = conn["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, forward);
}

#[tokio::test]
async fn cursors_stay_stable_when_records_are_added_between_pages() {
    let app = spawn_app().await;
    app.seed(1, 12).await;
    let token = app.admin_token().await;
    let d = data(app.gql(&token, PAGE, json!({"first": 5})).await);
    let page1 = ids(&d["learners"]);
    let cursor = d["learners"]["pageInfo"]["endCursor"].clone();
    // A new learner arrives mid-walk.
    let added = app
        .gql(
            &token,
            "mutation { upsertLearner(input: {sourcedId: \"new-1\", givenName: \"Nova\", familyName: \"Lee\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { sourcedId } userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(added)["upsertLearner"]["learner"]["sourcedId"], "new-1");
    let mut rest = Vec::new();
    let mut after = cursor;
    loop {
        let d = data(app.gql(&token, PAGE, json!({"first": 5, "after": after})).await);
        rest.extend(ids(&d["learners"]));
        if !d["learners"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = d["learners"]["pageInfo"]["endCursor"].clone();
    }
    let all: Vec<_> = page1.iter().chain(rest.iter()).collect();
    assert_eq!(all.len(), 13, "12 originals and the new one, none twice: {all:?}");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 13);
}

#[tokio::test]
async fn bad_paging_arguments_are_bad_user_input() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for vars in [
        json!({"first": 101}),
        json!({"first": -1}),
        json!({"first": 2, "last": 2}),
        json!({"after": "bm90LWEtY3Vyc29y"}),
        json!({"after": "!!"}),
    ] {
        let body = app.gql(&token, PAGE, vars.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{vars}: {body}");
    }
}

#[tokio::test]
async fn updated_since_returns_changes_and_deletions() {
    let app = spawn_app().await;
    app.seed(1, 9).await;
    let token = app.admin_token().await;
    let all = data(app.gql(&token, "{ learners(first: 100) { edges { node { id sourcedId } } } }", json!({})).await);
    let victim = all["learners"]["edges"][3]["node"].clone();

    let since = chrono::Utc::now().to_rfc3339();
    let synced = data(
        app.gql(
            &token,
            "query($s: DateTime) { learners(filter: {updatedSince: $s}) { totalCount } }",
            json!({"s": since}),
        )
        .await,
    );
    assert_eq!(synced["learners"]["totalCount"], 0, "nothing changed yet");

    let deleted = app
        .gql(
            &token,
            "mutation($id: ID!) { deleteRosterRecord(id: $id) { deletedId userErrors { message } } }",
            json!({"id": victim["id"]}),
        )
        .await;
    assert_eq!(data(deleted)["deleteRosterRecord"]["deletedId"], victim["id"]);
    app.gql(
        &token,
        "mutation { upsertLearner(input: {sourcedId: \"sync-new\", givenName: \"Sam\", familyName: \"Okoro\", grades: [\"07\"], schoolSourcedIds: [\"sc-school-001\"]}) { userErrors { message } } }",
        json!({}),
    )
    .await;

    let changes = data(
        app.gql(
            &token,
            "query($s: DateTime) { learners(filter: {updatedSince: $s}) { edges { node { sourcedId status } } } enrollments(first: 100, filter: {updatedSince: $s}) { edges { node { status } } } }",
            json!({"s": since}),
        )
        .await,
    );
    let got: Vec<(String, String)> = changes["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["node"]["sourcedId"].as_str().unwrap().to_owned(), e["node"]["status"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (victim["sourcedId"].as_str().unwrap().to_owned(), "TO_BE_DELETED".to_owned()),
            ("sync-new".to_owned(), "ACTIVE".to_owned())
        ]
    );
    // The deleted learner's four class enrollments were deleted with them.
    let enrollments = changes["enrollments"]["edges"].as_array().unwrap();
    assert_eq!(enrollments.len(), 4);
    assert!(enrollments.iter().all(|e| e["node"]["status"] == "TO_BE_DELETED"));

    // A plain list no longer shows the deleted learner; includeDeleted does.
    let plain = data(app.gql(&token, "{ learners(first: 100) { totalCount } }", json!({})).await);
    assert_eq!(plain["learners"]["totalCount"], 9);
    let with_deleted = data(
        app.gql(&token, "{ learners(first: 100, filter: {includeDeleted: true}) { totalCount } }", json!({})).await,
    );
    assert_eq!(with_deleted["learners"]["totalCount"], 10);
}

#[tokio::test]
async fn lookups_by_sourced_id_and_node_agree() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    let d = data(
        app.gql(
            &token,
            "{ school(sourcedId: \"sc-school-001\") { id name district { sourcedId } } learner(sourcedId: \"sc-s-000999\") { id } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(d["school"]["district"]["sourcedId"], "sc-district");
    assert_eq!(d["learner"], Value::Null);
    let node = data(
        app.gql(
            &token,
            "query($id: ID!) { node(id: $id) { __typename ... on School { name } } }",
            json!({"id": d["school"]["id"]}),
        )
        .await,
    );
    assert_eq!(node["node"]["__typename"], "School");
    assert_eq!(node["node"]["name"], d["school"]["name"]);
    // A School ID asked for as `nodes` alongside an unknown one keeps order and nulls.
    let nodes = data(
        app.gql(
            &token,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": [d["school"]["id"], "U2Nob29sOjk5OTk"]}),
        )
        .await,
    );
    assert_eq!(nodes["nodes"][0]["id"], d["school"]["id"]);
    assert_eq!(nodes["nodes"][1], Value::Null);
}

#[tokio::test]
async fn clients_limited_to_a_school_see_only_that_school() {
    let app = spawn_app().await;
    app.seed(2, 5).await;
    let admin = app.admin_token().await;
    let other = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-002\") { learners(first: 1) { edges { node { id sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    let other = other["school"]["learners"]["edges"][0]["node"].clone();

    let token = app.token("roster.read", &["sc-school-001"]).await;
    let d = data(app.gql(&token, "{ schools { edges { node { sourcedId } } } learners(first: 100) { totalCount edges { node { schools { sourcedId } } } } districts { totalCount } }", json!({})).await);
    assert_eq!(d["schools"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(d["schools"]["edges"][0]["node"]["sourcedId"], "sc-school-001");
    assert_eq!(d["learners"]["totalCount"], 6, "{d}");
    assert!(
        d["learners"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["schools"][0]["sourcedId"] == "sc-school-001")
    );
    assert_eq!(d["districts"]["totalCount"], 1, "the district above is visible by name");

    // Another school's learner: not found, by sourcedId and by ID alike.
    let hidden = data(
        app.gql(
            &token,
            "query($id: ID!, $s: String!) { learner(sourcedId: $s) { id } node(id: $id) { id } }",
            json!({"id": other["id"], "s": other["sourcedId"]}),
        )
        .await,
    );
    assert_eq!(hidden["learner"], Value::Null);
    assert_eq!(hidden["node"], Value::Null);
    // And the district's other school is not listed under it.
    let d = data(app.gql(&token, "{ districts { edges { node { schools { totalCount } } } } }", json!({})).await);
    assert_eq!(d["districts"]["edges"][0]["node"]["schools"]["totalCount"], 1);
}

#[tokio::test]
async fn roster_needs_its_scope() {
    let app = spawn_app().await;
    app.seed(1, 2).await;
    let anonymous = app.gql_raw(None, "{ learners { totalCount } }", json!({})).await;
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let token = app.token("profiles.read", &[]).await;
    let body = app.gql(&token, "{ learners { totalCount } }", json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert_eq!(body["errors"][0]["message"], "this operation needs the `roster.read` scope", "names the scope missing");
    let body = app
        .gql(&token, "mutation { upsertLearner(input: {sourcedId: \"x\", givenName: \"a\", familyName: \"b\", schoolSourcedIds: [\"sc-school-001\"]}) { userErrors { message } } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let admin = app.admin_token().await;
    let none = data(app.gql(&admin, "{ learner(sourcedId: \"x\") { sourcedId } }", json!({})).await);
    assert_eq!(none["learner"], Value::Null, "the refused upsert wrote nothing");
    // A profile reader can't walk from a profile into the roster.
    let sid = data(app.gql(&admin, "{ learners(first: 1) { edges { node { sourcedId } } } }", json!({})).await)["learners"]["edges"][0]["node"]["sourcedId"].clone();
    let body = app.gql(&token, "query($s: String!) { learnerProfile(learnerSourcedId: $s) { strengths learner { schools { learners { totalCount } } } } }", json!({"s": sid})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["data"]["learnerProfile"]["learner"], Value::Null);
}

#[tokio::test]
async fn upsert_validates_and_writes_nothing_on_error() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let token = app.token("roster.read roster.write", &["sc-school-001"]).await;
    let q = "mutation($i: UpsertLearnerInput!) { upsertLearner(input: $i) { learner { sourcedId } userErrors { field message code } } }";
    let cases = [
        (
            json!({"sourcedId": "", "givenName": "A", "familyName": "B", "schoolSourcedIds": ["sc-school-001"]}),
            json!(["input", "sourcedId"]),
            "INVALID",
        ),
        (
            json!({"sourcedId": "v1", "givenName": "A", "familyName": "B", "email": "nope", "schoolSourcedIds": ["sc-school-001"]}),
            json!(["input", "email"]),
            "INVALID",
        ),
        (
            json!({"sourcedId": "v1", "givenName": "A", "familyName": "B", "schoolSourcedIds": []}),
            json!(["input", "schoolSourcedIds"]),
            "INVALID",
        ),
        (
            json!({"sourcedId": "v1", "givenName": "A", "familyName": "B", "schoolSourcedIds": ["sc-school-002"]}),
            json!(["input", "schoolSourcedIds"]),
            "NOT_FOUND",
        ),
    ];
    for (input, field, code) in cases {
        let d = data(app.gql(&token, q, json!({"i": input})).await);
        assert_eq!(the_user_error(&d["upsertLearner"]), (field, code), "{d}");
        assert_eq!(d["upsertLearner"]["learner"], Value::Null);
    }
    let admin = app.admin_token().await;
    let d = data(app.gql(&admin, "{ learner(sourcedId: \"v1\") { id } }", json!({})).await);
    assert_eq!(d["learner"], Value::Null, "nothing was written, in any school");
}

#[tokio::test]
async fn fifty_learners_with_profiles_cost_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    app.seed(1, 120).await;
    let token = app.token("roster.read profiles.read", &["sc-school-001"]).await;
    let q = "query($n: Int) { school(sourcedId: \"sc-school-001\") { learners(first: $n) { edges { node { sourcedId schools { name } profile { version strengths goals { description } } } } } } }";
    // The first request looks the tool up (its client, revocations and orgs); its principal is
    // then cached for the next ones.
    let (first, _) = app.gql_counted(&token, q, json!({"n": 1})).await;
    let mut costs = Vec::new();
    for n in [5, 50] {
        let (cost, body) = app.gql_counted(&token, q, json!({"n": n})).await;
        let d = data(body);
        let edges = d["school"]["learners"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n as usize);
        assert!(edges.iter().all(|e| e["node"]["profile"]["version"] == 1));
        costs.push(cost);
    }
    // The school, the page, and one query each for profiles and schools.
    assert_eq!(costs, [4.0, 4.0], "cost independent of page size");
    // The count of a first page comes with the page; a later page's (its cursor narrows the
    // page's query) is a statement of its own.
    let counted = "query($after: String) { school(sourcedId: \"sc-school-001\") { learners(first: 50, after: $after) { totalCount pageInfo { endCursor hasNextPage hasPreviousPage } edges { node { sourcedId profile { version } } } } } }";
    let (cost, body) = app.gql_counted(&token, counted, json!({})).await;
    let page = data(body)["school"]["learners"].clone();
    assert_eq!((cost, page["totalCount"].clone(), page["edges"].as_array().unwrap().len()), (3.0, json!(120), 50));
    assert_eq!(
        (page["pageInfo"]["hasNextPage"].clone(), page["pageInfo"]["hasPreviousPage"].clone()),
        (json!(true), json!(false))
    );
    let (cost, body) = app.gql_counted(&token, counted, json!({"after": page["pageInfo"]["endCursor"]})).await;
    let next = data(body)["school"]["learners"].clone();
    assert_eq!((cost, next["totalCount"].clone(), next["edges"].as_array().unwrap().len()), (4.0, json!(120), 50));
    // A first page that holds exactly every learner has no next page; one short of it has
    // (the 40 of grade 6).
    let exact =
        "query($n: Int) { learners(first: $n, filter: {grade: \"06\"}) { totalCount pageInfo { hasNextPage } } }";
    for (n, next) in [(40, false), (39, true), (41, false)] {
        let page = data(app.gql(&token, exact, json!({"n": n})).await)["learners"].clone();
        assert_eq!(page, json!({"totalCount": 40, "pageInfo": {"hasNextPage": next}}), "first: {n}");
    }
    // Backward from the end, and a school with no learners: the same counts.
    let last = "{ school(sourcedId: \"sc-school-001\") { learners(last: 30) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { sourcedId } } } } }";
    let tail = data(app.gql(&token, last, json!({})).await)["school"]["learners"].clone();
    assert_eq!((tail["totalCount"].clone(), tail["edges"].as_array().unwrap().len()), (json!(120), 30));
    assert_eq!(
        (tail["pageInfo"]["hasNextPage"].clone(), tail["pageInfo"]["hasPreviousPage"].clone()),
        (json!(false), json!(true))
    );
    let none = data(app.gql(&token, "{ learners(first: 5, filter: {grade: \"12\"}) { totalCount edges { node { sourcedId } } pageInfo { hasNextPage } } }", json!({})).await);
    assert_eq!(none["learners"], json!({"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": false}}));
    assert_eq!(first, 6.0, "and the tool's client with its revocations, and the orgs, once");
    eprintln!("SQL statements for 50 learners of a school with their profiles: {}", costs[1]);
}

#[tokio::test]
async fn one_learner_with_their_profile_is_one_statement() {
    let app = spawn_app().await;
    app.seed(2, 3).await; // school 001: sc-s-000006, -000011, -000016; 002: sc-s-000022, ...
    let token = app.token("roster.read profiles.read", &["sc-school-001"]).await;
    let q = "query($id: String!) { learner(sourcedId: $id) { sourcedId profile { version strengths } } }";
    let (first, body) = app.gql_counted(&token, q, json!({"id": "sc-s-000006"})).await;
    let learner = data(body)["learner"].clone();
    assert_eq!((learner["sourcedId"].as_str(), learner["profile"]["version"].as_i64()), (Some("sc-s-000006"), Some(1)));
    assert!(learner["profile"]["strengths"].as_array().is_some_and(|s| !s.is_empty()), "{learner}");
    // The profile joined into the learner's statement; the tool's principal cached.
    let (cost, body) = app.gql_counted(&token, q, json!({"id": "sc-s-000011"})).await;
    assert_eq!(data(body)["learner"]["profile"]["version"], 1);
    assert_eq!((first, cost), (3.0, 1.0));
    // A learner without a profile answers null in the same one statement.
    let admin = app.admin_token().await;
    let made = app
        .gql(
            &admin,
            "mutation { upsertLearner(input: {sourcedId: \"bare-1\", givenName: \"Bo\", familyName: \"Reyes\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { sourcedId } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(made)["upsertLearner"]["learner"]["sourcedId"], "bare-1");
    let (cost, body) = app.gql_counted(&token, q, json!({"id": "bare-1"})).await;
    assert_eq!((cost, data(body)["learner"].clone()), (1.0, json!({"sourcedId": "bare-1", "profile": null})));
    // Without profiles.read the profile is refused, not read.
    let roster_only = app.token("roster.read", &["sc-school-001"]).await;
    let refused = app.gql(&roster_only, q, json!({"id": "sc-s-000006"})).await;
    assert_eq!(refused["data"]["learner"]["profile"], Value::Null, "{refused}");
    assert_eq!(error_code(&refused), "FORBIDDEN");
    // A learner of another school is not found, with or without the profile.
    let other = app.token("roster.read profiles.read", &["sc-school-002"]).await;
    assert_eq!(data(app.gql(&other, q, json!({"id": "sc-s-000006"})).await)["learner"], Value::Null);
    assert_eq!(data(app.gql(&other, q, json!({"id": "sc-s-000022"})).await)["learner"]["sourcedId"], "sc-s-000022");
}

#[tokio::test]
async fn a_learner_shared_by_two_schools_is_seen_and_deleted_school_by_school() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let admin = app.admin_token().await;
    let shared = data(
        app.gql(
            &admin,
            "mutation { upsertLearner(input: {sourcedId: \"shared-1\", givenName: \"Ana\", familyName: \"Ruiz\", schoolSourcedIds: [\"sc-school-001\", \"sc-school-002\"]}) { learner { id schools { sourcedId } } } }",
            json!({}),
        )
        .await,
    );
    let id = shared["upsertLearner"]["learner"]["id"].clone();
    assert_eq!(shared["upsertLearner"]["learner"]["schools"].as_array().unwrap().len(), 2);
    let first = app.token("roster.read roster.write", &["sc-school-001"]).await;
    let seen = data(app.gql(&first, "{ learner(sourcedId: \"shared-1\") { schools { sourcedId } } }", json!({})).await);
    assert_eq!(seen["learner"]["schools"], json!([{"sourcedId": "sc-school-001"}]), "the other school stays hidden");
    // Deleting through school 001 removes the learner from 001 only.
    let d = data(
        app.gql(
            &first,
            "mutation($id: ID!) { deleteRosterRecord(id: $id) { deletedId userErrors { message } } }",
            json!({"id": id}),
        )
        .await,
    );
    assert_eq!(d["deleteRosterRecord"]["deletedId"], id);
    let after =
        data(app.gql(&admin, "{ learner(sourcedId: \"shared-1\") { status schools { sourcedId } } }", json!({})).await);
    assert_eq!(after["learner"]["status"], "ACTIVE");
    assert_eq!(after["learner"]["schools"], json!([{"sourcedId": "sc-school-002"}]));
    let gone = data(app.gql(&first, "{ learner(sourcedId: \"shared-1\") { id } }", json!({})).await);
    assert_eq!(gone["learner"], Value::Null);
    // An educator's ID relabelled as a learner's does not delete the educator.
    let educator = "{ educator(sourcedId: \"sc-t-001-06-math-0\") { id sourcedId status dateLastModified givenName familyName schools { sourcedId } enrollments(first: 100, filter: {includeDeleted: true}) { totalCount edges { node { sourcedId status } } } } }";
    let t = data(app.gql(&admin, educator, json!({})).await);
    assert_eq!(t["educator"]["status"], "ACTIVE", "{t}");
    assert!(t["educator"]["enrollments"]["totalCount"].as_i64().unwrap() > 0, "the educator teaches: {t}");
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(t["educator"]["id"].as_str().unwrap()).unwrap()).unwrap();
    let forged = URL_SAFE_NO_PAD.encode(decoded.replace("Educator", "Learner"));
    let d = data(
        app.gql(
            &admin,
            "mutation($id: ID!) { deleteRosterRecord(id: $id) { deletedId userErrors { code } } }",
            json!({"id": forged}),
        )
        .await,
    );
    assert_eq!(d["deleteRosterRecord"]["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(d["deleteRosterRecord"]["userErrors"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["deleteRosterRecord"]["deletedId"], Value::Null, "{d}");
    let after = data(app.gql(&admin, educator, json!({})).await);
    assert_eq!(after, t, "the educator and their enrollments are untouched");
}

#[tokio::test]
async fn huge_page_sizes_cannot_overflow_the_complexity_check() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let q = "{ schools(first: 2147483647) { edges { node { learners(first: 2147483647) { edges { node { enrollments(first: 2147483647) { edges { node { sourcedId } } } } } } } } } }";
    let body = app.gql(&token, q, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_LIMIT_EXCEEDED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "complexity", "{body}");
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200, "the server is still up");
}

#[tokio::test]
async fn a_school_below_an_intermediate_org_still_sees_what_its_district_shares() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let admin = app.admin_token().await;
    let all = data(app.gql(&admin, "{ academicSessions { edges { node { sourcedId } } } }", json!({})).await);
    let all = all["academicSessions"]["edges"].clone();
    assert!(all.as_array().is_some_and(|a| !a.is_empty()), "the district shares its terms: {all}");
    // District → region → school 001: the district is now two levels above the school.
    for sql in [
        "INSERT INTO orgs (sourced_id, status, date_last_modified, org_type, name, parent_id) \
         SELECT 'sc-region', 'active', date_last_modified, 'local', 'Region', id FROM orgs WHERE sourced_id = 'sc-district'",
        "UPDATE orgs SET parent_id = (SELECT id FROM orgs WHERE sourced_id = 'sc-region') WHERE sourced_id = 'sc-school-001'",
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, sql).await.unwrap();
    }
    let school = app.token("roster.read", &["sc-school-001"]).await;
    let seen = data(
        app.gql(
            &school,
            "{ academicSessions { edges { node { sourcedId } } } districts { edges { node { sourcedId } } } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(seen["academicSessions"]["edges"], all, "the district's terms, through the region: {seen}");
    assert_eq!(seen["districts"]["edges"], json!([{"node": {"sourcedId": "sc-district"}}]), "{seen}");
    // And nothing of the other school.
    let other = data(app.gql(&school, "{ schools { edges { node { sourcedId } } } }", json!({})).await);
    assert_eq!(other["schools"]["edges"], json!([{"node": {"sourcedId": "sc-school-001"}}]), "{other}");
}
