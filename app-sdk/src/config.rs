//! What an app tells the SDK: its key, timeouts, the seed of its standalone backend and the
//! timing of live updates.

use appframe_protocol::{AccountId, Context, ItemId, JsonObject, Member, Permission, Visibility};
use std::time::Duration;
use uuid::Uuid;

/// The item id used in standalone mode when the URL has no `?itemId=` (stable, so data persists
/// across reloads without rewriting the URL).
pub const DEFAULT_STANDALONE_ITEM_ID: ItemId =
    ItemId(Uuid::from_u128(0x5ca1ab1e_0000_4000_8000_000000000000));

/// The account used in standalone mode unless the config names another.
pub const DEFAULT_STANDALONE_ACCOUNT_ID: AccountId =
    AccountId(Uuid::from_u128(0x5ca1ab1e_0000_4000_8000_000000000001));

/// Configuration of [`App::connect`](crate::App::connect).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The app key (as registered with the server).
    pub key: String,
    /// How long to wait for `GET_CONTEXT_SUCCESS` before failing with `ContextTimeout`.
    pub handshake_timeout: Duration,
    /// How long to wait for `GET_AUTH_TOKEN_SUCCESS` before failing with `TokenTimeout`.
    pub token_timeout: Duration,
    /// How long to wait for the host's answer to a protocol-v2 request (`REQUEST_DISPLAY_MODE`,
    /// `OPEN_LINK`, `PING`) before failing with `HostTimeout` (`HostLost` for `PING`).
    pub request_timeout: Duration,
    /// The mock backend used when the page is opened alone.
    pub standalone: StandaloneConfig,
    /// Heartbeat and reconnect timing of live updates.
    pub live: LiveConfig,
}

impl AppConfig {
    /// A config with the given app key and default timeouts (5 s context, 10 s token, 5 s for
    /// the host's answers to protocol-v2 requests).
    pub fn new(key: impl Into<String>) -> Self {
        AppConfig {
            key: key.into(),
            handshake_timeout: Duration::from_secs(5),
            token_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(5),
            standalone: StandaloneConfig::default(),
            live: LiveConfig::default(),
        }
    }
}

/// One app-data row to seed the standalone backend with.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedAppData {
    /// Who the row is addressed to (default: the standalone account).
    pub account_id: Option<AccountId>,
    /// Type, 3–25 characters.
    pub ty: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Data.
    pub data: JsonObject,
}

/// The standalone (mock) backend: who the user is and what the item starts with.
///
/// The seed is applied once, when the browser has no stored data for this app key + item id;
/// [`App::reset`](crate::App::reset) applies it again.
#[derive(Debug, Clone)]
pub struct StandaloneConfig {
    /// When false, opening the page outside a host fails with `NotEmbedded` instead.
    pub enabled: bool,
    /// Item id when the URL has none (default [`DEFAULT_STANDALONE_ITEM_ID`]).
    pub item_id: Option<ItemId>,
    /// The user looking at the app.
    pub account: Member,
    /// Other members of the item (visible in `app_context().members`, usable as `accountId`).
    pub members: Vec<Member>,
    /// The user's permission (default `admin`, so an author can also edit settings).
    pub permission: Permission,
    /// The context string of the view (default `standalone`).
    pub context: Context,
    /// UI language.
    pub lang: String,
    /// Item settings (`LocalContext.settings`).
    pub settings: JsonObject,
    /// Item name shown in `app_context()`.
    pub item_name: String,
    /// App settings to start with: `(name, data)`.
    pub app_settings: Vec<(String, JsonObject)>,
    /// App data to start with.
    pub app_data: Vec<SeedAppData>,
    /// Persist in `localStorage` (default true); false keeps everything in memory.
    pub persist: bool,
}

impl Default for StandaloneConfig {
    fn default() -> Self {
        StandaloneConfig {
            enabled: true,
            item_id: None,
            account: Member {
                id: DEFAULT_STANDALONE_ACCOUNT_ID,
                name: "Standalone user".into(),
            },
            members: Vec::new(),
            permission: Permission::Admin,
            context: Context::Standalone,
            lang: "en".into(),
            settings: JsonObject::new(),
            item_name: "Standalone app".into(),
            app_settings: Vec::new(),
            app_data: Vec::new(),
            persist: true,
        }
    }
}

/// Timing of live updates. The defaults match the appframe server (25 s heartbeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// The server's heartbeat interval; with the `"ws"` feature a socket silent for 2.5 of
    /// these is dropped and reopened.
    pub heartbeat: Duration,
    /// First reconnect delay (before jitter).
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection open this long counts as stable: the next drop starts again from
    /// `backoff_min`.
    pub stable_after: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            heartbeat: Duration::from_secs(25),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(10),
        }
    }
}
