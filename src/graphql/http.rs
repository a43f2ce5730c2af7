//! GraphQL over HTTP (the GraphQL-over-HTTP specification): POST, and GET for queries only;
//! `application/graphql-response+json` or `application/json` by the Accept header; request
//! errors answered 400 under the former; GraphiQL for browsers. The handler reads the body
//! itself, under the router's body limit.

use std::time::Instant;

use async_graphql::{
    Request, Response as GqlResponse, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{documents, limits};
use crate::{
    audit::Event,
    auth::{Actor, Principal, policy::principal_from_claims},
    error::{AppError, INTERNAL_CODE, UNAVAILABLE_CODE},
    error::{RETRY_AFTER_SECONDS, unavailable},
    metrics::{OperationLabels, OutcomeLabels},
    ratelimit::{ClientIp, graphql::Admission},
    roster::loaders::Loaders,
    state::AppState,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

/// Picks the response media type from `Accept`; `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let types: Vec<&str> = accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim()).collect();
    if types.contains(&GRAPHQL_RESPONSE) {
        Some(Media::GraphqlResponse)
    } else if types.iter().any(|t| *t == JSON || *t == "*/*" || *t == "application/*") {
        Some(Media::Json)
    } else {
        None
    }
}

fn plain_error(status: StatusCode, media: Media, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    with_media((status, axum::Json(body)).into_response(), media)
}

fn with_media(mut res: Response, media: Media) -> Response {
    let ct = if media == Media::GraphqlResponse { GRAPHQL_RESPONSE } else { "application/json" };
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

/// The GraphQL request parameters as sent in a GET query string or a POST JSON body.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    /// A JSON object (POST), or a JSON-encoded object (GET).
    variables: Option<serde_json::Value>,
    #[serde(default)]
    access_token: Option<String>,
}

/// `GET /graphql`: GraphiQL for a browser (when enabled), otherwise a query.
pub async fn get(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let mut p = Params::default();
    for (k, v) in params {
        match k.as_str() {
            "query" => p.query = Some(v),
            "operationName" => p.operation_name = Some(v),
            "variables" => p.variables = Some(serde_json::Value::String(v)),
            "access_token" => p.access_token = Some(v),
            _ => {}
        }
    }
    if p.query.is_none() && wants_html && state.web.graphiql {
        return super::graphiql::page();
    }
    execute(state, ip, headers, Method::GET, Ok(p)).await
}

/// `POST /graphql`.
pub async fn post(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|ct| ct == JSON);
    let params = if is_json {
        serde_json::from_slice::<Params>(&body)
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("the body is not a GraphQL request in JSON: {e}")))
    } else {
        Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the request as Content-Type: application/json".to_owned()))
    };
    execute(state, ip, headers, Method::POST, params).await
}

