//! Every query and mutation field of the schema against every kind of caller that must be
//! denied: anonymous, missing the field's scope, limited to another school, and presenting a
//! bad token of each kind. The rule table must name every root field: adding a field without
//! an authorization rule fails this test.

use std::collections::BTreeSet;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use learnergraph::auth::tokens::{Keys, generate_pem};
use serde_json::{Value, json};

use crate::support::{AUDIENCE, ISSUER, TestApp, data, spawn_app};

const ALL_SCOPES: [&str; 14] = [
    "roster.read",
    "roster.write",
    "profiles.read",
    "profiles.write",
    "profiles.sensitive.read",
    "playlists.read",
    "playlists.write",
    "progress.read",
    "progress.write",
    "win.read",
    "win.write",
    "redesign.read",
    "redesign.write",
    "admin",
];

/// A root field, the scope it needs (None: reveals only the caller), and a document using it.
struct Rule {
    field: &'static str,
    scope: Option<&'static str>,
    doc: &'static str,
}

const RULES: &[Rule] = &[
    Rule { field: "viewer", scope: None, doc: "{ viewer { kind scopes } }" },
    Rule {
        field: "node",
        scope: Some("roster.read"),
        doc: "query($learner: ID!) { node(id: $learner) { id ... on Learner { sourcedId } } }",
    },
    Rule {
        field: "nodes",
        scope: Some("roster.read"),
        doc: "query($learner: ID!) { nodes(ids: [$learner]) { id ... on Learner { sourcedId } } }",
    },
    Rule {
        field: "districts",
        scope: Some("roster.read"),
        doc: "{ districts { edges { node { sourcedId schools { edges { node { sourcedId } } } } } } }",
    },
    Rule { field: "schools", scope: Some("roster.read"), doc: "{ schools { edges { node { sourcedId } } } }" },
    Rule {
        field: "learners",
        scope: Some("roster.read"),
        doc: "{ learners(first: 100) { edges { node { sourcedId } } } }",
    },
    Rule {
        field: "educators",
        scope: Some("roster.read"),
        doc: "{ educators(first: 100) { edges { node { sourcedId } } } }",
    },
    Rule {
        field: "classes",
        scope: Some("roster.read"),
        doc: "{ classes(first: 100) { edges { node { sourcedId } } } }",
    },
    Rule {
        field: "courses",
        scope: Some("roster.read"),
        doc: "{ courses(first: 100) { edges { node { sourcedId } } } }",
    },
    Rule {
        field: "academicSessions",
        scope: Some("roster.read"),
        doc: "{ academicSessions { edges { node { sourcedId } } } }",
    },
    Rule {
        field: "enrollments",
        scope: Some("roster.read"),
        doc: "{ enrollments(first: 100) { edges { node { sourcedId } } } }",
    },
    Rule { field: "school", scope: Some("roster.read"), doc: "{ school(sourcedId: \"sc-school-001\") { sourcedId } }" },
    Rule {
        field: "district",
        scope: Some("roster.read"),
        doc: "{ district(sourcedId: \"sc-district\") { sourcedId } }",
    },
    Rule {
        field: "learner",
        scope: Some("roster.read"),
        doc: "query($sid: String!) { learner(sourcedId: $sid) { sourcedId } }",
    },
    Rule {
        field: "educator",
        scope: Some("roster.read"),
        doc: "{ educator(sourcedId: \"sc-t-001-06-math-0\") { sourcedId } }",
    },
    Rule {
        field: "class",
        scope: Some("roster.read"),
        doc: "{ class(sourcedId: \"sc-c-001-06-math-s1\") { sourcedId } }",
    },
    Rule {
        field: "course",
        scope: Some("roster.read"),
        doc: "{ course(sourcedId: \"sc-c-001-06-math\") { sourcedId } }",
    },
    Rule {
        field: "academicSession",
        scope: Some("roster.read"),
        doc: "{ academicSession(sourcedId: \"sc-term-2027-fall\") { sourcedId } }",
    },
    Rule {
        field: "enrollment",
        scope: Some("roster.read"),
        doc: "query($enr: String!) { enrollment(sourcedId: $enr) { sourcedId } }",
    },
    Rule {
        field: "learnerProfile",
        scope: Some("profiles.read"),
        doc: "query($sid: String!) { learnerProfile(learnerSourcedId: $sid) { id strengths } }",
    },
    Rule {
        field: "auditEvents",
        scope: Some("admin"),
        doc: "{ auditEvents { edges { node { learnerSourcedIds } } } }",
    },
    Rule { field: "oauthClients", scope: Some("admin"), doc: "{ oauthClients { clientId } }" },
    Rule {
        field: "upsertLearner",
        scope: Some("roster.write"),
        doc: "mutation($sid: String!) { upsertLearner(input: {sourcedId: $sid, givenName: \"Changed\", familyName: \"Name\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { sourcedId } userErrors { code } } }",
    },
    Rule {
        field: "deleteRosterRecord",
        scope: Some("roster.write"),
        doc: "mutation($learner: ID!) { deleteRosterRecord(id: $learner) { deletedId userErrors { code } } }",
    },
    Rule {
        field: "createLearnerProfile",
        scope: Some("profiles.write"),
        doc: "mutation($fresh: ID!) { createLearnerProfile(input: {learnerId: $fresh, strengths: [\"x\"]}) { profile { id } userErrors { code } } }",
    },
    Rule {
        field: "updateLearnerProfile",
        scope: Some("profiles.write"),
        doc: "mutation($profile: ID!) { updateLearnerProfile(input: {profileId: $profile, expectedVersion: 1, strengths: [\"changed\"]}) { profile { id } userErrors { code } } }",
    },
    Rule {
        field: "createOAuthClient",
        scope: Some("admin"),
        doc: "mutation { createOAuthClient(input: {name: \"m\", scopes: [\"roster.read\"]}) { clientSecret userErrors { code } } }",
    },
    Rule {
        field: "rotateOAuthClientSecret",
        scope: Some("admin"),
        doc: "mutation($client: String!) { rotateOAuthClientSecret(clientId: $client) { clientSecret userErrors { code } } }",
    },
    Rule {
        field: "setOAuthClientEnabled",
        scope: Some("admin"),
        doc: "mutation($client: String!) { setOAuthClientEnabled(clientId: $client, enabled: true) { client { clientId } userErrors { code } } }",
    },
];

