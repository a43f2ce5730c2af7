//! OneRoster 1.2 CSV: a district's roster from its student information system, imported in
//! bulk or as deltas (1.1 sets too), and the roster exported as a bulk set.

pub mod export;
mod gradebook;
pub mod history;
pub mod import;
pub mod problems;
pub mod pull;
pub mod records;
mod rows;
pub mod set;

pub use import::{Counts, Options, Outcome, Report, RowResult, RowWrite, import};
