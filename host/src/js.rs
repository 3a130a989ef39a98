//! The JavaScript facade (`--features js`): `attachApp(iframe, options)` → a handle with `detach()`.

use crate::{
    bridge::Bridge,
    error::{Error, js_message},
    log::LogEntry,
    options::{BridgeOptions, ContextProvider},
    text,
    token::{AppTokenRequest, CONTEXT_UNAVAILABLE, FetchTokenProvider, TOKEN_REQUEST_FAILED},
    wire::{self, get},
};
use appframe_protocol::{AccountId, FailurePayload, ItemId, LocalContext, Permission};
use js_sys::{Function, Object, Promise, Reflect};
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
  /** Browser permissions granted to the frame (its `allow` and `sandbox`), usually the app
   * manifest's (`HostApp.manifest.permissions`) less what you refuse, e.g.
   * `['clipboard-write', 'fullscreen']`; told to the app as `appframe.granted`, as given.
   * `forms`, `popups`, `downloads`, `modals` go in `sandbox`, any other name in `allow`.
   * Default: fullscreen, clipboard-write, forms, popups, downloads. */
  permissions?: string[];
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

    /// Whether the app is still attached.
    #[wasm_bindgen(getter)]
    pub fn attached(&self) -> bool {
        self.bridge.is_some()
    }

    /// How many ports are open.
    #[wasm_bindgen(getter, js_name = openPorts)]
    pub fn open_ports(&self) -> usize {
        self.bridge.as_ref().map_or(0, Bridge::open_ports)
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
        ContextProvider::from_fn(move || {
            let v = f.call0(&JsValue::NULL).map_err(|e| FailurePayload {
                code: CONTEXT_UNAVAILABLE.into(),
                message: js_message(&e),
            })?;
            context_from_js(&v, item_id).map_err(|e| FailurePayload {
                code: CONTEXT_UNAVAILABLE.into(),
                message: e.message(),
            })
        })
    } else {
        // Checked now so a wrong context fails at attach, not at the app's first request.
        ContextProvider::from(context_from_js(&context_v, item_id)?)
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

/// Deepest nesting read in `settings`: a cyclic object would otherwise never end.
const MAX_SETTINGS_DEPTH: usize = 64;

/// The context from a JS object of the `LocalContext` wire shape (`itemId` is the bridge's).
/// Read field by field with `Reflect` rather than through serde: the package ships no JSON library.
fn context_from_js(v: &JsValue, item_id: ItemId) -> Result<LocalContext, Error> {
    if !v.is_object() {
        return Err(bad("context must be an object or a function returning one"));
    }
    let api_host =
        opt_string(v, "apiHost")?.ok_or_else(|| bad("context: apiHost must be a string"))?;
    let mut ctx = LocalContext::new(api_host, item_id);
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
    let settings = get(v, "settings");
    if !is_absent(&settings) {
        match json_from_js(&settings, 0)? {
            serde_json::Value::Object(map) => ctx.settings = map,
            _ => return Err(bad("context: settings must be an object")),
        }
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

/// A JSON value from plain JS data (what `JSON.stringify` would keep: `undefined` members are
/// left out, integers stay integers); functions, symbols and bigints are refused.
fn json_from_js(v: &JsValue, depth: usize) -> Result<serde_json::Value, Error> {
    use serde_json::Value;
    if depth > MAX_SETTINGS_DEPTH {
        return Err(bad("context: settings are nested too deeply"));
    }
    if is_absent(v) {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        // Whole numbers a JS number holds exactly are integers, as JSON would write them.
        return Ok(if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
            Value::from(n as i64)
        } else {
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
        });
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if js_sys::Array::is_array(v) {
        return js_sys::Array::from(v)
            .iter()
            .map(|item| json_from_js(&item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if v.is_object() && !v.is_function() {
        let mut map = serde_json::Map::new();
        for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
            let value = Reflect::get(v, &key).unwrap_or(JsValue::UNDEFINED);
            if let (Some(key), false) = (key.as_string(), value.is_undefined()) {
                map.insert(key, json_from_js(&value, depth + 1)?);
            }
        }
        return Ok(Value::Object(map));
    }
    Err(bad("context: settings must hold plain JSON data"))
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
