//! School redesign through HTTP: the district's pillars and cohorts, a plan's stages and their
//! history, what a school's own administrators may and may not do, the strategic plan and the
//! district dashboard, grants and disbursements (exact amounts, ceiling, span, totals, races),
//! and tenant isolation.

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::support::{TestApp, data, error_code, spawn_app, spawn_app_with};

const WRITE: &str = "redesign.read redesign.write";
const DEFAULT_PILLARS: [&str; 5] = [
    "Learner profiles",
    "Personal learning paths",
    "Competency-based progression",
    "Flexible learning environments",
    "Student agency",
];

macro_rules! user_errors {
    () => {
        " userErrors { field message code } "
    };
}

macro_rules! plan_fields {
    () => {
        " id schoolSourcedId stage nextStages application mission vision presentationAt presentationOutcome \
          declineReasons history { from to note backward actor { kind id } changedAt } \
          funding { ceiling firstFiscalYear lastFiscalYear spanYears } "
    };
}

macro_rules! totals_fields {
    () => {
        " ceiling committed disbursed remaining uncommitted byFiscalYear { fiscalYear committed disbursed remaining } "
    };
}

const CREATE_PILLAR: &str = concat!(
    "mutation($input: CreateRedesignPillarInput!) { createRedesignPillar(input: $input) { pillar { id name description position archived } ",
    user_errors!(),
    "} }"
);
const UPDATE_PILLAR: &str = concat!(
    "mutation($input: UpdateRedesignPillarInput!) { updateRedesignPillar(input: $input) { pillar { id name position archived } ",
    user_errors!(),
    "} }"
);
const CREATE_COHORT: &str = concat!(
    "mutation($input: CreateRedesignCohortInput!) { createRedesignCohort(input: $input) { cohort { id year name targetSize applicationOpensOn applicationClosesOn applicationOpen } ",
    user_errors!(),
    "} }"
);
const APPLY: &str = concat!(
    "mutation($input: ApplyForRedesignInput!) { applyForRedesign(input: $input) { plan {",
    plan_fields!(),
    "} ",
    user_errors!(),
    "} }"
);
const MOVE: &str = concat!(
    "mutation($input: MoveRedesignPlanInput!) { moveRedesignPlan(input: $input) { plan {",
    plan_fields!(),
    "} ",
    user_errors!(),
    "} }"
);
const UPDATE_PLAN: &str = concat!(
    "mutation($input: UpdateRedesignPlanInput!) { updateRedesignPlan(input: $input) { plan { id mission vision application } ",
    user_errors!(),
    "} }"
);
const PLAN_OF: &str = concat!("query($s: String!) { redesignPlan(schoolSourcedId: $s) {", plan_fields!(), "} }");
const CREATE_GOAL: &str = concat!(
    "mutation($input: CreateRedesignGoalInput!) { createRedesignGoal(input: $input) { goal { id title owner pillars { id name } } ",
    user_errors!(),
    "} }"
);
const UPDATE_GOAL: &str = concat!(
    "mutation($input: UpdateRedesignGoalInput!) { updateRedesignGoal(input: $input) { goal { id title owner pillars { name } } ",
    user_errors!(),
    "} }"
);
const ADD_INDICATOR: &str = concat!(
    "mutation($input: AddRedesignIndicatorInput!) { addRedesignIndicator(input: $input) { indicator { id name baseline target } ",
    user_errors!(),
    "} }"
);
const MEASURE: &str = concat!(
    "mutation($input: RecordIndicatorMeasurementInput!) { recordIndicatorMeasurement(input: $input) { indicator { id measurements { measuredOn value } } ",
    user_errors!(),
    "} }"
);
const ADD_MILESTONE: &str = concat!(
    "mutation($input: AddRedesignMilestoneInput!) { addRedesignMilestone(input: $input) { milestone { id title dueOn completedOn } ",
    user_errors!(),
    "} }"
);
const UPDATE_MILESTONE: &str = concat!(
    "mutation($input: UpdateRedesignMilestoneInput!) { updateRedesignMilestone(input: $input) { milestone { id title dueOn completedOn } ",
    user_errors!(),
    "} }"
);
const SET_FUNDING: &str = concat!(
    "mutation($input: SetRedesignFundingInput!) { setRedesignFunding(input: $input) { plan { id funding { ceiling firstFiscalYear lastFiscalYear spanYears } } ",
    user_errors!(),
    "} }"
);
const AWARD: &str = concat!(
    "mutation($input: AwardRedesignGrantInput!) { awardRedesignGrant(input: $input) { grant { id kind fiscalYear amount disbursed remaining awardedBy { kind id } } ",
    user_errors!(),
    "} }"
);
const DISBURSE: &str = concat!(
    "mutation($input: RecordGrantDisbursementInput!) { recordGrantDisbursement(input: $input) { disbursement { fiscalYear amount disbursedOn note } grant { id amount disbursed remaining } ",
    user_errors!(),
    "} }"
);
const PLAN_MONEY: &str = concat!(
    "query($s: String!) { redesignPlan(schoolSourcedId: $s) { id stage grants { id kind fiscalYear amount disbursed remaining disbursements { fiscalYear amount } } funding { ceiling firstFiscalYear lastFiscalYear spanYears totals {",
    totals_fields!(),
    "} } } }"
);
const FUNDING: &str = concat!(
    "query($c: Int, $s: String) { redesignFunding(cohortYear: $c, schoolSourcedId: $s) {",
    totals_fields!(),
    "} }"
);

// ---------------------------------------------------------------------------------------------
// Helpers.

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `data` of a request that must not fail.
async fn ok(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    data(app.gql(token, query, vars).await)
}

/// The payload of mutation `field`, with no GraphQL error (it may carry userErrors).
async fn payload(app: &TestApp, token: &str, query: &str, input: Value, field: &str) -> Value {
    ok(app, token, query, json!({ "input": input })).await[field].clone()
}

/// The payload of mutation `field`, asserting it succeeded without userErrors.
async fn mutate(app: &TestApp, token: &str, query: &str, input: Value, field: &str) -> Value {
    let p = payload(app, token, query, input, field).await;
    assert_eq!(p["userErrors"], json!([]), "{field} failed: {p}");
    p
}

