//! A generated district's roster, written in bulk: the district and its schools, the school
//! year and its semesters, staff and students with their memberships, courses, classes and
//! enrollments, then each student's profile. Deterministic for a given [`Spec`].

use std::{collections::HashMap, time::Instant};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{OrgType, Role, Status, academic_session, class, course, enrollment, org, user, user_org};
use sea_orm::{ActiveValue::Set, ConnectionTrait, TransactionSession, TransactionTrait};

use super::{SeedReport, Spec, ids, insert_all, profiles};

pub(super) const SUBJECTS: [(&str, &str); 4] =
    [("MATH", "Mathematics"), ("ELA", "English Language Arts"), ("SCI", "Science"), ("SS", "Social Studies")];
const GIVEN: [&str; 40] = [
    "Ada", "Bea", "Cruz", "Dev", "Elif", "Femi", "Gus", "Hana", "Iker", "Jae", "Kofi", "Lena", "Mika", "Nico", "Oona",
    "Priya", "Quinn", "Rafa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xio", "Yusuf", "Zara", "Amara", "Bodhi", "Cleo",
    "Dario", "Esme", "Finn", "Gia", "Hugo", "Ines", "Jonah", "Kira", "Luca", "Maya", "Noor",
];
const FAMILY: [&str; 30] = [
    "Abara",
    "Brightwater",
    "Castellanos",
    "Dunmore",
    "Eklund",
    "Fairweather",
    "Gallo",
    "Holloway",
    "Iwasaki",
    "Jovanovic",
    "Kowalczyk",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "Okafor",
    "Petrossian",
    "Quintero",
    "Rasmussen",
    "Szabo",
    "Tanaka",
    "Underhill",
    "Varga",
    "Whitlock",
    "Xu",
    "Yilmaz",
    "Zamora",
    "Achebe",
    "Bergstrom",
    "Ciolek",
    "Delacroix",
];

/// The district's orgs as stored.
struct Orgs {
    district_sid: String,
    district: i64,
    /// School sourcedId -> id.
    schools: HashMap<String, i64>,
}

/// The fall semester every class is scheduled in.
struct Term {
    id: i64,
    begins: NaiveDate,
    ends: NaiveDate,
}

/// A class to write: its sourcedId, school, course, title and subject.
struct ClassPlan {
    sid: String,
    school: String,
    course: String,
    title: String,
    subject: String,
}

/// The people, courses and classes of a district, before they are written; people, classes and
/// schools named by sourcedId.
#[derive(Default)]
struct RosterPlan {
    users: Vec<user::ActiveModel>,
    /// User, org, role, primary.
    memberships: Vec<(String, String, Role, bool)>,
    courses: Vec<course::ActiveModel>,
    classes: Vec<ClassPlan>,
    /// Class, student.
    class_students: Vec<(String, String)>,
    /// Class, teacher.
    class_teachers: Vec<(String, String)>,
    students: Vec<String>,
}

/// What `insert_roster` wrote.
struct Written {
    /// sourcedId -> id of every person of the district.
    user_ids: HashMap<String, i64>,
    students: Vec<String>,
    staff: usize,
    classes: usize,
    enrollments: usize,
}

