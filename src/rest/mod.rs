//! The OneRoster 1.2 REST binding as a transport: what every endpoint of its services shares.
//! A request is authenticated with the same bearer tokens as GraphQL (OneRoster's scope URIs
//! map onto learnergraph's own, see [`crate::auth::Scope::implied`]), counted in the same rate
//! buckets, answered from the same domain services (which apply the policy and note the
//! students they reveal), and recorded in the same access audit. Problems are answered as the
//! binding's `imsx_StatusInfo`; collections carry `X-Total-Count` and a `Link` header.

pub mod openapi;
pub mod query;

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use sea_orm::{EntityTrait, Iterable, PrimaryKeyToColumn, Select};
use serde_json::{Map, Value, json};

pub use query::{Field, ListParams, Ty};

/// Declares a service's operations from one list: registers each route (`routes()`) and
/// describes it for the OpenAPI document (`service()`), so that the two cannot disagree.
/// Each line: `"/path/{id}" => handler, "operationId", many|one SCHEMA, SCOPES;`.
macro_rules! service {
    ($title:literal, $base:expr; $($($method:ident)? $path:literal => $handler:ident, $id:literal, $many:ident $schema:ident, $scopes:ident;)*) => {
        /// The service's routes (merged into the application's router).
        pub fn routes() -> axum::Router<$crate::state::AppState> {
            axum::Router::new()$(.route(&format!("{}{}", $base, $path), $crate::rest::service!(@route $($method)?)($handler)))*
        }

        /// The service's operations, for the OpenAPI document.
        pub fn service() -> $crate::rest::openapi::Service {
            $crate::rest::openapi::Service {
                title: $title,
                base: $base,
                operations: vec![$($crate::rest::openapi::Operation {
                    method: $crate::rest::service!(@method $($method)?),
                    path: $path,
                    id: $id,
                    summary: $id,
                    many: $crate::rest::service!(@many $many),
                    schema: &$schema,
                    scopes: $scopes,
                }),*],
            }
        }
    };
    (@many many) => { true };
    (@many one) => { false };
    (@route) => { axum::routing::get };
    (@route put) => { axum::routing::put };
    (@route delete) => { axum::routing::delete };
    (@method) => { $crate::rest::openapi::Method::Get };
    (@method put) => { $crate::rest::openapi::Method::Put };
    (@method delete) => { $crate::rest::openapi::Method::Delete };
}
pub(crate) use service;

