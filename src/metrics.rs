//! Prometheus metrics, kept in a registry owned by the app (not a global) so that several apps
//! in one process, as in the tests, count separately.

use std::sync::Arc;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// `query`, `mutation`, `subscription`, or `invalid` for a document that did not parse.
    pub operation_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub operation_type: &'static str,
    /// `ok`, or `error` when the response carries errors.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// `client_requests`, `client_cost`, `ip_requests`, `secret_delay`, `secret_lockout` or
    /// `hashing_busy`.
    pub limit: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub graphql_requests: Family<OutcomeLabels, Counter>,
    pub graphql_duration: Family<OperationLabels, Histogram>,
    /// Every SQL statement the service sends; tests read it to bound statements per request.
    pub db_statements: Counter,
    /// Requests refused 503 because too many were in flight.
    pub overloaded: Counter,
    /// GraphQL documents refused by a document limit, before they ran.
    pub refused_documents: Counter,
    /// Requests refused by a fair-sharing limit, by limit.
    pub ratelimit_refusals: Family<RefusalLabels, Counter>,
    /// Decisions made without the shared rate-limit store (Redis unreachable: failed open).
    pub ratelimit_backend_errors: Counter,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("learnergraph");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let graphql_requests = Family::<OutcomeLabels, Counter>::default();
        let graphql_duration = Family::<OperationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
        });
        let db_statements = Counter::default();
        registry.register("http_requests", "HTTP requests by route and status", http_requests.clone());
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation type and outcome",
            graphql_requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL request latency by operation type",
            graphql_duration.clone(),
        );
        registry.register("db_statements", "SQL statements sent to the database", db_statements.clone());
        let overloaded = Counter::default();
        registry.register("overloaded", "Requests refused because too many were in flight", overloaded.clone());
        let refused_documents = Counter::default();
        registry.register(
            "refused_documents",
            "GraphQL documents refused by a document limit before they ran",
            refused_documents.clone(),
        );
        let ratelimit_refusals = Family::<RefusalLabels, Counter>::default();
        let ratelimit_backend_errors = Counter::default();
        registry.register("ratelimit_refusals", "Requests refused by a fair-sharing limit", ratelimit_refusals.clone());
        registry.register(
            "ratelimit_backend_errors",
            "Rate-limit decisions that failed open because the shared store was unreachable",
            ratelimit_backend_errors.clone(),
        );
        Arc::new(Metrics {
            registry,
            http_requests,
            graphql_requests,
            graphql_duration,
            db_statements,
            overloaded,
            refused_documents,
            ratelimit_refusals,
            ratelimit_backend_errors,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
