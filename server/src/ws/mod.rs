//! Real-time updates: `GET /api/ws`, the Graasp websocket protocol (`realm: notif`).
//!
//! - **Auth** at the upgrade: the app token in `Sec-WebSocket-Protocol: appframe.v1,
//!   appframe.token.<jwt>` (extension; the server answers `appframe.v1`), else the host
//!   session cookie (Graasp). Neither → 401. With a token, the `Origin` header, when present,
//!   must be the token's origin → else 401 AFERR019, as on REST (the token is not valid for
//!   this caller), and a revoked token → 401 AFERR020. With the cookie, the `Origin` must be
//!   the host page's origin or a registered publisher origin (a publisher origin may only
//!   subscribe to its publisher's items) → else 403 AFERR010.
//! - **Topics** `app-data`, `app-actions`, `app-settings` on channel = item id. Access is
//!   checked at subscribe and again for every event ([`appframe_protocol::rules::Audience`]).
//! - **Fan-out**: every committed write calls [`Hub::publish`]; on SQLite a dispatcher task
//!   delivers in process, on Postgres events go through `LISTEN/NOTIFY` ([`pg`]) so every
//!   instance delivers to its own subscribers.

mod conn;
pub mod hub;
pub mod pg;

pub use hub::{Event, Hub};

use crate::{
    AppState,
    access::check_not_revoked,
    auth::{AppClaims, check_token_origin, cookie},
    cache::CachedStore,
    config::{Config, origin_of},
    error::{Error, Result},
    store::Account,
};
use appframe_protocol::ws::{SUBPROTOCOL, TOKEN_PROTOCOL_PREFIX};
use axum::{
    Router,
    extract::{
        State,
        ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::sync::Arc;
use time::OffsetDateTime;

/// Read buffer of each socket. tungstenite zero-fills up to `read_buffer_size` bytes before
/// every read attempt, including the one each wake-up of the connection's task makes when
/// nothing arrived (so every delivery pays it), and the buffer stays resident: its default of
/// 128 KiB made every delivery cost a 128 KiB `memset` and kept 128 KiB per connection
/// (docs/benchmarks.md). Client requests are a few hundred bytes; a larger message (up to
/// `ws_max_message_bytes`) grows the buffer and is read in chunks of this size.
const READ_BUFFER_BYTES: usize = 1024;

/// Creates the hub and starts its fan-out: in process on SQLite, `LISTEN/NOTIFY` on Postgres.
pub async fn start(config: &Config, store: Arc<CachedStore>) -> Result<Arc<Hub>> {
    let (hub, outbound) = Hub::new(config.server.ws_queue_len);
    let hub = Arc::new(hub);
    match config.server.database_url.as_deref() {
        Some(url) if store.backend() == "postgres" => {
            hub.set_shared();
            pg::start(url, Arc::downgrade(&hub), store, outbound).await?;
        }
        _ => {
            tokio::spawn(local_dispatch(Arc::downgrade(&hub), store, outbound));
        }
    }
    Ok(hub)
}

/// Delivers this process's events in commit order; ends when the hub is dropped.
async fn local_dispatch(
    hub: std::sync::Weak<Hub>,
    store: Arc<CachedStore>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    while let Some(ev) = rx.recv().await {
        let Some(h) = hub.upgrade() else {
            return;
        };
        h.deliver(&store, ev).await;
    }
}

/// Resolves once the hub is shut down (without holding the watch guard across awaits).
pub(crate) async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// The route `/ws` (nested under `/api`).
pub fn router(state: AppState) -> Router {
    Router::new().route("/ws", get(upgrade)).with_state(state)
}

/// Who opened a connection.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// The host session cookie.
    Session {
        /// The session's account.
        account: Account,
        /// The session id, re-checked at each heartbeat (logout ends the connection).
        session: String,
        /// When the page is a publisher's app: only that publisher's items may be subscribed.
        publisher_origin: Option<String>,
    },
    /// An app token (bound to one item).
    Token(AppClaims),
}

impl Principal {
    /// The account whose permissions apply.
    pub(crate) fn account_id(&self) -> uuid::Uuid {
        match self {
            Principal::Session { account, .. } => account.id,
            // `authenticate` refuses tokens without an account.
            Principal::Token(c) => c.sub.account_id.unwrap_or_default(),
        }
    }
}

/// Open the real-time socket
///
/// Authenticates, checks the origin, then upgrades to a WebSocket.
#[utoipa::path(get, path = "/api/ws", tag = "realtime",
    description = "WebSocket upgrade. Graasp protocol (`realm: notif`): subscribe/unsubscribe/subscribeOnly/disconnect on topics `app-data`, `app-actions`, `app-settings` with channel = item id. Auth: host session cookie, or `Sec-WebSocket-Protocol: appframe.v1, appframe.token.<jwt>`.",
    responses((status = 101, description = "Switching protocols"), (status = 401, description = "GERR027 no session cookie and no valid token; AFERR019 Origin is not the token's; AFERR020 token revoked"), (status = 403, description = "AFERR010: origin not allowed with the session cookie")),
    security(("hostSession" = []), ("appToken" = [])))]
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(r) => return r.into_response(),
    };
    let max = state.config().server.ws_max_message_bytes;
    let mut ws = ws
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER_BYTES);
    if matches!(principal, Principal::Token(_)) {
        ws = ws.protocols([SUBPROTOCOL]);
    }
    ws.on_upgrade(move |socket| conn::run(state, principal, socket))
}

