//! "What I Need" (WIN) intervention blocks: sessions teachers offer, students' ranked choices,
//! teachers' review, an optimal placement run, adjustments, attendance and summaries.

pub mod graphql;
pub mod loaders;
pub mod placement;
pub mod store;
