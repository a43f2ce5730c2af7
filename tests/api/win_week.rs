//! A WIN week as a school lives it, through HTTP: a session's teacher sees and takes
//! attendance for every student placed with her; changed choices withdraw stale approvals and
//! outdate the placement; blocks and sessions are corrected, withdrawn and deleted; dates are
//! the school's; the figures agree; front ends find their own things and page long lists.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::{
    progress::the_user_error,
    support::{TestApp, data, error_code, held, spawn_app_with},
    win::WIN,
};

const SIGNED_IN: &str = "roster.read win.read win.write";

async fn gql_data(app: &TestApp, token: &str, q: &str, v: Value) -> Value {
    data(app.gql(token, q, v).await)
}

/// A block of school 001 on `date`, choices closing at `close` (default: the school's).
async fn block(app: &TestApp, token: &str, date: NaiveDate, close: Option<chrono::DateTime<Utc>>) -> Value {
    let d = gql_data(
        app,
        token,
        "mutation($d: NaiveDate!, $c: DateTime) { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: $d, choicesCloseAt: $c, maxChoices: 3}) { block { id } userErrors { field code message } } }",
        json!({"d": date, "c": close}),
    )
    .await;
    assert_eq!(d["createWinBlock"]["userErrors"], json!([]), "{d}");
    d["createWinBlock"]["block"]["id"].clone()
}

/// A session offered in a block by `token` (a signed-in teacher offers her own).
async fn session(app: &TestApp, token: &str, b: &Value, title: &str, cap: i64, invited: Option<Vec<&str>>) -> Value {
    let d = gql_data(
        app,
        token,
        "mutation($b: ID!, $t: String!, $c: Int, $inv: [String!]) { createWinSession(input: {blockId: $b, title: $t, subject: \"Math\", mode: SMALL_GROUP, capacity: $c, invitedLearnerSourcedIds: $inv}) { session { id } userErrors { field code message } } }",
        json!({"b": b, "t": title, "c": cap, "inv": invited}),
    )
    .await;
    assert_eq!(d["createWinSession"]["userErrors"], json!([]), "{d}");
    d["createWinSession"]["session"]["id"].clone()
}

const CHOOSE: &str = "mutation($b: ID!, $l: String!, $s: [ID!]!) { submitWinChoices(input: {blockId: $b, learnerSourcedId: $l, sessionIds: $s}) { preferences { rank session { title } } userErrors { field code message } } }";
const RUN: &str = "mutation($b: ID!) { runWinPlacement(input: {blockId: $b}) { placed choiceShares { choosers first byTeacher } userErrors { field code message } } }";
const REVIEW: &str = "mutation($b: ID!, $l: String!, $d: WinDecision!, $s: ID!, $n: String) { reviewWinChoice(input: {blockId: $b, learnerSourcedId: $l, decision: $d, sessionId: $s, note: $n}) { review { decision } userErrors { field code message } } }";
const ATTEND: &str = "mutation($b: ID!, $r: [WinAttendanceRecordInput!]!) { recordWinAttendance(input: {blockId: $b, records: $r}) { placements { attendance } userErrors { field code message } } }";

async fn choose(app: &TestApp, token: &str, b: &Value, l: &str, s: &[&Value]) -> Value {
    gql_data(app, token, CHOOSE, json!({"b": b, "l": l, "s": s})).await["submitWinChoices"].clone()
}

/// One student's placement in a block, as `token` sees it (null when not placed or not seen).
async fn placement(app: &TestApp, token: &str, b: &Value, l: &str) -> Value {
    let d = gql_data(
        app,
        token,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { placements(first: 100) { edges { node { student { sourcedId } learner { sourcedId } session { title } source choiceRank explanation outdated provisional attendance } } } } } }",
        json!({"b": b}),
    )
    .await;
    d["node"]["placements"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| p["student"]["sourcedId"] == l)
        .unwrap_or(Value::Null)
}

async fn status(app: &TestApp, token: &str, b: &Value) -> String {
    let d = gql_data(
        app,
        token,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { placementStatus } } }",
        json!({"b": b}),
    )
    .await;
    d["node"]["placementStatus"].as_str().unwrap().to_owned()
}

/// The decision on a student's choices in a block, as the administrator reads it back.
async fn decision(app: &TestApp, token: &str, b: &Value, l: &str) -> Value {
    let d = gql_data(
        app,
        token,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { choiceReview(first: 100) { edges { node { student { sourcedId } decision { decision session { title } } } } } } } }",
        json!({"b": b}),
    )
    .await;
    d["node"]["choiceReview"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["student"]["sourcedId"] == l)
        .map_or(Value::Null, |e| e["node"]["decision"].clone())
}