/// The single `Origin` header (several are refused).
fn origin(headers: &HeaderMap) -> Result<Option<&str>> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    match (all.next(), all.next()) {
        (None, _) => Ok(None),
        (Some(o), None) => o
            .to_str()
            .map(Some)
            .map_err(|_| Error::OriginNotAllowed("malformed Origin header".into())),
        _ => Err(Error::OriginNotAllowed("several Origin headers".into())),
    }
}

/// The app token offered as a subprotocol, if any; `appframe.v1` must be offered with it
/// (a browser fails the handshake unless the server selects one of the offered protocols).
fn offered_token(headers: &HeaderMap) -> Result<Option<&str>> {
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let token = offered
        .iter()
        .find_map(|p| p.strip_prefix(TOKEN_PROTOCOL_PREFIX));
    if token.is_some() && !offered.contains(&SUBPROTOCOL) {
        return Err(Error::BadRequest(format!(
            "a token subprotocol must come with {SUBPROTOCOL:?}"
        )));
    }
    Ok(token)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal> {
    if let Some(token) = offered_token(headers)? {
        let claims = state.jwt().verify(token)?;
        if claims.sub.account_id.is_none() {
            return Err(Error::InvalidToken(
                "real-time updates need a token with an account".into(),
            ));
        }
        check_token_origin(headers, &claims)?;
        check_not_revoked(state, &claims).await?;
        return Ok(Principal::Token(claims));
    }
    let origin = origin(headers)?;
    // Cross-site WebSocket hijacking guard: browsers send the cookie with a cross-site upgrade
    // too, so only the host page and registered app origins may use it.
    let host = origin_of(&state.config().server.public_url);
    let publisher_origin = match origin {
        None => None,
        Some(o) if host.as_deref() == Some(o) => None,
        Some(o) if state.is_registered_origin(o) => Some(o.to_owned()),
        Some(o) => {
            return Err(Error::OriginNotAllowed(format!(
                "the Origin {o:?} may not open a websocket with the session cookie"
            )));
        }
    };
    let session =
        cookie(headers, state.config().session_cookie_name()).ok_or(Error::NotAuthenticated)?;
    let account = state
        .store()
        .session_account(session, OffsetDateTime::now_utc())
        .await?
        .ok_or(Error::NotAuthenticated)?;
    Ok(Principal::Session {
        account,
        session: session.to_owned(),
        publisher_origin,
    })
}
