//! The OneRoster 1.2 Rostering service (REST binding, read) under
//! `/ims/oneroster/rostering/v1p2`: orgs, schools, academic sessions (terms, grading periods),
//! courses, classes, users (students, teachers), enrollments and demographics, each as a
//! collection and by sourcedId, and the nested collections the binding defines.
//!
//! A thin transport over the roster store: every query starts from the store's visible-records
//! query (org limits and, for a signed-in person, relationships already in its `WHERE`), pages
//! through the store's paging (which notes revealed students for the audit), and only renders
//! the binding's JSON here. A record the caller may not see answers 404 `unknownobject`, as an
//! absent one does.

use std::collections::HashMap;

use entity::{OrgType, Role, Status, academic_session, class, class_term, course, demographic, enrollment, org, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Alias, Expr, ExprTrait, Query, SubQueryStatement},
};
use serde_json::{Value, json};

use super::{
    oneroster::records,
    store::{self, Key, Sync},
};
use crate::{
    auth::{OrgAccess, Principal, Scope, policy},
    error::{AppError, AppResult},
    page::{PageRequest, fetch_page},
    rest::{
        self, Field, ListParams, Reply, StatusInfo, col, field, list,
        openapi::{Prop, STATUS, Schema},
        put, reference,
    },
    state::AppState,
};

/// Where the service is mounted.
pub const BASE: &str = "/ims/oneroster/rostering/v1p2";

/// Every record, deleted ones too: the binding hands out tombstones, and callers filter on
/// `status` (`filter=status='active'`) or `dateLastModified` to sync.
const ALL: Sync = Sync { updated_since: None, include_deleted: true };

/// The scopes that grant the rostering reads (other than demographics), and demographics.
const CORE_SCOPES: &[&str] = &[Scope::OneRosterCoreRead.as_str(), Scope::OneRosterRead.as_str()];
const DEMOGRAPHIC_SCOPES: &[&str] = &[Scope::OneRosterDemographicsRead.as_str(), Scope::OneRosterRead.as_str()];

rest::service! {
    "Rostering", BASE;
    "/orgs" => get_all_orgs, "getAllOrgs", many ORG, CORE_SCOPES;
    "/orgs/{id}" => get_org, "getOrg", one ORG, CORE_SCOPES;
    "/schools" => get_all_schools, "getAllSchools", many ORG, CORE_SCOPES;
    "/schools/{id}" => get_school, "getSchool", one ORG, CORE_SCOPES;
    "/schools/{id}/classes" => get_classes_for_school, "getClassesForSchool", many CLASS, CORE_SCOPES;
    "/schools/{id}/courses" => get_courses_for_school, "getCoursesForSchool", many COURSE, CORE_SCOPES;
    "/schools/{id}/enrollments" => get_enrollments_for_school, "getEnrollmentsForSchool", many ENROLLMENT, CORE_SCOPES;
    "/schools/{id}/students" => get_students_for_school, "getStudentsForSchool", many USER, CORE_SCOPES;
    "/schools/{id}/teachers" => get_teachers_for_school, "getTeachersForSchool", many USER, CORE_SCOPES;
    "/schools/{id}/terms" => get_terms_for_school, "getTermsForSchool", many SESSION, CORE_SCOPES;
    "/schools/{id}/classes/{class}/enrollments" => get_enrollments_for_class_in_school, "getEnrollmentsForClassInSchool", many ENROLLMENT, CORE_SCOPES;
    "/schools/{id}/classes/{class}/students" => get_students_for_class_in_school, "getStudentsForClassInSchool", many USER, CORE_SCOPES;
    "/schools/{id}/classes/{class}/teachers" => get_teachers_for_class_in_school, "getTeachersForClassInSchool", many USER, CORE_SCOPES;
    "/academicSessions" => get_all_academic_sessions, "getAllAcademicSessions", many SESSION, CORE_SCOPES;
    "/academicSessions/{id}" => get_academic_session, "getAcademicSession", one SESSION, CORE_SCOPES;
    "/terms" => get_all_terms, "getAllTerms", many SESSION, CORE_SCOPES;
    "/terms/{id}" => get_term, "getTerm", one SESSION, CORE_SCOPES;
    "/terms/{id}/classes" => get_classes_for_term, "getClassesForTerm", many CLASS, CORE_SCOPES;
    "/terms/{id}/gradingPeriods" => get_grading_periods_for_term, "getGradingPeriodsForTerm", many SESSION, CORE_SCOPES;
    "/gradingPeriods" => get_all_grading_periods, "getAllGradingPeriods", many SESSION, CORE_SCOPES;
    "/gradingPeriods/{id}" => get_grading_period, "getGradingPeriod", one SESSION, CORE_SCOPES;
    "/courses" => get_all_courses, "getAllCourses", many COURSE, CORE_SCOPES;
    "/courses/{id}" => get_course, "getCourse", one COURSE, CORE_SCOPES;
    "/courses/{id}/classes" => get_classes_for_course, "getClassesForCourse", many CLASS, CORE_SCOPES;
    "/classes" => get_all_classes, "getAllClasses", many CLASS, CORE_SCOPES;
    "/classes/{id}" => get_class, "getClass", one CLASS, CORE_SCOPES;
    "/classes/{id}/students" => get_students_for_class, "getStudentsForClass", many USER, CORE_SCOPES;
    "/classes/{id}/teachers" => get_teachers_for_class, "getTeachersForClass", many USER, CORE_SCOPES;
    "/users" => get_all_users, "getAllUsers", many USER, CORE_SCOPES;
    "/users/{id}" => get_user, "getUser", one USER, CORE_SCOPES;
    "/users/{id}/classes" => get_classes_for_user, "getClassesForUser", many CLASS, CORE_SCOPES;
    "/students" => get_all_students, "getAllStudents", many USER, CORE_SCOPES;
    "/students/{id}" => get_student, "getStudent", one USER, CORE_SCOPES;
    "/students/{id}/classes" => get_classes_for_student, "getClassesForStudent", many CLASS, CORE_SCOPES;
    "/teachers" => get_all_teachers, "getAllTeachers", many USER, CORE_SCOPES;
    "/teachers/{id}" => get_teacher, "getTeacher", one USER, CORE_SCOPES;
    "/teachers/{id}/classes" => get_classes_for_teacher, "getClassesForTeacher", many CLASS, CORE_SCOPES;
    "/enrollments" => get_all_enrollments, "getAllEnrollments", many ENROLLMENT, CORE_SCOPES;
    "/enrollments/{id}" => get_enrollment, "getEnrollment", one ENROLLMENT, CORE_SCOPES;
    "/demographics" => get_all_demographics, "getAllDemographics", many DEMOGRAPHICS, DEMOGRAPHIC_SCOPES;
    "/demographics/{id}" => get_demographics, "getDemographics", one DEMOGRAPHICS, DEMOGRAPHIC_SCOPES;
}

