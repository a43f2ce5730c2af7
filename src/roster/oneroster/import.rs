//! `learnergraph import oneroster`: a OneRoster CSV set applied to the roster in one
//! transaction, after every row is checked.
//!
//! Two passes over each file, streaming (memory grows with the number of records' sourcedIds,
//! never with the size of the files): the first collects every file's sourcedIds (duplicates,
//! deletions, users' roles), so that references between files can be checked whatever their
//! order; the second reads each row in full, checks it and its references, compares it with
//! the stored record and writes what changed, in batches, in the order references need. Any
//! problem (without `--skip-invalid`) stops the writing and rolls the transaction back, so a
//! failed or killed import leaves the roster as it was. Unchanged records are not touched: a
//! second import of the same files writes nothing and moves no `dateLastModified`.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use chrono::{DateTime, Utc};
use entity::{
    Role, Status, academic_session, class, class_term, course, demographic, enrollment, gradebook_category, line_item,
    line_item_objective, org, result, score_scale, user, user_agent, user_org,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use serde::Serialize;

use super::{
    gradebook::{self, Line, LineItemRefs},
    history,
    problems::{Code, Problem, Problems},
    records::{self, Kind, Names, Rec, RoleRec, coarse_role, default_role, role_id},
    rows::{self, Columns, Row},
    set::{CsvSet, Mode, Reader, Version, error_line},
};
use crate::{
    error::AppResult,
    sync::{Bus, Change, ChangeEntity, Effects},
};

/// How an import runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// Who ran it, for the import's record.
    pub ran_by: String,
    /// Print problems and progress to standard error as they come (the CLI).
    pub echo: bool,
    /// Keep a record of the import (`import history`, `rosterImports`): the CLI's imports.
    pub record: bool,
    /// The orgs (ids, with the schools below them) the writer may write in; `None` = the
    /// whole district. Records outside them can't be named, changed or referred to.
    pub scope: Option<Vec<i64>>,
    /// A row whose `dateLastModified` is older than the stored record's is ignored as stale.
    pub stale_check: bool,
    /// Import demographics.csv (otherwise reported as not imported).
    pub with_demographics: bool,
    /// Keep each row's outcome (`Report::rows`), for a writer that answers per row.
    pub per_row: bool,
    /// Read only the stored records the set names or refers to, not the whole district: for a
    /// small set of deltas (a GraphQL roster write, a OneRoster REST write). Ignored when a file
    /// is bulk, which needs every stored record of its type.
    pub targeted: bool,
    /// The process's live events, for a writer serving subscribers in this process (a REST
    /// write on SQLite); a command's own process has none.
    pub bus: Option<Bus>,
}

/// The columns that name another record: what a targeted import reads beside the rows' own.
const REFERENCE_COLUMNS: [&str; 12] = [
    "parentSourcedId",
    "orgSourcedId",
    "schoolYearSourcedId",
    "courseSourcedId",
    "schoolSourcedId",
    "primaryOrgSourcedId",
    "userSourcedId",
    "classSourcedId",
    "categorySourcedId",
    "academicSessionSourcedId",
    "lineItemSourcedId",
    "studentSourcedId",
];

/// The columns that name several (comma-separated).
const REFERENCE_LISTS: [&str; 3] = ["orgSourcedIds", "termSourcedIds", "agentSourcedIds"];

/// What happened to one row (a GraphQL roster write answers it per row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowWrite {
    Created,
    Updated,
    Unchanged,
    IgnoredStale,
    Deleted,
}

/// One row's outcome: its file, its index among the file's rows, its sourcedId.
#[derive(Clone, Debug)]
pub struct RowResult {
    pub kind: Kind,
    pub index: u64,
    pub sourced_id: String,
    pub outcome: RowWrite,
}

/// What happened to one type's records.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub skipped: u64,
    /// Rows older than the stored record (GraphQL writes that send `dateLastModified`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stale: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How an import ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Running,
    Applied,
    AppliedWithSkips,
    Rejected,
    DryRun,
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Applied => "applied",
            Outcome::AppliedWithSkips => "applied_with_skips",
            Outcome::Rejected => "rejected",
            Outcome::DryRun => "dry_run",
            Outcome::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Outcome {
        match s {
            "applied" => Outcome::Applied,
            "applied_with_skips" => Outcome::AppliedWithSkips,
            "rejected" => Outcome::Rejected,
            "dry_run" => Outcome::DryRun,
            "running" => Outcome::Running,
            _ => Outcome::Interrupted,
        }
    }
}

/// What the CLI prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub import: i64,
    pub outcome: Outcome,
    pub version: Option<&'static str>,
    pub dry_run: bool,
    pub files: BTreeMap<String, Mode>,
    pub counts: BTreeMap<&'static str, Counts>,
    pub not_imported: Vec<String>,
    pub problems: Vec<Problem>,
    pub problem_count: u64,
    pub warnings: Vec<Problem>,
    /// Each row's outcome, in file order.
    #[serde(skip)]
    pub rows: Vec<RowResult>,
    /// The students whose records this import changed (created, updated, deleted, enrolled,
    /// given or taken a role): what the writer's access audit names.
    #[serde(skip)]
    pub learners: Vec<i64>,
}

/// The maps an import keeps an entry in for every row and stored record, keyed by sourcedId:
/// foldhash (hashbrown's hasher, already in the tree) hashes the short keys several times
/// faster than std's SipHash, and is seeded per process.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A sourcedId seen in a file's first pass.
#[derive(Clone, Copy, Debug)]
struct Seen {
    delete: bool,
    /// The line it is first on.
    line: u64,
    /// Read in full by the second pass (a second row with it is the duplicate).
    visited: bool,
    /// The row's dateLastModified, where rows are ordered by it and others refer to them
    /// (`upsertRoster`; see `alive`).
    sent: Option<DateTime<Utc>>,
}

/// A stored record, as import needs it.
#[derive(Clone, Copy, Debug)]
struct Existing {
    id: i64,
    active: bool,
    fingerprint: u64,
    role: Role,
    modified: DateTime<Utc>,
    /// Whether the file for its type has a row with its sourcedId (set by the second pass).
    in_file: bool,
}

/// Rows per INSERT (SQLite binds at most 32,766 values a statement; users have 24 columns).
const BATCH: usize = 1000;

/// Stored enrollments read per statement when an import loads what the database holds (a
/// multiple of 256, SQLite's packed rows: a page is full unless it is the last).
const ENROLLMENT_PAGE: u64 = 20_480;

/// Imports the set at `path`. Errors are for what prevents an import from running at all
/// (an unreadable path, a database failure); problems in the files are in the report.
pub async fn import(db: &DatabaseConnection, path: &Path, opts: Options) -> anyhow::Result<Report> {
    let mut problems = Problems { echo: opts.echo, ..Default::default() };
    let started = crate::db::now();
    let source = path.display().to_string();
    let record = if opts.record { history::start(db, &opts, &source, started).await? } else { 0 };
    let Some(set) = CsvSet::open(path, &mut problems)? else {
        let report = Report {
            import: record,
            outcome: Outcome::Rejected,
            version: None,
            dry_run: opts.dry_run,
            files: BTreeMap::new(),
            counts: BTreeMap::new(),
            not_imported: Vec::new(),
            problems: problems.problems.clone(),
            problem_count: problems.problem_count,
            warnings: problems.warnings.clone(),
            rows: Vec::new(),
            learners: Vec::new(),
        };
        if opts.record {
            history::finish(db, record, &report, &BTreeMap::new(), problems.warning_count).await?;
        }
        return Ok(report);
    };
    apply(db, &set, record, opts, problems).await
}

/// Applies an opened set (files on disk, or a write held in memory), in a transaction of its
/// own, or a savepoint of the caller's (the demo seed writes its gradebook inside its own).
pub async fn apply<C>(db: &C, set: &CsvSet, record: i64, opts: Options, problems: Problems) -> anyhow::Result<Report>
where
    C: sea_orm::TransactionTrait<Transaction = DatabaseTransaction> + ConnectionTrait,
{
    let mut run = Run::new(set, opts.clone(), problems);
    let concurrent = run.loads_everything()
        && tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if !concurrent {
        run.first_pass()?;
    }
    let txn = crate::db::begin_write(db).await?;
    // One import at a time: a second waits here for the first to finish.
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7262506731)").await?;
    }
    if concurrent {
        run.first_pass_while_loading(&txn)?;
    } else {
        run.load(&txn).await?;
    }
    for kind in Kind::ALL {
        run.second_pass(&txn, kind).await?;
    }
    if run.writing() {
        run.settle_gradebook(&txn).await?;
    }
    if run.cascaded > 0 {
        run.counts.entry(Kind::Enrollments).or_default().deleted += run.cascaded;
    }
    let outcome = if opts.dry_run {
        Outcome::DryRun
    } else if run.problems.problem_count == 0 {
        Outcome::Applied
    } else if opts.skip_invalid {
        Outcome::AppliedWithSkips
    } else {
        Outcome::Rejected
    };
    let not_imported: Vec<String> = set
        .modes
        .iter()
        .filter(|(name, mode)| {
            **mode != Mode::Absent
                && (!Kind::ALL.iter().any(|k| k.name() == name.as_str())
                    || (name.as_str() == "demographics" && !opts.with_demographics))
        })
        .map(|(name, _)| format!("{name}.csv"))
        .collect();
    for file in &not_imported {
        let why = if file == "demographics.csv" {
            "not imported: demographics are imported only with --with-demographics"
        } else {
            "not imported: learnergraph reads the rostering and gradebook files"
        };
        run.problems.warn(Problem::new(file, 1, "", why, ""));
    }
    run.know_roles(&txn).await?;
    let report = Report {
        import: record,
        outcome,
        version: Some(set.version.as_str()),
        dry_run: opts.dry_run,
        files: set.modes.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        counts: run.counts.iter().map(|(k, v)| (k.name(), *v)).collect(),
        not_imported,
        problems: run.problems.problems.clone(),
        problem_count: run.problems.problem_count,
        warnings: run.problems.warnings.clone(),
        rows: std::mem::take(&mut run.rows),
        // The students whose roster records or results it changed (a deleted line item's
        // results, a regrade).
        learners: {
            let mut seen = HashSet::new();
            let results = run.effects.changes.iter().filter(|c| c.entity == ChangeEntity::Result);
            run.students().chain(results.filter_map(|c| c.person_id)).filter(|id| seen.insert(*id)).collect()
        },
    };
    if matches!(outcome, Outcome::Applied | Outcome::AppliedWithSkips) {
        if opts.record {
            history::finish(&txn, record, &report, &set.manifest, run.problems.warning_count).await?;
            history::interrupted_before(&txn, record).await?;
        }
        crate::sync::record(&txn, &run.changes).await?;
        // Results' feed entries and live events (on PostgreSQL, notified at the commit to every
        // replica; a command's own process has no subscribers).
        let bus = opts.bus.clone().unwrap_or_default();
        let staged = std::mem::take(&mut run.effects).finish(&txn, &bus).await?;
        txn.commit().await?;
        staged.sent();
    } else {
        txn.rollback().await?;
        if opts.record {
            history::finish(db, record, &report, &set.manifest, run.problems.warning_count).await?;
        }
    }
    Ok(report)
}

