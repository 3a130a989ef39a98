//! One websocket connection: client requests, queued updates, heartbeat, and the reasons a
//! connection ends (slow consumer, token expiry or revocation, logout, silence, shutdown).

use super::{
    Principal,
    hub::{Conn, Hub, Kill, Registration},
};
use crate::{AppState, store::ItemRecord};
use appframe_protocol::{
    rules,
    ws::{
        ACCESS_DENIED, BAD_REQUEST, CLOSE_TOKEN_EXPIRED, ClientMessage, INFO_HEARTBEAT, NOT_FOUND,
        REALM, SERVER_ERROR, ServerMessage, Topic,
    },
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures::SinkExt;
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};
use uuid::Uuid;

/// Most queued updates written to the socket before one flush.
const BATCH: usize = 64;

/// How a connection ends: close code, `closing` reason (none for a client's disconnect).
struct Ending {
    code: u16,
    reason: Option<&'static str>,
}

impl Ending {
    fn with(code: u16, reason: &'static str) -> Ending {
        Ending {
            code,
            reason: Some(reason),
        }
    }
}

/// Unregisters the connection however the task ends.
struct Registered<'a>(&'a Hub, Arc<Conn>);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0.unregister(&self.1);
    }
}

fn text(msg: &ServerMessage) -> Message {
    // Serializing these plain structs cannot fail; an empty frame would be a harmless no-op.
    Message::Text(serde_json::to_string(msg).unwrap_or_default().into())
}

/// Runs a connection until it ends, then closes it with a reason.
pub(super) async fn run(state: AppState, principal: Principal, mut socket: WebSocket) {
    let hub = state.ws().clone();
    let Registration {
        conn,
        mut rx,
        mut kill,
    } = hub.register(principal.account_id());
    let _registered = Registered(&hub, conn.clone());
    let cfg = &state.config().server;
    let beat = Duration::from_secs(cfg.ws_heartbeat_secs);
    let idle = Duration::from_secs(cfg.ws_idle_secs);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + beat, beat);
    let mut shutdown = hub.shutdown_signal();
    let expiry = token_expiry(&principal);
    let expired = tokio::time::sleep_until(expiry.unwrap_or_else(far_future));
    tokio::pin!(expired);
    let mut last_seen = Instant::now();

    let ending: Option<Ending> = loop {
        let out = tokio::select! {
            biased;
            k = &mut kill => break Some(killed(k)),
            _ = super::stopped(&mut shutdown) => break Some(Ending::with(close_code::AWAY, "shutdown")),
            _ = &mut expired, if expiry.is_some() => {
                break Some(Ending::with(CLOSE_TOKEN_EXPIRED, "token-expired"));
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() >= idle {
                    break Some(Ending::with(close_code::AWAY, "idle"));
                }
                if !session_alive(&state, &principal).await {
                    break Some(Ending::with(CLOSE_TOKEN_EXPIRED, "session-ended"));
                }
                if token_revoked(&state, &principal).await {
                    break Some(Ending::with(CLOSE_TOKEN_EXPIRED, "token-revoked"));
                }
                if let Err(end) = send(&mut socket, text(&ServerMessage::info(INFO_HEARTBEAT, None)), &mut kill).await {
                    break end;
                }
                Message::Ping(Default::default())
            }
            m = socket.recv() => match m {
                // The peer left, or broke the protocol (e.g. a frame over the size limit).
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break None,
                Some(Ok(m)) => {
                    last_seen = Instant::now();
                    match m {
                        Message::Text(t) => match handle(&state, &principal, &conn, t.as_str()).await {
                            Reply::Send(msg) => text(&msg),
                            Reply::Disconnect => break Some(Ending { code: close_code::NORMAL, reason: None }),
                        },
                        Message::Binary(_) => text(&ServerMessage::error(
                            BAD_REQUEST,
                            "messages are JSON text",
                            None,
                        )),
                        // Pings are answered by the websocket layer; pongs only prove liveness.
                        _ => continue,
                    }
                }
            },
            Some(update) = rx.recv() => {
                if let Err(end) = send_updates(&mut socket, update, &mut rx, &mut kill).await {
                    break end;
                }
                continue;
            }
        };
        if let Err(end) = send(&mut socket, out, &mut kill).await {
            break end;
        }
    };
    drop(_registered);
    if let Some(end) = ending {
        // Bounded: a peer that does not read must not hold the connection's task forever.
        let _ = tokio::time::timeout(Duration::from_secs(cfg.ws_close_secs), async {
            if let Some(reason) = end.reason {
                socket.send(text(&ServerMessage::closing(reason))).await?;
            }
            socket
                .send(Message::Close(Some(CloseFrame {
                    code: end.code,
                    reason: end.reason.unwrap_or_default().into(),
                })))
                .await?;
            // Complete the closing handshake: closing the TCP socket while the peer still
            // sends (e.g. pongs) would reset the connection and discard what it has not read
            // yet, the closing reason included.
            while let Some(Ok(m)) = socket.recv().await {
                if matches!(m, Message::Close(_)) {
                    break;
                }
            }
            Ok::<(), axum::Error>(())
        })
        .await;
    }
}

