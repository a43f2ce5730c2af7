//! Learner profiles: creation, versioned updates, revisions, stale-version conflicts and the
//! sensitive fields.

use serde_json::{Value, json};

use crate::{
    progress::the_user_error,
    support::{TestApp, data, error_code, spawn_app},
};

const CREATE: &str = "mutation($i: CreateLearnerProfileInput!) { createLearnerProfile(input: $i) { profile { id version strengths goals { id description status targetDate } learningPreferences { modalities pace } } userErrors { field message code } } }";
const UPDATE: &str = "mutation($i: UpdateLearnerProfileInput!) { updateLearnerProfile(input: $i) { profile { id version strengths interests goals { id description status } } userErrors { field message code } } }";

/// A freshly upserted learner (no profile yet) and its ID.
async fn new_learner(app: &TestApp, token: &str, sourced_id: &str) -> Value {
    let d = data(
        app.gql(
            token,
            "mutation($s: String!) { upsertLearner(input: {sourcedId: $s, givenName: \"Rin\", familyName: \"Ito\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { id } userErrors { message } } }",
            json!({"s": sourced_id}),
        )
        .await,
    );
    d["upsertLearner"]["learner"]["id"].clone()
}

#[tokio::test]
async fn a_profile_is_created_updated_and_its_history_kept() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    let learner = new_learner(&app, &token, "p-1").await;
    let created = data(
        app.gql(
            &token,
            CREATE,
            json!({"i": {
                "learnerId": learner,
                "strengths": ["draws detailed diagrams"],
                "interests": ["marine biology"],
                "goals": [{"description": "Read two novels by March", "targetDate": "2027-03-01", "status": "IN_PROGRESS"}],
                "learningPreferences": {"modalities": ["VISUAL", "HANDS_ON"], "pace": "STEADY"},
                "accommodations": ["audio versions of texts"],
                "supportNotes": "Prefers written instructions."
            }}),
        )
        .await,
    );
    let profile = &created["createLearnerProfile"]["profile"];
    assert_eq!(profile["version"], 1);
    assert_eq!(profile["learningPreferences"]["pace"], "STEADY");
    let goal_id = profile["goals"][0]["id"].clone();

    // Creating a second profile for the same learner is a conflict.
    let again = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner}})).await);
    assert_eq!(the_user_error(&again["createLearnerProfile"]), (json!(["input"]), "CONFLICT"), "{again}");
    assert_eq!(again["createLearnerProfile"]["profile"], Value::Null, "{again}");

    let updated = data(
        app.gql(
            &token,
            UPDATE,
            json!({"i": {
                "profileId": profile["id"],
                "expectedVersion": 1,
                "interests": ["marine biology", "chess"],
                "goals": [{"id": goal_id, "description": "Read two novels by March", "status": "ACHIEVED"}]
            }}),
        )
        .await,
    );
    let p2 = &updated["updateLearnerProfile"]["profile"];
    assert_eq!(p2["version"], 2);
    assert_eq!(p2["goals"][0]["id"], goal_id, "goal identity kept");
    assert_eq!(p2["goals"][0]["status"], "ACHIEVED");
    assert_eq!(p2["strengths"], json!(["draws detailed diagrams"]), "omitted fields unchanged");

    let history = data(
        app.gql(
            &token,
            "query($id: ID!) { node(id: $id) { ... on LearnerProfile { revisions { totalCount edges { node { version actor { kind id } changes { field before after redacted } } } } } } }",
            json!({"id": profile["id"]}),
        )
        .await,
    );
    let revisions = &history["node"]["revisions"];
    assert_eq!(revisions["totalCount"], 2);
    let r2 = &revisions["edges"][1]["node"];
    assert_eq!(r2["version"], 2);
    assert_eq!(r2["actor"]["kind"], "client");
    assert!(r2["actor"]["id"].as_str().unwrap().starts_with("lg_"));
    let fields: Vec<&str> = r2["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["interests", "goals"]);
    assert_eq!(r2["changes"][0]["before"], json!(["marine biology"]));
    assert_eq!(r2["changes"][0]["after"], json!(["marine biology", "chess"]));
}

