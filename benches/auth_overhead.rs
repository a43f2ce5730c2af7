//! What authorization and the audit trail cost per request: the same GraphQL query executed
//! in-process (no HTTP) twice per round, once as the system principal with no audit (the
//! floor), once through the request path's auth and audit steps: token verification,
//! principal resolution (revocation, client, orgs), the org-filtered query, and queueing the
//! audit event.
//!
//! `cargo bench --bench auth_overhead` (SQLite); `BENCH_DATABASE_URL=postgres://... cargo
//! bench --bench auth_overhead` for PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The schema's resolver futures nest deeper than the default limit allows when this crate
// builds them in release (`cargo bench`): "queries overflow the depth limit".
#![recursion_limit = "256"]

mod common;

use std::time::{Duration, Instant};

use async_graphql::Request;
use common::{QUERY, setup, stats};
use learnergraph::{
    audit::{AuditLog, Event},
    auth::{
        Principal, clients,
        policy::principal_from_claims,
        tokens::{Keys, Subject},
    },
    graphql::build_schema,
    roster::loaders::Loaders,
};

const ROUNDS: usize = 300;

#[tokio::main]
async fn main() {
    let (config, db, label) = setup().await;
    let keys = Keys::load(&config).unwrap();
    let (audit, writer) = AuditLog::start(db.clone());
    let schema = build_schema(Some(db.clone()), Some(audit.clone()), Some(learnergraph::sync::Bus::new()));
    let wide = clients::create(&db, "wide", "roster.read profiles.read", &[]).await.unwrap();
    let narrow =
        clients::create(&db, "narrow", "roster.read profiles.read", &["sc-school-001".to_owned()]).await.unwrap();
    let token_of = |id: &str, orgs: Option<Vec<String>>| {
        keys.issue(Subject { client_id: id, user: None, scope: "roster.read profiles.read", orgs, family: None })
            .unwrap()
            .0
    };
    let wide_token = token_of(&wide.client_id, None);
    let narrow_token = token_of(&narrow.client_id, Some(vec!["sc-school-001".to_owned()]));

    let floor = || async {
        let req = Request::new(QUERY).data(Principal::system()).data(Loaders::new(&db));
        let res = schema.execute(req).await;
        assert!(res.errors.is_empty(), "{:?}", res.errors);
    };
    let guarded = |token: String| {
        let (db, schema, keys, audit) = (&db, &schema, &keys, &audit);
        async move {
            let claims = keys.verify(&token).unwrap();
            let principal = principal_from_claims(db, &claims).await.unwrap().unwrap();
            let trail = principal.trail.clone();
            let (kind, actor) = principal.actor_ref();
            let client = principal.client_id().map(str::to_owned);
            let req = Request::new(QUERY).data(principal).data(Loaders::new(db));
            let res = schema.execute(req).await;
            assert!(res.errors.is_empty(), "{:?}", res.errors);
            let learners = trail.take();
            assert_eq!(learners.len(), 50);
            audit
                .record(Event {
                    occurred_at: chrono::Utc::now(),
                    actor_kind: kind.to_owned(),
                    actor_id: actor,
                    client_id: client,
                    operation_type: "query".into(),
                    operation_name: None,
                    fields: "school".into(),
                    request_id: None,
                    learners,
                    agreement: None,
                })
                .await;
        }
    };
    for _ in 0..30 {
        floor().await;
        guarded(wide_token.clone()).await;
        guarded(narrow_token.clone()).await;
    }
    audit.flush().await;
    // Each variant in its own block, so the audit writer's background commits are charged to
    // the variants that queue them: a block's total includes flushing its audit events.
    let mut blocks = Vec::new();
    for variant in 0..3 {
        let mut samples = Vec::with_capacity(ROUNDS);
        let started = Instant::now();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            match variant {
                0 => floor().await,
                1 => guarded(wide_token.clone()).await,
                _ => guarded(narrow_token.clone()).await,
            }
            samples.push(t.elapsed());
        }
        audit.flush().await;
        let per_request = started.elapsed().as_secs_f64() * 1000.0 / ROUNDS as f64;
        blocks.push((stats(samples), per_request));
    }
    let ((_, fp, f95), ft) = blocks[0];
    println!("authorization + audit overhead on {label}, {ROUNDS} requests per variant, in-process (ms):");
    println!("  floor: system principal, no auth, no audit   p50 {fp:7.3}  p95 {f95:7.3}  total/request {ft:7.3}");
    for (name, ((_, p50, p95), total)) in
        [("district-wide client token   ", blocks[1]), ("client limited to one school ", blocks[2])]
    {
        println!(
            "  {name}               p50 {p50:7.3}  p95 {p95:7.3}  total/request {total:7.3}  (+{:.3} ms, {:.2}x)",
            total - ft,
            total / ft
        );
    }
    drop(audit);
    drop(schema);
    let _ = tokio::time::timeout(Duration::from_secs(10), writer.close()).await;
}