// ---------------------------------------------------------------------------------------------
// Fields: what each collection filters and sorts by, and the names its records have.

const ORG_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(org, SourcedId)),
    field!("status", Enum, col!(org, Status)),
    field!("dateLastModified", DateTime, col!(org, DateLastModified)),
    field!("name", Text, col!(org, Name)),
    field!("type", Enum, col!(org, OrgType)),
    field!("identifier", Text, col!(org, Identifier)),
    field!("parent.sourcedId", Text, |_| Expr::cust("(SELECT r.sourced_id FROM orgs r WHERE r.id = orgs.parent_id)")),
];
static ORG: Schema = Schema {
    name: "Org",
    one: "org",
    many: "orgs",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("name", Prop::Str),
        ("type", Prop::Enum(&records::ORG_TYPES)),
        ("identifier", Prop::Str),
        ("parent", Prop::Ref),
        ("children", Prop::RefList),
    ],
    required: &["sourcedId", "status", "dateLastModified", "name", "type", "children"],
    fields: ORG_FIELDS,
    scope: Scope::RosterRead,
    students: false,
};

const SESSION_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(academic_session, SourcedId)),
    field!("status", Enum, col!(academic_session, Status)),
    field!("dateLastModified", DateTime, col!(academic_session, DateLastModified)),
    field!("title", Text, col!(academic_session, Title)),
    field!("type", Enum, col!(academic_session, SessionType)),
    field!("startDate", Date, col!(academic_session, StartDate)),
    field!("endDate", Date, col!(academic_session, EndDate)),
    field!("schoolYear", Int, col!(academic_session, SchoolYear)),
    field!("parent.sourcedId", Text, |_| {
        Expr::cust("(SELECT r.sourced_id FROM academic_sessions r WHERE r.id = academic_sessions.parent_id)")
    }),
    field!("org.sourcedId", Text, |_| Expr::cust(
        "(SELECT r.sourced_id FROM orgs r WHERE r.id = academic_sessions.org_id)"
    )),
];
static SESSION: Schema = Schema {
    name: "AcademicSession",
    one: "academicSession",
    many: "academicSessions",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("startDate", Prop::Date),
        ("endDate", Prop::Date),
        ("type", Prop::Enum(&records::SESSION_TYPES)),
        ("parent", Prop::Ref),
        ("children", Prop::RefList),
        ("schoolYear", Prop::Str),
        ("org", Prop::Ref),
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "startDate",
        "endDate",
        "type",
        "children",
        "schoolYear",
        "org",
    ],
    fields: SESSION_FIELDS,
    scope: Scope::RosterRead,
    students: false,
};

const COURSE_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(course, SourcedId)),
    field!("status", Enum, col!(course, Status)),
    field!("dateLastModified", DateTime, col!(course, DateLastModified)),
    field!("title", Text, col!(course, Title)),
    field!("courseCode", Text, col!(course, CourseCode)),
    field!("grades", List, col!(course, Grades)),
    field!("subjects", List, col!(course, Subject)),
    field!("subjectCodes", List, col!(course, SubjectCodes)),
    field!("org.sourcedId", Text, |_| Expr::cust("(SELECT r.sourced_id FROM orgs r WHERE r.id = courses.org_id)")),
    field!("schoolYear.sourcedId", Text, |_| {
        Expr::cust("(SELECT r.sourced_id FROM academic_sessions r WHERE r.id = courses.school_year_id)")
    }),
];
static COURSE: Schema = Schema {
    name: "Course",
    one: "course",
    many: "courses",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("schoolYear", Prop::Ref),
        ("courseCode", Prop::Str),
        ("grades", Prop::StrList),
        ("subjects", Prop::StrList),
        ("org", Prop::Ref),
        ("subjectCodes", Prop::StrList),
    ],
    required: &["sourcedId", "status", "dateLastModified", "title", "grades", "subjects", "org", "subjectCodes"],
    fields: COURSE_FIELDS,
    scope: Scope::RosterRead,
    students: false,
};

const CLASS_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(class, SourcedId)),
    field!("status", Enum, col!(class, Status)),
    field!("dateLastModified", DateTime, col!(class, DateLastModified)),
    field!("title", Text, col!(class, Title)),
    field!("classCode", Text, col!(class, ClassCode)),
    field!("classType", Enum, col!(class, ClassType)),
    field!("location", Text, col!(class, Location)),
    field!("grades", List, col!(class, Grades)),
    field!("subjects", List, col!(class, Subject)),
    field!("subjectCodes", List, col!(class, SubjectCodes)),
    field!("periods", List, col!(class, Periods)),
    field!("course.sourcedId", Text, |_| Expr::cust(
        "(SELECT r.sourced_id FROM courses r WHERE r.id = classes.course_id)"
    )),
    field!("school.sourcedId", Text, |_| Expr::cust("(SELECT r.sourced_id FROM orgs r WHERE r.id = classes.org_id)")),
];
static CLASS: Schema = Schema {
    name: "Class",
    one: "class",
    many: "classes",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("classCode", Prop::Str),
        ("classType", Prop::Enum(&records::CLASS_TYPES)),
        ("location", Prop::Str),
        ("grades", Prop::StrList),
        ("subjects", Prop::StrList),
        ("course", Prop::Ref),
        ("school", Prop::Ref),
        ("terms", Prop::RefList),
        ("subjectCodes", Prop::StrList),
        ("periods", Prop::StrList),
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "classType",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
    ],
    fields: CLASS_FIELDS,
    scope: Scope::RosterRead,
    students: false,
};

