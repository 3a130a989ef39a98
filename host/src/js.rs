//! The JavaScript facade (`--features js`): `attachApp(iframe, options)` → a handle with `detach()`.

use crate::{
    bridge::Bridge,
    error::{Error, js_message},
    log::LogEntry,
    options::{BridgeOptions, ContextProvider},
    provided::Provided,
    text,
    token::{AppTokenRequest, CONTEXT_UNAVAILABLE, FetchTokenProvider, TOKEN_REQUEST_FAILED},
    wire::{self, get},
};
use appframe_protocol::{AccountId, FailurePayload, ItemId, Permission};
use js_sys::{Function, JSON, Object, Promise, Reflect};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlIFrameElement;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The context sent to the app (the LocalContext wire shape; `itemId` is set by the bridge). */
export interface AppContextInit {
  /** Absolute API base ending at `/api` (a relative one is resolved against the page). */
  apiHost: string;
  accountId?: string;
  permission?: 'read' | 'write' | 'admin';
  context?: 'builder' | 'player' | 'library' | 'analytics' | 'account' | 'auth' | 'home' | 'standalone' | 'unknown';
  lang?: string;
  settings?: Record<string, unknown>;
  offline?: boolean;
  dev?: boolean;
  mobile?: boolean;
}

/** What the app asked a token for. */
export interface AppTokenRequest {
  itemId: string;
  key: string;
  origin: string;
  apiHost: string;
}

/** One message in or out of the bridge. */
export interface BridgeLogEntry {
  direction: 'in' | 'out';
  /** `window`, or `port:N` for the N-th handed-out port. */
  channel: string;
  /** Message type without the item suffix, e.g. `GET_CONTEXT`. */
  type: string;
  outcome: 'handled' | 'sent' | 'ignored' | 'failed';
  /** Why a message was ignored or failed. */
  reason?: string;
  /** The JSON string as it travelled (cut to 2,000 characters). */
  data: string;
}

export interface AttachAppOptions {
  itemId: string;
  /** The app URL; may carry a query string. `itemId` is appended. */
  appUrl: string;
  /** Registered origins of the app's publisher; must include the origin of `appUrl`. */
  appOrigins: string[];
  /** The context, or a function called for every request (throw to refuse). */
  context: AppContextInit | (() => AppContextInit);
  /** POST the token request here instead of `{apiHost}/app-items/{itemId}/api-access-token`. */
  tokenUrl?: string;
  /** Produce the token yourself; a rejection is sent to the app as GET_AUTH_TOKEN_FAILURE. */
  getToken?: (request: AppTokenRequest) => Promise<string>;
  onLog?: (entry: BridgeLogEntry) => void;
  /** Height bounds in CSS px (defaults 50 and 20000). */
  minHeight?: number;
  maxHeight?: number;
  /** Time the token source has before the app gets TOKEN_TIMEOUT (default 20000). */
  tokenTimeoutMs?: number;
  /** GET_AUTH_TOKEN requests of the frame relayed at once (default 5); past them the app gets
   * TOKEN_RATE_LIMITED without the token source being asked. */
  tokenBurst?: number;
  /** After the burst, one more request is relayed per this many ms (default 10000). */
  tokenRefillMs?: number;
  /** Extensions of your appframe server to advertise to the app, e.g. `['ws']` (its `/api/ws`
   * takes the app token and sends heartbeats). Leave empty in front of a Graasp server. */
  serverFeatures?: string[];
  /** The app's key, when you know it: its first token is then asked for while the frame loads,
   * and the app's first GET_AUTH_TOKEN (naming this key and the app's origin) gets it at once. */
  appKey?: string;
  /** What the app tells its host: `ready` (POST_READY from a v2 app; a v1 app once its context is
   * answered), `failed` (POST_FAILURE, or code `READY_TIMEOUT`), `close-requested`, `display-mode`. */
  onEvent?: (event: AppEvent) => void;
  /** Time the app has to become ready before `failed` with `READY_TIMEOUT` (default 15000; 0: none). */
  readyTimeoutMs?: number;
  /** Browser permissions granted to the frame (its `allow` and `sandbox`), usually the app
   * manifest's (`HostApp.manifest.permissions`) less what you refuse, e.g.
   * `['clipboard-write', 'fullscreen']`; told to the app as `appframe.granted`, as given.
   * `forms`, `popups`, `downloads`, `modals` go in `sandbox`, any other name in `allow`.
   * Default: fullscreen, clipboard-write, forms, popups, downloads. */
  permissions?: string[];
}

