//! The roster's records as the OneRoster CSV binding has them, one type per file: read from a
//! CSV row (checked), read from the database, written as a CSV row. Import compares the two
//! readings to know what changed, and export writes the database's reading, so a round trip
//! is the identity by construction.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    Role, Status, academic_session, class, class_term, course, enrollment, gradebook_category, line_item,
    line_item_objective, org, result, score_scale, user, user_agent, user_org,
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, StreamTrait};

use super::{rows::Row, set::Version};
use crate::error::AppResult;

/// The rostering and gradebook files, in the order their references allow them to be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Orgs,
    AcademicSessions,
    Courses,
    Classes,
    Users,
    /// Imported only with `--with-demographics`.
    Demographics,
    Roles,
    Enrollments,
    Categories,
    ScoreScales,
    LineItems,
    /// lineItemLearningObjectiveIds.csv.
    LineItemObjectives,
    /// Written through the results pipeline `postResults` uses.
    Results,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Orgs,
        Kind::AcademicSessions,
        Kind::Courses,
        Kind::Classes,
        Kind::Users,
        Kind::Demographics,
        Kind::Roles,
        Kind::Enrollments,
        Kind::Categories,
        Kind::ScoreScales,
        Kind::LineItems,
        Kind::LineItemObjectives,
        Kind::Results,
    ];

    /// The gradebook's files.
    pub fn gradebook(self) -> bool {
        matches!(
            self,
            Kind::Categories | Kind::ScoreScales | Kind::LineItems | Kind::LineItemObjectives | Kind::Results
        )
    }

    /// The file's name without `.csv` (and the manifest's `file.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Orgs => "orgs",
            Kind::AcademicSessions => "academicSessions",
            Kind::Courses => "courses",
            Kind::Classes => "classes",
            Kind::Users => "users",
            Kind::Demographics => "demographics",
            Kind::Roles => "roles",
            Kind::Enrollments => "enrollments",
            Kind::Categories => "categories",
            Kind::ScoreScales => "scoreScales",
            Kind::LineItems => "lineItems",
            Kind::LineItemObjectives => "lineItemLearningObjectiveIds",
            Kind::Results => "results",
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Kind::Orgs => "orgs.csv",
            Kind::AcademicSessions => "academicSessions.csv",
            Kind::Courses => "courses.csv",
            Kind::Classes => "classes.csv",
            Kind::Users => "users.csv",
            Kind::Demographics => "demographics.csv",
            Kind::Roles => "roles.csv",
            Kind::Enrollments => "enrollments.csv",
            Kind::Categories => "categories.csv",
            Kind::ScoreScales => "scoreScales.csv",
            Kind::LineItems => "lineItems.csv",
            Kind::LineItemObjectives => "lineItemLearningObjectiveIds.csv",
            Kind::Results => "results.csv",
        }
    }

    /// Required and optional columns (besides sourcedId, status, dateLastModified).
    pub fn columns(self, version: Version) -> (&'static [&'static str], &'static [&'static str]) {
        match (self, version) {
            (Kind::Orgs, _) => (&["sourcedId", "name", "type"], &["identifier", "parentSourcedId"]),
            (Kind::AcademicSessions, _) => {
                (&["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"], &["parentSourcedId"])
            }
            (Kind::Courses, _) => (
                &["sourcedId", "title", "orgSourcedId"],
                &["schoolYearSourcedId", "courseCode", "grades", "subjects", "subjectCodes"],
            ),
            (Kind::Classes, _) => (
                &["sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"],
                &["grades", "classCode", "location", "subjects", "subjectCodes", "periods"],
            ),
            (Kind::Users, Version::V1_2) => (
                &["sourcedId", "enabledUser", "username", "givenName", "familyName"],
                &[
                    "userIds",
                    "middleName",
                    "identifier",
                    "email",
                    "sms",
                    "phone",
                    "agentSourcedIds",
                    "grades",
                    "password",
                    "userMasterIdentifier",
                    "resourceSourcedIds",
                    "preferredGivenName",
                    "preferredMiddleName",
                    "preferredFamilyName",
                    "primaryOrgSourcedId",
                    "pronouns",
                ],
            ),
            (Kind::Users, Version::V1_1) => (
                &["sourcedId", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"],
                &[
                    "userIds",
                    "middleName",
                    "identifier",
                    "email",
                    "sms",
                    "phone",
                    "agentSourcedIds",
                    "grades",
                    "password",
                ],
            ),
            (Kind::Demographics, _) => (&["sourcedId"], &DEMOGRAPHIC_COLUMNS[1..]),
            (Kind::Roles, _) => (
                &["sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"],
                &["beginDate", "endDate", "userProfileSourcedId"],
            ),
            (Kind::Enrollments, _) => (
                &["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
                &["primary", "beginDate", "endDate"],
            ),
            (Kind::Categories, _) => (&["sourcedId", "title"], &["weight"]),
            (Kind::ScoreScales, _) => (
                &["sourcedId", "title", "type", "scoreScaleValue"],
                &["orgSourcedId", "courseSourcedId", "classSourcedId"],
            ),
            // 1.1 names a line item's session gradingPeriodSourcedId.
            (Kind::LineItems, Version::V1_1) => (
                &["sourcedId", "title", "assignDate", "dueDate", "classSourcedId", "categorySourcedId"],
                &["description", "gradingPeriodSourcedId", "resultValueMin", "resultValueMax"],
            ),
            (Kind::LineItems, Version::V1_2) => (
                &["sourcedId", "title", "assignDate", "dueDate", "classSourcedId", "categorySourcedId"],
                &["description", "academicSessionSourcedId", "resultValueMin", "resultValueMax", "schoolSourcedId"],
            ),
            (Kind::LineItemObjectives, _) => {
                (&["sourcedId", "lineItemSourcedId", "source", "learningObjectiveId"], &[])
            }
            (Kind::Results, _) => (
                &["sourcedId", "lineItemSourcedId", "studentSourcedId", "scoreStatus", "scoreDate"],
                &["score", "comment", "textScore", "classSourcedId", "inProgress", "incomplete", "late", "missing"],
            ),
        }
    }
}

/// demographics.csv's columns after status and dateLastModified.
const DEMOGRAPHIC_COLUMNS: [&str; 14] = [
    "sourcedId",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];
pub const SEXES: [&str; 4] = ["female", "male", "other", "unspecified"];

pub const ORG_TYPES: [&str; 6] = ["department", "school", "district", "local", "state", "national"];
pub const SESSION_TYPES: [&str; 4] = ["gradingPeriod", "semester", "schoolYear", "term"];
pub const CLASS_TYPES: [&str; 2] = ["homeroom", "scheduled"];
/// 1.2's roles; 1.1's `administrator` is read as a site or district administrator.
pub const ROLES: [&str; 13] = [
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
    "administrator",
];
pub const ENROLLMENT_ROLES: [&str; 4] = ["administrator", "proctor", "student", "teacher"];
pub const SCORE_STATUSES: [&str; 5] = ["exempt", "fully graded", "not submitted", "partially graded", "submitted"];
pub const OBJECTIVE_SOURCES: [&str; 2] = ["case", "unknown"];

/// What a OneRoster role lets a person do here: the role learnergraph's policy knows.
pub fn coarse_role(role: &str) -> Option<Role> {
    Some(match role {
        "student" => Role::Student,
        "teacher" | "aide" | "proctor" | "counselor" => Role::Teacher,
        "administrator" | "principal" | "siteAdministrator" | "districtAdministrator" | "systemAdministrator" => {
            Role::Administrator
        }
        "guardian" | "parent" | "relative" => Role::Guardian,
        _ => return None,
    })
}

/// The 1.2 role a membership without a recorded OneRoster role is written as.
pub fn default_role(role: Role, org_type: &str) -> &'static str {
    match role {
        Role::Student => "student",
        Role::Teacher => "teacher",
        Role::Administrator if org_type == "district" => "districtAdministrator",
        Role::Administrator => "siteAdministrator",
        Role::Guardian => "guardian",
    }
}

