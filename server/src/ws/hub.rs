//! The in-process hub: which connection listens to which `(topic, item)`, and the delivery of
//! one event to the subscribers allowed to see it.
//!
//! Publishing never waits on a subscriber: every connection has a bounded queue and a full
//! queue drops that connection (reason `slow-consumer`), never the event for the others.

use crate::cache::CachedStore;
use appframe_protocol::{
    AccountId,
    rules::Audience,
    ws::{Op, ServerMessage, Topic, UpdateEntity},
};
use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

/// One update, serialized once for every recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Topic.
    pub topic: Topic,
    /// Item (the channel).
    pub item: Uuid,
    /// Who may receive it.
    pub audience: Audience,
    /// The `update` message as sent on the socket.
    pub message: String,
}

impl Event {
    /// The event of a committed write of `entity` on `item`; `None` if it cannot be serialized.
    pub fn new(item: Uuid, op: Op, entity: UpdateEntity) -> Option<Event> {
        let topic = match &entity {
            UpdateEntity::AppData(_) => Topic::AppData,
            UpdateEntity::AppAction(_) => Topic::AppActions,
            UpdateEntity::AppSetting(_) => Topic::AppSettings,
        };
        let audience = Audience::of(&entity);
        let msg = ServerMessage::update(item.hyphenated().to_string(), op, entity);
        match serde_json::to_string(&msg) {
            Ok(message) => Some(Event {
                topic,
                item,
                audience,
                message,
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize a websocket update");
                None
            }
        }
    }
}

/// Why the hub ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// Its queue was full.
    SlowConsumer,
}

/// The hub's handle of one connection.
#[derive(Debug)]
pub struct Conn {
    /// Connection id.
    pub id: u64,
    /// The authenticated account.
    pub account: Uuid,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Mutex<Option<oneshot::Sender<Kill>>>,
    subs: Mutex<HashSet<(Topic, Uuid)>>,
}

impl Conn {
    /// Number of subscriptions held.
    pub fn subscription_count(&self) -> usize {
        self.subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether it holds this subscription.
    pub fn is_subscribed(&self, topic: Topic, item: Uuid) -> bool {
        self.subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(topic, item))
    }
}

/// What a new connection gets from [`Hub::register`].
#[derive(Debug)]
pub struct Registration {
    /// The hub's handle (unregister with [`Hub::unregister`]).
    pub conn: Arc<Conn>,
    /// Updates to write to the socket.
    pub rx: mpsc::Receiver<Utf8Bytes>,
    /// Fires when the hub drops the connection.
    pub kill: oneshot::Receiver<Kill>,
}

/// Subscribers of one `(topic, item)` channel, by connection id.
type Channel = HashMap<u64, Arc<Conn>>;

/// Subscriptions of every connection of this process.
#[derive(Debug)]
pub struct Hub {
    subs: RwLock<HashMap<(Topic, Uuid), Channel>>,
    conns: RwLock<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    live: AtomicUsize,
    queue_len: usize,
    shutdown: watch::Sender<bool>,
    /// Events of this process's writes, in commit order, to the dispatcher.
    outbound: mpsc::UnboundedSender<Event>,
    /// Events also go to other instances (Postgres `NOTIFY`): publish even with no local
    /// subscriber.
    shared: AtomicBool,
}

impl Hub {
    /// A hub whose connections queue at most `queue_len` messages; returns the receiving end of
    /// the published events (for the dispatcher).
    pub fn new(queue_len: usize) -> (Hub, mpsc::UnboundedReceiver<Event>) {
        let (outbound, rx) = mpsc::unbounded_channel();
        (
            Hub {
                subs: RwLock::default(),
                conns: RwLock::default(),
                next_id: AtomicU64::new(1),
                live: AtomicUsize::new(0),
                queue_len: queue_len.max(1),
                shutdown: watch::Sender::new(false),
                outbound,
                shared: AtomicBool::new(false),
            },
            rx,
        )
    }

    /// Publishes the event of a committed write (never blocks).
    pub fn publish(&self, item: Uuid, op: Op, entity: UpdateEntity) {
        let topic = match &entity {
            UpdateEntity::AppData(_) => Topic::AppData,
            UpdateEntity::AppAction(_) => Topic::AppActions,
            UpdateEntity::AppSetting(_) => Topic::AppSettings,
        };
        // In process only (SQLite), an event nobody here subscribed to reaches no one: skip the
        // serialization, which was a visible share of a POST's cost.
        if !self.shared.load(Ordering::Relaxed) && !self.has_subscribers(topic, item) {
            return;
        }
        if let Some(ev) = Event::new(item, op, entity) {
            // The receiver lives as long as the dispatcher, which lives as long as the hub.
            let _ = self.outbound.send(ev);
        }
    }

    /// Marks the hub as one of several instances sharing events (every event is published).
    pub fn set_shared(&self) {
        self.shared.store(true, Ordering::Relaxed);
    }