#[tokio::test]
async fn a_stale_version_changes_nothing() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    let learner = new_learner(&app, &token, "p-2").await;
    let created = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner, "strengths": ["a"]}})).await);
    let id = created["createLearnerProfile"]["profile"]["id"].clone();
    let first =
        data(app.gql(&token, UPDATE, json!({"i": {"profileId": id, "expectedVersion": 1, "strengths": ["b"]}})).await);
    assert_eq!(first["updateLearnerProfile"]["profile"]["version"], 2);

    // A second editor still on version 1.
    let stale =
        data(app.gql(&token, UPDATE, json!({"i": {"profileId": id, "expectedVersion": 1, "strengths": ["c"]}})).await);
    let errors = &stale["updateLearnerProfile"]["userErrors"];
    assert_eq!(errors[0]["code"], "STALE_VERSION");
    assert_eq!(errors[0]["field"], json!(["input", "expectedVersion"]));
    assert!(errors[0]["message"].as_str().unwrap().contains("version 2"));
    assert_eq!(stale["updateLearnerProfile"]["profile"], Value::Null);

    let now = data(app.gql(&token, "query($id: ID!) { node(id: $id) { ... on LearnerProfile { version strengths revisions { totalCount } } } }", json!({"id": id})).await);
    assert_eq!(now["node"]["version"], 2);
    assert_eq!(now["node"]["strengths"], json!(["b"]));
    assert_eq!(now["node"]["revisions"]["totalCount"], 2);
}

#[tokio::test]
async fn concurrent_updates_from_the_same_version_let_exactly_one_win() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    let learner = new_learner(&app, &token, "p-3").await;
    let created = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner}})).await);
    let id = created["createLearnerProfile"]["profile"]["id"].clone();
    let tries = (0..6).map(|i| {
        let vars = json!({"i": {"profileId": id, "expectedVersion": 1, "strengths": [format!("s{i}")]}});
        app.gql(&token, UPDATE, vars)
    });
    let results = futures_util::future::join_all(tries).await;
    let wins = results.iter().filter(|r| r["data"]["updateLearnerProfile"]["profile"]["version"] == 2).count();
    let stale = results
        .iter()
        .filter(|r| r["data"]["updateLearnerProfile"]["userErrors"][0]["code"] == "STALE_VERSION")
        .count();
    assert_eq!((wins, stale), (1, 5), "{results:?}");
    let now = data(
        app.gql(
            &token,
            "query($id: ID!) { node(id: $id) { ... on LearnerProfile { version revisions { totalCount } } } }",
            json!({"id": id}),
        )
        .await,
    );
    assert_eq!(now["node"]["version"], 2);
    assert_eq!(now["node"]["revisions"]["totalCount"], 2);
}

