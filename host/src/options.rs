//! What a host says when it attaches a bridge: the app, its origins, where contexts and tokens
//! come from, the log, the height bounds and the token limits.

use crate::{
    event::{AppEvent, event_fn},
    log::{LogEntry, LogFn},
    provided::Provided,
    token::{FetchTokenProvider, TokenProvider},
};
use appframe_protocol::{FailurePayload, ItemId, LocalContext};
use std::{rc::Rc, time::Duration};

/// Default lower bound of the iframe height, in CSS px.
pub const DEFAULT_MIN_HEIGHT: f64 = 50.0;
/// Default upper bound of the iframe height, in CSS px.
pub const DEFAULT_MAX_HEIGHT: f64 = 20_000.0;
/// Default time the token provider has before the app gets `TOKEN_TIMEOUT`.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(20);
/// Default time an app has to become ready before the host hears `READY_TIMEOUT`.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Default GET_AUTH_TOKEN requests of one frame relayed at once to the token provider.
pub const DEFAULT_TOKEN_BURST: u32 = 5;
/// Default time after which one more GET_AUTH_TOKEN of a frame is relayed, past the burst.
pub const DEFAULT_TOKEN_REFILL: Duration = Duration::from_secs(10);

/// Where the context of each answer comes from: the same context every time, or a function
/// called for every GET_CONTEXT (and token request, for `apiHost`) whose `Err` is sent to the
/// app as `GET_CONTEXT_FAILURE` / `GET_AUTH_TOKEN_FAILURE`.
#[derive(Clone)]
pub struct ContextProvider(Rc<dyn Fn() -> Result<Provided, FailurePayload>>);

impl std::fmt::Debug for ContextProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContextProvider")
    }
}

impl ContextProvider {
    /// A provider calling `f` for every request.
    pub fn from_fn(f: impl Fn() -> Result<LocalContext, FailurePayload> + 'static) -> Self {
        ContextProvider(Rc::new(move || f().map(Provided::from)))
    }

    /// A provider of contexts whose settings are already JSON text (the JS facade's).
    pub(crate) fn provided(f: impl Fn() -> Result<Provided, FailurePayload> + 'static) -> Self {
        ContextProvider(Rc::new(f))
    }

    /// The context for one answer.
    pub(crate) fn get(&self) -> Result<Provided, FailurePayload> {
        (self.0)()
    }
}

impl From<LocalContext> for ContextProvider {
    fn from(c: LocalContext) -> Self {
        let fixed = Provided::from(c);
        ContextProvider::provided(move || Ok(fixed.clone()))
    }
}

/// Everything [`Bridge::attach`](crate::Bridge::attach) needs to know.
pub struct BridgeOptions {
    /// The app item; messages for other items are ignored.
    pub item_id: ItemId,
    /// The app's URL; it may carry a query string. `itemId` is appended.
    pub app_url: String,
    /// Registered origins of the app's publisher; must include the origin of `app_url`.
    pub app_origins: Vec<String>,
    /// The context sent to the app.
    pub context: ContextProvider,
    /// Where tokens come from (default: [`FetchTokenProvider`]).
    pub token: Rc<dyn TokenProvider>,
    /// Called for every message in and out.
    pub on_log: Option<LogFn>,
    /// Lower bound of the iframe height in CSS px.
    pub min_height: f64,
    /// Upper bound of the iframe height in CSS px.
    pub max_height: f64,
    /// How long the token provider may take before the app gets `TOKEN_TIMEOUT`.
    pub token_timeout: Duration,
    /// GET_AUTH_TOKEN requests of this frame relayed at once; past them the app gets
    /// `TOKEN_RATE_LIMITED` and the provider is not called.
    pub token_burst: u32,
    /// After the burst, one more request is relayed per this much time.
    pub token_refill: Duration,
    /// Extensions of the platform's server, advertised after the bridge's own [`FEATURES`](crate::FEATURES)
    /// (e.g. `"ws"`: `/api/ws` takes the app token and sends heartbeats). Empty by default:
    /// only a host whose apps talk to an appframe server may claim them.
    pub server_features: Vec<String>,
    /// The app's key, when the host knows it: the token for this key and the app's origin is
    /// then asked for at attach, while the frame loads, and answers the app's first
    /// GET_AUTH_TOKEN naming them (see [`BridgeOptions::app_key`]).
    pub app_key: Option<String>,
    /// The JS function called with what the app tells its host about itself (ready, failure,
    /// close request, display mode: see [`AppEvent`]); set with [`BridgeOptions::on_event`].
    pub(crate) on_event: wasm_bindgen::JsValue,
    /// The JS facade's options object, read by the v2 host for `onEvent` and `readyTimeoutMs`
    /// (instead of `on_event` and `ready_timeout`).
    pub(crate) js_options: Option<wasm_bindgen::JsValue>,
    /// How long after attach the app has to become ready (POST_READY from a v2 app, an answered
    /// context for a v1 app) before [`AppEvent::Failed`] with `READY_TIMEOUT`; zero: no limit.
    pub ready_timeout: Duration,
    /// The browser permissions granted to the frame (names of
    /// `appframe_protocol::manifest::ALLOW_PERMISSIONS` and `SANDBOX_PERMISSIONS`, usually the
    /// app manifest's, less what the host refuses): they set the iframe's `allow` and `sandbox`
    /// and are told to the app as `appframe.granted`, as given. `None`:
    /// [`DEFAULT_PERMISSIONS`](appframe_protocol::manifest::DEFAULT_PERMISSIONS).
    pub permissions: Option<Vec<String>>,
}

