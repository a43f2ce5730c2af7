//! Data-sharing agreements through HTTP: a vendor's client sees only the student data
//! elements of its agreement (types outside invisible, fields outside `NOT_SHARED`), in the
//! schools it names, for its term; without one it sees no student; an ended or revoked
//! agreement ends its tokens; every agreement change and every read under one is audited.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    progress::{post, row, setup},
    support::{TestApp, data, error_code, spawn_app, spawn_app_with},
};

const CORE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
const VENDOR_SCOPES: &str = "roster.read profiles.read progress.read progress.write";

const CREATE: &str = "mutation($i: CreateDataAgreementInput!) { createDataAgreement(input: $i) {
    agreement { agreementId elements status schools clients }
    userErrors { field message code } } }";
const LIST: &str = "{ dataAgreements { agreementId status revokedReason revokedBy clients elements } }";

fn agreement(elements: &str, schools: &[&str]) -> Value {
    let today = Utc::now().date_naive();
    json!({
        "vendor": "Adaptive Reading Co.",
        "purpose": "adaptive reading practice",
        "schools": schools,
        "startsOn": (today - Duration::days(1)).to_string(),
        "endsOn": (today + Duration::days(180)).to_string(),
        "signedBy": "Dana Privacy, district privacy officer",
        "signedOn": (today - Duration::days(2)).to_string(),
        "elements": elements,
    })
}

/// Records an agreement through GraphQL and returns its id.
async fn create_agreement(app: &TestApp, admin: &str, elements: &str, schools: &[&str]) -> String {
    let d = data(app.gql(admin, CREATE, json!({"i": agreement(elements, schools)})).await);
    let a = &d["createDataAgreement"];
    assert_eq!(a["userErrors"], json!([]), "{d}");
    assert_eq!(a["agreement"]["status"], "ACTIVE");
    a["agreement"]["agreementId"].as_str().unwrap().to_owned()
}

/// Registers a vendor's client bound to `agreement` (or to none) through GraphQL.
async fn vendor_client(app: &TestApp, admin: &str, scopes: &str, agreement: Option<&str>) -> (String, String) {
    let d = data(
        app.gql(
            admin,
            "mutation($i: CreateOAuthClientInput!) { createOAuthClient(input: $i) {
                client { clientId internal agreementId } clientSecret userErrors { message } } }",
            json!({"i": {"name": "vendor", "scopes": scopes.split(' ').collect::<Vec<_>>(), "agreementId": agreement}}),
        )
        .await,
    );
    let c = &d["createOAuthClient"];
    assert_eq!(c["userErrors"], json!([]), "{d}");
    assert_eq!(c["client"]["internal"], false);
    assert_eq!(c["client"]["agreementId"], json!(agreement));
    (c["client"]["clientId"].as_str().unwrap().to_owned(), c["clientSecret"].as_str().unwrap().to_owned())
}

async fn learner_count(app: &TestApp, token: &str) -> u64 {
    data(app.gql(token, "{ learners(first: 100) { totalCount } }", json!({})).await)["learners"]["totalCount"]
        .as_u64()
        .unwrap()
}

