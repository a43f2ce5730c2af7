//! The SQL visibility conditions, as a table run against a real (in-memory SQLite) roster:
//! principal × relationship → which rows each condition lets through. The conditions are
//! what every list, page and lookup filters with, so a bug here leaks or hides whole schools.

use std::collections::BTreeSet;

use entity::{class, enrollment, org, user};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Select};

use super::{in_own_classes, orgs_visible, owned_by_granted_org, owned_by_visible_org, users_visible};
use crate::auth::{Actor, OrgAccess, People, Principal, Scope};
use entity::Role;

// The roster: district 1 with schools 2 and 3.
// School 2: teacher 10 teaches class 100 (students 20, 21); teacher 11 teaches class 101
// (student 22); student 23 is in no class; admin 12 is the school's administrator.
// School 3: teacher 13 teaches class 102 (student 30). Student 21's enrollment in class 101 was
// deleted (status tobedeleted) and must not count.
const FIXTURE: &str = "
INSERT INTO orgs (id, sourced_id, status, date_last_modified, org_type, name, parent_id) VALUES
  (1, 'd', 'active', '2026-01-01T00:00:00Z', 'district', 'D', NULL),
  (2, 's2', 'active', '2026-01-01T00:00:00Z', 'school', 'S2', 1),
  (3, 's3', 'active', '2026-01-01T00:00:00Z', 'school', 'S3', 1);
INSERT INTO users (id, sourced_id, status, date_last_modified, role, given_name, family_name, enabled_user) VALUES
  (10, 't10', 'active', '2026-01-01T00:00:00Z', 'teacher', 'T', '10', 1),
  (11, 't11', 'active', '2026-01-01T00:00:00Z', 'teacher', 'T', '11', 1),
  (12, 'a12', 'active', '2026-01-01T00:00:00Z', 'administrator', 'A', '12', 1),
  (13, 't13', 'active', '2026-01-01T00:00:00Z', 'teacher', 'T', '13', 1),
  (20, 'l20', 'active', '2026-01-01T00:00:00Z', 'student', 'L', '20', 1),
  (21, 'l21', 'active', '2026-01-01T00:00:00Z', 'student', 'L', '21', 1),
  (22, 'l22', 'active', '2026-01-01T00:00:00Z', 'student', 'L', '22', 1),
  (23, 'l23', 'active', '2026-01-01T00:00:00Z', 'student', 'L', '23', 1),
  (30, 'l30', 'active', '2026-01-01T00:00:00Z', 'student', 'L', '30', 1);
INSERT INTO user_orgs (user_id, org_id, role, is_primary) VALUES
  (10, 2, 'teacher', 1), (11, 2, 'teacher', 1), (12, 2, 'administrator', 1), (13, 3, 'teacher', 1),
  (20, 2, 'student', 1), (21, 2, 'student', 1), (22, 2, 'student', 1), (23, 2, 'student', 1),
  (30, 3, 'student', 1);
INSERT INTO academic_sessions (id, sourced_id, status, date_last_modified, org_id, title, session_type, start_date, end_date, school_year) VALUES
  (1, 'y', 'active', '2026-01-01T00:00:00Z', 1, 'Year', 'schoolYear', '2026-08-01', '2027-06-30', 2027);
INSERT INTO courses (id, sourced_id, status, date_last_modified, org_id, title) VALUES
  (1, 'c1', 'active', '2026-01-01T00:00:00Z', 1, 'Math'),
  (2, 'c2', 'active', '2026-01-01T00:00:00Z', 3, 'Art');
INSERT INTO classes (id, sourced_id, status, date_last_modified, org_id, course_id, term_id, title, class_type) VALUES
  (100, 'k100', 'active', '2026-01-01T00:00:00Z', 2, 1, 1, 'K100', 'scheduled'),
  (101, 'k101', 'active', '2026-01-01T00:00:00Z', 2, 1, 1, 'K101', 'scheduled'),
  (102, 'k102', 'active', '2026-01-01T00:00:00Z', 3, 2, 1, 'K102', 'scheduled');
