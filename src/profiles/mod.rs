//! Learner profiles: strengths, interests, goals, learning preferences, and the sensitive
//! accommodations and support notes. Every change is a revision (who, when, what), and updates
//! are optimistic: they name the version they were based on.

pub mod graphql;
pub mod store;