/// One operation's handler: reads the request's parameters, then runs the body with the state
/// `s`, the principal `p`, the parameters and the path's ids, through [`read`].
macro_rules! op {
    ($fn:ident, $op:literal, |$s:ident, $p:ident, $params:ident| $body:expr) => {
        async fn $fn(
            axum::extract::State($s): axum::extract::State<$crate::state::AppState>,
            ip: $crate::ratelimit::ClientIp,
            headers: axum::http::HeaderMap,
            uri: axum::http::Uri,
        ) -> axum::response::Response {
            $crate::rest::read(&$s, ip, &headers, &uri, $op, async |$p: $crate::auth::Principal| {
                let $params = $crate::rest::ListParams::parse(uri.query())?;
                let $p = &$p;
                let $s = &$s;
                $body.await
            })
            .await
        }
    };
    ($fn:ident, $op:literal, |$s:ident, $p:ident, $params:ident, $id:ident| $body:expr) => {
        async fn $fn(
            axum::extract::State($s): axum::extract::State<$crate::state::AppState>,
            ip: $crate::ratelimit::ClientIp,
            headers: axum::http::HeaderMap,
            uri: axum::http::Uri,
            axum::extract::Path($id): axum::extract::Path<String>,
        ) -> axum::response::Response {
            $crate::rest::read(&$s, ip, &headers, &uri, $op, async |$p: $crate::auth::Principal| {
                let $params = $crate::rest::ListParams::parse(uri.query())?;
                let $p = &$p;
                let $s = &$s;
                let $id = $id.as_str();
                $body.await
            })
            .await
        }
    };
    ($fn:ident, $op:literal, put |$s:ident, $p:ident, $id:ident, $sent:ident| $body:expr) => {
        async fn $fn(
            axum::extract::State($s): axum::extract::State<$crate::state::AppState>,
            ip: $crate::ratelimit::ClientIp,
            headers: axum::http::HeaderMap,
            uri: axum::http::Uri,
            axum::extract::Path($id): axum::extract::Path<String>,
            body: axum::body::Bytes,
        ) -> axum::response::Response {
            $crate::rest::serve(&$s, ip, &headers, &uri, $op, true, async |$p: $crate::auth::Principal| {
                let $sent: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| $crate::rest::StatusInfo::invalid_data(format!("the body is not JSON: {e}")))?;
                let $p = &$p;
                let $s = &$s;
                let $id = $id.as_str();
                $body.await
            })
            .await
        }
    };
    ($fn:ident, $op:literal, delete |$s:ident, $p:ident, $id:ident| $body:expr) => {
        async fn $fn(
            axum::extract::State($s): axum::extract::State<$crate::state::AppState>,
            ip: $crate::ratelimit::ClientIp,
            headers: axum::http::HeaderMap,
            uri: axum::http::Uri,
            axum::extract::Path($id): axum::extract::Path<String>,
        ) -> axum::response::Response {
            $crate::rest::serve(&$s, ip, &headers, &uri, $op, true, async |$p: $crate::auth::Principal| {
                let $p = &$p;
                let $s = &$s;
                let $id = $id.as_str();
                $body.await
            })
            .await
        }
    };
    ($fn:ident, $op:literal, |$s:ident, $p:ident, $params:ident, $id:ident, $id2:ident| $body:expr) => {
        async fn $fn(
            axum::extract::State($s): axum::extract::State<$crate::state::AppState>,
            ip: $crate::ratelimit::ClientIp,
            headers: axum::http::HeaderMap,
            uri: axum::http::Uri,
            axum::extract::Path(($id, $id2)): axum::extract::Path<(String, String)>,
        ) -> axum::response::Response {
            $crate::rest::read(&$s, ip, &headers, &uri, $op, async |$p: $crate::auth::Principal| {
                let $params = $crate::rest::ListParams::parse(uri.query())?;
                let $p = &$p;
                let $s = &$s;
                let ($id, $id2) = ($id.as_str(), $id2.as_str());
                $body.await
            })
            .await
        }
    };
}
pub(crate) use op;

/// A [`Field`] whose SQL is one of the collection's own columns.
macro_rules! col {
    ($e:ident, $c:ident) => {
        |_| sea_orm::sea_query::Expr::col(($e::Entity, $e::Column::$c))
    };
}
pub(crate) use col;

/// A [`Field`]: its name in the binding, its [`Ty`], its SQL.
macro_rules! field {
    ($name:literal, $ty:ident, $expr:expr) => {
        $crate::rest::Field { name: $name, ty: $crate::rest::Ty::$ty, expr: $expr }
    };
}
pub(crate) use field;

use crate::{
    audit::Event,
    auth::{Actor, Principal},
    error::{AppError, AppResult},
    graphql::http::{AuthFailure, principal_of},
    page::{Page, PageRequest},
    ratelimit::{ClientIp, graphql::Admission, set_refusal_headers},
    state::AppState,
};

/// A problem, as the binding's `imsx_StatusInfo` with its HTTP status.
#[derive(Clone, Debug)]
pub struct StatusInfo {
    pub status: StatusCode,
    /// `imsx_codeMinorFieldValue`: `invalid_filter_field`, `unknownobject`, ...
    pub minor: &'static str,
    pub description: String,
    /// `Retry-After`, in seconds, for a refusal that passes.
    pub retry_after: Option<u64>,
}

