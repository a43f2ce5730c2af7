//! Limits on GraphQL: a request budget checked before a document is parsed, and a cost budget
//! charged with the complexity async-graphql computes while validating it.
//!
//! Buckets: a tool (client credentials) is one bucket; a person signed in through a front end
//! is a bucket of their own, per (client, person), so one busy person can't use up a whole
//! school's front end; an anonymous caller is a bucket per IP; the system principal (the CLI)
//! is never limited.

use std::sync::{Arc, Mutex};

use async_graphql::{
    ServerError, ValidationResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{ClientIp, Limit, Limits, Quota, Refusal, set_quota_headers, set_refusal_headers};
use crate::auth::{Principal, principal::Actor};

/// `extensions.code` of a refused request.
pub const RATE_LIMITED: &str = "RATE_LIMITED";

/// The bucket a principal's GraphQL requests are counted in; `None` for the system principal.
pub fn bucket(principal: &Principal, ip: ClientIp) -> Option<String> {
    match &principal.actor {
        Actor::Client { client_id } => Some(format!("client:{client_id}")),
        Actor::User { client_id, user_id, .. } => Some(format!("user:{client_id}:{user_id}")),
        Actor::Anonymous => Some(format!("ip:{}", ip.key())),
        Actor::System => None,
    }
}

/// Request data the cost extension reads: where to charge, and where to leave a refusal for
/// the HTTP layer to answer 429.
#[derive(Clone)]
pub struct Charge {
    limits: Limits,
    bucket: String,
    refused: Arc<Mutex<Option<Refusal>>>,
}

/// A GraphQL request admitted by its request budget.
pub struct Admission {
    charge: Option<Charge>,
    quota: Option<Quota>,
}

impl Admission {
    /// Charges one request to the principal's bucket.
    pub async fn check(limits: &Limits, principal: &Principal, ip: ClientIp) -> Result<Admission, Refusal> {
        let Some(bucket) = bucket(principal, ip) else { return Ok(Admission { charge: None, quota: None }) };
        let quota = limits.check(Limit::ClientRequests, &bucket, 1).await?;
        let charge = Charge { limits: limits.clone(), bucket, refused: Arc::default() };
        Ok(Admission { charge: Some(charge), quota })
    }

    /// What the cost extension needs, for the request's data.
    pub fn charge(&self) -> Option<Charge> {
        self.charge.clone()
    }

    /// The response's status and headers: 429 when the cost budget refused the document,
    /// otherwise the request bucket's `RateLimit-*` headers.
    pub fn finish(&self, res: &mut Response) {
        let refused = self.charge.as_ref().and_then(|c| *c.refused.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(refusal) = refused {
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            set_refusal_headers(res.headers_mut(), &refusal);
        } else if let Some(quota) = &self.quota {
            set_quota_headers(res.headers_mut(), quota);
        }
    }
}

fn message(refusal: &Refusal) -> String {
    let secs = refusal.retry_after_secs();
    match refusal.limit {
        _ if refusal.over_budget => format!(
            "this document's cost exceeds the whole budget of {} per window: ask for less (smaller pages, fewer fields)",
            refusal.quota.limit
        ),
        Limit::ClientCost => format!("query cost budget used up: retry after {secs} seconds"),
        _ => format!("too many requests: retry after {secs} seconds"),
    }
}

/// The error of a refusal, in GraphQL's shape.
pub fn refusal_error(refusal: &Refusal) -> ServerError {
    let mut err = ServerError::new(message(refusal), None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", RATE_LIMITED);
    ext.set("retryAfter", Value::from(refusal.retry_after_secs()));
    err.extensions = Some(ext);
    err
}

/// A 429 answer to a GraphQL request refused before it ran (the caller sets the media type).
pub fn refusal_response(refusal: &Refusal) -> Response {
    let body = json!({"errors": [{
        "message": message(refusal),
        "extensions": {"code": RATE_LIMITED, "retryAfter": refusal.retry_after_secs()},
    }]});
    let mut res = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    set_refusal_headers(res.headers_mut(), refusal);
    res
}

/// The schema extension that charges each validated document's complexity to its caller's
/// cost budget. Requests without a `Charge` (the CLI, the system principal) pass untouched.
pub struct CostLimit;

impl ExtensionFactory for CostLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostLimitExtension)
    }
}

struct CostLimitExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for CostLimitExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let Some(charge) = ctx.data_opt::<Charge>() else { return Ok(result) };
        if ctx.data_opt::<Principal>().is_some_and(|p| p.actor == Actor::System) {
            return Ok(result);
        }
        let cost = u32::try_from(result.complexity).unwrap_or(u32::MAX);
        match charge.limits.check(Limit::ClientCost, &charge.bucket, cost).await {
            Ok(_) => Ok(result),
            Err(refusal) => {
                *charge.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(refusal);
                Err(vec![refusal_error(&refusal)])
            }
        }
    }
}

/// Checks a WebSocket connection against its request budget at `connection_init`, and returns
/// the charge its operations' costs go to.
pub async fn admit_connection(
    limits: &Limits,
    principal: &Principal,
    ip: ClientIp,
) -> async_graphql::Result<Option<Charge>> {
    match Admission::check(limits, principal, ip).await {
        Ok(admission) => Ok(admission.charge()),
        Err(refusal) => {
            let err = refusal_error(&refusal);
            Err(async_graphql::Error { message: err.message, source: None, extensions: err.extensions })
        }
    }
}
