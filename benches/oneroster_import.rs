//! OneRoster CSV import at district scale: a generated OneRoster 1.2 bulk set (by default
//! 50,000 students, 3,000 staff, 10,000 classes, 400,000 enrollments, 50 schools) imported by
//! the real binary (`learnergraph import oneroster DIR`, a child process) into a freshly
//! migrated database, against a floor measured in the same run that loads the same rows into
//! the same tables of another freshly migrated database: PostgreSQL `COPY ... FROM STDIN`, or on
//! SQLite one prepared multi-row `INSERT` per table (chunks within the bind limit) in one
//! transaction. The floor is given every id, so it resolves no reference and reads nothing
//! back; it skips the changes feed and the import's record, and it does not read the CSV (the
//! time to parse the files alone is printed beside it).
//!
//! Then the same set is imported again into the imported database: nothing may change.
//! Targets (the issue): import at most 3x the floor, the re-import at most a third of the
//! first import, the importing process's peak RSS under 300 MB. The run also checks the rows
//! written and the re-import's counts.
//!
//! `cargo bench --bench oneroster_import` (SQLite); with `BENCH_DATABASE_URL=postgres://...`
//! PostgreSQL too. `ORB_STUDENTS` scales the district (everything proportional); the set is
//! deterministic. `ORB_KEEP=1` keeps the set and the databases (the path is printed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_learnergraph");
const TARGET_IMPORT_RATIO: f64 = 3.0;
const TARGET_REIMPORT_RATIO: f64 = 1.0 / 3.0;
const TARGET_RSS_MB: f64 = 300.0;
const YEAR: &str = "ay-2027";
const TERMS: [&str; 2] = ["sem-2027-1", "sem-2027-2"];
const BEGIN: &str = "2026-08-24";
const END: &str = "2027-06-10";
const GIVEN: [&str; 16] = [
    "Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Chloe", "Mateo", "Aria", "Lucas", "Nora", "Omar", "Ines", "Kai",
    "Sofia", "Yusuf",
];
const FAMILY: [&str; 16] = [
    "Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Tanaka", "Silva", "Brown", "Ivanova", "Khan",
    "Murphy", "Rossi", "Dubois", "Larsen", "Moreno",
];
const SUBJECTS: [(&str, &str); 5] = [
    ("Mathematics", "MATH"),
    ("English Language Arts", "ELA"),
    ("Science", "SCI"),
    ("Social Studies", "SS"),
    ("Physical Education", "PE"),
];
const GRADES: [&str; 13] = ["KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];

/// The district's size.
#[derive(Clone, Copy, Debug)]
struct Scale {
    schools: usize,
    students: usize,
    staff: usize,
    courses: usize,
    classes: usize,
    enrollments: usize,
}

impl Scale {
    fn from_env() -> Scale {
        let students: usize = std::env::var("ORB_STUDENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
        let f = students as f64 / 50_000.0;
        let p = |n: f64| ((n * f).round() as usize).max(1);
        let schools = p(50.0).max(2);
        Scale {
            schools,
            students,
            // A principal per school, a district administrator, and at least a teacher per school.
            staff: p(3000.0).max(2 * schools + 1),
            courses: p(1000.0).max(schools),
            classes: p(10_000.0).max(schools),
            enrollments: p(400_000.0).max(p(10_000.0).max(schools) + students),
        }
    }

    fn teachers(&self) -> usize {
        self.staff - self.schools - 1
    }

    /// The classes of a school, as indices `school + schools * m`.
    fn classes_in(&self, school: usize) -> usize {
        (self.classes - school).div_ceil(self.schools)
    }

    fn course_of(&self, class: usize) -> usize {
        let s = class % self.schools;
        s + self.schools * ((class / self.schools) % (self.courses / self.schools))
    }

    fn teacher_of(&self, class: usize) -> usize {
        let s = class % self.schools;
        let per_school = self.teachers() / self.schools;
        s + self.schools * ((class / self.schools) % per_school)
    }

    /// Classes each student takes: the first `extra` students one more than `base`.
    fn student_load(&self) -> (usize, usize) {
        let n = self.enrollments - self.classes;
        (n / self.students, n % self.students)
    }

    fn classes_of(&self, student: usize) -> impl Iterator<Item = usize> + '_ {
        let (base, extra) = self.student_load();
        let k = base + usize::from(student < extra);
        let school = student % self.schools;
        let in_school = self.classes_in(school);
        let step = (in_school / (base + 1)).max(1);
        let start = (student / self.schools) * 7;
        (0..k).map(move |j| school + self.schools * ((start + j * step) % in_school))
    }
}

fn school_sid(i: usize) -> String {
    format!("sch-{i:03}")
}
fn course_sid(i: usize) -> String {
    format!("crs-{i:05}")
}
fn class_sid(i: usize) -> String {
    format!("cls-{i:06}")
}
fn student_sid(i: usize) -> String {
    format!("stu-{i:06}")
}
fn staff_sid(i: usize) -> String {
    format!("stf-{i:05}")
}
fn grade_of_student(i: usize) -> &'static str {
    GRADES[(i / 7) % GRADES.len()]
}
fn class_terms(i: usize) -> &'static [&'static str] {
    match i % 3 {
        0 => &TERMS,
        1 => &TERMS[..1],
        _ => &TERMS[1..],
    }
}