impl StatusInfo {
    pub fn new(status: StatusCode, minor: &'static str, description: impl Into<String>) -> Self {
        StatusInfo { status, minor, description: description.into(), retry_after: None }
    }
    pub fn invalid_filter(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_filter_field", description)
    }
    pub fn invalid_selection(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_selection_field", description)
    }
    pub fn invalid_sort(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_sort_field", description)
    }
    pub fn invalid_data(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invaliddata", description)
    }
    /// 404 for a sourcedId the caller cannot see, whether or not it exists.
    pub fn unknown(what: &str, sourced_id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "unknownobject", format!("no {what} with sourcedId `{sourced_id}`"))
    }
}

impl From<AppError> for StatusInfo {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, "unknownobject", format!("{what} not found")),
            AppError::NotFoundAt { .. } => Self::new(StatusCode::NOT_FOUND, "unknownobject", e.to_string()),
            AppError::Forbidden(m) | AppError::NotShared(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            AppError::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "unauthorisedrequest", e.to_string()),
            AppError::Validation { .. } | AppError::Conflict(_) | AppError::StaleVersion { .. } => {
                Self::invalid_data(e.to_string())
            }
            AppError::CursorExpired(m) => Self::invalid_data(m),
            AppError::Unavailable { .. } => Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_busy", e.to_string()),
            AppError::Server(cause) => {
                tracing::error!(error = ?cause, "OneRoster request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error", "internal error")
            }
        }
    }
}

impl IntoResponse for StatusInfo {
    fn into_response(self) -> Response {
        let body = json!({
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": self.description,
            "imsx_CodeMinor": {"imsx_codeMinorField": [{
                "imsx_codeMinorFieldName": "TargetEndSystem",
                "imsx_codeMinorFieldValue": self.minor,
            }]},
        });
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer realm=\"learnergraph\", error=\"invalid_token\", error_description=\"{}\"",
                self.description.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        match (self.retry_after, self.status) {
            (Some(secs), _) => {
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            (None, StatusCode::SERVICE_UNAVAILABLE) => {
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
            }
            _ => {}
        }
        res
    }
}

/// `GET /ims/oneroster/openapi.json`: the OpenAPI 3 document of the OneRoster services, built
/// once from their operation tables. Public, as the token endpoint's metadata is.
pub async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(
        DOCUMENT.get_or_init(|| openapi::document(&[crate::roster::rest::service(), crate::progress::rest::service()])),
    )
    .into_response()
}

/// Charges a collection read to the caller's cost budget, a unit per record it may return (as
/// GraphQL charges a document's complexity): a page of 1,000 costs what 1,000 small reads do.
pub async fn charge(state: &AppState, p: &Principal, records: u64) -> Result<(), StatusInfo> {
    let Some(bucket) = crate::ratelimit::graphql::bucket(p, ClientIp(None)) else { return Ok(()) };
    let cost = u32::try_from(records).unwrap_or(u32::MAX);
    match state.limits.check(crate::ratelimit::Limit::ClientCost, &bucket, cost).await {
        Ok(_) => Ok(()),
        Err(refusal) => {
            let mut info = StatusInfo::new(
                StatusCode::TOO_MANY_REQUESTS,
                "server_busy",
                format!("query cost budget used up: retry after {} seconds", refusal.retry_after_secs()),
            );
            info.retry_after = Some(refusal.retry_after_secs());
            Err(info)
        }
    }
}

/// Any other path under `/ims/oneroster`: 404 in the binding's shape, so a client that asks
/// for an endpoint not served (a resource service, a misspelt collection) reads why.
pub async fn no_such_endpoint(uri: Uri) -> Response {
    StatusInfo::new(
        StatusCode::NOT_FOUND,
        "unknownobject",
        format!("no OneRoster endpoint at {}; /ims/oneroster/openapi.json lists those served", uri.path()),
    )
    .into_response()
}