/// The school's time zone, as a block shows it, and today's date there.
async fn zone(app: &TestApp, token: &str, b: &Value) -> (chrono_tz::Tz, NaiveDate) {
    let d =
        gql_data(app, token, "query($b: ID!) { node(id: $b) { ... on WinBlock { timeZone } } }", json!({"b": b})).await;
    let tz: chrono_tz::Tz = d["node"]["timeZone"].as_str().unwrap().parse().unwrap();
    (tz, Utc::now().with_timezone(&tz).date_naive())
}

/// The sourcedIds of a connection's nodes' learners (or of the nodes themselves).
fn sids(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            n["student"]["sourcedId"].as_str().or(n["sourcedId"].as_str()).unwrap().to_owned()
        })
        .collect()
}

async fn learners(app: &TestApp, token: &str) -> Vec<String> {
    let d = gql_data(app, token, "{ learners(first: 100) { edges { node { sourcedId } } } }", json!({})).await;
    sids(&d["learners"])
}

#[tokio::test]
async fn a_session_teacher_sees_reviews_and_takes_attendance_for_every_student_placed_with_her() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 24).await;
    let admin = app.token(WIN, &[]).await;
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", SIGNED_IN).await;
    let mine = learners(&app, &teacher).await;
    let others: Vec<String> = learners(&app, &admin).await.into_iter().filter(|l| !mine.contains(l)).collect();
    assert!(mine.len() >= 2 && others.len() >= 2, "the fixture needs students on both sides: {mine:?} {others:?}");
    assert!(others.len() >= 3, "{others:?}");
    let (stranger, bystander, elsewhere) = (&others[0], &others[1], &others[2]);

    // Today's block at the school, open for choices until the end of its day there.
    let probe = block(&app, &admin, Utc::now().date_naive() + Duration::days(40), None).await;
    let (tz, today) = zone(&app, &admin, &probe).await;
    let end_of_day = tz.from_local_datetime(&today.and_hms_opt(23, 59, 0).unwrap()).earliest().unwrap();
    let b = block(&app, &admin, today, Some(end_of_day.with_timezone(&Utc))).await;
    let hers = session(&app, &teacher, &b, "Ratio tables", 30, None).await;
    let lab = session(&app, &admin, &b, "Lab", 100, None).await;
    assert_eq!(choose(&app, &admin, &b, stranger, &[&hers, &lab]).await["userErrors"], json!([]));
    assert_eq!(choose(&app, &admin, &b, bystander, &[&lab]).await["userErrors"], json!([]));
    assert_eq!(choose(&app, &admin, &b, &mine[0], &[&hers]).await["userErrors"], json!([]));
    // Ranks her session second; placed in the lab, another teacher's to run.
    assert_eq!(choose(&app, &admin, &b, elsewhere, &[&lab, &hers]).await["userErrors"], json!([]));

    // She reviews everyone who chose her session, her own students or not, and only them.
    let d = gql_data(
        &app,
        &teacher,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { choiceReview(first: 100) { totalCount edges { node { student { sourcedId givenName } learner { sourcedId } } } } } } }",
        json!({"b": b}),
    )
    .await;
    let reviewed = sids(&d["node"]["choiceReview"]);
    // She sees who they are; the roster record (profile, mastery, playlists, history) only of
    // her own students.
    for e in d["node"]["choiceReview"]["edges"].as_array().unwrap() {
        let sid = e["node"]["student"]["sourcedId"].as_str().unwrap();
        assert!(e["node"]["student"]["givenName"].is_string(), "{e}");
        assert_eq!(e["node"]["learner"].is_null(), !mine.iter().any(|m| m == sid), "{sid}: {e}");
    }
    assert!(reviewed.contains(stranger) && reviewed.contains(&mine[0]), "{d}");
    assert!(!reviewed.contains(bystander), "a student who chose elsewhere stays hidden: {d}");
    let d = gql_data(&app, &teacher, REVIEW, json!({"b": b, "l": stranger, "d": "APPROVED", "s": hers})).await;
    assert_eq!(d["reviewWinChoice"], json!({"review": {"decision": "APPROVED"}, "userErrors": []}), "{d}");
    let d = gql_data(&app, &teacher, REVIEW, json!({"b": b, "l": bystander, "d": "REQUIRED", "s": hers})).await;
    assert_eq!(the_user_error(&d["reviewWinChoice"]), (json!(["input", "learnerSourcedId"]), "NOT_FOUND"), "{d}");
    assert_eq!(decision(&app, &admin, &b, bystander).await, Value::Null, "a refused decision is not recorded");

    let d = gql_data(&app, &admin, RUN, json!({"b": b})).await;
    assert_eq!(d["runWinPlacement"]["userErrors"], json!([]), "{d}");
    // Her session's list holds every student placed in it, as many as its seats taken.
    let d = gql_data(
        &app,
        &teacher,
        "query($s: ID!) { node(id: $s) { ... on WinSession { seatsTaken placements(first: 100) { totalCount edges { node { student { sourcedId } } } } } } }",
        json!({"s": hers}),
    )
    .await;
    let listed = sids(&d["node"]["placements"]);
    // Each of them is hers to refetch by id, too.
    let d2 = gql_data(
        &app,
        &teacher,
        "query($s: ID!) { node(id: $s) { ... on WinSession { placements(first: 100) { edges { node { id student { sourcedId } } } } } } }",
        json!({"s": hers}),
    )
    .await;
    for e in d2["node"]["placements"]["edges"].as_array().unwrap() {
        let again = gql_data(
            &app,
            &teacher,
            "query($id: ID!) { node(id: $id) { ... on WinAssignment { student { sourcedId } } } }",
            json!({"id": e["node"]["id"]}),
        )
        .await;
        assert_eq!(again["node"]["student"], e["node"]["student"], "{again}");
    }
    assert_eq!(Some(listed.len() as i64), d["node"]["seatsTaken"].as_i64(), "{d}");
    assert_eq!(d["node"]["placements"]["totalCount"], listed.len(), "{d}");
    assert!(listed.contains(stranger) && listed.contains(&mine[0]), "{d}");
    assert!(placement(&app, &teacher, &b, stranger).await["session"]["title"] == "Ratio tables");

    // She takes attendance for all of them; not for a student placed elsewhere.
    let d = gql_data(
        &app,
        &teacher,
        ATTEND,
        json!({"b": b, "r": [{"learnerSourcedId": stranger, "attendance": "PRESENT"}]}),
    )
    .await;
    assert_eq!(d["recordWinAttendance"], json!({"placements": [{"attendance": "PRESENT"}], "userErrors": []}), "{d}");
    assert_eq!(placement(&app, &admin, &b, stranger).await["attendance"], "PRESENT");
    let d = gql_data(
        &app,
        &teacher,
        ATTEND,
        json!({"b": b, "r": [{"learnerSourcedId": bystander, "attendance": "ABSENT"}]}),
    )
    .await;
    assert_eq!(
        the_user_error(&d["recordWinAttendance"]),
        (json!(["input", "records", "0", "learnerSourcedId"]), "NOT_FOUND"),
        "{d}"
    );
    assert_eq!(placement(&app, &admin, &b, bystander).await["attendance"], Value::Null, "nothing recorded");
    // Choosing her session lets her see a student, not run their placement elsewhere.
    assert_eq!(placement(&app, &teacher, &b, elsewhere).await["session"]["title"], "Lab");
    let res = app
        .gql(&teacher, ATTEND, json!({"b": b, "r": [{"learnerSourcedId": elsewhere, "attendance": "ABSENT"}]}))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    assert_eq!(placement(&app, &admin, &b, elsewhere).await["attendance"], Value::Null, "nothing recorded");

    // Only for that block: in another block the stranger is again not hers to see.
    let b2 = block(&app, &admin, today + Duration::days(21), Some(Utc::now() + Duration::days(7))).await;
    let lab2 = session(&app, &admin, &b2, "Lab", 100, None).await;
    assert_eq!(choose(&app, &admin, &b2, stranger, &[&lab2]).await["userErrors"], json!([]));
    let d = gql_data(
        &app,
        &teacher,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { preferences(first: 100) { edges { node { student { sourcedId } } } } } } }",
        json!({"b": b2}),
    )
    .await;
    assert_eq!(sids(&d["node"]["preferences"]), Vec::<String>::new(), "{d}");
}