const USER_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(user, SourcedId)),
    field!("status", Enum, col!(user, Status)),
    field!("dateLastModified", DateTime, col!(user, DateLastModified)),
    field!("userMasterIdentifier", Text, |p| student_attribute(
        p,
        "userMasterIdentifier",
        user::Column::MasterIdentifier
    )),
    field!("username", Text, |p| student_attribute(p, "username", user::Column::Username)),
    field!("enabledUser", Bool, col!(user, EnabledUser)),
    field!("givenName", Text, |p| student_attribute(p, "givenName", user::Column::GivenName)),
    field!("familyName", Text, |p| student_attribute(p, "familyName", user::Column::FamilyName)),
    field!("middleName", Text, |p| student_attribute(p, "middleName", user::Column::MiddleName)),
    field!("preferredFirstName", Text, |p| student_attribute(p, "preferredFirstName", user::Column::PreferredName)),
    field!("preferredMiddleName", Text, |p| student_attribute(
        p,
        "preferredMiddleName",
        user::Column::PreferredMiddleName
    )),
    field!("preferredLastName", Text, |p| student_attribute(p, "preferredLastName", user::Column::PreferredFamilyName)),
    field!("pronouns", Text, |p| student_attribute(p, "pronouns", user::Column::Pronouns)),
    field!("role", Enum, col!(user, Role)),
    field!("identifier", Text, |p| student_attribute(p, "identifier", user::Column::Identifier)),
    field!("email", Text, |p| student_attribute(p, "email", user::Column::Email)),
    field!("sms", Text, |p| student_attribute(p, "sms", user::Column::Sms)),
    field!("phone", Text, |p| student_attribute(p, "phone", user::Column::Phone)),
    field!("grades", List, |p| student_attribute(p, "grades", user::Column::Grades)),
    field!("primaryOrg.sourcedId", Text, primary_org_sourced_id),
];
static USER: Schema = Schema {
    name: "User",
    one: "user",
    many: "users",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("userMasterIdentifier", Prop::Str),
        ("username", Prop::Str),
        ("userIds", Prop::UserIds),
        ("enabledUser", Prop::TrueFalse),
        ("givenName", Prop::Str),
        ("familyName", Prop::Str),
        ("middleName", Prop::Str),
        ("preferredFirstName", Prop::Str),
        ("preferredMiddleName", Prop::Str),
        ("preferredLastName", Prop::Str),
        ("pronouns", Prop::Str),
        ("roles", Prop::Roles),
        ("primaryOrg", Prop::Ref),
        ("identifier", Prop::Str),
        ("email", Prop::Str),
        ("sms", Prop::Str),
        ("phone", Prop::Str),
        ("agents", Prop::RefList),
        ("grades", Prop::StrList),
    ],
    required: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "roles",
        "agents",
        "grades",
    ],
    fields: USER_FIELDS,
    scope: Scope::RosterRead,
    students: true,
};

const ENROLLMENT_FIELDS: &[Field] = &[
    field!("sourcedId", Text, col!(enrollment, SourcedId)),
    field!("status", Enum, col!(enrollment, Status)),
    field!("dateLastModified", DateTime, col!(enrollment, DateLastModified)),
    field!("role", Enum, col!(enrollment, Role)),
    field!("primary", Bool, col!(enrollment, IsPrimary)),
    field!("beginDate", Date, col!(enrollment, BeginDate)),
    field!("endDate", Date, col!(enrollment, EndDate)),
    field!("user.sourcedId", Text, |_| Expr::cust(
        "(SELECT r.sourced_id FROM users r WHERE r.id = enrollments.user_id)"
    )),
    field!("class.sourcedId", Text, |_| Expr::cust(
        "(SELECT r.sourced_id FROM classes r WHERE r.id = enrollments.class_id)"
    )),
    field!("school.sourcedId", Text, |_| {
        Expr::cust(
            "(SELECT r.sourced_id FROM orgs r JOIN classes c ON c.org_id = r.id WHERE c.id = enrollments.class_id)",
        )
    }),
];
static ENROLLMENT: Schema = Schema {
    name: "Enrollment",
    one: "enrollment",
    many: "enrollments",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("user", Prop::Ref),
        ("class", Prop::Ref),
        ("school", Prop::Ref),
        ("role", Prop::Enum(&records::ENROLLMENT_ROLES)),
        ("primary", Prop::TrueFalse),
        ("beginDate", Prop::Date),
        ("endDate", Prop::Date),
    ],
    required: &["sourcedId", "status", "dateLastModified", "user", "class", "school", "role", "primary"],
    fields: ENROLLMENT_FIELDS,
    scope: Scope::RosterRead,
    students: true,
};

const DEMOGRAPHIC_FIELDS: &[Field] = &[
    field!("sourcedId", Text, |_| Expr::cust("(SELECT r.sourced_id FROM users r WHERE r.id = demographics.user_id)")),
    field!("status", Enum, col!(demographic, Status)),
    field!("dateLastModified", DateTime, col!(demographic, DateLastModified)),
    field!("birthDate", Date, |_| while_active("birth_date")),
    field!("sex", Enum, |_| while_active("sex")),
    field!("americanIndianOrAlaskaNative", Bool, |_| while_active("american_indian_or_alaska_native")),
    field!("asian", Bool, |_| while_active("asian")),
    field!("blackOrAfricanAmerican", Bool, |_| while_active("black_or_african_american")),
    field!("nativeHawaiianOrOtherPacificIslander", Bool, |_| while_active("native_hawaiian_or_other_pacific_islander")),
    field!("white", Bool, |_| while_active("white")),
    field!("demographicRaceTwoOrMoreRaces", Bool, |_| while_active("demographic_race_two_or_more_races")),
    field!("hispanicOrLatinoEthnicity", Bool, |_| while_active("hispanic_or_latino_ethnicity")),
    field!("countryOfBirthCode", Text, |_| while_active("country_of_birth_code")),
    field!("stateOfBirthAbbreviation", Text, |_| while_active("state_of_birth_abbreviation")),
    field!("cityOfBirth", Text, |_| while_active("city_of_birth")),
    field!("publicSchoolResidenceStatus", Text, |_| while_active("public_school_residence_status")),
];
static DEMOGRAPHICS: Schema = Schema {
    name: "Demographics",
    one: "demographics",
    many: "demographics",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("birthDate", Prop::Date),
        ("sex", Prop::Enum(&records::SEXES)),
        ("americanIndianOrAlaskaNative", Prop::TrueFalse),
        ("asian", Prop::TrueFalse),
        ("blackOrAfricanAmerican", Prop::TrueFalse),
        ("nativeHawaiianOrOtherPacificIslander", Prop::TrueFalse),
        ("white", Prop::TrueFalse),
        ("demographicRaceTwoOrMoreRaces", Prop::TrueFalse),
        ("hispanicOrLatinoEthnicity", Prop::TrueFalse),
        ("countryOfBirthCode", Prop::Str),
        ("stateOfBirthAbbreviation", Prop::Str),
        ("cityOfBirth", Prop::Str),
        ("publicSchoolResidenceStatus", Prop::Str),
    ],
    required: &["sourcedId", "status", "dateLastModified"],
    fields: DEMOGRAPHIC_FIELDS,
    scope: Scope::DemographicsRead,
    students: true,
};