/// A collection read, the steps every one shares: the schema's scope, the `fields` selection,
/// the cost charge, the filter and order on the service's own visible-records query `q`, then
/// its paging (the store's, which reveals students) and its rendering.
pub async fn collection<E: EntityTrait>(
    state: &AppState,
    p: &Principal,
    params: ListParams,
    schema: &'static openapi::Schema,
    q: Select<E>,
    page: impl AsyncFnOnce(Select<E>, E::Column, PageRequest) -> AppResult<Page<E::Model>>,
    render: impl AsyncFnOnce(Vec<E::Model>) -> AppResult<Vec<Value>>,
) -> Result<Reply, StatusInfo> {
    p.require(schema.scope)?;
    params.check_selection(schema)?;
    charge(state, p, params.limit).await?;
    let id = E::PrimaryKey::iter()
        .next()
        .map(PrimaryKeyToColumn::into_column)
        .ok_or_else(|| AppError::Server(anyhow::anyhow!("{} has no primary key", schema.name)))?;
    let q = params.apply(p, q, schema.fields, id)?;
    let page = page(q, id, PageRequest::Offset { limit: params.limit, offset: params.offset }).await?;
    let items = render(page.rows).await?;
    // A filtered read of students: its total says something of students the page may not show.
    let probed = schema.students && params.filter.is_some();
    Ok(Reply::Collection { key: schema.many, items, total: page.total.unwrap_or(0), params, probed })
}

/// What a read answers: a page of a collection, or one record, each already in the binding's
/// JSON (the `fields` selection is applied here).
pub enum Reply {
    /// `probed`: the collection holds students and the caller filtered it, so its total says
    /// something of students the page may not show: the read is audited even when the page is
    /// empty, with its query.
    Collection {
        key: &'static str,
        items: Vec<Value>,
        total: u64,
        params: ListParams,
        probed: bool,
    },
    One {
        key: &'static str,
        item: Value,
        fields: Option<Vec<String>>,
    },
    /// A PUT's record as stored: 201 when it was created, 200 when it replaced one (or was
    /// already so, or was older than the stored version, which is what it answers then).
    Written {
        key: &'static str,
        item: Value,
        created: bool,
    },
    /// A DELETE done: 204.
    Deleted,
}

/// Serves one read of the binding: [`serve`] for a GET.
pub async fn read(
    state: &AppState,
    ip: ClientIp,
    headers: &HeaderMap,
    uri: &Uri,
    operation: &'static str,
    read: impl AsyncFnOnce(Principal) -> Result<Reply, StatusInfo>,
) -> Response {
    serve(state, ip, headers, uri, operation, false, read).await
}

