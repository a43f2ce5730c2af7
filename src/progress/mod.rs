//! Progress: results posted by tools and teachers (idempotent by sourcedId, ordered by when
//! they happened, overridable by teachers) and the mastery they roll up into.

pub mod calculation;
pub mod graphql;
pub mod loaders;
pub mod mastery;
pub mod rest;
mod rest_writes;
pub mod store;