/// The sourcedId of a user's primary org when the caller may see that org (NULL otherwise), so
/// that filtering or sorting on it says nothing of a school the record itself would not show.
fn primary_org_sourced_id(p: &Principal) -> Expr {
    let r = Alias::new("r");
    let mut q = Query::select()
        .column((r.clone(), org::Column::SourcedId))
        .from_as(org::Entity, r.clone())
        .and_where(Expr::col((r.clone(), org::Column::Id)).equals((user::Entity, user::Column::PrimaryOrgId)))
        .to_owned();
    if let OrgAccess::Only { orgs, ancestors } = &p.orgs {
        q.and_where(Expr::col((r, org::Column::Id)).is_in(orgs.iter().chain(ancestors).copied()));
    }
    Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

/// A demographics column while its record is active, NULL once deleted: a tombstone is served
/// without what it held, and filtering or sorting on it learns nothing either.
fn while_active(column: &'static str) -> Expr {
    Expr::cust(format!("CASE WHEN demographics.status = 'active' THEN demographics.{column} END"))
}

// ---------------------------------------------------------------------------------------------
// The records, as the binding writes them.

fn ref_to(ids: &HashMap<i64, String>, id: Option<i64>, collection: &str, ty: &str) -> Option<Value> {
    id.and_then(|id| ids.get(&id)).map(|s| reference(BASE, collection, ty, s))
}

async fn orgs_json(db: &impl ConnectionTrait, p: &Principal, rows: Vec<org::Model>) -> AppResult<Vec<Value>> {
    let parents = store::sourced_ids(db, "orgs", rows.iter().filter_map(|o| o.parent_id)).await?;
    let children: Vec<(i64, Option<i64>, String, OrgType)> = org::Entity::find()
        .select_only()
        .columns([org::Column::Id, org::Column::ParentId, org::Column::SourcedId, org::Column::OrgType])
        .filter(org::Column::ParentId.is_in(rows.iter().map(|o| o.id)))
        .filter(policy::orgs_visible(p))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|o| {
            let mut m = rest::record(o.status, &o.sourced_id, o.date_last_modified);
            m.insert("name".into(), o.name.into());
            m.insert("type".into(), o.org_type.as_str().into());
            put(&mut m, "identifier", o.identifier);
            put(&mut m, "parent", ref_to(&parents, o.parent_id, "orgs", "org"));
            let kids: Vec<Value> =
                children.iter().filter(|c| c.1 == Some(o.id)).map(|c| reference(BASE, "orgs", "org", &c.2)).collect();
            m.insert("children".into(), kids.into());
            Value::Object(m)
        })
        .collect())
}

async fn sessions_json(
    db: &impl ConnectionTrait,
    p: &Principal,
    rows: Vec<academic_session::Model>,
) -> AppResult<Vec<Value>> {
    let parents = store::sourced_ids(db, "academic_sessions", rows.iter().filter_map(|s| s.parent_id)).await?;
    let orgs = store::sourced_ids(db, "orgs", rows.iter().map(|s| s.org_id)).await?;
    let children: Vec<(Option<i64>, String, String)> = academic_session::Entity::find()
        .select_only()
        .columns([
            academic_session::Column::ParentId,
            academic_session::Column::SourcedId,
            academic_session::Column::SessionType,
        ])
        .filter(academic_session::Column::ParentId.is_in(rows.iter().map(|s| s.id)))
        .filter(policy::owned_by_visible_org(p, (academic_session::Entity, academic_session::Column::OrgId)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let mut m = rest::record(s.status, &s.sourced_id, s.date_last_modified);
            m.insert("title".into(), s.title.into());
            m.insert("startDate".into(), s.start_date.to_string().into());
            m.insert("endDate".into(), s.end_date.to_string().into());
            m.insert("type".into(), s.session_type.into());
            put(&mut m, "parent", ref_to(&parents, s.parent_id, "academicSessions", "academicSession"));
            let kids: Vec<Value> = children
                .iter()
                .filter(|c| c.0 == Some(s.id))
                .map(|c| reference(BASE, "academicSessions", "academicSession", &c.1))
                .collect();
            m.insert("children".into(), kids.into());
            m.insert("schoolYear".into(), s.school_year.to_string().into());
            put(&mut m, "org", ref_to(&orgs, Some(s.org_id), "orgs", "org"));
            Value::Object(m)
        })
        .collect())
}

async fn courses_json(db: &impl ConnectionTrait, rows: Vec<course::Model>) -> AppResult<Vec<Value>> {
    let orgs = store::sourced_ids(db, "orgs", rows.iter().map(|c| c.org_id)).await?;
    let years = store::sourced_ids(db, "academic_sessions", rows.iter().filter_map(|c| c.school_year_id)).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let mut m = rest::record(c.status, &c.sourced_id, c.date_last_modified);
            m.insert("title".into(), c.title.into());
            put(&mut m, "schoolYear", ref_to(&years, c.school_year_id, "academicSessions", "academicSession"));
            put(&mut m, "courseCode", c.course_code);
            m.insert("grades".into(), list(c.grades.as_deref()));
            m.insert("subjects".into(), list(c.subject.as_deref()));
            put(&mut m, "org", ref_to(&orgs, Some(c.org_id), "orgs", "org"));
            m.insert("subjectCodes".into(), list(c.subject_codes.as_deref()));
            Value::Object(m)
        })
        .collect())
}

async fn classes_json(db: &impl ConnectionTrait, rows: Vec<class::Model>) -> AppResult<Vec<Value>> {
    let orgs = store::sourced_ids(db, "orgs", rows.iter().map(|c| c.org_id)).await?;
    let courses = store::sourced_ids(db, "courses", rows.iter().map(|c| c.course_id)).await?;
    let mut terms_of: HashMap<i64, Vec<(i32, i64)>> = HashMap::new();
    for t in
        class_term::Entity::find().filter(class_term::Column::ClassId.is_in(rows.iter().map(|c| c.id))).all(db).await?
    {
        terms_of.entry(t.class_id).or_default().push((t.position, t.term_id));
    }
    let term_ids = terms_of.values().flatten().map(|t| t.1).chain(rows.iter().map(|c| c.term_id));
    let terms = store::sourced_ids(db, "academic_sessions", term_ids).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let mut m = rest::record(c.status, &c.sourced_id, c.date_last_modified);
            m.insert("title".into(), c.title.into());
            put(&mut m, "classCode", c.class_code);
            m.insert("classType".into(), c.class_type.into());
            put(&mut m, "location", c.location);
            m.insert("grades".into(), list(c.grades.as_deref()));
            m.insert("subjects".into(), list(c.subject.as_deref()));
            put(&mut m, "course", ref_to(&courses, Some(c.course_id), "courses", "course"));
            put(&mut m, "school", ref_to(&orgs, Some(c.org_id), "schools", "org"));
            let mut ids = terms_of.remove(&c.id).unwrap_or_default();
            ids.sort_unstable();
            let ids: Vec<i64> = if ids.is_empty() { vec![c.term_id] } else { ids.into_iter().map(|t| t.1).collect() };
            let refs: Vec<Value> = ids
                .into_iter()
                .filter_map(|t| ref_to(&terms, Some(t), "academicSessions", "academicSession"))
                .collect();
            m.insert("terms".into(), refs.into());
            m.insert("subjectCodes".into(), list(c.subject_codes.as_deref()));
            m.insert("periods".into(), list(c.periods.as_deref()));
            Value::Object(m)
        })
        .collect())
}