/// Serves one operation of the binding: authenticates (an anonymous caller gets 401), charges
/// the caller's request budget, runs `run` with the principal, and records the students it
/// revealed or changed in the access audit, as one event named after the binding's operation.
/// A write (`write`) is acknowledged only once its event is stored, as a GraphQL mutation is.
pub async fn serve(
    state: &AppState,
    ip: ClientIp,
    headers: &HeaderMap,
    uri: &Uri,
    operation: &'static str,
    write: bool,
    run: impl AsyncFnOnce(Principal) -> Result<Reply, StatusInfo>,
) -> Response {
    let principal = match principal_of(state, headers).await {
        Ok(p) if p.actor == Actor::Anonymous => {
            return StatusInfo::new(
                StatusCode::UNAUTHORIZED,
                "unauthorisedrequest",
                "authentication required: send an access token as `Authorization: Bearer <token>`",
            )
            .into_response();
        }
        Ok(p) => p,
        Err(AuthFailure::Invalid(m)) => {
            return StatusInfo::new(StatusCode::UNAUTHORIZED, "unauthorisedrequest", m).into_response();
        }
        Err(AuthFailure::Unavailable(m)) => {
            return StatusInfo::new(StatusCode::SERVICE_UNAVAILABLE, "server_busy", m).into_response();
        }
        Err(AuthFailure::Server(e)) => return StatusInfo::from(e).into_response(),
    };
    let admission = match Admission::check(&state.limits, &principal, ip).await {
        Ok(a) => a,
        Err(refusal) => {
            let mut res = StatusInfo::new(
                StatusCode::TOO_MANY_REQUESTS,
                "server_busy",
                format!("too many requests: retry after {} seconds", refusal.retry_after_secs()),
            )
            .into_response();
            set_refusal_headers(res.headers_mut(), &refusal);
            return res;
        }
    };
    let trail = principal.trail.clone();
    let (actor_kind, actor_id) = principal.actor_ref();
    let client_id = principal.client_id().map(str::to_owned);
    let agreement = principal.sharing.agreement_id().map(str::to_owned);
    let outcome = run(principal).await;
    let learners = trail.take();
    let probed = matches!(&outcome, Ok(Reply::Collection { probed: true, .. }));
    if !learners.is_empty() || probed {
        // The path, and the query that chose the records (a filter, a page).
        let what = match uri.query() {
            Some(q) => format!("{}?{q}", uri.path()),
            None => uri.path().to_owned(),
        };
        let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let event = Event {
            occurred_at: crate::db::now(),
            actor_kind,
            actor_id,
            client_id,
            operation_type: if write { "mutation" } else { "query" }.to_owned(),
            operation_name: Some(format!("OneRoster {operation}")),
            fields: what.chars().take(1000).collect(),
            request_id: Some(request_id.chars().take(64).collect()).filter(|r: &String| !r.is_empty()),
            learners,
            agreement,
        };
        if !write {
            state.audit.record(event).await;
        } else if state.audit.record_durable(event).await.is_err() {
            let mut res = StatusInfo::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_busy",
                "the change was made but its audit record could not be stored; retry in a moment",
            )
            .into_response();
            admission.finish(&mut res);
            return res;
        }
    }
    let mut res = match outcome {
        Ok(reply) => respond(reply, uri),
        Err(info) => info.into_response(),
    };
    admission.finish(&mut res);
    res
}

/// The JSON of a reply, with the paging headers of a collection.
fn respond(reply: Reply, uri: &Uri) -> Response {
    match reply {
        Reply::One { key, item, fields } => Json(json!({ key: select(item, fields.as_deref()) })).into_response(),
        Reply::Written { key, item, created } => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(json!({ key: item }))).into_response()
        }
        Reply::Deleted => StatusCode::NO_CONTENT.into_response(),
        Reply::Collection { key, items, total, params, .. } => {
            let items: Vec<Value> = items.into_iter().map(|i| select(i, params.fields.as_deref())).collect();
            let mut res = Json(json!({ key: items })).into_response();
            let h = res.headers_mut();
            h.insert("x-total-count", HeaderValue::from(total));
            if let Some(link) = link_header(uri, &params, total).and_then(|l| HeaderValue::from_str(&l).ok()) {
                h.insert(header::LINK, link);
            }
            res
        }
    }
}

/// Keeps the selected fields of a record (all of them when there is no selection).
fn select(item: Value, fields: Option<&[String]>) -> Value {
    match (item, fields) {
        (Value::Object(map), Some(fields)) => {
            Value::Object(map.into_iter().filter(|(k, _)| fields.iter().any(|f| f == k)).collect::<Map<_, _>>())
        }
        (item, _) => item,
    }
}