/// Writes the district `spec` describes, in one transaction (a savepoint inside the caller's).
pub(super) async fn generate(db: &impl TransactionTrait, spec: Spec) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let now = crate::db::now();
    let txn = crate::db::begin_write(db).await?;
    let orgs = insert_orgs(&txn, &spec, now).await?;
    let term = insert_sessions(&txn, spec.prefix, orgs.district, now).await?;
    let plan = plan_roster(&spec, &mut rng, &orgs, now);
    let written = insert_roster(&txn, spec.prefix, plan, &orgs, &term, now).await?;
    let profiles = profiles::insert(&txn, &mut rng, &written.students, &written.user_ids).await?;
    txn.commit().await?;
    Ok(SeedReport {
        district: spec.district_name.to_owned(),
        schools: spec.schools.len(),
        students: written.students.len(),
        staff: written.staff,
        classes: written.classes,
        enrollments: written.enrollments,
        profiles,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The zone of the seeded district.
pub const DISTRICT_ZONE: &str = "America/Chicago";

/// The district, then its schools under it (and the district's default redesign pillars).
async fn insert_orgs(txn: &impl ConnectionTrait, spec: &Spec, now: DateTime<Utc>) -> anyhow::Result<Orgs> {
    let p = spec.prefix;
    let district_sid = format!("{p}-district");
    let district = org::ActiveModel {
        sourced_id: Set(district_sid.clone()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        org_type: Set(OrgType::District),
        name: Set(spec.district_name.into()),
        identifier: Set(Some(format!("{}-0001", p.to_uppercase()))),
        parent_id: Set(None),
        // Its schools set none of their own, so they live by the district's.
        time_zone: Set(Some(DISTRICT_ZONE.to_owned())),
        ..Default::default()
    };
    insert_all(txn, vec![district], vec![org::Column::SourcedId]).await?;
    let district_id = ids::<org::Entity>(txn, org::Column::SourcedId, org::Column::Id, &district_sid)
        .await?
        .get(&district_sid)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("district row missing after insert"))?;
    let schools = spec
        .schools
        .iter()
        .enumerate()
        .map(|(i, (name, _))| org::ActiveModel {
            sourced_id: Set(format!("{p}-school-{:03}", i + 1)),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            org_type: Set(OrgType::School),
            name: Set(name.clone()),
            identifier: Set(Some(format!("{}-{:04}", p.to_uppercase(), i + 101))),
            parent_id: Set(Some(district_id)),
            ..Default::default()
        })
        .collect();
    insert_all(txn, schools, vec![org::Column::SourcedId]).await?;
    crate::redesign::store::create_default_pillars(txn, district_id).await?;
    let schools = ids::<org::Entity>(txn, org::Column::SourcedId, org::Column::Id, &format!("{p}-school-")).await?;
    Ok(Orgs { district_sid, district: district_id, schools })
}

/// The school year and its two semesters, district-wide; answers the fall semester.
async fn insert_sessions(
    txn: &impl ConnectionTrait,
    p: &str,
    district_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Term> {
    let year_sid = format!("{p}-sy-2027");
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let session = |sid: &str, title: &str, kind: &str, start, end, parent| academic_session::ActiveModel {
        sourced_id: Set(sid.to_owned()),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        org_id: Set(district_id),
        title: Set(title.to_owned()),
        session_type: Set(kind.to_owned()),
        start_date: Set(start),
        end_date: Set(end),
        school_year: Set(2027),
        parent_id: Set(parent),
        ..Default::default()
    };
    insert_all(
        txn,
        vec![session(&year_sid, "2026-27", "schoolYear", date(2026, 8, 17), date(2027, 6, 11), None)],
        vec![academic_session::Column::SourcedId],
    )
    .await?;
    let year_id = ids::<academic_session::Entity>(
        txn,
        academic_session::Column::SourcedId,
        academic_session::Column::Id,
        &year_sid,
    )
    .await?
    .get(&year_sid)
    .copied()
    .ok_or_else(|| anyhow::anyhow!("school year row missing after insert"))?;
    let terms = [
        (format!("{p}-term-2027-fall"), "Fall 2026", date(2026, 8, 17), date(2027, 1, 15)),
        (format!("{p}-term-2027-spring"), "Spring 2027", date(2027, 1, 19), date(2027, 6, 11)),
    ];
    insert_all(
        txn,
        terms.iter().map(|(sid, title, s, e)| session(sid, title, "semester", *s, *e, Some(year_id))).collect(),
        vec![academic_session::Column::SourcedId],
    )
    .await?;
    let term_ids = ids::<academic_session::Entity>(
        txn,
        academic_session::Column::SourcedId,
        academic_session::Column::Id,
        &format!("{p}-term-"),
    )
    .await?;
    let [(fall_sid, _, begins, ends), _] = terms;
    let id = term_ids.get(&fall_sid).copied().ok_or_else(|| anyhow::anyhow!("term row missing"))?;
    Ok(Term { id, begins, ends })
}

/// The district administrator, then per school its administrator and, per grade, teachers
/// (one per subject and two sections), courses, classes and students (each in one section of
/// every subject).
fn plan_roster(spec: &Spec, rng: &mut fastrand::Rng, orgs: &Orgs, now: DateTime<Utc>) -> RosterPlan {
    let p = spec.prefix;
    let mut plan = RosterPlan::default();
    let person =
        |sid: String, role: Role, given: &str, family: &str, grade: Option<String>, n: usize| user::ActiveModel {
            sourced_id: Set(sid),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            role: Set(role),
            given_name: Set(given.to_owned()),
            family_name: Set(family.to_owned()),
            preferred_name: Set(None),
            username: Set(Some(format!("{}.{}{n}", given.to_lowercase(), family.to_lowercase()))),
            email: Set(Some(format!("{}.{}{n}@{p}.example.org", given.to_lowercase(), family.to_lowercase()))),
            identifier: Set(Some(format!("{}{n:06}", p.to_uppercase()))),
            grades: Set(grade),
            enabled_user: Set(true),
            ..Default::default()
        };
    let admin_sid = format!("{p}-admin-district");
    plan.users.push(person(admin_sid.clone(), Role::Administrator, "Morgan", "Reyes", None, 0));
    plan.memberships.push((admin_sid, orgs.district_sid.clone(), Role::Administrator, true));
    let mut n = 1;
    for (si, (_, grades)) in spec.schools.iter().enumerate() {
        let school_sid = format!("{p}-school-{:03}", si + 1);
        let admin = format!("{p}-admin-{:03}", si + 1);
        plan.users.push(person(
            admin.clone(),
            Role::Administrator,
            GIVEN[rng.usize(..GIVEN.len())],
            FAMILY[rng.usize(..FAMILY.len())],
            None,
            n,
        ));
        plan.memberships.push((admin, school_sid.clone(), Role::Administrator, true));
        n += 1;
        let per_grade = spec.students_per_school.div_ceil(grades.len());
        for grade in grades {
            let grade_code = format!("{grade:02}");
            let sections = per_grade.div_ceil(25).max(1);
            // One teacher per subject and two sections.
            let mut teachers = Vec::new();
            for (subject, _) in SUBJECTS {
                for t in 0..sections.div_ceil(2) {
                    let sid = format!("{p}-t-{:03}-{grade_code}-{subject}-{t}", si + 1).to_lowercase();
                    plan.users.push(person(
                        sid.clone(),
                        Role::Teacher,
                        GIVEN[rng.usize(..GIVEN.len())],
                        FAMILY[rng.usize(..FAMILY.len())],
                        None,
                        n,
                    ));
                    plan.memberships.push((sid.clone(), school_sid.clone(), Role::Teacher, true));
                    teachers.push((subject, sid));
                    n += 1;
                }
            }
            for (subject, subject_name) in SUBJECTS {
                let course_sid = format!("{p}-c-{:03}-{grade_code}-{subject}", si + 1).to_lowercase();
                plan.courses.push(course::ActiveModel {
                    sourced_id: Set(course_sid.clone()),
                    status: Set(Status::Active),
                    date_last_modified: Set(now),
                    org_id: Set(orgs.schools[&school_sid]),
                    title: Set(format!("Grade {grade} {subject_name}")),
                    course_code: Set(Some(format!("{subject}-{grade_code}"))),
                    subject: Set(Some(subject_name.to_owned())),
                    grades: Set(Some(grade_code.clone())),
                    ..Default::default()
                });
                let subject_teachers: Vec<&String> =
                    teachers.iter().filter(|(s, _)| *s == subject).map(|(_, t)| t).collect();
                for section in 0..sections {
                    let class_sid = format!("{course_sid}-s{}", section + 1);
                    plan.classes.push(ClassPlan {
                        sid: class_sid.clone(),
                        school: school_sid.clone(),
                        course: course_sid.clone(),
                        title: format!("Grade {grade} {subject_name} {}", section + 1),
                        subject: subject_name.to_owned(),
                    });
                    plan.class_teachers
                        .push((class_sid, subject_teachers[section / 2 % subject_teachers.len().max(1)].clone()));
                }
            }
            for k in 0..per_grade {
                let sid = format!("{p}-s-{n:06}");
                let given = GIVEN[rng.usize(..GIVEN.len())];
                let family = FAMILY[rng.usize(..FAMILY.len())];
                plan.users.push(person(sid.clone(), Role::Student, given, family, Some(grade_code.clone()), n));
                plan.memberships.push((sid.clone(), school_sid.clone(), Role::Student, true));
                let section = k % sections + 1;
                for (subject, _) in SUBJECTS {
                    let class_sid = format!("{p}-c-{:03}-{grade_code}-{subject}-s{section}", si + 1).to_lowercase();
                    plan.class_students.push((class_sid, sid.clone()));
                }
                plan.students.push(sid);
                n += 1;
            }
        }
    }
    plan
}

/// Writes the planned people, memberships, courses, classes and enrollments (teachers'
/// primary, students' not, all for the fall semester).
async fn insert_roster(
    txn: &impl ConnectionTrait,
    p: &str,
    plan: RosterPlan,
    orgs: &Orgs,
    term: &Term,
    now: DateTime<Utc>,
) -> anyhow::Result<Written> {
    let RosterPlan { users, memberships, courses, classes, class_students, class_teachers, students } = plan;
    let staff = users.len() - students.len();
    insert_all(txn, users, vec![user::Column::SourcedId]).await?;
    let user_ids = ids::<user::Entity>(txn, user::Column::SourcedId, user::Column::Id, &format!("{p}-")).await?;
    let mut org_all = orgs.schools.clone();
    org_all.insert(orgs.district_sid.clone(), orgs.district);
    insert_all(
        txn,
        memberships
            .iter()
            .map(|(u, o, role, primary)| user_org::ActiveModel {
                user_id: Set(user_ids[u]),
                org_id: Set(org_all[o]),
                role: Set(*role),
                is_primary: Set(*primary),
                ..Default::default()
            })
            .collect(),
        vec![user_org::Column::UserId, user_org::Column::OrgId],
    )
    .await?;
    insert_all(txn, courses, vec![course::Column::SourcedId]).await?;
    let course_ids =
        ids::<course::Entity>(txn, course::Column::SourcedId, course::Column::Id, &format!("{p}-c-")).await?;
    insert_all(
        txn,
        classes
            .iter()
            .enumerate()
            .map(|(i, c)| class::ActiveModel {
                sourced_id: Set(c.sid.clone()),
                status: Set(Status::Active),
                date_last_modified: Set(now),
                org_id: Set(orgs.schools[&c.school]),
                course_id: Set(course_ids[&c.course]),
                term_id: Set(term.id),
                title: Set(c.title.clone()),
                class_code: Set(Some(c.sid.rsplit('-').take(3).collect::<Vec<_>>().join("-"))),
                class_type: Set("scheduled".into()),
                subject: Set(Some(c.subject.clone())),
                location: Set(Some(format!("Room {}", 100 + i % 60))),
                ..Default::default()
            })
            .collect(),
        vec![class::Column::SourcedId],
    )
    .await?;
    let class_ids = ids::<class::Entity>(txn, class::Column::SourcedId, class::Column::Id, &format!("{p}-c-")).await?;
    let enrollment = |class_sid: &String, user_sid: &String, role: Role, primary: bool| enrollment::ActiveModel {
        sourced_id: Set(format!("{p}-e-{class_sid}-{user_sid}")),
        status: Set(Status::Active),
        date_last_modified: Set(now),
        class_id: Set(class_ids[class_sid]),
        user_id: Set(user_ids[user_sid]),
        role: Set(role),
        is_primary: Set(primary),
        begin_date: Set(Some(term.begins)),
        end_date: Set(Some(term.ends)),
        ..Default::default()
    };
    let mut enrollments: Vec<_> = class_teachers.iter().map(|(c, u)| enrollment(c, u, Role::Teacher, true)).collect();
    enrollments.extend(class_students.iter().map(|(c, u)| enrollment(c, u, Role::Student, false)));
    let enrollment_count = enrollments.len();
    insert_all(txn, enrollments, vec![enrollment::Column::SourcedId]).await?;
    Ok(Written { user_ids, students, staff, classes: classes.len(), enrollments: enrollment_count })
}