/// The enrollment roles learnergraph keeps (a proctor is kept as a teacher).
pub fn enrollment_role(role: &str) -> Option<Role> {
    Some(match role {
        "student" => Role::Student,
        "teacher" | "proctor" => Role::Teacher,
        "administrator" => Role::Administrator,
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrgRec {
    pub name: String,
    pub org_type: String,
    pub identifier: Option<String>,
    pub parent: Option<String>,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionRec {
    pub title: String,
    pub session_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub parent: Option<String>,
    pub school_year: i32,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CourseRec {
    pub school_year: Option<String>,
    pub title: String,
    pub course_code: Option<String>,
    pub grades: Vec<String>,
    pub org: String,
    pub subjects: Vec<String>,
    pub subject_codes: Vec<String>,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClassRec {
    pub title: String,
    pub grades: Vec<String>,
    pub course: String,
    pub class_code: Option<String>,
    pub class_type: String,
    pub location: Option<String>,
    pub school: String,
    pub terms: Vec<String>,
    pub subjects: Vec<String>,
    pub subject_codes: Vec<String>,
    pub periods: Vec<String>,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserRec {
    pub enabled: bool,
    pub username: Option<String>,
    pub user_ids: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub middle_name: Option<String>,
    pub identifier: Option<String>,
    pub email: Option<String>,
    pub sms: Option<String>,
    pub phone: Option<String>,
    pub agents: Vec<String>,
    pub grades: Vec<String>,
    pub master_identifier: Option<String>,
    pub preferred_given_name: Option<String>,
    pub preferred_middle_name: Option<String>,
    pub preferred_family_name: Option<String>,
    pub primary_org: Option<String>,
    pub pronouns: Option<String>,
    /// The role learnergraph's policy uses, from the user's primary role.
    pub role: Role,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DemographicRec {
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    /// americanIndianOrAlaskaNative, asian, blackOrAfricanAmerican,
    /// nativeHawaiianOrOtherPacificIslander, white, demographicRaceTwoOrMoreRaces,
    /// hispanicOrLatinoEthnicity.
    pub flags: [Option<bool>; 7],
    pub country_of_birth_code: Option<String>,
    pub state_of_birth_abbreviation: Option<String>,
    pub city_of_birth: Option<String>,
    pub public_school_residence_status: Option<String>,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleRec {
    pub user: String,
    pub primary: bool,
    pub role: String,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub org: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnrollmentRec {
    pub class: String,
    pub school: String,
    pub user: String,
    pub role: Role,
    pub primary: bool,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// The source's `dateLastModified` of this version (when it gave one): what orders a
    /// record's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

impl EnrollmentRec {
    fn key(&self) -> EnrollmentKey<'_> {
        // Every field named: one added to the record must be decided on here.
        let EnrollmentRec { class, school, user, role, primary, begin_date, end_date, sent: _ } = self;
        EnrollmentKey {
            class,
            school,
            user,
            role: *role,
            primary: *primary,
            begin_date: *begin_date,
            end_date: *end_date,
        }
    }
}

/// What an enrollment's fingerprint is taken of, borrowed: a district's stored enrollments are
/// fingerprinted from the sourcedIds the names map holds, without copying them.
#[derive(Hash)]
struct EnrollmentKey<'a> {
    class: &'a str,
    school: &'a str,
    user: &'a str,
    role: Role,
    primary: bool,
    begin_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
}

impl<'a> EnrollmentKey<'a> {
    /// A stored enrollment's key, its references named from `n` (a class's school from
    /// `class_school`, class id -> org id).
    #[allow(clippy::too_many_arguments)]
    fn stored(
        n: &'a Names,
        class_school: &HashMap<i64, i64>,
        class: i64,
        user: i64,
        role: Role,
        primary: bool,
        begin_date: Option<NaiveDate>,
        end_date: Option<NaiveDate>,
    ) -> Self {
        fn name(map: &HashMap<i64, String>, id: i64) -> &str {
            map.get(&id).map_or("", String::as_str)
        }
        EnrollmentKey {
            class: name(&n.classes, class),
            school: class_school.get(&class).map_or("", |o| name(&n.orgs, *o)),
            user: name(&n.users, user),
            role,
            primary,
            begin_date,
            end_date,
        }
    }

    fn fingerprint(&self) -> u64 {
        let mut h = printer();
        self.hash(&mut h);
        h.finish()
    }
}

/// The hasher of records' fingerprints: foldhash (a few times faster than std's SipHash on an
/// import's million records), seeded once per process. Fingerprints are only ever compared
/// within one import, never kept.
fn printer() -> impl Hasher {
    static SEED: std::sync::LazyLock<foldhash::quality::RandomState> = std::sync::LazyLock::new(Default::default);
    std::hash::BuildHasher::build_hasher(&*SEED)
}

/// A number as a record holds it: compared and hashed by its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Num(u64);

impl Num {
    pub fn new(v: f64) -> Num {
        // -0.0 and 0.0 are one value.
        Num((v + 0.0).to_bits())
    }

    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

fn num(v: Option<f64>) -> Option<Num> {
    v.map(Num::new)
}

fn num_text(v: Option<Num>) -> String {
    v.map(|n| n.get().to_string()).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CategoryRec {
    pub title: String,
    pub weight: Option<Num>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScoreScaleRec {
    pub title: String,
    pub scale_type: String,
    pub org: Option<String>,
    pub course: Option<String>,
    pub class: Option<String>,
    /// `scoreScaleValue`, kept as written.
    pub values: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineItemRec {
    pub title: String,
    pub description: Option<String>,
    pub assign_date: DateTime<Utc>,
    pub due_date: DateTime<Utc>,
    pub class: String,
    pub category: String,
    pub session: Option<String>,
    pub min: Option<Num>,
    pub max: Option<Num>,
    pub school: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectiveRec {
    pub line_item: String,
    pub source: String,
    pub objective: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResultRec {
    pub line_item: String,
    pub student: String,
    pub score_status: String,
    pub score: Option<Num>,
    pub score_date: NaiveDate,
    pub comment: Option<String>,
    pub text_score: Option<String>,
    pub class: Option<String>,
    /// inProgress, incomplete, late, missing.
    pub flags: [Option<bool>; 4],
    /// The row's dateLastModified: when the SIS recorded this version, which orders a
    /// result's versions. Not part of what is compared.
    pub sent: Unhashed<Option<DateTime<Utc>>>,
}

/// A value a record carries without it counting in comparisons.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unhashed<T>(pub T);

impl<T> PartialEq for Unhashed<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Unhashed<T> {}

impl<T> Hash for Unhashed<T> {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// A record of any type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rec {
    Org(OrgRec),
    Session(SessionRec),
    Course(CourseRec),
    Class(ClassRec),
    User(UserRec),
    Demographic(DemographicRec),
    Role(RoleRec),
    Enrollment(EnrollmentRec),
    Category(CategoryRec),
    ScoreScale(ScoreScaleRec),
    LineItem(LineItemRec),
    Objective(ObjectiveRec),
    Result(ResultRec),
}

impl Rec {
    /// What import compares: equal fingerprints, nothing to write.
    pub fn fingerprint(&self) -> u64 {
        if let Rec::Enrollment(e) = self {
            // The same print a stored enrollment gets without being built (`enrollment_prints`).
            return e.key().fingerprint();
        }
        let mut h = printer();
        self.hash(&mut h);
        h.finish()
    }

    /// The source's `dateLastModified` of this version, for the types whose versions are
    /// ordered by it (memberships and the gradebook's definitions are not).
    pub fn sent(&self) -> Option<DateTime<Utc>> {
        match self {
            Rec::Org(r) => r.sent.0,
            Rec::Session(r) => r.sent.0,
            Rec::Course(r) => r.sent.0,
            Rec::Class(r) => r.sent.0,
            Rec::User(r) => r.sent.0,
            Rec::Demographic(r) => r.sent.0,
            Rec::Enrollment(r) => r.sent.0,
            Rec::Result(r) => r.sent.0,
            Rec::Role(_) | Rec::Category(_) | Rec::ScoreScale(_) | Rec::LineItem(_) | Rec::Objective(_) => None,
        }
    }

    /// Records the row's `dateLastModified` (read, and checked, by the import's row reader).
    pub fn set_sent(&mut self, t: Option<DateTime<Utc>>) {
        match self {
            Rec::Org(r) => r.sent.0 = t,
            Rec::Session(r) => r.sent.0 = t,
            Rec::Course(r) => r.sent.0 = t,
            Rec::Class(r) => r.sent.0 = t,
            Rec::User(r) => r.sent.0 = t,
            Rec::Demographic(r) => r.sent.0 = t,
            Rec::Enrollment(r) => r.sent.0 = t,
            Rec::Result(r) => r.sent.0 = t,
            Rec::Role(_) | Rec::Category(_) | Rec::ScoreScale(_) | Rec::LineItem(_) | Rec::Objective(_) => {}
        }
    }
}

fn joined(v: &[String]) -> Option<String> {
    (!v.is_empty()).then(|| v.join(","))
}

fn split(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Reads the type-specific fields of a row (sourcedId, status and dateLastModified are read
/// by the caller). `role_of` answers a user's role from roles.csv (1.2) when known.
pub fn parse(kind: Kind, version: Version, row: &mut Row<'_>, role_of: Option<Role>) -> Rec {
    const ID: usize = 255;
    match kind {
        Kind::Orgs => Rec::Org(OrgRec {
            sent: Unhashed(None),
            name: row.req("name", 255),
            org_type: row.vocab("type", &ORG_TYPES, false),
            identifier: row.text("identifier", 255),
            parent: row.text("parentSourcedId", ID),
        }),
        Kind::AcademicSessions => {
            let title = row.req("title", 255);
            let session_type = row.vocab("type", &SESSION_TYPES, true);
            let start_date = row.req_date("startDate");
            let end_date = row.req_date("endDate");
            if end_date < start_date && !row.bad {
                row.fail("endDate", "ends before it starts", &end_date.to_string());
            }
            let school_year = match row.opt("schoolYear") {
                None => {
                    row.fail("schoolYear", "required value missing", "");
                    0
                }
                Some(v) => match v.parse::<i32>() {
                    Ok(y) if v.len() == 4 => y,
                    _ => {
                        row.fail("schoolYear", "not a year (YYYY)", v);
                        0
                    }
                },
            };
            Rec::Session(SessionRec {
                sent: Unhashed(None),
                title,
                session_type,
                start_date,
                end_date,
                parent: row.text("parentSourcedId", ID),
                school_year,
            })
        }
        Kind::Courses => Rec::Course(CourseRec {
            sent: Unhashed(None),
            school_year: row.text("schoolYearSourcedId", ID),
            title: row.req("title", 255),
            course_code: row.text("courseCode", 255),
            grades: row.grades("grades"),
            org: row.req("orgSourcedId", ID),
            subjects: row.list("subjects"),
            subject_codes: row.list("subjectCodes"),
        }),
        Kind::Classes => {
            let rec = ClassRec {
                sent: Unhashed(None),
                title: row.req("title", 255),
                grades: row.grades("grades"),
                course: row.req("courseSourcedId", ID),
                class_code: row.text("classCode", 255),
                class_type: row.vocab("classType", &CLASS_TYPES, true),
                location: row.text("location", 1024),
                school: row.req("schoolSourcedId", ID),
                terms: row.ids("termSourcedIds"),
                subjects: row.list("subjects"),
                subject_codes: row.list("subjectCodes"),
                periods: row.list("periods"),
            };
            if rec.terms.is_empty() {
                row.fail("termSourcedIds", "required value missing", "");
            }
            Rec::Class(rec)
        }
        Kind::Users => {
            let enabled = match row.opt("enabledUser") {
                None => {
                    row.fail("enabledUser", "required value missing", "");
                    true
                }
                Some(_) => row.boolean("enabledUser").unwrap_or(true),
            };
            if row.opt("password").is_some() {
                row.warn(
                    "password",
                    "passwords are never stored; sign-in goes through the district's identity provider",
                    "",
                );
            }
            let role = match version {
                Version::V1_1 => {
                    let r = row.vocab("role", &ROLES, false);
                    coarse_role(&r).unwrap_or(Role::Student)
                }
                Version::V1_2 => role_of.unwrap_or(Role::Student),
            };
            Rec::User(UserRec {
                sent: Unhashed(None),
                enabled,
                username: row.text("username", 255),
                user_ids: row.text("userIds", 1024),
                given_name: row.req("givenName", 255),
                family_name: row.req("familyName", 255),
                middle_name: row.text("middleName", 255),
                identifier: row.text("identifier", 255),
                email: row.email("email"),
                sms: row.text("sms", 64),
                phone: row.text("phone", 64),
                agents: row.ids("agentSourcedIds"),
                grades: row.grades("grades"),
                master_identifier: row.text("userMasterIdentifier", 255),
                preferred_given_name: row.text("preferredGivenName", 255),
                preferred_middle_name: row.text("preferredMiddleName", 255),
                preferred_family_name: row.text("preferredFamilyName", 255),
                primary_org: row.text("primaryOrgSourcedId", ID),
                pronouns: row.text("pronouns", 64),
                role,
            })
        }
        Kind::Demographics => {
            let sex = row.opt("sex").map(|_| row.vocab("sex", &SEXES, false)).filter(|s| !s.is_empty());
            let mut flags = [None; 7];
            for (i, column) in DEMOGRAPHIC_COLUMNS[3..10].iter().enumerate() {
                flags[i] = row.boolean(column);
            }
            Rec::Demographic(DemographicRec {
                sent: Unhashed(None),
                birth_date: row.date("birthDate"),
                sex,
                flags,
                country_of_birth_code: row.text("countryOfBirthCode", 16),
                state_of_birth_abbreviation: row.text("stateOfBirthAbbreviation", 16),
                city_of_birth: row.text("cityOfBirth", 255),
                public_school_residence_status: row.text("publicSchoolResidenceStatus", 64),
            })
        }
        Kind::Roles => {
            let user = row.req("userSourcedId", ID);
            let role_type = row.vocab("roleType", &["primary", "secondary"], false);
            let role = row.vocab("role", &ROLES, false);
            if !role.is_empty() && coarse_role(&role).is_none() {
                row.fail("role", "an extension role can't be mapped to what learnergraph lets a person see", &role);
            }
            let begin_date = row.date("beginDate");
            let end_date = row.date("endDate");
            if let (Some(b), Some(e)) = (begin_date, end_date)
                && e < b
            {
                row.fail("endDate", "ends before it begins", &e.to_string());
            }
            if let Some(p) = row.opt("userProfileSourcedId") {
                row.warn("userProfileSourcedId", "user profiles are not imported", p);
            }
            Rec::Role(RoleRec {
                user,
                primary: role_type == "primary",
                role,
                begin_date,
                end_date,
                org: row.req("orgSourcedId", ID),
            })
        }
        Kind::Enrollments => {
            let class = row.req("classSourcedId", ID);
            let school = row.req("schoolSourcedId", ID);
            let user = row.req("userSourcedId", ID);
            let role = row.vocab("role", &ENROLLMENT_ROLES, false);
            let begin_date = row.date("beginDate");
            let end_date = row.date("endDate");
            if let (Some(b), Some(e)) = (begin_date, end_date)
                && e < b
            {
                row.fail("endDate", "ends before it begins", &e.to_string());
            }
            Rec::Enrollment(EnrollmentRec {
                sent: Unhashed(None),
                class,
                school,
                user,
                role: enrollment_role(&role).unwrap_or(Role::Student),
                primary: row.boolean("primary").unwrap_or(false),
                begin_date,
                end_date,
            })
        }
        Kind::Categories => {
            Rec::Category(CategoryRec { title: row.req("title", 255), weight: num(row.number("weight")) })
        }
        Kind::ScoreScales => Rec::ScoreScale(ScoreScaleRec {
            title: row.req("title", 255),
            scale_type: row.req("type", 255),
            org: row.text("orgSourcedId", ID),
            course: row.text("courseSourcedId", ID),
            class: row.text("classSourcedId", ID),
            values: row.req("scoreScaleValue", 8000),
        }),
        Kind::LineItems => {
            let title = row.req("title", 255);
            let description = row.text("description", 4000);
            let assign_date = row.req_moment("assignDate");
            let due_date = row.req_moment("dueDate");
            if due_date < assign_date && !row.bad {
                row.fail("dueDate", "is due before it is assigned", &due_date.to_rfc3339());
            }
            let min = row.number("resultValueMin");
            let max = row.number("resultValueMax");
            if let (Some(lo), Some(hi)) = (min, max)
                && hi <= lo
            {
                row.fail("resultValueMax", "must be above resultValueMin", &hi.to_string());
            }
            let session = match version {
                Version::V1_1 => row.text("gradingPeriodSourcedId", ID),
                Version::V1_2 => row.text("academicSessionSourcedId", ID),
            };
            Rec::LineItem(LineItemRec {
                title,
                description,
                assign_date,
                due_date,
                class: row.req("classSourcedId", ID),
                category: row.req("categorySourcedId", ID),
                session,
                min: num(min),
                max: num(max),
                school: row.text("schoolSourcedId", ID),
            })
        }
        Kind::LineItemObjectives => Rec::Objective(ObjectiveRec {
            line_item: row.req("lineItemSourcedId", ID),
            source: row.vocab("source", &OBJECTIVE_SOURCES, true),
            objective: row.req("learningObjectiveId", 255),
        }),
        Kind::Results => {
            let line_item = row.req("lineItemSourcedId", ID);
            let student = row.req("studentSourcedId", ID);
            let score_status = row.vocab("scoreStatus", &SCORE_STATUSES, true);
            let score = row.number("score");
            let score_date = row.req_date("scoreDate");
            let mut flags = [None; 4];
            for (i, column) in ["inProgress", "incomplete", "late", "missing"].iter().enumerate() {
                flags[i] = row.boolean(column);
            }
            Rec::Result(ResultRec {
                line_item,
                student,
                score_status,
                score: num(score),
                score_date,
                comment: row.text("comment", 2000),
                text_score: row.text("textScore", 255),
                class: row.text("classSourcedId", ID),
                flags,
                sent: Unhashed(None),
            })
        }
    }
}

/// The header of a 1.2 file as export writes it.
pub fn header(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Orgs => &["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
        Kind::AcademicSessions => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
        Kind::Courses => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
        Kind::Classes => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
        Kind::Users => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
            "userMasterIdentifier",
            "resourceSourcedIds",
            "preferredGivenName",
            "preferredMiddleName",
            "preferredFamilyName",
            "primaryOrgSourcedId",
            "pronouns",
        ],
        Kind::Demographics => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "birthDate",
            "sex",
            "americanIndianOrAlaskaNative",
            "asian",
            "blackOrAfricanAmerican",
            "nativeHawaiianOrOtherPacificIslander",
            "white",
            "demographicRaceTwoOrMoreRaces",
            "hispanicOrLatinoEthnicity",
            "countryOfBirthCode",
            "stateOfBirthAbbreviation",
            "cityOfBirth",
            "publicSchoolResidenceStatus",
        ],
        Kind::Roles => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
            "userProfileSourcedId",
        ],
        Kind::Enrollments => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        ],
        Kind::Categories => &["sourcedId", "status", "dateLastModified", "title", "weight"],
        Kind::ScoreScales => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "orgSourcedId",
            "courseSourcedId",
            "classSourcedId",
            "scoreScaleValue",
        ],
        Kind::LineItems => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "description",
            "assignDate",
            "dueDate",
            "classSourcedId",
            "categorySourcedId",
            "academicSessionSourcedId",
            "resultValueMin",
            "resultValueMax",
            "schoolSourcedId",
        ],
        Kind::LineItemObjectives => {
            &["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "source", "learningObjectiveId"]
        }
        Kind::Results => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "studentSourcedId",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
            "textScore",
            "classSourcedId",
            "inProgress",
            "incomplete",
            "late",
            "missing",
        ],
    }
}

/// A record's fields after sourcedId, status and dateLastModified, in [`header`]'s order.
/// (Bulk files leave status and dateLastModified empty.)
pub fn fields(rec: &Rec) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
    let l = |v: &[String]| v.join(",");
    match rec {
        Rec::Org(r) => vec![r.name.clone(), r.org_type.clone(), o(&r.identifier), o(&r.parent)],
        Rec::Session(r) => vec![
            r.title.clone(),
            r.session_type.clone(),
            r.start_date.to_string(),
            r.end_date.to_string(),
            o(&r.parent),
            r.school_year.to_string(),
        ],
        Rec::Course(r) => vec![
            o(&r.school_year),
            r.title.clone(),
            o(&r.course_code),
            l(&r.grades),
            r.org.clone(),
            l(&r.subjects),
            l(&r.subject_codes),
        ],
        Rec::Class(r) => vec![
            r.title.clone(),
            l(&r.grades),
            r.course.clone(),
            o(&r.class_code),
            r.class_type.clone(),
            o(&r.location),
            r.school.clone(),
            l(&r.terms),
            l(&r.subjects),
            l(&r.subject_codes),
            l(&r.periods),
        ],
        Rec::User(r) => vec![
            r.enabled.to_string(),
            o(&r.username),
            o(&r.user_ids),
            r.given_name.clone(),
            r.family_name.clone(),
            o(&r.middle_name),
            o(&r.identifier),
            o(&r.email),
            o(&r.sms),
            o(&r.phone),
            l(&r.agents),
            l(&r.grades),
            String::new(),
            o(&r.master_identifier),
            String::new(),
            o(&r.preferred_given_name),
            o(&r.preferred_middle_name),
            o(&r.preferred_family_name),
            o(&r.primary_org),
            o(&r.pronouns),
        ],
        Rec::Demographic(r) => {
            let mut v = vec![d(&r.birth_date), o(&r.sex)];
            v.extend(r.flags.iter().map(|f| f.map(|b| b.to_string()).unwrap_or_default()));
            v.extend([
                o(&r.country_of_birth_code),
                o(&r.state_of_birth_abbreviation),
                o(&r.city_of_birth),
                o(&r.public_school_residence_status),
            ]);
            v
        }
        Rec::Role(r) => vec![
            r.user.clone(),
            if r.primary { "primary" } else { "secondary" }.to_owned(),
            r.role.clone(),
            d(&r.begin_date),
            d(&r.end_date),
            r.org.clone(),
            String::new(),
        ],
        Rec::Enrollment(r) => vec![
            r.class.clone(),
            r.school.clone(),
            r.user.clone(),
            r.role.as_str().to_owned(),
            r.primary.to_string(),
            d(&r.begin_date),
            d(&r.end_date),
        ],
        Rec::Category(r) => vec![r.title.clone(), num_text(r.weight)],
        Rec::ScoreScale(r) => {
            vec![r.title.clone(), r.scale_type.clone(), o(&r.org), o(&r.course), o(&r.class), r.values.clone()]
        }
        Rec::LineItem(r) => vec![
            r.title.clone(),
            o(&r.description),
            moment(r.assign_date),
            moment(r.due_date),
            r.class.clone(),
            r.category.clone(),
            o(&r.session),
            num_text(r.min),
            num_text(r.max),
            o(&r.school),
        ],
        Rec::Objective(r) => vec![r.line_item.clone(), r.source.clone(), r.objective.clone()],
        Rec::Result(r) => {
            let mut v = vec![
                r.line_item.clone(),
                r.student.clone(),
                r.score_status.clone(),
                num_text(r.score),
                r.score_date.to_string(),
                o(&r.comment),
                o(&r.text_score),
                o(&r.class),
            ];
            v.extend(r.flags.iter().map(|f| f.map(|b| b.to_string()).unwrap_or_default()));
            v
        }
    }
}

/// The sourcedIds a rostering record refers to.
pub fn references(rec: &Rec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        if !v.is_empty() {
            out.push(v.to_owned());
        }
    };
    match rec {
        Rec::Org(r) => r.parent.iter().for_each(|p| add(p)),
        Rec::Session(r) => r.parent.iter().for_each(|p| add(p)),
        Rec::Course(r) => {
            add(&r.org);
            r.school_year.iter().for_each(|y| add(y));
        }
        Rec::Class(r) => {
            add(&r.course);
            add(&r.school);
            r.terms.iter().for_each(|t| add(t));
        }
        Rec::User(r) => {
            r.agents.iter().for_each(|a| add(a));
            r.primary_org.iter().for_each(|o| add(o));
        }
        Rec::Role(r) => {
            add(&r.user);
            add(&r.org);
        }
        Rec::Enrollment(r) => {
            add(&r.class);
            add(&r.user);
            add(&r.school);
        }
        Rec::Demographic(_)
        | Rec::Category(_)
        | Rec::ScoreScale(_)
        | Rec::LineItem(_)
        | Rec::Objective(_)
        | Rec::Result(_) => {}
    }
    out
}

/// A date and time as the binding writes it.
fn moment(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A record as stored: its id, sourcedId, whether it is active, and its reading.
pub struct Stored {
    pub id: i64,
    pub sourced_id: String,
    pub active: bool,
    pub rec: Rec,
}

/// The sourcedIds of the stored records of each type, by id: what references are written
/// with.
#[derive(Default)]
pub struct Names {
    pub orgs: HashMap<i64, String>,
    pub org_types: HashMap<i64, String>,
    pub sessions: HashMap<i64, String>,
    pub courses: HashMap<i64, String>,
    pub classes: HashMap<i64, String>,
    pub users: HashMap<i64, String>,
    pub categories: HashMap<i64, String>,
    pub score_scales: HashMap<i64, String>,
    pub line_items: HashMap<i64, String>,
}

impl Names {
    /// The roster's names, and the gradebook's with `gradebook`.
    pub async fn load(db: &impl ConnectionTrait, gradebook: bool) -> AppResult<Names> {
        use sea_orm::QuerySelect;
        let mut n = Names::default();
        let orgs: Vec<(i64, String, entity::OrgType)> = org::Entity::find()
            .select_only()
            .columns([org::Column::Id, org::Column::SourcedId, org::Column::OrgType])
            .into_tuple()
            .all(db)
            .await?;
        for (id, sid, t) in orgs {
            n.orgs.insert(id, sid);
            n.org_types.insert(id, t.as_str().to_owned());
        }
        n.sessions =
            pairs(db, academic_session::Entity, academic_session::Column::Id, academic_session::Column::SourcedId)
                .await?;
        n.courses = pairs(db, course::Entity, course::Column::Id, course::Column::SourcedId).await?;
        n.classes = pairs(db, class::Entity, class::Column::Id, class::Column::SourcedId).await?;
        n.users = pairs(db, user::Entity, user::Column::Id, user::Column::SourcedId).await?;
        if !gradebook {
            return Ok(n);
        }
        n.categories = pairs(
            db,
            gradebook_category::Entity,
            gradebook_category::Column::Id,
            gradebook_category::Column::SourcedId,
        )
        .await?;
        n.score_scales =
            pairs(db, score_scale::Entity, score_scale::Column::Id, score_scale::Column::SourcedId).await?;
        n.line_items = pairs(db, line_item::Entity, line_item::Column::Id, line_item::Column::SourcedId).await?;
        Ok(n)
    }
}

async fn pairs<E: EntityTrait>(
    db: &impl ConnectionTrait,
    _e: E,
    id: E::Column,
    sid: E::Column,
) -> AppResult<HashMap<i64, String>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(i64, String)> = E::find().select_only().columns([id, sid]).into_tuple().all(db).await?;
    Ok(rows.into_iter().collect())
}

fn name(map: &HashMap<i64, String>, id: i64) -> String {
    map.get(&id).cloned().unwrap_or_default()
}

/// Every stored record of a type, read as the binding has it.
pub async fn load(db: &(impl ConnectionTrait + StreamTrait), kind: Kind, n: &Names) -> AppResult<Vec<Stored>> {
    load_where(db, kind, n, None).await
}

/// The stored rostering records of a type among `sids` (memberships: those of the users among
/// them), read as the binding has it: what a small delta needs, without the whole district.
pub async fn load_some(
    db: &(impl ConnectionTrait + StreamTrait),
    kind: Kind,
    n: &Names,
    sids: &[String],
) -> AppResult<Vec<Stored>> {
    let mut out = Vec::new();
    for chunk in sids.chunks(500) {
        out.extend(load_where(db, kind, n, Some(chunk)).await?);
    }
    Ok(out)
}

/// The ids of `map` (id -> sourcedId) whose sourcedId is among `only`.
fn ids_among(map: &HashMap<i64, String>, only: &[String]) -> Vec<i64> {
    let wanted: std::collections::HashSet<&str> = only.iter().map(String::as_str).collect();
    map.iter().filter(|(_, sid)| wanted.contains(sid.as_str())).map(|(id, _)| *id).collect()
}

async fn load_where(
    db: &(impl ConnectionTrait + StreamTrait),
    kind: Kind,
    n: &Names,
    only: Option<&[String]>,
) -> AppResult<Vec<Stored>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryTrait};
    let active = |s: Status| s == Status::Active;
    let sids = |s: &[String]| s.iter().map(String::clone).collect::<Vec<String>>();
    let users_among = only.map(|o| ids_among(&n.users, o));
    let classes_among = only.map(|o| ids_among(&n.classes, o));
    Ok(match kind {
        Kind::Orgs => {
            read_all(
                db,
                org::Entity::find()
                    .apply_if(only, |q, o| q.filter(org::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(org::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    rec: Rec::Org(OrgRec {
                        sent: Unhashed(m.source_modified),
                        name: m.name,
                        org_type: m.org_type.as_str().to_owned(),
                        identifier: m.identifier,
                        parent: m.parent_id.map(|p| name(&n.orgs, p)),
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
        Kind::AcademicSessions => {
            read_all(
                db,
                academic_session::Entity::find()
                    .apply_if(only, |q, o| q.filter(academic_session::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(academic_session::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    rec: Rec::Session(SessionRec {
                        sent: Unhashed(m.source_modified),
                        title: m.title,
                        session_type: m.session_type,
                        start_date: m.start_date,
                        end_date: m.end_date,
                        parent: m.parent_id.map(|p| name(&n.sessions, p)),
                        school_year: m.school_year,
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
        Kind::Courses => {
            read_all(
                db,
                course::Entity::find()
                    .apply_if(only, |q, o| q.filter(course::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(course::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    rec: Rec::Course(CourseRec {
                        sent: Unhashed(m.source_modified),
                        school_year: m.school_year_id.map(|p| name(&n.sessions, p)),
                        title: m.title,
                        course_code: m.course_code,
                        grades: split(&m.grades),
                        org: name(&n.orgs, m.org_id),
                        subjects: split(&m.subject),
                        subject_codes: split(&m.subject_codes),
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
        Kind::Classes => {
            let mut terms: HashMap<i64, Vec<String>> = HashMap::new();
            let select = class_term::Entity::find()
                .apply_if(classes_among.clone(), |q, ids| q.filter(class_term::Column::ClassId.is_in(ids)))
                .order_by_asc(class_term::Column::ClassId)
                .order_by_asc(class_term::Column::Position);
            for t in read_all(db, select, "class_id, position", |t| t).await? {
                terms.entry(t.class_id).or_default().push(name(&n.sessions, t.term_id));
            }
            read_all(
                db,
                class::Entity::find()
                    .apply_if(only, |q, o| q.filter(class::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(class::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    rec: Rec::Class(ClassRec {
                        sent: Unhashed(m.source_modified),
                        title: m.title,
                        grades: split(&m.grades),
                        course: name(&n.courses, m.course_id),
                        class_code: m.class_code,
                        class_type: m.class_type,
                        location: m.location,
                        school: name(&n.orgs, m.org_id),
                        terms: terms.remove(&m.id).unwrap_or_else(|| vec![name(&n.sessions, m.term_id)]),
                        subjects: split(&m.subject),
                        subject_codes: split(&m.subject_codes),
                        periods: split(&m.periods),
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
        Kind::Users => {
            let mut agents: HashMap<i64, Vec<String>> = HashMap::new();
            let select = user_agent::Entity::find()
                .apply_if(users_among.clone(), |q, ids| q.filter(user_agent::Column::UserId.is_in(ids)))
                .order_by_asc(user_agent::Column::UserId)
                .order_by_asc(user_agent::Column::Position);
            for a in read_all(db, select, "user_id, position", |a| a).await? {
                agents.entry(a.user_id).or_default().push(name(&n.users, a.agent_id));
            }
            read_all(
                db,
                user::Entity::find()
                    .apply_if(only, |q, o| q.filter(user::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(user::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    rec: Rec::User(UserRec {
                        sent: Unhashed(m.source_modified),
                        enabled: m.enabled_user,
                        username: m.username,
                        user_ids: m.user_ids,
                        given_name: m.given_name,
                        family_name: m.family_name,
                        middle_name: m.middle_name,
                        identifier: m.identifier,
                        email: m.email,
                        sms: m.sms,
                        phone: m.phone,
                        agents: agents.remove(&m.id).unwrap_or_default(),
                        grades: split(&m.grades),
                        master_identifier: m.master_identifier,
                        preferred_given_name: m.preferred_name,
                        preferred_middle_name: m.preferred_middle_name,
                        preferred_family_name: m.preferred_family_name,
                        primary_org: m.primary_org_id.map(|o| name(&n.orgs, o)),
                        pronouns: m.pronouns,
                        role: m.role,
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
        Kind::Demographics => {
            read_all(
                db,
                entity::demographic::Entity::find()
                    .apply_if(users_among.clone(), |q, ids| q.filter(entity::demographic::Column::UserId.is_in(ids)))
                    .order_by_asc(entity::demographic::Column::UserId),
                "user_id",
                |m| Stored {
                    id: m.user_id,
                    sourced_id: name(&n.users, m.user_id),
                    active: active(m.status),
                    rec: Rec::Demographic(DemographicRec {
                        sent: Unhashed(m.source_modified),
                        birth_date: m.birth_date,
                        sex: m.sex,
                        flags: [
                            m.american_indian_or_alaska_native,
                            m.asian,
                            m.black_or_african_american,
                            m.native_hawaiian_or_other_pacific_islander,
                            m.white,
                            m.demographic_race_two_or_more_races,
                            m.hispanic_or_latino_ethnicity,
                        ],
                        country_of_birth_code: m.country_of_birth_code,
                        state_of_birth_abbreviation: m.state_of_birth_abbreviation,
                        city_of_birth: m.city_of_birth,
                        public_school_residence_status: m.public_school_residence_status,
                    }),
                },
            )
            .await?
        }
        Kind::Roles => {
            // A membership has no status: those that exist are active. Its id is its position
            // in this list (memberships are keyed by user and org).
            let select = user_org::Entity::find()
                .apply_if(users_among.clone(), |q, ids| q.filter(user_org::Column::UserId.is_in(ids)))
                .order_by_asc(user_org::Column::UserId)
                .order_by_asc(user_org::Column::OrgId);
            read_all(db, select, "user_id, org_id", |m| {
                let user = name(&n.users, m.user_id);
                let org = name(&n.orgs, m.org_id);
                let org_type = n.org_types.get(&m.org_id).map_or("school", String::as_str);
                let role = m.oneroster_role.unwrap_or_else(|| default_role(m.role, org_type).to_owned());
                Stored {
                    id: m.user_id,
                    sourced_id: m.sourced_id.unwrap_or_else(|| role_id(&user, &org)),
                    active: true,
                    rec: Rec::Role(RoleRec {
                        user,
                        primary: m.is_primary,
                        role,
                        begin_date: m.begin_date,
                        end_date: m.end_date,
                        org,
                    }),
                }
            })
            .await?
        }
        Kind::Enrollments => load_enrollments(db, n, only).await?,
        Kind::Categories => {
            let q = gradebook_category::Entity::find()
                .apply_if(only, |q, o| q.filter(gradebook_category::Column::SourcedId.is_in(sids(o))))
                .order_by_asc(gradebook_category::Column::Id);
            read_all(db, q, "id", |m| Stored {
                id: m.id,
                active: active(m.status),
                rec: Rec::Category(CategoryRec { title: m.title, weight: num(m.weight) }),
                sourced_id: m.sourced_id,
            })
            .await?
        }
        Kind::ScoreScales => {
            let q = score_scale::Entity::find()
                .apply_if(only, |q, o| q.filter(score_scale::Column::SourcedId.is_in(sids(o))))
                .order_by_asc(score_scale::Column::Id);
            read_all(db, q, "id", |m| Stored {
                id: m.id,
                active: active(m.status),
                rec: Rec::ScoreScale(ScoreScaleRec {
                    title: m.title,
                    scale_type: m.scale_type,
                    org: m.org_id.map(|i| name(&n.orgs, i)),
                    course: m.course_id.map(|i| name(&n.courses, i)),
                    class: m.class_id.map(|i| name(&n.classes, i)),
                    values: m.scale_values.unwrap_or_default(),
                }),
                sourced_id: m.sourced_id,
            })
            .await?
        }
        Kind::LineItems => {
            let q = line_item::Entity::find()
                .apply_if(only, |q, o| q.filter(line_item::Column::SourcedId.is_in(sids(o))))
                .order_by_asc(line_item::Column::Id);
            read_all(db, q, "id", |m| Stored {
                id: m.id,
                active: active(m.status),
                rec: Rec::LineItem(LineItemRec {
                    title: m.title,
                    description: m.description,
                    assign_date: m.assign_date,
                    due_date: m.due_date,
                    class: name(&n.classes, m.class_id),
                    category: m.category_id.map(|i| name(&n.categories, i)).unwrap_or_default(),
                    session: m.academic_session_id.map(|i| name(&n.sessions, i)),
                    min: num(m.result_value_min),
                    max: num(m.result_value_max),
                    school: m.school_id.map(|i| name(&n.orgs, i)),
                }),
                sourced_id: m.sourced_id,
            })
            .await?
        }
        Kind::LineItemObjectives => {
            let q = line_item_objective::Entity::find()
                .apply_if(only, |q, o| q.filter(line_item_objective::Column::SourcedId.is_in(sids(o))))
                .order_by_asc(line_item_objective::Column::Id);
            read_all(db, q, "id", |m| Stored {
                id: m.id,
                active: active(m.status),
                rec: Rec::Objective(ObjectiveRec {
                    line_item: name(&n.line_items, m.line_item_id),
                    source: m.source,
                    objective: m.objective_id,
                }),
                sourced_id: m.sourced_id,
            })
            .await?
        }
        Kind::Results => {
            use sea_orm::{ColumnTrait, QueryFilter};
            read_all(
                db,
                result::Entity::find()
                    .filter(result::Column::Poster.eq(GRADEBOOK_POSTER))
                    .apply_if(only, |q, o| q.filter(result::Column::SourcedId.is_in(sids(o))))
                    .order_by_asc(result::Column::Id),
                "id",
                |m| Stored {
                    id: m.id,
                    active: active(m.status),
                    // A result's version is the SIS's, not the time it was written here.
                    rec: Rec::Result(ResultRec {
                        line_item: m.line_item_id.map(|i| name(&n.line_items, i)).unwrap_or_default(),
                        student: name(&n.users, m.learner_id),
                        score_status: m.score_status.unwrap_or_default(),
                        score: num(m.score),
                        score_date: m.score_date.unwrap_or_else(|| m.occurred_at.date_naive()),
                        comment: m.comment,
                        text_score: m.text_score,
                        class: m.class_id.map(|i| name(&n.classes, i)),
                        flags: [m.in_progress, m.incomplete, m.late, m.missing],
                        sent: Unhashed(m.source_modified),
                    }),
                    sourced_id: m.sourced_id,
                },
            )
            .await?
        }
    })
}

/// The poster of results imported from a OneRoster gradebook (results' sourcedIds are unique
/// per poster).
pub const GRADEBOOK_POSTER: &str = "oneroster";

/// Stored enrollments as records (`only`: those among these sourcedIds). A bulk import compares
/// a whole district's through `enrollment_prints` instead.
async fn load_enrollments(db: &impl ConnectionTrait, n: &Names, only: Option<&[String]>) -> AppResult<Vec<Stored>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, QueryTrait};
    let active = |s: Status| s == Status::Active;
    let rows = enrollment::Entity::find()
        .apply_if(only, |q, o| q.filter(enrollment::Column::SourcedId.is_in(o.iter().map(String::as_str))))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    // Each class's school: every class for the whole district, those named for a few rows.
    let class_ids: Option<Vec<i64>> = only
        .map(|_| rows.iter().map(|e| e.class_id).collect::<std::collections::BTreeSet<i64>>().into_iter().collect());
    let mut class_school: HashMap<i64, i64> = HashMap::new();
    for chunk in class_ids.as_deref().map_or(vec![None], |ids| ids.chunks(500).map(Some).collect()) {
        let found: Vec<(i64, i64)> = class::Entity::find()
            .select_only()
            .columns([class::Column::Id, class::Column::OrgId])
            .apply_if(chunk, |q, c| q.filter(class::Column::Id.is_in(c.iter().copied())))
            .into_tuple()
            .all(db)
            .await?;
        class_school.extend(found);
    }
    Ok(rows
        .into_iter()
        .map(|m| Stored {
            id: m.id,
            active: active(m.status),
            rec: Rec::Enrollment(EnrollmentRec {
                sent: Unhashed(m.source_modified),
                class: name(&n.classes, m.class_id),
                school: class_school.get(&m.class_id).map(|o| name(&n.orgs, *o)).unwrap_or_default(),
                user: name(&n.users, m.user_id),
                role: m.role,
                primary: m.is_primary,
                begin_date: m.begin_date,
                end_date: m.end_date,
            }),
            sourced_id: m.sourced_id,
        })
        .collect())
}

/// Every class's school (org id), by class id.
pub async fn class_schools(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, i64>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(i64, i64)> = class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::OrgId])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// What a bulk import keeps of a stored enrollment.
pub struct EnrollmentPrint {
    pub id: i64,
    pub sourced_id: String,
    pub active: bool,
    pub fingerprint: u64,
    pub sent: Option<DateTime<Utc>>,
}

/// Stored enrollments after id `after` (at most `limit`, rounded up on SQLite to a multiple of
/// 256), fingerprinted as `Rec::fingerprint`
/// would their records, but read as narrow rows and never built into records: a bulk import
/// compares a district's hundreds of thousands a page at a time, and this is most of what a
/// re-import does.
pub async fn enrollment_prints(
    db: &(impl ConnectionTrait + StreamTrait),
    n: &Names,
    class_school: &HashMap<i64, i64>,
    after: i64,
    limit: u64,
) -> AppResult<Vec<EnrollmentPrint>> {
    if ConnectionTrait::get_database_backend(db) == sea_orm::DatabaseBackend::Sqlite {
        return enrollment_prints_packed(db, n, class_school, after, limit).await;
    }
    use enrollment::Column as C;
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    type Narrow =
        (i64, String, Status, i64, i64, Role, bool, Option<NaiveDate>, Option<NaiveDate>, Option<DateTime<Utc>>);
    let rows: Vec<Narrow> = enrollment::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::SourcedId,
            C::Status,
            C::ClassId,
            C::UserId,
            C::Role,
            C::IsPrimary,
            C::BeginDate,
            C::EndDate,
            C::SourceModified,
        ])
        .filter(C::Id.gt(after))
        .order_by_asc(C::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, sourced_id, status, class, user, role, primary, begin_date, end_date, sent)| {
            let key = EnrollmentKey::stored(n, class_school, class, user, role, primary, begin_date, end_date);
            EnrollmentPrint { id, sourced_id, active: status == Status::Active, fingerprint: key.fingerprint(), sent }
        })
        .collect())
}

/// Rows per packed row (`read_all`).
const PACKED: u32 = 1024;

/// Enrollments per packed row (`enrollment_prints_packed`).
const PACKED_ENROLLMENTS: u32 = 256;

/// Every model `select` finds, each passed through `f`. On SQLite, whose sqlx driver hands
/// each row from its worker thread on its own (a wake-up per row and a copy of every value),
/// the rows are read as JSON, `PACKED` models to a row: a table of users is read in a few
/// hundred hand-overs instead of one per row, and converted to models by the columns' types.
/// `select` reads whole models (`E::find()` with filters and order); `order` lists the columns
/// it is ordered by, which the packed rows keep.
async fn read_all<E, T>(
    db: &(impl ConnectionTrait + StreamTrait),
    select: sea_orm::Select<E>,
    order: &str,
    mut f: impl FnMut(E::Model) -> T,
) -> AppResult<Vec<T>>
where
    E: EntityTrait,
    E::Model: Sync,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
{
    use futures_util::TryStreamExt;
    use sea_orm::{ActiveModelTrait, ColumnTrait, IdenStatic, Iterable, QueryTrait, TryIntoModel};
    // SQLite writes a REAL as text with at most 17 digits, which does not always give back the
    // same double (records compare numbers by their bits): tables with one are read as rows.
    let real = E::Column::iter()
        .any(|c| matches!(c.def().get_column_type(), sea_orm::ColumnType::Double | sea_orm::ColumnType::Float));
    if ConnectionTrait::get_database_backend(db) != sea_orm::DatabaseBackend::Sqlite || real {
        return Ok(select.stream(db).await?.map_ok(f).try_collect::<Vec<_>>().await?);
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let fields: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let inner = select.build(sea_orm::DatabaseBackend::Sqlite);
    let sql = format!(
        "SELECT json_group_array(json_array({}) ORDER BY n) FROM \
         (SELECT *, row_number() OVER (ORDER BY {order}) AS n FROM ({})) \
         GROUP BY (n - 1) / {PACKED} ORDER BY (n - 1) / {PACKED}",
        fields.join(", "),
        inner.sql
    );
    let stmt = sea_orm::Statement { sql, ..inner };
    let table = E::default().table_name();
    let bad = |why: String| crate::error::AppError::Server(anyhow::anyhow!("stored {table}: {why}"));
    let mut out = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        let packed: String = row.try_get_by_index(0)?;
        let rows: Vec<Vec<serde_json::Value>> =
            serde_json::from_str(&packed).map_err(|e| bad(format!("unreadable packed rows: {e}")))?;
        for values in rows {
            let mut model = E::ActiveModel::default();
            for (column, v) in columns.iter().zip(values) {
                let value = sql_value(column.def().get_column_type(), v)
                    .map_err(|v| bad(format!("bad {} {v}", column.as_str())))?;
                model.try_set(*column, value).map_err(|e| bad(e.to_string()))?;
            }
            out.push(f(model.try_into_model().map_err(|e| bad(e.to_string()))?));
        }
    }
    Ok(out)
}

/// A time as SQLite holds it: sqlx writes RFC 3339, SQLite's own functions
/// `YYYY-MM-DD HH:MM:SS`.
fn stored_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%F %T%.f").map(|t| t.and_utc()))
        .ok()
}

/// A value SQLite's `json_array` wrote, as the model's column type has it (`Err`: the value).
fn sql_value(t: &sea_orm::ColumnType, v: serde_json::Value) -> Result<sea_orm::Value, serde_json::Value> {
    use sea_orm::{ColumnType as T, Value};
    use serde_json::Value as J;
    Ok(match (t, v) {
        (T::BigInteger, J::Null) => Value::BigInt(None),
        (T::BigInteger, J::Number(n)) if n.is_i64() => Value::BigInt(n.as_i64()),
        (T::Integer, J::Null) => Value::Int(None),
        (T::Integer, J::Number(n)) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Value::Int(Some(i)),
            None => return Err(J::Number(n)),
        },
        (T::Boolean, J::Null) => Value::Bool(None),
        (T::Boolean, J::Number(n)) if n.is_i64() => Value::Bool(n.as_i64().map(|b| b != 0)),
        (T::Date, J::Null) => Value::ChronoDate(None),
        (T::Date, J::String(s)) => match s.parse::<NaiveDate>() {
            Ok(d) => Value::ChronoDate(Some(d)),
            Err(_) => return Err(J::String(s)),
        },
        (T::TimestampWithTimeZone | T::Timestamp, J::Null) => Value::ChronoDateTimeUtc(None),
        (T::TimestampWithTimeZone | T::Timestamp, J::String(s)) => match stored_time(&s) {
            Some(t) => Value::ChronoDateTimeUtc(Some(t)),
            None => return Err(J::String(s)),
        },
        (T::Json | T::JsonBinary, J::Null) => Value::Json(None),
        (T::Json | T::JsonBinary, J::String(s)) => match serde_json::from_str::<J>(&s) {
            Ok(j) => Value::Json(Some(Box::new(j))),
            Err(_) => return Err(J::String(s)),
        },
        (T::Json | T::JsonBinary, other) => return Err(other),
        (_, J::Null) => Value::String(None),
        (_, J::String(s)) => Value::String(Some(s)),
        (_, other) => return Err(other),
    })
}

/// `enrollment_prints` on SQLite, where sqlx hands every row from its worker thread to the
/// caller one at a time (a copy of each value and a thread wake-up per row: most of a
/// re-import's time at district scale). SQLite packs `PACKED_ENROLLMENTS` enrollments into one text value,
/// and they are unpacked here: the same fields, one row per `PACKED_ENROLLMENTS`. Every field is a number,
/// an enumeration or a date but the sourcedId, which is packed as hex, so the separators can't
/// occur in a field.
async fn enrollment_prints_packed(
    db: &(impl ConnectionTrait + StreamTrait),
    n: &Names,
    class_school: &HashMap<i64, i64>,
    after: i64,
    limit: u64,
) -> AppResult<Vec<EnrollmentPrint>> {
    // Each packed row holds the next `PACKED_ENROLLMENTS` enrollments by id, their range found
    // through the primary key (so gaps in ids cost nothing): a GROUP BY over the rows would
    // sort them all first (a temporary B-tree), which took as long as reading them.
    let groups = limit.div_ceil(u64::from(PACKED_ENROLLMENTS));
    let next = format!(
        "(SELECT max(id) FROM (SELECT id FROM enrollments WHERE id > {{}} ORDER BY id LIMIT {PACKED_ENROLLMENTS}))"
    );
    let sql = format!(
        "WITH RECURSIVE g(lo, hi) AS (SELECT ?, {first} UNION ALL SELECT hi, {then} FROM g WHERE hi IS NOT NULL \
         LIMIT {groups}) \
         SELECT (SELECT group_concat(id || ',' || status || ',' || class_id || ',' || user_id || ',' || role \
         || ',' || is_primary || ',' || coalesce(begin_date, '') || ',' || coalesce(end_date, '') || ',' \
         || coalesce(source_modified, '') || ',' || hex(sourced_id), ';') \
         FROM enrollments WHERE id > lo AND id <= hi) FROM g WHERE hi IS NOT NULL",
        first = next.replace("{}", "?"),
        then = next.replace("{}", "g.hi"),
    );
    let stmt =
        sea_orm::Statement::from_sql_and_values(sea_orm::DatabaseBackend::Sqlite, sql, [after.into(), after.into()]);
    let bad =
        |what: &str, v: &str| crate::error::AppError::Server(anyhow::anyhow!("stored enrollment: bad {what} {v:?}"));
    let mut out = Vec::new();
    let mut rows = std::pin::pin!(db.stream_raw(stmt).await?);
    while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
        let Some(packed): Option<String> = row.try_get_by_index(0)? else { continue };
        for one in packed.split(';') {
            let f: Vec<&str> = one.split(',').collect();
            let [id, status, class, user, role, primary, begin, end, sent, sid] = f[..] else {
                return Err(bad("row", one));
            };
            let int = |v: &str| v.parse::<i64>().map_err(|_| bad("number", v));
            let date = |v: &str| (!v.is_empty()).then(|| super::rows::ymd(v).ok_or_else(|| bad("date", v))).transpose();
            let (class, user) = (int(class)?, int(user)?);
            // A time that can't be read orders nothing (as none stored).
            let sent = stored_time(sent);
            let role = role.parse().map_err(|_| bad("role", role))?;
            let key =
                EnrollmentKey::stored(n, class_school, class, user, role, int(primary)? != 0, date(begin)?, date(end)?);
            out.push(EnrollmentPrint {
                id: int(id)?,
                sourced_id: unhex(sid).ok_or_else(|| bad("sourcedId", sid))?,
                active: status.parse::<Status>().map_err(|_| bad("status", status))? == Status::Active,
                fingerprint: key.fingerprint(),
                sent,
            });
        }
    }
    out.sort_unstable_by_key(|e| e.id);
    Ok(out)
}

/// The text whose UTF-8 bytes SQLite's `hex()` wrote.
fn unhex(v: &str) -> Option<String> {
    let digit = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes: Option<Vec<u8>> = v.as_bytes().chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(*p.get(1)?)?)).collect();
    String::from_utf8(bytes?).ok()
}

/// The (effective) sourcedIds of these users' roles, by user sourcedId; with `scope`, only
/// roles at those orgs.
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    users: &[String],
    scope: Option<&[i64]>,
) -> AppResult<HashMap<String, Vec<String>>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in users.chunks(500) {
        let found: Vec<(user_org::Model, Option<user::Model>)> = user_org::Entity::find()
            .find_also_related(user::Entity)
            .filter(user::Column::SourcedId.is_in(chunk.iter().map(String::as_str)))
            .all(db)
            .await?;
        let org_ids: Vec<i64> = found.iter().map(|(m, _)| m.org_id).collect();
        let orgs: HashMap<i64, String> = org::Entity::find()
            .filter(org::Column::Id.is_in(org_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.sourced_id))
            .collect();
        for (m, u) in found {
            let Some(u) = u else { continue };
            if scope.is_some_and(|s| !s.contains(&m.org_id)) {
                continue;
            }
            let org = orgs.get(&m.org_id).cloned().unwrap_or_default();
            let sid = m.sourced_id.unwrap_or_else(|| role_id(&u.sourced_id, &org));
            out.entry(u.sourced_id).or_default().push(sid);
        }
    }
    Ok(out)
}

/// The schools (sourcedIds) of these classes, by class sourcedId.
/// With `scope`, only classes of those orgs.
pub async fn schools_of(
    db: &impl ConnectionTrait,
    classes: &[String],
    scope: Option<&[i64]>,
) -> AppResult<HashMap<String, String>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut out = HashMap::new();
    for chunk in classes.chunks(500) {
        let found: Vec<class::Model> = class::Entity::find()
            .filter(class::Column::SourcedId.is_in(chunk.iter().map(String::as_str)))
            .all(db)
            .await?
            .into_iter()
            .filter(|c| scope.is_none_or(|s| s.contains(&c.org_id)))
            .collect();
        let orgs: HashMap<i64, String> = org::Entity::find()
            .filter(org::Column::Id.is_in(found.iter().map(|c| c.org_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.sourced_id))
            .collect();
        out.extend(found.into_iter().filter_map(|c| orgs.get(&c.org_id).map(|o| (c.sourced_id, o.clone()))));
    }
    Ok(out)
}

/// The sourcedId of a membership that has none of its own (made before roles were imported,
/// or imported from 1.1, which has no roles file).
pub fn role_id(user: &str, org: &str) -> String {
    format!("{user}:{org}")
}

pub(crate) fn joined_opt(v: &[String]) -> Option<String> {
    joined(v)
}

#[cfg(test)]
mod tests {
    use super::{sql_value, unhex};
    use sea_orm::{ColumnType as T, Value};
    use serde_json::json;

    #[test]
    fn sql_value_takes_what_the_column_holds_and_refuses_the_rest() {
        assert_eq!(sql_value(&T::BigInteger, json!(7)), Ok(Value::BigInt(Some(7))));
        assert_eq!(sql_value(&T::BigInteger, json!(null)), Ok(Value::BigInt(None)));
        // A REAL or an integer past i64 in a BIGINT column is not read as NULL.
        assert_eq!(sql_value(&T::BigInteger, json!(1.5)), Err(json!(1.5)));
        assert_eq!(sql_value(&T::BigInteger, json!(u64::MAX)), Err(json!(u64::MAX)));
        assert_eq!(sql_value(&T::Integer, json!(1_i64 << 40)), Err(json!(1_i64 << 40)));
        assert_eq!(sql_value(&T::Boolean, json!(1)), Ok(Value::Bool(Some(true))));
        assert_eq!(sql_value(&T::Boolean, json!(0)), Ok(Value::Bool(Some(false))));
        assert_eq!(sql_value(&T::Boolean, json!(0.5)), Err(json!(0.5)));
        assert_eq!(sql_value(&T::Date, json!("2026-13-01")), Err(json!("2026-13-01")));
        assert_eq!(sql_value(&T::Json, json!("{")), Err(json!("{")));
        assert_eq!(sql_value(&T::TimestampWithTimeZone, json!("yesterday")), Err(json!("yesterday")));
    }

    #[test]
    fn unhex_reads_back_what_sqlites_hex_wrote() {
        assert_eq!(unhex("652D303031").as_deref(), Some("e-001"));
        assert_eq!(unhex("C3A92C3B").as_deref(), Some("é,;"));
        assert_eq!(unhex("").as_deref(), Some(""));
        assert_eq!(unhex("6"), None);
        assert_eq!(unhex("ZZ"), None);
        assert_eq!(unhex("C3"), None);
    }
}
