//! Bulk result posting: one `postResults` mutation of 1,000 results through the whole stack
//! (HTTP, token, GraphQL, validation, idempotent insert, mastery roll-up, item states, the
//! changes feed, events), against a floor measured in the same run that does the same database
//! work by hand through the same driver, in one committed transaction: look up the 1,000
//! learners and their competencies by sourcedId, insert the rows idempotently (`ON CONFLICT DO
//! NOTHING`), read every result bearing on the touched (learner, competency) pairs, upsert one
//! mastery row per pair (a plain mean), and append one changes-feed entry per result. It skips
//! exactly: HTTP, the token check, GraphQL, per-row validation messages, the framework's
//! calculation rules, playlist item states, the access audit and the live events.
//!
//! `cargo bench --bench post_results` (SQLite); `BENCH_DATABASE_URL=postgres://... cargo bench
//! --bench post_results` for PostgreSQL (the database named must exist and be disposable).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::{BTreeSet, HashMap},
    time::{Duration, Instant},
};

use entity::{competency, mastery, result, user};
use learnergraph::{
    app::App,
    seed::DEMO_CASE_PACKAGE,
    sync::{Change, ChangeEntity},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, sea_query::OnConflict,
};
use serde_json::{Value, json};

mod common;

use common::{setup, stats};

const ROWS: usize = 1000;
const ROUNDS: usize = 12;
const POST: &str = "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { results { outcome } userErrors { field message } } }";