/// One import's state between its passes.
struct Run<'s> {
    set: &'s CsvSet,
    opts: Options,
    problems: Problems,
    /// sourcedIds in each present file (first pass).
    seen: HashMap<Kind, Map<String, Seen>>,
    /// Users' roles from roles.csv (first pass): the primary one wins.
    roles_of: HashMap<String, (Role, bool)>,
    /// Org types from orgs.csv (first pass), to read 1.1's `administrator`.
    org_types: HashMap<String, String>,
    /// 1.1: the memberships users.csv names, read as roles.
    roles_11: Vec<(u64, String, RoleRec)>,
    /// Records skipped (`--skip-invalid`): references to them fail too.
    invalid: HashSet<(Kind, String)>,
    /// What the database holds (loaded in the transaction).
    existing: HashMap<Kind, Map<String, Existing>>,
    names: Names,
    /// sourcedId -> id of each type, as written so far.
    ids: HashMap<Kind, Map<String, i64>>,
    /// Each class's school (file and database), by sourcedId.
    class_school: HashMap<String, String>,
    /// Stored memberships by their (effective) sourcedId: (user, org).
    memberships: HashMap<String, (i64, i64)>,
    /// Enrollments ended by this import (with their user or class, or on their own).
    ended: HashSet<i64>,
    /// How many of those ended with their user or class.
    cascaded: u64,
    /// The orgs each user is given a role at (first pass; only for a writer limited to some
    /// orgs).
    role_orgs: HashMap<String, Vec<String>>,
    /// The role of each user this run wrote (or whose role the audit needed read), by id.
    written_roles: HashMap<i64, Role>,
    /// (user, org) pairs of roles read so far.
    role_pairs: HashSet<(String, String)>,
    /// Users written, with the agents they name (written once every user is).
    pending_agents: Vec<(String, Vec<String>)>,
    /// The writer's orgs by sourcedId (`None`: the whole district).
    scope: Option<HashSet<String>>,
    /// Stored records the writer may not change (outside its orgs).
    outside: HashSet<(Kind, String)>,
    /// Each stored user's orgs (only when the writer is limited to some).
    user_orgs: HashMap<String, Vec<String>>,
    /// A targeted import: the sourcedIds its rows have or name (`None`: read everything).
    wanted: Option<HashSet<String>>,
    rows: Vec<RowResult>,
    counts: BTreeMap<Kind, Counts>,
    changes: Vec<Change>,
    /// What the results pipeline wrote that others must hear of.
    effects: Effects,
    /// Changed results the pipeline left as they are (deleted by a person, sent unchanged).
    results_kept: u64,
    /// Line items whose range or objectives this import changed (by id), and the CASE
    /// identifiers their objectives named before or after: their results' masteries are
    /// recomputed once everything is written.
    touched_lines: std::collections::BTreeSet<i64>,
    touched_objectives: std::collections::BTreeSet<String>,
    now: DateTime<Utc>,
}

impl<'s> Run<'s> {
    fn new(set: &'s CsvSet, opts: Options, problems: Problems) -> Self {
        Run {
            set,
            opts,
            problems,
            seen: HashMap::new(),
            roles_of: HashMap::new(),
            org_types: HashMap::new(),
            roles_11: Vec::new(),
            invalid: HashSet::new(),
            existing: HashMap::new(),
            names: Names::default(),
            ids: HashMap::new(),
            class_school: HashMap::new(),
            memberships: HashMap::new(),
            role_pairs: HashSet::new(),
            written_roles: HashMap::new(),
            role_orgs: HashMap::new(),
            ended: HashSet::new(),
            cascaded: 0,
            pending_agents: Vec::new(),
            scope: None,
            outside: HashSet::new(),
            user_orgs: HashMap::new(),
            wanted: None,
            rows: Vec::new(),
            counts: BTreeMap::new(),
            changes: Vec::new(),
            effects: Effects::default(),
            results_kept: 0,
            touched_lines: Default::default(),
            touched_objectives: Default::default(),
            now: crate::db::now(),
        }
    }

    /// Whether rows are still being written: not in a dry run, nor once a problem has
    /// condemned an all-or-nothing import.
    fn writing(&self) -> bool {
        !self.opts.dry_run && (self.opts.skip_invalid || self.problems.problem_count == 0)
    }

    fn mode(&self, kind: Kind) -> Mode {
        if kind == Kind::Demographics && !self.opts.with_demographics {
            return Mode::Absent;
        }
        if kind == Kind::Roles && self.set.version == Version::V1_1 {
            // 1.1 has no roles file: users.csv's role and orgs stand for it.
            return self.set.mode("users");
        }
        self.set.mode(kind.name())
    }

    /// Whether this import's file for `kind` is read from disk.
    fn has_file(&self, kind: Kind) -> bool {
        !(kind == Kind::Roles && self.set.version == Version::V1_1) && self.mode(kind) != Mode::Absent
    }

