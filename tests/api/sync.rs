//! Live subscriptions over WebSocket (graphql-transport-ws): results and item state changes
//! reach subscribers of the caller's orgs, across replicas sharing one PostgreSQL.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    progress::{ALL, post, row, setup},
    support::{TestApp, backend_is_postgres, data, spawn_app, spawn_app_with, ws::Ws},
};

const RESULTS: &str = "subscription { resultChanged { sourcedId score learner { sourcedId } } }";
const ITEMS: &str = "subscription { playlistItemStateChanged { id state } }";

/// Posts warm-up results for `learner` until every subscriber has heard one: a subscription
/// (and, on PostgreSQL, the replica's LISTEN) is live only some time after it was asked for.
pub(crate) async fn warm_up(app: &TestApp, token: &str, learner: &str, subscribers: &mut [&mut Ws]) {
    let mut heard = vec![false; subscribers.len()];
    for i in 0..100 {
        post(app, token, json!([row(&format!("warm{i}"), learner, 1.0, "2026-01-01T10:00:00Z")])).await;
        for (n, ws) in subscribers.iter_mut().enumerate() {
            while !heard[n] {
                match ws.recv(Duration::from_millis(200)).await {
                    Some(m) if m["payload"]["data"]["resultChanged"]["sourcedId"].is_string() => heard[n] = true,
                    Some(_) => {}
                    None => break,
                }
            }
        }
        if heard.iter().all(|h| *h) {
            return;
        }
    }
    panic!("subscribers never heard a result");
}

#[tokio::test]
async fn subscribers_hear_results_and_item_states_of_their_orgs_from_any_replica() {
    // Replicas share PostgreSQL only (README: SQLite is one process), so on PostgreSQL the
    // subscribers talk to a second replica and every event crosses LISTEN/NOTIFY; on SQLite
    // they talk to the writer itself. CI always runs the PostgreSQL pass: `.ci/run` fails,
    // rather than skips, when the PostgreSQL it expects does not answer.
    let primary = &spawn_app().await;
    let replica = if backend_is_postgres() { Some(primary.replica().await) } else { None };
    let subscribed = replica.as_ref().unwrap_or(primary);
    assert_eq!(subscribed.address != primary.address, backend_is_postgres(), "subscribers use another replica");
    let (admin, learners) = setup(primary).await;
    let other = data(
        primary
            .gql(
                &admin,
                "{ school(sourcedId: \"sc-school-002\") { learners(first: 1) { edges { node { sourcedId } } } } }",
                json!({}),
            )
            .await,
    )["school"]["learners"]["edges"][0]["node"]["sourcedId"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut district = Ws::connect(subscribed, &admin).await.unwrap();
    district.subscribe("r", RESULTS).await;
    district.subscribe("i", ITEMS).await;
    let school2 = primary.token(ALL, &["sc-school-002"]).await;
    let mut limited = Ws::connect(subscribed, &school2).await.unwrap();
    limited.subscribe("r", RESULTS).await;
    warm_up(primary, &admin, &other, &mut [&mut district, &mut limited]).await;

    // A result mastering an item on school 001's learner: the district hears both changes.
    let d = data(
        primary
            .gql(
                &admin,
                "mutation($l: String!) { createPlaylist(input: {learnerSourcedId: $l, subject: \"Math\", title: \"P\", items: [{title: \"A\", evidence: TEST, competencyIds: [\"c-rp-1\"]}]}) { playlist { items { id } } } }",
                json!({"l": learners[0]}),
            )
            .await,
    );
    let item = d["createPlaylist"]["playlist"]["items"][0]["id"].clone();
    let live = json!([{"sourcedId": "live-1", "learnerSourcedId": learners[0], "itemId": item, "score": 10, "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-03-02T10:00:00Z"}]);
    assert_eq!(post(primary, &admin, live).await["results"][0]["outcome"], "CREATED");
    let r = district.next_event("r").await;
    assert_eq!(
        r["data"]["resultChanged"],
        json!({"sourcedId": "live-1", "score": 10.0, "learner": {"sourcedId": learners[0]}})
    );
    let i = district.next_event("i").await;
    assert_eq!(i["data"]["playlistItemStateChanged"], json!({"id": item, "state": "MASTERED"}));

    // The tool limited to school 002 hears its own school's next result, and never school 001's.
    post(primary, &admin, json!([row("live-2", &other, 4.0, "2026-03-03T10:00:00Z")])).await;
    let r = limited.next_event("r").await;
    assert_eq!(r["data"]["resultChanged"]["sourcedId"], "live-2", "school 001's result must not reach it: {r}");
}

#[tokio::test]
async fn subscriptions_check_the_token_and_the_scope() {
    let app = spawn_app().await;
    app.seed(1, 2).await;
    let refused = Ws::connect(&app, "not-a-token").await;
    assert!(refused.is_err(), "a bad token gets no connection_ack");
    let playlists_only = app.token("playlists.read", &[]).await;
    let mut ws = Ws::connect(&app, &playlists_only).await.unwrap();
    ws.subscribe("r", RESULTS).await;
    let m = ws.recv(Duration::from_secs(10)).await.unwrap();
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
    assert_eq!(m["payload"]["data"], Value::Null, "{m}");
}

#[tokio::test]
async fn a_revoked_token_or_a_disabled_client_ends_its_subscriptions_at_once() {
    let app = spawn_app().await;
    app.seed(1, 2).await;
    let (id, secret) = app.client("progress.read", &[]).await;
    let token = app.token_for(&id, &secret).await;
    let mut ws = Ws::connect(&app, &token).await.unwrap();
    ws.subscribe("r", RESULTS).await;
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(ws.close_code(Duration::from_secs(10)).await, Some(4403), "closed as forbidden");

    // Disabling the client ends the subscriptions of its other tokens; on PostgreSQL through
    // a second replica, which hears it on the notification channel.
    let other = app.token_for(&id, &secret).await;
    let replica = if backend_is_postgres() { Some(app.replica().await) } else { None };
    let mut ws = Ws::connect(replica.as_ref().unwrap_or(&app), &other).await.unwrap();
    ws.subscribe("r", RESULTS).await;
    let admin = app.admin_token().await;
    let body = app
        .gql(
            &admin,
            "mutation($c: String!) { setOAuthClientEnabled(clientId: $c, enabled: false) { userErrors { message } } }",
            json!({"c": id}),
        )
        .await;
    assert_eq!(data(body)["setOAuthClientEnabled"]["userErrors"], json!([]));
    assert_eq!(ws.close_code(Duration::from_secs(10)).await, Some(4403));
}

#[tokio::test]
async fn an_expired_token_ends_its_subscriptions() {
    let app = spawn_app_with(&[("LEARNERGRAPH_ACCESS_TOKEN_TTL_SECONDS", "2")]).await;
    app.seed(1, 2).await;
    let token = app.token("progress.read", &[]).await;
    let mut ws = Ws::connect(&app, &token).await.unwrap();
    ws.subscribe("r", RESULTS).await;
    assert_eq!(ws.close_code(Duration::from_secs(15)).await, Some(4401), "closed as unauthorized");
}

/// Every change a token sees after `after`, as `(entityType, type, id)`.
async fn feed(app: &TestApp, token: &str, after: &Value) -> Vec<(String, String, String)> {
    let q = "query($after: String) { changes(after: $after, first: 500) { hasMore changes { entityType type id } } }";
    let d = data(app.gql(token, q, json!({"after": after})).await);
    assert_eq!(d["changes"]["hasMore"], false);
    d["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (s("entityType"), s("type"), s("id"))
        })
        .collect()
}

