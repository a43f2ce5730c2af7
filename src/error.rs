//! The one error type of the service. Client variants carry a stable `extensions.code`; the
//! server variant logs its cause chain and shows clients only "internal error".

use async_graphql::ErrorExtensions;
use axum::response::IntoResponse;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// `extensions.code` of an unexpected server failure; the HTTP layer adds the request id to it.
pub const INTERNAL_CODE: &str = "INTERNAL_SERVER_ERROR";
/// `extensions.code` of a request refused because the database is busy or unreachable; the
/// HTTP layer answers it 503 with `Retry-After`.
pub const UNAVAILABLE_CODE: &str = "SERVICE_UNAVAILABLE";

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The record does not exist, or the caller may not know that it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record an input field names does not exist, or the caller may not know that it
    /// exists (the same answer for both, so ids can't be probed).
    #[error("{field}: {message}")]
    NotFoundAt { field: String, message: String },
    /// The caller is known but lacks what the operation needs (a scope, a relationship).
    #[error("{0}")]
    Forbidden(String),
    /// The caller's data-sharing agreement does not cover this data element.
    #[error("{0}")]
    NotShared(String),
    /// No valid credentials came with the request.
    #[error("authentication required: send an access token as `Authorization: Bearer <token>`")]
    Unauthenticated,
    /// An input the caller can correct.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// The request collides with the current state (a unique key, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// An update was based on a version that is no longer current.
    #[error(
        "the record changed since version {expected}; it is now at version {current}: reload and reapply your change"
    )]
    StaleVersion { expected: i32, current: i32 },
    /// A sync cursor older than the retained changes: the caller must resync fully.
    #[error("{0}")]
    CursorExpired(String),
    /// The service is too busy for this now (e.g. every secret-hashing slot is taken).
    #[error("the service is busy: retry after {retry_after} seconds")]
    Unavailable { retry_after: u64 },
    /// Anything else: logged with its cause chain, never shown to the client.
    #[error(transparent)]
    Server(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation { field: field.into(), message: message.into() }
    }

    /// The record `field` names is not found (or not visible: the same answer).
    pub fn not_found_at(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::NotFoundAt { field: field.into(), message: message.into() }
    }

    /// A problem with one input field (bad or naming nothing the caller may see), which a
    /// batch reports per row.
    pub fn is_field_error(&self) -> bool {
        matches!(self, AppError::Validation { .. } | AppError::NotFoundAt { .. })
    }

    /// The same error on another field path (a batch's row renumbered, a nested input
    /// re-rooted).
    pub fn refield(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            AppError::Validation { field, message } => AppError::Validation { field: f(field), message },
            AppError::NotFoundAt { field, message } => AppError::NotFoundAt { field: f(field), message },
            other => other,
        }
    }

    /// The `extensions.code` clients see.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) | AppError::NotFoundAt { .. } => "NOT_FOUND",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotShared(_) => "NOT_SHARED",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Validation { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) | AppError::StaleVersion { .. } => "CONFLICT",
            AppError::CursorExpired(_) => "CURSOR_EXPIRED",
            AppError::Unavailable { .. } => UNAVAILABLE_CODE,
            AppError::Server(_) => INTERNAL_CODE,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let Some(why) = unstorable(&err) {
            tracing::info!(error = %err, "a value the database cannot store was refused");
            return AppError::validation("input", why);
        }
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database busy or unreachable");
            return AppError::Unavailable { retry_after: RETRY_AFTER_SECONDS };
        }
        AppError::Server(anyhow::Error::new(err).context("database error"))
    }
}

/// Why a value the caller sent can't be stored or compared, when the database says so: the
/// boundary checks (control characters, lengths) catch most such values first; this catches
/// what only the database knows, such as a date before 4713 BC on PostgreSQL (SQLSTATE class 22,
/// data exception) or a LIKE pattern too long for SQLite.
fn unstorable(err: &DbErr) -> Option<&'static str> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else { return None };
    let sqlx::Error::Database(db) = &**e else { return None };
    let code = db.code();
    if code.as_deref().is_some_and(|c| c.len() == 5 && c.starts_with("22")) {
        return Some(
            "a value is outside what can be stored or compared (a date too far in the past, a number too large)",
        );
    }
    if db.message().contains("pattern too complex") {
        return Some("a filter value is too long");
    }
    None
}

/// Whether a database error means "busy or unreachable, try again" rather than a fault: no
/// connection free in time, a connection refused or lost, a statement cancelled by the
/// statement timeout, too many connections, or SQLite's lock still held after its busy
/// timeout.
pub fn is_unavailable(err: &DbErr) -> bool {
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e)) => return !matches!(&**e, sqlx::Error::Configuration(_)),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => &**e,
        _ => return false,
    };
    match sqlx {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            // 57014 query_canceled (statement timeout), 57P01-57P03 shutdown / cannot
            // connect now, 53300 too many connections; SQLite 5 / 6: busy / locked.
            matches!(db.code().as_deref(), Some("57014" | "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "517"))
        }
        _ => false,
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        let message = match &err {
            AppError::Server(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let AppError::Validation { field, .. } | AppError::NotFoundAt { field, .. } = &err {
                ext.set("field", field.as_str());
            }
            if let AppError::Unavailable { retry_after } = &err {
                ext.set("retryAfter", *retry_after);
            }
        })
    }
}

/// Maps a violation of the named unique constraint to another error, leaving every other
/// database error a server error. Constraint names come from the migrations.
pub trait OnConstraint<T> {
    fn on_unique(self, constraint: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> OnConstraint<T> for Result<T, DbErr> {
    fn on_unique(self, constraint: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) if violates(&msg, constraint) => map(),
            _ => err.into(),
        })
    }
}

/// PostgreSQL names the constraint in its message; SQLite names the columns instead
/// (`UNIQUE constraint failed: table.col`), so for SQLite any unique violation on the
/// statement is taken as the named one. Each statement we map touches one unique key.
fn violates(msg: &str, constraint: &str) -> bool {
    msg.contains(constraint) || msg.contains("UNIQUE constraint failed")
}

pub type AppResult<T> = Result<T, AppError>;

/// DataLoader failures are database failures: a server error, with the same logging.
pub fn db_error(err: DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

/// Seconds a client is asked to wait after a 503.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// A 503 in the shape of the endpoint asked: RFC 6749's for OAuth endpoints, GraphQL's
/// otherwise; always with `Retry-After`.
pub fn unavailable(path: &str, code: &str, message: &str) -> axum::response::Response {
    let body = if path.starts_with("/oauth") {
        serde_json::json!({"error": "temporarily_unavailable", "error_description": message})
    } else {
        serde_json::json!({"errors": [{"message": message, "extensions": {"code": code}}]})
    };
    let mut res = (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(RETRY_AFTER_SECONDS));
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    res
}