/// Writes one message unless the hub drops the connection meanwhile (a write to a peer that
/// does not read would otherwise wait forever). `Err` ends the connection: `Some` with a
/// reason to send, `None` when the socket failed.
async fn send(
    socket: &mut WebSocket,
    msg: Message,
    kill: &mut oneshot::Receiver<Kill>,
) -> Result<(), Option<Ending>> {
    tokio::select! {
        biased;
        k = kill => Err(Some(killed(k))),
        r = socket.send(msg) => r.map_err(|_| None),
    }
}

/// Writes an update and the updates queued behind it (at most [`BATCH`]) with one flush, so a
/// connection that fell behind catches up with one socket write per batch rather than one per
/// message. Raced against the hub's drop like [`send`].
async fn send_updates(
    socket: &mut WebSocket,
    first: Utf8Bytes,
    rx: &mut mpsc::Receiver<Utf8Bytes>,
    kill: &mut oneshot::Receiver<Kill>,
) -> Result<(), Option<Ending>> {
    let write = async {
        socket.feed(Message::Text(first)).await?;
        for _ in 1..BATCH {
            match rx.try_recv() {
                Ok(update) => socket.feed(Message::Text(update)).await?,
                Err(_) => break,
            }
        }
        socket.flush().await
    };
    tokio::select! {
        biased;
        k = kill => Err(Some(killed(k))),
        r = write => r.map_err(|_| None),
    }
}

