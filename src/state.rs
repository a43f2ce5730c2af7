//! What every handler shares, whatever the transport: the application state. A leaf under
//! the transports (GraphQL, OAuth, admin pages, and the APIs to come): they take it as axum
//! state, `app.rs` builds it and assembles the router.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::{
    audit::AuditLog,
    auth::{tokens::Keys, upstream::SignIn},
    config::{Config, Environment},
    graphql::AppSchema,
    metrics::Metrics,
};

/// What every handler shares. Cheap to clone; holds no per-request state, so any number of
/// replicas can serve one database.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub keys: Arc<Keys>,
    pub metrics: Arc<Metrics>,
    pub sign_in: Arc<SignIn>,
    pub audit: AuditLog,
    pub bus: crate::sync::Bus,
    /// The principals of recent tokens (`crate::auth::cache`).
    pub principals: Arc<crate::auth::cache::PrincipalCache>,
    /// Fair sharing: rate limits and the failed-secret lockout (`src/ratelimit`).
    pub limits: crate::ratelimit::Limits,
    /// Where secret hashes are computed, a bounded few at a time.
    pub hashing: crate::ratelimit::HashPool,
    /// Limits on GraphQL documents, checked before parsing.
    pub doc_limits: crate::graphql::limits::DocumentLimits,
    /// Parsed documents by their text (`crate::graphql::documents`).
    pub documents: Arc<crate::graphql::documents::DocumentCache>,
    /// Permits for requests in flight: none left means answer 503 at once.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    pub request_timeout: Duration,
    pub web: WebSettings,
}

/// What the service shows besides the API, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct WebSettings {
    /// GraphiQL at `GET /graphql` and its assets under `/graphiql/`.
    pub graphiql: bool,
    /// `/metrics` on the main listener: in development, or in production with a token, and
    /// never when metrics have a listener of their own.
    pub metrics_on_main: bool,
    /// SHA-256 of the bearer token `/metrics` requires, if one is configured.
    pub metrics_token: Option<[u8; 32]>,
}

impl WebSettings {
    pub fn new(config: &Config) -> Self {
        let metrics_token = config.metrics_token.as_ref().map(|t| Sha256::digest(t.expose().as_bytes()).into());
        WebSettings {
            graphiql: config.graphiql,
            metrics_on_main: config.metrics_bind.is_none()
                && (config.environment == Environment::Development || metrics_token.is_some()),
            metrics_token,
        }
    }
}
