//! Fan-out across server instances on Postgres: every instance `NOTIFY`s the events of its own
//! writes and `LISTEN`s for everyone's, delivering them to its local subscribers.
//!
//! A `NOTIFY` payload is limited to 8000 bytes and app data may be 1 MiB, so a larger event is
//! stored in `ws_events` and only its id is notified (`#<id>`); listeners read it back. Rows
//! older than [`RETENTION`] are deleted as new large events arrive. When the listening
//! connection is lost, notifications sent meanwhile are gone: every local connection is told
//! to `resync`, and the membership cache is emptied (registry changes may be gone too).

use super::hub::{Event, Hub};
use crate::{Result, cache::CachedStore};
use sqlx::{
    ConnectOptions, Connection, PgPool,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};
use std::{
    str::FromStr,
    sync::{Arc, Weak},
    time::Duration,
};
use tokio::sync::mpsc;

/// The `LISTEN`/`NOTIFY` channel.
pub const CHANNEL: &str = "appframe_ws";
/// `application_name` of the listening connection (lets an operator, or a test, find it).
pub const LISTENER_APP_NAME: &str = "appframe-ws-listener";
/// The payload the database notifies when memberships, or the accounts, items and apps they
/// depend on, change (triggers of the migration `registry_notify`): it empties every
/// instance's membership cache ([`CachedStore::registry_notified`]).
pub const REGISTRY_CHANGED: &str = "!registry";
/// Largest payload sent inline; the hard limit of Postgres is 8000 bytes.
const INLINE_MAX: usize = 7900;
/// How long large events stay readable in `ws_events`.
const RETENTION: &str = "5 minutes";
/// Pause before retrying a lost listener connection.
const RETRY: Duration = Duration::from_secs(1);

/// Connects the publishing pool and the listener, and spawns the tasks that publish this
/// process's events and deliver everyone's.
pub async fn start(
    url: &str,
    hub: Weak<Hub>,
    store: Arc<CachedStore>,
    outbound: mpsc::UnboundedReceiver<Event>,
) -> Result<()> {
    let opts = PgConnectOptions::from_str(url)?.disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(opts.clone().application_name("appframe-ws"))
        .await?;
    let listen_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(opts.application_name(LISTENER_APP_NAME));
    let listener = listen(&listen_pool).await?;
    store.follow_registry_notifications();
    tokio::spawn(publish_loop(pool.clone(), outbound, hub.clone()));
    tokio::spawn(listen_loop(listen_pool, listener, pool, hub, store));
    Ok(())
}

async fn listen(pool: &PgPool) -> Result<PgListener> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

/// Most events notified in one transaction.
const MAX_NOTIFY_BATCH: usize = 256;

/// Sends each event of this process, in commit order, through one connection (so `NOTIFY`s
/// arrive in the same order everywhere). The events queued meanwhile go in one transaction:
/// every transaction that notifies takes Postgres's notification queue lock (held until its
/// commit is flushed, so it also queues behind the group commit's transactions) and wakes every
/// listener, so one transaction per event cost a commit per event.
async fn publish_loop(pool: PgPool, mut rx: mpsc::UnboundedReceiver<Event>, hub: Weak<Hub>) {
    let mut events = Vec::new();
    while rx.recv_many(&mut events, MAX_NOTIFY_BATCH).await > 0 {
        if let Err(e) = notify_all(&pool, &events).await {
            tracing::error!(error = %e, "cannot publish websocket events");
            // This instance's subscribers would miss the events too: have them refetch.
            if let Some(h) = hub.upgrade() {
                h.resync();
            }
        }
        events.clear();
    }
}

