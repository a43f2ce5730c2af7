//! Playlists as teachers, students and administrators use them: the time zones their dates are
//! reckoned in, what a result counts toward, an item's state beside the evidence, and a class's
//! progress paged in name order.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::{
    progress::{post, setup},
    support::{TestApp, data, error_code, spawn_app_with},
};

/// An app whose people sign in through the development sign-in.
async fn signing_in() -> TestApp {
    spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await
}

/// An administrators' console: a front end that may also write the roster.
const CONSOLE: &str =
    "roster.read roster.write profiles.read playlists.read playlists.write progress.read progress.write";

const SET_ZONE: &str = "mutation($o: String!, $z: String) { setOrgTimeZone(input: {orgSourcedId: $o, timeZone: $z}) { org { ... on School { sourcedId timeZone } ... on District { sourcedId timeZone } } userErrors { field code message } } }";

const ZONES: &str = "{ districts { edges { node { sourcedId timeZone } } } a: school(sourcedId: \"sc-school-001\") { timeZone dateLastModified district { timeZone } } b: school(sourcedId: \"sc-school-002\") { timeZone } }";

/// The district's zone and each school's, as a district-wide tool reads them.
async fn zones(app: &TestApp, tool: &str) -> Value {
    let d = data(app.gql(tool, ZONES, json!({})).await);
    json!([d["districts"]["edges"][0]["node"]["timeZone"], d["a"]["timeZone"], d["b"]["timeZone"]])
}

async fn set_zone(app: &TestApp, token: &str, org: &str, zone: Option<&str>) -> Value {
    app.gql(token, SET_ZONE, json!({"o": org, "z": zone})).await
}

#[tokio::test]
async fn districts_and_schools_set_clear_and_inherit_time_zones() {
    let app = signing_in().await;
    app.seed(2, 5).await;
    let tool = app.admin_token().await;
    // The seeded district lives in Chicago; its schools set none, so they do too.
    assert_eq!(zones(&app, &tool).await, json!(["America/Chicago", "America/Chicago", "America/Chicago"]));
    let before = data(app.gql(&tool, ZONES, json!({})).await)["a"]["dateLastModified"].clone();

    // School 001's administrator sets their own school's zone.
    let principal = app.dev_sign_in_via(CONSOLE, "sc-admin-001", "roster.read roster.write").await;
    let d = data(set_zone(&app, &principal, "sc-school-001", Some("America/Denver")).await);
    assert_eq!(
        d["setOrgTimeZone"],
        json!({"org": {"sourcedId": "sc-school-001", "timeZone": "America/Denver"}, "userErrors": []})
    );
    assert_eq!(zones(&app, &tool).await, json!(["America/Chicago", "America/Denver", "America/Chicago"]));
    let after = data(app.gql(&tool, ZONES, json!({})).await)["a"]["dateLastModified"].clone();
    assert!(after.as_str() > before.as_str(), "the school's dateLastModified moves: {before} -> {after}");

    // Not another school's (it can't see it), nor the district's.
    let d = data(set_zone(&app, &principal, "sc-school-002", Some("America/Denver")).await);
    assert_eq!(
        d["setOrgTimeZone"],
        json!({"org": null, "userErrors": [{"field": ["input", "orgSourcedId"], "code": "NOT_FOUND", "message": "no district or school `sc-school-002` among yours"}]})
    );
    let body = set_zone(&app, &principal, "sc-district", Some("America/Denver")).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(zones(&app, &tool).await, json!(["America/Chicago", "America/Denver", "America/Chicago"]));

    // A teacher may not, whatever the school.
    let teacher = app.dev_sign_in_via(CONSOLE, "sc-t-001-06-math-0", "roster.read").await;
    let body = set_zone(&app, &teacher, "sc-school-001", Some("Europe/Paris")).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // A tool granted school 001 sets that school's, not the district's.
    let school_tool = app.token("roster.read roster.write", &["sc-school-001"]).await;
    let body = set_zone(&app, &school_tool, "sc-district", Some("Europe/Paris")).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(zones(&app, &tool).await, json!(["America/Chicago", "America/Denver", "America/Chicago"]));

    // A name that is not an IANA zone changes nothing.
    let d = data(set_zone(&app, &principal, "sc-school-001", Some("Mars/Olympus")).await);
    assert_eq!(
        d["setOrgTimeZone"],
        json!({"org": null, "userErrors": [{"field": ["input", "timeZone"], "code": "INVALID",
               "message": "`Mars/Olympus` is not an IANA time zone name (e.g. `America/Chicago`)"}]})
    );
    assert_eq!(zones(&app, &tool).await, json!(["America/Chicago", "America/Denver", "America/Chicago"]));

    // The district's administrator moves the district; a school that cleared its own follows.
    let district_admin = app.dev_sign_in_via(CONSOLE, "sc-admin-district", "roster.read roster.write").await;
    let d = data(set_zone(&app, &district_admin, "sc-district", Some("Pacific/Honolulu")).await);
    assert_eq!(
        d["setOrgTimeZone"],
        json!({"org": {"sourcedId": "sc-district", "timeZone": "Pacific/Honolulu"}, "userErrors": []})
    );
    assert_eq!(zones(&app, &tool).await, json!(["Pacific/Honolulu", "America/Denver", "Pacific/Honolulu"]));
    let d = data(set_zone(&app, &school_tool, "sc-school-001", None).await);
    assert_eq!(
        d["setOrgTimeZone"],
        json!({"org": {"sourcedId": "sc-school-001", "timeZone": "Pacific/Honolulu"}, "userErrors": []})
    );
    assert_eq!(zones(&app, &tool).await, json!(["Pacific/Honolulu", "Pacific/Honolulu", "Pacific/Honolulu"]));
    // With neither, UTC.
    data(set_zone(&app, &district_admin, "sc-district", None).await);
    assert_eq!(zones(&app, &tool).await, json!(["UTC", "UTC", "UTC"]));
}