/// `userIds` as the CSV binding stores them, `{type:identifier}` entries.
fn user_ids(v: Option<&str>) -> Value {
    let mut out = Vec::new();
    for part in v.unwrap_or("").split('}') {
        let part = part.trim_start_matches([',', ' ']).trim_start_matches('{');
        if let Some((ty, id)) = part.split_once(':') {
            out.push(json!({"type": ty.trim(), "identifier": id.trim()}));
        }
    }
    Value::Array(out)
}

/// A `user` property for `filter` and `sort`: for a caller whose agreement withholds it,
/// NULL for students, so that filtering or sorting by it reveals nothing of them.
fn student_attribute(p: &Principal, key: &str, column: user::Column) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{CaseStatement, Expr};
    let value = Expr::col((user::Entity, column));
    if learner_key_shared(p, key) {
        return value;
    }
    let is_student = Expr::col((user::Entity, user::Column::Role)).eq(Role::Student.as_str());
    CaseStatement::new().case(is_student, Expr::cust("NULL")).finally(value).into()
}

/// Whether a student's OneRoster `user` property reaches the caller: a vendor's client gets
/// the record's identity and org memberships, and of the rest only the attributes its
/// data-sharing agreement lists (`Learner { ... }`); properties no agreement field names (contact
/// numbers, agents, other identifiers) only when it shares the learner whole.
fn learner_key_shared(p: &Principal, key: &str) -> bool {
    let attribute = match key {
        "sourcedId" | "status" | "dateLastModified" | "metadata" | "roles" | "primaryOrg" | "enabledUser" => {
            return true;
        }
        "givenName" | "familyName" | "middleName" | "pronouns" | "username" | "identifier" | "email" | "grades" => key,
        "preferredFirstName" | "preferredMiddleName" | "preferredLastName" => "preferredName",
        _ => return p.sharing.shares_learner_whole(),
    };
    p.sharing.shares_learner_field(attribute)
}

async fn users_json(db: &impl ConnectionTrait, p: &Principal, rows: Vec<user::Model>) -> AppResult<Vec<Value>> {
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let memberships = entity::user_org::Entity::find()
        .filter(entity::user_org::Column::UserId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let agents = entity::user_agent::Entity::find()
        .filter(entity::user_agent::Column::UserId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let orgs = store::sourced_ids(
        db,
        "orgs",
        memberships.iter().map(|m| m.org_id).chain(rows.iter().filter_map(|u| u.primary_org_id)),
    )
    .await?;
    // Agents (guardians and other relations) the caller may see, as any user.
    let agent_ids: HashMap<i64, String> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::SourcedId])
        .filter(user::Column::Id.is_in(agents.iter().map(|a| a.agent_id)))
        .filter(policy::users_visible(p))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|u| {
            let mut m = rest::record(u.status, &u.sourced_id, u.date_last_modified);
            put(&mut m, "userMasterIdentifier", u.master_identifier);
            put(&mut m, "username", u.username);
            m.insert("userIds".into(), user_ids(u.user_ids.as_deref()));
            m.insert("enabledUser".into(), rest::true_false(u.enabled_user).into());
            m.insert("givenName".into(), u.given_name.into());
            m.insert("familyName".into(), u.family_name.into());
            put(&mut m, "middleName", u.middle_name);
            put(&mut m, "preferredFirstName", u.preferred_name);
            put(&mut m, "preferredMiddleName", u.preferred_middle_name);
            put(&mut m, "preferredLastName", u.preferred_family_name);
            put(&mut m, "pronouns", u.pronouns);
            // Only the memberships of orgs the caller may see: a learner shared by two schools
            // shows a caller limited to one only that one.
            let roles: Vec<Value> = memberships
                .iter()
                .filter(|r| r.user_id == u.id && p.may_see_org(r.org_id))
                .filter_map(|r| {
                    let mut role = serde_json::Map::new();
                    role.insert("roleType".into(), if r.is_primary { "primary" } else { "secondary" }.into());
                    role.insert(
                        "role".into(),
                        r.oneroster_role.clone().unwrap_or_else(|| r.role.as_str().to_owned()).into(),
                    );
                    role.insert("org".into(), ref_to(&orgs, Some(r.org_id), "orgs", "org")?);
                    put(&mut role, "beginDate", r.begin_date.map(|d| d.to_string()));
                    put(&mut role, "endDate", r.end_date.map(|d| d.to_string()));
                    Some(Value::Object(role))
                })
                .collect();
            m.insert("roles".into(), roles.into());
            let primary = u.primary_org_id.filter(|o| p.may_see_org(*o));
            put(&mut m, "primaryOrg", ref_to(&orgs, primary, "orgs", "org"));
            put(&mut m, "identifier", u.identifier);
            put(&mut m, "email", u.email);
            put(&mut m, "sms", u.sms);
            put(&mut m, "phone", u.phone);
            let mut mine: Vec<&entity::user_agent::Model> = agents.iter().filter(|a| a.user_id == u.id).collect();
            mine.sort_by_key(|a| a.position);
            let refs: Vec<Value> =
                mine.into_iter().filter_map(|a| ref_to(&agent_ids, Some(a.agent_id), "users", "user")).collect();
            m.insert("agents".into(), refs.into());
            m.insert("grades".into(), list(u.grades.as_deref()));
            if u.role == Role::Student {
                m.retain(|key, _| learner_key_shared(p, key));
            }
            Value::Object(m)
        })
        .collect())
}