fn killed(k: Result<Kill, oneshot::error::RecvError>) -> Ending {
    match k {
        Ok(Kill::SlowConsumer) | Err(_) => Ending::with(close_code::POLICY, "slow-consumer"),
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// When a token connection must end (`exp` of the token).
fn token_expiry(p: &Principal) -> Option<Instant> {
    let Principal::Token(c) = p else {
        return None;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Some(Instant::now() + Duration::from_secs(c.exp.saturating_sub(now)))
}

/// Whether a cookie connection's session still exists (logout ends its connections).
async fn session_alive(state: &AppState, p: &Principal) -> bool {
    let Principal::Session { session, .. } = p else {
        return true;
    };
    // A database hiccup does not end connections; the next heartbeat checks again.
    !matches!(
        state
            .store()
            .session_account(session, time::OffsetDateTime::now_utc())
            .await,
        Ok(None)
    )
}

/// Whether a token connection's token was revoked since the upgrade (its host session ended,
/// the app key changed, its origin was removed, or its item is gone): checked at each
/// heartbeat, like a cookie connection's session.
async fn token_revoked(state: &AppState, p: &Principal) -> bool {
    let Principal::Token(claims) = p else {
        return false;
    };
    match crate::access::check_not_revoked(state, claims).await {
        Ok(()) => false,
        Err(crate::Error::TokenRevoked(_) | crate::Error::ItemNotFound) => true,
        // A database hiccup does not end connections; the next heartbeat checks again.
        Err(e) => {
            tracing::warn!(error = %e, "token revocation check failed");
            false
        }
    }
}

enum Reply {
    Send(ServerMessage),
    Disconnect,
}

/// Answers one client message.
async fn handle(state: &AppState, p: &Principal, conn: &Arc<Conn>, text: &str) -> Reply {
    let bad = |m: &str| Reply::Send(ServerMessage::error(BAD_REQUEST, m, None));
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return bad("the message is not JSON");
    };
    let Ok(msg) = serde_json::from_value::<ClientMessage>(value.clone()) else {
        return bad("unknown action or missing fields");
    };
    let realm = match &msg {
        ClientMessage::Subscribe { realm, .. }
        | ClientMessage::Unsubscribe { realm, .. }
        | ClientMessage::SubscribeOnly { realm, .. }
        | ClientMessage::Disconnect { realm } => realm,
    };
    if realm != REALM {
        return bad("the realm must be \"notif\"");
    }
    let hub = state.ws();
    let error =
        |name: &str, m: &str| Reply::Send(ServerMessage::error(name, m, Some(value.clone())));
    match &msg {
        ClientMessage::Disconnect { .. } => Reply::Disconnect,
        ClientMessage::Unsubscribe { topic, channel, .. } => {
            let found = Topic::parse(topic)
                .zip(Uuid::parse_str(channel).ok())
                .is_some_and(|(t, item)| hub.unsubscribe(conn, t, item));
            if found {
                Reply::Send(ServerMessage::success(value))
            } else {
                error(NOT_FOUND, "no such subscription")
            }
        }
        ClientMessage::Subscribe { topic, channel, .. }
        | ClientMessage::SubscribeOnly { topic, channel, .. } => {
            let only = matches!(msg, ClientMessage::SubscribeOnly { .. });
            let Some(topic) = Topic::parse(topic) else {
                return error(NOT_FOUND, "unknown topic");
            };
            let Ok(item) = Uuid::parse_str(channel) else {
                return error(BAD_REQUEST, "the channel must be an item id");
            };
            let max = state.config().server.ws_max_subscriptions;
            if !only && !conn.is_subscribed(topic, item) && conn.subscription_count() >= max {
                return error(
                    BAD_REQUEST,
                    &format!("at most {max} subscriptions per connection"),
                );
            }
            match may_subscribe(state, p, topic, item).await {
                Ok(()) => {
                    if only {
                        hub.unsubscribe_all(conn);
                    }
                    hub.subscribe(conn, topic, item);
                    Reply::Send(ServerMessage::success(value))
                }
                Err((name, m)) => error(name, m),
            }
        }
    }
}

/// The subscribe check: the item exists, the caller is a member (an admin for app actions),
/// a token only for its own item, a publisher page only for its publisher's items.
async fn may_subscribe(
    state: &AppState,
    p: &Principal,
    topic: Topic,
    item: Uuid,
) -> Result<(), (&'static str, &'static str)> {
    let server_error = |e: crate::Error| {
        tracing::error!(error = %e, "websocket subscribe check failed");
        (SERVER_ERROR, "server error")
    };
    if let Principal::Token(c) = p
        && c.sub.item_id != item
    {
        return Err((ACCESS_DENIED, "the token is bound to another item"));
    }
    let access = state
        .store()
        .item_access(item, Some(p.account_id()), None)
        .await
        .map_err(server_error)?
        .ok_or((NOT_FOUND, "item not found"))?;
    let record = access.item;
    let (Some(_), Some(permission)) = (access.account, access.permission) else {
        return Err((ACCESS_DENIED, "the member cannot access this item"));
    };
    if topic == Topic::AppActions && !rules::can_read_all_actions(Some(permission)) {
        return Err((ACCESS_DENIED, "app actions are for admins of the item"));
    }
    if let Principal::Session {
        publisher_origin: Some(origin),
        ..
    } = p
        && !publisher_has_origin(state, &record, origin)
            .await
            .map_err(server_error)?
    {
        return Err((
            ACCESS_DENIED,
            "this item's app belongs to another publisher",
        ));
    }
    Ok(())
}

/// Whether the publisher of the item's app serves from `origin`.
async fn publisher_has_origin(
    state: &AppState,
    item: &ItemRecord,
    origin: &str,
) -> crate::Result<bool> {
    let Some(app) = state.store().get_app(&item.app).await? else {
        return Ok(false);
    };
    Ok(state
        .store()
        .list_publishers()
        .await?
        .into_iter()
        .any(|p| p.name == app.publisher && p.origins.iter().any(|o| o == origin)))
}