async fn root_fields(app: &TestApp) -> BTreeSet<String> {
    let body: Value = app
        .gql_raw(None, "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }", json!({}))
        .await
        .json()
        .await
        .unwrap();
    ["queryType", "mutationType"]
        .iter()
        .flat_map(|t| body["data"]["__schema"][t]["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// True when the response reveals or changes nothing: an error, a `userErrors` entry, or
/// data holding none of the secret school's identifiers.
fn denied(body: &Value, secrets: &[String]) -> bool {
    if body.get("errors").is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
        return true;
    }
    let text = body["data"].to_string();
    let has_user_error = text.contains("\"userErrors\":[{");
    has_user_error || !secrets.iter().any(|s| text.contains(s.as_str()))
}

#[tokio::test]
async fn every_field_denies_every_caller_that_may_not_use_it() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let admin = app.admin_token().await;

    // Fixtures in school 001 that the other-school principal must never reach.
    let d = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-001\") { learners(first: 2) { edges { node { id sourcedId enrollments(first: 1) { edges { node { sourcedId } } } profile { id } } } } } }",
            json!({}),
        )
        .await,
    );
    let learner = d["school"]["learners"]["edges"][0]["node"].clone();
    let fresh = d["school"]["learners"]["edges"][1]["node"].clone();
    // `fresh` has no profile yet, so createLearnerProfile's control run can succeed.
    let fresh_sid = fresh["sourcedId"].as_str().unwrap().to_owned();
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "DELETE FROM learner_profiles WHERE user_id = (SELECT id FROM users WHERE sourced_id = '{fresh_sid}')"
        ),
    )
    .await
    .unwrap();
    let (client_id, _) = app.client("roster.read", &[]).await;
    let vars = json!({
        "learner": learner["id"],
        "sid": learner["sourcedId"],
        "enr": learner["enrollments"]["edges"][0]["node"]["sourcedId"],
        "profile": learner["profile"]["id"],
        "fresh": fresh["id"],
        "client": client_id,
    });
    let secrets: Vec<String> =
        [&learner["sourcedId"], &fresh["sourcedId"], &learner["enrollments"]["edges"][0]["node"]["sourcedId"]]
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .chain(["sc-school-001".to_owned(), "sc-t-001-06-math-0".to_owned(), "sc-c-001-06-math".to_owned()])
            .collect();

    // Every root field has a rule, and every rule names a real field.
    let fields = root_fields(&app).await;
    let ruled: BTreeSet<String> = RULES.iter().map(|r| r.field.to_owned()).collect();
    assert_eq!(fields, ruled, "every root field needs an authorization rule in RULES (and no stale ones)");

    let other_school = app.token(&ALL_SCOPES.join(" "), &["sc-school-002"]).await;
    let bad_tokens = bad_tokens(&app, &client_id).await;
    for rule in RULES {
        // Callers that must be denied, before the control run can change anything.
        for (what, token) in &bad_tokens {
            let res = app.gql_raw(Some(token), rule.doc, vars.clone()).await;
            assert_eq!(res.status(), 401, "{}: a token that is {what} must be refused", rule.field);
        }
        if let Some(scope) = rule.scope {
            let body: Value = app.gql_raw(None, rule.doc, vars.clone()).await.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{}: anonymous: {body}", rule.field);
            let without: Vec<&str> = ALL_SCOPES.iter().copied().filter(|s| *s != scope).collect();
            let token = app.token(&without.join(" "), &[]).await;
            let body = app.gql(&token, rule.doc, vars.clone()).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{} without {scope}: {body}", rule.field);
        }
        let body = app.gql(&other_school, rule.doc, vars.clone()).await;
        assert!(denied(&body, &secrets), "{}: a caller limited to another school saw school 001: {body}", rule.field);
        // The control: the full-access caller succeeds, so the denials above were real.
        let body = app.gql(&admin, rule.doc, vars.clone()).await;
        assert!(body.get("errors").is_none(), "{}: control run failed: {body}", rule.field);
        assert!(!body["data"].to_string().contains("\"userErrors\":[{"), "{}: control run failed: {body}", rule.field);
    }
}

