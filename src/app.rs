//! The application: state, router, and a server bound to a port before it runs (tests bind
//! port 0 and read the port back).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use hyper_util::{rt::TokioIo, rt::TokioTimer, service::TowerToHyperService};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::RequestBodyTimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    audit::{AuditLog, AuditWriter},
    auth::{oauth, tokens::Keys},
    config::Config,
    db, error,
    error::unavailable,
    graphql,
    metrics::{HttpLabels, Metrics},
    state::{AppState, WebSettings},
};

/// A bound, not yet serving, application.
pub struct App {
    listener: TcpListener,
    router: Router,
    /// The listener that serves only `/metrics`, when `LEARNERGRAPH_METRICS_BIND` is set.
    metrics: Option<(TcpListener, Router)>,
    shutdown_timeout: Duration,
    header_timeout: Duration,
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
        let sign_in = Arc::new(crate::auth::upstream::SignIn {
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
            schema: graphql::build_schema_with(
                Some(db.clone()),
                Some(audit.clone()),
                Some(bus.clone()),
                &config.graphql,
            ),
            doc_limits: config.graphql.limits,
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight)),
            request_timeout: config.request_timeout,
            limits,
            hashing,
            bus,
            principals: Default::default(),
            documents: Default::default(),
            db,
            keys,
            metrics,
            sign_in,
            audit,
            web: WebSettings::new(&config),
        };
        let listener =
            TcpListener::bind(config.bind).await.with_context(|| format!("cannot listen on {}", config.bind))?;
        let metrics = match config.metrics_bind {
            Some(addr) => Some((
                TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} for metrics"))?,
                Router::new()
                    .route("/metrics", get(metrics_alone))
                    .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
                    .with_state(state.clone()),
            )),
            None => None,
        };
        Ok(App {
            listener,
            metrics,
            router: router(state, config.max_body_bytes, config.body_timeout),
            shutdown_timeout: config.shutdown_timeout,
            header_timeout: config.header_timeout,
            audit_writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port of the metrics listener, when metrics have one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port())
    }

    /// Serves until `shutdown` resolves; then stops accepting (connections already waiting in
    /// the listen backlog are still served), lets in-flight requests finish for up to the
    /// configured grace period, and writes the audit events still queued.
    ///
    /// Connections are served by hyper directly rather than `axum::serve`, for its header
    /// timer: a client gets `header_timeout` to send a request's headers, and an idle
    /// keep-alive connection is closed after the same time.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let App { listener, router, metrics, shutdown_timeout, header_timeout, audit_writer } = self;
        // The metrics listener, if any, is served by the same loop with the same timeouts.
        let (metrics_listener, metrics_router) = match metrics {
            Some((l, r)) => (Some(l), Some(r)),
            None => (None, None),
        };
        let metrics_accept = async |l: &Option<TcpListener>| match l {
            Some(l) => l.accept().await,
            None => std::future::pending().await,
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
        // Each connection holds a clone of `open`; `closed` yields None once all are gone.
        let (open, mut closed) = tokio::sync::mpsc::channel::<()>(1);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => serve_connection(&http, &router, stream, peer, &open, &stop_rx),
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                accepted = metrics_accept(&metrics_listener) => match (accepted, &metrics_router) {
                    (Ok((stream, peer)), Some(r)) => serve_connection(&http, r, stream, peer, &open, &stop_rx),
                    (Err(e), _) => tracing::warn!(error = %e, "metrics accept failed"),
                    _ => {}
                },
                () = &mut shutdown => break,
            }
        }
        // Connections the kernel already accepted for us are in-flight requests too.
        while let Some(Ok((stream, peer))) = futures_util::FutureExt::now_or_never(listener.accept()) {
            serve_connection(&http, &router, stream, peer, &open, &stop_rx);
        }
        drop(listener);
        drop(metrics_listener);
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
        drop(open);
        if tokio::time::timeout(shutdown_timeout, closed.recv()).await.is_err() {
            tracing::warn!("in-flight requests did not finish within {shutdown_timeout:?}; exiting");
        }
        drop(router);
        drop(metrics_router);
        // The server and its state are gone, so the audit queue's senders are too.
        if tokio::time::timeout(shutdown_timeout, audit_writer.close()).await.is_err() {
            tracing::error!("audit events still queued at exit could not be written in time");
        }
        Ok(())
    }
}

/// Serves one accepted connection on its own task until it closes, or until shutdown asks
/// it to finish its current request and close.
fn serve_connection(
    http: &hyper::server::conn::http1::Builder,
    router: &Router,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    open: &tokio::sync::mpsc::Sender<()>,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = router.clone().map_request(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        req
    });
    let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)).with_upgrades();
    let (open, mut stop) = (open.clone(), stop.clone());
    tokio::spawn(async move {
        let _open = open;
        tokio::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
        }
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}

