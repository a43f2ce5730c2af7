//! School redesign: the district's pillars and yearly cohorts, each school's plan moving
//! through its stages, the strategic plan (goals serving pillars, indicators, milestones), and
//! the money (grants and disbursements within a ceiling and a span of fiscal years).

pub mod graphql;
pub mod loaders;
pub mod money;
pub mod stages;
pub mod store;