/// Tokens that must all be refused, each for its own reason.
async fn bad_tokens(app: &TestApp, client: &str) -> Vec<(&'static str, String)> {
    let kid =
        Keys::from_pem(&app.signing_pem, ISSUER, AUDIENCE, std::time::Duration::from_secs(60)).unwrap().jwks()["keys"]
            [0]["kid"]
            .as_str()
            .unwrap()
            .to_owned();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": client, "client_id": client, "exp": now + 300, "iat": now, "jti": "m1",
        "scope": ALL_SCOPES.join(" ")});
    let header = |typ: &str| {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = Some(typ.into());
        h.kid = Some(kid.clone());
        h
    };
    let sign = |pem: &str, h: Header, c: &Value| {
        jsonwebtoken::encode(&h, c, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
    };
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        sign(&app.signing_pem, header("at+jwt"), &c)
    };
    let without = |k: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(k);
        sign(&app.signing_pem, header("at+jwt"), &c)
    };
    let good = sign(&app.signing_pem, header("at+jwt"), &claims);
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(kid.clone());
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let public = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut tampered: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut more = claims.clone();
    more["client_id"] = json!("lg_someone_else");
    tampered[1] = URL_SAFE_NO_PAD.encode(more.to_string());
    // A real token, then revoked.
    let (id, secret) = app.client(&ALL_SCOPES.join(" "), &[]).await;
    let revoked = app.token_for(&id, &secret).await;
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", revoked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    vec![
        ("expired", with("exp", json!(now - 3600))),
        ("not yet valid", with("nbf", json!(now + 3600))),
        ("issued in the future", with("iat", json!(now + 3600))),
        ("signed with another key", sign(&generate_pem().unwrap(), header("at+jwt"), &claims)),
        (
            "unsigned (alg none)",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            ),
        ),
        (
            "HS256 keyed with the public key",
            jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap(),
        ),
        ("from another issuer", with("iss", json!("https://evil.example"))),
        ("for another audience", with("aud", json!("other"))),
        ("missing iss", without("iss")),
        ("missing aud", without("aud")),
        ("missing sub", without("sub")),
        ("missing exp", without("exp")),
        ("missing iat", without("iat")),
        ("of type JWT", sign(&app.signing_pem, header("JWT"), &claims)),
        ("tampered", tampered.join(".")),
        ("revoked", revoked),
    ]
}