async fn feed_kinds(app: &TestApp, token: &str) -> Vec<Value> {
    let feed = data(app.gql(token, "{ changes(first: 100) { changes { entityType } } }", json!({})).await);
    feed["changes"]["changes"].as_array().unwrap().iter().map(|c| c["entityType"].clone()).collect()
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_vendor_client_sees_only_the_elements_and_schools_of_its_agreement() {
    let app = spawn_app().await;
    let (admin, learners) = setup(&app).await;
    // Evidence for the first learner, posted by the district's own tool.
    let posted = post(&app, &admin, json!([row("r-1", &learners[0], 8.0, "2026-11-20T10:00:00Z")])).await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    let elements = "Learner { sourcedId givenName familyName grades } Mastery";
    let id = create_agreement(&app, &admin, elements, &["sc-school-001"]).await;
    let (cid, secret) = vendor_client(&app, &admin, &format!("{VENDOR_SCOPES} {CORE}"), Some(&id)).await;
    let vendor = app.token_for(&cid, &secret).await;

    // The scopes the agreement does not cover are withheld, and the caller sees its terms.
    let v =
        data(app.gql(&vendor, "{ viewer { scopes vendor dataAgreement { agreementId elements } } }", json!({})).await);
    assert_eq!(v["viewer"]["scopes"], json!(["roster.read", "progress.read", CORE]), "{v}");
    assert_eq!(v["viewer"]["vendor"], true);
    assert_eq!(v["viewer"]["dataAgreement"], json!({"agreementId": id, "elements": elements}));

    // Listed fields answer; `email` answers null with NOT_SHARED; the profile (a type outside
    // the agreement) is invisible; mastery (inside) answers.
    let q = "{ learners(first: 100) { totalCount nodes { sourcedId givenName familyName email profile { strengths } mastery { level } } } }";
    let body = app.gql(&vendor, q, json!({})).await;
    let nodes = body["data"]["learners"]["nodes"].as_array().unwrap_or_else(|| panic!("{body}")).clone();
    let school = learner_count(&app, &app.token("roster.read", &["sc-school-001"]).await).await;
    assert!(school < learner_count(&app, &admin).await);
    assert_eq!(body["data"]["learners"]["totalCount"], school, "only the agreement's school: {body}");
    for n in &nodes {
        assert!(n["givenName"].is_string() && n["familyName"].is_string(), "{n}");
        assert!(n["email"].is_null() && n["profile"].is_null(), "{n}");
    }
    assert_eq!(codes(&body), vec!["NOT_SHARED"; nodes.len()], "one NOT_SHARED per email, none for the profile: {body}");
    assert_eq!(body["errors"][0]["path"], json!(["learners", "nodes", 0, "email"]));
    let first = nodes.iter().find(|n| n["sourcedId"] == learners[0].as_str()).expect("the first learner");
    assert_eq!(first["mastery"].as_array().map(Vec::len), Some(1), "{first}");
    // The district's own client still gets the email.
    let own = data(
        app.gql(&admin, "query($s: String!) { learner(sourcedId: $s) { email } }", json!({"s": learners[0]})).await,
    );
    assert!(own["learner"]["email"].as_str().is_some_and(|e| e.contains('@')), "{own}");

    // A type outside is invisible: the profile is not found.
    let profile = app
        .gql(&vendor, "query($s: String!) { learnerProfile(learnerSourcedId: $s) { id } }", json!({"s": learners[0]}))
        .await;
    assert_eq!(data(profile), json!({"learnerProfile": null}));
    // Results are outside too, though mastery (inside) needs the same scope: its connection
    // answers null with NOT_SHARED, never the records.
    let results = app.gql(&vendor, "{ results(first: 5) { totalCount nodes { score } } }", json!({})).await;
    assert!(results["data"]["results"].is_null(), "{results}");
    assert_eq!(codes(&results), ["NOT_SHARED"]);
    // A school outside the agreement: its students are not found.
    let theirs = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-002\") { learners(first: 1) { nodes { sourcedId } } } }",
            json!({}),
        )
        .await,
    );
    let elsewhere = theirs["school"]["learners"]["nodes"][0]["sourcedId"].clone();
    assert!(elsewhere.is_string(), "{theirs}");
    let other = data(
        app.gql(&vendor, "query($s: String!) { learner(sourcedId: $s) { sourcedId } }", json!({"s": elsewhere})).await,
    );
    assert!(other["learner"].is_null(), "{other}");

    // Results stay out of reach through OneRoster REST and the changes feed too; filtering or
    // sorting students by a withheld field reveals nothing.
    let gradebook =
        app.http.get(app.url("/ims/oneroster/gradebook/v1p2/results")).bearer_auth(&vendor).send().await.unwrap();
    let status = gradebook.status().as_u16();
    let body: Value = gradebook.json().await.unwrap();
    assert!(status == 403 || body["results"] == json!([]), "{status} {body}");
    assert!(feed_kinds(&app, &admin).await.contains(&json!("RESULT")), "the posted result is in the feed");
    assert!(!feed_kinds(&app, &vendor).await.contains(&json!("RESULT")));
    let probe = app
        .http
        .get(app.url("/ims/oneroster/rostering/v1p2/students?filter=email~'@'&sort=email"))
        .bearer_auth(&vendor)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    let probe: Value = probe.json().await.unwrap();
    assert_eq!(probe["users"], json!([]), "no student matches a withheld field: {probe}");

    // Writes: posting a result (outside) is refused and changes nothing.
    let before = data(app.gql(&admin, "{ results(first: 100) { totalCount } }", json!({})).await);
    let refused = app
        .gql(
            &vendor,
            "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { userErrors { code } } }",
            json!({"rows": [row("r-vendor", &learners[0], 2.0, "2026-11-21T10:00:00Z")]}),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_SHARED", "{refused}");
    let after = data(app.gql(&admin, "{ results(first: 100) { totalCount } }", json!({})).await);
    assert_eq!(after, before);

    // OneRoster REST: the same record without the fields outside the agreement.
    let rest = |token: String| {
        let req =
            app.http.get(app.url(&format!("/ims/oneroster/rostering/v1p2/users/{}", learners[0]))).bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["user"].clone()
        }
    };
    let user = rest(vendor.clone()).await;
    assert!(user["givenName"].is_string() && user["grades"].is_array(), "{user}");
    for hidden in ["email", "username", "identifier", "userIds", "agents"] {
        assert!(user.get(hidden).is_none(), "{hidden} left the service: {user}");
    }
    let wide = app.token(&format!("roster.read {CORE}"), &[]).await;
    assert!(rest(wide).await["email"].is_string(), "the district's own client gets it");

    // The audit names the agreement of every read under it, and the agreement's creation.
    let events = data(
        app.gql(
            &admin,
            "query($a: String) { auditEvents(first: 100, filter: {agreementId: $a}) { nodes { clientId operationName agreementId learnerSourcedIds } } }",
            json!({"a": id}),
        )
        .await,
    );
    let nodes = events["auditEvents"]["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["operationName"], "createDataAgreement", "{events}");
    assert!(nodes.iter().all(|n| n["agreementId"] == id.as_str()));
    let reads: Vec<&Value> = nodes.iter().filter(|n| n["clientId"] == cid.as_str()).collect();
    // The GraphQL list, the filtered REST probe (audited though it showed none) and the REST read.
    assert_eq!(reads.len(), 3, "the vendor's reads of students: {events}");
    assert!(reads.iter().any(|n| n["learnerSourcedIds"].as_array().unwrap().len() as u64 == school));
}

