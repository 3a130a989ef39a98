//! How an instance on Postgres keeps the change stamps of its caches (`crate::cache`) true
//! although other instances write to the same database, and the fence that gives a request
//! read-your-writes across instances.
//!
//! **Stamps.** Triggers (migration `cache_notify`) notify channel [`CHANNEL`] inside every
//! writing transaction: `d<item>` for app data, `!registry`, `!sessions`. One listening
//! connection per instance ticks the [`Stamps`] as they arrive. Postgres delivers
//! notifications at commit, in commit order.
//!
//! **Fence.** A cached answer is only as fresh as the notifications heard so far, and a write
//! acknowledged by another instance just before a request arrived may not have been heard yet.
//! So before serving from a cache, a request waits for a *fence*: this instance notifies a
//! token on a channel of its own, sent after the request arrived, and waits until its listener
//! hears it back. Every write committed before the token was sent (every write acknowledged
//! before the request arrived) was notified before it, on the same connection, so its stamp
//! has been ticked. Fences are shared: a request is covered by any fence whose sending started
//! after it arrived, so requests that arrive while one is in flight wait for the next one, and
//! one fence serves all of them. A `NOTIFY`-only transaction writes no data: it does not wait
//! for a WAL flush (measured in `docs/benchmarks.md`), so the fence costs two local round trips.
//!
//! **Loss.** When the listening connection is lost, notifications are lost with it: caches are
//! not served (`fresh` answers `None`) until it is back, and then every stamp moves on
//! (the registry and session stamps, which every cached answer depends on) before anything is served again. A fence that does not come
//! back within [`FENCE_TIMEOUT`] also means "not fresh".

use super::Stamps;
use crate::error::Result;
use sqlx::{
    PgPool,
    postgres::{PgListener, PgNotification},
};
use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// The channel the triggers notify.
pub const CHANNEL: &str = "appframe_cache";
/// `application_name` of the listening connection (lets an operator, or a test, find it).
pub const LISTENER_APP_NAME: &str = "appframe-cache-listener";
/// How long a request waits for a fence before it reads the store instead.
const FENCE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause before retrying a lost listener connection, or a fence that could not be sent.
const RETRY: Duration = Duration::from_secs(1);

/// The stamps of one instance on Postgres and their fence.
pub(super) struct Feed {
    stamps: Stamps,
    /// True while the listener is connected and nothing was missed since the stamps last
    /// moved on.
    listening: AtomicBool,
    /// This instance's fence channel.
    fence_channel: String,
    /// Latest arrival of a request waiting for a fence.
    demand: Mutex<Option<Instant>>,
    /// Wakes the fence task.
    wake: Notify,
    /// The fence in flight: its sequence number and when its sending started.
    in_flight: Mutex<Option<(u64, Instant)>>,
    /// Sequence numbers of fences.
    seq: AtomicU64,
    /// When the sending of the latest fence heard back started.
    done: watch::Sender<Option<Instant>>,
}

impl Feed {
    /// The stamps writes of this process tick (the notifications tick them too).
    pub fn stamps(&self) -> &Stamps {
        &self.stamps
    }

    /// The stamps, once every write committed before `arrived` has ticked them; `None` when
    /// that cannot be known (listener lost, fence not back in time): read the store.
    pub async fn fresh(&self, arrived: Instant) -> Option<&Stamps> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let covered = move |done: &Option<Instant>| done.is_some_and(|d| d >= arrived);
        let mut rx = self.done.subscribe();
        if !covered(&rx.borrow_and_update()) {
            {
                let mut d = self.demand.lock().unwrap_or_else(PoisonError::into_inner);
                *d = (*d).max(Some(arrived));
            }
            self.wake.notify_one();
            match tokio::time::timeout(FENCE_TIMEOUT, rx.wait_for(covered)).await {
                Ok(Ok(_)) => {}
                _ => return None,
            }
        }
        // Checked again: a lost connection may have dropped notifications heard before the
        // fence's; the stamps move on when it is back, before this turns true again.
        self.listening
            .load(Ordering::SeqCst)
            .then_some(&self.stamps)
    }

    /// A notification heard by the listener.
    fn heard(&self, n: &PgNotification) {
        if n.channel() == self.fence_channel {
            let Ok(seq) = n.payload().parse::<u64>() else {
                return;
            };
            let in_flight = *self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((s, sent)) = in_flight
                && s == seq
            {
                self.done.send_if_modified(|d| {
                    let newer = d.is_none_or(|d| d < sent);
                    if newer {
                        *d = Some(sent);
                    }
                    newer
                });
            }
            return;
        }
        let p = n.payload();
        match p {
            "!sessions" => self.stamps.sessions_changed(),
            _ => match p.strip_prefix('d').and_then(|id| Uuid::parse_str(id).ok()) {
                Some(item) => self.stamps.data_changed(item),
                // `!registry`, or anything unknown: everything may be stale.
                None => self.stamps.registry_changed(),
            },
        }
    }

    /// Notifications may have been missed: everything cached before is stale.
    fn missed(&self) {
        self.stamps.registry_changed();
        self.stamps.sessions_changed();
    }

    /// Whether a fence must be sent: a request arrived after the last one was started.
    fn wanted(&self, last: Option<Instant>) -> bool {
        let demand = *self.demand.lock().unwrap_or_else(PoisonError::into_inner);
        demand.is_some_and(|d| last.is_none_or(|l| d > l))
    }
}