/// A staff member's role: a principal per school, then a district administrator, then
/// teachers (teacher `j` at school `j % schools`). Returns (OneRoster role, coarse role, org).
fn staff_role(s: &Scale, i: usize) -> (&'static str, &'static str, String) {
    if i < s.schools {
        ("principal", "administrator", school_sid(i))
    } else if i == s.schools {
        ("districtAdministrator", "administrator", "dist-1".to_owned())
    } else {
        ("teacher", "teacher", school_sid((i - s.schools - 1) % s.schools))
    }
}

/// One user, as both the CSV and the floor see it.
struct UserRow {
    sid: String,
    role: &'static str,
    coarse: &'static str,
    org: String,
    given: &'static str,
    family: &'static str,
    username: String,
    email: String,
    identifier: String,
    user_ids: String,
    master: String,
    grades: Option<&'static str>,
    phone: Option<String>,
}

fn user_row(s: &Scale, n: usize) -> UserRow {
    let (sid, role, coarse, org, grades, phone) = if n < s.students {
        (student_sid(n), "student", "student", school_sid(n % s.schools), Some(grade_of_student(n)), None)
    } else {
        let i = n - s.students;
        let (role, coarse, org) = staff_role(s, i);
        (staff_sid(i), role, coarse, org, None, Some(format!("555-{:04}", i % 10_000)))
    };
    let given = GIVEN[n % GIVEN.len()];
    let family = FAMILY[(n / GIVEN.len()) % FAMILY.len()];
    let username = format!("{}.{}{n}", given.to_lowercase(), family.to_lowercase());
    UserRow {
        email: format!("{username}@district.example"),
        identifier: format!("ID{n:07}"),
        user_ids: format!("{{SIS:{sid}}}"),
        master: format!("M{n:07}"),
        sid,
        role,
        coarse,
        org,
        given,
        family,
        username,
        grades,
        phone,
    }
}

