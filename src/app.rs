//! The application: state, router, and a server bound to a port before it runs (tests bind
//! port 0 and read the port back).

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    audit::{AuditLog, AuditWriter},
    auth::{oauth, tokens::Keys},
    config::Config,
    db,
    graphql::{self, AppSchema},
    metrics::{HttpLabels, Metrics},
};

/// What every handler shares. Cheap to clone; holds no per-request state, so any number of
/// replicas can serve one database.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub keys: Arc<Keys>,
    pub metrics: Arc<Metrics>,
    pub sign_in: Arc<oauth::SignIn>,
    pub audit: AuditLog,
    pub bus: crate::sync::Bus,
    /// Fair sharing: rate limits and the failed-secret lockout (`src/ratelimit`).
    pub limits: crate::ratelimit::Limits,
    /// Where secret hashes are computed, a bounded few at a time.
    pub hashing: crate::ratelimit::HashPool,
}

/// A bound, not yet serving, application.
pub struct App {
    listener: TcpListener,
    router: Router,
    shutdown_timeout: Duration,
    audit_writer: AuditWriter,
}

impl App {
    /// Connects, migrates, loads keys and binds `config.bind`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let db = db::connect(&config, Some(metrics.clone())).await?;
        db::migrate(&db).await?;
        let keys = Arc::new(Keys::load(&config)?);
        // The audit writer has a small pool of its own: its batches never wait behind requests
        // for a connection, and its statements don't count as the requests'.
        let audit_db = db::connect(&Config { db_max_connections: 2, ..config.clone() }, None).await?;
        let (audit, audit_writer) = AuditLog::start(audit_db);
        let sign_in = Arc::new(oauth::SignIn {
            dev_signin: config.dev_signin,
            upstream: config.upstream.clone(),
            discovered: tokio::sync::OnceCell::new(),
        });
        let bus = crate::sync::Bus::new();
        bus.listen(&db);
        spawn_pruning(db.clone(), config.sync_retention);
        let limits = crate::ratelimit::Limits::new(&config.limits, metrics.clone())?;
        let hashing = crate::ratelimit::HashPool::new(
            config.limits.hashing_concurrency,
            config.limits.hashing_max_wait,
            Some(metrics.clone()),
        );
        let state = AppState {
            limits,
            hashing,
            schema: graphql::build_schema(Some(db.clone()), Some(audit.clone()), Some(bus.clone())),
            bus,
            db,
            keys,
            metrics,
            sign_in,
            audit,
        };
        let listener =
            TcpListener::bind(config.bind).await.with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(App {
            listener,
            router: router(state, config.max_body_bytes),
            shutdown_timeout: config.shutdown_timeout,
            audit_writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (up to the
    /// configured timeout) and writes the audit events still queued.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        let server =
            axum::serve(self.listener, self.router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(async move {
                    shutdown.await;
                    tracing::info!("shutting down: finishing in-flight requests");
                    let _ = stopping_tx.send(true);
                });
        let timeout = self.shutdown_timeout;
        let served = tokio::select! {
            result = server => result.context("server error"),
            _ = async move {
                let _ = stopping_rx.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(timeout).await;
            } => {
                tracing::warn!("in-flight requests did not finish within {timeout:?}; exiting");
                Ok(())
            }
        };
        // The server and its state are gone, so the audit queue's senders are too.
        if tokio::time::timeout(timeout, self.audit_writer.close()).await.is_err() {
            tracing::error!("audit events still queued at exit could not be written in time");
        }
        served
    }
}

pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    // The sign-in endpoints' budget per IP.
    let per_ip = middleware::from_fn_with_state(state.clone(), crate::ratelimit::http::per_ip);
    Router::new()
        .route("/graphql", get(graphql::http::get).post(graphql::http::post))
        .route("/graphql/ws", get(graphql::ws::subscribe))
        .route("/oauth/token", post(oauth::token).route_layer(per_ip.clone()))
        .route("/oauth/authorize", get(oauth::authorize).route_layer(per_ip.clone()))
        .route("/oauth/authorize/dev-signin", post(oauth::dev_signin).route_layer(per_ip.clone()))
        .route("/oauth/callback", get(oauth::callback))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/oauth/introspect", post(oauth::introspect))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map_or(req.uri().path(), |m| m.as_str());
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), route, request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = next.run(req).await;
    state.metrics.http_requests.get_or_create(&HttpLabels { method, route, status: res.status().as_u16() }).inc();
    res
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Prunes the changes feed past its retention, hourly. Every replica may run it: deleting
/// what is already gone changes nothing.
fn spawn_pruning(db: DatabaseConnection, retention: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let before = chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
            match crate::sync::store::prune(&db, before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(pruned = n, "changes feed pruned past its retention"),
                Err(e) => tracing::warn!(error = %e, "cannot prune the changes feed"),
            }
        }
    });
}