async fn execute(
    state: AppState,
    ip: ClientIp,
    headers: HeaderMap,
    method: Method,
    params: Result<Params, (StatusCode, String)>,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return (StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json")
            .into_response();
    };
    let params = match params {
        Ok(p) => p,
        Err((status, message)) => return plain_error(status, media, "BAD_REQUEST", &message),
    };
    if params.access_token.is_some() {
        return plain_error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_REQUEST",
            "access tokens in the URL or body are refused: send `Authorization: Bearer <token>`",
        );
    }
    let principal = match authenticate(&state, &headers).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if principal.actor == Actor::Anonymous {
        // Nothing in the schema is for anonymous callers (signing in happens at /oauth), so
        // an anonymous document is refused before it is even read.
        return unauthenticated("authentication required: send an access token as `Authorization: Bearer <token>`");
    }
    // Counted before the document is even parsed: a refused caller costs almost nothing.
    let admission = match Admission::check(&state.limits, &principal, ip).await {
        Ok(a) => a,
        Err(refusal) => return with_media(crate::ratelimit::graphql::refusal_response(&refusal), media),
    };
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return plain_error(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", "the request has no `query`");
    };
    // A document seen before passed the limits and parsed then: its tree is copied, not
    // parsed again.
    let cached = state.documents.get(&query);
    // Counted before it is parsed: a megabyte of tokens costs a scan, not a parse.
    if cached.is_none()
        && let Err(e) = limits::check_tokens(&query, &state.doc_limits)
    {
        state.metrics.refused_documents.inc();
        let err = e.into_server_error(None);
        let body = json!({"errors": [err]});
        // A request error, answered as async-graphql's own are (GraphQL over HTTP §6.4).
        let status = if media == Media::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        return with_media((status, axum::Json(body)).into_response(), media);
    }
    let variables = match params.variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(serde_json::Value::String(s)) if method == Method::GET => match serde_json::from_str(&s) {
            Ok(v @ serde_json::Value::Object(_)) => Variables::from_json(v),
            _ => {
                return plain_error(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", "`variables` must be a JSON object");
            }
        },
        Some(v @ serde_json::Value::Object(_)) => Variables::from_json(v),
        Some(_) => {
            return plain_error(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", "`variables` must be a JSON object");
        }
    };
    // Parsed once here (or copied from the cache); execution reuses the parsed document.
    let mut request = Request::new(query).variables(variables);
    if let Some(name) = &params.operation_name {
        request = request.operation_name(name.clone());
    }
    match cached {
        Some(doc) => request.set_parsed_query(doc),
        None if request.query.len() <= documents::MAX_BYTES => {
            let text = request.query.clone();
            if let Ok(doc) = request.parsed_query() {
                state.documents.put(&text, doc);
            }
        }
        None => {}
    }
    let (op_type, op_name, root_fields) = operation_info(request.parsed_query().ok(), params.operation_name.as_deref());
    if method == Method::GET && op_type != "query" && op_type != "invalid" {
        let mut res = plain_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "BAD_REQUEST",
            "only queries may be sent with GET; use POST",
        );
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let trail = principal.trail.clone();
    let (actor_kind, actor_id) = principal.actor_ref();
    let client_id = principal.client_id().map(str::to_owned);
    let agreement = principal.sharing.agreement_id().map(str::to_owned);
    let request = request
        .data(principal)
        .data(Loaders::new(&state.db))
        .data(crate::redesign::loaders::RedesignLoaders::new(&state.db))
        .data(crate::playlists::loaders::PlaylistLoaders::new(&state.db))
        .data(crate::progress::loaders::ProgressLoaders::new(&state.db))
        .data(crate::sync::graphql::FeedLoaders::new(&state.db))
        .data(crate::win::loaders::WinLoaders::new(&state.db))
        .data(crate::competencies::loaders::CompetencyLoaders::new(&state.db))
        .data(state.hashing.clone());
    let request = match admission.charge() {
        Some(charge) => request.data(charge),
        None => request,
    };
    let started = Instant::now();
    let mut response: GqlResponse = state.schema.execute(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let learners = trail.take();
    let mut audit_failed = false;
    if !learners.is_empty() {
        let event = Event {
            occurred_at: crate::db::now(),
            actor_kind,
            actor_id,
            client_id,
            operation_type: op_type.to_owned(),
            operation_name: op_name.map(|n| n.chars().take(255).collect()),
            fields: root_fields.join(" "),
            // The id may come from the caller: keep it within the column.
            request_id: Some(request_id.chars().take(64).collect()).filter(|r: &String| !r.is_empty()),
            learners,
            agreement,
        };
        if op_type == "mutation" {
            // A write is acknowledged only once its audit event is stored.
            audit_failed = state.audit.record_durable(event).await.is_err();
        } else {
            state.audit.record(event).await;
        }
    }
    if audit_failed {
        return unavailable(
            "/graphql",
            UNAVAILABLE_CODE,
            "the change was made but its audit record could not be stored; retry in a moment",
        );
    }
    for err in &mut response.errors {
        let internal = err
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(INTERNAL_CODE));
        if internal {
            err.extensions.get_or_insert_with(Default::default).set("requestId", request_id.clone());
        }
    }
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if request_error {
        // The document never ran: it did not parse, or failed validation or a limit.
        let code = if op_type == "invalid" { "GRAPHQL_PARSE_FAILED" } else { "GRAPHQL_VALIDATION_FAILED" };
        for err in &mut response.errors {
            let complex = err.message.contains("too complex");
            let ext = err.extensions.get_or_insert_with(Default::default);
            if complex {
                ext.set("code", limits::LIMIT_CODE);
                ext.set("limit", "complexity");
            } else if ext.get("code").is_none() {
                ext.set("code", code);
            }
        }
    }
    let mut unavailable_now = false;
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        match ext.get("code") {
            None => {
                // Errors async-graphql raises itself while coercing arguments and variables
                // (an Int out of range, a scalar that does not parse) carry no code.
                ext.set("code", "BAD_USER_INPUT");
            }
            Some(c) if *c == async_graphql::Value::from(UNAVAILABLE_CODE) => unavailable_now = true,
            Some(c) if *c == async_graphql::Value::from(limits::LIMIT_CODE) => {
                state.metrics.refused_documents.inc();
            }
            Some(_) => {}
        }
    }
    let outcome = if response.errors.is_empty() { "ok" } else { "error" };
    state.metrics.graphql_requests.get_or_create(&OutcomeLabels { operation_type: op_type, outcome }).inc();
    state.metrics.graphql_duration.get_or_create(&OperationLabels { operation_type: op_type }).observe(elapsed);
    let status = if unavailable_now {
        StatusCode::SERVICE_UNAVAILABLE
    } else if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut res = with_media((status, body).into_response(), media);
    if unavailable_now {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    admission.finish(&mut res);
    res
}

