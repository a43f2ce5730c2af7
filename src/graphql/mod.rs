//! Schema assembly: each domain's Query and Mutation merged into one schema, protected when
//! it is built (depth and complexity limits, capped page sizes).

pub mod context;
pub mod http;
pub mod relay;
pub mod user_errors;
pub mod ws;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::{admin, audit, competencies, playlists, profiles, progress, redesign, roster, sync, win};

#[derive(MergedObject, Default)]
pub struct Query(
    relay::RelayQuery,
    context::ViewerQuery,
    admin::graphql::AdminQuery,
    audit::graphql::AuditQuery,
    roster::graphql::RosterQuery,
    profiles::graphql::ProfilesQuery,
    redesign::graphql::RedesignQuery,
    competencies::graphql::CompetenciesQuery,
    playlists::graphql::PlaylistsQuery,
    progress::graphql::ProgressQuery,
    sync::graphql::SyncQuery,
    win::graphql::WinQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    roster::graphql::RosterMutation,
    profiles::graphql::ProfilesMutation,
    admin::graphql::AdminMutation,
    redesign::graphql::RedesignMutation,
    competencies::graphql::CompetenciesMutation,
    playlists::graphql::PlaylistsMutation,
    progress::graphql::ProgressMutation,
    win::graphql::WinMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(sync::graphql::SyncSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Deepest nesting a document may have.
pub const MAX_DEPTH: usize = 12;
/// Largest complexity a document may have: each field costs 1, each list its page size times
/// its children.
pub const MAX_COMPLEXITY: usize = 20_000;

/// Builds the schema; the database is shared by every request, the principal and DataLoaders
/// are added per request.
pub fn build_schema(
    db: Option<DatabaseConnection>,
    audit: Option<crate::audit::AuditLog>,
    bus: Option<sync::Bus>,
) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(8)
        .extension(crate::ratelimit::graphql::CostLimit);
    if let Some(db) = db {
        builder = builder.data(db);
    }
    if let Some(audit) = audit {
        builder = builder.data(audit);
    }
    if let Some(bus) = bus {
        builder = builder.data(bus);
    }
    builder.finish()
}

/// The SDL that `learnergraph schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(None, None, None).sdl()
}