async fn enrollments_json(db: &impl ConnectionTrait, rows: Vec<enrollment::Model>) -> AppResult<Vec<Value>> {
    let users = store::sourced_ids(db, "users", rows.iter().map(|e| e.user_id)).await?;
    let classes: Vec<(i64, String, i64)> = class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::SourcedId, class::Column::OrgId])
        .filter(class::Column::Id.is_in(rows.iter().map(|e| e.class_id)))
        .into_tuple()
        .all(db)
        .await?;
    let schools = store::sourced_ids(db, "orgs", classes.iter().map(|c| c.2)).await?;
    let class_of: HashMap<i64, (&str, i64)> = classes.iter().map(|c| (c.0, (c.1.as_str(), c.2))).collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let mut m = rest::record(e.status, &e.sourced_id, e.date_last_modified);
            put(&mut m, "user", ref_to(&users, Some(e.user_id), "users", "user"));
            if let Some((sourced, org)) = class_of.get(&e.class_id) {
                m.insert("class".into(), reference(BASE, "classes", "class", sourced));
                put(&mut m, "school", ref_to(&schools, Some(*org), "schools", "org"));
            }
            m.insert("role".into(), e.role.as_str().into());
            m.insert("primary".into(), rest::true_false(e.is_primary).into());
            put(&mut m, "beginDate", e.begin_date.map(|d| d.to_string()));
            put(&mut m, "endDate", e.end_date.map(|d| d.to_string()));
            Value::Object(m)
        })
        .collect())
}

async fn demographics_json(db: &impl ConnectionTrait, rows: Vec<demographic::Model>) -> AppResult<Vec<Value>> {
    let users = store::sourced_ids(db, "users", rows.iter().map(|d| d.user_id)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            let sourced = users.get(&d.user_id)?;
            let mut m = rest::record(d.status, sourced, d.date_last_modified);
            // A deleted record is a tombstone: that it was deleted, never what it held.
            if d.status != Status::Active {
                return Some(Value::Object(m));
            }
            put(&mut m, "birthDate", d.birth_date.map(|b| b.to_string()));
            put(&mut m, "sex", d.sex);
            let flags = [
                ("americanIndianOrAlaskaNative", d.american_indian_or_alaska_native),
                ("asian", d.asian),
                ("blackOrAfricanAmerican", d.black_or_african_american),
                ("nativeHawaiianOrOtherPacificIslander", d.native_hawaiian_or_other_pacific_islander),
                ("white", d.white),
                ("demographicRaceTwoOrMoreRaces", d.demographic_race_two_or_more_races),
                ("hispanicOrLatinoEthnicity", d.hispanic_or_latino_ethnicity),
            ];
            for (k, v) in flags {
                put(&mut m, k, v.map(rest::true_false));
            }
            put(&mut m, "countryOfBirthCode", d.country_of_birth_code);
            put(&mut m, "stateOfBirthAbbreviation", d.state_of_birth_abbreviation);
            put(&mut m, "cityOfBirth", d.city_of_birth);
            put(&mut m, "publicSchoolResidenceStatus", d.public_school_residence_status);
            Some(Value::Object(m))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Reading: the store's visible-records queries, filtered, sorted and paged as asked.

fn key(sourced_id: &str) -> Result<Key<'_>, StatusInfo> {
    store::lookup_key(sourced_id).map(Key::Sourced).ok_or_else(|| StatusInfo::unknown("record", sourced_id))
}

async fn org_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<org::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &ORG,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| orgs_json(&s.db, p, rows).await,
    )
    .await
}

/// A school the caller may see, by sourcedId (404 otherwise).
async fn school(s: &AppState, p: &Principal, id: &str) -> Result<org::Model, StatusInfo> {
    p.require(Scope::RosterRead)?;
    store::find_org_of_type(&s.db, p, OrgType::School, key(id)?).await?.ok_or_else(|| StatusInfo::unknown("school", id))
}

async fn org_one(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    id: &str,
    only: Option<OrgType>,
) -> Result<Reply, StatusInfo> {
    p.require(Scope::RosterRead)?;
    let found = store::find_org(&s.db, p, key(id)?).await?.filter(|o| only.is_none_or(|t| o.org_type == t));
    let found = found.ok_or_else(|| StatusInfo::unknown(if only.is_some() { "school" } else { "org" }, id))?;
    rest::one(&ORG, &params, id, orgs_json(&s.db, p, vec![found]).await?)
}

async fn session_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<academic_session::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &SESSION,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| sessions_json(&s.db, p, rows).await,
    )
    .await
}

/// The session types the binding's `terms` endpoints serve: terms, and semesters (which SIS
/// exports use for the terms classes are scheduled in).
const TERMS: &[&str] = &["term", "semester"];
const GRADING_PERIODS: &[&str] = &["gradingPeriod"];

fn sessions_of_type(p: &Principal, types: Option<&[&str]>) -> Select<academic_session::Entity> {
    let q = store::academic_sessions(p, None, ALL);
    match types {
        Some(types) => q.filter(academic_session::Column::SessionType.is_in(types.iter().copied())),
        None => q,
    }
}

async fn session(
    s: &AppState,
    p: &Principal,
    id: &str,
    types: Option<&[&str]>,
) -> Result<academic_session::Model, StatusInfo> {
    p.require(Scope::RosterRead)?;
    let found = store::find_session(&s.db, p, key(id)?)
        .await?
        .filter(|x| types.is_none_or(|t| t.contains(&x.session_type.as_str())));
    let what = match types {
        Some(TERMS) => "term",
        Some(_) => "grading period",
        None => "academic session",
    };
    found.ok_or_else(|| StatusInfo::unknown(what, id))
}

async fn session_one(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    id: &str,
    ty: Option<&[&str]>,
) -> Result<Reply, StatusInfo> {
    let found = session(s, p, id, ty).await?;
    rest::one(&SESSION, &params, id, sessions_json(&s.db, p, vec![found]).await?)
}

async fn course_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<course::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &COURSE,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| courses_json(&s.db, rows).await,
    )
    .await
}

async fn class_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<class::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &CLASS,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| classes_json(&s.db, rows).await,
    )
    .await
}

async fn class(s: &AppState, p: &Principal, id: &str) -> Result<class::Model, StatusInfo> {
    p.require(Scope::RosterRead)?;
    store::find_class(&s.db, p, key(id)?).await?.ok_or_else(|| StatusInfo::unknown("class", id))
}

/// A class of a school, both visible to the caller.
async fn class_in_school(
    s: &AppState,
    p: &Principal,
    school_id: &str,
    class_id: &str,
) -> Result<class::Model, StatusInfo> {
    let school = school(s, p, school_id).await?;
    Some(class(s, p, class_id).await?)
        .filter(|c| c.org_id == school.id)
        .ok_or_else(|| StatusInfo::unknown("class", class_id))
}