pub fn router(state: AppState, max_body_bytes: usize, body_timeout: Duration) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    // The API: bounded in flight and in time. Health and metrics stay outside those bounds,
    // so a replica that is merely busy still answers its probes.
    // The sign-in endpoints' budget per IP.
    let per_ip = middleware::from_fn_with_state(state.clone(), crate::ratelimit::http::per_ip);
    let api = Router::new()
        .route("/graphql", get(graphql::http::get).post(graphql::http::post))
        .route("/graphql/ws", get(graphql::ws::subscribe))
        .route("/graphiql/{file}", get(graphql::graphiql::asset))
        .route("/oauth/token", post(oauth::token).route_layer(per_ip.clone()))
        .route("/oauth/authorize", get(oauth::authorize).route_layer(per_ip.clone()))
        .route("/oauth/authorize/dev-signin", post(oauth::dev_signin).route_layer(per_ip.clone()))
        .route("/oauth/callback", get(oauth::callback))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/oauth/introspect", post(oauth::introspect))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .merge(crate::roster::rest::routes())
        .merge(crate::progress::rest::routes())
        .route("/ims/oneroster/openapi.json", get(crate::rest::openapi_json))
        .route("/ims/oneroster/{*path}", axum::routing::any(crate::rest::no_such_endpoint))
        .route_layer(middleware::from_fn_with_state(state.clone(), bound_request))
        .layer(RequestBodyTimeoutLayer::new(body_timeout));
    Router::new()
        .merge(api)
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
        .layer(middleware::from_fn(sanitize_request_id))
        .with_state(state)
}

/// Longest caller-chosen request id kept; longer ones, or ones with characters outside
/// `A-Za-z0-9._:-`, are replaced by a generated one.
pub const MAX_REQUEST_ID: usize = 64;

/// Drops a caller's request id that is too long or holds unexpected characters, so that a
/// generated one takes its place (it is echoed back and written to logs and the audit).
async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let ok = req.headers().get("x-request-id").is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
    });
    if !ok {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// Refuses a request at once when too many are in flight, and answers 503 when one runs
/// past the request timeout (its work is dropped with it: a write's transaction rolls back).
async fn bound_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Ok(_permit) = state.in_flight.try_acquire() else {
        state.metrics.overloaded.inc();
        return unavailable(&path, error::UNAVAILABLE_CODE, "too many requests in flight; retry in a moment");
    };
    match tokio::time::timeout(state.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(path, timeout = ?state.request_timeout, "request timed out");
            unavailable(
                &path,
                "REQUEST_TIMEOUT",
                &format!("the request took longer than {} s and was abandoned", state.request_timeout.as_secs()),
            )
        }
    }
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = next.run(req).await;
    state.metrics.http_requests.get_or_create(&HttpLabels { method, route, status: res.status().as_u16() }).inc();
    res
}

/// Ready when the database answers. A pool with every connection in use but a database that
/// answers is "busy", and still ready: taking a busy replica out of rotation would only push
/// its load onto the others. Only an unreachable database makes it unready (503).
async fn readyz(State(state): State<AppState>) -> Response {
    let saturated_now = || {
        let (size, idle, max) = pool_usage(&state.db);
        idle == 0 && size >= max
    };
    let before = saturated_now();
    let ping = tokio::time::timeout(Duration::from_secs(2), state.db.execute_unprepared("SELECT 1")).await;
    // The pool may have filled up while the ping waited for a connection: that is busy too.
    let saturated = before || saturated_now();
    match ping {
        Ok(Ok(_)) if saturated => "ready (busy: every database connection is in use)".into_response(),
        Ok(Ok(_)) => "ready".into_response(),
        Err(_) if saturated => "ready (busy: no database connection free within 2 s)".into_response(),
        Ok(Err(e)) if matches!(e, sea_orm::DbErr::ConnectionAcquire(_)) && saturated => {
            "ready (busy: no database connection free)".into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable: no answer within 2 s").into_response(),
    }
}

/// Connections open, idle, and the most the pool may open.
fn pool_usage(db: &DatabaseConnection) -> (u32, usize, u32) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
    }
}

/// `/metrics` on the main listener: 404 where it is not served there (see [`WebSettings`]).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.web.metrics_on_main {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    metrics_alone(State(state), headers).await
}

/// `/metrics`, behind the bearer token when one is configured.
async fn metrics_alone(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.web.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| Sha256::digest(token.trim().as_bytes()));
        // Digests of equal length, compared without an early exit: the time taken says nothing
        // about how much of the token was right.
        let matches = given.is_some_and(|g| g.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0);
        if !matches {
            let mut res = (StatusCode::UNAUTHORIZED, "metrics need `Authorization: Bearer <token>`").into_response();
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
            return res;
        }
    }
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
