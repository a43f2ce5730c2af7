//! Seed data: the fictional demo district (`seed --demo`, [`demo`]) and synthetic districts at
//! scale (`seed --scale N`, [`scale`]). Generation is deterministic and every insert skips rows
//! whose key already exists, so running a seed twice changes nothing.
//!
//! `synthetic` writes a district's roster (orgs, sessions, people, courses, classes,
//! enrollments) in bulk and `profiles` its learner profiles; `demo` adds Riverbend's redesign
//! plans, framework, playlists, results and WIN block through the domains' services.

mod demo;
mod profiles;
mod synthetic;

pub use demo::{DEMO_CASE_PACKAGE, demo};

use std::{collections::HashMap, fmt};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 400;

/// What a seed run wrote.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub district: String,
    pub schools: usize,
    pub students: usize,
    pub staff: usize,
    pub classes: usize,
    pub enrollments: usize,
    pub profiles: usize,
    pub seconds: f64,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} schools, {} students, {} staff, {} classes, {} enrollments, {} profiles ({:.1}s)",
            self.district,
            self.schools,
            self.students,
            self.staff,
            self.classes,
            self.enrollments,
            self.profiles,
            self.seconds
        )
    }
}

/// The shape of a generated district.
struct Spec {
    prefix: &'static str,
    district_name: &'static str,
    schools: Vec<(String, [u8; 3])>,
    students_per_school: usize,
    seed: u64,
}

/// A synthetic district with about `students` students, in schools of 1,000.
#[tracing::instrument(skip_all, fields(students))]
pub async fn scale(db: &DatabaseConnection, students: u32) -> anyhow::Result<SeedReport> {
    let students = usize::try_from(students)?.max(1);
    let count = students.div_ceil(1000);
    synthetic(db, count, students.div_ceil(count)).await
}

/// A synthetic district of `schools` middle schools with `students_per_school` students each
/// (sourcedIds `sc-school-001`, `sc-s-000042`, ...). Tests build their fixtures with it.
#[tracing::instrument(skip_all, fields(schools, students_per_school))]
pub async fn synthetic(
    db: &DatabaseConnection,
    schools: usize,
    students_per_school: usize,
) -> anyhow::Result<SeedReport> {
    let schools = (0..schools).map(|i| (format!("Scale School {:03}", i + 1), [6, 7, 8])).collect();
    let spec = Spec { prefix: "sc", district_name: "Scale District", schools, students_per_school, seed: 42 };
    synthetic::generate(db, spec).await
}

/// Inserts `rows` in chunks, skipping those whose `key` is already taken.
async fn insert_all<A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    key: Vec<<A::Entity as EntityTrait>::Column>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send + Clone,
{
    for chunk in rows.chunks(CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on(key.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// sourcedId -> id for rows of a table whose sourcedId starts with `prefix`.
async fn ids<E>(
    db: &impl ConnectionTrait,
    sourced: E::Column,
    id: E::Column,
    prefix: &str,
) -> Result<HashMap<String, i64>, DbErr>
where
    E: EntityTrait,
{
    let rows: Vec<(String, i64)> = E::find()
        .select_only()
        .column(sourced)
        .column(id)
        .filter(sourced.like(format!("{prefix}%")))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