/// Classes a user is enrolled in (active enrollments), the user visible to the caller.
async fn classes_of_user(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    id: &str,
    role: Option<Role>,
) -> Result<Reply, StatusInfo> {
    let user = user(s, p, id, role).await?;
    let enrolled = Query::select()
        .column(enrollment::Column::ClassId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::UserId.eq(user.id))
        .and_where(enrollment::Column::Status.eq(Status::Active))
        .to_owned();
    class_list(s, p, params, store::classes(p, None, None, None, ALL).filter(class::Column::Id.in_subquery(enrolled)))
        .await
}

const PEOPLE: [Role; 3] = [Role::Student, Role::Teacher, Role::Administrator];

/// Everyone `users` serves: the people, and the guardians, parents and relatives rostered as
/// students' agents (their references would otherwise name users a client cannot read).
const USERS: [Role; 4] = [Role::Student, Role::Teacher, Role::Administrator, Role::Guardian];

fn roles_of(role: Option<Role>) -> &'static [Role] {
    match role {
        Some(Role::Student) => &[Role::Student],
        Some(Role::Teacher) => &[Role::Teacher],
        _ => &PEOPLE,
    }
}

async fn user_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<user::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &USER,
        q,
        async |q, _id, req| store::user_page(&s.db, p, q, req, true).await,
        async |rows| users_json(&s.db, p, rows).await,
    )
    .await
}

/// A user the caller may see, of `role` when given (a student, a teacher), revealed when a
/// student.
async fn user(s: &AppState, p: &Principal, id: &str, role: Option<Role>) -> Result<user::Model, StatusInfo> {
    p.require(Scope::RosterRead)?;
    let what = match role {
        Some(Role::Student) => "student",
        Some(Role::Teacher) => "teacher",
        _ => "user",
    };
    // Through the store's finders: a student found is revealed on the audit trail.
    let found = match role {
        Some(Role::Student) => store::find_learner(&s.db, p, key(id)?).await?,
        Some(r) => store::find_educator(&s.db, p, key(id)?).await?.filter(|u| u.role == r),
        None => match store::find_educator(&s.db, p, key(id)?).await? {
            Some(staff) => Some(staff),
            None => match store::find_learner(&s.db, p, key(id)?).await? {
                Some(learner) => Some(learner),
                None => store::users(p, &[Role::Guardian], None, None, None, ALL)
                    .filter(user::Column::SourcedId.eq(id))
                    .one(&s.db)
                    .await
                    .map_err(crate::error::AppError::from)?,
            },
        },
    };
    found.ok_or_else(|| StatusInfo::unknown(what, id))
}

async fn user_one(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    id: &str,
    role: Option<Role>,
) -> Result<Reply, StatusInfo> {
    let found = user(s, p, id, role).await?;
    rest::one(&USER, &params, id, users_json(&s.db, p, vec![found]).await?)
}

async fn enrollment_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<enrollment::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &ENROLLMENT,
        q,
        async |q, _id, req| store::enrollment_page(&s.db, p, q, req, true).await,
        async |rows| enrollments_json(&s.db, rows).await,
    )
    .await
}

fn enrollments_of_school(p: &Principal, school: i64) -> Select<enrollment::Entity> {
    let classes = Query::select()
        .column(class::Column::Id)
        .from(class::Entity)
        .and_where(class::Column::OrgId.eq(school))
        .to_owned();
    store::enrollments(p, None, None, ALL).filter(enrollment::Column::ClassId.in_subquery(classes))
}

async fn demographic_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<demographic::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &DEMOGRAPHICS,
        q,
        async |q, _id, req| store::demographic_page(&s.db, p, q, req, true).await,
        async |rows| demographics_json(&s.db, rows).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Handlers: one per operation of the binding, each a line over the readers above.

rest::op!(get_all_orgs, "getAllOrgs", |s, p, params| org_list(
    s,
    p,
    params,
    org::Entity::find().filter(policy::orgs_visible(p))
));
rest::op!(get_org, "getOrg", |s, p, params, id| org_one(s, p, params, id, None));
rest::op!(get_all_schools, "getAllSchools", |s, p, params| org_list(
    s,
    p,
    params,
    store::orgs(p, OrgType::School, None, ALL)
));
rest::op!(get_school, "getSchool", |s, p, params, id| org_one(s, p, params, id, Some(OrgType::School)));

rest::op!(get_all_academic_sessions, "getAllAcademicSessions", |s, p, params| session_list(
    s,
    p,
    params,
    sessions_of_type(p, None)
));
rest::op!(get_academic_session, "getAcademicSession", |s, p, params, id| session_one(s, p, params, id, None));
rest::op!(get_all_terms, "getAllTerms", |s, p, params| session_list(s, p, params, sessions_of_type(p, Some(TERMS))));
rest::op!(get_term, "getTerm", |s, p, params, id| session_one(s, p, params, id, Some(TERMS)));
rest::op!(get_all_grading_periods, "getAllGradingPeriods", |s, p, params| {
    session_list(s, p, params, sessions_of_type(p, Some(GRADING_PERIODS)))
});
rest::op!(get_grading_period, "getGradingPeriod", |s, p, params, id| session_one(
    s,
    p,
    params,
    id,
    Some(GRADING_PERIODS)
));
rest::op!(get_grading_periods_for_term, "getGradingPeriodsForTerm", |s, p, params, id| async move {
    let term = session(s, p, id, Some(TERMS)).await?;
    session_list(
        s,
        p,
        params,
        sessions_of_type(p, Some(GRADING_PERIODS)).filter(academic_session::Column::ParentId.eq(term.id)),
    )
    .await
});
rest::op!(get_terms_for_school, "getTermsForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    // The school's own terms and those of the orgs above it (a district's terms are every
    // school's): the school and its ancestors, walked up from it.
    let mut owners = vec![school.id];
    let mut parent = school.parent_id;
    while let Some(id) = parent.filter(|id| !owners.contains(id)) {
        owners.push(id);
        parent = org::Entity::find_by_id(id).one(&s.db).await.map_err(AppError::from)?.and_then(|o| o.parent_id);
    }
    let q = sessions_of_type(p, Some(TERMS)).filter(academic_session::Column::OrgId.is_in(owners));
    session_list(s, p, params, q).await
});

rest::op!(get_all_courses, "getAllCourses", |s, p, params| course_list(s, p, params, store::courses(p, None, ALL)));
rest::op!(get_course, "getCourse", |s, p, params, id| async move {
    p.require(Scope::RosterRead)?;
    let found = store::find_course(&s.db, p, key(id)?).await?.ok_or_else(|| StatusInfo::unknown("course", id))?;
    rest::one(&COURSE, &params, id, courses_json(&s.db, vec![found]).await?)
});
rest::op!(get_courses_for_school, "getCoursesForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    course_list(s, p, params, store::courses(p, Some(school.id), ALL)).await
});

