//! Read-path benchmark: "50 learners of a school with their profiles" through the whole
//! stack (HTTP, token verification, principal, GraphQL, DataLoaders, database), against a
//! floor measured in the same run: the same rows read straight through the same driver (the
//! school, its first 50 students, their profiles). It skips exactly: HTTP, the token check and
//! the caller's client and orgs, the caller's access filter (the floor reads the school's
//! students without checking who may see them), the access audit, and GraphQL.
//!
//! `cargo bench --bench read_path` (SQLite); `BENCH_DATABASE_URL=postgres://... cargo bench
//! --bench read_path` for PostgreSQL (the database named must exist and be disposable).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use entity::{learner_profile, user, user_org};
use learnergraph::app::App;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query};
use serde_json::json;

mod common;

const ROUNDS: usize = 300;
use common::{QUERY, setup, stats};

#[tokio::main]
async fn main() {
    let (config, db, label) = setup().await;
    let app = App::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let token = common::client_token(&db, &http, &base, "roster.read profiles.read").await;

    // Floor: the school, its first 50 students and their profiles, through the same driver.
    let floor_once = || async {
        let school: (i64,) = entity::org::Entity::find()
            .select_only()
            .column(entity::org::Column::Id)
            .filter(entity::org::Column::SourcedId.eq("sc-school-001"))
            .into_tuple()
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let users = user::Entity::find()
            .filter(user::Column::Role.eq("student"))
            .filter(user::Column::Status.eq("active"))
            .filter(
                user::Column::Id.in_subquery(
                    Query::select()
                        .column(user_org::Column::UserId)
                        .from(user_org::Entity)
                        .and_where(user_org::Column::OrgId.eq(school.0))
                        .to_owned(),
                ),
            )
            .order_by_asc(user::Column::Id)
            .limit(50)
            .all(&db)
            .await
            .unwrap();
        let profiles = learner_profile::Entity::find()
            .filter(learner_profile::Column::UserId.is_in(users.iter().map(|u| u.id)))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(profiles.len(), 50);
    };
    let api_once = || async {
        let res = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": QUERY}))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["data"]["school"]["learners"]["edges"].as_array().map(Vec::len), Some(50), "{body}");
    };
    for _ in 0..30 {
        floor_once().await;
        api_once().await;
    }
    let statements = |text: String| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix("learnergraph_db_statements_total ").and_then(|v| v.trim().parse::<f64>().ok())
            })
            .expect("the server exposes learnergraph_db_statements_total")
    };
    let before = statements(http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap());
    let mut floor = Vec::with_capacity(ROUNDS);
    let mut api = Vec::with_capacity(ROUNDS);
    // Interleaved, so both see the same machine state.
    for _ in 0..ROUNDS {
        let t = Instant::now();
        floor_once().await;
        floor.push(t.elapsed());
        let t = Instant::now();
        api_once().await;
        api.push(t.elapsed());
    }
    let after = statements(http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap());
    let (f_mean, f_p50, f_p95) = stats(floor);
    let (a_mean, a_p50, a_p95) = stats(api);
    println!("read path on {label}, {ROUNDS} sequential requests each (ms):");
    println!("  floor (3 queries, same driver)   mean {f_mean:7.3}  p50 {f_p50:7.3}  p95 {f_p95:7.3}");
    println!("  API (HTTP+auth+GraphQL+loaders)  mean {a_mean:7.3}  p50 {a_p50:7.3}  p95 {a_p95:7.3}");
    println!("  ratio API/floor (p50)            {:.2}x", a_p50 / f_p50);
    println!("  SQL statements per API request   {:.1}", (after - before) / ROUNDS as f64);
    db.execute_unprepared("SELECT 1").await.unwrap();
}
