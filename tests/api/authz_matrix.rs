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
    Rule {
        field: "redesignPillars",
        scope: Some("redesign.read"),
        doc: "{ redesignPillars(includeArchived: true) { id name position } }",
    },
    Rule { field: "redesignCohorts", scope: Some("redesign.read"), doc: "{ redesignCohorts { id year targetSize } }" },
    Rule {
        field: "redesignPlans",
        scope: Some("redesign.read"),
        doc: "{ redesignPlans(first: 10) { edges { node { schoolSourcedId mission goals { title } } } } }",
    },
    Rule {
        field: "redesignPlan",
        scope: Some("redesign.read"),
        doc: "{ redesignPlan(schoolSourcedId: \"sc-school-001\") { schoolSourcedId mission stage } }",
    },
    Rule {
        field: "redesignFunding",
        scope: Some("redesign.read"),
        doc: "{ redesignFunding(schoolSourcedId: \"sc-school-001\") { committed disbursed byFiscalYear { fiscalYear committed } } }",
    },
    Rule {
        field: "redesignDashboard",
        scope: Some("redesign.read"),
        doc: "{ redesignDashboard(asOf: \"2100-01-01\") { stageCounts { cohortYear stage schools } overdueMilestones { title goal { plan { schoolSourcedId mission } } } offTrackIndicators { name goal { plan { schoolSourcedId } } } transition { startedSchools schools } } }",
    },
    Rule {
        field: "createRedesignPillar",
        scope: Some("redesign.write"),
        doc: "mutation { createRedesignPillar(input: {name: \"Matrix pillar\"}) { pillar { id } userErrors { code } } }",
    },
    Rule {
        field: "updateRedesignPillar",
        scope: Some("redesign.write"),
        doc: "mutation($pillar: ID!) { updateRedesignPillar(input: {pillarId: $pillar, description: \"changed\"}) { pillar { id } userErrors { code } } }",
    },
    Rule {
        field: "createRedesignCohort",
        scope: Some("redesign.write"),
        doc: "mutation { createRedesignCohort(input: {year: 2031, targetSize: 6, applicationOpensOn: \"2030-09-01\", applicationClosesOn: \"2031-01-31\"}) { cohort { id } userErrors { code } } }",
    },
    Rule {
        field: "updateRedesignCohort",
        scope: Some("redesign.write"),
        doc: "mutation($cohort: ID!) { updateRedesignCohort(input: {cohortId: $cohort, targetSize: 9}) { cohort { id } userErrors { code } } }",
    },
    Rule {
        field: "applyForRedesign",
        scope: Some("redesign.write"),
        doc: "mutation($year: Int!) { applyForRedesign(input: {schoolSourcedId: \"sc-school-003\", cohortYear: $year, application: \"We want in.\"}) { plan { id } userErrors { code } } }",
    },
    Rule {
        field: "moveRedesignPlan",
        scope: Some("redesign.write"),
        doc: "mutation($plan: ID!) { moveRedesignPlan(input: {planId: $plan, to: PLANNING}) { plan { schoolSourcedId mission } userErrors { code } } }",
    },
    Rule {
        field: "updateRedesignPlan",
        scope: Some("redesign.write"),
        doc: "mutation($plan: ID!) { updateRedesignPlan(input: {planId: $plan, vision: \"changed\"}) { plan { schoolSourcedId mission } userErrors { code } } }",
    },
    Rule {
        field: "createRedesignGoal",
        scope: Some("redesign.write"),
        doc: "mutation($plan: ID!, $pillar: ID!) { createRedesignGoal(input: {planId: $plan, title: \"More\", pillarIds: [$pillar]}) { goal { id plan { mission } } userErrors { code } } }",
    },
    Rule {
        field: "updateRedesignGoal",
        scope: Some("redesign.write"),
        doc: "mutation($goal: ID!) { updateRedesignGoal(input: {goalId: $goal, owner: \"Someone\"}) { goal { id plan { mission } } userErrors { code } } }",
    },
    Rule {
        field: "deleteRedesignGoal",
        scope: Some("redesign.write"),
        doc: "mutation($goal2: ID!) { deleteRedesignGoal(goalId: $goal2) { deletedId userErrors { code } } }",
    },
    Rule {
        field: "addRedesignIndicator",
        scope: Some("redesign.write"),
        doc: "mutation($goal: ID!) { addRedesignIndicator(input: {goalId: $goal, name: \"Attendance\", baseline: 90, baselineOn: \"2026-01-01\", target: 95, targetOn: \"2027-01-01\"}) { indicator { id goal { plan { mission } } } userErrors { code } } }",
    },
    Rule {
        field: "recordIndicatorMeasurement",
        scope: Some("redesign.write"),
        doc: "mutation($indicator: ID!) { recordIndicatorMeasurement(input: {indicatorId: $indicator, measuredOn: \"2026-06-01\", value: 50}) { indicator { id goal { plan { mission } } } userErrors { code } } }",
    },
    Rule {
        field: "addRedesignMilestone",
        scope: Some("redesign.write"),
        doc: "mutation($goal: ID!) { addRedesignMilestone(input: {goalId: $goal, title: \"Kickoff\", dueOn: \"2026-09-01\"}) { milestone { id goal { plan { mission } } } userErrors { code } } }",
    },
    Rule {
        field: "updateRedesignMilestone",
        scope: Some("redesign.write"),
        doc: "mutation($milestone: ID!) { updateRedesignMilestone(input: {milestoneId: $milestone, completedOn: \"2026-08-01\"}) { milestone { id goal { plan { mission } } } userErrors { code } } }",
    },
    Rule {
        field: "setRedesignFunding",
        scope: Some("redesign.write"),
        doc: "mutation($plan: ID!) { setRedesignFunding(input: {planId: $plan, spanYears: 4}) { plan { schoolSourcedId mission } userErrors { code } } }",
    },
    Rule {
        field: "awardRedesignGrant",
        scope: Some("redesign.write"),
        doc: "mutation($plan: ID!, $year: Int!) { awardRedesignGrant(input: {planId: $plan, kind: IMPLEMENTATION, fiscalYear: $year, amount: \"1000.00\"}) { grant { id plan { mission } } userErrors { code } } }",
    },
    Rule {
        field: "recordGrantDisbursement",
        scope: Some("redesign.write"),
        doc: "mutation($grant: ID!, $year: Int!) { recordGrantDisbursement(input: {grantId: $grant, fiscalYear: $year, amount: \"10.00\", disbursedOn: \"2026-10-01\"}) { grant { plan { mission } } userErrors { code } } }",
    },
    // Competencies are the district's reference data: readable with progress.read or
    // playlists.read (either will do, so there is no single scope to withhold).
    Rule {
        field: "competencyFrameworks",
        scope: None,
        doc: "{ competencyFrameworks { edges { node { title competencies(first: 5) { edges { node { code parent { code } } } } } } } }",
    },
    Rule {
        field: "competency",
        scope: None,
        doc: "query($comp: String!) { competency(sourcedId: $comp) { code statement } }",
    },
    Rule {
        field: "playlists",
        scope: Some("playlists.read"),
        doc: "{ playlists(first: 50) { edges { node { title learner { sourcedId } items { title competencies { code } } } } } }",
    },
    Rule {
        field: "playlistItems",
        scope: Some("playlists.read"),
        doc: "{ playlistItems(first: 50) { edges { node { title playlist { learner { sourcedId } } } } } }",
    },
    Rule {
        field: "classPlaylistProgress",
        scope: Some("playlists.read"),
        doc: "query($class: ID!) { classPlaylistProgress(classId: $class) { learner { sourcedId } itemsDone itemsTotal } }",
    },
    Rule {
        field: "results",
        scope: Some("progress.read"),
        doc: "{ results(first: 50) { edges { node { sourcedId learner { sourcedId } } } } }",
    },
    Rule { field: "syncCursor", scope: None, doc: "{ syncCursor }" },
    // The feed needs no scope itself: each kind of record in it needs the scope that reads it.
    Rule {
        field: "changes",
        scope: None,
        doc: "{ changes(first: 500) { cursor changes { entityType node { ... on Learner { sourcedId } ... on Playlist { learner { sourcedId } } ... on PlaylistItem { playlist { learner { sourcedId } } } ... on Result { learner { sourcedId } } } } } }",
    },
    Rule {
        field: "importCaseFramework",
        scope: Some("progress.write"),
        doc: "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { framework { title } userErrors { code } } }",
    },
    Rule {
        field: "setMasteryCalculation",
        scope: Some("progress.write"),
        doc: "mutation($fw: ID!) { setMasteryCalculation(input: {frameworkId: $fw, calculation: HIGHEST}) { framework { title } userErrors { code } } }",
    },
    Rule {
        field: "reorderPlaylistItems",
        scope: Some("playlists.write"),
        doc: "mutation($pl: ID!, $item: ID!, $item2: ID!, $item3: ID!) { reorderPlaylistItems(input: {playlistId: $pl, itemIds: [$item3, $item2, $item]}) { items { playlist { learner { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "setPlaylistItemState",
        scope: Some("playlists.write"),
        doc: "mutation($item: ID!) { setPlaylistItemState(input: {itemId: $item, state: IN_PROGRESS}) { item { playlist { learner { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "removePlaylistItem",
        scope: Some("playlists.write"),
        doc: "mutation($item3: ID!) { removePlaylistItem(input: {itemId: $item3}) { deletedId userErrors { code } } }",
    },
    Rule {
        field: "addPlaylistItems",
        scope: Some("playlists.write"),
        doc: "mutation($pl: ID!) { addPlaylistItems(input: {playlistId: $pl, items: [{title: \"B\", evidence: PROJECT}]}) { items { playlist { learner { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "updatePlaylistItem",
        scope: Some("playlists.write"),
        doc: "mutation($item: ID!) { updatePlaylistItem(input: {itemId: $item, title: \"Edited\"}) { item { playlist { learner { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "updatePlaylist",
        scope: Some("playlists.write"),
        doc: "mutation($pl: ID!) { updatePlaylist(input: {playlistId: $pl, title: \"Renamed\"}) { playlist { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "createPlaylist",
        scope: Some("playlists.write"),
        doc: "mutation($psid: String!, $comp: String!) { createPlaylist(input: {learnerSourcedId: $psid, subject: \"Math\", title: \"Extra\", items: [{title: \"A\", evidence: TEST, competencyIds: [$comp]}]}) { playlist { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "assignPlaylistTemplate",
        scope: Some("playlists.write"),
        doc: "mutation($template: ID!) { assignPlaylistTemplate(input: {templateId: $template, classSourcedId: \"sc-c-001-06-math-s1\"}) { playlists { learner { sourcedId } } alreadyAssigned userErrors { code } } }",
    },
    Rule {
        field: "postResults",
        scope: Some("progress.write"),
        doc: "mutation($psid: String!, $comp: String!) { postResults(input: {results: [{sourcedId: \"matrix-1\", learnerSourcedId: $psid, competencyId: $comp, score: 8, scoreMax: 10, evidenceType: TEST, occurredAt: \"2026-01-05T10:00:00Z\"}]}) { results { outcome result { learner { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "overrideResult",
        scope: Some("progress.write"),
        doc: "mutation($result: ID!) { overrideResult(input: {resultId: $result, score: 9, scoreMax: 10, note: \"seen in class\"}) { result { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "deleteResult",
        scope: Some("progress.write"),
        doc: "mutation($result: ID!) { deleteResult(input: {resultId: $result}) { deletedId userErrors { code } } }",
    },
    Rule {
        field: "winBlocks",
        scope: Some("win.read"),
        doc: "{ winBlocks(schoolSourcedId: \"sc-school-001\") { school { sourcedId } placements { learner { sourcedId } } } }",
    },
    Rule {
        field: "winSummary",
        scope: Some("win.read"),
        doc: "{ winSummary(schoolSourcedId: \"sc-school-001\") { blocks placed } }",
    },
    Rule {
        field: "createWinBlock",
        scope: Some("win.write"),
        doc: "mutation { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2031-01-06\"}) { block { school { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "repeatWinBlock",
        scope: Some("win.write"),
        doc: "mutation($wtemplate: ID!) { repeatWinBlock(input: {templateBlockId: $wtemplate, termSourcedId: \"sc-term-2027-spring\"}) { blocks { school { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "createWinSession",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!) { createWinSession(input: {blockId: $wblock, title: \"Extra\", subject: \"Math\", mode: SMALL_GROUP, capacity: 4}) { session { block { school { sourcedId } } } userErrors { code } } }",
    },
    Rule {
        field: "submitWinChoices",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!, $psid: String!, $wsession: ID!) { submitWinChoices(input: {blockId: $wblock, learnerSourcedId: $psid, sessionIds: [$wsession]}) { preferences { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "reviewWinChoice",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!, $psid: String!, $wsession: ID!) { reviewWinChoice(input: {blockId: $wblock, learnerSourcedId: $psid, decision: REQUIRED, sessionId: $wsession}) { review { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "runWinPlacement",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!) { runWinPlacement(input: {blockId: $wblock}) { placed block { school { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "adjustWinPlacement",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!, $psid: String!, $wlab: ID!) { adjustWinPlacement(input: {blockId: $wblock, learnerSourcedId: $psid, sessionId: $wlab}) { placement { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "recordWinAttendance",
        scope: Some("win.write"),
        doc: "mutation($wblock: ID!, $psid: String!) { recordWinAttendance(input: {blockId: $wblock, records: [{learnerSourcedId: $psid, attendance: PRESENT}]}) { placements { learner { sourcedId } } userErrors { code } } }",
    },
    Rule {
        field: "deletePlaylist",
        scope: Some("playlists.write"),
        doc: "mutation($pl: ID!) { deletePlaylist(input: {playlistId: $pl}) { deletedId userErrors { code } } }",
    },
];

/// A small CASE package: a document, a cluster and two standards below it.
pub const CASE_PACKAGE: &str = r#"{
  "CFDocument": {"identifier": "fw-math-6", "title": "Grade 6 Mathematics", "subject": ["Mathematics"], "publisher": "Riverbend", "version": "1.0"},
  "CFItems": [
    {"identifier": "c-rp", "fullStatement": "Ratios and proportional relationships", "humanCodingScheme": "MATH.6.RP", "CFItemType": "Cluster", "educationLevel": ["06"]},
    {"identifier": "c-rp-1", "fullStatement": "Understand the concept of a ratio", "humanCodingScheme": "MATH.6.RP.1", "CFItemType": "Standard", "educationLevel": ["06"]},
    {"identifier": "c-rp-2", "fullStatement": "Understand the concept of a unit rate", "humanCodingScheme": "MATH.6.RP.2", "CFItemType": "Standard", "educationLevel": ["06"]}
  ],
  "CFAssociations": [
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp"}, "destinationNodeURI": {"identifier": "fw-math-6"}, "sequenceNumber": 1},
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp-1"}, "destinationNodeURI": {"identifier": "c-rp"}, "sequenceNumber": 1},
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp-2"}, "destinationNodeURI": {"identifier": "c-rp"}, "sequenceNumber": 2}
  ]
}"#;

/// School 001's learner with a playlist of three items, a template, and a posted result.
async fn progress_fixtures(app: &TestApp, admin: &str, learner_sid: &str) -> Value {
    let d = data(
        app.gql(
            admin,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { framework { id } userErrors { message } } }",
            json!({"pkg": CASE_PACKAGE}),
        )
        .await,
    );
    let fw = d["importCaseFramework"]["framework"]["id"].clone();
    let d = data(
        app.gql(
            admin,
            "mutation($sid: String!) {
               p: createPlaylist(input: {learnerSourcedId: $sid, subject: \"Math\", title: \"Ratios\", items: [
                 {title: \"One\", evidence: TEST, competencyIds: [\"c-rp-1\"]},
                 {title: \"Two\", evidence: PROJECT},
                 {title: \"Three\", evidence: OTHER}]}) { playlist { id items { id } } userErrors { message } }
               t: createPlaylist(input: {schoolSourcedId: \"sc-school-001\", subject: \"Math\", title: \"Template\", items: [{title: \"T\", evidence: TEST}]}) { playlist { id } userErrors { message } }
               r: postResults(input: {results: [{sourcedId: \"fixture-1\", learnerSourcedId: $sid, competencyId: \"c-rp-2\", score: 6, scoreMax: 10, evidenceType: TEST, occurredAt: \"2026-01-02T10:00:00Z\"}]}) { results { result { id } } userErrors { message } }
             }",
            json!({"sid": learner_sid}),
        )
        .await,
    );
    let items = &d["p"]["playlist"]["items"];
    let class = data(app.gql(admin, "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id } }", json!({})).await)["class"]
        ["id"]
        .clone();
    let out = json!({
        "fw": fw, "comp": "c-rp-1", "pkg": CASE_PACKAGE, "pl": d["p"]["playlist"]["id"], "item": items[0]["id"],
        "item2": items[1]["id"], "item3": items[2]["id"], "template": d["t"]["playlist"]["id"],
        "result": d["r"]["results"][0]["result"]["id"], "class": class,
    });
    assert!(out.as_object().unwrap().values().all(|v| !v.is_null()), "progress fixtures: {out} {d}");
    out
}

async fn root_fields(app: &TestApp) -> BTreeSet<String> {
    let token = app.token("roster.read", &[]).await;
    let body: Value = app
        .gql_raw(
            Some(&token),
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
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
    app.seed(3, 3).await;
    let admin = app.token(&ALL_SCOPES.join(" "), &[]).await;
    let redesign = redesign_fixtures(&app, &admin).await;

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
    let progress = progress_fixtures(&app, &admin, &fresh_sid).await;
    let mut vars = json!({
        "learner": learner["id"],
        "sid": learner["sourcedId"],
        "enr": learner["enrollments"]["edges"][0]["node"]["sourcedId"],
        "profile": learner["profile"]["id"],
        "fresh": fresh["id"],
        "client": client_id,
        "year": redesign["year"],
        "pillar": redesign["pillar"],
        "cohort": redesign["cohort"],
        "plan": redesign["plan"],
        "goal": redesign["goal"],
        "goal2": redesign["goal2"],
        "indicator": redesign["indicator"],
        "milestone": redesign["milestone"],
        "grant": redesign["grant"],
    });
    vars["psid"] = json!(fresh_sid);
    for (k, v) in progress.as_object().unwrap() {
        vars[k] = v.clone();
    }
    for (k, v) in win_fixtures(&app, &admin, &fresh_sid).await.as_object().unwrap() {
        vars[k] = v.clone();
    }
    let secrets: Vec<String> =
        [&learner["sourcedId"], &fresh["sourcedId"], &learner["enrollments"]["edges"][0]["node"]["sourcedId"]]
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .chain(["sc-school-001".to_owned(), "sc-t-001-06-math-0".to_owned(), "sc-c-001-06-math".to_owned()])
            .chain([SECRET_MISSION.to_owned()])
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

/// A WIN block of school 001 open for choices, with two sessions, the fresh learner's choice
/// and a placement run; and a template block in the spring 2027 term.
async fn win_fixtures(app: &TestApp, admin: &str, learner_sid: &str) -> Value {
    let close = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let d = data(
        app.gql(
            admin,
            "mutation($close: DateTime!) {
               b: createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2030-03-04\", choicesCloseAt: $close}) { block { id } userErrors { message } }
               t: createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2027-05-03\"}) { block { id } userErrors { message } }
             }",
            json!({"close": close}),
        )
        .await,
    );
    let (block, template) = (d["b"]["block"]["id"].clone(), d["t"]["block"]["id"].clone());
    let d = data(
        app.gql(
            admin,
            "mutation($b: ID!) {
               s: createWinSession(input: {blockId: $b, title: \"Ratios\", subject: \"Math\", mode: SMALL_GROUP, capacity: 10}) { session { id } userErrors { message } }
               l: createWinSession(input: {blockId: $b, title: \"Lab\", subject: \"Math\", mode: INDEPENDENT, capacity: 30}) { session { id } userErrors { message } }
             }",
            json!({"b": block}),
        )
        .await,
    );
    let (session, lab) = (d["s"]["session"]["id"].clone(), d["l"]["session"]["id"].clone());
    let d = data(
        app.gql(
            admin,
            "mutation($b: ID!, $l: String!, $s: ID!) {
               c: submitWinChoices(input: {blockId: $b, learnerSourcedId: $l, sessionIds: [$s]}) { userErrors { message } }
               r: runWinPlacement(input: {blockId: $b}) { placed userErrors { message } }
             }",
            json!({"b": block, "l": learner_sid, "s": session}),
        )
        .await,
    );
    let out = json!({"wblock": block, "wtemplate": template, "wsession": session, "wlab": lab});
    assert!(
        out.as_object().unwrap().values().all(|v| !v.is_null()) && d["r"]["placed"].as_i64() > Some(0),
        "win fixtures: {out} {d}"
    );
    out
}

/// The mission of school 001's plan: no caller limited to another school may ever see it.
const SECRET_MISSION: &str = "Mission of school one, for its eyes only";

/// School 001's redesign plan at ACCEPTED, with a goal (and a second one to delete), an
/// indicator, a milestone and a grant; returns their ids and the cohort year.
async fn redesign_fixtures(app: &TestApp, admin: &str) -> Value {
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);
    let window = json!({"opens": (today - chrono::Days::new(30)).to_string(), "closes": (today + chrono::Days::new(30)).to_string()});
    let d = data(
        app.gql(
            admin,
            "mutation($year: Int!, $opens: NaiveDate!, $closes: NaiveDate!) { createRedesignCohort(input: {year: $year, targetSize: 6, applicationOpensOn: $opens, applicationClosesOn: $closes}) { cohort { id } userErrors { message } } }",
            json!({"year": year, "opens": window["opens"], "closes": window["closes"]}),
        )
        .await,
    );
    let cohort = d["createRedesignCohort"]["cohort"]["id"].clone();
    let pillar =
        data(app.gql(admin, "{ redesignPillars { id } }", json!({})).await)["redesignPillars"][0]["id"].clone();
    let d = data(
        app.gql(
            admin,
            "mutation($year: Int!) { applyForRedesign(input: {schoolSourcedId: \"sc-school-001\", cohortYear: $year, application: \"Please\"}) { plan { id } userErrors { message } } }",
            json!({"year": year}),
        )
        .await,
    );
    let plan = d["applyForRedesign"]["plan"]["id"].clone();
    assert!(plan.is_string(), "fixture plan: {d}");
    for (to, extra) in [
        ("PRESENTATION_SCHEDULED", ", presentationAt: \"2026-01-01T10:00:00Z\""),
        ("PRESENTED", ", presentationOutcome: \"Good\""),
        ("ACCEPTED", ""),
    ] {
        let doc = format!(
            "mutation($plan: ID!) {{ moveRedesignPlan(input: {{planId: $plan, to: {to}{extra}}}) {{ userErrors {{ message }} }} }}"
        );
        let d = data(app.gql(admin, &doc, json!({"plan": plan})).await);
        assert_eq!(d["moveRedesignPlan"]["userErrors"], json!([]), "fixture move to {to}");
    }
    let vars = json!({"plan": plan, "pillar": pillar, "mission": SECRET_MISSION, "year": year});
    let d = data(
        app.gql(
            admin,
            "mutation($plan: ID!, $pillar: ID!, $mission: String!, $year: Int!) {
               u: updateRedesignPlan(input: {planId: $plan, mission: $mission}) { userErrors { message } }
               g: createRedesignGoal(input: {planId: $plan, title: \"One\", pillarIds: [$pillar]}) { goal { id } }
               g2: createRedesignGoal(input: {planId: $plan, title: \"Two\", pillarIds: [$pillar]}) { goal { id } }
               a: awardRedesignGrant(input: {planId: $plan, kind: PLANNING, fiscalYear: $year, amount: \"20000.00\"}) { grant { id } userErrors { message } }
             }",
            vars,
        )
        .await,
    );
    let goal = d["g"]["goal"]["id"].clone();
    let d2 = data(
        app.gql(
            admin,
            "mutation($goal: ID!) {
               i: addRedesignIndicator(input: {goalId: $goal, name: \"Reading\", baseline: 10, baselineOn: \"2026-01-01\", target: 80, targetOn: \"2027-01-01\"}) { indicator { id } }
               m: addRedesignMilestone(input: {goalId: $goal, title: \"Plan written\", dueOn: \"2026-03-01\"}) { milestone { id } }
             }",
            json!({"goal": goal}),
        )
        .await,
    );
    let out = json!({
        "year": year, "cohort": cohort, "pillar": pillar, "plan": plan, "goal": goal, "goal2": d["g2"]["goal"]["id"],
        "grant": d["a"]["grant"]["id"], "indicator": d2["i"]["indicator"]["id"], "milestone": d2["m"]["milestone"]["id"],
    });
    assert!(out.as_object().unwrap().values().all(|v| !v.is_null()), "redesign fixtures: {out} {d} {d2}");
    out
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
