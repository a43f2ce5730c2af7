//! The instruction guard (issue 17): what one request of W1 (a learner with their profile), W2
//! (50 learners of a school with their profiles and count) and W4 (`postResults` of 1,000
//! rows) costs in CPU instructions, counted by valgrind's callgrind, against the counts recorded
//! in `benches/instructions.json`. A growth of more than 10% fails.
//!
//! Instructions, not seconds: the count does not depend on what else the machine is doing.
//! Each workload runs twice on copies of the same freshly seeded SQLite database
//! (`learnergraph measure-requests`, the server in process, requests through HTTP one at a
//! time), with a few requests and with more; the difference per request is one request's cost,
//! start-up cancelled out. These are the debug build's counts (the suite's binary: no release
//! build in CI), so they guard against growth, they are not the service's speed.
//!
//! `INSTRUCTIONS_UPDATE=1 cargo test --test api instructions` records the counts of the code as
//! it is (after a deliberate change of cost; say why in the commit).

use std::{collections::BTreeMap, path::Path, process::Command};

use learnergraph::{auth::Principal, competencies, db, seed};
use sea_orm::Database;

use crate::support::backend_is_postgres;

/// `(workload, fewer requests, more requests)`.
/// Each difference is hundreds of millions of instructions: what start-up varies by (tens of
/// millions, with thread and timer scheduling) stays within a few percent of it.
const RUNS: [(&str, usize, usize); 3] = [("w1", 3, 83), ("w2", 1, 7), ("w4", 1, 2)];
/// The growth that fails the guard.
const TOLERANCE: f64 = 1.10;

fn baseline_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/instructions.json")
}

/// Instructions a whole run of `count` requests took, on a copy of `pristine`.
fn run(pristine: &Path, dir: &Path, workload: &str, count: usize) -> u64 {
    let copy = dir.join(format!("{workload}-{count}.db"));
    std::fs::copy(pristine, &copy).unwrap();
    let pem = learnergraph::auth::tokens::generate_pem().unwrap();
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(env!("CARGO_BIN_EXE_learnergraph"))
        .args(["measure-requests", "--workload", workload, "--count", &count.to_string()])
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", copy.display()))
        .env("LEARNERGRAPH_SIGNING_KEY", pem)
        .env("LEARNERGRAPH_ISSUER", "http://instructions")
        .env("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "100000000")
        .env("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", "4000000000")
        // One connection: each statement is prepared once, whichever request sends it first.
        .env("LEARNERGRAPH_DB_MAX_CONNECTIONS", "1")
        // Under callgrind a request runs some fifty times slower than natively.
        .env("LEARNERGRAPH_REQUEST_TIMEOUT_SECONDS", "600")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{workload} x{count} failed: {stderr}");
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").and_then(|(_, n)| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no instruction count from callgrind: {stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_costs_no_more_instructions_than_recorded() {
    if backend_is_postgres() {
        eprintln!("the instruction guard runs in the SQLite pass (its counts are SQLite's)");
        return;
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "CI needs valgrind for the instruction guard (apt-get install valgrind)");
        eprintln!("valgrind is not installed: the instruction guard is skipped (CI installs it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("lg_instructions_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pristine = dir.join("pristine.db");
    let conn = Database::connect(format!("sqlite://{}?mode=rwc", pristine.display())).await.unwrap();
    db::migrate(&conn).await.unwrap();
    seed::synthetic(&conn, 1, 150).await.unwrap();
    let package = competencies::case::parse(seed::DEMO_CASE_PACKAGE).unwrap();
    competencies::store::import(&conn, &Principal::system(), None, package).await.unwrap();
    conn.close().await.unwrap();

    let mut measured = BTreeMap::new();
    for (workload, fewer, more) in RUNS {
        let (pristine, dir) = (pristine.clone(), dir.clone());
        let (a, b) = tokio::task::spawn_blocking(move || {
            (run(&pristine, &dir, workload, fewer), run(&pristine, &dir, workload, more))
        })
        .await
        .unwrap();
        assert!(b > a, "{workload}: more requests cost fewer instructions ({a} then {b})");
        measured.insert(workload.to_owned(), (b - a) / (more - fewer) as u64);
    }
    std::fs::remove_dir_all(&dir).ok();
    if std::env::var("INSTRUCTIONS_UPDATE").is_ok_and(|v| v == "1") {
        std::fs::write(baseline_path(), serde_json::to_string_pretty(&measured).unwrap() + "\n").unwrap();
        eprintln!("recorded {measured:?} in {}", baseline_path().display());
        return;
    }
    let recorded: BTreeMap<String, u64> =
        serde_json::from_str(&std::fs::read_to_string(baseline_path()).unwrap()).unwrap();
    assert_eq!(recorded.keys().collect::<Vec<_>>(), measured.keys().collect::<Vec<_>>(), "workloads recorded");
    let mut grown = Vec::new();
    for (workload, now) in &measured {
        let before = recorded[workload];
        let ratio = *now as f64 / before as f64;
        eprintln!("instructions per request, {workload}: {now} (recorded {before}, {ratio:.3}x)");
        if ratio > TOLERANCE {
            grown.push(format!("{workload}: {now} instructions a request, {ratio:.2}x the recorded {before}"));
        }
    }
    assert!(
        grown.is_empty(),
        "requests grew by more than 10% (INSTRUCTIONS_UPDATE=1 records a deliberate change): {grown:?}"
    );
}