#[tokio::test]
async fn changed_choices_withdraw_stale_approvals_and_mark_the_placement_outdated() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 6).await;
    let admin = app.token(WIN, &[]).await;
    let s = learners(&app, &admin).await;
    let student = app.dev_sign_in(&s[0], SIGNED_IN).await;
    let b =
        block(&app, &admin, Utc::now().date_naive() + Duration::days(14), Some(Utc::now() + Duration::days(7))).await;
    let a = session(&app, &admin, &b, "Ratio tables", 10, None).await;
    let bb = session(&app, &admin, &b, "Unit rates", 10, None).await;
    let c = session(&app, &admin, &b, "Lab", 10, None).await;
    assert_eq!(status(&app, &admin, &b).await, "NOT_RUN");

    assert_eq!(choose(&app, &student, &b, &s[0], &[&a, &bb]).await["userErrors"], json!([]));
    let d = gql_data(&app, &admin, REVIEW, json!({"b": b, "l": s[0], "d": "APPROVED", "s": a})).await;
    assert_eq!(d["reviewWinChoice"]["userErrors"], json!([]), "{d}");
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    let p = placement(&app, &student, &b, &s[0]).await;
    assert_eq!(
        (p["session"]["title"].as_str(), p["outdated"].as_bool(), p["provisional"].as_bool()),
        (Some("Ratio tables"), Some(false), Some(true))
    );
    assert_eq!(
        p["explanation"],
        "Provisional (placement ran before choices closed): placed in your 1st choice (Ratio tables), approved by your teacher"
    );
    assert_eq!(status(&app, &admin, &b).await, "PROVISIONAL");

    // The student changes their mind: the approval of a session no longer chosen goes, and the
    // placement says it no longer stands.
    let d = choose(&app, &student, &b, &s[0], &[&c, &bb]).await;
    assert_eq!(
        d["preferences"],
        json!([{"rank": 1, "session": {"title": "Lab"}}, {"rank": 2, "session": {"title": "Unit rates"}}])
    );
    assert_eq!(decision(&app, &admin, &b, &s[0]).await, Value::Null, "the stale approval is withdrawn");
    let p = placement(&app, &student, &b, &s[0]).await;
    assert_eq!(p["outdated"], true, "{p}");
    assert!(p["explanation"].as_str().unwrap().starts_with("This placement is outdated"), "{p}");
    assert_eq!(status(&app, &admin, &b).await, "OUTDATED");
    // Placed again: their new first choice, with no approval claimed.
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    let p = placement(&app, &student, &b, &s[0]).await;
    assert_eq!(
        (p["session"]["title"].as_str(), p["choiceRank"].as_i64(), p["outdated"].as_bool()),
        (Some("Lab"), Some(1), Some(false))
    );
    assert_eq!(p["explanation"], "Provisional (placement ran before choices closed): placed in your 1st choice (Lab)");
    assert_eq!(status(&app, &admin, &b).await, "PROVISIONAL");
    // The same choices again change nothing.
    choose(&app, &student, &b, &s[0], &[&c, &bb]).await;
    assert_eq!(status(&app, &admin, &b).await, "PROVISIONAL");

    // A redirection does not depend on the choices: it stands through a resubmission, until
    // the teacher clears it.
    let d = gql_data(&app, &admin, REVIEW, json!({"b": b, "l": s[0], "d": "REDIRECTED", "s": a, "n": "Ratios first"}))
        .await;
    assert_eq!(d["reviewWinChoice"]["userErrors"], json!([]), "{d}");
    assert_eq!(status(&app, &admin, &b).await, "OUTDATED");
    choose(&app, &student, &b, &s[0], &[&bb]).await;
    assert_eq!(
        decision(&app, &admin, &b, &s[0]).await,
        json!({"decision": "REDIRECTED", "session": {"title": "Ratio tables"}})
    );
    let clear = "mutation($b: ID!, $l: String!) { clearWinReview(input: {blockId: $b, learnerSourcedId: $l}) { cleared userErrors { field code } } }";
    assert_eq!(error_code(&app.gql(&student, clear, json!({"b": b, "l": s[0]})).await), "FORBIDDEN");
    assert_eq!(decision(&app, &admin, &b, &s[0]).await["decision"], "REDIRECTED", "a student can't clear it");
    let d = gql_data(&app, &admin, clear, json!({"b": b, "l": s[0]})).await;
    assert_eq!(d["clearWinReview"], json!({"cleared": true, "userErrors": []}));
    assert_eq!(decision(&app, &admin, &b, &s[0]).await, Value::Null);
    let d = gql_data(&app, &admin, clear, json!({"b": b, "l": s[0]})).await;
    assert_eq!(d["clearWinReview"], json!({"cleared": false, "userErrors": []}), "nothing left to clear");

    // Choices close; placement runs after the deadline: final.
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    let close = "mutation($b: ID!, $c: DateTime!) { updateWinBlock(input: {blockId: $b, choicesCloseAt: $c}) { block { choicesOpen } userErrors { field code message } } }";
    let d = gql_data(&app, &admin, close, json!({"b": b, "c": Utc::now() - Duration::minutes(1)})).await;
    assert_eq!(d["updateWinBlock"], json!({"block": {"choicesOpen": false}, "userErrors": []}), "{d}");
    // The run was after the deadline as it now stands: final, and the students are told so.
    assert_eq!(status(&app, &admin, &b).await, "FINAL");
    let p = placement(&app, &student, &b, &s[0]).await;
    assert_eq!((p["provisional"].as_bool(), p["outdated"].as_bool()), (Some(false), Some(false)), "{p}");
    // Reopening choices: the placement no longer stands, for the block and each student.
    gql_data(&app, &admin, close, json!({"b": b, "c": Utc::now() + Duration::days(2)})).await;
    assert_eq!(status(&app, &admin, &b).await, "OUTDATED");
    assert_eq!(placement(&app, &student, &b, &s[0]).await["outdated"], true);
    gql_data(&app, &admin, close, json!({"b": b, "c": Utc::now() - Duration::minutes(1)})).await;
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    assert_eq!(status(&app, &admin, &b).await, "FINAL");
    let p = placement(&app, &student, &b, &s[0]).await;
    assert_eq!((p["provisional"].as_bool(), p["outdated"].as_bool()), (Some(false), Some(false)), "{p}");
    // A late change is refused, and answers with the choices that stand.
    let d = choose(&app, &student, &b, &s[0], &[&a]).await;
    assert_eq!(the_user_error(&d), (json!(["input"]), "CONFLICT"), "{d}");
    assert_eq!(d["preferences"], json!([{"rank": 1, "session": {"title": "Unit rates"}}]), "{d}");
}

