//! Rostering, OneRoster 1.2-shaped: the district and its schools (orgs), academic sessions,
//! courses, classes, users (students are `Learner`s, teachers and administrators
//! `Educator`s) and enrollments. Every record has a stable `sourcedId`, a `status` and a
//! `dateLastModified`; deletions are kept as `tobedeleted` so that syncing tools see them.

pub mod graphql;
pub mod loaders;
pub mod oneroster;
pub mod rest;
pub mod store;