INSERT INTO enrollments (id, sourced_id, status, date_last_modified, class_id, user_id, role, is_primary) VALUES
  (1, 'e1', 'active', '2026-01-01T00:00:00Z', 100, 10, 'teacher', 1),
  (2, 'e2', 'active', '2026-01-01T00:00:00Z', 100, 20, 'student', 0),
  (3, 'e3', 'active', '2026-01-01T00:00:00Z', 100, 21, 'student', 0),
  (4, 'e4', 'active', '2026-01-01T00:00:00Z', 101, 11, 'teacher', 1),
  (5, 'e5', 'active', '2026-01-01T00:00:00Z', 101, 22, 'student', 0),
  (6, 'e6', 'tobedeleted', '2026-01-01T00:00:00Z', 101, 21, 'student', 0),
  (7, 'e7', 'active', '2026-01-01T00:00:00Z', 102, 13, 'teacher', 1),
  (8, 'e8', 'active', '2026-01-01T00:00:00Z', 102, 30, 'student', 0);
";

async fn roster() -> DatabaseConnection {
    let db = Database::connect("sqlite::memory:").await.expect("in-memory SQLite");
    crate::db::migrate(&db).await.expect("migrations");
    db.execute_unprepared(FIXTURE).await.expect("fixture");
    db
}

fn principal(actor: Actor, orgs: OrgAccess, people: People) -> Principal {
    Principal {
        actor,
        scopes: Scope::ALL.into_iter().collect(),
        orgs,
        people,
        trail: Default::default(),
        sharing: Default::default(),
    }
}

fn only(orgs: &[i64], ancestors: &[i64]) -> OrgAccess {
    OrgAccess::Only { orgs: orgs.to_vec(), ancestors: ancestors.to_vec() }
}

fn person(id: i64, role: Role) -> Actor {
    Actor::User { client_id: "c".into(), user_id: id, sourced_id: format!("u{id}"), role }
}

/// Who is asking, in the shapes `principal_from_claims` builds.
fn principals() -> Vec<(&'static str, Principal)> {
    let client = || Actor::Client { client_id: "c".into() };
    vec![
        ("unrestricted client", principal(client(), OrgAccess::All, People::All)),
        ("client granted school 2", principal(client(), only(&[2], &[1]), People::All)),
        ("client granted the district", principal(client(), only(&[1, 2, 3], &[]), People::All)),
        ("client granted nothing", principal(client(), only(&[], &[]), People::All)),
        ("school 2 administrator", principal(person(12, Role::Administrator), only(&[2], &[1]), People::All)),
        ("teacher 10", principal(person(10, Role::Teacher), only(&[2], &[1]), People::Taught(10))),
        ("teacher 11", principal(person(11, Role::Teacher), only(&[2], &[1]), People::Taught(11))),
        ("student 20", principal(person(20, Role::Student), only(&[2], &[1]), People::Only(20))),
        ("student 23 (no class)", principal(person(23, Role::Student), only(&[2], &[1]), People::Only(23))),
        ("anonymous", Principal::anonymous()),
    ]
}