/** Protocol v2 with the app (docs/protocol-v2.md); a v1 app gets none of these messages. */
export interface AppLifecycle {
  /** Sends CONTEXT_CHANGED: whether it was sent (only to a v2 app, after its handshake). Throws
   * on a change that is not a plain object. */
  updateContext(change: ContextChange): boolean;
  /** PING: whether the app answered within `timeoutMs` (default 1000). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** TEARDOWN, up to 500 ms for the app to save and acknowledge, then the bridge detaches:
   * whether the app acknowledged (a v1 app: false, detached at once). */
  teardown(reason?: string): Promise<boolean>;
}

/** A lifecycle event of the app (protocol v2, docs/protocol-v2.md). */
export type AppEvent =
  | { type: 'ready' }
  | { type: 'failed'; code: string; message: string }
  | { type: 'close-requested' }
  | { type: 'display-mode'; mode: 'inline' | 'fullscreen' };

/** The changed context fields sent with CONTEXT_CHANGED (only to a v2 app). */
export interface ContextChange {
  lang?: string;
  theme?: { mode: 'light' | 'dark'; vars?: Record<string, string> };
  permission?: 'read' | 'write' | 'admin';
  context?: AppContextInit['context'];
  container?: { width?: number; maxHeight?: number; displayMode?: 'inline' | 'fullscreen' };
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The options object of `attachApp`.
    #[wasm_bindgen(typescript_type = "AttachAppOptions")]
    pub type AttachAppOptions;
}

/// A connected app; `detach()` stops answering and closes every port.
#[wasm_bindgen]
#[derive(Debug)]
pub struct AppHandle {
    bridge: Option<Bridge>,
}

#[wasm_bindgen]
impl AppHandle {
    /// Stops answering the app and closes its ports. Calling it twice is harmless.
    pub fn detach(&mut self) {
        self.bridge = None;
    }

    /// Whether the app is still attached (not detached, not torn down).
    #[wasm_bindgen(getter)]
    pub fn attached(&self) -> bool {
        self.bridge.as_ref().is_some_and(Bridge::answering)
    }

    /// How many ports are open.
    #[wasm_bindgen(getter, js_name = openPorts)]
    pub fn open_ports(&self) -> usize {
        self.bridge.as_ref().map_or(0, Bridge::open_ports)
    }

    /// Protocol v2 with the app: `updateContext`, `ping`, `teardown` (`undefined` once detached).
    #[wasm_bindgen(getter, unchecked_return_type = "AppLifecycle | undefined")]
    pub fn lifecycle(&self) -> JsValue {
        self.bridge
            .as_ref()
            .map_or(JsValue::UNDEFINED, Bridge::lifecycle)
    }
}

/// `JSON.stringify` of a plain object (not an array, not a function), for payloads the page
/// gives as objects.
fn object_json(v: &JsValue, what: &str) -> Result<String, Error> {
    let bad_shape = || bad([what, " must be a plain JSON object"].concat());
    if !v.is_object() || js_sys::Array::is_array(v) {
        return Err(bad_shape());
    }
    let text = JSON::stringify(v)
        .map_err(|e| bad([what, ": ", &js_message(&e)].concat()))?
        .as_string()
        .unwrap_or_default();
    if text.starts_with('{') {
        Ok(text)
    } else {
        Err(bad_shape())
    }
}

/// Embeds the app in `iframe` and answers it. Throws an `Error` with a `code`
/// (`BadOptions`, `BadAppUrl`, `OriginNotRegistered`, ...) when the options are unusable.
#[wasm_bindgen(js_name = attachApp)]
pub fn attach_app(
    iframe: HtmlIFrameElement,
    options: AttachAppOptions,
) -> Result<AppHandle, JsValue> {
    let opts = parse_options(options.as_ref()).map_err(to_js_error)?;
    let bridge = Bridge::attach(iframe, opts).map_err(to_js_error)?;
    Ok(AppHandle {
        bridge: Some(bridge),
    })
}

fn to_js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.message());
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

fn bad(msg: impl Into<String>) -> Error {
    Error::BadOptions(msg.into())
}

fn opt_number(obj: &JsValue, key: &str, default: f64) -> Result<f64, Error> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(default);
    }
    v.as_f64()
        .ok_or_else(|| bad([key, " must be a number"].concat()))
}