#[tokio::test]
async fn sensitive_fields_need_their_scope() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.admin_token().await;
    let learner = new_learner(&app, &admin, "p-4").await;
    let created = data(
        app.gql(
            &admin,
            CREATE,
            json!({"i": {"learnerId": learner, "accommodations": ["extra time"], "supportNotes": "note"}}),
        )
        .await,
    );
    let id = created["createLearnerProfile"]["profile"]["id"].clone();

    let reader = app.token("roster.read profiles.read profiles.write", &[]).await;
    let q = "query($id: ID!) { node(id: $id) { ... on LearnerProfile { strengths accommodations } } }";
    let body = app.gql(&reader, q, json!({"id": id})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .gql(&reader, "query($id: ID!) { node(id: $id) { ... on LearnerProfile { supportNotes } } }", json!({"id": id}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // The revision history names the field but withholds its values.
    let history = data(
        app.gql(&reader, "query($id: ID!) { node(id: $id) { ... on LearnerProfile { revisions { edges { node { changes { field before after redacted } } } } } } }", json!({"id": id})).await,
    );
    let changes = history["node"]["revisions"]["edges"][0]["node"]["changes"].as_array().unwrap().clone();
    let acc = changes.iter().find(|c| c["field"] == "accommodations").unwrap();
    assert_eq!(acc["redacted"], true);
    assert_eq!(acc["after"], Value::Null);
    // Writing sensitive fields without reading them is refused too.
    let body =
        app.gql(&reader, UPDATE, json!({"i": {"profileId": id, "expectedVersion": 1, "accommodations": []}})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");

    let sensitive = data(app.gql(&admin, q, json!({"id": id})).await);
    assert_eq!(sensitive["node"]["accommodations"], json!(["extra time"]));
}

#[tokio::test]
async fn profile_inputs_are_validated() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let token = app.admin_token().await;
    let learner = new_learner(&app, &token, "p-5").await;
    let cases = [
        (json!({"learnerId": "bm9wZQ"}), json!(["input", "learnerId"]), "INVALID"),
        (json!({"learnerId": learner, "strengths": [""]}), json!(["input", "strengths", "0"]), "INVALID"),
        (
            json!({"learnerId": learner, "goals": [{"description": "  "}]}),
            json!(["input", "goals", "0", "description"]),
            "INVALID",
        ),
        (
            json!({"learnerId": learner, "goals": [{"id": "made-up", "description": "x"}]}),
            json!(["input", "goals", "0", "id"]),
            "NOT_FOUND",
        ),
    ];
    for (input, field, code) in cases {
        let d = data(app.gql(&token, CREATE, json!({"i": input})).await);
        assert_eq!(the_user_error(&d["createLearnerProfile"]), (field, code), "{d}");
        assert_eq!(d["createLearnerProfile"]["profile"], Value::Null);
    }
    // Wrongly typed input is refused by GraphQL validation before anything runs.
    let body = app
        .gql(
            &token,
            CREATE,
            json!({"i": {"learnerId": learner, "goals": [{"description": "x", "targetDate": "March"}]}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let none = data(
        app.gql(
            &token,
            "query($id: ID!) { node(id: $id) { __typename id ... on Learner { profile { id } } } }",
            json!({"id": learner}),
        )
        .await,
    );
    assert_eq!(
        none["node"],
        json!({"__typename": "Learner", "id": learner, "profile": null}),
        "the learner is there and nothing was created"
    );
}

#[tokio::test]
async fn a_profile_takes_fifty_goals_of_up_to_1000_characters_and_no_more() {
    let app = spawn_app().await;
    app.seed(1, 1).await;
    let token = app.admin_token().await;
    let learner = new_learner(&app, &token, "p-limits").await;
    let goals = |n: usize, len: usize| -> Value {
        (0..n).map(|i| json!({"description": format!("{i:04}{}", "g".repeat(len - 4))})).collect()
    };
    let profile_of = async || {
        data(
            app.gql(
                &token,
                "query($id: ID!) { node(id: $id) { ... on Learner { profile { version goals { description } } } } }",
                json!({"id": learner}),
            )
            .await,
        )["node"]["profile"]
            .clone()
    };
    // One over either limit is refused, naming the field, and nothing is created.
    let d = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner, "goals": goals(51, 10)}})).await);
    assert_eq!(the_user_error(&d["createLearnerProfile"]), (json!(["input", "goals"]), "INVALID"), "{d}");
    let d = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner, "goals": goals(1, 1001)}})).await);
    assert_eq!(
        the_user_error(&d["createLearnerProfile"]),
        (json!(["input", "goals", "0", "description"]), "INVALID"),
        "{d}"
    );
    assert_eq!(profile_of().await, Value::Null, "nothing was created");
    // Exactly at the limits is taken, whole.
    let d = data(app.gql(&token, CREATE, json!({"i": {"learnerId": learner, "goals": goals(50, 1000)}})).await);
    assert_eq!(d["createLearnerProfile"]["userErrors"], json!([]), "{d}");
    let stored = profile_of().await;
    assert_eq!(stored["goals"].as_array().map(Vec::len), Some(50));
    assert_eq!(stored["goals"][49]["description"].as_str().map(|s| s.chars().count()), Some(1000));
}

/// Roster and profile writes compose: inside the caller's transaction a learner and their
/// profile are written together, and rolling that transaction back leaves neither.
#[tokio::test]
async fn a_learner_and_their_profile_are_written_in_one_transaction() {
    use learnergraph::{
        auth::Principal,
        profiles::store::{self as profiles, ProfileChanges},
        roster::store::{self as roster, Key, LearnerFields},
    };
    use sea_orm::TransactionTrait;

    let app = spawn_app().await;
    app.seed(1, 3).await;
    let p = Principal::system();
    let fields = |sid: &str| LearnerFields {
        sourced_id: sid.into(),
        given_name: "Rin".into(),
        family_name: "Ito".into(),
        preferred_name: None,
        username: None,
        email: None,
        identifier: None,
        grades: vec!["06".into()],
        schools: vec!["sc-school-001".into()],
    };
    let changes = || ProfileChanges { strengths: Some(vec!["asks good questions".into()]), ..Default::default() };

    let txn = app.db.begin().await.unwrap();
    let learner = roster::upsert_learner(&txn, &p, fields("composed-1")).await.unwrap();
    profiles::create(&txn, &p, learner.id, changes()).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(roster::find_learner(&app.db, &p, Key::Sourced("composed-1")).await.unwrap().is_none());

    let txn = app.db.begin().await.unwrap();
    let learner = roster::upsert_learner(&txn, &p, fields("composed-2")).await.unwrap();
    let profile = profiles::create(&txn, &p, learner.id, changes()).await.unwrap();
    // A failed write inside the transaction rolls back only its own savepoint.
    let twice = profiles::create(&txn, &p, learner.id, changes()).await;
    assert!(twice.is_err(), "a second profile must be refused");
    txn.commit().await.unwrap();
    let stored = roster::find_learner(&app.db, &p, Key::Sourced("composed-2")).await.unwrap().expect("learner");
    assert_eq!(stored.status, entity::Status::Active);
    assert_eq!(profiles::find(&app.db, &p, profile.id).await.unwrap().map(|m| m.user_id), Some(stored.id));
}