/// Notifies `events` in order: runs of inline payloads with one statement each, the large
/// ones stored first. Within one transaction Postgres delivers a payload equal to one already
/// sent on the channel only once, so a run ends before a repeated payload.
async fn notify_all(pool: &PgPool, events: &[Event]) -> Result<()> {
    let mut c = pool.acquire().await?;
    let mut tx = c.begin().await?;
    let mut run: Vec<String> = Vec::new();
    for ev in events {
        let payload = serde_json::to_string(ev)
            .map_err(|e| crate::Error::Internal(format!("cannot serialize an event: {e}")))?;
        let payload = if payload.len() <= INLINE_MAX {
            payload
        } else {
            let id: i64 =
                sqlx::query_scalar("INSERT INTO ws_events (payload) VALUES ($1) RETURNING id")
                    .bind(&payload)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(&format!(
                "DELETE FROM ws_events WHERE created_at < now() - interval '{RETENTION}'"
            ))
            .execute(&mut *tx)
            .await?;
            format!("#{id}")
        };
        if run.contains(&payload) {
            // Sent, and the transaction committed, before the repeat is notified.
            notify_run(&mut tx, &run).await?;
            tx.commit().await?;
            run.clear();
            tx = c.begin().await?;
        }
        run.push(payload);
    }
    notify_run(&mut tx, &run).await?;
    tx.commit().await?;
    Ok(())
}

/// One `NOTIFY` per payload, in the array's order (a function scan of `unnest` yields its
/// elements in order, and `pg_notify` runs as each row is produced).
async fn notify_run(c: &mut sqlx::PgConnection, payloads: &[String]) -> Result<()> {
    if !payloads.is_empty() {
        sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(CHANNEL)
            .bind(payloads)
            .execute(c)
            .await?;
    }
    Ok(())
}

/// Receives every instance's events and delivers them locally until the hub shuts down.
async fn listen_loop(
    listen_pool: PgPool,
    mut listener: PgListener,
    pool: PgPool,
    hub: Weak<Hub>,
    store: Arc<CachedStore>,
) {
    let Some(mut shutdown) = hub.upgrade().map(|h| h.shutdown_signal()) else {
        return;
    };
    loop {
        let got = tokio::select! {
            _ = super::stopped(&mut shutdown) => return,
            got = listener.try_recv() => got,
        };
        let Some(h) = hub.upgrade() else {
            return;
        };
        match got {
            Ok(Some(n)) if n.payload() == REGISTRY_CHANGED => store.registry_notified(),
            Ok(Some(n)) => match event_of(&pool, n.payload()).await {
                Ok(Some(ev)) => h.deliver(&store, ev).await,
                Ok(None) => {
                    tracing::warn!("a large websocket event expired before it was read");
                    h.resync();
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read a websocket event");
                    h.resync();
                }
            },
            // The connection was lost and is already re-established (eager reconnect).
            Ok(None) => {
                tracing::warn!("websocket listener reconnected; asking clients to resync");
                store.registry_notified();
                h.resync();
            }
            Err(e) => {
                tracing::warn!(error = %e, "websocket listener failed; reconnecting");
                drop(h);
                listener = loop {
                    tokio::select! {
                        _ = super::stopped(&mut shutdown) => return,
                        _ = tokio::time::sleep(RETRY) => {}
                    }
                    match listen(&listen_pool).await {
                        Ok(l) => break l,
                        Err(e) => tracing::warn!(error = %e, "websocket listener cannot reconnect"),
                    }
                };
                // Registry changes may have been missed too.
                store.registry_notified();
                if let Some(h) = hub.upgrade() {
                    h.resync();
                }
            }
        }
    }
}

/// The event of a notification: inline JSON, or `#<id>` of a stored one (`None` when gone).
async fn event_of(pool: &PgPool, payload: &str) -> Result<Option<Event>> {
    let json = match payload.strip_prefix('#') {
        Some(id) => {
            let id: i64 = id
                .parse()
                .map_err(|_| crate::Error::Internal(format!("bad event reference {id:?}")))?;
            match sqlx::query_scalar::<_, String>("SELECT payload FROM ws_events WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(p) => p,
                None => return Ok(None),
            }
        }
        None => payload.to_owned(),
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| crate::Error::Internal(format!("bad event payload: {e}")))
}