#[tokio::test]
async fn deletions_reach_the_tools_of_the_school_a_learner_left() {
    let app = spawn_app().await;
    app.seed(2, 3).await;
    let admin = app.admin_token().await;
    let shared = data(
        app.gql(
            &admin,
            "mutation { upsertLearner(input: {sourcedId: \"shared-1\", givenName: \"Ana\", familyName: \"Ruiz\", schoolSourcedIds: [\"sc-school-001\", \"sc-school-002\"]}) { learner { id } } }",
            json!({}),
        )
        .await,
    )["upsertLearner"]["learner"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let only = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-001\") { learners(first: 1) { edges { node { id } } } } }",
            json!({}),
        )
        .await,
    )["school"]["learners"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = data(app.gql(&admin, "{ syncCursor }", json!({})).await)["syncCursor"].clone();

    // A rostering tool of school 001 takes both learners out of its school.
    let writer = app.token("roster.read roster.write", &["sc-school-001"]).await;
    for id in [&shared, &only] {
        let d = data(
            app.gql(&writer, "mutation($id: ID!) { deleteRosterRecord(id: $id) { deletedId } }", json!({"id": id}))
                .await,
        );
        assert_eq!(d["deleteRosterRecord"]["deletedId"], json!(id));
    }
    let deleted = |seen: &[(String, String, String)], kind: &str, id: &str| {
        seen.iter().filter(|(k, t, i)| k == kind && t == "DELETED" && i == id).count()
    };

    // Another tool of school 001 hears that both are gone, and their enrollments with them.
    let school1 = app.token("roster.read", &["sc-school-001"]).await;
    let seen = feed(&app, &school1, &start).await;
    assert_eq!((deleted(&seen, "LEARNER", &shared), deleted(&seen, "LEARNER", &only)), (1, 1), "{seen:?}");
    assert!(seen.iter().any(|(k, t, _)| k == "ENROLLMENT" && t == "DELETED"), "{seen:?}");
    // School 002 still has the shared learner: no deletion for it there, nothing of the other.
    let school2 = app.token("roster.read", &["sc-school-002"]).await;
    let seen = feed(&app, &school2, &start).await;
    assert_eq!((deleted(&seen, "LEARNER", &shared), deleted(&seen, "LEARNER", &only)), (0, 0), "{seen:?}");
    assert!(seen.iter().all(|(k, _, _)| k != "ENROLLMENT"), "{seen:?}");
    // District-wide, the learner who left every school is deleted; the shared one is not.
    let district = app.token("roster.read", &[]).await;
    let seen = feed(&app, &district, &start).await;
    assert_eq!((deleted(&seen, "LEARNER", &shared), deleted(&seen, "LEARNER", &only)), (0, 1), "{seen:?}");
}
