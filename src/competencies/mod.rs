//! Competency frameworks: importing CASE 1.0 packages (re-imports update in place), the
//! competency hierarchy, and each framework's mastery scale and calculation.

pub mod case;
pub mod graphql;
pub mod loaders;
pub mod store;