#[tokio::test]
async fn a_vendor_client_without_an_agreement_sees_no_student() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let admin = app.admin_token().await;
    // The district's own client sees the students.
    let internal = app.token("roster.read profiles.read", &[]).await;
    let q = "query($s: String!) { learners(first: 10) { totalCount nodes { sourcedId } } learner(sourcedId: $s) { sourcedId } learnerProfile(learnerSourcedId: $s) { id } }";
    let own = data(app.gql(&internal, q, json!({"s": ""})).await);
    assert_eq!(own["learners"]["totalCount"], 6);
    let sid = own["learners"]["nodes"][0]["sourcedId"].clone();
    let own = data(app.gql(&internal, q, json!({"s": sid})).await);
    assert_eq!(own["learner"]["sourcedId"], sid);
    assert!(own["learnerProfile"]["id"].is_string(), "{own}");

    let (cid, secret) = vendor_client(&app, &admin, "roster.read profiles.read progress.read", None).await;
    let vendor = app.token_for(&cid, &secret).await;
    let d = data(app.gql(&vendor, q, json!({"s": sid})).await);
    assert_eq!(d["learners"], json!({"totalCount": 0, "nodes": []}), "{d}");
    assert!(d["learner"].is_null() && d["learnerProfile"].is_null(), "{d}");
    let d = data(
        app.gql(
            &vendor,
            "{ viewer { scopes vendor dataAgreement { agreementId } } schools(first: 10) { totalCount } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(d["viewer"]["scopes"], json!(["roster.read"]), "{d}");
    assert_eq!(d["viewer"]["dataAgreement"], Value::Null);
    assert_eq!(d["schools"]["totalCount"], 2, "schools are not student data");
    let refused = app.gql(&vendor, "{ results(first: 5) { totalCount } }", json!({})).await;
    assert_eq!(error_code(&refused), "NOT_SHARED", "{refused}");
}

#[tokio::test]
async fn an_ended_or_revoked_agreement_ends_the_clients_tokens() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.admin_token().await;
    let id = create_agreement(&app, &admin, "Learner", &[]).await;
    let (cid, secret) = vendor_client(&app, &admin, "roster.read", Some(&id)).await;
    let vendor = app.token_for(&cid, &secret).await;
    let q = "{ learners(first: 10) { totalCount } }";
    assert_eq!(data(app.gql(&vendor, q, json!({})).await)["learners"]["totalCount"], 3);

    // Only the district administers agreements: the vendor can't revoke (or see) them.
    let denied = app
        .gql(
            &vendor,
            "mutation { revokeDataAgreement(agreementId: \"x\", reason: \"r\") { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let reason = app
        .gql(
            &admin,
            "mutation($a: String!) { revokeDataAgreement(agreementId: $a, reason: \" \") { userErrors { field code } } }",
            json!({"a": id}),
        )
        .await;
    assert_eq!(data(reason)["revokeDataAgreement"]["userErrors"][0]["field"], json!(["reason"]));
    assert_eq!(data(app.gql(&admin, LIST, json!({})).await)["dataAgreements"][0]["status"], "ACTIVE");

    let revoked = data(
        app.gql(
            &admin,
            "mutation($a: String!) { revokeDataAgreement(agreementId: $a, reason: \"the contract ended early\") { agreement { status revokedReason clients } userErrors { code } } }",
            json!({"a": id}),
        )
        .await,
    );
    let a = &revoked["revokeDataAgreement"]["agreement"];
    assert_eq!(a["status"], "REVOKED", "{revoked}");
    assert_eq!(a["revokedReason"], "the contract ended early");
    assert_eq!(a["clients"], json!([cid]));
    // The token it holds stops working; it gets no new one, and is told why.
    assert_eq!(app.gql_raw(Some(&vendor), q, json!({})).await.status(), 401);
    let (status, body) = app.token_response(&cid, &secret).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().unwrap().contains("revoked"), "{body}");
    // Revoking twice is a conflict, and a revoked agreement binds no client.
    let again = data(
        app.gql(
            &admin,
            "mutation($a: String!) { revokeDataAgreement(agreementId: $a, reason: \"again\") { userErrors { code } } }",
            json!({"a": id}),
        )
        .await,
    );
    assert_eq!(again["revokeDataAgreement"]["userErrors"][0]["code"], "CONFLICT");
    let bind = data(
        app.gql(
            &admin,
            "mutation($c: String!, $a: String) { setOAuthClientAgreement(clientId: $c, agreementId: $a) { userErrors { field } } }",
            json!({"c": cid, "a": id}),
        )
        .await,
    );
    assert_eq!(bind["setOAuthClientAgreement"]["userErrors"][0]["field"], json!(["agreementId"]));

    // An agreement whose last day has passed ends its clients' tokens the same way.
    let id2 = create_agreement(&app, &admin, "Learner", &[]).await;
    let (cid2, secret2) = vendor_client(&app, &admin, "roster.read", Some(&id2)).await;
    let vendor2 = app.token_for(&cid2, &secret2).await;
    assert_eq!(data(app.gql(&vendor2, q, json!({})).await)["learners"]["totalCount"], 3);
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    entity::data_agreement::Entity::update_many()
        .col_expr(entity::data_agreement::Column::EndsOn, Expr::value(yesterday))
        .filter(entity::data_agreement::Column::AgreementId.eq(id2.as_str()))
        .exec(&app.db)
        .await
        .unwrap();
    // A server that has not cached the token's principal refuses it at once; one that has,
    // within its cache's few seconds (an entry is also dropped the day after its term ends).
    let fresh = app.replica().await;
    assert_eq!(fresh.gql_raw(Some(&vendor2), q, json!({})).await.status(), 401);
    let (status, body) = app.token_response(&cid2, &secret2).await;
    assert_eq!(status, 401);
    assert!(body["error_description"].as_str().unwrap().contains(&format!("ended on {yesterday}")), "{body}");
    let list = data(app.gql(&admin, LIST, json!({})).await);
    assert_eq!(list["dataAgreements"][0]["status"], "EXPIRED", "{list}");

    // Both changes were audited with who made them.
    let events = data(
        app.gql(&admin, "{ auditEvents(first: 50) { nodes { operationName agreementId actorKind } } }", json!({}))
            .await,
    );
    let ops: Vec<(&str, &str)> = events["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["agreementId"] == id.as_str() && n["operationName"].is_string())
        .map(|n| (n["operationName"].as_str().unwrap(), n["actorKind"].as_str().unwrap()))
        .collect();
    assert_eq!(ops, [("createDataAgreement", "client"), ("revokeDataAgreement", "client")], "{events}");
}

#[tokio::test]
async fn agreements_refuse_bad_terms_and_write_nothing() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.admin_token().await;
    let today = Utc::now().date_naive();
    let cases = [
        (json!({"elements": "Learner { ssn }"}), "elements"),
        (json!({"elements": "Mastery"}), "elements"),
        (json!({"elements": ""}), "elements"),
        (json!({"endsOn": (today - Duration::days(30)).to_string()}), "endsOn"),
        (json!({"schools": ["no-such-school"]}), "schools"),
        (json!({"vendor": "  "}), "vendor"),
    ];
    for (change, field) in cases {
        let mut input = agreement("Learner", &[]);
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let d = data(app.gql(&admin, CREATE, json!({"i": input})).await);
        let errors = &d["createDataAgreement"]["userErrors"];
        assert_eq!(errors[0]["field"], json!([field]), "{change}: {d}");
        assert_eq!(errors[0]["code"], "INVALID", "{change}: {d}");
    }
    assert_eq!(data(app.gql(&admin, LIST, json!({})).await)["dataAgreements"], json!([]));
    // Not a district administrator: refused, nothing written.
    let teacher_tool = app.token("roster.read", &["sc-school-001"]).await;
    let denied = app.gql(&teacher_tool, CREATE, json!({"i": agreement("Learner", &[])})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let school_admin = app.token("roster.read admin", &["sc-school-001"]).await;
    let denied = app.gql(&school_admin, CREATE, json!({"i": agreement("Learner", &[])})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    assert_eq!(data(app.gql(&admin, LIST, json!({})).await)["dataAgreements"], json!([]));
    let count = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Fields.eq("dataAgreement"))
        .all(&app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 0, "nothing recorded, nothing audited");
}

const GUARDIAN_SCOPES: &str = "roster.read profiles.read playlists.read progress.read win.read";

/// Rosters a guardian of `child` at the first school through `upsertRoster` (the guardian names
/// the child as an agent, as OneRoster allows either side to).
async fn guardian(app: &TestApp, admin: &str, sid: &str, child: &str) {
    let d = data(
        app.gql(
            admin,
            "mutation($sid: String!, $child: String!) { upsertRoster(input: {users: [{sourcedId: $sid, givenName: \"Pat\", familyName: \"Parent\", agentSourcedIds: [$child], roles: [{roleType: \"primary\", role: \"parent\", orgSourcedId: \"sc-school-001\"}]}]}) { results { outcome } userErrors { message } } }",
            json!({"sid": sid, "child": child}),
        )
        .await,
    );
    assert_eq!(d["upsertRoster"]["userErrors"], json!([]), "{d}");
}

#[tokio::test]
async fn a_guardian_reads_their_own_childs_learning_and_nothing_else() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    let (admin, learners) = setup(&app).await;
    let writer = app.token("roster.read roster.write admin", &[]).await;
    let posted = post(&app, &admin, json!([row("r-g", &learners[0], 8.0, "2026-11-20T10:00:00Z")])).await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    guardian(&app, &writer, "g-parent-1", &learners[0]).await;
    guardian(&app, &writer, "g-parent-2", &learners[1]).await;

    let parent = app.dev_sign_in("g-parent-1", GUARDIAN_SCOPES).await;
    let v = data(app.gql(&parent, "{ viewer { role scopes } }", json!({})).await);
    assert_eq!(v["viewer"]["role"], "guardian");
    let scopes = v["viewer"]["scopes"].as_array().unwrap();
    for s in ["roster.read", "profiles.read", "playlists.read", "progress.read", "win.read"] {
        assert!(scopes.contains(&json!(s)), "{v}");
    }
    assert!(!scopes.iter().any(|s| s.as_str().unwrap().ends_with("write") || s == "profiles.sensitive.read"), "{v}");

    // Their own child, and no other student, wherever they look.
    let q = "{ learners(first: 100) { totalCount nodes { sourcedId } } results(first: 100) { nodes { learner { sourcedId } } } }";
    let d = data(app.gql(&parent, q, json!({})).await);
    assert_eq!(d["learners"], json!({"totalCount": 1, "nodes": [{"sourcedId": learners[0]}]}), "{d}");
    let results = d["results"]["nodes"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{d}");
    assert_eq!(results[0]["learner"]["sourcedId"], learners[0].as_str());
    let one = "query($s: String!) { learner(sourcedId: $s) { sourcedId profile { strengths } mastery { level } playlists { id } winHistory { id } } }";
    let mine = data(app.gql(&parent, one, json!({"s": learners[0]})).await);
    assert_eq!(mine["learner"]["sourcedId"], learners[0].as_str());
    assert!(mine["learner"]["profile"]["strengths"].is_array(), "{mine}");
    assert_eq!(mine["learner"]["mastery"].as_array().map(Vec::len), Some(1), "{mine}");
    let theirs = data(app.gql(&parent, one, json!({"s": learners[1]})).await);
    assert!(theirs["learner"].is_null(), "another family's child: {theirs}");
    // The other parent sees their own child only.
    let other = app.dev_sign_in("g-parent-2", GUARDIAN_SCOPES).await;
    let d = data(app.gql(&other, "{ learners(first: 100) { nodes { sourcedId } } }", json!({})).await);
    assert_eq!(d["learners"]["nodes"], json!([{"sourcedId": learners[1]}]));

    // Sensitive notes stay with staff; read-only: a write is refused and changes nothing.
    let notes = app
        .gql(
            &parent,
            "query($s: String!) { learner(sourcedId: $s) { profile { supportNotes } } }",
            json!({"s": learners[0]}),
        )
        .await;
    assert_eq!(error_code(&notes), "FORBIDDEN", "{notes}");
    let profile = "query($s: String!) { learner(sourcedId: $s) { profile { id version strengths } } }";
    let before = data(app.gql(&admin, profile, json!({"s": learners[0]})).await);
    assert!(before["learner"]["profile"]["id"].is_string(), "{before}");
    let write = app
        .gql(
            &parent,
            "mutation($id: ID!) { updateLearnerProfile(input: {profileId: $id, expectedVersion: 1, strengths: [\"changed by a parent\"]}) { userErrors { code } } }",
            json!({"id": before["learner"]["profile"]["id"]}),
        )
        .await;
    assert_eq!(error_code(&write), "FORBIDDEN", "{write}");
    assert_eq!(data(app.gql(&admin, profile, json!({"s": learners[0]})).await), before);
    // Staff views are not theirs.
    let summary = app
        .gql(
            &parent,
            "{ winSummary(schoolSourcedId: \"sc-school-001\", from: \"2026-01-01\", to: \"2026-12-31\") { blocks } }",
            json!({}),
        )
        .await;
    assert!(summary["errors"].is_array(), "{summary}");

    // Every read is audited under the guardian's name, and the guardian can ask who saw their
    // child's records; never another child's.
    let history = "query($s: String!) { learner(sourcedId: $s) { accessHistory(first: 100) { nodes { actorKind actorId clientId learnerSourcedIds } } } }";
    let h = data(app.gql(&parent, history, json!({"s": learners[0]})).await);
    let nodes = h["learner"]["accessHistory"]["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["actorId"] == "g-parent-1" && n["actorKind"] == "user"), "{h}");
    assert!(nodes.iter().any(|n| n["actorKind"] == "client"), "the district's own reads are listed too: {h}");
    // Events that touched a whole class name only their own child to them.
    for n in nodes {
        let named = n["learnerSourcedIds"].as_array().unwrap();
        assert!(named.iter().all(|s| *s == learners[0].as_str()), "another child named: {h}");
    }
    let class_read = data(app.gql(&admin, "{ learners(first: 100) { totalCount } }", json!({})).await);
    assert!(class_read["learners"]["totalCount"].as_i64().unwrap() > 1);
    let h = data(app.gql(&parent, history, json!({"s": learners[0]})).await);
    let all = h["learner"]["accessHistory"]["nodes"].as_array().unwrap();
    assert!(all.iter().all(|n| n["learnerSourcedIds"] == json!([learners[0]])), "{h}");
    let admin_view = data(app.gql(&app.admin_token().await, history, json!({"s": learners[0]})).await);
    let wide = admin_view["learner"]["accessHistory"]["nodes"].as_array().unwrap();
    assert!(
        wide.iter().any(|n| n["learnerSourcedIds"].as_array().unwrap().len() > 1),
        "the district sees whole events: {admin_view}"
    );
    let teacher_view = data(app.gql(&app.token("roster.read", &[]).await, history, json!({"s": learners[0]})).await);
    assert!(teacher_view["learner"]["accessHistory"].is_null(), "not for a tool without admin: {teacher_view}");
}

#[tokio::test]
async fn a_familys_opt_outs_hide_their_child_from_vendors() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.admin_token().await;
    let q = "{ learners(first: 10) { totalCount nodes { sourcedId } } }";
    let all = data(app.gql(&admin, q, json!({})).await);
    let sids: Vec<String> = all["learners"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["sourcedId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sids.len(), 3);
    let plain = create_agreement(&app, &admin, "Learner", &[]).await;
    let mut official = agreement("Learner", &[]);
    official["schoolOfficial"] = json!(true);
    let d = data(app.gql(&admin, CREATE, json!({"i": official})).await);
    let official = d["createDataAgreement"]["agreement"]["agreementId"].as_str().unwrap().to_owned();
    let (a, sa) = vendor_client(&app, &admin, &format!("roster.read {CORE}"), Some(&plain)).await;
    let (b, sb) = vendor_client(&app, &admin, "roster.read", Some(&official)).await;
    let (vendor, school_official) = (app.token_for(&a, &sa).await, app.token_for(&b, &sb).await);

    let set = "mutation($i: SetLearnerDataUseInput!) { setLearnerDataUse(input: $i) { dataUse { directoryOptOut vendorOptOut note setBy source } userErrors { field code } } }";
    // Only the district's administrators set them; nothing changes otherwise.
    let school_tool = app.token("roster.read admin", &["sc-school-001"]).await;
    let denied = app.gql(&school_tool, set, json!({"i": {"learnerSourcedId": sids[0], "directoryOptOut": true}})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let vendor_try = app.gql(&vendor, set, json!({"i": {"learnerSourcedId": sids[0], "directoryOptOut": true}})).await;
    assert_eq!(error_code(&vendor_try), "FORBIDDEN", "{vendor_try}");
    assert_eq!(learner_count(&app, &vendor).await, 3);
    let unknown = data(app.gql(&admin, set, json!({"i": {"learnerSourcedId": "nobody", "vendorOptOut": true}})).await);
    assert_eq!(unknown["setLearnerDataUse"]["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");

    // Directory opt-out: hidden from the vendor, not from a school official's client.
    let d = data(
        app.gql(
            &admin,
            set,
            json!({"i": {"learnerSourcedId": sids[0], "directoryOptOut": true, "note": "family request 2026-11-30"}}),
        )
        .await,
    );
    assert_eq!(
        d["setLearnerDataUse"]["dataUse"],
        json!({"directoryOptOut": true, "vendorOptOut": false, "note": "family request 2026-11-30", "setBy": a_client_of(&app, &admin).await, "source": "admin"})
    );
    assert_eq!(learner_count(&app, &vendor).await, 2);
    assert_eq!(learner_count(&app, &school_official).await, 3);
    let one = "query($s: String!) { learner(sourcedId: $s) { sourcedId dataUse { directoryOptOut } } }";
    assert!(data(app.gql(&vendor, one, json!({"s": sids[0]})).await)["learner"].is_null());
    let rest = app
        .http
        .get(app.url(&format!("/ims/oneroster/rostering/v1p2/users/{}", sids[0])))
        .bearer_auth(&vendor)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 404, "OneRoster REST hides them too");
    // The restriction is the district's to see, never a vendor's.
    let staff = data(app.gql(&admin, one, json!({"s": sids[0]})).await);
    assert_eq!(staff["learner"]["dataUse"], json!({"directoryOptOut": true}));
    let theirs = data(app.gql(&school_official, one, json!({"s": sids[0]})).await);
    assert_eq!(theirs["learner"], json!({"sourcedId": sids[0], "dataUse": null}));

    // Opting out of all vendor sharing hides them from every vendor's client.
    let d = data(app.gql(&admin, set, json!({"i": {"learnerSourcedId": sids[1], "vendorOptOut": true}})).await);
    assert_eq!(d["setLearnerDataUse"]["userErrors"], json!([]));
    assert_eq!(learner_count(&app, &vendor).await, 1);
    assert_eq!(learner_count(&app, &school_official).await, 2);
    assert_eq!(learner_count(&app, &admin).await, 3, "the district's own tools see every student");
    // Lifting it shows them again; the other choice is kept.
    let d = data(app.gql(&admin, set, json!({"i": {"learnerSourcedId": sids[0], "directoryOptOut": false}})).await);
    assert_eq!(d["setLearnerDataUse"]["dataUse"]["note"], "family request 2026-11-30");
    assert_eq!(learner_count(&app, &vendor).await, 2);
}

/// The client id behind the suite's admin token (the actor an admin change records).
async fn a_client_of(app: &TestApp, admin: &str) -> String {
    data(app.gql(admin, "{ viewer { clientId } }", json!({})).await)["viewer"]["clientId"].as_str().unwrap().to_owned()
}