/// RFC 8288 links to the first, previous, next and last pages, as references relative to the
/// request (its path and its other parameters kept).
fn link_header(uri: &Uri, params: &ListParams, total: u64) -> Option<String> {
    let others: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "limit" && k != "offset")
        .collect();
    let href = |offset: u64| {
        let mut pairs = others.clone();
        pairs.push(("limit".into(), params.limit.to_string()));
        pairs.push(("offset".into(), offset.to_string()));
        format!("{}?{}", uri.path(), serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let limit = params.limit.max(1);
    let last = if total == 0 { 0 } else { (total - 1) / limit * limit };
    let mut links = vec![format!("<{}>; rel=\"first\"", href(0))];
    if params.offset > 0 {
        links.push(format!("<{}>; rel=\"prev\"", href(params.offset.saturating_sub(limit))));
    }
    if params.offset.saturating_add(limit) < total {
        links.push(format!("<{}>; rel=\"next\"", href(params.offset + limit)));
    }
    links.push(format!("<{}>; rel=\"last\"", href(last)));
    Some(links.join(", "))
}

/// A record's JSON as the binding begins every one: `sourcedId`, `status`, `dateLastModified`.
pub fn record(status: entity::Status, sourced_id: &str, modified: chrono::DateTime<chrono::Utc>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sourcedId".into(), sourced_id.into());
    m.insert("status".into(), status.as_str().into());
    m.insert("dateLastModified".into(), time(modified).into());
    m
}

/// Sets an optional property: the binding leaves out what a record does not have.
pub fn put(m: &mut Map<String, Value>, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(key.into(), v.into());
    }
}

/// The binding's TrueFalse strings.
pub fn true_false(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// One record's reply, with the `fields` selection checked; 404 when `items` is empty.
pub fn one(schema: &openapi::Schema, params: &ListParams, id: &str, items: Vec<Value>) -> Result<Reply, StatusInfo> {
    params.check_selection(schema)?;
    let item = items.into_iter().next().ok_or_else(|| StatusInfo::unknown(schema.one, id))?;
    Ok(Reply::One { key: schema.one, item, fields: params.fields.clone() })
}

/// A reference to another record, as the binding nests them: `{href, sourcedId, type}`.
pub fn reference(base: &str, collection: &str, ty: &str, sourced_id: &str) -> Value {
    json!({
        "href": format!("{base}/{collection}/{}", utf8_percent(sourced_id)),
        "sourcedId": sourced_id,
        "type": ty,
    })
}

/// A sourcedId as one path segment.
fn utf8_percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A time as the binding writes `dateLastModified`: UTC, milliseconds, `Z`.
pub fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A comma-separated stored list as the binding's array of strings.
pub fn list(v: Option<&str>) -> Value {
    Value::Array(
        v.unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::from(s.to_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: u64, offset: u64) -> ListParams {
        ListParams { limit, offset, sort: None, descending: false, filter: None, fields: None }
    }

    #[test]
    fn links_name_the_neighbouring_and_end_pages_and_keep_the_other_parameters() {
        let uri: Uri = "/ims/oneroster/rostering/v1p2/users?filter=status%3D%27active%27&limit=10&offset=10"
            .parse()
            .unwrap_or_default();
        let got = link_header(&uri, &params(10, 10), 35).unwrap_or_default();
        let base = "/ims/oneroster/rostering/v1p2/users?filter=status%3D%27active%27";
        assert_eq!(
            got,
            format!(
                "<{base}&limit=10&offset=0>; rel=\"first\", <{base}&limit=10&offset=0>; rel=\"prev\", \
                 <{base}&limit=10&offset=20>; rel=\"next\", <{base}&limit=10&offset=30>; rel=\"last\""
            )
        );
        let uri: Uri = "/x".parse().unwrap_or_default();
        assert_eq!(
            link_header(&uri, &params(10, 0), 10).unwrap_or_default(),
            "</x?limit=10&offset=0>; rel=\"first\", </x?limit=10&offset=0>; rel=\"last\""
        );
        assert_eq!(
            link_header(&uri, &params(10, 0), 0).unwrap_or_default(),
            "</x?limit=10&offset=0>; rel=\"first\", </x?limit=10&offset=0>; rel=\"last\""
        );
    }

    #[test]
    fn references_escape_the_sourced_id_in_their_href() {
        assert_eq!(
            reference("/b", "users", "user", "a b/ç"),
            json!({"href": "/b/users/a%20b%2F%C3%A7", "sourcedId": "a b/ç", "type": "user"})
        );
    }
}