/// The operation's type (`query`, `mutation`, `subscription`, or `invalid` when it does not
/// parse or names no operation) and its root fields.
pub(crate) fn operation_info(
    doc: Option<&ExecutableDocument>,
    name: Option<&str>,
) -> (&'static str, Option<String>, Vec<String>) {
    use async_graphql::parser::types::Selection;
    let Some(doc) = doc else { return ("invalid", None, vec![]) };
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some((None, op)),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.iter().find(|(n, _)| n.as_str() == name).map(|(n, op)| (Some(n.to_string()), op))
        }
        // A lone named operation may be run without naming it.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.iter().next().map(|(n, op)| (Some(n.to_string()), op))
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some((op_name, op)) = op else { return ("invalid", None, vec![]) };
    let ty = match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let fields = op
        .node
        .selection_set
        .node
        .items
        .iter()
        .filter_map(|s| match &s.node {
            Selection::Field(f) => Some(f.node.name.node.to_string()),
            _ => None,
        })
        .collect();
    (ty, op_name, fields)
}

/// The principal behind the request: anonymous without credentials, 401 for bad ones
/// (RFC 6750 §3).
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    principal_of(state, headers).await.map_err(|failure| match failure {
        AuthFailure::Invalid(description) => unauthenticated(&description),
        AuthFailure::Unavailable(message) => unavailable("/graphql", UNAVAILABLE_CODE, &message),
        AuthFailure::Server(e) => {
            let err: async_graphql::Error = e.into();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"errors": [{"message": err.message, "extensions": {"code": INTERNAL_CODE}}]})),
            )
                .into_response()
        }
    })
}

/// Why a request's credentials were not accepted.
pub enum AuthFailure {
    /// Credentials that do not hold (RFC 6750 `invalid_token`), with why.
    Invalid(String),
    /// The database could not be asked in time.
    Unavailable(String),
    Server(AppError),
}

/// The principal behind a request's `Authorization` header, whatever the transport: anonymous
/// without one; refused when its token is malformed, badly signed, expired or revoked, or its
/// client or person is no longer active.
pub async fn principal_of(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthFailure> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Principal::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or_else(|| AuthFailure::Invalid("use the Bearer authentication scheme".into()))?;
    let claims = state.keys.verify(token).map_err(|e| AuthFailure::Invalid(e.0))?;
    // Read before the lookup: a revocation that lands during it keeps its result out of the
    // cache.
    let epoch = state.bus.auth_epoch();
    if let Some(principal) = state.principals.get(&claims.jti, epoch) {
        return Ok(principal);
    }
    match principal_from_claims(&state.db, &claims).await {
        Ok(Some(principal)) => {
            // A tool's principal: a person's follows the roster (a membership or a role ended)
            // at once, and a front end's traffic is a person's pace.
            if matches!(principal.actor, Actor::Client { .. }) {
                state.principals.put(&claims.jti, &principal, epoch, state.bus.auth_epoch());
            }
            Ok(principal)
        }
        Ok(None) => Err(AuthFailure::Invalid("token revoked, or its client or user is no longer active".into())),
        Err(e @ AppError::Unavailable { .. }) => Err(AuthFailure::Unavailable(e.to_string())),
        Err(e) => Err(AuthFailure::Server(e)),
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110 §11.1).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// 401 with the RFC 6750 §3 challenge.
fn unauthenticated(description: &str) -> Response {
    let value = format!(
        "Bearer realm=\"learnergraph\", error=\"invalid_token\", error_description=\"{}\"",
        description.replace('"', "'")
    );
    let mut res = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"errors": [{"message": description, "extensions": {"code": "UNAUTHENTICATED"}}]})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}
