//! SeaORM entities for learnergraph: one module per table, nothing else. These are storage
//! shapes, not the API: GraphQL types live in the service's domain modules.

pub mod academic_session;
pub mod class;
pub mod course;
pub mod enrollment;
pub mod learner_profile;
pub mod oauth_client;
pub mod org;
pub mod profile_revision;
pub mod user;
pub mod user_org;

/// `status` of a OneRoster record that is live.
pub const STATUS_ACTIVE: &str = "active";
/// `status` of a OneRoster record that was deleted; kept so that syncing tools see the deletion.
pub const STATUS_TOBEDELETED: &str = "tobedeleted";