#[tokio::test]
async fn blocks_and_sessions_are_corrected_withdrawn_and_deleted_on_the_schools_dates() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 6).await;
    let admin = app.token(WIN, &[]).await;
    let s = learners(&app, &admin).await;
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", SIGNED_IN).await;
    let staff =
        gql_data(&app, &admin, "{ educators(first: 100) { edges { node { sourcedId role } } } }", json!({})).await;
    let other_teacher = staff["educators"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["role"] == "TEACHER" && n["sourcedId"] != "sc-t-001-06-math-0")
        .map(|n| n["sourcedId"].as_str().unwrap().to_owned())
        .expect("a second teacher");
    let colleague = app.dev_sign_in(&other_teacher, SIGNED_IN).await;
    let blocks = "{ winBlocks(schoolSourcedId: \"sc-school-001\") { date choicesCloseAt maxChoices sessions { title capacity } } }";

    // The default deadline is 20:00 the evening before, at the school, with its offset.
    let date = Utc::now().date_naive() + Duration::days(10);
    let b = block(&app, &admin, date, None).await;
    let (tz, today) = zone(&app, &admin, &b).await;
    let d = gql_data(
        &app,
        &admin,
        "query($b: ID!) { node(id: $b) { ... on WinBlock { choicesCloseAt } } }",
        json!({"b": b}),
    )
    .await;
    let shown = chrono::DateTime::parse_from_rfc3339(d["node"]["choicesCloseAt"].as_str().unwrap()).unwrap();
    let expected =
        tz.from_local_datetime(&(date - Duration::days(1)).and_hms_opt(20, 0, 0).unwrap()).earliest().unwrap();
    assert_eq!(shown, expected.fixed_offset(), "{d}");
    assert_eq!(shown.offset(), expected.fixed_offset().offset(), "shown in the school's offset: {d}");

    // A block in the past is refused, writing nothing; so is a date that does not parse.
    let before = gql_data(&app, &admin, blocks, json!({})).await;
    let past = "mutation($d: NaiveDate!) { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: $d}) { block { id } userErrors { field code message } } }";
    let d = gql_data(&app, &admin, past, json!({"d": today - Duration::days(1)})).await;
    assert_eq!(the_user_error(&d["createWinBlock"]), (json!(["input", "date"]), "INVALID"), "{d}");
    let bad_time = "mutation($c: DateTime!) { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2031-02-03\", choicesCloseAt: $c}) { block { id } } }";
    assert_eq!(error_code(&app.gql(&admin, bad_time, json!({"c": "next tuesday"})).await), "BAD_USER_INPUT");
    let inline = "mutation { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2031-02-03\", choicesCloseAt: \"25:00\"}) { block { id } } }";
    assert_eq!(error_code(&app.gql(&admin, inline, json!({})).await), "BAD_USER_INPUT");
    assert_eq!(gql_data(&app, &admin, blocks, json!({})).await, before, "nothing was created");

    // Moving the block moves its deadline; most choices can't drop below a rank given.
    let x = session(&app, &admin, &b, "Small group", 2, None).await;
    let mine = session(&app, &teacher, &b, "Her session", 10, None).await;
    choose(&app, &admin, &b, &s[0], &[&x, &mine]).await;
    choose(&app, &admin, &b, &s[1], &[&x]).await;
    let update = "mutation($b: ID!, $d: NaiveDate, $m: Int) { updateWinBlock(input: {blockId: $b, date: $d, maxChoices: $m}) { block { date choicesCloseAt maxChoices } userErrors { field code message } } }";
    let d = gql_data(&app, &admin, update, json!({"b": b, "m": 1})).await;
    assert_eq!(the_user_error(&d["updateWinBlock"]), (json!(["input"]), "CONFLICT"), "{d}");
    let d = gql_data(&app, &admin, update, json!({"b": b, "d": date + Duration::days(7)})).await;
    let moved =
        chrono::DateTime::parse_from_rfc3339(d["updateWinBlock"]["block"]["choicesCloseAt"].as_str().unwrap()).unwrap();
    assert_eq!(
        (d["updateWinBlock"]["block"]["maxChoices"].as_i64(), moved.with_timezone(&Utc)),
        (Some(3), (expected + Duration::days(7)).with_timezone(&Utc)),
        "{d}"
    );

    // Teachers name and change only their own sessions.
    let offer_as = "mutation($b: ID!, $t: String!) { createWinSession(input: {blockId: $b, title: \"Borrowed\", subject: \"Math\", mode: SMALL_GROUP, capacity: 3, teacherSourcedId: $t}) { session { id } } }";
    let res = app.gql(&teacher, offer_as, json!({"b": b, "t": other_teacher})).await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let change = "mutation($s: ID!, $t: String, $c: Int) { updateWinSession(input: {sessionId: $s, title: $t, capacity: $c}) { session { title capacity } userErrors { field code message } } }";
    assert_eq!(error_code(&app.gql(&colleague, change, json!({"s": mine, "t": "Taken over"})).await), "FORBIDDEN");
    let d = gql_data(&app, &teacher, change, json!({"s": mine, "t": "Ratio tables, small steps"})).await;
    assert_eq!(d["updateWinSession"]["session"]["title"], "Ratio tables, small steps", "{d}");
    let titles = gql_data(&app, &admin, blocks, json!({})).await;
    let titles: Vec<&Value> =
        titles["winBlocks"][0]["sessions"].as_array().unwrap().iter().map(|s| &s["title"]).collect();
    assert_eq!(
        titles,
        [&json!("Small group"), &json!("Ratio tables, small steps")],
        "no borrowed session, no takeover"
    );

    // Seats can't go below the students placed; withdrawing the session frees its students.
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    let d = gql_data(&app, &admin, change, json!({"s": x, "c": 1})).await;
    assert_eq!(the_user_error(&d["updateWinSession"]), (json!(["input"]), "CONFLICT"), "{d}");
    assert_eq!(gql_data(&app, &admin, blocks, json!({})).await["winBlocks"][0]["sessions"][0]["capacity"], 2);
    let withdraw = "mutation($s: ID!) { withdrawWinSession(input: {sessionId: $s}) { withdrawnSessionId choicesRemoved placementsRemoved decisionsRemoved userErrors { field code } } }";
    assert_eq!(error_code(&app.gql(&colleague, withdraw, json!({"s": x})).await), "FORBIDDEN", "not hers either");
    let d = gql_data(&app, &admin, withdraw, json!({"s": x})).await;
    assert_eq!(
        d["withdrawWinSession"],
        json!({"withdrawnSessionId": x, "choicesRemoved": 2, "placementsRemoved": 2, "decisionsRemoved": 0, "userErrors": []}),
        "{d}"
    );
    let prefs = gql_data(&app, &admin, "query($b: ID!) { node(id: $b) { ... on WinBlock { sessions { title } preferences { edges { node { learner { sourcedId } rank session { title } } } } } } }", json!({"b": b})).await;
    assert_eq!(
        prefs["node"]["preferences"]["edges"],
        json!([{"node": {"learner": {"sourcedId": s[0]}, "rank": 1, "session": {"title": "Ratio tables, small steps"}}}]),
        "s0's other choice moved up; s1 has none left: {prefs}"
    );
    assert_eq!(prefs["node"]["sessions"], json!([{"title": "Ratio tables, small steps"}]));
    assert_eq!(placement(&app, &admin, &b, &s[1]).await, Value::Null, "unplaced until placement runs again");
    assert_eq!(status(&app, &admin, &b).await, "OUTDATED");

    // A held block keeps its history: it can't be moved or deleted once attendance is taken.
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    held(&app, &b, today - Duration::days(2)).await;
    let d = gql_data(&app, &admin, ATTEND, json!({"b": b, "r": [{"learnerSourcedId": s[0], "attendance": "PRESENT"}]}))
        .await;
    assert_eq!(d["recordWinAttendance"]["userErrors"], json!([]), "{d}");
    let delete = "mutation($b: ID!) { deleteWinBlock(input: {blockId: $b}) { deletedBlockId userErrors { field code message } } }";
    let d = gql_data(&app, &admin, delete, json!({"b": b})).await;
    assert_eq!(the_user_error(&d["deleteWinBlock"]), (json!(["input"]), "CONFLICT"), "{d}");
    let d = gql_data(&app, &admin, update, json!({"b": b, "d": today + Duration::days(3)})).await;
    assert_eq!(the_user_error(&d["updateWinBlock"]), (json!(["input"]), "CONFLICT"), "{d}");
    let d =
        gql_data(&app, &admin, "query($b: ID!) { node(id: $b) { ... on WinBlock { date } } }", json!({"b": b})).await;
    assert_eq!(d["node"]["date"], json!(today - Duration::days(2)), "still there, on its day");
    // A block not held yet goes, with everything in it.
    let later = block(&app, &admin, date + Duration::days(21), None).await;
    let spare = session(&app, &admin, &later, "Spare", 5, None).await;
    choose(&app, &admin, &later, &s[2], &[&spare]).await;
    let d = gql_data(&app, &admin, delete, json!({"b": later})).await;
    assert_eq!(d["deleteWinBlock"], json!({"deletedBlockId": later, "userErrors": []}), "{d}");
    let d = gql_data(
        &app,
        &admin,
        "query($b: ID!, $s: ID!) { b: node(id: $b) { id } s: node(id: $s) { id } }",
        json!({"b": later, "s": spare}),
    )
    .await;
    assert_eq!(d, json!({"b": null, "s": null}));
    // Deleted is not found, the same as never was.
    let d = gql_data(&app, &admin, delete, json!({"b": later})).await;
    assert_eq!(the_user_error(&d["deleteWinBlock"]), (json!(["input", "blockId"]), "NOT_FOUND"), "{d}");
}

