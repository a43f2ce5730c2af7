//! `learnergraph measure-requests` (hidden): serves the configured database in process and
//! sends one workload's requests through real HTTP, one at a time, so that a run under
//! valgrind's callgrind counts the instructions a number of requests costs. The instruction
//! guard (`tests/api/instructions.rs`) runs it twice with different counts: the difference,
//! divided by the difference in requests, is what one request costs, start-up cancelled out.
//! Instruction counts do not depend on what else the machine is doing, so a 10% growth is a
//! real one.

use anyhow::{Context, bail, ensure};
use entity::{Role, competency, org, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use crate::{app::App, auth::clients, config::Config, db};

// The workloads of issue 17, as the load bench (`benches/load.rs`) sends them too.
/// One learner by sourcedId with their profile.
pub const W1: &str = "query($id: String!) { learner(sourcedId: $id) { sourcedId givenName familyName grades profile { version strengths interests goals { description targetDate status } learningPreferences { modalities pace } } } }";
/// 50 learners of a school with their profiles and the school's count.
pub const W2: &str = "query($id: String!) { school(sourcedId: $id) { learners(first: 50) { totalCount edges { node { sourcedId givenName familyName grades profile { version strengths interests goals { description targetDate status } learningPreferences { modalities pace } } } } } } }";
/// 1,000 results in one `postResults`.
pub const W4: &str = "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { results { outcome } userErrors { field message } } }";

/// Rows of a W4 request.
const ROWS: usize = 1000;

/// Serves `config`'s database and sends `count` requests of `workload` (`w1`, `w2`, `w4`),
/// each checked (HTTP 200, no errors, the rows expected); fails on the first wrong answer.
pub async fn requests(config: Config, workload: &str, count: usize) -> anyhow::Result<()> {
    // It writes a client and 1,000 results a W4 request: never into a district's database.
    ensure!(config.database_url.expose().starts_with("sqlite:"), "measure-requests runs on an SQLite copy only");
    let conn = db::connect(&config, None).await?;
    let app = App::build(Config { bind: ([127, 0, 0, 1], 0).into(), ..config }).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let scopes = "roster.read profiles.read progress.read progress.write";
    let client = clients::create(&conn, "measure-requests", scopes, &[]).await?;
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"].as_str().context("no access token")?.to_owned();
    let learners: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::SourcedId)
        .filter(user::Column::Role.eq(Role::Student))
        .order_by_asc(user::Column::Id)
        .limit(ROWS as u64)
        .into_tuple()
        .all(&conn)
        .await?;
    let school: Option<String> = org::Entity::find()
        .select_only()
        .column(org::Column::SourcedId)
        .filter(org::Column::OrgType.eq(entity::OrgType::School))
        .order_by_asc(org::Column::Id)
        .into_tuple()
        .one(&conn)
        .await?;
    let competencies: Vec<String> = competency::Entity::find()
        .select_only()
        .column(competency::Column::SourceId)
        .filter(competency::Column::ItemType.eq("Standard"))
        .order_by_asc(competency::Column::Id)
        .into_tuple()
        .all(&conn)
        .await?;
    ensure!(!learners.is_empty(), "the database has no learners: seed it first");
    // Every run posts new results: its own prefix.
    let run = uuid::Uuid::new_v4().simple().to_string();
    for n in 0..count {
        let (query, variables, expect): (&str, Value, usize) = match workload {
            "w1" => (W1, json!({"id": learners[n % learners.len()]}), 1),
            "w2" => (W2, json!({"id": school.as_deref().context("no school")?}), 50.min(learners.len())),
            "w4" => {
                ensure!(!competencies.is_empty(), "W4 needs a competency framework");
                let rows: Vec<Value> = (0..ROWS)
                    .map(|i| {
                        json!({"sourcedId": format!("m-{run}-{n}-{i}"), "learnerSourcedId": learners[i % learners.len()],
                               "competencyId": competencies[(n + i) % competencies.len()], "score": (i % 11) as f64,
                               "scoreMax": 10, "evidenceType": "TEST", "occurredAt": "2026-10-01T12:00:00Z"})
                    })
                    .collect();
                (W4, json!({"rows": rows}), ROWS)
            }
            other => bail!("unknown workload `{other}` (w1, w2, w4)"),
        };
        let res = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?;
        ensure!(res.status() == 200, "HTTP {}", res.status());
        let body: Value = res.json().await?;
        ensure!(body.get("errors").is_none(), "the request failed: {body}");
        let got = match workload {
            "w1" => usize::from(body["data"]["learner"]["sourcedId"].is_string()),
            "w2" => body["data"]["school"]["learners"]["edges"].as_array().map_or(0, Vec::len),
            _ => body["data"]["postResults"]["results"]
                .as_array()
                .map_or(0, |r| r.iter().filter(|r| r["outcome"] == "CREATED").count()),
        };
        ensure!(got == expect, "expected {expect} rows, got {got}: {body}");
    }
    clients::set_enabled(&conn, &client.client_id, false).await?;
    Ok(())
}