    /// Whether any local connection subscribes to `topic` on `item`.
    fn has_subscribers(&self, topic: Topic, item: Uuid) -> bool {
        self.subs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(topic, item))
            .is_some_and(|c| !c.is_empty())
    }

    /// Registers a connection of `account`.
    pub fn register(&self, account: Uuid) -> Registration {
        let (tx, rx) = mpsc::channel(self.queue_len);
        let (kill_tx, kill) = oneshot::channel();
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            account,
            tx,
            kill: Mutex::new(Some(kill_tx)),
            subs: Mutex::default(),
        });
        self.conns
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(conn.id, conn.clone());
        self.live.fetch_add(1, Ordering::SeqCst);
        Registration { conn, rx, kill }
    }

    /// Removes a connection and its subscriptions (idempotent).
    pub fn unregister(&self, conn: &Conn) {
        let removed = self
            .conns
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&conn.id);
        if removed.is_some() {
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
        self.unsubscribe_all(conn);
    }

    /// Subscribes a connection (idempotent).
    pub fn subscribe(&self, conn: &Arc<Conn>, topic: Topic, item: Uuid) {
        conn.subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((topic, item));
        self.subs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((topic, item))
            .or_default()
            .insert(conn.id, conn.clone());
    }

    /// Removes one subscription; false when it was not held.
    pub fn unsubscribe(&self, conn: &Conn, topic: Topic, item: Uuid) -> bool {
        let held = conn
            .subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(topic, item));
        if held {
            self.remove_sub(conn.id, topic, item);
        }
        held
    }

    /// Removes every subscription of a connection.
    pub fn unsubscribe_all(&self, conn: &Conn) {
        let keys: Vec<(Topic, Uuid)> = conn
            .subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .collect();
        for (topic, item) in keys {
            self.remove_sub(conn.id, topic, item);
        }
    }

    fn remove_sub(&self, id: u64, topic: Topic, item: Uuid) {
        let mut subs = self.subs.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = subs.get_mut(&(topic, item)) {
            m.remove(&id);
            if m.is_empty() {
                subs.remove(&(topic, item));
            }
        }
    }

    /// Connections currently open.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Tells every connection to close (code 1001).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A receiver that turns `true` at shutdown.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Queues a message on a connection, dropping the connection when its queue is full.
    fn send(&self, conn: &Conn, msg: Utf8Bytes) {
        match conn.tx.try_send(msg) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(conn = conn.id, "dropping a slow websocket consumer");
                if let Some(k) = conn
                    .kill
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                {
                    let _ = k.send(Kill::SlowConsumer);
                }
                self.unregister(conn);
            }
        }
    }

    /// Sends `{type:'info', message:'resync'}` to every connection: updates may have been
    /// missed, so clients refetch what they show.
    pub fn resync(&self) {
        let msg = match serde_json::to_string(&ServerMessage::info(
            appframe_protocol::ws::INFO_RESYNC,
            None,
        )) {
            Ok(m) => Utf8Bytes::from(m),
            Err(_) => return,
        };
        let conns: Vec<Arc<Conn>> = self
            .conns
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for c in conns {
            self.send(&c, msg.clone());
        }
    }

    /// Delivers an event to the subscribers of its channel that may see it. Memberships are
    /// read once per event (one query, or none on SQLite while the registry is unchanged),
    /// not once per subscriber.
    pub async fn deliver(&self, store: &CachedStore, ev: Event) {
        let targets: Vec<Arc<Conn>> = match self
            .subs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(ev.topic, ev.item))
        {
            Some(m) => m.values().cloned().collect(),
            None => return,
        };
        let members = match store.item_permissions(ev.item).await {
            Ok(m) => m,
            Err(e) => {
                // Without the memberships nobody can be checked: tell the channel's
                // subscribers to refetch rather than deliver unchecked or silently drop.
                tracing::error!(error = %e, item = %ev.item, "cannot check websocket recipients");
                if let Ok(m) = serde_json::to_string(&ServerMessage::info(
                    appframe_protocol::ws::INFO_RESYNC,
                    None,
                )) {
                    let m = Utf8Bytes::from(m);
                    for c in &targets {
                        self.send(c, m.clone());
                    }
                }
                return;
            }
        };
        // Shared bytes: every recipient's frame points at the same buffer, no copy each.
        let msg = Utf8Bytes::from(ev.message);
        for c in targets {
            if ev
                .audience
                .reaches(AccountId(c.account), members.get(&c.account).copied())
            {
                self.send(&c, msg.clone());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_that_connection_and_keeps_the_others() {
        let (hub, _rx) = Hub::new(1);
        let item = Uuid::new_v4();
        let mut slow = hub.register(Uuid::new_v4());
        let mut fast = hub.register(Uuid::new_v4());
        hub.subscribe(&slow.conn, Topic::AppData, item);
        hub.subscribe(&fast.conn, Topic::AppData, item);
        for i in 0..3 {
            let m = Utf8Bytes::from(format!("m{i}"));
            let targets: Vec<Arc<Conn>> = hub.subs.read().unwrap()[&(Topic::AppData, item)]
                .values()
                .cloned()
                .collect();
            for c in targets {
                hub.send(&c, m.clone());
            }
            // The fast one reads every message at once.
            assert_eq!(fast.rx.try_recv().unwrap().as_str(), format!("m{i}"));
        }
        assert_eq!(slow.kill.try_recv().unwrap(), Kill::SlowConsumer);
        assert_eq!(slow.rx.try_recv().unwrap().as_str(), "m0");
        assert!(!slow.conn.is_subscribed(Topic::AppData, item));
        assert!(fast.conn.is_subscribed(Topic::AppData, item));
        assert_eq!(hub.live(), 1);
    }
}