/// The ids of the rows `q` finds.
async fn ids<E: EntityTrait>(db: &DatabaseConnection, q: Select<E>, id: E::Column) -> BTreeSet<i64> {
    q.select_only().column(id).into_tuple::<i64>().all(db).await.expect("query").into_iter().collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

#[tokio::test]
async fn users_visible_is_org_membership_and_relationship() {
    let db = roster().await;
    let all_staff_and_students = set(&[10, 11, 12, 13, 20, 21, 22, 23, 30]);
    let school2 = set(&[10, 11, 12, 20, 21, 22, 23]);
    let want: Vec<(&str, BTreeSet<i64>)> = vec![
        ("unrestricted client", all_staff_and_students.clone()),
        ("client granted school 2", school2.clone()),
        // Users belong to schools: a district grant sees them through the schools it lists.
        ("client granted the district", all_staff_and_students),
        ("client granted nothing", set(&[])),
        ("school 2 administrator", school2),
        // A teacher: themself and the students of their classes (not 21's deleted enrollment).
        ("teacher 10", set(&[10, 20, 21])),
        ("teacher 11", set(&[11, 22])),
        ("student 20", set(&[20])),
        ("student 23 (no class)", set(&[23])),
        ("anonymous", set(&[])),
    ];
    for ((name, p), (want_name, want)) in principals().into_iter().zip(want) {
        assert_eq!(name, want_name);
        let got: BTreeSet<i64> = ids(&db, user::Entity::find().filter(users_visible(&p)), user::Column::Id).await;
        assert_eq!(got, want, "users visible to {name}");
    }
}

#[tokio::test]
async fn classes_are_the_granted_schools_and_for_people_their_own() {
    let db = roster().await;
    let want: Vec<(&str, BTreeSet<i64>)> = vec![
        ("unrestricted client", set(&[100, 101, 102])),
        ("client granted school 2", set(&[100, 101])),
        ("client granted the district", set(&[100, 101, 102])),
        ("client granted nothing", set(&[])),
        ("school 2 administrator", set(&[100, 101])),
        ("teacher 10", set(&[100])),
        ("teacher 11", set(&[101])),
        ("student 20", set(&[100])),
        ("student 23 (no class)", set(&[])),
        ("anonymous", set(&[])),
    ];
    for ((name, p), (want_name, want)) in principals().into_iter().zip(want) {
        assert_eq!(name, want_name);
        let got: BTreeSet<i64> = ids(
            &db,
            class::Entity::find()
                .filter(owned_by_granted_org(&p, (class::Entity, class::Column::OrgId)))
                .filter(in_own_classes(&p, (class::Entity, class::Column::Id))),
            class::Column::Id,
        )
        .await;
        assert_eq!(got, want, "classes visible to {name}");
    }
}

#[tokio::test]
async fn orgs_and_shared_records_include_the_district_above_a_granted_school() {
    let db = roster().await;
    // (orgs visible, courses visible: course 1 is the district's, course 2 school 3's)
    let want: Vec<(&str, BTreeSet<i64>, BTreeSet<i64>)> = vec![
        ("unrestricted client", set(&[1, 2, 3]), set(&[1, 2])),
        ("client granted school 2", set(&[1, 2]), set(&[1])),
        ("client granted the district", set(&[1, 2, 3]), set(&[1, 2])),
        ("client granted nothing", set(&[]), set(&[])),
        ("school 2 administrator", set(&[1, 2]), set(&[1])),
        ("teacher 10", set(&[1, 2]), set(&[1])),
        ("teacher 11", set(&[1, 2]), set(&[1])),
        ("student 20", set(&[1, 2]), set(&[1])),
        ("student 23 (no class)", set(&[1, 2]), set(&[1])),
        ("anonymous", set(&[]), set(&[])),
    ];
    for ((name, p), (want_name, orgs, courses)) in principals().into_iter().zip(want) {
        assert_eq!(name, want_name);
        let got: BTreeSet<i64> = ids(&db, org::Entity::find().filter(orgs_visible(&p)), org::Column::Id).await;
        assert_eq!(got, orgs, "orgs visible to {name}");
        let got: BTreeSet<i64> = ids(
            &db,
            entity::course::Entity::find()
                .filter(owned_by_visible_org(&p, (entity::course::Entity, entity::course::Column::OrgId))),
            entity::course::Column::Id,
        )
        .await;
        assert_eq!(got, courses, "courses visible to {name}");
    }
}

#[tokio::test]
async fn enrollments_follow_their_class() {
    let db = roster().await;
    // A teacher sees the enrollments of the classes they teach, including the deleted one
    // (a tombstone syncing tools need) of a class they teach; teacher 10 teaches only 100.
    let p = principal(person(10, Role::Teacher), only(&[2], &[1]), People::Taught(10));
    let got: BTreeSet<i64> = ids(
        &db,
        enrollment::Entity::find().filter(in_own_classes(&p, (enrollment::Entity, enrollment::Column::ClassId))),
        enrollment::Column::Id,
    )
    .await;
    assert_eq!(got, set(&[1, 2, 3]));
}
