//! "What I Need" sessions through HTTP: offerings, choices until the deadline, teacher review,
//! placement honouring capacity, requirements, preferences and need, adjustments,
//! attendance, history and the school summary; and who may do each.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::{
    authz_matrix::CASE_PACKAGE,
    progress::{post, row, the_user_error},
    support::{self, TestApp, error_code, held, spawn_app, spawn_app_with},
};

/// WIN's paged lists, read as plain lists of their nodes (the tests ask for pages large enough
/// for every row, and check paging itself separately).
const PAGED: &[&str] = &["placements", "preferences", "choiceReview", "notChosen"];

/// The response's data, with WIN's connections read as lists of their nodes.
fn data(body: Value) -> Value {
    fn flat(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let v = match (PAGED.contains(&k.as_str()), v) {
                            (true, Value::Object(c)) if c.contains_key("edges") => Value::Array(
                                c["edges"].as_array().into_iter().flatten().map(|e| flat(e["node"].clone())).collect(),
                            ),
                            (_, v) => flat(v),
                        };
                        (k, v)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(flat).collect()),
            v => v,
        }
    }
    flat(support::data(body))
}

pub const WIN: &str = "roster.read progress.read progress.write win.read win.write";

async fn learners_of(app: &TestApp, token: &str, school: &str) -> Vec<String> {
    let d = data(
        app.gql(
            token,
            "query($s: String!) { school(sourcedId: $s) { learners(first: 100) { edges { node { sourcedId } } } } }",
            json!({"s": school}),
        )
        .await,
    );
    d["school"]["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned())
        .collect()
}

const BLOCK: &str = "mutation($s: String!, $d: NaiveDate!, $c: DateTime, $m: Int) { createWinBlock(input: {schoolSourcedId: $s, date: $d, choicesCloseAt: $c, maxChoices: $m}) { block { id choicesOpen maxChoices } userErrors { field code message } } }";
const SESSION: &str = "mutation($b: ID!, $t: String!, $mode: WinMode!, $cap: Int, $f: [String!]!, $inv: [String!]) { createWinSession(input: {blockId: $b, title: $t, subject: \"Math\", mode: $mode, room: \"101\", capacity: $cap, focusCompetencyIds: $f, invitedLearnerSourcedIds: $inv}) { session { id capacity inviteOnly focusCompetencies { code } } userErrors { field code message } } }";
const CHOOSE: &str = "mutation($b: ID!, $l: String!, $s: [ID!]!) { submitWinChoices(input: {blockId: $b, learnerSourcedId: $l, sessionIds: $s}) { preferences { rank session { title } } userErrors { field code message } } }";
const RUN: &str = "mutation($b: ID!) { runWinPlacement(input: {blockId: $b}) { students placed unplaced { sourcedId } choiceShares { first second third } userErrors { field code message } } }";
const PLACEMENTS: &str = "query($b: ID!) { node(id: $b) { ... on WinBlock { sessions { title capacity seatsTaken } placements(first: 100) { edges { node { learner { sourcedId } session { title } source choiceRank explanation attendance } } } } } }";

async fn block(app: &TestApp, token: &str, date: chrono::NaiveDate, close: chrono::DateTime<Utc>) -> Value {
    let d = data(app.gql(token, BLOCK, json!({"s": "sc-school-001", "d": date, "c": close, "m": 2})).await);
    assert_eq!(d["createWinBlock"]["userErrors"], json!([]), "{d}");
    d["createWinBlock"]["block"]["id"].clone()
}

#[allow(clippy::too_many_arguments)]
async fn session(
    app: &TestApp,
    token: &str,
    b: &Value,
    title: &str,
    mode: &str,
    cap: Option<i64>,
    focus: &[&str],
    invited: Option<Vec<&str>>,
) -> Value {
    let d = data(
        app.gql(token, SESSION, json!({"b": b, "t": title, "mode": mode, "cap": cap, "f": focus, "inv": invited}))
            .await,
    );
    assert_eq!(d["createWinSession"]["userErrors"], json!([]), "{d}");
    d["createWinSession"]["session"]["id"].clone()
}

/// A learner's choices in a block, as an administrator reads them back.
async fn preferences_of(app: &TestApp, token: &str, b: &Value, learner: &str) -> Value {
    let d = data(
        app.gql(
            token,
            "query($b: ID!) { node(id: $b) { ... on WinBlock { preferences(first: 100) { edges { node { learner { sourcedId } rank session { title } } } } } } }",
            json!({"b": b}),
        )
        .await,
    );
    Value::Array(
        d["node"]["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["learner"]["sourcedId"] == learner)
            .cloned()
            .collect(),
    )
}

/// Today's date at the block's school (in its time zone).
async fn school_today(app: &TestApp, token: &str, b: &Value) -> chrono::NaiveDate {
    let d =
        data(app.gql(token, "query($b: ID!) { node(id: $b) { ... on WinBlock { timeZone } } }", json!({"b": b})).await);
    let tz: chrono_tz::Tz = d["node"]["timeZone"].as_str().unwrap().parse().unwrap();
    Utc::now().with_timezone(&tz).date_naive()
}

fn placement_of<'a>(d: &'a Value, learner: &str) -> &'a Value {
    d["node"]["placements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["learner"]["sourcedId"] == learner)
        .unwrap_or_else(|| panic!("{learner} not placed: {d}"))
}

#[tokio::test]
async fn a_block_runs_from_offerings_through_choices_review_placement_and_attendance() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(2, 12).await;
    let admin = app.token(WIN, &[]).await;
    let imported = data(
        app.gql(
            &admin,
            "mutation($p: String!) { importCaseFramework(input: {package: $p}) { created } }",
            json!({"p": CASE_PACKAGE}),
        )
        .await,
    );
    assert_eq!(imported["importCaseFramework"]["created"], 3);
    let s = learners_of(&app, &admin, "sc-school-001").await;
    assert_eq!(s.len(), 12);
    let today = Utc::now().date_naive();
    let b = block(&app, &admin, today + Duration::days(14), Utc::now() + Duration::days(7)).await;

    // Offerings: capacity rules, invitations.
    let bad = data(
        app.gql(&admin, SESSION, json!({"b": b, "t": "One", "mode": "ONE_ON_ONE", "cap": 3, "f": [], "inv": null}))
            .await,
    );
    assert_eq!(the_user_error(&bad["createWinSession"]), (json!(["input", "capacity"]), "INVALID"), "{bad}");
    assert_eq!(bad["createWinSession"]["session"], Value::Null, "{bad}");
    let bad = data(
        app.gql(
            &admin,
            SESSION,
            json!({"b": b, "t": "X", "mode": "SMALL_GROUP", "cap": 2, "f": ["nope"], "inv": null}),
        )
        .await,
    );
    assert_eq!(
        the_user_error(&bad["createWinSession"]),
        (json!(["input", "focusCompetencyIds", "0"]), "NOT_FOUND"),
        "{bad}"
    );
    assert_eq!(bad["createWinSession"]["session"], Value::Null, "{bad}");
    let ratios = session(&app, &admin, &b, "Ratios help", "SMALL_GROUP", Some(2), &["c-rp-1"], None).await;
    let rates = session(&app, &admin, &b, "Unit rates", "SMALL_GROUP", Some(3), &["c-rp-2"], None).await;
    let lab = session(&app, &admin, &b, "Independent practice", "INDEPENDENT", Some(20), &[], None).await;
    let tutor = session(&app, &admin, &b, "Tutoring", "ONE_ON_ONE", None, &["c-rp-1"], Some(vec![&s[11]])).await;

    // Mastery data: s0 far from ratios, s1 has them, s2 half way.
    post(
        &app,
        &admin,
        json!([
            row("w0", &s[0], 1.0, "2026-01-01T10:00:00Z"),
            row("w1", &s[1], 10.0, "2026-01-01T10:00:00Z"),
            row("w2", &s[2], 5.0, "2026-01-01T10:00:00Z")
        ]),
    )
    .await;

    // Choices: all three want the small ratios group first, the lab second.
    for l in &s[..3] {
        let d = data(app.gql(&admin, CHOOSE, json!({"b": b, "l": l, "s": [ratios, lab]})).await);
        assert_eq!(d["submitWinChoices"]["preferences"].as_array().unwrap().len(), 2, "{d}");
    }
    // The invited student asks for the tutoring session, and may.
    let d = data(app.gql(&admin, CHOOSE, json!({"b": b, "l": s[11], "s": [tutor]})).await);
    assert_eq!(d["submitWinChoices"]["preferences"], json!([{"rank": 1, "session": {"title": "Tutoring"}}]), "{d}");
    // Someone not invited may not; nor rank a session twice, nor rank more than maxChoices.
    for (sessions, field, code) in [
        (json!([tutor]), json!(["input", "sessionIds", "0"]), "INVALID"),
        (json!([ratios, ratios]), json!(["input", "sessionIds", "1"]), "INVALID"),
        (json!([ratios, rates, lab]), json!(["input", "sessionIds"]), "INVALID"),
    ] {
        let d = data(app.gql(&admin, CHOOSE, json!({"b": b, "l": s[3], "s": sessions})).await);
        assert_eq!(the_user_error(&d["submitWinChoices"]), (field, code), "{d}");
        assert_eq!(d["submitWinChoices"]["preferences"], json!([]), "{d}");
    }
    assert_eq!(preferences_of(&app, &admin, &b, &s[3]).await, json!([]), "refused choices write nothing");
    // A student chooses for themself, and only for themself.
    let student = app.dev_sign_in(&s[4], "roster.read win.read win.write").await;
    let d = data(app.gql(&student, CHOOSE, json!({"b": b, "l": s[4], "s": [rates]})).await);
    assert_eq!(d["submitWinChoices"]["preferences"][0]["session"]["title"], "Unit rates", "{d}");
    let d = data(app.gql(&student, CHOOSE, json!({"b": b, "l": s[5], "s": [rates]})).await);
    assert_eq!(the_user_error(&d["submitWinChoices"]), (json!(["input", "learnerSourcedId"]), "NOT_FOUND"), "{d}");
    assert_eq!(d["submitWinChoices"]["preferences"], json!([]), "nothing of another student's comes back: {d}");
    // A refused change answers with the choices that still stand.
    let d = data(app.gql(&student, CHOOSE, json!({"b": b, "l": s[4], "s": [tutor]})).await);
    assert_eq!(the_user_error(&d["submitWinChoices"]), (json!(["input", "sessionIds", "0"]), "INVALID"), "{d}");
    assert_eq!(d["submitWinChoices"]["preferences"], json!([{"rank": 1, "session": {"title": "Unit rates"}}]), "{d}");
    let body = app.gql(&student, RUN, json!({"b": b})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let unplaced = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(unplaced["node"]["placements"], json!([]), "a refused run places nobody: {unplaced}");
    let own = data(
        app.gql(
            &student,
            "query($b: ID!) { node(id: $b) { ... on WinBlock { preferences(first: 100) { edges { node { learner { sourcedId } } } } } } }",
            json!({"b": b}),
        )
        .await,
    );
    assert_eq!(
        own["node"]["preferences"],
        json!([{"learner": {"sourcedId": s[4]}}]),
        "a student sees their own choices only: {own}"
    );
    // A signed-in administrator reviews choices but does not make them for a student.
    let principal = app.dev_sign_in("sc-admin-001", "roster.read win.read win.write").await;
    let body = app.gql(&principal, CHOOSE, json!({"b": b, "l": s[5], "s": [rates]})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(preferences_of(&app, &admin, &b, &s[5]).await, json!([]), "nobody chose for s5");
    // A token that may write but not read WIN gets no placements back from a payload.
    let write_only = app.token("win.write", &[]).await;
    let body = app
        .gql(&write_only, "mutation($b: ID!) { createWinSession(input: {blockId: $b, title: \"Peek\", subject: \"Math\", mode: SMALL_GROUP, capacity: 2}) { session { block { preferences { edges { node { learner { sourcedId } } } } } } } }", json!({"b": b}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // The write itself is the token's to make: the session exists, only the read was refused.
    assert_eq!(body["errors"][0]["path"], json!(["createWinSession", "session", "block", "preferences"]), "{body}");
    assert_eq!(body["data"]["createWinSession"]["session"], json!({"block": null}), "{body}");

    // Review: the teacher sees the gaps; s5 is required in rates; s6 redirected needs a note.
    let review = "mutation($b: ID!, $l: String!, $d: WinDecision!, $s: ID!, $n: String) { reviewWinChoice(input: {blockId: $b, learnerSourcedId: $l, decision: $d, sessionId: $s, note: $n}) { review { decision note session { title } } userErrors { field code } } }";
    let d = data(app.gql(&admin, review, json!({"b": b, "l": s[5], "d": "REQUIRED", "s": rates})).await);
    assert_eq!(d["reviewWinChoice"]["review"]["decision"], "REQUIRED", "{d}");
    let d = data(app.gql(&admin, review, json!({"b": b, "l": s[6], "d": "REDIRECTED", "s": lab})).await);
    assert_eq!(the_user_error(&d["reviewWinChoice"]), (json!(["input", "note"]), "INVALID"), "{d}");
    let d = data(
        app.gql(&admin, review, json!({"b": b, "l": s[6], "d": "REDIRECTED", "s": lab, "n": "Finish the lab work"}))
            .await,
    );
    assert_eq!(d["reviewWinChoice"]["review"]["session"]["title"], "Independent practice");
    let d = data(app.gql(&admin, review, json!({"b": b, "l": s[7], "d": "APPROVED", "s": ratios})).await);
    assert_eq!(
        the_user_error(&d["reviewWinChoice"]),
        (json!(["input", "sessionId"]), "INVALID"),
        "approve only a choice: {d}"
    );
    let gaps = data(
        app.gql(&admin, "query($b: ID!) { node(id: $b) { ... on WinBlock { choiceReview(first: 100) { edges { node { learner { sourcedId } choices { rank session { title } gaps { competency { code } value masteredAt } } decision { decision } } } } } } }", json!({"b": b}))
            .await,
    );
    let rows = gaps["node"]["choiceReview"].as_array().unwrap();
    let of = |l: &str| rows.iter().find(|r| r["learner"]["sourcedId"] == l).unwrap().clone();
    assert_eq!(of(&s[0])["choices"][0]["gaps"][0]["competency"]["code"], "MATH.6.RP.1");
    assert_eq!(of(&s[0])["choices"][0]["gaps"][0]["value"], 0.1);
    assert_eq!(of(&s[1])["choices"][0]["gaps"], json!([]), "no gap where the student is proficient");
    assert_eq!(of(&s[5])["decision"]["decision"], "REQUIRED");

    // Placement.
    let d = data(app.gql(&admin, RUN, json!({"b": b})).await);
    let run = &d["runWinPlacement"];
    assert_eq!(
        (run["students"].as_i64(), run["placed"].as_i64(), run["unplaced"].clone()),
        (Some(12), Some(12), json!([])),
        "{d}"
    );
    let d = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    // Seats taken are exact, match the placements listed, and stay within capacity.
    let seats: Vec<(&str, i64, i64)> = d["node"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["title"].as_str().unwrap(), s["capacity"].as_i64().unwrap(), s["seatsTaken"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        seats,
        [
            ("Ratios help", 2, 2),
            ("Unit rates", 3, 3),
            ("Independent practice", 20, 6),
            ("Tutoring", 1, 1),
            ("Peek", 2, 0)
        ],
        "{d}"
    );
    for (title, _, taken) in &seats {
        let listed =
            d["node"]["placements"].as_array().unwrap().iter().filter(|p| p["session"]["title"] == *title).count();
        assert_eq!(listed as i64, *taken, "{title}: {d}");
    }
    // The two seats of the ratios group go to the two with the largest gaps.
    assert_eq!(placement_of(&d, &s[0])["session"]["title"], "Ratios help");
    assert_eq!(placement_of(&d, &s[2])["session"]["title"], "Ratios help");
    let s1 = placement_of(&d, &s[1]);
    assert_eq!((s1["session"]["title"].as_str(), s1["choiceRank"].as_i64()), (Some("Independent practice"), Some(2)));
    let why = s1["explanation"].as_str().unwrap();
    assert!(why.contains("2nd choice") && why.contains("1st (Ratios help) was full"), "{why}");
    assert_eq!(placement_of(&d, &s[5])["source"], "REQUIRED");
    assert_eq!(placement_of(&d, &s[5])["session"]["title"], "Unit rates");
    assert_eq!(placement_of(&d, &s[4])["session"]["title"], "Unit rates");
    assert_eq!(placement_of(&d, &s[6])["session"]["title"], "Independent practice");
    // The invited student is in the tutoring session, on their first choice, and nobody else is.
    let tutored: Vec<&Value> = d["node"]["placements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["session"]["title"] == "Tutoring")
        .map(|p| &p["learner"]["sourcedId"])
        .collect();
    assert_eq!(tutored, [&json!(s[11])], "{d}");
    assert_eq!(placement_of(&d, &s[11])["choiceRank"], 1, "{d}");
    // The same input places everyone the same way again.
    data(app.gql(&admin, RUN, json!({"b": b})).await);
    let again = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(again["node"]["placements"], d["node"]["placements"], "placement is deterministic");

    // Adjustments stay within capacity.
    let adjust = "mutation($b: ID!, $l: String!, $s: ID!) { adjustWinPlacement(input: {blockId: $b, learnerSourcedId: $l, sessionId: $s, note: \"swap\"}) { placement { source session { title } } userErrors { field code message } } }";
    let d = data(app.gql(&admin, adjust, json!({"b": b, "l": s[1], "s": ratios})).await);
    assert_eq!(
        the_user_error(&d["adjustWinPlacement"]),
        (json!(["input"]), "CONFLICT"),
        "the ratios group is full: {d}"
    );
    assert_eq!(d["adjustWinPlacement"]["placement"], Value::Null, "{d}");
    let unchanged = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(unchanged["node"], again["node"], "a refused adjustment moves nobody");
    let d = data(app.gql(&admin, adjust, json!({"b": b, "l": s[2], "s": lab})).await);
    assert_eq!(d["adjustWinPlacement"]["placement"]["source"], "ADJUSTED", "{d}");
    let d = data(app.gql(&admin, adjust, json!({"b": b, "l": s[1], "s": ratios})).await);
    assert_eq!(d["adjustWinPlacement"]["placement"]["session"]["title"], "Ratios help", "{d}");

    // A teacher's adjustment survives another run.
    data(app.gql(&admin, RUN, json!({"b": b})).await);
    let d = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(
        (placement_of(&d, &s[1])["session"]["title"].as_str(), placement_of(&d, &s[1])["source"].as_str()),
        (Some("Ratios help"), Some("ADJUSTED")),
        "{d}"
    );
    assert_eq!(placement_of(&d, &s[1])["choiceRank"], 1);

    // Attendance waits for the block's day at the school: nothing is written before it.
    let attend = "mutation($b: ID!, $r: [WinAttendanceRecordInput!]!) { recordWinAttendance(input: {blockId: $b, records: $r}) { placements { attendance outcomeNote } userErrors { field code message } } }";
    let early = json!({"b": b, "r": [{"learnerSourcedId": s[1], "attendance": "PRESENT"}]});
    let d = data(app.gql(&admin, attend, early).await);
    assert_eq!(the_user_error(&d["recordWinAttendance"]), (json!(["input"]), "CONFLICT"), "{d}");
    let d = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert!(placement_of(&d, &s[1])["attendance"].is_null(), "attendance before the day writes nothing: {d}");
    // Fixture: the block was held a week ago (the API never dates a block in the past).
    held(&app, &b, school_today(&app, &admin, &b).await - Duration::days(7)).await;
    let d = data(app.gql(&admin, attend, json!({"b": b, "r": [{"learnerSourcedId": s[1], "attendance": "PRESENT", "note": "Worked through ratio tables"}, {"learnerSourcedId": "nobody", "attendance": "ABSENT"}]})).await);
    assert_eq!(
        the_user_error(&d["recordWinAttendance"]),
        (json!(["input", "records", "1", "learnerSourcedId"]), "NOT_FOUND"),
        "{d}"
    );
    let d = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert!(placement_of(&d, &s[1])["attendance"].is_null(), "a bad row writes nothing");
    let d = data(app.gql(&admin, attend, json!({"b": b, "r": [{"learnerSourcedId": s[1], "attendance": "PRESENT", "note": "Worked through ratio tables"}, {"learnerSourcedId": s[0], "attendance": "ABSENT"}]})).await);
    assert_eq!(d["recordWinAttendance"]["placements"].as_array().unwrap().len(), 2, "{d}");
    let h = data(app.gql(&admin, "query($l: String!) { learner(sourcedId: $l) { winHistory { block { date } session { title } attendance outcomeNote } } }", json!({"l": s[1]})).await);
    assert_eq!(h["learner"]["winHistory"][0]["outcomeNote"], "Worked through ratio tables");
    assert_eq!(h["learner"]["winHistory"][0]["attendance"], "PRESENT");

    // A second block, today at the school, whose choices closed an hour ago: locked.
    let today_there = school_today(&app, &admin, &b).await;
    let closed = block(&app, &admin, today_there, Utc::now() - Duration::hours(1)).await;
    let closed_lab = session(&app, &admin, &closed, "Lab", "INDEPENDENT", Some(40), &[], None).await;
    let d = data(app.gql(&admin, CHOOSE, json!({"b": closed, "l": s[0], "s": [closed_lab]})).await);
    assert_eq!(the_user_error(&d["submitWinChoices"]), (json!(["input"]), "CONFLICT"), "{d}");
    let d = data(
        app.gql(
            &admin,
            "query($b: ID!) { node(id: $b) { ... on WinBlock { choicesOpen preferences { edges { node { rank } } } } } }",
            json!({"b": closed}),
        )
        .await,
    );
    assert_eq!(d["node"], json!({"choicesOpen": false, "preferences": []}));
    // Placed by need there too; s0 is absent again and shows in the summary.
    data(app.gql(&admin, RUN, json!({"b": closed})).await);
    data(
        app.gql(&admin, attend, json!({"b": closed, "r": [{"learnerSourcedId": s[0], "attendance": "ABSENT"}]})).await,
    );
    let sum = data(app.gql(&admin, "{ winSummary(schoolSourcedId: \"sc-school-001\") { blocks placed seats seatsUsed choiceShares { choosers first second third later byTeacher noneOfTheirChoices } repeatedlyAbsent { learner { sourcedId } absences } } }", json!({})).await);
    let w = &sum["winSummary"];
    assert_eq!(
        (w["blocks"].as_i64(), w["placed"].as_i64(), w["seats"].as_i64(), w["seatsUsed"].as_i64()),
        (Some(2), Some(24), Some(2 + 3 + 20 + 1 + 2 + 40), Some(24)),
        "{sum}"
    );
    assert_eq!(w["repeatedlyAbsent"], json!([{"learner": {"sourcedId": s[0]}, "absences": 2}]));
    // Five students chose (s0, s1, s2, s4, s11; nobody could choose in the closed block): s0, s4
    // and s11 got their first choice; s1 and s2 are where a teacher moved them.
    assert_eq!(
        w["choiceShares"],
        json!({"choosers": 5, "first": 0.6, "second": 0.0, "third": 0.0, "later": 0.0, "byTeacher": 0.4, "noneOfTheirChoices": 0.0}),
        "{sum}"
    );

    // Another school's tool sees none of it.
    let other = app.token(WIN, &["sc-school-002"]).await;
    let d = data(app.gql(&other, "{ winBlocks(schoolSourcedId: \"sc-school-001\") { id } }", json!({})).await);
    assert_eq!(d["winBlocks"], json!([]));
    let d = data(app.gql(&other, "query($b: ID!) { node(id: $b) { id } }", json!({"b": b})).await);
    assert!(d["node"].is_null());
    let before = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    let d = data(app.gql(&other, RUN, json!({"b": b})).await);
    assert_eq!(the_user_error(&d["runWinPlacement"]), (json!(["input", "blockId"]), "NOT_FOUND"), "{d}");
    let after = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(after, before, "another school's run changes nothing");
}

#[tokio::test]
async fn teachers_review_their_own_students_and_placement_honours_what_they_require() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 12).await;
    let admin = app.token(WIN, &[]).await;
    let b = block(&app, &admin, Utc::now().date_naive() + Duration::days(10), Utc::now() + Duration::days(5)).await;
    let small = session(&app, &admin, &b, "Small", "SMALL_GROUP", Some(1), &[], None).await;
    let big = session(&app, &admin, &b, "Big", "INDEPENDENT", Some(30), &[], None).await;
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", "roster.read win.read win.write").await;
    let mine = data(app.gql(&teacher, "{ learners(first: 100) { edges { node { sourcedId } } } }", json!({})).await);
    let mine: Vec<String> = mine["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sourcedId"].as_str().unwrap().to_owned())
        .collect();
    let all = learners_of(&app, &admin, "sc-school-001").await;
    let not_mine = all.iter().find(|l| !mine.contains(l)).expect("a student the teacher doesn't teach").clone();
    let ours = mine.first().expect("the teacher teaches someone").clone();
    // Everyone wants the small session; the teacher requires their student there.
    for l in &all {
        data(app.gql(&admin, CHOOSE, json!({"b": b, "l": l, "s": [small, big]})).await);
    }
    let review = "mutation($b: ID!, $l: String!, $s: ID!) { reviewWinChoice(input: {blockId: $b, learnerSourcedId: $l, decision: REQUIRED, sessionId: $s}) { review { decision } userErrors { code field } } }";
    let d = data(app.gql(&teacher, review, json!({"b": b, "l": not_mine, "s": small})).await);
    assert_eq!(
        the_user_error(&d["reviewWinChoice"]),
        (json!(["input", "learnerSourcedId"]), "NOT_FOUND"),
        "not their student: {d}"
    );
    let d = data(app.gql(&teacher, review, json!({"b": b, "l": ours, "s": small})).await);
    assert_eq!(d["reviewWinChoice"]["review"]["decision"], "REQUIRED", "{d}");
    let seen = data(
        app.gql(
            &teacher,
            "query($b: ID!) { node(id: $b) { ... on WinBlock { preferences(first: 100) { edges { node { learner { sourcedId } } } } } } }",
            json!({"b": b}),
        )
        .await,
    );
    // Every student chose two sessions; the teacher sees exactly their own students' choices.
    let mut seen_learners: Vec<String> = seen["node"]["preferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["learner"]["sourcedId"].as_str().unwrap().to_owned())
        .collect();
    seen_learners.sort();
    let mut expected: Vec<String> = mine.iter().flat_map(|l| [l.clone(), l.clone()]).collect();
    expected.sort();
    assert_eq!(seen_learners, expected, "a teacher sees their students' choices only: {seen}");
    let body = app.gql(&teacher, RUN, json!({"b": b})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "a whole-school run is not one teacher's");
    let unplaced = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    assert_eq!(unplaced["node"]["placements"], json!([]), "a refused run places nobody: {unplaced}");

    data(app.gql(&admin, RUN, json!({"b": b})).await);
    let d = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    let p = placement_of(&d, &ours);
    assert_eq!(
        (p["session"]["title"].as_str(), p["source"].as_str()),
        (Some("Small"), Some("REQUIRED")),
        "a requirement beats every preference: {d}"
    );
    let others_in_small =
        d["node"]["placements"].as_array().unwrap().iter().filter(|p| p["session"]["title"] == "Small").count();
    assert_eq!(others_in_small, 1);

    // Requiring a second student in the one-seat session makes the run refuse, writing nothing.
    let other_ours = mine.get(1).expect("the teacher teaches two").clone();
    data(app.gql(&teacher, review, json!({"b": b, "l": other_ours, "s": small})).await);
    let refused = data(app.gql(&admin, RUN, json!({"b": b})).await);
    assert_eq!(the_user_error(&refused["runWinPlacement"]), (json!(["input", "blockId"]), "INVALID"), "{refused}");
    let after = data(app.gql(&admin, PLACEMENTS, json!({"b": b})).await);
    let seats = |d: &Value| -> Vec<(Value, Value, Value)> {
        d["node"]["placements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["learner"].clone(), p["session"].clone(), p["source"].clone()))
            .collect()
    };
    assert_eq!(seats(&after), seats(&d), "the earlier placement stands");
    // ... but the student whose decision changed is told it no longer does.
    let why = placement_of(&after, &other_ours)["explanation"].as_str().unwrap().to_owned();
    assert!(why.starts_with("This placement is outdated"), "{why}");
    assert_eq!(placement_of(&after, &ours)["explanation"], placement_of(&d, &ours)["explanation"]);
}

#[tokio::test]
async fn a_weekly_block_repeats_through_the_term_with_its_sessions_once() {
    let app = spawn_app().await;
    app.seed(1, 3).await;
    let admin = app.token(&format!("{WIN} roster.read"), &[]).await;
    data(
        app.gql(
            &admin,
            "mutation($p: String!) { importCaseFramework(input: {package: $p}) { created } }",
            json!({"p": CASE_PACKAGE}),
        )
        .await,
    );
    // A Monday in May 2027; the spring term ends on Friday 11 June.
    let template = block(
        &app,
        &admin,
        chrono::NaiveDate::from_ymd_opt(2027, 5, 3).unwrap(),
        "2027-05-01T12:00:00Z".parse().unwrap(),
    )
    .await;
    session(&app, &admin, &template, "Ratios", "SMALL_GROUP", Some(6), &["c-rp-1"], None).await;
    let repeat = "mutation($t: ID!) { repeatWinBlock(input: {templateBlockId: $t, termSourcedId: \"sc-term-2027-spring\"}) { blocks { date choicesCloseAt sessions { title capacity focusCompetencies { code } } } userErrors { code message } } }";
    let d = data(app.gql(&admin, repeat, json!({"t": template})).await);
    let blocks = d["repeatWinBlock"]["blocks"].as_array().unwrap();
    let dates: Vec<&str> = blocks.iter().map(|b| b["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2027-05-10", "2027-05-17", "2027-05-24", "2027-05-31", "2027-06-07"], "{d}");
    // The deadline keeps its time of day at the school (the seeded district is in Chicago).
    assert_eq!(blocks[0]["choicesCloseAt"], "2027-05-08T07:00:00-05:00");
    assert!(
        blocks.iter().all(|b| b["sessions"]
            == json!([{"title": "Ratios", "capacity": 6, "focusCompetencies": [{"code": "MATH.6.RP.1"}]}])),
        "{d}"
    );
    let again = data(app.gql(&admin, repeat, json!({"t": template})).await);
    assert_eq!(again["repeatWinBlock"]["blocks"], json!([]), "weeks with a block are skipped");
    let listed = data(
        app.gql(
            &admin,
            "{ winBlocks(schoolSourcedId: \"sc-school-001\", from: \"2027-05-01\", to: \"2027-05-31\") { date } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(listed["winBlocks"].as_array().unwrap().len(), 5);
    let dup = data(app.gql(&admin, BLOCK, json!({"s": "sc-school-001", "d": "2027-05-10", "c": null, "m": 3})).await);
    assert_eq!(
        the_user_error(&dup["createWinBlock"]),
        (json!(["input"]), "CONFLICT"),
        "one block per school and date: {dup}"
    );
    assert_eq!(dup["createWinBlock"]["block"], Value::Null, "{dup}");
    let listed = data(
        app.gql(
            &admin,
            "{ winBlocks(schoolSourcedId: \"sc-school-001\", from: \"2027-05-10\", to: \"2027-05-10\") { date maxChoices } }",
            json!({}),
        )
        .await,
    );
    assert_eq!(
        listed["winBlocks"],
        json!([{"date": "2027-05-10", "maxChoices": 2}]),
        "the refused duplicate wrote nothing"
    );
}

#[tokio::test]
async fn a_learner_of_two_schools_shows_each_school_only_its_own_playlists_and_win_history() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let admin = app.token(&format!("{WIN} playlists.read playlists.write"), &[]).await;
    let l = learners_of(&app, &admin, "sc-school-001").await[0].clone();
    // A playlist and a WIN placement at school 001, while the learner is only there.
    let d = data(
        app.gql(
            &admin,
            "mutation($l: String!) { createPlaylist(input: {learnerSourcedId: $l, subject: \"Math\", title: \"At one\", items: [{title: \"A\", evidence: TEST}]}) { playlist { id } userErrors { code message } } }",
            json!({"l": l}),
        )
        .await,
    );
    assert_eq!(d["createPlaylist"]["userErrors"], json!([]), "{d}");
    let b = block(&app, &admin, chrono::NaiveDate::from_ymd_opt(2030, 5, 6).unwrap(), Utc::now()).await;
    session(&app, &admin, &b, "Lab", "INDEPENDENT", Some(30), &[], None).await;
    let d = data(app.gql(&admin, RUN, json!({"b": b})).await);
    assert_eq!(d["runWinPlacement"]["userErrors"], json!([]), "{d}");
    // Then the learner also joins school 002 (dual enrollment, or a move mid-year).
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "INSERT INTO user_orgs (user_id, org_id, role, is_primary) SELECT u.id, o.id, 'student', false \
             FROM users u, orgs o WHERE u.sourced_id = '{l}' AND o.sourced_id = 'sc-school-002'"
        ),
    )
    .await
    .unwrap();
    let q = "query($l: String!) { learner(sourcedId: $l) { sourcedId playlists { title } winHistory { session { title } } } }";
    let scopes = "roster.read playlists.read win.read";
    let two = app.token(scopes, &["sc-school-002"]).await;
    let seen = data(app.gql(&two, q, json!({"l": l})).await);
    assert_eq!(
        seen["learner"],
        json!({"sourcedId": l, "playlists": [], "winHistory": []}),
        "school 002 sees its learner, not school 001's records of them"
    );
    let one = app.token(scopes, &["sc-school-001"]).await;
    let seen = data(app.gql(&one, q, json!({"l": l})).await);
    assert_eq!(
        seen["learner"],
        json!({"sourcedId": l, "playlists": [{"title": "At one"}], "winHistory": [{"session": {"title": "Lab"}}]}),
        "school 001 still sees its own"
    );
}