/// Writes the set (manifest and the seven rostering files) into `dir`; returns the rows per file.
fn write_set(s: &Scale, dir: &Path) -> Vec<(&'static str, usize)> {
    std::fs::create_dir_all(dir).unwrap();
    let open = |name: &str, header: &[&str]| {
        let mut w = csv::Writer::from_path(dir.join(format!("{name}.csv"))).unwrap();
        w.write_record(header).unwrap();
        w
    };
    let mut counts = Vec::new();

    let mut w = open("manifest", &["propertyName", "value"]);
    w.write_record(["manifest.version", "1.0"]).unwrap();
    w.write_record(["oneroster.version", "1.2"]).unwrap();
    w.write_record(["source.systemName", "learnergraph bench"]).unwrap();
    w.write_record(["source.systemCode", "orbench"]).unwrap();
    const PRESENT: [&str; 7] = ["academicSessions", "classes", "courses", "enrollments", "orgs", "roles", "users"];
    for name in [
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "demographics",
        "enrollments",
        "lineItemLearningObjectiveIds",
        "lineItems",
        "lineItemScoreScales",
        "orgs",
        "resources",
        "resultLearningObjectiveIds",
        "results",
        "resultScoreScales",
        "roles",
        "scoreScales",
        "userProfiles",
        "userResources",
        "users",
    ] {
        let mode = if PRESENT.contains(&name) { "bulk" } else { "absent" };
        w.write_record([format!("file.{name}"), mode.to_owned()]).unwrap();
    }
    w.flush().unwrap();

    let mut w =
        open("orgs", &["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]);
    w.write_record(["dist-1", "", "", "Bench Unified School District", "district", "D1", ""]).unwrap();
    for i in 0..s.schools {
        w.write_record([&school_sid(i), "", "", &format!("School {i}"), "school", &format!("S{i:03}"), "dist-1"])
            .unwrap();
    }
    w.flush().unwrap();
    counts.push(("orgs", s.schools + 1));

    let mut w = open(
        "academicSessions",
        &[
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
    );
    w.write_record([YEAR, "", "", "2026-27", "schoolYear", BEGIN, END, "", "2027"]).unwrap();
    w.write_record([TERMS[0], "", "", "Fall 2026", "semester", BEGIN, "2027-01-15", YEAR, "2027"]).unwrap();
    w.write_record([TERMS[1], "", "", "Spring 2027", "semester", "2027-01-19", END, YEAR, "2027"]).unwrap();
    w.flush().unwrap();
    counts.push(("academicSessions", 3));

    let mut w = open(
        "courses",
        &[
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
    );
    for i in 0..s.courses {
        let (subject, code) = SUBJECTS[i % SUBJECTS.len()];
        let course_code = format!("{code}-{i:05}");
        let grade = GRADES[i % GRADES.len()];
        w.write_record([
            course_sid(i).as_str(),
            "",
            "",
            YEAR,
            &format!("{subject} {grade}"),
            &course_code,
            grade,
            &school_sid(i % s.schools),
            subject,
            code,
        ])
        .unwrap();
    }
    w.flush().unwrap();
    counts.push(("courses", s.courses));

    let mut w = open(
        "classes",
        &[
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
    );
    for i in 0..s.classes {
        let course = s.course_of(i);
        let (subject, code) = SUBJECTS[course % SUBJECTS.len()];
        w.write_record([
            class_sid(i).as_str(),
            "",
            "",
            &format!("{subject} section {i}"),
            GRADES[course % GRADES.len()],
            &course_sid(course),
            &format!("{code}-{i:06}"),
            "scheduled",
            &format!("Room {}", 100 + i % 40),
            &school_sid(i % s.schools),
            &class_terms(i).join(","),
            subject,
            code,
            &format!("{}", 1 + i % 7),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    counts.push(("classes", s.classes));

    let mut users = open(
        "users",
        &[
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
    );
    let mut roles = open(
        "roles",
        &[
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
    );
    for n in 0..s.students + s.staff {
        let u = user_row(s, n);
        users
            .write_record([
                u.sid.as_str(),
                "",
                "",
                "true",
                &u.username,
                &u.user_ids,
                u.given,
                u.family,
                "",
                &u.identifier,
                &u.email,
                "",
                u.phone.as_deref().unwrap_or(""),
                "",
                u.grades.unwrap_or(""),
                "",
                &u.master,
                "",
                "",
                "",
                "",
                &u.org,
                "",
            ])
            .unwrap();
        roles
            .write_record([&format!("role-{}", u.sid), "", "", &u.sid, "primary", u.role, BEGIN, "", &u.org, ""])
            .unwrap();
    }
    users.flush().unwrap();
    roles.flush().unwrap();
    counts.push(("users", s.students + s.staff));
    counts.push(("roles", s.students + s.staff));

    let mut w = open(
        "enrollments",
        &[
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
    );
    let mut n = 0;
    for c in 0..s.classes {
        let t = staff_sid(s.schools + 1 + s.teacher_of(c));
        w.write_record([
            &format!("enr-t-{c:06}"),
            "",
            "",
            &class_sid(c),
            &school_sid(c % s.schools),
            &t,
            "teacher",
            "true",
            BEGIN,
            END,
        ])
        .unwrap();
        n += 1;
    }
    for st in 0..s.students {
        for (j, c) in s.classes_of(st).enumerate() {
            w.write_record([
                &format!("enr-{st:06}-{j}"),
                "",
                "",
                &class_sid(c),
                &school_sid(c % s.schools),
                &student_sid(st),
                "student",
                "false",
                BEGIN,
                END,
            ])
            .unwrap();
            n += 1;
        }
    }
    w.flush().unwrap();
    assert_eq!(n, s.enrollments);
    counts.push(("enrollments", n));
    counts
}

/// A value of the floor's rows.
#[derive(Clone, Debug)]
enum V {
    I(i64),
    T(String),
    S(&'static str),
    B(bool),
    Null,
}

impl From<&'static str> for V {
    fn from(s: &'static str) -> V {
        V::S(s)
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::T(s)
    }
}
impl From<i64> for V {
    fn from(i: i64) -> V {
        V::I(i)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::B(b)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(o: Option<T>) -> V {
        o.map_or(V::Null, Into::into)
    }
}

macro_rules! row {
    ($($v:expr),* $(,)?) => { vec![$(V::from($v)),*] };
}

/// One table of the floor: its name, columns and rows (every id given).
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

const TABLES: [&str; 8] =
    ["orgs", "academic_sessions", "courses", "classes", "class_terms", "users", "user_orgs", "enrollments"];

/// The rows the import writes into `name`, with the ids a fresh database would give them.
/// `now` is the timestamp as the backend's text form.
fn table(s: &Scale, name: &str, now_text: &str) -> Table {
    let school_id = |i: usize| (i + 2) as i64;
    let now = || V::T(now_text.to_owned());
    let term_id = |t: &str| if t == TERMS[0] { 2i64 } else { 3 };
    match name {
        "orgs" => {
            let mut rows =
                vec![row![1i64, "dist-1", "active", now(), "district", "Bench Unified School District", "D1", V::Null]];
            for i in 0..s.schools {
                rows.push(row![
                    school_id(i),
                    school_sid(i),
                    "active",
                    now(),
                    "school",
                    format!("School {i}"),
                    format!("S{i:03}"),
                    1i64
                ]);
            }
            Table {
                name: "orgs",
                columns: &[
                    "id",
                    "sourced_id",
                    "status",
                    "date_last_modified",
                    "org_type",
                    "name",
                    "identifier",
                    "parent_id",
                ],
                rows,
            }
        }
        "academic_sessions" => Table {
            name: "academic_sessions",
            columns: &[
                "id",
                "sourced_id",
                "status",
                "date_last_modified",
                "org_id",
                "title",
                "session_type",
                "start_date",
                "end_date",
                "school_year",
                "parent_id",
            ],
            rows: vec![
                row![1i64, YEAR, "active", now(), 1i64, "2026-27", "schoolYear", BEGIN, END, 2027i64, V::Null],
                row![
                    2i64,
                    TERMS[0],
                    "active",
                    now(),
                    1i64,
                    "Fall 2026",
                    "semester",
                    BEGIN,
                    "2027-01-15",
                    2027i64,
                    1i64
                ],
                row![
                    3i64,
                    TERMS[1],
                    "active",
                    now(),
                    1i64,
                    "Spring 2027",
                    "semester",
                    "2027-01-19",
                    END,
                    2027i64,
                    1i64
                ],
            ],
        },
        "courses" => Table {
            name: "courses",
            columns: &[
                "id",
                "sourced_id",
                "status",
                "date_last_modified",
                "org_id",
                "title",
                "course_code",
                "subject",
                "grades",
                "school_year_id",
                "subject_codes",
            ],
            rows: (0..s.courses)
                .map(|i| {
                    let (subject, code) = SUBJECTS[i % SUBJECTS.len()];
                    let grade = GRADES[i % GRADES.len()];
                    row![
                        (i + 1) as i64,
                        course_sid(i),
                        "active",
                        now(),
                        school_id(i % s.schools),
                        format!("{subject} {grade}"),
                        format!("{code}-{i:05}"),
                        subject,
                        grade,
                        1i64,
                        code
                    ]
                })
                .collect(),
        },
        "classes" => Table {
            name: "classes",
            columns: &[
                "id",
                "sourced_id",
                "status",
                "date_last_modified",
                "org_id",
                "course_id",
                "term_id",
                "title",
                "class_code",
                "class_type",
                "subject",
                "location",
                "grades",
                "subject_codes",
                "periods",
            ],
            rows: (0..s.classes)
                .map(|i| {
                    let course = s.course_of(i);
                    let (subject, code) = SUBJECTS[course % SUBJECTS.len()];
                    row![
                        (i + 1) as i64,
                        class_sid(i),
                        "active",
                        now(),
                        school_id(i % s.schools),
                        (course + 1) as i64,
                        term_id(class_terms(i)[0]),
                        format!("{subject} section {i}"),
                        format!("{code}-{i:06}"),
                        "scheduled",
                        subject,
                        format!("Room {}", 100 + i % 40),
                        GRADES[course % GRADES.len()],
                        code,
                        format!("{}", 1 + i % 7)
                    ]
                })
                .collect(),
        },
        "class_terms" => Table {
            name: "class_terms",
            columns: &["class_id", "term_id", "position"],
            rows: (0..s.classes)
                .flat_map(|i| {
                    class_terms(i).iter().enumerate().map(move |(p, t)| row![(i + 1) as i64, term_id(t), p as i64])
                })
                .collect(),
        },
        "users" => Table {
            name: "users",
            columns: &[
                "id",
                "sourced_id",
                "status",
                "date_last_modified",
                "role",
                "given_name",
                "family_name",
                "preferred_name",
                "username",
                "email",
                "identifier",
                "grades",
                "enabled_user",
                "middle_name",
                "preferred_middle_name",
                "preferred_family_name",
                "user_ids",
                "sms",
                "phone",
                "master_identifier",
                "pronouns",
                "primary_org_id",
            ],
            rows: (0..s.students + s.staff)
                .map(|n| {
                    let u = user_row(s, n);
                    row![
                        (n + 1) as i64,
                        u.sid,
                        "active",
                        now(),
                        u.coarse,
                        u.given,
                        u.family,
                        V::Null,
                        u.username,
                        u.email,
                        u.identifier,
                        u.grades,
                        true,
                        V::Null,
                        V::Null,
                        V::Null,
                        u.user_ids,
                        V::Null,
                        u.phone,
                        u.master,
                        V::Null,
                        org_id(s, &u.org)
                    ]
                })
                .collect(),
        },
        "user_orgs" => Table {
            name: "user_orgs",
            columns: &[
                "user_id",
                "org_id",
                "role",
                "is_primary",
                "sourced_id",
                "oneroster_role",
                "begin_date",
                "end_date",
            ],
            rows: (0..s.students + s.staff)
                .map(|n| {
                    let u = user_row(s, n);
                    row![
                        (n + 1) as i64,
                        org_id(s, &u.org),
                        u.coarse,
                        true,
                        format!("role-{}", u.sid),
                        u.role,
                        BEGIN,
                        V::Null
                    ]
                })
                .collect(),
        },
        "enrollments" => {
            let mut rows = Vec::with_capacity(s.enrollments);
            let mut id = 0i64;
            for c in 0..s.classes {
                id += 1;
                let teacher = s.students + s.schools + 1 + s.teacher_of(c);
                rows.push(row![
                    id,
                    format!("enr-t-{c:06}"),
                    "active",
                    now(),
                    (c + 1) as i64,
                    (teacher + 1) as i64,
                    "teacher",
                    true,
                    BEGIN,
                    END
                ]);
            }
            for st in 0..s.students {
                for (j, c) in s.classes_of(st).enumerate() {
                    id += 1;
                    rows.push(row![
                        id,
                        format!("enr-{st:06}-{j}"),
                        "active",
                        now(),
                        (c + 1) as i64,
                        (st + 1) as i64,
                        "student",
                        false,
                        BEGIN,
                        END
                    ]);
                }
            }
            Table {
                name: "enrollments",
                columns: &[
                    "id",
                    "sourced_id",
                    "status",
                    "date_last_modified",
                    "class_id",
                    "user_id",
                    "role",
                    "is_primary",
                    "begin_date",
                    "end_date",
                ],
                rows,
            }
        }
        other => panic!("no floor table {other}"),
    }
}

fn org_id(s: &Scale, sid: &str) -> i64 {
    if sid == "dist-1" {
        return 1;
    }
    let i: usize = sid.trim_start_matches("sch-").parse().unwrap();
    assert!(i < s.schools);
    (i + 2) as i64
}

/// The floor on SQLite: one prepared multi-row INSERT per table (the last chunk of a table has
/// its own), all in one transaction. Returns the time spent in the database (row generation
/// is not counted).
async fn floor_sqlite(s: &Scale, url: &str) -> Duration {
    use sqlx::{Connection, sqlite::SqliteConnection};
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    // What sqlx writes for a `DateTime<Utc>` in SQLite.
    let now_text = learnergraph::db::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let mut spent = Duration::ZERO;
    let t = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    spent += t.elapsed();
    for name in TABLES {
        let table = table(s, name, &now_text);
        let t = Instant::now();
        let per_row = table.columns.len();
        let chunk = 32_766 / per_row;
        let one = format!("({})", vec!["?"; per_row].join(","));
        for rows in table.rows.chunks(chunk) {
            let sql = format!(
                "INSERT INTO \"{}\" ({}) VALUES {}",
                table.name,
                table.columns.join(","),
                vec![one.as_str(); rows.len()].join(",")
            );
            // Built here from the fixed table and column names above, no input.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in rows {
                for v in row {
                    q = match v {
                        V::I(i) => q.bind(*i),
                        V::T(t) => q.bind(t.as_str()),
                        V::S(t) => q.bind(*t),
                        V::B(b) => q.bind(*b),
                        V::Null => q.bind(None::<i64>),
                    };
                }
            }
            q.execute(&mut *tx).await.unwrap();
        }
        spent += t.elapsed();
    }
    let t = Instant::now();
    tx.commit().await.unwrap();
    spent += t.elapsed();
    conn.close().await.unwrap();
    spent
}

/// COPY's text format for one value.
fn copy_text(out: &mut String, v: &V) {
    use std::fmt::Write;
    match v {
        V::I(i) => write!(out, "{i}").unwrap(),
        V::B(b) => out.push(if *b { 't' } else { 'f' }),
        V::Null => out.push_str("\\N"),
        V::T(t) => escape(out, t),
        V::S(t) => escape(out, t),
    }
}

fn escape(out: &mut String, t: &str) {
    for c in t.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The floor on PostgreSQL: `COPY table (columns) FROM STDIN` per table, the rows encoded in
/// COPY's text format (counted) and sent in 1 MB pieces, in one transaction.
async fn floor_postgres(s: &Scale, url: &str) -> Duration {
    use sqlx::{Connection, Executor, postgres::PgConnection};
    let mut conn = PgConnection::connect(url).await.unwrap();
    let now = learnergraph::db::now().to_rfc3339();
    let mut spent = Duration::ZERO;
    let t = Instant::now();
    conn.execute("BEGIN").await.unwrap();
    spent += t.elapsed();
    for name in TABLES {
        let table = table(s, name, &now);
        let t = Instant::now();
        let mut copy = conn
            .copy_in_raw(&format!("COPY \"{}\" ({}) FROM STDIN", table.name, table.columns.join(",")))
            .await
            .unwrap();
        let mut buf = String::with_capacity(1 << 20);
        for row in &table.rows {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    buf.push('\t');
                }
                copy_text(&mut buf, v);
            }
            buf.push('\n');
            if buf.len() >= 1 << 20 {
                copy.send(buf.as_bytes()).await.unwrap();
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await.unwrap();
        }
        let n = copy.finish().await.unwrap();
        assert_eq!(n as usize, table.rows.len());
        spent += t.elapsed();
    }
    let t = Instant::now();
    conn.execute("COMMIT").await.unwrap();
    spent += t.elapsed();
    conn.close().await.unwrap();
    spent
}

/// What one run of the binary did.
struct Run {
    took: Duration,
    peak_rss_mb: f64,
    report: Value,
    /// Each `progress:` line with the seconds since the start it arrived at.
    progress: Vec<(f64, String)>,
}

/// Runs `learnergraph ARGS` against `url` (from a scratch directory, so no `.env` applies),
/// timing it and taking its peak RSS from `wait4`.
// The child is reaped by `wait4`, which also gives its resource usage; std's `wait` would not.
#[allow(clippy::zombie_processes)]
fn run_cli(url: &str, args: &[&str], scratch: &Path) -> Run {
    let t = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .current_dir(scratch)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut progress = Vec::new();
        let mut other = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.starts_with("progress:") {
                progress.push((t.elapsed().as_secs_f64(), line));
            } else if other.len() < 20 {
                other.push(line);
            }
        }
        (progress, other)
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet reaped (std's Child is never waited on), and both
    // pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = t.elapsed();
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let stdout = out.join().unwrap();
    let (progress, other) = err.join().unwrap();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(ok, "learnergraph {args:?} failed ({status}):\n{}\n{stdout}", other.join("\n"));
    let report = if args.first() == Some(&"import") { serde_json::from_str(&stdout).unwrap() } else { Value::Null };
    Run { took, peak_rss_mb: usage.ru_maxrss as f64 / 1024.0, report, progress }
}

/// A fresh database: a new SQLite file in `scratch`, or a new database on the PostgreSQL server.
async fn fresh(label: &str, scratch: &Path, n: &str) -> String {
    if label == "postgres" {
        common::fresh_postgres(&std::env::var("BENCH_DATABASE_URL").unwrap()).await
    } else {
        format!("sqlite://{}?mode=rwc", scratch.join(format!("{n}.db")).display())
    }
}

async fn count(url: &str, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    db.close().await.unwrap();
    n
}

/// Parses every file of the set with the csv crate, as the import's passes read them.
fn parse_only(dir: &Path) -> Duration {
    let t = Instant::now();
    for name in ["orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments"] {
        let mut r = csv::Reader::from_path(dir.join(format!("{name}.csv"))).unwrap();
        let mut rec = csv::StringRecord::new();
        while r.read_record(&mut rec).unwrap() {}
    }
    t.elapsed()
}

/// Seconds from one `progress: writing X` line to the next (the last to the end), and from
/// the start to the first (reading the set, the first pass and loading what is stored).
fn phases(run: &Run) -> String {
    let mut out = Vec::new();
    let mut last = (0.0, "start..first pass+load".to_owned());
    for (at, line) in &run.progress {
        out.push(format!("{} {:.2}s", last.1, at - last.0));
        last = (*at, line.trim_start_matches("progress: writing ").to_owned());
    }
    out.push(format!("{}..exit {:.2}s", last.1, run.took.as_secs_f64() - last.0));
    out.join(", ")
}

async fn bench(label: &str, s: &Scale, set: &Path, scratch: &Path, rows: usize, parse: Duration) {
    // The floor, on its own fresh database.
    let floor_url = fresh(label, scratch, "floor").await;
    run_cli(&floor_url, &["migrate"], scratch);
    let floor = match label {
        "postgres" => floor_postgres(s, &floor_url).await,
        _ => floor_sqlite(s, &floor_url).await,
    };
    let mut floor_counts = Vec::new();
    for t in TABLES {
        floor_counts.push(count(&floor_url, t).await);
    }

    // The import, then the same set again.
    let url = fresh(label, scratch, "import").await;
    run_cli(&url, &["migrate"], scratch);
    let set_arg = set.to_str().unwrap();
    let first = run_cli(&url, &["import", "oneroster", set_arg], scratch);
    assert_eq!(first.report["outcome"], "applied", "{}", first.report);
    assert_eq!(count(&url, "users").await as usize, s.students + s.staff);
    assert_eq!(count(&url, "enrollments").await as usize, s.enrollments);
    assert_eq!(count(&url, "classes").await as usize, s.classes);
    for (t, n) in TABLES.iter().zip(&floor_counts) {
        assert_eq!(count(&url, t).await, *n, "{t}: the import wrote other rows than the floor");
    }
    let again = run_cli(&url, &["import", "oneroster", set_arg], scratch);
    assert_eq!(again.report["outcome"], "applied", "{}", again.report);
    for (file, c) in again.report["counts"].as_object().unwrap() {
        for what in ["created", "updated", "deleted", "skipped"] {
            assert_eq!(c[what], 0, "re-import {file} {what}: {}", again.report["counts"]);
        }
    }

    let (f, i, r) = (floor.as_secs_f64(), first.took.as_secs_f64(), again.took.as_secs_f64());
    let pass = |ok: bool| if ok { "ok" } else { "OVER TARGET" };
    let peak = first.peak_rss_mb.max(again.peak_rss_mb);
    println!("OneRoster import on {label}: {rows} rows written by the floor");
    println!("  csv parse only (not in the floor)     {:8.2} s", parse.as_secs_f64());
    let floor_how = if label == "postgres" { "COPY" } else { "one multi-row INSERT per table, one transaction" };
    println!("  floor ({floor_how}) {f:8.2} s   {:8.0} rows/s", rows as f64 / f);
    println!("  import (learnergraph import oneroster)  {i:8.2} s   {:8.0} rows/s", rows as f64 / i);
    println!("  re-import of the unchanged set          {r:8.2} s");
    println!(
        "  ratio import/floor                      {:8.2}x  (target <= {TARGET_IMPORT_RATIO}) {}",
        i / f,
        pass(i / f <= TARGET_IMPORT_RATIO)
    );
    println!(
        "  ratio re-import/import                  {:8.2}   (target <= 0.33) {}",
        r / i,
        pass(r / i <= TARGET_REIMPORT_RATIO)
    );
    println!(
        "  peak RSS import / re-import             {:8.1} / {:.1} MB (target < {TARGET_RSS_MB}) {}",
        first.peak_rss_mb,
        again.peak_rss_mb,
        pass(peak < TARGET_RSS_MB)
    );
    println!("  import phases: {}", phases(&first));
    println!("  re-import phases: {}", phases(&again));
}

#[tokio::main]
async fn main() {
    let s = Scale::from_env();
    let scratch: PathBuf = std::env::temp_dir().join(format!("lg_orbench_{}", uuid::Uuid::new_v4().simple()));
    let set = scratch.join("set");
    let t = Instant::now();
    let files = write_set(&s, &set);
    println!("{s:?}");
    println!(
        "set written in {:.1} s: {}",
        t.elapsed().as_secs_f64(),
        files.iter().map(|(f, n)| format!("{f} {n}")).collect::<Vec<_>>().join(", ")
    );
    let parse = parse_only(&set);
    let class_terms: usize = (0..s.classes).map(|i| class_terms(i).len()).sum();
    let rows = (s.schools + 1) + 3 + s.courses + s.classes + class_terms + 2 * (s.students + s.staff) + s.enrollments;
    bench("sqlite", &s, &set, &scratch, rows, parse).await;
    if std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        bench("postgres", &s, &set, &scratch, rows, parse).await;
    }
    if std::env::var("ORB_KEEP").is_ok_and(|v| !v.is_empty()) {
        println!("kept the set and databases in {}", scratch.display());
    } else {
        std::fs::remove_dir_all(&scratch).ok();
    }
}