#[tokio::main]
async fn main() {
    let (config, db, label) = setup().await;
    let app = App::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let p = learnergraph::auth::Principal::system();
    let package = learnergraph::competencies::case::parse(DEMO_CASE_PACKAGE).unwrap();
    learnergraph::competencies::store::import(&db, &p, None, package).await.unwrap();
    let comps: Vec<(i64, String)> = competency::Entity::find()
        .select_only()
        .columns([competency::Column::Id, competency::Column::SourceId])
        .filter(competency::Column::ItemType.eq("Standard"))
        .order_by_asc(competency::Column::Id)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    let learners: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::SourcedId])
        .filter(user::Column::Role.eq("student"))
        .order_by_asc(user::Column::Id)
        .limit(ROWS as u64)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(learners.len(), ROWS);

    let http = reqwest::Client::new();
    let token = common::client_token(&db, &http, &base, "progress.read progress.write").await;

    // Row i of round r: learner i, one of the framework's standards, a score out of 10.
    let at = chrono::DateTime::parse_from_rfc3339("2026-10-01T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let score = |r: usize, i: usize| ((r * 7 + i * 3) % 11) as f64;
    let rows_json = |r: usize| -> Value {
        (0..ROWS)
            .map(|i| {
                json!({"sourcedId": format!("bench-{r}-{i}"), "learnerSourcedId": learners[i].1,
                       "competencyId": comps[(r + i) % comps.len()].1, "score": score(r, i), "scoreMax": 10,
                       "evidenceType": "TEST", "occurredAt": at.to_rfc3339()})
            })
            .collect()
    };
    let floor_rows = |r: usize| -> Vec<result::ActiveModel> {
        let now = learnergraph::db::now();
        (0..ROWS)
            .map(|i| result::ActiveModel {
                poster: Set("floor".into()),
                sourced_id: Set(format!("floor-{r}-{i}")),
                learner_id: Set(learners[i].0),
                item_id: Set(None),
                competency_id: Set(Some(comps[(r + i) % comps.len()].0)),
                score: Set(Some(score(r, i))),
                score_max: Set(Some(10.0)),
                mastery_level: Set(None),
                value: Set(score(r, i) / 10.0),
                evidence: Set(entity::Evidence::Test),
                occurred_at: Set(at),
                comment: Set(None),
                content_hash: Set(format!("{r}-{i}")),
                override_value: Set(None),
                override_level: Set(None),
                override_by: Set(None),
                override_note: Set(None),
                overridden_at: Set(None),
                status: Set(entity::Status::Active),
                created_at: Set(now),
                date_last_modified: Set(now),
                ..Default::default()
            })
            .collect()
    };
    let floor_once = |r: usize| {
        let rows = floor_rows(r);
        let db = &db;
        let learner_sids: Vec<String> = learners.iter().map(|l| l.1.clone()).collect();
        let comp_sids: Vec<String> = (0..ROWS).map(|i| comps[(r + i) % comps.len()].1.clone()).collect();
        async move {
            let t = Instant::now();
            let txn = db.begin().await.unwrap();
            let found =
                user::Entity::find().filter(user::Column::SourcedId.is_in(learner_sids)).all(&txn).await.unwrap();
            assert_eq!(found.len(), ROWS);
            let _ = competency::Entity::find()
                .filter(competency::Column::SourceId.is_in(comp_sids))
                .all(&txn)
                .await
                .unwrap();
            let pairs: BTreeSet<(i64, i64)> =
                rows.iter().map(|m| (*m.learner_id.as_ref(), m.competency_id.as_ref().unwrap())).collect();
            result::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([result::Column::Poster, result::Column::SourcedId]).do_nothing().to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .unwrap();
            let evidence = result::Entity::find()
                .filter(result::Column::Status.eq("active"))
                .filter(result::Column::LearnerId.is_in(pairs.iter().map(|p| p.0)))
                .filter(result::Column::CompetencyId.is_in(pairs.iter().map(|p| p.1)))
                .all(&txn)
                .await
                .unwrap();
            let mut by_pair: HashMap<(i64, i64), Vec<&result::Model>> = HashMap::new();
            for e in &evidence {
                if let Some(c) = e.competency_id.filter(|c| pairs.contains(&(e.learner_id, *c))) {
                    by_pair.entry((e.learner_id, c)).or_default().push(e);
                }
            }
            let now = learnergraph::db::now();
            let upserts: Vec<mastery::ActiveModel> = by_pair
                .iter()
                .map(|((l, c), es)| {
                    let value = es.iter().map(|e| e.value).sum::<f64>() / es.len() as f64;
                    mastery::ActiveModel {
                        learner_id: Set(*l),
                        competency_id: Set(*c),
                        value: Set(Some(value)),
                        level: Set(None),
                        mastered: Set(value >= 0.8),
                        evidence_count: Set(es.len() as i32),
                        last_evidence_at: Set(es.iter().map(|e| e.occurred_at).max()),
                        date_last_modified: Set(now),
                    }
                })
                .collect();
            for chunk in upserts.chunks(1000) {
                mastery::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([mastery::Column::LearnerId, mastery::Column::CompetencyId])
                            .update_columns([
                                mastery::Column::Value,
                                mastery::Column::Mastered,
                                mastery::Column::EvidenceCount,
                                mastery::Column::LastEvidenceAt,
                                mastery::Column::DateLastModified,
                            ])
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await
                    .unwrap();
            }
            // One entry per row of this round (the evidence also holds earlier rounds').
            let round = format!("floor-{r}-");
            let changes: Vec<Change> = evidence
                .iter()
                .filter(|e| e.poster == "floor" && e.sourced_id.starts_with(&round))
                .map(|e| Change {
                    entity: ChangeEntity::Result,
                    id: e.id,
                    org_id: None,
                    person_id: Some(e.learner_id),
                    deleted: false,
                })
                .collect();
            learnergraph::sync::store::record(&txn, &changes).await.unwrap();
            txn.commit().await.unwrap();
            t.elapsed()
        }
    };
    let api_once = |rows: Value, expect: &'static str| {
        let req = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": POST, "variables": {"rows": rows}}));
        async move {
            let t = Instant::now();
            let body: Value = req.send().await.unwrap().json().await.unwrap();
            let took = t.elapsed();
            let results = body["data"]["postResults"]["results"].as_array().unwrap_or_else(|| panic!("{body}"));
            assert_eq!(results.len(), ROWS, "{body}");
            assert!(results.iter().all(|r| r["outcome"] == expect), "{body}");
            took
        }
    };
    let statements = |text: String| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix("learnergraph_db_statements_total ").and_then(|v| v.trim().parse::<f64>().ok())
            })
            .expect("the server exposes learnergraph_db_statements_total")
    };

    // Warm-up rounds are not counted.
    for r in 0..2 {
        floor_once(r).await;
        api_once(rows_json(r), "CREATED").await;
    }
    let mut floor: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let mut api: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let mut retry: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let metrics = || http.get(format!("{base}/metrics")).send();
    let mut api_statements = 0.0;
    // Interleaved, so every variant sees the same machine state.
    for r in 2..2 + ROUNDS {
        floor.push(floor_once(r).await);
        let before = statements(metrics().await.unwrap().text().await.unwrap());
        api.push(api_once(rows_json(r), "CREATED").await);
        api_statements += statements(metrics().await.unwrap().text().await.unwrap()) - before;
        // A retry of the same batch: every row answered as unchanged, nothing written.
        retry.push(api_once(rows_json(r), "UNCHANGED").await);
    }
    let per_second = |ms: f64| ROWS as f64 / (ms / 1000.0);
    let (f_mean, f_p50, _) = stats(floor);
    let (a_mean, a_p50, a_p95) = stats(api);
    let (r_mean, r_p50, _) = stats(retry);
    println!("posting {ROWS} results in one request on {label}, {ROUNDS} rounds (ms per batch):");
    println!(
        "  floor (same reads and writes, hand-written) mean {f_mean:8.1}  p50 {f_p50:8.1}   {:8.0} results/s",
        per_second(f_p50)
    );
    println!(
        "  postResults, new rows                      mean {a_mean:8.1}  p50 {a_p50:8.1}   {:8.0} results/s  (p95 {a_p95:.1})",
        per_second(a_p50)
    );
    println!(
        "  postResults, the same batch retried        mean {r_mean:8.1}  p50 {r_p50:8.1}   {:8.0} results/s",
        per_second(r_p50)
    );
    println!("  ratio postResults/floor (p50)              {:.2}x", a_p50 / f_p50);
    println!("  SQL statements per postResults             {:.1}", api_statements / ROUNDS as f64);
    db.execute_unprepared("SELECT 1").await.unwrap();
}
