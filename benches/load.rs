//! Load benchmark (issue 17): the release binary (`learnergraph serve`, a child process) under
//! `wrk` at 10 connections, on the demo district, for four workloads a vendor's tool runs:
//!
//! - W1 one learner by sourcedId with their profile (a random demo student per request);
//! - W2 50 learners of a school with their profiles and `totalCount` (a random school);
//! - W3 20 learners of Cedar Hollow's first grade 6 math section (the demo's playlists) with
//!   their playlists, items, each item's latest result, and their mastery;
//! - W4 `postResults` of 1,000 new results per request (unique sourcedIds).
//!
//! On PostgreSQL each workload is followed, in the same run and on the same database, by its
//! floor: the SQL a hand-written service would send for the same answer, run by `pgbench` with
//! prepared statements at 10 connections (see the `FLOOR_*` scripts for what each skips). For
//! each workload it prints req/s, p50 and p99, the server's and the database's CPU per request
//! (from /proc), SQL statements per request (the server's own counter), the floor's
//! transactions per second and the ratio against the issue's targets, then the server's RSS.
//!
//! Before each run one request is sent by hand and its answer checked to the row, so a broken
//! query can't produce a fast number; during the run the wrk script counts answers that are not
//! a 200 without `errors` (and, for W4, with user errors), and any such answer fails the bench.
//!
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench load`;
//! without it, SQLite and no floors. `LOAD_SECONDS` (10) per run, `LOAD_ROUNDS` (1),
//! `LOAD_ONLY=W1,W3`, `LOAD_SCALE=50000` (also W2's p50 at one connection on a district of that
//! size, first and last school, against a demo school).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use learnergraph::{
    auth::tokens::generate_pem,
    measure::{W1, W2, W4},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use serde_json::{Value, json};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_learnergraph");
const SCOPES: &str = "roster.read profiles.read playlists.read progress.read progress.write";
/// The demo's section whose students have playlists (src/seed/demo.rs).
const W3_CLASS: &str = "rb-c-003-06-math-s1";
const CONNECTIONS: u32 = 10;
const THREADS: u32 = 2;
const ROWS: usize = 1000;

const W3: &str = "query($id: String!) { class(sourcedId: $id) { learners(first: 20) { edges { node { sourcedId playlists { title items { title state latestResult { value occurredAt } } } mastery { level value mastered competency { sourcedId } } } } } } }";
const OCCURRED_AT: &str = "2026-10-01T10:00:00Z";

// ---- floors: pgbench scripts (-M prepared), one transaction = one API request ----
// `bench_*` tables map pgbench's random numbers to the same sourcedIds the wrk scripts pick
// from (a primary-key lookup inside the first statement). The floors read only the columns
// the query asks for.

/// W1, 2 statements: the learner by sourcedId, their profile by user id. Skips HTTP, the token
/// and the caller's client, the access filter, the audit, GraphQL.
const FLOOR_W1: &str = r"\set n random(1, {N})
SELECT u.id AS uid, u.sourced_id, u.given_name, u.family_name, u.grades FROM users u
 WHERE u.sourced_id = (SELECT sourced_id FROM bench_learners WHERE n = :n)
   AND u.role = 'student' AND u.status = 'active' \gset
SELECT p.version, p.strengths, p.interests, p.goals, p.modalities, p.pace FROM learner_profiles p WHERE p.user_id = :uid;
";

/// W2, 4 statements: the school's id, the count of its active students, the first 50 of them
/// (with their ids as an array for the next statement), their profiles. Skips what W1's does,
/// and the page's cursors.
const FLOOR_W2: &str = r"\set n random(1, {N})
SELECT o.id AS school FROM orgs o WHERE o.sourced_id = (SELECT sourced_id FROM bench_schools WHERE n = :n) \gset
SELECT count(*) AS total FROM users u WHERE u.role = 'student' AND u.status = 'active'
   AND u.id IN (SELECT uo.user_id FROM user_orgs uo WHERE uo.org_id = :school) \gset
SELECT page.*, array_agg(page.id) OVER () AS ids FROM (
  SELECT u.id, u.sourced_id, u.given_name, u.family_name, u.grades FROM users u
   WHERE u.role = 'student' AND u.status = 'active'
     AND u.id IN (SELECT uo.user_id FROM user_orgs uo WHERE uo.org_id = :school)
   ORDER BY u.id LIMIT 50) page \aset
SELECT p.user_id, p.version, p.strengths, p.interests, p.goals, p.modalities, p.pace
  FROM learner_profiles p WHERE p.user_id = ANY(:ids::bigint[]);
";

/// W3, 7 statements: the class, its first 20 active students, their playlists, the items, the
/// latest active result of each item, their masteries, the masteries' competencies. Skips what
/// W1's does, the caller's playlist and progress checks, ordering answers per learner.
const FLOOR_W3: &str = r"SELECT c.id AS class FROM classes c WHERE c.sourced_id = '{CLASS}' \gset
SELECT page.*, array_agg(page.id) OVER () AS uids FROM (
  SELECT u.id, u.sourced_id FROM users u WHERE u.role = 'student' AND u.status = 'active'
     AND u.id IN (SELECT e.user_id FROM enrollments e WHERE e.class_id = :class AND e.status = 'active')
   ORDER BY u.id LIMIT 20) page \aset
SELECT p.id AS pid, p.learner_id, p.title, array_agg(p.id) OVER () AS pids FROM playlists p
 WHERE p.learner_id = ANY(:uids::bigint[]) AND p.status = 'active' AND NOT p.is_template
 ORDER BY p.learner_id, p.id \aset
SELECT i.id AS iid, i.playlist_id, i.title, i.state, array_agg(i.id) OVER () AS iids FROM playlist_items i
 WHERE i.playlist_id = ANY(:pids::bigint[]) AND i.status = 'active' ORDER BY i.playlist_id, i.position \aset
SELECT DISTINCT ON (r.item_id) r.item_id, r.value, r.occurred_at FROM results r
 WHERE r.item_id = ANY(:iids::bigint[]) AND r.status = 'active' ORDER BY r.item_id, r.occurred_at DESC, r.id DESC;
SELECT m.learner_id, m.competency_id, m.level, m.value, m.mastered, array_agg(m.competency_id) OVER () AS cids
  FROM masteries m WHERE m.learner_id = ANY(:uids::bigint[]) ORDER BY m.learner_id, m.competency_id \aset
SELECT c.id, c.source_id FROM competencies c WHERE c.id = ANY(:cids::bigint[]);
";

/// W4, 1 statement: 1,000 new results in one `INSERT ... SELECT` over `generate_series`,
/// resolving learners and competencies by sourcedId in the same statement, idempotent on
/// (poster, sourcedId) like the API. Skips HTTP, the token, GraphQL, per-row validation and
/// content hashing (a placeholder hash), the mastery roll-up, playlist item states, the changes
/// feed, the audit and live events.
const FLOOR_W4: &str = r"INSERT INTO results (poster, sourced_id, learner_id, competency_id, score, score_max, value,
                     evidence, occurred_at, content_hash, status, created_at, date_last_modified)
SELECT 'floor', 'floor-' || b.k || '-' || g, u.id, c.id, (b.k * 7 + g * 3) % 11, 10, ((b.k * 7 + g * 3) % 11) / 10.0,
       'TEST', '{AT}', b.k || '-' || g, 'active', now(), now()
  FROM (SELECT nextval('bench_batches') AS k) b
 CROSS JOIN generate_series(0, 999) g
  JOIN bench_students bs ON bs.n = (b.k * 1000 + g) % {NS} + 1
  JOIN users u ON u.sourced_id = bs.sourced_id
  JOIN bench_standards bc ON bc.n = (2 * b.k + g) % {NC} + 1
  JOIN competencies c ON c.source_id = bc.sourced_id
ON CONFLICT (poster, sourced_id) DO NOTHING;
";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Fails at once, saying how to install it, when a tool the bench drives is missing.
fn require_tool(tool: &str, install: &str) {
    if let Err(e) = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        panic!("load: cannot run `{tool}` ({e}); install it first: {install}");
    }
}

/// The `learnergraph serve` child; killed when dropped (also when the bench panics).
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    async fn start(dir: &Path, env: &[(&str, String)], name: &str, http: &reqwest::Client) -> Server {
        // A free port: bind port 0, take the number, let it go for the server.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.join(format!("server-{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .arg("serve")
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("LEARNERGRAPH_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), log };
        let up = Instant::now();
        while !http.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {}", std::fs::read_to_string(&server.log).unwrap_or_default());
            }
            assert!(up.elapsed() < Duration::from_secs(60), "the server did not come up; see {}", server.log.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the release binary's command line to its end.
fn cli(dir: &Path, env: &[(&str, String)], args: &[&str]) -> String {
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

/// utime, stime, cutime, cstime of a /proc/PID/stat line, and its command name.
fn proc_stat(pid: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let comm = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_owned();
    // Fields after the command name start at field 3 (state): utime is field 14.
    let f: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let ticks = f.get(11..15)?.iter().map(|v| v.parse::<u64>().unwrap_or(0)).sum();
    Some((comm, ticks))
}

fn ms_per_tick() -> f64 {
    // SAFETY: sysconf reads a constant of the running system.
    1000.0 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// CPU the server has used so far (its own threads: it has no children).
fn server_ticks(pid: u32) -> u64 {
    proc_stat(&pid.to_string()).map_or(0, |s| s.1)
}

/// CPU every PostgreSQL process has used so far, including backends that have exited (the
/// postmaster's `cutime`/`cstime` hold what its reaped children used): pgbench's connections
/// end with the run.
fn postgres_ticks() -> u64 {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).map(str::to_owned))
        .filter_map(|pid| proc_stat(&pid))
        .filter(|(comm, _)| comm.starts_with("postgres"))
        .map(|(_, t)| t)
        .sum()
}

/// (peak, now) resident set size in MB.
fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0)
    };
    (kb("VmHWM:") / 1024.0, kb("VmRSS:") / 1024.0)
}

/// SQL statements the server has sent so far (its `learnergraph_db_statements_total`).
async fn statements(http: &reqwest::Client, base: &str) -> f64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("learnergraph_db_statements_total ").and_then(|v| v.trim().parse::<f64>().ok()))
        .expect("the server exposes learnergraph_db_statements_total on /metrics")
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    rows(db, sql).await.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    rows(db, sql).await[0].try_get_by_index::<i64>(0).unwrap()
}

/// Quoted for SQL and Lua alike: sourcedIds here are plain (checked), so quoting is just quotes.
fn plain(s: &str) -> &str {
    assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "unexpected sourcedId {s:?}");
    s
}

fn lua_list(items: &[String]) -> String {
    let mut out = String::from("{");
    for s in items {
        write!(out, "\"{}\",", plain(s)).unwrap();
    }
    out.push('}');
    out
}

/// A table `name(n int primary key, sourced_id text)` numbering `items` from 1, for pgbench.
async fn mapping(db: &DatabaseConnection, name: &str, items: &[String]) {
    db.execute_unprepared(&format!(
        "DROP TABLE IF EXISTS {name}; CREATE TABLE {name} (n int PRIMARY KEY, sourced_id text NOT NULL)"
    ))
    .await
    .unwrap();
    for (c, chunk) in items.chunks(1000).enumerate() {
        let values: Vec<String> =
            chunk.iter().enumerate().map(|(i, s)| format!("({}, '{}')", c * 1000 + i + 1, plain(s))).collect();
        db.execute_unprepared(&format!("INSERT INTO {name} VALUES {}", values.join(","))).await.unwrap();
    }
}

/// The wrk script: POST with the bearer token, `request` as given, and a count of failed
/// answers (not 200, `errors` in the body, or `extra_failure` true) printed by `done`.
fn lua_script(token: &str, request: &str, extra_failure: &str) -> String {
    format!(
        r#"-- generated by benches/load.rs
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

local threads = {{}}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid * 7919)
  failed = 0
  first = ""
  n = 0
end

{request}

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) {extra_failure} then
    failed = failed + 1
    if first == "" then first = status .. " " .. string.sub(body, 1, 4000) end
  end
end

function done(summary, latency, requests)
  local total = 0
  local sample = ""
  for _, t in ipairs(threads) do
    total = total + t:get("failed")
    local f = t:get("first")
    if sample == "" and f ~= nil then sample = f end
  end
  io.write("load-failed: " .. total .. "\n")
  if sample ~= "" then io.write("load-first-failure: " .. string.gsub(sample, "\n", " ") .. "\n") end
end
"#
    )
}

/// A wrk run's figures.
struct Wrk {
    rps: f64,
    p50: f64,
    p99: f64,
    requests: f64,
}

fn latency_ms(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().unwrap_or_else(|_| panic!("wrk latency {v:?}"));
    num * match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        other => panic!("wrk latency unit {other:?}"),
    }
}

fn run_wrk(dir: &Path, name: &str, script: &str, url: &str, secs: u64, threads: u32, connections: u32) -> Wrk {
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, script).unwrap();
    let out = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "--timeout",
            "30s",
            "--latency",
            "-s",
            path.to_str().unwrap(),
            url,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    let field = |prefix: &str| -> Option<&str> {
        text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(str::trim)
    };
    let failed: u64 = field("load-failed:").and_then(|v| v.parse().ok()).expect("the wrk script's count");
    if failed > 0 {
        panic!(
            "{name}: {failed} requests failed under load; one answer: {}\nwrk said:\n{text}",
            field("load-first-failure:").unwrap_or("?")
        );
    }
    if let Some(errors) = field("Socket errors:") {
        panic!("{name}: wrk saw socket errors ({errors}):\n{text}");
    }
    let requests: f64 = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk's output:\n{text}"));
    assert!(requests > 0.0, "{name}: no request completed:\n{text}");
    Wrk {
        rps: field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap(),
        p50: latency_ms(field("50%").unwrap()),
        p99: latency_ms(field("99%").unwrap()),
        requests,
    }
}

/// Transactions per second (without connection time), and database CPU ms per transaction.
fn run_pgbench(dir: &Path, name: &str, script: &str, url: &str, secs: u64) -> (f64, f64) {
    let path = dir.join(format!("{name}-floor.sql"));
    std::fs::write(&path, script).unwrap();
    let cpu = postgres_ticks();
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-c", &CONNECTIONS.to_string(), "-j", &THREADS.to_string()])
        .args(["-T", &secs.to_string(), "-f", path.to_str().unwrap(), url])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let cpu = (postgres_ticks() - cpu) as f64 * ms_per_tick();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pgbench {name} failed:\n{text}{err}");
    let field = |prefix: &str| text.lines().find_map(|l| l.strip_prefix(prefix)).map(str::trim);
    let failed: u64 =
        field("number of failed transactions:").and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    assert_eq!(failed, 0, "pgbench {name}: failed transactions:\n{text}{err}");
    let done: f64 = field("number of transactions actually processed:")
        .and_then(|v| v.split('/').next()?.parse().ok())
        .unwrap_or_else(|| panic!("pgbench {name}: no transaction count:\n{text}"));
    let tps = text
        .lines()
        .find(|l| l.contains("(without initial connection time)"))
        .and_then(|l| l.strip_prefix("tps = ")?.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("pgbench {name}: no tps:\n{text}"));
    (tps, cpu / done.max(1.0))
}

/// What the workloads need: the running server, a token, the demo's names.
struct Ctx {
    http: reqwest::Client,
    base: String,
    pid: u32,
    token: String,
    db: DatabaseConnection,
    dir: PathBuf,
    /// The database's URL for pgbench; None on SQLite.
    pg_url: Option<String>,
    secs: u64,
    /// Students with a profile (W1).
    learners: Vec<String>,
    /// Schools with at least 50 active students (W2).
    schools: Vec<String>,
    /// Every active student, and the framework's standards (W4).
    students: Vec<String>,
    standards: Vec<String>,
}

impl Ctx {
    async fn gql(&self, query: &str, variables: Value) -> Value {
        gql(&self.http, &self.base, &self.token, query, variables).await
    }
}

/// A GraphQL request to the server at `base` as `token`; fails unless it is a 200 free of
/// `errors`.
async fn gql(http: &reqwest::Client, base: &str, token: &str, query: &str, variables: Value) -> Value {
    let res = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success() && body.get("errors").is_none(), "{status}: {body}");
    body
}

/// One workload's row.
struct Row {
    name: &'static str,
    what: &'static str,
    wrk: Wrk,
    server_ms: f64,
    /// None on SQLite (in the server's process).
    db_ms: Option<f64>,
    statements: f64,
    /// (tps, database CPU ms per transaction); None on SQLite.
    floor: Option<(f64, f64)>,
    target: f64,
}

impl Row {
    fn print(&self) {
        let floor = match self.floor {
            Some((tps, cpu)) => format!("{tps:>9.1} {cpu:>7.3}"),
            None => format!("{:>17}", "floor: PostgreSQL only"),
        };
        let db = self.db_ms.map_or_else(|| format!("{:>7}", "in srv"), |v| format!("{v:>7.3}"));
        let ratio = match self.floor {
            Some((tps, _)) => {
                let r = self.wrk.rps / tps;
                format!("{r:>5.2} {}", if r >= self.target { "ok  " } else { "MISS" })
            }
            None => format!("{:>5} {:4}", "-", ""),
        };
        let tail = self.wrk.p99 / self.wrk.p50;
        println!(
            "{:<3} {:>8.1} {:>7.2} {:>7.2} {:>7.3} {db} {:>6.1} | {floor} | {ratio} (>= {:.2}) | {:>4.1} {}   {}",
            self.name,
            self.wrk.rps,
            self.wrk.p50,
            self.wrk.p99,
            self.server_ms,
            self.statements,
            self.target,
            tail,
            if tail <= 3.0 { "ok  " } else { "MISS" },
            self.what,
        );
    }
}

fn header() {
    println!(
        "{:<3} {:>8} {:>7} {:>7} {:>7} {:>7} {:>6} | {:>9} {:>7} | {:>5} {:4} {:9} | {:>4} {:4}",
        "",
        "req/s",
        "p50 ms",
        "p99 ms",
        "srv CPU",
        "db CPU",
        "SQL",
        "floor/s",
        "fl. CPU",
        "ratio",
        "",
        "target",
        "p99/p50",
        ""
    );
}

/// Runs `lua` under wrk at 10 connections and its floor under pgbench, sampling CPU and the
/// statement counter around the wrk run.
async fn measure(ctx: &Ctx, name: &'static str, what: &'static str, target: f64, lua: String, floor: String) -> Row {
    let pid = ctx.pid;
    let (srv, pg, st) = (server_ticks(pid), postgres_ticks(), statements(&ctx.http, &ctx.base).await);
    let wrk = run_wrk(&ctx.dir, name, &lua, &format!("{}/graphql", ctx.base), ctx.secs, THREADS, CONNECTIONS);
    let (srv, pg) = (server_ticks(pid) - srv, postgres_ticks() - pg);
    let st = statements(&ctx.http, &ctx.base).await - st;
    let per = |ticks: u64| ticks as f64 * ms_per_tick() / wrk.requests;
    let floor = ctx.pg_url.as_ref().map(|url| run_pgbench(&ctx.dir, name, &floor, url, ctx.secs));
    Row {
        name,
        what,
        server_ms: per(srv),
        db_ms: ctx.pg_url.as_ref().map(|_| per(pg)),
        statements: st / wrk.requests,
        floor,
        target,
        wrk,
    }
}

fn body(query: &str, id: &str) -> String {
    serde_json::to_string(&json!({"query": query, "variables": {"id": id}})).unwrap()
}

async fn w1(ctx: &Ctx) -> Row {
    let probe = &ctx.learners[ctx.learners.len() / 2];
    let got = ctx.gql(W1, json!({"id": probe})).await;
    let version = count(
        &ctx.db,
        &format!(
            "SELECT CAST(p.version AS BIGINT) FROM learner_profiles p JOIN users u ON u.id = p.user_id WHERE u.sourced_id = '{}'",
            plain(probe)
        ),
    )
    .await;
    let learner = &got["data"]["learner"];
    assert_eq!(learner["sourcedId"], json!(probe), "{got}");
    assert_eq!(learner["profile"]["version"], json!(version), "{got}");
    assert!(learner["profile"]["goals"].is_array() && learner["profile"]["learningPreferences"].is_object(), "{got}");

    let full = body(W1, "@ID@");
    let (prefix, suffix) = full.split_once("@ID@").unwrap();
    let request = format!(
        "local ids = {}\nlocal prefix = [==[{prefix}]==]\nlocal suffix = [==[{suffix}]==]\n\
         function request()\n  return wrk.format(nil, nil, nil, prefix .. ids[math.random(#ids)] .. suffix)\nend",
        lua_list(&ctx.learners)
    );
    let floor = FLOOR_W1.replace("{N}", &ctx.learners.len().to_string());
    measure(ctx, "W1", "one learner by sourcedId with profile", 0.35, lua_script(&ctx.token, &request, ""), floor).await
}

async fn w2(ctx: &Ctx) -> Row {
    for school in [&ctx.schools[0], ctx.schools.last().unwrap()] {
        let got = ctx.gql(W2, json!({"id": school})).await;
        let scope = format!(
            "FROM users u WHERE u.role = 'student' AND u.status = 'active' AND u.id IN \
             (SELECT uo.user_id FROM user_orgs uo JOIN orgs o ON o.id = uo.org_id WHERE o.sourced_id = '{}')",
            plain(school)
        );
        let total = count(&ctx.db, &format!("SELECT COUNT(*) {scope}")).await;
        let page = strings(&ctx.db, &format!("SELECT u.sourced_id {scope} ORDER BY u.id LIMIT 50")).await;
        let with_profile = count(
            &ctx.db,
            &format!(
                "SELECT COUNT(*) FROM learner_profiles p WHERE p.user_id IN (SELECT id FROM (SELECT u.id {scope} ORDER BY u.id LIMIT 50) page)"
            ),
        )
        .await;
        let learners = &got["data"]["school"]["learners"];
        assert_eq!(learners["totalCount"], json!(total), "{school}: {got}");
        let edges = learners["edges"].as_array().unwrap_or_else(|| panic!("{got}"));
        let sids: Vec<&str> = edges.iter().filter_map(|e| e["node"]["sourcedId"].as_str()).collect();
        assert_eq!(sids, page, "{school}: the page");
        let profiles = edges.iter().filter(|e| e["node"]["profile"].is_object()).count();
        assert_eq!(profiles as i64, with_profile, "{school}: profiles");
        assert_eq!(profiles, 50, "{school}: every learner of the page has a profile");
    }
    let bodies: Vec<String> = ctx.schools.iter().map(|s| format!("[==[{}]==]", body(W2, s))).collect();
    let request = format!(
        "local bodies = {{{}}}\nfunction request()\n  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])\nend",
        bodies.join(",\n")
    );
    let floor = FLOOR_W2.replace("{N}", &ctx.schools.len().to_string());
    measure(
        ctx,
        "W2",
        "50 learners of a school with profiles, totalCount",
        0.6,
        lua_script(&ctx.token, &request, ""),
        floor,
    )
    .await
}

async fn w3(ctx: &Ctx) -> Row {
    let got = ctx.gql(W3, json!({"id": W3_CLASS})).await;
    let page = format!(
        "SELECT u.id FROM users u WHERE u.role = 'student' AND u.status = 'active' AND u.id IN \
         (SELECT e.user_id FROM enrollments e JOIN classes c ON c.id = e.class_id WHERE c.sourced_id = '{W3_CLASS}' AND e.status = 'active') \
         ORDER BY u.id LIMIT 20"
    );
    let learners =
        strings(&ctx.db, &format!("SELECT u.sourced_id FROM users u WHERE u.id IN ({page}) ORDER BY u.id")).await;
    let lists = format!(
        "SELECT p.id FROM playlists p WHERE p.learner_id IN ({page}) AND p.status = 'active' AND NOT p.is_template"
    );
    let playlists = count(&ctx.db, &format!("SELECT COUNT(*) FROM ({lists}) l")).await;
    let items = format!("SELECT i.id FROM playlist_items i WHERE i.playlist_id IN ({lists}) AND i.status = 'active'");
    let item_count = count(&ctx.db, &format!("SELECT COUNT(*) FROM ({items}) i")).await;
    let with_result = count(
        &ctx.db,
        &format!(
            "SELECT COUNT(DISTINCT r.item_id) FROM results r WHERE r.item_id IN ({items}) AND r.status = 'active'"
        ),
    )
    .await;
    let masteries = count(&ctx.db, &format!("SELECT COUNT(*) FROM masteries m WHERE m.learner_id IN ({page})")).await;

    let edges = got["data"]["class"]["learners"]["edges"].as_array().unwrap_or_else(|| panic!("{got}"));
    let nodes: Vec<&Value> = edges.iter().map(|e| &e["node"]).collect();
    let sids: Vec<&str> = nodes.iter().filter_map(|n| n["sourcedId"].as_str()).collect();
    assert_eq!(sids, learners, "W3: the page");
    assert_eq!(learners.len(), 20, "W3: the class has 20 learners");
    let all_playlists: Vec<&Value> = nodes.iter().flat_map(|n| n["playlists"].as_array().unwrap().iter()).collect();
    let all_items: Vec<&Value> = all_playlists.iter().flat_map(|p| p["items"].as_array().unwrap().iter()).collect();
    let results = all_items.iter().filter(|i| i["latestResult"].is_object()).count();
    let mastery: usize = nodes.iter().map(|n| n["mastery"].as_array().unwrap().len()).sum();
    assert_eq!(all_playlists.len() as i64, playlists, "W3: playlists");
    assert_eq!(all_items.len() as i64, item_count, "W3: items");
    assert_eq!(results as i64, with_result, "W3: items with a latest result");
    assert_eq!(mastery as i64, masteries, "W3: masteries");
    assert!(playlists >= 20 && item_count >= 40 && with_result >= 20 && masteries >= 20, "W3 is too thin: {got}");

    let request = format!(
        "local body = [==[{}]==]\nfunction request()\n  return wrk.format(nil, nil, nil, body)\nend",
        body(W3, W3_CLASS)
    );
    let floor = FLOOR_W3.replace("{CLASS}", W3_CLASS);
    measure(
        ctx,
        "W3",
        "20 learners > playlists > items > latest result, mastery",
        0.6,
        lua_script(&ctx.token, &request, ""),
        floor,
    )
    .await
}

async fn w4(ctx: &Ctx, round: u64) -> Row {
    let run = format!("load-{}-r{round}", uuid::Uuid::new_v4().simple());
    let (ns, nc) = (ctx.students.len(), ctx.standards.len());
    // Row i of batch k: learner (1000k + i) mod NS, standard (2k + i) mod NC, a score out of
    // 10. A learner's standard moves from batch to batch: with (k + i) it never did on the demo
    // (3,006 students, 9 standards: 999k is a multiple of 9), so every post of a learner landed
    // on one (learner, standard) pair whose history, which the roll-up reads, grew all run.
    let rows: Vec<Value> = (0..ROWS)
        .map(|i| {
            json!({"sourcedId": format!("{run}-check-{i}"), "learnerSourcedId": ctx.students[i % ns],
                   "competencyId": ctx.standards[i % nc], "score": (i * 3 % 11) as f64, "scoreMax": 10,
                   "evidenceType": "TEST", "occurredAt": OCCURRED_AT})
        })
        .collect();
    let got = ctx.gql(W4, json!({"rows": rows})).await;
    let results = got["data"]["postResults"]["results"].as_array().unwrap_or_else(|| panic!("{got}"));
    assert_eq!(got["data"]["postResults"]["userErrors"], json!([]), "{got}");
    assert_eq!(results.len(), ROWS, "{got}");
    assert!(results.iter().all(|r| r["outcome"] == "CREATED"), "{got}");

    let full = serde_json::to_string(&json!({"query": W4, "variables": {"rows": "@ROWS@"}})).unwrap();
    let (prefix, suffix) = full.split_once("\"@ROWS@\"").unwrap();
    // Each thread numbers its batches; sourcedIds are run-thread-batch-row, so every request
    // inserts 1,000 new rows.
    let request = format!(
        r#"local learners = {learners}
local standards = {standards}
local prefix = [==[{prefix}[]==]
local suffix = [==[]{suffix}]==]
function request()
  n = n + 1
  local k = n * {THREADS} + tid
  local rows = {{}}
  for i = 0, {last} do
    rows[i + 1] = '{{"sourcedId":"{run}-' .. tid .. '-' .. n .. '-' .. i ..
      '","learnerSourcedId":"' .. learners[(k * {ROWS} + i) % #learners + 1] ..
      '","competencyId":"' .. standards[(2 * k + i) % #standards + 1] ..
      '","score":' .. ((k * 7 + i * 3) % 11) .. ',"scoreMax":10,"evidenceType":"TEST","occurredAt":"{OCCURRED_AT}"}}'
  end
  return wrk.format(nil, nil, nil, prefix .. table.concat(rows, ",") .. suffix)
end"#,
        learners = lua_list(&ctx.students),
        standards = lua_list(&ctx.standards),
        last = ROWS - 1,
    );
    let extra = r#"or not string.find(body, '"userErrors":[]', 1, true)"#;
    let floor = FLOOR_W4.replace("{NS}", &ns.to_string()).replace("{NC}", &nc.to_string()).replace("{AT}", OCCURRED_AT);
    measure(ctx, "W4", "postResults, 1,000 new rows", 0.5, lua_script(&ctx.token, &request, extra), floor).await
}

/// An OAuth client in `db` and a client_credentials token for it from `base`.
async fn token(db: &DatabaseConnection, http: &reqwest::Client, base: &str) -> String {
    common::client_token(db, http, base, SCOPES).await
}

/// A fresh database: on the PostgreSQL server `admin` names, or an SQLite file in `dir`.
async fn fresh_database(admin: Option<&str>, dir: &Path, name: &str) -> String {
    match admin {
        Some(admin) => common::fresh_postgres(admin).await,
        None => format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display()),
    }
}

/// Results on the first two items of every playlist of W3's class (as the practice tool the
/// items name would post them), so that W3 reads latest results, not just empty lists.
async fn seed_item_results(ctx: &Ctx) {
    let q = "query($id: String!) { class(sourcedId: $id) { learners(first: 100) { edges { node { sourcedId playlists { items { id position } } } } } } }";
    let got = ctx.gql(q, json!({"id": W3_CLASS})).await;
    let mut rows = Vec::new();
    for (n, edge) in got["data"]["class"]["learners"]["edges"].as_array().unwrap().iter().enumerate() {
        let learner = edge["node"]["sourcedId"].as_str().unwrap();
        for playlist in edge["node"]["playlists"].as_array().unwrap() {
            for item in playlist["items"].as_array().unwrap() {
                let position = item["position"].as_i64().unwrap();
                if position <= 2 {
                    rows.push(
                        json!({"sourcedId": format!("load-item-{learner}-{position}"), "learnerSourcedId": learner,
                        "itemId": item["id"], "score": ((n as i64 * (5 + position)) % 11) as f64, "scoreMax": 10,
                        "evidenceType": "TEST", "occurredAt": format!("2026-10-{:02}T15:00:00Z", 5 + position)}),
                    );
                }
            }
        }
    }
    assert!(!rows.is_empty(), "no playlists in {W3_CLASS}: {got}");
    let posted = ctx.gql(W4, json!({"rows": rows})).await;
    assert_eq!(posted["data"]["postResults"]["userErrors"], json!([]), "{posted}");
    println!("posted {} item results for {W3_CLASS}'s playlists", rows.len());
}

#[tokio::main]
async fn main() {
    let secs = env_num("LOAD_SECONDS", 10).max(1);
    let rounds = env_num("LOAD_ROUNDS", 1).max(1);
    let scale = env_num("LOAD_SCALE", 0);
    let only: Option<Vec<String>> = std::env::var("LOAD_ONLY")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|w| w.trim().to_uppercase()).collect());
    let wanted = |w: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == w));
    require_tool("wrk", "`apt-get install -y wrk` (Debian/Ubuntu), or build it from https://github.com/wg/wrk");
    let admin = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty());
    if let Some(a) = &admin {
        assert!(a.starts_with("postgres"), "BENCH_DATABASE_URL must name a PostgreSQL server (or be unset for SQLite)");
        require_tool("pgbench", "`apt-get install -y postgresql-client` (Debian/Ubuntu)");
    }
    let label = if admin.is_some() { "PostgreSQL" } else { "SQLite" };
    let dir = std::env::temp_dir().join(format!("lg_load_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]));
    std::fs::create_dir_all(&dir).unwrap();

    let url = fresh_database(admin.as_deref(), &dir, "demo").await;
    let pem = generate_pem().unwrap();
    let env_for = |url: &str| {
        vec![
            ("DATABASE_URL", url.to_owned()),
            ("LEARNERGRAPH_SIGNING_KEY", pem.clone()),
            ("LEARNERGRAPH_ISSUER", "http://bench".to_owned()),
            // The server's work, not a tool's budget (as benches/common).
            ("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", "100000000".to_owned()),
            ("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", "4000000000".to_owned()),
        ]
    };
    let env = env_for(&url);
    let t = Instant::now();
    let seeded = cli(&dir, &env, &["seed", "--demo"]);
    println!("load on {label}: seeded the demo district in {:.1} s: {}", t.elapsed().as_secs_f64(), seeded.trim());

    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    let server = Server::start(&dir, &env, "demo", &http).await;
    let db = Database::connect(&url).await.unwrap();
    let token = token(&db, &http, &server.base).await;
    let learners = strings(
        &db,
        "SELECT u.sourced_id FROM users u JOIN learner_profiles p ON p.user_id = u.id \
         WHERE u.role = 'student' AND u.status = 'active' ORDER BY u.id",
    )
    .await;
    let schools = strings(
        &db,
        "SELECT o.sourced_id FROM orgs o JOIN user_orgs uo ON uo.org_id = o.id JOIN users u ON u.id = uo.user_id \
         WHERE o.org_type = 'school' AND u.role = 'student' AND u.status = 'active' \
         GROUP BY o.sourced_id HAVING COUNT(DISTINCT u.id) >= 50 ORDER BY o.sourced_id",
    )
    .await;
    let students =
        strings(&db, "SELECT sourced_id FROM users WHERE role = 'student' AND status = 'active' ORDER BY id").await;
    let standards = strings(
        &db,
        "SELECT source_id FROM competencies WHERE item_type = 'Standard' AND status = 'active' ORDER BY id",
    )
    .await;
    assert!(!learners.is_empty() && !schools.is_empty() && students.len() >= ROWS && !standards.is_empty());
    let ctx = Ctx {
        http: http.clone(),
        base: server.base.clone(),
        pid: server.pid(),
        token,
        db,
        dir: dir.clone(),
        pg_url: admin.as_ref().map(|_| url.clone()),
        secs,
        learners,
        schools,
        students,
        standards,
    };
    seed_item_results(&ctx).await;
    if ctx.pg_url.is_some() {
        mapping(&ctx.db, "bench_learners", &ctx.learners).await;
        mapping(&ctx.db, "bench_schools", &ctx.schools).await;
        mapping(&ctx.db, "bench_students", &ctx.students).await;
        mapping(&ctx.db, "bench_standards", &ctx.standards).await;
        ctx.db.execute_unprepared("CREATE SEQUENCE IF NOT EXISTS bench_batches").await.unwrap();
    }
    // The servers here run with autovacuum off: statistics for the seeded district.
    ctx.db.execute_unprepared("ANALYZE").await.unwrap();

    println!(
        "{} students ({} with a profile), {} schools of 50 or more, {} standards; scripts and the server's log in {}",
        ctx.students.len(),
        ctx.learners.len(),
        ctx.schools.len(),
        ctx.standards.len(),
        dir.display()
    );
    println!(
        "each run: wrk -t{THREADS} -c{CONNECTIONS} -d{secs}s --timeout 30s --latency -s DIR/W?.lua {}/graphql",
        ctx.base
    );
    if let Some(url) = &ctx.pg_url {
        println!(
            "each floor: pgbench -n -M prepared -c {CONNECTIONS} -j {THREADS} -T {secs} -f DIR/W?-floor.sql {url}"
        );
    }
    println!(
        "columns: CPU in ms per request (srv: the server process; db: every postgres process; fl. CPU: the \
         database's per floor transaction), SQL statements per request (the server's counter), floor/s: pgbench \
         transactions per second, ratio: req/s / floor/s"
    );
    let mut all = Vec::new();
    for round in 1..=rounds {
        println!();
        println!("round {round} of {rounds}, {label}, {CONNECTIONS} connections, {secs} s per run");
        header();
        for name in ["W1", "W2", "W3", "W4"].into_iter().filter(|w| wanted(w)) {
            let row = match name {
                "W1" => w1(&ctx).await,
                "W2" => w2(&ctx).await,
                "W3" => w3(&ctx).await,
                _ => w4(&ctx, round).await,
            };
            row.print();
            all.push(row);
        }
    }
    let (peak, now) = rss_mb(ctx.pid);
    println!();
    println!(
        "server RSS: peak {peak:.1} MB, now {now:.1} MB (target under load < 150 MB: {})",
        if peak < 150.0 { "ok" } else { "MISS" }
    );
    let missed: Vec<String> = all
        .iter()
        .flat_map(|r| {
            let mut m = Vec::new();
            if let Some((tps, _)) = r.floor
                && r.wrk.rps / tps < r.target
            {
                m.push(format!("{} ratio {:.2} < {:.2}", r.name, r.wrk.rps / tps, r.target));
            }
            if r.wrk.p99 > 3.0 * r.wrk.p50 {
                m.push(format!("{} p99 {:.1} ms > 3 x p50 {:.1} ms", r.name, r.wrk.p99, r.wrk.p50));
            }
            m
        })
        .collect();
    if missed.is_empty() {
        println!("targets: all met");
    } else {
        println!("targets missed: {}", missed.join("; "));
    }

    if scale > 0 {
        scale_check(&ctx, admin.as_deref(), &env_for, scale).await;
    }
    drop(server);
}

/// W2's p50 at one connection on a district of `students` (first and last school by
/// sourcedId) against a demo school: at most 1.5x.
async fn scale_check(
    ctx: &Ctx,
    admin: Option<&str>,
    env_for: &dyn Fn(&str) -> Vec<(&'static str, String)>,
    students: u64,
) {
    println!();
    println!("scale: seeding a district of {students} students into a second database ...");
    let url = fresh_database(admin, &ctx.dir, "scale").await;
    let env = env_for(&url);
    let t = Instant::now();
    let seeded = cli(&ctx.dir, &env, &["seed", "--scale", &students.to_string()]);
    println!("scale: seeded in {:.1} s: {}", t.elapsed().as_secs_f64(), seeded.trim());
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared("ANALYZE").await.unwrap();
    let server = Server::start(&ctx.dir, &env, "scale", &ctx.http).await;
    let token = token(&db, &ctx.http, &server.base).await;
    let schools = strings(&db, "SELECT sourced_id FROM orgs WHERE org_type = 'school' ORDER BY sourced_id").await;
    let one = |base: &str, token: &str, school: &str, name: &str| {
        let request = format!(
            "local body = [==[{}]==]\nfunction request()\n  return wrk.format(nil, nil, nil, body)\nend",
            body(W2, school)
        );
        run_wrk(&ctx.dir, name, &lua_script(token, &request, ""), &format!("{base}/graphql"), ctx.secs, 1, 1)
    };
    let check = |base: String, token: String, school: String| {
        let http = ctx.http.clone();
        async move {
            let got = gql(&http, &base, &token, W2, json!({"id": school})).await;
            let edges = got["data"]["school"]["learners"]["edges"].as_array().map(Vec::len);
            assert_eq!(edges, Some(50), "scale: {school}: {got}");
        }
    };
    let demo_school = ctx.schools[0].clone();
    check(ctx.base.clone(), ctx.token.clone(), demo_school.clone()).await;
    let demo = one(&ctx.base, &ctx.token, &demo_school, "scale-demo");
    println!("scale: W2 at 1 connection, demo ({demo_school}): p50 {:.2} ms, {:.1} req/s", demo.p50, demo.rps);
    for (which, school) in [("first", schools.first().unwrap()), ("last", schools.last().unwrap())] {
        check(server.base.clone(), token.clone(), school.clone()).await;
        let w = one(&server.base, &token, school, &format!("scale-{which}"));
        let ratio = w.p50 / demo.p50;
        println!(
            "scale: W2 at 1 connection, {students} students, {which} school ({school}): p50 {:.2} ms, {:.1} req/s, \
             {ratio:.2}x the demo's (target <= 1.5: {})",
            w.p50,
            w.rps,
            if ratio <= 1.5 { "ok" } else { "MISS" }
        );
    }
    drop(server);
    explain_reads(ctx, &env, &db, schools.last().unwrap()).await;
}

/// The tables whose size grows with the district: a sequential scan of one on a read path
/// costs the whole district on every request.
const GROWING: [&str; 9] = [
    "users",
    "user_orgs",
    "enrollments",
    "learner_profiles",
    "playlists",
    "playlist_items",
    "results",
    "masteries",
    "audit_events",
];

/// `EXPLAIN` of every statement W1 and W2 send for `school` of the scale district, as
/// prepared statements run them once warm (the generic plan: `plan_cache_mode =
/// force_generic_plan`). The statements are read from a server that logs its SQL
/// (`learnergraph::sql` at trace), started for this alone. Prints each plan's shape and
/// whether it scans a growing table whole.
async fn explain_reads(ctx: &Ctx, env: &[(&'static str, String)], db: &DatabaseConnection, school: &str) {
    let mut env = env.to_vec();
    env.push(("RUST_LOG", "error,learnergraph::sql=trace".to_owned()));
    env.push(("LEARNERGRAPH_LOG_FORMAT", "json".to_owned()));
    let server = Server::start(&ctx.dir, &env, "explain", &ctx.http).await;
    let token = token(db, &ctx.http, &server.base).await;
    let learner = strings(
        db,
        &format!(
            "SELECT u.sourced_id FROM users u JOIN user_orgs uo ON uo.user_id = u.id JOIN orgs o ON o.id = uo.org_id \
             WHERE o.sourced_id = '{school}' AND u.role = 'student' ORDER BY u.id DESC LIMIT 1"
        ),
    )
    .await;
    let start = std::fs::metadata(&server.log).map(|m| m.len()).unwrap_or(0);
    for (doc, vars) in [(W1, json!({"id": learner[0]})), (W2, json!({"id": school}))] {
        gql(&ctx.http, &server.base, &token, doc, vars).await;
    }
    let log = std::fs::read_to_string(&server.log).unwrap();
    drop(server);
    let mut seen = std::collections::BTreeSet::new();
    let statements: Vec<String> = log
        .get(start as usize..)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["target"] == "learnergraph::sql")
        .filter_map(|l| l["fields"]["sql"].as_str().map(str::to_owned))
        .filter(|sql| sql.starts_with("SELECT") || sql.starts_with("WITH"))
        .filter(|sql| seen.insert(sql.clone()))
        .collect();
    assert!(!statements.is_empty(), "explain: the server logged no statements");
    println!("explain: the {} statements W1 and W2 send, generic plans on the scale district:", statements.len());
    let mut scans = 0;
    for (i, sql) in statements.iter().enumerate() {
        let params = (1..=sql.len()).take_while(|n| sql.contains(&format!("${n}"))).count();
        // One connection for PREPARE and EXECUTE: a transaction's, rolled back.
        let conn = db.begin().await.unwrap();
        let plan = async {
            conn.execute_unprepared("SET plan_cache_mode = force_generic_plan").await?;
            conn.execute_unprepared(&format!("PREPARE explained_{i} AS {sql}")).await?;
            let nulls = vec!["NULL"; params].join(", ");
            let args = if params == 0 { String::new() } else { format!("({nulls})") };
            let rows = conn
                .query_all_raw(Statement::from_string(
                    conn.get_database_backend(),
                    format!("EXPLAIN EXECUTE explained_{i}{args}"),
                ))
                .await?;
            rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect::<Result<Vec<_>, _>>()
        }
        .await;
        conn.rollback().await.unwrap();
        let short: String = sql.chars().take(110).collect();
        match plan {
            Ok(lines) => {
                let whole: Vec<&str> = GROWING
                    .iter()
                    .copied()
                    .filter(|t| lines.iter().any(|l| l.contains(&format!("Seq Scan on {t} "))))
                    .collect();
                scans += whole.len();
                let nodes: Vec<String> = lines
                    .iter()
                    .filter_map(|l| {
                        let l = l.trim_start().trim_start_matches("-> ");
                        let name = l.split("  (cost").next()?;
                        (!name.starts_with(char::is_lowercase)).then(|| name.to_owned())
                    })
                    .collect();
                println!(
                    "  {}: {short}...\n      {}{}",
                    i + 1,
                    nodes.join(" / "),
                    if whole.is_empty() {
                        String::new()
                    } else {
                        format!("\n      MISS: scans {} whole", whole.join(", "))
                    }
                );
            }
            Err(e) => println!("  {}: {short}...\n      not explained: {e}", i + 1),
        }
    }
    println!("explain: {scans} whole scans of growing tables (target 0: {})", if scans == 0 { "ok" } else { "MISS" });
}