fn parse_options(obj: &JsValue) -> Result<BridgeOptions, Error> {
    if !obj.is_object() {
        return Err(bad("options must be an object"));
    }
    let item_id: ItemId = get(obj, "itemId")
        .as_string()
        .and_then(|s| text::parse_uuid(&s))
        .ok_or_else(|| bad("itemId must be a UUID string"))?
        .into();
    let app_url = get(obj, "appUrl")
        .as_string()
        .ok_or_else(|| bad("appUrl must be a string"))?;
    let origins_v = get(obj, "appOrigins");
    if !js_sys::Array::is_array(&origins_v) {
        return Err(bad("appOrigins must be an array of strings"));
    }
    let app_origins = js_sys::Array::from(&origins_v)
        .iter()
        .map(|o| o.as_string())
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| bad("appOrigins must be an array of strings"))?;

    let context_v = get(obj, "context");
    let context = if let Some(f) = context_v.dyn_ref::<Function>() {
        let f = f.clone();
        ContextProvider::provided(move || {
            let v = f.call0(&JsValue::NULL).map_err(|e| FailurePayload {
                code: CONTEXT_UNAVAILABLE.into(),
                message: js_message(&e),
            })?;
            context_from_js(&v).map_err(|e| FailurePayload {
                code: CONTEXT_UNAVAILABLE.into(),
                message: e.message(),
            })
        })
    } else {
        // Checked now so a wrong context fails at attach, not at the app's first request.
        let fixed = context_from_js(&context_v)?;
        ContextProvider::provided(move || Ok(fixed.clone()))
    };

    let mut opts = BridgeOptions::new(item_id, app_url, app_origins, context);
    let get_token = get(obj, "getToken");
    let token_url = get(obj, "tokenUrl");
    if let Some(f) = get_token.dyn_ref::<Function>() {
        let f = f.clone();
        opts = opts.token_provider(move |req: AppTokenRequest| {
            let f = f.clone();
            async move { js_token(&f, &req).await }
        });
    } else if !get_token.is_undefined() && !get_token.is_null() {
        return Err(bad("getToken must be a function"));
    } else if let Some(url) = token_url.as_string() {
        opts = opts.token_provider(FetchTokenProvider::with_url(url));
    } else if !token_url.is_undefined() && !token_url.is_null() {
        return Err(bad("tokenUrl must be a string"));
    }
    let on_log = get(obj, "onLog");
    if let Some(f) = on_log.dyn_ref::<Function>() {
        let f = f.clone();
        opts = opts.on_log(move |entry| {
            // A throwing log callback must not break the bridge; its error is the page's concern.
            let _ = f.call1(&JsValue::NULL, &log_to_js(entry));
        });
    } else if !on_log.is_undefined() && !on_log.is_null() {
        return Err(bad("onLog must be a function"));
    }
    let min = opt_number(obj, "minHeight", opts.min_height)?;
    let max = opt_number(obj, "maxHeight", opts.max_height)?;
    opts = opts.height_bounds(min, max);
    let timeout = opt_number(obj, "tokenTimeoutMs", opts.token_timeout.as_millis() as f64)?;
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(bad("tokenTimeoutMs must be a positive number"));
    }
    opts = opts.token_timeout(Duration::from_millis(timeout as u64));
    let burst = opt_number(obj, "tokenBurst", f64::from(opts.token_burst))?;
    let refill = opt_number(obj, "tokenRefillMs", opts.token_refill.as_millis() as f64)?;
    if !(burst.is_finite() && burst >= 1.0 && refill.is_finite() && refill > 0.0) {
        return Err(bad(
            "tokenBurst must be at least 1 and tokenRefillMs a positive number",
        ));
    }
    // Saturating casts: a huge burst means "no limit in practice".
    opts = opts.token_rate_limit(burst as u32, Duration::from_millis(refill as u64));
    let features = get(obj, "serverFeatures");
    if !features.is_undefined() && !features.is_null() {
        opts = opts.server_features(strings(
            &features,
            "serverFeatures must be an array of strings",
        )?);
    }
    let permissions = get(obj, "permissions");
    if !permissions.is_undefined() && !permissions.is_null() {
        opts = opts.permissions(strings(
            &permissions,
            "permissions must be an array of strings",
        )?);
    }
    // `onEvent` and `readyTimeoutMs` are read (and checked) by the v2 host.
    opts.js_options = Some(obj.clone());
    let key = get(obj, "appKey");
    if let Some(key) = key.as_string() {
        opts = opts.app_key(key);
    } else if !is_absent(&key) {
        return Err(bad("appKey must be a string"));
    }
    Ok(opts)
}

/// The strings of a JS array, else `Error::BadOptions(message)`.
fn strings(v: &JsValue, message: &str) -> Result<Vec<String>, Error> {
    if !js_sys::Array::is_array(v) {
        return Err(bad(message));
    }
    js_sys::Array::from(v)
        .iter()
        .map(|f| f.as_string())
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| bad(message))
}

