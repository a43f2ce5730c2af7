//! GraphQL subscriptions over WebSocket at `/graphql/ws` (the graphql-transport-ws protocol,
//! and the older graphql-ws). The access token travels in the `connection_init` payload as
//! `{"Authorization": "Bearer <token>"}`; it is verified like a bearer header. The connection
//! is closed (4401) when the token expires and (4403) as soon as it is revoked or its client
//! disabled: revocations travel on the same notification path as events. Each message that
//! follows learners being revealed to the connection's principal is audited, as an HTTP
//! request is: one event naming them, under the operation the message belongs to.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

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
    audit::{Event, Trail},
    auth::{Principal, policy::principal_from_claims, tokens::AccessClaims},
    graphql::http::{bearer_token, operation_info},
    playlists::loaders::PlaylistLoaders,
    progress::loaders::ProgressLoaders,
    roster::loaders::Loaders,
    state::AppState,
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
    // The request id of the upgrade, which every audit event of the connection carries.
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|r| r.chars().take(64).collect::<String>())
        .filter(|r| !r.is_empty());
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| serve(state, ip, protocol, socket, request_id))
}

/// Who a connection's audit events name, and the trail its principal fills as the service
/// layer reveals learners to it.
struct Caller {
    trail: Trail,
    actor_kind: entity::ActorKind,
    actor_id: String,
    client_id: Option<String>,
    agreement: Option<String>,
}

impl Caller {
    fn of(p: &Principal) -> Caller {
        let (actor_kind, actor_id) = p.actor_ref();
        Caller {
            trail: p.trail.clone(),
            actor_kind,
            actor_id,
            client_id: p.client_id().map(str::to_owned),
            agreement: p.sharing.agreement_id().map(str::to_owned),
        }
    }
}

/// An operation the client started on the connection: its type, name and root fields.
type Operation = (&'static str, Option<String>, Vec<String>);

/// The operations running on a connection, by the id the client gave each.
#[derive(Clone, Default)]
struct Operations(Arc<Mutex<HashMap<String, Operation>>>);

impl Operations {
    /// Notes an operation the client starts (`subscribe`, or `start` in graphql-ws), and
    /// forgets one it stops.
    fn client_sent(&self, bytes: &[u8]) {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
        let Some(id) = msg["id"].as_str() else { return };
        let Ok(mut ops) = self.0.lock() else { return };
        match msg["type"].as_str() {
            Some("subscribe" | "start") => {
                let doc = msg["payload"]["query"].as_str().and_then(|q| async_graphql::parser::parse_query(q).ok());
                ops.insert(id.to_owned(), operation_info(doc.as_ref(), msg["payload"]["operationName"].as_str()));
            }
            Some("complete" | "stop") => {
                ops.remove(id);
            }
            _ => {}
        }
    }

    /// The operation a server message belongs to; an operation ends with `complete` or
    /// `error`.
    fn of_server_message(&self, msg: &serde_json::Value) -> Option<Operation> {
        let id = msg["id"].as_str()?;
        let mut ops = self.0.lock().ok()?;
        match msg["type"].as_str() {
            Some("complete" | "error") => ops.remove(id),
            _ => ops.get(id).cloned(),
        }
    }
}

/// Records one audit event for a message about to be sent, naming the learners the service
/// layer revealed to the connection since the last one (as `http.rs` does per request). The
/// connection's operations share one principal, so learners revealed concurrently by two of
/// its subscriptions are recorded with whichever message goes out first.
async fn audit(state: &AppState, caller: &OnceLock<Caller>, ops: &Operations, text: &str, request_id: &Option<String>) {
    let Some(caller) = caller.get() else { return };
    let learners = caller.trail.take();
    if learners.is_empty() {
        return;
    }
    let msg = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
    let (op_type, op_name, fields) = ops.of_server_message(&msg).unwrap_or(("subscription", None, vec![]));
    let event = Event {
        occurred_at: crate::db::now(),
        actor_kind: caller.actor_kind,
        actor_id: caller.actor_id.clone(),
        client_id: caller.client_id.clone(),
        operation_type: op_type.to_owned(),
        operation_name: op_name.map(|n| n.chars().take(255).collect()),
        fields: fields.join(" "),
        request_id: request_id.clone(),
        learners,
        agreement: caller.agreement.clone(),
    };
    if op_type == "mutation" {
        // A write's answer waits for its audit event, as over HTTP.
        if state.audit.record_durable(event).await.is_err() {
            tracing::error!("the audit event of a write over WebSocket could not be stored");
        }
    } else {
        state.audit.record(event).await;
    }
}

/// Runs the protocol (async-graphql's), and closes the connection with the protocol's close
/// code when the token it was opened with expires or is revoked.
async fn serve(
    state: AppState,
    ip: crate::ratelimit::ClientIp,
    protocol: WebSocketProtocols,
    socket: WebSocket,
    request_id: Option<String>,
) {
    let (mut sink, stream) = socket.split();
    let ops = Operations::default();
    let started = ops.clone();
    let input = stream
        .take_while(|res| future::ready(res.is_ok()))
        .filter_map(|msg| {
            future::ready(match msg {
                Ok(msg @ (Message::Text(_) | Message::Binary(_))) => Some(msg.into_data()),
                _ => None,
            })
        })
        .inspect(move |bytes| started.client_sent(bytes));
    let caller = Arc::new(OnceLock::new());
    let init_caller = caller.clone();
    // The claims of the token the connection was opened with, once `connection_init` is in.
    let (opened_tx, opened_rx) = watch::channel::<Option<Arc<AccessClaims>>>(None);
    let init_state = state.clone();
    let output = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol).on_connection_init(
        move |payload| async move {
            let (data, claims, who) = connection_data(&init_state, ip, payload).await?;
            let _ = init_caller.set(who);
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
                    WsMessage::Text(text) => {
                        audit(&state, &caller, &ops, &text, &request_id).await;
                        Message::Text(text.into())
                    }
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
) -> async_graphql::Result<(Data, AccessClaims, Caller)> {
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
    let caller = Caller::of(&principal);
    data.insert(principal);
    data.insert(TokenExpiry(claims.exp));
    let (roster, playlists) = (Loaders::new(&state.db), PlaylistLoaders::new(&state.db));
    let (progress, feed) = (ProgressLoaders::new(&state.db), FeedLoaders::new(&state.db));
    let win = crate::win::loaders::WinLoaders::new(&state.db);
    let competencies = crate::competencies::loaders::CompetencyLoaders::new(&state.db);
    let all = (roster.clone(), playlists.clone(), progress.clone(), feed.clone(), win.clone(), competencies.clone());
    data.insert(FreshLoaders(std::sync::Arc::new(move || {
        all.0.clear();
        all.1.clear();
        all.2.clear();
        all.3.clear();
        all.4.clear();
        all.5.clear();
    })));
    data.insert(win);
    data.insert(competencies);
    data.insert(roster);
    data.insert(playlists);
    data.insert(progress);
    data.insert(feed);
    Ok((data, claims, caller))
}
