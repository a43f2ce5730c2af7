//! Schema assembly: each domain's Query and Mutation merged into one schema, protected when
//! it is built (depth and complexity limits, capped page sizes).

pub mod context;
pub mod documents;
pub mod graphiql;
pub mod http;
pub mod limits;
pub mod node;
pub mod relay;
pub mod sharing;
pub mod user_errors;
pub mod ws;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

/// Declares the two-way `From` conversions between a GraphQL enum and its stored twin, which
/// have the same variants.
macro_rules! both_ways {
    ($api:ident, $stored:ident, [$($v:ident),+]) => {
        impl From<$stored> for $api {
            fn from(v: $stored) -> Self {
                match v {
                    $($stored::$v => $api::$v),+
                }
            }
        }

        impl From<$api> for $stored {
            fn from(v: $api) -> Self {
                match v {
                    $($api::$v => $stored::$v),+
                }
            }
        }
    };
}
pub(crate) use both_ways;

use crate::{admin, audit, competencies, playlists, privacy, profiles, progress, redesign, roster, sync, win};

#[derive(MergedObject, Default)]
pub struct Query(
    node::RelayQuery,
    context::ViewerQuery,
    admin::graphql::AdminQuery,
    audit::graphql::AuditQuery,
    roster::graphql::RosterQuery,
    roster::graphql::RosterImportQuery,
    profiles::graphql::ProfilesQuery,
    redesign::graphql::RedesignQuery,
    competencies::graphql::CompetenciesQuery,
    playlists::graphql::PlaylistsQuery,
    progress::graphql::ProgressQuery,
    sync::graphql::SyncQuery,
    win::graphql::WinQuery,
    privacy::graphql::PrivacyQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    roster::graphql::RosterMutation,
    roster::graphql::RosterWriteMutation,
    profiles::graphql::ProfilesMutation,
    admin::graphql::AdminMutation,
    redesign::graphql::RedesignMutation,
    competencies::graphql::CompetenciesMutation,
    progress::calculation::CalculationMutation,
    playlists::graphql::PlaylistsMutation,
    progress::graphql::ProgressMutation,
    win::graphql::WinMutation,
    privacy::graphql::PrivacyMutation,
    privacy::graphql::DataUseMutation,
    privacy::graphql::PurgeMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(sync::graphql::SyncSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Largest complexity a document may have: each field costs 1, each list its page size times
/// its children. Checked by async-graphql's validation, after [`limits::Guard`] has bounded
/// the document's size.
pub const MAX_COMPLEXITY: usize = 20_000;

/// How the schema treats documents; from [`crate::config::Config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphqlOptions {
    pub limits: limits::DocumentLimits,
    pub complexity: usize,
    /// Whether authenticated callers may introspect the schema (anonymous callers never run
    /// a document at all).
    pub introspection: bool,
    /// "Did you mean ...?" in validation errors: helpful in development, a map of the schema
    /// for a prober in production.
    pub suggestions: bool,
}

impl Default for GraphqlOptions {
    fn default() -> Self {
        GraphqlOptions {
            limits: limits::DocumentLimits::default(),
            complexity: MAX_COMPLEXITY,
            introspection: true,
            suggestions: true,
        }
    }
}

/// Builds the schema with the default options.
pub fn build_schema(
    db: Option<DatabaseConnection>,
    audit: Option<crate::audit::AuditLog>,
    bus: Option<sync::Bus>,
) -> AppSchema {
    build_schema_with(db, audit, bus, &GraphqlOptions::default())
}

/// Builds the schema; the database is shared by every request, the principal and DataLoaders
/// are added per request. Document limits run first ([`limits::Guard`]); async-graphql's own
/// checks (recursion, directives per location, complexity) then see only bounded documents.
pub fn build_schema_with(
    db: Option<DatabaseConnection>,
    audit: Option<crate::audit::AuditLog>,
    bus: Option<sync::Bus>,
    options: &GraphqlOptions,
) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .extension(limits::Guard { limits: options.limits, introspection: options.introspection })
        .limit_complexity(options.complexity)
        .limit_recursive_depth(32)
        .limit_directives(8)
        .extension(crate::ratelimit::graphql::CostLimit)
        .extension(sharing::Agreements);
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    if !options.suggestions {
        builder = builder.disable_suggestions();
    }
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