/// The context from a JS object of the `LocalContext` wire shape (`itemId` is the bridge's), read
/// field by field with `Reflect`; `settings` is kept as the text `JSON.stringify` makes of it, so
/// the package ships no JSON value type (what JSON keeps is what the app gets: functions and
/// `undefined` members are left out, a cycle or a bigint is refused).
fn context_from_js(v: &JsValue) -> Result<Provided, Error> {
    if !v.is_object() {
        return Err(bad("context must be an object or a function returning one"));
    }
    let api_host =
        opt_string(v, "apiHost")?.ok_or_else(|| bad("context: apiHost must be a string"))?;
    let mut ctx = Provided::new(api_host);
    // Either name is accepted, as `LocalContext` reads it; each must be a UUID when given.
    let account = opt_id(v, "accountId")?;
    ctx.account_id = account.or(opt_id(v, "memberId")?);
    if let Some(p) = opt_string(v, "permission")? {
        ctx.permission = Permission::parse(&p)
            .ok_or_else(|| bad("context: permission must be 'read', 'write' or 'admin'"))?;
    }
    if let Some(c) = opt_string(v, "context")? {
        ctx.context = wire::context_from_name(&c);
    }
    if let Some(lang) = opt_string(v, "lang")? {
        ctx.lang = lang;
    }
    for (key, flag) in [
        ("offline", &mut ctx.offline),
        ("dev", &mut ctx.dev),
        ("mobile", &mut ctx.mobile),
    ] {
        let b = get(v, key);
        if !is_absent(&b) {
            *flag = b
                .as_bool()
                .ok_or_else(|| bad(["context: ", key, " must be a boolean"].concat()))?;
        }
    }
    let settings = get(v, "settings");
    if is_absent(&settings) {
        return Ok(ctx);
    }
    let text = object_json(&settings, "context: settings")?;
    ctx.resizable = get(&settings, "isResizable").as_bool() == Some(true);
    ctx.settings = text.into();
    Ok(ctx)
}

fn is_absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if is_absent(&v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| bad(["context: ", key, " must be a string"].concat()))
}

fn opt_id(obj: &JsValue, key: &str) -> Result<Option<AccountId>, Error> {
    opt_string(obj, key)?
        .map(|s| {
            text::parse_uuid(&s)
                .map(AccountId::from)
                .ok_or_else(|| bad(["context: ", key, " must be a UUID"].concat()))
        })
        .transpose()
}

async fn js_token(f: &Function, req: &AppTokenRequest) -> Result<String, FailurePayload> {
    let fail = |message: String| FailurePayload {
        code: TOKEN_REQUEST_FAILED.into(),
        message,
    };
    let arg = Object::new();
    let mut item_id = String::new();
    text::push_id(&mut item_id, &req.item_id);
    for (k, v) in [
        ("itemId", item_id.as_str()),
        ("key", &req.key),
        ("origin", &req.origin),
        ("apiHost", &req.api_host),
    ] {
        let _ = Reflect::set(&arg, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    let returned = f
        .call1(&JsValue::NULL, &arg)
        .map_err(|e| fail(js_message(&e)))?;
    let value = JsFuture::from(Promise::resolve(&returned))
        .await
        .map_err(|e| {
            // A rejection with `{code}` keeps its code, so a platform can say why precisely.
            let code = get(&e, "code")
                .as_string()
                .unwrap_or_else(|| TOKEN_REQUEST_FAILED.to_owned());
            FailurePayload {
                code,
                message: js_message(&e),
            }
        })?;
    value
        .as_string()
        .ok_or_else(|| fail("getToken resolved to something other than a string".into()))
}

fn log_to_js(entry: &LogEntry) -> JsValue {
    let o = Object::new();
    let direction = match entry.direction {
        crate::log::Direction::In => "in",
        crate::log::Direction::Out => "out",
    };
    let channel = entry.channel.label();
    let reason = entry.outcome.reason();
    for (k, v) in [
        ("direction", Some(direction)),
        ("channel", Some(channel.as_str())),
        ("type", Some(entry.message_type.as_str())),
        ("outcome", Some(entry.outcome.as_str())),
        ("data", Some(entry.data.as_str())),
        ("reason", reason),
    ] {
        if let Some(v) = v {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
        }
    }
    o.into()
}

/// Talc instead of Rust's default allocator (dlmalloc) in the JS package: smaller and faster on
/// wasm, as in the SDK's bundles. Only this feature sets it, so a Rust host keeps its own.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