/// Today's date in a zone, as the test sees it.
fn today_in(zone: Tz) -> NaiveDate {
    Utc::now().with_timezone(&zone).date_naive()
}

#[tokio::test]
async fn an_item_is_overdue_by_its_schools_local_date() {
    let app = signing_in().await;
    let (admin, learners) = setup(&app).await;
    let tool = app.admin_token().await;
    let l = &learners[0];
    // Pago Pago (UTC-11) and Kiritimati (UTC+14) are 25 hours apart: whatever the UTC hour,
    // Kiritimati's date is one or two days after Pago Pago's. An item due today in Pago Pago is
    // not overdue there, and overdue in Kiritimati.
    for _attempt in 0..2 {
        let pago = today_in(Tz::Pacific__Pago_Pago);
        data(set_zone(&app, &tool, "sc-school-001", Some("Pacific/Pago_Pago")).await);
        let d = data(
            app.gql(
                &admin,
                "mutation($l: String!, $today: NaiveDate!, $yesterday: NaiveDate!) { createPlaylist(input: {learnerSourcedId: $l, schoolSourcedId: \"sc-school-001\", subject: \"Math\", title: \"Due\", items: [{title: \"Today\", evidence: TEST, targetDate: $today}, {title: \"Yesterday\", evidence: TEST, targetDate: $yesterday}]}) { playlist { id items { overdue } } userErrors { message } } }",
                json!({"l": l, "today": pago, "yesterday": pago - Duration::days(1)}),
            )
            .await,
        );
        let playlist = d["createPlaylist"]["playlist"]["id"].clone();
        let in_pago = d["createPlaylist"]["playlist"]["items"].clone();
        let items = "query($p: ID!) { node(id: $p) { ... on Playlist { items { title overdue } } } }";
        data(set_zone(&app, &tool, "sc-school-001", Some("Pacific/Kiritimati")).await);
        let in_kiritimati = data(app.gql(&admin, items, json!({"p": playlist})).await)["node"]["items"].clone();
        // Through the district: the school clears its own zone and the district names Kiritimati.
        data(set_zone(&app, &tool, "sc-school-001", None).await);
        data(set_zone(&app, &tool, "sc-district", Some("Pacific/Kiritimati")).await);
        let via_district = data(app.gql(&admin, items, json!({"p": playlist})).await)["node"]["items"].clone();
        data(set_zone(&app, &tool, "sc-district", Some("America/Chicago")).await);
        if today_in(Tz::Pacific__Pago_Pago) != pago {
            // Pago Pago's midnight passed during the run: once more, on the new date.
            continue;
        }
        assert_eq!(in_pago, json!([{"overdue": false}, {"overdue": true}]));
        let both = json!([{"title": "Today", "overdue": true}, {"title": "Yesterday", "overdue": true}]);
        assert_eq!(in_kiritimati, both);
        assert_eq!(via_district, both);
        return;
    }
    panic!("Pago Pago's date changed during both attempts");
}