#[tokio::test]
async fn front_ends_find_their_own_things_and_page_long_lists() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 6).await;
    let admin = app.token(WIN, &[]).await;
    let s = learners(&app, &admin).await;
    let b =
        block(&app, &admin, Utc::now().date_naive() + Duration::days(14), Some(Utc::now() + Duration::days(7))).await;
    let open = session(&app, &admin, &b, "Open group", 10, None).await;
    let invited = session(&app, &admin, &b, "Invited group", 5, Some(vec![&s[1]])).await;

    // A student finds their own record and the blocks they can choose in, and which sessions.
    let me = "{ viewer { districtWide learner { sourcedId } educator { sourcedId } winBlocks { id sessions { title canChoose } } } }";
    for (who, can_invited) in [(&s[0], false), (&s[1], true)] {
        let student = app.dev_sign_in(who, SIGNED_IN).await;
        let d = gql_data(&app, &student, me, json!({})).await;
        assert_eq!(
            d["viewer"],
            json!({"districtWide": false, "learner": {"sourcedId": who}, "educator": null, "winBlocks": [{"id": b, "sessions": [{"title": "Open group", "canChoose": true}, {"title": "Invited group", "canChoose": can_invited}]}]}),
            "{who}"
        );
    }
    // A teacher finds their Educator record; staff see no `canChoose`.
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", SIGNED_IN).await;
    let d = gql_data(
        &app,
        &teacher,
        "{ viewer { learner { sourcedId } educator { sourcedId givenName familyName } winBlocks { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        (
            d["viewer"]["learner"].clone(),
            d["viewer"]["educator"]["sourcedId"].clone(),
            d["viewer"]["winBlocks"].clone()
        ),
        (Value::Null, json!("sc-t-001-06-math-0"), json!([]))
    );
    let d = gql_data(
        &app,
        &admin,
        "query($s: ID!) { node(id: $s) { ... on WinSession { canChoose } } }",
        json!({"s": invited}),
    )
    .await;
    assert_eq!(d["node"]["canChoose"], Value::Null);
    let district = app.dev_sign_in("sc-admin-district", SIGNED_IN).await;
    assert_eq!(
        gql_data(&app, &district, "{ viewer { districtWide } }", json!({})).await["viewer"]["districtWide"],
        true
    );

    // Who has not chosen yet, paged; it shrinks as students choose.
    let not_chosen = "query($b: ID!, $after: String) { node(id: $b) { ... on WinBlock { notChosen(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { sourcedId } } } } } }";
    let d = gql_data(&app, &admin, not_chosen, json!({"b": b})).await;
    let page = &d["node"]["notChosen"];
    assert_eq!(
        (page["totalCount"].as_i64(), page["pageInfo"]["hasNextPage"].as_bool()),
        (Some(s.len() as i64), Some(true)),
        "{d}"
    );
    let mut seen = sids(page);
    let d = gql_data(&app, &admin, not_chosen, json!({"b": b, "after": page["pageInfo"]["endCursor"]})).await;
    seen.extend(sids(&d["node"]["notChosen"]));
    let mut all = s.clone();
    all.sort();
    seen.sort();
    assert_eq!(seen, all, "two pages, every student once");
    choose(&app, &admin, &b, &s[0], &[&open]).await;
    choose(&app, &admin, &b, &s[1], &[&invited, &open]).await;
    let d = gql_data(&app, &admin, not_chosen, json!({"b": b})).await;
    assert_eq!(d["node"]["notChosen"]["totalCount"], s.len() - 2);
    assert!(!sids(&d["node"]["notChosen"]).contains(&s[0]));

    // Placements page and filter; a move names the teacher, not an id.
    gql_data(&app, &admin, RUN, json!({"b": b})).await;
    let placements = "query($b: ID!, $f: WinPlacementsFilter, $after: String) { node(id: $b) { ... on WinBlock { placements(first: 2, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { node { student { sourcedId } session { title } } } } } } }";
    let d = gql_data(&app, &admin, placements, json!({"b": b})).await;
    let first = &d["node"]["placements"];
    assert_eq!(
        (first["totalCount"].as_i64(), sids(first).len(), first["pageInfo"]["hasNextPage"].as_bool()),
        (Some(s.len() as i64), 2, Some(true)),
        "{d}"
    );
    let d2 = gql_data(&app, &admin, placements, json!({"b": b, "after": first["pageInfo"]["endCursor"]})).await;
    assert!(sids(&d2["node"]["placements"]).iter().all(|l| !sids(first).contains(l)), "the next page goes on: {d2}");
    let d = gql_data(&app, &admin, placements, json!({"b": b, "f": {"sessionId": invited}})).await;
    assert_eq!(sids(&d["node"]["placements"]), [s[1].clone()], "only the invited student is there: {d}");
    let adjust = "mutation($b: ID!, $l: String!, $s: ID!) { adjustWinPlacement(input: {blockId: $b, learnerSourcedId: $l, sessionId: $s, note: \"needs ratios\"}) { placement { explanation } userErrors { field code } } }";
    let admin_person = app.dev_sign_in("sc-admin-001", SIGNED_IN).await;
    let d = gql_data(&app, &admin_person, "{ viewer { educator { givenName familyName } } }", json!({})).await;
    let name = format!(
        "{} {}",
        d["viewer"]["educator"]["givenName"].as_str().unwrap(),
        d["viewer"]["educator"]["familyName"].as_str().unwrap()
    );
    let d = gql_data(&app, &admin_person, adjust, json!({"b": b, "l": s[0], "s": invited})).await;
    assert_eq!(
        the_user_error(&d["adjustWinPlacement"]),
        (json!(["input", "sessionId"]), "INVALID"),
        "by invitation: {d}"
    );
    let d = gql_data(&app, &admin_person, adjust, json!({"b": b, "l": s[2], "s": open})).await;
    let why = d["adjustWinPlacement"]["placement"]["explanation"].as_str().unwrap().to_owned();
    assert_eq!(
        why,
        format!("Provisional (placement ran before choices closed): moved to Open group by {name}: needs ratios")
    );
    assert!(!why.contains("sc-"), "people are named, not their ids: {why}");
}

