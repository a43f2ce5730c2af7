//! A graphql-transport-ws client for the subscription tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest},
};

use super::TestApp;

/// A graphql-transport-ws client. Messages of one subscription read while waiting for
/// another's are kept for later.
pub struct Ws(pub WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>, pub Vec<Value>);

impl Ws {
    /// Connects and initialises with `token`; `Err` carries the server's refusal.
    pub async fn connect(app: &TestApp, token: &str) -> Result<Ws, String> {
        let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (stream, res) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(res.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        let mut ws = Ws(stream, Vec::new());
        ws.send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})).await;
        match ws.recv(Duration::from_secs(10)).await {
            Some(m) if m["type"] == "connection_ack" => Ok(ws),
            other => Err(format!("{other:?}")),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.0.send(Message::text(v.to_string())).await.unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query}})).await;
    }

    /// The next protocol message within `within` (`None`: nothing came, or the socket closed).
    pub async fn recv(&mut self, within: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(within, self.0.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    return Some(v);
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) => return None,
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => panic!("websocket error: {e}"),
            }
        }
    }

    /// The close code the server ends the connection with, reading past other messages;
    /// `None` when it did not close within `within`.
    pub async fn close_code(&mut self, within: Duration) -> Option<u16> {
        let wait = async {
            loop {
                match self.0.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Text(t))) => {
                        if serde_json::from_str::<Value>(&t).is_ok_and(|v| v["type"] == "ping") {
                            self.send(json!({"type": "pong"})).await;
                        }
                    }
                    Some(Err(_)) | None => return None,
                }
            }
        };
        tokio::time::timeout(within, wait).await.ok().flatten()
    }

    /// The next event of subscription `id` that is not a warm-up result.
    pub async fn next_event(&mut self, id: &str) -> Value {
        let wanted = |m: &Value| {
            m["id"] == id
                && !m["payload"]["data"]["resultChanged"]["sourcedId"].as_str().is_some_and(|s| s.starts_with("warm"))
        };
        if let Some(at) = self.1.iter().position(wanted) {
            return self.1.remove(at)["payload"].clone();
        }
        loop {
            let m = self.recv(Duration::from_secs(15)).await.unwrap_or_else(|| panic!("no event for {id}"));
            assert_ne!(m["type"], "error", "{m}");
            if wanted(&m) {
                return m["payload"].clone();
            }
            self.1.push(m);
        }
    }
}