#[tokio::test]
async fn a_class_progress_defaults_to_today_in_the_class_school() {
    let app = signing_in().await;
    let (admin, learners) = setup(&app).await;
    let tool = app.admin_token().await;
    let class = data(app.gql(&admin, "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id } }", json!({})).await)["class"]
        ["id"]
        .clone();
    let progress = "query($c: ID!, $l: String!) { classPlaylistProgress(classId: $c, filter: {learnerSourcedId: $l}) { totalCount edges { node { learner { sourcedId } overdueItems { title overdue } } } } }";
    for attempt in 0..2 {
        let pago = today_in(Tz::Pacific__Pago_Pago);
        data(set_zone(&app, &tool, "sc-school-001", Some("Pacific/Pago_Pago")).await);
        let l = &learners[1 + attempt];
        let d = data(
            app.gql(
                &admin,
                "mutation($l: String!, $today: NaiveDate!) { createPlaylist(input: {learnerSourcedId: $l, classSourcedId: \"sc-c-001-06-math-s1\", subject: \"Math\", title: \"Due\", items: [{title: \"Today\", evidence: TEST, targetDate: $today}]}) { userErrors { message } } }",
                json!({"l": l, "today": pago}),
            )
            .await,
        );
        assert_eq!(d["createPlaylist"]["userErrors"], json!([]), "{d}");
        let in_pago = data(app.gql(&admin, progress, json!({"c": class, "l": l})).await);
        data(set_zone(&app, &tool, "sc-school-001", Some("Pacific/Kiritimati")).await);
        let in_kiritimati = data(app.gql(&admin, progress, json!({"c": class, "l": l})).await);
        if today_in(Tz::Pacific__Pago_Pago) != pago {
            continue;
        }
        let row = |overdue: Value| json!({"classPlaylistProgress": {"totalCount": 1, "edges": [{"node": {"learner": {"sourcedId": l}, "overdueItems": overdue}}]}});
        assert_eq!(in_pago, row(json!([])));
        assert_eq!(in_kiritimati, row(json!([{"title": "Today", "overdue": true}])));
        return;
    }
    panic!("Pago Pago's date changed during both attempts");
}

const ITEMS: &str = "query($l: String!) { learner(sourcedId: $l) { playlists { items { title state competenciesMastered masteryDisagrees } } } }";

