//! The `learnergraph` command line.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "learnergraph", version, about = "GraphQL API for personalized-learning school districts")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP on LEARNERGRAPH_BIND.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `schema.graphql` holds the same text.
    Schema,
    /// Load data: the demo district, or synthetic data at scale for benchmarks.
    Seed(SeedArgs),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage data-sharing agreements with vendors.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// Students' records: deletion on request.
    #[command(subcommand)]
    Learner(LearnerCommand),
    /// Delete results and audit events older than the retention the district configured
    /// (LEARNERGRAPH_RETENTION_RESULTS_YEARS, LEARNERGRAPH_RETENTION_AUDIT_YEARS).
    Retention {
        /// Count what would go, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Read the access audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data as files.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Pull data from another system's API.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Serve DATABASE_URL in process and send COUNT requests of a workload (w1, w2, w4) through
    /// HTTP, one at a time: what the instruction guard runs under callgrind.
    #[command(hide = true)]
    MeasureRequests {
        #[arg(long)]
        workload: String,
        #[arg(long)]
        count: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Pull the roster from a SIS's OneRoster 1.2 Rostering service (REST) into the same
    /// pipeline as `import oneroster`: every collection, page by page. The first sync reads
    /// everything (records the SIS no longer has are deleted); later ones read what changed
    /// since the last applied sync of the same base URL (`filter=dateLastModified>'…'`).
    /// Prints the import's report as JSON and keeps it in `import history`; exit status as
    /// `import oneroster`'s.
    Oneroster {
        /// The Rostering service's base, e.g. https://sis.example/ims/oneroster/rostering/v1p2.
        #[arg(long)]
        base_url: String,
        /// The SIS's OAuth 2.0 token endpoint (client credentials).
        #[arg(long)]
        token_url: String,
        #[arg(long)]
        client_id: String,
        /// A file holding the client secret (kept out of the command line and shell history).
        #[arg(long)]
        client_secret_file: std::path::PathBuf,
        /// Read what changed after this time (RFC 3339) instead of after the last sync.
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Also pull demographics (asks for the `roster.readonly` scope).
        #[arg(long)]
        with_demographics: bool,
        /// Check and count what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the valid records; report the rest.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write the roster as a OneRoster 1.2 CSV bulk set (manifest.csv, orgs.csv,
    /// academicSessions.csv, courses.csv, classes.csv, users.csv, roles.csv, enrollments.csv).
    Oneroster {
        /// The directory to write into (created if missing).
        dir: std::path::PathBuf,
        /// Write one `oneroster.zip` into the directory instead of the CSV files.
        #[arg(long)]
        zip: bool,
        /// Also write demographics.csv (students' demographics are sensitive: left out unless
        /// asked for).
        #[arg(long)]
        with_demographics: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a OneRoster 1.2 (or 1.1) CSV set from the district's SIS: a directory or a .zip
    /// with its manifest.csv. Every row is checked first; by default one problem and nothing
    /// is written. Prints what changed per type as JSON; problems go to standard error as
    /// `file:line: column: message (value)`. Exit status: 0 applied (or a clean dry run),
    /// 1 rejected (nothing written), 2 applied with invalid rows skipped.
    Oneroster {
        /// The set: a directory or a .zip.
        path: std::path::PathBuf,
        /// Check and count what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the valid rows (and only those whose references are valid); report the rest.
        #[arg(long)]
        skip_invalid: bool,
        /// Also import demographics.csv (otherwise reported as not imported). Demographics are
        /// read only with the `roster.demographics.read` scope.
        #[arg(long)]
        with_demographics: bool,
    },
    /// List past roster imports as JSON, newest first.
    History {
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Import a competency framework from a CASE 1.0 JSON package (CFDocument, CFItems,
    /// CFAssociations). Importing an updated package again updates the framework in place.
    /// Prints what changed as JSON.
    Case {
        /// The package file; `-` reads standard input.
        file: std::path::PathBuf,
        /// The district (sourcedId) adopting the framework; needed only when there are several.
        #[arg(long, value_name = "DISTRICT_SOURCED_ID")]
        district: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Write audit events as CSV to standard output, one row per event and student.
    Export {
        /// Only events that touched this student (sourcedId).
        #[arg(long)]
        learner: Option<String>,
        /// Only events of this OAuth client.
        #[arg(long)]
        client: Option<String>,
        /// Only events served under (or changing) this data-sharing agreement.
        #[arg(long)]
        agreement: Option<String>,
        /// Only events at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Load the demo district first (idempotent), for trying the service out.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SeedArgs {
    /// The fictional demo district (idempotent: a second run changes nothing).
    #[arg(long)]
    pub demo: bool,
    /// A synthetic district with about N students (deterministic, idempotent).
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and secret (shown this once) as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// Space-separated scopes, e.g. "roster.read profiles.read".
        #[arg(long)]
        scopes: String,
        /// Limit the client to an org (by sourcedId); repeat for several. None: district-wide.
        #[arg(long = "org", value_name = "ORG_SOURCED_ID")]
        orgs: Vec<String>,
        /// Grant types: client_credentials (default), authorization_code, refresh_token.
        #[arg(long = "grant-type", value_name = "GRANT_TYPE")]
        grant_types: Vec<String>,
        /// An exact redirect URI for authorization_code; repeat for several.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// The district's own client (its front ends, SIS middleware, admin tools): a school
        /// official, needing no data-sharing agreement.
        #[arg(long, conflicts_with = "agreement")]
        internal: bool,
        /// Bind a vendor's client to this data-sharing agreement (`agreement create`). A vendor's
        /// client with neither this nor --internal sees no student data.
        #[arg(long, value_name = "AGREEMENT_ID")]
        agreement: Option<String>,
    },
    /// Bind a client to a data-sharing agreement (it becomes a vendor's), with --none to no
    /// agreement (it then sees no student data), or with --internal make it one of the
    /// district's own again.
    SetAgreement {
        client_id: String,
        #[arg(required_unless_present_any = ["none", "internal"], conflicts_with_all = ["none", "internal"])]
        agreement_id: Option<String>,
        #[arg(long, conflicts_with = "internal")]
        none: bool,
        /// Make it one of the district's own clients again (no agreement needed).
        #[arg(long)]
        internal: bool,
    },
    /// Replace a client's secret (the old one stops working); prints the new one as JSON.
    RotateSecret { client_id: String },
    /// Disable a client: no new tokens, and its tokens stop working.
    Disable { client_id: String },
    /// Enable a disabled client again.
    Enable { client_id: String },
    /// List clients as JSON (never their secrets).
    List,
}

#[derive(Subcommand, Debug)]
pub enum AgreementCommand {
    /// Record a data-sharing agreement; prints it (with its id) as JSON.
    Create {
        /// The vendor it is signed with.
        #[arg(long)]
        vendor: String,
        /// What the vendor may use the data for.
        #[arg(long)]
        purpose: String,
        /// The student data elements covered, e.g. "Learner { sourcedId givenName familyName
        /// grades } Mastery": types (Learner, Demographics, LearnerProfile, Playlist,
        /// PlaylistItem, Result, Mastery, WinPreference, WinAssignment) and, for Learner and
        /// LearnerProfile, fields.
        #[arg(long)]
        elements: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        starts: chrono::NaiveDate,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        ends: chrono::NaiveDate,
        /// Who signed it for the district.
        #[arg(long)]
        signed_by: String,
        /// When it was signed (default: today).
        #[arg(long)]
        signed_on: Option<chrono::NaiveDate>,
        /// A school (org sourcedId) it covers; repeat for several. None: every school.
        #[arg(long = "school", value_name = "ORG_SOURCED_ID")]
        schools: Vec<String>,
        /// Signed under FERPA's school-official exception (students who opted out of directory
        /// information stay visible to its clients).
        #[arg(long)]
        school_official: bool,
    },
    /// List agreements as JSON, newest first, with their status and clients.
    List,
    /// Revoke an agreement at once: its clients get no more tokens, and theirs stop working.
    Revoke {
        agreement_id: String,
        /// Why (kept with the agreement and in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum LearnerCommand {
    /// Delete a student on request: every record of them in every table, tombstones left in
    /// the changes feed, the audit trail kept under a pseudonym. Prints what went as JSON.
    Purge {
        sourced_id: String,
        /// Why (kept in the purge record).
        #[arg(long)]
        reason: String,
    },
}
