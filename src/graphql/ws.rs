//! GraphQL subscriptions over WebSocket at `/graphql/ws` (the graphql-transport-ws protocol,
//! and the older graphql-ws). The access token travels in the `connection_init` payload as
//! `{"Authorization": "Bearer <token>"}`; it is verified like a bearer header, and every
//! subscription ends when the token expires.

use async_graphql::{Data, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    response::Response,
};

use crate::{
    app::AppState,
    audit::Touched,
    auth::policy::principal_from_claims,
    playlists::loaders::PlaylistLoaders,
    progress::loaders::ProgressLoaders,
    roster::loaders::Loaders,
    sync::graphql::{FeedLoaders, FreshLoaders, TokenExpiry},
};

/// `GET /graphql/ws`.
pub async fn subscribe(
    State(state): State<AppState>,
    ip: crate::ratelimit::ClientIp,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let schema = state.schema.clone();
        GraphQLWebSocket::new(socket, schema, protocol)
            .on_connection_init(move |payload| async move { connection_data(&state, ip, payload).await })
            .serve()
    })
}

async fn connection_data(
    state: &AppState,
    ip: crate::ratelimit::ClientIp,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let header =
        ["Authorization", "authorization"].iter().find_map(|k| payload.get(*k).and_then(|v| v.as_str())).ok_or_else(
            || async_graphql::Error::new("send `{\"Authorization\": \"Bearer <token>\"}` in connection_init"),
        )?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| async_graphql::Error::new("use the Bearer scheme"))?;
    let claims = state.keys.verify(token.trim()).map_err(|e| async_graphql::Error::new(e.0))?;
    let principal = principal_from_claims(&state.db, &claims)
        .await
        .map_err(async_graphql::Error::from)?
        .ok_or_else(|| async_graphql::Error::new("token revoked, or its client or user is no longer active"))?;
    let charge = crate::ratelimit::graphql::admit_connection(&state.limits, &principal, ip).await?;
    let mut data = Data::default();
    if let Some(charge) = charge {
        data.insert(charge);
    }
    data.insert(state.hashing.clone());
    data.insert(principal);
    data.insert(TokenExpiry(claims.exp));
    let (roster, playlists) = (Loaders::new(&state.db), PlaylistLoaders::new(&state.db));
    let (progress, feed) = (ProgressLoaders::new(&state.db), FeedLoaders::new(&state.db));
    let win = crate::win::loaders::WinLoaders::new(&state.db);
    let all = (roster.clone(), playlists.clone(), progress.clone(), feed.clone(), win.clone());
    data.insert(FreshLoaders(std::sync::Arc::new(move || {
        all.0.clear();
        all.1.clear();
        all.2.clear();
        all.3.clear();
        all.4.clear();
    })));
    data.insert(win);
    data.insert(roster);
    data.insert(playlists);
    data.insert(progress);
    data.insert(feed);
    data.insert(Touched::default());
    Ok(data)
}