    /// Opens a file and reads its header.
    fn open(&mut self, kind: Kind) -> anyhow::Result<Option<(Reader<'s>, Columns)>> {
        let mut reader = self.set.reader(kind.name())?;
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                self.problems.problem(Problem::new(kind.file(), error_line(&e), "", format!("not valid CSV: {e}"), ""));
                return Ok(None);
            }
        };
        let (required, optional) = kind.columns(self.set.version);
        let Some(cols) = Columns::read(kind.file(), &header, required, optional, &mut self.problems) else {
            return Ok(None);
        };
        Ok(Some((reader, cols)))
    }

    /// Whether this import reads every stored record of the types it has files for (not only
    /// those its rows name): whether loading them can start before the first pass ends.
    fn loads_everything(&self) -> bool {
        let bulk = Kind::ALL.iter().any(|k| self.mode(*k) == Mode::Bulk);
        !self.opts.targeted || bulk
    }

    /// The first pass over the files on a second thread while this one loads what is stored:
    /// a district's import spends as long reading its files as reading its database, and the
    /// two need nothing of each other. Only on a multi-threaded runtime (the CLI's). The write
    /// transaction is open meanwhile (on SQLite, other writers wait for the first pass too), and
    /// a problem the first pass finds is reported once the load is done.
    fn first_pass_while_loading(&mut self, txn: &DatabaseTransaction) -> anyhow::Result<()> {
        let mut first = Run::new(self.set, self.opts.clone(), std::mem::take(&mut self.problems));
        let handle = tokio::runtime::Handle::current();
        let (read, loaded) = tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                let reading = scope.spawn(|| first.first_pass());
                let loaded = handle.block_on(self.load(txn));
                (reading.join(), loaded)
            })
        });
        read.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        loaded?;
        // What the files say of orgs' types wins over what is stored.
        self.org_types.extend(first.org_types);
        self.seen = first.seen;
        self.roles_of = first.roles_of;
        self.role_orgs = first.role_orgs;
        self.problems = first.problems;
        Ok(())
    }

    /// First pass: every file's sourcedIds and deletions, users' roles, org types.
    fn first_pass(&mut self) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        if !self.loads_everything() {
            self.wanted = Some(HashSet::new());
        }
        for kind in Kind::ALL {
            if !self.has_file(kind) {
                continue;
            }
            let Some((mut reader, cols)) = self.open(kind)? else {
                // The whole file is unusable: it counts as not there.
                self.seen.insert(kind, Map::default());
                continue;
            };
            let mut seen: Map<String, Seen> = Map::default();
            // Only references ask for a row's date (`alive`), and nothing refers to a result.
            let ordered = self.opts.stale_check;
            let mut rec = csv::StringRecord::new();
            loop {
                match reader.read_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        self.problems.problem(Problem::new(
                            kind.file(),
                            error_line(&e),
                            "",
                            format!("not valid CSV: {e}"),
                            "",
                        ));
                        break;
                    }
                }
                let mut row = Row::new(kind.file(), &rec, &cols, &mut self.problems);
                let line = row.line;
                let Some(sid) = row.opt("sourcedId").map(str::to_owned) else {
                    continue;
                };
                let delete = row.opt("status") == Some("tobedeleted");
                if let Some(wanted) = &mut self.wanted {
                    wanted.insert(sid.clone());
                    for column in REFERENCE_COLUMNS {
                        if let Some(v) = row.opt(column) {
                            wanted.insert(v.to_owned());
                        }
                    }
                    for column in REFERENCE_LISTS {
                        if let Some(v) = row.opt(column) {
                            wanted.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
                        }
                    }
                }
                if let Some(first) = seen.get(&sid) {
                    let msg = format!("duplicate sourcedId (first on line {})", first.line);
                    row.fail("sourcedId", msg, &sid);
                    continue;
                }
                match kind {
                    Kind::Orgs => {
                        if let Some(t) = row.opt("type") {
                            self.org_types.insert(sid.clone(), t.to_owned());
                        }
                    }
                    Kind::Roles if !delete => {
                        if let (Some(user), Some(role)) = (row.opt("userSourcedId"), row.opt("role"))
                            && let Some(coarse) = coarse_role(role)
                        {
                            if self.opts.scope.is_some()
                                && let Some(org) = row.opt("orgSourcedId")
                            {
                                self.role_orgs.entry(user.to_owned()).or_default().push(org.to_owned());
                            }
                            let primary = row.opt("roleType") == Some("primary");
                            let slot = self.roles_of.entry(user.to_owned()).or_insert((coarse, primary));
                            if primary && !slot.1 {
                                *slot = (coarse, true);
                            }
                        }
                    }
                    _ => {}
                }
                let sent = if ordered { row.opt("dateLastModified").and_then(rows::moment) } else { None };
                seen.insert(sid, Seen { delete, line, visited: false, sent });
            }
            self.seen.insert(kind, seen);
        }
        tracing::debug!(took = ?started.elapsed(), "import: first pass over the files");
        Ok(())
    }

    /// What the database holds, read inside the import's transaction.
    async fn load(&mut self, txn: &DatabaseTransaction) -> AppResult<()> {
        let gradebook = Kind::ALL.iter().any(|k| k.gradebook() && self.mode(*k) != Mode::Absent);
        let started = std::time::Instant::now();
        self.names = Names::load(txn, gradebook).await?;
        tracing::debug!(took = ?started.elapsed(), "import: read the stored sourcedIds");
        for kind in Kind::ALL {
            let started = std::time::Instant::now();
            let mut map = Map::default();
            // The gradebook is read only when the set holds some of it (a roster write never
            // does), and stored results only when results are imported.
            if (kind.gradebook() && !gradebook) || (kind == Kind::Results && self.mode(kind) == Mode::Absent) {
                self.existing.insert(kind, map);
                continue;
            }
            if self.wanted.is_some() {
                continue; // read below
            }
            if kind == Kind::Enrollments {
                // A page at a time, as fingerprints.
                let class_school = records::class_schools(txn).await?;
                let mut after = 0;
                loop {
                    let page =
                        records::enrollment_prints(txn, &self.names, &class_school, after, ENROLLMENT_PAGE).await?;
                    let done = (page.len() as u64) < ENROLLMENT_PAGE;
                    after = page.last().map_or(after, |e| e.id);
                    map.reserve(page.len());
                    for e in page {
                        let modified = e.sent.unwrap_or(DateTime::<Utc>::MIN_UTC);
                        let existing = Existing {
                            id: e.id,
                            active: e.active,
                            fingerprint: e.fingerprint,
                            role: Role::Student,
                            modified,
                            in_file: false,
                        };
                        map.insert(e.sourced_id, existing);
                    }
                    if done {
                        break;
                    }
                }
            } else {
                let stored = records::load(txn, kind, &self.names).await?;
                self.keep(&mut map, stored);
            }
            tracing::debug!(took = ?started.elapsed(), records = map.len(), "import: read the stored {}", kind.name());
            self.existing.insert(kind, map);
        }
        if let Some(wanted) = self.wanted.take() {
            // The records the rows have or name, then those these refer to (an enrollment
            // deleted by its sourcedId alone: its class, whose school decides who may delete it).
            let mut known = wanted;
            let mut pending: Vec<String> = known.iter().cloned().collect();
            for _ in 0..2 {
                let mut more = Vec::new();
                for kind in Kind::ALL.into_iter().filter(|k| !k.gradebook() || gradebook) {
                    let stored = records::load_some(txn, kind, &self.names, &pending).await?;
                    for r in stored.iter().flat_map(|s| records::references(&s.rec)) {
                        if known.insert(r.clone()) {
                            more.push(r);
                        }
                    }
                    let mut map = self.existing.remove(&kind).unwrap_or_default();
                    self.keep(&mut map, stored);
                    self.existing.insert(kind, map);
                }
                pending = more;
            }
            for kind in Kind::ALL {
                self.existing.entry(kind).or_default();
            }
            self.wanted = Some(known);
        }
        let mut courses_of: Vec<(String, String)> = Vec::new();
        let mut enrollment_classes: Vec<(String, String)> = Vec::new();
        if self.opts.scope.is_some() {
            let (courses, enrollments) = match &self.wanted {
                Some(wanted) => {
                    let sids: Vec<String> = wanted.iter().cloned().collect();
                    (
                        records::load_some(txn, Kind::Courses, &self.names, &sids).await?,
                        records::load_some(txn, Kind::Enrollments, &self.names, &sids).await?,
                    )
                }
                None => (
                    records::load(txn, Kind::Courses, &self.names).await?,
                    records::load(txn, Kind::Enrollments, &self.names).await?,
                ),
            };
            for s in courses {
                if let Rec::Course(c) = s.rec {
                    courses_of.push((s.sourced_id, c.org));
                }
            }
            for s in enrollments {
                if let Rec::Enrollment(e) = s.rec {
                    enrollment_classes.push((s.sourced_id, e.class));
                }
            }
        }
        let started = std::time::Instant::now();
        let memberships: Vec<(i64, i64, Option<String>)> = user_org::Entity::find()
            .select_only()
            .columns([user_org::Column::UserId, user_org::Column::OrgId, user_org::Column::SourcedId])
            .into_tuple()
            .all(txn)
            .await?;
        for (user, org, sid) in memberships {
            let sid = sid.unwrap_or_else(|| {
                role_id(
                    self.names.users.get(&user).map_or("", String::as_str),
                    self.names.orgs.get(&org).map_or("", String::as_str),
                )
            });
            if self.opts.scope.is_some() {
                let (u, o) = (self.names.users.get(&user).cloned(), self.names.orgs.get(&org).cloned());
                if let (Some(u), Some(o)) = (u, o) {
                    self.user_orgs.entry(u).or_default().push(o);
                }
            }
            self.memberships.insert(sid, (user, org));
        }
        tracing::debug!(took = ?started.elapsed(), "import: read the stored memberships");
        if let Some(scope) = &self.opts.scope {
            let mine: HashSet<String> = scope.iter().filter_map(|id| self.names.orgs.get(id).cloned()).collect();
            let outside = |org: &str| !mine.contains(org);
            for sid in self.names.orgs.values() {
                if outside(sid) {
                    self.outside.insert((Kind::Orgs, sid.clone()));
                }
            }
            // Academic sessions are the district's: a limited writer names them (a class's
            // terms) but never writes them (the policy refuses before the engine runs).
            for (sid, org) in &courses_of {
                if outside(org) {
                    self.outside.insert((Kind::Courses, sid.clone()));
                }
            }
            for (sid, school) in &self.class_school {
                if outside(school) {
                    self.outside.insert((Kind::Classes, sid.clone()));
                }
            }
            for (sid, class) in &enrollment_classes {
                if self.class_school.get(class).is_none_or(|s| outside(s)) {
                    self.outside.insert((Kind::Enrollments, sid.clone()));
                }
            }
            for sid in self.names.users.values() {
                // A person who belongs anywhere else (or nowhere) is not the writer's to change:
                // their role, email or status would reach beyond its orgs.
                if self.user_orgs.get(sid).is_none_or(|orgs| orgs.iter().any(|o| outside(o))) {
                    self.outside.insert((Kind::Users, sid.clone()));
                }
            }
            for (sid, (_, org)) in &self.memberships {
                if self.names.orgs.get(org).is_none_or(|o| outside(o)) {
                    self.outside.insert((Kind::Roles, sid.clone()));
                }
            }
            self.scope = Some(mine);
        }
        for (id, sid) in &self.names.orgs {
            self.ids.entry(Kind::Orgs).or_default().insert(sid.clone(), *id);
            if let Some(t) = self.names.org_types.get(id) {
                self.org_types.entry(sid.clone()).or_insert_with(|| t.clone());
            }
        }
        for (kind, map) in [
            (Kind::AcademicSessions, &self.names.sessions),
            (Kind::Courses, &self.names.courses),
            (Kind::Classes, &self.names.classes),
            (Kind::Users, &self.names.users),
            (Kind::Categories, &self.names.categories),
            (Kind::ScoreScales, &self.names.score_scales),
            (Kind::LineItems, &self.names.line_items),
        ] {
            self.ids.insert(kind, map.iter().map(|(id, sid)| (sid.clone(), *id)).collect());
        }
        Ok(())
    }

    /// Keeps what import needs of stored records: their ids, status and fingerprints.
    fn keep(&mut self, map: &mut Map<String, Existing>, stored: Vec<records::Stored>) {
        for s in stored {
            let role = match &s.rec {
                Rec::User(u) => u.role,
                _ => Role::Student,
            };
            if let Rec::Class(c) = &s.rec {
                self.class_school.insert(s.sourced_id.clone(), c.school.clone());
            }
            map.insert(
                s.sourced_id,
                Existing {
                    id: s.id,
                    active: s.active,
                    fingerprint: s.rec.fingerprint(),
                    role,
                    modified: s.rec.sent().unwrap_or(DateTime::<Utc>::MIN_UTC),
                    in_file: false,
                },
            );
        }
    }

    /// Whether `sid` names a live record of `kind` once this import is applied.
    fn alive(&self, kind: Kind, sid: &str) -> bool {
        !flagged(&self.outside, kind, sid) && self.exists(kind, sid)
    }

    /// Whether `sid` names a live record of `kind` once this import is applied, whether or not
    /// the writer may change it: what a record that only names it needs (a result its student).
    fn exists(&self, kind: Kind, sid: &str) -> bool {
        if flagged(&self.invalid, kind, sid) {
            return false;
        }
        let in_file = self.seen.get(&kind).and_then(|s| s.get(sid));
        if let (Some(scope), Kind::Orgs) = (&self.scope, kind)
            && !scope.contains(sid)
        {
            return false;
        }
        match (self.mode(kind), in_file) {
            // A row older than the stored record leaves it as it is: a late version does not
            // bring back a record deleted after it, nor a late deletion end a newer version.
            (_, Some(seen)) if self.stale(kind, sid, seen.sent) => {
                self.existing.get(&kind).and_then(|e| e.get(sid)).is_some_and(|e| e.active)
            }
            (_, Some(seen)) => !seen.delete,
            (Mode::Bulk, None) => false,
            _ => self.existing.get(&kind).and_then(|e| e.get(sid)).is_some_and(|e| e.active),
        }
    }

    /// Whether the file's row for `sid` is older than the stored record's deletion (and so
    /// leaves it deleted).
    fn buried(&self, kind: Kind, sid: &str) -> bool {
        self.seen.get(&kind).and_then(|s| s.get(sid)).is_some_and(|s| !s.delete)
            && self.stale_row(kind, sid)
            && self.existing.get(&kind).and_then(|e| e.get(sid)).is_some_and(|e| !e.active)
    }

    /// Whether this import's row for `sid` is older than the stored record (see `stale`).
    fn stale_row(&self, kind: Kind, sid: &str) -> bool {
        self.seen.get(&kind).and_then(|s| s.get(sid)).is_some_and(|s| self.stale(kind, sid, s.sent))
    }

    /// Checks that the references of a record lead to live records; reports each that doesn't.
    fn check_refs(&self, rec: &Rec, row: &mut Row<'_>) {
        let mut check = |column: &str, target: Kind, sid: &str| {
            if !sid.is_empty() && !self.alive(target, sid) {
                if flagged(&self.invalid, target, sid) {
                    row.fail(column, format!("refers to a {} row that is invalid", target.name()), sid);
                } else if self.buried(target, sid) {
                    let msg = format!("refers to a {} row older than the deletion of its record", target.name());
                    row.fail_as(Code::NotFound, column, msg, sid);
                } else {
                    row.fail_as(Code::NotFound, column, format!("no {} with this sourcedId", target.name()), sid);
                }
            }
        };
        match rec {
            // A user's demographics are named by the user's sourcedId (checked by the caller).
            Rec::Demographic(_) => {}
            Rec::Org(r) => {
                if let Some(p) = &r.parent {
                    check("parentSourcedId", Kind::Orgs, p);
                }
            }
            Rec::Session(r) => {
                if let Some(p) = &r.parent {
                    check("parentSourcedId", Kind::AcademicSessions, p);
                }
            }
            Rec::Course(r) => {
                check("orgSourcedId", Kind::Orgs, &r.org);
                if let Some(y) = &r.school_year {
                    check("schoolYearSourcedId", Kind::AcademicSessions, y);
                }
            }
            Rec::Class(r) => {
                check("courseSourcedId", Kind::Courses, &r.course);
                check("schoolSourcedId", Kind::Orgs, &r.school);
                for t in &r.terms {
                    check("termSourcedIds", Kind::AcademicSessions, t);
                }
            }
            Rec::User(r) => {
                for a in &r.agents {
                    check("agentSourcedIds", Kind::Users, a);
                }
                if let Some(o) = &r.primary_org {
                    check("primaryOrgSourcedId", Kind::Orgs, o);
                }
            }
            Rec::Role(r) => {
                check("userSourcedId", Kind::Users, &r.user);
                check("orgSourcedId", Kind::Orgs, &r.org);
            }
            Rec::Enrollment(r) => {
                check("classSourcedId", Kind::Classes, &r.class);
                check("userSourcedId", Kind::Users, &r.user);
                check("schoolSourcedId", Kind::Orgs, &r.school);
                // Guardians are rostered as agents, never as members of a class.
                if self.user_role(&r.user) == Role::Guardian {
                    row.fail("userSourcedId", "a guardian, parent or relative can't be enrolled in a class", &r.user);
                }
            }
            Rec::Category(_) => {}
            Rec::ScoreScale(r) => {
                if let Some(o) = &r.org {
                    check("orgSourcedId", Kind::Orgs, o);
                }
                if let Some(c) = &r.course {
                    check("courseSourcedId", Kind::Courses, c);
                }
                if let Some(c) = &r.class {
                    check("classSourcedId", Kind::Classes, c);
                }
            }
            Rec::LineItem(r) => {
                check("classSourcedId", Kind::Classes, &r.class);
                check("categorySourcedId", Kind::Categories, &r.category);
                if let Some(s) = &r.session {
                    let column = match self.set.version {
                        Version::V1_1 => "gradingPeriodSourcedId",
                        Version::V1_2 => "academicSessionSourcedId",
                    };
                    check(column, Kind::AcademicSessions, s);
                }
                if let Some(s) = &r.school {
                    check("schoolSourcedId", Kind::Orgs, s);
                }
            }
            Rec::Objective(r) => check("lineItemSourcedId", Kind::LineItems, &r.line_item),
            Rec::Result(r) => {
                check("lineItemSourcedId", Kind::LineItems, &r.line_item);
                // A result only names its student, whom a writer limited to some schools may
                // share with another school: who may grade whom is the caller's check (the
                // policy's visible learners), not the engine's org limits.
                if !self.exists(Kind::Users, &r.student) {
                    check("studentSourcedId", Kind::Users, &r.student);
                }
                if let Some(c) = &r.class {
                    check("classSourcedId", Kind::Classes, c);
                }
                if self.exists(Kind::Users, &r.student) && self.user_role(&r.student) != Role::Student {
                    row.fail("studentSourcedId", "results are a student's: this user is not a student", &r.student);
                }
            }
        }
    }

    /// Second pass over one type: check, compare, write.
    async fn second_pass(&mut self, txn: &DatabaseTransaction, kind: Kind) -> anyhow::Result<()> {
        if self.mode(kind) == Mode::Absent {
            return Ok(());
        }
        if self.writing() && self.opts.echo {
            eprintln!("progress: writing {}", kind.name());
        }
        let mut counts = Counts::default();
        let mut batch = Batch::default();
        let mut in_file: HashSet<String> = HashSet::new();
        let mut deletes: Vec<String> = Vec::new();
        if self.has_file(kind) {
            let Some((mut reader, cols)) = self.open_quiet(kind)? else {
                self.counts.insert(kind, counts);
                return Ok(());
            };
            let mut rec = csv::StringRecord::new();
            while reader.read_record(&mut rec).unwrap_or(false) {
                let line = rec.position().map_or(0, |p| p.line());
                // A scratch sink: the first pass reported this row's shape already.
                let mut scratch = Problems::default();
                let sid = Row::new(kind.file(), &rec, &cols, &mut scratch).opt("sourcedId").map(str::to_owned);
                let Some(sid) = sid else {
                    let mut row = Row::new(kind.file(), &rec, &cols, &mut self.problems);
                    row.fail("sourcedId", "required value missing", "");
                    counts.skipped += 1;
                    continue;
                };
                let first = self
                    .seen
                    .get_mut(&kind)
                    .and_then(|s| s.get_mut(&sid))
                    .is_some_and(|s| !std::mem::replace(&mut s.visited, true));
                if !first {
                    counts.skipped += 1; // the duplicate, reported in the first pass
                    continue;
                }
                // For the bulk deletion below: a flag on the stored record costs one lookup
                // of a row's own sourcedId now, not one per stored record afterwards.
                if let Some(e) = self.existing.get_mut(&kind).and_then(|m| m.get_mut(&sid)) {
                    e.in_file = true;
                }
                let index = rec.position().map_or(0, |p| p.record().saturating_sub(1));
                let outcome = self.read_row(kind, &rec, &cols, &sid, line);
                let write = match outcome {
                    RowOutcome::Skip => {
                        counts.skipped += 1;
                        self.invalid.insert((kind, sid));
                        continue;
                    }
                    RowOutcome::Stale => {
                        counts.stale += 1;
                        RowWrite::IgnoredStale
                    }
                    RowOutcome::Delete(sent) => {
                        let stored = self.existing[&kind].get(&sid).map(|e| (e.id, e.modified, self.live(kind, e)));
                        // The deletion's date, when newer than the stored one, is what a late
                        // older deletion is judged by.
                        if let (Some((id, modified, _)), Some(t)) = (stored, sent)
                            && t > modified
                        {
                            batch.dated.push((id, t));
                        }
                        if stored.is_some_and(|(_, _, live)| live) {
                            counts.deleted += 1;
                            deletes.push(sid.clone());
                            RowWrite::Deleted
                        } else {
                            counts.unchanged += 1;
                            RowWrite::Unchanged
                        }
                    }
                    RowOutcome::Keep(r) => self.apply(kind, sid.clone(), *r, &mut counts, &mut batch),
                };
                if self.opts.per_row {
                    self.rows.push(RowResult { kind, index, sourced_id: sid, outcome: write });
                }
                if self.writing() && batch.len() >= BATCH {
                    self.flush(txn, kind, &mut batch).await?;
                }
            }
        } else {
            // 1.1: the memberships read from users.csv.
            let rows = std::mem::take(&mut self.roles_11);
            for (line, sid, r) in rows {
                let rec = Rec::Role(r);
                let ok = self.refs_ok(kind, &rec, line);
                if !ok {
                    counts.skipped += 1;
                    self.invalid.insert((kind, sid));
                    continue;
                }
                in_file.insert(sid.clone());
                self.apply(kind, sid, rec, &mut counts, &mut batch);
            }
        }
        if self.mode(kind) == Mode::Bulk {
            // Whatever the bulk file does not hold is gone (records skipped as invalid stay).
            let gone: Vec<String> = self.existing[&kind]
                .iter()
                .filter(|(sid, e)| {
                    // The first occurrence of every sourcedId in the file went through the
                    // loop above (rows after a CSV error are in neither pass).
                    let present = if self.has_file(kind) { e.in_file } else { in_file.contains(*sid) };
                    // 1.1: the memberships of a user row skipped as invalid stay as they are.
                    let user_skipped = kind == Kind::Roles
                        && self
                            .memberships
                            .get(*sid)
                            .and_then(|(u, _)| self.names.users.get(u))
                            .is_some_and(|u| flagged(&self.invalid, Kind::Users, u));
                    self.live(kind, e) && !present && !user_skipped && !flagged(&self.invalid, kind, sid)
                })
                .map(|(sid, _)| sid.clone())
                .collect();
            counts.deleted += gone.len() as u64;
            deletes.extend(gone);
        }
        if self.writing() {
            // Memberships are keyed by user and org: a role that moves to another sourcedId
            // is deleted first, then written again.
            if kind == Kind::Roles {
                self.delete(txn, kind, &deletes, true).await?;
                self.flush(txn, kind, &mut batch).await?;
            } else {
                self.flush(txn, kind, &mut batch).await?;
                self.delete(txn, kind, &deletes, true).await?;
            }
            self.after(txn, kind).await?;
        } else {
            // What deleting users and classes would end, counted.
            self.delete(txn, kind, &deletes, false).await?;
        }
        if kind == Kind::Results {
            // A result a person deleted stays deleted while the SIS sends the same version.
            let kept = std::mem::take(&mut self.results_kept);
            counts.updated = counts.updated.saturating_sub(kept);
            counts.unchanged += kept;
        }
        self.counts.insert(kind, counts);
        Ok(())
    }

    fn open_quiet(&mut self, kind: Kind) -> anyhow::Result<Option<(Reader<'s>, Columns)>> {
        // The first pass reported the header's problems; don't report them twice.
        let mut quiet = Problems::default();
        std::mem::swap(&mut quiet, &mut self.problems);
        let opened = self.open(kind);
        std::mem::swap(&mut quiet, &mut self.problems);
        opened
    }

    /// 1.1 memberships have no row of their own: their problems are the user row's.
    fn refs_ok(&mut self, kind: Kind, rec: &Rec, line: u64) -> bool {
        let Rec::Role(r) = rec else { return true };
        let mut ok = true;
        if !self.alive(Kind::Users, &r.user) {
            ok = false;
        }
        if !self.alive(Kind::Orgs, &r.org) {
            self.problems.problem(Problem::new(
                Kind::Users.file(),
                line,
                "orgSourcedIds",
                "no orgs with this sourcedId",
                &r.org,
            ));
            ok = false;
        }
        let _ = kind;
        ok
    }

    /// Reads one row in full: a record to keep, a deletion, or a row to skip.
    fn read_row(&mut self, kind: Kind, rec: &csv::StringRecord, cols: &Columns, sid: &str, line: u64) -> RowOutcome {
        let version = self.set.version;
        let mode = self.mode(kind);
        let role_of = match kind {
            Kind::Users => {
                self.roles_of.get(sid).map(|r| r.0).or_else(|| self.existing[&Kind::Users].get(sid).map(|e| e.role))
            }
            _ => None,
        };
        let roles_file = self.mode(Kind::Roles) != Mode::Absent;
        let mut problems = std::mem::take(&mut self.problems);
        let mut row = Row::new(kind.file(), rec, cols, &mut problems);
        // A user's roles are part of the user's version (upsertRoster): when that version is
        // older than the stored user, its roles and the ends of the others are ignored with it.
        if kind == Kind::Roles && self.opts.stale_check {
            let user = row
                .opt("userSourcedId")
                .map(str::to_owned)
                .or_else(|| self.memberships.get(sid).and_then(|(user, _)| self.names.users.get(user)).cloned());
            if user.is_some_and(|u| self.stale_row(Kind::Users, &u)) {
                self.problems = problems;
                return RowOutcome::Stale;
            }
        }
        if sid.len() > 255 {
            row.fail("sourcedId", "a sourcedId is at most 255 characters", sid);
        }
        let status = row.opt("status");
        match (mode, status) {
            (Mode::Bulk | Mode::Absent, None | Some("active")) | (Mode::Delta, Some("active")) => {}
            (Mode::Bulk, Some("tobedeleted")) => {
                row.fail(
                    "status",
                    "a bulk file holds live records only; leave a record out to delete it",
                    "tobedeleted",
                );
            }
            (Mode::Delta, Some("tobedeleted")) => {
                let sent = row.datetime("dateLastModified");
                if flagged(&self.outside, kind, sid) {
                    row.fail_as(Code::NotFound, "sourcedId", format!("no {} with this sourcedId", kind.name()), sid);
                }
                let bad = row.bad;
                self.problems = problems;
                return if bad {
                    RowOutcome::Skip
                } else if self.stale(kind, sid, sent) {
                    RowOutcome::Stale
                } else {
                    RowOutcome::Delete(sent)
                };
            }
            (Mode::Delta, None) => row.fail("status", "required value missing in a delta file", ""),
            (_, Some(s)) => {
                let s = s.to_owned();
                row.fail("status", "must be active or tobedeleted", &s);
            }
        }
        if mode == Mode::Delta && row.opt("dateLastModified").is_none() {
            row.fail("dateLastModified", "required value missing in a delta file", "");
        }
        let sent = row.datetime("dateLastModified");
        if flagged(&self.outside, kind, sid) {
            let msg = "this sourcedId is already in use and cannot be assigned here".to_owned();
            row.fail_as(Code::Conflict, "sourcedId", msg, sid);
        }
        let stale = self.stale(kind, sid, sent);
        let mut parsed = records::parse(kind, version, &mut row, role_of);
        parsed.set_sent(sent);
        if kind == Kind::Users && version == Version::V1_2 && role_of.is_none() && !row.bad {
            let msg = if roles_file {
                "the user has no role (roles.csv names none)"
            } else {
                "a new user needs a role: roles.csv is absent"
            };
            row.fail("sourcedId", msg, sid);
        }
        match &mut parsed {
            Rec::Role(r) if !row.bad && !self.role_pairs.insert((r.user.clone(), r.org.clone())) => {
                row.warn(
                    "orgSourcedId",
                    "a second role of this user at this org: learnergraph keeps one role per user and org, the first",
                    &r.org,
                );
                self.problems = problems;
                return RowOutcome::Skip;
            }
            // 1.1's `administrator` is a site or district administrator, as the org is.
            Rec::Role(r) if r.role == "administrator" => {
                let t = self.org_types.get(&r.org).map_or("school", String::as_str);
                r.role = default_role(Role::Administrator, t).to_owned();
            }
            Rec::Enrollment(r) => {
                // A class belongs to one school: the class's, whatever the row says.
                if let Some(school) = self.class_school.get(&r.class)
                    && *school != r.school
                {
                    row.warn("schoolSourcedId", format!("the class belongs to {school}; kept as that"), &r.school);
                    r.school = school.clone();
                }
            }
            Rec::Class(r) => {
                self.class_school.insert(sid.to_owned(), r.school.clone());
            }
            _ => {}
        }
        if !row.bad {
            self.check_refs(&parsed, &mut row);
        }
        // A writer limited to some orgs creates only users it will see: with a role at one of
        // its orgs.
        if let (Kind::Users, Some(scope), false) = (kind, &self.scope, row.bad)
            && !self.existing[&Kind::Users].contains_key(sid)
            && !self.role_orgs.get(sid).is_some_and(|orgs| orgs.iter().any(|o| scope.contains(o)))
        {
            row.fail("roles", "a new user needs a role at one of your orgs", sid);
        }
        if kind == Kind::Demographics && !row.bad && !self.alive(Kind::Users, sid) {
            row.fail_as(Code::NotFound, "sourcedId", "no users with this sourcedId", sid);
        }
        if let (Rec::Org(r), false) = (&parsed, row.bad)
            && r.parent.as_deref() == Some(sid)
        {
            row.fail("parentSourcedId", "an org can't be its own parent", sid);
        }
        if kind == Kind::Users && version == Version::V1_1 && !row.bad {
            // 1.1 names the user's orgs and one role for all of them.
            let role = row.opt("role").unwrap_or("").to_owned();
            for (i, o) in row.ids("orgSourcedIds").into_iter().enumerate() {
                let t = self.org_types.get(&o).map_or("school", String::as_str);
                let role = if role == "administrator" {
                    default_role(Role::Administrator, t).to_owned()
                } else {
                    role.clone()
                };
                let r = RoleRec {
                    user: sid.to_owned(),
                    primary: i == 0,
                    role,
                    begin_date: None,
                    end_date: None,
                    org: o.clone(),
                };
                self.roles_11.push((line, role_id(sid, &o), r));
            }
        }
        let bad = row.bad;
        self.problems = problems;
        if bad {
            RowOutcome::Skip
        } else if stale {
            RowOutcome::Stale
        } else {
            RowOutcome::Keep(Box::new(parsed))
        }
    }

    /// Whether rows of `kind` are ordered by the source's dates: a result always, whoever
    /// writes; other records when the writer asks (`upsertRoster`).
    fn ordered(&self, kind: Kind) -> bool {
        self.opts.stale_check || kind == Kind::Results
    }

    /// Whether a row (a version or a deletion) the source dated `sent` is older than the stored
    /// record of `sid`: its version, or its deletion when the source dated that. A deleted
    /// result is judged by the results pipeline (a person's deletion holds against the same
    /// version sent again), so only a stored, active result makes one stale.
    fn stale(&self, kind: Kind, sid: &str, sent: Option<DateTime<Utc>>) -> bool {
        self.ordered(kind)
            && sent.is_some_and(|t| {
                self.existing
                    .get(&kind)
                    .and_then(|m| m.get(sid))
                    .is_some_and(|e| (e.active || kind != Kind::Results) && e.modified > t)
            })
    }

    /// Sorts a checked record into created, updated or unchanged.
    fn apply(&mut self, kind: Kind, sid: String, rec: Rec, counts: &mut Counts, batch: &mut Batch) -> RowWrite {
        match self.existing[&kind].get(&sid) {
            Some(e) if e.active && e.fingerprint == rec.fingerprint() => {
                counts.unchanged += 1;
                // The source says it changed what learnergraph doesn't keep: nothing to write
                // but the date, which a late older version is judged by.
                if let Some(t) = rec.sent()
                    && t > e.modified
                {
                    batch.dated.push((e.id, t));
                }
                RowWrite::Unchanged
            }
            Some(e) => {
                counts.updated += 1;
                batch.updates.push((e.id, sid, rec));
                RowWrite::Updated
            }
            None => {
                counts.created += 1;
                batch.creates.push((sid, rec));
                RowWrite::Created
            }
        }
    }

    /// Whether a stored record is still active at this point of the import.
    fn live(&self, kind: Kind, e: &Existing) -> bool {
        e.active && !(kind == Kind::Enrollments && self.ended.contains(&e.id))
    }

    fn id(&self, kind: Kind, sid: &str) -> Option<i64> {
        self.ids.get(&kind).and_then(|m| m.get(sid)).copied()
    }

    /// Writes a batch of created and updated records of one type.
    async fn flush(&mut self, txn: &DatabaseTransaction, kind: Kind, batch: &mut Batch) -> anyhow::Result<()> {
        redate(txn, kind, std::mem::take(&mut batch.dated)).await?;
        let creates = std::mem::take(&mut batch.creates);
        let updates = std::mem::take(&mut batch.updates);
        if creates.is_empty() && updates.is_empty() {
            return Ok(());
        }
        if kind.gradebook() {
            return self.flush_gradebook(txn, kind, &creates, &updates).await;
        }
        let now = self.now;
        match kind {
            Kind::Demographics => {
                let mut models = Vec::new();
                for (sid, r) in &creates {
                    if let (Rec::Demographic(r), Some(user)) = (r, self.id(Kind::Users, sid)) {
                        models.push(demographic_model(user, r, now));
                    }
                }
                insert(txn, demographic::Entity, models).await?;
                for (id, _, r) in &updates {
                    if let Rec::Demographic(r) = r {
                        demographic::Entity::update(demographic_model(*id, r, now)).exec(txn).await?;
                    }
                }
            }
            Kind::Orgs => {
                let models: Vec<org::ActiveModel> = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Org(r) => Some(self.org_model(None, sid, r, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, org::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in &updates {
                    if let Rec::Org(r) = r {
                        org::Entity::update(self.org_model(Some(*id), sid, r, now)).exec(txn).await?;
                    }
                }
                // Parents may come later in the file than their children: set them now.
                for (sid, r) in creates.iter().map(|(s, r)| (s, r)).chain(updates.iter().map(|(_, s, r)| (s, r))) {
                    if let Rec::Org(r) = r {
                        let parent = r.parent.as_deref().and_then(|p| self.id(Kind::Orgs, p));
                        org::Entity::update_many()
                            .col_expr(org::Column::ParentId, Expr::value(parent))
                            .filter(org::Column::SourcedId.eq(sid.as_str()))
                            .exec(txn)
                            .await?;
                    }
                }
            }
            Kind::AcademicSessions => {
                let district = self.district_id(txn).await?;
                let models: Vec<academic_session::ActiveModel> = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Session(r) => Some(session_model(None, sid, r, district, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, academic_session::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in &updates {
                    if let Rec::Session(r) = r {
                        let mut m = session_model(Some(*id), sid, r, district, now);
                        m.org_id = sea_orm::ActiveValue::NotSet;
                        academic_session::Entity::update(m).exec(txn).await?;
                    }
                }
                for (sid, r) in creates.iter().map(|(s, r)| (s, r)).chain(updates.iter().map(|(_, s, r)| (s, r))) {
                    if let Rec::Session(r) = r {
                        let parent = r.parent.as_deref().and_then(|p| self.id(Kind::AcademicSessions, p));
                        academic_session::Entity::update_many()
                            .col_expr(academic_session::Column::ParentId, Expr::value(parent))
                            .filter(academic_session::Column::SourcedId.eq(sid.as_str()))
                            .exec(txn)
                            .await?;
                    }
                }
            }
            Kind::Courses => {
                let models: Vec<course::ActiveModel> = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Course(r) => Some(self.course_model(None, sid, r, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, course::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in &updates {
                    if let Rec::Course(r) = r {
                        course::Entity::update(self.course_model(Some(*id), sid, r, now)).exec(txn).await?;
                    }
                }
            }
            Kind::Classes => {
                let models: Vec<class::ActiveModel> = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Class(r) => Some(self.class_model(None, sid, r, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, class::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in &updates {
                    if let Rec::Class(r) = r {
                        class::Entity::update(self.class_model(Some(*id), sid, r, now)).exec(txn).await?;
                    }
                }
                let written: Vec<(i64, &Rec)> = creates
                    .iter()
                    .filter_map(|(sid, r)| self.id(Kind::Classes, sid).map(|id| (id, r)))
                    .chain(updates.iter().map(|(id, _, r)| (*id, r)))
                    .collect();
                let ids: Vec<i64> = written.iter().map(|w| w.0).collect();
                for chunk in ids.chunks(BATCH) {
                    class_term::Entity::delete_many()
                        .filter(class_term::Column::ClassId.is_in(chunk.iter().copied()))
                        .exec(txn)
                        .await?;
                }
                let mut terms = Vec::new();
                for (id, r) in &written {
                    if let Rec::Class(r) = r {
                        for (i, t) in r.terms.iter().enumerate() {
                            if let Some(term) = self.id(Kind::AcademicSessions, t) {
                                terms.push(class_term::ActiveModel {
                                    class_id: Set(*id),
                                    term_id: Set(term),
                                    position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                                });
                            }
                        }
                        let school = self.id(Kind::Orgs, &r.school);
                        self.changes.push(Change {
                            entity: ChangeEntity::Class,
                            id: *id,
                            org_id: school,
                            person_id: None,
                            deleted: false,
                        });
                    }
                }
                for chunk in terms.chunks(BATCH) {
                    class_term::Entity::insert_many(chunk.to_vec())
                        .on_conflict_do_nothing_on([class_term::Column::ClassId, class_term::Column::TermId])
                        .exec_without_returning(txn)
                        .await?;
                }
            }
            Kind::Users => {
                let models: Vec<user::ActiveModel> = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::User(r) => Some(self.user_model(None, sid, r, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, user::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in &updates {
                    if let Rec::User(r) = r {
                        user::Entity::update(self.user_model(Some(*id), sid, r, now)).exec(txn).await?;
                    }
                }
                // Agents are users of the same file: written once every user is, in `after`.
                for (sid, r) in creates.into_iter().chain(updates.into_iter().map(|(_, s, r)| (s, r))) {
                    if let Rec::User(r) = r {
                        if let Some(id) = self.id(Kind::Users, &sid) {
                            self.written_roles.insert(id, r.role);
                            if let Some(entity) = person_entity(r.role) {
                                self.changes.push(Change::person(entity, id, false));
                            }
                        }
                        self.pending_agents.push((sid, r.agents));
                    }
                }
            }
            Kind::Roles => {
                let mut models = Vec::new();
                for (sid, r) in creates.iter().map(|(s, r)| (s, r)).chain(updates.iter().map(|(_, s, r)| (s, r))) {
                    let Rec::Role(r) = r else { continue };
                    let (Some(user_id), Some(org_id)) = (self.id(Kind::Users, &r.user), self.id(Kind::Orgs, &r.org))
                    else {
                        continue;
                    };
                    let coarse = coarse_role(&r.role).unwrap_or(Role::Student);
                    models.push(user_org::ActiveModel {
                        user_id: Set(user_id),
                        org_id: Set(org_id),
                        role: Set(coarse),
                        is_primary: Set(r.primary),
                        sourced_id: Set(Some(sid.clone())),
                        oneroster_role: Set(Some(r.role.clone())),
                        begin_date: Set(r.begin_date),
                        end_date: Set(r.end_date),
                    });
                    let person_role = self.user_role(&r.user);
                    if let Some(entity) = person_entity(person_role) {
                        self.changes.push(Change::person(entity, user_id, false));
                    }
                }
                for chunk in models.chunks(BATCH) {
                    user_org::Entity::insert_many(chunk.to_vec())
                        .on_conflict(
                            sea_orm::sea_query::OnConflict::columns([
                                user_org::Column::UserId,
                                user_org::Column::OrgId,
                            ])
                            .update_columns([
                                user_org::Column::Role,
                                user_org::Column::IsPrimary,
                                user_org::Column::SourcedId,
                                user_org::Column::OnerosterRole,
                                user_org::Column::BeginDate,
                                user_org::Column::EndDate,
                            ])
                            .to_owned(),
                        )
                        .exec_without_returning(txn)
                        .await?;
                }
            }
            Kind::Enrollments => {
                let mut models = Vec::new();
                for (sid, r) in &creates {
                    if let Rec::Enrollment(r) = r
                        && let Some(m) = self.enrollment_model(None, sid, r, now)
                    {
                        models.push(m);
                    }
                }
                let new_ids: HashMap<String, i64> =
                    insert_ids(txn, enrollment::Entity, models).await?.into_iter().collect();
                for (id, sid, r) in &updates {
                    if let Rec::Enrollment(r) = r
                        && let Some(m) = self.enrollment_model(Some(*id), sid, r, now)
                    {
                        enrollment::Entity::update(m).exec(txn).await?;
                    }
                }
                for (sid, r) in creates.iter().map(|(s, r)| (s, r)).chain(updates.iter().map(|(_, s, r)| (s, r))) {
                    if let Rec::Enrollment(r) = r {
                        let id = new_ids.get(sid).copied().or_else(|| self.existing[&kind].get(sid).map(|e| e.id));
                        if let Some(id) = id {
                            self.changes.push(Change {
                                entity: ChangeEntity::Enrollment,
                                id,
                                org_id: self.id(Kind::Orgs, &r.school),
                                person_id: self.id(Kind::Users, &r.user),
                                deleted: false,
                            });
                        }
                    }
                }
            }
            Kind::Categories | Kind::ScoreScales | Kind::LineItems | Kind::LineItemObjectives | Kind::Results => {}
        }
        Ok(())
    }

    /// Writes categories, score scales, line items and their objectives; results go through the
    /// results pipeline.
    async fn flush_gradebook(
        &mut self,
        txn: &DatabaseTransaction,
        kind: Kind,
        creates: &[(String, Rec)],
        updates: &[(i64, String, Rec)],
    ) -> anyhow::Result<()> {
        let now = self.now;
        match kind {
            Kind::Categories => {
                let models = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Category(r) => Some(gradebook::category_model(None, sid, r, now)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, gradebook_category::Entity, models).await?;
                self.ids.entry(kind).or_default().extend(created);
                for (id, sid, r) in updates {
                    if let Rec::Category(r) = r {
                        gradebook_category::Entity::update(gradebook::category_model(Some(*id), sid, r, now))
                            .exec(txn)
                            .await?;
                    }
                }
            }
            Kind::ScoreScales => {
                let model = |id: Option<i64>, sid: &str, r: &records::ScoreScaleRec| {
                    let org = r.org.as_deref().and_then(|o| self.id(Kind::Orgs, o));
                    let course = r.course.as_deref().and_then(|c| self.id(Kind::Courses, c));
                    let class = r.class.as_deref().and_then(|c| self.id(Kind::Classes, c));
                    gradebook::score_scale_model(id, sid, r, now, org, course, class)
                };
                let models = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::ScoreScale(r) => Some(model(None, sid, r)),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, score_scale::Entity, models).await?;
                for (id, sid, r) in updates {
                    if let Rec::ScoreScale(r) = r {
                        score_scale::Entity::update(model(Some(*id), sid, r)).exec(txn).await?;
                    }
                }
                self.ids.entry(kind).or_default().extend(created);
            }
            Kind::LineItems => {
                let model = |id: Option<i64>, sid: &str, r: &records::LineItemRec| {
                    let refs = LineItemRefs {
                        class: self.id(Kind::Classes, &r.class)?,
                        category: self.id(Kind::Categories, &r.category),
                        session: r.session.as_deref().and_then(|s| self.id(Kind::AcademicSessions, s)),
                        school: r.school.as_deref().and_then(|s| self.id(Kind::Orgs, s)),
                    };
                    Some(gradebook::line_item_model(id, sid, r, now, refs))
                };
                let models = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::LineItem(r) => model(None, sid, r),
                        _ => None,
                    })
                    .collect();
                let created = insert_ids(txn, line_item::Entity, models).await?;
                for (id, sid, r) in updates {
                    if let Rec::LineItem(r) = r
                        && let Some(m) = model(Some(*id), sid, r)
                    {
                        line_item::Entity::update(m).exec(txn).await?;
                    }
                }
                self.ids.entry(kind).or_default().extend(created);
                self.touched_lines.extend(updates.iter().map(|u| u.0));
            }
            Kind::LineItemObjectives => {
                // What the objectives assessed before, and will assess.
                self.touch_objectives(txn, &updates.iter().map(|u| u.0).collect::<Vec<_>>()).await?;
                for (_, r) in creates.iter().map(|(s, r)| (s, r)).chain(updates.iter().map(|(_, s, r)| (s, r))) {
                    if let Rec::Objective(r) = r {
                        self.touched_objectives.insert(r.objective.clone());
                        if let Some(l) = self.id(Kind::LineItems, &r.line_item) {
                            self.touched_lines.insert(l);
                        }
                    }
                }
                let model = |id: Option<i64>, sid: &str, r: &records::ObjectiveRec| {
                    Some(gradebook::objective_model(id, sid, r, now, self.id(Kind::LineItems, &r.line_item)?))
                };
                let models = creates
                    .iter()
                    .filter_map(|(sid, r)| match r {
                        Rec::Objective(r) => model(None, sid, r),
                        _ => None,
                    })
                    .collect();
                insert(txn, line_item_objective::Entity, models).await?;
                for (id, sid, r) in updates {
                    if let Rec::Objective(r) = r
                        && let Some(m) = model(Some(*id), sid, r)
                    {
                        line_item_objective::Entity::update(m).exec(txn).await?;
                    }
                }
            }
            Kind::Results => {
                let rows: Vec<(&String, &records::ResultRec)> = creates
                    .iter()
                    .map(|(s, r)| (s, r))
                    .chain(updates.iter().map(|(_, s, r)| (s, r)))
                    .filter_map(|(s, r)| match r {
                        Rec::Result(r) => Some((s, r)),
                        _ => None,
                    })
                    .collect();
                let line_ids: std::collections::BTreeSet<i64> =
                    rows.iter().filter_map(|(_, r)| self.id(Kind::LineItems, &r.line_item)).collect();
                let ranges: Vec<(i64, Option<f64>, Option<f64>)> = line_item::Entity::find()
                    .select_only()
                    .columns([
                        line_item::Column::Id,
                        line_item::Column::ResultValueMin,
                        line_item::Column::ResultValueMax,
                    ])
                    .filter(line_item::Column::Id.is_in(line_ids.iter().copied()))
                    .into_tuple()
                    .all(txn)
                    .await?;
                let mut links = crate::progress::mastery::line_item_links(txn, &line_ids).await?;
                let lines: HashMap<i64, Line> = ranges
                    .into_iter()
                    .map(|(id, min, max)| {
                        (id, Line { id, min, max, competencies: links.remove(&id).unwrap_or_default() })
                    })
                    .collect();
                let mut good = Vec::new();
                for (i, (sid, r)) in rows.iter().enumerate() {
                    let line = self.id(Kind::LineItems, &r.line_item).and_then(|l| lines.get(&l));
                    let (Some(line), Some(learner)) = (line, self.id(Kind::Users, &r.student)) else { continue };
                    let class = r.class.as_deref().and_then(|c| self.id(Kind::Classes, c));
                    good.push(gradebook::resolved(i, sid, r, line, learner, class, now));
                }
                let crate::progress::store::Stored { outcomes, effects, .. } =
                    crate::progress::store::store(txn, records::GRADEBOOK_POSTER, &good).await?;
                self.results_kept += outcomes
                    .values()
                    .filter(|(o, _)| {
                        matches!(
                            o,
                            crate::progress::store::PostOutcome::Unchanged
                                | crate::progress::store::PostOutcome::IgnoredStale
                        )
                    })
                    .count() as u64;
                self.effects.extend(effects);
            }
            _ => {}
        }
        Ok(())
    }

    /// Notes the line items and CASE identifiers of stored objectives about to change.
    async fn touch_objectives(&mut self, txn: &DatabaseTransaction, ids: &[i64]) -> AppResult<()> {
        for chunk in ids.chunks(BATCH) {
            let old: Vec<(i64, String)> = line_item_objective::Entity::find()
                .select_only()
                .columns([line_item_objective::Column::LineItemId, line_item_objective::Column::ObjectiveId])
                .filter(line_item_objective::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            for (line, objective) in old {
                self.touched_lines.insert(line);
                self.touched_objectives.insert(objective);
            }
        }
        Ok(())
    }

    /// Once every file is written: the results of line items whose range or objectives changed
    /// take their new values, and the masteries they bear on (before or after) are recomputed.
    async fn settle_gradebook(&mut self, txn: &DatabaseTransaction) -> AppResult<()> {
        if self.touched_lines.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = std::mem::take(&mut self.touched_lines).into_iter().collect();
        let mut lines = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let found: Vec<(i64, Option<f64>, Option<f64>)> = line_item::Entity::find()
                .select_only()
                .columns([line_item::Column::Id, line_item::Column::ResultValueMin, line_item::Column::ResultValueMax])
                .filter(line_item::Column::Id.is_in(chunk.iter().copied()))
                .filter(line_item::Column::Status.eq(Status::Active))
                .into_tuple()
                .all(txn)
                .await?;
            lines.extend(found);
        }
        let objectives: Vec<String> = std::mem::take(&mut self.touched_objectives).into_iter().collect();
        let mut before = std::collections::BTreeSet::new();
        for chunk in objectives.chunks(BATCH) {
            let found: Vec<i64> = entity::competency::Entity::find()
                .select_only()
                .column(entity::competency::Column::Id)
                .filter(entity::competency::Column::SourceId.is_in(chunk.iter().map(String::as_str)))
                .into_tuple()
                .all(txn)
                .await?;
            before.extend(found);
        }
        let effects = crate::progress::store::regrade_line_items(txn, &lines, before).await?;
        self.effects.extend(effects);
        Ok(())
    }

    /// What a type needs once all its rows are written: users' agents.
    async fn after(&mut self, txn: &DatabaseTransaction, kind: Kind) -> anyhow::Result<()> {
        if kind != Kind::Users {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_agents);
        let written: Vec<(i64, Vec<String>)> =
            pending.into_iter().filter_map(|(sid, agents)| self.id(Kind::Users, &sid).map(|id| (id, agents))).collect();
        let ids: Vec<i64> = written.iter().map(|w| w.0).collect();
        for chunk in ids.chunks(BATCH) {
            user_agent::Entity::delete_many()
                .filter(user_agent::Column::UserId.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        let mut rows = Vec::new();
        for (id, agents) in written {
            for (i, a) in agents.iter().enumerate() {
                if let Some(agent) = self.id(Kind::Users, a) {
                    rows.push(user_agent::ActiveModel {
                        user_id: Set(id),
                        agent_id: Set(agent),
                        position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                    });
                }
            }
        }
        for chunk in rows.chunks(BATCH) {
            user_agent::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([user_agent::Column::UserId, user_agent::Column::AgentId])
                .exec_without_returning(txn)
                .await?;
        }
        Ok(())
    }

    /// Reads the roles of the people this run's feed entries name that it did not load (a
    /// targeted write that ends a class's enrollments names its teachers too), so that
    /// `students` tells them apart.
    async fn know_roles(&mut self, txn: &DatabaseTransaction) -> AppResult<()> {
        let unknown: Vec<i64> =
            self.changes
                .iter()
                .filter_map(|c| c.person_id)
                .filter(|id| {
                    !self.written_roles.contains_key(id)
                        && !self.names.users.get(id).is_some_and(|s| {
                            self.roles_of.contains_key(s) || self.existing[&Kind::Users].contains_key(s)
                        })
                })
                .collect::<HashSet<i64>>()
                .into_iter()
                .collect();
        for chunk in unknown.chunks(BATCH) {
            let roles: Vec<(i64, Role)> = user::Entity::find()
                .select_only()
                .columns([user::Column::Id, user::Column::Role])
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            self.written_roles.extend(roles);
        }
        Ok(())
    }

    /// The students this run changed: from its feed entries, which name every person whose
    /// record, role or enrollment it wrote.
    fn students(&self) -> impl Iterator<Item = i64> + '_ {
        let mut seen = HashSet::new();
        self.changes
            .iter()
            .filter(|c| c.entity == ChangeEntity::Learner || c.entity == ChangeEntity::Enrollment)
            .filter_map(|c| c.person_id)
            .filter(move |id| seen.insert(*id))
            .filter(|id| {
                let role =
                    self.written_roles.get(id).copied().or_else(|| self.names.users.get(id).map(|s| self.user_role(s)));
                role == Some(Role::Student)
            })
    }

    fn user_role(&self, sid: &str) -> Role {
        self.roles_of
            .get(sid)
            .map(|r| r.0)
            .or_else(|| self.existing[&Kind::Users].get(sid).map(|e| e.role))
            .unwrap_or(Role::Student)
    }

    /// Marks records `tobedeleted` (and, for users and classes, their enrollments).
    async fn delete(
        &mut self,
        txn: &DatabaseTransaction,
        kind: Kind,
        sids: &[String],
        write: bool,
    ) -> anyhow::Result<()> {
        if sids.is_empty() {
            return Ok(());
        }
        if !write && !matches!(kind, Kind::Users | Kind::Classes | Kind::Enrollments) {
            return Ok(());
        }
        let now = self.now;
        let existing: Vec<(String, Existing)> =
            sids.iter().filter_map(|s| self.existing[&kind].get(s).map(|e| (s.clone(), *e))).collect();
        let ids: Vec<i64> = existing.iter().map(|(_, e)| e.id).collect();
        macro_rules! tombstone {
            ($entity:ident) => {
                for chunk in ids.chunks(BATCH).filter(|_| write) {
                    $entity::Entity::update_many()
                        .col_expr($entity::Column::Status, Expr::value(Status::ToBeDeleted))
                        .col_expr($entity::Column::DateLastModified, Expr::value(now))
                        .filter($entity::Column::Id.is_in(chunk.iter().copied()))
                        .exec(txn)
                        .await?;
                }
            };
        }
        match kind {
            Kind::Demographics => {
                for chunk in ids.chunks(BATCH).filter(|_| write) {
                    demographic::Entity::update_many()
                        .col_expr(demographic::Column::Status, Expr::value(Status::ToBeDeleted))
                        .col_expr(demographic::Column::DateLastModified, Expr::value(now))
                        .filter(demographic::Column::UserId.is_in(chunk.iter().copied()))
                        .exec(txn)
                        .await?;
                }
            }
            Kind::Orgs => tombstone!(org),
            Kind::AcademicSessions => tombstone!(academic_session),
            Kind::Courses => tombstone!(course),
            Kind::Classes => {
                tombstone!(class);
                let schools: HashMap<i64, i64> = {
                    let mut m = HashMap::new();
                    for chunk in ids.chunks(BATCH) {
                        let rows: Vec<(i64, i64)> = class::Entity::find()
                            .select_only()
                            .columns([class::Column::Id, class::Column::OrgId])
                            .filter(class::Column::Id.is_in(chunk.iter().copied()))
                            .into_tuple()
                            .all(txn)
                            .await?;
                        m.extend(rows);
                    }
                    m
                };
                for id in &ids {
                    self.changes.push(Change {
                        entity: ChangeEntity::Class,
                        id: *id,
                        org_id: schools.get(id).copied(),
                        person_id: None,
                        deleted: true,
                    });
                }
                self.end_enrollments(txn, enrollment::Column::ClassId, &ids, write).await?;
            }
            Kind::Users => {
                tombstone!(user);
                for (_, e) in &existing {
                    if let Some(entity) = person_entity(e.role) {
                        self.changes.push(Change::person(entity, e.id, true));
                    }
                }
                self.end_enrollments(txn, enrollment::Column::UserId, &ids, write).await?;
            }
            Kind::Enrollments => self.end_enrollments(txn, enrollment::Column::Id, &ids, write).await?,
            Kind::Categories => tombstone!(gradebook_category),
            Kind::ScoreScales => tombstone!(score_scale),
            Kind::LineItemObjectives => {
                if write {
                    self.touch_objectives(txn, &ids).await?;
                }
                tombstone!(line_item_objective);
            }
            Kind::LineItems => {
                tombstone!(line_item);
                // A line item's results go with it (retired while its objectives still say
                // what they were evidence of), then its objectives.
                for chunk in ids.chunks(BATCH).filter(|_| write) {
                    let results: Vec<i64> = result::Entity::find()
                        .select_only()
                        .column(result::Column::Id)
                        .filter(result::Column::LineItemId.is_in(chunk.iter().copied()))
                        .filter(result::Column::Status.eq(Status::Active))
                        .into_tuple()
                        .all(txn)
                        .await?;
                    let effects = crate::progress::store::retire(txn, &results).await?;
                    self.effects.extend(effects);
                    line_item_objective::Entity::update_many()
                        .col_expr(line_item_objective::Column::Status, Expr::value(Status::ToBeDeleted))
                        .col_expr(line_item_objective::Column::DateLastModified, Expr::value(now))
                        .filter(line_item_objective::Column::LineItemId.is_in(chunk.iter().copied()))
                        .filter(line_item_objective::Column::Status.eq(Status::Active))
                        .exec(txn)
                        .await?;
                }
                for id in &ids {
                    self.touched_lines.remove(id);
                }
            }
            Kind::Results => {
                if write {
                    let effects = crate::progress::store::retire(txn, &ids).await?;
                    self.effects.extend(effects);
                }
            }
            Kind::Roles => {
                // A membership ends: the person leaves the org (their tombstone for it).
                for sid in sids {
                    let Some((user, org)) = self.membership_of(sid) else { continue };
                    let found = user_org::Entity::find()
                        .filter(user_org::Column::UserId.eq(user))
                        .filter(user_org::Column::OrgId.eq(org))
                        .one(txn)
                        .await?;
                    let Some(m) = found else { continue };
                    let own = m.sourced_id.clone().unwrap_or_else(|| {
                        role_id(
                            &self.names.users.get(&user).cloned().unwrap_or_default(),
                            &self.names.orgs.get(&org).cloned().unwrap_or_default(),
                        )
                    });
                    if own != *sid {
                        continue;
                    }
                    user_org::Entity::delete_many()
                        .filter(user_org::Column::UserId.eq(user))
                        .filter(user_org::Column::OrgId.eq(org))
                        .exec(txn)
                        .await?;
                    let role = self.names.users.get(&user).map_or(Role::Student, |s| self.user_role(s));
                    if let Some(entity) = person_entity(role) {
                        self.changes.push(Change {
                            entity,
                            id: user,
                            org_id: Some(org),
                            person_id: Some(user),
                            deleted: true,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The (user, org) of a stored membership, by its (effective) sourcedId.
    fn membership_of(&self, sid: &str) -> Option<(i64, i64)> {
        self.memberships.get(sid).copied()
    }

    /// Ends the active enrollments matching `column IN ids`, with their tombstones.
    async fn end_enrollments(
        &mut self,
        txn: &DatabaseTransaction,
        column: enrollment::Column,
        ids: &[i64],
        write: bool,
    ) -> anyhow::Result<()> {
        for chunk in ids.chunks(BATCH) {
            let mut ended: Vec<(i64, i64, i64)> = enrollment::Entity::find()
                .select_only()
                .columns([enrollment::Column::Id, enrollment::Column::UserId, enrollment::Column::ClassId])
                .filter(enrollment::Column::Status.eq(Status::Active))
                .filter(column.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            // A dry run writes nothing: what it already counted as ended is still active.
            ended.retain(|e| !self.ended.contains(&e.0));
            if ended.is_empty() {
                continue;
            }
            if !matches!(column, enrollment::Column::Id) {
                self.cascaded += ended.len() as u64;
            }
            let ended_ids: Vec<i64> = ended.iter().map(|e| e.0).collect();
            self.ended.extend(ended_ids.iter().copied());
            if !write {
                continue;
            }
            let classes: Vec<i64> = ended.iter().map(|e| e.2).collect();
            let schools: HashMap<i64, i64> = class::Entity::find()
                .select_only()
                .columns([class::Column::Id, class::Column::OrgId])
                .filter(class::Column::Id.is_in(classes))
                .into_tuple::<(i64, i64)>()
                .all(txn)
                .await?
                .into_iter()
                .collect();
            enrollment::Entity::update_many()
                .col_expr(enrollment::Column::Status, Expr::value(Status::ToBeDeleted))
                .col_expr(enrollment::Column::DateLastModified, Expr::value(self.now))
                .filter(enrollment::Column::Id.is_in(ended_ids))
                .exec(txn)
                .await?;
            for (id, user, class) in ended {
                self.changes.push(Change {
                    entity: ChangeEntity::Enrollment,
                    id,
                    org_id: schools.get(&class).copied(),
                    person_id: Some(user),
                    deleted: true,
                });
            }
        }
        Ok(())
    }

    async fn district_id(&self, txn: &DatabaseTransaction) -> AppResult<i64> {
        let d = org::Entity::find()
            .filter(org::Column::OrgType.eq(entity::OrgType::District))
            .filter(org::Column::Status.eq(Status::Active))
            .one(txn)
            .await?;
        d.map(|d| d.id).ok_or_else(|| crate::error::AppError::validation("orgs.csv", "the roster has no district org"))
    }

    fn org_model(&self, id: Option<i64>, sid: &str, r: &records::OrgRec, now: DateTime<Utc>) -> org::ActiveModel {
        org::ActiveModel {
            id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            sourced_id: Set(sid.to_owned()),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            source_modified: sent(&r.sent),
            org_type: Set(r.org_type.parse().unwrap_or(entity::OrgType::Local)),
            name: Set(r.name.clone()),
            identifier: Set(r.identifier.clone()),
            ..Default::default()
        }
    }

    fn course_model(
        &self,
        id: Option<i64>,
        sid: &str,
        r: &records::CourseRec,
        now: DateTime<Utc>,
    ) -> course::ActiveModel {
        course::ActiveModel {
            id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            sourced_id: Set(sid.to_owned()),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            source_modified: sent(&r.sent),
            org_id: Set(self.id(Kind::Orgs, &r.org).unwrap_or_default()),
            title: Set(r.title.clone()),
            course_code: Set(r.course_code.clone()),
            subject: Set(records::joined_opt(&r.subjects)),
            grades: Set(records::joined_opt(&r.grades)),
            school_year_id: Set(r.school_year.as_deref().and_then(|y| self.id(Kind::AcademicSessions, y))),
            subject_codes: Set(records::joined_opt(&r.subject_codes)),
        }
    }

    fn class_model(&self, id: Option<i64>, sid: &str, r: &records::ClassRec, now: DateTime<Utc>) -> class::ActiveModel {
        class::ActiveModel {
            id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            sourced_id: Set(sid.to_owned()),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            source_modified: sent(&r.sent),
            org_id: Set(self.id(Kind::Orgs, &r.school).unwrap_or_default()),
            course_id: Set(self.id(Kind::Courses, &r.course).unwrap_or_default()),
            term_id: Set(r.terms.first().and_then(|t| self.id(Kind::AcademicSessions, t)).unwrap_or_default()),
            title: Set(r.title.clone()),
            class_code: Set(r.class_code.clone()),
            class_type: Set(r.class_type.clone()),
            subject: Set(records::joined_opt(&r.subjects)),
            location: Set(r.location.clone()),
            grades: Set(records::joined_opt(&r.grades)),
            subject_codes: Set(records::joined_opt(&r.subject_codes)),
            periods: Set(records::joined_opt(&r.periods)),
        }
    }

    fn user_model(&self, id: Option<i64>, sid: &str, r: &records::UserRec, now: DateTime<Utc>) -> user::ActiveModel {
        user::ActiveModel {
            id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            sourced_id: Set(sid.to_owned()),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            source_modified: sent(&r.sent),
            role: Set(r.role),
            given_name: Set(r.given_name.clone()),
            family_name: Set(r.family_name.clone()),
            preferred_name: Set(r.preferred_given_name.clone()),
            username: Set(r.username.clone()),
            email: Set(r.email.clone()),
            identifier: Set(r.identifier.clone()),
            grades: Set(records::joined_opt(&r.grades)),
            enabled_user: Set(r.enabled),
            middle_name: Set(r.middle_name.clone()),
            preferred_middle_name: Set(r.preferred_middle_name.clone()),
            preferred_family_name: Set(r.preferred_family_name.clone()),
            user_ids: Set(r.user_ids.clone()),
            sms: Set(r.sms.clone()),
            phone: Set(r.phone.clone()),
            master_identifier: Set(r.master_identifier.clone()),
            pronouns: Set(r.pronouns.clone()),
            primary_org_id: Set(r.primary_org.as_deref().and_then(|o| self.id(Kind::Orgs, o))),
        }
    }

    fn enrollment_model(
        &self,
        id: Option<i64>,
        sid: &str,
        r: &records::EnrollmentRec,
        now: DateTime<Utc>,
    ) -> Option<enrollment::ActiveModel> {
        Some(enrollment::ActiveModel {
            id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
            sourced_id: Set(sid.to_owned()),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            source_modified: sent(&r.sent),
            class_id: Set(self.id(Kind::Classes, &r.class)?),
            user_id: Set(self.id(Kind::Users, &r.user)?),
            role: Set(r.role),
            is_primary: Set(r.primary),
            begin_date: Set(r.begin_date),
            end_date: Set(r.end_date),
        })
    }
}

fn session_model(
    id: Option<i64>,
    sid: &str,
    r: &records::SessionRec,
    district: i64,
    now: DateTime<Utc>,
) -> academic_session::ActiveModel {
    academic_session::ActiveModel {
        id: id.map_or(sea_orm::ActiveValue::NotSet, Set),
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        source_modified: sent(&r.sent),
        org_id: Set(district),
        title: Set(r.title.clone()),
        session_type: Set(r.session_type.clone()),
        start_date: Set(r.start_date),
        end_date: Set(r.end_date),
        school_year: Set(r.school_year),
        ..Default::default()
    }
}

fn demographic_model(user: i64, r: &records::DemographicRec, now: DateTime<Utc>) -> demographic::ActiveModel {
    let [a, b, c, d, e, f, g] = r.flags;
    demographic::ActiveModel {
        user_id: Set(user),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        source_modified: sent(&r.sent),
        birth_date: Set(r.birth_date),
        sex: Set(r.sex.clone()),
        american_indian_or_alaska_native: Set(a),
        asian: Set(b),
        black_or_african_american: Set(c),
        native_hawaiian_or_other_pacific_islander: Set(d),
        white: Set(e),
        demographic_race_two_or_more_races: Set(f),
        hispanic_or_latino_ethnicity: Set(g),
        country_of_birth_code: Set(r.country_of_birth_code.clone()),
        state_of_birth_abbreviation: Set(r.state_of_birth_abbreviation.clone()),
        city_of_birth: Set(r.city_of_birth.clone()),
        public_school_residence_status: Set(r.public_school_residence_status.clone()),
    }
}

/// The feed's kind for a person of `role` (guardians are not in the feed).
fn person_entity(role: Role) -> Option<ChangeEntity> {
    match role {
        Role::Student => Some(ChangeEntity::Learner),
        Role::Teacher | Role::Administrator => Some(ChangeEntity::Educator),
        Role::Guardian => None,
    }
}

/// Records the source's newer date of unchanged records (nothing else, and no feed entry: they
/// did not change here).
async fn redate(txn: &DatabaseTransaction, kind: Kind, dated: Vec<(i64, DateTime<Utc>)>) -> AppResult<()> {
    use sea_orm::sea_query::{Alias, ExprTrait, Query};
    let (table, id) = match kind {
        Kind::Orgs => ("orgs", "id"),
        Kind::AcademicSessions => ("academic_sessions", "id"),
        Kind::Courses => ("courses", "id"),
        Kind::Classes => ("classes", "id"),
        Kind::Users => ("users", "id"),
        Kind::Demographics => ("demographics", "user_id"),
        Kind::Enrollments => ("enrollments", "id"),
        Kind::Results => ("results", "id"),
        Kind::Roles | Kind::Categories | Kind::ScoreScales | Kind::LineItems | Kind::LineItemObjectives => {
            return Ok(());
        }
    };
    // A SIS stamps many records with one time: one statement per time (and per 500 ids).
    let mut by_time: BTreeMap<DateTime<Utc>, Vec<i64>> = BTreeMap::new();
    for (record, t) in dated {
        by_time.entry(t).or_default().push(record);
    }
    let backend = txn.get_database_backend();
    for (t, ids) in by_time {
        for chunk in ids.chunks(500) {
            let q = Query::update()
                .table(Alias::new(table))
                .value(Alias::new("source_modified"), t)
                .and_where(Expr::col(Alias::new(id)).is_in(chunk.iter().copied()))
                .to_owned();
            txn.execute_raw(backend.build(&q)).await?;
        }
    }
    Ok(())
}

/// The source's date of a version being written: a row without one leaves the stored date.
fn sent(t: &records::Unhashed<Option<DateTime<Utc>>>) -> sea_orm::ActiveValue<Option<DateTime<Utc>>> {
    t.0.map_or(sea_orm::ActiveValue::NotSet, |t| Set(Some(t)))
}

/// Whether `sid` of `kind` is in `set`, without building the key when the set is empty (as it
/// is for every row of a clean import).
fn flagged(set: &HashSet<(Kind, String)>, kind: Kind, sid: &str) -> bool {
    !set.is_empty() && set.contains(&(kind, sid.to_owned()))
}

/// Inserts records that have an `id` and a `sourced_id`, answering both for each row inserted
/// (`RETURNING`, which SQLite and PostgreSQL both have): no read-back of what was just written.
async fn insert_ids<E, A>(txn: &DatabaseTransaction, _e: E, models: Vec<A>) -> AppResult<Vec<(String, i64)>>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    use sea_orm::{QueryTrait, sea_query::Query};
    let backend = txn.get_database_backend();
    let mut out = Vec::with_capacity(models.len());
    for chunk in models.chunks(BATCH) {
        let mut q = E::insert_many(chunk.to_vec()).into_query();
        q.returning(
            Query::returning()
                .columns([sea_orm::sea_query::Alias::new("id"), sea_orm::sea_query::Alias::new("sourced_id")]),
        );
        for row in txn.query_all_raw(backend.build(&q)).await? {
            out.push((row.try_get::<String>("", "sourced_id")?, row.try_get::<i64>("", "id")?));
        }
    }
    Ok(out)
}

async fn insert<E, A>(txn: &DatabaseTransaction, _e: E, models: Vec<A>) -> AppResult<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    for chunk in models.chunks(BATCH) {
        E::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

enum RowOutcome {
    Keep(Box<Rec>),
    Stale,
    /// A deletion, with the source's date of it.
    Delete(Option<DateTime<Utc>>),
    Skip,
}

#[derive(Default)]
struct Batch {
    creates: Vec<(String, Rec)>,
    updates: Vec<(i64, String, Rec)>,
    /// Unchanged records the source sent with a newer date (by id): only that is written.
    dated: Vec<(i64, DateTime<Utc>)>,
}

impl Batch {
    fn len(&self) -> usize {
        self.creates.len() + self.updates.len() + self.dated.len()
    }
}