rest::op!(get_all_classes, "getAllClasses", |s, p, params| class_list(
    s,
    p,
    params,
    store::classes(p, None, None, None, ALL)
));
rest::op!(get_class, "getClass", |s, p, params, id| async move {
    let found = class(s, p, id).await?;
    rest::one(&CLASS, &params, id, classes_json(&s.db, vec![found]).await?)
});
rest::op!(get_classes_for_school, "getClassesForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    class_list(s, p, params, store::classes(p, Some(school.id), None, None, ALL)).await
});
rest::op!(get_classes_for_course, "getClassesForCourse", |s, p, params, id| async move {
    p.require(Scope::RosterRead)?;
    let course = store::find_course(&s.db, p, key(id)?).await?.ok_or_else(|| StatusInfo::unknown("course", id))?;
    class_list(s, p, params, store::classes(p, None, Some(course.id), None, ALL)).await
});
rest::op!(get_classes_for_term, "getClassesForTerm", |s, p, params, id| async move {
    let term = session(s, p, id, Some(TERMS)).await?;
    // A class runs in one or more terms: its own, and those of `class_terms`.
    let in_terms = Query::select()
        .column(class_term::Column::ClassId)
        .from(class_term::Entity)
        .and_where(class_term::Column::TermId.eq(term.id))
        .to_owned();
    let q = store::classes(p, None, None, None, ALL).filter(
        sea_orm::Condition::any().add(class::Column::TermId.eq(term.id)).add(class::Column::Id.in_subquery(in_terms)),
    );
    class_list(s, p, params, q).await
});
rest::op!(get_classes_for_user, "getClassesForUser", |s, p, params, id| classes_of_user(s, p, params, id, None));
rest::op!(get_classes_for_student, "getClassesForStudent", |s, p, params, id| {
    classes_of_user(s, p, params, id, Some(Role::Student))
});
rest::op!(get_classes_for_teacher, "getClassesForTeacher", |s, p, params, id| {
    classes_of_user(s, p, params, id, Some(Role::Teacher))
});

rest::op!(get_all_users, "getAllUsers", |s, p, params| user_list(
    s,
    p,
    params,
    store::users(p, &USERS, None, None, None, ALL)
));
rest::op!(get_user, "getUser", |s, p, params, id| user_one(s, p, params, id, None));
rest::op!(get_all_students, "getAllStudents", |s, p, params| {
    user_list(s, p, params, store::users(p, roles_of(Some(Role::Student)), None, None, None, ALL))
});
rest::op!(get_student, "getStudent", |s, p, params, id| user_one(s, p, params, id, Some(Role::Student)));
rest::op!(get_all_teachers, "getAllTeachers", |s, p, params| {
    user_list(s, p, params, store::users(p, roles_of(Some(Role::Teacher)), None, None, None, ALL))
});
rest::op!(get_teacher, "getTeacher", |s, p, params, id| user_one(s, p, params, id, Some(Role::Teacher)));
rest::op!(get_students_for_school, "getStudentsForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    user_list(s, p, params, store::users(p, &[Role::Student], Some(school.id), None, None, ALL)).await
});
rest::op!(get_teachers_for_school, "getTeachersForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    user_list(s, p, params, store::users(p, &[Role::Teacher], Some(school.id), None, None, ALL)).await
});
rest::op!(get_students_for_class, "getStudentsForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    user_list(s, p, params, store::users(p, &[Role::Student], None, Some(class.id), None, ALL)).await
});
rest::op!(get_teachers_for_class, "getTeachersForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    user_list(s, p, params, store::users(p, &[Role::Teacher], None, Some(class.id), None, ALL)).await
});
rest::op!(get_students_for_class_in_school, "getStudentsForClassInSchool", |s, p, params, id, class_id| async move {
    let class = class_in_school(s, p, id, class_id).await?;
    user_list(s, p, params, store::users(p, &[Role::Student], None, Some(class.id), None, ALL)).await
});
rest::op!(get_teachers_for_class_in_school, "getTeachersForClassInSchool", |s, p, params, id, class_id| async move {
    let class = class_in_school(s, p, id, class_id).await?;
    user_list(s, p, params, store::users(p, &[Role::Teacher], None, Some(class.id), None, ALL)).await
});

rest::op!(get_all_enrollments, "getAllEnrollments", |s, p, params| enrollment_list(
    s,
    p,
    params,
    store::enrollments(p, None, None, ALL)
));
rest::op!(get_enrollment, "getEnrollment", |s, p, params, id| async move {
    p.require(Scope::RosterRead)?;
    let found =
        store::find_enrollment(&s.db, p, key(id)?).await?.ok_or_else(|| StatusInfo::unknown("enrollment", id))?;
    rest::one(&ENROLLMENT, &params, id, enrollments_json(&s.db, vec![found]).await?)
});
rest::op!(get_enrollments_for_school, "getEnrollmentsForSchool", |s, p, params, id| async move {
    let school = school(s, p, id).await?;
    enrollment_list(s, p, params, enrollments_of_school(p, school.id)).await
});
rest::op!(
    get_enrollments_for_class_in_school,
    "getEnrollmentsForClassInSchool",
    |s, p, params, id, class_id| async move {
        let class = class_in_school(s, p, id, class_id).await?;
        enrollment_list(s, p, params, store::enrollments(p, Some(class.id), None, ALL)).await
    }
);

rest::op!(get_all_demographics, "getAllDemographics", |s, p, params| demographic_list(
    s,
    p,
    params,
    store::demographics(p, ALL)
));
rest::op!(get_demographics, "getDemographics", |s, p, params, id| async move {
    p.require(Scope::DemographicsRead)?;
    let lookup = key(id)?;
    let Key::Sourced(sourced) = lookup else { return Err(StatusInfo::unknown("demographics", id)) };
    let owner = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::SourcedId.eq(sourced))
        .to_owned();
    let q = store::demographics(p, ALL).filter(demographic::Column::UserId.in_subquery(owner));
    let page = store::demographic_page(&s.db, p, q, PageRequest::Offset { limit: 1, offset: 0 }, false).await?;
    if page.rows.is_empty() {
        return Err(StatusInfo::unknown("demographics", id));
    }
    rest::one(&DEMOGRAPHICS, &params, id, demographics_json(&s.db, page.rows).await?)
});
