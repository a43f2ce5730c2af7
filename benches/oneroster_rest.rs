//! OneRoster REST read benchmark: two reads a vendor's rostering sync makes all day, through
//! the whole stack (HTTP, token verification, principal, the roster store's visible-records
//! queries, the binding's JSON, the access audit), each against a floor measured in the same
//! run: the same rows read straight through the same driver, with nothing checked.
//!
//! - `GET /classes/{id}/students?limit=100` (the largest class). Floor: the class, its
//!   students, and their memberships (what a user record carries).
//! - `GET /users?filter=dateLastModified>'…'&limit=100` (a delta sync's page). Floor: the
//!   count, the page, and its memberships.
//!
//! `cargo bench --bench oneroster_rest` (SQLite); `BENCH_DATABASE_URL=postgres://... cargo
//! bench --bench oneroster_rest` for PostgreSQL (the database named must exist and be
//! disposable).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use entity::{class, enrollment, user, user_org};
use learnergraph::app::App;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::Query,
};

mod common;

const ROUNDS: usize = 300;
use common::{setup, stats};

const SCOPE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";
const SINCE: &str = "2000-01-01T00:00:00Z";

#[tokio::main]
async fn main() {
    let (config, db, label) = setup().await;
    let app = App::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let token = common::client_token(&db, &http, &base, SCOPE).await;
    // The class with the most students.
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT c.sourced_id, COUNT(*) AS n FROM enrollments e JOIN classes c ON c.id = e.class_id \
             WHERE e.role = 'student' GROUP BY c.sourced_id ORDER BY n DESC, c.sourced_id LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let class_sid: String = row.try_get("", "sourced_id").unwrap();
    let class_size: i64 = row.try_get("", "n").unwrap();
    let since = chrono::DateTime::parse_from_rfc3339(SINCE).unwrap().with_timezone(&chrono::Utc);

    let memberships = async |ids: Vec<i64>| {
        user_org::Entity::find().filter(user_org::Column::UserId.is_in(ids)).all(&db).await.unwrap().len()
    };
    let class_floor = async || {
        let c = class::Entity::find()
            .filter(class::Column::SourcedId.eq(class_sid.as_str()))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let students = user::Entity::find()
            .filter(user::Column::Role.eq("student"))
            .filter(
                user::Column::Id.in_subquery(
                    Query::select()
                        .column(enrollment::Column::UserId)
                        .from(enrollment::Entity)
                        .and_where(enrollment::Column::ClassId.eq(c.id))
                        .and_where(enrollment::Column::Status.eq("active"))
                        .to_owned(),
                ),
            )
            .order_by_asc(user::Column::Id)
            .limit(100)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(students.len() as i64, class_size.min(100));
        memberships(students.iter().map(|u| u.id).collect()).await;
    };
    let users_floor = async || {
        let q = user::Entity::find().filter(user::Column::DateLastModified.gt(since));
        let total = q.clone().count(&db).await.unwrap();
        let page = q.order_by_asc(user::Column::Id).limit(100).all(&db).await.unwrap();
        assert!(total > 100 && page.len() == 100);
        memberships(page.iter().map(|u| u.id).collect()).await;
    };
    let get = async |path: String, expect: usize| {
        let res = http.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["users"].as_array().map(Vec::len), Some(expect), "{path}");
    };
    let rest = "/ims/oneroster/rostering/v1p2";
    let class_path = format!("{rest}/classes/{class_sid}/students?limit=100");
    let users_path = format!("{rest}/users?filter=dateLastModified%3E%27{SINCE}%27&limit=100");
    let class_api = async || get(class_path.clone(), class_size.min(100) as usize).await;
    let users_api = async || get(users_path.clone(), 100).await;
    for _ in 0..30 {
        class_floor().await;
        class_api().await;
        users_floor().await;
        users_api().await;
    }
    let statements = async || {
        let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| {
                l.strip_prefix("learnergraph_db_statements_total ").and_then(|v| v.trim().parse::<f64>().ok())
            })
            .expect("the server exposes learnergraph_db_statements_total")
    };
    println!("OneRoster REST reads on {label}, {ROUNDS} sequential requests each (ms):");
    for (name, floor_name) in [
        (format!("GET /classes/{{id}}/students?limit=100 ({class_size} students)"), "class, students, memberships"),
        ("GET /users?filter=dateLastModified>'…'&limit=100".to_owned(), "count, page, memberships"),
    ] {
        let class = name.starts_with("GET /classes");
        let mut floor = Vec::with_capacity(ROUNDS);
        let mut api = Vec::with_capacity(ROUNDS);
        let before = statements().await;
        // Interleaved, so both see the same machine state.
        for _ in 0..ROUNDS {
            let t = Instant::now();
            if class {
                class_floor().await
            } else {
                users_floor().await
            }
            floor.push(t.elapsed());
            let t = Instant::now();
            if class {
                class_api().await
            } else {
                users_api().await
            }
            api.push(t.elapsed());
        }
        let after = statements().await;
        let (f_mean, f_p50, f_p95) = stats(floor);
        let (a_mean, a_p50, a_p95) = stats(api);
        println!("{name}");
        println!("  floor ({floor_name}, same driver)  mean {f_mean:7.3}  p50 {f_p50:7.3}  p95 {f_p95:7.3}");
        println!("  API (HTTP+auth+policy+JSON+audit)      mean {a_mean:7.3}  p50 {a_p50:7.3}  p95 {a_p95:7.3}");
        println!("  ratio API/floor (p50)                  {:.2}x", a_p50 / f_p50);
        println!("  SQL statements per API request         {:.1}", (after - before) / ROUNDS as f64);
    }
    db.execute_unprepared("SELECT 1").await.unwrap();
}