impl BridgeOptions {
    /// Options with the default token provider, no log and default height bounds.
    pub fn new(
        item_id: ItemId,
        app_url: impl Into<String>,
        app_origins: Vec<String>,
        context: impl Into<ContextProvider>,
    ) -> Self {
        BridgeOptions {
            item_id,
            app_url: app_url.into(),
            app_origins,
            context: context.into(),
            token: Rc::new(FetchTokenProvider::new()),
            on_log: None,
            min_height: DEFAULT_MIN_HEIGHT,
            max_height: DEFAULT_MAX_HEIGHT,
            token_timeout: DEFAULT_TOKEN_TIMEOUT,
            token_burst: DEFAULT_TOKEN_BURST,
            token_refill: DEFAULT_TOKEN_REFILL,
            server_features: Vec::new(),
            app_key: None,
            on_event: wasm_bindgen::JsValue::UNDEFINED,
            js_options: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            permissions: None,
        }
    }

    /// Relays at most `burst` GET_AUTH_TOKEN requests of the frame at once, then one per
    /// `refill` (a token bucket); the others get `TOKEN_RATE_LIMITED` without reaching the
    /// provider. An app caches its token, so a frame asking more often is broken or hostile.
    pub fn token_rate_limit(mut self, burst: u32, refill: Duration) -> Self {
        self.token_burst = burst;
        self.token_refill = refill;
        self
    }

    /// Uses this token provider.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.token = Rc::new(provider);
        self
    }

    /// Calls `f` for every message in and out.
    pub fn on_log(mut self, f: impl Fn(&LogEntry) + 'static) -> Self {
        self.on_log = Some(Rc::new(f));
        self
    }

    /// Bounds the iframe height (CSS px).
    pub fn height_bounds(mut self, min: f64, max: f64) -> Self {
        self.min_height = min;
        self.max_height = max;
        self
    }

    /// Gives the token provider this long before the app gets `TOKEN_TIMEOUT`.
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self
    }

    /// Calls `f` with the app's lifecycle events ([`AppEvent`]).
    pub fn on_event(mut self, f: impl Fn(&AppEvent) + 'static) -> Self {
        self.on_event = event_fn(f);
        self
    }

    /// Gives the app this long to become ready (zero: no limit).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Asks for the token of this app key and the app URL's origin at attach, so the app's first
    /// GET_AUTH_TOKEN (which must name exactly them, within a few seconds) is answered without a
    /// request of its own. It counts against the frame's token rate limit like any request.
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_key = Some(key.into());
        self
    }

    /// Also advertises these server extensions in the context (see
    /// [`BridgeOptions::server_features`]).
    pub fn server_features<S: Into<String>>(
        mut self,
        features: impl IntoIterator<Item = S>,
    ) -> Self {
        self.server_features = features.into_iter().map(Into::into).collect();
        self
    }

    /// Grants the frame these permissions (see [`BridgeOptions::permissions`]): `forms`,
    /// `popups`, `downloads` and `modals` in its `sandbox`, every other name in its `allow`.
    pub fn permissions<S: Into<String>>(
        mut self,
        permissions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.permissions = Some(permissions.into_iter().map(Into::into).collect());
        self
    }
}