/// Asserts the payload carries exactly one userError, with this code and field path.
fn assert_user_error(p: &Value, code: &str, field: &str) {
    let errors = p["userErrors"].as_array().unwrap_or_else(|| panic!("no userErrors in {p}"));
    assert_eq!(errors.len(), 1, "expected one userError: {p}");
    assert_eq!(errors[0]["code"], code, "{p}");
    let path: Vec<&str> = errors[0]["field"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(path.join("."), field, "{p}");
    assert!(!errors[0]["message"].as_str().unwrap().is_empty(), "{p}");
}

/// Asserts the request fails as a whole with this GraphQL error code.
async fn assert_error(app: &TestApp, token: &str, query: &str, vars: Value, code: &str) {
    let body = app.gql(token, query, vars).await;
    assert_eq!(error_code(&body), code, "{body}");
}

/// A cohort whose application window includes today (UTC).
async fn open_cohort(app: &TestApp, token: &str, year: i32) -> Value {
    let input = json!({
        "year": year,
        "targetSize": 7,
        "applicationOpensOn": (today() - Duration::days(30)).to_string(),
        "applicationClosesOn": (today() + Duration::days(30)).to_string(),
    });
    mutate(app, token, CREATE_COHORT, input, "createRedesignCohort").await["cohort"].clone()
}

async fn apply(app: &TestApp, token: &str, school: &str, year: i32) -> Value {
    let input = json!({ "schoolSourcedId": school, "cohortYear": year, "application": format!("{school} wants to personalize learning") });
    mutate(app, token, APPLY, input, "applyForRedesign").await["plan"].clone()
}

/// What a forward move to `to` must carry.
fn move_input(plan: &Value, to: &str) -> Value {
    let mut input = json!({ "planId": plan, "to": to });
    match to {
        "PRESENTATION_SCHEDULED" => input["presentationAt"] = json!("2030-02-14T15:30:00Z"),
        "PRESENTED" => input["presentationOutcome"] = json!("A clear mission; the staff is on board"),
        "DECLINED" => input["declineReasons"] = json!("The staff vote fell short"),
        _ => {}
    }
    input
}

/// Moves a plan forward one step at a time until it reaches `target`.
async fn advance(app: &TestApp, token: &str, plan: &Value, target: &str) -> Value {
    let path = ["PRESENTATION_SCHEDULED", "PRESENTED", "ACCEPTED", "PLANNING", "IMPLEMENTING", "SUSTAINING"];
    let end = path.iter().position(|s| *s == target).unwrap();
    let mut last = Value::Null;
    for to in &path[..=end] {
        last = mutate(app, token, MOVE, move_input(plan, to), "moveRedesignPlan").await["plan"].clone();
        assert_eq!(last["stage"], *to);
    }
    last
}

async fn plan_of(app: &TestApp, token: &str, school: &str) -> Value {
    ok(app, token, PLAN_OF, json!({ "s": school })).await["redesignPlan"].clone()
}

async fn money_of(app: &TestApp, token: &str, school: &str) -> Value {
    ok(app, token, PLAN_MONEY, json!({ "s": school })).await["redesignPlan"].clone()
}

async fn funding(app: &TestApp, token: &str, cohort: Option<i32>, school: Option<&str>) -> Value {
    ok(app, token, FUNDING, json!({ "c": cohort, "s": school })).await["redesignFunding"].clone()
}

async fn pillar_ids(app: &TestApp, token: &str) -> Vec<Value> {
    let d = ok(app, token, "{ redesignPillars { id } }", json!({})).await;
    d["redesignPillars"].as_array().unwrap().iter().map(|p| p["id"].clone()).collect()
}

async fn award(app: &TestApp, token: &str, plan: &Value, kind: &str, fy: i32, amount: &str) -> Value {
    let input = json!({ "planId": plan, "kind": kind, "fiscalYear": fy, "amount": amount, "awardedOn": "2030-07-01" });
    payload(app, token, AWARD, input, "awardRedesignGrant").await
}

async fn disburse(app: &TestApp, token: &str, grant: &Value, fy: i32, amount: &str) -> Value {
    let input = json!({ "grantId": grant, "fiscalYear": fy, "amount": amount, "disbursedOn": "2030-09-01" });
    payload(app, token, DISBURSE, input, "recordGrantDisbursement").await
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v[key].as_str().unwrap().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Pillars and cohorts.

#[tokio::test]
async fn the_district_defines_its_pillars_and_cohorts() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let district = app.token(WRITE, &[]).await;

    // Five pillars by default, in order.
    let d = ok(&app, &district, "{ redesignPillars { id name description position archived } }", json!({})).await;
    let pillars = d["redesignPillars"].clone();
    assert_eq!(names(&pillars, "name"), DEFAULT_PILLARS);
    let positions: Vec<i64> = pillars.as_array().unwrap().iter().map(|p| p["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    assert!(pillars.as_array().unwrap().iter().all(|p| p["archived"] == false && p["description"] != ""));

    // The district adds one (after the last), can't duplicate a name, renames and archives.
    let input = json!({ "name": "Community partnerships", "description": "Families and partners shape the work." });
    let added = mutate(&app, &district, CREATE_PILLAR, input, "createRedesignPillar").await["pillar"].clone();
    assert_eq!(added["position"], 6);
    assert_eq!(added["archived"], false);
    let dup =
        payload(&app, &district, CREATE_PILLAR, json!({ "name": "Student agency" }), "createRedesignPillar").await;
    assert_user_error(&dup, "CONFLICT", "input");
    assert!(dup["pillar"].is_null());
    let blank = payload(&app, &district, CREATE_PILLAR, json!({ "name": "   " }), "createRedesignPillar").await;
    assert_user_error(&blank, "INVALID", "input.name");
    let clash = payload(
        &app,
        &district,
        UPDATE_PILLAR,
        json!({ "pillarId": added["id"], "name": "Learner profiles" }),
        "updateRedesignPillar",
    )
    .await;
    assert_user_error(&clash, "CONFLICT", "input");
    let input = json!({ "pillarId": added["id"], "name": "Family and community partnerships" });
    let renamed = mutate(&app, &district, UPDATE_PILLAR, input, "updateRedesignPillar").await;
    assert_eq!(renamed["pillar"]["name"], "Family and community partnerships");
    let input = json!({ "pillarId": added["id"], "archived": true });
    let archived = mutate(&app, &district, UPDATE_PILLAR, input, "updateRedesignPillar").await;
    assert_eq!(archived["pillar"]["archived"], true);
    let d = ok(&app, &district, "{ redesignPillars { name } }", json!({})).await;
    assert_eq!(names(&d["redesignPillars"], "name"), DEFAULT_PILLARS, "archived pillars are hidden by default");
    let d = ok(&app, &district, "{ redesignPillars(includeArchived: true) { name archived } }", json!({})).await;
    let all = d["redesignPillars"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[5], json!({ "name": "Family and community partnerships", "archived": true }));

    // Cohorts: a year, a target size and an application window.
    let cohort = open_cohort(&app, &district, 2030).await;
    assert_eq!(cohort["year"], 2030);
    assert_eq!(cohort["name"], "Cohort 2030");
    assert_eq!(cohort["targetSize"], 7);
    assert_eq!(cohort["applicationOpensOn"], (today() - Duration::days(30)).to_string());
    assert_eq!(cohort["applicationOpen"], true);
    let input = json!({ "year": 2030, "targetSize": 9, "applicationOpensOn": "2029-01-01", "applicationClosesOn": "2029-03-01" });
    let dup = payload(&app, &district, CREATE_COHORT, input, "createRedesignCohort").await;
    assert_user_error(&dup, "CONFLICT", "input");
    let input = json!({ "year": 2031, "name": "Backwards", "targetSize": 6, "applicationOpensOn": "2030-03-01", "applicationClosesOn": "2030-02-28" });
    let backwards = payload(&app, &district, CREATE_COHORT, input, "createRedesignCohort").await;
    assert_user_error(&backwards, "INVALID", "input.applicationClosesOn");
    assert!(backwards["cohort"].is_null());
    let input = json!({ "year": 2031, "name": "Closed", "targetSize": 6, "applicationOpensOn": "2030-01-01", "applicationClosesOn": "2030-02-28" });
    let closed = mutate(&app, &district, CREATE_COHORT, input, "createRedesignCohort").await;
    assert_eq!(closed["cohort"]["applicationOpen"], false);
    assert_eq!(closed["cohort"]["name"], "Closed");

    // Pillars and cohorts are the district's: a tool of one school may read them, not change them.
    let school_tool = app.token(WRITE, &["sc-school-001"]).await;
    let d = ok(&app, &school_tool, "{ redesignPillars { name } redesignCohorts { year } }", json!({})).await;
    assert_eq!(names(&d["redesignPillars"], "name"), DEFAULT_PILLARS);
    assert_eq!(d["redesignCohorts"], json!([{ "year": 2030 }, { "year": 2031 }]));
    let cohort_input = json!({ "input": { "year": 2032, "targetSize": 6, "applicationOpensOn": "2031-01-01", "applicationClosesOn": "2031-02-01" } });
    assert_error(&app, &school_tool, CREATE_COHORT, cohort_input.clone(), "FORBIDDEN").await;
    assert_error(&app, &school_tool, CREATE_PILLAR, json!({ "input": { "name": "Mine" } }), "FORBIDDEN").await;
    let first = pillars[0]["id"].clone();
    let archive_first = json!({ "input": { "pillarId": first, "archived": true } });
    assert_error(&app, &school_tool, UPDATE_PILLAR, archive_first.clone(), "FORBIDDEN").await;
    // So is a district-wide tool without redesign.write.
    let reader = app.token("redesign.read", &[]).await;
    assert_error(&app, &reader, CREATE_COHORT, cohort_input, "FORBIDDEN").await;
    assert_error(&app, &reader, UPDATE_PILLAR, archive_first, "FORBIDDEN").await;
    // And nothing of that was written.
    let d = ok(
        &app,
        &district,
        "{ redesignCohorts { year } redesignPillars(includeArchived: true) { name archived } }",
        json!({}),
    )
    .await;
    assert_eq!(d["redesignCohorts"], json!([{ "year": 2030 }, { "year": 2031 }]));
    assert_eq!(d["redesignPillars"].as_array().unwrap().len(), 6);
    assert_eq!(d["redesignPillars"][0]["archived"], false);
    // Without redesign.read, nothing at all.
    let roster = app.token("roster.read", &[]).await;
    assert_error(&app, &roster, "{ redesignPillars { name } }", json!({}), "FORBIDDEN").await;
}

// ---------------------------------------------------------------------------------------------
// Stages.

#[tokio::test]
async fn a_plan_moves_one_stage_at_a_time_and_back_only_with_a_district_administrators_reason() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(2, 2).await;
    let (client_id, secret) = app.client(WRITE, &[]).await;
    let district = app.token_for(&client_id, &secret).await;
    open_cohort(&app, &district, 2030).await;
    let input = json!({ "year": 2029, "targetSize": 6, "applicationOpensOn": (today() - Duration::days(90)).to_string(), "applicationClosesOn": (today() - Duration::days(60)).to_string() });
    mutate(&app, &district, CREATE_COHORT, input, "createRedesignCohort").await;

    // Applying outside the window, or to a cohort that doesn't exist, is refused.
    let late = json!({ "schoolSourcedId": "sc-school-001", "cohortYear": 2029, "application": "Please" });
    assert_user_error(&payload(&app, &district, APPLY, late, "applyForRedesign").await, "INVALID", "input.cohortYear");
    let nowhere = json!({ "schoolSourcedId": "sc-school-001", "cohortYear": 2040, "application": "Please" });
    assert_user_error(&payload(&app, &district, APPLY, nowhere, "applyForRedesign").await, "NOT_FOUND", "input");
    assert!(plan_of(&app, &district, "sc-school-001").await.is_null(), "a refused application writes nothing");

    // Applying opens the plan at APPLIED, with the application in its history.
    let plan = apply(&app, &district, "sc-school-001", 2030).await;
    assert_eq!(plan["stage"], "APPLIED");
    assert_eq!(plan["schoolSourcedId"], "sc-school-001");
    assert_eq!(plan["nextStages"], json!(["PRESENTATION_SCHEDULED"]));
    assert_eq!(
        plan["funding"],
        json!({ "ceiling": "175000.00", "firstFiscalYear": 2030, "lastFiscalYear": 2034, "spanYears": 5 })
    );
    let history = plan["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["from"], Value::Null);
    assert_eq!(history[0]["to"], "APPLIED");
    assert_eq!(history[0]["backward"], false);
    assert_eq!(history[0]["actor"], json!({ "kind": "client", "id": client_id }));
    let again = json!({ "schoolSourcedId": "sc-school-001", "cohortYear": 2030, "application": "Again" });
    assert_user_error(&payload(&app, &district, APPLY, again, "applyForRedesign").await, "CONFLICT", "input");
    let id = plan["id"].clone();

    // No skipping: refused, and nothing changes.
    let skip = payload(&app, &district, MOVE, json!({ "planId": id, "to": "ACCEPTED" }), "moveRedesignPlan").await;
    assert_user_error(&skip, "INVALID", "input.to");
    assert!(skip["plan"].is_null());
    let same = payload(&app, &district, MOVE, json!({ "planId": id, "to": "APPLIED" }), "moveRedesignPlan").await;
    assert_user_error(&same, "INVALID", "input.to");
    let now = plan_of(&app, &district, "sc-school-001").await;
    assert_eq!(now["stage"], "APPLIED");
    assert_eq!(now["history"].as_array().unwrap().len(), 1);

    // Each forward step needs what it records.
    let bare = json!({ "planId": id, "to": "PRESENTATION_SCHEDULED" });
    let p = payload(&app, &district, MOVE, bare, "moveRedesignPlan").await;
    assert_user_error(&p, "INVALID", "input.presentationAt");
    let p = mutate(&app, &district, MOVE, move_input(&id, "PRESENTATION_SCHEDULED"), "moveRedesignPlan").await;
    assert_eq!(p["plan"]["stage"], "PRESENTATION_SCHEDULED");
    let at = chrono::DateTime::parse_from_rfc3339(p["plan"]["presentationAt"].as_str().unwrap()).unwrap();
    assert_eq!(at, chrono::DateTime::parse_from_rfc3339("2030-02-14T15:30:00Z").unwrap());
    let p = payload(&app, &district, MOVE, json!({ "planId": id, "to": "PRESENTED" }), "moveRedesignPlan").await;
    assert_user_error(&p, "INVALID", "input.presentationOutcome");
    let p = mutate(&app, &district, MOVE, move_input(&id, "PRESENTED"), "moveRedesignPlan").await;
    assert_eq!(p["plan"]["presentationOutcome"], "A clear mission; the staff is on board");
    assert_eq!(p["plan"]["nextStages"], json!(["ACCEPTED", "DECLINED"]));
    let p = payload(
        &app,
        &district,
        MOVE,
        json!({ "planId": id, "to": "DECLINED", "declineReasons": " " }),
        "moveRedesignPlan",
    )
    .await;
    assert_user_error(&p, "INVALID", "input.declineReasons");
    let input = json!({ "planId": id, "to": "ACCEPTED", "note": "Welcome to cohort 2030" });
    let accepted = mutate(&app, &district, MOVE, input, "moveRedesignPlan").await["plan"].clone();
    assert_eq!(accepted["stage"], "ACCEPTED");
    let history = accepted["history"].as_array().unwrap();
    let moves: Vec<(Value, Value)> = history.iter().map(|h| (h["from"].clone(), h["to"].clone())).collect();
    assert_eq!(
        moves,
        [
            (Value::Null, json!("APPLIED")),
            (json!("APPLIED"), json!("PRESENTATION_SCHEDULED")),
            (json!("PRESENTATION_SCHEDULED"), json!("PRESENTED")),
            (json!("PRESENTED"), json!("ACCEPTED")),
        ]
    );
    assert_eq!(history[3]["note"], "Welcome to cohort 2030");
    assert!(history.iter().all(|h| h["backward"] == false));

    // Money while accepted: a planning grant.
    let grant = award(&app, &district, &id, "PLANNING", 2030, "10000.00").await;
    assert_eq!(grant["userErrors"], json!([]), "{grant}");
    let grant = grant["grant"]["id"].clone();

    // Back: never a tool, even the district's.
    let back = json!({ "input": { "planId": id, "to": "PRESENTED", "note": "Re-present" } });
    assert_error(&app, &district, MOVE, back.clone(), "FORBIDDEN").await;
    assert_eq!(plan_of(&app, &district, "sc-school-001").await["stage"], "ACCEPTED");

    // A signed-in district administrator may, with a reason.
    let admin = app.dev_sign_in("sc-admin-district", WRITE).await;
    let no_reason = payload(&app, &admin, MOVE, json!({ "planId": id, "to": "PRESENTED" }), "moveRedesignPlan").await;
    assert_user_error(&no_reason, "INVALID", "input.note");
    assert_eq!(plan_of(&app, &district, "sc-school-001").await["history"].as_array().unwrap().len(), 4);
    let moved = mutate(&app, &admin, MOVE, back["input"].clone(), "moveRedesignPlan").await["plan"].clone();
    assert_eq!(moved["stage"], "PRESENTED");
    let history = moved["history"].as_array().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4]["from"], "ACCEPTED");
    assert_eq!(history[4]["to"], "PRESENTED");
    assert_eq!(history[4]["backward"], true);
    assert_eq!(history[4]["note"], "Re-present");
    assert_eq!(history[4]["actor"], json!({ "kind": "user", "id": "sc-admin-district" }));
    assert!(history[4]["changedAt"].as_str().unwrap() >= history[3]["changedAt"].as_str().unwrap());

    // A plan no longer accepted is paid nothing, even from a grant it already holds.
    let paid = disburse(&app, &district, &grant, 2030, "500.00").await;
    assert_user_error(&paid, "CONFLICT", "input");
    assert_eq!(funding(&app, &district, None, Some("sc-school-001")).await["disbursed"], "0.00");

    // Declined, with reasons; a declined plan goes nowhere forward and can't be edited.
    let declined = mutate(&app, &admin, MOVE, move_input(&id, "DECLINED"), "moveRedesignPlan").await["plan"].clone();
    assert_eq!(declined["stage"], "DECLINED");
    assert_eq!(declined["declineReasons"], "The staff vote fell short");
    assert_eq!(declined["nextStages"], json!([]));
    let p = payload(&app, &district, MOVE, json!({ "planId": id, "to": "ACCEPTED" }), "moveRedesignPlan").await;
    assert_user_error(&p, "INVALID", "input.to");
    let p =
        payload(&app, &district, UPDATE_PLAN, json!({ "planId": id, "mission": "Later" }), "updateRedesignPlan").await;
    assert_user_error(&p, "CONFLICT", "input");
    let d = ok(&app, &district, "{ redesignDashboard { stageCounts { cohortYear stage schools } } }", json!({})).await;
    assert_eq!(
        d["redesignDashboard"]["stageCounts"],
        json!([{ "cohortYear": 2030, "stage": "DECLINED", "schools": 1 }])
    );
}

// ---------------------------------------------------------------------------------------------
// A school's own administrators.

#[tokio::test]
async fn a_school_administrator_edits_their_plan_but_not_its_stage_or_money() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(2, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    let plan1 = apply(&app, &district, "sc-school-001", 2030).await["id"].clone();
    let plan2 = apply(&app, &district, "sc-school-002", 2030).await["id"].clone();
    advance(&app, &district, &plan1, "ACCEPTED").await;
    let grant = award(&app, &district, &plan1, "PLANNING", 2030, "20000.00").await;
    let grant_id = grant["grant"]["id"].clone();
    assert!(grant_id.is_string(), "{grant}");
    let pillars = pillar_ids(&app, &district).await;

    let principal = app.dev_sign_in("sc-admin-001", WRITE).await;
    let d = ok(&app, &principal, "{ viewer { scopes } }", json!({})).await;
    let scopes = d["viewer"]["scopes"].as_array().unwrap();
    assert!(scopes.contains(&json!("redesign.write")), "{d}");

    // Their plan's content: mission, vision, goals, indicators, milestones.
    let input = json!({ "planId": plan1, "mission": "Every learner known", "vision": "Learning without walls" });
    let p = mutate(&app, &principal, UPDATE_PLAN, input, "updateRedesignPlan").await;
    assert_eq!(p["plan"]["mission"], "Every learner known");
    assert_eq!(p["plan"]["vision"], "Learning without walls");
    let input = json!({ "planId": plan1, "title": "Profiles for all", "owner": "Assistant principal", "pillarIds": [pillars[0]] });
    let goal = mutate(&app, &principal, CREATE_GOAL, input, "createRedesignGoal").await["goal"].clone();
    let input =
        json!({ "goalId": goal["id"], "title": "Profiles for every learner", "pillarIds": [pillars[0], pillars[4]] });
    let g = mutate(&app, &principal, UPDATE_GOAL, input, "updateRedesignGoal").await;
    assert_eq!(g["goal"]["title"], "Profiles for every learner");
    assert_eq!(names(&g["goal"]["pillars"], "name"), ["Learner profiles", "Student agency"]);
    let input = json!({ "goalId": goal["id"], "name": "Profiles updated this term", "unit": "%", "baseline": 10.0, "baselineOn": "2030-08-01", "target": 90.0, "targetOn": "2031-06-01" });
    let ind = mutate(&app, &principal, ADD_INDICATOR, input, "addRedesignIndicator").await["indicator"].clone();
    let input = json!({ "indicatorId": ind["id"], "measuredOn": "2030-10-01", "value": 35.5 });
    let m = mutate(&app, &principal, MEASURE, input, "recordIndicatorMeasurement").await;
    assert_eq!(m["indicator"]["measurements"], json!([{ "measuredOn": "2030-10-01", "value": 35.5 }]));
    let input = json!({ "goalId": goal["id"], "title": "Profile template chosen", "dueOn": "2030-09-15" });
    let ms = mutate(&app, &principal, ADD_MILESTONE, input, "addRedesignMilestone").await["milestone"].clone();
    let input = json!({ "milestoneId": ms["id"], "completedOn": "2030-09-10" });
    let ms = mutate(&app, &principal, UPDATE_MILESTONE, input, "updateRedesignMilestone").await;
    assert_eq!(ms["milestone"]["completedOn"], "2030-09-10");

    // Not its stage, its money or the district's definitions.
    let forward = json!({ "input": { "planId": plan1, "to": "PLANNING" } });
    assert_error(&app, &principal, MOVE, forward, "FORBIDDEN").await;
    let ceiling = json!({ "input": { "planId": plan1, "ceiling": "500000.00" } });
    assert_error(&app, &principal, SET_FUNDING, ceiling, "FORBIDDEN").await;
    let more =
        json!({ "input": { "planId": plan1, "kind": "IMPLEMENTATION", "fiscalYear": 2031, "amount": "50000.00" } });
    assert_error(&app, &principal, AWARD, more, "FORBIDDEN").await;
    let pay = json!({ "input": { "grantId": grant_id, "fiscalYear": 2030, "amount": "1000.00", "disbursedOn": "2030-09-01" } });
    assert_error(&app, &principal, DISBURSE, pay, "FORBIDDEN").await;
    let cohort = json!({ "input": { "year": 2031, "targetSize": 6, "applicationOpensOn": "2031-01-01", "applicationClosesOn": "2031-02-01" } });
    assert_error(&app, &principal, CREATE_COHORT, cohort, "FORBIDDEN").await;
    let archive = json!({ "input": { "pillarId": pillars[0], "archived": true } });
    assert_error(&app, &principal, UPDATE_PILLAR, archive, "FORBIDDEN").await;
    let money = money_of(&app, &district, "sc-school-001").await;
    assert_eq!(money["stage"], "ACCEPTED");
    assert_eq!(money["funding"]["ceiling"], "175000.00");
    assert_eq!(money["funding"]["totals"]["committed"], "20000.00");
    assert_eq!(money["funding"]["totals"]["disbursed"], "0.00");
    assert_eq!(money["grants"].as_array().unwrap().len(), 1);
    let seen = plan_of(&app, &district, "sc-school-001").await;
    assert_eq!(seen["history"].as_array().unwrap().len(), 4);
    assert_eq!(seen["mission"], "Every learner known");

    // Another school's plan is out of sight and out of reach.
    assert!(plan_of(&app, &principal, "sc-school-002").await.is_null());
    let d = ok(&app, &principal, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": plan2 })).await;
    assert!(d["node"].is_null());
    let d = ok(&app, &principal, "{ redesignPlans { nodes { schoolSourcedId } } }", json!({})).await;
    assert_eq!(d["redesignPlans"]["nodes"], json!([{ "schoolSourcedId": "sc-school-001" }]));
    let p =
        payload(&app, &principal, UPDATE_PLAN, json!({ "planId": plan2, "mission": "Hijacked" }), "updateRedesignPlan")
            .await;
    assert_user_error(&p, "NOT_FOUND", "input");
    let input = json!({ "planId": plan2, "title": "Theirs", "pillarIds": [pillars[0]] });
    assert_user_error(&payload(&app, &principal, CREATE_GOAL, input, "createRedesignGoal").await, "NOT_FOUND", "input");
    let input = json!({ "schoolSourcedId": "sc-school-002", "cohortYear": 2030, "application": "For them" });
    assert_user_error(&payload(&app, &principal, APPLY, input, "applyForRedesign").await, "NOT_FOUND", "input");
    let theirs = ok(
        &app,
        &district,
        "query($id: ID!) { node(id: $id) { ... on RedesignPlan { mission goals { id } } } }",
        json!({ "id": plan2 }),
    )
    .await;
    assert_eq!(theirs["node"], json!({ "mission": null, "goals": [] }));

    // A teacher reads the school's plan but can't edit it.
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", WRITE).await;
    assert_eq!(plan_of(&app, &teacher, "sc-school-001").await["mission"], "Every learner known");
    let edit = json!({ "input": { "planId": plan1, "mission": "Mine now" } });
    assert_error(&app, &teacher, UPDATE_PLAN, edit, "FORBIDDEN").await;
    assert_eq!(plan_of(&app, &district, "sc-school-001").await["mission"], "Every learner known");
}

// ---------------------------------------------------------------------------------------------
// Strategic plan and dashboard.

#[tokio::test]
async fn a_strategic_plan_serves_pillars_and_feeds_the_dashboard() {
    let app = spawn_app().await;
    app.seed(3, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    let plan1 = apply(&app, &district, "sc-school-001", 2030).await["id"].clone();
    let plan2 = apply(&app, &district, "sc-school-002", 2030).await["id"].clone();
    apply(&app, &district, "sc-school-003", 2030).await;
    advance(&app, &district, &plan1, "PLANNING").await;
    let pillars = pillar_ids(&app, &district).await;

    // A pillar of another district, and an archived pillar, can't be served.
    entity::org::ActiveModel {
        sourced_id: Set("other-district".into()),
        status: Set(entity::Status::Active),
        date_last_modified: Set(Utc::now()),
        org_type: Set(entity::OrgType::District),
        name: Set("Other District".into()),
        identifier: Set(None),
        parent_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let ambiguous =
        payload(&app, &district, CREATE_PILLAR, json!({ "name": "Elsewhere" }), "createRedesignPillar").await;
    assert_user_error(&ambiguous, "INVALID", "input.districtSourcedId");
    let input = json!({ "districtSourcedId": "other-district", "name": "Elsewhere" });
    let foreign = mutate(&app, &district, CREATE_PILLAR, input, "createRedesignPillar").await["pillar"]["id"].clone();
    let input = json!({ "pillarId": pillars[4], "archived": true });
    mutate(&app, &district, UPDATE_PILLAR, input, "updateRedesignPillar").await;
    for (bad, field) in [
        (json!([pillars[0], foreign]), "input.pillarIds"),
        (json!([pillars[4]]), "input.pillarIds"),
        (json!([]), "input.pillarIds"),
        (json!([plan1]), "input.pillarIds.0"),
    ] {
        let input = json!({ "planId": plan1, "title": "Refused", "pillarIds": bad });
        let p = payload(&app, &district, CREATE_GOAL, input, "createRedesignGoal").await;
        assert_user_error(&p, "INVALID", field);
    }
    let d = ok(
        &app,
        &district,
        "query($id: ID!) { node(id: $id) { ... on RedesignPlan { goals { id } } } }",
        json!({ "id": plan1 }),
    )
    .await;
    assert_eq!(d["node"]["goals"], json!([]), "refused goals leave nothing behind");

    // Goals serve pillars (listed in pillar order), with indicators and milestones.
    let input = json!({ "planId": plan1, "title": "Every learner has a living profile", "owner": "Ms. Abara", "pillarIds": [pillars[2], pillars[0], pillars[2]] });
    let goal = mutate(&app, &district, CREATE_GOAL, input, "createRedesignGoal").await["goal"].clone();
    assert_eq!(names(&goal["pillars"], "name"), ["Learner profiles", "Competency-based progression"]);
    assert_eq!(goal["owner"], "Ms. Abara");
    let input = json!({ "planId": plan1, "title": "Attendance", "pillarIds": [pillars[3]] });
    let goal2 = mutate(&app, &district, CREATE_GOAL, input, "createRedesignGoal").await["goal"].clone();

    let indicator = |goal: &Value, name: &str, baseline: f64, target: f64| json!({ "goalId": goal["id"], "name": name, "unit": "%", "baseline": baseline, "baselineOn": "2030-01-01", "target": target, "targetOn": "2031-12-31" });
    let input = indicator(&goal, "Profiles up to date", 20.0, 80.0);
    let rising = mutate(&app, &district, ADD_INDICATOR, input, "addRedesignIndicator").await["indicator"].clone();
    let input = indicator(&goal2, "Chronic absence", 30.0, 10.0);
    let falling = mutate(&app, &district, ADD_INDICATOR, input, "addRedesignIndicator").await["indicator"].clone();
    let mut input = indicator(&goal, "Backwards", 1.0, 2.0);
    input["targetOn"] = json!("2029-12-31");
    let p = payload(&app, &district, ADD_INDICATOR, input, "addRedesignIndicator").await;
    assert_user_error(&p, "INVALID", "input.targetOn");
    let early = json!({ "indicatorId": rising["id"], "measuredOn": "2029-12-31", "value": 50.0 });
    let p = payload(&app, &district, MEASURE, early, "recordIndicatorMeasurement").await;
    assert_user_error(&p, "INVALID", "input.measuredOn");
    // Halfway through, 60% is ahead of the line to 80%: on track. Absence went up: off track.
    for (ind, value) in [(&rising, 40.0), (&falling, 24.0)] {
        let input = json!({ "indicatorId": ind["id"], "measuredOn": "2030-06-30", "value": value });
        mutate(&app, &district, MEASURE, input, "recordIndicatorMeasurement").await;
    }
    for (ind, value) in [(&rising, 60.0), (&falling, 35.0)] {
        let input = json!({ "indicatorId": ind["id"], "measuredOn": "2030-12-31", "value": value, "note": "midyear" });
        mutate(&app, &district, MEASURE, input, "recordIndicatorMeasurement").await;
    }
    // A second value for a date replaces the first.
    let input = json!({ "indicatorId": rising["id"], "measuredOn": "2030-12-31", "value": 61.5 });
    let m = mutate(&app, &district, MEASURE, input, "recordIndicatorMeasurement").await;
    assert_eq!(
        m["indicator"]["measurements"],
        json!([{ "measuredOn": "2030-06-30", "value": 40.0 }, { "measuredOn": "2030-12-31", "value": 61.5 }])
    );

    let milestone =
        |goal: &Value, title: &str, due: &str| json!({ "goalId": goal["id"], "title": title, "dueOn": due });
    mutate(&app, &district, ADD_MILESTONE, milestone(&goal, "Staff trained", "2030-06-01"), "addRedesignMilestone")
        .await;
    let done = mutate(
        &app,
        &district,
        ADD_MILESTONE,
        milestone(&goal, "Template chosen", "2030-03-01"),
        "addRedesignMilestone",
    )
    .await["milestone"]
        .clone();
    mutate(&app, &district, ADD_MILESTONE, milestone(&goal2, "Family survey", "2031-06-01"), "addRedesignMilestone")
        .await;
    let input = json!({ "milestoneId": done["id"], "completedOn": "2030-02-20" });
    let completed = mutate(&app, &district, UPDATE_MILESTONE, input, "updateRedesignMilestone").await;
    assert_eq!(completed["milestone"]["completedOn"], "2030-02-20");

    // Plan 002 has an off-track indicator and an overdue milestone, then is declined: the
    // dashboard leaves its indicators out.
    let input = json!({ "planId": plan2, "title": "Declined goal", "pillarIds": [pillars[1]] });
    let goal3 = mutate(&app, &district, CREATE_GOAL, input, "createRedesignGoal").await["goal"].clone();
    let input = json!({ "goalId": goal3["id"], "name": "Never measured", "baseline": 0.0, "baselineOn": "2030-01-01", "target": 50.0, "targetOn": "2030-06-30" });
    mutate(&app, &district, ADD_INDICATOR, input, "addRedesignIndicator").await;
    advance(&app, &district, &plan2, "PRESENTED").await;
    mutate(&app, &district, MOVE, move_input(&plan2, "DECLINED"), "moveRedesignPlan").await;

    let dashboard = "query($asOf: NaiveDate) { redesignDashboard(asOf: $asOf) { asOf \
        stageCounts { cohortYear stage schools } \
        overdueMilestones { title dueOn overdue(asOf: $asOf) goal { title } } \
        offTrackIndicators { name latest { value } status(asOf: $asOf) goal { plan { schoolSourcedId } } } \
        transition { startedSchools schools } } }";
    let d = ok(&app, &district, dashboard, json!({ "asOf": "2031-01-01" })).await["redesignDashboard"].clone();
    assert_eq!(d["asOf"], "2031-01-01");
    assert_eq!(
        d["stageCounts"],
        json!([
            { "cohortYear": 2030, "stage": "APPLIED", "schools": 1 },
            { "cohortYear": 2030, "stage": "DECLINED", "schools": 1 },
            { "cohortYear": 2030, "stage": "PLANNING", "schools": 1 },
        ])
    );
    assert_eq!(
        d["overdueMilestones"],
        json!([{ "title": "Staff trained", "dueOn": "2030-06-01", "overdue": true, "goal": { "title": "Every learner has a living profile" } }])
    );
    assert_eq!(
        d["offTrackIndicators"],
        json!([{ "name": "Chronic absence", "latest": { "value": 35.0 }, "status": "OFF_TRACK", "goal": { "plan": { "schoolSourcedId": "sc-school-001" } } }])
    );
    assert_eq!(d["transition"], json!({ "startedSchools": 1, "schools": 3 }));
    let q = "query($id: ID!, $asOf: NaiveDate) { node(id: $id) { ... on RedesignIndicator { status(asOf: $asOf) } } }";
    for (ind, as_of, status) in [
        (&rising, "2031-01-01", "ON_TRACK"),
        (&rising, "2030-01-02", "NOT_MEASURED"),
        (&falling, "2030-07-01", "ON_TRACK"),
        (&falling, "2031-01-01", "OFF_TRACK"),
    ] {
        let s = ok(&app, &district, q, json!({ "id": ind["id"], "asOf": as_of })).await;
        assert_eq!(s["node"]["status"], status, "{} as of {as_of}", ind["name"]);
    }

    // Reopening a milestone makes it overdue again (oldest first); before its due date nothing is.
    let input = json!({ "milestoneId": done["id"], "completedOn": null });
    let reopened = mutate(&app, &district, UPDATE_MILESTONE, input, "updateRedesignMilestone").await;
    assert_eq!(reopened["milestone"]["completedOn"], Value::Null);
    let d = ok(&app, &district, dashboard, json!({ "asOf": "2031-01-01" })).await["redesignDashboard"].clone();
    assert_eq!(names(&d["overdueMilestones"], "title"), ["Template chosen", "Staff trained"]);
    let d = ok(&app, &district, dashboard, json!({ "asOf": "2030-02-01" })).await["redesignDashboard"].clone();
    assert_eq!(d["overdueMilestones"], json!([]));

    // Implementing still counts as started; a cohort of its own shows apart.
    advance_from(&app, &district, &plan1, &["IMPLEMENTING"]).await;
    let d = ok(&app, &district, dashboard, json!({ "asOf": "2031-01-01" })).await["redesignDashboard"].clone();
    assert_eq!(d["transition"], json!({ "startedSchools": 1, "schools": 3 }));
    assert_eq!(d["stageCounts"][2], json!({ "cohortYear": 2030, "stage": "IMPLEMENTING", "schools": 1 }));
}

async fn advance_from(app: &TestApp, token: &str, plan: &Value, steps: &[&str]) {
    for to in steps {
        let p = mutate(app, token, MOVE, move_input(plan, to), "moveRedesignPlan").await;
        assert_eq!(p["plan"]["stage"], *to);
    }
}

// ---------------------------------------------------------------------------------------------
// Money.

#[tokio::test]
async fn grants_are_exact_and_stay_within_the_ceiling_and_span() {
    let app = spawn_app().await;
    app.seed(3, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    open_cohort(&app, &district, 2031).await;
    let plan = apply(&app, &district, "sc-school-001", 2030).await["id"].clone();
    let plan2 = apply(&app, &district, "sc-school-002", 2031).await["id"].clone();

    // No money before acceptance.
    let early = award(&app, &district, &plan, "PLANNING", 2030, "25000.00").await;
    assert_user_error(&early, "CONFLICT", "input");
    assert!(early["grant"].is_null());
    advance(&app, &district, &plan, "ACCEPTED").await;
    advance(&app, &district, &plan2, "ACCEPTED").await;

    // Amounts are decimal strings with at most two decimals; anything else is a GraphQL error.
    for bad in [json!(1250.5), json!(1250), json!("1.234"), json!("-5.00"), json!("1e3"), json!("1,000.00"), json!("")]
    {
        let input = json!({ "input": { "planId": plan, "kind": "PLANNING", "fiscalYear": 2030, "amount": bad } });
        let body = app.gql(&district, AWARD, input).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad} accepted: {body}");
        assert!(body["data"].is_null(), "{body}");
    }
    let literal = format!(
        "mutation {{ awardRedesignGrant(input: {{ planId: {plan}, kind: PLANNING, fiscalYear: 2030, amount: 99.5 }}) {{ grant {{ id }} }} }}"
    );
    let body = app.gql(&district, &literal, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(money_of(&app, &district, "sc-school-001").await["grants"], json!([]));

    // The span: 5 years from the cohort year by default; the district sets 3 to 5.
    let m = money_of(&app, &district, "sc-school-001").await;
    assert_eq!(m["funding"]["ceiling"], "175000.00");
    assert_eq!(
        (m["funding"]["firstFiscalYear"].clone(), m["funding"]["lastFiscalYear"].clone()),
        (json!(2030), json!(2034))
    );
    for span in [2, 6] {
        let p =
            payload(&app, &district, SET_FUNDING, json!({ "planId": plan, "spanYears": span }), "setRedesignFunding")
                .await;
        assert_user_error(&p, "INVALID", "input.spanYears");
    }
    let p = mutate(&app, &district, SET_FUNDING, json!({ "planId": plan, "spanYears": 4 }), "setRedesignFunding").await;
    assert_eq!(
        p["plan"]["funding"],
        json!({ "ceiling": "175000.00", "firstFiscalYear": 2030, "lastFiscalYear": 2033, "spanYears": 4 })
    );
    for fy in [2029, 2034] {
        let p = award(&app, &district, &plan, "IMPLEMENTATION", fy, "1000.00").await;
        assert_user_error(&p, "INVALID", "input.fiscalYear");
    }
    let zero = award(&app, &district, &plan, "IMPLEMENTATION", 2031, "0.00").await;
    assert_user_error(&zero, "INVALID", "input.amount");

    // Grants: one planning grant, implementation funds by year, all within the ceiling.
    let planning = award(&app, &district, &plan, "PLANNING", 2030, "25000.5").await;
    assert_eq!(planning["userErrors"], json!([]), "{planning}");
    let planning = planning["grant"].clone();
    assert_eq!(planning["amount"], "25000.50");
    assert_eq!(planning["kind"], "PLANNING");
    assert_eq!(planning["remaining"], "25000.50");
    assert_eq!(planning["awardedBy"]["kind"], "client");
    let twice = award(&app, &district, &plan, "PLANNING", 2031, "1000.00").await;
    assert_user_error(&twice, "CONFLICT", "input");
    let y2031 = award(&app, &district, &plan, "IMPLEMENTATION", 2031, "100000").await;
    assert_eq!(y2031["grant"]["amount"], "100000.00", "{y2031}");
    let y2031 = y2031["grant"].clone();
    let over = award(&app, &district, &plan, "IMPLEMENTATION", 2032, "50000.00").await;
    assert_user_error(&over, "INVALID", "input.amount");
    let m = money_of(&app, &district, "sc-school-001").await;
    assert_eq!(m["grants"].as_array().unwrap().len(), 2, "a refused grant writes nothing");
    assert_eq!(m["funding"]["totals"]["committed"], "125000.50");
    let exact = award(&app, &district, &plan, "IMPLEMENTATION", 2032, "49999.50").await;
    assert_eq!(exact["userErrors"], json!([]), "up to the ceiling exactly is fine: {exact}");
    let cent = award(&app, &district, &plan, "IMPLEMENTATION", 2033, "0.01").await;
    assert_user_error(&cent, "INVALID", "input.amount");
    let lower = json!({ "planId": plan, "ceiling": "150000.00" });
    assert_user_error(
        &payload(&app, &district, SET_FUNDING, lower, "setRedesignFunding").await,
        "INVALID",
        "input.ceiling",
    );
    let later = json!({ "planId": plan, "firstFiscalYear": 2031 });
    let p = payload(&app, &district, SET_FUNDING, later, "setRedesignFunding").await;
    assert_user_error(&p, "INVALID", "input.spanYears");

    // Disbursements: within the grant, within the span, not before the grant's year.
    let d = disburse(&app, &district, &planning["id"], 2030, "10000.25").await;
    assert_eq!(d["userErrors"], json!([]), "{d}");
    assert_eq!(d["disbursement"]["amount"], "10000.25");
    assert_eq!(d["grant"]["remaining"], "15000.25");
    let too_much = disburse(&app, &district, &planning["id"], 2030, "15000.26").await;
    assert_user_error(&too_much, "INVALID", "input.amount");
    assert!(too_much["disbursement"].is_null());
    let rest = disburse(&app, &district, &planning["id"], 2030, "15000.25").await;
    assert_eq!(rest["grant"]["remaining"], "0.00", "{rest}");
    assert_eq!(rest["grant"]["disbursed"], "25000.50");
    let before = disburse(&app, &district, &y2031["id"], 2030, "100.00").await;
    assert_user_error(&before, "INVALID", "input.fiscalYear");
    let outside = disburse(&app, &district, &y2031["id"], 2034, "100.00").await;
    assert_user_error(&outside, "INVALID", "input.fiscalYear");
    let d = disburse(&app, &district, &y2031["id"], 2031, "40000").await;
    assert_eq!(d["grant"]["remaining"], "60000.00", "{d}");

    // School 002, another cohort.
    let g2 = award(&app, &district, &plan2, "IMPLEMENTATION", 2031, "20000.00").await["grant"].clone();
    let d = disburse(&app, &district, &g2["id"], 2032, "5000.00").await;
    assert_eq!(d["userErrors"], json!([]), "{d}");

    // Totals: per school, per cohort, district-wide; exact to the cent.
    let school1 = json!({
        "ceiling": "175000.00",
        "committed": "175000.00",
        "disbursed": "65000.50",
        "remaining": "109999.50",
        "uncommitted": "0.00",
        "byFiscalYear": [
            { "fiscalYear": 2030, "committed": "25000.50", "disbursed": "25000.50", "remaining": "0.00" },
            { "fiscalYear": 2031, "committed": "100000.00", "disbursed": "40000.00", "remaining": "60000.00" },
            { "fiscalYear": 2032, "committed": "49999.50", "disbursed": "0.00", "remaining": "109999.50" },
        ],
    });
    let school2 = json!({
        "ceiling": "175000.00",
        "committed": "20000.00",
        "disbursed": "5000.00",
        "remaining": "15000.00",
        "uncommitted": "155000.00",
        "byFiscalYear": [
            { "fiscalYear": 2031, "committed": "20000.00", "disbursed": "0.00", "remaining": "20000.00" },
            { "fiscalYear": 2032, "committed": "0.00", "disbursed": "5000.00", "remaining": "15000.00" },
        ],
    });
    assert_eq!(funding(&app, &district, None, Some("sc-school-001")).await, school1);
    assert_eq!(money_of(&app, &district, "sc-school-001").await["funding"]["totals"], school1);
    assert_eq!(funding(&app, &district, None, Some("sc-school-002")).await, school2);
    assert_eq!(funding(&app, &district, Some(2030), None).await, school1);
    assert_eq!(funding(&app, &district, Some(2031), None).await, school2);
    assert_eq!(
        funding(&app, &district, None, None).await,
        json!({
            "ceiling": "350000.00",
            "committed": "195000.00",
            "disbursed": "70000.50",
            "remaining": "124999.50",
            "uncommitted": "155000.00",
            "byFiscalYear": [
                { "fiscalYear": 2030, "committed": "25000.50", "disbursed": "25000.50", "remaining": "0.00" },
                { "fiscalYear": 2031, "committed": "120000.00", "disbursed": "40000.00", "remaining": "80000.00" },
                { "fiscalYear": 2032, "committed": "49999.50", "disbursed": "5000.00", "remaining": "124999.50" },
            ],
        })
    );
    let none = json!({ "ceiling": "0.00", "committed": "0.00", "disbursed": "0.00", "remaining": "0.00", "uncommitted": "0.00", "byFiscalYear": [] });
    assert_eq!(funding(&app, &district, None, Some("sc-school-003")).await, none);
    assert_eq!(funding(&app, &district, Some(2040), None).await, none);
    assert_eq!(funding(&app, &district, Some(2031), Some("sc-school-001")).await, none);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_money_never_breaks_the_ceiling() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    let plan = apply(&app, &district, "sc-school-001", 2030).await["id"].clone();
    let plan2 = apply(&app, &district, "sc-school-002", 2030).await["id"].clone();
    for p in [&plan, &plan2] {
        advance(&app, &district, p, "ACCEPTED").await;
        let input = json!({ "planId": p, "ceiling": "100000.00" });
        mutate(&app, &district, SET_FUNDING, input, "setRedesignFunding").await;
    }
    let grant = award(&app, &district, &plan, "IMPLEMENTATION", 2030, "100000.00").await["grant"]["id"].clone();
    assert!(grant.is_string());

    // Six disbursements of 60,000 at once from a 100,000 grant under a 100,000 ceiling.
    let input = |fy: i32| json!({ "input": { "grantId": grant, "fiscalYear": fy, "amount": "60000.00", "disbursedOn": "2030-09-01" } });
    let bodies = race(&app, &district, DISBURSE, (0..6).map(|i| input(2030 + i % 2)).collect()).await;
    let (won, lost): (Vec<&Value>, Vec<&Value>) =
        bodies.iter().map(|b| &b["data"]["recordGrantDisbursement"]).partition(|p| p["userErrors"] == json!([]));
    assert_eq!(won.len(), 1, "exactly one disbursement goes through: {bodies:?}");
    assert_eq!(won[0]["grant"]["disbursed"], "60000.00");
    for p in &lost {
        assert_user_error(p, "INVALID", "input.amount");
        assert!(p["disbursement"].is_null());
    }
    let m = money_of(&app, &district, "sc-school-001").await;
    assert_eq!(m["grants"][0]["disbursed"], "60000.00");
    assert_eq!(m["grants"][0]["remaining"], "40000.00");
    assert_eq!(m["grants"][0]["disbursements"].as_array().unwrap().len(), 1);
    assert_eq!(m["funding"]["totals"]["disbursed"], "60000.00");
    assert_eq!(funding(&app, &district, None, None).await["disbursed"], "60000.00");

    // Four grants of 60,000 at once under the other school's 100,000 ceiling.
    let input = |fy: i32| json!({ "input": { "planId": plan2, "kind": "IMPLEMENTATION", "fiscalYear": fy, "amount": "60000.00" } });
    let bodies = race(&app, &district, AWARD, (0..4).map(|i| input(2030 + i)).collect()).await;
    let won = bodies.iter().filter(|b| b["data"]["awardRedesignGrant"]["userErrors"] == json!([])).count();
    assert_eq!(won, 1, "exactly one grant fits: {bodies:?}");
    for b in bodies.iter().filter(|b| b["data"]["awardRedesignGrant"]["userErrors"] != json!([])) {
        assert_user_error(&b["data"]["awardRedesignGrant"], "INVALID", "input.amount");
    }
    let m = money_of(&app, &district, "sc-school-002").await;
    assert_eq!(m["grants"].as_array().unwrap().len(), 1);
    assert_eq!(m["funding"]["totals"]["committed"], "60000.00");
}

/// Sends the requests all at once and returns their bodies (each asserted HTTP 200 and free of
/// GraphQL errors), in the order given.
async fn race(app: &TestApp, token: &str, query: &str, vars: Vec<Value>) -> Vec<Value> {
    let handles: Vec<_> = vars
        .into_iter()
        .map(|v| {
            let req =
                app.http.post(app.url("/graphql")).bearer_auth(token).json(&json!({ "query": query, "variables": v }));
            tokio::spawn(async move {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        let body = h.await.unwrap();
        assert!(body.get("errors").is_none(), "a racing request failed: {body}");
        out.push(body);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tenant isolation.

#[tokio::test]
async fn a_tool_of_one_school_sees_nothing_of_another_schools_redesign() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    let pillars = pillar_ids(&app, &district).await;
    let mut ids = Vec::new();
    for (school, amount) in [("sc-school-001", "30000.00"), ("sc-school-002", "12000.00")] {
        let plan = apply(&app, &district, school, 2030).await["id"].clone();
        advance(&app, &district, &plan, "ACCEPTED").await;
        let grant = award(&app, &district, &plan, "PLANNING", 2030, amount).await["grant"]["id"].clone();
        disburse(&app, &district, &grant, 2030, "1000.00").await;
        let input = json!({ "planId": plan, "title": format!("Goal of {school}"), "pillarIds": [pillars[0]] });
        let goal = mutate(&app, &district, CREATE_GOAL, input, "createRedesignGoal").await["goal"]["id"].clone();
        let input = json!({ "goalId": goal, "title": format!("Milestone of {school}"), "dueOn": "2030-03-01" });
        let ms = mutate(&app, &district, ADD_MILESTONE, input, "addRedesignMilestone").await["milestone"]["id"].clone();
        ids.push((plan, grant, goal, ms));
    }
    let (plan1, grant1, goal1, ms1) = ids[0].clone();

    let reader = app.token("redesign.read", &["sc-school-002"]).await;
    let d = ok(&app, &reader, "{ redesignPlans { nodes { schoolSourcedId } } }", json!({})).await;
    assert_eq!(d["redesignPlans"]["nodes"], json!([{ "schoolSourcedId": "sc-school-002" }]));
    let d =
        ok(&app, &reader, "{ redesignPlans(schoolSourcedId: \"sc-school-001\") { nodes { id } } }", json!({})).await;
    assert_eq!(d["redesignPlans"]["nodes"], json!([]));
    assert!(plan_of(&app, &reader, "sc-school-001").await.is_null());
    assert_eq!(plan_of(&app, &reader, "sc-school-002").await["schoolSourcedId"], "sc-school-002");
    for id in [&plan1, &grant1, &goal1, &ms1] {
        let d = ok(&app, &reader, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(d["node"].is_null(), "{id} leaked: {d}");
        let d = ok(&app, &district, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(d["node"]["id"], *id, "the district sees {id}");
    }
    let d =
        ok(&app, &reader, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": [plan1, ids[1].0] })).await;
    assert_eq!(d["nodes"], json!([null, { "id": ids[1].0 }]));

    // Money: only its own school's, however it asks.
    let own = json!({
        "ceiling": "175000.00",
        "committed": "12000.00",
        "disbursed": "1000.00",
        "remaining": "11000.00",
        "uncommitted": "163000.00",
        "byFiscalYear": [{ "fiscalYear": 2030, "committed": "12000.00", "disbursed": "1000.00", "remaining": "11000.00" }],
    });
    assert_eq!(funding(&app, &reader, None, None).await, own);
    assert_eq!(funding(&app, &reader, Some(2030), None).await, own);
    assert_eq!(funding(&app, &reader, None, Some("sc-school-002")).await, own);
    let none = funding(&app, &reader, None, Some("sc-school-001")).await;
    assert_eq!((none["committed"].clone(), none["byFiscalYear"].clone()), (json!("0.00"), json!([])));
    assert_eq!(funding(&app, &district, None, None).await["committed"], "42000.00");

    // The dashboard counts only what it may see.
    let q = "{ redesignDashboard(asOf: \"2031-01-01\") { stageCounts { cohortYear stage schools } overdueMilestones { title } transition { startedSchools schools } } }";
    let d = ok(&app, &reader, q, json!({})).await["redesignDashboard"].clone();
    assert_eq!(d["stageCounts"], json!([{ "cohortYear": 2030, "stage": "ACCEPTED", "schools": 1 }]));
    assert_eq!(d["overdueMilestones"], json!([{ "title": "Milestone of sc-school-002" }]));
    assert_eq!(d["transition"], json!({ "startedSchools": 1, "schools": 1 }));
    let d = ok(&app, &district, q, json!({})).await["redesignDashboard"].clone();
    assert_eq!(d["stageCounts"], json!([{ "cohortYear": 2030, "stage": "ACCEPTED", "schools": 2 }]));
    assert_eq!(d["transition"], json!({ "startedSchools": 2, "schools": 2 }));

    // Writes by a school-002 writer never reach school 001's records.
    let writer = app.token(WRITE, &["sc-school-002"]).await;
    let p =
        payload(&app, &writer, UPDATE_PLAN, json!({ "planId": plan1, "mission": "Ours" }), "updateRedesignPlan").await;
    assert_user_error(&p, "NOT_FOUND", "input");
    let p =
        payload(&app, &writer, UPDATE_GOAL, json!({ "goalId": goal1, "title": "Ours" }), "updateRedesignGoal").await;
    assert_user_error(&p, "NOT_FOUND", "input");
    let input = json!({ "milestoneId": ms1, "completedOn": "2030-02-01" });
    assert_user_error(
        &payload(&app, &writer, UPDATE_MILESTONE, input, "updateRedesignMilestone").await,
        "NOT_FOUND",
        "input",
    );
    let p = ok(
        &app,
        &writer,
        "mutation($id: ID!) { deleteRedesignGoal(goalId: $id) { deletedId userErrors { code } } }",
        json!({ "id": goal1 }),
    )
    .await;
    assert_eq!(p["deleteRedesignGoal"], json!({ "deletedId": null, "userErrors": [{ "code": "NOT_FOUND" }] }));
    let d = ok(
        &app,
        &district,
        "query($id: ID!) { node(id: $id) { ... on RedesignGoal { title milestones { completedOn } } } }",
        json!({ "id": goal1 }),
    )
    .await;
    assert_eq!(d["node"], json!({ "title": "Goal of sc-school-001", "milestones": [{ "completedOn": null }] }));
    assert_eq!(plan_of(&app, &district, "sc-school-001").await["mission"], Value::Null);

    // Without redesign.read, nothing.
    let roster = app.token("roster.read", &[]).await;
    assert_error(&app, &roster, "{ redesignPlans { nodes { id } } }", json!({}), "FORBIDDEN").await;
    assert_error(&app, &roster, "{ redesignFunding { committed } }", json!({}), "FORBIDDEN").await;
}

// ---------------------------------------------------------------------------------------------
// Reading cost.

/// A page of plans with everything under them costs the same number of SQL statements for one
/// plan as for four: every child field is batched.
#[tokio::test]
async fn a_page_of_plans_with_their_children_takes_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    app.seed(4, 2).await;
    let admin = app.token("redesign.read redesign.write", &[]).await;
    let year = chrono::Datelike::year(&today());
    open_cohort(&app, &admin, year).await;
    let pillar = pillar_ids(&app, &admin).await[0].clone();
    for school in 1..=4 {
        let plan = apply(&app, &admin, &format!("sc-school-{school:03}"), year).await["id"].clone();
        advance(&app, &admin, &plan, "ACCEPTED").await;
        let d = data(
            app.gql(
                &admin,
                "mutation($plan: ID!, $pillar: ID!, $year: Int!) {
                   g1: createRedesignGoal(input: {planId: $plan, title: \"One\", pillarIds: [$pillar]}) { goal { id } }
                   g2: createRedesignGoal(input: {planId: $plan, title: \"Two\", pillarIds: [$pillar]}) { goal { id } }
                   a: awardRedesignGrant(input: {planId: $plan, kind: PLANNING, fiscalYear: $year, amount: \"25000.00\"}) { grant { id } }
                 }",
                json!({"plan": plan, "pillar": pillar, "year": year}),
            )
            .await,
        );
        for g in ["g1", "g2"] {
            let d = data(
                app.gql(
                    &admin,
                    "mutation($goal: ID!) {
                       i: addRedesignIndicator(input: {goalId: $goal, name: \"Reading\", baseline: 10, baselineOn: \"2026-01-01\", target: 80, targetOn: \"2027-01-01\"}) { indicator { id } }
                       m: addRedesignMilestone(input: {goalId: $goal, title: \"Plan written\", dueOn: \"2026-03-01\"}) { milestone { id } }
                     }",
                    json!({"goal": d[g]["goal"]["id"]}),
                )
                .await,
            );
            let m = app
                .gql(
                    &admin,
                    "mutation($i: ID!) { recordIndicatorMeasurement(input: {indicatorId: $i, measuredOn: \"2026-06-01\", value: 30}) { userErrors { message } } }",
                    json!({"i": d["i"]["indicator"]["id"]}),
                )
                .await;
            assert_eq!(data(m)["recordIndicatorMeasurement"]["userErrors"], json!([]));
        }
        let pay = app
            .gql(
                &admin,
                "mutation($g: ID!, $year: Int!) { recordGrantDisbursement(input: {grantId: $g, fiscalYear: $year, amount: \"5000.00\", disbursedOn: \"2026-10-01\"}) { userErrors { message } } }",
                json!({"g": d["a"]["grant"]["id"], "year": year}),
            )
            .await;
        assert_eq!(data(pay)["recordGrantDisbursement"]["userErrors"], json!([]));
    }
    let doc = "query($n: Int!) { redesignPlans(first: $n) { edges { node {
        schoolName cohort { year } stage history { to actor { kind } }
        goals { title pillars { name } indicators { name status(asOf: \"2026-07-01\") measurements { value } latest { value } } milestones { title overdue } }
        grants { kind amount disbursed remaining disbursements { amount } }
        funding { ceiling totals { committed disbursed byFiscalYear { fiscalYear committed } } }
    } } } }";
    let mut costs = Vec::new();
    for n in [1, 4] {
        let (cost, body) = app.gql_counted(&admin, doc, json!({"n": n})).await;
        let d = data(body);
        costs.push(cost);
        let edges = d["redesignPlans"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n as usize);
        let last = &edges[n as usize - 1]["node"];
        assert_eq!(last["goals"].as_array().unwrap().len(), 2);
        assert_eq!(last["goals"][1]["indicators"][0]["measurements"][0]["value"], 30.0);
        assert_eq!(last["grants"][0]["disbursed"], "5000.00");
        assert_eq!(last["funding"]["totals"]["disbursed"], "5000.00");
        assert_eq!(last["history"].as_array().unwrap().len(), 4);
    }
    // Two fields reading the same loader (grants and funding) may land in one batch or two,
    // depending on timing: a difference of one or two, never one per row.
    assert!((costs[1] - costs[0]).abs() <= 2.0, "statements must not grow with the page: {costs:?}");
    assert!(costs.iter().all(|c| *c <= 15.0), "a page of plans with every child took {costs:?} statements");

    // The dashboard's lists reach their goals and plans in batches too (one list per request:
    // two fields sharing a loader may batch together or apart depending on timing).
    let doc = "query($n: Int!) { redesignDashboard(asOf: \"2100-01-01\") {
        overdueMilestones(first: $n) { title goal { title plan { schoolName cohort { year } } } }
    } }";
    let mut costs = Vec::new();
    for n in [1, 8] {
        let (cost, body) = app.gql_counted(&admin, doc, json!({"n": n})).await;
        let d = data(body);
        costs.push(cost);
        let list = d["redesignDashboard"]["overdueMilestones"].as_array().unwrap().clone();
        assert_eq!(list.len(), n as usize);
        assert!(list.iter().all(|m| m["goal"]["plan"]["schoolName"].is_string()));
    }
    assert_eq!(costs[0], costs[1], "overdue milestones: statements must not grow with the list: {costs:?}");
    let (cost, body) = app
        .gql_counted(
            &admin,
            "{ redesignDashboard(asOf: \"2100-01-01\") { offTrackIndicators { name latest { value } goal { plan { schoolName } } } } }",
            json!({}),
        )
        .await;
    let d = data(body);
    assert_eq!(d["redesignDashboard"]["offTrackIndicators"].as_array().unwrap().len(), 8);
    assert!(cost <= 8.0, "8 off-track indicators with their goals and plans took {cost} statements");
    let d = data(app.gql(&admin, "{ redesignDashboard { transition { startedSchools schools } } }", json!({})).await);
    assert_eq!(d["redesignDashboard"]["transition"], json!({"startedSchools": 4, "schools": 4}));
}

/// The ceiling is the school's: a plan declined after it got money doesn't hand the school a
/// fresh ceiling when it reapplies. And each write of a document shows its own result.
#[tokio::test]
async fn the_ceiling_is_the_schools_across_its_plans_and_each_write_shows_its_own_result() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 2).await;
    let district = app.token(WRITE, &[]).await;
    open_cohort(&app, &district, 2030).await;
    open_cohort(&app, &district, 2031).await;
    let first = apply(&app, &district, "sc-school-001", 2030).await["id"].clone();
    advance(&app, &district, &first, "ACCEPTED").await;
    mutate(&app, &district, SET_FUNDING, json!({ "planId": first, "ceiling": "100000.00" }), "setRedesignFunding")
        .await;
    let grant = award(&app, &district, &first, "PLANNING", 2030, "80000.00").await;
    assert_eq!(grant["userErrors"], json!([]), "{grant}");
    let grant = grant["grant"]["id"].clone();

    // Two payments in one document: each payload shows the grant as its own write left it.
    let two = ok(
        &app,
        &district,
        "mutation($g: ID!) {
           a: recordGrantDisbursement(input: {grantId: $g, fiscalYear: 2030, amount: \"1000.00\", disbursedOn: \"2030-09-01\"}) { grant { disbursed remaining } }
           b: recordGrantDisbursement(input: {grantId: $g, fiscalYear: 2030, amount: \"2000.00\", disbursedOn: \"2030-09-02\"}) { grant { disbursed remaining } }
         }",
        json!({ "g": grant }),
    )
    .await;
    assert_eq!(two["a"]["grant"], json!({ "disbursed": "1000.00", "remaining": "79000.00" }));
    assert_eq!(two["b"]["grant"], json!({ "disbursed": "3000.00", "remaining": "77000.00" }));

    // The district administrator sends the plan back and declines it; the school reapplies.
    let admin = app.dev_sign_in("sc-admin-district", WRITE).await;
    let back = json!({ "planId": first, "to": "PRESENTED", "note": "Staffing changed" });
    mutate(&app, &admin, MOVE, back, "moveRedesignPlan").await;
    mutate(&app, &admin, MOVE, move_input(&first, "DECLINED"), "moveRedesignPlan").await;
    let second = apply(&app, &district, "sc-school-001", 2031).await["id"].clone();
    advance(&app, &district, &second, "ACCEPTED").await;
    mutate(&app, &district, SET_FUNDING, json!({ "planId": second, "ceiling": "100000.00" }), "setRedesignFunding")
        .await;
    let over = award(&app, &district, &second, "PLANNING", 2031, "30000.00").await;
    assert_user_error(&over, "INVALID", "input.amount");
    assert!(over["grant"].is_null());
    let within = award(&app, &district, &second, "PLANNING", 2031, "20000.00").await;
    assert_eq!(within["userErrors"], json!([]), "{within}");
    let lower =
        payload(&app, &district, SET_FUNDING, json!({ "planId": second, "ceiling": "90000.00" }), "setRedesignFunding")
            .await;
    assert_user_error(&lower, "INVALID", "input.ceiling");
    let school = funding(&app, &district, None, Some("sc-school-001")).await;
    assert_eq!(school["committed"], "100000.00");
    assert_eq!(school["disbursed"], "3000.00");
    assert_eq!(school["ceiling"], "200000.00", "both plans held money, so both ceilings count: {school}");

    // Dates far outside a plan's life are refused, not stored.
    let far = json!({ "year": 2032, "targetSize": 5, "applicationOpensOn": "2031-09-01", "applicationClosesOn": "2999-01-01" });
    let bad = payload(&app, &district, CREATE_COHORT, far, "createRedesignCohort").await;
    assert_user_error(&bad, "INVALID", "input.applicationClosesOn");
    let cohorts = ok(&app, &district, "{ redesignCohorts { year } }", json!({})).await;
    assert_eq!(cohorts["redesignCohorts"], json!([{ "year": 2030 }, { "year": 2031 }]));
}
