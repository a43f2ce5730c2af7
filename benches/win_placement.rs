//! WIN placement at a school's scale: 2,000 students, 80 sessions, three ranked choices each,
//! mastery data on every session's focus competency, some requirements. Measures one
//! `runWinPlacement` through the whole stack (HTTP, token, GraphQL, reading the block, solving,
//! writing 2,000 placements), against a floor measured in the same run: the same rows read and
//! the same number of placements written and committed through the same driver, with no
//! solving (the floor's comment lists exactly what it skips). Also times
//! the solver alone on the same problem size.
//!
//! `cargo bench --bench win_placement` (SQLite); `BENCH_DATABASE_URL=postgres://... cargo bench
//! --bench win_placement` for PostgreSQL (the database named must exist and be disposable).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use entity::{
    competency, mastery, user, user_org, win_assignment, win_block, win_choice, win_session, win_session_competency,
};
use learnergraph::{
    app::App,
    auth::Principal,
    seed::DEMO_CASE_PACKAGE,
    win::placement::{self, Problem, Student},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, sea_query::Query,
};
use serde_json::{Value, json};

const STUDENTS: usize = 2000;
const SESSIONS: usize = 80;
const ROUNDS: usize = 8;

#[tokio::main]
async fn main() {
    let (url, label) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => (common::fresh_postgres(&admin_url).await, "postgres"),
        _ => {
            let path = std::env::temp_dir().join(format!("lg_bench_win_{}.db", uuid::Uuid::new_v4().simple()));
            (format!("sqlite://{}?mode=rwc", path.display()), "sqlite")
        }
    };
    let pem = learnergraph::auth::tokens::generate_pem().unwrap();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("LEARNERGRAPH_BIND", "127.0.0.1:0"),
        ("LEARNERGRAPH_SIGNING_KEY", pem.as_str()),
        ("LEARNERGRAPH_ISSUER", "http://bench"),
    ];
    let config = learnergraph::config::Config::from_lookup(|k| {
        env.iter().find(|(key, _)| *key == k).map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    let db = Database::connect(&url).await.unwrap();
    learnergraph::db::migrate(&db).await.unwrap();
    println!("seeded: {}", learnergraph::seed::synthetic(&db, 1, STUDENTS).await.unwrap());
    let p = Principal::system();
    let package = learnergraph::competencies::case::parse(DEMO_CASE_PACKAGE).unwrap();
    learnergraph::competencies::store::import(&db, &p, None, package).await.unwrap();
    let comps: Vec<i64> = competency::Entity::find()
        .select_only()
        .column(competency::Column::Id)
        .filter(competency::Column::ItemType.eq("Standard"))
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    let school: i64 = entity::org::Entity::find()
        .select_only()
        .column(entity::org::Column::Id)
        .filter(entity::org::Column::SourcedId.eq("sc-school-001"))
        .into_tuple()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let learners: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq("student"))
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_org::Column::UserId)
                    .from(user_org::Entity)
                    .and_where(user_org::Column::OrgId.eq(school))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    println!("students at the school: {}", learners.len());

    // The block, its sessions (popular ones small), choices and mastery data, written directly.
    let now = learnergraph::db::now();
    let block = win_block::Entity::insert(win_block::ActiveModel {
        org_id: Set(school),
        block_date: Set(chrono::NaiveDate::from_ymd_opt(2030, 3, 4).unwrap()),
        choices_close_at: Set(now),
        max_choices: Set(3),
        placed_at: Set(None),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap()
    .last_insert_id;
    let mut sessions = Vec::new();
    for k in 0..SESSIONS {
        let id = win_session::Entity::insert(win_session::ActiveModel {
            block_id: Set(block),
            teacher_id: Set(None),
            title: Set(format!("Session {k}")),
            subject: Set("Math".into()),
            mode: Set(entity::win_session::WinMode::SmallGroup),
            room: Set(None),
            capacity: Set(if k < 10 { 12 } else { 28 }),
            invite_only: Set(false),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(&db)
        .await
        .unwrap()
        .last_insert_id;
        win_session_competency::Entity::insert(win_session_competency::ActiveModel {
            session_id: Set(id),
            competency_id: Set(comps[k % comps.len()]),
        })
        .exec(&db)
        .await
        .unwrap();
        sessions.push(id);
    }
    let mut rng = fastrand::Rng::with_seed(5);
    let mut choices = Vec::new();
    let mut masteries = Vec::new();
    for (n, l) in learners.iter().enumerate() {
        // Choices lean on the first ten (small) sessions, as popular offerings do.
        let mut picked = Vec::new();
        while picked.len() < 3 {
            let k = if rng.u8(0..10) < 6 { rng.usize(0..10) } else { rng.usize(0..SESSIONS) };
            if !picked.contains(&k) {
                picked.push(k);
            }
        }
        if n % 10 != 0 {
            for (r, k) in picked.iter().enumerate() {
                choices.push(win_choice::ActiveModel {
                    block_id: Set(block),
                    learner_id: Set(*l),
                    session_id: Set(sessions[*k]),
                    rank: Set(r as i32 + 1),
                    chosen_by: Set("bench".into()),
                    chosen_at: Set(now),
                    ..Default::default()
                });
            }
        }
        for c in &comps {
            masteries.push(mastery::ActiveModel {
                learner_id: Set(*l),
                competency_id: Set(*c),
                value: Set(Some(f64::from(rng.u8(0..=100)) / 100.0)),
                level: Set(None),
                mastered: Set(false),
                evidence_count: Set(1),
                last_evidence_at: Set(Some(now)),
                date_last_modified: Set(now),
            });
        }
    }
    for chunk in choices.chunks(2000) {
        win_choice::Entity::insert_many(chunk.to_vec()).exec(&db).await.unwrap();
    }
    for chunk in masteries.chunks(2000) {
        mastery::Entity::insert_many(chunk.to_vec()).exec(&db).await.unwrap();
    }
    println!("block: {SESSIONS} sessions, {} choices, {} mastery rows", choices.len(), masteries.len());

    let app = App::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let token = common::client_token(&db, &http, &base, "win.read win.write").await;
    let block_id = learnergraph::graphql::relay::global_id(learnergraph::graphql::relay::Kind::WinBlock, block);
    let expected = learners.len() as u64;
    let run = || {
        let req = http.post(format!("{base}/graphql")).bearer_auth(&token).json(&json!({
            "query": "mutation($b: ID!) { runWinPlacement(input: {blockId: $b}) { placed unplaced { sourcedId } choiceShares { first second third } userErrors { message } } }",
            "variables": {"b": block_id},
        }));
        async move {
            let t = Instant::now();
            let body: Value = req.send().await.unwrap().json().await.unwrap();
            let took = t.elapsed();
            assert_eq!(body["data"]["runWinPlacement"]["placed"].as_u64(), Some(expected), "{body}");
            (took, body)
        }
    };
    // Floor: read what the run reads (the block, locking its row, the school's students, the
    // sessions, choices, mastery, the previous placements), replace the block's placements with
    // as many rows and mark the block placed, committed, through the same driver. It skips
    // exactly: HTTP, the token check, GraphQL, the small reads of reviews, invitations and
    // focus competencies, solving, the explanations, and the run's final re-read of the block.
    let floor = || {
        let db = &db;
        let learners = &learners;
        let sessions = &sessions;
        async move {
            let t = Instant::now();
            let txn = db.begin().await.unwrap();
            // The block, its row locked as the run locks it, and the school's active students.
            let _ = win_block::Entity::find_by_id(block).one(&txn).await.unwrap();
            win_block::Entity::update_many()
                .col_expr(win_block::Column::DateLastModified, sea_orm::sea_query::Expr::value(now))
                .filter(win_block::Column::Id.eq(block))
                .exec(&txn)
                .await
                .unwrap();
            let students: Vec<i64> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::Role.eq("student"))
                .filter(user::Column::Status.eq("active"))
                .filter(
                    user::Column::Id.in_subquery(
                        Query::select()
                            .column(user_org::Column::UserId)
                            .from(user_org::Entity)
                            .and_where(user_org::Column::OrgId.eq(school))
                            .to_owned(),
                    ),
                )
                .order_by_asc(user::Column::Id)
                .into_tuple()
                .all(&txn)
                .await
                .unwrap();
            assert_eq!(students.len(), learners.len());
            let _ = win_session::Entity::find().filter(win_session::Column::BlockId.eq(block)).all(&txn).await.unwrap();
            let _ = win_choice::Entity::find().filter(win_choice::Column::BlockId.eq(block)).all(&txn).await.unwrap();
            for chunk in learners.chunks(500) {
                let _ = mastery::Entity::find()
                    .filter(mastery::Column::LearnerId.is_in(chunk.iter().copied()))
                    .all(&txn)
                    .await
                    .unwrap();
            }
            // The previous placements (the run keeps their attendance).
            let _ = win_assignment::Entity::find()
                .filter(win_assignment::Column::BlockId.eq(block))
                .all(&txn)
                .await
                .unwrap();
            win_assignment::Entity::delete_many()
                .filter(win_assignment::Column::BlockId.eq(block))
                .exec(&txn)
                .await
                .unwrap();
            let rows: Vec<_> = learners
                .iter()
                .enumerate()
                .map(|(n, l)| win_assignment::ActiveModel {
                    block_id: Set(block),
                    learner_id: Set(*l),
                    session_id: Set(sessions[n % sessions.len()]),
                    source: Set(entity::win_assignment::PlacementSource::Placed),
                    choice_rank: Set(Some(1)),
                    explanation: Set("placed in your 1st choice (Session 0)".into()),
                    attendance: Set(None),
                    outcome_note: Set(None),
                    attendance_by: Set(None),
                    attendance_at: Set(None),
                    created_at: Set(now),
                    date_last_modified: Set(now),
                    ..Default::default()
                })
                .collect();
            for chunk in rows.chunks(1000) {
                win_assignment::Entity::insert_many(chunk.to_vec()).exec(&txn).await.unwrap();
            }
            win_block::Entity::update(win_block::ActiveModel {
                id: Set(block),
                placed_at: Set(Some(now)),
                date_last_modified: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await
            .unwrap();
            // Committed, as the run commits: the next run replaces these rows as it replaces
            // its own.
            txn.commit().await.unwrap();
            t.elapsed()
        }
    };
    let (_, first) = run().await;
    println!("first run: {}", first["data"]["runWinPlacement"]);
    floor().await;
    let mut api: Vec<Duration> = Vec::new();
    let mut base_times: Vec<Duration> = Vec::new();
    for _ in 0..ROUNDS {
        base_times.push(floor().await);
        api.push(run().await.0);
    }
    // The solver alone on a problem of the same shape.
    let problem = Problem {
        capacity: (0..SESSIONS).map(|k| if k < 10 { 12 } else { 28 }).collect(),
        students: (0..STUDENTS)
            .map(|n| {
                let mut picked = Vec::new();
                while picked.len() < 3 {
                    let k = if rng.u8(0..10) < 6 { rng.usize(0..10) } else { rng.usize(0..SESSIONS) };
                    if !picked.contains(&k) {
                        picked.push(k);
                    }
                }
                Student {
                    ranks: if n % 10 == 0 {
                        vec![]
                    } else {
                        picked.iter().enumerate().map(|(r, k)| (*k, r as u32 + 1)).collect()
                    },
                    need: (0..SESSIONS).map(|_| f64::from(rng.u8(0..=100)) / 100.0).collect(),
                    required: None,
                    barred: vec![],
                }
            })
            .collect(),
    };
    let mut solve: Vec<Duration> = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let placed = placement::place(&problem).unwrap();
        solve.push(t.elapsed());
        assert!(placed.session.iter().all(Option::is_some));
    }
    let ms = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let (f, a, s) = (ms(base_times), ms(api), ms(solve));
    println!("WIN placement on {label}: {STUDENTS} students, {SESSIONS} sessions, {ROUNDS} rounds (median ms):");
    println!("  floor (same reads, {STUDENTS} placements written, same driver)  {f:8.1}");
    println!("  runWinPlacement through HTTP                              {a:8.1}");
    println!("  solver alone (same problem size)                          {s:8.1}");
    println!("  ratio runWinPlacement/floor                               {:.2}x", a / f);
    db.execute_unprepared("SELECT 1").await.unwrap();
}
