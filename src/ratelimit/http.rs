//! The caller's IP, and the per-IP limit on the sign-in endpoints.

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

use axum::{
    Json,
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{Limit, Refusal, set_quota_headers, set_refusal_headers};
use crate::state::AppState;

/// The IP a request came from: the TCP peer (`ConnectInfo<SocketAddr>` in the request's
/// extensions), or the client named in `X-Forwarded-For` when the peer is a trusted proxy.
/// `None` when the server did not record the peer: such requests share one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The bucket key of this address.
    pub fn key(&self) -> String {
        self.0.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    /// Resolves the caller's address from the peer and the forwarding header.
    pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> ClientIp {
        let Some(peer) = peer else { return ClientIp(None) };
        if !trusted.contains(&peer) {
            return ClientIp(Some(peer));
        }
        // Walk the chain from the nearest hop: the first address not one of our proxies is
        // the client (anything further left could be forged by it).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !trusted.contains(&ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        ClientIp(Some(client))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientIp::resolve(peer, &parts.headers, &state.limits.config().trusted_proxies))
    }
}

/// Middleware for the token, authorization and sign-in endpoints: a request budget per IP.
pub async fn per_ip(State(state): State<AppState>, ip: ClientIp, req: Request, next: Next) -> Response {
    match state.limits.check(Limit::IpRequests, &ip.key(), 1).await {
        Ok(quota) => {
            let mut res = next.run(req).await;
            if let Some(quota) = quota {
                set_quota_headers(res.headers_mut(), &quota);
            }
            res
        }
        Err(refusal) => oauth_refusal(&refusal),
    }
}

/// A 429 in the OAuth error shape (RFC 6749 §5.2). RFC 6749 has no code for it; `slow_down`
/// is the one OAuth defines for "too many requests, wait" (RFC 8628 §3.5).
pub fn oauth_refusal(refusal: &Refusal) -> Response {
    let description =
        format!("too many requests from this address: retry after {} seconds", refusal.retry_after_secs());
    let mut res =
        (StatusCode::TOO_MANY_REQUESTS, Json(json!({"error": "slow_down", "error_description": description})))
            .into_response();
    set_refusal_headers(res.headers_mut(), refusal);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
