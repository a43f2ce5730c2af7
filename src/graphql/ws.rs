//! GraphQL subscriptions over WebSocket at `/graphql/ws` (the graphql-transport-ws protocol,
//! and the older graphql-ws). The access token travels in the `connection_init` payload as
//! `{"Authorization": "Bearer <token>"}`; it is verified like a bearer header. The connection
//! is closed (4401) when the token expires and (4403) as soon as it is revoked or its client
//! disabled: revocations travel on the same notification path as events.

use std::{str::FromStr, sync::Arc, time::Duration};

use async_graphql::{
    Data,
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage},
};
use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::{broadcast, watch};

use crate::{
    app::AppState,
    auth::{policy::principal_from_claims, tokens::AccessClaims},
    graphql::http::bearer_token,
    playlists::loaders::PlaylistLoaders,
    progress::loaders::ProgressLoaders,
    roster::loaders::Loaders,
    sync::graphql::{FeedLoaders, FreshLoaders, TokenExpiry},
};

/// How often a live connection checks that its token still holds, whatever it has heard: a
/// client disabled from the CLI of another process on SQLite, or a lost notification.
const RECHECK: Duration = Duration::from_secs(30);

/// graphql-transport-ws close codes: 4401 Unauthorized (the token expired), 4403 Forbidden
/// (the token was revoked or its client disabled).
const CLOSE_EXPIRED: u16 = 4401;
const CLOSE_REVOKED: u16 = 4403;

/// `GET /graphql/ws`.
pub async fn subscribe(
    State(state): State<AppState>,
    ip: crate::ratelimit::ClientIp,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()));
    let Some(protocol) = protocol else {
        return (StatusCode::BAD_REQUEST, "ask for the graphql-transport-ws (or graphql-ws) subprotocol")
            .into_response();
    };
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| serve(state, ip, protocol, socket))
}

/// Runs the protocol (async-graphql's), and closes the connection with the protocol's close
/// code when the token it was opened with expires or is revoked.
async fn serve(state: AppState, ip: crate::ratelimit::ClientIp, protocol: WebSocketProtocols, socket: WebSocket) {
    let (mut sink, stream) = socket.split();
    let input = stream.take_while(|res| future::ready(res.is_ok())).filter_map(|msg| {
        future::ready(match msg {
            Ok(msg @ (Message::Text(_) | Message::Binary(_))) => Some(msg.into_data()),
            _ => None,
        })
    });
    // The claims of the token the connection was opened with, once `connection_init` is in.
    let (opened_tx, opened_rx) = watch::channel::<Option<Arc<AccessClaims>>>(None);
    let init_state = state.clone();
    let output = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol).on_connection_init(
        move |payload| async move {
            let (data, claims) = connection_data(&init_state, ip, payload).await?;
            let _ = opened_tx.send(Some(Arc::new(claims)));
            Ok(data)
        },
    );
    futures_util::pin_mut!(output);
    let ended = token_ends(&state, opened_rx);
    futures_util::pin_mut!(ended);
    loop {
        tokio::select! {
            msg = output.next() => {
                let Some(msg) = msg else { break };
                let msg = match msg {
                    WsMessage::Text(text) => Message::Text(text.into()),
                    WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame { code, reason: reason.into() })),
                };
                if sink.send(msg).await.is_err() {
                    break;
                }
            }
            (code, reason) = &mut ended => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        }
    }
}

/// Resolves with a close code and reason when the connection's token stops holding: at its
/// expiry, or when a revocation of its client is announced (or the periodic re-check finds
/// it revoked, its client disabled or its person gone).
async fn token_ends(state: &AppState, mut opened: watch::Receiver<Option<Arc<AccessClaims>>>) -> (u16, &'static str) {
    let Ok(claims) = opened.wait_for(Option::is_some).await.map(|c| c.clone()) else {
        return std::future::pending().await;
    };
    let Some(claims) = claims else { return std::future::pending().await };
    let mut revocations = state.bus.subscribe_revocations();
    let expires_in = u64::try_from(claims.exp - chrono::Utc::now().timestamp()).unwrap_or(0);
    let expiry = tokio::time::sleep(Duration::from_secs(expires_in));
    futures_util::pin_mut!(expiry);
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        let check = tokio::select! {
            () = &mut expiry => return (CLOSE_EXPIRED, "token expired"),
            notice = revocations.recv() => match notice {
                Ok(client_id) => client_id == claims.client_id,
                // Missed notices might have been ours.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => false,
            },
            _ = recheck.tick() => true,
        };
        if check {
            match principal_from_claims(&state.db, &claims).await {
                Ok(Some(_)) => {}
                Ok(None) => return (CLOSE_REVOKED, "token revoked, or its client or user is no longer active"),
                // A database hiccup is not a revocation: check again later.
                Err(e) => tracing::warn!(error = %e, "cannot re-check a subscription's token"),
            }
        }
    }
}

async fn connection_data(
    state: &AppState,
    ip: crate::ratelimit::ClientIp,
    payload: serde_json::Value,
) -> async_graphql::Result<(Data, AccessClaims)> {
    let header =
        ["Authorization", "authorization"].iter().find_map(|k| payload.get(*k).and_then(|v| v.as_str())).ok_or_else(
            || async_graphql::Error::new("send `{\"Authorization\": \"Bearer <token>\"}` in connection_init"),
        )?;
    let token = bearer_token(header).ok_or_else(|| async_graphql::Error::new("use the Bearer scheme"))?;
    let claims = state.keys.verify(token).map_err(|e| async_graphql::Error::new(e.0))?;
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
    Ok((data, claims))
}
