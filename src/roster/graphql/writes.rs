//! `upsertRoster`: batch roster writes for district developers and SIS middleware. The rows
//! are written as a OneRoster 1.2 delta set held in memory and applied by the same engine as
//! `learnergraph import oneroster`, so every check (vocabularies, dates, references, the
//! writer's orgs) is the import's: there is no second copy of a rule. Each row answers
//! CREATED, UPDATED, UNCHANGED, IGNORED_STALE or DELETED, or a user error with its index; good
//! rows are written even when others are refused.

use std::collections::{BTreeMap, HashMap};

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    auth::policy::roster::roster_write_scope,
    graphql::{
        context::{db, principal},
        user_errors::{UserError, UserErrorCode},
    },
    roster::oneroster::{
        Options, RowWrite,
        problems::{Code, Problems},
        records::{self, Kind},
        set::MemoryFile,
    },
};

/// Rows one `upsertRoster` may carry (users' roles included).
pub const MAX_ROWS: usize = 1000;

#[derive(InputObject)]
pub struct RosterOrgInput {
    pub sourced_id: String,
    pub name: String,
    /// `district`, `school`, `department`, `local`, `state` or `national`.
    #[graphql(name = "type")]
    pub org_type: String,
    pub identifier: Option<String>,
    pub parent_sourced_id: Option<String>,
    /// When the source last changed the record: an older write than what is stored is
    /// ignored (IGNORED_STALE).
    pub date_last_modified: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RosterAcademicSessionInput {
    pub sourced_id: String,
    pub title: String,
    /// `schoolYear`, `semester`, `term` or `gradingPeriod` (or an `ext:` extension).
    #[graphql(name = "type")]
    pub session_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub parent_sourced_id: Option<String>,
    pub school_year: i32,
    pub date_last_modified: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RosterCourseInput {
    pub sourced_id: String,
    pub title: String,
    pub course_code: Option<String>,
    #[graphql(default)]
    pub grades: Vec<String>,
    pub org_sourced_id: String,
    pub school_year_sourced_id: Option<String>,
    #[graphql(default)]
    pub subjects: Vec<String>,
    #[graphql(default)]
    pub subject_codes: Vec<String>,
    pub date_last_modified: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RosterClassInput {
    pub sourced_id: String,
    pub title: String,
    #[graphql(default)]
    pub grades: Vec<String>,
    pub course_sourced_id: String,
    pub class_code: Option<String>,
    /// `homeroom` or `scheduled` (or an `ext:` extension).
    pub class_type: String,
    pub location: Option<String>,
    pub school_sourced_id: String,
    pub term_sourced_ids: Vec<String>,
    #[graphql(default)]
    pub subjects: Vec<String>,
    #[graphql(default)]
    pub subject_codes: Vec<String>,
    #[graphql(default)]
    pub periods: Vec<String>,
    pub date_last_modified: Option<DateTime<Utc>>,
}

/// One of a user's identifiers in other systems (OneRoster `userIds`).
#[derive(InputObject)]
pub struct RosterUserIdInput {
    #[graphql(name = "type")]
    pub id_type: String,
    pub identifier: String,
}

/// A user's role at an org (OneRoster `roles`).
#[derive(InputObject)]
pub struct RosterRoleInput {
    /// Defaults to `<user sourcedId>:<org sourcedId>`.
    pub sourced_id: Option<String>,
    /// `primary` or `secondary`.
    pub role_type: String,
    /// `student`, `teacher`, `aide`, `counselor`, `principal`, `siteAdministrator`,
    /// `districtAdministrator`, `systemAdministrator`, `proctor`, `guardian`, `parent` or
    /// `relative`.
    pub role: String,
    pub org_sourced_id: String,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RosterUserInput {
    pub sourced_id: String,
    #[graphql(default = true)]
    pub enabled_user: bool,
    pub username: Option<String>,
    #[graphql(default)]
    pub user_ids: Vec<RosterUserIdInput>,
    pub given_name: String,
    pub family_name: String,
    pub middle_name: Option<String>,
    pub identifier: Option<String>,
    pub email: Option<String>,
    pub sms: Option<String>,
    pub phone: Option<String>,
    #[graphql(default)]
    pub agent_sourced_ids: Vec<String>,
    #[graphql(default)]
    pub grades: Vec<String>,
    pub user_master_identifier: Option<String>,
    pub preferred_given_name: Option<String>,
    pub preferred_middle_name: Option<String>,
    pub preferred_family_name: Option<String>,
    pub primary_org_sourced_id: Option<String>,
    pub pronouns: Option<String>,
    /// The user's roles. Given, they become the user's roles at the orgs you may write in
    /// (roles missing from the list end); left out, the roles stay as they are. A new user
    /// needs at least one.
    pub roles: Option<Vec<RosterRoleInput>>,
    pub date_last_modified: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RosterEnrollmentInput {
    pub sourced_id: String,
    pub class_sourced_id: String,
    /// The class's school; defaults to it.
    pub school_sourced_id: Option<String>,
    pub user_sourced_id: String,
    /// `student`, `teacher`, `administrator` or `proctor`.
    pub role: String,
    #[graphql(default)]
    pub primary: bool,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub date_last_modified: Option<DateTime<Utc>>,
}

/// The types of roster record `upsertRoster` writes.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RosterRecordType {
    Org,
    AcademicSession,
    Course,
    Class,
    User,
    Enrollment,
}

impl RosterRecordType {
    fn kind(self) -> Kind {
        match self {
            RosterRecordType::Org => Kind::Orgs,
            RosterRecordType::AcademicSession => Kind::AcademicSessions,
            RosterRecordType::Course => Kind::Courses,
            RosterRecordType::Class => Kind::Classes,
            RosterRecordType::User => Kind::Users,
            RosterRecordType::Enrollment => Kind::Enrollments,
        }
    }

    fn of(kind: Kind) -> Option<Self> {
        Some(match kind {
            Kind::Orgs => RosterRecordType::Org,
            Kind::AcademicSessions => RosterRecordType::AcademicSession,
            Kind::Courses => RosterRecordType::Course,
            Kind::Classes => RosterRecordType::Class,
            Kind::Users => RosterRecordType::User,
            Kind::Enrollments => RosterRecordType::Enrollment,
            Kind::Roles
            | Kind::Demographics
            | Kind::Categories
            | Kind::ScoreScales
            | Kind::LineItems
            | Kind::LineItemObjectives
            | Kind::Results => return None,
        })
    }

    /// The input list rows of this type come in.
    fn list(self) -> &'static str {
        match self {
            RosterRecordType::Org => "orgs",
            RosterRecordType::AcademicSession => "academicSessions",
            RosterRecordType::Course => "courses",
            RosterRecordType::Class => "classes",
            RosterRecordType::User => "users",
            RosterRecordType::Enrollment => "enrollments",
        }
    }
}

/// A record to mark `tobedeleted`.
#[derive(InputObject)]
pub struct RosterDeletionInput {
    #[graphql(name = "type")]
    pub record_type: RosterRecordType,
    pub sourced_id: String,
    /// When the source deleted the record: a deletion older than the version stored is
    /// ignored (IGNORED_STALE), and so is a later-arriving version older than this deletion.
    /// Without it the deletion is applied whatever the dates.
    pub date_last_modified: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct UpsertRosterInput {
    #[graphql(default)]
    pub orgs: Vec<RosterOrgInput>,
    #[graphql(default)]
    pub academic_sessions: Vec<RosterAcademicSessionInput>,
    #[graphql(default)]
    pub courses: Vec<RosterCourseInput>,
    #[graphql(default)]
    pub classes: Vec<RosterClassInput>,
    #[graphql(default)]
    pub users: Vec<RosterUserInput>,
    #[graphql(default)]
    pub enrollments: Vec<RosterEnrollmentInput>,
    /// Records to delete (kept as `tobedeleted` tombstones; a user's or class's enrollments
    /// end with it).
    #[graphql(default)]
    pub deletions: Vec<RosterDeletionInput>,
}

/// What became of one row.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RosterWriteOutcome {
    Created,
    Updated,
    /// Already stored as sent: nothing written.
    Unchanged,
    /// Older (`dateLastModified`) than the stored record: nothing written.
    IgnoredStale,
    /// Marked `tobedeleted` (a deletion).
    Deleted,
}

impl From<RowWrite> for RosterWriteOutcome {
    fn from(w: RowWrite) -> Self {
        match w {
            RowWrite::Created => RosterWriteOutcome::Created,
            RowWrite::Updated => RosterWriteOutcome::Updated,
            RowWrite::Unchanged => RosterWriteOutcome::Unchanged,
            RowWrite::IgnoredStale => RosterWriteOutcome::IgnoredStale,
            RowWrite::Deleted => RosterWriteOutcome::Deleted,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct RosterWriteResult {
    #[graphql(name = "type")]
    pub record_type: RosterRecordType,
    /// The row's index in its input list (`deletions` for a deletion).
    pub index: i32,
    pub sourced_id: String,
    pub outcome: RosterWriteOutcome,
}

#[derive(SimpleObject)]
pub struct UpsertRosterPayload {
    /// One per row written or found unchanged, in input order per list.
    pub results: Vec<RosterWriteResult>,
    /// One per refused row, with its path (`input.users.3.email`).
    pub user_errors: Vec<UserError>,
}

/// Where a row of the in-memory set came from.
#[derive(Clone, Copy)]
enum Origin {
    Row(usize),
    Deletion(usize),
    Role { user: usize, role: usize },
}

/// One file of the set being built, and where each of its rows came from.
struct File {
    file: MemoryFile,
    origins: Vec<Origin>,
}

impl File {
    fn new(kind: Kind) -> Self {
        File { file: MemoryFile::new(kind), origins: Vec::new() }
    }

    fn push(&mut self, origin: Origin, modified: Option<DateTime<Utc>>, cells: Vec<(&'static str, String)>) {
        self.file.push(modified, cells);
        self.origins.push(origin);
    }

    fn delete(&mut self, origin: Origin, sourced_id: &str, modified: Option<DateTime<Utc>>) {
        self.file.delete(sourced_id, modified);
        self.origins.push(origin);
    }
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn date(v: &Option<NaiveDate>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}

/// The set `input` stands for: one file per type, in the engine's order.
fn build(
    input: &UpsertRosterInput,
    memberships: &HashMap<String, Vec<String>>,
    schools: &HashMap<String, String>,
) -> BTreeMap<Kind, File> {
    let mut out: BTreeMap<Kind, File> = BTreeMap::new();
    for (i, o) in input.orgs.iter().enumerate() {
        out.entry(Kind::Orgs).or_insert_with(|| File::new(Kind::Orgs)).push(
            Origin::Row(i),
            o.date_last_modified,
            vec![
                ("sourcedId", o.sourced_id.clone()),
                ("name", o.name.clone()),
                ("type", o.org_type.clone()),
                ("identifier", opt(&o.identifier)),
                ("parentSourcedId", opt(&o.parent_sourced_id)),
            ],
        );
    }
    for (i, s) in input.academic_sessions.iter().enumerate() {
        out.entry(Kind::AcademicSessions).or_insert_with(|| File::new(Kind::AcademicSessions)).push(
            Origin::Row(i),
            s.date_last_modified,
            vec![
                ("sourcedId", s.sourced_id.clone()),
                ("title", s.title.clone()),
                ("type", s.session_type.clone()),
                ("startDate", s.start_date.to_string()),
                ("endDate", s.end_date.to_string()),
                ("parentSourcedId", opt(&s.parent_sourced_id)),
                ("schoolYear", s.school_year.to_string()),
            ],
        );
    }
    for (i, c) in input.courses.iter().enumerate() {
        out.entry(Kind::Courses).or_insert_with(|| File::new(Kind::Courses)).push(
            Origin::Row(i),
            c.date_last_modified,
            vec![
                ("sourcedId", c.sourced_id.clone()),
                ("title", c.title.clone()),
                ("courseCode", opt(&c.course_code)),
                ("grades", c.grades.join(",")),
                ("orgSourcedId", c.org_sourced_id.clone()),
                ("schoolYearSourcedId", opt(&c.school_year_sourced_id)),
                ("subjects", c.subjects.join(",")),
                ("subjectCodes", c.subject_codes.join(",")),
            ],
        );
    }
    for (i, c) in input.classes.iter().enumerate() {
        out.entry(Kind::Classes).or_insert_with(|| File::new(Kind::Classes)).push(
            Origin::Row(i),
            c.date_last_modified,
            vec![
                ("sourcedId", c.sourced_id.clone()),
                ("title", c.title.clone()),
                ("grades", c.grades.join(",")),
                ("courseSourcedId", c.course_sourced_id.clone()),
                ("classCode", opt(&c.class_code)),
                ("classType", c.class_type.clone()),
                ("location", opt(&c.location)),
                ("schoolSourcedId", c.school_sourced_id.clone()),
                ("termSourcedIds", c.term_sourced_ids.join(",")),
                ("subjects", c.subjects.join(",")),
                ("subjectCodes", c.subject_codes.join(",")),
                ("periods", c.periods.join(",")),
            ],
        );
    }
    for (i, u) in input.users.iter().enumerate() {
        let user_ids: Vec<String> = u.user_ids.iter().map(|x| format!("{{{}:{}}}", x.id_type, x.identifier)).collect();
        out.entry(Kind::Users).or_insert_with(|| File::new(Kind::Users)).push(
            Origin::Row(i),
            u.date_last_modified,
            vec![
                ("sourcedId", u.sourced_id.clone()),
                ("enabledUser", u.enabled_user.to_string()),
                ("username", opt(&u.username)),
                ("userIds", user_ids.join(",")),
                ("givenName", u.given_name.clone()),
                ("familyName", u.family_name.clone()),
                ("middleName", opt(&u.middle_name)),
                ("identifier", opt(&u.identifier)),
                ("email", opt(&u.email)),
                ("sms", opt(&u.sms)),
                ("phone", opt(&u.phone)),
                ("agentSourcedIds", u.agent_sourced_ids.join(",")),
                ("grades", u.grades.join(",")),
                ("userMasterIdentifier", opt(&u.user_master_identifier)),
                ("preferredGivenName", opt(&u.preferred_given_name)),
                ("preferredMiddleName", opt(&u.preferred_middle_name)),
                ("preferredFamilyName", opt(&u.preferred_family_name)),
                ("primaryOrgSourcedId", opt(&u.primary_org_sourced_id)),
                ("pronouns", opt(&u.pronouns)),
            ],
        );
        let Some(roles) = &u.roles else { continue };
        let roles_file = out.entry(Kind::Roles).or_insert_with(|| File::new(Kind::Roles));
        let mut kept: Vec<String> = Vec::new();
        for (j, r) in roles.iter().enumerate() {
            let sid = r.sourced_id.clone().unwrap_or_else(|| records::role_id(&u.sourced_id, &r.org_sourced_id));
            kept.push(sid.clone());
            roles_file.push(
                Origin::Role { user: i, role: j },
                u.date_last_modified,
                vec![
                    ("sourcedId", sid),
                    ("userSourcedId", u.sourced_id.clone()),
                    ("roleType", r.role_type.clone()),
                    ("role", r.role.clone()),
                    ("orgSourcedId", r.org_sourced_id.clone()),
                    ("beginDate", date(&r.begin_date)),
                    ("endDate", date(&r.end_date)),
                ],
            );
        }
        // The user's other roles (at orgs the writer may write in) end.
        for old in memberships.get(&u.sourced_id).into_iter().flatten() {
            if !kept.contains(old) {
                roles_file.delete(Origin::Role { user: i, role: usize::MAX }, old, u.date_last_modified);
            }
        }
    }
    for (i, e) in input.enrollments.iter().enumerate() {
        out.entry(Kind::Enrollments).or_insert_with(|| File::new(Kind::Enrollments)).push(
            Origin::Row(i),
            e.date_last_modified,
            vec![
                ("sourcedId", e.sourced_id.clone()),
                ("classSourcedId", e.class_sourced_id.clone()),
                (
                    "schoolSourcedId",
                    e.school_sourced_id
                        .clone()
                        .or_else(|| schools.get(&e.class_sourced_id).cloned())
                        .unwrap_or_default(),
                ),
                ("userSourcedId", e.user_sourced_id.clone()),
                ("role", e.role.clone()),
                ("primary", e.primary.to_string()),
                ("beginDate", date(&e.begin_date)),
                ("endDate", date(&e.end_date)),
            ],
        );
    }
    for (j, d) in input.deletions.iter().enumerate() {
        let kind = d.record_type.kind();
        out.entry(kind).or_insert_with(|| File::new(kind)).delete(
            Origin::Deletion(j),
            &d.sourced_id,
            d.date_last_modified,
        );
    }
    out
}

#[derive(Default)]
pub struct RosterWriteMutation;

#[Object]
impl RosterWriteMutation {
    /// Creates, updates and deletes roster records in one batch (`roster.write`): orgs and
    /// academic sessions (district-wide writers only), courses, classes, users with their
    /// roles, and enrollments, checked exactly as `learnergraph import oneroster` checks a
    /// delta file. A writer limited to some orgs writes only within them. Each row answers on
    /// its own; good rows are written (in one transaction) even when others are refused.
    async fn upsert_roster(
        &self,
        ctx: &Context<'_>,
        input: UpsertRosterInput,
    ) -> async_graphql::Result<UpsertRosterPayload> {
        let p = principal(ctx)?;
        let district_records = !input.orgs.is_empty()
            || !input.academic_sessions.is_empty()
            || input
                .deletions
                .iter()
                .any(|d| matches!(d.record_type, RosterRecordType::Org | RosterRecordType::AcademicSession));
        let scope = roster_write_scope(p, district_records)?;
        let rows = input.orgs.len()
            + input.academic_sessions.len()
            + input.courses.len()
            + input.classes.len()
            + input.users.iter().map(|u| 1 + u.roles.as_ref().map_or(0, Vec::len)).sum::<usize>()
            + input.enrollments.len()
            + input.deletions.len();
        if rows == 0 || rows > MAX_ROWS {
            return Err(crate::error::AppError::validation(
                "input",
                format!("send 1 to {MAX_ROWS} rows (roles included)"),
            )
            .into());
        }
        let db = db(ctx)?;
        let users: Vec<String> =
            input.users.iter().filter(|u| u.roles.is_some()).map(|u| u.sourced_id.clone()).collect();
        let memberships = records::memberships_of(db, &users, scope.as_deref()).await?;
        // An enrollment's school is its class's: from this batch, or as stored.
        let mut schools: HashMap<String, String> =
            input.classes.iter().map(|c| (c.sourced_id.clone(), c.school_sourced_id.clone())).collect();
        let unknown: Vec<String> = input
            .enrollments
            .iter()
            .filter(|e| e.school_sourced_id.is_none() && !schools.contains_key(&e.class_sourced_id))
            .map(|e| e.class_sourced_id.clone())
            .collect();
        schools.extend(records::schools_of(db, &unknown, scope.as_deref()).await?);
        let files = build(&input, &memberships, &schools);
        let set = MemoryFile::set(files.values().map(|f| &f.file)).map_err(crate::error::AppError::Server)?;
        let opts = Options {
            skip_invalid: true,
            stale_check: true,
            per_row: true,
            targeted: true,
            scope,
            ran_by: String::new(),
            ..Default::default()
        };
        let report = crate::roster::oneroster::import::apply(db, &set, 0, opts, Problems::default())
            .await
            .map_err(crate::error::AppError::Server)?;
        // The students it changed are named on the writer's access audit.
        p.reveal(report.learners.iter().copied());
        // Answers by input row; a user's role rows count towards the user's.
        let mut user_outcome: BTreeMap<usize, RowWrite> = BTreeMap::new();
        let mut results = Vec::new();
        for r in &report.rows {
            let Some(origin) = files.get(&r.kind).and_then(|f| f.origins.get(r.index as usize)) else { continue };
            match (*origin, RosterRecordType::of(r.kind)) {
                (Origin::Row(i), Some(t)) => {
                    if t == RosterRecordType::User {
                        let prior = user_outcome.insert(i, r.outcome);
                        if prior.is_some_and(|p| p != RowWrite::Unchanged) && r.outcome == RowWrite::Unchanged {
                            user_outcome.insert(i, RowWrite::Updated);
                        }
                        continue;
                    }
                    results.push(result(t, i, &r.sourced_id, r.outcome));
                }
                (Origin::Deletion(j), Some(t)) => results.push(result(t, j, &r.sourced_id, r.outcome)),
                (Origin::Role { user, .. }, _)
                    if r.outcome != RowWrite::Unchanged && r.outcome != RowWrite::IgnoredStale =>
                {
                    let e = user_outcome.entry(user).or_insert(RowWrite::Updated);
                    if *e == RowWrite::Unchanged {
                        *e = RowWrite::Updated;
                    }
                }
                _ => {}
            }
        }
        for (i, w) in user_outcome {
            if let Some(u) = input.users.get(i) {
                results.push(result(RosterRecordType::User, i, &u.sourced_id, w));
            }
        }
        let mut user_errors = Vec::new();
        for problem in &report.problems {
            let Some(kind) = records::Kind::ALL.into_iter().find(|k| k.file() == problem.file) else { continue };
            let Some(origin) = files.get(&kind).and_then(|f| f.origins.get(problem.record as usize)) else { continue };
            let column = problem.column.as_str();
            let mut field: Vec<String> = vec!["input".into()];
            match (*origin, RosterRecordType::of(kind)) {
                (Origin::Row(i), Some(t)) => field.extend([t.list().to_owned(), i.to_string(), column.to_owned()]),
                (Origin::Deletion(j), _) => {
                    field.extend(["deletions".to_owned(), j.to_string(), "sourcedId".to_owned()])
                }
                (Origin::Role { user, role }, _) => {
                    field.extend(["users".to_owned(), user.to_string(), "roles".to_owned()]);
                    if role != usize::MAX {
                        field.push(role.to_string());
                    }
                    field.push(if column == "userSourcedId" { "sourcedId".to_owned() } else { column.to_owned() });
                }
                _ => continue,
            }
            field.retain(|f| !f.is_empty());
            let code = match problem.code {
                Code::Invalid => UserErrorCode::Invalid,
                Code::NotFound => UserErrorCode::NotFound,
                Code::Conflict => UserErrorCode::Conflict,
            };
            let message = if problem.value.is_empty() {
                problem.message.clone()
            } else {
                format!("{} ({})", problem.message, problem.value)
            };
            user_errors.push(UserError { field, message, code });
        }
        results.sort_by_key(|r| (r.record_type as u8, r.index));
        Ok(UpsertRosterPayload { results, user_errors })
    }
}

fn result(t: RosterRecordType, index: usize, sid: &str, w: RowWrite) -> RosterWriteResult {
    RosterWriteResult {
        record_type: t,
        index: i32::try_from(index).unwrap_or(i32::MAX),
        sourced_id: sid.to_owned(),
        outcome: w.into(),
    }
}
