//! Soak: two replicas of the release binary on one fresh PostgreSQL database, mixed reads and
//! writes against both for `SOAK_SECONDS` (default 60), then SIGTERM while writes are in flight.
//!
//! Checked and printed: no 5xx (nor a GraphQL `INTERNAL_SERVER_ERROR`); each replica's RSS
//! (sampled every `SOAK_SAMPLE_SECONDS`, default 5) flat from the first sample to the last;
//! every acknowledged write (`postResults` with unique result sourcedIds, and
//! `updateLearnerProfile`) present exactly once in the database with exactly one audit event
//! (matched by its unique `x-request-id`) that links the learners it wrote. Then SIGTERM goes
//! to both replicas while writes are in flight, and every acknowledged write is checked again.
//!
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench soak`:
//! a database `lg_soak_<id>` is created on that server (and dropped when every check passed).
//! `SOAK_CONNECTIONS` (default 8) concurrent callers alternate between the replicas.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use learnergraph::auth::tokens::generate_pem;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_learnergraph");
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const SCOPES: &str = "roster.read profiles.read profiles.write progress.read progress.write";
const PAGE: &str = "query($s: String!) { school(sourcedId: $s) { learners(first: 20) { edges { node { sourcedId givenName familyName grades profile { version strengths interests goals { description status } } } } } } }";
const LEARNER: &str = "query($s: String!) { learner(sourcedId: $s) { sourcedId profile { id version strengths } mastery { value level mastered competency { sourcedId } } } }";
const RESULTS: &str =
    "{ results(first: 20) { edges { node { sourcedId score value occurredAt learner { sourcedId } } } } }";
const POST: &str = "mutation($rows: [PostResultInput!]!) { postResults(input: {results: $rows}) { results { outcome } userErrors { field code message } } }";
const UPDATE: &str = "mutation($i: UpdateLearnerProfileInput!) { updateLearnerProfile(input: $i) { profile { version } userErrors { field code message } } }";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

async fn sql(db: &DatabaseConnection, q: String) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, q)).await.unwrap()
}

/// What one phase saw.
#[derive(Default)]
struct Stats {
    ok: BTreeMap<&'static str, usize>,
    /// Any 5xx, and GraphQL INTERNAL_SERVER_ERROR in a 200: (kind, what, request id).
    server_errors: Vec<(&'static str, String, String)>,
    /// Other failures (connection refused, timeouts, 4xx, user errors), by kind and what.
    other: BTreeMap<String, usize>,
    /// Acknowledged result posts: request id -> (result sourcedId, learner sourcedId).
    results: Vec<(String, Vec<(String, String)>)>,
    /// Acknowledged profile updates: (request id, learner sourcedId, version).
    profiles: Vec<(String, String, i64)>,
}

struct Ctx {
    bases: [String; 2],
    token: RwLock<String>,
    run: String,
    learners: Vec<String>,
    competencies: Vec<String>,
    stop: AtomicBool,
    stats: Mutex<Stats>,
    seq: AtomicU64,
}

#[derive(Clone, Copy)]
enum Mode {
    Mixed,
    WritesOnly,
}

/// Sends one GraphQL request; `Ok(body)` for a 200 without errors.
async fn gql(
    ctx: &Ctx,
    http: &reqwest::Client,
    replica: usize,
    kind: &'static str,
    request_id: &str,
    query: &str,
    variables: Value,
) -> Option<Value> {
    let token = ctx.token.read().unwrap().clone();
    let res = http
        .post(format!("{}/graphql", ctx.bases[replica]))
        .bearer_auth(token)
        .header("x-request-id", request_id)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await;
    let failure = |what: String| {
        *ctx.stats.lock().unwrap().other.entry(format!("{kind}: {what}")).or_default() += 1;
        None
    };
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connection refused"
            } else {
                "connection closed"
            };
            // A replica that is gone refuses at once; don't spin on it.
            tokio::time::sleep(Duration::from_millis(20)).await;
            return failure(what.into());
        }
    };
    let status = res.status();
    let body: Value = match res.bytes().await {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&b)})),
        Err(_) => return failure("body cut off".into()),
    };
    let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_owned();
    if status.is_server_error() || code == "INTERNAL_SERVER_ERROR" {
        let what = format!("{} {} {}", status.as_u16(), code, body.to_string().chars().take(160).collect::<String>());
        ctx.stats.lock().unwrap().server_errors.push((kind, what, request_id.to_owned()));
        return None;
    }
    if !status.is_success() || body.get("errors").is_some() {
        return failure(format!("{} {code}", status.as_u16()));
    }
    *ctx.stats.lock().unwrap().ok.entry(kind).or_default() += 1;
    Some(body)
}

async fn worker(ctx: Arc<Ctx>, w: usize, workers: usize, mode: Mode) {
    let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap();
    let mut rng = fastrand::Rng::with_seed(w as u64 * 7919 + ctx.seq.load(Ordering::Relaxed));
    // The profiles this worker updates (no two workers share one): learner -> (id, version).
    let mut profiles: HashMap<String, (String, i64)> = HashMap::new();
    let mine: Vec<&String> = ctx.learners.iter().skip(w).step_by(workers).collect();
    let occurred = chrono::Utc::now().to_rfc3339();
    while !ctx.stop.load(Ordering::Relaxed) {
        let n = ctx.seq.fetch_add(1, Ordering::Relaxed);
        let replica = (n % 2) as usize;
        let roll = match mode {
            Mode::Mixed => rng.u32(0..100),
            Mode::WritesOnly => 50,
        };
        let learner = &ctx.learners[rng.usize(0..ctx.learners.len())];
        if roll < 30 {
            let rid = format!("{}-r-{n}", ctx.run);
            gql(&ctx, &http, replica, "learner page", &rid, PAGE, json!({"s": "sc-school-001"})).await;
        } else if roll < 45 {
            let rid = format!("{}-r-{n}", ctx.run);
            gql(&ctx, &http, replica, "learner", &rid, LEARNER, json!({"s": learner})).await;
        } else if roll < 55 && matches!(mode, Mode::Mixed) {
            let rid = format!("{}-r-{n}", ctx.run);
            gql(&ctx, &http, replica, "results", &rid, RESULTS, json!({})).await;
        } else if roll < 90 {
            let rid = format!("{}-w-{n}", ctx.run);
            let rows: Vec<(String, String)> = (0..rng.usize(1..=5))
                .map(|i| (format!("{rid}-{i}"), ctx.learners[rng.usize(0..ctx.learners.len())].clone()))
                .collect();
            let vars: Vec<Value> = rows
                .iter()
                .map(|(sid, l)| {
                    json!({"sourcedId": sid, "learnerSourcedId": l,
                           "competencyId": ctx.competencies[rng.usize(0..ctx.competencies.len())],
                           "score": rng.u32(0..=10), "scoreMax": 10, "evidenceType": "TEST", "occurredAt": occurred})
                })
                .collect();
            if let Some(body) = gql(&ctx, &http, replica, "postResults", &rid, POST, json!({"rows": vars})).await {
                let out = &body["data"]["postResults"];
                let created = out["results"]
                    .as_array()
                    .is_some_and(|r| r.len() == rows.len() && r.iter().all(|x| x["outcome"] == "CREATED"));
                if created {
                    ctx.stats.lock().unwrap().results.push((rid, rows));
                } else {
                    *ctx.stats.lock().unwrap().other.entry(format!("postResults: not created {out}")).or_default() += 1;
                }
            }
        } else {
            let Some(learner) = mine.get(rng.usize(0..mine.len().max(1))).copied() else { continue };
            if !profiles.contains_key(learner) {
                let rid = format!("{}-r-{n}", ctx.run);
                let Some(body) = gql(&ctx, &http, replica, "learner", &rid, LEARNER, json!({"s": learner})).await
                else {
                    continue;
                };
                let p = &body["data"]["learner"]["profile"];
                let (Some(id), Some(v)) = (p["id"].as_str(), p["version"].as_i64()) else { continue };
                profiles.insert(learner.clone(), (id.to_owned(), v));
                continue;
            }
            let (id, version) = profiles[learner].clone();
            let rid = format!("{}-w-{n}", ctx.run);
            let vars = json!({"i": {"profileId": id, "expectedVersion": version, "strengths": [format!("soak {n}")]}});
            if let Some(body) = gql(&ctx, &http, replica, "updateLearnerProfile", &rid, UPDATE, vars).await {
                let out = &body["data"]["updateLearnerProfile"];
                match out["profile"]["version"].as_i64() {
                    Some(v) => {
                        profiles.insert(learner.clone(), (id, v));
                        ctx.stats.lock().unwrap().profiles.push((rid, learner.clone(), v));
                    }
                    None => {
                        // A write whose answer was lost may have moved the version on.
                        profiles.remove(learner);
                        let what = format!("updateLearnerProfile: {}", out["userErrors"][0]["code"]);
                        *ctx.stats.lock().unwrap().other.entry(what).or_default() += 1;
                    }
                }
            } else {
                profiles.remove(learner);
            }
        }
        if ctx.stop.load(Ordering::Relaxed) {
            break;
        }
    }
}

/// Every acknowledged write present exactly once with exactly one audit event linking its
/// learners. Returns the problems found (empty when all is well) and a summary line.
async fn check_writes(db: &DatabaseConnection, run: &str, stats: &[&Stats]) -> (Vec<String>, String) {
    let mut problems = Vec::new();
    let results: HashMap<String, i64> = sql(
        db,
        format!("SELECT sourced_id, COUNT(*) FROM results WHERE sourced_id LIKE '{run}-%' GROUP BY sourced_id"),
    )
    .await
    .iter()
    .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap()))
    .collect();
    let events: HashMap<String, i64> = sql(
        db,
        format!("SELECT request_id, COUNT(*) FROM audit_events WHERE request_id LIKE '{run}-w-%' GROUP BY request_id"),
    )
    .await
    .iter()
    .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap()))
    .collect();
    let mut linked: HashMap<String, Vec<String>> = HashMap::new();
    for r in sql(
        db,
        format!(
            "SELECT e.request_id, u.sourced_id FROM audit_events e JOIN audit_event_learners l ON l.event_id = e.id \
             JOIN users u ON u.id = l.user_id WHERE e.request_id LIKE '{run}-w-%'"
        ),
    )
    .await
    {
        linked.entry(r.try_get_by_index::<String>(0).unwrap()).or_default().push(r.try_get_by_index(1).unwrap());
    }
    let revisions: HashMap<(String, i64), i64> = sql(
        db,
        "SELECT u.sourced_id, r.version::bigint, COUNT(*) FROM profile_revisions r JOIN learner_profiles p ON p.id = r.profile_id \
         JOIN users u ON u.id = p.user_id GROUP BY u.sourced_id, r.version"
            .to_owned(),
    )
    .await
    .iter()
    .map(|r| {
        ((r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap()), r.try_get_by_index(2).unwrap())
    })
    .collect();

    let (mut writes, mut rows, mut missing_audit) = (0usize, 0usize, 0usize);
    let mut audit =
        |rid: &str, learners: &[&String], problems: &mut Vec<String>| match events.get(rid).copied().unwrap_or(0) {
            1 => {
                let got = linked.get(rid).map(Vec::as_slice).unwrap_or(&[]);
                if let Some(l) = learners.iter().find(|l| !got.contains(l)) {
                    problems.push(format!("{rid}: audit event does not link learner {l}"));
                }
            }
            0 => {
                missing_audit += 1;
                problems.push(format!("{rid}: acknowledged but no audit event"));
            }
            n => problems.push(format!("{rid}: {n} audit events")),
        };
    for s in stats {
        for (rid, posted) in &s.results {
            writes += 1;
            for (sid, _) in posted {
                rows += 1;
                match results.get(sid).copied().unwrap_or(0) {
                    1 => {}
                    n => problems.push(format!("{rid}: result {sid} present {n} times")),
                }
            }
            let learners: Vec<&String> = posted.iter().map(|(_, l)| l).collect();
            audit(rid, &learners, &mut problems);
        }
        for (rid, learner, version) in &s.profiles {
            writes += 1;
            match revisions.get(&(learner.clone(), *version)).copied().unwrap_or(0) {
                1 => {}
                n => problems.push(format!("{rid}: profile of {learner} version {version} present {n} times")),
            }
            audit(rid, &[learner], &mut problems);
        }
    }
    let summary = format!(
        "{writes} acknowledged writes ({rows} results and profile versions): {} problems, {missing_audit} without an audit event",
        problems.len()
    );
    (problems, summary)
}

fn spawn_replica(dir: &std::path::Path, env: &[(&str, String)], port: u16, n: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("replica-{n}.log"))).unwrap();
    Command::new(BIN)
        .arg("serve")
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("LEARNERGRAPH_BIND", format!("127.0.0.1:{port}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn cli(dir: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "learnergraph {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn run_phase(ctx: &Arc<Ctx>, workers: usize, mode: Mode) -> Vec<tokio::task::JoinHandle<()>> {
    ctx.stop.store(false, Ordering::Relaxed);
    (0..workers).map(|w| tokio::spawn(worker(ctx.clone(), w, workers, mode))).collect()
}

async fn join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = tokio::time::timeout(REQUEST_TIMEOUT + Duration::from_secs(5), t).await;
    }
}

#[tokio::main]
async fn main() {
    let Some(server) = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        println!("soak: skipped; it needs PostgreSQL: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres");
        return;
    };
    let secs = env_num("SOAK_SECONDS", 60);
    let sample = Duration::from_secs(env_num("SOAK_SAMPLE_SECONDS", 5).max(1));
    let workers = env_num("SOAK_CONNECTIONS", 8).max(1) as usize;
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let run = format!("soak{id}");
    let db_name = format!("lg_soak_{id}");
    let admin = Database::connect(&server).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {db_name}")).await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&db_name);
    let dir: PathBuf = std::env::temp_dir().join(&db_name);
    std::fs::create_dir_all(&dir).unwrap();
    let env = vec![
        ("DATABASE_URL", url.to_string()),
        ("LEARNERGRAPH_SIGNING_KEY", generate_pem().unwrap()),
        ("LEARNERGRAPH_ISSUER", "http://soak".to_owned()),
    ];
    println!("soak: database {db_name}, replica logs in {}", dir.display());

    // Seed with the binary itself: a district of 500 students and the demo framework.
    let t = Instant::now();
    cli(&dir, &env, &["seed", "--scale", "500"]);
    let case = concat!(env!("CARGO_MANIFEST_DIR"), "/data/riverbend-math-6.case.json");
    cli(&dir, &env, &["import", "case", case]);
    let created = cli(&dir, &env, &["client", "create", "--name", "soak", "--scopes", SCOPES]);
    let created: Value = serde_json::from_str(&created[created.find('{').unwrap()..]).unwrap();
    let db = Database::connect(url.as_str()).await.unwrap();
    let col = |rows: Vec<sea_orm::QueryResult>| -> Vec<String> {
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
    };
    let learners = col(sql(&db, "SELECT sourced_id FROM users WHERE role = 'student' ORDER BY id".into()).await);
    let competencies =
        col(sql(&db, "SELECT source_id FROM competencies WHERE item_type = 'Standard' ORDER BY id".into()).await);
    assert!(!learners.is_empty() && !competencies.is_empty());
    println!(
        "seeded {} students and {} standards in {:.1} s",
        learners.len(),
        competencies.len(),
        t.elapsed().as_secs_f64()
    );

    let ports = [free_port(), free_port()];
    let mut children: Vec<Child> = (0..2).map(|n| spawn_replica(&dir, &env, ports[n], n)).collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let bases = ports.map(|p| format!("http://127.0.0.1:{p}"));
    let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap();
    for base in &bases {
        let up = Instant::now();
        while !http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(up.elapsed() < Duration::from_secs(60), "{base} did not come up; see the logs");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let token_at = move |base: String| {
        let req = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .timeout(REQUEST_TIMEOUT)
            .basic_auth(&client_id, Some(&secret))
            .form(&[("grant_type", "client_credentials")]);
        async move {
            let v: Value = req.send().await.unwrap().json().await.unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        }
    };
    let ctx = Arc::new(Ctx {
        token: RwLock::new(token_at(bases[0].clone()).await),
        bases: bases.clone(),
        run: run.clone(),
        learners,
        competencies,
        stop: AtomicBool::new(false),
        stats: Mutex::new(Stats::default()),
        seq: AtomicU64::new(0),
    });
    // Tokens live 15 minutes; a long soak takes a new one every 10 (from the other replica).
    let refresher = {
        let (ctx, bases) = (ctx.clone(), bases.clone());
        let token_at = token_at.clone();
        tokio::spawn(async move {
            let mut n = 1;
            loop {
                tokio::time::sleep(Duration::from_secs(600)).await;
                let t = token_at(bases[n % 2].clone()).await;
                *ctx.token.write().unwrap() = t;
                n += 1;
            }
        })
    };

    // RSS of both replicas every `sample`.
    let samples: Arc<Mutex<Vec<[f64; 2]>>> = Arc::default();
    let sampler = {
        let (samples, pids) = (samples.clone(), pids.clone());
        tokio::spawn(async move {
            loop {
                let s = [rss_mb(pids[0]).unwrap_or(0.0), rss_mb(pids[1]).unwrap_or(0.0)];
                samples.lock().unwrap().push(s);
                tokio::time::sleep(sample).await;
            }
        })
    };

    // ---- phase 1: mixed reads and writes ----
    println!("mixed reads and writes for {secs} s, {workers} callers alternating between two replicas ...");
    let started = Instant::now();
    let tasks = run_phase(&ctx, workers, Mode::Mixed).await;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    ctx.stop.store(true, Ordering::Relaxed);
    join(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    sampler.abort();
    let phase1 = std::mem::take(&mut *ctx.stats.lock().unwrap());
    // Audit events are written by a background writer moments after the request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (problems1, summary1) = check_writes(&db, &run, &[&phase1]).await;

    let mut failed = Vec::new();
    let total: usize = phase1.ok.values().sum();
    println!();
    println!("phase 1: {total} successful requests in {elapsed:.0} s ({:.0} req/s)", total as f64 / elapsed);
    for (k, v) in &phase1.ok {
        println!("  {k:<22} {v:>8}");
    }
    for (k, v) in &phase1.other {
        println!("  other: {k} x{v}");
    }
    println!("  5xx / internal errors: {}", phase1.server_errors.len());
    for (kind, what, rid) in phase1.server_errors.iter().take(10) {
        println!("    {kind} {rid}: {what}");
    }
    if !phase1.server_errors.is_empty() {
        failed.push(format!("{} 5xx / internal errors during the soak", phase1.server_errors.len()));
    }
    let samples = samples.lock().unwrap().clone();
    println!("  RSS MB per replica (every {} s, {} samples):", sample.as_secs(), samples.len());
    for r in 0..2 {
        let series: Vec<f64> = samples.iter().map(|s| s[r]).collect();
        // The first sample is taken as the replica starts serving; the second, after warm-up,
        // is the baseline.
        let first = series.get(1).or(series.first()).copied().unwrap_or(0.0);
        let last = series.last().copied().unwrap_or(0.0);
        let max = series.iter().copied().fold(0.0, f64::max);
        let flat = last <= first * 1.10 + 10.0;
        println!(
            "    replica {r}: first {first:.1}  last {last:.1}  max {max:.1}   {}   [{}]",
            if flat { "flat" } else { "GROWING" },
            series.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join(" ")
        );
        if !flat {
            failed.push(format!("replica {r} RSS grew from {first:.1} MB to {last:.1} MB"));
        }
    }
    println!("  writes: {summary1}");
    for p in problems1.iter().take(10) {
        println!("    {p}");
    }
    if !problems1.is_empty() {
        failed.push(format!("soak: {summary1}"));
    }

    // ---- phase 2: SIGTERM while writes are in flight ----
    println!();
    println!("SIGTERM to both replicas while {workers} callers post results ...");
    let tasks = run_phase(&ctx, workers, Mode::WritesOnly).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_term = ctx.stats.lock().unwrap().results.len();
    for pid in &pids {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    }
    let termed = Instant::now();
    // Keep writing until both have exited (or 30 s: then they are killed).
    let mut exits: Vec<Option<(f64, String)>> = vec![None, None];
    while exits.iter().any(Option::is_none) && termed.elapsed() < Duration::from_secs(30) {
        for (n, c) in children.iter_mut().enumerate() {
            if exits[n].is_none()
                && let Ok(Some(status)) = c.try_wait()
            {
                exits[n] = Some((termed.elapsed().as_secs_f64(), status.to_string()));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ctx.stop.store(true, Ordering::Relaxed);
    join(tasks).await;
    refresher.abort();
    for (n, c) in children.iter_mut().enumerate() {
        match &exits[n] {
            Some((after, status)) => println!("  replica {n} exited {after:.2} s after SIGTERM: {status}"),
            None => {
                let _ = c.kill();
                let _ = c.wait();
                println!("  replica {n} still running 30 s after SIGTERM: killed");
                failed.push(format!("replica {n} did not exit within 30 s of SIGTERM"));
            }
        }
    }
    let phase2 = std::mem::take(&mut *ctx.stats.lock().unwrap());
    println!(
        "  acknowledged writes: {} ({} before SIGTERM, {} after)",
        phase2.results.len(),
        before_term,
        phase2.results.len().saturating_sub(before_term)
    );
    for (k, v) in &phase2.other {
        println!("  not acknowledged: {k} x{v}");
    }
    println!("  5xx / internal errors: {}", phase2.server_errors.len());
    for (kind, what, rid) in phase2.server_errors.iter().take(10) {
        println!("    {kind} {rid}: {what}");
    }
    let (problems2, summary2) = check_writes(&db, &run, &[&phase1, &phase2]).await;
    println!("  all writes after shutdown: {summary2}");
    for p in problems2.iter().take(10) {
        println!("    {p}");
    }
    if !problems2.is_empty() {
        failed.push(format!("after SIGTERM: {summary2}"));
    }
    if !phase2.server_errors.is_empty() {
        failed.push(format!("{} 5xx / internal errors around SIGTERM", phase2.server_errors.len()));
    }

    println!();
    drop(db);
    if failed.is_empty() {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE {db_name} WITH (FORCE)")).await;
        println!("soak passed");
    } else {
        println!("soak FAILED (database {db_name} and logs in {} kept):", dir.display());
        for f in &failed {
            println!("  - {f}");
        }
        std::process::exit(1);
    }
}