/// Connects the listener and starts the tasks that keep the stamps and send fences; they stop
/// when `stop`'s sender is dropped.
pub(super) async fn start(pool: &PgPool, stop: watch::Receiver<()>) -> Result<Arc<Feed>> {
    let fence_channel = format!("appframe_fence_{}", Uuid::new_v4().simple());
    let (done, _) = watch::channel(None);
    let feed = Arc::new(Feed {
        stamps: Stamps::default(),
        listening: AtomicBool::new(false),
        fence_channel,
        demand: Mutex::new(None),
        wake: Notify::new(),
        in_flight: Mutex::new(None),
        seq: AtomicU64::new(0),
        done,
    });
    let opts = pool
        .connect_options()
        .as_ref()
        .clone()
        .application_name(LISTENER_APP_NAME);
    let listen_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(opts);
    let listener = listen(&listen_pool, &feed).await?;
    feed.listening.store(true, Ordering::SeqCst);
    tokio::spawn(listen_loop(
        feed.clone(),
        listen_pool,
        listener,
        stop.clone(),
    ));
    let fence_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(
            pool.connect_options()
                .as_ref()
                .clone()
                .application_name("appframe-cache-fence"),
        );
    tokio::spawn(fence_loop(feed.clone(), fence_pool, stop));
    Ok(feed)
}

async fn listen(pool: &PgPool, feed: &Feed) -> Result<PgListener> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen_all([CHANNEL, feed.fence_channel.as_str()]).await?;
    Ok(l)
}

async fn stopped(stop: &mut watch::Receiver<()>) {
    // Only the sender's drop ends the wait (nothing is ever sent).
    while stop.changed().await.is_ok() {}
}

/// Ticks the stamps with every notification until stopped; reconnects a lost listener.
async fn listen_loop(
    feed: Arc<Feed>,
    pool: PgPool,
    mut listener: PgListener,
    mut stop: watch::Receiver<()>,
) {
    loop {
        let got = tokio::select! {
            _ = stopped(&mut stop) => return,
            got = listener.try_recv() => got,
        };
        match got {
            Ok(Some(n)) => feed.heard(&n),
            // The connection was lost and is already listening again (eager reconnect):
            // what was notified in between is gone.
            Ok(None) => {
                tracing::warn!("cache listener reconnected; cached answers dropped");
                feed.missed();
            }
            Err(e) => {
                feed.listening.store(false, Ordering::SeqCst);
                tracing::warn!(error = %e, "cache listener failed; caches off until it is back");
                listener = loop {
                    tokio::select! {
                        _ = stopped(&mut stop) => return,
                        _ = tokio::time::sleep(RETRY) => {}
                    }
                    match listen(&pool, &feed).await {
                        Ok(l) => break l,
                        Err(e) => tracing::warn!(error = %e, "cache listener cannot reconnect"),
                    }
                };
                feed.missed();
                feed.listening.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// Sends a fence whenever a request waits for one, one at a time: the next is sent once the
/// previous came back (or timed out), and covers every request that arrived meanwhile.
async fn fence_loop(feed: Arc<Feed>, pool: PgPool, mut stop: watch::Receiver<()>) {
    let mut last: Option<Instant> = None;
    loop {
        while !feed.wanted(last) {
            let wake = feed.wake.notified();
            if feed.wanted(last) {
                break;
            }
            tokio::select! {
                _ = stopped(&mut stop) => return,
                _ = wake => {}
            }
        }
        let seq = feed.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let sent = Instant::now();
        *feed
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((seq, sent));
        last = Some(sent);
        let mut rx = feed.done.subscribe();
        let notify = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&feed.fence_channel)
            .bind(seq.to_string())
            .execute(&pool);
        if let Err(e) = notify.await {
            tracing::warn!(error = %e, "cannot send a cache fence");
            tokio::select! {
                _ = stopped(&mut stop) => return,
                _ = tokio::time::sleep(RETRY) => {}
            }
            continue;
        }
        let back = rx.wait_for(|d| d.is_some_and(|d| d >= sent));
        tokio::select! {
            _ = stopped(&mut stop) => return,
            _ = tokio::time::timeout(FENCE_TIMEOUT, back) => {}
        }
    }
}