#[tokio::test]
async fn a_teachers_win_board_costs_the_same_statements_whatever_the_number_of_students() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 24).await;
    let admin = app.token(WIN, &[]).await;
    let s = learners(&app, &admin).await;
    let mut blocks = vec![];
    for (weeks, choosers) in [(2, 2), (3, s.len())] {
        let b =
            block(&app, &admin, Utc::now().date_naive() + Duration::weeks(weeks), Some(Utc::now() + Duration::days(7)))
                .await;
        let a = session(&app, &admin, &b, "Ratio tables", 100, None).await;
        let lab = session(&app, &admin, &b, "Lab", 100, None).await;
        for l in &s[..choosers] {
            choose(&app, &admin, &b, l, &[&a, &lab]).await;
        }
        gql_data(&app, &admin, RUN, json!({"b": b})).await;
        blocks.push(b);
    }
    let board = "query($b: ID!) { node(id: $b) { ... on WinBlock { placementStatus sessions { title seatsTaken canChoose teacher { sourcedId } } placements(first: 100) { totalCount edges { node { learner { sourcedId givenName } session { title } explanation } } } choiceReview(first: 100) { edges { node { learner { sourcedId } choices { rank session { title } gaps { value } } decision { decision } } } } notChosen(first: 100) { edges { node { sourcedId } } } } } }";
    let (few, d) = app.gql_counted(&admin, board, json!({"b": blocks[0]})).await;
    assert_eq!(d["data"]["node"]["choiceReview"]["edges"].as_array().map(Vec::len), Some(2), "{d}");
    let (many, d) = app.gql_counted(&admin, board, json!({"b": blocks[1]})).await;
    assert_eq!(d["data"]["node"]["choiceReview"]["edges"].as_array().map(Vec::len), Some(s.len()), "{d}");
    assert_eq!(d["data"]["node"]["placements"]["totalCount"], s.len(), "{d}");
    // 13 to 15 on both databases: the same whatever the number of students, but for a loader's
    // batch that a busy machine splits in two (DataLoader batches by a short delay). A
    // statement per row would add at least 22.
    assert!(
        few <= 16.0 && many <= 16.0 && (many - few).abs() <= 2.0,
        "statements: {few} for 2 choosers, {many} for {}",
        s.len()
    );
}