#[tokio::test]
async fn results_show_their_competencies_and_items_show_evidence_beside_state() {
    let app = signing_in().await;
    let (admin, learners) = setup(&app).await;
    let l = &learners[0];
    let fw = data(app.gql(&admin, "{ competencyFrameworks { edges { node { id } } } }", json!({})).await)
        ["competencyFrameworks"]["edges"][0]["node"]["id"]
        .clone();
    let d = data(
        app.gql(
            &admin,
            "mutation($fw: ID!) { setMasteryCalculation(input: {frameworkId: $fw, calculation: MOST_RECENT}) { userErrors { message } } }",
            json!({"fw": fw}),
        )
        .await,
    );
    assert_eq!(d["setMasteryCalculation"]["userErrors"], json!([]), "{d}");
    let d = data(
        app.gql(
            &admin,
            "mutation($l: String!) { createPlaylist(input: {learnerSourcedId: $l, classSourcedId: \"sc-c-001-06-math-s1\", subject: \"Math\", title: \"Ratios\", items: [{title: \"One\", evidence: TEST, competencyIds: [\"c-rp-1\"]}, {title: \"Both\", evidence: PROJECT, competencyIds: [\"c-rp-1\", \"c-rp-2\"]}, {title: \"None\", evidence: OTHER}]}) { playlist { items { id } } userErrors { message } } }",
            json!({"l": l}),
        )
        .await,
    );
    let items: Vec<Value> =
        d["createPlaylist"]["playlist"]["items"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect();
    assert_eq!(items.len(), 3, "{d}");

    // A result posted for an item without naming a competency counts toward the item's.
    let posted = post(
        &app,
        &admin,
        json!([
            {"sourcedId": "on-one", "learnerSourcedId": l, "itemId": items[0], "score": 3, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-01T10:00:00Z"},
            {"sourcedId": "on-both", "learnerSourcedId": l, "itemId": items[1], "score": 4, "scoreMax": 10, "evidenceType": "PROJECT", "occurredAt": "2026-03-01T11:00:00Z"},
            {"sourcedId": "named", "learnerSourcedId": l, "itemId": items[1], "competencyId": "c-rp-2", "score": 5, "scoreMax": 10, "evidenceType": "PROJECT", "occurredAt": "2026-03-01T12:00:00Z"},
        ]),
    )
    .await;
    assert_eq!(posted["userErrors"], json!([]), "{posted}");
    let d = data(
        app.gql(
            &admin,
            "{ results(first: 10) { edges { node { sourcedId competency { code } competencies { code } } } } }",
            json!({}),
        )
        .await,
    );
    let mut rows: Vec<Value> = d["results"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    rows.sort_by_key(|r| r["sourcedId"].as_str().unwrap().to_owned());
    assert_eq!(
        rows,
        [
            json!({"sourcedId": "named", "competency": {"code": "MATH.6.RP.2"}, "competencies": [{"code": "MATH.6.RP.2"}]}),
            json!({"sourcedId": "on-both", "competency": null, "competencies": [{"code": "MATH.6.RP.1"}, {"code": "MATH.6.RP.2"}]}),
            json!({"sourcedId": "on-one", "competency": {"code": "MATH.6.RP.1"}, "competencies": [{"code": "MATH.6.RP.1"}]}),
        ]
    );

    // The teacher marks "One" mastered while the evidence says otherwise: both are shown, and
    // the item is flagged for the teacher; the state is not rewritten from the evidence.
    let teacher = app
        .dev_sign_in("sc-t-001-06-math-0", "roster.read playlists.read playlists.write progress.read progress.write")
        .await;
    let set = "mutation($i: ID!) { setPlaylistItemState(input: {itemId: $i, state: MASTERED}) { item { state competenciesMastered masteryDisagrees } userErrors { message } } }";
    let d = data(app.gql(&teacher, set, json!({"i": items[0]})).await);
    assert_eq!(
        d["setPlaylistItemState"],
        json!({"item": {"state": "MASTERED", "competenciesMastered": false, "masteryDisagrees": true}, "userErrors": []})
    );
    let student = app.dev_sign_in(l, "roster.read playlists.read progress.read").await;
    let expected = json!([
        {"title": "One", "state": "MASTERED", "competenciesMastered": false, "masteryDisagrees": true},
        {"title": "Both", "state": "NOT_STARTED", "competenciesMastered": false, "masteryDisagrees": false},
        {"title": "None", "state": "NOT_STARTED", "competenciesMastered": null, "masteryDisagrees": false},
    ]);
    for (who, token) in [("teacher", &teacher), ("student", &student)] {
        let d = data(app.gql(token, ITEMS, json!({"l": l})).await);
        assert_eq!(d["learner"]["playlists"][0]["items"], expected, "as the {who}");
    }

    // Evidence of mastery of RP.1 agrees with "One"; "Both" still needs RP.2.
    let d = post(
        &app,
        &admin,
        json!([{"sourcedId": "strong", "learnerSourcedId": l, "competencyId": "c-rp-1", "score": 10, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-02T10:00:00Z"}]),
    )
    .await;
    assert_eq!(d["userErrors"], json!([]), "{d}");
    let d = data(app.gql(&teacher, ITEMS, json!({"l": l})).await);
    assert_eq!(
        d["learner"]["playlists"][0]["items"],
        json!([
            {"title": "One", "state": "MASTERED", "competenciesMastered": true, "masteryDisagrees": false},
            {"title": "Both", "state": "NOT_STARTED", "competenciesMastered": false, "masteryDisagrees": false},
            {"title": "None", "state": "NOT_STARTED", "competenciesMastered": null, "masteryDisagrees": false},
        ])
    );
}

/// The database id behind a global ID.
fn id_of(global: &Value) -> i64 {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(global.as_str().unwrap()).unwrap()).unwrap();
    text.split_once(':').unwrap().1.parse().unwrap()
}

const PAGE: &str = "query($c: ID!, $first: Int, $after: String, $last: Int, $before: String, $f: ClassPlaylistProgressFilter) { classPlaylistProgress(classId: $c, asOf: \"2026-06-01\", first: $first, after: $after, last: $last, before: $before, filter: $f) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { cursor node { learner { sourcedId } itemsDone itemsTotal overdueItems { title } } } } }";

fn sids(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["learner"]["sourcedId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_class_progress_pages_in_name_order_with_filters() {
    let app = signing_in().await;
    let (admin, learners) = setup(&app).await;
    let tool = app.admin_token().await;
    assert!(learners.len() >= 6, "fixture: {learners:?}");
    // Two learners share a whole name, so only their ids order them.
    for sid in &learners[..2] {
        let d = data(
            app.gql(
                &tool,
                "mutation($s: String!) { upsertLearner(input: {sourcedId: $s, givenName: \"Sam\", familyName: \"Aardvark\", schoolSourcedIds: [\"sc-school-001\"]}) { userErrors { message } } }",
                json!({"s": sid}),
            )
            .await,
        );
        assert_eq!(d["upsertLearner"]["userErrors"], json!([]), "{d}");
    }
    let d = data(
        app.gql(
            &tool,
            "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id learners(first: 100) { edges { node { id sourcedId givenName familyName } } } } }",
            json!({}),
        )
        .await,
    );
    let class = d["class"]["id"].clone();
    let mut order: Vec<(String, String, i64, String)> = d["class"]["learners"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["familyName"].as_str().unwrap().to_owned(),
                n["givenName"].as_str().unwrap().to_owned(),
                id_of(&n["id"]),
                n["sourcedId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    order.sort();
    let order: Vec<String> = order.into_iter().map(|o| o.3).collect();
    assert_eq!(order.len(), learners.len());
    assert_eq!(
        &order[..2].iter().cloned().collect::<std::collections::BTreeSet<_>>(),
        &learners[..2].iter().cloned().collect()
    );

    // Every learner gets an item due in 2020; two of them have mastered it.
    let d = data(
        app.gql(
            &admin,
            "mutation { createPlaylist(input: {classSourcedId: \"sc-c-001-06-math-s1\", subject: \"Math\", title: \"Unit\", items: [{title: \"Due\", evidence: TEST, targetDate: \"2020-01-01\"}]}) { playlist { id } } }",
            json!({}),
        )
        .await,
    );
    let d = data(
        app.gql(
            &admin,
            "mutation($t: ID!) { assignPlaylistTemplate(input: {templateId: $t, classSourcedId: \"sc-c-001-06-math-s1\"}) { playlists { learner { sourcedId } items { id } } } }",
            json!({"t": d["createPlaylist"]["playlist"]["id"]}),
        )
        .await,
    );
    let done = [order[1].clone(), order[4].clone()];
    for p in d["assignPlaylistTemplate"]["playlists"].as_array().unwrap() {
        if done.iter().any(|s| p["learner"]["sourcedId"] == s.as_str()) {
            let d = data(
                app.gql(
                    &admin,
                    "mutation($i: ID!) { setPlaylistItemState(input: {itemId: $i, state: MASTERED}) { item { state } } }",
                    json!({"i": p["items"][0]["id"]}),
                )
                .await,
            );
            assert_eq!(d["setPlaylistItemState"]["item"]["state"], "MASTERED");
        }
    }

    // The teacher pages through two at a time: name order, nobody twice, nobody missed.
    let teacher = app.dev_sign_in("sc-t-001-06-math-0", "roster.read playlists.read").await;
    let first = data(app.gql(&teacher, PAGE, json!({"c": class, "first": 2})).await)["classPlaylistProgress"].clone();
    assert_eq!(first["totalCount"], order.len());
    assert_eq!(sids(&first), order[..2]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(
        first["edges"][1]["node"],
        json!({"learner": {"sourcedId": order[1]}, "itemsDone": 1, "itemsTotal": 1, "overdueItems": []})
    );
    let mut seen = sids(&first);
    let mut cursor = first["pageInfo"]["endCursor"].clone();
    loop {
        let page = data(app.gql(&teacher, PAGE, json!({"c": class, "first": 2, "after": cursor})).await)
            ["classPlaylistProgress"]
            .clone();
        assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
        seen.extend(sids(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        cursor = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, order);
    // Backwards from the third learner: the two before it.
    let third = data(
        app.gql(&teacher, PAGE, json!({"c": class, "first": 1, "after": first["pageInfo"]["endCursor"]})).await,
    )["classPlaylistProgress"]
        .clone();
    let back =
        data(app.gql(&teacher, PAGE, json!({"c": class, "last": 2, "before": third["pageInfo"]["startCursor"]})).await)
            ["classPlaylistProgress"]
            .clone();
    assert_eq!(sids(&back), order[..2]);
    assert_eq!(
        (back["pageInfo"]["hasPreviousPage"].clone(), back["pageInfo"]["hasNextPage"].clone()),
        (json!(false), json!(true))
    );

    // Only the learners with something overdue: everyone but the two who mastered it.
    let overdue: Vec<String> = order.iter().filter(|s| !done.contains(s)).cloned().collect();
    let page = data(app.gql(&teacher, PAGE, json!({"c": class, "first": 3, "f": {"overdueOnly": true}})).await)
        ["classPlaylistProgress"]
        .clone();
    assert_eq!(page["totalCount"], overdue.len());
    assert_eq!(sids(&page), overdue[..3]);
    assert_eq!(page["edges"][0]["node"]["overdueItems"], json!([{"title": "Due"}]));
    let next = data(
        app.gql(
            &teacher,
            PAGE,
            json!({"c": class, "first": 100, "after": page["pageInfo"]["endCursor"], "f": {"overdueOnly": true}}),
        )
        .await,
    )["classPlaylistProgress"]
        .clone();
    assert_eq!(sids(&next), overdue[3..]);
    // One learner.
    let one = data(app.gql(&teacher, PAGE, json!({"c": class, "f": {"learnerSourcedId": order[4]}})).await)
        ["classPlaylistProgress"]
        .clone();
    assert_eq!((one["totalCount"].clone(), sids(&one)), (json!(1), vec![order[4].clone()]));
    // A cursor of another kind is refused.
    let body = app.gql(&teacher, PAGE, json!({"c": class, "first": 2, "after": "Yzo1"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    // Only the learners on the page are recorded as seen.
    let (reader, secret) = app.client("roster.read playlists.read", &[]).await;
    let token = app.token_for(&reader, &secret).await;
    let page =
        data(app.gql(&token, PAGE, json!({"c": class, "first": 2, "after": first["pageInfo"]["endCursor"]})).await);
    assert_eq!(sids(&page["classPlaylistProgress"]), order[2..4]);
    let events = data(
        app.gql(
            &tool,
            "query($c: String) { auditEvents(filter: {clientId: $c}) { totalCount edges { node { learnerSourcedIds } } } }",
            json!({"c": reader}),
        )
        .await,
    );
    assert_eq!(events["auditEvents"]["totalCount"], 1, "{events}");
    let mut named: Vec<String> =
        serde_json::from_value(events["auditEvents"]["edges"][0]["node"]["learnerSourcedIds"].clone()).unwrap();
    named.sort();
    let mut expected = order[2..4].to_vec();
    expected.sort();
    assert_eq!(named, expected);

    // The page's size does not change what the request costs.
    let doc = "query($c: ID!, $first: Int) { classPlaylistProgress(classId: $c, first: $first) { totalCount edges { node { learner { sourcedId } itemsDone overdueItems { title overdue } } } } }";
    let (small, d) = app.gql_counted(&teacher, doc, json!({"c": class, "first": 1})).await;
    assert_eq!(data(d)["classPlaylistProgress"]["edges"].as_array().unwrap().len(), 1);
    let (large, d) = app.gql_counted(&teacher, doc, json!({"c": class, "first": 100})).await;
    assert_eq!(data(d)["classPlaylistProgress"]["edges"].as_array().unwrap().len(), order.len());
    // The same, but for a loader's batch a busy machine may split in two (DataLoader batches by
    // a short delay); a statement per learner would add one for each.
    assert!((large - small).abs() <= 2.0, "statements: {small} for a page of 1, {large} for {}", order.len());
}
