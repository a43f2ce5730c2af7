//! The record of roster imports, for district administrators: what each nightly load did.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::roster_import;
use sea_orm::{EntityTrait, QueryOrder};

use crate::{
    auth::{OrgAccess, Scope},
    error::AppError,
    graphql::{
        context::{db, gql, require},
        relay::{Conn, PageArgs, paginate},
    },
    roster::oneroster::{Counts, Outcome, problems::Problem},
};

/// How an import ended.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RosterImportOutcome {
    /// Still running, or killed before it finished (a later import marks it interrupted).
    Running,
    /// Every row was valid and written.
    Applied,
    /// Valid rows written, invalid ones skipped (`--skip-invalid`).
    AppliedWithSkips,
    /// A problem was found: nothing was written.
    Rejected,
    /// Checked and counted only.
    DryRun,
    /// Killed before it finished: nothing it read was written.
    Interrupted,
}

impl From<Outcome> for RosterImportOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Running => RosterImportOutcome::Running,
            Outcome::Applied => RosterImportOutcome::Applied,
            Outcome::AppliedWithSkips => RosterImportOutcome::AppliedWithSkips,
            Outcome::Rejected => RosterImportOutcome::Rejected,
            Outcome::DryRun => RosterImportOutcome::DryRun,
            Outcome::Interrupted => RosterImportOutcome::Interrupted,
        }
    }
}

/// What an import did to one type of record.
#[derive(SimpleObject, Clone)]
pub struct RosterImportCount {
    /// The OneRoster file's type: `orgs`, `academicSessions`, `courses`, `classes`, `users`,
    /// `roles`, `enrollments`.
    #[graphql(name = "type")]
    pub kind: String,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Marked `tobedeleted` (absent from a bulk file, deleted by a delta, or ended with their
    /// user or class).
    pub deleted: u64,
    /// Invalid rows left out (`--skip-invalid`).
    pub skipped: u64,
}

/// One problem an import found, as `file:line: column: message (value)`.
#[derive(SimpleObject, Clone)]
pub struct RosterImportProblem {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
    pub value: String,
}

/// One run of `learnergraph import oneroster`.
pub struct RosterImport(roster_import::Model);

#[Object]
impl RosterImport {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Who ran it (`cli:<user>`).
    async fn ran_by(&self) -> &str {
        &self.0.ran_by
    }
    /// The directory or .zip imported.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The OneRoster version the manifest declared (`1.2`, `1.1`).
    async fn version(&self) -> &str {
        &self.0.version
    }
    async fn outcome(&self) -> RosterImportOutcome {
        Outcome::parse(&self.0.outcome).into()
    }
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }
    async fn skip_invalid(&self) -> bool {
        self.0.skip_invalid
    }
    async fn problem_count(&self) -> i64 {
        self.0.problem_count
    }
    async fn warning_count(&self) -> i64 {
        self.0.warning_count
    }
    /// Per type, in the order they are applied.
    async fn counts(&self) -> Vec<RosterImportCount> {
        let counts: std::collections::BTreeMap<String, Counts> =
            serde_json::from_str(&self.0.counts).unwrap_or_default();
        let order = crate::roster::oneroster::records::Kind::ALL;
        let mut out: Vec<RosterImportCount> = counts
            .into_iter()
            .map(|(kind, c)| RosterImportCount {
                kind,
                created: c.created,
                updated: c.updated,
                unchanged: c.unchanged,
                deleted: c.deleted,
                skipped: c.skipped,
            })
            .collect();
        out.sort_by_key(|c| order.iter().position(|k| k.name() == c.kind).unwrap_or(usize::MAX));
        out
    }
    /// The first 1,000 problems (`problemCount` has them all).
    async fn problems(&self) -> Vec<RosterImportProblem> {
        let problems: Vec<Problem> = serde_json::from_str(&self.0.problems).unwrap_or_default();
        problems
            .into_iter()
            .map(|p| RosterImportProblem {
                file: p.file,
                line: p.line,
                column: p.column,
                message: p.message,
                value: p.value,
            })
            .collect()
    }
}

#[derive(Default)]
pub struct RosterImportQuery;

#[Object]
impl RosterImportQuery {
    /// Roster imports, oldest first (`last: N` for the most recent). Needs `admin` and
    /// district-wide access.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn roster_imports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<RosterImport>> {
        let p = require(ctx, Scope::Admin)?;
        if p.orgs != OrgAccess::All {
            return Err(AppError::Forbidden("roster imports need district-wide access".into()).into());
        }
        let select = roster_import::Entity::find().order_by_asc(roster_import::Column::Id);
        let args = PageArgs::new(first, after, last, before);
        Ok(gql(paginate(ctx, db(ctx)?, select, roster_import::Column::Id, args, |m| m.id, RosterImport).await)?)
    }
}
